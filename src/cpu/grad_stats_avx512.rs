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
//! a `u32` lane of one of two words: bins 0–31 in the first family, 32–63
//! in the second (a variable shift each; the top bin is what the others
//! leave).
//!
//! The one-hot words go into bit-sliced counters, one set per family:
//! plane p holds bit p of each bin's count, per `u32` lane, so adding 16
//! vectors' words (256 elements) is 15 full adders per family
//! (`vpternlogq`, Harley–Seal), two such groups per step of the main loop
//! whose carries of weight 32 are rippled into the higher planes, whatever
//! the data, with no memory traffic. At the end of the chunk the planes
//! become counts (`vpmovm2b` and byte adds per plane). The zero and
//! exponent-0 counts come from a second pass over the chunk, only if its
//! bin 0 is not empty.
//!
//! Whole vectors are read from 64-byte aligned addresses, the first one
//! (which may start before the chunk) and the last ones masked; register
//! lane j then holds chunk lane (j − m) mod 16 for the chunk's offset m
//! in its line, and the `f64` lanes are added in chunk order at the end.
//!
//! Soundness: [`chunk`] is an `unsafe fn` whose contract is that the CPU
//! has the features [`super::avx512::detected`] checks; the dispatch in
//! `cpu/mod.rs` calls it only after checking that. Its loads read only
//! the chunk (whole aligned vectors inside it, masked loads for the
//! vectors it only partly covers).

use super::grad_stats::{ChunkSums, BIN0_EXP, BINS, LANES};
use core::arch::x86_64::*;

