// Every variant this engine can run agrees with the scalar reference (and the float64
// reference) on lengths 0..70, odd tails, unaligned offsets, zero and non-finite values.
// Runs twice: in plain Node (scalar + simd128 on Node 20) and in the `relaxed` project,
// whose workers start with --experimental-wasm-relaxed-simd.

import { type Cosinekit, createInstanceSync, init, isVariantSupported } from 'cosinekit';
import { describe, expect, test } from 'vitest';
import { expectAllClose } from '../helpers/assertions.js';
import { cosineReference, normalizeReference } from '../helpers/reference.js';

const expectRelaxed = process.env.COSINEKIT_EXPECT_RELAXED === '1';
const nodeMajor = Number(process.versions.node.split('.')[0]);
const variants = (['scalar', 'simd128', 'relaxed'] as const).filter(isVariantSupported);
const kits = new Map(variants.map((variant) => [variant, createInstanceSync({ variant })] as const));
const scalar = kits.get('scalar')!;

function values(seed: number, length: number): Float32Array {
  let state = seed * 2654435761 + 1;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state / 2 ** 32) * 4 - 2;
  });
}

test('auto picks the best variant the engine validates', async () => {
  const info = await init();
  if (expectRelaxed || nodeMajor >= 22) {
    expect(isVariantSupported('relaxed')).toBe(true);
    expect(info.variant).toBe('relaxed');
  } else {
    expect(isVariantSupported('relaxed')).toBe(false);
    expect(info.variant).toBe('simd128');
  }
  expect(variants).toContain('scalar');
  expect(variants).toContain('simd128');
});

describe.each(variants.filter((variant) => variant !== 'scalar'))('%s vs scalar', (variant) => {
  const kit: Cosinekit = kits.get(variant)!;

  test('row cosine for lengths 0..70 at unaligned offsets (zero-copy views)', () => {
    for (let length = 0; length <= 70; length++) {
      for (let offset = 0; offset < 4; offset++) {
        const rows = 3;
        const a = values(length * 10 + offset, rows * length + offset);
        const b = values(length * 10 + offset + 5, rows * length + offset);
        const results = [kit, scalar].map((instance) => {
          using first = instance.alloc([a.length]);
          using second = instance.alloc([b.length]);
          first.data.set(a);
          second.data.set(b);
          const x1 = { data: first.data.subarray(offset), shape: [rows, length] };
          const x2 = { data: second.data.subarray(offset), shape: [rows, length] };
          return Array.from(instance.cosineSimilarity(x1, x2).data);
        });
        expectAllClose(results[0]!, results[1]!, { absolute: 1e-6, context: `length ${length} offset ${offset}` });
        const reference = cosineReference(a.subarray(offset), [rows, length], b.subarray(offset), [rows, length], [1], 1e-8);
        expectAllClose(results[0]!, reference.data, { absolute: 1e-6, context: `reference length ${length}` });
      }
    }
  });

  test('column and strided layouts, zero vectors, NaN, ±∞, huge and tiny values', () => {
    const shape = [2, 7, 37];
    const a = values(1, 2 * 7 * 37);
    const b = values(2, 2 * 7 * 37);
    a.fill(0, 0, 37);
    a[40] = Number.NaN;
    a[41] = Number.POSITIVE_INFINITY;
    for (let index = 100; index < 140; index++) a[index] = a[index]! * 1e25;
    for (let index = 200; index < 240; index++) b[index] = b[index]! * 1e-25;
    for (const dim of [0, 1, 2, [1, 2], [0, 2]]) {
      const options = { dim, eps: 1e-30 };
      const got = kit.cosineSimilarity({ data: a, shape }, { data: b, shape }, options);
      const want = scalar.cosineSimilarity({ data: a, shape }, { data: b, shape }, options);
      expect(got.shape).toEqual(want.shape);
      expectAllClose(got.data, want.data, { absolute: 1e-5, context: `dim ${String(dim)}` });
      const reference = cosineReference(a, shape, b, shape, Array.isArray(dim) ? dim : [dim], 1e-30);
      expectAllClose(got.data, reference.data, { absolute: 1e-5, context: `reference dim ${String(dim)}` });
    }
  });

  test('normalize, rows and columns, all orders', () => {
    for (const [shape, dim] of [
      [[5, 67], 1],
      [[3, 19, 33], 1],
      [[40, 3], 0],
    ] as const) {
      const x = values(shape[0] * 31, shape.reduce((count, extent) => count * extent, 1));
      x[3] = 0;
      for (const p of [1, 2, Number.POSITIVE_INFINITY]) {
        const got = kit.normalize({ data: x, shape }, { p, dim });
        const want = scalar.normalize({ data: x, shape }, { p, dim });
        expectAllClose(got.data, want.data, { absolute: 1e-6, relative: 1e-6, context: `${String(shape)} p ${p}` });
        expectAllClose(got.data, normalizeReference(x, shape, p, dim, 1e-12), { absolute: 1e-6, relative: 1e-6 });
      }
    }
  });
});

test('a WasmTensor of one instance is accepted by another (copied)', () => {
  const other = kits.get(variants[variants.length - 1]!)!;
  using tensor = scalar.alloc([2, 8]);
  tensor.data.set(values(9, 16));
  const here = scalar.cosineSimilarity(tensor, tensor);
  const there = other.cosineSimilarity(tensor, tensor);
  expectAllClose(there.data, here.data, { absolute: 1e-6 });
});
