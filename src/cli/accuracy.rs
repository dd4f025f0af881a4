//! `accuracy`: sweeps `f32` inputs through every float kernel of the registry
//! and checks each against the `f64` oracle and its documented bound.
//!
//! The default is a stratified sample (every sign and exponent, evenly spaced
//! mantissas, plus a dense grid on [−20, 20]); `--exhaustive` runs all 2^32
//! bit patterns (and every `y` in [0, 1] for the backward kernels) in chunks
//! on all rayon threads. The oracle is evaluated once per chunk and shared by
//! all kernels. Also used by `bench` for its quick error column.
//!
//! Quantized kernels are checked separately, exhaustively: every input code
//! for a grid of quantization parameters (8-bit) or of Q formats (`q15`),
//! against the correctly rounded result computed from the oracle, in output
//! codes (LSBs).

use super::kernels::{self, Binary, Kernel, Metric, Run, TryUnary, Unary};
use super::{CliError, Progress};
use rayon::prelude::*;
use sigmoid_kernels::quant::{Int8Sigmoid, Q15Sigmoid, QuantParams, Uint8Sigmoid};
use sigmoid_kernels::reference;

/// Elements per sweep chunk (one rayon task).
const CHUNK: usize = 1 << 16;
/// The last `y` a forward kernel can produce: 1.0.
const ONE_BITS: u32 = 0x3f80_0000;
/// σ below this may be flushed by the fast tier.
const MIN_NORMAL: f64 = f32::MIN_POSITIVE as f64;

/// Options of the `accuracy` subcommand.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Sweep all 2^32 inputs (and every y in [0, 1] for backward) instead of
    /// the stratified sample: minutes on 2 cores, with a progress bar.
    #[arg(long)]
    pub exhaustive: bool,
    /// Only kernels whose "name tier backend" contains this text.
    #[arg(long)]
    pub filter: Option<String>,
}

/// The worst error seen and where.
#[derive(Clone, Copy, Debug, Default)]
pub struct Worst {
    /// The error.
    pub err: f64,
    /// The input (`y` for backward kernels).
    pub x: f32,
    /// The upstream gradient (backward kernels only).
    pub dy: f32,
}

impl Worst {
    fn update(&mut self, err: f64, x: f32, dy: f32) {
        if err > self.err || (err.is_nan() && !self.err.is_nan()) {
            *self = Worst { err, x, dy };
        }
    }

    fn merge(&mut self, o: &Worst) {
        self.update(o.err, o.x, o.dy);
    }
}

/// What one kernel did over a sweep.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Inputs checked.
    pub n: u64,
    /// Max error in ULPs.
    pub ulp: Worst,
    /// Max error in ULPs where |reference| ≥ 2^−126 (the fast tier's range).
    pub ulp_normal: Worst,
    /// Max absolute error.
    pub abs: Worst,
    /// Max relative error where |reference| ≥ 2^−126.
    pub rel: Worst,
    /// Inputs where the documented bound is broken.
    pub violations: u64,
    /// The first of them: (x or y, dy, got, expected).
    pub example: Option<(f32, f32, f32, f64)>,
    /// Non-NaN outputs outside [0, 1] (forward kernels).
    pub out_of_range: u64,
    /// Adjacent input pairs where the output goes the wrong way.
    pub monotone: u64,
    /// First and last (x, y) with x not NaN, to check across chunks.
    ends: Option<((f32, f32), (f32, f32))>,
    /// The first error of a fallible (GPU) kernel, whose outputs then count
    /// as NaN.
    pub failed: Option<String>,
}

/// Whether y(a) → y(b) for inputs a → b breaks monotonicity.
fn wrong_way(a: (f32, f32), b: (f32, f32)) -> bool {
    if a.1.is_nan() || b.1.is_nan() {
        return false;
    }
    (a.0 < b.0 && a.1 > b.1) || (a.0 > b.0 && a.1 < b.1)
}

