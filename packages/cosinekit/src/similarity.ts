// cosine (one pair of vectors), cosineSimilarity / cosineDistance (broadcast tensors, any
// dims) and normalize: validate and plan here (broadcast, dims, strides, coalescing), compute
// in one kernel call. Every result comes from the wasm kernels, whatever the size.

import { copyInto, copyView, sliceOf, typedArrayBufferGetter, typedArrayByteOffsetGetter, typedArrayLengthGetter, typedArrayTagGetter } from './intrinsics.js';
import { execute } from './execute.js';
import { type Runtime, aligned16 } from './runtime.js';
import { type Operand, type Tensor, type WasmTensor, isDetached, operand, outputTarget, readNumbersIntoScratch, recheckOperand } from './tensor.js';
import {
  type AxisGroup,
  booleanOption,
  broadcastShapes,
  broadcastStrides,
  checkOptions,
  coalesce,
  describe,
  elementCount,
  formatShape,
  isArrayValue,
  nonNegativeOption,
  readProperty,
  resultShape,
  wrapDim,
  wrapDims,
} from './validate.js';

/** Options of `cosine`. */
export interface PairOptions {
  /** Lower bound of each norm separately (PyTorch semantics). Default 1e-8. */
  eps?: number;
}

/** A vector `cosine` accepts. */
export type Vector = Float32Array | Float64Array | readonly number[];

/** Options of `cosineSimilarity` and `cosineDistance`. */
export interface CosineOptions {
  /** Dimension (or dimensions) of the broadcast shape to reduce over; negative counts from the end. Default 1. */
  dim?: number | readonly number[];
  /** Lower bound of each norm separately (PyTorch semantics). Default 1e-8. */
  eps?: number;
  /** Clamp similarities to [-1, 1]. Default false (like PyTorch). */
  clamp?: boolean;
  /** Where to write the result (its element count must match). */
  out?: Float32Array | WasmTensor;
}

/** Options of `normalize`. */
export interface NormalizeOptions {
  /** Norm order: 1, 2 or Infinity. Default 2. */
  p?: number;
  /** Dimension to normalise along; negative counts from the end. Default 1. */
  dim?: number;
  /** Lower bound of the norm. Default 1e-12 (as F.normalize). */
  eps?: number;
  /** Where to write the result; may be the input itself (in place). */
  out?: Float32Array | WasmTensor;
}

const PAIR_OPTIONS = ['eps'] as const;
const COSINE_OPTIONS = ['dim', 'eps', 'clamp', 'out'] as const;
const NORMALIZE_OPTIONS = ['p', 'dim', 'eps', 'out'] as const;

// ---- one pair of vectors ----

/** Length of the vector `pairOperand` placed last (set with its pointer, so that nothing is allocated per call). */
let placedLength = 0;
/** Whether `pairOperand` read its last vector where it is (a view inside a live tensor). */
let placedInPlace = false;

/**
 * Vectors at least this long that view WASM memory are read where they are. Shorter ones are
 * copied into the arena whatever they view: asking a view for its buffer and finding its
 * tensor costs the engine more than copying a few hundred floats, and nothing is written
 * during the call, so reading a copy is reading the view. Measured (bench/run.mjs, Node 20,
 * V8 11.3, 2026-12-03) in place against copied: 102 against 93 ns at D = 64, 111 against
 * 103 ns at D = 128, 164 against 183 ns at D = 384.
 */
const IN_PLACE_MIN = 256;

/**
 * Puts one vector where the kernel can read it and returns its address: a Float32Array that
 * views WASM memory is read where it is (from IN_PLACE_MIN elements); any other Float32Array
 * or Float64Array is copied into the arena; a number[] is read element by element, once,
 * into the arena.
 */
