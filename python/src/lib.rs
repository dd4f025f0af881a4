//! The `sigmoid_kernels` Python module: the crate's kernels on NumPy arrays.
//!
//! Every function takes arrays of any shape (0-d and empty included) and
//! returns an array of the same shape and dtype, or writes into `out=`. The
//! work is in [`unary`] and [`binary`]: they check dtypes and shapes (a
//! `TypeError` or `ValueError` naming the fix, never a panic), make the
//! inputs C-contiguous (a C-contiguous input is read in place; anything else
//! is copied once by NumPy), settle aliasing between the inputs and `out`,
//! and run the kernel with the GIL released.
//!
//! # Why the slices stay valid while the GIL is released
//!
//! rust-numpy leaves open (its issue #497) whether a borrowed NumPy slice may
//! be used inside `Python::detach`. What this module does, and why it is
//! sound as far as Rust code can make it:
//!
//! - Each input and output array is held as a `Bound` reference for the
//!   whole call, so no array (nor the buffer it owns or views) can be freed;
//!   `ndarray.resize` refuses to reallocate an array that has other
//!   references, and every array is referenced here.
//! - The slices come from `PyReadonlyArray` / `PyReadwriteArray` borrows,
//!   which are registered in rust-numpy's process-wide borrow checker until
//!   after `detach` returns, so no other Rust extension can take a
//!   conflicting borrow meanwhile.
//! - Overlap between inputs and `out` is decided here from the address
//!   ranges before any borrow is taken (the borrow checker's view can miss
//!   two arrays over one foreign buffer): identical ranges run the in-place
//!   kernel through a single `&mut` slice, any other overlap copies the
//!   input first. So a `&[T]` and a `&mut [T]` never cover the same bytes.
//! - An output that this module allocates is referenced by nobody else
//!   until it is returned.
//!
//! What Rust cannot prevent is Python code in another thread writing to an
//! input or `out` array while the kernel runs, exactly as with NumPy's own
//! ufuncs, which also release the GIL: such a program has a data race and
//! may see any mix of old and new values in the result. Not doing that is
//! the caller's part of the contract, as it is for NumPy.

use numpy::npyffi::{npy_intp, PY_ARRAY_API};
use numpy::{
    dtype, Element, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use sigmoid_kernels::half;
use sigmoid_kernels::quant::{self, QuantError, QuantParams};
use sigmoid_kernels::{Backend, HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA};
use std::ffi::c_int;

mod loss;
mod stable;

/// `x` (argument `name` of `func`) as an ndarray: arrays pass through,
/// anything else goes through `numpy.asarray` (so lists and scalars work,
/// with NumPy's dtype rules). A masked array is refused: its mask would be
/// ignored.
fn ndarray<'py>(
    func: &str,
    name: &str,
    x: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyUntypedArray>> {
    if let Ok(a) = x.cast::<PyUntypedArray>() {
        // Only a subclass can be a masked array (one type name compared
        // for plain arrays).
        if a.get_type().name()? != "ndarray" {
            let masked = x.py().import("numpy.ma")?.getattr("MaskedArray")?;
            if x.is_instance(&masked)? {
                return Err(PyTypeError::new_err(format!(
                    "{func}: {name} is a numpy.ma.MaskedArray, whose mask the kernels would \
                     ignore; pass {name}.filled(value) to replace the masked elements, or \
                     np.ma.getdata({name}) to compute them as they are"
                )));
            }
        }
        return Ok(a.clone());
    }
    let a = x.py().import("numpy")?.call_method1("asarray", (x,))?;
    Ok(a.cast_into::<PyUntypedArray>()?)
}

fn dtype_name(a: &Bound<'_, PyUntypedArray>) -> String {
    a.dtype()
        .str()
        .map_or_else(|_| "?".into(), |s| s.to_string())
}

/// Python's spelling of a shape: `(2, 3)`, `(5,)`, `()`.
fn shape_str(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The `TypeError` for an input of a dtype that `func` does not take.
fn dtype_error(func: &str, arg: &str, a: &Bound<'_, PyUntypedArray>, takes: &str) -> PyErr {
    let dt = dtype_name(a);
    let why = if dt == "float16" || dt == "bfloat16" {
        " (only sigmoid has 16-bit kernels)"
    } else {
        ""
    };
    let fix = if takes.starts_with("float32") {
        format!("{arg}.astype(np.float32)")
    } else {
        format!("{arg}.astype(np.{takes})")
    };
    PyTypeError::new_err(format!(
        "{func}: {arg} has dtype {dt}{why}, but {func} takes {takes}; convert with {fix}"
    ))
}

/// `a` as a typed array if its dtype is `T` in native byte order.
fn typed<'py, T: Element>(a: &Bound<'py, PyUntypedArray>) -> Option<Bound<'py, PyArrayDyn<T>>> {
    if a.dtype().is_equiv_to(&dtype::<T>(a.py())) {
        a.cast::<PyArrayDyn<T>>().ok().cloned()
    } else {
        None
    }
}

/// A C-contiguous, aligned array with the contents of `a`: `a` itself, or
/// a copy (NumPy allows unaligned arrays, e.g. `np.frombuffer` at an odd
/// offset; a Rust slice must be aligned).
fn contiguous<'py, T: Element>(
    a: Bound<'py, PyArrayDyn<T>>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    if a.is_c_contiguous() && a.is_aligned() {
        Ok(a)
    } else {
        copy(&a)
    }
}

