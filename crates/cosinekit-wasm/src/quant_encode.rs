//! C-ABI exports of the storage-format encoders, decoders and rescoring
//! (`cosinekit_core::quant::{encode, half, rescore}`). Pointers are byte addresses; `dtype`
//! is a `StorageDtype` code (`ck_storage_dtype` maps names to codes); a dtype an export does
//! not take is `KernelError::InvalidArgument`. Status: 0, a `KernelError` code (6 for a NaN
//! or ±∞ where finite values are required), or an `AbiError` code.

use crate::check_disjoint;
use crate::raw::{AbiError, Region, status};
use cosinekit_core::KernelError;
use cosinekit_core::quant::StorageDtype;
use cosinekit_core::quant::encode::{binary_thresholds_f32, column_ranges_f32, quantize_binary_f32, quantize_int8_f32};
use cosinekit_core::quant::half::{decode_f16_f32, quantize_f16_f32};
use cosinekit_core::quant::rescore::{RowSource, rescore_f32, rescore_scratch_len};

fn elements(rows: usize, depth: usize) -> Result<usize, i32> {
    rows.checked_mul(depth).ok_or(AbiError::BadLength.code())
}

fn kernel(result: Result<(), KernelError>) -> Result<(), i32> {
    result.map_err(KernelError::code)
}

/// The `StorageDtype` code of the UTF-8 name at `name_pointer` (`name_length` bytes):
/// 1 float16, 2 int8, 3 uint8, 4 binary, 5 ubinary; 0 for any other name or a bad region.
#[unsafe(no_mangle)]
pub extern "C" fn ck_storage_dtype(name_pointer: usize, name_length: usize) -> u32 {
    let Ok(name) = Region::of_u8(name_pointer, name_length) else { return 0 };
    // SAFETY: the region was checked (non-null unless empty, inside memory); it is only read.
    let name = unsafe { name.as_u8_slice() };
    StorageDtype::from_name(name).map_or(0, |dtype| dtype as u32)
}

/// Per-dim mins then maxs (`ranges`, `2·depth` f32) of the f32 rows `[rows, depth]` at
/// `x_pointer`. No rows is `InvalidArgument`; NaN or ±∞ is `NonFinite`.
#[unsafe(no_mangle)]
pub extern "C" fn ck_quant_ranges_f32(x_pointer: usize, rows: usize, depth: usize, ranges_pointer: usize) -> i32 {
    status((|| {
        let values = Region::of_f32(x_pointer, elements(rows, depth)?)?;
        let ranges = Region::of_f32(ranges_pointer, elements(2, depth)?)?;
        check_disjoint(&[&ranges], &[&values])?;
        // SAFETY: both regions were checked; the written one overlaps nothing read.
        let (values, ranges) = unsafe { (values.as_f32_slice(), ranges.as_f32_slice_mut()) };
        kernel(column_ranges_f32(values, rows, depth, ranges))
    })())
}

/// int8 (`dtype` 2) or uint8 (3) codes of the f32 rows `[rows, depth]` with `ranges`
/// (`2·depth` f32), `rows·depth` bytes at `out_pointer` (sentence-transformers' codes; see
/// `cosinekit_core::quant::encode`). NaN or ±∞ anywhere is `NonFinite`, nothing written.
#[unsafe(no_mangle)]
pub extern "C" fn ck_quantize_int8_f32(x_pointer: usize, rows: usize, depth: usize, ranges_pointer: usize, dtype: u32, out_pointer: usize) -> i32 {
    status((|| {
        let signed = match StorageDtype::from_code(dtype) {
            Some(StorageDtype::Int8) => true,
            Some(StorageDtype::Uint8) => false,
            _ => return Err(KernelError::InvalidArgument.code()),
        };
        let count = elements(rows, depth)?;
        let values = Region::of_f32(x_pointer, count)?;
        let ranges = Region::of_f32(ranges_pointer, elements(2, depth)?)?;
        let codes = Region::of_u8(out_pointer, count)?;
        check_disjoint(&[&codes], &[&values, &ranges])?;
        // SAFETY: every region was checked; the written one overlaps nothing read.
        let (values, ranges, codes) = unsafe { (values.as_f32_slice(), ranges.as_f32_slice(), codes.as_u8_slice_mut()) };
        kernel(quantize_int8_f32(values, rows, depth, ranges, signed, codes))
    })())
}

