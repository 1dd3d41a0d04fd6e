// Shared pieces of the robustness tests: a scope that disposes the WasmTensors a call
// allocated, operands in every input form (built in two phases so that no view of WASM
// memory is taken before the last allocation), hostile values, and a sentinel tensor.

import type { Cosinekit, TensorLike, WasmTensor } from 'cosinekit';
import { WasmTensor as WasmTensorClass } from 'cosinekit';
import { expect } from 'vitest';

/** The ways an operand can be passed. */
export const OPERAND_FORMS = ['float32', 'float64', 'array', 'wasm', 'wasmView', 'foreign'] as const;
export type OperandForm = (typeof OPERAND_FORMS)[number];

/** The ways a result can be requested. `alias` writes over the (first) input's memory. */
export const OUT_FORMS = ['none', 'float32', 'wasm', 'wasmView', 'alias'] as const;
export type OutForm = (typeof OUT_FORMS)[number];

/** WasmTensors allocated for one call (in this instance or the foreign one), disposed together. */
export class Scope {
  readonly api: Cosinekit;
  readonly foreign: Cosinekit;
  /** The current ArrayBuffer of the instance's WASM memory. */
  readonly memory: () => ArrayBufferLike;
  readonly #tensors: WasmTensor[] = [];

  constructor(api: Cosinekit, foreign: Cosinekit, memory: () => ArrayBufferLike) {
    this.api = api;
    this.foreign = foreign;
    this.memory = memory;
  }

  alloc(shape: readonly number[], owner: Cosinekit = this.api): WasmTensor {
    const tensor = owner.alloc(shape);
    this.#tensors.push(tensor);
    return tensor;
  }

