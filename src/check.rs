//! The contract checker: one implementation of "does this kernel keep its
//! documented contract", shared by the tests, the exhaustive run and the
//! CLI's `accuracy` and `bench` (not a stable API, hence hidden from the
//! docs).
//!
//! A float kernel's outputs are compared with the oracle in
//! [`reference`](crate::reference) under its [`Bound`] (one of the constants
//! next to the kernel, e.g. [`SIGMOID_MAX_ULP`](crate::SIGMOID_MAX_ULP));
//! [`Stats`] keeps the worst case with its input, the inputs that break the
//! bound, NaN → NaN, outputs outside [0, 1] and monotonicity (adjacent
//! inputs, in any order, whose outputs go the wrong way). [`sweep`] runs many
//! kernels over chunks of inputs on all threads with one oracle evaluation
//! per chunk; [`SPECIALS`] are the special values every σ kernel must give
//! exactly. Quantized kernels are checked in output codes against
//! [`QuantParams::sigmoid_code`] ([`QuantWorst`], [`q15_worst`]).
//! [`Rng`] is the one pseudo-random generator of the tests, benches and CLI.

use crate::quant::{Q15Sigmoid, QuantParams};
use crate::reference;
use core::fmt;
use rayon::prelude::*;

/// The smallest normal `f32` as `f64`: below it the fast tier may flush and a
/// GPU may return 0.
pub const MIN_NORMAL: f64 = f32::MIN_POSITIVE as f64;

/// A float kernel's accuracy contract against the `f64` oracle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// At most this many ULPs ([`reference::ulp_error`]) everywhere.
    Ulp(f64),
    /// At most this relative error where |reference| ≥ 2^−126; below, any
    /// result between 0 and reference·(1 + this) (flushing allowed).
    Rel(f64),
    /// At most this many ULPs, except that a reference below 2^−126 in
    /// magnitude may also give exactly 0 (a GPU flushing subnormals).
    UlpNormal(f64),
    /// At most this absolute error (piecewise-linear forms).
    Abs(f64),
}

impl Bound {
    /// The largest error allowed, in the bound's unit.
    #[must_use]
    pub fn limit(self) -> f64 {
        match self {
            Bound::Ulp(v) | Bound::Rel(v) | Bound::UlpNormal(v) | Bound::Abs(v) => v,
        }
    }

    /// The error of `got` against the reference `want` in the bound's unit:
    /// 0 for NaN against NaN and for an allowed flush, ∞ for NaN against a
    /// number or a disallowed result below 2^−126.
    #[must_use]
    pub fn error(self, got: f32, want: f64) -> f64 {
        let g = f64::from(got);
        if g.is_nan() || want.is_nan() {
            return if g.is_nan() && want.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        match self {
            Bound::Ulp(_) => reference::ulp_error(got, want),
            Bound::UlpNormal(_) if want.abs() < MIN_NORMAL && got == 0.0 => 0.0,
            Bound::UlpNormal(_) => reference::ulp_error(got, want),
            Bound::Rel(_) if g == want => 0.0, // infinities included
            Bound::Rel(_) if want.abs() >= MIN_NORMAL => (g - want).abs() / want.abs(),
            Bound::Rel(r) if (0.0..=want * (1.0 + r)).contains(&g) => 0.0,
            Bound::Rel(r) if (want * (1.0 + r)..=0.0).contains(&g) => 0.0,
            Bound::Rel(_) => f64::INFINITY,
            Bound::Abs(_) if g == want => 0.0,
            Bound::Abs(_) => (g - want).abs(),
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Bound::Ulp(u) => write!(f, "<= {u} ULP"),
            Bound::Rel(r) => write!(f, "rel <= {r:e} where the result >= 2^-126"),
            Bound::UlpNormal(u) => write!(f, "<= {u} ULP where the result >= 2^-126"),
            Bound::Abs(a) => write!(f, "abs <= {a}"),
        }
    }
}

/// The function a float kernel computes: which oracle its outputs are
/// compared with, whether it takes a gradient `dy`, and the range its
/// outputs must stay in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// σ(x): [`reference::sigmoid_f64`]; outputs in [0, 1].
    Sigmoid,
    /// dy·y·(1 − y) from the saved output y: [`reference::sigmoid_backward_f64`].
    Backward,
    /// dy·σ(x)·σ(−x) from the input: [`reference::sigmoid_backward_from_input_f64`].
    BackwardFromInput,
    /// log(1 + e^x): [`reference::softplus_f64`]; outputs in [0, +∞].
    Softplus,
    /// log σ(x): [`reference::log_sigmoid_f64`]; outputs in [−∞, 0].
    LogSigmoid,
    /// σ(x) correctly rounded: [`reference::sigmoid_cr`] (an `f32`, so the
    /// correctly rounded tier's error against it is 0 ULP); outputs in
    /// [0, 1].
    SigmoidCr,
    /// x·σ(x): [`reference::silu_f64`]; outputs in [[`SILU_MIN`], +∞]
    /// (not monotone: it falls to its minimum at x ≈ −1.2785).
    Silu,
    /// dy·silu′(x) from the input: [`reference::silu_backward_f64`]. Its
    /// bound is absolute ([`silu_backward_error`]); through [`Stats`] it is
    /// measured in ULPs of the result, which grow without bound at the
    /// root of silu′.
    SiluBackward,
}

