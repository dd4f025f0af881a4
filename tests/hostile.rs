//! `apply` against hostile files and paths, through the built binary: every
//! crafted input fails with one clean line and its exit status, no panic,
//! an existing output untouched and no file left behind; planted links,
//! FIFOs and devices at the output are refused; a signal mid-write removes
//! the temporary; NumPy (where Python has it) agrees on which headers are
//! valid and reads what `apply` writes.
//!
//! NumPy is looked for in `$SIGMOID_PYTHON`, else `python3`; without it
//! that test prints why and passes (unless `SIGMOID_PYTHON` is set).
#![cfg(all(feature = "cli", unix))]

mod support;

use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::npy_file as npy;

const BIN: &str = env!("CARGO_BIN_EXE_sigmoid-kernels");

fn apply(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("apply")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A fresh empty directory for one test.
fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{name}"));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// The names in `d`, sorted.
fn listing(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn f32_npy(shape: &str, n: usize) -> Vec<u8> {
    let text = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    npy(1, &text, &vec![0; 4 * n])
}

/// Asserts that `o` failed with status `code` and one clean line
/// containing `msg` (clap's usage errors, status 2, may add usage lines).
fn failed(o: &Output, code: i32, msg: &str, what: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what} panicked: {err}");
    assert!(err.contains(msg), "{what}: expected {msg:?} in {err:?}");
    assert!(!err.contains('\x1b'), "{what}: raw escape on the terminal");
    if code == 1 {
        assert_eq!(err.lines().count(), 1, "{what}: one line expected: {err}");
    }
}

/// Runs `apply exact` (plus `extra`) on `input` with an existing
/// `out.npy`, expecting status `code` with `msg`, the old output and
/// nothing else in the directory changed.
fn refused(d: &Path, input: &Path, extra: &[&str], code: i32, msg: &str) {
    let out = d.join("out.npy");
    fs::write(&out, b"old").unwrap();
    let before = listing(d);
    let mut args = vec!["exact", "--input", s(input), "--output", s(&out)];
    args.extend(extra);
    failed(&apply(&args), code, msg, s(input));
    assert_eq!(
        fs::read(&out).unwrap(),
        b"old",
        "{input:?} changed the output"
    );
    assert_eq!(listing(d), before, "{input:?} left a file behind");
}

#[test]
fn crafted_files_are_refused_cleanly() {
    let d = dir("files");
    let dd = "{'descr': '<f4', 'fortran_order': False, ";
    let cases: &[(&str, Vec<u8>, &str)] = &[
        ("empty", vec![], "not a .npy file (empty)"),
        (
            "text",
            b"x,y\n1,2\n".to_vec(),
            "missing the \\x93NUMPY magic",
        ),
        ("magic5", b"\x93NUMP".to_vec(), "truncated .npy file"),
        (
            "preamble",
            b"\x93NUMPY\x01\x00\x10".to_vec(),
            "truncated .npy file",
        ),
        (
            "v15",
            npy(1, "{}", &[])
                .iter()
                .enumerate()
                .map(|(i, &b)| if i == 7 { 5 } else { b })
                .collect(),
            "version 1.5",
        ),
        ("v0", b"\x93NUMPY\x00\x00\x10\x00".to_vec(), "version 0.0"),
        ("len0", npy(1, "", &[]), "expected a value, found the end"),
        (
            "past-end",
            b"\x93NUMPY\x01\x00\xff\x00{'descr'".to_vec(),
            "truncated .npy header: 8 of its 255 bytes",
        ),
        (
            "huge-len",
            b"\x93NUMPY\x02\x00\xff\xff\xff\xff".to_vec(),
            "over the limit",
        ),
        (
            "no-braces",
            npy(
                1,
                "'descr': '<f4', 'fortran_order': False, 'shape': (6,)",
                &[0; 24],
            ),
            "expected the end after the dict",
        ),
        (
            "before",
            npy(1, &format!("x{dd}'shape': (6,)}}"), &[0; 24]),
            "'x' is not a literal",
        ),
        (
            "after",
            npy(1, &format!("{dd}'shape': (6,)}} x"), &[0; 24]),
            "expected the end",
        ),
        (
            "extra-key",
            npy(1, &format!("{dd}'shape': (6,), 'x': 1}}"), &[0; 24]),
            "unexpected key 'x'",
        ),
        (
            "nul",
            npy(1, &format!("{dd}'shape': (6,)}}\0"), &[0; 24]),
            "found '\\u{0}'",
        ),
        (
            "2,,3",
            npy(1, &format!("{dd}'shape': (2,,3)}}"), &[0; 24]),
            "expected a value",
        ),
        (
            ",6",
            npy(1, &format!("{dd}'shape': (,6)}}"), &[0; 24]),
            "expected a value",
        ),
        (
            "6LLLL",
            npy(1, &format!("{dd}'shape': (6LLLL,)}}"), &[0; 24]),
            "malformed integer '6LLLL'",
        ),
        (
            "2**62",
            npy(
                1,
                &format!("{dd}'shape': (0, 4611686018427387904, 4611686018427387904)}}"),
                &[],
            ),
            "over 2^63 - 1 bytes",
        ),
        (
            "overflow",
            npy(
                1,
                &format!("{dd}'shape': (99999999999999999999999,)}}"),
                &[0; 24],
            ),
            "over 2^63 - 1 bytes",
        ),
        (
            "negative",
            npy(1, &format!("{dd}'shape': (3, -2)}}"), &[0; 24]),
            "negative dimension -2",
        ),
        (
            "22000-dims",
            npy(
                2,
                &format!("{dd}'shape': ({})}}", "1, ".repeat(22_000)),
                &[0; 4],
            ),
            "22000 dimensions, NumPy allows at most 64",
        ),
        (
            "non-ascii",
            npy(
                3,
                "{'descr': 'é', 'fortran_order': False, 'shape': (6,)}",
                &[0; 24],
            ),
            "unsupported dtype 'é'",
        ),
        (
            "ansi",
            npy(
                1,
                "{'descr': '\x1b[31m', 'fortran_order': False, 'shape': (6,)}",
                &[0; 24],
            ),
            "unsupported dtype '\\u{1b}[31m'",
        ),
        (
            "big-endian",
            npy(
                1,
                "{'descr': '>f4', 'fortran_order': False, 'shape': (6,)}",
                &[0; 24],
            ),
            "big-endian",
        ),
        (
            "object",
            npy(
                1,
                "{'descr': '|O', 'fortran_order': False, 'shape': (6,)}",
                &[0; 48],
            ),
            "unsupported dtype '|O'",
        ),
        (
            "unicode",
            npy(
                1,
                "{'descr': '<U2', 'fortran_order': False, 'shape': (3,)}",
                &[0; 24],
            ),
            "unsupported dtype '<U2'",
        ),
        (
            "structured",
            npy(
                1,
                "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}",
                &[0; 24],
            ),
            "structured dtypes",
        ),
        (
            "fortran",
            npy(
                1,
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3)}",
                &[0; 24],
            ),
            "Fortran-order",
        ),
        (
            "short",
            f32_npy("(2, 3)", 5),
            "truncated data: shape (2, 3) of float32 needs 24 bytes, the file has 20",
        ),
        (
            "long",
            f32_npy("(2, 3)", 7),
            "4 unexpected bytes after the data of shape (2, 3)",
        ),
        (
            "deep",
            npy(1, &"(".repeat(5000), &[]),
            "nested over 100 deep",
        ),
        (
            "int8",
            npy(
                1,
                "{'descr': '|i1', 'fortran_order': False, 'shape': (6,)}",
                &[0; 6],
            ),
            "kernel `exact` needs float32 input, got int8",
        ),
    ];
    for (name, bytes, msg) in cases {
        let p = d.join(format!("{name}.in"));
        fs::write(&p, bytes).unwrap();
        refused(&d, &p, &[], 1, msg);
    }
    // The same through --grad, with a good input.
    let x = d.join("x.in");
    fs::write(&x, f32_npy("(6,)", 6)).unwrap();
    refused(
        &d,
        &x,
        &["--backward", "--grad", s(&d.join("non-ascii.in"))],
        1,
        "non-ascii.in: malformed .npy header: unsupported dtype 'é'",
    );
    let x23 = d.join("x23.in");
    fs::write(&x23, f32_npy("(2, 3)", 6)).unwrap();
    refused(
        &d,
        &x,
        &["--backward", "--grad", s(&x23)],
        1,
        "has shape (6,), ",
    );
    refused(&d, &d.join("missing.in"), &[], 1, "cannot read");
}

