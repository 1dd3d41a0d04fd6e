//! Typed pieces of a byte scratch buffer. The C ABI hands the quantised kernels scratch as
//! unaligned bytes; each piece is aligned here, so every size formula adds
//! [`ALIGNMENT_SLACK`] bytes per piece.

/// Bytes a piece may lose to alignment (the largest alignment of a piece type, minus 1).
pub(crate) const ALIGNMENT_SLACK: usize = 7;

/// Element types a piece may have: plain numbers, valid for every bit pattern.
pub(crate) trait Plain: Copy {}
impl Plain for f32 {}
impl Plain for f64 {}
impl Plain for i64 {}

/// Splits `count` aligned elements of `T` off the front of `bytes` (after up to
/// [`ALIGNMENT_SLACK`] bytes of padding); `None` when `bytes` is too short.
pub(crate) fn carve<T: Plain>(bytes: &mut [u8], count: usize) -> Option<(&mut [T], &mut [u8])> {
    let padding = bytes.as_ptr().align_offset(core::mem::align_of::<T>());
    let byte_count = count.checked_mul(core::mem::size_of::<T>())?.checked_add(padding)?;
    if padding > ALIGNMENT_SLACK || byte_count > bytes.len() {
        return None;
    }
    let (piece, rest) = bytes.split_at_mut(byte_count);
    // SAFETY: `T` is a plain number type (every bit pattern is a valid value, no drop),
    // so reinterpreting initialised bytes as `T` is sound; `align_to_mut` only yields a
    // middle part that is correctly aligned and inside `piece`.
    let (prefix, middle, _) = unsafe { piece.align_to_mut::<T>() };
    debug_assert!(prefix.len() == padding && middle.len() >= count);
    Some((&mut middle[..count], rest))
}

/// Bytes of a piece of `count` elements of `T`, padding included.
pub(crate) fn piece_bytes<T: Plain>(count: usize) -> Option<usize> {
    count.checked_mul(core::mem::size_of::<T>())?.checked_add(ALIGNMENT_SLACK)
}