/// A C-contiguous copy of `a` (`ndarray.copy()` is C order).
fn copy<'py, T: Element>(a: &Bound<'py, PyArrayDyn<T>>) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    Ok(a.call_method0("copy")?.cast_into::<PyArrayDyn<T>>()?)
}

/// The byte range of a C-contiguous array's elements.
fn span<T: Element>(a: &Bound<'_, PyArrayDyn<T>>) -> std::ops::Range<usize> {
    let start = a.data() as usize;
    start..start + a.len() * std::mem::size_of::<T>()
}

fn overlaps(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Where the result goes: a checked, C-contiguous, writeable `out` of
/// aligned dtype `T` and shape `shape`, or a new zeroed array.
fn output<'py, T: Element>(
    py: Python<'py>,
    func: &str,
    shape: &[usize],
    shape_of: &str,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let Some(out) = out else {
        return zeros(py, shape);
    };
    let Ok(o) = out.cast::<PyUntypedArray>() else {
        return Err(PyTypeError::new_err(format!(
            "{func}: out must be a numpy.ndarray, got {}; pass out=np.empty_like({shape_of})",
            out.get_type().name()?
        )));
    };
    let Some(o) = typed::<T>(o) else {
        return Err(PyTypeError::new_err(format!(
            "{func}: out has dtype {}, but the result is {}; pass out=np.empty_like({shape_of})",
            dtype_name(o),
            dtype::<T>(py).str()?
        )));
    };
    if o.shape() != shape {
        return Err(PyValueError::new_err(format!(
            "{func}: out has shape {}, but {shape_of} has shape {}",
            shape_str(o.shape()),
            shape_str(shape)
        )));
    }
    if !o.is_c_contiguous() {
        return Err(PyValueError::new_err(format!(
            "{func}: out must be C-contiguous (a strided or transposed view is not); \
             pass out=np.empty_like({shape_of}) or out=None"
        )));
    }
    if !o.is_aligned() {
        return Err(PyValueError::new_err(format!(
            "{func}: out is not aligned to its dtype (a buffer at an odd offset); \
             pass out=np.empty_like({shape_of}) or out=None"
        )));
    }
    // An empty `out` is never borrowed (nothing is written), so its flag is
    // checked here, as NumPy's functions do.
    if o.len() == 0
        && !o
            .getattr("flags")?
            .getattr("writeable")?
            .extract::<bool>()?
    {
        return Err(borrow_error(func, "out", numpy::BorrowError::NotWriteable));
    }
    Ok(o)
}

/// A new zeroed C-order array of `shape`: rust-numpy's `zeros` panics
/// where NumPy cannot allocate, this raises NumPy's `MemoryError` instead.
pub(crate) fn zeros<'py, T: Element>(
    py: Python<'py>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    // An existing array's shape: every dimension fits in `npy_intp`.
    let mut dims: Vec<npy_intp> = shape.iter().map(|&d| d as npy_intp).collect();
    let nd = c_int::try_from(dims.len()).expect("NumPy has at most 64 dimensions");
    // SAFETY: `dims` holds `nd` dimensions and outlives the call;
    // `PyArray_Zeros` steals the descriptor reference that `into_dtype_ptr`
    // adds and returns a new reference to a C-order array of T's dtype, or
    // NULL with a Python exception set, which `from_owned_ptr_or_err` turns
    // into that `Err`.
    unsafe {
        let ptr = PY_ARRAY_API.PyArray_Zeros(
            py,
            nd,
            dims.as_mut_ptr(),
            T::get_dtype(py).into_dtype_ptr(),
            0,
        );
        Ok(Bound::from_owned_ptr_or_err(py, ptr)?.cast_into_unchecked())
    }
}

fn borrow_error(func: &str, what: &str, e: numpy::BorrowError) -> PyErr {
    match e {
        numpy::BorrowError::NotWriteable => PyValueError::new_err(format!(
            "{func}: {what} is read-only (its WRITEABLE flag is off); pass a writeable array or out=None"
        )),
        e => PyValueError::new_err(format!(
            "{func}: {what} cannot be borrowed ({e}): other Rust code holds it mutably"
        )),
    }
}

