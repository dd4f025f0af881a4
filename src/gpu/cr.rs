//! σ correctly rounded on the GPU ([`GpuContext::sigmoid_cr`],
//! [`GpuContext::sigmoid_cr_into`], [`GpuContext::encode_sigmoid_cr`]):
//! for every `f32` x, the `f32` nearest to σ(x), bit for bit the CPU's
//! [`crate::sigmoid_cr`] and [`reference::sigmoid_cr`](crate::reference::sigmoid_cr),
//! where the device has wgpu's [`wgpu::Features::SHADER_F64`].
//!
//! [`GpuContext::new`] requests `SHADER_F64` only when the adapter offers
//! it and compiles this kernel only then; elsewhere the three calls return
//! [`GpuError::MissingFeature`]`("SHADER_F64")` ([`GpuContext::has_f64`]
//! says which), and the GPU's σ is the exact tier
//! ([`GpuContext::sigmoid`]): within [`FORWARD_ULP`](super::FORWARD_ULP)
//! = 1 ULP of σ and not correctly rounded (0.808 ULP at most on
//! lavapipe, where about 0.3 % of the results differ from the CPU exact
//! tier's by one ULP: the strided counts in [`super`]'s docs). lavapipe (Mesa's Vulkan on the CPU, which CI uses) offers
//! `SHADER_F64`.
//!
//! # Method
//! The CPU tier's design (`src/cpu/cr.rs`), in WGSL `f64` ([`CR_WGSL`]):
//! an `f64` evaluation with relative error below 2^−50 (a 2^(−j/16)
//! table, a degree-6 polynomial for e^−ρ, σ = m/(m + T_j·e^−ρ)), a
//! rounding test that accepts the result only when v·(1 ∓ 2^−47) round
//! to the same `f32`, and for the inputs it leaves undecided (a few
//! hundred of 2^32) the oracle's double-double evaluation, ported to the
//! shader, deciding on which side of the nearest midpoint σ lies. Every
//! input, the hard ones included, is finished on the device, so the
//! encode form's buffer holds the correctly rounded bits.
//!
//! The shader relies on as little of the device as it can: the rounding
//! to `f32` is done on the `f64` value with Veltkamp's split (subnormal
//! results as multiples of 2^−149) and the result is stored as bits, so
//! WGSL's unspecified `f64 → f32` rounding mode and a device that flushes
//! `f32` subnormals change nothing; the quotient is refined with its
//! remainder, so an `f64` division within 2^−26 suffices; the error-free
//! steps use Dekker's products, not `fma`, and are pinned against
//! reassociation. It does assume `f64` +, − and × correctly rounded to
//! nearest (Vulkan's rule).
//!
//! Measured on lavapipe (Mesa 22.3.6, "llvmpipe (LLVM 15.0.6, 256 bits)"):
//! bit for bit [`reference::sigmoid_cr`](crate::reference::sigmoid_cr) on
//! the 1505 hard inputs of `tests/data/sigmoid_cr_hard.txt` (591 of them
//! too close to a midpoint for the fast path, so the slow path decides
//! them), the special values, subnormal results and a strided sweep of
//! every 1021st bit pattern, 4.2 M inputs (`tests/gpu_cr.rs`, the default
//! test run, seconds); over all 2^32 inputs (`exhaustive` in
//! `tests/gpu_cr.rs`, ignored by default; 29 min on 2 busy cores): "0 of
//! 4294967296 inputs not correctly rounded; outside \[0,1\]: 0;
//! monotonicity violations: 0". Device-resident it takes 10.8× the time
//! of the ≤ 1 ULP shader on lavapipe (4M elements; `docs/benchmarks.md`),
//! which emulates `f64` lanes on the CPU: no figure for a GPU yet.
//!
//! # Special values
//! NaN → the input NaN, quieted (sign and payload kept, as
//! [`reference::sigmoid_cr`](crate::reference::sigmoid_cr)'s x + x);
//! σ(+∞) = 1, σ(−∞) = +0, σ(±0) = 0.5; results in [0, 1].
//!
//! ```
//! use sigmoid_kernels::gpu::GpuContext;
//! let Ok(ctx) = GpuContext::new() else { return Ok(()) }; // no adapter here
//! if !ctx.has_f64() { return Ok(()) } // no SHADER_F64: the CPU's sigmoid_cr
//! let x = [-1.0f32, 0.0, 2.5, 2f32.powi(-24)];
//! let y = ctx.sigmoid_cr(&x)?;
//! let mut cpu = [0.0f32; 4];
//! sigmoid_kernels::sigmoid_cr(&x, &mut cpu);
//! assert_eq!(y, cpu);
//! # Ok::<(), sigmoid_kernels::gpu::GpuError>(())
//! ```

