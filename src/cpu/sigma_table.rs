//! σ's exact tier in its table form: the same contract as
//! [`super::sigma::ExactStages`] (≤ 1 ULP for every `f32`, monotone), in
//! fewer operations where the backend looks up 32 entries and scales by a
//! power of two in one instruction each ([`Lanes::EXACT_TABLE`]: AVX-512's
//! `vpermt2ps` and `vscalefps`). Other backends keep the polynomial form;
//! this one is generic all the same (its lookups lane by lane there), so
//! the unit tests below run it on the scalar backend too.
//!
//! With a = min(|x|, 104) and t = σ(−a), the result is t for x < 0 and
//! 1 − t for x ≥ 0, as in the polynomial form. What changes is t:
//! 1. k = round(32·a·log2 e) by the shifter trick at 1.5·2^18 (whose
//!    spacing is 1/32), kn = −k/32 = K + j/32 with K = ⌊kn⌋ and j the low
//!    five bits of the shifter's value; then e^a = 2^(k/32)·e^ρ =
//!    (T_j/m)·e^ρ with m = 2^K and T_j = 2^(−j/32) ∈ (1/2, 1], so
//!    t = m/(m + T_j·e^ρ), where ρ = a + kn·ln 2 and |ρ| ≤ ln 2/64.
//! 2. T_j = T_HI[j]·e^τ_j from two tables; τ_j < 2^−24 goes into the
//!    argument: u = ρ + τ_j, computed as r₁ + r_lo rounded, with
//!    r₁ = a + kn·LN2_HI exact (kn has at most 13 significant bits,
//!    `LN2_HI` 12) and r_lo = kn·LN2_LO + τ_j. e^u = 1 + g with
//!    g = u + u²·(C0 + C1·u) rounded once: degree 3 instead of 6, because
//!    |u| is 32 times smaller.
//! 3. D = m + T_HI·(1 + g) as a pair (d_hi, d_lo) in five operations:
//!    d_hi = T_HI·g + (T_HI + m) and d_lo = T_HI·g + c, both fused, with
//!    c = (T_HI − d_hi) + m. T_HI and d_hi are multiples of 2^−24 in
//!    [1/2, 2.02], so T_HI − d_hi is exact, and so is c for K ≥ −24 (a
//!    multiple of 2^−24 below 2^−6); for K < −24 (m < 2^−24, a > 16.6) c
//!    rounds. d_hi + d_lo is then D up to d_lo's rounding (2^−46) and c's.
//! 4. y = 1/D from `recip_estimate` (2^−14) and one correction of second
//!    order, y₀·(1 + ρ + ρ²); t = y·2^kn by [`Lanes::scale_pow2`],
//!    rounded once; then t for x < 0, 1 − t otherwise (−0 and NaN
//!    included: t = 1/2 at ±0, NaN stays NaN).
//!    No cap on k: for K < −149 (a > 149·ln 2) m underflows to 0, which
//!    changes D by < 2^−149, and y·2^kn rounds to 0 or 2^−149 as σ does.
//!
//! Error (relative to D ≥ T_HI·e^−0.011 > 0.505, before the last rounding
//! of y), for |u| ≤ ln 2/64 + 2^−24: u's 2^−30.0 (`LN2_LO`'s rounding
//! times |kn| ≤ 150.03, 2^−31.9; the fused rounding of r_lo, 2^−32; the
//! rounding of u, 2^−31); the polynomial 2^−33.1 (C0 = 0.500004, C1 = 1/6
//! in `f32`, checked with 40-digit arithmetic); g's rounding 2^−31
//! (|g| < 2^−6); u²'s and C0 + C1·u's 2^−37; d_lo's 2^−46: ε_D ≤ 2^−29.3
//! for K ≥ −24; c's rounding for K < −24 adds ≤ 2^−24·|c|/D ≤ 2^−30.5:
//! ε_D ≤ 2^−28.8 in all. The correction leaves ρ³ < 2^−42 plus 2^−38
//! from rounding ρ and ρ + ρ²: ε ≤ 2^−28.7 before y is rounded. For
//! x < 0, t = y·2^K is exact while normal: ≤ 0.5 + 2^24·ε = 0.54 ULP;
//! subnormal, y's rounding scaled is ≤ 0.25 of the result's ULP, so
//! ≤ 0.77 ULP. For x ≥ 0, RN(1 − t) adds t's rounding (≤ 0.25 ULP of
//! 1 − t, for t ∈ [1/4, 1/2]) and t·ε ≤ 0.02 ULP: ≤ 0.78 ULP. Measured
//! over all 2^32 inputs on avx512: see [`crate::SIGMOID_MAX_ULP`].
//!
//! Monotonicity: within one k, u, g and d_hi are monotone functions
//! rounded, and d_hi + d_lo is the D of the computed g up to 2^−46 and,
//! for K < −24, c's rounding, which is that of m on the grid of c's ULP:
//! the same for every input while c stays in one binade (c − m is a
//! multiple of 2^−24), where neighbouring results are ≥ 2^−20 apart. So
//! only the jump of the error at the edges between intervals (≤ 2^−28.3
//! for K ≥ −24) can reorder two neighbours, and only for a < 2^−4, where
//! neighbouring results are less than 2^−28 apart (relative); the 2^32
//! sweep finds none. With y₀·(1 + ρ) alone (a 2^−28 one-sided error that
//! jumps where the estimate does) three neighbours out of order showed up
//! in a 2^32 sweep of a prototype; with the ρ² term, none.

