//! Merging top-k lists: the best `k` entries per query out of several lists, for example
//! the results of [`super::topk_cosine_f32`] over slices of one corpus.
//!
//! # Numerics
//! - No arithmetic on scores: entries are copied, so merged scores are the inputs' bits.
//! - The order is `ranks_above` (the top-k kernel's order, used through `offer`) on global indices
//!   (`entry index + the list's index offset`): higher score first, NaN above every number,
//!   equal scores (`0 == −0`) by lower global index. Because the order is strict and total,
//!   the result does not depend on the order of the lists or of the entries within them.
//! - Merging the per-slice results of disjoint corpus slices therefore gives exactly the
//!   top-k of one search over the whole corpus (bit for bit, as slice searches score rows
//!   as the whole search does), provided every slice's list holds, for every query, its
//!   best `min(k, candidates in the slice)` entries (a shorter list is padded with empty
//!   slots): every global top-k entry is then in its slice's list.
//! - Exclude-self over slices: search every slice without exclusion for `k + 1` entries (or
//!   all its rows) and merge with `exclude_self`, which drops global index q from query q's
//!   candidates. At most one entry per query is dropped, so the best `k` others remain.

use super::offer;
use crate::KernelError;

/// Index of an empty slot in a list.
const EMPTY_SLOT: i32 = -1;

/// For every query, the best `k` entries of `lists` lists, by the order of the top-k kernel.
///
/// Inputs: `list_indices` (i32) and `list_scores` are `lists` blocks laid out
/// `[list][query][list_length]`; entry index −1 marks an empty slot (skipped), any other
/// index must be ≥ 0. The global index of an entry is its index plus
/// `index_offsets[list]`, and must lie in `[0, i32::MAX]`. Each row is normally sorted as
/// the top-k kernel writes it, but the result does not depend on that. The lists are meant
/// to cover disjoint index ranges: a global index present in two lists is two entries.
///
/// With `exclude_self`, query `q`'s entries of global index `q` are skipped (the queries are
/// the corpus, numbered from 0).
///
/// Outputs: `out_indices` (global indices) and `out_scores`, `[queries, k]`, sorted.
///
/// Errors, reported before anything is written: input lengths other than
/// `lists · queries · list_length` or `index_offsets` not of length `lists` →
/// [`KernelError::OutOfBounds`]; outputs not of `queries · k` →
/// [`KernelError::OutputLength`]; an index below −1, a global index outside
/// `[0, i32::MAX]`, or a query with fewer than `k` non-empty entries in all →
/// [`KernelError::InvalidArgument`].
pub fn topk_merge_f32(
    list_indices: &[i32],
    list_scores: &[f32],
    lists: usize,
    queries: usize,
    list_length: usize,
    index_offsets: &[i32],
    k: usize,
    exclude_self: bool,
    out_indices: &mut [i32],
    out_scores: &mut [f32],
) -> Result<(), KernelError> {
    let row_count = lists.checked_mul(queries).ok_or(KernelError::OutOfBounds)?;
    let input_len = row_count.checked_mul(list_length).ok_or(KernelError::OutOfBounds)?;
    if list_indices.len() != input_len || list_scores.len() != input_len || index_offsets.len() != lists {
        return Err(KernelError::OutOfBounds);
    }
    let output_len = queries.checked_mul(k).ok_or(KernelError::OutOfBounds)?;
    if out_indices.len() != output_len || out_scores.len() != output_len {
        return Err(KernelError::OutputLength);
    }
    let row = |list: usize, query: usize| (list * queries + query) * list_length..(list * queries + query + 1) * list_length;
    // Validate every entry and count each query's candidates before writing anything.
    for query in 0..queries {
        let mut candidates = 0usize;
        for (list, &offset) in index_offsets.iter().enumerate() {
            for &index in &list_indices[row(list, query)] {
                if index == EMPTY_SLOT {
                    continue;
                }
                let global = global_index(index, offset).ok_or(KernelError::InvalidArgument)?;
                if !(exclude_self && global as usize == query) {
                    candidates += 1;
                }
            }
        }
        if candidates < k {
            return Err(KernelError::InvalidArgument);
        }
    }
    if k == 0 {
        return Ok(());
    }
    out_indices.fill(EMPTY_SLOT);
    out_scores.fill(f32::NEG_INFINITY);
    for query in 0..queries {
        let merged_indices = &mut out_indices[query * k..(query + 1) * k];
        let merged_scores = &mut out_scores[query * k..(query + 1) * k];
        for (list, &offset) in index_offsets.iter().enumerate() {
            let range = row(list, query);
            for (&index, &score) in list_indices[range.clone()].iter().zip(&list_scores[range]) {
                if let Some(global) = global_index(index, offset)
                    && !(exclude_self && global as usize == query)
                {
                    offer(merged_scores, merged_indices, score, global);
                }
            }
        }
    }
    Ok(())
}

/// `index + offset` for a non-empty entry, when `index ≥ 0` and the sum is in
/// `[0, i32::MAX]`; `None` for an empty slot or an invalid entry.
#[inline]
fn global_index(index: i32, offset: i32) -> Option<i32> {
    if index < 0 {
        return None;
    }
    index.checked_add(offset).filter(|&global| global >= 0)
}
