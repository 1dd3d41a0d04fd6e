//! Contrastive losses with analytic gradients, on the packed product of [`crate::gemm`].
//!
//! # Numerics
//! - Rows are L2-normalised with eps = 1e-12 (`F.normalize`); norms in float32 lanes with
//!   a float64 rescue, normalised rows rounded to float32.
//! - Similarities come from the float32 GEMM (see `gemm`); logits, log-sum-exp, losses and
//!   softmax weights are float64 (`exp`, `ln` from [`crate::math`]); the log-sum-exp is
//!   max-subtracted, never softmax-then-log, so τ = 0.01 or a logit scale of 100 stay
//!   finite. A NaN in a row makes its loss (and gradient) NaN.
//! - Gradients are analytic: `softmax − onehot` (times the reduction weight) in place of
//!   the logits, through the Gram matrix with the same GEMM (`(G + Gᵀ)·Ẑ` for InfoNCE,
//!   `dL·T̂` and `dLᵀ·Î` for CLIP), then through the normalisation:
//!   `dz = (g − ẑ·(ẑ·g)) / ‖z‖`, or `g / eps` where the norm was clamped.
//! - Memory: the R×R (N×N) logit matrix plus O(R·D) packing; the gradient product is
//!   computed [`GRADIENT_BLOCK_ROWS`] rows at a time.

use crate::KernelError;
use crate::cosine::{DotNorms, dot_norms_f32, dot_norms_f64};
use crate::gemm::{TILE_COLUMNS, TILE_ROWS, inverse_norm_f64, multiply_packed, multiply_packed_symmetric, pack_strided, packed_len};
use crate::geometry::Axes;
use crate::lanes::{F32x4, Native};
use crate::math::{exp_f64, exp_f64_pair, ln_f64, sqrt_f64};

/// The eps of `F.normalize`, used by every loss here.
pub const NORMALIZE_EPS: f32 = 1e-12;
/// Rows of the logit-gradient matrix packed at a time for the backward product.
pub const GRADIENT_BLOCK_ROWS: usize = 256;

/// Where row i's positive is, in InfoNCE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairLayout {
    /// Pairs (2k, 2k+1): the positive of i is i XOR 1 (the SimCLR paper's notation).
    Interleaved,
    /// `[z_a; z_b]`: the positive of i is (i + R/2) mod R (most PyTorch ports).
    Halves,
}

impl PairLayout {
    /// From the C-ABI code: 0 interleaved, 1 halves.
    pub fn from_code(code: u32) -> Result<Self, KernelError> {
        match code {
            0 => Ok(PairLayout::Interleaved),
            1 => Ok(PairLayout::Halves),
            _ => Err(KernelError::InvalidArgument),
        }
    }

    fn positive(self, row: usize, rows: usize) -> usize {
        match self {
            PairLayout::Interleaved => row ^ 1,
            PairLayout::Halves => (row + rows / 2) % rows,
        }
    }
}

/// Normalised rows and what the backward pass needs of them.
struct Normalized<'a> {
    rows: &'a mut [f32],
    inverse_norms: &'a mut [f32],
    clamped: &'a mut [f32],
}

/// `M ← M + Mᵀ` for a square row-major matrix, in 32×32 tiles so the transposed reads stay
/// in cache (a plain column walk misses on every element once M outgrows the cache).
fn add_transpose_in_place(matrix: &mut [f32], size: usize) {
    const TILE: usize = 32;
    for tile_row in (0..size).step_by(TILE) {
        for tile_column in (tile_row..size).step_by(TILE) {
            for row in tile_row..(tile_row + TILE).min(size) {
                let first_column = if tile_row == tile_column { row } else { tile_column };
                for column in first_column..(tile_column + TILE).min(size) {
                    let sum = matrix[row * size + column] + matrix[column * size + row];
                    matrix[row * size + column] = sum;
                    matrix[column * size + row] = sum;
                }
            }
        }
    }
}

/// Splits `count` floats off the front of `scratch`.
fn take<'a>(scratch: &mut &'a mut [f32], count: usize) -> &'a mut [f32] {
    let (head, tail) = core::mem::take(scratch).split_at_mut(count);
    *scratch = tail;
    head
}

