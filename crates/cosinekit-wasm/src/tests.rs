//! Native tests of the ABI layer: pointers, lengths and overlap are checked before any
//! slice exists, and valid calls reach the kernels.

use super::*;
use crate::losses::{ck_clip_f32, ck_clip_scratch_floats, ck_cosine_embedding_f32, ck_infonce_f32};
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

// ---------------------------------------------------------------------------------------
// Lengths and overflow. Natively usize is 64 bits, so these use values near usize::MAX:
// the same checked arithmetic guards wasm32, where test/robustness/abi.test.ts calls the
// real exports with 32-bit values that would wrap.

#[test]
fn region_byte_lengths_and_ends_never_wrap() {
    // element_count · 4 overflows.
    assert_eq!(Region::of_f32(16, usize::MAX / 4 + 1), Err(AbiError::BadLength));
    assert_eq!(Region::of_u32(16, usize::MAX / 4 + 1), Err(AbiError::BadLength));
    assert_eq!(Region::of_i32(16, usize::MAX / 4 + 1), Err(AbiError::BadLength));
    assert_eq!(Region::of_f64(16, usize::MAX / 8 + 1), Err(AbiError::BadLength));
    // address + byte length overflows by exactly one byte, and by a lot.
    let last_word = usize::MAX - 3;
    assert_eq!(Region::of_f32(last_word, 1), Err(AbiError::BadLength));
    assert_eq!(Region::of_f32(last_word - 4, 2), Err(AbiError::BadLength));
    assert_eq!(Region::of_f32(usize::MAX / 2 + 1, usize::MAX / 4), Err(AbiError::BadLength));
    // The largest range that does not wrap is accepted (natively memory is unbounded).
    assert!(Region::of_f32(last_word - 4, 1).is_ok());
    // Null and misaligned pointers.
    assert_eq!(Region::of_f32(0, 1), Err(AbiError::BadPointer));
    assert_eq!(Region::of_f32(6, 1), Err(AbiError::BadPointer));
    assert_eq!(Region::of_f64(4, 1), Err(AbiError::BadPointer));
    assert!(Region::of_f64(8, 1).is_ok());
    // Empty regions need no memory at all, even at null or misaligned addresses.
    assert!(Region::of_f32(0, 0).is_ok());
    assert!(Region::of_f32(3, 0).is_ok());
    assert!(Region::of_f64(usize::MAX, 0).is_ok());
}

#[test]
fn region_overlap_is_exact_and_symmetric() {
    let at = |address: usize, count: usize| Region::of_f32(address, count).unwrap();
    let cases = [
        // (first, second, overlap?)
        (at(64, 4), at(80, 4), false), // adjacent: [64, 80) and [80, 96)
        (at(64, 4), at(76, 4), true),  // one float shared
        (at(64, 4), at(64, 4), true),  // identical
        (at(64, 8), at(72, 1), true),  // contained
        (at(64, 4), at(0, 0), false),  // empty overlaps nothing
        (at(64, 0), at(64, 0), false),
    ];
    for (index, (first, second, expected)) in cases.iter().enumerate() {
        assert_eq!(first.overlaps(second), *expected, "case {index}");
        assert_eq!(second.overlaps(first), *expected, "case {index} reversed");
    }
    // Regions ending at the very top of the address space compare without overflow.
    let top = at(usize::MAX - 7, 1);
    assert!(top.overlaps(&top));
    assert!(!top.overlaps(&at(usize::MAX - 11, 1)));
}

#[test]
fn cosine_rank_and_length_overflow_is_refused_before_any_write() {
    let first = [1.0f32; 8];
    let geometry = row_geometry(2, 4);
    let mut output = [5.0f32; 2];
    let output_address = output.as_mut_ptr() as usize;
    let call = |first_length: usize, kept_rank: usize, reduced_rank: usize, output_length: usize| {
        ck_cosine_f32(address(&first), first_length, address(&first), 8, address(&geometry), kept_rank, reduced_rank, 1e-8, 0, output_address, output_length)
    };
    // Lengths whose byte size overflows.
    assert_eq!(call(usize::MAX / 4 + 1, 1, 1, 2), AbiError::BadLength.code());
    assert_eq!(call(8, 1, 1, usize::MAX / 4 + 1), AbiError::BadLength.code());
    // 3 · (kept + reduced) overflows in either term.
    assert_eq!(call(8, 1, usize::MAX / 3, 2), AbiError::BadLength.code());
    assert_eq!(call(8, usize::MAX / 3 + 1, 0, 2), AbiError::BadLength.code());
    // Ranks that do not overflow but describe more geometry words than exist in memory
    // natively are refused by the kernel's rank limit, not read.
    let deep = vec![1u32; 3 * 40];
    let deep_call = ck_cosine_f32(address(&first), 8, address(&first), 8, address(&deep), 20, 20, 1e-8, 0, output_address, 2);
    assert_eq!(deep_call, KernelError::RankTooLarge.code());
    // An output of the wrong length.
    assert_eq!(call(8, 1, 1, 3), KernelError::OutputLength.code());
    assert_eq!(call(8, 1, 1, 1), KernelError::OutputLength.code());
    assert_eq!(output, [5.0; 2], "nothing written on failure");
}

