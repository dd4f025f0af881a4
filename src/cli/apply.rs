//! `apply`: runs one kernel over a NumPy `.npy` array and writes the result
//! as `.npy`, shape kept, through a temporary file renamed at the end.
//!
//! The kernels it knows are the [`KERNELS`] table: one [`ApplyKernel`] entry
//! each, naming the parameter flags it accepts and its forward (and, where
//! one exists, backward) function. Parameter values are validated before any
//! file is read; a flag given to a kernel that does not use it is an error,
//! not silently ignored.
//!
//! Adding a kernel is one entry in [`KERNELS`]: `hard` (no parameters),
//! `hard-affine` (`params: &["--alpha", "--beta"]`, defaults 0.2/0.5 read
//! from [`Args`]), `plan`, `int8`/`uint8` (`--scale`, `--zero-point`,
//! `--out-scale`, `--out-zero-point`; the forward narrows the zero points to
//! its type, e.g. -128..=127, and checks the input dtype), `q15`
//! (`--frac-bits`), `gpu` (an entry only when an adapter exists). A backward
//! takes `x` for the hard/PLAN forms and the saved `y` for `exact`/`gpu`.

use super::npy::{self, Array, Data};
use super::CliError;
use std::path::PathBuf;

/// Options of the `apply` subcommand.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The kernel (see the list in `apply --help`).
    #[arg(long)]
    pub kernel: String,
    /// Input `.npy` (for `--backward`: the saved forward output y).
    #[arg(long, value_name = "x.npy")]
    pub input: PathBuf,
    /// Output `.npy` (written to a temporary name, then renamed).
    #[arg(long, value_name = "y.npy")]
    pub output: PathBuf,
    /// Run the kernel's backward: dx = dy·y·(1 − y); needs `--grad`.
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
    /// Fraction bits n of a fixed-point Qm.n input (0..=15).
    #[arg(long)]
    pub frac_bits: Option<u32>,
}

/// A forward kernel over a whole array.
pub type Forward = fn(Array, &Args) -> Result<Array, String>;
/// A backward kernel: (saved input, upstream gradient) → gradient.
pub type Backward = fn(Array, Array, &Args) -> Result<Array, String>;

/// One kernel `apply` can run.
pub struct ApplyKernel {
    /// What `--kernel` takes.
    pub name: &'static str,
    /// One line for the help text.
    pub about: &'static str,
    /// The parameter flags it uses (others are rejected).
    pub params: &'static [&'static str],
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
        forward: |x, _| f32_map(x, "fast", sigmoid_kernels::sigmoid_fast_inplace),
        backward: None,
    },
];

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
        s.push_str(&format!("  {:<8} {} [{params}{bwd}]\n", k.name, k.about));
    }
    s
}

fn f32_data(a: Array, kernel: &str) -> Result<Vec<f32>, String> {
    match a.data {
        Data::F32(v) => Ok(v),
        d => Err(format!(
            "kernel `{kernel}` needs float32 input, got {}",
            d.dtype().name()
        )),
    }
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
