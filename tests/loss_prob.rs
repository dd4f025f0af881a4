//! BCE on probabilities (`loss::bce`, PyTorch's `BCELoss`) against the
//! `f64` oracle in `reference`, its clamps and special values, and the
//! Keras reductions (`Reduction::MeanLastAxis`, per-sample losses) of both
//! loss forms.

mod support;

use sigmoid_kernels::loss::{
    bce, bce_elementwise, bce_elementwise_grad, bce_grad, bce_with_logits,
    bce_with_logits_elementwise, bce_with_logits_grad, bce_with_logits_per_sample, BceOptions,
    LossError, Reduction, BCE_PROB_MAX_ULP, BCE_REDUCTION_MAX_ULP, LOSS_CHUNK,
};
use sigmoid_kernels::reference::{bce_f64, bce_grad_f64, ulp_error, ulp_f32};
use support::Rng;

const NONE: BceOptions<'static> = BceOptions {
    weight: None,
    pos_weight: None,
    label_smoothing: 0.0,
};

/// Every 263rd bit pattern in [0, 1] (≈ 4M probabilities, every binade and
/// both ends) with t ∈ {0, 1} and no weights, then a fractional target,
/// weights, pos_weight and smoothing: loss and gradient within
/// `BCE_PROB_MAX_ULP` (the gradient in ULPs of the larger of its terms).
#[test]
fn probabilities_within_the_bound() {
    let mut p: Vec<f32> = (0..=1.0f32.to_bits())
        .step_by(263)
        .map(f32::from_bits)
        .collect();
    p.extend([
        0.0,
        1.0,
        1e-7,
        1.0 - 1e-7,
        0.5,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
    ]);
    p.extend([1.0 - f32::EPSILON / 2.0, f32::from_bits(27)]);
    let n = p.len();
    let mut rng = Rng(8);
    let tf: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let w: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 4.0)).collect();
    let pw = [0.5f32, 1.0, 3.0];
    let m = n - n % 3;
    let weighted = BceOptions {
        weight: Some(&w[..m]),
        pos_weight: Some(&pw),
        label_smoothing: 0.1,
    };
    let mut worst = (0.0f64, String::new());
    let mut check = |p: &[f32], t: &[f32], o: &BceOptions<'_>, wf: &dyn Fn(usize) -> (f32, f32)| {
        let k = p.len();
        let (mut out, mut dp) = (vec![f32::NAN; k], vec![f32::NAN; k]);
        bce_elementwise_grad(p, t, o, &mut out, &mut dp).unwrap();
        for i in 0..k {
            let (wi, pwi) = wf(i);
            let eps = o.label_smoothing;
            let want = bce_f64(p[i], t[i], wi, pwi, eps);
            let e = ulp_error(out[i], want);
            // The gradient's terms: w·(1 − t')·p and w·pw·t'·(1 − p), over the floored denominator.
            let g = bce_grad_f64(p[i], t[i], wi, pwi, eps);
            let ts = f64::from(t[i]) * (1.0 - f64::from(eps)) + f64::from(eps) / 2.0;
            let (pv, den) = (
                f64::from(p[i]),
                (f64::from(p[i]) * (1.0 - f64::from(p[i]))).max(1e-12),
            );
            let ta = (f64::from(wi) * (1.0 - ts) * pv / den).abs();
            let tb = (f64::from(wi) * f64::from(pwi) * ts * (1.0 - pv) / den).abs();
            let eg = (f64::from(dp[i]) - g).abs() / ulp_f32(ta.max(tb));
            for (err, what, got, want) in [(e, "loss", out[i], want), (eg, "grad", dp[i], g)] {
                if err > worst.0 || err.is_nan() {
                    worst = (err, format!("{what}: p = {:e}, t = {}, w = {wi}, pw = {pwi}: got {got:e}, want {want:e}", p[i], t[i]));
                }
            }
        }
    };
    for tv in [0.0f32, 1.0] {
        check(&p, &vec![tv; n], &NONE, &|_| (1.0, 1.0));
    }
    check(&p[..m], &tf[..m], &weighted, &|i| (w[i], pw[i % 3]));
    println!("max error {:.3} at {}", worst.0, worst.1);
    assert!(
        worst.0 <= BCE_PROB_MAX_ULP,
        "error {} > {BCE_PROB_MAX_ULP} at {}",
        worst.0,
        worst.1
    );
}

/// PyTorch's values: each log clamped at −100 (p = 0 with t = 1 costs 100,
/// not ∞), the gradient (p − t)/max(p·(1 − p), 1e−12).
#[test]
fn pytorch_clamps() {
    let p = [0.0f32, 1.0, 0.0, 1.0, 0.25, 0.5];
    let t = [1.0f32, 0.0, 0.0, 1.0, 1.0, 0.5];
    let (mut out, mut dp) = ([f32::NAN; 6], [f32::NAN; 6]);
    bce_elementwise_grad(&p, &t, &NONE, &mut out, &mut dp).unwrap();
    assert_eq!(
        out,
        [100.0, 100.0, 0.0, 0.0, 4f32.ln(), core::f32::consts::LN_2]
    );
    assert_eq!(dp, [-1e12, 1e12, 0.0, 0.0, -4.0, 0.0]);
    // Keras would clip p = 1e−8 to 1e−7 (loss 16.118); PyTorch and this: −ln 1e−8.
    let mut o = [0.0f32];
    bce_elementwise(&[1e-8], &[1.0], &NONE, &mut o).unwrap();
    assert!((o[0] - 18.420_681).abs() < 1e-5, "{}", o[0]);
}