/// One input, one output of the same dtype `T`: `kernel(x, y)` out of
/// place, `inplace(x)` when `out` is `x` itself (with `None`, an aliased
/// input is copied first). See the module docs for the aliasing rules.
fn unary<'py, T, K, I>(
    py: Python<'py>,
    func: &str,
    (x, x_name): (Bound<'py, PyArrayDyn<T>>, &str),
    out: Option<&Bound<'py, PyAny>>,
    kernel: K,
    inplace: Option<I>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>>
where
    T: Element + Copy + Send + Sync,
    K: Fn(&[T], &mut [T]) + Send + Sync,
    I: Fn(&mut [T]) + Send + Sync,
{
    let mut x = contiguous(x)?;
    let y = output::<T>(py, func, x.shape(), x_name, out)?;
    if x.len() == 0 {
        // Nothing to compute; and `out` may be `x` itself, which numpy's
        // borrow checker would not lend twice.
        return Ok(y);
    }
    let (sx, sy) = (span(&x), span(&y));
    if sx == sy {
        if let Some(inplace) = inplace {
            let mut y_rw = y
                .try_readwrite()
                .map_err(|e| borrow_error(func, "out", e))?;
            let ys = y_rw
                .as_slice_mut()
                .expect("out was checked C-contiguous and aligned");
            // GIL released: see the module docs for why `ys` stays valid.
            py.detach(|| inplace(ys));
            drop(y_rw);
            return Ok(y);
        }
    }
    if overlaps(&sx, &sy) {
        x = copy(&x)?;
    }
    let x_ro = x
        .try_readonly()
        .map_err(|e| borrow_error(func, x_name, e))?;
    let mut y_rw = y
        .try_readwrite()
        .map_err(|e| borrow_error(func, "out", e))?;
    let xs = x_ro
        .as_slice()
        .expect("x was made C-contiguous and aligned");
    let ys = y_rw
        .as_slice_mut()
        .expect("out was checked C-contiguous and aligned");
    // GIL released: `xs` and `ys` are disjoint and kept alive by `x` and `y`
    // (see the module docs).
    py.detach(|| kernel(xs, ys));
    drop((x_ro, y_rw));
    Ok(y)
}

/// Two inputs `a`, `b` of one shape and dtype `T`, one output:
/// `kernel(a, b, y)`. An input that overlaps `out` is copied first.
fn binary<'py, T, K>(
    py: Python<'py>,
    func: &str,
    (a, a_name): (Bound<'py, PyArrayDyn<T>>, &str),
    (b, b_name): (Bound<'py, PyArrayDyn<T>>, &str),
    out: Option<&Bound<'py, PyAny>>,
    kernel: K,
) -> PyResult<Bound<'py, PyArrayDyn<T>>>
where
    T: Element + Copy + Send + Sync,
    K: Fn(&[T], &[T], &mut [T]) + Send + Sync,
{
    if a.shape() != b.shape() {
        return Err(PyValueError::new_err(format!(
            "{func}: {a_name} has shape {}, but {b_name} has shape {}; they must be equal",
            shape_str(a.shape()),
            shape_str(b.shape())
        )));
    }
    let (mut a, mut b) = (contiguous(a)?, contiguous(b)?);
    let y = output::<T>(py, func, a.shape(), b_name, out)?;
    if a.len() == 0 {
        return Ok(y); // as in `unary`: `out` may be an input
    }
    let sy = span(&y);
    if overlaps(&span(&a), &sy) {
        a = copy(&a)?;
    }
    if overlaps(&span(&b), &sy) {
        b = copy(&b)?;
    }
    let a_ro = a
        .try_readonly()
        .map_err(|e| borrow_error(func, a_name, e))?;
    let b_ro = b
        .try_readonly()
        .map_err(|e| borrow_error(func, b_name, e))?;
    let mut y_rw = y
        .try_readwrite()
        .map_err(|e| borrow_error(func, "out", e))?;
    let (as_, bs) = (
        a_ro.as_slice().expect("made C-contiguous and aligned"),
        b_ro.as_slice().expect("made C-contiguous and aligned"),
    );
    let ys = y_rw
        .as_slice_mut()
        .expect("out was checked C-contiguous and aligned");
    // GIL released: the inputs may share memory with each other (both are
    // read only) but not with `ys`; all are kept alive (see the module docs).
    py.detach(|| kernel(as_, bs, ys));
    drop((a_ro, b_ro, y_rw));
    Ok(y)
}

/// A float32-only unary kernel.
fn unary_f32<'py>(
    func: &str,
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
    kernel: impl Fn(&[f32], &mut [f32]) + Send + Sync,
    inplace: impl Fn(&mut [f32]) + Send + Sync,
) -> PyResult<Bound<'py, PyAny>> {
    let a = ndarray(func, "x", x)?;
    let Some(x32) = typed::<f32>(&a) else {
        return Err(dtype_error(func, "x", &a, "float32 only"));
    };
    Ok(unary(x.py(), func, (x32, "x"), out, kernel, Some(inplace))?.into_any())
}

/// A float32-only kernel of `(first, dy)`.
fn binary_f32<'py>(
    func: &str,
    (a, a_name): (&Bound<'py, PyAny>, &str),
    dy: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
    kernel: impl Fn(&[f32], &[f32], &mut [f32]) + Send + Sync,
) -> PyResult<Bound<'py, PyAny>> {
    let (aa, da) = (ndarray(func, a_name, a)?, ndarray(func, "dy", dy)?);
    let Some(a32) = typed::<f32>(&aa) else {
        return Err(dtype_error(func, a_name, &aa, "float32 only"));
    };
    let Some(d32) = typed::<f32>(&da) else {
        return Err(dtype_error(func, "dy", &da, "float32 only"));
    };
    Ok(binary(a.py(), func, (a32, a_name), (d32, "dy"), out, kernel)?.into_any())
}

