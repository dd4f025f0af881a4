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

/// |x| is clamped here: σ(−104) < 2^−150 rounds to 0 and 1 − σ(−104) to 1,
/// so the clamp changes no result, and k = round(a·log2 e) ≤ 151.
const CLAMP: f64 = 104.0;
/// 1.5·2^52 + 1023: adding it to −a·log2 e ∈ [−151, 0] rounds to the
/// integer −k and leaves 1023 − k in the low mantissa bits, which shifted
/// into the exponent field give 2^−k (see [`Lanes64::shl_exponent`]).
const SHIFTER: f64 = 6_755_399_441_055_744.0 + 1023.0;
/// ln 2 to 45 significant bits: k·LN2_HI is exact for k < 2^8, and
/// a − k·LN2_HI is then exact too (both are multiples of 2^−45 and the
/// difference is below 2^7).
const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEFA_3900);
/// ln 2 − LN2_HI rounded to `f64` (the rest is below 2^−102).
const LN2_LO: f64 = f64::from_bits(0x3D1D_E6AF_278E_CE60);
/// Q(r) ≈ (e^r − 1 − r)/r² on [−0.347, 0.347] (Chebyshev fit at 200 bits
/// with mpmath, coefficients rounded to `f64`): 1 + r + r²·Q(r) is e^r to
/// within 2^−55.7 relative.
const Q: [f64; 10] = [
    f64::from_bits(0x3FE0_0000_0000_0001),
    f64::from_bits(0x3FC5_5555_5555_5556),
    f64::from_bits(0x3FA5_5555_5555_3D2B),
    f64::from_bits(0x3F81_1111_1111_09A2),
    f64::from_bits(0x3F56_C16C_178A_18C1),
    f64::from_bits(0x3F2A_01A0_1A7D_176D),
    f64::from_bits(0x3EFA_019B_8B8F_8697),
    f64::from_bits(0x3EC7_1DE0_D7A9_72EF),
    f64::from_bits(0x3E92_891E_963A_B1F9),
    f64::from_bits(0x3E5A_F392_4BE9_9A57),
];

/// Bound of the relative error of [`cr_lanes`]'s `f64` value, used by its
/// rounding test: 2^−47. The error analysis (module docs of [`cr_lanes`])
/// gives below 2^−50.2; the test keeps a factor of 9 on top.
pub(crate) const CR_F64_MAX_REL: f64 = f64::from_bits((1023 - 47) << 52);

/// The fast path, one vector: σ(x) in `f64` as `(v, lo, hi)` with the true
/// σ(x) in [lo, hi]; where `lo` and `hi` round to the same `f32`, that is
/// the correctly rounded result, and so is `v` rounded.
///
/// With a = min(|x|, 104), k = round(a·log2 e) (the shifter trick, which
/// also gives m = 2^−k exactly) and r = a − k·ln2 (r₁ = a − k·LN2_HI
/// exact, then one rounding: |error| ≤ 2^−55): e^r = 1 + r + r²·Q(r)
/// (approximation 2^−55.7, evaluation below 2^−51.5 relative, fused or
/// not), t = σ(−a) = m/(e^r + m) (the sum and the reciprocal 2^−53 and
/// 2^−52, the product by m exact), and σ(x) = t for x < 0, 1 − t (one
/// more rounding, t ≤ 1/2 so no cancellation) for x ≥ 0: relative error
/// below 2^−50.2 in all. lo and hi are v ∓ v·2^−47 (the product exact,
/// the sums rounded inwards by at most 2^−53 relative). A NaN input stays
/// NaN (see [`Lanes64::min`]), so its lanes fail the test.
#[inline(always)]
pub(crate) fn cr_lanes<L: Lanes64>(x: L) -> (L, L, L) {
    let one = L::splat(1.0);
    let a = x.abs().min(L::splat(CLAMP));
    let kf = a.mul_add(L::splat(-core::f64::consts::LOG2_E), L::splat(SHIFTER));
    let kn = kf - L::splat(SHIFTER); // −k, exact
    let m = kf.shl_exponent(); // 2^−k, exact
    let r1 = kn.mul_add(L::splat(LN2_HI), a); // exact
    let r = kn.mul_add(L::splat(LN2_LO), r1);
    let mut q = L::splat(Q[9]);
    for &c in Q[..9].iter().rev() {
        q = q.mul_add(r, L::splat(c));
    }
    let e = (r * r).mul_add(q, r) + one;
    let t = (e + m).recip() * m;
    let v = x.select_sign(t, one - t);
    let w = v * L::splat(CR_F64_MAX_REL);
    (v, v - w, v + w)
}

/// Largest [`Lanes64::WIDTH`] of any backend.
const MAX_WIDTH: usize = 8;

/// `dst[i] = σ(src[i])` correctly rounded, vector by vector: the fast path,
/// and for the lanes its rounding test leaves undecided,
/// [`reference::sigmoid_cr`] (a double-double evaluation; a few hundred
/// of all 2^32 inputs). The last partial vector goes through a
/// zero-padded copy; every element gets the same bits either way.
#[inline(always)]
pub(crate) fn cr_map<L: Lanes64, I: Input>(src: I, dst: &mut [f32]) {
    let w = L::WIDTH;
    let n = dst.len();
    let body = n - n % w;
    for start in (0..body).step_by(w) {
        let x = L::load_f32(src.get(dst, start, w));
        let (v, lo, hi) = cr_lanes(x);
        let hard = L::round_differs(lo, hi);
        if hard == 0 {
            v.store_f32(&mut dst[start..start + w]);
        } else {
            let mut xs = [0.0f32; MAX_WIDTH];
            xs[..w].copy_from_slice(src.get(dst, start, w));
            let out = &mut dst[start..start + w];
            v.store_f32(out);
            slow_lanes(hard, &xs, out);
        }
    }
    if body < n {
        let mut xs = [0.0f32; MAX_WIDTH];
        xs[..n - body].copy_from_slice(src.get(dst, body, n - body));
        let (v, lo, hi) = cr_lanes(L::load_f32(&xs));
        let mut out = [0.0f32; MAX_WIDTH];
        v.store_f32(&mut out);
        slow_lanes(L::round_differs(lo, hi), &xs, &mut out);
        dst[body..].copy_from_slice(&out[..n - body]);
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
            let (v, lo, hi) = cr_lanes(Scalar64(f64::from(x)));
            if Scalar64::round_differs(lo, hi) == 0 {
                assert_eq!(v.0 as f32, want, "x = {x:e}: decided wrongly");
            } else {
                undecided += 1;
                wrong_if_rounded += usize::from(v.0 as f32 != want);
            }
        }
        assert!(undecided > 100, "{undecided}");
        assert!(wrong_if_rounded > 0, "{wrong_if_rounded} of {undecided}");
    }
}