/// The least value of SiLU, x·σ(x) at x ≈ −1.2785 (−0.2784645…), rounded
/// down to 5 digits: the lower end of [`Func::Silu`]'s range.
pub const SILU_MIN: f32 = -0.278_47;

impl Func {
    /// Every function, in the order the CLI sweeps them.
    pub const ALL: [Func; 8] = [
        Func::Sigmoid,
        Func::Backward,
        Func::BackwardFromInput,
        Func::Softplus,
        Func::LogSigmoid,
        Func::SigmoidCr,
        Func::Silu,
        Func::SiluBackward,
    ];

    /// Whether the kernel takes a gradient (`x`, `dy`) instead of one input.
    #[must_use]
    pub fn takes_dy(self) -> bool {
        matches!(
            self,
            Func::Backward | Func::BackwardFromInput | Func::SiluBackward
        )
    }

    /// The oracle's value (`dy` is ignored by forward functions).
    #[must_use]
    pub fn value(self, x: f32, dy: f32) -> f64 {
        match self {
            Func::Sigmoid => reference::sigmoid_f64(f64::from(x)),
            Func::Backward => reference::sigmoid_backward_f64(x, dy),
            Func::BackwardFromInput => reference::sigmoid_backward_from_input_f64(x, dy),
            Func::Softplus => reference::softplus_f64(f64::from(x)),
            Func::LogSigmoid => reference::log_sigmoid_f64(f64::from(x)),
            Func::SigmoidCr => f64::from(reference::sigmoid_cr(x)),
            Func::Silu => reference::silu_f64(f64::from(x)),
            Func::SiluBackward => reference::silu_backward_f64(x, dy),
        }
    }

    /// The closed range of a forward function's non-NaN outputs.
    #[must_use]
    pub fn range(self) -> (f32, f32) {
        match self {
            Func::Sigmoid | Func::SigmoidCr => (0.0, 1.0),
            Func::Softplus => (0.0, f32::INFINITY),
            Func::LogSigmoid => (f32::NEG_INFINITY, 0.0),
            Func::Silu => (SILU_MIN, f32::INFINITY),
            Func::Backward | Func::BackwardFromInput | Func::SiluBackward => {
                (f32::NEG_INFINITY, f32::INFINITY)
            }
        }
    }
}

/// One checked element: its error and where it happened.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Worst {
    /// The error (in the unit of the field holding it).
    pub err: f64,
    /// The position in the slice that was checked (within its chunk).
    pub index: usize,
    /// The input (`y` for the backward kernel from the saved output).
    pub x: f32,
    /// The name of that input in messages: `x`, or `y` for
    /// [`Func::Backward`] (empty: `y` with a gradient, else `x`).
    pub arg: &'static str,
    /// The upstream gradient (backward kernels only).
    pub dy: Option<f32>,
    /// The kernel's output.
    pub got: f32,
    /// The unrounded reference value.
    pub want: f64,
}

