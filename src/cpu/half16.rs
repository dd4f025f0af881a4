//! The 16-bit storage formats (IEEE binary16 `f16` and `bfloat16`): their
//! conversions to and from `f32` lanes ([`Format`], [`Lanes16`]), the
//! chunk loops that run any `f32` kernel of `ops.rs` on 16-bit slices,
//! the correctly rounded σ (the exact tier plus a fix-up near rounding
//! midpoints), and the [`Backend`] methods and dispatch of the 16-bit
//! kernels.
//!
//! Each call works in chunks of [`CHUNK`] elements: widen the 16-bit
//! inputs into a stack buffer of `f32` (exact), run the `f32` kernel on it
//! (the same code, and so the same bits, as the `f32` API), and narrow the
//! result with one round-to-nearest-even into the 16-bit output. The
//! buffers stay in L1, so the extra pass costs a load and a store per
//! vector; memory sees two bytes per element each way.
//!
//! Correct rounding of σ: the exact tier is within 1 `f32` ULP of σ(x), so
//! its 16-bit rounding can differ from the correctly rounded one only when
//! σ(x) lies within one `f32` ULP of a midpoint between two 16-bit numbers
//! (double rounding). [`Lanes16::store16_sigma`] flags every lane whose
//! two `f32` neighbours round to different 16-bit values ([`Format::near_tie`],
//! or a cheaper superset); those (rare) lanes are recomputed from σ in
//! `f64` ([`sigmoid_rounded`]). The other
//! kernels (backward, hard sigmoid) are the `f32` kernel rounded once more.
//!
//! The generic conversions here are bit manipulation on one lane at a time
//! (the scalar and portable backends); the x86 backends override them with
//! F16C / AVX-512 conversions and integer vector code in `avx2.rs` and
//! `avx512.rs`.

use super::lanes::{Lanes, MAX_WIDTH};
use super::ops::{self, Grad, Unary};
use super::sigma;
use super::{check_len, lanes, Backend, PAR_CHUNK, STREAM_MIN};
use half::{bf16, f16};
use rayon::prelude::*;
use std::sync::OnceLock;

/// Elements per chunk of the 16-bit loops: two `f32` stack buffers of
/// 2 KiB (L1-resident), a multiple of every vector width.
pub(crate) const CHUNK: usize = 512;

/// From this many elements, out-of-place 16-bit calls stream their output
/// around the cache: 2·[`STREAM_MIN`], the same 32 MiB of output as the
/// `f32` threshold.
pub const STREAM_MIN_16: usize = 2 * STREAM_MIN;

/// From this many elements, σ on a 16-bit tensor ([`crate::sigmoid_f16`],
/// [`crate::sigmoid_bf16`] and their in-place forms) looks its results up
/// in a table of all 65,536, one per backend and format, filled on the
/// first such call by the same backend's kernel (so it costs one call of
/// this size once, and 128 KiB for the life of the process;
/// [`Backend::Parallel`] shares the best SIMD backend's): two loads and a
/// store per element instead of the kernel and its conversions. The bits
/// are the kernel's either way.
pub const TABLE_MIN_16: usize = 1 << 16;

/// A 16-bit storage format: its scalar conversions, written as bit
/// manipulation and bit-identical to the `half` crate's (tested over all
/// inputs).
pub(crate) trait Format: Copy + Send + Sync + 'static {
    /// `true` for bfloat16, `false` for binary16: the backends pick their
    /// instructions on it (a constant, so the choice compiles away).
    const BF16: bool;
    /// `true` only for [`Bf16Ne`]: σ's stores narrow with AVX512_BF16's
    /// `vcvtneps2bf16` (the AVX-512 entry points that enable it).
    const CVTNE: bool = false;
    /// The `f32` with bits `b` rounded to nearest-even; NaN stays NaN with
    /// its quiet bit set and the top of its payload kept; overflow gives ±∞.
    fn narrow(b: u32) -> u16;
    /// The 16-bit value `h` as `f32` (exact); a NaN gets its quiet bit set.
    fn widen(h: u16) -> f32;
    /// Whether `b` (the bits of a non-negative `f32`, or a NaN) lies within
    /// one `f32` ULP of a midpoint between two values of the format: its two
    /// neighbours narrow differently. Never for NaN.
    #[inline(always)]
    fn near_tie(b: u32) -> bool {
        b & 0x7fff_ffff <= 0x7f80_0000 && Self::narrow(b.saturating_sub(1)) != Self::narrow(b + 1)
    }
}

/// IEEE 754 binary16: 1 sign, 5 exponent, 10 fraction bits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct F16;

/// bfloat16: the top 16 bits of an `f32` (8 exponent, 7 fraction bits).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bf16;