fn normalize_rows<V: F32x4>(source: &[f32], rows: usize, depth: usize, target: &mut Normalized<'_>) {
    for row in 0..rows {
        let values = &source[row * depth..(row + 1) * depth];
        let inverse = inverse_norm_f64::<V>(values, NORMALIZE_EPS);
        target.inverse_norms[row] = inverse as f32;
        target.clamped[row] = if inverse >= 1.0 / f64::from(NORMALIZE_EPS) { 1.0 } else { 0.0 };
        for (slot, &value) in target.rows[row * depth..(row + 1) * depth].iter_mut().zip(values) {
            *slot = (f64::from(value) * inverse) as f32;
        }
    }
}

/// In place: `gradient` holds dL/dẑ / `factor`; leaves dL/dz.
fn normalize_backward(gradient: &mut [f32], rows: usize, depth: usize, normalized: &Normalized<'_>, factor: f32) {
    for row in 0..rows {
        let unit = &normalized.rows[row * depth..(row + 1) * depth];
        let slot = &mut gradient[row * depth..(row + 1) * depth];
        let inverse = f64::from(normalized.inverse_norms[row]);
        let factor = f64::from(factor);
        if normalized.clamped[row] != 0.0 {
            for value in slot.iter_mut() {
                *value = (f64::from(*value) * factor * inverse) as f32;
            }
            continue;
        }
        let along: f64 = unit.iter().zip(slot.iter()).map(|(&u, &g)| f64::from(u) * f64::from(g)).sum();
        for (value, &u) in slot.iter_mut().zip(unit) {
            *value = ((f64::from(*value) - f64::from(u) * along) * factor * inverse) as f32;
        }
    }
}

/// `out = M·Z` for a row-major `m_rows × inner` matrix M (`M[i][k]` at
/// `m[i·m_row_stride + k·m_depth_stride]`) and row-major Z `[inner, depth]`, using
/// `z_transposed` (Zᵀ packed, filled here) and `m_block` (one packed block of M).
fn multiply_by_rows<V: F32x4>(
    m: &[f32],
    m_rows: usize,
    inner: usize,
    m_row_stride: usize,
    m_depth_stride: usize,
    z: &[f32],
    depth: usize,
    z_transposed: &mut [f32],
    m_block: &mut [f32],
    out: &mut [f32],
) {
    pack_strided(z, depth, inner, 1, depth, TILE_COLUMNS, None, z_transposed);
    for block_start in (0..m_rows).step_by(GRADIENT_BLOCK_ROWS) {
        let block_rows = GRADIENT_BLOCK_ROWS.min(m_rows - block_start);
        let packed = &mut m_block[..packed_len(block_rows, inner, TILE_ROWS).unwrap_or(0)];
        let origin = block_start * m_row_stride;
        pack_strided(&m[origin..], block_rows, inner, m_row_stride, m_depth_stride, TILE_ROWS, None, packed);
        multiply_packed::<V>(packed, block_rows, z_transposed, depth, inner, &mut out[block_start * depth..], depth, false);
    }
}

fn scratch_for_gram(rows: usize, other_rows: usize, depth: usize, normalized_sets: usize) -> Option<usize> {
    let normalized = normalized_sets.checked_mul(rows.checked_mul(depth)?.checked_add(2 * rows)?)?;
    normalized
        .checked_add(packed_len(rows, depth, TILE_ROWS)?)?
        .checked_add(packed_len(other_rows, depth, TILE_COLUMNS)?)?
        .checked_add(rows.checked_mul(other_rows)?)?
        .checked_add(packed_len(depth, rows.max(other_rows), TILE_COLUMNS)?)?
        .checked_add(packed_len(rows.max(other_rows).min(GRADIENT_BLOCK_ROWS), rows.max(other_rows), TILE_ROWS)?)
}

/// Floats of scratch [`infonce_f32`] needs for `rows` (= 2N) rows of `depth`.
pub fn infonce_scratch_len(rows: usize, depth: usize) -> Option<usize> {
    scratch_for_gram(rows, rows, depth, 1)
}

fn carve<'a>(scratch: &mut &'a mut [f32], rows: usize, depth: usize) -> Normalized<'a> {
    Normalized { rows: take(scratch, rows * depth), inverse_norms: take(scratch, rows), clamped: take(scratch, rows) }
}

