// The binding's contract: `cosine` for single vectors (bit for bit the tensor API's dim-0
// result, every variant, every input form), `dims` operands, 1-D top-k queries, the errors for
// nested and bare arrays, kernel constants taken from the module, one instance shared by the
// ESM and CJS builds, and calls that allocate nothing per call.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esm from 'cosinekit';
import { type Cosinekit, createInstanceSync, isVariantSupported } from 'cosinekit';
import { describe, expect, test } from 'vitest';
import { cosineReference, matrixReference } from './helpers/reference.js';

const variants = (['scalar', 'simd128', 'relaxed'] as const).filter(isVariantSupported);
const kits = new Map(variants.map((variant) => [variant, createInstanceSync({ variant })] as const));
const here = fileURLToPath(new URL('.', import.meta.url));

function values(seed: number, length: number, scale = 1): Float32Array {
  let state = (seed * 2654435761 + 7) >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return ((state / 2 ** 32) * 4 - 2) * scale;
  });
}

/** The float64 cosine of two vectors, eps clamping each norm (written apart from the code under test). */
function cosine64(a: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-8): number {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index]! * b[index]!;
    aa += a[index]! * a[index]!;
    bb += b[index]! * b[index]!;
  }
  return dot / (Math.max(Math.sqrt(aa), eps) * Math.max(Math.sqrt(bb), eps));
}

