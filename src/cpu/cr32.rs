//! The correctly rounded tier's `f32` first pass (AVX-512, AVX2): σ(x) over a
//! whole `f32` vector as m·y₀·(1 + ρ) with a relative error below
//! 2^−34.57, then a rounding test at [`CR32_MAX_REL`] = 1.5·2^−35; the
//! undecided lanes (about one in 800 of the bench's inputs, and every
//! x ≤ −87, NaN included) go through `cr.rs`'s `f64` path and its slow
//! path instead, in whole `f64` vectors, so every element gets the bits of
//! [`reference::sigmoid_cr`](crate::reference::sigmoid_cr) either way.
//!
//! Written once over [`Cr32Lanes`], a [`Lanes`] whose
//! [`Lanes::mul_add`] and [`Lanes::mul_neg_add`] are fused (the exact
//! steps below rely on it) with three operations of its own.

use super::cr;
use super::lanes::{Lanes, Lanes64, MAX_WIDTH};
use super::map::{Input, Out, Slice};
use super::sigma_table::{bits, T_HI};

/// A [`Lanes`] that runs [`cr32_map`] (with [`Lanes::lookup32`] for its
/// tables): its [`Lanes::mul_add`] and
/// [`Lanes::mul_neg_add`] round once (fused), and
/// [`Lanes::recip_estimate`] is within 2^−14.
pub(crate) trait Cr32Lanes: Lanes {
    /// The lane's bits 5 to 12 as an exponent field: the `f32`
    /// 2^(b − 127) for b = (bits >> 5) & 255 (the other bits are
    /// ignored).
    fn pow2_of_shr5(self) -> Self;
    /// A bit mask (bit i for lane i) of the lanes where `x > x_min` and
    /// `v1 == v2` (both ordered: false where any is NaN).
    fn decided(x: Self, x_min: Self, v1: Self, v2: Self) -> u32;
    /// [`Pending::flush`] out of line (the rare path, kept out of the
    /// loop and its registers).
    fn flush(pending: &mut Pending, dst: &mut [f32]);
    /// `dst[i] = σ(xs[i])` by [`cr::cr_map`] alone, out of line: a block
    /// where the first pass decided no lane.
    fn redo(xs: &[f32], dst: &mut [f32]);
}

/// 32·log2 e rounded to `f32`: i = round(x·C32) indexes 2^(i/32).
const C32: f32 = f32::from_bits(0x4238_AA3B);
/// 1.5·2^23 + 32·127: adding x·C32 ∈ [−4017, 4017] rounds to the integer
/// i and leaves 4064 + i ∈ [47, 8081] in the low 13 bits: bits 0–4 hold
/// j = i mod 32 (the table index), bits 5–12 hold 127 + ⌊i/32⌋, the
/// exponent field of m = 2^⌊i/32⌋ ([`Cr32Lanes::pow2_of_shr5`]).
const SHIFTER: f32 = 12_582_912.0 + 4064.0;
/// ln 2/32 rounded to `f32` (`L1`, |L1 − ln 2/32| < 2^−33.96) and the
/// rest rounded to `f32` (`L2`, |L1 + L2 − ln 2/32| < 2^−58.3).
const L1: f32 = f32::from_bits(0x3CB1_7218);
const L2: f32 = f32::from_bits(0xAE82_E308);
/// x is clamped to [−87, 87] in one operation ([`Lanes::clamp_sym`]):
/// σ(87) and all above round to 1, far from a midpoint; below −87
/// σ(x) < 2^−125.5 comes near the subnormals, where m·y₀ would round:
/// those lanes are left undecided (`X_MIN`), and the clamp keeps their
/// arithmetic away from subnormal values, which cost an Intel core a
/// microcode assist per operation (x in [−100, −87]: 75 Melem/s
/// unclamped, 585 clamped, on Emerald Rapids).
const X_CLAMP: f32 = 87.0;
const X_MIN: f32 = -87.0;
/// T_j = 2^(−j/32) rounded to `f32` (σ's table form's [`T_HI`]), and
/// τ_j = ln(2^(−j/32)/T_j) rounded to `f32` (|τ_j| < 2^−24, its rounding
/// < 2^−48): T_j·e^τ_j = 2^(−j/32) to within 2^−48 (mpmath at 300 bits).
/// (The table form's own τ is the relative difference (2^(−j/32) − T_j)/T_j
/// rounded: seven of its entries differ from these by one ULP.)
const TAU: [f32; 32] = bits([
    0x0000_0000,
    0xB215_6AFC,
    0x31B0_A147,
    0xB2D5_B899,
    0xB1D2_90BE,
    0xB1DA_8A8F,
    0xB1B4_B0DA,
    0xB2F2_6443,
    0xB27C_E183,
    0xB305_BF64,
    0x31D1_DAF2,
    0xB31A_472B,
    0x31B3_D0E5,
    0xB28E_10A1,
    0xB302_E5A2,
    0x32C5_95DC,
    0x3293_02AE,
    0xB336_5942,
    0xB200_6C56,
    0xB2E2_A0DB,
    0xB305_1AA9,
    0x3099_B6F1,
    0x331B_85F2,
    0xB2E6_F467,
    0x3309_2801,
    0xB315_86DE,
    0x334B_2481,
    0xB351_7DDA,
    0xB24E_0611,
    0xB36E_D17F,
    0x3346_CB6A,
    0xB34A_3A0B,
]);

