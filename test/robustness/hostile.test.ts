// Hostile-input audit of the public API: every case gets a TypeError or RangeError naming
// the value, thrown before any kernel runs; afterwards a sentinel WasmTensor is unchanged,
// the heap is back at its baseline and the library still computes correct results. Then the
// cases that are not errors at all: user code (getters, Proxy traps) that runs between
// validation and the kernel and disposes, detaches, resizes or re-enters.

import * as cosinekit from 'cosinekit';
import { type Cosinekit, WasmTensor, createInstanceSync } from 'cosinekit';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Sentinel, assertClose } from './harness.js';

let api: Cosinekit;
let sentinel: Sentinel;

beforeAll(() => {
  api = createInstanceSync({ variant: 'simd128' });
  sentinel = new Sentinel(api);
});

afterAll(() => {
  sentinel.tensor.dispose();
});

const good = () => ({ data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), shape: [3, 4] });
const ones = () => ({ data: new Float32Array(12).fill(1), shape: [3, 4] });

/** The library still computes, the sentinel is unchanged, and the heap is where it was. */
function stillWorks(heapBefore: number): void {
  const result = api.cosineSimilarity(good(), ones());
  // cos([1,2,3,4],[1,1,1,1]) = 10 / (√30 · 2), and so on per row.
  assertClose(result.data, [10 / (Math.sqrt(30) * 2), 26 / (Math.sqrt(174) * 2), 42 / (Math.sqrt(446) * 2)], 1e-6, 0, 'after');
  sentinel.check('after the hostile call');
  expect(api.heapBytesInUse()).toBe(heapBefore);
}

function detachedView(length: number): Float32Array {
  const buffer = new ArrayBuffer(length * 4);
  const view = new Float32Array(buffer);
  structuredClone(buffer, { transfer: [buffer] });
  return view;
}

/** A resizable ArrayBuffer (ES2024; typed here because the test lib is ES2022). */
function resizableBuffer(byteLength: number, maxByteLength: number): ArrayBuffer & { resize(byteLength: number): void } {
  const Constructor = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer & { resize(byteLength: number): void };
  return new Constructor(byteLength, { maxByteLength });
}

function throwingGetter(message: string): PropertyDescriptor {
  return {
    enumerable: true,
    get: () => {
      throw new Error(message);
    },
  };
}

type Case = [label: string, call: () => unknown, type: typeof TypeError | typeof RangeError, message: RegExp];

