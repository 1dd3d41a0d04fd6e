use super::*;
use crate::test_support::{TestRng, cosine_reference_f64};
use std::vec;
use std::vec::Vec;

/// Reference: every score in float64, stable sort by (score descending, index ascending),
/// NaN first; `exclude_self = Some(offset)` drops corpus row `i + offset` for query `i`.
fn reference(queries: &[f32], corpus: &[f32], q: usize, n: usize, d: usize, k: usize, exclude_self: Option<i32>) -> Vec<Vec<usize>> {
    (0..q)
        .map(|i| {
            let mut scored: Vec<(f64, usize)> = (0..n)
                .filter(|&j| exclude_self.is_none_or(|offset| i as i64 + i64::from(offset) != j as i64))
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

fn run(queries: &[f32], corpus: &[f32], shape: TopKShape, exclude_self: Option<i32>) -> (Vec<i32>, Vec<f32>) {
    let mut scratch = vec![0.0f32; topk_scratch_len(shape.queries, shape.depth).unwrap()];
    let mut indices = vec![0i32; shape.queries * shape.k];
    let mut scores = vec![0.0f32; shape.queries * shape.k];
    topk_cosine_f32(queries, corpus, shape, 1e-8, exclude_self, TopKPath::Auto, &mut scratch, &mut indices, &mut scores).unwrap();
    (indices, scores)
}

#[test]
fn matches_the_sorted_reference_across_tiles_and_blocks() {
    let mut rng = TestRng::new(70);
    for &(q, n, d, k) in &[(1, 1, 1, 1), (3, 10, 5, 3), (5, 600, 17, 10), (300, 260, 9, 7), (530, 270, 6, 5), (2, 513, 64, 513), (1, 700, 33, 20), (4, 700, 33, 20)] {
        let queries = rng.vector(q * d);
        let corpus = rng.vector(n * d);
        let (indices, scores) = run(&queries, &corpus, TopKShape { queries: q, corpus_rows: n, depth: d, k }, None);
        let expected = reference(&queries, &corpus, q, n, d, k, None);
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
    let (indices, _) = run(&rows, &rows, TopKShape { queries: n, corpus_rows: n, depth: d, k }, Some(0));
    let expected = reference(&rows, &rows, n, n, d, k, Some(0));
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
    let (indices, scores) = run(&queries, &corpus, TopKShape { queries: 1, corpus_rows: 6, depth: d, k: 4 }, None);
    assert_eq!(indices, [1, 3, 4, 2]);
    assert_eq!(&scores[..3], &[1.0, 1.0, 1.0]);
    let (self_indices, _) = run(&corpus, &corpus, TopKShape { queries: 6, corpus_rows: 6, depth: d, k: 2 }, Some(0));
    assert_eq!(&self_indices[2..4], &[3, 4], "row 1 skips itself");
    assert_eq!(&self_indices[6..8], &[1, 4], "row 3 skips itself");
    assert!(self_indices.chunks(2).enumerate().all(|(row, pair)| !pair.contains(&(row as i32))));
}

#[test]
fn nan_ranks_first_and_k_equal_to_n_lists_everything() {
    let d = 2;
    let corpus: Vec<f32> = [[1.0, 0.0], [f32::NAN, 0.0], [0.0, 1.0], [-1.0, 0.0]].concat();
    let queries = [1.0f32, 0.0];
    let (indices, scores) = run(&queries, &corpus, TopKShape { queries: 1, corpus_rows: 4, depth: d, k: 4 }, None);
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
    assert_eq!(topk_cosine_f32(&data, &data, too_many, 1e-8, None, TopKPath::Auto, &mut scratch, &mut indices, &mut scores), Err(KernelError::InvalidArgument));
    let self_full = TopKShape { queries: 2, corpus_rows: 2, depth: 3, k: 2 };
    assert_eq!(topk_cosine_f32(&data, &data, self_full, 1e-8, Some(0), TopKPath::Auto, &mut scratch, &mut indices[..4], &mut scores[..4]), Err(KernelError::InvalidArgument));
    assert_eq!(topk_cosine_f32(&data, &data, self_full, 1e-8, None, TopKPath::Auto, &mut scratch, &mut indices[..3], &mut scores[..4]), Err(KernelError::OutputLength));
}

/// Bitwise equality of two top-k results (indices and score bits).
fn assert_same_bits(actual: &(Vec<i32>, Vec<f32>), expected: &(Vec<i32>, Vec<f32>), context: &str) {
    assert_eq!(actual.0, expected.0, "{context}: indices");
    let bits = |scores: &[f32]| scores.iter().map(|score| score.to_bits()).collect::<Vec<u32>>();
    assert_eq!(bits(&actual.1), bits(&expected.1), "{context}: score bits");
}

/// Rows with exact ties and NaN: rows 3 and 11 repeat row 7, rows 5 and 20 are zero
/// (scores ±0 against everything), row 13 holds a NaN (NaN scores, and a NaN query).
fn tricky_rows(rng: &mut TestRng, n: usize, d: usize) -> Vec<f32> {
    let mut rows = rng.vector(n * d);
    for row in [3, 11] {
        let copy = rows[7 * d..8 * d].to_vec();
        rows[row * d..(row + 1) * d].copy_from_slice(&copy);
    }
    for row in [5, 20] {
        rows[row * d..(row + 1) * d].fill(0.0);
    }
    rows[13 * d + 1] = f32::NAN;
    rows
}

/// With `Some(offset)`, each query's list is exactly the list without exclusion (one entry
/// longer) with corpus row `q + offset` removed: scores do not depend on what is skipped.
/// Both paths (Q < 4 streams, Q ≥ 4 packs), offsets that move the skipped row out of range
/// for some or all queries, and more queries than corpus rows.
#[test]
fn self_offset_skips_exactly_row_q_plus_offset() {
    let mut rng = TestRng::new(72);
    let d = 6;
    for &(q, n, k) in &[(3, 30, 4), (40, 30, 4), (600, 300, 3), (9, 5, 4)] {
        let queries = tricky_rows(&mut rng, q.max(21), d)[..q * d].to_vec();
        let corpus = rng.vector(n * d);
        let shape = TopKShape { queries: q, corpus_rows: n, depth: d, k };
        let wider = run(&queries, &corpus, TopKShape { k: k + 1, ..shape }, None);
        for offset in [0i32, -2, 3, -(q as i32), n as i32, i32::MIN, i32::MAX] {
            let (indices, scores) = run(&queries, &corpus, shape, Some(offset));
            for query in 0..q {
                let own = query as i64 + i64::from(offset);
                let expected: Vec<(i32, u32)> = (0..=k)
                    .map(|slot| (wider.0[query * (k + 1) + slot], wider.1[query * (k + 1) + slot].to_bits()))
                    .filter(|&(index, _)| i64::from(index) != own)
                    .take(k)
                    .collect();
                let got: Vec<(i32, u32)> = (0..k).map(|slot| (indices[query * k + slot], scores[query * k + slot].to_bits())).collect();
                assert_eq!(got, expected, "Q {q} N {n} offset {offset} query {query}");
            }
        }
    }
}

/// Splits `0..n` into `count` consecutive slices of pseudo-random lengths, each at least
/// `minimum` long.
fn slice_bounds(rng: &mut TestRng, n: usize, count: usize, minimum: usize) -> Vec<(usize, usize)> {
    let spare = n - count * minimum;
    let mut cuts: Vec<usize> = (0..count - 1).map(|_| (rng.unit() * (spare + 1) as f64) as usize).collect();
    cuts.sort_unstable();
    let mut bounds = Vec::new();
    let mut start = 0;
    for slice in 0..count {
        let extra = if slice + 1 < count { cuts[slice] - if slice > 0 { cuts[slice - 1] } else { 0 } } else { spare - cuts.last().copied().unwrap_or(0) };
        let end = start + minimum + extra;
        bounds.push((start, end));
        start = end;
    }
    assert_eq!(start, n);
    bounds
}

/// Searches every corpus slice (with the offset that keeps the global exclude-self rule),
/// pads each result to `k` with empty slots, and merges the lists last slice first (so
/// equal scores do not arrive in index order and the merge's tie rule is what decides).
fn sliced_then_merged(queries: &[f32], query_start: usize, corpus: &[f32], depth: usize, k: usize, bounds: &[(usize, usize)]) -> (Vec<i32>, Vec<f32>) {
    let q = queries.len() / depth;
    let (mut list_indices, mut list_scores, mut offsets) = (Vec::new(), Vec::new(), Vec::new());
    for &(start, end) in bounds.iter().rev() {
        let rows = end - start;
        let holds_own_rows = start < query_start + q && query_start < end;
        let (exclude, slice_k) = if holds_own_rows { (Some(query_start as i32 - start as i32), k.min(rows - 1)) } else { (None, k.min(rows)) };
        assert!(slice_k == k || !holds_own_rows || (query_start <= start && end <= query_start + q && rows <= q), "test setup: a slice holding own rows must be longer than k");
        let shape = TopKShape { queries: q, corpus_rows: rows, depth, k: slice_k };
        let (indices, scores) = run(queries, &corpus[start * depth..end * depth], shape, exclude);
        for query in 0..q {
            list_indices.extend_from_slice(&indices[query * slice_k..(query + 1) * slice_k]);
            list_indices.extend(core::iter::repeat_n(-1, k - slice_k));
            list_scores.extend_from_slice(&scores[query * slice_k..(query + 1) * slice_k]);
            list_scores.extend(core::iter::repeat_n(f32::NAN, k - slice_k));
        }
        offsets.push(start as i32);
    }
    let mut indices = vec![7i32; q * k];
    let mut scores = vec![7.0f32; q * k];
    topk_merge_f32(&list_indices, &list_scores, bounds.len(), q, k, &offsets, k, false, &mut indices, &mut scores).unwrap();
    (indices, scores)
}

#[test]
fn merged_slices_equal_one_search_over_the_whole_corpus() {
    let mut rng = TestRng::new(73);
    let (mut packed_cases, mut streamed_cases, mut short_slices) = (0, 0, 0);
    // (rows, depth, k): 600 rows cross corpus tiles and query blocks; depth 3 has many
    // near-ties, the duplicate, zero and NaN rows exact ones.
    for &(n, d, k) in &[(40, 5, 5), (600, 3, 4), (30, 8, 29)] {
        let rows = tricky_rows(&mut rng, n, d);
        for slice_count in 1..=5 {
            // Queries are the whole corpus (packed path): every slice holds some query's own
            // row, so each must be longer than k for the queries whose row it lacks.
            let minimum = if k + 1 > n / slice_count { continue } else { k + 1 };
            let bounds = slice_bounds(&mut rng, n, slice_count, minimum);
            let whole = run(&rows, &rows, TopKShape { queries: n, corpus_rows: n, depth: d, k }, Some(0));
            assert_same_bits(&sliced_then_merged(&rows, 0, &rows, d, k, &bounds), &whole, &std::format!("N {n} slices {bounds:?}"));
            packed_cases += 1;
        }
        for slice_count in 1..=5 {
            // Three queries, global rows 11..14 (streaming path): slices without those rows
            // search without exclusion and may be shorter than k (padded with empty slots);
            // a slice holding them must be longer than k (redrawn until it is).
            let holds = |&(start, end): &(usize, usize)| start < 14 && 11 < end;
            let fits = |bounds: &Vec<(usize, usize)>| bounds.iter().all(|bound| !holds(bound) || bound.1 - bound.0 > k);
            let fixed = vec![(0, 1), (1, 3), (3, n - 2), (n - 2, n)];
            let candidate = if slice_count == 4 && fits(&fixed) { Some(fixed) } else { (0..50).map(|_| slice_bounds(&mut rng, n, slice_count, 1)).find(fits) };
            let Some(bounds) = candidate else { continue };
            let queries = &rows[11 * d..14 * d];
            let whole = run(queries, &rows, TopKShape { queries: 3, corpus_rows: n, depth: d, k }, Some(11));
            assert_same_bits(&sliced_then_merged(queries, 11, &rows, d, k, &bounds), &whole, &std::format!("N {n} queries 11..14 slices {bounds:?}"));
            streamed_cases += 1;
            short_slices += bounds.iter().filter(|bound| bound.1 - bound.0 < k).count();
        }
    }
    assert!(packed_cases >= 10 && streamed_cases >= 10 && short_slices >= 5, "{packed_cases} packed, {streamed_cases} streamed cases, {short_slices} short slices");
}

#[test]
fn query_chunks_with_their_global_start_as_offset_equal_the_whole_call() {
    let mut rng = TestRng::new(74);
    let (n, d, k) = (600, 4, 6);
    let rows = tricky_rows(&mut rng, n, d);
    let whole = run(&rows, &rows, TopKShape { queries: n, corpus_rows: n, depth: d, k }, Some(0));
    // Chunks of more than STREAMING_MAX_QUERIES queries stay on the packed path, as the
    // whole call does (fewer queries stream, with scores rounded differently).
    for chunk in [STREAMING_MAX_QUERIES + 1, 7, 100, 512, 599] {
        let mut indices = Vec::new();
        let mut scores = Vec::new();
        let mut start = 0;
        while start < n {
            let end = (start + chunk).min(n);
            let end = if n - end <= STREAMING_MAX_QUERIES { n } else { end };
            let shape = TopKShape { queries: end - start, corpus_rows: n, depth: d, k };
            let (chunk_indices, chunk_scores) = run(&rows[start * d..end * d], &rows, shape, Some(start as i32));
            indices.extend(chunk_indices);
            scores.extend(chunk_scores);
            start = end;
        }
        assert_same_bits(&(indices, scores), &whole, &std::format!("chunks of {chunk}"));
    }
    // The streaming path: up to STREAMING_MAX_QUERIES queries at once (blocks of
    // STREAMING_BLOCK and a shorter last one) and one at a time.
    for count in 2..=STREAMING_MAX_QUERIES {
        let queries = &rows[200 * d..(200 + count) * d];
        let together = run(queries, &rows, TopKShape { queries: count, corpus_rows: n, depth: d, k }, Some(200));
        let mut singles = (Vec::new(), Vec::new());
        for query in 0..count {
            let (indices, scores) = run(&queries[query * d..(query + 1) * d], &rows, TopKShape { queries: 1, corpus_rows: n, depth: d, k }, Some(200 + query as i32));
            singles.0.extend(indices);
            singles.1.extend(scores);
        }
        assert_same_bits(&singles, &together, &std::format!("{count} queries, one at a time"));
    }
}

#[test]
fn merge_orders_by_score_then_global_index_whatever_the_list_order() {
    // Two lists (offsets 10 and 2) of two queries, length 3. Query 0: a 0.5 tie (global 4
    // and 12), a 0 / −0 tie (global 2 and 30), an empty slot whose score is ignored.
    // Query 1: NaN twice (global 2 and 11), a 0.25 tie (5 and 15), −∞ left out at k = 5.
    let nan = f32::NAN;
    let list_indices = [[2, 20, -1], [1, 5, 6], [1, 2, 0], [0, 3, 1]].concat();
    let list_scores = [[0.5, -0.0, 9.0], [nan, 0.25, f32::NEG_INFINITY], [0.75, 0.5, 0.0], [nan, 0.25, 0.125]].concat();
    let merge = |list_indices: &[i32], list_scores: &[f32], offsets: &[i32]| {
        let (mut indices, mut scores) = ([0i32; 10], [0.0f32; 10]);
        topk_merge_f32(list_indices, list_scores, 2, 2, 3, offsets, 5, false, &mut indices, &mut scores).unwrap();
        (indices, scores.map(f32::to_bits))
    };
    let (indices, score_bits) = merge(&list_indices, &list_scores, &[10, 2]);
    assert_eq!(indices, [3, 4, 12, 2, 30, 2, 11, 5, 15, 3]);
    let expected = [0.75f32, 0.5, 0.5, 0.0, -0.0].map(f32::to_bits);
    assert_eq!(&score_bits[..5], &expected, "0 and −0 keep their own bits, ordered by index");
    assert!(f32::from_bits(score_bits[5]).is_nan() && f32::from_bits(score_bits[6]).is_nan());
    assert_eq!(&score_bits[7..], &[0.25f32, 0.25, 0.125].map(f32::to_bits));
    // The lists in the other order, and each row reversed, give the same result.
    let swap = |values: &[f32]| -> Vec<f32> { values[6..].iter().chain(&values[..6]).copied().collect() };
    let swapped_indices: Vec<i32> = list_indices[6..].iter().chain(&list_indices[..6]).copied().collect();
    assert_eq!(merge(&swapped_indices, &swap(&list_scores), &[2, 10]), (indices, score_bits));
    let reverse_rows = |values: Vec<f32>| -> Vec<f32> { values.chunks(3).flat_map(|row| row.iter().rev().copied()).collect() };
    let reversed_indices: Vec<i32> = list_indices.chunks(3).flat_map(|row| row.iter().rev().copied()).collect();
    assert_eq!(merge(&reversed_indices, &reverse_rows(list_scores.clone()), &[10, 2]), (indices, score_bits));
}

#[test]
fn merge_argument_errors_write_nothing() {
    let list_indices = [0, 1, -1, 0];
    let list_scores = [0.5f32, 0.25, f32::NAN, 0.75];
    let call = |list_indices: &[i32], offsets: &[i32], queries: usize, k: usize, output: usize| {
        let (mut indices, mut scores) = (vec![9i32; output], vec![9.0f32; output]);
        let status = topk_merge_f32(list_indices, &list_scores[..list_indices.len()], 2, queries, 2, offsets, k, false, &mut indices, &mut scores);
        if status.is_err() {
            assert!(indices.iter().all(|&index| index == 9) && scores.iter().all(|&score| score == 9.0), "nothing written on {status:?}");
        }
        status
    };
    // The query has 3 candidates (rows 0, 1 of list 0; row 0 of list 1): k = 3 works, 4 does not.
    assert_eq!(call(&list_indices, &[0, 5], 1, 3, 3), Ok(()));
    assert_eq!(call(&list_indices, &[0, 5], 1, 4, 4), Err(KernelError::InvalidArgument));
    // An index below −1; a global index that is negative or overflows i32.
    assert_eq!(call(&[0, -2, -1, 0], &[0, 5], 1, 1, 1), Err(KernelError::InvalidArgument));
    assert_eq!(call(&list_indices, &[-1, 5], 1, 1, 1), Err(KernelError::InvalidArgument));
    assert_eq!(call(&list_indices, &[i32::MAX, 5], 1, 1, 1), Err(KernelError::InvalidArgument));
    // Inputs of the wrong length, offsets of the wrong count, outputs of the wrong length,
    // sizes that overflow.
    assert_eq!(call(&list_indices[..3], &[0, 5], 1, 1, 1), Err(KernelError::OutOfBounds));
    assert_eq!(call(&list_indices, &[0], 1, 1, 1), Err(KernelError::OutOfBounds));
    assert_eq!(call(&list_indices, &[0, 5], 1, 1, 2), Err(KernelError::OutputLength));
    assert_eq!(call(&list_indices, &[0, 5], usize::MAX, 1, 1), Err(KernelError::OutOfBounds));
    // k = 0 and no queries are empty successes.
    assert_eq!(call(&list_indices, &[0, 5], 1, 0, 0), Ok(()));
    assert_eq!(call(&[], &[0, 5], 0, 3, 0), Ok(()));
}

#[test]
fn exclude_self_allows_more_queries_than_corpus_rows() {
    // Nine queries against a five-row slice that holds rows 2..7 of the queries' range.
    let mut rng = TestRng::new(75);
    let d = 3;
    let queries = rng.vector(9 * d);
    let corpus = queries[2 * d..7 * d].to_vec();
    let (indices, _) = run(&queries, &corpus, TopKShape { queries: 9, corpus_rows: 5, depth: d, k: 4 }, Some(-2));
    for query in 0..9 {
        let row = &indices[query * 4..(query + 1) * 4];
        let own = query as i32 - 2;
        assert!(!row.contains(&own), "query {query} lists its own row: {row:?}");
        assert!(row.iter().all(|&index| (0..5).contains(&index)));
    }
    // k = N is still refused with exclusion, whatever the offset.
    let mut scratch = vec![0.0f32; topk_scratch_len(9, d).unwrap()];
    let (mut indices, mut scores) = (vec![0i32; 45], vec![0.0f32; 45]);
    let shape = TopKShape { queries: 9, corpus_rows: 5, depth: d, k: 5 };
    assert_eq!(topk_cosine_f32(&queries, &corpus, shape, 1e-8, Some(100), TopKPath::Auto, &mut scratch, &mut indices, &mut scores), Err(KernelError::InvalidArgument));
}

#[test]
fn slices_searched_for_k_plus_one_and_merged_with_exclude_self_equal_the_whole_exclude_self_search() {
    let mut rng = TestRng::new(75);
    let mut cases = 0;
    for &(n, d, k) in &[(40, 5, 5), (600, 3, 4), (30, 8, 28)] {
        let rows = tricky_rows(&mut rng, n, d);
        let whole = run(&rows, &rows, TopKShape { queries: n, corpus_rows: n, depth: d, k }, Some(0));
        for slice_count in 1..=5 {
            // Any slice lengths, shorter than k too: no slice excludes anything itself.
            let bounds = slice_bounds(&mut rng, n, slice_count, 1);
            let list_length = k + 1;
            let (mut list_indices, mut list_scores, mut offsets) = (Vec::new(), Vec::new(), Vec::new());
            for &(start, end) in bounds.iter().rev() {
                let slice_k = list_length.min(end - start);
                let shape = TopKShape { queries: n, corpus_rows: end - start, depth: d, k: slice_k };
                let (indices, scores) = run(&rows, &rows[start * d..end * d], shape, None);
                for query in 0..n {
                    list_indices.extend_from_slice(&indices[query * slice_k..(query + 1) * slice_k]);
                    list_indices.extend(core::iter::repeat_n(-1, list_length - slice_k));
                    list_scores.extend_from_slice(&scores[query * slice_k..(query + 1) * slice_k]);
                    list_scores.extend(core::iter::repeat_n(0.0, list_length - slice_k));
                }
                offsets.push(start as i32);
            }
            let mut indices = vec![7i32; n * k];
            let mut scores = vec![7.0f32; n * k];
            topk_merge_f32(&list_indices, &list_scores, bounds.len(), n, list_length, &offsets, k, true, &mut indices, &mut scores).unwrap();
            assert_same_bits(&(indices, scores), &whole, &std::format!("N {n} k {k} slices {bounds:?}"));
            cases += 1;
        }
    }
    assert_eq!(cases, 15);
}

/// `topk_cosine_f32` on `path`, with exactly [`topk_scratch_len`] floats of scratch (so a
/// path that needed more would panic on its slicing).
fn run_on_path(queries: &[f32], corpus: &[f32], shape: TopKShape, exclude_self: Option<i32>, path: TopKPath) -> (Vec<i32>, Vec<f32>) {
    let mut scratch = vec![0.0f32; topk_scratch_len(shape.queries, shape.depth).unwrap()];
    let mut indices = vec![0i32; shape.queries * shape.k];
    let mut scores = vec![0.0f32; shape.queries * shape.k];
    topk_cosine_f32(queries, corpus, shape, 1e-8, exclude_self, path, &mut scratch, &mut indices, &mut scores).unwrap();
    (indices, scores)
}

/// The chunks `bounds` (query rows, chunk-local to `queries`) searched one call each on
/// `path`, the self offset moved by each chunk's start, results concatenated.
fn chunked(queries: &[f32], corpus: &[f32], shape: TopKShape, exclude_self: Option<i32>, path: TopKPath, bounds: &[(usize, usize)]) -> (Vec<i32>, Vec<f32>) {
    let depth = shape.depth;
    let (mut indices, mut scores) = (Vec::new(), Vec::new());
    for &(start, end) in bounds {
        let chunk_shape = TopKShape { queries: end - start, ..shape };
        let offset = exclude_self.map(|offset| offset + start as i32);
        let (chunk_indices, chunk_scores) = run_on_path(&queries[start * depth..end * depth], corpus, chunk_shape, offset, path);
        indices.extend(chunk_indices);
        scores.extend(chunk_scores);
    }
    (indices, scores)
}

/// Consecutive chunks of `length` rows over `0..q`, the last one shorter (a tail).
fn fixed_chunks(q: usize, length: usize) -> Vec<(usize, usize)> {
    (0..q).step_by(length).map(|start| (start, (start + length).min(q))).collect()
}

/// Splits of `0..q` a pool could make: one chunk; chunks of 1, 2, 3 and 4 rows (tails of 1,
/// 2 and 3); one large chunk then a tail of 1, 2 or 3; cuts one or two rows either side of
/// the first [`QUERY_BLOCK`] boundary; two random splits.
fn query_splits(rng: &mut TestRng, q: usize) -> Vec<Vec<(usize, usize)>> {
    let mut splits = vec![vec![(0, q)]];
    for length in 1..=4 {
        splits.push(fixed_chunks(q, length));
    }
    for tail in 1..=3 {
        if q > tail {
            splits.push(vec![(0, q - tail), (q - tail, q)]);
        }
    }
    for cut in [QUERY_BLOCK - 2, QUERY_BLOCK - 1, QUERY_BLOCK + 1, QUERY_BLOCK + 2] {
        if cut < q {
            splits.push(vec![(0, cut), (cut, q)]);
        }
    }
    if q > 1 {
        splits.push(vec![(0, 1), (1, q)]);
    }
    for count in [2, 5] {
        if count <= q {
            splits.push(slice_bounds(rng, q, count, 1));
        }
    }
    splits
}

/// The guarantee the worker pool relies on: a query row's list depends only on that row,
/// the corpus, eps, the path and its skipped row. For each Q, every split of
/// [`query_splits`], each chunk on the path of the whole call and with its start added to
/// the self offset, gives the whole call's indices and score bits, on either path. Corpus
/// of 300 rows (two tiles) with exact ties, zero rows and a NaN row; the queries (global
/// rows 5..) hold a zero row, repeated rows and, from Q = 9, the NaN row. Returns the
/// splits checked and the (Q, exclusion) cases whose two paths differ in some score bit.
/// Many queries: with exclusion only (the pool's self-search), and the streaming path,
/// whose sums for a query do not depend on the block it shares, on three of the splits.
fn check_query_chunks(seed: u64, query_counts: &[usize]) -> (usize, usize) {
    check_query_chunks_at(seed, 3, query_counts)
}

fn check_query_chunks_at(seed: u64, d: usize, query_counts: &[usize]) -> (usize, usize) {
    let mut rng = TestRng::new(seed);
    let (n, k, first_query) = (300, 5, 5);
    let rows = tricky_rows(&mut rng, 600, d);
    let corpus = &rows[..n * d];
    let (mut splits_checked, mut paths_differ) = (0, 0);
    for &q in query_counts {
        let many = q > 2 * STREAMING_MAX_QUERIES;
        let queries = &rows[first_query * d..(first_query + q) * d];
        let shape = TopKShape { queries: q, corpus_rows: n, depth: d, k };
        let splits = query_splits(&mut rng, q);
        let exclusions: &[Option<i32>] = if many { &[Some(first_query as i32)] } else { &[None, Some(first_query as i32)] };
        for &exclude_self in exclusions {
            let packed = run_on_path(queries, corpus, shape, exclude_self, TopKPath::Packed);
            let streamed = run_on_path(queries, corpus, shape, exclude_self, TopKPath::Streaming);
            let auto = run_on_path(queries, corpus, shape, exclude_self, TopKPath::Auto);
            let resolved = TopKPath::Auto.resolve(q);
            assert_same_bits(&auto, if resolved == TopKPath::Packed { &packed } else { &streamed }, &std::format!("Q {q}: auto is {resolved:?}"));
            paths_differ += usize::from(packed.1.iter().zip(&streamed.1).any(|(left, right)| left.to_bits() != right.to_bits()));
            for (path, whole) in [(TopKPath::Packed, &packed), (TopKPath::Streaming, &streamed)] {
                let streamed_subset = [1, 5, splits.len() - 1];
                for (split_index, bounds) in splits.iter().enumerate() {
                    if many && path == TopKPath::Streaming && !streamed_subset.contains(&split_index) {
                        continue;
                    }
                    let context = std::format!("Q {q} exclude {exclude_self:?} {path:?} chunks {bounds:?}");
                    assert_same_bits(&chunked(queries, corpus, shape, exclude_self, path, bounds), whole, &context);
                    splits_checked += 1;
                }
            }
        }
    }
    (splits_checked, paths_differ)
}

/// Depths with whole groups of partial sums, leftover quads and a scalar tail (17, 19, 70).
#[test]
fn query_chunks_equal_the_whole_call_at_longer_depths() {
    for (seed, d) in [(81, 17), (82, 19), (83, 70)] {
        let (splits, _) = check_query_chunks_at(seed, d, &[1, 2, 3, 4, 5, 9]);
        assert!(splits >= 150, "d {d}: {splits} splits");
    }
}

#[test]
fn query_chunks_on_the_whole_calls_path_equal_the_whole_call_around_tile_rows() {
    let (splits, paths_differ) = check_query_chunks(76, &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert!(splits >= 300, "{splits} splits");
    // The paths do round differently, so a chunk on the other path would not match.
    assert!(paths_differ >= 12, "packed and streaming scores differ in only {paths_differ} of 18 cases");
}

#[test]
fn query_chunks_on_the_whole_calls_path_equal_the_whole_call_across_corpus_tiles() {
    let (splits, paths_differ) = check_query_chunks(77, &[257, 258, 259]);
    assert!(splits >= 40 && paths_differ == 3, "{splits} splits, paths differ in {paths_differ}");
}

#[test]
fn query_chunks_on_the_whole_calls_path_equal_the_whole_call_across_query_blocks() {
    let (splits, paths_differ) = check_query_chunks(78, &[511, 512, 513, 514]);
    assert!(splits >= 60 && paths_differ == 4, "{splits} splits, paths differ in {paths_differ}");
}

/// A chunk of 1–3 queries on the Auto path streams, while the whole call packs: the scores
/// differ in some bits, which is why chunks must take the whole call's path.
#[test]
fn a_tail_on_its_own_auto_path_differs_from_the_whole_packed_call() {
    let mut rng = TestRng::new(79);
    let (n, d, k) = (300, 24, 8);
    let rows = rng.vector(n * d);
    let whole = run_on_path(&rows[..9 * d], &rows, TopKShape { queries: 9, corpus_rows: n, depth: d, k }, None, TopKPath::Auto);
    let tail = run_on_path(&rows[6 * d..9 * d], &rows, TopKShape { queries: 3, corpus_rows: n, depth: d, k }, None, TopKPath::Auto);
    let bits = |scores: &[f32]| scores.iter().map(|score| score.to_bits()).collect::<Vec<u32>>();
    assert_ne!(bits(&tail.1), bits(&whole.1[6 * k..]), "a streamed tail should round differently");
    let forced = run_on_path(&rows[6 * d..9 * d], &rows, TopKShape { queries: 3, corpus_rows: n, depth: d, k }, None, TopKPath::Packed);
    assert_same_bits(&forced, &(whole.0[6 * k..].to_vec(), whole.1[6 * k..].to_vec()), "the tail on the packed path");
}

#[test]
fn path_codes_and_resolution() {
    assert_eq!(TopKPath::from_code(0), Ok(TopKPath::Auto));
    assert_eq!(TopKPath::from_code(1), Ok(TopKPath::Packed));
    assert_eq!(TopKPath::from_code(2), Ok(TopKPath::Streaming));
    assert_eq!(TopKPath::from_code(3), Err(KernelError::InvalidArgument));
    assert_eq!(TopKPath::from_code(u32::MAX), Err(KernelError::InvalidArgument));
    for q in 0..=STREAMING_MAX_QUERIES {
        assert_eq!(TopKPath::Auto.resolve(q), TopKPath::Streaming);
    }
    for q in [STREAMING_MAX_QUERIES + 1, STREAMING_MAX_QUERIES + 2, QUERY_BLOCK, usize::MAX] {
        assert_eq!(TopKPath::Auto.resolve(q), TopKPath::Packed);
    }
    for path in [TopKPath::Packed, TopKPath::Streaming] {
        assert_eq!(path.resolve(1), path);
        assert_eq!(path.resolve(1000), path);
    }
    // The scratch for one query holds a whole query panel, so the forced packed path runs
    // in exactly topk_scratch_len floats (run_on_path gives it no more).
    assert_eq!(topk_scratch_len(1, 3), Some(4 * 3 + CORPUS_TILE * 3 + CORPUS_TILE));
    let rows = TestRng::new(80).vector(30 * 3);
    for q in 1..TILE_ROWS {
        run_on_path(&rows[..q * 3], &rows, TopKShape { queries: q, corpus_rows: 30, depth: 3, k: 4 }, Some(0), TopKPath::Packed);
    }
}

/// Depth 0: every row is empty, every score 0 on the packed path (nothing to pack).
#[test]
fn depth_zero_is_not_a_panic() {
    let shape = TopKShape { queries: 5, corpus_rows: 3, depth: 0, k: 2 };
    let (indices, scores) = run_on_path(&[], &[], shape, None, TopKPath::Packed);
    assert_eq!(indices, [0, 1].repeat(5));
    assert!(scores.iter().all(|&score| score == 0.0));
}

/// The streaming path offers rows from several parts of the corpus in turn, not in index
/// order: equal scores must still list the lower index first, and the skipped row stay
/// absent, for corpus sizes around the part boundaries.
#[test]
fn streaming_ties_across_corpus_parts_keep_the_lower_index() {
    let mut rng = TestRng::new(77);
    let depth = 12;
    for corpus_rows in [1, 2, 3, 4, 5, 7, 8, 9, 13, 40, 41] {
        let mut corpus = rng.vector(corpus_rows * depth);
        // The last row duplicates row 0, the middle row duplicates row 1 (across parts).
        let copy = |corpus: &mut Vec<f32>, from: usize, to: usize| {
            let row: Vec<f32> = corpus[from * depth..(from + 1) * depth].to_vec();
            corpus[to * depth..(to + 1) * depth].copy_from_slice(&row);
        };
        if corpus_rows > 2 {
            copy(&mut corpus, 0, corpus_rows - 1);
            copy(&mut corpus, 1, corpus_rows / 2);
        }
        // Row 1 (when there is one) is the query: its duplicate in a later part is offered
        // before it, with the same score.
        let query_row = corpus_rows.min(2) - 1;
        let query = corpus[query_row * depth..(query_row + 1) * depth].to_vec();
        for k in [1, 2, corpus_rows.min(4)] {
            for exclude_self in [None, Some(0)] {
                if k > corpus_rows || (exclude_self.is_some() && k >= corpus_rows) {
                    continue;
                }
                let shape = TopKShape { queries: 1, corpus_rows, depth, k };
                let (indices, scores) = run_on_path(&query, &corpus, shape, exclude_self, TopKPath::Streaming);
                let all: Vec<f32> = (0..corpus_rows)
                    .map(|row| run_on_path(&query, &corpus[row * depth..(row + 1) * depth], TopKShape { queries: 1, corpus_rows: 1, depth, k: 1 }, None, TopKPath::Streaming).1[0])
                    .collect();
                let mut expected: Vec<usize> = (0..corpus_rows).filter(|&row| exclude_self != Some(row as i32)).collect();
                expected.sort_by(|&left, &right| all[right].partial_cmp(&all[left]).unwrap().then(left.cmp(&right)));
                expected.truncate(k);
                assert_eq!(indices.iter().map(|&index| index as usize).collect::<Vec<_>>(), expected, "N {corpus_rows} k {k} {exclude_self:?}");
                for (slot, &row) in expected.iter().enumerate() {
                    assert_eq!(scores[slot].to_bits(), all[row].to_bits());
                }
            }
        }
    }
}
