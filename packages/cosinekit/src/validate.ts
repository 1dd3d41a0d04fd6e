// Every validation of the public API: values, shapes, broadcasting, dims, options, and the
// shape rules of each function family. One module, so every message has one wording; every
// error is thrown before any kernel runs. The single-thread functions and the worker pool
// (which checks a call on the calling thread before any work is sent) both use it.

/** A row-major, contiguous shape. */
export type Shape = readonly number[];

/** Largest element count of one operand: 2^30 float32 values = 4 GiB, all of wasm32 memory. */
export const MAX_ELEMENTS = 2 ** 30;
/**
 * Most dimensions a shape may have (a bound on the work validation does, far above any real
 * tensor). Every extent is also bounded, by MAX_ELEMENTS: kernels take extents and strides as
 * u32, and no axis that long can exist in memory, even in a shape with another extent of 0.
 */
export const MAX_SHAPE_RANK = 64;

/** A short description of any value, for error messages (never throws, even for a hostile Proxy). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'boolean' || typeof value === 'symbol') return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    if (Array.isArray(value)) return value.length <= 8 ? `[${Array.from(value, describe).join(',')}]` : `an array of length ${value.length}`;
    if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
  } catch {
    // A revoked Proxy, or a getter that throws: describe it without touching it again.
    return 'an object';
  }
}

/** A one-line summary of something thrown, for wrapping it into our own error. */
function thrownSummary(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return `${String(thrown.name)}: ${String(thrown.message)}`;
  } catch {
    // An error object whose own getters throw: fall back to a plain description.
  }
  return describe(thrown);
}

/**
 * Reads `target[key]` once. A getter or Proxy trap that throws becomes a TypeError naming
 * what was being read, `owner.key` or `owner[index]` (the original error is its `cause`),
 * so every failure of validation is a TypeError or RangeError. The name is put together
 * only then: these reads are on every call's path.
 */
export function readProperty(target: object, key: string | number, owner: string): unknown {
  try {
    return (target as Record<string | number, unknown>)[key];
  } catch (thrown) {
    throw readFailure(typeof key === 'number' ? `${owner}[${key}]` : `${owner}.${key}`, thrown);
  }
}

/** The TypeError for a read of `label` that threw (the original error is its `cause`). */
export function readFailure(label: string, thrown: unknown): TypeError {
  return new TypeError(`reading ${label} threw ${thrownSummary(thrown)}`, { cause: thrown });
}

/**
 * Whether a value is passed as a quantised operand: a QuantizedTensor (its `dtype` is an own
 * field), or any other object with a `dtype` that is not a typed array. Here, not in
 * quantized.ts, so that the float paths can route quantised operands without that module.
 */
export function isQuantizedValue(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  try {
    return 'dtype' in value && !ArrayBuffer.isView(value);
  } catch (thrown) {
    throw readFailure('an operand', thrown);
  }
}

/**
 * Reads `array[0 .. length)` once each, in order, into `values[offset ..]`, with the errors
 * of {@link readProperty}, and a TypeError at the first element that is not a number. One
 * exception handler around the whole loop: a few nanoseconds an element.
 */
export function readNumbers(array: readonly unknown[], owner: string, values: Float32Array, length: number, offset: number): void {
  let index = 0;
  let element: unknown;
  try {
    for (; index < length; index++) {
      element = array[index];
      if (typeof element !== 'number') break;
      values[offset + index] = element;
    }
  } catch (thrown) {
    throw readFailure(`${owner}[${index}]`, thrown);
  }
  if (index < length) throw notANumber(owner, index, element);
}

/** The TypeError for `owner[index]`, read as `element`, which is not a number (a nested array is told to flatten). */
export function notANumber(owner: string, index: number, element: unknown): TypeError {
  if (isArrayValue(element, `${owner}[${index}]`)) {
    return new TypeError(`${owner}[${index}] is an array: data must be flat, row-major numbers (flatten nested arrays with .flat())`);
  }
  return new TypeError(`${owner}[${index}] must be a number, got ${describe(element)}`);
}

