#!/usr/bin/env python3
"""Our float32 σ tiers against ONNX Runtime's Sigmoid, paired round by round.

``bench_peers.py`` times each implementation in batches of about 2 ms and
takes the median of each one's batches; on a machine shared with other
work a busy spell can hit one implementation's batches more than the
other's. Here every round times a few calls of each (ours exact, ONNX
Runtime, ours fast; the order reversed every other round) back to back,
and the figure is the median over the rounds of the per-round ratio
ORT time ÷ our time, with its quartiles. One thread (our parallel path
off, ORT's intra-op pool at 1), inputs uniform in [−10, 10] as in
``bench_peers.py``, whose ONNX Runtime session setup this reuses.

    pip install ./python numpy onnx onnxruntime
    python python/bench_pair.py                  # 64K elements, 2000 rounds
    python python/bench_pair.py --size 1M --rounds 500
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_peers as bp  # noqa: E402

import sigmoid_kernels as sk  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="64K", help="elements, e.g. 4K, 64K, 1M")
    ap.add_argument("--rounds", type=int, default=2000, help="paired rounds (median)")
    ap.add_argument("--calls", type=int, default=5, help="calls of each per round")
    args = ap.parse_args()
    n = bp.parse_size(args.size)
    peers = bp.Peers()
    if peers.ort is None:
        sys.exit("ONNX Runtime is needed: pip install onnx onnxruntime")
    sk.set_parallel_threshold(None)
    x = np.random.default_rng(12345).uniform(-10, 10, n).astype(np.float32)
    ys = [np.empty_like(x) for _ in range(3)]
    impls = {
        "exact": lambda: sk.sigmoid(x, out=ys[0]),
        "ort": peers.ort_call("sigmoid", 1, x, ys[1]),
        "fast": lambda: sk.sigmoid_fast(x, out=ys[2]),
    }
    for _ in range(100):
        for f in impls.values():
            f()
    times = {k: [] for k in impls}
    order = list(impls)
    for r in range(args.rounds):
        for k in order if r % 2 == 0 else order[::-1]:
            f = impls[k]
            t0 = time.perf_counter()
            for _ in range(args.calls):
                f()
            times[k].append((time.perf_counter() - t0) / args.calls)
    print(f"machine: {bp.cpu_name()}; sigmoid_kernels backend {sk.backend()}; {peers.versions()}")
    print(f"{bp.size_name(n)} elements, 1 thread, {args.rounds} rounds of {args.calls} calls each")
    for k in ("exact", "fast"):
        r = [o / t for o, t in zip(times["ort"], times[k])]
        q1, med, q3 = statistics.quantiles(r, n=4)
        print(f"ours {k} ÷ ONNX Runtime Sigmoid: median {med:.2f}× (quartiles {q1:.2f}–{q3:.2f}×)")
    for k, v in times.items():
        print(f"  {k}: {n / statistics.median(v) / 1e6:.0f} Melem/s (median call)")


if __name__ == "__main__":
    main()
