//! Gradient health statistics: exact expected values on small arrays, a
//! naive element-by-element oracle on large ones (counts and histogram
//! exactly, sums to f64 rounding), NaN/±∞ anywhere, every tail length, and
//! the same bits for any thread count and on every backend.

use sigmoid_kernels::check::Rng;
use sigmoid_kernels::stats::{
    saturation, GradStats, CHUNK, DEFAULT_THRESHOLD, HIST_MAX_EXP, HIST_MIN_EXP,
};
use sigmoid_kernels::Backend;

/// The bucket of one finite element, the obvious way: its label as in
/// `Histogram::buckets`.
fn naive_bucket(x: f32) -> String {
    let a = f64::from(x.abs());
    if a == 0.0 {
        "0".into()
    } else if a < f64::from(f32::MIN_POSITIVE) {
        "subnormal".into()
    } else {
        let e = a.log2().floor() as i32;
        if e < HIST_MIN_EXP {
            format!("<2^{HIST_MIN_EXP}")
        } else if e >= HIST_MAX_EXP {
            format!(">=2^{HIST_MAX_EXP}")
        } else {
            format!("2^{e}")
        }
    }
}

/// Every statistic the naive way, compared with `GradStats::with_threshold`.
fn check_against_naive(g: &[f32], threshold: f32) -> GradStats {
    let s = GradStats::with_threshold(g, threshold);
    let finite: Vec<f32> = g.iter().copied().filter(|x| x.is_finite()).collect();
    assert_eq!(s.count, g.len() as u64);
    assert_eq!(s.nan, g.iter().filter(|x| x.is_nan()).count() as u64);
    assert_eq!(
        s.pos_inf,
        g.iter().filter(|&&x| x == f32::INFINITY).count() as u64
    );
    assert_eq!(
        s.neg_inf,
        g.iter().filter(|&&x| x == f32::NEG_INFINITY).count() as u64
    );
    assert_eq!(s.finite(), finite.len() as u64);
    let sq: f64 = finite.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    let ab: f64 = finite.iter().map(|&x| f64::from(x.abs())).sum();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs() || a == b;
    assert!(
        close(s.l2_norm, sq.sqrt()),
        "{} vs {}",
        s.l2_norm,
        sq.sqrt()
    );
    if !finite.is_empty() {
        assert!(close(s.mean_abs, ab / finite.len() as f64));
    }
    let mx = finite.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
    assert_eq!(s.max_abs, mx);
    assert_eq!(
        s.below,
        finite.iter().filter(|x| x.abs() < threshold).count() as u64
    );
    let buckets = s.histogram.buckets();
    let mut want: Vec<u64> = vec![0; buckets.len()];
    for &x in &finite {
        let b = naive_bucket(x);
        let i = buckets.iter().position(|(l, _)| *l == b).expect("a bucket");
        want[i] += 1;
    }
    let got: Vec<u64> = buckets.iter().map(|b| b.1).collect();
    assert_eq!(got, want, "histogram");
    s
}

#[test]
fn exact_values_on_a_small_array() {
    let g = [
        3.0f32,
        -4.0,
        0.0,
        -0.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e-9,
        f32::from_bits(1),
        1024.0,
        1e-13,
        0.75,
    ];
    let s = GradStats::of(&g);
    assert_eq!(s.count, 12);
    assert_eq!((s.nan, s.pos_inf, s.neg_inf), (1, 1, 1));
    assert_eq!(s.finite(), 9);
    assert_eq!(s.max_abs, 1024.0);
    // 0, -0, 1e-9, the subnormal and 1e-13 are below 2^-23.
    assert_eq!(s.below, 5);
    assert_eq!(s.threshold, DEFAULT_THRESHOLD);
    assert_eq!(s.fraction_below(), 5.0 / 9.0);
    let sq = [3.0f32, 4.0, 1e-9, f32::from_bits(1), 1024.0, 1e-13, 0.75]
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>();
    assert_eq!(s.l2_norm, sq.sqrt());
    let h = &s.histogram;
    assert_eq!((h.zero, h.subnormal, h.below, h.above), (2, 1, 1, 1));
    assert_eq!(h.binades.len(), (HIST_MAX_EXP - HIST_MIN_EXP) as usize);
    let at = |e: i32| h.binades[(e - HIST_MIN_EXP) as usize];
    assert_eq!(at(1), 1); // 3
    assert_eq!(at(2), 1); // 4
    assert_eq!(at(-1), 1); // 0.75
    assert_eq!(at(-30), 1); // 1e-9 = 1.07·2^-30
    assert_eq!(h.binades.iter().sum::<u64>(), 4);
    let b = h.buckets();
    assert_eq!(b[0], ("0".to_string(), 2));
    assert_eq!(b[3].0, "2^-40");
    assert_eq!(b.last().cloned(), Some((">=2^10".to_string(), 1)));
}

#[test]
fn empty_and_all_nan() {
    let s = GradStats::of(&[]);
    assert_eq!((s.count, s.l2_norm, s.max_abs), (0, 0.0, 0.0));
    assert!(s.mean_abs.is_nan() && s.fraction_below().is_nan());
    let s = GradStats::of(&[f32::NAN; 40]);
    assert_eq!((s.count, s.nan, s.finite(), s.l2_norm), (40, 40, 0, 0.0));
    assert!(saturation(&[], 0.01).is_nan());
}

