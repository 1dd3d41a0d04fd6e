//! [`Relaxed`]: wasm `relaxed-simd` lanes. Identical to [`super::Simd128`] except that
//! `mul_add` is `f32x4.relaxed_madd`, which the engine may execute as a fused
//! multiply-add (x86 FMA3, Arm FMLA) or as multiply then add.

use super::{F32x4, Simd128};
use core::arch::wasm32::{f32x4_relaxed_madd, v128};

/// Four `f32` lanes in a wasm `v128`, with relaxed (possibly fused) multiply-add.
#[derive(Clone, Copy)]
pub struct Relaxed(pub v128);

impl Relaxed {
    #[inline(always)]
    fn plain(self) -> Simd128 {
        Simd128(self.0)
    }
}

impl F32x4 for Relaxed {
    #[inline(always)]
    fn zero() -> Self {
        Relaxed(Simd128::zero().0)
    }
    #[inline(always)]
    fn splat(value: f32) -> Self {
        Relaxed(Simd128::splat(value).0)
    }
    #[inline(always)]
    fn load(quad: &[f32; 4]) -> Self {
        Relaxed(Simd128::load(quad).0)
    }
    #[inline(always)]
    fn store(self, quad: &mut [f32; 4]) {
        self.plain().store(quad)
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Relaxed(self.plain().add(other.plain()).0)
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        Relaxed(self.plain().mul(other.plain()).0)
    }
    #[inline(always)]
    fn div(self, other: Self) -> Self {
        Relaxed(self.plain().div(other.plain()).0)
    }
    #[inline(always)]
    fn mul_add(self, factor: Self, addend: Self) -> Self {
        Relaxed(f32x4_relaxed_madd(self.0, factor.0, addend.0))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Relaxed(self.plain().abs().0)
    }
    #[inline(always)]
    fn max_nan_propagating(self, other: Self) -> Self {
        Relaxed(self.plain().max_nan_propagating(other.plain()).0)
    }
    #[inline(always)]
    fn any_above_or_nan(self, floor: f32) -> bool {
        self.plain().any_above_or_nan(floor)
    }
    #[inline(always)]
    fn transpose4(rows: [Self; 4]) -> [Self; 4] {
        Simd128::transpose4(rows.map(Relaxed::plain)).map(|row| Relaxed(row.0))
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 4] {
        self.plain().to_array()
    }
}
