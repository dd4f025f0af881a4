//! Binary cross-entropy on probabilities, PyTorch's `BCELoss`: the loss of
//! a network whose last layer already applied σ. Prefer the logits form
//! ([`super::bce_with_logits`]) where the logits exist: it is exact where
//! this one must clamp.
//!
//! The formulas and the comparison with Keras are in the docs of [`bce`].

use super::{check_len, divisor, finish, grad_scale, BceOptions, LossError, Reduction, LOSS_CHUNK};
use crate::Backend;
use rayon::prelude::*;

/// Bound of the per-element loss and gradient on probabilities: max error
/// in ULPs against [`crate::reference::bce_f64`] and
/// [`crate::reference::bce_grad_f64`] (for t ∈ [0, 1], finite weights
/// ≥ 0). Both are computed in `f64` and rounded once: the `f64` error is
/// far below an `f32` ULP except where the gradient's two terms cancel
/// (t' near p), where it is bounded in ULPs of the larger term, as for the
/// logits form.
pub const BCE_PROB_MAX_ULP: f64 = 1.0;

/// Per-element BCE on probabilities: `out[i] = ℓ(p[i], t[i])` (formula and
/// special values: [`bce`]).
///
/// ```
/// use sigmoid_kernels::loss::{bce_elementwise, BceOptions};
/// let p = [0.5f32, 0.0, 1.0];
/// let t = [1.0f32, 1.0, 1.0];
/// let mut out = [0.0f32; 3];
/// bce_elementwise(&p, &t, &BceOptions::default(), &mut out).unwrap();
/// assert_eq!(out, [core::f32::consts::LN_2, 100.0, 0.0]); // ln 0 clamped at −100
/// ```
///
/// # Errors
/// Bad options or a p outside [0, 1]: see [`LossError`]; nothing is
/// written then.
///
/// # Panics
/// If `p`, `t` and `out` differ in length; the message names the lengths.
pub fn bce_elementwise(
    p: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    out: &mut [f32],
) -> Result<(), LossError> {
    let name = "bce_elementwise";
    check_len(name, "p", p.len(), "t", t.len());
    check_len(name, "p", p.len(), "out", out.len());
    validate(p, opts)?;
    run(p, t, opts, Some(out), None, 1.0);
    Ok(())
}

/// The reduced BCE on probabilities ([`Reduction`] as for the logits).
///
/// With t' = t·(1 − ε) + ε/2 (Keras label smoothing), w the element's weight
/// and pw its class's positive weight (an extension: PyTorch's `BCELoss`
/// has none, pw = 1 is PyTorch):
///
/// - ℓ = −w·[pw·t'·max(ln p, −100) + (1 − t')·max(ln(1 − p), −100)]
/// - dℓ/dp = w·[(1 − t')·p − pw·t'·(1 − p)] / max(p·(1 − p), 10^−12), which
///   for pw = 1 is PyTorch's w·(p − t')/max(p·(1 − p), 10^−12)
///
/// computed per element in `f64` (1 − p is exact there) and rounded once,
/// so within [`BCE_PROB_MAX_ULP`] of [`crate::reference::bce_f64`] and
/// [`crate::reference::bce_grad_f64`].
///
/// **PyTorch vs Keras.** PyTorch clamps each log at −100, so p = 0 with
/// t = 1 costs 100 (not ∞) and the loss never exceeds 100·w·(pw·t' + 1 −
/// t'). Keras' `binary_crossentropy` (from probabilities) instead clips p
/// to [10^−7, 1 − 10^−7] before the logs: the loss is at most
/// −ln 10^−7 ≈ 16.1 per element and its gradient is 0 wherever p was
/// clipped, where PyTorch's (and this) gradient stays −1/p-like, floored at
/// a denominator of 10^−12. The two agree for p in [10^−7, 1 − 10^−7].
/// Reductions, weights, pos_weight broadcast, chunking and thread-count
/// determinism are those of the logits form (see [the module](super)).
///
/// p outside [0, 1] is an error ([`LossError::Probability`], as PyTorch
/// raises); NaN in p or t gives NaN in that element and the reduction.
///
/// ```
/// use sigmoid_kernels::loss::{bce, BceOptions, Reduction};
/// let l = bce(&[0.5f32, 0.5], &[1.0, 0.0], &BceOptions::default(), Reduction::Mean).unwrap();
/// assert_eq!(l, core::f32::consts::LN_2);
/// ```
///
/// # Errors
/// Bad options, a p outside [0, 1], [`Reduction::None`], or a class count
/// that does not divide the length: see [`LossError`].
///
/// # Panics
/// If `p.len() != t.len()`; the message names both lengths.
pub fn bce(
    p: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    reduction: Reduction,
) -> Result<f32, LossError> {
    check_len("bce", "p", p.len(), "t", t.len());
    let n = divisor(reduction, p.len())?;
    validate(p, opts)?;
    Ok(finish(run(p, t, opts, None, None, 1.0), reduction, n))
}