impl Stats {
    /// Folds `o`, the stats of the inputs right after these, into `self`.
    fn merge(mut self, o: Stats) -> Stats {
        self.n += o.n;
        self.ulp.merge(&o.ulp);
        self.ulp_normal.merge(&o.ulp_normal);
        self.abs.merge(&o.abs);
        self.rel.merge(&o.rel);
        self.violations += o.violations;
        self.example = self.example.or(o.example);
        self.failed = self.failed.or(o.failed);
        self.out_of_range += o.out_of_range;
        self.monotone += o.monotone;
        self.ends = match (self.ends, o.ends) {
            (Some((first, last)), Some((next, end))) => {
                self.monotone += u64::from(wrong_way(last, next));
                Some((first, end))
            }
            (a, b) => a.or(b),
        };
        self
    }
}

/// Whether `got` against the reference `want` (`ulp` and `abs` apart)
/// breaks `metric`'s bound.
fn breaks(metric: Metric, ulp: f64, abs: f64, got: f32, want: f64) -> bool {
    match metric {
        Metric::Ulp(Some(bound)) => ulp > bound,
        Metric::Abs(bound) => abs > bound,
        Metric::UlpNormal(bound) => {
            if want.is_nan() || got.is_nan() {
                want.is_nan() != got.is_nan()
            } else if want >= MIN_NORMAL {
                ulp > bound
            } else {
                !(0.0..=MIN_NORMAL).contains(&f64::from(got))
            }
        }
        Metric::UlpRelBound(rel) => {
            let g = f64::from(got);
            if want.is_nan() || got.is_nan() {
                want.is_nan() != got.is_nan()
            } else if want >= MIN_NORMAL {
                (g - want).abs() > rel * want
            } else {
                !(0.0..=want * (1.0 + rel)).contains(&g)
            }
        }
        // Quantized kernels have their own sweep (`quant_rows`).
        Metric::Ulp(None) | Metric::Lsb(_) | Metric::None => false,
    }
}

/// `1 / reference::ulp_f32(w)` from the exponent bits (no division, no
/// `ldexp`): 2^(23−e) for |w| in [2^e, 2^(e+1)) within the normal `f32`
/// range, 2^149 below it (and for NaN).
fn inv_ulp(w: f64) -> f64 {
    let a = w.abs();
    if a.is_nan() || a < MIN_NORMAL {
        return 2f64.powi(149);
    }
    let e = ((a.to_bits() >> 52) & 0x7ff) as i64 - 1023;
    f64::from_bits(((1023 + 23 - e) as u64) << 52)
}

/// The reference values of one chunk and the factors every kernel's error
/// needs, computed once per chunk.
struct Want {
    /// The unrounded reference values.
    v: Vec<f64>,
    /// 1 / ulp: a power of two, so `diff * inv_ulp` is exactly
    /// [`reference::ulp_error`] for finite values.
    inv_ulp: Vec<f64>,
    /// 1 / |v| where 2^−126 ≤ |v| < ∞ (the relative-error range), else 0.
    inv_abs: Vec<f64>,
}

impl Want {
    fn new(v: Vec<f64>) -> Want {
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
        Want {
            v,
            inv_ulp,
            inv_abs,
        }
    }
}

/// Adds `got` (the kernel's outputs for inputs `x`, gradients `dy`) against
/// the reference values `want` to `s`.
fn accumulate(s: &mut Stats, metric: Metric, x: &[f32], dy: &[f32], got: &[f32], want: &Want) {
    let forward = dy.is_empty();
    let mut first: Option<(f32, f32)> = None;
    let mut prev: Option<(f32, f32)> = None;
    for (i, (&g, &xi)) in got.iter().zip(x).enumerate() {
        let w = want.v[i];
        let d = if forward { f32::NAN } else { dy[i] };
        let (ulp, abs) = if g.is_finite() && w.is_finite() {
            let diff = (f64::from(g) - w).abs();
            (diff * want.inv_ulp[i], diff)
        } else {
            // NaN or infinity: 0 when both agree, else infinite.
            let u = reference::ulp_error(g, w);
            (u, if u == 0.0 { 0.0 } else { f64::INFINITY })
        };
        s.ulp.update(ulp, xi, d);
        s.abs.update(abs, xi, d);
        if want.inv_abs[i] > 0.0 {
            s.rel.update(abs * want.inv_abs[i], xi, d);
            s.ulp_normal.update(ulp, xi, d);
        }
        if breaks(metric, ulp, abs, g, w) {
            s.violations += 1;
            s.example.get_or_insert((xi, d, g, w));
        }
        if forward {
            s.out_of_range += u64::from(!g.is_nan() && !(0.0..=1.0).contains(&g));
            if !xi.is_nan() {
                let here = (xi, g);
                match prev {
                    Some(p) => s.monotone += u64::from(wrong_way(p, here)),
                    None => first = Some(here),
                }
                prev = Some(here);
            }
        }
    }
    if let (Some(first), Some(last)) = (first, prev) {
        s.ends = Some((first, last));
    }
    s.n += x.len() as u64;
}