use super::encode::Kernel;
use super::{same_len, F32Buffer, GpuContext, GpuError};

/// WGSL source of the correctly rounded kernel (entry point `sigmoid_cr`):
/// `f64` throughout, so it compiles only with `SHADER_F64` (naga's
/// `FLOAT64` capability; no `enable` directive).
pub const CR_WGSL: &str = include_str!("../../shaders/sigmoid_cr.wgsl");

/// Bound of [`GpuContext::sigmoid_cr`]: ULPs from the correctly rounded
/// value, none (the CPU's [`crate::SIGMOID_CR_MAX_ULP`]); `tests/gpu_cr.rs`
/// checks it bit for bit on the device it runs on (on lavapipe over all
/// 2^32 inputs: 0 not correctly rounded).
pub const CR_ULP: f64 = crate::SIGMOID_CR_MAX_ULP;

/// The pipeline, compiled when the device has `SHADER_F64`.
#[derive(Debug)]
pub(crate) struct CrKernel(Kernel);

impl CrKernel {
    /// Compiles the pipeline if `device` has `SHADER_F64` (call inside an
    /// error scope).
    pub(crate) fn new(device: &wgpu::Device) -> Option<Self> {
        device
            .features()
            .contains(wgpu::Features::SHADER_F64)
            .then(|| Self(Kernel::new(device, CR_WGSL, "sigmoid_cr")))
    }
}

impl GpuContext {
    /// True if the device has `SHADER_F64`, so that the correctly rounded
    /// kernel ([`sigmoid_cr`](GpuContext::sigmoid_cr)) runs.
    #[must_use]
    pub fn has_f64(&self) -> bool {
        self.cr.is_some()
    }

    fn cr_kernel(&self) -> Result<&Kernel, GpuError> {
        self.cr
            .as_ref()
            .map(|k| &k.0)
            .ok_or(GpuError::MissingFeature("SHADER_F64"))
    }

    /// `y[i] = σ(x[i])` correctly rounded on the GPU (upload, kernel,
    /// readback): the CPU's [`crate::sigmoid_cr`], bit for bit (see the
    /// [module docs](self)).
    ///
    /// # Errors
    /// [`GpuError::MissingFeature`] without `SHADER_F64`, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn sigmoid_cr(&self, x: &[f32]) -> Result<Vec<f32>, GpuError> {
        let mut y = vec![0.0; x.len()];
        self.sigmoid_cr_into(x, &mut y)?;
        Ok(y)
    }

    /// [`sigmoid_cr`](GpuContext::sigmoid_cr) writing into `y`.
    ///
    /// # Errors
    /// [`GpuError::MissingFeature`] without `SHADER_F64`,
    /// [`GpuError::LengthMismatch`] if `y.len() != x.len()`, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn sigmoid_cr_into(&self, x: &[f32], y: &mut [f32]) -> Result<(), GpuError> {
        let kernel = self.cr_kernel()?;
        same_len("y", x.len(), y.len())?;
        self.round_trip(kernel, &[x], y)
    }

    /// Records `y[i] = σ(x[i])` correctly rounded for `len` elements into
    /// `encoder` over device buffers (the rules of
    /// [`encode_sigmoid`](GpuContext::encode_sigmoid)); the hard inputs are
    /// finished on the device too.
    ///
    /// # Errors
    /// [`GpuError::MissingFeature`] without `SHADER_F64`, else as
    /// [`encode_sigmoid`](GpuContext::encode_sigmoid).
    pub fn encode_sigmoid_cr(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        x: F32Buffer<'_>,
        y: F32Buffer<'_>,
        len: u64,
    ) -> Result<(), GpuError> {
        let kernel = self.cr_kernel()?;
        self.encode(encoder, kernel, &[("x", x)], ("y", y), len)
    }
}

#[cfg(test)]
mod tests {
    use super::CR_WGSL;
    use naga::valid::{Capabilities, ValidationFlags, Validator};

    /// The shader is valid WGSL with the `f64` capability and only with it
    /// (a device without `SHADER_F64` must not compile it), with no GPU.
    #[test]
    fn shader_validates_with_f64_only() {
        let module = naga::front::wgsl::parse_str(CR_WGSL).expect("the f64 shader parses");
        let mut with = Validator::new(ValidationFlags::all(), Capabilities::FLOAT64);
        with.validate(&module).expect("valid with FLOAT64");
        let mut without = Validator::new(ValidationFlags::all(), Capabilities::empty());
        assert!(without.validate(&module).is_err(), "valid without f64");
    }
}
