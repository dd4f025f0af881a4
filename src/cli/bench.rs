//! `bench`: times the kernels of the registry at each size. The default is a
//! summary that fits 100 columns: each CPU kernel on the best instruction
//! set and on the parallel path, the baselines, and the GPU rows under the
//! device's name. `--all` prints every kernel on every backend (text, or
//! Markdown with `--markdown`, which implies it; JSON to a file with
//! `--json`, always every row).
//!
//! `--pair A B` times two CPU kernels against each other instead: each
//! round one batch of each (about a millisecond, the order swapped every
//! round), and the median of the per-round ratios, so that the machine's
//! slow and fast spells fall on both alike. The speed targets that are
//! ratios (SiLU ÷ σ, the correctly rounded ÷ the exact tier, the parallel
//! tier ÷ a two-thread copy, GradStats ÷ a read pass, the loss ÷ a pass
//! that reads 8 and writes 4 bytes) are measured this way.
//!
//! Each measurement: one warm-up call, then `--reps` timed batches of enough
//! calls to last about a millisecond; the median batch gives the time per
//! call. Inputs are deterministic (evenly spaced on [−12, 12] for forward
//! kernels, σ of them with pseudo-random gradients for backward), allocated
//! once per size; quantized kernels get every input code, repeated). The
//! error column comes from a quick stratified sample run through the same
//! kernel, against the `f64` oracle; for quantized kernels it is the absolute
//! error of the dequantized output against σ of the dequantized input, over
//! every input code.
//!
//! GPU rows (when an adapter exists) are timed by `gpu::bench`: `iters` runs
//! per batch (about a millisecond's worth, at least one), the median batch
//! of `--reps`. The host round trip (σ) includes upload and readback; the
//! device-resident rows (σ, the correctly rounded σ where the device has
//! `SHADER_F64`, SiLU, softplus, log-sigmoid, the fused BCE with logits)
//! are the kernel alone, and their `% copy` is against a buffer-to-buffer
//! copy of the same size on the same device (the loss moves 16 bytes per
//! element, the others 8).

use super::accuracy;
use super::kernels::{self, Kernel, Metric, Run};
use super::{text_table, CliError, Progress};
use sigmoid_kernels::check::Bound;
use sigmoid_kernels::half::{bf16, f16};
use sigmoid_kernels::{reference, Backend};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Options of the `bench` subcommand.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Element counts, comma-separated, with optional K (×1024) or M
    /// (×1024²) suffix.
    #[arg(long, value_delimiter = ',', value_parser = parse_size, default_value = "4K,64K,1M")]
    pub sizes: Vec<usize>,
    /// Rayon threads for the parallel backend and the parallel copy
    /// (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Timed batches per measurement (the median is reported).
    #[arg(long, default_value_t = 11, value_parser = clap::value_parser!(u32).range(1..))]
    pub reps: u32,
    /// Only kernels whose "name tier backend" contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Every kernel on every backend, with GB/s and the oracle, instead of
    /// the summary (one row per kernel on the best instruction set and on
    /// the parallel path, the baselines and the GPU).
    #[arg(long)]
    pub all: bool,
    /// Print the full table (--all) as Markdown.
    #[arg(long)]
    pub markdown: bool,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Time two CPU kernels against each other instead of the table: each
    /// round one batch (about a millisecond) of A and one of B, the order
    /// swapped every round; prints each one's median rate and the median
    /// of the per-round ratios A ÷ B (Melem/s) with its quartiles. A and B
    /// are `--filter` texts that must each match one kernel (`copy
    /// baseline rayon` is the parallel copy).
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with_all = ["all", "markdown", "json", "filter"])]
    pub pair: Vec<String>,
    /// Rounds of `--pair`.
    #[arg(long, default_value_t = 201, value_parser = clap::value_parser!(u32).range(3..))]
    pub rounds: u32,
}

