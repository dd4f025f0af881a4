//! `compare`: σ next to ReLU and tanh (and σ's relatives softplus and
//! SiLU), measured on this machine: output range, the fraction of [−6, 6]
//! where the derivative's magnitude is below 0.01 (the vanishing-gradient
//! zone), whether the output is zero-centred, single-thread throughput and
//! the max error against `f64`.
//!
//! The ranges come from a strided sweep of all finite `f32` with ±FLT_MAX
//! added (SiLU, the one function here that is not monotone, gets its
//! minimum from the grid below as well); the
//! derivative and the mean from an even grid over [−6, 6]; the errors from
//! the same sweep against the `f64` function (σ's for hard sigmoid, which
//! approximates it). tanh is Rust's `f32::tanh` (the platform libm's
//! `tanhf`), applied element by element.

use super::CliError;
use sigmoid_kernels::{reference, Backend};
use std::hint::black_box;
use std::time::Instant;

/// Options of the `compare` subcommand.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Elements per timed call.
    #[arg(long, default_value_t = 1 << 16)]
    size: usize,
    /// Timed batches (the median is reported).
    #[arg(long, default_value_t = 11, value_parser = clap::value_parser!(u32).range(1..))]
    reps: u32,
}

type Kernel = Box<dyn Fn(&[f32], &mut [f32])>;

struct Act {
    name: String,
    run: Kernel,
    /// The function in `f64` (for the error), and its derivative.
    f64: fn(f64) -> f64,
    deriv: fn(f64) -> f64,
    /// The error unit: ULP, relative or absolute.
    unit: &'static str,
}

fn tanh_deriv(x: f64) -> f64 {
    1.0 - x.tanh() * x.tanh()
}

fn sigma_deriv(x: f64) -> f64 {
    let s = reference::sigmoid_f64(x);
    s * (1.0 - s)
}

fn acts() -> Vec<Act> {
    let b = Backend::best_simd();
    vec![
        Act {
            name: format!("sigmoid exact ({})", b.name()),
            run: Box::new(move |x, y| b.sigmoid(x, y)),
            f64: reference::sigmoid_f64,
            deriv: sigma_deriv,
            unit: "ULP",
        },
        Act {
            name: format!("sigmoid fast ({})", b.name()),
            run: Box::new(move |x, y| b.sigmoid_fast(x, y)),
            f64: reference::sigmoid_f64,
            deriv: sigma_deriv,
            unit: "rel",
        },
        Act {
            name: format!("hard sigmoid ({})", b.name()),
            run: Box::new(move |x, y| b.hard_sigmoid(x, y)),
            f64: reference::sigmoid_f64,
            deriv: |x| if x.abs() < 3.0 { 1.0 / 6.0 } else { 0.0 },
            unit: "abs vs σ",
        },
        Act {
            name: format!("softplus exact ({})", b.name()),
            run: Box::new(move |x, y| b.softplus(x, y)),
            f64: reference::softplus_f64,
            deriv: reference::sigmoid_f64,
            unit: "ULP",
        },
        Act {
            name: format!("SiLU exact ({})", b.name()),
            run: Box::new(move |x, y| b.silu(x, y)),
            f64: reference::silu_f64,
            deriv: |x| {
                let s = reference::sigmoid_f64(x);
                s * (1.0 + x * (1.0 - s))
            },
            unit: "ULP",
        },
        Act {
            name: "ReLU (f32::max loop)".into(),
            run: Box::new(|x, y| {
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = x.max(0.0);
                }
            }),
            f64: |x| x.max(0.0),
            deriv: |x| if x > 0.0 { 1.0 } else { 0.0 },
            unit: "ULP",
        },
        Act {
            name: "tanh (std f32::tanh, libm tanhf)".into(),
            run: Box::new(|x, y| {
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = x.tanh();
                }
            }),
            f64: f64::tanh,
            deriv: tanh_deriv,
            unit: "ULP",
        },
    ]
}

fn median_melems(f: &dyn Fn(&[f32], &mut [f32]), n: usize, reps: u32) -> f64 {
    let x: Vec<f32> = (0..n).map(|i| -12.0 + 24.0 * i as f32 / n as f32).collect();
    let mut y = vec![0.0f32; n];
    f(&x, &mut y);
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let mut calls = 0u32;
            let start = Instant::now();
            while start.elapsed().as_secs_f64() < 1e-3 || calls == 0 {
                f(black_box(&x), black_box(&mut y));
                calls += 1;
            }
            start.elapsed().as_secs_f64() / f64::from(calls)
        })
        .collect();
    t.sort_by(f64::total_cmp);
    n as f64 / t[t.len() / 2] / 1e6
}

/// Runs the subcommand on one thread.
pub fn run(args: &Args) -> Result<(), CliError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the thread pool: {e}")))?;
    pool.install(|| {
        let mut sweep: Vec<f32> = (0..=u32::MAX)
            .step_by(4099)
            .map(f32::from_bits)
            .filter(|x| x.is_finite())
            .collect();
        sweep.extend([f32::MAX, -f32::MAX, 0.0, -0.0]);
        let grid: Vec<f64> = (0..=1_200_000).map(|i| -6.0 + i as f64 * 1e-5).collect();
        outln!(
            "{} on one thread, {} elements per call; sweep of {} finite f32, grid of {} points on [-6, 6]",
            Backend::best_simd().isa(),
            args.size,
            sweep.len(),
            grid.len()
        );
        outln!(
            "| activation | output range | derivative < 0.01 on [-6, 6] | mean on [-6, 6] (zero-centred?) | Melem/s | max error vs f64 |"
        );
        outln!("|---|---|---|---|---|---|");
        for a in acts() {
            let mut y = vec![0.0f32; sweep.len()];
            (a.run)(&sweep, &mut y);

            let mut err = 0.0f64;
            for (&x, &g) in sweep.iter().zip(&y) {
                let w = (a.f64)(f64::from(x));
                let e = match a.unit {
                    "ULP" => reference::ulp_error(g, w),
                    "rel" if w >= f64::from(f32::MIN_POSITIVE) => (f64::from(g) - w).abs() / w,
                    "rel" => 0.0,
                    _ => (f64::from(g) - w).abs(),
                };
                err = err.max(e);
            }
            let flat = grid.iter().filter(|&&x| (a.deriv)(x).abs() < 0.01).count();
            let gx: Vec<f32> = grid.iter().map(|&x| x as f32).collect();
            let mut gy = vec![0.0f32; gx.len()];
            (a.run)(&gx, &mut gy);
            let ends = y.iter().chain(&gy).copied();
            let lo = ends.clone().fold(f32::INFINITY, f32::min);
            let hi = ends.fold(f32::NEG_INFINITY, f32::max);
            let mean = gy.iter().map(|&v| f64::from(v)).sum::<f64>() / gy.len() as f64;
            let speed = median_melems(&*a.run, args.size, args.reps);
            outln!(
                "| {} | [{lo:e}, {hi:e}] | {:.4} | {mean:.4} ({}) | {speed:.0} | {err:.3e} {} |",
                a.name,
                flat as f64 / grid.len() as f64,
                if mean.abs() < 1e-3 { "yes" } else { "no" },
                a.unit
            );
        }
    });
    Ok(())
}
