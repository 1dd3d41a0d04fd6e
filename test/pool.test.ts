// The worker pool (createPool): every result bitwise equal to the single-thread function of
// the same variant (same kernel; each matrix entry does not depend on which rows share its
// call), with SharedArrayBuffers and with transferred buffers, for pairwise (2-D, batched,
// self), top-k (split by queries and by corpus slices, with ties, zero rows, NaN rows and
// excludeSelf), blocks and corpus handles; inputs as Float32Array, Float64Array, number[],
// WasmTensor and shared Float32Array; argument errors identical to the single-thread ones;
// worker-side failures (an allocation refused, a worker that dies) reject the call and leave
// the pool usable; a destroyed pool rejects; the ESM and CJS builds each find their worker.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Cosinekit, type TensorLike, createInstanceSync } from 'cosinekit';
import { type Pool, createPool } from 'cosinekit/pool';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectAllClose, expectBitwise } from './helpers/assertions.js';
import { matrixReference } from './helpers/reference.js';
import { awkwardCases, tensor, tiedCorpus, values } from './pool/inputs.mjs';

const distDirectory = fileURLToPath(new URL('../packages/cosinekit/dist/', import.meta.url));
const faultyWorker = new URL('./pool/faulty-worker.mjs', import.meta.url);
/** Must match test/pool/faulty-worker.mjs. */
const ALLOCATION_LIMIT = 1 << 20;
const CRASH_EPS = 0.015625;


const modes = [
  { name: 'shared memory', sharedMemory: true },
  { name: 'transferred buffers', sharedMemory: false },
] as const;

