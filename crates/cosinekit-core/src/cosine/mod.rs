//! Cosine similarity (and distance) of two broadcast operands along any set of axes.
//!
//! # Numerics
//! - One pass over both operands computes `x1·x2`, `‖x1‖²` and `‖x2‖²` in float32. The SIMD
//!   kernels keep 4 independent `f32x4` accumulators per quantity (12 in all, 16 partial
//!   sums per quantity) and combine them pairwise at the end; the scalar reference keeps 4
//!   scalar partial sums per quantity. Strided layouts that have no contiguous axis to
//!   vectorise over are summed in float64.
//! - `cos = x1·x2 / (max(‖x1‖, eps) · max(‖x2‖, eps))`: eps clamps each norm separately,
//!   as PyTorch ≥ 2.1.2 does. A zero vector gives 0 (not NaN).
//! - Overflow and underflow: when a float32 squared norm is not within
//!   [2⁻⁶⁰, `f32::MAX`] (elements beyond about 1e19 in magnitude overflow, elements below
//!   about 1e-19 lose precision to subnormals), that vector pair is recomputed in float64
//!   and the true cosine is returned. PyTorch's float32 path returns 0 or NaN there; its
//!   float64 path agrees with us.
//! - NaN or ±∞ in either vector gives NaN for that output only.
//! - Not clamped to [-1, 1] unless [`CosineOptions::clamp`] (rounding can land just
//!   outside); clamping keeps NaN. The distance is `1 − similarity` (after clamping).
//! - [`cosine_pair_f32`] is the row layout's computation for one pair (the row kernel calls
//!   it), so a single pair and a row of a batch agree bit for bit.

mod scalar;
mod simd;

pub use scalar::dot_norms_f32_scalar;
pub use simd::{column_sums_f32x4, dot_norms_f32x4};

use crate::KernelError;
use crate::geometry::{Axes, Odometer, check_reduction_bounds};
use crate::lanes::{NATIVE_IS_SIMD, Native};
use crate::math::{clamp_min_f32, clamp_min_f64, sqrt_f32, sqrt_f64};

/// What to compute from each pair of vectors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineOptions {
    /// Lower bound applied to each norm separately (PyTorch's `eps`, default 1e-8).
    pub eps: f32,
    /// Clamp the similarity to [-1, 1] (NaN stays NaN).
    pub clamp: bool,
    /// Return `1 − similarity` instead of the similarity.
    pub distance: bool,
}

/// The three sums of one pass over a pair of vectors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DotNorms {
    /// `Σ x1ₖ·x2ₖ`.
    pub dot: f32,
    /// `Σ x1ₖ²`.
    pub first_squared: f32,
    /// `Σ x2ₖ²`.
    pub second_squared: f32,
}

/// Squared norms below this lose relative precision to float32 subnormals.
pub(crate) const TRUSTED_SQUARED_NORM_MIN: f32 = 8.673_617e-19; // 2^-60

impl DotNorms {
    /// Whether float32 sums can be trusted: both squared norms finite and at least 2⁻⁶⁰.
    /// False for NaN (every comparison with NaN is false).
    #[inline(always)]
    pub fn is_trusted(&self) -> bool {
        self.first_squared >= TRUSTED_SQUARED_NORM_MIN
            && self.first_squared <= f32::MAX
            && self.second_squared >= TRUSTED_SQUARED_NORM_MIN
            && self.second_squared <= f32::MAX
    }

    /// `dot / (max(‖x1‖, eps) · max(‖x2‖, eps))` in float32.
    #[inline(always)]
    pub fn similarity(&self, eps: f32) -> f32 {
        let first_norm = clamp_min_f32(sqrt_f32(self.first_squared), eps);
        let second_norm = clamp_min_f32(sqrt_f32(self.second_squared), eps);
        self.dot / (first_norm * second_norm)
    }
}

/// `dot`, `‖x1‖²`, `‖x2‖²` of one pair of contiguous vectors of equal length, with this
/// build's best kernel (lanes on wasm SIMD builds, the scalar reference otherwise).
#[inline]
pub fn dot_norms_f32(first: &[f32], second: &[f32]) -> DotNorms {
    if NATIVE_IS_SIMD { dot_norms_f32x4::<Native>(first, second) } else { dot_norms_f32_scalar(first, second) }
}

