// Tensors in and out of WASM memory. An input that already lives in this instance's memory
// (a WasmTensor, or a Float32Array over memory.buffer) is passed by pointer; anything else
// is copied once into scratch (Float64Array and number[] converted on the way). Outputs go
// straight into an `out` that lives in memory, else through scratch into `out` or into a
// fresh JS-owned Float32Array.

import { type Runtime, Scratch } from './runtime.js';
import { type Shape, checkShape, describe, elementCount, formatShape } from './shapes.js';

/** A row-major float32 array with its shape. */
export interface Tensor {
  data: Float32Array;
  shape: Shape;
}

/** Anything the API accepts as an operand. */
export type TensorLike = Tensor | WasmTensor | { data: Float32Array | Float64Array | readonly number[]; shape: Shape };

const disposeKey: typeof Symbol.dispose = (Symbol.dispose ?? Symbol.for('Symbol.dispose')) as typeof Symbol.dispose;

interface TensorInternals {
  runtime: Runtime;
  pointer: number;
  length: number;
  disposed: boolean;
}

let internalsOf: (tensor: WasmTensor) => TensorInternals;

const registry: FinalizationRegistry<{ runtime: Runtime; pointer: number }> | null =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ runtime, pointer }) => {
        runtime.untrackTensor(pointer);
        runtime.free(pointer);
      })
    : null;

/**
 * A float32 tensor that lives in WASM memory: passed to kernels with no copy. `data` is a
 * live view, re-created after `memory.grow`; `dispose()` (or `using`) frees it. A
 * FinalizationRegistry frees forgotten tensors eventually, as a safety net only.
 */
export class WasmTensor {
  readonly shape: Shape;
  readonly #internals: TensorInternals;
  #view: Float32Array | null = null;

  static {
    internalsOf = (tensor) => tensor.#internals;
  }

  /** @internal Use `alloc(shape)`. */
  constructor(runtime: Runtime, shape: number[], pointer: number) {
    this.shape = Object.freeze(shape);
    this.#internals = { runtime, pointer, length: elementCount(shape), disposed: false };
    runtime.trackTensor(pointer, this.#internals.length * 4);
    registry?.register(this, { runtime, pointer }, this);
  }

  /** A Float32Array view of the tensor's memory (valid until the next call that may grow memory; read it again then). */
  get data(): Float32Array {
    const { runtime, pointer, length, disposed } = this.#internals;
    if (disposed) throw new Error('this WasmTensor was disposed; its memory is freed');
    const buffer = runtime.memory.buffer;
    if (this.#view === null || this.#view.buffer !== buffer) {
      this.#view = new Float32Array(buffer, pointer, length);
    }
    return this.#view;
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.#internals.disposed;
  }

  /** Frees the memory; later use of `data` throws. Calling it twice is harmless. */
  dispose(): void {
    const internals = this.#internals;
    if (internals.disposed) return;
    internals.disposed = true;
    this.#view = null;
    registry?.unregister(this);
    internals.runtime.untrackTensor(internals.pointer);
    internals.runtime.free(internals.pointer);
  }

  [disposeKey](): void {
    this.dispose();
  }
}

/** Allocates a zero-filled WasmTensor of `shape` in `runtime`. */
export function allocTensor(runtime: Runtime, shape: unknown): WasmTensor {
  const checked = checkShape(shape, 'shape');
  const byteCount = elementCount(checked) * 4;
  const pointer = runtime.alloc(byteCount, `a WasmTensor of shape ${formatShape(checked)}`);
  runtime.floats().fill(0, pointer >>> 2, (pointer >>> 2) + elementCount(checked));
  return new WasmTensor(runtime, checked, pointer);
}

/** A validated operand: either in memory already (`pointer`), or to be copied from `source`. */
export interface Operand {
  name: string;
  shape: number[];
  length: number;
  pointer: number | null;
  source: Float32Array | Float64Array | readonly number[] | null;
}

/** Validates a TensorLike (types, shape, length) without touching WASM memory. */
export function operand(runtime: Runtime, value: unknown, name: string): Operand {
  if (value instanceof WasmTensor) {
    const internals = internalsOf(value);
    if (internals.disposed) throw new TypeError(`${name} is a disposed WasmTensor`);
    const shape = [...value.shape];
    if (internals.runtime === runtime) {
      return { name, shape, length: internals.length, pointer: internals.pointer, source: null };
    }
    // A tensor of another instance: copy from its memory.
    return { name, shape, length: internals.length, pointer: null, source: value.data };
  }
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`${name} must be a tensor { data, shape } or a WasmTensor, got ${describe(value)}`);
  }
  const { data, shape: rawShape } = value as { data?: unknown; shape?: unknown };
  const shape = checkShape(rawShape, `${name}.shape`);
  const length = elementCount(shape);
  if (!(data instanceof Float32Array || data instanceof Float64Array || Array.isArray(data))) {
    throw new TypeError(`${name}.data must be a Float32Array, Float64Array or number[], got ${describe(data)}`);
  }
  if (data.length !== length) {
    const detached = ArrayBuffer.isView(data) && data.byteLength === 0 && data.byteOffset === 0 && length > 0;
    throw new RangeError(
      `${name}.data has ${data.length} elements but shape ${formatShape(shape)} needs ${length}` +
        (detached ? ' (its buffer looks detached: views of WASM memory die when memory grows; read WasmTensor.data again)' : ''),
    );
  }
  if (Array.isArray(data)) {
    for (let index = 0; index < data.length; index++) {
      if (typeof data[index] !== 'number') {
        throw new TypeError(`${name}.data[${index}] must be a number, got ${describe(data[index])}`);
      }
    }
  }
  if (data instanceof Float32Array && data.buffer === runtime.memory.buffer && runtime.insideLiveTensor(data.byteOffset, data.byteLength)) {
    return { name, shape, length, pointer: data.byteOffset, source: null };
  }
  return { name, shape, length, pointer: null, source: data as Float32Array | Float64Array | readonly number[] };
}

