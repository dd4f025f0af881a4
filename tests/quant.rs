//! Quantized Sigmoid: the 8-bit tables against the code nearest the oracle
//! (found by search, independently of the rounding formula that builds them)
//! for all 256 inputs over a grid of parameters, every lookup backend against the table,
//! parameter errors, and the integer-only Q15 kernel exhaustively.
mod support;
use sigmoid_kernels::quant::{
    Int8Sigmoid, Q15Sigmoid, QuantError, QuantParams, Side, Uint8Sigmoid, Q15_TABLE_BYTES,
};
use sigmoid_kernels::{reference, Backend};
use support::{check, lengths, Rng};

const SCALES: [f32; 9] = [1e-3, 0.01, 0.0625, 0.1, 0.19, 0.5, 1.0, 3.7, 100.0];

fn outputs(zps: &[i32]) -> Vec<QuantParams> {
    let mut v = vec![QuantParams::new(1.0 / 256.0, zps[0])];
    v.push(QuantParams::new(1.0 / 128.0, zps[1]));
    v.push(QuantParams::new(0.003, zps[2]));
    v.push(QuantParams::new(0.01, zps[3]));
    v
}

/// The output code in `lo..=hi` whose real value is nearest σ of input code
/// `q` (on a tie the larger: σ > 0, so that is round half away from zero),
/// by trying every code: no rounding, no clamp.
fn oracle(q: i32, i: QuantParams, o: QuantParams, lo: i32, hi: i32) -> i32 {
    let s = reference::sigmoid_f64(f64::from(i.scale) * f64::from(q - i.zero_point));
    let dist = |c: i32| (f64::from(o.scale) * f64::from(c - o.zero_point) - s).abs();
    (lo..=hi).fold(lo, |best, c| if dist(c) <= dist(best) { c } else { best })
}

#[test]
fn int8_all_inputs_match_oracle() {
    let mut cases = 0;
    for &s in &SCALES {
        for zp in [-128, -1, 0, 5, 127] {
            let input = QuantParams::new(s, zp);
            for output in outputs(&[-128, 0, -20, 100]) {
                let k = Int8Sigmoid::with_output(input, output).unwrap();
                for q in i8::MIN..=i8::MAX {
                    let want = oracle(q.into(), input, output, -128, 127);
                    assert_eq!(
                        i32::from(k.lookup(q)),
                        want,
                        "int8 {input:?} -> {output:?}: q = {q}"
                    );
                }
                cases += 1;
            }
            assert_eq!(
                Int8Sigmoid::new(input).unwrap().output(),
                Int8Sigmoid::DEFAULT_OUTPUT
            );
        }
    }
    assert_eq!(cases, 9 * 5 * 4);
}

#[test]
fn uint8_all_inputs_match_oracle() {
    for &s in &SCALES {
        for zp in [0, 1, 128, 200, 255] {
            let input = QuantParams::new(s, zp);
            for output in outputs(&[0, 128, 20, 255]) {
                let k = Uint8Sigmoid::with_output(input, output).unwrap();
                for q in u8::MIN..=u8::MAX {
                    let want = oracle(q.into(), input, output, 0, 255);
                    assert_eq!(
                        i32::from(k.lookup(q)),
                        want,
                        "uint8 {input:?} -> {output:?}: q = {q}"
                    );
                }
            }
        }
    }
}

#[test]
fn defaults_are_the_framework_conventions() {
    assert_eq!(
        Int8Sigmoid::DEFAULT_OUTPUT,
        QuantParams::new(1.0 / 256.0, -128)
    );
    assert_eq!(
        Uint8Sigmoid::DEFAULT_OUTPUT,
        QuantParams::new(1.0 / 256.0, 0)
    );
    let k = Int8Sigmoid::new(QuantParams::new(0.1, 0)).unwrap();
    assert_eq!(k.lookup(0), 0);
    // Round half away from zero (not to even): σ(0)/1 = 0.5 exactly → 1.
    let k = Uint8Sigmoid::with_output(QuantParams::new(1.0, 0), QuantParams::new(1.0, 0)).unwrap();
    assert_eq!(k.lookup(0), 1);
}

