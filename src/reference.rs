//! The oracle: plain scalar Sigmoid (and its stable companions softplus,
//! log-sigmoid and the gradient from the input; SiLU and its gradient) in `f64`, rounded once to `f32`, and the
//! one error metric (ULPs) that every optimised path is measured with.
//!
//! Nothing here is fast and nothing here is clever. Every other kernel in the
//! crate (SIMD, threads, GPU, quantized tables) is tested against these
//! functions, never against another optimised path.
//!
//! `exp` and `log1p` come from the `libm` crate (ports of musl's, < 1 ULP in `f64`), so
//! the oracle is the same code with or without `std`.

/// σ(x) = 1/(1+e^−x) in `f64` with the numerically stable formula:
/// x ≥ 0: 1/(1+e^−x); x < 0: e^x/(1+e^x). No intermediate overflows.
///
/// NaN → NaN, +∞ → 1, −∞ → 0.
#[inline]
#[must_use]
pub fn sigmoid_f64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + libm::exp(-x))
    } else {
        let e = libm::exp(x);
        e / (1.0 + e)
    }
}

/// σ(x) for an `f32` input, computed in `f64` and rounded once to `f32`.
///
/// The f64 value has a relative error near 2^−52, so this is the correctly
/// rounded result except, at most, for inputs whose exact σ lies within
/// ~2^−52 (relative) of a rounding midpoint between two `f32`s.
#[inline]
#[must_use]
pub fn sigmoid(x: f32) -> f32 {
    sigmoid_f64(f64::from(x)) as f32
}

/// The gradient dx = dy·y·(1−y) from the saved forward output `y`, in `f64`
/// (dy·y is exact in `f64`, 1−y is exact, one rounding for the product).
#[inline]
#[must_use]
pub fn sigmoid_backward_f64(y: f32, dy: f32) -> f64 {
    let y = f64::from(y);
    f64::from(dy) * y * (1.0 - y)
}

/// [`sigmoid_backward_f64`] rounded once to `f32`.
#[inline]
#[must_use]
pub fn sigmoid_backward(y: f32, dy: f32) -> f32 {
    sigmoid_backward_f64(y, dy) as f32
}

/// The gradient of σ from the forward input, dx = dy·σ(x)·σ(−x), in `f64`
/// with g = e^−|x|/(1 + e^−|x|)² (no cancellation). The true gradient is
/// positive for every finite x, so an infinite `dy` gives ±∞ there even
/// where g underflows in `f64` (|x| > 745); x = ±∞ has gradient 0, so
/// dy·0 (NaN for an infinite dy). NaN in either input gives NaN.
#[inline]
#[must_use]
pub fn sigmoid_backward_from_input_f64(x: f32, dy: f32) -> f64 {
    let (x, dy) = (f64::from(x), f64::from(dy));
    if x.is_finite() && dy.is_infinite() {
        return dy;
    }
    let e = libm::exp(-x.abs());
    dy * (e / ((1.0 + e) * (1.0 + e)))
}

/// [`sigmoid_backward_from_input_f64`] rounded once to `f32`.
#[inline]
#[must_use]
pub fn sigmoid_backward_from_input(x: f32, dy: f32) -> f32 {
    sigmoid_backward_from_input_f64(x, dy) as f32
}

/// softplus(x) = log(1 + e^x) in `f64` with the stable formula
/// max(x, 0) + log1p(e^−|x|) (no overflow, no cancellation).
///
/// NaN → NaN, +∞ → +∞, −∞ → +0.
#[inline]
#[must_use]
pub fn softplus_f64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let pos = if x > 0.0 { x } else { 0.0 };
    pos + libm::log1p(libm::exp(-x.abs()))
}

/// [`softplus_f64`] of an `f32` input, rounded once to `f32`.
#[inline]
#[must_use]
pub fn softplus(x: f32) -> f32 {
    softplus_f64(f64::from(x)) as f32
}

/// log σ(x) = −softplus(−x) in `f64` ([`softplus_f64`]).
///
/// NaN → NaN, +∞ → −0, −∞ → −∞.
#[inline]
#[must_use]
pub fn log_sigmoid_f64(x: f64) -> f64 {
    -softplus_f64(-x)
}

/// [`log_sigmoid_f64`] of an `f32` input, rounded once to `f32`.
#[inline]
#[must_use]
pub fn log_sigmoid(x: f32) -> f32 {
    log_sigmoid_f64(f64::from(x)) as f32
}

/// Binary cross-entropy on a logit, PyTorch's `binary_cross_entropy_with_logits`
/// for one element, in `f64`: with t' = t·(1 − ε) + ε/2 (Keras label
/// smoothing), ℓ = w·[pw·t'·softplus(−x) + (1 − t')·softplus(x)] with
/// [`softplus_f64`]. A zero coefficient times an infinite softplus counts as
/// 0 (the limit at x = ±∞, and a zero weight masks its element); NaN in any
/// input gives NaN.
#[must_use]
pub fn bce_with_logits_f64(x: f32, t: f32, w: f32, pw: f32, eps: f32) -> f64 {
    let (ca, cb) = bce_coefficients(t, pw, eps);
    let x = f64::from(x);
    let term = |c: f64, s: f64| if c == 0.0 && !s.is_nan() { 0.0 } else { c * s };
    let l = term(ca, softplus_f64(-x)) + term(cb, softplus_f64(x));
    term(f64::from(w), l)
}