use super::lanes::Lanes;
use super::map::{map1, Apply1, Input, Out};
use super::sigma::{recip_pair, EXACT_CLAMP, LOG2E};

/// 1.5·2^18: adding it to a value in [−151, 0] rounds to a multiple of
/// 1/32, −k/32, and leaves (−k) mod 32 in the low five mantissa bits.
const SHIFTER32: f32 = 393_216.0;
/// ln 2 to 12 significant bits (2839/4096), so that kn·LN2_HI is exact
/// for |kn| ≤ 2^13/32 and a + kn·LN2_HI too.
const LN2_HI: f32 = 2839.0 / 4096.0;
/// ln 2 − LN2_HI rounded to `f32` (its error, 1.6e−12, times |kn| ≤ 150
/// is 2^−31.9).
const LN2_LO: f32 = f32::from_bits(0x3805_fdf4);
/// e^u ≈ 1 + u + u²·(C0 + C1·u) for |u| ≤ ln 2/64 + 2^−24: 2^−33.1
/// absolute (C0 = 1/2 + 4e−6 balances the u⁴/24 term; 40-digit check).
const C0: f32 = f32::from_bits(0x3f00_0043);
const C1: f32 = f32::from_bits(0x3e2a_aaab);

/// T_HI[j] = 2^(−j/32) rounded to `f32`.
pub(crate) static T_HI: [f32; 32] = bits([
    0x3f80_0000,
    0x3f7a_83b3,
    0x3f75_257d,
    0x3f6f_e4ba,
    0x3f6a_c0c7,
    0x3f65_b907,
    0x3f60_ccdf,
    0x3f5b_fbb8,
    0x3f57_44fd,
    0x3f52_a81e,
    0x3f4e_248c,
    0x3f49_b9be,
    0x3f45_672a,
    0x3f41_2c4d,
    0x3f3d_08a4,
    0x3f38_fbaf,
    0x3f35_04f3,
    0x3f31_23f6,
    0x3f2d_583f,
    0x3f29_a15b,
    0x3f25_fed7,
    0x3f22_7043,
    0x3f1e_f532,
    0x3f1b_8d3a,
    0x3f18_37f0,
    0x3f14_f4f0,
    0x3f11_c3d3,
    0x3f0e_a43a,
    0x3f0b_95c2,
    0x3f08_980f,
    0x3f05_aac3,
    0x3f02_cd87,
]);
/// TAU[j] = (2^(−j/32) − T_HI[j])/T_HI[j] rounded to `f32` (|TAU| <
/// 2^−24, so it is ln(2^(−j/32)/T_HI[j]) to within 2^−49).
static TAU: [f32; 32] = bits([
    0x0000_0000,
    0xb215_6afc,
    0x31b0_a147,
    0xb2d5_b899,
    0xb1d2_90be,
    0xb1da_8a8f,
    0xb1b4_b0da,
    0xb2f2_6443,
    0xb27c_e182,
    0xb305_bf64,
    0x31d1_daf2,
    0xb31a_472b,
    0x31b3_d0e5,
    0xb28e_10a1,
    0xb302_e5a2,
    0x32c5_95dc,
    0x3293_02ae,
    0xb336_5942,
    0xb200_6c56,
    0xb2e2_a0da,
    0xb305_1aa8,
    0x3099_b6f1,
    0x331b_85f2,
    0xb2e6_f467,
    0x3309_2801,
    0xb315_86de,
    0x334b_2482,
    0xb351_7dd9,
    0xb24e_0611,
    0xb36e_d17e,
    0x3346_cb6a,
    0xb34a_3a0a,
]);

/// 32 bit patterns as `f32`s.
pub(crate) const fn bits(b: [u32; 32]) -> [f32; 32] {
    let mut t = [0.0; 32];
    let mut i = 0;
    while i < 32 {
        t[i] = f32::from_bits(b[i]);
        i += 1;
    }
    t
}

