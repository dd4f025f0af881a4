//! Softplus, log-sigmoid and the gradient of σ from its input on the GPU
//! (the CPU's [`crate::softplus`], [`crate::log_sigmoid`] and
//! [`crate::sigmoid_backward_from_input`]), in the host and the
//! device-resident forms of the σ kernels.
//!
//! The shaders ([`SOFTPLUS_WGSL`], [`BACKWARD_FROM_INPUT_WGSL`]) are the CPU
//! algorithms of `cpu/stable.rs` step for step, built on the exact tier's
//! reduction, e^r pair and quotient from `shaders/exact_arith.wgsl` (the
//! forward σ shader's own steps), and rely neither on WGSL's division
//! (2.5 ULP allowed) nor on `fma` being fused: products that must be exact
//! come from Dekker's `two_prod`, and sums that carry their error are
//! pinned against reassociation, as in the σ shaders (see the
//! [module docs](super)).
//!
//! # Accuracy
//! The bounds are the CPU kernels' ([`SOFTPLUS_ULP`], [`LOG_SIGMOID_ULP`],
//! [`BACKWARD_FROM_INPUT_ULP`], 2 ULP), enforced by `tests/gpu_stable.rs`
//! wherever the result is ≥ 2^−126 (a device may flush subnormals; lavapipe
//! does not). Measured on lavapipe (Mesa 22.3.6, "llvmpipe (LLVM 15.0.6,
//! 256 bits)"), every 509th bit pattern plus the special inputs (8.4 M;
//! `strided_sweeps`): softplus max 0.692 ULP (at x = −59.98), log-sigmoid
//! max 0.671 ULP (at x = 5.236), the gradient from the input max 1.399 ULP
//! (at x = 17.33; dy uniform in [−4, 4]); no subnormal result flushed
//! (5086, 4284 and 9958 of them). The ignored `stable_exhaustive` test
//! sweeps all 2^32 inputs of each.
//!
//! # Special values
//! As on the CPU, decided on bit patterns (WGSL leaves NaN and ∞ arithmetic
//! indeterminate): NaN is returned unchanged (the gradient: that of x, else
//! that of dy); softplus(−∞) = +0, softplus(+∞) = +∞, log_sigmoid(+∞) = −0,
//! log_sigmoid(−∞) = −∞, softplus(x) = x exactly for x ≥ 2^24; the
//! gradient at x = ±∞ is ±0 with the sign of dy. An infinite dy gives
//! whatever the device's arithmetic gives.

use super::encode::Kernel;
use super::{same_len, F32Buffer, GpuContext, GpuError};

/// WGSL source of softplus and log-sigmoid (entry points `softplus`,
/// `log_sigmoid`): the shared helpers, then the kernels.
pub const SOFTPLUS_WGSL: &str = concat!(
    include_str!("../../shaders/exact_arith.wgsl"),
    include_str!("../../shaders/softplus.wgsl")
);
/// WGSL source of the gradient from the input (entry point
/// `sigmoid_backward_from_input`), as [`SOFTPLUS_WGSL`].
pub const BACKWARD_FROM_INPUT_WGSL: &str = concat!(
    include_str!("../../shaders/exact_arith.wgsl"),
    include_str!("../../shaders/sigmoid_backward_from_input.wgsl")
);

/// Error bound of [`GpuContext::softplus`] (ULP, where the result is
/// ≥ 2^−126): the CPU's [`crate::SOFTPLUS_MAX_ULP`]; measured figures in
/// the [module docs](self).
pub const SOFTPLUS_ULP: f64 = crate::SOFTPLUS_MAX_ULP;
/// Error bound of [`GpuContext::log_sigmoid`] (ULP, where |result| ≥
/// 2^−126): the CPU's [`crate::LOG_SIGMOID_MAX_ULP`].
pub const LOG_SIGMOID_ULP: f64 = crate::LOG_SIGMOID_MAX_ULP;
/// Error bound of [`GpuContext::sigmoid_backward_from_input`] (ULP, where
/// |result| ≥ 2^−126, finite dy): the CPU's
/// [`crate::SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP`].
pub const BACKWARD_FROM_INPUT_ULP: f64 = crate::SIGMOID_BACKWARD_FROM_INPUT_MAX_ULP;

