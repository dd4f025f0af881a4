//! A small streaming NumPy `.npy` reader and writer: `float32`, `float16`,
//! `int8`, `uint8`, `int16`, `uint16` and `V2` (two opaque bytes: what
//! `np.save` writes for an `ml_dtypes.bfloat16` array), little-endian, C
//! order, any shape (kept as is).
//!
//! Files are untrusted. The header is read as NumPy's `read_array_header`
//! reads it: a Python literal dict with exactly the keys `descr`,
//! `fortran_order` and `shape` (single or double quotes, any spacing,
//! comments, trailing commas, integers in any base, a duplicate key's last
//! value wins as in Python, the Python 2 `L` suffix in format 1.0/2.0), in
//! format version 1.0, 2.0 or 3.0. Refused: anything else around or inside
//! the dict, more than 64 dimensions, negative dimensions and shapes of more
//! than 2^63 − 1 bytes (NumPy cannot hold them), headers over 1 MiB, and (a
//! narrowing of Python's grammar) string prefixes other than `u` and escape
//! sequences inside strings, which NumPy never writes. Every way a file can
//! be wrong is a one-line error; header text in it is shown escaped.
//!
//! The data is read in chunks ([`Reader::read_chunk`]), so arrays larger
//! than memory pass through `apply`. Not here: object arrays, structured
//! dtypes, Fortran order, big-endian data, pickles.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

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
    /// `<f2`
    F16,
    /// `<u2`
    U16,
    /// `|V2` (read also as `<V2`, NumPy's descr for `ml_dtypes.bfloat16`)
    V2,
}

impl Dtype {
    const ALL: [Dtype; 7] = [
        Dtype::F32,
        Dtype::I8,
        Dtype::U8,
        Dtype::I16,
        Dtype::F16,
        Dtype::U16,
        Dtype::V2,
    ];

    /// NumPy's name, the descr NumPy writes, the size in bytes.
    fn info(self) -> (&'static str, &'static str, u64) {
        match self {
            Dtype::F32 => ("float32", "<f4", 4),
            Dtype::I8 => ("int8", "|i1", 1),
            Dtype::U8 => ("uint8", "|u1", 1),
            Dtype::I16 => ("int16", "<i2", 2),
            Dtype::F16 => ("float16", "<f2", 2),
            Dtype::U16 => ("uint16", "<u2", 2),
            Dtype::V2 => ("V2", "|V2", 2),
        }
    }

    /// NumPy's name for the type, for messages.
    pub fn name(self) -> &'static str {
        self.info().0
    }

    fn size(self) -> u64 {
        self.info().2
    }
}

/// An element type of a [`Dtype`], stored little-endian in the file.
pub trait Elem: bytemuck::Pod {
    /// Its dtype.
    const DTYPE: Dtype;
    /// Whether a file of dtype `d` holds elements of this type: by
    /// default `d` is [`Elem::DTYPE`]; `apply` reads bfloat16 (which NumPy
    /// lacks) as bits from any 2-byte integer or opaque dtype.
    fn accepts(d: Dtype) -> bool {
        d == Self::DTYPE
    }
}

/// `uint16`, and the bits of any 2-byte dtype.
impl Elem for u16 {
    const DTYPE: Dtype = Dtype::U16;
    fn accepts(d: Dtype) -> bool {
        d.size() == 2
    }
}

impl Elem for f32 {
    const DTYPE: Dtype = Dtype::F32;
}

impl Elem for i8 {
    const DTYPE: Dtype = Dtype::I8;
}

impl Elem for u8 {
    const DTYPE: Dtype = Dtype::U8;
}

impl Elem for i16 {
    const DTYPE: Dtype = Dtype::I16;
}

/// Converts elements between little-endian and native byte order (in
/// either direction; nothing to do on little-endian targets).
pub fn swap_le<T: Elem>(v: &mut [T]) {
    if cfg!(target_endian = "big") {
        let size = T::DTYPE.size() as usize;
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(v);
        bytes.chunks_exact_mut(size).for_each(<[u8]>::reverse);
    }
}

/// What a `.npy` header says: the element type and the shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The element type.
    pub dtype: Dtype,
    /// The dimensions (empty for a 0-d array holding one element); their
    /// product times the element size fits in an `i64`.
    pub shape: Vec<u64>,
}