impl Worst {
    /// Keeps `o` if its error is larger (a NaN error counts as largest).
    pub fn merge(&mut self, o: &Worst) {
        if o.err > self.err || (o.err.is_nan() && !self.err.is_nan()) {
            *self = *o;
        }
    }

    /// `x=…` (forward), `y=… dy=…` (backward from the output) or
    /// `x=… dy=…` (backward from the input).
    #[must_use]
    pub fn input(&self) -> String {
        let arg = match (self.arg, self.dy) {
            ("", Some(_)) => "y",
            ("", None) => "x",
            (a, _) => a,
        };
        match self.dy {
            None => format!("{arg}={:e}", self.x),
            Some(dy) => format!("{arg}={:e} dy={dy:e}", self.x),
        }
    }
}

impl fmt::Display for Worst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "index {}: {} ({:#010x}): got {:e} ({:#010x}), want {:e}: error {:e}",
            self.index,
            self.input(),
            self.x.to_bits(),
            self.got,
            self.got.to_bits(),
            self.want,
            self.err
        )
    }
}

/// The oracle's values for one chunk of inputs, with the factors every
/// kernel's error needs, computed once and shared by all kernels.
pub struct Oracle {
    /// The unrounded reference values.
    pub v: Vec<f64>,
    /// 1 / ulp: a power of two, so `diff * inv_ulp` is exactly
    /// [`reference::ulp_error`] for finite values.
    inv_ulp: Vec<f64>,
    /// 1 / |v| where 2^−126 ≤ |v| < ∞ (the relative-error range), else 0.
    inv_abs: Vec<f64>,
    /// The range the outputs must stay in ([`Func::range`]).
    range: (f32, f32),
    /// The name of the first input ([`Worst::arg`]).
    arg: &'static str,
}

impl Oracle {
    /// σ(x) for each `x`.
    #[must_use]
    pub fn sigmoid(x: &[f32]) -> Oracle {
        Oracle::of(Func::Sigmoid, x, &[])
    }

    /// `dy·y·(1−y)` for each pair.
    #[must_use]
    pub fn backward(y: &[f32], dy: &[f32]) -> Oracle {
        Oracle::of(Func::Backward, y, dy)
    }

    /// `f` for each input (and gradient, if `f` takes one).
    #[must_use]
    pub fn of(f: Func, x: &[f32], dy: &[f32]) -> Oracle {
        let v = if f.takes_dy() {
            assert_eq!(x.len(), dy.len(), "check: x and dy lengths");
            x.iter().zip(dy).map(|(&x, &d)| f.value(x, d)).collect()
        } else {
            x.iter().map(|&x| f.value(x, 0.0)).collect()
        };
        Oracle {
            range: f.range(),
            arg: if f == Func::Backward { "y" } else { "x" },
            ..Oracle::new(v)
        }
    }

    fn new(v: Vec<f64>) -> Oracle {
        let inv_ulp = v.iter().map(|&w| inv_ulp(w)).collect();
        let inv_abs = v
            .iter()
            .map(|&w| {
                if w.abs() >= MIN_NORMAL && w.is_finite() {
                    1.0 / w.abs()
                } else {
                    0.0
                }
            })
            .collect();
        Oracle {
            v,
            inv_ulp,
            inv_abs,
            range: (0.0, 1.0),
            arg: "",
        }
    }
}

/// `1 / reference::ulp_f32(w)` from the exponent bits (no division):
/// 2^(23−e) for |w| in [2^e, 2^(e+1)) within the normal `f32` range, 2^149
/// below it (and for NaN).
fn inv_ulp(w: f64) -> f64 {
    let a = w.abs();
    if a.is_nan() || a < MIN_NORMAL {
        return 2f64.powi(149);
    }
    let e = ((a.to_bits() >> 52) & 0x7ff) as i64 - 1023;
    f64::from_bits(((1023 + 23 - e) as u64) << 52)
}