impl Format for F16 {
    const BF16: bool = false;
    // Both conversions are written without branches (each case computed,
    // then selected), so that the portable backend's loops over a vector's
    // lanes vectorize.
    #[inline(always)]
    fn narrow(b: u32) -> u16 {
        let sign = (b >> 16) & 0x8000;
        let a = b & 0x7fff_ffff;
        // Normal (≥ 2^−14): rebias, round to nearest-even on bit 13; a
        // carry into the exponent is right, up to ∞ from 65520.
        let normal = (a.wrapping_sub(0x3800_0000) + 0x0fff + ((a >> 13) & 1)) >> 13;
        // Subnormal: adding 0.5 (ulp 2^−24) rounds to a multiple of 2^−24
        // in the FPU's round-to-nearest-even; the low bits are the count
        // (1024 = the smallest normal, encoded alike).
        let tiny = f32::from_bits(a.min(0x3880_0000));
        let subnormal = (tiny + 0.5).to_bits().wrapping_sub(0x3f00_0000);
        let nan = 0x7e00 | ((a >> 13) & 0x3ff); // quiet bit, top of the payload
        let h = if a < 0x3880_0000 { subnormal } else { normal };
        let h = if a >= 0x4780_0000 { 0x7c00 } else { h }; // ≥ 65536 and ∞: ∞
        let h = if a > 0x7f80_0000 { nan } else { h };
        (sign | h) as u16
    }
    #[inline(always)]
    fn widen(h: u16) -> f32 {
        let h = u32::from(h);
        let sign = (h & 0x8000) << 16;
        let a = h & 0x7fff;
        // Finite: the bits in place, times 2^112 to rebias (exact, and it
        // normalizes the subnormals).
        let finite = (f32::from_bits(a << 13) * f32::from_bits(0x7780_0000)).to_bits();
        let quiet = if a > 0x7c00 { 0x0040_0000 } else { 0 };
        let special = 0x7f80_0000 | (a << 13) | quiet; // ∞, NaN quieted
        f32::from_bits(sign | if a >= 0x7c00 { special } else { finite })
    }
}

impl Format for Bf16 {
    const BF16: bool = true;
    #[inline(always)]
    fn narrow(b: u32) -> u16 {
        if b & 0x7fff_ffff > 0x7f80_0000 {
            ((b >> 16) | 0x0040) as u16 // NaN: quiet bit
        } else {
            // Round to nearest-even on bit 16 (subnormals alike: same
            // exponent range as f32); a carry out of FLT_MAX gives ∞.
            ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
        }
    }
    #[inline(always)]
    fn widen(h: u16) -> f32 {
        let b = u32::from(h) << 16;
        f32::from_bits(if b & 0x7fff_ffff > 0x7f80_0000 {
            b | 0x0040_0000
        } else {
            b
        })
    }
    #[inline(always)]
    fn near_tie(b: u32) -> bool {
        // The rounding position is bit 16 everywhere: the low half within
        // one of 0x8000.
        b & 0x7fff_ffff <= 0x7f80_0000 && (b.wrapping_sub(0x7fff) & 0xffff) < 3
    }
}

/// bfloat16 for the AVX-512 entry points compiled with AVX512_BF16: σ's
/// store narrows with `vcvtneps2bf16` ([`Format::CVTNE`]; it flushes
/// subnormal results to zero, so it flags them for the fix-up), all else
/// as [`Bf16`].
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bf16Ne;

#[cfg(target_arch = "x86_64")]
impl Format for Bf16Ne {
    const BF16: bool = true;
    const CVTNE: bool = true;
    #[inline(always)]
    fn narrow(b: u32) -> u16 {
        Bf16::narrow(b)
    }
    #[inline(always)]
    fn widen(h: u16) -> f32 {
        Bf16::widen(h)
    }
    #[inline(always)]
    fn near_tie(b: u32) -> bool {
        Bf16::near_tie(b)
    }
}

/// The bits [`tie_bits`] tests: the rounding position of `F` and the bits
/// below it but the last two.
#[inline(always)]
pub(crate) const fn tie_mask<F: Format>() -> u32 {
    if F::BF16 {
        0xfffc
    } else {
        0x1ffc
    }
}

/// What [`tie_bits`] adds to the bits of the lane before the mask: 2 less
/// the midpoint pattern of `F` (`0x8000` below bit 16, `0x1000` below bit
/// 13), so that the masked bits are zero exactly from two below to one
/// above it.
#[inline(always)]
pub(crate) const fn tie_add<F: Format>() -> u32 {
    if F::BF16 {
        2u32.wrapping_sub(0x8000)
    } else {
        2u32.wrapping_sub(0x1000)
    }
}

/// The near-tie test of σ's 16-bit stores, a superset of
/// [`Format::near_tie`] for σ's outputs from 2^−14 up (bfloat16: from
/// +0) with no conversion: the lane's bits plus [`tie_add`], masked
/// by [`tie_mask`], are zero, i.e. the bits below `F`'s rounding position
/// lie from two below to one above the midpoint pattern. Two vector
/// instructions (an add, and a test-for-zero into a mask on AVX-512).
/// Lanes below 2^−14 in binary16, NaN lanes and others may be flagged at
/// random (the fix-up gives the same result for them). Below 2^−14, the
/// smallest normal binary16, the test is not one for binary16 (its
/// spacing there is 2^−24, not bit 13 of the `f32`), and none is needed:
/// no binary16 input has σ within 32 `f32` ULPs of a midpoint below
/// 2^−14 (`no_near_tie_below_the_binary16_normals` in `tests/half16.rs`).
#[inline(always)]
pub(crate) fn tie_bits<F: Format>(v: f32) -> bool {
    v.to_bits().wrapping_add(tie_add::<F>()) & tie_mask::<F>() == 0
}

