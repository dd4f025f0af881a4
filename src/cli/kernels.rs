//! The kernel registry: every kernel `bench`, `accuracy` and `plot` know, one
//! [`Kernel`] entry each, built by [`all`].
//!
//! To add a kernel, push one entry in [`all`]: its name, tier, backend label,
//! a [`Run`] and the [`Metric`] its error is measured in (which also carries
//! its documented bound, checked by `accuracy`). Kernels that need something
//! this machine lacks are left out of the list and explained by a line from
//! [`absent`] (printed under the `bench` table and in its JSON). The `apply`
//! subcommand has its own table (in `apply.rs`) because it works on whole
//! `.npy` arrays with per-kernel parameters.
//!
//! # Hooking in the kernels still to come
//!
//! - **hard / hard-affine / PLAN** (`f32 → f32`): one [`Run::Forward`] entry
//!   each; they need a `Metric::Abs(Option<f64>)` variant (unit `abs`), its
//!   arm in `accuracy::breaks` (`abs > bound`), in `bench::quick_errors`
//!   (`s.abs.err`) and an abs-error panel in `plot::errors` (ULPs are
//!   meaningless for piecewise-linear forms). Their backward, if any, is a
//!   [`Run::Backward`] taking `x` instead of `y`.
//! - **GPU** (host round trip): a [`Run::Forward`] entry whose closure owns
//!   the GPU context (`Arc`) and calls its forward; if no adapter exists,
//!   no entry and one line in [`absent`] with the reason. Device-resident
//!   timing needs a `Run` variant that prepares buffers for `n` elements and
//!   returns a closure dispatching once (timed by `bench::measure`, skipped
//!   by `accuracy`, whose numbers come from the round-trip entry).
//! - **int8 / uint8 / q15**: a `Run` variant per storage type holding the
//!   kernel and its quantization parameters, with arms in
//!   [`Kernel::bytes_per_elem`] (2 or 4 bytes), `bench::measure` (inputs
//!   quantized once per size), `plot::forward` (dequantized curve) and a
//!   quantized sweep in `accuracy` (all inputs × a parameter grid, LSB
//!   errors, a `Metric::Lsb(bound)` variant).

use rayon::prelude::*;
use sigmoid_kernels::{reference, Backend};

/// An elementwise kernel `y = f(x)`.
pub type Unary = Box<dyn Fn(&[f32], &mut [f32]) + Send + Sync>;
/// A gradient kernel `dx = f(y, dy)`.
pub type Binary = Box<dyn Fn(&[f32], &[f32], &mut [f32]) + Send + Sync>;

/// How to call a kernel.
pub enum Run {
    /// `y[i] = f(x[i])` over `f32`: σ or an approximation of it (or, with
    /// [`Metric::None`], a memory baseline).
    Forward(Unary),
    /// `dx[i] = dy[i]·y[i]·(1 − y[i])` from the saved forward output `y`.
    Backward(Binary),
}

/// The error unit of a kernel and its documented bound (if it has one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    /// ULPs against the `f64` reference, with an optional bound everywhere.
    Ulp(Option<f64>),
    /// Shown in ULPs; the documented bound is this relative error wherever
    /// σ ≥ 2^−126 (smaller results may be flushed towards 0).
    UlpRelBound(f64),
    /// Not an approximation of σ (a memory baseline): no error.
    None,
}

impl Metric {
    /// The unit the error is shown in.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Ulp(_) => "ULP",
            Metric::UlpRelBound(_) => "ULP where σ ≥ 2^-126",
            Metric::None => "-",
        }
    }
}

/// One kernel: what the tables print and how to run it.
pub struct Kernel {
    /// Short name, e.g. `sigmoid`, `sigmoid_fast`, `naive`, `copy`.
    pub name: &'static str,
    /// Accuracy tier, e.g. `exact`, `fast`, `backward`, `oracle`, `baseline`.
    pub tier: &'static str,
    /// Where it runs, with the instruction set chosen at run time.
    pub backend: String,
    /// Whether `plot` draws it: one entry per tier (the best SIMD backend).
    pub representative: bool,
    /// The function.
    pub run: Run,
    /// Its error unit and documented bound.
    pub metric: Metric,
}

