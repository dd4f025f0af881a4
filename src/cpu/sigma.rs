//! The σ algorithms, written once over [`Lanes`]: the exact tier (≤ 1 ULP),
//! the fast tier (relative ≤ 1e−4) and the backward pass from the saved
//! output, each one vector at a time, plus the exact tier's block loop.
//!
//! Every function is `#[inline(always)]` so that each backend's entry point
//! gets its own copy compiled with its own instruction set; the slice loops
//! they run in live in `map.rs`, the per-call dispatch in `ops.rs`.

use super::lanes::Lanes;
use super::map::{kernel, map1, Apply1, Input, Out};

/// log2(e) rounded to f32.
pub(crate) const LOG2E: f32 = core::f32::consts::LOG2_E;
/// ln 2 split for Cody–Waite reduction: `LN2_HI` has 9 significant bits, so
/// k·LN2_HI is exact for |k| ≤ 2^15 and a − k·LN2_HI is exact (Sterbenz).
pub(crate) const LN2_HI: f32 = f32::from_bits(0x3f31_8000); // 0.693359375 = 355/512
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;
/// |x| is clamped to 104: σ(−104) < 2^−150 rounds to +0, and the clamp keeps
/// the reduction finite for ±∞.
pub(crate) const EXACT_CLAMP: f32 = 104.0;
/// Minimax P(r) ≈ (e^r − 1 − r)/r² on [−ln2/2, ln2/2] (Remez, weighted by
/// r², coefficients rounded to f32): r²·P carries < 2^−27.7 absolute error,
/// under 0.11 ULP of the quotient where it matters most (r = −ln2/2).
pub(crate) const P: [f32; 5] = [
    0.5,
    0.166_665_18,
    0.041_666_206,
    0.008_368_888,
    0.001_395_048_9,
];

/// 1.5·2^23 + 191: adding it to a value in [−150, 0] rounds to an integer −k
/// and leaves 191 − k in the low mantissa bits, which shifted into the
/// exponent field give 2^(64−k) (see [`Lanes::shl_exponent`]).
pub(crate) const SHIFTER: f32 = 12_582_912.0 + 191.0;
/// The shifter value of −k = −149, the largest k used: 2^−149 is the
/// smallest subnormal, so 2^−k stays exact.
pub(crate) const SHIFTER_K_MAX: f32 = SHIFTER - 149.0;
/// 2^−64: turns 2^(64−k) into 2^−k exactly, subnormal included.
pub(crate) const TWO_M64: f32 = f32::from_bits(0x1f80_0000);

/// Step 1: returns (r₁, r_lo, m) with |x| (clamped) = k·ln2 + r₁ + r_lo and
/// m = 2^−k.
#[inline(always)]
pub(crate) fn exact_reduce<L: Lanes>(x: L) -> (L, L, L) {
    let (kf, kn, r1, r_lo) = exact_reduce_to(x, EXACT_CLAMP, SHIFTER_K_MAX);
    let m = L::pow2i_or(kn, || kf.shl_exponent() * L::splat(TWO_M64)); // 2^−k, exact
    (r1, r_lo, m)
}

/// Step 1 with another clamp of |x| and cap of k (given as the shifter
/// value of −k, at most 190): (kf, −k, r₁, r_lo), where kf is the shifter
/// value whose [`Lanes::shl_exponent`] is 2^(64−k).
#[inline(always)]
pub(crate) fn exact_reduce_to<L: Lanes>(x: L, clamp: f32, shifter_k_max: f32) -> (L, L, L, L) {
    let a = x.abs().min(L::splat(clamp));
    let kf = a
        .mul_add(L::splat(-LOG2E), L::splat(SHIFTER))
        .max(L::splat(shifter_k_max));
    let kn = kf - L::splat(SHIFTER); // −k, exact
    let r1 = kn.mul_add(L::splat(LN2_HI), a); // a − k·LN2_HI, exact
    let r_lo = kn * L::splat(LN2_LO);
    (kf, kn, r1, r_lo)
}

