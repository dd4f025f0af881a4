//! The stable companions of σ (crate issue #18): `softplus`, `log_sigmoid`
//! (and their fast tiers) and `sigmoid_backward_from_input`, float32, through the module's
//! [`unary_f32`] and [`binary_f32`] (same dtype errors, shapes, `out=` and
//! GIL rules as every other kernel).

use super::{binary_f32, unary_f32};
use pyo3::prelude::*;

/// Softplus log(1 + e^x), float32, element-wise.
///
/// Within 2 ULP of the exact value for every float32 input (max 0.808 ULP
/// measured over all 2^32 inputs), computed as max(x, 0) + log1p(e^−|x|)
/// without forming e^x: no overflow and no threshold where it switches to
/// x; the result is x exactly wherever that is the rounded value, and
/// e^x, subnormal included, for very negative x. Its gradient is
/// ``sigmoid(x)``.
///
/// NaN → NaN, +inf → +inf, −inf → +0, ±0 → ln 2; outputs ≥ 0. float32
/// only (float64 raises TypeError: convert with ``x.astype(np.float32)``);
/// ``out`` as for ``sigmoid``.
#[pyfunction]
#[pyo3(signature = (x, out=None))]
fn softplus<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    unary_f32(
        "softplus",
        x,
        out,
        sigmoid_kernels::softplus,
        sigmoid_kernels::softplus_inplace,
    )
}

/// Log-sigmoid log σ(x) = −softplus(−x), float32, element-wise.
///
/// Within 2 ULP of the exact value for every float32 input (max 0.808 ULP
/// measured over all 2^32 inputs): the mirror image of ``softplus``. The
/// result is x exactly wherever that is the rounded value (x ≲ −16.6), and
/// −e^−x, subnormal included, for large x. Its gradient is
/// ``sigmoid(-x)``.
///
/// NaN → NaN, +inf → −0, −inf → −inf, ±0 → −ln 2; outputs ≤ 0. float32
/// only; ``out`` as for ``sigmoid``.
#[pyfunction]
#[pyo3(signature = (x, out=None))]
fn log_sigmoid<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    unary_f32(
        "log_sigmoid",
        x,
        out,
        sigmoid_kernels::log_sigmoid,
        sigmoid_kernels::log_sigmoid_inplace,
    )
}

/// Fast tier of ``softplus``, float32: relative error ≤ 1e−4 wherever the
/// result is ≥ 2^−126 (max 1.81e−5 measured), about twice as fast;
/// results below e^−92 (x < −92) are flushed to +0. Same special values
/// and range as ``softplus``; ``out`` as for ``sigmoid``.
#[pyfunction]
#[pyo3(signature = (x, out=None))]
fn softplus_fast<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    unary_f32(
        "softplus_fast",
        x,
        out,
        sigmoid_kernels::softplus_fast,
        sigmoid_kernels::softplus_fast_inplace,
    )
}

/// Fast tier of ``log_sigmoid``, float32: relative error ≤ 1e−4 wherever
/// |result| ≥ 2^−126 (max 1.81e−5 measured); results above −e^−92
/// (x > 92) are flushed to −0. ``out`` as for ``sigmoid``.
#[pyfunction]
#[pyo3(signature = (x, out=None))]
fn log_sigmoid_fast<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    unary_f32(
        "log_sigmoid_fast",
        x,
        out,
        sigmoid_kernels::log_sigmoid_fast,
        sigmoid_kernels::log_sigmoid_fast_inplace,
    )
}

/// Gradient of σ from the forward *input*: dx = dy·σ(x)·σ(−x), float32.
///
/// Within 2 ULP of the float64 value for every float32 x and finite dy,
/// and nonzero wherever that value is above the subnormal range. Prefer it
/// to ``sigmoid_backward`` when x is at hand: from x ≈ 17.33 on the
/// float32 output y is exactly 1, so y·(1 − y) = 0, while here nothing
/// cancels (at x = 20: 2.06e−9 instead of 0).
///
/// NaN in x or dy → NaN; x = ±inf → dy·0 (±0; NaN for dy = ±inf); ±0 →
/// dy/4. ``x`` and ``dy`` must have the same shape (ValueError otherwise);
/// ``out`` may be either of them.
#[pyfunction]
#[pyo3(signature = (x, dy, out=None))]
fn sigmoid_backward_from_input<'py>(
    x: &Bound<'py, PyAny>,
    dy: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    binary_f32(
        "sigmoid_backward_from_input",
        (x, "x"),
        dy,
        out,
        sigmoid_kernels::sigmoid_backward_from_input,
    )
}

/// Adds this file's functions to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(softplus, m)?)?;
    m.add_function(wrap_pyfunction!(log_sigmoid, m)?)?;
    m.add_function(wrap_pyfunction!(softplus_fast, m)?)?;
    m.add_function(wrap_pyfunction!(log_sigmoid_fast, m)?)?;
    m.add_function(wrap_pyfunction!(sigmoid_backward_from_input, m)?)?;
    Ok(())
}
