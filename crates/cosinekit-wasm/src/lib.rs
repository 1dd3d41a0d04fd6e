//! # cosinekit-wasm
//!
//! The C ABI of cosinekit for WebAssembly: every export turns pointers and lengths into
//! slices (after checking them), calls `cosinekit-core`, and returns a status code. No
//! kernel logic lives here. The TypeScript package is the binding: it owns the memory
//! views, validates shapes and arguments, and maps status codes to exceptions.
//!
//! Status codes: 0 success; 1–6 are `cosinekit_core::KernelError` codes; the codes of
//! [`AbiError`] reject pointers before any slice exists; [`ck_status_text`] describes each.
//! Pointers are byte addresses in the module's linear memory, at or above the heap base on
//! wasm32 (a non-empty region below it, over the stack or static data, is
//! [`AbiError::BadPointer`]); lengths count elements of the pointed type unless the name
//! says bytes.
//!
//! Exports (ABI version 5, [`ck_abi_version`]):
//! - build and constants: [`ck_abi_version`], [`ck_instruction_set`], [`ck_query_block`],
//!   [`ck_corpus_tile`], [`ck_tile_rows`], [`ck_tile_columns`], [`ck_max_rank`],
//!   [`ck_flag_clamp`], [`ck_flag_distance`], [`ck_status_non_finite`], [`ck_status_stale_norms`], [`ck_status_text`];
//! - cosine: [`ck_cosine_f32`], [`ck_cosine_rows_f32`] (contiguous `[rows, length]` operands),
//!   [`ck_cosine_pair_f32`], [`ck_cosine_pair_values_f32`], [`ck_normalize_f32`];
//! - matrices: [`ck_pairwise_scratch_floats`], [`ck_pairwise_cosine_f32`],
//!   [`ck_pairwise_self_rows_scratch_floats`], [`ck_pairwise_self_rows_f32`] (rows of the
//!   symmetric matrix of `a` with itself, for a worker pool), [`ck_mean_cosine_f32`];
//! - top-k: [`ck_topk_scratch_floats`], [`ck_topk_path`], [`ck_topk_cosine_f32`],
//!   [`ck_topk_merge_f32`];
//! - losses ([`losses`]): `ck_infonce_scratch_floats`, `ck_infonce_f32`, `ck_clip_scratch_floats`,
//!   `ck_clip_f32`, `ck_cosine_embedding_f32`, `ck_siglip_scratch_floats`,
//!   `ck_siglip_f32`, `ck_ranking_scratch_floats`, `ck_ranking_f32`, `ck_triplet_f32`,
//!   `ck_moco_scratch_floats`, `ck_moco_f32`, `ck_supcon_scratch_floats`, `ck_supcon_f32`;
//! - storage formats ([`quant_encode`], [`quant_score`]): `ck_storage_dtype`,
//!   `ck_quant_ranges_f32`, `ck_quantize_int8_f32`, `ck_binary_thresholds_f32`,
//!   `ck_quantize_binary_f32`, `ck_quantize_f16_f32`, `ck_decode_f16_f32`,
//!   `ck_rescore_scratch_floats`, `ck_rescore_f32`,
//!   `ck_quantized_norms_bytes`, `ck_quantized_norms`, `ck_topk_quantized_scratch_bytes`,
//!   `ck_topk_quantized`,
//!   `ck_pairwise_quantized_scratch_bytes`, `ck_pairwise_quantized`;
//! - memory (wasm32 only): `ck_alloc`, `ck_free`, `ck_heap_bytes_in_use`.
//!
//! Two builds of this crate ship per variant: the whole ABI (feature `full`, the default)
//! and the core module (`--no-default-features`: everything above but the losses and the
//! storage formats), which a page that uses neither loads instead. Both report the same ABI
//! version; the binding tells them apart by the exports present.

#![cfg_attr(target_arch = "wasm32", no_std)]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
// Kernels and C-ABI exports take every size and pointer explicitly; bundling them into
// structs would only move the argument lists elsewhere.
#![allow(clippy::too_many_arguments)]