/// The three sums in float64 over the positions of `reduced`, starting at the given
/// element offsets. Callers have validated that every addressed element is in bounds.
pub fn dot_norms_f64(first: &[f32], second: &[f32], reduced: &Axes<'_>, first_base: usize, second_base: usize) -> [f64; 3] {
    let mut sums = [0.0f64; 3];
    if reduced.position_count() == Some(0) {
        return sums;
    }
    let mut odometer = Odometer::new(*reduced, first_base, second_base);
    loop {
        let left = f64::from(first[odometer.first_offset]);
        let right = f64::from(second[odometer.second_offset]);
        sums[0] += left * right;
        sums[1] += left * left;
        sums[2] += right * right;
        if !odometer.advance() {
            return sums;
        }
    }
}

/// `dot / (max(‖x1‖, eps) · max(‖x2‖, eps))` from float64 sums, rounded to float32.
#[inline]
pub fn similarity_from_f64_sums(sums: [f64; 3], eps: f32) -> f32 {
    let eps = f64::from(eps);
    let first_norm = clamp_min_f64(sqrt_f64(sums[1]), eps);
    let second_norm = clamp_min_f64(sqrt_f64(sums[2]), eps);
    (sums[0] / (first_norm * second_norm)) as f32
}

impl CosineOptions {
    /// Applies `clamp` and `distance` to a similarity.
    #[inline(always)]
    pub fn finish(&self, similarity: f32) -> f32 {
        // f32::clamp keeps NaN.
        let similarity = if self.clamp { similarity.clamp(-1.0, 1.0) } else { similarity };
        if self.distance { 1.0 - similarity } else { similarity }
    }
}

/// Cosine similarity (or distance) of `first` and `second` for every position of `kept`,
/// reducing over every position of `reduced`; `output` is row-major over `kept`.
///
/// Validates the whole geometry against the slice lengths before reading anything.
/// Layouts, fastest first: one reduced axis contiguous in both operands (row kernel); the
/// innermost kept axis contiguous in both (column kernel, vectorised across outputs);
/// anything else (a float64 strided loop).
pub fn cosine_f32(
    first: &[f32],
    second: &[f32],
    kept: &Axes<'_>,
    reduced: &Axes<'_>,
    options: &CosineOptions,
    output: &mut [f32],
) -> Result<(), KernelError> {
    let output_count = check_reduction_bounds(kept, reduced, first.len(), second.len())?;
    if output.len() != output_count {
        return Err(KernelError::OutputLength);
    }
    if output_count == 0 {
        return Ok(());
    }
    if reduced.position_count() == Some(0) {
        // Empty vectors: dot = 0 and both norms clamp to eps, so the similarity is 0.
        output.fill(options.finish(0.0));
        return Ok(());
    }
    if let ([length], [1], [1]) = (reduced.extents, reduced.first_strides, reduced.second_strides) {
        cosine_rows(first, second, kept, *length, options, output);
    } else if let Some((extent, 1, 1)) = kept.innermost()
        && extent >= COLUMN_BLOCK
    {
        cosine_columns(first, second, kept, reduced, options, output);
    } else {
        cosine_strided(first, second, kept, reduced, options, output);
    }
    Ok(())
}

/// Cosine similarity of one pair of contiguous vectors: `first · second / (max(‖first‖,
/// eps) · max(‖second‖, eps))`, by exactly the arithmetic [`cosine_f32`] uses for each row
/// of a row layout (it calls this function), so the result is bit for bit the element
/// `cosine_f32` writes for the same pair before clamping or distance.
///
/// The vectors are expected to have equal lengths; the longer one's extra elements are
/// ignored. The float32 sums of [`dot_norms_f32`] are used when [`DotNorms::is_trusted`],
/// otherwise the pair is recomputed in float64 (see the module's Numerics). Empty vectors
/// give 0 for every eps (as the empty reduction of `cosine_f32` does), a zero vector 0
/// (NaN when eps is 0), NaN or ±∞ in either vector NaN.
#[inline]
pub fn cosine_pair_f32(first: &[f32], second: &[f32], eps: f32) -> f32 {
    let length = first.len().min(second.len());
    if length == 0 {
        return 0.0;
    }
    let (first, second) = (&first[..length], &second[..length]);
    let sums = dot_norms_f32(first, second);
    if sums.is_trusted() {
        sums.similarity(eps)
    } else {
        let whole_row = [length];
        let unit_stride = [1];
        let row_axis = Axes { extents: &whole_row, first_strides: &unit_stride, second_strides: &unit_stride };
        similarity_from_f64_sums(dot_norms_f64(first, second, &row_axis, 0, 0), eps)
    }
}

