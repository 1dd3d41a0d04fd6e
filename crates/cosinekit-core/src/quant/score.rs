//! Scores of quantised rows (the cosine of the vectors they stand for) and quantised
//! pairwise matrices; [`super::topk`] searches with the same scores.
//!
//! # Numerics
//! - **int8 / uint8**: the values are the codes (int8) or `u − 128` (uint8, the byte XOR
//!   0x80 read as i8). `dot`, `‖a‖²`, `‖b‖²` are exact integer sums, so every kernel,
//!   blocking and instruction set gives the same sums. The lane kernels keep i32x4 lanes
//!   (`i32x4.dot_i16x8_s` of codes widened to i16, 4 products per lane per 16 dims) and are
//!   used for `D ≤` [`CODES_LANE_MAX_DEPTH`] (every sum then stays below 2³⁰ in magnitude);
//!   above it the scalar reference sums in i64 (same values, slower). The score is
//!   `(dot as f64 / sqrt_f64(‖a‖² as f64 · ‖b‖² as f64)) as f32` ([`score_codes_from_sums`]);
//!   a zero code vector scores 0. No eps: code norms are integers, 0 or ≥ 1.
//! - **binary / ubinary**: ±1 per bit, so `cos = (D − 2·hamming) / D`, computed as
//!   `((D − 2h) as f64 / D as f64) as f32` ([`score_binary_from_hamming`]); D = 0 ⇒ 0.
//!   Hamming distances are exact: XOR and `i64.popcnt` per 8-byte word (measured faster in
//!   V8 than `i8x16.popcnt`, see [`score_lanes::hamming_words4`]; top-k's query groups use
//!   the same words interleaved, [`score_lanes::hamming_interleaved`], and the lane kernel
//!   [`score_lanes::hamming_pairs`] gives the same distances); `binary` bytes are `ubinary`
//!   bytes XOR 0x80 on both sides, so the two dtypes give the same distances.
//! - **float16** (pairwise: both operands float16): rows decoded exactly to float32 in
//!   registers ([`crate::lanes::F16x8`]). `dot`, `‖a‖²`, `‖b‖²` are float32 sums with two
//!   accumulators of four lanes per quantity and pair (even and odd positions of each
//!   group of 8), combined as `(even + odd)` then the pairwise horizontal sum, then the
//!   last `D % 8` elements in order; multiply and add are separate on simd128 and the
//!   portable lanes (bit-identical to each other) and may fuse with relaxed-simd. Decoded
//!   values are at most 65504 in magnitude and at least 2⁻²⁴ when nonzero, so the float32
//!   sums can neither overflow nor underflow for any realistic D (no float64 rescue is
//!   needed). `cos = dot / (max(‖a‖, eps) · max(‖b‖, eps))` in float64 from the float32
//!   sums (eps clamps each norm separately, as [`crate::cosine`]), rounded to float32.
//!   A row holding ±∞ or NaN scores NaN against everything.
//! - Pairwise entries are `score · scale` (one float32 multiply after the score), not
//!   clamped. For int8/uint8/binary/ubinary with scale 1 the entry `[q, j]` is bit for bit
//!   the score top-k reports for query q and corpus row j.
//! - An entry depends only on its two rows (and eps): the same rows give the same bits in
//!   any position, block or call.

#[path = "score_lanes.rs"]
pub mod score_lanes;
#[path = "score_scratch.rs"]
pub(crate) mod score_scratch;

use super::StorageDtype;
use score_lanes::{
    HalfRowSums, code_value, codes_dot_queries, codes_squared_norm, f32_dot_even_odd, f32_from_f16_bits, half_decode_row, hamming_words1, hamming_words4,
    widen_codes, WIDE_CHUNK_BYTES, CODE_CHUNK,
};
use score_scratch::{carve, piece_bytes};
use crate::KernelError;
use crate::lanes::{F16x8, I8x16, NativeF16x8, NativeI8x16};
use crate::math::{clamp_min_f64, sqrt_f64};

/// Largest depth the int8/uint8 lane kernels take (their i32 sums stay exact far beyond:
/// `|Σ| ≤ 16384·D ≤ 2³⁰`); deeper rows use the i64 scalar reference, with the same results.
pub const CODES_LANE_MAX_DEPTH: usize = 65_536;

/// Rows of the second operand per tile of a quantised pairwise matrix.
pub const PAIRWISE_TILE_ROWS: usize = 256;

