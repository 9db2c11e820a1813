//! JSON and NDJSON input: quirk fixtures, the same profiles in three
//! formats, and JSONTestSuite. Every case runs at three buffer sizes.

use std::path::Path;

mod common;

use common::{read_at_every_capacity, testdata, CAPACITIES};
use profile_rows::{Error, ErrorKind, Format, ReaderBuilder, Row, RowReader};

type Pairs = Vec<(String, String)>;

#[derive(Clone, Debug, PartialEq)]
struct Read {
    rows: Vec<Pairs>,
    rejects: Vec<(u64, String, String)>,
}

fn drain(mut rdr: RowReader) -> Result<Read, Error> {
    let mut out = Read {
        rows: vec![],
        rejects: vec![],
    };
    let mut row = Row::new();
    loop {
        match rdr.read_row(&mut row) {
            Ok(true) => out.rows.push(
                (0..row.len())
                    .map(|i| {
                        (
                            rdr.columns().name(row.column(i)).to_string(),
                            row.get(i).unwrap().to_string(),
                        )
                    })
                    .collect(),
            ),
            Ok(false) => return Ok(out),
            Err(e) if e.is_reject() => {
                out.rejects
                    .push((row.line(), e.to_string(), row.iter().collect()))
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads `input` at every capacity (all must agree) and returns the result.
fn read_with(input: &Path, configure: impl Fn(&mut ReaderBuilder)) -> Result<Read, Error> {
    read_at_every_capacity(input, configure, drain)
}

fn read(rel: &str) -> Result<Read, Error> {
    read_with(&testdata(rel), |_| {})
}

fn pairs(v: &[(&str, &str)]) -> Pairs {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn orders_explode() {
    let got = read("orders-explode.ndjson").unwrap();
    assert_eq!(
        got.rows,
        vec![
            pairs(&[
                ("Email", "ann@example.com"),
                ("Name", "Ann"),
                ("Order.OrderID", "A-1"),
                ("Order.Total", "12.50")
            ]),
            pairs(&[
                ("Email", "ann@example.com"),
                ("Name", "Ann"),
                ("Order.OrderID", "A-2"),
                ("Order.Total", "3.99")
            ]),
            pairs(&[
                ("Email", "bo@example.com"),
                ("Name", "Bo"),
                ("Order.OrderID", "B-1"),
                ("Order.Total", "1e3")
            ]),
        ]
    );
    let rdr = ReaderBuilder::new()
        .from_path(testdata("orders-explode.ndjson"))
        .unwrap();
    assert_eq!(rdr.info().format, Format::Ndjson);
}

#[test]
fn empty_orders() {
    let got = read("empty-orders.json").unwrap();
    assert_eq!(
        got.rows,
        vec![
            pairs(&[("Email", "ann@example.com"), ("Name", "Ann")]),
            pairs(&[("Email", "bo@example.com"), ("Name", "Bo")]),
            pairs(&[
                ("Email", "cy@example.com"),
                ("Name", "Cy"),
                ("Order.OrderID", "C-1")
            ]),
        ]
    );
}

#[test]
fn numbers_text() {
    let got = read("numbers-text.json").unwrap();
    assert_eq!(
        got.rows,
        vec![pairs(&[
            ("Email", "n@example.com"),
            ("a", "12.50"),
            ("b", "1e3"),
            ("c", "-0"),
            ("d", "12345678901234567890"),
            ("e", "0.1e-7"),
            ("t", "true"),
            ("f", "false"),
            ("z", ""),
        ])]
    );
}

#[test]
fn unicode_escapes() {
    let got = read("unicode-escapes.ndjson").unwrap();
    assert_eq!(got.rows.len(), 2, "the blank CRLF line is skipped");
    assert_eq!(got.rows[0][1].1, "René 𝄞");
    assert_eq!(got.rows[0][2].1, "line1\nline2\t\"q\" \\ /");
    assert_eq!(
        got.rows[1],
        pairs(&[("Email", "v@example.com"), ("Name", "Zoë"), ("Note", "€")])
    );
}

#[test]
fn scalar_array() {
    let got = read("scalar-array.json").unwrap();
    assert_eq!(
        got.rows,
        vec![pairs(&[
            ("Email", "s@example.com"),
            ("Tags", "vip,newsletter,7,true,")
        ])]
    );
    let got = read_with(&testdata("scalar-array.json"), |b| {
        b.array_join("|");
    })
    .unwrap();
    assert_eq!(got.rows[0][1].1, "vip|newsletter|7|true|");
}

#[test]
fn not_an_object_line() {
    let got = read("not-an-object-line.ndjson").unwrap();
    let emails: Vec<&str> = got.rows.iter().map(|r| r[0].1.as_str()).collect();
    assert_eq!(emails, ["a@example.com", "b@example.com"]);
    assert_eq!(
        got.rejects,
        vec![
            (
                2,
                "line 2: the value is a string, not an object".into(),
                "\"just a string\"".into()
            ),
            (
                3,
                "line 3: the value is an array, not an object".into(),
                "[{\"Email\":\"in-an-array@example.com\"}]".into()
            ),
            (
                4,
                "line 4: the value is a number, not an object".into(),
                "42".into()
            ),
        ]
    );
}

#[test]
fn malformed_middle() {
    let err = read("malformed-middle.ndjson").unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Json {
                line: 3,
                column: 37,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "line 3, column 37: expected a member name in double quotes"
    );
}

#[test]
fn malformed_array_positions() {
    for (text, expected) in [
        (
            "[{\"a\":1},\n {\"a\":2}\n {\"a\":3}]",
            "line 3, column 2: expected ',' or ']' after an array element",
        ),
        (
            "[{\"a\":1},]",
            "line 1, column 10: trailing comma before ']'",
        ),
        (
            "[{\"a\":1}",
            "line 1, column 9: unexpected end of input: the array is not closed",
        ),
        (
            "[{\"a\":1}] x",
            "line 1, column 11: trailing characters after the array",
        ),
        (
            "[{\"a\":\n\"unterminated}]",
            "line 2, column 16: unexpected end of input in a string",
        ),
    ] {
        for cap in CAPACITIES {
            let got = ReaderBuilder::new()
                .buffer_capacity(cap)
                .format(Some(Format::Json))
                .from_bytes(text.as_bytes().to_vec())
                .and_then(drain);
            assert_eq!(
                got.unwrap_err().to_string(),
                expected,
                "{text:?} capacity {cap}"
            );
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let mut deep = "{\"a\":".repeat(100_000);
    deep.push('1');
    deep.push_str(&"}".repeat(100_000));
    let err = ReaderBuilder::new()
        .from_bytes(deep.into_bytes())
        .and_then(drain)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("nesting is deeper than 128 levels"),
        "{err}"
    );
}

#[test]
fn windows_1252_and_utf16_json() {
    let text = "[{\"Email\":\"z@example.com\",\"Name\":\"Zoë €\"}]";
    let (cp, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    for bytes in [cp.into_owned(), utf16] {
        let got = ReaderBuilder::new()
            .from_bytes(bytes)
            .and_then(drain)
            .unwrap();
        assert_eq!(
            got.rows,
            vec![pairs(&[("Email", "z@example.com"), ("Name", "Zoë €")])]
        );
    }
}

#[test]
fn same_profiles_as_csv_ndjson_and_array_give_identical_rows() {
    let csv = "Email,Name,Order.OrderID,Order.Total\n\
               a@x.nl,Ann,1,12.50\n\
               a@x.nl,Ann,2,3.99\n\
               b@x.nl,\"Bo \"\"B\"\"\",3,1e3\n\
               c@x.nl,Cy,4,0\n";
    let objects = [
        r#"{"Email":"a@x.nl","Name":"Ann","Order":[{"OrderID":"1","Total":12.50},{"OrderID":2,"Total":3.99}]}"#,
        r#"{"Email":"b@x.nl","Name":"Bo \"B\"","Order":[{"OrderID":"3","Total":1e3}]}"#,
        r#"{"Email":"c@x.nl","Name":"Cy","Order":{"OrderID":"4","Total":0}}"#,
    ];
    let ndjson = objects.join("\n");
    let array = format!("[\n  {}\n]\n", objects.join(",\n  "));
    let mut results = Vec::new();
    for text in [csv.to_string(), ndjson, array] {
        for cap in CAPACITIES {
            let got = ReaderBuilder::new()
                .buffer_capacity(cap)
                .from_bytes(text.clone().into_bytes())
                .and_then(drain)
                .unwrap();
            assert!(got.rejects.is_empty());
            results.push(got.rows);
        }
    }
    assert_eq!(results[0].len(), 4);
    for r in &results[1..] {
        assert_eq!(r, &results[0]);
    }
}

#[test]
fn large_arrays_stream_element_by_element() {
    // 200,000 elements through a 7-byte buffer: the reader never holds more
    // than one element (the allocation test shows the same for memory).
    struct Gen(usize, Vec<u8>, usize);
    impl std::io::Read for Gen {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.2 == self.1.len() {
                if self.0 == 200_000 {
                    return Ok(0);
                }
                self.1.clear();
                self.2 = 0;
                let sep = if self.0 == 0 { "[" } else { "," };
                self.1.extend_from_slice(
                    format!(
                        "{sep}{{\"Email\":\"u{}@x.nl\",\"Order\":[{{\"Id\":{}}}]}}",
                        self.0, self.0
                    )
                    .as_bytes(),
                );
                self.0 += 1;
                if self.0 == 200_000 {
                    self.1.push(b']');
                }
            }
            let n = buf.len().min(self.1.len() - self.2);
            buf[..n].copy_from_slice(&self.1[self.2..self.2 + n]);
            self.2 += n;
            Ok(n)
        }
    }
    let mut rdr = ReaderBuilder::new()
        .buffer_capacity(7)
        .format(Some(Format::Json))
        .from_reader(Gen(0, vec![], 0))
        .unwrap();
    let mut row = Row::new();
    let mut n = 0;
    while rdr.read_row(&mut row).unwrap() {
        assert_eq!(row.get(1).unwrap(), n.to_string());
        n += 1;
    }
    assert_eq!(n, 200_000);
}

// ---- JSONTestSuite --------------------------------------------------------

/// JSON is UTF-8 (RFC 8259 8.1), so the suite is read as UTF-8: its files
/// with bad bytes are about UTF-8, not about our windows-1252 fallback.
fn suite_file(path: &Path) -> Result<Read, Error> {
    read_with(path, |b| {
        b.encoding(Some("utf-8")).format(Some(Format::Json));
    })
}

#[test]
fn json_test_suite() {
    let dir = testdata("conformance/json-test-suite/test_parsing");
    let mut counts = [0usize; 3];
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let result = std::panic::catch_unwind(|| suite_file(&path));
        let result = result.unwrap_or_else(|_| panic!("{name}: panicked"));
        match &name[..2] {
            "n_" => {
                counts[0] += 1;
                match result {
                    Err(e) => assert!(
                        matches!(
                            e.kind(),
                            ErrorKind::Json { .. } | ErrorKind::Encoding { .. }
                        ),
                        "{name}: {e:?}"
                    ),
                    Ok(r) => panic!("{name}: accepted: {r:?}"),
                }
            }
            "y_" => {
                counts[1] += 1;
                // Rows, rejects (a scalar or an array at the top), never a syntax error.
                if let Err(e) = &result {
                    assert!(!matches!(e.kind(), ErrorKind::Json { .. }), "{name}: {e}");
                }
            }
            _ => counts[2] += 1, // i_: anything but a panic or a hang
        }
    }
    assert_eq!(counts, [188, 95, 35]);
}

/// Every row as (column id, value) pairs, the rejects, the error, and the
/// column table: what must not depend on the number of parser threads.
fn raw_read(input: &[u8], threads: usize, capacity: usize) -> (Vec<String>, Vec<String>) {
    let mut rdr = ReaderBuilder::new()
        .parse_threads(threads)
        .buffer_capacity(capacity)
        .from_bytes(input.to_vec())
        .unwrap();
    let mut row = Row::new();
    let mut got = Vec::new();
    loop {
        let fields: Vec<(usize, String)> = match rdr.read_row(&mut row) {
            Ok(false) => break,
            Ok(true) => (0..row.len())
                .map(|i| (row.column(i), row.get(i).unwrap().to_string()))
                .collect(),
            Err(e) if e.is_reject() => vec![(usize::MAX, format!("{e} {:?}", row.get(0)))],
            Err(e) => {
                got.push(format!("error: {e}"));
                break;
            }
        };
        got.push(format!("{} {:?}", row.line(), fields));
    }
    (got, rdr.columns().names().map(String::from).collect())
}

#[test]
fn parser_threads_give_the_same_rows_columns_rejects_and_errors() {
    // Many blocks (a 1 KiB buffer makes blocks of a few values), columns
    // that appear late and in other orders, rejects, and an error at the end.
    let mut input = String::new();
    for i in 0..3000 {
        match i % 97 {
            13 => input.push_str("[1,2]\n"),
            29 => input.push_str(&format!(
                "{{\"Email\":\"d{i}@x.nl\",\"Email\":\"again\"}}\n"
            )),
            _ => {
                let extra = if i % 5 == 0 {
                    format!(",\"K{}\":\"{i}\"", i % 11)
                } else {
                    String::new()
                };
                let orders: Vec<String> = (0..i % 3)
                    .map(|k| format!("{{\"ID\":\"{i}-{k}\"}}"))
                    .collect();
                input.push_str(&format!(
                    "{{\"Email\":\"u{i}@x.nl\"{extra},\"Order\":[{}]}}\n",
                    orders.join(",")
                ));
            }
        }
    }
    let clean = raw_read(input.as_bytes(), 0, 64 * 1024);
    assert!(clean.0.len() > 3000 && clean.1.len() == 13, "{:?}", clean.1);
    assert!(clean.0.iter().any(|l| l.contains("18446744073709551615")));
    input.push_str("{\"Email\":\"last@x.nl\",}\n{\"Email\":\"after@x.nl\"}\n");
    let expected = raw_read(input.as_bytes(), 0, 64 * 1024);
    assert!(
        expected.0.last().unwrap().starts_with("error: line 3001"),
        "{:?}",
        expected.0.last()
    );
    for threads in [2, 3] {
        for capacity in [1024, 64 * 1024] {
            assert_eq!(
                raw_read(input.as_bytes(), threads, capacity),
                expected,
                "{threads} threads, {capacity}"
            );
        }
    }
}

// ---- --records: wrapped API dumps -------------------------------------

#[test]
fn records_pointer_reads_wrapped_dumps_at_every_capacity() {
    let path = testdata("conformance/real-exports/shopify-admin-api-order-line-items.json");
    let got = common::read_at_every_capacity(
        &path,
        |b| {
            b.records(Some("/order/line_items"));
        },
        |mut rdr| {
            let mut row = profile_rows::Row::new();
            let mut rows = Vec::new();
            while rdr.read_row(&mut row)? {
                let fields: Vec<(String, String)> = (0..row.len())
                    .map(|i| {
                        (
                            rdr.columns().name(row.column(i)).to_string(),
                            row.get(i).unwrap().to_string(),
                        )
                    })
                    .collect();
                rows.push(fields);
            }
            Ok(rows)
        },
    )
    .unwrap();
    assert_eq!(got.len(), 3);
    let title = |r: &Vec<(String, String)>| r.iter().find(|(k, _)| k == "title").unwrap().1.clone();
    assert!(got.iter().all(|r| title(r) == "IPod Nano - 8gb"));
    assert!(got[0].iter().any(|(k, v)| k == "price" && v == "199.00"));

    let path = testdata("conformance/real-exports/shopify-admin-api-customers-search.json");
    let got = common::read_at_every_capacity(
        &path,
        |b| {
            b.records(Some("/customers"));
        },
        |mut rdr| {
            let mut row = profile_rows::Row::new();
            let mut emails = Vec::new();
            while rdr.read_row(&mut row)? {
                let c = rdr.columns().find("email").unwrap();
                emails.push(
                    (0..row.len())
                        .find(|&i| row.column(i) == c)
                        .map(|i| row.get(i).unwrap().to_string()),
                );
            }
            Ok(emails)
        },
    )
    .unwrap();
    assert_eq!(got, [Some("bob.norman@hostmail.com".to_string())]);
}

#[test]
fn records_pointer_errors_and_the_hint() {
    let read = |doc: &str, pointer: &str| -> Result<usize, String> {
        let mut b = profile_rows::ReaderBuilder::new();
        b.records(Some(pointer)).buffer_capacity(7);
        let mut rdr = b
            .from_bytes(doc.as_bytes().to_vec())
            .map_err(|e| e.to_string())?;
        let mut row = profile_rows::Row::new();
        let mut n = 0;
        while rdr.read_row(&mut row).map_err(|e| e.to_string())? {
            n += 1;
        }
        Ok(n)
    };
    let doc = r#"{"meta":{"page":1,"note":"]}"},"data":[{"a":1},{"a":2}],"total":2}"#;
    assert_eq!(read(doc, "/data"), Ok(2));
    assert_eq!(read(doc, "/meta"), Ok(1));
    assert_eq!(
        read(doc, "/missing").unwrap_err(),
        "--records /missing: / has no member \"missing\""
    );
    assert_eq!(
        read(&doc[..doc.len() - 1], "/data").unwrap_err(),
        "line 1, column 66: unexpected end of input: the document is not closed"
    );
    assert_eq!(
        read(&format!("{doc} x"), "/data").unwrap_err(),
        "line 1, column 68: trailing characters after the document"
    );
    // Without the option, a wrapped dump is one object: a warning says what to do.
    let rdr = profile_rows::ReaderBuilder::new()
        .from_bytes(r#"{"customers":[{"email":"a@x.nl"}]}"#.as_bytes().to_vec())
        .unwrap();
    assert_eq!(
        rdr.warnings(),
        ["the input is one object whose member \"customers\" is an array of objects: to read its elements as records, use --records /customers"]
    );
}