function pairOperand(runtime: Runtime, value: unknown, name: string): number {
  if (isArrayValue(value, name)) {
    const length = readProperty(value, 'length', name);
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
      throw new TypeError(`${name} has an invalid length ${describe(length)}`);
    }
    // Set after the read: an element getter may call cosine, which sets it too.
    const pointer = readNumbersIntoScratch(runtime, value, name, length);
    placedLength = length;
    return pointer;
  }
  // The tag getter answers undefined (never throws) for anything but a typed array.
  const tag = typeof value === 'object' && value !== null ? Reflect.apply(typedArrayTagGetter, value, []) : undefined;
  if (tag !== 'Float32Array' && tag !== 'Float64Array') {
    throw new TypeError(`${name} must be a Float32Array, Float64Array or number[], got ${describe(value)}`);
  }
  const length = Reflect.apply(typedArrayLengthGetter, value, []) as number;
  placedLength = length;
  if (length === 0) {
    if (isDetached(Reflect.apply(typedArrayBufferGetter, value, []) as ArrayBufferLike)) {
      throw new TypeError(`${name} cannot be read: its ArrayBuffer is detached (transferred, or a view of WASM memory taken before memory grew)`);
    }
    return 0;
  }
  if (tag === 'Float32Array' && length >= IN_PLACE_MIN && Reflect.apply(typedArrayBufferGetter, value, []) === runtime.buffer) {
    const byteOffset = Reflect.apply(typedArrayByteOffsetGetter, value, []) as number;
    // In place only inside a live tensor (a view of freed memory is copied, as the tensor API does).
    if (runtime.insideLiveTensor(byteOffset, length * 4)) {
      placedInPlace = true;
      return byteOffset;
    }
  }
  const pointer = runtime.reserve(length * 4, name);
  copyInto(runtime.floats(), value as Float32Array | Float64Array, pointer >>> 2);
  return pointer;
}

/**
 * The address of a Float32Array of `length` floats that views a live tensor in `buffer` (WASM
 * memory's buffer, read in place), else −1. A view at byte offset 0 cannot be inside a tensor
 * (address 0 lies below the heap), so most arrays are turned away by the offset getter alone,
 * which costs the engine half what the buffer getter does.
 */
function inPlaceAddress(runtime: Runtime, view: Float32Array, length: number, buffer: ArrayBuffer): number {
  const byteOffset = Reflect.apply(typedArrayByteOffsetGetter, view, []) as number;
  if (byteOffset === 0 || Reflect.apply(typedArrayBufferGetter, view, []) !== buffer) return -1;
  return runtime.insideLiveTensor(byteOffset, length * 4) ? byteOffset : -1;
}

/** Elements of each vector `ck_cosine_pair_values_f32` takes by value (its arity is 2 · 8 + 2: a test checks it). */
const PAIR_VALUES = 8;

/**
 * Instances whose by-value export `cosine` calls from a call site of their own. V8 keeps one
 * record of the functions each call site has called: while a site has called one export, the
 * optimising compiler calls it directly, the arguments in registers; once it has seen two
 * (two instances), it takes the generic JS-to-wasm path, where 18 arguments cost more than
 * the copy they save (87 against 72 ns at D = 8, V8 11.3). So each of the first CALL_SITES
 * instances that pass short vectors gets its own site (a case of the switch in
 * {@link pairByValue}); later ones copy short vectors into memory. The four-argument call
 * of vectors in memory keeps one site: sites of its own measured no faster there (the copies
 * and the kernel dominate that call).
 */
const CALL_SITES = 4;
let callSitesTaken = 0;

/** The by-value call site of `runtime`: its own one of the first CALL_SITES, or CALL_SITES (none: copy). */
function callSiteOf(runtime: Runtime): number {
  const site = runtime.pairCallSite;
  if (site >= 0) return site;
  const taken = callSitesTaken < CALL_SITES ? callSitesTaken++ : CALL_SITES;
  runtime.pairCallSite = taken;
  return taken;
}

/**
 * The kernel on the first `length` elements of `xs` and `ys`, 1 to {@link PAIR_VALUES}
 * elements, passed as the call's arguments (the elements past `length` as zeros, which it
 * does not read), from the call site `site` (one of the first CALL_SITES): the engine moves
 * sixteen numbers into a call about three times faster than into memory (V8 11.3).
 */
