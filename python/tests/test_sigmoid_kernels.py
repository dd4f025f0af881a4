"""Tests of the Python module against references computed here in float64 NumPy.

Run: pip install ./python && pytest python/tests
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import sigmoid_kernels as sk

F32 = np.float32
FMAX = np.finfo(F32).max
TINY = np.finfo(F32).smallest_subnormal
FMIN = np.finfo(F32).tiny

# The contracts, as documented in the crate (src/lib.rs) and the docstrings.
EXACT_MAX_ULP = 1.0
FAST_MAX_REL = 1e-4
BACKWARD_MAX_ULP = 2.0
F64_MAX_ULP = 2.5


# ---------------------------------------------------------------- references


def ref64(x):
    """σ in float64 with the stable formula (the crate's oracle, in NumPy)."""
    with np.errstate(all="ignore"):
        x = np.asarray(x, dtype=np.float64)
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def ulp_f32(r):
    """Spacing of float32 at |r| (2^-149 below the normal range)."""
    a = np.abs(r)
    _, e = np.frexp(a)
    ulp = np.ldexp(1.0, (e - 24).astype(np.int32))
    return np.where(a < float(FMIN), float(TINY), ulp)


def ulp_errors(y, r):
    """|y - r| / ulp(r) with NaN against NaN = 0, as reference::ulp_error."""
    y = y.astype(np.float64)
    both_nan = np.isnan(y) & np.isnan(r)
    same_inf = np.isinf(y) & (y == r)
    with np.errstate(all="ignore"):
        err = np.abs(y - r) / ulp_f32(r)
    err = np.where(both_nan | same_inf, 0.0, err)
    return np.where(np.isnan(err), np.inf, err)


def specials():
    return np.array(
        [0.0, -0.0, np.inf, -np.inf, np.nan, FMAX, -FMAX, TINY, -TINY, FMIN, -FMIN],
        dtype=F32,
    )


def dense_sample():
    """~3M float32 inputs: a dense line over the whole range, log-spaced
    magnitudes (subnormal results, ±FLT_MAX), ±3000 ULPs around the edges,
    fixed-seed random bit patterns and the specials."""
    rng = np.random.default_rng(12345)
    parts = [np.linspace(-110, 20, 1_500_001, dtype=F32)]
    mags = np.logspace(-45, np.log10(float(FMAX)), 200_000).astype(F32)
    parts += [mags, -mags]
    for c in (-103.97, -88.72, -87.3, 0.0, 16.6, 17.33):
        bits = np.int64(np.array([c], F32).view(np.int32)[0]) + np.arange(-3000, 3001)
        parts.append(bits.astype(np.int32).view(F32))
    bits = rng.integers(0, 2**32, 1_000_000, dtype=np.uint64).astype(np.uint32)
    parts.append(bits.view(F32))
    parts.append(specials())
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def sample():
    x = dense_sample()
    return x, ref64(x)


# ---------------------------------------------------------------- accuracy


def test_exact_tier_within_one_ulp(sample):
    x, r = sample
    y = sk.sigmoid(x)
    assert y.dtype == F32 and y.shape == x.shape
    err = ulp_errors(y, r)
    i = int(np.argmax(err))
    print(f"sigmoid float32: max {err[i]:.3f} ULP at x = {x[i]!r}")
    assert err[i] <= EXACT_MAX_ULP, (x[i], y[i], r[i])
    # Subnormal results are really produced, not flushed.
    sub = (r > 0) & (r < float(FMIN))
    assert np.any(y[sub] > 0)


def test_fast_tier_relative_error(sample):
    x, r = sample
    y = sk.sigmoid_fast(x).astype(np.float64)
    fin = ~np.isnan(r)
    normal = fin & (r >= float(FMIN))
    rel = np.abs(y[normal] - r[normal]) / r[normal]
    i = int(np.argmax(rel))
    print(f"sigmoid_fast: max relative {rel[i]:.3e}")
    assert rel[i] <= FAST_MAX_REL, x[normal][i]
    tail = fin & ~normal
    assert np.all((y[tail] >= 0) & (y[tail] <= r[tail] * (1 + FAST_MAX_REL)))


@pytest.mark.parametrize("f", [sk.sigmoid, sk.sigmoid_fast])
def test_range_and_monotone(f, sample):
    x, _ = sample
    xs = np.sort(x[~np.isnan(x)])
    y = f(xs)
    assert np.all((y >= 0) & (y <= 1))
    assert np.all(np.diff(y) >= 0)


def test_backward_within_two_ulp():
    rng = np.random.default_rng(7)
    y = np.concatenate([np.linspace(0, 1, 200_001, dtype=F32), sk.sigmoid(dense_sample()[::10])])
    y = y[~np.isnan(y)]
    dy = rng.uniform(-4, 4, y.size).astype(F32)
    dx = sk.sigmoid_backward(y, dy)
    yd = y.astype(np.float64)
    want = dy.astype(np.float64) * yd * (1.0 - yd)
    err = ulp_errors(dx, want)
    print(f"sigmoid_backward: max {err.max():.3f} ULP")
    assert err.max() <= BACKWARD_MAX_ULP


def test_float64_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    rng = np.random.default_rng(3)
    x = np.concatenate(
        [
            rng.uniform(-745, 40, 1500),
            rng.uniform(-20, 20, 1500),
            np.array([0.0, 1e-300, -1e-300, -708.5, -745.1, 36.7, 37.5, -36.7]),
        ]
    )
    y = sk.sigmoid(x)
    assert y.dtype == np.float64
    worst = 0.0
    for xi, yi in zip(x, y):
        t = 1 / (1 + mpmath.exp(-mpmath.mpf(float(xi))))
        a = abs(float(t))
        ulp = np.spacing(a) if a >= np.finfo(np.float64).tiny else 2.0**-1074
        worst = max(worst, float(abs(mpmath.mpf(float(yi)) - t)) / ulp)
    print(f"sigmoid float64: max {worst:.3f} ULP against mpmath over {x.size} inputs")
    assert worst <= F64_MAX_ULP


def test_float64_is_computed_in_double():
    # The textbook example; a float32 round trip would be off by ~1e-8.
    x = np.linspace(-10, 10, 100)
    y = sk.sigmoid(x)
    assert y.dtype == np.float64 and y.shape == (100,)
    np.testing.assert_allclose(y, ref64(x), rtol=4e-16, atol=0)
    assert np.max(np.abs(y - ref64(x).astype(F32))) > 1e-9


def test_hard_plan_and_their_gradients_match_their_definitions(sample):
    x, _ = sample
    x = x[::3]
    with np.errstate(all="ignore"):
        want = np.minimum(np.maximum(x + F32(3), F32(0)), F32(6)) / F32(6)
        assert_same(sk.hard_sigmoid(x), want)
        a, b = F32(0.25), F32(0.375)
        want = np.clip(a * x + b, F32(0), F32(1))
        want = np.where(np.isnan(x), np.nan, want).astype(F32)
        assert_same(sk.hard_sigmoid_affine(x, 0.25, 0.375), want)
        # PLAN as the crate defines it: f(|x|) rounded to float32, then 1 - f
        # (exact) for x < 0.
        ax = np.abs(x)
        f = np.where(
            ax >= 5,
            F32(1),
            np.where(
                ax >= 2.375,
                F32(0.03125) * ax + F32(0.84375),
                np.where(ax >= 1, F32(0.125) * ax + F32(0.625), F32(0.25) * ax + F32(0.5)),
            ),
        )
        want = np.where(x < 0, F32(1) - f, f)
        want = np.where(np.isnan(x), np.nan, want).astype(F32)
        assert_same(sk.plan_sigmoid(x), want)
        dy = np.full_like(x, 3.0)
        inside = (x > -3) & (x < 3)
        assert_same(sk.hard_sigmoid_backward(x, dy), np.where(inside, dy * F32(1 / 6), F32(0)))
        v = a * x + b
        assert_same(
            sk.hard_sigmoid_affine_backward(x, dy, alpha=0.25, beta=0.375),
            np.where((v > 0) & (v < 1), dy * a, F32(0)),
        )
        slope = np.where(ax >= 5, 0.0, np.where(ax >= 2.375, 0.03125, np.where(ax >= 1, 0.125, 0.25)))
        slope = np.where(np.isnan(x), 0.0, slope)
        assert_same(sk.plan_sigmoid_backward(x, dy), (dy * slope).astype(F32))


def assert_same(got, want):
    """Bit-identical, NaN equal to NaN and +0 distinct from -0."""
    assert got.dtype == want.dtype and got.shape == want.shape
    gi, wi = got.view(np.uint32), want.view(np.uint32)
    bad = (gi != wi) & ~(np.isnan(got) & np.isnan(want))
    assert not np.any(bad), (np.flatnonzero(bad)[:5], got[bad][:5], want[bad][:5])


def test_quantized_tables_are_exact():
    def ideal(q, s, z, so, zo, lo, hi):
        v = ref64(s * (q.astype(np.float64) - z)) / so
        r = np.sign(v) * np.floor(np.abs(v) + 0.5)  # half away from zero
        return np.clip(r + zo, lo, hi).astype(np.int64)

    q = np.arange(-128, 128).astype(np.int8)
    for s, z in [(0.1, 0), (20 / 255, -3), (0.5, 127)]:
        y = sk.Int8Sigmoid(s, z)(q)
        assert y.dtype == np.int8
        np.testing.assert_array_equal(y, ideal(q, F32(s), z, 1 / 256, -128, -128, 127))
    u = np.arange(256).astype(np.uint8)
    k = sk.Uint8Sigmoid(F32(20 / 255), 128, out_scale=1 / 128, out_zero_point=10)
    np.testing.assert_array_equal(k(u), ideal(u, F32(20 / 255), 128, 1 / 128, 10, 0, 255))
    assert k.zero_point == 128 and k.out_zero_point == 10 and k.out_scale == 1 / 128
    assert "Uint8Sigmoid(" in repr(k)


@pytest.mark.parametrize("n", [0, 7, 12, 15])
def test_q15_within_one_lsb(n):
    q = np.arange(-32768, 32768).astype(np.int16)
    y = sk.Q15Sigmoid(n)(q)
    want = np.minimum(np.rint(ref64(q / 2.0**n) * 32768), 32767).astype(np.int64)
    assert y.dtype == np.int16
    assert np.max(np.abs(y.astype(np.int64) - want)) <= 1


# ---------------------------------------------------------------- special values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype=dtype)
    fs = [sk.sigmoid] + ([sk.sigmoid_fast] if dtype == np.float32 else [])
    for f in fs:
        y = f(x)
        assert np.isnan(y[0])
        assert y[1] == 1 and y[2] == 0 and not np.signbit(y[2])
        assert y[3] == 0.5 and y[4] == 0.5
    big = np.array([np.finfo(dtype).max, -np.finfo(dtype).max], dtype=dtype)
    np.testing.assert_array_equal(sk.sigmoid(big), [1, 0])


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (1,), (7,), (3, 4, 5), (2, 1, 70_000)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_shape(shape, dtype):
    rng = np.random.default_rng(1)
    x = np.asarray(rng.uniform(-20, 20, shape), dtype=dtype)
    y = sk.sigmoid(x)
    assert isinstance(y, np.ndarray) and y.shape == x.shape and y.dtype == dtype
    tol = 2e-7 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(y, ref64(x), rtol=tol, atol=0)


def test_unary_kernels_on_every_shape():
    for f in [sk.sigmoid_fast, sk.hard_sigmoid, sk.hard_sigmoid_affine, sk.plan_sigmoid]:
        for shape in [(), (0,), (5, 3)]:
            x = np.ones(shape, F32)
            assert f(x).shape == shape
    for f in [sk.sigmoid_backward, sk.hard_sigmoid_backward, sk.hard_sigmoid_affine_backward, sk.plan_sigmoid_backward]:
        for shape in [(), (0,), (5, 3)]:
            x = np.full(shape, 0.5, F32)
            assert f(x, x).shape == shape


def test_empty_arrays_in_place():
    """out= the (empty) input itself: returned, no borrow error."""
    for dtype in (F32, np.float64):
        for shape in [(0,), (0, 3)]:
            e = np.empty(shape, dtype)
            assert sk.sigmoid(e, out=e) is e
    e = np.empty(0, F32)
    for f in [sk.sigmoid_fast, sk.hard_sigmoid, sk.plan_sigmoid]:
        assert f(e, out=e) is e
    assert sk.sigmoid_backward(e, e, out=e) is e
    q8 = np.empty(0, np.int8)
    assert sk.Int8Sigmoid(0.05, 0)(q8, out=q8) is q8
    q16 = np.empty(0, np.int16)
    assert sk.Q15Sigmoid(9)(q16, out=q16) is q16


def test_lists_and_scalars_go_through_asarray():
    np.testing.assert_array_equal(sk.sigmoid([0.0, 0.0]), [0.5, 0.5])
    assert sk.sigmoid(0.0).dtype == np.float64


def test_threaded_and_serial_results_are_identical():
    x = np.random.default_rng(2).uniform(-30, 30, 300_000).astype(F32)
    old = sk.parallel_threshold()
    try:
        threaded = [f(x) for f in (sk.sigmoid, sk.sigmoid_fast)] + [sk.sigmoid(x.astype(np.float64))]
        sk.set_parallel_threshold(None)
        serial = [f(x) for f in (sk.sigmoid, sk.sigmoid_fast)] + [sk.sigmoid(x.astype(np.float64))]
    finally:
        sk.set_parallel_threshold(old)
    for a, b in zip(threaded, serial):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- out= and views


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_may_be_the_input(dtype):
    x = np.linspace(-9, 9, 1001, dtype=dtype).reshape(7, 143)
    want = sk.sigmoid(x)
    r = sk.sigmoid(x, out=x)
    assert r is x
    np.testing.assert_array_equal(x, want)


def test_out_is_returned_and_written():
    x = np.linspace(-9, 9, 100, dtype=F32)
    out = np.empty_like(x)
    assert sk.sigmoid_fast(x, out=out) is out
    np.testing.assert_array_equal(out, sk.sigmoid_fast(x))
    dy = np.ones_like(x)
    y = sk.sigmoid(x)
    want = sk.sigmoid_backward(y, dy)
    assert sk.sigmoid_backward(y, dy, out=dy) is dy  # out aliases an input
    np.testing.assert_array_equal(dy, want)
    q = np.arange(-128, 128).astype(np.int8)
    k = sk.Int8Sigmoid(0.05, 0)
    want = k(q)
    assert k(q, out=q) is q
    np.testing.assert_array_equal(q, want)
    q = np.arange(-1000, 1000).astype(np.int16)
    want = sk.Q15Sigmoid(9)(q)
    sk.Q15Sigmoid(9)(q, out=q)
    np.testing.assert_array_equal(q, want)


def test_partially_overlapping_out():
    a = np.linspace(-5, 5, 10_001, dtype=F32)
    want = sk.sigmoid(a[1:].copy())
    sk.sigmoid(a[1:], out=a[:-1])
    np.testing.assert_array_equal(a[:-1], want)
    b = np.linspace(-5, 5, 10_001, dtype=F32)
    want = sk.plan_sigmoid_backward(b[:-1].copy(), b[1:].copy())
    sk.plan_sigmoid_backward(b[:-1], b[1:], out=b[1:])
    np.testing.assert_array_equal(b[1:], want)


def test_non_contiguous_inputs():
    rng = np.random.default_rng(5)
    base = rng.uniform(-20, 20, (64, 96)).astype(F32)
    for v in [base[::2], base[:, ::3], base.T, base[::-1, 5:70:7], np.asfortranarray(base)]:
        assert not v.flags.c_contiguous
        np.testing.assert_array_equal(sk.sigmoid(v), sk.sigmoid(np.ascontiguousarray(v)))
        assert sk.sigmoid(v).shape == v.shape
        out = np.empty(v.shape, F32)
        sk.sigmoid_fast(v, out=out)
        np.testing.assert_array_equal(out, sk.sigmoid_fast(np.ascontiguousarray(v)))
        np.testing.assert_array_equal(
            sk.sigmoid_backward(v, v), sk.sigmoid_backward(np.ascontiguousarray(v), np.ascontiguousarray(v))
        )
    d = base.astype(np.float64)[::2, ::-1]
    np.testing.assert_array_equal(sk.sigmoid(d), sk.sigmoid(np.ascontiguousarray(d)))
    q = np.arange(-128, 128).astype(np.int8).reshape(16, 16).T
    k = sk.Int8Sigmoid(0.1, 0)
    np.testing.assert_array_equal(k(q), k(np.ascontiguousarray(q)))


def test_unaligned_arrays():
    # NumPy allows arrays at an odd byte offset; inputs are copied, out is refused.
    buf = np.zeros(4 * 100 + 1, np.uint8)
    x = np.frombuffer(buf.data, dtype=F32, count=100, offset=1)
    assert not x.flags.aligned
    np.testing.assert_array_equal(sk.sigmoid(x), np.full(100, 0.5, F32))
    np.testing.assert_array_equal(sk.sigmoid_backward(x, x), np.zeros(100, F32))
    out = np.ndarray((100,), dtype=F32, buffer=bytearray(401), offset=1)
    assert not out.flags.aligned
    with pytest.raises(ValueError, match=r"out is not aligned"):
        sk.sigmoid(np.zeros(100, F32), out=out)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "dtype,name",
    [(np.int64, "int64"), (np.int32, "int32"), (np.uint8, "uint8"), (object, "object")],
)
def test_wrong_dtype_is_a_type_error_naming_dtype_and_fix(dtype, name):
    x = np.zeros(4, dtype=dtype)
    with pytest.raises(TypeError, match=rf"sigmoid: x has dtype {name}.*float32 or float64.*x\.astype\(np\.float32\)"):
        sk.sigmoid(x)
    with pytest.raises(TypeError, match=rf"sigmoid_fast: x has dtype {name}.*x\.astype\(np\.float32\)"):
        sk.sigmoid_fast(x)


