//! The stable companions of σ, written once over [`Lanes`]: softplus
//! log(1 + e^x), log-sigmoid −softplus(−x), and the gradient of σ from the
//! forward input, dy·σ(x)·σ(−x). They reuse the exact tier's pieces from
//! `sigma.rs` (the reduction |x| = k·ln2 + r, e^r as a pair, the quotient
//! as y₀·(1 + ρ)), so no step cancels and no intermediate overflows.
//!
//! Every function is `#[inline(always)]`, as in `sigma.rs`; the loops are in
//! `map.rs`, the per-call dispatch in `ops.rs`.

use super::lanes::Lanes;
use super::map::kernel;
use super::sigma::{exact_exp, exact_reduce, quotient_pair, LN2_HI, LN2_LO, LOG2E};

/// Q(w) = Σ w^j/(2j + 3), j = 0..6 (Taylor, coefficients rounded to f32):
/// log1p(t) = 2s·(1 + w·Q(w)) with s = t/(2 + t), w = s² ≤ 1/9. The
/// truncated tail w^7/17 is < 2^−29 relative to the result.
pub(crate) const Q: [f32; 7] = [
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
];

/// softplus(z) = log(1 + e^z), one vector, within 2 ULP for every `f32`.
///
/// With a = |z|, t = e^−a = m/N (m = 2^−k exact, N = e^r as a pair, from
/// the exact σ tier's reduction), log1p(t) = 2·atanh(s) with
/// s = t/(2 + t) = m/(2N + m): the same quotient as σ's, so
/// log1p(t) = m·y·(1 + w·Q(w)) with y = 1/(N + m/2) = y₀·(1 + ρ) and
/// w = s². The correction ρ + w·Q is added to y₀ in one rounding and the
/// power of two applied last (exact unless the result is subnormal, then
/// one rounding). z < 0: the result is that; z ≥ 0: z + log1p(t) with
/// the sum's rounding error carried along (TwoSum), so it rounds once,
/// never an overflow (e^z is never formed). NaN stays NaN; the reduction
/// clamps a to 104, where log1p(t) < 2^−150 rounds to 0.
#[inline(always)]
pub(crate) fn softplus_lanes<L: Lanes>(z: L) -> L {
    let (r1, r_lo, m) = exact_reduce(z);
    let (n_hi, n_lo) = exact_exp(r1, r_lo);
    let half = L::splat(0.5);
    let (y0, rho) = quotient_pair(n_hi, n_lo, m * half);
    // m capped at 2^−30 (k ≤ 30) wherever only its size matters: in s,
    // below that w·Q(w) < 2^−60 changes nothing; in z + m·y₀·(…), for
    // k > 30 (z > 20.8) the sum rounds to z either way. Uncapped, w⁴ would
    // be subnormal from |z| ≈ 22.4 on and m·y₀·corr from |z| ≈ 70, and a
    // subnormal costs a microcode assist per vector on x86 (3× slower).
    let mc = m.max(L::splat(S_M_MIN));
    let s = mc * y0 * half;
    let w = s * s;
    let corr = w.mul_add(log1p_series(w), rho);
    // z < 0: log1p(e^z), the correction added in one rounding.
    let neg = y0.mul_add(corr, y0) * m;
    // z ≥ 0: z + m·y₀ exactly as a sum and its error (Knuth's TwoSum), then
    // the small parts, so the sum rounds once; z ≥ 2^24 (and +∞) is z.
    let (lh, ll) = (y0 * mc, y0 * corr * mc);
    let sum = z + lh;
    let bv = sum - z;
    let err = (z - (sum - bv)) + (lh - bv);
    let pos = z.lt_select(L::splat(BIG), sum + (err + ll), z);
    z.select_sign(neg, pos)
}

