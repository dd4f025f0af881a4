//! The x86-64 AVX2+FMA backend: [`Lanes`] over `__m256` with `std::arch`
//! intrinsics, and the `#[target_feature]` entry points that instantiate the
//! generic kernels with it.
//!
//! This exists because `wide` fixes its instruction set when `wide` is
//! compiled: in a plain `cargo build` it is SSE2 even on an AVX2 machine, and
//! wrapping its code in `#[target_feature]` does not change that. Here every
//! operation is an AVX2/FMA intrinsic, so the code generated inside the entry
//! points below is AVX2 whatever the crate-wide flags are.
//!
//! It also holds the AVX2 table lookup of the int8/uint8 kernels
//! ([`lookup`]).
//!
//! Soundness: [`Avx2`] is private to this module, so only code in this
//! module can make a value of it (through [`Lanes::splat`] or
//! [`Lanes::load`]) or instantiate a kernel with it; the only such code is
//! the entry points below (from `x86_entry_points!`), which carry `#[target_feature(enable =
//! "avx2,fma")]` and whose `# Safety` contract is that the CPU has AVX2 and
//! FMA. The dispatch in `cpu/mod.rs` calls them only after checking that.

use super::cr32::{cr32_map, Cr32Lanes, Pending};
use super::half16::{tie_add, tie_mask, Format, Lanes16};
use super::lanes::{Lanes, Lanes64};
use super::map::{Input, Out};
use core::arch::x86_64::*;
use core::ops::{Add, Div, Mul, Neg, Sub};

#[derive(Clone, Copy)]
struct Avx2(__m256);

macro_rules! avx_binop {
    ($($tr:ident $f:ident $intr:ident),*) => {$(
        impl $tr for Avx2 {
            type Output = Avx2;
            #[inline(always)]
            fn $f(self, o: Avx2) -> Avx2 {
                // SAFETY: an `Avx2` value exists only inside an entry point of this
                // module (see the module docs).
                Avx2(unsafe { $intr(self.0, o.0) })
            }
        }
    )*};
}
avx_binop!(Add add _mm256_add_ps, Sub sub _mm256_sub_ps, Mul mul _mm256_mul_ps, Div div _mm256_div_ps);

impl Neg for Avx2 {
    type Output = Avx2;
    #[inline(always)]
    fn neg(self) -> Avx2 {
        // SAFETY: as above.
        Avx2(unsafe { _mm256_xor_ps(self.0, _mm256_set1_ps(-0.0)) })
    }
}

