//! SiLU (Swish) x·σ(x) and its gradient, written once over [`Lanes`]: the
//! exact tier, the fast tier (x times σ's fast tier) and the backward pass
//! from the forward input. They reuse the exact σ tier's pieces
//! (`sigma.rs`: e^r as a pair, the quotient 1/(N + m)) with a reduction
//! of their own that is not capped at 2^−149 (`stable.rs`), because x·σ(x)
//! stays above the subnormal range longer than σ(x) does. Where σ's exact
//! tier runs in its table form (`sigma_table.rs`, AVX-512), SiLU's exact
//! tier does too ([`SiluTable`]).
//!
//! Every function is `#[inline(always)]`, as in `sigma.rs`; the loops are in
//! `map.rs`, the per-call dispatch in `ops.rs`.

use super::lanes::Lanes;
use super::map::kernel;
use super::sigma::{
    exact_exp, exact_quotient_parts, fast_lanes, Staged, LN2_HI, LN2_LO, LOG2E, SHIFTER, TWO_M64,
};
use super::sigma_table::{recip_d, TableFinish};
use super::stable::{pow2_neg, reduce_rounded};

/// |x| is clamped here in the forward pass: |x|·σ(−|x|) < 2^−150 from
/// |x| ≈ 108.7 on, so the result rounds to ±0 there, and
/// k = round(a·log2 e) ≤ [`FWD_K_MAX`].
pub(crate) const FWD_CLAMP: f32 = 110.0;
/// round(110·log2 e): the shader caps k here; the CPU reduction needs no
/// cap (the clamp alone keeps k ≤ 159 < 191, the shifter's range).
pub(crate) const FWD_K_MAX: f32 = 159.0;
const _: () = assert!(FWD_CLAMP * LOG2E < FWD_K_MAX + 0.5 && FWD_K_MAX < 191.0);
/// |x| is clamped here in the gradient: |dy·silu′(x)| < 2^−150 from
/// |x| ≈ 198 on even with |dy| = FLT_MAX (x·e^x·2^128 < 2^−151), and
/// k ≤ 289.
pub(crate) const GRAD_CLAMP: f32 = 200.0;
/// 2^−k enters the quotient 1/(N + 2^−k) capped at 2^−60, below any effect
/// on it (N ≥ 0.7).
pub(crate) const Q_CAP: f32 = 60.0;

/// The common part: with a = min(|x|, clamp) = k·ln2 + r, returns
/// (a, k, y₀, ρ) with y₀·(1 + ρ) = 1/(e^r + 2^−min(k, 60)) to within about
/// 2^−28, so that σ(−a) = 2^−k·y and σ(a) = e^r·y for y = y₀·(1 + ρ).
#[inline(always)]
fn quotient<L: Lanes>(x: L, clamp: f32) -> (L, L, L, L) {
    let a = x.abs().min(L::splat(clamp));
    let (k, r1, r_lo) = reduce_rounded(a);
    let (n_hi, n_lo) = exact_exp(r1, r_lo);
    let (y0, rho) = exact_quotient_parts(n_hi, n_lo, pow2_neg(k.min(L::splat(Q_CAP))));
    (a, k, y0, rho)
}

/// silu(x) = x·σ(x) as [`Staged`] (the exact σ tier's reduction with |x|
/// clamped at 110 instead of 104 and k up to 159; c is −k), within 2 ULP
/// for every `f32`.
///
/// With t = σ(−a) = 2^−k·y, y = 1/(e^r + 2^−k) to within half an ULP:
/// x ≥ 0: x − x·t, rounded once (a fused multiply-subtract on every
/// backend): about 1 ULP; x ≥ 110 is returned as it is (x·t is far below
/// half an ULP there). x < 0: x·y rounded, then 2^(64−k) (exact: the
/// product is normal) and 2^−64 (rounds only where the result is
/// subnormal), so the result is nonzero down to x ≈ −108.7, where σ(x)
/// itself is far below 2^−149: about 1 ULP. (AVX-512 runs [`SiluTable`]
/// instead.) NaN → NaN; +∞ → +∞;
/// −∞ → −0 (x is clamped at −110, where x·σ(x) rounds to −0, the sign of
/// the limit); ±0 → ±0.
#[derive(Clone, Copy)]
pub(crate) struct SiluStages;

