//! `apply`: runs one kernel over a NumPy `.npy` array and writes the result
//! as `.npy`, shape kept.
//!
//! Each kernel is a subcommand taking exactly its own flags (`apply int8
//! --help` lists them); clap checks their values, the quantized kernels'
//! constructors check the rest, all before any file is opened. The arrays
//! stream through in chunks of [`CHUNK`] elements (the kernels are
//! element-wise), so they may be larger than memory, and the output is
//! written through [`AtomicFile`]: whole or not at all, never through a
//! link or over a non-regular file.
//!
//! A backward takes `x` for the hard/PLAN forms and SiLU and the saved `y` for
//! `exact`/`gpu`. The `gpu` kernel creates its device at the first chunk;
//! without an adapter it fails with the reason and writes nothing.

use super::fsutil::AtomicFile;
use super::npy::{self, Elem, Reader};
use super::CliError;
use sigmoid_kernels as sk;
#[cfg(feature = "gpu")]
use sigmoid_kernels::gpu::GpuContext;
use sigmoid_kernels::quant::{
    Int8Sigmoid, Q15Sigmoid, QuantError, QuantParams, Side, Uint8Sigmoid,
};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of the `apply` subcommand.
#[derive(clap::Args, Debug)]
#[command(
    subcommand_value_name = "KERNEL",
    subcommand_help_heading = "Kernels",
    disable_help_subcommand = true
)]
pub struct Args {
    #[command(subcommand)]
    kernel: Kernel,
}

#[derive(clap::Subcommand, Debug)]
enum Kernel {
    /// σ within 1 ULP (sigmoid_kernels::sigmoid; f16/bf16: correctly rounded); the backward takes the saved y.
    Exact(Typed),
    /// σ within 1e-4 relative (sigmoid_kernels::sigmoid_fast).
    Fast(Io),
    /// PyTorch's hardsigmoid, relu6(x + 3)/6; the backward takes x.
    Hard(Typed),
    /// ONNX HardSigmoid, max(0, min(1, alpha·x + beta)); the backward takes x.
    HardAffine(Affine),
    /// PLAN piecewise-linear sigmoid; the backward takes x.
    Plan(Float),
    /// int8 in, int8 out (sigmoid_kernels::quant::Int8Sigmoid).
    Int8(Quant),
    /// uint8 in, uint8 out (sigmoid_kernels::quant::Uint8Sigmoid).
    Uint8(Quant),
    /// int16 Qm.n in, int16 Q0.15 out, integer-only (sigmoid_kernels::quant::Q15Sigmoid).
    Q15(Q15),
    /// SiLU x·σ(x) within 2 ULP (sigmoid_kernels::silu); the backward takes x.
    Silu(Float),
    /// The WGSL forward on the GPU (sigmoid_kernels::gpu); the backward takes the saved y.
    Gpu(Float),
    /// Binary cross-entropy on logits, fused with its gradient (sigmoid_kernels::loss).
    BceWithLogits(super::apply_loss::Args),
    /// Binary cross-entropy on probabilities, PyTorch's BCELoss (sigmoid_kernels::loss::bce).
    Bce(super::apply_loss::Args),
}

/// The files of every kernel.
#[derive(clap::Args, Debug)]
struct Io {
    /// Input .npy.
    #[arg(long, value_name = "x.npy")]
    input: PathBuf,
    /// Output .npy: written whole or not at all; a regular file there is
    /// replaced (its permissions kept), a link, FIFO or device refused.
    #[arg(long, value_name = "y.npy")]
    output: PathBuf,
}

/// A float kernel with a backward.
#[derive(clap::Args, Debug)]
struct Float {
    #[command(flatten)]
    io: Io,
    /// Write the gradient dx = dy·σ'(x) instead; --input is the saved
    /// forward output y (exact, gpu) or the forward input x (the others;
    /// for silu, dy·silu'(x)).
    #[arg(long, requires = "grad")]
    backward: bool,
    /// Upstream gradient dy for --backward, same shape as the input.
    #[arg(long, value_name = "dy.npy", requires = "backward")]
    grad: Option<PathBuf>,
}