/// Exact integer sums of a pair of code rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeSums {
    /// `Σ aₖ·bₖ`.
    pub dot: i64,
    /// `Σ aₖ²`.
    pub first_squared: i64,
    /// `Σ bₖ²`.
    pub second_squared: i64,
}

/// The int8/uint8 score from exact sums: `(dot / sqrt(‖a‖²·‖b‖²))` in float64, rounded to
/// float32; 0 when either squared norm is 0.
#[inline]
pub fn score_codes_from_sums(dot: i64, first_squared: i64, second_squared: i64) -> f32 {
    if first_squared == 0 || second_squared == 0 {
        return 0.0;
    }
    (dot as f64 / sqrt_f64(first_squared as f64 * second_squared as f64)) as f32
}

/// The binary/ubinary score of a Hamming distance over `depth` bits: `(D − 2h) / D` in
/// float64, rounded to float32; 0 when `depth` is 0.
#[inline]
pub fn score_binary_from_hamming(hamming: u64, depth: usize) -> f32 {
    if depth == 0 {
        return 0.0;
    }
    ((depth as i64 - 2 * hamming as i64) as f64 / depth as f64) as f32
}

/// The float16 score from float32 sums: `dot / (max(‖a‖, eps) · max(‖b‖, eps))` in float64,
/// rounded to float32 (NaN in, NaN out).
#[inline]
pub fn score_half_from_sums(dot: f32, first_squared: f32, second_squared: f32, eps: f32) -> f32 {
    let eps = f64::from(eps);
    let first = clamp_min_f64(sqrt_f64(f64::from(first_squared)), eps);
    let second = clamp_min_f64(sqrt_f64(f64::from(second_squared)), eps);
    (f64::from(dot) / (first * second)) as f32
}

/// Scalar reference: exact sums of two int8 (`flip` false) or uint8 (`flip` true) code
/// rows (the shorter length is used).
pub fn dot_norms_codes_scalar(first: &[u8], second: &[u8], flip: bool) -> CodeSums {
    let mut sums = CodeSums { dot: 0, first_squared: 0, second_squared: 0 };
    for (&left, &right) in first.iter().zip(second) {
        let (left, right) = (i64::from(code_value(left, flip)), i64::from(code_value(right, flip)));
        sums.dot += left * right;
        sums.first_squared += left * left;
        sums.second_squared += right * right;
    }
    sums
}

/// Scalar reference: the Hamming distance of two bit rows (the shorter length is used).
pub fn hamming_scalar(first: &[u8], second: &[u8]) -> u64 {
    first.iter().zip(second).map(|(&left, &right)| u64::from((left ^ right).count_ones())).sum()
}

/// Float32 sums of a pair of float16 rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HalfPairSums {
    /// `Σ aₖ·bₖ`.
    pub dot: f32,
    /// `Σ aₖ²`.
    pub first_squared: f32,
    /// `Σ bₖ²`.
    pub second_squared: f32,
    /// Whether either row holds ±∞ or NaN.
    pub non_finite: bool,
}

/// Scalar reference: float32 sums of two float16 rows decoded one value at a time, four
/// partial sums per quantity (a different order from the lane kernels: results agree
/// within rounding, not bit for bit).
pub fn dot_norms_half_scalar(first: &[u16], second: &[u16]) -> HalfPairSums {
    let mut partial = [[0.0f32; 4]; 3];
    let mut non_finite = false;
    for (position, (&left, &right)) in first.iter().zip(second).enumerate() {
        let (left, right) = (f32_from_f16_bits(left), f32_from_f16_bits(right));
        non_finite |= !left.is_finite() || !right.is_finite();
        let lane = position % 4;
        partial[0][lane] += left * right;
        partial[1][lane] += left * left;
        partial[2][lane] += right * right;
    }
    let combine = |sums: [f32; 4]| (sums[0] + sums[1]) + (sums[2] + sums[3]);
    HalfPairSums { dot: combine(partial[0]), first_squared: combine(partial[1]), second_squared: combine(partial[2]), non_finite }
}

/// Geometry of a quantised pairwise call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantizedPairwiseShape {
    /// Rows of the first operand.
    pub a_rows: usize,
    /// Rows of the second operand.
    pub b_rows: usize,
    /// D: dimensions per row (bits for binary/ubinary).
    pub depth: usize,
}

