#!/usr/bin/env python3
"""sigmoid_kernels against its peers, in one process, on the same inputs.

Every comparison group (float32 sigmoid, hard sigmoid, int8/uint8, float64)
is timed in rounds; in each round every implementation of the group runs one
timed batch, in an order that rotates from round to round, so that a change
in the machine's state (frequency, a busy neighbour) hits all of them alike.
Throughput is the median over the rounds. Sizes 4K/64K/1M/16M elements, on
one thread and on all threads. Then each implementation's max error over one
accuracy sample (ULPs against a float64 reference, or codes for int8).

Peers, each optional (a missing one is skipped with a printed line):
NumPy ``1/(1+np.exp(-x))`` and its ``out=`` form, ``scipy.special.expit``,
ONNX Runtime ``Sigmoid`` / ``HardSigmoid`` / ``QLinearSigmoid`` (intra-op
threads set to the row's thread count, spinning off so that its idle pool
threads do not take a core from the implementation timed next), JAX ``jax.nn.sigmoid`` under
``jax.jit`` (its thread pool is fixed when XLA starts; it is not limited in
the one-thread rows), PyTorch ``torch.sigmoid`` (``torch.set_num_threads``).
softplus / log-sigmoid / the gradient of σ from its input: ``np.logaddexp(0, x)``,
``scipy.special.log_expit``, ``jax.nn.softplus`` / ``jax.nn.log_sigmoid`` and
the VJP of ``jax.nn.sigmoid`` (jit), PyTorch ``softplus`` / ``logsigmoid`` /
``sigmoid_backward``.
For the loss: BCE with logits, Mean, loss and gradient, against NumPy
(``logaddexp`` and σ(x) − t), JAX ``jit(value_and_grad)`` of the composite
−t·log_sigmoid(x) − (1−t)·log_sigmoid(−x), PyTorch
``binary_cross_entropy_with_logits`` with ``backward()``.

    pip install ./python numpy scipy onnx onnxruntime "jax[cpu]" torch
    python python/bench_peers.py                      # everything
    python python/bench_peers.py --markdown           # tables for the README
    python python/bench_peers.py --filter ours        # only our kernels
    python python/bench_peers.py --filter "int8" --sizes 64K --threads 1
    python python/bench_peers.py --filter logaddexp,log_expit,jax.nn.soft,jax.nn.log,vjp --sizes 64K --threads 1

``--filter`` keeps the implementations whose name contains one of the
comma-separated words (e.g. ``exact``, ``fast``, ``int8``, ``float64``).
"""

import argparse
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np

import sigmoid_kernels as sk

F32 = np.float32
SIZE_NAMES = {"4K": 4096, "64K": 65536, "1M": 1 << 20, "16M": 1 << 24}


def parse_size(s):
    s = s.strip().upper()
    if s in SIZE_NAMES:
        return SIZE_NAMES[s]
    mult = {"K": 1024, "M": 1 << 20}.get(s[-1])
    return int(s[:-1]) * mult if mult else int(s)


def size_name(n):
    for k, v in SIZE_NAMES.items():
        if v == n:
            return k
    return str(n)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            info = {}
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    info.setdefault(k.strip(), v.strip())
        name = info.get("model name", "")
        flags = info.get("flags", "").split()
        isa = [f for f in ("avx2", "fma", "avx512f") if f in flags]
        return f"{name} ({', '.join(isa)})"
    except OSError:
        return platform.processor() or platform.machine()


# ---------------------------------------------------------------- peers


def skip(what, why):
    print(f"skipped: {what} ({why})")