#[test]
fn geometry_whose_offsets_overflow_is_refused() {
    let first = [1.0f32; 8];
    let mut output = [5.0f32; 1];
    let output_address = output.as_mut_ptr() as usize;
    // Sixteen kept axes of extent u32::MAX: the position count overflows usize.
    let mut huge = Vec::new();
    huge.extend([u32::MAX; 16]);
    huge.extend([1u32; 32]);
    huge.extend([4u32, 1, 1]);
    let status = ck_cosine_f32(address(&first), 8, address(&first), 8, address(&huge), 16, 1, 1e-8, 0, output_address, 1);
    assert_eq!(status, KernelError::OutOfBounds.code());
    // One kept axis of extent 2 with a stride of u32::MAX: its last offset is past the end.
    let strided = [2u32, u32::MAX, 1, 4, 1, 1];
    let status = ck_cosine_f32(address(&first), 8, address(&first), 8, address(&strided), 1, 1, 1e-8, 0, output_address, 2);
    assert_eq!(status, KernelError::OutOfBounds.code());
    assert_eq!(output, [5.0], "nothing written on failure");
}

#[test]
fn normalize_layout_overflow_in_any_factor_is_refused() {
    let mut data = vec![1.0f32; 8];
    let base = data.as_mut_ptr() as usize;
    for (outer, reduced, inner) in [(usize::MAX, 2, 1), (1, usize::MAX, 2), (2, 1, usize::MAX), (usize::MAX / 4 + 1, 1, 1)] {
        assert_eq!(ck_normalize_f32(base, base, outer, reduced, inner, 2, 1e-12), AbiError::BadLength.code(), "{outer}·{reduced}·{inner}");
    }
    assert_eq!(data, [1.0; 8]);
}

/// The pairwise, top-k, mean and loss exports compute every element count with checked
/// arithmetic: sizes whose product (or byte size) overflows are refused with BadLength
/// before any region exists, and nothing is written.
#[test]
fn row_exports_refuse_sizes_that_overflow() {
    let input = [1.0f32; 16];
    let mut output = vec![7.0f32; 16];
    let mut wide = vec![7.0f64; 8];
    let (read, write, write_wide) = (address(&input), output.as_mut_ptr() as usize, wide.as_mut_ptr() as usize);
    let huge = usize::MAX / 2 + 1;
    let bad = AbiError::BadLength.code();
    // batch · rows · depth overflows, in each factor and in the output count.
    assert_eq!(ck_pairwise_cosine_f32(read, read, huge, 4, 4, 4, 1e-8, 1.0, write, write, 0), bad);
    assert_eq!(ck_pairwise_cosine_f32(read, read, 1, huge, 1, 4, 1e-8, 1.0, write, write, 0), bad);
    assert_eq!(ck_pairwise_cosine_f32(read, read, 1, 1, 1, huge, 1e-8, 1.0, write, write, 0), bad);
    assert_eq!(ck_pairwise_cosine_f32(read, read, 2, 4, usize::MAX / 4, 0, 1e-8, 1.0, write, write, 0), bad);
    assert_eq!(ck_pairwise_scratch_floats(huge, huge, huge), 0);
    // self rows: rows · depth, row_count · rows.
    assert_eq!(ck_pairwise_self_rows_f32(read, huge, 4, 0, 1, 1e-8, 1.0, write, write, 0), bad);
    assert_eq!(ck_pairwise_self_rows_f32(read, 4, huge, 0, 1, 1e-8, 1.0, write, write, 0), bad);
    assert_eq!(ck_pairwise_self_rows_f32(read, huge, 0, 0, 4, 1e-8, 1.0, write, write, 0), bad);
    assert_eq!(ck_pairwise_self_rows_scratch_floats(huge, huge, 0, huge), 0);
    // mean: rows · depth, and the 2·depth f64 sums.
    assert_eq!(ck_mean_cosine_f32(read, huge, 0, 0, 4, 1e-8, write_wide, write_wide + 8 * 4), bad);
    assert_eq!(ck_mean_cosine_f32(read, 0, 0, 0, huge, 1e-8, write_wide, write_wide + 8 * 4), bad);
    // top-k: queries · depth, corpus · depth, queries · k.
    assert_eq!(ck_topk_cosine_f32(read, huge, read, 4, 4, 1, 1e-8, 0, 0, 0, write, write, write, 0), bad);
    assert_eq!(ck_topk_cosine_f32(read, 4, read, huge, 4, 1, 1e-8, 0, 0, 0, write, write, write, 0), bad);
    assert_eq!(ck_topk_cosine_f32(read, 4, read, 4, 4, huge, 1e-8, 0, 0, 0, write, write, write, 0), bad);
    assert_eq!(ck_topk_scratch_floats(huge, huge), 0);
    // top-k merge: lists · queries · list_length, queries · k.
    assert_eq!(ck_topk_merge_f32(read, read, huge, 4, 1, read, 1, 0, write, write), bad);
    assert_eq!(ck_topk_merge_f32(read, read, 2, huge, 4, read, 1, 0, write, write), bad);
    assert_eq!(ck_topk_merge_f32(read, read, 1, 2, usize::MAX / 2, read, 1, 0, write, write), bad);
    assert_eq!(ck_topk_merge_f32(read, read, 1, 4, 1, read, huge, 0, write, write), bad);
    assert_eq!(ck_topk_merge_f32(read, read, 1, 1, 1, read, usize::MAX / 4 + 1, 0, write, write), bad);
    // losses: rows · depth, rows f64 losses, 3·rows f64 scratch.
    assert_eq!(ck_infonce_f32(read, huge, 4, 0.07, 0, 1.0, write_wide, 0, write, 0), bad);
    assert_eq!(ck_infonce_f32(read, 0, 0, 0.07, 0, 1.0, write_wide, 0, write, usize::MAX / 4 + 1), bad);
    assert_eq!(ck_clip_f32(read, read, huge, 4, 14.3, 0, 0, write, 0, write_wide, write_wide), bad);
    assert_eq!(ck_clip_f32(read, read, usize::MAX / 3 + 1, 0, 14.3, 0, 0, write, 0, write_wide, write_wide), bad);
    assert_eq!(ck_cosine_embedding_f32(read, read, huge, 4, read, 0.0, write_wide), bad);
    assert_eq!(ck_cosine_embedding_f32(read, read, usize::MAX / 4 + 1, 0, read, 0.0, write_wide), bad);
    assert!(output.iter().all(|&value| value == 7.0), "nothing written on failure");
    assert!(wide.iter().all(|&value| value == 7.0), "nothing written on failure");
}

