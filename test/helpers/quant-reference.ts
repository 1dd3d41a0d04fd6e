// Independent references for the storage formats, written from SPEC.md's definitions (not
// from the kernels): sentence-transformers' int8/uint8 codes in float32 steps (Math.fround
// after every operation), np.packbits bit order, binary16 by nearest-value search over all
// 65 536 halves, and the quantised cosines and top-k order in float64.

export type Dtype = 'float16' | 'int8' | 'uint8' | 'binary' | 'ubinary';

const f32 = Math.fround;

/** Per-dim mins then maxs of `rows` `[n, depth]`. */
export function rangesOf(values: ArrayLike<number>, rows: number, depth: number): Float32Array {
  const ranges = new Float32Array(2 * depth);
  for (let dim = 0; dim < depth; dim++) {
    let low = Infinity;
    let high = -Infinity;
    for (let row = 0; row < rows; row++) {
      const value = values[row * depth + dim]!;
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
    ranges[dim] = low;
    ranges[depth + dim] = high;
  }
  return ranges;
}

/** int8 (signed) or uint8 codes of `values` `[rows, depth]`, every step rounded to float32. */
export function integerCodes(values: ArrayLike<number>, rows: number, depth: number, ranges: ArrayLike<number>, signed: boolean): Int8Array | Uint8Array {
  const codes = signed ? new Int8Array(rows * depth) : new Uint8Array(rows * depth);
  for (let row = 0; row < rows; row++) {
    for (let dim = 0; dim < depth; dim++) {
      const low = ranges[dim]!;
      const step = f32(f32(ranges[depth + dim]! - low) / 255);
      const q = step === 0 ? 0 : f32(f32(values[row * depth + dim]! - low) / step);
      codes[row * depth + dim] = signed ? Math.min(127, Math.max(-128, Math.trunc(f32(q - 128)))) : Math.min(255, Math.max(0, Math.trunc(q)));
    }
  }
  return codes;
}

/** Per-dim means of `rows`, summed and divided in float64, rounded once to float32. */
export function meansOf(values: ArrayLike<number>, rows: number, depth: number): Float32Array {
  const means = new Float32Array(depth);
  for (let dim = 0; dim < depth; dim++) {
    let sum = 0;
    for (let row = 0; row < rows; row++) sum += values[row * depth + dim]!;
    means[dim] = sum / rows;
  }
  return means;
}

/** Packed bits `x > threshold` (first dimension in the most significant bit); binary stores byte − 128. */
export function packedBits(values: ArrayLike<number>, rows: number, depth: number, thresholds: ArrayLike<number> | null, signed: boolean): Int8Array | Uint8Array {
  const bytes = new Uint8Array((rows * depth) / 8);
  for (let row = 0; row < rows; row++) {
    for (let dim = 0; dim < depth; dim++) {
      const value = values[row * depth + dim]!;
      if (value > (thresholds === null ? 0 : thresholds[dim]!)) bytes[(row * depth + dim) >> 3]! |= 0x80 >> (dim & 7);
    }
  }
  return signed ? Int8Array.from(bytes, (byte) => byte - 128) : bytes;
}

/** The value of a binary16 bit pattern, exactly. */
export function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

let finiteHalves: { values: Float64Array; bits: Uint16Array } | null = null;

/** Every finite non-negative half, ascending. */
function halvesTable(): { values: Float64Array; bits: Uint16Array } {
  if (finiteHalves === null) {
    const count = 0x7c00; // 0x0000 .. 0x7bff: +0 up to 65504
    const values = new Float64Array(count);
    const bits = new Uint16Array(count);
    for (let pattern = 0; pattern < count; pattern++) {
      values[pattern] = halfValue(pattern);
      bits[pattern] = pattern;
    }
    finiteHalves = { values, bits };
  }
  return finiteHalves;
}

/** The binary16 nearest to `value` (ties to the even pattern), ±Inf beyond the rounding range, NaN → a NaN pattern. */
export function halfBits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const negative = value < 0 || Object.is(value, -0);
  const magnitude = Math.abs(value);
  const sign = negative ? 0x8000 : 0;
  // 65520 = 65504 + half an ulp (16): from there on, round to nearest even gives infinity.
  if (magnitude >= 65520) return sign | 0x7c00;
  const { values, bits } = halvesTable();
  let low = 0;
  let high = values.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (values[middle]! <= magnitude) low = middle;
    else high = middle;
  }
  const below = values[low]!;
  const above = values[high]!;
  let chosen: number;
  if (magnitude - below < above - magnitude) chosen = bits[low]!;
  else if (magnitude - below > above - magnitude) chosen = bits[high]!;
  else chosen = (bits[low]! & 1) === 0 ? bits[low]! : bits[high]!;
  if (magnitude === above) chosen = bits[high]!;
  return sign | chosen;
}