def test_float16_message_says_why():
    with pytest.raises(TypeError, match=r"sigmoid_fast: x has dtype float16 \(only sigmoid has 16-bit kernels\)"):
        sk.sigmoid_fast(np.zeros(3, np.float16))


def test_float32_only_kernels_refuse_float64():
    x = np.zeros(3)
    for f in [sk.sigmoid_fast, sk.hard_sigmoid, sk.hard_sigmoid_affine, sk.plan_sigmoid]:
        with pytest.raises(TypeError, match=r"has dtype float64, but \w+ takes float32 only; convert with x\.astype\(np\.float32\)"):
            f(x)
    with pytest.raises(TypeError, match=r"sigmoid_backward: y has dtype float64"):
        sk.sigmoid_backward(x, x.astype(F32))
    with pytest.raises(TypeError, match=r"sigmoid_backward: dy has dtype float64.*dy\.astype\(np\.float32\)"):
        sk.sigmoid_backward(x.astype(F32), x)


def test_byte_swapped_float32_is_refused():
    with pytest.raises(TypeError, match=r"x has dtype >f4"):
        sk.sigmoid(np.zeros(3, dtype=">f4"))


def test_shape_mismatch_names_both_shapes():
    a, b = np.zeros(3, F32), np.zeros((2, 2), F32)
    for f in [sk.sigmoid_backward, sk.hard_sigmoid_backward, sk.plan_sigmoid_backward, sk.hard_sigmoid_affine_backward]:
        with pytest.raises(ValueError, match=r"has shape \(3,\), but dy has shape \(2, 2\)"):
            f(a, b)
    with pytest.raises(ValueError, match=r"out has shape \(2, 2\), but x has shape \(3,\)"):
        sk.sigmoid(a, out=b)
    with pytest.raises(ValueError, match=r"out has shape \(\), but dy has shape \(3,\)"):
        sk.sigmoid_backward(a, a, out=np.zeros((), F32))


