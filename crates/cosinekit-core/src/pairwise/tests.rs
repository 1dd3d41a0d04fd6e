use super::*;
use crate::test_support::{TestRng, assert_close, cosine_reference_f64};
use std::vec;
use std::vec::Vec;

fn run(a: &[f32], b: &[f32], shape: PairwiseShape, eps: f32, scale: f32) -> Vec<f32> {
    let mut out = vec![f32::NAN; shape.batch * shape.a_rows * shape.b_rows];
    let mut scratch = vec![0.0f32; pairwise_scratch_len(shape.a_rows, shape.b_rows, shape.depth).unwrap()];
    pairwise_cosine_f32(a, b, shape, eps, scale, &mut out, &mut scratch).unwrap();
    out
}

#[test]
fn matrix_entries_equal_row_cosines_for_odd_sizes() {
    let mut rng = TestRng::new(60);
    for &(batch, n, m, d) in &[(1, 1, 1, 1), (1, 5, 3, 7), (1, 17, 33, 65), (2, 9, 4, 31), (3, 67, 67, 67), (1, 4, 300, 300)] {
        let a = rng.vector(batch * n * d);
        let b = rng.vector(batch * m * d);
        let shape = PairwiseShape { batch, a_rows: n, b_rows: m, depth: d };
        for &scale in &[1.0f32, 1.0 / 0.07, -2.0] {
            let out = run(&a, &b, shape, 1e-8, scale);
            for index in 0..batch {
                for i in 0..n {
                    for j in 0..m {
                        let row_a = &a[(index * n + i) * d..(index * n + i + 1) * d];
                        let row_b = &b[(index * m + j) * d..(index * m + j + 1) * d];
                        let expected = f64::from(scale) * cosine_reference_f64(row_a, row_b, 1e-8);
                        let actual = out[(index * n + i) * m + j];
                        assert_close(f64::from(actual), expected, 2e-6 * f64::from(scale.abs()), &std::format!("{shape:?} [{index},{i},{j}]"));
                    }
                }
            }
        }
    }
}

#[test]
fn zero_nan_and_extreme_rows() {
    let d = 5;
    let mut a = TestRng::new(61).vector(4 * d);
    a[d..2 * d].fill(0.0);
    a[2 * d + 3] = f32::NAN;
    for value in &mut a[3 * d..4 * d] {
        *value *= 1e36;
    }
    let b = TestRng::new(62).vector(3 * d);
    let out = run(&a, &b, PairwiseShape { batch: 1, a_rows: 4, b_rows: 3, depth: d }, 1e-8, 1.0);
    assert_eq!(&out[3..6], &[0.0; 3], "zero row gives zeros");
    assert!(out[6..9].iter().all(|value| value.is_nan()), "NaN row gives NaN");
    for j in 0..3 {
        let expected = cosine_reference_f64(&a[3 * d..4 * d], &b[j * d..(j + 1) * d], 1e-8);
        assert_close(f64::from(out[9 + j]), expected, 2e-6, "huge row");
    }
    let with_zero_eps = run(&a, &b, PairwiseShape { batch: 1, a_rows: 4, b_rows: 3, depth: d }, 0.0, 1.0);
    assert!(with_zero_eps[3..6].iter().all(|value| value.is_nan()), "eps = 0: 0/0 as PyTorch");
}

#[test]
fn size_errors() {
    let a = [1.0f32; 6];
    let shape = PairwiseShape { batch: 1, a_rows: 2, b_rows: 2, depth: 3 };
    let mut out = [0.0f32; 4];
    let mut scratch = vec![0.0f32; pairwise_scratch_len(2, 2, 3).unwrap()];
    assert_eq!(pairwise_cosine_f32(&a[..5], &a, shape, 1e-8, 1.0, &mut out, &mut scratch), Err(KernelError::OutOfBounds));
    assert_eq!(pairwise_cosine_f32(&a, &a, shape, 1e-8, 1.0, &mut out[..3], &mut scratch), Err(KernelError::OutputLength));
    assert_eq!(pairwise_cosine_f32(&a, &a, shape, 1e-8, 1.0, &mut out, &mut scratch[..10]), Err(KernelError::InvalidArgument));
    let huge = PairwiseShape { batch: usize::MAX, a_rows: 2, b_rows: 2, depth: 3 };
    assert_eq!(pairwise_cosine_f32(&a, &a, huge, 1e-8, 1.0, &mut out, &mut scratch), Err(KernelError::OutOfBounds));
}

#[test]
fn mean_equals_the_mean_of_the_matrix() {
    let mut rng = TestRng::new(63);
    for &(n, m, d) in &[(1, 1, 1), (7, 5, 13), (40, 70, 33)] {
        let a = rng.vector(n * d);
        let b = rng.vector(m * d);
        let matrix = run(&a, &b, PairwiseShape { batch: 1, a_rows: n, b_rows: m, depth: d }, 1e-8, 1.0);
        let expected = matrix.iter().map(|&value| f64::from(value)).sum::<f64>() / (n * m) as f64;
        let mut sums = vec![0.0f64; 2 * d];
        let mean = mean_cosine_f32(&a, n, Some((&b, m)), d, 1e-8, &mut sums).unwrap();
        assert_close(mean, expected, 1e-6, "mean a·b");
        let self_matrix = run(&a, &a, PairwiseShape { batch: 1, a_rows: n, b_rows: n, depth: d }, 1e-8, 1.0);
        let self_expected = self_matrix.iter().map(|&value| f64::from(value)).sum::<f64>() / (n * n) as f64;
        let self_mean = mean_cosine_f32(&a, n, None, d, 1e-8, &mut sums).unwrap();
        assert_close(self_mean, self_expected, 1e-6, "mean a·a");
    }
}
