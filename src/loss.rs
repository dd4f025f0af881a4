//! Binary cross-entropy on logits ("sigmoid cross-entropy"), the loss that
//! matches σ in binary and multi-label classifiers: the per-element loss,
//! its reductions and the fused loss-and-gradient pass, with PyTorch's
//! `binary_cross_entropy_with_logits` semantics and an accuracy contract
//! against [`crate::reference::bce_with_logits_f64`].
//!
//! With t' = t·(1 − ε) + ε/2 (Keras label smoothing; t' = t for ε = 0),
//! w the element's weight and pw its class's positive weight:
//!
//! - ℓ = w·[pw·t'·softplus(−x) + (1 − t')·softplus(x)]
//! - dℓ/dx = w·[(1 − t')·σ(x) − pw·t'·σ(−x)]
//!
//! Both terms are computed in their exact forms: softplus(−x) and σ(−x) are
//! never formed as log(1 + e^−x) or 1 − σ(x). So a well-classified example
//! keeps its true, tiny loss and gradient: x = 20, t = 1 gives
//! ℓ = softplus(−20) ≈ 2.06e−9 and dℓ/dx = −σ(−20) ≈ −2.06e−9, where the
//! common `f32` forms return 0 (the gradient σ(x) − t, as PyTorch computes
//! it, is 1 − 1 = 0 in `f32`, and log(1 + e^−20) rounds to log 1 = 0).
//!
//! The same loss on probabilities, PyTorch's `BCELoss`, is [`bce`] and its
//! companions (in `loss/prob.rs`; see there for how it differs from Keras).
//! Not here: SiLU, gradient statistics, the GPU (`gpu::loss`).
//!
//! # Reductions
//!
//! | reduction | PyTorch | Keras | result |
//! |---|---|---|---|
//! | [`Reduction::Mean`] | `reduction="mean"` (default) | — | Σℓ / n |
//! | [`Reduction::MeanLastAxis`]`(C)` | — | `binary_crossentropy` then the batch mean (`"sum_over_batch_size"`) | (1/B)·Σ_b (1/C)·Σ_c ℓ_bc, B = n / C |
//! | [`Reduction::Sum`] | `reduction="sum"` | `"sum"` of the per-sample means ×C | Σℓ |
//! | [`Reduction::None`] | `reduction="none"` | — | per element ([`bce_with_logits_elementwise`]) |
//! | — | — | `binary_crossentropy` itself | per sample ([`bce_with_logits_per_sample`]) |
//!
//! [`Reduction::Mean`] divides the sum by the element count (PyTorch; not by
//! the sum of the weights), [`Reduction::Sum`] does not. Keras'
//! `binary_crossentropy` averages over the last axis (the C classes of a
//! multi-label sample) first and returns one loss per sample
//! ([`bce_with_logits_per_sample`] computes that vector); its default
//! reduction then averages over the B samples. With C classes per sample
//! that mean of means is Σℓ/(B·C), the same number as [`Reduction::Mean`] in
//! exact arithmetic, and both are computed as the one `f64` sum divided
//! once (so they agree to the bit here); [`Reduction::MeanLastAxis`] adds
//! the check that C divides the length ([`LossError::Classes`]) and states
//! the Keras reading. The sum is accumulated
//! in `f64` over fixed chunks of [`LOSS_CHUNK`] elements whose partial sums
//! are added in index order, so the result has the same bits for any number
//! of rayon threads, and is within [`BCE_REDUCTION_MAX_ULP`] (1 ULP) of
//! the exact sum of the per-element `f32` losses (the `f64` accumulation
//! error is far below an `f32` ULP for any length that fits in memory).
//!
//! [`Reduction::None`] reduces nothing: the reducing functions reject it
//! with [`LossError::Unreduced`]; the per-element losses come from
//! [`bce_with_logits_elementwise`], and with their gradients in one pass from
//! [`bce_with_logits_elementwise_grad`].
//!
//! # Special values
//!
//! A logit of ±∞ gives the limit: ℓ = 0 where the infinite logit agrees with
//! the target (x = +∞, t' = 1, or x = −∞, t' = 0; a zero coefficient times an
//! infinite softplus counts as 0), +∞ otherwise, and the gradient is finite
//! (σ(±∞) ∈ {0, 1}; a zero gradient there carries the sign of its limit
//! from finite x: −0 for x = +∞, t' = 1, whose gradient −σ(−x) is negative
//! everywhere, +0 for x = −∞, t' = 0). A weight of 0 gives ℓ = 0 and dℓ/dx = 0 even for an
//! infinite logit. NaN in x or t gives NaN in that element, and in the
//! reduction. An empty input gives Sum = 0 and Mean = NaN (0/0, as
//! PyTorch).
//!
//! # Implementation and speed
//!
//! One fused vector kernel per backend (`cpu/bce.rs`, written once over the
//! crate's lane trait like σ and softplus): per block of 512 elements, in
//! the L1 cache, one range reduction |x| = k·ln2 + r and one e^r feed both
//! log1p(e^−|x|) and σ(−|x|), each as a pair of `f32`s carrying about 40
//! bits (no division where the CPU has a reciprocal estimate); then the
//! terms, the smoothed target, the weights, the power of two 2^−k and the
//! sign are combined in `f64`, each loss and gradient is rounded once, and
//! the losses are added into the chunk's `f64` sum. Without weights,
//! pos_weight and smoothing (any targets) the combination is done in
//! `f32` instead, vector by vector, with error-free transformations (pairs
//! of `f32`s) and the same single rounding of each result; on AVX-512
//! that path takes the reduction and e^r from the table form of σ's exact
//! tier (32-entry lookups, degree-3 e^r) and runs in passes over a few
//! vectors at a time. softplus(x) = |x| + L
//! and σ(x) = 1 − σ(−|x|) for x ≥ 0 (mirrored for x < 0), so nothing
//! cancels before the `f64` step, and the 2^−k applied there keeps a
//! tiny term exact however large its weight (|x| is clamped at 300: past
//! it every weighted term rounds to 0). Chunks run on rayon's threads from
//! [`crate::parallel_threshold`] elements up. Every backend is reachable
//! through [`bce_with_logits_elementwise_grad_on`]. Measured speed: the
//! README and `docs/benchmarks.md`.
//!
//! # Errors and panics
//!
//! Bad options are a [`LossError`] naming the problem (checked before any
//! output is written). Slices of different lengths (x, t, out, dx) panic
//! with both lengths, as every kernel of the crate does.