function pairByValue(runtime: Runtime, site: number, xs: Float32Array | Float64Array, ys: Float32Array | Float64Array, length: number, eps: number): number {
  const x0 = xs[0] as number;
  const x1 = length > 1 ? (xs[1] as number) : 0;
  const x2 = length > 2 ? (xs[2] as number) : 0;
  const x3 = length > 3 ? (xs[3] as number) : 0;
  const x4 = length > 4 ? (xs[4] as number) : 0;
  const x5 = length > 5 ? (xs[5] as number) : 0;
  const x6 = length > 6 ? (xs[6] as number) : 0;
  const x7 = length > 7 ? (xs[7] as number) : 0;
  const y0 = ys[0] as number;
  const y1 = length > 1 ? (ys[1] as number) : 0;
  const y2 = length > 2 ? (ys[2] as number) : 0;
  const y3 = length > 3 ? (ys[3] as number) : 0;
  const y4 = length > 4 ? (ys[4] as number) : 0;
  const y5 = length > 5 ? (ys[5] as number) : 0;
  const y6 = length > 6 ? (ys[6] as number) : 0;
  const y7 = length > 7 ? (ys[7] as number) : 0;
  const kernel = runtime.cosinePairValues;
  switch (site) {
    case 0:
      return kernel(length, x0, x1, x2, x3, x4, x5, x6, x7, y0, y1, y2, y3, y4, y5, y6, y7, eps);
    case 1:
      return kernel(length, x0, x1, x2, x3, x4, x5, x6, x7, y0, y1, y2, y3, y4, y5, y6, y7, eps);
    case 2:
      return kernel(length, x0, x1, x2, x3, x4, x5, x6, x7, y0, y1, y2, y3, y4, y5, y6, y7, eps);
    default:
      return kernel(length, x0, x1, x2, x3, x4, x5, x6, x7, y0, y1, y2, y3, y4, y5, y6, y7, eps);
  }
}

export function runCosine(runtime: Runtime, a: unknown, b: unknown, options: unknown): number {
  const eps = options === undefined ? 1e-8 : nonNegativeOption(checkOptions(options, PAIR_OPTIONS, 'cosine').eps, 1e-8, 'eps');
  // Two typed arrays: nothing here runs user code (intrinsic getters, element reads), so
  // nothing can call back into this instance before the kernel runs and the top of the
  // arena can be used without taking it. The tag getter answers undefined (it never throws)
  // for anything but a typed array, arrays and Proxies included: those take the general path.
  const tagA = typeof a === 'object' && a !== null ? Reflect.apply(typedArrayTagGetter, a, []) : undefined;
  if (tagA === 'Float32Array' || tagA === 'Float64Array') {
    const tagB = typeof b === 'object' && b !== null ? Reflect.apply(typedArrayTagGetter, b, []) : undefined;
    const length = Reflect.apply(typedArrayLengthGetter, a, []) as number;
    if ((tagB === 'Float32Array' || tagB === 'Float64Array') && length > 0 && Reflect.apply(typedArrayLengthGetter, b, []) === length) {
      const x = a as Float32Array | Float64Array;
      const y = b as Float32Array | Float64Array;
      if (length <= PAIR_VALUES) {
        const site = callSiteOf(runtime);
        if (site < CALL_SITES) return pairByValue(runtime, site, x, y, length, eps);
      }
      const scratch = runtime.arenaTopFor(length * 8);
      if (scratch !== 0) {
        const floats = runtime.floats();
        // `floats` was made from the current buffer just now, and nothing in between can grow memory.
        const buffer = runtime.viewedBuffer;
        const first = length >= IN_PLACE_MIN && tagA === 'Float32Array' ? inPlaceAddress(runtime, x as Float32Array, length, buffer) : -1;
        const second = length >= IN_PLACE_MIN && tagB === 'Float32Array' ? inPlaceAddress(runtime, y as Float32Array, length, buffer) : -1;
        if (first < 0) copyView(floats, x, scratch >>> 2, length);
        if (second < 0) copyView(floats, y, (scratch >>> 2) + length, length);
        return runtime.cosinePair(first < 0 ? scratch : first, second < 0 ? scratch + length * 4 : second, length, eps);
      }
    }
  }
  return cosineOfAny(runtime, a, b, eps);
}

