//! σ and its gradient on binary16 on a real device (`gpu::half16`): every
//! one of the 65,536 inputs against the `f64` oracle rounded to binary16
//! and against the CPU's correctly rounded [`sigmoid_kernels::sigmoid_f16`].
//! Without an adapter every test prints why it skips and passes, unless
//! `SIGMOID_REQUIRE_GPU=1`; without `SHADER_F16` they check the error and
//! skip, unless `SIGMOID_REQUIRE_GPU_F16=1` (CI sets it: lavapipe has it).
#![cfg(feature = "gpu")]

mod support;

use sigmoid_kernels::gpu::half16::{F16_BACKWARD_ULP, F16_FORWARD_ULP};
use sigmoid_kernels::gpu::{GpuContext, GpuError};
use sigmoid_kernels::half::f16;
use sigmoid_kernels::reference;
use support::Rng;

/// The shared context if it has `SHADER_F16`; else `None` after checking
/// that the calls say which feature is missing.
fn ctx() -> Option<&'static GpuContext> {
    let ctx = support::gpu::ctx()?;
    if ctx.has_f16() {
        return Some(ctx);
    }
    let missing = GpuError::MissingFeature("SHADER_F16");
    assert_eq!(ctx.sigmoid_f16(&[f16::ONE]), Err(missing.clone()));
    assert_eq!(
        ctx.sigmoid_backward_f16(&[f16::ONE], &[f16::ONE]),
        Err(missing)
    );
    if std::env::var("SIGMOID_REQUIRE_GPU_F16").as_deref() == Ok("1") {
        panic!(
            "SIGMOID_REQUIRE_GPU_F16=1 but {} has no SHADER_F16",
            ctx.adapter_info().name
        );
    }
    eprintln!(
        "skipping f16 GPU test: {} has no SHADER_F16",
        ctx.adapter_info().name
    );
    None
}

macro_rules! gpu_or_skip {
    () => {
        match ctx() {
            Some(ctx) => ctx,
            None => return,
        }
    };
}

fn all16() -> Vec<f16> {
    (0..=u16::MAX).map(f16::from_bits).collect()
}

