// infoNCE, clipLoss, cosineEmbeddingLoss: PyTorch autograd fixtures (float64) for every
// variant, a finite-difference check against a float64 JS reference, and the error contract.

import * as cosinekit from 'cosinekit';
import { type Cosinekit, createInstanceSync, isVariantSupported } from 'cosinekit';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { type FixtureTensor, toFloat64 } from './helpers/fixtures.js';
import { type FixtureInput, fixtureInput, generatedInput } from './helpers/generated-inputs.js';

type Sampled = { indices: number[]; values: number[] };
interface LossCase {
  name: string;
  op: 'infonce' | 'clip' | 'cosine_embedding';
  inputs: Record<string, FixtureInput>;
  params: Record<string, number | string>;
  loss: number | string | (number | string)[];
  [field: string]: unknown;
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/losses.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: LossCase[];
  generated_check: { seed: number; shape: number[]; data: number[] };
};
const variants = (['scalar', 'simd128', 'relaxed'] as const).filter(isVariantSupported);
const input = (value: FixtureInput | undefined) => ({ data: fixtureInput(value!), shape: value!.shape });
const asNumber = (value: number | string) => Number(value);

/** Relative error bound of the contract (1e-5), with an absolute floor for values near 0. */
function expectLoss(actual: number, expected: number, context: string): void {
  const tolerance = 1e-5 * Math.abs(expected) + 2e-6;
  expect(Math.abs(actual - expected), `${context}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

/** Gradient check relative to the gradient's scale: |g − G| ≤ 1e-5·max|G| (+ tiny floor). */
function expectGradient(actual: Float32Array, entry: LossCase, field: string): void {
  const full = entry[field] as FixtureTensor | undefined;
  if (full !== undefined) {
    const expected = toFloat64(full);
    const scale = expected.reduce((best, value) => Math.max(best, Math.abs(value)), 0);
    for (let index = 0; index < expected.length; index++) {
      const tolerance = 1e-5 * scale + 1e-9;
      if (!(Math.abs(actual[index]! - expected[index]!) <= tolerance)) {
        expect.fail(`${entry.name} ${field}[${index}]: ${actual[index]} vs ${expected[index]} (tolerance ${tolerance})`);
      }
    }
    return;
  }
  const sample = entry[`${field}_sample`] as Sampled;
  const norm = entry[`${field}_norm`] as number;
  const sum = entry[`${field}_sum`] as number;
  const scale = sample.values.reduce((best, value) => Math.max(best, Math.abs(value)), 0);
  sample.indices.forEach((flat, position) => {
    const tolerance = 1e-5 * scale + 1e-9;
    if (!(Math.abs(actual[flat]! - sample.values[position]!) <= tolerance)) {
      expect.fail(`${entry.name} ${field}[${flat}]: ${actual[flat]} vs ${sample.values[position]}`);
    }
  });
  const actualNorm = Math.sqrt(actual.reduce((total, value) => total + value * value, 0));
  expect(Math.abs(actualNorm - norm)).toBeLessThanOrEqual(1e-5 * norm + 1e-9);
  const actualSum = actual.reduce((total, value) => total + value, 0);
  expect(Math.abs(actualSum - sum)).toBeLessThanOrEqual(1e-5 * norm * Math.sqrt(actual.length) + 1e-9);
}

test('the JS input generator reproduces the Python one bit for bit', () => {
  const { seed, shape, data } = fixtures.generated_check;
  expect(Array.from(generatedInput(seed, shape))).toEqual(Array.from(Float32Array.from(data)));
  expect(fixtures.torch).toMatch(/^1\.13|^2\./);
});

describe.each(variants)('%s variant', (variant) => {
  const kit: Cosinekit = createInstanceSync({ variant });

  test.each(fixtures.cases.map((entry) => [entry.name, entry] as const))('%s', (_, entry) => {
    if (entry.op === 'infonce') {
      const { temperature, layout, reduction } = entry.params as { temperature: number; layout: 'interleaved' | 'halves'; reduction: 'mean' | 'sum' | 'none' };
      const result = kit.infoNCE(input(entry.inputs.features), { temperature, layout, reduction, grad: true });
      if (reduction === 'none') {
        const losses = result.loss as Float32Array;
        (entry.loss as (number | string)[]).forEach((expected, row) => expectLoss(losses[row]!, asNumber(expected), `${entry.name} row ${row}`));
      } else {
        expectLoss(result.loss as number, asNumber(entry.loss as number), entry.name);
      }
      expectGradient(result.grad!.data, entry, 'grad');
    } else if (entry.op === 'clip') {
      const logitScale = entry.params.logitScale as number;
      const result = kit.clipLoss(input(entry.inputs.image), input(entry.inputs.text), { logitScale, grad: true });
      expectLoss(result.loss, asNumber(entry.loss as number), entry.name);
      expectGradient(result.gradImage!.data, entry, 'gradImage');
      expectGradient(result.gradText!.data, entry, 'gradText');
      const expected = entry.gradLogitScale as number;
      expect(Math.abs(result.gradLogitScale! - expected)).toBeLessThanOrEqual(1e-5 * Math.abs(expected) + 2e-6);
      expect(kit.clipLoss(input(entry.inputs.image), input(entry.inputs.text), { logitScale }).loss).toBe(result.loss);
    } else {
      const { margin, reduction } = entry.params as { margin: number; reduction: 'mean' | 'sum' | 'none' };
      const target = (entry.inputs.target as FixtureTensor).data.map(Number);
      const loss = kit.cosineEmbeddingLoss(input(entry.inputs.x1), input(entry.inputs.x2), target, { margin, reduction });
      if (reduction === 'none') {
        (entry.loss as (number | string)[]).forEach((expected, row) => expectLoss((loss as Float32Array)[row]!, asNumber(expected), `${entry.name} row ${row}`));
      } else {
        expectLoss(loss as number, asNumber(entry.loss as number), entry.name);
      }
    }
  });
});

beforeAll(async () => {
  await cosinekit.init();
});

/** float64 NT-Xent (interleaved, mean) written from the definition. */
function infoNCEReference(features: Float64Array, rows: number, depth: number, temperature: number): number {
  const unit = Float64Array.from(features);
  for (let row = 0; row < rows; row++) {
    let norm = 0;
    for (let k = 0; k < depth; k++) norm += unit[row * depth + k]! ** 2;
    norm = Math.max(Math.sqrt(norm), 1e-12);
    for (let k = 0; k < depth; k++) unit[row * depth + k]! /= norm;
  }
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const logits: number[] = [];
    let positive = 0;
    for (let j = 0; j < rows; j++) {
      if (j === i) continue;
      let dot = 0;
      for (let k = 0; k < depth; k++) dot += unit[i * depth + k]! * unit[j * depth + k]!;
      logits.push(dot / temperature);
      if (j === (i ^ 1)) positive = dot / temperature;
    }
    const maximum = Math.max(...logits);
    total += maximum + Math.log(logits.reduce((sum, value) => sum + Math.exp(value - maximum), 0)) - positive;
  }
  return total / rows;
}

test('infoNCE gradient agrees with central finite differences of a float64 reference', () => {
  const [rows, depth, temperature] = [6, 5, 0.2];
  const features = Float32Array.from({ length: rows * depth }, (_, index) => Math.sin(index * 1.3) + 0.2 * Math.cos(index));
  const { loss, grad } = cosinekit.infoNCE({ data: features, shape: [rows, depth] }, { temperature, grad: true });
  const point = Float64Array.from(features);
  expect(Math.abs(loss - infoNCEReference(point, rows, depth, temperature))).toBeLessThan(1e-6);
  const step = 1e-6;
  for (let index = 0; index < point.length; index++) {
    const shifted = Float64Array.from(point);
    shifted[index] = point[index]! + step;
    const above = infoNCEReference(shifted, rows, depth, temperature);
    shifted[index] = point[index]! - step;
    const numeric = (above - infoNCEReference(shifted, rows, depth, temperature)) / (2 * step);
    expect(Math.abs(grad!.data[index]! - numeric), `index ${index}`).toBeLessThan(1e-5);
  }
});

test('sharp settings stay finite: τ = 0.01, logitScale = 100, far-apart pairs', () => {
  const rows = 8;
  const depth = 16;
  const features = Float32Array.from({ length: rows * depth }, (_, index) => ((index * 7919) % 31) - 15);
  const sharp = cosinekit.infoNCE({ data: features, shape: [rows, depth] }, { temperature: 0.01, grad: true });
  expect(Number.isFinite(sharp.loss)).toBe(true);
  expect(sharp.grad!.data.every(Number.isFinite)).toBe(true);
  const clip = cosinekit.clipLoss({ data: features, shape: [rows, depth] }, { data: features.map((value) => -value), shape: [rows, depth] }, { logitScale: 100, grad: true });
  expect(Number.isFinite(clip.loss)).toBe(true);
  expect(clip.gradImage!.data.every(Number.isFinite) && Number.isFinite(clip.gradLogitScale)).toBe(true);
});

test('reductions are consistent and the gradient of mean is the gradient of sum / 2N', () => {
  const features = { data: Float32Array.from({ length: 8 * 6 }, (_, index) => Math.cos(index * 0.7)), shape: [8, 6] };
  const rows = cosinekit.infoNCE(features, { reduction: 'none', layout: 'halves' }).loss;
  const sum = cosinekit.infoNCE(features, { reduction: 'sum', layout: 'halves', grad: true });
  const mean = cosinekit.infoNCE(features, { layout: 'halves', grad: true });
  expect(rows).toBeInstanceOf(Float32Array);
  expect(Math.abs(rows.reduce((total, value) => total + value, 0) - sum.loss)).toBeLessThan(1e-5);
  expect(Math.abs(sum.loss / 8 - mean.loss)).toBeLessThan(1e-7);
  sum.grad!.data.forEach((value, index) => expect(Math.abs(value / 8 - mean.grad!.data[index]!)).toBeLessThan(1e-7));
  expect(cosinekit.infoNCE(features).grad).toBeUndefined();
});

describe('errors', () => {
  const four = { data: new Float32Array(12).fill(1), shape: [4, 3] };
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['odd row count', () => cosinekit.infoNCE({ data: new Float32Array(9), shape: [3, 3] }), RangeError, /must hold 2N rows .* got 3 rows/],
    ['temperature 0', () => cosinekit.infoNCE(four, { temperature: 0 }), RangeError, /temperature must be a finite number > 0, got 0/],
    ['temperature negative', () => cosinekit.infoNCE(four, { temperature: -0.1 }), RangeError, /got -0\.1/],
    ['temperature NaN', () => cosinekit.infoNCE(four, { temperature: Number.NaN }), RangeError, /got NaN/],
    ['temperature Infinity', () => cosinekit.infoNCE(four, { temperature: Number.POSITIVE_INFINITY }), RangeError, /got Infinity/],
    ['unknown layout', () => cosinekit.infoNCE(four, { layout: 'pairs' as never }), RangeError, /layout must be 'interleaved' or 'halves', got "pairs"/],
    ['unknown reduction', () => cosinekit.infoNCE(four, { reduction: 'avg' as never }), RangeError, /reduction must be 'mean', 'sum' or 'none', got "avg"/],
    ['grad not boolean', () => cosinekit.infoNCE(four, { grad: 1 as never }), TypeError, /grad must be a boolean, got 1/],
    ['empty batch', () => cosinekit.infoNCE({ data: new Float32Array(0), shape: [0, 3] }), RangeError, /empty; a loss needs at least one row/],
    ['3-d features', () => cosinekit.infoNCE({ data: new Float32Array(8), shape: [2, 2, 2] }), RangeError, /must have shape \[N, D\], got \[2,2,2\]/],
    ['CLIP N mismatch', () => cosinekit.clipLoss(four, { data: new Float32Array(9), shape: [3, 3] }), RangeError, /image \[4,3\] and text \[3,3\] must have the same shape/],
    ['CLIP logitScale 0', () => cosinekit.clipLoss(four, four, { logitScale: 0 }), RangeError, /logitScale must be a finite number > 0, got 0/],
    ['target 0', () => cosinekit.cosineEmbeddingLoss(four, four, [1, -1, 0, 1]), RangeError, /target\[2\] must be 1 or -1, got 0/],
    ['target length', () => cosinekit.cosineEmbeddingLoss(four, four, [1, -1]), RangeError, /target has 2 entries but there are 4 pairs/],
    ['target type', () => cosinekit.cosineEmbeddingLoss(four, four, 'yes' as never), TypeError, /target must be/],
    ['margin NaN', () => cosinekit.cosineEmbeddingLoss(four, four, [1, 1, 1, 1], { margin: Number.NaN }), RangeError, /margin must be a finite number, got NaN/],
    ['x2 shape', () => cosinekit.cosineEmbeddingLoss(four, { data: new Float32Array(8), shape: [4, 2] }, [1, 1, 1, 1]), RangeError, /must have the same shape/],
  ];
  test.each(cases)('%s', (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    expect(Number.isFinite(cosinekit.infoNCE(four).loss)).toBe(true);
  });
});
