//! The small vector trait every CPU kernel is written against, and its
//! one-lane scalar implementation; likewise [`Lanes64`], the `f64` vector
//! of the correctly rounded tier (`cr.rs`), reached from each backend's
//! [`Lanes`] type as [`Lanes::F64`].
//!
//! The algorithms (`sigma.rs`, `stable.rs`, `hard.rs`) are generic over [`Lanes`] and
//! `#[inline(always)]`; each backend (scalar, portable `wide`, AVX2+FMA,
//! AVX-512) instantiates them inside its own entry point, so one body of
//! math becomes scalar, SSE2/NEON, AVX2 and AVX-512 machine code (the
//! memchr design). This is the bottom layer: it imports no other kernel
//! module, except that [`Lanes::cr_map`] names the correctly rounded
//! tier's loop by default.

use super::map::{Input, Out};
use core::ops::{Add, Div, Mul, Neg, Sub};

/// Largest vector width of any backend: the size of the tail buffers.
pub(crate) const MAX_WIDTH: usize = 16;

/// A vector of `WIDTH` `f32` lanes with the handful of operations the kernels
/// need. Every method is lane-wise.
///
/// Operations whose rounding the kernels rely on are exact by contract:
/// `+ - * /` are IEEE-754 round-to-nearest; [`Lanes::mul_sub_exact`] is a
/// fused (single-rounding) `c − a·b` on every backend, emulated where the CPU
/// has no FMA. [`Lanes::mul_add`] may be fused or not: the kernels are correct
/// either way.
pub(crate) trait Lanes:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    /// Number of `f32` lanes.
    const WIDTH: usize;
    /// The `f64` vector of the same instruction set (the correctly rounded
    /// tier's fast path, `cr.rs`).
    type F64: Lanes64;
    /// All lanes set to `v`.
    fn splat(v: f32) -> Self;
    /// The first `WIDTH` elements of `src` (any alignment).
    ///
    /// Panics if `src.len() < WIDTH` (callers pass exact-size chunks, so the
    /// check compiles away).
    fn load(src: &[f32]) -> Self;
    /// Writes the lanes to the first `WIDTH` elements of `dst`.
    fn store(self, dst: &mut [f32]);
    /// `src` (fewer than `WIDTH` elements) in the first lanes, zeros in the
    /// rest. By default through a zero-padded copy; a backend with masked
    /// loads overrides it. Either way each lane's result depends only on
    /// its own input, so a tail element gets the same bits as anywhere else.
    #[inline(always)]
    fn load_partial(src: &[f32]) -> Self {
        let mut buf = [0.0f32; MAX_WIDTH];
        buf[..src.len()].copy_from_slice(src);
        Self::load(&buf)
    }
    /// Writes the first `dst.len()` (< `WIDTH`) lanes to `dst`, as
    /// [`Lanes::load_partial`].
    #[inline(always)]
    fn store_partial(self, dst: &mut [f32]) {
        let mut buf = [0.0f32; MAX_WIDTH];
        self.store(&mut buf);
        let n = dst.len();
        dst.copy_from_slice(&buf[..n]);
    }
    /// Asks for the cache line holding `src[0]` (if any) to be fetched
    /// into the cache, where the backend has a prefetch instruction (AVX2,
    /// AVX-512); a hint with no effect on results. By default, nothing.
    #[inline(always)]
    fn prefetch(_src: &[f32]) {}
    /// [`Lanes::store`], but around the cache (a non-temporal store) where
    /// the backend has one and `dst` is aligned to a whole vector; the
    /// caller issues the fence that orders such stores. By default, `store`.
    #[inline(always)]
    fn store_stream(self, dst: &mut [f32]) {
        self.store(dst)
    }
    /// 1/self for self in [1/2, ∞] (the fast tier's denominators; 1/+∞ is
    /// +0), to within half an ULP plus 2^−26 relative: the correctly rounded
    /// division by default; a backend whose division is slow overrides it
    /// with a reciprocal estimate and a Newton step. The error is far below
    /// what the fast tier allows. An estimate still rounds monotonically: two
    /// denominators one ULP apart have reciprocals 2^−24 apart, more than
    /// twice the estimate's extra error.
    #[inline(always)]
    fn recip(self) -> Self {
        Self::splat(1.0) / self
    }
    /// 1/self for self in [1/2, ∞] (1/+∞ is +0), to within 2^−14
    /// relative: for a quotient that one correction step refines, which
    /// squares the estimate's error, and for the fast tier's denominators
    /// where [`Lanes::HAS_RECIP_ESTIMATE`]. By default the correctly
    /// rounded division (the correction then only removes the last
    /// rounding); a backend with a reciprocal estimate instruction uses it
    /// alone.
    #[inline(always)]
    fn recip_estimate(self) -> Self {
        Self::splat(1.0) / self
    }
    /// Whether [`Lanes::recip_estimate`] is an estimate instruction rather
    /// than the division: the fast tier then takes it alone for its
    /// reciprocal (no Newton step) and pays for its 2^−14 with a more
    /// accurate 2^f (`sigma::fast_lanes`).
    const HAS_RECIP_ESTIMATE: bool = false;
    /// Whether σ's exact tier runs in its table form (`sigma_table.rs`):
    /// where [`Lanes::lookup32`] and [`Lanes::scale_pow2`] are one
    /// instruction each. Elsewhere their defaults (lane by lane) make the
    /// table form slower than the polynomial one.
    const EXACT_TABLE: bool = false;
    /// `table[i]` in each lane, i the low five bits of the lane's bits. By
    /// default lane by lane through a buffer.
    #[inline(always)]
    fn lookup32(self, table: &[f32; 32]) -> Self {
        let mut buf = [0.0f32; MAX_WIDTH];
        self.store(&mut buf);
        for v in &mut buf[..Self::WIDTH] {
            *v = table[(v.to_bits() & 31) as usize];
        }
        Self::load(&buf)
    }
    /// `self·2^⌊n⌋` rounded once (subnormal included; NaN in either stays
    /// NaN), for self in [1/4, 4] and n in [−160, 0]. By default lane by
    /// lane in `f64` (the product is exact there, the conversion rounds).
    #[inline(always)]
    fn scale_pow2(self, n: Self) -> Self {
        let (mut v, mut e) = ([0.0f32; MAX_WIDTH], [0.0f32; MAX_WIDTH]);
        self.store(&mut v);
        n.store(&mut e);
        for (v, e) in v[..Self::WIDTH].iter_mut().zip(&e) {
            *v = (f64::from(*v) * f64::from(e.floor()).exp2()) as f32;
        }
        Self::load(&v)
    }
    /// `self·b + c`, fused where the backend has FMA, else two roundings.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// `c − self·b`, fused where the backend has FMA, else two roundings.
    fn mul_neg_add(self, b: Self, c: Self) -> Self;
    /// `c − self·b` with a single rounding on every backend.
    fn mul_sub_exact(self, b: Self, c: Self) -> Self;
    /// Lane-wise minimum; a NaN in `self` propagates (`o` must not be NaN).
    /// The σ kernels rely on this to carry NaN inputs through to the output.
    fn min(self, o: Self) -> Self;
    /// Lane-wise maximum; a NaN in `self` propagates, as for [`Lanes::min`].
    fn max(self, o: Self) -> Self;
    /// Round toward −∞ (a zero result may come back as +0 for −0).
    fn floor(self) -> Self;
    /// |self| (clears the sign bit).
    fn abs(self) -> Self;
    /// min(|self|, c) for c > 0 (not NaN), and for a NaN in `self` either
    /// NaN or c: by default [`Lanes::abs`] then [`Lanes::min`] (NaN); one
    /// instruction where the backend has it (AVX-512's `vrangeps`: c for a
    /// quiet NaN).
    #[inline(always)]
    fn abs_min(self, c: Self) -> Self {
        self.abs().min(c)
    }
    /// `self` clamped to [−c, c] for c > 0 (not NaN), keeping the sign of
    /// ±0, and for a NaN in `self` either NaN or ±c: by default
    /// [`Lanes::max`] then [`Lanes::min`] (NaN); one instruction where the
    /// backend has it (as [`Lanes::abs_min`]).
    #[inline(always)]
    fn clamp_sym(self, c: Self) -> Self {
        self.max(-c).min(c)
    }
    /// `(v − ⌊v⌋, n)` with the first exact and ⌊n⌋ = ⌊v⌋, for v = self
    /// clamped to [−126, 128] (a NaN stays NaN), for
    /// [`Lanes::mul_pow2_add`]: by default the clamp (the exponents the
    /// default `mul_pow2_add` can build) and n = ⌊v⌋. A backend whose
    /// scaling instruction floors its exponent itself and takes any
    /// exponent, ±∞ included, skips the clamp, passes `self` on and takes
    /// the fraction in one instruction: for p in [1, 2], p·2^⌊n⌋ + 1 is the
    /// same either way (1 below −126, +∞ from 128 on).
    #[inline(always)]
    fn floor_split(self) -> (Self, Self) {
        let v = self.max(Self::splat(-126.0)).min(Self::splat(128.0));
        let i = v.floor();
        (v - i, i)
    }
    /// `p·2^⌊n⌋ + c` rounded once, for n from [`Lanes::floor_split`] and
    /// p in [1, 2]: by default 2^⌊n⌋ from its exponent bits (n + 127 in
    /// the low mantissa bits of n + 1.5·2^23 + 127; ⌊n⌋ in [−126, 128],
    /// 2^128 is +∞) and one fused multiply-add.
    #[inline(always)]
    fn mul_pow2_add(p: Self, n: Self, c: Self) -> Self {
        let s = (n + Self::splat(12_582_912.0 + 127.0)).shl_exponent();
        s.mul_add(p, c)
    }
    /// 2^n, exactly (subnormal included), for lanes holding an integer n in
    /// [−149, 0] (below −149: +0, 2^n rounded): the backend's instruction
    /// for it where it has one, else `otherwise()`, which the caller
    /// computes the same value with.
    #[inline(always)]
    fn pow2i_or(n: Self, otherwise: impl FnOnce() -> Self) -> Self {
        let _ = n;
        otherwise()
    }
    /// self·2^n rounded once (subnormal included; 0 or ±∞ past the range)
    /// for lanes of `n` holding an integer: the backend's scaling
    /// instruction where it has one, else `otherwise()`, which the caller
    /// computes the same value with.
    #[inline(always)]
    fn scale_or(self, n: Self, otherwise: impl FnOnce() -> Self) -> Self {
        let _ = n;
        otherwise()
    }
    /// Reinterprets each lane's bits shifted left by 23 as an `f32`: moves the
    /// low 9 bits into the sign and exponent fields.
    fn shl_exponent(self) -> Self;
    /// Lane-wise `if sign_bit(self) { neg } else { pos }`.
    fn select_sign(self, neg: Self, pos: Self) -> Self;
    /// Lane-wise `if sign_bit(self) { t } else { a − t }`: by default
    /// [`Lanes::select_sign`] over both; one masked subtraction where the
    /// backend has masks.
    #[inline(always)]
    fn sign_select_sub(self, a: Self, t: Self) -> Self {
        self.select_sign(t, a - t)
    }
    /// Lane-wise `if self < 0 { t } else { a − t }` (ordered: −0 and NaN
    /// take `a − t`): by default [`Lanes::lt_select`]; one masked
    /// subtraction where the backend has masks.
    #[inline(always)]
    fn lt_zero_select_sub(self, a: Self, t: Self) -> Self {
        self.lt_select(Self::splat(0.0), t, a - t)
    }
    /// Lane-wise `if self is NaN { self + self } else { r }` (a quiet NaN with
    /// the input's payload where the input is NaN).
    fn nan_or(self, r: Self) -> Self;
    /// Lane-wise `if self < o { a } else { b }` (ordered: a NaN on either
    /// side selects `b`).
    fn lt_select(self, o: Self, a: Self, b: Self) -> Self;
    /// `dst[i] = σ(src[i])` correctly rounded: by default `cr.rs`'s `f64`
    /// path over [`Lanes::F64`]; a backend with a
    /// [`Cr32Lanes`](super::cr32::Cr32Lanes) puts `cr32.rs`'s `f32` first
    /// pass in front of it (the same bits), whose block loop streams its
    /// stores and prefetches its input as `O` says; the `f64` path stores
    /// through the cache either way.
    #[inline(always)]
    fn cr_map<I: Input, O: Out>(src: I, dst: &mut [f32]) {
        super::cr::cr_map::<Self::F64, I>(src, dst)
    }
}

