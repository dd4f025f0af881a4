//! The portable backend: [`Lanes`] over `wide::f32x8`.
//!
//! `wide` picks its instructions when `wide` itself is compiled: SSE2 on a
//! baseline x86-64 build, AVX/AVX2(+FMA) under `-C target-cpu=native`, NEON on
//! aarch64, plain scalar code elsewhere. The fused multiply-subtract the
//! kernels need is the hardware FMA where `wide` was built with one and
//! Dekker's exact product otherwise.

use super::lanes::{mul_sub_exact_dekker, Lanes};
use wide::{f32x8, i32x8};

impl Lanes for f32x8 {
    const WIDTH: usize = 8;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        f32x8::splat(v)
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        let a: [f32; 8] = src[..8].try_into().expect("slice of 8");
        f32x8::new(a)
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        dst[..8].copy_from_slice(&self.to_array());
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        f32x8::mul_add(self, b, c)
    }
    #[inline(always)]
    fn mul_neg_add(self, b: Self, c: Self) -> Self {
        f32x8::mul_neg_add(self, b, c)
    }
    #[inline(always)]
    fn mul_sub_exact(self, b: Self, c: Self) -> Self {
        if cfg!(target_feature = "fma") {
            // wide was built with FMA: this is one vfnmadd, one rounding.
            f32x8::mul_add(-self, b, c)
        } else {
            mul_sub_exact_dekker(self, b, c)
        }
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        if cfg!(target_feature = "sse") {
            o.fast_min(self) // minps returns its second operand if either is NaN
        } else {
            self.is_nan().select(self, self.fast_min(o))
        }
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        if cfg!(target_feature = "sse") {
            o.fast_max(self) // maxps returns its second operand if either is NaN
        } else {
            self.is_nan().select(self, self.fast_max(o))
        }
    }
    #[inline(always)]
    fn floor(self) -> Self {
        f32x8::floor(self)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32x8::abs(self)
    }
    #[inline(always)]
    fn shl_exponent(self) -> Self {
        bytemuck::cast(bytemuck::cast::<f32x8, i32x8>(self) << 23u32)
    }
    #[inline(always)]
    fn select_sign(self, neg: Self, pos: Self) -> Self {
        self.is_sign_negative().select(neg, pos)
    }
    #[inline(always)]
    fn nan_or(self, r: Self) -> Self {
        self.is_nan().select(self + self, r)
    }
    #[inline(always)]
    fn lt_select(self, o: Self, a: Self, b: Self) -> Self {
        self.simd_lt(o).select(a, b)
    }
}