/// Vectors per step of the main loop (512 elements).
const STEP: usize = 32;
/// Vectors per group of the carry-save tree (256 elements): the rest of a
/// chunk after its steps goes in at most two groups, the last one masked.
const GROUP: usize = 16;
/// Bit planes of the counters: each `u32` lane takes 1 of every 16
/// elements, so a chunk of at most [`MAX_LEN`] (plus the masked lanes of
/// its first vector and last group, 17 vectors at most) puts at most 1041
/// in one bin of one lane, below 2^11.
const PLANES: usize = 11;
/// The longest chunk (`stats.rs` passes 16K).
pub(crate) const MAX_LEN: usize = 1 << 14;
/// Elements ahead of the current step that the software prefetch asks
/// for: 4 KiB.
const AHEAD: usize = 1024;
/// The biased exponent of the first family's bit 0 (bin 0: it and
/// everything below) and of the second family's bit 0 (bin 32).
const FAMILY_EXP: [i32; 2] = [BIN0_EXP as i32, BIN0_EXP as i32 + 32];

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
    /// The bit planes of the two families of bins (bins 0–31 and 32–63).
    planes: [[__m512i; PLANES]; 2],
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
    /// one-hot bin words of its elements in the two families: bit k of
    /// the first is bin k (biased exponent 86 + k, or below for k = 0), bit
    /// k of the second is bin 32 + k (exponent 118 + k); exponents from
    /// 150 up are in neither (a shift of 32 or more gives 0, as does the
    /// wrapped-around shift of an exponent below 118).
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
        [
            // Saturating at 0 in the low 16 bits (the upper half is 0).
            _mm512_sllv_epi32(one, _mm512_subs_epu16(e, _mm512_set1_epi32(FAMILY_EXP[0]))),
            _mm512_sllv_epi32(one, _mm512_sub_epi32(e, _mm512_set1_epi32(FAMILY_EXP[1]))),
        ]
    }

    /// Adds the one-hot words of [`GROUP`] vectors (`load(i)` the bits of
    /// vector i) into planes 0–3 of each family (Harley–Seal carry-save
    /// adders) and returns each family's carry of weight 16.
    #[target_feature(enable = "avx512f,avx512dq,avx512bw")]
    #[inline]
    fn group<const COMPARE: bool>(
        &mut self,
        load: impl Fn(usize) -> __m512i,
        threshold: __m512,
    ) -> [__m512i; 2] {
        let z = _mm512_setzero_si512();
        let mut eights_in = [[z; 2]; 2];
        for (h, e) in eights_in.iter_mut().enumerate() {
            let mut fours_in = [[z; 2]; 2];
            for (q, f) in fours_in.iter_mut().enumerate() {
                let mut twos_in = [[z; 2]; 2];
                for (r, t) in twos_in.iter_mut().enumerate() {
                    let at = 8 * h + 4 * q + 2 * r;
                    let x = self.vector::<COMPARE>(load(at), threshold);
                    let y = self.vector::<COMPARE>(load(at + 1), threshold);
                    for k in 0..2 {
                        (t[k], self.planes[k][0]) = full_add(self.planes[k][0], x[k], y[k]);
                    }
                }
                for k in 0..2 {
                    let (a, b) = (twos_in[0][k], twos_in[1][k]);
                    (f[k], self.planes[k][1]) = full_add(self.planes[k][1], a, b);
                }
            }
            for k in 0..2 {
                let (a, b) = (fours_in[0][k], fours_in[1][k]);
                (e[k], self.planes[k][2]) = full_add(self.planes[k][2], a, b);
            }
        }
        let mut out = [z; 2];
        for k in 0..2 {
            let (a, b) = (eights_in[0][k], eights_in[1][k]);
            (out[k], self.planes[k][3]) = full_add(self.planes[k][3], a, b);
        }
        out
    }

    /// The counts of each bin: plane by plane, the bits of each pair of
    /// lanes become bytes (0 or −1) that are summed, the two lanes' halves
    /// added, shifted by the plane's weight and added into `u16` counts (at
    /// most [`MAX_LEN`] and a vector). The first family gives bins 0–31,
    /// the second 32–63 (exponents up to 149).
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    fn counts(&self) -> [u16; 64] {
        let mut total = [_mm512_setzero_si512(); 2];
        for (t, planes) in total.iter_mut().zip(&self.planes) {
            for (p, &plane) in (0i32..).zip(planes) {
                let mut words = [0u64; 8];
                // SAFETY: `words` is 64 writable bytes.
                unsafe { _mm512_storeu_si512(words.as_mut_ptr().cast(), plane) };
                let mut n = _mm512_setzero_si512();
                for w in words {
                    n = _mm512_sub_epi8(n, _mm512_movm_epi8(w));
                }
                let pair = _mm512_add_epi16(
                    _mm512_cvtepu8_epi16(_mm512_castsi512_si256(n)),
                    _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64::<1>(n)),
                );
                *t = _mm512_add_epi16(*t, _mm512_sll_epi16(pair, _mm_cvtsi32_si128(p)));
            }
        }
        let mut counts = [0u16; 64];
        // SAFETY: `counts` is 128 writable bytes: two 64-byte stores.
        unsafe {
            _mm512_storeu_si512(counts.as_mut_ptr().cast(), total[0]);
            _mm512_storeu_si512(counts[32..].as_mut_ptr().cast(), total[1]);
        }
        counts
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
        planes: [[z; PLANES]; 2],
    };
    let t = _mm512_set1_ps(threshold);
    // Whole vectors are read from 64-byte aligned addresses (a chunk of an
    // array that starts 16 bytes past a cache line, as the system
    // allocator's and NumPy's large arrays do, would otherwise split every
    // load across two lines). Register lane j then holds the elements of
    // chunk lane (j - m) mod 16, `m` being the chunk's first element's lane
    // in its aligned vector; the lanes are put back in order at the end.
    let m = (c.as_ptr() as usize % 64) / 4;
    let head = ((LANES - m) % LANES).min(c.len());
    if head > 0 {
        let k = ((1u32 << head) - 1) << m;
        // SAFETY: the mask covers lanes m..m + head of the aligned vector
        // that holds c[0], i.e. c[..head]; masked-off lanes are not read.
        let v =
            unsafe { _mm512_maskz_loadu_epi32(k as __mmask16, c.as_ptr().wrapping_sub(m).cast()) };
        let words = s.vector::<COMPARE>(v, t);
        for (planes, x) in s.planes.iter_mut().zip(words) {
            ripple(planes, 0, x);
        }
    }
    let rest = &c[head..];
    let body = rest.len() - rest.len() % (STEP * LANES);
    for step in rest[..body].chunks_exact(STEP * LANES) {
        let p = step.as_ptr();
        // SAFETY: vector i of a step is 16 readable f32s at a 64-byte
        // aligned address.
        let load = |i: usize| unsafe { _mm512_load_si512(p.add(LANES * i).cast()) };
        // Before each group, a prefetch of its lines 4 KiB ahead (16 at a
        // time: more at once would queue behind the line fill buffers) into
        // the L2 cache (`T1`): on Zen 4 a `T0` prefetch (into L1) made the
        // two-thread 16M pass slower than none at all.
        let ahead = |g: usize| {
            for line in (GROUP * LANES * g..GROUP * LANES * (g + 1)).step_by(16) {
                // A prefetch is a hint: it never faults, whatever the address.
                _mm_prefetch::<_MM_HINT_T1>(p.wrapping_add(AHEAD + line).cast());
            }
        };
        ahead(0);
        let x = s.group::<COMPARE>(load, t);
        ahead(1);
        let y = s.group::<COMPARE>(|i| load(GROUP + i), t);
        for (planes, (x, y)) in s.planes.iter_mut().zip(x.into_iter().zip(y)) {
            let carry;
            (carry, planes[4]) = full_add(planes[4], x, y);
            ripple(planes, 5, carry);
        }
    }
    // The rest, up to 31 vectors, in groups whose vectors are loaded
    // masked: elements past the end are read as zeros, which add nothing
    // to the sums and are taken off the counts again (as are the head's
    // missing lanes).
    let rest = &rest[body..];
    for g in rest.chunks(GROUP * LANES) {
        let load = |i: usize| {
            let n = g.len().saturating_sub(LANES * i).min(LANES);
            // SAFETY: the mask covers the `n` readable f32s of `g` from
            // element 16i on; masked-off lanes are not read.
            unsafe {
                _mm512_maskz_loadu_epi32(
                    ((1u32 << n) - 1) as __mmask16,
                    g.as_ptr().wrapping_add(LANES * i).cast(),
                )
            }
        };
        let words = s.group::<COMPARE>(load, t);
        for (planes, x) in s.planes.iter_mut().zip(words) {
            ripple(planes, 4, x);
        }
    }
    let lanes =
        if head > 0 { LANES } else { 0 } + body + rest.len().next_multiple_of(GROUP * LANES);
    let pad = (lanes - c.len()) as u64;
    let mut sq = [0.0f64; LANES];
    let mut ab = [0.0f64; LANES];
    // SAFETY: `sq` and `ab` are 16 writable f64s each: two 8-lane stores.
    unsafe {
        _mm512_storeu_pd(sq.as_mut_ptr(), s.sq[0]);
        _mm512_storeu_pd(sq[8..].as_mut_ptr(), s.sq[1]);
        _mm512_storeu_pd(ab.as_mut_ptr(), s.ab[0]);
        _mm512_storeu_pd(ab[8..].as_mut_ptr(), s.ab[1]);
    }
    // Chunk lane l is register lane (l + m) mod 16: the lanes in order.
    let in_order = |r: &[f64; LANES]| (0..LANES).fold(0.0, |a, l| a + r[(l + m) % LANES]);
    let max = _mm512_reduce_max_epu32(s.max);
    let count = |v: __m512i| _mm512_reduce_add_epi32(v) as u32 as u64;
    // Bins up to 50 are counted; the top one (exponents from 137 up, NaN
    // and ±∞ included) is what remains.
    let counts = s.counts();
    let mut bins = [0u64; BINS];
    for (b, &n) in bins.iter_mut().zip(&counts) {
        *b = u64::from(n);
    }
    bins[BINS - 1] = lanes as u64 - bins[..BINS - 1].iter().sum::<u64>();
    bins[0] -= pad;
    // Zeros and subnormals are in bin 0: a chunk with none there skips
    // their counts, any other is read again (from the L2 cache).
    let (zero, tiny) = if bins[0] == 0 {
        (0, 0)
    } else {
        zero_and_tiny(c)
    };
    ChunkSums {
        sq: in_order(&sq),
        abs: in_order(&ab),
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