/// Per-dim means (`depth` f32 at `out_pointer`) of the calibration rows `[rows, depth]`.
/// No rows is `InvalidArgument`; NaN or ±∞ is `NonFinite`.
#[unsafe(no_mangle)]
pub extern "C" fn ck_binary_thresholds_f32(calibration_pointer: usize, rows: usize, depth: usize, out_pointer: usize) -> i32 {
    status((|| {
        let calibration = Region::of_f32(calibration_pointer, elements(rows, depth)?)?;
        let thresholds = Region::of_f32(out_pointer, depth)?;
        check_disjoint(&[&thresholds], &[&calibration])?;
        // SAFETY: both regions were checked; the written one overlaps nothing read.
        let (calibration, thresholds) = unsafe { (calibration.as_f32_slice(), thresholds.as_f32_slice_mut()) };
        kernel(binary_thresholds_f32(calibration, rows, depth, thresholds))
    })())
}

/// Packed bits `x > threshold` of the f32 rows `[rows, depth]` (`depth` a multiple of 8),
/// `rows·depth/8` bytes at `out_pointer`: binary (`dtype` 4, each byte − 128) or ubinary (5).
/// `thresholds_pointer` 0: threshold 0; else `depth` finite f32.
#[unsafe(no_mangle)]
pub extern "C" fn ck_quantize_binary_f32(x_pointer: usize, rows: usize, depth: usize, thresholds_pointer: usize, dtype: u32, out_pointer: usize) -> i32 {
    status((|| {
        let signed = match StorageDtype::from_code(dtype) {
            Some(StorageDtype::Binary) => true,
            Some(StorageDtype::Ubinary) => false,
            _ => return Err(KernelError::InvalidArgument.code()),
        };
        if depth % 8 != 0 {
            return Err(KernelError::InvalidArgument.code());
        }
        let count = elements(rows, depth)?;
        let values = Region::of_f32(x_pointer, count)?;
        let thresholds = if thresholds_pointer == 0 { None } else { Some(Region::of_f32(thresholds_pointer, depth)?) };
        let bytes = Region::of_u8(out_pointer, count / 8)?;
        match &thresholds {
            Some(thresholds) => check_disjoint(&[&bytes], &[&values, thresholds])?,
            None => check_disjoint(&[&bytes], &[&values])?,
        }
        // SAFETY: every region was checked; the written one overlaps nothing read.
        let (values, thresholds, bytes) = unsafe { (values.as_f32_slice(), thresholds.map(|region| region.as_f32_slice()), bytes.as_u8_slice_mut()) };
        kernel(quantize_binary_f32(values, rows, depth, thresholds, signed, bytes))
    })())
}

/// `count` f32 values at `x_pointer` as binary16 words at `out_pointer` (round to nearest even).
#[unsafe(no_mangle)]
pub extern "C" fn ck_quantize_f16_f32(x_pointer: usize, count: usize, out_pointer: usize) -> i32 {
    status((|| {
        let values = Region::of_f32(x_pointer, count)?;
        let halves = Region::of_u16(out_pointer, count)?;
        check_disjoint(&[&halves], &[&values])?;
        // SAFETY: both regions were checked; the written one overlaps nothing read.
        let (values, halves) = unsafe { (values.as_f32_slice(), halves.as_u16_slice_mut()) };
        kernel(quantize_f16_f32(values, halves))
    })())
}

/// `count` binary16 words at `in_pointer` as f32 values at `out_pointer` (exact).
#[unsafe(no_mangle)]
pub extern "C" fn ck_decode_f16_f32(in_pointer: usize, count: usize, out_pointer: usize) -> i32 {
    status((|| {
        let halves = Region::of_u16(in_pointer, count)?;
        let values = Region::of_f32(out_pointer, count)?;
        check_disjoint(&[&values], &[&halves])?;
        // SAFETY: both regions were checked; the written one overlaps nothing read.
        let (halves, values) = unsafe { (halves.as_u16_slice(), values.as_f32_slice_mut()) };
        kernel(decode_f16_f32(halves, values))
    })())
}

/// Floats of scratch `ck_rescore_f32` needs for rows of `depth`.
#[unsafe(no_mangle)]
pub extern "C" fn ck_rescore_scratch_floats(depth: usize) -> usize {
    rescore_scratch_len(depth)
}

