//! The JSON reader on arbitrary bytes: never panics, and reading through a
//! tiny buffer, with or without parser threads, gives exactly what one
//! large buffer on one thread gives (column ids included), also with
//! `--records /data` walking to the records of a wrapped document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profile_rows::{Format, ReaderBuilder, Row};

type Rows = Vec<(bool, u64, String, Vec<(usize, String)>)>;

fn read_all(data: &[u8], capacity: usize, format: Format, threads: usize, records: Option<&str>) -> Result<Rows, String> {
    let mut b = ReaderBuilder::new();
    b.buffer_capacity(capacity).max_record_bytes(1 << 16).format(Some(format)).parse_threads(threads).records(records);
    let mut rdr = b.from_bytes(data.to_vec()).map_err(|e| e.to_string())?;
    let mut row = Row::new();
    let mut out = Vec::new();
    loop {
        let fields = |row: &Row| (0..row.len()).map(|i| (row.column(i), row.get(i).unwrap().to_string())).collect();
        match rdr.read_row(&mut row) {
            Ok(true) => out.push((true, row.line(), String::new(), fields(&row))),
            Ok(false) => return Ok(out),
            Err(e) if e.is_reject() => out.push((false, row.line(), e.to_string(), fields(&row))),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let chunk = usize::from(first % 13) + 1;
    let format = if first & 0x80 == 0 { Format::Json } else { Format::Ndjson };
    // Bit 6 picks parser threads; with a tiny buffer each block is a value or two.
    let threads = if first & 0x40 == 0 { 0 } else { 3 };
    // Bit 5 reads the records at /data (of {"data":[...]}), as JSON.
    let (format, records) = if first & 0x20 == 0 { (format, None) } else { (Format::Json, Some("/data")) };
    let whole = read_all(rest, 1 << 16, format, 0, records);
    let chunked = read_all(rest, chunk, format, threads, records);
    assert_eq!(whole, chunked, "chunk size {chunk}, {threads} parse threads");
});
