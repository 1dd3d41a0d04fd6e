//! Tests of the quantised top-k against a naive search (every score computed by the naive
//! references of the score tests, sorted by the top-k order), and the invariances a worker
//! pool relies on: query chunks and corpus slices merged give the whole call's bits.

use super::super::score::tests::{naive_binary_score, naive_code_score, naive_cosine_f64, naive_half, random_half};
use super::*;
use crate::topk::topk_merge_f32;
use crate::test_support::{TestRng, assert_close};
use std::vec;
use std::vec::Vec;

/// The naive top-k of one query from all its scores: sort by (NaN first, score desc, index asc).
fn naive_list(all_scores: &[f32], skip: Option<usize>, k: usize) -> (Vec<i32>, Vec<f32>) {
    let mut entries: Vec<(f32, usize)> = all_scores.iter().copied().enumerate().filter(|&(index, _)| Some(index) != skip).map(|(index, score)| (score, index)).collect();
    entries.sort_by(|left, right| {
        let key = |(score, _): &(f32, usize)| if score.is_nan() { f64::INFINITY } else { f64::from(*score) };
        key(right).partial_cmp(&key(left)).unwrap().then(left.1.cmp(&right.1))
    });
    entries.truncate(k);
    (entries.iter().map(|entry| entry.1 as i32).collect(), entries.iter().map(|entry| entry.0).collect())
}

struct Search {
    indices: Vec<i32>,
    scores: Vec<f32>,
}

/// The search without cached norms, then with them (from [`code_row_norms`]): the two must
/// give the same bits (returned: the first).
fn search_codes(dtype: StorageDtype, queries: &[u8], corpus: &[u8], shape: TopKShape, exclude_self: Option<i32>) -> Result<Search, KernelError> {
    let mut scratch = vec![0u8; topk_quantized_scratch_len(dtype, shape.queries, shape.depth).unwrap() + 1];
    let mut indices = vec![0i32; shape.queries * shape.k];
    let mut scores = vec![0f32; shape.queries * shape.k];
    topk_quantized_codes(dtype, queries, corpus, shape, exclude_self, None, &mut scratch[1..], &mut indices, &mut scores)?;
    let found = Search { indices, scores };
    if has_row_norms(dtype, shape.depth) && corpus.len() == shape.corpus_rows * shape.depth {
        let (mut squared, mut inverse) = (vec![0i32; shape.corpus_rows], vec![0f32; shape.corpus_rows]);
        code_row_norms(dtype, corpus, shape.depth, &mut squared, &mut inverse).unwrap();
        let mut cached = Search { indices: vec![0; shape.queries * shape.k], scores: vec![0.0; shape.queries * shape.k] };
        let norms = CodeRowNorms { squared: &squared, inverse: &inverse };
        topk_quantized_codes(dtype, queries, corpus, shape, exclude_self, Some(norms), &mut scratch[1..], &mut cached.indices, &mut cached.scores)?;
        assert_same_bits(&found, &cached, "cached norms");
    }
    Ok(found)
}

/// As [`search_codes`], for float16.
fn search_half(queries: &[f32], corpus: &[u16], shape: TopKShape, exclude_self: Option<i32>) -> Search {
    let mut scratch = vec![0u8; topk_quantized_scratch_len(StorageDtype::Float16, shape.queries, shape.depth).unwrap() + 1];
    let mut indices = vec![0i32; shape.queries * shape.k];
    let mut scores = vec![0f32; shape.queries * shape.k];
    topk_quantized_float16(queries, corpus, shape, 1e-8, exclude_self, None, &mut scratch[1..], &mut indices, &mut scores).unwrap();
    let found = Search { indices, scores };
    let mut norms = vec![0f64; shape.corpus_rows];
    half_row_norms(corpus, shape.depth, &mut norms).unwrap();
    let mut cached = Search { indices: vec![0; shape.queries * shape.k], scores: vec![0.0; shape.queries * shape.k] };
    topk_quantized_float16(queries, corpus, shape, 1e-8, exclude_self, Some(&norms), &mut scratch[1..], &mut cached.indices, &mut cached.scores).unwrap();
    assert_same_bits(&found, &cached, "cached norms");
    found
}

fn assert_same_bits(left: &Search, right: &Search, context: &str) {
    assert_eq!(left.indices, right.indices, "{context}");
    let bits = |scores: &[f32]| scores.iter().map(|score| score.to_bits()).collect::<Vec<u32>>();
    assert_eq!(bits(&left.scores), bits(&right.scores), "{context}");
}