/** Cases whose operands and options are built fresh for each call. */
const cases = (): Case[] => {
  const liar = new Float32Array(4);
  Object.defineProperty(liar, 'length', { value: 12 });
  const revoked = Proxy.revocable([3, 4], {});
  revoked.revoke();
  return [
    // Operands
    ['x1 missing', () => api.cosineSimilarity(undefined as never, good()), TypeError, /x1 must be a tensor \{ data, shape \} or a WasmTensor, got undefined/],
    ['x2 missing', () => (api.cosineSimilarity as (x1: unknown) => unknown)(good()), TypeError, /x2 must be a tensor .* got undefined/],
    ['operand a string', () => api.normalize('x' as never), TypeError, /x must be a tensor .* got "x"/],
    ['data a DataView', () => api.cosineSimilarity({ data: new DataView(new ArrayBuffer(48)) as never, shape: [3, 4] }, good()), TypeError, /x1\.data must be a Float32Array, Float64Array or number\[\], got a DataView/],
    ['data a BigInt64Array', () => api.cosineSimilarity({ data: new BigInt64Array(12) as never, shape: [3, 4] }, good()), TypeError, /got a BigInt64Array/],
    ['data an array-like object', () => api.cosineSimilarity({ data: { 0: 1, length: 1 } as never, shape: [1, 1] }, { data: [1], shape: [1, 1] }), TypeError, /x1\.data must be .* got an object/],
    ['data a Proxy of a Float32Array', () => api.cosineSimilarity({ data: new Proxy(new Float32Array(12), {}), shape: [3, 4] }, good()), TypeError, /x1\.data must be .* got a Float32Array look-alike/],
    ['data made from Float32Array.prototype', () => api.cosineSimilarity({ data: Object.create(Float32Array.prototype) as Float32Array, shape: [3, 4] }, good()), TypeError, /look-alike/],
    ['data lying about its length', () => api.cosineSimilarity({ data: liar, shape: [3, 4] }, good()), RangeError, /x1\.data has 4 elements but shape \[3,4\] needs 12/],
    ['data detached', () => api.cosineSimilarity({ data: detachedView(12), shape: [3, 4] }, good()), TypeError, /x1\.data cannot be read: its ArrayBuffer is detached/],
    ['data detached, empty shape', () => api.cosineSimilarity({ data: detachedView(0), shape: [0, 4] }, { data: [], shape: [0, 4] }), TypeError, /x1\.data cannot be read: its ArrayBuffer is detached/],
    ['data getter throws', () => api.cosineSimilarity(Object.defineProperty({ shape: [3, 4] }, 'data', throwingGetter('boom')) as never, good()), TypeError, /reading x1\.data threw Error: boom/],
    ['data getter throws an error whose message getter throws', () => api.normalize(Object.defineProperty({ shape: [1] }, 'data', { get: () => { throw Object.create(Error.prototype, { message: { get: () => { throw new Error('again'); } } }); } }) as never), TypeError, /reading x\.data threw a Error/],
    ['shape getter throws', () => api.normalize(Object.defineProperty({ data: [1] }, 'shape', throwingGetter('boom')) as never), TypeError, /reading x\.shape threw Error: boom/],
    ['operand a Proxy whose get trap throws', () => api.normalize(new Proxy({}, { get: () => { throw new RangeError('trap'); } }) as never), TypeError, /reading x\.data threw RangeError: trap/],
    ['operand a revoked Proxy', () => { const r = Proxy.revocable({}, {}); r.revoke(); return api.normalize(r.proxy as never); }, TypeError, /x .*(Proxy|revoked)/],
    ['number[] element getter throws', () => api.normalize({ data: Object.defineProperty([1, 2, 3], 1, throwingGetter('boom')), shape: [3] }), TypeError, /reading x\.data\[1\] threw Error: boom/],
    ['number[] with a hole', () => api.normalize({ data: [1, , 3] as never, shape: [3] }), TypeError, /x\.data\[1\] must be a number, got undefined/],
    ['number[] with a bigint', () => api.normalize({ data: [1, 2n, 3] as never, shape: [3] }), TypeError, /x\.data\[1\] must be a number, got 2n/],
    ['number[] with a numeric object', () => api.normalize({ data: [1, { valueOf: () => 2 }, 3] as never, shape: [3] }), TypeError, /x\.data\[1\] must be a number, got an object/],
    ['number[] too long', () => api.normalize({ data: [1, 2, 3, 4], shape: [3] }), RangeError, /x\.data has 4 elements but shape \[3\] needs 3/],
    // Shapes
    ['shape a typed array', () => api.normalize({ data: [1, 2], shape: Int32Array.from([1, 2]) as never }), TypeError, /x\.shape must be an array of non-negative integers, got a Int32Array/],
    ['shape a revoked Proxy', () => api.normalize({ data: [1], shape: revoked.proxy }), TypeError, /x\.shape cannot be inspected/],
    ['shape with -0 is fine but -1 is not', () => api.normalize({ data: [], shape: [-0, -1] }), RangeError, /x\.shape\[1\] must be a non-negative integer, got -1/],
    ['shape 2^53', () => api.alloc([2 ** 53]), RangeError, /shape\[0\] is 9007199254740992: no axis can be longer than 1073741824/],
    ['shape [0, 2^40]: empty, but its axis cannot exist', () => api.cosineSimilarity({ data: [], shape: [0, 2 ** 40] }, { data: [1], shape: [1, 1] }), RangeError, /x1\.shape\[1\] is 1099511627776/],
    ['shape of 65 dimensions', () => api.alloc(new Array(65).fill(1)), RangeError, /shape has 65 dimensions; at most 64/],
    ['shape with a string', () => api.alloc([2, '2'] as never), TypeError, /shape\[1\] must be a number, got "2"/],
    ['shape -Infinity', () => api.alloc([Number.NEGATIVE_INFINITY]), RangeError, /shape\[0\] must be a non-negative integer, got -Infinity/],
    // Dims and options
    ['dim NaN', () => api.cosineSimilarity(good(), good(), { dim: Number.NaN }), RangeError, /dim must be an integer, got NaN/],
    ['dim Infinity', () => api.normalize(good(), { dim: Number.POSITIVE_INFINITY }), RangeError, /dim must be an integer, got Infinity/],
    ['dim 2^53', () => api.cosineSimilarity(good(), good(), { dim: 2 ** 53 }), RangeError, /dim 9007199254740992 is out of range .*\[-2, 1\]/],
    ['dim null', () => api.cosineSimilarity(good(), good(), { dim: null as never }), TypeError, /cosineSimilarity option dim is null/],
    ['p null', () => api.normalize(good(), { p: null as never }), TypeError, /normalize option p is null/],
    ['dim list longer than the rank', () => api.cosineSimilarity(good(), good(), { dim: [0, 1, 0, 1, 0, 1, 0, 1] }), RangeError, /dim lists 8 dims but the broadcast shape \[3,4\] has only 2/],
    ['dim list with a string', () => api.cosineSimilarity(good(), good(), { dim: [0, '1'] as never }), TypeError, /dim\[1\] must be an integer, got "1"/],
    ['options a function', () => api.normalize(good(), (() => 1) as never), TypeError, /normalize options must be an object, got a function/],
    ['options with an inherited unknown key is fine, an own one is not', () => api.normalize(good(), Object.assign(Object.create({ axis: 1 }) as object, { axes: 1 }) as never), TypeError, /normalize has no option "axes"/],
    ['options getter throws', () => api.normalize(good(), Object.defineProperty({}, 'p', throwingGetter('p boom')) as never), TypeError, /reading normalize options\.p threw Error: p boom/],
    ['options Proxy whose has/ownKeys trap throws', () => api.normalize(good(), new Proxy({}, { ownKeys: () => { throw new Error('keys'); } }) as never), TypeError, /normalize options cannot be enumerated: Error: keys/],
    // out
    ['out a WasmTensor of the wrong size', () => { using out = api.alloc([4]); return api.cosineSimilarity(good(), good(), { out }); }, RangeError, /out has 4 elements but the result \[3\] has 3/],
    ['out a view of the wrong size', () => { using out = api.alloc([8]); return api.cosineSimilarity(good(), good(), { out: out.data.subarray(1, 3) }); }, RangeError, /out has 2 elements but the result \[3\] has 3/],
    ['out lying about its length', () => { const out = new Float32Array(1); Object.defineProperty(out, 'length', { value: 3 }); return api.cosineSimilarity(good(), good(), { out }); }, RangeError, /out has 1 elements but the result \[3\] has 3/],
    ['out an Int32Array', () => api.cosineSimilarity(good(), good(), { out: new Int32Array(3) as never }), TypeError, /out must be a Float32Array or a WasmTensor, got a Int32Array/],
    ['out detached', () => api.normalize(good(), { out: detachedView(12) }), TypeError, /out cannot be written: its ArrayBuffer is detached/],
    ['out a Proxy of a WasmTensor', () => { using out = api.alloc([3]); return api.cosineSimilarity(good(), good(), { out: new Proxy(out, {}) }); }, TypeError, /out is not a WasmTensor made by alloc/],
    ['out spanning two live WasmTensors', () => {
      using first = api.alloc([4]);
      using second = api.alloc([4]);
      const [low, high] = first.data.byteOffset < second.data.byteOffset ? [first, second] : [second, first];
      const span = new Float32Array(low.data.buffer, high.data.byteOffset - 4, 3);
      return api.cosineSimilarity(good(), good(), { out: span });
    }, RangeError, /out is a view of WASM memory outside every live WasmTensor/],
    // alloc
    ['alloc of 3 GiB', () => api.alloc([3 * 2 ** 28]), RangeError, /cannot allocate 3221225472 bytes for a WasmTensor of shape \[805306368\]: one WASM allocation holds at most 2147483584 bytes/],
    ['alloc without a shape', () => (api.alloc as () => unknown)(), TypeError, /shape must be an array of non-negative integers, got undefined/],
    // WasmTensor impostors
    ['an object made from WasmTensor.prototype', () => api.normalize(Object.create(WasmTensor.prototype) as WasmTensor), TypeError, /x is not a WasmTensor made by alloc\(\)/],
    ['data of an object made from WasmTensor.prototype', () => (Object.create(WasmTensor.prototype) as WasmTensor).data, TypeError, /./],
  ];
};

