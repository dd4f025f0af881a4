//! BCE with logits (`sigmoid_kernels::loss`) against the `f64` oracle in
//! `reference`: the per-element and gradient bounds over strided sweeps of
//! the logits, the limits at ±∞, NaN, empty inputs, option errors, length
//! panics, the reductions (thread-count determinism, 1 ULP of the exact
//! sum), PyTorch's formula, label smoothing and pos_weight broadcast.

mod support;

use sigmoid_kernels::loss::{
    bce_with_logits, bce_with_logits_elementwise, bce_with_logits_elementwise_grad,
    bce_with_logits_elementwise_grad_on, bce_with_logits_grad, BceOptions, LossError, Reduction,
    BCE_BINARY_MAX_ULP, BCE_GRAD_MAX_ULP, BCE_GRAD_MEAN_EXTRA_ULP, BCE_GRAD_WEIGHTED_MAX_ULP,
    BCE_MAX_ULP, BCE_REDUCTION_MAX_ULP, LOSS_CHUNK,
};
use sigmoid_kernels::reference::{
    bce_with_logits_f64, bce_with_logits_grad_f64, bce_with_logits_grad_terms_f64, ulp_error,
    ulp_f32,
};
use sigmoid_kernels::Backend;
use support::{lengths, special_inputs, strided, Rng};

const NONE: BceOptions<'static> = BceOptions {
    weight: None,
    pos_weight: None,
    label_smoothing: 0.0,
};

/// Error of a loss in ULPs against the oracle; a value above `f32::MAX`
/// must come out as +∞ (0 error), anything else is infinitely wrong.
fn loss_err(got: f32, want: f64) -> f64 {
    if want.is_finite() && (want as f32).is_infinite() {
        return if got == f32::INFINITY {
            0.0
        } else {
            f64::INFINITY
        };
    }
    ulp_error(got, want)
}

/// Worst error seen, with its inputs, for the failure message.
#[derive(Default)]
struct Worst {
    err: f64,
    at: String,
}

impl Worst {
    fn add(&mut self, err: f64, at: impl FnOnce() -> String) {
        if err > self.err || err.is_nan() {
            self.err = err;
            self.at = at();
        }
    }
    #[track_caller]
    fn assert_below(&self, what: &str, bound: f64) {
        println!("{what}: max {:.3} ({})", self.err, self.at);
        assert!(
            self.err <= bound,
            "{what}: error {} > bound {bound} at {}",
            self.err,
            self.at
        );
    }
}

/// Every 4099th bit pattern (≈ 1.05M logits, every magnitude and sign, NaNs
/// and infinities) and the hostile inputs, for t = 0 and t = 1 without
/// weights: the loss within `BCE_BINARY_MAX_ULP`, the gradient within
/// `BCE_GRAD_MAX_ULP`, for the elementwise and the reducing forms.
#[test]
fn binary_targets_every_logit() {
    let mut x = strided(4099, 7);
    x.extend(special_inputs());
    x.extend([20.0, -20.0, 37.43, -37.43, 1e30, -1e30]);
    let n = x.len();
    let (mut lw, mut gw, mut gm) = (Worst::default(), Worst::default(), Worst::default());
    for tv in [0.0f32, 1.0] {
        let t = vec![tv; n];
        let (mut out, mut dx) = (vec![f32::NAN; n], vec![f32::NAN; n]);
        bce_with_logits_elementwise_grad(&x, &t, &NONE, &mut out, &mut dx).unwrap();
        let mut only = vec![f32::NAN; n];
        bce_with_logits_elementwise(&x, &t, &NONE, &mut only).unwrap();
        let mut dmean = vec![f32::NAN; n];
        bce_with_logits_grad(&x, &t, &NONE, Reduction::Mean, &mut dmean).unwrap();
        for i in 0..n {
            let at = || format!("x = {:e} ({:#x}), t = {tv}", x[i], x[i].to_bits());
            let want = bce_with_logits_f64(x[i], tv, 1.0, 1.0, 0.0);
            lw.add(loss_err(out[i], want), || {
                format!("{}: got {:e}, want {want:e}", at(), out[i])
            });
            assert!(
                out[i].to_bits() == only[i].to_bits() || out[i].is_nan() && only[i].is_nan(),
                "elementwise and fused differ at {}",
                at()
            );
            let g = bce_with_logits_grad_f64(x[i], tv, 1.0, 1.0, 0.0);
            gw.add(ulp_error(dx[i], g), || {
                format!("{}: got {:e}, want {g:e}", at(), dx[i])
            });
            let gmean = g / n as f64;
            gm.add(ulp_error(dmean[i], gmean), || {
                format!("{} (Mean): got {:e}, want {gmean:e}", at(), dmean[i])
            });
        }
    }
    lw.assert_below("loss, t ∈ {0, 1}", BCE_BINARY_MAX_ULP);
    gw.assert_below("gradient, t ∈ {0, 1}", BCE_GRAD_MAX_ULP);
    gm.assert_below(
        "gradient (Mean), t ∈ {0, 1}",
        BCE_GRAD_MAX_ULP + BCE_GRAD_MEAN_EXTRA_ULP,
    );
}

