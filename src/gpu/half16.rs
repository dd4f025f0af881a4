//! σ and its gradient on binary16 ([`f16`](struct@f16)) slices on the GPU, where the
//! device has wgpu's [`wgpu::Features::SHADER_F16`] (WGSL `enable f16;`):
//! [`GpuContext::sigmoid_f16`] and [`GpuContext::sigmoid_backward_f16`]
//! (host round trips: upload, kernel, readback; the data moves as 2 bytes
//! per element).
//!
//! [`GpuContext::new`] requests `SHADER_F16` only when the adapter offers
//! it, and compiles these kernels only then; elsewhere both calls return
//! [`GpuError::MissingFeature`], and the host path is the CPU's
//! [`crate::sigmoid_f16`] (or widening to `f32` for [`GpuContext::sigmoid`]).
//! lavapipe (Mesa's Vulkan on the CPU, which CI uses) offers it.
//!
//! # Formula and accuracy
//! The shader ([`F16_WGSL`]) widens each input to `f32` (exact), computes
//! in `f32` and narrows once, round to nearest-even, on the bit pattern (so
//! WGSL's freedom to round `f32 → f16` conversions either way is never
//! used: the value converted is already a binary16 number).
//! - forward: correctly rounded for every one of the 65,536 inputs
//!   ([`F16_FORWARD_ULP`] = 0.5 ULP, the CPU's
//!   [`crate::SIGMOID_16_MAX_ULP`]; bit for bit the CPU's
//!   [`crate::sigmoid_f16`] for every input but NaN, which comes back as
//!   it went in, where the CPU returns a quiet NaN). The exact tier's σ is
//!   kept as an unevaluated
//!   pair hi + lo (its quotient y₀·(1 + ρ) as two terms, 1 − t by Fast2Sum;
//!   < 2^−43 relative error), and the rounding decides on which side of the
//!   nearest binary16 midpoint the pair lies, so the double rounding of an
//!   `f32` σ narrowed again (which misses the correctly rounded result for
//!   7 inputs on lavapipe, all near 0: ±0.0015 to ±0.0107) cannot happen.
//! - backward: dy·y is exact in `f32` (11-bit significands), 1 − y is
//!   exact for y in [0, 1], so dx = (dy·y)·(1 − y) is rounded once in
//!   `f32` and once to binary16: within [`F16_BACKWARD_ULP`] of the `f64`
//!   value of dy·y·(1 − y).
//!
//! Measured on lavapipe (Mesa 22.3.6, "llvmpipe (LLVM 15.0.6, 256 bits)",
//! which offers `SHADER_F16`), `tests/gpu_half16.rs` (under a second):
//! forward equal to the CPU's correctly rounded σ for all 65,536 inputs
//! (max 0.5 ULP), NaN payloads kept; backward max 0.5001 binary16 ULP over
//! 403,500 (y, dy) pairs (every y in [0, 1] with 22 values of dy, and every
//! bit pattern of y with random dy).
//!
//! # Special values
//! NaN inputs are returned unchanged (backward: that of `y`, else that of
//! `dy`); σ(±0) = 0.5, σ(+∞) = 1, σ(−∞) = +0; subnormal binary16 inputs and
//! results are exact or rounded like normal ones (nothing is flushed: the
//! narrowing is integer arithmetic). A backward result whose magnitude
//! rounds beyond 65504 (only for y far outside [0, 1]) is whatever the
//! device's `f16` conversion gives (WGSL leaves it indeterminate), as is
//! an infinite `dy`.
//!
//! ```
//! use sigmoid_kernels::gpu::GpuContext;
//! use sigmoid_kernels::half::f16;
//! let Ok(ctx) = GpuContext::new() else { return Ok(()) }; // no adapter here
//! if !ctx.has_f16() { return Ok(()) } // no SHADER_F16: the CPU's sigmoid_f16
//! let y = ctx.sigmoid_f16(&[f16::from_f32(0.0), f16::from_f32(2.5)])?;
//! assert_eq!(y[0], f16::from_f32(0.5));
//! let dx = ctx.sigmoid_backward_f16(&y, &[f16::ONE; 2])?;
//! assert_eq!(dx[0], f16::from_f32(0.25));
//! # Ok::<(), sigmoid_kernels::gpu::GpuError>(())
//! ```

