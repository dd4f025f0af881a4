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
