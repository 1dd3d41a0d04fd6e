//! Lane kernels, generic over [`F32x4`]: the row kernel (one vector pair, 16 floats per
//! step into 12 independent accumulators) and the column kernel (16 outputs at once).

use super::{COLUMN_BLOCK, DotNorms};
use crate::geometry::{Axes, Odometer};
use crate::lanes::F32x4;

/// `dot`, `‖x1‖²`, `‖x2‖²` of two contiguous vectors (the shorter length is used).
/// Main loop: 4 quads of each operand per step, 4 accumulators per quantity; then the
/// leftover quads into accumulator 0; then the last 0–3 elements in scalar.
#[inline(always)]
pub fn dot_norms_f32x4<V: F32x4>(first: &[f32], second: &[f32]) -> DotNorms {
    let length = first.len().min(second.len());
    let (first_quads, first_tail) = first[..length].as_chunks::<4>();
    let (second_quads, second_tail) = second[..length].as_chunks::<4>();
    let mut dot = [V::zero(); 4];
    let mut first_squared = [V::zero(); 4];
    let mut second_squared = [V::zero(); 4];
    let mut first_blocks = first_quads.chunks_exact(4);
    let mut second_blocks = second_quads.chunks_exact(4);
    for (first_block, second_block) in (&mut first_blocks).zip(&mut second_blocks) {
        for unroll in 0..4 {
            let left = V::load(&first_block[unroll]);
            let right = V::load(&second_block[unroll]);
            dot[unroll] = left.mul_add(right, dot[unroll]);
            first_squared[unroll] = left.mul_add(left, first_squared[unroll]);
            second_squared[unroll] = right.mul_add(right, second_squared[unroll]);
        }
    }
    for (first_quad, second_quad) in first_blocks.remainder().iter().zip(second_blocks.remainder()) {
        let left = V::load(first_quad);
        let right = V::load(second_quad);
        dot[0] = left.mul_add(right, dot[0]);
        first_squared[0] = left.mul_add(left, first_squared[0]);
        second_squared[0] = right.mul_add(right, second_squared[0]);
    }
    let combine = |partial: [V; 4]| partial[0].add(partial[1]).add(partial[2].add(partial[3])).reduce_sum();
    let mut sums = DotNorms {
        dot: combine(dot),
        first_squared: combine(first_squared),
        second_squared: combine(second_squared),
    };
    for (&left, &right) in first_tail.iter().zip(second_tail) {
        sums.dot += left * right;
        sums.first_squared += left * left;
        sums.second_squared += right * right;
    }
    sums
}

/// Positions of the reduced axes summed into fresh partial sums before being added to the
/// running totals.
const FLUSH_STEPS: usize = 64;

/// Sums for [`COLUMN_BLOCK`] consecutive outputs whose elements are contiguous along the
/// kept axis: at every position of `reduced` (offsets from `first_base`/`second_base`),
/// 16 consecutive floats of each operand are accumulated lane-wise. Callers have checked
/// that every addressed element (base + reduced offset + 0..16) is in bounds.
#[inline(always)]
pub fn column_sums_f32x4<V: F32x4>(
    first: &[f32],
    second: &[f32],
    reduced: &Axes<'_>,
    first_base: usize,
    second_base: usize,
) -> [DotNorms; COLUMN_BLOCK] {
    // Totals, and the partial sums of the current run of at most FLUSH_STEPS positions:
    // no float32 summation chain is longer than FLUSH_STEPS + positions / FLUSH_STEPS.
    let mut totals = [[V::zero(); 4]; 3];
    let mut partial = [[V::zero(); 4]; 3];
    let mut steps_in_run = 0;
    let mut positions = Odometer::new(*reduced, first_base, second_base);
    loop {
        let first_block = &first[positions.first_offset..positions.first_offset + COLUMN_BLOCK];
        let second_block = &second[positions.second_offset..positions.second_offset + COLUMN_BLOCK];
        let (first_quads, _) = first_block.as_chunks::<4>();
        let (second_quads, _) = second_block.as_chunks::<4>();
        for quad in 0..4 {
            let left = V::load(&first_quads[quad]);
            let right = V::load(&second_quads[quad]);
            partial[0][quad] = left.mul_add(right, partial[0][quad]);
            partial[1][quad] = left.mul_add(left, partial[1][quad]);
            partial[2][quad] = right.mul_add(right, partial[2][quad]);
        }
        steps_in_run += 1;
        let more = positions.advance();
        if steps_in_run == FLUSH_STEPS || !more {
            for quantity in 0..3 {
                for quad in 0..4 {
                    totals[quantity][quad] = totals[quantity][quad].add(partial[quantity][quad]);
                    partial[quantity][quad] = V::zero();
                }
            }
            steps_in_run = 0;
        }
        if !more {
            break;
        }
    }
    let [dot, first_squared, second_squared] = totals;
    let mut sums = [DotNorms { dot: 0.0, first_squared: 0.0, second_squared: 0.0 }; COLUMN_BLOCK];
    for quad in 0..4 {
        let (dots, firsts, seconds) = (dot[quad].to_array(), first_squared[quad].to_array(), second_squared[quad].to_array());
        for lane in 0..4 {
            sums[quad * 4 + lane] = DotNorms { dot: dots[lane], first_squared: firsts[lane], second_squared: seconds[lane] };
        }
    }
    sums
}
