//! The CLI's `.npy` reader (`src/cli/npy.rs`, compiled in here) in
//! process: NumPy's header grammar, accepted and refused, round trips of
//! what it writes, and a mutation fuzzer over the committed seed files in
//! `tests/npy-seeds/` (which also run as they are, as a regression test).
//!
//! The fuzzer runs 2000 cases here; for a long run:
//! `PROPTEST_CASES=1000000 nice cargo test --release --test npy_reader fuzz`.
#![cfg(feature = "cli")]

#[allow(dead_code)]
#[path = "../src/cli/npy.rs"]
mod npy;

#[path = "npy_check/mod.rs"]
mod npy_check;

mod support;

use npy::{Dtype, Header, Reader};
use npy_check::{check, read_all};
use proptest::prelude::*;
use std::path::Path;
use support::npy_file as file;

fn header(text: &str) -> Result<Header, String> {
    Reader::new(&file(1, text, &[])[..], None).map(|r| r.header().clone())
}

#[test]
fn reads_what_numpy_reads() {
    let f32_6 = Header {
        dtype: Dtype::F32,
        shape: vec![6],
    };
    for text in [
        "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }",
        "{'descr' : '<f4', \"fortran_order\":False,'shape':(6,)}  \n",
        "  {'descr': 'f4', 'fortran_order': False, 'shape': ((6),)} # c\n",
        "{'descr': '<f' '4', 'fortran_order': False, 'shape': (0x6L,)}",
        "{'descr': u'<f4', 'fortran_order': False, 'shape': (+ 6,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (6,)}",
    ] {
        assert_eq!(header(text), Ok(f32_6.clone()), "{text}");
    }
    let h = header("{'descr': '|u1', 'fortran_order': False, 'shape': (1_0, 00, 3)}").unwrap();
    assert_eq!(h.shape, [10, 0, 3]);
}

#[test]
fn refuses_what_numpy_refuses() {
    let d = "{'descr': '<f4', 'fortran_order': False, ";
    for (text, msg) in [
        (
            "'descr': '<f4', 'fortran_order': False, 'shape': (6,)",
            "expected the end after the dict at byte 7, found ':'",
        ),
        ("(1, 2)", "not a dict"),
        (&format!("x{d}'shape': (6,)}}"), "'x' is not a literal"),
        (&format!("{d}'shape': (6,)}} x"), "expected the end"),
        (&format!("{d}'shape': (2,,3)}}"), "expected a value"),
        (&format!("{d}'shape': (,6)}}"), "expected a value"),
        (
            &format!("{d}'shape': (6LLLL,)}}"),
            "malformed integer '6LLLL'",
        ),
        (&format!("{d}'shape': (06,)}}"), "malformed integer"),
        (&format!("{d}'shape': (6.0,)}}"), "malformed integer"),
        (&format!("{d}'shape': (6)}}"), "not a tuple"),
        (&format!("{d}'shape': (-6,)}}"), "negative dimension -6"),
        (&format!("{d}'shape': (True,)}}"), "not an integer"),
        (&format!("{d}'shape': (6,), 'x': 1}}"), "unexpected key 'x'"),
        (&format!("{d}'shape': (6,), 1: 1}}"), "not a string"),
        (&format!("{d}}}"), "no 'shape'"),
        (&format!("{d}'shape': (6,)}}\0"), "found '\\u{0}'"),
        (&format!("{d}'shape': 2**62}}"), "expected ',' or '}'"),
        (
            &format!("{d}'shape': (0, 2305843009213693952)}}"),
            "over 2^63 - 1 bytes",
        ),
        (
            &format!("{d}'shape': (0, 99999999999999999999999999999999999999999999)}}"),
            "2^63",
        ),
        (&format!("{d}'shape': (6,),,}}"), "expected a value"),
        (
            &format!("{d}'shape': (6,)"),
            "expected ',' or '}', found the end",
        ),
        (&format!("{d}'shape': (6,) 'x'}}"), "expected ',' or '}'"),
        (
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (6,)}",
            "not True or False",
        ),
        (
            "{'descr': 'é', 'fortran_order': False, 'shape': (6,)}",
            "unsupported dtype 'é'",
        ),
        (
            "{'descr': '<U4', 'fortran_order': False, 'shape': (6,)}",
            "unsupported dtype '<U4'",
        ),
        (
            "{'descr': '\u{1b}[2J', 'fortran_order': False, 'shape': (6,)}",
            "'\\u{1b}[2J'",
        ),
        (
            "{'descr': '<f\\x34', 'fortran_order': False, 'shape': (6,)}",
            "escape sequences",
        ),
        (
            "{'descr': '<f4, 'fortran_order': False, 'shape': (6,)}",
            "expected ',' or '}' at byte 17, found 'f'",
        ),
        (
            "{'descr': '>f4', 'fortran_order': False, 'shape': (6,)}",
            "big-endian",
        ),
        (
            "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}",
            "structured",
        ),
        (
            "{'descr': '<f4', 'fortran_order': True, 'shape': (6,)}",
            "Fortran-order",
        ),
        ("", "expected a value, found the end"),
    ] {
        let e = header(text).unwrap_err();
        assert!(e.contains(msg), "{text:?}: {e}");
        assert!(
            !e.chars().any(char::is_control),
            "raw control characters in {e:?}"
        );
    }
    let l = "{'descr': '<f4', 'fortran_order': False, 'shape': (6L,)}";
    let e = Reader::new(&file(3, l, &[])[..], None).err().unwrap();
    assert!(e.contains("malformed integer '6L'"), "{e}");
    let deep = format!("{}{}", "(".repeat(200), ")".repeat(200));
    assert!(header(&deep).unwrap_err().contains("nested"));
    let many = format!("{d}'shape': ({}) }}", "1, ".repeat(65));
    assert!(header(&many).unwrap_err().contains("65 dimensions"));
}