/// NT-Xent over `rows` (even) rows of `depth`: per-row losses into `row_losses` (float64);
/// with `gradient`, d(Σᵢ row_weight·lossᵢ)/d features. `row_weight` is 1/rows for a mean.
pub fn infonce_f32(
    features: &[f32],
    rows: usize,
    depth: usize,
    temperature: f32,
    layout: PairLayout,
    row_weight: f64,
    row_losses: &mut [f64],
    gradient: Option<&mut [f32]>,
    scratch: &mut [f32],
) -> Result<(), KernelError> {
    if rows < 2 || !rows.is_multiple_of(2) || !(temperature > 0.0 && temperature.is_finite()) {
        return Err(KernelError::InvalidArgument);
    }
    if Some(features.len()) != rows.checked_mul(depth) || row_losses.len() != rows {
        return Err(KernelError::OutOfBounds);
    }
    if gradient.as_ref().is_some_and(|slice| slice.len() != features.len()) {
        return Err(KernelError::OutputLength);
    }
    if scratch.len() < infonce_scratch_len(rows, depth).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    infonce_with::<Native>(features, rows, depth, temperature, layout, row_weight, row_losses, gradient, scratch);
    Ok(())
}

fn infonce_with<V: F32x4>(
    features: &[f32],
    rows: usize,
    depth: usize,
    temperature: f32,
    layout: PairLayout,
    row_weight: f64,
    row_losses: &mut [f64],
    gradient: Option<&mut [f32]>,
    mut scratch: &mut [f32],
) {
    let mut normalized = carve(&mut scratch, rows, depth);
    normalize_rows::<V>(features, rows, depth, &mut normalized);
    let packed_a = take(&mut scratch, packed_len(rows, depth, TILE_ROWS).unwrap_or(0));
    let packed_b = take(&mut scratch, packed_len(rows, depth, TILE_COLUMNS).unwrap_or(0));
    let logits = take(&mut scratch, rows * rows);
    pack_strided(normalized.rows, rows, depth, depth, 1, TILE_ROWS, None, packed_a);
    pack_strided(normalized.rows, rows, depth, depth, 1, TILE_COLUMNS, None, packed_b);
    multiply_packed_symmetric::<V>(packed_a, packed_b, rows, depth, logits, rows);

    let inverse_temperature = 1.0 / f64::from(temperature);
    let want_gradient = gradient.is_some();
    for row in 0..rows {
        let positive = layout.positive(row, rows);
        let line = &mut logits[row * rows..(row + 1) * rows];
        let mut maximum = f64::NEG_INFINITY;
        let mut poisoned = false;
        for (column, &similarity) in line.iter().enumerate() {
            if column == row {
                continue;
            }
            let logit = f64::from(similarity) * inverse_temperature;
            poisoned |= logit.is_nan();
            maximum = if logit > maximum { logit } else { maximum };
        }
        let positive_logit = f64::from(line[positive]) * inverse_temperature;
        if poisoned {
            row_losses[row] = f64::NAN;
            line.fill(f32::NAN);
            continue;
        }
        // The weights two columns at a time (the exponentials are independent); the sum
        // stays one left-to-right chain, and the diagonal's weight is computed and dropped.
        let mut total = 0.0f64;
        let mut settle = |column: usize, slot: &mut f32, weight: f64| {
            if column == row {
                *slot = 0.0;
            } else {
                total += weight;
                *slot = weight as f32;
            }
        };
        let (pairs, tail) = line.as_chunks_mut::<2>();
        for (pair_index, pair) in pairs.iter_mut().enumerate() {
            let weights = exp_f64_pair(pair.map(|similarity| f64::from(similarity) * inverse_temperature - maximum));
            for (lane, slot) in pair.iter_mut().enumerate() {
                settle(2 * pair_index + lane, slot, weights[lane]);
            }
        }
        if let [slot] = tail {
            settle(rows - 1, slot, exp_f64(f64::from(*slot) * inverse_temperature - maximum));
        }
        row_losses[row] = maximum + ln_f64(total) - positive_logit;
        if want_gradient {
            let scale = row_weight / total;
            for slot in line.iter_mut() {
                *slot = (f64::from(*slot) * scale) as f32;
            }
            line[positive] = (f64::from(line[positive]) - row_weight) as f32;
        }
    }
    let Some(gradient) = gradient else { return };
    // H = G + Gᵀ, in place (dL/dS is G/τ and S = ẐẐᵀ is symmetric).
    add_transpose_in_place(logits, rows);
    let transposed = take(&mut scratch, packed_len(depth, rows, TILE_COLUMNS).unwrap_or(0));
    let block = take(&mut scratch, packed_len(rows.min(GRADIENT_BLOCK_ROWS), rows, TILE_ROWS).unwrap_or(0));
    multiply_by_rows::<V>(logits, rows, rows, rows, 1, normalized.rows, depth, transposed, block, gradient);
    normalize_backward(gradient, rows, depth, &normalized, temperature.recip());
}