/// Whether outputs `a.1 → b.1` for inputs `a.0 → b.0` go the wrong way for a
/// non-decreasing function (NaN outputs are not compared).
fn wrong_way(a: (f32, f32), b: (f32, f32)) -> bool {
    if a.1.is_nan() || b.1.is_nan() {
        return false;
    }
    (a.0 < b.0 && a.1 > b.1) || (a.0 > b.0 && a.1 < b.1)
}

/// What one kernel did over the inputs checked so far.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Inputs checked.
    pub n: u64,
    /// Max error in the bound's unit.
    pub err: Worst,
    /// Max error in ULPs.
    pub ulp: Worst,
    /// Max error in ULPs where |reference| ≥ 2^−126.
    pub ulp_normal: Worst,
    /// Max absolute error.
    pub abs: Worst,
    /// Max relative error where |reference| ≥ 2^−126.
    pub rel: Worst,
    /// Inputs that break the bound (NaN ↔ number included).
    pub violations: u64,
    /// The first of them.
    pub first: Option<Worst>,
    /// Non-NaN outputs outside the function's range (forward kernels).
    pub out_of_range: u64,
    /// The first of them.
    pub first_out_of_range: Option<Worst>,
    /// Adjacent non-NaN inputs whose outputs go the wrong way (forward).
    pub monotone: u64,
    /// The first such pair: `((x, y), (x, y))`.
    pub first_wrong_way: Option<((f32, f32), (f32, f32))>,
    /// First and last `(x, y)` with x not NaN, to compare across chunks.
    ends: Option<((f32, f32), (f32, f32))>,
}

impl Stats {
    /// Adds the outputs `got` of a kernel under `bound` for inputs `x` (and
    /// gradients `dy`; empty for a forward kernel, which is also checked
    /// for range and monotonicity) against `want`, computed from the same
    /// inputs.
    pub fn add(&mut self, bound: Bound, x: &[f32], dy: &[f32], got: &[f32], want: &Oracle) {
        assert_eq!(x.len(), got.len(), "check: input and output lengths");
        let forward = dy.is_empty();
        let mut prev: Option<(f32, f32)> = None;
        let mut first: Option<(f32, f32)> = None;
        for (i, (&g, &xi)) in got.iter().zip(x).enumerate() {
            let w = want.v[i];
            let d = (!forward).then(|| dy[i]);
            let (ulp, abs) = if g.is_finite() && w.is_finite() {
                let diff = (f64::from(g) - w).abs();
                (diff * want.inv_ulp[i], diff)
            } else {
                let u = reference::ulp_error(g, w);
                (u, if u == 0.0 { 0.0 } else { f64::INFINITY })
            };
            let at = |err| Worst {
                err,
                index: i,
                x: xi,
                arg: want.arg,
                dy: d,
                got: g,
                want: w,
            };
            let e = match bound {
                Bound::Ulp(_) => ulp,
                Bound::Abs(_) => abs,
                _ => bound.error(g, w),
            };
            self.err.merge(&at(e));
            self.ulp.merge(&at(ulp));
            self.abs.merge(&at(abs));
            if want.inv_abs[i] > 0.0 {
                self.rel.merge(&at(abs * want.inv_abs[i]));
                self.ulp_normal.merge(&at(ulp));
            }
            if e > bound.limit() || e.is_nan() {
                self.violations += 1;
                self.first.get_or_insert(at(e));
            }
            if forward {
                if !g.is_nan() && !(want.range.0..=want.range.1).contains(&g) {
                    self.out_of_range += 1;
                    self.first_out_of_range.get_or_insert(at(e));
                }
                if !xi.is_nan() {
                    let here = (xi, g);
                    match prev {
                        Some(p) if wrong_way(p, here) => {
                            self.monotone += 1;
                            self.first_wrong_way.get_or_insert((p, here));
                        }
                        Some(_) => {}
                        None => first = Some(here),
                    }
                    prev = Some(here);
                }
            }
        }
        let new_ends = first.zip(prev);
        self.ends = match (self.ends.take(), new_ends) {
            (Some(a), Some(b)) => Some(self.join(a, b)),
            (a, b) => a.or(b),
        };
        self.n += x.len() as u64;
    }

