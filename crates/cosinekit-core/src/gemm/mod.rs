//! `A·Bᵀ` over packed panels: the product behind pairwise cosine matrices, top-k and the
//! contrastive losses.
//!
//! # Numerics
//! - Rows are normalised while they are packed: `x · scale / max(‖x‖, eps)`, the norm's
//!   sum of squares taken with the lane kernel of `normalize` (16 partial sums), rescued in
//!   float64 when it overflows or underflows float32 (then the row is also scaled in
//!   float64). A zero row packs as zeros (cosine 0); with eps = 0 it packs as NaN (0/0,
//!   as PyTorch); a row with NaN or ±∞ packs as NaN.
//! - Each entry is one lane's float32 sum over the depth, in blocks of [`DEPTH_BLOCK`]
//!   added to the output: no summation chain is longer than 1024 + depth/1024 additions
//!   (1280 at most in a single block).
//!   With relaxed-simd the multiply-adds may be fused (one rounding instead of two).
//! - Nothing is clamped: rounding can put a cosine just outside [-1, 1], as in PyTorch.
//! - Position independence: a packed row's values depend only on the row, scale and eps
//!   (every value is the same float32 product `x · factor` whether its group of four goes
//!   through the lanes or one value at a time, and the factor is the row's own), and an
//!   entry of the product depends only on its packed A row, its packed B row and the
//!   depth: it is one lane's chain of multiply-adds from zero over a depth block, the
//!   depth blocks (fixed by the depth alone: one block up to 1280, else blocks of 1024)
//!   added in order. Not on the micro-tile, panel or block it falls in, the number of rows
//!   packed, the rows sharing its panel (padding or real), nor on which triangle of a
//!   symmetric product was computed. So any sub-product, of any rows packed at any
//!   offsets, reproduces the entries of the full product bit for bit (with the same lanes
//!   and the same depth). Note that `A_i·B_j` and `A_j·B_i` are different entries when A
//!   carries a scale: `(s·âᵢ)·b̂ⱼ` and `(s·âⱼ)·b̂ᵢ` round differently unless `s` is a power
//!   of two.
//!
//! # Blocking
//! A micro-tile is 4 rows of A × 8 rows of B ([`kernel`]). Loops, outermost first: blocks
//! of [`COLUMN_BLOCK_PANELS`]·8 rows of B, depth blocks of [`DEPTH_BLOCK`], blocks of
//! [`ROW_BLOCK_PANELS`]·4 rows of A, then one B panel against every A panel of the block.
//! At D = 768 a B panel is 24 KiB (it stays in a 32 KiB L1) and an A block 192 KiB (L2);
//! the B block (768 KiB) does not fit a 512 KiB L2, but B blocks of 64 or 128 rows measured
//! no faster, and splitting the depth to make it fit measured slower (see [`DEPTH_BLOCK`]).

pub mod kernel;
pub mod pack;

pub use kernel::{TILE_COLUMNS, TILE_ROWS, tile_4x8_f32x4};
pub use pack::{pack_columns_scaled, pack_normalized_rows, pack_strided, packed_len, scaled_value};

use crate::cosine::TRUSTED_SQUARED_NORM_MIN;
use crate::lanes::{F32x4, NATIVE_IS_SIMD};
use crate::math::{clamp_min_f64, sqrt_f64};
use crate::normalize::{NormOrder, vector_norm_sums_f32_scalar, vector_norm_sums_f32x4};

/// Depth (D) per block: one block for every D ≤ 1280 (embedding sizes up to 1024 and a
/// quarter), so each output entry is stored once. Measured on x86-64 Node 20 against 256:
/// +12 % simd128, +5–8 % relaxed at 1024×1024 with D = 384 and 768, +3 % top-k; 2048 was no
/// better at D = 1536 or 3072.
pub const DEPTH_BLOCK: usize = 1024;
/// B panels per column block (256 rows of B).
pub const COLUMN_BLOCK_PANELS: usize = 32;
/// A panels per row block (64 rows of A).
pub const ROW_BLOCK_PANELS: usize = 16;

