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

use super::blocks::{EPS, OnlineLogSumExp, RowSets, SweepGradients, Tile, sweep, sweep_scratch_len, take};
use super::{LOSS_BLOCK, normalize_backward, softmax_arguments, tile_has_nan};
use crate::KernelError;
use crate::gemm::inverse_norm_f64;
use crate::lanes::{F32x4, Native};
use crate::math::{exp_f32_in_place, exp_f64};

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
    let (anchor_gradient, candidate_gradient) = match gradients {
        Some((anchor_gradient, candidate_gradient)) => (Some(anchor_gradient), Some(candidate_gradient)),
        None => (None, None),
    };
    let sets = RowSets { first: anchors, first_rows: anchor_rows, second: candidates, second_rows: candidate_rows, depth, symmetric: false };
    ranking_with::<Native>(sets, f64::from(scale), Positives::Diagonal, row_losses, anchor_gradient, candidate_gradient, scratch);
    Ok(())
}

/// Where each anchor's positive logit comes from.
pub(super) enum Positives<'a> {
    /// Candidate i is anchor i's positive (and in its denominator): MNRL.
    Diagonal,
    /// Row i of these keys (`anchor_rows × depth`) is anchor i's positive, besides the
    /// candidates (all negatives): MoCo's queue. The keys get no gradient.
    Keys(&'a [f32]),
}

/// The two sweeps shared by MNRL and MoCo: per-anchor losses into `row_losses`; with
/// `anchor_gradient`, d(mean loss)/d anchors (and d/d candidates into `candidate_gradient`).
pub(super) fn ranking_with<V: F32x4>(
    sets: RowSets<'_>,
    scale: f64,
    positives_from: Positives<'_>,
    row_losses: &mut [f64],
    anchor_gradient: Option<&mut [f32]>,
    candidate_gradient: Option<&mut [f32]>,
    mut scratch: &mut [f32],
) {
    let RowSets { first: anchors, first_rows: anchor_rows, second: candidates, second_rows: candidate_rows, depth, .. } = sets;
    let best = take(&mut scratch, anchor_rows);
    let positives = take(&mut scratch, anchor_rows);
    let mut poisoned = false;
    let diagonal = matches!(positives_from, Positives::Diagonal);
    if let Positives::Keys(keys) = positives_from {
        // Each anchor's first reference is its positive: best = pos, sum = exp(0) = 1.
        for row in 0..anchor_rows {
            let range = row * depth..(row + 1) * depth;
            let similarity = unit_dot::<V>(&anchors[range.clone()], &keys[range], None);
            positives[row] = similarity as f32;
            poisoned |= similarity.is_nan();
        }
        best.copy_from_slice(positives);
        row_losses.fill(1.0);
    }
    let mut state = OnlineLogSumExp { best, sums: row_losses, scale };
    if diagonal {
        state.reset();
    }
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
            if diagonal && (first_column..first_column + columns).contains(&row) {
                positives[row] = line[row - first_column];
            }
        }
    });
    if poisoned {
        state.sums.fill(f64::NAN);
        for gradient in [anchor_gradient, candidate_gradient].into_iter().flatten() {
            gradient.fill(f32::NAN);
        }
        return;
    }
    state.finish();
    let log_sum_exps: &mut [f64] = state.sums;
    if let Some(anchor_gradient) = anchor_gradient {
        anchor_gradient.fill(0.0);
        let mut candidate_gradient = candidate_gradient;
        if let Some(gradient) = candidate_gradient.as_deref_mut() {
            gradient.fill(0.0);
        }
        let weight = 1.0 / anchor_rows as f64;
        let lse: &[f64] = log_sum_exps;
        sweep::<V>(sets, &mut *scratch, SweepGradients::Separate(&mut *anchor_gradient, candidate_gradient.as_deref_mut()), &mut |tile: Tile<'_>| {
            let Tile { first_row, first_column, rows, columns, values } = tile;
            let mut terms = [0.0f32; LOSS_BLOCK];
            for r in 0..rows {
                let row = first_row + r;
                let line = &mut values[r * columns..(r + 1) * columns];
                softmax_arguments(line, scale, lse[row], &mut terms[..columns]);
                exp_f32_in_place(&mut terms[..columns]);
                for (c, slot) in line.iter_mut().enumerate() {
                    let mut delta = f64::from(terms[c]);
                    if diagonal && first_column + c == row {
                        delta -= 1.0;
                    }
                    *slot = (delta * weight) as f32;
                }
            }
        });
        if let Positives::Keys(keys) = positives_from {
            // The key's part, (p₀ − 1)/N · k̂ (the sweep's convention: dL/dq̂ / scale).
            for row in 0..anchor_rows {
                let coefficient = (exp_f64(scale * f64::from(positives[row]) - lse[row]) - 1.0) * weight;
                let key = &keys[row * depth..(row + 1) * depth];
                unit_dot::<V>(key, key, Some((&mut anchor_gradient[row * depth..(row + 1) * depth], coefficient)));
            }
        }
        normalize_backward::<V>(anchors, anchor_rows, depth, anchor_gradient, scale);
        if let Some(gradient) = candidate_gradient {
            normalize_backward::<V>(candidates, candidate_rows, depth, gradient, scale);
        }
    }
    for (row, loss) in log_sum_exps.iter_mut().enumerate() {
        *loss -= scale * f64::from(positives[row]);
    }
}

/// `(x · factor) as f32` in float64, as the packers round a normalised value.
#[inline]
fn unit(value: f32, factor: f64) -> f64 {
    f64::from((f64::from(value) * factor) as f32)
}

/// `x̂·ŷ` in float64 from the rounded normalised values (as the packers round them); with
/// `add`, instead adds `coefficient · ŷ` to the slot (float64, rounded once) and returns 0.
/// One copy in the module (each inlined normalisation costs kilobytes).
#[inline(never)]
fn unit_dot<V: F32x4>(first: &[f32], second: &[f32], add: Option<(&mut [f32], f64)>) -> f64 {
    let second_factor = inverse_norm_f64::<V>(second, EPS);
    if let Some((slot, coefficient)) = add {
        for (value, &y) in slot.iter_mut().zip(second) {
            *value = (f64::from(*value) + coefficient * unit(y, second_factor)) as f32;
        }
        return 0.0;
    }
    let first_factor = inverse_norm_f64::<V>(first, EPS);
    first.iter().zip(second).map(|(&x, &y)| unit(x, first_factor) * unit(y, second_factor)).sum()
}