class Peers:
    """The optional peer libraries, imported once; None where missing."""

    def __init__(self):
        warnings.filterwarnings("ignore")
        self.scipy = self._import("scipy.special", "scipy.special.expit")
        self.ort = self._import("onnxruntime", "ONNX Runtime")
        self.onnx = self._import("onnx", "ONNX Runtime (needs the onnx package to build models)") if self.ort else None
        if self.onnx is None:
            self.ort = None
        self.jax = self._import("jax", "JAX")
        self.torch = self._import("torch", "PyTorch")
        self._sessions = {}

    @staticmethod
    def _import(mod, what):
        try:
            return __import__(mod, fromlist=["_"])
        except Exception as e:  # ImportError, or a broken install
            skip(what, f"import {mod} failed: {e.__class__.__name__}: {e}")
            return None

    def versions(self):
        out = [f"numpy {np.__version__}"]
        for name, m in [("scipy", self.scipy), ("onnxruntime", self.ort), ("jax", self.jax), ("torch", self.torch)]:
            if m is not None:
                top = sys.modules[name]
                out.append(f"{name} {getattr(top, '__version__', '?')}")
        return ", ".join(out)

    # ONNX Runtime: one single-node model per operator, a session per thread count.
    def _model(self, op, elem, attrs=None, domain="", inits=None):
        from onnx import helper

        x = helper.make_tensor_value_info("X", elem, ["N"])
        y = helper.make_tensor_value_info("Y", elem, ["N"])
        names = ["X"] + [t.name for t in inits or []]
        node = helper.make_node(op, names, ["Y"], domain=domain, **(attrs or {}))
        graph = helper.make_graph([node], op, [x], [y], initializer=inits or [])
        opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(domain, 1)] if domain else [])
        return helper.make_model(graph, opset_imports=opsets, ir_version=8).SerializeToString()

    def ort_session(self, kind, threads):
        key = (kind, threads)
        if key in self._sessions:
            return self._sessions[key]
        from onnx import TensorProto, helper

        if kind == "sigmoid":
            model = self._model("Sigmoid", TensorProto.FLOAT)
        elif kind == "hard":
            model = self._model("HardSigmoid", TensorProto.FLOAT, attrs=dict(alpha=0.2, beta=0.5))
        else:  # "int8" / "uint8": QLinearSigmoid with the parameters of QUANT below
            tp = TensorProto.INT8 if kind == "int8" else TensorProto.UINT8
            (scale, zp), (oscale, ozp) = QUANT[kind]
            inits = [
                helper.make_tensor("xs", TensorProto.FLOAT, [], [scale]),
                helper.make_tensor("xz", tp, [], [zp]),
                helper.make_tensor("ys", TensorProto.FLOAT, [], [oscale]),
                helper.make_tensor("yz", tp, [], [ozp]),
            ]
            model = self._model("QLinearSigmoid", tp, domain="com.microsoft", inits=inits)
        so = self.ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = self.ort.ExecutionMode.ORT_SEQUENTIAL
        # ORT's pool threads spin after each run by default; alternating with
        # other implementations, that spinning would take a core from them.
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            s = self.ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        except Exception as e:
            skip(f"ONNX Runtime {kind}", f"{e.__class__.__name__}: {str(e)[:100]}")
            s = None
        self._sessions[key] = s
        return s

    def ort_call(self, kind, threads, x, out):
        """A no-argument callable that runs the session into `out` (IO binding, no copies)."""
        s = self.ort_session(kind, threads)
        if s is None:
            return None
        io = s.io_binding()
        io.bind_cpu_input("X", x)
        io.bind_output("Y", "cpu", 0, out.dtype, list(out.shape), out.ctypes.data)

        def run(x=x, out=out):  # the binding holds raw pointers: keep both arrays alive
            s.run_with_iobinding(io)

        return run


# Quantization parameters for the int8/uint8 group: input covers about
# [-10, 10], output scale 1/256 (TFLite's convention).
QUANT = {"int8": ((20 / 255, 0), (1 / 256, -128)), "uint8": ((20 / 255, 128), (1 / 256, 0))}


# ---------------------------------------------------------------- implementations


def numpy_out(x, out):
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.reciprocal(out, out=out)
    return out


