//! Strided N-dimensional layouts shared by the kernels.
//!
//! A cosine reduction over two broadcast operands is described by two lists of axes:
//! the *kept* axes (the output's, in row-major order) and the *reduced* axes. Each axis
//! has an extent and one stride per operand, counted in elements; a stride of 0 is a
//! broadcast axis. The caller (the TypeScript planner) permutes, broadcasts and coalesces;
//! these kernels accept any layout and check it against the slice lengths first.

use crate::KernelError;

/// The largest number of kept or reduced axes a layout may have.
pub const MAX_RANK: usize = 16;

/// A list of axes, each with its extent and the stride of each of two operands.
#[derive(Clone, Copy, Debug)]
pub struct Axes<'a> {
    /// Number of positions along each axis.
    pub extents: &'a [usize],
    /// Step, in elements, of the first operand along each axis (0 = broadcast).
    pub first_strides: &'a [usize],
    /// Step, in elements, of the second operand along each axis (0 = broadcast).
    pub second_strides: &'a [usize],
}

impl<'a> Axes<'a> {
    /// Number of positions the axes span (the product of the extents), or `None` on overflow.
    pub fn position_count(&self) -> Option<usize> {
        self.extents.iter().try_fold(1usize, |count, &extent| count.checked_mul(extent))
    }

    /// Checks that the three lists agree in length and do not exceed [`MAX_RANK`].
    pub fn check_shape(&self) -> Result<(), KernelError> {
        let rank = self.extents.len();
        if self.first_strides.len() != rank || self.second_strides.len() != rank {
            return Err(KernelError::MalformedGeometry);
        }
        if rank > MAX_RANK {
            return Err(KernelError::RankTooLarge);
        }
        Ok(())
    }

    /// The largest element offset the axes reach in each operand (`None` on overflow).
    /// Meaningless (but harmless) when an extent is 0, in which case nothing is read.
    pub fn last_offsets(&self) -> Option<(usize, usize)> {
        let mut first = 0usize;
        let mut second = 0usize;
        for axis in 0..self.extents.len() {
            let steps = self.extents[axis].saturating_sub(1);
            first = first.checked_add(steps.checked_mul(self.first_strides[axis])?)?;
            second = second.checked_add(steps.checked_mul(self.second_strides[axis])?)?;
        }
        Some((first, second))
    }

    /// The last axis's extent and strides, if any axis exists.
    pub fn innermost(&self) -> Option<(usize, usize, usize)> {
        let last = self.extents.len().checked_sub(1)?;
        Some((self.extents[last], self.first_strides[last], self.second_strides[last]))
    }

    /// All axes but the last.
    pub fn without_innermost(&self) -> Axes<'a> {
        let keep = self.extents.len().saturating_sub(1);
        Axes {
            extents: &self.extents[..keep],
            first_strides: &self.first_strides[..keep],
            second_strides: &self.second_strides[..keep],
        }
    }
}

/// Walks every position of some [`Axes`] in row-major order, tracking the element offset
/// of each operand incrementally (one add per step, a subtract per carry).
#[derive(Clone, Debug)]
pub struct Odometer<'a> {
    axes: Axes<'a>,
    index: [usize; MAX_RANK],
    /// Offset of the first operand at the current position.
    pub first_offset: usize,
    /// Offset of the second operand at the current position.
    pub second_offset: usize,
}

impl<'a> Odometer<'a> {
    /// Starts at position 0 (offsets `first_base`, `second_base`). The axes must have
    /// passed [`Axes::check_shape`].
    pub fn new(axes: Axes<'a>, first_base: usize, second_base: usize) -> Self {
        Odometer { axes, index: [0; MAX_RANK], first_offset: first_base, second_offset: second_base }
    }

