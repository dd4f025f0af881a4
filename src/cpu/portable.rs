//! The portable backend: [`Lanes`] over `wide::f32x8`, and [`Lanes64`]
//! over `wide::f64x4` for the correctly rounded tier.
//!
//! `wide` picks its instructions when `wide` itself is compiled: SSE2 on a
//! baseline x86-64 build, AVX/AVX2(+FMA) under `-C target-cpu=native`, NEON on
//! aarch64, plain scalar code elsewhere. The fused multiply-subtract the
//! kernels need is the hardware FMA where `wide` was built with one and
//! Dekker's exact product otherwise.

use super::lanes::{mul_sub_exact_dekker, Lanes, Lanes64};
use wide::{f32x4, f32x8, f64x4, i32x8, u64x4};

/// floor(v) for x86-64 before SSE4.1, which has no floor instruction (`wide`
/// would call libm once per lane there): truncate to an integer (SSE2
/// `cvttps2dq`), convert back, subtract one where that rounded up. |v| ≥ 2^23
/// is already integral and NaN stays NaN; a zero result is +0 even for −0
/// (the fast tier, the only user, does not see the difference).
#[inline(always)]
fn floor_by_truncation(v: f32x8) -> f32x8 {
    let t = v.fast_trunc_int().round_float();
    let floor = v.simd_lt(t).select(t - f32x8::splat(1.0), t);
    v.abs().simd_lt(f32x8::splat(8_388_608.0)).select(floor, v)
}

impl Lanes for f32x8 {
    const WIDTH: usize = 8;
    type F64 = f64x4;
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
            self.mul_neg_add(b, c)
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
        // `wide` has a floor instruction on these targets; elsewhere (x86-64
        // before SSE4.1) it calls libm once per lane.
        if cfg!(any(
            target_feature = "sse4.1",
            target_feature = "simd128",
            all(target_feature = "neon", target_arch = "aarch64")
        )) {
            f32x8::floor(self)
        } else {
            floor_by_truncation(self)
        }
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

/// The correctly rounded tier's `f64` lanes: `wide::f64x4` (AVX under
/// `-C target-cpu=native`, else two SSE2 halves). `wide` has no
/// conversion between `f32` and `f64` vectors, so those go lane by lane.
impl Lanes64 for f64x4 {
    const WIDTH: usize = 4;
    #[inline(always)]
    fn splat(v: f64) -> Self {
        f64x4::splat(v)
    }
    #[inline(always)]
    fn load_f32(src: &[f32]) -> Self {
        let a: [f32; 4] = src[..4].try_into().expect("slice of 4");
        f64x4::new(a.map(f64::from))
    }
    #[inline(always)]
    fn store_f32(self, dst: &mut [f32]) {
        dst[..4].copy_from_slice(&self.to_array().map(|v| v as f32));
    }
    #[inline(always)]
    fn round_differs(lo: Self, hi: Self) -> u32 {
        // One `f32x4` compare (`!=` is true for NaN) and its bit mask.
        let (lo, hi) = (
            lo.to_array().map(|v| v as f32),
            hi.to_array().map(|v| v as f32),
        );
        f32x4::new(lo).simd_ne(f32x4::new(hi)).to_bitmask()
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        f64x4::mul_add(self, b, c)
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        // On x86 `fast_min` is `minpd`, which returns its second operand
        // if either is NaN: one instruction with `self` second. Elsewhere
        // `wide` does not say, so the NaN lanes are selected.
        if cfg!(target_feature = "sse2") {
            o.fast_min(self)
        } else {
            self.is_nan().select(self, self.fast_min(o))
        }
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // As for `min`, with `maxpd`.
        if cfg!(target_feature = "sse2") {
            o.fast_max(self)
        } else {
            self.is_nan().select(self, self.fast_max(o))
        }
    }
    #[inline(always)]
    fn shl48(self) -> Self {
        bytemuck::cast(bytemuck::cast::<f64x4, u64x4>(self) << 48u32)
    }
    #[inline(always)]
    fn lookup16(self, table: &[f64; 16]) -> Self {
        let i = bytemuck::cast::<f64x4, [u64; 4]>(self);
        f64x4::new(i.map(|i| table[(i & 15) as usize]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_by_truncation_is_floor() {
        // Every 4099th bit pattern (all signs and exponents), plus the edges.
        let mut vals: Vec<f32> = (0..=u32::MAX).step_by(4099).map(f32::from_bits).collect();
        vals.extend([
            0.5,
            -0.5,
            1.5,
            -1.5,
            -1.0,
            4_194_303.5,
            -4_194_303.5,
            8_388_607.5,
        ]);
        vals.extend([-8_388_607.5, 8_388_608.0, -8_388_609.0, 3e9, -3e9]);
        vals.extend([f32::INFINITY, f32::NEG_INFINITY, f32::NAN, -0.0]);
        vals.resize(vals.len().div_ceil(8) * 8, 0.0);
        for chunk in vals.chunks_exact(8) {
            let got = floor_by_truncation(Lanes::load(chunk)).to_array();
            for (v, got) in chunk.iter().zip(got) {
                let want = v.floor();
                assert!(
                    got == want || (got.is_nan() && want.is_nan()),
                    "floor({v:e}) = {want:e}, got {got:e}"
                );
            }
        }
    }
}