/// [`Lanes`] with 16-bit loads and stores. The defaults convert one lane
/// at a time with [`Format`]; the x86 backends override them.
pub(crate) trait Lanes16: Lanes {
    /// `WIDTH` values of format `F` from the front of `src`, widened.
    #[inline(always)]
    fn load16<F: Format>(src: &[u16]) -> Self {
        let mut buf = [0.0f32; MAX_WIDTH];
        for (b, &h) in buf.iter_mut().zip(&src[..Self::WIDTH]) {
            *b = F::widen(h);
        }
        Self::load(&buf)
    }
    /// The lanes rounded to `F` ([`Format::narrow`]) into the first
    /// `WIDTH` elements of `dst`.
    #[inline(always)]
    fn store16<F: Format>(self, dst: &mut [u16]) {
        let mut buf = [0.0f32; MAX_WIDTH];
        self.store(&mut buf);
        for (d, v) in dst[..Self::WIDTH].iter_mut().zip(buf) {
            *d = F::narrow(v.to_bits());
        }
    }
    /// [`Lanes16::store16`] around the cache where the backend can and
    /// `dst` is aligned to a whole vector; fenced by the entry point.
    #[inline(always)]
    fn store16_stream<F: Format>(self, dst: &mut [u16]) {
        self.store16::<F>(dst)
    }
    /// Stores the lanes rounded to `F` as [`Lanes16::store16`] (streamed
    /// with `STREAM`) and returns the lanes that the caller must replace
    /// by the correctly rounded σ (bit i for lane i): every lane that is
    /// [`Format::near_tie`] (binary16: from 2^−14 up), and possibly
    /// others, for a cheaper test or conversion ([`tie_bits`]): lanes
    /// within two `f32` ULPs of a midpoint, NaN lanes, binary16 lanes
    /// below 2^−14, and subnormal lanes where the backend's conversion
    /// flushes them. For σ's outputs (lanes ≥ +0 or NaN).
    #[inline(always)]
    fn store16_sigma<F: Format, const STREAM: bool>(self, dst: &mut [u16]) -> u32 {
        let mut buf = [0.0f32; MAX_WIDTH];
        self.store(&mut buf);
        let mut m = 0;
        for (i, v) in buf[..Self::WIDTH].iter().enumerate() {
            m |= u32::from(tie_bits::<F>(*v)) << i;
        }
        if STREAM {
            self.store16_stream::<F>(dst);
        } else {
            self.store16::<F>(dst);
        }
        m
    }
}

impl Lanes16 for lanes::Scalar {}
impl Lanes16 for wide::f32x8 {}

/// σ(x) correctly rounded to `F`, for the lanes [`Lanes16::store16_sigma`]
/// flags: σ in `f64` ([`crate::reference::sigmoid_f64`], within a few
/// `f64` ULPs), rounded to odd in `f32` and then to nearest-even in `F`,
/// which is the same as rounding the `f64` value once (24 ≥ 2·11 + 2
/// bits). Called for a handful of the 65,536 inputs of each format.
#[cold]
#[inline(never)]
pub(crate) fn sigmoid_rounded<F: Format>(x: f32) -> u16 {
    let r = crate::reference::sigmoid_f64(f64::from(x));
    let t = r as f32; // r ∈ [0, 1]: finite, never negative
    let mut b = t.to_bits();
    if f64::from(t) > r {
        b -= 1; // toward zero
    }
    if f64::from(f32::from_bits(b)) != r {
        b |= 1; // sticky: round to odd
    }
    F::narrow(b)
}

/// Elements of `dst` before its address is a multiple of 64 bytes (every
/// backend's vector of 16-bit values is at most that), at most `dst.len()`.
#[inline(always)]
fn head_to_align(dst: &[u16]) -> usize {
    let misalign = dst.as_ptr() as usize % 64;
    (((64 - misalign) % 64) / 2).min(dst.len())
}

/// `dst[i] = src[i]` widened, for slices of equal length.
#[inline(always)]
fn widen<L: Lanes16, F: Format>(src: &[u16], dst: &mut [f32]) {
    let w = L::WIDTH;
    let n = dst.len();
    let body = n - n % w;
    for i in (0..body).step_by(w) {
        L::load16::<F>(&src[i..i + w]).store(&mut dst[i..i + w]);
    }
    for (d, &h) in dst[body..].iter_mut().zip(&src[body..n]) {
        *d = F::widen(h);
    }
}