use crate::cpu::{bce::Job, check_len, Backend};

mod prob;
use core::fmt;
pub use prob::{bce, bce_elementwise, bce_elementwise_grad, bce_grad, BCE_PROB_MAX_ULP};
use rayon::prelude::*;

/// Bound of the per-element loss for t ∈ {0, 1}, no weights, no pos_weight
/// and ε = 0: max error in ULPs ([`crate::reference::ulp_error`]) against
/// [`crate::reference::bce_with_logits_f64`], for every finite and infinite
/// logit. The loss is then softplus(±x), here from log1p(e^−|x|) as a
/// pair of `f32`s whose error is that of the shared e^r (under 0.11 ULP,
/// see `cpu/sigma.rs`) plus the pair's own (about 2^−28 relative; on
/// AVX-512 the table form of `cpu/sigma_table.rs`, within 2^−25.9 in all,
/// see `cpu/bce.rs`), rounded once where the example agrees with its
/// target (the loss is log1p(e^−|x|)); where it disagrees, |x| is added to
/// that rounded value in a fused multiply-add, one rounding more (the
/// first is half an ULP of log1p(e^−|x|), at most one of the result):
/// about 1.1 ULP at most, near x = 0. In the subnormal range (|x| > 87.3)
/// the power of two rounds the pair once (a quarter of an ULP more at
/// most where it is rounded to 24 bits first). Exhaustive, all 2^32
/// logits with t = 1 (t = 0 is the same computation mirrored), avx512
/// backend: max 1.1160 ULP (at x = −0.0354) with the table form (1.1252
/// at x = −0.0985 with the polynomial form; 0.8075 ULP at x = 87.75
/// before the second rounding, with the sum by error-free
/// transformations; 0.7214 at x = 48.17 with the earlier `f64`
/// combination; `cargo test --release --test loss -- --ignored`, 260–1014
/// s on the shared 2-vCPU machine). The bound is that of
/// [`crate::SOFTPLUS_MAX_ULP`].
pub const BCE_BINARY_MAX_ULP: f64 = 2.0;
/// Bound of the per-element loss for any t ∈ [0, 1], finite non-negative
/// weights, pos_weight and ε: max error in ULPs against
/// [`crate::reference::bce_with_logits_f64`] (where that value is below
/// `f32::MAX`; above it the result is +∞). Both terms are non-negative and
/// are combined from the same pair as [`BCE_BINARY_MAX_ULP`], in `f64` with
/// weights or smoothing (measured 0.66 ULP in all), else in `f32` as that
/// loss (measured 1.082); the bound leaves room for the GPU and for
/// backends without a fused multiply-add.
pub const BCE_MAX_ULP: f64 = 4.0;
/// Bound of the gradient without weights or pos_weight: for t ∈ {0, 1} and
/// ε = 0, max error in ULPs against
/// [`crate::reference::bce_with_logits_grad_f64`] (the gradient is then σ(x)
/// or −σ(−x), times 1/n for Mean); for fractional t' (any t, any ε), the
/// absolute error is at most this many ULPs (`f32`) of the larger of the
/// two terms (1 − t')·σ(x) and t'·σ(−x) (they cancel near the minimum, where
/// no relative bound holds). σ(−|x|) comes as a pair (as the loss's
/// log1p), the difference is formed in `f64` (without weights and
/// smoothing: in `f32` as a pair, by Fast2Sum, which is exact for
/// t ∈ {0, 1} and otherwise adds at most half an ULP of the larger term)
/// and rounded once: for t ∈ {0, 1} max 1.0000 ULP over all 2^32 logits
/// (avx512, at x = 93.05: a subnormal result, where both parts of the
/// pair are rounded to the grid; 0.8829 with the earlier normalized pair;
/// the exhaustive test beside [`BCE_BINARY_MAX_ULP`]'s), 0.66 ULP of the
/// larger term for any t over the test's sweep.
pub const BCE_GRAD_MAX_ULP: f64 = 2.0;
/// Bound of the gradient with weights and pos_weight (finite, ≥ 0): the
/// absolute error in ULPs (`f32`) of the larger of the two terms
/// |w·(1 − t')·σ(x)| and |w·pw·t'·σ(−x)|. The weights enter in `f64`, so
/// the error is that of [`BCE_GRAD_MAX_ULP`] (measured 0.64).
pub const BCE_GRAD_WEIGHTED_MAX_ULP: f64 = 4.0;
/// Added to the gradient bounds for [`Reduction::Mean`]: the gradient is
/// multiplied by 1/n (in `f64`, or in `f32` as a pair) before its one
/// rounding; in `f32` a subnormal σ is rounded to the grid before that
/// (up to 1 ULP of σ scaled by 1/n, plus that rounding); the allowance
/// keeps room for a backend that rounds σ before the division.
pub const BCE_GRAD_MEAN_EXTRA_ULP: f64 = 0.5;
/// Bound of the reductions (`Sum`, `Mean`, `MeanLastAxis` and each sample
/// of [`bce_with_logits_per_sample`]; the probability losses too): max
/// error in ULPs against the exact sum, or mean, of the per-element `f32`
/// losses (they are added in `f64`, in a fixed order, and rounded once).
pub const BCE_REDUCTION_MAX_ULP: f64 = 1.0;