/** Where results go. */
export interface OutputTarget {
  length: number;
  /** In memory already (a WasmTensor or a view of memory): the kernel writes there. */
  pointer: number | null;
  /** A JS-owned Float32Array to copy the result into. */
  array: Float32Array | null;
  /** What to return as `data` when the kernel wrote in place. */
  tensor: WasmTensor | null;
}

/** Validates an `out` option against the result's element count. */
export function outputTarget(runtime: Runtime, out: unknown, length: number, resultShape: Shape): OutputTarget {
  if (out === undefined) return { length, pointer: null, array: null, tensor: null };
  const sizeError = (actual: number) =>
    new RangeError(`out has ${actual} elements but the result ${formatShape(resultShape)} has ${length}`);
  if (out instanceof WasmTensor) {
    const internals = internalsOf(out);
    if (internals.disposed) throw new TypeError('out is a disposed WasmTensor');
    if (internals.length !== length) throw sizeError(internals.length);
    if (internals.runtime !== runtime) return { length, pointer: null, array: out.data, tensor: null };
    return { length, pointer: internals.pointer, array: null, tensor: out };
  }
  if (!(out instanceof Float32Array)) {
    throw new TypeError(`out must be a Float32Array or a WasmTensor, got ${describe(out)}`);
  }
  if (out.length !== length) throw sizeError(out.length);
  if (out.buffer === runtime.memory.buffer) {
    if (!runtime.insideLiveTensor(out.byteOffset, out.byteLength)) {
      throw new RangeError('out is a view of WASM memory outside every live WasmTensor; writing there would corrupt the heap');
    }
    return { length, pointer: out.byteOffset, array: null, tensor: null };
  }
  return { length, pointer: null, array: out, tensor: null };
}

function overlaps(startA: number, bytesA: number, startB: number, bytesB: number): boolean {
  return bytesA > 0 && bytesB > 0 && startA < startB + bytesB && startB < startA + bytesA;
}

/** Pointers for one kernel call. */
export interface CallPointers {
  operands: number[];
  output: number;
  words: number;
}

/**
 * Runs one kernel call: allocates scratch for copied operands, the output (unless `out` is
 * in memory and does not overlap an operand, or is exactly the operand when `inPlaceOk`)
 * and the geometry words; copies; calls; copies the result out; frees everything.
 */
export function execute(
  runtime: Runtime,
  operands: readonly Operand[],
  output: OutputTarget,
  resultShape: Shape,
  geometry: readonly number[],
  call: (pointers: CallPointers) => number,
  kernel: string,
  inPlaceOk = false,
): Tensor {
  const scratch = new Scratch(runtime);
  try {
    const pointers: number[] = operands.map((entry) =>
      entry.pointer ?? scratch.alloc(entry.length * 4, `a copy of ${entry.name} ${formatShape(entry.shape)}`),
    );
    let outputPointer = output.pointer;
    if (outputPointer !== null) {
      const clash = operands.some((entry, index) => {
        if (entry.pointer === null) return false;
        if (inPlaceOk && entry.pointer === outputPointer && entry.length === output.length) return false;
        return overlaps(outputPointer as number, output.length * 4, pointers[index] as number, entry.length * 4);
      });
      if (clash) outputPointer = null;
    }
    const direct = outputPointer !== null;
    const resultPointer = outputPointer ?? scratch.alloc(output.length * 4, `the result ${formatShape(resultShape)}`);
    const wordsPointer = geometry.length > 0 ? scratch.alloc(geometry.length * 4, 'the call geometry') : 0;
    // Every allocation is done: views taken now stay valid until the end of the call.
    const floats = runtime.floats();
    operands.forEach((entry, index) => {
      if (entry.source !== null) floats.set(entry.source, (pointers[index] as number) >>> 2);
    });
    if (geometry.length > 0) runtime.words().set(geometry, wordsPointer >>> 2);
    runtime.check(call({ operands: pointers, output: resultPointer, words: wordsPointer }), kernel);
    const resultFloats = runtime.floats();
    const start = resultPointer >>> 2;
    if (direct) {
      const data = output.tensor !== null ? output.tensor.data : new Float32Array(runtime.memory.buffer, resultPointer, output.length);
      return { data, shape: resultShape };
    }
    if (output.array !== null || output.tensor !== null) {
      // `out` overlapped an operand: the kernel wrote to scratch; copy into `out` now.
      const target = output.array ?? (output.tensor as WasmTensor).data;
      target.set(resultFloats.subarray(start, start + output.length));
      return { data: target, shape: resultShape };
    }
    if (output.pointer !== null) {
      const target = new Float32Array(runtime.memory.buffer, output.pointer, output.length);
      target.set(resultFloats.subarray(start, start + output.length));
      return { data: target, shape: resultShape };
    }
    return { data: resultFloats.slice(start, start + output.length), shape: resultShape };
  } finally {
    scratch.release();
  }
}
