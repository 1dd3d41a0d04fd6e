//! Packing into panels: `width` rows interleaved along the depth (`packed[k·width + r]`),
//! zero-padded to a whole panel, panels one after another. Rows can be normalised on the
//! way (norms computed in the same pass), so the product of packed panels is directly a
//! matrix of cosines.

use super::{ScaleFactor, inverse_norm};
use crate::lanes::F32x4;

/// Floats needed for `rows` rows of `depth` packed into panels of `width`.
pub fn packed_len(rows: usize, depth: usize, width: usize) -> Option<usize> {
    rows.div_ceil(width).checked_mul(width)?.checked_mul(depth)
}

/// Packs `rows` contiguous rows (row `i` at `source[i·row_stride ..][.. depth]`), each
/// multiplied by `scale / max(‖row‖, eps)`, into panels of `width`.
/// `packed` must hold [`packed_len`] floats; callers have checked the source bounds.
///
/// Whole groups of four rows whose factors are normal float32s are scaled and transposed
/// four steps at a time in lanes (16-byte stores); other rows go one value at a time. Both
/// paths compute every value as the same float32 product.
pub fn pack_normalized_rows<V: F32x4>(
    source: &[f32],
    rows: usize,
    depth: usize,
    row_stride: usize,
    width: usize,
    scale: f32,
    eps: f32,
    packed: &mut [f32],
) {
    let panel_floats = width * depth;
    if panel_floats == 0 {
        return; // depth 0: nothing to pack (and no panel to split the slice into)
    }
    let row_values = |row: usize| &source[row * row_stride..row * row_stride + depth];
    for (panel_index, panel) in packed.chunks_exact_mut(panel_floats).enumerate() {
        let mut lane = 0;
        while lane < width {
            let row = panel_index * width + lane;
            if width % 4 == 0 && row + 4 <= rows {
                let group: [&[f32]; 4] = core::array::from_fn(|offset| row_values(row + offset));
                let factors = group.map(|values| scale * inverse_norm::<V>(values, eps));
                if let [Some(f0), Some(f1), Some(f2), Some(f3)] = factors.map(ScaleFactor::normal_f32) {
                    pack_four_rows::<V>(group, [f0, f1, f2, f3], &mut panel[lane..], width);
                } else {
                    for offset in 0..4 {
                        pack_row(group[offset], factors[offset], &mut panel[lane + offset..], width);
                    }
                }
                lane += 4;
            } else {
                if row < rows {
                    let values = row_values(row);
                    pack_row(values, scale * inverse_norm::<V>(values, eps), &mut panel[lane..], width);
                } else {
                    panel[lane..].iter_mut().step_by(width).for_each(|slot| *slot = 0.0);
                }
                lane += 1;
            }
        }
    }
}

/// One row into its slots: every `width`-th float of `slots` (which starts at the row's
/// lane). The factor's float32-or-float64 decision is made once for the row.
fn pack_row(values: &[f32], factor: ScaleFactor, slots: &mut [f32], width: usize) {
    let slots = slots.iter_mut().step_by(width);
    if let Some(narrow) = factor.normal_f32() {
        slots.zip(values).for_each(|(slot, &value)| *slot = value * narrow);
    } else {
        slots.zip(values).for_each(|(slot, &value)| *slot = value * factor);
    }
}

/// Four rows of equal length into four adjacent lanes of a panel (`panel` starts at the
/// first of them): per four steps, four loads, four products, one 4×4 transpose and four
/// 16-byte stores; the last `len % 4` steps one value at a time.
fn pack_four_rows<V: F32x4>(rows: [&[f32]; 4], factors: [f32; 4], panel: &mut [f32], width: usize) {
    let quads = rows.map(|values| values.as_chunks::<4>().0);
    let splats = factors.map(V::splat);
    let whole_steps = quads[0].len() * 4;
    for (quad_index, step) in (0..whole_steps).step_by(4).enumerate() {
        let scaled: [V; 4] = core::array::from_fn(|offset| V::load(&quads[offset][quad_index]).mul(splats[offset]));
        for (column, values) in V::transpose4(scaled).into_iter().enumerate() {
            let start = (step + column) * width;
            let slot: &mut [f32; 4] = (&mut panel[start..start + 4]).try_into().expect("four lanes inside the panel");
            values.store(slot);
        }
    }
    for step in whole_steps..rows[0].len() {
        for offset in 0..4 {
            panel[step * width + offset] = rows[offset][step] * factors[offset];
        }
    }
}

/// Packs a strided matrix: row `i`, depth `k` at `source[i·row_stride + k·depth_stride]`,
/// each row multiplied by `row_scales[i]` (or 1). Used for products such as `G·Z`, where
/// the rows of the packed operand are the columns of `Z` (`row_stride = 1`).
pub fn pack_strided(
    source: &[f32],
    rows: usize,
    depth: usize,
    row_stride: usize,
    depth_stride: usize,
    width: usize,
    row_scales: Option<&[f32]>,
    packed: &mut [f32],
) {
    let panel_floats = width * depth;
    for (panel_index, panel) in packed.chunks_exact_mut(panel_floats).enumerate() {
        for step in 0..depth {
            let slot = &mut panel[step * width..step * width + width];
            for (lane, value) in slot.iter_mut().enumerate() {
                let row = panel_index * width + lane;
                *value = if row < rows {
                    let scale = row_scales.map_or(1.0, |scales| scales[row]);
                    source[row * row_stride + step * depth_stride] * scale
                } else {
                    0.0
                };
            }
        }
    }
}

/// `value · factor` exactly as the packers compute it: one float32 product when the factor
/// is a normal float32, else the product in float64 rounded once.
#[inline(always)]
pub fn scaled_value(value: f32, factor: f64) -> f32 {
    value * ScaleFactor(factor)
}

/// The transposed operand of [`pack_normalized_rows`]: the `depth` columns of rows scaled
/// by `factors` (with `factors[k] = scale / max(‖row k‖, eps)`, the same floats) become the
/// packed rows (panels of `width` columns, `rows` deep), so that
/// `multiply_packed(W, …, this, depth, rows, …)` computes `W · X̂` for a `[·, rows]` matrix
/// W. Value `(k, d)` is `scaled_value(source[k·row_stride + d], factors[k])`, the float the
/// row-wise packing holds; columns past `depth` are zero. `packed` holds
/// `packed_len(depth, rows, width)` floats.
pub fn pack_columns_scaled(source: &[f32], rows: usize, depth: usize, row_stride: usize, width: usize, factors: &[f64], packed: &mut [f32]) {
    let panel_floats = width * rows;
    if panel_floats == 0 {
        return;
    }
    for (panel_index, panel) in packed.chunks_exact_mut(panel_floats).enumerate() {
        let first_column = panel_index * width;
        let valid = width.min(depth - first_column);
        for (row, slot) in panel.chunks_exact_mut(width).enumerate() {
            let factor = ScaleFactor(factors[row]);
            let values = &source[row * row_stride + first_column..row * row_stride + first_column + valid];
            if let Some(narrow) = factor.normal_f32() {
                slot.iter_mut().zip(values).for_each(|(target, &value)| *target = value * narrow);
            } else {
                slot.iter_mut().zip(values).for_each(|(target, &value)| *target = value * factor);
            }
            slot[valid..].fill(0.0);
        }
    }
}
