//! C-ABI exports of the quantised scoring kernels: top-k over a quantised corpus and
//! quantised pairwise matrices (`cosinekit_core::quant::{topk, score}`). Pointers are byte
//! addresses; `dtype` is a `StorageDtype` code (1 float16, 2 int8, 3 uint8, 4 binary,
//! 5 ubinary; anything else is `KernelError::InvalidArgument`); `depth` is D in dimensions
//! (bits for binary/ubinary, which must be a multiple of 8, else `InvalidArgument`).
//! Scratch is plain bytes with no alignment requirement. Status: 0, a `KernelError` code,
//! or an `AbiError` code.

use crate::check_disjoint;
use crate::raw::{AbiError, Region, status};
use cosinekit_core::KernelError;
use cosinekit_core::quant::StorageDtype;
use cosinekit_core::quant::score::{QuantizedPairwiseShape, pairwise_quantized_codes_f32, pairwise_quantized_float16_f32, pairwise_quantized_scratch_len};
use cosinekit_core::quant::topk::{CodeRowNorms, code_row_norms, half_row_norms, has_row_norms, topk_quantized_codes, topk_quantized_float16, topk_quantized_scratch_len};
use cosinekit_core::topk::TopKShape;

fn dtype_of(code: u32) -> Result<StorageDtype, i32> {
    StorageDtype::from_code(code).ok_or(KernelError::InvalidArgument.code())
}

/// Storage elements per row (u16 words for float16, bytes otherwise), or the error code.
fn row_elements(dtype: StorageDtype, depth: usize) -> Result<usize, i32> {
    dtype.row_elements(depth).ok_or(KernelError::InvalidArgument.code())
}

/// A region of `rows` rows of `dtype` storage (u16 words for float16, bytes otherwise).
fn storage_region(dtype: StorageDtype, pointer: usize, rows: usize, per_row: usize) -> Result<Region, i32> {
    let count = rows.checked_mul(per_row).ok_or(AbiError::BadLength)?;
    Ok(if dtype == StorageDtype::Float16 { Region::of_u16(pointer, count)? } else { Region::of_u8(pointer, count)? })
}

/// Bytes of the cached per-row norms of a corpus of `rows` rows of `depth` dimensions in
/// `dtype` (`ck_quantized_norms` fills them, `ck_topk_quantized` reads them): 8 per row
/// for int8/uint8 with `0 < depth ≤ 65 536` (an i32 squared norm per row, then an f32
/// inverse root per row) and for float16 (an f64 norm per row); 0 when the corpus has no
/// cached norms (binary, ubinary, other int8 depths), the dtype is unknown or sizes overflow.
#[unsafe(no_mangle)]
pub extern "C" fn ck_quantized_norms_bytes(dtype: u32, rows: usize, depth: usize) -> usize {
    match StorageDtype::from_code(dtype) {
        Some(dtype) if dtype.row_elements(depth).is_some() && has_row_norms(dtype, depth) => rows.checked_mul(8).unwrap_or(0),
        _ => 0,
    }
}

/// The cached norms of `rows` rows of `dtype` at `data` into `norms` (8-byte aligned,
/// `ck_quantized_norms_bytes` bytes, overlapping nothing it reads), by the search's own
/// kernels (`cosinekit_core::quant::topk::{code_row_norms, half_row_norms}`).
#[unsafe(no_mangle)]
pub extern "C" fn ck_quantized_norms(dtype: u32, data_pointer: usize, rows: usize, depth: usize, norms_pointer: usize) -> i32 {
    status((|| {
        let dtype = dtype_of(dtype)?;
        let per_row = row_elements(dtype, depth)?;
        if !has_row_norms(dtype, depth) {
            return Err(KernelError::InvalidArgument.code());
        }
        let data = storage_region(dtype, data_pointer, rows, per_row)?;
        if dtype == StorageDtype::Float16 {
            let norms = Region::of_f64(norms_pointer, rows)?;
            check_disjoint(&[&norms], &[&data])?;
            // SAFETY: both regions were checked (non-null, aligned, inside memory); the
            // written one overlaps the read one nowhere; `data` came from of_u16.
            let (data, norms) = unsafe { (data.as_u16_slice(), norms.as_f64_slice_mut()) };
            half_row_norms(data, depth, norms).map_err(KernelError::code)
        } else {
            let (squared, inverse) = code_norm_regions(norms_pointer, rows)?;
            check_disjoint(&[&squared, &inverse], &[&data])?;
            // SAFETY: as above (the two written regions are consecutive, not overlapping);
            // `data` came from of_u8.
            let (data, squared, inverse) = unsafe { (data.as_u8_slice(), squared.as_i32_slice_mut(), inverse.as_f32_slice_mut()) };
            code_row_norms(dtype, data, depth, squared, inverse).map_err(KernelError::code)
        }
    })())
}

