//! The correctly rounded tier: σ(x) rounded to the nearest `f32` for every
//! `f32` x, the same bits on every backend. Written once over
//! [`Lanes64`] (the `f64` vector of each instruction set) with a loop of
//! its own: an `f64` evaluation whose error is bounded, a rounding test,
//! and the oracle's double-double evaluation for the few inputs the test
//! cannot decide (the CORE-MATH design).
//!
//! Every function is `#[inline(always)]`, as in `sigma.rs`; `ops.rs`
//! dispatches to [`cr_map`] with the backend's [`Lanes::F64`](super::lanes::Lanes::F64).

use super::lanes::Lanes64;
use super::map::Input;
use crate::reference;

/// x is clamped to [−104, 104]: σ(−104) < 2^−150 rounds to 0 and
/// σ(104) to 1, so the clamp changes no result, and |k| ≤ 2401 below.
const CLAMP: f64 = 104.0;
/// 16·log2 e: k = round(x·16·log2 e), e^−x = 2^(−k/16)·e^r.
const LOG2E_16: f64 = 16.0 * core::f64::consts::LOG2_E;
/// 1.5·2^52 + 16·1023: adding it to x·16·log2 e ∈ [−2401, 2401] rounds
/// to the integer k and leaves 16·1023 + k in the low mantissa bits: with
/// k = 16·K + j (0 ≤ j < 16), bits 0–3 hold j (the table index) and bits
/// 4–15 hold 1023 + K, the exponent field of 2^K
/// ([`Lanes64::shr4_shl_exponent`]).
const SHIFTER: f64 = 6_755_399_441_055_744.0 + 16.0 * 1023.0;
/// ln 2/16 to 41 significant bits: k·LN2_16_HI is exact for |k| < 2^12,
/// and x − k·LN2_16_HI is then exact too (both are multiples of 2^−45
/// where k ≠ 0, and the difference is below 2^−5).
const LN2_16_HI: f64 = f64::from_bits(0x3FA6_2E42_FEFA_3000);
/// ln 2/16 − LN2_16_HI rounded to `f64` (the rest is below 2^−106).
const LN2_16_LO: f64 = f64::from_bits(0x3D13_DE6A_F278_ECE6);
/// 2^(−j/16) for j = 0..16, rounded to `f64` (relative error ≤ 2^−53).
const EXP2_NEG_J16: [f64; 16] = [
    f64::from_bits(0x3FF0_0000_0000_0000),
    f64::from_bits(0x3FEE_A4AF_A2A4_90DA),
    f64::from_bits(0x3FED_5818_DCFB_A487),
    f64::from_bits(0x3FEC_199B_DD85_529C),
    f64::from_bits(0x3FEA_E89F_995A_D3AD),
    f64::from_bits(0x3FE9_C491_82A3_F090),
    f64::from_bits(0x3FE8_ACE5_422A_A0DB),
    f64::from_bits(0x3FE7_A114_73EB_0187),
    f64::from_bits(0x3FE6_A09E_667F_3BCD),
    f64::from_bits(0x3FE5_AB07_DD48_5429),
    f64::from_bits(0x3FE4_BFDA_D536_2A27),
    f64::from_bits(0x3FE3_DEA6_4C12_3422),
    f64::from_bits(0x3FE3_06FE_0A31_B715),
    f64::from_bits(0x3FE2_387A_6E75_6238),
    f64::from_bits(0x3FE1_72B8_3C7D_517B),
    f64::from_bits(0x3FE0_B558_6CF9_890F),
];
/// Q(ρ) ≈ (e^−ρ − 1 + ρ)/ρ² on |ρ| ≤ ln2/32 (Chebyshev fit at 200 bits
/// with mpmath, coefficients rounded to `f64`): 1 + ρ·(ρ·Q(ρ) − 1) is
/// e^−ρ to within 2^−54.9 relative.
const Q: [f64; 5] = [
    f64::from_bits(0x3FE0_0000_0000_0000),
    f64::from_bits(0xBFC5_5555_554D_D44D),
    f64::from_bits(0x3FA5_5555_5551_94D2),
    f64::from_bits(0xBF81_1120_AF70_1E68),
    f64::from_bits(0x3F56_C17B_B51F_23EA),
];

/// Bound of the relative error of [`cr_lanes`]'s `f64` value, used by its
/// rounding test: 2^−47. The error analysis (see [`cr_lanes`]) gives
/// below 2^−50.4; the test keeps a factor of 10 on top.
pub(crate) const CR_F64_MAX_REL: f64 = f64::from_bits((1023 - 47) << 52);

