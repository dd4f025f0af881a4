//! Sigmoid and its gradient as WGSL compute shaders, through wgpu (Vulkan,
//! Metal, DX12, GL).
//!
//! [`GpuContext`] holds a device, its queue and the compiled pipelines (σ forward and
//! backward, softplus, log-sigmoid, the gradient from the input).
//! It offers a host convenience API ([`GpuContext::sigmoid`],
//! [`GpuContext::sigmoid_backward`] and their `_into` forms: upload, kernel,
//! readback) and a device-resident API ([`GpuContext::encode_sigmoid`],
//! [`GpuContext::encode_sigmoid_backward`]) that records the kernels into a
//! caller's command encoder over caller-owned buffers. The shaders are in
//! `shaders/` ([`FORWARD_WGSL`], [`BACKWARD_WGSL`]); timing helpers for the
//! benches and the CLI are in [`mod@bench`]. Softplus, log-sigmoid and the
//! gradient from the input ([`GpuContext::softplus`],
//! [`GpuContext::log_sigmoid`], [`GpuContext::sigmoid_backward_from_input`]
//! and their `encode_*` forms) are in [`mod@stable`], on the same exact-tier
//! steps (`shaders/exact_arith.wgsl`), with their own bounds
//! ([`stable::SOFTPLUS_ULP`], [`stable::LOG_SIGMOID_ULP`],
//! [`stable::BACKWARD_FROM_INPUT_ULP`]).
//! σ and its gradient on binary16 ([`GpuContext::sigmoid_f16`],
//! [`GpuContext::sigmoid_backward_f16`]), where the device has
//! `SHADER_F16`, are in [`mod@half16`].
//! σ correctly rounded ([`GpuContext::sigmoid_cr`], the CPU's
//! [`crate::sigmoid_cr`] bit for bit), where the device has `SHADER_F64`,
//! is in [`mod@cr`]; elsewhere the GPU's σ is this module's ≤ 1 ULP tier.
//! The fused BCE-with-logits loss and
//! gradient with its fixed-order reductions ([`GpuContext::bce_with_logits_grad`],
//! [`GpuContext::encode_bce_with_logits`]) is in [`mod@loss`].
//! SiLU and its gradient ([`GpuContext::silu`], [`GpuContext::silu_backward`]
//! and their `encode_*` forms) are in [`mod@silu`], with their bounds
//! ([`silu::SILU_ULP`], [`silu::SILU_BACKWARD_ULP`]).
//!
//! # Formula
//! Forward: the CPU exact tier's algorithm ([`crate::sigmoid`]), step for
//! step and with the same constants: with a = |x|, t = σ(−a) = m/(N + m) for
//! m = 2^−k and N = e^(a − k·ln2) as an unevaluated pair (shifter-trick and
//! Cody–Waite reduction, the degree-4 Remez polynomial), and the result is t
//! for x < 0 and 1 − t for x ≥ 0, so e^(large positive) is never formed and
//! WGSL's `exp` (allowed error 3 + 2|x| ULP) is not used. A unit test
//! compares the shader's constants, as naga parses them, with the CPU
//! source. The quotient differs: WGSL allows division 2.5 ULP of error and
//! allows `fma` to be computed unfused (lavapipe does not fuse it), so the
//! shader takes 1/d_hi as an estimate y₀ and corrects it with the residual
//! 1 − y₀·D from Dekker's exact product (plain × and −), which leaves
//! < 2^−44 relative error before the final rounding whatever the division's
//! error. The compiler is kept from reassociating the error-free steps (WGSL
//! cannot mark arithmetic exact) by passing their inputs through an integer
//! OR with a zero it cannot see.
//! Backward: dx = dy·w from the saved forward output, with w = y·(1 − y)
//! rounded once, as on the CPU; the CPU uses a fused multiply-subtract, the
//! shader builds w from exact pieces (1 − y as a Fast2Sum pair, y·(1 − y)
//! by Dekker's product), again with no reliance on `fma`.
//!
//! # Accuracy
//! Measured on lavapipe (Mesa 22.3.6, adapter "llvmpipe (LLVM 15.0.6, 256
//! bits)", Vulkan on the CPU; it rounds to nearest, keeps subnormals and
//! does not fuse WGSL's `fma`):
//! - forward, over all 2^32 inputs (`forward_exhaustive` in `tests/gpu.rs`,
//!   ignored by default; 13 min on 2 busy cores): ≤ 1 ULP against
//!   [`reference::sigmoid_f64`](crate::reference::sigmoid_f64) everywhere,
//!   subnormal results included (none flushed); max 0.808 ULP where
//!   σ(x) ≥ 2^−126 (at x ≈ 0.3485; the same figure as the CPU exact
//!   tier's maximum, which the CPU reaches at x = −87.7457);
//!   0 monotonicity violations; every NaN returned with its payload. The
//!   default test run sweeps every 1021st bit pattern (4.2 M inputs: max
//!   0.773 ULP, monotone); there 14,441 outputs (0.34%) differ by one ULP
//!   from the CPU exact tier on avx512 (its table form; 15,153 with its
//!   polynomial form), 12,764 on avx2+fma and 12,288 on the portable
//!   backend (the CPU fuses or orders the polynomial and the last quotient
//!   step differently, or uses another reduction; lavapipe rounds every
//!   step);
//! - backward: ≤ 1.452 ULP against
//!   [`reference::sigmoid_backward_f64`](crate::reference::sigmoid_backward_f64)
//!   wherever the result is ≥ 2^−126, over every 251st bit pattern of y in
//!   [0, 1] (4.2 M values) with random dy (the CPU backward: 1.49; the
//!   previous shader's (dy·y)·(1 − y): 1.83).
//!
//! The tests enforce [`FORWARD_ULP`] (1 ULP, the CPU exact tier's bound) and
//! [`BACKWARD_ULP`] (2 ULP, the CPU backward's) on the device they run on.
//! What the bounds assume of a device, per WGSL's rules:
//! - +, − and × correctly rounded, as WGSL requires, and to nearest (the
//!   error-free steps need that; lavapipe does), evaluated in the order
//!   written;
//! - nothing of the division beyond WGSL's 2.5 ULP, and nothing of `fma`:
//!   fused or not, the remaining `fma`s (reduction, polynomial) change the
//!   result by far less than the 0.19 ULP of margin the CPU tier leaves (a
//!   device that fuses them computes those steps as the CPU does);
//! - subnormals: a device that flushes them (WGSL allows it) gives 0 for
//!   x < −87.3, where σ(x) < 2^−126; the bound holds wherever σ(x) ≥ 2^−126.
//!
//! No other device has been measured yet.
//!
//! # Special values
//! WGSL leaves NaN and ∞ results of arithmetic indeterminate, so the shaders
//! do not rely on them: NaN inputs are detected on their bit pattern and
//! returned unchanged (forward: σ(NaN) is that NaN; backward: the NaN of `y`,
//! else that of `dy`), and |x| is clamped to 104 on its bit pattern before
//! the exponential, so σ(±∞) and σ(±f32::MAX) are exactly 1 and 0 by
//! construction, and σ(±0) = 0.5 (tested). In the backward pass an infinite `dy`
//! gives whatever the device's arithmetic gives (WGSL does not define ∞·0
//! or overflow); the tests do not check infinite results.
//!
//! # Errors
//! Every failure is a [`GpuError`], never a panic: no adapter, device request
//! refused, out of memory, a caller buffer too small, misaligned, missing
//! `STORAGE` or aliased, mismatched lengths, device lost, readback failed.
//! wgpu errors are caught with error scopes around every call. The one
//! exception is what wgpu itself checks only when the caller finishes or
//! submits an encoder given to an `encode_*` function: a buffer that is
//! still mapped (`mapped_at_creation`, `map_async`) or an encoder of
//! another device fails there, under the caller's error handling (wgpu's
//! default handler panics); wgpu 30 does not let this crate see either
//! before.
//!
//! # When the GPU pays off
//! The host API moves 8 bytes per element over the bus (12 for backward) for
//! a few flops, so on a discrete GPU it is bounded by transfer bandwidth and
//! is not expected to beat the multithreaded CPU kernels
//! ([`crate::sigmoid`]); it exists for convenience and testing. The
//! device-resident API is the one that can pay: when the data already lives
//! on the GPU (a training step), the kernel should run near the device's copy
//! bandwidth with no transfer (`benches/gpu.rs` measures it against a
//! buffer-to-buffer copy of the same size). No real GPU has been measured
//! yet.
//!
//! On the software device both are far slower than the CPU kernels and only
//! prove correctness. `cargo bench --bench gpu` on lavapipe, 2 shared cores,
//! 1 M elements, with the previous 2.64-ULP forward shader: CPU exact tier
//! 3.6 ms, GPU round trip 38.5 ms, device-resident kernel 30.0 ms, device
//! copy 0.36 ms. The ≤ 1 ULP shader costs 1.29× that one on lavapipe, and
//! the exact-pieces backward 1.04× the previous backward (device-resident,
//! 4 M elements, old and new shader timed alternately in one process,
//! median of 7).
//!
//! # Sizes
//! Ranges longer than the device's `max_storage_buffer_binding_size` or
//! `max_buffer_size` (128 MiB, 33.5 M elements, on lavapipe) are processed in
//! chunks: the host API loops over reused scratch buffers, the encode API
//! binds several sub-ranges at offsets that are multiples of
//! `min_storage_buffer_offset_alignment`.
//!
//! ```
//! use sigmoid_kernels::gpu::GpuContext;
//! let Ok(ctx) = GpuContext::new() else { return Ok(()) }; // no adapter here
//! let y = ctx.sigmoid(&[-1.0, 0.0, 2.5])?;
//! assert_eq!(y[1], 0.5);
//! let dx = ctx.sigmoid_backward(&y, &[1.0; 3])?;
//! assert_eq!(dx[1], 0.25);
//! # Ok::<(), sigmoid_kernels::gpu::GpuError>(())
//! ```