/// Floats of scratch [`clip_f32`] needs (its float64 scratch is `3·rows`).
pub fn clip_scratch_len(rows: usize, depth: usize) -> Option<usize> {
    scratch_for_gram(rows, rows, depth, 2)
}

/// What [`clip_f32`] computes besides the gradients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipOutput {
    /// (CE over rows + CE over columns) / 2, labels 0..N.
    pub loss: f64,
    /// d loss / d log(logit scale).
    pub gradient_log_scale: f64,
}

/// CLIP loss of `image` and `text` (`rows × depth` each) with logits `logit_scale·ÎT̂ᵀ`;
/// with `gradients`, d loss / d image and d loss / d text. `wide` is float64 scratch of
/// `3·rows` entries.
pub fn clip_f32(
    image: &[f32],
    text: &[f32],
    rows: usize,
    depth: usize,
    logit_scale: f32,
    gradients: Option<(&mut [f32], &mut [f32])>,
    scratch: &mut [f32],
    wide: &mut [f64],
) -> Result<ClipOutput, KernelError> {
    if rows == 0 || !logit_scale.is_finite() {
        return Err(KernelError::InvalidArgument);
    }
    let length = rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    if image.len() != length || text.len() != length || wide.len() < 3 * rows {
        return Err(KernelError::OutOfBounds);
    }
    if gradients.as_ref().is_some_and(|(image_gradient, text_gradient)| image_gradient.len() != length || text_gradient.len() != length) {
        return Err(KernelError::OutputLength);
    }
    if scratch.len() < clip_scratch_len(rows, depth).ok_or(KernelError::OutOfBounds)? {
        return Err(KernelError::InvalidArgument);
    }
    Ok(clip_with::<Native>(image, text, rows, depth, logit_scale, gradients, scratch, wide))
}