describe.each(modes)('pool with $name', ({ sharedMemory }) => {
  let pool: Pool;
  let kit: Cosinekit;

  beforeAll(async () => {
    // parallelThreshold 0: every call goes to the workers, however small.
    pool = await createPool({ threads: 3, sharedMemory, parallelThreshold: 0 });
    kit = createInstanceSync({ variant: pool.variant });
  });
  afterAll(() => pool.destroy());

  test('reports its settings', () => {
    expect(pool.threads).toBe(3);
    expect(pool.sharedMemory).toBe(sharedMemory);
    expect(pool.parallelThreshold).toBe(0);
    expect(pool.destroyed).toBe(false);
  });

  test('pairwise [N,D]×[M,D] with scale and eps: bitwise equal, and within 1e-5 of float64', async () => {
    // 601 rows of 509·37 multiply-adds: chunks of 224 rows (224, 224, 153), none a multiple
    // of the kernel's 64-row blocks.
    const a = tensor([601, 37], 11);
    const b = tensor([509, 37], 12);
    const result = await pool.pairwiseCosine(a, b, { scale: 2.5, eps: 1e-6 });
    expect(result.shape).toEqual([601, 509]);
    expectBitwise(result.data, kit.pairwiseCosine(a, b, { scale: 2.5, eps: 1e-6 }).data, 'pairwise');
    expect(result.data.buffer instanceof SharedArrayBuffer).toBe(sharedMemory);
    const rows = 40;
    expectAllClose(result.data.subarray(0, rows * 509), matrixReference(a.data, b.data, rows, 509, 37, 2.5), { absolute: 2.5e-5, context: 'reference' });
  });

  test('pairwise of a with itself (b omitted)', async () => {
    const a = tensor([777, 29], 13);
    const result = await pool.pairwiseCosine(a, undefined, { scale: -1 });
    expectBitwise(result.data, kit.pairwiseCosine(a, undefined, { scale: -1 }).data, 'self');
  });

  test('batched [B,N,D]×[B,M,D]: chunks that start and end inside batches', async () => {
    // 633 rows of 263·64 multiply-adds: chunks of 252 rows (at least 2^22 multiply-adds
    // each), so chunks end at rows 252 and 504, inside batches 1 (rows 211…421) and 2.
    const a = tensor([3, 211, 64], 14);
    const b = tensor([3, 263, 64], 15);
    const result = await pool.pairwiseCosine(a, b);
    expect(result.shape).toEqual([3, 211, 263]);
    expectBitwise(result.data, kit.pairwiseCosine(a, b).data, 'batched');
    const self = await pool.pairwiseCosine(b, undefined, { scale: 0.5 });
    expectBitwise(self.data, kit.pairwiseCosine(b, undefined, { scale: 0.5 }).data, 'batched self');
  });

  test('every kind of input: number[], Float64Array, WasmTensor of another instance, shared Float32Array', async () => {
    const a = tensor([300, 33], 16);
    const b = tensor([400, 33], 17);
    const expected = kit.pairwiseCosine(a, b).data;
    const asNumbers = { data: Array.from(a.data), shape: a.shape };
    expectBitwise((await pool.pairwiseCosine(asNumbers, b)).data, expected, 'number[]');
    const asDoubles = { data: Float64Array.from(b.data), shape: b.shape };
    expectBitwise((await pool.pairwiseCosine(a, asDoubles)).data, expected, 'Float64Array');
    const other = createInstanceSync({ variant: 'scalar' });
    const wasmA = other.alloc(a.shape);
    wasmA.data.set(a.data);
    expectBitwise((await pool.pairwiseCosine(wasmA, b)).data, expected, 'WasmTensor');
    wasmA.dispose();
    const sharedB = new Float32Array(new SharedArrayBuffer(b.data.length * 4));
    sharedB.set(b.data);
    expectBitwise((await pool.pairwiseCosine(a, { data: sharedB, shape: b.shape })).data, expected, 'shared Float32Array');
  });

  test('inputs are read when the call is made', async () => {
    const a = tensor([300, 33], 18);
    const b = tensor([300, 33], 19);
    const expected = kit.pairwiseCosine(a, b).data;
    const pending = pool.pairwiseCosine(a, b);
    a.data.fill(0);
    b.data.fill(1);
    expectBitwise((await pending).data, expected, 'snapshot');
  });

  test('topK split by queries, with ties, zero rows and a NaN row', async () => {
    const corpus = tiedCorpus(900, 31, 20);
    const queries = tensor([640, 31], 21);
    queries.data.fill(0, 5 * 31, 6 * 31); // a zero query: every score 0, order by index
    for (const k of [1, 10, 40]) {
      const result = await pool.topK(queries, corpus, k);
      const expected = kit.topK(queries, corpus, k);
      expect(result.shape).toEqual([640, k]);
      expectBitwise(result.indices, expected.indices, `indices k=${k}`);
      expectBitwise(result.scores, expected.scores, `scores k=${k}`);
    }
    // The ties really are there: every query sees row 7 (NaN) first, and the zero query then
    // gets every other row at score 0, by index.
    const lists = await pool.topK(queries, corpus, 60);
    expect(lists.indices[0]).toBe(7);
    expect(Array.from(lists.indices.subarray(5 * 60, 5 * 60 + 4))).toEqual([7, 0, 1, 2]);
  });

  test('topK with excludeSelf, queries = corpus, chunks not starting at query 0', async () => {
    // 600 queries of 600·30 multiply-adds: chunks of 236 queries, starting at 0, 236 and 472.
    const corpus = tiedCorpus(600, 30, 22);
    for (const k of [1, 5, 599]) {
      const result = await pool.topK(corpus, corpus, k, { excludeSelf: true });
      const expected = kit.topK(corpus, corpus, k, { excludeSelf: true });
      expectBitwise(result.indices, expected.indices, `indices k=${k}`);
      expectBitwise(result.scores, expected.scores, `scores k=${k}`);
    }
    // Fewer queries than corpus rows (the first 390 rows query the whole corpus).
    const queries = { data: corpus.data.slice(0, 390 * 30), shape: [390, 30] };
    const result = await pool.topK(queries, corpus, 8, { excludeSelf: true });
    const expected = kit.topK(queries, corpus, 8, { excludeSelf: true });
    expectBitwise(result.indices, expected.indices, 'indices Q<N');
    expectBitwise(result.scores, expected.scores, 'scores Q<N');
  });

  test('topK with few queries: split by corpus slices and merged, ties across slices', async () => {
    // 12 queries over 3 threads are too few to share out: the corpus is cut into slices of
    // whole 256-row tiles, at least 2^22 multiply-adds each: rows [0, 14592), [14592, 29184),
    // [29184, 40000). Rows 20000+j repeat rows j, so equal scores sit in different slices.
    const depth = 24;
    const corpus = tiedCorpus(40_000, depth, 23);
    corpus.data.copyWithin(20_000 * depth, 0, 20_000 * depth);
    const queries = { data: corpus.data.slice(0, 12 * depth), shape: [12, depth] };
    for (const excludeSelf of [false, true]) {
      for (const k of [1, 7, 300]) {
        const result = await pool.topK(queries, corpus, k, { excludeSelf });
        const expected = kit.topK(queries, corpus, k, { excludeSelf });
        expectBitwise(result.indices, expected.indices, `indices k=${k} excludeSelf=${excludeSelf}`);
        expectBitwise(result.scores, expected.scores, `scores k=${k} excludeSelf=${excludeSelf}`);
      }
    }
    // Row 0: the NaN row 7 and its copy 20007 first, then the four equal rows 0, 1 (its
    // repeat), 20000, 20001 (their copies, in the second slice) by index.
    const single = await pool.topK({ data: queries.data.slice(0, depth), shape: [1, depth] }, corpus, 6);
    expect(Array.from(single.indices)).toEqual([7, 20_007, 0, 1, 20_000, 20_001]);
  });

  test('pairwiseCosineBlocks: the same blocks, in order', async () => {
    const a = tensor([333, 35], 24);
    const b = tensor([250, 35], 25);
    for (const blockRows of [1, 50, 64, 1000]) {
      const blocks = [];
      for await (const block of pool.pairwiseCosineBlocks(a, b, { blockRows, eps: 1e-3 })) blocks.push(block);
      const expected = [...kit.pairwiseCosineBlocks(a, b, { blockRows, eps: 1e-3 })];
      expect(blocks.map(({ rowStart, rows }) => [rowStart, rows])).toEqual(expected.map(({ rowStart, rows }) => [rowStart, rows]));
      blocks.forEach((block, index) => expectBitwise(block.data, expected[index]!.data, `blockRows=${blockRows} block ${index}`));
    }
    const self = [];
    for await (const block of pool.pairwiseCosineBlocks(a)) self.push(block);
    expectBitwise(self[0]!.data, kit.pairwiseCosine(a).data, 'self, default blockRows');
  });

  test('pairwiseCosineBlocks: leaving early, and iterating twice', async () => {
    const a = tensor([400, 20], 26);
    const iterable = pool.pairwiseCosineBlocks(a, undefined, { blockRows: 10 });
    let seen = 0;
    for await (const block of iterable) {
      seen += block.rows;
      if (seen >= 30) break;
    }
    expect(seen).toBe(30);
    let total = 0;
    for await (const block of iterable) total += block.rows;
    expect(total).toBe(400);
    expectBitwise((await pool.pairwiseCosine(a)).data, kit.pairwiseCosine(a).data, 'after early exit');
  });

  test('a corpus handle: sent once, reused by topK, pairwise and blocks, then released', async () => {
    const corpus = tiedCorpus(800, 19, 27);
    const handle = pool.setCorpus(corpus);
    expect(handle.shape).toEqual([800, 19]);
    corpus.data.fill(3); // the handle holds its own copy
    const original = tiedCorpus(800, 19, 27);
    await handle.ready;
    for (const seed of [28, 29, 30]) {
      const queries = tensor([350, 19], seed);
      const result = await pool.topK(queries, handle, 6);
      const expected = kit.topK(queries, original, 6);
      expectBitwise(result.indices, expected.indices, `topK seed ${seed}`);
      expectBitwise(result.scores, expected.scores, `topK scores seed ${seed}`);
    }
    const few = tensor([4, 19], 31);
    expectBitwise((await pool.topK(few, handle, 9)).indices, kit.topK(few, original, 9).indices, 'topK by slices');
    const a = tensor([300, 19], 32);
    expectBitwise((await pool.pairwiseCosine(a, handle, { scale: 3 })).data, kit.pairwiseCosine(a, original, { scale: 3 }).data, 'pairwise');
    const blocks = [];
    for await (const block of pool.pairwiseCosineBlocks(a, handle, { blockRows: 128 })) blocks.push(block.data);
    expectBitwise(blocks[2]!, kit.pairwiseCosine({ data: a.data.slice(256 * 19), shape: [44, 19] }, original).data, 'blocks');
    handle.release();
    handle.release();
    expect(handle.released).toBe(true);
    await expect(pool.topK(few, handle, 3)).rejects.toThrow(new TypeError('topK: corpus is a released corpus handle'));
  });

  test('a batched corpus handle, and `using`', async () => {
    const a = tensor([2, 150, 21], 33);
    const b = tensor([2, 170, 21], 34);
    {
      using handle = pool.setCorpus(b);
      expectBitwise((await pool.pairwiseCosine(a, handle)).data, kit.pairwiseCosine(a, b).data, 'batched handle');
      await expect(pool.topK(tensor([3, 21], 35), handle, 1)).rejects.toThrow(new RangeError('topK: corpus must have shape [N, D], got [2,170,21]'));
    }
  });

  test('argument errors are the single-thread errors, thrown before any work is sent', async () => {
    const a = tensor([5, 4], 35);
    const b = tensor([6, 4], 36);
    const cases: [string, () => unknown, () => Promise<unknown>][] = [
      ['depth mismatch', () => kit.pairwiseCosine(a, tensor([6, 3], 1)), () => pool.pairwiseCosine(a, tensor([6, 3], 1))],
      ['rank', () => kit.pairwiseCosine(tensor([5], 1), b), () => pool.pairwiseCosine(tensor([5], 1), b)],
      ['batch mismatch', () => kit.pairwiseCosine(tensor([2, 5, 4], 1), tensor([3, 5, 4], 1)), () => pool.pairwiseCosine(tensor([2, 5, 4], 1), tensor([3, 5, 4], 1))],
      ['data length', () => kit.pairwiseCosine({ data: [1, 2, 3], shape: [2, 2] }), () => pool.pairwiseCosine({ data: [1, 2, 3], shape: [2, 2] })],
      ['options in b', () => kit.pairwiseCosine(a, { scale: 2 } as unknown as TensorLike), () => pool.pairwiseCosine(a, { scale: 2 } as unknown as TensorLike)],
      ['options not an object', () => kit.pairwiseCosine(a, b, 3 as never), () => pool.pairwiseCosine(a, b, 3 as never)],
      ['bad scale', () => kit.pairwiseCosine(a, b, { scale: Number.NaN }), () => pool.pairwiseCosine(a, b, { scale: Number.NaN })],
      ['negative eps', () => kit.topK(a, b, 2, { eps: -1 }), () => pool.topK(a, b, 2, { eps: -1 })],
      ['k too large', () => kit.topK(a, b, 7), () => pool.topK(a, b, 7)],
      ['k not an integer', () => kit.topK(a, b, 1.5), () => pool.topK(a, b, 1.5)],
      ['k excluding self', () => kit.topK(b, b, 6, { excludeSelf: true }), () => pool.topK(b, b, 6, { excludeSelf: true })],
      ['excludeSelf with more queries', () => kit.topK(b, a, 2, { excludeSelf: true }), () => pool.topK(b, a, 2, { excludeSelf: true })],
      ['empty dimension', () => kit.topK({ data: [], shape: [0, 4] }, b, 1), () => pool.topK({ data: [], shape: [0, 4] }, b, 1)],
      ['not a tensor', () => kit.topK(a, 'corpus' as unknown as TensorLike, 1), () => pool.topK(a, 'corpus' as unknown as TensorLike, 1)],
      ['blockRows', () => kit.pairwiseCosineBlocks(a, b, { blockRows: 0 }), async () => pool.pairwiseCosineBlocks(a, b, { blockRows: 0 })],
      ['blocks of 3-D', () => kit.pairwiseCosineBlocks(tensor([1, 2, 4], 1)), async () => pool.pairwiseCosineBlocks(tensor([1, 2, 4], 1))],
    ];
    for (const [name, single, pooled] of cases) {
      let expected: unknown;
      try {
        single();
      } catch (thrown) {
        expected = thrown;
      }
      expect(expected, `${name}: the single-thread call throws`).toBeInstanceOf(Error);
      await expect(pooled(), name).rejects.toThrow(expected as Error);
      const error: unknown = await pooled().catch((thrown: unknown) => thrown);
      expect((error as Error).constructor, name).toBe((expected as Error).constructor);
    }
    // The pool has no `out` (results come from the workers); it says which options it has.
    await expect(pool.pairwiseCosine(a, b, { out: new Float32Array(30) } as never)).rejects.toThrow(
      new TypeError('pairwiseCosine has no option "out"; its options are eps, scale'),
    );
    expect(() => pool.setCorpus(tensor([4], 1))).toThrow(new RangeError('setCorpus: corpus must have shape [M, D] or [B, M, D], got [4]'));
  });
});

