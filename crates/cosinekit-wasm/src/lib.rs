//! # cosinekit-wasm
//!
//! The C ABI of cosinekit for WebAssembly: every export turns pointers and lengths into
//! slices (after checking them), calls `cosinekit-core`, and returns a status code. No
//! kernel logic lives here. The TypeScript package is the binding: it owns the memory
//! views, validates shapes and arguments, and maps status codes to exceptions.
//!
//! Status codes: 0 success; 1–5 are `cosinekit_core::KernelError` codes; the codes of
//! [`AbiError`] reject pointers before any slice exists. Pointers are byte addresses in
//! the module's linear memory; lengths count `f32` elements unless the name says bytes.

#![cfg_attr(target_arch = "wasm32", no_std)]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod alloc;
pub mod raw;

use cosinekit_core::cosine::{CosineOptions, cosine_f32};
use cosinekit_core::geometry::{Axes, MAX_RANK};
use cosinekit_core::normalize::{NormOrder, NormalizeLayout, normalize_f32, normalize_in_place_f32};
use cosinekit_core::{INSTRUCTION_SET, KernelError};
use raw::{AbiError, Region, status};

/// Bit of `ck_cosine_f32`'s `flags`: clamp the similarity to [-1, 1].
pub const FLAG_CLAMP: u32 = 1;
/// Bit of `ck_cosine_f32`'s `flags`: return `1 − similarity`.
pub const FLAG_DISTANCE: u32 = 2;

/// The instruction set this module was built for: 0 scalar, 1 simd128, 2 relaxed-simd.
#[unsafe(no_mangle)]
pub extern "C" fn ck_instruction_set() -> u32 {
    INSTRUCTION_SET as u32
}

/// ABI version, bumped whenever an export's signature or meaning changes; the TypeScript
/// loader refuses a module whose version it does not know.
#[unsafe(no_mangle)]
pub extern "C" fn ck_abi_version() -> u32 {
    1
}

/// Reads `rank` extents and two stride lists (`3·rank` u32 values) starting at `words`.
fn read_axes(words: &[u32], rank: usize, storage: &mut [[usize; MAX_RANK]; 3]) -> Result<(), KernelError> {
    if rank > MAX_RANK || words.len() != 3 * rank {
        return Err(KernelError::RankTooLarge);
    }
    for list in 0..3 {
        for axis in 0..rank {
            storage[list][axis] = words[list * rank + axis] as usize;
        }
    }
    Ok(())
}

/// Cosine similarity (or distance) of two strided operands; see
/// `cosinekit_core::cosine::cosine_f32`.
///
/// `geometry` holds `3·(kept_rank + reduced_rank)` u32 values: kept extents, the first
/// operand's kept strides, the second's, then the same three lists for the reduced axes
/// (strides in elements, 0 for broadcast). `flags`: [`FLAG_CLAMP`] | [`FLAG_DISTANCE`].
/// The output may not overlap either input (status [`AbiError::Overlap`]); the inputs may
/// overlap each other.
#[unsafe(no_mangle)]
pub extern "C" fn ck_cosine_f32(
    first_pointer: usize,
    first_length: usize,
    second_pointer: usize,
    second_length: usize,
    geometry_pointer: usize,
    kept_rank: usize,
    reduced_rank: usize,
    eps: f32,
    flags: u32,
    output_pointer: usize,
    output_length: usize,
) -> i32 {
    status((|| {
        let first = Region::of_f32(first_pointer, first_length)?;
        let second = Region::of_f32(second_pointer, second_length)?;
        let output = Region::of_f32(output_pointer, output_length)?;
        let word_count = kept_rank.checked_add(reduced_rank).and_then(|rank| rank.checked_mul(3)).ok_or(AbiError::BadLength)?;
        let geometry = Region::of_u32(geometry_pointer, word_count)?;
        if output.overlaps(&first) || output.overlaps(&second) || output.overlaps(&geometry) {
            return Err(AbiError::Overlap.code());
        }
        // SAFETY: each region was checked to be non-null, aligned, inside linear memory
        // and free of address overflow, and the output region overlaps none of the three
        // read-only regions, so the one exclusive borrow aliases no shared borrow.
        let (first, second, geometry, output) = unsafe {
            (first.as_f32_slice(), second.as_f32_slice(), geometry.as_u32_slice(), output.as_f32_slice_mut())
        };
        let mut kept_lists = [[0usize; MAX_RANK]; 3];
        let mut reduced_lists = [[0usize; MAX_RANK]; 3];
        read_axes(&geometry[..3 * kept_rank], kept_rank, &mut kept_lists).map_err(KernelError::code)?;
        read_axes(&geometry[3 * kept_rank..], reduced_rank, &mut reduced_lists).map_err(KernelError::code)?;
        let kept = Axes {
            extents: &kept_lists[0][..kept_rank],
            first_strides: &kept_lists[1][..kept_rank],
            second_strides: &kept_lists[2][..kept_rank],
        };
        let reduced = Axes {
            extents: &reduced_lists[0][..reduced_rank],
            first_strides: &reduced_lists[1][..reduced_rank],
            second_strides: &reduced_lists[2][..reduced_rank],
        };
        let options = CosineOptions { eps, clamp: flags & FLAG_CLAMP != 0, distance: flags & FLAG_DISTANCE != 0 };
        cosine_f32(first, second, &kept, &reduced, &options, output).map_err(KernelError::code)
    })())
}

