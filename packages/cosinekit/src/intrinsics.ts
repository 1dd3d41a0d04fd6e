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
export function viewLength(view: Float32Array | Float64Array | Uint32Array): number {
  return Reflect.apply(typedArrayLengthGetter, view, []) as number;
}

/** `target.set(source, offset)` through the intrinsic, whatever `target` overrides. */
export function copyInto(target: Float32Array, source: ArrayLike<number>, offset = 0): void {
  Reflect.apply(typedArraySet, target, [source, offset]);
}
