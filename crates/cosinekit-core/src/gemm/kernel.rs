//! The register-tiled micro-kernel: a 4×8 block of `A·Bᵀ` from packed panels.
//!
//! Per step along the depth: two loads of B (8 floats), the step's 4 values of A broadcast
//! to all lanes, eight multiply-adds into eight independent accumulators — 8 + 2 + 1..4
//! registers, inside the 16 vector registers engines map wasm SIMD onto on x86-64. Taller
//! tiles (5×8, 6×8) measured slower in V8 (register spills).
//!
//! A is broadcast either by four `load32_splat`s or by one load and four lane shuffles,
//! per lane type ([`F32x4::BROADCAST_BY_LOAD`]): LLVM does not fold the per-row constant
//! offsets into wasm load immediates, so each load-splat costs an address computation in
//! V8's code, while shuffles share ports with fused multiply-adds. Measured at
//! 1024×1024×768 on x86-64 Node 20: simd128 18 → 22 GFLOP/s with shuffles; relaxed 28 with
//! load-splats vs 24 with shuffles.

use crate::lanes::F32x4;

/// Rows of A per micro-tile.
pub const TILE_ROWS: usize = 4;
/// Columns (rows of B) per micro-tile.
pub const TILE_COLUMNS: usize = 8;

/// One micro-tile: `Σₖ a[k][r] · b[k][c]` for r < 4, c < 8, over the given panel slices
/// (`a_panel`: `depth × 4` floats, `b_panel`: `depth × 8` floats, k-major). Returns the
/// accumulators as `[row][half]`, each half holding 4 columns.
#[inline(always)]
pub fn tile_4x8_f32x4<V: F32x4>(a_panel: &[f32], b_panel: &[f32]) -> [[V; 2]; TILE_ROWS] {
    let (a_steps, _) = a_panel.as_chunks::<TILE_ROWS>();
    let (b_steps, _) = b_panel.as_chunks::<TILE_COLUMNS>();
    let mut sums = [[V::zero(); 2]; TILE_ROWS];
    for (a_step, b_step) in a_steps.iter().zip(b_steps) {
        let (b_quads, _) = b_step.as_chunks::<4>();
        let b_low = V::load(&b_quads[0]);
        let b_high = V::load(&b_quads[1]);
        let rows = if V::BROADCAST_BY_LOAD {
            // Four load-splats (an address computation each in V8's code, but no shuffle
            // competing with the FMA pipes).
            [V::splat(a_step[0]), V::splat(a_step[1]), V::splat(a_step[2]), V::splat(a_step[3])]
        } else {
            // One load of the step's 4 A values, then a lane broadcast per row.
            let a_values = V::load(a_step);
            [
                a_values.broadcast_lane::<0>(),
                a_values.broadcast_lane::<1>(),
                a_values.broadcast_lane::<2>(),
                a_values.broadcast_lane::<3>(),
            ]
        };
        for row in 0..TILE_ROWS {
            sums[row][0] = rows[row].mul_add(b_low, sums[row][0]);
            sums[row][1] = rows[row].mul_add(b_high, sums[row][1]);
        }
    }
    sums
}
