// Engine intrinsics, captured when the module loads, before user code can replace them.
// Reading a view's length, buffer and offset through these (not through `view.length`)
// means an own property or a subclass getter cannot lie about them, and the
// [[TypedArrayName]] slot is a brand check no Proxy or object made from
// Float32Array.prototype passes.

const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;

function intrinsicGetter(owner: object, key: PropertyKey): () => unknown {
  const getter = Object.getOwnPropertyDescriptor(owner, key)?.get;
  if (getter === undefined) throw new Error(`cosinekit: this engine has no ${String(key)} getter on typed arrays`);
  return getter as () => unknown;
}

export const typedArrayTagGetter = intrinsicGetter(typedArrayPrototype, Symbol.toStringTag);
export const typedArrayLengthGetter = intrinsicGetter(typedArrayPrototype, 'length');
export const typedArrayBufferGetter = intrinsicGetter(typedArrayPrototype, 'buffer');
export const typedArrayByteOffsetGetter = intrinsicGetter(typedArrayPrototype, 'byteOffset');
export const arrayBufferByteLengthGetter = intrinsicGetter(ArrayBuffer.prototype, 'byteLength');
export const objectToString = Object.prototype.toString;
export const arrayBufferPrototype: object = ArrayBuffer.prototype;
// SharedArrayBuffer exists in Node and in cross-origin isolated pages only.
export const sharedArrayBufferByteLengthGetter: (() => unknown) | null =
  typeof SharedArrayBuffer === 'function' ? intrinsicGetter(SharedArrayBuffer.prototype, 'byteLength') : null;
const typedArraySet = (typedArrayPrototype as { set: (source: ArrayLike<number>, offset?: number) => void }).set;

/** The intrinsic length of a typed array (0 once its buffer is detached or it is out of bounds). */
export function viewLength(view: Float32Array | Float64Array | Uint32Array | Uint16Array | Uint8Array | Int8Array): number {
  return Reflect.apply(typedArrayLengthGetter, view, []) as number;
}

/**
 * Up to this many elements an element loop copies faster than the engine's `set` (whose
 * call costs ~13 ns; the loop ~1–2 ns an element into WASM memory): measured in one
 * process on V8 11.3, `cosine` at 8, 12, 16 and 24 elements, loop vs `set`.
 */
const LOOP_COPY_MAX = 8;

/** Up to this many elements a fresh copy is made by a loop rather than by `slice`. */
const SLICE_LOOP_MAX = 24;

/**
 * `target.set(source, offset)` through the intrinsic, whatever `target` overrides. `source`
 * is a genuine typed array or a plain array the caller has validated (element reads of a
 * typed array cannot be intercepted; a short one is copied by a loop).
 */
export function copyInto(target: Float32Array, source: ArrayLike<number>, offset = 0): void {
  if (ArrayBuffer.isView(source)) copyView(target, source as Float32Array | Float64Array, offset, Reflect.apply(typedArrayLengthGetter, source, []) as number);
  else Reflect.apply(typedArraySet, target, [source, offset]);
}

/** `copyInto` for a genuine typed array whose intrinsic length the caller has just read (`length`). */
export function copyView(target: Float32Array, source: Float32Array | Float64Array, offset: number, length: number): void {
  if (length <= LOOP_COPY_MAX) {
    for (let index = 0; index < length; index++) target[offset + index] = source[index] as number;
    return;
  }
  Reflect.apply(typedArraySet, target, [source, offset]);
}

/** A fresh copy of `view[start, start + length)` (a short one by a loop). */
export function sliceOf<T extends Float32Array | Int32Array | Float64Array>(view: T, start: number, length: number, make: new (length: number) => T): T {
  if (length <= SLICE_LOOP_MAX) {
    const copy = new make(length);
    for (let index = 0; index < length; index++) copy[index] = view[start + index] as number;
    return copy;
  }
  return view.slice(start, start + length) as T;
}
