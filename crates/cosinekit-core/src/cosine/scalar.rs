//! The scalar reference: the fallback of the scalar wasm build and the baseline the lane
//! kernels are compared with. Four partial sums per quantity, combined pairwise.

use super::DotNorms;

/// `dot`, `‖x1‖²`, `‖x2‖²` of two contiguous vectors (the shorter length is used; callers
/// pass equal lengths).
pub fn dot_norms_f32_scalar(first: &[f32], second: &[f32]) -> DotNorms {
    let length = first.len().min(second.len());
    let (first_quads, first_tail) = first[..length].as_chunks::<4>();
    let (second_quads, second_tail) = second[..length].as_chunks::<4>();
    let mut dot = [0.0f32; 4];
    let mut first_squared = [0.0f32; 4];
    let mut second_squared = [0.0f32; 4];
    for (left, right) in first_quads.iter().zip(second_quads) {
        for lane in 0..4 {
            dot[lane] += left[lane] * right[lane];
            first_squared[lane] += left[lane] * left[lane];
            second_squared[lane] += right[lane] * right[lane];
        }
    }
    let pairwise = |partial: [f32; 4]| (partial[0] + partial[1]) + (partial[2] + partial[3]);
    let mut sums = DotNorms {
        dot: pairwise(dot),
        first_squared: pairwise(first_squared),
        second_squared: pairwise(second_squared),
    };
    for (&left, &right) in first_tail.iter().zip(second_tail) {
        sums.dot += left * right;
        sums.first_squared += left * left;
        sums.second_squared += right * right;
    }
    sums
}
