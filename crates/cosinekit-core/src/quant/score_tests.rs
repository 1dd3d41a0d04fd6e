//! Tests of the quantised scores: the lane kernels (run with the portable lanes, so the
//! blocking and tails of the SIMD algorithm are exercised natively) against naive
//! references written separately, and the pairwise matrices.

use super::score_lanes::*;
use super::*;
use crate::lanes::{PortableF16x8, PortableI8x16};
use crate::test_support::{TestRng, assert_close};
use std::vec;
use std::vec::Vec;

type Bytes = PortableI8x16;
type Halves = PortableF16x8;

/// The value of a code, written independently of the kernels.
pub(crate) fn naive_code(byte: u8, unsigned: bool) -> i64 {
    if unsigned { byte as i64 - 128 } else { (byte as i8) as i64 }
}

pub(crate) fn naive_sums(first: &[u8], second: &[u8], unsigned: bool) -> (i64, i64, i64) {
    let mut sums = (0i64, 0i64, 0i64);
    for index in 0..first.len() {
        let (left, right) = (naive_code(first[index], unsigned), naive_code(second[index], unsigned));
        sums.0 += left * right;
        sums.1 += left * left;
        sums.2 += right * right;
    }
    sums
}

/// The int8/uint8 score by the documented formula from naive sums.
pub(crate) fn naive_code_score(first: &[u8], second: &[u8], unsigned: bool) -> f32 {
    let (dot, first_squared, second_squared) = naive_sums(first, second, unsigned);
    if first_squared == 0 || second_squared == 0 { 0.0 } else { (dot as f64 / sqrt_f64(first_squared as f64 * second_squared as f64)) as f32 }
}

pub(crate) fn naive_hamming(first: &[u8], second: &[u8]) -> u64 {
    let mut distance = 0;
    for index in 0..first.len() {
        for bit in 0..8 {
            if (first[index] >> bit) & 1 != (second[index] >> bit) & 1 {
                distance += 1;
            }
        }
    }
    distance
}

pub(crate) fn naive_binary_score(first: &[u8], second: &[u8]) -> f32 {
    let depth = first.len() * 8;
    if depth == 0 { 0.0 } else { ((depth as f64 - 2.0 * naive_hamming(first, second) as f64) / depth as f64) as f32 }
}

/// binary16 → f64 from the definition.
pub(crate) fn naive_half(half: u16) -> f64 {
    let sign = if half & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = ((half >> 10) & 0x1F) as i32;
    let mantissa = (half & 0x3FF) as f64;
    match exponent {
        0 => sign * mantissa * 2f64.powi(-24),
        31 if mantissa == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        _ => sign * (1.0 + mantissa / 1024.0) * 2f64.powi(exponent - 15),
    }
}

pub(crate) fn naive_cosine_f64(first: &[f64], second: &[f64], eps: f64) -> f64 {
    let dot: f64 = first.iter().zip(second).map(|(left, right)| left * right).sum();
    let first_norm = first.iter().map(|value| value * value).sum::<f64>().sqrt().max(eps);
    let second_norm = second.iter().map(|value| value * value).sum::<f64>().sqrt().max(eps);
    dot / (first_norm * second_norm)
}

/// A half with a moderate magnitude (2^-8 .. 2), random sign; sometimes a subnormal or 0.
pub(crate) fn random_half(rng: &mut TestRng) -> u16 {
    let draw = rng.next_u64();
    let sign = ((draw >> 1) as u16 & 1) << 15;
    match draw % 16 {
        0 => sign | ((draw >> 8) as u16 & 0x3FF),
        1 => sign,
        _ => sign | ((7 + ((draw >> 20) % 9) as u16) << 10) | ((draw >> 32) as u16 & 0x3FF),
    }
}

fn random_bytes(rng: &mut TestRng, length: usize) -> Vec<u8> {
    (0..length).map(|_| rng.next_u64() as u8).collect()
}