pub mod bench;
pub mod cr;
mod encode;
mod error;
pub mod half16;
pub mod loss;
pub mod silu;
pub mod stable;

use std::sync::{mpsc, Arc, Mutex, PoisonError};

pub use encode::{F32Buffer, BACKWARD_WGSL, FORWARD_WGSL};
pub use error::GpuError;

use encode::{Kernel, WORKGROUP};

/// Forward error bound (ULP, where σ(x) ≥ 2^−126), the CPU exact tier's;
/// `tests/gpu.rs` enforces it on the device it runs on (see the
/// [module docs](self) for the measured figures and what it assumes of a
/// device).
pub const FORWARD_ULP: f64 = crate::SIGMOID_MAX_ULP;
/// Backward error bound (ULP, where the result is ≥ 2^−126) that
/// `tests/gpu.rs` enforces, the CPU backward's; see the [module docs](self)
/// for the measured figure.
pub const BACKWARD_ULP: f64 = crate::SIGMOID_BACKWARD_MAX_ULP;

/// A wgpu device and queue with the Sigmoid pipelines compiled once, and
/// scratch buffers reused by the host API.
///
/// `Send + Sync`: share it with an `Arc` or by reference between threads.
/// Host calls from several threads are serialised on the scratch buffers;
/// encode calls run concurrently.
#[derive(Debug)]
pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    forward: Kernel,
    backward: Kernel,
    /// Softplus, log-sigmoid and the gradient from the input (`stable.rs`).
    stable: stable::StableKernels,
    /// The binary16 kernels (`half16.rs`), where the device has `SHADER_F16`.
    half: Option<half16::HalfKernels>,
    /// The correctly rounded σ (`cr.rs`), where the device has `SHADER_F64`.
    cr: Option<cr::CrKernel>,
    /// The fused BCE with logits (`loss.rs`).
    bce: loss::BceKernel,
    /// SiLU and its gradient (`silu.rs`).
    silu: silu::SiluKernels,
    /// Elements per binding: the binding and buffer size limits, rounded
    /// down to the offset alignment.
    chunk: u64,
    scratch: Mutex<Scratch>,
    /// Set by the device-lost callback of devices this crate created.
    lost: Arc<Mutex<Option<String>>>,
}

