// PyTorch semantics that users get wrong, stated as tests against the f64 reference, plus
// the output and memory contract of SPEC.md.

import * as cosinekit from 'cosinekit';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectAllClose } from './helpers/assertions.js';
import { cosineReference, normalizeReference } from './helpers/reference.js';

function random(seed: number, length: number, scale = 1): Float32Array {
  let state = seed >>> 0 || 1;
  return Float32Array.from({ length }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 2 ** 32 - 0.5) * 2 * scale;
  });
}

beforeAll(async () => {
  await cosinekit.init();
});

describe('the forum thread cases', () => {
  const input1 = random(1, 800).map(Math.abs);
  const input2 = random(2, 800).map(Math.abs);

  test('[1,2,20,20] with dim=1 gives [1,20,20]: channels are the vector coordinates', () => {
    const result = cosinekit.cosineSimilarity({ data: input1, shape: [1, 2, 20, 20] }, { data: input2, shape: [1, 2, 20, 20] }, { dim: 1, eps: 1e-6 });
    expect(result.shape).toEqual([1, 20, 20]);
    const reference = cosineReference(input1, [1, 2, 20, 20], input2, [1, 2, 20, 20], [1], 1e-6);
    expectAllClose(result.data, reference.data);
  });

  test('dim=0 over a size-1 batch gives all ones (each "vector" is one non-negative number)', () => {
    const result = cosinekit.cosineSimilarity({ data: input1, shape: [1, 2, 20, 20] }, { data: input2, shape: [1, 2, 20, 20] }, { dim: 0 });
    expect(result.shape).toEqual([2, 20, 20]);
    for (const value of result.data) expect(value).toBeCloseTo(1, 6);
  });

  test('per-channel similarity via dim [2,3] equals flattening H and W', () => {
    const a = random(3, 200);
    const b = random(4, 200);
    const perChannel = cosinekit.cosineSimilarity({ data: a, shape: [1, 2, 10, 10] }, { data: b, shape: [1, 2, 10, 10] }, { dim: [2, 3] });
    const flattened = cosinekit.cosineSimilarity({ data: a, shape: [1, 2, 100] }, { data: b, shape: [1, 2, 100] }, { dim: 2 });
    expect(perChannel.shape).toEqual([1, 2]);
    expectAllClose(perChannel.data, flattened.data, { absolute: 1e-6 });
    expectAllClose(perChannel.data, cosineReference(a, [1, 2, 10, 10], b, [1, 2, 10, 10], [2, 3], 1e-8).data);
  });

  test('the full N×M matrix through broadcasting [N,1,D] with [1,M,D]', () => {
    const a = random(5, 3 * 16);
    const b = random(6, 4 * 16);
    const matrix = cosinekit.cosineSimilarity({ data: a, shape: [3, 1, 16] }, { data: b, shape: [1, 4, 16] }, { dim: -1 });
    expect(matrix.shape).toEqual([3, 4]);
    expectAllClose(matrix.data, cosineReference(a, [3, 1, 16], b, [1, 4, 16], [-1], 1e-8).data);
  });
});

describe('dims, broadcasting and options', () => {
  test('negative dims wrap; a list of dims reduces them together', () => {
    const a = random(7, 2 * 3 * 4 * 5);
    const b = random(8, 2 * 3 * 4 * 5);
    const shape = [2, 3, 4, 5];
    for (const dim of [0, 1, 2, 3, -1, -2, -3, -4, [0, 2], [1, 3], [-1, 0], [0, 1, 2, 3]]) {
      const result = cosinekit.cosineSimilarity({ data: a, shape }, { data: b, shape }, { dim });
      const reference = cosineReference(a, shape, b, shape, Array.isArray(dim) ? dim : [dim], 1e-8);
      expect(result.shape, `dim ${String(dim)}`).toEqual(reference.shape);
      expectAllClose(result.data, reference.data, { context: `dim ${String(dim)}` });
    }
  });

  test('a size-1 extent along dim broadcasts', () => {
    const a = random(9, 3);
    const b = random(10, 15);
    const result = cosinekit.cosineSimilarity({ data: a, shape: [3, 1] }, { data: b, shape: [3, 5] }, { dim: 1 });
    expect(result.shape).toEqual([3]);
    expectAllClose(result.data, cosineReference(a, [3, 1], b, [3, 5], [1], 1e-8).data);
  });

  test('clamp and cosineDistance', () => {
    const a = Float32Array.from({ length: 64 }, (_, index) => Math.sin(index) * 1e3);
    const same = cosinekit.cosineSimilarity({ data: a, shape: [64] }, { data: a, shape: [64] }, { dim: 0 });
    const clamped = cosinekit.cosineSimilarity({ data: a, shape: [64] }, { data: a, shape: [64] }, { dim: 0, clamp: true });
    expect(Math.abs(same.data[0]! - 1)).toBeLessThan(1e-6);
    expect(clamped.data[0]).toBeLessThanOrEqual(1);
    const b = random(11, 64);
    const distance = cosinekit.cosineDistance({ data: a, shape: [64] }, { data: b, shape: [64] }, { dim: 0 });
    const reference = cosineReference(a, [64], b, [64], [0], 1e-8).data[0]!;
    expect(Math.abs(distance.data[0]! - (1 - reference))).toBeLessThan(1e-6);
  });

  test('normalize along every dim, p = 1, 2, ∞', () => {
    const shape = [3, 4, 5];
    const x = random(12, 60);
    for (const p of [1, 2, Number.POSITIVE_INFINITY]) {
      for (const dim of [0, 1, 2, -1]) {
        const result = cosinekit.normalize({ data: x, shape }, { p, dim });
        expect(result.shape).toEqual(shape);
        expectAllClose(result.data, normalizeReference(x, shape, p, dim, 1e-12), { absolute: 1e-6, relative: 1e-6, context: `p ${p} dim ${dim}` });
      }
    }
  });
});

