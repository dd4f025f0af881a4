//! The binary cross-entropy losses of `sigmoid_kernels::loss` on NumPy
//! arrays: `bce_with_logits` (the fused loss and gradient on logits) and
//! `bce` (on probabilities, PyTorch's `BCELoss`).
//!
//! Inputs are float32 arrays of one shape (any, the last dimension being
//! the classes); checked into `TypeError`/`ValueError`s that name the fix
//! before any work; the kernel runs with the GIL released on slices of
//! arrays held for the whole call (the crate root's module docs say why
//! that is sound); the outputs are new arrays this module allocates.

use super::{borrow_error, contiguous, dtype_error, ndarray, shape_str, typed, zeros};
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use sigmoid_kernels::loss::{self, BceOptions, LossError, Reduction};

/// Which loss.
#[derive(Clone, Copy)]
enum Form {
    Logits,
    Probabilities,
}

/// A float32 argument as a C-contiguous array, with `shape` when given.
fn f32_arg<'py>(
    func: &str,
    name: &str,
    v: &Bound<'py, PyAny>,
    shape: Option<&[usize]>,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let a = ndarray(func, name, v)?;
    let Some(a32) = typed::<f32>(&a) else {
        return Err(dtype_error(func, name, &a, "float32 only"));
    };
    let a32 = contiguous(a32)?;
    if let Some(s) = shape {
        if a32.shape() != s {
            return Err(PyValueError::new_err(format!(
                "{func}: {name} has shape {}, but x has shape {}; pass one {name} per element of x",
                shape_str(a32.shape()),
                shape_str(s)
            )));
        }
    }
    Ok(a32)
}

/// The slice of a C-contiguous, aligned array's borrow.
fn slice<'a>(a: &'a numpy::PyReadonlyArrayDyn<'_, f32>) -> &'a [f32] {
    a.as_slice().expect("made C-contiguous and aligned")
}

fn reduction(func: &str, r: &str, classes: usize) -> PyResult<Reduction> {
    Ok(match r {
        "none" => Reduction::None,
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        "mean_last_axis" => Reduction::MeanLastAxis(classes),
        _ => {
            return Err(PyValueError::new_err(format!(
                "{func}: reduction='{r}' is not one of 'none', 'mean' (PyTorch), \
                 'mean_last_axis' (Keras: per sample over the last axis, then over the samples), 'sum'"
            )))
        }
    })
}

fn loss_error(func: &str, e: &LossError) -> PyErr {
    PyValueError::new_err(format!("{func}: {e}"))
}

/// The shared body of both functions.
#[allow(clippy::too_many_arguments)]
fn run<'py>(
    form: Form,
    func: &str,
    x: &Bound<'py, PyAny>,
    t: &Bound<'py, PyAny>,
    weight: Option<&Bound<'py, PyAny>>,
    pos_weight: Option<&Bound<'py, PyAny>>,
    reduction_name: &str,
    label_smoothing: f32,
    grad: bool,
) -> PyResult<Py<PyAny>> {
    let py = x.py();
    let first = match form {
        Form::Logits => "x",
        Form::Probabilities => "p",
    };
    let x = f32_arg(func, first, x, None)?;
    let shape = x.shape().to_vec();
    let t = f32_arg(func, "t", t, Some(&shape))?;
    let w = weight
        .map(|w| f32_arg(func, "weight", w, Some(&shape)))
        .transpose()?;
    let classes = shape.last().copied().unwrap_or(1);
    let pw = pos_weight
        .map(|p| {
            let a = f32_arg(func, "pos_weight", p, None)?;
            if a.shape() != [classes] {
                return Err(PyValueError::new_err(format!(
                    "{func}: pos_weight has shape {}, but it must be ({classes},): one weight per \
                     class, the last axis of {first} (shape {})",
                    shape_str(a.shape()),
                    shape_str(&shape)
                )));
            }
            Ok(a)
        })
        .transpose()?;
    let r = reduction(func, reduction_name, classes)?;
    let n = x.len();
    let out = (r == Reduction::None)
        .then(|| zeros::<f32>(py, &shape[..]))
        .transpose()?;
    let dx = grad.then(|| zeros::<f32>(py, &shape[..])).transpose()?;
    let ro = |a: &Bound<'py, PyArrayDyn<f32>>, name: &str| {
        a.try_readonly().map_err(|e| borrow_error(func, name, e))
    };
    let (x_ro, t_ro) = (ro(&x, first)?, ro(&t, "t")?);
    let w_ro = w.as_ref().map(|w| ro(w, "weight")).transpose()?;
    let pw_ro = pw.as_ref().map(|p| ro(p, "pos_weight")).transpose()?;
    let mut out_rw = out.as_ref().map(|o| o.readwrite());
    let mut dx_rw = dx.as_ref().map(|d| d.readwrite());
    let (xs, ts) = (slice(&x_ro), slice(&t_ro));
    let opts = BceOptions {
        weight: w_ro.as_ref().map(slice),
        pos_weight: pw_ro.as_ref().map(slice),
        label_smoothing,
    };
    let os = out_rw
        .as_mut()
        .map(|o| o.as_slice_mut().expect("a new C-contiguous array"));
    let ds = dx_rw
        .as_mut()
        .map(|d| d.as_slice_mut().expect("a new C-contiguous array"));
    debug_assert!(os.as_ref().is_none_or(|o| o.len() == n));
    // GIL released: every slice is borrowed from an array held above, the
    // outputs are new arrays nobody else has (see the crate root's docs).
    let reduced: Result<f32, LossError> = py.detach(|| match (form, os, ds) {
        (Form::Logits, Some(o), Some(d)) => {
            loss::bce_with_logits_elementwise_grad(xs, ts, &opts, o, d).map(|()| 0.0)
        }
        (Form::Logits, Some(o), None) => {
            loss::bce_with_logits_elementwise(xs, ts, &opts, o).map(|()| 0.0)
        }
        (Form::Logits, None, Some(d)) => loss::bce_with_logits_grad(xs, ts, &opts, r, d),
        (Form::Logits, None, None) => loss::bce_with_logits(xs, ts, &opts, r),
        (Form::Probabilities, Some(o), Some(d)) => {
            loss::bce_elementwise_grad(xs, ts, &opts, o, d).map(|()| 0.0)
        }
        (Form::Probabilities, Some(o), None) => {
            loss::bce_elementwise(xs, ts, &opts, o).map(|()| 0.0)
        }
        (Form::Probabilities, None, Some(d)) => loss::bce_grad(xs, ts, &opts, r, d),
        (Form::Probabilities, None, None) => loss::bce(xs, ts, &opts, r),
    });
    drop((x_ro, t_ro, w_ro, pw_ro, out_rw, dx_rw));
    let reduced = reduced.map_err(|e| loss_error(func, &e))?;
    let l: Py<PyAny> = match out {
        Some(o) => o.into_any().unbind(),
        None => f64::from(reduced).into_pyobject(py)?.into_any().unbind(),
    };
    Ok(match dx {
        Some(d) => (l, d).into_pyobject(py)?.into_any().unbind(),
        None => l,
    })
}

