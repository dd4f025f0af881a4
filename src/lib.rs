//! Logistic Sigmoid σ(x) = 1/(1+e^−x) and its gradient over `f32` batches,
//! with a written, tested accuracy contract.
//!
//! ```
//! let x = vec![-2.0f32, 0.0, 3.0];
//! let mut y = vec![0.0f32; 3];
//! sigmoid_kernels::sigmoid(&x, &mut y); // exact tier, ≤ 1 ULP
//! assert_eq!(y[1], 0.5);
//! ```
//!
//! # Kernels
//!
//! | function | formula | accuracy (contract) | measured over all 2^32 inputs |
//! |---|---|---|---|
//! | [`sigmoid`], [`sigmoid_inplace`] | 1/(1+e^−x) | ≤ [`SIGMOID_MAX_ULP`] = 1 ULP everywhere, subnormal results included | max 0.7555 ULP on avx512 (its table form, at x = −87.54476), 0.808 on avx2+fma (at x = −87.7457), 0.824 without FMA (scalar, portable SSE2, at x = −87.68728); 0 monotonicity violations |
//! | [`sigmoid_fast`], [`sigmoid_fast_inplace`] | 1/(1+2^(−x·log2 e)), polynomial 2^f | relative ≤ [`SIGMOID_FAST_MAX_REL`] = 1e−4 where σ(x) ≥ 2^−126; may flush below | max relative 8.94e−5 (at x = −86.95123) on scalar, portable, avx2+fma; 5.70e−5 on avx512 (at x = −76.918526; `vrcp14ps` alone, Intel Emerald Rapids); 0 monotonicity violations |
//! | [`sigmoid_cr`], [`sigmoid_cr_inplace`] | σ(x) rounded to the nearest `f32` (`f64` lanes, a rounding test, double-double for the undecided; on AVX-512 a first pass in `f32` pairs with its own test in front) | ≤ [`SIGMOID_CR_MAX_ULP`] = 0 ULP from the correctly rounded value, the same bits on every backend | 0 of 2^32 inputs not correctly rounded on scalar, portable, avx2+fma, avx512 and parallel; 0 monotonicity violations |
//! | [`sigmoid_f64`], [`sigmoid_f64_inplace`] | the stable formula in `f64`, element-wise | ≤ [`SIGMOID_F64_MAX_ULP`] (2.5) `f64` ULP | max 2.27 ULP over 2.7M inputs against a double-double reference |
//! | [`sigmoid_backward`], [`sigmoid_backward_inplace`] | dx = dy·y·(1−y) | ≤ [`SIGMOID_BACKWARD_MAX_ULP`] = 2 ULP of the `f64` value of the same product | ≤ 1.5 ULP by construction (y − y² rounded once, then the product); max 1.43 ULP over a 17M-pair sweep, 1.49 (avx512 1.488) over every y in [0, 1] with random dy |
//! | [`sigmoid_backward_from_input`], [`sigmoid_backward_from_input_inplace`] | dx = dy·σ(x)·σ(−x) | ≤ [`SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP`] = 2 ULP of the `f64` value, every `f32` x and finite dy | max 0.808 ULP over all 2^32 x with dy = 1 (avx512, at x = ±87.7457, subnormal), 0.824 (scalar); 1.46 ULP over 16.9M strided (x, dy) pairs, dy of every magnitude, every backend |
//! | [`softplus`], [`softplus_inplace`] | log(1 + e^x) | ≤ [`SOFTPLUS_MAX_ULP`] = 2 ULP everywhere, subnormal results included | max 0.808 ULP over all 2^32 inputs (avx512, at x = −87.7457, a subnormal result), 0.824 (scalar, at x = −87.68728) |
//! | [`log_sigmoid`], [`log_sigmoid_inplace`] | log σ(x) = −softplus(−x) | ≤ [`LOG_SIGMOID_MAX_ULP`] = 2 ULP everywhere, subnormal results included | max 0.808 ULP over all 2^32 inputs (avx512, at x = 87.7457, a subnormal result), 0.824 (scalar, at x = 87.68728) |
//! | [`softplus_fast`], [`softplus_fast_inplace`] | log(1 + e^x), reciprocal and a short log1p series | relative ≤ [`SOFTPLUS_FAST_MAX_REL`] = 1e−4 where the result is ≥ 2^−126; +0 below e^−92 | max relative 1.812e−5 over all 2^32 inputs (avx512, at x = 2.548e−5, where the truncated log1p series is worst); 1.81e−5 over 16.9M strided inputs on every backend |
//! | [`log_sigmoid_fast`], [`log_sigmoid_fast_inplace`] | −softplus_fast(−x) | relative ≤ [`LOG_SIGMOID_FAST_MAX_REL`] = 1e−4 where \|result\| ≥ 2^−126; −0 above −e^−92 | max relative 1.812e−5 over all 2^32 inputs (avx512), mirrored |
//! | [`silu`], [`silu_inplace`] | SiLU / Swish x·σ(x) | ≤ [`SILU_MAX_ULP`] = 2 ULP everywhere, subnormal results included | max 1.484 ULP over all 2^32 inputs (avx512, σ's table form, at x = −31.883892), 1.538 (avx2+fma, scalar, portable SSE2, at x = −1.9000207); 0 outputs outside the range; not monotone (minimum at x ≈ −1.2785) |
//! | [`silu_fast`], [`silu_fast_inplace`] | x times the fast σ | relative ≤ [`SILU_FAST_MAX_REL`] = 1.001e−4 where σ(x) ≥ 2^−126 and the result is normal (a subnormal one within 2^−149) | max relative 8.94e−5 over a 16.9M strided sweep and a dense walk of [−115, 30] on scalar, portable, avx2+fma; 5.57e−5 on avx512 |
//! | [`silu_backward`], [`silu_backward_inplace`] | dx = dy·σ(x)·(1 + x·σ(−x)) | absolute ≤ [`SILU_BACKWARD_MAX_ULP`] = 2 ULP of the larger of \|dy·σ(x)\| and \|dy·x·σ(x)·σ(−x)\|, every `f32` x and finite dy | max 1.57 ULP with FMA (avx512; 1.49 avx2+fma), 1.66 without (scalar, portable SSE2), over 16.9M strided (x, dy) pairs (8.4M in the normal test run) and dense x in [−210, 40] with dy of every magnitude (`tests/silu.rs`) |
//!
//! Errors are measured against [`reference`](mod@reference), the oracle: σ in `f64` with
//! the stable formula, rounded once. The unit is [`reference::ulp_error`]:
//! |y − r| / ulp(r) with r the unrounded `f64` value and ulp(r) the spacing
//! of `f32` at r (2^−149 in the subnormal range), so correct rounding is
//! ≤ 0.5 ULP. `cargo test --release --test exhaustive -- --ignored` checks
//! every `f32` input; the normal test run checks every 251st bit pattern on
//! every backend.
//!
//! For comparison, measured on the development machine with an earlier
//! peers script (its successor is `python/bench_peers.py`): numpy's
//! `1/(1+np.exp(-x))` 3 ULP in the normal range and ~2·10^6 ULP in the
//! subnormal tail, ONNX Runtime ~8.7·10^8 ULP
//! (it returns 0 below x ≈ −15.8) and not monotone; reported when the crate
//! was specified: XNNPACK's AVX2 kernel 4.7 ULP, glibc `1/(1+expf(−x))`
//! 2.5 ULP.
//!
//! # Special values (both tiers)
//!
//! NaN → NaN; +∞ → 1; −∞ → +0; ±0 → 0.5; every output is in [0, 1]; the
//! output is monotone non-decreasing over all finite inputs (the AVX-512
//! fast tier: where `vrcp14ps` is monotone, see below); huge |x| never
//! overflows (the exact tier works with e^|x|/2^k ∈ [0.7, 2.1] and an exact
//! 2^−k, the fast tier clamps its exponent, or on AVX-512 lets `vscalefps`
//! saturate).
//!
//! The AVX-512 fast tier takes `vrcp14ps` alone as its reciprocal: its
//! error bound (< 2^−14, in Intel's and AMD's manuals) keeps the tier
//! inside [`SIGMOID_FAST_MAX_REL`] on any AVX-512 CPU (< 7.2e−5 by the
//! error budget in `cpu/sigma.rs`), but its bits are a hardware table
//! that differs between Intel and AMD, and the tier is monotone exactly
//! where that table is. Measured on Intel (Emerald Rapids): monotone, over
//! all 2^32 inputs of the tier and by a unit test of the instruction
//! itself (`cpu::avx512::tests`, which asserts it on Intel CPUs and
//! reports the count of steps up on others). Not measured on AMD's
//! AVX-512 (Zen 4/5): there monotonicity is not promised; `SIGMOID_KERNELS_BACKEND=avx2` gives the AVX2 fast tier,
//! monotone with a correctly rounded division. The exact tier returns
//! subnormal results down to the true underflow (σ(x) > 0 for
//! x > −103.98) and exactly 1 from x ≈ 17.33 on, where σ rounds to 1. The
//! fast tier returns 0 for x ≤ −88.72284.
//!
//! # Backends and threads
//!
//! The crate-level functions run the fastest instruction set of the running
//! CPU, found once at run time with no build flags needed (AVX-512, else
//! AVX2+FMA on x86-64 when present, else the portable `wide` code), and split the work
//! over rayon's threads from [`parallel_threshold`] elements up (below that,
//! threads cost more than they save). From [`cpu::STREAM_MIN`] elements
//! (8M), out-of-place calls write their output with non-temporal stores, so
//! outputs larger than the cache do not first read every line they
//! overwrite. [`Backend`] lists and runs each way explicitly, for benchmarks
//! and tests: see [`cpu`]. Results are the same bits on every machine with
//! the same instruction set (except the AVX-512 fast tier: `vrcp14ps`
//! differs between Intel and AMD) and thread count does not change them;
//! across instruction sets they agree within the contract: AVX-512 and
//! AVX2 give the same bits for the backward pass and the piecewise-linear
//! forms and at most one bit apart for the exact tier (AVX-512 replaces
//! the division by a reciprocal estimate), the fast tiers differ within
//! their bound (AVX-512: the estimate alone and a degree-4 2^f), and
//! without FMA (scalar, SSE2) the exact tier may round differently. The correctly rounded tier, [`sigmoid_cr`],
//! gives the same bits everywhere.
//!
//! # Panics
//!
//! Only for mismatched slice lengths (the message names both lengths), and
//! when a [`Backend`] that the CPU lacks is called explicitly.
//!
//! # Features
//!
//! - `std` (default): the CPU kernels, runtime detection and threads.
//!   Without it the crate is `no_std` and keeps [`reference`](mod@reference)
//!   and [`quant`] (the integer-only Q15 kernel and the int8/uint8 tables,
//!   applied by a scalar loop).
//! - `gpu` (default): [`gpu`], WGSL shaders through `wgpu`.
//! - `cli` (default): the `sigmoid-kernels` command (`bench`, `accuracy`,
//!   `plot`, `apply`); library users can turn it off.
//!
//! # Other kernels
//!
//! Piecewise-linear substitutes for constrained targets: [`hard_sigmoid`]
//! (PyTorch), [`hard_sigmoid_affine`] (ONNX / Keras 2), [`plan_sigmoid`]
//! (PLAN), each bit-identical on every backend to its scalar definition in
//! [`reference`](mod@reference); quantized int8/uint8 and integer-only Q15
//! in [`quant`]; the GPU in [`gpu`]. Training: [`loss`], binary
//! cross-entropy on logits with its fused gradient (CPU); SiLU (Swish)
//! x·σ(x) and its gradient ([`silu`], [`silu_backward`]), which keep the
//! tiny true values in the tails instead of rounding them to 0. 16-bit storage:
//! [`half16`], σ on binary16 and bfloat16 slices ([`sigmoid_f16`],
//! [`sigmoid_bf16`], correctly rounded for every input), its gradient and
//! the hard sigmoid.
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]
// `unsafe` is allowed only in the modules that say so: the two x86-64
// instruction-set backends and the dispatch that calls them after
// detection (`cpu/avx2.rs`, `cpu/avx512.rs`, `cpu/mod.rs`, and for the
// 16-bit kernels `cpu/half16.rs`).
#![deny(unsafe_code)]

