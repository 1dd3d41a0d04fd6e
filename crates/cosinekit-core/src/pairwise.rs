//! Full cosine matrices (`[N,D]×[M,D] → [N,M]`, batched) and their mean without the matrix.
//!
//! # Numerics
//! Entry `[i,j]` is `scale · (a_i/max(‖a_i‖, eps)) · (b_j/max(‖b_j‖, eps))`, computed by
//! packing both operands normalised (scale folded into A) and multiplying the panels; see
//! [`crate::gemm`] for accumulation, rescue and NaN rules. The mean is
//! `(Σᵢ âᵢ)·(Σⱼ b̂ⱼ) / (N·M)` with the sums of normalised rows kept in float64, so it costs
//! O((N + M)·D), never the N×M matrix. When `b` is the same memory as `a`, only the upper
//! triangle is multiplied and mirrored (exactly symmetric, half the work): entry `[i,j]`
//! is `Aᵢ·Bⱼ` for `j ≥ i` and `Aⱼ·Bᵢ` for `j < i` (A = rows with the scale folded in, B =
//! rows unscaled), which is not the product `Aᵢ·Bⱼ` below the diagonal unless the scale
//! is a power of two (`(s·âⱼ)·b̂ᵢ` and `(s·âᵢ)·b̂ⱼ` round differently).
//!
//! [`pairwise_self_rows_f32`] computes rows `[r0, r1)` of exactly that symmetric matrix, for
//! a worker pool that splits the rows into chunks: `Aᵢ·Bⱼ` for `j ≥ r0` (the upper part,
//! mirrored inside the chunk) and the transposed product `Aⱼ·Bᵢ` of the earlier rows
//! `j < r0` with the chunk's rows, transposed into place. Since a product entry depends
//! only on its two packed rows and the depth, never on its tile, panel, depth-block or
//! row-count position (see [`crate::gemm`]), every chunk is bit for bit the matching rows
//! of the symmetric call, whatever the scale, the chunk bounds, or the depth blocking.

use crate::KernelError;
use crate::gemm::{
    TILE_COLUMNS, TILE_ROWS, inverse_norm_f64, mirror_upper_into_lower, multiply_packed, multiply_packed_symmetric, multiply_packed_upper,
    pack_normalized_rows, packed_len,
};
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

/// Earlier rows (above a chunk of [`pairwise_self_rows_f32`]) packed and multiplied at a
/// time: a row block of the packed product.
const EARLIER_ROW_BLOCK: usize = 64;
/// Chunk rows per transposed product of earlier rows (a multiple of the B panel, so each
/// block starts on a panel of the packed chunk rows).
const CHUNK_COLUMN_BLOCK: usize = 256;
const _: () = assert!(EARLIER_ROW_BLOCK.is_multiple_of(TILE_ROWS) && CHUNK_COLUMN_BLOCK.is_multiple_of(TILE_COLUMNS));

/// The parts of the scratch of [`pairwise_self_rows_f32`], in floats: the chunk's rows
/// packed as A, the rows from `row_start` on packed as B, one block of earlier rows packed
/// as A, and the transposed product of that block with one block of chunk rows.
fn self_rows_scratch_parts(rows: usize, depth: usize, row_start: usize, row_count: usize) -> Option<[usize; 4]> {
    if row_start.checked_add(row_count)? > rows {
        return None;
    }
    if row_count == 0 {
        return Some([0; 4]);
    }
    let earlier_rows = row_start.min(EARLIER_ROW_BLOCK);
    Some([
        packed_len(row_count, depth, TILE_ROWS)?,
        packed_len(rows - row_start, depth, TILE_COLUMNS)?,
        packed_len(earlier_rows, depth, TILE_ROWS)?,
        earlier_rows.checked_mul(row_count.min(CHUNK_COLUMN_BLOCK))?,
    ])
}

/// Floats of scratch [`pairwise_self_rows_f32`] needs for rows `[row_start, row_start +
/// row_count)` of a `rows × rows` matrix: about `(row_count + rows − row_start + 64)·depth
/// + 64·min(row_count, 256)`, at most the symmetric call's
/// [`pairwise_scratch_len`]`(rows, rows, depth)` plus `64·depth + 16384`. `None` when the
/// rows are not inside `[0, rows)` or the size overflows.
pub fn pairwise_self_rows_scratch_len(rows: usize, depth: usize, row_start: usize, row_count: usize) -> Option<usize> {
    let parts = self_rows_scratch_parts(rows, depth, row_start, row_count)?;
    parts.iter().try_fold(0usize, |total, &part| total.checked_add(part))
}