/// The two halves of an int8/uint8 norm cache at `pointer`: `rows` i32 squared norms, then
/// `rows` f32 inverse roots.
fn code_norm_regions(pointer: usize, rows: usize) -> Result<(Region, Region), i32> {
    let squared = Region::of_i32(pointer, rows)?;
    let inverse = Region::of_f32(pointer.checked_add(rows.checked_mul(4).ok_or(AbiError::BadLength)?).ok_or(AbiError::BadLength)?, rows)?;
    Ok((squared, inverse))
}

/// Bytes of scratch `ck_topk_quantized` needs for `query_rows` queries of `depth`
/// dimensions in `dtype` (independent of the corpus size; 0 when the dtype is unknown, the
/// binary depth is not a multiple of 8, or sizes overflow).
#[unsafe(no_mangle)]
pub extern "C" fn ck_topk_quantized_scratch_bytes(dtype: u32, query_rows: usize, depth: usize) -> usize {
    StorageDtype::from_code(dtype).and_then(|dtype| topk_quantized_scratch_len(dtype, query_rows, depth)).unwrap_or(0)
}

/// The `k` best corpus rows for each query by quantised cosine
/// (`cosinekit_core::quant::topk`): `indices` (i32) and `scores` (f32) `[query_rows, k]`,
/// sorted by score descending, NaN first, ties by lower index.
///
/// `queries`: for float16, float32 values `[query_rows, depth]` (4-byte aligned) against a
/// corpus of binary16 words `[corpus_rows, depth]` (2-byte aligned); for int8, uint8,
/// binary and ubinary, rows of that same dtype (`depth` bytes, `depth / 8` for the bit
/// dtypes) for both. `eps` clamps each norm (float16 only; integer norms are never
/// clamped). `exclude_self` ≠ 0: query q skips corpus row `q + self_offset` when that is in
/// `[0, corpus_rows)`; then `k ≤ corpus_rows − 1`, else `k ≤ corpus_rows`. Each query's
/// result depends only on that query and the corpus rows, so query chunks (offset moved by
/// the chunk start) and corpus slices merged by `ck_topk_merge_f32` reproduce it bit for
/// bit. `norms_pointer`: the corpus's cached norms (`ck_quantized_norms`), or 0 to compute
/// them in the search (same results); with them, a reported row whose norm no longer
/// matches its cached one fails with `KernelError::StaleNorms` (the outputs then hold the
/// lists found). The outputs and scratch (`scratch_bytes` ≥
/// `ck_topk_quantized_scratch_bytes`) may overlap neither each other nor the inputs.
#[unsafe(no_mangle)]
pub extern "C" fn ck_topk_quantized(
    dtype: u32,
    queries_pointer: usize,
    query_rows: usize,
    corpus_pointer: usize,
    corpus_rows: usize,
    depth: usize,
    k: usize,
    eps: f32,
    exclude_self: u32,
    self_offset: i32,
    norms_pointer: usize,
    indices_pointer: usize,
    scores_pointer: usize,
    scratch_pointer: usize,
    scratch_bytes: usize,
) -> i32 {
    status((|| {
        let dtype = dtype_of(dtype)?;
        let per_row = row_elements(dtype, depth)?;
        if norms_pointer != 0 && !has_row_norms(dtype, depth) {
            return Err(KernelError::InvalidArgument.code());
        }
        let queries = if dtype == StorageDtype::Float16 {
            Region::of_f32(queries_pointer, query_rows.checked_mul(depth).ok_or(AbiError::BadLength)?)?
        } else {
            storage_region(dtype, queries_pointer, query_rows, per_row)?
        };
        let corpus = storage_region(dtype, corpus_pointer, corpus_rows, per_row)?;
        let result_count = query_rows.checked_mul(k).ok_or(AbiError::BadLength)?;
        let indices = Region::of_i32(indices_pointer, result_count)?;
        let scores = Region::of_f32(scores_pointer, result_count)?;
        let scratch = Region::of_u8(scratch_pointer, scratch_bytes)?;
        check_disjoint(&[&indices, &scores, &scratch], &[&queries, &corpus])?;
        let half_norms = if norms_pointer != 0 && dtype == StorageDtype::Float16 { Some(Region::of_f64(norms_pointer, corpus_rows)?) } else { None };
        let code_norms = if norms_pointer != 0 && dtype != StorageDtype::Float16 { Some(code_norm_regions(norms_pointer, corpus_rows)?) } else { None };
        for norms in half_norms.iter().chain(code_norms.iter().flat_map(|(squared, inverse)| [squared, inverse])) {
            check_disjoint(&[&indices, &scores, &scratch], &[norms])?;
        }
        let shape = TopKShape { queries: query_rows, corpus_rows, depth, k };
        let exclude_self = (exclude_self != 0).then_some(self_offset);
        // SAFETY: every region was checked (non-null, aligned for its type, inside memory,
        // no overflow); the three written regions overlap neither each other nor the two
        // read-only inputs.
        let (indices, scores, scratch) = unsafe { (indices.as_i32_slice_mut(), scores.as_f32_slice_mut(), scratch.as_u8_slice_mut()) };
        let result = if dtype == StorageDtype::Float16 {
            // SAFETY: as above; `queries` came from of_f32 and `corpus` from of_u16.
            let (queries, corpus) = unsafe { (queries.as_f32_slice(), corpus.as_u16_slice()) };
            // SAFETY: checked by of_f64 and disjoint from the written regions (read only).
            let norms = half_norms.as_ref().map(|norms| unsafe { norms.as_f64_slice() });
            topk_quantized_float16(queries, corpus, shape, eps, exclude_self, norms, scratch, indices, scores)
        } else {
            // SAFETY: as above; both came from of_u8.
            let (queries, corpus) = unsafe { (queries.as_u8_slice(), corpus.as_u8_slice()) };
            // SAFETY: checked by of_i32 / of_f32 and disjoint from the written regions (read only).
            let norms = code_norms.as_ref().map(|(squared, inverse)| unsafe { CodeRowNorms { squared: squared.as_i32_slice(), inverse: inverse.as_f32_slice() } });
            topk_quantized_codes(dtype, queries, corpus, shape, exclude_self, norms, scratch, indices, scores)
        };
        result.map_err(KernelError::code)
    })())
}

