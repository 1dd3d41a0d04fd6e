//! Supervised contrastive loss (Khosla et al. 2020, `contrast_mode = 'all'`, one view per
//! row): every row is an anchor, its positives are the other rows with its label, its
//! denominator is every other row. One symmetric sweep gathers the statistics, a second one
//! (the tiles recomputed) the gradient.
//!
//! # Numerics
//! - Rows normalised with eps 1e-12 while packed (`F.normalize`), similarities from the
//!   float32 GEMM in the tiles of a symmetric sweep (see [`super::blocks`]): only tiles on or
//!   above the diagonal, each entry standing for `s_ij` and `s_ji`. Logits `s/τ` in float64.
//! - Per anchor i, three statistics over a ≠ i: the online max-subtracted log-sum-exp of the
//!   logits (InfoNCE's sweep: float64 sums of float32 exponentials of the float64 arguments
//!   rounded once), the sum of its positives' similarities (float64 sums of the float32
//!   entries) and their count |P(i)| (exact).
//! - `lossᵢ = (τ/τ_base)·(lseᵢ − Σ_{p∈P(i)} s_ip / (τ·|P(i)|))`, float64: the mean of the
//!   positives' log-probabilities written as a log-sum-exp minus a mean logit (the same in
//!   real arithmetic, and no logarithm of a rounded probability). The loss is the mean over
//!   the A anchors with a positive; an anchor without one is left out (the reference code
//!   divides 0 by 0 there) but stays in the other anchors' denominators. A = 0 is an error,
//!   reported before the gradient is touched.
//! - Gradient: `dL/ds_ij = (w_i·(p_ij − m_ij/|P(i)|) + w_j·(p_ji − m_ij/|P(j)|)) / τ` with
//!   `w = τ/(τ_base·A)` for anchors with a positive and 0 for the others, `p` the row
//!   softmax recomputed tile by tile from the first sweep's log-sum-exps (float32
//!   exponentials as above) and `m_ij = [label_i = label_j]`; float64 per entry, rounded once
//!   to float32 into the tile, then the tile products (float32 sums per tile, tiles added in
//!   order) and the normalisation (see [`super`]).
//! - Labels are compared for equality only (as i32): any values, negatives included.
//! - A NaN in the features makes the loss and every gradient entry NaN.
//! - Memory: the sweep's O(D·block + block²) floats, N floats and 3·N float64, whatever N.

use super::blocks::{OnlineLogSumExp, RowSets, SweepGradients, Tile, sweep, sweep_scratch_len, take};
use super::{LOSS_BLOCK, absorb_symmetric_tile, normalize_backward, row_and_column_terms, tile_has_nan};
use crate::KernelError;
use crate::lanes::{F32x4, Native};

/// Floats of scratch [`supcon_f32`] needs for `rows` rows of `depth` (its float64 scratch is
/// [`supcon_wide_len`]).
pub fn supcon_scratch_len(rows: usize, depth: usize) -> Option<usize> {
    sweep_scratch_len(rows, rows, depth)?.checked_add(rows)
}

/// Float64 scratch [`supcon_f32`] needs for `rows` rows: `3·rows`.
pub fn supcon_wide_len(rows: usize) -> Option<usize> {
    rows.checked_mul(3)
}

/// SupCon loss of `features` (`rows ≥ 2` rows of `depth`) with one label per row, at
/// `temperature` τ and `base_temperature` τ_base: the mean over the anchors that have a
/// positive (see the module's Numerics); with `gradient`, d loss / d features. `wide` is
/// float64 scratch of [`supcon_wide_len`] entries. No anchor with a positive (all labels
/// distinct) is `InvalidArgument`, with `gradient` left as it was.
pub fn supcon_f32(
    features: &[f32],
    rows: usize,
    depth: usize,
    labels: &[i32],
    temperature: f32,
    base_temperature: f32,
    gradient: Option<&mut [f32]>,
    scratch: &mut [f32],
    wide: &mut [f64],
) -> Result<f64, KernelError> {
    let valid_temperature = |value: f32| value > 0.0 && value.is_finite();
    if rows < 2 || !valid_temperature(temperature) || !valid_temperature(base_temperature) {
        return Err(KernelError::InvalidArgument);
    }
    if Some(features.len()) != rows.checked_mul(depth) || labels.len() != rows {
        return Err(KernelError::OutOfBounds);
    }
    if wide.len() < supcon_wide_len(rows).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::OutOfBounds);
    }
    if gradient.as_ref().is_some_and(|slice| slice.len() != features.len()) {
        return Err(KernelError::OutputLength);
    }
    if scratch.len() < supcon_scratch_len(rows, depth).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    supcon_with::<Native>(features, rows, depth, labels, temperature, base_temperature, gradient, scratch, wide)
}