/// Random codes with duplicated rows (ties) and a zero vector among them.
fn code_rows(rng: &mut TestRng, rows: usize, row_bytes: usize, zero: u8) -> Vec<u8> {
    let mut data: Vec<u8> = (0..rows * row_bytes).map(|_| rng.next_u64() as u8).collect();
    for row in (3..rows).step_by(5) {
        let source = row / 2;
        data.copy_within(source * row_bytes..(source + 1) * row_bytes, row * row_bytes);
    }
    if rows > 2 {
        data[2 * row_bytes..3 * row_bytes].fill(zero);
    }
    data
}

#[test]
fn codes_topk_is_the_naive_search() {
    let mut rng = TestRng::new(21);
    for dtype in [StorageDtype::Int8, StorageDtype::Uint8, StorageDtype::Binary, StorageDtype::Ubinary] {
        let depths: &[usize] = if dtype.is_binary() { &[0, 8, 40, 128, 384, 136] } else { &[0, 1, 15, 16, 33, 70, 384] };
        for &depth in depths {
            let row_bytes = dtype.row_elements(depth).unwrap();
            for (query_rows, corpus_rows, k) in [(1, 1, 1), (1, 9, 9), (3, 300, 7), (6, 1100, 5), (9, 40, 40), (13, 150, 6), (2, 5, 0)] {
                let zero = if dtype == StorageDtype::Uint8 { 128 } else { 0 };
                let corpus = code_rows(&mut rng, corpus_rows, row_bytes, zero);
                let mut queries = code_rows(&mut rng, query_rows, row_bytes, zero);
                // Make a query equal to a corpus row, so its best score is an exact 1.
                if corpus_rows > 4 {
                    queries[..row_bytes].copy_from_slice(&corpus[4 * row_bytes..5 * row_bytes]);
                }
                let shape = TopKShape { queries: query_rows, corpus_rows, depth, k };
                let found = search_codes(dtype, &queries, &corpus, shape, None).unwrap();
                for query in 0..query_rows {
                    let query_row = &queries[query * row_bytes..(query + 1) * row_bytes];
                    let all: Vec<f32> = (0..corpus_rows)
                        .map(|row| {
                            let corpus_row = &corpus[row * row_bytes..(row + 1) * row_bytes];
                            if dtype.is_binary() { naive_binary_score(query_row, corpus_row) } else { naive_code_score(query_row, corpus_row, dtype == StorageDtype::Uint8) }
                        })
                        .collect();
                    let (indices, scores) = naive_list(&all, None, k);
                    assert_eq!(found.indices[query * k..(query + 1) * k], indices[..], "{dtype:?} D {depth} Q {query_rows} N {corpus_rows}");
                    assert_eq!(found.scores[query * k..(query + 1) * k], scores[..]);
                }
            }
        }
    }
}

#[test]
fn uint8_extremes_and_int8_minus_128_squared() {
    // uint8 0 and 255 are −128 and +127; int8 −128·−128 = 16384 per element.
    let depth = 48;
    for (dtype, low, high) in [(StorageDtype::Uint8, 0u8, 255u8), (StorageDtype::Int8, 0x80, 0x7F)] {
        let mut corpus = vec![low; 4 * depth];
        corpus[depth..2 * depth].fill(high);
        corpus[2 * depth..3 * depth].iter_mut().enumerate().for_each(|(index, byte)| *byte = if index % 2 == 0 { low } else { high });
        let queries = vec![low; depth];
        let found = search_codes(dtype, &queries, &corpus, TopKShape { queries: 1, corpus_rows: 4, depth, k: 4 }, None).unwrap();
        // Rows 0 and 3 are the query itself (score 1, tie → lower index first).
        assert_eq!(found.indices, [0, 3, 2, 1]);
        assert_eq!(found.scores[0], 1.0);
        assert_eq!(found.scores[1], 1.0);
        let alternating = naive_code_score(&queries, &corpus[2 * depth..3 * depth], dtype == StorageDtype::Uint8);
        assert_eq!(found.scores[2].to_bits(), alternating.to_bits());
        assert_eq!(found.scores[3].to_bits(), naive_code_score(&queries, &corpus[depth..2 * depth], dtype == StorageDtype::Uint8).to_bits());
    }
}

