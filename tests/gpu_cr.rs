//! σ correctly rounded on a real device (`gpu::cr`): the 1505 hard inputs
//! (`tests/data/sigmoid_cr_hard.txt`, mpmath at 200 bits), the special
//! values and a strided sweep of the bit space, bit for bit against
//! [`reference::sigmoid_cr`] and the CPU's [`sigmoid_kernels::sigmoid_cr`];
//! the device-resident form; all 2^32 inputs in an ignored test.
//! Without an adapter every test prints why it skips and passes, unless
//! `SIGMOID_REQUIRE_GPU=1`; without `SHADER_F64` they check the error and
//! skip, unless `SIGMOID_REQUIRE_GPU_F64=1` (CI sets it: lavapipe has it).
#![cfg(feature = "gpu")]

mod support;

use sigmoid_kernels::check::{self, Bound, Func};
use sigmoid_kernels::gpu::cr::CR_ULP;
use sigmoid_kernels::gpu::{F32Buffer, GpuContext, GpuError};
use sigmoid_kernels::reference;
use support::gpu::{read, storage};
use support::{cr_hard_inputs, Rng};

/// The shared context if it has `SHADER_F64`; else `None` after checking
/// that the calls say which feature is missing.
fn ctx() -> Option<&'static GpuContext> {
    let ctx = support::gpu::ctx()?;
    if ctx.has_f64() {
        return Some(ctx);
    }
    let missing = GpuError::MissingFeature("SHADER_F64");
    assert_eq!(ctx.sigmoid_cr(&[1.0]), Err(missing.clone()));
    assert_eq!(
        ctx.sigmoid_cr_into(&[1.0], &mut [0.0]),
        Err(missing.clone())
    );
    let buffer = storage(ctx, "x", 64);
    let mut enc = ctx.device().create_command_encoder(&Default::default());
    let y = storage(ctx, "y", 64);
    assert_eq!(
        ctx.encode_sigmoid_cr(&mut enc, F32Buffer::new(&buffer), F32Buffer::new(&y), 64),
        Err(missing)
    );
    if std::env::var("SIGMOID_REQUIRE_GPU_F64").as_deref() == Ok("1") {
        panic!(
            "SIGMOID_REQUIRE_GPU_F64=1 but {} has no SHADER_F64",
            ctx.adapter_info().name
        );
    }
    eprintln!(
        "skipping correctly rounded GPU test: {} has no SHADER_F64",
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

/// The inputs whose GPU result differs in any bit from
/// [`reference::sigmoid_cr`], as readable lines.
fn differences(x: &[f32], y: &[f32]) -> Vec<String> {
    x.iter()
        .zip(y)
        .filter_map(|(&x, &y)| {
            let want = reference::sigmoid_cr(x);
            (y.to_bits() != want.to_bits()).then(|| {
                format!(
                    "x = {x:e} ({:#010x}): got {y:e} ({:#010x}), want {want:e} ({:#010x})",
                    x.to_bits(),
                    y.to_bits(),
                    want.to_bits()
                )
            })
        })
        .collect()
}

/// Every hard input (σ(x) within 2^−21 ULP of a midpoint), bit for bit
/// the mpmath result. The 591 within 5·10^−8 ULP lie closer to the
/// midpoint than the rounding test's margin (2^−47 relative, less the fast
/// path's 2^−50 error), so the shader's double-double slow path decides
/// them whatever the device; rounding the `f64` value would be wrong for
/// some of them (`cpu/cr.rs`'s unit test).
#[test]
fn hard_inputs_are_correctly_rounded() {
    let ctx = gpu_or_skip!();
    let hard = cr_hard_inputs();
    let x: Vec<f32> = hard.iter().map(|h| h.0).collect();
    let y = ctx.sigmoid_cr(&x).unwrap();
    let wrong: Vec<String> = hard
        .iter()
        .zip(&y)
        .filter(|((_, want, _), got)| got.to_bits() != want.to_bits())
        .map(|((x, want, _), got)| {
            format!(
                "x = {x:e} ({:#010x}): got {got:e}, want {want:e}",
                x.to_bits()
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} hard inputs wrong on {}: {wrong:#?}",
        wrong.len(),
        hard.len(),
        ctx.adapter_info().name
    );
    assert_eq!(differences(&x, &y), Vec::<String>::new());
}

/// The shared special values, NaN payloads, subnormal inputs and results,
/// the clamp, the underflow edge and random inputs: the bits of [`reference::sigmoid_cr`]
/// (NaN quieted with its payload and sign).
#[test]
fn special_values() {
    let ctx = gpu_or_skip!();
    let mut x = support::special_inputs();
    x.extend(check::SPECIALS.map(|s| s.1));
    x.extend([
        -103.0f32, -103.97, -104.0, -104.5, 104.0, 88.0, 17.0, 16.6355,
    ]);
    // Every result below 2^−126 is subnormal: x from −87.34 to −103.97.
    x.extend((0..2000).map(|i| -87.0 - i as f32 * 0.0085));
    x.extend((1..200u32).map(f32::from_bits));
    x.extend((1..200u32).map(|b| f32::from_bits(0x8000_0000 | b)));
    let mut rng = Rng(16);
    x.extend((0..20_000).map(|_| rng.uniform(-110.0, 110.0)));
    x.extend([
        f32::from_bits(0x7f80_0001),
        f32::from_bits(0xff80_1234),
        f32::from_bits(0x7fc0_0000),
        f32::from_bits(0xffff_ffff),
    ]);
    let y = ctx.sigmoid_cr(&x).unwrap();
    assert_eq!(differences(&x, &y), Vec::<String>::new());
    let specials = ctx.sigmoid_cr(&check::SPECIALS.map(|s| s.1)).unwrap();
    for (i, &got) in specials.iter().enumerate() {
        assert!(check::special_ok(i, got), "special {i}: {got:e}");
    }
    let subnormal = y.iter().filter(|v| **v > 0.0 && v.is_subnormal()).count();
    assert!(subnormal > 1000, "{subnormal} subnormal results");
}

/// Every 1021st bit pattern (4.2 M inputs, all signs and magnitudes)
/// through the shared checker against [`reference::sigmoid_cr`] (0 ULP,
/// in range, monotone) and bit for bit against the CPU's `sigmoid_cr`.
#[test]
fn strided_sweep() {
    let ctx = gpu_or_skip!();
    let x: Vec<f32> = (0..=u32::MAX).step_by(1021).map(f32::from_bits).collect();
    let y = ctx.sigmoid_cr(&x).unwrap();
    let bound = Bound::Ulp(CR_ULP);
    let s = check::of(Func::SigmoidCr, bound, &x, &[], &y);
    s.assert_holds("GPU sigmoid_cr, every 1021st input", bound, true);
    let mut cpu = vec![0.0f32; x.len()];
    sigmoid_kernels::sigmoid_cr(&x, &mut cpu);
    let differ = x
        .iter()
        .zip(y.iter().zip(&cpu))
        .filter(|(x, (g, c))| !x.is_nan() && g.to_bits() != c.to_bits())
        .count();
    assert_eq!(differ, 0, "results differing from the CPU's sigmoid_cr");
    eprintln!(
        "{}: sigmoid_cr, {} of {} inputs not correctly rounded",
        ctx.adapter_info().name,
        s.violations,
        s.n
    );
}

/// Lengths around the workgroup size, the `_into` form, the length check,
/// and the device-resident form at an aligned offset giving the host
/// form's bits; an aliased output is an error.
#[test]
fn lengths_and_resident_form() {
    let ctx = gpu_or_skip!();
    let hard: Vec<f32> = cr_hard_inputs().iter().map(|h| h.0).collect();
    for len in [0usize, 1, 3, 255, 256, 257, 1000] {
        let x: Vec<f32> = hard.iter().copied().cycle().skip(len).take(len).collect();
        let mut y = vec![f32::NAN; len];
        ctx.sigmoid_cr_into(&x, &mut y).unwrap();
        assert_eq!(differences(&x, &y), Vec::<String>::new(), "len {len}");
    }
    assert_eq!(
        ctx.sigmoid_cr_into(&[1.0; 3], &mut [0.0; 2]),
        Err(GpuError::LengthMismatch {
            what: "y",
            expected: 3,
            got: 2
        })
    );
    let off = ctx.offset_alignment();
    let n = hard.len() as u64;
    let xb = storage(ctx, "x", off + n);
    ctx.queue()
        .write_buffer(&xb, off * 4, bytemuck::cast_slice(&hard));
    let yb = storage(ctx, "y", off + n);
    let mut enc = ctx.device().create_command_encoder(&Default::default());
    ctx.encode_sigmoid_cr(
        &mut enc,
        F32Buffer::at(&xb, off),
        F32Buffer::at(&yb, off),
        n,
    )
    .unwrap();
    ctx.queue().submit([enc.finish()]);
    let y = read(ctx, &yb, off, n);
    assert_eq!(differences(&hard, &y), Vec::<String>::new(), "resident");
    let mut enc = ctx.device().create_command_encoder(&Default::default());
    let e = ctx
        .encode_sigmoid_cr(&mut enc, F32Buffer::at(&xb, off), F32Buffer::new(&xb), n)
        .unwrap_err();
    assert_eq!(e, GpuError::Aliased { what: "x" });
}

/// All 2^32 inputs through the shared checker in bit order (chunks of
/// 2^16, one host round trip each): bit for bit
/// [`reference::sigmoid_cr`], in range, monotone. Run with `cargo test
/// --release --test gpu_cr -- --ignored --nocapture`; the figure in the
/// `gpu::cr` docs comes from it.
#[test]
#[ignore = "all 2^32 inputs: long on lavapipe; run explicitly"]
fn exhaustive() {
    let ctx = gpu_or_skip!();
    let bound = Bound::Ulp(CR_ULP);
    let stats = check::sweep(
        Func::SigmoidCr,
        &[ctx],
        (1usize << 32) / check::CHUNK,
        |c, x, _| check::all_bits(c, x),
        |ctx, x, _, y| {
            ctx.sigmoid_cr_into(x, y)
                .map_err(|e| (bound, e.to_string()))?;
            Ok(bound)
        },
        || {},
    );
    let (s, failed) = &stats[0];
    println!(
        "GPU sigmoid_cr on {}: {} of {} inputs not correctly rounded; outside [0,1]: {}; monotonicity violations: {}",
        ctx.adapter_info().name,
        s.violations,
        s.n,
        s.out_of_range,
        s.monotone
    );
    assert_eq!(failed, &None);
    s.assert_holds("GPU sigmoid_cr, all inputs", bound, true);
}
