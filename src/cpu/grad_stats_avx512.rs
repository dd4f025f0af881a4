//! The AVX-512 chunk kernel of [`crate::stats::GradStats`]: the same
//! [`ChunkSums`] as [`grad_stats::chunk`](super::grad_stats::chunk), bit for
//! bit, with the histogram counted in vector registers instead of tables.
//!
//! Per vector of 16 elements: |g| widened to `f64` in two halves (element
//! i of the chunk into lane i mod 16, as the generic kernel, so the sums
//! are the same bits), max |g| as an unsigned max of the bits (NaN and ±∞
//! compare above every finite value, which also flags them), the
//! threshold count (unless the threshold is a bin boundary) as a masked
//! add, and the bin of each element's biased exponent as a one-hot bit in
//! a `u64`: the even elements of the vector in one register, the odd ones
//! in another.
//!
//! The one-hot words go into bit-sliced counters: plane p holds bit p of
//! each bin's count, per `u64` lane, so adding 32 one-hot words (256
//! elements) is 31 full adders (`vpternlogq`, Harley–Seal) and the carry of
//! weight 32 rippled into the higher planes, whatever the data, with no
//! memory traffic. At the end of the chunk the planes become counts
//! (`vpmovm2b` and byte adds per plane). The zero and exponent-0 counts
//! come from a second pass over the chunk, only if its bin 0 is not empty.
//!
//! Soundness: [`chunk`] is an `unsafe fn` whose contract is that the CPU
//! has the features [`super::avx512::detected`] checks; the dispatch in
//! `cpu/mod.rs` calls it only after checking that. Its loads stay inside
//! the chunk (full vectors of 16, and a masked load for the last partial
//! one).

use super::grad_stats::{ChunkSums, BIN0_EXP, BINS, LANES};
use core::arch::x86_64::*;

/// Elements per step of the main loop: 16 vectors, 32 one-hot words.
const STEP: usize = 256;
/// Bit planes of the counters: each `u64` lane takes 2 of every 16
/// elements, so a chunk of at most [`MAX_LEN`] puts at most 4096 in one
/// bin of one lane, below 2^13.
const PLANES: usize = 13;
/// The longest chunk (`stats.rs` passes 16K).
pub(crate) const MAX_LEN: usize = 1 << 15;
/// Elements ahead of the current step that the software prefetch asks
/// for: 4 KiB.
const AHEAD: usize = 1024;

/// The running sums and counters of one chunk.
struct State {
    sq: [__m512d; 2],
    ab: [__m512d; 2],
    /// Unsigned max of the |g| bits.
    max: __m512i,
    below: __m512i,
    /// Lanes of 1 that the compiler cannot see through (`black_box`), so
    /// that a count stays one masked add instead of becoming a mask
    /// widened to a vector and subtracted (two operations).
    one: __m512i,
    planes: [__m512i; PLANES],
}

/// A full adder on every bit: (carry, sum) of `a + b + c`.
#[target_feature(enable = "avx512f")]
#[inline]
fn full_add(a: __m512i, b: __m512i, c: __m512i) -> (__m512i, __m512i) {
    (
        _mm512_ternarylogic_epi64::<0xe8>(a, b, c),
        _mm512_ternarylogic_epi64::<0x96>(a, b, c),
    )
}

/// Adds one-hot words `x` (weight 2^`from`) into the planes from `from` up.
#[target_feature(enable = "avx512f")]
#[inline]
fn ripple(planes: &mut [__m512i; PLANES], from: usize, mut x: __m512i) {
    for p in &mut planes[from..] {
        let carry = _mm512_and_si512(*p, x);
        *p = _mm512_xor_si512(*p, x);
        x = carry;
    }
}