    /// Counts a wrong-way step between two consecutive runs of inputs.
    fn join(
        &mut self,
        a: ((f32, f32), (f32, f32)),
        b: ((f32, f32), (f32, f32)),
    ) -> ((f32, f32), (f32, f32)) {
        if wrong_way(a.1, b.0) {
            self.monotone += 1;
            self.first_wrong_way.get_or_insert((a.1, b.0));
        }
        (a.0, b.1)
    }

    /// Folds `o`, the stats of the inputs right after these, into `self`.
    #[must_use]
    pub fn merge(mut self, o: Stats) -> Stats {
        self.n += o.n;
        for (a, b) in [
            (&mut self.err, &o.err),
            (&mut self.ulp, &o.ulp),
            (&mut self.ulp_normal, &o.ulp_normal),
            (&mut self.abs, &o.abs),
            (&mut self.rel, &o.rel),
        ] {
            a.merge(b);
        }
        self.violations += o.violations;
        self.first = self.first.or(o.first);
        self.out_of_range += o.out_of_range;
        self.first_out_of_range = self.first_out_of_range.or(o.first_out_of_range);
        self.monotone += o.monotone;
        self.first_wrong_way = self.first_wrong_way.or(o.first_wrong_way);
        self.ends = match (self.ends, o.ends) {
            (Some(a), Some(b)) => Some(self.join(a, b)),
            (a, b) => a.or(b),
        };
        self
    }

    /// One line per broken part of the contract: the bound (with its first
    /// violation), the range [0, 1], and monotonicity when `monotone`.
    #[must_use]
    pub fn failures(&self, bound: Bound, monotone: bool) -> Vec<String> {
        let mut f = Vec::new();
        if let Some(w) = &self.first {
            f.push(format!(
                "{} of {} inputs break {bound}, first at {w}",
                self.violations, self.n
            ));
        }
        if let Some(w) = &self.first_out_of_range {
            f.push(format!(
                "{} outputs outside the range, first at {w}",
                self.out_of_range
            ));
        }
        if let (true, Some((a, b))) = (monotone, self.first_wrong_way) {
            f.push(format!(
                "{} monotonicity violations, first f({:e}) = {:e} then f({:e}) = {:e}",
                self.monotone, a.0, a.1, b.0, b.1
            ));
        }
        f
    }

    /// Panics, naming `what`, unless the contract holds.
    #[track_caller]
    pub fn assert_holds(&self, what: &str, bound: Bound, monotone: bool) {
        let f = self.failures(bound, monotone);
        assert!(f.is_empty(), "{what}: {}", f.join("; "));
    }
}

/// The stats of a forward kernel's outputs `y` for inputs `x`.
#[must_use]
pub fn forward(bound: Bound, x: &[f32], y: &[f32]) -> Stats {
    let mut s = Stats::default();
    s.add(bound, x, &[], y, &Oracle::sigmoid(x));
    s
}

/// The stats of a backward kernel's outputs `dx` for saved outputs `y` and
/// gradients `dy`.
#[must_use]
pub fn backward(bound: Bound, y: &[f32], dy: &[f32], dx: &[f32]) -> Stats {
    assert_eq!(y.len(), dy.len(), "check: y and dy lengths");
    let mut s = Stats::default();
    s.add(bound, y, dy, dx, &Oracle::backward(y, dy));
    s
}

/// The stats of a kernel computing `f`: outputs `out` for inputs `x` (and
/// gradients `dy` if `f` takes them; else empty).
#[must_use]
pub fn of(f: Func, bound: Bound, x: &[f32], dy: &[f32], out: &[f32]) -> Stats {
    let mut s = Stats::default();
    let none: &[f32] = &[];
    s.add(
        bound,
        x,
        if f.takes_dy() { dy } else { none },
        out,
        &Oracle::of(f, x, dy),
    );
    s
}

