//! `apply bce-with-logits` and `apply bce` against the library bit for bit
//! (per element, reduced, with the gradient, weights and pos_weight), and
//! their refusals: one line on stderr, a non-zero exit, no output file.
#![cfg(feature = "cli")]

use sigmoid_kernels::loss::{self, BceOptions, Reduction};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_sigmoid-kernels");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A fresh empty directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-loss-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes a little-endian float32 `.npy` (format 1.0, header padded to 64).
fn save(p: &Path, shape: &str, v: &[f32]) {
    let data: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    save_raw(p, "<f4", shape, &data);
}

/// Writes a `.npy` of any dtype from its data bytes.
fn save_raw(p: &Path, descr: &str, shape: &str, data: &[u8]) {
    std::fs::write(p, npy_bytes(descr, shape, data)).unwrap();
}

/// A `.npy` file's bytes: its header for `shape` (which `data` need not
/// fill), then `data`.
fn npy_bytes(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
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

/// Reads a float32 `.npy` written by the tool: (the shape text, data).
fn load(p: &Path) -> (String, Vec<f32>) {
    let b = std::fs::read(p).unwrap();
    let hl = usize::from(u16::from_le_bytes([b[8], b[9]]));
    let header = String::from_utf8(b[10..10 + hl].to_vec()).unwrap();
    let shape = header
        .split("'shape': ")
        .nth(1)
        .unwrap()
        .split(", }")
        .next()
        .unwrap();
    let data = b[10 + hl..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    (shape.to_string(), data)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[track_caller]
fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// [4, 3] logits with the saturated and infinite cases, targets,
/// weights and pos_weight: every reduction, with and without the gradient,
/// the same bits as the library.
#[test]
fn bce_with_logits_matches_the_library() {
    let d = dir("logits");
    let x = [
        20.0f32,
        -1.0,
        0.5,
        3.0,
        -40.0,
        f32::INFINITY,
        0.0,
        7.5,
        -0.25,
        90.0,
        -3.0,
        1e30,
    ];
    let t = [
        1.0f32, 0.0, 1.0, 0.3, 1.0, 1.0, 0.5, 0.0, 1.0, 1.0, 0.2, 0.0,
    ];
    let w = [
        1.0f32, 2.0, 0.5, 0.0, 1.0, 3.0, 1.0, 1.5, 2.5, 1.0, 1.0, 0.25,
    ];
    let pw = [1.0f32, 2.0, 0.5];
    let (xp, tp, wp, pwp) = (
        d.join("x.npy"),
        d.join("t.npy"),
        d.join("w.npy"),
        d.join("pw.npy"),
    );
    save(&xp, "(4, 3)", &x);
    save(&tp, "(4, 3)", &t);
    save(&wp, "(4, 3)", &w);
    save(&pwp, "(3,)", &pw);
    let (lp, gp) = (d.join("l.npy"), d.join("g.npy"));
    let opts = BceOptions {
        weight: Some(&w),
        pos_weight: Some(&pw),
        label_smoothing: 0.1,
    };
    let common = [
        "apply",
        "bce-with-logits",
        "--input",
        s(&xp),
        "--targets",
        s(&tp),
        "--weight",
        s(&wp),
        "--pos-weight",
        s(&pwp),
        "--label-smoothing",
        "0.1",
        "--output",
        s(&lp),
        "--grad-output",
        s(&gp),
    ];
    let mut a = common.to_vec();
    a.extend(["--reduction", "none"]);
    ok(&run(&a));
    let (mut l, mut g) = ([0.0f32; 12], [0.0f32; 12]);
    loss::bce_with_logits_elementwise_grad(&x, &t, &opts, &mut l, &mut g).unwrap();
    assert_eq!(load(&lp), ("(4, 3)".into(), l.to_vec()));
    assert_eq!(bits(&load(&gp).1), bits(&g));
    for (flag, r) in [
        ("mean", Reduction::Mean),
        ("sum", Reduction::Sum),
        ("mean-last-axis", Reduction::MeanLastAxis(3)),
    ] {
        let mut a = common.to_vec();
        a.extend(["--reduction", flag]);
        ok(&run(&a));
        let mut g = [0.0f32; 12];
        let want = loss::bce_with_logits_grad(&x, &t, &opts, r, &mut g).unwrap();
        let (shape, got) = load(&lp);
        assert_eq!(
            (shape.as_str(), bits(&got)),
            ("()", bits(&[want])),
            "{flag}"
        );
        assert_eq!(bits(&load(&gp).1), bits(&g), "{flag}");
    }
    // Without the gradient and the options: the default reduction is mean.
    let (l2, g2) = (d.join("l2.npy"), d.join("g2.npy"));
    ok(&run(&[
        "apply",
        "bce-with-logits",
        "--input",
        s(&xp),
        "--targets",
        s(&tp),
        "--output",
        s(&l2),
    ]));
    let want = loss::bce_with_logits(&x, &t, &BceOptions::default(), Reduction::Mean).unwrap();
    assert_eq!(bits(&load(&l2).1), bits(&[want]));
    assert!(!g2.exists());
}

#[test]
fn bce_on_probabilities_matches_the_library() {
    let d = dir("prob");
    let p = [0.5f32, 0.0, 1.0, 0.25, 0.9, 1e-8];
    let t = [1.0f32, 1.0, 1.0, 0.0, 0.5, 1.0];
    let (pp, tp, lp, gp) = (
        d.join("p.npy"),
        d.join("t.npy"),
        d.join("l.npy"),
        d.join("g.npy"),
    );
    save(&pp, "(2, 3)", &p);
    save(&tp, "(2, 3)", &t);
    let o = BceOptions::default();
    ok(&run(&[
        "apply",
        "bce",
        "--input",
        s(&pp),
        "--targets",
        s(&tp),
        "--reduction",
        "none",
        "--output",
        s(&lp),
        "--grad-output",
        s(&gp),
    ]));
    let (mut l, mut g) = ([0.0f32; 6], [0.0f32; 6]);
    loss::bce_elementwise_grad(&p, &t, &o, &mut l, &mut g).unwrap();
    assert_eq!(bits(&load(&lp).1), bits(&l));
    assert_eq!(bits(&load(&gp).1), bits(&g));
    ok(&run(&[
        "apply",
        "bce",
        "--input",
        s(&pp),
        "--targets",
        s(&tp),
        "--reduction",
        "sum",
        "--output",
        s(&lp),
    ]));
    assert_eq!(
        bits(&load(&lp).1),
        bits(&[loss::bce(&p, &t, &o, Reduction::Sum).unwrap()])
    );
}

/// Each bad input: a non-zero exit, one line on stderr naming the problem,
/// and neither output file.
#[test]
fn loss_refusals() {
    let d = dir("refuse");
    let (xp, tp) = (d.join("x.npy"), d.join("t.npy"));
    save(&xp, "(2, 3)", &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    save(&tp, "(2, 3)", &[1.0; 6]);
    save(&d.join("t23.npy"), "(3, 2)", &[1.0; 6]);
    save(&d.join("pw2.npy"), "(2,)", &[1.0, 2.0]);
    save(&d.join("pw3.npy"), "(3,)", &[1.0, -2.0, 1.0]);
    save(
        &d.join("w.npy"),
        "(2, 3)",
        &[1.0, 1.0, f32::NAN, 1.0, 1.0, 1.0],
    );
    save_raw(&d.join("i8.npy"), "|i1", "(2, 3)", &[1, 2, 3, 4, 5, 6]);
    let (out, grad) = (d.join("out.npy"), d.join("dx.npy"));
    let cases: [(&str, &[&str], &str); 7] = [
        (
            "bce-with-logits",
            &["--targets", "t23.npy"],
            "shape mismatch",
        ),
        (
            "bce-with-logits",
            &["--targets", "t.npy", "--pos-weight", "pw2.npy"],
            "must be (3,)",
        ),
        (
            "bce-with-logits",
            &["--targets", "t.npy", "--pos-weight", "pw3.npy"],
            "pos_weight[1] = -2",
        ),
        (
            "bce-with-logits",
            &["--targets", "t.npy", "--weight", "w.npy"],
            "weight[2] = NaN",
        ),
        (
            "bce-with-logits",
            &["--targets", "t.npy", "--label-smoothing", "1"],
            "--label-smoothing",
        ),
        (
            "bce-with-logits",
            &["--targets", "i8.npy"],
            "must be float32",
        ),
        (
            "bce",
            &["--targets", "t.npy"],
            "p[2] = 2 is not a probability",
        ),
    ];
    for (kernel, extra, msg) in cases {
        let mut a: Vec<String> = vec![
            "apply".into(),
            kernel.into(),
            "--input".into(),
            s(&xp).into(),
        ];
        for e in extra {
            a.push(if e.ends_with(".npy") {
                s(&d.join(e)).to_string()
            } else {
                e.to_string()
            });
        }
        a.extend([
            "--output".into(),
            s(&out).into(),
            "--grad-output".into(),
            s(&grad).into(),
        ]);
        let o = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{a:?} succeeded");
        assert!(err.contains(msg), "{a:?}: stderr {err:?} lacks {msg:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!out.exists() && !grad.exists(), "{a:?} wrote an output");
    }
}

/// `--output` and `--grad-output` naming one file (also through `./`):
/// refused before anything is written, since the gradient would replace
/// the loss; an existing file there is left as it was.
#[test]
fn one_file_for_loss_and_gradient_is_refused() {
    let d = dir("same-out");
    let (xp, tp) = (d.join("x.npy"), d.join("t.npy"));
    save(&xp, "(2,)", &[0.5, -1.0]);
    save(&tp, "(2,)", &[1.0, 0.0]);
    let same = d.join("same.npy");
    std::fs::write(&same, b"old").unwrap();
    let dotted = d.join(".").join("same.npy");
    for (out, grad) in [(&same, &same), (&same, &dotted)] {
        let o = run(&[
            "apply",
            "bce-with-logits",
            "--input",
            s(&xp),
            "--targets",
            s(&tp),
            "--output",
            s(out),
            "--grad-output",
            s(grad),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("are the same file"), "{err}");
        assert_eq!(std::fs::read(&same).unwrap(), b"old");
    }
}

/// A header read from a pipe (whose length is not known up front) that
/// claims far more data than follows: a one-line "truncated" error, not an
/// allocation of what the header claims (4 TiB here).
#[test]
fn a_forged_shape_through_a_pipe_is_truncated_data() {
    use std::io::Write;
    use std::process::Stdio;
    let d = dir("forged-pipe");
    let tp = d.join("t.npy");
    save(&tp, "(2,)", &[1.0, 0.0]);
    let b = npy_bytes("<f4", "(1099511627776,)", &[0u8; 16]);
    let out = d.join("l.npy");
    let mut child = Command::new(BIN)
        .args([
            "apply",
            "bce-with-logits",
            "--input",
            "/dev/stdin",
            "--targets",
            s(&tp),
            "--output",
            s(&out),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&b).unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("truncated"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!out.exists());
}
