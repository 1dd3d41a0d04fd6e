// Storage formats: `quantize` and `QuantizedTensor` (rows of float16 words, int8/uint8 codes
// or packed sign bits, in WASM memory), the validation of QuantizedLike operands, and the
// quantised `topK` (with rescoring) and `pairwiseCosine`. Encoding, scoring, decoding and
// rescoring are kernels (crates/cosinekit-core/src/quant); this module validates, plans and
// owns lifetimes.

import { disposeKey } from './disposable.js';
import { execute } from './execute.js';
import { copyInto, typedArrayBufferGetter, typedArrayByteOffsetGetter, typedArrayLengthGetter, typedArrayTagGetter, viewLength } from './intrinsics.js';
import { type Runtime, STORAGE_DTYPES, type StorageDtype, aligned16 } from './runtime.js';
import {
  type Operand,
  type QuantizedSource,
  type Tensor,
  type TensorData,
  adoptBlock,
  isDetached,
  keepOwnerAlive,
  operand,
  outputTarget,
  recheckOperand,
  releaseBlock,
} from './tensor.js';
import {
  booleanOption,
  checkOptions,
  checkSecondOperand,
  checkShape,
  checkTopK,
  describe,
  finiteOption,
  formatShape,
  isArrayValue,
  isQuantizedValue,
  nonNegativeOption,
  readFailure,
  readNumbers,
  readProperty,
} from './validate.js';
import type { TopKResult } from './pairwise.js';
import type { StorageFamily } from './families.js';

export type { StorageDtype } from './runtime.js';

/** The stored elements of a quantised tensor: float16 words, int8 codes (int8, binary) or bytes (uint8, ubinary). */
export type QuantizedData = Uint16Array | Int8Array | Uint8Array;

/** Options of `quantize`. */
export interface QuantizeOptions {
  /** The storage format. */
  dtype: StorageDtype;
  /** int8/uint8: per-dim ranges, `2·D` values (D mins, then D maxs). Default: from `calibration`, else from `x`. */
  ranges?: Float32Array | readonly number[];
  /** int8/uint8: rows `[M, D]` to take the ranges from; binary/ubinary: rows whose per-dim mean becomes the threshold. */
  calibration?: TensorLikeInput;
  /** binary/ubinary: per-dim thresholds, `D` values (a bit is `x > threshold`). Default 0 (sentence-transformers). */
  thresholds?: Float32Array | readonly number[];
}

/** A float operand, as the rest of the API takes it. */
type TensorLikeInput = { data: TensorData; shape: readonly number[] } | { data: TensorData; dims: readonly number[] } | object;

/** A quantised corpus or query set as a plain object (for example an index loaded from disk). */
export interface QuantizedLike {
  dtype: StorageDtype;
  data: QuantizedData;
  /** `[N, D]` in dimensions (binary rows hold `D / 8` bytes). */
  shape: readonly [number, number];
  ranges?: Float32Array | readonly number[] | null;
  thresholds?: Float32Array | readonly number[] | null;
}

/** Rescoring of a quantised top-k: the best `k · multiplier` candidates re-ranked by float32 cosine. */
export interface RescoreOptions {
  /** Candidates per result: `min(N, k · multiplier)` are re-ranked. Default 4. */
  multiplier?: number;
  /** Float rows `[N, D]` to re-rank with (the embeddings before quantising); default: the corpus rows decoded. */
  vectors?: TensorLikeInput;
}

/** What `topK` takes beyond the float options when the corpus is quantised. */
export interface QuantizedTopKOptions {
  /** Lower bound of each norm (float16 scores and rescoring). Default 1e-8. */
  eps?: number;
  /** The queries are the corpus: skip corpus row i for query row i. Default false. */
  excludeSelf?: boolean;
  /** Re-rank candidates by float32 cosine (`true`: the defaults). Float queries only. */
  rescore?: boolean | RescoreOptions;
}

const QUANTIZE_OPTIONS = ['dtype', 'ranges', 'calibration', 'thresholds'] as const;
/** Options of `topK` over a quantised corpus, and of its `rescore` (the pool reads them with these too). */
export const TOPK_OPTIONS = ['eps', 'excludeSelf', 'rescore'] as const;
export const RESCORE_OPTIONS = ['multiplier', 'vectors'] as const;
const PAIRWISE_OPTIONS = ['eps', 'scale', 'out'] as const;

/** The typed array each dtype stores its rows in. */
const DATA_TAGS: Readonly<Record<StorageDtype, 'Uint16Array' | 'Int8Array' | 'Uint8Array'>> = Object.freeze({
  float16: 'Uint16Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  binary: 'Int8Array',
  ubinary: 'Uint8Array',
});

const isBinary = (dtype: StorageDtype): boolean => dtype === 'binary' || dtype === 'ubinary';

/** A view of `dtype`'s stored elements on `buffer` (its class chosen by dtype, so arrays of another realm never decide it). */
export function storedArray(dtype: StorageDtype, buffer: ArrayBufferLike, length: number, byteOffset = 0): QuantizedData {
  const tag = DATA_TAGS[dtype];
  return tag === 'Uint16Array' ? new Uint16Array(buffer, byteOffset, length) : tag === 'Int8Array' ? new Int8Array(buffer, byteOffset, length) : new Uint8Array(buffer, byteOffset, length);
}
const isInteger = (dtype: StorageDtype): boolean => dtype === 'int8' || dtype === 'uint8';
/** Stored elements per row of `depth` dimensions. */
/** Stored elements per row: D, or D / 8 bytes for the bit dtypes. */
export const rowElements = (dtype: StorageDtype, depth: number): number => (isBinary(dtype) ? depth / 8 : depth);
export const elementBytesOf = (dtype: StorageDtype): 1 | 2 => (dtype === 'float16' ? 2 : 1);

function checkDtype(value: unknown, label: string): StorageDtype {
  if (typeof value !== 'string' || !(STORAGE_DTYPES as readonly string[]).includes(value)) {
    throw new TypeError(`${label} must be one of ${STORAGE_DTYPES.map((name) => `'${name}'`).join(', ')}, got ${describe(value)}`);
  }
  return value as StorageDtype;
}

function checkBinaryDepth(dtype: StorageDtype, depth: number, label: string): void {
  if (isBinary(dtype) && depth % 8 !== 0) {
    throw new RangeError(`${label}: ${dtype} packs 8 dimensions per byte, so D must be a multiple of 8, got D = ${depth}`);
  }
}

