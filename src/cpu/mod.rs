//! CPU backends as values: listing, detection, dispatch and the rayon path.
//!
//! A [`Backend`] names one way of running the kernels on this CPU. Every
//! backend runs the same vector algorithms (`sigma.rs`, `stable.rs`, `silu.rs`,
//! `hard.rs`, generic over the lane trait in `lanes.rs`, looped by
//! `map.rs`, chosen in `ops.rs`; the correctly rounded tier in `cr.rs`,
//! over the `f64` lanes of the same instruction set, with its own loop,
//! on AVX-512 and AVX2 behind a first pass in `f32` lanes, `cr32.rs`);
//! they differ in instruction set or in threads:
//!
//! | backend | what runs |
//! |---|---|
//! | [`Backend::Scalar`] | the vector algorithm one lane at a time |
//! | [`Backend::Portable`] | `wide::f32x8` with the instruction set `wide` was compiled for (SSE2 in a default x86-64 build) |
//! | [`Backend::Avx2Fma`] | `std::arch` AVX2+FMA, detected at run time (x86-64 only) |
//! | [`Backend::Avx512`] | `std::arch` AVX-512 (F, DQ, BW, VL; VBMI for the byte tables), detected at run time (x86-64 only) |
//! | [`Backend::Parallel`] | the best of the above on every rayon thread, in chunks of [`PAR_CHUNK`] elements |
//!
//! The crate-level functions ([`crate::sigmoid`] and friends) pick the best
//! SIMD backend, and [`Backend::Parallel`] from [`parallel_threshold`]
//! elements up.

pub(crate) mod bce;
mod cr;
mod cr32;
pub(crate) mod grad_stats;
mod hard;
#[macro_use]
mod half16;
mod lanes;
mod map;
mod ops;
mod portable;
pub(crate) mod sigma;
mod sigma_table;
pub(crate) mod silu;
pub(crate) mod stable;

/// The `#[target_feature]` entry points of an x86-64 backend:
/// `unary` and `binary`, [`ops::unary`] and [`ops::binary`] instantiated
/// with the backend's lane type and compiled with its features; `bce`
/// (the fused loss) and the cr tier's two out-of-line helpers likewise. Streamed
/// stores are fenced before they return, so they are ordered before
/// whatever the caller does next (rayon's join included). Each is an
/// `unsafe fn` whose contract is that the CPU has those features.
#[cfg(target_arch = "x86_64")]
macro_rules! x86_entry_points {
    ($lanes:ty, $features:literal, $cpu:literal) => {
        /// [`ops::unary`](super::ops::unary) compiled for this backend,
        /// streamed stores fenced.
        ///
        /// # Safety
        #[doc = concat!("The CPU must support ", $cpu, ".")]
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn unary(
            op: super::ops::Unary,
            src: Option<&[f32]>,
            dst: &mut [f32],
            stream: bool,
        ) {
            super::ops::unary::<$lanes>(op, src, dst, stream);
            if stream {
                core::arch::x86_64::_mm_sfence();
            }
        }

        /// [`ops::binary`](super::ops::binary) compiled for this backend,
        /// fenced as [`unary`].
        ///
        /// # Safety
        #[doc = concat!("The CPU must support ", $cpu, ".")]
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn binary(
            op: super::ops::Grad,
            a: &[f32],
            dy: Option<&[f32]>,
            dx: &mut [f32],
            stream: bool,
        ) {
            super::ops::binary::<$lanes>(op, a, dy, dx, stream);
            if stream {
                core::arch::x86_64::_mm_sfence();
            }
        }

        /// [`bce::run`](super::bce::run) compiled for this backend.
        ///
        /// # Safety
        #[doc = concat!("The CPU must support ", $cpu, ".")]
        #[target_feature(enable = $features)]
        pub(crate) unsafe fn bce(job: super::bce::Job<'_>) -> f64 {
            super::bce::run::<$lanes>(job)
        }

        /// [`Pending::flush`](super::cr32::Pending::flush) on this
        /// backend, out of line (the cr tier's rare `f64` path, called
        /// through `Cr32Lanes::flush`).
        ///
        /// # Safety
        #[doc = concat!("The CPU must support ", $cpu, ".")]
        #[cold]
        #[inline(never)]
        #[target_feature(enable = $features)]
        unsafe fn cr32_flush(pending: &mut super::cr32::Pending, dst: &mut [f32]) {
            pending.flush::<$lanes>(dst)
        }

        /// `Cr32Lanes::redo` on this backend, out of line: the `f64` path
        /// over a block the `f32` pass decided nothing in.
        ///
        /// # Safety
        #[doc = concat!("The CPU must support ", $cpu, ".")]
        #[cold]
        #[inline(never)]
        #[target_feature(enable = $features)]
        unsafe fn cr32_redo(xs: &[f32], dst: &mut [f32]) {
            super::cr::cr_map::<<$lanes as super::lanes::Lanes>::F64, _>(super::map::Slice(xs), dst)
        }
    };
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx512;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod grad_stats_avx512;

pub use half16::{Conversions16, STREAM_MIN_16, TABLE_MIN_16};

use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use ops::{Grad, Unary};
use rayon::prelude::*;

/// A way of running the kernels on this CPU. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// One element at a time through the same algorithm as the SIMD backends.
    Scalar,
    /// The `wide` crate's 8-lane vectors (SSE2, NEON or scalar, fixed when the
    /// crate is compiled).
    Portable,
    /// AVX2 + FMA intrinsics, chosen at run time (x86-64 only).
    Avx2Fma,
    /// AVX-512 intrinsics (F, DQ, BW, VL), chosen at run time (x86-64
    /// only): 16 lanes, masked tails, and `vpermi2b` byte tables where the
    /// CPU has AVX512_VBMI.
    Avx512,
    /// The best SIMD backend on all rayon threads.
    Parallel,
}