def test_bad_out():
    x = np.zeros(4, F32)
    with pytest.raises(TypeError, match=r"out has dtype float64, but the result is float32"):
        sk.sigmoid(x, out=np.zeros(4))
    with pytest.raises(TypeError, match=r"out must be a numpy.ndarray, got list"):
        sk.sigmoid(x, out=[0.0] * 4)
    with pytest.raises(ValueError, match=r"out must be C-contiguous"):
        sk.sigmoid(x, out=np.zeros(8, F32)[::2])
    ro = np.zeros(4, F32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match=r"out is read-only"):
        sk.sigmoid(x, out=ro)
    with pytest.raises(TypeError, match=r"Int8Sigmoid: out has dtype uint8, but the result is int8; pass out=np.empty_like\(q\)"):
        sk.Int8Sigmoid(0.1, 0)(np.zeros(3, np.int8), out=np.zeros(3, np.uint8))
    # An empty out is checked too, though nothing would be written to it.
    e = np.zeros(0, F32)
    e.flags.writeable = False
    with pytest.raises(ValueError, match=r"out is read-only"):
        sk.sigmoid(np.zeros(0, F32), out=e)


def test_masked_arrays_are_refused():
    m = np.ma.array(np.float32([-3, -2, -1]), mask=[0, 1, 0])
    with pytest.raises(TypeError, match=r"sigmoid: x is a numpy.ma.MaskedArray.*x\.filled\(value\)"):
        sk.sigmoid(m)
    with pytest.raises(TypeError, match=r"sigmoid_backward: dy is a numpy.ma.MaskedArray"):
        sk.sigmoid_backward(np.zeros(3, F32), m)
    with pytest.raises(TypeError, match=r"bce_with_logits: t is a numpy.ma.MaskedArray"):
        sk.bce_with_logits(np.zeros(3, F32), m)
    # The suggested fixes work; other subclasses still go through.
    np.testing.assert_array_equal(sk.sigmoid(m.filled(0)), sk.sigmoid(np.float32([-3, 0, -1])))
    np.testing.assert_array_equal(sk.sigmoid(np.ma.getdata(m)), sk.sigmoid(m.data))
    class Sub(np.ndarray):
        pass

    v = np.float32([[0, 1]])
    np.testing.assert_array_equal(sk.sigmoid(v.view(Sub)), sk.sigmoid(v))


