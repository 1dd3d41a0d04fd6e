use super::*;
use crate::geometry::Axes;
use crate::lanes::Portable;
use crate::test_support::{TestRng, assert_close, cosine_reference_f64};
use std::vec;
use std::vec::Vec;

const DEFAULT_EPS: f32 = 1e-8;

fn plain() -> CosineOptions {
    CosineOptions { eps: DEFAULT_EPS, clamp: false, distance: false }
}

/// The three sums in float64, and Σ|x1·x2|, Σx1², Σx2² as error scales.
fn sums_reference(first: &[f32], second: &[f32]) -> ([f64; 3], f64) {
    let mut sums = [0.0f64; 3];
    let mut absolute_dot = 0.0f64;
    for (&left, &right) in first.iter().zip(second) {
        let (left, right) = (f64::from(left), f64::from(right));
        sums[0] += left * right;
        sums[1] += left * left;
        sums[2] += right * right;
        absolute_dot += (left * right).abs();
    }
    (sums, absolute_dot)
}

fn check_sums(actual: DotNorms, first: &[f32], second: &[f32], context: &str) {
    let ([dot, first_squared, second_squared], absolute_dot) = sums_reference(first, second);
    // float32 summation: error bounded by a few ulps per term of the largest partial chain.
    let scale = 4.0 * f64::from(f32::EPSILON) * (first.len() as f64).sqrt().max(1.0);
    assert_close(f64::from(actual.dot), dot, scale * absolute_dot + 1e-30, context);
    assert_close(f64::from(actual.first_squared), first_squared, scale * first_squared + 1e-30, context);
    assert_close(f64::from(actual.second_squared), second_squared, scale * second_squared + 1e-30, context);
}

#[test]
fn row_kernels_match_float64_for_lengths_0_to_70_at_every_offset() {
    let mut rng = TestRng::new(1);
    for length in 0..=70 {
        for offset in 0..4 {
            let first_buffer = rng.vector(length + 4);
            let second_buffer = rng.vector(length + 4);
            let first = &first_buffer[offset..offset + length];
            let second = &second_buffer[3 - offset..3 - offset + length];
            check_sums(dot_norms_f32_scalar(first, second), first, second, &std::format!("scalar len {length} offset {offset}"));
            check_sums(dot_norms_f32x4::<Portable>(first, second), first, second, &std::format!("lanes len {length} offset {offset}"));
            let expected = cosine_reference_f64(first, second, f64::from(DEFAULT_EPS));
            assert_close(f64::from(dot_norms_f32_scalar(first, second).similarity(DEFAULT_EPS)), expected, 1e-6, "scalar cos");
            assert_close(f64::from(dot_norms_f32x4::<Portable>(first, second).similarity(DEFAULT_EPS)), expected, 1e-6, "lanes cos");
        }
    }
}

#[test]
fn lane_and_scalar_kernels_agree_on_long_vectors_within_contract() {
    let mut rng = TestRng::new(2);
    for &length in &[128usize, 767, 768, 1536, 4096] {
        for _ in 0..20 {
            // Correlated vectors (cosine far from 0) with varied scales.
            let first: Vec<f32> = (0..length).map(|_| rng.signed_f32() * 3.0 + 0.5).collect();
            let second: Vec<f32> = first.iter().map(|&value| value * 0.7 + rng.signed_f32()).collect();
            let expected = cosine_reference_f64(&first, &second, f64::from(DEFAULT_EPS));
            let scalar = dot_norms_f32_scalar(&first, &second).similarity(DEFAULT_EPS);
            let lanes = dot_norms_f32x4::<Portable>(&first, &second).similarity(DEFAULT_EPS);
            assert_close(f64::from(scalar), expected, 1e-5, "scalar");
            assert_close(f64::from(lanes), expected, 1e-5, "lanes");
            assert_close(f64::from(lanes), f64::from(scalar), 1e-5, "lanes vs scalar");
        }
    }
}

