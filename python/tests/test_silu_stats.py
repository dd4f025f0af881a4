"""SiLU, its gradient and grad_stats against float64 oracles."""

import numpy as np
import pytest

import sigmoid_kernels as sk


def _sigma(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _ulp(r):
    a = np.abs(r).astype(np.float32)
    return np.spacing(np.maximum(a, np.float32(np.finfo(np.float32).tiny))).astype(np.float64)


def test_silu_within_two_ulp():
    x = np.linspace(-110, 40, 300_001, dtype=np.float32)
    y = sk.silu(x)
    want = x.astype(np.float64) * _sigma(x)
    err = np.abs(y.astype(np.float64) - want) / _ulp(want)
    assert err.max() <= 2.0, err.max()
    assert sk.silu(np.array([-np.inf], np.float32))[0] == 0.0
    assert np.signbit(sk.silu(np.array([-np.inf], np.float32))[0])
    assert np.isnan(sk.silu(np.array([np.nan], np.float32))[0])


def test_silu_backward_within_two_ulp_of_the_larger_term():
    rng = np.random.default_rng(5)
    x = rng.uniform(-120, 40, 200_000).astype(np.float32)
    dy = rng.uniform(-3, 3, x.size).astype(np.float32)
    dx = sk.silu_backward(x, dy)
    xd, dyd = x.astype(np.float64), dy.astype(np.float64)
    s, sm = _sigma(xd), _sigma(-xd)
    a, b = dyd * s, dyd * xd * s * sm
    err = np.abs(dx.astype(np.float64) - (a + b)) / _ulp(np.maximum(np.abs(a), np.abs(b)))
    assert err.max() <= 2.0, err.max()


def test_silu_rejects_float64():
    with pytest.raises(TypeError, match="float32"):
        sk.silu(np.zeros(3))


def test_grad_stats_exact_values():
    g = np.array([3.0, -4.0, 0.0, np.nan, np.inf, 1e-9], dtype=np.float32)
    s = sk.grad_stats(g)
    assert (s["count"], s["nan"], s["pos_inf"], s["neg_inf"]) == (6, 1, 1, 0)
    want = np.sqrt(np.sum(np.float64([3.0, 4.0, np.float32(1e-9)]) ** 2))
    assert s["l2_norm"] == want
    assert s["max_abs"] == 4.0
    assert s["below"] == 2 and s["fraction_below"] == 0.5
    hist = dict(s["histogram"])
    assert hist["0"] == 1 and hist["2^1"] == 1 and hist["2^2"] == 1 and hist["2^-30"] == 1
    with pytest.raises(TypeError, match="float32"):
        sk.grad_stats(np.zeros(3))
    for bad in (float("nan"), -1.0):
        with pytest.raises(ValueError, match=r"grad_stats: threshold must be a number >= 0"):
            sk.grad_stats(g, threshold=bad)
    assert sk.grad_stats(g, threshold=0.0)["below"] == 0
