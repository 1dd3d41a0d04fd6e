//! [`Simd128I8x16`]: sixteen byte lanes in a wasm `v128`. Same results as
//! [`super::PortableI8x16`], exactly (integer arithmetic).

use super::I8x16;
use core::arch::wasm32::{
    i8x16_add, i8x16_popcnt, i8x16_splat, i16x8_extend_high_i8x16, i16x8_splat, i16x8_extend_low_i8x16, i32x4_add, i32x4_dot_i16x8,
    i32x4_extract_lane, i32x4_shuffle, i32x4_splat, u16x8_extadd_pairwise_u8x16, v128, v128_load,
    v128_store, v128_xor,
};

/// Sixteen byte lanes in a wasm `v128`.
#[derive(Clone, Copy)]
pub struct Simd128I8x16(pub v128);

/// `[Σ a, Σ b, Σ c, Σ d]` of four i32x4 vectors: two rounds of interleave-and-add.
#[inline(always)]
fn transpose_sum(a: v128, b: v128, c: v128, d: v128) -> [i32; 4] {
    let ab = i32x4_add(i32x4_shuffle::<0, 4, 1, 5>(a, b), i32x4_shuffle::<2, 6, 3, 7>(a, b));
    let cd = i32x4_add(i32x4_shuffle::<0, 4, 1, 5>(c, d), i32x4_shuffle::<2, 6, 3, 7>(c, d));
    let totals = i32x4_add(i32x4_shuffle::<0, 1, 4, 5>(ab, cd), i32x4_shuffle::<2, 3, 6, 7>(ab, cd));
    [
        i32x4_extract_lane::<0>(totals),
        i32x4_extract_lane::<1>(totals),
        i32x4_extract_lane::<2>(totals),
        i32x4_extract_lane::<3>(totals),
    ]
}

impl I8x16 for Simd128I8x16 {
    type Wide = [v128; 2];
    type Sums = v128;

    #[inline(always)]
    fn load(bytes: &[u8; 16]) -> Self {
        // SAFETY: `bytes` is a reference to 16 readable bytes; v128_load has no alignment
        // requirement.
        Simd128I8x16(unsafe { v128_load(bytes.as_ptr().cast::<v128>()) })
    }
    #[inline(always)]
    fn splat(byte: u8) -> Self {
        Simd128I8x16(i8x16_splat(byte as i8))
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        Simd128I8x16(v128_xor(self.0, other.0))
    }
    #[inline(always)]
    fn widen(self) -> [v128; 2] {
        [i16x8_extend_low_i8x16(self.0), i16x8_extend_high_i8x16(self.0)]
    }
    #[inline(always)]
    fn load_wide(bytes: &[u8; 32]) -> [v128; 2] {
        let pointer = bytes.as_ptr().cast::<v128>();
        // SAFETY: `bytes` is a reference to 32 readable bytes, two unaligned v128 loads
        // at offsets 0 and 16.
        unsafe { [v128_load(pointer), v128_load(pointer.add(1))] }
    }
    #[inline(always)]
    fn store_wide(wide: [v128; 2], bytes: &mut [u8; 32]) {
        let pointer = bytes.as_mut_ptr().cast::<v128>();
        // SAFETY: `bytes` is an exclusive reference to 32 writable bytes, two unaligned
        // v128 stores at offsets 0 and 16.
        unsafe {
            v128_store(pointer, wide[0]);
            v128_store(pointer.add(1), wide[1]);
        }
    }
    #[inline(always)]
    fn zero_sums() -> v128 {
        i32x4_splat(0)
    }
    #[inline(always)]
    fn dot_add(sums: v128, left: [v128; 2], right: [v128; 2]) -> v128 {
        i32x4_add(i32x4_add(sums, i32x4_dot_i16x8(left[0], right[0])), i32x4_dot_i16x8(left[1], right[1]))
    }
    #[inline(always)]
    fn sum4(sums: [v128; 4]) -> [i32; 4] {
        transpose_sum(sums[0], sums[1], sums[2], sums[3])
    }
    #[inline(always)]
    fn xor_popcount_add(counts: Self, left: Self, right: Self) -> Self {
        Simd128I8x16(i8x16_add(counts.0, i8x16_popcnt(v128_xor(left.0, right.0))))
    }
    #[inline(always)]
    fn byte_sum4(counts: [Self; 4]) -> [i32; 4] {
        // u16 pair sums (at most 2·255) are non-negative i16, so the signed pairwise dot
        // with ones widens them to i32 in one instruction.
        let ones = i16x8_splat(1);
        let [a, b, c, d] = counts.map(|count| i32x4_dot_i16x8(u16x8_extadd_pairwise_u8x16(count.0), ones));
        transpose_sum(a, b, c, d)
    }
}
