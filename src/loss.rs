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
//! Not here: probabilities (`bce`), SiLU, gradient statistics, the GPU.
//!
//! # Reductions
//!
//! [`Reduction::Mean`] divides the sum by the element count (PyTorch; not by
//! the sum of the weights), [`Reduction::Sum`] does not. Keras'
//! `binary_crossentropy` averages over the last axis per sample and then
//! over the batch: with equal class counts per sample that is the same
//! number as [`Reduction::Mean`] (up to rounding). The sum is accumulated
//! in `f64` over fixed chunks of [`LOSS_CHUNK`] elements whose partial sums
//! are added in index order, so the result has the same bits for any number
//! of rayon threads, and is within 1 ULP of the exact sum of the per-element
//! `f32` losses (the `f64` accumulation error is far below an `f32` ULP for
//! any length that fits in memory).
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
//! (σ(±∞) ∈ {0, 1}). A weight of 0 gives ℓ = 0 and dℓ/dx = 0 even for an
//! infinite logit. NaN in x or t gives NaN in that element, and in the
//! reduction. An empty input gives Sum = 0 and Mean = NaN (0/0, as
//! PyTorch).
//!
//! # Implementation and speed
//!
//! Each chunk of [`LOSS_CHUNK`] elements runs the crate's vector kernels
//! (softplus, log σ and, for the gradient, σ(x) and σ(−x), on the best
//! backend of the CPU) into chunk buffers while x and t are in the cache,
//! then combines the terms per element in `f64` (the weights, the smoothed
//! target, the zero-coefficient rule) and rounds once; chunks run on
//! rayon's threads. For |x| > 80, where softplus(−|x|) and σ(−|x|) are below
//! 2^−115, those two come from the `f64` formulas in
//! [`reference`](mod@crate::reference) instead (the `f32` kernels round them in
//! or near the subnormal range, which a weight above 1 would magnify).
//! This is the simple design, not a fused vector kernel: measured on the
//! (shared, AVX-512) development machine, 64K elements on one thread, the
//! fused loss and gradient take about 8 ns per element and the loss alone
//! about 4.4 ns, against 0.5 ns for [`crate::sigmoid`] in the same
//! process; far from a memory-bound pass.
//!
//! # Errors and panics
//!
//! Bad options are a [`LossError`] naming the problem (checked before any
//! output is written). Slices of different lengths (x, t, out, dx) panic
//! with both lengths, as every kernel of the crate does.

use crate::cpu::{check_len, Backend};
use core::fmt;
use rayon::prelude::*;

/// Bound of the per-element loss for t ∈ {0, 1}, no weights, no pos_weight
/// and ε = 0: max error in ULPs ([`crate::reference::ulp_error`]) against
/// [`crate::reference::bce_with_logits_f64`], for every finite and infinite
/// logit. The loss is then softplus(±x) itself, so this is
/// [`crate::SOFTPLUS_MAX_ULP`].
pub const BCE_BINARY_MAX_ULP: f64 = 2.0;
/// Bound of the per-element loss for any t ∈ [0, 1], finite non-negative
/// weights, pos_weight and ε: max error in ULPs against
/// [`crate::reference::bce_with_logits_f64`] (where that value is below
/// `f32::MAX`; above it the result is +∞). Both terms are non-negative and
/// combined in `f64`; each carries its softplus's error (≤
/// [`crate::SOFTPLUS_MAX_ULP`], 0.808 ULP measured) times its coefficient,
/// which may count up to twice as many ULPs of the product, so the sum is
/// within 2·0.808 ULP before its final rounding (0.5): about 2.1 in all.
pub const BCE_MAX_ULP: f64 = 4.0;
/// Bound of the gradient without weights or pos_weight: for t ∈ {0, 1} and
/// ε = 0, max error in ULPs against
/// [`crate::reference::bce_with_logits_grad_f64`] (the gradient is then σ(x)
/// or −σ(−x), times 1/n for Mean); for fractional t' (any t, any ε), the
/// absolute error is at most this many ULPs (`f32`) of the larger of the
/// two terms (1 − t')·σ(x) and t'·σ(−x) (they cancel near the minimum, where
/// no relative bound holds).
pub const BCE_GRAD_MAX_ULP: f64 = 2.0;
/// Bound of the gradient with weights and pos_weight (finite, ≥ 0): the
/// absolute error in ULPs (`f32`) of the larger of the two terms
/// |w·(1 − t')·σ(x)| and |w·pw·t'·σ(−x)|. Each term carries its σ's error
/// (≤ [`crate::SIGMOID_MAX_ULP`], 0.808 ULP measured) times its
/// coefficient, which may be up to twice the ULP of the product: with the
/// final rounding, 2·2·0.808 + 0.5 < 4.
pub const BCE_GRAD_WEIGHTED_MAX_ULP: f64 = 4.0;
/// Added to the gradient bounds for [`Reduction::Mean`]: the gradient is
/// rounded once after the division by n in `f64`, but the 1/n can move it
/// to a binade where σ's error counts up to twice as many ULPs (measured
/// 1.98 ULP for t ∈ {0, 1} over the test's 1.05M logits, against 0.77
/// elementwise).
pub const BCE_GRAD_MEAN_EXTRA_ULP: f64 = 0.5;

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
    /// `pos_weight.len()` is 0 or does not divide the length of x.
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
        }
    }
}