impl Header {
    /// The number of data bytes.
    pub fn data_len(&self) -> u64 {
        self.shape.iter().product::<u64>() * self.dtype.size()
    }

    /// The shape as Python writes a tuple: `()`, `(3,)`, `(2, 3)`.
    pub fn shape_text(&self) -> String {
        match self.shape.as_slice() {
            [d] => format!("({d},)"),
            s => format!(
                "({})",
                s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// The `.npy` preamble and header for this array (format 1.0, or 2.0
    /// if the header does not fit in 64 KiB), padded so that the data
    /// starts at a multiple of 64 bytes, as NumPy writes it.
    pub fn to_bytes(&self) -> Vec<u8> {
        let dict = format!(
            "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
            self.dtype.info().1,
            self.shape_text()
        );
        // The header's length with its padding and '\n' after a preamble of
        // `pre` bytes.
        let padded = |pre: usize| (pre + dict.len() + 1).next_multiple_of(64) - pre;
        let mut out = MAGIC.to_vec();
        let len = match u16::try_from(padded(10)) {
            Ok(len) => {
                out.extend([1, 0].into_iter().chain(len.to_le_bytes()));
                len.into()
            }
            Err(_) => {
                let len = padded(12);
                out.extend([2, 0].into_iter().chain((len as u32).to_le_bytes()));
                len
            }
        };
        out.extend_from_slice(dict.as_bytes());
        out.extend(std::iter::repeat_n(b' ', len - dict.len() - 1));
        out.push(b'\n');
        out
    }
}

const MAGIC: &[u8] = b"\x93NUMPY";
/// The longest header read (NumPy's own default limit is 10 000 bytes).
const MAX_HEADER: u32 = 1 << 20;
/// NumPy's `NPY_MAXDIMS`.
const MAX_DIMS: usize = 64;
/// Elements per read of [`Reader::read_all`] (4 MiB of `f32`).
const READ_ALL_CHUNK: usize = 1 << 20;

/// A `.npy` file being read: its header, then its data in chunks.
pub struct Reader<R> {
    inner: R,
    header: Header,
    /// Data bytes not read yet.
    left: u64,
}

impl Reader<BufReader<File>> {
    /// Opens `path` and reads its header; for a regular file, also checks
    /// that its length matches the shape.
    pub fn open(path: &Path) -> Result<Self, String> {
        let p = path.display();
        let file = File::open(path).map_err(|e| format!("cannot read {p}: {e}"))?;
        let meta = file
            .metadata()
            .map_err(|e| format!("cannot read {p}: {e}"))?;
        let len = meta.is_file().then_some(meta.len());
        Reader::new(BufReader::new(file), len).map_err(|e| format!("{p}: {e}"))
    }
}

impl<R: Read> Reader<R> {
    /// Reads the preamble and header from `inner`; `file_len`, where known,
    /// is checked against the data length the header implies.
    pub fn new(mut inner: R, file_len: Option<u64>) -> Result<Self, String> {
        let mut pre = [0u8; 12];
        let got = read_full(&mut inner, &mut pre[..10]).map_err(io)?;
        if got == 0 {
            return Err("not a .npy file (empty)".into());
        }
        let n = got.min(MAGIC.len());
        if pre[..n] != MAGIC[..n] {
            return Err("not a .npy file (missing the \\x93NUMPY magic)".into());
        }
        let truncated = || format!("truncated .npy file: {got} bytes, ending inside the preamble");
        if got < 8 {
            return Err(truncated());
        }
        let (major, minor) = (pre[6], pre[7]);
        if !matches!((major, minor), (1..=3, 0)) {
            return Err(format!(
                "unsupported .npy format version {major}.{minor} (NumPy writes 1.0, 2.0 and 3.0)"
            ));
        }
        let (header_len, start) = if major == 1 {
            if got < 10 {
                return Err(truncated());
            }
            (u32::from(u16::from_le_bytes([pre[8], pre[9]])), 10u64)
        } else {
            let more = read_full(&mut inner, &mut pre[10..]).map_err(io)?;
            if got + more < 12 {
                return Err(truncated());
            }
            (u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]), 12)
        };
        if header_len > MAX_HEADER {
            return Err(format!(
                "the header claims {header_len} bytes, over the limit of {MAX_HEADER}"
            ));
        }
        let mut text = Vec::new();
        (&mut inner)
            .take(header_len.into())
            .read_to_end(&mut text)
            .map_err(io)?;
        if text.len() < header_len as usize {
            return Err(format!(
                "truncated .npy header: {} of its {header_len} bytes",
                text.len()
            ));
        }
        // NumPy decodes formats 1.0 and 2.0 as Latin-1, 3.0 as UTF-8.
        let text = if major == 3 {
            String::from_utf8(text).map_err(|_| "malformed .npy header: not UTF-8".to_string())?
        } else {
            text.iter().map(|&b| char::from(b)).collect()
        };
        let header = parse_header(&text, major < 3)
            .map_err(|e| format!("malformed .npy header: {e} in \"{}\"", shown(&text)))?;
        let left = header.data_len();
        if let Some(len) = file_len {
            let have = len.saturating_sub(start + u64::from(header_len));
            check_len(&header, have)?;
        }
        Ok(Reader {
            inner,
            header,
            left,
        })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Every remaining element, read [`READ_ALL_CHUNK`] at a time: a forged
    /// shape read from a pipe (whose length is not checked up front) then
    /// fails as truncated data instead of allocating what the header
    /// claims. Checks that nothing follows the data.
    pub fn read_all<T: Elem>(&mut self) -> Result<Vec<T>, String> {
        let (mut all, mut chunk) = (Vec::new(), Vec::new());
        loop {
            self.read_chunk(&mut chunk, READ_ALL_CHUNK)?;
            if chunk.is_empty() {
                return Ok(all);
            }
            all.extend_from_slice(&chunk);
        }
    }

    /// Replaces `buf` with the next (at most `max`) elements; empty once
    /// all are read, after checking that nothing follows them.
    pub fn read_chunk<T: Elem>(&mut self, buf: &mut Vec<T>, max: usize) -> Result<(), String> {
        if !T::accepts(self.header.dtype) {
            return Err(format!(
                "reading {} from a {} array",
                T::DTYPE.name(),
                self.header.dtype.name()
            ));
        }
        let n = (self.left / T::DTYPE.size()).min(max as u64) as usize;
        buf.clear();
        buf.resize(n, T::zeroed());
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(buf.as_mut_slice());
        let got = read_full(&mut self.inner, bytes).map_err(io)?;
        if got < bytes.len() {
            let have = self.header.data_len() - self.left + got as u64;
            return check_len(&self.header, have);
        }
        self.left -= got as u64;
        // At the end, one byte more tells of trailing data (a regular
        // file's length was checked up front; a pipe may never end).
        if n == 0 && read_full(&mut self.inner, &mut [0]).map_err(io)? > 0 {
            return Err(format!(
                "unexpected bytes after the data of shape {}",
                self.header.shape_text()
            ));
        }
        swap_le(buf);
        Ok(())
    }
}

fn io(e: io::Error) -> String {
    format!("read error: {e}")
}

/// Fills as much of `buf` as `r` has; the count read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Whether `have` data bytes are what `h` needs.
fn check_len(h: &Header, have: u64) -> Result<(), String> {
    let need = h.data_len();
    if have < need {
        Err(format!(
            "truncated data: shape {} of {} needs {need} bytes, the file has {have}",
            h.shape_text(),
            h.dtype.name()
        ))
    } else if have > need {
        Err(format!(
            "{} unexpected bytes after the data of shape {}",
            have - need,
            h.shape_text()
        ))
    } else {
        Ok(())
    }
}

/// `s` with control and invisible characters escaped, at most 100 of them.
fn shown(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 100 {
            out.push_str("...");
            break;
        }
        if c.is_control() || c == '\\' || c == '"' || !(c.is_ascii() || c.is_alphanumeric()) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The dtype, shape and order from the header text (`py2`: formats 1.0
/// and 2.0, where NumPy also accepts Python 2's `L` suffix).
fn parse_header(text: &str, py2: bool) -> Result<Header, String> {
    let mut p = Parser {
        s: text,
        at: 0,
        py2,
        depth: 0,
    };
    p.skip_space();
    let dict = p.value()?;
    p.skip_space();
    if p.at < text.len() {
        return Err(p.unexpected("the end after the dict"));
    }
    let Lit::Dict(entries) = dict else {
        return Err("not a dict".into());
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (k, v) in entries {
        match k {
            Lit::Str(k) if k == "descr" => descr = Some(v),
            Lit::Str(k) if k == "fortran_order" => fortran = Some(v),
            Lit::Str(k) if k == "shape" => shape = Some(v),
            Lit::Str(k) => return Err(format!("unexpected key '{}'", shown(&k))),
            _ => return Err("a key that is not a string".into()),
        }
    }
    let missing = |k: &str| format!("no '{k}' key");
    let dtype = match descr.ok_or_else(|| missing("descr"))? {
        Lit::Str(d) => parse_descr(&d)?,
        Lit::List => return Err("structured dtypes are not supported".into()),
        _ => return Err("'descr' is not a string".into()),
    };
    match fortran.ok_or_else(|| missing("fortran_order"))? {
        Lit::Bool(false) => {}
        Lit::Bool(true) => {
            return Err(
                "Fortran-order arrays are not supported; save with np.ascontiguousarray".into(),
            )
        }
        _ => return Err("'fortran_order' is not True or False".into()),
    }
    let Lit::Tuple(dims) = shape.ok_or_else(|| missing("shape"))? else {
        return Err("'shape' is not a tuple".into());
    };
    if dims.len() > MAX_DIMS {
        return Err(format!(
            "{} dimensions, NumPy allows at most {MAX_DIMS}",
            dims.len()
        ));
    }
    let mut shape = Vec::with_capacity(dims.len());
    let mut bytes = dtype.size() as i128;
    for d in dims {
        let Lit::Int(d) = d else {
            return Err("a dimension is not an integer".into());
        };
        if d < 0 {
            return Err(format!("negative dimension {d}"));
        }
        let d = u64::try_from(d).unwrap_or(u64::MAX);
        if d != 0 {
            bytes = bytes.saturating_mul(d.into());
        }
        shape.push(d);
    }
    if bytes > i64::MAX.into() {
        return Err("the shape holds over 2^63 - 1 bytes, more than NumPy can".into());
    }
    Ok(Header { dtype, shape })
}

fn parse_descr(descr: &str) -> Result<Dtype, String> {
    let unsupported = || {
        format!(
            "unsupported dtype '{}'; supported: float32, float16, int8, uint8, int16, uint16, V2",
            shown(descr)
        )
    };
    let (order, kind) = match descr.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
        _ => ('=', descr),
    };
    let dtype = Dtype::ALL
        .into_iter()
        .find(|d| d.info().1[1..] == *kind)
        .ok_or_else(unsupported)?;
    let big = order == '>' || order == '=' && cfg!(target_endian = "big");
    if big && dtype.size() > 1 {
        return Err(format!(
            "big-endian data ('{descr}') is not supported; convert with arr.astype('<{kind}')"
        ));
    }
    Ok(dtype)
}

/// A Python literal, as far as `.npy` headers need them.
enum Lit {
    Str(String),
    /// Saturated to the `i128` range (every dimension that large is refused).
    Int(i128),
    Bool(bool),
    None,
    Tuple(Vec<Lit>),
    List,
    Dict(Vec<(Lit, Lit)>),
}

/// A recursive-descent parser of Python literals (`ast.literal_eval`'s
/// grammar, less floats, complex numbers, sets, bytes and escapes).
struct Parser<'a> {
    s: &'a str,
    at: usize,
    py2: bool,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.at..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        let ok = self.peek() == Some(c);
        if ok {
            self.at += c.len_utf8();
        }
        ok
    }

    fn unexpected(&self, want: &str) -> String {
        match self.peek() {
            Some(c) => format!(
                "expected {want} at byte {}, found '{}'",
                self.at,
                shown(&c.to_string())
            ),
            None => format!("expected {want}, found the end"),
        }
    }

    /// Whitespace and `#` comments.
    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' | '\r' | '\x0c' => self.at += 1,
                '#' => {
                    self.at += self.s[self.at..]
                        .find('\n')
                        .unwrap_or(self.s.len() - self.at)
                }
                _ => break,
            }
        }
    }

    fn value(&mut self) -> Result<Lit, String> {
        // Python's parser refuses deeper nesting too.
        if self.depth == 100 {
            return Err("literals nested over 100 deep".into());
        }
        self.depth += 1;
        let v = match self.peek() {
            Some('{') => {
                self.at += 1;
                let (items, _) = self.items('}', |p| {
                    let k = p.value()?;
                    p.skip_space();
                    if !p.eat(':') {
                        return Err(p.unexpected("':'"));
                    }
                    p.skip_space();
                    Ok((k, p.value()?))
                })?;
                Lit::Dict(items)
            }
            Some('[') => {
                self.at += 1;
                self.items(']', Parser::value)?;
                Lit::List
            }
            Some('(') => {
                self.at += 1;
                match self.items(')', Parser::value)? {
                    (mut v, false) if v.len() == 1 => v.remove(0),
                    (v, _) => Lit::Tuple(v),
                }
            }
            Some('\'' | '"' | 'u' | 'U') => self.string()?,
            Some('0'..='9' | '+' | '-') => self.int()?,
            Some(c) if c.is_alphabetic() || c == '_' => {
                let name = self.take_while(|c| c.is_alphanumeric() || c == '_');
                match name {
                    "True" => Lit::Bool(true),
                    "False" => Lit::Bool(false),
                    "None" => Lit::None,
                    _ => return Err(format!("'{}' is not a literal", shown(name))),
                }
            }
            _ => return Err(self.unexpected("a value")),
        };
        self.depth -= 1;
        Ok(v)
    }

    /// Comma-separated items up to `close` (after the opening bracket);
    /// whether a comma followed the last one.
    fn items<T>(
        &mut self,
        close: char,
        mut item: impl FnMut(&mut Self) -> Result<T, String>,
    ) -> Result<(Vec<T>, bool), String> {
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            self.skip_space();
            if self.eat(close) {
                return Ok((items, comma));
            }
            if !items.is_empty() && !comma {
                return Err(self.unexpected(&format!("',' or '{close}'")));
            }
            items.push(item(self)?);
            self.skip_space();
            comma = self.eat(',');
        }
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &str {
        let start = self.at;
        while self.peek().is_some_and(&f) {
            self.at += self.peek().map_or(0, char::len_utf8);
        }
        &self.s[start..self.at]
    }

    /// One or more adjacent string literals (Python joins them).
    fn string(&mut self) -> Result<Lit, String> {
        let mut out = String::new();
        loop {
            let start = self.at;
            let _ = self.eat('u') || self.eat('U');
            let Some(q @ ('\'' | '"')) = self.peek() else {
                self.at = start;
                if out.is_empty() {
                    return Err(self.unexpected("a value"));
                }
                return Ok(Lit::Str(out));
            };
            self.at += 1;
            loop {
                match self.peek() {
                    Some(c) if c == q => break,
                    Some('\\') => {
                        return Err("escape sequences in strings are not supported".into())
                    }
                    Some('\n' | '\r') | None => return Err("unterminated string".into()),
                    Some(c) => {
                        out.push(c);
                        self.at += c.len_utf8();
                    }
                }
            }
            self.at += 1;
            let end = self.at;
            self.skip_space();
            if !matches!(self.peek(), Some('\'' | '"' | 'u' | 'U')) {
                self.at = end;
                return Ok(Lit::Str(out));
            }
        }
    }

    /// An integer: optional sign, then decimal (no leading zeros but for
    /// zero) or `0x`/`0o`/`0b`, with `_` between digits.
    fn int(&mut self) -> Result<Lit, String> {
        let neg = if self.eat('-') {
            true
        } else {
            self.eat('+');
            false
        };
        self.skip_space();
        let start = self.at;
        let lower = self.s[self.at..].get(..2).map(str::to_ascii_lowercase);
        let radix = match lower.as_deref() {
            Some("0x") => 16,
            Some("0o") => 8,
            Some("0b") => 2,
            _ => 10,
        };
        if radix != 10 {
            self.at += 2;
            self.eat('_');
        }
        let digits = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        let mut digits = digits.to_string();
        // Python 2's long suffix, which NumPy strips from old files.
        if self.py2 && digits.len() > 1 && digits.ends_with('L') {
            digits.pop();
        }
        let bad = || format!("malformed integer '{}'", shown(&self.s[start..self.at]));
        if digits.is_empty()
            || digits.starts_with('_')
            || digits.ends_with('_')
            || digits.contains("__")
            || radix == 10
                && digits.starts_with('0')
                && digits.chars().any(|c| c != '0' && c != '_')
        {
            return Err(bad());
        }
        let mut v: i128 = 0;
        for c in digits.chars().filter(|&c| c != '_') {
            let d = c.to_digit(radix).ok_or_else(bad)?;
            v = v.saturating_mul(radix.into()).saturating_add(d.into());
        }
        Ok(Lit::Int(if neg { -v } else { v }))
    }
}
