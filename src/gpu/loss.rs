//! The fused BCE-with-logits of [`crate::loss`] on the GPU: per-element loss
//! and gradient dL/dx in one kernel ([`BCE_WGSL`]), with the per-element
//! weight, the per-class `pos_weight` broadcast over the last dimension and
//! label smoothing of [`BceOptions`], and the reductions as fixed-order
//! workgroup partial sums finished on the host in `f64`.
//!
//! Host forms: [`GpuContext::bce_with_logits_grad`] (reduced loss and
//! gradient), [`GpuContext::bce_with_logits`] and
//! [`GpuContext::bce_with_logits_elementwise_grad`] (per-element losses and
//! gradients). Device-resident form: [`GpuContext::encode_bce_with_logits`]
//! over caller buffers ([`BceBuffers`]), whose workgroup partial sums
//! [`bce_partials_sum`] finishes. Not here: the CPU kernel (`cpu/bce.rs`),
//! the option types ([`crate::loss`]).
//!
//! # Formula
//! The CPU kernel's ([`crate::loss`]): with a = min(|x|, 300) = k·ln2 + r,
//! one e^r pair (the exact tier's reduction and polynomial, shared with the
//! σ shaders in `shaders/exact_arith.wgsl`) feeds both
//! log1p(e^−a) = 2^−k·(y₀ + y₀·corr) (softplus's series) and
//! σ(−a) = 2^−k·(u₀ + u₀·ρ) (the exact tier's quotient, which relies on
//! neither WGSL's division nor `fma`); softplus(±x) and σ(±x) follow from
//! the sign of x, so nothing cancels and a well-classified example keeps
//! its tiny loss and gradient (x = 20, t = 1: both ≈ ±2.06e−9). The weights
//! multiply before the power 2^−k is applied. Where the CPU combines the
//! terms in `f64` and rounds once, WGSL has no `f64`: the smoothed target,
//! the coefficients and the final sum round in `f32`, so the bounds below
//! are the CPU's where that costs nothing (t ∈ {0, 1}, no weights) and
//! wider where it does.
//!
//! # Accuracy
//! Measured on lavapipe (Mesa 22.3.6, "llvmpipe (LLVM 15.0.6, 256 bits)")
//! by `tests/gpu_loss.rs` against [`crate::reference::bce_with_logits_f64`]
//! and [`crate::reference::bce_with_logits_grad_f64`], wherever the result
//! is ≥ 2^−126 (a device may flush subnormals; lavapipe does not):
//! - t ∈ {0, 1}, no weights, every 4099th bit pattern of x plus the special
//!   inputs (1.05 M logits, each with t = 0 and t = 1): loss max 1.054 ULP
//!   (at x = −0.1796, t = 1), gradient max 1.016 ULP (at x = −0.3954,
//!   t = 1) (the CPU: 1.116 and 1.000 over all 2^32 logits with t = 1,
//!   [`loss::BCE_BINARY_MAX_ULP`]'s docs; the GPU rounds the last `f32` sum where the CPU's weighted path
//!   rounds once from `f64`);
//! - fractional t, weights log-uniform over 2^±40 (and zeros), three class
//!   weights, ε ∈ {0, 0.1}, every 16411th bit pattern plus 200 K logits in
//!   [−120, 120] (462 K inputs): loss max 3.046 ULP (ε = 0.1), gradient
//!   max 2.976 ULP of the larger term (ε = 0.1); without weights, loss
//!   max 2.184 ULP and gradient 2.134 ULP of the larger term (ε = 0.1;
//!   0.993 for ε = 0, where the CPU's 2-ULP bound would hold too).
//!
//! The bounds ([`BCE_BINARY_ULP`], [`BCE_ULP`], [`BCE_GRAD_ULP`],
//! [`BCE_GRAD_WEIGHTED_ULP`]) are the CPU's except for fractional t without
//! weights, whose gradient here has the weighted bound (4 ULP of the
//! larger term: the smoothed target rounds in `f32`). Mean adds
//! [`loss::BCE_GRAD_MEAN_EXTRA_ULP`] to the gradient bounds. What the
//! bounds assume of a device is what the σ shaders assume (see the
//! [parent module](super)); no other device has been measured.
//!
//! # Reductions
//! Each workgroup adds its 256 losses as `f32` pairs (Knuth's TwoSum, a
//! fixed tree), the host adds the pairs in `f64` in workgroup order and
//! divides once for the means: the result depends on nothing but the
//! length (chunks are whole workgroups on every device whose storage
//! binding holds 256 elements, which every WebGPU device does, so the
//! partial sums cover the same elements whatever the limits), and is
//! within 1 ULP of the exact sum of the per-element `f32`
//! losses (the pairs keep about 44 bits). A sum of 256 losses past
//! `f32::MAX` is +∞ here even where the `f64` mean would be finite.
//! `Reduction::Mean` scales the gradient by 1/n (an `f32` pair, one
//! rounding).
//!
//! # Errors
//! Bad options are the CPU's [`LossError`] as [`GpuError::Loss`], checked
//! before anything is uploaded; slices of different lengths are
//! [`GpuError::LengthMismatch`] (the GPU API's rule: errors, not panics).
//! The encode form cannot see weights that live on the device: they must be
//! finite and ≥ 0 (others give unspecified values, never a fault).