/// P(v) ≈ (e^−v − 1 + v)/v² on |v| ≤ 0.01085 (`mpmath.chebyfit` at 200
/// bits, coefficients rounded to `f32`): |v²·P(v) − (e^−v − 1 + v)| <
/// 2^−41.5 (mpmath on 4001 points).
const P: [f32; 3] = [
    0.5,
    f32::from_bits(0xBE2A_AADC),
    f32::from_bits(0x3D2A_AACC),
];

/// Bound of the relative error of [`cr32_lanes`]'s value, used by its
/// rounding test: 1.5·2^−35 = 12u (u = 2^−38), 2^−34.42. The error
/// analysis (see [`cr32_lanes`]) gives below 10.8u = 2^−34.57, the
/// rounding of ρ' ∓ 12u included, so the test keeps a factor of 1.11 on
/// top (a scalar model measured 2^−35.7, 4.9u). A midpoint lies within
/// 12u of σ(x) for about one input in 800 (64K uniform in [−10, 10]: 1
/// lane in 780, 2.0 % of AVX-512's 16-lane vectors; the bench's grid on
/// [−12, 12]: 1 in 874, 1.8 %), which go to the `f64` path. (Until session 8 the test was at 2^−34 = 16u: a third more
/// undecided lanes.)
pub(crate) const CR32_MAX_REL: f32 = f32::from_bits(((127 - 35) << 23) | 0x40_0000);