pub mod alloc;
#[cfg(feature = "full")]
pub mod losses;
#[cfg(feature = "full")]
pub mod quant_encode;
#[cfg(feature = "full")]
pub mod quant_score;
pub mod raw;

use cosinekit_core::cosine::{CosineOptions, cosine_f32, cosine_pair_f32, cosine_rows_f32};
use cosinekit_core::gemm::{TILE_COLUMNS, TILE_ROWS};
use cosinekit_core::geometry::{Axes, MAX_RANK};
use cosinekit_core::normalize::{NormOrder, NormalizeLayout, normalize_f32, normalize_in_place_f32};
use cosinekit_core::pairwise::{
    PairwiseShape, mean_cosine_f32, pairwise_cosine_f32, pairwise_scratch_len, pairwise_self_rows_f32, pairwise_self_rows_scratch_len,
};
use cosinekit_core::topk::{CORPUS_TILE, QUERY_BLOCK, TopKPath, TopKShape, topk_cosine_f32, topk_merge_f32, topk_scratch_len};
use cosinekit_core::{INSTRUCTION_SET, KernelError};
use raw::{AbiError, Region, status, status_text};

/// Bit of `ck_cosine_f32`'s `flags`: clamp the similarity to [-1, 1].
pub const FLAG_CLAMP: u32 = 1;
/// Bit of `ck_cosine_f32`'s `flags`: return `1 − similarity`.
pub const FLAG_DISTANCE: u32 = 2;

/// The instruction set this module was built for: 0 scalar, 1 simd128, 2 relaxed-simd.
#[unsafe(no_mangle)]
pub extern "C" fn ck_instruction_set() -> u32 {
    INSTRUCTION_SET as u32
}

/// The status code of `KernelError::NonFinite` (a NaN or ±∞ where only finite values are
/// allowed), so the binding can name the offending operand without copying the code.
#[unsafe(no_mangle)]
pub extern "C" fn ck_status_non_finite() -> i32 {
    KernelError::NonFinite.code()
}

/// The status code of `KernelError::StaleNorms` (a quantised corpus's cached row norm that
/// no longer matches its row), so the binding can say that the tensor's rows changed.
#[unsafe(no_mangle)]
pub extern "C" fn ck_status_stale_norms() -> i32 {
    KernelError::StaleNorms.code()
}

/// ABI version, bumped whenever an export's signature or meaning changes; the TypeScript
/// loader refuses a module whose version it does not know.
#[unsafe(no_mangle)]
pub extern "C" fn ck_abi_version() -> u32 {
    5
}

/// Query rows per block of `ck_topk_cosine_f32` (`cosinekit_core::topk::QUERY_BLOCK`).
#[unsafe(no_mangle)]
pub extern "C" fn ck_query_block() -> u32 {
    QUERY_BLOCK as u32
}

/// Corpus rows per tile of `ck_topk_cosine_f32` (`cosinekit_core::topk::CORPUS_TILE`).
#[unsafe(no_mangle)]
pub extern "C" fn ck_corpus_tile() -> u32 {
    CORPUS_TILE as u32
}

/// Rows of A per micro-tile of the packed product (`cosinekit_core::gemm::TILE_ROWS`).
#[unsafe(no_mangle)]
pub extern "C" fn ck_tile_rows() -> u32 {
    TILE_ROWS as u32
}

/// Rows of B per micro-tile of the packed product (`cosinekit_core::gemm::TILE_COLUMNS`).
#[unsafe(no_mangle)]
pub extern "C" fn ck_tile_columns() -> u32 {
    TILE_COLUMNS as u32
}

/// The most axes a geometry may have, kept or reduced (`cosinekit_core::geometry::MAX_RANK`).
#[unsafe(no_mangle)]
pub extern "C" fn ck_max_rank() -> u32 {
    MAX_RANK as u32
}

/// [`FLAG_CLAMP`], the bit of `ck_cosine_f32`'s `flags` that clamps to [-1, 1].
#[unsafe(no_mangle)]
pub extern "C" fn ck_flag_clamp() -> u32 {
    FLAG_CLAMP
}