/// Step 2: e^(r₁+r_lo) as a normalized pair (n_hi, n_lo).
#[inline(always)]
pub(crate) fn exact_exp<L: Lanes>(r1: L, r_lo: L) -> (L, L) {
    let one = L::splat(1.0);
    let r = r1 + r_lo;
    let r2 = r * r;
    // P(r) by Estrin's scheme: short chains instead of one long one.
    let p01 = r.mul_add(L::splat(P[1]), L::splat(P[0]));
    let p23 = r.mul_add(L::splat(P[3]), L::splat(P[2]));
    let p = r2.mul_add(r2.mul_add(L::splat(P[4]), p23), p01);
    let tail = r2.mul_add(p, r_lo); // |tail| < 0.1
    let n_hi = one + (r1 + tail);
    // 1 − n_hi is exact; adding r₁ rounds only if |tail| ≥ 1/16, by ≤ 2^−28.
    let n_lo = ((one - n_hi) + r1) + tail;
    (n_hi, n_lo)
}

/// Step 3: y = 1/(N + m) for N = n_hi + n_lo, from
/// [`Lanes::recip_estimate`] and one correction step (which squares the
/// estimate's error; with the rounded quotient as the estimate it removes
/// only the last rounding).
#[inline(always)]
pub(crate) fn exact_quotient<L: Lanes>(n_hi: L, n_lo: L, m: L) -> L {
    let (y0, rho) = exact_quotient_parts(n_hi, n_lo, m);
    y0.mul_add(rho, y0)
}

/// [`exact_quotient`] before its last step: (y₀, ρ) with 1/(N + m) =
/// y₀·(1 + ρ) to within about 2^−28 relative, for callers that multiply
/// y by something and round once (y₀·b + (y₀·b)·ρ).
#[inline(always)]
pub(crate) fn exact_quotient_parts<L: Lanes>(n_hi: L, n_lo: L, m: L) -> (L, L) {
    let (d_hi, d_lo) = denominator(n_hi, n_lo, m);
    recip_pair(d_hi, d_lo)
}

/// 1/(d_hi + d_lo) (a normalized pair) as y₀·(1 + ρ) to within about
/// 2^−28 relative: y₀ from [`Lanes::recip_estimate`], ρ its correction.
#[inline(always)]
pub(crate) fn recip_pair<L: Lanes>(d_hi: L, d_lo: L) -> (L, L) {
    let y0 = d_hi.recip_estimate(); // to within 2^−14
    let rho = y0.mul_sub_exact(d_hi, L::splat(1.0)); // 1 − y₀·d_hi
    (y0, y0.mul_neg_add(d_lo, rho))
}

/// N + m as a normalized pair (Fast2Sum: N ≥ m always).
#[inline(always)]
pub(crate) fn denominator<L: Lanes>(n_hi: L, n_lo: L, m: L) -> (L, L) {
    let d_hi = n_hi + m;
    (d_hi, ((n_hi - d_hi) + m) + n_lo)
}

/// 1/(N + m) for N = n_hi + n_lo (m ≤ N) as y₀·(1 + ρ): y₀ the rounded
/// quotient of the high parts (a true division on every backend: the
/// callers' error analysis needs |ρ| ≤ 2^−24), ρ the relative correction
/// (the residual 1 − y₀·d_hi is exact in a fused multiply-subtract).
#[inline(always)]
pub(crate) fn quotient_pair<L: Lanes>(n_hi: L, n_lo: L, m: L) -> (L, L) {
    let one = L::splat(1.0);
    let (d_hi, d_lo) = denominator(n_hi, n_lo, m);
    let y0 = one / d_hi;
    let rho = y0.mul_sub_exact(d_hi, one); // 1 − y₀·d_hi, exact
    (y0, y0.mul_neg_add(d_lo, rho))
}

/// Step 4: m·y for x < 0 and 1 − m·y for x ≥ 0.
#[inline(always)]
pub(crate) fn exact_finish<L: Lanes>(x: L, y: L, m: L) -> L {
    let t = y * m; // exact unless subnormal, where 1 − t rounds to 1 anyway
    x.sign_select_sub(L::splat(1.0), t)
}

/// A kernel in the exact tier's three stages, for [`staged_blocks`]:
/// `reduce` (step 1: (r₁, r_lo, c) with c a value the finish needs), then
/// [`exact_exp`] (step 2), then `finish` from x, e^r as a pair and c.
pub(crate) trait Staged: Copy {
    fn reduce<L: Lanes>(self, x: L) -> (L, L, L);
    fn finish<L: Lanes>(self, x: L, n_hi: L, n_lo: L, c: L) -> L;
}

/// A [`Staged`] kernel as a one-vector kernel (the remainder of
/// [`staged_blocks`]): the three stages in a row, the same bits.
#[derive(Clone, Copy)]
pub(crate) struct Whole<S>(pub(crate) S);

