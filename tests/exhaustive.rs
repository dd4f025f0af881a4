//! All 2^32 f32 inputs for each float tier on each single-thread backend,
//! through the shared checker: bound, NaN → NaN, range [0, 1], special values
//! and monotonicity between every pair of neighbouring floats. Ignored by
//! default (minutes on 2 cores); run with
//! `cargo test --release --test exhaustive -- --ignored --nocapture`.
//! The figures in the crate docs come from this test. `EXHAUSTIVE_BACKEND`
//! (e.g. `avx512`) limits a run to one backend.

use sigmoid_kernels::check::{self, Bound, CHUNK};
use sigmoid_kernels::{Backend, SIGMOID_FAST_MAX_REL, SIGMOID_MAX_ULP};

/// A kernel on a backend, as a plain function.
type Kernel = fn(Backend, &[f32], &mut [f32]);

#[test]
#[ignore = "all 2^32 inputs: minutes; run explicitly"]
fn exhaustive_float_tiers() {
    let tiers: [(&str, Bound, Kernel); 2] = [
        ("exact", Bound::Ulp(SIGMOID_MAX_ULP), |b, x, y| {
            b.sigmoid(x, y)
        }),
        ("fast", Bound::Rel(SIGMOID_FAST_MAX_REL), |b, x, y| {
            b.sigmoid_fast(x, y)
        }),
    ];
    let only = std::env::var("EXHAUSTIVE_BACKEND").ok();
    let runs: Vec<(Backend, (&str, Bound, Kernel))> = Backend::available()
        .into_iter()
        .filter(|&b| b != Backend::Parallel && only.as_deref().is_none_or(|o| o == b.name()))
        .flat_map(|b| tiers.map(|t| (b, t)))
        .collect();
    assert!(!runs.is_empty(), "no backend named {only:?} here");
    let stats = check::sweep(
        check::Func::Sigmoid,
        &runs,
        (1usize << 32) / CHUNK,
        |c, x, _| check::all_bits(c, x),
        |&(b, (_, bound, f)), x, _, y| {
            f(b, x, y);
            Ok(bound)
        },
        || {},
    );
    for ((b, (name, bound, f)), (s, _)) in runs.iter().zip(&stats) {
        println!(
            "{name} on {}: max error {:.4e} ({bound}) at {}; outside [0,1]: {}; monotonicity violations: {}",
            b.isa(),
            s.err.err,
            s.err,
            s.out_of_range,
            s.monotone
        );
        s.assert_holds(&format!("{name} on {b}"), *bound, true);
        let mut y = [0.0f32; check::SPECIALS.len()];
        f(*b, &check::SPECIALS.map(|s| s.1), &mut y);
        for (i, &got) in y.iter().enumerate() {
            assert!(
                check::special_ok(i, got),
                "{name} on {b}: special {i}: {got:e}"
            );
        }
    }
}

/// All 2^32 inputs of softplus and log-sigmoid, and all 2^32 x of the
/// gradient from the input (with dy = 1), on each single-thread backend
/// (or only the one named by the `EXHAUSTIVE_BACKEND` variable, e.g.
/// `avx512`): the bound, NaN → NaN, the output range and the special values.
/// Run with `cargo test --release --test exhaustive stable -- --ignored
/// --nocapture`; the figures in the crate docs come from it.
#[test]
#[ignore = "all 2^32 inputs: minutes; run explicitly"]
fn exhaustive_stable_companions() {
    use check::Func;
    use sigmoid_kernels::{
        LOG_SIGMOID_MAX_ULP, SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP, SOFTPLUS_MAX_ULP,
    };
    let only = std::env::var("EXHAUSTIVE_BACKEND").ok();
    let backends: Vec<Backend> = Backend::available()
        .into_iter()
        .filter(|&b| b != Backend::Parallel && only.as_deref().is_none_or(|o| o == b.name()))
        .collect();
    assert!(!backends.is_empty(), "no backend named {only:?} here");
    let funcs: [(Func, f64); 3] = [
        (Func::Softplus, SOFTPLUS_MAX_ULP),
        (Func::LogSigmoid, LOG_SIGMOID_MAX_ULP),
        (Func::BackwardFromInput, SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP),
    ];
    for (f, ulp) in funcs {
        let bound = Bound::Ulp(ulp);
        let stats = check::sweep(
            f,
            &backends,
            (1usize << 32) / CHUNK,
            |c, x, dy| {
                check::all_bits(c, x);
                if f.takes_dy() {
                    dy.resize(x.len(), 1.0);
                }
            },
            |&b, x, dy, y| {
                match f {
                    Func::Softplus => b.softplus(x, y),
                    Func::LogSigmoid => b.log_sigmoid(x, y),
                    _ => b.sigmoid_backward_from_input(x, dy, y),
                }
                Ok(bound)
            },
            || {},
        );
        for (b, (s, _)) in backends.iter().zip(&stats) {
            println!(
                "{f:?} on {}: max error {:.4e} ({bound}) at {}; outside the range: {}; monotonicity violations (not promised): {}",
                b.isa(),
                s.err.err,
                s.err,
                s.out_of_range,
                s.monotone
            );
            s.assert_holds(&format!("{f:?} on {b}"), bound, false);
        }
    }
}