/// The two terms of the gradient of [`bce_with_logits_f64`] in `f64`:
/// (w·(1 − t')·σ(x), w·pw·t'·σ(−x)); dℓ/dx is their difference (see
/// [`bce_with_logits_grad_f64`]).
#[must_use]
pub fn bce_with_logits_grad_terms_f64(x: f32, t: f32, w: f32, pw: f32, eps: f32) -> (f64, f64) {
    let (ca, cb) = bce_coefficients(t, pw, eps);
    let (x, w) = (f64::from(x), f64::from(w));
    (w * cb * sigmoid_f64(x), w * ca * sigmoid_f64(-x))
}

/// dℓ/dx of [`bce_with_logits_f64`]: w·[(1 − t')·σ(x) − pw·t'·σ(−x)] in
/// `f64`, with σ(−x) in its own stable form (never 1 − σ(x)): for x = 20,
/// t = 1 it is −σ(−20) ≈ −2.06e−9. Finite for x = ±∞; NaN for NaN inputs.
#[must_use]
pub fn bce_with_logits_grad_f64(x: f32, t: f32, w: f32, pw: f32, eps: f32) -> f64 {
    let (a, b) = bce_with_logits_grad_terms_f64(x, t, w, pw, eps);
    a - b
}

/// Binary cross-entropy on a probability, PyTorch's `BCELoss` for one
/// element in `f64`: with t' = t·(1 − ε) + ε/2,
/// ℓ = −w·[pw·t'·max(ln p, −100) + (1 − t')·max(ln(1 − p), −100)]
/// (each log clamped at −100, as PyTorch;
/// pw as in [`bce_with_logits_f64`], 1 in PyTorch). 1 − p is exact in
/// `f64`. NaN in any input gives NaN.
#[must_use]
pub fn bce_f64(p: f32, t: f32, w: f32, pw: f32, eps: f32) -> f64 {
    let (ca, cb) = bce_coefficients(t, pw, eps);
    let p = f64::from(p);
    let clamp = |v: f64| if v < -100.0 { -100.0 } else { v };
    -f64::from(w) * (ca * clamp(libm::log(p)) + cb * clamp(libm::log(1.0 - p)))
}

/// dℓ/dp of [`bce_f64`] as PyTorch computes it:
/// w·[(1 − t')·p − pw·t'·(1 − p)] / max(p·(1 − p), 10^−12) (for pw = 1,
/// w·(p − t')/max(p·(1 − p), 10^−12)); the clamp of the logs is not
/// differentiated, the denominator's floor keeps it finite at p ∈ {0, 1}.
#[must_use]
pub fn bce_grad_f64(p: f32, t: f32, w: f32, pw: f32, eps: f32) -> f64 {
    let (ca, cb) = bce_coefficients(t, pw, eps);
    let p = f64::from(p);
    let d = p * (1.0 - p);
    let d = if d < 1e-12 { 1e-12 } else { d };
    f64::from(w) * (cb * p - ca * (1.0 - p)) / d
}

/// (pw·t', 1 − t') with t' = t·(1 − ε) + ε/2 in `f64`.
fn bce_coefficients(t: f32, pw: f32, eps: f32) -> (f64, f64) {
    let (t, e) = (f64::from(t), f64::from(eps));
    let ts = t * (1.0 - e) + e / 2.0;
    (f64::from(pw) * ts, 1.0 - ts)
}

/// SiLU (Swish) x·σ(x) in `f64` ([`sigmoid_f64`]; the product never
/// overflows). NaN → NaN, +∞ → +∞, −∞ → −0 (the limit, approached from
/// below; the plain product would be −∞·0 = NaN).
#[inline]
#[must_use]
pub fn silu_f64(x: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        return -0.0;
    }
    x * sigmoid_f64(x)
}

/// [`silu_f64`] of an `f32` input, rounded once to `f32`.
#[inline]
#[must_use]
pub fn silu(x: f32) -> f32 {
    silu_f64(f64::from(x)) as f32
}

/// The root of silu′(x) = σ(x)·(1 + x·σ(−x)) (the minimum of SiLU),
/// −1.27846454276107…, as the nearest `f64`; no `f32` lies on it.
pub const SILU_ROOT: f64 = -1.278_464_542_761_074;