/// `c − a·b` without an FMA: Dekker's exact product a·b = p + err
/// (Veltkamp splitting), Knuth's TwoSum c − p = s + e (exact), then
/// s + (e − err). The only rounding that matters is the last one, so this is
/// the fused result up to a relative 2^−44 term (it can differ from a true
/// FMA only at a near-midpoint). Valid for |a|, |b| < 2^100 (the kernels use
/// it on values in [0, 2]). Written once over [`Lanes`] for backends without
/// a hardware FMA.
#[inline(always)]
pub(crate) fn mul_sub_exact_dekker<L: Lanes>(a: L, b: L, c: L) -> L {
    let split = L::splat(4097.0); // 2^12 + 1: Veltkamp splitting for 24-bit significands
    let ta = a * split;
    let ah = ta - (ta - a);
    let al = a - ah;
    let tb = b * split;
    let bh = tb - (tb - b);
    let bl = b - bh;
    let p = a * b;
    let err = ((ah * bh - p) + ah * bl + al * bh) + al * bl; // a·b = p + err exactly
    let s = c - p;
    let bv = s - c;
    let e = (c - (s - bv)) + (-p - bv); // c − p = s + e exactly
    s + (e - err)
}

/// One `f32` as a one-lane vector: the `scalar` backend and the reference
/// layout for tails.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scalar(pub(crate) f32);