pub mod quant;
pub mod reference;

#[cfg(feature = "std")]
#[doc(hidden)]
pub mod check;
#[cfg(feature = "std")]
pub mod cpu;
#[cfg(feature = "std")]
pub mod loss;
#[cfg(feature = "std")]
mod silu;
#[cfg(feature = "std")]
pub mod stats;
#[cfg(feature = "std")]
pub use silu::{
    silu, silu_backward, silu_backward_inplace, silu_fast, silu_fast_inplace, silu_inplace,
    SILU_BACKWARD_MAX_ULP, SILU_FAST_MAX_REL, SILU_MAX_ULP,
};

#[cfg(feature = "gpu")]
pub mod gpu;

#[cfg(feature = "std")]
pub use cpu::{parallel_threshold, set_parallel_threshold, Backend};

/// The 16-bit element types, from the `half` crate.
#[cfg(feature = "std")]
pub use half;
#[cfg(feature = "std")]
pub mod half16;
#[cfg(feature = "std")]
pub use half16::{
    hard_sigmoid_backward_bf16, hard_sigmoid_backward_f16, hard_sigmoid_bf16,
    hard_sigmoid_bf16_inplace, hard_sigmoid_f16, hard_sigmoid_f16_inplace, sigmoid_backward_bf16,
    sigmoid_backward_bf16_inplace, sigmoid_backward_f16, sigmoid_backward_f16_inplace,
    sigmoid_bf16, sigmoid_bf16_inplace, sigmoid_f16, sigmoid_f16_inplace, SIGMOID_16_MAX_ULP,
    SIGMOID_BACKWARD_16_MAX_ULP,
};