/// `dst[i] = src[i]` rounded to `F`; with `FIX`, lanes near a midpoint
/// are replaced by σ(x[i]) correctly rounded ([`sigmoid_rounded`]).
#[inline(always)]
fn narrow<L: Lanes16, F: Format, const STREAM: bool, const FIX: bool>(
    x: &[f32],
    src: &[f32],
    dst: &mut [u16],
) {
    let w = L::WIDTH;
    let n = dst.len();
    let body = n - n % w;
    for i in (0..body).step_by(w) {
        let v = L::load(&src[i..i + w]);
        let d = &mut dst[i..i + w];
        if FIX {
            let ties = v.store16_sigma::<F, STREAM>(d);
            fix_ties::<F>(ties, &x[i..i + w], d);
        } else if STREAM {
            v.store16_stream::<F>(d);
        } else {
            v.store16::<F>(d);
        }
    }
    for j in body..n {
        let b = src[j].to_bits();
        dst[j] = if FIX && F::near_tie(b) {
            sigmoid_rounded::<F>(x[j])
        } else {
            F::narrow(b)
        };
    }
}

/// Replaces the lanes set in `ties` by the correctly rounded σ.
#[inline(always)]
fn fix_ties<F: Format>(mut ties: u32, x: &[f32], d: &mut [u16]) {
    while ties != 0 {
        let j = ties.trailing_zeros() as usize;
        d[j] = sigmoid_rounded::<F>(x[j]);
        ties &= ties - 1;
    }
}

/// Runs `op` over 16-bit `src` (or `dst` in place) into `dst` in chunks
/// of [`CHUNK`]; with `stream`, the output from its first 64-byte aligned
/// element on is streamed. [`Unary::Exact`] is correctly rounded (module
/// docs). Lengths were checked by the caller.
#[inline(always)]
pub(crate) fn unary<L: Lanes16, F: Format>(
    op: Unary,
    src: Option<&[u16]>,
    dst: &mut [u16],
    stream: bool,
) {
    let head = if stream {
        head_to_align(dst)
    } else {
        dst.len()
    };
    let (d0, d1) = dst.split_at_mut(head);
    let (s0, s1) = match src {
        Some(s) => (Some(&s[..head]), Some(&s[head..])),
        None => (None, None),
    };
    unary_chunks::<L, F, false>(op, s0, d0);
    unary_chunks::<L, F, true>(op, s1, d1);
}

#[inline(always)]
fn unary_chunks<L: Lanes16, F: Format, const STREAM: bool>(
    op: Unary,
    src: Option<&[u16]>,
    dst: &mut [u16],
) {
    // σ, the hot kernel, runs fused over whole blocks, without the
    // buffers; its remainder (less than a block) and the other kernels
    // go through the buffers.
    let done = match (op, src) {
        (Unary::Exact, Some(s)) => exact_blocks16::<L, F, STREAM, false>(s, dst),
        (Unary::Exact, None) => exact_blocks16::<L, F, STREAM, true>(&[], dst),
        _ => 0,
    };
    let src = src.map(|s| &s[done..]);
    let dst = &mut dst[done..];
    let mut xf = [0.0f32; CHUNK];
    let mut yf = [0.0f32; CHUNK];
    for start in (0..dst.len()).step_by(CHUNK) {
        let end = (start + CHUNK).min(dst.len());
        let d = &mut dst[start..end];
        let (xf, yf) = (&mut xf[..end - start], &mut yf[..end - start]);
        widen::<L, F>(src.map_or(&*d, |s| &s[start..end]), xf);
        ops::unary::<L>(op, Some(xf), yf, false);
        if op == Unary::Exact {
            narrow::<L, F, STREAM, true>(xf, yf, d);
        } else {
            narrow::<L, F, STREAM, false>(xf, yf, d);
        }
    }
}

/// Vectors per block of [`exact_blocks16`], as in `sigma::exact_blocks`.
const VECS: usize = 32;

/// σ correctly rounded over the whole blocks of `dst` (from `src`, or in
/// place with `IN_PLACE`), as `sigma::exact_blocks` with the conversions
/// fused into its first and last passes: the 16-bit input is loaded and
/// widened in the first, the result narrowed and checked for a near tie
/// ([`Lanes16::store16_sigma`]) in the last. Returns the number of
/// elements done (a multiple of the block).
#[inline(always)]
fn exact_blocks16<L: Lanes16, F: Format, const STREAM: bool, const IN_PLACE: bool>(
    src: &[u16],
    dst: &mut [u16],
) -> usize {
    let w = L::WIDTH;
    let blk = VECS * w;
    let body = dst.len() - dst.len() % blk;
    let zero = L::splat(0.0);
    let (mut a, mut b, mut sc, mut xs) = ([zero; VECS], [zero; VECS], [zero; VECS], [zero; VECS]);
    for start in (0..body).step_by(blk) {
        let out = &mut dst[start..start + blk];
        let s = if IN_PLACE {
            &[][..]
        } else {
            &src[start..start + blk]
        };
        for v in 0..VECS {
            xs[v] = L::load16::<F>(if IN_PLACE { &out[v * w..] } else { &s[v * w..] });
            (a[v], b[v], sc[v]) = sigma::exact_reduce(xs[v]);
        }
        for v in 0..VECS {
            (a[v], b[v]) = sigma::exact_exp(a[v], b[v]);
        }
        // The flags of the block are collected and fixed after it, so
        // that the pass itself has no branch.
        let mut ties = [0u32; VECS];
        let mut any = 0;
        for v in 0..VECS {
            let y = sigma::exact_quotient(a[v], b[v], sc[v]);
            let y = sigma::exact_finish(xs[v], y, sc[v]);
            ties[v] = y.store16_sigma::<F, STREAM>(&mut out[v * w..v * w + w]);
            any |= ties[v];
        }
        if any != 0 {
            for v in 0..VECS {
                let mut xb = [0.0f32; MAX_WIDTH];
                xs[v].store(&mut xb);
                fix_ties::<F>(ties[v], &xb, &mut out[v * w..v * w + w]);
            }
        }
    }
    body
}