/// The first pass, one vector: (v, decided) with v = σ(x) correctly
/// rounded in the lanes set in `decided`.
///
/// With x clamped to [−87, 87], i = round(x·32·log2 e) and w = x − i·ln 2/32
/// (|w| < 0.010836: C32's rounding moves x·C32 by at most 2^−12),
/// e^−x = 2^(−i/32)·e^−w; with i = 32·K + j (0 ≤ j < 32; the shifter
/// gives j and m = 2^K, both exact, from the bits), σ(x) = 1/(1 + e^−x)
/// = m/(m + 2^(−j/32)·e^−w) = m/(m + T_j·e^−v) with v = w − τ_j. Errors,
/// in units of u = 2^−38 relative to the result unless said otherwise:
/// - w₁ = x − i·L1 in one fused operation is exact: for i ≠ 0, |x| ≥
///   2^−7, so x and i·L1 are multiples of 2^−30, and |w₁| < 0.010836 +
///   4016·2^−33.96 < 2^−6 needs no finer bits. ν = i·L2 + τ_j (|ν| <
///   2^−21.9; rounded: 2^−46; L1 + L2's error times |i|: 2^−46.3), and
///   v = w₁ − ν rounded (|v| < 0.010836 + 2^−24, inside P's interval).
/// - N = T_j·e^−v = T_j·(1 − w₁ + tail), tail = ν + v²·P(v):
///   P's approximation 2^−41.5 (0.09u); v's rounding (2^−31) times
///   d(v²P)/dv ≤ |v|: 2^−37.5 (1.41u); the roundings of v² (2^−24 of
///   < 2^−13), of P(v) (≈ 1/2: 2^−25, times v²) and of tail (< 2^−14)
///   1u each: tail to within 4.55u (absolute; times T_j/N ≤ 1/0.989).
///   n_hi = T_j − T_j·w₁ (fused), its error from T_j − n_hi (exact,
///   Sterbenz) and one more fused operation (rounded: 2^−48), and n_lo =
///   T_j·tail + that (2^−24 of < 2^−13.97: 1.03u): N = n_hi + n_lo to
///   within 5.6u relative.
/// - D = m + N: Fast2Sum of max(m, n_hi) and min(m, n_hi) (exact: both
///   are positive, either may be larger), plus n_lo (2^−24 of
///   |d_lo| < 2^−24·D + 2^−13.97·N: 1.07u); D ≥ N, so N's relative error
///   carries over at most.
/// - 1/D = y₀·(1 + ρ + ρ² + …) with y₀ = [`Lanes::recip_estimate`] of
///   d_hi (within 2^−14) and ρ = 1 − y₀·D: ρ₁ = 1 − y₀·d_hi fused, then
///   ρ = ρ₁ − y₀·d_lo, then ρ' = ρ + ρ², each rounded at < 2^−13.9
///   (1u each); the ρ³ left out (2^−42: 0.06u).
/// - s = m·y₀ is exact (σ(x) > 2^−125.5 for x > −87: s is normal), and
///   v_∓ = s + s·(ρ' ∓ 12u), each rounded once (fused), after ρ' ∓ 12u
///   rounded (< 2^−13.9: 1u).
///
/// In all below 9.8u = 2^−34.71, and 10.8u = 2^−34.57 with the last
/// rounding, less than the 12u of [`CR32_MAX_REL`], so v_− and v_+ bracket σ(x) and where they are equal that
/// is σ(x) correctly rounded. (A scalar model of these steps, y₀ off by 0
/// and ±6·10^−5, measured 2^−35.7 over every 1009th `f32` in range.) m,
/// n_hi, D and y₀ are normal `f32`s for x in [−87, 87], and no step
/// overflows. NaN fails `x > −87` (the clamp keeps it NaN, or on AVX-512
/// makes it ±87); +∞ clamps to 87 (σ rounds to 1); −∞ fails the range.
#[inline(always)]
pub(crate) fn cr32_lanes<L: Cr32Lanes>(x: L) -> (L, u32) {
    let (kf, w1, tail) = reduce(x);
    let (d_hi, d_lo, m) = denominator(kf, w1, tail);
    finish(x, d_hi, d_lo, m)
}

/// [`cr32_lanes`] up to e^−v: (kf, w₁, tail), kf the shifter's value
/// (i, j and m in its bits).
#[inline(always)]
fn reduce<L: Cr32Lanes>(x: L) -> (L, L, L) {
    let x = x.clamp_sym(L::splat(X_CLAMP));
    let kf = x.mul_add(L::splat(C32), L::splat(SHIFTER));
    let i = kf - L::splat(SHIFTER); // exact
    let w1 = i.mul_neg_add(L::splat(L1), x); // exact
    let nu = i.mul_add(L::splat(L2), kf.lookup32(&TAU));
    let v = w1 - nu;
    let p = v.mul_add(L::splat(P[2]), L::splat(P[1]));
    let p = p.mul_add(v, L::splat(P[0]));
    let tail = (v * v).mul_add(p, nu);
    (kf, w1, tail)
}

/// [`cr32_lanes`]'s D = m + N as the pair (d_hi, d_lo), and m.
#[inline(always)]
fn denominator<L: Cr32Lanes>(kf: L, w1: L, tail: L) -> (L, L, L) {
    let m = kf.pow2_of_shr5(); // 2^⌊i/32⌋, exact
    let t = kf.lookup32(&T_HI);
    let n_hi = t.mul_neg_add(w1, t);
    let n_lo = t.mul_add(tail, t.mul_neg_add(w1, t - n_hi));
    // Fast2Sum of the larger and the smaller (both positive): m + n_hi =
    // d_hi + err exactly.
    let d_hi = m + n_hi;
    let d_lo = ((m.max(n_hi) - d_hi) + m.min(n_hi)) + n_lo;
    (d_hi, d_lo, m)
}

/// [`cr32_lanes`]'s m/D and its rounding test.
#[inline(always)]
fn finish<L: Cr32Lanes>(x: L, d_hi: L, d_lo: L, m: L) -> (L, u32) {
    let y0 = d_hi.recip_estimate();
    let one = L::splat(1.0);
    let rho = y0.mul_neg_add(d_lo, y0.mul_neg_add(d_hi, one));
    let rho = rho.mul_add(rho, rho);
    let s = m * y0;
    let e = L::splat(CR32_MAX_REL);
    let lo = s.mul_add(rho - e, s);
    let hi = s.mul_add(rho + e, s);
    (lo, L::decided(x, L::splat(X_MIN), lo, hi))
}

