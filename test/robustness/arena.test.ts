// Regressions found by review of the scratch arena and the calls built on it: a nested call
// (from user code run while an outer call validates) frees only its own scratch; the arena
// never grows after a result view was made; blocks over views of a tensor survive memory
// growth; `cosine` reads a view of freed memory only through a copy, as the tensor API does;
// the pool re-measures data that user code could have changed and takes 1-D queries.

import { type Cosinekit, createInstanceSync } from 'cosinekit';
import { createPool } from 'cosinekit/pool';
import { expect, test } from 'vitest';

function cosine64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index]! * b[index]!;
    aa += a[index]! ** 2;
    bb += b[index]! ** 2;
  }
  return dot / (Math.sqrt(aa) * Math.sqrt(bb));
}

test('a nested call from a getter frees only its own heap blocks: the outer call reads what it was given and writes nowhere else', () => {
  const kit: Cosinekit = createInstanceSync({ variant: 'simd128' });
  kit.alloc([1 << 24]).dispose(); // room for everything below without growing
  const warm = new Array<number>(1 << 20).fill(1);
  kit.cosine(warm, warm); // the arena at its cap: the operands below overflow it
  const count = 1_200_000;
  const a = Array.from({ length: count }, (_, index) => (index % 7) - 3);
  const plain = Array.from({ length: count }, (_, index) => (index % 5) - 2);
  let first: ReturnType<Cosinekit['alloc']> | null = null;
  let second: ReturnType<Cosinekit['alloc']> | null = null;
  const b = new Proxy(plain, {
    get(target, key, receiver) {
      if (key === '0' && first === null) {
        expect(kit.cosine([1, 2], [3, 4])).toBeCloseTo(11 / Math.sqrt(5 * 25), 6);
        first = kit.alloc([count]);
        first.data.fill(7);
        second = kit.alloc([count]);
        second.data.fill(9);
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  const got = kit.cosine(a, b);
  expect(Math.abs(got - cosine64(a, plain))).toBeLessThan(1e-6);
  expect(first!.data.every((value) => value === 7)).toBe(true);
  expect(second!.data.every((value) => value === 9)).toBe(true);
  first!.dispose();
  second!.dispose();
});

test('the arena grows before a call takes scratch, never after: a returned out view is never detached', () => {
  let checked = 0;
  for (const depth of [64, 256, 1024]) {
    for (const rows of [40, 300, 1000]) {
      const kit = createInstanceSync({ variant: 'simd128' });
      const out = kit.alloc([rows, depth]);
      const x = { data: new Float32Array(rows * depth).fill(1), shape: [rows, depth] };
      for (let call = 0; call < 3; call++) {
        const result = kit.normalize(x, { out });
        expect(result.data.length, `[${rows}, ${depth}] call ${call}`).toBe(rows * depth);
        expect(result.data[0]).toBeCloseTo(1 / Math.sqrt(depth), 6);
        checked++;
      }
    }
  }
  expect(checked).toBe(27);
});

test('pairwiseCosineBlocks over a view of a tensor survives memory growth between blocks', () => {
  const kit = createInstanceSync({ variant: 'simd128' });
  const tensor = kit.alloc([600, 16]);
  tensor.data.fill(1);
  const b = { data: new Float32Array(3000 * 16).fill(1), shape: [3000, 16] };
  const starts: number[] = [];
  for (const block of kit.pairwiseCosineBlocks({ data: tensor.data, shape: [600, 16] }, b, { blockRows: 200 })) {
    starts.push(block.rowStart);
    expect(block.data.every((value) => Math.abs(value - 1) < 1e-6)).toBe(true);
  }
  expect(starts).toEqual([0, 200, 400]);
  // Disposed between blocks: a TypeError, not a read of freed memory.
  const iterator = kit.pairwiseCosineBlocks({ data: tensor.data, shape: [600, 16] }, b, { blockRows: 200 })[Symbol.iterator]();
  iterator.next();
  tensor.dispose();
  expect(() => iterator.next()).toThrow(/a views a WasmTensor that was disposed during the iteration/);
});

test('cosine reads a view of freed WASM memory as the tensor API does (copied when called), and refuses a tensor disposed while b is read', () => {
  const kit = createInstanceSync({ variant: 'simd128' });
  kit.alloc([1 << 22]).dispose();
  const count = 100_000;
  const tensor = kit.alloc([count]);
  const view = tensor.data;
  view.fill(1);
  tensor.dispose();
  const b = Array.from({ length: count }, (_, index) => (index % 5) - 2);
  expect(kit.cosine(view, b)).toBe(kit.cosineSimilarity({ data: view, shape: [count] }, { data: b, shape: [count] }, { dim: 0 }).data[0]);
  const live = kit.alloc([count]);
  live.data.fill(1);
  const disposing = new Proxy(b, {
    get(target, key, receiver) {
      if (key === '0') live.dispose();
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  expect(() => kit.cosine(live.data, disposing)).toThrow(/a views a WasmTensor that was disposed while b was being read/);
});

test('the pool: a 1-D query is one row, and data shrunk or detached by a later getter is refused', async () => {
  const pool = await createPool({ threads: 2, parallelThreshold: 0 });
  try {
    const kit = createInstanceSync({ variant: pool.variant });
    const depth = 8;
    const corpus = { data: Float32Array.from({ length: 50 * depth }, (_, index) => Math.sin(index)), shape: [50, depth] };
    const query = { data: Float32Array.from({ length: depth }, (_, index) => Math.cos(index)), shape: [depth] };
    const found = await pool.topK(query, corpus, 3);
    expect(found.shape).toEqual([1, 3]);
    expect(Array.from(found.indices)).toEqual(Array.from(kit.topK(query, corpus, 3).indices));
    const resizable = new ArrayBuffer(4 * 4 * depth, { maxByteLength: 4096 });
    const shrinking = { data: new Float32Array(resizable).fill(1), shape: [4, depth] };
    const b = {
      get data() {
        resizable.resize(8);
        return corpus.data;
      },
      shape: [50, depth],
    };
    await expect(pool.pairwiseCosine(shrinking, b)).rejects.toThrow(new TypeError('a.data was detached or resized while the call was being validated'));
    const buffer = new ArrayBuffer(4 * 4 * depth);
    const detaching = { data: new Float32Array(buffer), shape: [4, depth] };
    const c = {
      get data() {
        structuredClone(buffer, { transfer: [buffer] });
        return corpus.data;
      },
      shape: [50, depth],
    };
    await expect(pool.pairwiseCosine(detaching, c)).rejects.toThrow(/a\.data was detached or resized while the call was being validated/);
  } finally {
    await pool.destroy();
  }
});