/// Elements per rayon task in [`Backend::Parallel`] (64 KiB of `f32`).
pub const PAR_CHUNK: usize = 1 << 14;

/// Default for [`parallel_threshold`]: two [`PAR_CHUNK`]s, the smallest
/// parallel split (below it there is one chunk and threads cannot help;
/// measured in `docs/benchmarks.md`).
pub const DEFAULT_PARALLEL_THRESHOLD: usize = 1 << 15;

/// From this many elements, with separate input and output slices, the
/// output is written with non-temporal stores where the backend has them
/// (AVX2 and AVX-512 `vmovntps`): 8M `f32`s is 32 MiB of output, too much to
/// stay cached on most machines, and skipping the read-for-ownership of
/// each output line saves a third of the memory traffic (measured in
/// `docs/benchmarks.md`). In-place calls never stream: their lines are in
/// the cache already; nor does the correctly rounded tier on AMD CPUs
/// (at 16M on two threads on Zen 4 it ran 0.71–0.86× the two-thread copy
/// through the cache and 0.62–0.68× streamed; on Intel the reverse).
pub const STREAM_MIN: usize = 1 << 23;

/// Whether the correctly rounded tier streams its output from
/// [`STREAM_MIN`]: not on an AMD CPU. At 16M on two threads, against the
/// two-thread copy (`docs/benchmarks.md`): on Intel (Emerald Rapids) it
/// ran 0.70–0.73× streamed and 0.47–0.53× through the cache; on AMD
/// (Zen 4) 0.62–0.68× streamed and 0.71–0.86× through the cache, where
/// its arithmetic is the limit and the cache keeps its stores from waiting.
/// The bits are the same either way.
fn cr_streams() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // Vendor string "AuthenticAMD": "Auth" in ebx.
        core::arch::x86_64::__cpuid(0).ebx != u32::from_le_bytes(*b"Auth")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        true
    }
}

static PARALLEL_THRESHOLD: AtomicUsize = AtomicUsize::new(DEFAULT_PARALLEL_THRESHOLD);

/// The length from which the crate-level functions use [`Backend::Parallel`].
#[must_use]
pub fn parallel_threshold() -> usize {
    PARALLEL_THRESHOLD.load(Ordering::Relaxed)
}

/// Overrides [`parallel_threshold`] for the whole process (`usize::MAX`
/// disables threads).
pub fn set_parallel_threshold(n: usize) {
    PARALLEL_THRESHOLD.store(n, Ordering::Relaxed);
}

/// Environment variable that caps the detected instruction set, for testing
/// the fallbacks on a capable machine: `scalar`, `portable` or `avx2`
/// (AVX2+FMA where present: an AVX-512 machine then runs the AVX2 code).
pub const FORCE_ENV: &str = "SIGMOID_KERNELS_BACKEND";

