//! The correctly rounded tier: σ(x) rounded to the nearest `f32` for every
//! `f32` x, the same bits on every backend. Written once over
//! [`Lanes64`] (the `f64` vector of each instruction set) with a loop of
//! its own: an `f64` evaluation whose error is bounded, a rounding test,
//! and the oracle's double-double evaluation for the few inputs the test
//! cannot decide (the CORE-MATH design).
//!
//! Every function is `#[inline(always)]`, as in `sigma.rs`; `ops.rs`
//! dispatches to [`Lanes::cr_map`](super::lanes::Lanes::cr_map), which
//! runs [`cr_map`] with the backend's [`Lanes::F64`](super::lanes::Lanes::F64),
//! on AVX-512 and AVX2 after the `f32` first pass of `cr32.rs` (which sends
//! only its undecided lanes here).

use super::lanes::Lanes64;
use super::map::Input;
use crate::reference;

/// x is clamped to [−104, 104]: σ(−104) < 2^−150 rounds to 0 and
/// σ(104) to 1, so the clamp changes no result, and |k| ≤ 2401 below.
const CLAMP: f64 = 104.0;
/// 16·log2 e: k = round(x·16·log2 e), e^−x = 2^(−k/16)·e^−ρ.
const LOG2E_16: f64 = 16.0 * core::f64::consts::LOG2_E;
/// 1.5·2^52 + 16·1023: adding it to x·16·log2 e ∈ [−2401, 2401] rounds
/// to the integer k and leaves 16·1023 + k ∈ [13967, 18769] in the low
/// 16 bits: with k = 16·K + j (0 ≤ j < 16), bits 0–3 hold j (the table
/// index) and bits 4–14 hold 1023 + K, so those 16 bits shifted to the
/// top are the `f64` m = 2^K·(1 + j/16) ([`Lanes64::shl48`]).
const SHIFTER: f64 = 6_755_399_441_055_744.0 + 16.0 * 1023.0;
/// ln 2/16 rounded to `f64`: |LN2_16 − ln 2/16| < 2^−59.26, so
/// |k·LN2_16 − k·ln 2/16| < 2^−48.03 for |k| ≤ 2401.
const LN2_16: f64 = f64::from_bits(0x3FA6_2E42_FEFA_39EF);
/// 2^(−j/16)·(1 + j/16) for j = 0..16, rounded to `f64` (relative error
/// ≤ 2^−53): the factor (1 + j/16) is the one [`Lanes64::shl48`] leaves
/// in m, so m/(m + T_j·e^−ρ) = 1/(1 + 2^(−k/16)·e^−ρ).
const EXP2_NEG_J16: [f64; 16] = [
    f64::from_bits(0x3FF0_0000_0000_0000),
    f64::from_bits(0x3FF0_477D_4E67_6CF4),
    f64::from_bits(0x3FF0_818D_FC4D_8C8C),
    f64::from_bits(0x3FF0_AF34_8B87_290D),
    f64::from_bits(0x3FF0_D163_BFD8_C44C),
    f64::from_bits(0x3FF0_E8FF_7DBB_95DF),
    f64::from_bits(0x3FF0_F6DD_9D7D_4E97),
    f64::from_bits(0x3FF0_FBC6_B350_E919),
    f64::from_bits(0x3FF0_F876_CCDF_6CD9),
    f64::from_bits(0x3FF0_ED9E_24E0_81C0),
    f64::from_bits(0x3FF0_DBE1_CD3C_0240),
    f64::from_bits(0x3FF0_C3DC_502F_5BFD),
    f64::from_bits(0x3FF0_A61E_48EB_8033),
    f64::from_bits(0x3FF0_832E_F41A_6103),
    f64::from_bits(0x3FF0_5B8C_B8B5_7C63),
    f64::from_bits(0x3FF0_2FAD_A991_BCC7),
];
/// Q(ρ) ≈ (e^−ρ − 1 + ρ)/ρ² on |ρ| ≤ 0.02167 (> ln 2/32 by the margin
/// below; `mpmath.chebyfit` at 300 bits, coefficients rounded to `f64`):
/// |ρ·(ρ·Q(ρ) − 1) − (e^−ρ − 1)| < 2^−45.65 (mpmath at 200 bits on 40001
/// points, the largest at the ends).
const Q: [f64; 4] = [
    f64::from_bits(0x3FDF_FFFF_FFF5_7A02),
    f64::from_bits(0xBFC5_5555_5552_539F),
    f64::from_bits(0x3FA5_556B_37C9_CA20),
    f64::from_bits(0xBF81_111D_9276_D924),
];

