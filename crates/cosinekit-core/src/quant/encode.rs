//! Encoders of the integer and bit formats, and the decoding rescoring uses.
//!
//! # Numerics
//! - Ranges: per-dim minimum and maximum over the rows (exact).
//! - int8 / uint8 are sentence-transformers' `quantize_embeddings`, in float32 with one
//!   rounding per operation: `step = (max − min) / 255`, `q = (x − min) / step` (`q = 0`
//!   when `step` is 0); uint8 stores `trunc(q)`, int8 `trunc(q − 128)` (the subtraction
//!   rounded to float32 first), truncation toward zero, then clamped to [0, 255] / [−128, 127]
//!   (sentence-transformers leaves values outside the ranges to numpy's cast; the clamp is
//!   deliberate). NaN or ±∞ in the values or the ranges is refused
//!   ([`KernelError::NonFinite`]) before anything is written.
//! - binary / ubinary: bit = `x > threshold` (threshold 0 without thresholds; NaN is not
//!   greater, so bit 0), 8 dims per byte, first dim in the most significant bit
//!   (`np.packbits`); ubinary stores the byte, binary the byte − 128 (as i8). Non-finite
//!   thresholds are refused.
//! - Thresholds from calibration rows: the per-dim mean, summed and divided in float64 and
//!   rounded once to float32; non-finite rows are refused.
//! - Decoding for rescoring ([`decode_codes_f32`]): an int8/uint8 code becomes the middle of
//!   its interval of q (uint8 `u + 0.5`; int8 `c + 127.5` for c < 0, `128` for c = 0,
//!   `c + 128.5` for c > 0 — the int8 code 0 covers q in [127, 129)), then `f32(offset ·
//!   step) + min` in float32; a bit becomes +1 (set) or −1.

use crate::KernelError;
use crate::quant::StorageDtype;

fn check_rows(values: &[f32], rows: usize, depth: usize) -> Result<(), KernelError> {
    if Some(values.len()) != rows.checked_mul(depth) {
        return Err(KernelError::OutOfBounds);
    }
    Ok(())
}

fn all_finite(values: &[f32]) -> Result<(), KernelError> {
    if values.iter().all(|value| value.is_finite()) { Ok(()) } else { Err(KernelError::NonFinite) }
}

/// Per-dim minimum and maximum of `values` `[rows, depth]`: `ranges` `[2·depth]`, the mins
/// then the maxs. No rows is `InvalidArgument`; a non-finite value is `NonFinite`.
pub fn column_ranges_f32(values: &[f32], rows: usize, depth: usize, ranges: &mut [f32]) -> Result<(), KernelError> {
    check_rows(values, rows, depth)?;
    if Some(ranges.len()) != depth.checked_mul(2) {
        return Err(KernelError::OutputLength);
    }
    if rows == 0 {
        return Err(KernelError::InvalidArgument);
    }
    all_finite(values)?;
    let (mins, maxs) = ranges.split_at_mut(depth);
    mins.copy_from_slice(&values[..depth]);
    maxs.copy_from_slice(&values[..depth]);
    for row in values.chunks_exact(depth.max(1)).skip(1) {
        for ((low, high), &value) in mins.iter_mut().zip(maxs.iter_mut()).zip(row) {
            if value < *low {
                *low = value;
            }
            if value > *high {
                *high = value;
            }
        }
    }
    Ok(())
}

/// The int8 (`signed`) or uint8 codes of `values` `[rows, depth]` with `ranges` `[2·depth]`,
/// into `codes` (`rows·depth` bytes; int8 codes as their two's-complement bytes).
pub fn quantize_int8_f32(values: &[f32], rows: usize, depth: usize, ranges: &[f32], signed: bool, codes: &mut [u8]) -> Result<(), KernelError> {
    check_rows(values, rows, depth)?;
    if Some(ranges.len()) != depth.checked_mul(2) {
        return Err(KernelError::OutOfBounds);
    }
    if codes.len() != values.len() {
        return Err(KernelError::OutputLength);
    }
    all_finite(ranges)?;
    all_finite(values)?;
    let (mins, maxs) = ranges.split_at(depth);
    for (row, row_codes) in values.chunks_exact(depth.max(1)).zip(codes.chunks_exact_mut(depth.max(1))) {
        for (((code, &value), &low), &high) in row_codes.iter_mut().zip(row).zip(mins).zip(maxs) {
            let step = (high - low) / 255.0;
            let q = if step == 0.0 { 0.0 } else { (value - low) / step };
            // `as i32` truncates toward zero (saturating: an infinite q from a tiny step clamps).
            *code = if signed { ((q - 128.0) as i32).clamp(-128, 127) as i8 as u8 } else { (q as i32).clamp(0, 255) as u8 };
        }
    }
    Ok(())
}