#[test]
fn topk_scores_equal_the_pairwise_entries() {
    let mut rng = TestRng::new(22);
    for dtype in [StorageDtype::Int8, StorageDtype::Uint8, StorageDtype::Binary, StorageDtype::Ubinary] {
        let depth = 72;
        let row_bytes = dtype.row_elements(depth).unwrap();
        let (query_rows, corpus_rows, k) = (7, 50, 50);
        let queries = code_rows(&mut rng, query_rows, row_bytes, 0);
        let corpus = code_rows(&mut rng, corpus_rows, row_bytes, 0);
        let found = search_codes(dtype, &queries, &corpus, TopKShape { queries: query_rows, corpus_rows, depth, k }, None).unwrap();
        let shape = super::super::score::QuantizedPairwiseShape { a_rows: query_rows, b_rows: corpus_rows, depth };
        let mut matrix = vec![0.0f32; query_rows * corpus_rows];
        let mut scratch = vec![0u8; super::super::score::pairwise_quantized_scratch_len(dtype, query_rows, corpus_rows, depth).unwrap()];
        super::super::score::pairwise_quantized_codes_f32(dtype, &queries, &corpus, shape, 1.0, &mut matrix, &mut scratch).unwrap();
        for query in 0..query_rows {
            for slot in 0..k {
                let row = found.indices[query * k + slot] as usize;
                assert_eq!(found.scores[query * k + slot].to_bits(), matrix[query * corpus_rows + row].to_bits());
            }
        }
    }
}

#[test]
fn exclude_self_skips_the_offset_row_and_bounds_k() {
    let mut rng = TestRng::new(23);
    for dtype in [StorageDtype::Int8, StorageDtype::Binary] {
        let depth = 64;
        let row_bytes = dtype.row_elements(depth).unwrap();
        let corpus_rows = 30;
        let corpus = code_rows(&mut rng, corpus_rows, row_bytes, 0);
        for offset in [0i32, 7, -3, 40, -40] {
            for query_rows in [1, 5, 9] {
                let first = (offset.max(0) as usize).min(corpus_rows);
                let _ = first;
                let queries = code_rows(&mut rng, query_rows, row_bytes, 0);
                let k = corpus_rows - 1;
                let found = search_codes(dtype, &queries, &corpus, TopKShape { queries: query_rows, corpus_rows, depth, k }, Some(offset)).unwrap();
                for query in 0..query_rows {
                    let skip = query.checked_add_signed(offset as isize).filter(|&row| row < corpus_rows);
                    let query_row = &queries[query * row_bytes..(query + 1) * row_bytes];
                    let all: Vec<f32> = (0..corpus_rows)
                        .map(|row| {
                            let corpus_row = &corpus[row * row_bytes..(row + 1) * row_bytes];
                            if dtype.is_binary() { naive_binary_score(query_row, corpus_row) } else { naive_code_score(query_row, corpus_row, false) }
                        })
                        .collect();
                    let (indices, _) = naive_list(&all, skip, k);
                    assert_eq!(found.indices[query * k..(query + 1) * k], indices[..], "offset {offset} query {query}");
                }
            }
        }
        let queries = vec![0u8; row_bytes];
        let shape = |k| TopKShape { queries: 1, corpus_rows, depth, k };
        assert_eq!(search_codes(dtype, &queries, &corpus, shape(corpus_rows), Some(0)).err(), Some(KernelError::InvalidArgument));
        assert_eq!(search_codes(dtype, &queries, &corpus, shape(corpus_rows + 1), None).err(), Some(KernelError::InvalidArgument));
        assert!(search_codes(dtype, &queries, &corpus, shape(corpus_rows), None).is_ok());
    }
}

