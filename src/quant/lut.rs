//! Applying a 256-entry byte table to a slice: a scalar loop (also the
//! `no_std` path) and the rayon split. The vector lookups (AVX2 `vpshufb`,
//! AVX-512 `vpermi2b`) live with their backends in `cpu/`.

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
/// all rayon threads (about 0.2 ms of single-thread work: below it threads
/// did not pay on the development machine; `cargo bench --bench quant`).
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
    backend.assert_available();
    match backend {
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
        _ => {
            if !backend.lookup_bytes(table, src, dst) {
                apply_scalar(table, src, dst);
            }
        }
    }
}
