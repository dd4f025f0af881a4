//! The x86-64 AVX-512 backend: [`Lanes`] over `__m512` (16 lanes) with
//! `std::arch` intrinsics, the `#[target_feature]` entry points that
//! instantiate the generic kernels with it, and the 64-byte table lookup
//! for the int8/uint8 kernels.
//!
//! Beyond the width, it uses what AVX-512 adds where that removes work:
//! masked loads and stores for the last partial vector (no copy through a
//! stack buffer), mask registers for every select (`vblendmps` instead of
//! `vblendvps`), a masked add for the NaN fix-up, and `vpermi2b`
//! (AVX512_VBMI) for a 256-entry byte table in four instructions per 64
//! bytes.
//!
//! Soundness: [`Avx512`] is private to this module, so only code in this
//! module can make a value of it (through [`Lanes::splat`] or
//! [`Lanes::load`]) or instantiate a kernel with it; the only such code is
//! the entry points below (from `x86_entry_points!`), whose `# Safety`
//! contract is that the CPU has
//! the features [`detected`] checks. The dispatch in `cpu/mod.rs` calls
//! them only for [`super::Backend::Avx512`] after checking that.

use super::cr32::{cr32_map, Cr32Lanes, Pending};
use super::half16::{tie_add, tie_mask, Format, Lanes16};
use super::lanes::{Lanes, Lanes64};
use super::map::{Input, Out};
use core::arch::x86_64::*;
use core::ops::{Add, Div, Mul, Neg, Sub};

/// Whether this CPU runs the backend: AVX-512 F, DQ, BW and VL (every
/// AVX-512 CPU since Skylake-SP has all four) plus AVX2 and FMA. The OS
/// support check (XSAVE of the ZMM state) is part of the standard
/// library's detection.
pub(crate) fn detected() -> bool {
    is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
}

/// Whether the 16-bit entry points of [`bf16ne`] run: the backend plus
/// AVX512_BF16.
pub(crate) fn bf16_detected() -> bool {
    detected() && is_x86_feature_detected!("avx512bf16")
}

/// Whether the byte lookup can use `vpermi2b` (AVX512_VBMI); without it
/// the AVX2 lookup runs.
pub(crate) fn vbmi_detected() -> bool {
    detected() && is_x86_feature_detected!("avx512vbmi")
}

#[derive(Clone, Copy)]
struct Avx512(__m512);

macro_rules! binop {
    ($($tr:ident $f:ident $intr:ident),*) => {$(
        impl $tr for Avx512 {
            type Output = Avx512;
            #[inline(always)]
            fn $f(self, o: Avx512) -> Avx512 {
                // SAFETY: an `Avx512` value exists only inside an entry point
                // of this module (see the module docs).
                Avx512(unsafe { $intr(self.0, o.0) })
            }
        }
    )*};
}
binop!(Add add _mm512_add_ps, Sub sub _mm512_sub_ps, Mul mul _mm512_mul_ps, Div div _mm512_div_ps);

impl Neg for Avx512 {
    type Output = Avx512;
    #[inline(always)]
    fn neg(self) -> Avx512 {
        // SAFETY: as for the binary operators.
        Avx512(unsafe {
            _mm512_castsi512_ps(_mm512_xor_si512(
                _mm512_castps_si512(self.0),
                _mm512_set1_epi32(i32::MIN),
            ))
        })
    }
}

/// A mask with the first `n` (< 16) lanes set.
#[inline(always)]
fn first(n: usize) -> __mmask16 {
    debug_assert!(n < 16);
    (1u16 << n) - 1
}

