//! Applying a 256-entry byte table to a slice: a scalar loop (also the
//! `no_std` path), an AVX2 `vpshufb` kernel and the rayon split.
//!
//! The AVX2 kernel looks up 32 bytes at a time with 16 in-register shuffles.
//! `vpshufb` reads 16-byte tables and returns 0 where the index byte has its
//! top bit set. With the index `v − 16·i` (wrapping) at step i, a lane with
//! input v in block c = v >> 4 (c < 8) hits tables i ≤ c and gets 0 from
//! i > c (the index wrapped to ≥ 0x90). XOR-ing the tables
//! `D_i = T_i ⊕ T_(i−1)` (`D_0 = T_0`) over steps 0..8 therefore leaves
//! exactly `T_c[v & 15]`. Steps 8..16 do the same for the upper half with
//! `D_8 = T_8`, and the top bit of v picks the half.

/// `dst[i] = table[src[i]]` (`src == None`: in place), one byte at a time.
#[inline]
fn apply_scalar(table: &[u8; 256], src: Option<&[u8]>, dst: &mut [u8]) {
    match src {
        Some(src) => {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = table[usize::from(s)];
            }
        }
        None => {
            for d in dst.iter_mut() {
                *d = table[usize::from(*d)];
            }
        }
    }
}

/// Elements from which [`crate::quant::Int8Sigmoid::apply`] and friends use
/// all rayon threads. Threads split the input in 256 KiB chunks, so below
/// that nothing changes; on the shared 2-core development machine
/// (`cargo bench --bench quant -- int8`) the AVX2 kernel alone ran 4.4–4.7
/// Gelem/s at 64K and 1M elements and two threads 4.8–5.1 Gelem/s at 1M, so
/// threads start at 1M elements (about 0.2 ms of work).
#[cfg(feature = "std")]
pub const QUANT_PARALLEL_THRESHOLD: usize = 1 << 20;

/// The best single-thread lookup, then threads from the threshold up.
#[cfg(feature = "std")]
pub(crate) fn apply(table: &[u8; 256], src: Option<&[u8]>, dst: &mut [u8]) {
    let backend = if dst.len() >= QUANT_PARALLEL_THRESHOLD && rayon::current_num_threads() > 1 {
        crate::Backend::Parallel
    } else {
        crate::Backend::best_simd()
    };
    apply_with(backend, table, src, dst);
}

/// Without `std`: the scalar loop.
#[cfg(not(feature = "std"))]
pub(crate) fn apply(table: &[u8; 256], src: Option<&[u8]>, dst: &mut [u8]) {
    apply_scalar(table, src, dst);
}