#[test]
fn half_decode_is_exact_for_every_half() {
    for half in 0..=u16::MAX {
        let expected = naive_half(half);
        let scalar = f32_from_f16_bits(half);
        if expected.is_nan() {
            assert!(scalar.is_nan(), "{half:#06x}");
        } else {
            assert_eq!(f64::from(scalar), expected, "{half:#06x}");
        }
    }
    // The lane decode on groups of 8, every half in every lane position.
    for start in (0..=u16::MAX as u32).step_by(8) {
        let group: [u16; 8] = core::array::from_fn(|lane| (start as u16).wrapping_add(lane as u16 * 0x1F01));
        let halves = Halves::load(&group);
        let [even, odd] = halves.decode_even_odd();
        let flags = Halves::any_non_finite(halves.track_non_finite(Halves::no_flags()));
        assert_eq!(flags, group.iter().any(|&half| half & 0x7C00 == 0x7C00));
        for lane in 0..4 {
            for (value, half) in [(even.0[lane], group[2 * lane]), (odd.0[lane], group[2 * lane + 1])] {
                if half & 0x7C00 != 0x7C00 {
                    assert_eq!(value.to_bits(), f32_from_f16_bits(half).to_bits(), "{half:#06x}");
                }
            }
        }
    }
}

#[test]
fn half_decode_agrees_with_the_encoder_modules_decoder() {
    for half in 0..=u16::MAX {
        let (mine, theirs) = (f32_from_f16_bits(half), crate::quant::half::f32_from_f16(half));
        assert!(mine.to_bits() == theirs.to_bits() || (mine.is_nan() && theirs.is_nan()), "{half:#06x}");
    }
}

#[test]
fn code_kernels_match_naive_sums_on_lengths_offsets_and_extremes() {
    let mut rng = TestRng::new(11);
    for unsigned in [false, true] {
        for length in 0..=70 {
            for offset in [0, 1, 3] {
                let mut pool: Vec<Vec<u8>> = (0..6).map(|_| random_bytes(&mut rng, length + offset)).collect();
                // Extremes: −128 codes (int8 0x80, uint8 0) and +127/+127 (int8 0x7F, uint8 255).
                let low = if unsigned { 0 } else { 0x80 };
                let high = if unsigned { 255 } else { 0x7F };
                pool[4] = vec![low; length + offset];
                pool[5] = vec![high; length + offset];
                let rows: Vec<&[u8]> = pool.iter().map(|row| &row[offset..]).collect();
                let wide_row = length / CODE_CHUNK * WIDE_CHUNK_BYTES;
                let mut wide = vec![0u8; 6 * wide_row + 1];
                for (index, row) in rows.iter().enumerate() {
                    let slot = &mut wide[1 + index * wide_row..1 + (index + 1) * wide_row];
                    let norm = if unsigned {
                        widen_codes::<Bytes, true>(row, slot);
                        codes_squared_norm::<Bytes, true>(row)
                    } else {
                        widen_codes::<Bytes, false>(row, slot);
                        codes_squared_norm::<Bytes, false>(row)
                    };
                    assert_eq!(i64::from(norm), naive_sums(row, row, unsigned).1);
                    let scalar = dot_norms_codes_scalar(row, rows[0], unsigned);
                    assert_eq!((scalar.dot, scalar.first_squared, scalar.second_squared), naive_sums(row, rows[0], unsigned));
                }
                let wide_of = |index: usize| &wide[1 + index * wide_row..1 + (index + 1) * wide_row];
                for corpus in 0..6 {
                    let (codes, wides) = ([rows[0], rows[4], rows[5], rows[2]], [wide_of(0), wide_of(4), wide_of(5), wide_of(2)]);
                    let dots = if unsigned {
                        codes_dot_queries::<Bytes, true, 4>(codes, wides, rows[corpus])
                    } else {
                        codes_dot_queries::<Bytes, false, 4>(codes, wides, rows[corpus])
                    };
                    for (slot, query) in [0, 4, 5, 2].into_iter().enumerate() {
                        assert_eq!(i64::from(dots[slot]), naive_sums(rows[query], rows[corpus], unsigned).0, "length {length}");
                    }
                }
                let four = [rows[1], rows[4], rows[5], rows[3]];
                let dots = if unsigned {
                    codes_dot_rows::<Bytes, true, 4>(rows[4], wide_of(4), four)
                } else {
                    codes_dot_rows::<Bytes, false, 4>(rows[4], wide_of(4), four)
                };
                let [alone] = if unsigned {
                    codes_dot_rows::<Bytes, true, 1>(rows[4], wide_of(4), [rows[3]])
                } else {
                    codes_dot_rows::<Bytes, false, 1>(rows[4], wide_of(4), [rows[3]])
                };
                for (slot, corpus) in [1, 4, 5, 3].into_iter().enumerate() {
                    assert_eq!(i64::from(dots[slot]), naive_sums(rows[4], rows[corpus], unsigned).0, "length {length}");
                }
                assert_eq!(alone, dots[3]);
            }
        }
    }
}

