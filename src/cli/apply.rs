//! `apply`: runs one kernel over a NumPy `.npy` array and writes the result
//! as `.npy`, shape kept, through a temporary file renamed at the end.
//!
//! The kernels it knows are the [`KERNELS`] table: one [`ApplyKernel`] entry
//! each, naming the parameter flags it accepts, a check of their values for
//! that kernel, and its forward (and, where one exists, backward) function.
//! Parameter values are validated before any file is read (the generic
//! checks in `validate`, then the kernel's own, e.g. an `int8` zero point
//! in −128..=127); a flag given to a kernel that does not use it is an
//! error, not silently ignored. Each forward checks the input dtype.
//!
//! A backward takes `x` for the hard/PLAN forms and the saved `y` for
//! `exact`/`gpu`. The `gpu` kernel creates its device after reading the
//! input; without an adapter it fails with the reason and writes nothing.

use super::npy::{self, Array, Data};
use super::CliError;
#[cfg(feature = "gpu")]
use sigmoid_kernels::gpu::GpuContext;
use sigmoid_kernels::quant::{
    Int8Sigmoid, Q15Sigmoid, QuantError, QuantParams, Side, Uint8Sigmoid,
};
use std::path::PathBuf;

/// Options of the `apply` subcommand.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The kernel (see the list in `apply --help`).
    #[arg(long)]
    pub kernel: String,
    /// Input `.npy` (for `--backward`: the saved forward output y for
    /// `exact`/`gpu`, the forward input x for `hard`/`hard-affine`/`plan`).
    #[arg(long, value_name = "x.npy")]
    pub input: PathBuf,
    /// Output `.npy` (written to a temporary name, then renamed).
    #[arg(long, value_name = "y.npy")]
    pub output: PathBuf,
    /// Run the kernel's backward (`exact`/`gpu`: dx = dy·y·(1 − y); the
    /// hard/PLAN forms: dy times their slope at x); needs `--grad`.
    #[arg(long)]
    pub backward: bool,
    /// Upstream gradient dy for `--backward`, same shape as the input.
    #[arg(long, value_name = "dy.npy")]
    pub grad: Option<PathBuf>,
    /// Slope of an affine hard sigmoid (finite).
    #[arg(long, allow_hyphen_values = true)]
    pub alpha: Option<f32>,
    /// Offset of an affine hard sigmoid (finite).
    #[arg(long, allow_hyphen_values = true)]
    pub beta: Option<f32>,
    /// Input quantization scale of a quantized kernel (finite, > 0).
    #[arg(long, allow_hyphen_values = true)]
    pub scale: Option<f32>,
    /// Input zero point of a quantized kernel (in its integer type's range).
    #[arg(long, allow_hyphen_values = true)]
    pub zero_point: Option<i64>,
    /// Output quantization scale of a quantized kernel (finite, > 0).
    #[arg(long, allow_hyphen_values = true)]
    pub out_scale: Option<f32>,
    /// Output zero point of a quantized kernel (in its integer type's range).
    #[arg(long, allow_hyphen_values = true)]
    pub out_zero_point: Option<i64>,
    /// Fraction bits n of a fixed-point Qm.n input (0..=15; `q15` default
    /// 12, TFLite's Q3.12).
    #[arg(long)]
    pub frac_bits: Option<u32>,
}

/// `q15`'s input format when `--frac-bits` is not given.
const Q15_DEFAULT_FRAC_BITS: u32 = 12;

/// A forward kernel over a whole array.
pub type Forward = fn(Array, &Args) -> Result<Array, String>;
/// A backward kernel: (saved input, upstream gradient) → gradient.
pub type Backward = fn(Array, Array, &Args) -> Result<Array, String>;
/// A check of the parameter values for one kernel.
pub type Check = fn(&Args) -> Result<(), String>;