/// Vectors per block of [`cr32_map`]: three. σ's table form
/// (`sigma_table.rs`), whose three passes this loop copies, takes eight;
/// here eight ran 10–15 % slower than three on Zen 4 (four and two in
/// between: `docs/benchmarks.md`), the same operations per vector.
const VECS: usize = 3;

/// Capacity of [`Pending`]: fewer than [`MAX_WIDTH`] lanes wait before
/// a block (flushed after it from `f64` width on) and before the vectors
/// after the blocks, and either adds at most [`VECS`] vectors' worth.
const PENDING: usize = (VECS + 1) * MAX_WIDTH;

/// The lanes the first pass left undecided, waiting for the `f64` path in
/// whole [`Lanes::F64`] vectors: their inputs and their positions in the
/// output.
pub(crate) struct Pending {
    xs: [f32; PENDING],
    at: [usize; PENDING],
    n: usize,
}

impl Pending {
    /// Adds the lanes of `xs` (the inputs of a vector stored at `at`) that
    /// are not set in `decided`.
    #[cold]
    #[inline(never)]
    fn push(&mut self, xs: &[f32], decided: u32, at: usize) {
        let (n, len) = (self.n, xs.len());
        if decided == 0 {
            // The whole vector (x ≤ −87, NaN): one copy.
            self.xs[n..n + len].copy_from_slice(xs);
            for (k, a) in self.at[n..n + len].iter_mut().enumerate() {
                *a = at + k;
            }
            self.n += len;
            return;
        }
        let mut undecided = !decided & ((1u64 << len) - 1) as u32;
        while undecided != 0 {
            let i = undecided.trailing_zeros() as usize;
            self.xs[self.n] = xs[i];
            self.at[self.n] = at + i;
            self.n += 1;
            undecided &= undecided - 1;
        }
    }

    /// [`Cr32Lanes::flush`]'s body: the waiting lanes through
    /// [`cr::cr_map`] (the `f64` path, then the oracle: the same bits),
    /// each result to its position in `dst`.
    #[inline(always)]
    pub(crate) fn flush<L: Cr32Lanes>(&mut self, dst: &mut [f32]) {
        let n = self.n;
        let mut ys = [0.0f32; PENDING];
        cr::cr_map::<L::F64, _>(Slice(&self.xs[..n]), &mut ys[..n]);
        for (&at, &y) in self.at[..n].iter().zip(&ys[..n]) {
            dst[at] = y;
        }
        self.n = 0;
    }
}

/// Stores `v` (the first pass's values) into `out[at..]`; where `decided`
/// misses a lane, the vector's inputs (which may be `out`: read first)
/// go to `pending`, for position `base + at`.
#[inline(always)]
fn store_decided<L: Cr32Lanes, I: Input>(
    v: L,
    decided: u32,
    s: I,
    out: &mut [f32],
    at: usize,
    (pending, base): (&mut Pending, usize),
) {
    let w = L::WIDTH;
    if decided != ((1u64 << w) - 1) as u32 {
        pending.push(s.get(out, at, w), decided, base + at);
    }
    v.store(&mut out[at..at + w]);
}

