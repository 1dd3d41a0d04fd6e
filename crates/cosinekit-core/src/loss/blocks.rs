//! The tile sweep behind every similarity-matrix loss: the logits are never held whole.
//!
//! # Numerics
//! - A sweep walks the matrix `S = X̂·Ŷᵀ` of two row sets (or of one set with itself) in
//!   tiles of at most [`LOSS_BLOCK`] × [`LOSS_BLOCK`] entries. Each tile is one call of the
//!   packed GEMM ([`crate::gemm::multiply_packed`]) on rows normalised while they are
//!   packed (`x · 1/max(‖x‖, 1e-12)`, the factor from [`inverse_norm_f64`]), so an entry is
//!   bit for bit the entry of the whole product of the same packed rows (the GEMM's
//!   position independence): the tiling changes no similarity.
//! - The caller's visitor turns a tile of similarities into running statistics (an online
//!   log-sum-exp, see [`OnlineLogSumExp`]) or, in a gradient sweep, overwrites it with
//!   `dL/dS` (float32); the sweep then adds `W·Ŷ_J` to the first set's gradient rows and
//!   `Wᵀ·X̂_I` to the second's, through the same GEMM (float32 sums of at most
//!   [`LOSS_BLOCK`] terms per tile, tiles added in order).
//! - Symmetric sweeps (`X = Y`) visit only the tiles on or above the diagonal; a visitor
//!   accounts for both `S_ij` and `S_ji` from the one entry (they are the same float: the
//!   products of the same two packed rows in the same order).
//! - Memory: packed panels of one row block of each set, their transposes for the gradient
//!   products, one tile and its two packings: O(D·block + block²) floats, whatever N.

use crate::gemm::{TILE_COLUMNS, TILE_ROWS, inverse_norm_f64, multiply_packed, pack_columns_scaled, pack_normalized_rows, pack_strided, packed_len};
use crate::lanes::F32x4;
use crate::math::{exp_f64, ln_f64};

/// Rows (and columns) of a tile of the similarity matrix.
pub const LOSS_BLOCK: usize = 256;

/// The eps of `F.normalize`, used by every loss here.
pub(crate) const EPS: f32 = 1e-12;

/// One tile of similarities, row-major (`values[r·columns + c]` is `S[first_row + r][first_column + c]`).
pub(crate) struct Tile<'a> {
    /// Row of the first set where the tile starts.
    pub first_row: usize,
    /// Row of the second set where the tile starts.
    pub first_column: usize,
    /// Rows in the tile.
    pub rows: usize,
    /// Columns in the tile.
    pub columns: usize,
    /// The similarities (a gradient sweep's visitor overwrites them with dL/dS).
    pub values: &'a mut [f32],
}

/// Where a gradient sweep adds `dL/dX̂` and `dL/dŶ`.
pub(crate) enum SweepGradients<'g> {
    /// A statistics sweep: nothing is added.
    None,
    /// Symmetric sweep: one gradient for the one set.
    Shared(&'g mut [f32]),
    /// The first set's gradient, and the second's when it wants one.
    Separate(&'g mut [f32], Option<&'g mut [f32]>),
}

/// Two row sets of `depth` (the second is the first for a symmetric sweep).
#[derive(Clone, Copy)]
pub(crate) struct RowSets<'a> {
    /// The first set (tile rows), row-major.
    pub first: &'a [f32],
    /// Rows of the first set.
    pub first_rows: usize,
    /// The second set (tile columns), row-major.
    pub second: &'a [f32],
    /// Rows of the second set.
    pub second_rows: usize,
    /// Floats per row.
    pub depth: usize,
    /// The second set is the first: only tiles on or above the diagonal are visited.
    pub symmetric: bool,
}

/// Floats of scratch one sweep over `first_rows` × `second_rows` rows of `depth` needs.
pub(crate) fn sweep_scratch_len(first_rows: usize, second_rows: usize, depth: usize) -> Option<usize> {
    let block_rows = first_rows.min(LOSS_BLOCK);
    let block_columns = second_rows.min(LOSS_BLOCK);
    packed_len(block_rows, depth, TILE_ROWS)?
        .checked_add(packed_len(block_columns, depth, TILE_COLUMNS)?)?
        .checked_add(packed_len(depth, block_rows, TILE_COLUMNS)?)?
        .checked_add(packed_len(depth, block_columns, TILE_COLUMNS)?)?
        .checked_add(block_rows * block_columns)?
        .checked_add(packed_len(block_rows, block_columns, TILE_ROWS)?)?
        .checked_add(packed_len(block_columns, block_rows, TILE_ROWS)?)
}

