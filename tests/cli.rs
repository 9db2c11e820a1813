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

/// Runs `batch INPUT --database 1 --out-dir OUT` and the `extra` arguments.
fn batch(input: &str, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["batch", input, "--database", "1", "--out-dir", out];
    args.extend_from_slice(extra);
    run(&args)
}

/// `batch INPUT` once per thread count, with `extra` and `--threads N`,
/// into `dir/outN`; every run must succeed. Gives the batch folders.
fn batch_per_threads(
    input: &str,
    dir: &std::path::Path,
    extra: &[&str],
    threads: &[&str],
) -> Vec<std::path::PathBuf> {
    let mut folders = Vec::new();
    for threads in threads {
        let out = dir.join(format!("out{threads}"));
        let mut args = extra.to_vec();
        args.extend(["--threads", threads]);
        let o = batch(input, out.to_str().unwrap(), &args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "--threads {threads}: {}",
            stderr(&o)
        );
        folders.push(out);
    }
    folders
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
    for (fixture, expected) in [
        (
            "windows-1252-semicolon.csv",
            "encoding:   windows-1252 (guessed: not valid UTF-8)",
        ),
        ("windows-1252-semicolon.csv", "delimiter:  ; (sniffed)"),
        (
            "utf16le-bom-tab.csv",
            "encoding:   UTF-16LE (byte order mark)",
        ),
        ("utf16le-bom-tab.csv", "delimiter:  tab (sniffed)"),
        (
            "ragged.csv",
            "rejected:   2\n  line 3: row has 2 fields, the header has 3\n",
        ),
        ("gzip-orders.csv.gz", "format:     csv (gzip)"),
    ] {
        let out = stdout(&run(&["inspect", &testdata(fixture)]));
        assert!(out.contains(expected), "{fixture}: {out}");
    }
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

// ---- batch ------------------------------------------------------------------

/// The rows of every body in `dir`, in order, checked against the manifest.
fn batch_rows(
    dir: &Path,
) -> (
    serde_json::Value,
    Vec<serde_json::Map<String, serde_json::Value>>,
) {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let max_bytes = manifest["limits"]["maxBytes"].as_u64().unwrap() as usize;
    let mut rows = Vec::new();
    let batches = manifest["batches"].as_array().unwrap();
    for (i, entry) in batches.iter().enumerate() {
        let bytes = std::fs::read(dir.join(entry["file"].as_str().unwrap())).unwrap();
        assert_eq!(bytes.len() as u64, entry["bytes"].as_u64().unwrap());
        assert!(bytes.len() <= max_bytes);
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            body["name"],
            format!(
                "{} (part {})",
                manifest["parameters"]["name"].as_str().unwrap(),
                i + 1
            )
        );
        let source: serde_json::Value = match &body["source"] {
            serde_json::Value::String(s) if body["format"] == "json" => {
                serde_json::from_str(s).unwrap()
            }
            serde_json::Value::Array(_) => body["source"].clone(),
            other => panic!("unexpected source {other}"),
        };
        let objects: Vec<_> = source
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_object().unwrap().clone())
            .collect();
        assert_eq!(objects.len() as u64, entry["rows"].as_u64().unwrap());
        rows.extend(objects);
    }
    (manifest, rows)
}

