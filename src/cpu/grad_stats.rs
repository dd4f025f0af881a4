//! The chunk kernel of [`crate::stats::GradStats`]: one pass over a chunk
//! giving the sums, the counts and the histogram bins ([`bin`]), written
//! once in plain Rust over groups of [`LANES`] elements, which the compiler
//! vectorizes. The AVX2 backend compiles it with its own instruction set
//! (its `grad_stats` entry point, which also passes a software prefetch);
//! the scalar and portable backends run the baseline build; the AVX-512
//! backend has its own kernel (`grad_stats_avx512.rs`) that gives the same
//! [`ChunkSums`].
//!
//! Every backend gives the same bits: element i of the chunk is added into
//! `f64` lane i mod [`LANES`] (|g|² is exact in `f64`, so a fused and an
//! unfused square-and-add agree, and Rust never contracts them anyway), the
//! lanes are added in order at the end, and everything else is integer
//! counts.
//!
//! The exponent histogram costs more than the arithmetic: per block of
//! [`BLOCK`] elements the vector pass stores each element's biased exponent
//! as a byte, then a scalar pass counts the bytes into [`TABLES`] tables in
//! turn, so that runs of equal exponents (the common case) do not wait on
//! each other's stores; the tables are padded so that the same entry of two
//! tables never shares its address modulo 4 KiB (no false store-to-load
//! dependence). The 256 exponent counts are folded into the bins at the end.
//!
//! Not here: NaN and ±∞ (whose chunk `stats.rs` sums again without them),
//! the buckets, threads and the chunk order (`stats.rs`).

use crate::stats::{HIST_MAX_EXP, HIST_MIN_EXP};

/// `f64` accumulator lanes: element i of a chunk goes to lane i mod 16.
pub(crate) const LANES: usize = 16;
/// Elements per block: the block's exponent bytes stay in the L1 cache
/// between the two passes. A multiple of [`LANES`].
const BLOCK: usize = 256;
/// Histogram tables counted in turn.
const TABLES: usize = 8;
/// Entries per table: 256 exponents and 16 of padding (64 bytes).
const TABLE: usize = 256 + 16;
/// Elements ahead of the current block that the prefetch hook asks for:
/// 4 KiB, four blocks.
const AHEAD: usize = 1024;

/// The biased exponent of 2^[`HIST_MIN_EXP`] less one: exponents up to it
/// (zero, subnormals, normals below 2^−40) share bin 0.
pub(crate) const BIN0_EXP: u32 = (HIST_MIN_EXP + 127 - 1) as u32;
/// Histogram bins: 0 (biased exponent ≤ [`BIN0_EXP`]), one per binade
/// 2^−40 … 2^9, and the last (≥ 2^[`HIST_MAX_EXP`], NaN and ±∞ included).
pub(crate) const BINS: usize = (HIST_MAX_EXP - HIST_MIN_EXP + 2) as usize;

/// The bin of biased exponent `e`: `min(e - BIN0_EXP, BINS - 1)`, 0 below.
#[must_use]
pub(crate) fn bin(e: u32) -> usize {
    (e.saturating_sub(BIN0_EXP) as usize).min(BINS - 1)
}

/// One chunk's sums and counts, NaN and ±∞ included in all of them.
pub(crate) struct ChunkSums {
    /// Σ g², in `f64` lanes added in order.
    pub(crate) sq: f64,
    /// Σ |g|, likewise.
    pub(crate) abs: f64,
    /// max |g| (meaningful only without NaN and ±∞).
    pub(crate) max: f32,
    /// Whether the chunk holds NaN or ±∞.
    pub(crate) nonfinite: bool,
    /// Elements with |g| < threshold.
    pub(crate) below: u64,
    /// Elements equal to ±0.
    pub(crate) zero: u64,
    /// Elements of biased exponent 0: zero and subnormal.
    pub(crate) tiny: u64,
    /// Elements in each [`bin`] of their biased exponent.
    pub(crate) bins: [u64; BINS],
}

