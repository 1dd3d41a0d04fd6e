//! Streaming top-k nearest neighbours by cosine similarity.
//!
//! Queries are processed in blocks of [`QUERY_BLOCK`] rows and the corpus in tiles of
//! [`CORPUS_TILE`] rows; each block × tile of scores comes from the packed product of
//! [`crate::gemm`] (identical to the pairwise matrix's entries) into a small score tile, and
//! is folded into every query's running top-k before the next tile. Memory is
//! O(Q·k + one tile), never Q×N.
//!
//! The streaming path ([`streaming`]) skips the packing: the queries go in blocks of
//! [`STREAMING_BLOCK`], and each block streams over the corpus once, each corpus row read
//! once for the block and nothing written, so a few queries cost a few passes over the
//! corpus. [`TopKPath`] chooses the path; [`TopKPath::Auto`] streams up to
//! [`STREAMING_MAX_QUERIES`] queries and packs more.
//!
//! # Numerics
//! - Scores are the cosines of the pairwise matrix: float32 products of rows normalised in
//!   float32 (float64 rescue for extreme norms) on the packed path, float32 dot-and-norms
//!   sums (float64 rescue) divided in float64 on the few-queries path; see [`crate::gemm`]
//!   and [`streaming`]. A zero row scores 0 against everything; NaN or ±∞ in a row
//!   makes its scores NaN. Nothing is clamped.
//! - The two paths round differently (float32 products of normalised rows vs float64
//!   division of float32 sums), so a query's scores, and through near-ties its list, depend
//!   on the path.
//! - A query row's scores and list depend only on that row, the corpus, eps, the path and
//!   the one corpus row it skips (`exclude_self`), never on which other queries are in the
//!   call, how many there are, or the block, panel or tile positions of the row and of the
//!   corpus rows: a packed row's values depend only on the row (see [`crate::gemm`]), a
//!   product entry only on its two packed rows and the depth, the streaming path's sums
//!   for a query do not depend on the block it shares, and a list is exactly that of offering the scores in index order.
//!   So splitting the queries into chunks, each called with the path the whole call
//!   resolves to ([`TopKPath::resolve`]) and with the chunk's global start added to the
//!   self offset, gives the whole call's indices and scores bit for bit.
//! - Likewise a corpus row's score does not depend on which tile it lands in, so searching
//!   slices of a corpus and merging with [`topk_merge_f32`] gives the same bits as one
//!   search over the whole corpus (with the same path).
//!
//! # Order
//! One strict total order, defined once by `ranks_above`: higher score first; NaN above
//! every number (as in `torch.topk`, so a corrupted corpus row shows up instead of hiding),
//! all NaNs equal; equal scores (0 and −0 are equal) by lower index. Each query's list is
//! sorted by it, and the merge kernel uses the same order on global indices.

use crate::KernelError;
use crate::gemm::{TILE_COLUMNS, TILE_ROWS, multiply_packed, pack_normalized_rows, packed_len};
use crate::lanes::{F32x4, Native};

mod merge;
pub mod streaming;

pub use merge::topk_merge_f32;

/// Query rows per block. The corpus is normalised and packed once per block, so larger
/// blocks pack it fewer times: 512 measured 5 % faster than 256 with relaxed-simd at
/// Q = 1000, N = 100 000, D = 384 (same with simd128); scratch at D = 384 is 1.6 MiB.
pub const QUERY_BLOCK: usize = 512;
/// Corpus rows per tile (a multiple of the 8-row panel).
pub const CORPUS_TILE: usize = 256;

/// Most queries [`TopKPath::Auto`] streams. Measured (Node 20 and 22, 250 000 × 384): two
/// queries per pass cost about 1.6× one, so streaming beats the packed path, which
/// normalises and packs every corpus tile once per call, up to about five queries.
pub const STREAMING_MAX_QUERIES: usize = 4;

pub use streaming::STREAMING_BLOCK;

/// Which algorithm scores a top-k call. The two round differently (see the module's
/// Numerics), so the parts of a split call must all take the path of the whole call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum TopKPath {
    /// [`TopKPath::Streaming`] for at most [`STREAMING_MAX_QUERIES`] queries, else
    /// [`TopKPath::Packed`] (whichever is faster for that many queries).
    Auto = 0,
    /// Query blocks and corpus tiles normalised, packed and multiplied.
    Packed = 1,
    /// One pass over the corpus per block of [`STREAMING_BLOCK`] queries.
    Streaming = 2,
}

impl TopKPath {
    /// From the C-ABI code: 0 auto, 1 packed, 2 streaming.
    pub fn from_code(code: u32) -> Result<Self, KernelError> {
        match code {
            0 => Ok(TopKPath::Auto),
            1 => Ok(TopKPath::Packed),
            2 => Ok(TopKPath::Streaming),
            _ => Err(KernelError::InvalidArgument),
        }
    }

