//! The few-queries path of top-k: blocks of up to [`STREAMING_BLOCK`] queries, one pass over
//! the corpus per block. Each corpus row is read once per pass; its squared norm and its
//! dot products with every query of the block come out of one loop over its quads. The pass
//! walks [`STREAMS`] parts of the corpus side by side (row `i` of each part in turn), so the
//! memory system has several sequential streams to fetch; the lists do not depend on the
//! order rows are offered in (equal scores are ordered by index in `offer`).
//!
//! # Numerics
//! Every sum has the same shape, whatever the block: quad `j` of a row goes into partial sum
//! `j mod` [`PARTIAL_SUMS`] (an `F32x4`, by `mul_add`: fused or not, as the lanes decide),
//! the partial sums are added in order and reduced with `reduce_sum`, then the last
//! `depth mod 4` elements are added in scalar float32, in order. A query's dot products
//! therefore do not depend on which queries share its block or where it sits in it, and a
//! row's squared norm (the query's too, from [`squared_norm_f32x4`]) is the same in every
//! pass. See the Numerics of [`super`] for how the score is formed and rescued.

use super::{TopKShape, offer, self_row};
use crate::cosine::TRUSTED_SQUARED_NORM_MIN;
use crate::lanes::F32x4;
use crate::math::{clamp_min_f64, sqrt_f64};

/// Queries scored in one pass over the corpus.
pub const STREAMING_BLOCK: usize = 2;

/// `F32x4` partial sums per quantity (per query's dot, and the row's squared norm).
pub const PARTIAL_SUMS: usize = 4;

/// Parts of the corpus streamed side by side, one row of each in turn. One sequential
/// stream read 8 GB/s at 250 000 × 384 (the memory system idle between misses; wasm has
/// no prefetch instruction); two read 1.2×, four 1.3× that, eight no more (Node 20).
pub const STREAMS: usize = 4;

/// A group of quads: one quad per partial sum.
type QuadGroup = [[f32; 4]; PARTIAL_SUMS];

/// What the block needs of a query, computed once per call.
#[derive(Clone, Copy)]
struct QueryScale {
    /// `1 / max(‖q‖, eps)` in float64 (‖q‖ from float32 sums, or float64 ones when those
    /// cannot be trusted).
    inverse_norm: f64,
    /// Whether float32 dot products with this query can be used: its float32 squared norm
    /// is within [2⁻⁶⁰, `f32::MAX`], or the query is zero (every product ±0 or NaN, exact).
    float32_dots: bool,
}

impl QueryScale {
    fn of<V: F32x4>(query: &[f32], eps: f64) -> QueryScale {
        let squared = squared_norm_f32x4::<V>(query);
        if is_trusted(squared) {
            QueryScale { inverse_norm: 1.0 / clamp_min_f64(sqrt_f64(f64::from(squared)), eps), float32_dots: true }
        } else {
            let wide = squared_norm_f64(query);
            QueryScale { inverse_norm: 1.0 / clamp_min_f64(sqrt_f64(wide), eps), float32_dots: wide == 0.0 }
        }
    }
}

/// Whether a float32 squared norm is within [2⁻⁶⁰, `f32::MAX`] (false for NaN).
#[inline(always)]
fn is_trusted(squared: f32) -> bool {
    (TRUSTED_SQUARED_NORM_MIN..=f32::MAX).contains(&squared)
}

/// The partial sums added in order, then reduced across lanes.
#[inline(always)]
fn combine<V: F32x4>(partials: [V; PARTIAL_SUMS]) -> f32 {
    let mut total = partials[0];
    for partial in &partials[1..] {
        total = total.add(*partial);
    }
    total.reduce_sum()
}

/// `Σ x²` of a vector, with exactly the accumulation of a corpus row's squared norm in
/// [`block_sums_f32x4`].
#[inline]
pub fn squared_norm_f32x4<V: F32x4>(values: &[f32]) -> f32 {
    let (quads, tail) = values.as_chunks::<4>();
    let (groups, leftover) = quads.as_chunks::<PARTIAL_SUMS>();
    let mut partials = [V::zero(); PARTIAL_SUMS];
    for group in groups {
        for (partial, quad) in partials.iter_mut().zip(group) {
            let value = V::load(quad);
            *partial = value.mul_add(value, *partial);
        }
    }
    for (partial, quad) in partials.iter_mut().zip(leftover) {
        let value = V::load(quad);
        *partial = value.mul_add(value, *partial);
    }
    let mut sum = combine(partials);
    for &value in tail {
        sum += value * value;
    }
    sum
}