def test_hard_sigmoid_affine_parameters_must_be_finite_float32():
    x = np.float32([0.0, 1.0])
    for f, args in [(sk.hard_sigmoid_affine, (x,)), (sk.hard_sigmoid_affine_backward, (x, x))]:
        name = f.__name__
        with pytest.raises(ValueError, match=rf"{name}: alpha must be finite as a float32 .* got 1e40"):
            f(*args, alpha=1e40)
        with pytest.raises(ValueError, match=rf"{name}: beta must be finite as a float32 .* got NaN"):
            f(*args, beta=float("nan"))
    # The defaults are ONNX's (0.2, 0.5) as float32.
    np.testing.assert_array_equal(sk.hard_sigmoid_affine(x), sk.hard_sigmoid_affine(x, 0.2, 0.5))
    assert sk.hard_sigmoid_affine(x)[0] == F32(0.5)


def test_set_parallel_threshold_arguments():
    old = sk.parallel_threshold()
    try:
        with pytest.raises(ValueError, match=r"set_parallel_threshold: n must be a length >= 0, or None .* got -1"):
            sk.set_parallel_threshold(-1)
        with pytest.raises(ValueError, match=r"got -\d+"):
            sk.set_parallel_threshold(-(2**200))
        sk.set_parallel_threshold(2**200)  # as None: no array is that long
        assert sk.parallel_threshold() == 2**64 - 1
        with pytest.raises(TypeError):
            sk.set_parallel_threshold("8")
    finally:
        sk.set_parallel_threshold(old)
    assert sk.parallel_threshold() == old


