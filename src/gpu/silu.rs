//! SiLU (Swish) x·σ(x) and its gradient from the input on the GPU (the
//! CPU's [`crate::silu`] and [`crate::silu_backward`]), in the host and the
//! device-resident forms of the σ kernels.
//!
//! The shaders ([`SILU_WGSL`], [`SILU_BACKWARD_WGSL`]) are the CPU
//! algorithms of `cpu/silu.rs` step for step, built on the exact σ tier's
//! reduction, e^r pair and quotient from `shaders/exact_arith.wgsl` (the
//! forward σ shader's own steps), and rely neither on WGSL's division
//! (2.5 ULP allowed) nor on `fma` being fused: where the CPU rounds c − a·b
//! once with a fused multiply-subtract, the shaders use Dekker's product and
//! Knuth's TwoSum (`mul_sub`), and sums that carry their error are pinned
//! against reassociation, as in the σ shaders (see the [module docs](super)).
//!
//! # Accuracy
//! The bounds are the CPU kernels' ([`SILU_ULP`], 2 ULP;
//! [`SILU_BACKWARD_ULP`], 2 ULP of the larger term), enforced by
//! `tests/gpu_silu.rs` wherever the result is ≥ 2^−126 (a device may flush
//! subnormals; lavapipe does not). Measured on lavapipe (Mesa 22.3.6,
//! "llvmpipe (LLVM 15.0.6, 256 bits)"), every 509th bit pattern plus the
//! special inputs and ±300 ULP around the regime edges (8.45 M inputs;
//! `strided_sweeps`):
//! - SiLU: max 1.514 ULP (at x = −1.8777; the CPU's maximum over all 2^32
//!   inputs is 1.538 without σ's table form, 1.484 with it on avx512), subnormal results included: 71,658 kept, none
//!   flushed;
//! - the gradient: max 1.410 ULP of the larger term with dy uniform in
//!   [−4, 4] (at x = −38.96) and 1.411 with dy = ±2^±40 (at x = −58.06)
//!   (the CPU: 1.49–1.66), subnormal results kept. A first shader that
//!   rounded a·t and s·a·t where the CPU fuses them measured 1.736; their
//!   exact products (`two_prod`) brought it to the CPU's level.
//!
//! Over all 2^32 inputs (the ignored `silu_exhaustive`, 27 min on 2
//! heavily shared cores): SiLU max 1.538 ULP, subnormal results included
//! (none flushed), at x = −1.9000207: the same maximum at the same input
//! as the CPU's avx2+fma, scalar and SSE2 backends; the gradient (dy = 1
//! for even bit patterns of x, dy = ±2^±40 for odd ones; 30 min) max
//! 1.562 ULP of the larger term (at x = −50.32, dy = −1.75e−12), 2,190,039
//! subnormal results kept, none flushed.
//! `SIGMOID_GPU_KERNEL=silu` or `silu_backward` runs one kernel.
//!
//! What the bounds assume of a device is what the σ shaders assume (see
//! the [parent module](super)); no other device has been measured.
//!
//! # Special values
//! As on the CPU, decided on bit patterns (WGSL leaves NaN and ∞ arithmetic
//! indeterminate): NaN is returned unchanged (the gradient: that of x, else
//! that of dy); silu(+∞) = +∞, silu(−∞) = −0 (the limit's sign, not the NaN
//! of −∞·0), silu(±0) = ±0, silu(x) = x for x ≥ 110 and −0 for x ≤ −110;
//! the gradient at x = +∞ is dy, at x = −∞ it is ∓0 (dy·(−0)), at ±0 it is
//! dy/2. An infinite dy gives whatever the device's arithmetic gives.

use super::encode::Kernel;
use super::{same_len, F32Buffer, GpuContext, GpuError};

