// Bad input gets a specific TypeError/RangeError naming the value, thrown before anything
// runs, and the library keeps working afterwards.

import * as cosinekit from 'cosinekit';
import { beforeAll, describe, expect, test } from 'vitest';

const good = { data: new Float32Array(12).fill(1), shape: [3, 4] };

beforeAll(async () => {
  await cosinekit.init();
});

type Case = [label: string, call: () => unknown, type: typeof TypeError | typeof RangeError, message: RegExp];

const cases: Case[] = [
  ['x1 not a tensor', () => cosinekit.cosineSimilarity(42 as never, good), TypeError, /x1 must be a tensor .* got 42/],
  ['x2 null', () => cosinekit.cosineSimilarity(good, null as never), TypeError, /x2 must be a tensor .* got null/],
  ['data of the wrong type', () => cosinekit.cosineSimilarity({ data: new Int32Array(12), shape: [3, 4] } as never, good), TypeError, /x1\.data must be a Float32Array, Float64Array or number\[\], got a Int32Array/],
  ['shape not an array', () => cosinekit.cosineSimilarity({ data: new Float32Array(12), shape: 12 } as never, good), TypeError, /x1\.shape must be an array .* got 12/],
  ['negative extent', () => cosinekit.cosineSimilarity({ data: new Float32Array(12), shape: [-3, 4] }, good), RangeError, /x1\.shape\[0\] must be a non-negative integer, got -3/],
  ['non-integer extent', () => cosinekit.cosineSimilarity({ data: new Float32Array(12), shape: [3, 4.5] }, good), RangeError, /x1\.shape\[1\] must be a non-negative integer, got 4\.5/],
  ['NaN extent', () => cosinekit.cosineSimilarity({ data: new Float32Array(12), shape: [Number.NaN] }, good), RangeError, /x1\.shape\[0\] .* got NaN/],
  ['huge shape', () => cosinekit.cosineSimilarity({ data: new Float32Array(1), shape: [65536, 65536] }, good), RangeError, /has 4294967296 elements/],
  ['length ≠ product', () => cosinekit.cosineSimilarity({ data: new Float32Array(11), shape: [3, 4] }, good), RangeError, /x1\.data has 11 elements but shape \[3,4\] needs 12/],
  ['number[] with a string', () => cosinekit.cosineSimilarity({ data: [1, 2, '3', 4] as never, shape: [1, 4] }, { data: [1, 2, 3, 4], shape: [1, 4] }), TypeError, /x1\.data\[2\] must be a number, got "3"/],
  ['not broadcastable', () => cosinekit.cosineSimilarity(good, { data: new Float32Array(20), shape: [5, 4] }), RangeError, /cannot broadcast x1 shape \[3,4\] with x2 shape \[5,4\]/],
  ['dim out of range', () => cosinekit.cosineSimilarity(good, good, { dim: 2 }), RangeError, /dim 2 is out of range .*\[3,4\].*\[-2, 1\]/],
  ['dim too negative', () => cosinekit.cosineSimilarity(good, good, { dim: -3 }), RangeError, /dim -3 is out of range/],
  ['default dim on 1-d input', () => cosinekit.cosineSimilarity({ data: [1, 2], shape: [2] }, { data: [1, 2], shape: [2] }), RangeError, /dim 1 is out of range .*\[-1, 0\]/],
  ['non-integer dim', () => cosinekit.cosineSimilarity(good, good, { dim: 0.5 }), RangeError, /dim must be an integer, got 0\.5/],
  ['dim as string', () => cosinekit.cosineSimilarity(good, good, { dim: '1' as never }), TypeError, /dim must be an integer, got "1"/],
  ['repeated dims', () => cosinekit.cosineSimilarity(good, good, { dim: [1, -1] }), RangeError, /names dimension 1 twice/],
  ['empty dim list', () => cosinekit.cosineSimilarity(good, good, { dim: [] }), RangeError, /non-empty array of dims/],
  ['negative eps', () => cosinekit.cosineSimilarity(good, good, { eps: -1 }), RangeError, /eps must be a finite number ≥ 0, got -1/],
  ['NaN eps', () => cosinekit.cosineSimilarity(good, good, { eps: Number.NaN }), RangeError, /eps .* got NaN/],
  ['clamp not boolean', () => cosinekit.cosineSimilarity(good, good, { clamp: 1 as never }), TypeError, /clamp must be a boolean, got 1/],
  ['unknown option', () => cosinekit.cosineSimilarity(good, good, { dims: 1 } as never), TypeError, /no option "dims"/],
  ['options not an object', () => cosinekit.cosineSimilarity(good, good, 1 as never), TypeError, /options must be an object, got 1/],
  ['out of the wrong size', () => cosinekit.cosineSimilarity(good, good, { out: new Float32Array(4) }), RangeError, /out has 4 elements but the result \[3\] has 3/],
  ['out of the wrong type', () => cosinekit.cosineSimilarity(good, good, { out: new Float64Array(3) as never }), TypeError, /out must be a Float32Array or a WasmTensor, got a Float64Array/],
  ['p not 1, 2, ∞', () => cosinekit.normalize(good, { p: 3 }), RangeError, /p must be 1, 2 or Infinity, got 3/],
  ['normalize dim out of range', () => cosinekit.normalize(good, { dim: 5 }), RangeError, /dim 5 is out of range for x of shape \[3,4\]/],
  ['normalize a 0-d tensor', () => cosinekit.normalize({ data: [1], shape: [] }), RangeError, /has no dimensions/],
  ['alloc with a bad shape', () => cosinekit.alloc([2, -1]), RangeError, /shape\[1\] must be a non-negative integer, got -1/],
  ['alloc beyond WASM memory', () => cosinekit.alloc([1024, 1024, 1024]), RangeError, /1073741824 elements|cannot allocate/],
];