/// Every `unsafe { … }` block and `unsafe impl` in the workspace's crates is preceded by a
/// `// SAFETY:` comment (STYLE.md rule 5), found by walking back over the comment lines
/// above the statement that contains it.
#[test]
fn every_unsafe_block_has_a_safety_comment() {
    use std::path::{Path, PathBuf};
    use std::string::String;
    fn rust_files(directory: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                found.push(path);
            }
        }
    }
    /// Whether a line of code (comments and string literals removed) opens an unsafe block
    /// or an unsafe impl.
    fn opens_unsafe(line: &str) -> bool {
        let mut code = String::new();
        let mut in_string = false;
        let mut escaped = false;
        let mut previous = ' ';
        for character in line.chars() {
            if in_string {
                in_string = escaped || character != '"';
                escaped = !escaped && character == '\\';
            } else if character == '"' {
                in_string = true;
            } else if character == '/' && previous == '/' {
                code.pop();
                break;
            } else {
                code.push(character);
            }
            previous = character;
        }
        let mut rest = code.as_str();
        while let Some(at) = rest.find("unsafe") {
            let before = rest[..at].chars().next_back();
            let after = rest[at + "unsafe".len()..].trim_start();
            let starts_word = before.is_none_or(|character| !(character.is_alphanumeric() || character == '_'));
            if starts_word && (after.starts_with('{') || after.starts_with("impl")) {
                return true;
            }
            rest = &rest[at + "unsafe".len()..];
        }
        false
    }
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    let mut missing = Vec::new();
    let mut blocks = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            if !opens_unsafe(line) {
                continue;
            }
            blocks += 1;
            let mut documented = line.contains("SAFETY:");
            let mut above = index;
            while above > 0 && !documented {
                above -= 1;
                let previous = lines[above].trim();
                if previous.starts_with("//") {
                    documented = previous.contains("SAFETY:");
                } else if previous.ends_with('=') || previous.ends_with('(') || previous.ends_with(',') {
                    continue; // the same statement, split over lines
                } else {
                    break;
                }
            }
            if !documented {
                missing.push(String::from(file.to_string_lossy()) + ":" + &std::format!("{}", index + 1));
            }
        }
    }
    assert!(blocks > 20, "found only {blocks} unsafe blocks: is the scan looking at the right files?");
    assert!(missing.is_empty(), "unsafe without a // SAFETY: comment at {missing:?}");
}

#[test]
fn clip_with_only_one_gradient_pointer_is_rejected() {
    let (rows, depth) = (2usize, 3usize);
    let image = [1.0f32, 0.0, 0.0, 0.0, 1.0, 0.0];
    let text = [0.5f32, 0.5, 0.0, 0.0, 1.0, 1.0];
    let mut gradient = vec![0.0f32; rows * depth];
    let mut scratch = vec![0.0f32; ck_clip_scratch_floats(rows, depth)];
    let mut wide = vec![0.0f64; 3 * rows];
    let mut results = [7.0f64; 2];
    let call = |image_gradient: usize, text_gradient: usize, scratch: &mut [f32], wide: &mut [f64], results: &mut [f64; 2]| {
        ck_clip_f32(
            address(&image),
            address(&text),
            rows,
            depth,
            10.0,
            image_gradient,
            text_gradient,
            scratch.as_mut_ptr() as usize,
            scratch.len(),
            wide.as_mut_ptr() as usize,
            results.as_mut_ptr() as usize,
        )
    };
    let gradient_address = gradient.as_mut_ptr() as usize;
    assert_eq!(call(gradient_address, 0, &mut scratch, &mut wide, &mut results), AbiError::BadPointer.code());
    assert_eq!(call(0, gradient_address, &mut scratch, &mut wide, &mut results), AbiError::BadPointer.code());
    assert_eq!(results, [7.0; 2], "nothing written");
    assert_eq!(call(0, 0, &mut scratch, &mut wide, &mut results), 0);
    assert!(results[0].is_finite() && results[0] > 0.0);
}

