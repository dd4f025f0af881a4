//! Gradient health: what practitioners watch to see a vanishing (or
//! exploding) gradient, in one pass over a gradient array.
//!
//! [`GradStats::of`] gives the element count, the NaN and ±∞ counts, the L2
//! norm (in `f64`), max |g|, mean |g|, the fraction of elements below a
//! threshold and a histogram of log2 |g| ([`Histogram`]: zero, subnormal,
//! below 2^−40, one bucket per binade from 2^−40 to 2^10, and above);
//! [`saturation`] gives the fraction of σ outputs whose local gradient
//! y·(1 − y) is below ε (the "outputs near 0 or 1 stop the gradient" of a
//! saturated Sigmoid).
//!
//! Both run on all rayon threads from
//! [`parallel_threshold`](crate::parallel_threshold) elements up, over
//! fixed chunks of [`CHUNK`] elements whose partial results are combined in
//! chunk order, so the result is the same bits for any thread count, and
//! on every backend ([`GradStats::with_threshold_on`]). The chunk kernel
//! (`cpu/grad_stats.rs`, compiled for each instruction set, and its own
//! kernel on AVX-512, `cpu/grad_stats_avx512.rs`) adds element i of a
//! chunk into `f64` lane i mod 16, adds the 16 lanes in order, and counts
//! zeros, exponent-0 elements and the bins of the biased exponents (one per
//! binade 2^−40 … 2^9, one below, one above), from which the buckets
//! follow. NaN and ±∞ are rare: a chunk that holds one is summed again
//! without them.

use crate::cpu::grad_stats::BINS;
use crate::cpu::{Backend, PAR_CHUNK};
use rayon::prelude::*;

/// Elements per chunk: the unit of work and of the fixed combination
/// order (the same as the CPU kernels' [`PAR_CHUNK`]).
pub const CHUNK: usize = PAR_CHUNK;
/// The default threshold of [`GradStats::of`]: |g| below it counts as
/// vanished (2^−23 ≈ 1.19e−7, `f32::EPSILON`: an update that small no
/// longer moves a weight of magnitude 1).
pub const DEFAULT_THRESHOLD: f32 = f32::EPSILON;
/// The default ε of [`saturation`]: y·(1 − y) < 0.01, i.e. |x| ≳ 4.6.
pub const DEFAULT_SATURATION_EPS: f32 = 0.01;
/// The lowest binade with its own bucket: 2^−40.
pub const HIST_MIN_EXP: i32 = -40;
/// The binade from which everything shares the top bucket: 2^10.
pub const HIST_MAX_EXP: i32 = 10;

/// A histogram of log2 |g| over the finite elements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Elements equal to ±0.
    pub zero: u64,
    /// Subnormal elements (0 < |g| < 2^−126).
    pub subnormal: u64,
    /// Normal elements below 2^[`HIST_MIN_EXP`].
    pub below: u64,
    /// `binades[i]`: elements with |g| in [2^e, 2^(e+1)), e =
    /// [`HIST_MIN_EXP`] + i, up to 2^[`HIST_MAX_EXP`].
    pub binades: Vec<u64>,
    /// Finite elements with |g| ≥ 2^[`HIST_MAX_EXP`].
    pub above: u64,
}

impl Histogram {
    /// The buckets in order, each with its label (`0`, `subnormal`,
    /// `<2^-40`, `2^-40`, …, `2^9`, `>=2^10`) and count.
    #[must_use]
    pub fn buckets(&self) -> Vec<(String, u64)> {
        let mut v = vec![
            ("0".to_string(), self.zero),
            ("subnormal".to_string(), self.subnormal),
            (format!("<2^{HIST_MIN_EXP}"), self.below),
        ];
        v.extend(
            self.binades
                .iter()
                .enumerate()
                .map(|(i, &c)| (format!("2^{}", HIST_MIN_EXP + i as i32), c)),
        );
        v.push((format!(">=2^{HIST_MAX_EXP}"), self.above));
        v
    }
}

