//! The fused BCE-with-logits kernel of [`crate::loss`]: per-element loss,
//! gradient and the `f64` sum of the losses in one pass over x and t,
//! written once over [`Lanes`] and instantiated by every backend.
//!
//! Per block of [`BLOCK`] elements (in the L1 cache) it runs two stages:
//!
//! 1. **Vector, `f32`** ([`transcendentals`]): from a = |x| = k·ln2 + r,
//!    the one reduction and e^r pair of the exact σ tier, then both
//!    quotients that need it: log1p(e^−a) = 2^−k·(Y + Y') (the series of
//!    the softplus kernel in `stable.rs`) and σ(−a) = 2^−k·(S + S'), each
//!    as an unevaluated pair of normal `f32`s (about 40 bits: the quotient
//!    from a reciprocal estimate and its correction, no division where the
//!    backend has an estimate), and k. k is not capped at 149 as in those
//!    kernels: a weight can lift a term that `f32` would round in the
//!    subnormal range back to normal size, so the power of two is applied
//!    in `f64`, where it is exact down to e^−300 (|x| is clamped there; a
//!    weighted term below e^−300·2^256 rounds to 0 in `f32` whatever its
//!    exact value).
//! 2. **Scalar `f64`, vectorized by the compiler** ([`combine`]): the
//!    pairs, the smoothed target, the weights, 2^−k and the sign combined
//!    in `f64`, each result rounded to `f32` once, and the losses added
//!    into eight `f64` running sums over the index mod 8.
//!
//! A plain job (no weights, no pos_weight, no label smoothing: the common
//! case, t any value) instead runs both stages vector by vector, without
//! block buffers, its stage 2 in `f32` ([`combine_plain`]: the loss term
//! L rounded once, σ(−a) as an unnormalized pair, the gradient's
//! difference by Fast2Sum, exact for t ∈ {0, 1}, and rounded once, the
//! loss with one rounding more where the example disagrees with its
//! target; twice the lanes of `f64` and no conversions); only the running
//! sums stay in `f64`. Where the backend looks up 32 entries and scales
//! by a power of two in one instruction each (AVX-512), its stage 1 is
//! the table form of the exact σ tier instead (`sigma_table.rs`:
//! [`table_terms`], two denominators from one T·(1 + g), about 40 bits
//! each as above) in passes over a few vectors ([`table_steps`]);
//! elsewhere it is [`terms`], two vectors at a time.
//!
//! With x ≥ 0, softplus(x) = a + L and softplus(−x) = L for L = log1p(e^−a),
//! σ(x) = 1 − u and σ(−x) = u for u = σ(−a); x < 0 swaps them. So every
//! term of the loss and the gradient comes from one exponential and two
//! quotients per element, and nothing cancels before the `f64`
//! combination, whose own error is far below an `f32` ULP: each result is
//! within the pairs' error (that of e^r, under 0.11 ULP) of its correctly
//! rounded value, plus that one rounding.
//!
//! Not here: option checks, chunking and threads (`loss.rs`).

use super::lanes::{Lanes, MAX_WIDTH};
use super::sigma::{denominator, exact_exp, recip_pair, EXACT_CLAMP, LN2_HI, LN2_LO, LOG2E};
use super::sigma_table::{denominator_of, exp_table, reduce_abs};
use super::stable::{log1p_series, pow2_neg, ROUNDER, S_M_MIN};

/// Elements per block: the per-block buffers (five `f32` arrays) and the
/// block's x, t, weights and outputs stay in the L1 cache between the two
/// stages (a plain job's block only buffers its losses for the sums). A multiple of 8 (the running sums) and of every vector width.
const BLOCK: usize = 512;

/// |x| is clamped here in the reduction: e^−300 < 2^−432, and a term's
/// coefficient w·pw·t' is at most 2^256 (finite f32 weights), so any term
/// past the clamp is below 2^−176 and rounds to 0 in `f32` either way. k
/// stays ≤ 433 (exact in the shifter and in `f64`'s exponent).
const CLAMP: f32 = 300.0;

