// Tensors in and out of WASM memory. An input that already lives in this instance's memory
// (a WasmTensor, or a Float32Array over memory.buffer) is passed by pointer; anything else
// is copied once into scratch (Float64Array and number[] converted on the way). Outputs go
// straight into an `out` that lives in memory, else through scratch into `out` or into a
// fresh JS-owned Float32Array. Validation pins what a call will read (each user value read
// once, typed arrays measured through intrinsics, number[] copied), and `execute` re-checks
// what user code run since then (getters, Proxy traps) could have invalidated.

import {
  arrayBufferByteLengthGetter,
  arrayBufferPrototype,
  copyInto,
  objectToString,
  sharedArrayBufferByteLengthGetter,
  typedArrayBufferGetter,
  typedArrayByteOffsetGetter,
  typedArrayLengthGetter,
  typedArrayTagGetter,
  viewLength,
} from './intrinsics.js';
import { type Runtime, Scratch } from './runtime.js';
import { type Shape, checkShape, describe, elementCount, formatShape, isArrayValue, readNumbers, readProperty } from './shapes.js';

/** A row-major float32 array with its shape. */
export interface Tensor {
  data: Float32Array;
  shape: Shape;
}

/** Anything the API accepts as an operand. */
export type TensorLike = Tensor | WasmTensor | { data: Float32Array | Float64Array | readonly number[]; shape: Shape };

const disposeKey: typeof Symbol.dispose = (Symbol.dispose ?? Symbol.for('Symbol.dispose')) as typeof Symbol.dispose;

/** What the engine knows about a genuine typed array (any realm), or null for anything else. */
interface ViewFacts {
  tag: string;
  length: number;
  buffer: ArrayBufferLike;
  byteOffset: number;
}

function viewFacts(value: unknown): ViewFacts | null {
  if (value === null || typeof value !== 'object') return null;
  // The tag getter returns undefined (never throws) for anything without [[TypedArrayName]].
  const tag = Reflect.apply(typedArrayTagGetter, value, []);
  if (typeof tag !== 'string') return null;
  return {
    tag,
    length: Reflect.apply(typedArrayLengthGetter, value, []) as number,
    buffer: Reflect.apply(typedArrayBufferGetter, value, []) as ArrayBufferLike,
    byteOffset: Reflect.apply(typedArrayByteOffsetGetter, value, []) as number,
  };
}

/**
 * Whether an ArrayBuffer is detached (transferred, or a view of WASM memory that has grown).
 * A SharedArrayBuffer never is. Only a 0-byte buffer needs the probe: constructing a view
 * over a detached buffer throws.
 */