/// Elements per chunk of the reductions and of the rayon split. Fixed, so
/// the order of the `f64` partial sums never depends on the thread count.
pub const LOSS_CHUNK: usize = 1 << 14;

/// How the per-element losses are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// No reduction: the reducing functions reject it
    /// ([`LossError::Unreduced`]); use [`bce_with_logits_elementwise`] or
    /// [`bce_with_logits_elementwise_grad`].
    None,
    /// The sum divided by the element count (PyTorch's default), the
    /// gradient scaled by 1/n. NaN for an empty input.
    Mean,
    /// The sum; 0 for an empty input.
    Sum,
    /// Keras: the mean over the last axis of `classes` elements per sample,
    /// then over the samples. The same value as [`Reduction::Mean`] (see
    /// the [module docs](self)); `classes` must divide the length
    /// ([`LossError::Classes`]; 0 divides only an empty input, the last
    /// axis of a shape (B, 0)). NaN for an empty input.
    MeanLastAxis(usize),
}

/// Options of the BCE-with-logits loss. `Default` is no weights, no
/// pos_weight, no label smoothing.
///
/// ```
/// use sigmoid_kernels::loss::BceOptions;
/// let pw = [2.0f32, 0.5];
/// let opts = BceOptions { pos_weight: Some(&pw), label_smoothing: 0.1, ..Default::default() };
/// assert!(opts.weight.is_none());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BceOptions<'a> {
    /// One weight per element (the same length as x), finite and ≥ 0.
    pub weight: Option<&'a [f32]>,
    /// One weight per class for the positive term, broadcast over the last
    /// dimension: element i belongs to class i mod `pos_weight.len()`, as
    /// PyTorch's `pos_weight` for [batch, classes] data. Its length must
    /// divide the length of x; values finite and ≥ 0.
    pub pos_weight: Option<&'a [f32]>,
    /// Keras label smoothing ε ∈ [0, 1): the target becomes
    /// t·(1 − ε) + ε/2 (computed in `f64`).
    pub label_smoothing: f32,
}