impl<S: Staged> Apply1 for Whole<S> {
    #[inline(always)]
    fn apply<L: Lanes>(self, x: L) -> L {
        let (r1, r_lo, c) = self.0.reduce(x);
        let (n_hi, n_lo) = exact_exp(r1, r_lo);
        self.0.finish(x, n_hi, n_lo, c)
    }
}

/// σ's exact tier as [`Staged`] (c = 2^−k), one vector: σ(x) with ≤ 1 ULP error for every f32 `x`.
///
/// With a = |x|, t = σ(−a) = 1/(1 + e^a); the result is t for x < 0 and
/// 1 − t for x ≥ 0, so no cancellation happens outside the final rounding.
/// 1. a = min(|x|, 104); k = min(round(a·log2 e), 149) by the shifter trick,
///    which also gives m = 2^−k exactly (subnormal for k > 126);
///    r = a − k·ln2 (Cody–Waite: r₁ exact, the low part kept separately),
///    so e^a = 2^k·e^r.
/// 2. N = e^r = 1 + r + r²P(r) as a normalized pair n_hi + n_lo
///    (n_hi = 1 + (r₁ + tail) rounded, n_lo the remainder).
/// 3. t = 1/(1 + 2^k·N) = m/D with D = N + m, also as a pair (Fast2Sum:
///    N ≥ m always); y = 1/D from one division and one correction step
///    (the residual 1 − y₀·d_hi is exact in a fused multiply-subtract).
/// 4. x < 0: y·m, exact unless subnormal (then one more rounding); x ≥ 0:
///    1 − y·m. With k capped at 149, y·m rounds to 2^−149 exactly when
///    N < 2, i.e. a < 150·ln2, which is where σ(−a) > 2^−150.
///    A NaN input is carried through every step (see [`Lanes::max`]).
#[derive(Clone, Copy)]
pub(crate) struct ExactStages;

impl Staged for ExactStages {
    #[inline(always)]
    fn reduce<L: Lanes>(self, x: L) -> (L, L, L) {
        exact_reduce(x)
    }
    #[inline(always)]
    fn finish<L: Lanes>(self, x: L, n_hi: L, n_lo: L, m: L) -> L {
        exact_finish(x, exact_quotient(n_hi, n_lo, m), m)
    }
}

/// The exact tier over slices: [`staged_blocks`] with [`ExactStages`].
#[inline(always)]
pub(crate) fn exact_blocks<L: Lanes, I: Input, O: Out>(src: I, dst: &mut [f32]) {
    staged_blocks::<L, _, I, O>(ExactStages, src, dst)
}

/// A [`Staged`] kernel over slices, in blocks of `VECS` vectors and three
/// passes over each block (step 1; step 2; the finish): each pass is a
/// short dependency chain, so the out-of-order core overlaps many vectors
/// instead of stalling on one long chain per vector (the variants measured
/// against this one are in `docs/benchmarks.md`). Remainders go through
/// [`map1`]; every element gets the same bits either way.
#[inline(always)]
pub(crate) fn staged_blocks<L: Lanes, S: Staged, I: Input, O: Out>(k: S, src: I, dst: &mut [f32]) {
    const VECS: usize = 32;
    let w = L::WIDTH;
    let blk = VECS * w;
    let body = dst.len() - dst.len() % blk;
    let zero = L::splat(0.0);
    let (mut a, mut b, mut sc) = ([zero; VECS], [zero; VECS], [zero; VECS]);
    for start in (0..body).step_by(blk) {
        O::ahead::<L, I>(&src, start, blk);
        // Exact-length views, so the indexing below needs no bounds checks.
        let s = src.skip(start).take(blk);
        let out = &mut dst[start..start + blk];
        for v in (0..VECS).step_by(2) {
            for v in [v, v + 1] {
                (a[v], b[v], sc[v]) = k.reduce(L::load(s.get(out, v * w, w)));
            }
        }
        for v in (0..VECS).step_by(2) {
            for v in [v, v + 1] {
                (a[v], b[v]) = exact_exp(a[v], b[v]);
            }
        }
        for v in (0..VECS).step_by(2) {
            for v in [v, v + 1] {
                let x = L::load(s.get(out, v * w, w));
                O::put(k.finish(x, a[v], b[v], sc[v]), &mut out[v * w..v * w + w]);
            }
        }
    }
    map1::<L, _, _, O>(Whole(k), src.skip(body), &mut dst[body..]);
}