// The accuracy contract of each kernel, written once: the tests, the
// exhaustive run, the CLI (`accuracy`, its help text) and the docs read these.

/// Bound of [`sigmoid`] and [`sigmoid_inplace`] on every backend: max error
/// in ULPs ([`reference::ulp_error`]) against σ, for every `f32`.
pub const SIGMOID_MAX_ULP: f64 = 1.0;
/// Bound of [`sigmoid_fast`] and [`sigmoid_fast_inplace`]: max relative
/// error wherever σ(x) ≥ 2^−126 (below, results lie in [0, σ(x)·(1 + this)]).
pub const SIGMOID_FAST_MAX_REL: f64 = 1e-4;
/// Bound of [`sigmoid_backward`] and [`sigmoid_backward_inplace`]: max error
/// in ULPs against the `f64` value of `dy·y·(1−y)`, for y in [0, 1].
pub const SIGMOID_BACKWARD_MAX_ULP: f64 = 2.0;
/// Bound of [`sigmoid_backward_from_input`] and its in-place form: max
/// error in ULPs against the `f64` value of `dy·σ(x)·σ(−x)`, for every
/// `f32` x and finite dy.
pub const SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP: f64 = 2.0;
/// Bound of [`softplus`] and [`softplus_inplace`]: max error in ULPs
/// against log(1 + e^x), for every `f32`.
pub const SOFTPLUS_MAX_ULP: f64 = 2.0;
/// Bound of [`log_sigmoid`] and [`log_sigmoid_inplace`]: max error in ULPs
/// against log σ(x), for every `f32`.
pub const LOG_SIGMOID_MAX_ULP: f64 = 2.0;
/// Bound of [`softplus_fast`] and [`softplus_fast_inplace`]: max relative
/// error wherever the result is ≥ 2^−126 (below, results lie in
/// [0, reference·(1 + this)]: flushed to +0 below e^−92).
pub const SOFTPLUS_FAST_MAX_REL: f64 = 1e-4;
/// Bound of [`log_sigmoid_fast`] and [`log_sigmoid_fast_inplace`], as
/// [`SOFTPLUS_FAST_MAX_REL`] (below 2^−126 in magnitude, results lie
/// between −0 and reference·(1 + this)).
pub const LOG_SIGMOID_FAST_MAX_REL: f64 = 1e-4;
/// Max |hard_sigmoid(x) − σ(x)| of [`hard_sigmoid`] over every `f32` (0.069182 at
/// |x| ≈ 1.317, where σ′ = 1/6), rounded up.
pub const HARD_SIGMOID_MAX_ABS: f64 = 0.0692;
/// Max |hard_sigmoid_affine(x) − σ(x)| of [`hard_sigmoid_affine`] with the ONNX defaults
/// [`HARD_SIGMOID_ALPHA`], [`HARD_SIGMOID_BETA`] (0.075858 at |x| = 2.5,
/// where the clamp starts), rounded up.
pub const HARD_SIGMOID_AFFINE_MAX_ABS: f64 = 0.0759;
/// Max |plan_sigmoid(x) − σ(x)| of [`plan_sigmoid`] over every `f32` (0.018941 at |x| = 1;
/// the paper's 0.0189), rounded up.
pub const PLAN_SIGMOID_MAX_ABS: f64 = 0.01895;

