//! [`Simd128F16x8`] and [`RelaxedF16x8`]: eight halves in a wasm `v128`, decoded with
//! shifts, one mask and one multiply per four lanes (see [`super::F16x8`]). The relaxed
//! layer decodes identically and only hands its floats to [`super::Relaxed`] lanes.

use super::{F16x8, HALF_REBIAS, Simd128};
use core::arch::wasm32::{
    f32x4_mul, f32x4_splat, i16x8_shl, i32x4_shl, i32x4_shr, i32x4_splat, u16x8_ge, u16x8_max, u16x8_splat, v128, v128_and,
    v128_any_true, v128_load,
};

/// Eight binary16 lanes in a wasm `v128`, decoded to [`Simd128`] lanes.
#[derive(Clone, Copy)]
pub struct Simd128F16x8(pub v128);

/// The even and odd halves' f32 bits before the rebias (values times 2⁻¹¹²).
#[inline(always)]
fn decode_bits_unscaled(halves: v128) -> [v128; 2] {
    let mask = i32x4_splat(0x8FFF_E000_u32 as i32);
    let odd = v128_and(i32x4_shr(halves, 3), mask);
    let even = v128_and(i32x4_shr(i32x4_shl(halves, 16), 3), mask);
    [even, odd]
}

#[inline(always)]
fn decode_bits(halves: v128) -> [v128; 2] {
    let rebias = f32x4_splat(HALF_REBIAS);
    decode_bits_unscaled(halves).map(|bits| f32x4_mul(bits, rebias))
}

impl F16x8 for Simd128F16x8 {
    type Float = Simd128;
    #[inline(always)]
    fn load(halves: &[u16; 8]) -> Self {
        // SAFETY: `halves` is a reference to 8 u16 = 16 readable bytes; v128_load has no
        // alignment requirement.
        Simd128F16x8(unsafe { v128_load(halves.as_ptr().cast::<v128>()) })
    }
    #[inline(always)]
    fn decode_even_odd(self) -> [Simd128; 2] {
        decode_bits(self.0).map(Simd128)
    }
    #[inline(always)]
    fn decode_even_odd_unscaled(self) -> [Simd128; 2] {
        decode_bits_unscaled(self.0).map(Simd128)
    }
    #[inline(always)]
    fn no_flags() -> Self {
        Simd128F16x8(u16x8_splat(0))
    }
    #[inline(always)]
    fn track_non_finite(self, flags: Self) -> Self {
        Simd128F16x8(u16x8_max(flags.0, i16x8_shl(self.0, 1)))
    }
    #[inline(always)]
    fn any_non_finite(flags: Self) -> bool {
        v128_any_true(u16x8_ge(flags.0, u16x8_splat(0xF800)))
    }
}

/// Eight binary16 lanes in a wasm `v128`, decoded to [`super::Relaxed`] lanes.
#[cfg(target_feature = "relaxed-simd")]
#[derive(Clone, Copy)]
pub struct RelaxedF16x8(pub v128);

#[cfg(target_feature = "relaxed-simd")]
impl F16x8 for RelaxedF16x8 {
    type Float = super::Relaxed;
    #[inline(always)]
    fn load(halves: &[u16; 8]) -> Self {
        RelaxedF16x8(Simd128F16x8::load(halves).0)
    }
    #[inline(always)]
    fn decode_even_odd(self) -> [super::Relaxed; 2] {
        decode_bits(self.0).map(super::Relaxed)
    }
    #[inline(always)]
    fn decode_even_odd_unscaled(self) -> [super::Relaxed; 2] {
        decode_bits_unscaled(self.0).map(super::Relaxed)
    }
    #[inline(always)]
    fn no_flags() -> Self {
        RelaxedF16x8(Simd128F16x8::no_flags().0)
    }
    #[inline(always)]
    fn track_non_finite(self, flags: Self) -> Self {
        RelaxedF16x8(Simd128F16x8(self.0).track_non_finite(Simd128F16x8(flags.0)).0)
    }
    #[inline(always)]
    fn any_non_finite(flags: Self) -> bool {
        Simd128F16x8::any_non_finite(Simd128F16x8(flags.0))
    }
}