/// 2^f ≈ 1 + f·(Q0 + f·(Q1 + f·Q2)) on [0, 1]: minimax relative error
/// 8.6e−5 (a linear program over a fine grid, coefficients rounded to
/// f32), which leaves the tier's 1e−4 contract 14% of headroom for the other
/// roundings when the reciprocal is (nearly) correctly rounded. All
/// coefficients positive and Q0+Q1+Q2 < 1, so the evaluation is monotone in
/// f and stays below 2 as f → 1.
const Q: [f32; 3] = [0.695_116_76, 0.227_645_19, 0.077_066_906];
/// 2^f ≈ 1 + f·(Q4_0 + f·(Q4_1 + f·(Q4_2 + f·Q4_3))) on [0, 1]: minimax
/// relative error 2.9e−6 (3.0e−6 evaluated in f32; the same linear
/// program), for backends whose reciprocal is an estimate to within 2^−14
/// (6.1e−5). Positive coefficients with a sum below 1, as for [`Q`]: p(f)
/// is monotone and p(0.99999994) = 1.999994 < 2.
const Q4: [f32; 4] = [0.693_044_66, 0.241_281_03, 0.052_241_158, 0.013_427_338];

/// Fast tier, one vector: 1/(1 + 2^v) with v = −x·log2 e, 2^v from an exact
/// power of two and a polynomial in the fraction f = v − ⌊v⌋
/// ([`Lanes::floor_split`], which clamps v to [−126, 128] where the
/// backend needs it). Two forms:
/// - the reciprocal rounded (nearly) correctly ([`Lanes::recip`]) and 2^f
///   to degree 3 (8.6e−5): max relative error 8.94e−5;
/// - where the backend has a reciprocal estimate instruction
///   ([`Lanes::HAS_RECIP_ESTIMATE`]: AVX-512's `vrcp14ps`), the estimate
///   alone (< 2^−14 = 6.1e−5 by the instruction's specification, on
///   Intel and AMD alike) and 2^f to degree 4 (3.0e−6): with the error
///   of v (|v| ≤ 126 where the bound applies; v rounded once and log2 e
///   to f32, 7.3e−8 relative together: ≤ 126·ln2·7.3e−8 = 6.4e−6 in 2^v)
///   and the other roundings (a few 2^−24), under 7.2e−5 on any AVX-512
///   CPU; 5.70e−5 measured over all 2^32 inputs on Intel. No Newton step,
///   and no ∞ fix: the estimate of 1/+∞ is +0.
///
/// Every step is a monotone function of the previous one (positive Horner
/// coefficients on f ≥ 0; at each integer v, 2^v·p steps up from
/// 2^(v−1)·p(1) < 2^v to 2^v, the monotone direction), so the result is
/// monotone non-decreasing in x where the reciprocal is monotone
/// non-increasing: a rounded quotient is; `vrcp14ps` is a hardware table,
/// checked on the running CPU by the AVX-512 backend's tests (Intel:
/// monotone).
/// Relative error < 1e−4 where σ(x) ≥ 2^−126.
#[inline(always)]
pub(crate) fn fast_lanes<L: Lanes>(x: L) -> L {
    let one = L::splat(1.0);
    let (f, n) = (x * L::splat(-LOG2E)).floor_split();
    if L::HAS_RECIP_ESTIMATE {
        let q = f.mul_add(L::splat(Q4[3]), L::splat(Q4[2]));
        let q = q.mul_add(f, L::splat(Q4[1]));
        let q = q.mul_add(f, L::splat(Q4[0]));
        let p = q.mul_add(f, one);
        L::mul_pow2_add(p, n, one).recip_estimate() // NaN stays NaN
    } else {
        let q = f.mul_add(L::splat(Q[2]), L::splat(Q[1]));
        let q = q.mul_add(f, L::splat(Q[0]));
        let p = q.mul_add(f, one);
        L::mul_pow2_add(p, n, one).recip() // a NaN stays NaN from here on (0·NaN is NaN)
    }
}

/// Backward, one vector: dx = dy·(y − y²) with y − y² rounded once (a fused
/// multiply-subtract on every backend), then one rounding for the product:
/// relative error ≤ 2^−24 + 2^−24, which is ≤ 1.5 ULP even at the top of a
/// binade. (Rounding 1 − y and y·(1 − y) separately would allow 2.5 ULP.)
#[inline(always)]
pub(crate) fn backward_lanes<L: Lanes>(y: L, dy: L) -> L {
    dy * y.mul_sub_exact(y, y)
}

kernel!(FastK: Apply1, fast_lanes);
kernel!(BackwardK: Apply2, backward_lanes);
