//! The kernel registry: every kernel `bench`, `accuracy` and `plot` know, one
//! [`Kernel`] entry each, built by [`registry`].
//!
//! To add a kernel, push one entry in [`registry`]: its name, tier, backend
//! label, a [`Run`] and the [`Metric`] its error is measured in (which also
//! carries its documented bound, checked by `accuracy`). Kernels that need
//! something this machine lacks are left out of the list and explained by a
//! line in [`Registry::absent`] (printed under the `bench` table and in its
//! JSON). The `apply` subcommand has its own table (in `apply.rs`) because
//! it works on whole `.npy` arrays with per-kernel parameters.
//!
//! | kernels | [`Run`] | [`Metric`] |
//! |---|---|---|
//! | exact, fast, correctly rounded | `Forward` | `Bound` (`Ulp`, `Rel`) |
//! | naive, reference | `Forward` | `Ulp` (no bound) |
//! | backward (from the saved `y`) | `Backward` | `Bound` (`Ulp`) |
//! | hard, hard-affine, PLAN | `Forward` | `Bound` (`Abs`) |
//! | int8, uint8, q15 | `Int8`, `Uint8`, `Q15` | `Lsb` |
//! | GPU round trip, device-resident, device copy | `Device` | `Bound` (`UlpNormal`), `None` |
//! | memory copies | `Forward` | `None` |
//! | fused BCE loss + gradient, its 8-in/4-out pass | `Backward` | `None` |
//!
//! The GPU context is created only when a GPU entry could pass the filter
//! (see [`registry`]), so `--filter exact` never waits for a device.

use bytemuck::{cast_slice, cast_slice_mut};
use rayon::prelude::*;
use sigmoid_kernels::check::{self, Bound, Func};
#[cfg(feature = "gpu")]
use sigmoid_kernels::gpu::{self, GpuContext};
use sigmoid_kernels::quant::{Int8Sigmoid, Q15Sigmoid, QuantParams, Uint8Sigmoid};
use sigmoid_kernels::{reference, Backend};
#[cfg(feature = "gpu")]
use std::sync::Arc;
use std::time::Duration;

/// An elementwise kernel `y = f(x)`.
pub type Unary = Box<dyn Fn(&[f32], &mut [f32]) + Send + Sync>;
/// An elementwise kernel on the bits of 16-bit floats.
pub type Unary16 = Box<dyn Fn(&[u16], &mut [u16]) + Send + Sync>;
/// A gradient kernel `dx = f(y, dy)`.
pub type Binary = Box<dyn Fn(&[f32], &[f32], &mut [f32]) + Send + Sync>;
/// A read-only pass over `x` (a reduction such as the gradient statistics).
pub type Read = Box<dyn Fn(&[f32]) + Send + Sync>;
/// A fallible `y = f(x)` (a device call).
pub type TryUnary = Box<dyn Fn(&[f32], &mut [f32]) -> Result<(), String> + Send + Sync>;
/// `(n, iters)` → the wall time of `iters` runs over `n` elements, after one
/// untimed warm-up (the `gpu::bench` convention).
pub type Timer = Box<dyn Fn(usize, u32) -> Result<Duration, String> + Send + Sync>;

/// How to call a kernel.
pub enum Run {
    /// `y[i] = f(x[i])` over `f32`: σ or an approximation of it (or, with
    /// [`Metric::None`], a memory baseline).
    Forward(Unary),
    /// A gradient `dx = f(a, dy)`: from the saved forward output `y`
    /// (`dy·y·(1 − y)`) or from the input `x` (`dy·σ(x)·σ(−x)`), as the
    /// kernel's [`Func`] says.
    Backward(Binary),
    /// A reduction that only reads `x` (gradient statistics, the read-only
    /// baseline): no output, no error.
    Read(Read),
    /// σ on affine-quantized `i8` through `apply_with` on a backend (bench
    /// inputs: every code, repeated).
    Int8(Int8Sigmoid, Backend),
    /// σ on affine-quantized `u8`, likewise.
    Uint8(Uint8Sigmoid, Backend),
    /// σ from `i16` Qm.n to Q0.15.
    Q15(Q15Sigmoid),
    /// σ on 16-bit floats, as bits (bench inputs: the `f32` inputs
    /// rounded to the format); binary16, or bfloat16 if `bf16`. Its
    /// accuracy is checked over all 65,536 inputs by `cargo test`.
    Half16 {
        /// The kernel.
        f: Unary16,
        /// Whether the bits are bfloat16.
        bf16: bool,
    },
    /// A GPU operation (built with the `gpu` feature only): `bench` times it
    /// with `time`; `accuracy` and `plot`
    /// call `check` (the host round trip), absent for device-resident runs
    /// whose values the round-trip entry already checks.
    #[cfg_attr(not(feature = "gpu"), allow(dead_code))]
    Device {
        /// The host forward, for the accuracy sweep.
        check: Option<TryUnary>,
        /// The timing loop.
        time: Timer,
        /// Bytes read and written per element.
        bytes: usize,
    },
}