/// Parses `4096`, `4K`, `1M` (binary multiples).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (num, mul) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 1 << 10),
        Some((i, 'M' | 'm')) => (&t[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    num.parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mul))
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            format!("invalid size `{s}`: expected a positive count like 4096, 64K or 1M")
        })
}

/// `4K`, `1M` or the plain number.
fn size_label(n: usize) -> String {
    if n.is_multiple_of(1 << 20) {
        format!("{}M", n >> 20)
    } else if n.is_multiple_of(1 << 10) {
        format!("{}K", n >> 10)
    } else {
        n.to_string()
    }
}

/// One row of the results.
struct Row {
    kernel: &'static str,
    tier: &'static str,
    backend: String,
    /// Where it ran, short: the CPU backend, the GPU tier, or the baseline.
    on: String,
    device: bool,
    /// Whether the summary shows it ([`in_summary`]).
    summary: bool,
    size: usize,
    seconds: f64,
    melem_s: f64,
    gb_s: f64,
    pct_copy: Option<f64>,
    err: Option<f64>,
    unit: &'static str,
}

/// The median time of one call of `f`, over `reps` batches of ~1 ms.
fn time(mut f: impl FnMut(), reps: u32) -> f64 {
    let t = Instant::now();
    f(); // warm-up (page faults, caches, thread wake-up)
    let once = t.elapsed().max(Duration::from_nanos(50));
    let batch = (Duration::from_millis(1).as_nanos() / once.as_nanos()).clamp(1, 100_000) as u32;
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                f();
            }
            t.elapsed().as_secs_f64() / f64::from(batch)
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The inputs of one size, allocated once, and an output buffer per type.
struct Inputs {
    x: Vec<f32>,
    y: Vec<f32>,
    dy: Vec<f32>,
    out: Vec<f32>,
    i8: (Vec<i8>, Vec<i8>),
    u8: (Vec<u8>, Vec<u8>),
    i16: (Vec<i16>, Vec<i16>),
    /// `x` rounded to binary16 and to bfloat16 (bits), and an output.
    half16: [Vec<u16>; 3],
}

impl Inputs {
    fn new(n: usize) -> Inputs {
        let x: Vec<f32> = (0..n).map(|i| -12.0 + 24.0 * i as f32 / n as f32).collect();
        let y = x.iter().map(|&x| reference::sigmoid(x)).collect();
        Inputs {
            y,
            dy: (0..n).map(|i| 1.0 - (i % 7) as f32 * 0.25).collect(),
            out: vec![0.0; n],
            i8: ((0..n).map(|i| i as u8 as i8).collect(), vec![0; n]),
            u8: ((0..n).map(|i| i as u8).collect(), vec![0; n]),
            i16: ((0..n).map(|i| i as u16 as i16).collect(), vec![0; n]),
            half16: [
                x.iter().map(|&v| f16::from_f32(v).to_bits()).collect(),
                x.iter().map(|&v| bf16::from_f32(v).to_bits()).collect(),
                vec![0; n],
            ],
            x,
        }
    }
}

/// The median time of one call of a `gpu::bench` timer over `n` elements:
/// `reps` batches of enough runs to last about a millisecond.
fn time_device(t: &kernels::Timer, n: usize, reps: u32) -> Result<f64, String> {
    let once = t(n, 1)?.max(Duration::from_nanos(50));
    let iters = (Duration::from_millis(1).as_nanos() / once.as_nanos()).clamp(1, 10_000) as u32;
    let mut v = (0..reps)
        .map(|_| Ok(t(n, iters)?.as_secs_f64() / f64::from(iters)))
        .collect::<Result<Vec<f64>, String>>()?;
    v.sort_by(f64::total_cmp);
    Ok(v[v.len() / 2])
}