impl GpuContext {
    /// Finds an adapter (any GPU wgpu reaches, or a software one such as
    /// lavapipe when no other exists), creates a device with the adapter's
    /// full limits and compiles the pipelines. Blocks; see [`new_async`].
    /// Honours wgpu's `WGPU_BACKEND`, `WGPU_ADAPTER_NAME` and
    /// `WGPU_POWER_PREF` environment variables.
    ///
    /// # Errors
    /// [`GpuError::NoAdapter`], [`GpuError::RequestDevice`], or an error
    /// compiling the shaders ([`GpuError::Wgpu`], a bug).
    ///
    /// [`new_async`]: GpuContext::new_async
    pub fn new() -> Result<Self, GpuError> {
        pollster::block_on(Self::new_async())
    }

    /// [`new`](GpuContext::new) as a future: every wait (adapter, device,
    /// the error scopes around compiling the pipelines) is an `.await`, so
    /// an executor that polls it is never blocked by this crate. On native
    /// backends wgpu resolves these futures before returning them; on the
    /// web they wait for the browser.
    ///
    /// # Errors
    /// As [`new`](GpuContext::new).
    pub async fn new_async() -> Result<Self, GpuError> {
        let instance =
            wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let options = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::from_env()
                .unwrap_or(wgpu::PowerPreference::HighPerformance),
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        };
        let adapter = match instance.request_adapter(&options).await {
            Ok(adapter) => adapter,
            Err(e) => {
                // Some wgpu versions skip CPU adapters here; take one anyway.
                let mut all = instance.enumerate_adapters(wgpu::Backends::all()).await;
                all.sort_by_key(|a| a.get_info().device_type == wgpu::DeviceType::Cpu);
                all.into_iter()
                    .next()
                    .ok_or_else(|| GpuError::NoAdapter(e.to_string()))?
            }
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("sigmoid-kernels"),
                required_limits: adapter.limits(),
                // Only where offered: no other device is refused for it.
                required_features: adapter.features()
                    & (wgpu::Features::SHADER_F16 | wgpu::Features::SHADER_F64),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::RequestDevice(e.to_string()))?;
        let lost = Arc::new(Mutex::new(None));
        let flag = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            *flag.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(format!("{reason:?}: {message}"));
        });
        Self::build(device, queue, lost).await
    }

    /// Uses a device the caller already has (sharing it with the caller's
    /// own work) and compiles the pipelines on it (the binary16 ones only
    /// if the device was created with `SHADER_F16`, the correctly rounded
    /// one only with `SHADER_F64`). The caller's device-lost
    /// callback is left in place, so a lost device shows up here as
    /// [`GpuError::MapFailed`] or [`GpuError::Wgpu`] rather than
    /// [`GpuError::DeviceLost`].
    ///
    /// Blocks until the pipelines are compiled (waiting on wgpu's error
    /// scopes).
    ///
    /// # Errors
    /// [`GpuError::Wgpu`] if the shaders do not compile on this device.
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue) -> Result<Self, GpuError> {
        pollster::block_on(Self::build(device, queue, Arc::new(Mutex::new(None))))
    }

    async fn build(
        device: wgpu::Device,
        queue: wgpu::Queue,
        lost: Arc<Mutex<Option<String>>>,
    ) -> Result<Self, GpuError> {
        let limits = device.limits();
        let info = device.adapter_info();
        let align = u64::from(limits.min_storage_buffer_offset_alignment).max(4);
        let max_dim = u64::from(limits.max_compute_workgroups_per_dimension);
        let bytes = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size)
            .min(max_dim * max_dim * WORKGROUP * 4);
        let chunk = (bytes / align * align / 4).max(1);
        // Whole workgroups (256 elements, 1 KiB: a multiple of any legal
        // offset alignment, at most 256 bytes), so that the loss's
        // workgroup sums cover the same elements whatever the limits.
        let chunk = if chunk >= WORKGROUP {
            chunk / WORKGROUP * WORKGROUP
        } else {
            chunk
        };
        let (forward, backward, stable, half, bce) = scoped_async(&device, "pipelines", || {
            (
                Kernel::new(&device, FORWARD_WGSL, "sigmoid_forward"),
                Kernel::new(&device, BACKWARD_WGSL, "sigmoid_backward"),
                stable::StableKernels::new(&device),
                half16::HalfKernels::new(&device),
                loss::BceKernel::new(&device, &queue),
            )
        })
        .await?;
        let cr = scoped_async(&device, "sigmoid_cr pipeline", || {
            cr::CrKernel::new(&device)
        })
        .await?;
        let silu = scoped_async(&device, "SiLU pipelines", || {
            silu::SiluKernels::new(&device)
        })
        .await?;
        Ok(Self {
            device,
            queue,
            info,
            limits,
            forward,
            backward,
            stable,
            half,
            cr,
            bce,
            silu,
            chunk,
            scratch: Mutex::new(Scratch::default()),
            lost,
        })
    }

    /// The device (to create buffers and encoders for the encode API).
    #[must_use]
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The queue the host API submits to.
    #[must_use]
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// The adapter's name, backend and type (for bench labels:
    /// `info.name`, `info.backend`; `info.device_type` is
    /// [`wgpu::DeviceType::Cpu`] for a software device such as lavapipe).
    #[must_use]
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// True on a software device (lavapipe, WARP, SwiftShader), where
    /// timings say nothing about GPUs.
    #[must_use]
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// The most elements one binding (and one host round trip) covers.
    #[must_use]
    pub fn max_chunk_len(&self) -> u64 {
        self.chunk
    }

    /// The alignment, in elements, that [`F32Buffer::offset`] must have on
    /// this device.
    #[must_use]
    pub fn offset_alignment(&self) -> u64 {
        (u64::from(self.limits.min_storage_buffer_offset_alignment) / 4).max(1)
    }

    /// `y[i] = σ(x[i])` on the GPU: upload, kernel, readback. Inputs longer
    /// than [`max_chunk_len`](GpuContext::max_chunk_len) go in several round
    /// trips. See the [module docs](self) for accuracy and special values.
    ///
    /// # Errors
    /// [`GpuError::OutOfMemory`] for the scratch buffers,
    /// [`GpuError::MapFailed`], [`GpuError::DeviceLost`].
    pub fn sigmoid(&self, x: &[f32]) -> Result<Vec<f32>, GpuError> {
        let mut y = vec![0.0; x.len()];
        self.sigmoid_into(x, &mut y)?;
        Ok(y)
    }

    /// [`sigmoid`](GpuContext::sigmoid) writing into `y`.
    ///
    /// # Errors
    /// [`GpuError::LengthMismatch`] if `y.len() != x.len()`, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn sigmoid_into(&self, x: &[f32], y: &mut [f32]) -> Result<(), GpuError> {
        same_len("y", x.len(), y.len())?;
        self.round_trip(&self.forward, &[x], y)
    }

    /// `dx[i] = dy[i]·y[i]·(1 − y[i])` on the GPU from the saved forward
    /// output `y`.
    ///
    /// # Errors
    /// [`GpuError::LengthMismatch`] if `dy.len() != y.len()`, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn sigmoid_backward(&self, y: &[f32], dy: &[f32]) -> Result<Vec<f32>, GpuError> {
        let mut dx = vec![0.0; y.len()];
        self.sigmoid_backward_into(y, dy, &mut dx)?;
        Ok(dx)
    }

    /// [`sigmoid_backward`](GpuContext::sigmoid_backward) writing into `dx`.
    ///
    /// # Errors
    /// [`GpuError::LengthMismatch`] if the three lengths differ, else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn sigmoid_backward_into(
        &self,
        y: &[f32],
        dy: &[f32],
        dx: &mut [f32],
    ) -> Result<(), GpuError> {
        same_len("dy", y.len(), dy.len())?;
        same_len("dx", y.len(), dx.len())?;
        self.round_trip(&self.backward, &[y, dy], dx)
    }

    /// Uploads `inputs` chunk by chunk into the scratch buffers, runs
    /// `kernel`, and reads the result back into `out`.
    fn round_trip(
        &self,
        kernel: &Kernel,
        inputs: &[&[f32]],
        out: &mut [f32],
    ) -> Result<(), GpuError> {
        self.check_lost()?;
        if out.is_empty() {
            return Ok(());
        }
        let mut scratch = self.scratch.lock().unwrap_or_else(PoisonError::into_inner);
        let chunk = usize::try_from(self.chunk).unwrap_or(usize::MAX);
        let want = (out.len().min(chunk) as u64)
            .next_power_of_two()
            .min(self.chunk);
        let storage = wgpu::BufferUsages::STORAGE;
        let bufs = self.scoped("scratch buffers", || {
            let ins: Vec<wgpu::Buffer> = (0..inputs.len())
                .map(|i| {
                    scratch.inputs[i]
                        .get(
                            &self.device,
                            want,
                            storage | wgpu::BufferUsages::COPY_DST,
                            "sigmoid scratch input",
                        )
                        .clone()
                })
                .collect();
            let output = scratch
                .output
                .get(
                    &self.device,
                    want,
                    storage | wgpu::BufferUsages::COPY_SRC,
                    "sigmoid scratch output",
                )
                .clone();
            let staging = scratch
                .staging
                .get(
                    &self.device,
                    want,
                    wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    "sigmoid staging",
                )
                .clone();
            (ins, output, staging)
        });
        let (ins, output, staging) = match bufs {
            Ok(b) => b,
            Err(e) => {
                // A failed allocation leaves invalid buffers behind: drop them.
                *scratch = Scratch::default();
                return Err(e);
            }
        };
        for (start, out) in (0..).step_by(chunk).zip(out.chunks_mut(chunk)) {
            let n = out.len();
            let bytes = n as u64 * 4;
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("sigmoid round trip"),
                });
            self.scoped("upload", || {
                for (buf, input) in ins.iter().zip(inputs) {
                    let part = &input[start..start + n];
                    self.queue.write_buffer(buf, 0, bytemuck::cast_slice(part));
                }
            })?;
            let binds: Vec<_> = ins.iter().map(|b| ("scratch", F32Buffer::new(b))).collect();
            let out_buf = ("scratch", F32Buffer::new(&output));
            self.encode(&mut encoder, kernel, &binds, out_buf, n as u64)?;
            encoder.copy_buffer_to_buffer(&output, 0, &staging, 0, bytes);
            self.scoped("submit", || self.queue.submit([encoder.finish()]))?;
            self.read_back(&staging, bytes, out)?;
        }
        Ok(())
    }

    /// Maps the first `bytes` of `staging`, waits for the queue, copies them
    /// (at most `out`'s size) into `out` and unmaps. `T` is `f32` or, for
    /// the binary16 kernels, `f16`.
    fn read_back<T: bytemuck::Pod>(
        &self,
        staging: &wgpu::Buffer,
        bytes: u64,
        out: &mut [T],
    ) -> Result<(), GpuError> {
        let slice = staging.slice(..bytes);
        let (tx, rx) = mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            // The receiver only goes away if this function has returned early.
            let _ = tx.send(r);
        });
        let waited = self.device.poll(wgpu::PollType::wait_indefinitely());
        let mapped = match (waited, rx.recv()) {
            (Ok(_), Ok(Ok(()))) => Ok(()),
            (Err(e), _) => Err(e.to_string()),
            (_, Ok(Err(e))) => Err(e.to_string()),
            (_, Err(e)) => Err(e.to_string()),
        };
        if let Err(why) = mapped {
            self.check_lost()?;
            return Err(GpuError::MapFailed(why));
        }
        let copied = match slice.get_mapped_range() {
            Ok(view) => {
                let out: &mut [u8] = bytemuck::cast_slice_mut(out);
                let n = out.len().min(view.len());
                out[..n].copy_from_slice(&view[..n]);
                Ok(())
            }
            Err(e) => Err(GpuError::MapFailed(e.to_string())),
        };
        staging.unmap();
        copied
    }

    /// Runs `f` inside out-of-memory and validation error scopes.
    pub(crate) fn scoped<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
        scoped(&self.device, what, f)
    }

    /// [`GpuError::DeviceLost`] once the device-lost callback has fired.
    pub(crate) fn check_lost(&self) -> Result<(), GpuError> {
        match &*self.lost.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(why) => Err(GpuError::DeviceLost(why.clone())),
            None => Ok(()),
        }
    }
}

