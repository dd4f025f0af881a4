//! Piecewise-linear Sigmoid substitutes, one vector at a time: PyTorch's
//! `hardsigmoid`, the ONNX/Keras 2 affine form and PLAN, forward and backward.
//!
//! Each function computes, lane by lane, exactly the scalar definition of the
//! same name in [`crate::reference`] (same operations, same roundings, same
//! NaN and signed-zero results), so every backend is bit-identical to it.
//! The dispatch lives in `ops.rs`; the formulas and their error against σ
//! are documented on the crate-level functions.

use super::lanes::Lanes;
use super::map::{kernel, Apply1, Apply2};

/// `min(max(x + 3, 0), 6) / 6`; NaN lanes return `x + x`.
#[inline(always)]
pub(crate) fn hard_lanes<L: Lanes>(x: L) -> L {
    let t = (x + L::splat(3.0)).max(L::splat(0.0)).min(L::splat(6.0));
    x.nan_or(t / L::splat(6.0))
}

/// `dy · (1/6)` where −3 < x < 3, else `+0`.
#[inline(always)]
pub(crate) fn hard_backward_lanes<L: Lanes>(x: L, dy: L) -> L {
    let zero = L::splat(0.0);
    let g = dy * L::splat(1.0 / 6.0);
    L::splat(-3.0).lt_select(x, x.lt_select(L::splat(3.0), g, zero), zero)
}

/// `t = α·x + β` (two roundings); `+0` for t ≤ 0, `min(t, 1)` above, NaN
/// lanes of `t` return `t + t`.
#[inline(always)]
pub(crate) fn hard_affine_lanes<L: Lanes>(x: L, alpha: f32, beta: f32) -> L {
    let zero = L::splat(0.0);
    let t = x * L::splat(alpha) + L::splat(beta);
    t.nan_or(zero.lt_select(t, t.min(L::splat(1.0)), zero))
}

/// `dy · α` where 0 < α·x + β < 1, else `+0`.
#[inline(always)]
pub(crate) fn hard_affine_backward_lanes<L: Lanes>(x: L, dy: L, alpha: f32, beta: f32) -> L {
    let zero = L::splat(0.0);
    let t = x * L::splat(alpha) + L::splat(beta);
    let g = dy * L::splat(alpha);
    zero.lt_select(t, t.lt_select(L::splat(1.0), g, zero), zero)
}

/// PLAN: slope and intercept of the piece |x| falls in, `1 − f` for negative
/// sign bits (exact), NaN lanes return `x + x`.
#[inline(always)]
pub(crate) fn plan_lanes<L: Lanes>(x: L) -> L {
    let one = L::splat(1.0);
    let a = x.max(-x);
    let (b1, b2, b5) = (L::splat(1.0), L::splat(2.375), L::splat(5.0));
    let s = a.lt_select(
        b1,
        L::splat(0.25),
        a.lt_select(b2, L::splat(0.125), L::splat(0.03125)),
    );
    let c = a.lt_select(
        b1,
        L::splat(0.5),
        a.lt_select(b2, L::splat(0.625), L::splat(0.84375)),
    );
    let f = a.lt_select(b5, a * s + c, one);
    x.nan_or(x.select_sign(one - f, f))
}

/// `dy` times the slope of the PLAN piece |x| falls in; `+0` for |x| ≥ 5 or
/// NaN `x`.
#[inline(always)]
pub(crate) fn plan_backward_lanes<L: Lanes>(x: L, dy: L) -> L {
    let a = x.max(-x);
    let s = a.lt_select(
        L::splat(1.0),
        L::splat(0.25),
        a.lt_select(L::splat(2.375), L::splat(0.125), L::splat(0.03125)),
    );
    a.lt_select(L::splat(5.0), dy * s, L::splat(0.0))
}

/// [`hard_affine_lanes`] with its parameters, as a kernel value.
#[derive(Clone, Copy)]
pub(crate) struct HardAffineK {
    pub(crate) alpha: f32,
    pub(crate) beta: f32,
}

impl Apply1 for HardAffineK {
    #[inline(always)]
    fn apply<L: Lanes>(self, x: L) -> L {
        hard_affine_lanes(x, self.alpha, self.beta)
    }
}

impl Apply2 for HardAffineK {
    #[inline(always)]
    fn apply<L: Lanes>(self, x: L, dy: L) -> L {
        hard_affine_backward_lanes(x, dy, self.alpha, self.beta)
    }
}

kernel!(HardK: Apply1, hard_lanes);
kernel!(PlanK: Apply1, plan_lanes);
kernel!(HardBackwardK: Apply2, hard_backward_lanes);
kernel!(PlanBackwardK: Apply2, plan_backward_lanes);
