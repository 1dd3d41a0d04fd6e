//! Scalar helpers that `core` lacks on stable Rust (`f64::sqrt`, `exp` and `ln` live in
//! `std`).
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
    if value.is_nan() || value < 0.0 {
        return f64::NAN;
    }
    if value == 0.0 {
        return value; // ±0 stays ±0
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

const LN_2_HIGH: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000); // ln 2 to 32 significant bits: k·LN_2_HIGH is exact
const LN_2_LOW: f64 = 1.908_214_929_270_587_7e-10; // ln 2 − LN_2_HIGH
const LOG2_E: f64 = core::f64::consts::LOG2_E;

/// 1/k! for k = 0..=13: the Taylor coefficients of eʳ (Horner with multiplications only).
const EXP_TAYLOR: [f64; 14] = {
    let mut coefficients = [1.0f64; 14];
    let mut degree = 1;
    while degree < 14 {
        coefficients[degree] = coefficients[degree - 1] / degree as f64;
        degree += 1;
    }
    coefficients
};

/// `2^exponent` for an integer exponent in [-1074, 1023] (0 below, ∞ above).
fn power_of_two(exponent: i64) -> f64 {
    if exponent > 1023 {
        f64::INFINITY
    } else if exponent >= -1022 {
        f64::from_bits(((exponent + 1023) as u64) << 52)
    } else if exponent >= -1074 {
        f64::from_bits(1u64 << (exponent + 1074))
    } else {
        0.0
    }
}

/// Above this `exp_f64` is +∞.
const EXP_OVERFLOW: f64 = 709.782_712_893_384;
/// Below this `exp_f64` is 0.
const EXP_UNDERFLOW: f64 = -745.133_219_101_941_1;

/// `[exp_f64(a), exp_f64(b)]`, bit for bit. In the wasm SIMD builds both run at once in
/// `f64x2` lanes with the same operations in the same order (separate multiplies and adds,
/// never fused), when both values are inside the finite range; otherwise, and in other
/// builds, as two scalar calls. Meant for loops of independent exponentials (softmax).
#[inline]
pub fn exp_f64_pair(values: [f64; 2]) -> [f64; 2] {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if let Some(pair) = exp_f64x2_in_range(values) {
        return pair;
    }
    [exp_f64(values[0]), exp_f64(values[1])]
}

/// The lane version of [`exp_f64`] for two values in `[EXP_UNDERFLOW, EXP_OVERFLOW]` (None
/// when either is outside or NaN). There the exponent k is within ±1075, so it is computed in
/// i32 lanes, and both halves of the 2ᵏ split (|k/2| ≤ 538) are normal powers of two built
/// from their bits, exactly as `power_of_two` builds them.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn exp_f64x2_in_range(values: [f64; 2]) -> Option<[f64; 2]> {
    use core::arch::wasm32::{
        f64x2, f64x2_add, f64x2_convert_low_i32x4, f64x2_extract_lane, f64x2_ge, f64x2_le, f64x2_mul, f64x2_splat,
        f64x2_sub, i32x4_add, i32x4_shr, i32x4_splat, i32x4_sub, i32x4_trunc_sat_f64x2_zero, i64x2_all_true,
        i64x2_extend_low_i32x4, i64x2_shl, u32x4_shr, v128, v128_and, v128_bitselect,
    };
    let value = f64x2(values[0], values[1]);
    let inside = v128_and(f64x2_ge(value, f64x2_splat(EXP_UNDERFLOW)), f64x2_le(value, f64x2_splat(EXP_OVERFLOW)));
    if !i64x2_all_true(inside) {
        return None;
    }
    // k = round half away from zero of x·log2(e): trunc(scaled ± 0.5), as `as i64` does.
    let scaled = f64x2_mul(value, f64x2_splat(LOG2_E));
    let half_step = v128_bitselect(f64x2_splat(0.5), f64x2_splat(-0.5), f64x2_ge(scaled, f64x2_splat(0.0)));
    let exponent = i32x4_trunc_sat_f64x2_zero(f64x2_add(scaled, half_step));
    let exponent_f64 = f64x2_convert_low_i32x4(exponent);
    let reduced = f64x2_sub(
        f64x2_sub(value, f64x2_mul(exponent_f64, f64x2_splat(LN_2_HIGH))),
        f64x2_mul(exponent_f64, f64x2_splat(LN_2_LOW)),
    );
    let mut polynomial = f64x2_splat(EXP_TAYLOR[13]);
    for degree in (0..13).rev() {
        polynomial = f64x2_add(f64x2_mul(polynomial, reduced), f64x2_splat(EXP_TAYLOR[degree]));
    }
    // k / 2 truncated toward zero (as i64 division does): (k + (k < 0)) >> 1.
    let half = i32x4_shr(i32x4_add(exponent, u32x4_shr(exponent, 31)), 1);
    let rest = i32x4_sub(exponent, half);
    let power = |part: v128| i64x2_shl(i64x2_extend_low_i32x4(i32x4_add(part, i32x4_splat(1023))), 52);
    let result = f64x2_mul(f64x2_mul(polynomial, power(half)), power(rest));
    Some([f64x2_extract_lane::<0>(result), f64x2_extract_lane::<1>(result)])
}

