// How a call is cut into chunks: pure functions of the sizes, the thread count and the
// kernel's tiling constants (which the caller takes from the wasm module). Every chunk runs
// the same kernel path, for its rows, as the single-thread call runs for all of them, so
// where the cuts fall changes nothing in the results, only how the work is shared.

/**
 * Chunks per thread a call is cut into, so that a thread slowed down by other processes
 * takes fewer. Not more: every pairwise chunk normalises and packs all of B again (about 4%
 * of the work at 2048×2048×768 with 4 chunks per thread, 2% with 2).
 */
export const CHUNKS_PER_THREAD = 2;
/**
 * Least multiply-adds per chunk (about 0.5 ms of one thread): a chunk costs about 0.1 ms of
 * messages and set-up, which must stay small beside its work.
 */
export const MIN_CHUNK_WORK = 2 ** 22;
/** Split top-k by queries when every thread gets at least this many; else by corpus slices. */
export const MIN_QUERY_CHUNK = 128;

/** The kernel constants the plans align to (from the module: `Runtime.constants`). */
export interface Tiling {
  tileRows: number;
  tileColumns: number;
  queryBlock: number;
  corpusTile: number;
}

/** `[start, count]` pieces of `0..total`, `size` long except the last. */
export function pieces(total: number, size: number): [start: number, count: number][] {
  const result: [number, number][] = [];
  for (let start = 0; start < total; start += size) result.push([start, Math.min(size, total - start)]);
  return result;
}

/** Rows of A per pairwise chunk: about CHUNKS_PER_THREAD chunks per thread, none under MIN_CHUNK_WORK, whole micro-tiles. */
export function pairwiseChunkRows(totalRows: number, workPerRow: number, threads: number, tiling: Tiling): number {
  const count = threads === 1 ? 1 : threads * CHUNKS_PER_THREAD;
  let rows = Math.max(Math.ceil(totalRows / count), Math.ceil(MIN_CHUNK_WORK / workPerRow), 1);
  rows = Math.ceil(rows / tiling.tileRows) * tiling.tileRows;
  return Math.min(rows, totalRows);
}

/**
 * Columns (rows of B) per pairwise chunk when there are too few rows of A to give every
 * thread some (a block of a few rows): about CHUNKS_PER_THREAD column slices per thread, none
 * under MIN_CHUNK_WORK, whole micro-tile panels. Null when rows alone occupy every thread,
 * or the slices would not be narrower than B.
 */
export function pairwiseColumnSlice(rowCount: number, bRows: number, depth: number, threads: number, tiling: Tiling): number | null {
  const chunkRows = pairwiseChunkRows(rowCount, bRows * depth, threads, tiling);
  if (threads === 1 || Math.ceil(rowCount / chunkRows) >= threads) return null;
  let columns = Math.max(Math.ceil(bRows / (threads * CHUNKS_PER_THREAD)), Math.ceil(MIN_CHUNK_WORK / (rowCount * depth)), 1);
  columns = Math.ceil(columns / tiling.tileColumns) * tiling.tileColumns;
  return columns < bRows ? columns : null;
}

/** Whether a top-k call shares out its queries (each worker gets whole query blocks) or slices of the corpus. */
export function topKSplit(queryRows: number, threads: number): 'queries' | 'slices' {
  return queryRows / threads >= MIN_QUERY_CHUNK || threads === 1 ? 'queries' : 'slices';
}

/**
 * Queries per top-k chunk when the queries are shared out: as pairwise, then rounded up to
 * whole kernel query blocks (each block streams the whole corpus once, so whole blocks cost
 * no more corpus passes than one thread does).
 */
export function topKQueryChunkRows(queryRows: number, workPerQuery: number, threads: number, tiling: Tiling): number {
  let rows = Math.max(pairwiseChunkRows(queryRows, workPerQuery, threads, tiling), MIN_QUERY_CHUNK);
  if (rows > tiling.queryBlock) rows = Math.min(Math.ceil(rows / tiling.queryBlock) * tiling.queryBlock, queryRows);
  return Math.min(rows, queryRows);
}

/**
 * Corpus rows per slice when the corpus is shared out: about CHUNKS_PER_THREAD slices per
 * thread, none under MIN_CHUNK_WORK nor shorter than a list, whole kernel corpus tiles.
 */
export function topKSliceRows(corpusRows: number, queryRows: number, depth: number, listLength: number, threads: number, tiling: Tiling): number {
  const count = threads * CHUNKS_PER_THREAD;
  let rows = Math.max(Math.ceil(corpusRows / count), Math.ceil(MIN_CHUNK_WORK / (queryRows * depth)), listLength);
  rows = Math.ceil(rows / tiling.corpusTile) * tiling.corpusTile;
  return Math.min(rows, corpusRows);
}
