use super::*;
use crate::test_support::{TestRng, cosine_reference_f64};
use std::vec;
use std::vec::Vec;

/// Reference: every score in float64, stable sort by (score descending, index ascending),
/// NaN first.
fn reference(queries: &[f32], corpus: &[f32], q: usize, n: usize, d: usize, k: usize, exclude_self: bool) -> Vec<Vec<usize>> {
    (0..q)
        .map(|i| {
            let mut scored: Vec<(f64, usize)> = (0..n)
                .filter(|&j| !(exclude_self && i == j))
                .map(|j| (cosine_reference_f64(&queries[i * d..(i + 1) * d], &corpus[j * d..(j + 1) * d], 1e-8), j))
                .collect();
            scored.sort_by(|left, right| {
                let key = |value: f64| if value.is_nan() { f64::INFINITY } else { value };
                key(right.0).partial_cmp(&key(left.0)).unwrap().then(left.1.cmp(&right.1))
            });
            scored.into_iter().take(k).map(|(_, j)| j).collect()
        })
        .collect()
}

fn run(queries: &[f32], corpus: &[f32], shape: TopKShape, exclude_self: bool) -> (Vec<i32>, Vec<f32>) {
    let mut scratch = vec![0.0f32; topk_scratch_len(shape.queries, shape.depth).unwrap()];
    let mut indices = vec![0i32; shape.queries * shape.k];
    let mut scores = vec![0.0f32; shape.queries * shape.k];
    topk_cosine_f32(queries, corpus, shape, 1e-8, exclude_self, &mut scratch, &mut indices, &mut scores).unwrap();
    (indices, scores)
}

#[test]
fn matches_the_sorted_reference_across_tiles_and_blocks() {
    let mut rng = TestRng::new(70);
    for &(q, n, d, k) in &[(1, 1, 1, 1), (3, 10, 5, 3), (5, 600, 17, 10), (300, 260, 9, 7), (530, 270, 6, 5), (2, 513, 64, 513), (1, 700, 33, 20), (4, 700, 33, 20)] {
        let queries = rng.vector(q * d);
        let corpus = rng.vector(n * d);
        let (indices, scores) = run(&queries, &corpus, TopKShape { queries: q, corpus_rows: n, depth: d, k }, false);
        let expected = reference(&queries, &corpus, q, n, d, k, false);
        for i in 0..q {
            let got: Vec<usize> = indices[i * k..(i + 1) * k].iter().map(|&index| index as usize).collect();
            // Near-ties within float32 rounding may swap: compare scores, then indices where scores differ clearly.
            for slot in 0..k {
                let want = cosine_reference_f64(&queries[i * d..(i + 1) * d], &corpus[expected[i][slot] * d..(expected[i][slot] + 1) * d], 1e-8);
                assert!((f64::from(scores[i * k + slot]) - want).abs() < 2e-6, "q{i} slot {slot}: {} vs {want}", scores[i * k + slot]);
            }
            assert!(scores[i * k..(i + 1) * k].windows(2).all(|pair| pair[0] >= pair[1]), "sorted");
            let mismatches = got.iter().zip(&expected[i]).filter(|(left, right)| left != right).count();
            assert!(mismatches <= 2, "q{i}: {got:?} vs {:?}", expected[i]);
        }
    }
}

#[test]
fn exclude_self_across_query_blocks_and_corpus_tiles() {
    // 600 rows: two query blocks and three corpus tiles; each query's own row lies in a
    // different (block, tile) pair depending on the row.
    let mut rng = TestRng::new(71);
    let (n, d, k) = (600, 7, 4);
    let rows = rng.vector(n * d);
    let (indices, _) = run(&rows, &rows, TopKShape { queries: n, corpus_rows: n, depth: d, k }, true);
    let expected = reference(&rows, &rows, n, n, d, k, true);
    for i in 0..n {
        let got: Vec<usize> = indices[i * k..(i + 1) * k].iter().map(|&index| index as usize).collect();
        assert!(!got.contains(&i), "row {i} lists itself: {got:?}");
        let mismatches = got.iter().zip(&expected[i]).filter(|(left, right)| left != right).count();
        assert!(mismatches <= 2, "row {i}: {got:?} vs {:?}", expected[i]);
    }
}

#[test]
fn ties_keep_the_lower_index_and_exclude_self_skips_the_diagonal() {
    // Rows 1, 3 and 4 are the same direction (3 and 4 are scalar multiples): equal scores.
    let d = 3;
    let corpus: Vec<f32> = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.0, 2.0, 0.0], [0.0, 7.0, 0.0], [0.0, -1.0, 0.0]].concat();
    let queries: Vec<f32> = [[0.0, 3.0, 0.0]].concat();
    let (indices, scores) = run(&queries, &corpus, TopKShape { queries: 1, corpus_rows: 6, depth: d, k: 4 }, false);
    assert_eq!(indices, [1, 3, 4, 2]);
    assert_eq!(&scores[..3], &[1.0, 1.0, 1.0]);
    let (self_indices, _) = run(&corpus, &corpus, TopKShape { queries: 6, corpus_rows: 6, depth: d, k: 2 }, true);
    assert_eq!(&self_indices[2..4], &[3, 4], "row 1 skips itself");
    assert_eq!(&self_indices[6..8], &[1, 4], "row 3 skips itself");
    assert!(self_indices.chunks(2).enumerate().all(|(row, pair)| !pair.contains(&(row as i32))));
}

#[test]
fn nan_ranks_first_and_k_equal_to_n_lists_everything() {
    let d = 2;
    let corpus: Vec<f32> = [[1.0, 0.0], [f32::NAN, 0.0], [0.0, 1.0], [-1.0, 0.0]].concat();
    let queries = [1.0f32, 0.0];
    let (indices, scores) = run(&queries, &corpus, TopKShape { queries: 1, corpus_rows: 4, depth: d, k: 4 }, false);
    assert_eq!(indices, [1, 0, 2, 3]);
    assert!(scores[0].is_nan());
    assert_eq!(&scores[1..], &[1.0, 0.0, -1.0]);
}

#[test]
fn argument_errors() {
    let data = [1.0f32; 6];
    let mut scratch = vec![0.0f32; topk_scratch_len(2, 3).unwrap()];
    let mut indices = [0i32; 6];
    let mut scores = [0.0f32; 6];
    let too_many = TopKShape { queries: 2, corpus_rows: 2, depth: 3, k: 3 };
    assert_eq!(topk_cosine_f32(&data, &data, too_many, 1e-8, false, &mut scratch, &mut indices, &mut scores), Err(KernelError::InvalidArgument));
    let self_full = TopKShape { queries: 2, corpus_rows: 2, depth: 3, k: 2 };
    assert_eq!(topk_cosine_f32(&data, &data, self_full, 1e-8, true, &mut scratch, &mut indices[..4], &mut scores[..4]), Err(KernelError::InvalidArgument));
    assert_eq!(topk_cosine_f32(&data, &data, self_full, 1e-8, false, &mut scratch, &mut indices[..3], &mut scores[..4]), Err(KernelError::OutputLength));
}
