//! Contrastive losses with analytic gradients (InfoNCE and CLIP here; SigLIP in [`sigmoid`],
//! multiple negatives ranking in [`ranking`], MoCo in [`moco`], supervised contrastive in
//! [`supcon`]; the row-wise cosine triplet loss in [`triplet`]), all but the last computed
//! in tiles of the similarity matrix (see [`blocks`]): the N × M logits are never held whole.
//!
//! # Numerics
//! - Rows are L2-normalised with eps = 1e-12 (`F.normalize`) while they are packed: the
//!   factor `1/max(‖x‖, eps)` in float64 (float32 lanes, float64 rescue), each value
//!   `x · factor` rounded to float32, recomputed wherever a block is packed again.
//! - Similarities come from the float32 GEMM (see `gemm`), one tile of at most
//!   [`LOSS_BLOCK`]² entries at a time. Logits, log-sum-exps, sums and losses are float64;
//!   the log-sum-exp is online and max-subtracted ([`blocks::OnlineLogSumExp`]): per row
//!   (and per column for CLIP) the largest logit so far is the reference, and the running
//!   sum is rescaled by `exp(old − new)` (float64) when a tile raises it; never
//!   softmax-then-log, so τ = 0.01 or a logit scale of 100 stay finite. Each softmax term
//!   `exp(logit − reference)` is the float32 exponential of the float64 difference rounded
//!   once ([`crate::math::exp_f32_in_place`], 2 ulp, in lanes): the term's relative error is
//!   about `|logit − reference|·6e−8`, and the terms far from the reference are the ones
//!   that hardly count. Terms are summed in float64. A NaN anywhere in the inputs makes the
//!   loss and every gradient entry NaN.
//! - Gradients are analytic: a second sweep recomputes each tile, overwrites it with
//!   `dL/dS` (`softmax − onehot` times the reduction weight, float32) and adds its products
//!   with the packed normalised rows to the gradients (float32 GEMM sums, tiles added in
//!   order); then through the normalisation: `dz = (g − ẑ·(ẑ·g)) / ‖z‖`, or `g / eps`
//!   where the norm was clamped.
//! - Memory: O((N + M)·D) for the gradients the caller passes in, plus O(D·block + block²
//!   + N) floats of scratch, whatever N (about 3 MiB at D = 512).

mod blocks;
mod moco;
mod ranking;
mod sigmoid;
mod supcon;
mod triplet;

pub use blocks::LOSS_BLOCK;
pub use moco::{moco_f32, moco_scratch_len};
pub use ranking::{multiple_negatives_ranking_f32, ranking_scratch_len};
pub use sigmoid::{SigLipOutput, siglip_f32, siglip_scratch_len};
pub use supcon::{supcon_f32, supcon_scratch_len, supcon_wide_len};
pub use triplet::{TripletGradients, triplet_cosine_f32};

use crate::KernelError;
use crate::gemm::inverse_norm_f64;
use crate::lanes::{F32x4, Native};
use crate::math::{exp_f32_in_place, sqrt_f64};
use blocks::{EPS, OnlineLogSumExp, RowSets, SweepGradients, Tile, sweep, sweep_scratch_len, take};

/// The eps of `F.normalize`, used by every loss here.
pub const NORMALIZE_EPS: f32 = EPS;

/// Where row i's positive is, in InfoNCE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairLayout {
    /// Pairs (2k, 2k+1): the positive of i is i XOR 1 (the SimCLR paper's notation).
    Interleaved,
    /// `[z_a; z_b]`: the positive of i is (i + R/2) mod R (most PyTorch ports).
    Halves,
}

impl PairLayout {
    /// From the C-ABI code: 0 interleaved, 1 halves.
    pub fn from_code(code: u32) -> Result<Self, KernelError> {
        match code {
            0 => Ok(PairLayout::Interleaved),
            1 => Ok(PairLayout::Halves),
            _ => Err(KernelError::InvalidArgument),
        }
    }

