//! End-to-end tests of the binary: one test binary, a temp-dir harness, and
//! machine output parsed back and compared.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_copernica-import"))
}

fn testdata(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
        .display()
        .to_string()
}

/// A fresh, empty directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "copernica-import-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn ndjson(text: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn convert_ndjson_keeps_column_order_and_strings() {
    let o = run(&["convert", &testdata("contacts-orders.csv")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = ndjson(&stdout(&o));
    assert_eq!(rows.len(), 7);
    let keys: Vec<&str> = rows[0].keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "Email",
            "FirstName",
            "LastName",
            "City",
            "Newsletter",
            "Order.OrderID",
            "Order.Date",
            "Order.Total",
            "Order.Status"
        ]
    );
    assert_eq!(rows[3]["Order.Total"], "1,299.00");
    assert_eq!(rows[4]["Order.Status"], "gift note: \"Voor jou!\"");
    assert_eq!(rows[6]["Order.Status"], "two-line\nnote");
    assert!(rows.iter().flat_map(|r| r.values()).all(|v| v.is_string()));
    assert!(
        stderr(&o).starts_with("converted 7 rows, 0 rejected, in "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn convert_csv_round_trips_through_the_reader() {
    let dir = temp_dir("convert-csv");
    let out = dir.join("out.csv");
    let o = run(&[
        "convert",
        "--to",
        "csv",
        &testdata("windows-1252-semicolon.csv"),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&out).unwrap();
    let text = String::from_utf8(bytes).expect("UTF-8 output");
    assert!(text.starts_with("Email,Name,Note\r\n"), "{text}");
    assert!(text.contains("\"Über € 12,50 ’t\""));
    // Read back: the same rows as converting the original to NDJSON.
    let back = run(&["convert", out.to_str().unwrap()]);
    let orig = run(&["convert", &testdata("windows-1252-semicolon.csv")]);
    assert_eq!(ndjson(&stdout(&back)), ndjson(&stdout(&orig)));
}

#[test]
fn convert_from_gzip_stdin() {
    let gz = std::fs::read(testdata("gzip-orders.csv.gz")).unwrap();
    let mut child = bin()
        .args(["convert", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&gz).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = ndjson(&stdout(&o));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2]["Order.OrderID"], "1003");
}

#[test]
fn convert_reports_and_writes_rejects() {
    let dir = temp_dir("rejects");
    let rejects = dir.join("rejects.csv");
    let o = run(&[
        "convert",
        &testdata("ragged.csv"),
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert_eq!(ndjson(&stdout(&o)).len(), 2);
    let err = stderr(&o);
    assert!(
        err.contains("ragged.csv: line 3: row has 2 fields, the header has 3 (row rejected)"),
        "{err}"
    );
    assert!(err.contains("converted 2 rows, 2 rejected"), "{err}");
    let mut r = csv::Reader::from_path(&rejects).unwrap();
    let recs: Vec<Vec<String>> = r
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(
        recs,
        vec![
            vec![
                "3".to_string(),
                "row has 2 fields, the header has 3".into(),
                "bo@example.com,Bo".into()
            ],
            vec![
                "4".to_string(),
                "row has 4 fields, the header has 3".into(),
                "cy@example.com,Cy,Delft,extra".into()
            ],
        ]
    );
}

#[test]
fn inspect_json_describes_the_export() {
    let o = run(&["inspect", &testdata("contacts-orders.csv"), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["encoding"], "UTF-8");
    assert_eq!(v["delimiter"], ",");
    assert_eq!(v["gzip"], false);
    assert_eq!(v["rows"], 7);
    assert_eq!(v["rejected"], 0);
    assert_eq!(
        v["profile_fields"],
        serde_json::json!(["Email", "FirstName", "LastName", "City", "Newsletter"])
    );
    assert_eq!(
        v["collections"],
        serde_json::json!([{"name": "Order", "fields": ["OrderID", "Date", "Total", "Status"]}])
    );
}

#[test]
fn inspect_text_names_encoding_delimiter_and_rejects() {
    let o = run(&["inspect", &testdata("windows-1252-semicolon.csv")]);
    let out = stdout(&o);
    assert!(
        out.contains("encoding:   windows-1252 (not valid UTF-8)"),
        "{out}"
    );
    assert!(out.contains("delimiter:  ; (sniffed)"), "{out}");
    let o = run(&["inspect", &testdata("utf16le-bom-tab.csv")]);
    let out = stdout(&o);
    assert!(
        out.contains("encoding:   UTF-16LE (byte order mark)"),
        "{out}"
    );
    assert!(out.contains("delimiter:  tab (sniffed)"), "{out}");
    let o = run(&["inspect", &testdata("ragged.csv")]);
    let out = stdout(&o);
    assert!(
        out.contains("rejected:   2\n  line 3: row has 2 fields, the header has 3\n"),
        "{out}"
    );
    let o = run(&["inspect", &testdata("gzip-orders.csv.gz")]);
    assert!(stdout(&o).contains("format:     csv (gzip)"));
}

#[test]
fn unusable_input_exits_2_with_one_line_and_a_hint() {
    let o = run(&["convert", &testdata("duplicate-header.csv")]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let file = testdata("duplicate-header.csv");
    assert_eq!(
        err,
        format!(
            "copernica-import: {file}: header name \"Name\" appears twice, in columns 2 and 4\n  hint: every column needs its own name in the first row\n"
        )
    );
    assert!(stdout(&o).is_empty());

    let o = run(&[
        "inspect",
        &testdata("windows-1252-semicolon.csv"),
        "--encoding",
        "utf-8",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(
        "windows-1252-semicolon.csv: line 2, byte 37: invalid UTF-8 byte sequence\n  hint: "
    ));

    let o = run(&["convert", "no-such-file.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("copernica-import: no-such-file.csv: "));
}

#[test]
fn bad_arguments_exit_2() {
    let o = run(&["convert", &testdata("pipe.csv"), "--delimiter", "ab"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["convert", &testdata("pipe.csv"), "--to", "xml"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn lossy_and_delimiter_options_reach_the_reader() {
    let o = run(&[
        "convert",
        &testdata("windows-1252-semicolon.csv"),
        "--encoding",
        "utf-8",
        "--lossy",
    ]);
    assert!(o.status.success());
    assert_eq!(ndjson(&stdout(&o))[0]["Name"], "Ren\u{FFFD} Ma\u{FFFD}s");
    // Forcing `,` on a semicolon file gives one column per line.
    let o = run(&[
        "convert",
        &testdata("decimal-commas.csv"),
        "--delimiter",
        "tab",
    ]);
    let rows = ndjson(&stdout(&o));
    assert_eq!(rows[0].keys().next().unwrap(), "Product;Price;Weight");
}
