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
//! Soundness: values of [`Avx2`] can only be made inside this module, and
//! the only functions that make them are the entry points, which carry
//! `#[target_feature(enable = "avx2,fma")]` and are only called after
//! [`super::Backend::Avx2Fma`] was detected (see `super::dispatch`).

use super::lanes::Lanes;
use super::math;
use core::arch::x86_64::*;
use core::ops::{Add, Div, Mul, Neg, Sub};

#[derive(Clone, Copy)]
pub(crate) struct Avx2(__m256);

macro_rules! avx_binop {
    ($($tr:ident $f:ident $intr:ident),*) => {$(
        impl $tr for Avx2 {
            type Output = Avx2;
            #[inline(always)]
            fn $f(self, o: Avx2) -> Avx2 {
                // SAFETY: an `Avx2` value exists only inside an avx2+fma entry point.
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
}

/// [`math::unary`] compiled for AVX2+FMA. Streamed stores are fenced
/// before it returns, so they are ordered before whatever the caller does
/// next (rayon's join included).
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn unary(op: math::Unary, src: Option<&[f32]>, dst: &mut [f32], stream: bool) {
    math::unary::<Avx2>(op, src, dst, stream);
    if stream {
        _mm_sfence();
    }
}

/// [`math::binary`] compiled for AVX2+FMA, fenced as [`unary`].
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn binary(
    op: math::Grad,
    a: &[f32],
    dy: Option<&[f32]>,
    dx: &mut [f32],
    stream: bool,
) {
    math::binary::<Avx2>(op, a, dy, dx, stream);
    if stream {
        _mm_sfence();
    }
}