/// One call of the host kernel `k` on the inputs `d`; `false` (nothing
/// run) for a device row, which `gpu::bench` times instead.
fn call(k: &Kernel, d: &mut Inputs) -> bool {
    let Inputs {
        x,
        y,
        dy,
        out,
        i8,
        u8,
        i16,
        half16: [h16, hb16, h_out],
    } = d;
    match &k.run {
        Run::Forward(f) => f(black_box(x), black_box(&mut *out)),
        Run::Backward(f) => f(black_box(y), black_box(dy), black_box(&mut *out)),
        Run::Int8(s, b) => s.apply_with(*b, black_box(&i8.0), black_box(&mut i8.1)),
        Run::Uint8(s, b) => s.apply_with(*b, black_box(&u8.0), black_box(&mut u8.1)),
        Run::Q15(s) => s.apply(black_box(&i16.0), black_box(&mut i16.1)),
        Run::Half16 { f, bf16 } => {
            let x = if *bf16 { &*hb16 } else { &*h16 };
            f(black_box(x), black_box(&mut *h_out))
        }
        Run::Read(f) => f(black_box(x)),
        Run::Device { .. } => return false,
    }
    true
}

fn measure(k: &Kernel, d: &mut Inputs, reps: u32) -> Result<f64, String> {
    Ok(match &k.run {
        Run::Device { time: timer, .. } => time_device(timer, d.x.len(), reps)?,
        _ => time(
            || {
                call(k, d);
            },
            reps,
        ),
    })
}

/// The max error of each kernel on a quick sample, in its metric's unit.
fn quick_errors(ks: &[Kernel]) -> Vec<Option<f64>> {
    let x = accuracy::sample(64, 1 << 14);
    let swept: Vec<&Kernel> = ks.iter().filter(|k| accuracy::swept(k)).collect();
    let mut stats = accuracy::sample_stats(&swept, &x).into_iter();
    ks.iter()
        .map(|k| {
            if matches!(k.metric, Metric::Lsb(_)) {
                return kernels::quant_abs(k);
            }
            if !accuracy::swept(k) {
                return None;
            }
            let (s, failed) = stats.next().expect("one stats per swept kernel");
            if failed.is_some() {
                return Some(f64::NAN);
            }
            match k.metric {
                Metric::Ulp | Metric::Bound(Bound::Ulp(_)) => Some(s.ulp.err),
                Metric::Bound(Bound::Rel(_) | Bound::UlpNormal(_)) => Some(s.ulp_normal.err),
                Metric::Bound(Bound::Abs(_)) => Some(s.abs.err),
                Metric::Lsb(_) | Metric::None => None,
            }
        })
        .collect()
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<(), CliError> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        pool = pool.num_threads(usize::from(n));
    }
    let pool = pool
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the thread pool: {e}")))?;
    pool.install(|| run_in_pool(args))
}

/// Whether the summary shows `k`: a CPU kernel on the best instruction set
/// or the parallel path, a baseline, a GPU row; not the oracle. With a
/// `--filter`, everything it matches.
fn in_summary(k: &Kernel, args: &Args) -> bool {
    args.filter.is_some()
        || match k.cpu {
            Some(b) => b == Backend::best_simd() || b == Backend::Parallel,
            None => k.tier != "oracle",
        }
}

/// The summary's short "on" cell for `k`.
fn short_on(k: &Kernel) -> String {
    match k.cpu {
        Some(b) => b.name().into(),
        None if k.on_device() => k.tier.into(),
        None => k.backend.split(',').next().unwrap_or_default().into(),
    }
}

