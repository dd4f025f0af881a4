"""Tests of bce_with_logits and bce against float64 references computed here
(the crate's oracle formulas, reference::bce_with_logits_f64 / bce_f64, in NumPy).

Run: pip install ./python && pytest python/tests
"""

import numpy as np
import pytest

import sigmoid_kernels as sk

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN/inf in the float64 references

F32 = np.float32
FMAX = np.finfo(F32).max
TINY = np.finfo(F32).smallest_subnormal
FMIN = np.finfo(F32).tiny

# The contracts, as documented in the crate (src/loss.rs).
BCE_BINARY_MAX_ULP = 2.0
BCE_MAX_ULP = 4.0
BCE_GRAD_MAX_ULP = 2.0
BCE_PROB_MAX_ULP = 1.0
BCE_REDUCTION_MAX_ULP = 1.0


def ulp_f32(r):
    a = np.abs(r)
    _, e = np.frexp(a)
    ulp = np.ldexp(1.0, (e - 24).astype(np.int32))
    return np.where(a < float(FMIN), float(TINY), ulp)


def ulp_errors(y, r):
    y = y.astype(np.float64)
    both_nan = np.isnan(y) & np.isnan(r)
    same_inf = np.isinf(y) & (y == r)
    with np.errstate(all="ignore"):
        err = np.abs(y - r) / ulp_f32(r)
    err = np.where(both_nan | same_inf, 0.0, err)
    return np.where(np.isnan(err), np.inf, err)


def softplus64(x):
    with np.errstate(all="ignore"):
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def sigmoid64(x):
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def coefficients(t, pw, eps):
    ts = t.astype(np.float64) * (1.0 - eps) + eps / 2.0
    return pw * ts, 1.0 - ts


def term(c, s):
    with np.errstate(all="ignore"):
        return np.where((c == 0) & ~np.isnan(s), 0.0, c * s)


def bce_logits_ref(x, t, w=1.0, pw=1.0, eps=0.0):
    ca, cb = coefficients(t, np.float64(pw), np.float64(eps))
    x = x.astype(np.float64)
    l = term(ca, softplus64(-x)) + term(cb, softplus64(x))
    return term(np.float64(w), l)


def bce_logits_grad_terms(x, t, w=1.0, pw=1.0, eps=0.0):
    ca, cb = coefficients(t, np.float64(pw), np.float64(eps))
    x = x.astype(np.float64)
    w = np.float64(w)
    return w * cb * sigmoid64(x), w * ca * sigmoid64(-x)


def bce_prob_ref(p, t, w=1.0, pw=1.0, eps=0.0):
    ca, cb = coefficients(t, np.float64(pw), np.float64(eps))
    p = p.astype(np.float64)
    with np.errstate(all="ignore"):
        lp = np.maximum(np.log(p), -100.0)
        lq = np.maximum(np.log(1.0 - p), -100.0)
    return -np.float64(w) * (ca * lp + cb * lq)


def strided_logits(step=8191):
    bits = np.arange(0, 2**32, step, dtype=np.uint64).astype(np.uint32)
    x = bits.view(F32)
    extra = np.array([0.0, -0.0, 20.0, -20.0, 37.43, 1e30, -1e30, FMAX, -FMAX, TINY, np.inf, -np.inf, np.nan], F32)
    return np.concatenate([x, extra])


@pytest.mark.parametrize("tv", [0.0, 1.0])
def test_binary_targets_every_logit(tv):
    x = strided_logits()
    t = np.full_like(x, tv)
    loss, dx = sk.bce_with_logits(x, t, reduction="none", grad=True)
    assert loss.dtype == F32 and loss.shape == x.shape and dx.shape == x.shape
    assert ulp_errors(loss, bce_logits_ref(x, t)).max() <= BCE_BINARY_MAX_ULP
    a, b = bce_logits_grad_terms(x, t)
    assert ulp_errors(dx, a - b).max() <= BCE_GRAD_MAX_ULP


def test_fractional_targets_weights_pos_weight():
    rng = np.random.default_rng(3)
    x = strided_logits(65537)
    x = x[np.isfinite(x)]
    x = x[: len(x) - len(x) % 3].reshape(-1, 3)
    t = rng.uniform(0, 1, x.shape).astype(F32)
    w = rng.uniform(0, 4, x.shape).astype(F32)
    pw = np.array([0.5, 1.0, 3.0], F32)
    eps = 0.1
    loss, dx = sk.bce_with_logits(x, t, weight=w, pos_weight=pw, reduction="none", label_smoothing=eps, grad=True)
    want = bce_logits_ref(x, t, w, pw, np.float32(eps))
    finite = np.isfinite(want.astype(F32))
    assert ulp_errors(loss[finite], want[finite]).max() <= BCE_MAX_ULP
    assert np.all(loss[~finite] == np.inf)
    a, b = bce_logits_grad_terms(x, t, w, pw, np.float32(eps))
    err = np.abs(dx.astype(np.float64) - (a - b)) / ulp_f32(np.maximum(np.abs(a), np.abs(b)))
    assert err.max() <= 4.0


