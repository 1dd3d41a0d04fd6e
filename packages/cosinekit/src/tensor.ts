// Tensors in and out of WASM memory. An input that already lives in this instance's memory
// (a WasmTensor, or a Float32Array over memory.buffer) is passed by pointer; anything else
// is copied once into scratch (Float64Array and number[] converted on the way). Outputs go
// straight into an `out` that lives in memory, else through scratch into `out` or into a
// fresh JS-owned Float32Array. Validation pins what a call will read (each user value read
// once, typed arrays measured through intrinsics, number[] copied), and `execute` re-checks
// what user code run since then (getters, Proxy traps) could have invalidated.

import { disposeKey } from './disposable.js';
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
import type { Runtime } from './runtime.js';
import { type Shape, checkShape, describe, elementCount, formatShape, isArrayValue, readFailure, readNumbers, readProperty } from './validate.js';

/** A row-major float32 array with its shape. */
export interface Tensor {
  data: Float32Array;
  shape: Shape;
}

/** Values of an operand: row-major, contiguous. */
export type TensorData = Float32Array | Float64Array | readonly number[];

/**
 * Anything the API accepts as an operand: `{ data, shape }`, a WasmTensor, or `{ data, dims }`
 * (transformers.js and onnxruntime-web tensors, passed as they are).
 */
export type TensorLike = Tensor | WasmTensor | { data: TensorData; shape: Shape } | { data: TensorData; dims: Shape };


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
export function isDetached(buffer: ArrayBufferLike): boolean {
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

/**
 * Every `data` view a tensor (a WasmTensor or a QuantizedTensor) handed out → the tensor. A
 * WeakMap entry keeps its value alive as long as its key is reachable, so a kept view keeps
 * its tensor (and the tensor's memory) from the FinalizationRegistry: `const v =
 * alloc([n]).data` stays valid for as long as `v`.
 */
const viewOwners = new WeakMap<ArrayBufferView, object>();

/** Makes `view` keep `owner` alive (see `viewOwners`). */
export function keepOwnerAlive(view: ArrayBufferView, owner: object): void {
  viewOwners.set(view, owner);
}

const registry: FinalizationRegistry<{ runtime: Runtime; pointer: number }> | null =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ runtime, pointer }) => {
        runtime.untrackTensor(pointer);
        runtime.free(pointer);
      })
    : null;

/**
 * Tracks a tensor's heap block (`byteLength` bytes at `pointer`) as live memory kernels may
 * read in place, and frees it once `owner` and every view it handed out are unreachable.
 */
export function adoptBlock(owner: object, runtime: Runtime, pointer: number, byteLength: number): void {
  runtime.trackTensor(pointer, byteLength);
  registry?.register(owner, { runtime, pointer }, owner);
}

/** Frees a block adopted by {@link adoptBlock} now (`dispose()`). */
export function releaseBlock(owner: object, runtime: Runtime, pointer: number): void {
  registry?.unregister(owner);
  runtime.untrackTensor(pointer);
  runtime.free(pointer);
}

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
    adoptBlock(this, runtime, pointer, this.#internals.length * 4);
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
      keepOwnerAlive(this.#view, this);
    }
    return this.#view;
  }

  /**
   * A Float32Array view of the tensor's memory. It keeps the tensor alive while you hold it;
   * memory growth detaches it (length 0): read `data` again after a call that may grow memory.
   */
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
    releaseBlock(this, internals.runtime, internals.pointer);
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
 * `recheck`, when present, is called by `execute` right before it allocates (through
 * {@link recheckOperand}, which also measures `view` again): it throws if user code that ran
 * after validation (a getter, a Proxy trap) disposed the tensor or detached or shrank the
 * buffer this operand refers to.
 */
export interface Operand {
  name: string;
  shape: number[];
  /** Elements (floats; bytes or u16 words for a quantised operand). */
  length: number;
  pointer: number | null;
  source: Float32Array | Float64Array | readonly number[] | null;
  /** Bytes per element: 4 (float32, the default), 2 (float16 words) or 1 (int8/uint8/packed bits). */
  elementBytes?: 1 | 2 | 4;
  /** A quantised operand's stored elements to copy in (with `elementBytes` 1 or 2; `source` is then null). */
  storedSource?: QuantizedSource;
  recheck?: () => void;
  /** `source` (or `storedSource`) when it is a typed array outside WASM memory: {@link recheckOperand} measures it again. */
  view?: Float32Array | Float64Array | QuantizedSource;
}