/// Above this k the power of two in the quotients' denominators is 2^−60:
/// far below any effect on them (as in the gradient from the input).
const QUOTIENT_K_CAP: f32 = 60.0;

/// One chunk's work: inputs, the optional per-element weights and per-class
/// weights (already aligned with x: element i's class weight is `pw[i]`),
/// outputs, the smoothing coefficients and the gradient's scale.
pub(crate) struct Job<'a> {
    /// Logits.
    pub(crate) x: &'a [f32],
    /// Targets.
    pub(crate) t: &'a [f32],
    /// Per-element weights (same length as x) or none.
    pub(crate) w: Option<&'a [f32]>,
    /// Per-element positive weights (same length as x) or none.
    pub(crate) pw: Option<&'a [f32]>,
    /// Per-element losses, if wanted.
    pub(crate) out: Option<&'a mut [f32]>,
    /// Gradients, if wanted.
    pub(crate) dx: Option<&'a mut [f32]>,
    /// t' = t·keep + half (label smoothing: keep = 1 − ε, half = ε/2).
    pub(crate) keep: f64,
    /// See `keep`.
    pub(crate) half: f64,
    /// The gradient is multiplied by this (1/n for Mean, else 1).
    pub(crate) grad_scale: f64,
}

/// 1/(N + m) for N = n_hi + n_lo (m ≤ N) as y₀·(1 + e): y₀ from
/// [`Lanes::recip_estimate`] (to within 2^−14; the correctly rounded
/// quotient where the backend has no estimate), ρ = 1 − y₀·(N + m) (the
/// high product exact in a fused multiply-subtract) and e = ρ + ρ², which
/// leaves ρ³ < 2^−42. No division where the backend has an estimate.
#[inline(always)]
fn quotient<L: Lanes>(n_hi: L, n_lo: L, m: L) -> (L, L) {
    let (d_hi, d_lo) = denominator(n_hi, n_lo, m);
    let y0 = d_hi.recip_estimate();
    let rho = y0.mul_sub_exact(d_hi, L::splat(1.0));
    let rho = y0.mul_neg_add(d_lo, rho);
    (y0, rho.mul_add(rho, rho))
}

/// The vector stage, one vector: log1p(e^−|x|) = 2^−k·y₀·(1 + corr) and,
/// for `GRAD`, σ(−|x|) = 2^−k·s₀·(1 + e) (zeros otherwise), as
/// [y₀, corr, s₀, e, k]: each quotient an estimate and its relative
/// correction (a few percent at most, so the pair y₀ + y₀·corr carries
/// about 40 bits: [`pairs`] forms it for stage 2, which adds it in `f64`
/// and rounds once; [`combine_plain`] folds it into fused multiply-adds).
/// NaN gives NaN throughout.
///
/// With t = e^−a = 2^−k/N: log1p(t) = 2s·(1 + w·Q(w)) for s = t/(2 + t) =
/// 2^−k·y/2, y = 1/(N + 2^−k/2), w = s² (the series of `stable.rs`); and
/// σ(−a) = t/(1 + t) = 2^−k/(N + 2^−k). 2^−k enters both denominators
/// capped at 2^−60 (below any effect on them).
#[inline(always)]
fn terms<L: Lanes, const GRAD: bool>(x: L) -> [L; 5] {
    let half = L::splat(0.5);
    let a = x.abs().min(L::splat(CLAMP));
    let k = a.mul_add(L::splat(LOG2E), L::splat(ROUNDER)) - L::splat(ROUNDER);
    let kn = -k;
    let r1 = kn.mul_add(L::splat(LN2_HI), a); // a − k·LN2_HI, exact
    let r_lo = kn * L::splat(LN2_LO);
    let (n_hi, n_lo) = exact_exp(r1, r_lo);
    let m = L::pow2i_or(kn.max(L::splat(-QUOTIENT_K_CAP)), || {
        pow2_neg(k.min(L::splat(QUOTIENT_K_CAP)))
    });
    let mh = m * half;
    let (y0, e) = quotient(n_hi, n_lo, mh);
    // s with m capped at 2^−30, as in softplus: below it w·Q(w) < 2^−60
    // matters to nothing, and the uncapped w² would be subnormal from
    // |x| ≈ 22 on (a microcode assist per vector on x86).
    let s = mh.max(L::splat(S_M_MIN * 0.5)) * y0.mul_add(e, y0);
    let w = s * s;
    let wq = w * log1p_series(w);
    let corr = wq.mul_add(e, wq + e); // (1 + e)(1 + wq) − 1
    let (s0, se) = if GRAD {
        quotient(n_hi, n_lo, m)
    } else {
        (L::splat(0.0), L::splat(0.0))
    };
    [y0, corr, s0, se, k]
}