/// [`FLAG_DISTANCE`], the bit of `ck_cosine_f32`'s `flags` that returns `1 − similarity`.
#[unsafe(no_mangle)]
pub extern "C" fn ck_flag_distance() -> u32 {
    FLAG_DISTANCE
}

/// Copies the UTF-8 text describing status `code` (a noun phrase such as "a bad pointer")
/// to `out_pointer`: its first `min(length, capacity)` bytes, no terminator. Returns the
/// text's full length in bytes, so a call with `capacity` 0 (any pointer) sizes the buffer
/// and a result above `capacity` means the copy was cut short. Returns 0, copying nothing,
/// for 0 (success), for an unknown code, and when the output region is invalid.
#[unsafe(no_mangle)]
pub extern "C" fn ck_status_text(code: i32, out_pointer: usize, capacity: usize) -> usize {
    let Some(text) = status_text(code) else { return 0 };
    let copied = text.len().min(capacity);
    let Ok(out) = Region::of_u8(out_pointer, copied) else { return 0 };
    // SAFETY: the region was checked (non-null, inside memory, no overflow) and this is the
    // only borrow of it; the text is static data (below the heap base on wasm32), never
    // part of a region a caller may pass.
    let out = unsafe { out.as_u8_slice_mut() };
    out.copy_from_slice(&text.as_bytes()[..copied]);
    text.len()
}

/// Reads `rank` extents and two stride lists (`3·rank` u32 values) starting at `words`.
fn read_axes(words: &[u32], rank: usize, storage: &mut [[usize; MAX_RANK]; 3]) -> Result<(), KernelError> {
    if rank > MAX_RANK || words.len() != 3 * rank {
        return Err(KernelError::RankTooLarge);
    }
    for list in 0..3 {
        for axis in 0..rank {
            storage[list][axis] = words[list * rank + axis] as usize;
        }
    }
    Ok(())
}

/// Cosine similarity (or distance) of two strided operands; see
/// `cosinekit_core::cosine::cosine_f32`.
///
/// `geometry` holds `3·(kept_rank + reduced_rank)` u32 values: kept extents, the first
/// operand's kept strides, the second's, then the same three lists for the reduced axes
/// (strides in elements, 0 for broadcast). `flags`: [`FLAG_CLAMP`] | [`FLAG_DISTANCE`].
/// The output may not overlap either input (status [`AbiError::Overlap`]); the inputs may
/// overlap each other.
#[unsafe(no_mangle)]
pub extern "C" fn ck_cosine_f32(
    first_pointer: usize,
    first_length: usize,
    second_pointer: usize,
    second_length: usize,
    geometry_pointer: usize,
    kept_rank: usize,
    reduced_rank: usize,
    eps: f32,
    flags: u32,
    output_pointer: usize,
    output_length: usize,
) -> i32 {
    status((|| {
        let first = Region::of_f32(first_pointer, first_length)?;
        let second = Region::of_f32(second_pointer, second_length)?;
        let output = Region::of_f32(output_pointer, output_length)?;
        let word_count = kept_rank.checked_add(reduced_rank).and_then(|rank| rank.checked_mul(3)).ok_or(AbiError::BadLength)?;
        let geometry = Region::of_u32(geometry_pointer, word_count)?;
        if output.overlaps(&first) || output.overlaps(&second) || output.overlaps(&geometry) {
            return Err(AbiError::Overlap.code());
        }
        // SAFETY: each region was checked to be non-null, aligned, inside linear memory
        // and free of address overflow, and the output region overlaps none of the three
        // read-only regions, so the one exclusive borrow aliases no shared borrow.
        let (first, second, geometry, output) = unsafe {
            (first.as_f32_slice(), second.as_f32_slice(), geometry.as_u32_slice(), output.as_f32_slice_mut())
        };
        let mut kept_lists = [[0usize; MAX_RANK]; 3];
        let mut reduced_lists = [[0usize; MAX_RANK]; 3];
        read_axes(&geometry[..3 * kept_rank], kept_rank, &mut kept_lists).map_err(KernelError::code)?;
        read_axes(&geometry[3 * kept_rank..], reduced_rank, &mut reduced_lists).map_err(KernelError::code)?;
        let kept = Axes {
            extents: &kept_lists[0][..kept_rank],
            first_strides: &kept_lists[1][..kept_rank],
            second_strides: &kept_lists[2][..kept_rank],
        };
        let reduced = Axes {
            extents: &reduced_lists[0][..reduced_rank],
            first_strides: &reduced_lists[1][..reduced_rank],
            second_strides: &reduced_lists[2][..reduced_rank],
        };
        let options = CosineOptions { eps, clamp: flags & FLAG_CLAMP != 0, distance: flags & FLAG_DISTANCE != 0 };
        cosine_f32(first, second, &kept, &reduced, &options, output).map_err(KernelError::code)
    })())
}