/// Every 65537th finite logit (≈ 65K, up to ±f32::MAX), each with several
/// fractional and binary targets, label smoothing, weights and pos_weight
/// (3 classes) of every size in [0, 4] including 0: the loss within
/// `BCE_MAX_ULP`, the gradient within `BCE_GRAD_MAX_ULP` ULPs of the larger
/// term.
#[test]
fn fractional_targets_and_weights() {
    let mut xs: Vec<f32> = strided(65537, 3)
        .into_iter()
        .filter(|v| v.is_finite())
        .collect();
    xs.extend([f32::MAX, -f32::MAX, 20.0, -20.0, 0.0, 1.0, -1.0]);
    let mut rng = Rng(12);
    let pw = [0.0f32, 1.7, 3.9];
    let (mut lw, mut gw, mut gu) = (Worst::default(), Worst::default(), Worst::default());
    for (round, eps) in [0.0f32, 0.0, 0.1, 0.999].into_iter().enumerate() {
        // Three elements per logit, so each logit meets every class.
        let x: Vec<f32> = xs.iter().flat_map(|&v| [v, v, v]).collect();
        let n = x.len();
        let t: Vec<f32> = (0..n)
            .map(|i| match (i + round) % 5 {
                0 => 0.0,
                1 => 1.0,
                _ => rng.uniform(0.0, 1.0),
            })
            .collect();
        let w: Vec<f32> = (0..n)
            .map(|i| {
                if i % 11 == 0 {
                    0.0
                } else {
                    rng.uniform(0.0, 4.0)
                }
            })
            .collect();
        let opts = BceOptions {
            weight: Some(&w),
            pos_weight: Some(&pw),
            label_smoothing: eps,
        };
        let (mut out, mut dx) = (vec![f32::NAN; n], vec![f32::NAN; n]);
        bce_with_logits_elementwise_grad(&x, &t, &opts, &mut out, &mut dx).unwrap();
        // The same targets without weights: the tighter gradient bound.
        let unit = BceOptions {
            label_smoothing: eps,
            ..NONE
        };
        let (mut out1, mut dx1) = (vec![f32::NAN; n], vec![f32::NAN; n]);
        bce_with_logits_elementwise_grad(&x, &t, &unit, &mut out1, &mut dx1).unwrap();
        for i in 0..n {
            let p = pw[i % 3];
            let at = || {
                format!(
                    "x = {:e}, t = {}, w = {}, pw = {p}, ε = {eps}",
                    x[i], t[i], w[i]
                )
            };
            let want = bce_with_logits_f64(x[i], t[i], w[i], p, eps);
            lw.add(loss_err(out[i], want), || {
                format!("{}: got {:e}, want {want:e}", at(), out[i])
            });
            let (a, b) = bce_with_logits_grad_terms_f64(x[i], t[i], w[i], p, eps);
            let g = a - b;
            let unit = ulp_f32(a.abs().max(b.abs()));
            let err = (f64::from(dx[i]) - g).abs() / unit;
            gw.add(err, || format!("{}: got {:e}, want {g:e}", at(), dx[i]));
            let at1 = || format!("x = {:e}, t = {}, ε = {eps}", x[i], t[i]);
            let want = bce_with_logits_f64(x[i], t[i], 1.0, 1.0, eps);
            lw.add(loss_err(out1[i], want), || {
                format!("{}: got {:e}, want {want:e}", at1(), out1[i])
            });
            let (a, b) = bce_with_logits_grad_terms_f64(x[i], t[i], 1.0, 1.0, eps);
            let g = a - b;
            let err = (f64::from(dx1[i]) - g).abs() / ulp_f32(a.abs().max(b.abs()));
            gu.add(err, || format!("{}: got {:e}, want {g:e}", at1(), dx1[i]));
        }
    }
    lw.assert_below("loss, any t, weights", BCE_MAX_ULP);
    gu.assert_below(
        "gradient, any t (ULPs of the larger term)",
        BCE_GRAD_MAX_ULP,
    );
    gw.assert_below(
        "gradient, any t, weights (ULPs of the larger term)",
        BCE_GRAD_WEIGHTED_MAX_ULP,
    );
}