/// [`terms`]' quotients as the pairs Y = y₀ + y₀·corr and S = s₀ + s₀·e.
#[inline(always)]
fn pairs<L: Lanes>(v: [L; 5]) -> [L; 5] {
    let [y0, corr, s0, se, k] = v;
    [y0, y0 * corr, s0, s0 * se, k]
}

/// Stage 1 over a block: the five outputs of [`pairs`] per element into
/// `buf` (the two σ parts only for `GRAD`).
#[inline(always)]
fn transcendentals<L: Lanes, const GRAD: bool>(x: &[f32], buf: &mut [[f32; BLOCK]; 5]) {
    let w = L::WIDTH;
    let n = x.len();
    let body = n - n % w;
    for i in (0..body).step_by(w) {
        let v = pairs(terms::<L, GRAD>(L::load(&x[i..i + w])));
        for (j, (v, b)) in v.into_iter().zip(buf.iter_mut()).enumerate() {
            if GRAD || !(j == 2 || j == 3) {
                v.store(&mut b[i..i + w]);
            }
        }
    }
    if body < n {
        let v = pairs(terms::<L, GRAD>(L::load_partial(&x[body..])));
        for (j, (v, b)) in v.into_iter().zip(buf.iter_mut()).enumerate() {
            if GRAD || !(j == 2 || j == 3) {
                v.store_partial(&mut b[body..n]);
            }
        }
    }
}

/// |x| is capped here in stage 2: ±∞ becomes 2^700, so a zero coefficient
/// or weight times it is 0 (the limit of the loss
/// at an infinite logit, and a zero weight masking its element) without a
/// select, while any nonzero product of the capped term with coefficients
/// and weights that are finite `f32` values (≥ 2^−447 together) is far above
/// `f32::MAX` and rounds to +∞ as the true value does. NaN stays NaN.
const INF_CAP: f64 = 5.260_135_901_548_374e210; // 2^700

/// 2^−k in `f64` for an integral k in [0, 433] held in an `f32`: the
/// integer lands in the low mantissa bits of (1023 − k) + 2^52, which
/// shifted into the exponent field are the biased exponent of 2^−k.
/// Garbage for NaN k, which only comes with a NaN Y and S.
#[inline(always)]
fn pow2_neg_f64(k: f32) -> f64 {
    f64::from_bits((1023.0 - f64::from(k) + 4_503_599_627_370_496.0).to_bits() << 52)
}

/// The per-block inputs of stage 2 (one element each, all the same length).
struct Block<'a> {
    x: &'a [f32],
    t: &'a [f32],
    w: &'a [f32],
    pw: &'a [f32],
    /// The outputs of stage 1.
    v: &'a [[f32; BLOCK]; 5],
}