/// The error unit of a kernel and its documented bound (if it has one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    /// A float kernel with a contract, checked by `accuracy`.
    Bound(Bound),
    /// A float approximation of σ without a contract (the naive loop, the
    /// oracle): its error is shown in ULPs.
    Ulp,
    /// Quantized: at most this many output codes (LSBs) from the correctly
    /// rounded result, checked exhaustively by `accuracy`; `bench` shows the
    /// absolute error of the dequantized output against σ of the
    /// dequantized input.
    Lsb(u32),
    /// Not an approximation of σ (a memory baseline), or one this table
    /// does not sweep (the 16-bit kernels, checked over all their inputs
    /// by `cargo test`): no error.
    None,
}

impl Metric {
    /// The unit the error is shown in (`bench` column, `accuracy` sweep).
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Ulp | Metric::Bound(Bound::Ulp(_)) => "ULP",
            Metric::Bound(Bound::Rel(_) | Bound::UlpNormal(_)) => "ULP where σ ≥ 2^-126",
            Metric::Bound(Bound::Abs(_)) | Metric::Lsb(_) => "abs",
            Metric::None => "-",
        }
    }
}

/// The documented bound of each kernel, from the constants next to the
/// kernels: the registry's metrics and `accuracy --help`.
pub const BOUNDS: [(&str, Metric); 16] = [
    ("sigmoid", EXACT),
    ("sigmoid_fast", FAST),
    ("sigmoid_cr (vs the correctly rounded σ)", CR),
    ("sigmoid_backward", BACKWARD),
    ("sigmoid_backward_from_input", FROM_INPUT),
    ("softplus", SOFTPLUS),
    ("log_sigmoid", LOG_SIGMOID),
    ("softplus_fast", SOFTPLUS_FAST),
    ("log_sigmoid_fast", LOG_SIGMOID_FAST),
    ("silu", SILU),
    ("hard_sigmoid", HARD),
    ("hard_sigmoid_affine", HARD_AFFINE),
    ("plan_sigmoid", PLAN),
    ("int8/uint8_sigmoid", Metric::Lsb(Int8Sigmoid::MAX_LSB)),
    ("q15_sigmoid", Metric::Lsb(Q15Sigmoid::MAX_LSB)),
    ("sigmoid_gpu", GPU_FORWARD),
];
const EXACT: Metric = Metric::Bound(Bound::Ulp(sigmoid_kernels::SIGMOID_MAX_ULP));
const FAST: Metric = Metric::Bound(Bound::Rel(sigmoid_kernels::SIGMOID_FAST_MAX_REL));
const CR: Metric = Metric::Bound(Bound::Ulp(sigmoid_kernels::SIGMOID_CR_MAX_ULP));
const BACKWARD: Metric = Metric::Bound(Bound::Ulp(sigmoid_kernels::SIGMOID_BACKWARD_MAX_ULP));
const FROM_INPUT: Metric = Metric::Bound(Bound::Ulp(
    sigmoid_kernels::SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP,
));
const SOFTPLUS: Metric = Metric::Bound(Bound::Ulp(sigmoid_kernels::SOFTPLUS_MAX_ULP));
const LOG_SIGMOID: Metric = Metric::Bound(Bound::Ulp(sigmoid_kernels::LOG_SIGMOID_MAX_ULP));
const SOFTPLUS_FAST: Metric = Metric::Bound(Bound::Rel(sigmoid_kernels::SOFTPLUS_FAST_MAX_REL));
const LOG_SIGMOID_FAST: Metric =
    Metric::Bound(Bound::Rel(sigmoid_kernels::LOG_SIGMOID_FAST_MAX_REL));
