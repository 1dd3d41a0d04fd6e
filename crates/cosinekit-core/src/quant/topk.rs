//! Streaming top-k over a quantised corpus: int8, uint8, binary and ubinary queries of the
//! corpus's dtype, or float32 queries against a float16 corpus.
//!
//! Queries are taken in blocks of [`QUANTIZED_QUERY_BLOCK`]: each block's queries are
//! prepared once (codes widened to i16 and their squared norms; float32 queries reordered
//! for the float16 kernel with their norms), then the corpus is walked in tiles of
//! [`QUANTIZED_CORPUS_TILE`] rows. Within a tile, groups of [`QUERY_GROUP`] queries share
//! each corpus row load (int8: the row is widened once for the group, its squared norm
//! computed once per tile; float16: the row is decoded once into float32 for the whole
//! block; binary: groups of [`BINARY_QUERY_GROUP`], then of 4, whose query words are
//! interleaved in scratch so one pointer reaches them all). The last `Q mod 4` queries (all
//! of them when Q < 4; int8 and float16) then take the whole corpus with the one-query
//! kernels, four rows per step from four parts of the corpus (four memory streams, as
//! [`crate::topk::streaming`]: one sequential stream left these memory-bound loops waiting
//! on misses). Memory: the lists, the prepared block and (float16) one tile of scores per
//! query of the block — never Q×N.
//!
//! # Cached norms
//! A corpus that is searched many times (a `QuantizedTensor`) keeps its rows' norms
//! ([`code_row_norms`]: exact squared code norms and the filter's inverse roots;
//! [`half_row_norms`]: float16 row norms), computed once by the kernels the search itself
//! uses. Given them, the kernels compute dot products only; without them the groups compute
//! each tile's row norms once, and the one-query pass each row's norm right after its dot
//! (from the row the dot has just brought into cache). The norms are the same bits either
//! way, so the results are too. With cached norms, every reported row's norm is recomputed from the row after the search
//! and compared with the cache: a difference is [`KernelError::StaleNorms`] (the rows were
//! changed after caching, or the cache was overwritten).
//!
//! # Numerics
//! - Scores are those of [`super::score`] exactly: int8/uint8 and binary/ubinary from
//!   exact integer sums (identical in every instruction set and equal bit for bit to the
//!   pairwise entries), float16 from float32 sums in the fixed even/odd order of the lane
//!   kernels. float16 here: `cos = dot(q, x) / (max(‖q‖, eps) · max(‖x‖, eps))` in float64,
//!   where the query is float32 (not rounded to half), `‖q‖` is summed in float64, and
//!   `dot` in float32 with two accumulators of four lanes per quantity and row (even and
//!   odd positions of each group of 8), multiply and add fused or not as the lanes decide.
//!   The query is multiplied by `2^(112 − e)`, `2^e ≤ ‖q‖ < 2^(e+1)` (exact unless
//!   `‖q‖ ≥ 2¹¹²`), and the halves decoded without their `2¹¹²` rebias (exact bit moves,
//!   [`crate::lanes::F16x8::decode_even_odd_unscaled`]), so each product is the float32
//!   product of `q·2⁻ᵉ` (norm in [1, 2)) and the half's value and the decode costs no
//!   multiply; `2⁻ᵉ` is undone in the denominator. The row norms are float32 sums of the
//!   values themselves (decoded with the rebias), in the same order. NaN or ±∞ in the
//!   query, or in a corpus row, gives NaN.
//! - Integer scores are not all computed: each query keeps a floor (its list's last score
//!   once the list is full) and a corpus row is scored exactly only if a float32 estimate
//!   `dot · (1/‖q‖) · (1/‖x‖)` (relative error below 6·2⁻²⁴) exceeds
//!   `floor − |floor|·2⁻¹⁷ − f32::MIN_POSITIVE`; binary rows only if their Hamming distance
//!   is below the first distance whose score does not exceed the floor. A row that fails
//!   cannot rank above the last entry (rows come in increasing index order, so an equal
//!   score never enters either): the lists are exactly those of offering every score.
//! - Order and ties are [`crate::topk`]'s (`ranks_above`, through the same `offer` and
//!   `fold_tile`): higher score first, NaN first, equal scores by lower index. The streamed
//!   one-query passes offer rows out of index order, so they offer every score `>=` the
//!   list's last (the int8 filter's margin already lets equal scores through; binary keeps
//!   index order) and `offer` orders equal scores by index: the lists are the same.
//! - A query's list depends only on that query, the corpus rows, eps and its skipped row:
//!   not on the other queries, their number, the block or tile positions, or which kernel
//!   (group or one-query) served it, since every kernel computes a pair's sums by the same
//!   arithmetic (integer sums are exact; the float16 kernels share one accumulation order).
//!   So query chunks (with `exclude_self` offsets moved by the chunk start) and corpus
//!   slices merged with [`crate::topk::topk_merge_f32`] give the whole call's bits.

use super::StorageDtype;
use super::score::score_lanes::{
    CODE_CHUNK, WIDE_CHUNK_BYTES, codes_dot_queries, codes_dot_rows, codes_squared_norm, f32_dot_even_odd, half_decode_row,
    half_dot_rows, half_row_sums, hamming_interleaved, hamming_words1, hamming_words4, interleave_words, permute_even_odd, widen_codes,
};
use super::score::score_scratch::{carve, piece_bytes};
use super::score::{CODES_LANE_MAX_DEPTH, clamped_half_norm, dot_norms_codes_scalar, score_binary_from_hamming, score_codes_from_sums};
use crate::KernelError;
use crate::lanes::{F16x8, I8x16, Native, NativeF16x8, NativeI8x16};
use crate::math::{clamp_min_f64, sqrt_f64};
use crate::topk::{TopKShape, fold_tile, offer, self_row};