    fn positive(self, row: usize, rows: usize) -> usize {
        match self {
            PairLayout::Interleaved => row ^ 1,
            PairLayout::Halves => (row + rows / 2) % rows,
        }
    }
}

/// In place: `gradient` holds dL/dẑ / `factor` for the rows of `raw`; leaves dL/dz. The
/// unit rows are recomputed from `raw`: `x · factor` in float64, rounded once to float32
/// (at D = 1 that rounds to ±1 exactly, so the projection `g − ẑ(ẑ·g)` is exactly 0, as
/// the derivative is).
#[inline(never)] // called once per gradient of every loss: one copy in the module
fn normalize_backward<V: F32x4>(raw: &[f32], rows: usize, depth: usize, gradient: &mut [f32], factor: f64) {
    for row in 0..rows {
        let values = &raw[row * depth..(row + 1) * depth];
        let slot = &mut gradient[row * depth..(row + 1) * depth];
        let inverse = inverse_norm_f64::<V>(values, EPS);
        if inverse >= 1.0 / f64::from(EPS) {
            for value in slot.iter_mut() {
                *value = (f64::from(*value) * factor * inverse) as f32;
            }
            continue;
        }
        let along: f64 = values.iter().zip(slot.iter()).map(|(&x, &g)| f64::from((f64::from(x) * inverse) as f32) * f64::from(g)).sum();
        for (value, &x) in slot.iter_mut().zip(values) {
            let unit = f64::from((f64::from(x) * inverse) as f32);
            *value = ((f64::from(*value) - unit * along) * factor * inverse) as f32;
        }
    }
}

/// `arguments[c] = scale·line[c] − reference`, in float64 rounded once to float32: the
/// exponent of a softmax term (≤ 0 up to rounding), for [`exp_f32_in_place`]. Not inlined:
/// one copy of the (vectorised) loop serves every loss.
#[inline(never)]
fn softmax_arguments(line: &[f32], scale: f64, reference: f64, arguments: &mut [f32]) {
    for (argument, &similarity) in arguments.iter_mut().zip(line) {
        *argument = (scale * f64::from(similarity) - reference) as f32;
    }
}

/// [`softmax_arguments`] with one reference per column: `scale·line[c] − references[c]`.
#[inline(never)]
fn softmax_arguments_per_column(line: &[f32], scale: f64, references: &[f64], arguments: &mut [f32]) {
    for ((argument, &similarity), &reference) in arguments.iter_mut().zip(line).zip(references) {
        *argument = (scale * f64::from(similarity) - reference) as f32;
    }
}

/// The softmax terms of one tile line against its row and against each of its columns:
/// `terms[c] = exp(scale·line[c] − row_reference)` and `terms[columns + c] =
/// exp(scale·line[c] − column_references[c])`, `columns = line.len()`. What every loss whose
/// gradient (or denominators) runs over rows and columns at once computes per line. Inlined
/// into each sweep, as the lines it stands for were (a call here measured 1 % slower).
#[inline(always)]
fn row_and_column_terms(line: &[f32], scale: f64, row_reference: f64, column_references: &[f64], terms: &mut [f32; 2 * LOSS_BLOCK]) {
    let columns = line.len();
    let (row_terms, column_terms) = terms.split_at_mut(columns);
    softmax_arguments(line, scale, row_reference, row_terms);
    softmax_arguments_per_column(line, scale, column_references, &mut column_terms[..columns]);
    exp_f32_in_place(&mut terms[..2 * columns]);
}

/// Whether any similarity of the tile is NaN.
fn tile_has_nan(tile: &Tile<'_>) -> bool {
    tile.values.iter().any(|value| value.is_nan())
}

