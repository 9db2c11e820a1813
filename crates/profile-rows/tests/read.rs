//! The reader against public conformance data and our quirk fixtures, each
//! case at three buffer sizes so chunk boundaries fall everywhere.

use std::collections::BTreeMap;
use std::path::Path;

mod common;

use common::{read_at_every_capacity, testdata};
use profile_rows::{Detection, Error, ErrorKind, ReaderBuilder, Row, RowReader};

/// Everything a reader yields: rows, and rejects as (line, message, fields).
#[derive(Clone, Debug, Default, PartialEq)]
struct Read {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    rejects: Vec<(u64, String, Vec<String>)>,
}

fn drain(mut rdr: RowReader) -> Result<Read, Error> {
    let mut out = Read {
        header: rdr.columns().names().map(String::from).collect(),
        ..Read::default()
    };
    let mut row = Row::new();
    loop {
        match rdr.read_row(&mut row) {
            Ok(true) => out.rows.push(row.iter().map(String::from).collect()),
            Ok(false) => return Ok(out),
            Err(e) if e.is_reject() => out.rejects.push((
                row.line(),
                e.to_string(),
                row.iter().map(String::from).collect(),
            )),
            Err(e) => return Err(e),
        }
    }
}

/// Reads `path` at every capacity (all must agree) and returns the result.
fn read_with(path: &Path, configure: impl Fn(&mut ReaderBuilder)) -> Result<Read, Error> {
    read_at_every_capacity(path, configure, drain)
}