describe('every worker runs the variant the pool chose', () => {
  test('a scalar pool equals the scalar single-thread functions, and differs from simd128', async () => {
    const pool = await createPool({ threads: 2, variant: 'scalar', parallelThreshold: 0 });
    try {
      expect(pool.variant).toBe('scalar');
      const a = tensor([301, 37], 45);
      const result = (await pool.pairwiseCosine(a)).data;
      expectBitwise(result, createInstanceSync({ variant: 'scalar' }).pairwiseCosine(a).data, 'scalar');
      // The variants round differently (lane sums): the comparison above can tell them apart.
      const simd = createInstanceSync({ variant: 'simd128' }).pairwiseCosine(a).data;
      expect(result.some((value, index) => value !== simd[index])).toBe(true);
    } finally {
      await pool.destroy();
    }
  });
});

describe('createPool({ wasm }): the workers run the module given', () => {
  test('scalar bytes: the pool reports scalar and equals the scalar single-thread functions bitwise', async () => {
    const bytes = readFileSync(join(distDirectory, 'cosinekit-scalar.wasm'));
    const pool = await createPool({ threads: 2, wasm: bytes, parallelThreshold: 0 });
    try {
      expect(pool.variant).toBe('scalar');
      const a = tensor([157, 29], 46);
      expectBitwise((await pool.pairwiseCosine(a)).data, createInstanceSync({ variant: 'scalar' }).pairwiseCosine(a).data, 'scalar from bytes');
    } finally {
      await pool.destroy();
    }
  });

  test('a variant that contradicts the module is refused before any worker starts', async () => {
    const bytes = readFileSync(join(distDirectory, 'cosinekit-scalar.wasm'));
    await expect(createPool({ threads: 1, wasm: bytes, variant: 'simd128' })).rejects.toThrow(
      'createPool option wasm holds the scalar variant, but variant "simd128" was asked for',
    );
    await expect(createPool({ threads: 1, wasm: 7 as never })).rejects.toThrow(TypeError);
  });
});