const SILU: Metric = Metric::Bound(Bound::Ulp(sigmoid_kernels::SILU_MAX_ULP));
const HARD: Metric = Metric::Bound(Bound::Abs(sigmoid_kernels::HARD_SIGMOID_MAX_ABS));
const HARD_AFFINE: Metric = Metric::Bound(Bound::Abs(sigmoid_kernels::HARD_SIGMOID_AFFINE_MAX_ABS));
const PLAN: Metric = Metric::Bound(Bound::Abs(sigmoid_kernels::PLAN_SIGMOID_MAX_ABS));
#[cfg(feature = "gpu")]
const GPU_FORWARD: Metric = Metric::Bound(Bound::UlpNormal(gpu::FORWARD_ULP));
#[cfg(not(feature = "gpu"))]
const GPU_FORWARD: Metric = Metric::None;

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
    /// The CPU backend it runs on, for kernels that exist on several.
    pub cpu: Option<Backend>,
    /// Whether its outputs never decrease as x grows (checked by `accuracy`;
    /// PLAN is documented not to be).
    pub monotone: bool,
    /// What it computes: the oracle `accuracy` checks it against (σ for
    /// the approximations and baselines).
    pub func: Func,
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
            Run::Device { bytes, .. } => bytes,
            Run::Backward(_) => 12,
            Run::Int8(..) | Run::Uint8(..) => 2,
            Run::Q15(_) | Run::Half16 { .. } | Run::Read(_) => 4,
        }
    }

    /// Whether it runs on the GPU.
    pub fn on_device(&self) -> bool {
        matches!(self.run, Run::Device { .. })
    }
}

/// Bench and plot parameters of the 8-bit kernels: TFLite-style input scale
/// 20/255 (inputs on about [−10, 10]) and the default output 1/256.
pub const INT8_INPUT: QuantParams = QuantParams::new(20.0 / 255.0, 0);
/// As [`INT8_INPUT`], for `u8` codes centred on 128.
pub const UINT8_INPUT: QuantParams = QuantParams::new(20.0 / 255.0, 128);
/// Fraction bits of the bench's `q15` input: Q3.12, like TFLite's int16.
pub const Q15_FRAC_BITS: u32 = 12;

/// `name [isa]`, or just the name when they are the same.
fn backend_label(b: Backend) -> String {
    let isa = b.isa();
    if isa == b.name() {
        isa
    } else {
        format!("{} [{isa}]", b.name())
    }
}

/// `1/256` for the default output scale, else the number.
fn scale_label(s: f32) -> String {
    if s == 1.0 / 256.0 {
        "1/256".into()
    } else if s == 20.0 / 255.0 {
        "20/255".into()
    } else {
        format!("{s}")
    }
}

/// `in S@Z, out S@Z` for a quantized kernel's backend column.
fn quant_label(input: QuantParams, output: QuantParams) -> String {
    format!(
        "in {}@{}, out {}@{}",
        scale_label(input.scale),
        input.zero_point,
        scale_label(output.scale),
        output.zero_point
    )
}

/// The kernels and why some are missing.
pub struct Registry {
    /// The kernels, in table order.
    pub kernels: Vec<Kernel>,
    /// One line per kernel this build knows but this machine cannot run.
    pub absent: Vec<String>,
}

/// `name tier` of every GPU entry, to decide before creating a context
/// whether the filter could keep one.
const GPU_HEADS: [&str; 8] = [
    "sigmoid_gpu round-trip wgpu",
    "copy baseline (device) wgpu",
    "sigmoid_gpu resident wgpu",
    "sigmoid_cr_gpu resident wgpu",
    "silu_gpu resident wgpu",
    "softplus_gpu resident wgpu",
    "log_sigmoid_gpu resident wgpu",
    "bce_with_logits_gpu resident wgpu",
];