/// Runs the gradient `op` on 16-bit `a` and `dy` (`None`: in `dx`) into
/// `dx`, chunked and streamed as [`unary`].
#[inline(always)]
pub(crate) fn binary<L: Lanes16, F: Format>(
    op: Grad,
    a: &[u16],
    dy: Option<&[u16]>,
    dx: &mut [u16],
    stream: bool,
) {
    let head = if stream { head_to_align(dx) } else { dx.len() };
    let (d0, d1) = dx.split_at_mut(head);
    let (y0, y1) = match dy {
        Some(s) => (Some(&s[..head]), Some(&s[head..])),
        None => (None, None),
    };
    binary_chunks::<L, F, false>(op, &a[..head], y0, d0);
    binary_chunks::<L, F, true>(op, &a[head..], y1, d1);
}

#[inline(always)]
fn binary_chunks<L: Lanes16, F: Format, const STREAM: bool>(
    op: Grad,
    a: &[u16],
    dy: Option<&[u16]>,
    dx: &mut [u16],
) {
    let mut af = [0.0f32; CHUNK];
    let mut gf = [0.0f32; CHUNK];
    for start in (0..dx.len()).step_by(CHUNK) {
        let end = (start + CHUNK).min(dx.len());
        let d = &mut dx[start..end];
        let (af, gf) = (&mut af[..end - start], &mut gf[..end - start]);
        widen::<L, F>(&a[start..end], af);
        widen::<L, F>(dy.map_or(&*d, |s| &s[start..end]), gf);
        ops::binary::<L>(op, af, None, gf, false);
        narrow::<L, F, STREAM, false>(af, gf, d);
    }
}

/// Every conversion of the backend, for the tests: `wide[i] = h[i]`
/// widened, `narrow[i] = src[i]` narrowed (streamed where aligned), and
/// through [`Lanes16::store16_sigma`] `sigma[i]` narrowed and `ties[i]`
/// its flag; equal lengths per group.
#[inline(always)]
pub(crate) fn convert<L: Lanes16, F: Format>(
    h: &[u16],
    wide: &mut [f32],
    src: &[f32],
    narrow16: &mut [u16],
    (sigma, ties): (&mut [u16], &mut [bool]),
) {
    widen::<L, F>(h, wide);
    narrow::<L, F, true, false>(src, src, narrow16);
    let w = L::WIDTH;
    let body = src.len() - src.len() % w;
    for i in (0..body).step_by(w) {
        let m = L::load(&src[i..i + w]).store16_sigma::<F, false>(&mut sigma[i..i + w]);
        for (j, t) in ties[i..i + w].iter_mut().enumerate() {
            *t = (m >> j) & 1 == 1;
        }
    }
    for ((t, o), v) in ties[body..]
        .iter_mut()
        .zip(&mut sigma[body..])
        .zip(&src[body..])
    {
        *t = F::near_tie(v.to_bits());
        *o = F::narrow(v.to_bits());
    }
}

/// The two `#[target_feature]` entry points of the 16-bit kernels for an
/// x86-64 backend, as `x86_entry_points!` for `f32`: [`unary`] and
/// [`binary`] instantiated with the backend's lane type (which implements
/// [`Lanes16`] with its conversion instructions), streamed stores fenced.
#[cfg(target_arch = "x86_64")]
macro_rules! x86_entry_points16 {
    ($lanes:ty, $features:literal, $cpu:literal) => {
        /// [`half16::unary`](crate::cpu::half16::unary) compiled for this
        /// backend, streamed stores fenced.
        ///
        /// # Safety
        #[doc = concat!("The CPU must support ", $cpu, ".")]
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn unary16<F: crate::cpu::half16::Format>(
            op: crate::cpu::ops::Unary,
            src: Option<&[u16]>,
            dst: &mut [u16],
            stream: bool,
        ) {
            crate::cpu::half16::unary::<$lanes, F>(op, src, dst, stream);
            if stream {
                core::arch::x86_64::_mm_sfence();
            }
        }

        /// [`half16::binary`](crate::cpu::half16::binary) compiled for this
        /// backend, fenced as [`unary16`].
        ///
        /// # Safety
        #[doc = concat!("The CPU must support ", $cpu, ".")]
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn binary16<F: crate::cpu::half16::Format>(
            op: crate::cpu::ops::Grad,
            a: &[u16],
            dy: Option<&[u16]>,
            dx: &mut [u16],
            stream: bool,
        ) {
            crate::cpu::half16::binary::<$lanes, F>(op, a, dy, dx, stream);
            if stream {
                core::arch::x86_64::_mm_sfence();
            }
        }

        /// [`half16::convert`](crate::cpu::half16::convert) compiled for this
        /// backend (the conversion tests), streamed stores fenced.
        ///
        /// # Safety
        #[doc = concat!("The CPU must support ", $cpu, ".")]
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn convert16<F: crate::cpu::half16::Format>(
            h: &[u16],
            wide: &mut [f32],
            src: &[f32],
            narrow: &mut [u16],
            sigma: (&mut [u16], &mut [bool]),
        ) {
            crate::cpu::half16::convert::<$lanes, F>(h, wide, src, narrow, sigma);
            core::arch::x86_64::_mm_sfence();
        }
    };
}