describe('calls below parallelThreshold run on the calling thread', () => {
  test('small calls do not go to the workers; large ones do; results are equal either way', async () => {
    const pool = await createPool({ threads: 2, parallelThreshold: 200_000 });
    const kit = createInstanceSync({ variant: pool.variant });
    try {
      const small = tensor([20, 16], 40); // 20·20·16 = 6400 multiply-adds
      const large = tensor([100, 32], 41); // 100·100·32 = 320000
      const smallResult = await pool.pairwiseCosine(small);
      const largeResult = await pool.pairwiseCosine(large);
      expectBitwise(smallResult.data, kit.pairwiseCosine(small).data, 'small');
      expectBitwise(largeResult.data, kit.pairwiseCosine(large).data, 'large');
      // The workers write into shared memory; the calling thread returns an ordinary array.
      expect(smallResult.data.buffer instanceof SharedArrayBuffer).toBe(false);
      expect(largeResult.data.buffer instanceof SharedArrayBuffer).toBe(true);
      const handle = pool.setCorpus(small);
      const found = await pool.topK(small, handle, 3, { excludeSelf: true });
      expectBitwise(found.indices, kit.topK(small, small, 3, { excludeSelf: true }).indices, 'small topK on a handle');
      expect(found.scores.buffer instanceof SharedArrayBuffer).toBe(false);
      const blocks = [];
      for await (const block of pool.pairwiseCosineBlocks(small, handle, { blockRows: 8 })) blocks.push(block);
      expect(blocks.map((block) => block.rows)).toEqual([8, 8, 4]);
      expectBitwise(blocks[1]!.data, kit.pairwiseCosine(small).data.subarray(8 * 20, 16 * 20), 'small blocks');
    } finally {
      await pool.destroy();
    }
  });
});