#[test]
fn numpy_variants_are_read() {
    let d = dir("variants");
    let six: Vec<u8> = (1..=6u8).flat_map(|i| f32::from(i).to_le_bytes()).collect();
    for (text, shape) in [
        (
            "{'descr' : '<f4', 'fortran_order' : False, 'shape' : (6,)}",
            "(6,)",
        ),
        (
            "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}",
            "(2, 3)",
        ),
        (
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (3, 2)}",
            "(3, 2)",
        ),
        (
            "{'descr': '<f4', 'fortran_order': False, 'shape': (6L,)}",
            "(6,)",
        ),
    ] {
        let p = d.join("in.npy");
        fs::write(&p, npy(1, text, &six)).unwrap();
        let out = d.join("out.npy");
        let o = apply(&["exact", "--input", s(&p), "--output", s(&out)]);
        assert!(
            o.status.success(),
            "{text}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let b = fs::read(&out).unwrap();
        let header = String::from_utf8_lossy(&b[10..b.len() - 24]);
        assert!(
            header.contains(&format!("'shape': {shape}")),
            "{text}: {header}"
        );
    }
    // 0-d, empty, and a 100 KB header.
    let padded = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': (6,)}}{}\n",
        " ".repeat(100_000)
    );
    for (bytes, shape) in [
        (f32_npy("()", 1), "()"),
        (f32_npy("(0, 3)", 0), "(0, 3)"),
        (npy(2, &padded, &six), "(6,)"),
    ] {
        let p = d.join("in.npy");
        fs::write(&p, bytes).unwrap();
        let o = apply(&["exact", "--input", s(&p), "--output", s(&p)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            String::from_utf8_lossy(&fs::read(&p).unwrap()).contains(&format!("'shape': {shape}"))
        );
    }
}