/// Runs `f` inside out-of-memory, validation and internal error scopes on
/// `device` (scopes are per thread) and returns the first error caught.
/// Blocks on [`scoped_async`].
fn scoped<T>(device: &wgpu::Device, what: &str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
    pollster::block_on(scoped_async(device, what, f))
}

/// [`scoped`] as a future: it awaits the error scopes instead of blocking.
async fn scoped_async<T>(
    device: &wgpu::Device,
    what: &str,
    f: impl FnOnce() -> T,
) -> Result<T, GpuError> {
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let internal = device.push_error_scope(wgpu::ErrorFilter::Internal);
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let value = f();
    // Popped innermost first, all on this thread (the scopes are per thread
    // and their guards are not `Send`); only the results are awaited.
    let (validation, internal, oom) = (validation.pop(), internal.pop(), oom.pop());
    let errors = [validation.await, internal.await, oom.await];
    // Out of memory first: it explains the validation errors that follow it.
    match errors {
        [_, _, Some(e)] | [_, Some(e), None] | [Some(e), None, None] => {
            Err(GpuError::from_wgpu(e, what))
        }
        [None, None, None] => Ok(value),
    }
}

/// A buffer holding `contents` (a multiple of 4 bytes; `COPY_DST` is added
/// to `usage`), written through the queue. wgpu's `create_buffer_init`
/// maps the buffer at creation and panics where the device is lost or out
/// of memory; this way the caller's error scope reports those instead.
pub(crate) fn buffer_with(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    label: &str,
    contents: &[u8],
    usage: wgpu::BufferUsages,
) -> wgpu::Buffer {
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: contents.len() as u64,
        usage: usage | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    queue.write_buffer(&buffer, 0, contents);
    buffer
}