fn clip_with<V: F32x4>(
    image: &[f32],
    text: &[f32],
    rows: usize,
    depth: usize,
    logit_scale: f32,
    gradients: Option<(&mut [f32], &mut [f32])>,
    mut scratch: &mut [f32],
    wide: &mut [f64],
) -> ClipOutput {
    let mut images = carve(&mut scratch, rows, depth);
    let mut texts = carve(&mut scratch, rows, depth);
    normalize_rows::<V>(image, rows, depth, &mut images);
    normalize_rows::<V>(text, rows, depth, &mut texts);
    let packed_a = take(&mut scratch, packed_len(rows, depth, TILE_ROWS).unwrap_or(0));
    let packed_b = take(&mut scratch, packed_len(rows, depth, TILE_COLUMNS).unwrap_or(0));
    let similarities = take(&mut scratch, rows * rows);
    pack_strided(images.rows, rows, depth, depth, 1, TILE_ROWS, None, packed_a);
    pack_strided(texts.rows, rows, depth, depth, 1, TILE_COLUMNS, None, packed_b);
    multiply_packed::<V>(packed_a, rows, packed_b, rows, depth, similarities, rows, false);

    let scale = f64::from(logit_scale);
    let (row_lse, column_lse) = wide[..2 * rows].split_at_mut(rows);
    // Row and column maxima first (row-major), then the sums.
    row_lse.fill(f64::NEG_INFINITY);
    column_lse.fill(f64::NEG_INFINITY);
    let mut poisoned = false;
    for row in 0..rows {
        for column in 0..rows {
            let logit = scale * f64::from(similarities[row * rows + column]);
            poisoned |= logit.is_nan();
            if logit > row_lse[row] {
                row_lse[row] = logit;
            }
            if logit > column_lse[column] {
                column_lse[column] = logit;
            }
        }
    }
    if poisoned {
        if let Some((image_gradient, text_gradient)) = gradients {
            image_gradient.fill(f32::NAN);
            text_gradient.fill(f32::NAN);
        }
        return ClipOutput { loss: f64::NAN, gradient_log_scale: f64::NAN };
    }
    // Row sums and column sums of exp(logit − max), in one row-major pass.
    let (row_lse, rest) = wide[..3 * rows].split_at_mut(rows);
    let (column_lse, column_sums) = rest.split_at_mut(rows);
    column_sums.fill(0.0);
    let mut loss = 0.0f64;
    for row in 0..rows {
        let mut total = 0.0;
        for column in 0..rows {
            let logit = scale * f64::from(similarities[row * rows + column]);
            let [by_row, by_column] = exp_f64_pair([logit - row_lse[row], logit - column_lse[column]]);
            total += by_row;
            column_sums[column] += by_column;
        }
        row_lse[row] += ln_f64(total);
        loss += row_lse[row] - scale * f64::from(similarities[row * rows + row]);
    }
    for column in 0..rows {
        column_lse[column] += ln_f64(column_sums[column]);
        loss += column_lse[column] - scale * f64::from(similarities[column * rows + column]);
    }
    let count = rows as f64;
    let loss = loss / (2.0 * count);
    let Some((image_gradient, text_gradient)) = gradients else {
        return ClipOutput { loss, gradient_log_scale: 0.0 };
    };
    // dL_ij = (softmax_row_ij + softmax_column_ij − 2δ_ij) / 2N, in place of the similarities.
    let mut gradient_log_scale = 0.0f64;
    for row in 0..rows {
        for column in 0..rows {
            let logit = scale * f64::from(similarities[row * rows + column]);
            let [by_row, by_column] = exp_f64_pair([logit - row_lse[row], logit - column_lse[column]]);
            let mut delta = by_row + by_column;
            if row == column {
                delta -= 2.0;
            }
            delta /= 2.0 * count;
            gradient_log_scale += delta * logit;
            similarities[row * rows + column] = delta as f32;
        }
    }
    let transposed = take(&mut scratch, packed_len(depth, rows, TILE_COLUMNS).unwrap_or(0));
    let block = take(&mut scratch, packed_len(rows.min(GRADIENT_BLOCK_ROWS), rows, TILE_ROWS).unwrap_or(0));
    // d/dÎ = s·dL·T̂ and d/dT̂ = s·dLᵀ·Î.
    multiply_by_rows::<V>(similarities, rows, rows, rows, 1, texts.rows, depth, transposed, block, image_gradient);
    multiply_by_rows::<V>(similarities, rows, rows, 1, rows, images.rows, depth, transposed, block, text_gradient);
    normalize_backward(image_gradient, rows, depth, &images, logit_scale);
    normalize_backward(text_gradient, rows, depth, &texts, logit_scale);
    ClipOutput { loss, gradient_log_scale }
}

/// `nn.CosineEmbeddingLoss` per row: `cos = x1·x2 / sqrt((‖x1‖² + 1e-12)(‖x2‖² + 1e-12))`,
/// loss `1 − cos` where the target is 1 and `max(0, cos − margin)` where it is −1 (NaN stays
/// NaN). Any other target is an error.
pub fn cosine_embedding_f32(
    first: &[f32],
    second: &[f32],
    rows: usize,
    depth: usize,
    targets: &[f32],
    margin: f32,
    row_losses: &mut [f64],
) -> Result<(), KernelError> {
    let length = rows.checked_mul(depth).ok_or(KernelError::OutOfBounds)?;
    if first.len() != length || second.len() != length || targets.len() != rows || row_losses.len() != rows {
        return Err(KernelError::OutOfBounds);
    }
    if targets.iter().any(|&target| target != 1.0 && target != -1.0) {
        return Err(KernelError::InvalidArgument);
    }
    const SQUARED_EPS: f64 = 1e-12;
    let whole = [depth];
    let unit = [1];
    let row_axis = Axes { extents: &whole, first_strides: &unit, second_strides: &unit };
    for row in 0..rows {
        let range = row * depth..(row + 1) * depth;
        let sums: DotNorms = dot_norms_f32(&first[range.clone()], &second[range.clone()]);
        let [dot, first_squared, second_squared] = if sums.is_trusted() {
            [f64::from(sums.dot), f64::from(sums.first_squared), f64::from(sums.second_squared)]
        } else {
            dot_norms_f64(first, second, &row_axis, range.start, range.start)
        };
        let cosine = dot / sqrt_f64((first_squared + SQUARED_EPS) * (second_squared + SQUARED_EPS));
        row_losses[row] = if targets[row] == 1.0 {
            1.0 - cosine
        } else {
            let excess = cosine - f64::from(margin);
            if excess < 0.0 { 0.0 } else { excess }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests;
