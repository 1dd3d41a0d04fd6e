// The top-k order of the kernel (crates/cosinekit-core/src/topk.rs), in JS, for the two
// places a pool re-ranks lists the kernel made: dropping a query's own row from a chunk that
// does not start at query 0, and merging per-slice lists when the corpus was split.
//
// Order: higher score first; NaN above every number; equal scores (0 and -0 are equal)
// lower index first. This is a strict total order on (score, index) pairs, so the top k of
// a set does not depend on how the set was cut into slices: the top k of the union of
// every slice's top k is the top k of the whole.

/** Whether `candidate` ranks strictly above `incumbent` by score alone (NaN above every number). */
function scoreRanksAbove(candidate: number, incumbent: number): boolean {
  return candidate > incumbent || (Number.isNaN(candidate) && !Number.isNaN(incumbent));
}

/** Negative when entry (scoreA, indexA) comes first in a top-k list. */
function compareEntries(scoreA: number, indexA: number, scoreB: number, indexB: number): number {
  if (scoreRanksAbove(scoreA, scoreB)) return -1;
  if (scoreRanksAbove(scoreB, scoreA)) return 1;
  return indexA - indexB;
}

/**
 * Rows of `listLength` entries (from a kernel call with k = `listLength`) → rows of
 * `listLength - 1`: row `row` loses corpus index `firstQuery + row` if it is there, else
 * its last entry. That is the kernel's `excludeSelf` for queries `firstQuery…`.
 */
export function dropSelfEntries(
  indices: Int32Array,
  scores: Float32Array,
  listLength: number,
  firstQuery: number,
  outIndices: Int32Array,
  outScores: Float32Array,
): void {
  const kept = listLength - 1;
  const rows = indices.length / listLength;
  for (let row = 0; row < rows; row++) {
    const self = firstQuery + row;
    let write = row * kept;
    const end = write + kept;
    for (let read = row * listLength; read < (row + 1) * listLength && write < end; read++) {
      const index = indices[read] as number;
      if (index === self) continue;
      outIndices[write] = index;
      outScores[write] = scores[read] as number;
      write++;
    }
  }
}

/** One slice's lists: `[queries, listLength]`, indices already counted from corpus row 0. */
export interface SliceLists {
  indices: Int32Array;
  scores: Float32Array;
  listLength: number;
}

/**
 * Merges every slice's lists into the top `k` per query (written to `outIndices` and
 * `outScores`, `[queries, k]`); with `excludeSelf`, query `q` never gets corpus row `q`.
 */
export function mergeSliceLists(
  slices: readonly SliceLists[],
  queries: number,
  k: number,
  excludeSelf: boolean,
  outIndices: Int32Array,
  outScores: Float32Array,
): void {
  const candidateCount = slices.reduce((sum, slice) => sum + slice.listLength, 0);
  const order = new Int32Array(candidateCount);
  const candidateIndices = new Int32Array(candidateCount);
  const candidateScores = new Float32Array(candidateCount);
  for (let query = 0; query < queries; query++) {
    let count = 0;
    for (const slice of slices) {
      const start = query * slice.listLength;
      for (let entry = start; entry < start + slice.listLength; entry++) {
        const index = slice.indices[entry] as number;
        if (excludeSelf && index === query) continue;
        candidateIndices[count] = index;
        candidateScores[count] = slice.scores[entry] as number;
        order[count] = count;
        count++;
      }
    }
    const ranked = order.subarray(0, count).sort((left, right) =>
      compareEntries(candidateScores[left] as number, candidateIndices[left] as number, candidateScores[right] as number, candidateIndices[right] as number),
    );
    for (let slot = 0; slot < k; slot++) {
      const candidate = ranked[slot] as number;
      outIndices[query * k + slot] = candidateIndices[candidate] as number;
      outScores[query * k + slot] = candidateScores[candidate] as number;
    }
  }
}
