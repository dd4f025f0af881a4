//! [`GpuError`]: every way a GPU call can fail, as a value.
//!
//! Nothing in [`crate::gpu`] panics on these conditions: wgpu validation and
//! out-of-memory errors are caught with error scopes, mapping failures come
//! back through `map_async`'s callback, and buffer bounds are checked before
//! anything is recorded.

use core::fmt;

/// An error from [`GpuContext`](super::GpuContext).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum GpuError {
    /// No adapter (GPU, or software device such as lavapipe) was found.
    NoAdapter(String),
    /// The adapter was found but refused to create a device.
    RequestDevice(String),
    /// The device ran out of memory while allocating `what`.
    OutOfMemory(String),
    /// A caller's buffer ends before `offset + len` elements.
    BufferTooSmall {
        /// Which argument (`"x"`, `"y"`, `"dy"`, `"dx"`).
        what: &'static str,
        /// Bytes needed: `(offset + len) · 4`.
        needed: u64,
        /// The buffer's size in bytes.
        size: u64,
    },
    /// A caller's element offset is not at a legal storage binding offset.
    Misaligned {
        /// Which argument.
        what: &'static str,
        /// The offset in bytes.
        offset: u64,
        /// The device's `min_storage_buffer_offset_alignment` in bytes.
        alignment: u32,
    },
    /// A caller's buffer lacks the `STORAGE` usage.
    NotStorage {
        /// Which argument.
        what: &'static str,
    },
    /// The output buffer is also one of the inputs (wgpu forbids binding one
    /// buffer as read-only and read-write storage in the same dispatch).
    Aliased {
        /// Which argument aliases the output.
        what: &'static str,
    },
    /// Slices that must have equal lengths do not.
    LengthMismatch {
        /// Which argument has the wrong length.
        what: &'static str,
        /// The length it must have.
        expected: usize,
        /// Its length.
        got: usize,
    },
    /// The device was lost (driver reset, removal, or [`wgpu::Device::destroy`]).
    DeviceLost(String),
    /// Reading results back (`map_async` or waiting for the queue) failed.
    MapFailed(String),
    /// wgpu reported a validation or internal error not covered above.
    Wgpu(String),
    /// The device lacks the named wgpu feature (`"SHADER_F16"` for the
    /// binary16 kernels, `"SHADER_F64"` for the correctly rounded σ); the
    /// message names the host alternative.
    MissingFeature(&'static str),
    /// A bad option of the loss kernels ([`crate::gpu::loss`]): the CPU's
    /// error for the same options.
    Loss(crate::loss::LossError),
    /// A device-resident `pos_weight` longer than one binding holds
    /// ([`GpuContext::max_chunk_len`](super::GpuContext::max_chunk_len)
    /// elements): the encode form binds it whole (the host form splits it).
    TooManyClasses {
        /// `pos_weight`'s length.
        classes: u64,
        /// The most one binding holds on this device.
        max: u64,
    },
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoAdapter(why) => write!(f, "no GPU adapter found: {why}"),
            Self::RequestDevice(why) => write!(f, "requesting a GPU device failed: {why}"),
            Self::OutOfMemory(what) => write!(f, "GPU out of memory while allocating {what}"),
            Self::BufferTooSmall { what, needed, size } => write!(
                f,
                "buffer `{what}` is too small: {needed} bytes needed, it has {size}"
            ),
            Self::Misaligned {
                what,
                offset,
                alignment,
            } => write!(
                f,
                "buffer `{what}`: offset {offset} bytes is not a multiple of the device's \
                 storage offset alignment ({alignment} bytes)"
            ),
            Self::NotStorage { what } => {
                write!(
                    f,
                    "buffer `{what}` was not created with BufferUsages::STORAGE"
                )
            }
            Self::Aliased { what } => {
                write!(f, "the output buffer is the same buffer as input `{what}`")
            }
            Self::LengthMismatch {
                what,
                expected,
                got,
            } => write!(f, "`{what}` has length {got}, expected {expected}"),
            Self::DeviceLost(why) => write!(f, "GPU device lost: {why}"),
            Self::MapFailed(why) => write!(f, "reading results back from the GPU failed: {why}"),
            Self::Wgpu(why) => write!(f, "wgpu error: {why}"),
            Self::MissingFeature(feature) => write!(
                f,
                "the GPU device lacks wgpu::Features::{feature}; {}",
                if *feature == "SHADER_F64" {
                    "use the CPU's sigmoid_cr (the GPU's sigmoid is within 1 ULP, \
                     not correctly rounded)"
                } else {
                    "convert on the host (the CPU's sigmoid_f16, or widen to f32)"
                }
            ),
            Self::Loss(e) => write!(f, "{e}"),
            Self::TooManyClasses { classes, max } => write!(
                f,
                "pos_weight has {classes} classes, more than one binding holds on this \
                 device ({max} elements); use the host form (bce_with_logits), which \
                 splits it"
            ),
        }
    }
}

impl std::error::Error for GpuError {}

impl GpuError {
    /// Converts an error caught by a wgpu error scope; `what` names the
    /// operation for out-of-memory messages.
    pub(crate) fn from_wgpu(e: wgpu::Error, what: &str) -> Self {
        if let wgpu::Error::OutOfMemory { .. } = e {
            return Self::OutOfMemory(what.to_owned());
        }
        // wgpu's Display carries the whole "Caused by" chain.
        Self::Wgpu(format!("{what}: {e}"))
    }
}
