//! Hard Sigmoid, affine hard Sigmoid and PLAN: every backend bit-identical to
//! the scalar definitions in `reference` (forward and backward), over special
//! values, the breakpoints, a strided sweep of all bit patterns, every tail
//! length and unaligned sub-slices; and the measured max error against σ.
mod support;
use sigmoid_kernels::{
    reference, Backend, HARD_SIGMOID_AFFINE_MAX_ABS, HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA,
    HARD_SIGMOID_MAX_ABS, PLAN_SIGMOID_MAX_ABS,
};
use support::*;

/// Affine parameters: the ONNX default, the PyTorch slope, a negative slope,
/// a zero slope (NaN at ±∞), a huge slope and a negative-zero offset.
const AFFINE: [(f32, f32); 6] = [
    (HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA),
    (1.0 / 6.0, 0.5),
    (-0.3, 0.1),
    (0.0, 0.7),
    (1e30, -0.0),
    (0.25, -0.0),
];

#[derive(Clone, Copy, Debug)]
enum Kernel {
    Hard,
    Affine(f32, f32),
    Plan,
}

fn kernels() -> Vec<Kernel> {
    let mut v = vec![Kernel::Hard, Kernel::Plan];
    v.extend(AFFINE.iter().map(|&(a, b)| Kernel::Affine(a, b)));
    v
}

fn forward_ref(k: Kernel, x: f32) -> f32 {
    match k {
        Kernel::Hard => reference::hard_sigmoid(x),
        Kernel::Affine(a, b) => reference::hard_sigmoid_affine(x, a, b),
        Kernel::Plan => reference::plan_sigmoid(x),
    }
}

fn backward_ref(k: Kernel, x: f32, dy: f32) -> f32 {
    match k {
        Kernel::Hard => reference::hard_sigmoid_backward(x, dy),
        Kernel::Affine(a, b) => reference::hard_sigmoid_affine_backward(x, dy, a, b),
        Kernel::Plan => reference::plan_sigmoid_backward(x, dy),
    }
}

fn forward(b: Backend, k: Kernel, x: &[f32], y: &mut [f32]) {
    match k {
        Kernel::Hard => b.hard_sigmoid(x, y),
        Kernel::Affine(a, c) => b.hard_sigmoid_affine(a, c, x, y),
        Kernel::Plan => b.plan_sigmoid(x, y),
    }
}

fn forward_inplace(b: Backend, k: Kernel, x: &mut [f32]) {
    match k {
        Kernel::Hard => b.hard_sigmoid_inplace(x),
        Kernel::Affine(a, c) => b.hard_sigmoid_affine_inplace(a, c, x),
        Kernel::Plan => b.plan_sigmoid_inplace(x),
    }
}

fn backward(b: Backend, k: Kernel, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    match k {
        Kernel::Hard => b.hard_sigmoid_backward(x, dy, dx),
        Kernel::Affine(a, c) => b.hard_sigmoid_affine_backward(a, c, x, dy, dx),
        Kernel::Plan => b.plan_sigmoid_backward(x, dy, dx),
    }
}

/// Same bits, or both NaN (payloads are not compared).
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The shared check: `got[i]` is exactly `want(i)`; panics with backend,
/// kernel, index, input, got and expected.
fn check_exact(what: &str, xs: &[f32], got: &[f32], want: impl Fn(usize) -> f32) {
    for (i, (&x, &g)) in xs.iter().zip(got).enumerate() {
        let w = want(i);
        assert!(
            same(g, w),
            "{what}: index {i}: x = {x:e} ({:#010x}): got {g:e} ({:#010x}), want {w:e} ({:#010x})",
            x.to_bits(),
            g.to_bits(),
            w.to_bits()
        );
    }
}

/// Special values, each breakpoint of every kernel ±64 ULPs, and a strided
/// sweep of the whole bit space.
fn inputs(stride: u32) -> Vec<f32> {
    let mut v = special_inputs();
    for &e in &[
        3.0f32,
        1.0,
        2.375,
        5.0,
        2.5,
        0.5,
        1.666_666_7,
        3.333_333_5,
        1e-30,
    ] {
        for s in [e, -e] {
            for d in -64i32..=64 {
                v.push(f32::from_bits(s.to_bits().wrapping_add_signed(d)));
            }
        }
    }
    v.extend(strided(stride, 12_345));
    v
}

fn dys(n: usize) -> Vec<f32> {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let special = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        -0.0,
        f32::MAX,
        1e-40,
    ];
    (0..n)
        .map(|i| {
            if i % 17 == 0 {
                special[(i / 17) % special.len()]
            } else {
                r.uniform(-8.0, 8.0)
            }
        })
        .collect()
}

