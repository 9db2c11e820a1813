//! Workbooks built here with rust_xlsxwriter, read back through calamine.

use std::io::{Read as _, Write};
use std::path::PathBuf;

use profile_rows::{ErrorKind, Format, ReaderBuilder, Row, RowReader, Visibility};
use rust_xlsxwriter::{Format as CellFormat, Formula, Workbook};

/// A file in the temp folder, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let dir = std::env::temp_dir().join(format!("profile-rows-excel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A sheet row: its number, and its fields or its reject reason.
type Read = (u64, Result<Vec<String>, String>);

/// Every row as (sheet row, fields) or (sheet row, reject reason).
fn read_all(rdr: &mut RowReader) -> Vec<Read> {
    let mut row = Row::new();
    let mut out = Vec::new();
    loop {
        match rdr.read_row(&mut row) {
            Ok(true) => out.push((row.line(), Ok(row.iter().map(str::to_string).collect()))),
            Ok(false) => return out,
            Err(e) if e.is_reject() => {
                out.push((e.position().unwrap().line, Err(e.to_string())));
            }
            Err(e) => panic!("{e}"),
        }
    }
}

fn names(rdr: &RowReader) -> Vec<String> {
    (0..rdr.columns().len())
        .map(|i| rdr.columns().name(i).to_string())
        .collect()
}

fn ok(line: u64, fields: &[&str]) -> Read {
    (line, Ok(fields.iter().map(|s| s.to_string()).collect()))
}