#[test]
fn batch_bodies_hold_exactly_the_rows_of_convert() {
    let dir = temp_dir("batch-json");
    let out = dir.join("out");
    let input = testdata("contacts-orders.csv");
    let o = batch(
        &input,
        out.to_str().unwrap(),
        &[
            "--action",
            "update or add",
            "--key-fields",
            "Email,Order.OrderID",
            "--max-bytes",
            "900",
            "--rebuild",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (manifest, rows) = batch_rows(&out);
    let converted = ndjson(&stdout(&run(&["convert", &input])));
    assert_eq!(rows, converted);
    assert_eq!(manifest["totals"]["rows"], 7);
    assert_eq!(manifest["totals"]["rejected"], 0);
    let n = manifest["batches"].as_array().unwrap().len();
    assert!(n > 1);
    // Anne's and Chloé's two orders each stay in one body.
    for email in ["anne.dekker@example.com", "chloé.martin@example.com"] {
        let files: std::collections::HashSet<String> = manifest["batches"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| {
                std::fs::read_to_string(out.join(b["file"].as_str().unwrap()))
                    .unwrap()
                    .contains(email)
            })
            .map(|b| b["file"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(files.len(), 1, "{email} in {files:?}");
    }
    // rebuild on the last body only; BLAKE3 as recorded (what b3sum prints).
    for (i, b) in manifest["batches"].as_array().unwrap().iter().enumerate() {
        let bytes = std::fs::read(out.join(b["file"].as_str().unwrap())).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["rebuild"], i == n - 1);
        assert_eq!(b["blake3"], blake3::hash(&bytes).to_hex().as_str());
        assert!(b.get("sha256").is_none());
    }
    assert!(!dir.read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("partial")));
}

#[test]
fn batch_rejects_go_to_the_rejects_file_and_strict_exits_1() {
    let dir = temp_dir("batch-rejects");
    let out = dir.join("out");
    let o = batch(
        &testdata("ragged.csv"),
        out.to_str().unwrap(),
        &["--source-format", "array", "--strict"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("2 rejected"));
    let (manifest, rows) = batch_rows(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(manifest["totals"]["rejected"], 2);
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
    assert!(
        rejects.contains("3,\"row has 2 fields, the header has 3\",\"bo@example.com,Bo\""),
        "{rejects}"
    );
    // Without --strict the same run exits 0.
    let out2 = dir.join("out2");
    let o = batch(&testdata("ragged.csv"), out2.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn batch_key_checks_reject_with_reasons() {
    let dir = temp_dir("batch-keys");
    let input = dir.join("keys.csv");
    std::fs::write(
        &input,
        "Email,Order.OrderID,Order.Total\na@x.nl,1,5\n,2,5\nb@x.nl,,5\nc@x.nl,,\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = batch(
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        &["--action", "update", "--key-fields", "Email,Order.OrderID"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (_, rows) = batch_rows(&out);
    let emails: Vec<&str> = rows.iter().map(|r| r["Email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["a@x.nl", "c@x.nl"]);
    let mut r = csv::Reader::from_path(out.join("rejects.csv")).unwrap();
    let recs: Vec<Vec<String>> = r
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(recs[0], ["3", "empty key field Email", ",2,5"]);
    assert_eq!(
        recs[1],
        [
            "4",
            "has fields of collection Order but an empty key field Order.OrderID",
            "b@x.nl,,5"
        ]
    );
}

#[test]
fn batch_refusals_write_nothing() {
    let dir = temp_dir("batch-refuse");
    let out = dir.join("out");
    let input = testdata("contacts-orders.csv");
    let o_dir = out.to_str().unwrap();
    // removeMissing that would need two bodies.
    let o = batch(&input, o_dir, &["--remove-missing", "--max-rows", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("removeMissing needs the whole import in one body"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "no partial folder left"
    );
    // An action that needs keys, a key that is not a column, a bad action.
    for (args, msg) in [
        (
            vec!["--action", "update"],
            "action \"update\" matches on keys: give keyFields (--key-fields)",
        ),
        (
            vec!["--action", "update", "--key-fields", "email"],
            "key field \"email\" is not a column of the input",
        ),
        (vec!["--action", "upsert"], "unknown action \"upsert\""),
        (
            vec!["--delete-target", "profile"],
            "deleteTarget goes only with action \"delete\"",
        ),
        (
            vec!["--source-format", "csv", "--source-delimiter", "|"],
            "a CSV source takes delimiter",
        ),
        (vec!["--max-bytes", "5 parsecs"], "is not a size"),
    ] {
        let o = batch(&input, o_dir, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(msg), "{args:?}: {}", stderr(&o));
        assert!(!out.exists());
    }
    // An output folder that holds something already.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let o = batch(&input, o_dir, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("the output folder exists and is not empty"));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
}

#[test]
fn batch_csv_source_and_location_base() {
    let dir = temp_dir("batch-csv");
    let out = dir.join("out");
    let o = batch(
        &testdata("windows-1252-semicolon.csv"),
        out.to_str().unwrap(),
        &[
            "--source-format",
            "csv",
            "--source-delimiter",
            ";",
            "--location-base",
            "https://files.example.com/x",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let b = &manifest["batches"][0];
    assert_eq!(b["dataFile"]["file"], "batch-00001.csv");
    let body: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("batch-00001.json")).unwrap()).unwrap();
    assert_eq!(
        body["location"],
        "https://files.example.com/x/batch-00001.csv"
    );
    assert_eq!(body["format"], "csv");
    assert_eq!(body["delimiter"], ";");
    let data = std::fs::read_to_string(out.join("batch-00001.csv")).unwrap();
    assert_eq!(data, "Email;Name;Note\nrene@example.com;René Maës;Über € 12,50 ’t\nzoe@example.com;Zoë;\"café; \"\"quoted\"\"\"\n");
    // The apostrophe in ’t is not ASCII ', so no warning; a backslash would warn.
    assert!(!stderr(&o).contains("backslash"), "{}", stderr(&o));
}

#[test]
fn batch_many_bodies_from_a_large_input() {
    // An input far larger than a body: 20,000 rows into 64 KiB bodies.
    let dir = temp_dir("batch-large");
    let input = dir.join("big.csv");
    let mut text = String::from("Email,Name,Note\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "u{i}@example.com,Name {i},\"note, with \"\"quotes\"\" and\nnewline {i}\"\n"
        ));
    }
    std::fs::write(&input, &text).unwrap();
    let out = dir.join("out");
    let o = batch(
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        &["--max-bytes", "64KiB"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (manifest, rows) = batch_rows(&out);
    assert_eq!(rows.len(), 20_000);
    let total = manifest["totals"]["bytes"].as_u64().unwrap();
    let n = manifest["batches"].as_array().unwrap().len() as u64;
    assert!(
        n >= total.div_ceil(65536) && n > 10,
        "{n} bodies for {total} bytes"
    );
    assert_eq!(
        rows[19_999]["Note"],
        "note, with \"quotes\" and\nnewline 19999"
    );
    let mut line = 2;
    for b in manifest["batches"].as_array().unwrap() {
        assert_eq!(b["firstLine"], line);
        line = b["lastLine"].as_u64().unwrap() + 2; // each record spans two lines
    }
}

// ---- JSON input -------------------------------------------------------------

#[test]
fn convert_csv_from_json_keeps_keys_that_appear_late() {
    let input = testdata("late-key.ndjson");
    let expected = "Email,Name,Order.OrderID,Late\r\na@example.com,,,\r\nb@example.com,B,,\r\nc@example.com,,9,only here\r\n";
    let o = run(&["convert", "--to", "csv", &input]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), expected);
    // From stdin too (spooled to a temporary file).
    let mut child = bin()
        .args(["convert", "--to", "csv", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&input).unwrap())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), expected);
}

#[test]
fn convert_ndjson_from_nested_json() {
    let o = run(&["convert", &testdata("orders-explode.ndjson")]);
    let rows = ndjson(&stdout(&o));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["Order.OrderID"], "A-2");
    assert_eq!(rows[1]["Name"], "Ann");
    assert_eq!(rows[2]["Order.Total"], "1e3");
    let o = run(&["inspect", "--json", &testdata("orders-explode.ndjson")]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["format"], "ndjson");
    assert!(v.get("delimiter").is_none());
    assert_eq!(
        v["collections"],
        serde_json::json!([{"name": "Order", "fields": ["OrderID", "Total"]}])
    );
}

#[test]
fn malformed_json_exits_2_naming_line_and_column() {
    let o = run(&["convert", &testdata("malformed-middle.ndjson")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "malformed-middle.ndjson: line 3, column 37: expected a member name in double quotes"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn input_format_overrides_the_extension() {
    let dir = temp_dir("input-format");
    let path = dir.join("export.txt");
    std::fs::copy(testdata("orders-explode.ndjson"), &path).unwrap();
    let o = run(&["inspect", path.to_str().unwrap()]);
    assert!(stdout(&o).contains("format:     csv"), "{}", stdout(&o));
    let o = run(&[
        "convert",
        path.to_str().unwrap(),
        "--input-format",
        "ndjson",
    ]);
    assert_eq!(ndjson(&stdout(&o)).len(), 3);
}

#[test]
fn batch_from_json_explodes_orders_into_bodies() {
    let dir = temp_dir("batch-json-input");
    let out = dir.join("out");
    let o = batch(
        &testdata("orders-explode.ndjson"),
        out.to_str().unwrap(),
        &[
            "--action",
            "update or add",
            "--key-fields",
            "Email,Order.OrderID",
            "--source-format",
            "array",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (_, rows) = batch_rows(&out);
    let converted = ndjson(&stdout(&run(&[
        "convert",
        &testdata("orders-explode.ndjson"),
    ])));
    assert_eq!(rows, converted);
    // A key field no row has is not known up front for JSON: rows are rejected, not the run.
    let out2 = dir.join("out2");
    let o = batch(
        &testdata("late-key.ndjson"),
        out2.to_str().unwrap(),
        &["--action", "update", "--key-fields", "Name"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rejects = std::fs::read_to_string(out2.join("rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 3, "{rejects}");
    assert!(rejects.contains("1,empty key field Name,"), "{rejects}");
}

// ---- upload -----------------------------------------------------------------

#[path = "support/server.rs"]
mod server;

use server::{Action, Server};

const TOKEN: &str = "SECRET-t0ken/+&=";

/// A batch folder of `n` bodies from a generated export.
fn batch_folder(name: &str, rows: usize, max_rows: usize) -> PathBuf {
    let dir = temp_dir(name);
    let input = dir.join("export.csv");
    let mut text = String::from("Email,Name\n");
    for i in 0..rows {
        text.push_str(&format!("u{i}@example.com,Name {i}\n"));
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.join("out");
    let o = batch(
        input.to_str().unwrap(),
        out.to_str().unwrap(),
        &["--max-rows", &max_rows.to_string()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    out
}

fn upload(dir: &Path, base: &str, extra: &[&str]) -> Output {
    bin()
        .args([
            "upload",
            dir.to_str().unwrap(),
            "--base-url",
            base,
            "--backoff-ms",
            "10",
        ])
        .args(extra)
        .env("COPERNICA_ACCESS_TOKEN", TOKEN)
        .output()
        .unwrap()
}

/// Every file of a batch folder, by name: (name, bytes).
fn folder_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn bodies(dir: &Path) -> Vec<Vec<u8>> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    manifest["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| std::fs::read(dir.join(b["file"].as_str().unwrap())).unwrap())
        .collect()
}

/// The bodies the server accepted, in order.
fn accepted(server: &Server) -> Vec<Vec<u8>> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.accepted)
        .map(|r| r.body)
        .collect()
}

fn assert_no_token(o: &Output, dir: &Path) {
    let all = format!("{}{}", stdout(o), stderr(o));
    assert!(!all.contains("SECRET"), "token in output: {all}");
    if let Ok(state) = std::fs::read_to_string(dir.join("upload-state.json")) {
        assert!(!state.contains("SECRET"));
    }
}

#[test]
fn upload_posts_every_body_once_in_order_through_faults() {
    let dir = batch_folder("upload-faults", 10, 2);
    let server = Server::start(vec![
        Action::status(503, "busy"),
        Action::Respond {
            status: 429,
            headers: vec![("Retry-After".into(), "1".into())],
            body: String::new(),
            delay: std::time::Duration::ZERO,
        },
        Action::Close,
    ]);
    let started = std::time::Instant::now();
    let o = upload(&dir, &server.base(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(
        accepted(&server),
        bodies(&dir),
        "each body accepted once, in order, byte for byte"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 5 + 3, "three faults, then five bodies");
    for r in &reqs {
        assert_eq!(
            r.target,
            format!("/v3/imports?access_token={}", "SECRET-t0ken%2F%2B%26%3D")
        );
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v == "application/json"));
    }
    let err = stderr(&o);
    assert!(
        err.contains("batch-00001.json: HTTP 503; trying again"),
        "{err}"
    );
    assert!(
        err.contains("batch-00001.json: HTTP 429; trying again in 1.0 s"),
        "{err}"
    );
    assert!(err.contains("uploaded 5 batches"), "{err}");
    assert_no_token(&o, &dir);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("upload-state.json")).unwrap()).unwrap();
    let ids: Vec<&str> = state["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["importId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["100", "101", "102", "103", "104"]);

    // A rerun sends nothing.
    let o = upload(&dir, &server.base(), &[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(server.requests().len(), 8);
    assert!(stderr(&o).contains("uploaded 0 batches"), "{}", stderr(&o));
}

#[test]
fn upload_stops_on_400_with_the_api_message_and_resumes() {
    let dir = batch_folder("upload-resume", 8, 2);
    let server = Server::start(vec![]);
    // Batch 1 and 2 go through; batch 3 is refused.
    server.push(Action::Respond {
        status: 201,
        headers: vec![("X-Created".into(), "/v3/import/7".into())],
        body: String::new(),
        delay: std::time::Duration::ZERO,
    });
    server.push(Action::status(200, ""));
    server.push(Action::status(
        400,
        r#"{"error":{"message":"Invalid database"}}"#,
    ));
    let o = upload(&dir, &server.base(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("batch-00003.json: HTTP 400 from ")
            && err.contains("/v3/imports?access_token=***: Invalid database"),
        "{err}"
    );
    assert_no_token(&o, &dir);
    assert_eq!(accepted(&server).len(), 2);
    // The rerun starts at batch 3 and never resends 1 or 2.
    let o = upload(&dir, &server.base(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(accepted(&server), bodies(&dir));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("upload-state.json")).unwrap()).unwrap();
    assert_eq!(state["accepted"][0]["importId"], "7");
    assert!(state["accepted"][1]["importId"].is_null());
}

#[test]
fn upload_waits_through_a_slow_answer_without_resending() {
    let dir = batch_folder("upload-slow", 2, 1);
    let server = Server::start(vec![Action::Respond {
        status: 201,
        headers: vec![("X-Created".into(), "55".into())],
        body: String::new(),
        delay: std::time::Duration::from_millis(1500),
    }]);
    let o = upload(&dir, &server.base(), &["--timeout", "10"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(server.requests().len(), 2);
    assert_eq!(accepted(&server), bodies(&dir));
}

#[test]
fn upload_wait_polls_the_import_and_stops_on_its_error() {
    let dir = batch_folder("upload-wait", 4, 2);
    let server = Server::start(vec![Action::status(201, "")]);
    // No X-Created on the first: nothing to poll. Second: polled until finished.
    server.push(Action::Respond {
        status: 201,
        headers: vec![("X-Created".into(), "8".into())],
        body: String::new(),
        delay: std::time::Duration::ZERO,
    });
    server.push(Action::status(
        200,
        r#"{"status":"busy","totallines":"2","processedLines":"1","lasterror":false}"#,
    ));
    server.push(Action::status(
        200,
        r#"{"status":"busy","totallines":"2","processedlines":"2","lasterror":false}"#,
    ));
    let o = upload(&dir, &server.base(), &["--wait", "--poll-interval", "0.05"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("import 8: busy, 1 of 2 lines processed"),
        "{err}"
    );
    assert!(
        err.contains("import 8: busy, 2 of 2 lines processed"),
        "{err}"
    );
    let gets: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.target)
        .collect();
    assert_eq!(gets.len(), 2);
    assert!(gets[0].starts_with("/v3/import/8?access_token="));
    assert_no_token(&o, &dir);

    // An import that reports an error stops the run before the next batch.
    let dir = batch_folder("upload-wait-error", 4, 2);
    let server = Server::start(vec![
        Action::Respond {
            status: 201,
            headers: vec![("X-Created".into(), "9".into())],
            body: String::new(),
            delay: std::time::Duration::ZERO,
        },
        Action::status(
            200,
            r#"{"status":"error","totallines":"2","processedlines":"0","lasterror":"Field Email does not exist"}"#,
        ),
    ]);
    let o = upload(&dir, &server.base(), &["--wait", "--poll-interval", "0.05"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("import 9 reports an error: Field Email does not exist"),
        "{}",
        stderr(&o)
    );
    let methods: Vec<String> = server.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods,
        ["POST", "GET"],
        "the second body is not posted after the error"
    );
}

#[test]
fn upload_refuses_incomplete_or_changed_folders_and_keeps_the_token_secret() {
    let server = Server::start(vec![]);
    // No manifest.
    let dir = temp_dir("upload-nomanifest");
    let o = upload(&dir, &server.base(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no manifest.json"), "{}", stderr(&o));
    // A body changed after batch.
    let dir = batch_folder("upload-changed", 4, 2);
    std::fs::write(dir.join("batch-00002.json"), b"{}").unwrap();
    let o = upload(&dir, &server.base(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("batch-00002.json: its BLAKE3 differs from the manifest"),
        "{}",
        stderr(&o)
    );
    assert!(server.requests().is_empty(), "nothing sent");
    // No token.
    let dir = batch_folder("upload-notoken", 2, 2);
    let o = bin()
        .args([
            "upload",
            dir.to_str().unwrap(),
            "--base-url",
            &server.base(),
        ])
        .env_remove("COPERNICA_ACCESS_TOKEN")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("COPERNICA_ACCESS_TOKEN is not set"));
    // Dry run: no token needed, nothing sent.
    let o = bin()
        .args(["upload", dir.to_str().unwrap(), "--dry-run"])
        .env_remove("COPERNICA_ACCESS_TOKEN")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("batch-00001.json: would post 2 rows"),
        "{}",
        stdout(&o)
    );
    // A server that is not there: the client's own error has no token either.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let o = upload(&dir, &format!("http://{closed}/v3"), &["--tries", "2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("gave up after 2 tries"),
        "{}",
        stderr(&o)
    );
    assert_no_token(&o, &dir);
}

#[test]
fn batch_output_is_the_same_with_one_thread_and_with_several() {
    let dir = temp_dir("threads");
    let input = dir.join("in.ndjson");
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!(
            "{{\"Email\":\"u{}@x.nl\",\"Note\":\"n \\\"{i}\\\"\\n\",\"Order\":[{{\"OrderID\":\"{i}\"}},{{\"OrderID\":\"{i}b\"}}]}}\n",
            i / 3
        ));
    }
    std::fs::write(&input, text).unwrap();
    let args = [
        "--max-bytes",
        "20KB",
        "--key-fields",
        "Email",
        "--action",
        "update",
    ];
    let mut outputs = Vec::new();
    for out in batch_per_threads(input.to_str().unwrap(), &dir, &args, &["1", "2", "4"]) {
        let files = folder_files(&out);
        assert!(files.len() > 20);
        outputs.push(files);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}

/// A FIFO (as `<(zcat x.gz)` gives) can be read once only: no whole-file
/// scan, and `convert --to csv` from JSON spools it.
#[cfg(unix)]
#[test]
fn a_fifo_is_read_as_a_stream() {
    let dir = temp_dir("fifo");
    for (fixture, args, expected_lines) in [
        ("contacts-orders.csv", vec!["convert"], 7),
        ("late-key.ndjson", vec!["convert", "--to", "csv"], 4),
    ] {
        let fifo = dir.join(format!("{fixture}.fifo"));
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let data = std::fs::read(testdata(fixture)).unwrap();
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, data).unwrap())
        };
        let mut all = args.clone();
        let path = fifo.to_str().unwrap().to_string();
        all.push(&path);
        let o = run(&all);
        writer.join().unwrap();
        assert_eq!(o.status.code(), Some(0), "{fixture}: {}", stderr(&o));
        assert_eq!(
            stdout(&o).lines().count(),
            expected_lines,
            "{fixture}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn batch_stops_on_malformed_input_with_or_without_the_reader_thread() {
    for threads in ["1", "2"] {
        let dir = temp_dir(&format!("malformed-{threads}"));
        let out = dir.join("out");
        let o = batch(
            &testdata("malformed-middle.ndjson"),
            out.to_str().unwrap(),
            &["--threads", threads],
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("line 3, column 37: expected a member name in double quotes"),
            "{}",
            stderr(&o)
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "nothing left behind"
        );
        // Reader rejects keep their order and lines on both paths.
        let o = batch(
            &testdata("not-an-object-line.ndjson"),
            out.to_str().unwrap(),
            &["--threads", threads],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let lines: Vec<String> = csv::Reader::from_path(out.join("rejects.csv"))
            .unwrap()
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect();
        assert_eq!(lines, ["2", "3", "4"]);
    }
}

#[test]
fn upload_retries_a_request_that_timed_out() {
    let dir = batch_folder("upload-timeout", 4, 2);
    // The first answer comes after the client gave up: the in-flight case
    // the README describes; the body is sent again and recorded once.
    let server = Server::start(vec![Action::Respond {
        status: 201,
        headers: vec![("X-Created".into(), "1".into())],
        body: String::new(),
        delay: std::time::Duration::from_millis(2500),
    }]);
    let o = upload(&dir, &server.base(), &["--timeout", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("batch-00001.json: ") && err.contains("trying again"),
        "{err}"
    );
    let posts: Vec<Vec<u8>> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.body)
        .collect();
    let expected = bodies(&dir);
    assert_eq!(
        posts,
        vec![
            expected[0].clone(),
            expected[0].clone(),
            expected[1].clone()
        ]
    );
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("upload-state.json")).unwrap()).unwrap();
    let files: Vec<&str> = state["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["batch-00001.json", "batch-00002.json"]);
    assert_no_token(&o, &dir);
}

// ---- Mapping (`--map`), `check` and `map --init` ----

fn real_export(name: &str) -> String {
    testdata(&format!("conformance/real-exports/{name}"))
}

/// `batch` with `--map`; the bodies' rows parsed back, and the manifest.
fn mapped_batch(
    input: &str,
    map: &str,
    name: &str,
    extra: &[&str],
) -> (
    serde_json::Value,
    Vec<serde_json::Map<String, serde_json::Value>>,
    String,
) {
    let dir = temp_dir(name);
    let out = dir.join("out");
    let mut args = vec!["--map", map];
    args.extend_from_slice(extra);
    let o = batch(input, out.to_str().unwrap(), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (manifest, rows) = batch_rows(&out);
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
    (manifest, rows, rejects)
}

fn field<'a>(row: &'a serde_json::Map<String, serde_json::Value>, name: &str) -> &'a str {
    row.get(name)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no field {name} in {row:?}"))
}

#[test]
fn mailchimp_export_mapped_onto_fields() {
    let map = testdata("maps/mailchimp.toml");
    let (manifest, rows, rejects) = mapped_batch(
        &real_export("mailchimp-audience-unsubscribed-export.csv"),
        &map,
        "map-mailchimp",
        &["--key-fields", "Email", "--action", "update or add"],
    );
    assert_eq!(rows.len(), 5);
    let keys: Vec<&str> = rows[0].keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "Email",
            "FirstName",
            "LastName",
            "Rating",
            "OptinTime",
            "ConfirmTime",
            "UnsubscribedAt",
            "Tags",
            "Source"
        ]
    );
    // ` Lorem ` and ` Ipsum ` lose their spaces; the quotes in TAGS stay.
    assert_eq!(field(&rows[2], "FirstName"), "Lorem");
    assert_eq!(field(&rows[2], "LastName"), "Ipsum");
    assert_eq!(field(&rows[1], "Tags"), "\"Lorem Editors\"");
    assert_eq!(field(&rows[0], "OptinTime"), "2018-02-12 10:54:27");
    assert!(rows.iter().all(|r| field(r, "Source") == "mailchimp"));
    assert_eq!(rejects.lines().count(), 1);
    // The manifest says how the folder was made.
    let m = &manifest["mapping"];
    assert_eq!(m["file"], map.as_str());
    let hash = blake3::hash(&std::fs::read(&map).unwrap())
        .to_hex()
        .to_string();
    assert_eq!(m["blake3"], hash.as_str());
    assert_eq!(m["unmapped"], "drop");
    assert_eq!(m["timezone"], "Europe/Amsterdam");
}

#[test]
fn shopify_customers_fill_down_by_email() {
    let (_, rows, rejects) = mapped_batch(
        &real_export("shopify-customers-import-crlf-continuation-rows.csv"),
        &testdata("maps/shopify-customers.toml"),
        "map-shopify-customers",
        &["--key-fields", "Email", "--action", "update or add"],
    );
    assert_eq!(rejects.lines().count(), 1, "{rejects}");
    let got: Vec<[&str; 5]> = rows
        .iter()
        .map(|r| {
            [
                field(r, "Email"),
                field(r, "FirstName"),
                field(r, "LastName"),
                field(r, "Newsletter"),
                field(r, "Metafields.Key"),
            ]
        })
        .collect();
    assert_eq!(
        got,
        [
            ["john.doe@acme.com", "John", "Doe", "yes", "vip_status"],
            ["john.doe@acme.com", "John", "Doe", "yes", "email_list"],
            ["john.doe@acme.com", "John", "Doe", "yes", "corporate"],
            [
                "jane.doe@acme.com",
                "Jane",
                "Doe",
                "no",
                "frequent_returner"
            ],
        ]
    );
    assert_eq!(field(&rows[3], "City"), "Montreal");
}

#[test]
fn shopify_orders_fill_down_by_order_and_convert_offsets() {
    let (_, rows, rejects) = mapped_batch(
        &real_export("shopify-orders-import-multirow.csv"),
        &testdata("maps/shopify-orders.toml"),
        "map-shopify-orders",
        &["--key-fields", "Email", "--action", "update or add"],
    );
    assert_eq!(rejects.lines().count(), 1, "{rejects}");
    let got: Vec<[&str; 6]> = rows
        .iter()
        .map(|r| {
            [
                field(r, "Lines.Order"),
                field(r, "Lines.Currency"),
                field(r, "Lines.ProcessedAt"),
                field(r, "Newsletter"),
                field(r, "Lines.Quantity"),
                field(r, "Lines.Price"),
            ]
        })
        .collect();
    assert_eq!(
        got,
        [
            // 15:51:23 -08:00 is 00:51:23 the next day in Amsterdam (CET).
            ["#MA-1097", "USD", "2018-01-05 00:51:23", "yes", "2", "10"],
            ["#MA-1097", "USD", "2018-01-05 00:51:23", "yes", "3", "20"],
            ["#MA-1097", "USD", "2018-01-05 00:51:23", "yes", "", ""],
            ["#MA-1098", "USD", "2018-01-19 21:54:41", "no", "1", "30"],
        ]
    );
    assert_eq!(field(&rows[1], "Lines.FinancialStatus"), "paid");
    assert_eq!(field(&rows[3], "Lines.FinancialStatus"), "refunded");
}

#[test]
fn ghost_members_mapped_with_rfc3339_dates() {
    let (_, rows, rejects) = mapped_batch(
        &real_export("ghost_member-csv-export.csv"),
        &testdata("maps/ghost.toml"),
        "map-ghost",
        &["--key-fields", "Email", "--action", "update or add"],
    );
    assert_eq!(rejects.lines().count(), 1, "{rejects}");
    assert_eq!(rows.len(), 2);
    assert!(!rows[0].contains_key("note"));
    assert_eq!(field(&rows[0], "Created"), "2022-10-18 08:34:08");
    assert_eq!(field(&rows[1], "Created"), "2022-10-18 09:31:57");
    assert_eq!(field(&rows[0], "Newsletter"), "yes");
    assert_eq!(field(&rows[1], "Newsletter"), "no");
    assert_eq!(field(&rows[0], "Complimentary"), "true");
    assert_eq!(field(&rows[1], "Complimentary"), "");
    assert_eq!(field(&rows[1], "Tier"), "This is a Premium Tier");
}

#[test]
fn mapped_csv_ndjson_and_json_array_give_identical_bodies() {
    let dir = temp_dir("map-formats");
    let map = testdata("maps/orders.toml");
    let mut outputs = Vec::new();
    for (input, threads) in [
        ("mapped-orders.csv", "1"),
        ("mapped-orders.csv", "2"),
        ("mapped-orders.ndjson", "1"),
        ("mapped-orders.ndjson", "3"),
        ("mapped-orders.json", "1"),
        ("mapped-orders.json", "2"),
    ] {
        let out = dir.join(format!("{input}-{threads}"));
        let o = batch(
            &testdata(input),
            out.to_str().unwrap(),
            &["--map", &map, "--name", "orders", "--threads", threads],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let bodies = bodies(&out);
        let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
        let reasons: Vec<String> = csv::Reader::from_reader(rejects.as_bytes())
            .records()
            .map(|r| r.unwrap()[1].to_string())
            .collect();
        outputs.push((bodies, reasons));
    }
    for o in &outputs[1..] {
        assert_eq!(o, &outputs[0]);
    }
    let (_, rows) = batch_rows(&dir.join("mapped-orders.json-1"));
    assert_eq!(field(&rows[1], "Orders.Price"), "1299.00");
    assert_eq!(field(&rows[2], "Since"), "2019-12-31");
    assert_eq!(field(&rows[2], "Orders.sku"), "C-3");
    assert_eq!(
        outputs[0].1,
        [r#"Since "31-02-2019" is not a date in format %d-%m-%Y"#]
    );
}

#[test]
fn mapping_mistakes_stop_before_any_output() {
    let dir = temp_dir("map-mistakes");
    let input = testdata("mapped-orders.csv");
    for (text, want) in [
        (
            "[columns]\n\"Sinds\" = { field = \"Since\", type = \"dat\" }\n",
            ":2: \"Sinds\": unknown type \"dat\"; known: text, email,",
        ),
        (
            "[columns]\n\"Email Adress\" = \"Email\"\n",
            ":2: \"Email Adress\": no such column in the input",
        ),
        (
            "[columns]\n\"Naam\" = \"Email\"\n\"Email Address\" = \"Email\"\n",
            ":3: \"Email Address\": maps onto field \"Email\", as \"Naam\" on line 2 does",
        ),
    ] {
        let map = dir.join("map.toml");
        std::fs::write(&map, text).unwrap();
        let out = dir.join("out");
        let o = batch(
            &input,
            out.to_str().unwrap(),
            &["--map", map.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        let first = err.lines().next().unwrap();
        assert!(
            first.starts_with(&format!("copernica-import: {}{want}", map.display())),
            "{err}"
        );
        assert!(err.lines().nth(1).unwrap().starts_with("  hint: "), "{err}");
        assert!(!out.exists());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "only map.toml");
    }
    // JSON columns are known only at the end: still nothing is left behind.
    let map = dir.join("map.toml");
    std::fs::write(&map, "[columns]\n\"Nmae\" = \"Name\"\n").unwrap();
    let out = dir.join("out");
    let o = batch(
        &testdata("mapped-orders.ndjson"),
        out.to_str().unwrap(),
        &["--map", map.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(":2: \"Nmae\": no such column in the input"));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn strict_exits_1_on_mapping_rejects() {
    let dir = temp_dir("map-strict");
    let out = dir.join("out");
    let o = batch(
        &testdata("mapped-orders.csv"),
        out.to_str().unwrap(),
        &["--map", &testdata("maps/orders.toml"), "--strict"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(out.join("manifest.json").exists());
}

#[test]
fn convert_with_a_mapping() {
    let o = run(&[
        "convert",
        &testdata("mapped-orders.json"),
        "--map",
        &testdata("maps/orders.toml"),
        "--to",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "Email,Name,Since,Orders.sku,Orders.Price,Orders.Quantity\r\n\
         ann@example.com,Ann,2012-06-05,A-1,12.50,2\r\n\
         ann@example.com,Ann,2012-06-05,B-2,1299.00,1\r\n\
         bo@example.com,Bo,2019-12-31,C-3,0.99,10\r\n"
    );
    assert!(
        stderr(&o).contains("line 31: Since \"31-02-2019\" is not a date"),
        "{}",
        stderr(&o)
    );
    let o = run(&[
        "convert",
        &testdata("mapped-orders.csv"),
        "--map",
        &testdata("maps/orders.toml"),
    ]);
    let rows = ndjson(&stdout(&o));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1]["Orders.Price"], "1299.00");
}

#[test]
fn check_reports_fields_rejects_and_bodies() {
    let map = testdata("maps/orders.toml");
    let input = testdata("mapped-orders.csv");
    let o = run(&[
        "check",
        &input,
        "--map",
        &map,
        "--key-fields",
        "Email",
        "--action",
        "update or add",
        "--max-bytes",
        "600",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(r["rows"], 4);
    assert_eq!(r["rejected"], 1);
    assert_eq!(r["sent"], 3);
    assert_eq!(r["profiles"], 2);
    assert_eq!(r["bodies"], 2);
    assert_eq!(r["rejects"][0]["line"], 5);
    let since = r["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "Since")
        .unwrap();
    assert_eq!(since["source"], "Sinds");
    assert_eq!(since["type"], "date");
    assert_eq!(
        (since["fine"].as_u64(), since["normalized"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(since["rejected"], 1);
    assert_eq!(since["examples"]["normalized"][0]["from"], "05-06-2012");
    assert_eq!(since["examples"]["normalized"][0]["to"], "2012-06-05");
    assert_eq!(
        since["examples"]["rejected"][0]["expected"],
        "is not a date in format %d-%m-%Y"
    );
    // It writes nothing, and batch agrees on the body count.
    let dir = temp_dir("check-agrees");
    let out = dir.join("out");
    let b = batch(
        &input,
        out.to_str().unwrap(),
        &[
            "--map",
            &map,
            "--key-fields",
            "Email",
            "--action",
            "update or add",
            "--max-bytes",
            "600",
        ],
    );
    assert!(b.status.success());
    let (manifest, _) = batch_rows(&out);
    assert_eq!(manifest["totals"]["batches"], 2);

    // Text for people; exit 0 when nothing would be rejected.
    let o = run(&["check", &testdata("contacts-orders.csv")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("  Email: text\n    fine 7, normalized 0, rejected 0, empty 0\n"),
        "{text}"
    );
    assert!(text.contains("rows:       7\n"), "{text}");
    assert!(
        text.contains("bodies:     1 (--max-bytes 5MiB)\n"),
        "{text}"
    );
    // Unusable input: exit 2.
    let o = run(&["check", &testdata("duplicate-header.csv")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("copernica-import: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn map_init_names_every_column_and_hints_types() {
    let o = run(&["map", "--init", &testdata("mapped-orders.csv")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("\"Email Address\"    = \"Email Address\"\n"),
        "{text}"
    );
    assert!(text.contains("\"Sinds\"            = \"Sinds\"  # looks like a day-first date: { field = \"Sinds\", type = \"date\", format = \"%d-%m-%Y\" } (3 of 4 first values fit)"), "{text}");
    assert!(text.contains("# looks like a decimal-comma number: { field = \"line_items.price\", type = \"float\", decimal = \",\", thousands = \".\" }"), "{text}");
    // The starter file is a valid identity mapping: batch with it equals batch without.
    let dir = temp_dir("map-init");
    let map = dir.join("map.toml");
    std::fs::write(&map, &text).unwrap();
    let (a, b) = (dir.join("a"), dir.join("b"));
    let input = testdata("contacts-orders.csv");
    let o = run(&["map", "--init", &input]);
    std::fs::write(&map, stdout(&o)).unwrap();
    assert!(batch(
        &input,
        a.to_str().unwrap(),
        &["--map", map.to_str().unwrap(), "--name", "x"]
    )
    .status
    .success());
    assert!(batch(&input, b.to_str().unwrap(), &["--name", "x"])
        .status
        .success());
    assert_eq!(bodies(&a), bodies(&b));
}

// ---- Runs that cannot hurt each other; the warning without --action ----

#[test]
fn batch_without_action_warns_once_and_check_too() {
    let dir = temp_dir("no-action");
    let out = dir.join("out");
    let o = batch(&testdata("contacts-orders.csv"), out.to_str().unwrap(), &[]);
    assert!(o.status.success());
    let err = stderr(&o);
    assert_eq!(err.matches("no --action").count(), 1, "{err}");
    assert!(
        err.contains("use --action \"update or add\" --key-fields FIELD,..."),
        "{err}"
    );
    let (manifest, _) = batch_rows(&out);
    assert!(manifest["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("no --action: the bodies carry none"));
    let o = run(&["check", &testdata("contacts-orders.csv")]);
    assert_eq!(stdout(&o).matches("no --action").count(), 1);
    let o = run(&[
        "check",
        &testdata("contacts-orders.csv"),
        "--action",
        "update or add",
        "--key-fields",
        "Email",
    ]);
    assert!(!stdout(&o).contains("no --action"));
}

#[cfg(target_os = "linux")]
#[test]
fn batch_removes_partial_folders_of_dead_runs_only() {
    let dir = temp_dir("partials");
    let out = dir.join("out");
    // A process that is gone: a child that has exited.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let dead_dir = dir.join(format!(".out.partial-{dead}"));
    std::fs::create_dir_all(&dead_dir).unwrap();
    std::fs::write(dead_dir.join("batch-00001.json"), "{}").unwrap();
    // A live one: this test process.
    let live_dir = dir.join(format!(".out.partial-{}", std::process::id()));
    std::fs::create_dir_all(&live_dir).unwrap();
    let o = batch(
        &testdata("contacts-orders.csv"),
        out.to_str().unwrap(),
        &["--action", "add"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!dead_dir.exists());
    assert!(live_dir.exists());
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "removed {}, left by an earlier run (process {dead}) that did not finish",
            dead_dir.display()
        )),
        "{err}"
    );
    assert_eq!(err.matches("removed").count(), 1);
}

#[test]
fn two_uploads_of_one_folder_post_each_batch_once() {
    let dir = batch_folder("upload-twice", 6, 2);
    // The first answer is slow, so the two runs overlap.
    let server = Server::start(vec![Action::Respond {
        status: 201,
        headers: vec![("X-Created".into(), "7".into())],
        body: String::new(),
        delay: std::time::Duration::from_millis(800),
    }]);
    let spawn = || {
        bin()
            .args([
                "upload",
                dir.to_str().unwrap(),
                "--base-url",
                &server.base(),
            ])
            .env("COPERNICA_ACCESS_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut codes = [a.status.code(), b.status.code()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(2)], "{}\n{}", stderr(&a), stderr(&b));
    let refused = if a.status.code() == Some(2) { &a } else { &b };
    assert!(
        stderr(refused).contains("another upload of this folder is running; nothing was sent"),
        "{}",
        stderr(refused)
    );
    assert_eq!(
        accepted(&server),
        bodies(&dir),
        "each batch accepted exactly once"
    );
    // The lock went with the process: a third run goes through, sending nothing new.
    let o = upload(&dir, &server.base(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(accepted(&server).len(), 3);
}

#[test]
fn upload_reads_the_import_id_from_location_without_x_created() {
    let dir = batch_folder("upload-location", 2, 2);
    let server = Server::start(vec![Action::Respond {
        status: 201,
        headers: vec![(
            "Location".into(),
            "https://api.copernica.com/v3/import/4242".into(),
        )],
        body: String::new(),
        delay: std::time::Duration::ZERO,
    }]);
    let o = upload(&dir, &server.base(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("upload-state.json")).unwrap()).unwrap();
    assert_eq!(state["accepted"][0]["importId"], "4242");
}

// ---- Real exports that needed reading rules of their own ----

fn inspect_json(input: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["inspect", input, "--json"];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn datev_exports_read_with_skip_lines() {
    for (file, columns, rows, first) in [
        (
            "datev-extf-debitoren-stammdaten-cp1252.csv",
            254,
            4,
            "Konto",
        ),
        (
            "datev-extf-buchungsstapel-cp1252-decimal-comma.csv",
            120,
            2,
            "Umsatz (ohne Soll/Haben-Kz)",
        ),
    ] {
        let input = real_export(file);
        // Without the option: the metadata line is taken for the header.
        let o = run(&["inspect", &input]);
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(
            err.contains("column 7 of the header has an empty name"),
            "{err}"
        );
        assert!(err.contains("hint: the first line has far fewer fields than the next: if it is a title or metadata line (DATEV exports have one), skip it with --skip-lines 1"), "{err}");
        let r = inspect_json(&input, &["--skip-lines", "1"]);
        assert_eq!(r["encoding"], "windows-1252");
        assert_eq!(r["columns"].as_array().unwrap().len(), columns);
        assert_eq!(r["columns"][0], first);
        assert_eq!(r["rows"], rows);
        assert_eq!(r["rejected"], 0);
    }
    let o = run(&[
        "convert",
        &real_export("datev-extf-debitoren-stammdaten-cp1252.csv"),
        "--skip-lines",
        "1",
    ]);
    assert!(stdout(&o).contains("\"Straße\":"), "{}", stdout(&o));
    let o = run(&[
        "convert",
        &real_export("datev-extf-buchungsstapel-cp1252-decimal-comma.csv"),
        "--skip-lines",
        "1",
    ]);
    let rows = ndjson(&stdout(&o));
    assert_eq!(rows[0]["Umsatz (ohne Soll/Haben-Kz)"], "24,95");
    // Lines are still the file's: the first row is line 3.
    let dir = temp_dir("datev");
    let out = dir.join("out");
    let b = batch(
        &real_export("datev-extf-buchungsstapel-cp1252-decimal-comma.csv"),
        out.to_str().unwrap(),
        &["--skip-lines", "1", "--action", "add"],
    );
    assert!(b.status.success(), "{}", stderr(&b));
    let (manifest, _) = batch_rows(&out);
    assert_eq!(manifest["batches"][0]["firstLine"], 3);
    assert_eq!(manifest["batches"][0]["lastLine"], 4);
}

#[test]
fn thunderbird_exports_drop_the_trailing_delimiter_with_one_warning() {
    for file in [
        "thunderbird-addressbook-utf16le-crlf.csv",
        "thunderbird-addressbook-shiftjis-crlf.csv",
    ] {
        let r = inspect_json(&real_export(file), &[]);
        assert_eq!(r["columns"].as_array().unwrap().len(), 37, "{file}");
        assert_eq!(r["rows"], 1);
        assert_eq!(r["rejected"], 0);
        assert_eq!(r["warnings"].as_array().unwrap().len(), 1);
    }
    let o = run(&[
        "inspect",
        &real_export("thunderbird-addressbook-shiftjis-crlf.csv"),
    ]);
    assert!(
        stdout(&o).contains("encoding:   Shift_JIS (guessed: not valid UTF-8)"),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "convert",
        &real_export("thunderbird-addressbook-shiftjis-crlf.csv"),
    ]);
    let rows = ndjson(&stdout(&o));
    assert_eq!(rows[0]["First Name"], "権兵衛");
    assert_eq!(rows[0]["Display Name"], "名無しの権兵衛");
    assert_eq!(
        stderr(&o)
            .matches("the header ends with a delimiter")
            .count(),
        1
    );
    // --encoding still wins over the guess.
    let r = inspect_json(
        &real_export("thunderbird-addressbook-shiftjis-crlf.csv"),
        &["--encoding", "euc-jp", "--lossy"],
    );
    assert_eq!(r["encoding"], "EUC-JP");
    // A value under the empty name stays an error naming the column.
    let o = run(&["inspect", &testdata("trailing-delimiter-value.csv")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "line 3: column 3 of the header has an empty name, and this row has a value under it"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn excel_sep_line_sets_the_delimiter() {
    let r = inspect_json(&testdata("excel-sep-line.csv"), &[]);
    assert_eq!(r["delimiter"], ";");
    assert_eq!(r["columns"], serde_json::json!(["Email", "Name", "Amount"]));
    assert_eq!(r["rows"], 2);
    // --delimiter still wins.
    let r = inspect_json(&testdata("excel-sep-line.csv"), &["--delimiter", ","]);
    assert_eq!(r["columns"], serde_json::json!(["Email;Name;Amount"]));
}

#[test]
fn cr_only_lines_in_rejects_and_the_manifest() {
    let dir = temp_dir("cr-only");
    let out = dir.join("out");
    let o = batch(
        &testdata("cr-only-mac.csv"),
        out.to_str().unwrap(),
        &["--action", "add"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (manifest, rows) = batch_rows(&out);
    assert_eq!(rows.len(), 3);
    assert_eq!(manifest["batches"][0]["firstLine"], 2);
    assert_eq!(manifest["batches"][0]["lastLine"], 7);
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
    let lines: Vec<String> = csv::Reader::from_reader(rejects.as_bytes())
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(lines, ["3", "6"]);
}

#[test]
fn shopify_api_dumps_read_with_records() {
    let customers = real_export("shopify-admin-api-customers-search.json");
    let o = run(&["inspect", &customers]);
    assert!(
        stdout(&o).contains("warning:    the input is one object whose member \"customers\" is an array of objects: to read its elements as records, use --records /customers"),
        "{}",
        stdout(&o)
    );
    let r = inspect_json(&customers, &["--records", "/customers"]);
    assert_eq!(r["rows"], 1);
    assert_eq!(r["profile_fields"].as_array().unwrap()[2], "email");
    let o = run(&["convert", &customers, "--records", "/customers"]);
    let rows = ndjson(&stdout(&o));
    assert_eq!(rows[0]["email"], "bob.norman@hostmail.com");
    assert_eq!(rows[0]["default_address.city"], "Louisville");

    let order = real_export("shopify-admin-api-order-line-items.json");
    let dir = temp_dir("records");
    let args = ["--records", "/order/line_items", "--action", "add"];
    for out in batch_per_threads(&order, &dir, &args, &["1", "3"]) {
        let (_, rows) = batch_rows(&out);
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r["title"] == "IPod Nano - 8gb"));
    }
    assert_eq!(bodies(&dir.join("out1")), bodies(&dir.join("out3")));
    let o = run(&["inspect", &order, "--records", "/order/items"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--records /order/items: /order has no member \"items\""),
        "{}",
        stderr(&o)
    );
}

/// Rewrites a folder's manifest as versions before BLAKE3 wrote it: a
/// sha256 per body. Returns its path.
fn as_sha256_manifest(dir: &Path) -> PathBuf {
    use sha2::Digest;
    let path = dir.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for b in m["batches"].as_array_mut().unwrap() {
        let bytes = std::fs::read(dir.join(b["file"].as_str().unwrap())).unwrap();
        let sum: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect();
        let o = b.as_object_mut().unwrap();
        o.remove("blake3");
        o.insert("sha256".into(), sum.into());
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    path
}

#[test]
fn upload_still_verifies_manifests_written_with_sha256() {
    let dir = batch_folder("upload-sha256", 4, 2);
    as_sha256_manifest(&dir);
    let server = Server::start(vec![]);
    std::fs::write(dir.join("batch-00001.json"), b"{}").unwrap();
    let o = upload(&dir, &server.base(), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("batch-00001.json: its sha256 differs from the manifest"),
        "{}",
        stderr(&o)
    );
    let dir = batch_folder("upload-sha256-ok", 4, 2);
    let path = as_sha256_manifest(&dir);
    let o = upload(&dir, &server.base(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(accepted(&server), bodies(&dir));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("upload-state.json")).unwrap()).unwrap();
    assert_eq!(
        state["manifestBlake3"],
        blake3::hash(&std::fs::read(&path).unwrap())
            .to_hex()
            .as_str()
    );
}

// ---- schema: a fake Copernica that pages ----

/// `start` of a request target's query, and whether it asks for totals.
fn query_start(target: &str) -> usize {
    target
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("start="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A page of `items` from `start`, at most 1000, with or without `total`.
fn envelope(items: &[serde_json::Value], start: usize, with_total: bool) -> Action {
    let page: Vec<_> = items.iter().skip(start).take(1000).cloned().collect();
    let mut v =
        serde_json::json!({"start": start, "limit": 1000, "count": page.len(), "data": page});
    if with_total {
        v["total"] = items.len().into();
    }
    Action::status(200, &v.to_string())
}

fn fake_copernica(script: Vec<Action>) -> Server {
    let mut profile: Vec<serde_json::Value> = (0..1500)
        .map(|i| serde_json::json!({"ID": (100 + i).to_string(), "name": format!("Field{i}"), "type": "text", "length": "50", "textlines": "1", "hidden": false}))
        .collect();
    profile[0] = serde_json::json!({"ID": "1", "name": "Email", "type": "email", "length": "100", "hidden": false});
    profile[1] = serde_json::json!({"ID": "2", "name": "Gender", "type": "select", "value": "Male\nFemale*\nOther", "length": "0"});
    profile[2] = serde_json::json!({"ID": "3", "name": "Since", "type": "date", "length": "0"});
    profile[3] = serde_json::json!({"ID": "4", "name": "Odd", "type": "hologram", "length": "0"});
    let mut orders: Vec<serde_json::Value> = (0..1003)
        .map(|i| serde_json::json!({"ID": (5000 + i).to_string(), "name": format!("Extra{i}"), "type": "text", "length": "255"}))
        .collect();
    orders[0] =
        serde_json::json!({"ID": "9001", "name": "OrderID", "type": "text", "length": "20"});
    orders[1] = serde_json::json!({"ID": "9002", "name": "Total", "type": "float", "length": "0"});
    let collections = vec![serde_json::json!({"ID": "5", "name": "Orders", "database": "1"})];
    Server::start_with(script, move |method, target| {
        if method != "GET" {
            return None;
        }
        let path = target.split('?').next().unwrap_or("");
        let start = query_start(target);
        Some(match path {
            "/v3/database/1" => Action::status(
                200,
                r#"{"ID":"1","name":"Shop","description":"","archived":false}"#,
            ),
            "/v3/database/1/fields" => envelope(&profile, start, true),
            "/v3/database/1/collections" => envelope(&collections, start, true),
            // Copernica's docs say total is optional: page until a short page.
            "/v3/collection/5/fields" => envelope(&orders, start, false),
            "/v3/database/9" => {
                Action::status(400, r#"{"error":{"message":"No entity with supplied ID"}}"#)
            }
            _ => return None,
        })
    })
}

fn schema_cmd(server: &Server, extra: &[&str], token: &str) -> Output {
    bin()
        .args(["schema", "--base-url", &server.base(), "--backoff-ms", "10"])
        .args(extra)
        .env("COPERNICA_ACCESS_TOKEN", token)
        .output()
        .unwrap()
}

#[test]
fn schema_reads_every_page_exactly() {
    // A busy load balancer first: 503 with an HTML page.
    let server = fake_copernica(vec![Action::status(
        503,
        "<html><body><h1>503 Service Unavailable</h1></body></html>",
    )]);
    let dir = temp_dir("schema");
    let file = dir.join("schema.json");
    let o = schema_cmd(
        &server,
        &["--database", "1", "-o", file.to_str().unwrap()],
        TOKEN,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("database 1: HTTP 503; trying again"), "{err}");
    assert!(!err.contains("<html>"), "{err}");
    assert!(
        err.contains("warning: database 1: field type \"hologram\" is not one this tool knows"),
        "{err}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let s: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(s["databaseId"], 1);
    assert_eq!(s["databaseName"], "Shop");
    assert!(s["readAt"].as_str().unwrap().ends_with('Z'));
    let fields = s["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1500);
    assert_eq!(
        fields[0],
        serde_json::json!({"name": "Email", "type": "email", "length": 100})
    );
    assert_eq!(
        fields[1],
        serde_json::json!({"name": "Gender", "type": "select", "options": ["Male", "Female", "Other"], "defaultOption": "Female"})
    );
    assert_eq!(fields[1499]["name"], "Field1499");
    let orders = &s["collections"][0];
    assert_eq!(
        (orders["id"].as_u64(), orders["name"].as_str()),
        (Some(5), Some("Orders"))
    );
    assert_eq!(orders["fields"].as_array().unwrap().len(), 1003);
    assert_eq!(orders["fields"][1]["type"], "float");
    // Pages: 2 of profile fields, 1 of collections, 2 of the collection's.
    let gets: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        gets.iter()
            .filter(|t| t.starts_with("/v3/database/1/fields?"))
            .count(),
        2
    );
    assert_eq!(
        gets.iter()
            .filter(|t| t.starts_with("/v3/collection/5/fields?"))
            .count(),
        2
    );
    assert!(gets
        .iter()
        .any(|t| t.contains("start=1000&limit=1000&total=true")));
    // The token is nowhere but in the requests.
    for out in [stdout(&o), stderr(&o), text] {
        assert!(
            !out.contains(TOKEN) && !out.contains("t0ken"),
            "token shown"
        );
    }
}

#[test]
fn schema_refusals_say_why() {
    let server = fake_copernica(vec![Action::status(
        401,
        r#"{"error":{"message":"Invalid access token"}}"#,
    )]);
    let o = schema_cmd(&server, &["--database", "1"], TOKEN);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("database 1: HTTP 401 from http://"), "{err}");
    assert!(
        err.contains("/v3/database/1?access_token=***: Invalid access token"),
        "{err}"
    );
    assert!(!err.contains("t0ken"), "{err}");
    let o = schema_cmd(&server, &["--database", "9"], TOKEN);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("HTTP 400 from"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(": No entity with supplied ID"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("hint: check the database id"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());
    let o = schema_cmd(&server, &["--database", "1"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("COPERNICA_ACCESS_TOKEN is not set"));
}

// ---- --schema: every column a field of the database ----

#[test]
fn schema_types_and_options_drive_the_checks() {
    let schema = testdata("schema-shop.json");
    let input = testdata("contacts-orders.csv");
    let o = run(&["check", &input, "--schema", &schema, "--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let field = |name: &str| {
        r["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(field("Newsletter")["type"], "select");
    assert_eq!(field("Newsletter")["rejected"], 2);
    assert_eq!(field("Order.Total")["type"], "float");
    assert_eq!(field("FirstName")["tooLong"], 2);
    assert_eq!(field("FirstName")["examples"]["tooLong"][0], "Chloé");
    let reasons: Vec<&str> = r["rejects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "Newsletter \"no\" is not one of the options \"yes\"",
            "Order.Total \"1,299.00\" is not a number with decimal mark \".\"",
            "Newsletter \"no\" is not one of the options \"yes\"",
        ]
    );
    // The manifest records the schema.
    let dir = temp_dir("schema-batch");
    let out = dir.join("out");
    let o = batch(
        &input,
        out.to_str().unwrap(),
        &["--schema", &schema, "--action", "add"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (manifest, rows) = batch_rows(&out);
    assert_eq!(rows.len(), 4);
    let s = &manifest["schema"];
    assert_eq!(
        (s["databaseId"].as_u64(), s["databaseName"].as_str()),
        (Some(7), Some("Shop"))
    );
    assert_eq!(s["readAt"], "2026-12-02T09:00:00Z");
    assert_eq!(
        s["blake3"],
        blake3::hash(&std::fs::read(&schema).unwrap())
            .to_hex()
            .as_str()
    );
}

#[test]
fn schema_refuses_unknown_columns_with_suggestions_or_drops_them() {
    let dir = temp_dir("schema-unknown");
    let schema = testdata("schema-shop.json");
    let input = testdata("contacts-orders.csv");
    let map = dir.join("map.toml");
    std::fs::write(&map, "[columns]\n\"FirstName\" = \"Firstname\"\n\"City\" = \"Town\"\n\"Order.Status\" = \"Ordr.Status\"\n").unwrap();
    let out = dir.join("out");
    let o = batch(
        &input,
        out.to_str().unwrap(),
        &["--map", map.to_str().unwrap(), "--schema", &schema],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("3 columns are not fields of database 7 (Shop): `Firstname`: no such field; did you mean `FirstName`?; `Town`: no such field; `Ordr.Status`: no such collection; did you mean `Order`?"),
        "{err}"
    );
    assert!(
        err.contains("hint: fix the mapping or the header, or pass --drop-unknown"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "nothing but map.toml"
    );

    // --drop-unknown drops exactly those, with one warning naming them.
    let o = batch(
        &input,
        out.to_str().unwrap(),
        &[
            "--map",
            map.to_str().unwrap(),
            "--schema",
            &schema,
            "--drop-unknown",
            "--action",
            "add",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.matches("--drop-unknown left out").count(), 1, "{err}");
    assert!(err.contains("--drop-unknown left out 3 columns that database 7 (Shop) has no field for: Firstname, Town, Ordr.Status"), "{err}");
    let (_, rows) = batch_rows(&out);
    let keys: Vec<&str> = rows[0].keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "Email",
            "LastName",
            "Newsletter",
            "Order.OrderID",
            "Order.Date",
            "Order.Total"
        ]
    );

    // A key field must exist too; a mapping type must agree with the schema's.
    let o = run(&[
        "check",
        &input,
        "--schema",
        &schema,
        "--key-fields",
        "E-mail",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "key field `E-mail` is not a field of database 7 (Shop); did you mean `Email`?"
        ),
        "{}",
        stderr(&o)
    );
    std::fs::write(&map, "[columns]\n\"Order.Date\" = { type = \"integer\" }\n").unwrap();
    let o = run(&[
        "check",
        &input,
        "--map",
        map.to_str().unwrap(),
        "--schema",
        &schema,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            ":2: \"Order.Date\": the mapping says type integer, the schema says Order.Date is date"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn map_init_with_a_schema_proposes_the_closest_fields() {
    let dir = temp_dir("map-init-schema");
    let input = dir.join("export.csv");
    std::fs::write(&input, "email,first_name,Lastname,town\na@x.nl,Ann,B,U\n").unwrap();
    let o = run(&[
        "map",
        "--init",
        input.to_str().unwrap(),
        "--schema",
        &testdata("schema-shop.json"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("\"email\"      = \"Email\"  # email\n"),
        "{text}"
    );
    assert!(
        text.contains("\"first_name\" = \"FirstName\"  # text\n"),
        "{text}"
    );
    assert!(
        text.contains("# \"town\"       = \"?\"  # no close field in database 7; nearest: City,"),
        "{text}"
    );
    // What it proposes passes the schema check.
    let map = dir.join("map.toml");
    std::fs::write(
        &map,
        text.replace("[options]", "[options]\nunmapped = \"drop\""),
    )
    .unwrap();
    let o = run(&[
        "check",
        input.to_str().unwrap(),
        "--map",
        map.to_str().unwrap(),
        "--schema",
        &testdata("schema-shop.json"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn mapped_bodies_are_the_same_with_one_thread_and_several_in_every_source_format() {
    let dir = temp_dir("map-threads-formats");
    let map = testdata("maps/orders.toml");
    for format in ["json", "array", "csv"] {
        for input in ["mapped-orders.csv", "mapped-orders.ndjson"] {
            let mut outputs = Vec::new();
            for threads in ["1", "3"] {
                let out = dir.join(format!("{format}-{input}-{threads}"));
                let o = batch(
                    &testdata(input),
                    out.to_str().unwrap(),
                    &[
                        "--map",
                        &map,
                        "--name",
                        "o",
                        "--source-format",
                        format,
                        "--max-rows",
                        "1",
                        "--threads",
                        threads,
                    ],
                );
                assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
                outputs.push(bodies(&out));
            }
            assert!(
                outputs[0].len() >= 2,
                "{format} {input}: more than one body"
            );
            assert_eq!(outputs[0], outputs[1], "{format} {input}");
        }
    }
}

/// A workbook with an error cell (row 3), a date a mapping refuses (row 4)
/// and an empty row (5), saved where the test says.
fn workbook_with_rejects(path: &Path) {
    use rust_xlsxwriter::{Format, Formula, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Contacts").unwrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in ["Email", "Born", "Score"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "ann@example.com").unwrap();
    ws.write_number_with_format(1, 1, 29341.0, &date).unwrap();
    ws.write_number(1, 2, 7.0).unwrap();
    ws.write_string(2, 0, "bob@example.com").unwrap();
    ws.write_formula(2, 2, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    ws.write_string(3, 0, "cy@example.com").unwrap();
    ws.write_string(3, 1, "31/02/1990").unwrap();
    ws.write_string(5, 0, "di@example.com").unwrap();
    ws.write_number(5, 2, 0.5).unwrap();
    wb.save(path).unwrap();
}

#[test]
fn workbook_and_csv_give_identical_bodies() {
    let dir = temp_dir("workbook-bodies");
    let map = testdata("maps/contacts.toml");
    let mut outputs = Vec::new();
    for (input, threads, mapping) in [
        ("contacts.csv", "1", false),
        ("contacts.xlsx", "1", false),
        ("contacts.xlsx", "2", false),
        ("contacts.csv", "1", true),
        ("contacts.xlsx", "1", true),
        ("contacts.xlsx", "2", true),
    ] {
        let out = dir.join(format!("{input}-{threads}-{mapping}"));
        let mut extra = vec!["--name", "contacts", "--threads", threads];
        if mapping {
            extra.extend(["--map", &map]);
        }
        let o = batch(
            &testdata(&format!("workbooks/{input}")),
            out.to_str().unwrap(),
            &extra,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let (manifest, rows) = batch_rows(&out);
        let lines = &manifest["batches"][0];
        assert_eq!(
            (&lines["firstLine"], &lines["lastLine"]),
            (&2.into(), &5.into())
        );
        outputs.push((mapping, bodies(&out), rows));
    }
    for o in &outputs[1..3] {
        assert_eq!(o, &outputs[0]);
    }
    for o in &outputs[4..] {
        assert_eq!(o, &outputs[3]);
    }
    let rows = &outputs[3].2;
    assert_eq!(field(&rows[0], "name"), "Ann Müller");
    assert_eq!(field(&rows[0], "born"), "1980-04-30");
    assert_eq!(field(&rows[0], "lastOrder"), "2024-01-05 10:30:00");
    assert_eq!(field(&rows[0], "callAt"), "09:15:00");
    assert_eq!(field(&rows[1], "optin"), "false");
    assert_eq!(field(&rows[3], "amount"), "-3.75");
}

#[test]
fn workbook_rejects_name_the_sheet_and_row() {
    let dir = temp_dir("workbook-rejects");
    let book = dir.join("contacts.xlsx");
    workbook_with_rejects(&book);
    let map = dir.join("map.toml");
    std::fs::write(&map, "[columns]\n\"Born\" = { type = \"date\" }\n").unwrap();
    let out = dir.join("out");
    let o = batch(
        book.to_str().unwrap(),
        out.to_str().unwrap(),
        &["--map", map.to_str().unwrap(), "--sheet", "Contacts"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
    let rejects: Vec<(String, String, String)> = csv::Reader::from_reader(rejects.as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string(), r[2].to_string())
        })
        .collect();
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    assert_eq!(
        rejects[0],
        (
            "3".to_string(),
            "Contacts!C3: #DIV/0!".to_string(),
            "bob@example.com,,#DIV/0!".to_string()
        )
    );
    assert_eq!(rejects[1].0, "4");
    assert!(rejects[1].1.contains("31/02/1990"), "{:?}", rejects[1]);
    let (manifest, rows) = batch_rows(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(field(&rows[0], "Born"), "1980-04-30");
    assert_eq!(field(&rows[1], "Score"), "0.5");
    assert_eq!(manifest["batches"][0]["lastLine"], 6);

    // check and inspect say where, as a person reads a sheet.
    let o = run(&[
        "check",
        book.to_str().unwrap(),
        "--map",
        map.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Contacts, row 3: Contacts!C3: #DIV/0!"),
        "{text}"
    );
    assert!(text.contains("Contacts, row 4: "), "{text}");
    let o = run(&["inspect", book.to_str().unwrap()]);
    let text = stdout(&o);
    assert!(
        text.contains("sheet 1:    \"Contacts\", used range A1:C6  <- read"),
        "{text}"
    );
    assert!(text.contains("format:     xlsx"), "{text}");
}

#[test]
fn a_workbook_on_stdin_is_spooled_and_read() {
    let bytes = std::fs::read(testdata("workbooks/contacts.xlsx")).unwrap();
    let mut child = bin()
        .args(["convert", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let from_file = run(&["convert", &testdata("workbooks/contacts.csv")]);
    assert_eq!(stdout(&o), stdout(&from_file));
    let o = run(&["inspect", "--json", &testdata("workbooks/contacts.ods")]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "ods");
    assert_eq!(v["sheet"], "contacts");
    assert_eq!(v["sheets"][0]["usedRange"], "A1:H5");
    let o = run(&[
        "inspect",
        "--sheet",
        "Orders",
        &testdata("workbooks/contacts.xlsx"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no sheet named \"Orders\"; its sheets: 1 \"contacts\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn reader_rejects_before_mapped_rows_are_the_same_with_threads() {
    // Rows 3 and 4 are rejected by the reader, before any mapping; with
    // read-ahead, the mapped rows after them once hit a missing buffer.
    let dir = temp_dir("ragged-mapped");
    let map = dir.join("map.toml");
    std::fs::write(&map, "[columns]\n\"Email\" = \"email\"\n").unwrap();
    let args = ["--map", map.to_str().unwrap()];
    let folders = batch_per_threads(&testdata("ragged.csv"), &dir, &args, &["1", "2"]);
    let mut outputs = Vec::new();
    for out in &folders {
        let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
        outputs.push((bodies(out), rejects));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0].1.lines().count(), 3, "{}", outputs[0].1);
    let (_, rows) = batch_rows(&folders[1]);
    assert_eq!(rows.len(), 2);
    assert_eq!(field(&rows[1], "email"), "di@example.com");
}

#[test]
fn a_workbook_that_breaks_calamine_is_one_error_line() {
    // Found by the excel_reader fuzz target: contacts.xls with a damaged
    // sector chain makes calamine index out of bounds while opening it.
    let path = testdata("workbooks/damaged.xls");
    let o = bin()
        .args(["inspect", &path])
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "copernica-import: {path}: the workbook reader (calamine) failed on this file: "
        )),
        "{err}"
    );
}

#[test]
fn an_ole2_file_whose_sector_chain_loops_is_refused_before_calamine() {
    // Found by the excel_reader fuzz target: 12 KB on which calamine 0.38
    // allocates without end (its directory chain is followed unbounded).
    let path = testdata("workbooks/looping.xls");
    for extra in [&[][..], &["--input-format", "excel"][..]] {
        let o = bin()
            .arg("inspect")
            .args(extra)
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            stderr(&o).trim_end(),
            format!(
                "copernica-import: {path}: not a readable .xls workbook: damaged OLE2 file: \
                 the sector chain through sector 0 loops"
            )
        );
    }
    // A sound .xls goes through the same check.
    let o = run(&["inspect", &testdata("workbooks/contacts.xls")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn reader_and_mapping_rejects_keep_input_order_across_chunks_and_threads() {
    // 20,000 lines, so rows cross several read-ahead chunks (4,096 rows at
    // most each): every 7th line is not an object (the reader's reject),
    // every 11th has a date that is not one (the mapping's; line 77 is the
    // reader's).
    let dir = temp_dir("reject-order");
    let input = dir.join("orders.ndjson");
    let mut text = String::new();
    let mut want = Vec::new();
    for line in 1..=20_000u32 {
        if line % 7 == 0 {
            text.push_str("\"just a string\"\n");
            want.push((line.to_string(), "not an object".to_string()));
        } else if line % 11 == 0 {
            text.push_str(&format!(
                "{{\"Email Address\":\"p{line}@example.com\",\"Sinds\":\"32-01-2019\"}}\n"
            ));
            want.push((line.to_string(), "map".to_string()));
        } else {
            text.push_str(&format!(
                "{{\"Email Address\":\"p{line}@example.com\",\"Sinds\":\"05-06-2012\"}}\n"
            ));
        }
    }
    std::fs::write(&input, text).unwrap();
    let map = dir.join("map.toml");
    std::fs::write(
        &map,
        "[columns]\n\"Email Address\" = \"Email\"\n\"Sinds\" = { field = \"Since\", type = \"date\", format = \"%d-%m-%Y\" }\n",
    )
    .unwrap();
    let map = map.to_str().unwrap();
    let mut outputs = Vec::new();
    for out in batch_per_threads(input.to_str().unwrap(), &dir, &["--map", map], &["1", "3"]) {
        let rejects: Vec<(String, String)> = csv::Reader::from_path(out.join("rejects.csv"))
            .unwrap()
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_string(), r[1].to_string())
            })
            .collect();
        outputs.push((bodies(&out), rejects));
    }
    assert_eq!(outputs[0], outputs[1]);
    let rejects = &outputs[0].1;
    assert_eq!(rejects.len(), want.len());
    for ((line, reason), (want_line, kind)) in rejects.iter().zip(&want) {
        assert_eq!(line, want_line);
        if kind == "map" {
            assert_eq!(
                reason,
                r#"Since "32-01-2019" is not a date in format %d-%m-%Y"#
            );
        } else {
            assert!(reason.contains("object"), "line {line}: {reason}");
        }
    }
}

#[test]
fn location_bodies_and_data_files_are_the_same_with_and_without_the_writer_thread() {
    // Many small data files: with a writer thread, each body and data file
    // goes to it in the batcher's own buffers, and used ones come back.
    let dir = temp_dir("location-threads");
    let input = dir.join("in.csv");
    let mut text = String::from("Email,Name\n");
    for i in 0..3000 {
        text.push_str(&format!("u{i}@example.com,Name {}\n", "x".repeat(i % 97)));
    }
    std::fs::write(&input, &text).unwrap();
    let args = [
        "--location-base",
        "https://files.example.com/x",
        "--max-bytes",
        "16KiB",
    ];
    let folders: Vec<_> = batch_per_threads(input.to_str().unwrap(), &dir, &args, &["1", "3"])
        .iter()
        .map(|out| folder_files(out))
        .collect();
    assert_eq!(folders[0], folders[1]);
    let files = &folders[0];
    let manifest = &files.iter().find(|(n, _)| n == "manifest.json").unwrap().1;
    let manifest: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    let batches = &manifest["batches"];
    assert!(batches.as_array().unwrap().len() > 10, "{batches}");
    // Every data file is named by its body and hashed in the manifest.
    for b in batches.as_array().unwrap() {
        let name = b["dataFile"]["file"].as_str().unwrap();
        let data = &files.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(
            b["dataFile"]["blake3"],
            blake3::hash(data).to_hex().as_str()
        );
    }
}