/// Queries prepared at a time (and the most queries whose corpus-row norms are shared).
pub const QUANTIZED_QUERY_BLOCK: usize = 512;
/// Corpus rows per tile.
pub const QUANTIZED_CORPUS_TILE: usize = 256;
/// Queries that share one corpus row load.
pub const QUERY_GROUP: usize = 4;
/// Corpus rows per step of the one-query int8 kernel, one from each of as many parts of the
/// corpus (memory streams); eight measured slower (register pressure).
const CODE_DOT_ROWS_PER_STEP: usize = 4;
/// Queries that share one bit-row corpus word load (then groups of [`QUERY_GROUP`]): eight
/// measured 1.15–1.2× faster than four at Q = 256 over 100 000 × 384 (Node 20 and 22).
pub const BINARY_QUERY_GROUP: usize = 8;
/// Corpus rows per step of the one-query binary kernel.
const BINARY_ROWS_PER_STEP: usize = 4;
/// Corpus rows per step of the one-query float16 kernel (dots only; 4 rows × 2 accumulators
/// = the 8 independent multiply-add chains relaxed-simd needs), one from each of as many
/// parts of the corpus (memory streams).
const HALF_DOT_ROWS_PER_STEP: usize = 4;
/// Relative margin of the integer estimate filter (far above its 6·2⁻²⁴ error).
const FILTER_MARGIN: f32 = 1.0 / 131_072.0;

/// Bytes of scratch [`topk_quantized_codes`] or [`topk_quantized_float16`] needs for
/// `query_rows` queries of `depth` dimensions (independent of the corpus size; `None` when
/// sizes overflow or a binary depth is not a multiple of 8). int8/uint8: the widened query
/// block; binary/ubinary: the block's query words, interleaved per group; float16: the reordered query block, one tile of scores per
/// query of the block, a decoded row and the query norms.
pub fn topk_quantized_scratch_len(dtype: StorageDtype, query_rows: usize, depth: usize) -> Option<usize> {
    dtype.row_elements(depth)?;
    let block = query_rows.min(QUANTIZED_QUERY_BLOCK);
    match dtype {
        StorageDtype::Int8 | StorageDtype::Uint8 => block.checked_mul(depth / CODE_CHUNK)?.checked_mul(WIDE_CHUNK_BYTES),
        StorageDtype::Binary | StorageDtype::Ubinary => block.checked_mul(depth / 8),
        StorageDtype::Float16 => piece_bytes::<f32>(block.checked_mul(depth)?)?
            .checked_add(piece_bytes::<f32>(block.checked_mul(QUANTIZED_CORPUS_TILE)?)?)?
            .checked_add(piece_bytes::<f32>(depth)?)?
            .checked_add(piece_bytes::<f64>(block)?),
    }
}

/// Cached per-row norms of an int8/uint8 corpus ([`code_row_norms`]): exact squared code
/// norms and their float32 inverse roots, one each per corpus row.
#[derive(Clone, Copy, Debug)]
pub struct CodeRowNorms<'a> {
    /// `Σ code²` per row.
    pub squared: &'a [i32],
    /// `1 / sqrt(Σ code²)` in float32 (from float64), 0 for a zero row: the filter's factor.
    pub inverse: &'a [f32],
}

/// Whether a corpus of `dtype` rows of `depth` dimensions has cached norms: int8/uint8 for
/// `0 < D ≤` [`CODES_LANE_MAX_DEPTH`] (their squared norms fit an i32) and float16; the
/// bit dtypes need none (every row's norm is √D).
pub const fn has_row_norms(dtype: StorageDtype, depth: usize) -> bool {
    match dtype {
        StorageDtype::Int8 | StorageDtype::Uint8 => depth > 0 && depth <= CODES_LANE_MAX_DEPTH,
        StorageDtype::Float16 => true,
        StorageDtype::Binary | StorageDtype::Ubinary => false,
    }
}

/// Fills a corpus's cached norms: `squared[r]` and `inverse[r]` for int8/uint8 row `r`, by
/// the kernels the search itself uses. Errors: not [`has_row_norms`] →
/// [`KernelError::InvalidArgument`]; `rows` not `N · D` or the outputs not `N` long →
/// [`KernelError::OutOfBounds`].
pub fn code_row_norms(dtype: StorageDtype, rows: &[u8], depth: usize, squared: &mut [i32], inverse: &mut [f32]) -> Result<(), KernelError> {
    if dtype.is_binary() || dtype == StorageDtype::Float16 || !has_row_norms(dtype, depth) {
        return Err(KernelError::InvalidArgument);
    }
    if mismatch(rows.len(), squared.len(), depth) != 0 || inverse.len() != squared.len() {
        return Err(KernelError::OutOfBounds);
    }
    let flip = dtype == StorageDtype::Uint8;
    for ((row, squared), inverse) in rows.chunks_exact(depth).zip(squared.iter_mut()).zip(inverse.iter_mut()) {
        let norm = CodeNorm::of(if flip { codes_squared_norm::<NativeI8x16, true>(row) } else { codes_squared_norm::<NativeI8x16, false>(row) });
        *squared = norm.squared as i32;
        *inverse = norm.inverse;
    }
    Ok(())
}