describe.each(variants)('cosine(a, b) in %s', (variant) => {
  const kit: Cosinekit = kits.get(variant)!;

  test('bit for bit the dim-0 tensor result, lengths 0..70 and longer, in every input form', () => {
    for (const length of [...Array.from({ length: 71 }, (_, index) => index), 128, 384, 767, 1536, 4099]) {
      const a = values(length, length);
      const b = values(length + 1000, length);
      const want = kit.cosineSimilarity({ data: a, shape: [length] }, { data: b, shape: [length] }, { dim: 0 }).data[0]!;
      expect(Object.is(kit.cosine(a, b), want), `Float32Array, length ${length}`).toBe(true);
      expect(Object.is(kit.cosine(Array.from(a), Array.from(b)), want), `number[], length ${length}`).toBe(true);
      expect(Object.is(kit.cosine(Float64Array.from(a), b), want), `Float64Array, length ${length}`).toBe(true);
      // Doubles that float32 must round (by value, by copy or by the tensor path alike).
      const wide = Float64Array.from(a, (value, index) => value + (index + 1) * 1.3e-9);
      const wideWant = kit.cosineSimilarity({ data: wide, shape: [length] }, { data: b, shape: [length] }, { dim: 0 }).data[0]!;
      expect(Object.is(kit.cosine(wide, b), wideWant), `rounded Float64Array, length ${length}`).toBe(true);
      expect(Math.abs(want - cosine64(a, b)), `reference, length ${length}`).toBeLessThan(1e-6);
    }
  });

  test('views of WASM memory at unaligned offsets are read in place (or copied, when short), and give the same bits', () => {
    // 0..70 are copied, 255 just below the length from which views are read in place, 256 on.
    for (const length of [...Array.from({ length: 71 }, (_, index) => index), 255, 256, 257, 300, 1031]) {
      for (let offset = 0; offset < 4; offset++) {
        using first = kit.alloc([length + offset]);
        using second = kit.alloc([length + offset]);
        const a = values(length * 7 + offset, length);
        const b = values(length * 7 + offset + 3, length);
        first.data.set(a, offset);
        second.data.set(b, offset);
        const heapBefore = kit.heapBytesInUse();
        const got = kit.cosine(first.data.subarray(offset), second.data.subarray(offset));
        expect(kit.heapBytesInUse()).toBe(heapBefore);
        expect(Object.is(got, kit.cosine(a, b)), `length ${length} offset ${offset}`).toBe(true);
      }
    }
  });

  test('eps clamps each norm; zero vectors give 0; NaN and ±∞ give NaN; huge and tiny values are rescued', () => {
    const zero = new Float32Array(16);
    const ones = new Float32Array(16).fill(1);
    expect(kit.cosine(zero, ones)).toBe(0);
    expect(kit.cosine([], [])).toBe(0);
    const tiny = new Float32Array([3e-5, 4e-5]);
    // ‖tiny‖ = 5e-5 clamps to eps = 1: the cosine is (3e-5·3e-5 + 4e-5·4e-5) / 1.
    expect(kit.cosine(tiny, tiny, { eps: 1 })).toBeCloseTo(2.5e-9, 15);
    expect(kit.cosine([1, Number.NaN], [1, 1])).toBeNaN();
    expect(kit.cosine([1, Number.POSITIVE_INFINITY], [1, 1])).toBeNaN();
    const huge = values(3, 64, 1e25);
    const small = values(4, 64, 1e-25);
    expect(Math.abs(kit.cosine(huge, huge) - 1)).toBeLessThan(1e-6);
    // Below eps the norms clamp (PyTorch semantics); with a smaller eps the float64 rescue gives 1.
    expect(Math.abs(kit.cosine(small, values(4, 64), { eps: 1e-30 }) - 1)).toBeLessThan(1e-6);
    expect(Math.abs(kit.cosine(small, values(4, 64)))).toBeLessThan(1e-6);
  });

  test('errors name the offending value', () => {
    expect(() => kit.cosine([1, 2, 3], [1, 2])).toThrow(RangeError);
    expect(() => kit.cosine([1, 2, 3], [1, 2])).toThrow(/a has 3 elements but b has 2/);
    expect(() => kit.cosine(new Int32Array(3) as unknown as Float32Array, new Float32Array(3))).toThrow(TypeError);
    expect(() => kit.cosine('abc' as unknown as number[], [1, 2, 3])).toThrow(/a must be a Float32Array, Float64Array or number\[\], got "abc"/);
    expect(() => kit.cosine([1, '2'] as unknown as number[], [1, 2])).toThrow(/a\[1\] must be a number, got "2"/);
    expect(() => kit.cosine([[1, 2]] as unknown as number[], [1])).toThrow(/a\[0\] is an array/);
    expect(() => kit.cosine([1], [1], { eps: -1 })).toThrow(RangeError);
    expect(() => kit.cosine([1], [1], { epsilon: 1 } as never)).toThrow(/cosine has no option "epsilon"/);
    const buffer = new ArrayBuffer(16);
    const detached = new Float32Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    expect(() => kit.cosine(detached, [])).toThrow(/detached/);
  });

  test('a loop of calls allocates nothing and does not grow memory', () => {
    const a = values(1, 768);
    const b = Array.from(values(2, 768));
    kit.cosine(a, b);
    const heap = kit.heapBytesInUse();
    const memory = kit.backendInfo().memoryBytes;
    for (let call = 0; call < 20_000; call++) kit.cosine(a, b);
    expect(kit.heapBytesInUse()).toBe(heap);
    expect(kit.backendInfo().memoryBytes).toBe(memory);
  });
});

