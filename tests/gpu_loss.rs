//! The fused BCE with logits on a real device (`gpu::loss`), against the
//! `f64` oracle of `reference`. As `tests/gpu.rs`: without an adapter every
//! test prints why it skips and passes, unless `SIGMOID_REQUIRE_GPU=1`.
#![cfg(feature = "gpu")]

mod support;

use support::gpu::{gpu_or_skip, read, same_adapter, storage};

use sigmoid_kernels::gpu::loss::{
    bce_partials_sum, BceBuffers, BCE_BINARY_ULP, BCE_GRAD_ULP, BCE_GRAD_WEIGHTED_ULP, BCE_ULP,
};
use sigmoid_kernels::gpu::{F32Buffer, GpuContext, GpuError};
use sigmoid_kernels::loss::{
    self, BceOptions, LossError, Reduction, BCE_GRAD_MEAN_EXTRA_ULP, BCE_REDUCTION_MAX_ULP,
};
use sigmoid_kernels::reference::{
    bce_with_logits_f64, bce_with_logits_grad_f64, bce_with_logits_grad_terms_f64, ulp_error,
    ulp_f32,
};
use support::{special_inputs, strided, Rng};

const TINY: f64 = 1.1754943508222875e-38; // 2^−126

/// The worst error seen: its value and the input that gave it.
#[derive(Debug, Default)]
struct Worst {
    err: f64,
    at: (f32, f32, f32, f32),
    got: f32,
    want: f64,
}

impl Worst {
    fn see(&mut self, err: f64, at: (f32, f32, f32, f32), got: f32, want: f64) {
        if err > self.err || err.is_nan() {
            *self = Worst { err, at, got, want };
        }
    }

    #[track_caller]
    fn assert_within(&self, what: &str, bound: f64) {
        eprintln!(
            "{what}: max {:.4} ULP at (x, t, w, pw) = {:?}",
            self.err, self.at
        );
        assert!(
            self.err <= bound,
            "{what}: {:.4} ULP > {bound} at (x, t, w, pw) = {:?}: got {:e}, want {:e}",
            self.err,
            self.at,
            self.got,
            self.want
        );
    }
}

/// Per-element loss and gradient of `x, t` (with per-element weights `w`
/// and class weights `pw`, ε) from the GPU, checked against the oracle:
/// the loss in ULP where the oracle is in [2^−126, f32::MAX] (+∞ above),
/// the gradient in ULP (t ∈ {0, 1} without weights or ε) or in ULP of the
/// larger term.
fn sweep(x: &[f32], t: &[f32], w: Option<&[f32]>, pw: Option<&[f32]>, eps: f32) -> (Worst, Worst) {
    let ctx = support::gpu::ctx().expect("checked by the caller");
    let (l, g) = elementwise(ctx, x, t, w, pw, eps);
    check(x, t, w, pw, eps, (&l, &g), 0..x.len())
}

/// The GPU's per-element losses and gradients.
fn elementwise(
    ctx: &GpuContext,
    x: &[f32],
    t: &[f32],
    w: Option<&[f32]>,
    pw: Option<&[f32]>,
    eps: f32,
) -> (Vec<f32>, Vec<f32>) {
    let opts = BceOptions {
        weight: w,
        pos_weight: pw,
        label_smoothing: eps,
    };
    let (mut l, mut g) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    ctx.bce_with_logits_elementwise_grad(x, t, &opts, &mut l, &mut g)
        .unwrap();
    (l, g)
}