/// Elements per [`sweep`] chunk (one rayon task).
pub const CHUNK: usize = 1 << 16;

/// Runs every kernel, all computing `f`, over `chunks` chunks whose inputs
/// `gen(chunk, x, dy)` fills (leaving `dy` empty if `f` takes none), on all
/// rayon threads, and folds the results in input order: one [`Stats`] per
/// kernel.
/// `run(kernel, x, dy, out)` computes a kernel's outputs and gives its
/// bound; an `Err` (a failed device call) counts every output as NaN and is
/// kept (the first per kernel). `tick` is called once per chunk.
pub fn sweep<K: Sync>(
    f: Func,
    kernels: &[K],
    chunks: usize,
    gen: impl Fn(usize, &mut Vec<f32>, &mut Vec<f32>) + Sync,
    run: impl Fn(&K, &[f32], &[f32], &mut [f32]) -> Result<Bound, (Bound, String)> + Sync,
    tick: impl Fn() + Sync,
) -> Vec<(Stats, Option<String>)> {
    let empty = || vec![(Stats::default(), None); kernels.len()];
    (0..chunks)
        .into_par_iter()
        .map(|c| {
            let (mut x, mut dy) = (Vec::with_capacity(CHUNK), Vec::new());
            gen(c, &mut x, &mut dy);
            let want = Oracle::of(f, &x, &dy);
            let mut got = vec![0.0f32; x.len()];
            let mut out = empty();
            for (k, (s, failed)) in kernels.iter().zip(&mut out) {
                let bound = match run(k, &x, &dy, &mut got) {
                    Ok(b) => b,
                    Err((b, e)) => {
                        got.fill(f32::NAN);
                        *failed = Some(e);
                        b
                    }
                };
                s.add(bound, &x, &dy, &got, &want);
            }
            tick();
            out
        })
        .reduce(empty, |a, b| {
            a.into_iter()
                .zip(b)
                .map(|((s, e), (t, f))| (s.merge(t), e.or(f)))
                .collect()
        })
}

/// Inputs of chunk `c` of the sweep of all 2^32 bit patterns, in bit order
/// (`(1 << 32) / CHUNK` chunks). Bit order runs through every finite input
/// in ascending order for +0 … +∞ and in descending order for −0 … −∞, so
/// [`Stats`] checks monotonicity between every pair of neighbouring `f32`.
pub fn all_bits(c: usize, x: &mut Vec<f32>) {
    let base = (c * CHUNK) as u32;
    x.extend((0..CHUNK as u32).map(|i| f32::from_bits(base + i)));
}

/// The special inputs and what every σ kernel with a contract must give,
/// bit for bit (`1` only within its bound: not exactly representable).
pub const SPECIALS: [(&str, f32, f32); 8] = [
    ("NaN", f32::NAN, f32::NAN),
    ("-inf", f32::NEG_INFINITY, 0.0),
    ("-FLT_MAX", -f32::MAX, 0.0),
    ("-0", -0.0, 0.5),
    ("+0", 0.0, 0.5),
    ("1", 1.0, 0.731_058_6),
    ("FLT_MAX", f32::MAX, 1.0),
    ("+inf", f32::INFINITY, 1.0),
];

/// Whether `got` is what [`SPECIALS`] entry `i` requires: NaN for NaN, the
/// exact bits (so +0, not −0) for the others but `1`.
#[must_use]
pub fn special_ok(i: usize, got: f32) -> bool {
    let (name, _, want) = SPECIALS[i];
    if want.is_nan() {
        got.is_nan()
    } else {
        name == "1" || got.to_bits() == want.to_bits()
    }
}