impl Backend {
    /// Every backend this build knows, available here or not.
    pub const ALL: [Backend; 5] = [
        Backend::Scalar,
        Backend::Portable,
        Backend::Avx2Fma,
        Backend::Avx512,
        Backend::Parallel,
    ];

    /// The backends this CPU can run, slowest first.
    #[must_use]
    pub fn available() -> Vec<Backend> {
        Self::ALL.into_iter().filter(|b| b.is_available()).collect()
    }

    /// Whether this CPU (and build) can run `self`.
    #[must_use]
    pub fn is_available(self) -> bool {
        match self {
            Backend::Scalar | Backend::Portable | Backend::Parallel => true,
            Backend::Avx2Fma => avx2_detected(),
            Backend::Avx512 => avx512_detected(),
        }
    }

    /// The fastest single-thread backend of this CPU, detected once, capped by
    /// the [`FORCE_ENV`] variable if set.
    #[must_use]
    pub fn best_simd() -> Backend {
        static BEST: AtomicU8 = AtomicU8::new(u8::MAX);
        let cached = BEST.load(Ordering::Relaxed);
        if let Some(&b) = Self::ALL.get(usize::from(cached)) {
            return b;
        }
        let best = best_below(std::env::var(FORCE_ENV).ok().as_deref());
        BEST.store(best as u8, Ordering::Relaxed);
        best
    }

    /// What the crate-level functions use for `len` elements.
    #[must_use]
    pub fn for_len(len: usize) -> Backend {
        if len >= parallel_threshold() && rayon::current_num_threads() > 1 {
            Backend::Parallel
        } else {
            Backend::best_simd()
        }
    }