/// Exact tier: σ(x) = 1/(1+e^−x), element-wise.
///
/// float32 in, float32 out: at most 1 ULP from σ for
/// every float32 input, subnormal results included (max 0.808 ULP measured
/// over all 2^32 inputs with AVX2+FMA, 0.824 without).
///
/// float64 in, float64 out: computed in double precision with the stable
/// formula (1/(1+e^−x) for x ≥ 0, e^x/(1+e^x) below), at most 2.5 ULP of
/// float64 (measured max 2.27 against a double-double reference on 2.7M
/// inputs, 1.83 against mpmath on 3000); scalar code on every thread, about
/// an order of magnitude slower than the float32 path (see the README).
///
/// float16 in, float16 out, and bfloat16 (``ml_dtypes.bfloat16``) in,
/// bfloat16 out: correctly rounded for every one of the 65,536 inputs of
/// each format (computed in float32 and rounded once, the few inputs where
/// that double rounding would miss fixed from float64).
///
/// NaN → NaN, +inf → 1, −inf → +0, ±0 → 0.5; outputs in [0, 1]; monotone.
/// Any shape. Other dtypes raise TypeError (no silent conversion).
/// ``out`` (optional): a writeable C-contiguous array of the same dtype and
/// shape, which may be ``x`` itself; it is returned.
#[pyfunction]
#[pyo3(signature = (x, out=None))]
fn sigmoid<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = x.py();
    let a = ndarray("sigmoid", "x", x)?;
    if let Some(x32) = typed::<f32>(&a) {
        let y = unary(
            py,
            "sigmoid",
            (x32, "x"),
            out,
            sigmoid_kernels::sigmoid,
            Some(sigmoid_kernels::sigmoid_inplace),
        )?;
        return Ok(y.into_any());
    }
    if let Some(x64) = typed::<f64>(&a) {
        let y = unary(
            py,
            "sigmoid",
            (x64, "x"),
            out,
            sigmoid_kernels::sigmoid_f64,
            Some(sigmoid_kernels::sigmoid_f64_inplace),
        )?;
        return Ok(y.into_any());
    }
    if let Some(x16) = typed::<half::f16>(&a) {
        let y = unary(
            py,
            "sigmoid",
            (x16, "x"),
            out,
            sigmoid_kernels::sigmoid_f16,
            Some(sigmoid_kernels::sigmoid_f16_inplace),
        )?;
        return Ok(y.into_any());
    }
    // Asked for only when the array is one: rust-numpy finds the bfloat16
    // dtype by name, which ml_dtypes registers when imported.
    if dtype_name(&a) == "bfloat16" {
        if let Some(xb) = typed::<half::bf16>(&a) {
            let y = unary(
                py,
                "sigmoid",
                (xb, "x"),
                out,
                sigmoid_kernels::sigmoid_bf16,
                Some(sigmoid_kernels::sigmoid_bf16_inplace),
            )?;
            return Ok(y.into_any());
        }
    }
    Err(dtype_error(
        "sigmoid",
        "x",
        &a,
        "float32 or float64 (or float16, ml_dtypes.bfloat16)",
    ))
}

/// Fast tier: σ(x) ≈ 1/(1+2^(−x·log2 e)) with a polynomial 2^f, float32 only.
///
/// Relative error ≤ 1e−4 wherever σ(x) ≥ 2^−126 (max 8.94e−5 measured over
/// all 2^32 inputs; 5.70e−5 on AVX-512); smaller results may be flushed to
/// 0 (σ = 0 for x ≤ −88.72284). Same special values, [0, 1] range and
/// monotonicity as ``sigmoid`` (on AVX-512: measured on Intel, not on
/// AMD, whose ``vrcp14ps`` gives other bits). float64 raises TypeError: use ``sigmoid`` for float64, or
/// ``x.astype(np.float32)``. ``out`` as for ``sigmoid``.
#[pyfunction]
#[pyo3(signature = (x, out=None))]
fn sigmoid_fast<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    unary_f32(
        "sigmoid_fast",
        x,
        out,
        sigmoid_kernels::sigmoid_fast,
        sigmoid_kernels::sigmoid_fast_inplace,
    )
}

/// Correctly rounded tier: σ(x) rounded to the nearest float32, float32
/// only.
///
/// For every float32 input the result is the float32 nearest to the true
/// σ(x) (ties to even; none occur), subnormal results included: the same
/// bits on every CPU, backend and thread count (checked over all 2^32
/// inputs). Computed in float64 with a rounding test, and in double-double
/// for the few hundred inputs whose σ lies too close to a rounding
/// midpoint; slower than ``sigmoid`` (see the README). Same special values,
/// [0, 1] range and monotonicity as ``sigmoid``. float64 raises TypeError:
/// use ``x.astype(np.float32)``. ``out`` as for ``sigmoid``.
#[pyfunction]
#[pyo3(signature = (x, out=None))]
fn sigmoid_cr<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    unary_f32(
        "sigmoid_cr",
        x,
        out,
        sigmoid_kernels::sigmoid_cr,
        sigmoid_kernels::sigmoid_cr_inplace,
    )
}

/// Backward of σ from the saved forward output: dx = dy·y·(1−y), float32.
///
/// Within 2 ULP of the float64 value of the same product (max 1.49 ULP
/// measured). NaN in y or dy gives NaN; dy = ±inf with y ∈ {0, 1} gives
/// NaN. ``y`` and ``dy`` must have the same shape (ValueError otherwise);
/// ``out`` may be either of them.
#[pyfunction]
#[pyo3(signature = (y, dy, out=None))]
fn sigmoid_backward<'py>(
    y: &Bound<'py, PyAny>,
    dy: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    binary_f32(
        "sigmoid_backward",
        (y, "y"),
        dy,
        out,
        sigmoid_kernels::sigmoid_backward,
    )
}