/// The cached norm of one float16 row: `sqrt(Σ x²)` in float64 from the float32 sum of the
/// search kernels' order, NaN when the row holds ±∞ or NaN.
#[inline]
fn half_row_norm(row: &[u16]) -> f64 {
    let sums = half_row_sums::<NativeF16x8>(row);
    if sums.non_finite { f64::NAN } else { sqrt_f64(f64::from(sums.squared)) }
}

/// Fills a float16 corpus's cached norms, one per row (`half_row_norm`'s rule: the
/// search's own sums, unclamped; eps is applied per call). Errors: `rows` not `N · D` or
/// `norms` not `N` long → [`KernelError::OutOfBounds`].
pub fn half_row_norms(rows: &[u16], depth: usize, norms: &mut [f64]) -> Result<(), KernelError> {
    if mismatch(rows.len(), norms.len(), depth) != 0 {
        return Err(KernelError::OutOfBounds);
    }
    if depth == 0 {
        norms.fill(0.0);
        return Ok(());
    }
    for (row, norm) in rows.chunks_exact(depth).zip(norms.iter_mut()) {
        *norm = half_row_norm(row);
    }
    Ok(())
}

/// After a search with cached norms: every reported row's norm recomputed from the row and
/// compared with the cache, bit for bit; [`KernelError::StaleNorms`] at the first
/// difference (rows changed after their norms were cached, or the cache was overwritten).
fn verify_reported(indices: &[i32], matches: impl Fn(usize) -> bool) -> Result<(), KernelError> {
    for &index in indices {
        if index >= 0 && !matches(index as usize) {
            return Err(KernelError::StaleNorms);
        }
    }
    Ok(())
}

/// The checks shared by both entry points, in the order of [`crate::topk::topk_cosine_f32`].
fn check_topk(
    query_elements: usize,
    corpus_elements: usize,
    shape: TopKShape,
    exclude_self: Option<i32>,
    scratch_len: usize,
    needed_scratch: Option<usize>,
    result_lens: (usize, usize),
) -> Result<(), KernelError> {
    let k = shape.k;
    if query_elements != 0 || corpus_elements != 0 {
        return Err(KernelError::OutOfBounds);
    }
    let result_len = shape.queries.checked_mul(k).ok_or(KernelError::OutOfBounds)?;
    if result_lens.0 != result_len || result_lens.1 != result_len {
        return Err(KernelError::OutputLength);
    }
    let available = if exclude_self.is_some() { shape.corpus_rows.saturating_sub(1) } else { shape.corpus_rows };
    if k > available || shape.corpus_rows > i32::MAX as usize {
        return Err(KernelError::InvalidArgument);
    }
    if scratch_len < needed_scratch.ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    Ok(())
}

/// `0` when `length` is `rows · per_row`, else nonzero (a length mismatch).
fn mismatch(length: usize, rows: usize, per_row: usize) -> usize {
    if Some(length) == rows.checked_mul(per_row) { 0 } else { 1 }
}

/// For every query row, the `k` corpus rows of highest quantised cosine (see the module's
/// Numerics): `indices` and `scores` are `[queries, k]`, each row sorted by the order of
/// [`crate::topk`]. `queries` and `corpus` hold rows of `dtype` (int8, uint8, binary or
/// ubinary): `D` bytes per row, `D / 8` for the bit dtypes, `shape.depth` = D.
///
/// `exclude_self = Some(offset)`: query row `q` skips corpus row `q + offset` when that is
/// in `[0, N)`, exactly as [`crate::topk::topk_cosine_f32`]; `k ≤ N`, and `k ≤ N − 1` with
/// `exclude_self`.
///
/// Errors, before anything is written: `dtype` float16 or a binary depth not a multiple of
/// 8 → [`KernelError::InvalidArgument`]; operand lengths other than rows × row bytes →
/// [`KernelError::OutOfBounds`]; outputs not `Q·k` → [`KernelError::OutputLength`]; `k` out
/// of range, N above `i32::MAX`, or scratch shorter than [`topk_quantized_scratch_len`] →
/// [`KernelError::InvalidArgument`].
pub fn topk_quantized_codes(
    dtype: StorageDtype,
    queries: &[u8],
    corpus: &[u8],
    shape: TopKShape,
    exclude_self: Option<i32>,
    norms: Option<CodeRowNorms<'_>>,
    scratch: &mut [u8],
    indices: &mut [i32],
    scores: &mut [f32],
) -> Result<(), KernelError> {
    if dtype == StorageDtype::Float16 {
        return Err(KernelError::InvalidArgument);
    }
    let row_bytes = dtype.row_elements(shape.depth).ok_or(KernelError::InvalidArgument)?;
    check_topk(
        mismatch(queries.len(), shape.queries, row_bytes),
        mismatch(corpus.len(), shape.corpus_rows, row_bytes),
        shape,
        exclude_self,
        scratch.len(),
        topk_quantized_scratch_len(dtype, shape.queries, shape.depth),
        (indices.len(), scores.len()),
    )?;
    if let Some(norms) = norms {
        if !has_row_norms(dtype, shape.depth) {
            return Err(KernelError::InvalidArgument);
        }
        if norms.squared.len() != shape.corpus_rows || norms.inverse.len() != shape.corpus_rows {
            return Err(KernelError::OutOfBounds);
        }
    }
    if shape.k == 0 || shape.queries == 0 {
        return Ok(());
    }
    indices.fill(-1);
    scores.fill(f32::NEG_INFINITY);
    let lists = Lists { scores: &mut *scores, indices: &mut *indices, k: shape.k };
    if dtype.is_binary() {
        topk_binary(queries, corpus, shape, row_bytes, exclude_self, scratch, lists);
    } else if shape.depth == 0 || shape.depth > CODES_LANE_MAX_DEPTH {
        topk_codes_scalar(queries, corpus, shape, dtype == StorageDtype::Uint8, exclude_self, lists);
    } else {
        if dtype == StorageDtype::Uint8 {
            topk_codes::<NativeI8x16, true>(queries, corpus, shape, exclude_self, norms, scratch, lists);
        } else {
            topk_codes::<NativeI8x16, false>(queries, corpus, shape, exclude_self, norms, scratch, lists);
        }
        if let Some(norms) = norms {
            let depth = shape.depth;
            let flip = dtype == StorageDtype::Uint8;
            verify_reported(indices, |row| {
                let codes = &corpus[row * depth..(row + 1) * depth];
                let squared = if flip { codes_squared_norm::<NativeI8x16, true>(codes) } else { codes_squared_norm::<NativeI8x16, false>(codes) };
                let expected = CodeNorm::of(squared);
                norms.squared[row] == squared && norms.inverse[row].to_bits() == expected.inverse.to_bits()
            })?;
        }
    }
    Ok(())
}

