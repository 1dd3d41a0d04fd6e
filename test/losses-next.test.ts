// sigLipLoss, multipleNegativesRankingLoss, tripletLoss, mocoLoss and supConLoss: PyTorch autograd fixtures
// (float64, from scripts/fixtures/gen_fixtures_losses_next.py) for every variant, and the error contract.

import * as cosinekit from 'cosinekit';
import { type Cosinekit, createInstanceSync, isVariantSupported } from 'cosinekit';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { type FixtureTensor, toFloat64 } from './helpers/fixtures.js';
import { type FixtureInput, fixtureInput } from './helpers/generated-inputs.js';

type Sampled = { indices: number[]; values: number[] };
interface LossCase {
  name: string;
  op: 'siglip' | 'mnrl' | 'triplet' | 'moco' | 'supcon';
  inputs: Record<string, FixtureInput>;
  params: Record<string, number | string>;
  loss: number | string | number[];
  [field: string]: unknown;
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/losses-next.json', import.meta.url), 'utf8')) as { torch: string; cases: LossCase[] };
const variants = (['scalar', 'simd128', 'relaxed'] as const).filter(isVariantSupported);
const input = (value: FixtureInput | undefined) => ({ data: fixtureInput(value!), shape: value!.shape });

/** The contract's 1e-5 relative bound, with an absolute floor for values near 0. */
function expectScalar(actual: number, expected: number, context: string): void {
  expect(Math.abs(actual - expected), `${context}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-5 * Math.abs(expected) + 2e-6);
}

/** |g − G| ≤ 1e-5·max|G| (+ tiny floor), on the whole gradient or its stored sample, norm and sum. */
function expectGradient(actual: Float32Array, entry: LossCase, field: string): void {
  const full = entry[field] as FixtureTensor | undefined;
  const [indices, values] = full !== undefined ? [null, toFloat64(full)] : [(entry[`${field}_sample`] as Sampled).indices, (entry[`${field}_sample`] as Sampled).values];
  const scale = Array.from(values).reduce((best, value) => Math.max(best, Math.abs(value)), 0);
  Array.from(values).forEach((expected, position) => {
    const flat = indices === null ? position : indices[position]!;
    const tolerance = 1e-5 * scale + 1e-9;
    if (!(Math.abs(actual[flat]! - expected) <= tolerance)) expect.fail(`${entry.name} ${field}[${flat}]: ${actual[flat]} vs ${expected} (tolerance ${tolerance})`);
  });
  if (full === undefined) {
    const norm = entry[`${field}_norm`] as number;
    const actualNorm = Math.sqrt(actual.reduce((total, value) => total + value * value, 0));
    expect(Math.abs(actualNorm - norm), `${entry.name} ${field} norm`).toBeLessThanOrEqual(1e-5 * norm + 1e-9);
    const sum = entry[`${field}_sum`] as number;
    expect(Math.abs(actual.reduce((total, value) => total + value, 0) - sum)).toBeLessThanOrEqual(1e-5 * norm * Math.sqrt(actual.length) + 1e-9);
  }
}

test('the fixtures come from PyTorch and cover the five losses', () => {
  expect(fixtures.torch).toMatch(/^1\.13|^2\./);
  expect(new Set(fixtures.cases.map((entry) => entry.op))).toEqual(new Set(['siglip', 'mnrl', 'triplet', 'moco', 'supcon']));
});

describe.each(variants)('%s variant', (variant) => {
  const kit: Cosinekit = createInstanceSync({ variant });

  test.each(fixtures.cases.map((entry) => [entry.name, entry] as const))('%s', (_, entry) => {
    if (entry.op === 'siglip') {
      const { logitScale, logitBias } = entry.params as { logitScale: number; logitBias: number };
      const result = kit.sigLipLoss(input(entry.inputs.image), input(entry.inputs.text), { logitScale, logitBias, grad: true });
      expectScalar(result.loss, Number(entry.loss), entry.name);
      expectGradient(result.gradImage.data, entry, 'gradImage');
      expectGradient(result.gradText.data, entry, 'gradText');
      expectScalar(result.gradLogitScale, entry.gradLogitScale as number, `${entry.name} gradLogitScale`);
      expectScalar(result.gradLogitBias, entry.gradLogitBias as number, `${entry.name} gradLogitBias`);
      expect(kit.sigLipLoss(input(entry.inputs.image), input(entry.inputs.text), { logitScale, logitBias }).loss).toBe(result.loss);
    } else if (entry.op === 'supcon') {
      const { temperature, baseTemperature } = entry.params as { temperature: number; baseTemperature: number };
      const features = input(entry.inputs.features);
      const labels = entry.labels as number[];
      const result = kit.supConLoss(features, labels, { temperature, baseTemperature, grad: true });
      expectScalar(result.loss, Number(entry.loss), entry.name);
      expectGradient(result.grad.data, entry, 'grad');
      expect(result.grad.shape).toEqual(entry.inputs.features!.shape);
      expect(Object.keys(result).sort()).toEqual(['grad', 'loss']);
      // Labels as an Int32Array give the same call; without grad the same loss.
      expect(kit.supConLoss(features, Int32Array.from(labels), { temperature, baseTemperature }).loss).toBe(result.loss);
    } else if (entry.op === 'moco') {
      const { temperature } = entry.params as { temperature: number };
      const [query, key, queue] = [input(entry.inputs.query), input(entry.inputs.key), input(entry.inputs.queue)];
      const result = kit.mocoLoss(query, key, queue, { temperature, grad: true });
      expectScalar(result.loss, Number(entry.loss), entry.name);
      expectGradient(result.gradQuery.data, entry, 'gradQuery');
      expect(result.gradQuery.shape).toEqual(entry.inputs.query!.shape);
      expect(Object.keys(result).sort()).toEqual(['gradQuery', 'loss']);
      expect(kit.mocoLoss(query, key, queue, { temperature }).loss).toBe(result.loss);
    } else if (entry.op === 'triplet') {
      const { margin, reduction } = entry.params as { margin: number; reduction: 'mean' | 'sum' | 'none' };
      const [anchor, positive, negative] = [input(entry.inputs.anchor), input(entry.inputs.positive), input(entry.inputs.negative)];
      const result = kit.tripletLoss(anchor, positive, negative, { margin, reduction, grad: true });
      if (reduction === 'none') {
        const expected = entry.loss as number[];
        expect(result.loss).toBeInstanceOf(Float32Array);
        expect((result.loss as Float32Array).length).toBe(expected.length);
        expected.forEach((value, row) => expectScalar((result.loss as Float32Array)[row]!, value, `${entry.name} row ${row}`));
      } else {
        expectScalar(result.loss as number, Number(entry.loss), entry.name);
      }
      expectGradient(result.gradAnchor.data, entry, 'gradAnchor');
      expectGradient(result.gradPositive.data, entry, 'gradPositive');
      expectGradient(result.gradNegative.data, entry, 'gradNegative');
      expect(kit.tripletLoss(anchor, positive, negative, { margin, reduction }).loss).toEqual(result.loss);
    } else {
      const { scale } = entry.params as { scale: number };
      const result = kit.multipleNegativesRankingLoss(input(entry.inputs.anchors), input(entry.inputs.candidates), { scale, grad: true });
      expectScalar(result.loss, Number(entry.loss), entry.name);
      expectGradient(result.gradAnchors.data, entry, 'gradAnchors');
      expectGradient(result.gradCandidates.data, entry, 'gradCandidates');
      expect(result.gradCandidates.shape).toEqual(entry.inputs.candidates!.shape);
      expect(kit.multipleNegativesRankingLoss(input(entry.inputs.anchors), input(entry.inputs.candidates), { scale }).loss).toBe(result.loss);
    }
  });
});

beforeAll(async () => {
  await cosinekit.init();
});

test('defaults: SigLIP t = 10, b = −10; MNRL scale 20; no gradient fields without grad', () => {
  const image = { data: Float32Array.from({ length: 12 }, (_, index) => Math.sin(index + 1)), shape: [3, 4] };
  const text = { data: Float32Array.from({ length: 12 }, (_, index) => Math.cos(index * 0.5)), shape: [3, 4] };
  const siglip = cosinekit.sigLipLoss(image, text);
  expect(siglip.loss).toBe(cosinekit.sigLipLoss(image, text, { logitScale: 10, logitBias: -10 }).loss);
  expect(siglip.gradImage).toBeUndefined();
  const ranking = cosinekit.multipleNegativesRankingLoss(image, text);
  expect(ranking.loss).toBe(cosinekit.multipleNegativesRankingLoss(image, text, { scale: 20 }).loss);
  expect(ranking.gradAnchors).toBeUndefined();
  const triplet = cosinekit.tripletLoss(image, text, { data: Float32Array.from(text.data).reverse(), shape: [3, 4] });
  expect(triplet.loss).toBe(cosinekit.tripletLoss(image, text, { data: Float32Array.from(text.data).reverse(), shape: [3, 4] }, { margin: 1, reduction: 'mean' }).loss);
  expect(triplet.gradAnchor).toBeUndefined();
  const queue = { data: Float32Array.from({ length: 20 }, (_, index) => Math.cos(index * 0.9 + 0.2)), shape: [5, 4] };
  const moco = cosinekit.mocoLoss(image, text, queue);
  expect(moco.loss).toBe(cosinekit.mocoLoss(image, text, queue, { temperature: 0.07 }).loss);
  expect(moco.gradQuery).toBeUndefined();
  const labels = [0, 1, 0];
  const supcon = cosinekit.supConLoss(image, labels);
  expect(supcon.loss).toBe(cosinekit.supConLoss(image, labels, { temperature: 0.07, baseTemperature: 0.07 }).loss);
  expect(supcon.grad).toBeUndefined();
});

describe('supConLoss', () => {
  const rows = (count: number, depth: number, seed: number) => ({
    data: Float32Array.from({ length: count * depth }, (_, index) => Math.sin(seed * 3.7 + index * 1.9) + 0.3 * Math.cos(index * 0.4)),
    shape: [count, depth],
  });

  test('baseTemperature only scales: loss and gradient ∝ τ / τ_base', () => {
    const features = rows(9, 6, 1);
    const labels = [2, 0, 1, 2, 0, 1, 2, 5, 0];
    const base = cosinekit.supConLoss(features, labels, { temperature: 0.2, baseTemperature: 0.2, grad: true });
    const halved = cosinekit.supConLoss(features, labels, { temperature: 0.2, baseTemperature: 0.4, grad: true });
    expect(Math.abs(halved.loss - base.loss / 2)).toBeLessThanOrEqual(1e-6 * base.loss);
    const scale = base.grad.data.reduce((best, value) => Math.max(best, Math.abs(value)), 0);
    halved.grad.data.forEach((value, index) => expect(Math.abs(value - base.grad.data[index]! / 2)).toBeLessThanOrEqual(1e-6 * scale));
  });

  test('an anchor without a positive gets a gradient only as a contrast row: its label can change to any other unused one', () => {
    const features = rows(7, 5, 2);
    const first = cosinekit.supConLoss(features, [0, 1, 0, 1, 9, 0, 1], { grad: true });
    const second = cosinekit.supConLoss(features, [0, 1, 0, 1, -40, 0, 1], { grad: true });
    expect(second.loss).toBe(first.loss);
    expect(Array.from(second.grad.data)).toEqual(Array.from(first.grad.data));
    // ... and it is not the same loss as giving it a partner: row 4 then counts.
    const partnered = cosinekit.supConLoss(features, [0, 1, 0, 1, 0, 0, 1]);
    expect(partnered.loss).not.toBe(first.loss);
  });

  test('labels are read once: a later change to the array does not reach the kernel', () => {
    const features = rows(4, 3, 3);
    const labels = new Int32Array([1, 1, 2, 2]);
    const before = cosinekit.supConLoss(features, labels).loss;
    let reads = 0;
    const proxy = new Proxy([1, 1, 2, 2], {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(cosinekit.supConLoss(features, proxy).loss).toBe(before);
    expect(reads).toBe(4);
  });

  const four = rows(4, 3, 4);
  const detachedLabels = () => {
    const labels = new Int32Array([0, 0, 1, 1]);
    structuredClone(labels.buffer, { transfer: [labels.buffer] });
    return labels;
  };
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['all labels distinct', () => cosinekit.supConLoss(four, [0, 1, 2, 3]), RangeError, /supConLoss: no anchor has a positive: the 4 labels are all distinct/],
    ['labels too short', () => cosinekit.supConLoss(four, [0, 0, 1]), RangeError, /supConLoss: labels has 3 entries but features has 4 rows/],
    ['labels too long', () => cosinekit.supConLoss(four, new Int32Array(5)), RangeError, /labels has 5 entries but features has 4 rows/],
    ['non-integer label', () => cosinekit.supConLoss(four, [0, 0, 1.5, 1]), RangeError, /labels\[2\] must be an integer from -2147483648 to 2147483647, got 1\.5/],
    ['label NaN', () => cosinekit.supConLoss(four, [0, 0, Number.NaN, 1]), RangeError, /labels\[2\] must be an integer .* got NaN/],
    ['label past int32', () => cosinekit.supConLoss(four, [0, 0, 2 ** 31, 1]), RangeError, /labels\[2\] must be an integer .* got 2147483648/],
    ['label a string', () => cosinekit.supConLoss(four, [0, '0', 1, 1] as never), TypeError, /labels\[1\] must be an integer, got "0"/],
    ['labels a Float32Array', () => cosinekit.supConLoss(four, new Float32Array(4) as never), TypeError, /labels must be an Int32Array or an array of integers, got a Float32Array \(convert it with Int32Array\.from/],
    ['labels missing', () => cosinekit.supConLoss(four, undefined as never), TypeError, /labels must be an Int32Array or an array of integers, got undefined/],
    ['one row', () => cosinekit.supConLoss(rows(1, 3, 5), [0]), RangeError, /supConLoss: features \[1,3\] has one row/],
    ['empty', () => cosinekit.supConLoss({ data: new Float32Array(0), shape: [0, 3] }, []), RangeError, /supConLoss: features \[0,3\] is empty/],
    ['1-d features', () => cosinekit.supConLoss({ data: new Float32Array(4), shape: [4] }, [0, 0, 1, 1]), RangeError, /must have shape \[N, D\], got \[4\]/],
    ['temperature 0', () => cosinekit.supConLoss(four, [0, 0, 1, 1], { temperature: 0 }), RangeError, /temperature must be a finite number > 0, got 0/],
    ['temperature NaN', () => cosinekit.supConLoss(four, [0, 0, 1, 1], { temperature: Number.NaN }), RangeError, /temperature must be a finite number > 0, got NaN/],
    ['baseTemperature negative', () => cosinekit.supConLoss(four, [0, 0, 1, 1], { baseTemperature: -0.07 }), RangeError, /baseTemperature must be a finite number > 0, got -0\.07/],
    ['baseTemperature Infinity', () => cosinekit.supConLoss(four, [0, 0, 1, 1], { baseTemperature: Number.POSITIVE_INFINITY }), RangeError, /baseTemperature must be a finite number > 0, got Infinity/],
    ['baseTemperature string', () => cosinekit.supConLoss(four, [0, 0, 1, 1], { baseTemperature: '1' as never }), TypeError, /baseTemperature must be a number, got "1"/],
    ['temperature below float32', () => cosinekit.supConLoss(four, [0, 0, 1, 1], { temperature: 1e-46 }), RangeError, /temperature must be a number float32 holds \(about 1\.4e-45 to 3\.4e38\), got 1e-46/],
    ['temperature above float32', () => cosinekit.supConLoss(four, [0, 0, 1, 1], { temperature: 1e39 }), RangeError, /temperature must be a number float32 holds .* got 1e\+39/],
    ['baseTemperature below float32', () => cosinekit.supConLoss(four, [0, 0, 1, 1], { baseTemperature: 1e-46 }), RangeError, /baseTemperature must be a number float32 holds/],
    ['labels detached', () => cosinekit.supConLoss(four, detachedLabels()), TypeError, /labels cannot be read: its ArrayBuffer is detached/],
    ['unknown option', () => cosinekit.supConLoss(four, [0, 0, 1, 1], { contrastMode: 'one' } as never), TypeError, /contrastMode/],
    ['grad not boolean', () => cosinekit.supConLoss(four, [0, 0, 1, 1], { grad: 'yes' as never }), TypeError, /grad must be a boolean/],
  ];
  test.each(cases)('%s', (_, call, type, message) => {
    const heap = cosinekit.heapBytesInUse();
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    expect(cosinekit.heapBytesInUse()).toBe(heap);
    expect(Number.isFinite(cosinekit.supConLoss(four, [0, 1, 0, 1]).loss)).toBe(true);
  });
});

test('tripletLoss: reductions agree with the row losses, and the gradients of none are those of sum', () => {
  const make = (seed: number) => ({ data: Float32Array.from({ length: 20 }, (_, index) => Math.sin(seed * 7.1 + index * 1.3)), shape: [5, 4] });
  const [anchor, positive, negative] = [make(1), make(2), make(3)];
  const none = cosinekit.tripletLoss(anchor, positive, negative, { margin: 0.8, reduction: 'none', grad: true });
  const sum = cosinekit.tripletLoss(anchor, positive, negative, { margin: 0.8, reduction: 'sum', grad: true });
  const mean = cosinekit.tripletLoss(anchor, positive, negative, { margin: 0.8, grad: true });
  const rows = Array.from(none.loss, Number);
  expect(rows.length).toBe(5);
  expect(rows.some((value) => value > 0)).toBe(true);
  expect(Math.abs(sum.loss - rows.reduce((total, value) => total + value, 0))).toBeLessThan(1e-6);
  expect(Math.abs(mean.loss - sum.loss / 5)).toBeLessThan(1e-7);
  expect(Array.from(none.gradAnchor.data)).toEqual(Array.from(sum.gradAnchor.data));
  mean.gradNegative.data.forEach((value, index) => expect(Math.abs(value - sum.gradNegative.data[index]! / 5)).toBeLessThan(1e-7));
});

describe('errors', () => {
  const four = { data: Float32Array.from({ length: 12 }, (_, index) => index + 1), shape: [4, 3] };
  const three = { data: new Float32Array(9).fill(1), shape: [3, 3] };
  const cases: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ['SigLIP shape mismatch', () => cosinekit.sigLipLoss(four, three), RangeError, /sigLipLoss: image \[4,3\] and text \[3,3\] must have the same shape/],
    ['SigLIP logitScale 0', () => cosinekit.sigLipLoss(four, four, { logitScale: 0 }), RangeError, /logitScale must be a finite number > 0, got 0/],
    ['SigLIP logitBias NaN', () => cosinekit.sigLipLoss(four, four, { logitBias: Number.NaN }), RangeError, /logitBias must be a finite number, got NaN/],
    ['SigLIP logitBias string', () => cosinekit.sigLipLoss(four, four, { logitBias: '1' as never }), TypeError, /logitBias must be a number, got "1"/],
    ['SigLIP logitBias beyond float32', () => cosinekit.sigLipLoss(four, four, { logitBias: -1e39 }), RangeError, /logitBias must be a number float32 holds \(\|logitBias\| up to about 3\.4e38\), got -1e\+39/],
    ['SigLIP logitScale below float32', () => cosinekit.sigLipLoss(four, four, { logitScale: 1e-50 }), RangeError, /logitScale must be a number float32 holds/],
    ['infoNCE temperature below float32', () => cosinekit.infoNCE(four, { temperature: 1e-46 }), RangeError, /temperature must be a number float32 holds/],
    ['MoCo temperature above float32', () => cosinekit.mocoLoss(four, four, three, { temperature: 1e39 }), RangeError, /temperature must be a number float32 holds/],
    ['cosineEmbeddingLoss margin beyond float32', () => cosinekit.cosineEmbeddingLoss(four, four, [1, 1, 1, 1], { margin: 1e39 }), RangeError, /margin must be a number float32 holds/],
    ['SigLIP unknown option', () => cosinekit.sigLipLoss(four, four, { temperature: 1 } as never), TypeError, /temperature/],
    ['SigLIP empty', () => cosinekit.sigLipLoss({ data: new Float32Array(0), shape: [0, 3] }, { data: new Float32Array(0), shape: [0, 3] }), RangeError, /empty; a loss needs at least one row/],
    ['MNRL fewer candidates', () => cosinekit.multipleNegativesRankingLoss(four, three), RangeError, /candidates \[3,3\] must hold at least as many rows as anchors \[4,3\]/],
    ['MNRL depth mismatch', () => cosinekit.multipleNegativesRankingLoss(three, { data: new Float32Array(8), shape: [4, 2] }), RangeError, /must have the same D/],
    ['MNRL scale negative', () => cosinekit.multipleNegativesRankingLoss(four, four, { scale: -1 }), RangeError, /scale must be a finite number > 0, got -1/],
    ['MNRL grad not boolean', () => cosinekit.multipleNegativesRankingLoss(four, four, { grad: 'yes' as never }), TypeError, /grad must be a boolean/],
    ['MNRL 1-d anchors', () => cosinekit.multipleNegativesRankingLoss({ data: new Float32Array(3), shape: [3] }, four), RangeError, /must have shape \[N, D\], got \[3\]/],
    ['triplet margin 0', () => cosinekit.tripletLoss(four, four, four, { margin: 0 }), RangeError, /margin must be a finite number > 0, got 0/],
    ['triplet margin string', () => cosinekit.tripletLoss(four, four, four, { margin: '1' as never }), TypeError, /margin must be a number, got "1"/],
    ['triplet reduction', () => cosinekit.tripletLoss(four, four, four, { reduction: 'max' as never }), RangeError, /reduction must be 'mean', 'sum' or 'none', got "max"/],
    ['triplet negative shape', () => cosinekit.tripletLoss(four, four, three), RangeError, /tripletLoss: anchor \[4,3\] and negative \[3,3\] must have the same shape/],
    ['triplet positive shape', () => cosinekit.tripletLoss(four, three, four), RangeError, /tripletLoss: anchor \[4,3\] and positive \[3,3\] must have the same shape/],
    ['triplet unknown option', () => cosinekit.tripletLoss(four, four, four, { swap: true } as never), TypeError, /swap/],
    ['triplet negative not a tensor', () => cosinekit.tripletLoss(four, four, 7 as never), TypeError, /negative/],
    ['MoCo temperature 0', () => cosinekit.mocoLoss(four, four, three, { temperature: 0 }), RangeError, /temperature must be a finite number > 0, got 0/],
    ['MoCo temperature Infinity', () => cosinekit.mocoLoss(four, four, three, { temperature: Number.POSITIVE_INFINITY }), RangeError, /temperature must be a finite number > 0, got Infinity/],
    ['MoCo key shape', () => cosinekit.mocoLoss(four, three, three), RangeError, /mocoLoss: query \[4,3\] and key \[3,3\] must have the same shape/],
    ['MoCo queue depth', () => cosinekit.mocoLoss(four, four, { data: new Float32Array(8), shape: [4, 2] }), RangeError, /mocoLoss: query \[4,3\] and queue \[4,2\] must have the same D/],
    ['MoCo empty queue', () => cosinekit.mocoLoss(four, four, { data: new Float32Array(0), shape: [0, 3] }), RangeError, /mocoLoss: queue \[0,3\] is empty/],
    ['MoCo unknown option', () => cosinekit.mocoLoss(four, four, three, { scale: 2 } as never), TypeError, /scale/],
    ['MoCo grad not boolean', () => cosinekit.mocoLoss(four, four, three, { grad: 1 as never }), TypeError, /grad must be a boolean/],
  ];
  test.each(cases)('%s', (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    expect(Number.isFinite(cosinekit.sigLipLoss(four, four).loss)).toBe(true);
  });
});
