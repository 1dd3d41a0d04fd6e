//! Multiple negatives ranking loss (sentence-transformers' `MultipleNegativesRankingLoss`):
//! anchors against every candidate, cross-entropy with the i-th candidate as anchor i's
//! positive, in two sweeps.
//!
//! # Numerics
//! - Rows normalised with eps 1e-12 while packed (sentence-transformers' `cos_sim`),
//!   similarities from the float32 GEMM in tiles (see [`super::blocks`]); scores
//!   `scale·s` in float64.
//! - Per anchor, an online max-subtracted log-sum-exp over the candidate tiles
//!   ([`super::blocks::OnlineLogSumExp`], float64 sums of float32 exponentials of the
//!   float64 arguments rounded once, as the other losses); loss `lse − scale·s_ii`, float64.
//! - Gradient (second sweep): `dL/dS = scale·(softmax − onehot)/N`, float32 per tile,
//!   through the tile products into both gradients, then through the normalisation.
//!   Candidates past the first N (hard negatives) get a gradient too.
//! - A NaN in the inputs makes every row loss and gradient NaN.

use super::blocks::{OnlineLogSumExp, RowSets, SweepGradients, Tile, sweep, sweep_scratch_len, take};
use super::{LOSS_BLOCK, normalize_backward, softmax_arguments, tile_has_nan};
use crate::KernelError;
use crate::lanes::{F32x4, Native};
use crate::math::exp_f32_in_place;

/// Floats of scratch [`multiple_negatives_ranking_f32`] needs.
pub fn ranking_scratch_len(anchor_rows: usize, candidate_rows: usize, depth: usize) -> Option<usize> {
    sweep_scratch_len(anchor_rows, candidate_rows, depth)?.checked_add(anchor_rows.checked_mul(2)?)
}

/// MNRL of `anchors` (`anchor_rows × depth`) against `candidates` (`candidate_rows ≥
/// anchor_rows` rows of `depth`): per-anchor losses into `row_losses` (float64); with
/// `gradients`, d(mean loss)/d anchors and d(mean loss)/d candidates.
pub fn multiple_negatives_ranking_f32(
    anchors: &[f32],
    anchor_rows: usize,
    candidates: &[f32],
    candidate_rows: usize,
    depth: usize,
    scale: f32,
    row_losses: &mut [f64],
    gradients: Option<(&mut [f32], &mut [f32])>,
    scratch: &mut [f32],
) -> Result<(), KernelError> {
    if anchor_rows == 0 || candidate_rows < anchor_rows || !scale.is_finite() {
        return Err(KernelError::InvalidArgument);
    }
    let anchor_length = anchor_rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    let candidate_length = candidate_rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    if anchors.len() != anchor_length || candidates.len() != candidate_length || row_losses.len() != anchor_rows {
        return Err(KernelError::OutOfBounds);
    }
    if gradients.as_ref().is_some_and(|(anchor_gradient, candidate_gradient)| anchor_gradient.len() != anchor_length || candidate_gradient.len() != candidate_length) {
        return Err(KernelError::OutputLength);
    }
    if scratch.len() < ranking_scratch_len(anchor_rows, candidate_rows, depth).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    ranking_with::<Native>(anchors, anchor_rows, candidates, candidate_rows, depth, scale, row_losses, gradients, scratch);
    Ok(())
}

fn ranking_with<V: F32x4>(
    anchors: &[f32],
    anchor_rows: usize,
    candidates: &[f32],
    candidate_rows: usize,
    depth: usize,
    scale: f32,
    row_losses: &mut [f64],
    gradients: Option<(&mut [f32], &mut [f32])>,
    mut scratch: &mut [f32],
) {
    let best = take(&mut scratch, anchor_rows);
    let positives = take(&mut scratch, anchor_rows);
    let scale = f64::from(scale);
    let sets = RowSets { first: anchors, first_rows: anchor_rows, second: candidates, second_rows: candidate_rows, depth, symmetric: false };
    let mut state = OnlineLogSumExp { best, sums: row_losses, scale };
    state.reset();
    let mut poisoned = false;
    sweep::<V>(sets, &mut *scratch, SweepGradients::None, &mut |tile: Tile<'_>| {
        poisoned |= tile_has_nan(&tile);
        let Tile { first_row, first_column, rows, columns, values } = tile;
        let mut terms = [0.0f32; LOSS_BLOCK];
        for r in 0..rows {
            let row = first_row + r;
            let line = &values[r * columns..(r + 1) * columns];
            let extreme = if scale >= 0.0 { line.iter().copied().fold(f32::NEG_INFINITY, f32::max) } else { line.iter().copied().fold(f32::INFINITY, f32::min) };
            let reference = state.raise(row, extreme);
            softmax_arguments(line, scale, reference, &mut terms[..columns]);
            exp_f32_in_place(&mut terms[..columns]);
            state.sums[row] += terms[..columns].iter().map(|&term| f64::from(term)).sum::<f64>();
            if (first_column..first_column + columns).contains(&row) {
                positives[row] = line[row - first_column];
            }
        }
    });
    if poisoned {
        state.sums.fill(f64::NAN);
        if let Some((anchor_gradient, candidate_gradient)) = gradients {
            anchor_gradient.fill(f32::NAN);
            candidate_gradient.fill(f32::NAN);
        }
        return;
    }
    state.finish();
    let log_sum_exps: &mut [f64] = state.sums;
    if let Some((anchor_gradient, candidate_gradient)) = gradients {
        anchor_gradient.fill(0.0);
        candidate_gradient.fill(0.0);
        let weight = 1.0 / anchor_rows as f64;
        let lse: &[f64] = log_sum_exps;
        sweep::<V>(sets, &mut *scratch, SweepGradients::Separate(&mut *anchor_gradient, Some(&mut *candidate_gradient)), &mut |tile: Tile<'_>| {
            let Tile { first_row, first_column, rows, columns, values } = tile;
            let mut terms = [0.0f32; LOSS_BLOCK];
            for r in 0..rows {
                let row = first_row + r;
                let line = &mut values[r * columns..(r + 1) * columns];
                softmax_arguments(line, scale, lse[row], &mut terms[..columns]);
                exp_f32_in_place(&mut terms[..columns]);
                for (c, slot) in line.iter_mut().enumerate() {
                    let mut delta = f64::from(terms[c]);
                    if first_column + c == row {
                        delta -= 1.0;
                    }
                    *slot = (delta * weight) as f32;
                }
            }
        });
        normalize_backward::<V>(anchors, anchor_rows, depth, anchor_gradient, scale);
        normalize_backward::<V>(candidates, candidate_rows, depth, candidate_gradient, scale);
    }
    for (row, loss) in log_sum_exps.iter_mut().enumerate() {
        *loss -= scale * f64::from(positives[row]);
    }
}
