//! The GPU kernels on a real device, against the oracle in
//! `sigmoid_kernels::reference`.
//!
//! Without an adapter every test prints why it skips and passes, unless
//! `SIGMOID_REQUIRE_GPU=1`, where a missing adapter fails. CI runs these on
//! lavapipe (Mesa's software Vulkan device).
#![cfg(feature = "gpu")]

mod support;

use support::gpu::{gpu_or_skip, read, same_adapter, storage};

use sigmoid_kernels::gpu::{F32Buffer, GpuContext, GpuError, BACKWARD_ULP, FORWARD_ULP};
use sigmoid_kernels::reference;
use support::{check, random, Bound, Worst};

/// The documented GPU bounds (results below 2^−126 may also be flushed to 0).
const FORWARD: Bound = Bound::UlpNormal(FORWARD_ULP);
const BACKWARD: Bound = Bound::UlpNormal(BACKWARD_ULP);
/// 2^−149, the smallest positive f32.
const MIN_SUBNORMAL: f64 = 1.401_298_464_324_817e-45;

/// Forward check of `ys[i] = σ(xs[i])` for the indices `idx` through the
/// shared checker (not for monotonicity: the GPU does not promise it).
/// Returns the worst case where σ ≥ 2^−126.
fn check_forward(what: &str, xs: &[f32], ys: &[f32], idx: impl Iterator<Item = usize>) -> Worst {
    assert_eq!(xs.len(), ys.len(), "{what}: length");
    let (x, y): (Vec<f32>, Vec<f32>) = idx.map(|i| (xs[i], ys[i])).unzip();
    let s = check::forward(FORWARD, &x, &y);
    s.assert_holds(what, FORWARD, false);
    s.ulp_normal
}

/// Backward check, except where the result is ±∞ (indeterminate in WGSL,
/// see the module docs).
fn check_backward(what: &str, y: &[f32], dy: &[f32], dx: &[f32]) -> Worst {
    assert_eq!(y.len(), dx.len(), "{what}: length");
    let keep: Vec<usize> = (0..y.len())
        .filter(|&i| !reference::sigmoid_backward_f64(y[i], dy[i]).is_infinite())
        .collect();
    let pick = |v: &[f32]| -> Vec<f32> { keep.iter().map(|&i| v[i]).collect() };
    let s = check::backward(BACKWARD, &pick(y), &pick(dy), &pick(dx));
    s.assert_holds(what, BACKWARD, false);
    s.ulp_normal
}

#[test]
fn context_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GpuContext>();
    assert_send_sync::<GpuError>();
    // The future holds no error-scope guard (those are not `Send`) across
    // an await, so it can be spawned on a multithreaded executor.
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&GpuContext::new_async());
}

#[test]
fn forward_small_lengths() {
    let ctx = gpu_or_skip!();
    for len in [0usize, 1, 2, 63, 64, 65, 255, 256, 257, 511, 513, 1000] {
        let x = random(len, -30.0, 30.0, 1 + len as u64);
        let y = ctx.sigmoid(&x).unwrap();
        check_forward(&format!("len {len}"), &x, &y, 0..len);
        let mut into = vec![f32::NAN; len];
        ctx.sigmoid_into(&x, &mut into).unwrap();
        assert_eq!(
            y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            into.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "len {len}: sigmoid_into differs from sigmoid"
        );
    }
}

#[test]
fn forward_special_values() {
    let ctx = gpu_or_skip!();
    let x = support::special_inputs();
    let y = ctx.sigmoid(&x).unwrap();
    check_forward("special", &x, &y, 0..x.len());
    let exact = [
        (0.0f32, 0.5f32),
        (-0.0, 0.5),
        (f32::INFINITY, 1.0),
        (f32::NEG_INFINITY, 0.0),
        (f32::MAX, 1.0),
        (-f32::MAX, 0.0),
        (200.0, 1.0),
        (-200.0, 0.0),
    ];
    let xs: Vec<f32> = exact.iter().map(|p| p.0).collect();
    let ys = ctx.sigmoid(&xs).unwrap();
    for ((x, want), got) in exact.iter().zip(&ys) {
        assert_eq!(*got, *want, "σ({x:e})");
    }
    let nans = [
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7f80_0001),
        f32::from_bits(0xffc0_1234),
    ];
    for (x, y) in nans.iter().zip(ctx.sigmoid(&nans).unwrap()) {
        assert!(y.is_nan(), "σ(NaN {:#x}) = {y}", x.to_bits());
    }
}

