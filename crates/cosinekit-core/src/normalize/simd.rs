//! Lane kernels for normalisation, generic over [`F32x4`].

use super::NormOrder;
use crate::lanes::{F32x4, max_nan_propagating_f32};

#[inline(always)]
fn accumulate<V: F32x4>(total: V, values: V, order: NormOrder) -> V {
    match order {
        NormOrder::Two => values.mul_add(values, total),
        NormOrder::One => total.add(values.abs()),
        NormOrder::Infinity => total.max_nan_propagating(values.abs()),
    }
}

#[inline(always)]
fn combine<V: F32x4>(left: V, right: V, order: NormOrder) -> V {
    if order == NormOrder::Infinity { left.max_nan_propagating(right) } else { left.add(right) }
}

/// Σx², Σ|x| or max|x| of one contiguous vector: 4 accumulators over 16 floats per step,
/// leftover quads into accumulator 0, the last 0–3 elements in scalar.
#[inline(always)]
pub fn vector_norm_sums_f32x4<V: F32x4>(values: &[f32], order: NormOrder) -> f32 {
    let (quads, tail) = values.as_chunks::<4>();
    let mut totals = [V::zero(); 4];
    let mut blocks = quads.chunks_exact(4);
    for block in &mut blocks {
        for unroll in 0..4 {
            totals[unroll] = accumulate(totals[unroll], V::load(&block[unroll]), order);
        }
    }
    for quad in blocks.remainder() {
        totals[0] = accumulate(totals[0], V::load(quad), order);
    }
    let lanes = combine(combine(totals[0], totals[1], order), combine(totals[2], totals[3], order), order);
    let mut total = if order == NormOrder::Infinity { lanes.reduce_max_nan_propagating() } else { lanes.reduce_sum() };
    for &value in tail {
        total = match order {
            NormOrder::Two => total + value * value,
            NormOrder::One => total + value.abs(),
            NormOrder::Infinity => max_nan_propagating_f32(total, value.abs()),
        };
    }
    total
}

/// Steps along the reduced axis accumulated into fresh lanes before being added to the
/// totals (bounds the length of any float32 summation chain).
const FLUSH_STEPS: usize = 64;

/// Norm sums of the 16 vectors whose first elements are `values[start..start + 16]`,
/// each `count` elements long with elements `stride` apart.
#[inline(always)]
pub fn column_norm_sums_f32x4<V: F32x4>(values: &[f32], start: usize, count: usize, stride: usize, order: NormOrder) -> [f32; 16] {
    let mut totals = [V::zero(); 4];
    let mut step = 0;
    while step < count {
        let chunk_end = count.min(step + FLUSH_STEPS);
        let mut partial = [V::zero(); 4];
        while step < chunk_end {
            let offset = start + step * stride;
            let (quads, _) = values[offset..offset + 16].as_chunks::<4>();
            for quad in 0..4 {
                partial[quad] = accumulate(partial[quad], V::load(&quads[quad]), order);
            }
            step += 1;
        }
        for quad in 0..4 {
            totals[quad] = combine(totals[quad], partial[quad], order);
        }
    }
    let mut sums = [0.0f32; 16];
    for quad in 0..4 {
        let lanes = totals[quad].to_array();
        sums[quad * 4..quad * 4 + 4].copy_from_slice(&lanes);
    }
    sums
}

/// `output[k] = input[k] / denominator`, four lanes at a time.
#[inline(always)]
pub fn divide_f32x4<V: F32x4>(input: &[f32], output: &mut [f32], denominator: f32) {
    let length = input.len().min(output.len());
    let (input_quads, input_tail) = input[..length].as_chunks::<4>();
    let (output_quads, output_tail) = output[..length].as_chunks_mut::<4>();
    let denominator_lanes = V::splat(denominator);
    for (source, target) in input_quads.iter().zip(output_quads.iter_mut()) {
        V::load(source).div(denominator_lanes).store(target);
    }
    for (source, target) in input_tail.iter().zip(output_tail.iter_mut()) {
        *target = *source / denominator;
    }
}

/// `values[k] /= denominator`, four lanes at a time.
#[inline(always)]
pub fn divide_in_place_f32x4<V: F32x4>(values: &mut [f32], denominator: f32) {
    let (quads, tail) = values.as_chunks_mut::<4>();
    let denominator_lanes = V::splat(denominator);
    for quad in quads.iter_mut() {
        V::load(quad).div(denominator_lanes).store(quad);
    }
    for value in tail.iter_mut() {
        *value /= denominator;
    }
}
