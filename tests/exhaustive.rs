//! All 2^32 f32 inputs for each float tier on each single-thread backend,
//! through the shared checker: bound, NaN → NaN, range [0, 1], special values
//! and monotonicity between every pair of neighbouring floats. Ignored by
//! default (minutes on 2 cores); run with
//! `cargo test --release --test exhaustive -- --ignored --nocapture`.
//! The figures in the crate docs come from this test.

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
    let runs: Vec<(Backend, (&str, Bound, Kernel))> = Backend::available()
        .into_iter()
        .filter(|&b| b != Backend::Parallel)
        .flat_map(|b| tiers.map(|t| (b, t)))
        .collect();
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
