//! Timing helpers shared by `benches/gpu.rs` and the CLI bench.
//!
//! Each function runs its operation `iters` times after one untimed warm-up
//! and returns the total wall time (criterion's `iter_custom` convention;
//! divide by `iters` for one run). The device-resident timings record all
//! `iters` runs in one command buffer and wait once, so they measure the
//! device, not submission overhead. Print [`label`] next to the figures:
//! on a software device they say nothing about GPUs.

use std::time::{Duration, Instant};

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

/// Device-resident forward kernel over `len` elements already on the GPU.
///
/// # Errors
/// [`GpuError::OutOfMemory`] if the two buffers do not fit, or any other
/// [`GpuError`] from the device.
pub fn resident(ctx: &GpuContext, len: u64, iters: u32) -> Result<Duration, GpuError> {
    let (x, y) = pair(ctx, len)?;
    timed(ctx, iters, |encoder| {
        ctx.encode_sigmoid(encoder, F32Buffer::new(&x), F32Buffer::new(&y), len)
    })
}

/// Device-resident correctly rounded kernel
/// ([`GpuContext::encode_sigmoid_cr`]) over `len` elements, as [`resident`].
///
/// # Errors
/// [`GpuError::MissingFeature`] without `SHADER_F64`, else as [`resident`].
pub fn resident_cr(ctx: &GpuContext, len: u64, iters: u32) -> Result<Duration, GpuError> {
    let (x, y) = pair(ctx, len)?;
    timed(ctx, iters, |encoder| {
        ctx.encode_sigmoid_cr(encoder, F32Buffer::new(&x), F32Buffer::new(&y), len)
    })
}

/// Baseline: a buffer-to-buffer copy of `len` `f32`s on the device (the same
/// bytes read and written as [`resident`]).
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
