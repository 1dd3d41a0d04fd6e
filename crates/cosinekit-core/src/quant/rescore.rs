//! Rescoring: the candidates a quantised top-k found, re-ranked by the float32 cosine of the
//! float query with float rows — the original vectors, or the corpus rows decoded.
//!
//! # Numerics
//! - Each candidate's score is [`cosine_pair_f32`] of the query row and the candidate's row
//!   (the single-pair kernel: float32 sums with several accumulators, eps clamping each norm,
//!   float64 rescue for extreme norms), so it equals the package's `cosine(query, row)` bit
//!   for bit. Quantised rows are decoded first (float16 values; int8/uint8 to the middle of
//!   the code's interval; bits to ±1, see [`crate::quant::encode`]) into scratch.
//! - The kept `k` are ordered as every top-k list ([`crate::topk`]): higher first, NaN
//!   first, ties by lower corpus index. A candidate listed twice is offered twice.

use crate::KernelError;
use crate::cosine::cosine_pair_f32;
use crate::quant::StorageDtype;
use crate::quant::encode::decode_codes_f32;
use crate::quant::half::f32_from_f16;
use crate::topk::offer;

/// Where rescoring reads corpus rows of `depth` dimensions.
#[derive(Clone, Copy, Debug)]
pub enum RowSource<'a> {
    /// Float32 rows `[rows, depth]`.
    Float32(&'a [f32]),
    /// binary16 rows `[rows, depth]`.
    Float16(&'a [u16]),
    /// int8/uint8/binary/ubinary rows (`depth` or `depth / 8` bytes each); int8 and uint8
    /// need their ranges `[2·depth]`.
    Codes {
        /// The rows' dtype (not float16).
        dtype: StorageDtype,
        /// The stored bytes.
        codes: &'a [u8],
        /// The ranges the codes were made with.
        ranges: Option<&'a [f32]>,
    },
}

impl RowSource<'_> {
    /// Rows held, or an error when the slice does not hold whole rows.
    fn rows(&self, depth: usize) -> Result<usize, KernelError> {
        let (length, per_row) = match *self {
            RowSource::Float32(values) => (values.len(), depth),
            RowSource::Float16(halves) => (halves.len(), depth),
            RowSource::Codes { dtype, codes, .. } => (codes.len(), dtype.row_elements(depth).ok_or(KernelError::InvalidArgument)?),
        };
        if per_row == 0 {
            return Ok(0);
        }
        if length % per_row != 0 {
            return Err(KernelError::OutOfBounds);
        }
        Ok(length / per_row)
    }

    /// Row `row` as float32 values: in place, or decoded into `scratch` (`depth` floats).
    fn row<'s>(&'s self, row: usize, depth: usize, scratch: &'s mut [f32]) -> Result<&'s [f32], KernelError> {
        match *self {
            RowSource::Float32(values) => Ok(&values[row * depth..(row + 1) * depth]),
            RowSource::Float16(halves) => {
                for (value, &half) in scratch.iter_mut().zip(&halves[row * depth..(row + 1) * depth]) {
                    *value = f32_from_f16(half);
                }
                Ok(scratch)
            }
            RowSource::Codes { dtype, codes, ranges } => {
                let per_row = dtype.row_elements(depth).ok_or(KernelError::InvalidArgument)?;
                decode_codes_f32(dtype, &codes[row * per_row..(row + 1) * per_row], depth, ranges, scratch)?;
                Ok(scratch)
            }
        }
    }
}

/// Floats of scratch [`rescore_f32`] needs: one decoded row.
pub const fn rescore_scratch_len(depth: usize) -> usize {
    depth
}