use half::f16;

use super::encode::{dispatch_size, Kernel};
use super::{buffer_with, same_len, GpuContext, GpuError};

/// WGSL source of the binary16 kernels (entry points `sigmoid_f16_forward`,
/// `sigmoid_f16_backward`): `enable f16;`, the exact tier's shared helpers,
/// then the kernels.
pub const F16_WGSL: &str = concat!(
    "enable f16;\n",
    include_str!("../../shaders/exact_arith.wgsl"),
    include_str!("../../shaders/sigmoid_f16.wgsl")
);

/// Error bound of [`GpuContext::sigmoid_f16`] in binary16 ULPs
/// ([`crate::reference::ulp_f16`]) against the `f64` σ: correctly rounded
/// for every one of the 65,536 inputs (the CPU's
/// [`crate::SIGMOID_16_MAX_ULP`]); `tests/gpu_half16.rs` checks all of them
/// against the CPU's result, bit for bit, on the device it runs on.
pub const F16_FORWARD_ULP: f64 = crate::SIGMOID_16_MAX_ULP;
/// Error bound of [`GpuContext::sigmoid_backward_f16`] in binary16 ULPs
/// against the `f64` dy·y·(1 − y) of the same inputs (the CPU's
/// [`crate::SIGMOID_BACKWARD_16_MAX_ULP`]).
pub const F16_BACKWARD_ULP: f64 = crate::SIGMOID_BACKWARD_16_MAX_ULP;

/// The two pipelines, compiled when the device has `SHADER_F16`.
#[derive(Debug)]
pub(crate) struct HalfKernels {
    forward: Kernel,
    backward: Kernel,
}

impl HalfKernels {
    /// Compiles the pipelines if `device` has `SHADER_F16` (call inside an
    /// error scope).
    pub(crate) fn new(device: &wgpu::Device) -> Option<Self> {
        device
            .features()
            .contains(wgpu::Features::SHADER_F16)
            .then(|| Self {
                forward: Kernel::new(device, F16_WGSL, "sigmoid_f16_forward"),
                backward: Kernel::new(device, F16_WGSL, "sigmoid_f16_backward"),
            })
    }
}

impl GpuContext {
    /// True if the device has `SHADER_F16`, so that
    /// [`sigmoid_f16`](GpuContext::sigmoid_f16) and
    /// [`sigmoid_backward_f16`](GpuContext::sigmoid_backward_f16) run.
    #[must_use]
    pub fn has_f16(&self) -> bool {
        self.half.is_some()
    }

    fn half_kernels(&self) -> Result<&HalfKernels, GpuError> {
        self.half
            .as_ref()
            .ok_or(GpuError::MissingFeature("SHADER_F16"))
    }

