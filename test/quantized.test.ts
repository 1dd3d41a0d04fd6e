// Storage formats (quantize, QuantizedTensor, quantised topK with rescoring, quantised
// pairwiseCosine): every variant against independent references (test/helpers/
// quant-reference.ts), integer and binary scores bit for bit across variants, unaligned rows
// read in place, lifetimes, and the error contract.

import { type Cosinekit, QuantizedTensor, createInstanceSync, isVariantSupported } from 'cosinekit';
import type { QuantizedLike, StorageDtype } from 'cosinekit';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  cosine64,
  decodedCode,
  halfBits,
  halfValue,
  integerCodes,
  integerScore,
  meansOf,
  packedBits,
  rangesOf,
  rankOrder,
  storedRow,
} from './helpers/quant-reference.js';

const variants = (['scalar', 'simd128', 'relaxed'] as const).filter(isVariantSupported);
const kits = new Map(variants.map((variant) => [variant, createInstanceSync({ variant })] as const));
const DTYPES: readonly StorageDtype[] = ['float16', 'int8', 'uint8', 'binary', 'ubinary'];

/** Seeded uniform values in [-1, 1) with a per-dim offset (anisotropic, as real embeddings are). */
function rows(seed: number, count: number, depth: number, offset = 0.3): Float32Array {
  let state = seed >>> 0 || 1;
  const values = new Float32Array(count * depth);
  for (let index = 0; index < values.length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    values[index] = ((state >>> 0) / 2 ** 31 - 1) + offset * Math.sin(index % depth);
  }
  return values;
}

function storedArray(quantized: QuantizedLike): Int8Array | Uint8Array | Uint16Array {
  return quantized.data;
}

/** The reference scores of query rows against corpus rows, both stored in `dtype`. */
function referenceMatrix(dtype: StorageDtype, first: ArrayLike<number>, firstRows: number, second: ArrayLike<number>, secondRows: number, depth: number): Float64Array {
  const matrix = new Float64Array(firstRows * secondRows);
  for (let row = 0; row < firstRows; row++) {
    const a = storedRow(dtype, first, row, depth);
    for (let column = 0; column < secondRows; column++) {
      const b = storedRow(dtype, second, column, depth);
      matrix[row * secondRows + column] = dtype === 'float16' ? cosine64(a, b) : integerScore(a, b);
    }
  }
  return matrix;
}

