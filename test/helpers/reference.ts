// Plain float64 references written from the definitions, independent of the package:
// broadcasting by explicit index arithmetic, norms and sums in float64.

export type NumericArray = ArrayLike<number>;

export function product(shape: readonly number[]): number {
  return shape.reduce((count, extent) => count * extent, 1);
}

function stridesOf(shape: readonly number[]): number[] {
  const strides: number[] = [];
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  return strides;
}

export function broadcastShape(first: readonly number[], second: readonly number[]): number[] {
  const rank = Math.max(first.length, second.length);
  return Array.from({ length: rank }, (_, axis) => {
    const left = first[axis - (rank - first.length)] ?? 1;
    const right = second[axis - (rank - second.length)] ?? 1;
    if (left !== right && left !== 1 && right !== 1) throw new Error('not broadcastable');
    return Math.max(left, right) === 1 ? 1 : left === 1 ? right : left;
  });
}

/** Flat index into an operand of `shape` for a multi-index of the broadcast shape. */
function flatIndex(shape: readonly number[], index: readonly number[]): number {
  const strides = stridesOf(shape);
  const offset = index.length - shape.length;
  let flat = 0;
  for (let axis = 0; axis < shape.length; axis++) {
    if (shape[axis] !== 1) flat += index[axis + offset]! * strides[axis]!;
  }
  return flat;
}

function* multiIndices(shape: readonly number[]): Generator<number[]> {
  const count = product(shape);
  for (let flat = 0; flat < count; flat++) {
    const index = new Array<number>(shape.length);
    let rest = flat;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis] = rest % shape[axis]!;
      rest = Math.floor(rest / shape[axis]!);
    }
    yield index;
  }
}

/** PyTorch ≥ 2.1.2 cosine_similarity in float64, with broadcasting and a list of dims. */
export function cosineReference(
  x1: NumericArray,
  shape1: readonly number[],
  x2: NumericArray,
  shape2: readonly number[],
  dims: readonly number[],
  eps: number,
): { data: number[]; shape: number[] } {
  const shape = broadcastShape(shape1, shape2);
  const reduced = new Set(dims.map((dim) => (dim < 0 ? dim + shape.length : dim)));
  const keptAxes = shape.map((_, axis) => axis).filter((axis) => !reduced.has(axis));
  const reducedAxes = [...reduced].sort((left, right) => left - right);
  const outShape = keptAxes.map((axis) => shape[axis]!);
  const reducedShape = reducedAxes.map((axis) => shape[axis]!);
  const data: number[] = [];
  for (const keptIndex of multiIndices(outShape)) {
    let dot = 0;
    let first = 0;
    let second = 0;
    for (const reducedIndex of multiIndices(reducedShape)) {
      const index = new Array<number>(shape.length);
      keptAxes.forEach((axis, position) => (index[axis] = keptIndex[position]!));
      reducedAxes.forEach((axis, position) => (index[axis] = reducedIndex[position]!));
      const left = x1[flatIndex(shape1, index)]!;
      const right = x2[flatIndex(shape2, index)]!;
      dot += left * right;
      first += left * left;
      second += right * right;
    }
    data.push(dot / (Math.max(Math.sqrt(first), eps) * Math.max(Math.sqrt(second), eps)));
  }
  return { data, shape: outShape };
}

/** F.normalize in float64. */
export function normalizeReference(x: NumericArray, shape: readonly number[], p: number, dim: number, eps: number): number[] {
  const axis = dim < 0 ? dim + shape.length : dim;
  const outer = product(shape.slice(0, axis));
  const reduced = shape[axis]!;
  const inner = product(shape.slice(axis + 1));
  const result = new Array<number>(x.length);
  for (let outerIndex = 0; outerIndex < outer; outerIndex++) {
    for (let innerIndex = 0; innerIndex < inner; innerIndex++) {
      const at = (step: number) => (outerIndex * reduced + step) * inner + innerIndex;
      let norm = 0;
      for (let step = 0; step < reduced; step++) {
        const value = Math.abs(x[at(step)]!);
        if (p === 2) norm += value * value;
        else if (p === 1) norm += value;
        else norm = Number.isNaN(norm) || Number.isNaN(value) ? Number.NaN : Math.max(norm, value);
      }
      if (p === 2) norm = Math.sqrt(norm);
      const denominator = norm < eps ? eps : norm;
      for (let step = 0; step < reduced; step++) result[at(step)] = x[at(step)]! / denominator;
    }
  }
  return result;
}

/** float64 cosine matrix of row-major a [n,d] and b [m,d]. */
export function matrixReference(a: ArrayLike<number>, b: ArrayLike<number>, n: number, m: number, d: number, scale = 1, eps = 1e-8): number[] {
  const norm = (values: ArrayLike<number>, row: number) => {
    let sum = 0;
    for (let k = 0; k < d; k++) sum += values[row * d + k]! ** 2;
    return Math.max(Math.sqrt(sum), eps);
  };
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += a[i * d + k]! * b[j * d + k]!;
      out.push((scale * dot) / (norm(a, i) * norm(b, j)));
    }
  }
  return out;
}
