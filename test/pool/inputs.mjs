// Deterministic inputs of the pool checks, shared by test/pool.test.ts (Node) and
// browser-pool-check.mjs (a page module, so plain ES with no imports).

/** Deterministic values in [-1, 1) (xorshift32), so every run sees the same inputs. */
export function values(count, seed) {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < count; index++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[index] = state / 2 ** 31 - 1;
  }
  return out;
}

/** A `{ data, shape }` tensor of `values`. */
export function tensor(shape, seed) {
  return { data: values(shape.reduce((count, extent) => count * extent, 1), seed), shape };
}

/**
 * A corpus built to produce ties and special scores: rows 3j+1 repeat row 3j (equal scores,
 * lower index must come first), every 50th row is zero (cosine 0), row 7 holds a NaN (ranks first).
 */
export function tiedCorpus(rows, depth, seed) {
  const data = values(rows * depth, seed);
  for (let row = 0; row < rows; row++) {
    if (row % 3 === 1) data.copyWithin(row * depth, (row - 1) * depth, row * depth);
    if (row % 50 === 49) data.fill(0, row * depth, (row + 1) * depth);
  }
  if (rows > 7) data[7 * depth + 2] = Number.NaN;
  return { data, shape: [rows, depth] };
}

/**
 * Calls whose splits are awkward for a pool (tails of 1–3 rows, query counts just past a
 * kernel block, scales that are not powers of two, self-pairwise, excludeSelf, ties and NaN
 * rows, few queries split by corpus slices, blocks of few rows). Each `run(api)` calls the
 * same function on a single-thread instance or on a pool (`await` both: a pool answers with
 * promises) and returns a list of [label, typed array] to compare bit for bit.
 */
export function awkwardCases() {
  const corpus = tensor([3000, 48], 91);
  const tied = tiedCorpus(1027, 48, 92);
  const wide = tiedCorpus(5000, 48, 93);
  const topK = (label, queries, target, k, options) => ({
    label,
    run: async (api) => {
      const found = await api.topK(queries, target, k, options);
      return [[`${label}: indices`, found.indices], [`${label}: scores`, found.scores]];
    },
  });
  const pairwise = (label, a, b, options) => ({
    label,
    run: async (api) => [[label, (await api.pairwiseCosine(a, b, options)).data]],
  });
  const cases = [];
  for (const queries of [257, 258, 259, 1027]) cases.push(topK(`topK Q = ${queries} over 3000×48`, tensor([queries, 48], 100 + queries), corpus, 10));
  cases.push(topK('topK excludeSelf, queries = a 1027-row corpus with ties and a NaN row', tied, tied, 10, { excludeSelf: true }));
  for (const queries of [1, 2, 3]) cases.push(topK(`topK Q = ${queries} over 5000×48 with ties (corpus slices)`, tensor([queries, 48], 200 + queries), wide, 10));
  cases.push(topK('topK Q = 2, excludeSelf over corpus slices', { data: wide.data.slice(0, 2 * 48), shape: [2, 48] }, wide, 10, { excludeSelf: true }));
  cases.push(pairwise('self-pairwise n = 513, scale 1/0.07', tensor([513, 48], 94), undefined, { scale: 1 / 0.07 }));
  cases.push(pairwise('self-pairwise n = 1030, scale 3', tensor([1030, 48], 95), undefined, { scale: 3 }));
  cases.push(pairwise('batched self-pairwise [2, 37, 16], scale 1/0.07', tensor([2, 37, 16], 96), undefined, { scale: 1 / 0.07 }));
  for (const rows of [61, 62, 63]) cases.push(pairwise(`pairwise tail: ${rows} rows × 700, scale 0.1`, tensor([rows, 48], 300 + rows), tensor([700, 48], 97), { scale: 0.1 }));
  cases.push({
    label: 'pairwiseCosineBlocks, 7 rows in blocks of 3 over 5000×48',
    run: async (api) => {
      const parts = [];
      const blocks = api.pairwiseCosineBlocks(tensor([7, 48], 98), wide, { blockRows: 3 });
      if (Symbol.asyncIterator in blocks) for await (const block of blocks) parts.push([`block at ${block.rowStart}`, block.data]);
      else for (const block of blocks) parts.push([`block at ${block.rowStart}`, block.data]);
      return parts;
    },
  });
  cases.push({
    label: 'pairwise of 3 rows over 100 000×48 (too few rows to share: split by corpus columns)',
    run: async (api) => [['3 × 100000', (await api.pairwiseCosine(tensor([3, 48], 99), tensor([100_000, 48], 100), { scale: 0.3 })).data]],
  });
  return cases;
}