/// The lookup on `backend` (see `Int8Sigmoid::apply_with`).
#[cfg(feature = "std")]
pub(crate) fn apply_with(
    backend: crate::Backend,
    table: &[u8; 256],
    src: Option<&[u8]>,
    dst: &mut [u8],
) {
    use crate::Backend;
    use rayon::prelude::*;
    assert!(
        backend.is_available(),
        "sigmoid-kernels: backend `{}` is not available on this CPU",
        backend.name()
    );
    match backend {
        Backend::Scalar | Backend::Portable => apply_scalar(table, src, dst),
        // SAFETY: availability of Avx2Fma (AVX2 and FMA detected) was asserted.
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2Fma => unsafe { avx2::apply(table, src, dst) },
        #[cfg(not(target_arch = "x86_64"))]
        Backend::Avx2Fma => unreachable!("checked by is_available"),
        Backend::Parallel => {
            let best = Backend::best_simd();
            let chunk = crate::cpu::PAR_CHUNK * 4; // 256 KiB of bytes, as for f32
            match src {
                Some(src) => src
                    .par_chunks(chunk)
                    .zip(dst.par_chunks_mut(chunk))
                    .for_each(|(s, d)| apply_with(best, table, Some(s), d)),
                None => dst
                    .par_chunks_mut(chunk)
                    .for_each(|d| apply_with(best, table, None, d)),
            }
        }
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod avx2 {
    use core::arch::x86_64::*;

    /// The 16 XOR-differenced tables of the module docs, each in both
    /// 128-bit halves.
    #[target_feature(enable = "avx2")]
    fn tables(table: &[u8; 256]) -> [__m256i; 16] {
        let mut d = [_mm256_setzero_si256(); 16];
        for (i, di) in d.iter_mut().enumerate() {
            let mut block = [0u8; 16];
            for (j, b) in block.iter_mut().enumerate() {
                let cur = table[16 * i + j];
                *b = if i % 8 == 0 {
                    cur
                } else {
                    cur ^ table[16 * (i - 1) + j]
                };
            }
            // SAFETY: `block` is 16 readable bytes; loadu has no alignment need.
            let x = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
            *di = _mm256_broadcastsi128_si256(x);
        }
        d
    }

    /// Lookups of `N` vectors of 32 bytes, step by step across the vectors
    /// so that each table is loaded once per step. Every index is `v − 16·i`
    /// from `v` directly (no serial chain).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn lookup<const N: usize>(d: &[__m256i; 16], v: [__m256i; N]) -> [__m256i; N] {
        let mut lo = [_mm256_setzero_si256(); N];
        let mut hi = [_mm256_setzero_si256(); N];
        for (i, di) in d.iter().enumerate() {
            let off = _mm256_set1_epi8((16 * i) as u8 as i8);
            for k in 0..N {
                let t = _mm256_shuffle_epi8(*di, _mm256_sub_epi8(v[k], off));
                if i < 8 {
                    lo[k] = _mm256_xor_si256(lo[k], t);
                } else {
                    hi[k] = _mm256_xor_si256(hi[k], t);
                }
            }
        }
        let mut r = lo;
        for k in 0..N {
            r[k] = _mm256_blendv_epi8(lo[k], hi[k], v[k]);
        }
        r
    }

    /// `dst[i] = table[src[i]]` (`src == None`: in place) with `vpshufb`;
    /// the tail goes through a 32-byte stack copy.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn apply(table: &[u8; 256], src: Option<&[u8]>, dst: &mut [u8]) {
        let d = tables(table);
        let n = dst.len();
        let body = n - n % 32;
        let mut i = 0;
        // Two vectors per step while 64 bytes remain, then one.
        while i + 64 <= body {
            let s = match src {
                Some(s) => &s[i..i + 64],
                None => &dst[i..i + 64],
            };
            // SAFETY: `s` has 64 readable bytes (bounds-checked slice above).
            let v = unsafe {
                [
                    _mm256_loadu_si256(s.as_ptr().cast()),
                    _mm256_loadu_si256(s[32..].as_ptr().cast()),
                ]
            };
            let [a, b] = lookup(&d, v);
            let o = &mut dst[i..i + 64];
            // SAFETY: `o` has 64 writable bytes.
            unsafe {
                _mm256_storeu_si256(o.as_mut_ptr().cast(), a);
                _mm256_storeu_si256(o[32..].as_mut_ptr().cast(), b);
            }
            i += 64;
        }
        if i < body {
            let s = match src {
                Some(s) => &s[i..i + 32],
                None => &dst[i..i + 32],
            };
            // SAFETY: `s` has 32 readable bytes (bounds-checked slice above).
            let [r] = lookup(&d, [unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }]);
            // SAFETY: `dst[i..i + 32]` has 32 writable bytes.
            unsafe { _mm256_storeu_si256(dst[i..i + 32].as_mut_ptr().cast(), r) };
        }
        if body < n {
            let mut buf = [0u8; 32];
            buf[..n - body].copy_from_slice(match src {
                Some(s) => &s[body..],
                None => &dst[body..],
            });
            // SAFETY: `buf` is 32 bytes, readable and writable.
            unsafe {
                let [r] = lookup(&d, [_mm256_loadu_si256(buf.as_ptr().cast())]);
                _mm256_storeu_si256(buf.as_mut_ptr().cast(), r);
            }
            dst[body..].copy_from_slice(&buf[..n - body]);
        }
    }
}
