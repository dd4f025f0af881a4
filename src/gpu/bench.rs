//! Timing helpers shared by `benches/gpu.rs` and the CLI bench.
//!
//! Each function runs its operation `iters` times after one untimed warm-up
//! and returns the total wall time (criterion's `iter_custom` convention;
//! divide by `iters` for one run). The device-resident timings record all
//! `iters` runs in one command buffer and wait once, so they measure the
//! device, not submission overhead. Print [`label`] next to the figures:
//! on a software device they say nothing about GPUs.

use std::time::{Duration, Instant};

use super::loss::BceBuffers;
use super::{F32Buffer, GpuContext, GpuError};

/// `"<adapter name> (<backend>)"`, with a warning appended on a software
/// device.
#[must_use]
pub fn label(ctx: &GpuContext) -> String {
    let info = ctx.adapter_info();
    let mut s = format!("{} ({:?})", info.name, info.backend);
    if ctx.is_software() {
        s.push_str(" [software device: GPU timings here mean little]");
    }
    s
}

/// Host round trip: upload `x`, kernel, read back (`ctx.sigmoid_into`).
///
/// # Errors
/// Any [`GpuError`] from the calls.
pub fn round_trip(ctx: &GpuContext, x: &[f32], iters: u32) -> Result<Duration, GpuError> {
    let mut y = vec![0.0; x.len()];
    ctx.sigmoid_into(x, &mut y)?;
    let start = Instant::now();
    for _ in 0..iters {
        ctx.sigmoid_into(x, &mut y)?;
    }
    Ok(start.elapsed())
}

/// A device-resident elementwise kernel from `x` to `y`: one of the
/// `encode_*` methods of [`GpuContext`] with that shape.
pub type Encode = fn(
    &GpuContext,
    &mut wgpu::CommandEncoder,
    F32Buffer<'_>,
    F32Buffer<'_>,
    u64,
) -> Result<(), GpuError>;

/// The elementwise kernels the benches time device-resident, each with the
/// `encode_*` method that records it (`sigmoid_cr` needs `SHADER_F64`).
pub const RESIDENT: [(&str, Encode); 5] = [
    ("sigmoid_gpu", GpuContext::encode_sigmoid),
    ("sigmoid_cr_gpu", GpuContext::encode_sigmoid_cr),
    ("silu_gpu", GpuContext::encode_silu),
    ("softplus_gpu", GpuContext::encode_softplus),
    ("log_sigmoid_gpu", GpuContext::encode_log_sigmoid),
];

/// Device-resident kernel `kernel` (from [`RESIDENT`]) over `len` elements
/// already on the GPU (a ramp over [−16, 16]).
///
/// # Errors
/// [`GpuError::OutOfMemory`] if the two buffers do not fit,
/// [`GpuError::MissingFeature`] for a kernel the device lacks a feature
/// for, or any other [`GpuError`] from the device.
pub fn resident(
    ctx: &GpuContext,
    kernel: Encode,
    len: u64,
    iters: u32,
) -> Result<Duration, GpuError> {
    let (x, y) = pair(ctx, len)?;
    timed(ctx, iters, |encoder| {
        kernel(ctx, encoder, F32Buffer::new(&x), F32Buffer::new(&y), len)
    })
}

/// The device-resident fused BCE with logits
/// ([`GpuContext::encode_bce_with_logits`]: no weights, Mean scale) over
/// `len` logits (the ramp) with targets 1/2: reads 8 bytes and writes 8 per
/// element, plus the partial sums.
///
/// # Errors
/// As [`resident`].
pub fn resident_bce(ctx: &GpuContext, len: u64, iters: u32) -> Result<Duration, GpuError> {
    let (x, t) = pair(ctx, len)?;
    ctx.scoped("bench upload", || {
        ctx.queue()
            .write_buffer(&t, 0, bytemuck::cast_slice(&vec![0.5f32; len as usize]));
    })?;
    let (loss, dx) = pair(ctx, len)?;
    let np = ctx.bce_partials_len(len);
    let (partials, _) = pair(ctx, np)?;
    let b = BceBuffers {
        x: F32Buffer::new(&x),
        t: F32Buffer::new(&t),
        weight: None,
        pos_weight: None,
        loss: F32Buffer::new(&loss),
        dx: F32Buffer::new(&dx),
        partials: F32Buffer::new(&partials),
    };
    let scale = 1.0 / len.max(1) as f64;
    timed(ctx, iters, |encoder| {
        ctx.encode_bce_with_logits(encoder, &b, 0.0, scale, len)
    })
}

/// Baseline: a buffer-to-buffer copy of `len` `f32`s on the device (the same
/// bytes read and written as [`resident`] of an elementwise kernel).
///
/// # Errors
/// As [`resident`].
pub fn copy(ctx: &GpuContext, len: u64, iters: u32) -> Result<Duration, GpuError> {
    let (x, y) = pair(ctx, len)?;
    timed(ctx, iters, |encoder| {
        encoder.copy_buffer_to_buffer(&x, 0, &y, 0, len * 4);
        Ok(())
    })
}

/// An input buffer holding a ramp over [−16, 16] and an output buffer.
fn pair(ctx: &GpuContext, len: u64) -> Result<(wgpu::Buffer, wgpu::Buffer), GpuError> {
    use wgpu::BufferUsages as U;
    let usage = U::STORAGE | U::COPY_SRC | U::COPY_DST;
    let make = |label| {
        ctx.device().create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (len * 4).max(4),
            usage,
            mapped_at_creation: false,
        })
    };
    let (x, y) = ctx.scoped("bench buffers", || (make("bench x"), make("bench y")))?;
    let ramp: Vec<f32> = (0..len)
        .map(|i| -16.0 + 32.0 * (i as f32) / (len.max(1) as f32))
        .collect();
    ctx.scoped("bench upload", || {
        ctx.queue().write_buffer(&x, 0, bytemuck::cast_slice(&ramp));
    })?;
    Ok((x, y))
}

/// Records `record` once (warm-up), then `iters` times into one encoder, and
/// times the submission until the queue is idle.
fn timed(
    ctx: &GpuContext,
    iters: u32,
    mut record: impl FnMut(&mut wgpu::CommandEncoder) -> Result<(), GpuError>,
) -> Result<Duration, GpuError> {
    let mut run = |n: u32| -> Result<Duration, GpuError> {
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("sigmoid bench"),
            });
        for _ in 0..n {
            record(&mut encoder)?;
        }
        let start = Instant::now();
        ctx.scoped("bench submit", || ctx.queue().submit([encoder.finish()]))?;
        ctx.device()
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::MapFailed(e.to_string()))?;
        Ok(start.elapsed())
    };
    run(1)?;
    run(iters)
}