/// Runs `kernels` (all forward or all backward) over `chunks` chunks whose
/// inputs `gen(chunk, x, dy)` fills (leaving `dy` empty for forward), in
/// parallel, in input order. One [`Stats`] per kernel.
/// How the float sweep calls a kernel.
enum Call<'a> {
    Forward(&'a Unary),
    TryForward(&'a TryUnary),
    Backward(&'a Binary),
}

/// The float sweep's way to call `k`; `None` for quantized kernels (see
/// [`quant_rows`]) and device runs without a host check.
fn call(k: &Kernel) -> Option<Call<'_>> {
    match &k.run {
        Run::Forward(f) => Some(Call::Forward(f)),
        Run::Device { check: Some(f), .. } => Some(Call::TryForward(f)),
        Run::Backward(f) => Some(Call::Backward(f)),
        Run::Device { check: None, .. } | Run::Int8(..) | Run::Uint8(..) | Run::Q15(_) => None,
    }
}

fn is_backward(k: &Kernel) -> bool {
    matches!(k.run, Run::Backward(_))
}

/// Whether the float sweep checks `k`: it has a host call and an error.
pub fn swept(k: &Kernel) -> bool {
    call(k).is_some() && k.metric != Metric::None
}

fn sweep(
    kernels: &[&Kernel],
    chunks: usize,
    gen: impl Fn(usize, &mut Vec<f32>, &mut Vec<f32>) + Sync,
    tick: impl Fn() + Sync,
) -> Vec<Stats> {
    let empty = || vec![Stats::default(); kernels.len()];
    (0..chunks)
        .into_par_iter()
        .map(|c| {
            let (mut x, mut dy) = (Vec::with_capacity(CHUNK), Vec::new());
            gen(c, &mut x, &mut dy);
            let want = Want::new(if dy.is_empty() {
                x.iter()
                    .map(|&x| reference::sigmoid_f64(f64::from(x)))
                    .collect()
            } else {
                x.iter()
                    .zip(&dy)
                    .map(|(&y, &d)| reference::sigmoid_backward_f64(y, d))
                    .collect()
            });
            let mut got = vec![0.0f32; x.len()];
            let mut out = empty();
            for (k, s) in kernels.iter().zip(&mut out) {
                match call(k) {
                    Some(Call::Forward(f)) => f(&x, &mut got),
                    Some(Call::TryForward(f)) => {
                        if let Err(e) = f(&x, &mut got) {
                            got.fill(f32::NAN);
                            s.failed.get_or_insert(e);
                        }
                    }
                    Some(Call::Backward(f)) => f(&x, &dy, &mut got),
                    None => continue,
                }
                accumulate(s, k.metric, &x, &dy, &got, &want);
            }
            tick();
            out
        })
        .reduce(empty, |a, b| {
            a.into_iter().zip(b).map(|(a, b)| a.merge(b)).collect()
        })
}

/// A deterministic pseudo-random `u32` from `i` (splitmix-style hash).
fn hash(i: u64) -> u32 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as u32
}

/// An upstream gradient for backward sweeps: ±(1..2)·2^k, k in [−20, 20).
fn grad(i: u64) -> f32 {
    let h = hash(i ^ 0xdead_beef);
    let mag = 1.0 + (h >> 8) as f32 / (1u32 << 24) as f32;
    let sign = if h & 1 == 0 { 1.0 } else { -1.0 };
    sign * mag * 2f32.powi((h >> 1 & 63) as i32 % 40 - 20)
}