impl Lanes for Avx2 {
    const WIDTH: usize = 8;
    type F64 = Avx2F64;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        // SAFETY: as above.
        Avx2(unsafe { _mm256_set1_ps(v) })
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        let src = &src[..8];
        // SAFETY: `src` has 8 readable f32s (checked above); loadu has no
        // alignment requirement; AVX is enabled in every caller.
        Avx2(unsafe { _mm256_loadu_ps(src.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        let dst = &mut dst[..8];
        // SAFETY: `dst` has 8 writable f32s (checked above); storeu is unaligned.
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn prefetch(src: &[f32]) {
        if let Some(p) = src.first() {
            // SAFETY: SSE, which `prefetcht0` needs, is part of every
            // x86-64 CPU; a prefetch never faults, and `p` is an element
            // of `src` anyway.
            unsafe { _mm_prefetch::<{ _MM_HINT_T0 }>(core::ptr::from_ref(p).cast()) }
        }
    }
    #[inline(always)]
    fn store_stream(self, dst: &mut [f32]) {
        let dst = &mut dst[..8];
        if (dst.as_ptr() as usize).is_multiple_of(32) {
            // SAFETY: `dst` has 8 writable f32s (checked above) at a 32-byte
            // aligned address (checked here), as vmovntps requires; the entry
            // points fence after streaming.
            unsafe { _mm256_stream_ps(dst.as_mut_ptr(), self.0) }
        } else {
            self.store(dst)
        }
    }
    #[inline(always)]
    fn lookup32(self, table: &[f32; 32]) -> Self {
        // Four vpermps (each picks by the index's low 3 bits from 8
        // entries, the table as a memory operand) and three vblendvps on
        // bits 3 and 4 (shifted into the sign bit, which blendv reads).
        // SAFETY: AVX2 is enabled in every caller; `table` has 32 readable
        // f32s: four 8-lane unaligned loads at 0, 8, 16 and 24.
        Avx2(unsafe {
            let i = _mm256_castps_si256(self.0);
            let b3 = _mm256_castsi256_ps(_mm256_slli_epi32::<28>(i));
            let b4 = _mm256_castsi256_ps(_mm256_slli_epi32::<27>(i));
            let p = table.as_ptr();
            let t0 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(p), i);
            let t1 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(p.add(8)), i);
            let t2 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(p.add(16)), i);
            let t3 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(p.add(24)), i);
            let lo = _mm256_blendv_ps(t0, t1, b3);
            let hi = _mm256_blendv_ps(t2, t3, b3);
            _mm256_blendv_ps(lo, hi, b4)
        })
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: FMA is enabled in every caller.
        Avx2(unsafe { _mm256_fmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn mul_neg_add(self, b: Self, c: Self) -> Self {
        // SAFETY: FMA is enabled in every caller.
        Avx2(unsafe { _mm256_fnmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn mul_sub_exact(self, b: Self, c: Self) -> Self {
        self.mul_neg_add(b, c) // fused here: one rounding
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        // SAFETY: AVX is enabled in every caller. minps returns its second
        // operand if either is NaN, so a NaN in `self` propagates.
        Avx2(unsafe { _mm256_min_ps(o.0, self.0) })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // SAFETY: AVX is enabled in every caller; NaN as for `min`.
        Avx2(unsafe { _mm256_max_ps(o.0, self.0) })
    }
    #[inline(always)]
    fn floor(self) -> Self {
        // SAFETY: AVX is enabled in every caller.
        Avx2(unsafe { _mm256_floor_ps(self.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        // SAFETY: AVX is enabled in every caller.
        Avx2(unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), self.0) })
    }
    #[inline(always)]
    fn shl_exponent(self) -> Self {
        // SAFETY: AVX2 is enabled in every caller.
        Avx2(unsafe { _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_castps_si256(self.0))) })
    }
    #[inline(always)]
    fn select_sign(self, neg: Self, pos: Self) -> Self {
        // SAFETY: AVX is enabled in every caller. blendv reads the sign bit.
        Avx2(unsafe { _mm256_blendv_ps(pos.0, neg.0, self.0) })
    }
    #[inline(always)]
    fn nan_or(self, r: Self) -> Self {
        // SAFETY: AVX is enabled in every caller.
        Avx2(unsafe {
            let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(self.0, self.0);
            _mm256_blendv_ps(r.0, _mm256_add_ps(self.0, self.0), nan)
        })
    }
    #[inline(always)]
    fn lt_select(self, o: Self, a: Self, b: Self) -> Self {
        // SAFETY: AVX is enabled in every caller. LT_OQ is false on NaN.
        Avx2(unsafe { _mm256_blendv_ps(b.0, a.0, _mm256_cmp_ps::<_CMP_LT_OQ>(self.0, o.0)) })
    }
    #[inline(always)]
    fn cr_map<I: Input, O: Out>(src: I, dst: &mut [f32]) {
        cr32_map::<Self, I, O>(src, dst)
    }
}

// `recip_estimate` stays the default, the correctly rounded division
// (within 2^−24 of 1/d, inside `Cr32Lanes`'s 2^−14): `vrcpps` is only
// within 1.5·2^−12.
// SAFETY (every block in this impl): an `Avx2` value exists only inside an
// entry point of this module, which runs with AVX2 and FMA enabled and
// detected (module docs).
impl Cr32Lanes for Avx2 {
    #[inline(always)]
    fn pow2_of_shr5(self) -> Self {
        Avx2(unsafe {
            let b = _mm256_slli_epi32::<18>(_mm256_castps_si256(self.0));
            _mm256_castsi256_ps(_mm256_and_si256(b, _mm256_set1_epi32(0x7f80_0000)))
        })
    }
    #[inline(always)]
    fn decided(x: Self, x_min: Self, v1: Self, v2: Self) -> u32 {
        // GT_OQ and EQ_OQ are false on NaN.
        unsafe {
            let in_range = _mm256_cmp_ps::<_CMP_GT_OQ>(x.0, x_min.0);
            let eq = _mm256_cmp_ps::<_CMP_EQ_OQ>(v1.0, v2.0);
            _mm256_movemask_ps(_mm256_and_ps(in_range, eq)) as u32
        }
    }
    #[inline(always)]
    fn flush(pending: &mut Pending, dst: &mut [f32]) {
        // SAFETY: only the kernels this module's entry points instantiate
        // call it, and their callers checked AVX2 and FMA (the module's
        // soundness argument above).
        unsafe { cr32_flush(pending, dst) }
    }
    #[inline(always)]
    fn redo(xs: &[f32], dst: &mut [f32]) {
        // SAFETY: as for `flush`.
        unsafe { cr32_redo(xs, dst) }
    }
}

/// Four `f64` lanes in a `__m256d`: the correctly rounded tier's fast
/// path. Private like [`Avx2`], and made only through [`Lanes::F64`] inside
/// the same entry points, so the module's soundness argument covers it.
#[derive(Clone, Copy)]
struct Avx2F64(__m256d);

macro_rules! avx_binop_pd {
    ($($tr:ident $f:ident $intr:ident),*) => {$(
        impl $tr for Avx2F64 {
            type Output = Avx2F64;
            #[inline(always)]
            fn $f(self, o: Avx2F64) -> Avx2F64 {
                // SAFETY: an `Avx2F64` value exists only inside an entry
                // point of this module (see the module docs).
                Avx2F64(unsafe { $intr(self.0, o.0) })
            }
        }
    )*};
}
avx_binop_pd!(Add add _mm256_add_pd, Sub sub _mm256_sub_pd, Mul mul _mm256_mul_pd, Div div _mm256_div_pd);

// SAFETY (every block in this impl): an `Avx2F64` value, and every call of
// `splat`/`load_f32`, exists only inside an entry point of this module,
// which runs with AVX2 and FMA enabled and detected (module docs). Memory
// accesses carry their own note.
impl Lanes64 for Avx2F64 {
    const WIDTH: usize = 4;
    const CR_EIGHT_PER_STEP: bool = true;
    #[inline(always)]
    fn splat(v: f64) -> Self {
        Avx2F64(unsafe { _mm256_set1_pd(v) })
    }
    #[inline(always)]
    fn load_f32(src: &[f32]) -> Self {
        let src = &src[..4];
        // SAFETY: `src` has 4 readable f32s (checked above); loadu has no
        // alignment requirement.
        Avx2F64(unsafe { _mm256_cvtps_pd(_mm_loadu_ps(src.as_ptr())) })
    }
    #[inline(always)]
    fn store_f32(self, dst: &mut [f32]) {
        let dst = &mut dst[..4];
        // SAFETY: `dst` has 4 writable f32s (checked above). vcvtpd2ps
        // rounds by MXCSR: to nearest even, which Rust never changes.
        unsafe { _mm_storeu_ps(dst.as_mut_ptr(), _mm256_cvtpd_ps(self.0)) }
    }
    #[inline(always)]
    fn round_differs(lo: Self, hi: Self) -> u32 {
        // cmpneqps is true for NaN.
        unsafe {
            let ne = _mm_cmpneq_ps(_mm256_cvtpd_ps(lo.0), _mm256_cvtpd_ps(hi.0));
            _mm_movemask_ps(ne) as u32
        }
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Avx2F64(unsafe { _mm256_fmadd_pd(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        // minpd returns its second operand if either is NaN.
        Avx2F64(unsafe { _mm256_min_pd(o.0, self.0) })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // NaN as for `min`.
        Avx2F64(unsafe { _mm256_max_pd(o.0, self.0) })
    }
    #[inline(always)]
    fn shl48(self) -> Self {
        Avx2F64(unsafe {
            _mm256_castsi256_pd(_mm256_slli_epi64::<48>(_mm256_castpd_si256(self.0)))
        })
    }
    #[inline(always)]
    fn lookup16(self, table: &[f64; 16]) -> Self {
        // SAFETY: every index is masked to 0..16, inside `table`.
        Avx2F64(unsafe {
            let i = _mm256_and_si256(_mm256_castpd_si256(self.0), _mm256_set1_epi64x(15));
            _mm256_i64gather_pd::<8>(table.as_ptr(), i)
        })
    }
}

x86_entry_points!(Avx2, "avx2,fma", "AVX2 and FMA");

/// [`grad_stats::chunk`](super::grad_stats::chunk) compiled for AVX2, with
/// a software prefetch.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn grad_stats(c: &[f32], threshold: f32) -> super::grad_stats::ChunkSums {
    // A prefetch is a hint (safe with SSE, which the closure inherits): it
    // never faults, whatever the address.
    super::grad_stats::chunk(c, threshold, |p| _mm_prefetch::<{ _MM_HINT_T0 }>(p.cast()))
}

// The int8/uint8 table lookup (`quant`), 32 bytes per step with `vpshufb`.
//
// `vpshufb` reads 16-byte tables and returns 0 where the index byte has its
// top bit set. With the index `v − 16·i` (wrapping) at step i, a lane with
// input v in block c = v >> 4 (c < 8) hits tables i ≤ c and gets 0 from
// i > c (the index wrapped to ≥ 0x90). XOR-ing the tables
// `D_i = T_i ⊕ T_(i−1)` (`D_0 = T_0`) over steps 0..8 therefore leaves
// exactly `T_c[v & 15]`. Steps 8..16 do the same for the upper half with
// `D_8 = T_8`, and the top bit of v picks the half.

/// The 16 XOR-differenced tables of the module docs, each in both
/// 128-bit halves.
#[target_feature(enable = "avx2")]
fn lut_tables(table: &[u8; 256]) -> [__m256i; 16] {
    let mut d = [_mm256_setzero_si256(); 16];
    for (i, di) in d.iter_mut().enumerate() {
        let mut block = [0u8; 16];
        for (j, b) in block.iter_mut().enumerate() {
            let cur = table[16 * i + j];
            *b = if i % 8 == 0 {
                cur
            } else {
                cur ^ table[16 * (i - 1) + j]
            };
        }
        // SAFETY: `block` is 16 readable bytes; loadu has no alignment need.
        let x = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
        *di = _mm256_broadcastsi128_si256(x);
    }
    d
}

/// Lookups of `N` vectors of 32 bytes, step by step across the vectors
/// so that each table is loaded once per step. Every index is `v − 16·i`
/// from `v` directly (no serial chain).
#[inline]
#[target_feature(enable = "avx2")]
fn lookup_vecs<const N: usize>(d: &[__m256i; 16], v: [__m256i; N]) -> [__m256i; N] {
    let mut lo = [_mm256_setzero_si256(); N];
    let mut hi = [_mm256_setzero_si256(); N];
    for (i, di) in d.iter().enumerate() {
        let off = _mm256_set1_epi8((16 * i) as u8 as i8);
        for k in 0..N {
            let t = _mm256_shuffle_epi8(*di, _mm256_sub_epi8(v[k], off));
            if i < 8 {
                lo[k] = _mm256_xor_si256(lo[k], t);
            } else {
                hi[k] = _mm256_xor_si256(hi[k], t);
            }
        }
    }
    let mut r = lo;
    for k in 0..N {
        r[k] = _mm256_blendv_epi8(lo[k], hi[k], v[k]);
    }
    r
}

/// `dst[i] = table[src[i]]` (`src == None`: in place) with `vpshufb`;
/// the tail goes through a 32-byte stack copy.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn lookup(table: &[u8; 256], src: Option<&[u8]>, dst: &mut [u8]) {
    let d = lut_tables(table);
    let n = dst.len();
    let body = n - n % 32;
    let mut i = 0;
    // Two vectors per step while 64 bytes remain, then one.
    while i + 64 <= body {
        let s = match src {
            Some(s) => &s[i..i + 64],
            None => &dst[i..i + 64],
        };
        // SAFETY: `s` has 64 readable bytes (bounds-checked slice above).
        let v = unsafe {
            [
                _mm256_loadu_si256(s.as_ptr().cast()),
                _mm256_loadu_si256(s[32..].as_ptr().cast()),
            ]
        };
        let [a, b] = lookup_vecs(&d, v);
        let o = &mut dst[i..i + 64];
        // SAFETY: `o` has 64 writable bytes.
        unsafe {
            _mm256_storeu_si256(o.as_mut_ptr().cast(), a);
            _mm256_storeu_si256(o[32..].as_mut_ptr().cast(), b);
        }
        i += 64;
    }
    if i < body {
        let s = match src {
            Some(s) => &s[i..i + 32],
            None => &dst[i..i + 32],
        };
        // SAFETY: `s` has 32 readable bytes (bounds-checked slice above).
        let [r] = lookup_vecs(&d, [unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }]);
        // SAFETY: `dst[i..i + 32]` has 32 writable bytes.
        unsafe { _mm256_storeu_si256(dst[i..i + 32].as_mut_ptr().cast(), r) };
    }
    if body < n {
        let mut buf = [0u8; 32];
        buf[..n - body].copy_from_slice(match src {
            Some(s) => &s[body..],
            None => &dst[body..],
        });
        // SAFETY: `buf` is 32 bytes, readable and writable.
        unsafe {
            let [r] = lookup_vecs(&d, [_mm256_loadu_si256(buf.as_ptr().cast())]);
            _mm256_storeu_si256(buf.as_mut_ptr().cast(), r);
        }
        dst[body..].copy_from_slice(&buf[..n - body]);
    }
}

// The 16-bit formats (`half16`): binary16 with F16C (`vcvtph2ps`,
// `vcvtps2ph`), bfloat16 with AVX2 integer code (a shift to widen; a
// rounding add, a shift and a pack to narrow).
//
// SAFETY (every block in this impl): the methods of `Lanes16` run only in
// `half16`'s loops, which are instantiated with `Avx2` only in the 16-bit
// entry points below; those enable AVX2, FMA and F16C, and the dispatch
// calls them only after detecting all three. Memory accesses carry their
// own note.
impl Lanes16 for Avx2 {
    #[inline(always)]
    fn load16<F: Format>(src: &[u16]) -> Self {
        let src = &src[..8];
        // SAFETY: `src` has 8 readable u16s (16 bytes, checked above).
        let h = unsafe { _mm_loadu_si128(src.as_ptr().cast()) };
        Avx2(unsafe {
            if F::BF16 {
                _mm256_castsi256_ps(_mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(h)))
            } else {
                _mm256_cvtph_ps(h)
            }
        })
    }
    #[inline(always)]
    fn store16<F: Format>(self, dst: &mut [u16]) {
        let dst = &mut dst[..8];
        // SAFETY: `dst` has 8 writable u16s (16 bytes, checked above).
        unsafe { _mm_storeu_si128(dst.as_mut_ptr().cast(), narrow::<F>(self.0)) }
    }
    #[inline(always)]
    fn store16_stream<F: Format>(self, dst: &mut [u16]) {
        let dst = &mut dst[..8];
        if (dst.as_ptr() as usize).is_multiple_of(16) {
            // SAFETY: `dst` has 16 writable bytes (checked above) at a
            // 16-byte aligned address (checked here), as vmovntdq needs;
            // the entry points fence after streaming.
            unsafe { _mm_stream_si128(dst.as_mut_ptr().cast(), narrow::<F>(self.0)) }
        } else {
            self.store16::<F>(dst)
        }
    }
    #[inline(always)]
    fn store16_sigma<F: Format, const STREAM: bool>(self, dst: &mut [u16]) -> u32 {
        // `half16::tie_bits`: an add, an and and a compare, no conversion.
        // SAFETY: as above.
        let tie = unsafe {
            let b = _mm256_castps_si256(self.0);
            let b = _mm256_add_epi32(b, _mm256_set1_epi32(tie_add::<F>() as i32));
            let low = _mm256_and_si256(b, _mm256_set1_epi32(tie_mask::<F>() as i32));
            let hit = _mm256_cmpeq_epi32(low, _mm256_setzero_si256());
            _mm256_movemask_ps(_mm256_castsi256_ps(hit)) as u32
        };
        if STREAM {
            self.store16_stream::<F>(dst);
        } else {
            self.store16::<F>(dst);
        }
        tie
    }
}

/// Eight `f32` lanes rounded to `F`, packed into 128 bits.
#[inline(always)]
fn narrow<F: Format>(v: __m256) -> __m128i {
    // SAFETY: called only from the `Lanes16` methods above (see there).
    unsafe {
        if F::BF16 {
            // Round to nearest-even on bit 16; NaN: the top half, quieted.
            let b = _mm256_castps_si256(v);
            let odd = _mm256_and_si256(_mm256_srli_epi32::<16>(b), _mm256_set1_epi32(1));
            let r = _mm256_add_epi32(_mm256_add_epi32(b, _mm256_set1_epi32(0x7fff)), odd);
            let r = _mm256_srli_epi32::<16>(r);
            let quiet = _mm256_or_si256(_mm256_srli_epi32::<16>(b), _mm256_set1_epi32(0x40));
            let nan = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_UNORD_Q>(v, v));
            let r = _mm256_blendv_epi8(r, quiet, nan);
            // Values ≤ 0xffff: the unsigned saturating pack keeps them;
            // it packs within 128-bit halves, so gather qwords 0 and 2.
            let p = _mm256_packus_epi32(r, r);
            _mm256_castsi256_si128(_mm256_permute4x64_epi64::<0b1000>(p))
        } else {
            _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v)
        }
    }
}

x86_entry_points16!(Avx2, "avx2,fma,f16c", "AVX2, FMA and F16C");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::cr32::cr32_lanes;

    /// [`cr32_lanes`] on 8 inputs: the values and the decided mask.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA (the module's soundness argument,
    /// for this test-only entry point).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn cr32_pass(xs: &[f32; 8]) -> ([f32; 8], u32) {
        let (v, decided) = cr32_lanes(Avx2::load(xs));
        let mut out = [0.0f32; 8];
        v.store(&mut out);
        (out, decided)
    }

    /// The `f32` first pass alone on this backend (four `vpermps` per
    /// table, the division for the reciprocal): the shared check.
    #[test]
    fn cr32_pass_decides_only_what_it_may() {
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
            println!("skipped: no AVX2 and FMA on this CPU");
            return;
        }
        crate::cpu::cr32::tests::check_first_pass(8, |xs| {
            // SAFETY: AVX2 and FMA were detected above.
            let (v, decided) = unsafe { cr32_pass(xs.try_into().expect("8 inputs")) };
            (v.to_vec(), decided)
        });
    }
}
