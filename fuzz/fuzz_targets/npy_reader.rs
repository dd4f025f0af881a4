//! Any bytes through the `.npy` reader: an error or a consistent array,
//! never a panic, a hang or an allocation the input did not pay for.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/cli/npy.rs"]
mod npy;

#[path = "../../tests/npy_check/mod.rs"]
mod npy_check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| npy_check::check(data));
