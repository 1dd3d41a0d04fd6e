//! Scalar reference for the norm accumulation of one contiguous vector.

use super::NormOrder;
use crate::lanes::max_nan_propagating_f32;

/// Σx² (p = 2), Σ|x| (p = 1) or max|x| (p = ∞, NaN-propagating), in float32 with four
/// partial results combined pairwise.
pub fn vector_norm_sums_f32_scalar(values: &[f32], order: NormOrder) -> f32 {
    let (quads, tail) = values.as_chunks::<4>();
    let mut partial = [0.0f32; 4];
    let step = |total: f32, value: f32| match order {
        NormOrder::Two => total + value * value,
        NormOrder::One => total + value.abs(),
        NormOrder::Infinity => max_nan_propagating_f32(total, value.abs()),
    };
    for quad in quads {
        for lane in 0..4 {
            partial[lane] = step(partial[lane], quad[lane]);
        }
    }
    let combine = |left: f32, right: f32| if order == NormOrder::Infinity { max_nan_propagating_f32(left, right) } else { left + right };
    let mut total = combine(combine(partial[0], partial[1]), combine(partial[2], partial[3]));
    for &value in tail {
        total = step(total, value);
    }
    total
}