/// Exact tier: `y[i] = σ(x[i])` with at most [`SIGMOID_MAX_ULP`] (1 ULP) error
/// for every `f32`.
///
/// Uses the fastest instruction set of the running CPU (detected once) and
/// all rayon threads from [`parallel_threshold`] elements up (threads do not
/// pay below that: see the README's measurements).
///
/// Special values: NaN → NaN, +∞ → 1, −∞ → +0,
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

/// Bound of [`sigmoid_cr`] and [`sigmoid_cr_inplace`]: ULPs from the
/// correctly rounded value [`reference::sigmoid_cr`], i.e. none: the same
/// bits, for every `f32` on every backend (all 2^32 inputs checked by
/// `tests/exhaustive.rs`).
pub const SIGMOID_CR_MAX_ULP: f64 = 0.0;

/// Correctly rounded tier (cr): `y[i]` = `σ(x[i])` rounded to the nearest
/// `f32` (ties to even; none occur), subnormal results included: the
/// same bits on every backend, thread count and machine, equal to
/// [`reference::sigmoid_cr`] (bound [`SIGMOID_CR_MAX_ULP`]).
///
/// Computed in `f64` lanes (4 per AVX2 vector, 8 per AVX-512 vector) with
/// a bounded error and a rounding test; the inputs whose `f64` value is
/// too close to a midpoint between two `f32`s for the test to decide (a
/// few hundred of the 2^32) take a double-double slow path. Special
/// values: NaN → NaN, +∞ → 1, −∞ → +0, ±0 → 0.5; outputs in [0, 1],
/// monotone non-decreasing. Slower than [`sigmoid`] (see the README).
///
/// ```
/// let x = [2f32.powi(-23), -1.0, f32::NEG_INFINITY];
/// let mut y = [0.0f32; 3];
/// sigmoid_kernels::sigmoid_cr(&x, &mut y);
/// // σ(2^−23) = 1/2 + 2^−25 − 2^−69/48: just below the midpoint.
/// assert_eq!(y[0], 0.5);
/// assert_eq!(y[1], sigmoid_kernels::reference::sigmoid_cr(-1.0));
/// assert_eq!(y[2].to_bits(), 0);
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn sigmoid_cr(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).sigmoid_cr(x, y);
}

/// [`sigmoid_cr`] in place: `x[i] = σ(x[i])` correctly rounded. Never panics.
#[cfg(feature = "std")]
pub fn sigmoid_cr_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).sigmoid_cr_inplace(x);
}