/** `Array.isArray`, which throws only for a revoked Proxy: that becomes a TypeError naming `label`. */
export function isArrayValue(value: unknown, label: LazyText): value is readonly unknown[] {
  try {
    return Array.isArray(value);
  } catch (thrown) {
    throw new TypeError(`${textOf(label)} cannot be inspected: ${thrownSummary(thrown)}`, { cause: thrown });
  }
}

/** Copies an array (or array-like Proxy) element by element, each element read exactly once. */
function snapshotArray(array: readonly unknown[], label: string, maximumLength: number, tooLong: (length: number) => Error): unknown[] {
  const length: unknown = readProperty(array, 'length', label);
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new TypeError(`${label} has an invalid length ${describe(length)}`);
  }
  if (length > maximumLength) throw tooLong(length);
  const copy = new Array<unknown>(length);
  for (let index = 0; index < length; index++) copy[index] = readProperty(array, index, label);
  return copy;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/**
 * Validates a shape: an array of at most MAX_SHAPE_RANK non-negative integers, each at most
 * MAX_ELEMENTS, whose product is at most MAX_ELEMENTS. Each entry is read exactly once (a
 * getter or Proxy cannot change it afterwards) and the result is a fresh array. `label`
 * names the shape in messages; a function is called only when one is thrown.
 */
export function checkShape(shape: unknown, label: LazyText): number[] {
  if (!isArrayValue(shape, label)) {
    throw new TypeError(`${textOf(label)} must be an array of non-negative integers, got ${describe(shape)}`);
  }
  const entries = shape as readonly unknown[];
  let rank: unknown;
  try {
    rank = entries.length;
  } catch (thrown) {
    throw readFailure(`${textOf(label)}.length`, thrown);
  }
  if (typeof rank !== 'number' || !Number.isSafeInteger(rank) || rank < 0) {
    throw new TypeError(`${textOf(label)} has an invalid length ${describe(rank)}`);
  }
  if (rank > MAX_SHAPE_RANK) throw new RangeError(`${textOf(label)} has ${rank} dimensions; at most ${MAX_SHAPE_RANK} are supported`);
  const checked: number[] = [];
  let count = 1;
  let axis = 0;
  let extent: unknown;
  // One try around the loop (not one per entry); the first bad entry stops it and is named below.
  try {
    for (; axis < rank; axis++) {
      extent = entries[axis];
      if (typeof extent !== 'number' || !Number.isInteger(extent) || extent < 0 || extent > MAX_ELEMENTS) break;
      count *= extent;
      checked.push(extent === 0 ? 0 : extent); // -0 becomes 0
    }
  } catch (thrown) {
    throw readFailure(`${textOf(label)}[${axis}]`, thrown);
  }
  if (axis < rank) {
    if (typeof extent !== 'number') {
      throw new TypeError(`${textOf(label)}[${axis}] must be a number, got ${describe(extent)}`);
    }
    if (!Number.isInteger(extent) || extent < 0) {
      throw new RangeError(`${textOf(label)}[${axis}] must be a non-negative integer, got ${describe(extent)}`);
    }
    throw new RangeError(`${textOf(label)}[${axis}] is ${extent}: no axis can be longer than ${MAX_ELEMENTS}, the float32 values WASM memory holds`);
  }
  if (count > MAX_ELEMENTS) {
    throw new RangeError(`${textOf(label)} ${formatShape(checked)} has ${count} elements; WASM memory holds at most ${MAX_ELEMENTS} float32 values`);
  }
  return checked;
}

/** A result's shape: a fresh plain array (`Shape` is readonly to the type checker; freezing would cost more than the call). */
export function resultShape(extents: readonly number[]): number[] {
  return extents.slice();
}

export function elementCount(shape: Shape): number {
  let count = 1;
  for (const extent of shape) count *= extent;
  return count;
}

