// pairwiseCosine, pairwiseCosineBlocks, topK and meanCosine: PyTorch fixtures for every
// variant, properties on odd sizes against a float64 reference, and the error contract.

import * as cosinekit from 'cosinekit';
import { type Cosinekit, createInstanceSync, isVariantSupported } from 'cosinekit';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectAllClose } from './helpers/assertions.js';
import { type FixtureTensor, toFloat32, toFloat64 } from './helpers/fixtures.js';
import { matrixReference } from './helpers/reference.js';

interface PairwiseCase {
  name: string;
  inputs: { a: FixtureTensor; b?: FixtureTensor };
  params: { eps: number; scale: number };
  expected: FixtureTensor;
  mean?: number | 'NaN';
}

interface TopKCase {
  name: string;
  inputs: { queries: FixtureTensor; corpus: FixtureTensor };
  params: { k: number; eps: number; excludeSelf: boolean };
  expected: { indices: { shape: number[]; data: number[] }; scores: FixtureTensor };
}

const load = <T>(name: string): { torch: string; cases: T[] } =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const pairwise = load<PairwiseCase>('pairwise');
const topk = load<TopKCase>('topk');
const variants = (['scalar', 'simd128', 'relaxed'] as const).filter(isVariantSupported);
const tensor = (fixture: FixtureTensor) => ({ data: toFloat32(fixture), shape: fixture.shape });

test('fixtures are real PyTorch output', () => {
  expect(pairwise.torch).toMatch(/^1\.13|^2\./);
  expect(pairwise.cases.length).toBeGreaterThanOrEqual(40);
  expect(topk.cases.length).toBeGreaterThanOrEqual(20);
});

describe.each(variants)('%s variant', (variant) => {
  const kit: Cosinekit = createInstanceSync({ variant });

  test.each(pairwise.cases.map((entry) => [entry.name, entry] as const))('pairwiseCosine %s', (_, entry) => {
    const { a, b } = entry.inputs;
    const result = kit.pairwiseCosine(tensor(a), b === undefined ? undefined : tensor(b), entry.params);
    expect(result.shape).toEqual(entry.expected.shape);
    const scale = Math.abs(entry.params.scale);
    expectAllClose(result.data, toFloat64(entry.expected), { absolute: 1e-5 * Math.max(1, scale), context: entry.name });
    if (entry.mean !== undefined) {
      const mean = kit.meanCosine(tensor(a), b === undefined ? undefined : tensor(b));
      const expected = Number(entry.mean);
      if (Number.isNaN(expected)) expect(mean).toBeNaN();
      else expect(Math.abs(mean - expected)).toBeLessThan(1e-6);
    }
  });

  test.each(topk.cases.map((entry) => [entry.name, entry] as const))('topK %s', (_, entry) => {
    const { queries, corpus } = entry.inputs;
    const { k, eps, excludeSelf } = entry.params;
    const result = kit.topK(tensor(queries), tensor(corpus), k, { eps, excludeSelf });
    expect(result.shape).toEqual(entry.expected.indices.shape);
    expect(Array.from(result.indices)).toEqual(entry.expected.indices.data);
    expectAllClose(result.scores, toFloat64(entry.expected.scores), { absolute: 1e-5, context: entry.name });
  });

  test('blocks, topK and the full matrix agree; zero-copy and out', () => {
    const [n, m, d] = [37, 29, 19];
    const a = Float32Array.from({ length: n * d }, (_, index) => Math.sin(index * 0.37 + 1));
    const b = Float32Array.from({ length: m * d }, (_, index) => Math.cos(index * 0.11));
    const full = kit.pairwiseCosine({ data: a, shape: [n, d] }, { data: b, shape: [m, d] });
    expectAllClose(full.data, matrixReference(a, b, n, m, d), { absolute: 1e-5 });
    const rows: number[] = [];
    for (const block of kit.pairwiseCosineBlocks({ data: a, shape: [n, d] }, { data: b, shape: [m, d] }, { blockRows: 8 })) {
      expect(block.rowStart).toBe(rows.length / m);
      expect(block.data.length).toBe(block.rows * m);
      rows.push(...block.data);
    }
    expect(rows).toEqual(Array.from(full.data));
    using wasmA = kit.alloc([n, d]);
    using wasmB = kit.alloc([m, d]);
    using out = kit.alloc([n, m]);
    wasmA.data.set(a);
    wasmB.data.set(b);
    kit.pairwiseCosine(wasmA, wasmB, { out });
    expect(Array.from(out.data)).toEqual(Array.from(full.data));
    const best = kit.topK(wasmA, wasmB, 1);
    for (let i = 0; i < n; i++) {
      const row = full.data.subarray(i * m, (i + 1) * m);
      const max = Math.max(...row);
      expect(best.indices[i]).toBe(row.indexOf(max));
      expect(best.scores[i]).toBe(max);
    }
  });
});

