// Fuzz: thousands of random calls across the whole API, in every variant this engine runs,
// each with random valid or hostile shapes, values, input forms, options and `out`. Every
// call must either return the float64 reference's result (cosines within 1e-5 absolute) or
// throw the TypeError/RangeError the case calls for, naming the bad value. After every call
// the sentinel WasmTensor is unchanged and heapBytesInUse() is back at its baseline.
//
// Budget: COSINEKIT_FUZZ_RUNS calls per variant (default 3000: about a second each);
// COSINEKIT_FUZZ_SEED changes the (otherwise fixed) seed. For a long run:
//   COSINEKIT_FUZZ_RUNS=200000 npx vitest run robustness/fuzz
//
// The API is a table (ENTRIES): each entry has a fast-check arbitrary of printable specs
// and a `prepare` that builds the call and its expectation. Adding a function (the losses,
// next) is one more entry: a spec arbitrary, hostileOperand/hostileOptions for the invalid
// cases, and a float64 reference in reference.ts for the valid ones.

import { type Cosinekit, type Tensor, type Variant, createInstanceSync, isVariantSupported } from 'cosinekit';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  OPERAND_FORMS,
  OUT_FORMS,
  type OperandForm,
  type OutForm,
  Scope,
  Sentinel,
  assertClose,
  hostileOperand,
  stageOperand,
  stageOut,
} from './harness.js';
import { cosineReference, normalizeReference, pairwiseReference, product } from './reference.js';

const RUNS = Number(process.env.COSINEKIT_FUZZ_RUNS ?? 3000);
const SEED = Number(process.env.COSINEKIT_FUZZ_SEED ?? 20261122);
/** Every variant this engine runs; only relaxed in the `relaxed` vitest project (which sets COSINEKIT_EXPECT_RELAXED). */
const VARIANTS: readonly Variant[] = process.env.COSINEKIT_EXPECT_RELAXED
  ? ['relaxed']
  : (['scalar', 'simd128', 'relaxed'] as const).filter((variant) => isVariantSupported(variant));

type ErrorName = 'TypeError' | 'RangeError';
type Expectation = { error: ErrorName; message?: RegExp } | { verify: (result: unknown) => void };

/** One call, ready to run (its WasmTensors are allocated in the scope). */
interface Prepared {
  call: () => unknown;
  expect: Expectation;
}

/** A row of the API table. */
interface ApiEntry<Spec> {
  name: string;
  weight: number;
  specs: fc.Arbitrary<Spec>;
  prepare: (spec: Spec, scope: Scope) => Prepared;
}

// ----------------------------------------------------------------------------- generators

const extent = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constant(1) },
  { weight: 8, arbitrary: fc.integer({ min: 2, max: 5 }) },
);
const shape = (minRank: number, maxRank: number) => fc.array(extent, { minLength: minRank, maxLength: maxRank });
/** Mostly ordinary floats, some zeros, rarely NaN, ±∞ or magnitudes that overflow or underflow float32 sums. */
const value = fc.oneof(
  { weight: 200, arbitrary: fc.float({ min: -100, max: 100, noNaN: true }) },
  { weight: 20, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e30, -3e38, 1e-30, -5e-39) },
);
const values = (count: number) => fc.array(value, { minLength: count, maxLength: count });
/** Finite values only (for functions whose NaN ordering is not part of the contract). */
const finiteValues = (count: number) =>
  fc.array(fc.oneof({ weight: 10, arbitrary: fc.float({ min: -100, max: 100, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(0) }), { minLength: count, maxLength: count });
const operandForm = fc.constantFrom<OperandForm>(...OPERAND_FORMS);
const outForm = fc.constantFrom<OutForm>(...OUT_FORMS);
/** null: a valid call; otherwise which part to make hostile and which hostility. */
const mutation = <Target extends string>(targets: readonly Target[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.record({ target: fc.constantFrom(...targets), choice: fc.nat(10_000) }) },
  );

/** Mostly valid dims for a broadcast of rank `rank` (one or a list), sometimes anything. */
const dims = (rank: number) => {
  const valid = fc.integer({ min: -Math.max(rank, 1), max: Math.max(rank - 1, 0) });
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: valid },
    { weight: 2, arbitrary: fc.uniqueArray(valid, { minLength: 1, maxLength: Math.max(rank, 1), selector: (dim) => (dim < 0 ? dim + rank : dim) }) },
    { weight: 1, arbitrary: fc.integer({ min: -5, max: 4 }) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: -5, max: 4 }), { minLength: 1, maxLength: 3 }) },
  );
};

interface OperandSpec {
  shape: number[];
  values: number[];
  form: OperandForm;
  offset: number;
}