/// The per-query result lists of a call.
struct Lists<'a> {
    scores: &'a mut [f32],
    indices: &'a mut [i32],
    k: usize,
}

impl Lists<'_> {
    #[inline(always)]
    fn of(&mut self, query: usize) -> (&mut [f32], &mut [i32]) {
        let range = query * self.k..(query + 1) * self.k;
        (&mut self.scores[range.clone()], &mut self.indices[range])
    }
}

/// The estimate floor of a list: −∞ until it is full, then its last score less the margin.
#[inline]
fn estimate_floor(scores: &[f32], indices: &[i32]) -> f32 {
    let last = scores.len() - 1;
    if indices[last] < 0 {
        f32::NEG_INFINITY
    } else {
        let floor = scores[last];
        floor - (floor.abs() * FILTER_MARGIN + f32::MIN_POSITIVE)
    }
}

/// `1 / sqrt(squared)` in float32 for the estimate; 0 for a zero vector.
#[inline]
fn inverse_root(squared: i64) -> f32 {
    if squared == 0 { 0.0 } else { (1.0 / sqrt_f64(squared as f64)) as f32 }
}

/// Side data of a query (or a corpus row) for the int8 filter.
#[derive(Clone, Copy)]
struct CodeNorm {
    squared: i64,
    inverse: f32,
}

impl CodeNorm {
    const ZERO: CodeNorm = CodeNorm { squared: 0, inverse: 0.0 };
    #[inline]
    fn of(squared: i32) -> CodeNorm {
        let squared = i64::from(squared);
        CodeNorm { squared, inverse: inverse_root(squared) }
    }
}

/// Offers corpus row `row` (dot `dot`) to a query's list if its estimate can pass the floor.
#[inline(always)]
fn consider_codes(dot: i32, query: CodeNorm, corpus: CodeNorm, row: usize, skip: Option<usize>, floor: &mut f32, lists: &mut Lists<'_>, list: usize) {
    let estimate = dot as f32 * query.inverse * corpus.inverse;
    if estimate <= *floor || skip == Some(row) {
        return;
    }
    let (scores, indices) = lists.of(list);
    let score = score_codes_from_sums(i64::from(dot), query.squared, corpus.squared);
    if offer(scores, indices, score, row as i32) {
        *floor = estimate_floor(scores, indices);
    }
}

