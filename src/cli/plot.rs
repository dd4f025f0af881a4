//! `plot`: an SVG with σ and every approximation on [−8, 8] (quantized
//! kernels as their dequantized step curves), the float tiers' error in ULPs
//! over a wide range, the piecewise-linear and quantized kernels' absolute
//! error (both log scale, max per pixel column), and with `--backward` the
//! gradient curves. One curve per tier: the registry entries marked
//! `representative` (the best SIMD backend; all backends of a tier compute
//! the same values). GPU kernels are not drawn (no context is created).

use super::kernels::{self, Kernel, Metric, Run};
use super::CliError;
use plotters::coord::Shift;
use plotters::prelude::*;
use sigmoid_kernels::check::Bound;
use sigmoid_kernels::reference;
use std::path::PathBuf;

/// Options of the `plot` subcommand.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The SVG file to write.
    #[arg(long, value_name = "FILE.svg")]
    pub out: PathBuf,
    /// Add a panel with the backward kernels: σ'(x) = σ(x)(1 − σ(x)).
    #[arg(long)]
    pub backward: bool,
}

/// Left end of the ULP panel: σ(x) underflows to 0 in `f32` near −103.97.
const WIDE: (f32, f32) = (-105.0, 25.0);
/// The abs-error panel: past ±12 every kernel here is within 1e-5 of σ (and
/// the 8-bit inputs of the bench parameters end near ±10).
const ABS_RANGE: (f32, f32) = (-12.0, 12.0);
const PIXELS: usize = 1000;
const PER_PIXEL: usize = 64;

fn color(i: usize) -> RGBColor {
    const C: [RGBColor; 10] = [
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x94, 0x67, 0xbd),
        RGBColor(0x8c, 0x56, 0x4b),
        RGBColor(0xe3, 0x77, 0xc2),
        RGBColor(0x7f, 0x7f, 0x7f),
        RGBColor(0xbc, 0xbd, 0x22),
        RGBColor(0x17, 0xbe, 0xcf),
    ];
    C[i % C.len()]
}

fn grid(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f32 / (n - 1) as f32)
        .collect()
}

/// Whether `plot` can draw `k`: every host kernel with an error metric.
/// Whether `k`'s error is drawn in ULPs (the float tiers, not the
/// piecewise-linear forms).
fn ulp_measured(k: &Kernel) -> bool {
    matches!(
        k.metric,
        Metric::Ulp | Metric::Bound(Bound::Ulp(_) | Bound::Rel(_))
    )
}

fn drawable(k: &Kernel) -> bool {
    !k.on_device() && k.metric != Metric::None
}

/// `(x, σ(x))` as the kernel sees it (for quantized kernels: the dequantized
/// input and output) at each `x`, and the kernel's value there.
fn forward(k: &Kernel, x: &[f32]) -> Vec<(f64, f32)> {
    if let Some(pairs) = k.dequantized(x) {
        return pairs.into_iter().map(|(x, y)| (x, y as f32)).collect();
    }
    let mut y = vec![0.0; x.len()];
    match &k.run {
        Run::Backward(f) => {
            let s: Vec<f32> = x.iter().map(|&x| reference::sigmoid(x)).collect();
            f(&s, &vec![1.0; x.len()], &mut y);
        }
        Run::Forward(f) => f(x, &mut y),
        // Not drawable (see `drawable`), or handled by `dequantized`.
        Run::Device { .. }
        | Run::Int8(..)
        | Run::Uint8(..)
        | Run::Q15(_)
        | Run::Half16 { .. }
        | Run::Read(_) => {}
    }
    x.iter().map(|&x| f64::from(x)).zip(y).collect()
}

type Panel<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type PlotResult = Result<(), Box<dyn std::error::Error>>;

fn label(k: &Kernel) -> String {
    format!("{} ({}, {})", k.name, k.tier, k.backend)
}