impl Kernel {
    /// `name tier backend`, what `--filter` matches against.
    pub fn label(&self) -> String {
        format!("{} {} {}", self.name, self.tier, self.backend)
    }

    /// Bytes read and written per element (for GB/s).
    pub fn bytes_per_elem(&self) -> usize {
        match self.run {
            Run::Forward(_) => 8,
            Run::Backward(_) => 12,
        }
    }
}

/// `name [isa]`, or just the name when they are the same.
fn backend_label(b: Backend) -> String {
    let isa = b.isa();
    if isa == b.name() {
        isa
    } else {
        format!("{} [{isa}]", b.name())
    }
}

/// Every kernel available on this machine, in table order. Call it inside
/// the rayon pool the kernels will run in (the labels name its threads).
pub fn all() -> Vec<Kernel> {
    let mut k = vec![
        Kernel {
            name: "reference",
            tier: "oracle",
            backend: "scalar f64 (libm)".into(),
            representative: false,
            run: Run::Forward(Box::new(|x, y| {
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = reference::sigmoid(x);
                }
            })),
            metric: Metric::Ulp(None),
        },
        Kernel {
            name: "naive",
            tier: "naive",
            backend: "scalar f32 loop".into(),
            representative: true,
            run: Run::Forward(Box::new(|x, y| {
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = 1.0 / (1.0 + (-x).exp());
                }
            })),
            metric: Metric::Ulp(None),
        },
    ];
    let best = Backend::best_simd();
    for b in Backend::available() {
        let label = backend_label(b);
        let representative = b == best;
        k.push(Kernel {
            name: "sigmoid",
            tier: "exact",
            backend: label.clone(),
            representative,
            run: Run::Forward(Box::new(move |x, y| b.sigmoid(x, y))),
            metric: Metric::Ulp(Some(1.0)),
        });
        k.push(Kernel {
            name: "sigmoid_fast",
            tier: "fast",
            backend: label.clone(),
            representative,
            run: Run::Forward(Box::new(move |x, y| b.sigmoid_fast(x, y))),
            metric: Metric::UlpRelBound(1e-4),
        });
        k.push(Kernel {
            name: "sigmoid_backward",
            tier: "backward",
            backend: label,
            representative,
            run: Run::Backward(Box::new(move |y, dy, dx| b.sigmoid_backward(y, dy, dx))),
            metric: Metric::Ulp(Some(2.0)),
        });
    }
    k.push(Kernel {
        name: "copy",
        tier: "baseline",
        backend: "copy_from_slice".into(),
        representative: false,
        run: Run::Forward(Box::new(|x, y| y.copy_from_slice(x))),
        metric: Metric::None,
    });
    k.push(Kernel {
        name: "copy",
        tier: "baseline",
        backend: format!("rayon x{} threads", rayon::current_num_threads()),
        representative: false,
        run: Run::Forward(Box::new(|x, y| {
            y.par_chunks_mut(sigmoid_kernels::cpu::PAR_CHUNK)
                .zip(x.par_chunks(sigmoid_kernels::cpu::PAR_CHUNK))
                .for_each(|(y, x)| y.copy_from_slice(x));
        })),
        metric: Metric::None,
    });
    k
}

/// One line per kernel this build knows but this machine cannot run.
pub fn absent() -> Vec<String> {
    Backend::ALL
        .into_iter()
        .filter(|b| !b.is_available())
        .map(|b| format!("{}: not available on this CPU", b.name()))
        .collect()
}

/// The kernels whose [`Kernel::label`] contains `filter` (all if `None`).
pub fn filtered(filter: Option<&str>) -> Vec<Kernel> {
    all()
        .into_iter()
        .filter(|k| filter.is_none_or(|f| k.label().contains(f)))
        .collect()
}