/// The two terms of the SiLU gradient in `f64`: (dy·σ(x), dy·x·σ(x)·σ(−x)),
/// σ(x)·σ(−x) from e^−|x| as in [`sigmoid_backward_from_input_f64`]. Their
/// sum is dy·silu′(x) ([`silu_backward_f64`]); the larger magnitude is the
/// scale of the gradient's absolute error bound.
#[must_use]
pub fn silu_backward_terms_f64(x: f32, dy: f32) -> (f64, f64) {
    let (xf, d) = (f64::from(x), f64::from(dy));
    let e = libm::exp(-xf.abs());
    let g = e / ((1.0 + e) * (1.0 + e));
    (d * sigmoid_f64(xf), d * xf * g)
}

/// dx = dy·silu′(x) = dy·σ(x)·(1 + x·σ(−x)) in `f64`, as the sum of
/// [`silu_backward_terms_f64`]. silu′ is nonzero for every finite x (it is
/// negative below [`SILU_ROOT`]), so an infinite `dy` gives ±∞ there even
/// where the terms underflow; x = +∞ gives dy (silu′ → 1), x = −∞ gives
/// dy·(−0) (silu′ → 0 from below; NaN for an infinite dy). NaN in either
/// input gives NaN.
#[must_use]
pub fn silu_backward_f64(x: f32, dy: f32) -> f64 {
    let (xf, d) = (f64::from(x), f64::from(dy));
    if xf.is_nan() || d.is_nan() {
        return f64::NAN;
    }
    if xf == f64::INFINITY {
        return d;
    }
    if xf == f64::NEG_INFINITY {
        return d * -0.0;
    }
    if d.is_infinite() {
        return if xf > SILU_ROOT { d } else { -d };
    }
    let (a, b) = silu_backward_terms_f64(x, dy);
    a + b
}

/// σ(x) correctly rounded to `f32` (round to nearest, ties to even),
/// subnormal results included: the oracle of the correctly rounded tier
/// (`sigmoid_cr`), more accurate than [`sigmoid`], which rounds an `f64`
/// value and so can round the wrong way where σ lies within ~2^−52 of a
/// midpoint between two `f32`s.
///
/// Two steps. The `f64` value v of [`sigmoid_f64`] (libm's `exp`, < 1 ULP,
/// then one addition and one division: within 2^−50 of σ relative) decides
/// wherever v·(1 − 2^−40) and v·(1 + 2^−40) round to the same `f32`: a
/// margin of a thousand times its error, which leaves about one in 2^15
/// inputs to the second step. That one evaluates σ in double-double
/// arithmetic (`sigmoid_dd`, below) with a relative error below
/// [`SIGMOID_DD_MAX_REL`] and returns the `f32` on the side of the nearest
/// rounding midpoint that the error interval lies on. NaN → NaN (its
/// payload, quieted), +∞ → 1, −∞ → +0, ±0 → 0.5.
///
/// # Panics
/// If the double-double error interval contains a midpoint (the rounding
/// is undecided at that precision). That happens for no `f32`: the
/// exhaustive test (`tests/exhaustive.rs`) evaluates every input, and the
/// closest any σ(x) comes to a midpoint is about 2^−77 relative (x = −2^−24,
/// where the cubic term of 1/2 + x/4 − x³/48 decides), far above the bound.
#[must_use]
pub fn sigmoid_cr(x: f32) -> f32 {
    if x.is_nan() {
        return x + x;
    }
    let v = sigmoid_f64(f64::from(x));
    let w = v * F64_MARGIN;
    if (v - w) as f32 == (v + w) as f32 {
        return v as f32;
    }
    let t = sigmoid_dd(x);
    let y0 = t.hi as f32; // the candidate; the answer is it or a neighbour
                          // T − y0 (T.hi − y0 is exact: y0 is T.hi rounded to f32), its sign only.
    let d = (t.hi - f64::from(y0)) + t.lo;
    if d == 0.0 {
        return y0;
    }
    // The neighbour of y0 towards T (T ∈ (0, 1], so y0 ≥ 0 and y0 = 1
    // has d < 0), and the midpoint between them (exact in f64).
    let y1 = if d > 0.0 {
        f32::from_bits(y0.to_bits() + 1)
    } else {
        f32::from_bits(y0.to_bits() - 1)
    };
    let mid = (f64::from(y0) + f64::from(y1)) / 2.0;
    // T − mid: T.hi − mid is exact (both are multiples of ulp(T.hi) and
    // closer than 2^53 of them), so only the last addition rounds.
    let e = (t.hi - mid) + t.lo;
    assert!(
        e.abs() > t.hi * SIGMOID_DD_MAX_REL,
        "reference::sigmoid_cr: rounding undecided at x = {x:e} ({:#010x})",
        x.to_bits()
    );
    // T beyond the midpoint (on y1's side) rounds to y1.
    if (e > 0.0) == (d > 0.0) {
        y1
    } else {
        y0
    }
}

/// The relative margin around [`sigmoid_f64`] within which
/// [`sigmoid_cr`] does not trust its rounding: 2^−40.
const F64_MARGIN: f64 = f64::from_bits((1023 - 40) << 52);