/// x = 20, t = 1: the true loss and gradient, ≈ ±2.06e−9, where σ(x) − t
/// and log(1 + e^−x) give 0 in `f32`.
#[test]
fn well_classified_example_keeps_its_gradient() {
    let (x, t) = ([20.0f32], [1.0f32]);
    let mut dx = [0.0f32];
    let l = bce_with_logits_grad(&x, &t, &NONE, Reduction::Sum, &mut dx).unwrap();
    let exact = 2.061_153_6e-9f64;
    assert!((f64::from(l) - exact).abs() < 1e-15, "loss {l:e}");
    assert!((f64::from(dx[0]) + exact).abs() < 1e-15, "grad {:e}", dx[0]);
    // What the common forms give.
    let sigma = 1.0 / (1.0 + (-20.0f32).exp());
    assert_eq!(sigma - 1.0, 0.0);
    assert_eq!((1.0 + (-20.0f32).exp()).ln(), 0.0);
}

/// ±∞ logits give the limit (0 or +∞, finite gradient), NaN propagates to
/// the element and the reduction, zero weights mask, empty inputs.
#[test]
fn special_values() {
    let inf = f32::INFINITY;
    let x = [inf, inf, inf, -inf, -inf, -inf];
    let t = [1.0f32, 0.0, 0.5, 0.0, 1.0, 0.5];
    let (mut out, mut dx) = ([f32::NAN; 6], [f32::NAN; 6]);
    bce_with_logits_elementwise_grad(&x, &t, &NONE, &mut out, &mut dx).unwrap();
    assert_eq!(out, [0.0, inf, inf, 0.0, inf, inf]);
    assert_eq!(dx, [0.0, 1.0, 0.5, 0.0, -1.0, -0.5]);
    // The zeros carry the sign of their limits: −σ(−x) < 0, σ(x) > 0.
    assert!(dx[0].is_sign_negative() && dx[3].is_sign_positive());
    let sum = bce_with_logits(&x[..1], &t[..1], &NONE, Reduction::Sum).unwrap();
    assert_eq!(sum, 0.0);
    assert_eq!(
        bce_with_logits(&x, &t, &NONE, Reduction::Mean).unwrap(),
        inf
    );

    // A zero weight masks an infinite loss; a huge logit does not overflow.
    let w = [0.0f32, 1.0];
    let o = BceOptions {
        weight: Some(&w),
        ..NONE
    };
    let (mut out2, mut dx2) = ([f32::NAN; 2], [f32::NAN; 2]);
    let (x2, t2) = ([inf, f32::MAX], [0.0f32, 0.0]);
    bce_with_logits_elementwise_grad(&x2, &t2, &o, &mut out2, &mut dx2).unwrap();
    assert_eq!(out2, [0.0, f32::MAX]);
    assert_eq!(dx2, [0.0, 1.0]);

    // NaN in x or t: NaN in that element and in the reduction, also where
    // the coefficient of the NaN term is 0 (t = 1, pos_weight 0).
    let pw0 = [0.0f32];
    let cases: [(f32, f32, BceOptions<'_>); 3] = [
        (f32::NAN, 1.0, NONE),
        (0.5, f32::NAN, NONE),
        (
            f32::NAN,
            1.0,
            BceOptions {
                pos_weight: Some(&pw0),
                ..NONE
            },
        ),
    ];
    for (xv, tv, o) in cases {
        let x = [1.0f32, xv, 2.0];
        let t = [0.0f32, tv, 1.0];
        let (mut out, mut dx) = ([0.0f32; 3], [0.0f32; 3]);
        bce_with_logits_elementwise_grad(&x, &t, &o, &mut out, &mut dx).unwrap();
        assert!(out[1].is_nan() && dx[1].is_nan(), "x = {xv}, t = {tv}");
        assert!(!out[0].is_nan() && !out[2].is_nan());
        for r in [Reduction::Mean, Reduction::Sum] {
            assert!(bce_with_logits(&x, &t, &o, r).unwrap().is_nan());
        }
    }

    // Empty input: Sum +0 (not −0: PyTorch's sign), Mean NaN (0/0, as
    // PyTorch); on probabilities too.
    let e: [f32; 0] = [];
    for sum in [
        bce_with_logits(&e, &e, &NONE, Reduction::Sum).unwrap(),
        sigmoid_kernels::loss::bce(&e, &e, &NONE, Reduction::Sum).unwrap(),
    ] {
        assert_eq!(sum.to_bits(), 0, "{sum}");
    }
    assert!(bce_with_logits(&e, &e, &NONE, Reduction::Mean)
        .unwrap()
        .is_nan());
    let mut d: [f32; 0] = [];
    assert!(bce_with_logits_grad(&e, &e, &NONE, Reduction::Mean, &mut d)
        .unwrap()
        .is_nan());
    // An empty last axis (shape (B, 0)): no classes, an empty pos_weight,
    // the Keras mean NaN as the plain one; 0 classes divide nothing else.
    let no_classes = BceOptions {
        pos_weight: Some(&e),
        ..NONE
    };
    assert_eq!(
        bce_with_logits(&e, &e, &no_classes, Reduction::Sum)
            .unwrap()
            .to_bits(),
        0
    );
    assert!(bce_with_logits(&e, &e, &NONE, Reduction::MeanLastAxis(0))
        .unwrap()
        .is_nan());
    assert_eq!(
        bce_with_logits(&[0.0], &[1.0], &NONE, Reduction::MeanLastAxis(0)),
        Err(LossError::Classes { classes: 0, len: 1 })
    );
}

#[test]
fn bad_options_are_errors_naming_the_problem() {
    let x = [0.0f32; 6];
    let t = [1.0f32; 6];
    let pw4 = [1.0f32; 4];
    let w5 = [1.0f32; 5];
    let neg = [1.0, 1.0, -0.5, 1.0, 1.0, 1.0];
    let nan = [1.0, f32::NAN];
    let inf = [1.0, 1.0, f32::INFINITY];
    let empty: [f32; 0] = [];
    let cases: Vec<(BceOptions<'_>, LossError, &str)> = vec![
        (
            BceOptions {
                pos_weight: Some(&pw4),
                ..NONE
            },
            LossError::PosWeightLength { classes: 4, len: 6 },
            "pos_weight has 4 classes",
        ),
        (
            BceOptions {
                pos_weight: Some(&empty),
                ..NONE
            },
            LossError::PosWeightLength { classes: 0, len: 6 },
            "does not divide the input length 6",
        ),
        (
            BceOptions {
                weight: Some(&w5),
                ..NONE
            },
            LossError::WeightLength { weights: 5, len: 6 },
            "weight has 5 elements but the input has 6",
        ),
        (
            BceOptions {
                weight: Some(&neg),
                ..NONE
            },
            LossError::BadWeight {
                which: "weight",
                index: 2,
                value: -0.5,
            },
            "weight[2] = -0.5",
        ),
        (
            BceOptions {
                pos_weight: Some(&inf),
                ..NONE
            },
            LossError::BadWeight {
                which: "pos_weight",
                index: 2,
                value: f32::INFINITY,
            },
            "pos_weight[2] = inf",
        ),
        (
            BceOptions {
                label_smoothing: 1.0,
                ..NONE
            },
            LossError::LabelSmoothing(1.0),
            "label_smoothing = 1",
        ),
        (
            BceOptions {
                label_smoothing: -0.1,
                ..NONE
            },
            LossError::LabelSmoothing(-0.1),
            "[0, 1)",
        ),
    ];
    for (o, want, msg) in cases {
        let got = bce_with_logits(&x, &t, &o, Reduction::Mean).unwrap_err();
        assert_eq!(got, want);
        assert!(got.to_string().contains(msg), "{got}");
        // Nothing is written on an error.
        let (mut out, mut dx) = ([7.0f32; 6], [7.0f32; 6]);
        assert_eq!(
            bce_with_logits_elementwise_grad(&x, &t, &o, &mut out, &mut dx),
            Err(want.clone())
        );
        assert_eq!(
            bce_with_logits_grad(&x, &t, &o, Reduction::Sum, &mut dx),
            Err(want.clone())
        );
        assert_eq!(bce_with_logits_elementwise(&x, &t, &o, &mut out), Err(want));
        assert_eq!((out, dx), ([7.0; 6], [7.0; 6]));
    }
    // A NaN weight (its length is fine: 2 divides 6 as pos_weight).
    let o = BceOptions {
        pos_weight: Some(&nan),
        ..NONE
    };
    let e = bce_with_logits(&x, &t, &o, Reduction::Sum).unwrap_err();
    assert!(e.to_string().contains("pos_weight[1] = NaN"), "{e}");
    let o = BceOptions {
        label_smoothing: f32::NAN,
        ..NONE
    };
    assert!(bce_with_logits(&x, &t, &o, Reduction::Sum).is_err());
    // Reduction::None needs the elementwise form.
    let e = bce_with_logits(&x, &t, &NONE, Reduction::None).unwrap_err();
    assert_eq!(e, LossError::Unreduced);
    assert!(e.to_string().contains("bce_with_logits_elementwise"));
    let mut dx = [7.0f32; 6];
    let e = bce_with_logits_grad(&x, &t, &NONE, Reduction::None, &mut dx);
    assert_eq!(e, Err(LossError::Unreduced));
    assert_eq!(dx, [7.0; 6]);
}

#[test]
#[should_panic(expected = "bce_with_logits: length mismatch: x.len() = 3, t.len() = 2")]
fn mismatched_targets_panic() {
    let _ = bce_with_logits(&[0.0; 3], &[0.0; 2], &NONE, Reduction::Sum);
}

#[test]
#[should_panic(expected = "bce_with_logits_grad: length mismatch: x.len() = 3, dx.len() = 4")]
fn mismatched_gradient_panics() {
    let _ = bce_with_logits_grad(&[0.0; 3], &[0.0; 3], &NONE, Reduction::Sum, &mut [0.0; 4]);
}

#[test]
#[should_panic(expected = "length mismatch: x.len() = 3, out.len() = 1")]
fn mismatched_output_panics() {
    let _ = bce_with_logits_elementwise(&[0.0; 3], &[0.0; 3], &NONE, &mut [0.0; 1]);
}

/// Inputs over several chunks (not a multiple of the chunk), with weights,
/// pos_weight and smoothing.
fn big_case(n: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut rng = Rng(99);
    let x = (0..n).map(|_| rng.uniform(-30.0, 30.0)).collect();
    let t = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let w = (0..n).map(|_| rng.uniform(0.0, 3.0)).collect();
    (x, t, w)
}

/// The same bits with 1 and 2 rayon threads (Mean, Sum and the gradient),
/// and within 1 ULP of the exact sum of the per-element `f32` losses.
#[test]
fn reductions_are_deterministic_and_within_one_ulp() {
    let n = 5 * LOSS_CHUNK + 124; // a multiple of the 4 classes
    let (x, t, w) = big_case(n);
    let pw = [0.5f32, 2.0, 1.0, 3.0];
    let o = BceOptions {
        weight: Some(&w),
        pos_weight: Some(&pw),
        label_smoothing: 0.05,
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut dx = vec![0.0f32; n];
            let mean = bce_with_logits_grad(&x, &t, &o, Reduction::Mean, &mut dx).unwrap();
            let sum = bce_with_logits(&x, &t, &o, Reduction::Sum).unwrap();
            (mean.to_bits(), sum.to_bits(), dx)
        })
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one.0, two.0, "Mean differs between 1 and 2 threads");
    assert_eq!(one.1, two.1, "Sum differs between 1 and 2 threads");
    assert!(one.2 == two.2, "gradient differs between 1 and 2 threads");

    // The exact sum of the f32 losses, as an integer count of 2^-100: each
    // loss here is a multiple of it (checked) and below 2^8, so the i128
    // sum (< 2^125) is exact and rounds once to f64.
    let mut out = vec![0.0f32; n];
    bce_with_logits_elementwise(&x, &t, &o, &mut out).unwrap();
    let scaled: Vec<f64> = out.iter().map(|&l| f64::from(l) * 2f64.powi(100)).collect();
    assert!(scaled
        .iter()
        .all(|v| v.fract() == 0.0 && *v < 2f64.powi(108)));
    let exact = scaled.iter().map(|&v| v as i128).sum::<i128>() as f64 / 2f64.powi(100);
    let sum = f32::from_bits(one.1);
    let mean = f32::from_bits(one.0);
    assert!(
        ulp_error(sum, exact) <= BCE_REDUCTION_MAX_ULP,
        "sum {sum} vs {exact}"
    );
    assert!(
        ulp_error(mean, exact / n as f64) <= BCE_REDUCTION_MAX_ULP,
        "mean {mean}"
    );
    // The gradient of Mean is the oracle's gradient / n, within the
    // weighted bound (plus the Mean allowance) of the larger term / n.
    let mut worst = Worst::default();
    for i in 0..n {
        let (a, b) = bce_with_logits_grad_terms_f64(x[i], t[i], w[i], pw[i % 4], 0.05);
        let (g, nn) = (a - b, n as f64);
        let err = (f64::from(one.2[i]) - g / nn).abs() / ulp_f32(a.abs().max(b.abs()) / nn);
        worst.add(err, || {
            format!("i = {i}: got {:e}, want {:e}", one.2[i], g / nn)
        });
    }
    worst.assert_below(
        "Mean gradient, weighted",
        BCE_GRAD_WEIGHTED_MAX_ULP + BCE_GRAD_MEAN_EXTRA_ULP,
    );
}