/// Stage 2 over a block: losses into `lo`, gradients (for `GRAD`) into
/// `go`; `WEIGHTED` reads `w` and `pw` (else both are 1).
///
/// With c_far the coefficient of the term that grows with a (1 − t' for
/// x ≥ 0, pw·t' for x < 0) and c = pw·t' + 1 − t':
/// ℓ = w·(c_far·a + c·L) and dℓ/dx = ±w·(c_far − c·u) (+ for x ≥ 0),
/// both in `f64` (where the subtraction's error is far below an `f32` ULP
/// of the larger term) and rounded once.
#[inline(always)]
fn combine<const GRAD: bool, const WEIGHTED: bool>(
    job: &Job<'_>,
    b: &Block<'_>,
    lo: &mut [f32],
    go: &mut [f32],
) {
    let n = b.x.len();
    let (x, t) = (&b.x[..n], &b.t[..n]);
    let nw = if WEIGHTED { n } else { 0 };
    let (w, pw) = (&b.w[..nw], &b.pw[..nw]);
    let (yh, yl, k) = (&b.v[0][..n], &b.v[1][..n], &b.v[4][..n]);
    let g = if GRAD { n } else { 0 };
    let (sh, sl) = (&b.v[2][..g], &b.v[3][..g]);
    let lo = &mut lo[..n];
    let go = &mut go[..g];
    let (keep, half, scale) = (job.keep, job.half, job.grad_scale);
    for i in 0..n {
        let xv = f64::from(x[i]);
        let a = if xv.abs() > INF_CAP {
            INF_CAP
        } else {
            xv.abs()
        };
        let p = pow2_neg_f64(k[i]);
        let l1 = (f64::from(yh[i]) + f64::from(yl[i])) * p; // log1p(e^−a)
        let ts = f64::from(t[i]) * keep + half;
        let ca = if WEIGHTED { f64::from(pw[i]) * ts } else { ts };
        let cb = 1.0 - ts;
        let wv = if WEIGHTED { f64::from(w[i]) } else { 1.0 };
        let pos = xv >= 0.0; // false for NaN, whose a is NaN
        let c_far = if pos { cb } else { ca };
        let c = ca + cb;
        lo[i] = (wv * (c_far * a + c * l1)) as f32;
        if GRAD {
            let u = (f64::from(sh[i]) + f64::from(sl[i])) * p; // σ(−a)
            let d = wv * (c_far - c * u) * scale;
            go[i] = (if pos { d } else { -d }) as f32;
        }
    }
}

/// A plain job's terms, one vector: [l, u_h, u_l] with l = log1p(e^−|x|)
/// rounded once (subnormal included) and, for `GRAD`, σ(−|x|) = u_h + u_l
/// (zeros otherwise): u_h = 2^−k·s₀ and u_l = 2^−k·(s₀·e), each rounded
/// once (exact while normal), an unnormalized pair (|u_l| < 2^−13·u_h)
/// that carries about 40 bits. Where the backend looks up tables and
/// scales in one instruction each ([`Lanes::EXACT_TABLE`]) from
/// [`table_terms`], else from [`terms`], the power of two applied as
/// 2^−min(k, 60) (exact) then 2^−min(k − 60, 126), which rounds only into
/// the subnormal range. NaN gives NaN throughout.
#[inline(always)]
fn plain_terms<L: Lanes, const GRAD: bool>(x: L) -> [L; 3] {
    if L::EXACT_TABLE {
        return table_terms::<L, GRAD>(x);
    }
    let [y0, corr, s0, se, k] = terms::<L, GRAD>(x);
    let zero = L::splat(0.0);
    let kn = -k;
    let scaled = |v: L| {
        v.scale_or(kn, || {
            let m1 = pow2_neg(k.min(L::splat(QUOTIENT_K_CAP)));
            let m2 = pow2_neg(
                (k - L::splat(QUOTIENT_K_CAP))
                    .max(zero)
                    .min(L::splat(126.0)),
            );
            (v * m1) * m2
        })
    };
    let l = scaled(y0.mul_add(corr, y0));
    if !GRAD {
        return [l, zero, zero];
    }
    [l, scaled(s0), scaled(s0 * se)]
}

