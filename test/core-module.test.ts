// The core modules (`cosinekit-<variant>-core.wasm`: the crate without its losses and storage
// formats), which the default entry's `init` loads in a bundle that imports neither. Each
// runnable variant's core module, run through `createInstance({ wasm })`, must give bit for
// bit what the full module gives for every function it has (and match a float64 reference),
// hold no export the full module lacks and none of the losses' or storage formats', and
// refuse the missing functions with an Error that says which module to load.

import { readFileSync } from 'node:fs';
import { type Cosinekit, type Variant, createInstanceSync, isVariantSupported } from 'cosinekit';
import { describe, expect, test } from 'vitest';
import { expectAllClose, expectBitwise } from './helpers/assertions.js';
import { generatedInput } from './helpers/generated-inputs.js';
import { matrixReference } from './helpers/reference.js';

const distDirectory = new URL('../packages/cosinekit/dist/', import.meta.url);
const moduleBytes = (file: string) => new Uint8Array(readFileSync(new URL(file, distDirectory)));
const runnable: Variant[] = (['scalar', 'simd128', 'relaxed'] as const).filter((variant) => isVariantSupported(variant));
const exportNames = (bytes: Uint8Array) => WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((entry) => entry.name);

describe.each(runnable)('the %s core module', (variant) => {
  const coreBytes = moduleBytes(`cosinekit-${variant}-core.wasm`);
  const fullBytes = moduleBytes(`cosinekit-${variant}.wasm`);
  const core: Cosinekit = createInstanceSync({ wasm: coreBytes });
  const full: Cosinekit = createInstanceSync({ wasm: fullBytes });

  test('exports a subset of the full module: everything but the losses and the storage formats', () => {
    const coreNames = exportNames(coreBytes);
    const fullNames = new Set(exportNames(fullBytes));
    expect(coreNames.filter((name) => !fullNames.has(name))).toEqual([]);
    const missing = [...fullNames].filter((name) => !coreNames.includes(name)).sort();
    expect(missing.length).toBeGreaterThan(20);
    for (const name of missing) expect(name, name).toMatch(/^ck_(infonce|clip|siglip|ranking|triplet|moco|supcon|cosine_embedding|storage|quant|binary|decode|rescore|topk_quantized|pairwise_quantized)/);
    for (const name of ['ck_cosine_pair_f32', 'ck_cosine_f32', 'ck_normalize_f32', 'ck_pairwise_cosine_f32', 'ck_topk_cosine_f32', 'ck_topk_merge_f32']) expect(coreNames).toContain(name);
    expect(core.backendInfo().variant).toBe(variant);
    // Under a third of the full module's bytes.
    expect(coreBytes.length).toBeLessThan(fullBytes.length / 2.5);
  });

  test('cosine on lengths 0..70 and cosineSimilarity over broadcast operands: the full module, bit for bit', () => {
    for (let length = 0; length <= 70; length++) {
      const a = generatedInput(1000 + length, [length]);
      const b = generatedInput(2000 + length, [length]);
      expect(Object.is(core.cosine(a, b), full.cosine(a, b)), `length ${length}`).toBe(true);
    }
    const x1 = { data: generatedInput(7, [3, 1, 5, 9]), shape: [3, 1, 5, 9] };
    const x2 = { data: generatedInput(8, [4, 1, 9]), shape: [4, 1, 9] };
    for (const dim of [-1, 0, 1, [1, 3]]) {
      expectBitwise(core.cosineSimilarity(x1, x2, { dim }).data, full.cosineSimilarity(x1, x2, { dim }).data, `dim ${JSON.stringify(dim)}`);
      expectBitwise(core.cosineDistance(x1, x2, { dim, clamp: true }).data, full.cosineDistance(x1, x2, { dim, clamp: true }).data, `distance dim ${JSON.stringify(dim)}`);
    }
  });

  test('normalize (p = 1, 2, ∞), pairwiseCosine, pairwiseCosineBlocks, meanCosine and topK: the full module, bit for bit', () => {
    const rows = { data: generatedInput(11, [37, 19]), shape: [37, 19] };
    const other = { data: generatedInput(12, [53, 19]), shape: [53, 19] };
    for (const p of [1, 2, Infinity]) expectBitwise(core.normalize(rows, { p }).data, full.normalize(rows, { p }).data, `normalize p ${p}`);
    expectBitwise(core.pairwiseCosine(rows, other, { scale: 1 / 0.07 }).data, full.pairwiseCosine(rows, other, { scale: 1 / 0.07 }).data, 'pairwise');
    expectBitwise(core.pairwiseCosine(rows).data, full.pairwiseCosine(rows).data, 'self-pairwise');
    const blocks = (kit: Cosinekit) => Float32Array.from([...kit.pairwiseCosineBlocks(rows, other, { blockRows: 8 })].flatMap((block) => Array.from(block.data)));
    expectBitwise(blocks(core), blocks(full), 'blocks');
    expect(Object.is(core.meanCosine(rows, other), full.meanCosine(rows, other))).toBe(true);
    for (const queries of [1, 3, 37]) {
      const q = { data: rows.data.subarray(0, queries * 19), shape: [queries, 19] };
      const fromCore = core.topK(q, other, 5);
      const fromFull = full.topK(q, other, 5);
      expectBitwise(fromCore.indices, fromFull.indices, `topK Q ${queries} indices`);
      expectBitwise(fromCore.scores, fromFull.scores, `topK Q ${queries} scores`);
    }
    // And the matrix is the cosine matrix (float64 reference), not merely what the full module says.
    expectAllClose(core.pairwiseCosine(rows, other).data, matrixReference(rows.data, other.data, 37, 53, 19), { absolute: 2e-6, context: 'pairwise vs float64' });
  });

  test('the losses, quantize and quantised operands are refused with an Error naming the full module; nothing leaks', () => {
    const before = core.heapBytesInUse();
    const features = { data: generatedInput(21, [4, 8]), shape: [4, 8] };
    const needsFull = new RegExp(`runs the ${variant} core module, which has none: init\\(\\) loads the full module \\(cosinekit-${variant}\\.wasm\\)`);
    expect(() => core.infoNCE(features)).toThrow(needsFull);
    expect(() => core.clipLoss(features, features)).toThrow(needsFull);
    expect(() => core.supConLoss(features, [0, 0, 1, 1])).toThrow(needsFull);
    expect(() => core.cosineEmbeddingLoss(features, features, [1, -1, 1, -1])).toThrow(needsFull);
    expect(() => core.quantize(features, { dtype: 'int8' })).toThrow(/quantize\(\) needs the storage formats, and this instance runs the .* core module/);
    const codes = { dtype: 'int8', data: new Int8Array(32), shape: [4, 8] } as const;
    expect(() => core.topK(features, codes, 1)).toThrow(/topK\(\) needs the storage formats, and this instance runs/);
    expect(() => core.pairwiseCosine(codes)).toThrow(/pairwiseCosine\(\) needs the storage formats/);
    expect(core.heapBytesInUse()).toBe(before);
    // The full module, given the same calls, computes them.
    expect(Number.isFinite(full.infoNCE(features).loss)).toBe(true);
    expect(full.quantize(features, { dtype: 'int8' }).shape).toEqual([4, 8]);
  });
});