describe('operands as other libraries hand them over', () => {
  const kit = kits.get(variants[variants.length - 1]!)!;

  test('{ data, dims } tensors (transformers.js, onnxruntime-web) pass wherever { data, shape } does', () => {
    const a = values(5, 6 * 8);
    const b = values(6, 4 * 8);
    const dims = { data: a, dims: [6, 8], type: 'float32' };
    expect(Array.from(kit.cosineSimilarity(dims, { data: a, dims: [6, 8] }).data)).toEqual(
      Array.from(kit.cosineSimilarity({ data: a, shape: [6, 8] }, { data: a, shape: [6, 8] }).data),
    );
    expect(kit.normalize(dims).shape).toEqual([6, 8]);
    const matrix = kit.pairwiseCosine(dims, { data: b, dims: [4, 8] });
    const want = matrixReference(a, b, 6, 4, 8);
    matrix.data.forEach((value, index) => expect(Math.abs(value - want[index]!)).toBeLessThan(1e-6));
    expect(() => kit.normalize({ data: a } as never)).toThrow(/x must be a tensor \{ data, shape \} \(or \{ data, dims \}\) or a WasmTensor, got an object without shape or dims/);
    expect(() => kit.normalize({ data: a, dims: [5, 8] } as never)).toThrow(/x\.data has 48 elements but shape \[5,8\] needs 40/);
    expect(() => kit.normalize({ data: a, dims: 'x' } as never)).toThrow(/x\.dims must be an array/);
  });

  test('a 1-D query [D] is one row of topK', () => {
    const corpus = values(7, 50 * 16);
    const query = values(8, 16);
    const single = kit.topK({ data: query, shape: [16] }, { data: corpus, shape: [50, 16] }, 5);
    const batch = kit.topK({ data: query, shape: [1, 16] }, { data: corpus, shape: [50, 16] }, 5);
    expect(single.shape).toEqual([1, 5]);
    expect(Array.from(single.indices)).toEqual(Array.from(batch.indices));
    expect(Array.from(single.scores)).toEqual(Array.from(batch.scores));
    const scores = Array.from({ length: 50 }, (_, row) => cosine64(query, corpus.subarray(row * 16, row * 16 + 16)));
    const order = scores.map((_, row) => row).sort((left, right) => scores[right]! - scores[left]! || left - right);
    expect(Array.from(single.indices)).toEqual(order.slice(0, 5));
  });

  test('nested arrays and bare arrays get a message that says what to do', () => {
    expect(() => kit.cosineSimilarity({ data: [[1, 2], [3, 4]], shape: [2, 2] } as never, { data: [1, 2, 3, 4], shape: [2, 2] })).toThrow(
      /x1\.data\[0\] is an array: data must be flat, row-major numbers \(flatten nested arrays with \.flat\(\)\)/,
    );
    expect(() => kit.cosineSimilarity({ data: [[1, 2, 3, 4]], shape: [4] } as never, { data: [1, 2, 3, 4], shape: [4] })).toThrow(/x1\.data\[0\] is an array/);
    expect(() => kit.cosineSimilarity([1, 2, 3] as never, [1, 2, 3] as never)).toThrow(
      /x1 must be a tensor \{ data, shape \} or a WasmTensor, got \[1,2,3\]: wrap it as \{ data: x1, shape: \[x1\.length\] \} \(or call cosine\(a, b\) for two vectors\)/,
    );
    expect(() => kit.normalize(new Float32Array(4) as never)).toThrow(/x must be a tensor \{ data, shape \} or a WasmTensor, got a Float32Array: wrap it/);
    expect(() => kit.pairwiseCosine({ data: new Float32Array(4), shape: [2, 2] }, [1, 2, 3, 4] as never)).toThrow(/b must be a tensor \{ data, shape \}.*wrap it/);
  });
});

describe('one compute path', () => {
  test('scalar and SIMD builds are different code at the sizes JS used to answer (their bits differ somewhere)', () => {
    const scalar = kits.get('scalar')!;
    const simd = kits.get('simd128')!;
    let differing = 0;
    for (let seed = 0; seed < 200; seed++) {
      const a = values(seed, 48);
      const b = values(seed + 500, 48);
      // 48 multiply-adds: far below the old 512 of the JS path, so these were once JS results.
      const left = scalar.cosineSimilarity({ data: a, shape: [1, 48] }, { data: b, shape: [1, 48] }).data[0]!;
      const right = simd.cosineSimilarity({ data: a, shape: [1, 48] }, { data: b, shape: [1, 48] }).data[0]!;
      expect(Math.abs(left - right)).toBeLessThan(1e-6);
      expect(Math.abs(left - cosineReference(a, [48], b, [48], [0], 1e-8).data[0]!)).toBeLessThan(1e-6);
      if (!Object.is(left, right)) differing++;
    }
    expect(differing).toBeGreaterThan(0);
  });
});