/// SupCon through the ABI: the core's loss and gradient; sizes that overflow, overlapping
/// outputs and all-distinct labels are refused with nothing written.
#[test]
fn supcon_through_the_abi_matches_the_kernel_and_refuses_bad_calls() {
    use crate::losses::{ck_supcon_f32, ck_supcon_scratch_floats};
    let (rows, depth) = (5usize, 3usize);
    let features: Vec<f32> = (0..rows * depth).map(|index| ((index * 7 % 11) as f32 - 5.0) * 0.25).collect();
    let labels = [4i32, -2, 4, -2, 9];
    let mut gradient = vec![7.0f32; rows * depth];
    let mut scratch = vec![0.0f32; ck_supcon_scratch_floats(rows, depth)];
    let mut wide = vec![0.0f64; 3 * rows];
    let mut results = [7.0f64; 1];
    let (scratch_address, wide_address, results_address) = (scratch.as_mut_ptr() as usize, wide.as_mut_ptr() as usize, results.as_mut_ptr() as usize);
    let call = |rows: usize, labels: usize, gradient: usize, scratch_floats: usize, wide: usize, results: usize| {
        ck_supcon_f32(address(&features), rows, depth, labels, 0.1, 0.07, gradient, scratch_address, scratch_floats, wide, results)
    };
    let gradient_address = gradient.as_mut_ptr() as usize;
    let huge = usize::MAX / 2 + 1;
    assert_eq!(call(huge, address(&labels), 0, scratch.len(), wide_address, results_address), AbiError::BadLength.code());
    assert_eq!(call(usize::MAX / 3 + 1, address(&labels), 0, 0, wide_address, results_address), AbiError::BadLength.code());
    assert_eq!(call(rows, address(&labels), address(&features), scratch.len(), wide_address, results_address), AbiError::Overlap.code());
    assert_eq!(call(rows, address(&labels), gradient_address, scratch.len(), wide_address, wide_address), AbiError::Overlap.code());
    assert_eq!(call(rows, address(&labels) + 2, 0, scratch.len(), wide_address, results_address), AbiError::BadPointer.code());
    let distinct = [1i32, 2, 3, 4, 5];
    assert_eq!(call(rows, address(&distinct), gradient_address, scratch.len(), wide_address, results_address), KernelError::InvalidArgument.code());
    assert_eq!(results, [7.0], "nothing written");
    assert!(gradient.iter().all(|&value| value == 7.0), "nothing written");
    assert_eq!(call(rows, address(&labels), gradient_address, scratch.len(), wide_address, results_address), 0);
    let mut expected_gradient = vec![0.0f32; rows * depth];
    let mut kernel_scratch = vec![0.0f32; scratch.len()];
    let mut kernel_wide = vec![0.0f64; 3 * rows];
    let expected = cosinekit_core::loss::supcon_f32(&features, rows, depth, &labels, 0.1, 0.07, Some(&mut expected_gradient), &mut kernel_scratch, &mut kernel_wide).unwrap();
    assert_eq!(results[0].to_bits(), expected.to_bits());
    assert_eq!(gradient, expected_gradient);
    assert!(expected.is_finite() && expected > 0.0);
}

#[test]
fn abi_version_and_constants_come_from_the_kernels() {
    assert_eq!(ck_abi_version(), 5);
    assert_eq!(ck_query_block(), 512);
    assert_eq!(ck_corpus_tile(), 256);
    assert_eq!((ck_tile_rows(), ck_tile_columns()), (4, 8));
    assert_eq!(ck_max_rank(), 16);
    assert_eq!((ck_flag_clamp(), ck_flag_distance()), (1, 2));
    // The values above are today's; these tie them to their definitions.
    assert_eq!(ck_query_block() as usize, cosinekit_core::topk::QUERY_BLOCK);
    assert_eq!(ck_corpus_tile() as usize, cosinekit_core::topk::CORPUS_TILE);
    assert_eq!(ck_max_rank() as usize, MAX_RANK);
}