impl Staged for SiluStages {
    /// The exact σ tier's reduction (Cody–Waite, k by the shifter) with
    /// c = −k: |x| clamped at 110, and no cap on k (a ≤ 110 gives
    /// k ≤ [`FWD_K_MAX`] by itself).
    #[inline(always)]
    fn reduce<L: Lanes>(self, x: L) -> (L, L, L) {
        let a = x.abs().min(L::splat(FWD_CLAMP));
        let shifter = L::splat(SHIFTER);
        let kn = a.mul_add(L::splat(-LOG2E), shifter) - shifter; // −k, exact
        let r1 = kn.mul_add(L::splat(LN2_HI), a); // a − k·LN2_HI, exact
        (r1, kn * L::splat(LN2_LO), kn)
    }
    #[inline(always)]
    fn finish<L: Lanes>(self, x: L, n_hi: L, n_lo: L, kn: L) -> L {
        // 2^(64−k) from the shifter value of −k.
        let mp = || (kn + L::splat(SHIFTER)).shl_exponent();
        let m = L::pow2i_or(kn, || mp() * L::splat(TWO_M64)); // 2^−k: subnormal or 0 for large k
        let (y0, rho) = exact_quotient_parts(n_hi, n_lo, m);
        let y = y0.mul_add(rho, y0);
        let clamp = L::splat(FWD_CLAMP);
        let pos = x.lt_select(clamp, x.mul_sub_exact(y * m, x), x); // x − x·t for x < 110, else x
        let xy = x.max(-clamp) * y;
        // (x·y)·2^(64−k) is exact (normal), so both forms round once.
        x.select_sign(xy * mp() * L::splat(TWO_M64), pos)
    }
}

/// silu(x) in σ's table form (`sigma_table.rs`, where the backend has
/// it: [`Lanes::EXACT_TABLE`]), within 2 ULP for every `f32`: the finish
/// of [`SiluStages`] on the table form's y = 1/D (within 2^−28.7 before
/// its rounding, against about 2^−28 there) and t = y·2^⌊kn⌋, with |x|
/// clamped at [`FWD_CLAMP`] (k/32 ≤ 159, where the table form's
/// `scale_pow2` still holds): x·t = (x·y)·2^⌊kn⌋ with x clamped to
/// [−110, 110], x·y rounded once (as x·y + 0, which is +0 for x = −0)
/// and the scaling exact while normal; the result is x·t for x < 0 and
/// x − x·t rounded once elsewhere, −0 and NaN included (x·t's rounding is
/// ≤ 1 ULP of the result, as x·t ≤ the result; for x ≥ 110, +∞ included,
/// x·t is below half an ULP of x; −0 − (+0) is −0). The special values as
/// [`SiluStages`].
#[derive(Clone, Copy)]
pub(crate) struct SiluTable;

impl TableFinish for SiluTable {
    const CLAMP: f32 = FWD_CLAMP;
    /// [`Lanes::abs_min`]: one `vrangeps` on AVX-512, which turns a quiet
    /// NaN into the clamp; the finish passes x's NaN on (x − x·t).
    #[inline(always)]
    fn clamp_abs<L: Lanes>(x: L) -> L {
        x.abs_min(L::splat(Self::CLAMP))
    }
    #[inline(always)]
    fn finish<L: Lanes>(self, x: L, d_hi: L, d_lo: L, kn: L) -> L {
        // x·t = (x·y + 0)·2^⌊kn⌋ with x clamped to [−110, 110] (a NaN
        // stays NaN): for x ≥ 110, +∞ included, x − x·t is x; for x = −0,
        // x·y + 0 is +0, so that x − x·t is −0.
        let xc = x.clamp_sym(L::splat(FWD_CLAMP));
        let xt = xc
            .mul_add(recip_d(d_hi, d_lo), L::splat(0.0))
            .scale_pow2(kn);
        x.lt_zero_select_sub(x, xt) // x·t where x < 0, x − x·t elsewhere
    }
}

/// Fast tier, one vector: x times σ's fast tier ([`fast_lanes`]), one more
/// rounding: relative error ≤ 1e−4 + 2^−24 wherever σ(x) ≥ 2^−126.
/// +∞ → +∞; −∞ → −0 like the exact tier (not −∞·0 = NaN).
#[inline(always)]
pub(crate) fn silu_fast_lanes<L: Lanes>(x: L) -> L {
    let p = x * fast_lanes(x);
    x.lt_select(L::splat(-f32::MAX), L::splat(-0.0), p)
}