/// Bytes of scratch `ck_pairwise_quantized` needs (0 when the dtype is unknown, the binary
/// depth is not a multiple of 8, or sizes overflow).
#[unsafe(no_mangle)]
pub extern "C" fn ck_pairwise_quantized_scratch_bytes(dtype: u32, a_rows: usize, b_rows: usize, depth: usize) -> usize {
    StorageDtype::from_code(dtype).and_then(|dtype| pairwise_quantized_scratch_len(dtype, a_rows, b_rows, depth)).unwrap_or(0)
}

/// `out[i][j] = scale · score(a row i, b row j)` (f32 `[a_rows, b_rows]`), both operands
/// stored in `dtype` (float16: binary16 words, 2-byte aligned; otherwise bytes, `depth / 8`
/// per row for the bit dtypes). `scale` multiplies each score in float32 after it is
/// computed. `a` and `b` may be the same memory (self-similarity). For int8, uint8, binary
/// and ubinary with scale 1, entry `[q][j]` equals `ck_topk_quantized`'s score for query q
/// and corpus row j bit for bit. `eps` clamps each float16 norm (ignored otherwise). `out`
/// and scratch (`scratch_bytes` ≥ `ck_pairwise_quantized_scratch_bytes`) may overlap
/// neither each other nor the inputs.
#[unsafe(no_mangle)]
pub extern "C" fn ck_pairwise_quantized(
    dtype: u32,
    a_pointer: usize,
    a_rows: usize,
    b_pointer: usize,
    b_rows: usize,
    depth: usize,
    eps: f32,
    scale: f32,
    out_pointer: usize,
    scratch_pointer: usize,
    scratch_bytes: usize,
) -> i32 {
    status((|| {
        let dtype = dtype_of(dtype)?;
        let per_row = row_elements(dtype, depth)?;
        let a = storage_region(dtype, a_pointer, a_rows, per_row)?;
        let b = storage_region(dtype, b_pointer, b_rows, per_row)?;
        let out = Region::of_f32(out_pointer, a_rows.checked_mul(b_rows).ok_or(AbiError::BadLength)?)?;
        let scratch = Region::of_u8(scratch_pointer, scratch_bytes)?;
        check_disjoint(&[&out, &scratch], &[&a, &b])?;
        let shape = QuantizedPairwiseShape { a_rows, b_rows, depth };
        // SAFETY: every region was checked (non-null, aligned, inside memory, no overflow);
        // the two written regions overlap neither each other nor the inputs (which may
        // overlap each other: both are only read).
        let (out, scratch) = unsafe { (out.as_f32_slice_mut(), scratch.as_u8_slice_mut()) };
        let result = if dtype == StorageDtype::Float16 {
            // SAFETY: as above; both came from of_u16.
            let (a, b) = unsafe { (a.as_u16_slice(), b.as_u16_slice()) };
            pairwise_quantized_float16_f32(a, b, shape, eps, scale, out, scratch)
        } else {
            // SAFETY: as above; both came from of_u8.
            let (a, b) = unsafe { (a.as_u8_slice(), b.as_u8_slice()) };
            pairwise_quantized_codes_f32(dtype, a, b, shape, scale, out, scratch)
        };
        result.map_err(KernelError::code)
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn bytes(count: usize, seed: u32) -> Vec<u8> {
        let mut state = seed.wrapping_mul(2_654_435_761) | 1;
        (0..count)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect()
    }

    struct TopK {
        status: i32,
        indices: Vec<i32>,
        scores: Vec<f32>,
    }

    fn topk(dtype: u32, queries: usize, query_rows: usize, corpus: usize, corpus_rows: usize, depth: usize, k: usize, exclude: Option<i32>) -> TopK {
        let scratch_bytes = ck_topk_quantized_scratch_bytes(dtype, query_rows, depth);
        let mut scratch = vec![0u8; scratch_bytes + 1];
        let mut indices = vec![0i32; query_rows * k];
        let mut scores = vec![0f32; query_rows * k];
        let status = ck_topk_quantized(
            dtype,
            queries,
            query_rows,
            corpus,
            corpus_rows,
            depth,
            k,
            1e-8,
            u32::from(exclude.is_some()),
            exclude.unwrap_or(0),
            0,
            indices.as_mut_ptr() as usize,
            scores.as_mut_ptr() as usize,
            scratch.as_mut_ptr() as usize + 1,
            scratch_bytes,
        );
        TopK { status, indices, scores }
    }

    fn pairwise(dtype: u32, a: usize, a_rows: usize, b: usize, b_rows: usize, depth: usize, scale: f32) -> (i32, Vec<f32>) {
        let scratch_bytes = ck_pairwise_quantized_scratch_bytes(dtype, a_rows, b_rows, depth);
        let mut scratch = vec![0u8; scratch_bytes + 3];
        let mut out = vec![0f32; a_rows * b_rows];
        let status = ck_pairwise_quantized(dtype, a, a_rows, b, b_rows, depth, 1e-8, scale, out.as_mut_ptr() as usize, scratch.as_mut_ptr() as usize + 3, scratch_bytes);
        (status, out)
    }

    #[test]
    fn code_topk_scores_equal_pairwise_entries_through_the_abi() {
        for dtype in [StorageDtype::Int8, StorageDtype::Uint8, StorageDtype::Binary, StorageDtype::Ubinary] {
            let depth = 96;
            let row_bytes = dtype.row_elements(depth).unwrap();
            let (query_rows, corpus_rows, k) = (6, 40, 5);
            let queries = bytes(query_rows * row_bytes + 1, 3);
            let corpus = bytes(corpus_rows * row_bytes + 1, 4);
            // Odd addresses: byte regions need no alignment.
            let (queries_at, corpus_at) = (queries.as_ptr() as usize + 1, corpus.as_ptr() as usize + 1);
            let found = topk(dtype as u32, queries_at, query_rows, corpus_at, corpus_rows, depth, k, Some(0));
            assert_eq!(found.status, 0);
            let (status, matrix) = pairwise(dtype as u32, queries_at, query_rows, corpus_at, corpus_rows, depth, 1.0);
            assert_eq!(status, 0);
            for query in 0..query_rows {
                let list = &found.indices[query * k..(query + 1) * k];
                assert!(!list.contains(&(query as i32)), "exclude_self");
                for (slot, &row) in list.iter().enumerate() {
                    assert_eq!(found.scores[query * k + slot].to_bits(), matrix[query * corpus_rows + row as usize].to_bits());
                }
            }
        }
    }

    #[test]
    fn float16_topk_and_self_pairwise_through_the_abi() {
        let depth = 24;
        let rows = 9;
        // Halves of moderate magnitude: exponent 13..14, random mantissa and sign.
        let halves: Vec<u16> = bytes(rows * depth * 2, 5).chunks(2).map(|pair| (u16::from(pair[0] & 0x81) << 8) | 0x3400 | u16::from(pair[1])).collect();
        let queries: Vec<f32> = (0..2 * depth).map(|index| ((index * 7 % 11) as f32 - 5.0) / 5.0).collect();
        let found = topk(StorageDtype::Float16 as u32, queries.as_ptr() as usize, 2, halves.as_ptr() as usize, rows, depth, rows, None);
        assert_eq!(found.status, 0);
        assert!(found.scores.iter().all(|score| score.abs() <= 1.0 + 1e-6));
        // a and b the very same region: symmetric, diagonal 1.
        let (status, matrix) = pairwise(StorageDtype::Float16 as u32, halves.as_ptr() as usize, rows, halves.as_ptr() as usize, rows, depth, 2.0);
        assert_eq!(status, 0);
        for i in 0..rows {
            assert!((matrix[i * rows + i] - 2.0).abs() < 1e-5);
            for j in 0..rows {
                assert_eq!(matrix[i * rows + j].to_bits(), matrix[j * rows + i].to_bits());
            }
        }
    }

    #[test]
    fn abi_errors() {
        let corpus = bytes(64, 6);
        let at = corpus.as_ptr() as usize;
        let invalid = KernelError::InvalidArgument.code();
        assert_eq!(topk(9, at, 1, at, 4, 16, 1, None).status, invalid, "unknown dtype");
        assert_eq!(topk(StorageDtype::Binary as u32, at, 1, at, 4, 12, 1, None).status, invalid, "binary depth");
        assert_eq!(topk(StorageDtype::Int8 as u32, at, 1, at, 4, 16, 5, None).status, invalid, "k > N");
        assert_eq!(topk(StorageDtype::Int8 as u32, 0, 1, at, 4, 16, 1, None).status, AbiError::BadPointer.code());
        assert_eq!(topk(StorageDtype::Float16 as u32, at + 1, 1, at, 4, 4, 1, None).status, AbiError::BadPointer.code(), "f32 queries unaligned");
        assert_eq!(ck_topk_quantized_scratch_bytes(0, 4, 16), 0);
        assert_eq!(ck_topk_quantized_scratch_bytes(StorageDtype::Ubinary as u32, 4, 20), 0);
        assert_eq!(ck_pairwise_quantized_scratch_bytes(6, 4, 4, 16), 0);
        // The output overlapping an input.
        let mut buffer = bytes(256, 7);
        let base = buffer.as_mut_ptr() as usize;
        let aligned = base + (4 - base % 4) % 4;
        let status = ck_pairwise_quantized(StorageDtype::Int8 as u32, aligned, 2, aligned, 2, 16, 1e-8, 1.0, aligned + 16, aligned + 128, 64);
        assert_eq!(status, AbiError::Overlap.code());
        let (status, _) = pairwise(StorageDtype::Binary as u32, at, 1, at, 1, 20, 1.0);
        assert_eq!(status, invalid);
    }
}
