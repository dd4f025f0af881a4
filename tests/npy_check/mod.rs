//! Properties of the CLI's `.npy` reader that hold for any input, shared
//! by `tests/npy_reader.rs` and the cargo-fuzz target in `fuzz/`; both
//! compile `src/cli/npy.rs` in as the crate's `npy` module.

use crate::npy::{Dtype, Elem, Header, Reader};

/// Reads every element of `r` in chunks of 3; the count.
fn drain<T: Elem, R: std::io::Read>(r: &mut Reader<R>) -> Result<u64, String> {
    let mut buf = Vec::<T>::new();
    let mut n = 0;
    loop {
        r.read_chunk(&mut buf, 3)?;
        if buf.is_empty() {
            return Ok(n);
        }
        n += buf.len() as u64;
    }
}

/// Reads a whole file as the CLI would; its header and element count.
pub fn read_all(bytes: &[u8], len: Option<u64>) -> Result<(Header, u64), String> {
    let mut r = Reader::new(bytes, len)?;
    let n = match r.header().dtype {
        Dtype::F32 => drain::<f32, _>(&mut r),
        Dtype::I8 => drain::<i8, _>(&mut r),
        Dtype::U8 => drain::<u8, _>(&mut r),
        Dtype::I16 => drain::<i16, _>(&mut r),
        Dtype::F16 | Dtype::U16 | Dtype::V2 => drain::<u16, _>(&mut r),
    }?;
    Ok((r.header().clone(), n))
}

/// What must hold for any input: an error, or a header that survives a
/// round trip and exactly its elements.
pub fn check(bytes: &[u8]) {
    for len in [Some(bytes.len() as u64), None] {
        if let Ok((h, n)) = read_all(bytes, len) {
            assert_eq!(n, h.shape.iter().product::<u64>());
            let mut again = h.to_bytes();
            again.resize(again.len() + h.data_len() as usize, 0);
            assert_eq!(read_all(&again, None).map(|r| r.0), Ok(h));
        }
    }
}
