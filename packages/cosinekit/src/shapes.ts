// Shapes, broadcasting, dims and option checks: every validation of the public API lives
// here, so every message has one wording, and every error is thrown before any memory is
// allocated or any kernel runs.

/** A row-major, contiguous shape. */
export type Shape = readonly number[];

/** Largest element count of one operand: 2^30 float32 values = 4 GiB, all of wasm32 memory. */
export const MAX_ELEMENTS = 2 ** 30;
/** Most axes a kernel accepts after size-1 axes are dropped and contiguous axes merged. */
export const MAX_KERNEL_RANK = 16;

/** A short description of any value, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'boolean' || typeof value === 'symbol') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return value.length <= 8 ? `[${value.map(describe).join(',')}]` : `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Validates a shape (array of non-negative safe integers, at most MAX_ELEMENTS elements). */
export function checkShape(shape: unknown, name: string): number[] {
  if (!Array.isArray(shape)) {
    throw new TypeError(`${name} must be an array of non-negative integers, got ${describe(shape)}`);
  }
  const checked: number[] = [];
  let count = 1;
  for (let axis = 0; axis < shape.length; axis++) {
    const extent: unknown = shape[axis];
    if (typeof extent !== 'number') {
      throw new TypeError(`${name}[${axis}] must be a number, got ${describe(extent)}`);
    }
    if (!Number.isInteger(extent) || extent < 0) {
      throw new RangeError(`${name}[${axis}] must be a non-negative integer, got ${describe(extent)}`);
    }
    count *= extent;
    checked.push(extent);
  }
  if (count > MAX_ELEMENTS) {
    throw new RangeError(`${name} ${formatShape(checked)} has ${count} elements; WASM memory holds at most ${MAX_ELEMENTS} float32 values`);
  }
  return checked;
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

/** Wraps a dim (negative counts from the end) after checking it is an integer in [-rank, rank-1]. */
export function wrapDim(dim: unknown, rank: number, name: string, context: string): number {
  if (typeof dim !== 'number') {
    throw new TypeError(`${name} must be an integer, got ${describe(dim)}`);
  }
  if (!Number.isInteger(dim)) {
    throw new RangeError(`${name} must be an integer, got ${describe(dim)}`);
  }
  if (rank === 0 || dim < -rank || dim >= rank) {
    const range = rank === 0 ? 'none: it has no dimensions' : `[${-rank}, ${rank - 1}]`;
    throw new RangeError(`${name} ${dim} is out of range for ${context}: valid dims are ${range}`);
  }
  return dim < 0 ? dim + rank : dim;
}

/** A dim or a non-empty list of distinct dims, wrapped and sorted ascending. */
export function wrapDims(dim: unknown, rank: number, context: string): number[] {
  if (!Array.isArray(dim)) return [wrapDim(dim, rank, 'dim', context)];
  if (dim.length === 0) throw new RangeError('dim must be a dim or a non-empty array of dims, got []');
  const wrapped = dim.map((entry: unknown, index) => wrapDim(entry, rank, `dim[${index}]`, context));
  const sorted = [...wrapped].sort((left, right) => left - right);
  for (let index = 1; index < sorted.length; index++) {
    if (sorted[index] === sorted[index - 1]) {
      throw new RangeError(`dim ${describe(dim)} names dimension ${sorted[index]} twice`);
    }
  }
  return sorted;
}

/** Rejects option objects that are not plain objects or that carry unknown keys (typos). */
export function checkOptions(options: unknown, allowed: readonly string[], functionName: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${functionName} options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${functionName} has no option ${JSON.stringify(key)}; its options are ${allowed.join(', ')}`);
    }
  }
  return options as Record<string, unknown>;
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
