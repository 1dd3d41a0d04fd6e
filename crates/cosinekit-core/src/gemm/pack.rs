//! Packing into panels: `width` rows interleaved along the depth (`packed[k·width + r]`),
//! zero-padded to a whole panel, panels one after another. Rows can be normalised on the
//! way (norms computed in the same pass), so the product of packed panels is directly a
//! matrix of cosines.

use super::inverse_norm;
use crate::lanes::F32x4;

/// Floats needed for `rows` rows of `depth` packed into panels of `width`.
pub fn packed_len(rows: usize, depth: usize, width: usize) -> Option<usize> {
    rows.div_ceil(width).checked_mul(width)?.checked_mul(depth)
}

/// Packs `rows` contiguous rows (row `i` at `source[i·row_stride ..][.. depth]`), each
/// multiplied by `scale / max(‖row‖, eps)`, into panels of `width`.
/// `packed` must hold [`packed_len`] floats; callers have checked the source bounds.
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
    for (panel_index, panel) in packed.chunks_exact_mut(panel_floats).enumerate() {
        for lane in 0..width {
            let row = panel_index * width + lane;
            if row >= rows {
                panel[lane..].iter_mut().step_by(width).for_each(|slot| *slot = 0.0);
                continue;
            }
            let values = &source[row * row_stride..row * row_stride + depth];
            let factor = scale * inverse_norm::<V>(values, eps);
            // The row's slots: every `width`-th float of the panel from `lane` (no index
            // arithmetic or bounds check per value). The factor is decided once per row.
            let slots = panel[lane..].iter_mut().step_by(width);
            if let Some(narrow) = factor.normal_f32() {
                slots.zip(values).for_each(|(slot, &value)| *slot = value * narrow);
            } else {
                slots.zip(values).for_each(|(slot, &value)| *slot = value * factor);
            }
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
