//! The CSV reader on arbitrary bytes: never panics, and reading through a
//! tiny buffer (every chunk boundary) gives exactly what one large buffer gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profile_rows::{ReaderBuilder, Row};

/// Rows and rejects (line, message, fields), or the fatal error's message.
fn read_all(data: &[u8], capacity: usize, split: u8) -> Result<Vec<(bool, u64, String, Vec<String>)>, String> {
    let mut b = ReaderBuilder::new();
    b.buffer_capacity(capacity).max_record_bytes(1 << 16);
    // The first byte picks a dialect sometimes, so given delimiters are fuzzed too.
    if split % 3 == 0 {
        b.delimiter(Some([b',', b';', b'\t', b'|'][usize::from(split / 3) % 4]));
    }
    let mut rdr = b.from_bytes(data.to_vec()).map_err(|e| e.to_string())?;
    let mut row = Row::new();
    let mut out = Vec::new();
    loop {
        match rdr.read_row(&mut row) {
            Ok(true) => out.push((true, row.line(), String::new(), row.iter().map(String::from).collect())),
            Ok(false) => return Ok(out),
            Err(e) if e.is_reject() => {
                out.push((false, row.line(), e.to_string(), row.iter().map(String::from).collect()))
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let chunk = usize::from(first % 13) + 1;
    let whole = read_all(rest, 1 << 16, first);
    let chunked = read_all(rest, chunk, first);
    assert_eq!(whole, chunked, "chunk size {chunk}");
});