#[test]
fn bad_parameters_are_usage_errors() {
    let d = dir("params");
    let x = d.join("x.npy");
    fs::write(&x, f32_npy("(6,)", 6)).unwrap();
    let out = d.join("out.npy");
    let io = ["--input", s(&x), "--output", s(&out)];
    for (args, msg) in [
        (&["q15", "--frac-bits", "-1"][..], "invalid value '-1' for '--frac-bits <FRAC_BITS>': the number of fraction bits cannot be negative"),
        (&["q15", "--frac-bits", "16"], "invalid value '16' for '--frac-bits <FRAC_BITS>': an i16 Q-format has 0 to 15 fractional bits, got 16"),
        (&["int8", "--scale", "-0.5"], "invalid --scale: input scale must be finite and > 0"),
        (&["int8", "--scale", "0.1", "--zero-point", "-129"], "invalid --zero-point: input zero point must be in [-128, 127], got -129"),
        (&["hard-affine", "--alpha", "-inf"], "invalid value '-inf' for '--alpha <ALPHA>': must be finite"),
        (&["exact", "--scale", "0.5"], "unexpected argument '--scale'"),
        (&["fast", "--backward"], "unexpected argument '--backward'"),
        (&["exact", "--backward"], "--grad <dy.npy>"),
        (&["int8"], "--scale <SCALE>"),
        (&["nope"], "unrecognized subcommand 'nope'"),
    ] {
        let mut a = args.to_vec();
        a.extend(io);
        failed(&apply(&a), 2, msg, &format!("{args:?}"));
        assert!(!out.exists());
    }
    // Each kernel's help lists exactly its own flags.
    let help = |k: &str| String::from_utf8(apply(&[k, "--help"]).stdout).unwrap();
    assert!(help("int8").contains("--out-zero-point") && !help("int8").contains("--alpha"));
    assert!(help("hard-affine").contains("--alpha") && !help("hard-affine").contains("--scale"));
    assert!(help("fast").contains("--input") && !help("fast").contains("--backward"));
}