def test_out_of_memory_is_memory_error_not_a_panic():
    """Where NumPy cannot allocate the result: its MemoryError, as np.exp
    raises, not a Rust panic (a subprocess under an address-space limit)."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import resource, numpy as np, sigmoid_kernels as sk
        x = np.zeros(32 << 20, np.float32)  # 128 MiB
        t = np.zeros_like(x)
        vm = int([l for l in open('/proc/self/status') if l.startswith('VmSize')][0].split()[1]) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + (64 << 20), resource.RLIM_INFINITY))
        for f in (lambda: sk.sigmoid(x), lambda: sk.sigmoid_backward(x, x),
                  lambda: sk.bce_with_logits(x, t, reduction="none"),
                  lambda: sk.bce_with_logits(x, t, grad=True)):
            try:
                f()
                print("no error")
            except MemoryError:
                print("MemoryError")
        """
    )
    if not __import__("os").path.exists("/proc/self/status"):
        pytest.skip("needs /proc/self/status")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "panicked" not in r.stderr and "PanicException" not in r.stderr, r.stderr
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["MemoryError"] * 4, (r.stdout, r.stderr)


def test_read_only_input_is_fine():
    x = np.linspace(-1, 1, 5, dtype=F32)
    x.flags.writeable = False
    np.testing.assert_array_equal(sk.sigmoid(x), sk.sigmoid(x.copy()))