/// The reduced BCE on probabilities and its gradient `dp[i] = dL/dp[i]`
/// (divided by the element count for the means) in one pass.
///
/// ```
/// use sigmoid_kernels::loss::{bce_grad, BceOptions, Reduction};
/// let mut dp = [0.0f32; 2];
/// let o = BceOptions::default();
/// let l = bce_grad(&[0.25f32, 0.0], &[1.0, 1.0], &o, Reduction::Sum, &mut dp).unwrap();
/// assert_eq!(dp[0], -4.0); // (p − t)/(p·(1 − p))
/// assert_eq!(dp[1], -1e12); // the denominator floored at 1e−12
/// ```
///
/// # Errors
/// As [`bce`]; `dp` is untouched then.
///
/// # Panics
/// If `p`, `t` and `dp` differ in length; the message names the lengths.
pub fn bce_grad(
    p: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    reduction: Reduction,
    dp: &mut [f32],
) -> Result<f32, LossError> {
    let name = "bce_grad";
    check_len(name, "p", p.len(), "t", t.len());
    check_len(name, "p", p.len(), "dp", dp.len());
    let n = divisor(reduction, p.len())?;
    validate(p, opts)?;
    let sum = run(p, t, opts, None, Some(dp), grad_scale(reduction, n));
    Ok(finish(sum, reduction, n))
}

/// The per-element losses and gradients on probabilities in one pass.
///
/// # Errors
/// As [`bce_elementwise`].
///
/// # Panics
/// If `p`, `t`, `out` and `dp` differ in length.
pub fn bce_elementwise_grad(
    p: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    out: &mut [f32],
    dp: &mut [f32],
) -> Result<(), LossError> {
    let name = "bce_elementwise_grad";
    check_len(name, "p", p.len(), "t", t.len());
    check_len(name, "p", p.len(), "out", out.len());
    check_len(name, "p", p.len(), "dp", dp.len());
    validate(p, opts)?;
    run(p, t, opts, Some(out), Some(dp), 1.0);
    Ok(())
}

fn validate(p: &[f32], opts: &BceOptions<'_>) -> Result<(), LossError> {
    opts.validate(p.len())?;
    match p
        .iter()
        .position(|&v| !(v.is_nan() || (0.0..=1.0).contains(&v)))
    {
        Some(index) => Err(LossError::Probability {
            index,
            value: p[index],
        }),
        None => Ok(()),
    }
}

/// One chunk of [`run`].
struct Job<'a> {
    start: usize,
    p: &'a [f32],
    t: &'a [f32],
    out: Option<&'a mut [f32]>,
    dp: Option<&'a mut [f32]>,
}

/// Chunks of [`LOSS_CHUNK`], on rayon's threads from
/// [`crate::parallel_threshold`] elements up, their `f64` sums added in
/// index order (as the logits form, so the threads never change a bit).
fn run(
    p: &[f32],
    t: &[f32],
    opts: &BceOptions<'_>,
    out: Option<&mut [f32]>,
    dp: Option<&mut [f32]>,
    scale: f64,
) -> f64 {
    let mut outs = out.map(|o| o.chunks_mut(LOSS_CHUNK));
    let mut dps = dp.map(|d| d.chunks_mut(LOSS_CHUNK));
    let jobs: Vec<Job<'_>> = p
        .chunks(LOSS_CHUNK)
        .zip(t.chunks(LOSS_CHUNK))
        .enumerate()
        .map(|(c, (p, t))| Job {
            start: c * LOSS_CHUNK,
            p,
            t,
            out: outs.as_mut().and_then(Iterator::next),
            dp: dps.as_mut().and_then(Iterator::next),
        })
        .collect();
    let sums: Vec<f64> = if Backend::for_len(p.len()) == Backend::Parallel {
        jobs.into_par_iter()
            .map(|j| chunk(j, opts, scale))
            .collect()
    } else {
        jobs.into_iter().map(|j| chunk(j, opts, scale)).collect()
    };
    // From +0 (`Sum` for floats starts at −0): an empty input's Sum is +0.
    sums.iter().fold(0.0, |a, b| a + b)
}

/// One chunk, element by element in `f64`; returns the sum of the rounded
/// losses in the fixed order of the logits form (eight running sums over
/// the index mod 8, combined pairwise).
fn chunk(job: Job<'_>, opts: &BceOptions<'_>, scale: f64) -> f64 {
    let Job {
        start,
        p,
        t,
        mut out,
        mut dp,
    } = job;
    let e = f64::from(opts.label_smoothing);
    let (keep, half) = (1.0 - e, e / 2.0);
    let mut acc = [0.0f64; 8];
    for i in 0..p.len() {
        let g = start + i;
        let w = opts.weight.map_or(1.0, |w| f64::from(w[g]));
        let pw = opts.pos_weight.map_or(1.0, |c| f64::from(c[g % c.len()]));
        let ts = f64::from(t[i]) * keep + half;
        let (ca, cb) = (pw * ts, 1.0 - ts);
        let pv = f64::from(p[i]);
        let q = 1.0 - pv; // exact
        let log_p = pv.ln().max(-100.0);
        let log_q = q.ln().max(-100.0);
        // `max` would drop a NaN: put it back.
        let nan = if pv.is_nan() { f64::NAN } else { 0.0 };
        let l = (-w * (ca * log_p + cb * log_q) + nan) as f32;
        if let Some(o) = out.as_deref_mut() {
            o[i] = l;
        }
        if let Some(d) = dp.as_deref_mut() {
            let den = (pv * q).max(1e-12) + nan;
            d[i] = (w * (cb * pv - ca * q) / den * scale) as f32;
        }
        acc[i % 8] += f64::from(l);
    }
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}