#[test]
fn output_paths_are_guarded() {
    let d = dir("paths");
    let x = d.join("x.npy");
    fs::write(&x, f32_npy("(6,)", 6)).unwrap();
    let run = |out: &Path| apply(&["exact", "--input", s(&x), "--output", s(out)]);

    // The issue's attack: a link at the old predictable temporary name.
    fs::write(d.join("victim"), "SECRET").unwrap();
    let o = Command::new("sh")
        .current_dir(&d)
        .arg("-c")
        .arg(format!(
            "ln -s victim .y.npy.tmp$$; exec '{BIN}' apply exact --input x.npy --output y.npy"
        ))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(fs::read(d.join("victim")).unwrap(), b"SECRET");
    assert!(fs::symlink_metadata(d.join("y.npy")).unwrap().is_file());

    // A link, directory, FIFO or device at the output is refused as is.
    std::os::unix::fs::symlink("victim", d.join("link.npy")).unwrap();
    failed(
        &run(&d.join("link.npy")),
        1,
        "it is a symbolic link",
        "link",
    );
    assert!(fs::symlink_metadata(d.join("link.npy"))
        .unwrap()
        .is_symlink());
    assert_eq!(fs::read(d.join("victim")).unwrap(), b"SECRET");
    fs::create_dir(d.join("sub.npy")).unwrap();
    failed(&run(&d.join("sub.npy")), 1, "it is a directory", "dir");
    let fifo = d.join("fifo.npy");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    failed(&run(&fifo), 1, "it is a FIFO", "fifo");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    failed(
        &run(Path::new("/dev/null")),
        1,
        "it is a device",
        "/dev/null",
    );
    assert!(fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());

    // An existing file keeps its read/write/execute bits; a new one gets
    // the umask's, like any created file.
    let kept = d.join("kept.npy");
    fs::write(&kept, "old").unwrap();
    // Set-user-ID is not carried over to new data.
    fs::set_permissions(&kept, fs::Permissions::from_mode(0o4640)).unwrap();
    assert!(run(&kept).status.success());
    assert_eq!(
        fs::metadata(&kept).unwrap().permissions().mode() & 0o7777,
        0o640
    );
    let probe = d.join("probe");
    fs::write(&probe, "").unwrap();
    let fresh = d.join("fresh.npy");
    assert!(run(&fresh).status.success());
    assert_eq!(
        fs::metadata(&fresh).unwrap().permissions().mode(),
        fs::metadata(&probe).unwrap().permissions().mode()
    );

    // Output names up to the file system's 255 bytes work.
    let long = d.join(format!("{}.npy", "y".repeat(251)));
    let o = run(&long);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    failed(
        &run(&d.join(format!("{}.npy", "y".repeat(252)))),
        1,
        "File name too long",
        "256 bytes",
    );

    // A directory that cannot be written (unless this runs as root, whom
    // permissions do not stop).
    let ro = d.join("ro");
    fs::create_dir(&ro).unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
    if fs::write(ro.join("probe"), "").is_ok() {
        eprintln!("skipping the read-only directory case: permissions do not apply (root)");
    } else {
        failed(
            &run(&ro.join("y.npy")),
            1,
            "is not writable",
            "read-only dir",
        );
        assert!(listing(&ro).is_empty());
    }
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
    assert!(
        listing(&d).iter().all(|n| !n.starts_with(".tmp")),
        "{:?}",
        listing(&d)
    );
}

#[test]
fn a_full_disk_keeps_the_old_output() {
    // A file size limit makes the write fail as a full disk would (EFBIG
    // instead of ENOSPC), with SIGXFSZ ignored so that write returns it.
    let d = dir("full");
    let x = d.join("x.npy");
    fs::write(&x, f32_npy("(100000,)", 100_000)).unwrap();
    let out = d.join("out.npy");
    fs::write(&out, "old").unwrap();
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 64; exec '{BIN}' apply exact --input '{}' --output '{}'",
            s(&x),
            s(&out)
        ))
        .output()
        .unwrap();
    failed(&o, 1, "File too large", "full disk");
    assert_eq!(fs::read(&out).unwrap(), b"old");
    assert_eq!(listing(&d), ["out.npy", "x.npy"]);
}