#[test]
fn invalid_parameters_are_errors() {
    for bad in [0.0, -0.0, -1.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let e = Int8Sigmoid::new(QuantParams::new(bad, 0)).unwrap_err();
        assert!(
            matches!(
                e,
                QuantError::Scale {
                    side: Side::Input,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = Uint8Sigmoid::with_output(QuantParams::new(0.1, 0), QuantParams::new(bad, 0))
            .unwrap_err();
        assert!(
            matches!(
                e,
                QuantError::Scale {
                    side: Side::Output,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("output scale"), "{e}");
    }
    for zp in [-129, 128, i32::MIN, i32::MAX] {
        let e = Int8Sigmoid::new(QuantParams::new(0.1, zp)).unwrap_err();
        assert_eq!(
            e,
            QuantError::ZeroPoint {
                side: Side::Input,
                zero_point: zp,
                min: -128,
                max: 127
            }
        );
    }
    for zp in [-1, 256] {
        let e = Uint8Sigmoid::with_output(QuantParams::new(0.1, 0), QuantParams::new(0.1, zp))
            .unwrap_err();
        assert_eq!(
            e,
            QuantError::ZeroPoint {
                side: Side::Output,
                zero_point: zp,
                min: 0,
                max: 255
            }
        );
        assert!(e.to_string().contains("[0, 255]"), "{e}");
    }
    // A subnormal scale is finite and positive: accepted.
    assert!(Int8Sigmoid::new(QuantParams::new(f32::from_bits(1), 0)).is_ok());
    assert_eq!(
        Q15Sigmoid::new(16),
        Err(QuantError::FracBits { frac_bits: 16 })
    );
}

/// Every backend's lookup equals `lookup` on every length 0–70 and around
/// the vector width, at three alignments, in place, and past the parallel
/// threshold.
#[test]
fn every_backend_applies_the_table() {
    let k = Int8Sigmoid::new(QuantParams::new(0.07, 3)).unwrap();
    let u =
        Uint8Sigmoid::with_output(QuantParams::new(0.02, 130), QuantParams::new(0.005, 7)).unwrap();
    let mut r = Rng(42);
    let n_big = sigmoid_kernels::quant::QUANT_PARALLEL_THRESHOLD + 77;
    let bytes: Vec<u8> = (0..n_big).map(|_| r.next_u32() as u8).collect();
    let xi: Vec<i8> = bytes.iter().map(|&b| b as i8).collect();
    for b in Backend::available() {
        for n in lengths(&[32, 64, 4096]) {
            for off in 0..3 {
                let x = &xi[off..off + n];
                let mut y = vec![0i8; n];
                k.apply_with(b, x, &mut y);
                for i in 0..n {
                    assert_eq!(
                        y[i],
                        k.lookup(x[i]),
                        "{} int8 n={n} off={off} i={i}",
                        b.name()
                    );
                }
                let xu = &bytes[off..off + n];
                let mut yu = vec![0u8; n];
                u.apply_with(b, xu, &mut yu);
                for i in 0..n {
                    assert_eq!(
                        yu[i],
                        u.lookup(xu[i]),
                        "{} uint8 n={n} off={off} i={i}",
                        b.name()
                    );
                }
            }
        }
        let mut y = vec![0i8; n_big];
        k.apply_with(b, &xi, &mut y);
        assert!(
            xi.iter().zip(&y).all(|(&x, &y)| y == k.lookup(x)),
            "{} large",
            b.name()
        );
    }
    for n in [0, 31, 33, 1000, n_big] {
        let mut y = vec![0u8; n];
        u.apply(&bytes[..n], &mut y);
        assert!(
            bytes[..n].iter().zip(&y).all(|(&x, &y)| y == u.lookup(x)),
            "apply n={n}"
        );
        let mut z = bytes[..n].to_vec();
        u.apply_inplace(&mut z);
        assert_eq!(y, z, "apply_inplace n={n}");
        let mut zi = xi[..n].to_vec();
        k.apply_inplace(&mut zi);
        assert!(
            xi[..n].iter().zip(&zi).all(|(&x, &y)| y == k.lookup(x)),
            "int8 in place n={n}"
        );
    }
}

#[test]
#[should_panic(expected = "x.len() = 3, y.len() = 2")]
fn apply_length_mismatch_panics() {
    let k = Int8Sigmoid::new(QuantParams::new(0.1, 0)).unwrap();
    k.apply(&[0; 3], &mut [0; 2]);
}

/// All 65536 inputs for every n in 0..=15: within `MAX_LSB` of the
/// correctly rounded (and clamped) Q0.15 result; `apply`, `lookup` and
/// `apply_inplace` agree.
#[test]
fn q15_exhaustive_within_one_lsb() {
    let xs: Vec<i16> = (i16::MIN..=i16::MAX).collect();
    for n in 0..=15u32 {
        let k = Q15Sigmoid::new(n).unwrap();
        assert_eq!(k.frac_bits(), n);
        let w = check::q15_worst([n]);
        println!("Q{}.{n}: max {} LSB, at {}", 15 - n, w.lsb, w.at);
        assert!(w.lsb <= Q15Sigmoid::MAX_LSB, "{}", w.at);
        let mut ys = vec![0i16; xs.len()];
        k.apply(&xs, &mut ys);
        let mut z = xs.clone();
        k.apply_inplace(&mut z);
        assert_eq!(z, ys);
    }
    assert_eq!(Q15_TABLE_BYTES, 1538);
    const { assert!(Q15_TABLE_BYTES <= 4096) };
}

/// The Q15 kernel's source names no floating-point type, float library or
/// the `f64` oracle (`#![deny(clippy::float_arithmetic)]` there catches
/// float arithmetic, not float types, casts or calls).
#[test]
fn q15_source_is_integer_only() {
    let src = include_str!("../src/quant/q15.rs");
    for word in ["f32", "f64", "libm", "reference::"] {
        assert!(!src.contains(word), "src/quant/q15.rs mentions `{word}`");
    }
}