function isDetached(buffer: ArrayBufferLike): boolean {
  // A SharedArrayBuffer cannot detach. Recognising one by its brand first keeps the pool's
  // shared operands off the throwing path below (a caught exception costs microseconds).
  // The brand is looked up only for buffers whose prototype is not this realm's
  // ArrayBuffer.prototype (reading the prototype of a genuine buffer runs no user code, and
  // costs a third of the tag): a SharedArrayBuffer dressed in that prototype still ends up
  // below, where ArrayBuffer's getter refuses it.
  if (
    sharedArrayBufferByteLengthGetter !== null &&
    Object.getPrototypeOf(buffer) !== arrayBufferPrototype &&
    Reflect.apply(objectToString, buffer, []) === '[object SharedArrayBuffer]'
  ) {
    try {
      Reflect.apply(sharedArrayBufferByteLengthGetter, buffer, []);
      return false;
    } catch {
      // a tag that lies (a mutated prototype): decide below
    }
  }
  let byteLength: number;
  try {
    byteLength = Reflect.apply(arrayBufferByteLengthGetter, buffer, []) as number;
  } catch {
    return false; // a SharedArrayBuffer: ArrayBuffer's getter refuses it, and it cannot detach
  }
  if (byteLength > 0) return false;
  try {
    new Uint8Array(buffer as ArrayBuffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

const DETACHED_HINT =
  'its ArrayBuffer is detached (transferred, or a view of WASM memory taken before memory grew: read WasmTensor.data again)';

interface TensorInternals {
  runtime: Runtime;
  pointer: number;
  length: number;
  shape: readonly number[];
  disposed: boolean;
}

let internalsOf: (tensor: WasmTensor) => TensorInternals;
let isWasmTensor: (value: unknown) => value is WasmTensor;
let viewOf: (tensor: WasmTensor) => Float32Array;

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
 * Instances are frozen: `shape` cannot be reassigned and `data` cannot be shadowed.
 */
export class WasmTensor {
  readonly shape: Shape;
  readonly #internals: TensorInternals;
  #view: Float32Array | null = null;

  static {
    internalsOf = (tensor) => tensor.#internals;
    // A brand check: true only for objects this class constructed (not a Proxy of one, not
    // an object made from WasmTensor.prototype).
    isWasmTensor = (value): value is WasmTensor => typeof value === 'object' && value !== null && #internals in value;
    viewOf = (tensor) => tensor.#liveView();
  }

  /** @internal Use `alloc(shape)`. */
  constructor(runtime: Runtime, shape: number[], pointer: number) {
    const frozenShape = Object.freeze([...shape]);
    this.shape = frozenShape;
    this.#internals = { runtime, pointer, length: elementCount(frozenShape), shape: frozenShape, disposed: false };
    runtime.trackTensor(pointer, this.#internals.length * 4);
    registry?.register(this, { runtime, pointer }, this);
    Object.freeze(this);
  }

  #liveView(): Float32Array {
    const { runtime, pointer, length, disposed } = this.#internals;
    if (disposed) {
      throw new TypeError(`this WasmTensor ${formatShape(this.#internals.shape)} was disposed; its memory is freed`);
    }
    // Growing memory detaches the old buffer, which leaves every view of it with length 0
    // (a tensor with no elements gets a new, empty view each time).
    if (this.#view === null || viewLength(this.#view) === 0) {
      this.#view = new Float32Array(runtime.buffer, pointer, length);
    }
    return this.#view;
  }

  /** A Float32Array view of the tensor's memory (valid until the next call that may grow memory; read it again then). */
  get data(): Float32Array {
    return this.#liveView();
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
  const pointer = runtime.alloc(byteCount, () => `a WasmTensor of shape ${formatShape(checked)}`);
  runtime.floats().fill(0, pointer >>> 2, (pointer >>> 2) + elementCount(checked));
  return new WasmTensor(runtime, checked, pointer);
}

/** Something that only pretends to be a WasmTensor (its prototype is WasmTensor's). */
function impersonatesWasmTensor(value: object, name: string): boolean {
  try {
    return value instanceof WasmTensor;
  } catch (thrown) {
    throw new TypeError(`${name} cannot be inspected (a Proxy trap threw)`, { cause: thrown });
  }
}

/** `describe`, saying so when a value only looks like a typed array (a Proxy of one, or an object made from its prototype). */
function describeNotAView(value: unknown): string {
  const description = describe(value);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return description;
  try {
    if (value instanceof Float32Array || value instanceof Float64Array) return `${description} look-alike (a Proxy, or an object made from its prototype)`;
  } catch {
    // A Proxy whose getPrototypeOf trap throws: the plain description will do.
  }
  return description;
}

function impostorError(name: string): TypeError {
  return new TypeError(
    `${name} is not a WasmTensor made by alloc() (a Proxy of one, or an object built from WasmTensor.prototype); pass the tensor itself`,
  );
}

/**
 * A validated operand: either in memory already (`pointer`), or to be copied from `source`.
 * `recheck`, when present, is called by `execute` right before it allocates: it throws if
 * user code that ran after validation (a getter, a Proxy trap) disposed the tensor or
 * detached or shrank the buffer this operand refers to.
 */
export interface Operand {
  name: string;
  shape: number[];
  length: number;
  pointer: number | null;
  source: Float32Array | Float64Array | readonly number[] | null;
  recheck?: () => void;
}

/** A Float32Array copy of `view`, made now (the view may die when memory grows). */
function snapshotView(view: ArrayLike<number>, length: number): Float32Array {
  const copy = new Float32Array(length);
  if (length > 0) copyInto(copy, view);
  return copy;
}

/**
 * Validates a TensorLike (types, shape, length) without touching WASM memory, and pins what
 * it will read: number[] data is read once, here, into a Float32Array (so getters or a Proxy
 * cannot change it later), views of WASM memory that are not zero-copy are copied now, and
 * typed arrays are measured through the intrinsic getters.
 */
export function operand(runtime: Runtime, value: unknown, name: string): Operand {
  if (isWasmTensor(value)) {
    const internals = internalsOf(value);
    if (internals.disposed) throw new TypeError(`${name} is a disposed WasmTensor`);
    const shape = [...internals.shape];
    if (internals.runtime === runtime) {
      return {
        name,
        shape,
        length: internals.length,
        pointer: internals.pointer,
        source: null,
        recheck: () => {
          if (internals.disposed) throw new TypeError(`${name} (a WasmTensor) was disposed while the call was being validated`);
        },
      };
    }
    // A tensor of another instance: copy it out of that instance's memory now.
    return { name, shape, length: internals.length, pointer: null, source: snapshotView(viewOf(value), internals.length) };
  }
  if (value === null || typeof value !== 'object') {
    throw new TypeError(`${name} must be a tensor { data, shape } or a WasmTensor, got ${describe(value)}`);
  }
  if (impersonatesWasmTensor(value, name)) throw impostorError(name);
  const data = readProperty(value, 'data', name);
  const rawShape = readProperty(value, 'shape', name);
  const shape = checkShape(rawShape, `${name}.shape`);
  const length = elementCount(shape);
  const facts = viewFacts(data);
  if (facts !== null) {
    if (facts.tag !== 'Float32Array' && facts.tag !== 'Float64Array') {
      throw new TypeError(`${name}.data must be a Float32Array, Float64Array or number[], got ${describe(data)}`);
    }
    if (isDetached(facts.buffer)) throw new TypeError(`${name}.data cannot be read: ${DETACHED_HINT}`);
    if (facts.length !== length) {
      throw new RangeError(`${name}.data has ${facts.length} elements but shape ${formatShape(shape)} needs ${length}`);
    }
    const view = data as Float32Array | Float64Array;
    if (facts.buffer === runtime.buffer) {
      if (facts.tag === 'Float32Array' && runtime.insideLiveTensor(facts.byteOffset, length * 4)) {
        const pointer = facts.byteOffset;
        return {
          name,
          shape,
          length,
          pointer,
          source: null,
          recheck: () => {
            if (!runtime.insideLiveTensor(pointer, length * 4)) {
              throw new TypeError(`${name}.data views a WasmTensor that was disposed while the call was being validated`);
            }
          },
        };
      }
      // A view of this instance's memory outside every live tensor (or a Float64Array view):
      // copy it now, before an allocation can grow memory and detach it.
      return { name, shape, length, pointer: null, source: snapshotView(view, length) };
    }
    return {
      name,
      shape,
      length,
      pointer: null,
      source: view,
      recheck: () => {
        if (viewLength(view) !== length) {
          throw new TypeError(`${name}.data was detached or resized while the call was being validated`);
        }
      },
    };
  }
  if (isArrayValue(data, `${name}.data`)) {
    const label = `${name}.data`;
    const arrayLength = readProperty(data, 'length', label);
    if (arrayLength !== length) {
      throw new RangeError(`${name}.data has ${describe(arrayLength)} elements but shape ${formatShape(shape)} needs ${length}`);
    }
    // Read each element exactly once, check it, and keep the float32 value.
    const values = new Float32Array(length);
    readNumbers(data, label, values, length);
    return { name, shape, length, pointer: null, source: values };
  }
  throw new TypeError(`${name}.data must be a Float32Array, Float64Array or number[], got ${describeNotAView(data)}`);
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
  /** As `Operand.recheck`: throws if `out` was disposed, detached or resized since validation. */
  recheck?: () => void;
}

/** Validates an `out` option against the result's element count. */
export function outputTarget(runtime: Runtime, out: unknown, length: number, resultShape: Shape): OutputTarget {
  if (out === undefined) return { length, pointer: null, array: null, tensor: null };
  const sizeError = (actual: number) =>
    new RangeError(`out has ${actual} elements but the result ${formatShape(resultShape)} has ${length}`);
  if (isWasmTensor(out)) {
    const internals = internalsOf(out);
    if (internals.disposed) throw new TypeError('out is a disposed WasmTensor');
    if (internals.length !== length) throw sizeError(internals.length);
    const recheck = () => {
      if (internals.disposed) throw new TypeError('out (a WasmTensor) was disposed while the call was being validated');
    };
    if (internals.runtime !== runtime) return { length, pointer: null, array: viewOf(out), tensor: null, recheck };
    return { length, pointer: internals.pointer, array: null, tensor: out, recheck };
  }
  if (out !== null && typeof out === 'object' && impersonatesWasmTensor(out, 'out')) throw impostorError('out');
  const facts = viewFacts(out);
  if (facts === null || facts.tag !== 'Float32Array') {
    throw new TypeError(`out must be a Float32Array or a WasmTensor, got ${describeNotAView(out)}`);
  }
  if (isDetached(facts.buffer)) throw new TypeError(`out cannot be written: ${DETACHED_HINT}`);
  if (facts.length !== length) throw sizeError(facts.length);
  const view = out as Float32Array;
  if (facts.buffer === runtime.buffer) {
    const pointer = facts.byteOffset;
    if (!runtime.insideLiveTensor(pointer, length * 4)) {
      throw new RangeError('out is a view of WASM memory outside every live WasmTensor; writing there would corrupt the heap');
    }
    const recheck = () => {
      if (!runtime.insideLiveTensor(pointer, length * 4)) {
        throw new TypeError('out views a WasmTensor that was disposed while the call was being validated');
      }
    };
    return { length, pointer, array: null, tensor: null, recheck };
  }
  const recheck = () => {
    if (viewLength(view) !== length) throw new TypeError('out was detached or resized while the call was being validated');
  };
  return { length, pointer: null, array: view, tensor: null, recheck };
}

function overlaps(startA: number, bytesA: number, startB: number, bytesB: number): boolean {
  return bytesA > 0 && bytesB > 0 && startA < startB + bytesB && startB < startA + bytesA;
}

/**
 * Re-runs the checks of `operand` and `outputTarget` that user code run since then could
 * have invalidated. `execute` calls it first; a kernel driver that does not use `execute`
 * must call it after its last read of user-supplied values and before it allocates.
 */
export function recheckArguments(operands: readonly Operand[], output: OutputTarget | null): void {
  for (const entry of operands) entry.recheck?.();
  output?.recheck?.();
}

/**
 * Hands a computed result to the caller the way `execute` does: into `out` (a WasmTensor,
 * a view of one, or a JS Float32Array), else as a fresh JS-owned array. Used by the paths
 * that compute small results in JS; `recheckArguments` must have run first.
 */
export function deliver(runtime: Runtime, output: OutputTarget, values: Float32Array, resultShape: Shape): Tensor {
  if (output.tensor !== null) {
    const target = viewOf(output.tensor);
    copyInto(target, values);
    return { data: target, shape: resultShape };
  }
  if (output.pointer !== null) {
    const target = new Float32Array(runtime.buffer, output.pointer, output.length);
    copyInto(target, values);
    return { data: target, shape: resultShape };
  }
  if (output.array !== null) {
    copyInto(output.array, values);
    return { data: output.array, shape: resultShape };
  }
  return { data: values, shape: resultShape };
}

/** An operand's values for reading in JS: its validated source, or a view of WASM memory. */
export function operandValues(runtime: Runtime, entry: Operand): ArrayLike<number> {
  return entry.source ?? new Float32Array(runtime.buffer, entry.pointer as number, entry.length);
}

/** Pointers for one kernel call. */
export interface CallPointers {
  operands: number[];
  output: number;
  words: number;
  /** Kernel scratch (`scratchBytes` bytes, 16-aligned), or 0. */
  scratch: number;
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
  scratchBytes = 0,
): Tensor {
  recheckArguments(operands, output);
  for (const word of geometry) {
    if (!(Number.isInteger(word) && word >= 0 && word <= 0xffff_ffff)) {
      throw new Error(`cosinekit internal error: ${kernel} geometry word ${word} does not fit in u32; please report this with the call's shapes`);
    }
  }
  const scratch = new Scratch(runtime);
  try {
    // Fail before memory grows when the call's allocations cannot all fit.
    runtime.checkAllocations([
      ...operands.map((entry) => ({
        byteCount: entry.pointer === null ? entry.length * 4 : 0,
        purpose: () => `a copy of ${entry.name} ${formatShape(entry.shape)}`,
      })),
      { byteCount: output.pointer === null ? output.length * 4 : 0, purpose: () => `the result ${formatShape(resultShape)}` },
      { byteCount: geometry.length * 4, purpose: 'the call geometry' },
      { byteCount: scratchBytes, purpose: () => `${kernel} scratch` },
    ]);
    const pointers: number[] = operands.map((entry) =>
      entry.pointer ?? scratch.alloc(entry.length * 4, () => `a copy of ${entry.name} ${formatShape(entry.shape)}`),
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
    const resultPointer = outputPointer ?? scratch.alloc(output.length * 4, () => `the result ${formatShape(resultShape)}`);
    const wordsPointer = geometry.length > 0 ? scratch.alloc(geometry.length * 4, 'the call geometry') : 0;
    const kernelScratch = scratchBytes > 0 ? scratch.alloc(scratchBytes, () => `${kernel} scratch`) : 0;
    // Every allocation is done: views taken now stay valid until the end of the call.
    const floats = runtime.floats();
    operands.forEach((entry, index) => {
      if (entry.source !== null && entry.length > 0) copyInto(floats, entry.source, (pointers[index] as number) >>> 2);
    });
    if (geometry.length > 0) runtime.words().set(geometry, wordsPointer >>> 2);
    runtime.check(call({ operands: pointers, output: resultPointer, words: wordsPointer, scratch: kernelScratch }), kernel);
    const resultFloats = runtime.floats();
    const start = resultPointer >>> 2;
    if (direct) {
      const data = output.tensor !== null ? viewOf(output.tensor) : new Float32Array(runtime.buffer, resultPointer, output.length);
      return { data, shape: resultShape };
    }
    if (output.array !== null || output.tensor !== null) {
      // `out` overlapped an operand: the kernel wrote to scratch; copy into `out` now.
      const target = output.array ?? viewOf(output.tensor as WasmTensor);
      copyInto(target, resultFloats.subarray(start, start + output.length));
      return { data: target, shape: resultShape };
    }
    if (output.pointer !== null) {
      const target = new Float32Array(runtime.buffer, output.pointer, output.length);
      copyInto(target, resultFloats.subarray(start, start + output.length));
      return { data: target, shape: resultShape };
    }
    return { data: resultFloats.slice(start, start + output.length), shape: resultShape };
  } finally {
    scratch.release();
  }
}
