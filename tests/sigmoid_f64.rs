//! The `f64` slice kernel `sigmoid_f64` against a double-double (≈ 106-bit)
//! reference: σ in `f64` cannot be measured against the `f64` oracle it is
//! built from, so this file carries its own higher-precision σ (exp by
//! Cody–Waite reduction with a two-word ln 2 and a Taylor series, all in
//! double-double arithmetic). Its own error, ~2^−100 relative, is far below
//! the 2^−53 being measured.

use sigmoid_kernels::{sigmoid_f64, sigmoid_f64_inplace, SIGMOID_F64_MAX_ULP};

/// An unevaluated sum hi + lo with |lo| ≤ ulp(hi)/2.
#[derive(Clone, Copy, Debug)]
struct Dd {
    hi: f64,
    lo: f64,
}

fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    Dd {
        hi: s,
        lo: (a - (s - bb)) + (b - bb),
    }
}

fn quick_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    Dd {
        hi: s,
        lo: b - (s - a),
    }
}

fn add(a: Dd, b: Dd) -> Dd {
    let s = two_sum(a.hi, b.hi);
    let t = two_sum(a.lo, b.lo);
    let s = quick_two_sum(s.hi, s.lo + t.hi);
    quick_two_sum(s.hi, s.lo + t.lo)
}

fn mul(a: Dd, b: Dd) -> Dd {
    let p = a.hi * b.hi;
    let e = a.hi.mul_add(b.hi, -p);
    quick_two_sum(p, e + (a.hi * b.lo + a.lo * b.hi))
}

fn div(a: Dd, b: Dd) -> Dd {
    // Two Newton-style correction steps of the quotient.
    let q1 = a.hi / b.hi;
    let r = add(a, neg(mul(b, dd(q1))));
    let q2 = r.hi / b.hi;
    let r = add(r, neg(mul(b, dd(q2))));
    let q3 = r.hi / b.hi;
    add(quick_two_sum(q1, q2), dd(q3))
}

fn neg(a: Dd) -> Dd {
    Dd {
        hi: -a.hi,
        lo: -a.lo,
    }
}

fn dd(x: f64) -> Dd {
    Dd { hi: x, lo: 0.0 }
}

/// e^x = 2^k · m for finite x in [−800, 800], m in double-double, m ∈ [0.7, 1.5].
fn exp_scaled(x: f64) -> (i32, Dd) {
    const LN2: Dd = Dd {
        hi: f64::from_bits(0x3FE6_2E42_FEFA_39EF),
        lo: f64::from_bits(0x3C7A_BC9E_3B39_803F),
    };
    let k = (x / LN2.hi).round();
    let r = add(dd(x), neg(mul(dd(k), LN2)));
    // Taylor series to n = 30: |r| ≤ 0.35, 0.35^31/31! < 2^−130.
    let mut p = dd(1.0);
    for n in (1..=30).rev() {
        p = add(dd(1.0), div(mul(r, p), dd(f64::from(n))));
    }
    (k as i32, p)
}

/// σ(x) = 2^k · q exactly to double-double precision, for finite x.
fn sigmoid_dd(x: f64) -> (i32, Dd) {
    let scale = |m: Dd, k: i32| Dd {
        hi: libm::ldexp(m.hi, k),
        lo: libm::ldexp(m.lo, k),
    };
    if x >= 0.0 {
        // 1/(1 + e^−x); e^−x ≤ 1, its scaled low word only matters relative to 1.
        let (k, m) = exp_scaled(-x);
        (0, div(dd(1.0), add(dd(1.0), scale(m, k))))
    } else {
        // e^x/(1 + e^x) = 2^k · m/(1 + 2^k·m), kept scaled so subnormal results
        // are measured exactly.
        let (k, m) = exp_scaled(x);
        (k, div(m, add(dd(1.0), scale(m, k))))
    }
}

/// Error of `y` in `f64` ULPs of the true σ(x): |y − σ| / ulp(σ), with ulp
/// the spacing of `f64` at σ (2^−1074 below 2^−1022).
fn ulp_error(x: f64, y: f64) -> f64 {
    let (k, q) = sigmoid_dd(x);
    // y·2^−k is exact (y is σ to within a few ulps, so it stays normal).
    let d = add(dd(libm::ldexp(y, -k)), neg(q));
    let e = k + libm::ilogb(q.hi);
    let ulp_scaled = libm::ldexp(1.0, e.max(-1022) - 52 - k);
    (d.hi + d.lo).abs() / ulp_scaled
}