// SAFETY (every block in this impl): an `Avx512` value, and every call of
// `splat`/`load`, exists only inside an entry point of this module, which
// runs with the features [`detected`] checks enabled and detected
// (module docs). Memory accesses carry their own note.
impl Lanes for Avx512 {
    const WIDTH: usize = 16;
    type F64 = Avx512F64;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        Avx512(unsafe { _mm512_set1_ps(v) })
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        let src = &src[..16];
        // SAFETY: `src` has 16 readable f32s (checked above); loadu has no
        // alignment requirement.
        Avx512(unsafe { _mm512_loadu_ps(src.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        let dst = &mut dst[..16];
        // SAFETY: `dst` has 16 writable f32s (checked above).
        unsafe { _mm512_storeu_ps(dst.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn load_partial(src: &[f32]) -> Self {
        // SAFETY: the mask enables exactly the `src.len()` (< 16) lanes
        // that lie inside `src`; masked-off lanes are not accessed (no
        // fault) and read as zero.
        Avx512(unsafe { _mm512_maskz_loadu_ps(first(src.len()), src.as_ptr()) })
    }
    #[inline(always)]
    fn store_partial(self, dst: &mut [f32]) {
        // SAFETY: the mask enables exactly the `dst.len()` (< 16) lanes
        // inside `dst`; the others are not written.
        unsafe { _mm512_mask_storeu_ps(dst.as_mut_ptr(), first(dst.len()), self.0) }
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
        let dst = &mut dst[..16];
        if (dst.as_ptr() as usize).is_multiple_of(64) {
            // SAFETY: `dst` has 16 writable f32s (checked above) at a
            // 64-byte aligned address (checked here), as vmovntps needs;
            // the entry points fence after streaming.
            unsafe { _mm512_stream_ps(dst.as_mut_ptr(), self.0) }
        } else {
            self.store(dst)
        }
    }
    const EXACT_TABLE: bool = true;
    #[inline(always)]
    fn lookup32(self, table: &[f32; 32]) -> Self {
        // vpermt2ps: the low 5 bits of each index pick one of the 32
        // entries in two registers (the loads are loop-invariant).
        // SAFETY: `table` has 32 readable f32s: two 16-lane unaligned loads.
        Avx512(unsafe {
            let lo = _mm512_loadu_ps(table.as_ptr());
            let hi = _mm512_loadu_ps(table[16..].as_ptr());
            _mm512_permutex2var_ps(lo, _mm512_castps_si512(self.0), hi)
        })
    }
    #[inline(always)]
    fn scale_pow2(self, n: Self) -> Self {
        // vscalefps: self·2^⌊n⌋, rounded once.
        Avx512(unsafe { _mm512_scalef_ps(self.0, n.0) })
    }
    #[inline(always)]
    fn recip_estimate(self) -> Self {
        // vrcp14ps: relative error < 2^−14 (Intel's and AMD's manuals),
        // 1/+∞ = +0; its bits differ between vendors (`tests` below).
        Avx512(unsafe { _mm512_rcp14_ps(self.0) })
    }
    const HAS_RECIP_ESTIMATE: bool = true;
    #[inline(always)]
    fn recip(self) -> Self {
        // vrcp14ps (relative error < 2^−14), then one Newton step
        // y₀ + y₀·(1 − y₀·d), fused: a 512-bit vdivps keeps the divider
        // busy for about 10 cycles on Intel cores, which bounded the σ
        // tiers (measured in `docs/benchmarks.md`).
        // The step would make 0·∞ = NaN of 1/+∞: those lanes are zeroed
        // instead (a NaN lane compares unordered and stays NaN).
        let y0 = Avx512(unsafe { _mm512_rcp14_ps(self.0) });
        let e = y0.mul_neg_add(self, Self::splat(1.0));
        Avx512(unsafe {
            let finite = _mm512_cmp_ps_mask::<_CMP_NEQ_UQ>(self.0, _mm512_set1_ps(f32::INFINITY));
            _mm512_maskz_fmadd_ps(finite, y0.0, e.0, y0.0)
        })
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Avx512(unsafe { _mm512_fmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn mul_neg_add(self, b: Self, c: Self) -> Self {
        Avx512(unsafe { _mm512_fnmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn mul_sub_exact(self, b: Self, c: Self) -> Self {
        self.mul_neg_add(b, c) // fused: one rounding
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        // vminps returns its second operand if either is NaN, so a NaN in
        // `self` propagates.
        Avx512(unsafe { _mm512_min_ps(o.0, self.0) })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        Avx512(unsafe { _mm512_max_ps(o.0, self.0) })
    }
    #[inline(always)]
    fn floor(self) -> Self {
        Avx512(unsafe {
            _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(self.0)
        })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Avx512(unsafe { _mm512_abs_ps(self.0) })
    }
    #[inline(always)]
    fn abs_min(self, c: Self) -> Self {
        // vrangeps, imm8 0b10_10: the operand of smaller magnitude with its
        // sign bit cleared; for a quiet NaN in `self`, `c` (tested: the
        // non-NaN operand, as IEEE minNum).
        Avx512(unsafe { _mm512_range_ps::<0b1010>(self.0, c.0) })
    }
    #[inline(always)]
    fn clamp_sym(self, c: Self) -> Self {
        // vrangeps, imm8 0b00_10: the operand of smaller magnitude with the
        // sign of `self` (±0 keep theirs; a quiet NaN gives ±c).
        Avx512(unsafe { _mm512_range_ps::<0b0010>(self.0, c.0) })
    }
    #[inline(always)]
    fn floor_split(self) -> (Self, Self) {
        // vreduceps rounding down: self − ⌊self⌋ in one instruction (+0
        // for ±∞, NaN for NaN); ⌊self⌋ is left to vscalefps, which floors
        // its exponent operand and takes any exponent (2^+∞ = +∞, 2^−∞ =
        // +0), so no clamp.
        let f = unsafe { _mm512_reduce_ps::<{ _MM_FROUND_TO_NEG_INF }>(self.0) };
        (Avx512(f), self)
    }
    #[inline(always)]
    fn mul_pow2_add(p: Self, n: Self, c: Self) -> Self {
        // vscalefps: p·2^⌊n⌋, exact while normal, +∞ past the range, +0 or
        // subnormal below it.
        Avx512(unsafe { _mm512_scalef_ps(p.0, n.0) }) + c
    }
    #[inline(always)]
    fn pow2i_or(n: Self, _otherwise: impl FnOnce() -> Self) -> Self {
        // vscalefps: 1·2^floor(n), exact for n in [−149, 0].
        Avx512(unsafe { _mm512_scalef_ps(_mm512_set1_ps(1.0), n.0) })
    }
    #[inline(always)]
    fn scale_or(self, n: Self, _otherwise: impl FnOnce() -> Self) -> Self {
        // vscalefps: self·2^floor(n), rounded once.
        Avx512(unsafe { _mm512_scalef_ps(self.0, n.0) })
    }
    #[inline(always)]
    fn sign_select_sub(self, a: Self, t: Self) -> Self {
        // One masked subtraction: a − t where the sign bit is clear.
        Avx512(unsafe {
            let neg = _mm512_movepi32_mask(_mm512_castps_si512(self.0));
            _mm512_mask_sub_ps(t.0, !neg, a.0, t.0)
        })
    }
    #[inline(always)]
    fn lt_zero_select_sub(self, a: Self, t: Self) -> Self {
        // One masked subtraction: a − t where self is not below 0
        // (NLT_UQ: true for −0 and NaN). Unlike `sign_select_sub`'s
        // sign-bit mask, LLVM keeps this one a single masked `vsubps`.
        Avx512(unsafe {
            let ge = _mm512_cmp_ps_mask::<_CMP_NLT_UQ>(self.0, _mm512_setzero_ps());
            _mm512_mask_sub_ps(t.0, ge, a.0, t.0)
        })
    }
    #[inline(always)]
    fn shl_exponent(self) -> Self {
        Avx512(unsafe { _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_castps_si512(self.0))) })
    }
    #[inline(always)]
    fn select_sign(self, neg: Self, pos: Self) -> Self {
        Avx512(unsafe {
            let m = _mm512_movepi32_mask(_mm512_castps_si512(self.0));
            _mm512_mask_blend_ps(m, pos.0, neg.0)
        })
    }
    #[inline(always)]
    fn nan_or(self, r: Self) -> Self {
        // One masked add: r, with self + self in the NaN lanes.
        Avx512(unsafe {
            let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0);
            _mm512_mask_add_ps(r.0, nan, self.0, self.0)
        })
    }
    #[inline(always)]
    fn lt_select(self, o: Self, a: Self, b: Self) -> Self {
        // LT_OQ is false on NaN.
        Avx512(unsafe {
            let m = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, o.0);
            _mm512_mask_blend_ps(m, b.0, a.0)
        })
    }
    #[inline(always)]
    fn cr_map<I: Input, O: Out>(src: I, dst: &mut [f32]) {
        cr32_map::<Self, I, O>(src, dst)
    }
}

// SAFETY (every block in this impl): as for `impl Lanes for Avx512`.
impl Cr32Lanes for Avx512 {
    #[inline(always)]
    fn pow2_of_shr5(self) -> Self {
        Avx512(unsafe {
            let b = _mm512_slli_epi32::<18>(_mm512_castps_si512(self.0));
            _mm512_castsi512_ps(_mm512_and_si512(b, _mm512_set1_epi32(0x7f80_0000)))
        })
    }
    #[inline(always)]
    fn decided(x: Self, x_min: Self, v1: Self, v2: Self) -> u32 {
        // GT_OQ and EQ_OQ are false on NaN; the second compare is masked
        // by the first.
        u32::from(unsafe {
            let in_range = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(x.0, x_min.0);
            _mm512_mask_cmp_ps_mask::<_CMP_EQ_OQ>(in_range, v1.0, v2.0)
        })
    }
    #[inline(always)]
    fn flush(pending: &mut Pending, dst: &mut [f32]) {
        // SAFETY: only the kernels this module's entry points instantiate
        // call it, and their callers checked the features (the module's
        // soundness argument above).
        unsafe { cr32_flush(pending, dst) }
    }
    #[inline(always)]
    fn redo(xs: &[f32], dst: &mut [f32]) {
        // SAFETY: as for `flush`.
        unsafe { cr32_redo(xs, dst) }
    }
}

/// Eight `f64` lanes in a `__m512d`: the correctly rounded tier's fast
/// path. Private like [`Avx512`], and made only through [`Lanes::F64`]
/// inside the same entry points, so the module's soundness argument
/// covers it.
#[derive(Clone, Copy)]
struct Avx512F64(__m512d);

macro_rules! binop_pd {
    ($($tr:ident $f:ident $intr:ident),*) => {$(
        impl $tr for Avx512F64 {
            type Output = Avx512F64;
            #[inline(always)]
            fn $f(self, o: Avx512F64) -> Avx512F64 {
                // SAFETY: an `Avx512F64` value exists only inside an entry
                // point of this module (see the module docs).
                Avx512F64(unsafe { $intr(self.0, o.0) })
            }
        }
    )*};
}
binop_pd!(Add add _mm512_add_pd, Sub sub _mm512_sub_pd, Mul mul _mm512_mul_pd, Div div _mm512_div_pd);

// SAFETY (every block in this impl): as for `impl Lanes for Avx512`.
impl Lanes64 for Avx512F64 {
    const WIDTH: usize = 8;
    #[inline(always)]
    fn splat(v: f64) -> Self {
        Avx512F64(unsafe { _mm512_set1_pd(v) })
    }
    #[inline(always)]
    fn load_f32(src: &[f32]) -> Self {
        let src = &src[..8];
        // SAFETY: `src` has 8 readable f32s (checked above); loadu has no
        // alignment requirement.
        Avx512F64(unsafe { _mm512_cvtps_pd(_mm256_loadu_ps(src.as_ptr())) })
    }
    #[inline(always)]
    fn store_f32(self, dst: &mut [f32]) {
        let dst = &mut dst[..8];
        // SAFETY: `dst` has 8 writable f32s (checked above). vcvtpd2ps
        // rounds by MXCSR: to nearest even, which Rust never changes.
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), _mm512_cvtpd_ps(self.0)) }
    }
    #[inline(always)]
    fn round_differs(lo: Self, hi: Self) -> u32 {
        // NEQ_UQ is true for NaN.
        u32::from(unsafe {
            _mm256_cmp_ps_mask::<_CMP_NEQ_UQ>(_mm512_cvtpd_ps(lo.0), _mm512_cvtpd_ps(hi.0))
        })
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Avx512F64(unsafe { _mm512_fmadd_pd(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        // vminpd returns its second operand if either is NaN.
        Avx512F64(unsafe { _mm512_min_pd(o.0, self.0) })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // NaN as for `min`.
        Avx512F64(unsafe { _mm512_max_pd(o.0, self.0) })
    }
    #[inline(always)]
    fn shl48(self) -> Self {
        Avx512F64(unsafe {
            _mm512_castsi512_pd(_mm512_slli_epi64::<48>(_mm512_castpd_si512(self.0)))
        })
    }
    #[inline(always)]
    fn lookup16(self, table: &[f64; 16]) -> Self {
        // vpermt2pd: the low 4 bits of each index pick one of the 16
        // entries in two registers.
        // SAFETY: `table` has 16 readable f64s: two 8-lane unaligned loads.
        Avx512F64(unsafe {
            let lo = _mm512_loadu_pd(table.as_ptr());
            let hi = _mm512_loadu_pd(table[8..].as_ptr());
            _mm512_permutex2var_pd(lo, _mm512_castpd_si512(self.0), hi)
        })
    }
}

x86_entry_points!(
    Avx512,
    "avx512f,avx512dq,avx512bw,avx512vl,avx2,fma",
    "AVX-512 F, DQ, BW and VL, AVX2 and FMA (see [`detected`])"
);

/// `dst[i] = table[src[i]]` (`src == None`: in place), 64 bytes per step:
/// two `vpermi2b` look up the index's low 7 bits in the table's lower and
/// upper 128 entries, and the index's top bit picks one; the last partial
/// vector with masked loads and stores.
///
/// # Safety
/// The CPU must have the features [`vbmi_detected`] checks.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub(crate) unsafe fn lookup(table: &[u8; 256], src: Option<&[u8]>, dst: &mut [u8]) {
    // SAFETY: `table` has 256 readable bytes: four 64-byte unaligned loads.
    let t =
        unsafe { [0, 64, 128, 192].map(|o| _mm512_loadu_si512(table[o..o + 64].as_ptr().cast())) };
    let look = |v: __m512i| {
        let lo = _mm512_permutex2var_epi8(t[0], v, t[1]);
        let hi = _mm512_permutex2var_epi8(t[2], v, t[3]);
        _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), lo, hi)
    };
    let n = dst.len();
    let body = n - n % 64;
    for i in (0..body).step_by(64) {
        let s = match src {
            Some(s) => &s[i..i + 64],
            None => &dst[i..i + 64],
        };
        // SAFETY: `s` has 64 readable bytes (bounds-checked slice above).
        let v = unsafe { _mm512_loadu_si512(s.as_ptr().cast()) };
        let o = &mut dst[i..i + 64];
        // SAFETY: `o` has 64 writable bytes.
        unsafe { _mm512_storeu_si512(o.as_mut_ptr().cast(), look(v)) };
    }
    if body < n {
        let m: __mmask64 = (1u64 << (n - body)) - 1;
        let s = match src {
            Some(s) => &s[body..n],
            None => &dst[body..n],
        };
        // SAFETY: the mask enables exactly the `n − body` (< 64) bytes of
        // `s`; masked-off bytes are neither read nor written.
        unsafe {
            let v = _mm512_maskz_loadu_epi8(m, s.as_ptr().cast());
            _mm512_mask_storeu_epi8(dst[body..].as_mut_ptr().cast(), m, look(v));
        }
    }
}

// The 16-bit formats (`half16`): binary16 with the AVX-512F conversions
// (`vcvtph2ps`, `vcvtps2ph` on 16 lanes), bfloat16 with integer code (a
// shift to widen; a rounding add, a shift and `vpmovdw` to narrow), and
// in σ's store with `vcvtneps2bf16` where the CPU has AVX512_BF16.
//
// SAFETY (every block in this impl): the methods of `Lanes16` run only in
// `half16`'s loops, which are instantiated with `Avx512` only in the
// 16-bit entry points below; those enable the features [`detected`]
// checks (`bf16ne`'s also AVX512_BF16, [`bf16_detected`]), and the
// dispatch calls them only after checking it. Memory
// accesses carry their own note.
impl Lanes16 for Avx512 {
    #[inline(always)]
    fn load16<F: Format>(src: &[u16]) -> Self {
        let src = &src[..16];
        // SAFETY: `src` has 16 readable u16s (32 bytes, checked above).
        let h = unsafe { _mm256_loadu_si256(src.as_ptr().cast()) };
        Avx512(unsafe {
            if F::BF16 {
                _mm512_castsi512_ps(_mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(h)))
            } else {
                _mm512_cvtph_ps(h)
            }
        })
    }
    #[inline(always)]
    fn store16<F: Format>(self, dst: &mut [u16]) {
        put::<false>(narrow::<F>(self.0), dst);
    }
    #[inline(always)]
    fn store16_stream<F: Format>(self, dst: &mut [u16]) {
        put::<true>(narrow::<F>(self.0), dst);
    }
    #[inline(always)]
    fn store16_sigma<F: Format, const STREAM: bool>(self, dst: &mut [u16]) -> u32 {
        // `half16::tie_bits`: an add and a test into a mask.
        let (h, flags) = unsafe {
            let b = _mm512_castps_si512(self.0);
            let b = _mm512_add_epi32(b, _mm512_set1_epi32(tie_add::<F>() as i32));
            let tie = _mm512_testn_epi32_mask(b, _mm512_set1_epi32(tie_mask::<F>() as i32));
            if F::CVTNE {
                // `vcvtneps2bf16` (only the `bf16ne` entry points, with
                // AVX512_BF16, instantiate `CVTNE`) rounds to nearest-even
                // and quiets NaN as `half` does, but flushes subnormal
                // results to zero: those lanes (x from −103.97 to −87.34)
                // go to the fix-up too. `__m256bh` and `__m256i` are both
                // 32 plain bytes.
                let sub = _mm512_fpclass_ps_mask::<0x20>(self.0); // denormal
                let h = core::mem::transmute::<__m256bh, __m256i>(_mm512_cvtneps_pbh(self.0));
                (h, tie | sub)
            } else {
                (narrow::<F>(self.0), tie)
            }
        };
        put::<STREAM>(h, dst);
        u32::from(flags)
    }
}

/// Stores 16 16-bit values to the front of `dst`, around the cache with
/// `STREAM` where `dst` is 32-byte aligned (else cached).
#[inline(always)]
fn put<const STREAM: bool>(h: __m256i, dst: &mut [u16]) {
    let dst = &mut dst[..16];
    if STREAM && (dst.as_ptr() as usize).is_multiple_of(32) {
        // SAFETY: `dst` has 32 writable bytes (checked above) at a 32-byte
        // aligned address (checked here), as vmovntdq needs; the entry
        // points fence after streaming.
        unsafe { _mm256_stream_si256(dst.as_mut_ptr().cast(), h) }
    } else {
        // SAFETY: `dst` has 16 writable u16s (32 bytes, checked above).
        unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), h) }
    }
}