fn supcon_with<V: F32x4>(
    features: &[f32],
    rows: usize,
    depth: usize,
    labels: &[i32],
    temperature: f32,
    base_temperature: f32,
    gradient: Option<&mut [f32]>,
    mut scratch: &mut [f32],
    wide: &mut [f64],
) -> Result<f64, KernelError> {
    let best = take(&mut scratch, rows);
    let scale = 1.0 / f64::from(temperature);
    let (sums, rest) = wide[..3 * rows].split_at_mut(rows);
    let (positive_sums, positive_counts) = rest.split_at_mut(rows);
    positive_sums.fill(0.0);
    positive_counts.fill(0.0);
    let sets = RowSets { first: features, first_rows: rows, second: features, second_rows: rows, depth, symmetric: true };
    let mut state = OnlineLogSumExp { best, sums, scale };
    state.reset();
    let mut poisoned = false;
    // Sweep 1: each row's log-sum-exp over a ≠ i, and the sum and count of its positives
    // (row i from its row block's tiles, and as a column from the tiles above the diagonal).
    sweep::<V>(sets, &mut *scratch, SweepGradients::None, &mut |tile: Tile<'_>| {
        poisoned |= tile_has_nan(&tile);
        absorb_symmetric_tile(&mut state, &tile);
        let Tile { first_row, first_column, rows: tile_rows, columns, values } = tile;
        let diagonal = first_row == first_column;
        let column_labels = &labels[first_column..first_column + columns];
        let mut column_sums = [0.0f64; LOSS_BLOCK];
        let mut column_counts = [0u32; LOSS_BLOCK];
        for r in 0..tile_rows {
            let row = first_row + r;
            let label = labels[row];
            let line = &values[r * columns..(r + 1) * columns];
            let (mut sum, mut count) = (0.0f64, 0u32);
            for (c, (&similarity, &other)) in line.iter().zip(column_labels).enumerate() {
                if other == label && !(diagonal && c == r) {
                    sum += f64::from(similarity);
                    count += 1;
                    column_sums[c] += f64::from(similarity);
                    column_counts[c] += 1;
                }
            }
            positive_sums[row] += sum;
            positive_counts[row] += f64::from(count);
        }
        if !diagonal {
            let range = first_column..first_column + columns;
            for ((sum, count), (&tile_sum, &tile_count)) in positive_sums[range.clone()].iter_mut().zip(&mut positive_counts[range]).zip(column_sums.iter().zip(&column_counts)) {
                *sum += tile_sum;
                *count += f64::from(tile_count);
            }
        }
    });
    let anchors = positive_counts.iter().filter(|&&count| count > 0.0).count();
    if anchors == 0 {
        return Err(KernelError::InvalidArgument);
    }
    if poisoned {
        if let Some(gradient) = gradient {
            gradient.fill(f32::NAN);
        }
        return Ok(f64::NAN);
    }
    state.finish();
    let log_sum_exps: &[f64] = state.sums;
    let ratio = f64::from(temperature) / f64::from(base_temperature);
    let mut total = 0.0f64;
    for ((&lse, &sum), &count) in log_sum_exps.iter().zip(positive_sums.iter()).zip(positive_counts.iter()) {
        if count > 0.0 {
            total += lse - scale * sum / count;
        }
    }
    let anchor_count = anchors as f64;
    let loss = ratio * total / anchor_count;
    let Some(gradient) = gradient else {
        return Ok(loss);
    };
    // Per row, in place of its statistics: its softmax weight w_i (w or 0) and w_i / |P(i)|,
    // the share of each positive. The sweep's products then take dL/dS·τ (see `normalize_backward`).
    let weight = ratio / anchor_count;
    let (shares, weights) = (positive_sums, positive_counts);
    for (share, row_weight) in shares.iter_mut().zip(weights.iter_mut()) {
        let count = *row_weight;
        (*share, *row_weight) = if count > 0.0 { (weight / count, weight) } else { (0.0, 0.0) };
    }
    let (shares, weights): (&[f64], &[f64]) = (shares, weights);
    gradient.fill(0.0);
    // Sweep 2: H = G + Gᵀ tile by tile, G_ij = w_i·(p_ij − m_ij/|P(i)|), and its products
    // (m_ij = 1 implies |P(i)| = |P(j)|, so a positive pair subtracts 2·w/|P(i)|).
    sweep::<V>(sets, &mut *scratch, SweepGradients::Shared(&mut *gradient), &mut |tile: Tile<'_>| {
        let Tile { first_row, first_column, rows: tile_rows, columns, values } = tile;
        let range = first_column..first_column + columns;
        let (column_labels, column_weights) = (&labels[range.clone()], &weights[range.clone()]);
        let mut terms = [0.0f32; 2 * LOSS_BLOCK];
        for r in 0..tile_rows {
            let row = first_row + r;
            let (label, row_weight, row_share) = (labels[row], weights[row], shares[row]);
            let line = &mut values[r * columns..(r + 1) * columns];
            row_and_column_terms(line, scale, log_sum_exps[row], &log_sum_exps[range.clone()], &mut terms);
            // Rows of one label have the same number of positives: a pair's two shares are equal.
            let pair_share = 2.0 * row_share;
            for (c, ((slot, &other), &column_weight)) in line.iter_mut().zip(column_labels).zip(column_weights).enumerate() {
                if first_column + c == row {
                    *slot = 0.0;
                    continue;
                }
                let mut value = row_weight * f64::from(terms[c]) + column_weight * f64::from(terms[columns + c]);
                if other == label {
                    value -= pair_share;
                }
                *slot = value as f32;
            }
        }
    });
    normalize_backward::<V>(features, rows, depth, gradient, scale);
    Ok(loss)
}
