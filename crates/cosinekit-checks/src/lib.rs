//! # cosinekit-checks
//!
//! Exports of `cosinekit-core` internals that the JavaScript tests call in each real wasm
//! variant, where the lanes are the engine's (native `cargo test` runs the same algorithms
//! with portable lanes). Built by `scripts/build-wasm.sh` next to the production modules and
//! never part of the package: the production ABI (`cosinekit-wasm`) carries no test hooks.
//! No memory management: a test writes its values at [`ck_checks_buffer`], which has room for
//! [`ck_checks_buffer_len`] float64 values.

#![cfg_attr(target_arch = "wasm32", no_std)]
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

use cosinekit_core::math::{exp_f64, exp_f64_pair};

/// Float64 values the buffer holds.
const BUFFER_LEN: usize = 1 << 16;

/// The buffer tests fill; one wasm instance is one thread, so nothing else touches it.
static mut BUFFER: [f64; BUFFER_LEN] = [0.0; BUFFER_LEN];

/// Address of the buffer.
#[unsafe(no_mangle)]
pub extern "C" fn ck_checks_buffer() -> usize {
    core::ptr::addr_of_mut!(BUFFER) as usize
}

/// Float64 values the buffer holds.
#[unsafe(no_mangle)]
pub extern "C" fn ck_checks_buffer_len() -> usize {
    BUFFER_LEN
}

/// Overwrites the first `count` buffer values with eˣ: two at a time by the path the softmax
/// loops use (`paired` ≠ 0; an odd last value alone), or one at a time. Returns 0, or 1 when
/// `count` exceeds the buffer.
#[unsafe(no_mangle)]
pub extern "C" fn ck_checks_exp_f64(count: usize, paired: u32) -> i32 {
    if count > BUFFER_LEN {
        return 1;
    }
    // SAFETY: the static is only reached through this module's exports, and a wasm instance
    // runs one call at a time, so this is the only live reference to it.
    let values = unsafe { &mut *core::ptr::addr_of_mut!(BUFFER) };
    let values = &mut values[..count];
    if paired != 0 {
        let (pairs, tail) = values.as_chunks_mut::<2>();
        pairs.iter_mut().for_each(|pair| *pair = exp_f64_pair(*pair));
        tail.iter_mut().for_each(|value| *value = exp_f64(*value));
    } else {
        values.iter_mut().for_each(|value| *value = exp_f64(*value));
    }
    0
}

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_round_trips_through_both_paths() {
        let values = [0.0, 1.0, -1.0, 700.0, -745.0];
        // SAFETY: tests run this crate's exports one at a time in this thread.
        unsafe { (&mut *core::ptr::addr_of_mut!(BUFFER))[..values.len()].copy_from_slice(&values) };
        assert_eq!(ck_checks_exp_f64(values.len(), 1), 0);
        // SAFETY: as above.
        let got = unsafe { (&*core::ptr::addr_of!(BUFFER))[..values.len()].to_vec() };
        for (value, result) in values.iter().zip(got) {
            assert_eq!(result.to_bits(), exp_f64(*value).to_bits());
        }
        assert_eq!(ck_checks_exp_f64(BUFFER_LEN + 1, 0), 1);
    }
}
