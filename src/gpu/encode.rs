//! The compute pipelines and the device-resident API: recording the kernels
//! into a caller's [`wgpu::CommandEncoder`] over caller-owned buffers.
//!
//! Host slices, staging buffers and readback live in `mod.rs`; this file
//! never submits or waits.

use super::{GpuContext, GpuError};

/// Invocations per workgroup; must match `@workgroup_size` in the shaders.
pub(crate) const WORKGROUP: u64 = 256;

/// WGSL source of the forward kernel (entry point `sigmoid_forward`): the
/// shared error-free helpers, then the kernel.
pub const FORWARD_WGSL: &str = concat!(
    include_str!("../../shaders/exact_arith.wgsl"),
    include_str!("../../shaders/sigmoid_forward.wgsl")
);
/// WGSL source of the backward kernel (entry point `sigmoid_backward`), as
/// [`FORWARD_WGSL`].
pub const BACKWARD_WGSL: &str = concat!(
    include_str!("../../shaders/exact_arith.wgsl"),
    include_str!("../../shaders/sigmoid_backward.wgsl")
);

/// A run of `f32`s in a caller's [`wgpu::Buffer`], starting `offset` elements
/// in. The buffer needs [`wgpu::BufferUsages::STORAGE`], and `offset · 4`
/// must be a multiple of the device's `min_storage_buffer_offset_alignment`
/// (256 bytes on most devices, so `offset` a multiple of 64).
#[derive(Clone, Copy, Debug)]
pub struct F32Buffer<'a> {
    /// The buffer.
    pub buffer: &'a wgpu::Buffer,
    /// First element, counted in `f32`s from the start of the buffer.
    pub offset: u64,
}

impl<'a> F32Buffer<'a> {
    /// The buffer from its first element.
    #[must_use]
    pub fn new(buffer: &'a wgpu::Buffer) -> Self {
        Self { buffer, offset: 0 }
    }

    /// The buffer from element `offset`.
    #[must_use]
    pub fn at(buffer: &'a wgpu::Buffer, offset: u64) -> Self {
        Self { buffer, offset }
    }
}

/// One compiled kernel.
#[derive(Debug)]
pub(crate) struct Kernel {
    pub(crate) pipeline: wgpu::ComputePipeline,
    pub(crate) layout: wgpu::BindGroupLayout,
    name: &'static str,
}

impl Kernel {
    /// Compiles `source`'s entry point `name` (call inside an error scope).
    pub(crate) fn new(device: &wgpu::Device, source: &str, name: &'static str) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(name),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(name),
            layout: None,
            module: &module,
            entry_point: Some(name),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            cache: None,
        });
        let layout = pipeline.get_bind_group_layout(0);
        Self {
            pipeline,
            layout,
            name,
        }
    }
}

/// Workgroup counts (x, y) covering `len` elements: x up to the device's
/// per-dimension limit, y for the rest. The shaders index with
/// `gid.x + gid.y · groups.x · 256`.
pub(crate) fn dispatch_size(len: u64, max_per_dim: u32) -> (u32, u32) {
    let groups = len.div_ceil(WORKGROUP);
    let x = groups.min(u64::from(max_per_dim));
    let y = groups.div_ceil(x.max(1));
    // The chunk size keeps y within the limit too (see `GpuContext::chunk`).
    (x as u32, y as u32)
}

impl GpuContext {
    /// Records `y[i] = σ(x[i])` for `len` elements into `encoder`, over
    /// buffers that stay on the device. Nothing is submitted: the caller
    /// submits `encoder` with the rest of its work (a training step can run
    /// forward, its own kernels and [`encode_sigmoid_backward`] without a
    /// round trip to the host).
    ///
    /// Ranges longer than the device's storage binding limit are split into
    /// several bindings at legal offsets, transparently. `len = 0` records
    /// nothing.
    ///
    /// ```
    /// use sigmoid_kernels::gpu::{F32Buffer, GpuContext};
    /// let Ok(ctx) = GpuContext::new() else { return Ok(()) }; // no adapter here
    /// let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
    /// let desc = |label| wgpu::BufferDescriptor { label: Some(label), size: 4096, usage, mapped_at_creation: false };
    /// let (x, y) = (ctx.device().create_buffer(&desc("x")), ctx.device().create_buffer(&desc("y")));
    /// let mut encoder = ctx.device().create_command_encoder(&Default::default());
    /// ctx.encode_sigmoid(&mut encoder, F32Buffer::new(&x), F32Buffer::new(&y), 1024)?;
    /// ctx.queue().submit([encoder.finish()]);
    /// # Ok::<(), sigmoid_kernels::gpu::GpuError>(())
    /// ```
    ///
    /// # Errors
    /// [`GpuError::BufferTooSmall`] if a buffer ends before `offset + len`,
    /// [`GpuError::Misaligned`] for an offset that is not a legal binding
    /// offset, [`GpuError::NotStorage`] for a buffer without `STORAGE`,
    /// [`GpuError::Aliased`] if `y` is `x`'s buffer, and
    /// [`GpuError::DeviceLost`] / [`GpuError::Wgpu`] from the device. On error
    /// nothing has been recorded. The buffers must be unmapped and the
    /// encoder from this context's device: wgpu checks those only at
    /// `finish`/`submit` (see the [module docs](super#errors)).
    ///
    /// [`encode_sigmoid_backward`]: GpuContext::encode_sigmoid_backward
    pub fn encode_sigmoid(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        x: F32Buffer<'_>,
        y: F32Buffer<'_>,
        len: u64,
    ) -> Result<(), GpuError> {
        self.encode(encoder, &self.forward, &[("x", x)], ("y", y), len)
    }