describe('kernel constants come from the module', () => {
  const crate = (path: string) => readFileSync(new URL(`../crates/cosinekit-core/src/${path}`, import.meta.url), 'utf8');
  const constant = (source: string, name: string) => {
    const match = new RegExp(`pub const ${name}: usize = (\\d+);`).exec(source);
    if (match === null) throw new Error(`${name} not found`);
    return Number(match[1]);
  };

  test('the module reports the constants the Rust source declares, and the pool uses them', () => {
    const topk = crate('topk.rs');
    const gemm = crate('gemm/kernel.rs');
    const geometry = crate('geometry.rs');
    for (const variant of variants) {
      const bytes = readFileSync(new URL(`../packages/cosinekit/wasm/cosinekit-${variant}.wasm`, import.meta.url));
      const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as Record<string, () => number>;
      expect(exports.ck_query_block!()).toBe(constant(topk, 'QUERY_BLOCK'));
      expect(exports.ck_corpus_tile!()).toBe(constant(topk, 'CORPUS_TILE'));
      expect(exports.ck_tile_rows!()).toBe(constant(gemm, 'TILE_ROWS'));
      expect(exports.ck_tile_columns!()).toBe(constant(gemm, 'TILE_COLUMNS'));
      expect(exports.ck_max_rank!()).toBe(constant(geometry, 'MAX_RANK'));
      expect(exports).not.toHaveProperty('ck_exp_f64');
    }
    for (const file of ['pool.ts', 'plans.ts', 'worker.ts']) {
      const source = readFileSync(new URL(`../packages/cosinekit/src/pool/${file}`, import.meta.url), 'utf8');
      expect(source, file).not.toMatch(/const (QUERY_BLOCK|CORPUS_TILE|TILE_ROWS)\b|= (256|512);/);
    }
  });
});