/** `cosine` on operands the typed-array path above does not take (number[], Proxies, errors, a full arena). */
function cosineOfAny(runtime: Runtime, a: unknown, b: unknown, eps: number): number {
  const mark = runtime.mark();
  try {
    placedInPlace = false;
    const first = pairOperand(runtime, a, 'a');
    const length = placedLength;
    const firstInPlace = placedInPlace;
    const second = pairOperand(runtime, b, 'b');
    if (placedLength !== length) throw new RangeError(`a has ${length} elements but b has ${placedLength}: cosine needs two vectors of the same length`);
    // Reading b may have run user code (getters) that disposed the tensor a views.
    if (firstInPlace && !runtime.insideLiveTensor(first, length * 4)) {
      throw new TypeError('a views a WasmTensor that was disposed while b was being read');
    }
    // Addresses in WASM memory stay where they are when memory grows (b's getters may grow it).
    return runtime.cosinePair(first, second, length, eps);
  } finally {
    runtime.release(mark);
  }
}

// ---- broadcast tensors ----

function checkKernelRank(runtime: Runtime, group: AxisGroup, what: string): void {
  const limit = runtime.constants.maxRank;
  if (group.extents.length > limit) {
    throw new RangeError(`the ${what} axes cannot be merged into ${limit} or fewer strided axes (${group.extents.length} remain); reshape the inputs`);
  }
}

/** One contiguous axis of length 1: what a reduction over size-1 axes only becomes (the row kernel then takes it, as for any row). */
const SINGLE_ELEMENT_ROW: AxisGroup = Object.freeze({ extents: [1], firstStrides: [1], secondStrides: [1] }) as AxisGroup;

/** How a cosine call reads its operands: the kept and reduced axes, merged, and the result. */
interface CosinePlan {
  kept: AxisGroup;
  reduced: AxisGroup;
  resultShape: number[];
  resultLength: number;
  /** Contiguous rows of this length in both operands (one output per row): the rows kernel, no geometry. */
  rowLength: number | null;
}

/**
 * The plan when both operands have one shape with no empty axis and one dim is reduced (most
 * calls): the merged axes follow from the extents before, at and after `dim`. This is what
 * {@link planBroadcast} gives for such operands, without building it axis by axis.
 */
function planSameShape(shape: readonly number[], dim: number): CosinePlan {
  let outer = 1;
  for (let axis = 0; axis < dim; axis++) outer *= shape[axis] as number;
  const extent = shape[dim] as number;
  let inner = 1;
  for (let axis = dim + 1; axis < shape.length; axis++) inner *= shape[axis] as number;
  const resultShape: number[] = [];
  for (let axis = 0; axis < shape.length; axis++) if (axis !== dim) resultShape.push(shape[axis] as number);
  const kept: AxisGroup = { extents: [], firstStrides: [], secondStrides: [] };
  if (extent === 1 && outer > 1 && inner > 1) {
    // Outer and inner axes are contiguous with each other: one axis.
    kept.extents.push(outer * inner);
    kept.firstStrides.push(1);
    kept.secondStrides.push(1);
  } else {
    if (outer > 1) {
      kept.extents.push(outer);
      kept.firstStrides.push(extent * inner);
      kept.secondStrides.push(extent * inner);
    }
    if (inner > 1) {
      kept.extents.push(inner);
      kept.firstStrides.push(1);
      kept.secondStrides.push(1);
    }
  }
  const reduced = extent === 1 ? SINGLE_ELEMENT_ROW : { extents: [extent], firstStrides: [inner], secondStrides: [inner] };
  return { kept, reduced, resultShape, resultLength: outer * inner, rowLength: inner === 1 ? extent : null };
}