/// The kernels whose [`Kernel::label`] contains `filter` (all if `None`),
/// GPU entries included when `gpu` is set. Call it inside the rayon pool the
/// kernels will run in (the labels name its threads).
///
/// The GPU context is created only if a GPU entry could match: `filter` is
/// part of a GPU entry's `name tier wgpu`, or it matches no CPU kernel (it
/// may name the adapter). Without an adapter, [`Registry::absent`] says why.
pub fn registry(filter: Option<&str>, gpu: bool) -> Registry {
    let keep = |k: &Kernel| filter.is_none_or(|f| k.label().contains(f));
    let mut kernels: Vec<Kernel> = cpu_kernels().into_iter().filter(keep).collect();
    let mut absent: Vec<String> = Backend::ALL
        .into_iter()
        .filter(|b| !b.is_available())
        .map(|b| format!("{}: not available on this CPU", b.name()))
        .collect();
    let wanted =
        filter.is_none_or(|f| kernels.is_empty() || GPU_HEADS.iter().any(|h| h.contains(f)));
    if gpu && wanted {
        match gpu_kernels() {
            Ok(k) => kernels.extend(k.into_iter().filter(keep)),
            Err(e) => absent.push(format!("gpu: {e}")),
        }
    }
    Registry { kernels, absent }
}

/// The `copy_from_slice` baseline every `bench` row is compared with.
pub fn host_copy() -> Kernel {
    Kernel {
        name: "copy",
        tier: "baseline",
        backend: "copy_from_slice".into(),
        representative: false,
        cpu: None,
        monotone: true,
        func: Func::Sigmoid,
        run: Run::Forward(Box::new(|x, y| y.copy_from_slice(x))),
        metric: Metric::None,
    }
}

/// A monotone `f32 → f32` kernel entry.
fn forward(
    name: &'static str,
    tier: &'static str,
    backend: String,
    (representative, cpu): (bool, Option<Backend>),
    f: Unary,
    metric: Metric,
) -> Kernel {
    Kernel {
        name,
        tier,
        backend,
        representative,
        cpu,
        monotone: true,
        func: Func::Sigmoid,
        run: Run::Forward(f),
        metric,
    }
}

/// σ on binary16 and bfloat16 on backend `b`: correctly rounded, checked
/// by `cargo test` (so [`Metric::None`] here).
fn half16_kernels(b: Backend, label: &str, representative: bool) -> [Kernel; 2] {
    let entry = |name, bf16, f: Unary16| Kernel {
        name,
        tier: "exact 16-bit",
        backend: label.to_string(),
        representative,
        cpu: Some(b),
        monotone: true,
        func: Func::Sigmoid,
        run: Run::Half16 { f, bf16 },
        metric: Metric::None,
    };
    [
        entry(
            "sigmoid_f16",
            false,
            Box::new(move |x, y| b.sigmoid_f16(cast_slice(x), cast_slice_mut(y))),
        ),
        entry(
            "sigmoid_bf16",
            true,
            Box::new(move |x, y| b.sigmoid_bf16(cast_slice(x), cast_slice_mut(y))),
        ),
    ]
}