describe('hostile inputs: a clean TypeError/RangeError naming the value, nothing touched', () => {
  test.each(cases().map(([label], index) => [label, index] as const))('%s', (_, index) => {
    const heapBefore = api.heapBytesInUse();
    // Build the case afresh so that nothing (e.g. a disposed tensor) leaks between cases.
    const [, call, type, message] = cases()[index]!;
    const memoryBefore = api.backendInfo().memoryBytes;
    let thrown: unknown;
    try {
      call();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message).toMatch(message);
    // Validation errors never grow memory.
    expect(api.backendInfo().memoryBytes).toBe(memoryBefore);
    stillWorks(heapBefore);
  });

  test('WasmTensor instances are frozen: shape cannot be reassigned, data cannot be shadowed', () => {
    const heapBefore = api.heapBytesInUse();
    {
      using tensor = api.alloc([3, 4]);
      expect(Object.isFrozen(tensor)).toBe(true);
      expect(() => {
        (tensor as { shape: unknown }).shape = [100, 100];
      }).toThrow(TypeError);
      expect(() => Object.defineProperty(tensor, 'data', { value: new Float32Array(12) })).toThrow(TypeError);
      expect(tensor.shape).toEqual([3, 4]);
      expect(() => {
        (tensor.shape as number[])[0] = 7;
      }).toThrow(TypeError);
      tensor.data.set(good().data);
      assertClose(api.cosineSimilarity(tensor, good()).data, [1, 1, 1], 1e-6, 0, 'frozen');
    }
    stillWorks(heapBefore);
  });

  test('a disposed WasmTensor refuses data with a TypeError', () => {
    const heapBefore = api.heapBytesInUse();
    const tensor = api.alloc([2]);
    tensor.dispose();
    expect(() => tensor.data).toThrow(TypeError);
    expect(() => tensor.data).toThrow(/this WasmTensor \[2\] was disposed/);
    stillWorks(heapBefore);
  });

  test('module-level API before init and with hostile init options', () => {
    const heapBefore = api.heapBytesInUse();
    // The default instance is initialised elsewhere in this process only if a test did so;
    // here only the instance-independent checks.
    expect(() => createInstanceSync({ variant: 'fast' as never })).toThrow(RangeError);
    expect(() => createInstanceSync(5 as never)).toThrow(TypeError);
    expect(cosinekit.isVariantSupported('scalar')).toBe(true);
    stillWorks(heapBefore);
  });
});