/**
 * A Float32Array copy of a list of `length` finite numbers (Float32Array, Float64Array or
 * number[]), each value read once.
 */
function readFiniteList(value: unknown, length: number, label: string, what: string): Float32Array {
  const values = new Float32Array(length);
  const tag = value !== null && typeof value === 'object' ? Reflect.apply(typedArrayTagGetter, value, []) : undefined;
  if (tag === 'Float32Array' || tag === 'Float64Array') {
    const actual = Reflect.apply(typedArrayLengthGetter, value, []) as number;
    if (actual !== length) throw new RangeError(`${label} must hold ${what} (${length} values), got ${actual}`);
    copyInto(values, value as Float32Array | Float64Array);
  } else if (isArrayValue(value, label)) {
    const actual = readProperty(value, 'length', label);
    if (actual !== length) throw new RangeError(`${label} must hold ${what} (${length} values), got ${describe(actual)}`);
    readNumbers(value, label, values, length, 0);
  } else {
    throw new TypeError(`${label} must be a Float32Array or number[] of ${what}, got ${describe(value)}`);
  }
  for (let index = 0; index < length; index++) {
    if (!Number.isFinite(values[index])) throw new RangeError(`${label}[${index}] must be finite, got ${values[index]}`);
  }
  return values;
}

/** Ranges `[2·D]` (D mins, then D maxs): finite, each min at most its max. */
function readRanges(value: unknown, depth: number, label: string): Float32Array {
  const ranges = readFiniteList(value, 2 * depth, label, `${depth} mins, then ${depth} maxs`);
  for (let dim = 0; dim < depth; dim++) {
    if ((ranges[dim] as number) > (ranges[depth + dim] as number)) {
      throw new RangeError(`${label}: the min of dimension ${dim} (${ranges[dim]}) is above its max (${ranges[depth + dim]})`);
    }
  }
  return ranges;
}

/** A float operand `[N, D]` (a 1-D `[D]` is one row). */
function floatRows(runtime: Runtime, value: unknown, name: string, functionName: string): Operand {
  const entry = operand(runtime, value, name);
  if (entry.shape.length === 1) entry.shape = [1, entry.shape[0] as number];
  if (entry.shape.length !== 2) throw new RangeError(`${functionName}: ${name} must have shape [N, D] (or [D]), got ${formatShape(entry.shape)}`);
  return entry;
}

/** An operand made of a JS array the kernel reads as floats (ranges, thresholds). */
function listOperand(name: string, values: Float32Array): Operand {
  return { name, shape: [values.length], length: values.length, pointer: null, source: values };
}

/** Runs `status`-returning kernel code, mapping the non-finite status to a RangeError about `what`. */
function checkFinite(runtime: Runtime, status: number, kernel: string, what: () => string): number {
  if (status === runtime.constants.statusNonFinite) throw new RangeError(what());
  runtime.check(status, kernel);
  return 0;
}

// ---- QuantizedTensor ----

interface QuantizedInternals {
  runtime: Runtime;
  pointer: number;
  /** Stored elements (u16 words or bytes). */
  length: number;
  /** The cached per-row norms, in the same block after the rows (0: this dtype has none). */
  normsPointer: number;
  disposed: boolean;
  ranges: Float32Array | null;
  thresholds: Float32Array | null;
}

let quantizedInternalsOf: (tensor: QuantizedTensor) => QuantizedInternals;
let isQuantizedTensor: (value: unknown) => value is QuantizedTensor;

/** The block of a QuantizedTensor: its rows, then (8-aligned) the cached norms `ck_quantized_norms` fills. */
function quantizedLayout(runtime: Runtime, dtype: StorageDtype, rows: number, depth: number): { dataBytes: number; normsOffset: number; normsBytes: number } {
  const dataBytes = rows * rowElements(dtype, depth) * elementBytesOf(dtype);
  const normsBytes = runtime.exports.ck_quantized_norms_bytes(runtime.constants.dtypeCodes[dtype], rows, depth) >>> 0;
  return { dataBytes, normsOffset: Math.ceil(dataBytes / 8) * 8, normsBytes };
}

/** Allocates the block of a QuantizedTensor of `[rows, depth]` (its rows not yet written). */
function allocQuantized(runtime: Runtime, dtype: StorageDtype, rows: number, depth: number, purpose: string | (() => string)): number {
  const { normsOffset, normsBytes } = quantizedLayout(runtime, dtype, rows, depth);
  return runtime.alloc(normsOffset + normsBytes, purpose);
}

/**
 * Fills a tensor's cached norms from its rows (once, when they are written: `quantize`, or
 * a pool's copy). The search reads them instead of recomputing every row's norm per call,
 * and checks every row it reports against them.
 */
function cacheNorms(tensor: QuantizedTensor): void {
  const { runtime, pointer, normsPointer } = quantizedInternalsOf(tensor);
  if (normsPointer === 0) return;
  const [rows, depth] = tensor.shape;
  runtime.check(runtime.exports.ck_quantized_norms(runtime.constants.dtypeCodes[tensor.dtype], pointer, rows, depth, normsPointer), 'ck_quantized_norms');
}

/**
 * Quantised (or half-precision) rows in WASM memory, made by `quantize`: kernels read them
 * with no copy. `data` is a live view (re-created after `memory.grow`) that keeps the tensor
 * alive while held; `dispose()` (or `using`) frees it, a FinalizationRegistry is only a
 * safety net. `ranges` and `thresholds` are copies of what encoding used (int8/uint8 and
 * binary), needed to encode float queries the same way. Instances are frozen.
 *
 * The rows are immutable: `data` is for reading them (to save an index, say). The tensor
 * keeps each row's norm (float16, int8 and uint8), computed once when the rows were
 * written, in the same block of WASM memory, freed with it; `topK` reads those instead of
 * recomputing them per call and checks every row it reports against its cached norm, so a
 * row changed through `data` afterwards makes it throw rather than rank by a stale norm.
 */
export class QuantizedTensor {
  readonly dtype: StorageDtype;
  /** `[N, D]` in dimensions (binary rows hold `D / 8` bytes). */
  readonly shape: readonly [number, number];
  readonly #internals: QuantizedInternals;
  #view: QuantizedData | null = null;

