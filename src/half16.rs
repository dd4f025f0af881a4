//! σ, its gradient and the hard sigmoid on 16-bit tensors: IEEE binary16
//! ([`f16`](struct@f16)) and bfloat16 ([`bf16`]), the element types of the `half`
//! crate (re-exported as [`crate::half`]).
//!
//! One function per operation and format, re-exported at the crate root:
//!
//! | operation | binary16 | bfloat16 | accuracy |
//! |---|---|---|---|
//! | σ(x) | [`sigmoid_f16`], [`sigmoid_f16_inplace`] | [`sigmoid_bf16`], [`sigmoid_bf16_inplace`] | correctly rounded ([`SIGMOID_16_MAX_ULP`] = 0.5 ULP) for every one of the 65,536 inputs |
//! | dy·y·(1 − y) | [`sigmoid_backward_f16`], [`sigmoid_backward_f16_inplace`] | [`sigmoid_backward_bf16`], [`sigmoid_backward_bf16_inplace`] | ≤ [`SIGMOID_BACKWARD_16_MAX_ULP`] = 1 ULP of the format |
//! | hard sigmoid (PyTorch) | [`hard_sigmoid_f16`], [`hard_sigmoid_f16_inplace`] | [`hard_sigmoid_bf16`], [`hard_sigmoid_bf16_inplace`] | [`crate::reference::hard_sigmoid`] of the widened input, rounded once |
//! | its gradient | [`hard_sigmoid_backward_f16`] | [`hard_sigmoid_backward_bf16`] | [`crate::reference::hard_sigmoid_backward`], rounded once |
//!
//! Everything is computed in `f32` by the same kernels as the `f32` API
//! (same backends, threads from [`crate::parallel_threshold`], streamed
//! stores from [`crate::cpu::STREAM_MIN_16`] elements, except σ's table
//! lookup below, which writes through the cache) and rounded once to
//! the 16-bit format, round-to-nearest-even. The conversions are exact on
//! the way in and use the CPU's instructions where it has them: F16C with
//! AVX2, the AVX-512F conversions of 16 lanes, integer vector code for
//! bfloat16, and in σ's bfloat16 store AVX512_BF16's `vcvtneps2bf16`
//! where the CPU has it (it flushes subnormal results, x from −103.97 to
//! −87.34, to zero: those lanes go to the fix-up below).
//!
//! **Correct rounding of σ.** Rounding the exact tier's `f32` result (≤ 1
//! `f32` ULP) again to 16 bits can miss the correctly rounded value when
//! σ(x) lies within an `f32` ULP of a midpoint between two 16-bit numbers
//! (double rounding). The kernel flags those lanes (their two `f32`
//! neighbours round differently; the test is an add and a mask on the
//! `f32` bits, which flags a few more) and recomputes them from σ in `f64`;
//! `cargo test` checks all 65,536 inputs of both formats on every backend
//! against [`crate::reference::sigmoid_f16`] / [`crate::reference::sigmoid_bf16`]
//! (the `f64` oracle rounded once), and that the oracle is decisive: no
//! input's `f64` σ lies near a midpoint.
//!
//! **Speed.** From [`crate::cpu::TABLE_MIN_16`] (65,536) elements, σ looks
//! each result up in a table of all 65,536 results of its format, which
//! the backend's kernel fills on the first such call (128 KiB per format
//! and backend, kept for the life of the process): the same bits, about
//! 1.2–1.7× the `f32` exact tier's elements per second with AVX-512 and 2×
//! or more with AVX2, where the kernel runs 0.6–0.9× (`docs/benchmarks.md`).
//! Shorter calls run the kernel.
//!
//! Special values as for `f32`: NaN → NaN (quiet), +∞ → 1, −∞ → +0,
//! ±0 → 0.5; subnormal inputs are exact, subnormal results are not flushed
//! (σ(x) rounds to +0 in binary16 below x ≈ −17.33, in bfloat16 below
//! x ≈ −103.3).

use crate::Backend;
pub use half::{bf16, f16};

/// Bound of [`sigmoid_f16`], [`sigmoid_bf16`] and their in-place forms, in
/// ULPs of the 16-bit format ([`crate::reference::ulp_f16`],
/// [`crate::reference::ulp_bf16`]): correctly rounded for every input.
pub const SIGMOID_16_MAX_ULP: f64 = 0.5;

/// Bound of [`sigmoid_backward_f16`], [`sigmoid_backward_bf16`] and their
/// in-place forms: ULPs of the 16-bit format against the `f64` value of
/// dy·y·(1 − y) of the same 16-bit inputs (the `f32` kernel's ≤ 1.5 `f32`
/// ULP, then one rounding).
pub const SIGMOID_BACKWARD_16_MAX_ULP: f64 = 1.0;