impl std::error::Error for LossError {}

impl BceOptions<'_> {
    /// Checks the options against an input of `len` elements.
    fn validate(&self, len: usize) -> Result<(), LossError> {
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
            if pw.is_empty() || !len.is_multiple_of(pw.len()) {
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

/// c·s, except that a zero coefficient times a number (∞ included) is 0:
/// the limit of the loss at an infinite logit, and a zero weight masking
/// its element. NaN stays NaN.
#[inline]
fn term(c: f64, s: f64) -> f64 {
    if c == 0.0 && !s.is_nan() {
        0.0
    } else {
        c * s
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
    run(x, t, opts, Some(out), None, 1.0);
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
    Ok(finish(run(x, t, opts, None, None, 1.0), reduction, n))
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
    let scale = if reduction == Reduction::Mean { n } else { 1.0 };
    Ok(finish(run(x, t, opts, None, Some(dx), scale), reduction, n))
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
    let name = "bce_with_logits_elementwise_grad";
    check_len(name, "x", x.len(), "t", t.len());
    check_len(name, "x", x.len(), "out", out.len());
    check_len(name, "x", x.len(), "dx", dx.len());
    opts.validate(x.len())?;
    run(x, t, opts, Some(out), Some(dx), 1.0);
    Ok(())
}

/// The element count as an `f64` divisor, or the error for `None`.
fn divisor(reduction: Reduction, len: usize) -> Result<f64, LossError> {
    match reduction {
        Reduction::None => Err(LossError::Unreduced),
        Reduction::Mean | Reduction::Sum => Ok(len as f64),
    }
}

fn finish(sum: f64, reduction: Reduction, n: f64) -> f32 {
    match reduction {
        Reduction::Mean => (sum / n) as f32,
        _ => sum as f32,
    }
}

/// One chunk's slices.
struct Job<'a> {
    start: usize,
    x: &'a [f32],
    t: &'a [f32],
    out: Option<&'a mut [f32]>,
    dx: Option<&'a mut [f32]>,
}

/// Splits the work into [`LOSS_CHUNK`]s, runs them (on rayon's threads from
/// [`crate::parallel_threshold`] elements up) and adds their `f64` sums in
/// index order, so the threads never change the result.
fn run(
    x: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    out: Option<&mut [f32]>,
    dx: Option<&mut [f32]>,
    scale: f64,
) -> f64 {
    let mut outs = out.map(|o| o.chunks_mut(LOSS_CHUNK));
    let mut dxs = dx.map(|d| d.chunks_mut(LOSS_CHUNK));
    let jobs: Vec<Job<'_>> = x
        .chunks(LOSS_CHUNK)
        .zip(t.chunks(LOSS_CHUNK))
        .enumerate()
        .map(|(c, (x, t))| Job {
            start: c * LOSS_CHUNK,
            x,
            t,
            out: outs.as_mut().and_then(Iterator::next),
            dx: dxs.as_mut().and_then(Iterator::next),
        })
        .collect();
    let sums: Vec<f64> = if jobs.len() > 1 && x.len() >= crate::parallel_threshold() {
        jobs.into_par_iter()
            .map(|j| chunk(j, opts, scale))
            .collect()
    } else {
        jobs.into_iter().map(|j| chunk(j, opts, scale)).collect()
    };
    sums.iter().sum()
}

/// From this |x| on, softplus(−|x|) and σ(−|x|) (< e^−80 ≈ 2^−115.4) are
/// computed in `f64` by [`saturated_terms`]: the `f32` kernels return them
/// rounded in (or near) the subnormal range, with an absolute error of up
/// to 2^−150 that a weight or pos_weight > 1 would turn into more than the
/// contract's ULPs of the weighted result. Below it every value is normal
/// with 2^−40 to spare, so a weight of up to 2^40 keeps the bound.
const SATURATED: f32 = 80.0;

/// For |x| > [`SATURATED`]: (softplus(−x), softplus(x), σ(x), σ(−x)) in
/// `f64` from e = e^−|x| alone: log1p(e) = e and e/(1 + e) = e to a
/// relative e/2 < 2^−116, so softplus(±|x|) is e or |x| + e and σ(±|x|) is
/// 1 − e or e. ±∞ gives e = 0.
fn saturated_terms(x: f64) -> (f64, f64, f64, f64) {
    let a = x.abs();
    let e = libm::exp(-a);
    if x > 0.0 {
        (e, a + e, 1.0 - e, e)
    } else {
        (a + e, e, e, 1.0 - e)
    }
}

/// One chunk: softplus(x), log σ(x) (= −softplus(−x)) and, for the
/// gradient, σ(x) and σ(−x) by the SIMD kernels of the best backend (in
/// `f64` by [`saturated_terms`] for |x| > [`SATURATED`]), then the terms
/// combined per element in `f64` and rounded once; returns the `f64` sum of
/// the rounded losses.
fn chunk(job: Job<'_>, opts: &BceOptions<'_>, scale: f64) -> f64 {
    let Job {
        start,
        x,
        t,
        out,
        dx,
    } = job;
    let b = Backend::best_simd();
    let n = x.len();
    // Per-element weights and per-class weights as plain slices (1 where
    // absent), so the combining loops have no branches and vectorize.
    let w = opts.weight.map_or(&ONES[..n], |w| &w[start..start + n]);
    let pw_buf: Vec<f32>;
    let pw: &[f32] = match opts.pos_weight {
        None => &ONES[..n],
        Some(p) => {
            pw_buf = (start..start + n).map(|i| p[i % p.len()]).collect();
            &pw_buf
        }
    };
    let coef = Coef::new(opts.label_smoothing);
    // Rare in practice: a branch-free count first, so the common case scans
    // x once, vectorized, and skips the fix-up loops.
    let saturated = x.iter().filter(|v| v.abs() > SATURATED).count() > 0;
    let mut sp = vec![0.0f32; n];
    b.softplus(x, &mut sp);
    let mut ls = vec![0.0f32; n];
    b.log_sigmoid(x, &mut ls);
    // The losses overwrite softplus(x) in `sp`.
    for i in 0..n {
        let (ca, cb) = coef.of(t[i], pw[i]);
        let l = term(ca, -f64::from(ls[i])) + term(cb, f64::from(sp[i]));
        sp[i] = term(f64::from(w[i]), l) as f32;
    }
    if let Some(dx) = dx {
        let s = &mut ls; // log σ(x) is no longer needed
        b.sigmoid(x, s);
        let mut sn: Vec<f32> = x.iter().map(|v| -v).collect();
        b.sigmoid_inplace(&mut sn);
        for i in 0..n {
            let (ca, cb) = coef.of(t[i], pw[i]);
            let g = cb * f64::from(s[i]) - ca * f64::from(sn[i]);
            dx[i] = (f64::from(w[i]) * g / scale) as f32;
        }
        if saturated {
            for i in (0..n).filter(|&i| x[i].abs() > SATURATED) {
                let (_, _, s_pos, s_neg) = saturated_terms(f64::from(x[i]));
                let (ca, cb) = coef.of(t[i], pw[i]);
                let g = cb * s_pos - ca * s_neg;
                dx[i] = (f64::from(w[i]) * g / scale) as f32;
            }
        }
    }
    if saturated {
        for i in (0..n).filter(|&i| x[i].abs() > SATURATED) {
            let (sp_neg, sp_pos, _, _) = saturated_terms(f64::from(x[i]));
            let (ca, cb) = coef.of(t[i], pw[i]);
            let l = term(ca, sp_neg) + term(cb, sp_pos);
            sp[i] = term(f64::from(w[i]), l) as f32;
        }
    }
    if let Some(out) = out {
        out.copy_from_slice(&sp);
    }
    sum_f64(&sp)
}

/// 1.0 for the absent weights of a chunk.
static ONES: [f32; LOSS_CHUNK] = [1.0; LOSS_CHUNK];

/// The coefficients of the two terms from t and pw, with t' = t·(1 − ε) +
/// ε/2 in `f64` (t' = t exactly for ε = 0).
#[derive(Clone, Copy)]
struct Coef {
    keep: f64,
    half: f64,
}

impl Coef {
    fn new(eps: f32) -> Coef {
        let e = f64::from(eps);
        Coef {
            keep: 1.0 - e,
            half: e / 2.0,
        }
    }
    /// (pw·t', 1 − t').
    #[inline]
    fn of(self, t: f32, pw: f32) -> (f64, f64) {
        let ts = f64::from(t) * self.keep + self.half;
        (f64::from(pw) * ts, 1.0 - ts)
    }
}

/// The `f64` sum of `v` in a fixed order: eight running sums over
/// i mod 8, then added pairwise. Independent of threads and backend.
fn sum_f64(v: &[f32]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut it = v.chunks_exact(8);
    for c in &mut it {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += f64::from(x);
        }
    }
    for (a, &x) in acc.iter_mut().zip(it.remainder()) {
        *a += f64::from(x);
    }
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}