fn every_kind() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    let dmy = CellFormat::new().set_num_format("dd/mm/yyyy");
    let datetime = CellFormat::new().set_num_format("dd/mm/yyyy hh:mm:ss");
    let time = CellFormat::new().set_num_format("hh:mm");
    let money = CellFormat::new().set_num_format("#,##0.00");
    let header = [
        "Email", "Zip", "Count", "Price", "Born", "Joined", "Seen", "At", "Optin", "Sum",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "ann@example.com").unwrap();
    ws.write_string(1, 1, "00932").unwrap();
    ws.write_number(1, 2, 3.0).unwrap();
    ws.write_number_with_format(1, 3, 0.1, &money).unwrap();
    ws.write_number_with_format(1, 4, 45943.0, &date).unwrap();
    ws.write_number_with_format(1, 5, 45943.0, &dmy).unwrap();
    ws.write_number_with_format(1, 6, 45943.541, &datetime)
        .unwrap();
    ws.write_number_with_format(1, 7, 0.75, &time).unwrap();
    ws.write_boolean(1, 8, true).unwrap();
    ws.write_formula(1, 9, Formula::new("=C2*2").set_result("6"))
        .unwrap();
    // Row 3 is empty and skipped; row 4 has an error cell.
    ws.write_string(3, 0, "bob@example.com").unwrap();
    ws.write_number(3, 2, -2.5).unwrap();
    ws.write_boolean(3, 8, false).unwrap();
    ws.write_formula(3, 9, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    ws.write_string(4, 0, "cy@example.com").unwrap();
    ws.write_number(4, 2, 12345678901.0).unwrap();
    ws.write_number_with_format(4, 6, 45943.0, &datetime)
        .unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn every_cell_kind_becomes_text_as_designed() {
    let file = TempFile::new("kinds.xlsx", &every_kind());
    let mut rdr = ReaderBuilder::new().from_path(&file.0).unwrap();
    assert_eq!(rdr.info().format, Format::Excel);
    assert_eq!(rdr.sheet().unwrap().name, "Sheet1");
    assert_eq!(
        names(&rdr),
        ["Email", "Zip", "Count", "Price", "Born", "Joined", "Seen", "At", "Optin", "Sum"]
    );
    let rows = read_all(&mut rdr);
    assert_eq!(
        rows,
        [
            ok(
                2,
                &[
                    "ann@example.com",
                    "00932",
                    "3",
                    "0.1",
                    "2025-10-13",
                    "2025-10-13",
                    "2025-10-13 12:59:02",
                    "18:00:00",
                    "true",
                    "6"
                ]
            ),
            (4, Err("Sheet1!J4: #N/A".to_string())),
            ok(
                5,
                &[
                    "cy@example.com",
                    "",
                    "12345678901",
                    "",
                    "",
                    "",
                    "2025-10-13 00:00:00",
                    "",
                    "",
                    ""
                ]
            ),
        ]
    );
}

#[test]
fn a_rejected_error_row_keeps_its_record() {
    let mut rdr = ReaderBuilder::new().from_bytes(every_kind()).unwrap();
    let mut row = Row::new();
    assert!(rdr.read_row(&mut row).unwrap());
    let err = rdr.read_row(&mut row).unwrap_err();
    assert!(err.is_reject());
    assert_eq!(row.line(), 4);
    assert_eq!(row.get(0), Some("bob@example.com"));
    assert_eq!(row.get(2), Some("-2.5"));
    assert_eq!(row.get(9), Some("#N/A"));
    assert_eq!(row.len(), 10);
    // Reading goes on after the reject.
    assert!(rdr.read_row(&mut row).unwrap());
    assert_eq!(row.line(), 5);
}

#[test]
fn a_stream_is_recognised_by_its_magic_bytes_and_spooled() {
    let bytes = every_kind();
    let mut rdr = ReaderBuilder::new()
        .from_reader(std::io::Cursor::new(bytes.clone()))
        .unwrap();
    assert_eq!(rdr.info().format, Format::Excel);
    let from_stream = read_all(&mut rdr);
    let file = TempFile::new("same.xlsx", &bytes);
    let from_file = read_all(&mut ReaderBuilder::new().from_path(&file.0).unwrap());
    assert_eq!(from_stream, from_file);
    // A file without the extension is recognised too.
    let file = TempFile::new("export.bin", &bytes);
    let mut rdr = ReaderBuilder::new().from_path(&file.0).unwrap();
    assert_eq!(read_all(&mut rdr), from_file);
}

/// The workbook with one replacement in one of its XML parts.
fn patched(xlsx: &[u8], part: &str, from: &str, to: &str) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut text = Vec::new();
        f.read_to_end(&mut text).unwrap();
        if name == part {
            let s = String::from_utf8(text).unwrap();
            assert!(s.contains(from), "{s}");
            text = s.replacen(from, to, 1).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&text).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Sets `date1904` in the workbook's properties, as Excel for Mac did.
fn with_1904_epoch(xlsx: &[u8]) -> Vec<u8> {
    patched(
        xlsx,
        "xl/workbook.xml",
        "<workbookPr",
        "<workbookPr date1904=\"1\"",
    )
}

#[test]
fn a_1904_workbook_gives_the_same_days() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    let datetime = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm");
    ws.write_string(0, 0, "Born").unwrap();
    ws.write_string(0, 1, "Seen").unwrap();
    // In the 1904 system, 2025-10-13 is serial 44481.
    ws.write_number_with_format(1, 0, 44481.0, &date).unwrap();
    ws.write_number_with_format(1, 1, 44481.25, &datetime)
        .unwrap();
    let plain = wb.save_to_buffer().unwrap();
    let rows_1900 = read_all(&mut ReaderBuilder::new().from_bytes(plain.clone()).unwrap());
    assert_eq!(rows_1900, [ok(2, &["2021-10-12", "2021-10-12 06:00:00"])]);
    let mac = with_1904_epoch(&plain);
    let rows_1904 = read_all(&mut ReaderBuilder::new().from_bytes(mac).unwrap());
    assert_eq!(rows_1904, [ok(2, &["2025-10-13", "2025-10-13 06:00:00"])]);
}