/// `eˣ` in float64, within 2 ulp: Cody–Waite reduction `x = k·ln 2 + r` (|r| ≤ ln2/2),
/// a degree-13 Taylor polynomial for `eʳ`, then scaling by `2ᵏ` (in two steps near the
/// subnormal range). NaN for NaN, 0 below −745.2, ∞ above 709.8.
pub fn exp_f64(value: f64) -> f64 {
    if value.is_nan() {
        return value;
    }
    if value > EXP_OVERFLOW {
        return f64::INFINITY;
    }
    if value < EXP_UNDERFLOW {
        return 0.0;
    }
    let scaled = value * LOG2_E;
    let exponent = if scaled >= 0.0 { (scaled + 0.5) as i64 } else { (scaled - 0.5) as i64 };
    let reduced = (value - exponent as f64 * LN_2_HIGH) - exponent as f64 * LN_2_LOW;
    let mut polynomial = EXP_TAYLOR[13];
    for degree in (0..13).rev() {
        polynomial = polynomial * reduced + EXP_TAYLOR[degree];
    }
    // Split the scaling so 2ᵏ itself never leaves the normal range before the product.
    let half = exponent / 2;
    polynomial * power_of_two(half) * power_of_two(exponent - half)
}

/// `ln x` in float64, within 2 ulp: `x = m·2ᵉ` with m in [√½, √2), then
/// `ln m = 2·atanh((m−1)/(m+1))` by its series (|s| ≤ 0.172, 13 terms). NaN below 0 or for
/// NaN, −∞ at 0, ∞ at ∞.
pub fn ln_f64(value: f64) -> f64 {
    if value.is_nan() || value < 0.0 {
        return f64::NAN;
    }
    if value == 0.0 {
        return f64::NEG_INFINITY;
    }
    if value == f64::INFINITY {
        return value;
    }
    let (normal, extra_exponent) = if value < f64::MIN_POSITIVE { (value * 18_014_398_509_481_984.0, -54) } else { (value, 0) };
    let bits = normal.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64 - 1023 + extra_exponent;
    let mut mantissa = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if mantissa > core::f64::consts::SQRT_2 {
        mantissa *= 0.5;
        exponent += 1;
    }
    let ratio = (mantissa - 1.0) / (mantissa + 1.0);
    let ratio_squared = ratio * ratio;
    let mut series = 0.0;
    for term in (0..13).rev() {
        series = 1.0 / (2 * term + 1) as f64 + ratio_squared * series;
    }
    exponent as f64 * LN_2_HIGH + (exponent as f64 * LN_2_LOW + 2.0 * ratio * series)
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
    fn exp_and_ln_match_std() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut worst = (0u64, 0u64);
        for _ in 0..300_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let exponent_input = unit * 1460.0 - 745.0;
            let exp_error = ulp_distance(exp_f64(exponent_input), exponent_input.exp());
            let log_input = f64::from_bits(state >> 2);
            let log_error = if log_input.is_finite() && log_input > 0.0 { ulp_distance(ln_f64(log_input), log_input.ln()) } else { 0 };
            worst = (worst.0.max(exp_error), worst.1.max(log_error));
        }
        assert!(worst.0 <= 2 && worst.1 <= 2, "worst ulp errors: exp {}, ln {}", worst.0, worst.1);
        for value in [-1e-300, 0.0, 1e-310, 1.0, 2.0, 0.5, 700.0, -700.0, -744.0] {
            assert!(ulp_distance(exp_f64(value), value.exp()) <= 2, "exp({value})");
        }
        assert_eq!(exp_f64(710.0), f64::INFINITY);
        assert_eq!(exp_f64(-746.0), 0.0);
        assert!(exp_f64(f64::NAN).is_nan());
        assert_eq!(ln_f64(1.0), 0.0);
        assert_eq!(ln_f64(0.0), f64::NEG_INFINITY);
        assert!(ln_f64(-1.0).is_nan());
        assert!(ulp_distance(ln_f64(5e-324), 5e-324f64.ln()) <= 2);
    }

    #[test]
    fn clamp_min_keeps_nan() {
        assert!(clamp_min_f32(f32::NAN, 1e-8).is_nan());
        assert_eq!(clamp_min_f32(0.0, 1e-8), 1e-8);
        assert_eq!(clamp_min_f32(3.0, 1e-8), 3.0);
        assert!(clamp_min_f64(f64::NAN, 1e-8).is_nan());
    }
}