fn cpu_kernels() -> Vec<Kernel> {
    let mut k = vec![
        forward(
            "reference",
            "oracle",
            "scalar f64 (libm)".into(),
            (false, None),
            Box::new(|x, y| {
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = reference::sigmoid(x);
                }
            }),
            Metric::Ulp,
        ),
        forward(
            "naive",
            "naive",
            "scalar f32 loop".into(),
            (true, None),
            Box::new(|x, y| {
                for (y, &x) in y.iter_mut().zip(x) {
                    *y = 1.0 / (1.0 + (-x).exp());
                }
            }),
            Metric::Ulp,
        ),
    ];
    let best = Backend::best_simd();
    let (alpha, beta) = (
        sigmoid_kernels::HARD_SIGMOID_ALPHA,
        sigmoid_kernels::HARD_SIGMOID_BETA,
    );
    for b in Backend::available() {
        let label = backend_label(b);
        let rep = (b == best, Some(b));
        k.push(forward(
            "sigmoid",
            "exact",
            label.clone(),
            rep,
            Box::new(move |x, y| b.sigmoid(x, y)),
            EXACT,
        ));
        k.extend(half16_kernels(b, &label, rep.0));
        k.push(forward(
            "sigmoid_fast",
            "fast",
            label.clone(),
            rep,
            Box::new(move |x, y| b.sigmoid_fast(x, y)),
            FAST,
        ));
        k.push(Kernel {
            func: Func::SigmoidCr,
            // Not drawn by `plot`: its curve is the exact tier's.
            ..forward(
                "sigmoid_cr",
                "correctly rounded",
                label.clone(),
                (false, rep.1),
                Box::new(move |x, y| b.sigmoid_cr(x, y)),
                CR,
            )
        });
        k.push(Kernel {
            name: "sigmoid_backward",
            tier: "backward",
            backend: label.clone(),
            representative: rep.0,
            cpu: rep.1,
            monotone: true,
            func: Func::Backward,
            run: Run::Backward(Box::new(move |y, dy, dx| b.sigmoid_backward(y, dy, dx))),
            metric: BACKWARD,
        });
        k.push(Kernel {
            name: "sigmoid_backward_from_input",
            tier: "backward from x",
            backend: label.clone(),
            representative: false,
            cpu: rep.1,
            monotone: false,
            func: Func::BackwardFromInput,
            run: Run::Backward(Box::new(move |x, dy, dx| {
                b.sigmoid_backward_from_input(x, dy, dx)
            })),
            metric: FROM_INPUT,
        });
        k.push(Kernel {
            name: "softplus",
            tier: "exact",
            backend: label.clone(),
            representative: false,
            cpu: rep.1,
            monotone: false,
            func: Func::Softplus,
            run: Run::Forward(Box::new(move |x, y| b.softplus(x, y))),
            metric: SOFTPLUS,
        });
        k.push(Kernel {
            name: "log_sigmoid",
            tier: "exact",
            backend: label.clone(),
            representative: false,
            cpu: rep.1,
            monotone: false,
            func: Func::LogSigmoid,
            run: Run::Forward(Box::new(move |x, y| b.log_sigmoid(x, y))),
            metric: LOG_SIGMOID,
        });
        k.push(Kernel {
            name: "softplus",
            tier: "fast",
            backend: label.clone(),
            representative: false,
            cpu: rep.1,
            monotone: false,
            func: Func::Softplus,
            run: Run::Forward(Box::new(move |x, y| b.softplus_fast(x, y))),
            metric: SOFTPLUS_FAST,
        });
        k.push(Kernel {
            name: "log_sigmoid",
            tier: "fast",
            backend: label.clone(),
            representative: false,
            cpu: rep.1,
            monotone: false,
            func: Func::LogSigmoid,
            run: Run::Forward(Box::new(move |x, y| b.log_sigmoid_fast(x, y))),
            metric: LOG_SIGMOID_FAST,
        });
        k.push(Kernel {
            name: "silu",
            tier: "exact",
            backend: label.clone(),
            representative: false,
            cpu: rep.1,
            monotone: false,
            func: Func::Silu,
            run: Run::Forward(Box::new(move |x, y| b.silu(x, y))),
            metric: SILU,
        });
        k.push(Kernel {
            name: "silu_fast",
            tier: "fast (x·σ fast)",
            backend: label.clone(),
            representative: false,
            cpu: rep.1,
            monotone: false,
            func: Func::Silu,
            run: Run::Forward(Box::new(move |x, y| b.silu_fast(x, y))),
            metric: Metric::Ulp,
        });
        k.push(Kernel {
            name: "silu_backward",
            tier: "backward from x",
            backend: label.clone(),
            representative: false,
            cpu: rep.1,
            monotone: false,
            func: Func::SiluBackward,
            run: Run::Backward(Box::new(move |x, dy, dx| b.silu_backward(x, dy, dx))),
            metric: Metric::Ulp,
        });
        k.push(forward(
            "hard_sigmoid",
            "hard (PyTorch)",
            label.clone(),
            rep,
            Box::new(move |x, y| b.hard_sigmoid(x, y)),
            HARD,
        ));
        k.push(forward(
            "hard_sigmoid_affine",
            "hard-affine (0.2x+0.5)",
            label.clone(),
            rep,
            Box::new(move |x, y| b.hard_sigmoid_affine(alpha, beta, x, y)),
            HARD_AFFINE,
        ));
        k.push(Kernel {
            monotone: false,
            ..forward(
                "plan_sigmoid",
                "PLAN",
                label,
                rep,
                Box::new(move |x, y| b.plan_sigmoid(x, y)),
                PLAN,
            )
        });
    }
    let int8 = Int8Sigmoid::new(INT8_INPUT).expect("valid bench parameters");
    let uint8 = Uint8Sigmoid::new(UINT8_INPUT).expect("valid bench parameters");
    // `Portable` runs the same scalar lookup loop as `Scalar`: not repeated.
    for b in Backend::available()
        .into_iter()
        .filter(|&b| b != Backend::Portable)
    {
        let (rep, cpu) = (b == best, Some(b));
        k.push(Kernel {
            name: "int8_sigmoid",
            tier: "quantized",
            backend: format!(
                "{}, {}",
                backend_label(b),
                quant_label(int8.input(), int8.output())
            ),
            representative: rep,
            cpu,
            monotone: true,
            func: Func::Sigmoid,
            run: Run::Int8(int8.clone(), b),
            metric: Metric::Lsb(Int8Sigmoid::MAX_LSB),
        });
        k.push(Kernel {
            name: "uint8_sigmoid",
            tier: "quantized",
            backend: format!(
                "{}, {}",
                backend_label(b),
                quant_label(uint8.input(), uint8.output())
            ),
            representative: rep,
            cpu,
            monotone: true,
            func: Func::Sigmoid,
            run: Run::Uint8(uint8.clone(), b),
            metric: Metric::Lsb(Uint8Sigmoid::MAX_LSB),
        });
    }
    k.push(Kernel {
        name: "q15_sigmoid",
        tier: "quantized",
        backend: format!("scalar integer-only, i16 Q3.{Q15_FRAC_BITS} -> Q0.15"),
        representative: true,
        cpu: None,
        monotone: true,
        func: Func::Sigmoid,
        run: Run::Q15(Q15Sigmoid::new(Q15_FRAC_BITS).expect("n <= 15")),
        metric: Metric::Lsb(Q15Sigmoid::MAX_LSB),
    });
    k.push(host_copy());
    let threads = format!("rayon x{} threads", rayon::current_num_threads());
    k.push(Kernel {
        name: "grad_stats",
        tier: "reduction",
        backend: threads.clone(),
        representative: false,
        cpu: None,
        monotone: false,
        func: Func::Sigmoid,
        run: Run::Read(Box::new(|g| {
            std::hint::black_box(sigmoid_kernels::stats::GradStats::of(g));
        })),
        metric: Metric::None,
    });
    k.push(Kernel {
        name: "read",
        tier: "baseline (read-only)",
        backend: threads,
        representative: false,
        cpu: None,
        monotone: false,
        func: Func::Sigmoid,
        run: Run::Read(Box::new(|g| {
            let x = g
                .par_chunks(sigmoid_kernels::cpu::PAR_CHUNK)
                .map(|c| c.iter().fold(0u32, |a, &x| a ^ x.to_bits()))
                .reduce(|| 0, |a, b| a ^ b);
            std::hint::black_box(x);
        })),
        metric: Metric::None,
    });
    // The two-thread copy the parallel tier is measured against: the same
    // PAR_CHUNK pieces over the same pool as `Backend::Parallel`, each a
    // `copy_from_slice` (ordinary stores). One contiguous half per thread
    // copies at the same speed on the Emerald Rapids VM (1.01-1.03x, in
    // process); the output's pages are faulted in by the warm-up call that
    // every measurement makes first.
    k.push(forward(
        "copy",
        "baseline",
        format!("rayon x{} threads", rayon::current_num_threads()),
        (false, None),
        Box::new(|x, y| {
            y.par_chunks_mut(sigmoid_kernels::cpu::PAR_CHUNK)
                .zip(x.par_chunks(sigmoid_kernels::cpu::PAR_CHUNK))
                .for_each(|(y, x)| y.copy_from_slice(x));
        }),
        Metric::None,
    ));
    k.extend(loss_kernels());
    k
}

