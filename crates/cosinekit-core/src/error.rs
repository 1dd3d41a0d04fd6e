//! Why a kernel refused to run. The kernels validate their geometry against the slice
//! lengths before reading anything, so a wrong description from a caller becomes an error,
//! never an out-of-bounds access or a partially written output.

/// A kernel's refusal, with a stable numeric code for the C ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum KernelError {
    /// Some element the geometry addresses lies past the end of an input slice, or an
    /// offset computation overflows `usize`.
    OutOfBounds = 1,
    /// The output slice does not have exactly the number of elements the geometry produces.
    OutputLength = 2,
    /// More dimensions than [`crate::geometry::MAX_RANK`].
    RankTooLarge = 3,
    /// A parameter outside its domain (for example a norm order other than 1, 2 or ∞).
    InvalidArgument = 4,
    /// The strides of two extents disagree in count, or a dimension list is malformed.
    MalformedGeometry = 5,
    /// An input that must be finite (a value to quantise to int8/uint8, a range, a
    /// calibration row) holds NaN or ±∞.
    NonFinite = 6,
    /// A cached per-row norm that no longer matches its row (the rows changed after the
    /// norms were cached, or the cache was overwritten).
    StaleNorms = 7,
}

impl KernelError {
    /// Every error, in code order.
    pub const ALL: [KernelError; 7] = [
        KernelError::OutOfBounds,
        KernelError::OutputLength,
        KernelError::RankTooLarge,
        KernelError::InvalidArgument,
        KernelError::MalformedGeometry,
        KernelError::NonFinite,
        KernelError::StaleNorms,
    ];

    /// The code reported through the C ABI (never 0, which means success).
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The error with this code, if any.
    pub const fn from_code(code: i32) -> Option<KernelError> {
        let mut index = 0;
        while index < KernelError::ALL.len() {
            if KernelError::ALL[index].code() == code {
                return Some(KernelError::ALL[index]);
            }
            index += 1;
        }
        None
    }

    /// What went wrong, as a noun phrase for messages ("… failed: an invalid argument").
    pub const fn text(self) -> &'static str {
        match self {
            KernelError::OutOfBounds => "an index past the end of an operand",
            KernelError::OutputLength => "an output of the wrong length",
            KernelError::RankTooLarge => "too many dimensions",
            KernelError::InvalidArgument => "an invalid argument",
            KernelError::MalformedGeometry => "a malformed geometry",
            KernelError::NonFinite => "a NaN or infinite value where only finite values are allowed",
            KernelError::StaleNorms => "a cached row norm that no longer matches its row",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KernelError;

    #[test]
    fn codes_round_trip_and_every_error_has_a_text() {
        for (position, error) in KernelError::ALL.into_iter().enumerate() {
            assert_eq!(error.code(), position as i32 + 1);
            assert_eq!(KernelError::from_code(error.code()), Some(error));
            assert!(!error.text().is_empty());
        }
        assert_eq!(KernelError::from_code(0), None);
        assert_eq!(KernelError::from_code(8), None);
    }
}