/** Row `row` of stored data as the vector it stands for (codes; uint8 minus 128; bits as ±1; float16 values). */
export function storedRow(dtype: Dtype, data: ArrayLike<number>, row: number, depth: number): Float64Array {
  const vector = new Float64Array(depth);
  if (dtype === 'binary' || dtype === 'ubinary') {
    for (let dim = 0; dim < depth; dim++) {
      const byte = (data[(row * depth + dim) >> 3]! + (dtype === 'binary' ? 128 : 0)) & 0xff;
      vector[dim] = byte & (0x80 >> (dim & 7)) ? 1 : -1;
    }
    return vector;
  }
  for (let dim = 0; dim < depth; dim++) {
    const stored = data[row * depth + dim]!;
    vector[dim] = dtype === 'float16' ? halfValue(stored) : dtype === 'uint8' ? stored - 128 : stored;
  }
  return vector;
}

/** float64 cosine with each norm clamped by eps. */
export function cosine64(first: ArrayLike<number>, second: ArrayLike<number>, eps = 1e-8): number {
  let dot = 0;
  let firstSquared = 0;
  let secondSquared = 0;
  for (let index = 0; index < first.length; index++) {
    dot += first[index]! * second[index]!;
    firstSquared += first[index]! * first[index]!;
    secondSquared += second[index]! * second[index]!;
  }
  return dot / (Math.max(Math.sqrt(firstSquared), eps) * Math.max(Math.sqrt(secondSquared), eps));
}

/**
 * The quantised cosine of two integer or bit vectors exactly as the contract states it:
 * exact integer sums, `dot / sqrt(na·nb)` in float64, rounded once to float32 (binary: `(D −
 * 2·hamming) / D`); a zero vector scores 0.
 */
export function integerScore(first: ArrayLike<number>, second: ArrayLike<number>): number {
  let dot = 0;
  let firstSquared = 0;
  let secondSquared = 0;
  for (let index = 0; index < first.length; index++) {
    dot += first[index]! * second[index]!;
    firstSquared += first[index]! * first[index]!;
    secondSquared += second[index]! * second[index]!;
  }
  if (firstSquared === 0 || secondSquared === 0) return 0;
  return f32(dot / Math.sqrt(firstSquared * secondSquared));
}

/** Indices of `scores` in top-k order: higher first, NaN above all, ties by lower index. */
export function rankOrder(scores: ArrayLike<number>, skip = -1): number[] {
  const order: number[] = [];
  for (let index = 0; index < scores.length; index++) if (index !== skip) order.push(index);
  return order.sort((left, right) => {
    const a = scores[left]!;
    const b = scores[right]!;
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? left - right : Number.isNaN(a) ? -1 : 1;
    return a === b ? left - right : b - a;
  });
}

/** The decoded value rescoring uses for an int8/uint8 code: the middle of its interval of q, times step, plus min (float32 steps). */
export function decodedCode(dtype: 'int8' | 'uint8', code: number, low: number, high: number): number {
  const step = f32(f32(high - low) / 255);
  const offset = dtype === 'uint8' ? code + 0.5 : code < 0 ? code + 127.5 : code === 0 ? 128 : code + 128.5;
  return f32(f32(offset * step) + low);
}