/// One kernel `apply` can run.
pub struct ApplyKernel {
    /// What `--kernel` takes.
    pub name: &'static str,
    /// One line for the help text.
    pub about: &'static str,
    /// The parameter flags it uses (others are rejected).
    pub params: &'static [&'static str],
    /// Rejects parameter values this kernel cannot use (before any I/O).
    pub check: Check,
    /// `y = f(x)`.
    pub forward: Forward,
    /// `dx = f(y or x, dy)` (same shapes, checked before the call).
    pub backward: Option<Backward>,
}

/// Every kernel `apply` knows.
pub const KERNELS: &[ApplyKernel] = &[
    ApplyKernel {
        name: "exact",
        about: "σ within 1 ULP (sigmoid_kernels::sigmoid); backward takes the saved y",
        params: &[],
        check: |_| Ok(()),
        forward: |x, _| f32_map(x, "exact", sigmoid_kernels::sigmoid_inplace),
        backward: Some(|y, dy, _| {
            let y = f32_data(y, "exact").map_err(|e| format!("y: {e}"))?;
            f32_map(dy, "exact", |dy| {
                sigmoid_kernels::sigmoid_backward_inplace(&y, dy);
            })
            .map_err(|e| format!("dy: {e}"))
        }),
    },
    ApplyKernel {
        name: "fast",
        about: "σ within 1e-4 relative (sigmoid_kernels::sigmoid_fast)",
        params: &[],
        check: |_| Ok(()),
        forward: |x, _| f32_map(x, "fast", sigmoid_kernels::sigmoid_fast_inplace),
        backward: None,
    },
    ApplyKernel {
        name: "hard",
        about: "PyTorch hardsigmoid, relu6(x+3)/6 (sigmoid_kernels::hard_sigmoid); backward takes x",
        params: &[],
        check: |_| Ok(()),
        forward: |x, _| f32_map(x, "hard", sigmoid_kernels::hard_sigmoid_inplace),
        backward: Some(|x, dy, _| f32_grad(x, dy, "hard", sigmoid_kernels::hard_sigmoid_backward)),
    },
    ApplyKernel {
        name: "hard-affine",
        about: "ONNX HardSigmoid, max(0, min(1, alpha*x + beta)), defaults 0.2/0.5; backward takes x",
        params: &["--alpha", "--beta"],
        check: |_| Ok(()),
        forward: |x, a| {
            let (alpha, beta) = affine(a);
            f32_map(x, "hard-affine", |x| {
                sigmoid_kernels::hard_sigmoid_affine_inplace(alpha, beta, x);
            })
        },
        backward: Some(|x, dy, a| {
            let (alpha, beta) = affine(a);
            f32_grad(x, dy, "hard-affine", |x, dy, dx| {
                sigmoid_kernels::hard_sigmoid_affine_backward(alpha, beta, x, dy, dx);
            })
        }),
    },
    ApplyKernel {
        name: "plan",
        about: "PLAN piecewise-linear sigmoid (sigmoid_kernels::plan_sigmoid); backward takes x",
        params: &[],
        check: |_| Ok(()),
        forward: |x, _| f32_map(x, "plan", sigmoid_kernels::plan_sigmoid_inplace),
        backward: Some(|x, dy, _| f32_grad(x, dy, "plan", sigmoid_kernels::plan_sigmoid_backward)),
    },
    ApplyKernel {
        name: "int8",
        about: "int8 in, int8 out: --scale S (required), --zero-point (default 0); output 1/256, -128 unless --out-scale/--out-zero-point",
        params: QUANT_PARAMS,
        check: |a| int8(a).map(drop),
        forward: |x, a| {
            let s = int8(a)?;
            match x.data {
                Data::I8(mut v) => {
                    s.apply_inplace(&mut v);
                    Ok(Array { shape: x.shape, data: Data::I8(v) })
                }
                d => Err(wrong_dtype("int8", "int8", &d)),
            }
        },
        backward: None,
    },
    ApplyKernel {
        name: "uint8",
        about: "uint8 in, uint8 out: --scale S (required), --zero-point (default 0); output 1/256, 0 unless --out-scale/--out-zero-point",
        params: QUANT_PARAMS,
        check: |a| uint8(a).map(drop),
        forward: |x, a| {
            let s = uint8(a)?;
            match x.data {
                Data::U8(mut v) => {
                    s.apply_inplace(&mut v);
                    Ok(Array { shape: x.shape, data: Data::U8(v) })
                }
                d => Err(wrong_dtype("uint8", "uint8", &d)),
            }
        },
        backward: None,
    },
    ApplyKernel {
        name: "q15",
        about: "int16 Qm.n in (--frac-bits n, default 12 = Q3.12), int16 Q0.15 out, integer-only",
        params: &["--frac-bits"],
        check: |a| q15(a).map(drop),
        forward: |x, a| {
            let s = q15(a)?;
            match x.data {
                Data::I16(mut v) => {
                    s.apply_inplace(&mut v);
                    Ok(Array { shape: x.shape, data: Data::I16(v) })
                }
                d => Err(wrong_dtype("q15", "int16", &d)),
            }
        },
        backward: None,
    },
    ApplyKernel {
        name: "gpu",
        about: "the WGSL forward on the GPU (sigmoid_kernels::gpu); backward takes the saved y",
        params: &[],
        check: |_| Ok(()),
        forward: |x, _| {
            let shape = x.shape.clone();
            let y = gpu_forward(&f32_data(x, "gpu")?)?;
            Ok(Array { shape, data: Data::F32(y) })
        },
        backward: Some(|y, dy, _| {
            let shape = y.shape.clone();
            let y = f32_data(y, "gpu").map_err(|e| format!("y: {e}"))?;
            let dy = f32_data(dy, "gpu").map_err(|e| format!("dy: {e}"))?;
            let dx = gpu_backward(&y, &dy)?;
            Ok(Array { shape, data: Data::F32(dx) })
        }),
    },
];