#[test]
fn hamming_kernel_matches_naive_on_lengths_and_offsets() {
    let mut rng = TestRng::new(12);
    for length in (0..=70).chain([496, 497, 530]) {
        for offset in [0, 1, 5] {
            let pool: Vec<Vec<u8>> = (0..5).map(|_| random_bytes(&mut rng, length + offset)).collect();
            let rows: Vec<&[u8]> = pool.iter().map(|row| &row[offset..]).collect();
            let distances = hamming_pairs::<Bytes, 4>([rows[0], rows[1], rows[2], rows[3]], [rows[4], rows[4], rows[0], rows[3]]);
            let expected = [(0, 4), (1, 4), (2, 0), (3, 3)].map(|(left, right)| naive_hamming(rows[left], rows[right]) as u32);
            assert_eq!(distances, expected);
            assert_eq!(hamming_words4([rows[0], rows[1], rows[2], rows[3]], [rows[4], rows[4], rows[0], rows[3]]), expected);
            assert_eq!(hamming_words1(rows[2], rows[0]), expected[2]);
            let mut interleaved = vec![0u8; 4 * length];
            interleave_words::<4>([rows[0], rows[1], rows[2], rows[3]], &mut interleaved);
            let against_row = [0, 1, 2, 3].map(|left| naive_hamming(rows[left], rows[4]) as u32);
            assert_eq!(hamming_interleaved::<4>(&interleaved, [rows[0], rows[1], rows[2], rows[3]], rows[4]), against_row);
            let eight: [&[u8]; 8] = core::array::from_fn(|member| rows[member % 4]);
            let mut interleaved = vec![0u8; 8 * length];
            interleave_words::<8>(eight, &mut interleaved);
            let expected_eight: [u32; 8] = core::array::from_fn(|member| against_row[member % 4]);
            assert_eq!(hamming_interleaved::<8>(&interleaved, eight, rows[4]), expected_eight);
            assert_eq!(hamming_scalar(rows[1], rows[2]), naive_hamming(rows[1], rows[2]));
        }
    }
    // All bits differ: the u8 lane counts must flush before they wrap (32 chunks of 8).
    let ones = vec![0xFFu8; 512];
    let zeros = vec![0u8; 512];
    assert_eq!(hamming_pairs::<Bytes, 1>([&ones], [&zeros]), [4096]);
    assert_eq!(hamming_words1(&ones, &zeros), 4096);
}

#[test]
fn half_kernels_agree_with_each_other_bit_for_bit_and_with_float64() {
    let mut rng = TestRng::new(13);
    for length in 0..=70 {
        for offset in [0, 1] {
            let pool: Vec<Vec<u16>> = (0..3).map(|_| (0..length + offset).map(|_| random_half(&mut rng)).collect()).collect();
            let rows: Vec<&[u16]> = pool.iter().map(|row| &row[offset..]).collect();
            let query = rng.vector(length);
            let mut permuted = vec![0.0f32; length];
            permute_even_odd(&query, &mut permuted);
            // The top-k kernels take the query times 2^112 (exact) and decode the halves
            // without the rebias.
            permuted.iter_mut().for_each(|value| *value *= crate::lanes::HALF_REBIAS);
            let dots_only = half_dot_rows::<Halves, 2>(&permuted, [rows[0], rows[1]]);
            let [dot_alone] = half_dot_rows::<Halves, 1>(&permuted, [rows[2]]);
            let dots_only = [dots_only[0], dots_only[1], dot_alone];
            for (index, row) in rows.iter().enumerate() {
                let mut decoded = vec![0.0f32; length + 1];
                let sums = half_decode_row::<Halves, true>(row, &mut decoded[1..]);
                assert_eq!(half_row_sums::<Halves>(row), sums);
                let mut values = vec![0.0f32; length];
                assert_eq!(half_decode_row::<Halves, false>(row, &mut values), sums);
                for (value, unscaled) in values.iter().zip(&decoded[1..]) {
                    assert_eq!(value.to_bits(), (unscaled * crate::lanes::HALF_REBIAS).to_bits());
                }
                let [dot] = f32_dot_even_odd::<crate::lanes::Portable, 1>([&permuted], &decoded[1..]);
                assert_eq!(dot.to_bits(), dots_only[index].to_bits(), "length {length}");
                let wide: Vec<f64> = row.iter().map(|&half| naive_half(half)).collect();
                let query_wide: Vec<f64> = query.iter().map(|&value| f64::from(value)).collect();
                let expected_dot: f64 = wide.iter().zip(&query_wide).map(|(left, right)| left * right).sum();
                let scale: f64 = wide.iter().zip(&query_wide).map(|(left, right)| (left * right).abs()).sum::<f64>() + 1e-30;
                assert_close(f64::from(dot) / scale, expected_dot / scale, 1e-6, "dot");
                let expected_squared: f64 = wide.iter().map(|value| value * value).sum();
                assert_close(f64::from(sums.squared), expected_squared, 1e-6 * expected_squared + 1e-30, "squared");
                assert!(!sums.non_finite);
            }
        }
    }
}

