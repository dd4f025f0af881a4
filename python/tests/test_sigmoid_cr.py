"""The correctly rounded tier from Python: against mpmath, against the crate's
table of hard inputs (σ within 2^-21 ULP of a rounding midpoint, rounded by
mpmath at 200 bits), special values, out=, threads and dtype errors.

Run: pip install ./python && pytest python/tests
"""

import pathlib

import numpy as np
import pytest

import sigmoid_kernels as sk

F32 = np.float32
HARD = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "sigmoid_cr_hard.txt"


def cr_mpmath(mpmath, x):
    """σ(x) rounded to the nearest float32 from a 200-bit value."""
    v = 1 / (1 + mpmath.exp(-mpmath.mpf(float(x))))
    if v == 0:
        return F32(0.0)
    e = max(int(mpmath.floor(mpmath.log(v, 2))), -126)
    q = mpmath.mpf(2) ** (e - 23)
    return F32(float(mpmath.floor(v / q + mpmath.mpf(0.5)) * q))


def test_matches_mpmath_on_random_inputs():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 200
    rng = np.random.default_rng(16)
    x = np.concatenate(
        [
            rng.uniform(-110, 30, 1500).astype(F32),
            (rng.standard_normal(1500) * 1e-3).astype(F32),
        ]
    )
    y = sk.sigmoid_cr(x)
    want = np.array([cr_mpmath(mpmath, xi) for xi in x], dtype=F32)
    bad = np.flatnonzero(y.view(np.uint32) != want.view(np.uint32))
    assert bad.size == 0, f"x={x[bad[:5]]}: got {y[bad[:5]]}, want {want[bad[:5]]}"


def test_hard_inputs_from_the_crate_table():
    rows = [l.split() for l in HARD.read_text().splitlines() if not l.startswith("#")]
    x = np.array([int(r[0], 16) for r in rows], dtype=np.uint32).view(F32)
    want = np.array([int(r[1], 16) for r in rows], dtype=np.uint32)
    assert x.size > 1000
    got = sk.sigmoid_cr(x).view(np.uint32)
    np.testing.assert_array_equal(got, want)
    # The exact tier (≤ 1 ULP) rounds some of them the other way.
    assert np.any(sk.sigmoid(x).view(np.uint32) != want)


def test_special_values_and_range():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 2.0**-23], dtype=F32)
    y = sk.sigmoid_cr(x)
    assert y[0] == 0.5 and y[1] == 0.5 and y[2] == 1.0
    assert y[3] == 0.0 and not np.signbit(y[3])
    assert np.isnan(y[4]) and y[5] == 1.0 and y[6] == 0.0
    assert y[7] == 0.5  # 1/2 + 2^-25 - 2^-69/48: just below the midpoint
    xs = np.sort(np.random.default_rng(1).uniform(-120, 40, 100_000).astype(F32))
    ys = sk.sigmoid_cr(xs)
    assert np.all((ys >= 0) & (ys <= 1)) and np.all(np.diff(ys) >= 0)


def test_out_in_place_threads_and_shapes():
    x = np.random.default_rng(2).uniform(-20, 20, (3, 700_001)).astype(F32)
    y = sk.sigmoid_cr(x)
    assert y.shape == x.shape and y.dtype == F32
    pieces = [sk.sigmoid_cr(row[i : i + 1000]) for row in x for i in range(0, row.size, 1000)]
    serial = np.concatenate(pieces)
    np.testing.assert_array_equal(y.ravel().view(np.uint32), serial.view(np.uint32))
    z = x.copy()
    assert sk.sigmoid_cr(z, out=z) is z
    np.testing.assert_array_equal(z.view(np.uint32), y.view(np.uint32))


def test_float64_is_refused_with_the_fix():
    with pytest.raises(TypeError, match="float32"):
        sk.sigmoid_cr(np.zeros(3))
    assert "correctly rounded" in sk.sigmoid_cr.__doc__.lower()