/// [`plain_terms`] in the table form of σ's exact tier
/// (`sigma_table.rs`): a = min(|x|, 104) (past it both terms are below
/// 2^−150 and round to 0), kn = −k/32 = K + j/32 and
/// e^−a = 2^K/(T_j·e^u) from its reduction and degree-3 e^u, then the two
/// denominators of [`terms`] from the same T_HI·(1 + g):
/// D₁ = T_HI·(1 + g) + 2^(K−1) for log1p (s = 2^(K−1)/D₁) and
/// D₂ = T_HI·(1 + g) + 2^K for σ(−a) = 2^K/D₂, each as a pair to within
/// 2^−28.8 relative (that module's analysis, for either power of two).
/// Each reciprocal is y₀·(1 + ρ) (the estimate's error squared, ρ² <
/// 2^−28, is left), and the series is [`Q4`] (2^−29.9). So
/// L = 2^K·y₀·(1 + corr) is within 2^−25.9 relative of log1p(e^−a)
/// before its one rounding (w's roundings, at most 5·2^−24 of w, times
/// wQ ≤ 0.039 are 2^−26.4 of that, at a near 0 where w is largest; the
/// rest adds 2^−27.1), and u_h + u_l within 2^−27.4 of σ(−a). The
/// powers of two are applied by [`Lanes::scale_pow2`] (2^⌊kn⌋ = 2^K),
/// rounding once.
#[inline(always)]
fn table_terms<L: Lanes, const GRAD: bool>(x: L) -> [L; 3] {
    table_quotients::<L, GRAD>(table_denominators::<L, GRAD>(x))
}

/// [`table_terms`]' first stage: [kn, 2^(K−1), d₁_hi, d₁_lo, d₂_hi,
/// d₂_lo] (the second pair only for `GRAD`, zeros otherwise).
#[inline(always)]
fn table_denominators<L: Lanes, const GRAD: bool>(x: L) -> [L; 6] {
    let zero = L::splat(0.0);
    let a = x.abs().min(L::splat(EXACT_CLAMP)); // NaN stays NaN
    let (u, kf, kn) = reduce_abs(a);
    let (th, g) = exp_table(u, kf);
    let mh = L::splat(0.5).scale_pow2(kn); // 2^(K−1)
    let (d1_hi, d1_lo) = denominator_of(th, g, mh);
    // 2^K (0 for K = −149, where 2^−149 is far below any effect on D₂).
    let (d2_hi, d2_lo) = if GRAD {
        denominator_of(th, g, mh + mh)
    } else {
        (zero, zero)
    };
    [kn, mh, d1_hi, d1_lo, d2_hi, d2_lo]
}

/// Q(w) ≈ (atanh(√w)/√w − 1)/w on [0, 1/9] to degree 4 (Chebyshev fit,
/// coefficients rounded to `f32`): |w·(Q − P)| < 2^−29.9, the series of
/// [`log1p_series`] (degree 6, Taylor: 2^−30.4 with its `f32`
/// coefficients) in two operations fewer.
const Q4: [f32; 5] = [
    0.333_333_34,
    0.199_998_53,
    0.142_961_79,
    0.108_532_876,
    0.116_121_65,
];

/// [`table_terms`]' second stage: the quotients and the series.
#[inline(always)]
fn table_quotients<L: Lanes, const GRAD: bool>(v: [L; 6]) -> [L; 3] {
    let [kn, mh, d1_hi, d1_lo, d2_hi, d2_lo] = v;
    let zero = L::splat(0.0);
    let (y0, e) = recip_pair(d1_hi, d1_lo);
    // s capped as in [`terms`] (w stays normal).
    let s = mh.max(L::splat(S_M_MIN * 0.5)) * y0.mul_add(e, y0);
    let w = s * s;
    let w2 = w * w;
    let p01 = w.mul_add(L::splat(Q4[1]), L::splat(Q4[0]));
    let p23 = w.mul_add(L::splat(Q4[3]), L::splat(Q4[2]));
    let wq = w * w2.mul_add(w2.mul_add(L::splat(Q4[4]), p23), p01);
    let corr = wq.mul_add(e, wq + e); // (1 + e)(1 + wq) − 1
    let l = y0.mul_add(corr, y0).scale_pow2(kn);
    if !GRAD {
        return [l, zero, zero];
    }
    let (s0, se) = recip_pair(d2_hi, d2_lo);
    [l, s0.scale_pow2(kn), (s0 * se).scale_pow2(kn)]
}

