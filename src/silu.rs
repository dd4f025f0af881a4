//! SiLU (Swish, σ inside modern activations): silu(x) = x·σ(x), its fast
//! tier and its gradient, on the CPU backends with the same dispatch and
//! threads as σ. The bounds are written here, next to the kernels; the
//! algorithms are in `cpu/silu.rs`, the oracle in
//! [`reference::silu_f64`](crate::reference::silu_f64) and
//! [`reference::silu_backward_f64`](crate::reference::silu_backward_f64).

use crate::Backend;

/// Bound of [`silu`] and [`silu_inplace`] on every backend: max error in
/// ULPs ([`reference::ulp_error`](crate::reference::ulp_error)) against
/// x·σ(x), for every `f32`, subnormal results included. About 1.5 ULP by
/// construction (the quotient's half ULP and one more rounding); measured
/// over all 2^32 inputs (`tests/exhaustive.rs`): 1.484 ULP on avx512
/// (x = −31.883892; σ's table form since, `cpu/silu.rs`; 1.551 at
/// x = −1.9136589 with the polynomial form), 1.538 on avx2+fma, scalar
/// and portable SSE2.
pub const SILU_MAX_ULP: f64 = 2.0;
/// Bound of [`silu_fast`] and [`silu_fast_inplace`]: max relative error
/// where σ(x) ≥ 2^−126 (x ≥ −87.33) and the result is normal: σ's fast
/// tier ([`SIGMOID_FAST_MAX_REL`](crate::SIGMOID_FAST_MAX_REL)) and one more
/// rounding. A subnormal result (|x| < 2^−125, where x·σ(x) ≈ x/2) is
/// within one subnormal spacing (2^−149) instead. Below x = −87.33 the
/// result lies between x·σ(x)·(1 + this) and −0 (the fast σ may flush).
pub const SILU_FAST_MAX_REL: f64 = 1.001e-4;
/// Bound of [`silu_backward`] and [`silu_backward_inplace`], for every `f32`
/// x and finite dy: the absolute error is at most this many ULPs (`f32`) of
/// the larger of the two terms |dy·σ(x)| and |dy·x·σ(x)·σ(−x)|
/// ([`check::silu_backward_error`](crate::check::silu_backward_error)).
/// silu′ has a root at x ≈ −1.2785, where the terms cancel and no relative
/// bound holds; away from it the terms do not cancel much (x ≥ 0: they
/// add), so this is close to a bound in ULPs of the result there.
pub const SILU_BACKWARD_MAX_ULP: f64 = 2.0;

/// SiLU (Swish-1), exact tier: `y[i] = x[i]·σ(x[i])`, within
/// [`SILU_MAX_ULP`] (2 ULP) for every `f32`, subnormal results included
/// (nonzero down to x ≈ −108.7, where σ(x) itself is far below 2^−149).
///
/// Uses the fastest instruction set of the running CPU and all rayon
/// threads from [`parallel_threshold`](crate::parallel_threshold) elements
/// up, as [`sigmoid`](crate::sigmoid).
///
/// Special values: NaN → NaN, +∞ → +∞, −∞ → −0 (the limit, from below:
/// we choose it over the NaN of the plain product −∞·σ(−∞) = −∞·0 that
/// `x / (1 + exp(−x))` style code returns), ±0 → ±0; huge |x| never
/// overflows (x ≥ 110 gives x). Outputs lie in [−0.27847, +∞]; not
/// monotone (the minimum is at x ≈ −1.2785).
///
/// ```
/// let x = [0.0f32, 1.0, -1.0, 200.0, f32::NEG_INFINITY];
/// let mut y = [9.0f32; 5];
/// sigmoid_kernels::silu(&x, &mut y);
/// assert_eq!(y[0], 0.0);
/// assert!((y[1] - 0.731_058_6).abs() < 1e-7);
/// assert!((y[2] + 0.268_941_42).abs() < 1e-7);
/// assert_eq!(y[3], 200.0);
/// assert_eq!(y[4].to_bits(), (-0.0f32).to_bits());
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
pub fn silu(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).silu(x, y);
}

/// [`silu`] in place. Never panics.
pub fn silu_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).silu_inplace(x);
}

/// SiLU, fast tier: `y[i] ≈ x[i]·σ(x[i])` with σ's fast tier, relative
/// error ≤ [`SILU_FAST_MAX_REL`] where σ(x) ≥ 2^−126 (x ≥ −87.33) and the
/// result is normal (a subnormal one, |x| < 2^−125, within 2^−149); below
/// x = −87.33, results between x·σ(x)·(1 + that) and −0 (0 for
/// x ≤ −88.72284).
/// Special values as [`silu`].
///
/// ```
/// let x = [2.0f32];
/// let mut y = [0.0f32];
/// sigmoid_kernels::silu_fast(&x, &mut y);
/// assert!((y[0] - 1.761_594_2).abs() < 1.001e-4 * 1.77);
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
pub fn silu_fast(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).silu_fast(x, y);
}

/// [`silu_fast`] in place. Never panics.
pub fn silu_fast_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).silu_fast_inplace(x);
}

/// The gradient of SiLU from the forward input:
/// `dx[i] = dy[i]·σ(x)·(1 + x·(1 − σ(x)))` with x = `x[i]`, within
/// [`SILU_BACKWARD_MAX_ULP`] (2 ULP) of the larger of the two terms
/// |dy·σ(x)| and |dy·x·σ(x)·σ(−x)| for every `f32` x and finite dy.
/// 1 − σ(x) is σ(−x) built from e^−|x| (never 1 − y), so the gradient keeps
/// its true, tiny value for large |x| instead of rounding to 0.
///
/// Special values: NaN in x or dy → NaN; x = +∞ → dy; x = −∞ → dy·(−0)
/// (∓0; NaN for dy = ±∞); every finite x has a nonzero gradient, so
/// dy = ±∞ gives ±∞ there; ±0 → dy/2.
///
/// ```
/// let x = [0.0f32, 1.0];
/// let dy = [2.0f32, 1.0];
/// let mut dx = [0.0f32; 2];
/// sigmoid_kernels::silu_backward(&x, &dy, &mut dx);
/// assert_eq!(dx[0], 1.0);
/// assert!((dx[1] - 0.927_670_5).abs() < 1e-7); // σ(1)·(1 + σ(−1))
/// ```
///
/// # Panics
/// If the three lengths differ; the message names the lengths.
pub fn silu_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    Backend::for_len(x.len()).silu_backward(x, dy, dx);
}

/// [`silu_backward`] overwriting `dy` with `dx`.
///
/// # Panics
/// If `x.len() != dy.len()`; the message names both lengths.
pub fn silu_backward_inplace(x: &[f32], dy: &mut [f32]) {
    Backend::for_len(x.len()).silu_backward_inplace(x, dy);
}