describe('failures inside a worker', () => {
  let pool: Pool;
  let kit: Cosinekit;

  beforeAll(async () => {
    pool = await createPool({ threads: 2, parallelThreshold: 0, workerUrl: faultyWorker });
    kit = createInstanceSync({ variant: pool.variant });
  });
  afterAll(() => pool.destroy());

  test('an allocation the worker cannot make rejects the call; the pool stays usable', async () => {
    // A chunk of this result (at least 2000 rows / 8 chunks × 2000 columns × 4 bytes) needs
    // more than ALLOCATION_LIMIT bytes of scratch in the worker.
    const a = tensor([2000, 8], 50);
    expect((2000 / 8) * 2000 * 4).toBeGreaterThan(ALLOCATION_LIMIT);
    await expect(pool.pairwiseCosine(a)).rejects.toThrow(RangeError);
    await expect(pool.pairwiseCosine(a)).rejects.toThrow(/cannot allocate .* \(in pool worker [12]\)/);
    const small = tensor([100, 8], 51);
    expectBitwise((await pool.pairwiseCosine(small)).data, kit.pairwiseCosine(small).data, 'after the failure');
  });

  test('a corpus no worker can hold: handle.ready and every call with it reject', async () => {
    const corpus = tensor([(ALLOCATION_LIMIT / 4 / 16) * 2, 16], 52);
    const handle = pool.setCorpus(corpus);
    await expect(handle.ready).rejects.toThrow(/^cannot allocate 2097152 bytes for a pool worker's tensor of shape \[32768,16\]: .* \(in pool worker [12]\)$/);
    await expect(pool.topK(tensor([300, 16], 53), handle, 2)).rejects.toThrow(RangeError);
    handle.release();
    const queries = tensor([300, 16], 54);
    const small = tensor([200, 16], 55);
    expectBitwise((await pool.topK(queries, small, 4)).indices, kit.topK(queries, small, 4).indices, 'after the failure');
  });

  test('a worker that dies mid-call: the call rejects, the worker is replaced, handles survive', async () => {
    const corpus = tensor([300, 12], 56);
    const handle = pool.setCorpus(corpus);
    const a = tensor([300, 12], 57);
    await expect(pool.pairwiseCosine(a, handle, { eps: CRASH_EPS })).rejects.toThrow(/pool worker exited unexpectedly \(exit code 7\)/);
    // Every later call works, on the replacement worker too (both get chunks of this one).
    for (let round = 0; round < 3; round++) {
      expectBitwise((await pool.pairwiseCosine(a, handle)).data, kit.pairwiseCosine(a, corpus).data, `round ${round}`);
      expectBitwise((await pool.topK(a, handle, 5)).indices, kit.topK(a, corpus, 5).indices, `topK round ${round}`);
    }
    handle.release();
  });
});

describe('lifetime', () => {
  test('destroy() rejects the calls in progress and every later call; it is idempotent', async () => {
    const pool = await createPool({ threads: 2, parallelThreshold: 0 });
    const a = tensor([2000, 64], 60);
    const running = expect(pool.pairwiseCosine(a)).rejects.toThrow(new Error('cosinekit: the pool was destroyed before this call finished'));
    const handle = pool.setCorpus(a);
    const destroyed = pool.destroy();
    expect(pool.destroy()).toBe(destroyed);
    await destroyed;
    await running;
    expect(pool.destroyed).toBe(true);
    expect(handle.released).toBe(true);
    await expect(pool.pairwiseCosine(a)).rejects.toThrow(new Error('cosinekit: pairwiseCosine() was called on a destroyed pool; create a new one with createPool()'));
    await expect(pool.topK(a, a, 1)).rejects.toThrow(/topK\(\) was called on a destroyed pool/);
    expect(() => pool.pairwiseCosineBlocks(a)).toThrow(/pairwiseCosineBlocks\(\) was called on a destroyed pool/);
    expect(() => pool.setCorpus(a)).toThrow(/setCorpus\(\) was called on a destroyed pool/);
  });

  test('await using destroys the pool; a handle of another pool is refused', async () => {
    let escaped: Pool;
    {
      await using pool = await createPool({ threads: 1, parallelThreshold: 0 });
      escaped = pool;
      await using other = await createPool({ threads: 1 });
      const handle = other.setCorpus(tensor([10, 4], 61));
      await expect(pool.topK(tensor([3, 4], 62), handle, 2)).rejects.toThrow(new TypeError('topK: corpus is a corpus handle of another pool'));
    }
    expect(escaped.destroyed).toBe(true);
  });

  test('createPool validates its options', async () => {
    await expect(createPool({ threads: 0 })).rejects.toThrow(new RangeError('threads must be an integer from 1 to 64, got 0'));
    await expect(createPool({ threads: 2.5 })).rejects.toThrow(RangeError);
    await expect(createPool({ threads: '2' as unknown as number })).rejects.toThrow(TypeError);
    await expect(createPool({ variant: 'avx' as never })).rejects.toThrow(RangeError);
    await expect(createPool({ sharedMemory: 1 as unknown as boolean })).rejects.toThrow(new TypeError('sharedMemory must be a boolean, got 1'));
    await expect(createPool({ parallelThreshold: -1 })).rejects.toThrow(RangeError);
    await expect(createPool({ workers: 2 } as never)).rejects.toThrow(/createPool has no option "workers"/);
    await expect(createPool({ threads: 1, workerUrl: new URL('./pool/no-such-worker.mjs', import.meta.url) })).rejects.toThrow(/cosinekit pool worker failed/);
  });

  test('the default thread count is the core count, capped at 8', async () => {
    const pool = await createPool();
    try {
      expect(pool.threads).toBe(Math.min((await import('node:os')).availableParallelism(), 8));
    } finally {
      await pool.destroy();
    }
  });
});

describe('awkward splits are bitwise equal to one thread, by construction', () => {
  let pool: Pool;
  let kit: Cosinekit;

  beforeAll(async () => {
    pool = await createPool({ threads: 2, parallelThreshold: 0 });
    kit = createInstanceSync({ variant: pool.variant });
  });
  afterAll(() => pool.destroy());

  test.each(awkwardCases().map((entry) => [entry.label, entry] as const))('%s', async (_, entry) => {
    const want = await entry.run(kit);
    const got = await entry.run(pool);
    expect(got.map(([label]) => label)).toEqual(want.map(([label]) => label));
    got.forEach(([label, values], index) => expectBitwise(values, want[index]![1], label));
  });

  test('the cases can fail: a plain product of a chunk differs from the mirrored self matrix at scale 1/0.07', () => {
    const a = tensor([513, 48], 94);
    const whole = kit.pairwiseCosine(a, undefined, { scale: 1 / 0.07 }).data;
    // Rows 400.. computed as an ordinary product (A = those rows, B = all rows), as a chunk once was.
    const rows = { data: a.data.slice(400 * 48), shape: [113, 48] };
    const plain = kit.pairwiseCosine(rows, a, { scale: 1 / 0.07 }).data;
    let differing = 0;
    for (let index = 0; index < plain.length; index++) if (!Object.is(plain[index], whole[400 * 513 + index])) differing++;
    expect(differing).toBeGreaterThan(0);
  });
});

describe('the built files, ESM and CJS, each on its own', () => {
  // Copies only one format's files to a directory of their own, so the run proves that
  // format finds its worker script (pool-worker.js or pool-worker.cjs) next to itself.
  // The script exits without destroy(): idle workers must not keep the process alive.
  const script = (load: string) => `
    ${load}
    (async () => {
      const pool = await createPool({ threads: 2, parallelThreshold: 0 });
      const kit = createInstanceSync({ variant: pool.variant });
      const a = { data: Float32Array.from({ length: 700 * 9 }, (_, i) => Math.sin(i)), shape: [700, 9] };
      const got = await pool.topK(a, a, 4, { excludeSelf: true });
      const want = kit.topK(a, a, 4, { excludeSelf: true });
      const same = got.indices.every((v, i) => v === want.indices[i]) && got.scores.every((v, i) => Object.is(v, want.scores[i]));
      console.log(JSON.stringify({ same, threads: pool.threads }));
    })();`;

  for (const format of ['esm', 'cjs'] as const) {
    test(`${format}: a pool works and the process exits by itself`, () => {
      const directory = mkdtempSync(join(tmpdir(), `cosinekit-pool-${format}-`));
      try {
        const extension = format === 'esm' ? '.js' : '.cjs';
        for (const file of readdirSync(distDirectory)) {
          // The format's JS, and the .wasm assets the default entry loads from next to it.
          if (file.endsWith(extension) || file.endsWith('.wasm')) copyFileSync(join(distDirectory, file), join(directory, file));
        }
        writeFileSync(join(directory, 'package.json'), JSON.stringify({ type: format === 'esm' ? 'module' : 'commonjs' }));
        const load =
          format === 'esm'
            ? `import { createInstanceSync } from './index.js'; import { createPool } from './pool.js';`
            : `const { createInstanceSync } = require('./index.cjs'); const { createPool } = require('./pool.cjs');`;
        const file = join(directory, `check${format === 'esm' ? '.mjs' : '.cjs'}`);
        writeFileSync(file, script(load));
        const output = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
        expect(JSON.parse(output.trim())).toEqual({ same: true, threads: 2 });
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    });
  }

  test('after cosinekit/inline is initialised, a pool needs no .wasm asset (the compiled module is shared)', () => {
    const directory = mkdtempSync(join(tmpdir(), 'cosinekit-pool-inline-'));
    try {
      // The ESM build without a single .wasm file: only the inlined modules exist.
      for (const file of readdirSync(distDirectory)) if (file.endsWith('.js')) copyFileSync(join(distDirectory, file), join(directory, file));
      writeFileSync(join(directory, 'package.json'), JSON.stringify({ type: 'module' }));
      const file = join(directory, 'check.mjs');
      const withoutInit = `import { createPool } from './pool.js';
        createPool({ threads: 1 }).then(() => console.log('started'), (error) => console.log(JSON.stringify(String(error.message))));`;
      writeFileSync(file, withoutInit);
      // Without the inline entry's module, the pool reaches for the missing asset.
      expect(execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 })).toMatch(/cannot read|no such file|ENOENT/i);
      writeFileSync(file, `import { init } from './inline.js';\nawait init();\n${script("import { createInstanceSync } from './inline.js'; import { createPool } from './pool.js';")}`);
      expect(JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 }).trim())).toEqual({ same: true, threads: 2 });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
