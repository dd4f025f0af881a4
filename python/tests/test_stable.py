"""Tests of softplus, log_sigmoid and sigmoid_backward_from_input (crate
issue #18) against references computed here: the crate's stable formulas in
float64 NumPy over a dense sample, and mpmath at 40 digits on a smaller one.

Run: pip install ./python && pytest python/tests
"""

import numpy as np
import pytest

import sigmoid_kernels as sk
from test_sigmoid_kernels import FMAX, FMIN, TINY, dense_sample, specials, ulp_errors, ulp_f32

F32 = np.float32

# The contracts, as documented in the crate (src/lib.rs: SOFTPLUS_MAX_ULP,
# LOG_SIGMOID_MAX_ULP, SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP) and the docstrings.
SOFTPLUS_MAX_ULP = 2.0
LOG_SIGMOID_MAX_ULP = 2.0
FROM_INPUT_MAX_ULP = 2.0
FAST_MAX_REL = 1e-4  # SOFTPLUS_FAST_MAX_REL, LOG_SIGMOID_FAST_MAX_REL


def softplus64(x):
    """max(x, 0) + log1p(e^-|x|) in float64 (the crate's oracle, in NumPy)."""
    with np.errstate(all="ignore"):
        x = np.asarray(x, dtype=np.float64)
        return np.where(np.isnan(x), np.nan, np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))))


def log_sigmoid64(x):
    with np.errstate(all="ignore"):  # casting a signalling NaN
        return -softplus64(-np.asarray(x, dtype=np.float64))


def from_input64(x, dy):
    """dy·e^-|x|/(1 + e^-|x|)² in float64; an infinite dy at finite x gives dy."""
    with np.errstate(all="ignore"):
        x, dy = np.asarray(x, np.float64), np.asarray(dy, np.float64)
        e = np.exp(-np.abs(x))
        g = dy * (e / ((1.0 + e) * (1.0 + e)))
        return np.where(np.isfinite(x) & np.isinf(dy), dy, g)


def stable_sample():
    """dense_sample plus ±3000 ULPs around the edges of these kernels: where
    the result becomes subnormal (|x| ≈ 87.3) and 0 (≈ 103.97), where
    softplus(x) rounds to x (≈ 16.6) and where the TwoSum branch ends (2^24)."""
    parts = [dense_sample()]
    for c in (-103.97, -87.34, -16.64, 16.64, 87.34, 103.97, 2.0**24, -(2.0**24)):
        bits = np.int64(np.array([c], F32).view(np.int32)[0]) + np.arange(-3000, 3001)
        parts.append(bits.astype(np.int32).view(F32))
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def sample():
    return stable_sample()


def check(name, y, r, bound, x):
    with np.errstate(all="ignore"):  # casting a signalling NaN
        err = ulp_errors(y, r)
    i = int(np.argmax(err))
    print(f"{name}: max {err[i]:.3f} ULP at x = {x[i]!r} over {x.size} inputs")
    assert err[i] <= bound, (x[i], y[i], r[i])


# ---------------------------------------------------------------- accuracy


def test_softplus_within_bound(sample):
    x = sample
    y = sk.softplus(x)
    assert y.dtype == F32 and y.shape == x.shape
    r = softplus64(x)
    check("softplus", y, r, SOFTPLUS_MAX_ULP, x)
    # Subnormal results are produced, not flushed; x is returned exactly
    # where that is the rounded value; outputs are never negative.
    sub = (r >= float(TINY)) & (r < float(FMIN))
    assert np.any(sub) and np.all(y[sub] > 0)
    big = np.isfinite(x) & (x > 17)
    assert np.array_equal(y[big], x[big])
    assert np.all(y[~np.isnan(x)] >= 0)


def test_log_sigmoid_within_bound(sample):
    x = sample
    y = sk.log_sigmoid(x)
    assert y.dtype == F32 and y.shape == x.shape
    r = log_sigmoid64(x)
    check("log_sigmoid", y, r, LOG_SIGMOID_MAX_ULP, x)
    sub = (r <= -float(TINY)) & (r > -float(FMIN))
    assert np.any(sub) and np.all(y[sub] < 0)
    small = np.isfinite(x) & (x < -17)
    assert np.array_equal(y[small], x[small])
    assert np.all(y[~np.isnan(x)] <= 0)


def test_log_sigmoid_is_minus_softplus_of_minus_x(sample):
    x = sample[::7]
    a, b = sk.log_sigmoid(x), -sk.softplus(-x)
    same = (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))
    assert np.all(same), x[~same][:5]