fn topk_codes<V: I8x16, const FLIP: bool>(
    queries: &[u8],
    corpus: &[u8],
    shape: TopKShape,
    exclude_self: Option<i32>,
    norms: Option<CodeRowNorms<'_>>,
    scratch: &mut [u8],
    mut lists: Lists<'_>,
) {
    let TopKShape { queries: query_rows, corpus_rows, depth, .. } = shape;
    let wide_row = depth / CODE_CHUNK * WIDE_CHUNK_BYTES;
    let query_codes = |query: usize| &queries[query * depth..(query + 1) * depth];
    let corpus_row = |row: usize| &corpus[row * depth..(row + 1) * depth];
    let mut query_norms = [CodeNorm::ZERO; QUANTIZED_QUERY_BLOCK];
    let mut floors = [f32::NEG_INFINITY; QUANTIZED_QUERY_BLOCK];
    let mut tile_norms = [CodeNorm::ZERO; QUANTIZED_CORPUS_TILE];
    for block_start in (0..query_rows).step_by(QUANTIZED_QUERY_BLOCK) {
        let block_length = QUANTIZED_QUERY_BLOCK.min(query_rows - block_start);
        let wide = &mut scratch[..block_length * wide_row];
        for member in 0..block_length {
            let codes = query_codes(block_start + member);
            widen_codes::<V, FLIP>(codes, &mut wide[member * wide_row..(member + 1) * wide_row]);
            query_norms[member] = CodeNorm::of(codes_squared_norm::<V, FLIP>(codes));
            floors[member] = f32::NEG_INFINITY;
        }
        let wide = &*wide;
        let query_wide = |member: usize| &wide[member * wide_row..(member + 1) * wide_row];
        let grouped = block_length / QUERY_GROUP * QUERY_GROUP;
        for tile_start in (0..corpus_rows).step_by(QUANTIZED_CORPUS_TILE) {
            let tile_end = (tile_start + QUANTIZED_CORPUS_TILE).min(corpus_rows);
            // The tile's row norms for the groups: from the cache, else computed once (the
            // one-query kernel then computes them in its own pass).
            if grouped > 0 {
                for row in tile_start..tile_end {
                    tile_norms[row - tile_start] = match norms {
                        Some(cached) => CodeNorm { squared: i64::from(cached.squared[row]), inverse: cached.inverse[row] },
                        None => CodeNorm::of(codes_squared_norm::<V, FLIP>(corpus_row(row))),
                    };
                }
            }
            for group_start in (0..grouped).step_by(QUERY_GROUP) {
                let members: [usize; QUERY_GROUP] = core::array::from_fn(|offset| group_start + offset);
                let codes = members.map(|member| query_codes(block_start + member));
                let wides = members.map(query_wide);
                let skips = members.map(|member| self_row(block_start + member, exclude_self, corpus_rows));
                for row in tile_start..tile_end {
                    let dots = codes_dot_queries::<V, FLIP, QUERY_GROUP>(codes, wides, corpus_row(row));
                    for (offset, &dot) in dots.iter().enumerate() {
                        let member = group_start + offset;
                        consider_codes(dot, query_norms[member], tile_norms[row - tile_start], row, skips[offset], &mut floors[member], &mut lists, block_start + member);
                    }
                }
            }
        }
        // The one-query members: the whole corpus after the tiles, row norms from the cache
        // or computed per row (from the row the dot kernel has just brought into cache).
        for member in grouped..block_length {
            let query = block_start + member;
            let skip = self_row(query, exclude_self, corpus_rows);
            let (codes, query_wide) = (query_codes(query), query_wide(member));
            let row_norm = |row: usize| match norms {
                Some(cached) => CodeNorm { squared: i64::from(cached.squared[row]), inverse: cached.inverse[row] },
                None => CodeNorm::of(codes_squared_norm::<V, FLIP>(corpus_row(row))),
            };
            {
                let mut consider = |dot: i32, row: usize| consider_codes(dot, query_norms[member], row_norm(row), row, skip, &mut floors[member], &mut lists, query);
                // One row from each of CODE_DOT_ROWS_PER_STEP parts of the corpus per step:
                // as many memory streams (see crate::topk::streaming::STREAMS). The filter and
                // `offer` do not depend on the order rows come in.
                let part = corpus_rows.div_ceil(CODE_DOT_ROWS_PER_STEP);
                for offset in 0..part {
                    let rows: [usize; CODE_DOT_ROWS_PER_STEP] = core::array::from_fn(|stream| stream * part + offset);
                    if rows[CODE_DOT_ROWS_PER_STEP - 1] < corpus_rows {
                        let dots = codes_dot_rows::<V, FLIP, CODE_DOT_ROWS_PER_STEP>(codes, query_wide, rows.map(corpus_row));
                        for (&dot, row) in dots.iter().zip(rows) {
                            consider(dot, row);
                        }
                    } else {
                        for row in rows.into_iter().filter(|&row| row < corpus_rows) {
                            let [dot] = codes_dot_rows::<V, FLIP, 1>(codes, query_wide, [corpus_row(row)]);
                            consider(dot, row);
                        }
                    }
                }
            }
        }
    }
}

/// int8/uint8 rows with no lane kernel (D = 0 or above [`CODES_LANE_MAX_DEPTH`]): the i64
/// scalar reference for every pair.
fn topk_codes_scalar(queries: &[u8], corpus: &[u8], shape: TopKShape, flip: bool, exclude_self: Option<i32>, mut lists: Lists<'_>) {
    let TopKShape { queries: query_rows, corpus_rows, depth, .. } = shape;
    for query in 0..query_rows {
        let skip = self_row(query, exclude_self, corpus_rows);
        let query_codes = &queries[query * depth..(query + 1) * depth];
        let (scores, indices) = lists.of(query);
        for row in (0..corpus_rows).filter(|&row| skip != Some(row)) {
            let sums = dot_norms_codes_scalar(query_codes, &corpus[row * depth..(row + 1) * depth], flip);
            offer(scores, indices, score_codes_from_sums(sums.dot, sums.first_squared, sums.second_squared), row as i32);
        }
    }
}

/// The first Hamming distance whose score does not exceed `floor` (D + 1 when none):
/// distances below it are the only ones that can rank above the list's last entry.
fn hamming_limit(floor: f32, depth: usize) -> u32 {
    let score = |hamming: usize| score_binary_from_hamming(hamming as u64, depth);
    let estimate = (1.0 - f64::from(floor)) * depth as f64 / 2.0;
    let mut limit = if estimate.is_nan() || estimate < 0.0 { 0 } else if estimate > depth as f64 { depth + 1 } else { estimate as usize };
    while limit > 0 && score(limit - 1) <= floor {
        limit -= 1;
    }
    while limit <= depth && score(limit) > floor {
        limit += 1;
    }
    limit as u32
}