/// PyTorch's formula written naively in `f64` (fine for moderate x):
/// −w·[pw·t·log σ(x) + (1 − t)·log(1 − σ(x))], and three values computed by
/// hand.
#[test]
fn agrees_with_pytorch_formula() {
    let x = [1.5f32, -0.3, 2.0, -1.25, 0.0, 4.0];
    let t = [1.0f32, 0.0, 0.25, 0.6, 1.0, 0.0];
    let w = [1.0f32, 2.0, 0.5, 1.5, 1.0, 3.0];
    let pw = [2.0f32, 0.5, 1.0];
    let o = BceOptions {
        weight: Some(&w),
        pos_weight: Some(&pw),
        label_smoothing: 0.0,
    };
    let mut out = [0.0f32; 6];
    bce_with_logits_elementwise(&x, &t, &o, &mut out).unwrap();
    let mut total = 0.0;
    for i in 0..6 {
        let (xi, ti) = (f64::from(x[i]), f64::from(t[i]));
        let s = 1.0 / (1.0 + (-xi).exp());
        let naive =
            -f64::from(w[i]) * (f64::from(pw[i % 3]) * ti * s.ln() + (1.0 - ti) * (1.0 - s).ln());
        assert!(
            (f64::from(out[i]) - naive).abs() <= 1e-6 * naive,
            "{i}: {} vs {naive}",
            out[i]
        );
        total += naive;
    }
    let mean = bce_with_logits(&x, &t, &o, Reduction::Mean).unwrap();
    assert!((f64::from(mean) - total / 6.0).abs() < 1e-6);
    // By hand: softplus(−1.5) = ln(1 + e^−1.5) = 0.2014133; element 5 is
    // 3·softplus(4) = 3·4.0181499 = 12.0544497.
    let plain = bce_with_logits(&x[..1], &t[..1], &NONE, Reduction::Sum).unwrap();
    assert!((plain - 0.201_413_3).abs() < 1e-7, "{plain}");
    assert!((out[5] - 12.054_45).abs() < 1e-5, "{}", out[5]);
    // Element 1: t = 0, w = 2: 2·softplus(−0.3) = 2·0.5543552 = 1.1087104.
    assert!((out[1] - 1.108_710_4).abs() < 1e-6, "{}", out[1]);
}

