//! Integer-only Sigmoid for Q-format `i16`: the kernel for targets without
//! a floating-point unit.
//!
//! Input: `i16` in Qm.n (value = q / 2^n) for any n in 0..=15 (TFLite's int16
//! LOGISTIC uses Q3.12). Output: Q0.15 `i16` (value = y / 32768, so 0.5 is
//! 16384 and the largest code, for σ ≥ 1 − 2^−16, is 32767).
//!
//! Method: one table of σ(t) − 1/2 in Q0.17 at t = i/64 for i in 0..=768
//! (t in [0, 12]), linear interpolation with a 16-bit fraction, and
//! σ(−t) = 1 − σ(t). Inputs with |x| ≥ 12 saturate to 32767 / 0, which are
//! the correctly rounded (clamped) results there.
//!
//! Error budget against the exact value, in output LSBs (2^−15): linear
//! interpolation ≤ h²/8 · max|σ''| = 0.096, table rounding 0.125,
//! interpolation rounding 0.125, final rounding 0.5; so every result is
//! within 1 LSB of the correctly rounded one. The exhaustive test over all
//! 65536 inputs and all 16 formats measures it (see `tests/quant.rs`).
//!
//! Size: the table is 769 `u16` = 1538 bytes, shared by every n; nothing
//! else is stored.
//!
//! This file uses integer arithmetic only (no floating-point types at all);
//! the table was generated offline and a test regenerates it from the oracle
//! in [`crate::reference`].
#![deny(clippy::float_arithmetic)]

use super::QuantError;

/// log2 of the table's steps per unit of x (step h = 1/64).
const STEP_BITS: u32 = 6;
/// Table entries past the last step, i.e. x = 12 is entry 768.
const LAST: u32 = 768;
/// Fraction bits of the interpolation weight.
const WEIGHT_BITS: u32 = 16;
/// σ(x) − 1/2 in Q0.17 where |x| ≥ 12 (σ taken as 1, clamped at the end).
const SATURATED: u32 = 1 << 16;

/// Integer-only σ from Q(15−n).n `i16` to Q0.15 `i16`, built once per input
/// format and applied as often as needed.
///
/// Result within 1 LSB (2^−15) of `min(round(σ(q/2^n)·2^15), 32767)` for
/// every input and every n (exhaustive test); all tables for all formats
/// together take 1538 bytes. No floating point at run time, no allocation,
/// no `std`.
///
/// ```
/// use sigmoid_kernels::quant::Q15Sigmoid;
/// let s = Q15Sigmoid::new(12)?; // TFLite's Q3.12 input
/// assert_eq!(s.lookup(0), 16384); // σ(0) = 0.5
/// assert_eq!(s.lookup(i16::MAX), 32757); // σ(7.99976) · 32768 = 32757.01
/// assert_eq!(s.lookup(i16::MIN), 11); // σ(−8) · 32768 = 10.99
/// # Ok::<(), sigmoid_kernels::quant::QuantError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Q15Sigmoid {
    frac_bits: u32,
}

impl Q15Sigmoid {
    /// The accuracy contract: every result is within this many output codes
    /// (LSBs, 2^−15) of the correctly rounded one (see the module docs'
    /// error budget), for every input and every n.
    pub const MAX_LSB: u32 = 1;

    /// The kernel for inputs with `frac_bits` fractional bits (Qm.n with
    /// n = `frac_bits`).
    ///
    /// # Errors
    /// [`QuantError::FracBits`] if `frac_bits > 15`.
    pub const fn new(frac_bits: u32) -> Result<Self, QuantError> {
        if frac_bits > 15 {
            Err(QuantError::FracBits { frac_bits })
        } else {
            Ok(Q15Sigmoid { frac_bits })
        }
    }

    /// The number of fractional input bits n.
    #[must_use]
    pub const fn frac_bits(self) -> u32 {
        self.frac_bits
    }