describe.each(variants)('%s variant', (variant) => {
  const kit = kits.get(variant) as Cosinekit;

  test('int8 and uint8 codes are sentence-transformers\' (float32 steps, truncation, clamping), with ranges from x, calibration or given', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 70 }), fc.integer(), (count, depth, seed) => {
        const x = rows(seed, count, depth);
        const calibration = rows(seed + 1, 5, depth, 0.1);
        for (const dtype of ['int8', 'uint8'] as const) {
          const signed = dtype === 'int8';
          const own = kit.quantize({ data: x, shape: [count, depth] }, { dtype });
          expect(Array.from(own.ranges as Float32Array)).toEqual(Array.from(rangesOf(x, count, depth)));
          expect(Array.from(own.data)).toEqual(Array.from(integerCodes(x, count, depth, rangesOf(x, count, depth), signed)));
          const calibrated = kit.quantize({ data: x, shape: [count, depth] }, { dtype, calibration: { data: calibration, shape: [5, depth] } });
          const calibrationRanges = rangesOf(calibration, 5, depth);
          expect(Array.from(calibrated.data)).toEqual(Array.from(integerCodes(x, count, depth, calibrationRanges, signed)));
          // Narrow ranges: values outside clamp to the type's ends.
          const narrow = Float32Array.from(calibrationRanges, (value, index) => (index < depth ? value * 0.5 : value * 0.5));
          for (let dim = 0; dim < depth; dim++) if (narrow[dim]! > narrow[depth + dim]!) narrow[depth + dim] = narrow[dim]!;
          const given = kit.quantize({ data: x, shape: [count, depth] }, { dtype, ranges: narrow });
          expect(Array.from(given.data)).toEqual(Array.from(integerCodes(x, count, depth, narrow, signed)));
          own.dispose();
          calibrated.dispose();
          given.dispose();
        }
      }),
      { numRuns: 40 },
    );
  });

  test('int8 hand cases: step 0, x at min and max, q − 128 truncated toward zero', () => {
    // dim 0 constant (step 0 ⇒ q = 0 ⇒ int8 −128, uint8 0); dim 1 spans [0, 255] so q = x.
    const x = new Float32Array([5, 0, 5, 255, 5, 127.7, 5, 128.5, 5, 127]);
    const shape = [5, 2];
    const int8 = kit.quantize({ data: x, shape }, { dtype: 'int8' });
    expect(Array.from(int8.data)).toEqual([-128, -128, -128, 127, -128, 0, -128, 0, -128, -1]);
    const uint8 = kit.quantize({ data: x, shape }, { dtype: 'uint8' });
    expect(Array.from(uint8.data)).toEqual([0, 0, 0, 255, 0, 127, 0, 128, 0, 127]);
    int8.dispose();
    uint8.dispose();
  });

  test('binary and ubinary are np.packbits of x > threshold (0, calibration means, or given)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 9 }), fc.integer(), (count, bytes, seed) => {
        const depth = bytes * 8;
        const x = rows(seed, count, depth);
        x[0] = count * depth > 0 ? 0 : x[0]!; // exactly at the threshold: bit 0
        const calibration = rows(seed ^ 0x5555, 7, depth, 0.6);
        for (const dtype of ['binary', 'ubinary'] as const) {
          const signed = dtype === 'binary';
          const plain = kit.quantize({ data: x, shape: [count, depth] }, { dtype });
          expect(plain.thresholds).toBeNull();
          expect(Array.from(plain.data)).toEqual(Array.from(packedBits(x, count, depth, null, signed)));
          const calibrated = kit.quantize({ data: x, shape: [count, depth] }, { dtype, calibration: { data: calibration, shape: [7, depth] } });
          const means = meansOf(calibration, 7, depth);
          expect(Array.from(calibrated.thresholds as Float32Array)).toEqual(Array.from(means));
          expect(Array.from(calibrated.data)).toEqual(Array.from(packedBits(x, count, depth, means, signed)));
          plain.dispose();
          calibrated.dispose();
        }
      }),
      { numRuns: 40 },
    );
    const withNaN = kit.quantize({ data: new Float32Array([NaN, 1, -1, 2, 0, 3, -0, 4]), shape: [1, 8] }, { dtype: 'ubinary' });
    expect(Array.from(withNaN.data)).toEqual([0b01010101]);
  });

  test('float16 rounds to nearest even, overflows to ±Infinity and keeps NaN, −0 and subnormals', () => {
    const special = [0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 1e-8, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -14, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity, -Infinity, NaN, 0.1, 1 / 3];
    const random = Array.from(rows(7, 1, 4000, 0), (value, index) => value * 2 ** ((index % 40) - 24));
    const values = Float32Array.from([...special, ...random]);
    const half = kit.quantize({ data: values, shape: [1, values.length] }, { dtype: 'float16' });
    const data = half.data as Uint16Array;
    expect(data).toBeInstanceOf(Uint16Array);
    for (let index = 0; index < values.length; index++) {
      const expected = halfBits(values[index]!);
      if (Number.isNaN(values[index]!)) expect(Number.isNaN(halfValue(data[index]!)), `${values[index]}`).toBe(true);
      else expect(data[index], `${values[index]}`).toBe(expected);
    }
    half.dispose();
  });

  test.each(DTYPES)('pairwiseCosine over %s rows equals the reference (integer and binary: bit for bit)', (dtype) => {
    for (const depth of dtype === 'binary' || dtype === 'ubinary' ? [8, 16, 64, 72, 384] : [1, 3, 7, 16, 33, 64, 70, 384]) {
      const a = kit.quantize({ data: rows(depth, 9, depth), shape: [9, depth] }, { dtype });
      const b = kit.quantize({ data: rows(depth + 1, 5, depth), shape: [5, depth] }, { dtype, ...(dtype === 'int8' || dtype === 'uint8' ? { ranges: a.ranges as Float32Array } : {}) });
      const result = kit.pairwiseCosine(a, b);
      expect(result.shape).toEqual([9, 5]);
      const expected = referenceMatrix(dtype, storedArray(a), 9, storedArray(b), 5, depth);
      if (dtype === 'float16') {
        for (let index = 0; index < expected.length; index++) expect(Math.abs(result.data[index]! - expected[index]!)).toBeLessThanOrEqual(1e-6);
      } else {
        expect(Array.from(result.data)).toEqual(Array.from(expected));
      }
      const self = kit.pairwiseCosine(a, undefined, { scale: 3 });
      const selfExpected = referenceMatrix(dtype, storedArray(a), 9, storedArray(a), 9, depth);
      for (let index = 0; index < selfExpected.length; index++) expect(Math.abs(self.data[index]! - 3 * selfExpected[index]!)).toBeLessThanOrEqual(3e-6);
      a.dispose();
      b.dispose();
    }
  });

  test.each(DTYPES)('topK over a %s corpus: float queries encoded like it, reference order (ties by lower index), excludeSelf', (dtype) => {
    const depth = 48;
    const corpusValues = rows(11, 60, depth);
    // Duplicate rows make exact ties.
    corpusValues.copyWithin(40 * depth, 3 * depth, 4 * depth);
    corpusValues.copyWithin(41 * depth, 3 * depth, 4 * depth);
    const corpus = kit.quantize({ data: corpusValues, shape: [60, depth] }, { dtype });
    const queryValues = rows(12, 7, depth);
    queryValues.set(corpusValues.subarray(3 * depth, 4 * depth), 0);
    const { indices, scores, shape } = kit.topK({ data: queryValues, shape: [7, depth] }, corpus, 10);
    expect(shape).toEqual([7, 10]);
    const encoded =
      dtype === 'float16'
        ? null
        : kit.quantize({ data: queryValues, shape: [7, depth] }, { dtype, ...(dtype === 'int8' || dtype === 'uint8' ? { ranges: corpus.ranges as Float32Array } : {}) });
    for (let query = 0; query < 7; query++) {
      const expected = new Float64Array(60);
      for (let row = 0; row < 60; row++) {
        const stored = storedRow(dtype, storedArray(corpus), row, depth);
        expected[row] =
          encoded === null ? cosine64(queryValues.subarray(query * depth, (query + 1) * depth), stored) : integerScore(storedRow(dtype, storedArray(encoded), query, depth), stored);
      }
      const order = rankOrder(expected).slice(0, 10);
      if (encoded !== null) {
        expect(Array.from(indices.subarray(query * 10, query * 10 + 10))).toEqual(order);
        expect(Array.from(scores.subarray(query * 10, query * 10 + 10))).toEqual(order.map((row) => expected[row]!));
      } else {
        for (let slot = 0; slot < 10; slot++) expect(Math.abs(scores[query * 10 + slot]! - expected[order[slot]!]!)).toBeLessThanOrEqual(1e-6);
      }
    }
    // The query equal to corpus row 3 ties with rows 40 and 41: lower index first.
    if (dtype !== 'float16') expect(Array.from(indices.subarray(0, 3))).toEqual([3, 40, 41]);
    // excludeSelf: the corpus against itself, its own row skipped.
    const self = kit.topK(corpus, corpus, 5, { excludeSelf: true });
    for (let query = 0; query < 60; query++) expect(Array.from(self.indices.subarray(query * 5, query * 5 + 5))).not.toContain(query);
    encoded?.dispose();
    corpus.dispose();
  });

  test.each(['int8', 'uint8', 'binary', 'ubinary', 'float16'] as const)('topK over %s with rescore: float32 cosines of the best k·multiplier candidates', (dtype) => {
    const depth = 64;
    const count = 200;
    const corpusValues = rows(21, count, depth);
    const corpus = kit.quantize({ data: corpusValues, shape: [count, depth] }, { dtype });
    const queryValues = rows(22, 4, depth);
    const queries = { data: queryValues, shape: [4, depth] };
    for (const multiplier of [1, 2, 4, 10]) {
      const candidates = kit.topK(queries, corpus, 5 * multiplier);
      for (const withVectors of [false, true]) {
        const rescore = withVectors ? { multiplier, vectors: { data: corpusValues, shape: [count, depth] } } : { multiplier };
        const { indices, scores } = kit.topK(queries, corpus, 5, { rescore });
        for (let query = 0; query < 4; query++) {
          const pool = Array.from(candidates.indices.subarray(query * 5 * multiplier, (query + 1) * 5 * multiplier));
          const query64 = queryValues.subarray(query * depth, (query + 1) * depth);
          const rescored = pool.map((row) => {
            const vector = withVectors ? corpusValues.subarray(row * depth, (row + 1) * depth) : decodedRow(dtype, corpus, row, depth);
            return { row, score: cosine64(query64, vector) };
          });
          rescored.sort((left, right) => right.score - left.score || left.row - right.row);
          expect(Array.from(indices.subarray(query * 5, query * 5 + 5)), `×${multiplier} vectors ${withVectors}`).toEqual(rescored.slice(0, 5).map((entry) => entry.row));
          for (let slot = 0; slot < 5; slot++) expect(Math.abs(scores[query * 5 + slot]! - rescored[slot]!.score)).toBeLessThanOrEqual(1e-6);
        }
      }
    }
    corpus.dispose();
  });

  test('binary with calibrated thresholds: queries binarised at the same thresholds, rescoring from decoded ±1 rows', () => {
    const depth = 32;
    const corpusValues = rows(41, 80, depth, 0.9);
    const calibration = { data: rows(42, 50, depth, 0.9), shape: [50, depth] };
    const corpus = kit.quantize({ data: corpusValues, shape: [80, depth] }, { dtype: 'binary', calibration });
    const thresholds = corpus.thresholds as Float32Array;
    expect(Array.from(thresholds)).toEqual(Array.from(meansOf(calibration.data, 50, depth)));
    const queryValues = rows(43, 3, depth, 0.9);
    const encoded = packedBits(queryValues, 3, depth, thresholds, true);
    const plain = kit.topK({ data: queryValues, shape: [3, depth] }, corpus, 6);
    const rescored = kit.topK({ data: queryValues, shape: [3, depth] }, corpus, 3, { rescore: { multiplier: 2 } });
    for (let query = 0; query < 3; query++) {
      const expected = Float64Array.from({ length: 80 }, (_, row) => integerScore(storedRow('binary', encoded, query, depth), storedRow('binary', corpus.data, row, depth)));
      const order = rankOrder(expected).slice(0, 6);
      expect(Array.from(plain.indices.subarray(query * 6, query * 6 + 6))).toEqual(order);
      const reranked = order
        .map((row) => ({ row, score: cosine64(queryValues.subarray(query * depth, (query + 1) * depth), storedRow('binary', corpus.data, row, depth)) }))
        .sort((left, right) => right.score - left.score || left.row - right.row);
      expect(Array.from(rescored.indices.subarray(query * 3, query * 3 + 3))).toEqual(reranked.slice(0, 3).map((entry) => entry.row));
    }
    corpus.dispose();
  });

  test('plain { dtype, data, shape } objects (a saved index) score as the QuantizedTensor they were copied from', () => {
    const depth = 40;
    const values = rows(31, 30, depth);
    for (const dtype of DTYPES) {
      const tensor = kit.quantize({ data: values, shape: [30, depth] }, { dtype });
      const saved: QuantizedLike = { dtype, data: tensor.data.slice(), shape: [30, depth], ranges: tensor.ranges, thresholds: tensor.thresholds };
      const query = { data: values.subarray(0, 2 * depth), shape: [2, depth] };
      const fromTensor = kit.topK(query, tensor, 4);
      const fromSaved = kit.topK(query, saved, 4);
      expect(Array.from(fromSaved.indices)).toEqual(Array.from(fromTensor.indices));
      expect(Array.from(fromSaved.scores)).toEqual(Array.from(fromTensor.scores));
      tensor.dispose();
    }
  });

  test('rows read in place at unaligned addresses (a view into a QuantizedTensor at an odd byte offset)', () => {
    for (const depth of [7, 13, 33]) {
      const tensor = kit.quantize({ data: rows(depth * 3, 12, depth), shape: [12, depth] }, { dtype: 'int8' });
      const data = tensor.data as Int8Array;
      const view: QuantizedLike = { dtype: 'int8', data: data.subarray(depth, 12 * depth), shape: [11, depth] };
      const copy: QuantizedLike = { dtype: 'int8', data: data.slice(depth), shape: [11, depth] };
      const inPlace = kit.pairwiseCosine(view);
      const copied = kit.pairwiseCosine(copy);
      expect(Array.from(inPlace.data)).toEqual(Array.from(copied.data));
      expect(Array.from(inPlace.data)).toEqual(Array.from(referenceMatrix('int8', data.slice(depth), 11, data.slice(depth), 11, depth)));
      tensor.dispose();
    }
  });
});