/// `dst[i] = σ(src[i])` correctly rounded: [`cr32_lanes`] in blocks of
/// [`VECS`] vectors, each in three passes ([`reduce`], [`denominator`],
/// [`finish`]: short dependency chains side by side, as in σ's table
/// form) and one test of all their masks before the stores (a branch per
/// vector let the compiler sink each vector's passes into its branch,
/// back into one long chain), then vector by vector. The lanes left
/// undecided wait in [`Pending`] and go through [`cr::cr_map`] (the `f64`
/// path, then the oracle: the same bits) in whole `f64` vectors after a
/// block, as does the last partial vector; a block where no lane was
/// decided (x ≤ −87) goes through the `f64` path whole. A block whose lanes are all
/// decided is stored as `O` says (streamed from [`crate::cpu::STREAM_MIN`]
/// elements, its input prefetched ahead, as in σ's table form); the
/// others through the cache.
#[inline(always)]
pub(crate) fn cr32_map<L: Cr32Lanes, I: Input, O: Out>(src: I, dst: &mut [f32]) {
    let w = L::WIDTH;
    let h = <L::F64 as Lanes64>::WIDTH;
    let blk = VECS * w;
    let blocks = dst.len() - dst.len() % blk;
    let full = ((1u64 << w) - 1) as u32;
    let zero = L::splat(0.0);
    let (mut a, mut b, mut c) = ([zero; VECS], [zero; VECS], [zero; VECS]);
    let mut pending = Pending {
        xs: [0.0; PENDING],
        at: [0; PENDING],
        n: 0,
    };
    for start in (0..blocks).step_by(blk) {
        O::ahead::<L, I>(&src, start, blk);
        let s = src.skip(start).take(blk);
        let out = &mut dst[start..start + blk];
        for v in 0..VECS {
            (a[v], b[v], c[v]) = reduce(L::load(s.get(out, v * w, w)));
        }
        for v in 0..VECS {
            (a[v], b[v], c[v]) = denominator(a[v], b[v], c[v]);
        }
        let mut decided = [0u32; VECS];
        let (mut all, mut any) = (full, 0);
        for v in 0..VECS {
            let x = L::load(s.get(out, v * w, w));
            (a[v], decided[v]) = finish(x, a[v], b[v], c[v]);
            all &= decided[v];
            any |= decided[v];
        }
        if all == full {
            for v in 0..VECS {
                O::put(a[v], &mut out[v * w..v * w + w]);
            }
        } else if any == 0 {
            // No lane decided (x ≤ −87 or NaN throughout): the whole
            // block through the `f64` path, from a copy of its inputs
            // (which may be `out`).
            let mut xs = [0.0f32; VECS * MAX_WIDTH];
            xs[..blk].copy_from_slice(s.get(out, 0, blk));
            L::redo(&xs[..blk], out);
        } else {
            for v in 0..VECS {
                store_decided(a[v], decided[v], s, out, v * w, (&mut pending, start));
            }
            if pending.n >= h {
                L::flush(&mut pending, dst);
            }
        }
    }
    let body = dst.len() - dst.len() % w;
    for start in (blocks..body).step_by(w) {
        let s = src.skip(start).take(w);
        let out = &mut dst[start..start + w];
        let (y, decided) = cr32_lanes(L::load(s.get(out, 0, w)));
        store_decided(y, decided, s, out, 0, (&mut pending, start));
    }
    if pending.n > 0 {
        L::flush(&mut pending, &mut dst[..body]);
    }
    cr::cr_map::<L::F64, _>(src.skip(body), &mut dst[body..]);
}

/// The check the x86 backends' tests share.
#[cfg(all(test, target_arch = "x86_64"))]
pub(crate) mod tests {
    use crate::reference;

    /// The shared check of a backend's `f32` first pass alone (`pass`: its
    /// [`cr32_lanes`](super::cr32_lanes) on one vector of `width` inputs,
    /// the values and the decided mask): on the hard inputs (`tests/data`,
    /// mpmath at 200 bits, all within 2^−21 ULP of a midpoint) it decides
    /// none wrongly, and on a grid over [−90, 70] it decides only correct
    /// results, nothing from x ≤ −87, and nearly everything else.
    pub(crate) fn check_first_pass(width: usize, pass: impl Fn(&[f32]) -> (Vec<f32>, u32)) {
        let hard = crate::cpu::cr::tests::hard_inputs();
        let grid = (0..1 << 20).map(|i| -90.0 + 160.0 * i as f32 / (1 << 20) as f32);
        let cases: Vec<(f32, f32)> = hard
            .iter()
            .copied()
            .chain(grid.map(|x| (x, reference::sigmoid_cr(x))))
            .collect();
        let (mut decided, mut in_range) = (0usize, 0usize);
        for c in cases.chunks(width) {
            let mut xs = vec![0.0f32; width];
            for (x, &(v, _)) in xs.iter_mut().zip(c) {
                *x = v;
            }
            let (out, mask) = pass(&xs);
            for (i, &(x, want)) in c.iter().enumerate() {
                in_range += usize::from(x > -87.0);
                if mask & (1 << i) != 0 {
                    assert!(x > -87.0, "x = {x:e} decided");
                    assert_eq!(out[i], want, "x = {x:e}: decided wrongly");
                    decided += 1;
                }
            }
        }
        assert!(decided * 1000 > in_range * 995, "{decided} of {in_range}");
    }
}