/// A rejected option or reduction; the message names the problem and the
/// offending value.
#[derive(Clone, Debug, PartialEq)]
pub enum LossError {
    /// `pos_weight.len()` does not divide the length of x (0 divides only
    /// 0: an empty pos_weight goes with an empty input).
    PosWeightLength {
        /// `pos_weight.len()`.
        classes: usize,
        /// The length of x.
        len: usize,
    },
    /// `weight.len()` differs from the length of x.
    WeightLength {
        /// `weight.len()`.
        weights: usize,
        /// The length of x.
        len: usize,
    },
    /// A weight or pos_weight that is negative, NaN or infinite.
    BadWeight {
        /// `"weight"` or `"pos_weight"`.
        which: &'static str,
        /// Its index.
        index: usize,
        /// Its value.
        value: f32,
    },
    /// ε outside [0, 1) (or NaN).
    LabelSmoothing(f32),
    /// [`Reduction::None`] given to a function that returns one number.
    Unreduced,
    /// A class count (of [`Reduction::MeanLastAxis`] or
    /// [`bce_with_logits_per_sample`]) that does not divide the length, or
    /// is 0 where it must be positive (always for
    /// [`bce_with_logits_per_sample`], which needs the sample count;
    /// [`Reduction::MeanLastAxis`]`(0)` only goes with an empty input).
    Classes {
        /// The class count.
        classes: usize,
        /// The length of the input.
        len: usize,
    },
    /// A probability outside [0, 1] (the [`bce`] family; NaN is allowed and
    /// gives NaN).
    Probability {
        /// Its index.
        index: usize,
        /// Its value.
        value: f32,
    },
}

