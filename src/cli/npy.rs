//! A small NumPy `.npy` reader and writer: `float32`, `int8`, `uint8` and
//! `int16`, little-endian, C order, any shape (kept as is).
//!
//! Every way a file can be wrong gets its own one-line error naming the file:
//! missing, not a `.npy` (bad magic), unsupported version, malformed header,
//! big-endian, Fortran order, an unsupported dtype, truncated data or trailing
//! bytes. Writing goes through [`write_atomic`], so a failure never leaves a
//! partial file behind. Not here: object arrays, structured dtypes, pickles.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The element types this tool reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// `<f4`
    F32,
    /// `|i1`
    I8,
    /// `|u1`
    U8,
    /// `<i2`
    I16,
}

impl Dtype {
    /// NumPy's name for the type, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "float32",
            Dtype::I8 => "int8",
            Dtype::U8 => "uint8",
            Dtype::I16 => "int16",
        }
    }

    fn descr(self) -> &'static str {
        match self {
            Dtype::F32 => "<f4",
            Dtype::I8 => "|i1",
            Dtype::U8 => "|u1",
            Dtype::I16 => "<i2",
        }
    }

    fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::I8 | Dtype::U8 => 1,
            Dtype::I16 => 2,
        }
    }
}

/// The elements of an array, in C order.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    /// `float32` elements.
    F32(Vec<f32>),
    /// `int8` elements.
    I8(Vec<i8>),
    /// `uint8` elements.
    U8(Vec<u8>),
    /// `int16` elements.
    I16(Vec<i16>),
}

impl Data {
    /// The element type.
    pub fn dtype(&self) -> Dtype {
        match self {
            Data::F32(_) => Dtype::F32,
            Data::I8(_) => Dtype::I8,
            Data::U8(_) => Dtype::U8,
            Data::I16(_) => Dtype::I16,
        }
    }

    fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::I8(v) => v.len(),
            Data::U8(v) => v.len(),
            Data::I16(v) => v.len(),
        }
    }

    fn to_le_bytes(&self) -> Vec<u8> {
        match self {
            Data::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::I8(v) => v.iter().map(|&x| x as u8).collect(),
            Data::U8(v) => v.clone(),
            Data::I16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }

    fn from_le_bytes(dtype: Dtype, b: &[u8]) -> Data {
        match dtype {
            Dtype::F32 => Data::F32(
                b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            Dtype::I8 => Data::I8(b.iter().map(|&x| x as i8).collect()),
            Dtype::U8 => Data::U8(b.to_vec()),
            Dtype::I16 => Data::I16(
                b.chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
        }
    }
}

/// An n-dimensional array: its shape and its elements in C order.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// The dimensions (empty for a 0-d array holding one element).
    pub shape: Vec<usize>,
    /// The elements; `shape.iter().product()` of them.
    pub data: Data,
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a `.npy` file.
pub fn read(path: &Path) -> Result<Array, String> {
    let p = path.display();
    let bytes = fs::read(path).map_err(|e| format!("cannot read {p}: {e}"))?;
    parse(&bytes).map_err(|e| format!("{p}: {e}"))
}

fn parse(bytes: &[u8]) -> Result<Array, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not a .npy file (missing the \\x93NUMPY magic)".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    let header = bytes
        .get(start..start + header_len)
        .ok_or("truncated .npy header")?;
    let header = std::str::from_utf8(header).map_err(|_| "malformed .npy header (not text)")?;
    let descr = dict_value(header, "descr")?;
    let descr = descr
        .strip_prefix('\'')
        .and_then(|d| d.strip_suffix('\''))
        .ok_or_else(|| format!("malformed .npy header: descr {descr}"))?;
    let dtype = parse_descr(descr)?;
    match dict_value(header, "fortran_order")? {
        "False" => {}
        "True" => {
            return Err(
                "Fortran-order arrays are not supported; save with np.ascontiguousarray".into(),
            )
        }
        v => return Err(format!("malformed .npy header: fortran_order {v}")),
    }
    let shape = parse_shape(dict_value(header, "shape")?)?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .and_then(|n| n.checked_mul(dtype.size()))
        .ok_or("shape too large")?;
    let data = &bytes[start + header_len..];
    if data.len() < count {
        return Err(format!(
            "truncated data: shape {shape:?} of {} needs {count} bytes, the file has {}",
            dtype.name(),
            data.len()
        ));
    }
    if data.len() > count {
        return Err(format!(
            "{} unexpected bytes after the data of shape {shape:?}",
            data.len() - count
        ));
    }
    Ok(Array {
        shape,
        data: Data::from_le_bytes(dtype, data),
    })
}

fn parse_descr(descr: &str) -> Result<Dtype, String> {
    let (order, kind) = descr.split_at(descr.len().min(1));
    let dtype = match kind {
        "f4" => Dtype::F32,
        "i1" => Dtype::I8,
        "u1" => Dtype::U8,
        "i2" => Dtype::I16,
        _ => {
            return Err(format!(
                "unsupported dtype '{descr}'; supported: float32, int8, uint8, int16"
            ))
        }
    };
    match order {
        "<" | "|" => Ok(dtype),
        "=" if cfg!(target_endian = "little") => Ok(dtype),
        ">" if dtype.size() == 1 => Ok(dtype),
        ">" => Err(format!(
            "big-endian data ('{descr}') is not supported; convert with arr.astype('<{kind}')"
        )),
        _ => Err(format!("malformed dtype '{descr}'")),
    }
}

/// The text after `'key':` up to the next top-level `,` or `}`.
fn dict_value<'a>(header: &'a str, key: &str) -> Result<&'a str, String> {
    let pat = format!("'{key}':");
    let at = header
        .find(&pat)
        .ok_or_else(|| format!("malformed .npy header: no '{key}'"))?;
    let rest = header[at + pat.len()..].trim_start();
    let mut depth = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' | '}' if depth == 0 => return Ok(rest[..i].trim()),
            _ => {}
        }
    }
    Err(format!("malformed .npy header near '{key}'"))
}

