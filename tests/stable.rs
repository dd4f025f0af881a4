//! The stable companions of σ on every CPU backend, through the shared
//! checker against the `f64` oracle: softplus, log-sigmoid and the gradient
//! from the input.

mod support;

use sigmoid_kernels::check::Func;
use sigmoid_kernels::cpu::PAR_CHUNK;
use sigmoid_kernels::{
    Backend, LOG_SIGMOID_MAX_ULP, SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP, SOFTPLUS_MAX_ULP,
};
use support::*;

const SOFTPLUS: Bound = Bound::Ulp(SOFTPLUS_MAX_ULP);
const LOG_SIGMOID: Bound = Bound::Ulp(LOG_SIGMOID_MAX_ULP);
const FROM_INPUT: Bound = Bound::Ulp(SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP);

/// Whether two outputs are the same bits, or both NaN.
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Fwd {
    Softplus,
    LogSigmoid,
}

impl Fwd {
    fn func(self) -> Func {
        match self {
            Fwd::Softplus => Func::Softplus,
            Fwd::LogSigmoid => Func::LogSigmoid,
        }
    }
    fn bound(self) -> Bound {
        match self {
            Fwd::Softplus => SOFTPLUS,
            Fwd::LogSigmoid => LOG_SIGMOID,
        }
    }
    fn run(self, b: Backend, x: &[f32], y: &mut [f32]) {
        match self {
            Fwd::Softplus => b.softplus(x, y),
            Fwd::LogSigmoid => b.log_sigmoid(x, y),
        }
    }
    fn run_inplace(self, b: Backend, x: &mut [f32]) {
        match self {
            Fwd::Softplus => b.softplus_inplace(x),
            Fwd::LogSigmoid => b.log_sigmoid_inplace(x),
        }
    }
}

/// Runs `f` on `b` over `xs`, checks every value (bound, NaN, range; not
/// monotonicity, which is not promised) and that the in-place form
/// gives the same bits; returns the stats.
fn run_and_check(b: Backend, f: Fwd, what: &str, xs: &[f32]) -> check::Stats {
    let mut ys = vec![f32::NAN; xs.len()];
    f.run(b, xs, &mut ys);
    let s = check::of(f.func(), f.bound(), xs, &[], &ys);
    s.assert_holds(&format!("{b} {f:?} {what}"), f.bound(), false);
    let mut inplace = xs.to_vec();
    f.run_inplace(b, &mut inplace);
    for (i, (&a, &c)) in ys.iter().zip(&inplace).enumerate() {
        assert!(
            same(a, c),
            "{b} {f:?} {what}: in-place differs at {i}: {a:e} vs {c:e}"
        );
    }
    s
}

/// Every `step`-th finite f32 in ascending order from `lo` to `hi`.
fn walk(lo: f32, hi: f32, step: i64) -> Vec<f32> {
    let key = |x: f32| -> i64 {
        let b = x.to_bits() as i32;
        if b < 0 {
            -i64::from(b & 0x7fff_ffff)
        } else {
            i64::from(b)
        }
    };
    (key(lo)..=key(hi))
        .step_by(step as usize)
        .map(|k| {
            if k < 0 {
                f32::from_bits((-k) as u32 | 0x8000_0000)
            } else {
                f32::from_bits(k as u32)
            }
        })
        .collect()
}

/// Inputs around the places where softplus and log-sigmoid change regime.
fn edges() -> Vec<f32> {
    let mut v = special_inputs();
    for &edge in &[
        16.6f32,
        -16.6,
        17.0,
        -17.0,
        87.3,
        -87.3,
        88.7,
        -88.7,
        103.97,
        -103.97,
        0.346_573_6,
        -0.346_573_6,
        1.0,
        -1.0,
        9.0,
        -9.0,
    ] {
        for d in -300i32..=300 {
            v.push(f32::from_bits(edge.to_bits().wrapping_add_signed(d)));
        }
    }
    v
}

