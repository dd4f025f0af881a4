//! `plot`: an SVG with σ and every approximation on [−8, 8], each kernel's
//! error in ULPs over a wide range (log scale, max per pixel column), and
//! with `--backward` the gradient curves. One curve per tier: the registry
//! entries marked `representative` (the best SIMD backend; all backends of a
//! tier compute the same values).

use super::kernels::{self, Kernel, Metric, Run};
use super::CliError;
use plotters::coord::Shift;
use plotters::prelude::*;
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

/// Left end of the error panel: σ(x) underflows to 0 in `f32` near −103.97.
const WIDE: (f32, f32) = (-105.0, 25.0);
const PIXELS: usize = 1000;
const PER_PIXEL: usize = 64;

fn color(i: usize) -> RGBColor {
    const C: [RGBColor; 6] = [
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x94, 0x67, 0xbd),
        RGBColor(0x8c, 0x56, 0x4b),
    ];
    C[i % C.len()]
}

fn grid(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f32 / (n - 1) as f32)
        .collect()
}

fn forward(k: &Kernel, x: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0; x.len()];
    match &k.run {
        Run::Forward(f) => f(x, &mut y),
        Run::Backward(f) => {
            let s: Vec<f32> = x.iter().map(|&x| reference::sigmoid(x)).collect();
            f(&s, &vec![1.0; x.len()], &mut y);
        }
    }
    y
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
                    .map(|(&x, &y)| (f64::from(x), f64::from(y))),
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

/// Max ULP error of `k` in each of `PIXELS` columns over `WIDE`.
fn ulp_profile(k: &Kernel) -> Vec<(f64, f64)> {
    let x = grid(WIDE.0, WIDE.1, PIXELS * PER_PIXEL);
    let y = forward(k, &x);
    x.chunks(PER_PIXEL)
        .zip(y.chunks(PER_PIXEL))
        .map(|(xs, ys)| {
            let worst = xs
                .iter()
                .zip(ys)
                .map(|(&x, &y)| reference::ulp_error(y, reference::sigmoid_f64(f64::from(x))))
                .fold(0.0f64, f64::max);
            (f64::from(xs[0]), worst)
        })
        .collect()
}

fn errors(area: &Panel, ks: &[&Kernel]) -> PlotResult {
    const FLOOR: f64 = 1e-2;
    let profiles: Vec<Vec<(f64, f64)>> = ks.iter().map(|k| ulp_profile(k)).collect();
    let top = profiles
        .iter()
        .flatten()
        .map(|p| p.1)
        .filter(|e| e.is_finite())
        .fold(10.0f64, f64::max)
        * 3.0;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "error vs the f64 reference (ULP, log scale; max per pixel; 0 drawn at 0.01)",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(
            f64::from(WIDE.0)..f64::from(WIDE.1),
            (FLOOR..top).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("x")
        .y_desc("ULP")
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()?;
    for (i, (k, p)) in ks.iter().zip(profiles).enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(
                p.into_iter().map(|(x, e)| (x, e.clamp(FLOOR, top))),
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
    let panels = if bwd.is_empty() { 2 } else { 3 };
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
    errors(&areas[1], fwd)?;
    if let Some(area) = areas.get(2) {
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
    let ks = kernels::all();
    let pick = |bwd: bool| -> Vec<&Kernel> {
        ks.iter()
            .filter(|k| k.representative && k.metric != Metric::None)
            .filter(|k| matches!(k.run, Run::Backward(_)) == bwd)
            .collect()
    };
    let fwd = pick(false);
    let bwd = if args.backward {
        pick(true)
    } else {
        Vec::new()
    };
    let mut svg = String::new();
    draw(&mut svg, &fwd, &bwd).map_err(|e| CliError::Failed(format!("cannot draw: {e}")))?;
    super::npy::write_atomic(&args.out, svg.as_bytes()).map_err(CliError::Failed)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