/// Stage 2 in `f32` for a plain job (no weights, no pos_weight, no label
/// smoothing: c = 1), one vector, from [`plain_terms`]: the loss and, for
/// `GRAD`, the gradient times the scale sc = sc_h + sc_l (1/n as a pair of
/// `f32`s). No conversions and twice the lanes of [`combine`].
///
/// c_far (1 − t for x ≥ 0, t for x < 0) is the pair ch + cl (1 − t by
/// Fast2Sum, exact for t ∈ [0, 1]; cl = 0 for x < 0 and for t ∈ {0, 1}).
///
/// - ℓ = ch·|x| + (cl·|x| + l) in two fused multiply-adds. Where
///   c_far = 0 (t ∈ {0, 1}, the example agreeing with its target) that is
///   ℓ = l itself; for t ∈ {0, 1} otherwise, ℓ = |x| + l rounded once
///   more: l's rounding (≤ half an ULP of l ≤ |x| + l) plus that one, at
///   most one ULP. |x| = ∞ gives ∞, 0 where ch = 0 (the limit: |x| is
///   replaced by 0 there, and capped at `f32::MAX` in cl's product).
/// - dℓ/dx = ∓(u − c_far)·sc: d = u_h − ch by Fast2Sum (exact where
///   ch ∈ {0, 1} ≥ u_h, i.e. t ∈ {0, 1}; for fractional t its error is at
///   most half an ULP of u_h, the larger term's), its error, u_l and −cl
///   as the low part, times the pair sc in two fused multiply-adds: one
///   rounding where u is normal; in the subnormal range u_h and u_l are
///   each rounded to the grid, and where sc ≠ 1 the product rounds again
///   (within [`crate::loss`]'s Mean allowance). Negated last for x ≥ 0
///   (−0 − g), so that an underflowed −u is −0 there, the sign of its
///   limit.
///
/// NaN in x or t gives NaN in both.
#[inline(always)]
fn combine_plain<L: Lanes, const GRAD: bool>(x: L, t: L, v: [L; 3], sc: (L, L)) -> (L, L) {
    let [l, uh, ul] = v;
    let zero = L::splat(0.0);
    let one = L::splat(1.0);
    let ch = x.lt_zero_select_sub(one, t); // t for x < 0, else 1 − t
    let cl = x.lt_zero_select_sub((one - ch) - t, zero); // 0 for x < 0
    let a = x.abs();
    let a_cap = a.min(L::splat(f32::MAX)); // NaN stays NaN
    let a_far = ch.abs().lt_select(L::splat(f32::from_bits(1)), zero, a);
    let loss = ch.mul_add(a_far, cl.mul_add(a_cap, l));
    if !GRAD {
        return (loss, zero);
    }
    let (sc_h, sc_l) = sc;
    let d = uh - ch;
    let dl = ((uh - (d + ch)) + ul) - cl;
    let g = d.mul_add(sc_h, d.mul_add(sc_l, dl * sc_h));
    (loss, x.lt_zero_select_sub(L::splat(-0.0), g))
}