/// The three pipelines, compiled with the σ ones.
#[derive(Debug)]
pub(crate) struct StableKernels {
    softplus: Kernel,
    log_sigmoid: Kernel,
    from_input: Kernel,
}

impl StableKernels {
    /// Compiles the pipelines (call inside an error scope).
    pub(crate) fn new(device: &wgpu::Device) -> Self {
        Self {
            softplus: Kernel::new(device, SOFTPLUS_WGSL, "softplus"),
            log_sigmoid: Kernel::new(device, SOFTPLUS_WGSL, "log_sigmoid"),
            from_input: Kernel::new(
                device,
                BACKWARD_FROM_INPUT_WGSL,
                "sigmoid_backward_from_input",
            ),
        }
    }
}

impl GpuContext {
    /// `y[i] = log(1 + e^x[i])` on the GPU: upload, kernel, readback (see
    /// the [module docs](self) for accuracy and special values).
    ///
    /// ```
    /// use sigmoid_kernels::gpu::GpuContext;
    /// let Ok(ctx) = GpuContext::new() else { return Ok(()) }; // no adapter here
    /// let y = ctx.softplus(&[0.0, 100.0, -100.0])?;
    /// assert_eq!(y[..2], [core::f32::consts::LN_2, 100.0]);
    /// let ls = ctx.log_sigmoid(&[0.0, -100.0])?;
    /// assert_eq!(ls, [-core::f32::consts::LN_2, -100.0]);
    /// let dx = ctx.sigmoid_backward_from_input(&[20.0, 0.0], &[1.0, 2.0])?;
    /// assert!((dx[0] - 2.061_153_6e-9).abs() < 1e-16 && dx[1] == 0.5);
    /// # Ok::<(), sigmoid_kernels::gpu::GpuError>(())
    /// ```
    ///
    /// # Errors
    /// As [`sigmoid`](GpuContext::sigmoid).
    pub fn softplus(&self, x: &[f32]) -> Result<Vec<f32>, GpuError> {
        let mut y = vec![0.0; x.len()];
        self.softplus_into(x, &mut y)?;
        Ok(y)
    }