/// Keras label smoothing: t' = t·(1 − ε) + ε/2, so t = 1, ε = 0.2 is the
/// loss of t = 0.9, and at x = 0 every target gives ln 2.
#[test]
fn label_smoothing() {
    let x = [3.0f32, -2.0, 0.0, 0.0];
    let t = [1.0f32, 0.0, 1.0, 0.0];
    let o = BceOptions {
        label_smoothing: 0.2,
        ..NONE
    };
    let mut out = [0.0f32; 4];
    bce_with_logits_elementwise(&x, &t, &o, &mut out).unwrap();
    let sp = |v: f64| (1.0 + v.exp()).ln();
    let want = [
        0.9 * sp(-3.0) + 0.1 * sp(3.0),
        0.1 * sp(2.0) + 0.9 * sp(-2.0),
    ];
    for i in 0..2 {
        assert!((f64::from(out[i]) - want[i]).abs() < 1e-6 * want[i], "{i}");
    }
    assert_eq!(out[2], core::f32::consts::LN_2);
    assert_eq!(out[3], core::f32::consts::LN_2);
    // Without smoothing the same inputs differ.
    let mut plain = [0.0f32; 4];
    bce_with_logits_elementwise(&x, &t, &NONE, &mut plain).unwrap();
    assert!(plain[0] < out[0] && plain[1] < out[1]);
}