def groups(peers, n, threads, rng):
    """For each comparison group: (name, our implementation's name, {impl: callable}).

    Every callable writes its result into an array it keeps, so the outputs
    can be checked after timing."""
    x = rng.uniform(-10, 10, n).astype(F32)
    out = {}

    def o(name, like=x):
        out[name] = np.empty_like(like)
        return out[name]

    g = {}
    # float32 sigmoid
    f = {}
    f["ours exact (sigmoid)"] = (lambda y: lambda: sk.sigmoid(x, out=y))(o("exact"))
    f["ours fast (sigmoid_fast)"] = (lambda y: lambda: sk.sigmoid_fast(x, out=y))(o("fast"))
    f["numpy 1/(1+np.exp(-x))"] = lambda: 1 / (1 + np.exp(-x))
    f["numpy out= (negative, exp, add, reciprocal)"] = (lambda y: lambda: numpy_out(x, y))(o("np"))
    if peers.scipy is not None:
        f["scipy.special.expit"] = (lambda y: lambda: peers.scipy.expit(x, out=y))(o("scipy"))
    if peers.ort is not None:
        c = peers.ort_call("sigmoid", threads, x, o("ort"))
        if c:
            f["ONNX Runtime Sigmoid"] = c
    if peers.jax is not None:
        jf = jax_sigmoid(peers.jax)
        xd = peers.jax.device_put(x)
        f["JAX jax.nn.sigmoid (jit)"] = lambda: jf(xd).block_until_ready()
    if peers.torch is not None:
        peers.torch.set_num_threads(threads)
        xt = peers.torch.from_numpy(x)
        yt = peers.torch.from_numpy(o("torch"))
        f["PyTorch torch.sigmoid"] = lambda: peers.torch.sigmoid(xt, out=yt)
    g["float32 sigmoid"] = (f, ["ours exact (sigmoid)", "ours fast (sigmoid_fast)"])

    h = {"ours hard_sigmoid_affine(0.2, 0.5)": (lambda y: lambda: sk.hard_sigmoid_affine(x, 0.2, 0.5, out=y))(o("hard"))}
    if peers.ort is not None:
        c = peers.ort_call("hard", threads, x, o("ort_hard"))
        if c:
            h["ONNX Runtime HardSigmoid(0.2, 0.5)"] = c
    g["hard sigmoid"] = (h, ["ours hard_sigmoid_affine(0.2, 0.5)"])

    for kind, cls, dt in (("int8", sk.Int8Sigmoid, np.int8), ("uint8", sk.Uint8Sigmoid, np.uint8)):
        info = np.iinfo(dt)
        q = rng.integers(info.min, info.max + 1, n, dtype=dt)
        (s, z), (os_, oz) = QUANT[kind]
        k = cls(s, z, os_, oz)
        ours = f"ours {cls.__name__}"
        qg = {ours: (lambda y, q=q, k=k: lambda: k(q, out=y))(o(kind, q))}
        if peers.ort is not None:
            c = peers.ort_call(kind, threads, q, o("ort_" + kind, q))
            if c:
                qg[f"ONNX Runtime QLinearSigmoid {kind}"] = c
        g[kind] = (qg, [ours])

    x64 = x.astype(np.float64)
    d = {"ours float64 (sigmoid)": (lambda y: lambda: sk.sigmoid(x64, out=y))(o("f64", x64))}
    d["numpy float64 1/(1+np.exp(-x))"] = lambda: 1 / (1 + np.exp(-x64))
    if peers.scipy is not None:
        d["scipy.special.expit float64"] = (lambda y: lambda: peers.scipy.expit(x64, out=y))(o("scipy64", x64))
    g["float64 sigmoid"] = (d, ["ours float64 (sigmoid)"])
    g.update(stable_groups(peers, x, o, threads))

    # BCE with logits, Mean, loss and gradient (the training step's loss).
    t = (rng.uniform(0, 1, n) < 0.5).astype(F32)
    b = {"ours bce_with_logits(grad=True)": lambda: sk.bce_with_logits(x, t, grad=True)}
    b["numpy BCE: logaddexp composite, (σ(x) − t)/n"] = lambda: numpy_bce(x, t)
    if peers.jax is not None:
        jb = jax_bce(peers.jax)
        xd, td = peers.jax.device_put(x), peers.jax.device_put(t)
        b["JAX BCE: jit(value_and_grad(−t·log σ(x) − (1−t)·log σ(−x)))"] = lambda: jb(xd, td)[1].block_until_ready()
    if peers.torch is not None:
        b["PyTorch BCE: binary_cross_entropy_with_logits + backward"] = torch_bce(peers.torch, x, t)
    g["BCE with logits (Mean, loss + gradient)"] = (b, ["ours bce_with_logits(grad=True)"])
    return g