/// Step 1 with |x| clamped by [`TableFinish::clamp_abs`] (at ≤ 110, so
/// that k/32 ≤ 159 and kn keeps 13 significant bits): (u, kf, kn) with
/// u = r₁ + r_lo rounded, kf the shifter's value (−k/32 and the table
/// index in one) and kn = −k/32.
#[inline(always)]
fn reduce<L: Lanes, F: TableFinish>(x: L) -> (L, L, L) {
    reduce_abs(F::clamp_abs(x))
}

/// Step 1 from a = |x| already clamped (at ≤ 110): (u, kf, kn) as
/// [`reduce`] returns them.
#[inline(always)]
pub(crate) fn reduce_abs<L: Lanes>(a: L) -> (L, L, L) {
    let kf = a.mul_add(L::splat(-LOG2E), L::splat(SHIFTER32));
    let kn = kf - L::splat(SHIFTER32); // −k/32, exact
    let r1 = kn.mul_add(L::splat(LN2_HI), a); // exact
    let r_lo = kn.mul_add(L::splat(LN2_LO), kf.lookup32(&TAU));
    (r1 + r_lo, kf, kn)
}

/// Steps 2 and 3: D = m + T_j·e^u as a pair d_hi + d_lo, |d_lo| <
/// 2^−21·d_hi (not normalized; `recip_pair` needs no more).
#[inline(always)]
fn denominator<L: Lanes>(u: L, kf: L, kn: L) -> (L, L) {
    let (th, g) = exp_table(u, kf);
    let m = L::splat(1.0).scale_pow2(kn); // 2^K (0 for K < −149)
    denominator_of(th, g, m)
}

/// Step 2: (th, g), th the entry j of [`T_HI`], with
/// T_j·e^u = th·(1 + g) up to the errors of the analysis above.
#[inline(always)]
pub(crate) fn exp_table<L: Lanes>(u: L, kf: L) -> (L, L) {
    let p = u.mul_add(L::splat(C1), L::splat(C0));
    let g = (u * u).mul_add(p, u); // e^u = 1 + g
    (kf.lookup32(&T_HI), g)
}

/// Step 3: D = m + T_HI·(1 + g) as the pair (d_hi, d_lo), for m a power
/// of two ≤ 1 (2^K, or any smaller power: the analysis holds for each).
#[inline(always)]
pub(crate) fn denominator_of<L: Lanes>(th: L, g: L, m: L) -> (L, L) {
    let d_hi = th.mul_add(g, th + m);
    let c = (th - d_hi) + m; // th − d_hi exact; the sum too for K ≥ −24
    (d_hi, th.mul_add(g, c))
}

/// Step 4's reciprocal: y = 1/D = y₀·(1 + ρ + ρ²), within 2^−28.7
/// relative before its rounding; t = σ(−a) = y·2^⌊kn⌋.
#[inline(always)]
pub(crate) fn recip_d<L: Lanes>(d_hi: L, d_lo: L) -> L {
    let (y0, rho) = recip_pair(d_hi, d_lo);
    // y₀·(1 + ρ + ρ²): the ρ² term keeps the estimate's error (a step
    // wherever `recip_estimate` moves to its next segment) below 2^−42,
    // where it cannot reorder two neighbouring inputs.
    y0.mul_add(rho.mul_add(rho, rho), y0)
}

/// A kernel in the table form: the clamp of |x| in step 1 and step 4,
/// the result from x, the denominator pair and kn.
pub(crate) trait TableFinish: Copy {
    /// |x| is clamped here (≤ 110).
    const CLAMP: f32;
    /// min(|x|, [`Self::CLAMP`]); NaN stays NaN unless the finish passes
    /// x's NaN on by itself ([`Lanes::abs_min`] on AVX-512 returns the
    /// clamp for a quiet NaN).
    fn clamp_abs<L: Lanes>(x: L) -> L;
    fn finish<L: Lanes>(self, x: L, d_hi: L, d_lo: L, kn: L) -> L;
}

/// σ: step 4, t = y·2^kn rounded once, then t for x < 0 and 1 − t
/// otherwise.
#[derive(Clone, Copy)]
pub(crate) struct Sigma;

impl TableFinish for Sigma {
    const CLAMP: f32 = EXACT_CLAMP;
    /// [`Lanes::abs`] and [`Lanes::min`]: the finish takes its NaN from
    /// here.
    #[inline(always)]
    fn clamp_abs<L: Lanes>(x: L) -> L {
        x.abs().min(L::splat(Self::CLAMP))
    }
    #[inline(always)]
    fn finish<L: Lanes>(self, x: L, d_hi: L, d_lo: L, kn: L) -> L {
        let t = recip_d(d_hi, d_lo).scale_pow2(kn);
        x.lt_zero_select_sub(L::splat(1.0), t)
    }
}