/// Bound of `sigmoid_dd`'s relative error, used by [`sigmoid_cr`] to
/// decide its rounding: 2^−86. The error analysis of `sigmoid_dd` gives
/// below 2^−92 (each double-double operation < 2^−101 relative; the
/// Taylor series truncated at 2^−123; ln 2 to 2^−107, times k ≤ 150; the
/// 16th power multiplies the series' error by 16); the bound keeps a
/// factor of 64 on top.
pub const SIGMOID_DD_MAX_REL: f64 = f64::from_bits((1023 - 86) << 52);

/// σ(x) for a non-NaN `f32` in double-double: T = hi + lo with
/// |T − σ(x)| < [`SIGMOID_DD_MAX_REL`]·σ(x).
///
/// With a = min(|x|, 104): e^a = 2^k·N, k = round(a/ln 2) ≤ 150,
/// r = a − k·ln 2 (|r| ≤ 0.35, ln 2 as a double-double, k·ln2_hi an exact
/// product and a − that exact by Sterbenz), N = e^(r/16)^16 with e^(r/16)
/// by its Taylor series to the 14th power (|r/16| < 0.022: truncation
/// below 2^−123), squared four times. Then σ(−a) = 2^−k·q with
/// q = 1/(N + 2^−k) (scaling by 2^−k ≥ 2^−150 is exact in `f64`), and
/// σ(x) = 2^−k·q for x < 0, 1 − 2^−k·q for x ≥ 0 (no cancellation:
/// 2^−k·q ≤ 1/2). The clamp at 104 changes nothing after rounding to
/// `f32`: σ(−104) < 2^−150 already rounds to 0, and 1 − σ(−104) to 1.
fn sigmoid_dd(x: f32) -> Dd {
    const LN2: Dd = Dd {
        hi: f64::from_bits(0x3FE6_2E42_FEFA_39EF),
        lo: f64::from_bits(0x3C7A_BC9E_3B39_803F),
    };
    let a = f64::from(x.abs()).min(104.0);
    let k = libm::round(a * core::f64::consts::LOG2_E);
    let p = two_prod(k, LN2.hi);
    let r = two_sum(a - p.hi, -p.lo).add(two_prod(-k, LN2.lo));
    let s = Dd {
        hi: r.hi / 16.0,
        lo: r.lo / 16.0,
    };
    let one = Dd::from(1.0);
    let mut e = one;
    for n in (1..=14).rev() {
        e = one.add(s.mul(e).div_f64(f64::from(n)));
    }
    for _ in 0..4 {
        e = e.mul(e);
    }
    let m = libm::ldexp(1.0, -(k as i32)); // 2^−k, exact
    let q = one.div(e.add(Dd::from(m)));
    let t = Dd {
        hi: q.hi * m,
        lo: q.lo * m,
    };
    if x < 0.0 {
        t
    } else {
        one.add(Dd {
            hi: -t.hi,
            lo: -t.lo,
        })
    }
}

/// A double-double: the unevaluated sum `hi + lo` with |lo| ≤ ulp(hi)/2,
/// about 106 bits (the arithmetic of Joldes, Muller and Popescu, "Tight
/// and rigorous error bounds for basic building blocks of double-word
/// arithmetic", 2017, without FMA so that it is the same code in `no_std`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Dd {
    hi: f64,
    lo: f64,
}

impl From<f64> for Dd {
    fn from(v: f64) -> Dd {
        Dd { hi: v, lo: 0.0 }
    }
}

/// a + b exactly as a double-double (Knuth's TwoSum).
fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    Dd {
        hi: s,
        lo: (a - (s - bb)) + (b - bb),
    }
}

/// a + b exactly for |a| ≥ |b| (Dekker's Fast2Sum).
fn fast_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    Dd {
        hi: s,
        lo: b - (s - a),
    }
}

/// a·b exactly as a double-double (Dekker's product with Veltkamp
/// splitting; |a|, |b| < 2^995).
fn two_prod(a: f64, b: f64) -> Dd {
    let split = |v: f64| {
        let t = 134_217_729.0 * v; // 2^27 + 1
        let h = t - (t - v);
        (h, v - h)
    };
    let p = a * b;
    let ((ah, al), (bh, bl)) = (split(a), split(b));
    Dd {
        hi: p,
        lo: ((ah * bh - p) + ah * bl + al * bh) + al * bl,
    }
}

impl Dd {
    /// self + o (relative error < 3·2^−106).
    fn add(self, o: Dd) -> Dd {
        let s = two_sum(self.hi, o.hi);
        let t = two_sum(self.lo, o.lo);
        let s = fast_two_sum(s.hi, s.lo + t.hi);
        fast_two_sum(s.hi, s.lo + t.lo)
    }

    /// self·o (relative error < 7·2^−106).
    fn mul(self, o: Dd) -> Dd {
        let p = two_prod(self.hi, o.hi);
        fast_two_sum(p.hi, p.lo + (self.hi * o.lo + self.lo * o.hi))
    }