/// The fused BCE-with-logits loss and gradient (Mean; the inputs as logits
/// and targets, dx out: 8 bytes read and 4 written per element, like a
/// backward) and the pass it is measured against: dx = x + t on rayon's
/// threads, the same traffic with no work.
fn loss_kernels() -> [Kernel; 2] {
    let threads = rayon::current_num_threads();
    let entry = |name, tier, backend, run| Kernel {
        name,
        tier,
        backend,
        representative: false,
        cpu: None,
        monotone: false,
        func: Func::BackwardFromInput,
        run,
        metric: Metric::None,
    };
    let opts = sigmoid_kernels::loss::BceOptions::default();
    let mean = sigmoid_kernels::loss::Reduction::Mean;
    [
        entry(
            "bce_with_logits_grad",
            "fused loss+grad",
            format!(
                "auto ({}), x{threads} threads from {} elements",
                Backend::best_simd().name(),
                sigmoid_kernels::parallel_threshold()
            ),
            Run::Backward(Box::new(move |x, t, dx| {
                let l = sigmoid_kernels::loss::bce_with_logits_grad(x, t, &opts, mean, dx);
                std::hint::black_box(l.expect("valid options"));
            })),
        ),
        entry(
            "add",
            "loss baseline (8 B in, 4 B out)",
            format!("rayon x{threads} threads"),
            Run::Backward(Box::new(|x, t, dx| {
                let c = sigmoid_kernels::cpu::PAR_CHUNK;
                dx.par_chunks_mut(c)
                    .zip(x.par_chunks(c).zip(t.par_chunks(c)))
                    .for_each(|(d, (x, t))| {
                        for ((d, x), t) in d.iter_mut().zip(x).zip(t) {
                            *d = x + t;
                        }
                    });
            })),
        ),
    ]
}