/// Splits `count` floats off the front of `scratch`.
pub(crate) fn take<'a>(scratch: &mut &'a mut [f32], count: usize) -> &'a mut [f32] {
    let (head, tail) = core::mem::take(scratch).split_at_mut(count);
    *scratch = tail;
    head
}

/// The normalisation factors `1 / max(‖row‖, eps)` of `count` rows from `first`.
fn factors_of<V: F32x4>(rows: &[f32], first: usize, count: usize, depth: usize, factors: &mut [f64; LOSS_BLOCK]) {
    for (offset, factor) in factors[..count].iter_mut().enumerate() {
        let start = (first + offset) * depth;
        *factor = inverse_norm_f64::<V>(&rows[start..start + depth], EPS);
    }
}

/// One call site of the GEMM for the three products of a sweep (the tile, `W·Ŷ_J`, `Wᵀ·X̂_I`):
/// each inlined copy of the tiled product costs kilobytes of every wasm module.
#[inline(never)]
fn product<V: F32x4>(packed_a: &[f32], rows_a: usize, packed_b: &[f32], rows_b: usize, depth: usize, out: &mut [f32], out_row_stride: usize, accumulate: bool) {
    multiply_packed::<V>(packed_a, rows_a, packed_b, rows_b, depth, out, out_row_stride, accumulate);
}

/// One call site of the row packer, for both panel widths (as [`product`]): the panels of
/// `pairwiseCosine` (`pack_normalized_rows`, scale 1, eps 1e-12), whose factors are those
/// [`factors_of`] computes for the transposed packing.
#[inline(never)]
fn pack_rows<V: F32x4>(source: &[f32], rows: usize, depth: usize, width: usize, packed: &mut [f32]) {
    pack_normalized_rows::<V>(source, rows, depth, depth, width, 1.0, EPS, packed);
}

/// One call site of the transposing packer.
#[inline(never)]
fn pack_columns(source: &[f32], rows: usize, depth: usize, factors: &[f64], packed: &mut [f32]) {
    pack_columns_scaled(source, rows, depth, depth, TILE_COLUMNS, factors, packed);
}

/// One call site of the strided packer (the tile and its transpose).
#[inline(never)]
fn pack_tile(source: &[f32], rows: usize, depth: usize, row_stride: usize, depth_stride: usize, packed: &mut [f32]) {
    pack_strided(source, rows, depth, row_stride, depth_stride, TILE_ROWS, None, packed);
}

