//! `apply` on 16-bit arrays: float16 `.npy` (`<f2`) and bfloat16 as bits in
//! `<u2`, `<i2` or `V2` files (what `np.save` writes for an
//! `ml_dtypes.bfloat16` array), forward and backward, against the library;
//! the output keeps the input's descr and shape.

use sigmoid_kernels::half::{bf16, f16};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_sigmoid-kernels");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli16-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A `.npy` file of 16-bit elements as NumPy writes it.
fn npy16(descr: &str, shape: &str, bits: &[u16]) -> Vec<u8> {
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(h.len() as u16).to_le_bytes());
    b.extend_from_slice(h.as_bytes());
    b.extend(bits.iter().flat_map(|v| v.to_le_bytes()));
    b
}

/// (header, bits) of a `.npy` of 16-bit elements.
fn read16(p: &Path) -> (String, Vec<u16>) {
    let b = std::fs::read(p).unwrap();
    let hl = usize::from(u16::from_le_bytes([b[8], b[9]]));
    let header = String::from_utf8(b[10..10 + hl].to_vec()).unwrap();
    let data = b[10 + hl..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    (header, data)
}

fn inputs() -> Vec<f32> {
    (0..300).map(|i| -30.0 + 0.2 * i as f32).collect()
}

#[test]
fn apply_float16_matches_the_library() {
    let d = dir("f16");
    let x: Vec<f16> = inputs().iter().map(|&v| f16::from_f32(v)).collect();
    let xp = d.join("x.npy");
    std::fs::write(&xp, npy16("<f2", "(10, 30)", bytemuck::cast_slice(&x))).unwrap();
    let yp = d.join("y.npy");
    let o = run(&[
        "apply",
        "exact",
        "--dtype",
        "f16",
        "--input",
        s(&xp),
        "--output",
        s(&yp),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (header, y) = read16(&yp);
    assert!(
        header.contains("'descr': '<f2'") && header.contains("(10, 30)"),
        "{header}"
    );
    let mut want = vec![f16::ZERO; x.len()];
    sigmoid_kernels::sigmoid_f16(&x, &mut want);
    assert_eq!(y, bytemuck::cast_slice::<f16, u16>(&want));

    let dy: Vec<f16> = (0..x.len())
        .map(|i| f16::from_f32(1.5 - (i % 5) as f32))
        .collect();
    let dyp = d.join("dy.npy");
    std::fs::write(&dyp, npy16("<f2", "(10, 30)", bytemuck::cast_slice(&dy))).unwrap();
    let dxp = d.join("dx.npy");
    let args = [
        "apply",
        "exact",
        "--dtype",
        "f16",
        "--backward",
        "--grad",
        s(&dyp),
    ];
    let o = run(&[&args[..], &["--input", s(&yp), "--output", s(&dxp)]].concat());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut dx = vec![f16::ZERO; x.len()];
    sigmoid_kernels::sigmoid_backward_f16(&want, &dy, &mut dx);
    assert_eq!(read16(&dxp).1, bytemuck::cast_slice::<f16, u16>(&dx));

    let hp = d.join("hard.npy");
    let o = run(&[
        "apply",
        "hard",
        "--dtype",
        "f16",
        "--input",
        s(&xp),
        "--output",
        s(&hp),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    sigmoid_kernels::hard_sigmoid_f16(&x, &mut want);
    assert_eq!(read16(&hp).1, bytemuck::cast_slice::<f16, u16>(&want));
}

#[test]
fn apply_bfloat16_bits_in_every_container() {
    let d = dir("bf16");
    let x: Vec<bf16> = inputs().iter().map(|&v| bf16::from_f32(v)).collect();
    let mut want = vec![bf16::ZERO; x.len()];
    sigmoid_kernels::sigmoid_bf16(&x, &mut want);
    // `<V2` is what np.save writes for ml_dtypes.bfloat16; the output is
    // written as `|V2`, the same dtype.
    for (descr, out_descr) in [
        ("<u2", "<u2"),
        ("<i2", "<i2"),
        ("<V2", "|V2"),
        ("|V2", "|V2"),
    ] {
        let xp = d.join("x.npy");
        std::fs::write(&xp, npy16(descr, "(300,)", bytemuck::cast_slice(&x))).unwrap();
        let yp = d.join("y.npy");
        let o = run(&[
            "apply",
            "exact",
            "--dtype",
            "bf16",
            "--input",
            s(&xp),
            "--output",
            s(&yp),
        ]);
        assert!(
            o.status.success(),
            "{descr}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let (header, y) = read16(&yp);
        assert!(
            header.contains(&format!("'descr': '{out_descr}'")),
            "{header}"
        );
        assert_eq!(y, bytemuck::cast_slice::<bf16, u16>(&want), "{descr}");
    }
}

#[test]
fn apply_refuses_the_wrong_16_bit_dtype() {
    let d = dir("wrong");
    let xp = d.join("x.npy");
    std::fs::write(&xp, npy16("<f2", "(3,)", &[0, 0, 0])).unwrap();
    let yp = d.join("y.npy");
    // float16 data is not bfloat16 bits, and float32 wants `<f4`.
    for (dtype, msg) in [
        (
            "bf16",
            "kernel `exact` needs bfloat16 bits (uint16, int16 or V2) input, got float16",
        ),
        ("f32", "kernel `exact` needs float32 input, got float16"),
    ] {
        let o = run(&[
            "apply",
            "exact",
            "--dtype",
            dtype,
            "--input",
            s(&xp),
            "--output",
            s(&yp),
        ]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(msg), "{dtype}: {err}");
        assert!(!yp.exists(), "nothing written");
    }
}