/// All 2^32 inputs of the fast tiers of softplus and log-sigmoid on each
/// single-thread backend (or `EXHAUSTIVE_BACKEND`): the relative bound
/// where the result is normal, between 0 and the bound below, NaN → NaN,
/// the output range. `cargo test --release --test exhaustive fast_stable
/// -- --ignored --nocapture`; the figures in the crate docs come from it.
#[test]
#[ignore = "all 2^32 inputs: minutes; run explicitly"]
fn exhaustive_fast_stable_companions() {
    use check::Func;
    use sigmoid_kernels::{LOG_SIGMOID_FAST_MAX_REL, SOFTPLUS_FAST_MAX_REL};
    let only = std::env::var("EXHAUSTIVE_BACKEND").ok();
    let backends: Vec<Backend> = Backend::available()
        .into_iter()
        .filter(|&b| b != Backend::Parallel && only.as_deref().is_none_or(|o| o == b.name()))
        .collect();
    assert!(!backends.is_empty(), "no backend named {only:?} here");
    for (f, rel) in [
        (Func::Softplus, SOFTPLUS_FAST_MAX_REL),
        (Func::LogSigmoid, LOG_SIGMOID_FAST_MAX_REL),
    ] {
        let bound = Bound::Rel(rel);
        let stats = check::sweep(
            f,
            &backends,
            (1usize << 32) / CHUNK,
            |c, x, _| check::all_bits(c, x),
            |&b, x, _, y| {
                match f {
                    Func::Softplus => b.softplus_fast(x, y),
                    _ => b.log_sigmoid_fast(x, y),
                }
                Ok(bound)
            },
            || {},
        );
        for (b, (s, _)) in backends.iter().zip(&stats) {
            println!(
                "{f:?} fast on {}: max relative error {:.4e} ({bound}) at {}; outside the range: {}",
                b.isa(),
                s.rel.err,
                s.rel,
                s.out_of_range
            );
            s.assert_holds(&format!("{f:?} fast on {b}"), bound, false);
        }
    }
}

/// All 2^32 inputs of the correctly rounded tier on every backend
/// (parallel included; or only the one named by `EXHAUSTIVE_BACKEND`),
/// bit for bit against `reference::sigmoid_cr`: "0 inputs not correctly
/// rounded", NaN → NaN, the range, the special values and monotonicity.
/// Run with `cargo test --release --test exhaustive correctly_rounded --
/// --ignored --nocapture`; the figures in the docs come from it.
#[test]
#[ignore = "all 2^32 inputs: minutes; run explicitly"]
fn exhaustive_correctly_rounded() {
    use sigmoid_kernels::SIGMOID_CR_MAX_ULP;
    let only = std::env::var("EXHAUSTIVE_BACKEND").ok();
    let backends: Vec<Backend> = Backend::available()
        .into_iter()
        .filter(|&b| only.as_deref().is_none_or(|o| o == b.name()))
        .collect();
    assert!(!backends.is_empty(), "no backend named {only:?} here");
    let bound = Bound::Ulp(SIGMOID_CR_MAX_ULP);
    let stats = check::sweep(
        check::Func::SigmoidCr,
        &backends,
        (1usize << 32) / CHUNK,
        |c, x, _| check::all_bits(c, x),
        |&b, x, _, y| {
            b.sigmoid_cr(x, y);
            Ok(bound)
        },
        || {},
    );
    for (b, (s, _)) in backends.iter().zip(&stats) {
        println!(
            "sigmoid_cr on {}: {} of {} inputs not correctly rounded; outside [0,1]: {}; monotonicity violations: {}",
            b.isa(),
            s.violations,
            s.n,
            s.out_of_range,
            s.monotone
        );
        s.assert_holds(&format!("sigmoid_cr on {b}"), bound, true);
        let mut y = [0.0f32; check::SPECIALS.len()];
        b.sigmoid_cr(&check::SPECIALS.map(|s| s.1), &mut y);
        for (i, &got) in y.iter().enumerate() {
            assert!(
                check::special_ok(i, got),
                "sigmoid_cr on {b}: special {i}: {got:e}"
            );
        }
    }
}

/// All 2^32 inputs of SiLU's exact tier on each single-thread backend (or
/// only the one named by `EXHAUSTIVE_BACKEND`): the bound, NaN → NaN and
/// the output range (SiLU is not monotone). Run with `cargo test --release
/// --test exhaustive silu -- --ignored --nocapture`; the figures in the
/// crate docs come from it.
#[test]
#[ignore = "all 2^32 inputs: minutes; run explicitly"]
fn exhaustive_silu() {
    use sigmoid_kernels::SILU_MAX_ULP;
    let only = std::env::var("EXHAUSTIVE_BACKEND").ok();
    let backends: Vec<Backend> = Backend::available()
        .into_iter()
        .filter(|&b| b != Backend::Parallel && only.as_deref().is_none_or(|o| o == b.name()))
        .collect();
    assert!(!backends.is_empty(), "no backend named {only:?} here");
    let bound = Bound::Ulp(SILU_MAX_ULP);
    let stats = check::sweep(
        check::Func::Silu,
        &backends,
        (1usize << 32) / CHUNK,
        |c, x, _| check::all_bits(c, x),
        |&b, x, _, y| {
            b.silu(x, y);
            Ok(bound)
        },
        || {},
    );
    for (b, (s, _)) in backends.iter().zip(&stats) {
        println!(
            "silu on {}: max error {:.4e} ({bound}) at {}; outside the range: {}",
            b.isa(),
            s.err.err,
            s.err,
            s.out_of_range
        );
        s.assert_holds(&format!("silu on {b}"), bound, false);
    }
}