/// pos_weight over [batch = 4, classes = 3]: element i uses class i mod 3,
/// scales only the positive term (t = 1: pw times the plain loss and
/// gradient, to within an ULP: each is rounded once from its own `f64`
/// value; t = 0: unchanged).
#[test]
fn pos_weight_broadcasts_over_the_last_dimension() {
    let mut rng = Rng(5);
    let x: Vec<f32> = (0..12).map(|_| rng.uniform(-6.0, 6.0)).collect();
    let pw = [0.5f32, 2.0, 7.0];
    let o = BceOptions {
        pos_weight: Some(&pw),
        ..NONE
    };
    for tv in [0.0f32, 1.0] {
        let t = vec![tv; 12];
        let (mut lp, mut gp) = (vec![0.0f32; 12], vec![0.0f32; 12]);
        let (mut l1, mut g1) = (vec![0.0f32; 12], vec![0.0f32; 12]);
        bce_with_logits_elementwise_grad(&x, &t, &o, &mut lp, &mut gp).unwrap();
        bce_with_logits_elementwise_grad(&x, &t, &NONE, &mut l1, &mut g1).unwrap();
        for i in 0..12 {
            let p = if tv == 1.0 { f64::from(pw[i % 3]) } else { 1.0 };
            let (el, eg) = (
                ulp_error(lp[i], p * f64::from(l1[i])),
                ulp_error(gp[i], p * f64::from(g1[i])),
            );
            assert!(el <= 1.0, "loss {i}, t = {tv}: {} vs {p}·{}", lp[i], l1[i]);
            assert!(eg <= 1.0, "grad {i}, t = {tv}: {} vs {p}·{}", gp[i], g1[i]);
        }
    }
}