#[test]
fn every_backend_matches_reference_on_sweep() {
    let stride = 4099;
    let xs = inputs(stride);
    let dy = dys(xs.len());
    let mut y = vec![0.0f32; xs.len()];
    for b in Backend::available() {
        for k in kernels() {
            let what = format!("{} {k:?}", b.name());
            forward(b, k, &xs, &mut y);
            check_exact(&format!("{what} forward"), &xs, &y, |i| {
                forward_ref(k, xs[i])
            });
            let mut z = xs.clone();
            forward_inplace(b, k, &mut z);
            check_exact(&format!("{what} forward in place"), &xs, &z, |i| {
                forward_ref(k, xs[i])
            });
            backward(b, k, &xs, &dy, &mut y);
            check_exact(&format!("{what} backward"), &xs, &y, |i| {
                backward_ref(k, xs[i], dy[i])
            });
        }
    }
}

#[test]
fn tails_and_unaligned_slices() {
    let mut r = Rng(7);
    let base: Vec<f32> = (0..300).map(|_| r.uniform(-7.0, 7.0)).collect();
    let dy = dys(300);
    for b in Backend::available() {
        for k in kernels() {
            for n in lengths(&[]).into_iter().filter(|&n| n + 3 <= base.len()) {
                for off in 0..3 {
                    let xs = &base[off..off + n];
                    let mut y = vec![0.0f32; n + 1];
                    forward(b, k, xs, &mut y[1..]);
                    check_exact(
                        &format!("{} {k:?} n={n} off={off}", b.name()),
                        xs,
                        &y[1..],
                        |i| forward_ref(k, xs[i]),
                    );
                    backward(b, k, xs, &dy[..n], &mut y[..n]);
                    check_exact(
                        &format!("{} {k:?} bwd n={n} off={off}", b.name()),
                        xs,
                        &y[..n],
                        |i| backward_ref(k, xs[i], dy[i]),
                    );
                }
            }
        }
    }
}

#[test]
fn crate_level_functions_including_parallel_sizes() {
    let n = sigmoid_kernels::parallel_threshold() + 1001;
    let mut r = Rng(11);
    let xs: Vec<f32> = (0..n).map(|_| r.uniform(-9.0, 9.0)).collect();
    let dy = dys(n);
    let mut y = vec![0.0f32; n];
    let (a, c) = (HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA);
    sigmoid_kernels::hard_sigmoid(&xs, &mut y);
    check_exact("hard_sigmoid", &xs, &y, |i| reference::hard_sigmoid(xs[i]));
    sigmoid_kernels::hard_sigmoid_affine(a, c, &xs, &mut y);
    check_exact("hard_sigmoid_affine", &xs, &y, |i| {
        reference::hard_sigmoid_affine(xs[i], a, c)
    });
    sigmoid_kernels::plan_sigmoid(&xs, &mut y);
    check_exact("plan_sigmoid", &xs, &y, |i| reference::plan_sigmoid(xs[i]));
    sigmoid_kernels::hard_sigmoid_backward(&xs, &dy, &mut y);
    check_exact("hard_sigmoid_backward", &xs, &y, |i| {
        reference::hard_sigmoid_backward(xs[i], dy[i])
    });
    sigmoid_kernels::hard_sigmoid_affine_backward(a, c, &xs, &dy, &mut y);
    check_exact("hard_sigmoid_affine_backward", &xs, &y, |i| {
        reference::hard_sigmoid_affine_backward(xs[i], dy[i], a, c)
    });
    sigmoid_kernels::plan_sigmoid_backward(&xs, &dy, &mut y);
    check_exact("plan_sigmoid_backward", &xs, &y, |i| {
        reference::plan_sigmoid_backward(xs[i], dy[i])
    });
    let mut z = xs.clone();
    sigmoid_kernels::hard_sigmoid_inplace(&mut z);
    check_exact("hard_sigmoid_inplace", &xs, &z, |i| {
        reference::hard_sigmoid(xs[i])
    });
    let mut z = xs.clone();
    sigmoid_kernels::hard_sigmoid_affine_inplace(a, c, &mut z);
    check_exact("hard_sigmoid_affine_inplace", &xs, &z, |i| {
        reference::hard_sigmoid_affine(xs[i], a, c)
    });
    let mut z = xs.clone();
    sigmoid_kernels::plan_sigmoid_inplace(&mut z);
    check_exact("plan_sigmoid_inplace", &xs, &z, |i| {
        reference::plan_sigmoid(xs[i])
    });
}