fn check_forward(b: Backend, f: Fwd) {
    if !b.is_available() {
        println!("{b} not available on this CPU: skipped");
        return;
    }
    let around: &[usize] = if b == Backend::Parallel {
        &[PAR_CHUNK]
    } else {
        &[]
    };
    let mut rng = Rng(0x5eed_0f5a_f7e1_u64);
    for n in lengths(around) {
        for offset in [0usize, 1, 3] {
            let buf: Vec<f32> = (0..n + offset)
                .map(|_| rng.uniform(-120.0, 120.0))
                .collect();
            run_and_check(b, f, &format!("len {n} offset {offset}"), &buf[offset..]);
        }
    }
    let mut e = edges();
    e.sort_by(f32::total_cmp);
    run_and_check(b, f, "edges", &e);
    for lane in 0..17 {
        let mut v = vec![0.25f32; 17];
        v[lane] = f32::NAN;
        run_and_check(b, f, "NaN lane", &v);
    }
    // Strided sweep of the whole bit space (16.9M inputs), in bit order:
    // monotone runs for each sign.
    let sweep = strided(251, 7);
    let s = run_and_check(b, f, "strided sweep", &sweep);
    println!("{b} {f:?}: worst over the strided sweep {}", s.ulp);
    // Dense ascending runs over the tails and the middle.
    run_and_check(b, f, "ascending walk", &walk(-120.0, 120.0, 331));
    // Special values, bit for bit.
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
    ];
    let want = match f {
        Fwd::Softplus => vec![
            f32::NAN,
            0.0,
            f32::INFINITY,
            core::f32::consts::LN_2,
            core::f32::consts::LN_2,
            f32::MAX,
            0.0,
            1e30,
            0.0,
        ],
        Fwd::LogSigmoid => vec![
            f32::NAN,
            f32::NEG_INFINITY,
            -0.0,
            -core::f32::consts::LN_2,
            -core::f32::consts::LN_2,
            -0.0,
            -f32::MAX,
            -0.0,
            -1e30,
        ],
    };
    let mut y = vec![0.0f32; x.len()];
    f.run(b, &x, &mut y);
    for i in 0..x.len() {
        assert!(
            same(y[i], want[i]),
            "{b} {f:?}({:e}) = {:e}, want {:e}",
            x[i],
            y[i],
            want[i]
        );
    }
}

/// The large-|x| identities: softplus(x) = x and log_sigmoid(−x) = −x
/// exactly wherever x is the rounded value, and subnormal results kept
/// (nonzero wherever the rounded reference is).
fn check_tails(b: Backend) {
    if !b.is_available() {
        return;
    }
    let xs = walk(-110.0, 110.0, 127);
    let mut sp = vec![0.0f32; xs.len()];
    let mut ls = vec![0.0f32; xs.len()];
    b.softplus(&xs, &mut sp);
    b.log_sigmoid(&xs, &mut ls);
    for (i, &x) in xs.iter().enumerate() {
        let r = sigmoid_kernels::reference::softplus(x);
        if r == x {
            assert_eq!(sp[i], x, "{b}: softplus({x:e})");
        }
        if r != 0.0 {
            assert!(
                sp[i] > 0.0,
                "{b}: softplus({x:e}) = {:e}, want {r:e}",
                sp[i]
            );
        }
        let r = sigmoid_kernels::reference::log_sigmoid(x);
        if r == x {
            assert_eq!(ls[i], x, "{b}: log_sigmoid({x:e})");
        }
        if r != 0.0 {
            assert!(
                ls[i] < 0.0,
                "{b}: log_sigmoid({x:e}) = {:e}, want {r:e}",
                ls[i]
            );
        }
    }
}