  dispose(): void {
    for (const tensor of this.#tensors) tensor.dispose();
    this.#tensors.length = 0;
  }
}

/** A finished operand: `value` to pass, and the float32 values the package must see. */
export interface Built<T> {
  value: T;
  /** The values after float32 rounding (what the reference must use). */
  float32: Float32Array;
  /** The WasmTensor behind the operand, when there is one in the instance under test. */
  tensor: WasmTensor | null;
}

/**
 * Phase one allocates (possibly growing memory); the returned function, called after every
 * allocation of the call, takes views and returns the operand.
 */
export function stageOperand(
  scope: Scope,
  shape: readonly number[],
  values: readonly number[],
  form: OperandForm,
  offset: number,
): () => Built<TensorLike> {
  const float32 = Float32Array.from(values);
  const count = values.length;
  switch (form) {
    case 'float32':
      return () => ({ value: { data: Float32Array.from(values), shape: [...shape] }, float32, tensor: null });
    case 'float64':
      return () => ({ value: { data: Float64Array.from(values), shape: [...shape] }, float32, tensor: null });
    case 'array':
      return () => ({ value: { data: [...values], shape: [...shape] }, float32, tensor: null });
    case 'wasm': {
      const tensor = scope.alloc(shape);
      return () => {
        tensor.data.set(float32);
        return { value: tensor, float32, tensor };
      };
    }
    case 'wasmView': {
      // A view at an offset of `offset` floats into a larger tensor: unaligned to 16 bytes
      // whenever offset % 4 != 0. Padding on both sides holds values that must not be read.
      const tensor = scope.alloc([offset + count + 3]);
      return () => {
        const data = tensor.data;
        data.fill(Number.NaN);
        data.set(float32, offset);
        return { value: { data: data.subarray(offset, offset + count), shape: [...shape] }, float32, tensor };
      };
    }
    case 'foreign': {
      const tensor = scope.alloc(shape, scope.foreign);
      return () => {
        tensor.data.set(float32);
        return { value: tensor, float32, tensor: null };
      };
    }
  }
}

/** Phase one of an `out` of `length` floats; `aliasOf` is the first input's tensor (for `alias`). */
export function stageOut(
  scope: Scope,
  length: number,
  form: OutForm,
  offset: number,
  aliasOf: () => WasmTensor | null,
): () => { value: Float32Array | WasmTensor | undefined; read: () => Float32Array } | null {
  switch (form) {
    case 'none':
      return () => null;
    case 'float32':
      return () => {
        const out = new Float32Array(length).fill(-12345);
        return { value: out, read: () => out };
      };
    case 'wasm': {
      const tensor = scope.alloc([length]);
      return () => ({ value: tensor, read: () => tensor.data });
    }
    case 'wasmView': {
      const tensor = scope.alloc([offset + length + 2]);
      return () => {
        const view = tensor.data.subarray(offset, offset + length);
        return { value: view, read: () => tensor.data.subarray(offset, offset + length) };
      };
    }
    case 'alias':
      return () => {
        const tensor = aliasOf();
        if (tensor === null || tensor.data.length < length) return null;
        return { value: tensor.data.subarray(0, length), read: () => tensor.data.subarray(0, length) };
      };
  }
}

/** A hostile operand and the error it must produce. */
export interface Hostile {
  label: string;
  value: unknown;
  error: 'TypeError' | 'RangeError';
  message: RegExp;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Builds one of the hostile operands (chosen by `choice`) standing in for operand `name`. */
export function hostileOperand(scope: Scope, name: string, shape: readonly number[], choice: number): Hostile {
  const count = shape.reduce((product, extent) => product * extent, 1);
  const data = new Float32Array(count).fill(0.5);
  const quoted = escape(name);
  const axis = shape.length === 0 ? 0 : choice % shape.length;
  const withExtent = (extent: unknown) => {
    const bad: unknown[] = shape.length === 0 ? [extent] : [...shape];
    bad[axis] = extent;
    return bad;
  };
  const builders: (() => Hostile)[] = [
    () => ({ label: 'data one element too long', value: { data: new Float32Array(count + 1), shape }, error: 'RangeError', message: new RegExp(`${quoted}\\.data has ${count + 1} elements but shape`) }),
    () => ({ label: 'Int32Array data', value: { data: new Int32Array(count), shape }, error: 'TypeError', message: new RegExp(`${quoted}\\.data must be a Float32Array, Float64Array or number\\[\\], got a Int32Array`) }),
    () => ({ label: 'shape not an array', value: { data, shape: `${count}` }, error: 'TypeError', message: new RegExp(`${quoted}\\.shape must be an array`) }),
    () => ({ label: 'negative extent', value: { data, shape: withExtent(-2) }, error: 'RangeError', message: new RegExp(`${quoted}\\.shape\\[${axis}\\] must be a non-negative integer, got -2`) }),
    () => ({ label: 'fractional extent', value: { data, shape: withExtent(1.5) }, error: 'RangeError', message: new RegExp(`${quoted}\\.shape\\[${axis}\\] must be a non-negative integer, got 1\\.5`) }),
    () => ({ label: 'NaN extent', value: { data, shape: withExtent(Number.NaN) }, error: 'RangeError', message: new RegExp(`${quoted}\\.shape\\[${axis}\\] .*got NaN`) }),
    () => ({ label: 'Infinity extent', value: { data, shape: withExtent(Number.POSITIVE_INFINITY) }, error: 'RangeError', message: new RegExp(`${quoted}\\.shape\\[${axis}\\] .*got Infinity`) }),
    () => ({ label: 'huge extent', value: { data, shape: withExtent(2 ** 31) }, error: 'RangeError', message: new RegExp(`${quoted}\\.shape\\[${axis}\\] is 2147483648`) }),
    () => ({ label: 'string extent', value: { data, shape: withExtent('3') }, error: 'TypeError', message: new RegExp(`${quoted}\\.shape\\[${axis}\\] must be a number, got "3"`) }),
    () => ({ label: 'bigint extent', value: { data, shape: withExtent(3n) }, error: 'TypeError', message: new RegExp(`${quoted}\\.shape\\[${axis}\\] must be a number, got 3n`) }),
    () => ({ label: '65 dimensions', value: { data: [1], shape: new Array(65).fill(1) }, error: 'RangeError', message: new RegExp(`${quoted}\\.shape has 65 dimensions`) }),
    () => ({ label: 'null operand', value: null, error: 'TypeError', message: new RegExp(`${quoted} must be a tensor .* got null`) }),
    () => ({ label: 'number operand', value: 7, error: 'TypeError', message: new RegExp(`${quoted} must be a tensor .* got 7`) }),
    () => {
      const tensor = scope.alloc(shape);
      tensor.dispose();
      return { label: 'disposed WasmTensor', value: tensor, error: 'TypeError', message: new RegExp(`${quoted} is a disposed WasmTensor`) };
    },
    () => {
      const buffer = new ArrayBuffer(count * 4);
      const view = new Float32Array(buffer);
      structuredClone(buffer, { transfer: [buffer] });
      return { label: 'detached buffer', value: { data: view, shape }, error: 'TypeError', message: new RegExp(`${quoted}\\.data cannot be read: its ArrayBuffer is detached`) };
    },
    () => ({
      label: 'getter that throws',
      value: {
        get data(): never {
          throw new Error('hostile getter');
        },
        shape,
      },
      error: 'TypeError',
      message: new RegExp(`reading ${quoted}\\.data threw Error: hostile getter`),
    }),
    () => ({ label: 'Proxy of a Float32Array', value: { data: new Proxy(data, {}), shape }, error: 'TypeError', message: /look-alike/ }),
    () => ({ label: 'object built from WasmTensor.prototype', value: Object.create(WasmTensorClass.prototype) as unknown, error: 'TypeError', message: new RegExp(`${quoted} is not a WasmTensor made by alloc`) }),
    () => {
      // A Float32Array that lies about its length: the package must measure it itself.
      const liar = new Float32Array(Math.max(count - 1, 0) + 2);
      Object.defineProperty(liar, 'length', { value: count });
      return { label: 'typed array with a lying length', value: { data: liar, shape }, error: 'RangeError', message: new RegExp(`${quoted}\\.data has ${liar.byteLength / 4} elements`) };
    },
    () => {
      if (count === 0) return { label: 'string shape', value: { data, shape: 'x' }, error: 'TypeError', message: new RegExp(`${quoted}\\.shape must be an array`) };
      const values: unknown[] = new Array(count).fill(1);
      delete values[count - 1];
      return { label: 'number[] with a hole', value: { data: values, shape }, error: 'TypeError', message: new RegExp(`${quoted}\\.data\\[${count - 1}\\] must be a number, got undefined`) };
    },
    () => {
      if (count === 0) {
        return { label: 'options-like operand', value: {}, error: 'TypeError', message: new RegExp(`${quoted} must be a tensor \\{ data, shape \\} \\(or \\{ data, dims \\}\\) or a WasmTensor, got an object without shape or dims`) };
      }
      const values: unknown[] = new Array(count).fill(1);
      values[0] = '1';
      return { label: 'number[] with a string', value: { data: values, shape }, error: 'TypeError', message: new RegExp(`${quoted}\\.data\\[0\\] must be a number, got "1"`) };
    },
  ];
  return builders[choice % builders.length]!();
}

/**
 * A tensor filled with a known pattern that no valid call touches; `check()` fails the test
 * if any element changed (which would mean a kernel wrote outside its output).
 */
export class Sentinel {
  readonly tensor: WasmTensor;
  readonly #expected: Float32Array;