    /// Moves to the next position; returns false (and resets to the start) after the last.
    #[inline]
    pub fn advance(&mut self) -> bool {
        let axes = self.axes;
        for axis in (0..axes.extents.len()).rev() {
            // Wrapping arithmetic: after the last step along an axis the offset may pass the
            // validated range (by one stride) before the carry rewinds it; the rewind
            // subtracts exactly what was added, so the wrap cancels and no out-of-range
            // offset is ever used for an access.
            self.index[axis] += 1;
            self.first_offset = self.first_offset.wrapping_add(axes.first_strides[axis]);
            self.second_offset = self.second_offset.wrapping_add(axes.second_strides[axis]);
            if self.index[axis] < axes.extents[axis] {
                return true;
            }
            let extent = axes.extents[axis];
            self.index[axis] = 0;
            self.first_offset = self.first_offset.wrapping_sub(extent.wrapping_mul(axes.first_strides[axis]));
            self.second_offset = self.second_offset.wrapping_sub(extent.wrapping_mul(axes.second_strides[axis]));
        }
        false
    }
}

/// Validates that every element two axis lists address (kept, then reduced) lies inside
/// operands of `first_len` and `second_len` elements, and returns the number of kept
/// positions. Nothing is addressed (and any lengths are accepted) when an extent is 0.
pub fn check_reduction_bounds(
    kept: &Axes<'_>,
    reduced: &Axes<'_>,
    first_len: usize,
    second_len: usize,
) -> Result<usize, KernelError> {
    kept.check_shape()?;
    reduced.check_shape()?;
    let kept_count = kept.position_count().ok_or(KernelError::OutOfBounds)?;
    let reduced_count = reduced.position_count().ok_or(KernelError::OutOfBounds)?;
    if kept_count == 0 || reduced_count == 0 {
        return Ok(kept_count);
    }
    let (kept_first, kept_second) = kept.last_offsets().ok_or(KernelError::OutOfBounds)?;
    let (reduced_first, reduced_second) = reduced.last_offsets().ok_or(KernelError::OutOfBounds)?;
    let first_last = kept_first.checked_add(reduced_first).ok_or(KernelError::OutOfBounds)?;
    let second_last = kept_second.checked_add(reduced_second).ok_or(KernelError::OutOfBounds)?;
    if first_last >= first_len || second_last >= second_len {
        return Err(KernelError::OutOfBounds);
    }
    Ok(kept_count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn odometer_visits_row_major_offsets() {
        let axes = Axes { extents: &[2, 3], first_strides: &[3, 1], second_strides: &[0, 2] };
        let mut odometer = Odometer::new(axes, 10, 0);
        let mut seen = Vec::new();
        loop {
            seen.push((odometer.first_offset, odometer.second_offset));
            if !odometer.advance() {
                break;
            }
        }
        assert_eq!(seen, [(10, 0), (11, 2), (12, 4), (13, 0), (14, 2), (15, 4)]);
        assert_eq!((odometer.first_offset, odometer.second_offset), (10, 0));
    }

    #[test]
    fn zero_rank_axes_have_one_position() {
        let axes = Axes { extents: &[], first_strides: &[], second_strides: &[] };
        assert_eq!(axes.position_count(), Some(1));
        let mut odometer = Odometer::new(axes, 0, 0);
        assert!(!odometer.advance());
    }

    #[test]
    fn bounds_are_checked_with_overflow() {
        let kept = Axes { extents: &[4], first_strides: &[8], second_strides: &[0] };
        let reduced = Axes { extents: &[8], first_strides: &[1], second_strides: &[1] };
        assert_eq!(check_reduction_bounds(&kept, &reduced, 32, 8), Ok(4));
        assert_eq!(check_reduction_bounds(&kept, &reduced, 31, 8), Err(KernelError::OutOfBounds));
        assert_eq!(check_reduction_bounds(&kept, &reduced, 32, 7), Err(KernelError::OutOfBounds));
        let huge = Axes { extents: &[usize::MAX], first_strides: &[usize::MAX], second_strides: &[1] };
        assert_eq!(check_reduction_bounds(&huge, &reduced, 32, 8), Err(KernelError::OutOfBounds));
        let mismatched = Axes { extents: &[2, 2], first_strides: &[1], second_strides: &[1, 1] };
        assert_eq!(check_reduction_bounds(&mismatched, &reduced, 32, 8), Err(KernelError::MalformedGeometry));
        let empty = Axes { extents: &[0, 5], first_strides: &[99, 99], second_strides: &[99, 99] };
        assert_eq!(check_reduction_bounds(&empty, &reduced, 0, 0), Ok(0));
    }
}