/// The cosine similarity of one pair of `length`-element vectors: `first · second /
/// (max(‖first‖, eps) · max(‖second‖, eps))`, bit for bit what `ck_cosine_f32` gives for
/// the same row without flags (see `cosinekit_core::cosine::cosine_pair_f32`); 0 for
/// `length` 0. There is no status: when either region is invalid (null, misaligned,
/// outside memory, a byte length that overflows) the result is NaN, which a valid pair can
/// also give (NaN in the input), so callers validate first. The inputs may overlap.
#[unsafe(no_mangle)]
pub extern "C" fn ck_cosine_pair_f32(first_pointer: usize, second_pointer: usize, length: usize, eps: f32) -> f32 {
    let (Ok(first), Ok(second)) = (Region::of_f32(first_pointer, length), Region::of_f32(second_pointer, length)) else {
        return f32::NAN;
    };
    // SAFETY: both regions were checked (non-null, aligned, inside memory, no overflow);
    // both borrows are shared and nothing is written during the call.
    let (first, second) = unsafe { (first.as_f32_slice(), second.as_f32_slice()) };
    cosine_pair_f32(first, second, eps)
}

/// [`ck_cosine_pair_f32`] for two vectors of at most eight elements passed by value: the
/// first `length` of `a0..a7` and of `b0..b7` are the vectors (the rest are ignored), and the
/// result is bit for bit `ck_cosine_pair_f32` of the same elements in memory (the same
/// `cosine_pair_f32` reads the same float32 values, here from the stack). A caller moves
/// sixteen floats into a call's arguments faster than into memory, which is most of a short
/// pair's cost. NaN when `length` exceeds eight (no status, as for `ck_cosine_pair_f32`).
#[unsafe(no_mangle)]
pub extern "C" fn ck_cosine_pair_values_f32(
    length: usize,
    a0: f32,
    a1: f32,
    a2: f32,
    a3: f32,
    a4: f32,
    a5: f32,
    a6: f32,
    a7: f32,
    b0: f32,
    b1: f32,
    b2: f32,
    b3: f32,
    b4: f32,
    b5: f32,
    b6: f32,
    b7: f32,
    eps: f32,
) -> f32 {
    let first = [a0, a1, a2, a3, a4, a5, a6, a7];
    let second = [b0, b1, b2, b3, b4, b5, b6, b7];
    match (first.get(..length), second.get(..length)) {
        (Some(first), Some(second)) => cosine_pair_f32(first, second, eps),
        _ => f32::NAN,
    }
}

/// Row-wise cosine of two contiguous `[rows, length]` operands into `output` (`rows`
/// values): the layout of most calls, without geometry words; bit for bit what
/// `ck_cosine_f32` writes for it (see `cosinekit_core::cosine::cosine_rows_f32`). `flags` as
/// for `ck_cosine_f32`. The output may not overlap either input ([`AbiError::Overlap`]).
#[unsafe(no_mangle)]
pub extern "C" fn ck_cosine_rows_f32(
    first_pointer: usize,
    second_pointer: usize,
    rows: usize,
    length: usize,
    eps: f32,
    flags: u32,
    output_pointer: usize,
) -> i32 {
    status((|| {
        let count = rows.checked_mul(length).ok_or(AbiError::BadLength)?;
        let first = Region::of_f32(first_pointer, count)?;
        let second = Region::of_f32(second_pointer, count)?;
        let output = Region::of_f32(output_pointer, rows)?;
        check_disjoint(&[&output], &[&first, &second])?;
        // SAFETY: the three regions were checked (non-null, aligned, inside memory, no
        // overflow) and the written one overlaps neither input.
        let (first, second, output) = unsafe { (first.as_f32_slice(), second.as_f32_slice(), output.as_f32_slice_mut()) };
        let options = CosineOptions { eps, clamp: flags & FLAG_CLAMP != 0, distance: flags & FLAG_DISTANCE != 0 };
        cosine_rows_f32(first, second, length, &options, output).map_err(KernelError::code)
    })())
}