const operandSpec = (shapes: fc.Arbitrary<number[]>): fc.Arbitrary<OperandSpec> =>
  shapes.chain((operandShape) =>
    fc.record({
      shape: fc.constant(operandShape),
      values: values(product(operandShape)),
      form: operandForm,
      offset: fc.nat(7),
    }),
  );

/** A shape and a broadcast partner (axes set to 1 or dropped), or, one time in six, any shape. */
const broadcastPair = fc
  .tuple(shape(0, 4), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.nat(4), fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: shape(0, 4) }))
  .map(([base, ones1, ones2, drop, independent]) => {
    const first = base.map((size, axis) => (ones1[axis] ? 1 : size));
    const second = independent ?? base.map((size, axis) => (ones2[axis] && !ones1[axis] ? 1 : size)).slice(Math.min(drop, base.length));
    return [first, second] as const;
  });

// ------------------------------------------------------------------------ option hostility

interface OptionAttack {
  label: string;
  options: unknown;
  error: ErrorName;
  message: RegExp;
}

/**
 * Hostile options for a function whose options include `keys`, given the valid result length
 * and the call's valid options (`base`, kept wherever one option is attacked).
 */
function hostileOptions(
  scope: Scope,
  functionName: string,
  keys: readonly string[],
  resultLength: number,
  base: Record<string, unknown>,
  choice: number,
): OptionAttack {
  const attacks: OptionAttack[] = [
    { label: 'options a number', options: 5, error: 'TypeError', message: new RegExp(`${functionName} options must be an object, got 5`) },
    { label: 'options an array', options: [], error: 'TypeError', message: new RegExp(`${functionName} options must be an object, got \\[\\]`) },
    { label: 'unknown option', options: { ...base, dims: 1 }, error: 'TypeError', message: new RegExp(`${functionName} has no option "dims"`) },
    { label: 'negative eps', options: { ...base, eps: -1 }, error: 'RangeError', message: /eps must be a finite number ≥ 0, got -1/ },
    { label: 'NaN eps', options: { ...base, eps: Number.NaN }, error: 'RangeError', message: /eps must be a finite number ≥ 0, got NaN/ },
    { label: 'infinite eps', options: { ...base, eps: Number.POSITIVE_INFINITY }, error: 'RangeError', message: /eps must be a finite number ≥ 0, got Infinity/ },
    { label: 'string eps', options: { ...base, eps: '1' }, error: 'TypeError', message: /eps must be a number, got "1"/ },
    {
      label: 'eps getter that throws',
      options: Object.defineProperty({ ...base }, 'eps', {
        enumerable: true,
        get: (): never => {
          throw new Error('hostile option');
        },
      }),
      error: 'TypeError',
      message: new RegExp(`reading ${functionName} options\\.eps threw Error: hostile option`),
    },
    {
      label: 'options Proxy whose ownKeys trap throws',
      options: new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }),
      error: 'TypeError',
      message: new RegExp(`${functionName} options cannot be enumerated: Error: trap`),
    },
    { label: 'out one element too long', options: { ...base, out: new Float32Array(resultLength + 1) }, error: 'RangeError', message: new RegExp(`out has ${resultLength + 1} elements but the result .* has ${resultLength}`) },
    { label: 'out a Float64Array', options: { ...base, out: new Float64Array(resultLength) }, error: 'TypeError', message: /out must be a Float32Array or a WasmTensor, got a Float64Array/ },
    { label: 'out a number[]', options: { ...base, out: new Array(resultLength).fill(0) }, error: 'TypeError', message: /out must be a Float32Array or a WasmTensor, got / },
    (() => {
      const tensor = scope.alloc([resultLength]);
      tensor.dispose();
      return { label: 'out a disposed WasmTensor', options: { ...base, out: tensor }, error: 'TypeError', message: /out is a disposed WasmTensor/ } as OptionAttack;
    })(),
    (() => {
      const buffer = new ArrayBuffer(resultLength * 4);
      const view = new Float32Array(buffer);
      structuredClone(buffer, { transfer: [buffer] });
      return { label: 'out detached', options: { ...base, out: view }, error: 'TypeError', message: /out cannot be written: its ArrayBuffer is detached/ } as OptionAttack;
    })(),
  ];
  if (resultLength > 0) {
    // Bytes 0.. of WASM memory hold the module's static data: no live WasmTensor is there.
    const memory = scope.memory();
    attacks.push({ label: 'out a raw view of WASM memory', options: { ...base, out: new Float32Array(memory, 0, resultLength) }, error: 'RangeError', message: /outside every live WasmTensor/ });
  }
  if (keys.includes('dim')) {
    attacks.push(
      { label: 'fractional dim', options: { ...base, dim: 0.5 }, error: 'RangeError', message: /dim must be an integer, got 0\.5/ },
      { label: 'string dim', options: { ...base, dim: '1' }, error: 'TypeError', message: /dim must be an integer, got "1"/ },
    );
  }
  if (keys.includes('clamp')) {
    attacks.push(
      { label: 'empty dim list', options: { ...base, dim: [] }, error: 'RangeError', message: /non-empty array of dims, got \[\]/ },
      { label: 'numeric clamp', options: { ...base, clamp: 1 }, error: 'TypeError', message: /clamp must be a boolean, got 1/ },
      {
        label: 'dim list Proxy whose element read throws',
        options: { ...base, dim: new Proxy([0], { get: (target, key) => { if (key === '0') throw new Error('trap'); return Reflect.get(target, key); } }) },
        error: 'TypeError',
        message: /reading dim\[0\] threw Error: trap/,
      },
    );
  }
  if (keys.includes('p')) {
    attacks.push(
      { label: 'p = 3', options: { ...base, p: 3 }, error: 'RangeError', message: /p must be 1, 2 or Infinity, got 3/ },
      { label: 'string p', options: { ...base, p: '2' }, error: 'TypeError', message: /p must be 1, 2 or Infinity, got "2"/ },
    );
  }
  return attacks[choice % attacks.length]!;
}