fn same_len(what: &'static str, expected: usize, got: usize) -> Result<(), GpuError> {
    if expected == got {
        Ok(())
    } else {
        Err(GpuError::LengthMismatch {
            what,
            expected,
            got,
        })
    }
}

/// Grow-only scratch buffers for the host API (two inputs for backward).
#[derive(Debug, Default)]
struct Scratch {
    inputs: [Grow; 2],
    output: Grow,
    staging: Grow,
}

/// A buffer that is reallocated only when a larger one is needed.
#[derive(Debug, Default)]
struct Grow(Option<(wgpu::Buffer, u64)>);

impl Grow {
    /// A buffer of at least `elems` `f32`s.
    fn get(
        &mut self,
        device: &wgpu::Device,
        elems: u64,
        usage: wgpu::BufferUsages,
        label: &str,
    ) -> &wgpu::Buffer {
        if self.0.as_ref().is_some_and(|(_, cap)| *cap < elems) {
            self.0 = None;
        }
        let (buffer, _) = self.0.get_or_insert_with(|| {
            let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: elems * 4,
                usage,
                mapped_at_creation: false,
            });
            (buffer, elems)
        });
        buffer
    }
}

#[cfg(test)]
mod tests {
    use super::FORWARD_WGSL;
    use crate::cpu::sigma;