/// Bytes of scratch [`pairwise_quantized_codes_f32`] / [`pairwise_quantized_float16_f32`]
/// need for `dtype` (`None` when the sizes overflow or a binary depth is not a multiple
/// of 8): int8/uint8 — the first operand widened to i16 and both operands' squared norms;
/// binary — the table of the D + 1 possible scores; float16 — the first operand and one
/// tile of the second decoded to float32, and their norms.
pub fn pairwise_quantized_scratch_len(dtype: StorageDtype, a_rows: usize, b_rows: usize, depth: usize) -> Option<usize> {
    dtype.row_elements(depth)?;
    match dtype {
        StorageDtype::Int8 | StorageDtype::Uint8 => {
            let wide = a_rows.checked_mul(depth / CODE_CHUNK)?.checked_mul(WIDE_CHUNK_BYTES)?;
            wide.checked_add(piece_bytes::<i64>(a_rows)?)?.checked_add(piece_bytes::<i64>(b_rows)?)
        }
        StorageDtype::Binary | StorageDtype::Ubinary => piece_bytes::<f32>(depth.checked_add(1)?),
        StorageDtype::Float16 => {
            let tile = b_rows.min(PAIRWISE_TILE_ROWS);
            piece_bytes::<f32>(a_rows.checked_mul(depth)?)?
                .checked_add(piece_bytes::<f32>(tile.checked_mul(depth)?)?)?
                .checked_add(piece_bytes::<f64>(a_rows)?)?
                .checked_add(piece_bytes::<f64>(tile)?)
        }
    }
}

fn check_pairwise(elements_per_row: usize, a_len: usize, b_len: usize, shape: QuantizedPairwiseShape, out_len: usize) -> Result<(), KernelError> {
    let QuantizedPairwiseShape { a_rows, b_rows, .. } = shape;
    if Some(a_len) != a_rows.checked_mul(elements_per_row) || Some(b_len) != b_rows.checked_mul(elements_per_row) {
        return Err(KernelError::OutOfBounds);
    }
    if Some(out_len) != a_rows.checked_mul(b_rows) {
        return Err(KernelError::OutputLength);
    }
    Ok(())
}

/// `out[i·b_rows + j] = scale · score(a row i, b row j)` for int8, uint8, binary or ubinary
/// rows (`a`, `b` row-major, `D` bytes per row, `D / 8` for the bit dtypes; `a` and `b` may
/// be the same slice). Errors, before anything is written: `dtype` float16, or a binary
/// depth not a multiple of 8 → [`KernelError::InvalidArgument`]; operand lengths other than
/// rows × row bytes → [`KernelError::OutOfBounds`]; `out` not `a_rows · b_rows` →
/// [`KernelError::OutputLength`]; scratch shorter than [`pairwise_quantized_scratch_len`]
/// → [`KernelError::InvalidArgument`].
pub fn pairwise_quantized_codes_f32(
    dtype: StorageDtype,
    a: &[u8],
    b: &[u8],
    shape: QuantizedPairwiseShape,
    scale: f32,
    out: &mut [f32],
    scratch: &mut [u8],
) -> Result<(), KernelError> {
    if dtype == StorageDtype::Float16 {
        return Err(KernelError::InvalidArgument);
    }
    let row_bytes = dtype.row_elements(shape.depth).ok_or(KernelError::InvalidArgument)?;
    check_pairwise(row_bytes, a.len(), b.len(), shape, out.len())?;
    let needed = pairwise_quantized_scratch_len(dtype, shape.a_rows, shape.b_rows, shape.depth).ok_or(KernelError::OutOfBounds)?;
    if scratch.len() < needed {
        return Err(KernelError::InvalidArgument);
    }
    if out.is_empty() {
        return Ok(());
    }
    if dtype.is_binary() {
        pairwise_binary(a, b, shape, row_bytes, scale, out, scratch);
    } else if shape.depth > CODES_LANE_MAX_DEPTH || shape.depth == 0 {
        let flip = dtype == StorageDtype::Uint8;
        for (i, out_row) in out.chunks_exact_mut(shape.b_rows).enumerate() {
            let a_row = &a[i * row_bytes..(i + 1) * row_bytes];
            for (j, slot) in out_row.iter_mut().enumerate() {
                let sums = dot_norms_codes_scalar(a_row, &b[j * row_bytes..(j + 1) * row_bytes], flip);
                *slot = score_codes_from_sums(sums.dot, sums.first_squared, sums.second_squared) * scale;
            }
        }
    } else {
        if dtype == StorageDtype::Uint8 {
            pairwise_codes::<NativeI8x16, true>(a, b, shape, scale, out, scratch);
        } else {
            pairwise_codes::<NativeI8x16, false>(a, b, shape, scale, out, scratch);
        }
    }
    Ok(())
}

/// Groups of first-operand rows per step of the pairwise kernels.
const PAIRWISE_GROUP: usize = 4;