/// PyTorch's ``hardsigmoid``, bit for bit: min(max(x + 3, 0), 6) / 6 in
/// float32. Max |error| against σ: 0.0692. NaN → NaN, ±inf → 1 / 0,
/// outputs in [0, 1]. float32 only; ``out`` as for ``sigmoid``.
#[pyfunction]
#[pyo3(signature = (x, out=None))]
fn hard_sigmoid<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    unary_f32(
        "hard_sigmoid",
        x,
        out,
        sigmoid_kernels::hard_sigmoid,
        sigmoid_kernels::hard_sigmoid_inplace,
    )
}

/// Gradient of ``hard_sigmoid`` (PyTorch's rule): dx = dy/6 where
/// −3 < x < 3, +0 elsewhere and for NaN x. Takes the forward *input* x.
#[pyfunction]
#[pyo3(signature = (x, dy, out=None))]
fn hard_sigmoid_backward<'py>(
    x: &Bound<'py, PyAny>,
    dy: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    binary_f32(
        "hard_sigmoid_backward",
        (x, "x"),
        dy,
        out,
        sigmoid_kernels::hard_sigmoid_backward,
    )
}

/// ONNX HardSigmoid / Keras 2: max(0, min(1, alpha·x + beta)) in float32,
/// product and sum rounded separately. Max |error| against σ with the
/// defaults (0.2, 0.5): 0.0759. float32 only; ``out`` as for ``sigmoid``.
#[pyfunction]
#[pyo3(signature = (x, alpha=0.2, beta=0.5, out=None))]
fn hard_sigmoid_affine<'py>(
    x: &Bound<'py, PyAny>,
    alpha: f64,
    beta: f64,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let [alpha, beta] = affine_params("hard_sigmoid_affine", alpha, beta)?;
    unary_f32(
        "hard_sigmoid_affine",
        x,
        out,
        move |x: &[f32], y: &mut [f32]| sigmoid_kernels::hard_sigmoid_affine(alpha, beta, x, y),
        move |x: &mut [f32]| sigmoid_kernels::hard_sigmoid_affine_inplace(alpha, beta, x),
    )
}

/// `alpha` and `beta` as the `float32`s the kernels take: each must stay
/// finite (`1e40` would become inf, and inf·0 a NaN for a finite x).
fn affine_params(func: &str, alpha: f64, beta: f64) -> PyResult<[f32; 2]> {
    let v = [alpha as f32, beta as f32];
    for (name, given, v) in [("alpha", alpha, v[0]), ("beta", beta, v[1])] {
        if !v.is_finite() {
            return Err(PyValueError::new_err(format!(
                "{func}: {name} must be finite as a float32 (|{name}| < 3.4e38), got {given:e}"
            )));
        }
    }
    debug_assert_eq!(
        [0.2f64 as f32, 0.5f64 as f32],
        [HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA]
    );
    Ok(v)
}

/// Gradient of ``hard_sigmoid_affine``: dx = dy·alpha where
/// 0 < alpha·x + beta < 1, +0 elsewhere and where it is NaN.
#[pyfunction]
#[pyo3(signature = (x, dy, alpha=0.2, beta=0.5, out=None))]
fn hard_sigmoid_affine_backward<'py>(
    x: &Bound<'py, PyAny>,
    dy: &Bound<'py, PyAny>,
    alpha: f64,
    beta: f64,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let [alpha, beta] = affine_params("hard_sigmoid_affine_backward", alpha, beta)?;
    binary_f32(
        "hard_sigmoid_affine_backward",
        (x, "x"),
        dy,
        out,
        move |x: &[f32], dy: &[f32], dx: &mut [f32]| {
            sigmoid_kernels::hard_sigmoid_affine_backward(alpha, beta, x, dy, dx);
        },
    )
}

/// PLAN (Amin, Curtis, Hayes-Gill 1997): piecewise-linear σ with
/// power-of-two slopes, float32, bit-identical to the crate's scalar
/// definition (f(|x|) rounded once, 1 − f for x < 0). Max |error|
/// against σ: 0.01895 (0.018941 at |x| = 1). Not monotone (drops by 2^−8 at |x| = 2.375).
/// float32 only; ``out`` as for ``sigmoid``.
#[pyfunction]
#[pyo3(signature = (x, out=None))]
fn plan_sigmoid<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    unary_f32(
        "plan_sigmoid",
        x,
        out,
        sigmoid_kernels::plan_sigmoid,
        sigmoid_kernels::plan_sigmoid_inplace,
    )
}

/// Gradient of ``plan_sigmoid``: dx = dy times the slope of the piece |x|
/// lies in (0.25, 0.125, 0.03125), +0 for |x| ≥ 5 and NaN x.
#[pyfunction]
#[pyo3(signature = (x, dy, out=None))]
fn plan_sigmoid_backward<'py>(
    x: &Bound<'py, PyAny>,
    dy: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    binary_f32(
        "plan_sigmoid_backward",
        (x, "x"),
        dy,
        out,
        sigmoid_kernels::plan_sigmoid_backward,
    )
}

/// SiLU (Swish) x·σ(x), float32, within 2 ULP for every input, subnormal
/// results included. NaN → NaN, +inf → +inf, −inf → −0 (the limit, not the
/// NaN of x/(1+exp(−x))), ±0 → ±0. ``out`` as for ``sigmoid``.
#[pyfunction]
#[pyo3(signature = (x, out=None))]
fn silu<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    unary_f32(
        "silu",
        x,
        out,
        sigmoid_kernels::silu,
        sigmoid_kernels::silu_inplace,
    )
}