    /// σ of one Qm.n input as Q0.15 (see the [type docs](Self)).
    #[inline]
    #[must_use]
    pub fn lookup(self, q: i16) -> i16 {
        // |q| ≤ 32768; pos = |x| with 16 fraction bits (≤ 2^31, exact as
        // n ≤ 15 < 16). The table index is its top part, the interpolation
        // weight the next 10 bits (at most n − 6 ≤ 9 nonzero), scaled to
        // WEIGHT_BITS.
        let a = u32::from(q.unsigned_abs());
        let pos = (a << 16) >> self.frac_bits;
        let idx = pos >> (16 - STEP_BITS);
        let w = (pos & ((1 << (16 - STEP_BITS)) - 1)) << (WEIGHT_BITS - (16 - STEP_BITS));
        let s = if idx >= LAST {
            SATURATED
        } else {
            let t0 = u32::from(TABLE[idx as usize]);
            let t1 = u32::from(TABLE[idx as usize + 1]);
            t0 + (((t1 - t0) * w + (1 << (WEIGHT_BITS - 1))) >> WEIGHT_BITS)
        };
        // s ≈ (σ(|x|) − 1/2)·2^17; to Q0.15 with rounding: (s + 2) >> 2.
        let half = ((s + 2) >> 2) as i32; // ≤ 16384
                                          // Branch-free sign: −half for negative q (neg = −1), +half otherwise.
        let neg = i32::from(q >> 15);
        let y = (16384 + ((half ^ neg) - neg)).min(32767);
        y as i16
    }

    /// `y[i] = self.lookup(x[i])`.
    ///
    /// # Panics
    /// If `x.len() != y.len()`; the message names both lengths.
    pub fn apply(self, x: &[i16], y: &mut [i16]) {
        assert!(
            x.len() == y.len(),
            "Q15Sigmoid::apply: length mismatch: x.len() = {}, y.len() = {}",
            x.len(),
            y.len()
        );
        for (o, &q) in y.iter_mut().zip(x) {
            *o = self.lookup(q);
        }
    }

    /// [`Q15Sigmoid::apply`] in place. Never panics.
    pub fn apply_inplace(self, x: &mut [i16]) {
        for q in x.iter_mut() {
            *q = self.lookup(*q);
        }
    }
}

/// Bytes of table data used by [`Q15Sigmoid`] for all 16 input formats.
pub const Q15_TABLE_BYTES: usize = core::mem::size_of::<[u16; LAST as usize + 1]>();