#[test]
fn a_signal_mid_write_removes_the_temporary() {
    use std::io::Write;
    use std::os::unix::process::ExitStatusExt;
    for sig in ["TERM", "INT"] {
        let d = dir(&format!("signal-{sig}"));
        let fifo = d.join("x.npy");
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let out = d.join("out.npy");
        fs::write(&out, "old").unwrap();
        // The header and part of the data, then the tool waits for more
        // with its temporary open. (Opened for reading too, which on Linux
        // does not wait for the other end.)
        let mut w = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo)
            .unwrap();
        w.write_all(&f32_npy("(4000000,)", 1000)).unwrap();
        let mut child = Command::new(BIN)
            .args(["apply", "exact", "--input", s(&fifo), "--output", s(&out)])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t = std::time::Instant::now();
        while listing(&d).len() < 3 {
            assert!(t.elapsed().as_secs() < 60, "no temporary appeared");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let kill = format!("kill -{sig} {}", child.id());
        assert!(Command::new("sh")
            .args(["-c", &kill])
            .status()
            .unwrap()
            .success());
        let status = child.wait().unwrap();
        let want = if sig == "TERM" { 15 } else { 2 };
        assert_eq!(status.signal(), Some(want), "{status:?}");
        drop(w);
        assert_eq!(listing(&d), ["out.npy", "x.npy"], "SIG{sig} left a file");
        assert_eq!(fs::read(&out).unwrap(), b"old");
    }
}

/// A Python with NumPy: `$SIGMOID_PYTHON`, else `python3`. Where
/// `SIGMOID_PYTHON` is set (as CI does), a Python without NumPy is a
/// failure, not a skip: the comparison must not silently stop running.
fn numpy_python() -> Option<String> {
    let named = std::env::var("SIGMOID_PYTHON").ok();
    let py = named.clone().unwrap_or_else(|| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import numpy"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok || named.is_none(),
        "SIGMOID_PYTHON={py} cannot import numpy"
    );
    ok.then_some(py)
}

/// Reads the files named on the command line with `np.load` and prints one
/// line each: `ok SHAPE DTYPE` or `error`.
const JUDGE: &str = r#"
import sys, numpy as np
for p in sys.argv[1:]:
    try:
        a = np.load(p, allow_pickle=False)
        print("ok", tuple(a.shape), a.dtype)
    except Exception:
        print("error")
"#;