/// Every 1021st f32 bit pattern (4.2 M inputs): the measured accuracy.
/// `SIGMOID_GPU_SWEEP_STRIDE=n` sweeps every n-th pattern instead.
#[test]
fn forward_strided_sweep() {
    let ctx = gpu_or_skip!();
    let stride = std::env::var("SIGMOID_GPU_SWEEP_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1021);
    let x = support::strided(stride, 7);
    let y = ctx.sigmoid(&x).unwrap();
    let w = check_forward("sweep", &x, &y, 0..x.len());
    let mut cpu = vec![0.0; x.len()];
    sigmoid_kernels::sigmoid(&x, &mut cpu);
    let differ = y
        .iter()
        .zip(&cpu)
        .filter(|(g, c)| g.to_bits() != c.to_bits())
        .count();
    eprintln!(
        "{}: forward max error {:.3} ULP (bound {FORWARD_ULP}) over {} inputs at x = {:e}: \
         got {:e}, want {:e}; {differ} outputs differ from the CPU exact tier",
        ctx.adapter_info().name,
        w.err,
        x.len(),
        w.x,
        w.got,
        w.want
    );
    // Monotone over the sample, in ascending order of x.
    let mut pairs: Vec<(f32, f32)> = x
        .iter()
        .zip(&y)
        .filter(|(x, _)| !x.is_nan())
        .map(|(&x, &y)| (x, y))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    for p in pairs.windows(2) {
        assert!(
            p[1].1 >= p[0].1,
            "not monotone: σ({:e}) = {:e} > σ({:e}) = {:e}",
            p[0].0,
            p[0].1,
            p[1].0,
            p[1].1
        );
    }
}

/// 65535·256 + 1 elements: needs a second row of workgroups.
#[test]
fn forward_two_dimensional_dispatch() {
    let ctx = gpu_or_skip!();
    let len = 65535 * 256 + 1;
    let x: Vec<f32> = (0..len).map(|i| (i % 8191) as f32 * 0.01 - 40.0).collect();
    let y = ctx.sigmoid(&x).unwrap();
    check_forward("2-D dispatch", &x, &y, 0..len);
}

/// 40 M elements: over lavapipe's 128 MiB binding limit, so the host API
/// processes several chunks. Checks every 13th element, each chunk boundary
/// ±300 and the tail.
#[test]
fn forward_over_binding_limit() {
    let ctx = gpu_or_skip!();
    let len = 40_000_000usize.max(ctx.max_chunk_len() as usize + 1000);
    let x: Vec<f32> = (0..len)
        .map(|i| (i % 10007) as f32 * 0.008 - 40.0)
        .collect();
    let y = ctx.sigmoid(&x).unwrap();
    let chunk = ctx.max_chunk_len() as usize;
    eprintln!(
        "{len} elements in {} chunks of ≤ {chunk}",
        len.div_ceil(chunk)
    );
    let mut idx: Vec<usize> = (0..len).step_by(13).collect();
    for b in (chunk..len).step_by(chunk) {
        idx.extend(b - 300..(b + 300).min(len));
    }
    idx.extend(len - 300..len);
    check_forward("40M", &x, &y, idx.into_iter());
}

#[test]
fn backward_values() {
    let ctx = gpu_or_skip!();
    let mut y = random(100_000, 0.0, 1.0, 11);
    let mut dy = random(100_000, -10.0, 10.0, 12);
    y.extend(reference_outputs());
    dy.extend(std::iter::repeat_n(1.5, y.len() - dy.len()));
    for &s in &[
        0.0f32,
        1.0,
        0.5,
        f32::MIN_POSITIVE,
        1e-30,
        1.0 - f32::EPSILON / 2.0,
    ] {
        for &d in &[0.0f32, -0.0, 1.0, -3.0, f32::MAX, 1e-30] {
            y.push(s);
            dy.push(d);
        }
    }
    let dx = ctx.sigmoid_backward(&y, &dy).unwrap();
    let w = check_backward("backward", &y, &dy, &dx);
    eprintln!(
        "{}: backward max error {:.3} ULP (bound {BACKWARD_ULP}) at y = {:e}: got {:e}, want {:e}",
        ctx.adapter_info().name,
        w.err,
        w.x,
        w.got,
        w.want
    );
    let mut into = vec![0.0; y.len()];
    ctx.sigmoid_backward_into(&y, &dy, &mut into).unwrap();
    assert!(dx
        .iter()
        .zip(&into)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
}

/// Every 251st bit pattern of y in [0, 1] (4.2 M values) with random dy.
#[test]
fn backward_strided_sweep() {
    let ctx = gpu_or_skip!();
    let y: Vec<f32> = (0..=1f32.to_bits())
        .step_by(251)
        .map(f32::from_bits)
        .collect();
    let dy = random(y.len(), -4.0, 4.0, 13);
    let dx = ctx.sigmoid_backward(&y, &dy).unwrap();
    let w = check_backward("backward sweep", &y, &dy, &dx);
    // |y| > 2 is never a σ output; it gives y·(1 − y)·dy in plain f32
    // arithmetic (overflowing to −∞, not NaN).
    let big = [-3.0e38f32, -1.0e30, -2.5, 2.5, 1.0e20, 1.0e35, 3.0e38];
    let got = ctx.sigmoid_backward(&big, &[1.0; 7]).unwrap();
    for (y, dx) in big.iter().zip(got) {
        assert_eq!(dx, y * (1.0 - y), "y = {y:e}");
    }
    eprintln!(
        "{}: backward max error {:.3} ULP (bound {BACKWARD_ULP}) over {} values at y = {:e}: \
         got {:e}, want {:e}",
        ctx.adapter_info().name,
        w.err,
        y.len(),
        w.x,
        w.got,
        w.want
    );
}

/// σ over a spread of inputs, as the forward pass would save them.
fn reference_outputs() -> Vec<f32> {
    (0..20_000)
        .map(|i| reference::sigmoid(i as f32 * 0.01 - 100.0))
        .collect()
}

#[test]
fn backward_nan_inputs_give_nan() {
    let ctx = gpu_or_skip!();
    let y = [f32::NAN, 0.5, f32::from_bits(0xffc0_1234), 0.25];
    let dy = [1.0, f32::NAN, 2.0, f32::from_bits(0x7f80_0001)];
    let dx = ctx.sigmoid_backward(&y, &dy).unwrap();
    for i in 0..4 {
        assert!(
            dx[i].is_nan(),
            "index {i}: y = {}, dy = {}: dx = {}",
            y[i],
            dy[i],
            dx[i]
        );
    }
}

#[test]
fn length_mismatch_is_an_error() {
    let ctx = gpu_or_skip!();
    let mut out = [0.0; 3];
    let e = ctx.sigmoid_into(&[1.0; 4], &mut out).unwrap_err();
    assert_eq!(
        e,
        GpuError::LengthMismatch {
            what: "y",
            expected: 4,
            got: 3
        }
    );
    let e = ctx.sigmoid_backward(&[1.0; 4], &[1.0; 5]).unwrap_err();
    assert!(
        matches!(e, GpuError::LengthMismatch { what: "dy", .. }),
        "{e}"
    );
    assert_eq!(e.to_string(), "`dy` has length 5, expected 4");
}

/// Four threads share one context, mixing host calls of different lengths;
/// every result is bit-identical to the single-threaded one.
#[test]
fn four_threads_share_a_context() {
    let ctx = gpu_or_skip!();
    let inputs: Vec<Vec<f32>> = (0..4)
        .map(|t| random(50_000 + 777 * t, -20.0, 20.0, 100 + t as u64))
        .collect();
    let expected: Vec<Vec<f32>> = inputs.iter().map(|x| ctx.sigmoid(x).unwrap()).collect();
    std::thread::scope(|s| {
        for (t, (x, want)) in inputs.iter().zip(&expected).enumerate() {
            s.spawn(move || {
                for round in 0..20 {
                    let n = x.len() - round * 100;
                    let y = ctx.sigmoid(&x[..n]).unwrap();
                    let same = y.iter().zip(want).all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "thread {t} round {round}: result differs");
                    let dx = ctx.sigmoid_backward(&y, &x[..n]).unwrap();
                    assert_eq!(dx.len(), n);
                }
            });
        }
    });
    for (x, y) in inputs.iter().zip(&expected) {
        check_forward("threads", x, y, 0..x.len());
    }
}

// ---- device-resident API ----

/// Forward then backward in one command buffer, at non-zero aligned offsets,
/// with no host round trip in between.
#[test]
fn resident_forward_then_backward() {
    let ctx = gpu_or_skip!();
    let len = 100_003u64;
    let off = ctx.offset_alignment() * 3;
    let x: Vec<f32> = random(len as usize, -40.0, 40.0, 21);
    let dy: Vec<f32> = random(len as usize, -4.0, 4.0, 22);
    let total = off + len + 5;
    let (xb, yb, dyb, dxb) = (
        storage(ctx, "x", total),
        storage(ctx, "y", total),
        storage(ctx, "dy", total),
        storage(ctx, "dx", total),
    );
    ctx.queue()
        .write_buffer(&xb, off * 4, bytemuck::cast_slice(&x));
    ctx.queue()
        .write_buffer(&dyb, off * 4, bytemuck::cast_slice(&dy));
    let mut encoder = ctx.device().create_command_encoder(&Default::default());
    let at = |b| F32Buffer::at(b, off);
    ctx.encode_sigmoid(&mut encoder, at(&xb), at(&yb), len)
        .unwrap();
    ctx.encode_sigmoid_backward(&mut encoder, at(&yb), at(&dyb), at(&dxb), len)
        .unwrap();
    ctx.queue().submit([encoder.finish()]);
    let y = read(ctx, &yb, off, len);
    let dx = read(ctx, &dxb, off, len);
    check_forward("resident forward", &x, &y, 0..len as usize);
    check_backward("resident backward", &y, &dy, &dx);
    // Nothing written outside [off, off + len).
    let all = read(ctx, &yb, 0, total);
    assert!(
        all[..off as usize].iter().all(|&v| v == 0.0),
        "written before the offset"
    );
    assert!(
        all[(off + len) as usize..].iter().all(|&v| v == 0.0),
        "written past the end"
    );
}

/// A range longer than the binding limit is split into several bindings.
#[test]
fn resident_over_binding_limit() {
    let ctx = gpu_or_skip!();
    let off = ctx.offset_alignment();
    let len = ctx.max_chunk_len() + 1001;
    let x: Vec<f32> = (0..len).map(|i| (i % 9973) as f32 * 0.009 - 45.0).collect();
    let (xb, yb) = (storage(ctx, "x", off + len), storage(ctx, "y", off + len));
    ctx.queue()
        .write_buffer(&xb, off * 4, bytemuck::cast_slice(&x));
    let mut encoder = ctx.device().create_command_encoder(&Default::default());
    ctx.encode_sigmoid(
        &mut encoder,
        F32Buffer::at(&xb, off),
        F32Buffer::at(&yb, off),
        len,
    )
    .unwrap();
    ctx.queue().submit([encoder.finish()]);
    let y = read(ctx, &yb, off, len);
    let chunk = ctx.max_chunk_len() as usize;
    let idx = (0..len as usize)
        .step_by(17)
        .chain(chunk - 500..len as usize);
    check_forward("resident 2 bindings", &x, &y, idx);
}

/// Bad caller buffers give the documented errors, record nothing, and leave
/// the encoder usable.
#[test]
fn resident_bad_buffers_are_errors() {
    let ctx = gpu_or_skip!();
    let small = storage(ctx, "small", 100);
    let big = storage(ctx, "big", 1000);
    let map = ctx.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some("not storage"),
        size: 4000,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = ctx.device().create_command_encoder(&Default::default());
    let e = ctx
        .encode_sigmoid(
            &mut encoder,
            F32Buffer::new(&big),
            F32Buffer::new(&small),
            200,
        )
        .unwrap_err();
    assert_eq!(
        e,
        GpuError::BufferTooSmall {
            what: "y",
            needed: 800,
            size: 400
        }
    );
    assert_eq!(
        e.to_string(),
        "buffer `y` is too small: 800 bytes needed, it has 400"
    );
    let e = ctx
        .encode_sigmoid(
            &mut encoder,
            F32Buffer::at(&small, 64),
            F32Buffer::new(&big),
            64,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            GpuError::BufferTooSmall {
                what: "x",
                needed: 512,
                size: 400
            }
        ),
        "{e}"
    );
    if ctx.offset_alignment() > 1 {
        let e = ctx
            .encode_sigmoid(
                &mut encoder,
                F32Buffer::at(&big, 1),
                F32Buffer::new(&small),
                10,
            )
            .unwrap_err();
        assert!(
            matches!(
                e,
                GpuError::Misaligned {
                    what: "x",
                    offset: 4,
                    ..
                }
            ),
            "{e}"
        );
    }
    let e = ctx
        .encode_sigmoid(&mut encoder, F32Buffer::new(&map), F32Buffer::new(&big), 10)
        .unwrap_err();
    assert_eq!(e, GpuError::NotStorage { what: "x" });
    let e = ctx
        .encode_sigmoid(&mut encoder, F32Buffer::new(&big), F32Buffer::new(&big), 10)
        .unwrap_err();
    assert_eq!(e, GpuError::Aliased { what: "x" });
    let e = ctx
        .encode_sigmoid_backward(
            &mut encoder,
            F32Buffer::new(&big),
            F32Buffer::new(&small),
            F32Buffer::new(&small),
            10,
        )
        .unwrap_err();
    assert_eq!(e, GpuError::Aliased { what: "dy" });
    // Length 0 records nothing, but the buffers are still checked.
    ctx.encode_sigmoid(
        &mut encoder,
        F32Buffer::new(&big),
        F32Buffer::new(&small),
        0,
    )
    .unwrap();
    let e = ctx
        .encode_sigmoid(
            &mut encoder,
            F32Buffer::new(&big),
            F32Buffer::at(&small, 1 << 20),
            0,
        )
        .unwrap_err();
    assert!(
        matches!(e, GpuError::BufferTooSmall { what: "y", .. }),
        "{e}"
    );
    ctx.queue().submit([encoder.finish()]);
    ctx.device()
        .poll(wgpu::PollType::wait_indefinitely())
        .unwrap();
}

