//! IEEE binary16 ("float16") storage: encoding float32 values and decoding them back.
//!
//! # Numerics
//! - [`f16_from_f32`] rounds once, directly from the float32 value, to the nearest binary16
//!   (ties to the even pattern), as `Float16Array`, `numpy.astype(float16)` and the
//!   hardware conversions do: magnitudes from 65520 (65504 plus half its ulp) up become
//!   ±∞, magnitudes at or below 2⁻²⁵ become ±0, those in between and below 2⁻¹⁴ become
//!   binary16 subnormals. The sign is kept (−0 stays −0). NaN stays NaN (quiet, with its sign
//!   and the top 10 bits of its payload).
//! - [`f32_from_f16`] is exact: every binary16 value is a float32 value.

use crate::KernelError;

/// The float32 value of a binary16 bit pattern (exact).
#[inline]
pub fn f32_from_f16(bits: u16) -> f32 {
    let sign = u32::from(bits & 0x8000) << 16;
    let exponent = u32::from(bits >> 10) & 0x1f;
    let fraction = u32::from(bits & 0x03ff);
    if exponent == 0x1f {
        // ±∞ (fraction 0) or NaN, payload moved to the top of the float32 fraction.
        return f32::from_bits(sign | 0x7f80_0000 | (fraction << 13));
    }
    if exponent == 0 {
        // ±0 or a subnormal: fraction · 2⁻²⁴, exact in float32.
        let magnitude = fraction as f32 * f32::from_bits(0x3380_0000);
        return f32::from_bits(sign | magnitude.to_bits());
    }
    // Normal: rebias the exponent (15 → 127) and widen the fraction.
    f32::from_bits(sign | ((exponent + 112) << 23) | (fraction << 13))
}

/// The binary16 nearest to `value` (ties to even), ±∞ beyond the range, NaN kept.
#[inline]
pub fn f16_from_f32(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let magnitude = bits & 0x7fff_ffff;
    if magnitude > 0x7f80_0000 {
        // NaN: quiet bit set, so a payload that lived only in the low bits stays a NaN.
        return sign | 0x7e00 | ((magnitude >> 13) & 0x03ff) as u16;
    }
    if magnitude >= 0x477f_f000 {
        // 65520 and up (∞ included) round to ∞.
        return sign | 0x7c00;
    }
    if magnitude >= 0x3880_0000 {
        // A normal binary16 (2⁻¹⁴ and up): rebias the exponent (127 → 15) and round the 13
        // dropped fraction bits to nearest even; a carry moves into the exponent correctly.
        let rebased = magnitude - 0x3800_0000;
        let rounded = (rebased + 0x0fff + ((rebased >> 13) & 1)) >> 13;
        return sign | rounded as u16;
    }
    if magnitude <= 0x3300_0000 {
        // At or below 2⁻²⁵ (half the smallest subnormal; the tie goes to the even 0).
        return sign;
    }
    // A binary16 subnormal: the value in units of 2⁻²⁴, rounded to nearest even.
    let exponent = magnitude >> 23; // 102 ..= 112
    let significand = (magnitude & 0x007f_ffff) | 0x0080_0000;
    let shift = 126 - exponent; // 14 ..= 24
    let truncated = significand >> shift;
    let remainder = significand & ((1 << shift) - 1);
    let halfway = 1 << (shift - 1);
    let round_up = remainder > halfway || (remainder == halfway && truncated & 1 == 1);
    sign | (truncated + u32::from(round_up)) as u16
}

/// Encodes `values` as binary16 into `out` (same length).
pub fn quantize_f16_f32(values: &[f32], out: &mut [u16]) -> Result<(), KernelError> {
    if out.len() != values.len() {
        return Err(KernelError::OutputLength);
    }
    for (half, &value) in out.iter_mut().zip(values) {
        *half = f16_from_f32(value);
    }
    Ok(())
}