beforeAll(async () => {
  await cosinekit.init();
});

test('properties: odd sizes 1..67 in every dimension, batched, scaled', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 67 }),
      fc.integer({ min: 1, max: 67 }),
      fc.integer({ min: 1, max: 67 }),
      fc.integer({ min: 1, max: 3 }),
      fc.double({ min: -20, max: 20, noNaN: true }),
      fc.integer(),
      (n, m, d, batch, scale, seed) => {
        let state = seed >>> 0 || 1;
        const next = () => {
          state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
          return state / 2 ** 31 - 1;
        };
        const a = Float32Array.from({ length: batch * n * d }, next);
        const b = Float32Array.from({ length: batch * m * d }, next);
        const result = cosinekit.pairwiseCosine({ data: a, shape: [batch, n, d] }, { data: b, shape: [batch, m, d] }, { scale });
        expect(result.shape).toEqual([batch, n, m]);
        for (let index = 0; index < batch; index++) {
          const expected = matrixReference(a.subarray(index * n * d), b.subarray(index * m * d), n, m, d, Math.fround(scale));
          expectAllClose(result.data.subarray(index * n * m, (index + 1) * n * m), expected, { absolute: 1e-5 * Math.max(1, Math.abs(scale)) });
        }
        const k = Math.min(m, 1 + (seed >>> 0) % 5);
        const top = cosinekit.topK({ data: a.subarray(0, n * d), shape: [n, d] }, { data: b.subarray(0, m * d), shape: [m, d] }, k);
        const unscaled = matrixReference(a, b, n, m, d);
        for (let i = 0; i < n; i++) {
          const row = unscaled.slice(i * m, (i + 1) * m);
          const order = row.map((value, j) => [value, j] as const).sort((left, right) => right[0] - left[0] || left[1] - right[1]);
          expectAllClose(top.scores.subarray(i * k, (i + 1) * k), order.slice(0, k).map(([value]) => value), { absolute: 1e-5 });
        }
      },
    ),
    { numRuns: 120, seed: 3 },
  );
});

test('topK over many tiles and query blocks matches a sort of the full matrix', () => {
  const [q, n, d, k] = [300, 1100, 24, 10];
  let state = 99;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 31 - 1;
  };
  const queries = Float32Array.from({ length: q * d }, next);
  const corpus = Float32Array.from({ length: n * d }, next);
  const full = cosinekit.pairwiseCosine({ data: queries, shape: [q, d] }, { data: corpus, shape: [n, d] });
  const top = cosinekit.topK({ data: queries, shape: [q, d] }, { data: corpus, shape: [n, d] }, k);
  for (let i = 0; i < q; i++) {
    const row = full.data.subarray(i * n, (i + 1) * n);
    const order = Array.from(row, (value, j) => [value, j] as const).sort((left, right) => right[0] - left[0] || left[1] - right[1]);
    expect(Array.from(top.indices.subarray(i * k, (i + 1) * k))).toEqual(order.slice(0, k).map(([, j]) => j));
    expect(Array.from(top.scores.subarray(i * k, (i + 1) * k))).toEqual(order.slice(0, k).map(([value]) => value));
  }
  const self = cosinekit.topK({ data: corpus, shape: [n, d] }, { data: corpus, shape: [n, d] }, 3, { excludeSelf: true });
  for (let i = 0; i < n; i++) expect(Array.from(self.indices.subarray(i * 3, i * 3 + 3))).not.toContain(i);
});

test('meanCosine equals the mean of the matrix without building it', () => {
  const [n, m, d] = [50, 70, 33];
  const a = Float32Array.from({ length: n * d }, (_, index) => Math.sin(index));
  const b = Float32Array.from({ length: m * d }, (_, index) => Math.cos(index * 3));
  const expected = matrixReference(a, b, n, m, d).reduce((sum, value) => sum + value, 0) / (n * m);
  expect(Math.abs(cosinekit.meanCosine({ data: a, shape: [n, d] }, { data: b, shape: [m, d] }) - expected)).toBeLessThan(1e-7);
  const self = matrixReference(a, a, n, n, d).reduce((sum, value) => sum + value, 0) / (n * n);
  expect(Math.abs(cosinekit.meanCosine({ data: a, shape: [n, d] }) - self)).toBeLessThan(1e-7);
});