/// The per-lane accumulators of one chunk.
struct Acc {
    sq: [f64; LANES],
    ab: [f64; LANES],
    mx: [f32; LANES],
    below: [u32; LANES],
    zero: [u32; LANES],
}

impl Acc {
    /// One group of [`LANES`] elements: lane-wise loops the compiler turns
    /// into vectors; the biased exponents go to `codes`.
    #[inline(always)]
    fn group(&mut self, g: &[f32; LANES], codes: &mut [u8; LANES], threshold: f32) {
        for i in 0..LANES {
            let a = g[i].abs();
            let d = f64::from(a);
            self.sq[i] += d * d;
            self.ab[i] += d;
            self.mx[i] = if a > self.mx[i] { a } else { self.mx[i] };
            self.below[i] += u32::from(a < threshold);
            self.zero[i] += u32::from(a == 0.0);
            codes[i] = (a.to_bits() >> 23) as u8;
        }
    }
}

/// The sums and counts of `c` (at most 2^32 / [`LANES`] elements, so the
/// `u32` lane counts cannot overflow; `stats.rs` passes 16K). `prefetch`
/// is called with addresses a few blocks ahead, in or past `c` (a hint
/// that must not fault; a no-op where the backend has none).
#[inline(always)]
pub(crate) fn chunk(c: &[f32], threshold: f32, prefetch: impl Fn(*const f32)) -> ChunkSums {
    debug_assert!(BLOCK.is_multiple_of(LANES) && LANES.is_multiple_of(TABLES));
    let mut acc = Acc {
        sq: [0.0; LANES],
        ab: [0.0; LANES],
        mx: [0.0; LANES],
        below: [0; LANES],
        zero: [0; LANES],
    };
    let mut hist = [[0u32; TABLE]; TABLES];
    let mut codes = [0u8; BLOCK];
    let body = c.len() - c.len() % LANES;
    for (start, b) in (0..body).step_by(BLOCK).zip(c[..body].chunks(BLOCK)) {
        for line in (0..BLOCK).step_by(16) {
            prefetch(c.as_ptr().wrapping_add(start + AHEAD + line));
        }
        for (g, cs) in b.chunks_exact(LANES).zip(codes.chunks_exact_mut(LANES)) {
            let g = g.try_into().expect("a group of LANES");
            let cs = cs.try_into().expect("a group of LANES");
            acc.group(g, cs, threshold);
        }
        for cs in codes[..b.len()].chunks_exact(TABLES) {
            for (h, &e) in hist.iter_mut().zip(cs) {
                h[usize::from(e)] += 1;
            }
        }
    }
    // The tail, padded with zeros, which add nothing to the sums and are
    // taken off the counts again.
    let tail = &c[body..];
    let pad = ((LANES - tail.len()) % LANES) as u64;
    if !tail.is_empty() {
        let mut g = [0.0f32; LANES];
        g[..tail.len()].copy_from_slice(tail);
        let mut cs = [0u8; LANES];
        acc.group(&g, &mut cs, threshold);
        for e in cs {
            hist[0][usize::from(e)] += 1;
        }
    }
    let exp: [u64; 256] = core::array::from_fn(|j| hist.iter().map(|h| u64::from(h[j])).sum());
    let mut s = ChunkSums {
        sq: 0.0,
        abs: 0.0,
        max: 0.0,
        nonfinite: exp[255] > 0,
        below: 0,
        zero: 0,
        tiny: exp[0] - pad,
        bins: [0; BINS],
    };
    for i in 0..LANES {
        s.sq += acc.sq[i];
        s.abs += acc.ab[i];
        s.max = s.max.max(acc.mx[i]);
        s.below += u64::from(acc.below[i]);
        s.zero += u64::from(acc.zero[i]);
    }
    for (e, &n) in (0u32..).zip(&exp) {
        s.bins[bin(e)] += n;
    }
    s.bins[0] -= pad;
    s.zero -= pad;
    if 0.0 < threshold {
        s.below -= pad;
    }
    s
}