test('integer and binary scores are identical in every variant (exact integer sums), lengths 0..70', () => {
  const reference = kits.get('scalar') as Cosinekit;
  for (let depth = 1; depth <= 70; depth++) {
    const x = rows(depth * 7, 6, depth);
    for (const dtype of depth % 8 === 0 ? (['int8', 'uint8', 'binary', 'ubinary'] as const) : (['int8', 'uint8'] as const)) {
      const q = reference.quantize({ data: x, shape: [6, depth] }, { dtype });
      const saved: QuantizedLike = { dtype, data: q.data.slice(), shape: [6, depth], ranges: q.ranges };
      const expected = Array.from(reference.pairwiseCosine(saved).data);
      for (const [variant, kit] of kits) expect(Array.from(kit.pairwiseCosine(saved).data), `${variant} ${dtype} D=${depth}`).toEqual(expected);
      q.dispose();
    }
  }
});

function decodedRow(dtype: StorageDtype, corpus: QuantizedTensor, row: number, depth: number): Float64Array {
  if (dtype === 'int8' || dtype === 'uint8') {
    const ranges = corpus.ranges as Float32Array;
    const data = corpus.data;
    return Float64Array.from({ length: depth }, (_, dim) => decodedCode(dtype, data[row * depth + dim]!, ranges[dim]!, ranges[depth + dim]!));
  }
  return storedRow(dtype, corpus.data, row, depth);
}