/// The check of [`sweep`] on the elements `at` of the losses and
/// gradients `(l, g)`.
fn check(
    x: &[f32],
    t: &[f32],
    w: Option<&[f32]>,
    pw: Option<&[f32]>,
    eps: f32,
    (l, g): (&[f32], &[f32]),
    at: impl Iterator<Item = usize>,
) -> (Worst, Worst) {
    let relative = w.is_none() && pw.is_none() && eps == 0.0;
    let (mut wl, mut wg) = (Worst::default(), Worst::default());
    for i in at {
        let wi = w.map_or(1.0, |w| w[i]);
        let pi = pw.map_or(1.0, |p| p[i % p.len()]);
        let at = (x[i], t[i], wi, pi);
        let want = bce_with_logits_f64(x[i], t[i], wi, pi, eps);
        if want > f64::from(f32::MAX) {
            let err = if l[i] == f32::INFINITY {
                0.0
            } else {
                f64::INFINITY
            };
            wl.see(err, at, l[i], want);
        } else if want.is_nan() || want == 0.0 || want >= TINY {
            wl.see(ulp_error(l[i], want), at, l[i], want);
        }
        let want = bce_with_logits_grad_f64(x[i], t[i], wi, pi, eps);
        if relative && (t[i] == 0.0 || t[i] == 1.0) {
            if want.is_nan() || want.abs() >= TINY || want == 0.0 {
                wg.see(ulp_error(g[i], want), at, g[i], want);
            }
        } else {
            let (p, q) = bce_with_logits_grad_terms_f64(x[i], t[i], wi, pi, eps);
            let big = p.abs().max(q.abs());
            if big >= TINY {
                let err = (f64::from(g[i]) - want).abs() / ulp_f32(big);
                wg.see(err, at, g[i], want);
            }
        }
    }
    (wl, wg)
}

/// Every 4099th bit pattern and the special inputs, t = 0 and t = 1, no
/// weights: the loss and the gradient within the binary bounds.
#[test]
fn binary_targets_strided_sweep() {
    gpu_or_skip!();
    let mut x = strided(4099, 7);
    x.extend(special_inputs());
    x.extend([
        20.0,
        -20.0,
        37.43,
        88.0,
        104.0,
        150.0,
        300.0,
        1e30,
        f32::MAX,
    ]);
    x.retain(|v| !v.is_nan());
    for target in [0.0f32, 1.0] {
        let t = vec![target; x.len()];
        let (l, g) = sweep(&x, &t, None, None, 0.0);
        l.assert_within(&format!("loss, t = {target}"), BCE_BINARY_ULP);
        g.assert_within(&format!("gradient, t = {target}"), BCE_GRAD_ULP);
    }
}

/// Fractional targets, per-element weights (log-uniform over 2^±40 and
/// some zeros), three class weights and ε: the general bounds, over every
/// 16411th bit pattern and logits in [−120, 120].
#[test]
fn weighted_strided_sweep() {
    gpu_or_skip!();
    let mut x = strided(16411, 3);
    x.retain(|v| !v.is_nan());
    let mut rng = Rng(12);
    x.extend((0..200_000).map(|_| rng.uniform(-120.0, 120.0)));
    x.truncate(x.len() / 3 * 3);
    let n = x.len();
    let t: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let w: Vec<f32> = (0..n)
        .map(|i| {
            if i % 97 == 0 {
                0.0
            } else {
                rng.uniform(-40.0, 40.0).exp2()
            }
        })
        .collect();
    let pw = [0.25f32, 1.0, 7.5];
    for eps in [0.0f32, 0.1] {
        let (l, g) = sweep(&x, &t, Some(&w), Some(&pw), eps);
        l.assert_within(&format!("weighted loss, ε = {eps}"), BCE_ULP);
        g.assert_within(
            &format!("weighted gradient, ε = {eps}"),
            BCE_GRAD_WEIGHTED_ULP,
        );
        let (l, g) = sweep(&x, &t, None, None, eps);
        l.assert_within(&format!("loss, fractional t, ε = {eps}"), BCE_ULP);
        g.assert_within(
            &format!("gradient, fractional t, ε = {eps}"),
            BCE_GRAD_WEIGHTED_ULP,
        );
    }
}

