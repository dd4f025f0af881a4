//! Drives the built `sigmoid-kernels` binary: each subcommand's happy path,
//! `apply` against the library bit for bit, and every bad input `apply` must
//! refuse with one line on stderr (clap's usage errors add usage lines), a
//! non-zero exit and no output file; `tests/hostile.rs` has the crafted files.
//!
//! The GPU cases skip (printing why) when this process finds no adapter,
//! unless `SIGMOID_REQUIRE_GPU=1`, where they must run.
#![cfg(feature = "cli")]

#[cfg(feature = "gpu")]
use sigmoid_kernels::gpu::GpuContext;
use sigmoid_kernels::quant::{Int8Sigmoid, Q15Sigmoid, QuantParams, Uint8Sigmoid};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_sigmoid-kernels");

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs")
}

fn require_gpu() -> bool {
    std::env::var("SIGMOID_REQUIRE_GPU").as_deref() == Ok("1")
}

#[cfg(feature = "gpu")]
/// A GPU context for checking the tool's results, or `None` after printing
/// why the GPU part of a test is skipped.
fn gpu_or_skip() -> Option<GpuContext> {
    match GpuContext::new() {
        Ok(ctx) => Some(ctx),
        Err(e) if require_gpu() => panic!("SIGMOID_REQUIRE_GPU=1 but no GPU context: {e}"),
        Err(e) => {
            eprintln!("skipping the GPU part: {e} (set SIGMOID_REQUIRE_GPU=1 to fail instead)");
            None
        }
    }
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

/// Reads a `.npy` written by the tool: (header, data bytes).
fn read_npy(p: &Path) -> (String, Vec<u8>) {
    let b = std::fs::read(p).unwrap();
    assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
    let hl = usize::from(u16::from_le_bytes([b[8], b[9]]));
    assert_eq!((10 + hl) % 64, 0, "data aligned to 64 bytes");
    let header = String::from_utf8(b[10..10 + hl].to_vec()).unwrap();
    (header, b[10 + hl..].to_vec())
}

/// Reads a little-endian `float32` `.npy` written by the tool: (header, data).
fn read_f32(p: &Path) -> (String, Vec<f32>) {
    let (header, b) = read_npy(p);
    let data = b
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
    let o = run(&[
        "bench",
        "--sizes",
        "1K",
        "--reps",
        "1",
        "--all",
        "--json",
        s(&json),
    ]);
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
        "hard_sigmoid ",
        "hard_sigmoid_affine",
        "plan_sigmoid",
        "int8_sigmoid",
        "uint8_sigmoid",
        "q15_sigmoid",
        "copy_from_slice",
    ] {
        assert!(out.contains(row), "row {row} missing:\n{out}");
    }
    assert!(out.contains("1K"));
    // Abs errors of the hard forms, within their documented bounds.
    let err_of = |kernel: &str| -> f64 {
        let line = out
            .lines()
            .find(|l| l.starts_with(kernel))
            .unwrap_or_else(|| panic!("{kernel} row:\n{out}"));
        let cell = line.trim_end().strip_suffix(" abs").expect("abs error");
        cell.rsplit(' ').next().unwrap().parse().unwrap()
    };
    use sigmoid_kernels::{
        HARD_SIGMOID_AFFINE_MAX_ABS, HARD_SIGMOID_MAX_ABS, PLAN_SIGMOID_MAX_ABS,
    };
    assert!(
        (0.068..=HARD_SIGMOID_MAX_ABS).contains(&err_of("hard_sigmoid ")),
        "{out}"
    );
    assert!(
        (0.075..=HARD_SIGMOID_AFFINE_MAX_ABS).contains(&err_of("hard_sigmoid_affine")),
        "{out}"
    );
    assert!(
        (0.018..=PLAN_SIGMOID_MAX_ABS).contains(&err_of("plan_sigmoid")),
        "{out}"
    );
    assert!(err_of("q15_sigmoid") < 1e-4, "{out}");
    // GPU rows, or one line saying why there are none.
    let gpu_row = |tier: &str| {
        out.lines()
            .any(|l| l.starts_with("sigmoid_gpu ") && l.contains(tier))
    };
    let gpu_rows = gpu_row(" round-trip ") && gpu_row(" resident ");
    let absent = out.lines().any(|l| l.starts_with("absent: gpu: "));
    assert!(gpu_rows != absent, "GPU rows xor an absent line:\n{out}");
    if require_gpu() {
        assert!(gpu_rows, "SIGMOID_REQUIRE_GPU=1 but no GPU rows:\n{out}");
    }
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
    assert!(!out.contains("gpu"), "--filter exact: no GPU line: {out}");
}