    /// [`softplus`](GpuContext::softplus) writing into `y`.
    ///
    /// # Errors
    /// [`GpuError::LengthMismatch`] if `y.len() != x.len()`, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn softplus_into(&self, x: &[f32], y: &mut [f32]) -> Result<(), GpuError> {
        same_len("y", x.len(), y.len())?;
        self.round_trip(&self.stable.softplus, &[x], y)
    }

    /// `y[i] = log σ(x[i])` on the GPU (see
    /// [`softplus`](GpuContext::softplus)).
    ///
    /// # Errors
    /// As [`sigmoid`](GpuContext::sigmoid).
    pub fn log_sigmoid(&self, x: &[f32]) -> Result<Vec<f32>, GpuError> {
        let mut y = vec![0.0; x.len()];
        self.log_sigmoid_into(x, &mut y)?;
        Ok(y)
    }

    /// [`log_sigmoid`](GpuContext::log_sigmoid) writing into `y`.
    ///
    /// # Errors
    /// As [`softplus_into`](GpuContext::softplus_into).
    pub fn log_sigmoid_into(&self, x: &[f32], y: &mut [f32]) -> Result<(), GpuError> {
        same_len("y", x.len(), y.len())?;
        self.round_trip(&self.stable.log_sigmoid, &[x], y)
    }

    /// `dx[i] = dy[i]·σ(x[i])·σ(−x[i])` on the GPU from the forward input
    /// `x` (see [`softplus`](GpuContext::softplus)).
    ///
    /// # Errors
    /// [`GpuError::LengthMismatch`] if `dy.len() != x.len()`, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn sigmoid_backward_from_input(&self, x: &[f32], dy: &[f32]) -> Result<Vec<f32>, GpuError> {
        let mut dx = vec![0.0; x.len()];
        self.sigmoid_backward_from_input_into(x, dy, &mut dx)?;
        Ok(dx)
    }

    /// [`sigmoid_backward_from_input`](GpuContext::sigmoid_backward_from_input)
    /// writing into `dx`.
    ///
    /// # Errors
    /// [`GpuError::LengthMismatch`] if the three lengths differ, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn sigmoid_backward_from_input_into(
        &self,
        x: &[f32],
        dy: &[f32],
        dx: &mut [f32],
    ) -> Result<(), GpuError> {
        same_len("dy", x.len(), dy.len())?;
        same_len("dx", x.len(), dx.len())?;
        self.round_trip(&self.stable.from_input, &[x, dy], dx)
    }

    /// Records `y[i] = log(1 + e^x[i])` for `len` elements into `encoder`
    /// over device buffers (the rules of
    /// [`encode_sigmoid`](GpuContext::encode_sigmoid)).
    ///
    /// # Errors
    /// As [`encode_sigmoid`](GpuContext::encode_sigmoid).
    pub fn encode_softplus(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        x: F32Buffer<'_>,
        y: F32Buffer<'_>,
        len: u64,
    ) -> Result<(), GpuError> {
        self.encode(encoder, &self.stable.softplus, &[("x", x)], ("y", y), len)
    }

    /// Records `y[i] = log σ(x[i])`, as
    /// [`encode_softplus`](GpuContext::encode_softplus).
    ///
    /// # Errors
    /// As [`encode_sigmoid`](GpuContext::encode_sigmoid).
    pub fn encode_log_sigmoid(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        x: F32Buffer<'_>,
        y: F32Buffer<'_>,
        len: u64,
    ) -> Result<(), GpuError> {
        self.encode(
            encoder,
            &self.stable.log_sigmoid,
            &[("x", x)],
            ("y", y),
            len,
        )
    }

    /// Records `dx[i] = dy[i]·σ(x[i])·σ(−x[i])` for `len` elements (the
    /// buffer rules of [`encode_sigmoid`](GpuContext::encode_sigmoid); `x`
    /// and `dy` may share a buffer, `dx` may not share one with either).
    ///
    /// # Errors
    /// As [`encode_sigmoid`](GpuContext::encode_sigmoid).
    pub fn encode_sigmoid_backward_from_input(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        x: F32Buffer<'_>,
        dy: F32Buffer<'_>,
        dx: F32Buffer<'_>,
        len: u64,
    ) -> Result<(), GpuError> {
        self.encode(
            encoder,
            &self.stable.from_input,
            &[("x", x), ("dy", dy)],
            ("dx", dx),
            len,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{BACKWARD_FROM_INPUT_WGSL, SOFTPLUS_WGSL};
    use crate::cpu::stable;

    /// The scalar constants of `source` by name, as naga parses them: an
    /// `f32`'s bits, or a `u32`.
    fn constants(source: &str) -> Vec<(String, u32)> {
        let module = naga::front::wgsl::parse_str(source).expect("the shader parses");
        module
            .constants
            .iter()
            .filter_map(|(_, c)| {
                let bits = match module.global_expressions[c.init] {
                    naga::Expression::Literal(naga::Literal::F32(v)) => v.to_bits(),
                    naga::Expression::Literal(naga::Literal::U32(v)) => v,
                    _ => return None,
                };
                Some((c.name.clone().expect("named constant"), bits))
            })
            .collect()
    }

    fn assert_same(source: &str, cpu: &[(&str, f32)]) {
        let shader = constants(source);
        for &(name, want) in cpu {
            let got = shader
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("the shader has no constant {name}"))
                .1;
            assert_eq!(
                got,
                want.to_bits(),
                "{name}: shader {:e} ({got:#010x}), CPU {want:e}",
                f32::from_bits(got)
            );
        }
    }

    /// The shaders' own constants are the CPU's (`cpu/stable.rs`), bit for
    /// bit (the exact tier's shared ones are checked in `gpu/mod.rs`).
    #[test]
    fn stable_shader_constants_are_the_cpus() {
        let names: Vec<String> = (0..stable::Q.len()).map(|i| format!("Q{i}")).collect();
        let mut softplus: Vec<(&str, f32)> =
            names.iter().map(String::as_str).zip(stable::Q).collect();
        softplus.push(("BIG_BITS", stable::BIG));
        assert_same(SOFTPLUS_WGSL, &softplus);
        assert_same(
            BACKWARD_FROM_INPUT_WGSL,
            &[
                ("GRAD_CLAMP", stable::GRAD_CLAMP),
                ("ROUNDER", stable::ROUNDER),
                ("POW2_SHIFTER", stable::POW2_SHIFTER),
            ],
        );
    }
}