    /// self/d for a small integer d (relative error < 4·2^−106).
    fn div_f64(self, d: f64) -> Dd {
        let q = self.hi / d;
        let r = self.add(two_prod(-q, d)); // self − q·d, exact in its high part
        fast_two_sum(q, r.hi / d)
    }

    /// self/o: three quotient digits, each from the exact remainder
    /// (relative error < 2^−104).
    fn div(self, o: Dd) -> Dd {
        let q1 = self.hi / o.hi;
        let r = self.add(o.mul(Dd::from(-q1)));
        let q2 = r.hi / o.hi;
        let r = r.add(o.mul(Dd::from(-q2)));
        let q3 = r.hi / o.hi;
        fast_two_sum(q1, q2).add(Dd::from(q3))
    }
}

/// The spacing of `f32` numbers at the magnitude of `r` (an `f64`): 2^(e−23)
/// for r in the f32 binade [2^e, 2^(e+1)), and the subnormal spacing 2^−149
/// below the normal range (|r| < 2^−126).
#[must_use]
pub fn ulp_f32(r: f64) -> f64 {
    let a = r.abs();
    if a.is_nan() || a < f64::from(f32::MIN_POSITIVE) {
        return f64::from(f32::from_bits(1)); // 2^-149 (also for NaN input)
    }
    let e = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    libm::ldexp(1.0, e - 23)
}

/// Error of `y` in ULPs against the unrounded reference value `r`:
/// |y − r| / ulp(r), with [`ulp_f32`] as the unit. Correct rounding is ≤ 0.5.
///
/// NaN against NaN is 0 (payloads are not compared); NaN against a number, or
/// an infinity against anything but the same infinity, is `f64::INFINITY`.
#[must_use]
pub fn ulp_error(y: f32, r: f64) -> f64 {
    let y = f64::from(y);
    match (y.is_nan(), r.is_nan()) {
        (true, true) => return 0.0,
        (true, false) | (false, true) => return f64::INFINITY,
        _ => {}
    }
    if y.is_infinite() || r.is_infinite() {
        return if y == r { 0.0 } else { f64::INFINITY };
    }
    (y - r).abs() / ulp_f32(r)
}

/// PyTorch's `hardsigmoid` on CPU, bit for bit:
/// `min(max(x + 3, 0), 6) / 6` in `f32` (one rounding in `x + 3`, one in the
/// division; the clamps are exact). NaN → NaN, +∞ → 1, −∞ → 0, and the
/// result is in [0, 1]. (PyTorch's CUDA kernel multiplies by `1/6` instead,
/// which differs in the last bit for some inputs.)
#[inline]
#[must_use]
pub fn hard_sigmoid(x: f32) -> f32 {
    if x.is_nan() {
        return x + x;
    }
    (x + 3.0).clamp(0.0, 6.0) / 6.0
}

/// PyTorch's `hardsigmoid_backward`: `dy · (1/6)` (the `f32` constant
/// `1.0f / 6.0f`, one rounding) where −3 < x < 3, exactly `+0` elsewhere,
/// including x = ±3 and NaN `x` (NaN `dy` inside the interval gives NaN).
#[inline]
#[must_use]
pub fn hard_sigmoid_backward(x: f32, dy: f32) -> f32 {
    if x > -3.0 && x < 3.0 {
        dy * (1.0f32 / 6.0)
    } else {
        0.0
    }
}

/// ONNX `HardSigmoid` / Keras 2 `hard_sigmoid`: `max(0, min(1, α·x + β))`
/// with the product and the sum rounded separately (no fused multiply-add),
/// as ONNX Runtime computes it. The lower clamp gives `+0`. NaN where
/// `α·x + β` is NaN (NaN `x`, or `x = ±∞` with `α = 0`); otherwise in [0, 1].
#[inline]
#[must_use]
pub fn hard_sigmoid_affine(x: f32, alpha: f32, beta: f32) -> f32 {
    let t = alpha * x + beta;
    if t.is_nan() {
        t + t
    } else if t > 0.0 {
        if t < 1.0 {
            t
        } else {
            1.0
        }
    } else {
        0.0
    }
}

/// Gradient of [`hard_sigmoid_affine`]: `dy · α` where 0 < α·x + β < 1 (the
/// same rounded `t` as the forward), exactly `+0` elsewhere and for NaN `t`.
#[inline]
#[must_use]
pub fn hard_sigmoid_affine_backward(x: f32, dy: f32, alpha: f32, beta: f32) -> f32 {
    let t = alpha * x + beta;
    if t > 0.0 && t < 1.0 {
        dy * alpha
    } else {
        0.0
    }
}