/// Visits every tile of `S = X̂·Ŷᵀ` (only `J ≥ I` when symmetric), row blocks outermost;
/// after each visit, adds the tile's `W·Ŷ_J` and `Wᵀ·X̂_I` to the gradients (see the
/// module's Numerics). `scratch` holds [`sweep_scratch_len`] floats.
pub(crate) fn sweep<V: F32x4>(sets: RowSets<'_>, mut scratch: &mut [f32], mut gradients: SweepGradients<'_>, visit: &mut dyn FnMut(Tile<'_>)) {
    let RowSets { first, first_rows, second, second_rows, depth, symmetric } = sets;
    let block_rows = first_rows.min(LOSS_BLOCK);
    let block_columns = second_rows.min(LOSS_BLOCK);
    let first_panels = take(&mut scratch, packed_len(block_rows, depth, TILE_ROWS).unwrap_or(0));
    let second_panels = take(&mut scratch, packed_len(block_columns, depth, TILE_COLUMNS).unwrap_or(0));
    let first_columns = take(&mut scratch, packed_len(depth, block_rows, TILE_COLUMNS).unwrap_or(0));
    let second_columns = take(&mut scratch, packed_len(depth, block_columns, TILE_COLUMNS).unwrap_or(0));
    let tile_values = take(&mut scratch, block_rows * block_columns);
    let packed_tile = take(&mut scratch, packed_len(block_rows, block_columns, TILE_ROWS).unwrap_or(0));
    let packed_transpose = take(&mut scratch, packed_len(block_columns, block_rows, TILE_ROWS).unwrap_or(0));
    // The transposed first block feeds `Wᵀ·X̂_I`: a symmetric gradient or a second one.
    let want_first_columns = match &gradients {
        SweepGradients::None => false,
        SweepGradients::Shared(_) => true,
        SweepGradients::Separate(_, second_gradient) => second_gradient.is_some(),
    };
    let mut first_factors = [0.0f64; LOSS_BLOCK];
    let mut second_factors = [0.0f64; LOSS_BLOCK];
    for first_row in (0..first_rows).step_by(LOSS_BLOCK) {
        let rows = LOSS_BLOCK.min(first_rows - first_row);
        let source = &first[first_row * depth..(first_row + rows) * depth];
        let a_panels = &mut first_panels[..packed_len(rows, depth, TILE_ROWS).unwrap_or(0)];
        pack_rows::<V>(source, rows, depth, TILE_ROWS, a_panels);
        let a_columns = &mut first_columns[..packed_len(depth, rows, TILE_COLUMNS).unwrap_or(0)];
        if want_first_columns {
            factors_of::<V>(first, first_row, rows, depth, &mut first_factors);
            pack_columns(source, rows, depth, &first_factors, a_columns);
        }
        let column_begin = if symmetric { first_row } else { 0 };
        for first_column in (column_begin..second_rows).step_by(LOSS_BLOCK) {
            let columns = LOSS_BLOCK.min(second_rows - first_column);
            let column_source = &second[first_column * depth..(first_column + columns) * depth];
            let b_panels = &mut second_panels[..packed_len(columns, depth, TILE_COLUMNS).unwrap_or(0)];
            pack_rows::<V>(column_source, columns, depth, TILE_COLUMNS, b_panels);
            let values = &mut tile_values[..rows * columns];
            product::<V>(a_panels, rows, b_panels, columns, depth, values, columns, false);
            visit(Tile { first_row, first_column, rows, columns, values: &mut *values });

            let (first_gradient, second_gradient): (&mut [f32], Option<&mut [f32]>) = match &mut gradients {
                SweepGradients::None => continue,
                SweepGradients::Shared(gradient) => (&mut **gradient, None),
                SweepGradients::Separate(first_gradient, second_gradient) => (&mut **first_gradient, second_gradient.as_deref_mut()),
            };
            let b_columns = &mut second_columns[..packed_len(depth, columns, TILE_COLUMNS).unwrap_or(0)];
            factors_of::<V>(second, first_column, columns, depth, &mut second_factors);
            pack_columns(column_source, columns, depth, &second_factors, b_columns);
            let w_packed = &mut packed_tile[..packed_len(rows, columns, TILE_ROWS).unwrap_or(0)];
            pack_tile(values, rows, columns, columns, 1, w_packed);
            product::<V>(w_packed, rows, b_columns, depth, columns, &mut first_gradient[first_row * depth..], depth, true);
            // The transposed product: into the second set's gradient, or for a symmetric
            // sweep's off-diagonal tile into the same gradient at the column block's rows.
            let transpose_target = match second_gradient {
                Some(gradient) => Some(gradient),
                None if symmetric && first_column != first_row => Some(first_gradient),
                None => None,
            };
            if let Some(target) = transpose_target {
                let t_packed = &mut packed_transpose[..packed_len(columns, rows, TILE_ROWS).unwrap_or(0)];
                pack_tile(values, columns, rows, 1, columns, t_packed);
                product::<V>(t_packed, columns, a_columns, depth, rows, &mut target[first_column * depth..], depth, true);
            }
        }
    }
}

/// One running log-sum-exp of logits `scale · s`: the similarity with the largest logit so
/// far (float32, exact: it is one of the entries) and `Σ exp(logit − that logit)` in float64.
/// A sum of 0 means nothing was absorbed yet (once anything is, the largest term is 1).
pub(crate) struct OnlineLogSumExp<'a> {
    /// Per-row best similarity.
    pub best: &'a mut [f32],
    /// Per-row sums, float64; [`OnlineLogSumExp::finish`] turns them into log-sum-exps.
    pub sums: &'a mut [f64],
    /// The logit scale (1/τ, or a CLIP logit scale).
    pub scale: f64,
}

impl OnlineLogSumExp<'_> {
    /// Empties every row.
    pub fn reset(&mut self) {
        self.best.fill(0.0);
        self.sums.fill(0.0);
    }

    /// Makes `candidate` row `row`'s reference if its logit is larger (rescaling the sum),
    /// and returns the reference logit the next terms are taken against.
    #[inline]
    pub fn raise(&mut self, row: usize, candidate: f32) -> f64 {
        let candidate_logit = self.scale * f64::from(candidate);
        let sum = self.sums[row];
        if sum == 0.0 {
            self.best[row] = candidate;
            return candidate_logit;
        }
        let current = self.scale * f64::from(self.best[row]);
        if candidate_logit > current {
            self.sums[row] = sum * exp_f64(current - candidate_logit);
            self.best[row] = candidate;
            return candidate_logit;
        }
        current
    }

    /// The log-sum-exp of each row, in place of its sum.
    pub fn finish(&mut self) {
        for (sum, &best) in self.sums.iter_mut().zip(self.best.iter()) {
            *sum = self.scale * f64::from(best) + ln_f64(*sum);
        }
    }
}