/// dx = dy·silu′(x) = dy·σ(x)·(1 + x·σ(−x)), one vector, from the forward
/// input.
///
/// With a = min(|x|, 200), t = σ(−a) = 2^−k·y₀·(1 + ρ) as the pair
/// t_hi + t_lo (t_hi = 2^−k·y₀ exact; 2^−k capped at 2^−60, below any
/// effect) and s = σ(a) = 1 − t as the pair s_hi + s_lo (Fast2Sum):
/// - x ≥ 0: silu′ = s·(1 + a·t) = s + c with c = s·a·t ≤ 0.23 formed in a
///   few roundings of its own (a small part of an ULP of the result), then
///   dx = dy·c + dy·s_hi rounded once (a fused multiply-add, exact on
///   every backend: dy is scaled by 2^−64 first where |dy| > 2^64, for the
///   emulated form; an infinite dy is passed on). The two terms add, and their sum can sit one binade
///   above the larger one: there the result's half ULP is one ULP of the
///   larger term, half the bound.
/// - x < 0: silu′ = t·w with w = 1 − a·s = (1 − a) + a·t, the one place
///   where the two terms cancel (at the root x ≈ −1.2785; the bound is
///   absolute there). 1 − a = h + l exactly (Fast2Sum), and
///   y·w = y₀·h + y₀·(l + a·t) + y₀·ρ·w rounds once (an exact fused
///   multiply-add for the large part). Then dy·(y·w·2^−min(k, 100)) rounds
///   once more (the factor never overflows: it is ≤ 2^−92 once k > 100),
///   and the rest of 2^−k follows in two exact steps of at most 2^−90,
///   which round only where the result is subnormal. Two roundings of at
///   most 2^−24 relative each: up to 2 ULP of the result in theory, where
///   its significand is all ones; measured maxima in the crate docs.
///
/// NaN in either input gives NaN; x = +∞ gives dy (silu′ → 1); x = −∞
/// gives dy·(−0) (silu′ → 0 from below: ∓0, NaN for dy = ±∞); every finite
/// x has a nonzero silu′, so dy = ±∞ gives ±∞ there.
#[inline(always)]
pub(crate) fn silu_backward_lanes<L: Lanes>(x: L, dy: L) -> L {
    let one = L::splat(1.0);
    let (a, k, y0, rho) = quotient(x, GRAD_CLAMP);
    let m = pow2_neg(k.min(L::splat(Q_CAP)));
    let (t_hi, t_lo) = (y0 * m, (y0 * rho) * m);
    let at = a.mul_add(t_hi, a * t_lo); // a·t

    // x ≥ 0
    let s_hi = one - t_hi;
    let s_lo = ((one - s_hi) - t_hi) - t_lo;
    let c = s_hi.mul_add(at, s_lo.mul_add(at, s_lo)); // s·(1 + a·t) − s_hi
    let big = dy.abs().lt_select(L::splat(BIG_DY), one, L::splat(TWO_M64));
    let dys = dy * big;
    let pos = (-s_hi).mul_sub_exact(dys, dys * c) / big;
    // dy = ±∞: dy itself (silu′ is finite), NaN for a NaN x (a·0 + 1: a
    // is clamped, so 1 for every other x).
    let nan_or_one = a.mul_add(L::splat(0.0), one);
    let pos = dy
        .abs()
        .lt_select(L::splat(f32::INFINITY), pos, dy * nan_or_one);
    // silu′ > 0 for x ≥ 0, so dx has dy's sign, ±0 included (the emulated
    // fused multiply-add gives +0 for dy = −0).
    let pos = dy.select_sign(-pos.abs(), pos.abs());

    // x < 0
    let h = one - a;
    let l_at = ((one - h) - a) + at;
    let w = h + l_at;
    let c = y0.mul_add(l_at, (y0 * rho) * w);
    let yw = (-y0).mul_sub_exact(h, c);
    let j1 = k.min(L::splat(100.0));
    let k2 = k - j1;
    let j2 = k2.min(L::splat(90.0));
    let neg = dy * (yw * pow2_neg(j1)) * pow2_neg(j2) * pow2_neg(k2 - j2);
    let d = x.select_sign(neg, pos);
    x.lt_select(L::splat(-f32::MAX), dy * L::splat(-0.0), d)
}

/// From here on |dy| is scaled by 2^−64 before the exact fused
/// multiply-add of the gradient (the emulated form needs operands below
/// 2^100).
pub(crate) const BIG_DY: f32 = 18_446_744_073_709_551_616.0; // 2^64

kernel!(SiluFastK: Apply1, silu_fast_lanes);
kernel!(SiluBackwardK: Apply2, silu_backward_lanes);
