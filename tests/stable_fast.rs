//! The fast tiers of softplus and log-sigmoid on every CPU backend, through
//! the shared checker against the `f64` oracle: relative error where the
//! result is normal, flush-or-bound below, NaN, range, special values, and
//! the in-place forms.

mod support;

use sigmoid_kernels::check::Func;
use sigmoid_kernels::cpu::PAR_CHUNK;
use sigmoid_kernels::{Backend, LOG_SIGMOID_FAST_MAX_REL, SOFTPLUS_FAST_MAX_REL};
use support::*;

#[derive(Clone, Copy, Debug)]
enum Fast {
    Softplus,
    LogSigmoid,
}

impl Fast {
    fn func(self) -> Func {
        match self {
            Fast::Softplus => Func::Softplus,
            Fast::LogSigmoid => Func::LogSigmoid,
        }
    }
    fn bound(self) -> Bound {
        match self {
            Fast::Softplus => Bound::Rel(SOFTPLUS_FAST_MAX_REL),
            Fast::LogSigmoid => Bound::Rel(LOG_SIGMOID_FAST_MAX_REL),
        }
    }
    fn run(self, b: Backend, x: &[f32], y: &mut [f32]) {
        match self {
            Fast::Softplus => b.softplus_fast(x, y),
            Fast::LogSigmoid => b.log_sigmoid_fast(x, y),
        }
    }
    fn run_inplace(self, b: Backend, x: &mut [f32]) {
        match self {
            Fast::Softplus => b.softplus_fast_inplace(x),
            Fast::LogSigmoid => b.log_sigmoid_fast_inplace(x),
        }
    }
}

/// Runs `f` on `b` over `xs`, checks every value (bound, NaN, range) and
/// that the in-place form gives the same bits; returns the stats.
fn run_and_check(b: Backend, f: Fast, what: &str, xs: &[f32]) -> check::Stats {
    let mut ys = vec![f32::NAN; xs.len()];
    f.run(b, xs, &mut ys);
    let s = check::of(f.func(), f.bound(), xs, &[], &ys);
    s.assert_holds(&format!("{b} {f:?} fast {what}"), f.bound(), false);
    let mut inplace = xs.to_vec();
    f.run_inplace(b, &mut inplace);
    for (i, (&a, &c)) in ys.iter().zip(&inplace).enumerate() {
        assert!(
            a.to_bits() == c.to_bits() || (a.is_nan() && c.is_nan()),
            "{b} {f:?} fast {what}: in-place differs at {i}: {a:e} vs {c:e}"
        );
    }
    s
}

fn check_fast(b: Backend, f: Fast) {
    if !b.is_available() {
        println!("{b} not available on this CPU: skipped");
        return;
    }
    let around: &[usize] = if b == Backend::Parallel {
        &[PAR_CHUNK]
    } else {
        &[]
    };
    let mut rng = Rng(0xfa57_0f5a_f7e1_u64);
    for n in lengths(around) {
        for offset in [0usize, 1, 3] {
            let buf: Vec<f32> = (0..n + offset)
                .map(|_| rng.uniform(-120.0, 120.0))
                .collect();
            run_and_check(b, f, &format!("len {n} offset {offset}"), &buf[offset..]);
        }
    }
    // Special inputs and ±300 ULPs around the flush edge (±92), the
    // subnormal edge (±87.34) and where the result becomes x (±16.6).
    let mut e = special_inputs();
    for &edge in &[92.0f32, -92.0, 87.34, -87.34, 16.6, -16.6, 20.8, -20.8] {
        for d in -300i32..=300 {
            e.push(f32::from_bits(edge.to_bits().wrapping_add_signed(d)));
        }
    }
    run_and_check(b, f, "edges", &e);
    // Strided sweep of the whole bit space (16.9M inputs).
    let s = run_and_check(b, f, "strided sweep", &strided(251, 5));
    println!("{b} {f:?} fast: max relative error {}", s.rel);
    // Special values, bit for bit; x exactly where it is the result.
    let x = [
        f32::NAN,
        f32::NEG_INFINITY,
        f32::INFINITY,
        f32::MAX,
        -f32::MAX,
        1e30,
        -1e30,
        100.0,
        -100.0,
    ];
    // −100 (softplus) and 100 (log-sigmoid) are past the flush at ±92.
    let want = match f {
        Fast::Softplus => [
            f32::NAN,
            0.0,
            f32::INFINITY,
            f32::MAX,
            0.0,
            1e30,
            0.0,
            100.0,
            0.0,
        ],
        Fast::LogSigmoid => [
            f32::NAN,
            f32::NEG_INFINITY,
            -0.0,
            -0.0,
            -f32::MAX,
            -0.0,
            -1e30,
            -0.0,
            -100.0,
        ],
    };
    let mut y = vec![0.0f32; x.len()];
    f.run(b, &x, &mut y);
    for i in 0..want.len() {
        assert!(
            y[i].to_bits() == want[i].to_bits() || (y[i].is_nan() && want[i].is_nan()),
            "{b} {f:?} fast({:e}) = {:e}, want {:e}",
            x[i],
            y[i],
            want[i]
        );
    }
}

macro_rules! backend_tests {
    ($($m:ident => $b:expr;)*) => {$(
        mod $m {
            use super::*;
            #[test]
            fn softplus_fast() { check_fast($b, Fast::Softplus) }
            #[test]
            fn log_sigmoid_fast() { check_fast($b, Fast::LogSigmoid) }
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