#[test]
fn bench_filter_quantized_runs_only_those() {
    let o = run(&[
        "bench",
        "--sizes",
        "300",
        "--reps",
        "1",
        "--filter",
        "quantized",
        "--all",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("_sigmoid")).collect();
    assert!(!rows.is_empty(), "{out}");
    for r in rows {
        assert!(r.contains("quantized"), "{r}");
    }
    assert!(!out.contains("gpu"), "{out}");
}

/// The default `bench` is a summary a terminal shows without wrapping: the
/// best instruction set and the parallel path of each kernel, baselines.
#[test]
fn bench_summary_fits_100_columns() {
    let o = run(&["bench", "--sizes", "1K,64K,1M", "--reps", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for l in out.lines().take_while(|l| !l.starts_with("absent: ")) {
        assert!(
            l.chars().count() <= 100,
            "{} columns: {l}",
            l.chars().count()
        );
    }
    let best = sigmoid_kernels::Backend::best_simd().name();
    for row in ["sigmoid_fast", "naive", "copy_from_slice", best, "parallel"] {
        assert!(out.contains(row), "{row} missing:\n{out}");
    }
    assert!(!out.contains("reference"), "{out}");
}

/// `bench --pair A B`: the two named kernels alternately, one line per
/// size with both rates and the ratio's median and quartiles; a text that
/// matches no kernel, or several, is a usage error that says so.
#[test]
fn bench_pair_times_two_kernels() {
    let o = run(&[
        "bench",
        "--sizes",
        "1K,4K",
        "--rounds",
        "5",
        "--pair",
        "sigmoid exact scalar",
        "copy baseline copy_from_slice",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("A = sigmoid exact scalar, B = copy baseline copy_from_slice"),
        "{out}"
    );
    for size in ["1K: A ", "4K: A "] {
        let line = out
            .lines()
            .find(|l| l.starts_with(size))
            .unwrap_or_else(|| panic!("{size}: {out}"));
        assert!(
            line.contains("A ÷ B median ") && line.contains("quartiles"),
            "{line}"
        );
    }
    let none = run(&["bench", "--pair", "no such kernel", "copy"]);
    assert_eq!(none.status.code(), Some(2), "{}", stderr(&none));
    assert!(
        stderr(&none).contains("no CPU kernel matches \"no such kernel\""),
        "{}",
        stderr(&none)
    );
    let many = run(&["bench", "--pair", "exact", "copy"]);
    assert_eq!(many.status.code(), Some(2), "{}", stderr(&many));
    assert!(
        stderr(&many).contains("make it longer"),
        "{}",
        stderr(&many)
    );
}

#[test]
fn accuracy_sample_passes() {
    let o = run(&["accuracy"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(out.contains("PASS: every documented bound holds"), "{out}");
    assert!(out.contains("special values"), "{out}");
    for row in [
        "sigmoid_backward_from_input",
        "softplus",
        "log_sigmoid",
        "hard_sigmoid_affine",
        "plan_sigmoid",
        "int8_sigmoid",
        "uint8_sigmoid",
    ] {
        assert!(out.contains(row), "{row} missing:\n{out}");
    }
    assert!(out.contains("quantized kernels, exhaustive"), "{out}");
    assert!(out.contains("q15_sigmoid"), "{out}");
    if require_gpu() {
        assert!(out.contains("sigmoid_gpu"), "{out}");
    }
}

/// Output piped into a reader that goes away (`… | head`): the tool stops
/// quietly with status 0 instead of panicking on the broken pipe; stdout on
/// a full device: a one-line error, status 1. For every command that
/// prints results.
#[test]
fn a_closed_stdout_ends_quietly() {
    use std::process::Stdio;
    let d = dir("closed-stdout");
    let g = d.join("g.npy");
    std::fs::write(&g, npy("<f4", false, "(3,)", &f32_bytes(&[0.5, -2.0, 0.0]))).unwrap();
    let commands: [&[&str]; 3] = [
        &["accuracy", "--filter", "sigmoid exact scalar"],
        &["stats", "--input", s(&g)],
        &["compare", "--size", "1024", "--reps", "1"],
    ];
    for args in commands {
        let mut child = Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        drop(child.stdout.take()); // close the read end before anything is written
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(o.status.success(), "{args:?}: {:?}: {err}", o.status);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        if Path::new("/dev/full").exists() {
            let o = Command::new(BIN)
                .args(args)
                .stdout(std::fs::File::create("/dev/full").unwrap())
                .output()
                .unwrap();
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
            assert!(err.contains("writing to stdout"), "{args:?}: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        }
    }
}

#[test]
fn plot_writes_an_svg() {
    let d = dir("plot");
    let svg = d.join("sigmoid.svg");
    let o = run(&["plot", "--backward", "--out", s(&svg)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    assert_xml_text_escaped(&text);
    for want in [
        "σ(x)",
        "sigmoid_fast",
        "ULP",
        "backward",
        "hard_sigmoid_affine",
        "plan_sigmoid",
        "int8_sigmoid",
        "abs error",
    ] {
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
    let o = run(&["apply", "exact", "--input", s(&xp), "--output", s(&yp)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (header, y) = read_f32(&yp);
    assert!(header.contains("'shape': (13, 16)"), "{header}");
    assert!(header.contains("'descr': '<f4'"), "{header}");
    let mut want = vec![0.0; x.len()];
    sigmoid_kernels::sigmoid(&x, &mut want);
    same_bits(&y, &want);

    let fp = d.join("fast.npy");
    let o = run(&["apply", "fast", "--input", s(&xp), "--output", s(&fp)]);
    assert!(o.status.success(), "{}", stderr(&o));
    sigmoid_kernels::sigmoid_fast(&x, &mut want);
    same_bits(&read_f32(&fp).1, &want);

    let dy: Vec<f32> = (0..x.len()).map(|i| 1.5 - (i % 5) as f32).collect();
    let dyp = d.join("dy.npy");
    std::fs::write(&dyp, npy("<f4", false, "(13, 16)", &f32_bytes(&dy))).unwrap();
    let dxp = d.join("dx.npy");
    let o = run(&[
        "apply",
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
    let o = run(&["apply", "exact", "--input", s(&p0), "--output", s(&p0)]);
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
    // clap's own usage errors (status 2) add usage lines.
    if o.status.code() != Some(2) {
        assert_eq!(
            err.lines().count(),
            1,
            "{args:?}: one line expected:\n{err}"
        );
    }
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

    let k = ["exact"];
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
        (&["--backward", "--input", "x.npy"], "--grad <dy.npy>"),
        (
            &["--scale", "0.5", "--input", "x.npy"],
            "unexpected argument '--scale'",
        ),
    ];
    for (args, msg) in cases {
        let mut a = k.to_vec();
        a.extend_from_slice(args);
        refuses(&d, &a, msg);
    }
    refuses(
        &d,
        &["nope", "--input", "x.npy"],
        "unrecognized subcommand 'nope'",
    );
    refuses(
        &d,
        &["fast", "--backward", "--grad", "x.npy", "--input", "x.npy"],
        "unexpected argument '--backward'",
    );
}

#[test]
fn a_failure_keeps_the_old_output() {
    let d = dir("keep");
    let x = d.join("x.npy");
    std::fs::write(&x, npy("<f4", false, "(1,)", &f32_bytes(&[0.0]))).unwrap();
    let out = d.join("out.npy");
    std::fs::write(&out, b"old").unwrap();
    let o = run(&["apply", "exact", "--input", s(&out), "--output", s(&out)]);
    assert!(!o.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
}

/// Runs `apply` with `args` plus `--input x --output out`, expecting success.
fn apply_ok(args: &[&str], x: &Path, out: &Path) {
    let mut a = vec!["apply"];
    a.extend_from_slice(args);
    a.extend(["--input", s(x), "--output", s(out)]);
    let o = run(&a);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
}

#[test]
fn apply_hard_forms_match_the_library() {
    let d = dir("apply-hard");
    let x = inputs();
    let xp = d.join("x.npy");
    std::fs::write(&xp, npy("<f4", false, "(13, 16)", &f32_bytes(&x))).unwrap();
    let dy: Vec<f32> = (0..x.len()).map(|i| 1.5 - (i % 5) as f32).collect();
    let dyp = d.join("dy.npy");
    std::fs::write(&dyp, npy("<f4", false, "(13, 16)", &f32_bytes(&dy))).unwrap();
    type Fwd = Box<dyn Fn(&[f32], &mut [f32])>;
    type Bwd = Box<dyn Fn(&[f32], &[f32], &mut [f32])>;
    let cases: Vec<(Vec<&str>, Fwd, Bwd)> = vec![
        (
            vec!["hard"],
            Box::new(sigmoid_kernels::hard_sigmoid),
            Box::new(sigmoid_kernels::hard_sigmoid_backward),
        ),
        (
            vec!["hard-affine"],
            Box::new(|x, y| sigmoid_kernels::hard_sigmoid_affine(0.2, 0.5, x, y)),
            Box::new(|x, dy, dx| {
                sigmoid_kernels::hard_sigmoid_affine_backward(0.2, 0.5, x, dy, dx)
            }),
        ),
        (
            vec!["hard-affine", "--alpha", "0.25", "--beta", "-0.125"],
            Box::new(|x, y| sigmoid_kernels::hard_sigmoid_affine(0.25, -0.125, x, y)),
            Box::new(|x, dy, dx| {
                sigmoid_kernels::hard_sigmoid_affine_backward(0.25, -0.125, x, dy, dx)
            }),
        ),
        (
            vec!["plan"],
            Box::new(sigmoid_kernels::plan_sigmoid),
            Box::new(sigmoid_kernels::plan_sigmoid_backward),
        ),
    ];
    for (args, fwd, bwd) in cases {
        let yp = d.join("y.npy");
        apply_ok(&args, &xp, &yp);
        let (header, y) = read_f32(&yp);
        assert!(header.contains("'shape': (13, 16)"), "{header}");
        let mut want = vec![0.0; x.len()];
        fwd(&x, &mut want);
        same_bits(&y, &want);

        let dxp = d.join("dx.npy");
        let mut a = args.clone();
        a.extend(["--backward", "--grad", s(&dyp)]);
        apply_ok(&a, &xp, &dxp);
        bwd(&x, &dy, &mut want);
        same_bits(&read_f32(&dxp).1, &want);
    }
}

#[test]
fn apply_quantized_match_the_library() {
    let d = dir("apply-quant");
    let i8s: Vec<i8> = (-128..=127).collect();
    let xp = d.join("i8.npy");
    let bytes: Vec<u8> = i8s.iter().map(|&q| q as u8).collect();
    std::fs::write(&xp, npy("|i1", false, "(16, 16)", &bytes)).unwrap();
    let yp = d.join("y8.npy");
    apply_ok(
        &["int8", "--scale", "0.078431375", "--zero-point", "3"],
        &xp,
        &yp,
    );
    let (header, y) = read_npy(&yp);
    assert!(
        header.contains("'descr': '|i1'") && header.contains("(16, 16)"),
        "{header}"
    );
    let s8 = Int8Sigmoid::new(QuantParams::new(0.078_431_375, 3)).unwrap();
    let mut want = vec![0i8; 256];
    s8.apply(&i8s, &mut want);
    assert_eq!(y, want.iter().map(|&q| q as u8).collect::<Vec<u8>>());

    // Explicit output parameters.
    apply_ok(
        &[
            "int8",
            "--scale",
            "0.5",
            "--out-scale",
            "0.01",
            "--out-zero-point",
            "-100",
        ],
        &xp,
        &yp,
    );
    let s8 =
        Int8Sigmoid::with_output(QuantParams::new(0.5, 0), QuantParams::new(0.01, -100)).unwrap();
    s8.apply(&i8s, &mut want);
    assert_eq!(
        read_npy(&yp).1,
        want.iter().map(|&q| q as u8).collect::<Vec<u8>>()
    );

    let u8s: Vec<u8> = (0..=255).collect();
    let up = d.join("u8.npy");
    std::fs::write(&up, npy("|u1", false, "(256,)", &u8s)).unwrap();
    apply_ok(
        &["uint8", "--scale", "0.078431375", "--zero-point", "128"],
        &up,
        &yp,
    );
    let (header, y) = read_npy(&yp);
    assert!(header.contains("'descr': '|u1'"), "{header}");
    let su = Uint8Sigmoid::new(QuantParams::new(0.078_431_375, 128)).unwrap();
    let mut want = vec![0u8; 256];
    su.apply(&u8s, &mut want);
    assert_eq!(y, want);

    let i16s: Vec<i16> = (i16::MIN..=i16::MAX).step_by(7).collect();
    let hp = d.join("i16.npy");
    let bytes: Vec<u8> = i16s.iter().flat_map(|q| q.to_le_bytes()).collect();
    std::fs::write(
        &hp,
        npy("<i2", false, &format!("({},)", i16s.len()), &bytes),
    )
    .unwrap();
    for (args, n) in [(vec!["q15"], 12), (vec!["q15", "--frac-bits", "5"], 5)] {
        apply_ok(&args, &hp, &yp);
        let (header, y) = read_npy(&yp);
        assert!(header.contains("'descr': '<i2'"), "{header}");
        let y: Vec<i16> = y
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        let mut want = vec![0i16; i16s.len()];
        Q15Sigmoid::new(n).unwrap().apply(&i16s, &mut want);
        assert_eq!(y, want, "{args:?}");
    }
}

#[cfg(feature = "gpu")]
#[test]
fn apply_gpu_matches_the_library() {
    let Some(ctx) = gpu_or_skip() else { return };
    let d = dir("apply-gpu");
    let x = inputs();
    let xp = d.join("x.npy");
    std::fs::write(&xp, npy("<f4", false, "(13, 16)", &f32_bytes(&x))).unwrap();
    let yp = d.join("y.npy");
    apply_ok(&["gpu"], &xp, &yp);
    let (header, y) = read_f32(&yp);
    assert!(header.contains("'shape': (13, 16)"), "{header}");
    same_bits(&y, &ctx.sigmoid(&x).unwrap());

    let dy: Vec<f32> = (0..x.len()).map(|i| 1.5 - (i % 5) as f32).collect();
    let dyp = d.join("dy.npy");
    std::fs::write(&dyp, npy("<f4", false, "(13, 16)", &f32_bytes(&dy))).unwrap();
    let dxp = d.join("dx.npy");
    apply_ok(&["gpu", "--backward", "--grad", s(&dyp)], &yp, &dxp);
    same_bits(&read_f32(&dxp).1, &ctx.sigmoid_backward(&y, &dy).unwrap());
}

#[test]
fn apply_reports_bad_input_for_the_new_kernels() {
    let d = dir("bad-new");
    let put = |name: &str, bytes: Vec<u8>| std::fs::write(d.join(name), bytes).unwrap();
    put(
        "x.npy",
        npy(
            "<f4",
            false,
            "(2, 3)",
            &f32_bytes(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        ),
    );
    put("i8.npy", npy("|i1", false, "(6,)", &[1, 2, 3, 4, 5, 6]));
    put("u8.npy", npy("|u1", false, "(6,)", &[1, 2, 3, 4, 5, 6]));
    put("i16.npy", npy("<i2", false, "(3,)", &[1, 0, 2, 0, 3, 0]));
    put("dy.npy", npy("<f4", false, "(3, 2)", &f32_bytes(&[1.0; 6])));
    let cases: &[(&[&str], &str)] = &[
        (
            &["int8", "--scale", "0.1", "--input", "x.npy"],
            "kernel `int8` needs int8 input, got float32",
        ),
        (
            &["int8", "--scale", "0.1", "--input", "u8.npy"],
            "kernel `int8` needs int8 input, got uint8",
        ),
        (
            &["uint8", "--scale", "0.1", "--input", "i8.npy"],
            "kernel `uint8` needs uint8 input, got int8",
        ),
        (
            &["q15", "--input", "x.npy"],
            "kernel `q15` needs int16 input, got float32",
        ),
        (
            &["hard", "--input", "i16.npy"],
            "kernel `hard` needs float32 input, got int16",
        ),
        (
            &["plan", "--input", "i8.npy"],
            "kernel `plan` needs float32 input, got int8",
        ),
        (&["int8", "--input", "i8.npy"], "--scale <SCALE>"),
        (
            &["int8", "--scale", "0", "--input", "i8.npy"],
            "invalid --scale: input scale must be finite and > 0, got 0e0",
        ),
        (
            &["uint8", "--scale", "inf", "--input", "u8.npy"],
            "invalid --scale: input scale must be finite and > 0, got inf",
        ),
        (
            &["int8", "--scale", "-0.5", "--input", "i8.npy"],
            "invalid --scale: input scale must be finite and > 0, got -5e-1",
        ),
        (
            &[
                "int8",
                "--scale",
                "0.1",
                "--zero-point",
                "128",
                "--input",
                "i8.npy",
            ],
            "invalid --zero-point: input zero point must be in [-128, 127], got 128",
        ),
        (
            &[
                "uint8",
                "--scale",
                "0.1",
                "--zero-point",
                "-1",
                "--input",
                "u8.npy",
            ],
            "invalid --zero-point: input zero point must be in [0, 255], got -1",
        ),
        (
            &[
                "uint8",
                "--scale",
                "0.1",
                "--out-zero-point",
                "256",
                "--input",
                "u8.npy",
            ],
            "invalid --out-zero-point: output zero point must be in [0, 255], got 256",
        ),
        (
            &[
                "int8",
                "--scale",
                "0.1",
                "--out-scale",
                "NaN",
                "--input",
                "i8.npy",
            ],
            "invalid --out-scale: output scale must be finite and > 0, got NaN",
        ),
        (
            &["q15", "--frac-bits", "16", "--input", "i16.npy"],
            "invalid value '16' for '--frac-bits <FRAC_BITS>'",
        ),
        (
            &["q15", "--scale", "0.5", "--input", "i16.npy"],
            "unexpected argument '--scale'",
        ),
        (
            &["hard", "--alpha", "0.5", "--input", "x.npy"],
            "unexpected argument '--alpha'",
        ),
        (
            &["hard-affine", "--alpha", "inf", "--input", "x.npy"],
            "invalid value 'inf' for '--alpha <ALPHA>': must be finite",
        ),
        (
            &[
                "int8",
                "--scale",
                "0.1",
                "--backward",
                "--grad",
                "i8.npy",
                "--input",
                "i8.npy",
            ],
            "unexpected argument '--backward'",
        ),
        (
            &["plan", "--backward", "--grad", "dy.npy", "--input", "x.npy"],
            "shape mismatch",
        ),
        (
            &[
                "hard",
                "--backward",
                "--grad",
                "i8.npy",
                "--input",
                "i8.npy",
            ],
            "i8.npy: kernel `hard` needs float32 input, got int8",
        ),
        (
            &["gpu", "--input", "i8.npy"],
            "kernel `gpu` needs float32 input, got int8",
        ),
    ];
    for (args, msg) in cases {
        refuses(&d, args, msg);
    }
}

#[cfg(feature = "gpu")]
#[test]
fn apply_gpu_without_an_adapter_says_why() {
    let d = dir("no-gpu");
    let x = d.join("x.npy");
    std::fs::write(&x, npy("<f4", false, "(1,)", &f32_bytes(&[0.0]))).unwrap();
    let out = d.join("out.npy");
    // Only a backend this platform lacks: no adapter at all.
    let backend = if cfg!(target_os = "macos") {
        "dx12"
    } else {
        "metal"
    };
    let o = run_env(
        &["apply", "gpu", "--input", s(&x), "--output", s(&out)],
        &[("WGPU_BACKEND", backend)],
    );
    let err = stderr(&o);
    assert!(!o.status.success());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("kernel `gpu`: no GPU adapter found"), "{err}");
    assert!(!out.exists());

    let o = run_env(
        &["bench", "--sizes", "256", "--reps", "1", "--filter", "gpu"],
        &[("WGPU_BACKEND", backend)],
    );
    let text = stdout(&o);
    assert!(!o.status.success(), "no kernel left: {text}");
    let o = run_env(
        &["bench", "--sizes", "256", "--reps", "1", "--filter", "hard"],
        &[("WGPU_BACKEND", backend)],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `apply silu` (and `--backward`, from x) gives the library's bits; `stats`
/// prints the library's GradStats and saturation and writes an SVG.
#[test]
fn silu_and_stats() {
    let d = dir("silu-stats");
    let x = inputs();
    let xp = d.join("x.npy");
    std::fs::write(&xp, npy("<f4", false, "(13, 16)", &f32_bytes(&x))).unwrap();
    let yp = d.join("y.npy");
    let o = run(&["apply", "silu", "--input", s(&xp), "--output", s(&yp)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut want = vec![0.0; x.len()];
    sigmoid_kernels::silu(&x, &mut want);
    same_bits(&read_f32(&yp).1, &want);
    let dy: Vec<f32> = (0..x.len()).map(|i| 1.5 - (i % 5) as f32).collect();
    let dyp = d.join("dy.npy");
    std::fs::write(&dyp, npy("<f4", false, "(13, 16)", &f32_bytes(&dy))).unwrap();
    let dxp = d.join("dx.npy");
    let o = run(&[
        "apply",
        "silu",
        "--backward",
        "--grad",
        s(&dyp),
        "--input",
        s(&xp),
        "--output",
        s(&dxp),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    sigmoid_kernels::silu_backward(&x, &dy, &mut want);
    same_bits(&read_f32(&dxp).1, &want);

    let svg = d.join("hist.svg");
    let o = run(&["stats", "--input", s(&dxp), "--svg", s(&svg)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let g = sigmoid_kernels::stats::GradStats::of(&want);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("elements:       {}", g.count)),
        "{out}"
    );
    assert!(
        out.contains(&format!("L2 norm:        {:e}", g.l2_norm)),
        "{out}"
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{text}");
    assert_xml_text_escaped(&text);
    assert!(
        text.contains("&lt;2^-40") && text.contains("&gt;=2^10"),
        "{text}"
    );
    // Refused before any work: a threshold or ε that is NaN or negative, an
    // SVG path that cannot be written (nothing printed then).
    let bad: [&[&str]; 4] = [
        &["--threshold", "NaN"],
        &["--threshold", "-1"],
        &["--sigmoid-output", "--eps", "NaN"],
        &["--svg", "/nonexistent-dir/h.svg"],
    ];
    for extra in bad {
        let mut a = vec!["stats", "--input", s(&dxp)];
        a.extend_from_slice(extra);
        let o = run(&a);
        let err = stderr(&o);
        assert!(
            !o.status.success() && !err.contains("panicked"),
            "{a:?}: {err}"
        );
        assert!(
            err.contains(extra[extra.len() - 2]) || err.contains("nonexistent-dir"),
            "{a:?}: {err}"
        );
        assert_eq!(stdout(&o), "", "{a:?}");
    }
    let mut y = vec![0.0; x.len()];
    sigmoid_kernels::sigmoid(&x, &mut y);
    let yp = d.join("sig.npy");
    std::fs::write(&yp, npy("<f4", false, "(13, 16)", &f32_bytes(&y))).unwrap();
    let o = run(&["stats", "--input", s(&yp), "--sigmoid-output"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sat = sigmoid_kernels::stats::saturation(&y, 0.01);
    assert!(stdout(&o).contains(&format!("{sat:.6}")), "{}", stdout(&o));
}

/// Every `<` of `xml` opens a tag (a name, `/`, `?` or `!` follows) and
/// every `&` an entity reference (`amp`, `lt`, `gt`, `quot`, `apos`): what
/// an XML parser needs of the text between tags.
fn assert_xml_text_escaped(xml: &str) {
    for (i, c) in xml.char_indices() {
        let (rest, at) = (&xml[i + c.len_utf8()..], || {
            xml[i..].chars().take(40).collect::<String>()
        });
        match c {
            '<' => assert!(
                rest.starts_with(|n: char| n.is_ascii_alphabetic() || "/?!".contains(n)),
                "a bare '<' at byte {i}: {}",
                at()
            ),
            '&' => assert!(
                ["amp;", "lt;", "gt;", "quot;", "apos;"]
                    .iter()
                    .any(|e| rest.starts_with(e)),
                "a bare '&' at byte {i}: {}",
                at()
            ),
            _ => {}
        }
    }
}

/// `compare` prints one row per activation with the measured columns.
#[test]
fn compare_prints_sigma_relu_tanh() {
    let o = run(&["compare", "--size", "1024", "--reps", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for row in [
        "| sigmoid exact (",
        "| sigmoid fast (",
        "| hard sigmoid (",
        "| softplus exact (",
        "| SiLU exact (",
        "| ReLU (f32::max loop) | [0e0, 3.4028235e38] | 0.5000 |",
        "| tanh (std f32::tanh, libm tanhf) | [-1e0, 1e0] |",
    ] {
        assert!(out.contains(row), "{row} missing in:\n{out}");
    }
    // σ: derivative below 0.01 for |x| > 4.585, mean 0.5, not zero-centred.
    assert!(out.contains("| 0.2359 | 0.5000 (no) |"), "{out}");
    assert!(out.contains("| 0.0000 (yes) |"), "{out}");
}