/// Gradient of ``silu`` from the forward input x:
/// dx = dy·σ(x)·(1 + x·(1 − σ(x))), float32, absolute error within 2 ULP
/// of the larger of |dy·σ(x)| and |dy·x·σ(x)·σ(−x)|.
#[pyfunction]
#[pyo3(signature = (x, dy, out=None))]
fn silu_backward<'py>(
    x: &Bound<'py, PyAny>,
    dy: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    binary_f32(
        "silu_backward",
        (x, "x"),
        dy,
        out,
        sigmoid_kernels::silu_backward,
    )
}

/// Gradient health of a float32 array g (any shape) as a dict: ``count``,
/// ``nan``, ``pos_inf``, ``neg_inf``, ``l2_norm`` (float64), ``max_abs``,
/// ``mean_abs``, ``threshold``, ``below`` and ``fraction_below`` (finite
/// |g| < threshold, default 2^−23), and ``histogram``: a list of
/// (label, count) over log2 |g| (``0``, ``subnormal``, ``<2^-40``,
/// ``2^-40`` … ``2^9``, ``>=2^10``). The same result for any thread count.
#[pyfunction]
#[pyo3(signature = (g, threshold=None))]
fn grad_stats<'py>(
    g: &Bound<'py, PyAny>,
    threshold: Option<f32>,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let a = ndarray("grad_stats", "g", g)?;
    let Some(g32) = typed::<f32>(&a) else {
        return Err(dtype_error("grad_stats", "g", &a, "float32 only"));
    };
    let g32 = contiguous(g32)?;
    let ro = g32
        .try_readonly()
        .map_err(|e| borrow_error("grad_stats", "g", e))?;
    let gs = ro.as_slice().expect("g was made C-contiguous and aligned");
    let t = threshold.unwrap_or(sigmoid_kernels::stats::DEFAULT_THRESHOLD);
    if t.is_nan() || t < 0.0 {
        return Err(PyValueError::new_err(format!(
            "grad_stats: threshold must be a number >= 0 (|g| below it counts as vanished), \
             got {t}; omit it for the default 2^-23"
        )));
    }
    // GIL released: `gs` is only read and kept alive by `g32` (module docs).
    let s = g
        .py()
        .detach(|| sigmoid_kernels::stats::GradStats::with_threshold(gs, t));
    drop(ro);
    let d = pyo3::types::PyDict::new(g.py());
    d.set_item("count", s.count)?;
    d.set_item("nan", s.nan)?;
    d.set_item("pos_inf", s.pos_inf)?;
    d.set_item("neg_inf", s.neg_inf)?;
    d.set_item("l2_norm", s.l2_norm)?;
    d.set_item("max_abs", s.max_abs)?;
    d.set_item("mean_abs", s.mean_abs)?;
    d.set_item("threshold", s.threshold)?;
    d.set_item("below", s.below)?;
    d.set_item("fraction_below", s.fraction_below())?;
    d.set_item("histogram", s.histogram.buckets())?;
    Ok(d)
}

/// The CPU instruction set the kernels run on here, e.g. ``"avx2+fma"``
/// (arrays from ``parallel_threshold()`` elements up run it on every thread).
#[pyfunction]
fn backend() -> &'static str {
    Backend::best_simd().name()
}

/// The length from which the float kernels (and, from 1M elements, the
/// int8/uint8 ones) use all threads.
#[pyfunction]
fn parallel_threshold() -> usize {
    sigmoid_kernels::parallel_threshold()
}

/// Sets ``parallel_threshold()`` for the whole process; ``None`` turns
/// threads off (every call runs on the calling thread).
#[pyfunction]
#[pyo3(signature = (n))]
fn set_parallel_threshold(n: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let n = match n {
        None => usize::MAX,
        Some(v) => match v.extract::<i128>() {
            Ok(i) if i >= 0 => usize::try_from(i).unwrap_or(usize::MAX),
            Err(e) if !e.is_instance_of::<PyOverflowError>(v.py()) => return Err(e),
            // Beyond 128 bits: no array is that long, as with None.
            Err(_) if v.gt(0)? => usize::MAX,
            // Negative, of any size.
            _ => {
                return Err(PyValueError::new_err(format!(
                    "set_parallel_threshold: n must be a length >= 0, or None to turn threads \
                     off, got {v}"
                )))
            }
        },
    };
    sigmoid_kernels::set_parallel_threshold(n);
    Ok(())
}

/// An int argument as `i64`. One beyond it (pyo3's `OverflowError`) is far
/// outside what any integer parameter here takes, so it raises the
/// `ValueError` a value just outside the range would (pyo3 adds a note that
/// names the argument); `range` says what the parameter takes.
fn int_in(v: &Bound<'_, PyAny>, range: &str) -> PyResult<i64> {
    v.extract::<i64>().map_err(|e| {
        if e.is_instance_of::<PyOverflowError>(v.py()) {
            PyValueError::new_err(format!("{v} is out of range: {range}"))
        } else {
            e
        }
    })
}

/// A scale from Python (a float64) as the `float32` the tables take: a
/// finite positive value that rounds to 0 or inf there raises ValueError
/// (anything else not finite and > 0 is the crate's error, as before).
fn scale_f32(name: &str, side: &str, v: f64) -> PyResult<f32> {
    let s = v as f32;
    if v.is_finite() && v > 0.0 && (s == 0.0 || s.is_infinite()) {
        return Err(PyValueError::new_err(format!(
            "{name}: {side} scale {v:e} is not a finite, nonzero float32 (it rounds to {s}); \
             float32 scales lie in [1.4e-45, 3.4e38]"
        )));
    }
    Ok(s)
}