describe('QuantizedTensor lifetimes', () => {
  const kit = kits.get('simd128') ?? (kits.get('scalar') as Cosinekit);

  test('data is typed per dtype, shape frozen, ranges and thresholds are copies; dispose frees, using disposes', () => {
    const x = { data: rows(1, 4, 16), shape: [4, 16] };
    const before = kit.heapBytesInUse();
    const expectedTypes = { float16: Uint16Array, int8: Int8Array, uint8: Uint8Array, binary: Int8Array, ubinary: Uint8Array } as const;
    for (const dtype of DTYPES) {
      const tensor = kit.quantize(x, { dtype });
      expect(tensor).toBeInstanceOf(QuantizedTensor);
      expect(tensor.data).toBeInstanceOf(expectedTypes[dtype]);
      expect(tensor.data.length).toBe(dtype === 'binary' || dtype === 'ubinary' ? 8 : 64);
      expect(tensor.shape).toEqual([4, 16]);
      expect(Object.isFrozen(tensor.shape)).toBe(true);
      if (tensor.ranges !== null) {
        tensor.ranges.fill(0);
        expect(tensor.ranges.some((value) => value !== 0)).toBe(true);
      }
      tensor.dispose();
      expect(tensor.disposed).toBe(true);
      expect(() => tensor.data).toThrow(/disposed/);
      expect(() => kit.topK(x, tensor, 1)).toThrow(/disposed/);
      tensor.dispose();
    }
    {
      using scoped = kit.quantize(x, { dtype: 'int8' });
      expect(scoped.disposed).toBe(false);
    }
    expect(kit.heapBytesInUse()).toBe(before);
  });

  // float16, int8 and uint8 tensors cache each row's norm after their rows (8 bytes per row,
  // 8-aligned: int8/uint8 an i32 squared norm per row then an f32 inverse per row; float16
  // an f64 norm per row); binary needs none.
  const cachedDtypes = ['float16', 'int8', 'uint8'] as const;
  const normBytesOf = (tensor: QuantizedTensor): Uint8Array => {
    const data = tensor.data;
    const [count] = tensor.shape;
    const start = data.byteOffset + Math.ceil(data.byteLength / 8) * 8;
    return new Uint8Array(data.buffer, start, 8 * count);
  };

  test.each(variants)('%s: a QuantizedTensor (cached norms) ranks bit for bit as the same rows passed as plain objects', (variant) => {
    const each = kits.get(variant) as Cosinekit;
    const depth = 40;
    const x = { data: rows(31, 300, depth), shape: [300, depth] };
    const queries = { data: rows(32, 6, depth), shape: [6, depth] };
    for (const dtype of DTYPES) {
      using tensor = each.quantize(x, { dtype });
      const plain: QuantizedLike = { dtype, data: tensor.data.slice(), shape: [300, depth], ranges: tensor.ranges, thresholds: tensor.thresholds };
      for (const count of [1, 6]) {
        const someQueries = { data: queries.data.subarray(0, count * depth), shape: [count, depth] };
        const cached = each.topK(someQueries, tensor, 7);
        const computed = each.topK(someQueries, plain, 7);
        expect(Array.from(cached.indices), `${dtype} Q = ${count}`).toEqual(Array.from(computed.indices));
        expect(Array.from(new Uint32Array(cached.scores.buffer)), `${dtype} Q = ${count}`).toEqual(Array.from(new Uint32Array(computed.scores.buffer)));
      }
    }
  });

  test.each(cachedDtypes)('%s: a row changed through data, or a changed cached norm, makes topK throw instead of ranking by a stale norm', (dtype) => {
    const depth = 24;
    const x = { data: rows(33, 50, depth), shape: [50, depth] };
    const query = { data: x.data.slice(11 * depth, 12 * depth), shape: [1, depth] };
    {
      using tensor = kit.quantize(x, { dtype });
      expect(kit.topK(query, tensor, 3).indices[0]).toBe(11);
      const norms = normBytesOf(tensor);
      const saved = norms.slice();
      // The norm of row 11: int8/uint8 its squared norm (bytes 44..47), float16 its f64 (88..95).
      const byte = dtype === 'float16' ? 8 * 11 : 4 * 11;
      norms[byte] = (norms[byte] as number) ^ 1;
      expect(() => kit.topK(query, tensor, 3)).toThrow(TypeError);
      expect(() => kit.topK(query, tensor, 3)).toThrow(/no longer matches the row norms it cached/);
      norms.set(saved);
      expect(kit.topK(query, tensor, 3).indices[0]).toBe(11);
      if (dtype !== 'float16') {
        // The filter's inverse root of row 11 (after the 50 squared norms).
        norms[4 * 50 + 4 * 11] = (norms[4 * 50 + 4 * 11] as number) ^ 1;
        expect(() => kit.topK(query, tensor, 3)).toThrow(/no longer matches/);
        norms.set(saved);
      }
      // A stored row rewritten after quantize(): its cached norm no longer matches it.
      const data = tensor.data;
      data[11 * depth] = dtype === 'float16' ? (data[11 * depth] as number) ^ 0x0400 : (data[11 * depth] as number) ^ 0x40;
      expect(() => kit.topK(query, tensor, 3)).toThrow(/no longer matches/);
      // The library stays usable: a fresh tensor of the same rows searches as before.
      using fresh = kit.quantize(x, { dtype });
      expect(kit.topK(query, fresh, 3).indices[0]).toBe(11);
    }
  });

  test('a long loop of quantised topK calls does not grow the heap', () => {
    const corpus = kit.quantize({ data: rows(2, 500, 64), shape: [500, 64] }, { dtype: 'binary' });
    const queries = { data: rows(3, 3, 64), shape: [3, 64] };
    kit.topK(queries, corpus, 5, { rescore: true });
    const before = kit.heapBytesInUse();
    for (let round = 0; round < 300; round++) kit.topK(queries, corpus, 5, { rescore: { multiplier: 3 } });
    expect(kit.heapBytesInUse()).toBe(before);
    corpus.dispose();
  });
});

