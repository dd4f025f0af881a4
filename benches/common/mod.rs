//! Deterministic inputs shared by the criterion benches, from the crate's one
//! generator (`sigmoid_kernels::check::Rng`).
#![allow(dead_code)] // each bench uses a subset

use sigmoid_kernels::check::Rng;

/// `n` deterministic pseudo-random words.
pub fn words(n: usize) -> Vec<u32> {
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    (0..n).map(|_| r.next_u32()).collect()
}

/// `n` deterministic `f32` uniform in [−10, 10].
pub fn inputs(n: usize) -> Vec<f32> {
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    (0..n).map(|_| r.uniform(-10.0, 10.0)).collect()
}