/// Whether the AVX2 backend can run its 16-bit kernels (F16C, which every
/// AVX2 CPU so far has); without it [`Backend::Avx2Fma`] runs them on the
/// portable backend.
fn f16c_detected() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl Backend {
    fn unary16<F: Format>(self, op: Unary, src: Option<&[u16]>, dst: &mut [u16]) {
        self.assert_available();
        let stream = src.is_some() && dst.len() >= STREAM_MIN_16;
        if op == Unary::Exact && dst.len() >= TABLE_MIN_16 {
            let t = self.table16::<F>();
            match (self, src) {
                (Backend::Parallel, Some(src)) => src
                    .par_chunks(PAR_CHUNK)
                    .zip(dst.par_chunks_mut(PAR_CHUNK))
                    .for_each(|(s, d)| lookup(t, Some(s), d)),
                (Backend::Parallel, None) => dst
                    .par_chunks_mut(PAR_CHUNK)
                    .for_each(|d| lookup(t, None, d)),
                _ => lookup(t, src, dst),
            }
        } else {
            self.unary16_chunk::<F>(op, src, dst, stream);
        }
    }

    /// σ on `F` for all 65,536 inputs by this backend's kernel (the best
    /// SIMD backend's for [`Backend::Parallel`]), computed on first use
    /// and kept ([`TABLE_MIN_16`]).
    fn table16<F: Format>(self) -> &'static [u16; 1 << 16] {
        type Table = OnceLock<Box<[u16; 1 << 16]>>;
        static TABLES: [[Table; 2]; Backend::ALL.len()] =
            [const { [const { OnceLock::new() }; 2] }; Backend::ALL.len()];
        let be = match self {
            Backend::Parallel => Backend::best_simd(),
            b => b,
        };
        TABLES[be as usize][usize::from(F::BF16)].get_or_init(|| {
            let all: Vec<u16> = (0..=u16::MAX).collect();
            let mut t = vec![0u16; 1 << 16];
            be.unary16_chunk::<F>(Unary::Exact, Some(&all), &mut t, false);
            t.into_boxed_slice().try_into().expect("65,536 entries")
        })
    }

    /// One single-threaded piece of [`Backend::unary16`], as
    /// `Backend::unary_chunk` for `f32`.
    #[allow(unsafe_code)] // calls a backend entry point after checking the CPU
    fn unary16_chunk<F: Format>(
        self,
        op: Unary,
        src: Option<&[u16]>,
        dst: &mut [u16],
        stream: bool,
    ) {
        match self {
            Backend::Scalar => unary::<lanes::Scalar, F>(op, src, dst, stream),
            Backend::Portable => unary::<wide::f32x8, F>(op, src, dst, stream),
            // SAFETY: `assert_available` checked AVX2 and FMA, and the
            // guard F16C.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2Fma if f16c_detected() => unsafe {
                super::avx2::unary16::<F>(op, src, dst, stream)
            },
            Backend::Avx2Fma => Backend::Portable.unary16_chunk::<F>(op, src, dst, stream),
            // SAFETY: `assert_available` checked `avx512::detected()`, the
            // guard AVX512_BF16.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 if F::BF16 && super::avx512::bf16_detected() => unsafe {
                super::avx512::bf16ne::unary16::<Bf16Ne>(op, src, dst, stream)
            },
            // SAFETY: `assert_available` checked `avx512::detected()`.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe { super::avx512::unary16::<F>(op, src, dst, stream) },
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx512 => unreachable!("checked by assert_available"),
            Backend::Parallel => {
                let best = Backend::best_simd();
                match src {
                    Some(src) => src
                        .par_chunks(PAR_CHUNK)
                        .zip(dst.par_chunks_mut(PAR_CHUNK))
                        .for_each(|(s, d)| best.unary16_chunk::<F>(op, Some(s), d, stream)),
                    None => dst
                        .par_chunks_mut(PAR_CHUNK)
                        .for_each(|d| best.unary16_chunk::<F>(op, None, d, stream)),
                }
            }
        }
    }

    fn binary16<F: Format>(self, op: Grad, a: &[u16], dy: Option<&[u16]>, dx: &mut [u16]) {
        self.assert_available();
        let stream = dy.is_some() && dx.len() >= STREAM_MIN_16;
        self.binary16_chunk::<F>(op, a, dy, dx, stream);
    }

    /// One single-threaded piece of [`Backend::binary16`].
    #[allow(unsafe_code)] // calls a backend entry point after checking the CPU
    fn binary16_chunk<F: Format>(
        self,
        op: Grad,
        a: &[u16],
        dy: Option<&[u16]>,
        dx: &mut [u16],
        stream: bool,
    ) {
        match self {
            Backend::Scalar => binary::<lanes::Scalar, F>(op, a, dy, dx, stream),
            Backend::Portable => binary::<wide::f32x8, F>(op, a, dy, dx, stream),
            // SAFETY: `assert_available` checked AVX2 and FMA, and the
            // guard F16C.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2Fma if f16c_detected() => unsafe {
                super::avx2::binary16::<F>(op, a, dy, dx, stream)
            },
            Backend::Avx2Fma => Backend::Portable.binary16_chunk::<F>(op, a, dy, dx, stream),
            // SAFETY: `assert_available` checked `avx512::detected()`, the
            // guard AVX512_BF16.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 if F::BF16 && super::avx512::bf16_detected() => unsafe {
                super::avx512::bf16ne::binary16::<Bf16Ne>(op, a, dy, dx, stream)
            },
            // SAFETY: `assert_available` checked `avx512::detected()`.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe { super::avx512::binary16::<F>(op, a, dy, dx, stream) },
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx512 => unreachable!("checked by assert_available"),
            Backend::Parallel => {
                let best = Backend::best_simd();
                match dy {
                    Some(dy) => a
                        .par_chunks(PAR_CHUNK)
                        .zip(dy.par_chunks(PAR_CHUNK))
                        .zip(dx.par_chunks_mut(PAR_CHUNK))
                        .for_each(|((a, dy), dx)| {
                            best.binary16_chunk::<F>(op, a, Some(dy), dx, stream)
                        }),
                    None => a
                        .par_chunks(PAR_CHUNK)
                        .zip(dx.par_chunks_mut(PAR_CHUNK))
                        .for_each(|(a, dx)| best.binary16_chunk::<F>(op, a, None, dx, stream)),
                }
            }
        }
    }
}