/// `1 / max(‖values‖₂, eps)` in float64 (float32 lanes, float64 rescue).
#[inline]
pub fn inverse_norm_f64<V: F32x4>(values: &[f32], eps: f32) -> f64 {
    let sum = if NATIVE_IS_SIMD {
        vector_norm_sums_f32x4::<V>(values, NormOrder::Two)
    } else {
        vector_norm_sums_f32_scalar(values, NormOrder::Two)
    };
    let norm = if (TRUSTED_SQUARED_NORM_MIN..=f32::MAX).contains(&sum) {
        sqrt_f64(f64::from(sum))
    } else {
        sqrt_f64(values.iter().map(|&value| f64::from(value) * f64::from(value)).sum())
    };
    1.0 / clamp_min_f64(norm, f64::from(eps))
}

/// `1 / max(‖values‖₂, eps)`, rounded to float32 (callers that may see extreme norms use
/// [`inverse_norm_f64`]).
#[inline]
pub(crate) fn inverse_norm<V: F32x4>(values: &[f32], eps: f32) -> InverseNorm {
    InverseNorm(inverse_norm_f64::<V>(values, eps))
}

/// A row's scale factor, applied in float32 when it is a normal float32, else in float64.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InverseNorm(pub f64);

impl core::ops::Mul<InverseNorm> for f32 {
    type Output = ScaleFactor;
    fn mul(self, inverse: InverseNorm) -> ScaleFactor {
        ScaleFactor(f64::from(self) * inverse.0)
    }
}

/// `scale / max(‖x‖, eps)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScaleFactor(f64);

impl ScaleFactor {
    /// The factor as a float32 when that is a normal number (then `x * factor` is exactly
    /// `x * narrow` for every `x`), else `None`.
    #[inline(always)]
    pub(crate) fn normal_f32(self) -> Option<f32> {
        let narrow = self.0 as f32;
        narrow.is_normal().then_some(narrow)
    }
}

impl core::ops::Mul<ScaleFactor> for f32 {
    type Output = f32;
    #[inline(always)]
    fn mul(self, factor: ScaleFactor) -> f32 {
        match factor.normal_f32() {
            Some(narrow) => self * narrow,
            None => (f64::from(self) * factor.0) as f32,
        }
    }
}

/// Writes (or adds) one micro-tile into `out`, clipped to `rows × columns`.
#[inline(always)]
fn store_tile<V: F32x4>(
    sums: &[[V; 2]; TILE_ROWS],
    out: &mut [f32],
    out_row_stride: usize,
    first_row: usize,
    first_column: usize,
    rows: usize,
    columns: usize,
    accumulate: bool,
) {
    let valid_rows = TILE_ROWS.min(rows - first_row);
    let valid_columns = TILE_COLUMNS.min(columns - first_column);
    for row in 0..valid_rows {
        let start = (first_row + row) * out_row_stride + first_column;
        if valid_columns == TILE_COLUMNS {
            let (quads, _) = out[start..start + TILE_COLUMNS].as_chunks_mut::<4>();
            for half in 0..2 {
                let value = if accumulate { V::load(&quads[half]).add(sums[row][half]) } else { sums[row][half] };
                value.store(&mut quads[half]);
            }
        } else {
            let [low, high] = [sums[row][0].to_array(), sums[row][1].to_array()];
            for column in 0..valid_columns {
                let value = if column < 4 { low[column] } else { high[column - 4] };
                let slot = &mut out[start + column];
                *slot = if accumulate { *slot + value } else { value };
            }
        }
    }
}

/// `out[i·out_row_stride + j] (+)= Σₖ A[i][k]·B[j][k]` for i < `rows_a`, j < `rows_b`, from
/// A packed in panels of [`TILE_ROWS`] and B in panels of [`TILE_COLUMNS`] (both `depth`
/// deep). `accumulate` adds to `out` instead of overwriting it. Callers guarantee the slice
/// sizes ([`packed_len`], and `out` covering the last row's `rows_b` columns).
pub fn multiply_packed<V: F32x4>(
    packed_a: &[f32],
    rows_a: usize,
    packed_b: &[f32],
    rows_b: usize,
    depth: usize,
    out: &mut [f32],
    out_row_stride: usize,
    accumulate: bool,
) {
    multiply_tiles::<V>(packed_a, rows_a, packed_b, rows_b, depth, out, out_row_stride, accumulate, false);
}

