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

/// Bits no kernel writes (a NaN with a payload arithmetic does not make): an entry left
/// unwritten keeps them and fails a bitwise comparison.
const UNWRITTEN: u32 = 0x7FC0_1234;

/// `pairwise_cosine_f32(a, a, …)` with the very same slice for both operands, so the
/// symmetric path runs; asserts the result is bitwise symmetric (which a plain product with
/// a scale that is not a power of two is not, see the gemm tests).
fn symmetric_matrix(a: &[f32], n: usize, d: usize, scale: f32) -> Vec<f32> {
    let out = run(a, a, PairwiseShape { batch: 1, a_rows: n, b_rows: n, depth: d }, 1e-8, scale);
    for i in 0..n {
        for j in 0..i {
            assert_eq!(out[i * n + j].to_bits(), out[j * n + i].to_bits(), "symmetric path, n {n} d {d} scale {scale} [{i},{j}]");
        }
    }
    out
}

/// Rows `[start, end)` of the symmetric matrix through `pairwise_self_rows_f32`, with
/// exactly `pairwise_self_rows_scratch_len` floats of scratch.
fn self_rows(a: &[f32], n: usize, d: usize, (start, end): (usize, usize), scale: f32) -> Vec<f32> {
    let mut out = vec![f32::from_bits(UNWRITTEN); (end - start) * n];
    let mut scratch = vec![f32::NAN; pairwise_self_rows_scratch_len(n, d, start, end - start).unwrap()];
    pairwise_self_rows_f32(a, n, d, start, end - start, 1e-8, scale, &mut out, &mut scratch).unwrap();
    out
}

/// Rows `[start, end)` as a plain product of those rows with all rows (what a pool chunk
/// would get from `pairwise_cosine_f32`).
fn plain_rows(a: &[f32], n: usize, d: usize, (start, end): (usize, usize), scale: f32) -> Vec<f32> {
    run(&a[start * d..end * d], a, PairwiseShape { batch: 1, a_rows: end - start, b_rows: n, depth: d }, 1e-8, scale)
}

/// Random rows with a zero row (1), a NaN (row 3), a tie (row 5 = 3 · row 0) and a huge row
/// (7: norm rescued in float64, and with scale 0.1 a factor that is not a normal float32,
/// so its group of four is packed value by value).
fn self_rows_data(rng: &mut TestRng, n: usize, d: usize) -> Vec<f32> {
    let mut a = rng.vector(n * d);
    if d == 0 {
        return a;
    }
    if n > 1 {
        a[d..2 * d].fill(0.0);
    }
    if n > 3 {
        a[3 * d] = f32::NAN;
    }
    if n > 5 {
        for k in 0..d {
            a[5 * d + k] = 3.0 * a[k];
        }
    }
    if n > 7 {
        a[7 * d..8 * d].iter_mut().for_each(|value| *value *= 1e37);
    }
    a
}

/// Consecutive chunks of `length` rows over `0..n` (the last one a tail).
fn fixed_chunks(n: usize, length: usize) -> Vec<(usize, usize)> {
    (0..n).step_by(length).map(|start| (start, (start + length).min(n))).collect()
}

/// Splits of `0..n`: one chunk; chunks of 1 (small n only), 2, 3, 7 and 100; a large chunk
/// then a tail of 1, 2 or 3 rows; a head of 1 row; for large n, cuts either side of the
/// 64-row blocks of earlier rows and a chunk longer than 256 rows (two column blocks of
/// the transposed product); a random split.
fn row_splits(rng: &mut TestRng, n: usize) -> Vec<Vec<(usize, usize)>> {
    let mut splits = vec![vec![(0, n)]];
    let lengths: &[usize] = if n <= 600 { &[1, 2, 3, 7, 100] } else { &[3, 100] };
    splits.extend(lengths.iter().filter(|&&length| length < n).map(|&length| fixed_chunks(n, length)));
    for tail in 1..=3 {
        if n > tail {
            splits.push(vec![(0, n - tail), (n - tail, n)]);
        }
    }
    if n > 1 {
        splits.push(vec![(0, 1), (1, n)]);
    }
    if n > 700 {
        splits.push(vec![(0, 63), (63, 65), (65, 129), (129, 130), (130, 700), (700, n)]);
    }
    if n > 3 {
        let mut cuts: Vec<usize> = (0..3).map(|_| 1 + (rng.unit() * (n - 1) as f64) as usize).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let bounds: Vec<usize> = core::iter::once(0).chain(cuts).chain(core::iter::once(n)).collect();
        splits.push(bounds.windows(2).map(|pair| (pair[0], pair[1])).collect());
    }
    splits
}

fn assert_rows_equal(chunk: &[f32], whole: &[f32], n: usize, (start, end): (usize, usize), context: &str) {
    for row in start..end {
        for column in 0..n {
            let (got, want) = (chunk[(row - start) * n + column], whole[row * n + column]);
            assert_eq!(got.to_bits(), want.to_bits(), "{context}: rows {start}..{end} [{row},{column}]: {got} vs {want}");
        }
    }
}