#[test]
fn status_text_copies_the_wording_and_returns_its_full_length() {
    let expected = [
        (1, "an index past the end of an operand"),
        (2, "an output of the wrong length"),
        (3, "too many dimensions"),
        (4, "an invalid argument"),
        (5, "a malformed geometry"),
        (6, "a NaN or infinite value where only finite values are allowed"),
        (7, "a cached row norm that no longer matches its row"),
        (16, "a bad pointer"),
        (17, "a length overflowing memory"),
        (18, "an output overlapping an input"),
    ];
    for (code, text) in expected {
        let mut buffer = [0xAAu8; 64];
        let length = ck_status_text(code, buffer.as_mut_ptr() as usize, buffer.len());
        assert_eq!(length, text.len(), "code {code}");
        assert_eq!(&buffer[..length], text.as_bytes(), "code {code}");
        assert!(buffer[length..].iter().all(|&byte| byte == 0xAA), "code {code}: nothing past the text");
        // Sizing call: capacity 0 with any pointer, nothing copied.
        assert_eq!(ck_status_text(code, 0, 0), text.len());
        // A short buffer gets the first bytes; the result says how long the text is.
        let mut short = [0xAAu8; 6];
        assert_eq!(ck_status_text(code, short.as_mut_ptr() as usize, 5), text.len());
        assert_eq!(&short[..5], &text.as_bytes()[..5]);
        assert_eq!(short[5], 0xAA);
    }
    for code in KernelError::ALL.map(KernelError::code).into_iter().chain(AbiError::ALL.map(AbiError::code)) {
        assert!(expected.iter().any(|&(listed, _)| listed == code), "code {code} has no expected text here");
    }
    let mut buffer = [0xAAu8; 8];
    for unknown in [0, 8, 15, 19, -1, i32::MIN, i32::MAX] {
        assert_eq!(ck_status_text(unknown, buffer.as_mut_ptr() as usize, buffer.len()), 0, "code {unknown}");
    }
    // A bad output region (null with capacity, a byte length that overflows): nothing copied.
    assert_eq!(ck_status_text(1, 0, 8), 0);
    assert_eq!(ck_status_text(1, usize::MAX - 3, 8), 0);
    assert_eq!(buffer, [0xAA; 8]);
}

#[test]
fn cosine_pair_matches_the_row_export_and_is_nan_on_bad_regions() {
    let first = [1.0f32, 2.0, -3.0, 0.5, 4.0, 0.0, 1e-3];
    let second = [0.5f32, -1.0, 2.0, 3.0, 1.0, 7.0, -2.0];
    for length in 0..=first.len() {
        let geometry = row_geometry(1, length as u32);
        let mut row = [9.0f32];
        assert_eq!(ck_cosine_f32(address(&first), length, address(&second), length, address(&geometry), 1, 1, 1e-8, 0, row.as_mut_ptr() as usize, 1), 0);
        let pair = ck_cosine_pair_f32(address(&first), address(&second), length, 1e-8);
        assert_eq!(pair.to_bits(), row[0].to_bits(), "length {length}");
    }
    let expected = {
        let dot: f64 = first.iter().zip(&second).map(|(&left, &right)| f64::from(left) * f64::from(right)).sum();
        let norm = |values: &[f32]| values.iter().map(|&value| f64::from(value) * f64::from(value)).sum::<f64>().sqrt();
        dot / (norm(&first) * norm(&second))
    };
    assert!((f64::from(ck_cosine_pair_f32(address(&first), address(&second), 7, 1e-8)) - expected).abs() < 1e-6);
    // The same memory on both sides.
    assert!((ck_cosine_pair_f32(address(&first), address(&first), 7, 1e-8) - 1.0).abs() < 1e-6);
    // Empty pairs need no memory and give 0.
    assert_eq!(ck_cosine_pair_f32(0, 0, 0, 0.0).to_bits(), 0.0f32.to_bits());
    // Null, misaligned, overflowing: NaN.
    assert!(ck_cosine_pair_f32(0, address(&second), 7, 1e-8).is_nan());
    assert!(ck_cosine_pair_f32(address(&first), 0, 7, 1e-8).is_nan());
    assert!(ck_cosine_pair_f32(address(&first) + 2, address(&second), 6, 1e-8).is_nan());
    assert!(ck_cosine_pair_f32(address(&first), address(&second), usize::MAX / 2, 1e-8).is_nan());
    assert!(ck_cosine_pair_f32(usize::MAX - 3, address(&second), 2, 1e-8).is_nan());
}

#[test]
fn cosine_pair_by_value_is_the_pair_in_memory_bit_for_bit() {
    let first = [1.0f32, 2.0, -3.0, 0.5, 4.0, 0.0, 1e-3, -7.25];
    let second = [0.5f32, -1.0, 2.0, 3.0, 1.0, 7.0, -2.0, 1e-20];
    let by_value = |length: usize, eps: f32| {
        let [a0, a1, a2, a3, a4, a5, a6, a7] = first;
        let [b0, b1, b2, b3, b4, b5, b6, b7] = second;
        ck_cosine_pair_values_f32(length, a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7, eps)
    };
    for length in 0..=8 {
        for eps in [1e-8f32, 0.0, 2.0] {
            let in_memory = if length == 0 { ck_cosine_pair_f32(0, 0, 0, eps) } else { ck_cosine_pair_f32(address(&first), address(&second), length, eps) };
            assert_eq!(by_value(length, eps).to_bits(), in_memory.to_bits(), "length {length}, eps {eps}");
        }
    }
    // The values past `length` are not read: NaN there changes nothing.
    let nan = f32::NAN;
    let short = ck_cosine_pair_values_f32(3, 1.0, 2.0, 3.0, nan, nan, nan, nan, nan, 3.0, 2.0, 1.0, nan, nan, nan, nan, nan, 1e-8);
    assert_eq!(short.to_bits(), ck_cosine_pair_f32(address(&[1.0f32, 2.0, 3.0]), address(&[3.0f32, 2.0, 1.0]), 3, 1e-8).to_bits());
    assert!((f64::from(short) - 10.0 / 14.0).abs() < 1e-7);
    assert!(by_value(9, 1e-8).is_nan());
    assert!(by_value(usize::MAX, 1e-8).is_nan());
}