/// round((σ(i/64) − 1/2) · 2^17) for i in 0..=768, generated from the oracle
/// (checked by a test).
pub(crate) static TABLE: [u16; LAST as usize + 1] = [
    0, 512, 1024, 1536, 2047, 2559, 3070, 3580, 4091, 4600, 5110, 5618, 6126, 6633, 7140, 7645,
    8150, 8653, 9156, 9657, 10157, 10657, 11154, 11651, 12146, 12640, 13132, 13623, 14112, 14599,
    15085, 15569, 16051, 16531, 17010, 17486, 17961, 18433, 18904, 19372, 19838, 20302, 20764,
    21224, 21681, 22135, 22588, 23038, 23485, 23930, 24373, 24813, 25250, 25685, 26117, 26546,
    26973, 27397, 27818, 28236, 28652, 29064, 29474, 29881, 30285, 30687, 31085, 31480, 31873,
    32262, 32648, 33032, 33412, 33790, 34164, 34535, 34904, 35269, 35631, 35990, 36346, 36699,
    37049, 37396, 37740, 38080, 38418, 38752, 39084, 39412, 39738, 40060, 40379, 40695, 41008,
    41318, 41625, 41929, 42230, 42528, 42823, 43115, 43404, 43690, 43972, 44253, 44530, 44804,
    45075, 45343, 45609, 45871, 46131, 46388, 46642, 46893, 47142, 47388, 47630, 47871, 48108,
    48343, 48575, 48804, 49031, 49255, 49477, 49696, 49912, 50126, 50337, 50545, 50752, 50955,
    51157, 51355, 51552, 51746, 51937, 52127, 52314, 52498, 52681, 52861, 53038, 53214, 53387,
    53558, 53727, 53894, 54059, 54221, 54382, 54540, 54697, 54851, 55003, 55154, 55302, 55449,
    55593, 55736, 55876, 56015, 56152, 56288, 56421, 56553, 56683, 56811, 56937, 57062, 57185,
    57306, 57426, 57544, 57660, 57775, 57888, 58000, 58110, 58219, 58326, 58432, 58536, 58639,
    58741, 58840, 58939, 59036, 59132, 59227, 59320, 59412, 59502, 59592, 59680, 59766, 59852,
    59936, 60019, 60101, 60182, 60262, 60340, 60418, 60494, 60569, 60643, 60717, 60789, 60860,
    60929, 60998, 61066, 61133, 61199, 61264, 61328, 61392, 61454, 61515, 61576, 61635, 61694,
    61752, 61809, 61865, 61920, 61975, 62029, 62082, 62134, 62185, 62236, 62286, 62335, 62383,
    62431, 62478, 62524, 62570, 62615, 62659, 62703, 62746, 62788, 62830, 62871, 62911, 62951,
    62991, 63029, 63068, 63105, 63142, 63179, 63214, 63250, 63285, 63319, 63353, 63386, 63419,
    63451, 63483, 63514, 63545, 63576, 63605, 63635, 63664, 63693, 63721, 63749, 63776, 63803,
    63829, 63855, 63881, 63907, 63932, 63956, 63980, 64004, 64028, 64051, 64073, 64096, 64118,
    64140, 64161, 64182, 64203, 64224, 64244, 64263, 64283, 64302, 64321, 64340, 64358, 64376,
    64394, 64412, 64429, 64446, 64463, 64479, 64496, 64512, 64527, 64543, 64558, 64573, 64588,
    64603, 64617, 64631, 64645, 64659, 64672, 64686, 64699, 64712, 64724, 64737, 64749, 64761,
    64773, 64785, 64797, 64808, 64819, 64830, 64841, 64852, 64862, 64873, 64883, 64893, 64903,
    64913, 64922, 64932, 64941, 64950, 64959, 64968, 64977, 64986, 64994, 65003, 65011, 65019,
    65027, 65035, 65042, 65050, 65058, 65065, 65072, 65079, 65086, 65093, 65100, 65107, 65114,
    65120, 65127, 65133, 65139, 65145, 65151, 65157, 65163, 65169, 65175, 65180, 65186, 65191,
    65196, 65202, 65207, 65212, 65217, 65222, 65227, 65231, 65236, 65241, 65245, 65250, 65254,
    65259, 65263, 65267, 65271, 65275, 65279, 65283, 65287, 65291, 65295, 65299, 65302, 65306,
    65310, 65313, 65317, 65320, 65323, 65327, 65330, 65333, 65336, 65339, 65342, 65345, 65348,
    65351, 65354, 65357, 65360, 65362, 65365, 65368, 65370, 65373, 65375, 65378, 65380, 65383,
    65385, 65387, 65390, 65392, 65394, 65396, 65399, 65401, 65403, 65405, 65407, 65409, 65411,
    65413, 65415, 65417, 65418, 65420, 65422, 65424, 65426, 65427, 65429, 65431, 65432, 65434,
    65435, 65437, 65439, 65440, 65442, 65443, 65444, 65446, 65447, 65449, 65450, 65451, 65453,
    65454, 65455, 65456, 65458, 65459, 65460, 65461, 65462, 65464, 65465, 65466, 65467, 65468,
    65469, 65470, 65471, 65472, 65473, 65474, 65475, 65476, 65477, 65478, 65479, 65480, 65480,
    65481, 65482, 65483, 65484, 65485, 65485, 65486, 65487, 65488, 65488, 65489, 65490, 65491,
    65491, 65492, 65493, 65493, 65494, 65495, 65495, 65496, 65497, 65497, 65498, 65498, 65499,
    65500, 65500, 65501, 65501, 65502, 65502, 65503, 65503, 65504, 65504, 65505, 65505, 65506,
    65506, 65507, 65507, 65508, 65508, 65508, 65509, 65509, 65510, 65510, 65511, 65511, 65511,
    65512, 65512, 65512, 65513, 65513, 65514, 65514, 65514, 65515, 65515, 65515, 65516, 65516,
    65516, 65516, 65517, 65517, 65517, 65518, 65518, 65518, 65519, 65519, 65519, 65519, 65520,
    65520, 65520, 65520, 65521, 65521, 65521, 65521, 65522, 65522, 65522, 65522, 65522, 65523,
    65523, 65523, 65523, 65523, 65524, 65524, 65524, 65524, 65524, 65525, 65525, 65525, 65525,
    65525, 65525, 65526, 65526, 65526, 65526, 65526, 65526, 65526, 65527, 65527, 65527, 65527,
    65527, 65527, 65527, 65528, 65528, 65528, 65528, 65528, 65528, 65528, 65528, 65529, 65529,
    65529, 65529, 65529, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65530, 65530,
    65530, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531, 65531, 65531, 65531,
    65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65532, 65532, 65532,
    65532, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533, 65533,
    65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535, 65535, 65535,
    65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535,
    65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535,
    65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535, 65535,
];