/// For each of `query_rows` float queries `[query_rows, depth]`, re-ranks its
/// `candidates_per_query` candidates (`candidates` `[query_rows, candidates_per_query]`,
/// corpus indices into `source`) by float32 cosine and writes the best `k` to `indices` and
/// `scores` `[query_rows, k]`. Every candidate is checked before anything is written; one
/// outside the source's rows, or `k > candidates_per_query`, is `InvalidArgument`.
pub fn rescore_f32(
    queries: &[f32],
    query_rows: usize,
    depth: usize,
    source: RowSource<'_>,
    candidates: &[i32],
    candidates_per_query: usize,
    k: usize,
    eps: f32,
    scratch: &mut [f32],
    indices: &mut [i32],
    scores: &mut [f32],
) -> Result<(), KernelError> {
    if Some(queries.len()) != query_rows.checked_mul(depth) || Some(candidates.len()) != query_rows.checked_mul(candidates_per_query) {
        return Err(KernelError::OutOfBounds);
    }
    let result_length = query_rows.checked_mul(k).ok_or(KernelError::OutOfBounds)?;
    if indices.len() != result_length || scores.len() != result_length {
        return Err(KernelError::OutputLength);
    }
    if k > candidates_per_query || scratch.len() < rescore_scratch_len(depth) {
        return Err(KernelError::InvalidArgument);
    }
    let source_rows = source.rows(depth)?;
    if let RowSource::Codes { dtype: StorageDtype::Int8 | StorageDtype::Uint8, ranges, .. } = source {
        if ranges.map(<[f32]>::len) != Some(2 * depth) {
            return Err(KernelError::InvalidArgument);
        }
    }
    if matches!(source, RowSource::Codes { dtype: StorageDtype::Float16, .. }) {
        return Err(KernelError::InvalidArgument);
    }
    if candidates.iter().any(|&candidate| candidate < 0 || candidate as usize >= source_rows) {
        return Err(KernelError::InvalidArgument);
    }
    if k == 0 {
        return Ok(());
    }
    indices.fill(-1);
    scores.fill(f32::NEG_INFINITY);
    let scratch = &mut scratch[..depth];
    for query in 0..query_rows {
        let query_values = &queries[query * depth..(query + 1) * depth];
        let row_indices = &mut indices[query * k..(query + 1) * k];
        let row_scores = &mut scores[query * k..(query + 1) * k];
        for &candidate in &candidates[query * candidates_per_query..(query + 1) * candidates_per_query] {
            let row = source.row(candidate as usize, depth, scratch)?;
            offer(row_scores, row_indices, cosine_pair_f32(query_values, row, eps), candidate);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{RowSource, rescore_f32};
    use crate::KernelError;
    use crate::quant::StorageDtype;

    fn cosine64(first: &[f32], second: &[f32]) -> f64 {
        let dot: f64 = first.iter().zip(second).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum();
        let first_norm = first.iter().map(|&a| f64::from(a) * f64::from(a)).sum::<f64>().sqrt();
        let second_norm = second.iter().map(|&b| f64::from(b) * f64::from(b)).sum::<f64>().sqrt();
        dot / (first_norm.max(1e-8) * second_norm.max(1e-8))
    }

    #[test]
    fn candidates_are_reranked_by_float_cosine_with_ties_by_lower_index() {
        let depth = 3;
        // Rows 1 and 3 are equal (a tie), row 4 is NaN (ranks first), row 0 is the query's own direction.
        let rows = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.5, 0.5, 0.0, 0.0, 1.0, 0.0, f32::NAN, 0.0, 0.0];
        let query = [0.9, 0.1, 0.0];
        let candidates = [3, 1, 0, 2];
        let (mut indices, mut scores) = ([0i32; 3], [0f32; 3]);
        let mut scratch = [0f32; 3];
        rescore_f32(&query, 1, depth, RowSource::Float32(&rows), &candidates, 4, 3, 1e-8, &mut scratch, &mut indices, &mut scores).unwrap();
        assert_eq!(indices, [0, 2, 1]);
        for (slot, &index) in indices.iter().enumerate() {
            let row = &rows[index as usize * depth..(index as usize + 1) * depth];
            assert!((f64::from(scores[slot]) - cosine64(&query, row)).abs() < 1e-6);
        }
        let (mut indices, mut scores) = ([0i32; 4], [0f32; 4]);
        rescore_f32(&query, 1, depth, RowSource::Float32(&rows), &[3, 4, 1, 2], 4, 4, 1e-8, &mut scratch, &mut indices, &mut scores).unwrap();
        assert_eq!(indices, [4, 2, 1, 3], "NaN first, then the tie by lower index");
    }

    #[test]
    fn quantised_rows_are_decoded_before_scoring() {
        // ubinary row 0b1100_0000 → [1, 1, −1, −1, −1, −1, −1, −1]; query along dims 0 and 1.
        let codes = [0b1100_0000u8, 0b0000_0011];
        let query = [1.0f32, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let (mut indices, mut scores) = ([0i32; 2], [0f32; 2]);
        let mut scratch = [0f32; 8];
        let source = RowSource::Codes { dtype: StorageDtype::Ubinary, codes: &codes, ranges: None };
        rescore_f32(&query, 1, 8, source, &[1, 0], 2, 2, 1e-8, &mut scratch, &mut indices, &mut scores).unwrap();
        assert_eq!(indices, [0, 1]);
        assert_eq!(scores[0], crate::cosine::cosine_pair_f32(&query, &[1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0], 1e-8));
        // float16 rows: 1.0 and 2.0 patterns.
        let halves = [0x3c00u16, 0x0000, 0x0000, 0x4000];
        rescore_f32(&[0.0, 1.0], 1, 2, RowSource::Float16(&halves), &[0, 1], 2, 1, 1e-8, &mut scratch, &mut indices[..1], &mut scores[..1]).unwrap();
        assert_eq!((indices[0], scores[0]), (1, 1.0));
    }

    #[test]
    fn bad_candidates_and_sizes_are_refused_before_writing() {
        let rows = [1.0f32, 0.0, 0.0, 1.0];
        let (mut indices, mut scores) = ([7i32; 1], [7f32; 1]);
        let mut scratch = [0f32; 2];
        let call = |candidates: &[i32], per_query: usize, k: usize, indices: &mut [i32], scores: &mut [f32], scratch: &mut [f32]| {
            rescore_f32(&[1.0, 0.0], 1, 2, RowSource::Float32(&rows), candidates, per_query, k, 1e-8, scratch, indices, scores)
        };
        assert_eq!(call(&[0, 2], 2, 1, &mut indices, &mut scores, &mut scratch), Err(KernelError::InvalidArgument));
        assert_eq!(call(&[-1, 0], 2, 1, &mut indices, &mut scores, &mut scratch), Err(KernelError::InvalidArgument));
        assert_eq!(call(&[0], 1, 2, &mut [0; 2], &mut [0.0; 2], &mut scratch), Err(KernelError::InvalidArgument));
        assert_eq!(call(&[0, 1], 1, 1, &mut indices, &mut scores, &mut scratch), Err(KernelError::OutOfBounds));
        assert_eq!((indices, scores), ([7], [7.0]));
        let int8 = RowSource::Codes { dtype: StorageDtype::Int8, codes: &[1, 2], ranges: None };
        assert_eq!(
            rescore_f32(&[1.0, 0.0], 1, 2, int8, &[0], 1, 1, 1e-8, &mut scratch, &mut indices, &mut scores),
            Err(KernelError::InvalidArgument)
        );
    }
}
