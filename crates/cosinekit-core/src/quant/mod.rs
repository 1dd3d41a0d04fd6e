//! Storage formats for embeddings: float16, int8, uint8, binary and ubinary rows, their
//! encoders (sentence-transformers' `quantize_embeddings` codes, `np.packbits` bit order,
//! IEEE binary16), and the kernels that score quantised rows without decoding them to
//! memory: top-k over a quantised corpus, quantised pairwise matrices, and the float32
//! rescoring of top-k candidates.
//!
//! The similarity of two quantised rows is the cosine of the vectors they stand for:
//! float16 → its values; int8 → its codes; uint8 → `u − 128`; binary and ubinary → ±1 per
//! bit, so the cosine is `(D − 2·hamming) / D`. A zero code vector scores 0.
//!
//! # Layout
//! Rows are contiguous: float16 rows are `D` u16 words, int8/uint8 rows `D` bytes, binary
//! and ubinary rows `D / 8` bytes (first dimension in the most significant bit; `binary`
//! stores the byte minus 128 as an i8, `ubinary` the byte itself).

pub mod encode;
pub mod half;
pub mod rescore;
pub mod score;
pub mod topk;

/// How a corpus row is stored. Codes are the C ABI's; `ck_storage_dtype` maps names to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum StorageDtype {
    /// IEEE binary16 values (u16 words).
    Float16 = 1,
    /// Signed codes, sentence-transformers' `int8`.
    Int8 = 2,
    /// Unsigned codes, sentence-transformers' `uint8`; scored as `u − 128`.
    Uint8 = 3,
    /// Packed sign bits, each byte stored minus 128 (i8).
    Binary = 4,
    /// Packed sign bits, each byte as it is (u8).
    Ubinary = 5,
}

impl StorageDtype {
    /// Every dtype, in code order.
    pub const ALL: [StorageDtype; 5] = [StorageDtype::Float16, StorageDtype::Int8, StorageDtype::Uint8, StorageDtype::Binary, StorageDtype::Ubinary];

    /// The dtype with this C-ABI code, if any.
    pub const fn from_code(code: u32) -> Option<StorageDtype> {
        let mut index = 0;
        while index < StorageDtype::ALL.len() {
            if StorageDtype::ALL[index] as u32 == code {
                return Some(StorageDtype::ALL[index]);
            }
            index += 1;
        }
        None
    }

    /// The dtype's name in the JavaScript API (`"float16"`, `"int8"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            StorageDtype::Float16 => "float16",
            StorageDtype::Int8 => "int8",
            StorageDtype::Uint8 => "uint8",
            StorageDtype::Binary => "binary",
            StorageDtype::Ubinary => "ubinary",
        }
    }

    /// The dtype with this name, if any.
    pub fn from_name(name: &[u8]) -> Option<StorageDtype> {
        StorageDtype::ALL.into_iter().find(|dtype| dtype.name().as_bytes() == name)
    }

    /// Whether rows are packed bits (binary, ubinary).
    pub const fn is_binary(self) -> bool {
        matches!(self, StorageDtype::Binary | StorageDtype::Ubinary)
    }

    /// Storage elements per row of `depth` dimensions (u16 words for float16, bytes
    /// otherwise); `None` when a binary depth is not a multiple of 8.
    pub const fn row_elements(self, depth: usize) -> Option<usize> {
        if self.is_binary() {
            if depth % 8 == 0 { Some(depth / 8) } else { None }
        } else {
            Some(depth)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StorageDtype;

    #[test]
    fn codes_and_names_round_trip() {
        for (position, dtype) in StorageDtype::ALL.into_iter().enumerate() {
            assert_eq!(dtype as u32, position as u32 + 1);
            assert_eq!(StorageDtype::from_code(dtype as u32), Some(dtype));
            assert_eq!(StorageDtype::from_name(dtype.name().as_bytes()), Some(dtype));
        }
        assert_eq!(StorageDtype::from_code(0), None);
        assert_eq!(StorageDtype::from_code(6), None);
        assert_eq!(StorageDtype::from_name(b"float32"), None);
        assert_eq!(StorageDtype::Binary.row_elements(24), Some(3));
        assert_eq!(StorageDtype::Ubinary.row_elements(20), None);
        assert_eq!(StorageDtype::Int8.row_elements(20), Some(20));
    }
}
