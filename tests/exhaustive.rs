//! All 2^32 f32 inputs for each float tier on the best backend. Ignored by
//! default (minutes on 2 cores); run with
//! `cargo test --release --test exhaustive -- --ignored --nocapture`.
//! The figures in the crate docs come from this test.

mod support;

use rayon::prelude::*;
use sigmoid_kernels::{reference, Backend};
use support::{error, Bound, Worst};

fn sweep(b: Backend, bound: Bound, f: fn(Backend, &[f32], &mut [f32])) -> (Worst, u64) {
    const CHUNK: u64 = 1 << 22;
    let results: Vec<(Worst, u64)> = (0..(1u64 << 32) / CHUNK)
        .into_par_iter()
        .map(|c| {
            let xs: Vec<f32> = (c * CHUNK..(c + 1) * CHUNK).map(|i| f32::from_bits(i as u32)).collect();
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

/// Monotonicity over every finite f32 in ascending order.
fn monotone_violations(b: Backend, f: fn(Backend, &[f32], &mut [f32])) -> u64 {
    let run = |lo: u32, hi: u32, descending: bool| -> Vec<f32> {
        let xs: Vec<f32> = if descending {
            (lo..=hi).rev().map(f32::from_bits).collect()
        } else {
            (lo..=hi).map(f32::from_bits).collect()
        };
        let mut ys = vec![0.0; xs.len()];
        f(b, &xs, &mut ys);
        ys
    };
    let neg = run(0x8000_0000, 0xff7f_ffff, true); // −FLT_MAX .. −0 ascending
    let pos = run(0, 0x7f7f_ffff, false); // +0 .. FLT_MAX
    let count = |v: &[f32]| v.windows(2).filter(|w| w[1] < w[0]).count() as u64;
    count(&neg) + count(&pos) + u64::from(pos[0] < neg[neg.len() - 1])
}

#[test]
#[ignore = "all 2^32 inputs: minutes; run explicitly"]
fn exhaustive_float_tiers() {
    let b = Backend::best_simd();
    let tiers: [(&str, Bound, fn(Backend, &[f32], &mut [f32])); 2] = [
        ("exact", Bound::Ulp(1.0), |b, x, y| b.sigmoid(x, y)),
        ("fast", Bound::Rel(1e-4), |b, x, y| b.sigmoid_fast(x, y)),
    ];
    for (name, bound, f) in tiers {
        let (w, outside) = sweep(b, bound, f);
        let nonmono = monotone_violations(b, f);
        println!(
            "{name} on {}: max error {:.4} ({bound:?}) at x = {:e} (got {:e}, want {:e}); outside [0,1]: {outside}; monotonicity violations: {nonmono}",
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