/// Over lavapipe's 128 MiB binding limit (40 M elements, or one chunk
/// and 1000 more elsewhere, rounded up to a multiple of 3), so the host form runs several chunks: three
/// class weights, whose class index must continue across a chunk boundary
/// (a chunk of 2^25 elements is not a multiple of 3), per-element weights
/// and fractional targets; every 13th element, each chunk boundary ±300
/// and the tail within the general bounds; the Sum within 1 ULP of the
/// exact sum of the per-element losses (partial sums of every chunk).
#[test]
fn over_binding_limit() {
    let ctx = gpu_or_skip!();
    let chunk = ctx.max_chunk_len() as usize;
    let len = 40_000_000usize.max(chunk + 1000).next_multiple_of(3);
    let x: Vec<f32> = (0..len)
        .map(|i| (i % 10007) as f32 * 0.024 - 120.0)
        .collect();
    let t: Vec<f32> = (0..len).map(|i| (i % 11) as f32 / 10.0).collect();
    let w: Vec<f32> = (0..len).map(|i| 0.25 + (i % 5) as f32 * 0.5).collect();
    let pw = [0.5f32, 2.0, 7.0];
    let (l, g) = elementwise(ctx, &x, &t, Some(&w), Some(&pw), 0.0);
    let mut idx: Vec<usize> = (0..len).step_by(13).collect();
    for b in (chunk..len).step_by(chunk) {
        idx.extend(b - 300..(b + 300).min(len));
    }
    idx.extend(len - 300..len);
    let (wl, wg) = check(&x, &t, Some(&w), Some(&pw), 0.0, (&l, &g), idx.into_iter());
    wl.assert_within("loss over the binding limit", BCE_ULP);
    wg.assert_within("gradient over the binding limit", BCE_GRAD_WEIGHTED_ULP);
    let opts = BceOptions {
        weight: Some(&w),
        pos_weight: Some(&pw),
        label_smoothing: 0.0,
    };
    let exact: f64 = l.iter().map(|&v| f64::from(v)).sum();
    let sum = ctx.bce_with_logits(&x, &t, &opts, Reduction::Sum).unwrap();
    assert!(
        ulp_error(sum, exact) <= BCE_REDUCTION_MAX_ULP,
        "Sum {sum} vs {exact}"
    );
}

/// The reductions: within 1 ULP of the exact sum of the per-element
/// losses, the same bits on every call, the CPU's conventions for Mean and
/// an empty input; the Mean gradient is the per-element one over n.
#[test]
fn reductions() {
    let ctx = gpu_or_skip!();
    let n = 300_007;
    let mut rng = Rng(5);
    let x: Vec<f32> = (0..n).map(|_| rng.uniform(-30.0, 30.0)).collect();
    let t: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let o = BceOptions::default();
    let (mut l, mut g) = (vec![0.0; n], vec![0.0; n]);
    ctx.bce_with_logits_elementwise_grad(&x, &t, &o, &mut l, &mut g)
        .unwrap();
    let exact: f64 = l.iter().map(|&v| f64::from(v)).sum();
    let mut dx = vec![0.0; n];
    let sum = ctx
        .bce_with_logits_grad(&x, &t, &o, Reduction::Sum, &mut dx)
        .unwrap();
    assert!(
        ulp_error(sum, exact) <= BCE_REDUCTION_MAX_ULP,
        "Sum {sum} vs {exact}"
    );
    assert_eq!(dx, g, "the Sum gradient is the per-element one");
    let mean = ctx
        .bce_with_logits_grad(&x, &t, &o, Reduction::Mean, &mut dx)
        .unwrap();
    assert!(
        ulp_error(mean, exact / n as f64) <= BCE_REDUCTION_MAX_ULP,
        "Mean {mean}"
    );
    for i in 0..n {
        let want = bce_with_logits_grad_f64(x[i], t[i], 1.0, 1.0, 0.0) / n as f64;
        let (p, q) = bce_with_logits_grad_terms_f64(x[i], t[i], 1.0, 1.0, 0.0);
        let err = (f64::from(dx[i]) - want).abs() / ulp_f32(p.abs().max(q.abs()) / n as f64);
        assert!(
            err <= BCE_GRAD_WEIGHTED_ULP + BCE_GRAD_MEAN_EXTRA_ULP,
            "Mean gradient at x = {}, t = {}: {err} ULP",
            x[i],
            t[i]
        );
    }
    let keras = ctx
        .bce_with_logits(&x[..n - 7], &t[..n - 7], &o, Reduction::MeanLastAxis(100))
        .unwrap();
    let m = ctx
        .bce_with_logits(&x[..n - 7], &t[..n - 7], &o, Reduction::Mean)
        .unwrap();
    assert_eq!(keras.to_bits(), m.to_bits());
    let again = ctx.bce_with_logits(&x, &t, &o, Reduction::Sum).unwrap();
    assert_eq!(again.to_bits(), sum.to_bits(), "deterministic");
    let cpu = loss::bce_with_logits(&x, &t, &o, Reduction::Sum).unwrap();
    assert!(
        // Each within the bound of the exact sum: at most twice it apart.
        ulp_error(sum, f64::from(cpu)) <= 2.0 * BCE_REDUCTION_MAX_ULP,
        "GPU {sum}, CPU {cpu}"
    );
    assert_eq!(ctx.bce_with_logits(&[], &[], &o, Reduction::Sum), Ok(0.0));
    assert!(ctx
        .bce_with_logits(&[], &[], &o, Reduction::Mean)
        .unwrap()
        .is_nan());
    let mut xn = x.clone();
    xn[1234] = f32::NAN;
    assert!(ctx
        .bce_with_logits(&xn, &t, &o, Reduction::Sum)
        .unwrap()
        .is_nan());
    xn[1234] = f32::INFINITY;
    assert_eq!(
        ctx.bce_with_logits(&xn, &t, &o, Reduction::Sum),
        Ok(f32::INFINITY)
    );
}