/// The stratified sample, sorted by value: `per_binade` mantissas for each
/// sign and exponent (NaNs included) plus `dense` points evenly on [−20, 20].
pub fn sample(per_binade: u32, dense: u32) -> Vec<f32> {
    let step = (1u32 << 23) / per_binade;
    let mut x: Vec<f32> = (0..512u32)
        .flat_map(|top| {
            (0..per_binade).map(move |j| {
                let m = j * step + hash(u64::from(top << 16 | j)) % step;
                f32::from_bits(top << 23 | m)
            })
        })
        .chain((0..=dense).map(|i| -20.0 + 40.0 * i as f32 / dense as f32))
        .collect();
    x.sort_by(f32::total_cmp);
    x.dedup_by(|a, b| a.to_bits() == b.to_bits());
    x
}

/// Stats of each kernel in `kernels` over the given sorted forward inputs
/// (backward kernels get `y = σ(x)` for x ≥ −104, with pseudo-random `dy`).
pub fn sample_stats(kernels: &[&Kernel], x: &[f32]) -> Vec<Stats> {
    let (bwd, fwd): (Vec<&Kernel>, Vec<&Kernel>) = kernels.iter().partition(|k| is_backward(k));
    let chunks = x.len().div_ceil(CHUNK);
    let fs = sweep(
        &fwd,
        chunks,
        |c, xs, _| xs.extend_from_slice(&x[c * CHUNK..x.len().min((c + 1) * CHUNK)]),
        || {},
    );
    let ys: Vec<f32> = x.iter().map(|&x| reference::sigmoid(x)).collect();
    let bs = sweep(
        &bwd,
        chunks,
        |c, xs, dy| {
            let r = c * CHUNK..ys.len().min((c + 1) * CHUNK);
            dy.extend(r.clone().map(|i| grad(i as u64)));
            xs.extend_from_slice(&ys[r]);
        },
        || {},
    );
    in_kernel_order(kernels, fs, bs)
}

/// Merges the forward and backward results back into the order of `kernels`.
fn in_kernel_order(kernels: &[&Kernel], fs: Vec<Stats>, bs: Vec<Stats>) -> Vec<Stats> {
    let (mut fs, mut bs) = (fs.into_iter(), bs.into_iter());
    kernels
        .iter()
        .map(|k| if is_backward(k) { bs.next() } else { fs.next() })
        .map(|s| s.expect("one stats per kernel"))
        .collect()
}

fn exhaustive_stats(kernels: &[&Kernel]) -> Vec<Stats> {
    let (bwd, fwd): (Vec<&Kernel>, Vec<&Kernel>) = kernels.iter().partition(|k| is_backward(k));
    let fchunks = if fwd.is_empty() {
        0
    } else {
        (1usize << 32) / CHUNK
    };
    let bchunks = if bwd.is_empty() {
        0
    } else {
        (ONE_BITS as usize + 1).div_ceil(CHUNK)
    };
    let pb = Progress::new((fchunks + bchunks) as u64, "chunks");
    let fs = sweep(
        &fwd,
        fchunks,
        |c, xs, _| {
            let base = (c * CHUNK) as u32;
            xs.extend((0..CHUNK as u32).map(|i| f32::from_bits(base + i)));
        },
        || pb.inc(1),
    );
    let bs = sweep(
        &bwd,
        bchunks,
        |c, ys, dy| {
            let r = (c * CHUNK) as u32..(((c + 1) * CHUNK) as u32).min(ONE_BITS + 1);
            ys.extend(r.clone().map(f32::from_bits));
            dy.extend(r.map(|b| grad(u64::from(b))));
        },
        || pb.inc(1),
    );
    pb.finish();
    in_kernel_order(kernels, fs, bs)
}

/// The special inputs and what every σ kernel with a contract must give.
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

fn cell(w: &Worst, backward: bool) -> String {
    if backward {
        format!("{:.3e} @ y={:e} dy={:e}", w.err, w.x, w.dy)
    } else {
        format!("{:.3e} @ {:e}", w.err, w.x)
    }
}