describe('ESM and CJS in one process', () => {
  test('share one initialised instance and one WasmTensor class', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require('cosinekit') as typeof esm;
    expect(cjs.cosine).toBe(esm.cosine);
    expect(cjs.WasmTensor).toBe(esm.WasmTensor);
    const info = cjs.initSync();
    expect(await esm.init()).toBe(info);
    using tensor = esm.alloc([4]);
    tensor.data.set([1, 2, 3, 4]);
    expect(tensor instanceof cjs.WasmTensor).toBe(true);
    expect(cjs.cosine(tensor.data, [1, 2, 3, 4])).toBeCloseTo(1, 6);
  });

  // Vectors of up to 8 elements go by value to the first four instances that run cosine (each
  // calls its exports from call sites of its own); a fifth instance copies them into memory.
  // This file has several instances already, so a fresh Node process per variant checks it:
  // by value, bit for bit the dim-0 tensor result, and a copy on the fifth instance the same.
  test.skipIf('Deno' in globalThis || typeof process.versions.bun === 'string')('by value (up to 8 elements) on the first four instances: bit for bit the dim-0 tensor result, and the same bits copied on a fifth', () => {
    // The module's by-value export is wrapped (through WebAssembly.Instance's exports getter,
    // before the package loads) to count its calls: the path provably runs, then stops.
    const program = `const exportsGetter = Object.getOwnPropertyDescriptor(WebAssembly.Instance.prototype, 'exports').get;
let byValueCalls = 0;
const wrapped = new WeakMap();
const counted = (inner) => {
  const counting = (...args) => { byValueCalls++; return inner(...args); };
  Object.defineProperty(counting, 'length', { value: inner.length });
  return counting;
};
Object.defineProperty(WebAssembly.Instance.prototype, 'exports', { configurable: true, get() {
  const real = exportsGetter.call(this);
  if (typeof real.ck_cosine_pair_values_f32 !== 'function') return real;
  if (!wrapped.has(this)) {
    wrapped.set(this, Object.freeze({ ...real, ck_cosine_pair_values_f32: counted(real.ck_cosine_pair_values_f32) }));
  }
  return wrapped.get(this);
} });
const { initSync, cosine, cosineSimilarity, createInstanceSync } = await import('cosinekit');
const variant = process.argv[1];
initSync({ variant });
const values = (seed, length) => Float32Array.from({ length }, (_, index) => Math.sin(seed * 7.31 + index * 1.7) * (1 + index));
const tensor = (data) => ({ data, shape: [data.length] });
const pairs = [];
for (let length = 0; length <= 9; length++) {
  const a = values(length, length), b = values(length + 100, length);
  const wide = Float64Array.from(a, (value, index) => value + (index + 1) * 1.3e-9);
  pairs.push([a, b], [wide, b], [a, Float64Array.from(b)], [a, a]);
}
const bits = pairs.every(([x, y]) => Object.is(cosine(x, y), cosineSimilarity(tensor(x), tensor(y), { dim: 0 }).data[0]) && Object.is(cosine(x, y, { eps: 0.5 }), cosineSimilarity(tensor(x), tensor(y), { dim: 0, eps: 0.5 }).data[0]));
const firstPass = pairs.map(([x, y]) => cosine(x, y));
const byValue = byValueCalls;
// Three more instances: by value each; a fifth: copied, and the same bits.
const others = [createInstanceSync({ variant }), createInstanceSync({ variant }), createInstanceSync({ variant })];
const othersSame = others.every((kit) => pairs.every(([x, y], index) => Object.is(kit.cosine(x, y), firstPass[index])));
const afterFour = byValueCalls;
const fifth = createInstanceSync({ variant });
const copied = pairs.map(([x, y]) => fifth.cosine(x, y));
const afterFifth = byValueCalls - afterFour;
const againShared = pairs.map(([x, y]) => cosine(x, y));
const same = othersSame && copied.every((value, index) => Object.is(value, firstPass[index])) && againShared.every((value, index) => Object.is(value, firstPass[index]));
console.log(JSON.stringify({ bits, same, count: pairs.length, byValue, others: afterFour - byValue, afterFifth, sharedAgain: byValueCalls - afterFour - afterFifth, sample: firstPass[20] }));`;
    for (const variant of variants) {
      const flags = variant === 'relaxed' && Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
      const output = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', program, variant], { cwd: here, encoding: 'utf8' });
      const result = JSON.parse(output) as { bits: boolean; same: boolean; count: number; byValue: number; others: number; afterFifth: number; sharedAgain: number; sample: number };
      expect(result.count, variant).toBe(40);
      // Lengths 1..8, four pairs each, two calls each in the bits check and one in the first pass.
      expect(result.byValue, `${variant}: by-value calls`).toBe(8 * 4 * 3);
      expect(result.others, `${variant}: by-value calls on instances two to four`).toBe(3 * 8 * 4);
      expect(result.afterFifth, `${variant}: by-value calls on a fifth instance`).toBe(0);
      expect(result.sharedAgain, `${variant}: by-value calls on the first instance again`).toBe(8 * 4);
      expect(result.bits, `${variant}: by value vs the tensor path`).toBe(true);
      expect(result.same, `${variant}: by value vs other instances and the copy (a fifth instance)`).toBe(true);
      expect(Number.isFinite(result.sample) && Math.abs(result.sample) <= 1, variant).toBe(true);
    }
  });

  // Node's CLI flags (`--input-type=module -e`); Deno's CLI takes none of them, and
  // runtimes/runtime.test.ts runs the same check (entry.mjs) with `deno run` there.
  test.skipIf('Deno' in globalThis)('outside the test runner too: a CJS require after an ESM import sees the ESM init', () => {
    const program = `import { init, alloc } from 'cosinekit'; import { createRequire } from 'node:module';
const info = await init(); const cjs = createRequire(import.meta.url)('cosinekit');
const t = alloc([3]); t.data.set([1, 0, 0]);
console.log(JSON.stringify({ same: cjs.backendInfo().variant === info.variant && cjs.initSync() === info, cos: cjs.cosine(t.data, [2, 0, 0]) }));`;
    const result = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: here, encoding: 'utf8' })) as { same: boolean; cos: number };
    expect(result).toEqual({ same: true, cos: 1 });
  });
});