/// A context built on the caller's own device works like one from `new`.
#[test]
fn from_device_shares_a_device() {
    let ctx = gpu_or_skip!();
    let name = &ctx.adapter_info().name;
    let adapter = same_adapter(ctx);
    let (device, queue) =
        pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor::default())).unwrap();
    let own = GpuContext::from_device(device, queue).unwrap();
    assert_eq!(&own.adapter_info().name, name);
    let x = random(70_000, -50.0, 50.0, 31);
    let y = own.sigmoid(&x).unwrap();
    check_forward("from_device", &x, &y, 0..x.len());
    // Default limits: 128 MiB bindings.
    assert!(own.max_chunk_len() <= (128 << 20) / 4);
}

/// A buffer over the device's size limit is an error value, not a panic, and
/// the context keeps working afterwards.
#[test]
fn oversized_allocation_is_an_error() {
    let ctx = gpu_or_skip!();
    let too_big = ctx.device().limits().max_buffer_size / 4 + 1;
    let sigmoid = GpuContext::encode_sigmoid;
    let e = sigmoid_kernels::gpu::bench::resident(ctx, sigmoid, too_big, 1).unwrap_err();
    assert!(
        matches!(e, GpuError::OutOfMemory(_) | GpuError::Wgpu(_)),
        "unexpected error {e:?}"
    );
    eprintln!("oversized buffer: {e}");
    assert_eq!(ctx.sigmoid(&[0.0]).unwrap(), [0.5]);
}