/// A float kernel that also runs on 16-bit floats.
#[derive(clap::Args, Debug)]
struct Typed {
    #[command(flatten)]
    float: Float,
    /// Element type of every file: f32 (`<f4`), f16 (`<f2`), or bf16 as
    /// bits in a `<u2`, `<i2` or `V2` file (`np.save` of an
    /// `ml_dtypes.bfloat16` array writes `V2`; load the output with
    /// `np.load(path).view(ml_dtypes.bfloat16)`); the output keeps the
    /// input's descr.
    #[arg(long, value_enum, default_value_t = Dtype16::F32)]
    dtype: Dtype16,
}

/// `--dtype` of [`Typed`].
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Dtype16 {
    F32,
    F16,
    Bf16,
}

#[derive(clap::Args, Debug)]
struct Affine {
    #[command(flatten)]
    float: Float,
    /// Slope (finite).
    #[arg(long, default_value_t = sk::HARD_SIGMOID_ALPHA, value_parser = finite, allow_hyphen_values = true)]
    alpha: f32,
    /// Offset (finite).
    #[arg(long, default_value_t = sk::HARD_SIGMOID_BETA, value_parser = finite, allow_hyphen_values = true)]
    beta: f32,
}

/// The flags of the 8-bit kernels.
#[derive(clap::Args, Debug)]
struct Quant {
    #[command(flatten)]
    io: Io,
    /// Input quantization scale (finite, > 0).
    #[arg(long, allow_hyphen_values = true)]
    scale: f32,
    /// Input zero point, in the integer type's range.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    zero_point: i32,
    /// Output scale [default: 1/256].
    #[arg(long, allow_hyphen_values = true)]
    out_scale: Option<f32>,
    /// Output zero point [default: -128 for int8, 0 for uint8].
    #[arg(long, allow_hyphen_values = true)]
    out_zero_point: Option<i32>,
}

#[derive(clap::Args, Debug)]
struct Q15 {
    #[command(flatten)]
    io: Io,
    /// Fraction bits n of the Qm.n input (0..=15; 12 is TFLite's Q3.12).
    #[arg(long, default_value = "12", value_parser = q15_format, allow_hyphen_values = true)]
    frac_bits: Q15Sigmoid,
}

/// Elements per chunk: large enough for the parallel kernels, small enough
/// to keep memory flat.
pub const CHUNK: usize = 1 << 20;

fn finite(s: &str) -> Result<f32, String> {
    let v: f32 = s.parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err("must be finite".into())
    }
}

fn q15_format(s: &str) -> Result<Q15Sigmoid, String> {
    let n: i64 = s.parse().map_err(|e| format!("{e}"))?;
    let n = u32::try_from(n).map_err(|_| "the number of fraction bits cannot be negative")?;
    Q15Sigmoid::new(n).map_err(|e| e.to_string())
}

impl Quant {
    /// The input and output parameters (`default_out` where `--out-*` are
    /// not given).
    fn params(&self, default_out: QuantParams) -> (QuantParams, QuantParams) {
        (
            QuantParams::new(self.scale, self.zero_point),
            QuantParams::new(
                self.out_scale.unwrap_or(default_out.scale),
                self.out_zero_point.unwrap_or(default_out.zero_point),
            ),
        )
    }
}

/// `--scale` etc. named after the side of a [`QuantError`].
fn quant_error(kernel: &str, e: QuantError) -> CliError {
    let flag = match e {
        QuantError::Scale {
            side: Side::Input, ..
        } => "--scale",
        QuantError::Scale { .. } => "--out-scale",
        QuantError::ZeroPoint {
            side: Side::Input, ..
        } => "--zero-point",
        QuantError::ZeroPoint { .. } => "--out-zero-point",
        QuantError::FracBits { .. } => "--frac-bits",
    };
    CliError::Usage(format!("kernel `{kernel}`: invalid {flag}: {e}"))
}

impl Float {
    /// The forward `fwd` or, with `--backward`, `bwd` (saved input,
    /// dy → dx in place).
    fn run<T: Elem>(
        &self,
        kernel: &str,
        mut fwd: impl FnMut(&mut [T]) -> Result<(), String>,
        mut bwd: impl FnMut(&[T], &mut [T]) -> Result<(), String>,
    ) -> Result<(), CliError> {
        match &self.grad {
            Some(dy) => stream(kernel, [&self.io.input, dy], &self.io.output, |[x, dy]| {
                bwd(x, dy)
            }),
            None => stream(kernel, [&self.io.input], &self.io.output, |[x]| fwd(x)),
        }
    }
}