/// Re-ranks each float query's candidates by float32 cosine (`cosinekit_core::quant::rescore`):
/// queries f32 `[query_rows, depth]`; `source_dtype` 0: f32 vectors `[source_rows, depth]`,
/// else stored rows of that `StorageDtype` (int8/uint8 with `ranges_pointer`, `2·depth` f32;
/// 0 otherwise); candidates i32 `[query_rows, candidates_per_query]`; writes the best `k`
/// per query, i32 `indices` and f32 `scores` `[query_rows, k]`, ordered as top-k lists.
#[unsafe(no_mangle)]
pub extern "C" fn ck_rescore_f32(
    queries_pointer: usize,
    query_rows: usize,
    depth: usize,
    source_dtype: u32,
    source_pointer: usize,
    source_rows: usize,
    ranges_pointer: usize,
    candidates_pointer: usize,
    candidates_per_query: usize,
    k: usize,
    eps: f32,
    out_indices_pointer: usize,
    out_scores_pointer: usize,
    scratch_pointer: usize,
    scratch_floats: usize,
) -> i32 {
    status((|| {
        let queries = Region::of_f32(queries_pointer, elements(query_rows, depth)?)?;
        let candidates = Region::of_i32(candidates_pointer, elements(query_rows, candidates_per_query)?)?;
        let result_count = elements(query_rows, k)?;
        let indices = Region::of_i32(out_indices_pointer, result_count)?;
        let scores = Region::of_f32(out_scores_pointer, result_count)?;
        let scratch = Region::of_f32(scratch_pointer, scratch_floats)?;
        let dtype = if source_dtype == 0 { None } else { Some(StorageDtype::from_code(source_dtype).ok_or(KernelError::InvalidArgument.code())?) };
        let source = match dtype {
            None => Region::of_f32(source_pointer, elements(source_rows, depth)?)?,
            Some(StorageDtype::Float16) => Region::of_u16(source_pointer, elements(source_rows, depth)?)?,
            Some(dtype) => Region::of_u8(source_pointer, elements(source_rows, dtype.row_elements(depth).ok_or(KernelError::InvalidArgument.code())?)?)?,
        };
        let ranges = if ranges_pointer == 0 { None } else { Some(Region::of_f32(ranges_pointer, elements(2, depth)?)?) };
        let empty = Region::of_f32(0, 0)?;
        check_disjoint(&[&indices, &scores, &scratch], &[&queries, &candidates, &source, ranges.as_ref().unwrap_or(&empty)])?;
        // SAFETY: every region was checked (bounds, alignment for its element type); the three
        // written regions overlap neither each other nor anything read.
        let (queries, candidates, indices, scores, scratch, ranges) = unsafe {
            (
                queries.as_f32_slice(),
                candidates.as_i32_slice(),
                indices.as_i32_slice_mut(),
                scores.as_f32_slice_mut(),
                scratch.as_f32_slice_mut(),
                ranges.map(|region| region.as_f32_slice()),
            )
        };
        let rows = match dtype {
            // SAFETY: `source` was checked as f32 values (of_f32) and is only read.
            None => RowSource::Float32(unsafe { source.as_f32_slice() }),
            // SAFETY: `source` was checked as u16 words (of_u16) and is only read.
            Some(StorageDtype::Float16) => RowSource::Float16(unsafe { source.as_u16_slice() }),
            // SAFETY: `source` was checked as bytes (of_u8) and is only read.
            Some(dtype) => RowSource::Codes { dtype, codes: unsafe { source.as_u8_slice() }, ranges },
        };
        kernel(rescore_f32(queries, query_rows, depth, rows, candidates, candidates_per_query, k, eps, scratch, indices, scores))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NON_FINITE: i32 = 6;
    const INVALID: i32 = 4;

    #[test]
    fn dtype_names_map_to_their_codes() {
        for (name, code) in [("float16", 1), ("int8", 2), ("uint8", 3), ("binary", 4), ("ubinary", 5), ("float32", 0), ("", 0)] {
            assert_eq!(ck_storage_dtype(name.as_ptr() as usize, name.len()), code, "{name}");
        }
    }

    #[test]
    fn encoders_convert_pointers_and_report_statuses() {
        let values = [0.0f32, 1.0, 0.5, -1.0];
        let mut ranges = [0f32; 4];
        assert_eq!(ck_quant_ranges_f32(values.as_ptr() as usize, 2, 2, ranges.as_mut_ptr() as usize), 0);
        assert_eq!(ranges, [0.0, -1.0, 0.5, 1.0]);
        let mut codes = [0u8; 4];
        assert_eq!(ck_quantize_int8_f32(values.as_ptr() as usize, 2, 2, ranges.as_ptr() as usize, 3, codes.as_mut_ptr() as usize), 0);
        // The top of each range lands just below 255 in float32 (q = 254.99998), as in
        // sentence-transformers: truncation gives 254.
        assert_eq!(codes, [0, 254, 254, 0]);
        assert_eq!(ck_quantize_int8_f32(values.as_ptr() as usize, 2, 2, ranges.as_ptr() as usize, 4, codes.as_mut_ptr() as usize), INVALID);
        let bad = [f32::NAN, 1.0];
        assert_eq!(ck_quant_ranges_f32(bad.as_ptr() as usize, 1, 2, ranges.as_mut_ptr() as usize), NON_FINITE);
        // Output over the input.
        assert_eq!(ck_quant_ranges_f32(values.as_ptr() as usize, 2, 2, values.as_ptr() as usize), AbiError::Overlap.code());
        let mut bits = [0u8; 1];
        let eight = [1.0f32, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
        assert_eq!(ck_quantize_binary_f32(eight.as_ptr() as usize, 1, 8, 0, 5, bits.as_mut_ptr() as usize), 0);
        assert_eq!(bits, [0b1010_1010]);
        assert_eq!(ck_quantize_binary_f32(eight.as_ptr() as usize, 1, 8, 0, 4, bits.as_mut_ptr() as usize), 0);
        assert_eq!(bits, [0b0010_1010]);
        assert_eq!(ck_quantize_binary_f32(eight.as_ptr() as usize, 1, 6, 0, 5, bits.as_mut_ptr() as usize), INVALID);
        let mut thresholds = [0f32; 2];
        assert_eq!(ck_binary_thresholds_f32(values.as_ptr() as usize, 2, 2, thresholds.as_mut_ptr() as usize), 0);
        assert_eq!(thresholds, [0.25, 0.0]);
        let mut halves = [0u16; 4];
        assert_eq!(ck_quantize_f16_f32(values.as_ptr() as usize, 4, halves.as_mut_ptr() as usize), 0);
        assert_eq!(halves, [0x0000, 0x3c00, 0x3800, 0xbc00]);
        let mut back = [9f32; 4];
        assert_eq!(ck_decode_f16_f32(halves.as_ptr() as usize, 4, back.as_mut_ptr() as usize), 0);
        assert_eq!(back, values);
    }

    #[test]
    fn rescore_reads_floats_or_stored_rows() {
        let rows = [1.0f32, 0.0, 0.0, 1.0, 0.6, 0.8];
        let query = [0.0f32, 1.0];
        let candidates = [0i32, 1, 2];
        let (mut indices, mut scores) = ([0i32; 2], [0f32; 2]);
        let mut scratch = [0f32; 2];
        let call = |dtype: u32, source: usize, indices: &mut [i32], scores: &mut [f32], scratch: &mut [f32]| {
            ck_rescore_f32(
                query.as_ptr() as usize,
                1,
                2,
                dtype,
                source,
                3,
                0,
                candidates.as_ptr() as usize,
                3,
                2,
                1e-8,
                indices.as_mut_ptr() as usize,
                scores.as_mut_ptr() as usize,
                scratch.as_mut_ptr() as usize,
                scratch.len(),
            )
        };
        assert_eq!(call(0, rows.as_ptr() as usize, &mut indices, &mut scores, &mut scratch), 0);
        assert_eq!(indices, [1, 2]);
        let mut halves = [0u16; 6];
        ck_quantize_f16_f32(rows.as_ptr() as usize, 6, halves.as_mut_ptr() as usize);
        assert_eq!(call(1, halves.as_ptr() as usize, &mut indices, &mut scores, &mut scratch), 0);
        assert_eq!(indices, [1, 2]);
        assert_eq!(call(9, rows.as_ptr() as usize, &mut indices, &mut scores, &mut scratch), INVALID);
    }
}