/// A [`TableFinish`] kernel, one vector (the remainder of
/// [`table_blocks`]).
#[derive(Clone, Copy)]
struct TableK<F>(F);

impl<F: TableFinish> Apply1 for TableK<F> {
    #[inline(always)]
    fn apply<L: Lanes>(self, x: L) -> L {
        let (u, kf, kn) = reduce::<L, F>(x);
        let (d_hi, d_lo) = denominator(u, kf, kn);
        self.0.finish(x, d_hi, d_lo, kn)
    }
}

/// A kernel in the table form (σ: [`Sigma`]) over slices: blocks of
/// [`VECS`] vectors in three passes (steps 1, 2–3, 4), each a short
/// dependency chain; remainders through [`map1`] with the same bits.
#[inline(always)]
pub(crate) fn table_blocks<L: Lanes, F: TableFinish, I: Input, O: Out>(
    f: F,
    src: I,
    dst: &mut [f32],
) {
    let w = L::WIDTH;
    let blk = VECS * w;
    let body = dst.len() - dst.len() % blk;
    let zero = L::splat(0.0);
    let (mut a, mut b, mut c) = ([zero; VECS], [zero; VECS], [zero; VECS]);
    for start in (0..body).step_by(blk) {
        O::ahead::<L, I>(&src, start, blk);
        let s = src.skip(start).take(blk);
        let out = &mut dst[start..start + blk];
        for v in 0..VECS {
            (a[v], b[v], c[v]) = reduce::<L, F>(L::load(s.get(out, v * w, w)));
        }
        for v in 0..VECS {
            (a[v], b[v]) = denominator(a[v], b[v], c[v]);
        }
        for v in 0..VECS {
            let x = L::load(s.get(out, v * w, w));
            O::put(f.finish(x, a[v], b[v], c[v]), &mut out[v * w..v * w + w]);
        }
    }
    map1::<L, _, _, O>(TableK(f), src.skip(body), &mut dst[body..]);
}

/// Vectors per block of [`table_blocks`]: eight keep the three passes'
/// 24 live vectors in AVX-512's 32 registers (32 per block, through the
/// stack, measured 10–20 % slower: `docs/benchmarks.md`).
const VECS: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::lanes::Scalar;
    use crate::reference;

    #[test]
    fn tables_are_the_powers_they_name() {
        for j in 0..32 {
            let t = (-(j as f64) / 32.0).exp2();
            assert_eq!(T_HI[j], t as f32, "T_HI[{j}]");
            let tau = (t - f64::from(T_HI[j])) / f64::from(T_HI[j]);
            assert_eq!(TAU[j], tau as f32, "TAU[{j}]");
        }
        assert_eq!(
            f64::from(LN2_LO),
            f64::from((core::f64::consts::LN_2 - f64::from(LN2_HI)) as f32)
        );
        assert_eq!(LN2_HI * 4096.0, 2839.0);
    }

    /// The table form on the scalar backend (lookups lane by lane, no
    /// FMA): the bound over a strided sweep of the bit space and around
    /// every interval edge k·ln 2/64 for k < 2^13, and the special values.
    #[test]
    fn scalar_table_form_within_bound() {
        let mut worst = (0.0f64, 0.0f32);
        let mut check = |x: f32| {
            let y = TableK(Sigma).apply(Scalar(x)).0;
            let e = reference::ulp_error(y, reference::sigmoid_f64(f64::from(x)));
            assert!(
                e <= crate::SIGMOID_MAX_ULP,
                "x = {x:e}: {y:e} is {e} ULP off"
            );
            if e > worst.0 {
                worst = (e, x);
            }
        };
        for b in (0..=u32::MAX).step_by(9973) {
            let x = f32::from_bits(b);
            if !x.is_nan() {
                check(x);
            }
        }
        for k in 1..8192 {
            let edge = (f64::from(k) * core::f64::consts::LN_2 / 64.0) as f32;
            for d in -3i32..=3 {
                let x = f32::from_bits(edge.to_bits().wrapping_add_signed(d));
                check(x);
                check(-x);
            }
        }
        assert!(worst.0 > 0.4, "sweep too easy: {worst:?}");
        assert!(TableK(Sigma).apply(Scalar(f32::NAN)).0.is_nan());
        assert_eq!(TableK(Sigma).apply(Scalar(f32::INFINITY)).0, 1.0);
        assert_eq!(
            TableK(Sigma).apply(Scalar(f32::NEG_INFINITY)).0.to_bits(),
            0
        );
        assert_eq!(TableK(Sigma).apply(Scalar(0.0)).0, 0.5);
        assert_eq!(TableK(Sigma).apply(Scalar(-0.0)).0, 0.5);
    }
}