/// Sweep 1 of a symmetric loss (one row set against itself, the diagonal left out of every
/// denominator): absorbs one tile into the online log-sum-exps of its rows and, for a tile
/// above the diagonal, of its columns (`S_ji` is the same float as `S_ij`). One copy serves
/// InfoNCE and SupCon.
#[inline(never)]
fn absorb_symmetric_tile(state: &mut OnlineLogSumExp<'_>, tile: &Tile<'_>) {
    let (first_row, first_column, tile_rows, columns) = (tile.first_row, tile.first_column, tile.rows, tile.columns);
    let values: &[f32] = tile.values;
    let scale = state.scale;
    let diagonal = first_row == first_column;
    let mut row_reference = [0.0f64; LOSS_BLOCK];
    let mut column_reference = [0.0f64; LOSS_BLOCK];
    for r in 0..tile_rows {
        let line = &values[r * columns..(r + 1) * columns];
        let best_similarity = line.iter().enumerate().filter(|&(c, _)| !(diagonal && c == r)).map(|(_, &s)| s).fold(f32::NEG_INFINITY, f32::max);
        if best_similarity > f32::NEG_INFINITY {
            row_reference[r] = state.raise(first_row + r, best_similarity);
        }
    }
    if !diagonal {
        for c in 0..columns {
            let best_similarity = (0..tile_rows).map(|r| values[r * columns + c]).fold(f32::NEG_INFINITY, f32::max);
            column_reference[c] = state.raise(first_column + c, best_similarity);
        }
    }
    let mut terms = [0.0f32; 2 * LOSS_BLOCK];
    for r in 0..tile_rows {
        let row = first_row + r;
        let line = &values[r * columns..(r + 1) * columns];
        let (row_terms, column_terms) = terms.split_at_mut(columns);
        let column_terms = &mut column_terms[..if diagonal { 0 } else { columns }];
        softmax_arguments(line, scale, row_reference[r], row_terms);
        softmax_arguments_per_column(line, scale, &column_reference[..column_terms.len()], column_terms);
        exp_f32_in_place(&mut terms[..if diagonal { columns } else { 2 * columns }]);
        if diagonal {
            terms[r] = 0.0; // the diagonal is not in the denominator
        }
        let total: f64 = terms[..columns].iter().map(|&term| f64::from(term)).sum();
        if !diagonal {
            for (sum, &term) in state.sums[first_column..first_column + columns].iter_mut().zip(&terms[columns..2 * columns]) {
                *sum += f64::from(term);
            }
        }
        state.sums[row] += total;
    }
}

/// Floats of scratch [`infonce_f32`] needs for `rows` (= 2N) rows of `depth`.
pub fn infonce_scratch_len(rows: usize, depth: usize) -> Option<usize> {
    sweep_scratch_len(rows, rows, depth)?.checked_add(rows.checked_mul(2)?)
}

/// NT-Xent over `rows` (even) rows of `depth`: per-row losses into `row_losses` (float64);
/// with `gradient`, d(Σᵢ row_weight·lossᵢ)/d features. `row_weight` is 1/rows for a mean.
pub fn infonce_f32(
    features: &[f32],
    rows: usize,
    depth: usize,
    temperature: f32,
    layout: PairLayout,
    row_weight: f64,
    row_losses: &mut [f64],
    gradient: Option<&mut [f32]>,
    scratch: &mut [f32],
) -> Result<(), KernelError> {
    if rows < 2 || !rows.is_multiple_of(2) || !(temperature > 0.0 && temperature.is_finite()) {
        return Err(KernelError::InvalidArgument);
    }
    if Some(features.len()) != rows.checked_mul(depth) || row_losses.len() != rows {
        return Err(KernelError::OutOfBounds);
    }
    if gradient.as_ref().is_some_and(|slice| slice.len() != features.len()) {
        return Err(KernelError::OutputLength);
    }
    if scratch.len() < infonce_scratch_len(rows, depth).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    infonce_with::<Native>(features, rows, depth, temperature, layout, row_weight, row_losses, gradient, scratch);
    Ok(())
}