    /// Records `dx[i] = dy[i]·y[i]·(1 − y[i])` for `len` elements into
    /// `encoder` (see [`encode_sigmoid`](GpuContext::encode_sigmoid) for the
    /// buffer rules; `y` and `dy` may share a buffer, `dx` may not share one
    /// with either).
    ///
    /// # Errors
    /// As [`encode_sigmoid`](GpuContext::encode_sigmoid).
    pub fn encode_sigmoid_backward(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        y: F32Buffer<'_>,
        dy: F32Buffer<'_>,
        dx: F32Buffer<'_>,
        len: u64,
    ) -> Result<(), GpuError> {
        self.encode(
            encoder,
            &self.backward,
            &[("y", y), ("dy", dy)],
            ("dx", dx),
            len,
        )
    }

    pub(crate) fn check(
        &self,
        what: &'static str,
        b: F32Buffer<'_>,
        len: u64,
    ) -> Result<(), GpuError> {
        if !b.buffer.usage().contains(wgpu::BufferUsages::STORAGE) {
            return Err(GpuError::NotStorage { what });
        }
        let alignment = self.limits.min_storage_buffer_offset_alignment;
        let offset = b.offset.saturating_mul(4);
        if !offset.is_multiple_of(u64::from(alignment)) {
            return Err(GpuError::Misaligned {
                what,
                offset,
                alignment,
            });
        }
        let needed = b.offset.saturating_add(len).saturating_mul(4);
        if needed > b.buffer.size() {
            return Err(GpuError::BufferTooSmall {
                what,
                needed,
                size: b.buffer.size(),
            });
        }
        Ok(())
    }

    pub(crate) fn encode<'a>(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        kernel: &Kernel,
        inputs: &[(&'static str, F32Buffer<'a>)],
        output: (&'static str, F32Buffer<'a>),
        len: u64,
    ) -> Result<(), GpuError> {
        self.check_lost()?;
        for &(what, b) in inputs {
            self.check(what, b, len)?;
            if b.buffer == output.1.buffer {
                return Err(GpuError::Aliased { what });
            }
        }
        self.check(output.0, output.1, len)?;
        if len == 0 {
            return Ok(());
        }
        let chunk = self.chunk;
        let bind_groups = self.scoped("bind groups", || {
            let mut groups = Vec::new();
            let mut start = 0;
            while start < len {
                let n = chunk.min(len - start);
                let binding = |b: F32Buffer<'a>| wgpu::BufferBinding {
                    buffer: b.buffer,
                    offset: (b.offset + start) * 4,
                    size: wgpu::BufferSize::new(n * 4),
                };
                let buffers = inputs.iter().chain([&output]).map(|&(_, b)| binding(b));
                let entries: Vec<_> = buffers
                    .enumerate()
                    .map(|(i, b)| wgpu::BindGroupEntry {
                        binding: i as u32,
                        resource: wgpu::BindingResource::Buffer(b),
                    })
                    .collect();
                let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(kernel.name),
                    layout: &kernel.layout,
                    entries: &entries,
                });
                groups.push((group, n));
                start += n;
            }
            groups
        })?;
        let max_dim = self.limits.max_compute_workgroups_per_dimension;
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(kernel.name),
            timestamp_writes: None,
        });
        pass.set_pipeline(&kernel.pipeline);
        for (group, n) in &bind_groups {
            let (gx, gy) = dispatch_size(*n, max_dim);
            pass.set_bind_group(0, group, &[]);
            // One deep in z: the forward shader's `pin` reads groups.z − 1 as 0.
            pass.dispatch_workgroups(gx, gy, 1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_covers_length() {
        for &(len, max) in &[
            (1u64, 65535u32),
            (256, 65535),
            (257, 65535),
            (65535 * 256, 65535),
            (65535 * 256 + 1, 65535),
            (33_554_432, 65535),
            (1000, 2),
        ] {
            let (x, y) = dispatch_size(len, max);
            assert!(x <= max && y <= max, "{len}: {x}×{y}");
            assert!(
                u64::from(x) * u64::from(y) * WORKGROUP >= len,
                "{len}: {x}×{y}"
            );
            assert!(
                (u64::from(x) * (u64::from(y) - 1)) * WORKGROUP < len,
                "{len}: a whole row of {x}×{y} is idle"
            );
        }
    }
}
