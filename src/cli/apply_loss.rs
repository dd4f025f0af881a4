//! `apply bce-with-logits` and `apply bce`: the binary cross-entropy of
//! [`sigmoid_kernels::loss`] over `.npy` arrays: per element or reduced,
//! optionally with the gradient.
//!
//! Unlike the element-wise kernels, the arrays are read whole (a reduction
//! needs them all, in the library's fixed chunk order, for the same bits as
//! a library call). Every input and option is checked before an output is
//! created; the outputs are written through [`AtomicFile`] and committed
//! together at the end.

use super::fsutil::{same_entry, AtomicFile};
use super::npy::{self, Dtype, Header, Reader};
use super::CliError;
use sigmoid_kernels::loss::{self, BceOptions, LossError, Reduction};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The flags of both loss kernels.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Logits x (bce-with-logits) or probabilities p in [0, 1] (bce):
    /// float32 .npy of any shape; the last dimension is the classes.
    #[arg(long, value_name = "x.npy")]
    input: PathBuf,
    /// Targets t (float32, the shape of --input), usually in [0, 1].
    #[arg(long, value_name = "t.npy")]
    targets: PathBuf,
    /// Per-class weight of the positive term (float32, shape (classes,):
    /// the last dimension of --input), as PyTorch's pos_weight.
    #[arg(long, value_name = "pw.npy")]
    pos_weight: Option<PathBuf>,
    /// Per-element weight (float32, the shape of --input), finite and >= 0.
    #[arg(long, value_name = "w.npy")]
    weight: Option<PathBuf>,
    /// Keras label smoothing E in [0, 1): t becomes t·(1 − E) + E/2.
    #[arg(
        long,
        value_name = "E",
        default_value_t = 0.0,
        allow_hyphen_values = true
    )]
    label_smoothing: f32,
    /// none: one loss per element (the shape of --input); mean (PyTorch),
    /// mean-last-axis (Keras: per sample over the last dimension, then over
    /// the samples) or sum: one number (a 0-d array).
    #[arg(long, value_enum, default_value_t = ReductionArg::Mean)]
    reduction: ReductionArg,
    /// Output .npy of the loss: written whole or not at all.
    #[arg(long, value_name = "loss.npy")]
    output: PathBuf,
    /// Also write the gradient of the (reduced) loss with respect to
    /// --input, the shape of --input.
    #[arg(long, value_name = "dx.npy")]
    grad_output: Option<PathBuf>,
}

/// `--reduction`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ReductionArg {
    None,
    Mean,
    MeanLastAxis,
    Sum,
}

/// Which loss.
#[derive(Clone, Copy, Debug)]
pub enum Form {
    /// On logits: [`loss::bce_with_logits`].
    Logits,
    /// On probabilities: [`loss::bce`].
    Probabilities,
}

/// Reads a whole float32 array.
fn read_f32(path: &Path, what: &str) -> Result<(Header, Vec<f32>), CliError> {
    let mut r = Reader::open(path).map_err(CliError::Failed)?;
    let h = r.header().clone();
    if h.dtype != Dtype::F32 {
        return Err(CliError::Failed(format!(
            "{}: {what} must be float32, got {}",
            path.display(),
            h.dtype.name()
        )));
    }
    let n = usize::try_from(h.shape.iter().product::<u64>())
        .map_err(|_| CliError::Failed(format!("{}: too large", path.display())))?;
    let v: Vec<f32> = r
        .read_all()
        .map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))?;
    debug_assert_eq!(v.len(), n);
    Ok((h, v))
}

/// `path` must have `shape` (that of --input).
fn same_shape(input: &Path, h: &Header, path: &Path, other: &Header) -> Result<(), CliError> {
    if other.shape != h.shape {
        return Err(CliError::Failed(format!(
            "shape mismatch: {} has shape {}, {} has shape {}",
            input.display(),
            h.shape_text(),
            path.display(),
            other.shape_text()
        )));
    }
    Ok(())
}

/// A [`LossError`] as the CLI reports it, naming the flag.
fn loss_error(kernel: &str, e: &LossError) -> CliError {
    let flag = match e {
        LossError::PosWeightLength { .. } => "--pos-weight",
        LossError::WeightLength { .. } => "--weight",
        LossError::BadWeight { which, .. } if *which == "pos_weight" => "--pos-weight",
        LossError::BadWeight { .. } => "--weight",
        LossError::LabelSmoothing(_) => "--label-smoothing",
        LossError::Unreduced | LossError::Classes { .. } => "--reduction",
        LossError::Probability { .. } => "--input",
    };
    CliError::Failed(format!("kernel `{kernel}`: {flag}: {e}"))
}