/// PLAN (Amin, Curtis, Hayes-Gill 1997), with a = |x|:
/// a ≥ 5 → 1; 2.375 ≤ a < 5 → 0.03125·a + 0.84375; 1 ≤ a < 2.375 →
/// 0.125·a + 0.625; a < 1 → 0.25·a + 0.5; and 1 − f(a) for x < 0.
///
/// In `f32` the products are exact (powers of two) and the sum rounds once,
/// so for x ≥ 0 the result is the correctly rounded PLAN value. For x < 0
/// it is 1 − f with f so rounded (the subtraction is exact), which can be
/// up to half an ULP of f away from the correctly rounded 1 − f: at
/// x = −4.99978 it gives 6.8545e−6 where exact PLAN is 6.8694e−6. This
/// expression, not exact PLAN, is what every backend reproduces bit for bit.
/// NaN → NaN, +∞ → 1, −∞ → 0, ±0 → 0.5. PLAN jumps down by 2^−8 at
/// |x| = 2.375 (0.921875 → 0.917_968_75), so it is not monotone there.
#[inline]
#[must_use]
pub fn plan_sigmoid(x: f32) -> f32 {
    if x.is_nan() {
        return x + x;
    }
    let a = x.abs();
    let f = if a >= 5.0 {
        1.0
    } else if a >= 2.375 {
        0.03125 * a + 0.84375
    } else if a >= 1.0 {
        0.125 * a + 0.625
    } else {
        0.25 * a + 0.5
    };
    if x < 0.0 {
        1.0 - f
    } else {
        f
    }
}

/// Gradient of [`plan_sigmoid`] (the slope of the piece |x| falls in, the
/// pieces closed on the left as in the forward): `dy · 0.25` for |x| < 1,
/// `dy · 0.125` for 1 ≤ |x| < 2.375, `dy · 0.03125` for 2.375 ≤ |x| < 5,
/// exactly `+0` for |x| ≥ 5 and NaN `x`.
#[inline]
#[must_use]
pub fn plan_sigmoid_backward(x: f32, dy: f32) -> f32 {
    let a = x.abs();
    if a < 1.0 {
        dy * 0.25
    } else if a < 2.375 {
        dy * 0.125
    } else if a < 5.0 {
        dy * 0.03125
    } else {
        0.0
    }
}

/// `r` rounded once to nearest-even in a binary format with `p`
/// significand bits and normal exponents from `emin` to `emax` (subnormals
/// below, ±∞ past the largest finite value), returned as the `f32`
/// holding that value exactly. NaN, ±∞ and ±0 pass through.
fn round_to(r: f64, p: i32, emin: i32, emax: i32) -> f32 {
    if r.is_nan() || r.is_infinite() || r == 0.0 {
        return r as f32;
    }
    let a = r.abs();
    let q = ulp_in(a, p, emin);
    let v = libm::rint(a / q) * q; // a/q and the product are exact (powers of two)
    let max = (2.0 - libm::ldexp(1.0, 1 - p)) * libm::ldexp(1.0, emax);
    let v = if v > max { f64::INFINITY } else { v };
    (if r < 0.0 { -v } else { v }) as f32
}

/// The spacing at `a` (≥ 0) of a binary format with `p` significand bits
/// and smallest normal exponent `emin`.
fn ulp_in(a: f64, p: i32, emin: i32) -> f64 {
    let e = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    libm::ldexp(1.0, e.max(emin) - (p - 1))
}

/// `r` rounded once to IEEE binary16 (`f16`, round to nearest-even,
/// subnormals down to 2^−24, ±∞ from 65520), as an `f32` (exact).
#[must_use]
pub fn round_f16(r: f64) -> f32 {
    round_to(r, 11, -14, 15)
}

/// `r` rounded once to bfloat16 (8 significand bits, the exponent range of
/// `f32`), as an `f32` (exact).
#[must_use]
pub fn round_bf16(r: f64) -> f32 {
    round_to(r, 8, -126, 127)
}

/// The spacing of binary16 at the magnitude of `r` (2^−24 below 2^−14).
#[must_use]
pub fn ulp_f16(r: f64) -> f64 {
    ulp_in(r.abs(), 11, -14)
}

/// The spacing of bfloat16 at the magnitude of `r` (2^−133 below 2^−126).
#[must_use]
pub fn ulp_bf16(r: f64) -> f64 {
    ulp_in(r.abs(), 8, -126)
}

/// σ(x) for a binary16 input (given as the `f32` of the same value),
/// correctly rounded to binary16 (as [`round_f16`]).
#[must_use]
pub fn sigmoid_f16(x: f32) -> f32 {
    round_f16(sigmoid_f64(f64::from(x)))
}