/// Error of `got` against the exact `want` in binary16 ULPs (0 when equal,
/// ∞ when only one is NaN).
fn ulps(got: f16, want: f64) -> f64 {
    let g = f64::from(got.to_f32());
    if g.is_nan() || want.is_nan() {
        return if g.is_nan() && want.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if g == want {
        0.0
    } else {
        (g - want).abs() / reference::ulp_f16(want)
    }
}

/// Every input: within [`F16_FORWARD_ULP`] of the `f64` σ (correctly
/// rounded), equal to the CPU's correctly rounded result, NaN returned bit
/// for bit.
#[test]
fn forward_every_input() {
    let ctx = gpu_or_skip!();
    let x = all16();
    let y = ctx.sigmoid_f16(&x).unwrap();
    let mut cpu = vec![f16::ZERO; x.len()];
    sigmoid_kernels::sigmoid_f16(&x, &mut cpu);
    let mut worst = (0.0f64, f16::ZERO);
    let mut differ = Vec::new();
    for ((&x, &y), &c) in x.iter().zip(&y).zip(&cpu) {
        if x.is_nan() {
            assert_eq!(y.to_bits(), x.to_bits(), "σ(NaN {:#06x})", x.to_bits());
            continue;
        }
        let want = reference::sigmoid_f64(f64::from(x.to_f32()));
        let err = ulps(y, want);
        assert!(
            err <= F16_FORWARD_ULP,
            "σ({x} = {:#06x}): got {y}, want {want:e} ({err} ULP)",
            x.to_bits()
        );
        if err > worst.0 {
            worst = (err, x);
        }
        assert_eq!(c.to_f32(), reference::sigmoid_f16(x.to_f32()));
        if y != c {
            differ.push(format!("{x} ({:#06x}): {y} vs {c}", x.to_bits()));
        }
    }
    eprintln!(
        "{}: f16 forward max {:.4} ULP at x = {}",
        ctx.adapter_info().name,
        worst.0,
        worst.1,
    );
    assert!(
        differ.is_empty(),
        "{} inputs differ from the correctly rounded σ: {differ:?}",
        differ.len()
    );
    for (x, want) in [
        (0.0f32, 0.5f32),
        (-0.0, 0.5),
        (f32::INFINITY, 1.0),
        (f32::NEG_INFINITY, 0.0),
    ] {
        let y = ctx.sigmoid_f16(&[f16::from_f32(x)]).unwrap()[0];
        assert_eq!(y.to_bits(), f16::from_f32(want).to_bits(), "σ({x})");
    }
}

/// Every y in [0, 1] (and every other pattern once) times a spread of dy:
/// within [`F16_BACKWARD_ULP`] of the `f64` dy·y·(1 − y) of the same
/// inputs, wherever that is finite and within binary16's range.
#[test]
fn backward_within_bound() {
    let ctx = gpu_or_skip!();
    let unit: Vec<f16> = all16()
        .into_iter()
        .filter(|h| (0.0..=1.0).contains(&h.to_f32()))
        .collect();
    let mut dys: Vec<f16> = [1.0f32, -1.0, 0.5, 3.0, -7.25, 1e-3, 1e-6, 250.0, 6e4, -6e4]
        .iter()
        .map(|&v| f16::from_f32(v))
        .collect();
    dys.extend(
        [
            0x0001, 0x8001, 0x0000, 0x8000, 0x0400, 0x03ff, 0x7bff, 0xfbff,
        ]
        .map(f16::from_bits),
    );
    let mut rng = Rng(16);
    dys.extend((0..4).map(|_| f16::from_f32(rng.uniform(-100.0, 100.0))));
    let (mut y, mut dy) = (Vec::new(), Vec::new());
    for &d in &dys {
        y.extend(&unit);
        dy.extend(std::iter::repeat_n(d, unit.len()));
    }
    // Every pattern, NaN and values outside [0, 1] included, with random dy.
    y.extend(all16());
    dy.extend((0..=u16::MAX).map(|_| f16::from_f32(rng.uniform(-4.0, 4.0))));
    let dx = ctx.sigmoid_backward_f16(&y, &dy).unwrap();
    let mut worst = 0.0f64;
    for i in 0..y.len() {
        if y[i].is_nan() || dy[i].is_nan() {
            let want = if y[i].is_nan() { y[i] } else { dy[i] };
            assert_eq!(dx[i].to_bits(), want.to_bits(), "NaN in, y = {}", y[i]);
            continue;
        }
        let want = reference::sigmoid_backward_f64(y[i].to_f32(), dy[i].to_f32());
        if want.is_nan() || want.abs() >= 65520.0 {
            continue; // ∞·0, or beyond binary16: indeterminate in WGSL (documented)
        }
        let err = ulps(dx[i], want);
        assert!(
            err <= F16_BACKWARD_ULP,
            "y = {}, dy = {}: got {}, want {want:e} ({err} ULP)",
            y[i],
            dy[i],
            dx[i]
        );
        worst = worst.max(err);
    }
    eprintln!(
        "{}: f16 backward max {worst:.4} ULP over {} pairs",
        ctx.adapter_info().name,
        y.len()
    );
}

/// Odd and empty lengths (the host pads to an even length) and the length
/// check.
#[test]
fn lengths() {
    let ctx = gpu_or_skip!();
    for len in [0usize, 1, 2, 3, 255, 256, 257, 1001] {
        let mut rng = Rng(len as u64 + 1);
        let x: Vec<f16> = (0..len)
            .map(|_| f16::from_f32(rng.uniform(-12.0, 12.0)))
            .collect();
        let y = ctx.sigmoid_f16(&x).unwrap();
        assert_eq!(y.len(), len);
        for (&x, &y) in x.iter().zip(&y) {
            let want = reference::sigmoid_f64(f64::from(x.to_f32()));
            assert!(ulps(y, want) <= F16_FORWARD_ULP, "len {len}: σ({x}) = {y}");
        }
        let dx = ctx.sigmoid_backward_f16(&y, &x).unwrap();
        assert_eq!(dx.len(), len);
    }
    assert_eq!(
        ctx.sigmoid_backward_f16(&[f16::ONE; 3], &[f16::ONE; 2]),
        Err(GpuError::LengthMismatch {
            what: "dy",
            expected: 3,
            got: 2
        })
    );
}