use std::sync::{Mutex, PoisonError};

use super::encode::{dispatch_size, Kernel};
use super::{buffer_with, same_len, F32Buffer, GpuContext, GpuError, Grow};
use crate::loss::{self, BceOptions, LossError, Reduction};

/// WGSL source of the fused kernel (entry point `bce_with_logits`): the
/// shared exact-tier helpers, then the kernel.
pub const BCE_WGSL: &str = concat!(
    include_str!("../../shaders/exact_arith.wgsl"),
    include_str!("../../shaders/bce.wgsl")
);

/// Per-element loss bound on the GPU for t ∈ {0, 1}, no weights, ε = 0
/// (ULP against [`crate::reference::bce_with_logits_f64`], where the result
/// is ≥ 2^−126): the CPU's [`loss::BCE_BINARY_MAX_ULP`]. Measured on
/// lavapipe: max 1.054 ULP (1.05 M strided logits; [module docs](self)).
pub const BCE_BINARY_ULP: f64 = loss::BCE_BINARY_MAX_ULP;
/// Per-element loss bound for any t ∈ [0, 1], weights, pos_weight and ε
/// (ULP, where the result is ≥ 2^−126 and below `f32::MAX`; +∞ above):
/// the CPU's [`loss::BCE_MAX_ULP`]. Measured on lavapipe: max 3.046 ULP.
pub const BCE_ULP: f64 = loss::BCE_MAX_ULP;
/// Gradient bound for t ∈ {0, 1}, no weights, ε = 0 (ULP against
/// [`crate::reference::bce_with_logits_grad_f64`], where |result| ≥
/// 2^−126): the CPU's [`loss::BCE_GRAD_MAX_ULP`]. Measured on lavapipe:
/// max 1.016 ULP.
pub const BCE_GRAD_ULP: f64 = loss::BCE_GRAD_MAX_ULP;
/// Gradient bound for fractional t (with or without weights, pos_weight
/// and ε): the absolute error in ULPs (`f32`) of the larger of the two
/// terms |w·(1 − t')·σ(x)| and |w·pw·t'·σ(−x)|; the CPU's
/// [`loss::BCE_GRAD_WEIGHTED_MAX_ULP`]. Measured on lavapipe: max 2.976
/// (weighted, ε = 0.1), 2.134 (unweighted, ε = 0.1).
pub const BCE_GRAD_WEIGHTED_ULP: f64 = loss::BCE_GRAD_WEIGHTED_MAX_ULP;

/// Bytes of the kernel's uniform block (`Params` in `shaders/bce.wgsl`).
const PARAMS_BYTES: usize = 32;