fn read(rel: &str) -> Result<Read, Error> {
    read_with(&testdata(rel), |_| {})
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---- csv-spectrum -------------------------------------------------------

#[test]
fn csv_spectrum_all_cases() {
    let dir = testdata("conformance/csv-spectrum");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.join("csvs")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        if name == "location_coordinates" {
            continue; // broken upstream: its JSON does not match its CSV (see README)
        }
        let expected: Vec<BTreeMap<String, String>> =
            serde_json::from_slice(&std::fs::read(dir.join(format!("json/{name}.json"))).unwrap())
                .unwrap();
        let got = read_with(&path, |b| {
            b.delimiter(Some(b','));
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(got.rejects.is_empty(), "{name}: {:?}", got.rejects);
        let got: Vec<BTreeMap<String, String>> = got
            .rows
            .iter()
            .map(|r| got.header.iter().cloned().zip(r.iter().cloned()).collect())
            .collect();
        assert_eq!(got, expected, "{name}");
        // The sniffer must agree with the given delimiter on every case.
        let sniffed = read_with(&path, |_| {}).unwrap();
        assert_eq!(sniffed.rows.len(), expected.len(), "{name} sniffed");
        checked += 1;
    }
    assert_eq!(checked, 11);
}

// ---- Apache Commons CSV: CSVFileParser ------------------------------------

#[test]
fn commons_csv_file_parser_all_control_files() {
    let dir = testdata("conformance/apache-commons-csv-fileparser/CSVFileParser");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let fname = path.file_name().unwrap().to_str().unwrap().to_string();
        if !fname.starts_with("test") || !fname.ends_with(".txt") {
            continue;
        }
        let control = std::fs::read_to_string(&path).unwrap();
        let mut lines = control.lines().filter(|l| !l.starts_with('#'));
        let mut settings = lines.next().unwrap().split(' ');
        let input = dir.join(settings.next().unwrap());
        let (mut ignore_empty, mut trim, mut comment, mut check_comments) =
            (false, false, None, false);
        for s in settings {
            match s.split_once('=') {
                Some(("IgnoreEmpty", v)) => ignore_empty = v == "true",
                Some(("IgnoreSpaces", v)) => trim = v == "true",
                Some(("CommentStart", v)) => comment = Some(v.as_bytes()[0]),
                None if s == "CheckComments" => check_comments = true,
                _ => panic!("{fname}: unknown setting {s}"),
            }
        }
        lines.next(); // Java's CSVFormat.toString()
        let expected: Vec<String> = lines
            .map(|l| match l.find("]#") {
                // We check records; the comment text Commons attaches is its own feature.
                Some(i) if check_comments => l[..=i].to_string(),
                _ => l.to_string(),
            })
            .collect();
        let got = read_with(&input, |b| {
            b.has_header(false)
                .delimiter(Some(b','))
                .skip_blank_lines(ignore_empty)
                .trim(trim)
                .comment(comment);
        })
        .unwrap_or_else(|e| panic!("{fname}: {e}"));
        let got: Vec<String> = got
            .rows
            .iter()
            .map(|r| format!("{}:[{}]", r.len(), r.join(", ")))
            .collect();
        assert_eq!(got, expected, "{fname}");
        checked += 1;
    }
    assert_eq!(checked, 7);
}

#[test]
fn commons_bom_csv_header_lookup() {
    let got = read("conformance/apache-commons-csv-fileparser/CSVFileParser/bom.csv").unwrap();
    assert_eq!(got.header[0], "Date");
    assert_eq!(got.rows.len(), 251);
    assert!(got.rejects.is_empty());
}

// ---- real exports ---------------------------------------------------------

#[test]
fn salesforce_bom_files_in_three_encodings() {
    for enc in ["UTF8", "UTF16LE", "UTF16BE"] {
        let rel = format!("conformance/real-exports/salesforce-dataloader_csvtext_BOM_{enc}.csv");
        let got = read(&rel).unwrap();
        assert_eq!(
            got.header,
            strs(&["column1", "column2", "column3"]),
            "{enc}"
        );
        assert_eq!(
            got.rows,
            vec![
                strs(&["row1-1", "row1-2", "row1-3"]),
                strs(&["row2-1", "row2-2", "row2-3"])
            ],
            "{enc}"
        );
    }
}

#[test]
fn salesforce_account_data_is_windows_1252() {
    let path = testdata("conformance/real-exports/salesforce-dataloader_accountData.csv");
    let rdr = ReaderBuilder::new().from_path(&path).unwrap();
    assert_eq!(rdr.info().encoding.name(), "windows-1252");
    assert_eq!(rdr.info().delimiter, b',');
    let got = read_with(&path, |_| {}).unwrap();
    assert_eq!(got.header.len(), 38);
    assert_eq!(got.header[0], "ID");
    assert_eq!(got.rows.len(), 423);
    assert!(got.rejects.is_empty());
    let all: String = got.rows.iter().flatten().map(String::as_str).collect();
    assert!(all.contains("Crédito"), "é decoded");
    assert!(all.contains("5º"), "º decoded");
}

#[test]
fn other_real_exports_sniff_and_read_whole() {
    for (file, delimiter, fields, rows) in [
        ("shopware_customers.csv", b';', 34, 5),
        ("shopware_products.csv", b';', 46, 60),
        ("medusa_exported-products-semicolon.csv", b';', 56, 3),
        ("medusa_exported-products-comma.csv", b',', 56, 3),
        ("krayin-crm_persons.csv", b',', 6, 2),
        ("ghost_member-csv-export.csv", b',', 11, 2),
    ] {
        let path = testdata(&format!("conformance/real-exports/{file}"));
        let rdr = ReaderBuilder::new().from_path(&path).unwrap();
        assert_eq!(rdr.info().delimiter, delimiter, "{file}");
        let got = read_with(&path, |_| {}).unwrap();
        assert_eq!((got.header.len(), got.rows.len()), (fields, rows), "{file}");
        assert!(got.rejects.is_empty(), "{file}: {:?}", got.rejects);
    }
    let semi = read("conformance/real-exports/medusa_exported-products-semicolon.csv").unwrap();
    let comma = read("conformance/real-exports/medusa_exported-products-comma.csv").unwrap();
    assert_eq!(semi, comma);
    assert!(semi.rows[0]
        .iter()
        .any(|v| v == "test-product-description\ntest line 2"));
}

// ---- quirk fixtures -------------------------------------------------------

#[test]
fn utf8_bom_semicolon() {
    let got = read("utf8-bom-semicolon.csv").unwrap();
    assert_eq!(got.header, strs(&["Email", "FirstName", "City"]));
    assert_eq!(got.rows[0], strs(&["anne@example.com", "Anne", "Zürich"]));
    assert_eq!(got.rows[1], strs(&["bob@example.com", "Bob; Jr.", "Köln"]));
}

#[test]
fn windows_1252_semicolon() {
    let got = read("windows-1252-semicolon.csv").unwrap();
    assert_eq!(got.header, strs(&["Email", "Name", "Note"]));
    assert_eq!(
        got.rows[0],
        strs(&["rene@example.com", "René Maës", "Über € 12,50 ’t"])
    );
    assert_eq!(
        got.rows[1],
        strs(&["zoe@example.com", "Zoë", "café; \"quoted\""])
    );
}

#[test]
fn utf16le_bom_tab() {
    let path = testdata("utf16le-bom-tab.csv");
    let rdr = ReaderBuilder::new().from_path(&path).unwrap();
    assert_eq!(rdr.info().encoding.name(), "UTF-16LE");
    assert_eq!(rdr.info().delimiter, b'\t');
    let got = read("utf16le-bom-tab.csv").unwrap();
    assert_eq!(got.header, strs(&["Email", "Name", "City"]));
    assert_eq!(got.rows[1], strs(&["li@example.com", "李雷", "北京"]));
}

#[test]
fn pipe() {
    let got = read("pipe.csv").unwrap();
    assert_eq!(got.rows[0], strs(&["ann@example.com", "Ann", "a|b"]));
}

#[test]
fn gzip_by_magic_bytes() {
    let path = testdata("gzip-orders.csv.gz");
    let rdr = ReaderBuilder::new().from_path(&path).unwrap();
    assert!(rdr.info().gzip);
    let got = read("gzip-orders.csv.gz").unwrap();
    assert_eq!(got.header, strs(&["Email", "Order.OrderID", "Order.Total"]));
    assert_eq!(got.rows.len(), 3);
    // The magic bytes decide, not the name.
    let bytes = std::fs::read(&path).unwrap();
    let rdr = ReaderBuilder::new().from_bytes(bytes).unwrap();
    assert!(rdr.info().gzip);
    assert_eq!(rdr.columns().collection(1), Some("Order"));
}

#[test]
fn a_damaged_gzip_stream_fails_alike_whatever_the_buffer() {
    // Found by the csv_reader fuzz target: flate2 given small buffers
    // reported the damage before the invalid UTF-8 that precedes it, so
    // the error depended on the buffer size.
    let err = read("damaged-gzip.csv.gz").unwrap_err();
    assert_eq!(err.to_string(), "corrupt deflate stream");
}

#[test]
fn ragged_rows_are_rejected_not_padded() {
    let got = read("ragged.csv").unwrap();
    assert_eq!(got.rows.len(), 2);
    assert_eq!(got.rows[1][0], "di@example.com");
    assert_eq!(
        got.rejects,
        vec![
            (
                3,
                "line 3: row has 2 fields, the header has 3".into(),
                strs(&["bo@example.com", "Bo"])
            ),
            (
                4,
                "line 4: row has 4 fields, the header has 3".into(),
                strs(&["cy@example.com", "Cy", "Delft", "extra"])
            ),
        ]
    );
}

#[test]
fn duplicate_header() {
    let err = read("duplicate-header.csv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "header name \"Name\" appears twice, in columns 2 and 4"
    );
}

#[test]
fn empty_header_name() {
    let err = read("empty-header-name.csv").unwrap_err();
    assert_eq!(err.to_string(), "column 2 of the header has an empty name");
}

#[test]
fn decimal_commas() {
    let got = read("decimal-commas.csv").unwrap();
    assert_eq!(got.header, strs(&["Product", "Price", "Weight"]));
    assert_eq!(got.rows[2], strs(&["Pot, large", "24,00", "1,5"]));
}

#[test]
fn unclosed_quote_rejects_the_last_record() {
    let got = read("unclosed-quote.csv").unwrap();
    assert_eq!(got.rows, vec![strs(&["ann@example.com", "fine"])]);
    assert_eq!(got.rejects.len(), 1);
    assert_eq!(got.rejects[0].0, 3);
    assert_eq!(
        got.rejects[0].1,
        "line 3: quoted field is not closed before the end of the input"
    );
    assert_eq!(got.rejects[0].2[1], "never closed\ncy@example.com,lost?\n");
}

#[test]
fn invalid_utf8_after_valid_multibyte_is_an_error_not_a_guess() {
    let err = read("utf8-invalid-after-multibyte.csv").unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MixedEncoding { line: 3, byte: 49 }),
        "{err:?}"
    );
    // The same from a stream, once read that far.
    let bytes = std::fs::read(testdata("utf8-invalid-after-multibyte.csv")).unwrap();
    let mut rdr = ReaderBuilder::new().from_bytes(bytes).unwrap();
    let mut row = Row::new();
    assert!(rdr.read_row(&mut row).unwrap());
    assert_eq!(row.get(1), Some("Zoë"));
    let err = rdr.read_row(&mut row).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MixedEncoding { line: 3, byte: 49 }),
        "{err:?}"
    );
    // --lossy reads on as UTF-8, with U+FFFD for the bad byte.
    let got = read_with(&testdata("utf8-invalid-after-multibyte.csv"), |b| {
        b.lossy(true);
    })
    .unwrap();
    assert_eq!(
        got.rows,
        vec![
            strs(&["ann@example.com", "Zoë"]),
            strs(&["bo@example.com", "Bo\u{FFFD}"])
        ]
    );
}

