//! Quantized Sigmoid: `int8`/`uint8` affine quantization through a 256-entry
//! table, and an integer-only Q-format `i16` kernel.
//!
//! | type | input | output | how | error |
//! |---|---|---|---|---|
//! | [`Int8Sigmoid`] | `i8`, any scale/zero point | `i8`, default 1/256, −128 | table from the oracle | exact (correctly rounded) |
//! | [`Uint8Sigmoid`] | `u8`, any scale/zero point | `u8`, default 1/256, 0 | table from the oracle | exact (correctly rounded) |
//! | [`Q15Sigmoid`] | `i16` Qm.n, n in 0..=15 | `i16` Q0.15 | integer-only interpolation | ≤ 1 LSB |
//!
//! The 8-bit types follow the TFLite / PyTorch / ONNX `QLinearSigmoid` /
//! XNNPACK conventions: a real value is `scale · (q − zero_point)`, and the
//! result is
//!
//! `clamp(round(σ(s_in · (q − z_in)) / s_out) + z_out, type's range)`
//!
//! with `round` = round half away from zero, evaluated with the `f64` oracle
//! [`crate::reference::sigmoid_f64`] (so it is the correctly rounded result,
//! except that a value within ~2^−50 of a rounding midpoint may round either
//! way; frameworks that compute this in `f32` can differ from it by one code
//! at such near-ties). The table is built once per parameter set, then every
//! element is one lookup: AVX2 `vpshufb` on x86-64 when the CPU has it, a
//! scalar loop otherwise, and all rayon threads from
//! [`QUANT_PARALLEL_THRESHOLD`] elements up.
//!
//! The lookup is memory-bound, so one `vpshufb` per 32 bytes makes it
//! several times faster than a plain table loop; the measurements are in
//! `docs/benchmarks.md`.
//!
//! Everything here except the SIMD detection and the threads builds without
//! `std`.

mod lut;
mod q15;
#[cfg(test)]
mod q15_table_check;

#[cfg(feature = "std")]
pub use lut::QUANT_PARALLEL_THRESHOLD;
pub use q15::{Q15Sigmoid, Q15_TABLE_BYTES};

use core::fmt;

/// Affine quantization parameters: real value = `scale · (q − zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantParams {
    /// Step between codes; must be finite and > 0.
    pub scale: f32,
    /// The code of real 0; must lie in the code type's range.
    pub zero_point: i32,
}

impl QuantParams {
    /// `QuantParams { scale, zero_point }`.
    #[must_use]
    pub const fn new(scale: f32, zero_point: i32) -> Self {
        QuantParams { scale, zero_point }
    }
}

/// Which side of a quantized kernel a parameter belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The input's quantization parameters.
    Input,
    /// The output's quantization parameters.
    Output,
}

/// Invalid parameters for a quantized kernel. Constructors return this
/// instead of panicking or building a table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum QuantError {
    /// The scale is NaN, infinite, zero or negative.
    Scale {
        /// Input or output.
        side: Side,
        /// The rejected scale.
        scale: f32,
    },
    /// The zero point is outside the code type's range.
    ZeroPoint {
        /// Input or output.
        side: Side,
        /// The rejected zero point.
        zero_point: i32,
        /// Smallest allowed value (−128 or 0).
        min: i32,
        /// Largest allowed value (127 or 255).
        max: i32,
    },
    /// A Q-format with more than 15 fractional bits for an `i16` input.
    FracBits {
        /// The rejected number of fractional bits.
        frac_bits: u32,
    },
}

impl fmt::Display for QuantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |s: &Side| match s {
            Side::Input => "input",
            Side::Output => "output",
        };
        match self {
            QuantError::Scale { side, scale } => write!(
                f,
                "{} scale must be finite and > 0, got {scale:e}",
                name(side)
            ),
            QuantError::ZeroPoint {
                side,
                zero_point,
                min,
                max,
            } => write!(
                f,
                "{} zero point must be in [{min}, {max}], got {zero_point}",
                name(side)
            ),
            QuantError::FracBits { frac_bits } => write!(
                f,
                "an i16 Q-format has 0 to 15 fractional bits, got {frac_bits}"
            ),
        }
    }
}