/// Both stages for a plain job's block, one vector at a time (no block
/// buffers): losses into `lo`, gradients (for `GRAD`) into `go`.
#[inline(always)]
fn plain_block<L: Lanes, const GRAD: bool>(
    x: &[f32],
    t: &[f32],
    lo: &mut [f32],
    go: &mut [f32],
    sc: (L, L),
) {
    let w = L::WIDTH;
    let n = x.len();
    let (t, lo) = (&t[..n], &mut lo[..n]);
    let go = &mut go[..if GRAD { n } else { 0 }];
    let body = if L::EXACT_TABLE {
        table_steps::<L, GRAD>(x, t, lo, go, sc)
    } else {
        // Stage 1 of PLAIN_VECS vectors before their stage 2: independent
        // chains side by side for the out-of-order core (measured in
        // `docs/benchmarks.md`).
        let step = w * PLAIN_VECS;
        let body = n - n % step;
        for i in (0..body).step_by(step) {
            let mut xv = [L::splat(0.0); PLAIN_VECS];
            let mut v = [[L::splat(0.0); 3]; PLAIN_VECS];
            for j in 0..PLAIN_VECS {
                xv[j] = L::load(&x[i + j * w..i + j * w + w]);
                v[j] = plain_terms::<L, GRAD>(xv[j]);
            }
            for (j, (&xv, v)) in xv.iter().zip(v).enumerate() {
                let o = i + j * w;
                let (l, g) = combine_plain::<L, GRAD>(xv, L::load(&t[o..o + w]), v, sc);
                l.store(&mut lo[o..o + w]);
                if GRAD {
                    g.store(&mut go[o..o + w]);
                }
            }
        }
        body
    };
    // The rest (the job's last block) one vector at a time.
    for i in (body..n).step_by(w) {
        let e = n.min(i + w);
        let (xv, tv) = if e - i == w {
            (L::load(&x[i..e]), L::load(&t[i..e]))
        } else {
            (L::load_partial(&x[i..e]), L::load_partial(&t[i..e]))
        };
        let (l, g) = combine_plain::<L, GRAD>(xv, tv, plain_terms::<L, GRAD>(xv), sc);
        if e - i == w {
            l.store(&mut lo[i..e]);
            if GRAD {
                g.store(&mut go[i..e]);
            }
        } else {
            l.store_partial(&mut lo[i..e]);
            if GRAD {
                g.store_partial(&mut go[i..e]);
            }
        }
    }
}

/// Vectors per step of [`plain_block`] (a [`BLOCK`] holds a whole number
/// of steps at every width).
const PLAIN_VECS: usize = 2;

/// [`plain_block`]'s steps in the table form: [`TABLE_VECS`] vectors at a
/// time in three passes ([`table_denominators`] of each, then
/// [`table_quotients`] of each, then [`combine_plain`] of each), so that
/// each pass is a run of independent short chains; returns how many
/// elements it did (the rest is the caller's).
#[inline(always)]
fn table_steps<L: Lanes, const GRAD: bool>(
    x: &[f32],
    t: &[f32],
    lo: &mut [f32],
    go: &mut [f32],
    sc: (L, L),
) -> usize {
    let w = L::WIDTH;
    let n = x.len();
    let (t, lo) = (&t[..n], &mut lo[..n]);
    let go = &mut go[..if GRAD { n } else { 0 }];
    let step = w * TABLE_VECS;
    let body = n - n % step;
    let zero = L::splat(0.0);
    for i in (0..body).step_by(step) {
        let (x, t) = (&x[i..i + step], &t[i..i + step]);
        let mut d = [[zero; 6]; TABLE_VECS];
        for (j, d) in d.iter_mut().enumerate() {
            *d = table_denominators::<L, GRAD>(L::load(&x[j * w..j * w + w]));
        }
        let mut q = [[zero; 3]; TABLE_VECS];
        for (q, d) in q.iter_mut().zip(d) {
            *q = table_quotients::<L, GRAD>(d);
        }
        for (j, q) in q.into_iter().enumerate() {
            let r = j * w..j * w + w;
            let (xv, tv) = (L::load(&x[r.clone()]), L::load(&t[r.clone()]));
            let (l, g) = combine_plain::<L, GRAD>(xv, tv, q, sc);
            l.store(&mut lo[i + j * w..i + j * w + w]);
            if GRAD {
                g.store(&mut go[i + j * w..i + j * w + w]);
            }
        }
    }
    body
}

