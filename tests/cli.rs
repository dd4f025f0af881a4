//! Drives the built `sigmoid-kernels` binary: each subcommand's happy path,
//! `apply` against the library bit for bit, and every bad input `apply` must
//! refuse with one line on stderr, a non-zero exit and no output file.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_sigmoid-kernels");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh empty directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A `.npy` file as NumPy 2 writes it (format 1.0, header padded to 64).
fn npy(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut h = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(h.len() as u16).to_le_bytes());
    b.extend_from_slice(h.as_bytes());
    b.extend_from_slice(data);
    b
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Reads a little-endian `float32` `.npy` written by the tool: (header, data).
fn read_f32(p: &Path) -> (String, Vec<f32>) {
    let b = std::fs::read(p).unwrap();
    assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
    let hl = usize::from(u16::from_le_bytes([b[8], b[9]]));
    assert_eq!((10 + hl) % 64, 0, "data aligned to 64 bytes");
    let header = String::from_utf8(b[10..10 + hl].to_vec()).unwrap();
    let data = b[10 + hl..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    (header, data)
}

fn inputs() -> Vec<f32> {
    let mut x: Vec<f32> = (0..200).map(|i| -25.0 + 0.25 * i as f32).collect();
    x.extend([
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        f32::MAX,
        -f32::MAX,
        1e-40,
        -100.0,
    ]);
    x
}

fn same_bits(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
            "element {i}: got {g:e}, want {w:e}"
        );
    }
}