/// Q(w) = Σ Q[j]·w^j (Estrin's scheme), the series of
/// log1p(t) = 2s·(1 + w·Q(w)) with s = t/(2 + t), w = s².
#[inline(always)]
pub(crate) fn log1p_series<L: Lanes>(w: L) -> L {
    let w2 = w * w;
    let p01 = w.mul_add(L::splat(Q[1]), L::splat(Q[0]));
    let p23 = w.mul_add(L::splat(Q[3]), L::splat(Q[2]));
    let p45 = w.mul_add(L::splat(Q[5]), L::splat(Q[4]));
    w2.mul_add(w2.mul_add(w2.mul_add(L::splat(Q[6]), p45), p23), p01)
}

/// The cap on m where softplus needs only its size (2^−30): see
/// [`softplus_lanes`].
pub(crate) const S_M_MIN: f32 = 1.0 / 1_073_741_824.0;

/// From here on softplus(z) = z: e^−z is far below half an ULP of z.
pub(crate) const BIG: f32 = 16_777_216.0;

/// Fast tier of softplus, one vector: relative error ≤ 1e−4 wherever the
/// result is ≥ 2^−126 (measured 1.8e−5), about twice the exact tier's speed.
///
/// The exact tier's reduction and e^r without its low part (N = n_hi,
/// 2^−24 relative), y = 1/(2N + m) from [`Lanes::recip`] (no correction),
/// s = m·y, w = s², and log1p(t) = 2s·(1 + w/3 + w²/5 + w³/7) (the series
/// truncated at w³: < 2^−15.8 relative, as w ≤ 1/9), with no TwoSum for
/// z ≥ 0 (z + log1p(t) rounds twice). m is capped as in the exact tier
/// where only its size matters. Results below e^−92 ≈ 1.1e−40 (subnormal,
/// where one rounding could exceed the relative bound) are flushed: z <
/// [`FAST_FLUSH`] gives +0. NaN stays NaN, +∞ gives +∞, −∞ gives +0.
#[inline(always)]
pub(crate) fn softplus_fast_lanes<L: Lanes>(z: L) -> L {
    let (r1, r_lo, m) = exact_reduce(z);
    let (n_hi, _) = exact_exp(r1, r_lo);
    let mc = m.max(L::splat(S_M_MIN));
    let y = n_hi.mul_add(L::splat(2.0), m).recip();
    let s = y * mc;
    let w = s * s;
    let p = w.mul_add(L::splat(2.0 / 7.0), L::splat(2.0 / 5.0));
    let p = w.mul_add(p, L::splat(2.0 / 3.0));
    let yp = y * w.mul_add(p, L::splat(2.0));
    let neg = z.lt_select(L::splat(FAST_FLUSH), L::splat(0.0), yp * m);
    let pos = z + yp * mc;
    z.select_sign(neg, pos)
}

/// Below this softplus_fast flushes to +0 (and log_sigmoid_fast above its
/// negation to −0): e^92 ≈ 1.1e−40, where the subnormal result's rounding
/// stays under 1e−5 relative.
pub(crate) const FAST_FLUSH: f32 = -92.0;

/// Fast tier of log σ(x) = −softplus_fast(−x), one vector.
#[inline(always)]
pub(crate) fn log_sigmoid_fast_lanes<L: Lanes>(x: L) -> L {
    -softplus_fast_lanes(-x)
}

/// log σ(x) = −softplus(−x), one vector (negation is exact, so the error
/// and special values mirror [`softplus_lanes`]).
#[inline(always)]
pub(crate) fn log_sigmoid_lanes<L: Lanes>(x: L) -> L {
    -softplus_lanes(-x)
}

/// |x| is clamped here in the gradient: dy·σ(x)·σ(−x) < 2^−150 for
/// |x| ≥ 194 even with |dy| = FLT_MAX (e^−194·2^128 < 2^−151.8), so it
/// rounds to ±0 there, and k = round(a·log2 e) ≤ 280.
pub(crate) const GRAD_CLAMP: f32 = 194.0;
/// 1.5·2^23: adding it rounds a value in [0, 2^22) to an integer.
pub(crate) const ROUNDER: f32 = 12_582_912.0;
/// 1.5·2^23 + 127: for an integral j in [0, 126], the bits of
/// `POW2_SHIFTER − j` end in 127 − j, the biased exponent of 2^−j.
pub(crate) const POW2_SHIFTER: f32 = 12_582_912.0 + 127.0;