  constructor(api: Cosinekit, length = 4099) {
    this.tensor = api.alloc([length]);
    this.#expected = Float32Array.from({ length }, (_, index) => (index % 97) * 0.25 - 11);
    this.tensor.data.set(this.#expected);
  }

  check(context: string): void {
    const actual = this.tensor.data;
    for (let index = 0; index < actual.length; index++) {
      if (!Object.is(actual[index], this.#expected[index])) {
        expect.fail(`${context}: sentinel WasmTensor changed at [${index}]: ${actual[index]} instead of ${this.#expected[index]}`);
      }
    }
  }
}

/**
 * Element-wise |actual − expected| ≤ absolute + relative·|expected|; NaN only matches NaN and
 * infinities must be equal. Throws (for fast-check to shrink) with the first mismatch.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, absolute: number, relative: number, context: string): void {
  if (actual.length !== expected.length) throw new Error(`${context}: length ${actual.length}, expected ${expected.length}`);
  for (let index = 0; index < expected.length; index++) {
    const want = expected[index]!;
    const got = actual[index]!;
    const fine = Number.isNaN(want)
      ? Number.isNaN(got)
      : !Number.isFinite(want)
        ? got === want
        : Math.abs(got - want) <= absolute + relative * Math.abs(want);
    if (!fine) throw new Error(`${context}[${index}]: got ${got}, expected ${want}`);
  }
}