    /// The path a call with `query_rows` queries takes: [`TopKPath::Packed`] or
    /// [`TopKPath::Streaming`], never [`TopKPath::Auto`].
    pub const fn resolve(self, query_rows: usize) -> TopKPath {
        match self {
            TopKPath::Auto if query_rows <= STREAMING_MAX_QUERIES => TopKPath::Streaming,
            TopKPath::Auto => TopKPath::Packed,
            forced => forced,
        }
    }
}

/// Sizes of a top-k search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopKShape {
    /// Q: query rows.
    pub queries: usize,
    /// N: corpus rows.
    pub corpus_rows: usize,
    /// D: row length.
    pub depth: usize,
    /// Neighbours kept per query.
    pub k: usize,
}

/// Floats of scratch [`topk_cosine_f32`] needs: a packed query block (whole panels, so one
/// query takes a panel of [`TILE_ROWS`]), a packed corpus tile and a score tile —
/// independent of N. Enough for either path (the streaming path uses none of it).
pub fn topk_scratch_len(queries: usize, depth: usize) -> Option<usize> {
    let block_rows = queries.min(QUERY_BLOCK);
    packed_len(block_rows, depth, TILE_ROWS)?
        .checked_add(packed_len(CORPUS_TILE, depth, TILE_COLUMNS)?)?
        .checked_add(block_rows.checked_mul(CORPUS_TILE)?)
}

/// The order of every top-k list: whether the entry (`candidate`, `candidate_index`) ranks
/// strictly above (`incumbent`, `incumbent_index`). Higher score first; NaN above every
/// number and equal to every NaN; equal scores (`0 == −0`) by lower index.
#[inline(always)]
pub(crate) fn ranks_above(candidate: f32, candidate_index: i32, incumbent: f32, incumbent_index: i32) -> bool {
    match (candidate.is_nan(), incumbent.is_nan()) {
        (true, false) => true,
        (false, true) => false,
        (true, true) => candidate_index < incumbent_index,
        (false, false) => candidate > incumbent || (candidate == incumbent && candidate_index < incumbent_index),
    }
}

/// Offers one candidate to a list sorted by [`ranks_above`] (`indices[slot] < 0` marks an
/// empty slot; empty slots are always at the end). Returns whether it entered.
#[inline(always)]
pub(crate) fn offer(scores: &mut [f32], indices: &mut [i32], candidate: f32, candidate_index: i32) -> bool {
    let last = scores.len() - 1;
    if indices[last] >= 0 && !ranks_above(candidate, candidate_index, scores[last], indices[last]) {
        return false;
    }
    let mut slot = last;
    while slot > 0 {
        let previous = slot - 1;
        if indices[previous] >= 0 && !ranks_above(candidate, candidate_index, scores[previous], indices[previous]) {
            break;
        }
        scores[slot] = scores[previous];
        indices[slot] = indices[previous];
        slot = previous;
    }
    scores[slot] = candidate;
    indices[slot] = candidate_index;
    true
}

/// The corpus row query row `query` skips: `query + offset` when `exclude_self` is
/// `Some(offset)` and that row is in `[0, corpus_rows)`; nothing otherwise.
#[inline]
pub(crate) fn self_row(query: usize, exclude_self: Option<i32>, corpus_rows: usize) -> Option<usize> {
    let offset = exclude_self?;
    query.checked_add_signed(offset as isize).filter(|&row| row < corpus_rows)
}

/// Offers one row of a score tile (corpus rows `first_index..`) to a query's sorted list,
/// skipping corpus row `skip`. Once the list is full, only a score above its last entry
/// (or NaN) can enter: candidates arrive in increasing index order, above every index in
/// the list, so an equal score never passes an entry. Four scores at a time are tested
/// against that floor with one lane compare, and only a group that passes goes through
/// [`offer`] value by value, so the result is exactly that of offering every score in
/// index order.
#[inline(always)]
pub(crate) fn fold_tile<V: F32x4>(tile_scores: &[f32], first_index: usize, skip: Option<usize>, scores: &mut [f32], indices: &mut [i32]) {
    let last = scores.len() - 1;
    let consider = |offset: usize, score: f32, scores: &mut [f32], indices: &mut [i32]| {
        let corpus_index = first_index + offset;
        if skip != Some(corpus_index) {
            offer(scores, indices, score, corpus_index as i32);
        }
    };
    // Until the list is full every candidate enters (even −∞).
    let mut start = 0;
    while start < tile_scores.len() && indices[last] < 0 {
        consider(start, tile_scores[start], scores, indices);
        start += 1;
    }
    let (quads, tail) = tile_scores[start..].as_chunks::<4>();
    for (quad_index, quad) in quads.iter().enumerate() {
        if !V::load(quad).any_above_or_nan(scores[last]) {
            continue;
        }
        for (lane, &score) in quad.iter().enumerate() {
            consider(start + quad_index * 4 + lane, score, scores, indices);
        }
    }
    let tail_start = start + quads.len() * 4;
    for (lane, &score) in tail.iter().enumerate() {
        consider(tail_start + lane, score, scores, indices);
    }
}

