//! Deterministic inputs shared by the criterion benches.
#![allow(dead_code)] // each bench uses a subset

/// `n` deterministic xorshift words.
pub fn words(n: usize) -> Vec<u32> {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 32) as u32
        })
        .collect()
}

/// `n` deterministic `f32` uniform in [−10, 10].
pub fn inputs(n: usize) -> Vec<f32> {
    words(n)
        .into_iter()
        .map(|w| ((w >> 8) as f32 / (1u32 << 24) as f32) * 20.0 - 10.0)
        .collect()
}