describe('errors', () => {
  test.each(cases)('%s', (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    // Still usable.
    expect(cosinekit.cosineSimilarity(good, good).data[0]).toBeCloseTo(1, 6);
  });

  test('loader options and variant names are validated', async () => {
    expect(() => cosinekit.isVariantSupported('bogus' as never)).toThrow(RangeError);
    expect(() => cosinekit.isVariantSupported('bogus' as never)).toThrow(/variant must be 'relaxed', 'simd128' or 'scalar', got "bogus"/);
    expect(() => cosinekit.isVariantSupported(3 as never)).toThrow(TypeError);
    expect(() => cosinekit.createInstanceSync({ variant: 4 as never })).toThrow(/variant must be 'auto', 'relaxed', 'simd128' or 'scalar', got 4/);
    expect(() => cosinekit.createInstanceSync({ variant: 4 as never })).toThrow(TypeError);
    expect(() => cosinekit.createInstanceSync({ variant: 'fast' as never })).toThrow(RangeError);
    expect(() => cosinekit.createInstanceSync([] as never)).toThrow(TypeError);
    expect(() => cosinekit.createInstanceSync({ variants: 'scalar' } as never)).toThrow(/no option "variants"/);
    const hostile = Object.defineProperty({}, 'variant', { enumerable: true, get: () => { throw new Error('boom'); } });
    expect(() => cosinekit.createInstanceSync(hostile as never)).toThrow(TypeError);
    await expect(cosinekit.createInstance({ variant: 'nope' as never })).rejects.toThrow(RangeError);
  });

  test('a disposed WasmTensor is refused, and a detached view is explained', () => {
    const tensor = cosinekit.alloc([3, 4]);
    const staleView = tensor.data;
    tensor.dispose();
    tensor.dispose();
    expect(() => cosinekit.cosineSimilarity(tensor, good)).toThrow(/x1 is a disposed WasmTensor/);
    // Force memory.grow: the old view's buffer is detached.
    const big = cosinekit.alloc([16 * 1024 * 1024]);
    try {
      expect(() => cosinekit.cosineSimilarity({ data: staleView, shape: [3, 4] }, good)).toThrow(/detached/);
    } finally {
      big.dispose();
    }
  });

  test('an allocation the engine refuses leaves every live tensor intact', () => {
    using keep = cosinekit.alloc([1000]);
    keep.data.fill(3.5);
    // 2^29 floats = 2 GiB: larger than one allocation may be.
    expect(() => cosinekit.alloc([2 ** 29])).toThrow(RangeError);
    expect(keep.data.every((value) => value === 3.5)).toBe(true);
    expect(cosinekit.cosineSimilarity(keep, keep, { dim: 0 }).data[0]).toBeCloseTo(1, 6);
  });

  test('a raw view of WASM memory outside any WasmTensor is never written', () => {
    using tensor = cosinekit.alloc([8]);
    const stray = new Float32Array(tensor.data.buffer, 0, 3);
    expect(() => cosinekit.cosineSimilarity(good, good, { out: stray })).toThrow(/outside every live WasmTensor/);
  });
});
