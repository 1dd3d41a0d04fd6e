//! `x / max(‖x‖ₚ, eps)` along one axis, p ∈ {1, 2, ∞} (PyTorch's `F.normalize`).
//!
//! # Numerics
//! - The layout is `[outer, reduced, inner]`, contiguous: vector `(o, i)` is the
//!   `reduced` elements at `o·reduced·inner + r·inner + i`. `inner = 1` is the row case.
//! - Rows: the norm's sum (of squares, of absolute values) uses 4 `f32x4` accumulators
//!   (16 partial sums) combined pairwise; ∞-norm is a lane-wise maximum. Columns (inner
//!   larger than 1): 16 vectors at once, one lane each, flushed into totals every 64 steps
//!   along the reduced axis, so no float32 chain is longer than 64 + reduced/64 additions.
//! - eps clamps the norm (`max(‖x‖, eps)`, default 1e-12 on the JS side); a zero vector
//!   gives zeros. The division is a real IEEE division, as in PyTorch.
//! - Overflow and underflow (p = 2: squared norm outside [2⁻⁶⁰, `f32::MAX`]; p = 1: sum
//!   not finite) are recomputed in float64, division included, so elements near
//!   `f32::MAX` normalise correctly instead of to 0.
//! - NaN anywhere in a vector gives NaN for the whole vector (for every p: the ∞-norm
//!   uses a NaN-propagating maximum, like `torch.amax`). An infinite element makes the
//!   norm ∞, so the finite elements of its vector become ±0 and the infinite ones NaN,
//!   as in PyTorch. With eps = 0 a zero vector gives 0/0 = NaN, as in PyTorch.

mod scalar;
mod simd;

pub use scalar::vector_norm_sums_f32_scalar;
pub use simd::vector_norm_sums_f32x4;

use crate::KernelError;
use crate::lanes::{F32x4, NATIVE_IS_SIMD, Native};
use crate::math::{clamp_min_f32, clamp_min_f64, sqrt_f32, sqrt_f64};

/// The norm order `p`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormOrder {
    /// `Σ |x|`.
    One,
    /// `sqrt(Σ x²)`.
    Two,
    /// `max |x|`.
    Infinity,
}

impl NormOrder {
    /// From the C-ABI code: 1, 2, or 0 for ∞.
    pub fn from_code(code: u32) -> Result<Self, KernelError> {
        match code {
            1 => Ok(NormOrder::One),
            2 => Ok(NormOrder::Two),
            0 => Ok(NormOrder::Infinity),
            _ => Err(KernelError::InvalidArgument),
        }
    }

    /// Whether the float32 accumulation result `sum` (Σx², Σ|x| or max|x|) can be trusted.
    #[inline(always)]
    fn is_trusted(self, sum: f32) -> bool {
        match self {
            NormOrder::Two => (8.673_617e-19..=f32::MAX).contains(&sum),
            NormOrder::One => sum <= f32::MAX,
            NormOrder::Infinity => true,
        }
    }

    /// The norm from its float32 accumulation result.
    #[inline(always)]
    fn norm_from_sum(self, sum: f32) -> f32 {
        if self == NormOrder::Two { sqrt_f32(sum) } else { sum }
    }
}

/// `[outer, reduced, inner]`, row-major and contiguous.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormalizeLayout {
    /// Product of the axes before the normalised one.
    pub outer: usize,
    /// Length of the normalised axis (the vectors' length).
    pub reduced: usize,
    /// Product of the axes after it (1 when it is the last axis).
    pub inner: usize,
}

impl NormalizeLayout {
    /// Total element count, or `None` on overflow.
    pub fn element_count(&self) -> Option<usize> {
        self.outer.checked_mul(self.reduced)?.checked_mul(self.inner)
    }
}

/// Where normalised values go: a separate output, or back into the input.
trait Destination {
    fn source(&self) -> &[f32];
    /// `destination[index] = source[index] / denominator` for `length` elements from
    /// `start`, four lanes at a time.
    fn divide_run<V: F32x4>(&mut self, start: usize, length: usize, denominator: f32);
    /// `destination[start + 4q + l] = source[…] / denominators[q][l]`, 16 elements.
    fn divide_block<V: F32x4>(&mut self, start: usize, denominators: &[V; 4]);
    /// One element, divided in float64.
    fn divide_one_f64(&mut self, index: usize, denominator: f64);
}

struct Separate<'a> {
    input: &'a [f32],
    output: &'a mut [f32],
}

struct InPlace<'a> {
    data: &'a mut [f32],
}

impl Destination for Separate<'_> {
    fn source(&self) -> &[f32] {
        self.input
    }
    #[inline(always)]
    fn divide_run<V: F32x4>(&mut self, start: usize, length: usize, denominator: f32) {
        simd::divide_f32x4::<V>(&self.input[start..start + length], &mut self.output[start..start + length], denominator);
    }
    #[inline(always)]
    fn divide_block<V: F32x4>(&mut self, start: usize, denominators: &[V; 4]) {
        let (input_quads, _) = self.input[start..start + 16].as_chunks::<4>();
        let (output_quads, _) = self.output[start..start + 16].as_chunks_mut::<4>();
        for quad in 0..4 {
            V::load(&input_quads[quad]).div(denominators[quad]).store(&mut output_quads[quad]);
        }
    }
    fn divide_one_f64(&mut self, index: usize, denominator: f64) {
        self.output[index] = (f64::from(self.input[index]) / denominator) as f32;
    }
}