/// `x / max(‖x‖ₚ, eps)` over the middle axis of a contiguous `[outer, reduced, inner]`
/// array; `order_code` is 1, 2, or 0 for ∞. In place when `output_pointer ==
/// input_pointer`; any other overlap is rejected ([`AbiError::Overlap`]).
#[unsafe(no_mangle)]
pub extern "C" fn ck_normalize_f32(
    input_pointer: usize,
    output_pointer: usize,
    outer: usize,
    reduced: usize,
    inner: usize,
    order_code: u32,
    eps: f32,
) -> i32 {
    status((|| {
        let layout = NormalizeLayout { outer, reduced, inner };
        let order = NormOrder::from_code(order_code).map_err(KernelError::code)?;
        let count = layout.element_count().ok_or(AbiError::BadLength.code())?;
        let input = Region::of_f32(input_pointer, count)?;
        let output = Region::of_f32(output_pointer, count)?;
        if input_pointer == output_pointer {
            // SAFETY: the region was checked (non-null, aligned, in memory, no overflow)
            // and this is the only borrow of it.
            let data = unsafe { output.as_f32_slice_mut() };
            return normalize_in_place_f32(data, layout, order, eps).map_err(KernelError::code);
        }
        if output.overlaps(&input) {
            return Err(AbiError::Overlap.code());
        }
        // SAFETY: both regions were checked and do not overlap, so the shared and the
        // exclusive borrow are disjoint.
        let (input, output) = unsafe { (input.as_f32_slice(), output.as_f32_slice_mut()) };
        normalize_f32(input, output, layout, order, eps).map_err(KernelError::code)
    })())
}

/// Checks that no region of `writes` overlaps another region of `writes` or any of `reads`.
fn check_disjoint(writes: &[&Region], reads: &[&Region]) -> Result<(), i32> {
    for (index, written) in writes.iter().enumerate() {
        let clash = writes[index + 1..].iter().chain(reads).any(|other| written.overlaps(other));
        if clash {
            return Err(AbiError::Overlap.code());
        }
    }
    Ok(())
}

/// Floats of scratch `ck_pairwise_cosine_f32` needs (0 when the sizes overflow).
#[unsafe(no_mangle)]
pub extern "C" fn ck_pairwise_scratch_floats(a_rows: usize, b_rows: usize, depth: usize) -> usize {
    pairwise_scratch_len(a_rows, b_rows, depth).unwrap_or(0)
}

/// `out[b][i][j] = scale · cos(a[b][i], b[b][j])`: `a` is `[batch, a_rows, depth]`, `b` is
/// `[batch, b_rows, depth]` (may be the same memory as `a`), `out` `[batch, a_rows,
/// b_rows]`; `scratch` holds `ck_pairwise_scratch_floats` floats. `out` and `scratch` must
/// not overlap each other or the inputs.
#[unsafe(no_mangle)]
pub extern "C" fn ck_pairwise_cosine_f32(
    a_pointer: usize,
    b_pointer: usize,
    batch: usize,
    a_rows: usize,
    b_rows: usize,
    depth: usize,
    eps: f32,
    scale: f32,
    out_pointer: usize,
    scratch_pointer: usize,
    scratch_floats: usize,
) -> i32 {
    status((|| {
        let shape = PairwiseShape { batch, a_rows, b_rows, depth };
        let count = |rows: usize| batch.checked_mul(rows).and_then(|total| total.checked_mul(depth)).ok_or(AbiError::BadLength);
        let a = Region::of_f32(a_pointer, count(a_rows)?)?;
        let b = Region::of_f32(b_pointer, count(b_rows)?)?;
        let out_count = batch.checked_mul(a_rows).and_then(|total| total.checked_mul(b_rows)).ok_or(AbiError::BadLength)?;
        let out = Region::of_f32(out_pointer, out_count)?;
        let scratch = Region::of_f32(scratch_pointer, scratch_floats)?;
        check_disjoint(&[&out, &scratch], &[&a, &b])?;
        // SAFETY: all four regions were checked (non-null, aligned, inside memory, no
        // overflow); the two written regions overlap neither each other nor the inputs.
        let (a, b, out, scratch) = unsafe { (a.as_f32_slice(), b.as_f32_slice(), out.as_f32_slice_mut(), scratch.as_f32_slice_mut()) };
        pairwise_cosine_f32(a, b, shape, eps, scale, out, scratch).map_err(KernelError::code)
    })())
}

