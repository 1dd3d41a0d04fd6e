//! [`Simd128`]: wasm `simd128` lanes. Multiply and add stay separate instructions (two
//! roundings), exactly like [`super::Portable`].

use super::F32x4;
use core::arch::wasm32::{
    f32x4_abs, f32x4_add, f32x4_div, f32x4_extract_lane, f32x4_gt, f32x4_max, f32x4_mul, f32x4_ne,
    f32x4_splat, i32x4_shuffle, v128, v128_any_true, v128_load, v128_or, v128_store,
};

/// Four `f32` lanes in a wasm `v128`.
#[derive(Clone, Copy)]
pub struct Simd128(pub v128);

impl F32x4 for Simd128 {
    #[inline(always)]
    fn zero() -> Self {
        Simd128(f32x4_splat(0.0))
    }
    #[inline(always)]
    fn splat(value: f32) -> Self {
        Simd128(f32x4_splat(value))
    }
    #[inline(always)]
    fn load(quad: &[f32; 4]) -> Self {
        // SAFETY: `quad` is a reference to 4 initialised f32 = 16 readable bytes;
        // v128_load has no alignment requirement.
        Simd128(unsafe { v128_load(quad.as_ptr().cast::<v128>()) })
    }
    #[inline(always)]
    fn store(self, quad: &mut [f32; 4]) {
        // SAFETY: `quad` is an exclusive reference to 16 writable bytes; v128_store has no
        // alignment requirement.
        unsafe { v128_store(quad.as_mut_ptr().cast::<v128>(), self.0) }
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Simd128(f32x4_add(self.0, other.0))
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        Simd128(f32x4_mul(self.0, other.0))
    }
    #[inline(always)]
    fn div(self, other: Self) -> Self {
        Simd128(f32x4_div(self.0, other.0))
    }
    #[inline(always)]
    fn mul_add(self, factor: Self, addend: Self) -> Self {
        Simd128(f32x4_add(f32x4_mul(self.0, factor.0), addend.0))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Simd128(f32x4_abs(self.0))
    }
    #[inline(always)]
    fn max_nan_propagating(self, other: Self) -> Self {
        // wasm f32x4.max returns NaN when either lane is NaN.
        Simd128(f32x4_max(self.0, other.0))
    }
    #[inline(always)]
    fn any_above_or_nan(self, floor: f32) -> bool {
        // x != x only for NaN lanes.
        v128_any_true(v128_or(f32x4_gt(self.0, f32x4_splat(floor)), f32x4_ne(self.0, self.0)))
    }
    #[inline(always)]
    fn transpose4(rows: [Self; 4]) -> [Self; 4] {
        let [r0, r1, r2, r3] = rows.map(|row| row.0);
        // Interleave pairs of rows, then pairs of 64-bit halves.
        let low01 = i32x4_shuffle::<0, 4, 1, 5>(r0, r1);
        let high01 = i32x4_shuffle::<2, 6, 3, 7>(r0, r1);
        let low23 = i32x4_shuffle::<0, 4, 1, 5>(r2, r3);
        let high23 = i32x4_shuffle::<2, 6, 3, 7>(r2, r3);
        [
            Simd128(i32x4_shuffle::<0, 1, 4, 5>(low01, low23)),
            Simd128(i32x4_shuffle::<2, 3, 6, 7>(low01, low23)),
            Simd128(i32x4_shuffle::<0, 1, 4, 5>(high01, high23)),
            Simd128(i32x4_shuffle::<2, 3, 6, 7>(high01, high23)),
        ]
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 4] {
        [
            f32x4_extract_lane::<0>(self.0),
            f32x4_extract_lane::<1>(self.0),
            f32x4_extract_lane::<2>(self.0),
            f32x4_extract_lane::<3>(self.0),
        ]
    }
}
