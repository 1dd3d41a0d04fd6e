// Float64 references for the robustness tests, written from the definitions and sharing no
// code with the package: broadcasting by explicit index arithmetic, PyTorch's formula
// Σ (a_k / max(‖a‖, eps)) · (b_k / max(‖b‖, eps)) term by term, so that empty vectors give
// 0 (an empty sum) and zero vectors with eps = 0 give NaN (0/0), as PyTorch does.
// A reference returns `{ error: 'RangeError' }` where the call is invalid for a shape
// reason (no broadcast, dim out of range), so the fuzz test knows which error to expect.

export type Outcome<T> = { ok: T } | { error: 'RangeError' | 'TypeError' };

export function product(shape: readonly number[]): number {
  let count = 1;
  for (const extent of shape) count *= extent;
  return count;
}

/** Row-major multi-index of flat position `flat` in `shape`. */
function unflatten(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  let rest = flat;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const extent = shape[axis]!;
    index[axis] = rest % extent;
    rest = Math.floor(rest / extent);
  }
  return index;
}

/** NumPy broadcast of two shapes, or null when they do not broadcast. */
export function broadcast(first: readonly number[], second: readonly number[]): number[] | null {
  const rank = Math.max(first.length, second.length);
  const result: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    const left = first[axis - rank + first.length] ?? 1;
    const right = second[axis - rank + second.length] ?? 1;
    if (left !== right && left !== 1 && right !== 1) return null;
    result.push(left === 1 ? right : left);
  }
  return result;
}

/** Flat index into an operand of `shape` for multi-index `index` of a broadcast shape. */
function sourceIndex(shape: readonly number[], index: readonly number[]): number {
  let flat = 0;
  const offset = index.length - shape.length;
  for (let axis = 0; axis < shape.length; axis++) {
    const extent = shape[axis]!;
    flat = flat * extent + (extent === 1 ? 0 : index[axis + offset]!);
  }
  return flat;
}

/** Wraps one dim; null when not an integer in [-rank, rank). */
function wrap(dim: number, rank: number): number | null {
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) return null;
  return dim < 0 ? dim + rank : dim;
}

export interface CosineCase {
  x1: ArrayLike<number>;
  shape1: readonly number[];
  x2: ArrayLike<number>;
  shape2: readonly number[];
  dims: number | readonly number[];
  eps: number;
  clamp: boolean;
  distance: boolean;
}

export function cosineReference(spec: CosineCase): Outcome<{ data: number[]; shape: number[] }> {
  const shape = broadcast(spec.shape1, spec.shape2);
  if (shape === null) return { error: 'RangeError' };
  const dimList = typeof spec.dims === 'number' ? [spec.dims] : [...spec.dims];
  if (dimList.length === 0) return { error: 'RangeError' };
  const reducedAxes: number[] = [];
  for (const dim of dimList) {
    const axis = wrap(dim, shape.length);
    if (axis === null || reducedAxes.includes(axis)) return { error: 'RangeError' };
    reducedAxes.push(axis);
  }
  reducedAxes.sort((left, right) => left - right);
  const keptAxes = shape.map((_, axis) => axis).filter((axis) => !reducedAxes.includes(axis));
  const outShape = keptAxes.map((axis) => shape[axis]!);
  const reducedShape = reducedAxes.map((axis) => shape[axis]!);
  const reducedCount = product(reducedShape);
  const data: number[] = [];
  const full = new Array<number>(shape.length);
  for (let kept = 0; kept < product(outShape); kept++) {
    const keptIndex = unflatten(kept, outShape);
    keptAxes.forEach((axis, position) => (full[axis] = keptIndex[position]!));
    const first: number[] = [];
    const second: number[] = [];
    for (let reduced = 0; reduced < reducedCount; reduced++) {
      const reducedIndex = unflatten(reduced, reducedShape);
      reducedAxes.forEach((axis, position) => (full[axis] = reducedIndex[position]!));
      first.push(spec.x1[sourceIndex(spec.shape1, full)]!);
      second.push(spec.x2[sourceIndex(spec.shape2, full)]!);
    }
    const norm = (values: number[]) => Math.sqrt(values.reduce((sum, value) => sum + value * value, 0));
    const firstScale = Math.max(norm(first), spec.eps);
    const secondScale = Math.max(norm(second), spec.eps);
    let similarity = 0;
    for (let step = 0; step < first.length; step++) similarity += (first[step]! / firstScale) * (second[step]! / secondScale);
    if (spec.clamp && !Number.isNaN(similarity)) similarity = Math.min(1, Math.max(-1, similarity));
    data.push(spec.distance ? 1 - similarity : similarity);
  }
  return { ok: { data, shape: outShape } };
}

export interface NormalizeCase {
  x: ArrayLike<number>;
  shape: readonly number[];
  p: number;
  dim: number;
  eps: number;
}

export function normalizeReference(spec: NormalizeCase): Outcome<number[]> {
  const axis = wrap(spec.dim, spec.shape.length);
  if (axis === null) return { error: 'RangeError' };
  const outer = product(spec.shape.slice(0, axis));
  const reduced = spec.shape[axis]!;
  const inner = product(spec.shape.slice(axis + 1));
  const result = new Array<number>(spec.x.length).fill(0);
  for (let outerIndex = 0; outerIndex < outer; outerIndex++) {
    for (let innerIndex = 0; innerIndex < inner; innerIndex++) {
      const at = (step: number) => (outerIndex * reduced + step) * inner + innerIndex;
      let norm = 0;
      for (let step = 0; step < reduced; step++) {
        const magnitude = Math.abs(spec.x[at(step)]!);
        if (spec.p === 1) norm += magnitude;
        else if (spec.p === 2) norm += magnitude * magnitude;
        else norm = Number.isNaN(norm) || Number.isNaN(magnitude) ? Number.NaN : Math.max(norm, magnitude);
      }
      if (spec.p === 2) norm = Math.sqrt(norm);
      const denominator = Number.isNaN(norm) ? Number.NaN : Math.max(norm, spec.eps);
      for (let step = 0; step < reduced; step++) result[at(step)] = spec.x[at(step)]! / denominator;
    }
  }
  return { ok: result };
}

/** Pairwise cosine of `a` [..., N, D] with `b` [..., M, D] (same leading batch), times `scale`. */
export function pairwiseReference(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  eps: number,
  scale: number,
): number[] {
  const depth = aShape[aShape.length - 1]!;
  const aRows = aShape[aShape.length - 2]!;
  const bRows = bShape[bShape.length - 2]!;
  const batch = aShape.length === 3 ? aShape[0]! : 1;
  const result: number[] = [];
  const row = (values: ArrayLike<number>, start: number) => Array.from({ length: depth }, (_, k) => values[start + k]!);
  for (let batchIndex = 0; batchIndex < batch; batchIndex++) {
    for (let i = 0; i < aRows; i++) {
      for (let j = 0; j < bRows; j++) {
        const left = row(a, (batchIndex * aRows + i) * depth);
        const right = row(b, (batchIndex * bRows + j) * depth);
        const outcome = cosineReference({ x1: left, shape1: [depth], x2: right, shape2: [depth], dims: 0, eps, clamp: false, distance: false });
        if (!('ok' in outcome)) throw new Error('unreachable');
        result.push(scale * outcome.ok.data[0]!);
      }
    }
  }
  return result;
}