/// The well-classified example keeps its tiny loss and gradient; infinite
/// logits give the limits; NaN passes through; a zero weight masks ∞.
#[test]
fn special_values() {
    let ctx = gpu_or_skip!();
    let inf = f32::INFINITY;
    let x = [20.0, inf, -inf, inf, -inf, f32::NAN, 1.0, inf];
    let t = [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, f32::NAN, 0.5];
    let w = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0];
    let o = BceOptions {
        weight: Some(&w),
        ..Default::default()
    };
    let (mut l, mut g) = ([0.0f32; 8], [0.0f32; 8]);
    ctx.bce_with_logits_elementwise_grad(&x, &t, &o, &mut l, &mut g)
        .unwrap();
    assert!((l[0] - 2.061_153_6e-9).abs() < 1e-16, "{}", l[0]);
    assert!((g[0] + 2.061_153_6e-9).abs() < 1e-16, "{}", g[0]);
    assert_eq!(&l[1..5], &[0.0, 0.0, inf, inf]);
    assert_eq!(&g[1..5], &[0.0, 0.0, 1.0, -1.0]);
    assert!(l[5].is_nan() && g[5].is_nan() && l[6].is_nan() && g[6].is_nan());
    assert_eq!((l[7], g[7]), (0.0, 0.0));

    // A gradient that underflows (or is 0 at an infinite logit) keeps the
    // sign of its exact value, as on the CPU: +0 for −σ(x)·… > 0 below 0,
    // −0 for −σ(−x) < 0.
    let x = [-200.0f32, 200.0, inf, -inf, -200.0, 200.0];
    let t = [0.0f32, 1.0, 1.0, 0.0, 0.0, 1.0];
    let o = BceOptions::default();
    let (mut l, mut g) = ([0.0f32; 6], [0.0f32; 6]);
    ctx.bce_with_logits_elementwise_grad(&x, &t, &o, &mut l, &mut g)
        .unwrap();
    let (mut lc, mut gc) = ([0.0f32; 6], [0.0f32; 6]);
    sigmoid_kernels::loss::bce_with_logits_elementwise_grad(&x, &t, &o, &mut lc, &mut gc).unwrap();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&g), bits(&gc), "GPU {g:?}, CPU {gc:?}");
    assert_eq!(bits(&g[..2]), [0, 0x8000_0000]);
}

