//! All 2^32 f32 inputs for each float tier on each single-thread backend. Ignored by
//! default (minutes on 2 cores); run with
//! `cargo test --release --test exhaustive -- --ignored --nocapture`.
//! The figures in the crate docs come from this test.

mod support;

use rayon::prelude::*;
use sigmoid_kernels::{reference, Backend};
use support::{error, Bound, Worst};

/// A kernel on a backend, as a plain function.
type Kernel = fn(Backend, &[f32], &mut [f32]);

fn sweep(b: Backend, bound: Bound, f: Kernel) -> (Worst, u64) {
    const CHUNK: u64 = 1 << 22;
    let results: Vec<(Worst, u64)> = (0..(1u64 << 32) / CHUNK)
        .into_par_iter()
        .map(|c| {
            let xs: Vec<f32> = (c * CHUNK..(c + 1) * CHUNK)
                .map(|i| f32::from_bits(i as u32))
                .collect();
            let mut ys = vec![0.0f32; xs.len()];
            f(b, &xs, &mut ys);
            let mut w = Worst::default();
            let mut bad = 0u64;
            for (&x, &y) in xs.iter().zip(&ys) {
                let want = reference::sigmoid_f64(f64::from(x));
                let e = error(bound, y, want);
                if !(0.0..=1.0).contains(&y) && !x.is_nan() {
                    bad += 1;
                }
                w.update(e, x, y, want);
            }
            (w, bad)
        })
        .collect();
    let mut worst = Worst::default();
    let mut bad = 0;
    for (w, n) in results {
        worst.update(w.err, w.x, w.got, w.want);
        bad += n;
    }
    (worst, bad)
}

/// Monotonicity over every finite f32 in ascending order (−FLT_MAX … −0,
/// +0 … FLT_MAX), in parallel chunks whose boundaries are compared after.
fn monotone_violations(b: Backend, f: Kernel) -> u64 {
    const CHUNK: u32 = 1 << 22;
    // Position p in 0..2^32−2^24 ↦ the p-th finite f32 in ascending order.
    let finite_half = 0x7f80_0000u32; // bit patterns 0 ..= 0x7f7f_ffff
    let at = |p: u32| -> f32 {
        if p < finite_half {
            f32::from_bits(0x8000_0000 | (finite_half - 1 - p)) // −FLT_MAX … −0
        } else {
            f32::from_bits(p - finite_half) // +0 … FLT_MAX
        }
    };
    let total = 2 * finite_half;
    let parts: Vec<(f32, f32, u64)> = (0..total.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let lo = c * CHUNK;
            let hi = (lo + CHUNK).min(total);
            let xs: Vec<f32> = (lo..hi).map(at).collect();
            let mut ys = vec![0.0; xs.len()];
            f(b, &xs, &mut ys);
            let bad = ys.windows(2).filter(|w| w[1] < w[0]).count() as u64;
            (ys[0], ys[ys.len() - 1], bad)
        })
        .collect();
    let mut bad: u64 = parts.iter().map(|p| p.2).sum();
    bad += parts.windows(2).filter(|w| w[1].0 < w[0].1).count() as u64;
    bad
}

#[test]
#[ignore = "all 2^32 inputs: minutes; run explicitly"]
fn exhaustive_float_tiers() {
    let tiers: [(&str, Bound, Kernel); 2] = [
        ("exact", Bound::Ulp(1.0), |b, x, y| b.sigmoid(x, y)),
        ("fast", Bound::Rel(1e-4), |b, x, y| b.sigmoid_fast(x, y)),
    ];
    let backends: Vec<Backend> = Backend::available()
        .into_iter()
        .filter(|&b| b != Backend::Parallel)
        .collect();
    for (b, (name, bound, f)) in backends
        .iter()
        .flat_map(|&b| tiers.iter().map(move |&t| (b, t)))
    {
        let (w, outside) = sweep(b, bound, f);
        let nonmono = monotone_violations(b, f);
        println!(
            "{name} on {}: max error {:.4e} ({bound:?}) at x = {:e} (got {:e}, want {:e}); outside [0,1]: {outside}; monotonicity violations: {nonmono}",
            b.isa(),
            w.err,
            w.x,
            w.got,
            w.want
        );
        assert!(w.err <= support::limit(bound), "{name}: bound broken");
        assert_eq!(outside, 0);
        assert_eq!(nonmono, 0);
    }
}