/// Per-dim means of `calibration` `[rows, depth]` into `thresholds` `[depth]` (float64 sums).
pub fn binary_thresholds_f32(calibration: &[f32], rows: usize, depth: usize, thresholds: &mut [f32]) -> Result<(), KernelError> {
    check_rows(calibration, rows, depth)?;
    if thresholds.len() != depth {
        return Err(KernelError::OutputLength);
    }
    if rows == 0 {
        return Err(KernelError::InvalidArgument);
    }
    all_finite(calibration)?;
    for (dim, threshold) in thresholds.iter_mut().enumerate() {
        let mut sum = 0f64;
        for row in 0..rows {
            sum += f64::from(calibration[row * depth + dim]);
        }
        *threshold = (sum / rows as f64) as f32;
    }
    Ok(())
}

/// Packed bits `x > threshold` of `values` `[rows, depth]` (`depth` a multiple of 8) into
/// `bytes` (`rows·depth/8`); `signed` (binary) stores each byte − 128.
pub fn quantize_binary_f32(values: &[f32], rows: usize, depth: usize, thresholds: Option<&[f32]>, signed: bool, bytes: &mut [u8]) -> Result<(), KernelError> {
    check_rows(values, rows, depth)?;
    if depth % 8 != 0 {
        return Err(KernelError::InvalidArgument);
    }
    if let Some(thresholds) = thresholds {
        if thresholds.len() != depth {
            return Err(KernelError::OutOfBounds);
        }
        all_finite(thresholds)?;
    }
    if bytes.len() != values.len() / 8 {
        return Err(KernelError::OutputLength);
    }
    let flip = if signed { 0x80 } else { 0 };
    for (byte_index, (byte, group)) in bytes.iter_mut().zip(values.chunks_exact(8)).enumerate() {
        let first_dim = (byte_index * 8) % depth.max(1);
        let mut packed = 0u8;
        for (bit, &value) in group.iter().enumerate() {
            let threshold = thresholds.map_or(0.0, |thresholds| thresholds[first_dim + bit]);
            packed |= u8::from(value > threshold) << (7 - bit);
        }
        // byte − 128 as an i8 is the byte with its top bit flipped.
        *byte = packed ^ flip;
    }
    Ok(())
}