/** The plan for any operands: broadcast (NumPy rules), then the axes of `dim` reduced, the rest kept, each group merged. */
function planBroadcast(firstShape: readonly number[], secondShape: readonly number[], dimOption: unknown): CosinePlan {
  const shape = broadcastShapes(firstShape, secondShape, 'x1', 'x2');
  const dims = wrapDims(dimOption, shape.length, () => `the broadcast shape ${formatShape(shape)}`);
  const firstStrides = broadcastStrides(firstShape, shape);
  const secondStrides = broadcastStrides(secondShape, shape);
  const kept: AxisGroup = { extents: [], firstStrides: [], secondStrides: [] };
  const reduced: AxisGroup = { extents: [], firstStrides: [], secondStrides: [] };
  for (let axis = 0; axis < shape.length; axis++) {
    const group = dims.includes(axis) ? reduced : kept;
    group.extents.push(shape[axis] as number);
    group.firstStrides.push(firstStrides[axis] as number);
    group.secondStrides.push(secondStrides[axis] as number);
  }
  const reducedAxes = coalesce(reduced);
  return {
    kept: coalesce(kept),
    reduced: reducedAxes.extents.length === 0 ? SINGLE_ELEMENT_ROW : reducedAxes,
    resultShape: resultShape(kept.extents),
    resultLength: elementCount(kept.extents),
    rowLength: null,
  };
}

function sameExtentsNoneEmpty(first: readonly number[], second: readonly number[]): boolean {
  if (first.length !== second.length || first.length === 0) return false;
  for (let axis = 0; axis < first.length; axis++) {
    if (first[axis] !== second[axis] || first[axis] === 0) return false;
  }
  return true;
}

/**
 * The rows kernel on operands and a result that all fit the arena (the common small call),
 * without `execute`'s general bookkeeping: the same rechecks, copies and kernel, in place.
 * Null when they do not fit (then `execute` takes the call, and the heap what it needs).
 */
function rowsInArena(runtime: Runtime, first: Operand, second: Operand, rows: number, length: number, eps: number, flags: number): Float32Array | null {
  const copies = (first.pointer === null ? aligned16(first.length * 4) : 0) + (second.pointer === null ? aligned16(second.length * 4) : 0);
  if (copies + aligned16(rows * 4) > runtime.arenaFree()) return null;
  recheckOperand(first);
  recheckOperand(second);
  const firstPointer = first.pointer ?? runtime.reserve(first.length * 4, '');
  const secondPointer = second.pointer ?? runtime.reserve(second.length * 4, '');
  const output = runtime.reserve(rows * 4, '');
  const floats = runtime.floats();
  if (first.source !== null && first.length > 0) copyInto(floats, first.source, firstPointer >>> 2);
  if (second.source !== null && second.length > 0) copyInto(floats, second.source, secondPointer >>> 2);
  runtime.check(runtime.exports.ck_cosine_rows_f32(firstPointer, secondPointer, rows, length, eps, flags, output), 'ck_cosine_rows_f32');
  // The kernel allocates nothing: memory has not grown, `floats` still views it.
  return sliceOf(floats, output >>> 2, rows, Float32Array);
}