fn check_from_input(b: Backend) {
    if !b.is_available() {
        println!("{b} not available on this CPU: skipped");
        return;
    }
    let run = |what: &str, x: &[f32], dy: &[f32]| {
        let mut dx = vec![f32::NAN; x.len()];
        b.sigmoid_backward_from_input(x, dy, &mut dx);
        let s = check::of(Func::BackwardFromInput, FROM_INPUT, x, dy, &dx);
        s.assert_holds(&format!("{b} from-input {what}"), FROM_INPUT, false);
        let mut inplace = dy.to_vec();
        b.sigmoid_backward_from_input_inplace(x, &mut inplace);
        for i in 0..x.len() {
            assert!(
                same(dx[i], inplace[i]),
                "{b} from-input {what}: in-place differs at {i}"
            );
        }
        s
    };
    let around: &[usize] = if b == Backend::Parallel {
        &[PAR_CHUNK]
    } else {
        &[]
    };
    let mut rng = Rng(0xfeed_beef_1234);
    for n in lengths(around) {
        for offset in [0usize, 1, 5] {
            let x: Vec<f32> = (0..n + offset)
                .map(|_| rng.uniform(-120.0, 120.0))
                .collect();
            let dy: Vec<f32> = (0..n + offset).map(|_| rng.uniform(-4.0, 4.0)).collect();
            run(&format!("len {n} offset {offset}"), &x[offset..], &dy[..n]);
        }
    }
    // x over a strided sweep of the bit space against dy from another
    // (every magnitude: subnormal dy, FLT_MAX, infinities, NaN).
    let xs = strided(251, 3);
    let mut dys = strided(251, 11);
    dys.truncate(xs.len());
    let s = run("sweep", &xs[..dys.len()], &dys);
    println!("{b} from-input: worst over the sweep {}", s.ulp);
    // Every x in [−200, 200] (strided) with dy = 1, the largest and the
    // smallest finite dy: the tails where the true value is subnormal,
    // or normal only because dy is huge.
    let xs = walk(-200.0, 200.0, 509);
    for d in [
        1.0f32,
        -1.0,
        f32::MAX,
        -f32::MAX,
        f32::from_bits(1),
        3e-39,
        1e20,
    ] {
        let dy = vec![d; xs.len()];
        let s = run(&format!("dense x, dy = {d:e}"), &xs, &dy);
        if d == 1.0 {
            println!("{b} from-input dy = 1: worst {}", s.ulp);
        }
    }
    let sp = special_inputs();
    run("special x", &sp, &vec![1.5; sp.len()]);
    run("special dy", &vec![0.5; sp.len()], &sp);
    // Nonzero wherever the true value is normal: x = 20 where the
    // output-based form gives 0, and every x up to 87.
    let mut dx = [0.0f32; 4];
    b.sigmoid_backward_from_input(&[20.0, -20.0, 87.0, -87.0], &[1.0; 4], &mut dx);
    assert!(
        (dx[0] - 2.061_153_6e-9).abs() < 1e-16 && dx[0] == dx[1],
        "{b}: {dx:?}"
    );
    assert!(dx[2] >= f32::MIN_POSITIVE && dx[2] == dx[3], "{b}: {dx:?}");
    let mut dx = [0.0f32; 4];
    let x = [f32::INFINITY, 1e30, f32::NAN, 0.0];
    b.sigmoid_backward_from_input(&x, &[f32::INFINITY, -f32::INFINITY, 1.0, f32::NAN], &mut dx);
    assert!(
        dx[0].is_nan() && dx[1] == f32::NEG_INFINITY && dx[2].is_nan() && dx[3].is_nan(),
        "{b}: {dx:?}"
    );
}

macro_rules! backend_tests {
    ($($m:ident => $b:expr;)*) => {$(
        mod $m {
            use super::*;
            #[test]
            fn softplus() { check_forward($b, Fwd::Softplus) }
            #[test]
            fn log_sigmoid() { check_forward($b, Fwd::LogSigmoid) }
            #[test]
            fn tails() { check_tails($b) }
            #[test]
            fn backward_from_input() { check_from_input($b) }
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