/// Runs `cosine_f32` on contiguous row-major rows `[rows, length]` against `[rows, length]`.
fn rows(first: &[f32], second: &[f32], length: usize, options: &CosineOptions) -> Vec<f32> {
    let row_count = if length == 0 { 1 } else { first.len() / length };
    let mut output = vec![0.0f32; row_count];
    let kept = Axes { extents: &[row_count], first_strides: &[length], second_strides: &[length] };
    let reduced = Axes { extents: &[length], first_strides: &[1], second_strides: &[1] };
    cosine_f32(first, second, &kept, &reduced, options, &mut output).unwrap();
    output
}

#[test]
fn zero_vectors_give_zero_and_eps_clamps_each_norm() {
    let zero = [0.0f32; 5];
    let ones = [1.0f32; 5];
    assert_eq!(rows(&zero, &ones, 5, &plain()), [0.0]);
    assert_eq!(rows(&zero, &zero, 5, &plain()), [0.0]);
    // ‖x1‖ = 0.1 < eps = 0.5 ≤ ‖x2‖ = 3: dot / (0.5 · 3), not dot / max(0.1·3, 0.5).
    let first = [0.1f32, 0.0];
    let second = [3.0f32, 0.0];
    let options = CosineOptions { eps: 0.5, ..plain() };
    assert_close(f64::from(rows(&first, &second, 2, &options)[0]), 0.3 / 1.5, 1e-7, "separate clamp");
    // Empty vectors.
    let mut output = [7.0f32; 3];
    let kept = Axes { extents: &[3], first_strides: &[0], second_strides: &[0] };
    let reduced = Axes { extents: &[0], first_strides: &[1], second_strides: &[1] };
    cosine_f32(&[], &[], &kept, &reduced, &plain(), &mut output).unwrap();
    assert_eq!(output, [0.0; 3]);
}

#[test]
fn non_finite_elements_poison_only_their_row() {
    let mut first = vec![0.5f32; 3 * 20];
    let second = vec![0.25f32; 3 * 20];
    first[5] = f32::NAN;
    first[20 + 19] = f32::INFINITY;
    let output = rows(&first, &second, 20, &plain());
    assert!(output[0].is_nan());
    assert!(output[1].is_nan());
    assert_close(f64::from(output[2]), 1.0, 1e-6, "clean row");
    let mut negative_infinity = vec![1.0f32; 20];
    negative_infinity[3] = f32::NEG_INFINITY;
    assert!(rows(&negative_infinity, &second[..20], 20, &plain())[0].is_nan());
}

#[test]
fn huge_and_tiny_magnitudes_are_rescued_in_float64() {
    let mut rng = TestRng::new(3);
    for &(scale, eps) in &[(1e20f32, 1e-8f32), (3e37, 1e-8), (1e-25, 0.0), (1e-30, 0.0), (1e-44, 0.0), (1e-19, 1e-30)] {
        for length in [1usize, 7, 16, 33, 768] {
            let first: Vec<f32> = (0..length).map(|_| rng.signed_f32() * scale).collect();
            let second: Vec<f32> = first.iter().map(|&value| value * 0.5 + rng.signed_f32() * scale).collect();
            let expected = cosine_reference_f64(&first, &second, f64::from(eps));
            let options = CosineOptions { eps, ..plain() };
            let actual = rows(&first, &second, length, &options)[0];
            assert_close(f64::from(actual), expected, 1e-5, &std::format!("scale {scale:e} eps {eps:e} length {length}"));
            assert!(actual.is_finite(), "scale {scale:e}");
        }
    }
}

#[test]
fn clamp_and_distance_options() {
    let first = [1.0f32, 2.0, 3.0];
    let second = [-1.0f32, 0.5, 2.0];
    let similarity = cosine_reference_f64(&first, &second, 1e-8);
    let distance = rows(&first, &second, 3, &CosineOptions { distance: true, ..plain() })[0];
    assert_close(f64::from(distance), 1.0 - similarity, 1e-6, "distance");
    let clamp = CosineOptions { clamp: true, ..plain() };
    assert_eq!(clamp.finish(1.0000002), 1.0);
    assert_eq!(clamp.finish(-1.5), -1.0);
    assert!(clamp.finish(f32::NAN).is_nan());
    assert_eq!(plain().finish(1.0000002), 1.0000002);
    let both = CosineOptions { clamp: true, distance: true, ..plain() };
    assert_eq!(both.finish(1.0000002), 0.0);
}