    /// `y[i] = σ(x[i])` on binary16 on the GPU, within [`F16_FORWARD_ULP`]
    /// (see the [module docs](self)).
    ///
    /// # Errors
    /// [`GpuError::MissingFeature`] without `SHADER_F16`, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn sigmoid_f16(&self, x: &[f16]) -> Result<Vec<f16>, GpuError> {
        let kernel = &self.half_kernels()?.forward;
        let mut y = vec![f16::ZERO; x.len()];
        self.half_round_trip(kernel, &[x], &mut y)?;
        Ok(y)
    }

    /// `dx[i] = dy[i]·y[i]·(1 − y[i])` on binary16 on the GPU from the
    /// saved forward output `y`, within [`F16_BACKWARD_ULP`].
    ///
    /// # Errors
    /// [`GpuError::MissingFeature`] without `SHADER_F16`,
    /// [`GpuError::LengthMismatch`] if `dy.len() != y.len()`, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn sigmoid_backward_f16(&self, y: &[f16], dy: &[f16]) -> Result<Vec<f16>, GpuError> {
        let kernel = &self.half_kernels()?.backward;
        same_len("dy", y.len(), dy.len())?;
        let mut dx = vec![f16::ZERO; y.len()];
        self.half_round_trip(kernel, &[y, dy], &mut dx)?;
        Ok(dx)
    }

    /// Uploads `inputs` chunk by chunk (padded to an even length: storage
    /// bindings are whole words), runs `kernel` and reads the result into
    /// `out`.
    fn half_round_trip(
        &self,
        kernel: &Kernel,
        inputs: &[&[f16]],
        out: &mut [f16],
    ) -> Result<(), GpuError> {
        self.check_lost()?;
        let chunk = usize::try_from(self.chunk).unwrap_or(usize::MAX).max(2) & !1;
        for (start, out) in (0..).step_by(chunk).zip(out.chunks_mut(chunk)) {
            let n = out.len();
            let padded = n + (n & 1);
            let bytes = padded as u64 * 2;
            let storage = wgpu::BufferUsages::STORAGE;
            let (ins, output, staging) = self.scoped("f16 buffers", || {
                let ins: Vec<wgpu::Buffer> = inputs
                    .iter()
                    .map(|input| {
                        let mut part = input[start..start + n].to_vec();
                        part.resize(padded, f16::ZERO);
                        buffer_with(
                            &self.device,
                            &self.queue,
                            "sigmoid f16 input",
                            bytemuck::cast_slice(&part),
                            storage,
                        )
                    })
                    .collect();
                let buffer = |label, usage| {
                    self.device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some(label),
                        size: bytes,
                        usage,
                        mapped_at_creation: false,
                    })
                };
                let output = buffer("sigmoid f16 output", storage | wgpu::BufferUsages::COPY_SRC);
                let staging = buffer(
                    "sigmoid f16 staging",
                    wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                );
                (ins, output, staging)
            })?;
            let max_dim = self.limits.max_compute_workgroups_per_dimension;
            self.scoped("f16 kernel", || {
                let entries: Vec<_> = ins
                    .iter()
                    .chain([&output])
                    .enumerate()
                    .map(|(i, b)| wgpu::BindGroupEntry {
                        binding: i as u32,
                        resource: b.as_entire_binding(),
                    })
                    .collect();
                let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("sigmoid f16"),
                    layout: &kernel.layout,
                    entries: &entries,
                });
                let mut encoder =
                    self.device
                        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                            label: Some("sigmoid f16 round trip"),
                        });
                {
                    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: Some("sigmoid f16"),
                        timestamp_writes: None,
                    });
                    pass.set_pipeline(&kernel.pipeline);
                    pass.set_bind_group(0, &group, &[]);
                    let (gx, gy) = dispatch_size(padded as u64, max_dim);
                    // One deep in z: the shader's `pin` reads groups.z − 1 as 0.
                    pass.dispatch_workgroups(gx, gy, 1);
                }
                encoder.copy_buffer_to_buffer(&output, 0, &staging, 0, bytes);
                self.queue.submit([encoder.finish()]);
            })?;
            self.read_back(&staging, bytes, out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::F16_WGSL;
    use naga::valid::{Capabilities, ValidationFlags, Validator};

    /// The shader is valid WGSL with the `f16` capability and only with it
    /// (a device without `SHADER_F16` must not compile it), with no GPU.
    #[test]
    fn shader_validates_with_f16_only() {
        let module = naga::front::wgsl::parse_str(F16_WGSL).expect("the f16 shader parses");
        let mut with = Validator::new(ValidationFlags::all(), Capabilities::SHADER_FLOAT16);
        with.validate(&module).expect("valid with SHADER_FLOAT16");
        let mut without = Validator::new(ValidationFlags::all(), Capabilities::empty());
        assert!(without.validate(&module).is_err(), "valid without f16");
    }
}