impl fmt::Display for LossError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LossError::PosWeightLength { classes, len } => write!(
                f,
                "pos_weight has {classes} classes, which does not divide the input length {len} \
                 (it is broadcast over the last dimension: the length must be batch × classes)"
            ),
            LossError::WeightLength { weights, len } => write!(
                f,
                "weight has {weights} elements but the input has {len} (one weight per element)"
            ),
            LossError::BadWeight {
                which,
                index,
                value,
            } => write!(
                f,
                "{which}[{index}] = {value}: weights must be finite and non-negative"
            ),
            LossError::LabelSmoothing(e) => {
                write!(f, "label_smoothing = {e}: it must be in [0, 1)")
            }
            LossError::Unreduced => write!(
                f,
                "Reduction::None gives one loss per element: use bce_with_logits_elementwise \
                 (or bce_with_logits_elementwise_grad for the gradient too)"
            ),
            LossError::Classes { classes, len } => write!(
                f,
                "{classes} classes per sample does not divide the input length {len} \
                 (the last axis: the length must be batch × classes, classes > 0)"
            ),
            LossError::Probability { index, value } => write!(
                f,
                "p[{index}] = {value} is not a probability: BCE on probabilities needs p in [0, 1] \
                 (for logits use bce_with_logits)"
            ),
        }
    }
}

impl std::error::Error for LossError {}

impl BceOptions<'_> {
    /// Checks the options against an input of `len` elements.
    pub(crate) fn validate(&self, len: usize) -> Result<(), LossError> {
        let e = self.label_smoothing;
        if !(0.0..1.0).contains(&e) {
            return Err(LossError::LabelSmoothing(e));
        }
        if let Some(w) = self.weight {
            if w.len() != len {
                return Err(LossError::WeightLength {
                    weights: w.len(),
                    len,
                });
            }
            check_weights("weight", w)?;
        }
        if let Some(pw) = self.pos_weight {
            // An empty pos_weight divides only an empty input (shape (B, 0)).
            if !len.is_multiple_of(pw.len()) {
                return Err(LossError::PosWeightLength {
                    classes: pw.len(),
                    len,
                });
            }
            check_weights("pos_weight", pw)?;
        }
        Ok(())
    }
}

fn check_weights(which: &'static str, w: &[f32]) -> Result<(), LossError> {
    match w.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        Some(index) => Err(LossError::BadWeight {
            which,
            index,
            value: w[index],
        }),
        None => Ok(()),
    }
}

/// Per-element BCE with logits: `out[i] = ℓ(x[i], t[i])` (see the
/// [module docs](self) for the formula, bounds and special values).
///
/// ```
/// use sigmoid_kernels::loss::{bce_with_logits_elementwise, BceOptions};
/// let x = [20.0f32, 0.0, f32::INFINITY];
/// let t = [1.0f32, 1.0, 1.0];
/// let mut out = [0.0f32; 3];
/// bce_with_logits_elementwise(&x, &t, &BceOptions::default(), &mut out).unwrap();
/// assert!((out[0] - 2.061_153_6e-9).abs() < 1e-16); // not 0
/// assert_eq!(out[1], core::f32::consts::LN_2);
/// assert_eq!(out[2], 0.0); // the limit, not NaN
/// ```
///
/// # Errors
/// Bad options: see [`LossError`]; nothing is written then.
///
/// # Panics
/// If `x`, `t` and `out` differ in length; the message names the lengths.
pub fn bce_with_logits_elementwise(
    x: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    out: &mut [f32],
) -> Result<(), LossError> {
    let name = "bce_with_logits_elementwise";
    check_len(name, "x", x.len(), "t", t.len());
    check_len(name, "x", x.len(), "out", out.len());
    opts.validate(x.len())?;
    run(Backend::for_len(x.len()), x, t, opts, Some(out), None, 1.0);
    Ok(())
}