/// The pipeline, a buffer of ones bound in place of absent weights, and the
/// host API's scratch buffers.
#[derive(Debug)]
pub(crate) struct BceKernel {
    kernel: Kernel,
    ones: wgpu::Buffer,
    scratch: Mutex<BceScratch>,
}

/// Grow-only buffers of the host API: x, t, weight, pos_weight, loss, dx,
/// partials, staging.
#[derive(Debug, Default)]
struct BceScratch([Grow; 8]);

impl BceKernel {
    /// Compiles the pipeline (call inside an error scope).
    pub(crate) fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> Self {
        Self {
            kernel: Kernel::new(device, BCE_WGSL, "bce_with_logits"),
            ones: buffer_with(
                device,
                queue,
                "bce absent weights",
                bytemuck::cast_slice(&[1.0f32; 64]),
                wgpu::BufferUsages::STORAGE,
            ),
            scratch: Mutex::new(BceScratch::default()),
        }
    }
}

/// The buffers of [`GpuContext::encode_bce_with_logits`]: `len` elements
/// from each offset (the rules of [`F32Buffer`]), except `pos_weight`
/// (`classes` elements) and `partials`
/// ([`bce_partials_len`](GpuContext::bce_partials_len) elements). The
/// outputs may not share a buffer with each other or with an input.
#[derive(Clone, Copy, Debug)]
pub struct BceBuffers<'a> {
    /// Logits.
    pub x: F32Buffer<'a>,
    /// Targets in [0, 1].
    pub t: F32Buffer<'a>,
    /// Per-element weights (finite, ≥ 0), or none.
    pub weight: Option<F32Buffer<'a>>,
    /// Per-class positive weights (finite, ≥ 0) and their count, which must
    /// divide `len`; element i is of class i mod `classes`.
    pub pos_weight: Option<(F32Buffer<'a>, u64)>,
    /// Output: per-element losses.
    pub loss: F32Buffer<'a>,
    /// Output: per-element gradients, times the scale.
    pub dx: F32Buffer<'a>,
    /// Output: the workgroup partial sums of the losses, for
    /// [`bce_partials_sum`].
    pub partials: F32Buffer<'a>,
}

/// The sum of the losses from the partial sums an
/// [`encode_bce_with_logits`](GpuContext::encode_bce_with_logits) wrote:
/// the `f64` sum of its (hi, lo) pairs in order. NaN if a loss was NaN, +∞
/// if one was +∞.
#[must_use]
pub fn bce_partials_sum(partials: &[f32]) -> f64 {
    partials
        .chunks(2)
        .map(|p| match p {
            [hi, lo] if hi.is_finite() => f64::from(*hi) + f64::from(*lo),
            _ => f64::from(p[0]),
        })
        .sum()
}

impl GpuContext {
    /// The fused loss and gradient on the GPU: returns the reduced loss and
    /// writes `dx[i] = dL/dx[i]` (divided by the length for the means), as
    /// [`crate::loss::bce_with_logits_grad`] (see the
    /// [module docs](self) for the GPU's bounds).
    ///
    /// ```
    /// use sigmoid_kernels::gpu::GpuContext;
    /// use sigmoid_kernels::loss::{BceOptions, Reduction};
    /// let Ok(ctx) = GpuContext::new() else { return Ok(()) }; // no adapter here
    /// let mut dx = [0.0f32; 2];
    /// let o = BceOptions::default();
    /// let l = ctx.bce_with_logits_grad(&[20.0, 0.0], &[1.0, 1.0], &o, Reduction::Sum, &mut dx)?;
    /// assert!((dx[0] + 2.061_153_6e-9).abs() < 1e-16); // −σ(−20), not 0
    /// assert!((l - (2.061_153_6e-9 + core::f32::consts::LN_2)).abs() < 1e-7);
    /// # Ok::<(), sigmoid_kernels::gpu::GpuError>(())
    /// ```
    ///
    /// # Errors
    /// Bad options or [`Reduction::None`]: [`GpuError::Loss`] with the CPU's
    /// [`LossError`]; [`GpuError::LengthMismatch`] if x, t and dx differ in
    /// length; else as [`sigmoid`](GpuContext::sigmoid).
    pub fn bce_with_logits_grad(
        &self,
        x: &[f32],
        t: &[f32],
        opts: &BceOptions<'_>,
        reduction: Reduction,
        dx: &mut [f32],
    ) -> Result<f32, GpuError> {
        same_len("t", x.len(), t.len())?;
        same_len("dx", x.len(), dx.len())?;
        let n = loss::divisor(reduction, x.len()).map_err(GpuError::Loss)?;
        opts.validate(x.len()).map_err(GpuError::Loss)?;
        let sum = self.bce_round_trip(x, t, opts, loss::grad_scale(reduction, n), None, dx)?;
        Ok(loss::finish(sum, reduction, n))
    }