/// The flags of the 8-bit quantized kernels.
const QUANT_PARAMS: &[&str] = &["--scale", "--zero-point", "--out-scale", "--out-zero-point"];

/// `--alpha`, `--beta` or the ONNX defaults.
fn affine(a: &Args) -> (f32, f32) {
    (
        a.alpha.unwrap_or(sigmoid_kernels::HARD_SIGMOID_ALPHA),
        a.beta.unwrap_or(sigmoid_kernels::HARD_SIGMOID_BETA),
    )
}

/// The input and output parameters of an 8-bit kernel from the flags
/// (`default_out` where `--out-*` are not given).
fn quant_params(
    a: &Args,
    kernel: &str,
    default_out: QuantParams,
) -> Result<(QuantParams, QuantParams), String> {
    let scale = a
        .scale
        .ok_or_else(|| format!("kernel `{kernel}` needs --scale (the input quantization scale)"))?;
    // `validate` has bounded the zero points to -32768..=32767.
    let zp = |v: Option<i64>, default: i32| v.map_or(default, |v| v as i32);
    Ok((
        QuantParams::new(scale, zp(a.zero_point, 0)),
        QuantParams::new(
            a.out_scale.unwrap_or(default_out.scale),
            zp(a.out_zero_point, default_out.zero_point),
        ),
    ))
}

/// `--scale`/`--zero-point` named after the side of a [`QuantError`].
fn quant_error(kernel: &str, e: QuantError) -> String {
    let flag = match e {
        QuantError::Scale {
            side: Side::Input, ..
        } => "--scale",
        QuantError::Scale {
            side: Side::Output, ..
        } => "--out-scale",
        QuantError::ZeroPoint {
            side: Side::Input, ..
        } => "--zero-point",
        QuantError::ZeroPoint {
            side: Side::Output, ..
        } => "--out-zero-point",
        QuantError::FracBits { .. } => "--frac-bits",
    };
    format!("kernel `{kernel}`: invalid {flag}: {e}")
}

fn int8(a: &Args) -> Result<Int8Sigmoid, String> {
    let (i, o) = quant_params(a, "int8", Int8Sigmoid::DEFAULT_OUTPUT)?;
    Int8Sigmoid::with_output(i, o).map_err(|e| quant_error("int8", e))
}