/// Floats of scratch `ck_pairwise_self_rows_f32` needs for rows `[row_start, row_start +
/// row_count)` of the `rows × rows` matrix (0 when those rows are not inside `[0, rows)`
/// or the sizes overflow; also 0, correctly, for no rows).
#[unsafe(no_mangle)]
pub extern "C" fn ck_pairwise_self_rows_scratch_floats(rows: usize, depth: usize, row_start: usize, row_count: usize) -> usize {
    pairwise_self_rows_scratch_len(rows, depth, row_start, row_count).unwrap_or(0)
}

/// Rows `[row_start, row_start + row_count)` of the matrix `ck_pairwise_cosine_f32` gives
/// for `a` `[rows, depth]` with itself (`b_pointer == a_pointer`, batch 1), bit for bit for
/// every scale, into `out` `[row_count, rows]`: the chunks of any split of the rows
/// concatenate to that matrix (see `cosinekit_core::pairwise::pairwise_self_rows_f32`).
/// `scratch` holds `ck_pairwise_self_rows_scratch_floats` floats. Rows outside `[0, rows)`
/// or too little scratch is `KernelError::InvalidArgument`. `out` and `scratch` must not
/// overlap each other or `a`.
#[unsafe(no_mangle)]
pub extern "C" fn ck_pairwise_self_rows_f32(
    a_pointer: usize,
    rows: usize,
    depth: usize,
    row_start: usize,
    row_count: usize,
    eps: f32,
    scale: f32,
    out_pointer: usize,
    scratch_pointer: usize,
    scratch_floats: usize,
) -> i32 {
    status((|| {
        let a = Region::of_f32(a_pointer, rows.checked_mul(depth).ok_or(AbiError::BadLength)?)?;
        let out = Region::of_f32(out_pointer, row_count.checked_mul(rows).ok_or(AbiError::BadLength)?)?;
        let scratch = Region::of_f32(scratch_pointer, scratch_floats)?;
        check_disjoint(&[&out, &scratch], &[&a])?;
        // SAFETY: the three regions were checked (non-null, aligned, inside memory, no
        // overflow); the two written regions overlap neither each other nor the input.
        let (a, out, scratch) = unsafe { (a.as_f32_slice(), out.as_f32_slice_mut(), scratch.as_f32_slice_mut()) };
        pairwise_self_rows_f32(a, rows, depth, row_start, row_count, eps, scale, out, scratch).map_err(KernelError::code)
    })())
}