#[test]
fn probability_errors_and_nan() {
    let t = [1.0f32; 3];
    let bad = [0.5f32, 1.5, 0.2];
    let e = bce(&bad, &t, &NONE, Reduction::Mean).unwrap_err();
    assert_eq!(
        e,
        LossError::Probability {
            index: 1,
            value: 1.5
        }
    );
    let msg = e.to_string();
    assert!(
        msg.contains("p[1] = 1.5") && msg.contains("[0, 1]"),
        "{msg}"
    );
    let neg = [-1e-30f32, 0.5, 0.5];
    assert!(matches!(
        bce(&neg, &t, &NONE, Reduction::Sum),
        Err(LossError::Probability { index: 0, .. })
    ));
    let mut dp = [7.0f32; 3];
    assert!(bce_grad(&bad, &t, &NONE, Reduction::Sum, &mut dp).is_err());
    assert_eq!(dp, [7.0; 3], "nothing written on an error");
    // NaN (and −0) are not errors: NaN in that element and the reduction.
    let p = [0.5f32, f32::NAN, -0.0];
    let mut out = [0.0f32; 3];
    bce_elementwise(&p, &t, &NONE, &mut out).unwrap();
    assert!(out[1].is_nan() && out[0] == core::f32::consts::LN_2 && out[2] == 100.0);
    assert!(bce(&p, &t, &NONE, Reduction::Mean).unwrap().is_nan());
    let tn = [0.5f32, f32::NAN, 0.5];
    assert!(bce(&[0.5, 0.5, 0.5], &tn, &NONE, Reduction::Sum)
        .unwrap()
        .is_nan());
    let mut dp = [0.0f32; 3];
    bce_grad(&p, &t, &NONE, Reduction::Sum, &mut dp).unwrap();
    assert!(dp[1].is_nan() && !dp[0].is_nan());
}

/// Keras' reduction: the same value as Mean (to the bit here), the
/// gradient likewise; the class count must divide the length; the
/// per-sample vector is the row means.
#[test]
fn mean_last_axis_and_per_sample() {
    let classes = 5;
    let n = 5 * (3 * LOSS_CHUNK / 5 + 9); // over three chunks
    let mut rng = Rng(17);
    let x: Vec<f32> = (0..n).map(|_| rng.uniform(-12.0, 12.0)).collect();
    let t: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let p: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let keras = Reduction::MeanLastAxis(classes);
    let mean = bce_with_logits(&x, &t, &NONE, Reduction::Mean).unwrap();
    assert_eq!(
        bce_with_logits(&x, &t, &NONE, keras).unwrap().to_bits(),
        mean.to_bits()
    );
    let (mut g1, mut g2) = (vec![0.0f32; n], vec![0.0f32; n]);
    bce_with_logits_grad(&x, &t, &NONE, Reduction::Mean, &mut g1).unwrap();
    bce_with_logits_grad(&x, &t, &NONE, keras, &mut g2).unwrap();
    assert!(g1 == g2);
    let pm = bce(&p, &t, &NONE, Reduction::Mean).unwrap();
    assert_eq!(bce(&p, &t, &NONE, keras).unwrap().to_bits(), pm.to_bits());

    // The per-sample losses: row means of the elementwise losses; their
    // mean is the reduction, within 1 ULP.
    let mut l = vec![0.0f32; n];
    bce_with_logits_elementwise(&x, &t, &NONE, &mut l).unwrap();
    let mut rows = vec![0.0f32; n / classes];
    bce_with_logits_per_sample(&x, &t, &NONE, classes, &mut rows).unwrap();
    for (b, r) in rows.iter().enumerate() {
        let want: f64 = l[b * classes..(b + 1) * classes]
            .iter()
            .map(|&v| f64::from(v))
            .sum::<f64>()
            / classes as f64;
        assert!(
            ulp_error(*r, want) <= BCE_REDUCTION_MAX_ULP,
            "sample {b}: {r} vs {want}"
        );
    }
    let of_rows = rows.iter().map(|&v| f64::from(v)).sum::<f64>() / rows.len() as f64;
    assert!(
        ulp_error(mean, of_rows) <= BCE_REDUCTION_MAX_ULP,
        "{mean} vs the mean of the sample means {of_rows}"
    );

    // Bad class counts.
    for c in [0usize, 7] {
        let want = LossError::Classes { classes: c, len: n };
        assert_eq!(
            bce_with_logits(&x, &t, &NONE, Reduction::MeanLastAxis(c)),
            Err(want.clone())
        );
        assert_eq!(
            bce(&p, &t, &NONE, Reduction::MeanLastAxis(c)),
            Err(want.clone())
        );
        let mut r = vec![0.0f32; 1];
        assert_eq!(
            bce_with_logits_per_sample(&x, &t, &NONE, c, &mut r),
            Err(want)
        );
    }
    assert!(LossError::Classes { classes: 7, len: n }
        .to_string()
        .contains("7 classes"));
}

#[test]
#[should_panic(expected = "out.len() = 2")]
fn per_sample_output_length_panics() {
    let x = [0.0f32; 6];
    let _ = bce_with_logits_per_sample(&x, &x, &NONE, 2, &mut [0.0; 2]);
}

/// The same bits with 1 and 2 rayon threads.
#[test]
fn probability_reductions_are_deterministic() {
    let n = 4 * LOSS_CHUNK + 3;
    let mut rng = Rng(23);
    let p: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let t: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut dp = vec![0.0f32; n];
            let m = bce_grad(&p, &t, &NONE, Reduction::Mean, &mut dp).unwrap();
            (m.to_bits(), dp)
        })
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.0, b.0);
    assert!(a.1 == b.1);
}