/** Row-major strides (in elements) of a contiguous array of `shape`. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis] as number;
  }
  return strides;
}

/** NumPy broadcasting: shapes aligned on the right, each pair of extents equal or one of them 1. */
export function broadcastShapes(first: Shape, second: Shape, firstName: string, secondName: string): number[] {
  const rank = Math.max(first.length, second.length);
  const result = new Array<number>(rank);
  for (let axis = 0; axis < rank; axis++) {
    const left = first[axis - (rank - first.length)] ?? 1;
    const right = second[axis - (rank - second.length)] ?? 1;
    if (left !== right && left !== 1 && right !== 1) {
      throw new RangeError(
        `cannot broadcast ${firstName} shape ${formatShape(first)} with ${secondName} shape ${formatShape(second)}: ` +
          `axis ${axis} of the broadcast has extents ${left} and ${right}`,
      );
    }
    result[axis] = left === 1 ? right : left;
  }
  return result;
}

/** Strides of an operand of `shape` read as the broadcast shape `target` (0 where broadcast). */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = contiguousStrides(shape);
  const offset = target.length - shape.length;
  return target.map((_, axis) => {
    const ownAxis = axis - offset;
    return ownAxis < 0 || shape[ownAxis] === 1 ? 0 : (own[ownAxis] as number);
  });
}

/** A message fragment, or a function building it: built only when an error needs it. */
export type LazyText = string | (() => string);

export function textOf(text: LazyText): string {
  return typeof text === 'string' ? text : text();
}

/** Wraps a dim (negative counts from the end) after checking it is an integer in [-rank, rank-1]. */
export function wrapDim(dim: unknown, rank: number, name: string, context: LazyText): number {
  if (typeof dim !== 'number') {
    throw new TypeError(`${name} must be an integer, got ${describe(dim)}`);
  }
  if (!Number.isInteger(dim)) {
    throw new RangeError(`${name} must be an integer, got ${describe(dim)}`);
  }
  if (rank === 0 || dim < -rank || dim >= rank) {
    const range = rank === 0 ? 'none: it has no dimensions' : `[${-rank}, ${rank - 1}]`;
    throw new RangeError(`${name} ${dim} is out of range for ${textOf(context)}: valid dims are ${range}`);
  }
  return dim < 0 ? dim + rank : dim;
}

/** A dim or a non-empty list of distinct dims, wrapped and sorted ascending. */
export function wrapDims(dim: unknown, rank: number, context: LazyText): number[] {
  if (!isArrayValue(dim, 'dim')) return [wrapDim(dim, rank, 'dim', context)];
  const entries = snapshotArray(
    dim,
    'dim',
    Math.max(rank, 1),
    (length) => new RangeError(`dim lists ${length} dims but ${textOf(context)} has only ${rank}`),
  );
  if (entries.length === 0) throw new RangeError('dim must be a dim or a non-empty array of dims, got []');
  const wrapped = entries.map((entry, index) => wrapDim(entry, rank, `dim[${index}]`, context));
  const sorted = [...wrapped].sort((left, right) => left - right);
  for (let index = 1; index < sorted.length; index++) {
    if (sorted[index] === sorted[index - 1]) {
      throw new RangeError(`dim ${describe(entries)} names dimension ${sorted[index]} twice`);
    }
  }
  return sorted;
}

/**
 * The prototype of every options snapshot: empty, frozen and itself without a prototype, so
 * an unset option reads as undefined even when `Object.prototype` was polluted. (A snapshot
 * made by `Object.create(null)` would do the same, but V8 keeps such objects in dictionary
 * mode, which cost about 0.1 µs per call.)
 */
const SNAPSHOT_PROTOTYPE: object = Object.freeze(Object.create(null) as object);

/**
 * Rejects option objects that are not plain objects or that carry unknown keys (typos), and
 * returns a snapshot: each allowed option is read exactly once, here, so a getter or Proxy
 * trap runs before any operand is validated and cannot change an option afterwards. A getter
 * or trap that throws becomes a TypeError naming the option.
 */