/// The mean of the cosine matrix of `a` `[a_rows, depth]` and `b` `[b_rows, depth]` (of
/// `a` with itself when `b_pointer` is 0), written as one f64 to `result_pointer`;
/// `sums_pointer` is f64 scratch of `2·depth` entries.
#[unsafe(no_mangle)]
pub extern "C" fn ck_mean_cosine_f32(
    a_pointer: usize,
    a_rows: usize,
    b_pointer: usize,
    b_rows: usize,
    depth: usize,
    eps: f32,
    sums_pointer: usize,
    result_pointer: usize,
) -> i32 {
    status((|| {
        let a = Region::of_f32(a_pointer, a_rows.checked_mul(depth).ok_or(AbiError::BadLength)?)?;
        let b = if b_pointer == 0 { None } else { Some(Region::of_f32(b_pointer, b_rows.checked_mul(depth).ok_or(AbiError::BadLength)?)?) };
        let sums = Region::of_f64(sums_pointer, depth.checked_mul(2).ok_or(AbiError::BadLength)?)?;
        let result = Region::of_f64(result_pointer, 1)?;
        let empty = Region::of_f32(0, 0)?;
        check_disjoint(&[&sums, &result], &[&a, b.as_ref().unwrap_or(&empty)])?;
        // SAFETY: every region was checked; the written regions (sums, result) overlap
        // neither each other nor the inputs.
        let (a, b, sums, result) = unsafe {
            (a.as_f32_slice(), b.map(|region| region.as_f32_slice()), sums.as_f64_slice_mut(), result.as_f64_slice_mut())
        };
        result[0] = mean_cosine_f32(a, a_rows, b.map(|values| (values, b_rows)), depth, eps, sums).map_err(KernelError::code)?;
        Ok(())
    })())
}

/// Floats of scratch `ck_topk_cosine_f32` needs (independent of the corpus size), on either
/// path.
#[unsafe(no_mangle)]
pub extern "C" fn ck_topk_scratch_floats(queries: usize, depth: usize) -> usize {
    topk_scratch_len(queries, depth).unwrap_or(0)
}

/// The path `ck_topk_cosine_f32` with `path` 0 (auto) takes for `query_rows` queries: 1
/// packed, 2 streaming. A pool splitting one call into chunks asks it for the whole call
/// and passes the answer to every chunk.
#[unsafe(no_mangle)]
pub extern "C" fn ck_topk_path(query_rows: usize) -> u32 {
    TopKPath::Auto.resolve(query_rows) as u32
}

/// The `k` most similar corpus rows for each query row: `indices` (i32) and `scores` are
/// `[queries, k]`, sorted by score descending, NaN first, ties by lower index.
/// `path`: 0 auto (streaming up to `cosinekit_core::topk::STREAMING_MAX_QUERIES` queries, else packed), 1 packed, 2
/// streaming; any other value is `KernelError::InvalidArgument`. The two paths round
/// differently; each query row's result depends only on that row, the corpus, eps, the
/// path and its skipped row, so chunks of the queries run on the path of the whole call
/// ([`ck_topk_path`]), with `self_offset` moved by the chunk's start, reproduce the whole
/// call bit for bit.
/// `exclude_self` ≠ 0: query row q skips corpus row `q + self_offset` when that is in
/// `[0, corpus_rows)`, nothing otherwise (`self_offset` is ignored when `exclude_self` is
/// 0). With `exclude_self`, `k ≤ corpus_rows − 1` whatever the offset; `query_rows` may
/// exceed `corpus_rows` (see `cosinekit_core::topk::topk_cosine_f32`).
#[unsafe(no_mangle)]
pub extern "C" fn ck_topk_cosine_f32(
    queries_pointer: usize,
    query_rows: usize,
    corpus_pointer: usize,
    corpus_rows: usize,
    depth: usize,
    k: usize,
    eps: f32,
    exclude_self: u32,
    self_offset: i32,
    path: u32,
    indices_pointer: usize,
    scores_pointer: usize,
    scratch_pointer: usize,
    scratch_floats: usize,
) -> i32 {
    status((|| {
        let path = TopKPath::from_code(path).map_err(KernelError::code)?;
        let shape = TopKShape { queries: query_rows, corpus_rows, depth, k };
        let queries = Region::of_f32(queries_pointer, query_rows.checked_mul(depth).ok_or(AbiError::BadLength)?)?;
        let corpus = Region::of_f32(corpus_pointer, corpus_rows.checked_mul(depth).ok_or(AbiError::BadLength)?)?;
        let result_count = query_rows.checked_mul(k).ok_or(AbiError::BadLength)?;
        let indices = Region::of_i32(indices_pointer, result_count)?;
        let scores = Region::of_f32(scores_pointer, result_count)?;
        let scratch = Region::of_f32(scratch_pointer, scratch_floats)?;
        check_disjoint(&[&indices, &scores, &scratch], &[&queries, &corpus])?;
        // SAFETY: every region was checked; the three written regions overlap neither each
        // other nor the inputs.
        let (queries, corpus, indices, scores, scratch) = unsafe {
            (queries.as_f32_slice(), corpus.as_f32_slice(), indices.as_i32_slice_mut(), scores.as_f32_slice_mut(), scratch.as_f32_slice_mut())
        };
        let exclude_self = (exclude_self != 0).then_some(self_offset);
        topk_cosine_f32(queries, corpus, shape, eps, exclude_self, path, scratch, indices, scores).map_err(KernelError::code)
    })())
}