    /// The reduced loss alone (the gradient is computed and dropped).
    ///
    /// # Errors
    /// As [`bce_with_logits_grad`](GpuContext::bce_with_logits_grad).
    pub fn bce_with_logits(
        &self,
        x: &[f32],
        t: &[f32],
        opts: &BceOptions<'_>,
        reduction: Reduction,
    ) -> Result<f32, GpuError> {
        let mut dx = vec![0.0; x.len()];
        self.bce_with_logits_grad(x, t, opts, reduction, &mut dx)
    }

    /// Per-element losses and gradients: `out[i] = ℓᵢ`, `dx[i] = dℓᵢ/dxᵢ`
    /// (as [`crate::loss::bce_with_logits_elementwise_grad`]).
    ///
    /// # Errors
    /// Bad options: [`GpuError::Loss`]; [`GpuError::LengthMismatch`] if x,
    /// t, out and dx differ in length; else as
    /// [`sigmoid`](GpuContext::sigmoid).
    pub fn bce_with_logits_elementwise_grad(
        &self,
        x: &[f32],
        t: &[f32],
        opts: &BceOptions<'_>,
        out: &mut [f32],
        dx: &mut [f32],
    ) -> Result<(), GpuError> {
        same_len("t", x.len(), t.len())?;
        same_len("out", x.len(), out.len())?;
        same_len("dx", x.len(), dx.len())?;
        opts.validate(x.len()).map_err(GpuError::Loss)?;
        self.bce_round_trip(x, t, opts, 1.0, Some(out), dx)?;
        Ok(())
    }

    /// The length of the partial-sums buffer that
    /// [`encode_bce_with_logits`](GpuContext::encode_bce_with_logits) needs
    /// for `len` elements: two per workgroup of each chunk, each chunk's
    /// rounded up to the offset alignment.
    #[must_use]
    pub fn bce_partials_len(&self, len: u64) -> u64 {
        let mut total = 0;
        let mut start = 0;
        while start < len {
            let n = self.chunk.min(len - start);
            total += self.chunk_partials(n);
            start += n;
        }
        total
    }

    fn chunk_partials(&self, n: u64) -> u64 {
        let (gx, gy) = dispatch_size(n, self.limits.max_compute_workgroups_per_dimension);
        let align = self.offset_alignment();
        (2 * u64::from(gx) * u64::from(gy)).div_ceil(align) * align
    }

