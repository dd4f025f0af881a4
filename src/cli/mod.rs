//! The command line: argument parsing (clap derive), dispatch, errors, and
//! the small helpers the subcommands share (text tables, progress bars).
//!
//! | module | what it does |
//! |---|---|
//! | `kernels` | the registry of kernels `bench`, `accuracy` and `plot` run |
//! | `bench` | throughput table (the default subcommand) |
//! | `accuracy` | sample or exhaustive sweeps against the `f64` oracle |
//! | `plot` | SVG of the curves and their errors |
//! | `apply` | runs a kernel over a `.npy` array (one subcommand per kernel) |
//! | `npy` | `.npy` header parsing and chunked reading |
//! | `fsutil` | output files written whole or not at all |

/// `println!` for the CLI's results: when stdout has been closed (the output
/// piped into `head`, say) the program ends quietly with status 0 instead of
/// panicking; any other write error is a one-line error with status 1.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            $crate::cli::stdout_failed(e)
        }
    }};
}

/// `print!` with the same handling as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout(), $($arg)*) {
            $crate::cli::stdout_failed(e)
        }
    }};
}

mod accuracy;
mod apply;
mod apply_loss;
mod bench;
mod compare;
mod fsutil;
mod kernels;
mod npy;
mod plot;
mod stats;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

/// Logistic sigmoid kernels: benchmark them, check their accuracy, plot them,
/// apply them to NumPy arrays. With no subcommand, runs `bench`.
#[derive(Parser, Debug)]
#[command(
    name = "sigmoid-kernels",
    version,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    bench: bench::Args,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Time the kernels (exact and fast tiers, backward, hard/hard-affine/PLAN,
    /// int8/uint8/q15, the GPU when an adapter exists, baselines) at each
    /// size. By default a summary: each kernel on the best instruction set
    /// and on the parallel path, in Melem/s with % of copy bandwidth and the
    /// max error vs σ; --all for every backend with GB/s.
    Bench(bench::Args),
    /// Sweep f32 inputs through every float kernel: max ULP, abs and rel
    /// error with where they occur, outputs outside [0, 1], monotonicity,
    /// special values; check the quantized kernels exhaustively over a
    /// parameter grid in output LSBs. Exits with status 1 if a documented
    /// bound is broken (listed below).
    #[command(after_help = accuracy::help())]
    Accuracy(accuracy::Args),
    /// Write an SVG: σ and its approximations on [-8, 8] (quantized kernels
    /// dequantized), the float tiers' error in ULPs over [-105, 25], the
    /// hard/PLAN/quantized kernels' absolute error over [-12, 12],
    /// optionally the backward curves.
    Plot(plot::Args),
    /// Run a kernel over a NumPy .npy array (float32; float16 or bfloat16
    /// with `--dtype`; int8, uint8, int16 for the quantized kernels;
    /// little-endian, C order, any shape) and write the result as .npy;
    /// `apply KERNEL --help` lists a kernel's flags.
    Apply(apply::Args),
    /// Gradient health of a float32 .npy array: element, NaN and ±inf
    /// counts, L2 norm, max and mean |g|, the fraction below a threshold,
    /// a log2 |g| histogram (text, optionally SVG); with --sigmoid-output
    /// the fraction of saturated σ outputs.
    Stats(stats::Args),
    /// σ next to ReLU and tanh, measured here: output range, the fraction
    /// of [-6, 6] where the derivative is below 0.01, the mean over [-6, 6]
    /// (zero-centred or not), throughput on one thread, max error vs f64.
    Compare(compare::Args),
}

/// Why a subcommand stopped.
#[derive(Debug)]
pub enum CliError {
    /// The request itself is wrong (exit status 2, like clap's own errors).
    Usage(String),
    /// The work failed: unreadable input, broken bound, I/O (exit status 1).
    Failed(String),
}

/// Parses the command line, runs it and prints any error as one line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        None => bench::run(&cli.bench),
        Some(Command::Bench(a)) => bench::run(a),
        Some(Command::Accuracy(a)) => accuracy::run(a),
        Some(Command::Plot(a)) => plot::run(a),
        Some(Command::Apply(a)) => apply::run(a),
        Some(Command::Stats(a)) => stats::run(a),
        Some(Command::Compare(a)) => compare::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // One line, even for multi-line messages from wgpu.
        Err(CliError::Usage(msg)) => {
            eprintln!("sigmoid-kernels: error: {}", one_line(&msg));
            ExitCode::from(2)
        }
        Err(CliError::Failed(msg)) => {
            eprintln!("sigmoid-kernels: error: {}", one_line(&msg));
            ExitCode::FAILURE
        }
    }
}

/// Ends the program after a failed write to stdout: quietly (status 0) when
/// the reader went away, else with a one-line error (status 1).
pub fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("sigmoid-kernels: error: writing to stdout: {e}");
    std::process::exit(1);
}

/// `msg` with its lines joined by spaces.
fn one_line(msg: &str) -> String {
    msg.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A progress bar on stderr that appears once the work has run for a second,
/// and never when stderr is not a terminal (pipes, CI, tests).
pub struct Progress {
    bar: ProgressBar,
    start: Instant,
    terminal: bool,
}

impl Progress {
    /// A bar counting `len` `unit`s, hidden for now.
    pub fn new(len: u64, unit: &str) -> Progress {
        let style = ProgressStyle::with_template(&format!(
            "{{elapsed_precise}} [{{wide_bar}}] {{pos}}/{{len}} {unit} ETA {{eta}} {{msg}}"
        ))
        .expect("a valid progress template");
        Progress {
            bar: ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden())
                .with_style(style),
            start: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Counts `n` more units done (from any thread).
    pub fn inc(&self, n: u64) {
        if self.terminal && self.bar.is_hidden() && self.start.elapsed().as_secs() >= 1 {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        self.bar.inc(n);
    }

    /// Shows what is running now.
    pub fn set_message(&self, msg: String) {
        self.bar.set_message(msg);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `head` and `rows` as left-aligned columns separated by two spaces, with a
/// dashed rule under the header.
pub fn text_table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let s: Vec<String> = cells
            .zip(&width)
            .map(|(c, &w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        format!("{}\n", s.join("  ").trim_end())
    };
    let mut out = line(&mut head.iter().copied());
    let rule: Vec<String> = width.iter().map(|&w| "-".repeat(w)).collect();
    out.push_str(&line(&mut rule.iter().map(String::as_str)));
    for r in rows {
        out.push_str(&line(&mut r.iter().map(String::as_str)));
    }
    out
}