/**
 * What `execute` (and every other call that copies operands) runs right before it allocates:
 * the operand's own `recheck`, and for a typed array outside WASM memory, that it still has
 * the length it was validated with (a getter may have detached or shrunk its buffer since).
 */
export function recheckOperand(entry: Operand): void {
  entry.recheck?.();
  if (entry.view !== undefined && viewLength(entry.view) !== entry.length) {
    throw new TypeError(`${entry.name}.data was detached or resized while the call was being validated`);
  }
}

/** The stored elements of a quantised operand, copied as they are (bit for bit). */
export type QuantizedSource = Uint8Array | Int8Array | Uint16Array;

/** Bytes an operand occupies in memory. */
export function operandBytes(entry: Operand): number {
  return entry.length * (entry.elementBytes ?? 4);
}

/** A Float32Array copy of `view`, made now (the view may die when memory grows). */
function snapshotView(view: ArrayLike<number>, length: number): Float32Array {
  const copy = new Float32Array(length);
  if (length > 0) copyInto(copy, view);
  return copy;
}

/**
 * Validates a TensorLike (types, shape or dims, length) and pins what it will read: number[]
 * data is read once, here, into scratch (so getters or a Proxy cannot change it later), views
 * of WASM memory that are not zero-copy are copied now, and typed arrays are measured through
 * the intrinsic getters. Call it between the `mark()` and `release()` of the call (the pool,
 * which validates on the calling thread and computes elsewhere, passes `readIntoArena` false).
 */
export function operand(runtime: Runtime, value: unknown, name: string, readIntoArena = true): Operand {
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
  if (isArrayValue(value, name) || Reflect.apply(typedArrayTagGetter, value, []) !== undefined) {
    throw new TypeError(
      `${name} must be a tensor { data, shape } or a WasmTensor, got ${describe(value)}: wrap it as { data: ${name}, shape: [${name}.length] } (or call cosine(a, b) for two vectors)`,
    );
  }
  if (impersonatesWasmTensor(value, name)) throw impostorError(name);
  // Each property is read once, here, at its own site (a shared reader would see every
  // object shape there is, and V8 would fall back to its slowest property lookup).
  let data: unknown;
  let rawShape: unknown;
  let dims = false;
  let reading = 'data';
  try {
    data = (value as { data?: unknown }).data;
    reading = 'shape';
    rawShape = (value as { shape?: unknown }).shape;
    if (rawShape === undefined) {
      // transformers.js and onnxruntime-web tensors name their extents `dims`.
      reading = 'dims';
      rawShape = (value as { dims?: unknown }).dims;
      dims = true;
    }
  } catch (thrown) {
    throw readFailure(`${name}.${reading}`, thrown);
  }
  if (rawShape === undefined) {
    throw new TypeError(`${name} must be a tensor { data, shape } (or { data, dims }) or a WasmTensor, got an object without shape or dims`);
  }
  const shape = checkShape(rawShape, dims ? `${name}.dims` : `${name}.shape`);
  const length = elementCount(shape);
  const tag = data !== null && typeof data === 'object' ? Reflect.apply(typedArrayTagGetter, data, []) : undefined;
  if (tag !== undefined) {
    if (tag !== 'Float32Array' && tag !== 'Float64Array') {
      const hint = tag === 'Int8Array' || tag === 'Uint8Array' || tag === 'Uint16Array' ? ' (quantised rows are { dtype, data, shape } and go to topK and pairwiseCosine)' : '';
      throw new TypeError(`${name}.data must be a Float32Array, Float64Array or number[], got ${describe(data)}${hint}`);
    }
    const view = data as Float32Array | Float64Array;
    const viewLengthNow = Reflect.apply(typedArrayLengthGetter, view, []) as number;
    const buffer = Reflect.apply(typedArrayBufferGetter, view, []) as ArrayBufferLike;
    if ((viewLengthNow === 0 || length === 0) && isDetached(buffer)) throw new TypeError(`${name}.data cannot be read: ${DETACHED_HINT}`);
    if (viewLengthNow !== length) {
      throw new RangeError(`${name}.data has ${viewLengthNow} elements but shape ${formatShape(shape)} needs ${length}`);
    }
    if (buffer === runtime.buffer) {
      const byteOffset = Reflect.apply(typedArrayByteOffsetGetter, view, []) as number;
      if (tag === 'Float32Array' && runtime.insideLiveTensor(byteOffset, length * 4)) {
        return {
          name,
          shape,
          length,
          pointer: byteOffset,
          source: null,
          recheck: () => {
            if (!runtime.insideLiveTensor(byteOffset, length * 4)) {
              throw new TypeError(`${name}.data views a WasmTensor that was disposed while the call was being validated`);
            }
          },
        };
      }
      // A view of this instance's memory outside every live tensor (or a Float64Array view):
      // copy it now, before an allocation can grow memory and detach it.
      return { name, shape, length, pointer: null, source: snapshotView(view, length) };
    }
    return { name, shape, length, pointer: null, source: view, view };
  }
  if (isArrayValue(data, `${name}.data`)) {
    const label = `${name}.data`;
    const arrayLength = readProperty(data, 'length', label);
    if (arrayLength !== length && typeof arrayLength === 'number' && arrayLength > 0 && isArrayValue(readProperty(data, 0, label), `${label}[0]`)) {
      throw new TypeError(`${label}[0] is an array: data must be flat, row-major numbers (flatten nested arrays with .flat())`);
    }
    if (arrayLength !== length) {
      throw new RangeError(`${name}.data has ${describe(arrayLength)} elements but shape ${formatShape(shape)} needs ${length}`);
    }
    // Read each element exactly once, check it, and keep the float32 value: straight into
    // the arena when it has room (no allocation), else into a JS copy.
    if (readIntoArena && length * 4 <= runtime.arenaFree()) {
      return { name, shape, length, pointer: readNumbersIntoScratch(runtime, data, label, length), source: null };
    }
    const values = new Float32Array(length);
    readNumbers(data, label, values, length, 0);
    return { name, shape, length, pointer: null, source: values };
  }
  throw new TypeError(`${name}.data must be a Float32Array, Float64Array or number[], got ${describeNotAView(data)}`);
}

