//! Eight IEEE binary16 lanes decoded to two [`F32x4`] vectors in registers, for the
//! float16 kernels. The decode is integer bit moves and one multiply:
//!
//! - an i32 lane holds two halves (`h_even | h_odd << 16`); the odd half is
//!   `(lane >>ₛ 3) & 0x8FFF_E000`, the even one the same after `lane << 16`: the sign
//!   lands on bit 31 and exponent + mantissa on bits 27..13, an f32 whose exponent field
//!   is the half's;
//! - times 2¹¹² (exact) rebiases the exponent: normal halves and subnormal ones (decoded
//!   through f32 subnormals, so exactly) come out as their values. Kernels that multiply
//!   the decoded values by a float32 operand can skip this multiply
//!   ([`F16x8::decode_even_odd_unscaled`]) and scale that operand by 2¹¹² instead.
//!
//! So every finite half decodes exactly, and the even/odd split (lanes 0, 2, 4, 6 and
//! 1, 3, 5, 7) is a fixed permutation: kernels permute the other operand the same way.
//! Halves with exponent 31 (±∞, NaN) decode to finite values in [2¹⁶, 2¹⁷); kernels flag
//! them with [`F16x8::track_non_finite`] and return NaN for their rows.
//!
//! Layers: [`PortableF16x8`] (arrays, lanes [`Portable`]), `Simd128F16x8` (lanes
//! `Simd128`), `RelaxedF16x8` (lanes `Relaxed`, same decode). [`NativeF16x8`] is this
//! build's.

use super::{F32x4, Portable};

/// 2¹¹², the factor that turns a half's exponent field, read as an f32's, into its value.
pub const HALF_REBIAS: f32 = f32::from_bits((127 + 112) << 23);

/// The f32 bits of half `half` before the rebias: sign on bit 31, exponent and mantissa on
/// bits 27..13.
#[inline(always)]
pub const fn half_rebias_bits(half: u16) -> u32 {
    ((half as u32 & 0x8000) << 16) | ((half as u32 & 0x7FFF) << 13)
}

/// Eight binary16 lanes.
pub trait F16x8: Copy {
    /// The float lanes the halves decode to.
    type Float: F32x4;
    /// Loads eight halves (no alignment requirement).
    fn load(halves: &[u16; 8]) -> Self;
    /// `[lanes 0, 2, 4, 6; lanes 1, 3, 5, 7]` as f32, exact for finite halves; exponent-31
    /// halves give finite values (see the module doc).
    fn decode_even_odd(self) -> [Self::Float; 2];
    /// [`F16x8::decode_even_odd`] without the rebias: each value times 2⁻¹¹², exactly (bit
    /// moves only; normal halves land on normal floats, subnormal ones on subnormal floats).
    fn decode_even_odd_unscaled(self) -> [Self::Float; 2];
    /// Flags with no half seen.
    fn no_flags() -> Self;
    /// Running flags of the halves seen: lane-wise u16 maximum of `half << 1`.
    fn track_non_finite(self, flags: Self) -> Self;
    /// Whether the flags saw a half with exponent 31 (`half << 1 ≥ 0xF800`).
    fn any_non_finite(flags: Self) -> bool;
}

/// Eight halves in an array; the reference implementation of [`F16x8`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortableF16x8(pub [u16; 8]);

impl F16x8 for PortableF16x8 {
    type Float = Portable;
    #[inline(always)]
    fn load(halves: &[u16; 8]) -> Self {
        PortableF16x8(*halves)
    }
    #[inline(always)]
    fn decode_even_odd(self) -> [Portable; 2] {
        let decode = |lane: usize| f32::from_bits(half_rebias_bits(self.0[lane])) * HALF_REBIAS;
        [Portable(core::array::from_fn(|index| decode(2 * index))), Portable(core::array::from_fn(|index| decode(2 * index + 1)))]
    }
    #[inline(always)]
    fn decode_even_odd_unscaled(self) -> [Portable; 2] {
        let decode = |lane: usize| f32::from_bits(half_rebias_bits(self.0[lane]));
        [Portable(core::array::from_fn(|index| decode(2 * index))), Portable(core::array::from_fn(|index| decode(2 * index + 1)))]
    }
    #[inline(always)]
    fn no_flags() -> Self {
        PortableF16x8([0; 8])
    }
    #[inline(always)]
    fn track_non_finite(self, flags: Self) -> Self {
        PortableF16x8(core::array::from_fn(|lane| flags.0[lane].max(self.0[lane] << 1)))
    }
    #[inline(always)]
    fn any_non_finite(flags: Self) -> bool {
        flags.0.iter().any(|&flag| flag >= 0xF800)
    }
}

/// The [`F16x8`] layer of this build (its `Float` is [`super::Native`]).
#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
pub type NativeF16x8 = super::f16x8_simd128::RelaxedF16x8;
/// The [`F16x8`] layer of this build (its `Float` is [`super::Native`]).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(target_feature = "relaxed-simd")))]
pub type NativeF16x8 = super::f16x8_simd128::Simd128F16x8;
/// The [`F16x8`] layer of this build (its `Float` is [`super::Native`]).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub type NativeF16x8 = PortableF16x8;