/// The error of a SiLU gradient `got` for input `x` and upstream gradient
/// `dy`, in the unit of [`SILU_BACKWARD_MAX_ULP`](crate::SILU_BACKWARD_MAX_ULP):
/// |got − dy·silu′(x)| over the `f32` ULP of the larger of the two terms
/// |dy·σ(x)| and |dy·x·σ(x)·σ(−x)| ([`reference::silu_backward_terms_f64`];
/// the gradient has a root, where no relative bound holds). 0 for NaN
/// against NaN and for the same infinity; ∞ for NaN against a number or a
/// wrong infinity.
#[must_use]
pub fn silu_backward_error(x: f32, dy: f32, got: f32) -> f64 {
    let want = reference::silu_backward_f64(x, dy);
    let g = f64::from(got);
    if g.is_nan() || want.is_nan() || g.is_infinite() || want.is_infinite() {
        return reference::ulp_error(got, want);
    }
    let (a, b) = reference::silu_backward_terms_f64(x, dy);
    (g - want).abs() / reference::ulp_f32(a.abs().max(b.abs()))
}

/// The worst error of a quantized kernel in output codes.
#[derive(Clone, Debug, Default)]
pub struct QuantWorst {
    /// Parameter sets (or Q formats) checked.
    pub sets: usize,
    /// Inputs checked, all sets together.
    pub inputs: u64,
    /// Max |got − want| in output codes.
    pub lsb: u32,
    /// Where: parameters, input code, got and want.
    pub at: String,
}

impl QuantWorst {
    /// Adds the outputs `got` for input codes `x` against
    /// [`QuantParams::sigmoid_code`]; `params` names the set in messages.
    pub fn add(
        &mut self,
        input: QuantParams,
        output: QuantParams,
        range: (i32, i32),
        x: &[i32],
        got: &[i32],
        params: impl Fn() -> String,
    ) {
        assert_eq!(x.len(), got.len(), "check: input and output lengths");
        for (&q, &g) in x.iter().zip(got) {
            let want = input.sigmoid_code(output, q, range);
            let d = g.abs_diff(want);
            if d > self.lsb || self.at.is_empty() {
                self.lsb = d;
                self.at = format!("{}, q={q}: got {g}, want {want}", params());
            }
        }
        self.inputs += x.len() as u64;
        self.sets += 1;
    }
}

/// [`Q15Sigmoid`] for each Q format n in `ns` over all 65536 inputs
/// (through `apply`, and `lookup` must agree), against the correctly rounded
/// Q0.15 code.
#[must_use]
pub fn q15_worst(ns: impl IntoIterator<Item = u32>) -> QuantWorst {
    let x: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    let xi: Vec<i32> = x.iter().map(|&q| i32::from(q)).collect();
    let mut y = vec![0i16; x.len()];
    let mut w = QuantWorst::default();
    for n in ns {
        let k = Q15Sigmoid::new(n).expect("n <= 15");
        k.apply(&x, &mut y);
        for (&q, &g) in x.iter().zip(&y) {
            assert_eq!(g, k.lookup(q), "Q15 n={n}: apply and lookup differ at {q}");
        }
        let got: Vec<i32> = y.iter().map(|&g| i32::from(g)).collect();
        let (input, output) = q15_params(n);
        w.add(input, output, (-32768, 32767), &xi, &got, || {
            format!("Q{}.{n}", 15 - n)
        });
    }
    w
}

/// The affine parameters of Qm.n input (scale 2^−n) and Q0.15 output.
#[must_use]
pub fn q15_params(n: u32) -> (QuantParams, QuantParams) {
    let scale = |bits: u32| 1.0 / (1u32 << bits) as f32;
    (
        QuantParams::new(scale(n), 0),
        QuantParams::new(scale(15), 0),
    )
}

/// Every code of `min..=max`, twice, plus a 19-element tail: long enough for
/// the SIMD main loop and its tail path.
#[must_use]
pub fn codes((min, max): (i32, i32)) -> Vec<i32> {
    (min..=max).chain(min..=max).chain(min..min + 19).collect()
}

