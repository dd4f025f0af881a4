//! Shared checks: every backend of every kernel goes through these, against
//! the oracle in `sigmoid_kernels::reference`, never against another fast path.
#![allow(dead_code)] // each test binary uses a subset

use sigmoid_kernels::reference;

/// The accuracy contract of a float tier.
#[derive(Clone, Copy, Debug)]
pub enum Bound {
    /// Max error in ULPs against the f64 reference, everywhere.
    Ulp(f64),
    /// Max relative error where the reference is ≥ 2^−126; below that the
    /// result may be anything in [0, reference·(1+rel)] (flush allowed).
    Rel(f64),
}

/// Worst case seen by a check.
#[derive(Clone, Copy, Debug, Default)]
pub struct Worst {
    pub err: f64,
    pub x: f32,
    pub got: f32,
    pub want: f64,
}

impl Worst {
    pub fn update(&mut self, err: f64, x: f32, got: f32, want: f64) {
        if err > self.err || err.is_nan() {
            *self = Worst { err, x, got, want };
        }
    }
}

/// Error of `got` against reference value `want` in the unit of `bound`
/// (0 if within a flush-allowed region).
pub fn error(bound: Bound, got: f32, want: f64) -> f64 {
    match bound {
        Bound::Ulp(_) => reference::ulp_error(got, want),
        Bound::Rel(_) => {
            if got.is_nan() || want.is_nan() {
                return if got.is_nan() && want.is_nan() {
                    0.0
                } else {
                    f64::INFINITY
                };
            }
            let d = (f64::from(got) - want).abs();
            if want >= f64::from(f32::MIN_POSITIVE) {
                d / want
            } else if f64::from(got) <= want * 1.0001 && got >= 0.0 {
                0.0
            } else {
                f64::INFINITY
            }
        }
    }
}

pub fn limit(bound: Bound) -> f64 {
    match bound {
        Bound::Ulp(u) => u,
        Bound::Rel(r) => r,
    }
}

/// Checks `ys = f(xs)` element-wise against σ: the bound, NaN → NaN, output
/// range [0, 1]. Returns the worst case. Panics with backend, index, input,
/// got, expected and the difference on the first violation.
pub fn check_sigmoid_values(what: &str, bound: Bound, xs: &[f32], ys: &[f32]) -> Worst {
    assert_eq!(xs.len(), ys.len());
    let mut worst = Worst::default();
    for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
        let want = reference::sigmoid_f64(f64::from(x));
        if x.is_nan() {
            assert!(
                y.is_nan(),
                "{what}: index {i}: σ(NaN {:#x}) = {y}, want NaN",
                x.to_bits()
            );
            continue;
        }
        assert!(
            (0.0..=1.0).contains(&y),
            "{what}: index {i}: σ({x:e}) = {y:e} is outside [0, 1]"
        );
        let e = error(bound, y, want);
        assert!(
            e <= limit(bound),
            "{what}: index {i}: x = {x:e} ({:#010x}): got {y:e} ({:#010x}), want {want:e}: error {e} > {bound:?}",
            x.to_bits(),
            y.to_bits()
        );
        worst.update(e, x, y, want);
    }
    worst
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
        0.693_147_2,
        -0.693_147_2,
    ] {
        for d in -200i32..=200 {
            v.push(f32::from_bits(edge.to_bits().wrapping_add_signed(d)));
        }
    }
    v
}

/// Every `stride`-th bit pattern of the whole f32 space (starting at `start`).
pub fn strided(stride: u32, start: u32) -> Vec<f32> {
    (0..=(u32::MAX - start) / stride)
        .map(|i| f32::from_bits(start + i * stride))
        .collect()
}

/// A deterministic xorshift generator for random-but-repeatable inputs.
pub struct Rng(pub u64);
impl Rng {
    pub fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 32) as u32
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * (self.next_u32() >> 8) as f32 / (1u32 << 24) as f32
    }
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

/// Checks that consecutive f32 values in ascending order give non-decreasing
/// outputs; `xs` must be sorted ascending (no NaN).
pub fn check_monotone(what: &str, xs: &[f32], ys: &[f32]) {
    for i in 1..xs.len() {
        assert!(xs[i - 1] <= xs[i], "{what}: inputs not sorted at {i}");
        assert!(
            ys[i] >= ys[i - 1],
            "{what}: not monotone: σ({:e}) = {:e} > σ({:e}) = {:e}",
            xs[i - 1],
            ys[i - 1],
            xs[i],
            ys[i]
        );
    }
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