/// (k, r₁, r_lo) with a = k·ln2 + r₁ + r_lo, k = round(a·log2 e), for
/// 0 ≤ a ≤ 2^15: the exact tier's reduction without its cap on k (r₁ is
/// exact, as there).
#[inline(always)]
pub(crate) fn reduce_rounded<L: Lanes>(a: L) -> (L, L, L) {
    let k = a.mul_add(L::splat(LOG2E), L::splat(ROUNDER)) - L::splat(ROUNDER);
    let kn = -k;
    let r1 = kn.mul_add(L::splat(LN2_HI), a);
    (k, r1, kn * L::splat(LN2_LO))
}

/// 2^−j, exactly, for lanes holding an integer j in [0, 126].
#[inline(always)]
pub(crate) fn pow2_neg<L: Lanes>(j: L) -> L {
    (L::splat(POW2_SHIFTER) - j).shl_exponent()
}

/// dx = dy·σ(x)·σ(−x), one vector, within 2 ULP of the `f64` value for
/// every `f32` x and finite dy.
///
/// With a = |x| = k·ln2 + r (k ≤ 280, the reduction of the exact tier
/// without its cap) and N = e^r as a pair, σ(a)·σ(−a) = 2^−k·h with
/// h = N/(N + 2^−k)² = N·y², y = 1/(N + 2^−k) = y₀·(1 + ρ) (2^−k enters
/// the quotient capped at 2^−60, below any effect on it). h is formed as
/// n_hi·y₀² with the exact errors of both products (fused
/// multiply-subtracts), the 2ρ term and n_lo, then rounded once
/// (h ∈ [0.24, 1.42]; a small fraction of an ULP before that rounding, so
/// ≤ 1 ULP after it). Then dy·(h·2^−min(k, 100)) rounds once more (never
/// overflows: the factor is ≤ 0.71), 0.5 ULP: about 1.5 ULP in all, under
/// the 2 ULP contract. The rest of
/// 2^−k is applied in two exact steps of at most 2^−90, which round only
/// where the result is subnormal. So the gradient
/// never cancels (no 1 − y) and stays nonzero wherever dy·σ(x)·σ(−x) is
/// above the subnormal range. NaN in either input gives NaN; x = ±∞ gives
/// dy·0 (±0, NaN for dy = ±∞), while every finite x has a positive
/// gradient, so dy = ±∞ gives ±∞ there.
#[inline(always)]
pub(crate) fn backward_from_input_lanes<L: Lanes>(x: L, dy: L) -> L {
    let ax = x.abs();
    let a = ax.min(L::splat(GRAD_CLAMP));
    let (k, r1, r_lo) = reduce_rounded(a);
    let (n_hi, n_lo) = exact_exp(r1, r_lo);
    let (y0, rho) = quotient_pair(n_hi, n_lo, pow2_neg(k.min(L::splat(60.0))));
    let s = y0 * y0;
    let s_err = -y0.mul_sub_exact(y0, s); // y₀² − s, exact
    let hh = n_hi * s;
    let h_err = -n_hi.mul_sub_exact(s, hh); // n_hi·s − hh, exact
    let t = s.mul_add(rho + rho, s_err);
    let h = hh + n_hi.mul_add(t, n_lo.mul_add(s, h_err));
    let j1 = k.min(L::splat(100.0));
    let k2 = k - j1;
    let j2 = k2.min(L::splat(90.0));
    let v = dy * (h * pow2_neg(j1));
    let g = v * pow2_neg(j2) * pow2_neg(k2 - j2);
    ax.lt_select(L::splat(f32::INFINITY), g, g * L::splat(0.0))
}

kernel!(SoftplusK: Apply1, softplus_lanes);
kernel!(LogSigmoidK: Apply1, log_sigmoid_lanes);
kernel!(SoftplusFastK: Apply1, softplus_fast_lanes);
kernel!(LogSigmoidFastK: Apply1, log_sigmoid_fast_lanes);
kernel!(BackwardFromInputK: Apply2, backward_from_input_lanes);