export function checkOptions(options: unknown, allowed: readonly string[], functionName: string): Record<string, unknown> {
  const snapshot = Object.create(SNAPSHOT_PROTOTYPE) as Record<string, unknown>;
  if (options === undefined) return snapshot;
  const label = `${functionName} options`;
  if (options === null || typeof options !== 'object' || isArrayValue(options, label)) {
    throw new TypeError(`${functionName} options must be an object, got ${describe(options)}`);
  }
  let keys: string[];
  try {
    keys = Object.keys(options);
  } catch (thrown) {
    throw new TypeError(`${functionName} options cannot be enumerated: ${thrownSummary(thrown)}`, { cause: thrown });
  }
  for (const key of keys) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${functionName} has no option ${JSON.stringify(key)}; its options are ${allowed.join(', ')}`);
    }
  }
  for (const key of allowed) {
    const value = readProperty(options, key, label);
    if (value === null) {
      // Not a silent default: `?? fallback` would take null for "unset" for some options only.
      throw new TypeError(`${functionName} option ${key} is null; leave it out (or undefined) for the default`);
    }
    if (value !== undefined) snapshot[key] = value;
  }
  return snapshot;
}

/** A finite, non-negative number option (undefined gives the default). */
export function nonNegativeOption(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number ≥ 0, got ${describe(value)}`);
  }
  return value;
}