/// Decodes binary16 `halves` into `out` (same length).
pub fn decode_f16_f32(halves: &[u16], out: &mut [f32]) -> Result<(), KernelError> {
    if out.len() != halves.len() {
        return Err(KernelError::OutputLength);
    }
    for (value, &half) in out.iter_mut().zip(halves) {
        *value = f32_from_f16(half);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{decode_f16_f32, f16_from_f32, f32_from_f16, quantize_f16_f32};
    use crate::KernelError;

    /// The value of a pattern computed from the definition, in f64.
    fn value_of(bits: u16) -> f64 {
        let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
        let exponent = i32::from((bits >> 10) & 0x1f);
        let fraction = f64::from(bits & 0x3ff);
        match exponent {
            0x1f if fraction == 0.0 => sign * f64::INFINITY,
            0x1f => f64::NAN,
            0 => sign * fraction * 2f64.powi(-24),
            _ => sign * (1024.0 + fraction) * 2f64.powi(exponent - 25),
        }
    }

    /// The nearest pattern by a search over all finite non-negative halves, which ascend
    /// with their patterns (ties to the even pattern).
    fn nearest(table: &[f64], value: f32) -> u16 {
        if value.is_nan() {
            return 0x7e00;
        }
        let sign: u16 = if value.is_sign_negative() { 0x8000 } else { 0 };
        let magnitude = f64::from(value.abs());
        if magnitude >= 65520.0 {
            return sign | 0x7c00;
        }
        let above = table.partition_point(|&half| half < magnitude).min(table.len() - 1);
        let below = above.saturating_sub(1);
        let (low, high) = (magnitude - table[below], table[above] - magnitude);
        let chosen = if table[above] == magnitude || high < low || (high == low && above % 2 == 0) { above } else { below };
        sign | chosen as u16
    }

    fn table() -> Vec<f64> {
        (0u16..0x7c00).map(value_of).collect()
    }

    #[test]
    fn every_half_decodes_exactly_and_encodes_back_to_itself() {
        for pattern in 0..=u16::MAX {
            let decoded = f32_from_f16(pattern);
            let expected = value_of(pattern);
            if expected.is_nan() {
                assert!(decoded.is_nan(), "{pattern:#06x}");
                let again = f16_from_f32(decoded);
                assert_eq!(again & 0x7c00, 0x7c00, "{pattern:#06x} stays NaN");
                assert_ne!(again & 0x03ff, 0, "{pattern:#06x} stays NaN");
                assert_eq!(again & 0x8000, pattern & 0x8000, "{pattern:#06x} keeps its sign");
            } else {
                assert_eq!(f64::from(decoded), expected, "{pattern:#06x}");
                assert_eq!(decoded.is_sign_negative(), pattern & 0x8000 != 0, "{pattern:#06x}");
                assert_eq!(f16_from_f32(decoded), pattern, "{pattern:#06x}");
            }
        }
    }

    #[test]
    fn encoding_rounds_to_nearest_even() {
        let mut values: Vec<f32> = vec![
            0.0, -0.0, 1.0, 65504.0, 65519.996, 65520.0, -65520.0, 1e10, f32::INFINITY, f32::NEG_INFINITY,
            2f32.powi(-24), 2f32.powi(-25), 3.0 * 2f32.powi(-25), 2f32.powi(-26), 2f32.powi(-14), 2f32.powi(-14) * (1.0 - 2f32.powi(-12)),
            1.0 + 2f32.powi(-11), 1.0 + 3.0 * 2f32.powi(-11), 1e-30, f32::MIN_POSITIVE, 0.1, 1.0 / 3.0,
        ];
        // Halfway points and their neighbours around many halves, and a spread of bit patterns.
        for pattern in (0u16..0x7c00).step_by(97) {
            let low = value_of(pattern);
            let high = value_of(pattern + 1);
            let middle = ((low + high) / 2.0) as f32;
            values.extend([middle, f32::from_bits(middle.to_bits() + 1), f32::from_bits(middle.to_bits().saturating_sub(1)), -middle]);
        }
        for step in 0..4000u32 {
            values.push(f32::from_bits(0x3000_0000 + step * 0x4_1235));
        }
        let table = table();
        for value in values {
            assert_eq!(f16_from_f32(value), nearest(&table, value), "{value:e} ({:#010x})", value.to_bits());
        }
    }

    #[test]
    fn slices_check_their_lengths() {
        let mut halves = [0u16; 3];
        assert_eq!(quantize_f16_f32(&[1.0, 2.0, -0.5], &mut halves), Ok(()));
        assert_eq!(halves, [0x3c00, 0x4000, 0xb800]);
        let mut values = [0f32; 3];
        assert_eq!(decode_f16_f32(&halves, &mut values), Ok(()));
        assert_eq!(values, [1.0, 2.0, -0.5]);
        assert_eq!(quantize_f16_f32(&[1.0], &mut halves), Err(KernelError::OutputLength));
        assert_eq!(decode_f16_f32(&halves[..2], &mut values), Err(KernelError::OutputLength));
    }
}