/// WGSL source of SiLU (entry point `silu`): the shared helpers, then the
/// kernel.
pub const SILU_WGSL: &str = concat!(
    include_str!("../../shaders/exact_arith.wgsl"),
    include_str!("../../shaders/silu.wgsl")
);
/// WGSL source of the SiLU gradient (entry point `silu_backward`), as
/// [`SILU_WGSL`].
pub const SILU_BACKWARD_WGSL: &str = concat!(
    include_str!("../../shaders/exact_arith.wgsl"),
    include_str!("../../shaders/silu_backward.wgsl")
);

/// Error bound of [`GpuContext::silu`] (ULP, where |result| ≥ 2^−126; a
/// device that flushes subnormals may give ±0 below): the CPU's
/// [`crate::SILU_MAX_ULP`]; measured figures in the [module docs](self).
pub const SILU_ULP: f64 = crate::SILU_MAX_ULP;
/// Error bound of [`GpuContext::silu_backward`], for finite dy: the
/// absolute error in ULPs of the larger of |dy·σ(x)| and
/// |dy·x·σ(x)·σ(−x)| ([`check::silu_backward_error`](crate::check::silu_backward_error)),
/// as the CPU's [`crate::SILU_BACKWARD_MAX_ULP`]; where the exact gradient
/// is below 2^−126 a device that flushes subnormals may give ±0. Measured
/// figures in the [module docs](self).
pub const SILU_BACKWARD_ULP: f64 = crate::SILU_BACKWARD_MAX_ULP;

/// The two pipelines, compiled with the σ ones.
#[derive(Debug)]
pub(crate) struct SiluKernels {
    forward: Kernel,
    backward: Kernel,
}

impl SiluKernels {
    /// Compiles the pipelines (call inside an error scope).
    pub(crate) fn new(device: &wgpu::Device) -> Self {
        Self {
            forward: Kernel::new(device, SILU_WGSL, "silu"),
            backward: Kernel::new(device, SILU_BACKWARD_WGSL, "silu_backward"),
        }
    }
}

impl GpuContext {
    /// `y[i] = x[i]·σ(x[i])` on the GPU: upload, kernel, readback (see the
    /// [module docs](self) for accuracy and special values).
    ///
    /// ```
    /// use sigmoid_kernels::gpu::GpuContext;
    /// let Ok(ctx) = GpuContext::new() else { return Ok(()) }; // no adapter here
    /// let y = ctx.silu(&[0.0, 200.0, f32::NEG_INFINITY, 1.0])?;
    /// assert_eq!(y[..2], [0.0, 200.0]);
    /// assert_eq!(y[2].to_bits(), (-0.0f32).to_bits());
    /// assert!((y[3] - 0.731_058_6).abs() < 1e-7);
    /// let dx = ctx.silu_backward(&[0.0, 1.0], &[2.0, 1.0])?;
    /// assert_eq!(dx[0], 1.0);
    /// assert!((dx[1] - 0.927_670_5).abs() < 1e-7); // σ(1)·(1 + σ(−1))
    /// # Ok::<(), sigmoid_kernels::gpu::GpuError>(())
    /// ```
    ///
    /// # Errors
    /// As [`sigmoid`](GpuContext::sigmoid).
    pub fn silu(&self, x: &[f32]) -> Result<Vec<f32>, GpuError> {
        let mut y = vec![0.0; x.len()];
        self.silu_into(x, &mut y)?;
        Ok(y)
    }