/// Decodes one int8/uint8/binary/ubinary row of `depth` dimensions (`codes`: `depth`
/// bytes, or `depth / 8` for bits) into `out` as rescoring reads it (see the Numerics).
/// int8 and uint8 need `ranges`.
pub fn decode_codes_f32(dtype: StorageDtype, codes: &[u8], depth: usize, ranges: Option<&[f32]>, out: &mut [f32]) -> Result<(), KernelError> {
    if out.len() != depth {
        return Err(KernelError::OutputLength);
    }
    match dtype {
        StorageDtype::Int8 | StorageDtype::Uint8 => {
            let ranges = ranges.ok_or(KernelError::InvalidArgument)?;
            if codes.len() != depth || ranges.len() != 2 * depth {
                return Err(KernelError::OutOfBounds);
            }
            let (mins, maxs) = ranges.split_at(depth);
            for (((value, &code), &low), &high) in out.iter_mut().zip(codes).zip(mins).zip(maxs) {
                let step = (high - low) / 255.0;
                let offset = if dtype == StorageDtype::Uint8 {
                    f32::from(code) + 0.5
                } else {
                    let code = f32::from(code as i8);
                    if code < 0.0 { code + 127.5 } else if code == 0.0 { 128.0 } else { code + 128.5 }
                };
                *value = offset * step + low;
            }
        }
        StorageDtype::Binary | StorageDtype::Ubinary => {
            if depth % 8 != 0 || codes.len() != depth / 8 {
                return Err(KernelError::OutOfBounds);
            }
            let flip = if dtype == StorageDtype::Binary { 0x80 } else { 0 };
            for (dim, value) in out.iter_mut().enumerate() {
                let byte = codes[dim / 8] ^ flip;
                *value = if byte & (0x80 >> (dim % 8)) != 0 { 1.0 } else { -1.0 };
            }
        }
        StorageDtype::Float16 => return Err(KernelError::InvalidArgument),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{binary_thresholds_f32, column_ranges_f32, decode_codes_f32, quantize_binary_f32, quantize_int8_f32};
    use crate::KernelError;
    use crate::quant::StorageDtype;

    #[test]
    fn ranges_are_column_extremes_and_refuse_bad_input() {
        let values = [1.0, -2.0, 3.0, -4.0, 0.5, 9.0];
        let mut ranges = [0f32; 4];
        assert_eq!(column_ranges_f32(&values, 3, 2, &mut ranges), Ok(()));
        assert_eq!(ranges, [0.5, -4.0, 3.0, 9.0]);
        assert_eq!(column_ranges_f32(&[], 0, 2, &mut ranges), Err(KernelError::InvalidArgument));
        assert_eq!(column_ranges_f32(&[1.0, f32::NAN], 1, 2, &mut ranges), Err(KernelError::NonFinite));
        assert_eq!(column_ranges_f32(&values, 2, 2, &mut ranges), Err(KernelError::OutOfBounds));
        assert_eq!(column_ranges_f32(&values, 3, 2, &mut ranges[..3]), Err(KernelError::OutputLength));
    }

    #[test]
    fn int8_and_uint8_follow_the_float32_steps_with_truncation_and_clamping() {
        // dim 0 constant (step 0 ⇒ q 0); dim 1 over [0, 255] (step 1 ⇒ q = x), values past it clamp.
        let ranges = [5.0, 0.0, 5.0, 255.0];
        let values = [5.0, 0.0, 5.0, 255.0, 5.0, 127.7, 5.0, 128.5, 5.0, 127.0, 5.0, 300.0, 5.0, -9.0];
        let mut codes = [0u8; 14];
        assert_eq!(quantize_int8_f32(&values, 7, 2, &ranges, true, &mut codes), Ok(()));
        let signed: Vec<i8> = codes.iter().map(|&byte| byte as i8).collect();
        assert_eq!(signed, [-128, -128, -128, 127, -128, 0, -128, 0, -128, -1, -128, 127, -128, -128]);
        assert_eq!(quantize_int8_f32(&values, 7, 2, &ranges, false, &mut codes), Ok(()));
        assert_eq!(codes, [0, 0, 0, 255, 0, 127, 0, 128, 0, 127, 0, 255, 0, 0]);
        // Against the steps written out one by one, on a spread of values and ranges.
        let mut state = 0x2545_f491u32;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let low = (state % 1000) as f32 / 997.0 - 0.6;
            let high = low + (state >> 20) as f32 / 3001.0;
            let value = low - 0.05 + ((state >> 8) % 4096) as f32 / 4096.0 * (high - low + 0.1);
            let step = (high - low) / 255.0;
            let q = if step == 0.0 { 0.0 } else { (value - low) / step };
            let mut one = [0u8; 1];
            quantize_int8_f32(&[value], 1, 1, &[low, high], true, &mut one).unwrap();
            assert_eq!(one[0] as i8 as f32, (q - 128.0).trunc().clamp(-128.0, 127.0), "int8 of {value} in [{low}, {high}]");
            quantize_int8_f32(&[value], 1, 1, &[low, high], false, &mut one).unwrap();
            assert_eq!(f32::from(one[0]), q.trunc().clamp(0.0, 255.0), "uint8 of {value} in [{low}, {high}]");
        }
        let mut one = [9u8; 1];
        assert_eq!(quantize_int8_f32(&[f32::INFINITY], 1, 1, &[0.0, 1.0], true, &mut one), Err(KernelError::NonFinite));
        assert_eq!(quantize_int8_f32(&[0.5], 1, 1, &[0.0, f32::NAN], true, &mut one), Err(KernelError::NonFinite));
        assert_eq!(one, [9], "nothing written on refusal");
        assert_eq!(quantize_int8_f32(&[0.5], 1, 1, &[0.0], true, &mut one), Err(KernelError::OutOfBounds));
    }

    #[test]
    fn thresholds_are_float64_means() {
        let calibration = [1.0, 0.1, 2.0, 0.2, 4.0, 0.4];
        let mut thresholds = [0f32; 2];
        assert_eq!(binary_thresholds_f32(&calibration, 3, 2, &mut thresholds), Ok(()));
        assert_eq!(thresholds, [(7.0f64 / 3.0) as f32, ((0.1f32 as f64 + 0.2f32 as f64 + 0.4f32 as f64) / 3.0) as f32]);
        assert_eq!(binary_thresholds_f32(&[], 0, 2, &mut thresholds), Err(KernelError::InvalidArgument));
        assert_eq!(binary_thresholds_f32(&[f32::NAN, 1.0], 1, 2, &mut thresholds), Err(KernelError::NonFinite));
    }

    #[test]
    fn bits_are_packed_first_dim_most_significant() {
        let values = [1.0, -1.0, 0.0, f32::NAN, 2.0, 3.0, -0.0, 0.5, /* row 2 */ -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 1e-30];
        let mut bytes = [0u8; 2];
        assert_eq!(quantize_binary_f32(&values, 2, 8, None, false, &mut bytes), Ok(()));
        assert_eq!(bytes, [0b1000_1101, 0b0000_0001]);
        assert_eq!(quantize_binary_f32(&values, 2, 8, None, true, &mut bytes), Ok(()));
        assert_eq!(bytes.map(|byte| byte as i8), [(0b1000_1101i32 - 128) as i8, (1i32 - 128) as i8]);
        let thresholds = [0.5f32; 8];
        assert_eq!(quantize_binary_f32(&values, 2, 8, Some(&thresholds), false, &mut bytes), Ok(()));
        assert_eq!(bytes, [0b1000_1100, 0]);
        assert_eq!(quantize_binary_f32(&values[..12], 1, 12, None, false, &mut bytes), Err(KernelError::InvalidArgument));
        assert_eq!(quantize_binary_f32(&values, 2, 8, Some(&[f32::INFINITY; 8]), false, &mut bytes), Err(KernelError::NonFinite));
    }

    #[test]
    fn decoding_takes_the_middle_of_each_codes_interval() {
        let ranges = [0.0f32, 255.0];
        let mut out = [0f32; 1];
        for (code, expected) in [(-128i8, -0.5f32), (-1, 127.5 - 1.0), (0, 128.0), (1, 129.5), (127, 255.5)] {
            decode_codes_f32(StorageDtype::Int8, &[code as u8], 1, Some(&ranges), &mut out).unwrap();
            assert_eq!(out[0], expected, "int8 {code}");
        }
        decode_codes_f32(StorageDtype::Uint8, &[7], 1, Some(&ranges), &mut out).unwrap();
        assert_eq!(out[0], 7.5);
        let mut bits = [0f32; 8];
        decode_codes_f32(StorageDtype::Ubinary, &[0b1010_0001], 8, None, &mut bits).unwrap();
        assert_eq!(bits, [1.0, -1.0, 1.0, -1.0, -1.0, -1.0, -1.0, 1.0]);
        decode_codes_f32(StorageDtype::Binary, &[(0b1010_0001u8 ^ 0x80)], 8, None, &mut bits).unwrap();
        assert_eq!(bits, [1.0, -1.0, 1.0, -1.0, -1.0, -1.0, -1.0, 1.0]);
        assert_eq!(decode_codes_f32(StorageDtype::Int8, &[1], 1, None, &mut out), Err(KernelError::InvalidArgument));
        assert_eq!(decode_codes_f32(StorageDtype::Float16, &[1, 2], 1, None, &mut out), Err(KernelError::InvalidArgument));
    }
}