    /// Short name: `scalar`, `portable`, `avx2+fma`, `avx512`, `parallel`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Portable => "portable",
            Backend::Avx2Fma => "avx2+fma",
            Backend::Avx512 => "avx512",
            Backend::Parallel => "parallel",
        }
    }

    /// The backend called `name` (as printed by [`Backend::name`]) if this
    /// CPU can run it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Backend> {
        Self::ALL
            .into_iter()
            .find(|b| b.name() == name && b.is_available())
    }

    /// The instruction set actually used, e.g. `wide/sse2`, `avx2+fma`, or
    /// for [`Backend::Parallel`] the SIMD backend it runs on each thread.
    #[must_use]
    pub fn isa(self) -> String {
        match self {
            Backend::Scalar => "scalar".into(),
            Backend::Portable => format!("wide/{}", portable_isa()),
            Backend::Avx2Fma => "avx2+fma".into(),
            Backend::Avx512 => {
                #[cfg(target_arch = "x86_64")]
                if avx512::vbmi_detected() {
                    return "avx512 (f/dq/bw/vl/vbmi)".into();
                }
                "avx512 (f/dq/bw/vl)".into()
            }
            Backend::Parallel => format!(
                "{} x{} threads",
                Backend::best_simd().isa(),
                rayon::current_num_threads()
            ),
        }
    }

    pub(crate) fn assert_available(self) {
        assert!(
            self.is_available(),
            "sigmoid-kernels: backend `{}` is not available on this CPU",
            self.name()
        );
    }

    /// [`crate::sigmoid`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn sigmoid(self, x: &[f32], y: &mut [f32]) {
        check_len("sigmoid", "x", x.len(), "y", y.len());
        self.unary(Unary::Exact, Some(x), y);
    }

    /// [`crate::sigmoid_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn sigmoid_inplace(self, x: &mut [f32]) {
        self.unary(Unary::Exact, None, x);
    }

    /// [`crate::sigmoid_cr`] on this backend (the same bits on every
    /// backend).
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn sigmoid_cr(self, x: &[f32], y: &mut [f32]) {
        check_len("sigmoid_cr", "x", x.len(), "y", y.len());
        self.unary(Unary::Cr, Some(x), y);
    }

    /// [`crate::sigmoid_cr_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn sigmoid_cr_inplace(self, x: &mut [f32]) {
        self.unary(Unary::Cr, None, x);
    }

    /// [`crate::sigmoid_fast`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn sigmoid_fast(self, x: &[f32], y: &mut [f32]) {
        check_len("sigmoid_fast", "x", x.len(), "y", y.len());
        self.unary(Unary::Fast, Some(x), y);
    }

    /// [`crate::sigmoid_fast_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn sigmoid_fast_inplace(self, x: &mut [f32]) {
        self.unary(Unary::Fast, None, x);
    }

    /// [`crate::sigmoid_backward`] on this backend.
    ///
    /// # Panics
    /// If the three lengths differ, or if the backend is not available.
    pub fn sigmoid_backward(self, y: &[f32], dy: &[f32], dx: &mut [f32]) {
        check_len("sigmoid_backward", "y", y.len(), "dy", dy.len());
        check_len("sigmoid_backward", "y", y.len(), "dx", dx.len());
        self.binary(Grad::Sigmoid, y, Some(dy), dx);
    }

    /// [`crate::sigmoid_backward_inplace`] on this backend.
    ///
    /// # Panics
    /// If `y.len() != dy.len()`, or if the backend is not available.
    pub fn sigmoid_backward_inplace(self, y: &[f32], dy: &mut [f32]) {
        check_len("sigmoid_backward_inplace", "y", y.len(), "dy", dy.len());
        self.binary(Grad::Sigmoid, y, None, dy);
    }

    /// [`crate::sigmoid_backward_from_input`] on this backend.
    ///
    /// # Panics
    /// If the three lengths differ, or if the backend is not available.
    pub fn sigmoid_backward_from_input(self, x: &[f32], dy: &[f32], dx: &mut [f32]) {
        check_len("sigmoid_backward_from_input", "x", x.len(), "dy", dy.len());
        check_len("sigmoid_backward_from_input", "x", x.len(), "dx", dx.len());
        self.binary(Grad::SigmoidFromInput, x, Some(dy), dx);
    }

    /// [`crate::sigmoid_backward_from_input_inplace`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != dy.len()`, or if the backend is not available.
    pub fn sigmoid_backward_from_input_inplace(self, x: &[f32], dy: &mut [f32]) {
        let (lx, ld) = (x.len(), dy.len());
        check_len("sigmoid_backward_from_input_inplace", "x", lx, "dy", ld);
        self.binary(Grad::SigmoidFromInput, x, None, dy);
    }

    /// [`crate::softplus`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn softplus(self, x: &[f32], y: &mut [f32]) {
        check_len("softplus", "x", x.len(), "y", y.len());
        self.unary(Unary::Softplus, Some(x), y);
    }

    /// [`crate::softplus_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn softplus_inplace(self, x: &mut [f32]) {
        self.unary(Unary::Softplus, None, x);
    }

    /// [`crate::log_sigmoid`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn log_sigmoid(self, x: &[f32], y: &mut [f32]) {
        check_len("log_sigmoid", "x", x.len(), "y", y.len());
        self.unary(Unary::LogSigmoid, Some(x), y);
    }

    /// [`crate::log_sigmoid_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn log_sigmoid_inplace(self, x: &mut [f32]) {
        self.unary(Unary::LogSigmoid, None, x);
    }

    /// [`crate::softplus_fast`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn softplus_fast(self, x: &[f32], y: &mut [f32]) {
        check_len("softplus_fast", "x", x.len(), "y", y.len());
        self.unary(Unary::SoftplusFast, Some(x), y);
    }

    /// [`crate::softplus_fast_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn softplus_fast_inplace(self, x: &mut [f32]) {
        self.unary(Unary::SoftplusFast, None, x);
    }

    /// [`crate::log_sigmoid_fast`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn log_sigmoid_fast(self, x: &[f32], y: &mut [f32]) {
        check_len("log_sigmoid_fast", "x", x.len(), "y", y.len());
        self.unary(Unary::LogSigmoidFast, Some(x), y);
    }

    /// [`crate::log_sigmoid_fast_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn log_sigmoid_fast_inplace(self, x: &mut [f32]) {
        self.unary(Unary::LogSigmoidFast, None, x);
    }

    /// [`crate::silu`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn silu(self, x: &[f32], y: &mut [f32]) {
        check_len("silu", "x", x.len(), "y", y.len());
        self.unary(Unary::Silu, Some(x), y);
    }

    /// [`crate::silu_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn silu_inplace(self, x: &mut [f32]) {
        self.unary(Unary::Silu, None, x);
    }

    /// [`crate::silu_fast`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn silu_fast(self, x: &[f32], y: &mut [f32]) {
        check_len("silu_fast", "x", x.len(), "y", y.len());
        self.unary(Unary::SiluFast, Some(x), y);
    }

    /// [`crate::silu_fast_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn silu_fast_inplace(self, x: &mut [f32]) {
        self.unary(Unary::SiluFast, None, x);
    }

    /// [`crate::silu_backward`] on this backend.
    ///
    /// # Panics
    /// If the three lengths differ, or if the backend is not available.
    pub fn silu_backward(self, x: &[f32], dy: &[f32], dx: &mut [f32]) {
        check_len("silu_backward", "x", x.len(), "dy", dy.len());
        check_len("silu_backward", "x", x.len(), "dx", dx.len());
        self.binary(Grad::Silu, x, Some(dy), dx);
    }

    /// [`crate::silu_backward_inplace`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != dy.len()`, or if the backend is not available.
    pub fn silu_backward_inplace(self, x: &[f32], dy: &mut [f32]) {
        check_len("silu_backward_inplace", "x", x.len(), "dy", dy.len());
        self.binary(Grad::Silu, x, None, dy);
    }

    fn unary(self, op: Unary, src: Option<&[f32]>, dst: &mut [f32]) {
        self.assert_available();
        let stream = src.is_some() && dst.len() >= STREAM_MIN && (op != Unary::Cr || cr_streams());
        self.unary_chunk(op, src, dst, stream);
    }

    /// One single-threaded piece of [`Backend::unary`] (or all of it);
    /// `stream` is decided once, from the whole call.
    #[allow(unsafe_code)] // calls a backend entry point after checking the CPU
    fn unary_chunk(self, op: Unary, src: Option<&[f32]>, dst: &mut [f32], stream: bool) {
        match self {
            Backend::Scalar => ops::unary::<lanes::Scalar>(op, src, dst, stream),
            Backend::Portable => ops::unary::<wide::f32x8>(op, src, dst, stream),
            // SAFETY: `assert_available` checked that the CPU has AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2Fma => unsafe { avx2::unary(op, src, dst, stream) },
            // SAFETY: `assert_available` checked `avx512::detected()`.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe { avx512::unary(op, src, dst, stream) },
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx2Fma | Backend::Avx512 => unreachable!("checked by assert_available"),
            Backend::Parallel => {
                let best = Backend::best_simd();
                match src {
                    Some(src) => src
                        .par_chunks(PAR_CHUNK)
                        .zip(dst.par_chunks_mut(PAR_CHUNK))
                        .for_each(|(s, d)| best.unary_chunk(op, Some(s), d, stream)),
                    None => dst
                        .par_chunks_mut(PAR_CHUNK)
                        .for_each(|d| best.unary_chunk(op, None, d, stream)),
                }
            }
        }
    }

    /// [`crate::hard_sigmoid`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn hard_sigmoid(self, x: &[f32], y: &mut [f32]) {
        check_len("hard_sigmoid", "x", x.len(), "y", y.len());
        self.unary(Unary::Hard, Some(x), y);
    }

    /// [`crate::hard_sigmoid_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn hard_sigmoid_inplace(self, x: &mut [f32]) {
        self.unary(Unary::Hard, None, x);
    }

    /// [`crate::hard_sigmoid_backward`] on this backend.
    ///
    /// # Panics
    /// If the three lengths differ, or if the backend is not available.
    pub fn hard_sigmoid_backward(self, x: &[f32], dy: &[f32], dx: &mut [f32]) {
        check_len("hard_sigmoid_backward", "x", x.len(), "dy", dy.len());
        check_len("hard_sigmoid_backward", "x", x.len(), "dx", dx.len());
        self.binary(Grad::Hard, x, Some(dy), dx);
    }

    /// [`crate::hard_sigmoid_affine`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn hard_sigmoid_affine(self, alpha: f32, beta: f32, x: &[f32], y: &mut [f32]) {
        check_len("hard_sigmoid_affine", "x", x.len(), "y", y.len());
        self.unary(Unary::HardAffine { alpha, beta }, Some(x), y);
    }

    /// [`crate::hard_sigmoid_affine_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn hard_sigmoid_affine_inplace(self, alpha: f32, beta: f32, x: &mut [f32]) {
        self.unary(Unary::HardAffine { alpha, beta }, None, x);
    }

    /// [`crate::hard_sigmoid_affine_backward`] on this backend.
    ///
    /// # Panics
    /// If the three lengths differ, or if the backend is not available.
    pub fn hard_sigmoid_affine_backward(
        self,
        alpha: f32,
        beta: f32,
        x: &[f32],
        dy: &[f32],
        dx: &mut [f32],
    ) {
        check_len("hard_sigmoid_affine_backward", "x", x.len(), "dy", dy.len());
        check_len("hard_sigmoid_affine_backward", "x", x.len(), "dx", dx.len());
        self.binary(Grad::HardAffine { alpha, beta }, x, Some(dy), dx);
    }

    /// [`crate::plan_sigmoid`] on this backend.
    ///
    /// # Panics
    /// If `x.len() != y.len()`, or if the backend is not available on this CPU.
    pub fn plan_sigmoid(self, x: &[f32], y: &mut [f32]) {
        check_len("plan_sigmoid", "x", x.len(), "y", y.len());
        self.unary(Unary::Plan, Some(x), y);
    }

    /// [`crate::plan_sigmoid_inplace`] on this backend.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    pub fn plan_sigmoid_inplace(self, x: &mut [f32]) {
        self.unary(Unary::Plan, None, x);
    }

    /// [`crate::plan_sigmoid_backward`] on this backend.
    ///
    /// # Panics
    /// If the three lengths differ, or if the backend is not available.
    pub fn plan_sigmoid_backward(self, x: &[f32], dy: &[f32], dx: &mut [f32]) {
        check_len("plan_sigmoid_backward", "x", x.len(), "dy", dy.len());
        check_len("plan_sigmoid_backward", "x", x.len(), "dx", dx.len());
        self.binary(Grad::Plan, x, Some(dy), dx);
    }

    fn binary(self, op: Grad, a: &[f32], dy: Option<&[f32]>, dx: &mut [f32]) {
        self.assert_available();
        let stream = dy.is_some() && dx.len() >= STREAM_MIN;
        self.binary_chunk(op, a, dy, dx, stream);
    }

    /// One single-threaded piece of [`Backend::binary`], as
    /// [`Backend::unary_chunk`].
    #[allow(unsafe_code)] // calls a backend entry point after checking the CPU
    fn binary_chunk(self, op: Grad, a: &[f32], dy: Option<&[f32]>, dx: &mut [f32], stream: bool) {
        match self {
            Backend::Scalar => ops::binary::<lanes::Scalar>(op, a, dy, dx, stream),
            Backend::Portable => ops::binary::<wide::f32x8>(op, a, dy, dx, stream),
            // SAFETY: `assert_available` checked that the CPU has AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2Fma => unsafe { avx2::binary(op, a, dy, dx, stream) },
            // SAFETY: `assert_available` checked `avx512::detected()`.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe { avx512::binary(op, a, dy, dx, stream) },
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx2Fma | Backend::Avx512 => unreachable!("checked by assert_available"),
            Backend::Parallel => {
                let best = Backend::best_simd();
                match dy {
                    Some(dy) => a
                        .par_chunks(PAR_CHUNK)
                        .zip(dy.par_chunks(PAR_CHUNK))
                        .zip(dx.par_chunks_mut(PAR_CHUNK))
                        .for_each(|((a, dy), dx)| best.binary_chunk(op, a, Some(dy), dx, stream)),
                    None => a
                        .par_chunks(PAR_CHUNK)
                        .zip(dx.par_chunks_mut(PAR_CHUNK))
                        .for_each(|(a, dx)| best.binary_chunk(op, a, None, dx, stream)),
                }
            }
        }
    }
}

