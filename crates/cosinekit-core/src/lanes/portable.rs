//! [`Portable`]: four lanes emulated with `[f32; 4]`. Same operation order as the wasm
//! types, so a generic kernel instantiated with it computes what the simd128 build
//! computes (bit for bit, since simd128 does not fuse multiply and add).

use super::{F32x4, max_nan_propagating_f32};

/// Four `f32` lanes in a plain array; the reference implementation of [`F32x4`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Portable(pub [f32; 4]);

impl Portable {
    #[inline(always)]
    fn map2(self, other: Self, operation: impl Fn(f32, f32) -> f32) -> Self {
        let (left, right) = (self.0, other.0);
        Portable([
            operation(left[0], right[0]),
            operation(left[1], right[1]),
            operation(left[2], right[2]),
            operation(left[3], right[3]),
        ])
    }
}

impl F32x4 for Portable {
    #[inline(always)]
    fn any_above_or_nan(self, floor: f32) -> bool {
        self.0.iter().any(|&value| value > floor || value.is_nan())
    }
    #[inline(always)]
    fn transpose4(rows: [Self; 4]) -> [Self; 4] {
        core::array::from_fn(|lane| Portable(core::array::from_fn(|row| rows[row].0[lane])))
    }
    #[inline(always)]
    fn zero() -> Self {
        Portable([0.0; 4])
    }
    #[inline(always)]
    fn splat(value: f32) -> Self {
        Portable([value; 4])
    }
    #[inline(always)]
    fn load(quad: &[f32; 4]) -> Self {
        Portable(*quad)
    }
    #[inline(always)]
    fn store(self, quad: &mut [f32; 4]) {
        *quad = self.0;
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self.map2(other, |left, right| left + right)
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        self.map2(other, |left, right| left * right)
    }
    #[inline(always)]
    fn div(self, other: Self) -> Self {
        self.map2(other, |left, right| left / right)
    }
    #[inline(always)]
    fn mul_add(self, factor: Self, addend: Self) -> Self {
        self.mul(factor).add(addend)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Portable(self.0.map(f32::abs))
    }
    #[inline(always)]
    fn max_nan_propagating(self, other: Self) -> Self {
        self.map2(other, max_nan_propagating_f32)
    }
    #[inline(always)]
    fn to_array(self) -> [f32; 4] {
        self.0
    }
}
