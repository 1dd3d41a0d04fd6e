// Seeded inputs: the same seed gives the same numbers in every process and on every machine
// (a 32-bit xorshift-multiply generator, no Math.random), so the parent and the relaxed-simd
// child process benchmark identical data.

/** A generator of uniform numbers in [0, 1) from a 32-bit seed. */
export function uniformGenerator(seed) {
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A seed from a text label (FNV-1a), so each workload's data has its own fixed seed. */
export function seedFromLabel(label) {
  let hash = 0x811c9dc5;
  for (let index = 0; index < label.length; index++) {
    hash = Math.imul(hash ^ label.charCodeAt(index), 0x01000193) >>> 0;
  }
  return hash;
}

/** `count` float32 values, uniform in [-1, 1). */
export function uniformFloats(seed, count) {
  const next = uniformGenerator(seed);
  const values = new Float32Array(count);
  for (let index = 0; index < count; index++) values[index] = next() * 2 - 1;
  return values;
}

/**
 * Contrastive features `[rowCount, length]`, interleaved pairs: row 2k is random, row 2k+1
 * is row 2k plus uniform noise `noise` times as wide (cosine ≈ 0.55 between positives at
 * 1.5: clearly the nearest row, yet not so aligned that the gradient — the part tangent to
 * each row — is a small difference of large float32 numbers, which would make the f32-vs-f64
 * comparison measure conditioning rather than the implementation).
 */
export function pairedFeatures(seed, rowCount, length, noise = 1.5) {
  const next = uniformGenerator(seed);
  const values = new Float32Array(rowCount * length);
  for (let row = 0; row < rowCount; row += 2) {
    for (let index = 0; index < length; index++) {
      const anchor = next() * 2 - 1;
      values[row * length + index] = anchor;
      if (row + 1 < rowCount) values[(row + 1) * length + index] = anchor + noise * (next() * 2 - 1);
    }
  }
  return values;
}