    /// Records the fused kernel for `len` elements into `encoder` over
    /// device buffers: losses, gradients (times `grad_scale`: 1/len for a
    /// mean, else 1) and the workgroup partial sums of the losses, which
    /// [`bce_partials_sum`] adds once read back. Nothing is submitted;
    /// ranges past the binding limit are split as in
    /// [`encode_sigmoid`](GpuContext::encode_sigmoid).
    ///
    /// # Errors
    /// ε outside [0, 1) or a class count that does not divide `len` (0
    /// divides only 0): [`GpuError::Loss`]; a class count above
    /// [`max_chunk_len`](GpuContext::max_chunk_len):
    /// [`GpuError::TooManyClasses`]; a buffer too small, misaligned, without
    /// `STORAGE` or aliased, and device errors, as
    /// [`encode_sigmoid`](GpuContext::encode_sigmoid). Nothing is recorded
    /// then.
    pub fn encode_bce_with_logits(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        b: &BceBuffers<'_>,
        label_smoothing: f32,
        grad_scale: f64,
        len: u64,
    ) -> Result<(), GpuError> {
        if !(0.0..1.0).contains(&label_smoothing) {
            return Err(GpuError::Loss(LossError::LabelSmoothing(label_smoothing)));
        }
        if let Some((_, classes)) = b.pos_weight {
            if !len.is_multiple_of(classes) {
                return Err(GpuError::Loss(LossError::PosWeightLength {
                    classes: usize::try_from(classes).unwrap_or(usize::MAX),
                    len: usize::try_from(len).unwrap_or(usize::MAX),
                }));
            }
            if classes > self.chunk {
                return Err(GpuError::TooManyClasses {
                    classes,
                    max: self.chunk,
                });
            }
        }
        self.encode_bce(encoder, b, label_smoothing, grad_scale, len, 0)
    }