/// The reduced BCE with logits (see the [module docs](self)).
///
/// ```
/// use sigmoid_kernels::loss::{bce_with_logits, BceOptions, Reduction};
/// let x = [0.0f32, 0.0];
/// let t = [1.0f32, 0.0];
/// let l = bce_with_logits(&x, &t, &BceOptions::default(), Reduction::Mean).unwrap();
/// assert_eq!(l, core::f32::consts::LN_2);
/// ```
///
/// # Errors
/// Bad options, or [`Reduction::None`]: see [`LossError`].
///
/// # Panics
/// If `x.len() != t.len()`; the message names both lengths.
pub fn bce_with_logits(
    x: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    reduction: Reduction,
) -> Result<f32, LossError> {
    check_len("bce_with_logits", "x", x.len(), "t", t.len());
    let n = divisor(reduction, x.len())?;
    opts.validate(x.len())?;
    let sum = run(Backend::for_len(x.len()), x, t, opts, None, None, 1.0);
    Ok(finish(sum, reduction, n))
}

/// The fused loss and gradient: returns the reduced loss and writes
/// `dx[i] = dL/dx[i]` (dℓᵢ/dxᵢ, divided by the element count for
/// [`Reduction::Mean`]) in one pass over x and t (each chunk of
/// [`LOSS_CHUNK`] elements is read from memory once and worked on in the
/// cache).
///
/// ```
/// use sigmoid_kernels::loss::{bce_with_logits_grad, BceOptions, Reduction};
/// let x = [20.0f32];
/// let t = [1.0f32];
/// let mut dx = [0.0f32];
/// let l = bce_with_logits_grad(&x, &t, &BceOptions::default(), Reduction::Sum, &mut dx).unwrap();
/// assert!((l - 2.061_153_6e-9).abs() < 1e-16);
/// assert!((dx[0] + 2.061_153_6e-9).abs() < 1e-16); // −σ(−20), not σ(20) − 1 = 0
/// ```
///
/// # Errors
/// Bad options, or [`Reduction::None`] (use
/// [`bce_with_logits_elementwise_grad`]): see [`LossError`]; `dx` is
/// untouched then.
///
/// # Panics
/// If `x`, `t` and `dx` differ in length; the message names the lengths.
pub fn bce_with_logits_grad(
    x: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    reduction: Reduction,
    dx: &mut [f32],
) -> Result<f32, LossError> {
    let name = "bce_with_logits_grad";
    check_len(name, "x", x.len(), "t", t.len());
    check_len(name, "x", x.len(), "dx", dx.len());
    let n = divisor(reduction, x.len())?;
    opts.validate(x.len())?;
    let scale = grad_scale(reduction, n);
    let sum = run(Backend::for_len(x.len()), x, t, opts, None, Some(dx), scale);
    Ok(finish(sum, reduction, n))
}

/// The fused form of [`Reduction::None`]: `out[i] = ℓᵢ` and
/// `dx[i] = dℓᵢ/dxᵢ` in one pass over x and t.
///
/// ```
/// use sigmoid_kernels::loss::{bce_with_logits_elementwise_grad, BceOptions};
/// let (x, t) = ([0.0f32], [0.0f32]);
/// let (mut out, mut dx) = ([0.0f32], [0.0f32]);
/// bce_with_logits_elementwise_grad(&x, &t, &BceOptions::default(), &mut out, &mut dx).unwrap();
/// assert_eq!((out[0], dx[0]), (core::f32::consts::LN_2, 0.5));
/// ```
///
/// # Errors
/// Bad options: see [`LossError`]; nothing is written then.
///
/// # Panics
/// If `x`, `t`, `out` and `dx` differ in length; the message names the
/// lengths.
pub fn bce_with_logits_elementwise_grad(
    x: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    out: &mut [f32],
    dx: &mut [f32],
) -> Result<(), LossError> {
    bce_with_logits_elementwise_grad_on(Backend::for_len(x.len()), x, t, opts, out, dx)
}

