//! Full cosine matrices (`[N,D]×[M,D] → [N,M]`, batched) and their mean without the matrix.
//!
//! # Numerics
//! Entry `[i,j]` is `scale · (a_i/max(‖a_i‖, eps)) · (b_j/max(‖b_j‖, eps))`, computed by
//! packing both operands normalised (scale folded into A) and multiplying the panels; see
//! [`crate::gemm`] for accumulation, rescue and NaN rules. The mean is
//! `(Σᵢ âᵢ)·(Σⱼ b̂ⱼ) / (N·M)` with the sums of normalised rows kept in float64, so it costs
//! O((N + M)·D), never the N×M matrix. When `b` is the same memory as `a`, only the upper
//! triangle is multiplied and mirrored (exactly symmetric, half the work).

use crate::KernelError;
use crate::gemm::{TILE_COLUMNS, TILE_ROWS, inverse_norm_f64, multiply_packed, multiply_packed_symmetric, pack_normalized_rows, packed_len};
use crate::lanes::{F32x4, Native};

/// Sizes of a (batched) pairwise product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairwiseShape {
    /// Independent products (1 for the `[N,D]×[M,D]` case).
    pub batch: usize,
    /// N: rows of `a` per batch.
    pub a_rows: usize,
    /// M: rows of `b` per batch.
    pub b_rows: usize,
    /// D: the shared row length.
    pub depth: usize,
}

impl PairwiseShape {
    fn lengths(&self) -> Option<(usize, usize, usize)> {
        let a = self.batch.checked_mul(self.a_rows)?.checked_mul(self.depth)?;
        let b = self.batch.checked_mul(self.b_rows)?.checked_mul(self.depth)?;
        let out = self.batch.checked_mul(self.a_rows)?.checked_mul(self.b_rows)?;
        Some((a, b, out))
    }
}

/// Floats of scratch [`pairwise_cosine_f32`] needs: one batch of A and B packed.
pub fn pairwise_scratch_len(a_rows: usize, b_rows: usize, depth: usize) -> Option<usize> {
    packed_len(a_rows, depth, TILE_ROWS)?.checked_add(packed_len(b_rows, depth, TILE_COLUMNS)?)
}

/// `out[b][i][j] = scale · cos(a[b][i], b[b][j])` for every batch `b`.
pub fn pairwise_cosine_f32(
    a: &[f32],
    b: &[f32],
    shape: PairwiseShape,
    eps: f32,
    scale: f32,
    out: &mut [f32],
    scratch: &mut [f32],
) -> Result<(), KernelError> {
    let (a_len, b_len, out_len) = shape.lengths().ok_or(KernelError::OutOfBounds)?;
    if a.len() != a_len || b.len() != b_len {
        return Err(KernelError::OutOfBounds);
    }
    if out.len() != out_len {
        return Err(KernelError::OutputLength);
    }
    let scratch_len = pairwise_scratch_len(shape.a_rows, shape.b_rows, shape.depth).ok_or(KernelError::OutOfBounds)?;
    if scratch.len() < scratch_len {
        return Err(KernelError::InvalidArgument);
    }
    pairwise_with::<Native>(a, b, shape, eps, scale, out, scratch);
    Ok(())
}

fn pairwise_with<V: F32x4>(a: &[f32], b: &[f32], shape: PairwiseShape, eps: f32, scale: f32, out: &mut [f32], scratch: &mut [f32]) {
    let PairwiseShape { batch, a_rows, b_rows, depth } = shape;
    let a_packed_len = packed_len(a_rows, depth, TILE_ROWS).unwrap_or(0);
    let b_packed_len = packed_len(b_rows, depth, TILE_COLUMNS).unwrap_or(0);
    let (packed_a, rest) = scratch.split_at_mut(a_packed_len);
    let packed_b = &mut rest[..b_packed_len];
    // `b` is the very memory of `a` (the "a with itself" case): the matrix is symmetric.
    let symmetric = core::ptr::eq(a, b) && a_rows == b_rows;
    for index in 0..batch {
        let a_batch = &a[index * a_rows * depth..(index + 1) * a_rows * depth];
        let b_batch = &b[index * b_rows * depth..(index + 1) * b_rows * depth];
        pack_normalized_rows::<V>(a_batch, a_rows, depth, depth, TILE_ROWS, scale, eps, packed_a);
        pack_normalized_rows::<V>(b_batch, b_rows, depth, depth, TILE_COLUMNS, 1.0, eps, packed_b);
        let out_batch = &mut out[index * a_rows * b_rows..(index + 1) * a_rows * b_rows];
        if symmetric {
            multiply_packed_symmetric::<V>(packed_a, packed_b, a_rows, depth, out_batch, b_rows);
        } else {
            multiply_packed::<V>(packed_a, a_rows, packed_b, b_rows, depth, out_batch, b_rows, false);
        }
    }
}

/// Adds `Σᵢ rows[i] / max(‖rows[i]‖, eps)` into `sums` (float64, `depth` entries).
fn add_normalized_rows<V: F32x4>(rows: &[f32], row_count: usize, depth: usize, eps: f32, sums: &mut [f64]) {
    for row in 0..row_count {
        let values = &rows[row * depth..(row + 1) * depth];
        let inverse = inverse_norm_f64::<V>(values, eps);
        for (sum, &value) in sums.iter_mut().zip(values) {
            *sum += f64::from(value) * inverse;
        }
    }
}

/// The mean of the `[N,M]` cosine matrix of `a` and `b` (of `a` with itself when `b` is
/// `None`), in O((N + M)·D). `sums` is float64 scratch of `2·depth` entries.
pub fn mean_cosine_f32(
    a: &[f32],
    a_rows: usize,
    b: Option<(&[f32], usize)>,
    depth: usize,
    eps: f32,
    sums: &mut [f64],
) -> Result<f64, KernelError> {
    let a_len = a_rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    if a.len() != a_len || sums.len() < 2 * depth {
        return Err(KernelError::OutOfBounds);
    }
    if let Some((b, b_rows)) = b
        && Some(b.len()) != b_rows.checked_mul(depth)
    {
        return Err(KernelError::OutOfBounds);
    }
    let (a_sums, b_sums) = sums.split_at_mut(depth);
    a_sums.fill(0.0);
    let b_sums = &mut b_sums[..depth];
    b_sums.fill(0.0);
    let add = add_normalized_rows::<Native>;
    add(a, a_rows, depth, eps, a_sums);
    let (b_sums, b_rows): (&[f64], usize) = match b {
        Some((b, b_rows)) => {
            add(b, b_rows, depth, eps, b_sums);
            (b_sums, b_rows)
        }
        None => (a_sums, a_rows),
    };
    let dot: f64 = a_sums.iter().zip(b_sums).map(|(left, right)| left * right).sum();
    Ok(dot / (a_rows as f64 * b_rows as f64))
}

#[cfg(test)]
mod tests;
