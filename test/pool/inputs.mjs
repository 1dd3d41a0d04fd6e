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