#[test]
fn numpy_is_the_judge_of_headers() {
    let Some(py) = numpy_python() else {
        eprintln!("skipping: no Python with NumPy (set SIGMOID_PYTHON to one)");
        return;
    };
    let d = dir("numpy");
    let dd = "{'descr': '<f4', 'fortran_order': False, ";
    // (format, header, elements of data)
    let cases: Vec<(u8, String, usize)> = [
        (1, format!("{dd}'shape': (2, 3), }}"), 6),
        (
            1,
            "{'descr' : '<f4', 'fortran_order' : False, 'shape' : (6,)}".into(),
            6,
        ),
        (
            3,
            "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}".into(),
            6,
        ),
        (1, format!("  {dd}'shape': (6,)}} # comment"), 6),
        (1, format!("\n{dd}\n 'shape': (6, # six\n)\n}}\r\n"), 6),
        (1, format!("{dd}'shape': (6,), 'shape': (3, 2)}}"), 6),
        (1, format!("{dd}'shape': (6L,)}}"), 6),
        (3, format!("{dd}'shape': (6L,)}}"), 6),
        (1, format!("{dd}'shape': (6l,)}}"), 6),
        (1, format!("{dd}'shape': (6LLLL,)}}"), 6),
        (1, format!("{dd}'shape': (0x6,)}}"), 6),
        (1, format!("{dd}'shape': (0o6, 1_0)}}"), 60),
        (1, format!("{dd}'shape': (06,)}}"), 6),
        (1, format!("{dd}'shape': (00,)}}"), 0),
        (1, format!("{dd}'shape': (+6,)}}"), 6),
        (1, format!("{dd}'shape': (- 6,)}}"), 6),
        (1, format!("{dd}'shape': ((6),)}}"), 6),
        (1, format!("{dd}'shape': (6)}}"), 6),
        (1, format!("{dd}'shape': [6]}}"), 6),
        (1, format!("{dd}'shape': (True, 6)}}"), 6),
        (1, format!("{dd}'shape': (6.0,)}}"), 6),
        (1, format!("{dd}'shape': (2,,3)}}"), 6),
        (1, format!("{dd}'shape': (,6)}}"), 6),
        (1, format!("{dd}'shape': (6,),,}}"), 6),
        (1, format!("{dd}'shape': (6,)}}\0"), 6),
        (1, format!("{dd}'shape': (6,)}}\x0c"), 6),
        (1, format!("{dd}'shape': (6,), 'x': 0}}"), 6),
        (1, format!("x{dd}'shape': (6,)}}"), 6),
        (1, format!("{dd}'shape': (6,)}} x"), 6),
        (
            1,
            "'descr': '<f4', 'fortran_order': False, 'shape': (6,)".into(),
            6,
        ),
        (
            1,
            "{'descr': '<f' '4', 'fortran_order': False, 'shape': (6,)}".into(),
            6,
        ),
        (
            1,
            "{'descr': u'<f4', 'fortran_order': False, 'shape': (6,)}".into(),
            6,
        ),
        (
            1,
            "{'descr': 'f4', 'fortran_order': False, 'shape': (6,)}".into(),
            6,
        ),
        (
            1,
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (6,)}".into(),
            6,
        ),
        (1, "{'descr': '<f4', 'shape': (6,)}".into(), 6),
        (1, "{}".into(), 6),
        (1, format!("{dd}'shape': (0, 2305843009213693951)}}"), 0),
        (1, format!("{dd}'shape': (0, 2305843009213693952)}}"), 0),
        (
            1,
            format!("{dd}'shape': (0, 4611686018427387904, 4611686018427387904)}}"),
            0,
        ),
        (1, format!("{dd}'shape': (0, 2**62)}}"), 0),
        (1, format!("{dd}'shape': (0, -1)}}"), 0),
        (2, format!("{dd}'shape': ({})}}", "1, ".repeat(64)), 1),
        (2, format!("{dd}'shape': ({})}}", "1, ".repeat(65)), 1),
    ]
    .into();
    let mut files = Vec::new();
    let mut ours = Vec::new();
    for (i, (major, text, n)) in cases.iter().enumerate() {
        let (x, y) = (d.join(format!("x{i}.npy")), d.join(format!("y{i}.npy")));
        fs::write(&x, npy(*major, text, &vec![0; 4 * n])).unwrap();
        let o = apply(&["exact", "--input", s(&x), "--output", s(&y)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{text:?}: {err}");
        ours.push(o.status.success());
        files.push(x);
        files.push(y);
    }
    let o = Command::new(&py)
        .args(["-c", JUDGE])
        .args(&files)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let verdicts: Vec<String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    for (i, (_, text, _)) in cases.iter().enumerate() {
        let (theirs, written) = (&verdicts[2 * i], &verdicts[2 * i + 1]);
        assert_eq!(
            ours[i],
            theirs.starts_with("ok"),
            "{text:?}: NumPy says {theirs}"
        );
        if ours[i] {
            // NumPy reads our output as the same shape, as float32.
            assert_eq!(written, theirs, "{text:?}");
        }
    }
    let valid = ours.iter().filter(|&&ok| ok).count();
    eprintln!(
        "NumPy and apply agree on {} headers ({valid} valid)",
        cases.len()
    );
}

#[test]
fn large_inputs_stream_in_chunks() {
    // More than one chunk of int8 elements, checked against the library.
    let d = dir("chunks");
    let n = (1 << 20) + 4097;
    let x: Vec<i8> = (0..n).map(|i| (i % 251) as i8).collect();
    let bytes: Vec<u8> = x.iter().map(|&v| v as u8).collect();
    let p = d.join("x.npy");
    fs::write(
        &p,
        npy(
            1,
            &format!("{{'descr': '|i1', 'fortran_order': False, 'shape': ({n},)}}"),
            &bytes,
        ),
    )
    .unwrap();
    let out = d.join("y.npy");
    let o = apply(&[
        "int8",
        "--scale",
        "0.05",
        "--input",
        s(&p),
        "--output",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let k =
        sigmoid_kernels::quant::Int8Sigmoid::new(sigmoid_kernels::quant::QuantParams::new(0.05, 0))
            .unwrap();
    let mut want = vec![0i8; n];
    k.apply(&x, &mut want);
    let got = fs::read(&out).unwrap();
    assert_eq!(got.len() % 64, n % 64);
    let got: Vec<i8> = got[got.len() - n..].iter().map(|&b| b as i8).collect();
    assert!(got == want, "int8 output differs from the library");
}