/// The dot products of one corpus row with `B` queries, and the row's squared norm, in one
/// loop over the row. Every slice is `depth` floats long.
#[inline(always)]
fn block_sums_f32x4<V: F32x4, const B: usize>(queries: &[&[f32]; B], row: &[f32]) -> ([f32; B], f32) {
    let (row_quads, row_tail) = row.as_chunks::<4>();
    let (row_groups, row_leftover) = row_quads.as_chunks::<PARTIAL_SUMS>();
    let query_groups: [&[QuadGroup]; B] = core::array::from_fn(|query| queries[query].as_chunks::<4>().0.as_chunks::<PARTIAL_SUMS>().0);
    // Every slice has the same length; slicing them all to the shortest lets the loop
    // below index without bounds checks.
    let group_count = query_groups.iter().fold(row_groups.len(), |shortest, groups| shortest.min(groups.len()));
    let row_groups = &row_groups[..group_count];
    let query_groups: [&[QuadGroup]; B] = query_groups.map(|groups| &groups[..group_count]);
    let mut dots = [[V::zero(); PARTIAL_SUMS]; B];
    let mut squared = [V::zero(); PARTIAL_SUMS];
    for group_index in 0..group_count {
        let row_group = &row_groups[group_index];
        for partial in 0..PARTIAL_SUMS {
            let corpus = V::load(&row_group[partial]);
            squared[partial] = corpus.mul_add(corpus, squared[partial]);
            for query in 0..B {
                let query_quad = V::load(&query_groups[query][group_index][partial]);
                dots[query][partial] = query_quad.mul_add(corpus, dots[query][partial]);
            }
        }
    }
    let leftover_start = group_count * PARTIAL_SUMS;
    for (partial, row_quad) in row_leftover.iter().enumerate() {
        let corpus = V::load(row_quad);
        squared[partial] = corpus.mul_add(corpus, squared[partial]);
        for query in 0..B {
            let (quads, _) = queries[query].as_chunks::<4>();
            if let Some(query_quad) = quads.get(leftover_start + partial) {
                dots[query][partial] = V::load(query_quad).mul_add(corpus, dots[query][partial]);
            }
        }
    }
    let tail_start = row.len() - row_tail.len();
    let mut row_squared = combine(squared);
    for &value in row_tail {
        row_squared += value * value;
    }
    let sums = core::array::from_fn(|query| {
        let mut dot = combine(dots[query]);
        for (&query_value, &value) in queries[query].get(tail_start..).unwrap_or(&[]).iter().zip(row_tail) {
            dot += query_value * value;
        }
        dot
    });
    (sums, row_squared)
}

/// `Σ x²` in float64.
fn squared_norm_f64(values: &[f32]) -> f64 {
    values.iter().map(|&value| f64::from(value) * f64::from(value)).sum()
}

/// `Σ xᵢ·yᵢ` in float64.
fn dot_f64(first: &[f32], second: &[f32]) -> f64 {
    first.iter().zip(second).map(|(&left, &right)| f64::from(left) * f64::from(right)).sum()
}

/// The streaming path: the queries in blocks of [`STREAMING_BLOCK`] (the last one shorter),
/// one pass over the corpus per block. `indices` and `scores` come in as empty lists.
pub(super) fn topk_streaming<V: F32x4>(
    queries: &[f32],
    corpus: &[f32],
    shape: TopKShape,
    eps: f32,
    exclude_self: Option<i32>,
    indices: &mut [i32],
    scores: &mut [f32],
) {
    let TopKShape { queries: query_rows, depth, k, .. } = shape;
    for block_start in (0..query_rows).step_by(STREAMING_BLOCK) {
        let block_length = STREAMING_BLOCK.min(query_rows - block_start);
        let block = Block {
            queries: &queries[block_start * depth..(block_start + block_length) * depth],
            first_query: block_start,
            corpus,
            shape,
            eps: f64::from(eps),
            exclude_self,
        };
        let block_indices = &mut indices[block_start * k..(block_start + block_length) * k];
        let block_scores = &mut scores[block_start * k..(block_start + block_length) * k];
        if block_length == 1 {
            block.stream::<V, 1>(block_indices, block_scores);
        } else {
            block.stream::<V, STREAMING_BLOCK>(block_indices, block_scores);
        }
    }
}

/// One block of queries and what scoring it needs.
struct Block<'a> {
    /// The block's query rows.
    queries: &'a [f32],
    /// Global (call-local) row of the block's first query, for `exclude_self`.
    first_query: usize,
    corpus: &'a [f32],
    shape: TopKShape,
    eps: f64,
    exclude_self: Option<i32>,
}