// --------------------------------------------------------------------------------- checks

function verifyTensor(
  result: unknown,
  expectedShape: readonly number[],
  expected: readonly number[],
  out: { value: unknown; read: () => Float32Array } | null,
  memory: () => ArrayBufferLike,
  absolute: number,
  relative: number,
): void {
  const tensor = result as Tensor;
  expect(tensor.shape).toEqual(expectedShape);
  assertClose(tensor.data, expected, absolute, relative, 'result');
  if (out === null) {
    // A fresh JS-owned array, never a view a later call could overwrite.
    if (tensor.data.buffer === memory()) throw new Error('the result is a view of WASM memory');
    return;
  }
  if (out.value instanceof Float32Array && out.value.buffer !== memory()) {
    if (tensor.data !== out.value) throw new Error('the result is not the `out` array');
  } else if (tensor.data.buffer !== memory() || tensor.data.byteOffset !== out.read().byteOffset) {
    throw new Error('the result is not a view of the `out` memory');
  }
  assertClose(out.read(), expected, absolute, relative, 'out');
}

// ---------------------------------------------------------------------------- the table

interface CosineSpec {
  x1: OperandSpec;
  x2: OperandSpec;
  distance: boolean;
  dim: number | number[] | undefined;
  eps: number | undefined;
  clamp: boolean | undefined;
  out: OutForm;
  outOffset: number;
  mutation: { target: 'x1' | 'x2' | 'options'; choice: number } | null;
}

const cosineEntry: ApiEntry<CosineSpec> = {
  name: 'cosineSimilarity/cosineDistance',
  weight: 5,
  specs: broadcastPair.chain(([first, second]) =>
    fc.record({
      x1: operandSpec(fc.constant(first)),
      x2: operandSpec(fc.constant(second)),
      distance: fc.boolean(),
      dim: dims(Math.max(first.length, second.length)),
      eps: fc.option(fc.constantFrom(0, 1e-8, 1e-3, 0.5, 2), { nil: undefined }),
      clamp: fc.option(fc.boolean(), { nil: undefined }),
      out: outForm,
      outOffset: fc.nat(7),
      mutation: mutation(['x1', 'x2', 'options'] as const),
    }),
  ),
  prepare(spec, scope) {
    const functionName = spec.distance ? 'cosineDistance' : 'cosineSimilarity';
    const invoke = spec.distance ? scope.api.cosineDistance : scope.api.cosineSimilarity;
    const stage1 = stageOperand(scope, spec.x1.shape, spec.x1.values, spec.x1.form, spec.x1.offset);
    const stage2 = stageOperand(scope, spec.x2.shape, spec.x2.values, spec.x2.form, spec.x2.offset);
    const reference = cosineReference({
      x1: Float32Array.from(spec.x1.values),
      shape1: spec.x1.shape,
      x2: Float32Array.from(spec.x2.values),
      shape2: spec.x2.shape,
      dims: spec.dim ?? 1,
      eps: Math.fround(spec.eps ?? 1e-8),
      clamp: spec.clamp ?? false,
      distance: spec.distance,
    });
    if (!('ok' in reference)) {
      // Shapes that do not broadcast, or dims out of range: a RangeError, whatever else.
      const [x1, x2] = [stage1(), stage2()];
      return { call: () => invoke(x1.value, x2.value, { dim: spec.dim, eps: spec.eps, clamp: spec.clamp }), expect: { error: reference.error } };
    }
    const expected = reference.ok;
    let x1: ReturnType<typeof stage1> | null = null;
    const stageOutput = stageOut(scope, expected.data.length, spec.out, spec.outOffset, () => x1?.tensor ?? null);
    const options = { dim: spec.dim, eps: spec.eps, clamp: spec.clamp };
    if (spec.mutation !== null) {
      const { target, choice } = spec.mutation;
      if (target === 'options') {
        const attack = hostileOptions(scope, functionName, ['dim', 'eps', 'clamp', 'out'], expected.data.length, options, choice);
        const [first, second] = [stage1(), stage2()];
        return { call: () => invoke(first.value, second.value, attack.options as never), expect: attack };
      }
      const attack = hostileOperand(scope, target, target === 'x1' ? spec.x1.shape : spec.x2.shape, choice);
      const [first, second] = [stage1(), stage2()];
      const args = target === 'x1' ? [attack.value, second.value] : [first.value, attack.value];
      return { call: () => invoke(args[0] as never, args[1] as never, options), expect: attack };
    }
    x1 = stage1();
    const x2 = stage2();
    const out = stageOutput();
    return {
      call: () => invoke(x1.value, x2.value, { ...options, out: out?.value }),
      expect: {
        verify: (result) =>
          verifyTensor(result, expected.shape, expected.data, out, scope.memory, 1e-5, 0),
      },
    };
  },
};