fn uint8(a: &Args) -> Result<Uint8Sigmoid, String> {
    let (i, o) = quant_params(a, "uint8", Uint8Sigmoid::DEFAULT_OUTPUT)?;
    Uint8Sigmoid::with_output(i, o).map_err(|e| quant_error("uint8", e))
}

fn q15(a: &Args) -> Result<Q15Sigmoid, String> {
    Q15Sigmoid::new(a.frac_bits.unwrap_or(Q15_DEFAULT_FRAC_BITS)).map_err(|e| quant_error("q15", e))
}

/// σ on a new GPU context, or why there is none.
#[cfg(feature = "gpu")]
fn gpu_forward(x: &[f32]) -> Result<Vec<f32>, String> {
    GpuContext::new()
        .and_then(|ctx| ctx.sigmoid(x))
        .map_err(|e| format!("kernel `gpu`: {e}"))
}

/// The GPU backward from the saved `y`, or why there is none.
#[cfg(feature = "gpu")]
fn gpu_backward(y: &[f32], dy: &[f32]) -> Result<Vec<f32>, String> {
    GpuContext::new()
        .and_then(|ctx| ctx.sigmoid_backward(y, dy))
        .map_err(|e| format!("kernel `gpu`: {e}"))
}

#[cfg(not(feature = "gpu"))]
const NO_GPU: &str = "kernel `gpu`: this build has no GPU support (the `gpu` feature is off)";

#[cfg(not(feature = "gpu"))]
fn gpu_forward(_: &[f32]) -> Result<Vec<f32>, String> {
    Err(NO_GPU.into())
}

#[cfg(not(feature = "gpu"))]
fn gpu_backward(_: &[f32], _: &[f32]) -> Result<Vec<f32>, String> {
    Err(NO_GPU.into())
}

fn wrong_dtype(kernel: &str, want: &str, got: &Data) -> String {
    format!(
        "kernel `{kernel}` needs {want} input, got {}",
        got.dtype().name()
    )
}