fn pairwise_codes(dtype: StorageDtype, a: &[u8], b: &[u8], shape: QuantizedPairwiseShape, scale: f32) -> Vec<f32> {
    let mut out = vec![f32::NAN; shape.a_rows * shape.b_rows];
    let mut scratch = vec![0u8; pairwise_quantized_scratch_len(dtype, shape.a_rows, shape.b_rows, shape.depth).unwrap() + 3];
    pairwise_quantized_codes_f32(dtype, a, b, shape, scale, &mut out, &mut scratch[3..]).unwrap();
    out
}

#[test]
fn pairwise_codes_are_the_naive_scores_bit_for_bit() {
    let mut rng = TestRng::new(14);
    for dtype in [StorageDtype::Int8, StorageDtype::Uint8] {
        let unsigned = dtype == StorageDtype::Uint8;
        for depth in [0, 1, 7, 16, 17, 33, 64, 70, 384] {
            for (a_rows, b_rows) in [(1, 1), (5, 3), (9, 260), (4, 0)] {
                let mut a = random_bytes(&mut rng, a_rows * depth + 1);
                let b = random_bytes(&mut rng, b_rows * depth + 1);
                // A zero code vector in a (int8 0, uint8 128).
                if a_rows > 1 {
                    a[1 + depth..1 + 2 * depth].fill(if unsigned { 128 } else { 0 });
                }
                let shape = QuantizedPairwiseShape { a_rows, b_rows, depth };
                let out = pairwise_codes(dtype, &a[1..], &b[1..], shape, 1.0);
                let scaled = pairwise_codes(dtype, &a[1..], &b[1..], shape, 0.5);
                for i in 0..a_rows {
                    for j in 0..b_rows {
                        let expected = naive_code_score(&a[1 + i * depth..1 + (i + 1) * depth], &b[1 + j * depth..1 + (j + 1) * depth], unsigned);
                        assert_eq!(out[i * b_rows + j].to_bits(), expected.to_bits(), "{dtype:?} D {depth} [{i},{j}]");
                        assert_eq!(scaled[i * b_rows + j].to_bits(), (expected * 0.5).to_bits());
                    }
                }
            }
        }
    }
}

#[test]
fn pairwise_binary_is_the_naive_score_and_binary_equals_ubinary() {
    let mut rng = TestRng::new(15);
    for depth in [0, 8, 64, 120, 384, 1024] {
        let row_bytes = depth / 8;
        let (a_rows, b_rows) = (6, 7);
        let a = random_bytes(&mut rng, a_rows * row_bytes);
        let b = random_bytes(&mut rng, b_rows * row_bytes);
        let shape = QuantizedPairwiseShape { a_rows, b_rows, depth };
        let out = pairwise_codes(StorageDtype::Ubinary, &a, &b, shape, 1.0);
        let shifted = |bytes: &[u8]| bytes.iter().map(|byte| byte ^ 0x80).collect::<Vec<u8>>();
        let signed = pairwise_codes(StorageDtype::Binary, &shifted(&a), &shifted(&b), shape, 1.0);
        assert_eq!(out, signed);
        for i in 0..a_rows {
            for j in 0..b_rows {
                let expected = naive_binary_score(&a[i * row_bytes..(i + 1) * row_bytes], &b[j * row_bytes..(j + 1) * row_bytes]);
                assert_eq!(out[i * b_rows + j].to_bits(), expected.to_bits());
            }
        }
    }
}