/// The crate-level functions of one format.
macro_rules! functions16 {
    ($t:ident, $fmt:literal, $fwd:ident, $fwd_in:ident, $bwd:ident, $bwd_in:ident,
     $hard:ident, $hard_in:ident, $hard_bwd:ident, $example:literal) => {
        #[doc = concat!("σ on ", $fmt, ": `y[i] = σ(x[i])` correctly rounded to ", $fmt,
            " (≤ [`SIGMOID_16_MAX_ULP`]) for every input. See the [module docs](self).")]
        ///
        /// ```
        #[doc = $example]
        /// ```
        ///
        /// # Panics
        /// If `x.len() != y.len()`; the message names both lengths.
        pub fn $fwd(x: &[$t], y: &mut [$t]) {
            Backend::for_len(x.len()).$fwd(x, y);
        }

        #[doc = concat!("[`", stringify!($fwd), "`] in place. Never panics.")]
        pub fn $fwd_in(x: &mut [$t]) {
            Backend::for_len(x.len()).$fwd_in(x);
        }

        #[doc = concat!("Backward on ", $fmt, ": `dx[i] = dy[i]·y[i]·(1 − y[i])` from the saved output, ",
            "within [`SIGMOID_BACKWARD_16_MAX_ULP`] (1 ULP of ", $fmt, ") of the `f64` value; ",
            "NaN and ∞·0 as for `f32`.")]
        ///
        /// # Panics
        /// If the three lengths differ; the message names the lengths.
        pub fn $bwd(y: &[$t], dy: &[$t], dx: &mut [$t]) {
            Backend::for_len(y.len()).$bwd(y, dy, dx);
        }

        #[doc = concat!("[`", stringify!($bwd), "`] overwriting `dy` with `dx`.")]
        ///
        /// # Panics
        /// If `y.len() != dy.len()`; the message names both lengths.
        pub fn $bwd_in(y: &[$t], dy: &mut [$t]) {
            Backend::for_len(y.len()).$bwd_in(y, dy);
        }

        #[doc = concat!("PyTorch's `hardsigmoid` on ", $fmt, ": [`crate::reference::hard_sigmoid`] ",
            "of the widened input, rounded once to ", $fmt, " (what PyTorch's CPU kernel does ",
            "for 16-bit tensors), on every backend.")]
        ///
        /// # Panics
        /// If `x.len() != y.len()`; the message names both lengths.
        pub fn $hard(x: &[$t], y: &mut [$t]) {
            Backend::for_len(x.len()).$hard(x, y);
        }

        #[doc = concat!("[`", stringify!($hard), "`] in place. Never panics.")]
        pub fn $hard_in(x: &mut [$t]) {
            Backend::for_len(x.len()).$hard_in(x);
        }

        #[doc = concat!("Gradient of [`", stringify!($hard), "`] from the forward input: ",
            "[`crate::reference::hard_sigmoid_backward`] of the widened inputs, rounded once ",
            "(`dy/6` for −3 < x < 3, `+0` elsewhere).")]
        ///
        /// # Panics
        /// If the three lengths differ; the message names the lengths.
        pub fn $hard_bwd(x: &[$t], dy: &[$t], dx: &mut [$t]) {
            Backend::for_len(x.len()).$hard_bwd(x, dy, dx);
        }
    };
}

functions16!(
    f16,
    "binary16",
    sigmoid_f16,
    sigmoid_f16_inplace,
    sigmoid_backward_f16,
    sigmoid_backward_f16_inplace,
    hard_sigmoid_f16,
    hard_sigmoid_f16_inplace,
    hard_sigmoid_backward_f16,
    "use sigmoid_kernels::half::f16;
let x = [-2.0, 0.0, 3.0].map(f16::from_f32);
let mut y = [f16::ZERO; 3];
sigmoid_kernels::sigmoid_f16(&x, &mut y);
assert_eq!(y[1], f16::from_f32(0.5));
assert_eq!(y[0], f16::from_f64(0.119_202_922_022_118)); // 0.1192 (0x2fa1)"
);

functions16!(
    bf16,
    "bfloat16",
    sigmoid_bf16,
    sigmoid_bf16_inplace,
    sigmoid_backward_bf16,
    sigmoid_backward_bf16_inplace,
    hard_sigmoid_bf16,
    hard_sigmoid_bf16_inplace,
    hard_sigmoid_backward_bf16,
    "use sigmoid_kernels::half::bf16;
let x = [-2.0, 0.0, 3.0].map(bf16::from_f32);
let mut y = [bf16::ZERO; 3];
sigmoid_kernels::sigmoid_bf16(&x, &mut y);
assert_eq!(y[1], bf16::from_f32(0.5));
assert_eq!(y[2], bf16::from_f32(0.953_125)); // σ(3) = 0.9526 rounds to 0.953125"
);
