use super::*;
use crate::lanes::Portable;
use crate::test_support::{TestRng, assert_close};
use std::vec;
use std::vec::Vec;

fn reference(input: &[f32], layout: NormalizeLayout, order: NormOrder, eps: f64) -> Vec<f64> {
    let NormalizeLayout { outer, reduced, inner } = layout;
    let mut output = vec![0.0f64; input.len()];
    for outer_index in 0..outer {
        for inner_index in 0..inner {
            let at = |step: usize| outer_index * reduced * inner + step * inner + inner_index;
            let values: Vec<f64> = (0..reduced).map(|step| f64::from(input[at(step)])).collect();
            let norm = match order {
                NormOrder::Two => values.iter().map(|value| value * value).sum::<f64>().sqrt(),
                NormOrder::One => values.iter().map(|value| value.abs()).sum::<f64>(),
                NormOrder::Infinity => values.iter().fold(0.0f64, |best, value| if best.is_nan() || value.is_nan() { f64::NAN } else { best.max(value.abs()) }),
            };
            let denominator = if norm < eps { eps } else { norm };
            for step in 0..reduced {
                output[at(step)] = values[step] / denominator;
            }
        }
    }
    output
}

const ORDERS: [NormOrder; 3] = [NormOrder::One, NormOrder::Two, NormOrder::Infinity];

fn check(input: &[f32], layout: NormalizeLayout, order: NormOrder, eps: f32, context: &str) {
    let expected = reference(input, layout, order, f64::from(eps));
    let mut output = vec![f32::NAN; input.len()];
    normalize_f32(input, &mut output, layout, order, eps).unwrap();
    let mut in_place = input.to_vec();
    normalize_in_place_f32(&mut in_place, layout, order, eps).unwrap();
    for index in 0..input.len() {
        assert_close(f64::from(output[index]), expected[index], 2e-6, &std::format!("{context} {order:?} index {index}"));
        assert_eq!(output[index].to_bits(), in_place[index].to_bits(), "{context}: in place differs at {index}");
    }
}

#[test]
fn rows_and_columns_match_float64_for_odd_sizes() {
    let mut rng = TestRng::new(7);
    for &inner in &[1usize, 2, 15, 16, 17, 33, 48] {
        for &reduced in &[0usize, 1, 3, 4, 15, 16, 17, 63, 64, 65, 70, 200] {
            for &outer in &[1usize, 2] {
                let layout = NormalizeLayout { outer, reduced, inner };
                let input = rng.vector(outer * reduced * inner);
                for order in ORDERS {
                    check(&input, layout, order, 1e-12, &std::format!("[{outer},{reduced},{inner}]"));
                }
            }
        }
    }
}

#[test]
fn zero_vectors_eps_and_special_values() {
    let layout = NormalizeLayout { outer: 3, reduced: 4, inner: 1 };
    let input = [0.0f32, 0.0, 0.0, 0.0, 0.1, 0.0, 0.0, 0.0, 1.0, f32::NAN, 2.0, 3.0];
    for order in ORDERS {
        let mut output = [0.0f32; 12];
        normalize_f32(&input, &mut output, layout, order, 0.5).unwrap();
        assert_eq!(&output[..4], &[0.0; 4], "{order:?}: zero vector");
        assert_close(f64::from(output[4]), 0.2, 1e-7, "norm below eps is clamped");
        assert!(output[8..].iter().all(|value| value.is_nan()), "{order:?}: NaN poisons its vector");
    }
    let infinite = [1.0f32, f32::INFINITY, 2.0, -3.0];
    for order in ORDERS {
        let mut output = [7.0f32; 4];
        normalize_f32(&infinite, &mut output, NormalizeLayout { outer: 1, reduced: 4, inner: 1 }, order, 1e-12).unwrap();
        assert_eq!(output[0], 0.0, "{order:?}");
        assert!(output[1].is_nan(), "{order:?}");
        assert_eq!(output[3].to_bits(), (-0.0f32).to_bits(), "{order:?}");
    }
}

#[test]
fn huge_and_tiny_magnitudes_normalise_correctly() {
    let mut rng = TestRng::new(8);
    for &scale in &[1e20f32, 3e37, 1e-20, 1e-40] {
        for &(reduced, inner) in &[(768usize, 1usize), (5, 1), (40, 16), (3, 20)] {
            let input: Vec<f32> = rng.vector(reduced * inner).iter().map(|value| value * scale).collect();
            for order in ORDERS {
                check(&input, NormalizeLayout { outer: 1, reduced, inner }, order, 0.0, &std::format!("scale {scale:e}"));
            }
        }
    }
}

#[test]
fn lane_and_scalar_norm_sums_agree() {
    let mut rng = TestRng::new(9);
    for length in 0..=70 {
        let values = rng.vector(length);
        for order in ORDERS {
            let scalar = vector_norm_sums_f32_scalar(&values, order);
            let lanes = vector_norm_sums_f32x4::<Portable>(&values, order);
            assert_close(f64::from(lanes), f64::from(scalar), 1e-6 * (1.0 + f64::from(scalar.abs())), &std::format!("length {length} {order:?}"));
        }
    }
}

#[test]
fn bad_layouts_and_orders_are_errors() {
    let input = [1.0f32; 6];
    let mut output = [0.0f32; 6];
    let layout = NormalizeLayout { outer: 1, reduced: 7, inner: 1 };
    assert_eq!(normalize_f32(&input, &mut output, layout, NormOrder::Two, 1e-12), Err(KernelError::OutOfBounds));
    let layout = NormalizeLayout { outer: 2, reduced: 3, inner: 1 };
    assert_eq!(normalize_f32(&input, &mut output[..5], layout, NormOrder::Two, 1e-12), Err(KernelError::OutputLength));
    let overflowing = NormalizeLayout { outer: usize::MAX, reduced: 2, inner: 1 };
    assert_eq!(normalize_in_place_f32(&mut output, overflowing, NormOrder::Two, 1e-12), Err(KernelError::OutOfBounds));
    assert_eq!(NormOrder::from_code(3), Err(KernelError::InvalidArgument));
    assert_eq!(NormOrder::from_code(0), Ok(NormOrder::Infinity));
}
