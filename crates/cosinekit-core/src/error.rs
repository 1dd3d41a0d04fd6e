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
}

impl KernelError {
    /// The code reported through the C ABI (never 0, which means success).
    pub const fn code(self) -> i32 {
        self as i32
    }
}