@pytest.mark.parametrize(
    "make,msg",
    [
        (lambda: sk.Int8Sigmoid(0.0, 0), "Int8Sigmoid: input scale must be finite and > 0, got 0e0"),
        (lambda: sk.Int8Sigmoid(float("nan"), 0), "Int8Sigmoid: input scale must be finite and > 0, got NaN"),
        (lambda: sk.Int8Sigmoid(0.1, 200), r"Int8Sigmoid: input zero point must be in \[-128, 127\], got 200"),
        (lambda: sk.Int8Sigmoid(0.1, 2**40), r"Int8Sigmoid: input zero point must be in \[-128, 127\], got 1099511627776"),
        (lambda: sk.Int8Sigmoid(0.1, 0, out_scale=-1.0), "Int8Sigmoid: output scale must be finite and > 0, got -1e0"),
        (lambda: sk.Uint8Sigmoid(0.1, 0, out_zero_point=-1), r"Uint8Sigmoid: output zero point must be in \[0, 255\], got -1"),
        (lambda: sk.Q15Sigmoid(16), "Q15Sigmoid: an i16 Q-format has 0 to 15 fractional bits, got 16"),
        (lambda: sk.Q15Sigmoid(-1), "Q15Sigmoid: an i16 Q-format has 0 to 15 fractional bits, got -1"),
        # Beyond 64 bits: ValueError (pyo3 alone raises OverflowError).
        (lambda: sk.Int8Sigmoid(0.1, 2**70), r"1180591620717411303424 is out of range: a int8 zero point"),
        (lambda: sk.Uint8Sigmoid(0.1, 0, out_zero_point=-(2**70)), r"-1180591620717411303424 is out of range"),
        (lambda: sk.Q15Sigmoid(2**70), r"1180591620717411303424 is out of range: an i16 Q-format"),
        # A positive scale that float32 cannot hold: named as such.
        (lambda: sk.Int8Sigmoid(1e-50, 0), r"Int8Sigmoid: input scale 1e-50 is not a finite, nonzero float32 \(it rounds to 0\)"),
        (lambda: sk.Uint8Sigmoid(0.1, 0, out_scale=1e40), r"Uint8Sigmoid: output scale 1e40 is not a finite, nonzero float32 \(it rounds to inf\)"),
    ],
)
def test_bad_quantization_parameters(make, msg):
    with pytest.raises(ValueError, match=msg):
        make()