impl State {
    /// One vector of 16 elements (bits `v`): the sums and counts, and the
    /// one-hot bin words of its even and odd elements.
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    #[inline]
    fn vector<const COMPARE: bool>(&mut self, v: __m512i, threshold: __m512) -> [__m512i; 2] {
        let a = _mm512_and_si512(v, _mm512_set1_epi32(0x7fff_ffff));
        let af = _mm512_castsi512_ps(a);
        let lo = _mm512_cvtps_pd(_mm512_castps512_ps256(af));
        let hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps::<1>(af));
        // |g|² is exact in f64: the fused add rounds as the generic one.
        self.sq[0] = _mm512_fmadd_pd(lo, lo, self.sq[0]);
        self.sq[1] = _mm512_fmadd_pd(hi, hi, self.sq[1]);
        self.ab[0] = _mm512_add_pd(self.ab[0], lo);
        self.ab[1] = _mm512_add_pd(self.ab[1], hi);
        self.max = _mm512_max_epu32(self.max, a);
        let one = self.one;
        if COMPARE {
            let k = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(af, threshold);
            self.below = _mm512_mask_add_epi32(self.below, k, self.below, one);
        }
        let e = _mm512_srli_epi32::<23>(a);
        // The bin, min(e - BIN0_EXP, BINS - 1) saturating at 0, in 16-bit
        // halves (each upper half is 0 and stays 0).
        let b = _mm512_min_epu16(
            _mm512_subs_epu16(e, _mm512_set1_epi32(BIN0_EXP as i32)),
            _mm512_set1_epi32(BINS as i32 - 1),
        );
        let unit = _mm512_set1_epi64(1);
        [
            _mm512_sllv_epi64(unit, _mm512_and_si512(b, _mm512_set1_epi64(0xffff_ffff))),
            _mm512_sllv_epi64(unit, _mm512_srli_epi64::<32>(b)),
        ]
    }

    /// Adds the one-hot words of 16 vectors (`step`, 256 elements): per 8
    /// vectors, each vector's as it comes into planes 0–3 (Harley–Seal
    /// carry-save adders), then the two carries of weight 16 into plane 4
    /// and the carry of that rippled into the planes above.
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    #[inline]
    fn add256<const COMPARE: bool>(&mut self, step: &[f32], threshold: __m512) {
        let mut sixteens = [_mm512_setzero_si512(); 2];
        for (half, out) in step.chunks_exact(STEP / 2).zip(&mut sixteens) {
            let mut eights_in = [_mm512_setzero_si512(); 2];
            for (h, e) in eights_in.iter_mut().enumerate() {
                let mut fours_in = [_mm512_setzero_si512(); 2];
                for (q, f) in fours_in.iter_mut().enumerate() {
                    let mut twos_in = [_mm512_setzero_si512(); 2];
                    for (r, t) in twos_in.iter_mut().enumerate() {
                        let at = 64 * h + 32 * q + 16 * r;
                        let g = &half[at..at + 16];
                        // SAFETY: `g` is 16 readable f32s.
                        let v = unsafe { _mm512_loadu_si512(g.as_ptr().cast()) };
                        let [even, odd] = self.vector::<COMPARE>(v, threshold);
                        (*t, self.planes[0]) = full_add(self.planes[0], even, odd);
                    }
                    (*f, self.planes[1]) = full_add(self.planes[1], twos_in[0], twos_in[1]);
                }
                (*e, self.planes[2]) = full_add(self.planes[2], fours_in[0], fours_in[1]);
            }
            (*out, self.planes[3]) = full_add(self.planes[3], eights_in[0], eights_in[1]);
        }
        let carry;
        (carry, self.planes[4]) = full_add(self.planes[4], sixteens[0], sixteens[1]);
        ripple(&mut self.planes, 5, carry);
    }

    /// The counts of each bin: plane by plane, the bits of the 8 lanes
    /// become bytes (0 or −1) that are summed, shifted by the plane's
    /// weight and added into `u16` counts (at most [`MAX_LEN`]).
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    fn bins(&self) -> [u64; BINS] {
        let mut total = [_mm512_setzero_si512(); 2];
        for (p, &plane) in (0i32..).zip(&self.planes) {
            let mut words = [0u64; 8];
            // SAFETY: `words` is 64 writable bytes.
            unsafe { _mm512_storeu_si512(words.as_mut_ptr().cast(), plane) };
            let mut n = _mm512_setzero_si512();
            for w in words {
                n = _mm512_sub_epi8(n, _mm512_movm_epi8(w));
            }
            let shift = _mm_cvtsi32_si128(p);
            let halves = [_mm512_castsi512_si256(n), _mm512_extracti64x4_epi64::<1>(n)];
            for (t, h) in total.iter_mut().zip(halves) {
                *t = _mm512_add_epi16(*t, _mm512_sll_epi16(_mm512_cvtepu8_epi16(h), shift));
            }
        }
        let mut counts = [0u16; 64];
        // SAFETY: `counts` is 128 writable bytes: two 64-byte stores.
        unsafe {
            _mm512_storeu_si512(counts.as_mut_ptr().cast(), total[0]);
            _mm512_storeu_si512(counts[32..].as_mut_ptr().cast(), total[1]);
        }
        core::array::from_fn(|j| u64::from(counts[j]))
    }
}

