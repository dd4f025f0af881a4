//! SiLU x·σ(x), its fast tier and its gradient on every CPU backend,
//! against the `f64` oracle: the forward tiers through the shared checker,
//! the gradient through `check::silu_backward_error` (absolute, in ULPs of
//! the larger term). Large strided sets here; all 2^32 forward inputs in
//! `tests/exhaustive.rs` (ignored, run by hand).

mod support;

use sigmoid_kernels::check::Func;
use sigmoid_kernels::cpu::PAR_CHUNK;
use sigmoid_kernels::reference;
use sigmoid_kernels::{Backend, SILU_BACKWARD_MAX_ULP, SILU_FAST_MAX_REL, SILU_MAX_ULP};
use support::*;

const EXACT: Bound = Bound::Ulp(SILU_MAX_ULP);

/// Whether two outputs are the same bits, or both NaN.
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Every `step`-th finite f32 in ascending order from `lo` to `hi`.
fn walk(lo: f32, hi: f32, step: usize) -> Vec<f32> {
    let key = |x: f32| -> i64 {
        let b = x.to_bits() as i32;
        if b < 0 {
            -i64::from(b & 0x7fff_ffff)
        } else {
            i64::from(b)
        }
    };
    (key(lo)..=key(hi))
        .step_by(step)
        .map(|k| {
            if k < 0 {
                f32::from_bits((-k) as u32 | 0x8000_0000)
            } else {
                f32::from_bits(k as u32)
            }
        })
        .collect()
}

/// The exact tier over `xs` on `b`: bound, NaN, range; the in-place form
/// gives the same bits. Returns the stats.
fn check_exact(b: Backend, what: &str, xs: &[f32]) -> check::Stats {
    let mut ys = vec![f32::NAN; xs.len()];
    b.silu(xs, &mut ys);
    let s = check::of(Func::Silu, EXACT, xs, &[], &ys);
    s.assert_holds(&format!("{b} silu {what}"), EXACT, false);
    let mut inplace = xs.to_vec();
    b.silu_inplace(&mut inplace);
    for (i, (&a, &c)) in ys.iter().zip(&inplace).enumerate() {
        assert!(same(a, c), "{b} silu {what}: in-place differs at {i}");
    }
    s
}

/// The fast tier over `xs` on `b`: relative error ≤ the bound where
/// σ(x) ≥ 2^−126; below, between x·σ(x)·(1 + bound) and −0; NaN for NaN.
/// Returns the max relative error.
fn check_fast(b: Backend, what: &str, xs: &[f32]) -> f64 {
    let mut ys = vec![f32::NAN; xs.len()];
    b.silu_fast(xs, &mut ys);
    let mut inplace = xs.to_vec();
    b.silu_fast_inplace(&mut inplace);
    let mut worst = 0.0f64;
    for (i, (&x, &y)) in xs.iter().zip(&ys).enumerate() {
        assert!(same(y, inplace[i]), "{b} silu_fast {what}: in-place at {i}");
        let want = reference::silu_f64(f64::from(x));
        if want.is_nan() || want.is_infinite() || want == 0.0 {
            assert!(
                same(y, want as f32),
                "{b} silu_fast {what}: x={x:e}: got {y:e}, want {want:e}"
            );
            continue;
        }
        let g = f64::from(y);
        if want.abs() < f64::from(f32::MIN_POSITIVE) && (g - want).abs() <= 1.5e-45 {
            continue; // within one subnormal spacing (tiny x: x/2, rounded)
        }
        if reference::sigmoid_f64(f64::from(x)) >= f64::from(f32::MIN_POSITIVE) {
            let rel = (g - want).abs() / want.abs();
            worst = worst.max(rel);
            assert!(
                rel <= SILU_FAST_MAX_REL,
                "{b} silu_fast {what}: x={x:e}: got {y:e}, want {want:e}: rel {rel:e}"
            );
        } else {
            assert!(
                g <= 0.0 && g >= want * (1.0 + SILU_FAST_MAX_REL),
                "{b} silu_fast {what}: x={x:e}: got {y:e}, want {want:e} (flush range)"
            );
        }
    }
    worst
}