/// A ramp over [−16, 16], the inputs of the GPU round-trip timing.
#[cfg(feature = "gpu")]
fn ramp(n: usize) -> Vec<f32> {
    (0..n).map(|i| -16.0 + 32.0 * i as f32 / n as f32).collect()
}

/// Without the `gpu` feature: why there are no GPU rows.
#[cfg(not(feature = "gpu"))]
fn gpu_kernels() -> Result<Vec<Kernel>, String> {
    Err("this build has no GPU support (the `gpu` feature is off)".into())
}

/// The GPU entries on a new context, or why there is none.
#[cfg(feature = "gpu")]
fn gpu_kernels() -> Result<Vec<Kernel>, String> {
    let ctx = Arc::new(GpuContext::new().map_err(|e| e.to_string())?);
    let label = format!("wgpu {}", gpu::bench::label(&ctx));
    let err = |e: gpu::GpuError| e.to_string();
    let (c1, c2, c4) = (ctx.clone(), ctx.clone(), ctx.clone());
    let resident = |name: &'static str, bytes, time: Timer| Kernel {
        name,
        tier: "resident",
        backend: label.clone(),
        representative: false,
        cpu: None,
        monotone: false,
        func: Func::Sigmoid,
        run: Run::Device {
            check: None,
            time,
            bytes,
        },
        metric: Metric::None,
    };
    let mut ks: Vec<Kernel> = gpu::bench::RESIDENT
        .into_iter()
        .map(|(name, encode)| {
            let c = ctx.clone();
            resident(
                name,
                8,
                Box::new(move |n, iters| {
                    gpu::bench::resident(&c, encode, n as u64, iters).map_err(err)
                }),
            )
        })
        .collect();
    let c = ctx.clone();
    ks.push(resident(
        "bce_with_logits_gpu",
        16,
        Box::new(move |n, iters| gpu::bench::resident_bce(&c, n as u64, iters).map_err(err)),
    ));
    let mut rows = vec![
        Kernel {
            name: "sigmoid_gpu",
            tier: "round-trip",
            backend: label.clone(),
            representative: false,
            cpu: None,
            // The CPU exact tier's algorithm: monotone like it (`gpu` docs).
            monotone: true,
            func: Func::Sigmoid,
            run: Run::Device {
                check: Some(Box::new(move |x, y| c1.sigmoid_into(x, y).map_err(err))),
                time: Box::new(move |n, iters| {
                    gpu::bench::round_trip(&c2, &ramp(n), iters).map_err(err)
                }),
                bytes: 8,
            },
            metric: GPU_FORWARD,
        },
        Kernel {
            name: "copy",
            tier: "baseline (device)",
            backend: label,
            representative: false,
            cpu: None,
            monotone: true,
            func: Func::Sigmoid,
            run: Run::Device {
                check: None,
                time: Box::new(move |n, iters| gpu::bench::copy(&c4, n as u64, iters).map_err(err)),
                bytes: 8,
            },
            metric: Metric::None,
        },
    ];
    rows.extend(ks);
    Ok(rows)
}