interface NormalizeSpec {
  x: OperandSpec;
  p: number | undefined;
  dim: number | undefined;
  eps: number | undefined;
  out: OutForm;
  outOffset: number;
  mutation: { target: 'x' | 'options'; choice: number } | null;
}

const normalizeEntry: ApiEntry<NormalizeSpec> = {
  name: 'normalize',
  weight: 3,
  specs: fc.record({
    x: operandSpec(shape(0, 4)),
    p: fc.option(fc.constantFrom(1, 2, Number.POSITIVE_INFINITY), { nil: undefined }),
    dim: fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.integer({ min: -4, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: -6, max: 5 }) }),
    eps: fc.option(fc.constantFrom(0, 1e-12, 1e-3, 1), { nil: undefined }),
    out: outForm,
    outOffset: fc.nat(7),
    mutation: mutation(['x', 'options'] as const),
  }),
  prepare(spec, scope) {
    const stage = stageOperand(scope, spec.x.shape, spec.x.values, spec.x.form, spec.x.offset);
    const reference = normalizeReference({
      x: Float32Array.from(spec.x.values),
      shape: spec.x.shape,
      p: spec.p ?? 2,
      dim: spec.dim ?? 1,
      eps: Math.fround(spec.eps ?? 1e-12),
    });
    const options = { p: spec.p, dim: spec.dim, eps: spec.eps };
    if (!('ok' in reference)) {
      const x = stage();
      return { call: () => scope.api.normalize(x.value, options), expect: { error: reference.error } };
    }
    const expected = reference.ok;
    if (spec.mutation !== null) {
      if (spec.mutation.target === 'options') {
        const attack = hostileOptions(scope, 'normalize', ['p', 'dim', 'eps', 'out'], expected.length, options, spec.mutation.choice);
        const x = stage();
        return { call: () => scope.api.normalize(x.value, attack.options as never), expect: attack };
      }
      const attack = hostileOperand(scope, 'x', spec.x.shape, spec.mutation.choice);
      stage();
      return { call: () => scope.api.normalize(attack.value as never, options), expect: attack };
    }
    let x: ReturnType<typeof stage> | null = null;
    // `alias` is in place: out is the input itself (the WasmTensor, or the very same view).
    const stageOutput =
      spec.out === 'alias'
        ? () => {
            const input = x as ReturnType<typeof stage>;
            if (input.tensor === null) return null;
            const value = input.value === input.tensor ? input.tensor : (input.value as { data: Float32Array }).data;
            const read = () => (value === input.tensor ? input.tensor.data : (value as Float32Array));
            return { value, read };
          }
        : stageOut(scope, expected.length, spec.out, spec.outOffset, () => null);
    x = stage();
    const out = stageOutput();
    const input = x;
    return {
      call: () => scope.api.normalize(input.value, { ...options, out: out?.value }),
      expect: { verify: (result) => verifyTensor(result, spec.x.shape, expected, out, scope.memory, 1e-6, 1e-5) },
    };
  },
};