/// A backward `f(x, dy, dx)` as `(x, dy → dx)`.
fn in_place<T: Copy>(
    f: impl Fn(&[T], &[T], &mut [T]),
) -> impl FnMut(&[T], &mut [T]) -> Result<(), String> {
    let mut dy_copy = Vec::new();
    move |x, dy| {
        dy_copy.clear();
        dy_copy.extend_from_slice(dy);
        f(x, &dy_copy, dy);
        Ok(())
    }
}

/// `f` as a kernel that cannot fail.
fn infallible<T>(f: impl Fn(&mut [T])) -> impl FnMut(&mut [T]) -> Result<(), String> {
    move |x| {
        f(x);
        Ok(())
    }
}

impl Elem for sk::half::f16 {
    const DTYPE: npy::Dtype = npy::Dtype::F16;
}

impl Elem for sk::half::bf16 {
    const DTYPE: npy::Dtype = npy::Dtype::U16;
    fn accepts(d: npy::Dtype) -> bool {
        matches!(d, npy::Dtype::U16 | npy::Dtype::I16 | npy::Dtype::V2)
    }
}

/// Runs the subcommand.
pub fn run(args: &Args) -> Result<(), CliError> {
    match &args.kernel {
        Kernel::Exact(Typed { float: a, dtype }) => match dtype {
            Dtype16::F32 => a.run("exact", infallible(sk::sigmoid_inplace), |y, dy| {
                sk::sigmoid_backward_inplace(y, dy);
                Ok(())
            }),
            Dtype16::F16 => a.run("exact", infallible(sk::sigmoid_f16_inplace), |y, dy| {
                sk::sigmoid_backward_f16_inplace(y, dy);
                Ok(())
            }),
            Dtype16::Bf16 => a.run("exact", infallible(sk::sigmoid_bf16_inplace), |y, dy| {
                sk::sigmoid_backward_bf16_inplace(y, dy);
                Ok(())
            }),
        },
        Kernel::Fast(io) => stream("fast", [&io.input], &io.output, |[x]| {
            sk::sigmoid_fast_inplace(x);
            Ok(())
        }),
        Kernel::Hard(Typed { float: a, dtype }) => match dtype {
            Dtype16::F32 => a.run(
                "hard",
                infallible(sk::hard_sigmoid_inplace),
                in_place(sk::hard_sigmoid_backward),
            ),
            Dtype16::F16 => a.run(
                "hard",
                infallible(sk::hard_sigmoid_f16_inplace),
                in_place(sk::hard_sigmoid_backward_f16),
            ),
            Dtype16::Bf16 => a.run(
                "hard",
                infallible(sk::hard_sigmoid_bf16_inplace),
                in_place(sk::hard_sigmoid_backward_bf16),
            ),
        },
        Kernel::HardAffine(Affine { float, alpha, beta }) => float.run(
            "hard-affine",
            infallible(|x| sk::hard_sigmoid_affine_inplace(*alpha, *beta, x)),
            in_place(|x, dy, dx| sk::hard_sigmoid_affine_backward(*alpha, *beta, x, dy, dx)),
        ),
        Kernel::Plan(a) => a.run(
            "plan",
            infallible(sk::plan_sigmoid_inplace),
            in_place(sk::plan_sigmoid_backward),
        ),
        Kernel::Int8(q) => {
            let (i, o) = q.params(Int8Sigmoid::DEFAULT_OUTPUT);
            let k = Int8Sigmoid::with_output(i, o).map_err(|e| quant_error("int8", e))?;
            stream("int8", [&q.io.input], &q.io.output, |[x]| {
                k.apply_inplace(x);
                Ok(())
            })
        }
        Kernel::Uint8(q) => {
            let (i, o) = q.params(Uint8Sigmoid::DEFAULT_OUTPUT);
            let k = Uint8Sigmoid::with_output(i, o).map_err(|e| quant_error("uint8", e))?;
            stream("uint8", [&q.io.input], &q.io.output, |[x]| {
                k.apply_inplace(x);
                Ok(())
            })
        }
        Kernel::Q15(q) => stream("q15", [&q.io.input], &q.io.output, |[x]| {
            q.frac_bits.apply_inplace(x);
            Ok(())
        }),
        Kernel::Silu(a) => a.run("silu", infallible(sk::silu_inplace), |x, dy| {
            sk::silu_backward_inplace(x, dy);
            Ok(())
        }),
        Kernel::Gpu(a) => gpu(a),
        Kernel::BceWithLogits(a) => super::apply_loss::run(super::apply_loss::Form::Logits, a),
        Kernel::Bce(a) => super::apply_loss::run(super::apply_loss::Form::Probabilities, a),
    }
}

