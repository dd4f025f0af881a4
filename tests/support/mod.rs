//! Shared test inputs, and the checker every backend of every kernel goes
//! through (`sigmoid_kernels::check`, against the oracle in
//! `sigmoid_kernels::reference`, never against another fast path).
#![allow(dead_code)] // each test binary uses a subset

pub use sigmoid_kernels::check::{self, Bound, Rng, Worst};

#[cfg(feature = "gpu")]
pub mod gpu;

/// Checks `ys = f(xs)` element-wise against σ (a monotone kernel): the bound,
/// NaN → NaN, output range [0, 1], and monotonicity between neighbouring
/// inputs. Returns the worst case; panics with what, index, input, got,
/// expected and the error on a violation.
#[track_caller]
pub fn check_sigmoid_values(what: &str, bound: Bound, xs: &[f32], ys: &[f32]) -> Worst {
    let s = check::forward(bound, xs, ys);
    s.assert_holds(what, bound, true);
    s.err
}

/// Hostile inputs: special values, subnormals, ±FLT_MAX, the saturation and
/// underflow edges ±200 ULPs, NaNs with payloads.
pub fn special_inputs() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7f80_0001), // signalling NaN
        f32::from_bits(0xffc0_1234), // negative quiet NaN with payload
        f32::from_bits(0x7fff_ffff),
        f32::MAX,
        -f32::MAX,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::from_bits(1),
        f32::from_bits(0x8000_0001),
        f32::from_bits(0x007f_ffff),
        f32::from_bits(0x807f_ffff),
        f32::EPSILON,
        -f32::EPSILON,
        1.0,
        -1.0,
    ];
    for &edge in &[
        16.6f32,
        17.328_68,
        -87.336_54,
        -88.722_84,
        -103.972_08,
        -104.0,
        8.0,
        -8.0,
        0.346_573_6,
        -0.346_573_6,
        core::f32::consts::LN_2,
        -core::f32::consts::LN_2,
    ] {
        for d in -200i32..=200 {
            v.push(f32::from_bits(edge.to_bits().wrapping_add_signed(d)));
        }
    }
    v
}

/// `n` inputs uniform in [lo, hi) from the crate's RNG with `seed`.
pub fn random(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed);
    (0..n).map(|_| rng.uniform(lo, hi)).collect()
}

/// Every `stride`-th bit pattern of the whole f32 space (starting at `start`).
pub fn strided(stride: u32, start: u32) -> Vec<f32> {
    (0..=(u32::MAX - start) / stride)
        .map(|i| f32::from_bits(start + i * stride))
        .collect()
}

/// Lengths worth testing for a kernel with vector width ≤ 16 and, when
/// `around` is given, lengths near that size (a parallel threshold or chunk).
pub fn lengths(around: &[usize]) -> Vec<usize> {
    let mut v: Vec<usize> = (0..=70).collect();
    for &w in &[8usize, 16, 32, 64, 128] {
        v.extend([w - 1, w, w + 1, 3 * w - 1, 3 * w + 1]);
    }
    for &a in around {
        v.extend([a.saturating_sub(1), a, a + 1, 2 * a + 7]);
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// All finite f32 in ascending order between `lo` and `hi` (inclusive).
pub fn ascending(lo: f32, hi: f32) -> Vec<f32> {
    let key = |x: f32| -> i64 {
        let b = x.to_bits() as i32;
        if b < 0 {
            -i64::from(b & 0x7fff_ffff)
        } else {
            i64::from(b)
        }
    };
    let from_key = |k: i64| -> f32 {
        if k < 0 {
            f32::from_bits((-k) as u32 | 0x8000_0000)
        } else {
            f32::from_bits(k as u32)
        }
    };
    (key(lo)..=key(hi)).map(from_key).collect()
}

/// A `.npy` file with the header text `text` as is (format `major`.0).
pub fn npy_file(major: u8, text: &str, data: &[u8]) -> Vec<u8> {
    let text: Vec<u8> = if major == 3 {
        text.into()
    } else {
        // Latin-1, as NumPy encodes these versions.
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect()
    };
    let mut b = b"\x93NUMPY".to_vec();
    b.extend([major, 0]);
    if major == 1 {
        b.extend((text.len() as u16).to_le_bytes());
    } else {
        b.extend((text.len() as u32).to_le_bytes());
    }
    b.extend(text);
    b.extend(data);
    b
}

/// The hard inputs of the correctly rounded tier
/// (`tests/data/sigmoid_cr_hard.txt`, mpmath at 200 bits): (x, correctly
/// rounded σ(x), distance from the midpoint in ULP).
pub fn cr_hard_inputs() -> Vec<(f32, f32, f64)> {
    let text = include_str!("../data/sigmoid_cr_hard.txt");
    let v: Vec<(f32, f32, f64)> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let mut f = l.split_whitespace();
            let mut hex = || u32::from_str_radix(f.next().expect("field"), 16).expect("hex");
            let (x, y) = (f32::from_bits(hex()), f32::from_bits(hex()));
            let d = f.next().expect("distance").parse().expect("float");
            (x, y, d)
        })
        .collect();
    assert!(v.len() > 1000, "{} hard inputs", v.len());
    v
}

/// Inputs around the places where SiLU changes regime: σ's subnormal
/// edge, SiLU's own (≈ −108.7), the clamps (±110, ±200 for the gradient),
/// the root of the gradient, the binade edges near 0 and the point where
/// x·σ(x) rounds to x; ±300 ULP around each, and the special inputs.
pub fn silu_edges() -> Vec<f32> {
    let mut v = special_inputs();
    for &edge in &[
        -1.278_464_5f32,
        -87.33,
        -103.97,
        -108.7,
        -110.0,
        110.0,
        -200.0,
        200.0,
        16.0,
        17.33,
        41.6,
        1.0,
        -1.0,
        0.5,
        -0.5,
        2.0,
        -2.0,
    ] {
        for d in -300i32..=300 {
            v.push(f32::from_bits(edge.to_bits().wrapping_add_signed(d)));
        }
    }
    v
}