const HOSTILE_SHAPES: readonly [label: string, shape: unknown, error: ErrorName, message: RegExp][] = [
  ['negative extent', [2, -1], 'RangeError', /shape\[1\] must be a non-negative integer, got -1/],
  ['fractional extent', [1.5], 'RangeError', /shape\[0\] must be a non-negative integer, got 1\.5/],
  ['NaN extent', [Number.NaN], 'RangeError', /shape\[0\] must be a non-negative integer, got NaN/],
  ['not an array', 'abc', 'TypeError', /shape must be an array of non-negative integers, got "abc"/],
  ['null', null, 'TypeError', /shape must be an array of non-negative integers, got null/],
  ['a hole', [1, , 2], 'TypeError', /shape\[1\] must be a number, got undefined/],
  ['an axis past 2^30', [2 ** 31], 'RangeError', /shape\[0\] is 2147483648/],
  ['3 GiB', [3 * 2 ** 28], 'RangeError', /cannot allocate 3221225472 bytes for a WasmTensor of shape \[805306368\]/],
  ['2^31 elements', [2 ** 15, 2 ** 15, 2], 'RangeError', /has 2147483648 elements/],
  ['65 dimensions', new Array(65).fill(1), 'RangeError', /shape has 65 dimensions/],
  ['a Proxy whose length trap throws', new Proxy([1], { get: (target, key) => { if (key === 'length') throw new Error('trap'); return Reflect.get(target, key); } }), 'TypeError', /reading shape\.length threw Error: trap/],
];

interface AllocSpec {
  shape: number[];
  hostile: number | null;
}

const allocEntry: ApiEntry<AllocSpec> = {
  name: 'alloc',
  weight: 1,
  specs: fc.record({ shape: shape(0, 4), hostile: fc.option(fc.nat(HOSTILE_SHAPES.length - 1), { freq: 2 }) }),
  prepare(spec, scope) {
    if (spec.hostile !== null) {
      const [, hostileShape, error, message] = HOSTILE_SHAPES[spec.hostile]!;
      return { call: () => scope.api.alloc(hostileShape as never), expect: { error, message } };
    }
    return {
      call: () => scope.api.alloc(spec.shape),
      expect: {
        verify: (result) => {
          const tensor = result as ReturnType<Cosinekit['alloc']>;
          try {
            expect(tensor.shape).toEqual(spec.shape);
            // Zero-filled even when the block held another call's data a moment ago.
            assertClose(tensor.data, new Array(product(spec.shape)).fill(0), 0, 0, 'alloc');
          } finally {
            tensor.dispose();
          }
        },
      },
    };
  },
};

interface PairwiseSpec {
  batch: number | null;
  rows: [number, number];
  depth: number;
  a: number[];
  b: number[] | null;
  forms: [OperandForm, OperandForm];
  scale: number | undefined;
  out: OutForm;
  mutation: { target: 'a' | 'b'; choice: number } | null;
}

/** pairwiseCosine, added in a few lines: a [N,D] or [B,N,D], b omitted or the same rank. */
const pairwiseEntry: ApiEntry<PairwiseSpec> = {
  name: 'pairwiseCosine',
  weight: 2,
  specs: fc
    .record({ batch: fc.option(fc.integer({ min: 1, max: 3 })), rows: fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })), depth: fc.integer({ min: 1, max: 9 }), withB: fc.boolean() })
    .chain(({ batch, rows, depth, withB }) =>
      fc.record({
        batch: fc.constant(batch),
        rows: fc.constant(rows),
        depth: fc.constant(depth),
        a: values((batch ?? 1) * rows[0] * depth),
        b: withB ? values((batch ?? 1) * rows[1] * depth) : fc.constant(null),
        forms: fc.tuple(operandForm, operandForm),
        scale: fc.option(fc.constantFrom(1, 14.3, -2), { nil: undefined }),
        out: fc.constantFrom<OutForm>('none', 'float32', 'wasm', 'wasmView'),
        mutation: mutation(['a', 'b'] as const),
      }),
    ),
  prepare(spec, scope) {
    const lead = spec.batch === null ? [] : [spec.batch];
    const aShape = [...lead, spec.rows[0], spec.depth];
    const bShape = spec.b === null ? aShape : [...lead, spec.rows[1], spec.depth];
    const stageA = stageOperand(scope, aShape, spec.a, spec.forms[0], 1);
    const stageB = spec.b === null ? null : stageOperand(scope, bShape, spec.b, spec.forms[1], 3);
    const a32 = Float32Array.from(spec.a);
    const expected = pairwiseReference(a32, aShape, spec.b === null ? a32 : Float32Array.from(spec.b), bShape, Math.fround(1e-8), spec.scale ?? 1);
    const resultShape = [...lead, spec.rows[0], bShape[bShape.length - 2]!];
    if (spec.mutation !== null) {
      const target = spec.mutation.target === 'b' && spec.b !== null ? 'b' : 'a';
      const attack = hostileOperand(scope, target, target === 'a' ? aShape : bShape, spec.mutation.choice);
      const a = stageA();
      const b = stageB?.();
      // Only the error type: the wording of pairwise errors is still settling.
      return { call: () => scope.api.pairwiseCosine((target === 'a' ? attack.value : a.value) as never, (target === 'b' ? attack.value : b?.value) as never), expect: { error: attack.error } };
    }
    const stageOutput = stageOut(scope, expected.length, spec.out, 2, () => null);
    const a = stageA();
    const b = stageB?.();
    const out = stageOutput();
    return {
      call: () => scope.api.pairwiseCosine(a.value, b?.value, { scale: spec.scale, out: out?.value }),
      // Cosines within 1e-5 (scaled by |scale|), like every other cosine.
      expect: { verify: (result) => verifyTensor(result, resultShape, expected, out, scope.memory, 1e-5 * Math.abs(spec.scale ?? 1), 0) },
    };
  },
};

