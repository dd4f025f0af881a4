//! The operations the backends run, as values chosen once per call
//! ([`Unary`], [`Grad`]), and the generic entry points [`unary`] and
//! [`binary`] that each backend instantiates with its lane type: they split
//! off the head that streamed stores need and hand the rest to the loops in
//! `map.rs` with the algorithm from `sigma.rs`, `stable.rs` or `hard.rs`.

use super::hard;
use super::lanes::Lanes;
use super::map::{head_to_align, map1, map2, Cached, InPlace, Input, Out, Slice, Streamed};
use super::sigma;
use super::sigma_table;
use super::silu;
use super::stable;

/// The element-wise one-input kernels, chosen once per call (outside the loop).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Unary {
    /// [`sigma::ExactStages`], or [`sigma_table`] where the backend has
    /// [`Lanes::EXACT_TABLE`]
    Exact,
    /// [`sigma::fast_lanes`]
    Fast,
    /// [`hard::hard_lanes`]
    Hard,
    /// [`hard::hard_affine_lanes`]
    HardAffine { alpha: f32, beta: f32 },
    /// [`hard::plan_lanes`]
    Plan,
    /// [`stable::softplus_lanes`]
    Softplus,
    /// [`stable::log_sigmoid_lanes`]
    LogSigmoid,
    /// [`stable::softplus_fast_lanes`]
    SoftplusFast,
    /// [`stable::log_sigmoid_fast_lanes`]
    LogSigmoidFast,
    /// [`Lanes::cr_map`]: `cr.rs` over the backend's `f64` lanes, after
    /// `cr32.rs`'s `f32` pass where it has one
    Cr,
    /// [`silu::SiluStages`]
    Silu,
    /// [`silu::silu_fast_lanes`]
    SiluFast,
}

/// Runs `op` over `src` into `dst`, or over `dst` in place when `src` is
/// `None`. The elements before `dst`'s first vector-aligned one (less than
/// a vector) go through the partial-vector path, so that every whole
/// vector is stored to an aligned address: an output that starts 16 bytes
/// past a cache line, as NumPy's and the system allocator's large arrays
/// do, would otherwise split every 64-byte store across two lines (the fast
/// tier 16 % slower at 64K: `docs/benchmarks.md`). The bits do not depend
/// on the split. With `stream`, the aligned part is written with
/// non-temporal stores (in place, never: the lines are in the cache
/// already). Lengths were checked by the caller.
#[inline(always)]
pub(crate) fn unary<L: Lanes>(op: Unary, src: Option<&[f32]>, dst: &mut [f32], stream: bool) {
    let head = head_to_align::<L>(dst);
    let (d0, d1) = dst.split_at_mut(head);
    match src {
        Some(s) => {
            let (s0, s1) = s.split_at(head);
            unary_from::<L, _, Cached>(op, Slice(s0), d0);
            if stream {
                unary_from::<L, _, Streamed>(op, Slice(s1), d1);
            } else {
                unary_from::<L, _, Cached>(op, Slice(s1), d1);
            }
        }
        None => {
            unary_from::<L, _, Cached>(op, InPlace, d0);
            unary_from::<L, _, Cached>(op, InPlace, d1);
        }
    }
}