/// Rows for the top-k exports: row 2 repeats row 0 (a tie), row 4 is zero.
fn topk_rows() -> Vec<f32> {
    vec![1.0, 0.0, 0.5, 0.0, 1.0, 0.25, 1.0, 0.0, 0.5, -1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.3, 0.3, 0.3]
}

/// `ck_topk_cosine_f32` on `rows[query_start..query_end]` against `rows[corpus_start..corpus_end]`.
fn topk_through_the_abi(rows: &[f32], queries: (usize, usize), corpus: (usize, usize), k: usize, exclude: Option<i32>) -> (i32, Vec<i32>, Vec<f32>) {
    topk_on_path_through_the_abi(rows, queries, corpus, k, exclude, 0)
}

/// [`topk_through_the_abi`] with a path code.
fn topk_on_path_through_the_abi(rows: &[f32], queries: (usize, usize), corpus: (usize, usize), k: usize, exclude: Option<i32>, path: u32) -> (i32, Vec<i32>, Vec<f32>) {
    let depth = 3;
    let query_rows = queries.1 - queries.0;
    let mut scratch = vec![0.0f32; ck_topk_scratch_floats(query_rows, depth)];
    let mut indices = vec![-7i32; query_rows * k];
    let mut scores = vec![-7.0f32; query_rows * k];
    let status = ck_topk_cosine_f32(
        address(&rows[queries.0 * depth..]),
        query_rows,
        address(&rows[corpus.0 * depth..]),
        corpus.1 - corpus.0,
        depth,
        k,
        1e-8,
        u32::from(exclude.is_some()),
        exclude.unwrap_or(12345),
        path,
        indices.as_mut_ptr() as usize,
        scores.as_mut_ptr() as usize,
        scratch.as_mut_ptr() as usize,
        scratch.len(),
    );
    (status, indices, scores)
}

#[test]
fn topk_self_offset_and_merge_through_the_abi() {
    let rows = topk_rows();
    // Whole call: six queries, six rows, exclude self; the offset is ignored without exclusion.
    let (status, whole_indices, whole_scores) = topk_through_the_abi(&rows, (0, 6), (0, 6), 2, Some(0));
    assert_eq!(status, 0);
    assert_eq!(&whole_indices[..2], &[2, 5], "row 0 skips itself; its twin (row 2) comes first");
    assert!(whole_indices.chunks(2).enumerate().all(|(row, pair)| !pair.contains(&(row as i32))));
    let (status, plain, _) = topk_through_the_abi(&rows, (0, 6), (0, 6), 2, None);
    assert_eq!(status, 0);
    assert_eq!(&plain[..2], &[0, 2], "without exclusion row 0 finds itself first (tie by index)");
    // Corpus slices [0, 3) and [3, 6), every query against each, offsets keep the global rule.
    let (status_low, low_indices, low_scores) = topk_through_the_abi(&rows, (0, 6), (0, 3), 2, Some(0));
    let (status_high, high_indices, high_scores) = topk_through_the_abi(&rows, (0, 6), (3, 6), 2, Some(-3));
    assert_eq!((status_low, status_high), (0, 0));
    let list_indices = [low_indices, high_indices].concat();
    let list_scores = [low_scores, high_scores].concat();
    let offsets = [0i32, 3];
    let mut merged_indices = vec![0i32; 12];
    let mut merged_scores = vec![0.0f32; 12];
    let merge = |merged_indices: &mut [i32], merged_scores: &mut [f32], k: usize| {
        ck_topk_merge_f32(address(&list_indices), address(&list_scores), 2, 6, 2, address(&offsets), k, 0, merged_indices.as_mut_ptr() as usize, merged_scores.as_mut_ptr() as usize)
    };
    assert_eq!(merge(&mut merged_indices, &mut merged_scores, 2), 0);
    assert_eq!(merged_indices, whole_indices);
    assert_eq!(merged_scores.iter().map(|score| score.to_bits()).collect::<Vec<_>>(), whole_scores.iter().map(|score| score.to_bits()).collect::<Vec<_>>());
    // k beyond the candidates: refused by the kernel.
    let mut wide = vec![0i32; 30];
    let mut wide_scores = vec![0.0f32; 30];
    assert_eq!(merge(&mut wide, &mut wide_scores, 5), KernelError::InvalidArgument.code());
    // Outputs overlapping an input, or each other.
    let mut buffer = vec![0i32; 40];
    let base = buffer.as_mut_ptr() as usize;
    let status = ck_topk_merge_f32(base, address(&list_scores), 2, 6, 2, address(&offsets), 2, 0, base + 8, address(&merged_scores) + 64);
    assert_eq!(status, AbiError::Overlap.code());
    let status = ck_topk_merge_f32(address(&list_indices), address(&list_scores), 2, 6, 2, address(&offsets), 2, 0, base, base + 4 * 4);
    assert_eq!(status, AbiError::Overlap.code());
    assert!(buffer.iter().all(|&value| value == 0), "nothing written on failure");
    // Null offsets with lists > 0.
    assert_eq!(ck_topk_merge_f32(address(&list_indices), address(&list_scores), 2, 6, 2, 0, 2, 0, base, base + 80), AbiError::BadPointer.code());
}