fn infonce_with<V: F32x4>(
    features: &[f32],
    rows: usize,
    depth: usize,
    temperature: f32,
    layout: PairLayout,
    row_weight: f64,
    row_losses: &mut [f64],
    gradient: Option<&mut [f32]>,
    mut scratch: &mut [f32],
) {
    let best = take(&mut scratch, rows);
    let positives = take(&mut scratch, rows);
    let scale = 1.0 / f64::from(temperature);
    let sets = RowSets { first: features, first_rows: rows, second: features, second_rows: rows, depth, symmetric: true };
    // Sweep 1: the online log-sum-exp of every row over j ≠ i (row i from the tiles of its
    // row block, and as a column from the tiles above the diagonal), and the positives.
    let mut state = OnlineLogSumExp { best, sums: row_losses, scale };
    state.reset();
    let mut poisoned = false;
    sweep::<V>(sets, &mut *scratch, SweepGradients::None, &mut |tile: Tile<'_>| {
        poisoned |= tile_has_nan(&tile);
        absorb_symmetric_tile(&mut state, &tile);
        let Tile { first_row, first_column, rows: tile_rows, columns, values } = tile;
        for r in 0..tile_rows {
            let row = first_row + r;
            let positive = layout.positive(row, rows);
            if (first_column..first_column + columns).contains(&positive) {
                positives[row] = values[r * columns + positive - first_column];
            }
        }
        if first_row != first_column {
            for c in 0..columns {
                let positive = layout.positive(first_column + c, rows);
                if (first_row..first_row + tile_rows).contains(&positive) {
                    positives[first_column + c] = values[(positive - first_row) * columns + c];
                }
            }
        }
    });
    if poisoned {
        state.sums.fill(f64::NAN);
        if let Some(gradient) = gradient {
            gradient.fill(f32::NAN);
        }
        return;
    }
    state.finish();
    let log_sum_exps: &mut [f64] = state.sums;
    if let Some(gradient) = gradient {
        // Sweep 2: H = G + Gᵀ tile by tile (G = row_weight·(softmax − onehot), dL/dS = G/τ),
        // and the gradient products.
        gradient.fill(0.0);
        let log_sum_exps: &[f64] = log_sum_exps;
        sweep::<V>(sets, &mut *scratch, SweepGradients::Shared(&mut *gradient), &mut |tile: Tile<'_>| {
            let Tile { first_row, first_column, rows: tile_rows, columns, values } = tile;
            let mut terms = [0.0f32; 2 * LOSS_BLOCK];
            for r in 0..tile_rows {
                let row = first_row + r;
                let row_positive = layout.positive(row, rows);
                let line = &mut values[r * columns..(r + 1) * columns];
                row_and_column_terms(line, scale, log_sum_exps[row], &log_sum_exps[first_column..first_column + columns], &mut terms);
                for (c, slot) in line.iter_mut().enumerate() {
                    let column = first_column + c;
                    if row == column {
                        *slot = 0.0;
                        continue;
                    }
                    let mut weight = f64::from(terms[c]) + f64::from(terms[columns + c]);
                    if column == row_positive {
                        weight -= 1.0;
                    }
                    if layout.positive(column, rows) == row {
                        weight -= 1.0;
                    }
                    *slot = (weight * row_weight) as f32;
                }
            }
        });
        normalize_backward::<V>(features, rows, depth, gradient, scale);
    }
    for (row, loss) in log_sum_exps.iter_mut().enumerate() {
        *loss -= scale * f64::from(positives[row]);
    }
}

/// Floats of scratch [`clip_f32`] needs (its float64 scratch is `3·rows`).
pub fn clip_scratch_len(rows: usize, depth: usize) -> Option<usize> {
    sweep_scratch_len(rows, rows, depth)?.checked_add(rows.checked_mul(3)?)
}

/// What [`clip_f32`] computes besides the gradients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipOutput {
    /// (CE over rows + CE over columns) / 2, labels 0..N.
    pub loss: f64,
    /// d loss / d log(logit scale).
    pub gradient_log_scale: f64,
}