describe('accepted unusual inputs give correct results', () => {
  test('typed arrays and arrays from another realm (node:vm)', () => {
    const heapBefore = api.heapBytesInUse();
    const data = vm.runInNewContext('new Float32Array([1, 2, 3, 4])') as Float32Array;
    const plain = vm.runInNewContext('[4, 3, 2, 1]') as number[];
    const shape = vm.runInNewContext('[1, 4]') as number[];
    const out = vm.runInNewContext('new Float32Array(1)') as Float32Array;
    const result = api.cosineSimilarity({ data, shape }, { data: plain, shape }, { out });
    expect(result.data).toBe(out);
    assertClose(out, [20 / 30], 1e-6, 0, 'cross-realm');
    stillWorks(heapBefore);
  });

  test('SharedArrayBuffer views are copied in, and written as out', () => {
    const heapBefore = api.heapBytesInUse();
    const shared = new Float32Array(new SharedArrayBuffer(48));
    shared.set(good().data);
    const out = new Float32Array(new SharedArrayBuffer(12));
    const result = api.cosineSimilarity({ data: shared, shape: [3, 4] }, ones(), { out });
    expect(result.data).toBe(out);
    assertClose(out, [10 / (Math.sqrt(30) * 2), 26 / (Math.sqrt(174) * 2), 42 / (Math.sqrt(446) * 2)], 1e-6, 0, 'shared');
    stillWorks(heapBefore);
  });

  test('a SharedArrayBuffer dressed up with ArrayBuffer.prototype is still read (never taken for detached)', () => {
    const heapBefore = api.heapBytesInUse();
    const buffer = new SharedArrayBuffer(48);
    Object.setPrototypeOf(buffer, ArrayBuffer.prototype);
    expect(buffer instanceof ArrayBuffer).toBe(true);
    const shared = new Float32Array(buffer);
    shared.set(good().data);
    const result = api.cosineSimilarity({ data: shared, shape: [3, 4] }, ones());
    assertClose(result.data, [10 / (Math.sqrt(30) * 2), 26 / (Math.sqrt(174) * 2), 42 / (Math.sqrt(446) * 2)], 1e-6, 0, 'dressed shared');
    const empty = new SharedArrayBuffer(0);
    Object.setPrototypeOf(empty, ArrayBuffer.prototype);
    expect(api.normalize({ data: new Float32Array(empty), shape: [0] }, { dim: 0 }).data).toHaveLength(0);
    stillWorks(heapBefore);
  });

  test('a detached ArrayBuffer dressed up with the SharedArrayBuffer tag is still refused', () => {
    const descriptor = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, Symbol.toStringTag);
    Object.defineProperty(ArrayBuffer.prototype, Symbol.toStringTag, { value: 'SharedArrayBuffer', configurable: true });
    try {
      expect(Object.prototype.toString.call(new ArrayBuffer(0))).toBe('[object SharedArrayBuffer]');
      expect(() => api.cosineSimilarity({ data: detachedView(12), shape: [3, 4] }, good())).toThrow(/x1\.data cannot be read: its ArrayBuffer is detached/);
      expect(() => api.normalize(good(), { out: detachedView(12) })).toThrow(/out cannot be written: its ArrayBuffer is detached/);
    } finally {
      if (descriptor === undefined) Reflect.deleteProperty(ArrayBuffer.prototype, Symbol.toStringTag);
      else Object.defineProperty(ArrayBuffer.prototype, Symbol.toStringTag, descriptor);
    }
    expect(Object.prototype.toString.call(new ArrayBuffer(0))).toBe('[object ArrayBuffer]');
  });

  test('views of a resizable ArrayBuffer: read at their current length, refused once out of bounds', () => {
    const heapBefore = api.heapBytesInUse();
    const buffer = resizableBuffer(48, 96);
    const tracking = new Float32Array(buffer);
    tracking.set(good().data);
    assertClose(api.normalize({ data: tracking, shape: [12] }, { dim: 0 }).data, Array.from(good().data, (v) => v / Math.sqrt(650)), 1e-6, 1e-6, 'resizable');
    const fixed = new Float32Array(buffer, 16, 4);
    buffer.resize(16);
    expect(() => api.normalize({ data: fixed, shape: [4] }, { dim: 0 })).toThrow(/x\.data has 0 elements but shape \[4\] needs 4/);
    expect(() => api.normalize({ data: tracking, shape: [12] }, { dim: 0 })).toThrow(/x\.data has 4 elements but shape \[12\] needs 12/);
    stillWorks(heapBefore);
  });

  test('views of WASM memory: zero-copy at offsets unaligned to 16, Float64Array views copied', () => {
    const heapBefore = api.heapBytesInUse();
    {
      using tensor = api.alloc([20]);
      const data = tensor.data;
      data.set(good().data, 1); // floats 1..12: byteOffset % 16 == 4
      const view = data.subarray(1, 13);
      const out = data.subarray(13, 16); // byteOffset % 16 == 4 as well (52 bytes in)
      const result = api.cosineSimilarity({ data: view, shape: [3, 4] }, ones(), { out });
      assertClose(result.data, [10 / (Math.sqrt(30) * 2), 26 / (Math.sqrt(174) * 2), 42 / (Math.sqrt(446) * 2)], 1e-6, 0, 'unaligned');
      expect(result.data.byteOffset).toBe(out.byteOffset);
      // A Float64Array over the same memory (8-aligned) is read as float64 values and copied.
      const doubles = new Float64Array(tensor.data.buffer, tensor.data.byteOffset + 8 * 4, 2);
      doubles.set([3, 4]);
      assertClose(api.normalize({ data: doubles, shape: [2] }, { dim: 0 }).data, [0.6, 0.8], 1e-7, 0, 'float64 view');
    }
    stillWorks(heapBefore);
  });

  test('a raw view of WASM memory outside every WasmTensor is a valid input (copied), never an output', () => {
    const heapBefore = api.heapBytesInUse();
    {
      using tensor = api.alloc([4]);
      const memory = tensor.data.buffer;
      const raw = new Float32Array(memory, 0, 4); // the module's static data
      const before = Float32Array.from(raw);
      const result = api.cosineSimilarity({ data: raw, shape: [4] }, { data: before, shape: [4] }, { dim: 0 });
      expect(result.data.length).toBe(1);
      expect(() => api.normalize({ data: [1, 2, 3, 4], shape: [4] }, { dim: 0, out: new Float32Array(tensor.data.buffer, 0, 4) })).toThrow(RangeError);
      expect(Array.from(new Float32Array(tensor.data.buffer, 0, 4))).toEqual(Array.from(before));
    }
    stillWorks(heapBefore);
  });

  test('transferring WasmTensor.data.buffer copies it (Node 20) or is refused (Node 22+), and never detaches WASM memory', () => {
    const heapBefore = api.heapBytesInUse();
    {
      using tensor = api.alloc([4]);
      tensor.data.set([1, 2, 3, 4]);
      let copy: ArrayBuffer | null = null;
      try {
        copy = structuredClone(tensor.data.buffer, { transfer: [tensor.data.buffer] });
      } catch (error) {
        // Newer engines refuse to transfer a non-detachable buffer outright: Node 22+ with a
        // DataCloneError, Bun (JavaScriptCore) and Deno with a TypeError.
        expect(['DataCloneError', 'TypeError']).toContain((error as Error).name);
      }
      if (copy !== null) expect(copy.byteLength).toBe(tensor.data.buffer.byteLength);
      expect(Array.from(tensor.data)).toEqual([1, 2, 3, 4]);
    }
    stillWorks(heapBefore);
  });
});

