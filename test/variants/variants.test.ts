// Every variant this engine can run agrees with the scalar reference (and the float64
// reference) on lengths 0..70, odd tails, unaligned offsets, zero and non-finite values.
// Runs twice: in plain Node (scalar + simd128 on Node 20) and in the `relaxed` project,
// whose workers start with --experimental-wasm-relaxed-simd.

import { type Cosinekit, createInstanceSync, init, isVariantSupported } from 'cosinekit';
import { describe, expect, test } from 'vitest';
import { expectAllClose } from '../helpers/assertions.js';
import { cosineReference, matrixReference, normalizeReference } from '../helpers/reference.js';

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

// Every kernel at the sizes a JS copy of the kernels used to answer (below 512 multiply-adds
// for cosine, 1024 elements for normalize): lengths 0..70, operands at unaligned offsets in
// WASM memory, each variant against scalar and against a float64 reference.
describe.each(variants.filter((variant) => variant !== 'scalar'))('%s vs scalar at small sizes, every kernel', (variant) => {
  const kit: Cosinekit = kits.get(variant)!;

  /**
   * `data` copied into a tensor of `instance` at `offset` floats; `view()` reads it from there
   * (taken after every allocation: one that grows memory detaches earlier views).
   */
  function placed(instance: Cosinekit, data: Float32Array, offset: number): { readonly view: Float32Array; release: () => void } {
    const tensor = instance.alloc([data.length + offset]);
    tensor.data.set(data, offset);
    return {
      get view() {
        return tensor.data.subarray(offset);
      },
      release: () => tensor.dispose(),
    };
  }

  test('cosine (one pair): lengths 0..70, unaligned, bitwise equal to the same variant’s tensor result', () => {
    for (let length = 0; length <= 70; length++) {
      for (let offset = 0; offset < 4; offset++) {
        const a = values(length * 3 + offset, length);
        const b = values(length * 3 + offset + 1, length);
        const got = [kit, scalar].map((instance) => {
          const first = placed(instance, a, offset);
          const second = placed(instance, b, offset);
          try {
            const pair = instance.cosine(first.view, second.view);
            const tensor = instance.cosineSimilarity({ data: first.view, shape: [length] }, { data: second.view, shape: [length] }, { dim: 0 }).data[0]!;
            expect(Object.is(pair, tensor), `${instance.backendInfo().variant} length ${length}`).toBe(true);
            return pair;
          } finally {
            first.release();
            second.release();
          }
        });
        expectAllClose([got[0]!], [got[1]!], { absolute: 1e-6, context: `length ${length} offset ${offset}` });
        expectAllClose([got[0]!], cosineReference(a, [length], b, [length], [0], 1e-8).data, { absolute: 1e-6 });
      }
    }
  });

  test('normalize: lengths 0..70 along rows and columns, unaligned, p = 1, 2, ∞', () => {
    for (let length = 0; length <= 70; length++) {
      const offset = length % 4;
      const x = values(length + 77, 3 * length);
      for (const [shape, dim] of [
        [[3, length], 1],
        [[length, 3], 0],
      ] as const) {
        for (const p of [1, 2, Number.POSITIVE_INFINITY]) {
          const results = [kit, scalar].map((instance) => {
            const input = placed(instance, x, offset);
            try {
              return Array.from(instance.normalize({ data: input.view, shape }, { p, dim }).data);
            } finally {
              input.release();
            }
          });
          const context = `shape [${String(shape)}] p ${p}`;
          expectAllClose(results[0]!, results[1]!, { absolute: 1e-6, relative: 1e-6, context });
          expectAllClose(results[0]!, normalizeReference(x, shape, p, dim, 1e-12), { absolute: 1e-6, relative: 1e-6, context });
        }
      }
    }
  });

  test('pairwiseCosine, topK and meanCosine: D = 1..70, N, M = 1..9, unaligned', () => {
    for (let depth = 1; depth <= 70; depth += 3) {
      const rows = 1 + (depth % 9);
      const columns = 1 + ((depth * 5) % 9);
      const offset = depth % 4;
      const a = values(depth, rows * depth);
      const b = values(depth + 900, columns * depth);
      const want = matrixReference(a, b, rows, columns, depth);
      const results = [kit, scalar].map((instance) => {
        const first = placed(instance, a, offset);
        const second = placed(instance, b, offset);
        try {
          const matrix = instance.pairwiseCosine({ data: first.view, shape: [rows, depth] }, { data: second.view, shape: [columns, depth] }, { scale: 3 });
          const found = instance.topK({ data: first.view, shape: [rows, depth] }, { data: second.view, shape: [columns, depth] }, Math.min(3, columns));
          const mean = instance.meanCosine({ data: first.view, shape: [rows, depth] }, { data: second.view, shape: [columns, depth] });
          return { matrix: Array.from(matrix.data), scores: Array.from(found.scores), indices: Array.from(found.indices), mean };
        } finally {
          first.release();
          second.release();
        }
      });
      const context = `D ${depth} (${rows}×${columns})`;
      const [got, reference] = results as [(typeof results)[0], (typeof results)[0]];
      expectAllClose(got.matrix, reference.matrix, { absolute: 3e-6, context });
      expectAllClose(got.matrix, want.map((value) => 3 * value), { absolute: 3e-6, context });
      expectAllClose(got.scores, reference.scores, { absolute: 1e-6, context });
      expectAllClose([got.mean], [want.reduce((sum, value) => sum + value, 0) / want.length], { absolute: 1e-6, context });
      // Rows whose best scores are not near-ties pick the same neighbours in every build.
      for (let row = 0; row < rows; row++) {
        const k = Math.min(3, columns);
        const expected = want.slice(row * columns, (row + 1) * columns).map((score, index) => ({ score, index })).sort((x, y) => y.score - x.score || x.index - y.index);
        const gaps = expected.slice(0, k).every((entry, rank) => rank + 1 >= expected.length || entry.score - expected[rank + 1]!.score > 1e-5);
        if (gaps) expect(got.indices.slice(row * k, (row + 1) * k), context).toEqual(expected.slice(0, k).map((entry) => entry.index));
      }
    }
  });

  test('the losses at small batches: infoNCE, clipLoss, cosineEmbeddingLoss with gradients', () => {
    for (const [rows, depth] of [
      [2, 1],
      [2, 3],
      [4, 7],
      [6, 17],
      [8, 70],
    ] as const) {
      const features = values(rows * depth, rows * depth);
      const other = values(rows * depth + 5, rows * depth);
      const target = Array.from({ length: rows }, (_, index) => (index % 3 === 0 ? -1 : 1));
      const results = [kit, scalar].map((instance) => {
        const nce = instance.infoNCE({ data: features, shape: [rows, depth] }, { grad: true });
        const clip = instance.clipLoss({ data: features, shape: [rows, depth] }, { data: other, shape: [rows, depth] }, { grad: true });
        const embedding = instance.cosineEmbeddingLoss({ data: features, shape: [rows, depth] }, { data: other, shape: [rows, depth] }, target, { margin: 0.1 });
        return { nce: nce.loss, nceGrad: Array.from(nce.grad.data), clip: clip.loss, clipGrad: [...clip.gradImage.data, ...clip.gradText.data, clip.gradLogitScale], embedding };
      });
      const [got, reference] = results as [(typeof results)[0], (typeof results)[0]];
      const context = `[${rows}, ${depth}]`;
      expectAllClose([got.nce, got.clip, got.embedding], [reference.nce, reference.clip, reference.embedding], { absolute: 1e-6, relative: 1e-5, context });
      expectAllClose(got.nceGrad, reference.nceGrad, { absolute: 1e-6, relative: 1e-5, context });
      expectAllClose(got.clipGrad, reference.clipGrad, { absolute: 1e-6, relative: 1e-5, context });
    }
  });

  test('tripletLoss with gradients (every reduction) across variants', () => {
    for (const [rows, depth] of [
      [1, 1],
      [3, 5],
      [17, 70],
      [300, 9],
    ] as const) {
      const [anchor, positive, negative] = [1, 2, 3].map((seed) => ({ data: values(rows * depth + seed + 10, rows * depth), shape: [rows, depth] }));
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const results = [kit, scalar].map((instance) => {
          const result = instance.tripletLoss(anchor!, positive!, negative!, { margin: 0.7, reduction, grad: true });
          return { losses: typeof result.loss === 'number' ? [result.loss] : Array.from(result.loss), gradients: [...result.gradAnchor.data, ...result.gradPositive.data, ...result.gradNegative.data] };
        });
        const [got, reference] = results as [(typeof results)[0], (typeof results)[0]];
        const context = `triplet [${rows}, ${depth}] ${reduction}`;
        expectAllClose(got.losses, reference.losses, { absolute: 1e-6, relative: 1e-5, context });
        expectAllClose(got.gradients, reference.gradients, { absolute: 1e-6, relative: 1e-5, context });
      }
    }
  });

  test('mocoLoss with its gradient across variants, queues past one tile', () => {
    for (const [rows, queueRows, depth] of [
      [1, 1, 1],
      [3, 7, 5],
      [9, 300, 70],
      [260, 513, 6],
    ] as const) {
      const query = { data: values(rows * depth + 21, rows * depth), shape: [rows, depth] };
      const key = { data: values(rows * depth + 22, rows * depth), shape: [rows, depth] };
      const queue = { data: values(queueRows * depth + 23, queueRows * depth), shape: [queueRows, depth] };
      const results = [kit, scalar].map((instance) => {
        const result = instance.mocoLoss(query, key, queue, { temperature: 0.1, grad: true });
        return { losses: [result.loss], gradients: Array.from(result.gradQuery.data) };
      });
      const [got, reference] = results as [(typeof results)[0], (typeof results)[0]];
      const context = `moco [${rows}, ${depth}] queue ${queueRows}`;
      expectAllClose(got.losses, reference.losses, { absolute: 1e-6, relative: 1e-5, context });
      expectAllClose(got.gradients, reference.gradients, { absolute: 1e-6, relative: 1e-5, context });
    }
  });

  test('sigLipLoss and multipleNegativesRankingLoss with gradients, across tiles (up to 300 rows)', () => {
    for (const [rows, extra, depth] of [
      [1, 0, 1],
      [2, 1, 3],
      [5, 4, 7],
      [9, 0, 70],
      [300, 20, 5],
    ] as const) {
      const image = values(rows * depth + 1, rows * depth);
      const text = values(rows * depth + 2, rows * depth);
      const candidates = values(rows * depth + 3, (rows + extra) * depth);
      const results = [kit, scalar].map((instance) => {
        const siglip = instance.sigLipLoss({ data: image, shape: [rows, depth] }, { data: text, shape: [rows, depth] }, { grad: true });
        const ranking = instance.multipleNegativesRankingLoss({ data: image, shape: [rows, depth] }, { data: candidates, shape: [rows + extra, depth] }, { grad: true });
        return {
          losses: [siglip.loss, siglip.gradLogitScale, siglip.gradLogitBias, ranking.loss],
          gradients: [...siglip.gradImage.data, ...siglip.gradText.data, ...ranking.gradAnchors.data, ...ranking.gradCandidates.data],
        };
      });
      const [got, reference] = results as [(typeof results)[0], (typeof results)[0]];
      const context = `[${rows} (+${extra}), ${depth}]`;
      expectAllClose(got.losses, reference.losses, { absolute: 1e-6, relative: 1e-5, context });
      expectAllClose(got.gradients, reference.gradients, { absolute: 1e-6, relative: 1e-5, context });
    }
  });

  test('supConLoss with its gradient across variants: label edge cases, tiles with odd tails', () => {
    for (const [rows, depth, classes] of [
      [2, 1, 1],
      [2, 3, 1],
      [5, 7, 2],
      [9, 70, 3],
      [257, 5, 40],
      [300, 17, 300],
      [513, 3, 9],
    ] as const) {
      const features = { data: values(rows * depth + 31, rows * depth), shape: [rows, depth] };
      // Labels cycle through `classes` values (negative ones included); with classes = rows every
      // label would be alone, so the last row takes the first row's label.
      const labels = Int32Array.from({ length: rows }, (_, row) => ((row * 7) % classes) - 2);
      if (classes === rows) labels[rows - 1] = labels[0]!;
      const results = [kit, scalar].map((instance) => {
        const result = instance.supConLoss(features, labels, { temperature: 0.1, grad: true });
        return { losses: [result.loss], gradients: Array.from(result.grad.data) };
      });
      const [got, reference] = results as [(typeof results)[0], (typeof results)[0]];
      const context = `supcon [${rows}, ${depth}] ${classes} classes`;
      expectAllClose(got.losses, reference.losses, { absolute: 1e-6, relative: 1e-5, context });
      expectAllClose(got.gradients, reference.gradients, { absolute: 1e-6, relative: 1e-5, context });
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
