//! `stats`: the gradient-health table of a float32 `.npy` array
//! ([`sigmoid_kernels::stats::GradStats`]), its log2 |g| histogram as text
//! and optionally as an SVG bar chart, and with `--sigmoid-output` the
//! saturation of σ outputs ([`sigmoid_kernels::stats::saturation`]).

use super::fsutil::AtomicFile;
use super::npy::{Dtype, Reader};
use super::CliError;
use sigmoid_kernels::stats::{self, GradStats};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

/// Options of the `stats` subcommand.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input .npy (float32, any shape).
    #[arg(long, value_name = "g.npy")]
    input: PathBuf,
    /// The input holds σ outputs: also print the saturation, the fraction
    /// whose local gradient y·(1 − y) is below --eps.
    #[arg(long)]
    sigmoid_output: bool,
    /// Saturation threshold for --sigmoid-output (≥ 0).
    #[arg(
        long,
        default_value_t = stats::DEFAULT_SATURATION_EPS,
        requires = "sigmoid_output",
        allow_hyphen_values = true
    )]
    eps: f32,
    /// |g| below this counts as vanished (≥ 0).
    #[arg(long, default_value_t = stats::DEFAULT_THRESHOLD, allow_hyphen_values = true)]
    threshold: f32,
    /// Also write the histogram as an SVG bar chart (written whole or not
    /// at all).
    #[arg(long, value_name = "hist.svg")]
    svg: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<(), CliError> {
    for (flag, v) in [("--threshold", args.threshold), ("--eps", args.eps)] {
        if v.is_nan() || v < 0.0 {
            return Err(CliError::Usage(format!(
                "{flag} must be a number ≥ 0, got {v}"
            )));
        }
    }
    // Created before the work, so that an unwritable path fails first; the
    // temporary is removed if anything below fails.
    let mut svg_file = args
        .svg
        .as_deref()
        .map(AtomicFile::create)
        .transpose()
        .map_err(CliError::Failed)?;
    let mut r = Reader::open(&args.input).map_err(CliError::Failed)?;
    if r.header().dtype != Dtype::F32 {
        return Err(CliError::Failed(format!(
            "{}: stats needs float32 input, got {}",
            args.input.display(),
            r.header().dtype.name()
        )));
    }
    let g: Vec<f32> = r
        .read_all()
        .map_err(|e| CliError::Failed(format!("{}: {e}", args.input.display())))?;
    let s = GradStats::with_threshold(&g, args.threshold);
    let mut out = table(&s);
    if args.sigmoid_output {
        let sat = stats::saturation(&g, args.eps);
        let _ = writeln!(out, "saturated (y(1-y) < {}): {:.6}", args.eps, sat);
    }
    out!("{out}");
    if let (Some(mut f), Some(p)) = (svg_file.take(), &args.svg) {
        f.write_all(svg(&s).as_bytes())
            .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", p.display())))?;
        f.commit().map_err(CliError::Failed)?;
    }
    Ok(())
}

/// The table and the text histogram.
fn table(s: &GradStats) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "elements:       {}", s.count);
    let _ = writeln!(
        o,
        "NaN / +inf / -inf: {} / {} / {}",
        s.nan, s.pos_inf, s.neg_inf
    );
    let _ = writeln!(o, "L2 norm:        {:e}", s.l2_norm);
    let _ = writeln!(o, "max |g|:        {:e}", s.max_abs);
    let _ = writeln!(o, "mean |g|:       {:e}", s.mean_abs);
    let _ = writeln!(
        o,
        "|g| < {:e}:  {} ({:.6} of the finite elements)",
        s.threshold,
        s.below,
        s.fraction_below()
    );
    let _ = writeln!(o, "log2 |g| histogram (finite elements):");
    let b = s.histogram.buckets();
    let top = b.iter().map(|x| x.1).max().unwrap_or(0).max(1);
    for (label, c) in b.iter().filter(|x| x.1 > 0) {
        let bar = "#".repeat(((c * 50).div_ceil(top)) as usize);
        let _ = writeln!(o, "  {label:>10} {c:>12} {bar}");
    }
    o
}

/// A bar chart of every bucket.
fn svg(s: &GradStats) -> String {
    let b = s.histogram.buckets();
    let (w, h, left, bottom) = (14.0f64, 240.0f64, 50.0f64, 70.0f64);
    let width = left + w * b.len() as f64 + 20.0;
    let top = b.iter().map(|x| x.1).max().unwrap_or(0).max(1) as f64;
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"9\">\n",
        h + bottom + 20.0
    );
    let _ = writeln!(
        o,
        "<text x=\"{left}\" y=\"12\">log2 |g| histogram: {} elements, L2 {:e}</text>",
        s.count, s.l2_norm
    );
    for (i, (label, c)) in b.iter().enumerate() {
        // `<2^-40` and `>=2^10` as XML text.
        let label = label
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let bh = h * (*c as f64) / top;
        let x = left + w * i as f64;
        let _ = writeln!(
            o,
            "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{bh}\" fill=\"#3b6ea5\"><title>{label}: {c}</title></rect>",
            20.0 + h - bh,
            w - 2.0
        );
        let _ = writeln!(
            o,
            "<text transform=\"translate({},{}) rotate(-90)\" text-anchor=\"end\">{label}</text>",
            x + w / 2.0 + 3.0,
            h + 26.0
        );
    }
    o.push_str("</svg>\n");
    o
}