#[test]
fn pairwise_half_matches_float64_and_marks_non_finite_rows() {
    let mut rng = TestRng::new(16);
    for depth in [0, 1, 8, 13, 64, 70] {
        for (a_rows, b_rows) in [(1, 1), (6, 5), (5, 300)] {
            let mut a: Vec<u16> = (0..a_rows * depth).map(|_| random_half(&mut rng)).collect();
            let b: Vec<u16> = (0..b_rows * depth).map(|_| random_half(&mut rng)).collect();
            if depth > 0 && a_rows > 2 {
                a[2 * depth] = 0x7E00; // NaN
                a[depth..2 * depth].fill(0); // zero row
            }
            let shape = QuantizedPairwiseShape { a_rows, b_rows, depth };
            let mut out = vec![0.0f32; a_rows * b_rows];
            let mut scratch = vec![0u8; pairwise_quantized_scratch_len(StorageDtype::Float16, a_rows, b_rows, depth).unwrap()];
            pairwise_quantized_float16_f32(&a, &b, shape, 1e-8, 2.0, &mut out, &mut scratch).unwrap();
            for i in 0..a_rows {
                let left: Vec<f64> = a[i * depth..(i + 1) * depth].iter().map(|&half| naive_half(half)).collect();
                for j in 0..b_rows {
                    let right: Vec<f64> = b[j * depth..(j + 1) * depth].iter().map(|&half| naive_half(half)).collect();
                    let expected = 2.0 * naive_cosine_f64(&left, &right, 1e-8);
                    assert_close(f64::from(out[i * b_rows + j]), expected, 2e-5, "pairwise float16");
                }
            }
        }
    }
}

#[test]
fn pairwise_half_scalar_reference_agrees() {
    let mut rng = TestRng::new(17);
    let depth = 37;
    let a: Vec<u16> = (0..depth).map(|_| random_half(&mut rng)).collect();
    let b: Vec<u16> = (0..depth).map(|_| random_half(&mut rng)).collect();
    let sums = dot_norms_half_scalar(&a, &b);
    let mut out = [0.0f32];
    let mut scratch = vec![0u8; pairwise_quantized_scratch_len(StorageDtype::Float16, 1, 1, depth).unwrap()];
    pairwise_quantized_float16_f32(&a, &b, QuantizedPairwiseShape { a_rows: 1, b_rows: 1, depth }, 1e-8, 1.0, &mut out, &mut scratch).unwrap();
    let reference = score_half_from_sums(sums.dot, sums.first_squared, sums.second_squared, 1e-8);
    assert_close(f64::from(out[0]), f64::from(reference), 1e-6, "scalar reference");
}

#[test]
fn pairwise_errors_are_reported_before_writing() {
    let shape = QuantizedPairwiseShape { a_rows: 2, b_rows: 3, depth: 16 };
    let a = [0u8; 32];
    let b = [0u8; 48];
    let mut out = [7.0f32; 6];
    let mut scratch = vec![0u8; 4096];
    let call = |dtype, a: &[u8], b: &[u8], shape, out: &mut [f32], scratch: &mut [u8]| pairwise_quantized_codes_f32(dtype, a, b, shape, 1.0, out, scratch);
    assert_eq!(call(StorageDtype::Int8, &a[..31], &b, shape, &mut out, &mut scratch), Err(KernelError::OutOfBounds));
    assert_eq!(call(StorageDtype::Int8, &a, &b, shape, &mut out[..5], &mut scratch), Err(KernelError::OutputLength));
    assert_eq!(call(StorageDtype::Int8, &a, &b, shape, &mut out, &mut scratch[..10]), Err(KernelError::InvalidArgument));
    assert_eq!(call(StorageDtype::Float16, &a, &b, shape, &mut out, &mut scratch), Err(KernelError::InvalidArgument));
    let bits = QuantizedPairwiseShape { a_rows: 2, b_rows: 3, depth: 12 };
    assert_eq!(call(StorageDtype::Binary, &a[..4], &b[..6], bits, &mut out, &mut scratch), Err(KernelError::InvalidArgument));
    assert_eq!(out, [7.0; 6]);
    assert_eq!(pairwise_quantized_scratch_len(StorageDtype::Ubinary, 1, 1, 12), None);
    let halves = [0u16; 16];
    assert_eq!(
        pairwise_quantized_float16_f32(&halves, &halves, QuantizedPairwiseShape { a_rows: 1, b_rows: 2, depth: 16 }, 1e-8, 1.0, &mut out[..2], &mut scratch),
        Err(KernelError::OutOfBounds)
    );
}

#[test]
fn code_scores_beyond_the_lane_depth_use_exact_i64_sums() {
    let depth = CODES_LANE_MAX_DEPTH + 3;
    let a = vec![0x80u8; depth]; // int8 −128 everywhere
    let mut b = vec![0x80u8; depth];
    b[5] = 0x7F;
    let out = pairwise_codes(StorageDtype::Int8, &a, &b, QuantizedPairwiseShape { a_rows: 1, b_rows: 1, depth }, 1.0);
    assert_eq!(out[0].to_bits(), naive_code_score(&a, &b, false).to_bits());
}