/// [`bce_with_logits_elementwise_grad`] on the given backend: one thread
/// for a SIMD backend, rayon's threads for [`Backend::Parallel`] (which
/// the other functions choose from [`crate::parallel_threshold`] elements
/// up). Every backend runs the same algorithm; the results may differ in
/// the last bit between backends (fused or separate multiply-adds), never
/// between thread counts.
///
/// ```
/// use sigmoid_kernels::{loss::{bce_with_logits_elementwise_grad_on, BceOptions}, Backend};
/// let (x, t) = ([20.0f32], [1.0f32]);
/// let (mut out, mut dx) = ([0.0f32], [0.0f32]);
/// let o = BceOptions::default();
/// bce_with_logits_elementwise_grad_on(Backend::Scalar, &x, &t, &o, &mut out, &mut dx).unwrap();
/// assert!((dx[0] + 2.061_153_6e-9).abs() < 1e-16);
/// ```
///
/// # Errors
/// Bad options: see [`LossError`]; nothing is written then.
///
/// # Panics
/// If `x`, `t`, `out` and `dx` differ in length (the message names the
/// lengths), or if the backend is not available on this CPU.
pub fn bce_with_logits_elementwise_grad_on(
    backend: Backend,
    x: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    out: &mut [f32],
    dx: &mut [f32],
) -> Result<(), LossError> {
    let name = "bce_with_logits_elementwise_grad";
    check_len(name, "x", x.len(), "t", t.len());
    check_len(name, "x", x.len(), "out", out.len());
    check_len(name, "x", x.len(), "dx", dx.len());
    backend.assert_available();
    opts.validate(x.len())?;
    run(backend, x, t, opts, Some(out), Some(dx), 1.0);
    Ok(())
}

/// The element count as an `f64` divisor, or the error for `None`.
pub(crate) fn divisor(reduction: Reduction, len: usize) -> Result<f64, LossError> {
    match reduction {
        Reduction::None => Err(LossError::Unreduced),
        Reduction::MeanLastAxis(classes) => {
            if !len.is_multiple_of(classes) {
                return Err(LossError::Classes { classes, len });
            }
            Ok(len as f64)
        }
        Reduction::Mean | Reduction::Sum => Ok(len as f64),
    }
}

/// `classes` is positive and divides `len`.
fn check_classes(classes: usize, len: usize) -> Result<(), LossError> {
    if classes == 0 || !len.is_multiple_of(classes) {
        return Err(LossError::Classes { classes, len });
    }
    Ok(())
}

/// The factor of the gradient: 1/n for the means, else 1.
pub(crate) fn grad_scale(reduction: Reduction, n: f64) -> f64 {
    match reduction {
        Reduction::Mean | Reduction::MeanLastAxis(_) => 1.0 / n,
        Reduction::Sum | Reduction::None => 1.0,
    }
}

pub(crate) fn finish(sum: f64, reduction: Reduction, n: f64) -> f32 {
    match reduction {
        Reduction::Mean | Reduction::MeanLastAxis(_) => (sum / n) as f32,
        Reduction::Sum | Reduction::None => sum as f32,
    }
}