/// Input scales of the 8-bit parameter grid.
const GRID_SCALES: [f32; 6] = [20.0 / 255.0, 1.0 / 16.0, 0.1, 0.5, 1.0 / 256.0, 3.0];
/// Input zero points of the `i8` grid.
const GRID_I8_ZP: [i32; 5] = [-128, -37, 0, 64, 127];
/// Input zero points of the `u8` grid.
const GRID_U8_ZP: [i32; 5] = [0, 77, 128, 200, 255];
/// Output (scale, zero point) pairs of the grid: the default, the other
/// common 1/255, and one that clamps.
const GRID_OUT_SCALES: [f32; 3] = [1.0 / 256.0, 1.0 / 255.0, 0.01];

/// The correctly rounded code: `clamp(round_half_away(σ(s_in·(q − z_in)) /
/// s_out) + z_out, min, max)`.
fn want_code(input: QuantParams, output: QuantParams, q: i32, (min, max): (i32, i32)) -> i32 {
    let x = f64::from(input.scale) * f64::from(q - input.zero_point);
    let y = reference::sigmoid_f64(x) / f64::from(output.scale);
    (y.round() + f64::from(output.zero_point)).clamp(f64::from(min), f64::from(max)) as i32
}

/// The worst LSB error of one quantized kernel over its exhaustive sweep.
struct QuantCheck {
    /// Parameter sets (or Q formats) tried.
    sets: usize,
    /// Inputs checked, all sets together.
    inputs: u64,
    /// Max |got − want| in output codes, and where: (parameters, input code,
    /// got, want).
    worst: (i32, String),
}

impl QuantCheck {
    fn update(&mut self, err: i32, at: impl FnOnce() -> String) {
        if err > self.worst.0 || self.inputs == 0 {
            self.worst = (err, at());
        }
    }
}

/// Every code of `min..=max`, twice, plus a 19-element tail: long enough for
/// the SIMD main loop and its tail path.
fn codes(min: i32, max: i32) -> Vec<i32> {
    (min..=max).chain(min..=max).chain(min..min + 19).collect()
}

/// An 8-bit kernel over [`codes`] for every input scale, zero point in `zps`
/// and output scale of the grid (output zero point `out_zp`, and 10 with
/// scale 0.01 so that the clamp is exercised). `run(input, output, x)` gives
/// the output codes.
fn lut_check(
    range: (i32, i32),
    zps: &[i32],
    out_zp: i32,
    run: impl Fn(QuantParams, QuantParams, &[i32]) -> Vec<i32>,
) -> QuantCheck {
    let mut c = QuantCheck {
        sets: 0,
        inputs: 0,
        worst: (0, String::new()),
    };
    let x = codes(range.0, range.1);
    for &scale in &GRID_SCALES {
        for &zp in zps {
            for &os in &GRID_OUT_SCALES {
                let input = QuantParams::new(scale, zp);
                let output = QuantParams::new(os, if os == 0.01 { 10 } else { out_zp });
                let y = run(input, output, &x);
                for (&q, &got) in x.iter().zip(&y) {
                    let want = want_code(input, output, q, range);
                    c.update((got - want).abs(), || {
                        format!(
                            "in {scale:e}@{zp}, out {os:e}@{}, q={q}: got {got}, want {want}",
                            output.zero_point
                        )
                    });
                    c.inputs += 1;
                }
                c.sets += 1;
            }
        }
    }
    c
}

/// `q15` for every Q format n in 0..=15 over all 65536 inputs, against
/// `min(round(σ(q/2^n)·2^15), 32767)`.
fn q15_check() -> QuantCheck {
    let mut c = QuantCheck {
        sets: 0,
        inputs: 0,
        worst: (0, String::new()),
    };
    let x: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    let mut y = vec![0i16; x.len()];
    for n in 0..=15 {
        Q15Sigmoid::new(n).expect("n <= 15").apply(&x, &mut y);
        for (&q, &got) in x.iter().zip(&y) {
            let s = reference::sigmoid_f64(f64::from(q) / f64::from(1u32 << n));
            let want = (s * 32768.0).round().min(32767.0) as i32;
            c.update((i32::from(got) - want).abs(), || {
                format!("Q{}.{n}, q={q}: got {got}, want {want}", 15 - n)
            });
            c.inputs += 1;
        }
        c.sets += 1;
    }
    c
}