/// The definitions themselves: PyTorch's and ONNX's values at known points,
/// special values, range.
#[test]
fn reference_definitions() {
    use reference::{hard_sigmoid as h, hard_sigmoid_affine as ha, plan_sigmoid as p};
    assert_eq!(h(-3.0), 0.0);
    assert_eq!(h(3.0), 1.0);
    assert_eq!(h(0.0), 0.5);
    assert_eq!(h(-0.0), 0.5);
    assert_eq!(h(1.0), 4.0 / 6.0);
    assert_eq!(h(f32::INFINITY), 1.0);
    assert_eq!(h(f32::NEG_INFINITY).to_bits(), 0);
    assert!(h(f32::NAN).is_nan());
    // (x + 3) rounds first: a tiny x gives exactly 0.5, as in PyTorch.
    assert_eq!(h(1e-30), 0.5);
    assert_eq!(ha(1.0, 0.2, 0.5), 0.2f32 * 1.0 + 0.5);
    assert_eq!(ha(-2.5, 0.2, 0.5).to_bits(), 0);
    assert_eq!(ha(f32::INFINITY, 0.2, 0.5), 1.0);
    assert_eq!(ha(f32::NEG_INFINITY, 0.2, 0.5), 0.0);
    assert!(ha(f32::INFINITY, 0.0, 0.5).is_nan());
    assert_eq!(ha(-1.0, 0.0, -0.0).to_bits(), 0, "lower clamp is +0");
    assert_eq!(p(5.0), 1.0);
    assert_eq!(p(-5.0), 0.0);
    assert_eq!(p(2.375), 0.917_968_75);
    assert_eq!(p(f32::from_bits(2.375f32.to_bits() - 1)), 0.921_875);
    assert_eq!(p(-1.0), 0.25);
    assert_eq!(p(f32::NEG_INFINITY), 0.0);
    assert!(p(f32::NAN).is_nan());
    assert_eq!(reference::hard_sigmoid_backward(3.0, 1.0), 0.0);
    assert_eq!(
        reference::hard_sigmoid_backward(-2.999, 6.0),
        6.0 * (1.0f32 / 6.0)
    );
    assert_eq!(reference::hard_sigmoid_backward(f32::NAN, 1.0), 0.0);
    assert!(reference::hard_sigmoid_backward(0.0, f32::NAN).is_nan());
    assert_eq!(reference::plan_sigmoid_backward(-4.9, 32.0), 1.0);
    assert_eq!(reference::plan_sigmoid_backward(5.0, 32.0), 0.0);
    for x in strided(65_537, 3) {
        for y in [h(x), ha(x, 0.2, 0.5), p(x)] {
            assert!(
                x.is_nan() == y.is_nan() && (y.is_nan() || (0.0..=1.0).contains(&y)),
                "x={x:e} y={y:e}"
            );
        }
    }
}

/// Max |f(x) − σ(x)| over every 31st f32 in [−16, 16] (≈ 7e7 inputs), by
/// the shared checker: within the documented constant, and within 1e−4 of
/// it (the constant is the measured maximum, rounded up); also range [0, 1]
/// and, for all but PLAN, monotonicity.
#[test]
fn max_error_against_sigmoid() {
    let xs: Vec<f32> = ascending(-16.0, 16.0).into_iter().step_by(31).collect();
    let (a, c) = (HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA);
    type Scalar = fn(f32, f32, f32) -> f32;
    let kernels: [(&str, Scalar, f64); 3] = [
        (
            "hard",
            |x, _, _| reference::hard_sigmoid(x),
            HARD_SIGMOID_MAX_ABS,
        ),
        (
            "hard_affine(0.2, 0.5)",
            reference::hard_sigmoid_affine,
            HARD_SIGMOID_AFFINE_MAX_ABS,
        ),
        (
            "plan",
            |x, _, _| reference::plan_sigmoid(x),
            PLAN_SIGMOID_MAX_ABS,
        ),
    ];
    for (name, f, limit) in kernels {
        let ys: Vec<f32> = xs.iter().map(|&x| f(x, a, c)).collect();
        let s = check::forward(Bound::Abs(limit), &xs, &ys);
        println!(
            "{name}: max |error| vs σ = {:.6} at x = {}",
            s.abs.err, s.abs.x
        );
        s.assert_holds(name, Bound::Abs(limit), name != "plan");
        assert!(
            s.abs.err > limit - 1e-4,
            "{name}: {} is far below {limit}",
            s.abs.err
        );
    }
}

/// The README quotes each constant as it is written in the code.
#[test]
fn readme_quotes_the_constants() {
    let readme = include_str!("../README.md");
    for c in [
        HARD_SIGMOID_MAX_ABS,
        HARD_SIGMOID_AFFINE_MAX_ABS,
        PLAN_SIGMOID_MAX_ABS,
    ] {
        assert!(readme.contains(&format!(" {c} ")), "README lacks {c}");
    }
}

/// All 2^32 inputs, forward kernels, on the best backend (a few minutes:
/// `cargo test --release --test hard -- --ignored`).
#[test]
#[ignore]
fn exhaustive_forward() {
    let b = Backend::best_simd();
    let chunk = 1u64 << 24;
    let mut xs = vec![0.0f32; chunk as usize];
    let mut y = vec![0.0f32; chunk as usize];
    for start in (0..1u64 << 32).step_by(chunk as usize) {
        for (i, x) in xs.iter_mut().enumerate() {
            *x = f32::from_bits((start + i as u64) as u32);
        }
        for k in [
            Kernel::Hard,
            Kernel::Plan,
            Kernel::Affine(HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA),
        ] {
            forward(b, k, &xs, &mut y);
            check_exact(&format!("{} {k:?}", b.name()), &xs, &y, |i| {
                forward_ref(k, xs[i])
            });
        }
    }
}