/// The health of a gradient array, from [`GradStats::of`].
#[derive(Clone, Debug, PartialEq)]
pub struct GradStats {
    /// Elements.
    pub count: u64,
    /// NaN elements.
    pub nan: u64,
    /// +∞ elements.
    pub pos_inf: u64,
    /// −∞ elements.
    pub neg_inf: u64,
    /// sqrt(Σ g²) over the finite elements, accumulated in `f64`.
    pub l2_norm: f64,
    /// max |g| over the finite elements (0 if there are none).
    pub max_abs: f32,
    /// Σ |g| / (finite elements), in `f64` (NaN if there are none).
    pub mean_abs: f64,
    /// The threshold of [`GradStats::below`].
    pub threshold: f32,
    /// Finite elements with |g| < `threshold`.
    pub below: u64,
    /// log2 |g| over the finite elements.
    pub histogram: Histogram,
}

impl GradStats {
    /// The statistics of `g` with [`DEFAULT_THRESHOLD`].
    ///
    /// ```
    /// use sigmoid_kernels::stats::GradStats;
    /// let g = [3.0f32, -4.0, 0.0, f32::NAN, 1e-9];
    /// let s = GradStats::of(&g);
    /// assert_eq!((s.count, s.nan), (5, 1));
    /// assert_eq!(s.l2_norm, (25.0f64 + f64::from(1e-9f32).powi(2)).sqrt());
    /// assert_eq!(s.max_abs, 4.0);
    /// assert_eq!(s.below, 2); // 0 and 1e-9
    /// assert_eq!(s.fraction_below(), 0.5); // of the 4 finite elements
    /// ```
    #[must_use]
    pub fn of(g: &[f32]) -> GradStats {
        GradStats::with_threshold(g, DEFAULT_THRESHOLD)
    }

    /// The statistics of `g`, counting |g| < `threshold` as vanished. Same
    /// bits for any thread count.
    #[must_use]
    pub fn with_threshold(g: &[f32], threshold: f32) -> GradStats {
        GradStats::with_threshold_on(Backend::for_len(g.len()), g, threshold)
    }

    /// [`GradStats::with_threshold`] on `backend` (one thread for a SIMD
    /// backend, rayon's threads for [`Backend::Parallel`]): the same bits
    /// on every backend and for any thread count.
    ///
    /// ```
    /// use sigmoid_kernels::{stats::GradStats, Backend};
    /// let g = [0.5f32, -2.0, 1e-30];
    /// let s = GradStats::with_threshold_on(Backend::Scalar, &g, 1e-3);
    /// assert_eq!(s, GradStats::with_threshold(&g, 1e-3));
    /// ```
    ///
    /// # Panics
    /// If the backend is not available on this CPU.
    #[must_use]
    pub fn with_threshold_on(backend: Backend, g: &[f32], threshold: f32) -> GradStats {
        backend.assert_available();
        let part = |c: &[f32]| Partial::of(backend, c, threshold);
        let parts: Vec<Partial> = if backend == Backend::Parallel {
            g.par_chunks(CHUNK).map(part).collect()
        } else {
            g.chunks(CHUNK).map(part).collect()
        };
        let mut t = Partial::default();
        for p in &parts {
            t.add(p);
        }
        t.finish(g.len() as u64, threshold)
    }

    /// Finite elements: `count` less the NaNs and infinities.
    #[must_use]
    pub fn finite(&self) -> u64 {
        self.count - self.nan - self.pos_inf - self.neg_inf
    }

    /// `below` as a fraction of the finite elements (NaN if none).
    #[must_use]
    pub fn fraction_below(&self) -> f64 {
        self.below as f64 / self.finite() as f64
    }
}

/// One chunk's sums and counts.
#[derive(Clone, Debug)]
struct Partial {
    sq: f64,
    abs: f64,
    max: f32,
    below: u64,
    zero: u64,
    /// Zero and subnormal elements.
    tiny: u64,
    nan: u64,
    pos_inf: u64,
    neg_inf: u64,
    /// The histogram bins (`cpu::grad_stats::bin`; the last holds NaN and
    /// ±∞ too).
    bins: [u64; BINS],
}

impl Default for Partial {
    fn default() -> Partial {
        Partial {
            sq: 0.0,
            abs: 0.0,
            max: 0.0,
            below: 0,
            zero: 0,
            tiny: 0,
            nan: 0,
            pos_inf: 0,
            neg_inf: 0,
            bins: [0; BINS],
        }
    }
}