impl Backend {
    /// The fused BCE-with-logits job (loss, gradient, `f64` sum; see
    /// `bce.rs`) on this backend, one thread ([`Backend::Parallel`] runs
    /// the best SIMD backend: the caller splits the work). The caller
    /// checked the lengths.
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    #[allow(unsafe_code)] // calls a backend entry point after checking the CPU
    pub(crate) fn bce(self, job: bce::Job<'_>) -> f64 {
        self.assert_available();
        match self {
            Backend::Scalar => bce::run::<lanes::Scalar>(job),
            Backend::Portable => bce::run::<wide::f32x8>(job),
            // SAFETY: `assert_available` checked that the CPU has AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2Fma => unsafe { avx2::bce(job) },
            // SAFETY: `assert_available` checked `avx512::detected()`.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe { avx512::bce(job) },
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx2Fma | Backend::Avx512 => unreachable!("checked by assert_available"),
            Backend::Parallel => Backend::best_simd().bce(job),
        }
    }

    /// One chunk of [`crate::stats::GradStats`] (`grad_stats.rs`) on this
    /// backend ([`Backend::Parallel`]: the best SIMD backend; the caller
    /// splits the work).
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    #[allow(unsafe_code)] // calls a backend entry point after checking the CPU
    pub(crate) fn grad_stats_chunk(self, c: &[f32], threshold: f32) -> grad_stats::ChunkSums {
        self.assert_available();
        match self {
            Backend::Scalar | Backend::Portable => grad_stats::chunk(c, threshold, |_| {}),
            // SAFETY: `assert_available` checked that the CPU has AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2Fma => unsafe { avx2::grad_stats(c, threshold) },
            // SAFETY: `assert_available` checked `avx512::detected()`.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe { grad_stats_avx512::chunk(c, threshold) },
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx2Fma | Backend::Avx512 => unreachable!("checked by assert_available"),
            Backend::Parallel => Backend::best_simd().grad_stats_chunk(c, threshold),
        }
    }