#[test]
fn an_inflated_used_range_reads_in_bounded_memory() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Email").unwrap();
    ws.write_string(1, 0, "ann@example.com").unwrap();
    ws.write_string(2, 0, "bob@example.com").unwrap();
    // One formatted, empty cell at the sheet's last cell: the declared used
    // range is 17 billion cells, which a dense range could never hold.
    let bold = CellFormat::new().set_bold();
    ws.write_blank(1_048_575, 16_383, &bold).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let mut rdr = ReaderBuilder::new().from_bytes(bytes).unwrap();
    assert_eq!(rdr.sheets()[0].used_range.as_deref(), Some("A1:XFD1048576"));
    assert_eq!(
        read_all(&mut rdr),
        [ok(2, &["ann@example.com"]), ok(3, &["bob@example.com"])]
    );
}

#[test]
fn a_cell_past_column_xfd_is_an_error_not_a_huge_row() {
    // Found by the excel_reader fuzz target: a damaged reference put one
    // cell millions of columns to the right, and the row was built densely.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Email").unwrap();
    ws.write_string(1, 0, "ann@example.com").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let bad = patched(
        &bytes,
        "xl/worksheets/sheet1.xml",
        "r=\"A2\"",
        "r=\"CCCCC2\"",
    );
    // The header and the first chunk of rows are read on opening.
    let Err(err) = ReaderBuilder::new().from_bytes(bad) else {
        panic!("a cell at column CCCCC was read");
    };
    assert!(!err.is_reject());
    assert!(
        err.to_string()
            .ends_with("cell CCCCC2 lies past column XFD, the last a sheet has"),
        "{err}"
    );
}

#[test]
fn merged_cells_give_their_value_in_the_first_cell() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "Name").unwrap();
    ws.write_string(0, 1, "Nick").unwrap();
    ws.write_string(0, 2, "Email").unwrap();
    ws.merge_range(1, 0, 1, 1, "Ann", &CellFormat::new())
        .unwrap();
    ws.write_string(1, 2, "ann@example.com").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let rows = read_all(&mut ReaderBuilder::new().from_bytes(bytes).unwrap());
    assert_eq!(rows, [ok(2, &["Ann", "", "ann@example.com"])]);
}

fn three_sheets() -> Vec<u8> {
    let mut wb = Workbook::new();
    let hidden = wb.add_worksheet();
    hidden.set_name("Lookup").unwrap();
    hidden.write_string(0, 0, "Code").unwrap();
    hidden.write_string(1, 0, "NL").unwrap();
    hidden.set_hidden(true);
    let contacts = wb.add_worksheet();
    contacts.set_name("Contacts").unwrap();
    contacts.write_string(0, 0, "Email").unwrap();
    contacts.write_string(1, 0, "ann@example.com").unwrap();
    contacts.set_active(true);
    let header_only = wb.add_worksheet();
    header_only.set_name("2024").unwrap();
    header_only.write_string(0, 0, "Email").unwrap();
    header_only.write_string(0, 1, "Name").unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn hidden_sheets_are_listed_and_the_first_visible_one_is_read() {
    let bytes = three_sheets();
    let mut rdr = ReaderBuilder::new().from_bytes(bytes.clone()).unwrap();
    let sheets: Vec<(String, Visibility, Option<String>)> = rdr
        .sheets()
        .iter()
        .map(|s| (s.name.clone(), s.visibility, s.used_range.clone()))
        .collect();
    assert_eq!(
        sheets,
        [
            ("Lookup".into(), Visibility::Hidden, Some("A1:A2".into())),
            ("Contacts".into(), Visibility::Visible, Some("A1:A2".into())),
            ("2024".into(), Visibility::Visible, Some("A1:B1".into())),
        ]
    );
    assert_eq!(rdr.sheet().unwrap().name, "Contacts");
    assert_eq!(read_all(&mut rdr), [ok(2, &["ann@example.com"])]);

    // By number, hidden sheets included.
    let mut rdr = ReaderBuilder::new()
        .sheet(Some("1"))
        .from_bytes(bytes.clone())
        .unwrap();
    assert_eq!(names(&rdr), ["Code"]);
    assert_eq!(read_all(&mut rdr), [ok(2, &["NL"])]);

    // A sheet named like a number wins over the number; a header only
    // gives columns and no rows.
    let mut rdr = ReaderBuilder::new()
        .sheet(Some("2024"))
        .from_bytes(bytes.clone())
        .unwrap();
    assert_eq!(names(&rdr), ["Email", "Name"]);
    assert_eq!(read_all(&mut rdr), []);

    let err = ReaderBuilder::new()
        .sheet(Some("Orders"))
        .from_bytes(bytes.clone())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the workbook has no sheet named \"Orders\"; its sheets: 1 \"Lookup\", 2 \"Contacts\", 3 \"2024\""
    );
    let err = ReaderBuilder::new()
        .sheet(Some("4"))
        .from_bytes(bytes)
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NoSheet { .. }), "{err}");
}

