// The worker pool over quantised corpora (setCorpus and topK with QuantizedTensor /
// QuantizedLike corpora): every result bitwise equal to the single-thread quantised topK of
// the same variant — split by query chunks and by corpus slices (the slices merged by the
// merge kernel), with ties, zero rows, excludeSelf, and rescoring from decoded rows and from
// float vectors (in JS memory and in WASM memory); with SharedArrayBuffers and with
// transferred buffers. Binary scores are also checked against an independent reference
// (Hamming distances counted here), and the errors against the single-thread ones.

import { type Cosinekit, type QuantizedLike, type StorageDtype, createInstanceSync } from 'cosinekit';
import { type Pool, createPool } from 'cosinekit/pool';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectBitwise } from './helpers/assertions.js';
import { MIN_QUERY_CHUNK, topKSliceRows, topKSplit } from '../packages/cosinekit/src/pool/plans.js';
import { tensor, tiedCorpus } from './pool/inputs.mjs';


const DTYPES: readonly StorageDtype[] = ['int8', 'uint8', 'binary', 'ubinary', 'float16'];
const D = 96;
/** Corpus rows for the slice cases: enough work that Q = 1..3 split into several slices. */
const SLICE_ROWS = 90_000;
const THREADS = 2;
const tiling = { tileRows: 4, tileColumns: 8, queryBlock: 512, corpusTile: 256 };

/** A corpus with ties (rows 3j+1 repeat 3j) and zero rows, every value finite. */
function finiteTiedCorpus(rows: number, seed: number): { data: Float32Array; shape: [number, number] } {
  const corpus = tiedCorpus(rows, D, seed);
  for (let index = 0; index < corpus.data.length; index++) if (Number.isNaN(corpus.data[index])) corpus.data[index] = 0.25;
  return { data: corpus.data, shape: [rows, D] };
}

const modes = [
  { name: 'shared memory', sharedMemory: true },
  { name: 'transferred buffers', sharedMemory: false },
] as const;