/// Bad options are the CPU's errors; mismatched lengths are errors.
#[test]
fn bad_options_are_the_cpus_errors() {
    let ctx = gpu_or_skip!();
    let x = [0.0f32; 6];
    let t = [1.0f32; 6];
    let mut dx = [0.0f32; 6];
    let bad_w = [1.0, -1.0, 1.0, 1.0, 1.0, 1.0];
    let cases = [
        (
            BceOptions {
                label_smoothing: 1.0,
                ..Default::default()
            },
            Reduction::Sum,
        ),
        (
            BceOptions {
                pos_weight: Some(&[1.0; 4]),
                ..Default::default()
            },
            Reduction::Sum,
        ),
        (
            BceOptions {
                weight: Some(&[1.0; 5]),
                ..Default::default()
            },
            Reduction::Mean,
        ),
        (
            BceOptions {
                weight: Some(&bad_w),
                ..Default::default()
            },
            Reduction::Mean,
        ),
        (BceOptions::default(), Reduction::None),
        (BceOptions::default(), Reduction::MeanLastAxis(4)),
    ];
    for (o, r) in cases {
        let cpu = loss::bce_with_logits_grad(&x, &t, &o, r, &mut dx).unwrap_err();
        let gpu = ctx
            .bce_with_logits_grad(&x, &t, &o, r, &mut dx)
            .unwrap_err();
        assert_eq!(gpu, GpuError::Loss(cpu.clone()), "{o:?} {r:?}");
        assert_eq!(gpu.to_string(), cpu.to_string());
    }
    let e = ctx
        .bce_with_logits_grad(&x, &t[..5], &BceOptions::default(), Reduction::Sum, &mut dx)
        .unwrap_err();
    assert!(
        matches!(e, GpuError::LengthMismatch { what: "t", .. }),
        "{e}"
    );
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|v| v.to_bits()).collect()
}

/// The device-resident form at aligned offsets, with weights and class
/// weights, gives the host form's bits, and its partial sums the host's
/// Mean; aliased outputs and bad options are errors.
#[test]
fn resident_form_matches_the_host_form() {
    let ctx = gpu_or_skip!();
    let off = ctx.offset_alignment();
    let n = 6000u64;
    let nu = n as usize;
    let mut rng = Rng(9);
    let x: Vec<f32> = (0..nu).map(|_| rng.uniform(-40.0, 40.0)).collect();
    let t: Vec<f32> = (0..nu).map(|_| rng.uniform(0.0, 1.0)).collect();
    let w: Vec<f32> = (0..nu).map(|_| rng.uniform(0.0, 3.0)).collect();
    let pw = [0.5f32, 2.0, 1.0, 4.0];
    let buf = |label, data: &[f32]| {
        let b = storage(ctx, label, off + data.len() as u64);
        ctx.queue()
            .write_buffer(&b, off * 4, bytemuck::cast_slice(data));
        b
    };
    let (xb, tb, wb, pb) = (buf("x", &x), buf("t", &t), buf("w", &w), buf("pw", &pw));
    let np = ctx.bce_partials_len(n);
    let (lb, db, sb) = (
        storage(ctx, "loss", off + n),
        storage(ctx, "dx", off + n),
        storage(ctx, "partials", off + np),
    );
    let at = |b| F32Buffer::at(b, off);
    let bufs = BceBuffers {
        x: at(&xb),
        t: at(&tb),
        weight: Some(at(&wb)),
        pos_weight: Some((at(&pb), 4)),
        loss: at(&lb),
        dx: at(&db),
        partials: at(&sb),
    };
    let mut enc = ctx.device().create_command_encoder(&Default::default());
    ctx.encode_bce_with_logits(&mut enc, &bufs, 0.05, 1.0 / n as f64, n)
        .unwrap();
    ctx.queue().submit([enc.finish()]);
    let o = BceOptions {
        weight: Some(&w),
        pos_weight: Some(&pw),
        label_smoothing: 0.05,
    };
    let (mut l, mut g) = (vec![0.0; nu], vec![0.0; nu]);
    ctx.bce_with_logits_elementwise_grad(&x, &t, &o, &mut l, &mut g)
        .unwrap();
    assert_eq!(bits(&read(ctx, &lb, off, n)), bits(&l), "losses");
    let mut dx = vec![0.0; nu];
    let mean = ctx
        .bce_with_logits_grad(&x, &t, &o, Reduction::Mean, &mut dx)
        .unwrap();
    assert_eq!(bits(&read(ctx, &db, off, n)), bits(&dx), "Mean gradients");
    let sum = bce_partials_sum(&read(ctx, &sb, off, np));
    assert_eq!(((sum / n as f64) as f32).to_bits(), mean.to_bits());
    let mut enc = ctx.device().create_command_encoder(&Default::default());
    let alias = BceBuffers {
        dx: at(&xb),
        ..bufs
    };
    let e = ctx
        .encode_bce_with_logits(&mut enc, &alias, 0.0, 1.0, n)
        .unwrap_err();
    assert_eq!(e, GpuError::Aliased { what: "x" });
    let e = ctx
        .encode_bce_with_logits(&mut enc, &bufs, 0.0, 1.0, n - 1)
        .unwrap_err();
    assert_eq!(
        e,
        GpuError::Loss(LossError::PosWeightLength {
            classes: 4,
            len: nu - 1
        })
    );
}