def numpy_bce(x, t):
    """The loss and its gradient in NumPy: softplus via logaddexp, σ(x) − t."""
    n = x.size
    loss = np.mean(t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x))
    grad = (1 / (1 + np.exp(-x)) - t) / n
    return loss, grad


def jax_bce(jax):
    """jax.jit of jax.value_and_grad of the usual composite, Mean."""
    if not _JAX_BCE:
        jnp = jax.numpy

        def loss(x, t):
            return jnp.mean(-t * jax.nn.log_sigmoid(x) - (1 - t) * jax.nn.log_sigmoid(-x))

        _JAX_BCE.append(jax.jit(jax.value_and_grad(loss)))
    return _JAX_BCE[0]


_JAX_BCE = []


def torch_bce(torch, x, t):
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)

    def run():
        xg = xt.detach().requires_grad_()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(xg, tt)
        loss.backward()
        return loss.item(), xg.grad

    return run


_JAX_FN = []


def jax_sigmoid(jax):
    if not _JAX_FN:
        _JAX_FN.append(jax.jit(jax.nn.sigmoid))
    return _JAX_FN[0]


# ---------------------------------------------------------------- timing


def calibrate(fn, target=2e-3):
    """Calls per timed batch so that a batch takes about `target` seconds."""
    for _ in range(2):
        fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    return max(1, int(target / one))


def time_group(impls, rounds):
    """Median seconds per call of each implementation, alternating per round."""
    names = list(impls)
    inner = {k: calibrate(impls[k]) for k in names}
    times = {k: [] for k in names}
    for r in range(rounds):
        shift = r % len(names)
        for k in names[shift:] + names[:shift]:
            fn, m = impls[k], inner[k]
            t0 = time.perf_counter()
            for _ in range(m):
                fn()
            times[k].append((time.perf_counter() - t0) / m)
    return {k: statistics.median(v) for k, v in times.items()}


# ---------------------------------------------------------------- accuracy


def accuracy_sample():
    rng = np.random.default_rng(2024)
    fmax = float(np.finfo(F32).max)
    mags = np.logspace(-45, np.log10(fmax), 100_000).astype(F32)
    parts = [np.linspace(-110, 20, 1_000_001, dtype=F32), mags, -mags]
    parts.append(rng.uniform(-20, 20, 500_000).astype(F32))
    parts.append(np.array([0, -0.0, np.inf, -np.inf, np.nan], F32))
    return np.concatenate(parts)


def ref_sigmoid(x, dtype=np.float64):
    with np.errstate(all="ignore"):
        x = x.astype(dtype)
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def max_ulp(y, r, fmt):
    """Max |y - r| / ulp(r) over the finite reference values, with the ulp of
    `fmt` (float32 or float64) at r; NaN/inf mismatches count as inf."""
    fi = np.finfo(fmt)
    y = y.astype(r.dtype)
    with np.errstate(all="ignore"):
        _, e = np.frexp(np.abs(r).astype(np.float64))
        ulp = np.where(np.abs(r) < fi.tiny, float(fi.smallest_subnormal), np.ldexp(1.0, (e - 1 - fi.nmant).astype(np.int32)))
        err = (np.abs(y - r) / ulp).astype(np.float64)
    bad = (np.isnan(y) != np.isnan(r)) | (np.isinf(r) & (y != r))
    err = np.where(np.isnan(r) | (y == r), 0.0, err)  # y == r: also equal infinities
    if bad.any():
        return (float("inf"), float("inf"))
    normal = np.abs(r) >= fi.tiny
    return (float(np.max(err[normal])), float(np.max(err)))