fn sheet_of(rows: &[&[&str]]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn header_mistakes_name_the_column_letter() {
    let bytes = sheet_of(&[&["Email", " ", "Name"], &["a@example.com", "x", "Ann"]]);
    let err = ReaderBuilder::new().from_bytes(bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Sheet1!B1: column B of the header has an empty name"
    );
    assert!(!err.is_reject());
    assert!(err.hint().unwrap().contains("--skip-lines"));

    let bytes = sheet_of(&[&["Email", "Name", "Email "]]);
    let err = ReaderBuilder::new().from_bytes(bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Sheet1!C1: header name \"Email\" appears twice, in columns A and C"
    );
}

#[test]
fn trailing_empty_columns_are_ignored_and_values_past_the_header_rejected() {
    let bytes = sheet_of(&[
        &["Email", "Name", ""],
        &["a@example.com", "Ann"],
        &["b@example.com", "", "", "", "stray"],
        &["c@example.com"],
    ]);
    let mut rdr = ReaderBuilder::new().from_bytes(bytes).unwrap();
    assert_eq!(names(&rdr), ["Email", "Name"]);
    assert_eq!(
        read_all(&mut rdr),
        [
            ok(2, &["a@example.com", "Ann"]),
            (
                3,
                Err("Sheet1!E3: a value in column E, which has no name in the header".into())
            ),
            ok(4, &["c@example.com", ""]),
        ]
    );
}

#[test]
fn skip_lines_counts_sheet_rows_and_empty_rows_are_skipped() {
    let bytes = sheet_of(&[
        &["Export of 2026-12-01"],
        &[],
        &["Email", "Name"],
        &[],
        &["a@example.com", "Ann"],
    ]);
    let mut rdr = ReaderBuilder::new()
        .skip_lines(2)
        .from_bytes(bytes.clone())
        .unwrap();
    assert_eq!(names(&rdr), ["Email", "Name"]);
    assert_eq!(read_all(&mut rdr), [ok(5, &["a@example.com", "Ann"])]);
    // Without skipping, the title is the header, one name wide.
    let mut rdr = ReaderBuilder::new().from_bytes(bytes).unwrap();
    assert_eq!(names(&rdr), ["Export of 2026-12-01"]);
    let rows = read_all(&mut rdr);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|(_, r)| r.is_err()), "{rows:?}");
}

#[test]
fn a_sheet_larger_than_a_chunk_comes_out_in_order() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "n").unwrap();
    for r in 1..=5000u32 {
        ws.write_number(r, 0, r as f64).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let rows = read_all(&mut ReaderBuilder::new().from_bytes(bytes).unwrap());
    assert_eq!(rows.len(), 5000);
    for (i, (line, fields)) in rows.iter().enumerate() {
        assert_eq!(*line, i as u64 + 2);
        assert_eq!(fields.as_ref().unwrap()[0], (i + 1).to_string());
    }
}

#[test]
fn bytes_that_are_not_a_workbook_are_an_error() {
    let file = TempFile::new("broken.xlsx", b"PK\x03\x04 this is not a zip archive");
    let err = ReaderBuilder::new().from_path(&file.0).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Workbook(_)), "{err}");
    assert!(err.to_string().contains(".xlsx"), "{err}");
    let file = TempFile::new("text.xlsx", b"Email\nann@example.com\n");
    assert!(ReaderBuilder::new().from_path(&file.0).is_err());
    // Forced, a CSV is not a workbook either.
    let err = ReaderBuilder::new()
        .format(Some(Format::Excel))
        .from_bytes(b"Email\nann@example.com\n".to_vec())
        .unwrap_err();
    assert!(err.to_string().contains("not a workbook"), "{err}");
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/workbooks")
        .join(name)
}