impl core::error::Error for QuantError {}

fn check(side: Side, p: QuantParams, min: i32, max: i32) -> Result<(), QuantError> {
    if !(p.scale.is_finite() && p.scale > 0.0) {
        return Err(QuantError::Scale {
            side,
            scale: p.scale,
        });
    }
    if !(min..=max).contains(&p.zero_point) {
        return Err(QuantError::ZeroPoint {
            side,
            zero_point: p.zero_point,
            min,
            max,
        });
    }
    Ok(())
}

impl QuantParams {
    /// The real value of code `q`: `scale · (q − zero_point)`, exact in
    /// `f64` (24-bit scale times a difference of at most 17 bits).
    #[must_use]
    pub fn dequantize(self, q: i32) -> f64 {
        f64::from(self.scale) * f64::from(q - self.zero_point)
    }

    /// The code of real value `v`: `clamp(round_half_away(v / scale) +
    /// zero_point, min, max)`, the rounding of every quantized result in this
    /// crate (NaN gives the zero point, clamped).
    #[must_use]
    pub fn quantize(self, v: f64, (min, max): (i32, i32)) -> i32 {
        let q = libm::round(v / f64::from(self.scale));
        let q = if q.is_nan() { 0.0 } else { q };
        (q + f64::from(self.zero_point)).clamp(f64::from(min), f64::from(max)) as i32
    }

    /// The correctly rounded σ of input code `q` as an output code of
    /// `output`, clamped to `range`: the formula in the [module docs](self),
    /// which the tables hold and every quantized kernel is checked against.
    #[must_use]
    pub fn sigmoid_code(self, output: QuantParams, q: i32, range: (i32, i32)) -> i32 {
        output.quantize(crate::reference::sigmoid_f64(self.dequantize(q)), range)
    }
}

/// The table for codes `min..=max` (stored as their low byte, indexed by the
/// input's byte): [`QuantParams::sigmoid_code`] of each.
fn build_table(
    input: QuantParams,
    output: QuantParams,
    min: i32,
    max: i32,
) -> Result<[u8; 256], QuantError> {
    check(Side::Input, input, min, max)?;
    check(Side::Output, output, min, max)?;
    let mut table = [0u8; 256];
    for q in min..=max {
        let code = input.sigmoid_code(output, q, (min, max));
        table[(q & 0xff) as usize] = (code & 0xff) as u8;
    }
    Ok(table)
}