/// The timing helpers run every resident kernel (those the device has the
/// features for) and label the device.
#[test]
fn bench_helpers_run() {
    use sigmoid_kernels::gpu::bench;
    let ctx = gpu_or_skip!();
    let label = bench::label(ctx);
    eprintln!("adapter: {label}");
    assert!(label.contains(&ctx.adapter_info().name), "{label}");
    assert_eq!(ctx.is_software(), label.contains("software"), "{label}");
    let x = random(4096, -8.0, 8.0, 41);
    assert!(bench::round_trip(ctx, &x, 2).unwrap().as_nanos() > 0);
    for (name, kernel) in bench::RESIDENT {
        match bench::resident(ctx, kernel, 4096, 2) {
            Ok(t) => assert!(t.as_nanos() > 0, "{name}"),
            Err(GpuError::MissingFeature(f)) => eprintln!("{name}: no {f} on this device"),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert!(bench::resident_bce(ctx, 4096, 2).unwrap().as_nanos() > 0);
    assert!(bench::copy(ctx, 4096, 2).unwrap().as_nanos() > 0);
}

/// Every f32 input through the GPU forward against the oracle: the figures in
/// the `gpu` module docs come from this test. Minutes on lavapipe; run with
/// `cargo test --release --test gpu -- --ignored --nocapture forward_exhaustive`.
///
/// The non-NaN inputs go in ascending order (−∞, −FLT_MAX … −0, +0 … +∞), in
/// chunks, so one pass checks the bound, the range and monotonicity; then
/// every NaN pattern. Also counts the outputs that differ in any bit from the
/// CPU exact tier (`sigmoid_kernels::sigmoid`), which is reported, not
/// required.
#[test]
#[ignore = "all 2^32 inputs: minutes on lavapipe; run explicitly"]
fn forward_exhaustive() {
    use rayon::prelude::*;
    let ctx = gpu_or_skip!();
    // Positions 0 ..= HALF − 1 are −∞ … −0, HALF … 2·HALF − 1 are +0 … +∞.
    const HALF: u32 = 0x7f80_0001;
    const CHUNK: u32 = 1 << 24;
    const BLOCK: usize = 1 << 16;
    let at = |p: u32| -> f32 {
        if p < HALF {
            f32::from_bits(0x8000_0000 | (HALF - 1 - p))
        } else {
            f32::from_bits(p - HALF)
        }
    };
    // Per block: worst case, decreases, differences from the CPU, flushes.
    let check = |xs: &[f32], ys: &[f32], cpu: &[f32]| -> (Worst, u64, u64, u64) {
        let mut w = Worst::default();
        let (mut flushed, mut differ) = (0, 0);
        for i in 0..xs.len() {
            let (x, y) = (xs[i], ys[i]);
            assert!((0.0..=1.0).contains(&y), "σ({x:e}) = {y:e}");
            let want = reference::sigmoid_f64(f64::from(x));
            let err = FORWARD.error(y, want);
            assert!(
                err <= FORWARD_ULP,
                "exhaustive: x = {x:e}: got {y:e}, want {want:e}: {err} ULP"
            );
            w.merge(&Worst {
                err,
                index: i,
                x,
                arg: "x",
                dy: None,
                got: y,
                want,
            });
            flushed += u64::from(y == 0.0 && want > MIN_SUBNORMAL / 2.0);
            differ += u64::from(y.to_bits() != cpu[i].to_bits());
        }
        let down = ys.windows(2).filter(|p| p[1] < p[0]).count() as u64;
        (w, down, differ, flushed)
    };
    let (mut worst, mut down, mut differ, mut flushed) = (Worst::default(), 0u64, 0u64, 0u64);
    let mut last: Option<f32> = None;
    let total = 2 * u64::from(HALF);
    let (mut xs, mut ys, mut cpu) = (Vec::new(), Vec::new(), Vec::new());
    for start in (0..total).step_by(CHUNK as usize) {
        let end = (start + u64::from(CHUNK)).min(total);
        xs.clear();
        xs.par_extend((start as u32..=(end - 1) as u32).into_par_iter().map(at));
        ys.resize(xs.len(), 0.0);
        cpu.resize(xs.len(), 0.0);
        ctx.sigmoid_into(&xs, &mut ys).unwrap();
        sigmoid_kernels::sigmoid(&xs, &mut cpu);
        let parts: Vec<_> = xs
            .par_chunks(BLOCK)
            .zip(ys.par_chunks(BLOCK))
            .zip(cpu.par_chunks(BLOCK))
            .map(|((x, y), c)| check(x, y, c))
            .collect();
        for (w, d, diff, f) in parts {
            worst.merge(&w);
            (down, differ, flushed) = (down + d, differ + diff, flushed + f);
        }
        down += ys
            .chunks(BLOCK)
            .map(|b| b[0])
            .zip(ys.chunks(BLOCK).map(|b| b[b.len() - 1]))
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|w| w[1].0 < w[0].1)
            .count() as u64;
        down += u64::from(last.is_some_and(|l| ys[0] < l));
        last = ys.last().copied();
    }
    // The NaN patterns: 2^24 − 2 of them, each returned unchanged as a NaN.
    let nans: Vec<f32> = (0x7f80_0001u32..=0x7fff_ffff)
        .flat_map(|b| [b, b | 0x8000_0000])
        .map(f32::from_bits)
        .collect();
    let out = ctx.sigmoid(&nans).unwrap();
    let not_nan = out.iter().filter(|y| !y.is_nan()).count();
    let nan_differ = nans
        .iter()
        .zip(&out)
        .filter(|(x, y)| x.to_bits() != y.to_bits())
        .count();
    eprintln!(
        "{}: forward over all 2^32 inputs: max {:.3} ULP (bound {FORWARD_ULP}) where σ ≥ 2^-126, \
         at x = {:e}: got {:e}, want {:e}; {down} monotonicity violations; {differ} outputs \
         differ from the CPU exact tier; {flushed} flushed to zero; {nan_differ} NaN payloads \
         changed",
        ctx.adapter_info().name,
        worst.err,
        worst.x,
        worst.got,
        worst.want
    );
    assert_eq!(not_nan, 0, "NaN inputs that did not give NaN");
    assert_eq!(down, 0, "monotonicity violations");
}

/// A destroyed device: every call is an error value, not a panic (the
/// buffers that hold constants or f16 inputs are written through the queue,
/// not mapped at creation), and so is building a context on it.
#[test]
fn a_destroyed_device_gives_errors_not_panics() {
    let ctx = gpu_or_skip!();
    let adapter = same_adapter(ctx);
    let desc = wgpu::DeviceDescriptor {
        required_features: adapter.features() & wgpu::Features::SHADER_F16,
        ..Default::default()
    };
    let (device, queue) = pollster::block_on(adapter.request_device(&desc)).unwrap();
    let own = GpuContext::from_device(device.clone(), queue.clone()).unwrap();
    let (x, t) = (vec![0.5f32; 300], vec![1.0f32; 300]);
    let bufs: Vec<wgpu::Buffer> = ["x", "t", "loss", "dx", "partials"]
        .iter()
        .map(|l| storage(&own, l, 4096))
        .collect();
    device.destroy();
    assert!(own.sigmoid(&x).is_err());
    let o = sigmoid_kernels::loss::BceOptions::default();
    let r = sigmoid_kernels::loss::Reduction::Mean;
    assert!(own.bce_with_logits(&x, &t, &o, r).is_err());
    if desc.required_features.contains(wgpu::Features::SHADER_F16) {
        let h = vec![sigmoid_kernels::half::f16::ONE; 10];
        assert!(own.sigmoid_f16(&h).is_err());
    }
    let mut encoder = own
        .device()
        .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    let b = sigmoid_kernels::gpu::loss::BceBuffers {
        x: F32Buffer::new(&bufs[0]),
        t: F32Buffer::new(&bufs[1]),
        weight: None,
        pos_weight: None,
        loss: F32Buffer::new(&bufs[2]),
        dx: F32Buffer::new(&bufs[3]),
        partials: F32Buffer::new(&bufs[4]),
    };
    assert!(own
        .encode_bce_with_logits(&mut encoder, &b, 0.0, 1.0, 300)
        .is_err());
    assert!(GpuContext::from_device(device, queue).is_err());
}