    /// [`encode_bce_with_logits`](GpuContext::encode_bce_with_logits) after
    /// the option checks, for elements that start `base` elements into the
    /// caller's data (the class of element i is (base + i) mod classes).
    fn encode_bce(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        b: &BceBuffers<'_>,
        label_smoothing: f32,
        grad_scale: f64,
        len: u64,
        base: u64,
    ) -> Result<(), GpuError> {
        self.check_lost()?;
        let mut inputs = vec![("x", b.x), ("t", b.t)];
        self.check("x", b.x, len)?;
        self.check("t", b.t, len)?;
        if let Some(w) = b.weight {
            self.check("weight", w, len)?;
            inputs.push(("weight", w));
        }
        if let Some((pw, classes)) = b.pos_weight {
            self.check("pos_weight", pw, classes)?;
            inputs.push(("pos_weight", pw));
        }
        self.check("loss", b.loss, len)?;
        self.check("dx", b.dx, len)?;
        self.check("partials", b.partials, self.bce_partials_len(len))?;
        let outputs = [("loss", b.loss), ("dx", b.dx), ("partials", b.partials)];
        for (i, &(_, o)) in outputs.iter().enumerate() {
            for &(what, other) in inputs.iter().chain(&outputs[..i]) {
                if other.buffer == o.buffer {
                    return Err(GpuError::Aliased { what });
                }
            }
        }
        if len == 0 {
            return Ok(());
        }
        let e = f64::from(label_smoothing);
        let (scale_hi, scale_lo) = split_f64(grad_scale);
        let (classes, pw_flag) = b.pos_weight.map_or((1, 0), |(_, c)| (c, 2));
        let flags = u32::from(b.weight.is_some()) | pw_flag;
        let ones = F32Buffer::new(&self.bce.ones);
        let kernel = &self.bce.kernel;
        let groups = self.scoped("bce bind groups", || {
            let mut groups = Vec::new();
            let (mut start, mut poff) = (0, b.partials.offset);
            while start < len {
                let n = self.chunk.min(len - start);
                let np = self.chunk_partials(n);
                let params: [u32; PARAMS_BYTES / 4] = [
                    n as u32,
                    classes as u32,
                    ((base + start) % classes) as u32,
                    flags,
                    ((1.0 - e) as f32).to_bits(),
                    ((e / 2.0) as f32).to_bits(),
                    scale_hi.to_bits(),
                    scale_lo.to_bits(),
                ];
                let uniform = buffer_with(
                    &self.device,
                    &self.queue,
                    "bce params",
                    bytemuck::cast_slice(&params),
                    wgpu::BufferUsages::UNIFORM,
                );
                let whole = |f, count| at(f, 0, count);
                let weight = b.weight.map_or(whole(ones, 1), |w| at(w, start, n));
                let pos_weight = b.pos_weight.map_or(whole(ones, 1), |(p, c)| whole(p, c));
                let resources = [
                    at(b.x, start, n),
                    at(b.t, start, n),
                    weight,
                    pos_weight,
                    uniform.as_entire_binding(),
                    at(b.loss, start, n),
                    at(b.dx, start, n),
                    whole(F32Buffer::at(b.partials.buffer, poff), np),
                ];
                let entries: Vec<_> = resources
                    .into_iter()
                    .enumerate()
                    .map(|(i, resource)| wgpu::BindGroupEntry {
                        binding: i as u32,
                        resource,
                    })
                    .collect();
                let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("bce_with_logits"),
                    layout: &kernel.layout,
                    entries: &entries,
                });
                groups.push((group, n));
                start += n;
                poff += np;
            }
            groups
        })?;
        let max_dim = self.limits.max_compute_workgroups_per_dimension;
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("bce_with_logits"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&kernel.pipeline);
        for (group, n) in &groups {
            let (gx, gy) = dispatch_size(*n, max_dim);
            pass.set_bind_group(0, group, &[]);
            // One deep in z: the shader's `pin` reads groups.z − 1 as 0.
            pass.dispatch_workgroups(gx, gy, 1);
        }
        Ok(())
    }

    /// Uploads x, t and the weights chunk by chunk, runs the kernel and
    /// reads back dx, the losses if `out` is given, and the partial sums;
    /// returns the `f64` sum of the losses. Options already validated.
    fn bce_round_trip(
        &self,
        x: &[f32],
        t: &[f32],
        opts: &BceOptions<'_>,
        grad_scale: f64,
        mut out: Option<&mut [f32]>,
        dx: &mut [f32],
    ) -> Result<f64, GpuError> {
        self.check_lost()?;
        if x.is_empty() {
            return Ok(0.0);
        }
        let mut scratch = self
            .bce
            .scratch
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let chunk = usize::try_from(self.chunk).unwrap_or(usize::MAX);
        let want = (x.len().min(chunk) as u64)
            .next_power_of_two()
            .min(self.chunk);
        let np = self.chunk_partials(want);
        let classes = opts.pos_weight.map_or(1, <[f32]>::len) as u64;
        // More classes than one binding holds: each chunk gets its own
        // window of the class weights (element j of the chunk at j), bound
        // with n classes and offset 0.
        let tile = classes > self.chunk;
        let storage = wgpu::BufferUsages::STORAGE;
        let (input, output) = (
            storage | wgpu::BufferUsages::COPY_DST,
            storage | wgpu::BufferUsages::COPY_SRC,
        );
        let read = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST;
        let sizes = [
            (want, input),
            (want, input),
            (want, input),
            (if tile { want } else { classes }, input),
            (want, output),
            (want, output),
            (np, output),
            (2 * want + np, read),
        ];
        let bufs = self.scoped("bce scratch buffers", || {
            scratch
                .0
                .iter_mut()
                .zip(sizes)
                .map(|(g, (n, usage))| g.get(&self.device, n, usage, "bce scratch").clone())
                .collect::<Vec<wgpu::Buffer>>()
        });
        let bufs = match bufs {
            Ok(b) => b,
            Err(e) => {
                // A failed allocation leaves invalid buffers behind: drop them.
                *scratch = BceScratch::default();
                return Err(e);
            }
        };
        if let Some(pw) = opts.pos_weight.filter(|_| !tile) {
            self.scoped("upload", || {
                self.queue
                    .write_buffer(&bufs[3], 0, bytemuck::cast_slice(pw));
            })?;
        }
        let mut window = Vec::new();
        let mut sum = 0.0;
        let mut host = Vec::new();
        for start in (0..x.len()).step_by(chunk) {
            let n = chunk.min(x.len() - start);
            let r = start..start + n;
            let (n64, bytes) = (n as u64, n as u64 * 4);
            let np = self.chunk_partials(n64);
            self.scoped("upload", || {
                self.queue
                    .write_buffer(&bufs[0], 0, bytemuck::cast_slice(&x[r.clone()]));
                self.queue
                    .write_buffer(&bufs[1], 0, bytemuck::cast_slice(&t[r.clone()]));
                if let Some(w) = opts.weight {
                    self.queue
                        .write_buffer(&bufs[2], 0, bytemuck::cast_slice(&w[r.clone()]));
                }
                if let Some(pw) = opts.pos_weight.filter(|_| tile) {
                    window.clear();
                    window.extend(r.clone().map(|i| pw[i % pw.len()]));
                    self.queue
                        .write_buffer(&bufs[3], 0, bytemuck::cast_slice(&window));
                }
            })?;
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("bce round trip"),
                });
            let b = BceBuffers {
                x: F32Buffer::new(&bufs[0]),
                t: F32Buffer::new(&bufs[1]),
                weight: opts.weight.map(|_| F32Buffer::new(&bufs[2])),
                pos_weight: opts
                    .pos_weight
                    .map(|_| (F32Buffer::new(&bufs[3]), if tile { n64 } else { classes })),
                loss: F32Buffer::new(&bufs[4]),
                dx: F32Buffer::new(&bufs[5]),
                partials: F32Buffer::new(&bufs[6]),
            };
            let (eps, base) = (opts.label_smoothing, if tile { 0 } else { start as u64 });
            self.encode_bce(&mut encoder, &b, eps, grad_scale, n64, base)?;
            let staging = &bufs[7];
            encoder.copy_buffer_to_buffer(&bufs[5], 0, staging, 0, bytes);
            encoder.copy_buffer_to_buffer(&bufs[6], 0, staging, bytes, np * 4);
            let with_loss = out.is_some();
            if with_loss {
                encoder.copy_buffer_to_buffer(&bufs[4], 0, staging, bytes + np * 4, bytes);
            }
            self.scoped("submit", || self.queue.submit([encoder.finish()]))?;
            let total = n + np as usize + if with_loss { n } else { 0 };
            host.resize(total, 0.0);
            self.read_back(staging, total as u64 * 4, &mut host)?;
            dx[r.clone()].copy_from_slice(&host[..n]);
            sum += bce_partials_sum(&host[n..n + np as usize]);
            if let Some(o) = out.as_deref_mut() {
                o[r].copy_from_slice(&host[n + np as usize..]);
            }
        }
        Ok(sum)
    }
}

