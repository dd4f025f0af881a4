"""sigmoid on float16 and ml_dtypes.bfloat16 arrays: every one of the
65,536 inputs of each format correctly rounded, the dtype kept, out= and
in place as for float32."""

import numpy as np
import pytest

import sigmoid_kernels as sk


def sigma64(x):
    """σ in float64 with the stable formula."""
    with np.errstate(invalid="ignore"):  # NaN inputs stay NaN
        x = x.astype(np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def check_all(dtype):
    x = np.arange(1 << 16, dtype=np.uint16).view(dtype)
    y = sk.sigmoid(x)
    assert y.dtype == x.dtype and y.shape == x.shape
    want = sigma64(x).astype(dtype)
    with np.errstate(invalid="ignore"):
        nan = np.isnan(x.astype(np.float32))
    assert np.isnan(y[nan].astype(np.float32)).all()
    bad = np.flatnonzero((y != want) & ~nan)
    assert bad.size == 0, [(float(x[i]), float(y[i]), float(want[i])) for i in bad[:5]]
    # In place and into out= give the same bits.
    z = x.copy()
    assert sk.sigmoid(z, out=z) is z
    assert (z.view(np.uint16)[~nan] == y.view(np.uint16)[~nan]).all()
    out = np.empty((4, 1 << 14), dtype)
    assert sk.sigmoid(x.reshape(4, -1), out=out) is out
    assert (out.reshape(-1).view(np.uint16) == y.view(np.uint16)).all()


def test_float16_every_input_correctly_rounded():
    check_all(np.float16)


def test_bfloat16_every_input_correctly_rounded():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    check_all(ml_dtypes.bfloat16)


def test_float16_out_must_match_dtype():
    with pytest.raises(TypeError):
        sk.sigmoid(np.zeros(3, np.float16), out=np.zeros(3, np.float32))