fn check_forward(b: Backend) {
    if !b.is_available() {
        println!("{b} not available on this CPU: skipped");
        return;
    }
    let around: &[usize] = if b == Backend::Parallel {
        &[PAR_CHUNK]
    } else {
        &[]
    };
    let mut rng = Rng(0x5110_0f5a_f7e1_u64);
    for n in lengths(around) {
        for offset in [0usize, 1, 3] {
            let buf: Vec<f32> = (0..n + offset)
                .map(|_| rng.uniform(-120.0, 120.0))
                .collect();
            let what = format!("len {n} offset {offset}");
            check_exact(b, &what, &buf[offset..]);
            check_fast(b, &what, &buf[offset..]);
        }
    }
    check_exact(b, "edges", &silu_edges());
    check_fast(b, "edges", &silu_edges());
    for lane in 0..17 {
        let mut v = vec![0.25f32; 17];
        v[lane] = f32::NAN;
        check_exact(b, "NaN lane", &v);
    }
    // Strided sweep of the whole bit space (16.9M inputs) and a dense walk
    // over where SiLU is neither x nor 0.
    let sweep = strided(251, 7);
    let s = check_exact(b, "strided sweep", &sweep);
    println!("{b} silu: worst over the strided sweep {}", s.ulp);
    let dense = walk(-115.0, 30.0, 97);
    let s = check_exact(b, "dense walk", &dense);
    println!("{b} silu: worst over the dense walk {}", s.ulp);
    let rel = check_fast(b, "strided sweep", &sweep).max(check_fast(b, "dense walk", &dense));
    println!("{b} silu_fast: max relative error {rel:e}");
    // Special values, bit for bit, both tiers.
    let x = [
        f32::NAN,
        f32::NEG_INFINITY,
        f32::INFINITY,
        0.0,
        -0.0,
        f32::MAX,
        -f32::MAX,
        1e30,
        -1e30,
        -109.0,
    ];
    let want = [
        f32::NAN,
        -0.0,
        f32::INFINITY,
        0.0,
        -0.0,
        f32::MAX,
        -0.0,
        1e30,
        -0.0,
        -0.0,
    ];
    let mut y = vec![0.0f32; x.len()];
    b.silu(&x, &mut y);
    for i in 0..x.len() {
        assert!(same(y[i], want[i]), "{b} silu({:e}) = {:e}", x[i], y[i]);
    }
    b.silu_fast(&x, &mut y);
    for i in 0..x.len() {
        assert!(
            same(y[i], want[i]),
            "{b} silu_fast({:e}) = {:e}",
            x[i],
            y[i]
        );
    }
    // Subnormal results kept: nonzero wherever the rounded reference is.
    let tail = walk(-110.0, -85.0, 3);
    let mut y = vec![0.0f32; tail.len()];
    b.silu(&tail, &mut y);
    for (&x, &y) in tail.iter().zip(&y) {
        if reference::silu(x) != 0.0 {
            assert!(y < 0.0, "{b}: silu({x:e}) = {y:e}");
        }
    }
}

/// The gradient over `x`, `dy` on `b`: every element within the bound,
/// and the in-place form gives the same bits. Returns the worst error and
/// where.
fn check_backward(b: Backend, what: &str, x: &[f32], dy: &[f32]) -> (f64, String) {
    let mut dx = vec![f32::NAN; x.len()];
    b.silu_backward(x, dy, &mut dx);
    let mut inplace = dy.to_vec();
    b.silu_backward_inplace(x, &mut inplace);
    let mut worst = (0.0f64, String::new());
    for i in 0..x.len() {
        assert!(
            same(dx[i], inplace[i]),
            "{b} silu_backward {what}: in-place differs at {i}"
        );
        let e = check::silu_backward_error(x[i], dy[i], dx[i]);
        let at = || {
            format!(
                "x={:e} dy={:e}: got {:e}, want {:e}",
                x[i],
                dy[i],
                dx[i],
                reference::silu_backward_f64(x[i], dy[i])
            )
        };
        assert!(
            e <= SILU_BACKWARD_MAX_ULP,
            "{b} silu_backward {what}: {}: error {e} ULP",
            at()
        );
        if e > worst.0 {
            worst = (e, at());
        }
    }
    worst
}