fn sample() -> Vec<f64> {
    let mut xs: Vec<f64> = Vec::new();
    // Dense over the whole interesting range: below −745.2 σ rounds to 0,
    // above 37.5 to 1.
    let n = if cfg!(debug_assertions) {
        20_000
    } else {
        2_000_000
    };
    xs.extend((0..=n).map(|i| -760.0 + 800.0 * f64::from(i) / f64::from(n)));
    // Fine near 0, where most activations are, and around the edges.
    xs.extend((0..=n / 4).map(|i| -8.0 + 16.0 * f64::from(i) / f64::from(n / 4)));
    // ±1000 ULPs around the edges: the underflow, the subnormal boundary,
    // where σ rounds to 1, and the smallest magnitudes of both signs.
    for edge in [
        -745.13,
        -708.4,
        -36.7,
        36.7,
        37.4,
        f64::from_bits(1000),
        -f64::from_bits(1000),
    ] {
        let b = f64::to_bits(edge);
        xs.extend((0..2000u64).map(|i| f64::from_bits(b - 1000 + i)));
    }
    // Fixed-seed random bit patterns, kept where σ is not trivially 0 or 1.
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let want = xs.len() + n as usize / 10;
    while xs.len() < want {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let v = f64::from_bits(s);
        if v.abs() < 800.0 {
            xs.push(v);
        }
    }
    xs
}

#[test]
fn sigmoid_f64_error_is_within_the_documented_bound() {
    let xs = sample();
    let mut ys = vec![0.0; xs.len()];
    sigmoid_f64(&xs, &mut ys);
    let (mut worst, mut at) = (0.0f64, 0.0f64);
    for (&x, &y) in xs.iter().zip(&ys) {
        let e = ulp_error(x, y);
        assert!(
            (0.0..=1.0).contains(&y),
            "sigmoid_f64({x:e}) = {y:e} outside [0, 1]"
        );
        if e > worst || e.is_nan() {
            (worst, at) = (e, x);
        }
    }
    println!(
        "sigmoid_f64: max {worst:.3} ULP at x = {at:e} over {} inputs",
        xs.len()
    );
    assert!(
        worst <= SIGMOID_F64_MAX_ULP,
        "sigmoid_f64: {worst} ULP at x = {at:e} exceeds the documented {SIGMOID_F64_MAX_ULP}"
    );
}

#[test]
fn the_reference_is_itself_right() {
    // Values from mpmath at 60 digits, split into the nearest f64 and the
    // f64 nearest the rest: the reference must match both words, or the
    // test above measures nothing.
    for (x, hi, lo) in [
        (1.0, 0.731_058_578_630_004_9, -1.679_727_399_649_845e-17),
        (-30.0, 9.357_622_968_839_299e-14, 8.837_142_511_495_094e-31),
    ] {
        let (k, q) = sigmoid_dd(x);
        let (hi_got, lo_got) = (libm::ldexp(q.hi, k), libm::ldexp(q.lo, k));
        assert_eq!(hi_got, hi, "σ({x}) high word");
        assert!(
            (lo_got - lo).abs() <= lo.abs() * 1e-6,
            "σ({x}) low word {lo_got:e}, want {lo:e}"
        );
    }
    // σ(−700) = 9.859676543759770856705e−305 (scaled, so no subnormal loss).
    let (k, q) = sigmoid_dd(-700.0);
    assert_eq!(libm::ldexp(q.hi, k), 9.859_676_543_759_77e-305);
    // And the metric: an exact f64 σ(0) = 0.5 is 0 ULP, its neighbour 1 ULP.
    assert_eq!(ulp_error(0.0, 0.5), 0.0);
    assert_eq!(ulp_error(0.0, f64::from_bits(0.5f64.to_bits() + 1)), 1.0);
}

#[test]
fn sigmoid_f64_special_values_monotonicity_and_inplace() {
    let specials = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        f64::MAX,
        -f64::MAX,
        f64::MIN_POSITIVE,
        -f64::from_bits(1),
        -745.2,
    ];
    let mut y = [9.0; 10];
    sigmoid_f64(&specials, &mut y);
    assert!(y[0].is_nan());
    assert_eq!(
        y[1..].iter().map(|v| v.to_bits()).collect::<Vec<_>>()[..4],
        { [1.0f64, 0.0, 0.5, 0.5].map(f64::to_bits) }
    );
    assert_eq!(y[5], 1.0);
    assert_eq!(y[6].to_bits(), 0.0f64.to_bits());
    assert_eq!(y[7], 0.5);
    assert_eq!(y[8], 0.5);
    assert_eq!(y[9].to_bits(), 0.0f64.to_bits());
    // Monotone over a sorted sample; in place equals out of place, and the
    // threaded path (long input) equals the serial one.
    let mut xs = sample();
    xs.sort_by(f64::total_cmp);
    let mut ys = vec![0.0; xs.len()];
    sigmoid_f64(&xs, &mut ys);
    for (i, w) in ys.windows(2).enumerate() {
        assert!(
            w[0] <= w[1],
            "not monotone at x = {:e}, {:e}",
            xs[i],
            xs[i + 1]
        );
    }
    let mut inplace = xs.clone();
    sigmoid_f64_inplace(&mut inplace);
    assert!(inplace
        .iter()
        .zip(&ys)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    let serial: Vec<f64> = xs
        .iter()
        .map(|&x| sigmoid_kernels::reference::sigmoid_f64(x))
        .collect();
    assert!(serial
        .iter()
        .zip(&ys)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
#[should_panic(expected = "x.len() = 3, y.len() = 2")]
fn sigmoid_f64_length_mismatch_panics_naming_both() {
    sigmoid_f64(&[0.0; 3], &mut [0.0; 2]);
}