/// For every query row, the `k` corpus rows of highest cosine similarity: `indices` and
/// `scores` are `[queries, k]`, each row sorted by the module's order.
///
/// `path` chooses the algorithm ([`TopKPath`]); a chunk of a larger call passes the path
/// the whole call resolves to, so its rows come out bit for bit as in the whole call.
///
/// `exclude_self = Some(offset)`: query row `q` skips corpus row `q + offset` when that row
/// is in `[0, N)`, and nothing otherwise. Offset 0 is the classic case (the queries are the
/// corpus); a query chunk starting at global row `s` passes `s`; a corpus slice starting at
/// global row `c`, searched by queries starting at global row `s`, passes `s − c`.
///
/// Requires `k ≤ N`, and `k ≤ N − 1` with `exclude_self` whatever the offset (so every
/// query has at least k candidates; a caller whose slice holds no query's own row passes
/// `None` to use all N). There is no limit on Q relative to N: with an offset, queries
/// are routinely a different range than the corpus (every query against one slice), and a
/// query whose own row lies outside the corpus simply skips nothing.
pub fn topk_cosine_f32(
    queries: &[f32],
    corpus: &[f32],
    shape: TopKShape,
    eps: f32,
    exclude_self: Option<i32>,
    path: TopKPath,
    scratch: &mut [f32],
    indices: &mut [i32],
    scores: &mut [f32],
) -> Result<(), KernelError> {
    let TopKShape { queries: query_rows, corpus_rows, depth, k } = shape;
    if Some(queries.len()) != query_rows.checked_mul(depth) || Some(corpus.len()) != corpus_rows.checked_mul(depth) {
        return Err(KernelError::OutOfBounds);
    }
    let result_len = query_rows.checked_mul(k).ok_or(KernelError::OutOfBounds)?;
    if indices.len() != result_len || scores.len() != result_len {
        return Err(KernelError::OutputLength);
    }
    let available = if exclude_self.is_some() { corpus_rows.saturating_sub(1) } else { corpus_rows };
    if k > available || corpus_rows > i32::MAX as usize {
        return Err(KernelError::InvalidArgument);
    }
    if scratch.len() < topk_scratch_len(query_rows, depth).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    if k == 0 || query_rows == 0 {
        return Ok(());
    }
    indices.fill(-1);
    scores.fill(f32::NEG_INFINITY);
    match path.resolve(query_rows) {
        TopKPath::Streaming => streaming::topk_streaming::<Native>(queries, corpus, shape, eps, exclude_self, indices, scores),
        // Packed (`resolve` never returns Auto).
        _ => topk_with::<Native>(queries, corpus, shape, eps, exclude_self, scratch, indices, scores),
    }
    Ok(())
}

fn topk_with<V: F32x4>(
    queries: &[f32],
    corpus: &[f32],
    shape: TopKShape,
    eps: f32,
    exclude_self: Option<i32>,
    scratch: &mut [f32],
    indices: &mut [i32],
    scores: &mut [f32],
) {
    let TopKShape { queries: query_rows, corpus_rows, depth, k } = shape;
    let block_rows = query_rows.min(QUERY_BLOCK);
    let query_packed_len = packed_len(block_rows, depth, TILE_ROWS).unwrap_or(0);
    let tile_packed_len = packed_len(CORPUS_TILE, depth, TILE_COLUMNS).unwrap_or(0);
    let (packed_queries, rest) = scratch.split_at_mut(query_packed_len);
    let (packed_tile, rest) = rest.split_at_mut(tile_packed_len);
    let score_tile = &mut rest[..block_rows * CORPUS_TILE];
    for block_start in (0..query_rows).step_by(QUERY_BLOCK) {
        let block_length = QUERY_BLOCK.min(query_rows - block_start);
        let block = &queries[block_start * depth..(block_start + block_length) * depth];
        let packed_block = &mut packed_queries[..packed_len(block_length, depth, TILE_ROWS).unwrap_or(0)];
        pack_normalized_rows::<V>(block, block_length, depth, depth, TILE_ROWS, 1.0, eps, packed_block);
        for tile_start in (0..corpus_rows).step_by(CORPUS_TILE) {
            let tile_length = CORPUS_TILE.min(corpus_rows - tile_start);
            let tile = &corpus[tile_start * depth..(tile_start + tile_length) * depth];
            let packed = &mut packed_tile[..packed_len(tile_length, depth, TILE_COLUMNS).unwrap_or(0)];
            pack_normalized_rows::<V>(tile, tile_length, depth, depth, TILE_COLUMNS, 1.0, eps, packed);
            multiply_packed::<V>(packed_block, block_length, packed, tile_length, depth, score_tile, CORPUS_TILE, false);
            for row in 0..block_length {
                let query = block_start + row;
                let row_scores = &mut scores[query * k..(query + 1) * k];
                let row_indices = &mut indices[query * k..(query + 1) * k];
                let tile_scores = &score_tile[row * CORPUS_TILE..row * CORPUS_TILE + tile_length];
                let skip = self_row(query, exclude_self, corpus_rows);
                fold_tile::<V>(tile_scores, tile_start, skip, row_scores, row_indices);
            }
        }
    }
}

#[cfg(test)]
mod tests;