def accuracy(peers):
    """Max error of every implementation on one sample."""
    x = accuracy_sample()
    r = ref_sigmoid(x)
    res = {}
    with np.errstate(all="ignore"):
        res["ours exact (sigmoid)"] = max_ulp(sk.sigmoid(x), r, F32)
        res["ours fast (sigmoid_fast)"] = max_ulp(sk.sigmoid_fast(x), r, F32)
        res["numpy 1/(1+np.exp(-x))"] = max_ulp(1 / (1 + np.exp(-x)), r, F32)
        res["numpy out= (negative, exp, add, reciprocal)"] = max_ulp(numpy_out(x, np.empty_like(x)), r, F32)
        if peers.scipy is not None:
            res["scipy.special.expit"] = max_ulp(peers.scipy.expit(x), r, F32)
        if peers.ort is not None:
            y = np.empty_like(x)
            c = peers.ort_call("sigmoid", 1, x, y)
            if c:
                c()
                res["ONNX Runtime Sigmoid"] = max_ulp(y, r, F32)
        if peers.jax is not None:
            res["JAX jax.nn.sigmoid (jit)"] = max_ulp(np.asarray(jax_sigmoid(peers.jax)(x)), r, F32)
        if peers.torch is not None:
            res["PyTorch torch.sigmoid"] = max_ulp(peers.torch.sigmoid(peers.torch.from_numpy(x)).numpy(), r, F32)
        # Hard sigmoid: against its float32 definition, max(0, min(1, 0.2·x + 0.5))
        # with the product and the sum each rounded to float32 (0 = bit-identical).
        xs = x[np.isfinite(x)]
        hr = np.clip(F32(0.2) * xs + F32(0.5), F32(0), F32(1)).astype(np.float64)
        res["ours hard_sigmoid_affine(0.2, 0.5)"] = max_ulp(sk.hard_sigmoid_affine(xs), hr, F32)
        if peers.ort is not None:
            y = np.empty_like(xs)
            c = peers.ort_call("hard", 1, xs, y)
            if c:
                c()
                res["ONNX Runtime HardSigmoid(0.2, 0.5)"] = max_ulp(y, hr, F32)
        # float64: against the same formula in long double, where that is wider.
        if np.finfo(np.longdouble).nmant > 52:
            x64 = np.concatenate([np.linspace(-745, 40, 1_000_001), rng_uniform64()])
            r64 = ref_sigmoid(x64, np.longdouble)
            res["ours float64 (sigmoid)"] = max_ulp(sk.sigmoid(x64), r64, np.float64)
            res["numpy float64 1/(1+np.exp(-x))"] = max_ulp(1 / (1 + np.exp(-x64)), r64, np.float64)
            if peers.scipy is not None:
                res["scipy.special.expit float64"] = max_ulp(peers.scipy.expit(x64), r64, np.float64)
    res.update(stable_accuracy(peers, x))
    # int8/uint8: max |code difference| against the exact table, over all codes.
    for kind, cls, dt in (("int8", sk.Int8Sigmoid, np.int8), ("uint8", sk.Uint8Sigmoid, np.uint8)):
        info = np.iinfo(dt)
        q = np.arange(info.min, info.max + 1).astype(dt)
        (s, z), (os_, oz) = QUANT[kind]
        v = ref_sigmoid(F32(s) * (q.astype(np.float64) - z)) / F32(os_)
        ideal = np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5) + oz, info.min, info.max)
        res[f"ours {cls.__name__}"] = ("codes", int(np.max(np.abs(cls(s, z, os_, oz)(q) - ideal))))
        if peers.ort is not None:
            y = np.empty_like(q)
            c = peers.ort_call(kind, 1, q, y)
            if c:
                c()
                res[f"ONNX Runtime QLinearSigmoid {kind}"] = ("codes", int(np.max(np.abs(y.astype(np.int64) - ideal))))
    return res


# ---------------------------------------------------------------- softplus, log-sigmoid, gradient from the input


_JAX_STABLE = {}


def jax_stable(jax, name):
    """jit-compiled JAX functions, built once: softplus, log_sigmoid, and the
    gradient of sigmoid through its VJP (which JAX forms from the output)."""
    if not _JAX_STABLE:
        _JAX_STABLE["softplus"] = jax.jit(jax.nn.softplus)
        _JAX_STABLE["log_sigmoid"] = jax.jit(jax.nn.log_sigmoid)
        _JAX_STABLE["grad"] = jax.jit(lambda x, dy: jax.vjp(jax.nn.sigmoid, x)[1](dy)[0])
    return _JAX_STABLE[name]


