// Property tests: random shapes, broadcasts, dims and values against the float64 reference.

import * as cosinekit from 'cosinekit';
import fc from 'fast-check';
import { beforeAll, expect, test } from 'vitest';
import { expectAllClose } from './helpers/assertions.js';
import { cosineReference, normalizeReference, product } from './helpers/reference.js';

beforeAll(async () => {
  await cosinekit.init();
});

/** A shape of rank 1–4 and a broadcast-compatible partner (some axes 1 or missing). */
const shapePair = fc
  .array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 })
  .chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      fc.integer({ min: 0, max: shape.length - 1 }),
    ),
  )
  .map(([shape, ones1, ones2, dropLeading]) => {
    const first = shape.map((extent, axis) => (ones1[axis] ? 1 : extent));
    const second = shape.map((extent, axis) => (ones2[axis] && !ones1[axis] ? 1 : extent)).slice(dropLeading);
    return { first, second, rank: shape.length };
  });

const values = (length: number) =>
  fc.array(fc.oneof(fc.float({ min: -100, max: 100, noNaN: true }), fc.constant(0)), { minLength: length, maxLength: length });

test('cosineSimilarity matches the float64 reference on random broadcasts and dims', () => {
  fc.assert(
    fc.property(
      shapePair.chain(({ first, second, rank }) =>
        fc.record({
          first: fc.constant(first),
          second: fc.constant(second),
          x1: values(product(first)),
          x2: values(product(second)),
          dims: fc.uniqueArray(fc.integer({ min: -rank, max: rank - 1 }), {
            minLength: 1,
            maxLength: rank,
            selector: (dim) => (dim < 0 ? dim + rank : dim),
          }),
        }),
      ),
      ({ first, second, x1, x2, dims }) => {
        const a = Float32Array.from(x1);
        const b = Float32Array.from(x2);
        const result = cosinekit.cosineSimilarity({ data: a, shape: first }, { data: b, shape: second }, { dim: dims });
        const reference = cosineReference(a, first, b, second, dims, 1e-8);
        expect(result.shape).toEqual(reference.shape);
        expectAllClose(result.data, reference.data, { absolute: 1e-5 });
      },
    ),
    { numRuns: 300, seed: 20261122 },
  );
});

test('long rows (D up to 4096) stay within 1e-5 of float64', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (length, rows, seed) => {
      let state = seed | 1;
      const next = () => {
        state = (Math.imul(state, 1664525) + 1013904223) | 0;
        return state / 2 ** 31;
      };
      const a = Float32Array.from({ length: rows * length }, next);
      const b = Float32Array.from(a, (value) => value * 0.5 + next());
      const result = cosinekit.cosineSimilarity({ data: a, shape: [rows, length] }, { data: b, shape: [rows, length] });
      expectAllClose(result.data, cosineReference(a, [rows, length], b, [rows, length], [1], 1e-8).data, { absolute: 1e-5 });
    }),
    { numRuns: 60, seed: 7 },
  );
});

test('normalize matches the float64 reference for p = 1, 2, ∞ on random shapes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 3 }).chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          x: values(product(shape)),
          dim: fc.integer({ min: -shape.length, max: shape.length - 1 }),
          p: fc.constantFrom(1, 2, Number.POSITIVE_INFINITY),
        }),
      ),
      ({ shape, x, dim, p }) => {
        const data = Float32Array.from(x);
        const result = cosinekit.normalize({ data, shape }, { p, dim });
        expectAllClose(result.data, normalizeReference(data, shape, p, dim, 1e-12), { absolute: 1e-6, relative: 1e-5 });
      },
    ),
    { numRuns: 300, seed: 11 },
  );
});

/** float64 SupCon written from its definition (contrast_mode 'all', one view per row; anchors without a positive left out). */
function supConReference(features: ArrayLike<number>, rows: number, depth: number, labels: readonly number[], temperature: number, baseTemperature: number): number {
  const unit: number[][] = [];
  for (let row = 0; row < rows; row++) {
    const values = Array.from({ length: depth }, (_, k) => features[row * depth + k]!);
    const norm = Math.max(Math.sqrt(values.reduce((total, value) => total + value * value, 0)), 1e-12);
    unit.push(values.map((value) => value / norm));
  }
  const logit = (i: number, j: number) => unit[i]!.reduce((total, value, k) => total + value * unit[j]![k]!, 0) / temperature;
  let total = 0;
  let anchors = 0;
  for (let i = 0; i < rows; i++) {
    const others = Array.from({ length: rows }, (_, a) => a).filter((a) => a !== i);
    const positives = others.filter((p) => labels[p] === labels[i]);
    if (positives.length === 0) continue;
    const logits = others.map((a) => logit(i, a));
    const maximum = Math.max(...logits);
    const logSumExp = maximum + Math.log(logits.reduce((sum, value) => sum + Math.exp(value - maximum), 0));
    const meanLogProbability = positives.reduce((sum, p) => sum + logit(i, p) - logSumExp, 0) / positives.length;
    total += -(temperature / baseTemperature) * meanLogProbability;
    anchors++;
  }
  return total / anchors;
}

test('supConLoss matches the float64 reference on random batches, labels and temperatures', () => {
  fc.assert(
    fc.property(
      fc.record({ rows: fc.integer({ min: 2, max: 24 }), depth: fc.integer({ min: 1, max: 40 }), classes: fc.integer({ min: 1, max: 12 }) }).chain(({ rows, depth, classes }) =>
        fc.record({
          rows: fc.constant(rows),
          depth: fc.constant(depth),
          x: fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: rows * depth, maxLength: rows * depth }),
          labels: fc.array(fc.integer({ min: -classes, max: classes }), { minLength: rows, maxLength: rows }),
          temperature: fc.constantFrom(0.05, 0.07, 0.1, 0.5, 1),
          baseTemperature: fc.constantFrom(0.07, 0.1, 1),
        }),
      ),
      ({ rows, depth, x, labels, temperature, baseTemperature }) => {
        // At least one shared label: the first row's label also on the last row.
        const shared = [...labels.slice(0, rows - 1), labels[0]!];
        const data = Float32Array.from(x);
        const { loss } = cosinekit.supConLoss({ data, shape: [rows, depth] }, shared, { temperature, baseTemperature });
        const expected = supConReference(data, rows, depth, shared, temperature, baseTemperature);
        // The contract's 1e-5 relative, with a floor for losses near 0: float32 similarities
        // carry ~6e-8 absolute error, times the logit scale 1/τ and the factor τ/τ_base.
        expect(Math.abs(loss - expected), `${loss} vs ${expected}`).toBeLessThanOrEqual(1e-5 * Math.abs(expected) + 2e-7 / baseTemperature);
      },
    ),
    { numRuns: 200, seed: 20261203 },
  );
});