/// The exhaustive check of one quantized kernel (`None` for the others).
fn quant_check(k: &Kernel) -> Option<QuantCheck> {
    match &k.run {
        Run::Int8(_, b) => {
            let b = *b;
            Some(lut_check((-128, 127), &GRID_I8_ZP, -128, move |i, o, x| {
                let s = Int8Sigmoid::with_output(i, o).expect("the grid is valid");
                let x: Vec<i8> = x.iter().map(|&q| q as i8).collect();
                let mut y = vec![0i8; x.len()];
                s.apply_with(b, &x, &mut y);
                y.into_iter().map(i32::from).collect()
            }))
        }
        Run::Uint8(_, b) => {
            let b = *b;
            Some(lut_check((0, 255), &GRID_U8_ZP, 0, move |i, o, x| {
                let s = Uint8Sigmoid::with_output(i, o).expect("the grid is valid");
                let x: Vec<u8> = x.iter().map(|&q| q as u8).collect();
                let mut y = vec![0u8; x.len()];
                s.apply_with(b, &x, &mut y);
                y.into_iter().map(i32::from).collect()
            }))
        }
        Run::Q15(_) => Some(q15_check()),
        Run::Forward(_) | Run::Backward(_) | Run::Device { .. } => None,
    }
}

/// The quantized table: one row per kernel; failures appended to `failures`.
fn quant_rows(ks: &[&Kernel], failures: &mut Vec<String>) -> Vec<Vec<String>> {
    let checks: Vec<Option<QuantCheck>> = ks.par_iter().map(|k| quant_check(k)).collect();
    let mut rows = Vec::new();
    for (k, c) in ks.iter().zip(checks) {
        let (Some(c), Metric::Lsb(bound)) = (c, k.metric) else {
            continue;
        };
        let ok = f64::from(c.worst.0) <= bound;
        if !ok {
            failures.push(format!(
                "{} {} [{}]: {} LSB > {bound} LSB at {}",
                k.name, k.tier, k.backend, c.worst.0, c.worst.1
            ));
        }
        rows.push(vec![
            k.name.to_string(),
            k.backend.clone(),
            c.sets.to_string(),
            c.inputs.to_string(),
            if c.worst.0 == 0 {
                "0 LSB (every input)".into()
            } else {
                format!("{} LSB @ {}", c.worst.0, c.worst.1)
            },
            kernels::quant_abs(k).map_or("-".into(), |e| format!("{e:.3e}")),
            format!("<= {bound} LSB"),
            if ok { "ok" } else { "FAIL" }.into(),
        ]);
    }
    rows
}

