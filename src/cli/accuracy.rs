//! `accuracy`: sweeps `f32` inputs through every float kernel of the registry
//! and checks each against the `f64` oracle and its documented bound.
//!
//! The default is a stratified sample (every sign and exponent, evenly spaced
//! mantissas, plus a dense grid on [−20, 20]); `--exhaustive` runs all 2^32
//! bit patterns (and every `y` in [0, 1] for the backward kernels from the
//! saved output; the gradient from the input gets every `x` with
//! pseudo-random `dy`) in chunks on all rayon threads. Each function
//! (`check::Func`: σ, its gradients, softplus, log-sigmoid) is swept
//! separately; its oracle is evaluated once per chunk and shared by its
//! kernels. Also used by `bench` for its quick error column.
//!
//! Quantized kernels are checked separately, exhaustively: every input code
//! for a grid of quantization parameters (8-bit) or of Q formats (`q15`),
//! against the correctly rounded result computed from the oracle, in output
//! codes (LSBs).

use super::kernels::{self, Binary, Kernel, Metric, Run, TryUnary, Unary};
use super::{CliError, Progress};
use rayon::prelude::*;
use sigmoid_kernels::check::{self, Bound, Func, QuantWorst, Rng, Stats, CHUNK, SPECIALS};
use sigmoid_kernels::quant::{Int8Sigmoid, QuantParams, Uint8Sigmoid};
use sigmoid_kernels::reference;

/// The last `y` a forward kernel can produce: 1.0.
const ONE_BITS: u32 = 0x3f80_0000;

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

/// The `accuracy --help` text after the options: every documented bound,
/// from [`kernels::BOUNDS`].
pub fn help() -> String {
    let mut lines = vec!["Documented bounds (exit status 1 if one is broken):".to_string()];
    for (name, m) in kernels::BOUNDS {
        let bound = match m {
            Metric::Bound(b) => b.to_string(),
            Metric::Lsb(l) => format!("<= {l} LSB from the correctly rounded code"),
            Metric::Ulp | Metric::None => continue,
        };
        lines.push(format!("  {name:<20} {bound}"));
    }
    lines.join("\n")
}

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
        Run::Device { check: None, .. }
        | Run::Int8(..)
        | Run::Uint8(..)
        | Run::Q15(_)
        | Run::Half16 { .. }
        | Run::Read(_) => None,
    }
}

/// Whether `k` takes a gradient (its table columns for range and
/// monotonicity do not apply).
fn is_backward(k: &Kernel) -> bool {
    k.func.takes_dy()
}

/// Whether the float sweep checks `k`: it has a host call and an error.
pub fn swept(k: &Kernel) -> bool {
    call(k).is_some() && !matches!(k.metric, Metric::None | Metric::Lsb(_))
}

/// `k`'s bound; kernels without one (the naive loop, the oracle) are swept
/// for their errors under a bound nothing breaks.
fn bound(k: &Kernel) -> Bound {
    match k.metric {
        Metric::Bound(b) => b,
        _ => Bound::Ulp(f64::INFINITY),
    }
}

/// [`check::sweep`] over swept kernels; the first device error of a kernel
/// comes back with its stats.
fn sweep(
    f: check::Func,
    kernels: &[&Kernel],
    chunks: usize,
    gen: impl Fn(usize, &mut Vec<f32>, &mut Vec<f32>) + Sync,
    tick: impl Fn() + Sync,
) -> Vec<(Stats, Option<String>)> {
    check::sweep(
        f,
        kernels,
        chunks,
        gen,
        |k, x, dy, out| {
            let b = bound(k);
            match call(k) {
                Some(Call::Forward(f)) => f(x, out),
                Some(Call::TryForward(f)) => f(x, out).map_err(|e| (b, e))?,
                Some(Call::Backward(f)) => f(x, dy, out),
                None => unreachable!("only swept kernels are swept"),
            }
            Ok(b)
        },
        tick,
    )
}