/// Writes `data` with `shape` to an [`AtomicFile`] (not committed yet).
fn write(path: &Path, shape: Vec<u64>, data: &mut [f32]) -> Result<AtomicFile, CliError> {
    let mut f = AtomicFile::create(path).map_err(CliError::Failed)?;
    let err = |e: std::io::Error| CliError::Failed(format!("cannot write {}: {e}", path.display()));
    let h = Header {
        dtype: Dtype::F32,
        shape,
    };
    f.write_all(&h.to_bytes()).map_err(err)?;
    npy::swap_le(data);
    f.write_all(bytemuck::cast_slice(data)).map_err(err)?;
    Ok(f)
}

/// Runs `apply bce-with-logits` or `apply bce`.
pub fn run(form: Form, a: &Args) -> Result<(), CliError> {
    let kernel = match form {
        Form::Logits => "bce-with-logits",
        Form::Probabilities => "bce",
    };
    if let Some(g) = a
        .grad_output
        .as_deref()
        .filter(|g| same_entry(&a.output, g))
    {
        return Err(CliError::Usage(format!(
            "--output {} and --grad-output {} are the same file: the gradient would \
             replace the loss; give them different paths",
            a.output.display(),
            g.display()
        )));
    }
    let (h, x) = read_f32(&a.input, "--input")?;
    let (ht, t) = read_f32(&a.targets, "--targets")?;
    same_shape(&a.input, &h, &a.targets, &ht)?;
    let w = match &a.weight {
        Some(p) => {
            let (hw, w) = read_f32(p, "--weight")?;
            same_shape(&a.input, &h, p, &hw)?;
            Some(w)
        }
        None => None,
    };
    let classes = h.shape.last().copied().unwrap_or(1);
    let pw = match &a.pos_weight {
        Some(p) => {
            let (hp, pw) = read_f32(p, "--pos-weight")?;
            if hp.shape != [classes] {
                return Err(CliError::Failed(format!(
                    "{}: --pos-weight has shape {}; it must be ({classes},), one weight per class \
                     (the last dimension of {}, shape {})",
                    p.display(),
                    hp.shape_text(),
                    a.input.display(),
                    h.shape_text()
                )));
            }
            Some(pw)
        }
        None => None,
    };
    let opts = BceOptions {
        weight: w.as_deref(),
        pos_weight: pw.as_deref(),
        label_smoothing: a.label_smoothing,
    };
    let reduction = match a.reduction {
        ReductionArg::None => Reduction::None,
        ReductionArg::Mean => Reduction::Mean,
        ReductionArg::MeanLastAxis => Reduction::MeanLastAxis(classes as usize),
        ReductionArg::Sum => Reduction::Sum,
    };
    let n = x.len();
    let mut dx = a.grad_output.as_ref().map(|_| vec![0.0f32; n]);
    let fail = |e: LossError| loss_error(kernel, &e);
    let (mut loss, shape) = if reduction == Reduction::None {
        let mut out = vec![0.0f32; n];
        let o = &mut out;
        match (form, dx.as_deref_mut()) {
            (Form::Logits, Some(d)) => loss::bce_with_logits_elementwise_grad(&x, &t, &opts, o, d),
            (Form::Logits, None) => loss::bce_with_logits_elementwise(&x, &t, &opts, o),
            (Form::Probabilities, Some(d)) => loss::bce_elementwise_grad(&x, &t, &opts, o, d),
            (Form::Probabilities, None) => loss::bce_elementwise(&x, &t, &opts, o),
        }
        .map_err(fail)?;
        (out, h.shape.clone())
    } else {
        let r = reduction;
        let l = match (form, dx.as_deref_mut()) {
            (Form::Logits, Some(d)) => loss::bce_with_logits_grad(&x, &t, &opts, r, d),
            (Form::Logits, None) => loss::bce_with_logits(&x, &t, &opts, r),
            (Form::Probabilities, Some(d)) => loss::bce_grad(&x, &t, &opts, r, d),
            (Form::Probabilities, None) => loss::bce(&x, &t, &opts, r),
        }
        .map_err(fail)?;
        (vec![l], vec![])
    };
    let out = write(&a.output, shape, &mut loss)?;
    let grad = match (&a.grad_output, dx.as_deref_mut()) {
        (Some(p), Some(d)) => Some(write(p, h.shape.clone(), d)?),
        _ => None,
    };
    out.commit().map_err(CliError::Failed)?;
    if let Some(g) = grad {
        g.commit().map_err(CliError::Failed)?;
    }
    Ok(())
}