/// Keras' `binary_crossentropy(t, x, from_logits=True)` for [batch,
/// classes] data: `out[b]` is the mean of the per-element losses of sample
/// b (elements `b·classes .. (b + 1)·classes`), added in `f64` in index
/// order and divided once, so each is within 1 ULP of the exact mean of the
/// `f32` losses. NaN in a sample gives NaN for that sample.
///
/// ```
/// use sigmoid_kernels::loss::{bce_with_logits_per_sample, BceOptions};
/// let x = [0.0f32, 0.0, 20.0, 20.0];
/// let t = [1.0f32, 0.0, 1.0, 1.0];
/// let mut out = [0.0f32; 2];
/// bce_with_logits_per_sample(&x, &t, &BceOptions::default(), 2, &mut out).unwrap();
/// assert_eq!(out[0], core::f32::consts::LN_2);
/// assert!((out[1] - 2.061_153_6e-9).abs() < 1e-16);
/// ```
///
/// # Errors
/// Bad options, or `classes` 0 or not dividing the length
/// ([`LossError::Classes`]); nothing is written then.
///
/// # Panics
/// If `x.len() != t.len()` or `out.len() != x.len() / classes`; the
/// message names the lengths.
pub fn bce_with_logits_per_sample(
    x: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    classes: usize,
    out: &mut [f32],
) -> Result<(), LossError> {
    let name = "bce_with_logits_per_sample";
    check_len(name, "x", x.len(), "t", t.len());
    check_classes(classes, x.len())?;
    assert!(
        out.len() == x.len() / classes,
        "{name}: length mismatch: out.len() = {}, but x holds {} samples \
         (x.len() = {} / {classes} classes)",
        out.len(),
        x.len() / classes,
        x.len()
    );
    opts.validate(x.len())?;
    let mut l = vec![0.0f32; x.len()];
    run(
        Backend::for_len(x.len()),
        x,
        t,
        opts,
        Some(&mut l),
        None,
        1.0,
    );
    mean_rows(&l, classes, out);
    Ok(())
}

/// `out[b]` = the `f64` mean of row b of `l` (rows of `classes`), added in
/// index order.
fn mean_rows(l: &[f32], classes: usize, out: &mut [f32]) {
    for (o, row) in out.iter_mut().zip(l.chunks_exact(classes)) {
        let s: f64 = row.iter().map(|&v| f64::from(v)).sum();
        *o = (s / classes as f64) as f32;
    }
}

/// Splits the work into [`LOSS_CHUNK`]s, runs the fused kernel on each (on
/// rayon's threads for [`Backend::Parallel`]) and adds their `f64` sums in
/// index order, so the threads never change the result.
fn run(
    backend: Backend,
    x: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    out: Option<&mut [f32]>,
    dx: Option<&mut [f32]>,
    grad_scale: f64,
) -> f64 {
    // The class weights repeated over one chunk plus one period, so that
    // every chunk's are one contiguous slice (from its first class on).
    let tiled: Option<(Vec<f32>, usize)> = opts.pos_weight.map(|p| {
        let len = p.len() + x.len().min(LOSS_CHUNK);
        ((0..len).map(|j| p[j % p.len()]).collect(), p.len())
    });
    let e = f64::from(opts.label_smoothing);
    let (keep, half) = (1.0 - e, e / 2.0);
    let mut outs = out.map(|o| o.chunks_mut(LOSS_CHUNK));
    let mut dxs = dx.map(|d| d.chunks_mut(LOSS_CHUNK));
    let jobs: Vec<Job<'_>> = x
        .chunks(LOSS_CHUNK)
        .zip(t.chunks(LOSS_CHUNK))
        .enumerate()
        .map(|(c, (x, t))| {
            let start = c * LOSS_CHUNK;
            Job {
                x,
                t,
                w: opts.weight.map(|w| &w[start..start + x.len()]),
                pw: tiled.as_ref().map(|(p, classes)| {
                    let off = start % classes;
                    &p[off..off + x.len()]
                }),
                out: outs.as_mut().and_then(Iterator::next),
                dx: dxs.as_mut().and_then(Iterator::next),
                keep,
                half,
                grad_scale,
            }
        })
        .collect();
    let sums: Vec<f64> = if backend == Backend::Parallel && jobs.len() > 1 {
        let best = Backend::best_simd();
        jobs.into_par_iter().map(|j| best.bce(j)).collect()
    } else {
        jobs.into_iter().map(|j| backend.bce(j)).collect()
    };
    // From +0 (`Sum` for floats starts at −0): an empty input's Sum is +0.
    sums.iter().fold(0.0, |a, b| a + b)
}