#[test]
fn strict_utf8_names_line_and_byte() {
    // windows-1252 bytes read as UTF-8 because the user said so.
    let err = read_with(&testdata("windows-1252-semicolon.csv"), |b| {
        b.encoding(Some("utf-8"));
    })
    .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Encoding {
                line: 2,
                byte: 37,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "line 2, byte 37: invalid UTF-8 byte sequence"
    );
    // Lossy: U+FFFD where the bad bytes were, nothing else changed.
    let got = read_with(&testdata("windows-1252-semicolon.csv"), |b| {
        b.encoding(Some("utf-8")).lossy(true);
    })
    .unwrap();
    assert_eq!(got.rows[0][1], "Ren\u{FFFD} Ma\u{FFFD}s");
}

#[test]
fn encoding_label_overrides_detection() {
    // Plain ASCII-compatible bytes, read as latin1 on request.
    let got = read_with(&testdata("windows-1252-semicolon.csv"), |b| {
        b.encoding(Some("latin1"));
    })
    .unwrap();
    assert_eq!(got.rows[0][1], "René Maës");
    let err = ReaderBuilder::new()
        .encoding(Some("klingon"))
        .from_bytes(b"a\n".to_vec())
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown encoding label \"klingon\"");
}

#[test]
fn a_windows_1252_byte_after_megabytes_of_ascii_makes_the_input_windows_1252() {
    // Read as UTF-8 until the first invalid byte; all before it was ASCII,
    // which reads the same in windows-1252, so that is what the input is.
    let mut data = b"Email,Name\n".to_vec();
    let line = b"someone@example.com,Someone\n";
    let n = (1 << 20) / line.len() + 10;
    for _ in 0..n {
        data.extend_from_slice(line);
    }
    data.extend_from_slice(b"late@example.com,Lat\xE9\n");
    for (name, rdr) in [
        ("stream", ReaderBuilder::new().from_bytes(data.clone())),
        ("file", {
            let path = std::env::temp_dir().join(format!("late-1252-{}.csv", std::process::id()));
            std::fs::write(&path, &data).unwrap();
            let rdr = ReaderBuilder::new().from_path(&path);
            std::fs::remove_file(&path).unwrap();
            rdr
        }),
    ] {
        let mut rdr = rdr.unwrap();
        assert_eq!(rdr.info().encoding.name(), "UTF-8", "{name}");
        let mut row = Row::new();
        let (mut rows, mut last) = (0, String::new());
        while rdr.read_row(&mut row).unwrap() {
            rows += 1;
            last = row.get(1).unwrap().to_string();
        }
        assert_eq!((rows, last.as_str()), (n + 1, "Laté"), "{name}");
        assert_eq!(rdr.info().encoding.name(), "windows-1252", "{name}");
        assert_eq!(rdr.info().encoding.detection, Detection::NotUtf8, "{name}");
    }
}