/// Every backend (scalar, portable, AVX2, AVX-512, parallel) runs the fused
/// kernel within the bounds: every 65537th bit pattern and the hostile
/// inputs with t ∈ {0, 1} (no weights), and with fractional targets,
/// weights, pos_weight and smoothing; at lengths around every vector width
/// and block edge, from unaligned starts, each element the same bits as in
/// one long call.
#[test]
fn every_backend_meets_the_bounds() {
    let mut x = strided(65537, 11);
    x.extend(special_inputs());
    x.extend([20.0, -20.0, 37.43, -37.43, 1e30, -1e30, 88.0, 104.5, 300.5]);
    let n = x.len();
    let mut rng = Rng(31);
    let tf: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let w: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 4.0)).collect();
    let pw = [0.25f32, 1.0, 3.5, 1e6, 0.0];
    let weighted = BceOptions {
        weight: Some(&w),
        pos_weight: None,
        label_smoothing: 0.05,
    };
    for b in Backend::available() {
        let (mut lw, mut gw) = (Worst::default(), Worst::default());
        for tv in [0.0f32, 1.0] {
            let t = vec![tv; n];
            let (mut out, mut dx) = (vec![f32::NAN; n], vec![f32::NAN; n]);
            bce_with_logits_elementwise_grad_on(b, &x, &t, &NONE, &mut out, &mut dx).unwrap();
            for i in 0..n {
                let at = || format!("{b}: x = {:e}, t = {tv}", x[i]);
                let want = bce_with_logits_f64(x[i], tv, 1.0, 1.0, 0.0);
                lw.add(loss_err(out[i], want), || {
                    format!("{}: got {:e}", at(), out[i])
                });
                let g = bce_with_logits_grad_f64(x[i], tv, 1.0, 1.0, 0.0);
                gw.add(ulp_error(dx[i], g), || format!("{}: got {:e}", at(), dx[i]));
            }
        }
        lw.assert_below(&format!("{b}: loss, t ∈ {{0, 1}}"), BCE_BINARY_MAX_ULP);
        gw.assert_below(&format!("{b}: gradient, t ∈ {{0, 1}}"), BCE_GRAD_MAX_ULP);

        let m = n - n % pw.len();
        let (x, t) = (&x[..m], &tf[..m]);
        let o = BceOptions {
            weight: Some(&w[..m]),
            pos_weight: Some(&pw),
            ..weighted
        };
        let (mut out, mut dx) = (vec![f32::NAN; m], vec![f32::NAN; m]);
        bce_with_logits_elementwise_grad_on(b, x, t, &o, &mut out, &mut dx).unwrap();
        let (mut lw, mut gw) = (Worst::default(), Worst::default());
        for i in 0..m {
            let (wi, p) = (w[i], pw[i % pw.len()]);
            let at = || format!("{b}: x = {:e}, t = {}, w = {wi}, pw = {p}", x[i], t[i]);
            let want = bce_with_logits_f64(x[i], t[i], wi, p, 0.05);
            lw.add(loss_err(out[i], want), || {
                format!("{}: got {:e}", at(), out[i])
            });
            let (ga, gb) = bce_with_logits_grad_terms_f64(x[i], t[i], wi, p, 0.05);
            let g = ga - gb;
            let err = if dx[i].is_nan() && g.is_nan() {
                0.0
            } else {
                (f64::from(dx[i]) - g).abs() / ulp_f32(ga.abs().max(gb.abs()))
            };
            gw.add(err, || format!("{}: got {:e}", at(), dx[i]));
        }
        lw.assert_below(&format!("{b}: loss, weighted"), BCE_MAX_ULP);
        gw.assert_below(
            &format!("{b}: gradient, weighted (ULPs of the larger term)"),
            BCE_GRAD_WEIGHTED_MAX_ULP,
        );

        // Short and unaligned calls give the same bits as the long one.
        let full = BceOptions {
            weight: Some(&w[..m]),
            ..weighted
        };
        let (mut o2, mut d2) = (vec![0.0f32; m], vec![0.0f32; m]);
        bce_with_logits_elementwise_grad_on(b, x, t, &full, &mut o2, &mut d2).unwrap();
        let same = |a: f32, c: f32| a.to_bits() == c.to_bits() || a.is_nan() && c.is_nan();
        for len in lengths(&[16, 32, 512]) {
            for off in [1usize, 3, 1000] {
                let r = off..off + len;
                let o = BceOptions {
                    weight: Some(&w[r.clone()]),
                    ..weighted
                };
                let (mut o1, mut d1) = (vec![0.0f32; len], vec![0.0f32; len]);
                let (xs, ts) = (&x[r.clone()], &t[r.clone()]);
                bce_with_logits_elementwise_grad_on(b, xs, ts, &o, &mut o1, &mut d1).unwrap();
                for (j, i) in r.enumerate() {
                    assert!(
                        same(o1[j], o2[i]) && same(d1[j], d2[i]),
                        "{b}: length {len} from {off}: element {j} differs ({} vs {}, {} vs {})",
                        o1[j],
                        o2[i],
                        d1[j],
                        d2[i]
                    );
                }
            }
        }
    }
}

