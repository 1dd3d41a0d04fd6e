//! Sixteen byte lanes for the quantised kernels: int8/uint8 codes widened to i16 and
//! multiplied pairwise into i32 sums (wasm `i32x4.dot_i16x8_s`), and bit rows XORed and
//! counted (`i8x16.popcnt`). Every operation is exact integer arithmetic, so a kernel gives
//! the same sums whichever layer runs it; only speed differs.
//!
//! - [`PortableI8x16`] — plain arrays; always compiled, so native tests run the blocked
//!   kernels (blocking, tails, reductions) on the host.
//! - `Simd128I8x16` — wasm `simd128`. The relaxed build uses it too: V8 (Node 22, x86-64)
//!   lowers `i32x4.relaxed_dot_i8x16_i7x16_add_s` to `pmaddubsw` + `pmaddwd` + `paddd`
//!   plus two instructions to rebuild the splat of ones, and int8 × int8 needs two of
//!   them (the second operand must be 7-bit: `b = (b & 0x7F) − 128·[b < 0]`), so a
//!   4-query × 16-dimension step measured 1.9× slower than widening once to i16 and using
//!   `i32x4.dot_i16x8_s` (52 µs vs 28 µs for 4 × 256 rows at D = 384, Node 22.23). A
//!   one-query form that needs no widening — the query split once per chunk into
//!   `q & 0x7F` and `q >> 7` (`q = low − 128·high`), two seven-bit dots per 16 corpus
//!   bytes — measured 0.95× the widening kernel too (Node 22.23, on a CPU with AVX-VNNI,
//!   so V8 does not appear to use `vpdpbusd` for it).
//!
//! [`NativeI8x16`] names the layer of this build.

/// Sixteen 8-bit lanes, their i16 widening, and i32 partial sums.
pub trait I8x16: Copy {
    /// Sixteen values widened to i16 (two halves of eight).
    type Wide: Copy;
    /// Four i32 partial sums.
    type Sums: Copy;

    /// Loads sixteen bytes (no alignment requirement).
    fn load(bytes: &[u8; 16]) -> Self;
    /// All sixteen bytes `byte`.
    fn splat(byte: u8) -> Self;
    /// Lane-wise XOR.
    fn xor(self, other: Self) -> Self;
    /// Sign-extends the sixteen lanes, read as i8, to i16.
    fn widen(self) -> Self::Wide;
    /// Loads sixteen little-endian i16 values (the layout [`I8x16::store_wide`] writes).
    fn load_wide(bytes: &[u8; 32]) -> Self::Wide;
    /// Stores sixteen i16 values little-endian.
    fn store_wide(wide: Self::Wide, bytes: &mut [u8; 32]);
    /// Four zero sums.
    fn zero_sums() -> Self::Sums;
    /// `sums + Σ left·right`, products taken lane by lane and added in adjacent pairs
    /// into the four i32 lanes (`i32x4.dot_i16x8_s` on each half). Exact while no lane
    /// total leaves the i32 range.
    fn dot_add(sums: Self::Sums, left: Self::Wide, right: Self::Wide) -> Self::Sums;
    /// The totals of four accumulators (`[Σ lanes of sums[0], …]`), wrapping i32 adds.
    fn sum4(sums: [Self::Sums; 4]) -> [i32; 4];
    /// `counts + popcount(left ^ right)` per byte (wrapping u8 adds: callers flush
    /// before a lane can pass 255).
    fn xor_popcount_add(counts: Self, left: Self, right: Self) -> Self;
    /// The totals of four byte-count accumulators (sum of the sixteen u8 lanes of each).
    fn byte_sum4(counts: [Self; 4]) -> [i32; 4];
}

/// Sixteen lanes in plain arrays; the reference implementation of [`I8x16`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortableI8x16(pub [u8; 16]);

impl I8x16 for PortableI8x16 {
    type Wide = [i16; 16];
    type Sums = [i32; 4];

    #[inline(always)]
    fn load(bytes: &[u8; 16]) -> Self {
        PortableI8x16(*bytes)
    }
    #[inline(always)]
    fn splat(byte: u8) -> Self {
        PortableI8x16([byte; 16])
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        PortableI8x16(core::array::from_fn(|lane| self.0[lane] ^ other.0[lane]))
    }
    #[inline(always)]
    fn widen(self) -> [i16; 16] {
        self.0.map(|byte| i16::from(byte as i8))
    }
    #[inline(always)]
    fn load_wide(bytes: &[u8; 32]) -> [i16; 16] {
        core::array::from_fn(|lane| i16::from_le_bytes([bytes[2 * lane], bytes[2 * lane + 1]]))
    }
    #[inline(always)]
    fn store_wide(wide: [i16; 16], bytes: &mut [u8; 32]) {
        for (lane, value) in wide.iter().enumerate() {
            bytes[2 * lane..2 * lane + 2].copy_from_slice(&value.to_le_bytes());
        }
    }
    #[inline(always)]
    fn zero_sums() -> [i32; 4] {
        [0; 4]
    }
    #[inline(always)]
    fn dot_add(sums: [i32; 4], left: [i16; 16], right: [i16; 16]) -> [i32; 4] {
        let product = |index: usize| i32::from(left[index]) * i32::from(right[index]);
        core::array::from_fn(|lane| {
            let low = product(2 * lane).wrapping_add(product(2 * lane + 1));
            let high = product(8 + 2 * lane).wrapping_add(product(8 + 2 * lane + 1));
            sums[lane].wrapping_add(low).wrapping_add(high)
        })
    }
    #[inline(always)]
    fn sum4(sums: [[i32; 4]; 4]) -> [i32; 4] {
        sums.map(|lanes| lanes.iter().fold(0i32, |total, &lane| total.wrapping_add(lane)))
    }
    #[inline(always)]
    fn xor_popcount_add(counts: Self, left: Self, right: Self) -> Self {
        PortableI8x16(core::array::from_fn(|lane| counts.0[lane].wrapping_add((left.0[lane] ^ right.0[lane]).count_ones() as u8)))
    }
    #[inline(always)]
    fn byte_sum4(counts: [Self; 4]) -> [i32; 4] {
        counts.map(|lanes| lanes.0.iter().map(|&count| i32::from(count)).sum())
    }
}

/// The [`I8x16`] layer of this build: simd128 on wasm SIMD builds (relaxed included, see
/// the module doc), the portable arrays elsewhere.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub type NativeI8x16 = super::i8x16_simd128::Simd128I8x16;
/// The [`I8x16`] layer of this build: simd128 on wasm SIMD builds (relaxed included, see
/// the module doc), the portable arrays elsewhere.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub type NativeI8x16 = PortableI8x16;