interface RowsSpec {
  rows: [number, number];
  depth: number;
  a: number[];
  b: number[] | null;
  forms: [OperandForm, OperandForm];
  k: number;
  excludeSelf: boolean | undefined;
  mutation: { target: 'a' | 'b' | 'k'; choice: number } | null;
}

/** Two [N,D] / [M,D] operands of finite values (b may be omitted), for topK and meanCosine. */
const rowsSpecs: fc.Arbitrary<RowsSpec> = fc
  .record({ rows: fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 9 })), depth: fc.integer({ min: 1, max: 12 }), withB: fc.boolean() })
  .chain(({ rows, depth, withB }) =>
    fc.record({
      rows: fc.constant(rows),
      depth: fc.constant(depth),
      a: finiteValues(rows[0] * depth),
      b: withB ? finiteValues(rows[1] * depth) : fc.constant(null),
      forms: fc.tuple(operandForm, operandForm),
      k: fc.integer({ min: -1, max: 10 }),
      excludeSelf: fc.option(fc.boolean(), { nil: undefined }),
      mutation: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.record({ target: fc.constantFrom('a' as const, 'b' as const, 'k' as const), choice: fc.nat(10_000) }) }),
    }),
  );

/** Stages a and b of a RowsSpec (b is a itself when omitted, for functions that need it). */
function stageRows(spec: RowsSpec, scope: Scope, bRequired: boolean) {
  const aShape = [spec.rows[0], spec.depth];
  const bShape = spec.b === null ? aShape : [spec.rows[1], spec.depth];
  const bValues = spec.b ?? (bRequired ? spec.a : null);
  const stageA = stageOperand(scope, aShape, spec.a, spec.forms[0], 2);
  const stageB = bValues === null ? null : stageOperand(scope, bShape, bValues, spec.forms[1], 1);
  const matrix = pairwiseReference(Float32Array.from(spec.a), aShape, Float32Array.from(spec.b ?? spec.a), bShape, Math.fround(1e-8), 1);
  return { aShape, bShape, stageA, stageB, matrix, corpusRows: bShape[0]! };
}

/** topK: scores sorted descending, each the reference cosine of its index, and no better row left out. */
const topKEntry: ApiEntry<RowsSpec> = {
  name: 'topK',
  weight: 2,
  specs: rowsSpecs,
  prepare(spec, scope) {
    const { aShape, bShape, stageA, stageB, matrix, corpusRows } = stageRows(spec, scope, true);
    const excludeSelf = spec.excludeSelf ?? false;
    if (spec.mutation !== null && spec.mutation.target !== 'k') {
      const target = spec.mutation.target;
      const attack = hostileOperand(scope, target === 'a' ? 'queries' : 'corpus', target === 'a' ? aShape : bShape, spec.mutation.choice);
      const [a, b] = [stageA(), stageB!()];
      return { call: () => scope.api.topK((target === 'a' ? attack.value : a.value) as never, (target === 'b' ? attack.value : b.value) as never, 1), expect: { error: attack.error } };
    }
    const [a, b] = [stageA(), stageB!()];
    const kValue: unknown = spec.mutation !== null ? ['3', 1.5, Number.NaN, null, 2n][spec.mutation.choice % 5] : spec.k;
    const call = () => scope.api.topK(a.value, b.value, kValue as number, { excludeSelf: spec.excludeSelf });
    if (typeof kValue !== 'number') return { call, expect: { error: 'TypeError', message: /k must be an integer/ } };
    const available = excludeSelf ? corpusRows - 1 : corpusRows;
    const invalid = !Number.isInteger(kValue) || kValue < 1 || kValue > available || (excludeSelf && spec.rows[0] > corpusRows);
    if (invalid) return { call, expect: { error: 'RangeError' } };
    const k = kValue;
    return {
      call,
      expect: {
        verify: (result) => {
          const { indices, scores, shape: resultShape } = result as ReturnType<Cosinekit['topK']>;
          expect(resultShape).toEqual([spec.rows[0], k]);
          for (let row = 0; row < spec.rows[0]; row++) {
            const reference = matrix.slice(row * corpusRows, (row + 1) * corpusRows);
            const candidates = reference.map((score, index) => ({ score, index })).filter(({ index }) => !(excludeSelf && index === row));
            candidates.sort((left, right) => right.score - left.score || left.index - right.index);
            const chosen = new Set<number>();
            for (let rank = 0; rank < k; rank++) {
              const index = indices[row * k + rank]!;
              const score = scores[row * k + rank]!;
              if (!(index >= 0 && index < corpusRows) || chosen.has(index) || (excludeSelf && index === row)) throw new Error(`row ${row}: bad index ${index}`);
              chosen.add(index);
              assertClose([score], [reference[index]!], 1e-5, 0, `row ${row} rank ${rank} score`);
              if (rank > 0 && score > scores[row * k + rank - 1]!) throw new Error(`row ${row}: scores not descending`);
            }
            // Nothing better was left out: the k-th score is at least the best excluded one.
            const bestLeftOut = candidates.find(({ index }) => !chosen.has(index));
            if (bestLeftOut !== undefined && scores[row * k + k - 1]! < bestLeftOut.score - 1e-5) throw new Error(`row ${row}: missed index ${bestLeftOut.index}`);
          }
        },
      },
    };
  },
};