/// Fast tier: `y[i] ≈ σ(x[i])` with relative error ≤ [`SIGMOID_FAST_MAX_REL`]
/// (1e−4; measured: see the crate docs) wherever σ(x) ≥ 2^−126; smaller results may be flushed
/// (σ(x) = 0 for x ≤ −88.72284).
///
/// Same special values, [0, 1] range and monotonicity as [`sigmoid`]
/// (on AVX-512, monotone where `vrcp14ps` is: measured on Intel, not on
/// AMD; see the crate docs).
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
/// `y`, as autograd does. For every y in [0, 1] (what σ returns), within
/// [`SIGMOID_BACKWARD_MAX_ULP`] (2 ULP; measured: see the crate docs) of the
/// `f64` value of the same product; NaN in `y` or `dy` gives NaN, and
/// `dy = ±∞` with `y ∈ {0, 1}` gives NaN (∞·0), as in `f64`. A y outside
/// [0, 1] is not a σ output: its result is unspecified (no fault; the
/// backends differ, e.g. NaN or −∞ for y = `f32::MAX`).
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

/// The gradient of σ from the saved forward *input*:
/// `dx[i] = dy[i]·σ(x[i])·σ(−x[i])`, within
/// [`SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP`] (2 ULP) of the `f64` value for
/// every `f32` x and finite dy, and nonzero wherever that value is above
/// the subnormal range.
///
/// Prefer it to [`sigmoid_backward`] when x is at hand: the output-based
/// form needs y·(1 − y), and from x ≈ 17.33 on the `f32` output y is exactly
/// 1, so it returns 0 while the true gradient ≈ e^−|x| stays above 2^−126
/// up to |x| ≈ 87 (an artificial vanishing gradient on top of the real
/// one). Here nothing cancels: σ(x)·σ(−x) = e^|x|/(1 + e^|x|)² is built from
/// an exact power of two and e^r as a pair (the exact tier's pieces), so
/// at x = 20 it gives 2.06e−9 where the output-based form gives 0. The
/// output-based form stays for autograd frameworks, which save y.
///
/// Special values: NaN in x or dy → NaN; x = ±∞ → dy·0 (±0; NaN for
/// dy = ±∞); every finite x has a positive gradient, so dy = ±∞ → ±∞
/// there; ±0 → dy/4.
///
/// ```
/// let x = [20.0f32, 0.0];
/// let dy = [1.0f32, 2.0];
/// let mut dx = [0.0f32; 2];
/// sigmoid_kernels::sigmoid_backward_from_input(&x, &dy, &mut dx);
/// assert!((dx[0] - 2.061_153_6e-9).abs() < 1e-16);
/// assert_eq!(dx[1], 0.5);
///
/// // The output-based form, from y = σ(20) = 1 in f32, has lost it.
/// let mut y = [0.0f32; 1];
/// sigmoid_kernels::sigmoid(&x[..1], &mut y);
/// sigmoid_kernels::sigmoid_backward(&y, &dy[..1], &mut dx[..1]);
/// assert_eq!((y[0], dx[0]), (1.0, 0.0));
/// ```
///
/// # Panics
/// If the three lengths differ; the message names the lengths.
#[cfg(feature = "std")]
pub fn sigmoid_backward_from_input(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    Backend::for_len(x.len()).sigmoid_backward_from_input(x, dy, dx);
}

/// [`sigmoid_backward_from_input`] overwriting `dy` with `dx`.
///
/// # Panics
/// If `x.len() != dy.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn sigmoid_backward_from_input_inplace(x: &[f32], dy: &mut [f32]) {
    Backend::for_len(x.len()).sigmoid_backward_from_input_inplace(x, dy);
}

/// Softplus: `y[i] = log(1 + e^x[i])`, within [`SOFTPLUS_MAX_ULP`] (2 ULP)
/// of the exact value for every `f32`, computed as
/// max(x, 0) + log1p(e^−|x|) without ever forming e^x: no overflow, and no
/// threshold where it switches to x. The result is x exactly wherever that
/// is the rounded value (x ≳ 16.6), and e^x, subnormal included, for very
/// negative x (0 below x ≈ −103.97).
///
/// Its gradient is σ(x): use [`sigmoid`] on the same input.
///
/// Special values: NaN → NaN, +∞ → +∞, −∞ → +0, ±0 → ln 2; outputs are ≥ 0.
///
/// ```
/// let x = [0.0f32, 100.0, -100.0, 1e30];
/// let mut y = [0.0f32; 4];
/// sigmoid_kernels::softplus(&x, &mut y);
/// assert_eq!(y[0], core::f32::consts::LN_2);
/// assert_eq!(y[1], 100.0);
/// assert!(y[2] > 0.0 && y[2] < 4e-44); // e^−100, subnormal
/// assert_eq!(y[3], 1e30);
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn softplus(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).softplus(x, y);
}

/// [`softplus`] in place. Never panics.
#[cfg(feature = "std")]
pub fn softplus_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).softplus_inplace(x);
}

