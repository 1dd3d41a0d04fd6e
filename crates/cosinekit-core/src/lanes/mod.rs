//! The per-instruction-set layer: four `f32` lanes and the handful of operations the
//! kernels need. Kernels are written once, generic over [`F32x4`], and instantiated with
//!
//! - [`Portable`] — plain `[f32; 4]` arithmetic; always compiled. Native tests run the
//!   generic kernels with it, so the blocking, unrolling and tail handling of the SIMD
//!   algorithm are tested on the host even though wasm SIMD cannot execute there.
//! - `Simd128` — wasm `simd128` (`f32x4_mul` + `f32x4_add`, no fusion).
//! - `Relaxed` — wasm `relaxed-simd`: `mul_add` is `f32x4_relaxed_madd`, which the engine
//!   may fuse (one rounding) or not (two roundings). Results may therefore differ from
//!   `Simd128` in the last bits; the accuracy contract (1e-5 vs float64) holds for both.
//!
//! [`Native`] names the best type this build has; the wasm crate is compiled three times
//! with different `target-feature` sets, and `cfg(target_feature)` picks the layer.

mod portable;
pub use portable::Portable;

mod f16x8;
mod i8x16;
pub use f16x8::{F16x8, HALF_REBIAS, NativeF16x8, PortableF16x8, half_rebias_bits};
pub use i8x16::{I8x16, NativeI8x16, PortableI8x16};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod f16x8_simd128;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod i8x16_simd128;
#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
pub use f16x8_simd128::RelaxedF16x8;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use f16x8_simd128::Simd128F16x8;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use i8x16_simd128::Simd128I8x16;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use simd128::Simd128;

#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
mod relaxed;
#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
pub use relaxed::Relaxed;

/// Four `f32` lanes. Every operation is lane-wise unless its name says otherwise.
pub trait F32x4: Copy {
    /// All lanes 0.0.
    fn zero() -> Self;
    /// All lanes `value`.
    fn splat(value: f32) -> Self;
    /// Loads four consecutive floats (no alignment requirement).
    fn load(quad: &[f32; 4]) -> Self;
    /// Stores the four lanes.
    fn store(self, quad: &mut [f32; 4]);
    /// `self + other`.
    fn add(self, other: Self) -> Self;
    /// `self * other`.
    fn mul(self, other: Self) -> Self;
    /// `self / other` (IEEE division).
    fn div(self, other: Self) -> Self;
    /// `self * factor + addend`; fused or not, depending on the instruction set.
    fn mul_add(self, factor: Self, addend: Self) -> Self;
    /// `|self|`.
    fn abs(self) -> Self;
    /// Lane-wise maximum that returns NaN when either lane is NaN (wasm `f32x4.max`).
    fn max_nan_propagating(self, other: Self) -> Self;
    /// The four lanes, lane 0 first.
    fn to_array(self) -> [f32; 4];
    /// Whether any lane is NaN or greater than `floor` (a filter: false means no lane can
    /// rank above `floor` in top-k order).
    fn any_above_or_nan(self, floor: f32) -> bool;
    /// The 4×4 transpose: lane `j` of output `i` is lane `i` of input `j` (shuffles only,
    /// values copied bit for bit).
    fn transpose4(rows: [Self; 4]) -> [Self; 4];

    /// `(l0 + l1) + (l2 + l3)`: the horizontal sum, in a fixed pairwise order.
    #[inline(always)]
    fn reduce_sum(self) -> f32 {
        let [l0, l1, l2, l3] = self.to_array();
        (l0 + l1) + (l2 + l3)
    }

    /// The horizontal maximum, NaN if any lane is NaN.
    #[inline(always)]
    fn reduce_max_nan_propagating(self) -> f32 {
        let [l0, l1, l2, l3] = self.to_array();
        max_nan_propagating_f32(max_nan_propagating_f32(l0, l1), max_nan_propagating_f32(l2, l3))
    }
}

/// Scalar maximum with the NaN rule of wasm `f32.max`: NaN if either input is NaN.
/// (`f32::max` would return the non-NaN input instead.)
#[inline(always)]
pub fn max_nan_propagating_f32(left: f32, right: f32) -> f32 {
    if left.is_nan() || right.is_nan() {
        f32::NAN
    } else if left > right {
        left
    } else {
        right
    }
}

/// The best lane type of this build: relaxed-simd, else simd128, else the portable one.
#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
pub type Native = Relaxed;
/// The best lane type of this build: relaxed-simd, else simd128, else the portable one.
#[cfg(all(
    target_arch = "wasm32",
    target_feature = "simd128",
    not(target_feature = "relaxed-simd")
))]
pub type Native = Simd128;
/// The best lane type of this build: relaxed-simd, else simd128, else the portable one.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub type Native = Portable;

/// Whether [`Native`] is a real SIMD type (wasm simd128 or relaxed). Where it is not,
/// `Native` is [`Portable`] (plain scalar code once compiled without simd128): the row
/// kernels then use their scalar reference loops instead, everything else the lane code.
pub const NATIVE_IS_SIMD: bool = cfg!(all(target_arch = "wasm32", target_feature = "simd128"));