/// `exact` (thick black) and each kernel's curve on [−8, 8], y in [0, `top`].
fn curves(
    area: &Panel,
    title: &str,
    ks: &[&Kernel],
    exact: fn(f64) -> f64,
    top: f64,
) -> PlotResult {
    let (lo, hi) = (-8.0f32, 8.0f32);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(f64::from(lo)..f64::from(hi), -0.02 * top..1.02 * top)?;
    chart.configure_mesh().x_desc("x").draw()?;
    let x = grid(lo, hi, 801);
    chart
        .draw_series(LineSeries::new(
            x.iter().map(|&x| (f64::from(x), exact(f64::from(x)))),
            BLACK.stroke_width(5),
        ))?
        .label("f64 reference")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(5)));
    for (i, k) in ks.iter().enumerate() {
        let c = color(i);
        let y = forward(k, &x);
        chart
            .draw_series(LineSeries::new(
                x.iter()
                    .zip(&y)
                    .map(|(&x, &(_, y))| (f64::from(x), f64::from(y))),
                c.stroke_width(2),
            ))?
            .label(label(k))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The error unit of a panel.
#[derive(Clone, Copy)]
enum Unit {
    Ulp,
    Abs,
}

/// Max error of `k` in each of `PIXELS` columns over `range`: ULPs of the
/// `f32` result, or the absolute error (against σ of the dequantized input
/// for quantized kernels).
fn profile(k: &Kernel, range: (f32, f32), unit: Unit) -> Vec<(f64, f64)> {
    let x = grid(range.0, range.1, PIXELS * PER_PIXEL);
    let y = forward(k, &x);
    x.chunks(PER_PIXEL)
        .zip(y.chunks(PER_PIXEL))
        .map(|(xs, ys)| {
            let worst = ys
                .iter()
                .map(|&(x, y)| {
                    let want = reference::sigmoid_f64(x);
                    match unit {
                        Unit::Ulp => reference::ulp_error(y, want),
                        Unit::Abs => (f64::from(y) - want).abs(),
                    }
                })
                .fold(0.0f64, f64::max);
            (f64::from(xs[0]), worst)
        })
        .collect()
}

fn errors(area: &Panel, ks: &[&Kernel], unit: Unit, first_color: usize) -> PlotResult {
    let (floor, range, caption, desc) = match unit {
        Unit::Ulp => (
            1e-2,
            WIDE,
            "float tiers: error vs the f64 reference (ULP, log scale; max per pixel; 0 drawn at 0.01)",
            "ULP",
        ),
        Unit::Abs => (
            1e-7,
            ABS_RANGE,
            "hard, PLAN, quantized: |kernel - σ| (abs, log scale; max per pixel; 0 drawn at 1e-7)",
            "abs error",
        ),
    };
    let profiles: Vec<Vec<(f64, f64)>> = ks.iter().map(|k| profile(k, range, unit)).collect();
    // Headroom above the curves for the legend: a factor 3 (ULP), 300 (abs,
    // whose legend is taller).
    let (least_top, headroom) = match unit {
        Unit::Ulp => (10.0, 3.0),
        Unit::Abs => (0.1, 300.0),
    };
    let top = profiles
        .iter()
        .flatten()
        .map(|p| p.1)
        .filter(|e| e.is_finite())
        .fold(least_top, f64::max)
        * headroom;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(
            f64::from(range.0)..f64::from(range.1),
            (floor..top).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("x")
        .y_desc(desc)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    for (i, (k, p)) in ks.iter().zip(profiles).enumerate() {
        let c = color(first_color + i);
        chart
            .draw_series(LineSeries::new(
                p.into_iter().map(|(x, e)| (x, e.clamp(floor, top))),
                c.stroke_width(2),
            ))?
            .label(label(k))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

fn draw(svg: &mut String, fwd: &[&Kernel], bwd: &[&Kernel]) -> PlotResult {
    let panels = if bwd.is_empty() { 3 } else { 4 };
    let root = SVGBackend::with_string(svg, (1100, 460 * panels)).into_drawing_area();
    root.fill(&WHITE)?;
    let areas = root.split_evenly((panels as usize, 1));
    curves(
        &areas[0],
        "σ(x) = 1/(1+e^-x) and its approximations",
        fwd,
        reference::sigmoid_f64,
        1.0,
    )?;
    // The same colour for a kernel in every panel: `fwd` lists the ULP
    // kernels first.
    let ulp = fwd.iter().take_while(|k| ulp_measured(k)).count();
    errors(&areas[1], &fwd[..ulp], Unit::Ulp, 0)?;
    errors(&areas[2], &fwd[ulp..], Unit::Abs, ulp)?;
    if let Some(area) = areas.get(3) {
        curves(
            area,
            "backward: σ'(x) = σ(x)(1 - σ(x)), dy = 1",
            bwd,
            |x| {
                let s = reference::sigmoid_f64(x);
                s * (1.0 - s)
            },
            0.25,
        )?;
    }
    root.present()?;
    Ok(())
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<(), CliError> {
    let ks = kernels::registry(None, false).kernels;
    let pick = |bwd: bool| -> Vec<&Kernel> {
        ks.iter()
            .filter(|k| k.representative && drawable(k))
            .filter(|k| matches!(k.run, Run::Backward(_)) == bwd)
            .collect()
    };
    let mut fwd = pick(false);
    // ULP-measured tiers first, then the abs-measured ones (stable).
    fwd.sort_by_key(|k| !ulp_measured(k));
    let bwd = if args.backward {
        pick(true)
    } else {
        Vec::new()
    };
    let mut svg = String::new();
    draw(&mut svg, &fwd, &bwd).map_err(|e| CliError::Failed(format!("cannot draw: {e}")))?;
    super::fsutil::write_atomic(&args.out, svg.as_bytes()).map_err(CliError::Failed)?;
    outln!("wrote {}", args.out.display());
    Ok(())
}
