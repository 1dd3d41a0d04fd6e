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
/// Native tests run the lane algorithm with portable lanes against [`exp_f64`].
#[inline]
pub fn exp_f64_pair(values: [f64; 2]) -> [f64; 2] {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if let Some(pair) = exp_f64x2_in_range::<lanes_f64x2::Simd128F64x2>(values) {
        return pair;
    }
    [exp_f64(values[0]), exp_f64(values[1])]
}

/// The lane version of [`exp_f64`] for two values in `[EXP_UNDERFLOW, EXP_OVERFLOW]` (None
/// when either is outside or NaN). There the exponent k is within ±1075, so it is computed in
/// i32 lanes, and both halves of the 2ᵏ split (|k/2| ≤ 538) are normal powers of two built
/// from their bits, exactly as `power_of_two` builds them.
#[cfg(any(test, all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn exp_f64x2_in_range<V: lanes_f64x2::F64x2>(values: [f64; 2]) -> Option<[f64; 2]> {
    let value = V::new(values);
    if !value.all_within(EXP_UNDERFLOW, EXP_OVERFLOW) {
        return None;
    }
    // k = round half away from zero of x·log2(e): trunc(scaled ± 0.5), as `as i64` does.
    let scaled = value.mul(V::splat(LOG2_E));
    let exponent = scaled.add(scaled.half_with_sign()).truncate();
    let exponent_f64 = V::from_exponents(exponent);
    let reduced = value.sub(exponent_f64.mul(V::splat(LN_2_HIGH))).sub(exponent_f64.mul(V::splat(LN_2_LOW)));
    let mut polynomial = V::splat(EXP_TAYLOR[13]);
    for degree in (0..13).rev() {
        polynomial = polynomial.mul(reduced).add(V::splat(EXP_TAYLOR[degree]));
    }
    let (half, rest) = V::split_exponents(exponent);
    Some(polynomial.mul(V::power_of_two(half)).mul(V::power_of_two(rest)).to_array())
}