  static {
    quantizedInternalsOf = (tensor) => tensor.#internals;
    isQuantizedTensor = (value): value is QuantizedTensor => typeof value === 'object' && value !== null && #internals in value;
  }

  /** @internal Use `quantize(x, { dtype })`. */
  constructor(runtime: Runtime, dtype: StorageDtype, shape: readonly [number, number], pointer: number, ranges: Float32Array | null, thresholds: Float32Array | null) {
    if (!(runtime instanceof Object) || typeof pointer !== 'number') throw new TypeError('QuantizedTensor instances come from quantize(); it has no public constructor');
    this.dtype = dtype;
    this.shape = Object.freeze([shape[0], shape[1]] as [number, number]);
    const length = shape[0] * rowElements(dtype, shape[1]);
    const { normsOffset, normsBytes } = quantizedLayout(runtime, dtype, shape[0], shape[1]);
    this.#internals = { runtime, pointer, length, normsPointer: normsBytes === 0 ? 0 : pointer + normsOffset, disposed: false, ranges, thresholds };
    adoptBlock(this, runtime, pointer, normsOffset + normsBytes);
    Object.freeze(this);
  }

  /** The stored rows: Uint16Array (float16), Int8Array (int8, binary) or Uint8Array (uint8, ubinary). Keeps the tensor alive while held. */
  get data(): QuantizedData {
    const { runtime, pointer, length, disposed } = this.#internals;
    if (disposed) throw new TypeError(`this QuantizedTensor (${this.dtype} ${formatShape(this.shape)}) was disposed; its memory is freed`);
    if (this.#view === null || viewLength(this.#view) === 0) {
      const buffer = runtime.buffer;
      const tag = DATA_TAGS[this.dtype];
      this.#view = tag === 'Uint16Array' ? new Uint16Array(buffer, pointer, length) : tag === 'Int8Array' ? new Int8Array(buffer, pointer, length) : new Uint8Array(buffer, pointer, length);
      keepOwnerAlive(this.#view, this);
    }
    return this.#view;
  }

  /** int8/uint8: the ranges the codes were made with, `[2·D]` (D mins, then D maxs), a fresh copy; null otherwise. */
  get ranges(): Float32Array | null {
    const ranges = this.#internals.ranges;
    return ranges === null ? null : ranges.slice();
  }

  /** binary/ubinary with calibration or thresholds: the per-dim thresholds `[D]`, a fresh copy; null otherwise (threshold 0). */
  get thresholds(): Float32Array | null {
    const thresholds = this.#internals.thresholds;
    return thresholds === null ? null : thresholds.slice();
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

// ---- quantize ----

export function runQuantize(runtime: Runtime, x: unknown, options: unknown): QuantizedTensor {
  if (options === undefined) throw new TypeError("quantize needs options with a dtype, e.g. quantize(x, { dtype: 'int8' })");
  const settings = checkOptions(options, QUANTIZE_OPTIONS, 'quantize');
  const dtype = checkDtype(settings.dtype, 'quantize: dtype');
  const inapplicable = (option: string, applies: string) => new TypeError(`quantize: ${option} applies to ${applies} only, not to ${dtype}`);
  if (settings.ranges !== undefined && !isInteger(dtype)) throw inapplicable('ranges', 'int8 and uint8');
  if (settings.thresholds !== undefined && !isBinary(dtype)) throw inapplicable('thresholds', 'binary and ubinary');
  if (settings.calibration !== undefined && dtype === 'float16') throw inapplicable('calibration', 'int8, uint8, binary and ubinary');
  if (settings.calibration !== undefined && (settings.ranges !== undefined || settings.thresholds !== undefined)) {
    throw new TypeError(`quantize: pass either calibration or ${isInteger(dtype) ? 'ranges' : 'thresholds'}, not both`);
  }
  const codes = runtime.constants.dtypeCodes;
  const exports = runtime.exports;
  const mark = runtime.mark();
  let pointer = 0;
  try {
    const input = floatRows(runtime, x, 'x', 'quantize');
    const [rows, depth] = input.shape as [number, number];
    checkBinaryDepth(dtype, depth, 'quantize');
    const calibration = settings.calibration === undefined ? null : floatRows(runtime, settings.calibration, 'calibration', 'quantize');
    if (calibration !== null) {
      const [calibrationRows, calibrationDepth] = calibration.shape as [number, number];
      if (calibrationDepth !== depth) throw new RangeError(`quantize: calibration rows have length ${calibrationDepth} but rows of x have length ${depth}`);
      if (calibrationRows === 0) throw new RangeError('quantize: calibration has no rows');
    }
    let ranges: Float32Array | null = null;
    let thresholds: Float32Array | null = null;
    if (isInteger(dtype)) {
      if (settings.ranges !== undefined) ranges = readRanges(settings.ranges, depth, 'quantize: ranges');
      else {
        const source = calibration ?? input;
        if ((source.shape[0] as number) === 0) throw new RangeError('quantize: x has no rows to take the ranges from; pass ranges or calibration');
        ranges = columnRanges(runtime, source);
      }
    } else if (isBinary(dtype)) {
      if (settings.thresholds !== undefined) thresholds = readFiniteList(settings.thresholds, depth, 'quantize: thresholds', `one threshold per dimension`);
      else if (calibration !== null) thresholds = binaryThresholds(runtime, calibration);
    }
    pointer = allocQuantized(runtime, dtype, rows, depth, () => `a ${dtype} tensor of shape ${formatShape([rows, depth])}`);
    const target = pointer;
    const side = ranges ?? thresholds;
    execute(runtime, {
      kernel: 'quantize',
      inputs: { input, side: side === null ? null : listOperand('the ranges', side) },
      outputs: {},
      call: (pointers) => {
        if (dtype === 'float16') return exports.ck_quantize_f16_f32(pointers.input, rows * depth, target);
        if (isBinary(dtype)) return exports.ck_quantize_binary_f32(pointers.input, rows, depth, pointers.side, codes[dtype], target);
        const status = exports.ck_quantize_int8_f32(pointers.input, rows, depth, pointers.side, codes[dtype], target);
        return checkFinite(runtime, status, 'ck_quantize_int8_f32', () => `quantize: x holds NaN or ±Infinity; ${dtype} codes need finite values`);
      },
    });
    const tensor = new QuantizedTensor(runtime, dtype, [rows, depth], pointer, ranges, thresholds);
    pointer = 0;
    cacheNorms(tensor);
    return tensor;
  } finally {
    if (pointer !== 0) runtime.free(pointer);
    runtime.release(mark);
  }
}

/** Per-dim mins and maxs of float rows (the kernel's column pass). */
function columnRanges(runtime: Runtime, rows: Operand): Float32Array {
  const [rowCount, depth] = rows.shape as [number, number];
  const { ranges } = execute(runtime, {
    kernel: 'ck_quant_ranges_f32',
    inputs: { rows },
    outputs: { ranges: { type: 'f32', length: 2 * depth, describe: 'the ranges' } },
    call: (pointers) =>
      checkFinite(runtime, runtime.exports.ck_quant_ranges_f32(pointers.rows, rowCount, depth, pointers.ranges), 'ck_quant_ranges_f32', () =>
        `quantize: ${rows.name} holds NaN or ±Infinity; ranges need finite values`,
      ),
  });
  return ranges;
}

/** Per-dim means of calibration rows (the binary thresholds). */
function binaryThresholds(runtime: Runtime, rows: Operand): Float32Array {
  const [rowCount, depth] = rows.shape as [number, number];
  const { thresholds } = execute(runtime, {
    kernel: 'ck_binary_thresholds_f32',
    inputs: { rows },
    outputs: { thresholds: { type: 'f32', length: depth, describe: 'the thresholds' } },
    call: (pointers) =>
      checkFinite(runtime, runtime.exports.ck_binary_thresholds_f32(pointers.rows, rowCount, depth, pointers.thresholds), 'ck_binary_thresholds_f32', () =>
        'quantize: calibration holds NaN or ±Infinity; thresholds need finite values',
      ),
  });
  return thresholds;
}

// ---- quantised operands ----

/** A validated quantised operand. */
interface QuantizedOperand {
  operand: Operand;
  dtype: StorageDtype;
  rows: number;
  depth: number;
  ranges: Float32Array | null;
  thresholds: Float32Array | null;
  /** The stored elements as read (a QuantizedTensor's current view, or the object's `data`). */
  view: QuantizedData;
  /** A QuantizedTensor of this runtime: its cached norms (0: none, the kernels compute them). */
  normsPointer: number;
}


function quantizedOperand(runtime: Runtime, value: unknown, name: string): QuantizedOperand {
  if (isQuantizedTensor(value)) {
    const internals = quantizedInternalsOf(value);
    if (internals.disposed) throw new TypeError(`${name} is a disposed QuantizedTensor`);
    const [rows, depth] = value.shape;
    const { dtype } = value;
    const base = { name, shape: [rows, depth], length: internals.length, elementBytes: elementBytesOf(dtype) };
    const entry: Operand =
      internals.runtime === runtime
        ? {
            ...base,
            pointer: internals.pointer,
            source: null,
            recheck: () => {
              if (internals.disposed) throw new TypeError(`${name} (a QuantizedTensor) was disposed while the call was being validated`);
            },
          }
        : { ...base, pointer: null, source: null, storedSource: value.data.slice() };
    const normsPointer = internals.runtime === runtime ? internals.normsPointer : 0;
    return { operand: entry, dtype, rows, depth, ranges: internals.ranges, thresholds: internals.thresholds, view: value.data, normsPointer };
  }
  if (value === null || typeof value !== 'object') throw new TypeError(`${name} must be a QuantizedTensor or { dtype, data, shape }, got ${describe(value)}`);
  let dtypeValue: unknown;
  let data: unknown;
  let rawShape: unknown;
  let rangesValue: unknown;
  let thresholdsValue: unknown;
  let reading = 'dtype';
  try {
    dtypeValue = (value as { dtype?: unknown }).dtype;
    reading = 'data';
    data = (value as { data?: unknown }).data;
    reading = 'shape';
    rawShape = (value as { shape?: unknown }).shape;
    reading = 'ranges';
    rangesValue = (value as { ranges?: unknown }).ranges;
    reading = 'thresholds';
    thresholdsValue = (value as { thresholds?: unknown }).thresholds;
  } catch (thrown) {
    throw readFailure(`${name}.${reading}`, thrown);
  }
  const dtype = checkDtype(dtypeValue, `${name}.dtype`);
  const shape = checkShape(rawShape, `${name}.shape`);
  if (shape.length !== 2) throw new RangeError(`${name}.shape must be [N, D] (in dimensions), got ${formatShape(shape)}`);
  const [rows, depth] = shape as [number, number];
  checkBinaryDepth(dtype, depth, name);
  const length = rows * rowElements(dtype, depth);
  const wantedTag = DATA_TAGS[dtype];
  const tag = data !== null && typeof data === 'object' ? Reflect.apply(typedArrayTagGetter, data, []) : undefined;
  if (tag !== wantedTag) throw new TypeError(`${name}.data must be ${wantedTag === 'Int8Array' ? 'an' : 'a'} ${wantedTag} for dtype ${dtype}, got ${describe(data)}`);
  const view = data as QuantizedSource;
  const actual = Reflect.apply(typedArrayLengthGetter, view, []) as number;
  const buffer = Reflect.apply(typedArrayBufferGetter, view, []) as ArrayBufferLike;
  if ((actual === 0 || length === 0) && isDetached(buffer)) throw new TypeError(`${name}.data cannot be read: its ArrayBuffer is detached`);
  if (actual !== length) {
    const unit = isBinary(dtype) ? `${depth / 8} bytes per row` : dtype === 'float16' ? 'one half per dimension' : 'one byte per dimension';
    throw new RangeError(`${name}.data has ${actual} elements but ${dtype} rows of shape ${formatShape(shape)} need ${length} (${unit})`);
  }
  const ranges = rangesValue === undefined || rangesValue === null ? null : isInteger(dtype) ? readRanges(rangesValue, depth, `${name}.ranges`) : null;
  if (ranges === null && rangesValue !== undefined && rangesValue !== null) throw new TypeError(`${name}.ranges applies to int8 and uint8 only, not to ${dtype}`);
  const thresholds =
    thresholdsValue === undefined || thresholdsValue === null ? null : isBinary(dtype) ? readFiniteList(thresholdsValue, depth, `${name}.thresholds`, 'one threshold per dimension') : null;
  if (thresholds === null && thresholdsValue !== undefined && thresholdsValue !== null) throw new TypeError(`${name}.thresholds applies to binary and ubinary only, not to ${dtype}`);
  const elementBytes = elementBytesOf(dtype);
  const base = { name, shape: [rows, depth], length, elementBytes };
  let entry: Operand;
  if (buffer === runtime.buffer) {
    const byteOffset = Reflect.apply(typedArrayByteOffsetGetter, view, []) as number;
    entry = runtime.insideLiveTensor(byteOffset, length * elementBytes)
      ? {
          ...base,
          pointer: byteOffset,
          source: null,
          recheck: () => {
            if (!runtime.insideLiveTensor(byteOffset, length * elementBytes)) throw new TypeError(`${name}.data views a tensor that was disposed while the call was being validated`);
          },
        }
      : { ...base, pointer: null, source: null, storedSource: view.slice() };
  } else {
    entry = {
      ...base,
      pointer: null,
      source: null,
      storedSource: view,
      view,
    };
  }
  return { operand: entry, dtype, rows, depth, ranges, thresholds, view: view as QuantizedData, normsPointer: 0 };
}

function sameValues(first: Float32Array | null, second: Float32Array | null): boolean {
  if (first === null || second === null) return first === second;
  if (first.length !== second.length) return false;
  for (let index = 0; index < first.length; index++) if (!Object.is(first[index], second[index])) return false;
  return true;
}

/** Two quantised operands that can be scored against each other: one dtype, one D, the same ranges and thresholds where both have them. */
function checkCompatible(first: QuantizedOperand, second: QuantizedOperand, functionName: string): void {
  const { name: firstName } = first.operand;
  const { name: secondName } = second.operand;
  if (first.dtype !== second.dtype) throw new TypeError(`${functionName}: ${firstName} is ${first.dtype} but ${secondName} is ${second.dtype}; quantised operands must share one dtype`);
  if (first.depth !== second.depth) {
    throw new RangeError(`${functionName}: rows of ${firstName} have D = ${first.depth} but rows of ${secondName} have D = ${second.depth}`);
  }
  if (first.ranges !== null && second.ranges !== null && !sameValues(first.ranges, second.ranges)) {
    throw new RangeError(`${functionName}: ${firstName} and ${secondName} were quantised with different ranges; their codes cannot be compared`);
  }
  if (!sameValues(first.thresholds ?? null, second.thresholds ?? null) && (first.thresholds !== null || second.thresholds !== null)) {
    throw new RangeError(`${functionName}: ${firstName} and ${secondName} were binarised with different thresholds; their bits cannot be compared`);
  }
}

// ---- topK over a quantised corpus ----

interface RescorePlan {
  candidates: number;
  vectors: Operand | null;
}

function rescorePlan(runtime: Runtime, value: unknown, k: number, available: number, corpus: QuantizedOperand): RescorePlan | null {
  if (value === undefined || value === false) return null;
  const settings = value === true ? checkOptions(undefined, RESCORE_OPTIONS, 'topK rescore') : checkOptions(value, RESCORE_OPTIONS, 'topK rescore');
  const multiplier = settings.multiplier ?? 4;
  if (typeof multiplier !== 'number') throw new TypeError(`rescore.multiplier must be an integer, got ${describe(multiplier)}`);
  if (!Number.isInteger(multiplier) || multiplier < 1) throw new RangeError(`rescore.multiplier must be an integer of at least 1, got ${describe(multiplier)}`);
  let vectors: Operand | null = null;
  if (settings.vectors !== undefined) {
    vectors = floatRows(runtime, settings.vectors, 'rescore.vectors', 'topK');
    const [rows, depth] = vectors.shape as [number, number];
    if (rows !== corpus.rows || depth !== corpus.depth) {
      throw new RangeError(`topK: rescore.vectors ${formatShape(vectors.shape)} must have the corpus's shape ${formatShape([corpus.rows, corpus.depth])}`);
    }
  }
  return { candidates: Math.min(available, k * multiplier), vectors };
}

/** Float queries a quantised corpus can score: rows of its D, and ranges to encode them with (int8/uint8). */
function checkFloatQueries(queries: Operand, corpus: QuantizedOperand): void {
  const { dtype, rows, depth } = corpus;
  if (queries.shape[1] !== depth) {
    throw new RangeError(`topK: rows of queries have length ${queries.shape[1]} but rows of corpus (${dtype} ${formatShape([rows, depth])}) have length ${depth}`);
  }
  if (isInteger(dtype) && corpus.ranges === null) {
    throw new RangeError(`topK: the ${dtype} corpus has no ranges, so float queries cannot be encoded like it; pass the corpus with the ranges quantize() used (QuantizedTensor.ranges), or quantised queries`);
  }
}

/**
 * `topK` over a quantised corpus. `selfOffset` moves the row `excludeSelf` skips (query q
 * skips corpus row q + selfOffset): a chunk of a larger call's queries passes its first
 * query's index, as the float path's chunks do.
 */
export function runTopKQuantized(runtime: Runtime, queries: unknown, corpus: unknown, requestedK: unknown, options: unknown, selfOffset = 0): TopKResult {
  const settings = checkOptions(options, TOPK_OPTIONS, 'topK');
  const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
  const excludeSelf = booleanOption(settings.excludeSelf, false, 'excludeSelf');
  const exports = runtime.exports;
  const mark = runtime.mark();
  try {
    if (!isQuantizedValue(corpus)) {
      throw new TypeError('topK: quantised queries need a quantised corpus of the same dtype (quantize the corpus, or pass float queries)');
    }
    const stored = quantizedOperand(runtime, corpus, 'corpus');
    const { dtype, rows: corpusRows, depth } = stored;
    const code = runtime.constants.dtypeCodes[dtype];
    const quantizedQueries = isQuantizedValue(queries) ? quantizedOperand(runtime, queries, 'queries') : null;
    if (quantizedQueries !== null) checkCompatible(quantizedQueries, stored, 'topK');
    const floatQueries = quantizedQueries === null ? floatRows(runtime, queries, 'queries', 'topK') : null;
    const queryRows = quantizedQueries?.rows ?? (floatQueries?.shape[0] as number);
    if (floatQueries !== null) checkFloatQueries(floatQueries, stored);
    const k = checkTopK(requestedK, queryRows, corpusRows, excludeSelf);
    const available = excludeSelf ? corpusRows - 1 : corpusRows;
    const rescore = rescorePlan(runtime, settings.rescore, k, available, stored);
    if (rescore !== null && floatQueries === null) throw new RangeError('topK: quantised queries cannot be rescored (rescoring needs the float queries); pass float queries');
    const shape: [number, number] = [queryRows, k];
    const resultLength = queryRows * k;
    // Float queries against an integer or binary corpus are encoded like it, into scratch.
    // Float16 queries are scored as the float32 values they stand for: decoded into scratch.
    const encodeBytes =
      floatQueries !== null && dtype !== 'float16'
        ? aligned16(queryRows * rowElements(dtype, depth))
        : floatQueries === null && dtype === 'float16'
          ? aligned16(queryRows * depth * 4)
          : 0;
    const side = isInteger(dtype) ? stored.ranges : isBinary(dtype) ? stored.thresholds : null;
    const listLength = rescore === null ? k : rescore.candidates;
    const listBytes = rescore === null ? 0 : aligned16(queryRows * listLength * 4);
    const topkScratch = aligned16(exports.ck_topk_quantized_scratch_bytes(code, queryRows, depth) >>> 0);
    const rescoreFloats = rescore === null ? 0 : exports.ck_rescore_scratch_floats(depth) >>> 0;
    const gather = rescore !== null && rescore.vectors !== null && rescore.vectors.pointer === null;
    const queryInput = quantizedQueries?.operand ?? (floatQueries as Operand);
    const encodeQueries = (pointers: { queries: number; side: number; scratch: number }): number => {
      if (encodeBytes === 0) return pointers.queries;
      const target = pointers.scratch;
      if (floatQueries === null) {
        runtime.check(exports.ck_decode_f16_f32(pointers.queries, queryRows * depth, target), 'ck_decode_f16_f32');
        return target;
      }
      const status = isBinary(dtype)
        ? exports.ck_quantize_binary_f32(pointers.queries, queryRows, depth, pointers.side, code, target)
        : exports.ck_quantize_int8_f32(pointers.queries, queryRows, depth, pointers.side, code, target);
      checkFinite(runtime, status, 'quantize queries', () => `topK: queries hold NaN or ±Infinity; ${dtype} codes need finite values`);
      return target;
    };
    const search = (pointers: { queries: number; corpus: number; side: number; scratch: number }, indices: number, scores: number, count: number): void => {
      const queryPointer = encodeQueries(pointers);
      const scratch = pointers.scratch + encodeBytes;
      const status = exports.ck_topk_quantized(code, queryPointer, queryRows, pointers.corpus, corpusRows, depth, count, eps, excludeSelf ? 1 : 0, selfOffset, stored.normsPointer, indices, scores, scratch, topkScratch);
      if (status === runtime.constants.statusStaleNorms) {
        throw new TypeError(
          `topK: the corpus (a ${dtype} QuantizedTensor ${formatShape([corpusRows, depth])}) no longer matches the row norms it cached when its rows were written: its rows are read-only; quantize the changed rows again`,
        );
      }
      runtime.check(status, 'ck_topk_quantized');
    };
    const inputs = {
      queries: queryInput,
      corpus: stored.operand,
      side: side === null ? null : listOperand('the ranges', side),
      vectors: rescore !== null && rescore.vectors !== null && !gather ? rescore.vectors : null,
    };
    if (rescore === null || !gather) {
      const { indices, scores } = execute(runtime, {
        kernel: 'ck_topk_quantized',
        inputs,
        outputs: {
          indices: { type: 'i32', length: resultLength, describe: () => `the indices ${formatShape(shape)}` },
          scores: { type: 'f32', length: resultLength, describe: () => `the scores ${formatShape(shape)}` },
        },
        scratchBytes: encodeBytes + topkScratch + 2 * listBytes + rescoreFloats * 4,
        call: (pointers) => {
          if (rescore === null) {
            search(pointers, pointers.indices, pointers.scores, k);
            return 0;
          }
          const candidateIndices = pointers.scratch + encodeBytes + topkScratch;
          const candidateScores = candidateIndices + listBytes;
          search(pointers, candidateIndices, candidateScores, listLength);
          const fromVectors = rescore.vectors !== null;
          return checkFinite(runtime, exports.ck_rescore_f32(
            pointers.queries,
            queryRows,
            depth,
            fromVectors ? 0 : code,
            fromVectors ? pointers.vectors : pointers.corpus,
            corpusRows,
            fromVectors || !isInteger(dtype) ? 0 : pointers.side,
            candidateIndices,
            listLength,
            k,
            eps,
            pointers.indices,
            pointers.scores,
            candidateScores + listBytes,
            rescoreFloats,
          ), 'ck_rescore_f32', () => 'topK: rescoring read a NaN or ±Infinity where it needs finite values');
        },
      });
      return { indices, scores, shape };
    }
    // Rescoring with float vectors held in JS: search, then copy only the candidates' rows in.
    const { indices: candidates } = execute(runtime, {
      kernel: 'ck_topk_quantized',
      inputs: { ...inputs, vectors: null },
      outputs: {
        indices: { type: 'i32', length: queryRows * listLength, describe: 'the candidates' },
        scores: { type: 'f32', length: queryRows * listLength, describe: 'the candidate scores' },
      },
      scratchBytes: encodeBytes + topkScratch,
      call: (pointers) => {
        search(pointers, pointers.indices, pointers.scores, listLength);
        return 0;
      },
    });
    const vectorsSource = (rescore.vectors as Operand).source as Float32Array | Float64Array;
    return rescoreGathered(runtime, floatQueries as Operand, { kind: 'vectors', source: vectorsSource }, candidates, listLength, k, eps, shape);
  } finally {
    runtime.release(mark);
  }
}

/** The rows a gathered rescoring reads: float vectors, or a quantised corpus's stored rows (decoded by the kernel). */
type GatherSource =
  | { kind: 'vectors'; source: Float32Array | Float64Array }
  | { kind: 'codes'; dtype: StorageDtype; view: QuantizedData; ranges: Float32Array | null };

/**
 * The rescoring step for rows outside WASM memory: each query's candidates, in increasing
 * corpus index (so the kernel's ties, by lower position, are ties by lower corpus index),
 * have their rows copied into one `[Q·C, D]` block; the kernel ranks positions, and each
 * position maps back to its corpus row. The scores are those of rescoring the same lists
 * in place, bit for bit (each is `cosine` of the query and the candidate's row).
 */
function rescoreGathered(
  runtime: Runtime,
  queries: Operand,
  rows: GatherSource,
  candidates: Int32Array,
  listLength: number,
  k: number,
  eps: number,
  shape: [number, number],
): TopKResult {
  const [queryRows, depth] = queries.shape as [number, number];
  const gatheredRows = queryRows * listLength;
  const rowLength = rows.kind === 'vectors' ? depth : rowElements(rows.dtype, depth);
  const view = rows.kind === 'vectors' ? null : rows.view;
  const floats = rows.kind === 'vectors' ? new Float32Array(gatheredRows * depth) : null;
  const codes: QuantizedData | null =
    rows.kind === 'vectors' ? null : storedArray(rows.dtype, new ArrayBuffer(gatheredRows * rowLength * elementBytesOf(rows.dtype)), gatheredRows * rowLength);
  const positions = new Int32Array(gatheredRows);
  for (let query = 0; query < queryRows; query++) {
    const list = candidates.subarray(query * listLength, (query + 1) * listLength).sort();
    for (let slot = 0; slot < listLength; slot++) {
      const position = query * listLength + slot;
      const row = list[slot] as number;
      positions[position] = position;
      if (floats !== null && rows.kind === 'vectors') copyInto(floats.subarray(position * depth, (position + 1) * depth), rows.source.subarray(row * depth, (row + 1) * depth));
      else if (codes !== null && view !== null) (codes as Uint8Array).set((view as Uint8Array).subarray(row * rowLength, (row + 1) * rowLength), position * rowLength);
    }
  }
  const gathered: Operand =
    floats !== null
      ? { name: 'rescore.vectors', shape: [gatheredRows, depth], length: gatheredRows * depth, pointer: null, source: floats }
      : { name: "the candidates' rows", shape: [gatheredRows, depth], length: gatheredRows * rowLength, pointer: null, source: null, storedSource: codes as QuantizedData, elementBytes: elementBytesOf((rows as { dtype: StorageDtype }).dtype) };
  const code = rows.kind === 'vectors' ? 0 : runtime.constants.dtypeCodes[rows.dtype];
  const ranges = rows.kind === 'codes' && isInteger(rows.dtype) ? rows.ranges : null;
  // The positions, copied in as their bytes.
  const local: Operand = { name: 'the candidates', shape: [gatheredRows], length: gatheredRows * 4, pointer: null, source: null, storedSource: new Uint8Array(positions.buffer), elementBytes: 1 };
  const rescoreFloats = runtime.exports.ck_rescore_scratch_floats(depth) >>> 0;
  const resultLength = queryRows * k;
  const { indices, scores } = execute(runtime, {
    kernel: 'ck_rescore_f32',
    inputs: { queries, rows: gathered, side: ranges === null ? null : listOperand('the ranges', ranges), local },
    outputs: {
      indices: { type: 'i32', length: resultLength, describe: () => `the indices ${formatShape(shape)}` },
      scores: { type: 'f32', length: resultLength, describe: () => `the scores ${formatShape(shape)}` },
    },
    scratchBytes: rescoreFloats * 4,
    call: (pointers) =>
      checkFinite(
        runtime,
        runtime.exports.ck_rescore_f32(pointers.queries, queryRows, depth, code, pointers.rows, gatheredRows, ranges === null ? 0 : pointers.side, pointers.local, listLength, k, eps, pointers.indices, pointers.scores, pointers.scratch, rescoreFloats),
        'ck_rescore_f32',
        () => 'topK: rescoring read a NaN or ±Infinity where it needs finite values',
      ),
  });
  // Positions back to corpus rows (query q's candidates occupy positions q·C .. q·C + C − 1).
  // `candidates` holds each query's list sorted in place, so a position is its own entry there.
  for (let entry = 0; entry < resultLength; entry++) indices[entry] = candidates[indices[entry] as number] as number;
  return { indices, scores, shape };
}

// ---- the worker pool's pieces of a quantised topK ----

/** A quantised operand, validated and read once: what the pool copies into its workers. */
export interface QuantizedSnapshot {
  dtype: StorageDtype;
  shape: [number, number];
  /** The stored elements as read (not copied). */
  data: QuantizedData;
  ranges: Float32Array | null;
  thresholds: Float32Array | null;
}

/** Validates a QuantizedTensor or QuantizedLike (as `topK` does) and reads it once. */
export function readQuantized(runtime: Runtime, value: unknown, name: string): QuantizedSnapshot {
  const stored = quantizedOperand(runtime, value, name);
  // `ranges` and `thresholds` were read after `data` was measured: user code (a getter, a
  // Proxy) may have detached or shrunk it since.
  recheckOperand(stored.operand);
  return { dtype: stored.dtype, shape: [stored.rows, stored.depth], data: stored.view, ranges: stored.ranges, thresholds: stored.thresholds };
}

/** A QuantizedTensor in `runtime` holding a copy of `snapshot` (a pool worker's corpus, or the calling thread's copy of a handle). */
export function storeQuantized(runtime: Runtime, snapshot: QuantizedSnapshot, purpose: string): QuantizedTensor {
  const { dtype, shape, data, ranges, thresholds } = snapshot;
  const pointer = allocQuantized(runtime, dtype, shape[0], shape[1], purpose);
  const tensor = new QuantizedTensor(runtime, dtype, shape, pointer, ranges === null ? null : ranges.slice(), thresholds === null ? null : thresholds.slice());
  (tensor.data as Uint8Array).set(data as Uint8Array);
  cacheNorms(tensor);
  return tensor;
}

/** What a split quantised topK needs, validated exactly as `topK` validates it. */
export interface QuantizedTopKPlan {
  queryRows: number;
  k: number;
  /** Candidates each query keeps before rescoring (`k` without it). */
  listLength: number;
  excludeSelf: boolean;
  eps: number;
  rescore: boolean;
}

/**
 * Checks a quantised topK's arguments as `topK` does, without running it. `queries` is the
 * pool's private copy of the float queries (`{ data: Float32Array, shape }`).
 */
export function planQuantizedTopK(runtime: Runtime, queries: { data: Float32Array; shape: readonly number[] }, corpus: QuantizedSnapshot, requestedK: unknown, options: unknown): QuantizedTopKPlan {
  const settings = checkOptions(options, TOPK_OPTIONS, 'topK');
  const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
  const excludeSelf = booleanOption(settings.excludeSelf, false, 'excludeSelf');
  const mark = runtime.mark();
  try {
    const stored = quantizedOperand(runtime, corpus, 'corpus');
    const corpusRows = corpus.shape[0];
    const floatQueries = floatRows(runtime, queries, 'queries', 'topK');
    const queryRows = floatQueries.shape[0] as number;
    checkFloatQueries(floatQueries, stored);
    const k = checkTopK(requestedK, queryRows, corpusRows, excludeSelf);
    const rescore = rescorePlan(runtime, settings.rescore, k, excludeSelf ? corpusRows - 1 : corpusRows, stored);
    // Codes need finite queries: refused here, with topK's message, rather than in a worker.
    if (corpus.dtype !== 'float16') {
      const values = (queries as { data: ArrayLike<number> }).data;
      for (let index = 0; index < values.length; index++) {
        if (!Number.isFinite(values[index])) throw new RangeError(`topK: queries hold NaN or ±Infinity; ${corpus.dtype} codes need finite values`);
      }
    }
    return { queryRows, k, listLength: rescore === null ? k : rescore.candidates, excludeSelf, eps, rescore: rescore !== null };
  } finally {
    runtime.release(mark);
  }
}

/** Candidate rows gathered per rescoring call, at most (query blocks keep the copy small). */
const GATHER_ELEMENTS = 1 << 22;

/**
 * The rescoring step of a split quantised topK: `candidates` (`[Q, listLength]`, the lists
 * one thread's search would keep) re-ranked as `topK` re-ranks them, from the float vectors
 * or the corpus rows decoded. Only the candidates' rows are copied in, a block of queries
 * at a time (each query's result depends on its own list only, so the bits are the same).
 */
export function rescoreCandidates(
  runtime: Runtime,
  queries: { data: Float32Array; shape: readonly number[] },
  corpus: QuantizedSnapshot,
  candidates: Int32Array,
  plan: QuantizedTopKPlan,
  options: unknown,
): TopKResult {
  const settings = checkOptions(options, TOPK_OPTIONS, 'topK');
  const { queryRows, listLength, k, eps } = plan;
  const depth = corpus.shape[1];
  const indices = new Int32Array(queryRows * k);
  const scores = new Float32Array(queryRows * k);
  const blockQueries = Math.max(1, Math.floor(GATHER_ELEMENTS / Math.max(1, listLength * depth)));
  for (let start = 0; start < queryRows; start += blockQueries) {
    const count = Math.min(blockQueries, queryRows - start);
    const mark = runtime.mark();
    try {
      const blockRows = { data: queries.data.subarray(start * depth, (start + count) * depth), shape: [count, depth] };
      const floatQueries = floatRows(runtime, blockRows, 'queries', 'topK');
      const stored = quantizedOperand(runtime, corpus, 'corpus');
      const rescore = rescorePlan(runtime, settings.rescore, k, plan.excludeSelf ? corpus.shape[0] - 1 : corpus.shape[0], stored) as RescorePlan;
      let rows: GatherSource;
      if (rescore.vectors === null) rows = { kind: 'codes', dtype: corpus.dtype, view: corpus.data, ranges: corpus.ranges };
      else {
        const vectors = rescore.vectors;
        // Vectors in WASM memory were validated in place: read them through a view of this instance's memory.
        const source = vectors.pointer === null ? (vectors.source as Float32Array | Float64Array) : new Float32Array(runtime.buffer, vectors.pointer, vectors.length);
        rows = { kind: 'vectors', source };
      }
      const lists = candidates.slice(start * listLength, (start + count) * listLength);
      const found = rescoreGathered(runtime, floatQueries, rows, lists, listLength, k, eps, [count, k]);
      indices.set(found.indices, start * k);
      scores.set(found.scores, start * k);
    } finally {
      runtime.release(mark);
    }
  }
  return { indices, scores, shape: [queryRows, k] };
}

// ---- pairwiseCosine over quantised operands ----

export function runPairwiseQuantized(runtime: Runtime, a: unknown, b: unknown, options: unknown): Tensor {
  const settings = checkOptions(options, PAIRWISE_OPTIONS, 'pairwiseCosine');
  const eps = nonNegativeOption(settings.eps, 1e-8, 'eps');
  const scale = finiteOption(settings.scale, 1, 'scale');
  const mark = runtime.mark();
  try {
    if (!isQuantizedValue(a) || (b !== undefined && !isQuantizedValue(b))) {
      throw new TypeError('pairwiseCosine: operands are either both quantised (one dtype) or both float; quantize the other one, or pass float rows');
    }
    if (b !== undefined) checkSecondOperand(b, 'pairwiseCosine');
    const first = quantizedOperand(runtime, a, 'a');
    const second = b === undefined ? null : quantizedOperand(runtime, b, 'b');
    if (second !== null) checkCompatible(first, second, 'pairwiseCosine');
    const other = second ?? first;
    const { dtype, depth, rows: aRows } = first;
    const bRows = other.rows;
    const code = runtime.constants.dtypeCodes[dtype];
    const resultShape = Object.freeze([aRows, bRows]);
    const resultLength = aRows * bRows;
    if (resultLength > 2 ** 30) throw new RangeError(`pairwiseCosine: the result ${formatShape(resultShape)} has ${resultLength} elements, more than WASM memory holds; keep only the best with topK`);
    const target = outputTarget(runtime, settings.out, resultLength, resultShape);
    const scratchBytes = aligned16(runtime.exports.ck_pairwise_quantized_scratch_bytes(code, aRows, bRows, depth) >>> 0);
    const { result } = execute(runtime, {
      kernel: 'ck_pairwise_quantized',
      inputs: { first: first.operand, second: second?.operand ?? null },
      outputs: { result: { type: 'f32', length: resultLength, target, describe: () => `the result ${formatShape(resultShape)}` } },
      scratchBytes,
      call: (pointers) =>
        runtime.exports.ck_pairwise_quantized(
          code,
          pointers.first,
          aRows,
          second === null ? pointers.first : pointers.second,
          bRows,
          depth,
          eps,
          scale,
          pointers.result,
          pointers.scratch,
          scratchBytes,
        ),
    });
    return { data: result, shape: resultShape };
  } finally {
    runtime.release(mark);
  }
}

/** What the kit's storage-format members run (families.ts): registered when a program imports one of them. */
export const STORAGE_FAMILY: StorageFamily = { QuantizedTensor, runQuantize, runPairwiseQuantized, runTopKQuantized };