/// Naive reference for a general geometry: decomposes every flat index with div/mod
/// (independent of the odometer the kernels use).
fn strided_reference(first: &[f32], second: &[f32], kept: &Axes<'_>, reduced: &Axes<'_>, eps: f64) -> Vec<f64> {
    let decompose = |mut flat: usize, axes: &Axes<'_>| -> (usize, usize) {
        let (mut first_offset, mut second_offset) = (0, 0);
        for axis in (0..axes.extents.len()).rev() {
            let coordinate = flat % axes.extents[axis];
            flat /= axes.extents[axis];
            first_offset += coordinate * axes.first_strides[axis];
            second_offset += coordinate * axes.second_strides[axis];
        }
        (first_offset, second_offset)
    };
    let kept_count: usize = kept.extents.iter().product();
    let reduced_count: usize = reduced.extents.iter().product();
    (0..kept_count)
        .map(|output_index| {
            let (first_base, second_base) = decompose(output_index, kept);
            let (left, right): (Vec<f32>, Vec<f32>) = (0..reduced_count)
                .map(|position| {
                    let (first_offset, second_offset) = decompose(position, reduced);
                    (first[first_base + first_offset], second[second_base + second_offset])
                })
                .unzip();
            cosine_reference_f64(&left, &right, eps)
        })
        .collect()
}

fn check_geometry(kept: Axes<'_>, reduced: Axes<'_>, first_len: usize, second_len: usize, seed: u64) {
    let mut rng = TestRng::new(seed);
    let first = rng.vector(first_len);
    let second = rng.vector(second_len);
    let expected = strided_reference(&first, &second, &kept, &reduced, f64::from(DEFAULT_EPS));
    let mut output = vec![f32::NAN; expected.len()];
    cosine_f32(&first, &second, &kept, &reduced, &plain(), &mut output).unwrap();
    for (index, (&actual, &wanted)) in output.iter().zip(&expected).enumerate() {
        assert_close(f64::from(actual), wanted, 2e-6, &std::format!("output {index} of {kept:?} / {reduced:?}"));
    }
}

#[test]
fn row_layout_with_broadcast_operand() {
    // [5, 33] against a single [33] row broadcast over the 5 rows.
    check_geometry(Axes { extents: &[5], first_strides: &[33], second_strides: &[0] }, Axes { extents: &[33], first_strides: &[1], second_strides: &[1] }, 165, 33, 10);
    // [3, 1, 8] x [1, 4, 8] → [3, 4].
    check_geometry(Axes { extents: &[3, 4], first_strides: &[8, 0], second_strides: &[0, 8] }, Axes { extents: &[8], first_strides: &[1], second_strides: &[1] }, 24, 32, 11);
}

#[test]
fn column_layout_for_every_inner_extent_and_reduced_length() {
    // [outer, reduced, inner] reduced over the middle axis: the [B, C, H, W], dim = 1 case.
    let mut seed = 100;
    for inner in [16usize, 17, 31, 32, 40, 70] {
        for reduced_length in [1usize, 2, 3, 63, 64, 65, 130] {
            for outer in [1usize, 3] {
                let kept = Axes { extents: &[outer, inner], first_strides: &[reduced_length * inner, 1], second_strides: &[reduced_length * inner, 1] };
                let reduced = Axes { extents: &[reduced_length], first_strides: &[inner], second_strides: &[inner] };
                let length = outer * reduced_length * inner;
                check_geometry(kept, reduced, length, length, seed);
                seed += 1;
            }
        }
    }
}

#[test]
fn column_layout_with_several_reduced_axes_and_broadcast() {
    // Reduce over axes 0 and 2 of [3, 20, 5] (kept axis 1 contiguous after a transpose-free
    // description: strides 1 along the kept axis).
    let kept = Axes { extents: &[20], first_strides: &[1], second_strides: &[1] };
    let reduced = Axes { extents: &[3, 5], first_strides: &[100, 20], second_strides: &[0, 20] };
    check_geometry(kept, reduced, 300, 100, 20);
}