macro_rules! scalar_binop {
    ($($tr:ident $f:ident $op:tt),*) => {$(
        impl $tr for Scalar {
            type Output = Scalar;
            #[inline(always)]
            fn $f(self, o: Scalar) -> Scalar { Scalar(self.0 $op o.0) }
        }
    )*};
}
scalar_binop!(Add add +, Sub sub -, Mul mul *, Div div /);

impl Neg for Scalar {
    type Output = Scalar;
    #[inline(always)]
    fn neg(self) -> Scalar {
        Scalar(-self.0)
    }
}

impl Lanes for Scalar {
    const WIDTH: usize = 1;
    type F64 = Scalar64;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        Scalar(v)
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        Scalar(src[0])
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        dst[0] = self.0;
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Scalar(self.0 * b.0 + c.0)
    }
    #[inline(always)]
    fn mul_neg_add(self, b: Self, c: Self) -> Self {
        Scalar(c.0 - self.0 * b.0)
    }
    #[inline(always)]
    fn mul_sub_exact(self, b: Self, c: Self) -> Self {
        mul_sub_exact_dekker(self, b, c)
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        Scalar(if o.0 < self.0 { o.0 } else { self.0 })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        Scalar(if o.0 > self.0 { o.0 } else { self.0 })
    }
    #[inline(always)]
    fn floor(self) -> Self {
        Scalar(self.0.floor())
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Scalar(self.0.abs())
    }
    #[inline(always)]
    fn shl_exponent(self) -> Self {
        Scalar(f32::from_bits(self.0.to_bits() << 23))
    }
    #[inline(always)]
    fn select_sign(self, neg: Self, pos: Self) -> Self {
        if self.0.is_sign_negative() {
            neg
        } else {
            pos
        }
    }
    #[inline(always)]
    fn nan_or(self, r: Self) -> Self {
        if self.0.is_nan() {
            Scalar(self.0 + self.0)
        } else {
            r
        }
    }
    #[inline(always)]
    fn lt_select(self, o: Self, a: Self, b: Self) -> Self {
        if self.0 < o.0 {
            a
        } else {
            b
        }
    }
}