/// Two float64 lanes for [`exp_f64x2_in_range`]: `Simd128F64x2` in the wasm SIMD builds,
/// `PortableF64x2` (plain arithmetic, mirroring each instruction) in native tests.
#[cfg(any(test, all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes_f64x2 {
    /// Two float64 lanes and the operations the paired exponential needs.
    pub(super) trait F64x2: Copy {
        /// One i32 exponent per float64 lane.
        type Exponents: Copy;
        /// Lane 0 = `values[0]`, lane 1 = `values[1]`.
        fn new(values: [f64; 2]) -> Self;
        /// Both lanes `value`.
        fn splat(value: f64) -> Self;
        /// `self + other`.
        fn add(self, other: Self) -> Self;
        /// `self − other`.
        fn sub(self, other: Self) -> Self;
        /// `self · other` (never fused with an add).
        fn mul(self, other: Self) -> Self;
        /// Whether both lanes are in `[low, high]` (false for NaN).
        fn all_within(self, low: f64, high: f64) -> bool;
        /// 0.5 in lanes ≥ 0, −0.5 elsewhere.
        fn half_with_sign(self) -> Self;
        /// Each lane truncated toward zero to i32 (saturating).
        fn truncate(self) -> Self::Exponents;
        /// The exponents as float64 (exact).
        fn from_exponents(exponents: Self::Exponents) -> Self;
        /// `(k / 2 truncated toward zero, k − k / 2)`.
        fn split_exponents(exponents: Self::Exponents) -> (Self::Exponents, Self::Exponents);
        /// `2ᵏ` built from its bits, for k in the normal range [−1022, 1023].
        fn power_of_two(exponents: Self::Exponents) -> Self;
        /// The two lanes, lane 0 first.
        fn to_array(self) -> [f64; 2];
    }

    /// Plain float64 and i32 arithmetic, one instruction of the wasm layer per step.
    #[cfg(test)]
    #[derive(Clone, Copy)]
    pub(super) struct PortableF64x2([f64; 2]);

    #[cfg(test)]
    impl F64x2 for PortableF64x2 {
        type Exponents = [i32; 2];
        fn new(values: [f64; 2]) -> Self {
            PortableF64x2(values)
        }
        fn splat(value: f64) -> Self {
            PortableF64x2([value; 2])
        }
        fn add(self, other: Self) -> Self {
            PortableF64x2([self.0[0] + other.0[0], self.0[1] + other.0[1]])
        }
        fn sub(self, other: Self) -> Self {
            PortableF64x2([self.0[0] - other.0[0], self.0[1] - other.0[1]])
        }
        fn mul(self, other: Self) -> Self {
            PortableF64x2([self.0[0] * other.0[0], self.0[1] * other.0[1]])
        }
        fn all_within(self, low: f64, high: f64) -> bool {
            self.0.iter().all(|&value| value >= low && value <= high)
        }
        fn half_with_sign(self) -> Self {
            PortableF64x2(self.0.map(|value| if value >= 0.0 { 0.5 } else { -0.5 }))
        }
        fn truncate(self) -> [i32; 2] {
            self.0.map(|value| value as i32) // saturating, as i32x4.trunc_sat_f64x2_s_zero
        }
        fn from_exponents(exponents: [i32; 2]) -> Self {
            PortableF64x2(exponents.map(f64::from))
        }
        fn split_exponents(exponents: [i32; 2]) -> ([i32; 2], [i32; 2]) {
            // (k + (k < 0)) >> 1: the sign bit by a logical shift, then an arithmetic shift.
            let half = exponents.map(|exponent| exponent.wrapping_add(((exponent as u32) >> 31) as i32) >> 1);
            (half, [exponents[0].wrapping_sub(half[0]), exponents[1].wrapping_sub(half[1])])
        }
        fn power_of_two(exponents: [i32; 2]) -> Self {
            // i32 add, sign-extend to i64, shift left by 52.
            PortableF64x2(exponents.map(|exponent| f64::from_bits((i64::from(exponent.wrapping_add(1023)) << 52) as u64)))
        }
        fn to_array(self) -> [f64; 2] {
            self.0
        }
    }

    /// wasm `f64x2` lanes; the exponents are the low two lanes of an `i32x4`.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    #[derive(Clone, Copy)]
    pub(super) struct Simd128F64x2(core::arch::wasm32::v128);

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    impl F64x2 for Simd128F64x2 {
        type Exponents = core::arch::wasm32::v128;
        #[inline(always)]
        fn new(values: [f64; 2]) -> Self {
            Simd128F64x2(core::arch::wasm32::f64x2(values[0], values[1]))
        }
        #[inline(always)]
        fn splat(value: f64) -> Self {
            Simd128F64x2(core::arch::wasm32::f64x2_splat(value))
        }
        #[inline(always)]
        fn add(self, other: Self) -> Self {
            Simd128F64x2(core::arch::wasm32::f64x2_add(self.0, other.0))
        }
        #[inline(always)]
        fn sub(self, other: Self) -> Self {
            Simd128F64x2(core::arch::wasm32::f64x2_sub(self.0, other.0))
        }
        #[inline(always)]
        fn mul(self, other: Self) -> Self {
            Simd128F64x2(core::arch::wasm32::f64x2_mul(self.0, other.0))
        }
        #[inline(always)]
        fn all_within(self, low: f64, high: f64) -> bool {
            use core::arch::wasm32::{f64x2_ge, f64x2_le, f64x2_splat, i64x2_all_true, v128_and};
            i64x2_all_true(v128_and(f64x2_ge(self.0, f64x2_splat(low)), f64x2_le(self.0, f64x2_splat(high))))
        }
        #[inline(always)]
        fn half_with_sign(self) -> Self {
            use core::arch::wasm32::{f64x2_ge, f64x2_splat, v128_bitselect};
            Simd128F64x2(v128_bitselect(f64x2_splat(0.5), f64x2_splat(-0.5), f64x2_ge(self.0, f64x2_splat(0.0))))
        }
        #[inline(always)]
        fn truncate(self) -> core::arch::wasm32::v128 {
            core::arch::wasm32::i32x4_trunc_sat_f64x2_zero(self.0)
        }
        #[inline(always)]
        fn from_exponents(exponents: core::arch::wasm32::v128) -> Self {
            Simd128F64x2(core::arch::wasm32::f64x2_convert_low_i32x4(exponents))
        }
        #[inline(always)]
        fn split_exponents(exponents: core::arch::wasm32::v128) -> (core::arch::wasm32::v128, core::arch::wasm32::v128) {
            use core::arch::wasm32::{i32x4_add, i32x4_shr, i32x4_sub, u32x4_shr};
            let half = i32x4_shr(i32x4_add(exponents, u32x4_shr(exponents, 31)), 1);
            (half, i32x4_sub(exponents, half))
        }
        #[inline(always)]
        fn power_of_two(exponents: core::arch::wasm32::v128) -> Self {
            use core::arch::wasm32::{i32x4_add, i32x4_splat, i64x2_extend_low_i32x4, i64x2_shl};
            Simd128F64x2(i64x2_shl(i64x2_extend_low_i32x4(i32x4_add(exponents, i32x4_splat(1023))), 52))
        }
        #[inline(always)]
        fn to_array(self) -> [f64; 2] {
            use core::arch::wasm32::f64x2_extract_lane;
            [f64x2_extract_lane::<0>(self.0), f64x2_extract_lane::<1>(self.0)]
        }
    }
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