describe('outputs and memory', () => {
  test('results are fresh JS-owned arrays that later calls do not overwrite', () => {
    const a = { data: random(13, 32), shape: [4, 8] };
    const first = cosinekit.cosineSimilarity(a, a);
    const copy = Array.from(first.data);
    const b = { data: random(14, 32), shape: [4, 8] };
    cosinekit.cosineSimilarity(a, b);
    expect(first.data.buffer).not.toBe(cosinekit.alloc([1]).data.buffer);
    expect(Array.from(first.data)).toEqual(copy);
  });

  test('out: a Float32Array, a WasmTensor, and normalize in place', () => {
    const a = { data: random(15, 40), shape: [5, 8] };
    const b = { data: random(16, 40), shape: [5, 8] };
    const expected = cosinekit.cosineSimilarity(a, b).data;
    const out = new Float32Array(5);
    const viaArray = cosinekit.cosineSimilarity(a, b, { out });
    expect(viaArray.data).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(expected));
    using target = cosinekit.alloc([5]);
    const viaTensor = cosinekit.cosineSimilarity(a, b, { out: target });
    expect(Array.from(target.data)).toEqual(Array.from(expected));
    expect(viaTensor.data.buffer).toBe(target.data.buffer);

    using inPlace = cosinekit.alloc([5, 8]);
    inPlace.data.set(a.data);
    cosinekit.normalize(inPlace, { out: inPlace });
    expectAllClose(inPlace.data, normalizeReference(a.data, [5, 8], 2, 1, 1e-12), { absolute: 1e-6 });
  });

  test('an out that overlaps an input is handled through scratch', () => {
    using buffer = cosinekit.alloc([10, 4]);
    buffer.data.set(random(17, 40));
    const input = Array.from(buffer.data);
    const expected = cosineReference(input, [10, 4], input, [10, 4], [1], 1e-8).data;
    // out = the first 10 floats of the very tensor being read.
    const out = buffer.data.subarray(0, 10);
    cosinekit.cosineSimilarity(buffer, buffer, { out });
    expectAllClose(buffer.data.subarray(0, 10), expected);
  });

  test('WasmTensor.data stays valid across memory.grow', () => {
    using small = cosinekit.alloc([4]);
    small.data.set([1, 2, 3, 4]);
    const before = cosinekit.backendInfo().memoryBytes;
    const big = cosinekit.alloc([8 * 1024 * 1024]); // 32 MiB: forces memory.grow
    expect(cosinekit.backendInfo().memoryBytes).toBeGreaterThan(before);
    expect(Array.from(small.data)).toEqual([1, 2, 3, 4]);
    const result = cosinekit.cosineSimilarity(small, small, { dim: 0 });
    expect(result.data[0]).toBeCloseTo(1, 6);
    big.dispose();
    expect(() => big.data).toThrow(/disposed/);
  });

  test('100k calls do not grow memory or leak heap', () => {
    const a = { data: random(18, 3 * 24), shape: [3, 24] };
    const b = { data: Array.from(random(19, 24)), shape: [24] };
    for (let index = 0; index < 1000; index++) cosinekit.cosineSimilarity(a, b);
    const memory = cosinekit.backendInfo().memoryBytes;
    const heap = cosinekit.heapBytesInUse();
    for (let index = 0; index < 100_000; index++) {
      if (index % 2 === 0) cosinekit.cosineSimilarity(a, b);
      else cosinekit.normalize(a);
    }
    expect(cosinekit.backendInfo().memoryBytes).toBe(memory);
    expect(cosinekit.heapBytesInUse()).toBe(heap);
  });
});