/// A vector of `WIDTH` `f64` lanes, for the correctly rounded tier
/// (`cr.rs`): it loads `f32` inputs widened and stores `f64` results
/// rounded to `f32`. `+ - * /` are IEEE-754 round-to-nearest;
/// [`Lanes64::mul_add`] may be fused or not (the tier's error bound
/// allows either).
pub(crate) trait Lanes64:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    /// Number of lanes.
    const WIDTH: usize;
    /// Whether `cr::cr_map` runs eight vectors per step instead of four.
    const CR_EIGHT_PER_STEP: bool = false;
    /// All lanes set to `v`.
    fn splat(v: f64) -> Self;
    /// The first `WIDTH` elements of `src`, widened to `f64` (exact).
    fn load_f32(src: &[f32]) -> Self;
    /// Writes the lanes rounded to `f32` (to nearest, ties to even,
    /// subnormals kept) to the first `WIDTH` elements of `dst`.
    fn store_f32(self, dst: &mut [f32]);
    /// A bit mask (bit i for lane i) of the lanes where `lo` and `hi`
    /// round to different `f32`s, or either is NaN.
    fn round_differs(lo: Self, hi: Self) -> u32;
    /// `self·b + c`, fused where the backend has FMA, else two roundings.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// Lane-wise minimum; a NaN in `self` propagates (`o` is never NaN).
    fn min(self, o: Self) -> Self;
    /// Lane-wise maximum; a NaN in `self` propagates, as for [`Lanes64::min`].
    fn max(self, o: Self) -> Self;
    /// Reinterprets each lane's bits shifted left by 48 as an `f64`: bits
    /// 0 to 15 become the sign, exponent and top 4 mantissa bits.
    fn shl48(self) -> Self;
    /// `table[i]` for each lane, with i the lane's low 4 bits.
    fn lookup16(self, table: &[f64; 16]) -> Self;
}