/// Log-sigmoid: `y[i] = log σ(x[i]) = −softplus(−x[i])`, within
/// [`LOG_SIGMOID_MAX_ULP`] (2 ULP) of the exact value for every `f32`: the
/// mirror image of [`softplus`] (negation is exact). The result is x
/// exactly wherever that is the rounded value (x ≲ −16.6), and −e^−x,
/// subnormal included, for large x.
///
/// Its gradient is σ(−x) = 1 − σ(x): use [`sigmoid`] on the negated input.
///
/// Special values: NaN → NaN, +∞ → −0, −∞ → −∞, ±0 → −ln 2; outputs are ≤ 0.
///
/// ```
/// let x = [0.0f32, -100.0, f32::INFINITY];
/// let mut y = [1.0f32; 3];
/// sigmoid_kernels::log_sigmoid(&x, &mut y);
/// assert_eq!(y[0], -core::f32::consts::LN_2);
/// assert_eq!(y[1], -100.0);
/// assert_eq!(y[2].to_bits(), (-0.0f32).to_bits());
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn log_sigmoid(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).log_sigmoid(x, y);
}

/// [`log_sigmoid`] in place. Never panics.
#[cfg(feature = "std")]
pub fn log_sigmoid_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).log_sigmoid_inplace(x);
}

/// Fast tier of [`softplus`]: `y[i] ≈ log(1 + e^x[i])` with relative error
/// ≤ [`SOFTPLUS_FAST_MAX_REL`] (1e−4) wherever the result is ≥ 2^−126,
/// about twice the exact tier's speed (`docs/benchmarks.md`). The same
/// algorithm with the quotient from a reciprocal, a shorter series for
/// log1p and the final sum rounded twice; no overflow, and x exactly for
/// large x as in the exact tier. Results below e^−92 ≈ 1.1e−40 (x < −92)
/// are flushed to +0.
///
/// Special values: NaN → NaN, +∞ → +∞, −∞ → +0; outputs are ≥ 0.
///
/// ```
/// let x = [0.0f32, 100.0, -1000.0];
/// let mut y = [0.0f32; 3];
/// sigmoid_kernels::softplus_fast(&x, &mut y);
/// assert!((y[0] - core::f32::consts::LN_2).abs() < 1e-4 * core::f32::consts::LN_2);
/// assert_eq!(y[1..], [100.0, 0.0]);
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn softplus_fast(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).softplus_fast(x, y);
}

/// [`softplus_fast`] in place. Never panics.
#[cfg(feature = "std")]
pub fn softplus_fast_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).softplus_fast_inplace(x);
}

/// Fast tier of [`log_sigmoid`]: `y[i] ≈ log σ(x[i]) = −softplus_fast(−x[i])`,
/// relative error ≤ [`LOG_SIGMOID_FAST_MAX_REL`] (1e−4) wherever
/// |result| ≥ 2^−126; results above −1.1e−40 (x > 92) are flushed to −0.
///
/// Special values: NaN → NaN, +∞ → −0, −∞ → −∞; outputs are ≤ 0.
///
/// ```
/// let x = [-100.0f32, 1000.0];
/// let mut y = [1.0f32; 2];
/// sigmoid_kernels::log_sigmoid_fast(&x, &mut y);
/// assert_eq!(y[0], -100.0);
/// assert_eq!(y[1].to_bits(), (-0.0f32).to_bits());
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn log_sigmoid_fast(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).log_sigmoid_fast(x, y);
}

/// [`log_sigmoid_fast`] in place. Never panics.
#[cfg(feature = "std")]
pub fn log_sigmoid_fast_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).log_sigmoid_fast_inplace(x);
}

/// Hard Sigmoid as PyTorch's `hardsigmoid` computes it on CPU, bit for bit:
/// `y[i] = min(max(x[i] + 3, 0), 6) / 6` in `f32` (= relu6(x+3)/6 =
/// clamp(x/6 + 1/2, 0, 1) up to rounding; Keras 3 `hard_sigmoid`).
///
/// Every backend gives exactly [`reference::hard_sigmoid`] for every `f32`.
/// Max absolute error against σ: [`HARD_SIGMOID_MAX_ABS`] (0.0692, at
/// |x| ≈ 1.317).
/// Special values: NaN → NaN, +∞ → 1, −∞ → 0, ±0 → 0.5; outputs in [0, 1].
///
/// ```
/// let x = [-4.0f32, -1.5, 0.0, 1.5, 3.0];
/// let mut y = [0.0f32; 5];
/// sigmoid_kernels::hard_sigmoid(&x, &mut y);
/// assert_eq!(y, [0.0, 0.25, 0.5, 0.75, 1.0]);
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn hard_sigmoid(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).hard_sigmoid(x, y);
}

/// [`hard_sigmoid`] in place. Never panics.
#[cfg(feature = "std")]
pub fn hard_sigmoid_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).hard_sigmoid_inplace(x);
}

/// Gradient of [`hard_sigmoid`] with PyTorch's `hardsigmoid_backward`
/// semantics: `dx[i] = dy[i] · (1/6)` (the `f32` constant, one rounding)
/// where `−3 < x[i] < 3`, exactly `+0` elsewhere (x = ±3, |x| > 3, NaN x).
/// Takes the forward *input* `x`. Bit-identical to
/// [`reference::hard_sigmoid_backward`].
///
/// ```
/// let x = [0.0f32, 3.0];
/// let dy = [6.0f32, 1.0];
/// let mut dx = [9.0f32; 2];
/// sigmoid_kernels::hard_sigmoid_backward(&x, &dy, &mut dx);
/// assert_eq!(dx, [1.0, 0.0]);
/// ```
///
/// # Panics
/// If the three lengths differ; the message names the lengths.
#[cfg(feature = "std")]
pub fn hard_sigmoid_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    Backend::for_len(x.len()).hard_sigmoid_backward(x, dy, dx);
}

