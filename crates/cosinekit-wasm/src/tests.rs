//! Native tests of the ABI layer: pointers, lengths and overlap are checked before any
//! slice exists, and valid calls reach the kernels.

use super::*;
use std::vec;
use std::vec::Vec;

fn address<T>(values: &[T]) -> usize {
    values.as_ptr() as usize
}

/// Geometry words for `[rows, length]` · `[rows, length]` row-wise cosine.
fn row_geometry(rows: u32, length: u32) -> Vec<u32> {
    vec![rows, length, length, length, 1, 1]
}

#[test]
fn row_cosine_through_the_abi() {
    let first = [1.0f32, 0.0, 0.0, 3.0, 4.0, 0.0];
    let second = [1.0f32, 0.0, 0.0, 0.0, 4.0, 3.0];
    let geometry = row_geometry(2, 3);
    let mut output = [0.0f32; 2];
    let status = ck_cosine_f32(address(&first), 6, address(&second), 6, address(&geometry), 1, 1, 1e-8, 0, output.as_mut_ptr() as usize, 2);
    assert_eq!(status, 0);
    assert_eq!(output[0], 1.0);
    assert!((output[1] - 16.0 / 25.0).abs() < 1e-7);
    let status = ck_cosine_f32(address(&first), 6, address(&second), 6, address(&geometry), 1, 1, 1e-8, FLAG_DISTANCE, output.as_mut_ptr() as usize, 2);
    assert_eq!(status, 0);
    assert_eq!(output[0], 0.0);
}

#[test]
fn bad_pointers_and_lengths_are_rejected() {
    let first = [1.0f32; 8];
    let geometry = row_geometry(2, 4);
    let mut output = [5.0f32; 2];
    let output_address = output.as_mut_ptr() as usize;
    // Null input.
    assert_eq!(ck_cosine_f32(0, 8, address(&first), 8, address(&geometry), 1, 1, 1e-8, 0, output_address, 2), AbiError::BadPointer.code());
    // Misaligned input.
    assert_eq!(ck_cosine_f32(address(&first) + 2, 7, address(&first), 8, address(&geometry), 1, 1, 1e-8, 0, output_address, 2), AbiError::BadPointer.code());
    // Byte length overflows the address space.
    assert_eq!(ck_cosine_f32(address(&first), usize::MAX / 2, address(&first), 8, address(&geometry), 1, 1, 1e-8, 0, output_address, 2), AbiError::BadLength.code());
    // Rank count overflow.
    assert_eq!(ck_cosine_f32(address(&first), 8, address(&first), 8, address(&geometry), usize::MAX, 1, 1e-8, 0, output_address, 2), AbiError::BadLength.code());
    // Geometry claims more than the input holds: the kernel refuses.
    let too_long = row_geometry(2, 5);
    assert_eq!(ck_cosine_f32(address(&first), 8, address(&first), 8, address(&too_long), 1, 1, 1e-8, 0, output_address, 2), KernelError::OutOfBounds.code());
    // Rank beyond the kernel's limit.
    let deep = vec![1u32; 3 * 17 + 3];
    assert_eq!(ck_cosine_f32(address(&first), 8, address(&first), 8, address(&deep), 17, 1, 1e-8, 0, output_address, 2), KernelError::RankTooLarge.code());
    assert_eq!(output, [5.0; 2], "nothing written on failure");
}

#[test]
fn output_overlapping_an_input_is_rejected() {
    let mut buffer = vec![1.0f32; 10];
    let geometry = row_geometry(2, 4);
    let base = buffer.as_mut_ptr() as usize;
    // Output = the last two floats of the first input.
    assert_eq!(ck_cosine_f32(base, 8, base, 8, address(&geometry), 1, 1, 1e-8, 0, base + 6 * 4, 2), AbiError::Overlap.code());
    // Output right after the input is fine.
    assert_eq!(ck_cosine_f32(base, 8, base, 8, address(&geometry), 1, 1, 1e-8, 0, base + 8 * 4, 2), 0);
    assert_eq!(&buffer[8..], &[1.0, 1.0]);
}

#[test]
fn normalize_in_place_and_separate() {
    let mut data = vec![3.0f32, 4.0, 0.0, 0.0, 5.0, 12.0];
    let mut separate = vec![0.0f32; 6];
    let base = data.as_mut_ptr() as usize;
    assert_eq!(ck_normalize_f32(base, separate.as_mut_ptr() as usize, 3, 2, 1, 2, 1e-12), 0);
    assert_eq!(separate, [0.6, 0.8, 0.0, 0.0, 5.0 / 13.0, 12.0 / 13.0]);
    assert_eq!(ck_normalize_f32(base, base, 3, 2, 1, 2, 1e-12), 0);
    assert_eq!(data, separate);
    // Partial overlap is rejected and nothing changes.
    let before = data.clone();
    assert_eq!(ck_normalize_f32(base, base + 4, 1, 5, 1, 2, 1e-12), AbiError::Overlap.code());
    assert_eq!(data, before);
    // Unknown norm order.
    assert_eq!(ck_normalize_f32(base, base, 3, 2, 1, 7, 1e-12), KernelError::InvalidArgument.code());
    // Element count overflow.
    assert_eq!(ck_normalize_f32(base, base, usize::MAX, 2, 1, 2, 1e-12), AbiError::BadLength.code());
}

#[test]
fn empty_operands_need_no_memory() {
    let geometry = [0u32, 0, 0, 4, 1, 1];
    assert_eq!(ck_cosine_f32(0, 0, 0, 0, address(&geometry), 1, 1, 1e-8, 0, 0, 0), 0);
}