/// Row `i` of `output` = the cosine of rows `i` of `first` and `second`, both `[rows, length]`
/// row-major: the layout of most calls (same shapes, the last dim reduced), without a
/// geometry to walk. Bit for bit what [`cosine_f32`] writes for that layout (one
/// [`cosine_pair_f32`] per row, then [`CosineOptions::finish`]).
pub fn cosine_rows_f32(first: &[f32], second: &[f32], length: usize, options: &CosineOptions, output: &mut [f32]) -> Result<(), KernelError> {
    let rows = output.len();
    let count = rows.checked_mul(length).ok_or(KernelError::OutOfBounds)?;
    if first.len() != count || second.len() != count {
        return Err(KernelError::OutOfBounds);
    }
    if length == 0 {
        output.fill(options.finish(0.0));
        return Ok(());
    }
    for ((slot, first_row), second_row) in output.iter_mut().zip(first.chunks_exact(length)).zip(second.chunks_exact(length)) {
        *slot = options.finish(cosine_pair_f32(first_row, second_row, options.eps));
    }
    Ok(())
}

/// Each output reduces `length` contiguous elements of each operand: one
/// [`cosine_pair_f32`] per output, then [`CosineOptions::finish`].
fn cosine_rows(first: &[f32], second: &[f32], kept: &Axes<'_>, length: usize, options: &CosineOptions, output: &mut [f32]) {
    let mut positions = Odometer::new(*kept, 0, 0);
    for slot in output.iter_mut() {
        let (first_start, second_start) = (positions.first_offset, positions.second_offset);
        let similarity = cosine_pair_f32(&first[first_start..first_start + length], &second[second_start..second_start + length], options.eps);
        *slot = options.finish(similarity);
        positions.advance();
    }
}

/// Outputs computed [`COLUMN_BLOCK`] at a time along the innermost kept axis.
pub const COLUMN_BLOCK: usize = 16;

/// The innermost kept axis is contiguous in both operands: vectorise across it, walking
/// the reduced axes once per block of [`COLUMN_BLOCK`] outputs.
fn cosine_columns(first: &[f32], second: &[f32], kept: &Axes<'_>, reduced: &Axes<'_>, options: &CosineOptions, output: &mut [f32]) {
    let (inner_extent, _, _) = kept.innermost().unwrap_or((0, 1, 1));
    let full_blocks = inner_extent / COLUMN_BLOCK;
    let mut outer_positions = Odometer::new(kept.without_innermost(), 0, 0);
    for output_row in output.chunks_exact_mut(inner_extent) {
        let (first_row, second_row) = (outer_positions.first_offset, outer_positions.second_offset);
        for block in 0..full_blocks {
            let column = block * COLUMN_BLOCK;
            let block_sums = column_sums_f32x4::<Native>(first, second, reduced, first_row + column, second_row + column);
            for (lane, sums) in block_sums.iter().enumerate() {
                let similarity = if sums.is_trusted() {
                    sums.similarity(options.eps)
                } else {
                    let wide = dot_norms_f64(first, second, reduced, first_row + column + lane, second_row + column + lane);
                    similarity_from_f64_sums(wide, options.eps)
                };
                output_row[column + lane] = options.finish(similarity);
            }
        }
        for column in full_blocks * COLUMN_BLOCK..inner_extent {
            let wide = dot_norms_f64(first, second, reduced, first_row + column, second_row + column);
            output_row[column] = options.finish(similarity_from_f64_sums(wide, options.eps));
        }
        outer_positions.advance();
    }
}

/// Any layout: one float64 strided reduction per output.
fn cosine_strided(first: &[f32], second: &[f32], kept: &Axes<'_>, reduced: &Axes<'_>, options: &CosineOptions, output: &mut [f32]) {
    let mut positions = Odometer::new(*kept, 0, 0);
    for slot in output.iter_mut() {
        let wide = dot_norms_f64(first, second, reduced, positions.first_offset, positions.second_offset);
        *slot = options.finish(similarity_from_f64_sums(wide, options.eps));
        positions.advance();
    }
}

#[cfg(test)]
mod tests;
