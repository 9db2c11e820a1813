//! The workbook reader on arbitrary bytes named `.xlsx`, `.xlsm`, `.xlsb`,
//! `.xls` or `.ods`: never panics, never hangs, and every row it gives fits
//! its header. Half the inputs are raw files; the other half replace one
//! part (a sheet, the shared strings, the styles, the workbook) of a valid
//! `.xlsx` saved by LibreOffice, so the fuzzer reaches calamine's XML
//! readers instead of stopping at the zip's checksums. A panic inside
//! calamine must come out as an error, never reach the caller.
#![no_main]

use std::io::Write;
use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use profile_rows::{ReaderBuilder, Row};

const TEMPLATE: &[u8] = include_bytes!("../../testdata/workbooks/contacts.xlsx");
const PARTS: [&str; 4] = [
    "xl/worksheets/sheet1.xml",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
    "xl/workbook.xml",
];
const EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// The template with `part` replaced by `bytes`, stored uncompressed.
fn patched(part: &str, bytes: &[u8]) -> Vec<u8> {
    let mut template = zip::ZipArchive::new(std::io::Cursor::new(TEMPLATE)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..template.len() {
        let mut file = template.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        out.start_file(name.as_str(), stored).unwrap();
        if name == part {
            out.write_all(bytes).unwrap();
        } else {
            std::io::copy(&mut file, &mut out).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

/// A file of its own per process, on tmpfs when the machine has one.
fn path(extension: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    dir.join(format!("excel-fuzz-{}.{extension}", std::process::id()))
}

/// calamine panics on some damaged files; the reader catches that on its
/// workbook thread and returns an error, which is the behaviour under test.
/// Any other panic still aborts, as libFuzzer's hook does.
fn abort_on_our_panics_only() {
    let fuzzer_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info.location().is_some_and(|l| l.file().contains("calamine")) {
            fuzzer_hook(info);
        }
    }));
}

fuzz_target!(init: abort_on_our_panics_only(), |data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let (bytes, extension) = if first & 1 == 0 {
        (rest.to_vec(), EXTENSIONS[usize::from(first >> 1) % EXTENSIONS.len()])
    } else {
        (patched(PARTS[usize::from(first >> 1) % PARTS.len()], rest), "xlsx")
    };
    let path = path(extension);
    std::fs::write(&path, &bytes).unwrap();
    let sheet = (first & 0x80 != 0).then_some("2");
    let opened = ReaderBuilder::new().sheet(sheet).from_path(&path);
    let mut rdr = match opened {
        Ok(rdr) => rdr,
        Err(_) => return,
    };
    assert!(!rdr.sheets().is_empty(), "an open workbook has a sheet");
    let width = rdr.columns().len();
    let mut row = Row::new();
    loop {
        match rdr.read_row(&mut row) {
            Ok(true) => assert!(row.len() <= width, "a row wider than its header"),
            Ok(false) => break,
            Err(e) if e.is_reject() => {}
            Err(_) => break,
        }
    }
});