fn pairwise_codes<V: I8x16, const FLIP: bool>(a: &[u8], b: &[u8], shape: QuantizedPairwiseShape, scale: f32, out: &mut [f32], scratch: &mut [u8]) {
    let QuantizedPairwiseShape { a_rows, b_rows, depth } = shape;
    let wide_row = depth / CODE_CHUNK * WIDE_CHUNK_BYTES;
    let (wide, rest) = scratch.split_at_mut(a_rows * wide_row);
    let Some((a_norms, rest)) = carve::<i64>(rest, a_rows) else { return };
    let Some((b_norms, _)) = carve::<i64>(rest, b_rows) else { return };
    for (i, norm) in a_norms.iter_mut().enumerate() {
        let row = &a[i * depth..(i + 1) * depth];
        widen_codes::<V, FLIP>(row, &mut wide[i * wide_row..(i + 1) * wide_row]);
        *norm = i64::from(codes_squared_norm::<V, FLIP>(row));
    }
    for (j, norm) in b_norms.iter_mut().enumerate() {
        *norm = i64::from(codes_squared_norm::<V, FLIP>(&b[j * depth..(j + 1) * depth]));
    }
    let a_row = |i: usize| &a[i * depth..(i + 1) * depth];
    let a_wide = |i: usize| &wide[i * wide_row..(i + 1) * wide_row];
    let full_groups = a_rows / PAIRWISE_GROUP;
    for tile_start in (0..b_rows).step_by(PAIRWISE_TILE_ROWS) {
        let tile_end = (tile_start + PAIRWISE_TILE_ROWS).min(b_rows);
        for group in 0..full_groups {
            let first = group * PAIRWISE_GROUP;
            let rows: [usize; PAIRWISE_GROUP] = core::array::from_fn(|offset| first + offset);
            for j in tile_start..tile_end {
                let dots = codes_dot_queries::<V, FLIP, PAIRWISE_GROUP>(rows.map(a_row), rows.map(a_wide), &b[j * depth..(j + 1) * depth]);
                for (offset, &dot) in dots.iter().enumerate() {
                    let i = first + offset;
                    out[i * b_rows + j] = score_codes_from_sums(i64::from(dot), a_norms[i], b_norms[j]) * scale;
                }
            }
        }
        for i in full_groups * PAIRWISE_GROUP..a_rows {
            for j in tile_start..tile_end {
                let [dot] = codes_dot_queries::<V, FLIP, 1>([a_row(i)], [a_wide(i)], &b[j * depth..(j + 1) * depth]);
                out[i * b_rows + j] = score_codes_from_sums(i64::from(dot), a_norms[i], b_norms[j]) * scale;
            }
        }
    }
}

fn pairwise_binary(a: &[u8], b: &[u8], shape: QuantizedPairwiseShape, row_bytes: usize, scale: f32, out: &mut [f32], scratch: &mut [u8]) {
    let QuantizedPairwiseShape { a_rows, b_rows, depth } = shape;
    let Some((table, _)) = carve::<f32>(scratch, depth + 1) else { return };
    for (hamming, slot) in table.iter_mut().enumerate() {
        *slot = score_binary_from_hamming(hamming as u64, depth);
    }
    let a_row = |i: usize| &a[i * row_bytes..(i + 1) * row_bytes];
    let full_groups = a_rows / PAIRWISE_GROUP;
    for tile_start in (0..b_rows).step_by(PAIRWISE_TILE_ROWS) {
        let tile_end = (tile_start + PAIRWISE_TILE_ROWS).min(b_rows);
        for group in 0..full_groups {
            let first = group * PAIRWISE_GROUP;
            let lefts: [&[u8]; PAIRWISE_GROUP] = core::array::from_fn(|offset| a_row(first + offset));
            for j in tile_start..tile_end {
                let right = &b[j * row_bytes..(j + 1) * row_bytes];
                let distances = hamming_words4(lefts, [right; PAIRWISE_GROUP]);
                for (offset, &distance) in distances.iter().enumerate() {
                    out[(first + offset) * b_rows + j] = table[distance as usize] * scale;
                }
            }
        }
        for i in full_groups * PAIRWISE_GROUP..a_rows {
            for j in tile_start..tile_end {
                let distance = hamming_words1(a_row(i), &b[j * row_bytes..(j + 1) * row_bytes]);
                out[i * b_rows + j] = table[distance as usize] * scale;
            }
        }
    }
}