    /// [`silu`](GpuContext::silu) writing into `y`.
    ///
    /// # Errors
    /// [`GpuError::LengthMismatch`] if `y.len() != x.len()`, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn silu_into(&self, x: &[f32], y: &mut [f32]) -> Result<(), GpuError> {
        same_len("y", x.len(), y.len())?;
        self.round_trip(&self.silu.forward, &[x], y)
    }

    /// `dx[i] = dy[i]·σ(x[i])·(1 + x[i]·σ(−x[i]))` on the GPU from the
    /// forward input `x` (see [`silu`](GpuContext::silu)).
    ///
    /// # Errors
    /// [`GpuError::LengthMismatch`] if `dy.len() != x.len()`, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn silu_backward(&self, x: &[f32], dy: &[f32]) -> Result<Vec<f32>, GpuError> {
        let mut dx = vec![0.0; x.len()];
        self.silu_backward_into(x, dy, &mut dx)?;
        Ok(dx)
    }

    /// [`silu_backward`](GpuContext::silu_backward) writing into `dx`.
    ///
    /// # Errors
    /// [`GpuError::LengthMismatch`] if the three lengths differ, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn silu_backward_into(
        &self,
        x: &[f32],
        dy: &[f32],
        dx: &mut [f32],
    ) -> Result<(), GpuError> {
        same_len("dy", x.len(), dy.len())?;
        same_len("dx", x.len(), dx.len())?;
        self.round_trip(&self.silu.backward, &[x, dy], dx)
    }

    /// Records `y[i] = x[i]·σ(x[i])` for `len` elements into `encoder` over
    /// device buffers (the rules of
    /// [`encode_sigmoid`](GpuContext::encode_sigmoid)).
    ///
    /// # Errors
    /// As [`encode_sigmoid`](GpuContext::encode_sigmoid).
    pub fn encode_silu(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        x: F32Buffer<'_>,
        y: F32Buffer<'_>,
        len: u64,
    ) -> Result<(), GpuError> {
        self.encode(encoder, &self.silu.forward, &[("x", x)], ("y", y), len)
    }

    /// Records `dx[i] = dy[i]·silu′(x[i])` for `len` elements (the buffer
    /// rules of [`encode_sigmoid`](GpuContext::encode_sigmoid); `x` and `dy`
    /// may share a buffer, `dx` may not share one with either).
    ///
    /// # Errors
    /// As [`encode_sigmoid`](GpuContext::encode_sigmoid).
    pub fn encode_silu_backward(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        x: F32Buffer<'_>,
        dy: F32Buffer<'_>,
        dx: F32Buffer<'_>,
        len: u64,
    ) -> Result<(), GpuError> {
        self.encode(
            encoder,
            &self.silu.backward,
            &[("x", x), ("dy", dy)],
            ("dx", dx),
            len,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{SILU_BACKWARD_WGSL, SILU_WGSL};
    use crate::cpu::{silu, stable};

    /// The `f32` constants of `source` by name, as naga parses them.
    fn constants(source: &str) -> Vec<(String, f32)> {
        let module = naga::front::wgsl::parse_str(source).expect("the shader parses");
        module
            .constants
            .iter()
            .filter_map(|(_, c)| match module.global_expressions[c.init] {
                naga::Expression::Literal(naga::Literal::F32(v)) => {
                    Some((c.name.clone().expect("named constant"), v))
                }
                _ => None,
            })
            .collect()
    }

    /// The shaders' own constants are the CPU's (`cpu/silu.rs`,
    /// `cpu/stable.rs`), bit for bit (the exact tier's shared ones are
    /// checked in `gpu/mod.rs`).
    #[test]
    fn silu_shader_constants_are_the_cpus() {
        for (source, cpu) in [
            (
                SILU_WGSL,
                &[
                    ("FWD_CLAMP", silu::FWD_CLAMP),
                    ("FWD_K_MAX", silu::FWD_K_MAX),
                ][..],
            ),
            (
                SILU_BACKWARD_WGSL,
                &[
                    ("GRAD_CLAMP", silu::GRAD_CLAMP),
                    ("Q_CAP", silu::Q_CAP),
                    ("BIG_DY", silu::BIG_DY),
                    ("ROUNDER", stable::ROUNDER),
                    ("POW2_SHIFTER", stable::POW2_SHIFTER),
                ][..],
            ),
        ] {
            let shader = constants(source);
            for &(name, want) in cpu {
                let got = shader
                    .iter()
                    .find(|(n, _)| n == name)
                    .unwrap_or_else(|| panic!("the shader has no constant {name}"))
                    .1;
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "{name}: shader {got:e}, CPU {want:e}"
                );
            }
        }
    }
}