#[test]
fn topk_exclude_self_allows_more_queries_than_corpus_rows() {
    let rows = topk_rows();
    // Six queries against rows 3..6: query q skips corpus row q − 3.
    let (status, indices, _) = topk_through_the_abi(&rows, (0, 6), (3, 6), 2, Some(-3));
    assert_eq!(status, 0);
    for query in 3..6 {
        assert!(!indices[query * 2..query * 2 + 2].contains(&(query as i32 - 3)), "query {query}: {indices:?}");
    }
    // k = N with exclusion is refused whatever the offset; without exclusion it is fine.
    assert_eq!(topk_through_the_abi(&rows, (0, 6), (3, 6), 3, Some(100)).0, KernelError::InvalidArgument.code());
    assert_eq!(topk_through_the_abi(&rows, (0, 6), (3, 6), 3, None).0, 0);
}

#[test]
fn regions_below_the_heap_base_are_refused() {
    // The wasm32 rule, with a heap base of 1024 and 64 KiB of memory.
    let within = |address: usize, count: usize| Region::checked_within(address, count, 4, 1024, 65536);
    assert_eq!(within(1020, 1), Err(AbiError::BadPointer), "last word below the base");
    assert_eq!(within(16, 4), Err(AbiError::BadPointer), "static data / stack");
    assert_eq!(within(1016, 4), Err(AbiError::BadPointer), "straddling the base");
    assert!(within(1024, 1).is_ok(), "first word of the heap");
    assert!(within(65532, 1).is_ok(), "last word of memory");
    assert_eq!(within(65532, 2), Err(AbiError::BadPointer), "past the end");
    // Empty regions keep any pointer, below the base included (nothing is accessed).
    assert!(within(16, 0).is_ok());
    assert!(within(0, 0).is_ok());
    assert!(within(3, 0).is_ok());
    // Natively there is no heap base: host pointers anywhere are accepted (as above).
    let host = [1.0f32; 2];
    assert!(Region::of_f32(address(&host), 2).is_ok());
}

#[test]
fn contiguous_rows_through_the_abi_match_the_geometry_walk() {
    let first = [1.0f32, 0.0, 0.0, 3.0, 4.0, 0.0];
    let second = [1.0f32, 0.0, 0.0, 0.0, 4.0, 3.0];
    let geometry = row_geometry(2, 3);
    let mut walked = [0.0f32; 2];
    let mut direct = [0.0f32; 2];
    for flags in [0, FLAG_CLAMP, FLAG_DISTANCE] {
        assert_eq!(ck_cosine_f32(address(&first), 6, address(&second), 6, address(&geometry), 1, 1, 1e-8, flags, walked.as_mut_ptr() as usize, 2), 0);
        assert_eq!(ck_cosine_rows_f32(address(&first), address(&second), 2, 3, 1e-8, flags, direct.as_mut_ptr() as usize), 0);
        assert_eq!(direct.map(f32::to_bits), walked.map(f32::to_bits));
    }
    // Lengths that overflow, null pointers and an output over an input are refused.
    assert_eq!(ck_cosine_rows_f32(address(&first), address(&second), usize::MAX, 3, 1e-8, 0, direct.as_mut_ptr() as usize), AbiError::BadLength.code());
    assert_eq!(ck_cosine_rows_f32(0, address(&second), 2, 3, 1e-8, 0, direct.as_mut_ptr() as usize), AbiError::BadPointer.code());
    assert_eq!(ck_cosine_rows_f32(address(&first), address(&second), 2, 3, 1e-8, 0, address(&first)), AbiError::Overlap.code());
}

