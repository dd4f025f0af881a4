"""Writes sigmoid_cr_hard.txt: σ(x) correctly rounded to f32, from mpmath at
200 bits, for the f32 inputs read (as hex bit patterns, one a line) from
standard input.

The inputs are every f32 x whose σ(x) lies within 2^-21 f32 ULP of a
rounding midpoint (found by a sweep of all 2^32 inputs with the f64 oracle,
whose error is ~2^-29 ULP): the inputs whose rounding is hardest to decide.
The sweep is the ignored test `hard_input_table_is_complete` in
tests/sigmoid_cr.rs, which prints them and checks the table against them:

    cargo test --release --test sigmoid_cr hard_input_table_is_complete -- \
        --ignored --nocapture | grep -E '^[0-9a-f]{8}$' \
        | python tests/data/sigmoid_cr_hard.py > tests/data/sigmoid_cr_hard.txt
"""
import struct
import sys

import mpmath

mpmath.mp.prec = 200


def f32(bits):
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


def sigmoid_cr(x):
    """σ(x) rounded to nearest f32 (no ties occur: σ(x) is transcendental)."""
    v = 1 / (1 + mpmath.exp(-mpmath.mpf(x)))
    e = max(int(mpmath.floor(mpmath.log(v, 2))), -126)
    q = mpmath.mpf(2) ** (e - 23)
    n = v / q
    r = mpmath.floor(n + mpmath.mpf(0.5))
    assert abs(n - mpmath.floor(n) - mpmath.mpf(0.5)) > mpmath.mpf(2) ** -120
    y = float(r * q)  # exact: an f32 value
    return bits(y), float(abs(n - mpmath.floor(n) - mpmath.mpf(0.5)))


print("# x_bits sigma_cr_bits  distance of σ(x) from the midpoint in f32 ULP")
print("# (mpmath, 200 bits; see sigmoid_cr_hard.py)")
for line in sys.stdin:
    b = int(line.split()[0], 16)
    y, d = sigmoid_cr(f32(b))
    print(f"{b:08x} {y:08x} {d:.3e}")