/// One `f64`: the scalar backend's [`Lanes64`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scalar64(pub(crate) f64);

macro_rules! scalar64_binop {
    ($($tr:ident $f:ident $op:tt),*) => {$(
        impl $tr for Scalar64 {
            type Output = Scalar64;
            #[inline(always)]
            fn $f(self, o: Scalar64) -> Scalar64 { Scalar64(self.0 $op o.0) }
        }
    )*};
}
scalar64_binop!(Add add +, Sub sub -, Mul mul *, Div div /);

impl Lanes64 for Scalar64 {
    const WIDTH: usize = 1;
    #[inline(always)]
    fn splat(v: f64) -> Self {
        Scalar64(v)
    }
    #[inline(always)]
    fn load_f32(src: &[f32]) -> Self {
        Scalar64(f64::from(src[0]))
    }
    #[inline(always)]
    fn store_f32(self, dst: &mut [f32]) {
        dst[0] = self.0 as f32;
    }
    #[inline(always)]
    fn round_differs(lo: Self, hi: Self) -> u32 {
        // `!=` is true for NaN.
        u32::from(lo.0 as f32 != hi.0 as f32)
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Scalar64(self.0 * b.0 + c.0)
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        Scalar64(if o.0 < self.0 { o.0 } else { self.0 })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        Scalar64(if o.0 > self.0 { o.0 } else { self.0 })
    }
    #[inline(always)]
    fn shl48(self) -> Self {
        Scalar64(f64::from_bits(self.0.to_bits() << 48))
    }
    #[inline(always)]
    fn lookup16(self, table: &[f64; 16]) -> Self {
        Scalar64(table[(self.0.to_bits() & 15) as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dekker_matches_fused() {
        let mut vals = vec![
            1.0f32,
            0.7,
            1.3,
            0.999_999_9,
            1.5e-3,
            0.333_333_34,
            1.999_999_9,
            1e-30,
            0.5,
        ];
        let mut state = 0x9e37_79b9u32;
        for _ in 0..200 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            vals.push(f32::from_bits(0x3c00_0000 + state % 0x0400_0000)); // [2^-7, 2)
        }
        for &a in &vals {
            for &b in &vals {
                for &c in &vals {
                    let got = mul_sub_exact_dekker(Scalar(a), Scalar(b), Scalar(c)).0;
                    let want = (-a).mul_add(b, c);
                    if got != want {
                        // Only a near-midpoint may differ, and by one ULP.
                        let exact = f64::from(c) - f64::from(a) * f64::from(b);
                        let ulp = f64::from(want.abs()).max(1e-38) * f64::from(f32::EPSILON);
                        assert!(
                            (f64::from(got) - exact).abs() <= 0.5 * ulp * (1.0 + 1e-6),
                            "a={a} b={b} c={c}: {got} vs fused {want}"
                        );
                    }
                }
            }
        }
    }
}