#[test]
fn topk_path_is_chosen_by_the_caller_and_reported_for_auto() {
    for query_rows in [0, 1, 2, 3, 4, 5, 512, usize::MAX] {
        assert_eq!(ck_topk_path(query_rows), TopKPath::Auto.resolve(query_rows) as u32);
    }
    assert_eq!([ck_topk_path(1), ck_topk_path(3), ck_topk_path(4), ck_topk_path(5)], [2, 2, 2, 1]);
    let rows = topk_rows();
    // An unknown path code is refused before anything is written.
    let (status, indices, scores) = topk_on_path_through_the_abi(&rows, (0, 6), (0, 6), 2, None, 3);
    assert_eq!(status, KernelError::InvalidArgument.code());
    assert!(indices.iter().all(|&index| index == -7) && scores.iter().all(|&score| score == -7.0));
    // Six queries take the packed path; chunks of 4 and 2 (a 2-query tail, which alone
    // would stream) on that path, self offsets moved by their starts, give the same bits.
    let path = ck_topk_path(6);
    let (status, whole_indices, whole_scores) = topk_on_path_through_the_abi(&rows, (0, 6), (0, 6), 2, Some(0), 0);
    assert_eq!(status, 0);
    let (status_head, head_indices, head_scores) = topk_on_path_through_the_abi(&rows, (0, 4), (0, 6), 2, Some(0), path);
    let (status_tail, tail_indices, tail_scores) = topk_on_path_through_the_abi(&rows, (4, 6), (0, 6), 2, Some(4), path);
    assert_eq!((status_head, status_tail), (0, 0));
    assert_eq!([head_indices, tail_indices].concat(), whole_indices);
    let bits = |scores: &[f32]| scores.iter().map(|score| score.to_bits()).collect::<Vec<u32>>();
    assert_eq!(bits(&[head_scores, tail_scores].concat()), bits(&whole_scores));
    // Forcing either path works for any query count, within ck_topk_scratch_floats.
    for path in [1, 2] {
        for queries in [(0, 1), (0, 3), (0, 6)] {
            assert_eq!(topk_on_path_through_the_abi(&rows, queries, (0, 6), 2, Some(0), path).0, 0, "path {path} queries {queries:?}");
        }
    }
}

/// Rows for the self-rows exports: 9 rows of 5, fixed values with no special structure.
fn self_rows_input() -> Vec<f32> {
    (0..45).map(|index| ((index * 37 + 11) % 17) as f32 / 8.0 - 1.0).collect()
}

#[test]
fn pairwise_self_rows_through_the_abi_match_the_symmetric_export() {
    let (rows, depth, scale) = (9, 5, 1.0f32 / 0.07);
    let a = self_rows_input();
    let mut whole = vec![0.0f32; rows * rows];
    let mut scratch = vec![0.0f32; ck_pairwise_scratch_floats(rows, rows, depth)];
    let status = ck_pairwise_cosine_f32(address(&a), address(&a), 1, rows, rows, depth, 1e-8, scale, whole.as_mut_ptr() as usize, scratch.as_mut_ptr() as usize, scratch.len());
    assert_eq!(status, 0);
    let mut chunks = Vec::new();
    for (start, end) in [(0, 4), (4, 7), (7, 8), (8, 9)] {
        let count = end - start;
        let mut out = vec![7.0f32; count * rows];
        let mut scratch = vec![0.0f32; ck_pairwise_self_rows_scratch_floats(rows, depth, start, count)];
        let status = ck_pairwise_self_rows_f32(address(&a), rows, depth, start, count, 1e-8, scale, out.as_mut_ptr() as usize, scratch.as_mut_ptr() as usize, scratch.len());
        assert_eq!(status, 0, "rows {start}..{end}");
        chunks.extend(out);
    }
    assert_eq!(chunks.iter().map(|value| value.to_bits()).collect::<Vec<u32>>(), whole.iter().map(|value| value.to_bits()).collect::<Vec<u32>>());
    // The scratch size is the kernel's, 0 for rows outside the matrix.
    assert_eq!(ck_pairwise_self_rows_scratch_floats(rows, depth, 4, 3), pairwise_self_rows_scratch_len(rows, depth, 4, 3).unwrap());
    assert_eq!(ck_pairwise_self_rows_scratch_floats(rows, depth, 8, 2), 0);
}

#[test]
fn pairwise_self_rows_refuses_bad_rows_scratch_and_overlap() {
    let (rows, depth) = (9, 5);
    let a = self_rows_input();
    let mut out = vec![7.0f32; 2 * rows];
    let scratch_floats = ck_pairwise_self_rows_scratch_floats(rows, depth, 7, 2);
    let mut scratch = vec![0.0f32; scratch_floats + rows];
    let (out_address, scratch_address) = (out.as_mut_ptr() as usize, scratch.as_mut_ptr() as usize);
    let call = |a_pointer: usize, start: usize, out_pointer: usize, scratch_pointer: usize, floats: usize| {
        ck_pairwise_self_rows_f32(a_pointer, rows, depth, start, 2, 1e-8, 2.0, out_pointer, scratch_pointer, floats)
    };
    let invalid = KernelError::InvalidArgument.code();
    assert_eq!(call(address(&a), 8, out_address, scratch_address, scratch_floats), invalid, "rows 8..10 of 9");
    assert_eq!(call(address(&a), 7, out_address, scratch_address, scratch_floats - 1), invalid, "scratch one float short");
    assert_eq!(call(0, 7, out_address, scratch_address, scratch_floats), AbiError::BadPointer.code());
    assert_eq!(call(address(&a), 7, address(&a) + 4, scratch_address, scratch_floats), AbiError::Overlap.code(), "out over a");
    assert_eq!(call(address(&a), 7, out_address, address(&a), scratch_floats), AbiError::Overlap.code(), "scratch over a");
    assert_eq!(call(address(&a), 7, scratch_address, scratch_address + 4 * rows, scratch_floats), AbiError::Overlap.code(), "scratch over out");
    assert!(out.iter().all(|&value| value == 7.0), "nothing written on failure");
    assert_eq!(call(address(&a), 7, out_address, scratch_address, scratch_floats), 0);
}