def test_well_classified_example_and_limits():
    x = np.array([20.0, np.inf, -np.inf, np.nan], F32)
    t = np.array([1.0, 1.0, 1.0, 1.0], F32)
    loss, dx = sk.bce_with_logits(x, t, reduction="none", grad=True)
    assert abs(loss[0] - 2.0611536e-9) < 1e-16 and abs(dx[0] + 2.0611536e-9) < 1e-16
    assert loss[1] == 0.0 and loss[2] == np.inf and dx[2] == -1.0 and dx[1] == 0.0
    assert np.isnan(loss[3]) and np.isnan(dx[3])
    assert np.isnan(sk.bce_with_logits(x, t))


def test_reductions():
    rng = np.random.default_rng(5)
    x = rng.uniform(-8, 8, (300, 4)).astype(F32)
    t = (rng.uniform(0, 1, x.shape) < 0.5).astype(F32)
    per = sk.bce_with_logits(x, t, reduction="none").astype(np.float64)
    mean = sk.bce_with_logits(x, t)
    assert isinstance(mean, float)
    assert ulp_errors(np.array([mean], F32), np.array([per.sum() / per.size])).max() <= BCE_REDUCTION_MAX_ULP
    s = sk.bce_with_logits(x, t, reduction="sum")
    assert ulp_errors(np.array([s], F32), np.array([per.sum()])).max() <= BCE_REDUCTION_MAX_ULP
    keras = sk.bce_with_logits(x, t, reduction="mean_last_axis")
    assert keras == mean  # Keras' mean of per-sample means is the same value
    loss, dx = sk.bce_with_logits(x, t, grad=True)
    assert loss == mean
    a, b = bce_logits_grad_terms(x, t)
    assert ulp_errors(dx, (a - b) / x.size).max() <= BCE_GRAD_MAX_ULP + 0.5
    empty = np.zeros((0, 4), F32)
    total = sk.bce_with_logits(empty, empty, reduction="sum")
    assert total == 0.0 and np.copysign(1.0, total) == 1.0  # +0, PyTorch's sign
    assert np.copysign(1.0, sk.bce(empty, empty, reduction="sum")) == 1.0
    assert np.isnan(sk.bce_with_logits(empty, empty))
    # An empty last axis: no classes, an empty pos_weight, Keras' mean NaN.
    z = np.zeros((2, 0), F32)
    for f in (sk.bce_with_logits, sk.bce):
        assert f(z, z, pos_weight=np.zeros(0, F32), reduction="sum") == 0.0
        assert np.isnan(f(z, z, reduction="mean_last_axis"))
        assert np.isnan(f(z, z))


def test_jax_composite_agrees():
    """The composite the benchmark compares with: -t·log σ(x) - (1-t)·log σ(-x)."""
    rng = np.random.default_rng(9)
    x = rng.uniform(-10, 10, 1000).astype(np.float64)
    t = rng.uniform(0, 1, 1000)
    with np.errstate(all="ignore"):
        logsig = lambda v: -softplus64(-v)  # noqa: E731
        composite = -t * logsig(x) - (1 - t) * logsig(-x)
    got = sk.bce_with_logits(x.astype(F32), t.astype(F32), reduction="none")
    assert np.allclose(got, composite, rtol=1e-5, atol=1e-6)


def test_bce_on_probabilities():
    p = np.concatenate([np.linspace(0, 1, 10001, dtype=F32), np.array([1e-8, TINY, 1 - 2**-24], F32)])
    for tv in [0.0, 1.0, 0.3]:
        t = np.full_like(p, tv)
        loss, dp = sk.bce(p, t, reduction="none", grad=True)
        assert ulp_errors(loss, bce_prob_ref(p, t)).max() <= BCE_PROB_MAX_ULP
    loss, dp = sk.bce(np.array([0.0, 1.0, 0.25], F32), np.array([1.0, 0.0, 1.0], F32), reduction="none", grad=True)
    assert list(loss) == [100.0, 100.0, np.float32(np.log(4.0))]
    assert list(dp) == [-1e12, 1e12, -4.0]


def test_errors_name_the_fix():
    x = np.zeros((2, 3), F32)
    with pytest.raises(TypeError, match=r"x has dtype float64.*astype\(np.float32\)"):
        sk.bce_with_logits(np.zeros((2, 3)), x)
    with pytest.raises(ValueError, match=r"t has shape \(3, 2\), but x has shape \(2, 3\)"):
        sk.bce_with_logits(x, np.zeros((3, 2), F32))
    with pytest.raises(ValueError, match=r"pos_weight has shape \(2,\), but it must be \(3,\)"):
        sk.bce_with_logits(x, x, pos_weight=np.ones(2, F32))
    with pytest.raises(ValueError, match=r"weight\[1\] = -1"):
        sk.bce_with_logits(x, x, weight=np.array([[1, -1, 1], [1, 1, 1]], F32))
    with pytest.raises(ValueError, match=r"label_smoothing = 1"):
        sk.bce_with_logits(x, x, label_smoothing=1.0)
    with pytest.raises(ValueError, match=r"reduction='avg' is not one of"):
        sk.bce_with_logits(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"p\[0\] = 2 is not a probability"):
        sk.bce(np.full(3, 2.0, F32), np.ones(3, F32))