@pytest.mark.parametrize("name", ["softplus", "log_sigmoid"])
def test_fast_tiers_relative_error(name, sample):
    x = sample
    f, ref = (sk.softplus_fast, softplus64) if name == "softplus" else (sk.log_sigmoid_fast, log_sigmoid64)
    y = f(x)
    assert y.dtype == F32 and y.shape == x.shape
    r = ref(x)
    fin = np.isfinite(r)
    normal = fin & (np.abs(r) >= float(FMIN))
    with np.errstate(all="ignore"):
        rel = np.abs(y[normal].astype(np.float64) - r[normal]) / np.abs(r[normal])
    i = int(np.argmax(rel))
    print(f"{name}_fast: max relative {rel[i]:.3e} at x = {x[normal][i]!r}")
    assert rel[i] <= FAST_MAX_REL
    # Below 2^-126: between 0 and the reference·(1 + bound); specials as the exact tier.
    tail = fin & ~normal
    lo, hi = np.minimum(0, r[tail] * (1 + FAST_MAX_REL)), np.maximum(0, r[tail] * (1 + FAST_MAX_REL))
    assert np.all((y[tail] >= lo) & (y[tail] <= hi))
    inf = ~fin & ~np.isnan(r)
    assert np.array_equal(y[inf], r[inf].astype(F32))
    assert np.array_equal(np.isnan(y), np.isnan(x))
    out = np.empty_like(x[:1000])
    assert f(x[:1000], out=out) is out
    with pytest.raises(TypeError, match=rf"{name}_fast: x has dtype float64.*x\.astype\(np\.float32\)"):
        f(np.zeros(3))


def test_backward_from_input_within_bound(sample):
    rng = np.random.default_rng(17)
    x = sample[::3]
    x = x[~np.isnan(x)]
    # dy of every magnitude: uniform, log-spaced (tiny to FLT_MAX), both signs.
    mags = np.exp(rng.uniform(np.log(1e-30), np.log(float(FMAX)), x.size)).astype(F32)
    for dy in (np.ones_like(x), rng.uniform(-4, 4, x.size).astype(F32), mags * rng.choice([-1, 1], x.size).astype(F32)):
        dx = sk.sigmoid_backward_from_input(x, dy)
        assert dx.dtype == F32 and dx.shape == x.shape
        check("sigmoid_backward_from_input", dx, from_input64(x, dy), FROM_INPUT_MAX_ULP, x)
    # dy = 1: nonzero wherever the true gradient is representable.
    dx = sk.sigmoid_backward_from_input(x, np.ones_like(x))
    keep = from_input64(x, np.ones_like(x)) >= float(TINY)
    assert np.all(dx[keep] > 0)


def test_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    rng = np.random.default_rng(23)
    x = np.concatenate(
        [
            rng.uniform(-110, 110, 1500),
            rng.uniform(-20, 20, 1500),
            np.array([0.0, 1e-30, -1e-30, 16.64, -16.64, 20.0, 87.34, -87.34, 103.9, -103.9, 2.0**24, FMAX, -FMAX]),
        ]
    ).astype(F32)
    dy = rng.uniform(-3, 3, x.size).astype(F32)
    sp, ls, g = sk.softplus(x), sk.log_sigmoid(x), sk.sigmoid_backward_from_input(x, dy)
    worst = [0.0, 0.0, 0.0]
    for i, xi in enumerate(x):
        m = mpmath.mpf(float(xi))
        ex = mpmath.exp(m)
        want = [
            mpmath.log1p(ex),
            -mpmath.log1p(1 / ex),
            mpmath.mpf(float(dy[i])) * ex / (1 + ex) ** 2,
        ]
        for j, (got, w) in enumerate(zip((sp[i], ls[i], g[i]), want)):
            ulp = float(ulp_f32(np.float64(float(w))))
            worst[j] = max(worst[j], float(abs(mpmath.mpf(float(got)) - w)) / ulp)
    print(f"against mpmath over {x.size} inputs: softplus {worst[0]:.3f}, log_sigmoid {worst[1]:.3f}, from_input {worst[2]:.3f} ULP")
    assert worst[0] <= SOFTPLUS_MAX_ULP and worst[1] <= LOG_SIGMOID_MAX_ULP and worst[2] <= FROM_INPUT_MAX_ULP


def test_output_based_backward_loses_what_from_input_keeps():
    x = np.array([20.0], F32)
    dy = np.ones_like(x)
    assert sk.sigmoid(x)[0] == 1 and sk.sigmoid_backward(sk.sigmoid(x), dy)[0] == 0
    dx = sk.sigmoid_backward_from_input(x, dy)[0]
    assert abs(dx - 2.0611536e-9) < 1e-16


# ---------------------------------------------------------------- special values