/** meanCosine: the mean of the reference matrix, within 1e-5. */
const meanCosineEntry: ApiEntry<RowsSpec> = {
  name: 'meanCosine',
  weight: 1,
  specs: rowsSpecs,
  prepare(spec, scope) {
    const { aShape, bShape, stageA, stageB, matrix } = stageRows(spec, scope, false);
    if (spec.mutation !== null && spec.mutation.target !== 'k') {
      const target = spec.mutation.target === 'b' && stageB !== null ? 'b' : 'a';
      const attack = hostileOperand(scope, target, target === 'a' ? aShape : bShape, spec.mutation.choice);
      const [a, b] = [stageA(), stageB?.()];
      return { call: () => scope.api.meanCosine((target === 'a' ? attack.value : a.value) as never, (target === 'b' ? attack.value : b?.value) as never), expect: { error: attack.error } };
    }
    const [a, b] = [stageA(), stageB?.()];
    const mean = matrix.reduce((sum, entry) => sum + entry, 0) / matrix.length;
    return { call: () => scope.api.meanCosine(a.value, b?.value), expect: { verify: (result) => assertClose([result as number], [mean], 1e-5, 0, 'mean') } };
  },
};

/** pairwiseCosineBlocks: the blocks tile the rows in order and hold the reference matrix. */
const blocksEntry: ApiEntry<RowsSpec> = {
  name: 'pairwiseCosineBlocks',
  weight: 1,
  specs: rowsSpecs,
  prepare(spec, scope) {
    const { aShape, bShape, stageA, stageB, matrix, corpusRows } = stageRows(spec, scope, false);
    if (spec.mutation !== null && spec.mutation.target !== 'k') {
      const target = spec.mutation.target === 'b' && stageB !== null ? 'b' : 'a';
      const attack = hostileOperand(scope, target, target === 'a' ? aShape : bShape, spec.mutation.choice);
      const [a, b] = [stageA(), stageB?.()];
      return { call: () => scope.api.pairwiseCosineBlocks((target === 'a' ? attack.value : a.value) as never, (target === 'b' ? attack.value : b?.value) as never), expect: { error: attack.error } };
    }
    const [a, b] = [stageA(), stageB?.()];
    // k doubles as blockRows here; a 'k' mutation makes it hostile.
    const blockRows: unknown = spec.mutation !== null ? ['2', 0, 1.5, -1, Number.POSITIVE_INFINITY][spec.mutation.choice % 5] : spec.k >= 1 ? spec.k : undefined;
    const call = () => scope.api.pairwiseCosineBlocks(a.value, b?.value, { blockRows: blockRows as number });
    if (blockRows !== undefined && typeof blockRows !== 'number') return { call, expect: { error: 'TypeError', message: /blockRows must be a positive integer, got "2"/ } };
    if (blockRows !== undefined && !(Number.isInteger(blockRows) && (blockRows as number) >= 1)) return { call, expect: { error: 'RangeError', message: /blockRows must be a positive integer/ } };
    return {
      call,
      expect: {
        verify: (result) => {
          let next = 0;
          const rows: number[] = [];
          for (const block of result as Iterable<{ rowStart: number; rows: number; data: Float32Array }>) {
            if (block.rowStart !== next) throw new Error(`block starts at row ${block.rowStart}, expected ${next}`);
            if (block.data.length !== block.rows * corpusRows) throw new Error('block of the wrong size');
            rows.push(...block.data);
            next += block.rows;
          }
          if (next !== spec.rows[0]) throw new Error(`blocks cover ${next} rows of ${spec.rows[0]}`);
          assertClose(rows, matrix, 1e-5, 0, 'blocks');
        },
      },
    };
  },
};