fn quant_error(name: &str, e: &QuantError) -> PyErr {
    PyValueError::new_err(format!("{name}: {e}"))
}

/// A zero point from Python (any int) as the crate's `i32`; one that does
/// not fit is out of range for every code type.
fn zero_point_i32(name: &str, side: &str, v: i64, (min, max): (i64, i64)) -> PyResult<i32> {
    i32::try_from(v).map_err(|_| {
        PyValueError::new_err(format!(
            "{name}: {side} zero point must be in [{min}, {max}], got {v}"
        ))
    })
}

/// The backend for a quantized call on `n` elements: threads from
/// `QUANT_PARALLEL_THRESHOLD` up, and only if `parallel_threshold()` allows
/// them (so that `set_parallel_threshold(None)` also holds here).
fn quant_backend(n: usize) -> Backend {
    if n >= quant::QUANT_PARALLEL_THRESHOLD {
        Backend::for_len(n)
    } else {
        Backend::best_simd()
    }
}

macro_rules! quantized_class {
    ($py_name:literal, $rust:ident, $t:ty, $np:literal, $out_zp:expr) => {
        #[doc = concat!(
            "σ on affine-quantized ", $np, " codes through a 256-entry table built once.\n\n",
            "``", $py_name, "(scale, zero_point, out_scale=1/256, out_zero_point=", stringify!($out_zp), ")``: ",
            "a code q means scale·(q − zero_point). Calling the object on an ", $np, " array returns ",
            "clamp(round_half_away(σ(scale·(q − zero_point)) / out_scale) + out_zero_point), ",
            "computed from the float64 σ (exact for every input code). ",
            "``obj(q, out=None)``: any shape, ``out`` as for ``sigmoid``. ",
            "A scale that is not finite and > 0, or a zero point outside the ", $np,
            " range, raises ValueError."
        )]
        #[pyclass(name = $py_name, module = "sigmoid_kernels", frozen)]
        struct $rust {
            inner: quant::$rust,
        }

        impl $rust {
            /// pyo3's extraction of a zero point (see [`int_in`]).
            fn zero_point_arg(v: &Bound<'_, PyAny>) -> PyResult<i64> {
                int_in(v, concat!("a ", $np, " zero point is a code of ", $np))
            }
        }

        #[pymethods]
        impl $rust {
            #[new]
            #[pyo3(signature = (scale, zero_point, out_scale=1.0/256.0, out_zero_point=$out_zp))]
            fn new(
                scale: f64,
                #[pyo3(from_py_with = Self::zero_point_arg)] zero_point: i64,
                out_scale: f64,
                #[pyo3(from_py_with = Self::zero_point_arg)] out_zero_point: i64,
            ) -> PyResult<Self> {
                let range = (i64::from(<$t>::MIN), i64::from(<$t>::MAX));
                let input = QuantParams::new(
                    scale_f32($py_name, "input", scale)?,
                    zero_point_i32($py_name, "input", zero_point, range)?,
                );
                let output = QuantParams::new(
                    scale_f32($py_name, "output", out_scale)?,
                    zero_point_i32($py_name, "output", out_zero_point, range)?,
                );
                quant::$rust::with_output(input, output)
                    .map(|inner| $rust { inner })
                    .map_err(|e| quant_error($py_name, &e))
            }

            #[pyo3(signature = (q, out=None))]
            fn __call__<'py>(&self, q: &Bound<'py, PyAny>, out: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
                let a = ndarray($py_name, "q", q)?;
                let Some(qt) = typed::<$t>(&a) else {
                    return Err(dtype_error($py_name, "q", &a, $np));
                };
                let inner = &self.inner;
                let y = unary(
                    q.py(),
                    $py_name,
                    (qt, "q"),
                    out,
                    |x: &[$t], y: &mut [$t]| inner.apply_with(quant_backend(x.len()), x, y),
                    None::<fn(&mut [$t])>,
                )?;
                Ok(y.into_any())
            }

            /// Input scale.
            #[getter]
            fn scale(&self) -> f32 {
                self.inner.input().scale
            }

            /// Input zero point.
            #[getter]
            fn zero_point(&self) -> i32 {
                self.inner.input().zero_point
            }

            /// Output scale.
            #[getter]
            fn out_scale(&self) -> f32 {
                self.inner.output().scale
            }

            /// Output zero point.
            #[getter]
            fn out_zero_point(&self) -> i32 {
                self.inner.output().zero_point
            }

            fn __repr__(&self) -> String {
                let (i, o) = (self.inner.input(), self.inner.output());
                format!(
                    "{}(scale={:?}, zero_point={}, out_scale={:?}, out_zero_point={})",
                    $py_name, i.scale, i.zero_point, o.scale, o.zero_point
                )
            }
        }
    };
}

quantized_class!("Int8Sigmoid", Int8Sigmoid, i8, "int8", -128);
quantized_class!("Uint8Sigmoid", Uint8Sigmoid, u8, "uint8", 0);