/// The one pseudo-random generator: SplitMix64 (fixed seeds, repeatable).
/// [`Rng::at`] gives the `i`-th value of seed `i` directly, for inputs
/// generated in parallel chunks.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

    /// The first value of `Rng(i)`: a hash of `i`.
    #[must_use]
    pub fn at(i: u64) -> u32 {
        let mut z = i.wrapping_add(Self::GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as u32
    }

    /// The next value.
    pub fn next_u32(&mut self) -> u32 {
        let v = Self::at(self.0);
        self.0 = self.0.wrapping_add(Self::GAMMA);
        v
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * (self.next_u32() >> 8) as f32 / (1u32 << 24) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inv_ulp_is_the_reference_ulp_inverted() {
        for x in (0..=u32::MAX).step_by(65_537).map(f32::from_bits) {
            let w = reference::sigmoid_f64(f64::from(x));
            for v in [w, f64::from(x), f64::from(x) * 1e-3] {
                assert_eq!(inv_ulp(v), 1.0 / reference::ulp_f32(v), "{v:e}");
            }
        }
    }

    #[test]
    fn monotonicity_is_checked_across_chunks() {
        let (x1, x2) = ([0.0f32, 1.0], [2.0f32, 3.0]);
        let stats = |x: &[f32], y: &[f32]| {
            let mut s = Stats::default();
            s.add(Bound::Abs(1.0), x, &[], y, &Oracle::sigmoid(x));
            s
        };
        let m = stats(&x1, &[0.5, 0.7]).merge(stats(&x2, &[0.6, 0.9]));
        assert_eq!(m.monotone, 1);
        assert_eq!(m.first_wrong_way, Some(((1.0, 0.7), (2.0, 0.6))));
        assert_eq!(m.ends, Some(((0.0, 0.5), (3.0, 0.9))));
        assert!(!wrong_way((1.0, f32::NAN), (2.0, 0.0)));
        // Within one run, in any order of inputs.
        assert_eq!(stats(&[3.0, 1.0], &[0.2, 0.4]).monotone, 1);
    }

    #[test]
    fn fast_bound_allows_flush_only_below_min_normal() {
        let b = Bound::Rel(1e-4);
        let breaks = |got: f32, want: f64| b.error(got, want) > b.limit();
        assert!(!breaks(0.5, 0.500_04));
        assert!(breaks(0.5, 0.5001));
        assert!(!breaks(0.0, 1e-40));
        assert!(breaks(-1e-45, 1e-40));
        assert!(breaks(f32::NAN, 0.5));
        assert!(!breaks(f32::NAN, f64::NAN));
        // Below 2^−126 the limit is σ·(1 + r): r itself, not a fixed margin.
        let w = 1e-40f64;
        let just_above = f32::from_bits(((w * 1.0001) as f32).to_bits() + 1);
        assert!(Bound::Rel(1e-4).error(just_above, w).is_infinite());
        assert_eq!(Bound::Rel(0.5).error(just_above, w), 0.0);
    }

    #[test]
    fn gpu_bound_allows_a_flush_to_zero_below_min_normal() {
        let b = Bound::UlpNormal(4.0);
        let breaks = |got: f32, want: f64| b.error(got, want) > b.limit();
        assert!(!breaks(0.5, 0.5));
        assert!(breaks(0.5 + 5.0 * f32::EPSILON / 2.0, 0.5));
        assert!(!breaks(0.0, 1e-40));
        assert!(breaks(-1e-45, 1e-40));
        assert!(breaks(f32::NAN, 0.5));
        let a = Bound::Abs(0.07);
        assert!(a.error(0.571, 0.5) > a.limit());
    }

    #[test]
    fn specials_need_the_exact_bits() {
        assert!(special_ok(1, 0.0));
        assert!(!special_ok(1, -0.0));
        assert!(special_ok(0, f32::NAN));
        assert!(!special_ok(0, 0.5));
        assert!(special_ok(5, 0.731_058_5));
    }

    #[test]
    fn rng_at_is_the_first_value_of_its_seed() {
        let mut r = Rng(12345);
        assert_eq!(r.next_u32(), Rng::at(12345));
        assert_ne!(r.next_u32(), Rng::at(12346));
        let u = Rng(7).uniform(-2.0, 2.0);
        assert!((-2.0..2.0).contains(&u));
    }
}