#[test]
fn codes_topk_errors() {
    let corpus = [0u8; 64];
    let queries = [0u8; 16];
    let shape = TopKShape { queries: 1, corpus_rows: 4, depth: 16, k: 2 };
    let mut scratch = vec![0u8; 1024];
    let (mut indices, mut scores) = ([0i32; 2], [0f32; 2]);
    let mut call = |dtype, queries: &[u8], corpus: &[u8], shape, scratch: &mut [u8], indices: &mut [i32]| topk_quantized_codes(dtype, queries, corpus, shape, None, None, scratch, indices, &mut scores);
    assert_eq!(call(StorageDtype::Int8, &queries[..15], &corpus, shape, &mut scratch, &mut indices), Err(KernelError::OutOfBounds));
    assert_eq!(call(StorageDtype::Int8, &queries, &corpus[..63], shape, &mut scratch, &mut indices), Err(KernelError::OutOfBounds));
    assert_eq!(call(StorageDtype::Int8, &queries, &corpus, shape, &mut scratch, &mut indices[..1]), Err(KernelError::OutputLength));
    assert_eq!(call(StorageDtype::Int8, &queries, &corpus, shape, &mut scratch[..31], &mut indices), Err(KernelError::InvalidArgument));
    assert_eq!(call(StorageDtype::Float16, &queries, &corpus, shape, &mut scratch, &mut indices), Err(KernelError::InvalidArgument));
    let bits = TopKShape { queries: 1, corpus_rows: 4, depth: 12, k: 2 };
    assert_eq!(call(StorageDtype::Binary, &queries[..2], &corpus[..8], bits, &mut scratch, &mut indices), Err(KernelError::InvalidArgument));
    assert_eq!(indices, [0, 0]);
    assert_eq!(topk_quantized_scratch_len(StorageDtype::Binary, 9, 12), None);
    // Binary: the block's queries, their words interleaved per group (2 bytes per row here).
    assert_eq!(topk_quantized_scratch_len(StorageDtype::Binary, 9, 16), Some(18));
}