/**
 * Reads `array[0 .. length)` once each (with `readNumbers`' checks and errors) into scratch
 * taken from `runtime`, and returns its address.
 */
export function readNumbersIntoScratch(runtime: Runtime, array: readonly unknown[], label: string, length: number): number {
  const pointer = runtime.reserve(length * 4, label);
  const floats = runtime.floats();
  readNumbers(array, label, floats, length, pointer >>> 2);
  if (viewLength(floats) === 0) {
    // An element getter grew WASM memory while it was read: what it wrote went nowhere.
    throw new TypeError(`${label} grew WASM memory while its elements were being read (a getter called cosinekit); pass plain numbers`);
  }
  return pointer;
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
  /** `out` itself when it is a view of this instance's memory: returned as `data` (it keeps its tensor alive). */
  view?: Float32Array;
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
    return { length, pointer, array: null, tensor: null, view, recheck };
  }
  const recheck = () => {
    if (viewLength(view) !== length) throw new TypeError('out was detached or resized while the call was being validated');
  };
  return { length, pointer: null, array: view, tensor: null, recheck };
}

/** The array to hand back as a result's `data` when it went to `out`. */
export function outputView(runtime: Runtime, target: OutputTarget): Float32Array {
  if (target.tensor !== null) return viewOf(target.tensor);
  if (target.array !== null) return target.array;
  const given = target.view;
  if (given !== undefined && viewLength(given) === target.length) return given;
  // Memory grew during the call and detached the view `out` was: a new view of the same
  // memory, kept alive with the tensor the old one belonged to.
  const fresh = new Float32Array(runtime.buffer, target.pointer as number, target.length);
  const owner = given === undefined ? undefined : viewOwners.get(given);
  if (owner !== undefined) viewOwners.set(fresh, owner);
  return fresh;
}