/// [`multiply_packed`] for a product known to be symmetric (A and B are the same rows, up
/// to a scale on A): only the micro-tiles that reach the diagonal or above are computed,
/// then the strictly lower triangle is copied from the upper one, so the result is exactly
/// symmetric. About half the work of the general product.
pub fn multiply_packed_symmetric<V: F32x4>(packed_a: &[f32], packed_b: &[f32], rows: usize, depth: usize, out: &mut [f32], out_row_stride: usize) {
    multiply_packed_upper::<V>(packed_a, rows, packed_b, rows, depth, out, out_row_stride);
    mirror_upper_into_lower(out, rows, out_row_stride);
}

/// [`multiply_packed`] restricted to the upper triangle, for A and B rows that start at the
/// same row (A row `i` and B row `i` are the same row, so the diagonal is `j = i`; `rows_b`
/// may exceed `rows_a`): every entry with `j ≥ i` is written, bit for bit as
/// [`multiply_packed`] writes it; micro-tiles entirely below the diagonal are skipped, so
/// entries with `j < i` are left unspecified (some written, some untouched).
pub fn multiply_packed_upper<V: F32x4>(
    packed_a: &[f32],
    rows_a: usize,
    packed_b: &[f32],
    rows_b: usize,
    depth: usize,
    out: &mut [f32],
    out_row_stride: usize,
) {
    multiply_tiles::<V>(packed_a, rows_a, packed_b, rows_b, depth, out, out_row_stride, false, true);
}

/// Copies the strictly upper triangle of the `rows × rows` block at the start of `out`
/// (row stride `out_row_stride`) into the strictly lower one: `out[i][j] = out[j][i]` for
/// `j < i`, in 32×32 tiles so that both sides stay in cache.
pub fn mirror_upper_into_lower(out: &mut [f32], rows: usize, out_row_stride: usize) {
    const TILE: usize = 32;
    for tile_row in (0..rows).step_by(TILE) {
        for tile_column in (0..=tile_row).step_by(TILE) {
            for row in tile_row..(tile_row + TILE).min(rows) {
                for column in tile_column..(tile_column + TILE).min(row) {
                    out[row * out_row_stride + column] = out[column * out_row_stride + row];
                }
            }
        }
    }
}

fn multiply_tiles<V: F32x4>(
    packed_a: &[f32],
    rows_a: usize,
    packed_b: &[f32],
    rows_b: usize,
    depth: usize,
    out: &mut [f32],
    out_row_stride: usize,
    accumulate: bool,
    upper_only: bool,
) {
    if rows_a == 0 || rows_b == 0 {
        return;
    }
    if depth == 0 {
        if !accumulate {
            for row in 0..rows_a {
                out[row * out_row_stride..row * out_row_stride + rows_b].fill(0.0);
            }
        }
        return;
    }
    let a_panels = rows_a.div_ceil(TILE_ROWS);
    let b_panels = rows_b.div_ceil(TILE_COLUMNS);
    // One block when the depth is at most 1.25 blocks: no short trailing block.
    let depth_block = if depth <= DEPTH_BLOCK + DEPTH_BLOCK / 4 { depth } else { DEPTH_BLOCK };
    let a_panel_floats = depth * TILE_ROWS;
    let b_panel_floats = depth * TILE_COLUMNS;
    for b_block in (0..b_panels).step_by(COLUMN_BLOCK_PANELS) {
        let b_block_end = (b_block + COLUMN_BLOCK_PANELS).min(b_panels);
        for depth_start in (0..depth).step_by(depth_block) {
            let depth_length = depth_block.min(depth - depth_start);
            let add = accumulate || depth_start > 0;
            for a_block in (0..a_panels).step_by(ROW_BLOCK_PANELS) {
                let a_block_end = (a_block + ROW_BLOCK_PANELS).min(a_panels);
                for b_panel in b_block..b_block_end {
                    let b_start = b_panel * b_panel_floats + depth_start * TILE_COLUMNS;
                    let b_slice = &packed_b[b_start..b_start + depth_length * TILE_COLUMNS];
                    for a_panel in a_block..a_block_end {
                        if upper_only && (b_panel + 1) * TILE_COLUMNS <= a_panel * TILE_ROWS {
                            continue; // entirely below the diagonal: mirrored afterwards
                        }
                        let a_start = a_panel * a_panel_floats + depth_start * TILE_ROWS;
                        let a_slice = &packed_a[a_start..a_start + depth_length * TILE_ROWS];
                        let sums = tile_4x8_f32x4::<V>(a_slice, b_slice);
                        store_tile(&sums, out, out_row_stride, a_panel * TILE_ROWS, b_panel * TILE_COLUMNS, rows_a, rows_b, add);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