def stable_impls(peers, x, dy, o):
    """{group: ({impl: callable}, [ours])} for softplus, log-sigmoid and the
    gradient of σ from its input; `o(name)` gives an output array."""
    sp = {"ours softplus": (lambda y: lambda: sk.softplus(x, out=y))(o("softplus"))}
    sp["ours softplus_fast"] = (lambda y: lambda: sk.softplus_fast(x, out=y))(o("softplus_fast"))
    sp["numpy np.logaddexp(0, x)"] = (lambda y: lambda: np.logaddexp(F32(0), x, out=y))(o("np_softplus"))
    ls = {"ours log_sigmoid": (lambda y: lambda: sk.log_sigmoid(x, out=y))(o("log_sigmoid"))}
    ls["ours log_sigmoid_fast"] = (lambda y: lambda: sk.log_sigmoid_fast(x, out=y))(o("log_sigmoid_fast"))
    ls["numpy -np.logaddexp(0, -x)"] = (lambda y: lambda: np.negative(np.logaddexp(F32(0), -x, out=y), out=y))(o("np_ls"))
    gr = {"ours sigmoid_backward_from_input": (lambda y: lambda: sk.sigmoid_backward_from_input(x, dy, out=y))(o("from_input"))}
    if peers.scipy is not None:
        ls["scipy.special.log_expit"] = (lambda y: lambda: peers.scipy.log_expit(x, out=y))(o("scipy_ls"))
    if peers.jax is not None:
        jx, jd = peers.jax.device_put(x), peers.jax.device_put(dy)
        f1, f2, f3 = (jax_stable(peers.jax, k) for k in ("softplus", "log_sigmoid", "grad"))
        sp["JAX jax.nn.softplus (jit)"] = lambda: f1(jx).block_until_ready()
        ls["JAX jax.nn.log_sigmoid (jit)"] = lambda: f2(jx).block_until_ready()
        gr["JAX vjp of jax.nn.sigmoid (jit)"] = lambda: f3(jx, jd).block_until_ready()
    if peers.torch is not None:
        t = peers.torch
        xt, dt = t.from_numpy(x), t.from_numpy(dy)
        sp["PyTorch softplus"] = lambda: t.nn.functional.softplus(xt)
        ls["PyTorch logsigmoid"] = lambda: t.nn.functional.logsigmoid(xt)
        gr["PyTorch sigmoid_backward"] = lambda: t.ops.aten.sigmoid_backward(dt, t.sigmoid(xt))
    return {
        "float32 softplus": (sp, ["ours softplus", "ours softplus_fast"]),
        "float32 log_sigmoid": (ls, ["ours log_sigmoid", "ours log_sigmoid_fast"]),
        "σ gradient from the input": (gr, ["ours sigmoid_backward_from_input"]),
    }


def stable_groups(peers, x, o, threads):
    if peers.torch is not None:
        peers.torch.set_num_threads(threads)
    dy = np.random.default_rng(99).uniform(-2, 2, x.size).astype(F32)
    return stable_impls(peers, x, dy, o)


def ref_softplus(x):
    with np.errstate(all="ignore"):
        x = x.astype(np.float64)
        return np.where(np.isnan(x), np.nan, np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))


def stable_accuracy(peers, x):
    """Max error of every softplus / log-sigmoid / gradient implementation on
    the accuracy sample (the gradient with dy uniform in [-2, 2])."""
    dy = np.random.default_rng(98).uniform(-2, 2, x.size).astype(F32)
    refs = {"float32 softplus": ref_softplus(x), "float32 log_sigmoid": -ref_softplus(-x)}
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(x.astype(np.float64)))
        refs["σ gradient from the input"] = dy.astype(np.float64) * (e / ((1 + e) * (1 + e)))
    outs = {}
    res = {}
    with np.errstate(all="ignore"):
        for gname, (impls, _) in stable_impls(peers, x, dy, lambda k: outs.setdefault(k, np.empty_like(x))).items():
            for name, fn in impls.items():
                y = fn()
                y = np.asarray(y.numpy() if hasattr(y, "numpy") else y)
                res[name] = max_ulp(y, refs[gname], F32)
    return res


def rng_uniform64():
    return np.random.default_rng(7).uniform(-40, 40, 500_000)


# ---------------------------------------------------------------- output