/// `dst[i] = t[src[i]]`, or `t[dst[i]]` in place, through the cache: at
/// 16M elements on two threads (Emerald Rapids) the lookup ran 1.1–1.4×
/// faster with plain stores than with two elements per 32-bit `movnti`
/// (the kernel's streamed 512-bit stores are another matter).
#[inline]
fn lookup(t: &[u16; 1 << 16], src: Option<&[u16]>, dst: &mut [u16]) {
    match src {
        Some(src) => {
            for (d, &x) in dst.iter_mut().zip(src) {
                *d = t[usize::from(x)];
            }
        }
        None => {
            for d in dst {
                *d = t[usize::from(*d)];
            }
        }
    }
}

/// The [`Backend`] methods of one 16-bit format: `$t` the element type,
/// `$fmt` its [`Format`], then the method names.
macro_rules! backend_methods16 {
    ($t:ty, $fmt:ty, $fwd:ident, $fwd_in:ident, $bwd:ident, $bwd_in:ident,
     $hard:ident, $hard_in:ident, $hard_bwd:ident) => {
        impl Backend {
            #[doc = concat!("[`crate::", stringify!($fwd), "`] on this backend.")]
            ///
            /// # Panics
            /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
            pub fn $fwd(self, x: &[$t], y: &mut [$t]) {
                check_len(stringify!($fwd), "x", x.len(), "y", y.len());
                self.unary16::<$fmt>(Unary::Exact, Some(bits(x)), bits_mut(y));
            }

            #[doc = concat!("[`crate::", stringify!($fwd_in), "`] on this backend.")]
            ///
            /// # Panics
            /// If the backend is not available on this CPU.
            pub fn $fwd_in(self, x: &mut [$t]) {
                self.unary16::<$fmt>(Unary::Exact, None, bits_mut(x));
            }

            #[doc = concat!("[`crate::", stringify!($bwd), "`] on this backend.")]
            ///
            /// # Panics
            /// If the three lengths differ, or if the backend is not available.
            pub fn $bwd(self, y: &[$t], dy: &[$t], dx: &mut [$t]) {
                check_len(stringify!($bwd), "y", y.len(), "dy", dy.len());
                check_len(stringify!($bwd), "y", y.len(), "dx", dx.len());
                self.binary16::<$fmt>(Grad::Sigmoid, bits(y), Some(bits(dy)), bits_mut(dx));
            }

            #[doc = concat!("[`crate::", stringify!($bwd_in), "`] on this backend.")]
            ///
            /// # Panics
            /// If `y.len() != dy.len()`, or if the backend is not available.
            pub fn $bwd_in(self, y: &[$t], dy: &mut [$t]) {
                check_len(stringify!($bwd_in), "y", y.len(), "dy", dy.len());
                self.binary16::<$fmt>(Grad::Sigmoid, bits(y), None, bits_mut(dy));
            }

            #[doc = concat!("[`crate::", stringify!($hard), "`] on this backend.")]
            ///
            /// # Panics
            /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
            pub fn $hard(self, x: &[$t], y: &mut [$t]) {
                check_len(stringify!($hard), "x", x.len(), "y", y.len());
                self.unary16::<$fmt>(Unary::Hard, Some(bits(x)), bits_mut(y));
            }

            #[doc = concat!("[`crate::", stringify!($hard_in), "`] on this backend.")]
            ///
            /// # Panics
            /// If the backend is not available on this CPU.
            pub fn $hard_in(self, x: &mut [$t]) {
                self.unary16::<$fmt>(Unary::Hard, None, bits_mut(x));
            }

            #[doc = concat!("[`crate::", stringify!($hard_bwd), "`] on this backend.")]
            ///
            /// # Panics
            /// If the three lengths differ, or if the backend is not available.
            pub fn $hard_bwd(self, x: &[$t], dy: &[$t], dx: &mut [$t]) {
                check_len(stringify!($hard_bwd), "x", x.len(), "dy", dy.len());
                check_len(stringify!($hard_bwd), "x", x.len(), "dx", dx.len());
                self.binary16::<$fmt>(Grad::Hard, bits(x), Some(bits(dy)), bits_mut(dx));
            }
        }
    };
}