impl Destination for InPlace<'_> {
    fn source(&self) -> &[f32] {
        self.data
    }
    #[inline(always)]
    fn divide_run<V: F32x4>(&mut self, start: usize, length: usize, denominator: f32) {
        simd::divide_in_place_f32x4::<V>(&mut self.data[start..start + length], denominator);
    }
    #[inline(always)]
    fn divide_block<V: F32x4>(&mut self, start: usize, denominators: &[V; 4]) {
        let (quads, _) = self.data[start..start + 16].as_chunks_mut::<4>();
        for quad in 0..4 {
            V::load(&quads[quad]).div(denominators[quad]).store(&mut quads[quad]);
        }
    }
    fn divide_one_f64(&mut self, index: usize, denominator: f64) {
        self.data[index] = (f64::from(self.data[index]) / denominator) as f32;
    }
}

/// Normalises `input` into `output` (same length, no overlap: Rust's borrows guarantee it).
pub fn normalize_f32(
    input: &[f32],
    output: &mut [f32],
    layout: NormalizeLayout,
    order: NormOrder,
    eps: f32,
) -> Result<(), KernelError> {
    let count = layout.element_count().ok_or(KernelError::OutOfBounds)?;
    if input.len() != count {
        return Err(KernelError::OutOfBounds);
    }
    if output.len() != count {
        return Err(KernelError::OutputLength);
    }
    run(&mut Separate { input, output }, layout, order, eps);
    Ok(())
}

/// Normalises `data` in place.
pub fn normalize_in_place_f32(data: &mut [f32], layout: NormalizeLayout, order: NormOrder, eps: f32) -> Result<(), KernelError> {
    let count = layout.element_count().ok_or(KernelError::OutOfBounds)?;
    if data.len() != count {
        return Err(KernelError::OutOfBounds);
    }
    run(&mut InPlace { data }, layout, order, eps);
    Ok(())
}

fn run<D: Destination>(destination: &mut D, layout: NormalizeLayout, order: NormOrder, eps: f32) {
    if layout.element_count() == Some(0) {
        return;
    }
    run_with_lanes::<Native, D>(destination, layout, order, eps);
}

/// The float64 norm of one vector (`count` elements, `stride` apart, from `start`).
fn vector_norm_f64(values: &[f32], start: usize, count: usize, stride: usize, order: NormOrder) -> f64 {
    let mut total = 0.0f64;
    for step in 0..count {
        let value = f64::from(values[start + step * stride]);
        match order {
            NormOrder::Two => total += value * value,
            NormOrder::One => total += value.abs(),
            NormOrder::Infinity => {
                total = if total.is_nan() || value.is_nan() { f64::NAN } else { total.max(value.abs()) }
            }
        }
    }
    if order == NormOrder::Two { sqrt_f64(total) } else { total }
}

/// Divides one vector by its float64 norm, in float64 (the rescue path).
fn normalize_vector_f64<D: Destination>(destination: &mut D, start: usize, count: usize, stride: usize, order: NormOrder, eps: f32) {
    let denominator = clamp_min_f64(vector_norm_f64(destination.source(), start, count, stride, order), f64::from(eps));
    for step in 0..count {
        destination.divide_one_f64(start + step * stride, denominator);
    }
}

fn run_with_lanes<V: F32x4, D: Destination>(destination: &mut D, layout: NormalizeLayout, order: NormOrder, eps: f32) {
    let NormalizeLayout { outer, reduced, inner } = layout;
    let vector_span = reduced * inner;
    if inner == 1 {
        for vector in 0..outer {
            let start = vector * reduced;
            let source = &destination.source()[start..start + reduced];
            let sum = if NATIVE_IS_SIMD {
                vector_norm_sums_f32x4::<V>(source, order)
            } else {
                vector_norm_sums_f32_scalar(source, order)
            };
            if order.is_trusted(sum) {
                destination.divide_run::<V>(start, reduced, clamp_min_f32(order.norm_from_sum(sum), eps));
            } else {
                normalize_vector_f64(destination, start, reduced, 1, order, eps);
            }
        }
        return;
    }
    let full_blocks = inner / 16;
    for outer_index in 0..outer {
        let base = outer_index * vector_span;
        for block in 0..full_blocks {
            let block_start = base + block * 16;
            let sums = simd::column_norm_sums_f32x4::<V>(destination.source(), block_start, reduced, inner, order);
            let mut denominators = [[0.0f32; 4]; 4];
            let mut rescued = [false; 16];
            for lane in 0..16 {
                let sum = sums[lane];
                if order.is_trusted(sum) {
                    denominators[lane / 4][lane % 4] = clamp_min_f32(order.norm_from_sum(sum), eps);
                } else {
                    rescued[lane] = true;
                    denominators[lane / 4][lane % 4] = 1.0;
                }
            }
            let denominator_lanes = denominators.map(|quad| V::load(&quad));
            for step in 0..reduced {
                destination.divide_block::<V>(block_start + step * inner, &denominator_lanes);
            }
            for lane in (0..16).filter(|&lane| rescued[lane]) {
                normalize_vector_f64(destination, block_start + lane, reduced, inner, order, eps);
            }
        }
        for column in full_blocks * 16..inner {
            normalize_vector_f64(destination, base + column, reduced, inner, order, eps);
        }
    }
}

#[cfg(test)]
mod tests;