/// Offers corpus row `row` (distance `distance`) to a query's list if it is below the limit.
#[inline(always)]
fn consider_binary(distance: u32, row: usize, skip: Option<usize>, depth: usize, limit: &mut u32, lists: &mut Lists<'_>, list: usize) {
    if distance >= *limit || skip == Some(row) {
        return;
    }
    let (scores, indices) = lists.of(list);
    if offer(scores, indices, score_binary_from_hamming(u64::from(distance), depth), row as i32) && indices[indices.len() - 1] >= 0 {
        *limit = hamming_limit(scores[scores.len() - 1], depth);
    }
}

/// Bit-row tiles are longer: a 384-bit row is 48 bytes.
const BINARY_TILE: usize = 4 * QUANTIZED_CORPUS_TILE;

/// The context of one block of bit-row queries.
struct BinaryBlock<'a> {
    queries: &'a [u8],
    corpus: &'a [u8],
    row_bytes: usize,
    shape: TopKShape,
    exclude_self: Option<i32>,
    block_start: usize,
}

impl BinaryBlock<'_> {
    #[inline(always)]
    fn query_row(&self, query: usize) -> &[u8] {
        &self.queries[query * self.row_bytes..(query + 1) * self.row_bytes]
    }

    #[inline(always)]
    fn corpus_row(&self, row: usize) -> &[u8] {
        &self.corpus[row * self.row_bytes..(row + 1) * self.row_bytes]
    }

    /// Writes the interleaved words of the groups of `GROUP` members in `members` into
    /// `scratch` (each group at `first member · row_bytes`).
    fn interleave<const GROUP: usize>(&self, members: core::ops::Range<usize>, scratch: &mut [u8]) {
        for group_start in members.step_by(GROUP) {
            let rows: [&[u8]; GROUP] = core::array::from_fn(|offset| self.query_row(self.block_start + group_start + offset));
            interleave_words::<GROUP>(rows, &mut scratch[group_start * self.row_bytes..(group_start + GROUP) * self.row_bytes]);
        }
    }

    /// The members in `members` (a multiple of `GROUP` long), `GROUP` at a time, against
    /// corpus rows `rows`.
    #[inline(always)]
    fn scan_groups<const GROUP: usize>(&self, members: core::ops::Range<usize>, interleaved: &[u8], rows: core::ops::Range<usize>, limits: &mut [u32], lists: &mut Lists<'_>) {
        let TopKShape { corpus_rows, depth, .. } = self.shape;
        for group_start in members.step_by(GROUP) {
            let lefts: [&[u8]; GROUP] = core::array::from_fn(|offset| self.query_row(self.block_start + group_start + offset));
            let skips: [Option<usize>; GROUP] = core::array::from_fn(|offset| self_row(self.block_start + group_start + offset, self.exclude_self, corpus_rows));
            let packed = &interleaved[group_start * self.row_bytes..(group_start + GROUP) * self.row_bytes];
            let group_limits = &mut limits[group_start..group_start + GROUP];
            for row in rows.clone() {
                let distances = hamming_interleaved::<GROUP>(packed, lefts, self.corpus_row(row));
                // One branch per row and group: most rows are below no member's limit.
                let below = distances.iter().zip(group_limits.iter()).fold(false, |below, (&distance, &limit)| below | (distance < limit));
                if !below {
                    continue;
                }
                for (offset, &distance) in distances.iter().enumerate() {
                    let member = group_start + offset;
                    consider_binary(distance, row, skips[offset], depth, &mut group_limits[offset], lists, self.block_start + member);
                }
            }
        }
    }

    /// One member against corpus rows `rows`, [`BINARY_ROWS_PER_STEP`] rows at a time.
    fn scan_one(&self, member: usize, rows: core::ops::Range<usize>, limit: &mut u32, lists: &mut Lists<'_>) {
        let TopKShape { corpus_rows, depth, .. } = self.shape;
        let query = self.block_start + member;
        let skip = self_row(query, self.exclude_self, corpus_rows);
        let left = self.query_row(query);
        let mut row = rows.start;
        while row < rows.end {
            let step = if rows.end - row >= BINARY_ROWS_PER_STEP { BINARY_ROWS_PER_STEP } else { 1 };
            let distances = if step == BINARY_ROWS_PER_STEP {
                let rights: [&[u8]; BINARY_ROWS_PER_STEP] = core::array::from_fn(|offset| self.corpus_row(row + offset));
                hamming_words4([left; BINARY_ROWS_PER_STEP], rights)
            } else {
                let distance = hamming_words1(left, self.corpus_row(row));
                [distance, 0, 0, 0]
            };
            for (offset, &distance) in distances[..step].iter().enumerate() {
                consider_binary(distance, row + offset, skip, depth, limit, lists, query);
            }
            row += step;
        }
    }
}