/// Every `f32` logit (all 2^32 bit patterns) with t = 1 and no weights, on
/// the best backend: the loss softplus(−x) within `BCE_BINARY_MAX_ULP` and
/// the gradient −σ(−x) within `BCE_GRAD_MAX_ULP`. t = 0 is the same
/// computation mirrored (the kernel depends on |x| and on which side of 0
/// x lies, and ℓ(x, 0) = ℓ(−x, 1)), so this covers both binary targets.
/// About 2^32 `f64` softplus and σ evaluations: run by hand,
/// `cargo test --release --test loss -- --ignored --nocapture`; the result
/// is quoted next to the bounds in `src/loss.rs`.
#[test]
#[ignore = "exhaustive: minutes on all cores"]
fn exhaustive_binary_target_every_logit() {
    use rayon::prelude::*;
    use sigmoid_kernels::reference::{sigmoid_f64, softplus_f64};
    const PIECE: u64 = 1 << 20;
    let worst = (0..(1u64 << 32) / PIECE)
        .into_par_iter()
        .map(|p| {
            let x: Vec<f32> = (p * PIECE..(p + 1) * PIECE)
                .map(|b| f32::from_bits(b as u32))
                .collect();
            let t = vec![1.0f32; x.len()];
            let (mut out, mut dx) = (vec![0.0f32; x.len()], vec![0.0f32; x.len()]);
            let b = Backend::best_simd();
            bce_with_logits_elementwise_grad_on(b, &x, &t, &NONE, &mut out, &mut dx).unwrap();
            let (mut lw, mut gw) = ((0.0f64, 0.0f32), (0.0f64, 0.0f32));
            for i in 0..x.len() {
                let xv = f64::from(x[i]);
                let el = loss_err(out[i], softplus_f64(-xv));
                let eg = ulp_error(dx[i], -sigmoid_f64(-xv));
                if el > lw.0 || el.is_nan() {
                    lw = (el, x[i]);
                }
                if eg > gw.0 || eg.is_nan() {
                    gw = (eg, x[i]);
                }
            }
            (lw, gw)
        })
        .reduce(
            || ((0.0, 0.0), (0.0, 0.0)),
            |a, b| {
                let pick =
                    |u: (f64, f32), v: (f64, f32)| if v.0 > u.0 || v.0.is_nan() { v } else { u };
                (pick(a.0, b.0), pick(a.1, b.1))
            },
        );
    let b = Backend::best_simd();
    println!(
        "{b}: loss max {:.4} ULP at x = {:e}",
        worst.0 .0, worst.0 .1
    );
    println!(
        "{b}: gradient max {:.4} ULP at x = {:e}",
        worst.1 .0, worst.1 .1
    );
    assert!(worst.0 .0 <= BCE_BINARY_MAX_ULP, "loss {:?}", worst.0);
    assert!(worst.1 .0 <= BCE_GRAD_MAX_ULP, "gradient {:?}", worst.1);
}