fn rows_of(path: &std::path::Path) -> (Vec<String>, Vec<Read>) {
    let mut rdr = ReaderBuilder::new().from_path(path).unwrap();
    (names(&rdr), read_all(&mut rdr))
}

#[test]
fn workbooks_saved_by_libreoffice_give_the_rows_of_their_csv() {
    let (csv_names, csv_rows) = rows_of(&fixture("contacts.csv"));
    assert_eq!(csv_rows.len(), 4);
    for name in ["contacts.xlsx", "contacts.xls", "contacts.ods"] {
        let (names, rows) = rows_of(&fixture(name));
        assert_eq!((&names, &rows), (&csv_names, &csv_rows), "{name}");
    }
}

#[test]
fn date_cells_follow_their_number_format_in_every_kind() {
    // dates.xlsx: the same serials under a date, a date-time, a time, an
    // elapsed-time and a day-first format; .xls and .ods saved from it by
    // LibreOffice, whose number formats are read from the file itself.
    let (csv_names, csv_rows) = rows_of(&fixture("dates.csv"));
    assert_eq!(csv_rows.len(), 9);
    for name in ["dates.xlsx", "dates.xls", "dates.ods"] {
        let (names, rows) = rows_of(&fixture(name));
        assert_eq!((&names, &rows), (&csv_names, &csv_rows), "{name}");
        // From a stream, the spooled copy is read for the formats too.
        let file = std::fs::File::open(fixture(name)).unwrap();
        let mut rdr = ReaderBuilder::new().from_reader(file).unwrap();
        assert_eq!(read_all(&mut rdr), csv_rows, "{name} from a stream");
    }
}

/// One `.xlsb` record: a type of one or two bytes, a size of up to four,
/// seven bits each (MS-XLSB 2.1.4), then the body.
fn record(out: &mut Vec<u8>, ty: u16, body: &[u8]) {
    if ty < 0x80 {
        out.push(ty as u8);
    } else {
        out.extend([(ty & 0x7F) as u8 | 0x80, (ty >> 7) as u8]);
    }
    let mut len = body.len();
    loop {
        let b = (len & 0x7F) as u8;
        len >>= 7;
        if len == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(body);
}

/// An XLWideString: a count of UTF-16 units, then the units.
fn wide(s: &str) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out = (units.len() as u32).to_le_bytes().to_vec();
    out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    out
}