/// Merges `lists` top-k results: `indices_pointer` (i32) and `scores_pointer` hold
/// `[lists, queries, list_length]` entries (index −1 = empty slot), `offsets_pointer` one
/// i32 per list added to its indices; writes the best `k` per query, `[queries, k]`, to
/// `out_indices_pointer` (i32, global indices) and `out_scores_pointer`, in the order of
/// `ck_topk_cosine_f32`. Fewer than `k` non-empty entries for a query, an index below −1
/// or a global index outside `[0, i32::MAX]` is `KernelError::InvalidArgument`, before
/// anything is written (see `cosinekit_core::topk::topk_merge_f32`). The outputs may not
/// overlap each other or the inputs.
#[unsafe(no_mangle)]
pub extern "C" fn ck_topk_merge_f32(
    indices_pointer: usize,
    scores_pointer: usize,
    lists: usize,
    queries: usize,
    list_length: usize,
    offsets_pointer: usize,
    k: usize,
    exclude_self: u32,
    out_indices_pointer: usize,
    out_scores_pointer: usize,
) -> i32 {
    status((|| {
        let entry_count = lists.checked_mul(queries).and_then(|rows| rows.checked_mul(list_length)).ok_or(AbiError::BadLength)?;
        let list_indices = Region::of_i32(indices_pointer, entry_count)?;
        let list_scores = Region::of_f32(scores_pointer, entry_count)?;
        let offsets = Region::of_i32(offsets_pointer, lists)?;
        let result_count = queries.checked_mul(k).ok_or(AbiError::BadLength)?;
        let out_indices = Region::of_i32(out_indices_pointer, result_count)?;
        let out_scores = Region::of_f32(out_scores_pointer, result_count)?;
        check_disjoint(&[&out_indices, &out_scores], &[&list_indices, &list_scores, &offsets])?;
        // SAFETY: every region was checked (non-null, aligned, inside memory, no overflow);
        // the two written regions overlap neither each other nor the three inputs.
        let (list_indices, list_scores, offsets, out_indices, out_scores) = unsafe {
            (list_indices.as_i32_slice(), list_scores.as_f32_slice(), offsets.as_i32_slice(), out_indices.as_i32_slice_mut(), out_scores.as_f32_slice_mut())
        };
        topk_merge_f32(list_indices, list_scores, lists, queries, list_length, offsets, k, exclude_self != 0, out_indices, out_scores).map_err(KernelError::code)
    })())
}

/// Allocates `byte_count` bytes, 16-byte aligned; returns 0 when memory cannot grow
/// enough (nothing already allocated is affected).
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn ck_alloc(byte_count: usize) -> usize {
    raw::with_heap(|heap| heap.alloc(byte_count).map_or(0, |pointer| pointer.as_ptr() as usize))
}

/// Frees a block from [`ck_alloc`]; 0 is ignored.
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn ck_free(pointer: usize) {
    // SAFETY: the heap's contract: `pointer` came from ck_alloc and is freed once. The
    // heap also ignores pointers whose header is not marked in use (see alloc/mod.rs).
    raw::with_heap(|heap| unsafe { heap.free(pointer as *mut u8) })
}

/// Bytes currently allocated (for leak tests).
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn ck_heap_bytes_in_use() -> usize {
    raw::with_heap(|heap| heap.bytes_in_use())
}

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

// The native tests exercise every export: they need the whole ABI.
#[cfg(all(test, feature = "full"))]
mod tests;