describe('errors', () => {
  const kit = kits.get('scalar') as Cosinekit;
  const x = { data: rows(5, 3, 16), shape: [3, 16] };

  test('quantize options', () => {
    expect(() => kit.quantize(x, undefined as never)).toThrow(TypeError);
    expect(() => kit.quantize(x, { dtype: 'int4' as never })).toThrow(/dtype must be one of 'float16', 'int8', 'uint8', 'binary', 'ubinary', got "int4"/);
    expect(() => kit.quantize(x, { dtype: 'binary', ranges: [0, 1] })).toThrow(/ranges applies to int8 and uint8 only/);
    expect(() => kit.quantize(x, { dtype: 'int8', thresholds: [0] })).toThrow(/thresholds applies to binary and ubinary only/);
    expect(() => kit.quantize(x, { dtype: 'float16', calibration: x })).toThrow(/calibration applies to/);
    expect(() => kit.quantize(x, { dtype: 'int8', calibration: x, ranges: new Float32Array(32) })).toThrow(/either calibration or ranges/);
    expect(() => kit.quantize(x, { dtype: 'int8', ranges: new Float32Array(31) })).toThrow(RangeError);
    const inverted = new Float32Array(32);
    inverted[0] = 1;
    expect(() => kit.quantize(x, { dtype: 'uint8', ranges: inverted })).toThrow(/min of dimension 0 \(1\) is above its max \(0\)/);
    expect(() => kit.quantize(x, { dtype: 'int8', ranges: Float32Array.from({ length: 32 }, (_, i) => (i === 20 ? NaN : i)) })).toThrow(/ranges\[20\] must be finite/);
    expect(() => kit.quantize({ data: rows(5, 2, 12), shape: [2, 12] }, { dtype: 'binary' })).toThrow(/multiple of 8, got D = 12/);
    expect(() => kit.quantize({ data: [1, NaN, 3, 4], shape: [2, 2] }, { dtype: 'int8', ranges: [0, 0, 5, 5] })).toThrow(/x holds NaN or ±Infinity/);
    expect(() => kit.quantize({ data: [1, Infinity], shape: [1, 2] }, { dtype: 'uint8' })).toThrow(RangeError);
    expect(() => kit.quantize({ data: new Float32Array(0), shape: [0, 4] }, { dtype: 'int8' })).toThrow(/no rows to take the ranges from/);
    expect(() => kit.quantize(x, { dtype: 'binary', calibration: { data: rows(1, 2, 8), shape: [2, 8] } })).toThrow(/calibration rows have length 8 but rows of x have length 16/);
    expect(() => kit.quantize(x, { dtype: 'binary', calibration: { data: [NaN, ...new Array(15).fill(0)], shape: [1, 16] } })).toThrow(/calibration holds NaN/);
    // The library stays usable after each refusal.
    expect(kit.quantize(x, { dtype: 'int8' }).data.length).toBe(48);
  });

  test('quantised operands', () => {
    const corpus = kit.quantize(x, { dtype: 'int8' });
    expect(() => kit.topK(x, { dtype: 'int8', data: new Uint8Array(48), shape: [3, 16] } as never, 1)).toThrow(/corpus.data must be an Int8Array for dtype int8, got a Uint8Array/);
    expect(() => kit.topK(x, { dtype: 'int8', data: new Int8Array(47), shape: [3, 16] }, 1)).toThrow(/corpus.data has 47 elements but int8 rows of shape \[3,16\] need 48/);
    expect(() => kit.topK(x, { dtype: 'binary', data: new Int8Array(5), shape: [3, 16] }, 1)).toThrow(/need 6 \(2 bytes per row\)/);
    expect(() => kit.topK(x, { dtype: 'int8', data: new Int8Array(48), shape: [3, 16] }, 1)).toThrow(/has no ranges, so float queries cannot be encoded/);
    expect(() => kit.topK({ data: rows(1, 1, 8), shape: [1, 8] }, corpus, 1)).toThrow(/rows of queries have length 8 but rows of corpus \(int8 \[3,16\]\) have length 16/);
    expect(() => kit.topK(x, corpus, 4)).toThrow(/k must be an integer from 1 to the corpus size \(3\)/);
    const binary = kit.quantize(x, { dtype: 'binary' });
    expect(() => kit.topK(binary, corpus, 1)).toThrow(/queries is binary but corpus is int8/);
    expect(() => kit.topK(corpus, corpus, 1, { rescore: true })).toThrow(/quantised queries cannot be rescored/);
    expect(() => kit.topK(x, corpus, 1, { rescore: { multiplier: 0 } })).toThrow(/multiplier must be an integer of at least 1/);
    expect(() => kit.topK(x, corpus, 1, { rescore: { multiplier: 1.5 } })).toThrow(RangeError);
    expect(() => kit.topK(x, corpus, 1, { rescore: { vectors: { data: rows(1, 2, 16), shape: [2, 16] } } })).toThrow(/must have the corpus's shape \[3,16\]/);
    expect(() => kit.topK(x, corpus, 1, { rescore: { factor: 2 } as never })).toThrow(/no option "factor"/);
    const other = kit.quantize({ data: rows(9, 3, 16), shape: [3, 16] }, { dtype: 'int8' });
    expect(() => kit.pairwiseCosine(corpus, other)).toThrow(/quantised with different ranges/);
    expect(() => kit.pairwiseCosine(corpus, x)).toThrow(/both quantised .* or both float/);
    expect(() => kit.cosineSimilarity(corpus as never, x)).toThrow(/quantised rows are \{ dtype, data, shape \}/);
    for (const tensor of [corpus, binary, other]) tensor.dispose();
  });
});
