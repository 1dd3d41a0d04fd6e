//! # cosinekit-core
//!
//! Cosine-similarity kernels over `f32` slices, with no dependencies and no `std`:
//! row-wise and strided cosine similarity (PyTorch semantics, broadcasting described by
//! strides), `p`-norm normalisation, pairwise cosine matrices over a packed, cache-blocked
//! `A·Bᵀ`, their mean, streaming top-k, and contrastive losses (InfoNCE, CLIP, cosine
//! embedding) with analytic gradients. The crate knows nothing of JavaScript or of the
//! C ABI; `cosinekit-wasm` converts pointers into slices and calls it.
//!
//! Each kernel family has a scalar reference (always compiled, the fallback of builds
//! without SIMD) and one algorithm written over [`lanes::F32x4`], instantiated with wasm
//! `simd128` or `relaxed-simd` lanes at compile time (`cfg(target_feature)`), or with
//! portable `[f32; 4]` lanes in native tests. Every kernel validates its geometry against
//! the slice lengths before reading and reports a [`KernelError`] instead of panicking.
//! Each kernel module opens with a "Numerics" section: accumulators, eps, NaN, overflow.

#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
// Kernels and C-ABI exports take every size and pointer explicitly; bundling them into
// structs would only move the argument lists elsewhere.
#![allow(clippy::too_many_arguments)]

pub mod cosine;
mod error;
pub mod gemm;
pub mod geometry;
pub mod lanes;
pub mod math;
pub mod normalize;
pub mod loss;
pub mod pairwise;
pub mod quant;
pub mod topk;

#[cfg(test)]
mod test_support;

pub use error::KernelError;

/// The instruction set this build's kernels use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum InstructionSet {
    /// Scalar code only.
    Scalar = 0,
    /// wasm `simd128`.
    Simd128 = 1,
    /// wasm `simd128` + `relaxed-simd`.
    Relaxed = 2,
}

/// The instruction set selected for this build by its target features.
pub const INSTRUCTION_SET: InstructionSet = if cfg!(all(target_arch = "wasm32", target_feature = "relaxed-simd")) {
    InstructionSet::Relaxed
} else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
    InstructionSet::Simd128
} else {
    InstructionSet::Scalar
};