#[test]
fn half_topk_matches_float64_and_puts_nan_rows_first() {
    let mut rng = TestRng::new(24);
    for depth in [0, 1, 8, 13, 64, 70] {
        for (query_rows, corpus_rows, k) in [(1, 3, 3), (1, 301, 6), (5, 40, 8), (6, 260, 4)] {
            let mut corpus: Vec<u16> = (0..corpus_rows * depth).map(|_| random_half(&mut rng)).collect();
            if depth > 0 {
                corpus[depth * 2 + depth / 2] = 0x7C00; // +∞ in row 2
                corpus[depth * (corpus_rows - 1)] = 0xFE01; // NaN in the last row
            }
            let mut queries = rng.vector(query_rows * depth);
            if depth > 0 && query_rows > 1 {
                // Extreme norms (scaled inside) and an exact copy of a corpus row.
                queries[depth..2 * depth].iter_mut().for_each(|value| *value *= 1e25);
                for (slot, &half) in queries[..depth].iter_mut().zip(&corpus[depth..2 * depth]) {
                    *slot = naive_half(half) as f32;
                }
            }
            if depth > 0 && query_rows > 4 {
                queries[4 * depth..5 * depth].iter_mut().for_each(|value| *value *= 1e-30);
            }
            let shape = TopKShape { queries: query_rows, corpus_rows, depth, k };
            let found = search_half(&queries, &corpus, shape, None);
            for query in 0..query_rows {
                let query_wide: Vec<f64> = queries[query * depth..(query + 1) * depth].iter().map(|&value| f64::from(value)).collect();
                let all: Vec<f64> = (0..corpus_rows)
                    .map(|row| {
                        let wide: Vec<f64> = corpus[row * depth..(row + 1) * depth].iter().map(|&half| naive_half(half)).collect();
                        if wide.iter().any(|value| !value.is_finite()) { f64::NAN } else { naive_cosine_f64(&query_wide, &wide, 1e-8) }
                    })
                    .collect();
                for slot in 0..k {
                    let row = found.indices[query * k + slot] as usize;
                    assert_close(f64::from(found.scores[query * k + slot]), all[row], 1e-5, "float16 score");
                }
                // Sorted, NaN first; and the k-th score is at least every excluded row's (1e-5).
                let list = &found.scores[query * k..(query + 1) * k];
                let nan_count = all.iter().filter(|value| value.is_nan()).count();
                assert!(list[..nan_count.min(k)].iter().all(|score| score.is_nan()), "depth {depth}");
                if k > 0 && nan_count < k {
                    let last = f64::from(list[k - 1]);
                    let kept: Vec<i32> = found.indices[query * k..(query + 1) * k].to_vec();
                    for (row, &value) in all.iter().enumerate() {
                        if !kept.contains(&(row as i32)) && !value.is_nan() {
                            assert!(value <= last + 1e-5, "row {row} {value} above last {last}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn half_nan_query_scores_nan() {
    let corpus = vec![0x3C00u16; 3 * 16];
    let mut queries = vec![1.0f32; 16];
    queries[3] = f32::NAN;
    let found = search_half(&queries, &corpus, TopKShape { queries: 1, corpus_rows: 3, depth: 16, k: 3 }, None);
    assert!(found.scores.iter().all(|score| score.is_nan()));
    assert_eq!(found.indices, [0, 1, 2]);
}

/// Query chunks and corpus slices (merged) reproduce the whole search bit for bit.
#[test]
fn query_chunks_and_merged_corpus_slices_give_the_whole_call() {
    let mut rng = TestRng::new(25);
    let kinds = [StorageDtype::Int8, StorageDtype::Uint8, StorageDtype::Binary, StorageDtype::Float16];
    for dtype in kinds {
        let depth = 96;
        let (query_rows, corpus_rows, k) = (11, 700, 6);
        let row_elements = dtype.row_elements(depth).unwrap();
        let code_corpus = code_rows(&mut rng, corpus_rows, row_elements, 0);
        let code_queries = code_rows(&mut rng, query_rows, row_elements, 0);
        let half_corpus: Vec<u16> = (0..corpus_rows * depth).map(|_| random_half(&mut rng)).collect();
        let half_queries = rng.vector(query_rows * depth);
        let run = |query_start: usize, query_count: usize, corpus_start: usize, corpus_count: usize, k: usize, exclude: Option<i32>| {
            let shape = TopKShape { queries: query_count, corpus_rows: corpus_count, depth, k };
            if dtype == StorageDtype::Float16 {
                search_half(
                    &half_queries[query_start * depth..(query_start + query_count) * depth],
                    &half_corpus[corpus_start * depth..(corpus_start + corpus_count) * depth],
                    shape,
                    exclude,
                )
            } else {
                search_codes(
                    dtype,
                    &code_queries[query_start * row_elements..(query_start + query_count) * row_elements],
                    &code_corpus[corpus_start * row_elements..(corpus_start + corpus_count) * row_elements],
                    shape,
                    exclude,
                )
                .unwrap()
            }
        };
        for exclude in [None, Some(0)] {
            let whole = run(0, query_rows, 0, corpus_rows, k, exclude);
            // Query chunks of 1, 4 and 6 rows (one-query kernel, one group, a group plus 2).
            let mut chunked = Search { indices: vec![], scores: vec![] };
            for (start, count) in [(0, 1), (1, 4), (5, 6)] {
                let part = run(start, count, 0, corpus_rows, k, exclude.map(|offset| offset + start as i32));
                chunked.indices.extend(part.indices);
                chunked.scores.extend(part.scores);
            }
            assert_same_bits(&whole, &chunked, "query chunks");
            // Corpus slices searched for k + 1 without exclusion, merged with exclusion.
            let slices = [(0, 257), (257, 300), (557, 143)];
            let mut list_indices = vec![];
            let mut list_scores = vec![];
            for &(start, count) in &slices {
                let part = run(0, query_rows, start, count, k + 1, None);
                list_indices.extend(part.indices);
                list_scores.extend(part.scores);
            }
            let offsets: Vec<i32> = slices.iter().map(|&(start, _)| start as i32).collect();
            let mut merged = Search { indices: vec![0; query_rows * k], scores: vec![0.0; query_rows * k] };
            topk_merge_f32(&list_indices, &list_scores, slices.len(), query_rows, k + 1, &offsets, k, exclude.is_some(), &mut merged.indices, &mut merged.scores).unwrap();
            assert_same_bits(&whole, &merged, "merged slices");
        }
    }
}

#[test]
fn hamming_limit_is_the_first_distance_not_above_the_floor() {
    for depth in [0usize, 8, 24, 384, 1000] {
        for floor in [-2.0f32, -1.0, -0.5, 0.0, 0.123, 1.0, 1.5] {
            let limit = hamming_limit(floor, depth) as usize;
            for hamming in 0..=depth {
                let above = score_binary_from_hamming(hamming as u64, depth) > floor;
                assert_eq!(above, hamming < limit, "depth {depth} floor {floor} hamming {hamming}");
            }
        }
    }
}

#[test]
fn codes_beyond_the_lane_depth() {
    let depth = CODES_LANE_MAX_DEPTH + 1;
    let mut rng = TestRng::new(26);
    let corpus: Vec<u8> = (0..3 * depth).map(|_| rng.next_u64() as u8).collect();
    let queries = corpus[depth..2 * depth].to_vec();
    let found = search_codes(StorageDtype::Int8, &queries, &corpus, TopKShape { queries: 1, corpus_rows: 3, depth, k: 3 }, None).unwrap();
    assert_eq!(found.indices[0], 1);
    let all: Vec<f32> = (0..3).map(|row| naive_code_score(&queries, &corpus[row * depth..(row + 1) * depth], false)).collect();
    assert_eq!(found.scores, naive_list(&all, None, 3).1);
}

/// A cached norm that does not match its row is caught when the row is reported: one
/// changed norm (int8 squared, int8 inverse, float16) and one changed row after caching.
#[test]
fn stale_cached_norms_are_reported() {
    let mut rng = TestRng::new(29);
    let (depth, corpus_rows) = (40, 30);
    let shape = TopKShape { queries: 1, corpus_rows, depth, k: 3 };
    let mut corpus = code_rows(&mut rng, corpus_rows, depth, 0);
    let queries = corpus[7 * depth..8 * depth].to_vec();
    let (mut squared, mut inverse) = (vec![0i32; corpus_rows], vec![0f32; corpus_rows]);
    code_row_norms(StorageDtype::Int8, &corpus, depth, &mut squared, &mut inverse).unwrap();
    let mut scratch = vec![0u8; topk_quantized_scratch_len(StorageDtype::Int8, 1, depth).unwrap()];
    let (mut indices, mut scores) = (vec![0i32; 3], vec![0f32; 3]);
    let mut run = |corpus: &[u8], squared: &[i32], inverse: &[f32]| {
        topk_quantized_codes(StorageDtype::Int8, &queries, corpus, shape, None, Some(CodeRowNorms { squared, inverse }), &mut scratch, &mut indices, &mut scores).map(|()| indices[0])
    };
    assert_eq!(run(&corpus, &squared, &inverse), Ok(7));
    let mut changed = squared.clone();
    changed[7] += 1;
    assert_eq!(run(&corpus, &changed, &inverse), Err(KernelError::StaleNorms));
    let mut changed = inverse.clone();
    changed[7] = f32::from_bits(changed[7].to_bits() + 1);
    assert_eq!(run(&corpus, &squared, &changed), Err(KernelError::StaleNorms));
    corpus[7 * depth] ^= 1;
    assert_eq!(run(&corpus, &squared, &inverse), Err(KernelError::StaleNorms));

    let halves: Vec<u16> = (0..corpus_rows * depth).map(|_| random_half(&mut rng)).collect();
    let query: Vec<f32> = halves[7 * depth..8 * depth].iter().map(|&half| naive_half(half) as f32).collect();
    let mut norms = vec![0f64; corpus_rows];
    half_row_norms(&halves, depth, &mut norms).unwrap();
    let mut scratch = vec![0u8; topk_quantized_scratch_len(StorageDtype::Float16, 1, depth).unwrap()];
    let mut half_run = |norms: &[f64]| topk_quantized_float16(&query, &halves, shape, 1e-8, None, Some(norms), &mut scratch, &mut indices, &mut scores).map(|()| indices[0]);
    assert_eq!(half_run(&norms), Ok(7));
    norms[7] *= 1.0 + f64::EPSILON;
    assert_eq!(half_run(&norms), Err(KernelError::StaleNorms));
}

/// With cached norms one query streams several parts of the corpus side by side, so a row's
/// duplicate in a later part is scored before it: the lower index must still come first
/// (and `search_codes` / `search_half` check the whole lists against the uncached search,
/// which offers rows in index order).
#[test]
fn cached_streams_keep_equal_scores_in_index_order() {
    let mut rng = TestRng::new(30);
    let depth = 24;
    for corpus_rows in [2, 3, 5, 8, 9, 40, 41] {
        let mut corpus = code_rows(&mut rng, corpus_rows, depth, 0);
        corpus.copy_within(depth..2 * depth, (corpus_rows - 1) * depth);
        let query = corpus[depth..2 * depth].to_vec();
        for k in [1, 2] {
            let found = search_codes(StorageDtype::Int8, &query, &corpus, TopKShape { queries: 1, corpus_rows, depth, k }, None).unwrap();
            assert_eq!(found.indices[0], 1, "int8 N {corpus_rows}");
        }
        let mut halves: Vec<u16> = (0..corpus_rows * depth).map(|_| random_half(&mut rng)).collect();
        halves.copy_within(depth..2 * depth, (corpus_rows - 1) * depth);
        let half_query: Vec<f32> = halves[depth..2 * depth].iter().map(|&half| naive_half(half) as f32).collect();
        for k in [1, 2] {
            let found = search_half(&half_query, &halves, TopKShape { queries: 1, corpus_rows, depth, k }, None);
            assert_eq!(found.indices[0], 1, "float16 N {corpus_rows}");
        }
    }
}