impl Block<'_> {
    /// One pass over the corpus for the block's `B` queries (`B` is the block's length).
    #[inline(never)]
    fn stream<V: F32x4, const B: usize>(&self, indices: &mut [i32], scores: &mut [f32]) {
        let TopKShape { corpus_rows, depth, k, .. } = self.shape;
        let rows: [&[f32]; B] = core::array::from_fn(|query| &self.queries[query * depth..(query + 1) * depth]);
        let scales: [QueryScale; B] = core::array::from_fn(|query| QueryScale::of::<V>(rows[query], self.eps));
        let skips: [Option<usize>; B] = core::array::from_fn(|query| self_row(self.first_query + query, self.exclude_self, corpus_rows));
        let last = k - 1;
        let mut score_row = |corpus_index: usize| {
            let row = &self.corpus[corpus_index * depth..(corpus_index + 1) * depth];
            let (dots, row_squared) = block_sums_f32x4::<V, B>(&rows, row);
            let (row_norm, row_float32_dots) = if is_trusted(row_squared) {
                (sqrt_f64(f64::from(row_squared)), true)
            } else {
                let wide = squared_norm_f64(row);
                (sqrt_f64(wide), wide == 0.0)
            };
            let row_norm = clamp_min_f64(row_norm, self.eps);
            for query in 0..B {
                if skips[query] == Some(corpus_index) {
                    continue;
                }
                let dot = if row_float32_dots && scales[query].float32_dots { f64::from(dots[query]) } else { dot_f64(rows[query], row) };
                let score = (dot * scales[query].inverse_norm / row_norm) as f32;
                let list_scores = &mut scores[query * k..(query + 1) * k];
                let list_indices = &mut indices[query * k..(query + 1) * k];
                // A full list takes only a score ranking above its last entry: NaN, a higher
                // score, or an equal one at a lower index (the streams do not come in index
                // order, so `offer` decides equal scores).
                if list_indices[last] < 0 || score >= list_scores[last] || score.is_nan() {
                    offer(list_scores, list_indices, score, corpus_index as i32);
                }
            }
        };
        // STREAMS streams through the corpus, one row of each part in turn: one sequential
        // stream left the memory system idle between misses.
        let part = corpus_rows.div_ceil(STREAMS);
        for offset in 0..part {
            for stream in 0..STREAMS {
                let corpus_index = stream * part + offset;
                if corpus_index < corpus_rows {
                    score_row(corpus_index);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::Native;
    use crate::test_support::TestRng;
    use std::vec::Vec;

    fn dot_reference(first: &[f32], second: &[f32]) -> f64 {
        first.iter().zip(second).map(|(&left, &right)| f64::from(left) * f64::from(right)).sum()
    }

    /// A block's sums are those of each query alone, and the row's squared norm is
    /// `squared_norm_f32x4` of the row, bit for bit; all within float32 rounding of float64.
    #[test]
    fn block_sums_do_not_depend_on_the_block() {
        let mut rng = TestRng::new(91);
        for depth in 0..=70 {
            let first = rng.vector(depth);
            let second = rng.vector(depth);
            let row = rng.vector(depth);
            let (pair, pair_squared) = block_sums_f32x4::<Native, 2>(&[&first, &second], &row);
            let (alone, alone_squared) = block_sums_f32x4::<Native, 1>(&[&second], &row);
            assert_eq!(pair[1].to_bits(), alone[0].to_bits(), "depth {depth}");
            assert_eq!(pair_squared.to_bits(), alone_squared.to_bits(), "depth {depth}");
            assert_eq!(pair_squared.to_bits(), squared_norm_f32x4::<Native>(&row).to_bits(), "depth {depth}");
            let magnitude: f64 = first.iter().zip(&row).map(|(&left, &right)| f64::from(left * right).abs()).sum();
            let bound = magnitude * f64::from(f32::EPSILON) * (depth as f64 / 4.0 + 4.0);
            assert!((f64::from(pair[0]) - dot_reference(&first, &row)).abs() <= bound, "depth {depth}");
            assert!((f64::from(pair_squared) - dot_reference(&row, &row)).abs() <= bound.max(f64::from(pair_squared) * 1e-5), "depth {depth}");
        }
    }

    /// Unaligned starts: the sums read the values, not their addresses.
    #[test]
    fn unaligned_rows_give_the_same_sums() {
        let mut rng = TestRng::new(92);
        let values: Vec<f32> = rng.vector(3 * 64 + 3);
        for offset in 0..4 {
            let query = &values[offset..offset + 61];
            let row = &values[100 + offset..161 + offset];
            let aligned_query: Vec<f32> = query.to_vec();
            let aligned_row: Vec<f32> = row.to_vec();
            let (sums, squared) = block_sums_f32x4::<Native, 1>(&[query], row);
            let (copied, copied_squared) = block_sums_f32x4::<Native, 1>(&[&aligned_query], &aligned_row);
            assert_eq!((sums[0].to_bits(), squared.to_bits()), (copied[0].to_bits(), copied_squared.to_bits()), "offset {offset}");
        }
    }
}