#[inline(always)]
fn unary_from<L: Lanes, I: Input, O: Out>(op: Unary, src: I, dst: &mut [f32]) {
    match op {
        Unary::Exact if L::EXACT_TABLE => {
            sigma_table::table_blocks::<L, _, _, O>(sigma_table::Sigma, src, dst)
        }
        Unary::Exact => sigma::exact_blocks::<L, _, O>(src, dst),
        Unary::Fast => map1::<L, _, _, O>(sigma::FastK, src, dst),
        Unary::Hard => map1::<L, _, _, O>(hard::HardK, src, dst),
        Unary::HardAffine { alpha, beta } => {
            map1::<L, _, _, O>(hard::HardAffineK { alpha, beta }, src, dst)
        }
        Unary::Plan => map1::<L, _, _, O>(hard::PlanK, src, dst),
        Unary::Softplus => map1::<L, _, _, O>(stable::SoftplusK, src, dst),
        Unary::LogSigmoid => map1::<L, _, _, O>(stable::LogSigmoidK, src, dst),
        Unary::SoftplusFast => map1::<L, _, _, O>(stable::SoftplusFastK, src, dst),
        Unary::LogSigmoidFast => map1::<L, _, _, O>(stable::LogSigmoidFastK, src, dst),
        Unary::Cr => L::cr_map::<I, O>(src, dst),
        Unary::Silu if L::EXACT_TABLE => {
            sigma_table::table_blocks::<L, _, _, O>(silu::SiluTable, src, dst)
        }
        Unary::Silu => sigma::staged_blocks::<L, _, _, O>(silu::SiluStages, src, dst),
        Unary::SiluFast => map1::<L, _, _, O>(silu::SiluFastK, src, dst),
    }
}

/// The element-wise gradient kernels `dx = f(a, dy)`: `a` is the saved
/// forward output y for [`Grad::Sigmoid`] and the forward input x for the
/// others.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Grad {
    /// [`sigma::backward_lanes`]: dy·y·(1−y)
    Sigmoid,
    /// [`stable::backward_from_input_lanes`]: dy·σ(x)·σ(−x)
    SigmoidFromInput,
    /// [`hard::hard_backward_lanes`]
    Hard,
    /// [`hard::hard_affine_backward_lanes`]
    HardAffine { alpha: f32, beta: f32 },
    /// [`hard::plan_backward_lanes`]
    Plan,
    /// [`silu::silu_backward_lanes`]: dy·σ(x)·(1 + x·σ(−x))
    Silu,
}

/// Runs `op` on `a` and `dy` into `dx`; `dy == None` means dy lives in `dx`
/// (in place). The head before `dx`'s first aligned vector and `stream` as
/// for [`unary`]. Lengths were checked by the caller.
#[inline(always)]
pub(crate) fn binary<L: Lanes>(
    op: Grad,
    a: &[f32],
    dy: Option<&[f32]>,
    dx: &mut [f32],
    stream: bool,
) {
    let head = head_to_align::<L>(dx);
    let (d0, d1) = dx.split_at_mut(head);
    let (a0, a1) = a.split_at(head);
    match dy {
        Some(dy) => {
            let (y0, y1) = dy.split_at(head);
            binary_from::<L, _, Cached>(op, a0, Slice(y0), d0);
            if stream {
                binary_from::<L, _, Streamed>(op, a1, Slice(y1), d1);
            } else {
                binary_from::<L, _, Cached>(op, a1, Slice(y1), d1);
            }
        }
        None => {
            binary_from::<L, _, Cached>(op, a0, InPlace, d0);
            binary_from::<L, _, Cached>(op, a1, InPlace, d1);
        }
    }
}

#[inline(always)]
fn binary_from<L: Lanes, I: Input, O: Out>(op: Grad, a: &[f32], dy: I, dx: &mut [f32]) {
    match op {
        Grad::Sigmoid => map2::<L, _, _, O>(sigma::BackwardK, a, dy, dx),
        Grad::SigmoidFromInput => map2::<L, _, _, O>(stable::BackwardFromInputK, a, dy, dx),
        Grad::Hard => map2::<L, _, _, O>(hard::HardBackwardK, a, dy, dx),
        Grad::HardAffine { alpha, beta } => {
            map2::<L, _, _, O>(hard::HardAffineK { alpha, beta }, a, dy, dx)
        }
        Grad::Plan => map2::<L, _, _, O>(hard::PlanBackwardK, a, dy, dx),
        Grad::Silu => map2::<L, _, _, O>(silu::SiluBackwardK, a, dy, dx),
    }
}
