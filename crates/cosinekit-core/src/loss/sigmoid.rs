//! SigLIP: a sigmoid loss on every image–text pair (open_clip's `SigLipLoss`), in one sweep.
//!
//! # Numerics
//! - Rows normalised with eps 1e-12 while packed, similarities from the float32 GEMM in
//!   tiles (see [`super::blocks`]); logits `l = t·s + b` in float64.
//! - Per entry, with label z = +1 on the diagonal and −1 elsewhere and u = z·l:
//!   `−log σ(u) = max(−u, 0) + log1p(e)` with `e = exp(−|u|)` (never `log(σ)` of a rounded
//!   σ, so a logit of ±1000 stays finite and exact). `e` is the float32 exponential of the
//!   float64 argument rounded once ([`crate::math::exp_f32_in_place`], 2 ulp); `log1p(e)`
//!   is its alternating series up to e⁸ when e ≤ 1/8 (truncation below e·1e−8), else
//!   `ln(1 + e)` in float64. Terms and the loss are summed in float64.
//! - Gradient: `dL/dl = −z·σ(−u)/N` with `σ(−u) = 1/(1 + e)` for u < 0 and `e/(1 + e)`
//!   otherwise (no overflow either way); `dL/dS = t·dL/dl` through the tile products, then
//!   the normalisation. `d/d log t = Σ dL/dl · t·s` and `d/d b = Σ dL/dl`, float64.
//! - Forward and backward share the one sweep (no log-sum-exp to wait for). A NaN in the
//!   inputs makes the loss and every gradient NaN.

use super::blocks::{RowSets, SweepGradients, Tile, sweep, sweep_scratch_len};
use super::{LOSS_BLOCK, normalize_backward, tile_has_nan};
use crate::KernelError;
use crate::lanes::{F32x4, Native};
use crate::math::{exp_f32_in_place, ln_f64};

/// Floats of scratch [`siglip_f32`] needs for `rows` pairs of `depth`.
pub fn siglip_scratch_len(rows: usize, depth: usize) -> Option<usize> {
    sweep_scratch_len(rows, rows, depth)
}

/// What [`siglip_f32`] computes besides the gradients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SigLipOutput {
    /// `−Σᵢⱼ log σ(zᵢⱼ·lᵢⱼ) / N`.
    pub loss: f64,
    /// d loss / d log t.
    pub gradient_log_scale: f64,
    /// d loss / d b.
    pub gradient_bias: f64,
}

/// `log(1 + e)` for e in [0, 1]: the series when e ≤ 1/8, else `ln_f64`.
#[inline]
pub(super) fn log1p_unit(e: f64) -> f64 {
    if e <= 0.125 {
        let mut series = 0.0;
        for power in (1..=8).rev() {
            let sign = if power % 2 == 1 { 1.0 } else { -1.0 };
            let coefficient = sign / f64::from(power);
            series = coefficient + e * series;
        }
        e * series
    } else {
        ln_f64(1.0 + e)
    }
}

/// SigLIP loss of `image`, `text` (`rows × depth` each), logits `logit_scale·ÎT̂ᵀ + logit_bias`;
/// with `gradients`, d loss / d image and d loss / d text.
pub fn siglip_f32(
    image: &[f32],
    text: &[f32],
    rows: usize,
    depth: usize,
    logit_scale: f32,
    logit_bias: f32,
    gradients: Option<(&mut [f32], &mut [f32])>,
    scratch: &mut [f32],
) -> Result<SigLipOutput, KernelError> {
    if rows == 0 || !logit_scale.is_finite() || !logit_bias.is_finite() {
        return Err(KernelError::InvalidArgument);
    }
    let length = rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    if image.len() != length || text.len() != length {
        return Err(KernelError::OutOfBounds);
    }
    if gradients.as_ref().is_some_and(|(image_gradient, text_gradient)| image_gradient.len() != length || text_gradient.len() != length) {
        return Err(KernelError::OutputLength);
    }
    if scratch.len() < siglip_scratch_len(rows, depth).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    Ok(siglip_with::<Native>(image, text, rows, depth, logit_scale, logit_bias, gradients, scratch))
}

fn siglip_with<V: F32x4>(
    image: &[f32],
    text: &[f32],
    rows: usize,
    depth: usize,
    logit_scale: f32,
    logit_bias: f32,
    mut gradients: Option<(&mut [f32], &mut [f32])>,
    scratch: &mut [f32],
) -> SigLipOutput {
    let scale = f64::from(logit_scale);
    let bias = f64::from(logit_bias);
    let weight = 1.0 / rows as f64;
    let want_gradient = gradients.is_some();
    let sweep_gradients = match gradients.as_mut() {
        Some((image_gradient, text_gradient)) => {
            image_gradient.fill(0.0);
            text_gradient.fill(0.0);
            SweepGradients::Separate(&mut **image_gradient, Some(&mut **text_gradient))
        }
        None => SweepGradients::None,
    };
    let sets = RowSets { first: image, first_rows: rows, second: text, second_rows: rows, depth, symmetric: false };
    let (mut loss, mut gradient_log_scale, mut gradient_bias) = (0.0f64, 0.0f64, 0.0f64);
    let mut poisoned = false;
    sweep::<V>(sets, scratch, sweep_gradients, &mut |tile: Tile<'_>| {
        poisoned |= tile_has_nan(&tile);
        let Tile { first_row, first_column, rows: tile_rows, columns, values } = tile;
        let mut terms = [0.0f32; LOSS_BLOCK];
        for r in 0..tile_rows {
            let row = first_row + r;
            let line = &mut values[r * columns..(r + 1) * columns];
            for (c, (term, &similarity)) in terms.iter_mut().zip(line.iter()).enumerate() {
                let label = if row == first_column + c { 1.0 } else { -1.0 };
                *term = -(label * (scale * f64::from(similarity) + bias)).abs() as f32;
            }
            exp_f32_in_place(&mut terms[..columns]);
            for (c, slot) in line.iter_mut().enumerate() {
                let label = if row == first_column + c { 1.0 } else { -1.0 };
                let similarity = f64::from(*slot);
                let signed = label * (scale * similarity + bias);
                let e = f64::from(terms[c]);
                loss += (if signed < 0.0 { -signed } else { 0.0 }) + log1p_unit(e);
                if want_gradient {
                    let sigmoid_of_minus = if signed < 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
                    let logit_gradient = -label * sigmoid_of_minus * weight;
                    gradient_log_scale += logit_gradient * scale * similarity;
                    gradient_bias += logit_gradient;
                    *slot = logit_gradient as f32;
                }
            }
        }
    });
    if poisoned {
        if let Some((image_gradient, text_gradient)) = gradients {
            image_gradient.fill(f32::NAN);
            text_gradient.fill(f32::NAN);
        }
        return SigLipOutput { loss: f64::NAN, gradient_log_scale: f64::NAN, gradient_bias: f64::NAN };
    }
    if let Some((image_gradient, text_gradient)) = gradients {
        normalize_backward::<V>(image, rows, depth, image_gradient, scale);
        normalize_backward::<V>(text, rows, depth, text_gradient, scale);
    }
    SigLipOutput { loss: loss * weight, gradient_log_scale, gradient_bias }
}
