// Inputs too large to store in the fixtures are described by a seed and a shape and rebuilt
// here, bit for bit as scripts/fixtures/gen_fixtures_pairwise_losses.py builds them
// (kind "lcg-normal"; the exact definition is also written into losses.json "notes").
//
// A 32-bit linear congruential generator, state' = (1664525 · state + 1013904223) mod 2^32,
// starting from state = seed; each step yields its top 24 bits, u ∈ [0, 2^24). Element e (row
// major) sums 12 consecutive u (an exact integer s) and is (s − 6·2^24) / 2^24 rounded to the
// nearest float32: the Irwin–Hall approximation of a standard normal (|x| < 6, variance ≈ 1).
// Only integer arithmetic and one IEEE rounding are involved, so Python and JS agree exactly.

import { type FixtureTensor, toFloat32 } from './fixtures.js';

export const GENERATED_INPUT_KIND = 'lcg-normal';

const LCG_MULTIPLIER = 1664525;
const LCG_INCREMENT = 1013904223;
const UNIFORMS_PER_ELEMENT = 12;
const TWO_POW_24 = 16777216;
const SUM_OFFSET = 6 * TWO_POW_24;

export interface GeneratedSpec {
  kind: string;
  seed: number;
  shape: number[];
}

/** A fixture input: inline data, or a generator description. */
export type FixtureInput = FixtureTensor | { shape: number[]; generated: GeneratedSpec };

/** The "lcg-normal" tensor for `seed` (an integer in [0, 2^32)) and `shape`, row-major. */
export function generatedInput(seed: number, shape: readonly number[]): Float32Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed ${seed} is not an integer in [0, 2^32)`);
  }
  let count = 1;
  for (const extent of shape) {
    if (!Number.isInteger(extent) || extent < 0) throw new RangeError(`bad extent ${extent} in shape [${shape.join(',')}]`);
    count *= extent;
  }
  const values = new Float32Array(count);
  let state = seed >>> 0;
  for (let element = 0; element < count; element++) {
    let sum = 0;
    for (let step = 0; step < UNIFORMS_PER_ELEMENT; step++) {
      // Math.imul keeps the low 32 bits of the product (as int32); the addition is exact in a
      // double (|value| < 2^32) and `>>> 0` reduces it mod 2^32 back to a uint32.
      state = (Math.imul(LCG_MULTIPLIER, state) + LCG_INCREMENT) >>> 0;
      sum += state >>> 8;
    }
    // Exact in float64 (a multiple of 2^-24 below 6 in magnitude); the store rounds to float32.
    values[element] = (sum - SUM_OFFSET) / TWO_POW_24;
  }
  return values;
}

/** The exact float32 values of a fixture input, whether stored inline or generated. */
export function fixtureInput(input: FixtureInput): Float32Array {
  if ('generated' in input) {
    const { kind, seed, shape } = input.generated;
    if (kind !== GENERATED_INPUT_KIND) throw new Error(`unknown generated input kind ${kind}`);
    if (shape.join(',') !== input.shape.join(',')) throw new Error(`generated shape [${shape}] differs from [${input.shape}]`);
    return generatedInput(seed, shape);
  }
  return toFloat32(input);
}