/// Vectors per step of [`table_steps`] (a [`BLOCK`] holds a whole number
/// of steps at every width): 4 and 8 measured the same within noise
/// (`docs/benchmarks.md`), 4 keeps the passes' values nearer to the
/// registers.
const TABLE_VECS: usize = 4;

/// 1.0 for the weights a job does not have.
static ONES: [f32; BLOCK] = [1.0; BLOCK];

/// The whole job, block by block; returns the `f64` sum of the rounded
/// losses, added as eight running sums over the index mod 8 (from the
/// job's first element) combined pairwise at the end: a fixed order that
/// depends on nothing but the job's length.
#[inline(always)]
pub(crate) fn run<L: Lanes>(job: Job<'_>) -> f64 {
    if job.dx.is_some() {
        run_as::<L, true>(job)
    } else {
        run_as::<L, false>(job)
    }
}

#[inline(always)]
fn run_as<L: Lanes, const GRAD: bool>(mut job: Job<'_>) -> f64 {
    debug_assert!(
        BLOCK.is_multiple_of(MAX_WIDTH * PLAIN_VECS)
            && BLOCK.is_multiple_of(MAX_WIDTH * TABLE_VECS)
            && BLOCK.is_multiple_of(8)
    );
    let n = job.x.len();
    let mut acc = [0.0f64; 8];
    let mut buf = [[0.0f32; BLOCK]; 5];
    let (mut lbuf, mut gbuf) = ([0.0f32; BLOCK], [0.0f32; 0]);
    let mut out = job.out.take();
    let mut dx = job.dx.take();
    let plain = job.w.is_none() && job.pw.is_none() && job.keep == 1.0 && job.half == 0.0;
    let sc_h = job.grad_scale as f32;
    let sc = (
        L::splat(sc_h),
        L::splat((job.grad_scale - f64::from(sc_h)) as f32),
    );
    for start in (0..n).step_by(BLOCK) {
        let len = BLOCK.min(n - start);
        let r = start..start + len;
        let x = &job.x[r.clone()];
        let lo: &mut [f32] = match out.as_deref_mut() {
            Some(o) => &mut o[r.clone()],
            None => &mut lbuf[..len],
        };
        if plain {
            let go: &mut [f32] = match dx.as_deref_mut() {
                Some(d) => &mut d[r.clone()],
                None => &mut gbuf,
            };
            plain_block::<L, GRAD>(x, &job.t[r], lo, go, sc);
            add_losses(&mut acc, lo);
            continue;
        }
        transcendentals::<L, GRAD>(x, &mut buf);
        let block = Block {
            x,
            t: &job.t[r.clone()],
            w: job.w.map_or(&ONES[..len], |w| &w[r.clone()]),
            pw: job.pw.map_or(&ONES[..len], |p| &p[r.clone()]),
            v: &buf,
        };
        let go: &mut [f32] = match dx.as_deref_mut() {
            Some(d) => &mut d[r],
            None => &mut gbuf,
        };
        if job.w.is_some() || job.pw.is_some() {
            combine::<GRAD, true>(&job, &block, lo, go);
        } else {
            combine::<GRAD, false>(&job, &block, lo, go);
        }
        add_losses(&mut acc, lo);
    }
    ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
}

/// Adds a block's losses into the eight running sums (index mod 8; a block
/// starts at a multiple of 8).
#[inline(always)]
fn add_losses(acc: &mut [f64; 8], lo: &[f32]) {
    let mut it = lo.chunks_exact(8);
    for c in &mut it {
        for (s, &v) in acc.iter_mut().zip(c) {
            *s += f64::from(v);
        }
    }
    for (s, &v) in acc.iter_mut().zip(it.remainder()) {
        *s += f64::from(v);
    }
}