/// σ(x) for a bfloat16 input, correctly rounded to bfloat16.
#[must_use]
pub fn sigmoid_bf16(x: f32) -> f32 {
    round_bf16(sigmoid_f64(f64::from(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values() {
        assert!(sigmoid(f32::NAN).is_nan());
        assert_eq!(sigmoid(f32::INFINITY), 1.0);
        assert_eq!(sigmoid(f32::NEG_INFINITY).to_bits(), 0.0f32.to_bits());
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(-0.0), 0.5);
        assert_eq!(sigmoid(f32::MAX), 1.0);
        assert_eq!(sigmoid(-f32::MAX), 0.0);
        // The true underflow: σ(x) < 2^-150 rounds to 0 near x ≈ -103.97.
        assert!(sigmoid(-103.0) > 0.0);
        assert_eq!(sigmoid(-104.0), 0.0);
    }

    #[test]
    fn correctly_rounded_special_values_and_agreement() {
        assert!(sigmoid_cr(f32::NAN).is_nan());
        assert_eq!(sigmoid_cr(f32::INFINITY), 1.0);
        assert_eq!(sigmoid_cr(f32::NEG_INFINITY).to_bits(), 0.0f32.to_bits());
        assert_eq!(sigmoid_cr(0.0), 0.5);
        assert_eq!(sigmoid_cr(-0.0), 0.5);
        assert_eq!(sigmoid_cr(f32::MAX), 1.0);
        assert_eq!(sigmoid_cr(-f32::MAX).to_bits(), 0.0f32.to_bits());
        assert_eq!(sigmoid_cr(-103.0), f32::from_bits(1)); // e^−103 ≈ 1.3·2^−149
        assert_eq!(sigmoid_cr(-104.0), 0.0);
        // 2^−24: σ = 1/2 + 2^−26 − 2^−72/48, just below the midpoint
        // 1/2 + 2^−26 (ULP 2^−24 above 1/2): rounds down to 1/2; −2^−24 is
        // just above the midpoint 1/2 − 2^−26 below 1/2: rounds to 1/2.
        assert_eq!(sigmoid_cr(2f32.powi(-23)), 0.5);
        assert_eq!(sigmoid_cr(-(2f32.powi(-24))), 0.5);
        // Where the f64 value is far from a midpoint, both agree.
        for b in (0..=u32::MAX).step_by(1_000_003) {
            let x = f32::from_bits(b);
            let (cr, r) = (sigmoid_cr(x), sigmoid(x));
            let v = sigmoid_f64(f64::from(x));
            let frac = v / ulp_f32(v) - libm::floor(v / ulp_f32(v));
            if (frac - 0.5).abs() > 1e-6 {
                assert!(
                    cr.to_bits() == r.to_bits() || cr.is_nan() && r.is_nan(),
                    "{x:e}"
                );
            }
        }
    }

    #[test]
    fn stable_formula_agrees_with_naive_where_naive_is_fine() {
        for i in -400..=400 {
            let x = f64::from(i) / 20.0;
            let naive = 1.0 / (1.0 + (-x).exp());
            assert!((sigmoid_f64(x) - naive).abs() <= 1e-15, "x={x}");
        }
    }

    #[test]
    fn ulp_metric() {
        assert_eq!(ulp_f32(1.0), f64::from(f32::EPSILON));
        assert_eq!(ulp_f32(0.75), f64::from(f32::EPSILON) / 2.0);
        assert_eq!(ulp_f32(1e-40), 2f64.powi(-149));
        assert_eq!(ulp_f32(0.0), 2f64.powi(-149));
        assert_eq!(ulp_error(1.0, 1.0), 0.0);
        let next = f32::from_bits(1.0f32.to_bits() + 1);
        assert_eq!(ulp_error(next, 1.0), 1.0);
        assert_eq!(ulp_error(f32::NAN, f64::NAN), 0.0);
        assert_eq!(ulp_error(0.5, f64::NAN), f64::INFINITY);
        assert_eq!(ulp_error(f32::INFINITY, f64::INFINITY), 0.0);
        assert_eq!(ulp_error(1.0, f64::INFINITY), f64::INFINITY);
        // subnormal spacing: 2^-149 off is one ULP
        assert_eq!(
            ulp_error(f32::from_bits(3), f64::from(f32::from_bits(2))),
            1.0
        );
    }

    #[test]
    fn stable_companions_reference() {
        assert_eq!(softplus(0.0), core::f32::consts::LN_2);
        assert_eq!(softplus(f32::INFINITY), f32::INFINITY);
        assert_eq!(softplus(f32::NEG_INFINITY).to_bits(), 0.0f32.to_bits());
        assert_eq!(softplus(100.0), 100.0);
        assert!(softplus(-100.0) > 0.0 && softplus(-100.0) < 1e-43);
        assert!(softplus(f32::NAN).is_nan());
        assert_eq!(log_sigmoid(f32::INFINITY).to_bits(), (-0.0f32).to_bits());
        assert_eq!(log_sigmoid(f32::NEG_INFINITY), f32::NEG_INFINITY);
        assert_eq!(log_sigmoid(-100.0), -100.0);
        // softplus(x) − softplus(−x) = x
        for i in -80..=80 {
            let x = f64::from(i) / 8.0;
            assert!(
                (softplus_f64(x) - softplus_f64(-x) - x).abs() < 1e-14,
                "{x}"
            );
        }
        let g = sigmoid_backward_from_input_f64(20.0, 1.0);
        assert!((g - 2.061_153_6e-9).abs() < 1e-16, "{g:e}");
        assert_eq!(sigmoid_backward_from_input(0.0, 1.0), 0.25);
        assert_eq!(
            sigmoid_backward_from_input_f64(1e30, f32::INFINITY),
            f64::INFINITY
        );
        assert!(sigmoid_backward_from_input_f64(f32::INFINITY, f32::INFINITY).is_nan());
        assert_eq!(sigmoid_backward_from_input(f32::INFINITY, -3.0), 0.0);
        assert!(sigmoid_backward_from_input(f32::NAN, 1.0).is_nan());
    }

    #[test]
    fn bce_on_probabilities_reference() {
        // p = 1/2: ln 2 for any t; the clamp at −100; PyTorch's gradient.
        let ln2 = core::f64::consts::LN_2;
        assert!((bce_f64(0.5, 0.3, 1.0, 1.0, 0.0) - ln2).abs() < 1e-15);
        assert_eq!(bce_f64(0.0, 1.0, 1.0, 1.0, 0.0), 100.0);
        assert_eq!(bce_f64(1.0, 0.0, 2.0, 1.0, 0.0), 200.0);
        assert_eq!(bce_f64(1.0, 1.0, 1.0, 1.0, 0.0), 0.0);
        assert!((bce_f64(0.25, 1.0, 1.0, 3.0, 0.0) - 3.0 * 4f64.ln()).abs() < 1e-14);
        assert_eq!(bce_grad_f64(0.25, 1.0, 1.0, 1.0, 0.0), -4.0);
        assert_eq!(bce_grad_f64(0.0, 1.0, 1.0, 1.0, 0.0), -1e12);
        assert_eq!(bce_grad_f64(0.5, 0.5, 1.0, 1.0, 0.0), 0.0);
        assert!(bce_f64(f32::NAN, 1.0, 1.0, 1.0, 0.0).is_nan());
    }

    #[test]
    fn bce_with_logits_reference() {
        // t = 1: softplus(−x); t = 0: softplus(x); x = 0: ln 2 for any t.
        assert_eq!(
            bce_with_logits_f64(3.0, 1.0, 1.0, 1.0, 0.0),
            softplus_f64(-3.0)
        );
        assert_eq!(
            bce_with_logits_f64(3.0, 0.0, 1.0, 1.0, 0.0),
            softplus_f64(3.0)
        );
        let ln2 = core::f64::consts::LN_2;
        assert!((bce_with_logits_f64(0.0, 0.3, 1.0, 1.0, 0.0) - ln2).abs() < 1e-15);
        // The well-classified example keeps its loss and gradient.
        let l = bce_with_logits_f64(20.0, 1.0, 1.0, 1.0, 0.0);
        assert!((l - 2.061_153_6e-9).abs() < 1e-16, "{l:e}");
        let g = bce_with_logits_grad_f64(20.0, 1.0, 1.0, 1.0, 0.0);
        assert!((g + 2.061_153_6e-9).abs() < 1e-16, "{g:e}");
        // Limits at ±∞, zero weights, NaN, weights and label smoothing.
        let inf = f32::INFINITY;
        assert_eq!(bce_with_logits_f64(inf, 1.0, 1.0, 1.0, 0.0), 0.0);
        assert_eq!(bce_with_logits_f64(-inf, 0.0, 1.0, 1.0, 0.0), 0.0);
        assert_eq!(bce_with_logits_f64(inf, 0.5, 1.0, 1.0, 0.0), f64::INFINITY);
        assert_eq!(bce_with_logits_f64(inf, 0.0, 0.0, 1.0, 0.0), 0.0);
        assert_eq!(bce_with_logits_grad_f64(inf, 0.0, 1.0, 1.0, 0.0), 1.0);
        assert_eq!(bce_with_logits_grad_f64(-inf, 1.0, 1.0, 1.0, 0.0), -1.0);
        assert!(bce_with_logits_f64(f32::NAN, 1.0, 1.0, 0.0, 0.0).is_nan());
        assert!(bce_with_logits_f64(1.0, f32::NAN, 1.0, 1.0, 0.0).is_nan());
        let weighted = bce_with_logits_f64(-2.0, 1.0, 3.0, 2.0, 0.0);
        assert!((weighted - 6.0 * softplus_f64(2.0)).abs() < 1e-14);
        let smoothed = bce_with_logits_f64(1.0, 1.0, 1.0, 1.0, 0.25);
        let want = 0.875 * softplus_f64(-1.0) + 0.125 * softplus_f64(1.0);
        assert!((smoothed - want).abs() < 1e-15);
    }

    #[test]
    fn backward_reference() {
        assert_eq!(sigmoid_backward(0.5, 1.0), 0.25);
        assert_eq!(sigmoid_backward(1.0, 7.0), 0.0);
        assert!(sigmoid_backward(0.5, f32::NAN).is_nan());
        assert!(sigmoid_backward(f32::NAN, 1.0).is_nan());
    }
}