fn topk_binary(queries: &[u8], corpus: &[u8], shape: TopKShape, row_bytes: usize, exclude_self: Option<i32>, scratch: &mut [u8], mut lists: Lists<'_>) {
    let TopKShape { queries: query_rows, corpus_rows, depth, .. } = shape;
    let no_limit = depth as u32 + 1;
    let mut limits = [no_limit; QUANTIZED_QUERY_BLOCK];
    for block_start in (0..query_rows).step_by(QUANTIZED_QUERY_BLOCK) {
        let block_length = QUANTIZED_QUERY_BLOCK.min(query_rows - block_start);
        limits[..block_length].fill(no_limit);
        let block = BinaryBlock { queries, corpus, row_bytes, shape, exclude_self, block_start };
        // Groups of eight, then at most one of four, then one query at a time.
        let wide_end = block_length / BINARY_QUERY_GROUP * BINARY_QUERY_GROUP;
        let grouped = wide_end + (block_length - wide_end) / QUERY_GROUP * QUERY_GROUP;
        block.interleave::<BINARY_QUERY_GROUP>(0..wide_end, scratch);
        block.interleave::<QUERY_GROUP>(wide_end..grouped, scratch);
        let interleaved = &*scratch;
        for tile_start in (0..corpus_rows).step_by(BINARY_TILE) {
            let tiles = tile_start..(tile_start + BINARY_TILE).min(corpus_rows);
            block.scan_groups::<BINARY_QUERY_GROUP>(0..wide_end, interleaved, tiles.clone(), &mut limits, &mut lists);
            block.scan_groups::<QUERY_GROUP>(wide_end..grouped, interleaved, tiles.clone(), &mut limits, &mut lists);
            for member in grouped..block_length {
                block.scan_one(member, tiles.clone(), &mut limits[member], &mut lists);
            }
        }
    }
}

/// For every float32 query row, the `k` float16 corpus rows of highest cosine (see the
/// module's Numerics); `queries` `[Q, D]` float32, `corpus` `[N, D]` binary16 words,
/// `indices`/`scores` `[Q, k]`. `norms`: the corpus's cached norms ([`half_row_norms`]), or
/// none (computed in the search's own pass, with the same bits). `exclude_self`, `k` and
/// the errors as [`topk_quantized_codes`] (no dtype or depth restriction; `norms` not `N`
/// long → [`KernelError::OutOfBounds`]); with `norms`, a reported row whose norm differs
/// from its cached one → [`KernelError::StaleNorms`], after the lists were written.
pub fn topk_quantized_float16(
    queries: &[f32],
    corpus: &[u16],
    shape: TopKShape,
    eps: f32,
    exclude_self: Option<i32>,
    norms: Option<&[f64]>,
    scratch: &mut [u8],
    indices: &mut [i32],
    scores: &mut [f32],
) -> Result<(), KernelError> {
    check_topk(
        mismatch(queries.len(), shape.queries, shape.depth),
        mismatch(corpus.len(), shape.corpus_rows, shape.depth),
        shape,
        exclude_self,
        scratch.len(),
        topk_quantized_scratch_len(StorageDtype::Float16, shape.queries, shape.depth),
        (indices.len(), scores.len()),
    )?;
    if norms.is_some_and(|norms| norms.len() != shape.corpus_rows) {
        return Err(KernelError::OutOfBounds);
    }
    if shape.k == 0 || shape.queries == 0 {
        return Ok(());
    }
    indices.fill(-1);
    scores.fill(f32::NEG_INFINITY);
    topk_half::<NativeF16x8>(queries, corpus, shape, eps, exclude_self, norms, scratch, Lists { scores: &mut *scores, indices: &mut *indices, k: shape.k });
    if let Some(norms) = norms {
        let depth = shape.depth;
        verify_reported(indices, |row| half_row_norm(&corpus[row * depth..(row + 1) * depth]).to_bits() == norms[row].to_bits())?;
    }
    Ok(())
}

/// Reorders one float32 query for the float16 kernels, scaled by `2^(112 − e)` where
/// `2^e ≤ ‖q‖ < 2^(e+1)` (so its values stay below 2¹¹³ and the kernels can multiply them
/// by unscaled decoded halves, see [`crate::lanes::F16x8::decode_even_odd_unscaled`]),
/// and returns its denominator factor `max(‖q‖, eps) · 2^(−e)` (NaN for a query holding
/// NaN or ±∞; a zero query is left as it is, factor `eps`).
fn prepare_half_query(query: &[f32], eps: f32, out: &mut [f32]) -> f64 {
    let norm = sqrt_f64(query.iter().map(|&value| f64::from(value) * f64::from(value)).sum());
    permute_even_odd(query, out);
    if !norm.is_finite() {
        return f64::NAN;
    }
    let clamped = clamp_min_f64(norm, f64::from(eps));
    if norm == 0.0 {
        return clamped;
    }
    // norm = 2^exponent · m with m in [1, 2); values times 2^(112 − exponent), in two exact
    // steps when that factor is not a normal float64 (it always is for float32 inputs,
    // whose norms lie within [2^-149, 2^134]).
    let exponent = ((norm.to_bits() >> 52) & 0x7FF) as i64 - 1023;
    let factor = f64::from_bits(((1023 + 112 - exponent) as u64) << 52);
    for value in out[..query.len()].iter_mut() {
        *value = (f64::from(*value) * factor) as f32;
    }
    clamped * f64::from_bits(((1023 - exponent) as u64) << 52)
}

/// The float16 score of a pair from its float32 dot (with the scaled query) and the two
/// denominator factors.
#[inline(always)]
fn half_score(dot: f32, query_factor: f64, row_factor: f64) -> f32 {
    (f64::from(dot) / (query_factor * row_factor)) as f32
}

/// A cached row norm clamped by eps (NaN stays NaN), as [`clamped_half_norm`] clamps the
/// search's own sums.
#[inline(always)]
fn clamped_cached_norm(norm: f64, eps: f32) -> f64 {
    clamp_min_f64(norm, f64::from(eps))
}