export function booleanOption(value: unknown, fallback: boolean, name: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** One group of axes as the kernels take them: extents and one stride list per operand. */
export interface AxisGroup {
  extents: number[];
  firstStrides: number[];
  secondStrides: number[];
}

/**
 * Drops size-1 axes and merges neighbours that are contiguous with each other in both
 * operands (`stride[i] = stride[i+1]·extent[i+1]`). Row-major order over the group is
 * unchanged, so the output layout is unchanged.
 */
export function coalesce(group: AxisGroup): AxisGroup {
  const result: AxisGroup = { extents: [], firstStrides: [], secondStrides: [] };
  for (let axis = 0; axis < group.extents.length; axis++) {
    const extent = group.extents[axis] as number;
    const first = group.firstStrides[axis] as number;
    const second = group.secondStrides[axis] as number;
    if (extent === 1) continue;
    const last = result.extents.length - 1;
    if (
      last >= 0 &&
      extent !== 0 &&
      result.firstStrides[last] === first * extent &&
      result.secondStrides[last] === second * extent
    ) {
      result.extents[last] = (result.extents[last] as number) * extent;
      result.firstStrides[last] = first;
      result.secondStrides[last] = second;
      continue;
    }
    result.extents.push(extent);
    result.firstStrides.push(first);
    result.secondStrides.push(second);
  }
  return result;
}

// ---- the pairwise family: pairwiseCosine, pairwiseCosineBlocks, topK, meanCosine ----

/** An operand as far as shape checks go: a validated tensor or a corpus handle. */
export interface ShapedOperand {
  name: string;
  shape: readonly number[];
}

/** Sizes of a (batched) pairwise product. */
export interface PairSizes {
  batch: number;
  aRows: number;
  bRows: number;
  depth: number;
  batched: boolean;
}

/** `a` `[N,D]` or `[B,N,D]` and `b` of the same rank, D and B; no zero-size dims. */
export function pairSizes(first: ShapedOperand, second: ShapedOperand | null, functionName: string, ranks: readonly number[] = [2, 3]): PairSizes {
  const check = (entry: ShapedOperand) => {
    if (!ranks.includes(entry.shape.length)) {
      const wanted = ranks.length === 1 ? '[N, D]' : '[N, D] or [B, N, D]';
      throw new RangeError(`${functionName}: ${entry.name} must have shape ${wanted}, got ${formatShape(entry.shape)}`);
    }
    if (entry.shape.includes(0)) {
      throw new RangeError(`${functionName}: ${entry.name} has an empty dimension (shape ${formatShape(entry.shape)}); every dimension must be at least 1`);
    }
  };
  check(first);
  const other = second ?? first;
  if (second !== null) {
    check(second);
    if (second.shape.length !== first.shape.length) {
      throw new RangeError(`${functionName}: ${first.name} ${formatShape(first.shape)} and ${second.name} ${formatShape(second.shape)} must have the same rank`);
    }
  }
  const rank = first.shape.length;
  const depth = first.shape[rank - 1] as number;
  if (other.shape[rank - 1] !== depth) {
    throw new RangeError(
      `${functionName}: rows of ${first.name} ${formatShape(first.shape)} have length ${depth} but rows of ${other.name} ${formatShape(other.shape)} have length ${other.shape[rank - 1]}`,
    );
  }
  const batched = rank === 3;
  const batch = batched ? (first.shape[0] as number) : 1;
  if (batched && other.shape[0] !== batch) {
    throw new RangeError(`${functionName}: batch sizes differ: ${first.name} ${formatShape(first.shape)}, ${other.name} ${formatShape(other.shape)}`);
  }
  return { batch, aRows: first.shape[rank - 2] as number, bRows: other.shape[rank - 2] as number, depth, batched };
}

/** A finite number option (`scale`, `logitBias`, `margin`), which the kernels take as float32: it must stay finite once rounded to it. */
export function finiteOption(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${describe(value)}`);
  if (!Number.isFinite(Math.fround(value))) throw new RangeError(`${name} must be a number float32 holds (|${name}| up to about 3.4e38), got ${describe(value)}`);
  return value;
}

/** The pairwise result must fit in one wasm memory (as the single-thread function requires). */
export function checkPairwiseResult(sizes: PairSizes): readonly number[] {
  const { batch, aRows, bRows, batched } = sizes;
  const resultShape = Object.freeze(batched ? [batch, aRows, bRows] : [aRows, bRows]);
  const resultLength = batch * aRows * bRows;
  if (resultLength > MAX_ELEMENTS) {
    throw new RangeError(
      `pairwiseCosine: the result ${formatShape(resultShape)} has ${resultLength} elements, more than WASM memory holds; stream it with pairwiseCosineBlocks or keep only the best with topK`,
    );
  }
  return resultShape;
}

/** Rows per block of pairwiseCosineBlocks: `requested`, or as many as keep a block at or under 16 MiB. */
export function blockRowsFor(requested: unknown, aRows: number, bRows: number): number {
  let blockRows = Math.max(1, Math.min(aRows, Math.floor((4 * 1024 * 1024) / bRows)));
  if (requested !== undefined) {
    if (typeof requested !== 'number') throw new TypeError(`blockRows must be a positive integer, got ${describe(requested)}`);
    if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`blockRows must be a positive integer, got ${describe(requested)}`);
    blockRows = requested;
  }
  if (blockRows * bRows > MAX_ELEMENTS) {
    throw new RangeError(`pairwiseCosineBlocks: a block of ${blockRows} rows × ${bRows} columns is more than WASM memory holds; lower blockRows`);
  }
  return blockRows;
}

/** `k` and `excludeSelf` against the sizes of a top-k search. */
export function checkTopK(k: unknown, queryRows: number, corpusRows: number, excludeSelf: boolean): number {
  if (typeof k !== 'number') throw new TypeError(`k must be an integer, got ${describe(k)}`);
  const available = excludeSelf ? corpusRows - 1 : corpusRows;
  if (!Number.isInteger(k) || k < 1 || k > available) {
    const limit = excludeSelf ? `the corpus minus the query itself (${available})` : `the corpus size (${corpusRows})`;
    throw new RangeError(`k must be an integer from 1 to ${limit}, got ${describe(k)}`);
  }
  if (excludeSelf && queryRows > corpusRows) {
    throw new RangeError(`excludeSelf means the queries are the corpus, but there are ${queryRows} queries and ${corpusRows} corpus rows`);
  }
  return k;
}

/**
 * Checks that an object passed as `b` is not the options by mistake: an object that is no
 * array or typed array and has none of `data`, `shape` (a WasmTensor has its own) or `dims`.
 */
export function checkSecondOperand(b: unknown, functionName: string): void {
  let looksLikeOptions = false;
  if (b !== null && typeof b === 'object') {
    try {
      looksLikeOptions = !ArrayBuffer.isView(b) && !Array.isArray(b) && !('data' in b) && !('shape' in b) && !('dims' in b);
    } catch (thrown) {
      throw new TypeError(`${functionName}: b cannot be inspected (${describe(thrown)})`, { cause: thrown });
    }
  }
  if (looksLikeOptions) {
    throw new TypeError(
      `${functionName}: b must be a tensor { data, shape } or a WasmTensor, got an object without data/shape (to pass options without b, call ${functionName}(a, undefined, options))`,
    );
  }
}