/// ONNX `HardSigmoid` / Keras 2 `hard_sigmoid`:
/// `y[i] = max(0, min(1, α·x[i] + β))` with the product and the sum rounded
/// separately (no fused multiply-add). The ONNX defaults are
/// [`HARD_SIGMOID_ALPHA`] = 0.2 and [`HARD_SIGMOID_BETA`] = 0.5.
///
/// Every backend gives exactly [`reference::hard_sigmoid_affine`] for every
/// `f32`. Max absolute error against σ with the defaults:
/// [`HARD_SIGMOID_AFFINE_MAX_ABS`] (0.0759, at |x| = 2.5). The lower clamp gives `+0`. NaN where α·x + β is NaN (NaN
/// `x`; or x = ±∞ with α = 0); with α > 0, +∞ → 1 and −∞ → 0; otherwise
/// outputs are in [0, 1].
///
/// ```
/// use sigmoid_kernels::{HARD_SIGMOID_ALPHA as A, HARD_SIGMOID_BETA as B};
/// let x = [-3.0f32, 0.0, 1.0, 3.0];
/// let mut y = [0.0f32; 4];
/// sigmoid_kernels::hard_sigmoid_affine(A, B, &x, &mut y);
/// assert_eq!(y, [0.0, 0.5, 0.7, 1.0]);
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn hard_sigmoid_affine(alpha: f32, beta: f32, x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).hard_sigmoid_affine(alpha, beta, x, y);
}

/// ONNX's default `alpha` for `HardSigmoid` (also Keras 2's slope).
pub const HARD_SIGMOID_ALPHA: f32 = 0.2;
/// ONNX's default `beta` for `HardSigmoid` (also Keras 2's offset).
pub const HARD_SIGMOID_BETA: f32 = 0.5;

/// [`hard_sigmoid_affine`] in place. Never panics.
#[cfg(feature = "std")]
pub fn hard_sigmoid_affine_inplace(alpha: f32, beta: f32, x: &mut [f32]) {
    Backend::for_len(x.len()).hard_sigmoid_affine_inplace(alpha, beta, x);
}

/// Gradient of [`hard_sigmoid_affine`], the analogue of PyTorch's
/// hardsigmoid rule: `dx[i] = dy[i] · α` where `0 < α·x[i] + β < 1` (the
/// forward's rounded value), exactly `+0` elsewhere and where it is NaN.
/// Bit-identical to [`reference::hard_sigmoid_affine_backward`].
///
/// ```
/// let x = [0.0f32, 5.0];
/// let dy = [1.0f32, 1.0];
/// let mut dx = [0.0f32; 2];
/// sigmoid_kernels::hard_sigmoid_affine_backward(0.25, 0.5, &x, &dy, &mut dx);
/// assert_eq!(dx, [0.25, 0.0]);
/// ```
///
/// # Panics
/// If the three lengths differ; the message names the lengths.
#[cfg(feature = "std")]
pub fn hard_sigmoid_affine_backward(alpha: f32, beta: f32, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    Backend::for_len(x.len()).hard_sigmoid_affine_backward(alpha, beta, x, dy, dx);
}

/// PLAN (Amin, Curtis, Hayes-Gill 1997), a piecewise-linear σ with
/// power-of-two slopes: with a = |x|, f(a) = 1 for a ≥ 5,
/// 0.03125·a + 0.84375 on [2.375, 5), 0.125·a + 0.625 on [1, 2.375),
/// 0.25·a + 0.5 on [0, 1); y = 1 − f(a) for x < 0.
///
/// Every backend gives exactly [`reference::plan_sigmoid`] (the correctly
/// rounded PLAN value) for every `f32`. Max absolute error against σ:
/// [`PLAN_SIGMOID_MAX_ABS`] (0.01894 at |x| = 1; the paper's 0.0189). NaN → NaN, +∞ → 1,
/// −∞ → 0, ±0 → 0.5, outputs in [0, 1]. Not monotone: PLAN drops by 2^−8 at
/// |x| = 2.375 (and rises by 2^−8 at x = −2.375).
///
/// ```
/// let x = [0.0f32, 1.0, -1.0, 5.0];
/// let mut y = [0.0f32; 4];
/// sigmoid_kernels::plan_sigmoid(&x, &mut y);
/// assert_eq!(y, [0.5, 0.75, 0.25, 1.0]);
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn plan_sigmoid(x: &[f32], y: &mut [f32]) {
    Backend::for_len(x.len()).plan_sigmoid(x, y);
}

/// [`plan_sigmoid`] in place. Never panics.
#[cfg(feature = "std")]
pub fn plan_sigmoid_inplace(x: &mut [f32]) {
    Backend::for_len(x.len()).plan_sigmoid_inplace(x);
}