/// Runs the subcommand; `Err` if a documented bound is broken.
pub fn run(args: &Args) -> Result<(), CliError> {
    let reg = kernels::registry(args.filter.as_deref(), true);
    let ks: Vec<&Kernel> = reg.kernels.iter().filter(|k| swept(k)).collect();
    let qs: Vec<&Kernel> = reg
        .kernels
        .iter()
        .filter(|k| matches!(k.metric, Metric::Lsb(_)))
        .collect();
    if ks.is_empty() && qs.is_empty() {
        return Err(CliError::Usage(
            "no kernel matches --filter; see `bench` for the list".into(),
        ));
    }
    let t = std::time::Instant::now();
    let stats = if args.exhaustive {
        outln!(
            "exhaustive sweep: all 2^32 inputs; backward: every y in [0, 1]; {} threads",
            rayon::current_num_threads()
        );
        exhaustive_stats(&ks)
    } else {
        let x = sample(2048, 1 << 20);
        outln!(
            "stratified sample: {} inputs (every sign and exponent, plus a dense grid on [-20, 20]); --exhaustive for all 2^32",
            x.len()
        );
        sample_stats(&ks, &x)
    };
    let mut failures = Vec::new();
    let mut rows = Vec::new();
    for (k, s) in ks.iter().zip(&stats) {
        let bwd = is_backward(k);
        let bound = match k.metric {
            Metric::Ulp(Some(b)) => format!("<= {b} ULP"),
            Metric::UlpRelBound(r) => format!("rel <= {r:e}"),
            Metric::UlpNormal(b) => format!("<= {b} ULP where σ >= 2^-126"),
            Metric::Abs(b) => format!("abs <= {b:.4}"),
            Metric::Ulp(None) | Metric::Lsb(_) | Metric::None => "none".into(),
        };
        let has_bound = bound != "none";
        let mut verdict = if has_bound { "ok" } else { "-" }.to_string();
        if let Some(e) = &s.failed {
            failures.push(format!("{} {} [{}]: {e}", k.name, k.tier, k.backend));
            verdict = "FAIL".into();
        }
        if s.violations > 0 {
            let (x, dy, got, want) = s.example.expect("an example of each violation");
            let at = if bwd {
                format!("y={x:e} dy={dy:e}")
            } else {
                format!("x={x:e}")
            };
            failures.push(format!(
                "{} {} [{}]: {} inputs break {bound}, e.g. {at}: got {got:e}, want {want:e}",
                k.name, k.tier, k.backend, s.violations
            ));
            verdict = "FAIL".into();
        }
        let monotone = if k.monotone { s.monotone } else { 0 };
        if has_bound && !bwd && (s.out_of_range > 0 || monotone > 0) {
            failures.push(format!(
                "{} {} [{}]: {} outputs outside [0, 1], {} monotonicity violations",
                k.name, k.tier, k.backend, s.out_of_range, monotone
            ));
            verdict = "FAIL".into();
        }
        let na = || "-".to_string();
        rows.push(vec![
            k.name.to_string(),
            k.tier.to_string(),
            k.backend.clone(),
            s.n.to_string(),
            cell(&s.ulp, bwd),
            cell(&s.abs, bwd),
            cell(&s.rel, bwd),
            if bwd {
                na()
            } else {
                s.out_of_range.to_string()
            },
            match (bwd, k.monotone) {
                (true, _) => na(),
                (false, true) => s.monotone.to_string(),
                (false, false) => format!("{} (not required)", s.monotone),
            },
            bound,
            verdict,
        ]);
    }
    let head = [
        "kernel",
        "tier",
        "backend",
        "inputs",
        "max ULP @ input",
        "max abs @ input",
        "max rel @ input",
        "outside [0,1]",
        "non-monotone",
        "bound",
        "verdict",
    ];
    if !ks.is_empty() {
        out!("{}", super::text_table(&head, &rows));
        outln!();
        special_values(&ks, &mut failures);
    }
    if !qs.is_empty() {
        outln!(
            "\nquantized kernels, exhaustive: every input code for each parameter set (8-bit: {} input scales x {} zero points x {} outputs; q15: every Q format n = 0..=15), against the correctly rounded result from the f64 oracle:",
            GRID_SCALES.len(),
            GRID_I8_ZP.len(),
            GRID_OUT_SCALES.len()
        );
        let rows = quant_rows(&qs, &mut failures);
        let head = [
            "kernel",
            "backend (bench parameters)",
            "parameter sets",
            "inputs",
            "max LSB error @ where",
            "max abs vs σ (bench parameters, dequantized)",
            "bound",
            "verdict",
        ];
        out!("{}", super::text_table(&head, &rows));
    }
    for line in &reg.absent {
        outln!("absent: {line}");
    }
    outln!(
        "\n{} kernels checked in {:.1?}",
        ks.len() + qs.len(),
        t.elapsed()
    );
    if failures.is_empty() {
        outln!("PASS: every documented bound holds");
        Ok(())
    } else {
        for f in &failures {
            outln!("FAIL: {f}");
        }
        Err(CliError::Failed(format!(
            "{} documented bound(s) broken",
            failures.len()
        )))
    }
}

