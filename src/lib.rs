//! Logistic Sigmoid σ(x) = 1/(1+e^−x) and its gradient over `f32` batches,
//! with a written, tested accuracy contract.
//!
//! ACCURACY_DOC
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

pub mod reference;

#[cfg(feature = "std")]
pub mod cpu;

#[cfg(feature = "gpu")]
pub mod gpu;

#[cfg(feature = "std")]
pub use cpu::{parallel_threshold, set_parallel_threshold, Backend};

/// Exact tier: `y[i] = σ(x[i])` with at most 1 ULP error for every `f32`.
///
/// Uses the fastest instruction set of the running CPU (detected once) and
/// all rayon threads from [`parallel_threshold`] elements up (threads do not
/// pay below that: see the README's measurements).
///
/// Special values: NaN → NaN (payload kept, quieted), +∞ → 1, −∞ → +0,
/// ±0 → 0.5; every output is in [0, 1]; monotone non-decreasing in `x`.
/// Results below 2^−126 are subnormal, not flushed: σ(x) > 0 down to
/// x ≈ −103.97.
///
/// ```
/// let x = [-1.0f32, 0.0, 2.5, f32::NEG_INFINITY];
/// let mut y = [0.0f32; 4];
/// sigmoid_kernels::sigmoid(&x, &mut y);
/// assert_eq!(y[1], 0.5);
/// assert!((y[0] - 0.268_941_42).abs() < 1e-7);
/// assert_eq!(y[3], 0.0);
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn sigmoid(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).sigmoid(x, y);
}

/// [`sigmoid`] in place: `x[i] = σ(x[i])`. Never panics.
#[cfg(feature = "std")]
pub fn sigmoid_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).sigmoid_inplace(x);
}

/// Fast tier: `y[i] ≈ σ(x[i])` with relative error ≤ 1e−4 (measured: see the
/// crate docs) wherever σ(x) ≥ 2^−126; smaller results may be flushed
/// (σ(x) = 0 for x ≤ −88.73).
///
/// Same special values, [0, 1] range and monotonicity as [`sigmoid`].
///
/// ```
/// let x = [0.5f32; 3];
/// let mut y = [0.0f32; 3];
/// sigmoid_kernels::sigmoid_fast(&x, &mut y);
/// assert!((y[0] - 0.622_459_3).abs() < 1e-4 * 0.63);
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn sigmoid_fast(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).sigmoid_fast(x, y);
}

/// [`sigmoid_fast`] in place. Never panics.
#[cfg(feature = "std")]
pub fn sigmoid_fast_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).sigmoid_fast_inplace(x);
}

/// Backward: `dx[i] = dy[i]·y[i]·(1 − y[i])` from the saved forward output
/// `y`, as autograd does. Within 2 ULP (measured: see the crate docs) of the
/// `f64` value of the same product; NaN in `y` or `dy` gives NaN, and
/// `dy = ±∞` with `y ∈ {0, 1}` gives NaN (∞·0), as in `f64`.
///
/// ```
/// let y = [0.5f32, 1.0];
/// let dy = [2.0f32, 3.0];
/// let mut dx = [0.0f32; 2];
/// sigmoid_kernels::sigmoid_backward(&y, &dy, &mut dx);
/// assert_eq!(dx, [0.5, 0.0]);
/// ```
///
/// # Panics
/// If the three lengths differ; the message names the lengths.
#[cfg(feature = "std")]
pub fn sigmoid_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) {
    Backend::for_len(y.len()).sigmoid_backward(y, dy, dx);
}

/// [`sigmoid_backward`] overwriting `dy` with `dx`.
///
/// # Panics
/// If `y.len() != dy.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn sigmoid_backward_inplace(y: &[f32], dy: &mut [f32]) {
    Backend::for_len(y.len()).sigmoid_backward_inplace(y, dy);
}