#[test]
fn strided_layout_for_non_contiguous_everything() {
    // Reduce over axis 0 of a [7, 3] operand: kept stride 1 but extent < 16, reduced stride 3.
    check_geometry(Axes { extents: &[3], first_strides: &[1], second_strides: &[1] }, Axes { extents: &[7], first_strides: &[3], second_strides: &[3] }, 21, 21, 30);
    // x1 broadcast along the reduced axis ([3, 1] vs [3, 5], dim 1).
    check_geometry(Axes { extents: &[3], first_strides: &[1], second_strides: &[5] }, Axes { extents: &[5], first_strides: &[0], second_strides: &[1] }, 3, 15, 31);
    // Two reduced axes with no contiguous axis at all.
    check_geometry(Axes { extents: &[2, 3], first_strides: &[1, 2], second_strides: &[30, 10] }, Axes { extents: &[4, 2], first_strides: &[6, 24], second_strides: &[1, 5] }, 48, 60, 32);
}

#[test]
fn column_kernel_rescues_single_lanes() {
    let inner = 16;
    let reduced_length = 4;
    let mut rng = TestRng::new(40);
    let mut first = rng.vector(inner * reduced_length);
    let second = rng.vector(inner * reduced_length);
    for step in 0..reduced_length {
        first[step * inner + 5] = 1e25 * (step as f32 + 1.0);
        first[step * inner + 9] = 0.0;
    }
    first[2 * inner + 11] = f32::NAN;
    let kept = Axes { extents: &[inner], first_strides: &[1], second_strides: &[1] };
    let reduced = Axes { extents: &[reduced_length], first_strides: &[inner], second_strides: &[inner] };
    let expected = strided_reference(&first, &second, &kept, &reduced, f64::from(DEFAULT_EPS));
    let mut output = vec![0.0f32; inner];
    cosine_f32(&first, &second, &kept, &reduced, &plain(), &mut output).unwrap();
    for lane in 0..inner {
        assert_close(f64::from(output[lane]), expected[lane], 2e-6, &std::format!("lane {lane}"));
    }
    assert_eq!(output[9], 0.0);
    assert!(output[11].is_nan());
}

#[test]
fn geometry_errors_are_reported_before_writing() {
    let first = [1.0f32; 8];
    let second = [1.0f32; 8];
    let mut output = [42.0f32; 2];
    let kept = Axes { extents: &[2], first_strides: &[4], second_strides: &[4] };
    let too_long = Axes { extents: &[5], first_strides: &[1], second_strides: &[1] };
    assert_eq!(cosine_f32(&first, &second, &kept, &too_long, &plain(), &mut output), Err(KernelError::OutOfBounds));
    let reduced = Axes { extents: &[4], first_strides: &[1], second_strides: &[1] };
    assert_eq!(cosine_f32(&first, &second, &kept, &reduced, &plain(), &mut output[..1]), Err(KernelError::OutputLength));
    assert_eq!(output, [42.0; 2]);
    let deep = [1usize; 17];
    let too_deep = Axes { extents: &deep, first_strides: &deep, second_strides: &deep };
    assert_eq!(cosine_f32(&first, &second, &too_deep, &reduced, &plain(), &mut output), Err(KernelError::RankTooLarge));
}