backend_methods16!(
    f16,
    F16,
    sigmoid_f16,
    sigmoid_f16_inplace,
    sigmoid_backward_f16,
    sigmoid_backward_f16_inplace,
    hard_sigmoid_f16,
    hard_sigmoid_f16_inplace,
    hard_sigmoid_backward_f16
);
backend_methods16!(
    bf16,
    Bf16,
    sigmoid_bf16,
    sigmoid_bf16_inplace,
    sigmoid_backward_bf16,
    sigmoid_backward_bf16_inplace,
    hard_sigmoid_bf16,
    hard_sigmoid_bf16_inplace,
    hard_sigmoid_backward_bf16
);

/// The bits of a slice of 16-bit floats.
fn bits<T: bytemuck::Pod>(s: &[T]) -> &[u16] {
    bytemuck::cast_slice(s)
}

fn bits_mut<T: bytemuck::Pod>(s: &mut [T]) -> &mut [u16] {
    bytemuck::cast_slice_mut(s)
}

impl Backend {
    /// The conversions of this backend, for the tests (not part of the
    /// API): returns all 65,536 values of the format (bfloat16 if `bf16`,
    /// else binary16) widened to `f32`, `src` narrowed to the format
    /// (streamed stores where aligned), and `src` narrowed by the σ
    /// kernel's store with the lanes it flags for the fix-up.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    #[doc(hidden)]
    #[must_use]
    pub fn conversions16(self, bf16: bool, src: &[f32]) -> Conversions16 {
        self.assert_available();
        let all: Vec<u16> = (0..=u16::MAX).collect();
        let mut c = Conversions16 {
            wide: vec![0.0f32; all.len()],
            narrow: vec![0u16; src.len()],
            sigma: vec![0u16; src.len()],
            ties: vec![false; src.len()],
        };
        let out = (&all[..], &mut c.wide[..], src, &mut c.narrow[..]);
        let sigma = (&mut c.sigma[..], &mut c.ties[..]);
        if bf16 {
            self.convert16::<Bf16>(out, sigma);
        } else {
            self.convert16::<F16>(out, sigma);
        }
        c
    }

    #[allow(unsafe_code)] // calls a backend entry point after checking the CPU
    #[allow(clippy::type_complexity)]
    fn convert16<F: Format>(
        self,
        (h, wide, src, narrow16): (&[u16], &mut [f32], &[f32], &mut [u16]),
        sigma: (&mut [u16], &mut [bool]),
    ) {
        match self {
            Backend::Scalar => convert::<lanes::Scalar, F>(h, wide, src, narrow16, sigma),
            Backend::Portable => convert::<wide::f32x8, F>(h, wide, src, narrow16, sigma),
            Backend::Parallel => {
                Backend::best_simd().convert16::<F>((h, wide, src, narrow16), sigma)
            }
            // SAFETY: the caller checked AVX2 and FMA, the guard F16C.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2Fma if f16c_detected() => unsafe {
                super::avx2::convert16::<F>(h, wide, src, narrow16, sigma)
            },
            Backend::Avx2Fma => convert::<wide::f32x8, F>(h, wide, src, narrow16, sigma),
            // SAFETY: the caller checked `avx512::detected()`, the guard
            // AVX512_BF16.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 if F::BF16 && super::avx512::bf16_detected() => unsafe {
                super::avx512::bf16ne::convert16::<Bf16Ne>(h, wide, src, narrow16, sigma)
            },
            // SAFETY: the caller checked `avx512::detected()`.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe {
                super::avx512::convert16::<F>(h, wide, src, narrow16, sigma)
            },
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx512 => unreachable!("checked by assert_available"),
        }
    }
}

/// What [`Backend::conversions16`] returns (for the tests).
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct Conversions16 {
    /// All 65,536 values widened.
    pub wide: Vec<f32>,
    /// The input narrowed.
    pub narrow: Vec<u16>,
    /// The input narrowed by the σ kernel's store.
    pub sigma: Vec<u16>,
    /// The lanes that store flags for the fix-up.
    pub ties: Vec<bool>,
}