#[cfg(feature = "gpu")]
fn gpu(a: &Float) -> Result<(), CliError> {
    // Created at the first chunk, after the inputs' headers passed.
    let cell = std::cell::OnceCell::new();
    let ctx = || -> Result<&GpuContext, String> {
        if let Some(c) = cell.get() {
            return Ok(c);
        }
        let c = GpuContext::new().map_err(|e| format!("kernel `gpu`: {e}"))?;
        Ok(cell.get_or_init(|| c))
    };
    let err = |e| format!("kernel `gpu`: {e}");
    a.run(
        "gpu",
        |x| {
            x.copy_from_slice(&ctx()?.sigmoid(x).map_err(err)?);
            Ok(())
        },
        |y, dy| {
            dy.copy_from_slice(&ctx()?.sigmoid_backward(y, dy).map_err(err)?);
            Ok(())
        },
    )
}

#[cfg(not(feature = "gpu"))]
fn gpu(_: &Float) -> Result<(), CliError> {
    Err(CliError::Usage(
        "kernel `gpu`: this build has no GPU support (the `gpu` feature is off)".into(),
    ))
}

/// Streams the arrays at `inputs` (one shape, dtype `T`) chunk by chunk
/// through `f` into `output`; `f` leaves the result in its last buffer.
fn stream<T: Elem, const N: usize>(
    kernel: &str,
    inputs: [&Path; N],
    output: &Path,
    mut f: impl FnMut(&mut [Vec<T>; N]) -> Result<(), String>,
) -> Result<(), CliError> {
    let mut readers = Vec::with_capacity(N);
    for p in inputs {
        let r = Reader::open(p).map_err(CliError::Failed)?;
        let dtype = r.header().dtype;
        if !T::accepts(dtype) {
            let want = match T::DTYPE {
                npy::Dtype::U16 => "bfloat16 bits (uint16, int16 or V2)",
                d => d.name(),
            };
            return Err(CliError::Failed(format!(
                "{}: kernel `{kernel}` needs {want} input, got {}",
                p.display(),
                dtype.name()
            )));
        }
        readers.push((p, r));
    }
    let header = readers[0].1.header().clone();
    for (p, r) in &readers[1..] {
        if r.header().shape != header.shape {
            return Err(CliError::Failed(format!(
                "shape mismatch: {} has shape {}, {} has shape {}",
                inputs[0].display(),
                header.shape_text(),
                p.display(),
                r.header().shape_text()
            )));
        }
    }
    let mut out = AtomicFile::create(output).map_err(CliError::Failed)?;
    let write_err =
        |e: std::io::Error| CliError::Failed(format!("cannot write {}: {e}", output.display()));
    out.write_all(&header.to_bytes()).map_err(write_err)?;
    let mut bufs: [Vec<T>; N] = std::array::from_fn(|_| Vec::new());
    loop {
        for ((p, r), buf) in readers.iter_mut().zip(&mut bufs) {
            r.read_chunk(buf, CHUNK)
                .map_err(|e| CliError::Failed(format!("{}: {e}", p.display())))?;
        }
        if bufs[0].is_empty() {
            break;
        }
        f(&mut bufs).map_err(CliError::Failed)?;
        let y = &mut bufs[N - 1];
        npy::swap_le(y);
        out.write_all(bytemuck::cast_slice(y)).map_err(write_err)?;
    }
    out.commit().map_err(CliError::Failed)
}