/// Rows `[row_start, row_start + row_count)` of `pairwise_cosine_f32(a, a, …)`, the
/// symmetric matrix of `a` `[rows, depth]` with itself, bit for bit for every scale:
/// `out` is `[row_count, rows]`; entry `(i, j)` is `Aᵢ·Bⱼ` for `j ≥ i` and `Aⱼ·Bᵢ` for
/// `j < i` (A = `scale·âᵢ`, B = `b̂ⱼ`, see the module's Numerics). Concatenating the
/// chunks of any split of `0..rows` gives the whole symmetric matrix, so the chunks can
/// run on different instances. Costs about `row_count·rows` entries (the symmetric call's
/// share, plus at most half a `row_count` square), and packs the rows from `row_start` on
/// and the earlier rows once each.
///
/// Errors: `a` not `rows·depth` long is [`KernelError::OutOfBounds`]; rows outside
/// `[0, rows)` or too little scratch ([`pairwise_self_rows_scratch_len`]) is
/// [`KernelError::InvalidArgument`]; `out` not `row_count·rows` long is
/// [`KernelError::OutputLength`].
pub fn pairwise_self_rows_f32(
    a: &[f32],
    rows: usize,
    depth: usize,
    row_start: usize,
    row_count: usize,
    eps: f32,
    scale: f32,
    out: &mut [f32],
    scratch: &mut [f32],
) -> Result<(), KernelError> {
    if Some(a.len()) != rows.checked_mul(depth) {
        return Err(KernelError::OutOfBounds);
    }
    if row_start.checked_add(row_count).is_none_or(|end| end > rows) {
        return Err(KernelError::InvalidArgument);
    }
    if Some(out.len()) != row_count.checked_mul(rows) {
        return Err(KernelError::OutputLength);
    }
    let parts = self_rows_scratch_parts(rows, depth, row_start, row_count).ok_or(KernelError::OutOfBounds)?;
    if scratch.len() < pairwise_self_rows_scratch_len(rows, depth, row_start, row_count).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    if row_count > 0 {
        self_rows_with::<Native>(a, rows, depth, row_start, row_count, eps, scale, out, scratch, parts);
    }
    Ok(())
}

fn self_rows_with<V: F32x4>(
    a: &[f32],
    rows: usize,
    depth: usize,
    row_start: usize,
    row_count: usize,
    eps: f32,
    scale: f32,
    out: &mut [f32],
    scratch: &mut [f32],
    parts: [usize; 4],
) {
    let trailing_rows = rows - row_start;
    let [chunk_len, trailing_len, earlier_len, transposed_len] = parts;
    let (packed_chunk, rest) = scratch.split_at_mut(chunk_len);
    let (packed_trailing, rest) = rest.split_at_mut(trailing_len);
    let (packed_earlier, rest) = rest.split_at_mut(earlier_len);
    let transposed = &mut rest[..transposed_len];
    let source = |first: usize, count: usize| &a[first * depth..(first + count) * depth];
    pack_normalized_rows::<V>(source(row_start, row_count), row_count, depth, depth, TILE_ROWS, scale, eps, packed_chunk);
    pack_normalized_rows::<V>(source(row_start, trailing_rows), trailing_rows, depth, depth, TILE_COLUMNS, 1.0, eps, packed_trailing);
    // j ≥ row_start: the upper triangle from the chunk's diagonal on (out's columns from
    // row_start, A row i and B row i both global row row_start + i), then mirrored inside
    // the chunk, as the symmetric call mirrors it.
    let from_diagonal = &mut out[row_start..];
    multiply_packed_upper::<V>(packed_chunk, row_count, packed_trailing, trailing_rows, depth, from_diagonal, rows);
    mirror_upper_into_lower(from_diagonal, row_count, rows);
    // j < row_start: entry (i, j) is A_j·B_i, an entry of the transposed product of the
    // earlier rows (as A) with the chunk's rows (as B, the first rows packed in
    // packed_trailing), in blocks, each transposed into place.
    for earlier_start in (0..row_start).step_by(EARLIER_ROW_BLOCK) {
        let earlier_rows = EARLIER_ROW_BLOCK.min(row_start - earlier_start);
        let packed = &mut packed_earlier[..packed_len(earlier_rows, depth, TILE_ROWS).unwrap_or(0)];
        pack_normalized_rows::<V>(source(earlier_start, earlier_rows), earlier_rows, depth, depth, TILE_ROWS, scale, eps, packed);
        for column_start in (0..row_count).step_by(CHUNK_COLUMN_BLOCK) {
            let column_count = CHUNK_COLUMN_BLOCK.min(row_count - column_start);
            // column_start is a multiple of the panel width: panel column_start / 8 starts
            // at float column_start · depth.
            let packed_columns = &packed_trailing[column_start * depth..];
            let block = &mut transposed[..earlier_rows * column_count];
            multiply_packed::<V>(packed, earlier_rows, packed_columns, column_count, depth, block, column_count, false);
            for column in 0..column_count {
                let out_row = &mut out[(column_start + column) * rows + earlier_start..][..earlier_rows];
                for (earlier, slot) in out_row.iter_mut().enumerate() {
                    *slot = block[earlier * column_count + column];
                }
            }
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