fn parse_shape(s: &str) -> Result<Vec<usize>, String> {
    let inner = s
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("malformed .npy header: shape {s}"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            d.trim_end_matches('L')
                .parse()
                .map_err(|_| format!("malformed .npy header: shape {s}"))
        })
        .collect()
}

/// The `.npy` bytes (format 1.0) of `a`.
///
/// # Panics
/// If the shape does not match the number of elements.
pub fn to_bytes(a: &Array) -> Vec<u8> {
    assert_eq!(a.shape.iter().product::<usize>(), a.data.len(), "npy shape");
    let shape = match a.shape.as_slice() {
        [d] => format!("({d},)"),
        s => format!(
            "({})",
            s.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        a.data.dtype().descr()
    );
    // Pad so that the data starts at a multiple of 64 bytes; end with '\n'.
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.extend(std::iter::repeat_n(
        ' ',
        unpadded.next_multiple_of(64) - unpadded,
    ));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + a.data.len() * 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    let len = u16::try_from(header.len()).expect("npy header fits in 64 KiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&a.data.to_le_bytes());
    out
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: readers see the old file or the complete new one, never a part,
/// and on failure nothing is left behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let p = path.display();
    let name = path
        .file_name()
        .ok_or_else(|| format!("cannot write {p}: not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp: PathBuf = path.with_file_name(tmp_name);
    let result = fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    result.map_err(|e| {
        // Best effort: the temporary may not exist if creating it failed.
        let _ = fs::remove_file(&tmp);
        format!("cannot write {p}: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(a: Array) {
        assert_eq!(parse(&to_bytes(&a)).unwrap(), a);
    }

    #[test]
    fn roundtrips_every_dtype_and_rank() {
        roundtrip(Array {
            shape: vec![2, 3],
            data: Data::F32(vec![0.0, -1.5, f32::INFINITY, 3.0, 1e-40, -0.0]),
        });
        roundtrip(Array {
            shape: vec![],
            data: Data::I8(vec![-128]),
        });
        roundtrip(Array {
            shape: vec![4],
            data: Data::U8(vec![0, 1, 128, 255]),
        });
        roundtrip(Array {
            shape: vec![1, 0, 3],
            data: Data::I16(vec![]),
        });
        let b = to_bytes(&Array {
            shape: vec![5],
            data: Data::U8(vec![0; 5]),
        });
        assert_eq!((b.len() - 5) % 64, 0, "data aligned to 64 bytes");
    }

    #[test]
    fn reads_numpy_headers() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(header.len() as u16).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        b.extend_from_slice(&1.0f32.to_le_bytes());
        b.extend_from_slice(&2.0f32.to_le_bytes());
        let a = parse(&b).unwrap();
        assert_eq!(a.shape, [2]);
        assert_eq!(a.data, Data::F32(vec![1.0, 2.0]));
        assert!(parse(&b[..b.len() - 1]).unwrap_err().contains("truncated"));
        let at = b.windows(5).position(|w| w == b"False").unwrap();
        let mut fortran = b.clone();
        fortran[at..at + 5].copy_from_slice(b"True ");
        assert!(parse(&fortran).unwrap_err().contains("Fortran"));
        assert!(parse(b"PK\x03\x04 not npy")
            .unwrap_err()
            .contains("not a .npy"));
        assert!(parse_descr(">f4").unwrap_err().contains("big-endian"));
        assert!(parse_descr("<f8")
            .unwrap_err()
            .contains("unsupported dtype"));
        assert_eq!(parse_descr(">i1"), Ok(Dtype::I8));
        assert_eq!(parse_shape("(3, 4L)"), Ok(vec![3, 4]));
        assert_eq!(parse_shape("()"), Ok(vec![]));
    }
}