#[test]
fn writes_what_it_reads() {
    for shape in [vec![], vec![5], vec![2, 3], vec![1, 0, 3], vec![1; 64]] {
        for dtype in [Dtype::F32, Dtype::I8, Dtype::U8, Dtype::I16] {
            let h = Header {
                dtype,
                shape: shape.clone(),
            };
            let mut b = h.to_bytes();
            assert_eq!(b.len() % 64, 0, "data aligned to 64 bytes");
            b.resize(b.len() + h.data_len() as usize, 7);
            let count = h.shape.iter().product::<u64>();
            assert_eq!(read_all(&b, Some(b.len() as u64)), Ok((h.clone(), count)));
            // Without the length up front (a pipe), the same checks while
            // streaming.
            assert_eq!(read_all(&b, None), Ok((h.clone(), count)));
            b.push(0);
            let e = read_all(&b, None).unwrap_err();
            assert!(e.contains("unexpected bytes after the data"), "{e}");
            if count > 0 {
                b.truncate(b.len() - 2);
                let e = read_all(&b, None).unwrap_err();
                assert!(e.contains("truncated data"), "{e}");
            }
        }
    }
}

#[test]
fn preamble_errors_are_precise() {
    let ok = file(
        1,
        "{'descr': '<f4', 'fortran_order': False, 'shape': ()}",
        &[0; 4],
    );
    for (bytes, msg) in [
        (&b""[..], "not a .npy file (empty)"),
        (b"PK\x03\x04", "missing the \\x93NUMPY magic"),
        (b"\x93NUMP", "truncated .npy file"),
        (&ok[..8], "truncated .npy file"),
        (&ok[..9], "truncated .npy file"),
        (b"\x93NUMPY\x02\x00\x10\x00\x00", "truncated .npy file"),
        (b"\x93NUMPY\x01\x05\x10\x00", "version 1.5"),
        (b"\x93NUMPY\x04\x00\x10\x00", "version 4.0"),
        (b"\x93NUMPY\x02\x00\xff\xff\xff\xff", "over the limit"),
        (&ok[..20], "truncated .npy header"),
        (&ok[..ok.len() - 1], "truncated data"),
    ] {
        let e = read_all(bytes, Some(bytes.len() as u64)).unwrap_err();
        assert!(e.contains(msg), "{bytes:?}: {e}");
    }
    let mut v3 = file(
        3,
        "{'descr': '<f4', 'fortran_order': False, 'shape': ()}",
        &[0; 4],
    );
    v3[12] = 0xff;
    assert!(read_all(&v3, None).unwrap_err().contains("not UTF-8"));
    // A padded 100 KB header is still fine.
    let big = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}}{}",
        " ".repeat(100_000)
    );
    assert!(read_all(&file(2, &big, &[0; 4]), None).is_ok());
}

/// The committed seed files, read once.
fn seeds() -> &'static [(String, Vec<u8>)] {
    static SEEDS: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(read_seeds)
}

fn read_seeds() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/npy-seeds");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    assert!(v.len() >= 20, "seed files missing from {}", dir.display());
    v
}

#[test]
fn seeds_as_regression() {
    for (name, bytes) in seeds() {
        let bytes = bytes.as_slice();
        let ok = name.starts_with("ok-");
        check(bytes);
        assert_eq!(read_all(bytes, None).is_ok(), ok, "{name}");
    }
}

/// Tokens spliced into headers by the fuzzer.
const TOKENS: &[&str] = &[
    "'",
    "\"",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    "#",
    "\0",
    "L",
    "0",
    "-",
    "_",
    "0x",
    "9999999999999999999999",
    "True",
    "'shape'",
    "'descr'",
    "é",
    "\\",
    "u",
];

fn mutate(mut b: Vec<u8>, ops: &[(u8, u16, u8)]) -> Vec<u8> {
    for &(op, at, v) in ops {
        // Mostly in the preamble and header, where the parsing is.
        let at = usize::from(at) % (b.len().min(160) + 1);
        match op % 5 {
            0 if at < b.len() => b[at] = v,
            1 => b.insert(at, v),
            2 if at < b.len() => drop(b.drain(at..(at + usize::from(v % 8) + 1).min(b.len()))),
            3 => b.truncate(at.max(usize::from(v))),
            _ => {
                let t = TOKENS[usize::from(v) % TOKENS.len()].as_bytes();
                b.splice(at..at, t.iter().copied());
            }
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn fuzz(seed in any::<prop::sample::Index>(), ops in prop::collection::vec(any::<(u8, u16, u8)>(), 1..8)) {
        let seeds = seeds();
        let (_, bytes) = &seeds[seed.index(seeds.len())];
        check(&mutate(bytes.clone(), &ops));
    }
}