/// CLIP loss of `image` and `text` (`rows × depth` each) with logits `logit_scale·ÎT̂ᵀ`;
/// with `gradients`, d loss / d image and d loss / d text. `wide` is float64 scratch of
/// `3·rows` entries.
pub fn clip_f32(
    image: &[f32],
    text: &[f32],
    rows: usize,
    depth: usize,
    logit_scale: f32,
    gradients: Option<(&mut [f32], &mut [f32])>,
    scratch: &mut [f32],
    wide: &mut [f64],
) -> Result<ClipOutput, KernelError> {
    if rows == 0 || !logit_scale.is_finite() {
        return Err(KernelError::InvalidArgument);
    }
    let length = rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    if image.len() != length || text.len() != length || wide.len() < 3 * rows {
        return Err(KernelError::OutOfBounds);
    }
    if gradients.as_ref().is_some_and(|(image_gradient, text_gradient)| image_gradient.len() != length || text_gradient.len() != length) {
        return Err(KernelError::OutputLength);
    }
    if scratch.len() < clip_scratch_len(rows, depth).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    Ok(clip_with::<Native>(image, text, rows, depth, logit_scale, gradients, scratch, wide))
}

fn clip_with<V: F32x4>(
    image: &[f32],
    text: &[f32],
    rows: usize,
    depth: usize,
    logit_scale: f32,
    gradients: Option<(&mut [f32], &mut [f32])>,
    mut scratch: &mut [f32],
    wide: &mut [f64],
) -> ClipOutput {
    let row_best = take(&mut scratch, rows);
    let column_best = take(&mut scratch, rows);
    let diagonal = take(&mut scratch, rows);
    let scale = f64::from(logit_scale);
    let (row_sums, rest) = wide[..3 * rows].split_at_mut(rows);
    let (column_sums, _) = rest.split_at_mut(rows);
    let mut by_row = OnlineLogSumExp { best: row_best, sums: row_sums, scale };
    let mut by_column = OnlineLogSumExp { best: column_best, sums: column_sums, scale };
    by_row.reset();
    by_column.reset();
    let sets = RowSets { first: image, first_rows: rows, second: text, second_rows: rows, depth, symmetric: false };
    let mut poisoned = false;
    // Sweep 1: online log-sum-exps over rows and over columns, and the diagonal.
    sweep::<V>(sets, &mut *scratch, SweepGradients::None, &mut |tile: Tile<'_>| {
        poisoned |= tile_has_nan(&tile);
        let Tile { first_row, first_column, rows: tile_rows, columns, values } = tile;
        let mut column_best_similarity = [f32::NEG_INFINITY; LOSS_BLOCK];
        let mut row_reference = [0.0f64; LOSS_BLOCK];
        let mut column_reference = [0.0f64; LOSS_BLOCK];
        for r in 0..tile_rows {
            let line = &values[r * columns..(r + 1) * columns];
            let mut best_similarity = f32::NEG_INFINITY;
            for (c, &similarity) in line.iter().enumerate() {
                best_similarity = best_similarity.max(similarity);
                column_best_similarity[c] = column_best_similarity[c].max(similarity);
            }
            // The best logit is at the largest similarity for a scale ≥ 0, the smallest below.
            let best_similarity = if scale >= 0.0 { best_similarity } else { line.iter().copied().fold(f32::INFINITY, f32::min) };
            row_reference[r] = by_row.raise(first_row + r, best_similarity);
        }
        for c in 0..columns {
            let best_similarity = if scale >= 0.0 { column_best_similarity[c] } else { (0..tile_rows).map(|r| values[r * columns + c]).fold(f32::INFINITY, f32::min) };
            column_reference[c] = by_column.raise(first_column + c, best_similarity);
        }
        let mut terms = [0.0f32; 2 * LOSS_BLOCK];
        for r in 0..tile_rows {
            let line = &values[r * columns..(r + 1) * columns];
            row_and_column_terms(line, scale, row_reference[r], &column_reference[..columns], &mut terms);
            by_row.sums[first_row + r] += terms[..columns].iter().map(|&term| f64::from(term)).sum::<f64>();
            for (sum, &term) in by_column.sums[first_column..first_column + columns].iter_mut().zip(&terms[columns..2 * columns]) {
                *sum += f64::from(term);
            }
            let row = first_row + r;
            if (first_column..first_column + columns).contains(&row) {
                diagonal[row] = line[row - first_column];
            }
        }
    });
    if poisoned {
        if let Some((image_gradient, text_gradient)) = gradients {
            image_gradient.fill(f32::NAN);
            text_gradient.fill(f32::NAN);
        }
        return ClipOutput { loss: f64::NAN, gradient_log_scale: f64::NAN };
    }
    by_row.finish();
    by_column.finish();
    let (row_lse, column_lse): (&[f64], &[f64]) = (by_row.sums, by_column.sums);
    let mut loss = 0.0f64;
    for row in 0..rows {
        loss += row_lse[row] + column_lse[row] - 2.0 * scale * f64::from(diagonal[row]);
    }
    let count = rows as f64;
    let loss = loss / (2.0 * count);
    let Some((image_gradient, text_gradient)) = gradients else {
        return ClipOutput { loss, gradient_log_scale: 0.0 };
    };
    // Sweep 2: dL_ij = (softmax_row_ij + softmax_column_ij − 2δ_ij) / 2N in place of each
    // tile, then d/dÎ = s·dL·T̂ and d/dT̂ = s·dLᵀ·Î through the sweep's products.
    image_gradient.fill(0.0);
    text_gradient.fill(0.0);
    let mut gradient_log_scale = 0.0f64;
    let weight = 1.0 / (2.0 * count);
    sweep::<V>(sets, &mut *scratch, SweepGradients::Separate(&mut *image_gradient, Some(&mut *text_gradient)), &mut |tile: Tile<'_>| {
        let Tile { first_row, first_column, rows: tile_rows, columns, values } = tile;
        let mut terms = [0.0f32; 2 * LOSS_BLOCK];
        for r in 0..tile_rows {
            let row = first_row + r;
            let line = &mut values[r * columns..(r + 1) * columns];
            row_and_column_terms(line, scale, row_lse[row], &column_lse[first_column..first_column + columns], &mut terms);
            for (c, slot) in line.iter_mut().enumerate() {
                let logit = scale * f64::from(*slot);
                let mut delta = f64::from(terms[c]) + f64::from(terms[columns + c]);
                if row == first_column + c {
                    delta -= 2.0;
                }
                delta *= weight;
                gradient_log_scale += delta * logit;
                *slot = delta as f32;
            }
        }
    });
    normalize_backward::<V>(image, rows, depth, image_gradient, scale);
    normalize_backward::<V>(text, rows, depth, text_gradient, scale);
    ClipOutput { loss, gradient_log_scale }
}