impl Kernel {
    /// For a quantized kernel: each `x` quantized to the nearest input code
    /// (clamped to the type), run through the kernel, and both sides
    /// dequantized: `(input, output)` as real values. `None` for the others.
    pub fn dequantized(&self, x: &[f32]) -> Option<Vec<(f64, f64)>> {
        match &self.run {
            Run::Int8(s, b) => {
                let (i, o) = (s.input(), s.output());
                let q: Vec<i8> = x
                    .iter()
                    .map(|&x| i.quantize(x.into(), (-128, 127)) as i8)
                    .collect();
                let mut y = vec![0i8; q.len()];
                s.apply_with(*b, &q, &mut y);
                Some(
                    q.iter()
                        .zip(&y)
                        .map(|(&q, &y)| (i.dequantize(q.into()), o.dequantize(y.into())))
                        .collect(),
                )
            }
            Run::Uint8(s, b) => {
                let (i, o) = (s.input(), s.output());
                let q: Vec<u8> = x
                    .iter()
                    .map(|&x| i.quantize(x.into(), (0, 255)) as u8)
                    .collect();
                let mut y = vec![0u8; q.len()];
                s.apply_with(*b, &q, &mut y);
                Some(
                    q.iter()
                        .zip(&y)
                        .map(|(&q, &y)| (i.dequantize(q.into()), o.dequantize(y.into())))
                        .collect(),
                )
            }
            Run::Q15(s) => {
                let (i, o) = check::q15_params(s.frac_bits());
                let q: Vec<i16> = x
                    .iter()
                    .map(|&x| i.quantize(x.into(), (-32768, 32767)) as i16)
                    .collect();
                let mut y = vec![0i16; q.len()];
                s.apply(&q, &mut y);
                Some(
                    q.iter()
                        .zip(&y)
                        .map(|(&q, &y)| (i.dequantize(q.into()), o.dequantize(y.into())))
                        .collect(),
                )
            }
            Run::Forward(_)
            | Run::Backward(_)
            | Run::Device { .. }
            | Run::Half16 { .. }
            | Run::Read(_) => None,
        }
    }
}

/// Max |dequantized output − σ(dequantized input)| of a quantized kernel
/// over every input code (`None` for other kernels).
pub fn quant_abs(k: &Kernel) -> Option<f64> {
    let x: Vec<f32> = match &k.run {
        Run::Int8(s, _) => (-128..=127)
            .map(|q| s.input().dequantize(q) as f32)
            .collect(),
        Run::Uint8(s, _) => (0..=255).map(|q| s.input().dequantize(q) as f32).collect(),
        Run::Q15(s) => (-32768..=32767)
            .map(|q| check::q15_params(s.frac_bits()).0.dequantize(q) as f32)
            .collect(),
        Run::Forward(_)
        | Run::Backward(_)
        | Run::Device { .. }
        | Run::Half16 { .. }
        | Run::Read(_) => return None,
    };
    let pairs = k.dequantized(&x)?;
    Some(
        pairs
            .into_iter()
            .map(|(x, y)| (y - reference::sigmoid_f64(x)).abs())
            .fold(0.0, f64::max),
    )
}

#[cfg(all(test, feature = "gpu"))]
mod tests {
    use super::*;

    /// Every GPU entry's `name tier` is in [`GPU_HEADS`], so a filter that
    /// names it creates the context (skipped without an adapter).
    #[test]
    fn gpu_heads_name_every_gpu_entry() {
        let ks = match gpu_kernels() {
            Ok(ks) => ks,
            Err(e) => return eprintln!("no GPU entries to check: {e}"),
        };
        assert_eq!(ks.len(), GPU_HEADS.len());
        for k in ks {
            let head = format!("{} {} wgpu", k.name, k.tier);
            assert!(
                GPU_HEADS.contains(&head.as_str()),
                "{head} not in GPU_HEADS"
            );
        }
    }
}