fn check_gradient(b: Backend) {
    if !b.is_available() {
        println!("{b} not available on this CPU: skipped");
        return;
    }
    let around: &[usize] = if b == Backend::Parallel {
        &[PAR_CHUNK]
    } else {
        &[]
    };
    let mut rng = Rng(0xfeed_5110_1234);
    for n in lengths(around) {
        for offset in [0usize, 1, 5] {
            let x: Vec<f32> = (0..n + offset)
                .map(|_| rng.uniform(-120.0, 120.0))
                .collect();
            let dy: Vec<f32> = (0..n + offset).map(|_| rng.uniform(-4.0, 4.0)).collect();
            check_backward(
                b,
                &format!("len {n} offset {offset}"),
                &x[offset..],
                &dy[..n],
            );
        }
    }
    // x over a strided sweep of the bit space against dy from another,
    // limited to |dy| ≤ 2^100 (above, dy·silu′ may overflow f32 where the
    // f64 value does not).
    let xs = strided(509, 3);
    let dys: Vec<f32> = strided(509, 11)
        .into_iter()
        .map(|d| if d.abs() > 1e30 { d * 1e-10 } else { d })
        .collect();
    let n = xs.len().min(dys.len());
    let w = check_backward(b, "sweep", &xs[..n], &dys[..n]);
    println!(
        "{b} silu_backward: worst over the sweep {} ULP at {}",
        w.0, w.1
    );
    // Dense x in [−210, 40] with dy of several magnitudes, and around the
    // root, where the two terms cancel.
    let xs = walk(-210.0, 40.0, 211);
    for d in [1.0f32, -1.0, 3e38, f32::from_bits(1), 1e-30, 7.5] {
        let dy = vec![d; xs.len()];
        let w = check_backward(b, &format!("dense x, dy = {d:e}"), &xs, &dy);
        if d == 1.0 {
            println!("{b} silu_backward dy = 1: worst {} ULP at {}", w.0, w.1);
        }
    }
    let root = walk(-1.29, -1.27, 1);
    check_backward(b, "root", &root, &vec![1.0; root.len()]);
    check_backward(b, "edges", &silu_edges(), &vec![-1.25; silu_edges().len()]);
    // Special values, bit for bit.
    let x = [
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        0.0,
        -0.0,
        1e30,
        -1e30,
        -3.0,
        2.0,
        // NaN x with an infinite dy, and dy = ±0 where silu′ > 0 (x ≥ 0):
        // dx keeps dy's sign.
        f32::NAN,
        -f32::NAN,
        f32::INFINITY,
        5.0,
        0.0,
        1.0,
    ];
    let dy = [
        -3.0,
        2.0,
        -2.0,
        f32::INFINITY,
        1.0,
        f32::NAN,
        3.0,
        5.0,
        5.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        -0.0,
        -0.0,
        0.0,
    ];
    let want = [
        -3.0,
        -0.0,
        0.0,
        f32::NAN,
        f32::NAN,
        f32::NAN,
        1.5,
        5.0,
        -0.0,
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::NAN,
        -0.0,
        -0.0,
        -0.0,
        0.0,
    ];
    let mut dx = vec![0.0f32; x.len()];
    b.silu_backward(&x, &dy, &mut dx);
    for i in 0..x.len() {
        assert!(
            same(dx[i], want[i]),
            "{b} silu_backward(x={:e}, dy={:e}) = {:e}, want {:e}",
            x[i],
            dy[i],
            dx[i],
            want[i]
        );
    }
}

macro_rules! backend_tests {
    ($($m:ident => $b:expr;)*) => {$(
        mod $m {
            use super::*;
            #[test]
            fn forward() { check_forward($b) }
            #[test]
            fn backward() { check_gradient($b) }
        }
    )*};
}

backend_tests! {
    scalar => Backend::Scalar;
    portable => Backend::Portable;
    avx2_fma => Backend::Avx2Fma;
    avx512 => Backend::Avx512;
    parallel => Backend::Parallel;
}

/// The crate-level functions are the best backend's, bit for bit.
#[test]
fn crate_level_functions_dispatch() {
    let x: Vec<f32> = (0..1000).map(|i| (i as f32 - 500.0) * 0.173).collect();
    let dy: Vec<f32> = (0..1000).map(|i| (i % 7) as f32 - 3.0).collect();
    let best = Backend::best_simd();
    let (mut a, mut c) = (vec![0.0f32; 1000], vec![0.0f32; 1000]);
    sigmoid_kernels::silu(&x, &mut a);
    best.silu(&x, &mut c);
    assert_eq!(a, c);
    sigmoid_kernels::silu_fast(&x, &mut a);
    best.silu_fast(&x, &mut c);
    assert_eq!(a, c);
    sigmoid_kernels::silu_backward(&x, &dy, &mut a);
    best.silu_backward(&x, &dy, &mut c);
    assert_eq!(a, c);
    let mut d = dy.clone();
    sigmoid_kernels::silu_backward_inplace(&x, &mut d);
    assert_eq!(a, d);
    let mut e = x.clone();
    sigmoid_kernels::silu_inplace(&mut e);
    sigmoid_kernels::silu(&x, &mut c);
    assert_eq!(e, c);
}

#[test]
#[should_panic(expected = "silu_backward: length mismatch: x.len() = 3, dy.len() = 2")]
fn mismatched_lengths_panic() {
    sigmoid_kernels::silu_backward(&[0.0; 3], &[0.0; 2], &mut [0.0; 3]);
}
