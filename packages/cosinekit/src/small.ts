// Small problems computed in JS (float64) instead of WASM. Below a few thousand
// multiply-adds, a kernel call costs more in fixed overhead (scratch allocations, copies into
// WASM memory, the call itself) than the arithmetic; these paths run after the same
// validation and planning, read the validated operands directly, and give the same results
// (in float64, so at least as accurate). The thresholds were measured (see below).

import type { AxisGroup } from './shapes.js';

/** Largest (outputs × reduced length) computed in JS by cosineSimilarity / cosineDistance:
 * measured (Node 20, x86-64), a single pair costs about 3 µs either way up to D ≈ 512, and
 * the JS path loses beyond (D = 1536: 7.0 µs in JS, 3.4 µs in WASM). */
export const SMALL_COSINE_WORK = 512;
/** Largest element count normalised in JS by normalize. */
export const SMALL_NORMALIZE_ELEMENTS = 1024;

/** Offsets of every position of an axis group, in row-major order, for both operands. */
function positions(group: AxisGroup): [Int32Array, Int32Array] {
  let count = 1;
  for (const extent of group.extents) count *= extent;
  const first = new Int32Array(count);
  const second = new Int32Array(count);
  const rank = group.extents.length;
  const index = new Array<number>(rank).fill(0);
  let firstOffset = 0;
  let secondOffset = 0;
  for (let position = 0; position < count; position++) {
    first[position] = firstOffset;
    second[position] = secondOffset;
    for (let axis = rank - 1; axis >= 0; axis--) {
      const extent = group.extents[axis] as number;
      firstOffset += group.firstStrides[axis] as number;
      secondOffset += group.secondStrides[axis] as number;
      if (++(index[axis] as number) < extent) break;
      index[axis] = 0;
      firstOffset -= extent * (group.firstStrides[axis] as number);
      secondOffset -= extent * (group.secondStrides[axis] as number);
    }
  }
  return [first, second];
}

/**
 * The cosine kernel's definition in float64: for every kept position, the dot product and
 * both squared norms over the reduced positions, eps clamping each norm, then clamp and
 * distance as the kernel applies them.
 */
export function cosineSmall(
  first: ArrayLike<number>,
  second: ArrayLike<number>,
  kept: AxisGroup,
  reduced: AxisGroup,
  eps: number,
  clamp: boolean,
  distance: boolean,
): Float32Array {
  const epsilon = Math.fround(eps);
  let reducedCount = 1;
  for (const extent of reduced.extents) reducedCount *= extent;
  const finish = (dot: number, firstSquared: number, secondSquared: number): number => {
    // Empty vectors: similarity 0 whatever eps is (the kernel's rule; 0/0 must not leak).
    if (reducedCount === 0) return distance ? 1 : 0;
    const firstNorm = Math.sqrt(firstSquared);
    const secondNorm = Math.sqrt(secondSquared);
    let similarity = dot / ((firstNorm < epsilon ? epsilon : firstNorm) * (secondNorm < epsilon ? epsilon : secondNorm));
    if (clamp) similarity = similarity > 1 ? 1 : similarity < -1 ? -1 : similarity;
    return distance ? 1 - Math.fround(similarity) : similarity;
  };
  // The common layouts (at most one kept and one reduced axis after coalescing) need no
  // offset tables.
  if (kept.extents.length <= 1 && reduced.extents.length <= 1) {
    const outputs = kept.extents[0] ?? 1;
    const length = reduced.extents[0] ?? 1;
    const [keptFirst, keptSecond] = [kept.firstStrides[0] ?? 0, kept.secondStrides[0] ?? 0];
    const [stepFirst, stepSecond] = [reduced.firstStrides[0] ?? 0, reduced.secondStrides[0] ?? 0];
    const out = new Float32Array(outputs);
    for (let output = 0; output < outputs; output++) {
      let firstIndex = output * keptFirst;
      let secondIndex = output * keptSecond;
      let dot = 0;
      let firstSquared = 0;
      let secondSquared = 0;
      for (let step = 0; step < length; step++, firstIndex += stepFirst, secondIndex += stepSecond) {
        const left = first[firstIndex] as number;
        const right = second[secondIndex] as number;
        dot += left * right;
        firstSquared += left * left;
        secondSquared += right * right;
      }
      out[output] = finish(dot, firstSquared, secondSquared);
    }
    return out;
  }
  const [keptFirst, keptSecond] = positions(kept);
  const [reducedFirst, reducedSecond] = positions(reduced);
  const out = new Float32Array(keptFirst.length);
  for (let output = 0; output < out.length; output++) {
    const firstBase = keptFirst[output] as number;
    const secondBase = keptSecond[output] as number;
    let dot = 0;
    let firstSquared = 0;
    let secondSquared = 0;
    for (let step = 0; step < reducedFirst.length; step++) {
      const left = first[firstBase + (reducedFirst[step] as number)] as number;
      const right = second[secondBase + (reducedSecond[step] as number)] as number;
      dot += left * right;
      firstSquared += left * left;
      secondSquared += right * right;
    }
    out[output] = finish(dot, firstSquared, secondSquared);
  }
  return out;
}

/** `x / max(‖x‖ₚ, eps)` over `[outer, reduced, inner]` in float64 (NaN-propagating ∞-norm). */
export function normalizeSmall(x: ArrayLike<number>, outer: number, reduced: number, inner: number, p: number, eps: number): Float32Array {
  const out = new Float32Array(outer * reduced * inner);
  const epsilon = Math.fround(eps);
  for (let outerIndex = 0; outerIndex < outer; outerIndex++) {
    for (let innerIndex = 0; innerIndex < inner; innerIndex++) {
      const base = outerIndex * reduced * inner + innerIndex;
      let norm = 0;
      for (let step = 0; step < reduced; step++) {
        const value = Math.abs(x[base + step * inner] as number);
        if (p === 2) norm += value * value;
        else if (p === 1) norm += value;
        else norm = Number.isNaN(value) || Number.isNaN(norm) ? Number.NaN : Math.max(norm, value);
      }
      if (p === 2) norm = Math.sqrt(norm);
      const denominator = norm < epsilon ? epsilon : norm;
      for (let step = 0; step < reduced; step++) out[base + step * inner] = (x[base + step * inner] as number) / denominator;
    }
  }
  return out;
}