def fmt_err(e):
    if e is None:
        return "–"
    if e[0] == "codes":
        return f"{e[1]} code" + ("s" if e[1] != 1 else "")
    if e[1] == float("inf"):
        return "wrong specials"

    def one(v):
        return f"{v:.3g}" if v < 1e3 else f"{v:.1e}".replace("e+0", "e").replace("e+", "e")

    return one(e[0]) if e[0] == e[1] else f"{one(e[0])} / {one(e[1])}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="4K,64K,1M,16M", help="comma-separated, e.g. 4K,64K,1M,16M")
    ap.add_argument("--threads", default="1,all", help="1, all, or both (default)")
    ap.add_argument("--rounds", type=int, default=11, help="timed rounds per group (median)")
    ap.add_argument("--filter", default="", help="keep implementations whose name contains one of these words")
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = ap.parse_args()

    sizes = [parse_size(s) for s in args.sizes.split(",")]
    allt = os.cpu_count() or 1
    thread_modes = [1 if t.strip() == "1" else allt for t in args.threads.split(",")]
    words = [w.strip().lower() for w in args.filter.split(",") if w.strip()]
    keep = (lambda name: any(w in name.lower() for w in words)) if words else (lambda name: True)

    print(f"machine: {cpu_name()}, {allt} logical CPUs; python {platform.python_version()}")
    peers = Peers()
    print(f"sigmoid_kernels {sk.__version__} (backend {sk.backend()}); {peers.versions()}")
    print(f"rounds: {args.rounds}, alternating within each group; median seconds per call")
    default_threshold = sk.parallel_threshold()
    rng = np.random.default_rng(12345)

    results = {}  # (group, impl) -> {(n, threads): melem}
    ours_of = {}
    for threads in thread_modes:
        sk.set_parallel_threshold(None if threads == 1 else default_threshold)
        for n in sizes:
            for gname, (impls, ours) in groups(peers, n, threads, rng).items():
                # A kept peer brings our implementations along, for its ratio.
                peer_kept = any(keep(p) for p in impls if p not in ours)
                impls = {k: v for k, v in impls.items() if keep(k) or (k in ours and peer_kept)}
                if not impls:
                    continue
                ours_of[gname] = [o for o in ours if o in impls]
                med = time_group(impls, args.rounds)
                for k, t in med.items():
                    results.setdefault((gname, k), {})[(n, threads)] = n / t / 1e6
            print(f"  timed {size_name(n)} on {threads} thread{'s' if threads > 1 else ''}", flush=True)
    sk.set_parallel_threshold(default_threshold)
    errs = accuracy(peers)

    cols = [(n, t) for t in thread_modes for n in sizes]
    head = ["implementation", "max error (ULP)"] + [f"{size_name(n)} {t}T" for n, t in cols]
    rows = []
    for (gname, k), v in results.items():
        cells = []
        for c in cols:
            m = v.get(c)
            if m is None:
                cells.append("–")
                continue
            cell = f"{m:.0f}"
            if k not in ours_of[gname]:
                ratios = [results[(gname, o)].get(c) for o in ours_of[gname]]
                ratios = [f"{r / m:.2f}×" for r in ratios if r]
                if ratios:
                    cell += f" ({' / '.join(ratios)})"
            cells.append(cell)
        rows.append((gname, [k, fmt_err(errs.get(k))] + cells))

    print()
    print("Melem/s (median); for a peer, in parentheses: our throughput ÷ the peer's")
    print("(float32 group: exact ÷ peer / fast ÷ peer). Max error over one accuracy sample")
    print("(1.7M float32 inputs: [-110, 20] dense, ±1e-45..FLT_MAX, specials; 1.5M float64 inputs)")
    print("in ULPs of the output type against σ in float64 (float64 rows: in long double), given")
    print("as 'where σ is normal / everywhere' when the two differ (subnormal results flushed to 0")
    print("cost millions of ULPs); hard sigmoid against its float32 formula; codes for int8/uint8.")
    print("softplus, log_sigmoid and gradient rows: against their stable formulas in float64")
    print("(the gradient dy·σ(x)·σ(-x) with dy uniform in [-2, 2]).")
    if args.markdown:
        print()
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for gname, r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(str(r[i])) for r in [head] + [r for _, r in rows]) for i in range(len(head))]
        last = None
        for gname, r in [(None, head)] + rows:
            if gname != last and gname is not None:
                print(f"-- {gname}")
                last = gname
            print("  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))))


if __name__ == "__main__":
    main()