/// The special-values table of the forward kernels in `ks`.
fn special_values(ks: &[&Kernel], failures: &mut Vec<String>) {
    outln!("special values (! = breaks the contract NaN->NaN, -inf->0, +-0->0.5, +inf->1):");
    let mut head = vec!["kernel".to_string(), "tier".into(), "backend".into()];
    head.extend(SPECIALS.iter().map(|s| s.0.to_string()));
    let mut rows = Vec::new();
    for k in ks {
        let x = SPECIALS.map(|s| s.1);
        let mut y = [0.0f32; SPECIALS.len()];
        match call(k) {
            Some(Call::Forward(f)) => f(&x, &mut y),
            Some(Call::TryForward(f)) => {
                if let Err(e) = f(&x, &mut y) {
                    failures.push(format!("{} {} [{}]: {e}", k.name, k.tier, k.backend));
                    continue;
                }
            }
            Some(Call::Backward(_)) | None => continue,
        }
        let mut row = vec![k.name.to_string(), k.tier.to_string(), k.backend.clone()];
        for ((name, _, want), got) in SPECIALS.iter().zip(y) {
            let exact_required = *name != "1";
            let ok = if want.is_nan() {
                got.is_nan()
            } else {
                got == *want || !exact_required
            };
            let contract = k.metric != Metric::Ulp(None);
            if !ok && contract {
                failures.push(format!(
                    "{} {} [{}]: sigma({name}) = {got:e}, want {want:e}",
                    k.name, k.tier, k.backend
                ));
            }
            row.push(format!("{got:e}{}", if ok { "" } else { "!" }));
        }
        rows.push(row);
    }
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    out!("{}", super::text_table(&head, &rows));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inv_ulp_is_the_reference_ulp_inverted() {
        for x in sample(64, 1000) {
            let w = reference::sigmoid_f64(f64::from(x));
            for v in [w, f64::from(x), f64::from(x) * 1e-3] {
                assert_eq!(inv_ulp(v), 1.0 / reference::ulp_f32(v), "{v:e}");
            }
        }
    }

    #[test]
    fn monotonicity_is_checked_across_chunks() {
        let a = Stats {
            ends: Some(((0.0, 0.5), (1.0, 0.7))),
            ..Stats::default()
        };
        let b = Stats {
            ends: Some(((2.0, 0.6), (3.0, 0.9))),
            ..Stats::default()
        };
        let m = a.merge(b);
        assert_eq!(m.monotone, 1);
        assert_eq!(m.ends, Some(((0.0, 0.5), (3.0, 0.9))));
        assert!(!wrong_way((1.0, f32::NAN), (2.0, 0.0)));
    }

    #[test]
    fn fast_bound_allows_flush_only_below_min_normal() {
        let m = Metric::UlpRelBound(1e-4);
        assert!(!breaks(m, 0.0, 0.0, 0.5, 0.500_04));
        assert!(breaks(m, 0.0, 0.0, 0.5, 0.5001));
        assert!(!breaks(m, 0.0, 0.0, 0.0, 1e-40));
        assert!(breaks(m, 0.0, 0.0, -1e-45, 1e-40));
        assert!(breaks(m, 0.0, 0.0, f32::NAN, 0.5));
        assert!(!breaks(m, 0.0, 0.0, f32::NAN, f64::NAN));
    }

    #[test]
    fn gpu_bound_allows_any_flush_below_min_normal() {
        let m = Metric::UlpNormal(4.0);
        assert!(!breaks(m, 4.0, 0.0, 0.5, 0.5));
        assert!(breaks(m, 4.5, 0.0, 0.5, 0.5));
        assert!(!breaks(m, 1e9, 0.0, 0.0, 1e-40));
        assert!(breaks(m, 1e9, 0.0, -1e-45, 1e-40));
        assert!(breaks(m, 0.0, 0.0, f32::NAN, 0.5));
        assert!(breaks(Metric::Abs(0.07), 0.0, 0.071, 0.5, 0.5));
    }

    #[test]
    fn quantized_kernels_are_exact_and_q15_within_one_lsb() {
        let c = lut_check((-128, 127), &[0], -128, |i, o, x| {
            let s = Int8Sigmoid::with_output(i, o).unwrap();
            x.iter().map(|&q| i32::from(s.lookup(q as i8))).collect()
        });
        assert_eq!(c.worst.0, 0, "{}", c.worst.1);
        assert_eq!(c.sets, GRID_SCALES.len() * GRID_OUT_SCALES.len());
        assert!(q15_check().worst.0 <= 1);
    }
}