macro_rules! quantized {
    ($name:ident, $t:ty, $zp:expr, $doc_in:expr, $example:expr) => {
        #[doc = concat!("σ on affine-quantized `", stringify!($t), "` through a 256-entry table (see the [module docs](self)).")]
        ///
        /// Built once per parameter set from the `f64` oracle; every
        /// result equals
        /// `clamp(round_half_away(σ(s_in·(q − z_in)) / s_out) + z_out)`
        /// (exhaustively tested over all 256 inputs for a grid of
        /// parameters). Arbitrary output parameters are accepted;
        #[doc = concat!("[`", stringify!($name), "::new`] uses [`", stringify!($name), "::DEFAULT_OUTPUT`].")]
        ///
        /// ```
        #[doc = $example]
        /// ```
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            input: QuantParams,
            output: QuantParams,
            table: [u8; 256],
        }

        impl $name {
            /// The accuracy contract: every result is within this many output
            /// codes of [`QuantParams::sigmoid_code`] (0: it is that code).
            pub const MAX_LSB: u32 = 0;

            /// Output scale 1/256 and zero point
            #[doc = concat!(stringify!($zp), ": what TFLite requires and PyTorch always produces.")]
            pub const DEFAULT_OUTPUT: QuantParams = QuantParams::new(1.0 / 256.0, $zp);

            #[doc = concat!("The kernel for ", $doc_in, " inputs with parameters `input` and the [default output](Self::DEFAULT_OUTPUT).")]
            ///
            /// # Errors
            /// [`QuantError::Scale`] for a scale that is NaN, ±∞ or ≤ 0;
            /// [`QuantError::ZeroPoint`] for a zero point outside the type.
            pub fn new(input: QuantParams) -> Result<Self, QuantError> {
                Self::with_output(input, Self::DEFAULT_OUTPUT)
            }

            /// The kernel with explicit output parameters.
            ///
            /// # Errors
            /// As [`Self::new`], for either side.
            pub fn with_output(input: QuantParams, output: QuantParams) -> Result<Self, QuantError> {
                let table = build_table(input, output, <$t>::MIN.into(), <$t>::MAX.into())?;
                Ok($name { input, output, table })
            }

            /// The input parameters.
            #[must_use]
            pub fn input(&self) -> QuantParams {
                self.input
            }

            /// The output parameters.
            #[must_use]
            pub fn output(&self) -> QuantParams {
                self.output
            }

            /// The table: entry `b` is the output byte for the input byte
            /// `b` (two's complement for `i8`).
            #[must_use]
            pub fn table(&self) -> &[u8; 256] {
                &self.table
            }

            /// σ of one code.
            #[inline]
            #[must_use]
            pub fn lookup(&self, q: $t) -> $t {
                self.table[usize::from(q as u8)] as $t
            }

            /// `y[i] = self.lookup(x[i])`, vectorised, on all threads for
            #[doc = "long inputs ([`QUANT_PARALLEL_THRESHOLD`]; without `std`, a scalar loop)."]
            ///
            /// # Panics
            /// If `x.len() != y.len()`; the message names both lengths.
            pub fn apply(&self, x: &[$t], y: &mut [$t]) {
                check_len(x.len(), y.len());
                lut::apply(&self.table, Some(bytemuck::cast_slice(x)), bytemuck::cast_slice_mut(y));
            }

            /// [`Self::apply`] in place. Never panics.
            pub fn apply_inplace(&self, x: &mut [$t]) {
                lut::apply(&self.table, None, bytemuck::cast_slice_mut(x));
            }

            /// [`Self::apply`] on a chosen backend: `Scalar` and `Portable`
            /// run the scalar lookup loop, `Avx2Fma` the `vpshufb` kernel,
            /// `Parallel` the best of those on every rayon thread.
            ///
            /// # Panics
            /// If `x.len() != y.len()`, or if the backend is not available.
            #[cfg(feature = "std")]
            pub fn apply_with(&self, backend: crate::Backend, x: &[$t], y: &mut [$t]) {
                check_len(x.len(), y.len());
                lut::apply_with(backend, &self.table, Some(bytemuck::cast_slice(x)), bytemuck::cast_slice_mut(y));
            }
        }
    };
}

quantized!(
    Int8Sigmoid,
    i8,
    -128,
    "`i8`",
    "use sigmoid_kernels::quant::{Int8Sigmoid, QuantParams};
let s = Int8Sigmoid::new(QuantParams::new(0.1, 0))?;
let x = [0i8, 127, -128];
let mut y = [0i8; 3];
s.apply(&x, &mut y);
assert_eq!(y[0], 0); // σ(0) = 0.5 = (0 − (−128)) / 256
assert_eq!(y[1], 127); // round(σ(12.7) · 256) − 128 = 128, clamped
assert_eq!(y[2], -128);
assert!(Int8Sigmoid::new(QuantParams::new(0.0, 0)).is_err());
# Ok::<(), sigmoid_kernels::quant::QuantError>(())"
);

quantized!(
    Uint8Sigmoid,
    u8,
    0,
    "`u8`",
    "use sigmoid_kernels::quant::{QuantParams, Uint8Sigmoid};
let s = Uint8Sigmoid::new(QuantParams::new(0.05, 128))?;
assert_eq!(s.lookup(128), 128); // σ(0) · 256
assert_eq!(s.lookup(255), 255); // σ(6.35) · 256 = 255.55 → 256, clamped
assert!(Uint8Sigmoid::new(QuantParams::new(0.05, 256)).is_err());
# Ok::<(), sigmoid_kernels::quant::QuantError>(())"
);

#[track_caller]
fn check_len(lx: usize, ly: usize) {
    assert!(
        lx == ly,
        "quantized sigmoid: length mismatch: x.len() = {lx}, y.len() = {ly}"
    );
}