/// Bound of the relative error of [`cr_lanes`]'s `f64` value, used by its
/// rounding test: 2^−42. The error analysis (see [`cr_lanes`]) gives
/// below 2^−44.92 with or without FMA; the test keeps a factor of 7 on
/// top. A midpoint then lies within [v·(1 − 2^−42), v·(1 + 2^−42)] for
/// at most 2^−41 / 2^−24 = 2^−17 of the inputs (8 per million; those
/// within 2^−19 to 2^−18 ULP of it), which go to the slow path.
pub(crate) const CR_F64_MAX_REL: f64 = f64::from_bits((1023 - 42) << 52);

/// The fast path, one vector: `(lo, hi)` around σ(x) computed in `f64`,
/// with the true σ(x) in [lo, hi]; where `lo` and `hi` round to the same
/// `f32`, that is the correctly rounded result.
///
/// With x clamped to [−104, 104] and k = round(x·16·log2 e) = 16·K + j
/// (the shifter trick gives j and m = 2^K·(1 + j/16) exactly, both from
/// the bits), e^−x = 2^−K·2^(−j/16)·e^−ρ with ρ = x − k·ln 2/16, and
/// σ(x) = 1/(1 + e^−x) = m/(m + T_j·e^−ρ) with T_j from the table. The
/// rounding of x·16·log2 e (unfused: 2^−42) only moves k, so
/// |ρ| ≤ (ln 2/16)·(1/2 + 2^−41) < 0.02167. Relative errors, each step:
/// - ρ = x − k·LN2_16: LN2_16's error times |k| < 2^−48.03, plus the
///   rounding of ρ (|ρ| < 2^−5: 2^−59) and, without FMA, of k·LN2_16
///   (|k·LN2_16| < 104.1: 2^−47): below 2^−48.02 fused, 2^−46.41 not.
///   An error δ in ρ is a relative error δ(1 + δ) in e^−ρ.
/// - e^−ρ = 1 + s, s = ρ·(ρ·Q(ρ) − 1): the approximation 2^−45.65
///   (absolute in s; relative to e^−ρ ≥ 0.978, 2^−45.61); Horner's
///   roundings (q ≈ 1/2, times ρ² < 2^−11: 2^−63), ρ·q − 1 (≈ −1:
///   2^−53, times |ρ|: 2^−58.5) and the last product (|s| < 2^−5.4:
///   2^−58.4): 2^−57.4 in all.
/// - d = T_j·s + (T_j + m): T_j 2^−53, the sum and the fused product
///   2^−53 each relative to d (T_j + m ≤ 1.022·d; unfused, the product's
///   rounding adds 2^−53·|T_j·s| ≤ 0.023·2^−53·d), so with the e^−ρ
///   terms above (T_j·e^−ρ ≤ d) below 2^−45.61 + 2^−46.41 + 2^−57.4 +
///   3.05·2^−53 unfused.
/// - v = m/d, one correctly rounded division: 2^−53.
///
/// In all below 2^−44.92 unfused (2^−45.32 fused); m ∈ [2^−151, 2^151),
/// d and the result are normal `f64`s, so no step overflows or cancels
/// for either sign of x. lo and hi are v ∓ v·2^−42 (the product exact,
/// one rounding each, inwards by at most 2^−53 relative). A NaN input
/// stays NaN through the clamp (see [`Lanes64::max`]), so its lanes fail
/// the test.
#[inline(always)]
pub(crate) fn cr_lanes<L: Lanes64>(x: L) -> (L, L) {
    let x = x.max(L::splat(-CLAMP)).min(L::splat(CLAMP));
    let kf = x.mul_add(L::splat(LOG2E_16), L::splat(SHIFTER));
    let k = kf - L::splat(SHIFTER); // exact
    let m = kf.shl48(); // 2^K·(1 + j/16), exact
    let t = kf.lookup16(&EXP2_NEG_J16);
    let rho = k.mul_add(L::splat(-LN2_16), x);
    let q = rho.mul_add(L::splat(Q[3]), L::splat(Q[2]));
    let q = q.mul_add(rho, L::splat(Q[1]));
    let q = q.mul_add(rho, L::splat(Q[0]));
    let s = rho * rho.mul_add(q, L::splat(-1.0)); // e^−ρ − 1
    let d = t.mul_add(s, t + m);
    let v = m / d;
    let e = CR_F64_MAX_REL;
    (v.mul_add(L::splat(-e), v), v.mul_add(L::splat(e), v))
}

/// Largest [`Lanes64::WIDTH`] of any backend.
const MAX_WIDTH: usize = 8;

/// Vectors per step of [`cr_map`]: four independent chains in one block,
/// which the core overlaps.
const STEP: usize = 4;
/// [`STEP`] where [`Lanes64::CR_EIGHT_PER_STEP`] (AVX2: eight chains of
/// 4 lanes, so that eight `vdivpd`s and gathers overlap the FMA work;
/// measured in `docs/benchmarks.md`, six and sixteen were slower).
const STEP_EIGHT: usize = 8;