    /// The `f32` constants of the forward shader by name, as naga parses
    /// them (the values the device compiles).
    fn shader_constants() -> Vec<(String, f32)> {
        let module = naga::front::wgsl::parse_str(FORWARD_WGSL).expect("the forward shader parses");
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

    /// The shader's reduction and polynomial constants are the CPU exact
    /// tier's, bit for bit, and it has no other polynomial coefficients.
    #[test]
    fn forward_shader_constants_are_the_cpu_exact_tiers() {
        let shader = shader_constants();
        let mut cpu = vec![
            ("LOG2E", sigma::LOG2E),
            ("LN2_HI", sigma::LN2_HI),
            ("LN2_LO", sigma::LN2_LO),
            ("EXACT_CLAMP", sigma::EXACT_CLAMP),
            ("SHIFTER", sigma::SHIFTER),
            ("SHIFTER_K_MAX", sigma::SHIFTER_K_MAX),
            ("TWO_M64", sigma::TWO_M64),
        ];
        let names: Vec<String> = (0..sigma::P.len()).map(|i| format!("P{i}")).collect();
        cpu.extend(names.iter().map(String::as_str).zip(sigma::P));
        for (name, want) in cpu {
            let got = shader
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("the forward shader has no constant {name}"))
                .1;
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{name}: shader {got:e} ({:#010x}), CPU {want:e} ({:#010x})",
                got.to_bits(),
                want.to_bits()
            );
        }
        let coefficients: Vec<&str> = shader
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| n.starts_with('P') && n[1..].bytes().all(|b| b.is_ascii_digit()))
            .collect();
        assert_eq!(coefficients, names, "the shader's polynomial coefficients");
    }
}