/// Binary cross-entropy on logits (PyTorch's
/// ``binary_cross_entropy_with_logits``), fused with its gradient.
///
/// With t' = t·(1 − ε) + ε/2 (Keras label smoothing ε), w = ``weight`` and
/// pw = ``pos_weight`` of the element's class:
/// ℓ = w·[pw·t'·softplus(−x) + (1 − t')·softplus(x)],
/// dℓ/dx = w·[(1 − t')·σ(x) − pw·t'·σ(−x)], both in their exact forms (x = 20,
/// t = 1 gives ℓ ≈ 2.06e−9 and dℓ/dx ≈ −2.06e−9, not 0).
///
/// ``x``, ``t``: float32 arrays of one shape; the last axis is the classes.
/// ``weight``: float32, the shape of x, finite and ≥ 0. ``pos_weight``:
/// float32 of shape (classes,). ``reduction``: 'mean' (PyTorch: Σℓ/n),
/// 'mean_last_axis' (Keras: per sample over the last axis, then over the
/// samples; the same value), 'sum', or 'none' (a float32 array of x's
/// shape). Reduced losses are accumulated in float64 in a fixed order: the
/// same bits for any thread count. With ``grad=True`` returns
/// ``(loss, dx)``, dx the gradient of the returned loss (float32, x's
/// shape). Per-element loss within 2 ULP (t ∈ {0, 1}, no weights) or
/// 4 ULP of the float64 value for every finite logit; ±inf gives the limit;
/// NaN propagates. Bad dtypes raise TypeError, bad shapes or options
/// ValueError.
#[pyfunction]
#[pyo3(signature = (x, t, weight=None, pos_weight=None, reduction="mean", label_smoothing=0.0, grad=false))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn bce_with_logits<'py>(
    x: &Bound<'py, PyAny>,
    t: &Bound<'py, PyAny>,
    weight: Option<&Bound<'py, PyAny>>,
    pos_weight: Option<&Bound<'py, PyAny>>,
    reduction: &str,
    label_smoothing: f32,
    grad: bool,
) -> PyResult<Py<PyAny>> {
    run(
        Form::Logits,
        "bce_with_logits",
        x,
        t,
        weight,
        pos_weight,
        reduction,
        label_smoothing,
        grad,
    )
}

/// Binary cross-entropy on probabilities, PyTorch's ``BCELoss``.
///
/// ℓ = −w·[pw·t'·max(ln p, −100) + (1 − t')·max(ln(1 − p), −100)] and
/// dℓ/dp = w·[(1 − t')·p − pw·t'·(1 − p)]/max(p·(1 − p), 1e−12) (PyTorch's
/// (p − t)/max(p(1 − p), 1e−12) for pw = 1), in float64, rounded once. Keras
/// instead clips p to [1e−7, 1 − 1e−7] (so its loss is at most 16.1 per
/// element, and its gradient 0 where clipped). ``p`` must lie in [0, 1]
/// (ValueError otherwise; NaN propagates). Arguments and return value as
/// for :func:`bce_with_logits`. Prefer that one when logits are available.
#[pyfunction]
#[pyo3(signature = (p, t, weight=None, pos_weight=None, reduction="mean", label_smoothing=0.0, grad=false))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn bce<'py>(
    p: &Bound<'py, PyAny>,
    t: &Bound<'py, PyAny>,
    weight: Option<&Bound<'py, PyAny>>,
    pos_weight: Option<&Bound<'py, PyAny>>,
    reduction: &str,
    label_smoothing: f32,
    grad: bool,
) -> PyResult<Py<PyAny>> {
    run(
        Form::Probabilities,
        "bce",
        p,
        t,
        weight,
        pos_weight,
        reduction,
        label_smoothing,
        grad,
    )
}
