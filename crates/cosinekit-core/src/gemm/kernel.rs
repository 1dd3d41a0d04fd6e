//! The register-tiled micro-kernel: a 4×8 block of `A·Bᵀ` from packed panels.
//!
//! Per step along the depth: two loads of B (8 floats), one `load32_splat` per row of A
//! (4 values), eight multiply-adds into eight independent accumulators. That is 8 + 2 + 4
//! vector registers: V8's optimising compiler issues every load of a step before its
//! multiply-adds, and keeps 15 of the 16 x86-64 vector registers for values, so taller
//! tiles spill accumulators to the stack (measured: 6×8 runs at half the speed of 4×8).
//!
//! The loop walks two pointers so that LLVM addresses a step's floats with constant load
//! offsets (`v128.load32_splat offset=12`), which V8 folds into the x86 addressing mode. The
//! wasm build turns off LLVM's loop strength reduction (`-disable-lsr`, in
//! `scripts/build-wasm.sh`), which otherwise rewrites those addresses into separate adds,
//! an extra instruction per load in V8's code; with it, a step is 6 loads, 8 multiply-adds
//! (16 instructions without relaxed FMA), two pointer adds and the step count (add, compare
//! and branch). Measured at 1024×1024×768 on x86-64 Node 20 against the previous indexed
//! loop with lane shuffles for simd128: +8–9 % for simd128, +2–10 % for relaxed.
//!
//! V8 unrolls this loop four times itself, keeping the exit test in every copy. Measured and
//! dropped: two steps per iteration in the source (TurboFan then issues all 12 loads before
//! the 16 multiply-adds, 20 live vectors, and spills: 0.59× relaxed, 0.78× simd128), and an
//! end-pointer loop test instead of the step count (one add less per step in V8's code,
//! 0.99–1.00×). In quiet stretches a whole relaxed 1024×1024×768 product, packing included,
//! runs at about 94 % of the 128-bit FMA limit measured natively on the same core.

use crate::lanes::F32x4;

/// Rows of A per micro-tile.
pub const TILE_ROWS: usize = 4;
/// Columns (rows of B) per micro-tile.
pub const TILE_COLUMNS: usize = 8;

/// One micro-tile: `Σₖ a[k][r] · b[k][c]` for r < 4, c < 8, over the given panel slices
/// (`a_panel`: `depth × 4` floats, `b_panel`: `depth × 8` floats, k-major; the shorter
/// panel decides the depth). Returns the accumulators as `[row][half]`, each half holding
/// 4 columns.
#[inline(always)]
pub fn tile_4x8_f32x4<V: F32x4>(a_panel: &[f32], b_panel: &[f32]) -> [[V; 2]; TILE_ROWS] {
    let (a_steps, _) = a_panel.as_chunks::<TILE_ROWS>();
    let (b_steps, _) = b_panel.as_chunks::<TILE_COLUMNS>();
    let steps = a_steps.len().min(b_steps.len());
    let mut sums = [[V::zero(); 2]; TILE_ROWS];
    let mut a_next: *const [f32; TILE_ROWS] = a_steps.as_ptr();
    let mut b_next: *const [[f32; 4]; 2] = b_steps.as_ptr().cast();
    for _ in 0..steps {
        // SAFETY: the loop runs `steps` times, at most the number of whole steps in either
        // panel, and each pointer advances by one step per iteration, so both point at a
        // whole step inside their slices here. `[[f32; 4]; 2]` has the layout of
        // `[f32; 8]` (same size, align 4).
        let (a_step, b_step) = unsafe { (&*a_next, &*b_next) };
        let b_low = V::load(&b_step[0]);
        let b_high = V::load(&b_step[1]);
        for row in 0..TILE_ROWS {
            let a_value = V::splat(a_step[row]);
            sums[row][0] = a_value.mul_add(b_low, sums[row][0]);
            sums[row][1] = a_value.mul_add(b_high, sums[row][1]);
        }
        // SAFETY: after the last step each pointer is one past its last whole step, which
        // is inside the slice or one past its end: `add` stays in bounds.
        unsafe {
            a_next = a_next.add(1);
            b_next = b_next.add(1);
        }
    }
    sums
}