#[test]
fn bench_tiny_prints_the_table() {
    let d = dir("bench");
    let json = d.join("bench.json");
    let o = run(&["bench", "--sizes", "1K", "--reps", "1", "--json", s(&json)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for col in [
        "kernel", "tier", "backend", "size", "Melem/s", "GB/s", "% copy",
    ] {
        assert!(out.contains(col), "column {col} missing:\n{out}");
    }
    for row in [
        "reference",
        "naive",
        "sigmoid_fast",
        "sigmoid_backward",
        "copy_from_slice",
    ] {
        assert!(out.contains(row), "row {row} missing:\n{out}");
    }
    assert!(out.contains("1K"));
    let j = std::fs::read_to_string(&json).unwrap();
    assert!(j.trim_start().starts_with('{') && j.trim_end().ends_with('}'));
    assert!(j.contains("\"melem_per_s\"") && j.contains("\"copy_from_slice\""));
}

#[test]
fn bench_is_the_default_and_prints_markdown() {
    let o = run(&[
        "--sizes",
        "4096",
        "--reps",
        "1",
        "--filter",
        "exact",
        "--markdown",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("| kernel | tier | backend |"), "{out}");
    assert!(out.contains("| sigmoid | exact |"), "{out}");
    assert!(!out.contains("sigmoid_fast"), "--filter exact: {out}");
}

#[test]
fn accuracy_sample_passes() {
    let o = run(&["accuracy"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(out.contains("PASS: every documented bound holds"), "{out}");
    assert!(out.contains("special values"), "{out}");
}

#[test]
fn plot_writes_an_svg() {
    let d = dir("plot");
    let svg = d.join("sigmoid.svg");
    let o = run(&["plot", "--backward", "--out", s(&svg)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    for want in ["σ(x)", "sigmoid_fast", "ULP", "backward"] {
        assert!(text.contains(want), "{want} missing from the SVG");
    }
    assert_eq!(
        std::fs::read_dir(&d).unwrap().count(),
        1,
        "no temporary left"
    );
}

#[test]
fn apply_matches_the_library() {
    let d = dir("apply");
    let x = inputs();
    let xp = d.join("x.npy");
    std::fs::write(&xp, npy("<f4", false, "(13, 16)", &f32_bytes(&x))).unwrap();

    let yp = d.join("y.npy");
    let o = run(&[
        "apply",
        "--kernel",
        "exact",
        "--input",
        s(&xp),
        "--output",
        s(&yp),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (header, y) = read_f32(&yp);
    assert!(header.contains("'shape': (13, 16)"), "{header}");
    assert!(header.contains("'descr': '<f4'"), "{header}");
    let mut want = vec![0.0; x.len()];
    sigmoid_kernels::sigmoid(&x, &mut want);
    same_bits(&y, &want);

    let fp = d.join("fast.npy");
    let o = run(&[
        "apply",
        "--kernel",
        "fast",
        "--input",
        s(&xp),
        "--output",
        s(&fp),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    sigmoid_kernels::sigmoid_fast(&x, &mut want);
    same_bits(&read_f32(&fp).1, &want);

    let dy: Vec<f32> = (0..x.len()).map(|i| 1.5 - (i % 5) as f32).collect();
    let dyp = d.join("dy.npy");
    std::fs::write(&dyp, npy("<f4", false, "(13, 16)", &f32_bytes(&dy))).unwrap();
    let dxp = d.join("dx.npy");
    let o = run(&[
        "apply",
        "--kernel",
        "exact",
        "--backward",
        "--grad",
        s(&dyp),
        "--input",
        s(&yp),
        "--output",
        s(&dxp),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    sigmoid_kernels::sigmoid_backward(&y, &dy, &mut want);
    same_bits(&read_f32(&dxp).1, &want);

    // 0-d and empty arrays keep their shapes.
    let p0 = d.join("scalar.npy");
    std::fs::write(&p0, npy("<f4", false, "()", &f32_bytes(&[0.0]))).unwrap();
    let o = run(&[
        "apply",
        "--kernel",
        "exact",
        "--input",
        s(&p0),
        "--output",
        s(&p0),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (header, v) = read_f32(&p0);
    assert!(header.contains("'shape': ()"), "{header}");
    assert_eq!(v, [0.5]);
}

/// Runs `apply` with `args` (paths relative to `d`), expects a failure whose
/// single stderr line contains `msg`, and no `out.npy` nor temporary in `d`.
fn refuses(d: &Path, args: &[&str], msg: &str) {
    let files_before = std::fs::read_dir(d).unwrap().count();
    let mut full = vec!["apply".to_string()];
    for a in args {
        full.push(if a.ends_with(".npy") {
            s(&d.join(a)).to_string()
        } else {
            a.to_string()
        });
    }
    full.extend(["--output".into(), s(&d.join("out.npy")).to_string()]);
    let full: Vec<&str> = full.iter().map(String::as_str).collect();
    let o = run(&full);
    let err = stderr(&o);
    assert!(!o.status.success(), "{args:?} succeeded");
    assert_eq!(
        err.lines().count(),
        1,
        "{args:?}: one line expected:\n{err}"
    );
    assert!(err.contains(msg), "{args:?}: expected {msg:?} in {err:?}");
    assert!(!d.join("out.npy").exists(), "{args:?} left an output file");
    assert_eq!(
        std::fs::read_dir(d).unwrap().count(),
        files_before,
        "{args:?} left a file behind"
    );
}

#[test]
fn apply_reports_each_bad_input() {
    let d = dir("bad");
    let x = f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let put = |name: &str, bytes: Vec<u8>| std::fs::write(d.join(name), bytes).unwrap();
    put("x.npy", npy("<f4", false, "(2, 3)", &x));
    put("dy32.npy", npy("<f4", false, "(3, 2)", &x));
    put("fortran.npy", npy("<f4", true, "(2, 3)", &x));
    put("big.npy", npy(">f4", false, "(2, 3)", &x));
    put("short.npy", npy("<f4", false, "(2, 3)", &x[..20]));
    put("i8.npy", npy("|i1", false, "(6,)", &[1, 2, 3, 4, 5, 6]));
    put("f8.npy", npy("<f8", false, "(6,)", &[0; 48]));
    put("text.npy", b"x,y\n1,2\n".to_vec());

    let k = ["--kernel", "exact"];
    let cases: &[(&[&str], &str)] = &[
        (&["--input", "missing.npy"], "cannot read"),
        (&["--input", "text.npy"], "not a .npy file"),
        (&["--input", "short.npy"], "truncated data"),
        (&["--input", "i8.npy"], "needs float32 input, got int8"),
        (&["--input", "f8.npy"], "unsupported dtype '<f8'"),
        (&["--input", "fortran.npy"], "Fortran-order"),
        (&["--input", "big.npy"], "big-endian"),
        (
            &["--backward", "--grad", "dy32.npy", "--input", "x.npy"],
            "shape mismatch",
        ),
        (
            &["--backward", "--input", "x.npy"],
            "--backward needs --grad",
        ),
        (&["--scale", "0", "--input", "x.npy"], "invalid --scale 0"),
        (
            &["--scale", "NaN", "--input", "x.npy"],
            "invalid --scale NaN",
        ),
        (
            &["--out-scale", "-1", "--input", "x.npy"],
            "invalid --out-scale -1",
        ),
        (
            &["--zero-point", "40000", "--input", "x.npy"],
            "invalid --zero-point 40000",
        ),
        (
            &["--frac-bits", "16", "--input", "x.npy"],
            "invalid --frac-bits 16",
        ),
        (
            &["--scale", "0.5", "--input", "x.npy"],
            "kernel `exact` takes no --scale",
        ),
    ];
    for (args, msg) in cases {
        let mut a = k.to_vec();
        a.extend_from_slice(args);
        refuses(&d, &a, msg);
    }
    refuses(
        &d,
        &["--kernel", "nope", "--input", "x.npy"],
        "unknown kernel `nope`; known kernels: exact, fast",
    );
    refuses(
        &d,
        &[
            "--kernel",
            "fast",
            "--backward",
            "--grad",
            "x.npy",
            "--input",
            "x.npy",
        ],
        "kernel `fast` has no backward",
    );
}

#[test]
fn a_failure_keeps_the_old_output() {
    let d = dir("keep");
    let x = d.join("x.npy");
    std::fs::write(&x, npy("<f4", false, "(1,)", &f32_bytes(&[0.0]))).unwrap();
    let out = d.join("out.npy");
    std::fs::write(&out, b"old").unwrap();
    let o = run(&[
        "apply",
        "--kernel",
        "exact",
        "--input",
        s(&out),
        "--output",
        s(&out),
    ]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
}