/// `out[i·b_rows + j] = scale · score(a row i, b row j)` for float16 rows (`a`, `b` u16
/// row-major `[rows, D]`, may be the same slice); see the module's Numerics. Errors, before
/// anything is written: operand lengths other than rows × D → [`KernelError::OutOfBounds`];
/// `out` not `a_rows · b_rows` → [`KernelError::OutputLength`]; scratch shorter than
/// [`pairwise_quantized_scratch_len`] → [`KernelError::InvalidArgument`].
pub fn pairwise_quantized_float16_f32(
    a: &[u16],
    b: &[u16],
    shape: QuantizedPairwiseShape,
    eps: f32,
    scale: f32,
    out: &mut [f32],
    scratch: &mut [u8],
) -> Result<(), KernelError> {
    check_pairwise(shape.depth, a.len(), b.len(), shape, out.len())?;
    let needed = pairwise_quantized_scratch_len(StorageDtype::Float16, shape.a_rows, shape.b_rows, shape.depth).ok_or(KernelError::OutOfBounds)?;
    if scratch.len() < needed {
        return Err(KernelError::InvalidArgument);
    }
    if out.is_empty() {
        return Ok(());
    }
    pairwise_half::<NativeF16x8>(a, b, shape, eps, scale, out, scratch);
    Ok(())
}

/// `max(‖row‖, eps)` in float64 from a row's sums; NaN for a row holding ±∞ or NaN.
#[inline]
pub(crate) fn clamped_half_norm(sums: HalfRowSums, eps: f32) -> f64 {
    if sums.non_finite { f64::NAN } else { clamp_min_f64(sqrt_f64(f64::from(sums.squared)), f64::from(eps)) }
}

fn pairwise_half<H: F16x8>(a: &[u16], b: &[u16], shape: QuantizedPairwiseShape, eps: f32, scale: f32, out: &mut [f32], scratch: &mut [u8]) {
    let QuantizedPairwiseShape { a_rows, b_rows, depth } = shape;
    let tile = b_rows.min(PAIRWISE_TILE_ROWS);
    let Some((a_decoded, rest)) = carve::<f32>(scratch, a_rows * depth) else { return };
    let Some((b_decoded, rest)) = carve::<f32>(rest, tile * depth) else { return };
    let Some((a_norms, rest)) = carve::<f64>(rest, a_rows) else { return };
    let Some((b_norms, _)) = carve::<f64>(rest, tile) else { return };
    for (i, norm) in a_norms.iter_mut().enumerate() {
        *norm = clamped_half_norm(half_decode_row::<H, false>(&a[i * depth..(i + 1) * depth], &mut a_decoded[i * depth..(i + 1) * depth]), eps);
    }
    let a_decoded = &*a_decoded;
    let a_row = |i: usize| &a_decoded[i * depth..(i + 1) * depth];
    let full_groups = a_rows / PAIRWISE_GROUP;
    let entry = |dot: f32, a_norm: f64, b_norm: f64| (f64::from(dot) / (a_norm * b_norm)) as f32 * scale;
    for tile_start in (0..b_rows).step_by(PAIRWISE_TILE_ROWS) {
        let tile_length = PAIRWISE_TILE_ROWS.min(b_rows - tile_start);
        for row in 0..tile_length {
            let j = tile_start + row;
            b_norms[row] = clamped_half_norm(half_decode_row::<H, false>(&b[j * depth..(j + 1) * depth], &mut b_decoded[row * depth..(row + 1) * depth]), eps);
        }
        for group in 0..full_groups {
            let first = group * PAIRWISE_GROUP;
            let lefts: [&[f32]; PAIRWISE_GROUP] = core::array::from_fn(|offset| a_row(first + offset));
            for row in 0..tile_length {
                let dots = f32_dot_even_odd::<H::Float, PAIRWISE_GROUP>(lefts, &b_decoded[row * depth..(row + 1) * depth]);
                for (offset, &dot) in dots.iter().enumerate() {
                    let i = first + offset;
                    out[i * b_rows + tile_start + row] = entry(dot, a_norms[i], b_norms[row]);
                }
            }
        }
        for i in full_groups * PAIRWISE_GROUP..a_rows {
            for row in 0..tile_length {
                let [dot] = f32_dot_even_odd::<H::Float, 1>([a_row(i)], &b_decoded[row * depth..(row + 1) * depth]);
                out[i * b_rows + tile_start + row] = entry(dot, a_norms[i], b_norms[row]);
            }
        }
    }
}

#[cfg(test)]
#[path = "score_tests.rs"]
pub(crate) mod tests;