#[test]
fn empty_input_has_no_header() {
    let err = ReaderBuilder::new().from_bytes(Vec::new()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::EmptyInput));
}

#[test]
fn header_names_are_trimmed_and_dotted_names_are_collections() {
    let rdr = ReaderBuilder::new()
        .from_bytes(b" Email , Order.OrderID ,Order.Item.Sku\n".to_vec())
        .unwrap();
    let c = rdr.columns();
    assert_eq!(
        c.names().collect::<Vec<_>>(),
        ["Email", "Order.OrderID", "Order.Item.Sku"]
    );
    assert_eq!(
        c.groups(),
        vec![
            (None, vec!["Email"]),
            (Some("Order"), vec!["OrderID", "Item.Sku"])
        ]
    );
}

#[test]
fn cr_only_line_breaks_are_lines() {
    // Old Mac line breaks, a lone CR inside a quoted field, and one CRLF.
    let got = read("cr-only-mac.csv").unwrap();
    assert_eq!(got.header, strs(&["Email", "Name", "Note"]));
    assert_eq!(got.rows.len(), 3);
    assert_eq!(got.rows[1][2], "two\rlines");
    let lines: Vec<(u64, String)> = got.rejects.iter().map(|r| (r.0, r.1.clone())).collect();
    assert_eq!(
        lines,
        vec![
            (3, "line 3: row has 2 fields, the header has 3".to_string()),
            (6, "line 6: row has 2 fields, the header has 3".to_string()),
        ]
    );
}

// ---- Legacy encodings, guessed ----------------------------------------

/// A realistic export in `encoding`: contacts with names and cities of one
/// language, ASCII header and e-mail addresses, `;` and decimal commas.
fn legacy_export(names: &[&str], cities: &[&str], rows: usize) -> String {
    let mut s = String::from("Email;Naam;Stad;Bedrag;Opmerking\n");
    for i in 0..rows {
        let name = names[i % names.len()];
        let city = cities[(i / names.len()) % cities.len()];
        s.push_str(&format!(
            "user{i}@example.com;{name};{city};{},{:02};{name} uit {city}\n",
            i % 900,
            i % 100
        ));
    }
    s
}