/// The `--kernel` names, comma-separated.
pub fn names() -> String {
    KERNELS
        .iter()
        .map(|k| k.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `apply --help` text listing [`KERNELS`] with the flags each takes.
pub fn help() -> String {
    let mut s = String::from("Kernels (parameter flags are validated, and refused by a kernel that does not take them):\n");
    for k in KERNELS {
        let params = if k.params.is_empty() {
            "no parameters".to_string()
        } else {
            k.params.join(" ")
        };
        let bwd = if k.backward.is_some() {
            ", --backward"
        } else {
            ""
        };
        s.push_str(&format!("  {:<12} {} [{params}{bwd}]\n", k.name, k.about));
    }
    s
}

fn f32_data(a: Array, kernel: &str) -> Result<Vec<f32>, String> {
    match a.data {
        Data::F32(v) => Ok(v),
        d => Err(wrong_dtype(kernel, "float32", &d)),
    }
}

/// A gradient `dx = f(x, dy)` over `f32` arrays of one shape (checked by
/// the caller), keeping it.
fn f32_grad(
    x: Array,
    dy: Array,
    kernel: &str,
    f: impl FnOnce(&[f32], &[f32], &mut [f32]),
) -> Result<Array, String> {
    let shape = x.shape.clone();
    let x = f32_data(x, kernel).map_err(|e| format!("x: {e}"))?;
    let dy = f32_data(dy, kernel).map_err(|e| format!("dy: {e}"))?;
    let mut dx = vec![0.0; x.len()];
    f(&x, &dy, &mut dx);
    Ok(Array {
        shape,
        data: Data::F32(dx),
    })
}

/// Applies an in-place `f32` kernel to `a`, keeping its shape.
fn f32_map(a: Array, kernel: &str, f: impl FnOnce(&mut [f32])) -> Result<Array, String> {
    let shape = a.shape.clone();
    let mut v = f32_data(a, kernel)?;
    f(&mut v);
    Ok(Array {
        shape,
        data: Data::F32(v),
    })
}

/// Checks every parameter value given, whatever the kernel.
fn validate(a: &Args) -> Result<(), String> {
    for (flag, v) in [("--alpha", a.alpha), ("--beta", a.beta)] {
        if let Some(v) = v.filter(|v| !v.is_finite()) {
            return Err(format!("invalid {flag} {v}: must be finite"));
        }
    }
    for (flag, v) in [("--scale", a.scale), ("--out-scale", a.out_scale)] {
        if let Some(v) = v.filter(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("invalid {flag} {v}: must be finite and > 0"));
        }
    }
    // Together the integer types of quantized kernels (int8, uint8, int16)
    // span -32768..=32767; each kernel narrows this to its own type.
    for (flag, v) in [
        ("--zero-point", a.zero_point),
        ("--out-zero-point", a.out_zero_point),
    ] {
        if let Some(v) = v.filter(|v| !(-32768..=32767).contains(v)) {
            return Err(format!(
                "invalid {flag} {v}: out of range for every quantized type (-32768..=32767)"
            ));
        }
    }
    if let Some(n) = a.frac_bits.filter(|&n| n > 15) {
        return Err(format!("invalid --frac-bits {n}: at most 15 (int16 Qm.n)"));
    }
    Ok(())
}

/// The parameter flags given on the command line.
fn given(a: &Args) -> Vec<&'static str> {
    [
        ("--alpha", a.alpha.is_some()),
        ("--beta", a.beta.is_some()),
        ("--scale", a.scale.is_some()),
        ("--zero-point", a.zero_point.is_some()),
        ("--out-scale", a.out_scale.is_some()),
        ("--out-zero-point", a.out_zero_point.is_some()),
        ("--frac-bits", a.frac_bits.is_some()),
    ]
    .into_iter()
    .filter_map(|(f, g)| g.then_some(f))
    .collect()
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<(), CliError> {
    validate(args).map_err(CliError::Usage)?;
    let k = KERNELS
        .iter()
        .find(|k| k.name == args.kernel)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "unknown kernel `{}`; known kernels: {}",
                args.kernel,
                names()
            ))
        })?;
    if let Some(flag) = given(args).into_iter().find(|f| !k.params.contains(f)) {
        return Err(CliError::Usage(format!(
            "kernel `{}` takes no {flag}",
            k.name
        )));
    }
    (k.check)(args).map_err(CliError::Usage)?;
    let out = if args.backward {
        let backward = k.backward.ok_or_else(|| {
            let with: Vec<&str> = KERNELS
                .iter()
                .filter(|k| k.backward.is_some())
                .map(|k| k.name)
                .collect();
            CliError::Usage(format!(
                "kernel `{}` has no backward; kernels with one: {}",
                k.name,
                with.join(", ")
            ))
        })?;
        let grad = args
            .grad
            .as_ref()
            .ok_or_else(|| CliError::Usage("--backward needs --grad dy.npy".into()))?;
        let x = npy::read(&args.input).map_err(CliError::Failed)?;
        let dy = npy::read(grad).map_err(CliError::Failed)?;
        if x.shape != dy.shape {
            return Err(CliError::Failed(format!(
                "shape mismatch: {} has shape {:?}, {} has shape {:?}",
                args.input.display(),
                x.shape,
                grad.display(),
                dy.shape
            )));
        }
        backward(x, dy, args).map_err(|e| {
            format!(
                "{} with --grad {}: {e}",
                args.input.display(),
                grad.display()
            )
        })
    } else {
        if args.grad.is_some() {
            return Err(CliError::Usage(
                "--grad is only used with --backward".into(),
            ));
        }
        (k.forward)(npy::read(&args.input).map_err(CliError::Failed)?, args)
            .map_err(|e| format!("{}: {e}", args.input.display()))
    };
    let out = out.map_err(CliError::Failed)?;
    npy::write_atomic(&args.output, &npy::to_bytes(&out)).map_err(CliError::Failed)
}