/// A minimal `.xlsb`, written record by record because no writer at hand
/// makes one: sheet "Dates" with a header (`what`, `value`) and rows of a
/// text and a number; the number is a BrtCellReal, or a BrtCellRk when it
/// is whole, under cell format `xf` (0: General; `n` > 0: `formats[n - 1]`).
fn xlsb(formats: &[&str], rows: &[(&str, f64, u32)]) -> Vec<u8> {
    let mut styles = Vec::new();
    record(&mut styles, 0x0267, &(formats.len() as u32).to_le_bytes()); // BrtBeginFmts
    for (i, code) in formats.iter().enumerate() {
        let mut body = (164 + i as u16).to_le_bytes().to_vec();
        body.extend(wide(code));
        record(&mut styles, 0x002C, &body); // BrtFmt
    }
    record(&mut styles, 0x0268, &[]);
    record(
        &mut styles,
        0x0269,
        &(formats.len() as u32 + 1).to_le_bytes(),
    ); // BrtBeginCellXFs
    for xf in 0..=formats.len() {
        let ifmt: u16 = if xf == 0 { 0 } else { 163 + xf as u16 };
        let mut body = 0xFFFFu16.to_le_bytes().to_vec();
        body.extend(ifmt.to_le_bytes());
        body.extend([0u8; 12]);
        record(&mut styles, 0x002F, &body); // BrtXF
    }
    record(&mut styles, 0x026A, &[]);

    let mut book = Vec::new();
    record(&mut book, 0x0083, &[]); // BrtBeginBook
    record(&mut book, 0x008F, &[]); // BrtBeginBundleShs
    let mut sheet = [0u32.to_le_bytes(), 1u32.to_le_bytes()].concat();
    sheet.extend(wide("rId1"));
    sheet.extend(wide("Dates"));
    record(&mut book, 0x009C, &sheet); // BrtBundleSh
    record(&mut book, 0x0090, &[]); // BrtEndBundleShs
    record(&mut book, 0x009D, &[]); // BrtCalcProp

    let mut data = Vec::new();
    record(&mut data, 0x0081, &[]); // BrtBeginSheet
    let dims: Vec<u8> = [0u32, rows.len() as u32, 0, 1]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    record(&mut data, 0x0094, &dims); // BrtWsDim
    record(&mut data, 0x0091, &[]); // BrtBeginSheetData
    let text = |data: &mut Vec<u8>, col: u32, s: &str| {
        let mut body = [col.to_le_bytes(), 0u32.to_le_bytes()].concat();
        body.extend(wide(s));
        record(data, 0x0006, &body); // BrtCellSt
    };
    let row = |data: &mut Vec<u8>, r: u32| {
        let mut body = r.to_le_bytes().to_vec();
        body.extend([0u8; 13]);
        record(data, 0x0000, &body); // BrtRowHdr
    };
    row(&mut data, 0);
    text(&mut data, 0, "what");
    text(&mut data, 1, "value");
    for (i, (what, value, xf)) in rows.iter().enumerate() {
        row(&mut data, i as u32 + 1);
        text(&mut data, 0, what);
        let mut body = [1u32.to_le_bytes(), xf.to_le_bytes()].concat();
        if value.fract() == 0.0 {
            body.extend(((*value as i32) << 2 | 2).to_le_bytes());
            record(&mut data, 0x0002, &body); // BrtCellRk, an integer
        } else {
            body.extend(value.to_le_bytes());
            record(&mut data, 0x0005, &body); // BrtCellReal
        }
    }
    record(&mut data, 0x0092, &[]); // BrtEndSheetData

    let rels = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/>"#,
        r#"</Relationships>"#
    );
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in [
        ("xl/workbook.bin", &book[..]),
        ("xl/_rels/workbook.bin.rels", rels.as_bytes()),
        ("xl/styles.bin", &styles[..]),
        ("xl/worksheets/sheet1.bin", &data[..]),
    ] {
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn xlsb_date_cells_follow_their_number_format() {
    let formats = [
        "yyyy-mm-dd",
        "yyyy-mm-dd hh:mm:ss",
        "hh:mm:ss",
        "[hh]:mm:ss",
    ];
    let bytes = xlsb(
        &formats,
        &[
            ("date whole", 45000.0, 1),
            ("date with fraction", 45000.75, 1),
            ("datetime midnight", 45000.0, 2),
            ("datetime", 45000.5, 2),
            ("time over a day", 1.25, 3),
            ("elapsed", 1.25, 4),
            ("plain number", 45000.0, 0),
        ],
    );
    let file = TempFile::new("dates.xlsb", &bytes);
    let mut rdr = ReaderBuilder::new().from_path(&file.0).unwrap();
    assert_eq!(rdr.book_kind(), Some(profile_rows::BookKind::Xlsb));
    assert_eq!(names(&rdr), ["what", "value"]);
    assert_eq!(
        read_all(&mut rdr),
        [
            ok(2, &["date whole", "2023-03-15"]),
            ok(3, &["date with fraction", "2023-03-15"]),
            ok(4, &["datetime midnight", "2023-03-15 00:00:00"]),
            ok(5, &["datetime", "2023-03-15 12:00:00"]),
            ok(6, &["time over a day", "06:00:00"]),
            ok(7, &["elapsed", "30:00:00"]),
            ok(8, &["plain number", "45000"]),
        ]
    );
}