/// `dst[i] = σ(src[i])` correctly rounded, in steps of [`STEP`] (or
/// [`STEP_EIGHT`]) vectors:
/// the fast path, and for the lanes its rounding test leaves undecided,
/// [`reference::sigmoid_cr`] (a double-double evaluation; a few hundred
/// of all 2^32 inputs). The rest goes vector by vector, the last partial
/// vector through a zero-padded copy; every element gets the same bits
/// either way.
#[inline(always)]
pub(crate) fn cr_map<L: Lanes64, I: Input>(src: I, dst: &mut [f32]) {
    let w = L::WIDTH;
    let n = dst.len();
    let steps = if L::CR_EIGHT_PER_STEP {
        let steps = n - n % (STEP_EIGHT * w);
        cr_steps::<L, I, STEP_EIGHT>(src, &mut dst[..steps]);
        steps
    } else {
        let steps = n - n % (STEP * w);
        cr_steps::<L, I, STEP>(src, &mut dst[..steps]);
        steps
    };
    let body = n - n % w;
    cr_steps::<L, I, 1>(src.skip(steps), &mut dst[steps..body]);
    if body < n {
        let mut xs = [0.0f32; MAX_WIDTH];
        xs[..n - body].copy_from_slice(src.get(dst, body, n - body));
        let (lo, hi) = cr_lanes(L::load_f32(&xs));
        let mut out = [0.0f32; MAX_WIDTH];
        lo.store_f32(&mut out);
        slow_lanes(L::round_differs(lo, hi), &xs, &mut out);
        dst[body..].copy_from_slice(&out[..n - body]);
    }
}

/// [`cr_map`] over whole steps of `V` vectors: all `V` computed, then
/// stored; a step with an undecided lane keeps a copy of its inputs (it
/// may be in place) for the slow path.
#[inline(always)]
fn cr_steps<L: Lanes64, I: Input, const V: usize>(src: I, dst: &mut [f32]) {
    let w = L::WIDTH;
    let step = V * w;
    for start in (0..dst.len()).step_by(step) {
        let s = src.skip(start).take(step);
        let out = &mut dst[start..start + step];
        let mut v = [L::splat(0.0); V];
        let mut hard = [0u32; V];
        for i in 0..V {
            let (lo, hi) = cr_lanes(L::load_f32(s.get(out, i * w, w)));
            v[i] = lo;
            hard[i] = L::round_differs(lo, hi);
        }
        if hard.iter().fold(0, |a, &h| a | h) == 0 {
            for i in 0..V {
                v[i].store_f32(&mut out[i * w..i * w + w]);
            }
        } else {
            for i in 0..V {
                let mut xs = [0.0f32; MAX_WIDTH];
                xs[..w].copy_from_slice(s.get(out, i * w, w));
                let o = &mut out[i * w..i * w + w];
                v[i].store_f32(o);
                slow_lanes(hard[i], &xs, o);
            }
        }
    }
}

/// The slow path: `out[i] = reference::sigmoid_cr(xs[i])` for each lane i
/// set in `hard`.
#[cold]
#[inline(never)]
fn slow_lanes(hard: u32, xs: &[f32], out: &mut [f32]) {
    for (i, o) in out.iter_mut().enumerate() {
        if hard & (1 << i) != 0 {
            *o = reference::sigmoid_cr(xs[i]);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cpu::lanes::Scalar64;

    /// (x, correctly rounded σ(x)) of `tests/data/sigmoid_cr_hard.txt`
    /// (mpmath at 200 bits; the integration tests read the same file).
    pub(crate) fn hard_inputs() -> Vec<(f32, f32)> {
        include_str!("../../tests/data/sigmoid_cr_hard.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let mut f = l.split_whitespace();
                let mut hex = || u32::from_str_radix(f.next().expect("field"), 16).expect("hex");
                (f32::from_bits(hex()), f32::from_bits(hex()))
            })
            .collect()
    }

    /// The fast path alone on the hard inputs (`tests/data`, mpmath at 200
    /// bits): it must never decide one wrongly, it must leave some
    /// undecided, and rounding its value would be wrong for some of those,
    /// so the slow path is needed.
    #[test]
    fn fast_path_decides_only_what_it_may() {
        let (mut undecided, mut wrong_if_rounded) = (0, 0);
        for (x, want) in hard_inputs() {
            let (lo, hi) = cr_lanes(Scalar64(f64::from(x)));
            if Scalar64::round_differs(lo, hi) == 0 {
                assert_eq!(lo.0 as f32, want, "x = {x:e}: decided wrongly");
            } else {
                undecided += 1;
                let v = (lo.0 + hi.0) / 2.0; // the f64 value, near enough
                wrong_if_rounded += usize::from(v as f32 != want);
            }
        }
        assert!(undecided > 100, "{undecided}");
        assert!(wrong_if_rounded > 0, "{wrong_if_rounded} of {undecided}");
    }
}