/// `eˣ` for every float32 of `values`, in place, within 2 ulp for x in [−87, 88] (below
/// −87 the result is e⁻⁸⁷ ≈ 1.6e−38 instead of a smaller number, above 88 it is e⁸⁸; NaN
/// stays NaN). Branch-free so that LLVM turns the loop into `f32x4` lanes in the SIMD
/// builds; the operations are the same IEEE ones in every build (no fusion), so the scalar,
/// simd128 and relaxed modules agree bit for bit. Reduction `x = k·ln 2 + r` with k rounded
/// to nearest by the 1.5·2²³ trick, a degree-7 Taylor polynomial for `eʳ` (|r| ≤ 0.347:
/// truncation below 6e−9), then `2ᵏ` from its bits. Meant for softmax terms `logit − max`.
/// Not inlined: one vectorised copy of the loop serves every caller.
#[inline(never)]
pub fn exp_f32_in_place(values: &mut [f32]) {
    for value in values.iter_mut() {
        *value = exp_f32_lane(*value);
    }
}

#[inline(always)]
fn exp_f32_lane(value: f32) -> f32 {
    const ROUNDING: f32 = 12_582_912.0; // 1.5·2²³: adding it rounds to an integer
    const LN_2_HIGH_F32: f32 = 0.693_359_375; // 9 significant bits: k·LN_2_HIGH_F32 is exact for |k| ≤ 127
    const LN_2_LOW_F32: f32 = -2.121_944_4e-4; // ln 2 − LN_2_HIGH_F32
    let x = if value < -87.0 {
        -87.0
    } else if value > 88.0 {
        88.0
    } else {
        value
    };
    let shifted = x * core::f32::consts::LOG2_E + ROUNDING;
    let exponent = shifted - ROUNDING;
    let reduced = (x - exponent * LN_2_HIGH_F32) - exponent * LN_2_LOW_F32;
    let mut polynomial = 1.0 / 5040.0;
    for coefficient in [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
        polynomial = polynomial * reduced + coefficient;
    }
    // The low mantissa bits of `shifted` hold k (two's complement): k + 127 in [1, 254].
    let biased = (shifted.to_bits() as i32).wrapping_sub(0x4B40_0000).wrapping_add(127);
    polynomial * f32::from_bits((biased as u32) << 23)
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

    /// The paired exponential's lane algorithm (run here with portable lanes that mirror each
    /// wasm instruction) agrees with `exp_f64` bit for bit wherever it runs, refuses exactly
    /// the pairs with a value outside the finite range or NaN, and `exp_f64_pair` (lanes or
    /// two scalar calls) equals two `exp_f64` calls for every pair. Values: uniform over the
    /// whole domain, integers and half-integers of x·log2(e) (the rounding ties of k), the
    /// subnormal-result range, both range edges and their neighbours, ±0, ±∞, NaN.
    #[test]
    fn paired_exp_is_bitwise_exp_f64() {
        use lanes_f64x2::PortableF64x2;
        let next_up = |value: f64| if value >= 0.0 { f64::from_bits(value.to_bits() + 1) } else { f64::from_bits(value.to_bits() - 1) };
        let next_down = |value: f64| if value > 0.0 { f64::from_bits(value.to_bits() - 1) } else { f64::from_bits(value.to_bits() + 1) };
        let mut values = std::vec![0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, -1e-300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN];
        for edge in [EXP_OVERFLOW, EXP_UNDERFLOW, -708.396_418_532_264_1, -709.0, -744.44, 709.78, -745.13] {
            values.extend([edge, next_up(edge), next_down(edge), next_up(next_up(edge)), next_down(next_down(edge))]);
        }
        for step in -2150..=2050 {
            // k ties: x·log2(e) = step / 2, and its neighbours.
            let value = f64::from(step) * 0.5 / LOG2_E;
            values.extend([value, next_up(value), next_down(value)]);
        }
        let mut state = 0x51_7CC1_B727_220Au64;
        for _ in 0..40_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            values.push(unit * 1460.0 - 748.0); // a little past both edges
            values.push(unit * 38.0 - 745.5); // subnormal and tiny results
        }
        let mut lane_pairs = 0;
        for (index, &first) in values.iter().enumerate() {
            for &second in [values[(index * 7 + 3) % values.len()], values[values.len() - 1 - index], first].iter() {
                let expected = [exp_f64(first), exp_f64(second)];
                let same = |pair: [f64; 2]| pair.iter().zip(&expected).all(|(got, want)| got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()));
                let inside = |value: f64| (EXP_UNDERFLOW..=EXP_OVERFLOW).contains(&value);
                match exp_f64x2_in_range::<PortableF64x2>([first, second]) {
                    Some(pair) => {
                        assert!(inside(first) && inside(second), "lanes ran outside the range: {first:e}, {second:e}");
                        assert!(same(pair), "exp({first:e}), exp({second:e}): lanes {pair:?} vs {expected:?}");
                        lane_pairs += 1;
                    }
                    None => assert!(!(inside(first) && inside(second)), "lanes refused {first:e}, {second:e}"),
                }
                assert!(same(exp_f64_pair([first, second])), "exp_f64_pair({first:e}, {second:e})");
            }
        }
        assert!(lane_pairs > 60_000, "only {lane_pairs} pairs reached the lanes");
        assert!(exp_f64(EXP_UNDERFLOW) > 0.0 && exp_f64(EXP_UNDERFLOW) < f64::MIN_POSITIVE, "the lowest edge gives a subnormal");
        assert!(exp_f64(EXP_OVERFLOW).is_finite());
    }

    #[test]
    fn clamp_min_keeps_nan() {
        assert!(clamp_min_f32(f32::NAN, 1e-8).is_nan());
        assert_eq!(clamp_min_f32(0.0, 1e-8), 1e-8);
        assert_eq!(clamp_min_f32(3.0, 1e-8), 3.0);
        assert!(clamp_min_f64(f64::NAN, 1e-8).is_nan());
    }

    #[test]
    fn exp_f32_within_two_ulp_of_float64() {
        let mut worst = 0.0f64;
        for step in 0..=100_000 {
            let x = -87.0 + f64::from(step) * (175.0 / 100_000.0);
            let mut value = [x as f32];
            exp_f32_in_place(&mut value);
            let exact = f64::from(x as f32).exp();
            let ulp = f64::from(f32::EPSILON) * exact;
            worst = worst.max((f64::from(value[0]) - exact).abs() / ulp);
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
        let mut special = [f32::NAN, -1000.0, 0.0, 1000.0];
        exp_f32_in_place(&mut special);
        assert!(special[0].is_nan());
        assert!(special[1] > 0.0 && special[1] < 2e-38);
        assert_eq!(special[2], 1.0);
        assert!(special[3] > 1.6e38 && special[3].is_finite());
    }
}