/// Sixteen `f32` lanes rounded to `F`, packed into 256 bits.
#[inline(always)]
fn narrow<F: Format>(v: __m512) -> __m256i {
    // SAFETY: called only from the `Lanes16` methods above (see there).
    unsafe {
        if F::BF16 {
            // Round to nearest-even on bit 16; NaN: the top half, quieted.
            let b = _mm512_castps_si512(v);
            let odd = _mm512_and_si512(_mm512_srli_epi32::<16>(b), _mm512_set1_epi32(1));
            let r = _mm512_add_epi32(_mm512_add_epi32(b, _mm512_set1_epi32(0x7fff)), odd);
            let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
            let r = _mm512_mask_or_epi32(r, nan, b, _mm512_set1_epi32(0x40_0000));
            _mm512_cvtepi32_epi16(_mm512_srli_epi32::<16>(r))
        } else {
            _mm512_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v)
        }
    }
}

x86_entry_points16!(
    Avx512,
    "avx512f,avx512dq,avx512bw,avx512vl,avx2,fma",
    "AVX-512 F, DQ, BW and VL, AVX2 and FMA (see [`detected`])"
);

/// The 16-bit entry points again with AVX512_BF16 enabled, for
/// [`Bf16Ne`](super::half16::Bf16Ne): σ's bfloat16 store narrows with
/// `vcvtneps2bf16`. Dispatched after [`bf16_detected`].
pub(crate) mod bf16ne {
    use super::Avx512;
    x86_entry_points16!(
        Avx512,
        "avx512f,avx512dq,avx512bw,avx512vl,avx2,fma,avx512bf16",
        "AVX-512 F, DQ, BW, VL and BF16, AVX2 and FMA (see [`super::bf16_detected`])"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::cr32::cr32_lanes;

    /// [`cr32_lanes`] on 16 inputs: the values and the decided mask.
    ///
    /// # Safety
    /// The CPU must have the features [`detected`] checks (the module's
    /// soundness argument, for this test-only entry point).
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")]
    unsafe fn cr32_pass(xs: &[f32; 16]) -> ([f32; 16], u32) {
        let (v, decided) = cr32_lanes(Avx512::load(xs));
        let mut out = [0.0f32; 16];
        v.store(&mut out);
        (out, decided)
    }

    /// The `f32` first pass alone on this backend (`vpermt2ps` tables,
    /// `vrcp14ps`): the shared check.
    #[test]
    fn cr32_pass_decides_only_what_it_may() {
        if !detected() {
            return;
        }
        crate::cpu::cr32::tests::check_first_pass(16, |xs| {
            // SAFETY: `detected()` was checked above.
            let (v, decided) = unsafe { cr32_pass(xs.try_into().expect("16 inputs")) };
            (v.to_vec(), decided)
        });
    }

    /// `vrcp14ps` of 16 inputs.
    #[target_feature(enable = "avx512f")]
    fn rcp14(v: &[f32; 16]) -> [f32; 16] {
        let mut y = [0.0f32; 16];
        // SAFETY: `v` and `y` hold 16 f32s each; loadu/storeu need no
        // alignment.
        unsafe { _mm512_storeu_ps(y.as_mut_ptr(), _mm512_rcp14_ps(_mm512_loadu_ps(v.as_ptr()))) };
        y
    }

    /// What the fast tier's monotonicity rests on (`sigma::fast_lanes`),
    /// on the CPU the test runs on (Intel and AMD give different bits):
    /// `vrcp14ps` is non-increasing and within 2^−14 relative over every
    /// `f32` in [1, 4] (two binades and their boundaries), the same there
    /// as in other binades (every 7th mantissa, scaled by 2^e for several
    /// e), and non-increasing over [2^125, +∞] (subnormal results, +0 for
    /// +∞). Monotonicity is asserted on Intel CPUs, where the docs state
    /// it, and reported on others.
    #[test]
    fn rcp14_is_monotone_and_within_2_pow_m14() {
        if !detected() {
            println!("skipped: no AVX-512 on this CPU");
            return;
        }
        // SAFETY (the calls of `rcp14`): AVX-512F is detected (above).
        let run = |lo: u32, hi: u32, each: &mut dyn FnMut(f32, f32)| {
            for start in (lo..=hi).step_by(16) {
                let x = core::array::from_fn(|i| f32::from_bits((start + i as u32).min(hi)));
                for (x, y) in x.iter().zip(unsafe { rcp14(&x) }) {
                    each(*x, y);
                }
            }
        };
        // Steps up (x, then rcp14(x) > the previous rcp14): asserted to be
        // none on Intel, where the docs state it; reported elsewhere.
        let ups = core::cell::Cell::new(0u64);
        let monotone = || {
            let mut prev = (0.0f32, f32::INFINITY);
            let ups = &ups;
            move |x: f32, y: f32| {
                if y > prev.1 {
                    if ups.get() == 0 {
                        println!("rcp14({x:e}) = {y:e} > rcp14({:e}) = {:e}", prev.0, prev.1);
                    }
                    ups.set(ups.get() + 1);
                }
                prev = (x, y);
            }
        };
        let mut m = monotone();
        run(1.0f32.to_bits(), 4.0f32.to_bits(), &mut |x, y| {
            let rel = (f64::from(y) * f64::from(x) - 1.0).abs();
            assert!(
                rel < 2f64.powi(-14),
                "rcp14({x:e}) = {y:e}: relative error {rel:e}"
            );
            m(x, y);
        });
        run(
            2f32.powi(125).to_bits(),
            f32::INFINITY.to_bits(),
            &mut monotone(),
        );
        // SAFETY: cpuid leaf 0 exists on every x86-64 CPU (the intrinsic
        // is safe on recent compilers, unsafe on older ones).
        #[allow(unused_unsafe)]
        let id = unsafe { __cpuid(0) };
        let intel = [id.ebx, id.edx, id.ecx] == [0x756e_6547, 0x4965_6e69, 0x6c65_746e];
        println!(
            "vrcp14ps steps up {} times (vendor Intel: {intel})",
            ups.get()
        );
        assert!(
            !intel || ups.get() == 0,
            "vrcp14ps not monotone on this Intel CPU"
        );
        for e in [-3, 1, 9, 40, 100, 124] {
            let s = 2f32.powi(e);
            for m in (1.0f32.to_bits()..2.0f32.to_bits()).step_by(7 * 16) {
                let x: [f32; 16] = core::array::from_fn(|i| f32::from_bits(m + 7 * i as u32));
                // SAFETY: as above.
                let (y, ys) = unsafe { (rcp14(&x), rcp14(&x.map(|v| v * s))) };
                for i in 0..16 {
                    assert_eq!(ys[i], y[i] / s, "rcp14({:e}·2^{e})", x[i]);
                }
            }
        }
    }
}