/// The fast path, one vector: `(lo, hi)` around σ(x) computed in `f64`,
/// with the true σ(x) in [lo, hi]; where `lo` and `hi` round to the same
/// `f32`, that is the correctly rounded result.
///
/// With x clamped to [−104, 104] and k = round(x·16·log2 e) = 16·K + j
/// (the shifter trick gives j and m = 2^K exactly, both from the bits),
/// e^−x = 2^−K·T_j·e^−ρ with T_j = 2^(−j/16) from a table and
/// ρ = x − k·ln2/16 (|ρ| ≤ ln2/32; the first part exact, one rounding:
/// |error| ≤ 2^−59). So σ(x) = 1/(1 + e^−x) = m/(m + T_j·e^−ρ), with
/// e^−ρ = 1 + s, s = ρ·(ρ·Q(ρ) − 1) (approximation 2^−54.9, rounding
/// below 2^−57.4) and the denominator T_j·s + (T_j + m) (T_j, the sum and
/// the fused product 2^−53 each: below 2^−51.3 in all); m ∈ [2^−151,
/// 2^150] and the result are normal `f64`s, so no step overflows or
/// cancels for either sign of x. With the quotient m/d's 2^−52
/// ([`Lanes64::div_pow2`]: a reciprocal within 2^−52 times m, exact, or
/// one correctly rounded division, 2^−53), the relative error of v is
/// below 2^−50.4. lo and
/// hi are v ∓ v·2^−47 (the product exact, one rounding each, inwards by
/// at most 2^−53 relative). A NaN input stays NaN through the clamp (see
/// [`Lanes64::max`]), so its lanes fail the test.
#[inline(always)]
pub(crate) fn cr_lanes<L: Lanes64>(x: L) -> (L, L) {
    let x = x.max(L::splat(-CLAMP)).min(L::splat(CLAMP));
    let kf = x.mul_add(L::splat(LOG2E_16), L::splat(SHIFTER));
    let k = kf - L::splat(SHIFTER); // exact
    let m = kf.shr4_shl_exponent(); // 2^K, exact
    let t = kf.lookup16(&EXP2_NEG_J16);
    let rho = k.mul_add(L::splat(-LN2_16_HI), x); // exact
    let rho = k.mul_add(L::splat(-LN2_16_LO), rho);
    let q = rho.mul_add(L::splat(Q[4]), L::splat(Q[3]));
    let q = q.mul_add(rho, L::splat(Q[2]));
    let q = q.mul_add(rho, L::splat(Q[1]));
    let q = q.mul_add(rho, L::splat(Q[0]));
    let s = rho * rho.mul_add(q, L::splat(-1.0)); // e^−ρ − 1
    let d = t.mul_add(s, t + m);
    let v = m.div_pow2(d);
    let e = CR_F64_MAX_REL;
    (v.mul_add(L::splat(-e), v), v.mul_add(L::splat(e), v))
}

/// Largest [`Lanes64::WIDTH`] of any backend.
const MAX_WIDTH: usize = 8;

/// Vectors per step of [`cr_map`]: four independent chains in one block,
/// which the core overlaps.
const STEP: usize = 4;

/// `dst[i] = σ(src[i])` correctly rounded, in steps of [`STEP`] vectors:
/// the fast path, and for the lanes its rounding test leaves undecided,
/// [`reference::sigmoid_cr`] (a double-double evaluation; a few hundred
/// of all 2^32 inputs). The rest goes vector by vector, the last partial
/// vector through a zero-padded copy; every element gets the same bits
/// either way.
#[inline(always)]
pub(crate) fn cr_map<L: Lanes64, I: Input>(src: I, dst: &mut [f32]) {
    let w = L::WIDTH;
    let n = dst.len();
    let steps = n - n % (STEP * w);
    cr_steps::<L, I, STEP>(src, &mut dst[..steps]);
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
        if hard.iter().all(|&h| h == 0) {
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
mod tests {
    use super::*;
    use crate::cpu::lanes::Scalar64;

    /// The fast path alone on the hard inputs (`tests/data`, mpmath at 200
    /// bits): it must never decide one wrongly, it must leave some
    /// undecided, and rounding its value would be wrong for some of those,
    /// so the slow path is needed.
    #[test]
    fn fast_path_decides_only_what_it_may() {
        let text = include_str!("../../tests/data/sigmoid_cr_hard.txt");
        let (mut undecided, mut wrong_if_rounded) = (0, 0);
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let mut f = l.split_whitespace();
            let mut hex = || u32::from_str_radix(f.next().expect("field"), 16).expect("hex");
            let (x, want) = (f32::from_bits(hex()), f32::from_bits(hex()));
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