/// The sums and counts of `c`, as [`grad_stats::chunk`](super::grad_stats::chunk).
///
/// # Safety
/// The CPU must have the features [`super::avx512::detected`] checks.
///
/// # Panics
/// If `c` is longer than [`MAX_LEN`].
#[target_feature(enable = "avx512f,avx512dq,avx512bw")]
pub(crate) unsafe fn chunk(c: &[f32], threshold: f32) -> ChunkSums {
    assert!(
        c.len() <= MAX_LEN,
        "a GradStats chunk of {} elements",
        c.len()
    );
    // A threshold 2^k with 2^−40 ≤ 2^k ≤ 2^10 (the default 2^−23 is one)
    // is a bin boundary: |g| < 2^k exactly for the bins below k's, so the
    // count comes from the histogram and the loop needs no compare.
    let (bits, e) = (threshold.to_bits(), threshold.to_bits() >> 23);
    if bits & 0x807f_ffff == 0 && BIN0_EXP < e && e < BIN0_EXP + BINS as u32 {
        let mut s = sums::<false>(c, threshold);
        s.below = s.bins[..(e - BIN0_EXP) as usize].iter().sum();
        s
    } else {
        sums::<true>(c, threshold)
    }
}

/// [`chunk`], counting |g| < `threshold` if `COMPARE` (`below` is 0
/// otherwise).
#[target_feature(enable = "avx512f,avx512dq,avx512bw")]
#[inline]
fn sums<const COMPARE: bool>(c: &[f32], threshold: f32) -> ChunkSums {
    let z = _mm512_setzero_si512();
    let mut s = State {
        sq: [_mm512_setzero_pd(); 2],
        ab: [_mm512_setzero_pd(); 2],
        max: z,
        below: z,
        one: core::hint::black_box(_mm512_set1_epi32(1)),
        planes: [z; PLANES],
    };
    let t = _mm512_set1_ps(threshold);
    let body = c.len() - c.len() % STEP;
    for step in c[..body].chunks_exact(STEP) {
        for line in (0..STEP).step_by(16) {
            // A prefetch is a hint: it never faults, whatever the address.
            _mm_prefetch::<_MM_HINT_T0>(step.as_ptr().wrapping_add(AHEAD + line).cast());
        }
        s.add256::<COMPARE>(step, t);
    }
    // The rest, up to 15 vectors, the last one masked: its missing
    // elements are read as zeros, which add nothing to the sums and are
    // taken off the counts again.
    let rest = &c[body..];
    for g in rest.chunks(LANES) {
        let m = (1u32 << g.len()) - 1;
        // SAFETY: the mask covers the `g.len()` readable f32s of `g`;
        // masked-off lanes are not read.
        let v = unsafe { _mm512_maskz_loadu_epi32(m as __mmask16, g.as_ptr().cast()) };
        for x in s.vector::<COMPARE>(v, t) {
            ripple(&mut s.planes, 0, x);
        }
    }
    let pad = (rest.len().next_multiple_of(LANES) - rest.len()) as u64;
    let mut sq = [0.0f64; LANES];
    let mut ab = [0.0f64; LANES];
    // SAFETY: `sq` and `ab` are 16 writable f64s each: two 8-lane stores.
    unsafe {
        _mm512_storeu_pd(sq.as_mut_ptr(), s.sq[0]);
        _mm512_storeu_pd(sq[8..].as_mut_ptr(), s.sq[1]);
        _mm512_storeu_pd(ab.as_mut_ptr(), s.ab[0]);
        _mm512_storeu_pd(ab[8..].as_mut_ptr(), s.ab[1]);
    }
    let max = _mm512_reduce_max_epu32(s.max);
    let count = |v: __m512i| _mm512_reduce_add_epi32(v) as u32 as u64;
    let mut bins = s.bins();
    bins[0] -= pad;
    // Zeros and subnormals are in bin 0: a chunk with none there skips
    // their counts, any other is read again (from the L2 cache).
    let (zero, tiny) = if bins[0] == 0 {
        (0, 0)
    } else {
        zero_and_tiny(c)
    };
    ChunkSums {
        sq: sq.iter().fold(0.0, |a, &x| a + x),
        abs: ab.iter().fold(0.0, |a, &x| a + x),
        max: f32::from_bits(max),
        nonfinite: max >= f32::INFINITY.to_bits(),
        below: count(s.below) - if COMPARE && 0.0 < threshold { pad } else { 0 },
        zero,
        tiny,
        bins,
    }
}

/// Elements of `c` equal to ±0, and of biased exponent 0 (zero or
/// subnormal).
#[target_feature(enable = "avx512f,avx512dq,avx512bw")]
#[inline]
fn zero_and_tiny(c: &[f32]) -> (u64, u64) {
    let (mut zero, mut tiny) = (0u32, 0u32);
    for &x in c {
        let a = x.to_bits() & 0x7fff_ffff;
        zero += u32::from(a == 0);
        tiny += u32::from(a < 0x0080_0000);
    }
    (u64::from(zero), u64::from(tiny))
}
