//! Triplet margin loss with the cosine distance (`nn.TripletMarginWithDistanceLoss` with
//! `distance_function = 1 − F.cosine_similarity`): one pass over the rows, no GEMM.
//!
//! # Numerics
//! - Per row, the sums `a·p`, `a·n`, `‖a‖²`, `‖p‖²`, `‖n‖²` come from the float32 cosine
//!   kernel ([`crate::cosine::dot_norms_f32`], lanes), redone in float64 when a squared norm
//!   leaves the range where float32 keeps its relative precision (as `cosineEmbeddingLoss`).
//! - `cos(x, y) = x·y / (max(‖x‖, 1e-8)·max(‖y‖, 1e-8))` (`F.cosine_similarity`, which clamps
//!   each norm separately), float64; the row loss `max(0, cos(a,n) − cos(a,p) + margin)`,
//!   float64 (the distances' 1s cancel exactly in real arithmetic and are left out).
//! - Gradient of a row whose hinge argument is ≥ 0 (PyTorch's `clamp_min` passes the
//!   gradient at equality), with weight w (1/N for a mean, else 1) and `û = x / max(‖x‖,
//!   1e-8)`: `d/da = w·((n̂ − p̂) − â·(cos_an − cos_ap)) / max(‖a‖, 1e-8)`,
//!   `d/dp = −w·(â − p̂·cos_ap) / max(‖p‖, 1e-8)`, `d/dn = w·(â − n̂·cos_an) / max(‖n‖, 1e-8)`:
//!   the derivative PyTorch 1.13's `cosine_similarity` autograd gives, also where a norm is
//!   clamped. Per element in float64, rounded once to float32; other rows get 0.
//! - A NaN in a row makes that row's loss and its gradient rows NaN.

use crate::KernelError;
use crate::cosine::{DotNorms, dot_norms_f32, dot_norms_f64};
use crate::geometry::Axes;
use crate::math::{clamp_min_f64, sqrt_f64};

/// The eps of `F.cosine_similarity`.
const COSINE_EPS: f64 = 1e-8;

/// The gradient rows [`triplet_cosine_f32`] writes: d/d anchor, d/d positive, d/d negative.
pub type TripletGradients<'g> = (&'g mut [f32], &'g mut [f32], &'g mut [f32]);

/// `[x·y, ‖x‖², ‖y‖²]` of two rows, float32 lanes with the float64 rescue (one copy in the
/// module: two inlined copies of the lanes cost kilobytes).
#[inline(never)]
pub(super) fn row_sums(first: &[f32], second: &[f32]) -> [f64; 3] {
    let sums: DotNorms = dot_norms_f32(first, second);
    if sums.is_trusted() {
        return [f64::from(sums.dot), f64::from(sums.first_squared), f64::from(sums.second_squared)];
    }
    let whole = [first.len()];
    let unit = [1];
    dot_norms_f64(first, second, &Axes { extents: &whole, first_strides: &unit, second_strides: &unit }, 0, 0)
}

/// Triplet losses of `rows` (anchor, positive, negative) rows of `depth` into `row_losses`
/// (float64, unreduced); with `gradients`, d(Σᵢ row_weight·lossᵢ)/d each input. `margin`
/// must be finite and > 0.
pub fn triplet_cosine_f32(
    anchor: &[f32],
    positive: &[f32],
    negative: &[f32],
    rows: usize,
    depth: usize,
    margin: f32,
    row_weight: f64,
    row_losses: &mut [f64],
    gradients: Option<TripletGradients<'_>>,
) -> Result<(), KernelError> {
    if !(margin > 0.0 && margin.is_finite() && row_weight.is_finite()) {
        return Err(KernelError::InvalidArgument);
    }
    let length = rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    if anchor.len() != length || positive.len() != length || negative.len() != length || row_losses.len() != rows {
        return Err(KernelError::OutOfBounds);
    }
    if gradients.as_ref().is_some_and(|(a, p, n)| a.len() != length || p.len() != length || n.len() != length) {
        return Err(KernelError::OutputLength);
    }
    let mut gradients = gradients;
    let margin = f64::from(margin);
    for row in 0..rows {
        let range = row * depth..(row + 1) * depth;
        let (a, p, n) = (&anchor[range.clone()], &positive[range.clone()], &negative[range.clone()]);
        let [dot_ap, anchor_squared, positive_squared] = row_sums(a, p);
        let [dot_an, _, negative_squared] = row_sums(a, n);
        let anchor_norm = clamp_min_f64(sqrt_f64(anchor_squared), COSINE_EPS);
        let positive_norm = clamp_min_f64(sqrt_f64(positive_squared), COSINE_EPS);
        let negative_norm = clamp_min_f64(sqrt_f64(negative_squared), COSINE_EPS);
        let cos_ap = dot_ap / (anchor_norm * positive_norm);
        let cos_an = dot_an / (anchor_norm * negative_norm);
        let hinge = cos_an - cos_ap + margin;
        row_losses[row] = if hinge >= 0.0 { hinge } else if hinge < 0.0 { 0.0 } else { f64::NAN };
        let Some((anchor_gradient, positive_gradient, negative_gradient)) = gradients.as_mut() else {
            continue;
        };
        let (ga, gp, gn) = (&mut anchor_gradient[range.clone()], &mut positive_gradient[range.clone()], &mut negative_gradient[range]);
        if hinge.is_nan() {
            ga.fill(f32::NAN);
            gp.fill(f32::NAN);
            gn.fill(f32::NAN);
            continue;
        }
        if hinge < 0.0 {
            ga.fill(0.0);
            gp.fill(0.0);
            gn.fill(0.0);
            continue;
        }
        let difference = cos_an - cos_ap;
        for k in 0..depth {
            let unit_a = f64::from(a[k]) / anchor_norm;
            let unit_p = f64::from(p[k]) / positive_norm;
            let unit_n = f64::from(n[k]) / negative_norm;
            ga[k] = (row_weight * ((unit_n - unit_p) - unit_a * difference) / anchor_norm) as f32;
            gp[k] = (-row_weight * (unit_a - unit_p * cos_ap) / positive_norm) as f32;
            gn[k] = (row_weight * (unit_a - unit_n * cos_an) / negative_norm) as f32;
        }
    }
    Ok(())
}