fn run_in_pool(args: &Args) -> Result<(), CliError> {
    if let [a, b] = &args.pair[..] {
        return pair(args, a, b);
    }
    let reg = kernels::registry(args.filter.as_deref(), true);
    let full = args.all || args.markdown || args.json.is_some();
    let mut ks = reg.kernels;
    if !full {
        ks.retain(|k| in_summary(k, args));
    }
    let mut absent = reg.absent;
    if ks.is_empty() {
        return Err(CliError::Usage(
            "no kernel matches --filter; run `bench` without it for the list".into(),
        ));
    }
    let errs = quick_errors(&ks);
    let copy_baseline = kernels::host_copy();
    // The device copy, measured first at each size, is the baseline of the
    // device-resident rows.
    let device_copy = ks.iter().position(|k| k.on_device() && k.name == "copy");
    let mut order: Vec<usize> = device_copy.into_iter().collect();
    order.extend((0..ks.len()).filter(|&i| Some(i) != device_copy));
    let pb = Progress::new((ks.len() * args.sizes.len()) as u64, "measurements");
    let mut rows = Vec::new();
    for &n in &args.sizes {
        let mut d = Inputs::new(n);
        let copy_s = measure(&copy_baseline, &mut d, args.reps).map_err(CliError::Failed)?;
        let copy_gb_s = (8 * n) as f64 / copy_s / 1e9;
        let mut device_gb_s = None;
        let mut sized = Vec::new();
        for &i in &order {
            let (k, err) = (&ks[i], errs[i]);
            pb.set_message(format!("{} {} {}", k.name, k.backend, size_label(n)));
            let s = if k.backend == copy_baseline.backend {
                copy_s
            } else {
                match measure(k, &mut d, args.reps) {
                    Ok(s) => s,
                    Err(e) => {
                        absent.push(format!("{} {} at {}: {e}", k.name, k.tier, size_label(n)));
                        pb.inc(1);
                        continue;
                    }
                }
            };
            let gb_s = (k.bytes_per_elem() * n) as f64 / s / 1e9;
            if Some(i) == device_copy {
                device_gb_s = Some(gb_s);
            }
            let pct_copy = if k.on_device() {
                device_gb_s.map(|c| 100.0 * gb_s / c)
            } else {
                Some(100.0 * gb_s / copy_gb_s)
            };
            sized.push((
                i,
                Row {
                    kernel: k.name,
                    tier: k.tier,
                    backend: k.backend.clone(),
                    on: short_on(k),
                    device: k.on_device(),
                    summary: in_summary(k, args),
                    size: n,
                    seconds: s,
                    melem_s: n as f64 / s / 1e6,
                    gb_s,
                    pct_copy,
                    err,
                    unit: k.metric.unit(),
                },
            ));
            pb.inc(1);
        }
        // Back into table order.
        sized.sort_by_key(|r| r.0);
        rows.extend(sized.into_iter().map(|r| r.1));
    }
    pb.finish();
    if args.all || args.markdown {
        print_table(&rows, args.markdown);
    } else {
        print_summary(&rows, &args.sizes);
    }
    if ks
        .iter()
        .any(|k| k.on_device() && k.backend.contains("software device"))
    {
        outln!("GPU rows ran on a software device (CPU emulation): their numbers mean little about GPUs.");
    }
    for line in &absent {
        outln!("absent: {line}");
    }
    if let Some(path) = &args.json {
        super::fsutil::write_atomic(path, json(&rows, &absent).as_bytes())
            .map_err(CliError::Failed)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The one CPU kernel (baselines included) whose label
/// contains `text`; of several, the one whose label starts with it
/// (`sigmoid exact avx512`, not `log_sigmoid exact avx512`).
fn find_one(text: &str) -> Result<Kernel, CliError> {
    let mut found: Vec<Kernel> = kernels::registry(Some(text), false).kernels;
    if found.iter().filter(|k| k.label().starts_with(text)).count() == 1 {
        found.retain(|k| k.label().starts_with(text));
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(CliError::Usage(format!(
            "--pair: no CPU kernel matches {text:?}; `bench --all` lists them (name tier backend)"
        ))),
        _ => Err(CliError::Usage(format!(
            "--pair: {text:?} matches {} kernels, make it longer: {}",
            found.len(),
            found
                .iter()
                .map(|k| format!("{:?}", k.label()))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `--pair A B`: rounds of one batch of each, alternating, at each size.
fn pair(args: &Args, a: &str, b: &str) -> Result<(), CliError> {
    let ks = [find_one(a)?, find_one(b)?];
    if ks.iter().any(|k| k.on_device()) {
        return Err(CliError::Usage("--pair times CPU kernels only".into()));
    }
    let threads = rayon::current_num_threads();
    outln!(
        "{} rounds, {threads} thread(s) for the parallel path; A = {}, B = {}",
        args.rounds,
        ks[0].label(),
        ks[1].label()
    );
    for &n in &args.sizes {
        let mut d = Inputs::new(n);
        // Calls per batch, from one warm-up call of each: about 1 ms.
        let batch = ks.each_ref().map(|k| {
            call(k, &mut d);
            let t = Instant::now();
            call(k, &mut d);
            let once = t.elapsed().max(Duration::from_nanos(50));
            (Duration::from_millis(1).as_nanos() / once.as_nanos()).clamp(1, 100_000) as u32
        });
        let mut secs = [Vec::new(), Vec::new()];
        for r in 0..args.rounds {
            for i in if r % 2 == 0 { [0, 1] } else { [1, 0] } {
                let t = Instant::now();
                for _ in 0..batch[i] {
                    call(&ks[i], &mut d);
                }
                secs[i].push(t.elapsed().as_secs_f64() / f64::from(batch[i]));
            }
        }
        let mut ratios: Vec<f64> = secs[1].iter().zip(&secs[0]).map(|(b, a)| b / a).collect();
        ratios.sort_by(f64::total_cmp);
        let q = |p: usize| ratios[(ratios.len() - 1) * p / 4];
        let rate = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            n as f64 / v[v.len() / 2] / 1e6
        };
        let (ra, rb) = (rate(&mut secs[0]), rate(&mut secs[1]));
        outln!(
            "{}: A {ra:.0} Melem/s, B {rb:.0} Melem/s (median rounds); A ÷ B median {:.3}× (quartiles {:.3}–{:.3}×)",
            size_label(n),
            q(2),
            q(1),
            q(3)
        );
    }
    Ok(())
}

fn err_cell(r: &Row) -> String {
    match r.err {
        Some(e) if r.unit == "abs" => format!("{e:.2e} {}", r.unit),
        Some(e) if e.is_finite() && e >= 1e4 => format!("{e:.2e} {}", r.unit),
        Some(e) => format!("{e:.2} {}", r.unit),
        None => "-".into(),
    }
}

/// One line per kernel and where it ran, Melem/s per size, % copy and the
/// error at the largest size; the GPU rows under one line naming the device.
fn print_summary(rows: &[Row], sizes: &[usize]) {
    let mut groups: Vec<Vec<&Row>> = Vec::new();
    for r in rows.iter().filter(|r| r.summary) {
        let same = |g: &&mut Vec<&Row>| {
            (g[0].kernel, g[0].tier, &g[0].backend) == (r.kernel, r.tier, &r.backend)
        };
        match groups.iter_mut().find(same) {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    // Each kernel's rows together, in order of first appearance.
    let names: Vec<&str> = groups.iter().map(|g| g[0].kernel).collect();
    groups.sort_by_key(|g| names.iter().position(|&n| n == g[0].kernel));
    let last = sizes.iter().copied().max().unwrap_or(0);
    let mut head = vec!["kernel".to_string(), "on".into()];
    head.extend(sizes.iter().map(|&n| size_label(n)));
    head.push(format!("% copy {}", size_label(last)));
    head.push("max err vs σ".into());
    let line = |g: &[&Row]| {
        let mut cells = vec![g[0].kernel.to_string(), g[0].on.clone()];
        cells.extend(sizes.iter().map(|&n| {
            g.iter()
                .find(|r| r.size == n)
                .map_or("-".into(), |r| format!("{:.0}", r.melem_s))
        }));
        let at_last = g.iter().find(|r| r.size == last);
        cells.push(
            at_last
                .and_then(|r| r.pct_copy)
                .map_or("-".into(), |p| format!("{p:.0}%")),
        );
        cells.push(err_cell(g[0]).replace(" where σ ≥ 2^-126", "*"));
        cells
    };
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    let (gpu, cpu): (Vec<_>, Vec<_>) = groups.iter().partition(|g| g[0].device);
    outln!(
        "Melem/s per size. CPU: best instruction set {} (1 thread); parallel: {} threads.",
        Backend::best_simd().name(),
        rayon::current_num_threads()
    );
    out!(
        "{}",
        text_table(&head, &cpu.iter().map(|g| line(g)).collect::<Vec<_>>())
    );
    if let Some(g) = gpu.first() {
        outln!("\nGPU: {}", g[0].backend);
        out!(
            "{}",
            text_table(&head, &gpu.iter().map(|g| line(g)).collect::<Vec<_>>())
        );
    }
    outln!("* where σ >= 2^-126. % copy: against copy_from_slice (GPU: a device buffer copy).");
    outln!("`bench --all` (or --markdown, --json): every kernel on every backend, with GB/s.");
}

fn print_table(rows: &[Row], markdown: bool) {
    let head = [
        "kernel",
        "tier",
        "backend",
        "size",
        "Melem/s",
        "GB/s",
        "% copy",
        "max err vs σ",
    ];
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.kernel.to_string(),
                r.tier.to_string(),
                r.backend.clone(),
                size_label(r.size),
                format!("{:.0}", r.melem_s),
                format!("{:.2}", r.gb_s),
                r.pct_copy.map_or("-".into(), |p| format!("{p:.0}%")),
                err_cell(r),
            ]
        })
        .collect();
    if markdown {
        outln!("| {} |", head.join(" | "));
        outln!("|{}", "---|".repeat(head.len()));
        for r in &body {
            outln!("| {} |", r.join(" | "));
        }
    } else {
        out!("{}", text_table(&head, &body));
    }
    outln!(
        "GB/s counts bytes read + written per element (f32: 8 forward, 12 backward, 16 the GPU loss; int8/uint8: 2; int16, f16, bf16: 4); % copy is against copy_from_slice at the same size (GPU rows: against a device buffer copy); errors from a quick stratified sample (`accuracy` for the full sweep); abs errors of quantized kernels are dequantized output vs σ of the dequantized input, over every input code."
    );
}

fn json_str(s: &str) -> String {
    let mut o = String::from('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn json_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".into()
    }
}

fn json(rows: &[Row], absent: &[String]) -> String {
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "    {{\"kernel\": {}, \"tier\": {}, \"backend\": {}, \"size\": {}, \"seconds\": {}, \"melem_per_s\": {}, \"gb_per_s\": {}, \"pct_copy\": {}, \"max_err\": {}, \"err_unit\": {}}}",
                json_str(r.kernel),
                json_str(r.tier),
                json_str(&r.backend),
                r.size,
                json_num(r.seconds),
                json_num(r.melem_s),
                json_num(r.gb_s),
                r.pct_copy.map_or("null".into(), json_num),
                r.err.map_or("null".into(), json_num),
                json_str(r.unit),
            )
        })
        .collect();
    format!(
        "{{\n  \"threads\": {},\n  \"best_simd\": {},\n  \"absent\": [{}],\n  \"results\": [\n{}\n  ]\n}}\n",
        rayon::current_num_threads(),
        json_str(&Backend::best_simd().isa()),
        absent
            .iter()
            .map(|s| json_str(s))
            .collect::<Vec<_>>()
            .join(", "),
        items.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("x").is_err());
        assert_eq!(size_label(1 << 20), "1M");
        assert_eq!(size_label(100), "100");
    }

    #[test]
    fn json_escapes() {
        assert_eq!(json_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
        assert_eq!(json_num(f64::NAN), "null");
    }
}