describe.each(modes)('pool over quantised corpora, $name', ({ sharedMemory }) => {
  let pool: Pool;
  let kit: Cosinekit;
  const big = finiteTiedCorpus(SLICE_ROWS, 31);
  const small = finiteTiedCorpus(1_500, 32);

  beforeAll(async () => {
    pool = await createPool({ threads: THREADS, sharedMemory, parallelThreshold: 0 });
    kit = createInstanceSync({ variant: pool.variant });
  });
  afterAll(() => pool.destroy());

  test('the cases below do split: Q = 1..3 into corpus slices, Q = 300 into query chunks', () => {
    for (const queries of [1, 2, 3]) {
      expect(topKSplit(queries, THREADS)).toBe('slices');
      expect(topKSliceRows(SLICE_ROWS, queries, D, 41, THREADS, tiling)).toBeLessThan(SLICE_ROWS);
    }
    expect(topKSplit(300, THREADS)).toBe('queries');
    expect(300).toBeGreaterThanOrEqual(2 * MIN_QUERY_CHUNK);
  });

  test.each(DTYPES)('%s: corpus slices (Q = 1, 2, 3), with and without rescoring, bitwise the single-thread topK', async (dtype) => {
    const corpus = kit.quantize(big, { dtype });
    try {
      for (const count of [1, 2, 3]) {
        const queries = tensor([count, D], 40 + count);
        const cases = [
          ['no rescoring', {}],
          ['rescored from decoded rows', { rescore: true }],
          ['rescored from vectors', { rescore: { multiplier: 3, vectors: big } }],
        ] as const;
        for (const [label, options] of cases) {
          const expected = kit.topK(queries, corpus, 10, options);
          const found = await pool.topK(queries, corpus, 10, options);
          const context = `${dtype} Q=${count} ${label}`;
          expect(found.shape).toEqual([count, 10]);
          expectBitwise(found.indices, expected.indices, `${context} indices`);
          expectBitwise(found.scores, expected.scores, `${context} scores`);
        }
      }
    } finally {
      corpus.dispose();
    }
  });

  test.each(DTYPES)('%s: query chunks (Q = 300) and excludeSelf over a corpus handle, bitwise the single-thread topK', async (dtype) => {
    const corpus = kit.quantize(small, { dtype });
    const handle = pool.setCorpus(corpus);
    try {
      await handle.ready;
      expect(handle.dtype).toBe(dtype);
      expect(handle.shape).toEqual([1_500, D]);
      const queries = tensor([300, D], 50);
      for (const options of [{}, { rescore: { multiplier: 2 } }]) {
        const expected = kit.topK(queries, corpus, 7, options);
        const found = await pool.topK(queries, handle, 7, options);
        expectBitwise(found.indices, expected.indices, `${dtype} chunks indices`);
        expectBitwise(found.scores, expected.scores, `${dtype} chunks scores`);
      }
      // The corpus's own rows as queries, skipping themselves: chunks move the self offset.
      const own = { data: small.data.subarray(0, 300 * D), shape: [300, D] };
      for (const options of [{ excludeSelf: true }, { excludeSelf: true, rescore: { vectors: small } }]) {
        const expected = kit.topK(own, corpus, 5, options);
        const found = await pool.topK(own, handle, 5, options);
        expectBitwise(found.indices, expected.indices, `${dtype} self indices`);
        expectBitwise(found.scores, expected.scores, `${dtype} self scores`);
        for (let query = 0; query < 300; query++) expect(Array.from(found.indices.subarray(query * 5, query * 5 + 5))).not.toContain(query);
      }
    } finally {
      handle.release();
      corpus.dispose();
    }
  });

  test('excludeSelf over corpus slices: the merge drops each query\'s own row (and its duplicate takes its place)', async () => {
    const corpus = kit.quantize(big, { dtype: 'int8' });
    try {
      // Rows 0 and 1 are equal (rows 3j+1 repeat 3j): query 0 skips row 0 and finds row 1 first.
      const own = { data: big.data.subarray(0, 2 * D), shape: [2, D] };
      for (const options of [{ excludeSelf: true }, { excludeSelf: true, rescore: true }]) {
        const expected = kit.topK(own, corpus, 6, options);
        const found = await pool.topK(own, corpus, 6, options);
        expectBitwise(found.indices, expected.indices, 'indices');
        expectBitwise(found.scores, expected.scores, 'scores');
        expect(found.indices[0]).toBe(1);
        expect(found.indices[6]).toBe(0);
      }
    } finally {
      corpus.dispose();
    }
  });

  test('eps, Float64Array and number[] queries, a 1-D query: as the single-thread topK', async () => {
    const corpus = kit.quantize(big, { dtype: 'float16' });
    try {
      const rows = tensor([2, D], 45);
      const cases = [
        ['eps 0.5', rows, { eps: 0.5, rescore: { multiplier: 2 } }],
        ['Float64Array', { data: Float64Array.from(rows.data), shape: [2, D] }, { rescore: true }],
        ['number[]', { data: Array.from(rows.data), shape: [2, D] }, {}],
        ['1-D', { data: rows.data.subarray(0, D), shape: [D] }, { rescore: { vectors: { data: Array.from(big.data.subarray(0, 100 * D)), shape: [100, D] } } }],
      ] as const;
      for (const [label, queries, options] of cases) {
        const target = label === '1-D' ? kit.quantize({ data: big.data.subarray(0, 100 * D), shape: [100, D] }, { dtype: 'float16' }) : corpus;
        const expected = kit.topK(queries, target, 5, options);
        const found = await pool.topK(queries, target, 5, options);
        expectBitwise(found.indices, expected.indices, `${label} indices`);
        expectBitwise(found.scores, expected.scores, `${label} scores`);
        if (target !== corpus) target.dispose();
      }
    } finally {
      corpus.dispose();
    }
  });

  test('inputs are read when the call is made: changing queries and codes, or disposing the corpus, before it settles changes nothing', async () => {
    const corpus = kit.quantize(big, { dtype: 'int8' });
    const codes = corpus.data.slice();
    const loaded: QuantizedLike = { dtype: 'int8', data: codes, shape: [SLICE_ROWS, D], ranges: corpus.ranges };
    const queries = tensor([2, D], 46);
    const options = { rescore: { multiplier: 2 } };
    const expected = kit.topK(queries, corpus, 10, options);
    const pendingTensor = pool.topK(queries, corpus, 10, options);
    const pendingLike = pool.topK(queries, loaded, 10, options);
    queries.data.fill(0.5);
    codes.fill(3);
    corpus.dispose();
    kit.alloc([1 << 16]).dispose(); // the freed block may be reused
    for (const found of [await pendingTensor, await pendingLike]) {
      expectBitwise(found.indices, expected.indices, 'indices');
      expectBitwise(found.scores, expected.scores, 'scores');
    }
  });

  test('plain QuantizedLike objects (an index loaded from disk) and rescoring vectors in WASM memory', async () => {
    const encoded = kit.quantize(small, { dtype: 'int8' });
    const loaded: QuantizedLike = { dtype: 'int8', data: encoded.data.slice(), shape: [1_500, D], ranges: encoded.ranges };
    const vectors = kit.alloc([1_500, D]);
    vectors.data.set(small.data);
    try {
      const queries = tensor([300, D], 60);
      for (const options of [{}, { rescore: { vectors } }]) {
        const expected = kit.topK(queries, encoded, 4, options);
        const found = await pool.topK(queries, loaded, 4, options);
        expectBitwise(found.indices, expected.indices, 'QuantizedLike indices');
        expectBitwise(found.scores, expected.scores, 'QuantizedLike scores');
      }
      const handle = pool.setCorpus(loaded);
      const found = await pool.topK(queries, handle, 4, { rescore: { vectors } });
      expectBitwise(found.scores, kit.topK(queries, encoded, 4, { rescore: { vectors } }).scores, 'handle of a QuantizedLike');
      handle.release();
    } finally {
      vectors.dispose();
      encoded.dispose();
    }
  });

  test('binary scores are (D − 2·hamming) / D of the codes (reference counted here)', async () => {
    const corpus = kit.quantize(big, { dtype: 'ubinary' });
    try {
      const queries = tensor([2, D], 70);
      const found = await pool.topK(queries, corpus, 8);
      const codes = corpus.data as Uint8Array;
      const bytes = D / 8;
      for (let query = 0; query < 2; query++) {
        const bits = new Uint8Array(bytes);
        for (let dim = 0; dim < D; dim++) if ((queries.data[query * D + dim] as number) > 0) bits[dim >> 3] |= 0x80 >> (dim & 7);
        let previous = Infinity;
        for (let slot = 0; slot < 8; slot++) {
          const row = found.indices[query * 8 + slot] as number;
          let hamming = 0;
          for (let byte = 0; byte < bytes; byte++) {
            let difference = (bits[byte] as number) ^ (codes[row * bytes + byte] as number);
            while (difference !== 0) {
              hamming += difference & 1;
              difference >>= 1;
            }
          }
          const score = Math.fround((D - 2 * hamming) / D);
          expect(found.scores[query * 8 + slot]).toBe(score);
          expect(score).toBeLessThanOrEqual(previous);
          previous = score;
        }
      }
    } finally {
      corpus.dispose();
    }
  });

  test('errors: quantised queries, quantised corpora in the pairwise functions, bad corpora, released handles', async () => {
    const corpus = kit.quantize(small, { dtype: 'binary' });
    const queries = tensor([2, D], 80);
    try {
      await expect(pool.topK(corpus, corpus, 3)).rejects.toThrow(/pool takes float queries/);
      const handle = pool.setCorpus(corpus);
      await expect(pool.pairwiseCosine(queries, handle)).rejects.toThrow(TypeError);
      await expect(pool.pairwiseCosine(queries, handle)).rejects.toThrow(/binary corpus; the pool scores quantised corpora with topK only/);
      expect(() => pool.pairwiseCosineBlocks(queries, handle)).toThrow(/topK only/);
      handle.release();
      await expect(pool.topK(queries, handle, 3)).rejects.toThrow(/released corpus handle/);
      // The single-thread messages, as rejections.
      const noRanges = { dtype: 'int8', data: new Int8Array(4 * D), shape: [4, D] } as const;
      const expected = (() => {
        try {
          kit.topK(queries, noRanges, 2);
        } catch (error) {
          return (error as Error).message;
        }
        return 'no error';
      })();
      expect(expected).toMatch(/no ranges/);
      await expect(pool.topK(queries, noRanges, 2)).rejects.toThrow(expected);
      const short = { dtype: 'uint8', data: new Uint8Array(3), shape: [4, D] } as const;
      expect(() => pool.setCorpus(short)).toThrow(RangeError);
      expect(() => pool.setCorpus({ dtype: 'int4', data: new Uint8Array(4), shape: [1, 4] } as unknown as QuantizedLike)).toThrow(/dtype/);
      expect(() => pool.setCorpus({ dtype: 'binary', data: new Int8Array(0), shape: [0, D] })).toThrow(/empty dimension/);
      await expect(pool.topK(queries, corpus, 3, { rescore: { multiplier: 0 } })).rejects.toThrow(RangeError);
      await expect(pool.topK(tensor([2, D + 8], 81), corpus, 3)).rejects.toThrow(/length/);
    } finally {
      corpus.dispose();
    }
  });
});

describe('pool over quantised corpora below parallelThreshold', () => {
  test('small calls run on the calling thread with the same results', async () => {
    const pool = await createPool({ threads: 2 });
    const kit = createInstanceSync({ variant: pool.variant });
    try {
      const corpusFloats = finiteTiedCorpus(600, 90);
      const corpus = kit.quantize(corpusFloats, { dtype: 'int8' });
      const handle = pool.setCorpus(corpus);
      const queries = tensor([3, D], 91);
      const expected = kit.topK(queries, corpus, 5, { rescore: true });
      for (const target of [corpus, handle]) {
        const found = await pool.topK(queries, target, 5, { rescore: true });
        expectBitwise(found.indices, expected.indices, 'indices');
        expectBitwise(found.scores, expected.scores, 'scores');
      }
      handle.release();
      corpus.dispose();
    } finally {
      await pool.destroy();
    }
  });
});