/// `nn.CosineEmbeddingLoss` per row: `cos = x1·x2 / sqrt((‖x1‖² + 1e-12)(‖x2‖² + 1e-12))`,
/// loss `1 − cos` where the target is 1 and `max(0, cos − margin)` where it is −1 (NaN stays
/// NaN). Any other target is an error.
pub fn cosine_embedding_f32(
    first: &[f32],
    second: &[f32],
    rows: usize,
    depth: usize,
    targets: &[f32],
    margin: f32,
    row_losses: &mut [f64],
) -> Result<(), KernelError> {
    let length = rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    if first.len() != length || second.len() != length || targets.len() != rows || row_losses.len() != rows {
        return Err(KernelError::OutOfBounds);
    }
    if targets.iter().any(|&target| target != 1.0 && target != -1.0) {
        return Err(KernelError::InvalidArgument);
    }
    const SQUARED_EPS: f64 = 1e-12;
    for row in 0..rows {
        let range = row * depth..(row + 1) * depth;
        // The triplet loss's row sums (float32 lanes, float64 rescue): one copy in the module.
        let [dot, first_squared, second_squared] = triplet::row_sums(&first[range.clone()], &second[range]);
        let cosine = dot / sqrt_f64((first_squared + SQUARED_EPS) * (second_squared + SQUARED_EPS));
        row_losses[row] = if targets[row] == 1.0 {
            1.0 - cosine
        } else {
            let excess = cosine - f64::from(margin);
            if excess < 0.0 { 0.0 } else { excess }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests;
