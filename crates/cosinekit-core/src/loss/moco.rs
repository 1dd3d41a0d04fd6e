//! MoCo's InfoNCE: each query against its own key (the positive) and a queue of negatives,
//! cross-entropy with label 0, mean over the queries; the queue is swept in tiles by the two
//! sweeps of the ranking loss ([`super::ranking`]), with the positive taken from the key.
//!
//! # Numerics
//! - Rows normalised with eps 1e-12 (`F.normalize`): the queue's while packed for the
//!   float32 GEMM tiles (see [`super::blocks`]), never an N × K matrix; the positive
//!   `q̂ᵢ·k̂ᵢ` from the same normalised values (`x · 1/max(‖x‖, eps)` with the factor in
//!   float64, each value rounded once to float32), summed in float64 and rounded to float32
//!   like a tile entry.
//! - Logits `s/τ` in float64. Each query's log-sum-exp starts from its positive (the
//!   reference, a sum of 1) and absorbs the queue tiles online and max-subtracted
//!   ([`super::blocks::OnlineLogSumExp`]: float64 sums of float32 exponentials of the float64
//!   arguments rounded once, as the other losses); loss `lse − pos/τ`, float64.
//! - Gradient (second sweep over the queue): `dL/dq̂ = (p₀ − 1)·k̂/(τN) + Σⱼ pⱼ·Q̂ⱼ/(τN)`, the
//!   queue part through the tile products (float32 sums per tile, tiles in order), the key
//!   part in float64 rounded once, then through the normalisation. Key and queue get no
//!   gradient (they come from the momentum encoder).
//! - Memory: O(D·block + block² + N) floats of scratch, whatever K.
//! - A NaN in the inputs makes every row loss and the gradient NaN.

use super::blocks::{RowSets, sweep_scratch_len};
use super::ranking::{Positives, ranking_with};
use crate::KernelError;
use crate::lanes::Native;

/// Floats of scratch [`moco_f32`] needs.
pub fn moco_scratch_len(rows: usize, queue_rows: usize, depth: usize) -> Option<usize> {
    sweep_scratch_len(rows, queue_rows, depth)?.checked_add(rows.checked_mul(2)?)
}

/// MoCo loss of `query` and `key` (`rows × depth` each) against `queue` (`queue_rows ≥ 1`
/// rows of `depth`) at `temperature`: per-query losses into `row_losses` (float64); with
/// `gradient`, d(mean loss)/d query.
pub fn moco_f32(
    query: &[f32],
    key: &[f32],
    queue: &[f32],
    rows: usize,
    queue_rows: usize,
    depth: usize,
    temperature: f32,
    row_losses: &mut [f64],
    gradient: Option<&mut [f32]>,
    scratch: &mut [f32],
) -> Result<(), KernelError> {
    if rows == 0 || queue_rows == 0 || !(temperature > 0.0 && temperature.is_finite()) {
        return Err(KernelError::InvalidArgument);
    }
    let length = rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    let queue_length = queue_rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    if query.len() != length || key.len() != length || queue.len() != queue_length || row_losses.len() != rows {
        return Err(KernelError::OutOfBounds);
    }
    if gradient.as_ref().is_some_and(|slice| slice.len() != length) {
        return Err(KernelError::OutputLength);
    }
    if scratch.len() < moco_scratch_len(rows, queue_rows, depth).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    let sets = RowSets { first: query, first_rows: rows, second: queue, second_rows: queue_rows, depth, symmetric: false };
    ranking_with::<Native>(sets, 1.0 / f64::from(temperature), Positives::Keys(key), row_losses, gradient, None, scratch);
    Ok(())
}