/// A binding of `count` elements of `f` from `off` elements past its offset.
fn at(f: F32Buffer<'_>, off: u64, count: u64) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer: f.buffer,
        offset: (f.offset + off) * 4,
        size: wgpu::BufferSize::new(count * 4),
    })
}

/// A positive `f64` as an `f32` pair hi + lo (hi the nearest `f32`).
fn split_f64(v: f64) -> (f32, f32) {
    let hi = v as f32;
    (hi, (v - f64::from(hi)) as f32)
}

#[cfg(test)]
mod tests {
    use super::BCE_WGSL;
    use crate::cpu::stable;

    /// The shader's series and rounding constants are the CPU's
    /// (`cpu/stable.rs`), bit for bit, as naga parses them.
    #[test]
    fn bce_shader_constants_are_the_cpus() {
        let module = naga::front::wgsl::parse_str(BCE_WGSL).expect("the shader parses");
        let find = |name: &str| {
            module
                .constants
                .iter()
                .find(|(_, c)| c.name.as_deref() == Some(name))
                .map(|(_, c)| match module.global_expressions[c.init] {
                    naga::Expression::Literal(naga::Literal::F32(v)) => v.to_bits(),
                    _ => panic!("{name} is not an f32 literal"),
                })
                .unwrap_or_else(|| panic!("the shader has no constant {name}"))
        };
        let names: Vec<String> = (0..stable::Q.len()).map(|i| format!("Q{i}")).collect();
        let mut cpu: Vec<(&str, f32)> = names.iter().map(String::as_str).zip(stable::Q).collect();
        cpu.push(("ROUNDER", stable::ROUNDER));
        cpu.push(("POW2_SHIFTER", stable::POW2_SHIFTER));
        for (name, want) in cpu {
            assert_eq!(find(name), want.to_bits(), "{name}");
        }
    }
}