export function runCosineSimilarity(runtime: Runtime, x1: unknown, x2: unknown, options: unknown, distance: boolean): Tensor {
  const settings = options === undefined ? null : checkOptions(options, COSINE_OPTIONS, distance ? 'cosineDistance' : 'cosineSimilarity');
  const eps = nonNegativeOption(settings?.eps, 1e-8, 'eps');
  const clamp = booleanOption(settings?.clamp, false, 'clamp');
  const mark = runtime.mark();
  try {
    const first = operand(runtime, x1, 'x1');
    const second = operand(runtime, x2, 'x2');
    const dimOption: unknown = settings?.dim ?? 1;
    const { flagClamp, flagDistance } = runtime.constants;
    const flags = (clamp ? flagClamp : 0) | (distance ? flagDistance : 0);
    const sameShape = typeof dimOption === 'number' && sameExtentsNoneEmpty(first.shape, second.shape);
    const shape = first.shape;
    const rank = shape.length;
    // The most common call: one shape, the last dim reduced, no `out`: rows of the operands as
    // they lie, which is what planSameShape gives for it (without building its axes).
    if (sameShape && settings?.out === undefined && (dimOption === rank - 1 || dimOption === -1)) {
      const rowLength = shape[rank - 1] as number;
      const direct = rowsInArena(runtime, first, second, first.length / rowLength, rowLength, eps, flags);
      if (direct !== null) return { data: direct, shape: shape.slice(0, rank - 1) };
    }
    const plan = sameShape
      ? planSameShape(shape, wrapDim(dimOption, rank, 'dim', () => `the broadcast shape ${formatShape(shape)}`))
      : planBroadcast(first.shape, second.shape, dimOption);
    const { kept, reduced, resultLength } = plan;
    checkKernelRank(runtime, kept, 'kept');
    checkKernelRank(runtime, reduced, 'reduced');
    const target = settings?.out === undefined ? null : outputTarget(runtime, settings.out, resultLength, plan.resultShape);
    const describeResult = () => `the result ${formatShape(plan.resultShape)}`;
    const rowLength = plan.rowLength;
    if (rowLength !== null && target === null) {
      const direct = rowsInArena(runtime, first, second, resultLength, rowLength, eps, flags);
      if (direct !== null) return { data: direct, shape: plan.resultShape };
    }
    if (rowLength !== null) {
      const { result } = execute(runtime, {
        kernel: 'ck_cosine_rows_f32',
        inputs: { first, second },
        outputs: { result: { type: 'f32', length: resultLength, target, describe: describeResult } },
        call: (pointers) => runtime.exports.ck_cosine_rows_f32(pointers.first, pointers.second, resultLength, rowLength, eps, flags, pointers.result),
      });
      return { data: result, shape: plan.resultShape };
    }
    const geometry = [
      ...kept.extents,
      ...kept.firstStrides,
      ...kept.secondStrides,
      ...reduced.extents,
      ...reduced.firstStrides,
      ...reduced.secondStrides,
    ];
    const { result } = execute(runtime, {
      kernel: 'ck_cosine_f32',
      inputs: { first, second },
      outputs: { result: { type: 'f32', length: resultLength, target, describe: describeResult } },
      geometry,
      call: (pointers) =>
        runtime.exports.ck_cosine_f32(
          pointers.first,
          first.length,
          pointers.second,
          second.length,
          pointers.geometry,
          kept.extents.length,
          reduced.extents.length,
          eps,
          flags,
          pointers.result,
          resultLength,
        ),
    });
    return { data: result, shape: plan.resultShape };
  } finally {
    runtime.release(mark);
  }
}

export function runNormalize(runtime: Runtime, x: unknown, options: unknown): Tensor {
  const settings = checkOptions(options, NORMALIZE_OPTIONS, 'normalize');
  const eps = nonNegativeOption(settings.eps, 1e-12, 'eps');
  const p = settings.p ?? 2;
  if (typeof p !== 'number') throw new TypeError(`p must be 1, 2 or Infinity, got ${describe(p)}`);
  if (p !== 1 && p !== 2 && p !== Number.POSITIVE_INFINITY) {
    throw new RangeError(`p must be 1, 2 or Infinity, got ${describe(p)}`);
  }
  const mark = runtime.mark();
  try {
    const input: Operand = operand(runtime, x, 'x');
    const shape = input.shape;
    const dim = wrapDim(settings.dim ?? 1, shape.length, 'dim', () => `x of shape ${formatShape(shape)}`);
    const outer = elementCount(shape.slice(0, dim));
    const reducedLength = shape[dim] as number;
    const inner = elementCount(shape.slice(dim + 1));
    const shapeOfResult = resultShape(shape);
    const target = outputTarget(runtime, settings.out, input.length, shapeOfResult);
    const orderCode = p === Number.POSITIVE_INFINITY ? 0 : p;
    const { result } = execute(runtime, {
      kernel: 'ck_normalize_f32',
      inputs: { input },
      outputs: { result: { type: 'f32', length: input.length, target, inPlaceOf: input, describe: () => `the result ${formatShape(shapeOfResult)}` } },
      call: (pointers) => runtime.exports.ck_normalize_f32(pointers.input, pointers.result, outer, reducedLength, inner, orderCode, eps),
    });
    return { data: result, shape: shapeOfResult };
  } finally {
    runtime.release(mark);
  }
}