    /// `dst[i] = table[src[i]]` (`src == None`: in place) with this
    /// backend's vector lookup, for the int8/uint8 kernels in
    /// [`crate::quant`]; returns `false`, touching nothing, where the
    /// backend has none (scalar, portable, parallel: the caller loops or
    /// splits). The caller checked availability.
    #[allow(unsafe_code)] // calls a backend entry point after checking the CPU
    pub(crate) fn lookup_bytes(
        self,
        table: &[u8; 256],
        src: Option<&[u8]>,
        dst: &mut [u8],
    ) -> bool {
        match self {
            // SAFETY: the caller checked that the CPU runs `self`, and
            // `vbmi_detected` the extra feature of this kernel.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 if avx512::vbmi_detected() => unsafe {
                avx512::lookup(table, src, dst)
            },
            // SAFETY: the caller checked that the CPU runs `self`, which
            // has AVX2 for both backends.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2Fma | Backend::Avx512 => unsafe { avx2::lookup(table, src, dst) },
            _ => return false,
        }
        true
    }
}

impl core::fmt::Display for Backend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Panics with both names and lengths, like `copy_from_slice`.
#[track_caller]
pub(crate) fn check_len(op: &str, a: &str, la: usize, b: &str, lb: usize) {
    assert!(
        la == lb,
        "{op}: length mismatch: {a}.len() = {la}, {b}.len() = {lb}"
    );
}

