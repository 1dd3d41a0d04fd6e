// Golden values from real PyTorch (float64 evaluation of the float32 inputs), for every
// variant this engine runs. Inputs are passed in all three accepted forms.

import { type Cosinekit, createInstanceSync, isVariantSupported } from 'cosinekit';
import { describe, expect, test } from 'vitest';
import { expectAllClose } from './helpers/assertions.js';
import { loadFixtures, toFloat32, toFloat64 } from './helpers/fixtures.js';

const cosine = loadFixtures('cosine');
const normalize = loadFixtures('normalize');
const variants = (['scalar', 'simd128', 'relaxed'] as const).filter(isVariantSupported);

test('fixtures come from real PyTorch and cover the documented cases', () => {
  expect(cosine.generator).toBe('scripts/fixtures/gen_fixtures.py');
  expect(cosine.torch).toMatch(/^1\.13|^2\./);
  expect(cosine.cases.length).toBeGreaterThanOrEqual(80);
  expect(normalize.cases.length).toBeGreaterThanOrEqual(50);
});

describe.each(variants)('%s variant', (variant) => {
  const kit: Cosinekit = createInstanceSync({ variant });

  test.each(cosine.cases.map((entry) => [entry.name, entry] as const))('cosineSimilarity %s', (_, entry) => {
    const x1 = entry.inputs.x1!;
    const x2 = entry.inputs.x2!;
    const expected = toFloat64(entry.expected);
    const options = { dim: entry.params.dim, eps: entry.params.eps };
    const fromFloat32 = kit.cosineSimilarity({ data: toFloat32(x1), shape: x1.shape }, { data: toFloat32(x2), shape: x2.shape }, options);
    expect(fromFloat32.shape).toEqual(entry.expected.shape);
    expectAllClose(fromFloat32.data, expected, { absolute: 1e-5, context: entry.name });

    // The same values as Float64Array / number[] (rounded to float32 on the way in) and in WASM memory.
    const asNumbers = Array.from(toFloat32(x1));
    const fromNumbers = kit.cosineSimilarity({ data: asNumbers, shape: x1.shape }, { data: Float64Array.from(toFloat32(x2)), shape: x2.shape }, options);
    expect(Array.from(fromNumbers.data)).toEqual(Array.from(fromFloat32.data));
    using first = kit.alloc(x1.shape);
    using second = kit.alloc(x2.shape);
    first.data.set(toFloat32(x1));
    second.data.set(toFloat32(x2));
    const zeroCopy = kit.cosineSimilarity(first, second, options);
    expect(Array.from(zeroCopy.data)).toEqual(Array.from(fromFloat32.data));
  });

  test.each(normalize.cases.map((entry) => [entry.name, entry] as const))('normalize %s', (_, entry) => {
    const x = entry.inputs.x!;
    const p = entry.params.p === 'inf' ? Number.POSITIVE_INFINITY : (entry.params.p as number);
    const result = kit.normalize({ data: toFloat32(x), shape: x.shape }, { p, dim: entry.params.dim as number, eps: entry.params.eps });
    expect(result.shape).toEqual(entry.expected.shape);
    expectAllClose(result.data, toFloat64(entry.expected), { absolute: 1e-6, relative: 1e-5, context: entry.name });
  });
});
