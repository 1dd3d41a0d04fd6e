//! Scalar helpers that `core` lacks on stable Rust (`f64::sqrt` lives in `std`).
//!
//! In the wasm SIMD builds the square root is the `f64x2.sqrt` instruction (correctly
//! rounded). Elsewhere (the scalar wasm build, native tests) it is a Newton iteration
//! from an exponent-halving first guess: within 1 ulp of the correctly rounded float64
//! root, and therefore correctly rounded once narrowed to float32 except in rare ties.

/// Square root of a float64. NaN for negative or NaN input, ±0 for ±0, +∞ for +∞.
#[inline]
pub fn sqrt_f64(value: f64) -> f64 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::{f64x2_extract_lane, f64x2_splat, f64x2_sqrt};
        f64x2_extract_lane::<0>(f64x2_sqrt(f64x2_splat(value)))
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        sqrt_f64_newton(value)
    }
}

/// Square root of a float32, computed in float64 and rounded once.
#[inline]
pub fn sqrt_f32(value: f32) -> f32 {
    sqrt_f64(f64::from(value)) as f32
}

/// Newton's iteration for the square root, used where no instruction is reachable.
pub fn sqrt_f64_newton(value: f64) -> f64 {
    if !(value > 0.0) {
        // ±0 stays ±0; negative and NaN give NaN.
        return if value == 0.0 { value } else { f64::NAN };
    }
    if value == f64::INFINITY {
        return value;
    }
    // Bring subnormal inputs into the normal range so the exponent trick works:
    // sqrt(v · 2^256) = sqrt(v) · 2^128.
    const SUBNORMAL_SCALE: f64 = 1.157920892373162e77; // 2^256
    const SUBNORMAL_UNSCALE: f64 = 2.938735877055719e-39; // 2^-128
    let (scaled, unscale) = if value < f64::MIN_POSITIVE {
        (value * SUBNORMAL_SCALE, SUBNORMAL_UNSCALE)
    } else {
        (value, 1.0)
    };
    // Halving the biased exponent gives a first guess within about 6 %; each Newton step
    // squares the relative error (6e-2, 2e-3, 2e-6, 2e-12, 1e-24), so five steps reach
    // float64 precision.
    let mut root = f64::from_bits((scaled.to_bits() >> 1) + (1023u64 << 51));
    for _ in 0..5 {
        root = 0.5 * (root + scaled / root);
    }
    root * unscale
}

/// `max(value, floor)` where a NaN `value` stays NaN (like `torch.clamp_min`); `f32::max`
/// would silently replace the NaN by `floor`.
#[inline(always)]
pub fn clamp_min_f32(value: f32, floor: f32) -> f32 {
    if value < floor { floor } else { value }
}

/// The float64 version of [`clamp_min_f32`].
#[inline(always)]
pub fn clamp_min_f64(value: f64, floor: f64) -> f64 {
    if value < floor { floor } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulp_distance(left: f64, right: f64) -> u64 {
        left.to_bits().abs_diff(right.to_bits())
    }

    #[test]
    fn newton_matches_std_within_one_ulp() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Any positive finite float64, from subnormal to the largest.
            let value = f64::from_bits(state >> 1);
            if !value.is_finite() || value == 0.0 {
                continue;
            }
            let expected = value.sqrt();
            let actual = sqrt_f64_newton(value);
            assert!(ulp_distance(expected, actual) <= 1, "sqrt({value:e}): {actual:e} vs {expected:e}");
        }
    }

    #[test]
    fn newton_float32_rounding_is_exact_on_many_inputs() {
        for bits in (0u32..0x7F80_0000).step_by(4099) {
            let value = f32::from_bits(bits);
            assert_eq!(sqrt_f32(value).to_bits(), value.sqrt().to_bits(), "sqrt({value:e})");
        }
    }

    #[test]
    fn newton_special_values() {
        assert_eq!(sqrt_f64_newton(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(sqrt_f64_newton(-0.0).to_bits(), (-0.0f64).to_bits());
        assert!(sqrt_f64_newton(-1.0).is_nan());
        assert!(sqrt_f64_newton(f64::NAN).is_nan());
        assert_eq!(sqrt_f64_newton(f64::INFINITY), f64::INFINITY);
        assert_eq!(sqrt_f64_newton(4.0), 2.0);
    }

    #[test]
    fn clamp_min_keeps_nan() {
        assert!(clamp_min_f32(f32::NAN, 1e-8).is_nan());
        assert_eq!(clamp_min_f32(0.0, 1e-8), 1e-8);
        assert_eq!(clamp_min_f32(3.0, 1e-8), 3.0);
        assert!(clamp_min_f64(f64::NAN, 1e-8).is_nan());
    }
}