/// Integer-only σ on int16 Qm.n codes (n = ``frac_bits`` in 0..15), result
/// in Q0.15: within 1 LSB (2^−15) of min(round(σ(q/2^n)·2^15), 32767) for
/// every input and every n. ``Q15Sigmoid(frac_bits)``, then
/// ``obj(q, out=None)`` on an int16 array; frac_bits outside 0..15 raises
/// ValueError.
/// pyo3's extraction of `frac_bits` (see [`int_in`]).
fn frac_bits_arg(v: &Bound<'_, PyAny>) -> PyResult<i64> {
    int_in(v, "an i16 Q-format has 0 to 15 fractional bits")
}

#[pyclass(name = "Q15Sigmoid", module = "sigmoid_kernels", frozen)]
struct Q15Sigmoid {
    inner: quant::Q15Sigmoid,
}

#[pymethods]
impl Q15Sigmoid {
    #[new]
    fn new(#[pyo3(from_py_with = frac_bits_arg)] frac_bits: i64) -> PyResult<Self> {
        // A negative count has no u32; u32::MAX is rejected with the same
        // message shape, so report the value as given.
        let n = u32::try_from(frac_bits).unwrap_or(u32::MAX);
        quant::Q15Sigmoid::new(n)
            .map(|inner| Q15Sigmoid { inner })
            .map_err(|e| match e {
                QuantError::FracBits { .. } if i64::from(n) != frac_bits => {
                    PyValueError::new_err(format!(
                        "Q15Sigmoid: an i16 Q-format has 0 to 15 fractional bits, got {frac_bits}"
                    ))
                }
                e => quant_error("Q15Sigmoid", &e),
            })
    }

    #[pyo3(signature = (q, out=None))]
    fn __call__<'py>(
        &self,
        q: &Bound<'py, PyAny>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let a = ndarray("Q15Sigmoid", "q", q)?;
        let Some(qt) = typed::<i16>(&a) else {
            return Err(dtype_error("Q15Sigmoid", "q", &a, "int16"));
        };
        let inner = self.inner;
        let y = unary(
            q.py(),
            "Q15Sigmoid",
            (qt, "q"),
            out,
            move |x: &[i16], y: &mut [i16]| inner.apply(x, y),
            Some(move |x: &mut [i16]| inner.apply_inplace(x)),
        )?;
        Ok(y.into_any())
    }

    /// The number of fractional input bits n.
    #[getter]
    fn frac_bits(&self) -> u32 {
        self.inner.frac_bits()
    }

    fn __repr__(&self) -> String {
        format!("Q15Sigmoid(frac_bits={})", self.inner.frac_bits())
    }
}

/// Logistic sigmoid kernels on NumPy arrays, from the Rust crate
/// sigmoid-kernels.
///
/// float32: ``sigmoid`` (≤ 1 ULP), ``sigmoid_fast`` (relative ≤ 1e−4),
/// ``sigmoid_cr`` (correctly rounded), ``sigmoid_backward``,
/// ``hard_sigmoid``, ``hard_sigmoid_affine``, ``plan_sigmoid`` and their
/// ``*_backward``, ``softplus``, ``log_sigmoid`` (and ``*_fast``),
/// ``sigmoid_backward_from_input``, ``silu`` and ``silu_backward``; the
/// losses ``bce_with_logits`` and ``bce``; ``grad_stats``; float64,
/// float16 and bfloat16: ``sigmoid``; quantized: ``Int8Sigmoid``,
/// ``Uint8Sigmoid``, ``Q15Sigmoid``. The dtype of the input is the dtype of
/// the output; other dtypes raise TypeError. The GIL is released while a
/// kernel runs; large arrays use all threads.
#[pymodule]
#[pyo3(name = "sigmoid_kernels")]
fn sigmoid_kernels_py(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(sigmoid, m)?)?;
    m.add_function(wrap_pyfunction!(sigmoid_fast, m)?)?;
    m.add_function(wrap_pyfunction!(sigmoid_cr, m)?)?;
    m.add_function(wrap_pyfunction!(sigmoid_backward, m)?)?;
    m.add_function(wrap_pyfunction!(hard_sigmoid, m)?)?;
    m.add_function(wrap_pyfunction!(hard_sigmoid_backward, m)?)?;
    m.add_function(wrap_pyfunction!(hard_sigmoid_affine, m)?)?;
    m.add_function(wrap_pyfunction!(hard_sigmoid_affine_backward, m)?)?;
    m.add_function(wrap_pyfunction!(plan_sigmoid, m)?)?;
    m.add_function(wrap_pyfunction!(plan_sigmoid_backward, m)?)?;
    m.add_function(wrap_pyfunction!(silu, m)?)?;
    m.add_function(wrap_pyfunction!(silu_backward, m)?)?;
    m.add_function(wrap_pyfunction!(grad_stats, m)?)?;
    m.add_function(wrap_pyfunction!(backend, m)?)?;
    m.add_function(wrap_pyfunction!(parallel_threshold, m)?)?;
    m.add_function(wrap_pyfunction!(set_parallel_threshold, m)?)?;
    m.add_class::<Int8Sigmoid>()?;
    m.add_class::<Uint8Sigmoid>()?;
    m.add_class::<Q15Sigmoid>()?;
    m.add_function(wrap_pyfunction!(loss::bce_with_logits, m)?)?;
    m.add_function(wrap_pyfunction!(loss::bce, m)?)?;
    stable::register(m)?;
    Ok(())
}