/// `x / max(‖x‖ₚ, eps)` over the middle axis of a contiguous `[outer, reduced, inner]`
/// array; `order_code` is 1, 2, or 0 for ∞. In place when `output_pointer ==
/// input_pointer`; any other overlap is rejected ([`AbiError::Overlap`]).
#[unsafe(no_mangle)]
pub extern "C" fn ck_normalize_f32(
    input_pointer: usize,
    output_pointer: usize,
    outer: usize,
    reduced: usize,
    inner: usize,
    order_code: u32,
    eps: f32,
) -> i32 {
    status((|| {
        let layout = NormalizeLayout { outer, reduced, inner };
        let order = NormOrder::from_code(order_code).map_err(KernelError::code)?;
        let count = layout.element_count().ok_or(AbiError::BadLength.code())?;
        let input = Region::of_f32(input_pointer, count)?;
        let output = Region::of_f32(output_pointer, count)?;
        if input_pointer == output_pointer {
            // SAFETY: the region was checked (non-null, aligned, in memory, no overflow)
            // and this is the only borrow of it.
            let data = unsafe { output.as_f32_slice_mut() };
            return normalize_in_place_f32(data, layout, order, eps).map_err(KernelError::code);
        }
        if output.overlaps(&input) {
            return Err(AbiError::Overlap.code());
        }
        // SAFETY: both regions were checked and do not overlap, so the shared and the
        // exclusive borrow are disjoint.
        let (input, output) = unsafe { (input.as_f32_slice(), output.as_f32_slice_mut()) };
        normalize_f32(input, output, layout, order, eps).map_err(KernelError::code)
    })())
}

/// Allocates `byte_count` bytes, 16-byte aligned; returns 0 when memory cannot grow
/// enough (nothing already allocated is affected).
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn ck_alloc(byte_count: usize) -> usize {
    raw::with_heap(|heap| heap.alloc(byte_count).map_or(0, |pointer| pointer.as_ptr() as usize))
}

/// Frees a block from [`ck_alloc`]; 0 is ignored.
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn ck_free(pointer: usize) {
    // SAFETY: the heap's contract: `pointer` came from ck_alloc and is freed once. The
    // heap also ignores pointers whose header is not marked in use (see alloc.rs).
    raw::with_heap(|heap| unsafe { heap.free(pointer as *mut u8) })
}

/// Bytes currently allocated (for leak tests).
#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn ck_heap_bytes_in_use() -> usize {
    raw::with_heap(|heap| heap.bytes_in_use())
}

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(test)]
mod tests;