#[test]
fn legacy_encodings_are_guessed_not_assumed() {
    let cases: &[(&encoding_rs::Encoding, &[&str], &[&str])] = &[
        (
            encoding_rs::WINDOWS_1250,
            &[
                "Łukasz Wójcik",
                "Zofia Kamińska",
                "Paweł Dąbrowski",
                "Jiří Novák",
                "Dvořák Růžena",
                "Šárka Černá",
            ],
            &[
                "Łódź",
                "Kraków",
                "Gdańsk",
                "Brno",
                "Plzeň",
                "České Budějovice",
            ],
        ),
        (
            encoding_rs::WINDOWS_1251,
            &[
                "Иван Петров",
                "Мария Смирнова",
                "Алексей Кузнецов",
                "Ольга Попова",
            ],
            &["Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург"],
        ),
        (
            encoding_rs::WINDOWS_1252,
            &[
                "Zoë de Vries",
                "Jürgen Müller",
                "Hélène Dubois",
                "François Lefèvre",
                "Sjoerd Ĳzerman",
                "Chloé Bäcker",
            ],
            &[
                "Liège",
                "München",
                "Köln",
                "Besançon",
                "Düsseldorf",
                "Genève",
            ],
        ),
    ];
    let dir = std::env::temp_dir().join(format!("profile-rows-legacy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (encoding, names, cities) in cases {
        let text = legacy_export(names, cities, 3_000).replace('Ĳ', "IJ");
        let (bytes, _, unmappable) = encoding.encode(&text);
        assert!(!unmappable, "{}", encoding.name());
        let path = dir.join(format!("{}.csv", encoding.name()));
        std::fs::write(&path, &bytes).unwrap();
        for cap in [7, 64 * 1024] {
            let mut b = ReaderBuilder::new();
            b.buffer_capacity(cap);
            let mut rdr = b.from_path(&path).unwrap();
            let mut row = Row::new();
            let mut got = String::from("Email;Naam;Stad;Bedrag;Opmerking\n");
            while rdr.read_row(&mut row).unwrap() {
                got.push_str(&row.iter().collect::<Vec<_>>().join(";"));
                got.push('\n');
            }
            assert_eq!(
                rdr.info().encoding.name(),
                encoding.name(),
                "capacity {cap}"
            );
            assert_eq!(rdr.info().encoding.detection, Detection::NotUtf8);
            assert_eq!(got, text, "{} at capacity {cap}", encoding.name());
        }
        // A stream, read once: the same guess.
        let rdr = ReaderBuilder::new()
            .from_reader(std::io::Cursor::new(bytes.into_owned()))
            .unwrap();
        let mut rdr = rdr;
        let mut row = Row::new();
        while rdr.read_row(&mut row).unwrap() {}
        assert_eq!(rdr.info().encoding.name(), encoding.name(), "stream");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shift_jis_thunderbird_names_come_out_exactly() {
    let got = read("conformance/real-exports/thunderbird-addressbook-shiftjis-crlf.csv").unwrap();
    assert_eq!(got.header.len(), 37);
    assert_eq!(got.rows.len(), 1);
    assert_eq!(
        got.rows[0][..3],
        strs(&["権兵衛", "名無し", "名無しの権兵衛"])
    );
    assert_eq!(got.rows[0][4], "名無しの権兵衛@host.invalid");
    let rdr = ReaderBuilder::new()
        .from_path(testdata(
            "conformance/real-exports/thunderbird-addressbook-shiftjis-crlf.csv",
        ))
        .unwrap();
    assert_eq!(rdr.info().encoding.name(), "Shift_JIS");
    assert_eq!(
        rdr.warnings(),
        ["the header ends with a delimiter (column 38 has no name): that empty last column is dropped from every row"]
    );
}

#[test]
fn ascii_stays_utf8_and_the_label_still_wins() {
    let got = ReaderBuilder::new()
        .from_bytes(b"a,b\n1,2\n".to_vec())
        .unwrap();
    assert_eq!(got.info().encoding.name(), "UTF-8");
    let mut b = ReaderBuilder::new();
    b.encoding(Some("windows-1250"));
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("Имя,Город\nИван,Москва\n");
    let mut rdr = b.from_bytes(bytes.into_owned()).unwrap();
    assert_eq!(rdr.info().encoding.name(), "windows-1250");
    let mut row = Row::new();
    assert!(rdr.read_row(&mut row).unwrap());
}