fn topk_half<H: F16x8>(
    queries: &[f32],
    corpus: &[u16],
    shape: TopKShape,
    eps: f32,
    exclude_self: Option<i32>,
    norms: Option<&[f64]>,
    scratch: &mut [u8],
    mut lists: Lists<'_>,
) {
    let TopKShape { queries: query_rows, corpus_rows, depth, .. } = shape;
    let block_capacity = query_rows.min(QUANTIZED_QUERY_BLOCK);
    let Some((prepared, rest)) = carve::<f32>(scratch, block_capacity * depth) else { return };
    let Some((tile_scores, rest)) = carve::<f32>(rest, block_capacity * QUANTIZED_CORPUS_TILE) else { return };
    let Some((decoded, rest)) = carve::<f32>(rest, depth) else { return };
    let Some((factors, _)) = carve::<f64>(rest, block_capacity) else { return };
    let corpus_row = |row: usize| &corpus[row * depth..(row + 1) * depth];
    for block_start in (0..query_rows).step_by(QUANTIZED_QUERY_BLOCK) {
        let block_length = QUANTIZED_QUERY_BLOCK.min(query_rows - block_start);
        for member in 0..block_length {
            let query = block_start + member;
            factors[member] = prepare_half_query(&queries[query * depth..(query + 1) * depth], eps, &mut prepared[member * depth..(member + 1) * depth]);
        }
        let grouped = block_length / QUERY_GROUP * QUERY_GROUP;
        for tile_start in (0..corpus_rows).step_by(QUANTIZED_CORPUS_TILE) {
            let tile_length = QUANTIZED_CORPUS_TILE.min(corpus_rows - tile_start);
            let prepared_row = |member: usize| &prepared[member * depth..(member + 1) * depth];
            if grouped > 0 {
                for offset in 0..tile_length {
                    let row = tile_start + offset;
                    let sums = half_decode_row::<H, true>(corpus_row(row), decoded);
                    let row_factor = match norms {
                        Some(norms) => clamped_cached_norm(norms[row], eps),
                        None => clamped_half_norm(sums, eps),
                    };
                    for group_start in (0..grouped).step_by(QUERY_GROUP) {
                        let members: [usize; QUERY_GROUP] = core::array::from_fn(|index| group_start + index);
                        let dots = f32_dot_even_odd::<H::Float, QUERY_GROUP>(members.map(prepared_row), decoded);
                        for (member, dot) in members.into_iter().zip(dots) {
                            tile_scores[member * QUANTIZED_CORPUS_TILE + offset] = half_score(dot, factors[member], row_factor);
                        }
                    }
                }
            }
            for member in 0..grouped {
                let query = block_start + member;
                let skip = self_row(query, exclude_self, corpus_rows);
                let (scores, indices) = lists.of(query);
                let row_scores = &tile_scores[member * QUANTIZED_CORPUS_TILE..member * QUANTIZED_CORPUS_TILE + tile_length];
                fold_tile::<Native>(row_scores, tile_start, skip, scores, indices);
            }
        }
        // The one-query members: the whole corpus after the tiles.
        for member in grouped..block_length {
            let query = block_start + member;
            let skip = self_row(query, exclude_self, corpus_rows);
            let (scores, indices) = lists.of(query);
            let query_values = &prepared[member * depth..(member + 1) * depth];
            half_one_query_streamed::<H>(query_values, factors[member], corpus, depth, corpus_rows, norms, eps, skip, scores, indices);
        }
    }
}

/// One query over the whole corpus: [`HALF_DOT_ROWS_PER_STEP`] rows per step, one from each
/// of as many parts of the corpus (memory streams, see [`crate::topk::streaming::STREAMS`]),
/// row norms from the cache or computed per row ([`half_row_sums`], the same bits), each
/// score offered when it can rank above the list's last entry (`>=`: rows do not come in
/// index order; `offer` orders equal scores by index).
fn half_one_query_streamed<H: F16x8>(
    query: &[f32],
    query_factor: f64,
    corpus: &[u16],
    depth: usize,
    corpus_rows: usize,
    norms: Option<&[f64]>,
    eps: f32,
    skip: Option<usize>,
    scores: &mut [f32],
    indices: &mut [i32],
) {
    let corpus_row = |row: usize| &corpus[row * depth..(row + 1) * depth];
    let last = scores.len() - 1;
    let consider = |dot: f32, row: usize, scores: &mut [f32], indices: &mut [i32]| {
        let row_factor = match norms {
            Some(norms) => clamped_cached_norm(norms[row], eps),
            None => clamped_half_norm(half_row_sums::<H>(corpus_row(row)), eps),
        };
        let score = half_score(dot, query_factor, row_factor);
        if skip != Some(row) && (indices[last] < 0 || score >= scores[last] || score.is_nan()) {
            offer(scores, indices, score, row as i32);
        }
    };
    let part = corpus_rows.div_ceil(HALF_DOT_ROWS_PER_STEP);
    for offset in 0..part {
        let rows: [usize; HALF_DOT_ROWS_PER_STEP] = core::array::from_fn(|stream| stream * part + offset);
        if rows[HALF_DOT_ROWS_PER_STEP - 1] < corpus_rows {
            let dots = half_dot_rows::<H, HALF_DOT_ROWS_PER_STEP>(query, rows.map(corpus_row));
            for (dot, row) in dots.into_iter().zip(rows) {
                consider(dot, row, scores, indices);
            }
        } else {
            for row in rows.into_iter().filter(|&row| row < corpus_rows) {
                let [dot] = half_dot_rows::<H, 1>(query, [corpus_row(row)]);
                consider(dot, row, scores, indices);
            }
        }
    }
}



#[cfg(test)]
#[path = "topk_tests.rs"]
mod tests;