impl Partial {
    /// The chunk kernel (`cpu/grad_stats.rs`, `cpu/grad_stats_avx512.rs`)
    /// on `backend`, and the rare path where the chunk holds NaN or ±∞.
    fn of(backend: Backend, c: &[f32], threshold: f32) -> Partial {
        let s = backend.grad_stats_chunk(c, threshold);
        let mut p = Partial {
            sq: s.sq,
            abs: s.abs,
            max: s.max,
            below: s.below,
            zero: s.zero,
            tiny: s.tiny,
            bins: s.bins,
            ..Partial::default()
        };
        if s.nonfinite {
            p.redo_without_nonfinite(c, threshold);
        }
        p
    }

    /// The rare path: the chunk holds NaN or ±∞; sums, max and the
    /// threshold count again over the finite elements only, and the
    /// non-finite ones sorted out.
    fn redo_without_nonfinite(&mut self, c: &[f32], threshold: f32) {
        let (mut sq, mut ab, mut mx, mut below) = (0.0f64, 0.0f64, 0.0f32, 0u64);
        for &x in c {
            if x.is_nan() {
                self.nan += 1;
            } else if x == f32::INFINITY {
                self.pos_inf += 1;
            } else if x == f32::NEG_INFINITY {
                self.neg_inf += 1;
            } else {
                let a = x.abs();
                sq += f64::from(a) * f64::from(a);
                ab += f64::from(a);
                mx = mx.max(a);
                below += u64::from(a < threshold);
            }
        }
        (self.sq, self.abs, self.max, self.below) = (sq, ab, mx, below);
    }

    /// Adds the next chunk's partial (the fixed combination order).
    fn add(&mut self, o: &Partial) {
        self.sq += o.sq;
        self.abs += o.abs;
        self.max = self.max.max(o.max);
        self.below += o.below;
        self.zero += o.zero;
        self.tiny += o.tiny;
        self.nan += o.nan;
        self.pos_inf += o.pos_inf;
        self.neg_inf += o.neg_inf;
        for (a, b) in self.bins.iter_mut().zip(&o.bins) {
            *a += b;
        }
    }

    fn finish(&self, count: u64, threshold: f32) -> GradStats {
        let nonfinite = self.nan + self.pos_inf + self.neg_inf;
        let finite = count - nonfinite;
        let histogram = Histogram {
            zero: self.zero,
            subnormal: self.tiny - self.zero,
            below: self.bins[0] - self.tiny,
            binades: self.bins[1..BINS - 1].to_vec(),
            above: self.bins[BINS - 1] - nonfinite,
        };
        GradStats {
            count,
            nan: self.nan,
            pos_inf: self.pos_inf,
            neg_inf: self.neg_inf,
            l2_norm: self.sq.sqrt(),
            max_abs: self.max,
            mean_abs: self.abs / finite as f64,
            threshold,
            below: self.below,
            histogram,
        }
    }
}

/// The fraction of σ outputs `y` whose local gradient y·(1 − y) is below
/// `eps` ([`DEFAULT_SATURATION_EPS`] = 0.01: |x| ≳ 4.6), i.e. the outputs
/// near 0 or 1 that pass on almost no gradient. y·(1 − y) is formed in
/// `f64`. NaN outputs count as not saturated; an empty `y` gives NaN. Same
/// result for any thread count (integer counts).
///
/// ```
/// let y = [0.5f32, 0.999, 0.001, 0.9];
/// assert_eq!(sigmoid_kernels::stats::saturation(&y, 0.01), 0.5);
/// ```
#[must_use]
pub fn saturation(y: &[f32], eps: f32) -> f64 {
    let e = f64::from(eps);
    let count = |c: &[f32]| -> u64 {
        c.iter()
            .map(|&y| {
                let y = f64::from(y);
                u64::from(y * (1.0 - y) < e)
            })
            .sum()
    };
    let n: u64 = if y.len() >= crate::parallel_threshold() {
        y.par_chunks(CHUNK).map(count).sum()
    } else {
        count(y)
    };
    n as f64 / y.len() as f64
}