/// For every split of the rows, the chunks of `pairwise_self_rows_f32` are bitwise the rows
/// of the symmetric call, for scales that are and are not powers of two, with zero, NaN,
/// tied and huge rows. Many rows: every split for scale 1/0.07, the splits into two or
/// more large chunks (tails, head, block cuts, random) for the other scales. A plain
/// product chunk is not equal (for scale 1/0.07, somewhere; it is for scale 1, where A and
/// B rows are equal). Returns the chunks checked and the cases where the plain product
/// differed for scale 1/0.07.
fn check_self_rows(seed: u64, cases: &[(usize, usize)]) -> (usize, usize) {
    let mut rng = TestRng::new(seed);
    let (mut chunks_checked, mut plain_differs) = (0, 0);
    for &(n, d) in cases {
        let a = self_rows_data(&mut rng, n, d);
        let splits = row_splits(&mut rng, n);
        for &scale in &[1.0f32, 1.0 / 0.07, 3.0, -2.5, 0.1] {
            let whole = symmetric_matrix(&a, n, d, scale);
            let every_split = n <= 100 || scale == 1.0 / 0.07;
            for bounds in splits.iter().filter(|bounds| every_split || bounds.len() <= 6) {
                for &chunk in bounds {
                    let context = std::format!("n {n} d {d} scale {scale}");
                    assert_rows_equal(&self_rows(&a, n, d, chunk, scale), &whole, n, chunk, &context);
                    chunks_checked += 1;
                }
            }
            // The plain product of the last rows (up to 3) with all rows.
            let tail = (n - n.min(3), n);
            let plain = plain_rows(&a, n, d, tail, scale);
            let differs = (tail.0..n).any(|row| (0..n).any(|column| plain[(row - tail.0) * n + column].to_bits() != whole[row * n + column].to_bits()));
            if scale == 1.0 {
                assert!(!differs, "n {n} d {d}: with scale 1 the plain product is symmetric already");
            }
            if scale == 1.0 / 0.07 {
                plain_differs += usize::from(differs);
            }
        }
    }
    (chunks_checked, plain_differs)
}

#[test]
fn self_rows_chunks_equal_the_symmetric_matrix_for_few_rows_and_deep_rows() {
    // n = 1..20 at depths 1, 5 and 17; two and three depth blocks; depth 0.
    let mut cases: Vec<(usize, usize)> = (1..=20).map(|n| (n, [1, 5, 17][n % 3])).collect();
    cases.extend([(17, 1281), (13, 2100), (5, 0)]);
    let (chunks, plain_differs) = check_self_rows(64, &cases);
    assert!(chunks > 3000, "{chunks} chunks");
    // Every case with a depth and at least 4 rows differs (n ≤ 3 has at most one pair off
    // the diagonal besides the zero row's, and it may round alike).
    let expected = cases.iter().filter(|&&(n, d)| n >= 4 && d > 0).count();
    assert!(plain_differs >= expected, "a plain chunk differed for scale 1/0.07 in only {plain_differs} cases, expected {expected}");
}

#[test]
fn self_rows_chunks_equal_the_symmetric_matrix_for_many_rows() {
    let (chunks, plain_differs) = check_self_rows(66, &[(513, 3), (1030, 2)]);
    assert!(chunks > 1500, "{chunks} chunks");
    assert_eq!(plain_differs, 2, "a plain chunk should differ for scale 1/0.07");
}

#[test]
fn self_rows_sizes_and_errors() {
    let (n, d) = (6, 3);
    let a = TestRng::new(65).vector(n * d);
    let scratch_len = pairwise_self_rows_scratch_len(n, d, 2, 3).unwrap();
    let mut scratch = vec![0.0f32; scratch_len];
    let mut out = vec![0.0f32; 3 * n];
    let call = |a: &[f32], start: usize, count: usize, out: &mut [f32], scratch: &mut [f32]| pairwise_self_rows_f32(a, n, d, start, count, 1e-8, 2.0, out, scratch);
    assert_eq!(call(&a, 2, 3, &mut out, &mut scratch), Ok(()));
    assert_eq!(call(&a[..17], 2, 3, &mut out, &mut scratch), Err(KernelError::OutOfBounds));
    assert_eq!(call(&a, 4, 3, &mut out, &mut scratch), Err(KernelError::InvalidArgument), "rows past the end");
    assert_eq!(call(&a, usize::MAX, 3, &mut out, &mut scratch), Err(KernelError::InvalidArgument), "start + count overflows");
    assert_eq!(call(&a, 2, 3, &mut out[..17], &mut scratch), Err(KernelError::OutputLength));
    assert_eq!(call(&a, 2, 3, &mut out, &mut scratch[..scratch_len - 1]), Err(KernelError::InvalidArgument), "scratch too short");
    assert_eq!(call(&a, 6, 0, &mut [], &mut []), Ok(()), "no rows");
    assert_eq!(pairwise_self_rows_scratch_len(n, d, 4, 3), None);
    assert_eq!(pairwise_self_rows_scratch_len(n, d, usize::MAX, 1), None);
    assert_eq!(pairwise_self_rows_scratch_len(usize::MAX, usize::MAX, 0, 1), None);
    // The first chunk needs no earlier block; the scratch never exceeds the symmetric
    // call's by more than one earlier block and its transposed tile.
    assert_eq!(pairwise_self_rows_scratch_len(n, d, 0, n), Some(8 * d + 8 * d));
    for &(rows, depth) in &[(1, 1), (100, 7), (1030, 384)] {
        for (start, count) in [(0, rows), (rows / 2, rows - rows / 2), (rows - 1, 1), (rows / 3, 1)] {
            let len = pairwise_self_rows_scratch_len(rows, depth, start, count).unwrap();
            assert!(len <= pairwise_scratch_len(rows, rows, depth).unwrap() + 64 * depth + 64 * 256, "{rows}x{depth} rows {start}+{count}: {len}");
        }
    }
}