/// `cosine_pair_f32` against `cosine_f32` over a single row (bit for bit, NaN matched as
/// NaN) and against the float64 reference (within float32 rounding), for lengths 0..70 at
/// unaligned offsets, zero vectors, NaN, and magnitudes that need the float64 rescue.
#[test]
fn single_pair_is_bitwise_one_row_of_cosine_f32() {
    let one_row = |first: &[f32], second: &[f32], eps: f32| -> f32 {
        let length = first.len();
        let mut output = [7.0f32];
        let kept = Axes { extents: &[1], first_strides: &[length], second_strides: &[length] };
        let reduced = Axes { extents: &[length], first_strides: &[1], second_strides: &[1] };
        cosine_f32(first, second, &kept, &reduced, &CosineOptions { eps, ..plain() }, &mut output).unwrap();
        output[0]
    };
    let check = |first: &[f32], second: &[f32], eps: f32, context: &str| {
        let pair = cosine_pair_f32(first, second, eps);
        let row = one_row(first, second, eps);
        assert!(pair.to_bits() == row.to_bits() || (pair.is_nan() && row.is_nan()), "{context}: pair {pair:e} vs row {row:e}");
        let expected = if first.is_empty() { 0.0 } else { cosine_reference_f64(first, second, f64::from(eps)) };
        assert_close(f64::from(pair), expected, 2e-6, context);
    };
    let mut rng = TestRng::new(50);
    for length in 0..70 {
        for offset in 0..4 {
            let first_buffer = rng.vector(length + 4);
            let second_buffer = rng.vector(length + 4);
            let first = &first_buffer[offset..offset + length];
            let second = &second_buffer[3 - offset..3 - offset + length];
            check(first, second, DEFAULT_EPS, &std::format!("random length {length} offset {offset}"));
            let zero = vec![0.0f32; length];
            check(&zero, second, DEFAULT_EPS, &std::format!("zero first, length {length}"));
            check(&zero, &zero, DEFAULT_EPS, &std::format!("both zero, length {length}"));
            for scale in [1e25f32, 1e-25] {
                let scaled_first: Vec<f32> = first.iter().map(|&value| value * scale).collect();
                let scaled_second: Vec<f32> = second.iter().map(|&value| value * scale).collect();
                check(&scaled_first, &scaled_second, 0.0, &std::format!("scale {scale:e}, length {length}"));
                check(&scaled_first, second, DEFAULT_EPS, &std::format!("first scaled {scale:e}, length {length}"));
            }
            if length > 0 {
                let mut poisoned = first.to_vec();
                poisoned[length / 2] = f32::NAN;
                assert!(cosine_pair_f32(&poisoned, second, DEFAULT_EPS).is_nan(), "NaN, length {length}");
                check(&poisoned, second, DEFAULT_EPS, &std::format!("NaN at {}, length {length}", length / 2));
            }
        }
    }
    // The empty pair is 0 even with eps = 0 (no 0/0), as cosine_f32's empty reduction.
    assert_eq!(cosine_pair_f32(&[], &[], 0.0).to_bits(), 0.0f32.to_bits());
    assert_eq!(one_row(&[], &[], 0.0).to_bits(), 0.0f32.to_bits());
}

#[test]
fn contiguous_rows_are_bitwise_the_geometry_walk() {
    let mut rng = TestRng::new(91);
    for length in 0..=70usize {
        for rows in [0usize, 1, 3, 17] {
            let mut first = rng.vector(rows * length);
            let second = rng.vector(rows * length);
            if rows > 1 && length > 0 {
                first[length] = f32::NAN; // row 1 poisoned
                first[..length].iter_mut().for_each(|value| *value *= 1e25); // row 0 huge: the float64 rescue
            }
            for options in [plain(), CosineOptions { clamp: true, distance: true, ..plain() }, CosineOptions { eps: 0.5, ..plain() }] {
                let extents = [rows];
                let strides = [length];
                let kept = Axes { extents: &extents, first_strides: &strides, second_strides: &strides };
                let whole = [length];
                let unit = [1];
                let reduced = Axes { extents: &whole, first_strides: &unit, second_strides: &unit };
                let mut walked = vec![7.0f32; rows];
                cosine_f32(&first, &second, &kept, &reduced, &options, &mut walked).unwrap();
                let mut direct = vec![9.0f32; rows];
                cosine_rows_f32(&first, &second, length, &options, &mut direct).unwrap();
                let bits = |values: &[f32]| values.iter().map(|value| value.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&direct), bits(&walked), "rows {rows} length {length} {options:?}");
            }
        }
    }
    let mut output = [0.0f32; 2];
    assert_eq!(cosine_rows_f32(&[1.0; 6], &[1.0; 6], 4, &plain(), &mut output), Err(KernelError::OutOfBounds));
}