interface InfoSpec {
  which: 'backendInfo' | 'heapBytesInUse';
}

const infoEntry: ApiEntry<InfoSpec> = {
  name: 'backendInfo/heapBytesInUse',
  weight: 1,
  specs: fc.record({ which: fc.constantFrom('backendInfo' as const, 'heapBytesInUse' as const) }),
  prepare(spec, scope) {
    if (spec.which === 'heapBytesInUse') {
      return { call: () => scope.api.heapBytesInUse(), expect: { verify: (bytes) => expect(Number.isSafeInteger(bytes) && (bytes as number) > 0).toBe(true) } };
    }
    return {
      call: () => scope.api.backendInfo(),
      expect: {
        verify: (info) => {
          const { memoryBytes } = info as ReturnType<Cosinekit['backendInfo']>;
          expect(memoryBytes % 65536).toBe(0);
        },
      },
    };
  },
};

/** The API table. To cover a new function, add an entry here. */
const ENTRIES: readonly ApiEntry<never>[] = [cosineEntry, normalizeEntry, allocEntry, pairwiseEntry, blocksEntry, topKEntry, meanCosineEntry, infoEntry] as unknown as ApiEntry<never>[];

// -------------------------------------------------------------------------------- runner

function run(prepared: Prepared, tally: Record<'ok' | ErrorName, number>): void {
  let result: unknown;
  let thrown: unknown = null;
  let threw = false;
  try {
    result = prepared.call();
  } catch (error) {
    thrown = error;
    threw = true;
  }
  const expectation = prepared.expect;
  if ('error' in expectation) {
    if (!threw) throw new Error(`expected a ${expectation.error}, got a result`);
    const type = expectation.error === 'TypeError' ? TypeError : RangeError;
    if (!(thrown instanceof type)) throw new Error(`expected a ${expectation.error}, got ${String(thrown)}`);
    if (expectation.message !== undefined && !expectation.message.test(thrown.message)) {
      throw new Error(`${expectation.error} message ${JSON.stringify(thrown.message)} does not match ${expectation.message}`);
    }
    tally[expectation.error]++;
    return;
  }
  if (threw) throw new Error(`expected a result, got ${String(thrown)}`);
  expectation.verify(result);
  tally.ok++;
}

describe.each(VARIANTS)('fuzz, %s variant', (variant) => {
  test(`${RUNS} random valid and hostile calls: the reference's result or a clean error, nothing corrupted or leaked`, () => {
    const api = createInstanceSync({ variant });
    const foreign = createInstanceSync({ variant: variant === 'scalar' ? 'simd128' : 'scalar' });
    const sentinel = new Sentinel(api);
    const baseline = api.heapBytesInUse();
    const foreignBaseline = foreign.heapBytesInUse();
    const tally = { ok: 0, TypeError: 0, RangeError: 0 };
    const perEntry = new Map<string, number>();
    const calls = fc.oneof(...ENTRIES.map((entry) => ({ weight: entry.weight, arbitrary: entry.specs.map((spec) => ({ entry: entry.name, spec })) })));
    fc.assert(
      fc.property(calls, ({ entry: name, spec }) => {
        const entry = ENTRIES.find((candidate) => candidate.name === name)!;
        perEntry.set(name, (perEntry.get(name) ?? 0) + 1);
        const scope = new Scope(api, foreign, () => sentinel.tensor.data.buffer);
        try {
          run(entry.prepare(spec, scope), tally);
        } finally {
          scope.dispose();
        }
        sentinel.check(name);
        const heap = api.heapBytesInUse();
        if (heap !== baseline) throw new Error(`heapBytesInUse is ${heap} after the call, ${baseline} before: a leak`);
        if (foreign.heapBytesInUse() !== foreignBaseline) throw new Error('the foreign instance leaked');
      }),
      { numRuns: RUNS, seed: SEED + ['scalar', 'simd128', 'relaxed'].indexOf(variant) },
    );
    if (process.env.COSINEKIT_FUZZ_VERBOSE) console.log(variant, tally, Object.fromEntries(perEntry));
    // Both outcomes were exercised, by every entry.
    expect(tally.ok).toBeGreaterThan(RUNS / 5);
    expect(tally.TypeError).toBeGreaterThan(RUNS / 20);
    expect(tally.RangeError).toBeGreaterThan(RUNS / 20);
    for (const entry of ENTRIES) expect(perEntry.get(entry.name) ?? 0).toBeGreaterThan(RUNS / 40);
    // Still working.
    const after = api.cosineSimilarity({ data: [1, 2, 2], shape: [1, 3] }, { data: [2, 4, 4], shape: [1, 3] });
    assertClose(after.data, [1], 1e-6, 0, 'after');
    sentinel.tensor.dispose();
  });
});