def test_special_values():
    inf, nan = np.inf, np.nan
    x = np.array([nan, inf, -inf, 0.0, -0.0], F32)
    sp, ls = sk.softplus(x), sk.log_sigmoid(x)
    assert np.isnan(sp[0]) and np.isnan(ls[0])
    assert sp[1] == inf and sp[2] == 0 and not np.signbit(sp[2])
    assert ls[1] == 0 and np.signbit(ls[1]) and ls[2] == -inf
    assert sp[3] == sp[4] == F32(np.log(2)) and ls[3] == ls[4] == -F32(np.log(2))
    big = np.array([FMAX, -FMAX], F32)
    np.testing.assert_array_equal(sk.softplus(big), [FMAX, 0])
    np.testing.assert_array_equal(sk.log_sigmoid(big), [-0.0, -FMAX])
    # The gradient: NaN in either input → NaN; x = ±inf → dy·0; finite x
    # has a positive gradient, so dy = ±inf → ±inf; ±0 → dy/4.
    xs = np.array([nan, 0.0, inf, -inf, inf, 3.0, -3.0, 0.0, -0.0, 1e30], F32)
    dy = np.array([1.0, nan, 2.0, -2.0, inf, inf, -inf, 3.0, -8.0, 1.0], F32)
    g = sk.sigmoid_backward_from_input(xs, dy)
    assert np.isnan(g[0]) and np.isnan(g[1])
    assert g[2] == 0 and not np.signbit(g[2]) and g[3] == 0 and np.signbit(g[3])
    assert np.isnan(g[4])
    assert g[5] == inf and g[6] == -inf
    assert g[7] == 0.75 and g[8] == -2.0
    assert g[9] == 0
    for f in (sk.softplus, sk.log_sigmoid):
        y = f(specials())
        assert np.all(np.isnan(y) == np.isnan(specials()))


# ---------------------------------------------------------------- conventions


def test_shapes_out_and_aliasing():
    rng = np.random.default_rng(4)
    for shape in [(), (0,), (0, 3), (7,), (3, 4, 5), (2, 1, 70_000)]:
        x = np.asarray(rng.uniform(-30, 30, shape), F32)
        for f in (sk.softplus, sk.log_sigmoid):
            y = f(x)
            assert isinstance(y, np.ndarray) and y.shape == shape and y.dtype == F32
        assert sk.sigmoid_backward_from_input(x, x).shape == shape
    x = np.linspace(-30, 30, 1001, dtype=F32).reshape(7, 143)
    for f in (sk.softplus, sk.log_sigmoid):
        want = f(x)
        out = np.empty_like(x)
        assert f(x, out=out) is out
        np.testing.assert_array_equal(out, want)
        xc = x.copy()
        assert f(xc, out=xc) is xc  # in place
        np.testing.assert_array_equal(xc, want)
        nc = x.T
        np.testing.assert_array_equal(f(nc), f(np.ascontiguousarray(nc)))
    dy = np.full_like(x, 0.5)
    want = sk.sigmoid_backward_from_input(x, dy)
    for alias in ("x", "dy"):
        xc, dc = x.copy(), dy.copy()
        o = xc if alias == "x" else dc
        assert sk.sigmoid_backward_from_input(xc, dc, out=o) is o
        np.testing.assert_array_equal(o, want)
    e = np.empty(0, F32)
    assert sk.softplus(e, out=e) is e and sk.sigmoid_backward_from_input(e, e, out=e) is e


def test_threaded_and_serial_results_are_identical():
    x = np.random.default_rng(2).uniform(-120, 120, 300_000).astype(F32)
    dy = np.random.default_rng(3).uniform(-2, 2, x.size).astype(F32)

    def run():
        return [sk.softplus(x), sk.log_sigmoid(x), sk.sigmoid_backward_from_input(x, dy)]

    old = sk.parallel_threshold()
    try:
        threaded = run()
        sk.set_parallel_threshold(None)
        serial = run()
    finally:
        sk.set_parallel_threshold(old)
    for a, b in zip(threaded, serial):
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


def test_errors_name_the_problem_and_the_fix():
    for f in (sk.softplus, sk.log_sigmoid):
        name = f.__name__
        with pytest.raises(TypeError, match=rf"{name}: x has dtype float64, but {name} takes float32 only; convert with x\.astype\(np\.float32\)"):
            f(np.zeros(3))
        with pytest.raises(TypeError, match=rf"{name}: x has dtype int64"):
            f(np.zeros(3, np.int64))
        with pytest.raises(TypeError, match=rf"{name}: out has dtype float64, but the result is float32"):
            f(np.zeros(3, F32), out=np.zeros(3))
        with pytest.raises(ValueError, match=rf"{name}: out has shape \(2,\), but x has shape \(3,\)"):
            f(np.zeros(3, F32), out=np.zeros(2, F32))
    g = sk.sigmoid_backward_from_input
    with pytest.raises(TypeError, match=r"sigmoid_backward_from_input: x has dtype float64.*x\.astype\(np\.float32\)"):
        g(np.zeros(3), np.zeros(3, F32))
    with pytest.raises(TypeError, match=r"sigmoid_backward_from_input: dy has dtype float16 \(only sigmoid has 16-bit kernels\).*dy\.astype\(np\.float32\)"):
        g(np.zeros(3, F32), np.zeros(3, np.float16))
    with pytest.raises(ValueError, match=r"sigmoid_backward_from_input: x has shape \(3,\), but dy has shape \(2, 2\)"):
        g(np.zeros(3, F32), np.zeros((2, 2), F32))
    ro = np.zeros(3, F32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match=r"out is read-only"):
        g(np.zeros(3, F32), np.zeros(3, F32), out=ro)


def test_docstrings_state_the_contract():
    for f in (sk.softplus, sk.log_sigmoid, sk.sigmoid_backward_from_input):
        assert "2 ULP" in f.__doc__
    assert "x = 20" in sk.sigmoid_backward_from_input.__doc__