/// An upstream gradient for backward sweeps: ±(1..2)·2^k, k in [−20, 20).
fn grad(i: u64) -> f32 {
    let h = Rng::at(i ^ 0xdead_beef);
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
                let m = j * step + Rng::at(u64::from(top << 16 | j)) % step;
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
pub fn sample_stats(kernels: &[&Kernel], x: &[f32]) -> Vec<(Stats, Option<String>)> {
    let chunks = x.len().div_ceil(CHUNK);
    let ys: Vec<f32> = x.iter().map(|&x| reference::sigmoid(x)).collect();
    stats(
        kernels,
        chunks,
        chunks,
        || {},
        |c, xs| {
            xs.extend_from_slice(&x[c * CHUNK..x.len().min((c + 1) * CHUNK)]);
        },
        |c, ys_out, dy| {
            let r = c * CHUNK..ys.len().min((c + 1) * CHUNK);
            dy.extend(r.clone().map(|i| grad(i as u64)));
            ys_out.extend_from_slice(&ys[r]);
        },
    )
}

/// The kernels of `kernels`, one sweep per function they compute: the
/// forward ones over `fchunks` chunks of `fwd`'s inputs, the gradient from
/// the input over the same inputs with [`grad`] gradients, the gradient
/// from the saved output over `bchunks` chunks of `bwd`'s; merged back
/// into the order of `kernels`.
fn stats(
    kernels: &[&Kernel],
    fchunks: usize,
    bchunks: usize,
    tick: impl Fn() + Sync,
    fwd: impl Fn(usize, &mut Vec<f32>) + Sync,
    bwd: impl Fn(usize, &mut Vec<f32>, &mut Vec<f32>) + Sync,
) -> Vec<(Stats, Option<String>)> {
    let mut out: Vec<Option<(Stats, Option<String>)>> = vec![None; kernels.len()];
    for f in Func::ALL {
        let idx: Vec<usize> = (0..kernels.len())
            .filter(|&i| kernels[i].func == f)
            .collect();
        if idx.is_empty() {
            continue;
        }
        let ks: Vec<&Kernel> = idx.iter().map(|&i| kernels[i]).collect();
        let res = match f {
            Func::Backward => sweep(f, &ks, bchunks, &bwd, &tick),
            Func::BackwardFromInput | Func::SiluBackward => sweep(
                f,
                &ks,
                fchunks,
                |c, x, dy| {
                    fwd(c, x);
                    let base = (c * CHUNK) as u64;
                    dy.extend((0..x.len() as u64).map(|i| grad(base + i)));
                },
                &tick,
            ),
            _ => sweep(f, &ks, fchunks, |c, x, _| fwd(c, x), &tick),
        };
        for (i, r) in idx.into_iter().zip(res) {
            out[i] = Some(r);
        }
    }
    out.into_iter()
        .map(|s| s.expect("one stats per kernel"))
        .collect()
}

fn exhaustive_stats(kernels: &[&Kernel]) -> Vec<(Stats, Option<String>)> {
    let fchunks = (1usize << 32) / CHUNK;
    let bchunks = (ONE_BITS as usize + 1).div_ceil(CHUNK);
    let total: usize = Func::ALL
        .into_iter()
        .filter(|&f| kernels.iter().any(|k| k.func == f))
        .map(|f| {
            if f == Func::Backward {
                bchunks
            } else {
                fchunks
            }
        })
        .sum();
    let pb = Progress::new(total as u64, "chunks");
    let s = stats(
        kernels,
        fchunks,
        bchunks,
        || pb.inc(1),
        check::all_bits,
        |c, ys, dy| {
            let r = (c * CHUNK) as u32..(((c + 1) * CHUNK) as u32).min(ONE_BITS + 1);
            ys.extend(r.clone().map(f32::from_bits));
            dy.extend(r.map(|b| grad(u64::from(b))));
        },
    );
    pb.finish();
    s
}

fn cell(w: &check::Worst) -> String {
    format!("{:.3e} @ {}", w.err, w.input())
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

/// An 8-bit kernel over [`check::codes`] for every input scale, zero point in
/// `zps` and output scale of the grid (output zero point `out_zp`, and 10
/// with scale 0.01 so that the clamp is exercised). `run(input, output, x)`
/// gives the output codes.
fn lut_check(
    range: (i32, i32),
    zps: &[i32],
    out_zp: i32,
    run: impl Fn(QuantParams, QuantParams, &[i32]) -> Vec<i32>,
) -> QuantWorst {
    let mut c = QuantWorst::default();
    let x = check::codes(range);
    for &scale in &GRID_SCALES {
        for &zp in zps {
            for &os in &GRID_OUT_SCALES {
                let input = QuantParams::new(scale, zp);
                let output = QuantParams::new(os, if os == 0.01 { 10 } else { out_zp });
                let y = run(input, output, &x);
                c.add(input, output, range, &x, &y, || {
                    format!("in {scale:e}@{zp}, out {os:e}@{}", output.zero_point)
                });
            }
        }
    }
    c
}

/// The exhaustive check of one quantized kernel (`None` for the others).
fn quant_check(k: &Kernel) -> Option<QuantWorst> {
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
        Run::Q15(_) => Some(check::q15_worst(0..=15)),
        Run::Forward(_)
        | Run::Backward(_)
        | Run::Device { .. }
        | Run::Half16 { .. }
        | Run::Read(_) => None,
    }
}

/// The quantized table: one row per kernel; failures appended to `failures`.
fn quant_rows(ks: &[&Kernel], failures: &mut Vec<String>) -> Vec<Vec<String>> {
    let checks: Vec<Option<QuantWorst>> = ks.par_iter().map(|k| quant_check(k)).collect();
    let mut rows = Vec::new();
    for (k, c) in ks.iter().zip(checks) {
        let (Some(c), Metric::Lsb(bound)) = (c, k.metric) else {
            continue;
        };
        let ok = c.lsb <= bound;
        if !ok {
            failures.push(format!(
                "{} {} [{}]: {} LSB > {bound} LSB at {}",
                k.name, k.tier, k.backend, c.lsb, c.at
            ));
        }
        rows.push(vec![
            k.name.to_string(),
            k.backend.clone(),
            c.sets.to_string(),
            c.inputs.to_string(),
            if c.lsb == 0 {
                "0 LSB (every input)".into()
            } else {
                format!("{} LSB @ {}", c.lsb, c.at)
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
    for (k, (s, failed)) in ks.iter().zip(&stats) {
        let bwd = is_backward(k);
        let has_bound = matches!(k.metric, Metric::Bound(_));
        let mut broken: Vec<String> = failed.iter().cloned().collect();
        if has_bound {
            broken.extend(s.failures(bound(k), k.monotone));
        }
        for f in &broken {
            failures.push(format!("{} {} [{}]: {f}", k.name, k.tier, k.backend));
        }
        let verdict = match (has_bound, broken.is_empty()) {
            (_, false) => "FAIL",
            (true, true) => "ok",
            (false, true) => "-",
        };
        let na = || "-".to_string();
        rows.push(vec![
            k.name.to_string(),
            k.tier.to_string(),
            k.backend.clone(),
            s.n.to_string(),
            cell(&s.ulp),
            cell(&s.abs),
            cell(&s.rel),
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
            if has_bound {
                bound(k).to_string()
            } else {
                "none".into()
            },
            verdict.into(),
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
        "outside range",
        "non-monotone",
        "bound",
        "verdict",
    ];
    if !ks.is_empty() {
        out!("{}", super::text_table(&head, &rows));
        for (k, (s, _)) in ks.iter().zip(&stats) {
            if k.func == Func::SigmoidCr {
                outln!(
                    "{} [{}]: {} of {} inputs not correctly rounded",
                    k.name,
                    k.backend,
                    s.violations,
                    s.n
                );
            }
        }
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

/// The special-values table of the σ kernels in `ks` (the others' special
/// values are checked by their tests).
fn special_values(ks: &[&Kernel], failures: &mut Vec<String>) {
    outln!("special values (! = breaks the contract NaN->NaN, -inf->+0, +-0->0.5, +inf->1):");
    let mut head = vec!["kernel", "tier", "backend"];
    head.extend(SPECIALS.iter().map(|s| s.0));
    let mut rows = Vec::new();
    for k in ks
        .iter()
        .filter(|k| matches!(k.func, Func::Sigmoid | Func::SigmoidCr))
    {
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
        for (i, ((name, _, want), got)) in SPECIALS.iter().zip(y).enumerate() {
            let ok = check::special_ok(i, got);
            if !ok && matches!(k.metric, Metric::Bound(_)) {
                failures.push(format!(
                    "{} {} [{}]: sigma({name}) = {got:e}, want {want:e}",
                    k.name, k.tier, k.backend
                ));
            }
            row.push(format!("{got:e}{}", if ok { "" } else { "!" }));
        }
        rows.push(row);
    }
    out!("{}", super::text_table(&head, &rows));
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigmoid_kernels::quant::Q15Sigmoid;

    #[test]
    fn quantized_kernels_are_exact_and_q15_within_one_lsb() {
        let c = lut_check((-128, 127), &[0], -128, |i, o, x| {
            let s = Int8Sigmoid::with_output(i, o).unwrap();
            x.iter().map(|&q| i32::from(s.lookup(q as i8))).collect()
        });
        assert_eq!(c.lsb, Int8Sigmoid::MAX_LSB, "{}", c.at);
        assert_eq!(c.sets, GRID_SCALES.len() * GRID_OUT_SCALES.len());
        assert!(check::q15_worst(0..=15).lsb <= Q15Sigmoid::MAX_LSB);
    }

    /// Each function is swept against its own oracle: the registry's
    /// softplus, log-sigmoid, SiLU and gradient kernels pass, and a "softplus"
    /// that returns σ (or a gradient from x fed σ) breaks its bound.
    #[test]
    fn each_function_is_checked_against_its_own_oracle() {
        use sigmoid_kernels::Backend;
        let x = sample(16, 1 << 10);
        let reg = kernels::registry(Some("scalar"), false);
        let mut ks: Vec<&Kernel> = reg
            .kernels
            .iter()
            .filter(|k| swept(k) && k.func != Func::Sigmoid)
            .collect();
        assert_eq!(
            ks.len(),
            10,
            "backward, from input, softplus, log_sigmoid, their fast tiers, sigmoid_cr, silu, silu_fast, silu_backward"
        );
        let wrong = |func, run| Kernel {
            name: "wrong",
            tier: "test",
            backend: "scalar".into(),
            representative: false,
            cpu: None,
            monotone: false,
            func,
            run,
            metric: Metric::Bound(Bound::Ulp(2.0)),
        };
        let w1 = wrong(
            Func::Softplus,
            Run::Forward(Box::new(|x, y| Backend::Scalar.sigmoid(x, y))),
        );
        let w2 = wrong(
            Func::BackwardFromInput,
            Run::Backward(Box::new(|x, dy, dx| {
                Backend::Scalar.sigmoid_backward(x, dy, dx)
            })),
        );
        // The exact tier is within 1 ULP of σ but not correctly rounded
        // everywhere: against the correctly rounded oracle it breaks 0 ULP.
        let w3 = Kernel {
            metric: Metric::Bound(Bound::Ulp(sigmoid_kernels::SIGMOID_CR_MAX_ULP)),
            ..wrong(
                Func::SigmoidCr,
                Run::Forward(Box::new(|x, y| Backend::Scalar.sigmoid(x, y))),
            )
        };
        ks.extend([&w1, &w2, &w3]);
        let st = sample_stats(&ks, &x);
        for (k, (s, _)) in ks.iter().zip(&st) {
            let broken = !s.failures(bound(k), k.monotone).is_empty();
            assert_eq!(
                broken,
                k.name == "wrong",
                "{} {:?}: {:?}",
                k.name,
                k.func,
                s.err
            );
        }
    }

    #[test]
    fn help_lists_every_bound_from_its_constant() {
        let h = help();
        for b in [
            Bound::Ulp(sigmoid_kernels::SIGMOID_MAX_ULP),
            Bound::Rel(sigmoid_kernels::SIGMOID_FAST_MAX_REL),
            Bound::Abs(sigmoid_kernels::PLAN_SIGMOID_MAX_ABS),
        ] {
            assert!(h.contains(&b.to_string()), "{b} missing:\n{h}");
        }
    }
}