describe('user code between validation and the kernel (getters, Proxy traps)', () => {
  /** A one-dim list whose element read runs `action` (cosine reads dims after the operands). */
  const dimsRunning = (action: () => void): number[] =>
    new Proxy([1], {
      get(target, key, receiver) {
        if (key === '0') action();
        return Reflect.get(target, key, receiver) as unknown;
      },
    });

  test('each option and each number[] element and shape entry is read exactly once', () => {
    const heapBefore = api.heapBytesInUse();
    const reads = new Map<string, number>();
    const counted = <T extends object>(target: T, name: string): T =>
      new Proxy(target, {
        get(object, key, receiver) {
          const label = `${name}.${String(key)}`;
          reads.set(label, (reads.get(label) ?? 0) + 1);
          return Reflect.get(object, key, receiver) as unknown;
        },
      });
    const x = counted({ data: counted([3, 4, 0, 0], 'data'), shape: counted([2, 2], 'shape') }, 'x');
    const options = counted({ dim: 1, p: 2, eps: 1e-12 }, 'options');
    const result = api.normalize(x, options);
    assertClose(result.data, [0.6, 0.8, 0, 0], 1e-7, 0, 'counted');
    for (const label of ['x.data', 'x.shape', 'data.0', 'data.1', 'data.2', 'data.3', 'shape.0', 'shape.1', 'options.dim', 'options.p', 'options.eps']) {
      expect(reads.get(label), label).toBe(1);
    }
    stillWorks(heapBefore);
  });

  test('number[] elements cannot change between validation and the copy', () => {
    const heapBefore = api.heapBytesInUse();
    let reads = 0;
    const data = [1, 1, 1, 1];
    Object.defineProperty(data, 0, { enumerable: true, get: () => (++reads === 1 ? 1 : { valueOf: () => 7 }) });
    const result = api.cosineSimilarity({ data, shape: [1, 4] }, { data: [1, 1, 1, 1], shape: [1, 4] });
    assertClose(result.data, [1], 1e-6, 0, 'pinned');
    expect(reads).toBe(1);
    stillWorks(heapBefore);
  });

  test('disposing an operand WasmTensor from a dim getter: TypeError, the freed memory is not read', () => {
    const heapBefore = api.heapBytesInUse();
    const x1 = api.alloc([3, 4]);
    x1.data.set(good().data);
    expect(() => api.cosineSimilarity(x1, ones(), { dim: dimsRunning(() => x1.dispose()) })).toThrow(/x1 \(a WasmTensor\) was disposed while the call was being validated/);
    stillWorks(heapBefore);
  });

  test('disposing the tensor under a zero-copy view from a dim getter: TypeError', () => {
    const heapBefore = api.heapBytesInUse();
    const owner = api.alloc([12]);
    const view = owner.data;
    expect(() => api.cosineSimilarity(ones(), { data: view, shape: [3, 4] }, { dim: dimsRunning(() => owner.dispose()) })).toThrow(/x2\.data views a WasmTensor that was disposed/);
    stillWorks(heapBefore);
  });

  test('detaching or shrinking a JS buffer from a dim getter: TypeError, not a short copy', () => {
    const heapBefore = api.heapBytesInUse();
    const data = good().data;
    expect(() => api.cosineSimilarity({ data, shape: [3, 4] }, ones(), { dim: dimsRunning(() => structuredClone(data.buffer, { transfer: [data.buffer] })) })).toThrow(
      /x1\.data was detached or resized while the call was being validated/,
    );
    const buffer = resizableBuffer(48, 48);
    const tracking = new Float32Array(buffer).fill(1);
    expect(() => api.cosineSimilarity(good(), { data: tracking, shape: [3, 4] }, { dim: dimsRunning(() => buffer.resize(16)) })).toThrow(/x2\.data was detached or resized/);
    stillWorks(heapBefore);
  });

  test('growing WASM memory from a dim getter detaches the caller’s views, not the call: correct result', () => {
    const heapBefore = api.heapBytesInUse();
    {
      using x1 = api.alloc([3, 4]);
      x1.data.set(good().data);
      const view = x1.data;
      let big: WasmTensor | null = null;
      const memoryBefore = api.backendInfo().memoryBytes;
      const result = api.cosineSimilarity({ data: view, shape: [3, 4] }, ones(), {
        dim: dimsRunning(() => {
          big = api.alloc([8 * 1024 * 1024]); // 32 MiB: memory must grow
        }),
      });
      expect(api.backendInfo().memoryBytes).toBeGreaterThan(memoryBefore);
      expect(view.length).toBe(0); // the caller's view died with the old buffer
      assertClose(result.data, [10 / (Math.sqrt(30) * 2), 26 / (Math.sqrt(174) * 2), 42 / (Math.sqrt(446) * 2)], 1e-6, 0, 'grown');
      (big as WasmTensor | null)?.dispose();
    }
    stillWorks(heapBefore);
  });

  test('re-entering the API from a dim getter: both calls correct', () => {
    const heapBefore = api.heapBytesInUse();
    let inner: Float32Array | null = null;
    const result = api.cosineSimilarity(good(), ones(), {
      dim: dimsRunning(() => {
        inner = api.normalize({ data: [3, 4], shape: [2] }, { dim: 0 }).data;
      }),
    });
    assertClose(inner ?? [], [0.6, 0.8], 1e-7, 0, 'inner');
    assertClose(result.data, [10 / (Math.sqrt(30) * 2), 26 / (Math.sqrt(174) * 2), 42 / (Math.sqrt(446) * 2)], 1e-6, 0, 'outer');
    stillWorks(heapBefore);
  });

  test('a view `out` with a lying length cannot write past its tensor', () => {
    const heapBefore = api.heapBytesInUse();
    {
      using small = api.alloc([1]);
      using neighbour = api.alloc([16]);
      neighbour.data.fill(42);
      const lie = small.data;
      const lying = new Float32Array(lie.buffer, lie.byteOffset, 1);
      Object.defineProperty(lying, 'length', { value: 12 });
      expect(() => api.cosineSimilarity({ data: new Float32Array(48).fill(1), shape: [12, 4] }, { data: new Float32Array(4).fill(1), shape: [4] }, { out: lying })).toThrow(
        /out has 1 elements but the result \[12\] has 12/,
      );
      expect(Array.from(neighbour.data)).toEqual(new Array(16).fill(42));
    }
    stillWorks(heapBefore);
  });
});