def test_quantized_dtypes():
    with pytest.raises(TypeError, match=r"Int8Sigmoid: q has dtype uint8, but Int8Sigmoid takes int8; convert with q\.astype\(np\.int8\)"):
        sk.Int8Sigmoid(0.1, 0)(np.zeros(3, np.uint8))
    with pytest.raises(TypeError, match=r"Q15Sigmoid: q has dtype float32.*int16"):
        sk.Q15Sigmoid(8)(np.zeros(3, F32))


# ---------------------------------------------------------------- threads and metadata


def test_concurrent_calls_match_serial_calls():
    rng = np.random.default_rng(11)
    xs = [rng.uniform(-30, 30, n).astype(F32) for n in (1000, 50_000, 400_000, 123_457)] * 4
    serial = [(sk.sigmoid(x), sk.sigmoid_fast(x), sk.sigmoid(x.astype(np.float64))) for x in xs]
    barrier = threading.Barrier(4)

    def work(i):
        if i < 4:
            barrier.wait()
        x = xs[i]
        return sk.sigmoid(x), sk.sigmoid_fast(x), sk.sigmoid(x.astype(np.float64))

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(work, range(len(xs))))
    for a, b in zip(got, serial):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)


def test_docstrings_state_the_contract_and_metadata():
    assert "1 ULP" in sk.sigmoid.__doc__ and "float64" in sk.sigmoid.__doc__
    assert "1e−4" in sk.sigmoid_fast.__doc__
    assert "2 ULP" in sk.sigmoid_backward.__doc__
    assert "exact" in sk.Int8Sigmoid.__doc__
    assert isinstance(sk.__version__, str) and sk.__version__.count(".") == 2
    assert isinstance(sk.backend(), str) and sk.backend()