test('repeated calls release all scratch', () => {
  const a = { data: Float32Array.from({ length: 40 * 16 }, (_, index) => Math.sin(index)), shape: [40, 16] };
  cosinekit.pairwiseCosine(a);
  const heap = cosinekit.heapBytesInUse();
  const memory = cosinekit.backendInfo().memoryBytes;
  for (let index = 0; index < 2000; index++) {
    cosinekit.pairwiseCosine(a, a, { scale: 2 });
    cosinekit.topK(a, a, 5, { excludeSelf: true });
    cosinekit.meanCosine(a);
    for (const block of cosinekit.pairwiseCosineBlocks(a, undefined, { blockRows: 7 })) if (block.rows === 0) throw new Error('empty block');
  }
  expect(cosinekit.heapBytesInUse()).toBe(heap);
  expect(cosinekit.backendInfo().memoryBytes).toBe(memory);
});

describe('errors', () => {
  const a = { data: new Float32Array(12).fill(1), shape: [3, 4] };
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['mismatched D', () => cosinekit.pairwiseCosine(a, { data: new Float32Array(10), shape: [2, 5] }), RangeError, /rows of a \[3,4\] have length 4 but rows of b \[2,5\] have length 5/],
    ['batch mismatch', () => cosinekit.pairwiseCosine({ data: new Float32Array(24), shape: [2, 3, 4] }, { data: new Float32Array(36), shape: [3, 3, 4] }), RangeError, /batch sizes differ/],
    ['rank mismatch', () => cosinekit.pairwiseCosine({ data: new Float32Array(24), shape: [2, 3, 4] }, a), RangeError, /same rank/],
    ['1-d input', () => cosinekit.pairwiseCosine({ data: new Float32Array(4), shape: [4] }), RangeError, /a must have shape \[N, D\] or \[B, N, D\], got \[4\]/],
    ['zero-size dim', () => cosinekit.pairwiseCosine({ data: new Float32Array(0), shape: [0, 4] }), RangeError, /empty dimension/],
    ['options in place of b', () => cosinekit.pairwiseCosine(a, { scale: 2 } as never), TypeError, /pairwiseCosine\(a, undefined, options\)/],
    ['non-finite scale', () => cosinekit.pairwiseCosine(a, a, { scale: Number.POSITIVE_INFINITY }), RangeError, /scale must be a finite number, got Infinity/],
    ['result too large', () => cosinekit.pairwiseCosine({ data: new Float32Array(40000), shape: [40000, 1] }), RangeError, /use pairwiseCosineBlocks|stream it with pairwiseCosineBlocks/],
    ['out of the wrong size', () => cosinekit.pairwiseCosine(a, a, { out: new Float32Array(8) }), RangeError, /out has 8 elements but the result \[3,3\] has 9/],
    ['k > N', () => cosinekit.topK(a, a, 4), RangeError, /k must be an integer from 1 to the corpus size \(3\), got 4/],
    ['k = N with excludeSelf', () => cosinekit.topK(a, a, 3, { excludeSelf: true }), RangeError, /from 1 to the corpus minus the query itself \(2\), got 3/],
    ['k = 0', () => cosinekit.topK(a, a, 0), RangeError, /got 0/],
    ['k not a number', () => cosinekit.topK(a, a, '2' as never), TypeError, /k must be an integer, got "2"/],
    ['fractional k', () => cosinekit.topK(a, a, 1.5), RangeError, /got 1\.5/],
    ['excludeSelf with more queries', () => cosinekit.topK({ data: new Float32Array(16), shape: [4, 4] }, a, 1, { excludeSelf: true }), RangeError, /4 queries and 3 corpus rows/],
    ['topK D mismatch', () => cosinekit.topK(a, { data: new Float32Array(10), shape: [2, 5] }, 1), RangeError, /have length 4 but rows of corpus/],
    ['blockRows', () => cosinekit.pairwiseCosineBlocks(a, a, { blockRows: 0 }), RangeError, /blockRows must be a positive integer, got 0/],
    ['blocks of a batch', () => cosinekit.pairwiseCosineBlocks({ data: new Float32Array(24), shape: [2, 3, 4] }), RangeError, /must have shape \[N, D\]/],
    ['meanCosine D mismatch', () => cosinekit.meanCosine(a, { data: new Float32Array(5), shape: [1, 5] }), RangeError, /length 4 but rows of b/],
  ];
  test.each(cases)('%s', (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    expect(cosinekit.pairwiseCosine(a).data[0]).toBeCloseTo(1, 6);
  });
});