/// Gradient of [`plan_sigmoid`]: `dx[i] = dy[i]` times the slope of the
/// piece `|x[i]|` lies in (0.25, 0.125, 0.03125; pieces closed on the left as
/// in the forward), exactly `+0` for |x| ≥ 5 and NaN x. Bit-identical to
/// [`reference::plan_sigmoid_backward`].
///
/// ```
/// let x = [0.5f32, -2.0, 7.0];
/// let dy = [1.0f32; 3];
/// let mut dx = [0.0f32; 3];
/// sigmoid_kernels::plan_sigmoid_backward(&x, &dy, &mut dx);
/// assert_eq!(dx, [0.25, 0.125, 0.0]);
/// ```
///
/// # Panics
/// If the three lengths differ; the message names the lengths.
#[cfg(feature = "std")]
pub fn plan_sigmoid_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    Backend::for_len(x.len()).plan_sigmoid_backward(x, dy, dx);
}

/// Error bound of [`sigmoid_f64`] in `f64` ULPs (the spacing of `f64` at the
/// true value, 2^−1074 in the subnormal range), checked against a
/// double-double reference by `tests/sigmoid_f64.rs` over 2.7M inputs (a
/// dense sample of [−760, 40], ±1000 ULPs around the edges, random bit
/// patterns, the special values): measured max 2.27 ULP, at x = −4.157664,
/// where e^x's own error (`libm::exp`, < 1 ULP) passes through e^x/(1+e^x)
/// undamped.
pub const SIGMOID_F64_MAX_ULP: f64 = 2.5;

/// Double precision: `y[i] = σ(x[i])` for `f64`, bit-identical to the
/// stable formula of [`reference::sigmoid_f64`] (1/(1+e^−x) for x ≥ 0,
/// e^x/(1+e^x) below; `exp` from `libm`) applied element by element
/// without a branch, on all rayon threads from [`parallel_threshold`]
/// elements up. For callers whose data is `f64` (NumPy's default): scalar
/// code, about a tenth of the `f32` exact tier's speed (the README's Python
/// peer table measures both).
///
/// Error ≤ [`SIGMOID_F64_MAX_ULP`] `f64` ULPs (measured, see the constant),
/// subnormal results included (σ(x) > 0 down to x ≈ −745.13). NaN → NaN,
/// +∞ → 1, −∞ → +0, ±0 → 0.5, outputs in [0, 1], monotone non-decreasing
/// over the tested sample.
///
/// ```
/// let x = [-1.0f64, 0.0, 40.0, f64::NEG_INFINITY];
/// let mut y = [0.0f64; 4];
/// sigmoid_kernels::sigmoid_f64(&x, &mut y);
/// assert_eq!(y[1..], [0.5, 1.0, 0.0]);
/// assert!((y[0] - 0.268_941_421_369_995_1).abs() < 1e-16);
/// ```
///
/// # Panics
/// If `x.len() != y.len()`; the message names both lengths.
#[cfg(feature = "std")]
pub fn sigmoid_f64(x: &[f64], y: &mut [f64]) {
    assert!(
        x.len() == y.len(),
        "sigmoid_f64: length mismatch: x.len() = {}, y.len() = {}",
        x.len(),
        y.len()
    );
    let serial = |x: &[f64], y: &mut [f64]| {
        for (o, &v) in y.iter_mut().zip(x) {
            *o = sigmoid_f64_branchless(v);
        }
    };
    if x.len() >= parallel_threshold() && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        y.par_chunks_mut(cpu::PAR_CHUNK)
            .zip(x.par_chunks(cpu::PAR_CHUNK))
            .for_each(|(y, x)| serial(x, y));
    } else {
        serial(x, y);
    }
}

/// [`reference::sigmoid_f64`] without its branch on the sign, bit for bit
/// (the same `exp`, sum and division): with e = e^−|x|, σ = n/(1+e) where
/// n = 1 for x ≥ 0 and n = e below. On random signs the branch mispredicts
/// half the time; the select does not: 1.47× the branchy loop at 64K
/// elements in an in-process A/B on the shared Xeon (`libm::exp` itself is
/// the rest of the cost; glibc's `exp` would be another 1.4× but gives
/// different bits on different platforms).
#[cfg(feature = "std")]
#[inline]
fn sigmoid_f64_branchless(x: f64) -> f64 {
    let e = libm::exp(-x.abs());
    let n = if x >= 0.0 { 1.0 } else { e };
    n / (1.0 + e)
}

/// [`sigmoid_f64`] in place: `x[i] = σ(x[i])`. Never panics.
#[cfg(feature = "std")]
pub fn sigmoid_f64_inplace(x: &mut [f64]) {
    let serial = |x: &mut [f64]| {
        for v in x.iter_mut() {
            *v = sigmoid_f64_branchless(*v);
        }
    };
    if x.len() >= parallel_threshold() && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        x.par_chunks_mut(cpu::PAR_CHUNK).for_each(serial);
    } else {
        serial(x);
    }
}