/// The sum groups the same elements into workgroups whatever the device's
/// binding limit: a context whose bindings hold 1250 elements (chunks of
/// 1024) gives the bits of the default one. The losses are 1 at element
/// 1024 and 2^−24, 2^−50 at 1249 and 1250 (w·x with x = 2^24), 0 elsewhere
/// (x = −∞, t = 0): one workgroup's f32 pairs drop the 2^−50 that an `f64`
/// sum of separate workgroups keeps, so a chunk boundary at 1250 would
/// change the result.
#[test]
fn the_sum_does_not_depend_on_the_binding_limit() {
    let ctx = gpu_or_skip!();
    let adapter = same_adapter(ctx);
    let small = wgpu::DeviceDescriptor {
        required_limits: wgpu::Limits {
            max_storage_buffer_binding_size: 5000,
            ..wgpu::Limits::default()
        },
        ..Default::default()
    };
    let (device, queue) = pollster::block_on(adapter.request_device(&small)).unwrap();
    let small = GpuContext::from_device(device, queue).unwrap();
    let n = 2000;
    let mut x = vec![f32::NEG_INFINITY; n];
    let t = vec![0.0f32; n];
    let mut w = vec![1.0f32; n];
    for (i, e) in [(1024, -24), (1249, -48), (1250, -74)] {
        x[i] = 16_777_216.0; // 2^24
        w[i] = 2.0f32.powi(e);
    }
    let o = BceOptions {
        weight: Some(&w),
        ..Default::default()
    };
    let big = ctx.bce_with_logits(&x, &t, &o, Reduction::Sum).unwrap();
    let little = small.bce_with_logits(&x, &t, &o, Reduction::Sum).unwrap();
    assert_eq!(big.to_bits(), little.to_bits(), "{big} vs {little}");
    // Bindings of 1216 elements (4864 bytes at 256-byte offsets) hold
    // chunks of 1024.
    assert_eq!(small.max_chunk_len(), 1024);

    // More classes than a binding holds: the host form gives the default
    // context's bits (each chunk gets its window of the class weights); the
    // encode form, which binds them whole, says so.
    let classes = 1500;
    let mut rng = Rng(77);
    let n = 2 * classes;
    let x: Vec<f32> = (0..n).map(|_| rng.uniform(-8.0, 8.0)).collect();
    let t: Vec<f32> = (0..n).map(|i| (i % 3 == 0) as u8 as f32).collect();
    let pw: Vec<f32> = (0..classes).map(|_| rng.uniform(0.0, 4.0)).collect();
    let o = BceOptions {
        pos_weight: Some(&pw),
        ..Default::default()
    };
    let run = |c: &GpuContext| {
        let (mut l, mut g) = (vec![0.0f32; n], vec![0.0f32; n]);
        c.bce_with_logits_elementwise_grad(&x, &t, &o, &mut l, &mut g)
            .unwrap();
        let s = c.bce_with_logits(&x, &t, &o, Reduction::Sum).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        (bits(&l), bits(&g), s.to_bits())
    };
    assert!(run(&small) == run(ctx), "pos_weight past the binding limit");
    let bufs: Vec<wgpu::Buffer> = ["x", "t", "pw", "loss", "dx", "partials"]
        .iter()
        .map(|l| storage(&small, l, 4096))
        .collect();
    let b = BceBuffers {
        x: F32Buffer::new(&bufs[0]),
        t: F32Buffer::new(&bufs[1]),
        weight: None,
        pos_weight: Some((F32Buffer::new(&bufs[2]), classes as u64)),
        loss: F32Buffer::new(&bufs[3]),
        dx: F32Buffer::new(&bufs[4]),
        partials: F32Buffer::new(&bufs[5]),
    };
    let mut encoder = small
        .device()
        .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    assert_eq!(
        small.encode_bce_with_logits(&mut encoder, &b, 0.0, 1.0, n as u64),
        Err(GpuError::TooManyClasses {
            classes: classes as u64,
            max: 1024
        })
    );
}