/// The fastest single-thread backend of this CPU, capped by a
/// [`FORCE_ENV`] value (`None`, or a value it does not know: no cap).
fn best_below(cap: Option<&str>) -> Backend {
    match cap {
        Some("scalar") => Backend::Scalar,
        Some("portable") => Backend::Portable,
        Some("avx2" | "avx2+fma") if avx2_detected() => Backend::Avx2Fma,
        Some("avx2" | "avx2+fma") => Backend::Portable,
        _ if avx512_detected() => Backend::Avx512,
        _ if avx2_detected() => Backend::Avx2Fma,
        _ => Backend::Portable,
    }
}

fn avx2_detected() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn avx512_detected() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        avx512::detected()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn portable_isa() -> &'static str {
    if cfg!(all(target_feature = "avx2", target_feature = "fma")) {
        "avx2+fma"
    } else if cfg!(target_feature = "avx") {
        "avx"
    } else if cfg!(target_feature = "sse4.1") {
        "sse4.1"
    } else if cfg!(target_feature = "sse2") {
        "sse2"
    } else if cfg!(target_feature = "neon") {
        "neon"
    } else if cfg!(target_feature = "simd128") {
        "simd128"
    } else {
        "scalar"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The backends are listed slowest first, so with no cap the best is
    /// the last single-thread one; each cap picks the fastest at or below
    /// it.
    #[test]
    fn force_env_caps_the_backend() {
        let simd: Vec<Backend> = Backend::available()
            .into_iter()
            .filter(|&b| b != Backend::Parallel)
            .collect();
        assert_eq!(Some(&best_below(None)), simd.last());
        assert_eq!(best_below(Some("no-such-isa")), best_below(None));
        assert_eq!(best_below(Some("scalar")), Backend::Scalar);
        assert_eq!(best_below(Some("portable")), Backend::Portable);
        let avx2 = if Backend::Avx2Fma.is_available() {
            Backend::Avx2Fma
        } else {
            Backend::Portable
        };
        assert_eq!(best_below(Some("avx2")), avx2);
        assert_eq!(best_below(Some("avx2+fma")), avx2);
    }

    /// Every element-wise op, on every backend, writes the same bits with
    /// `stream` on (non-temporal stores after the aligned head) as with it
    /// off, at output offsets 0, 3, 8 and 15 floats. The public functions
    /// stream only from [`STREAM_MIN`] elements, and the correctly rounded
    /// tier not at all on AMD CPUs ([`cr_streams`]); this calls the
    /// single-threaded pieces directly, so the streamed path of each op is
    /// checked on any CI machine, and at a small size.
    #[test]
    fn streamed_pieces_match_cached_on_any_cpu() {
        let n = 4099;
        let x: Vec<f32> = (0..n + 16)
            .map(|i| -120.0 + 150.0 * i as f32 / n as f32)
            .chain([f32::NAN, f32::INFINITY, -f32::INFINITY, 0.0, -0.0])
            .collect();
        let dy: Vec<f32> = (0..x.len()).map(|i| 1.5 - (i % 7) as f32 / 2.0).collect();
        let y: Vec<f32> = x.iter().map(|&v| crate::reference::sigmoid(v)).collect();
        let unary = [
            Unary::Exact,
            Unary::Fast,
            Unary::Hard,
            Unary::HardAffine {
                alpha: 0.2,
                beta: 0.5,
            },
            Unary::Plan,
            Unary::Softplus,
            Unary::LogSigmoid,
            Unary::SoftplusFast,
            Unary::LogSigmoidFast,
            Unary::Cr,
            Unary::Silu,
            Unary::SiluFast,
        ];
        let grads = [
            (Grad::Sigmoid, &y),
            (Grad::SigmoidFromInput, &x),
            (Grad::Hard, &x),
            (
                Grad::HardAffine {
                    alpha: 0.2,
                    beta: 0.5,
                },
                &x,
            ),
            (Grad::Plan, &x),
            (Grad::Silu, &x),
        ];
        // The first index where two outputs differ in their bits, if any.
        let first_diff = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .position(|(p, q)| p.to_bits() != q.to_bits())
                .map(|i| (i, a[i].to_bits(), b[i].to_bits()))
        };
        // Two outputs at the same alignment (a whole number of cache lines
        // apart), so that both split off the same head and every element
        // takes the same path through the loops: on the portable backend a
        // NaN input comes out as +NaN or −NaN depending on that path (NaN's
        // sign is not part of the contract), which is not what this checks.
        let m = x.len().next_multiple_of(16);
        let mut both = vec![0.0f32; 2 * m];
        let (streamed, cached) = both.split_at_mut(m);
        let (streamed, cached) = (&mut streamed[..x.len()], &mut cached[..x.len()]);
        for b in Backend::available() {
            if b == Backend::Parallel {
                continue;
            }
            for off in [0, 3, 8, 15] {
                let src = &x[off..];
                for op in unary {
                    b.unary_chunk(op, Some(src), &mut streamed[off..], true);
                    b.unary_chunk(op, Some(src), &mut cached[off..], false);
                    let d = first_diff(&streamed[off..], &cached[off..]);
                    assert_eq!(
                        d, None,
                        "{b} {op:?} offset {off}: (index, streamed, cached)"
                    );
                }
                for (op, a) in grads {
                    let (a, d) = (&a[off..], &dy[off..]);
                    b.binary_chunk(op, a, Some(d), &mut streamed[off..], true);
                    b.binary_chunk(op, a, Some(d), &mut cached[off..], false);
                    let d = first_diff(&streamed[off..], &cached[off..]);
                    assert_eq!(
                        d, None,
                        "{b} {op:?} offset {off}: (index, streamed, cached)"
                    );
                }
            }
        }
    }
}