#[test]
fn every_tail_length_and_nonfinite_anywhere() {
    let mut rng = Rng(0x57a7_5eed);
    for n in 0..70 {
        let mut g: Vec<f32> = (0..n)
            .map(|_| f32::from_bits(rng.next_u32() & 0xbfff_ffff))
            .collect();
        check_against_naive(&g, DEFAULT_THRESHOLD);
        if n > 0 {
            let i = rng.next_u32() as usize % n;
            g[i] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][n % 3];
            check_against_naive(&g, 1e-3);
        }
    }
}

fn big(n: usize) -> Vec<f32> {
    let mut rng = Rng(0xb16_5eed);
    (0..n)
        .map(|i| {
            let v = rng.next_u32();
            match i % 5 {
                // Gradients of every magnitude, NaN and ±∞ included.
                0 => f32::from_bits(v),
                1 => 0.0,
                _ => rng.uniform(-1.0, 1.0) * 2f32.powi((v % 60) as i32 - 50),
            }
        })
        .collect()
}

#[test]
fn large_arrays_match_the_naive_oracle() {
    let mut g = big(3 * CHUNK + 777);
    g[CHUNK + 5] = f32::INFINITY;
    g[2 * CHUNK - 1] = f32::NEG_INFINITY;
    let s = check_against_naive(&g, 1e-6);
    assert!(s.nan > 0 && s.pos_inf + s.neg_inf > 0);
}

#[test]
fn same_bits_for_any_thread_count() {
    let g = big(20 * CHUNK + 123);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool")
            .install(|| (GradStats::of(&g), saturation(&g, 0.01)))
    };
    let one = run(1);
    for t in [2, 3, 4, 7] {
        let other = run(t);
        assert_eq!(other.0, one.0, "{t} threads");
        assert_eq!(other.0.l2_norm.to_bits(), one.0.l2_norm.to_bits());
        assert_eq!(other.0.mean_abs.to_bits(), one.0.mean_abs.to_bits());
        assert_eq!(other.1.to_bits(), one.1.to_bits());
    }
}

#[test]
fn every_backend_gives_the_same_bits() {
    let mut g = big(2 * CHUNK + 4321);
    g[CHUNK + 100] = f32::NAN; // the second chunk takes the non-finite path
    let bits = |s: &GradStats| (s.l2_norm.to_bits(), s.mean_abs.to_bits());
    // Block (256) and lane (16) boundaries ±1, unaligned starts, whole chunks.
    for (start, n) in [
        (0, 1),
        (1, 15),
        (3, 16),
        (5, 17),
        (0, 255),
        (7, 256),
        (2, 257),
        (1, 1000),
    ]
    .into_iter()
    .chain([(0, CHUNK), (9, g.len() - 9)])
    // Every start within a 64-byte line (the AVX-512 kernel reads whole
    // vectors from aligned addresses), chunk-sized and short.
    .chain((0..16).flat_map(|s| [(s, 700), (s, 9), (s + 16, CHUNK)]))
    {
        let g = &g[start..start + n];
        // 2^-23 (the default) and 2^-40 are bin boundaries, 1e-4 is not.
        for t in [1e-4, DEFAULT_THRESHOLD, 2f32.powi(-40)] {
            let want = GradStats::with_threshold_on(Backend::Scalar, g, t);
            for b in Backend::available() {
                let s = GradStats::with_threshold_on(b, g, t);
                assert_eq!(s, want, "{} on {n} elements from {start}", b.name());
                assert_eq!(bits(&s), bits(&want), "{} on {n} elements", b.name());
            }
        }
    }
}

#[test]
fn saturation_counts_outputs_near_0_and_1() {
    // y(1−y) < 0.01 ⇔ y < 0.0101… or y > 0.9898…
    let y = [
        0.5f32,
        0.999,
        0.001,
        0.9,
        0.01,
        0.99,
        0.0,
        1.0,
        f32::NAN,
        0.02,
    ];
    // 0.999, 0.001, 0.01 (0.0099), 0.99 (0.0099), 0, 1: 6 of 10.
    assert_eq!(saturation(&y, 0.01), 0.6);
    assert_eq!(saturation(&y, 0.0), 0.0);
    assert_eq!(saturation(&y, 0.25), 0.8); // all but 0.5 and NaN
                                           // σ of a ramp over [-10, 10]: y(1−y) < 0.01 for |x| > 4.58476.
    let x: Vec<f32> = (0..200_001).map(|i| -10.0 + i as f32 * 1e-4).collect();
    let mut y = vec![0.0f32; x.len()];
    sigmoid_kernels::sigmoid(&x, &mut y);
    let f = saturation(&y, 0.01);
    assert!((f - (10.0 - 4.58476) / 10.0).abs() < 1e-4, "{f}");
}

#[test]
fn one_bin_can_hold_a_whole_chunk() {
    // Every element of a chunk in the same bucket: the largest count any
    // backend's counters must hold.
    for (v, bucket) in [
        (0.0f32, "0"),
        (-1.5, "2^0"),
        (f32::from_bits(3), "subnormal"),
        (1e30, ">=2^10"),
    ] {
        let g = vec![v; CHUNK];
        for b in Backend::available() {
            let s = GradStats::with_threshold_on(b, &g, 1.0);
            let h = s.histogram.buckets();
            let got: Vec<_> = h.iter().filter(|x| x.1 > 0).cloned().collect();
            assert_eq!(got, [(bucket.to_string(), CHUNK as u64)], "{}", b.name());
            assert_eq!(s.below, if v.abs() < 1.0 { CHUNK as u64 } else { 0 });
        }
    }
}
