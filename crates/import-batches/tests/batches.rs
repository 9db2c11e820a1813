//! Bodies parsed back and compared with the rows that went in: table tests
//! for each rule, and properties over random rows.

use import_batches::{
    Action, Batch, Batcher, DeleteTarget, Error, ImportParams, Limits, ParamError, Sink,
    SourceFormat,
};
use profile_rows::{Columns, ReaderBuilder, Row};
use proptest::prelude::*;
use serde_json::Value;

/// A row as (column name, value) pairs.
type Pairs = Vec<(String, String)>;

#[derive(Debug, Clone)]
struct Out {
    part: u32,
    body: Vec<u8>,
    data: Option<(String, Vec<u8>)>,
    rows: usize,
    lines: (u64, u64),
    last: bool,
}

struct Run {
    batches: Vec<Out>,
    rejects: Vec<(u64, String)>,
    warnings: Vec<String>,
}

fn run(
    params: ImportParams,
    limits: Limits,
    location: Option<&str>,
    rows: &[Pairs],
) -> Result<Run, Error> {
    let mut columns = Columns::new();
    let mut batcher = Batcher::new(params, limits, location.map(String::from))?;
    let mut batches = Vec::new();
    let mut sink = |b: &Batch<'_>| {
        batches.push(Out {
            part: b.part,
            body: b.body.to_vec(),
            data: b.data.map(|(n, d)| (n.to_string(), d.to_vec())),
            rows: b.rows,
            lines: (b.first_line, b.last_line),
            last: b.last,
        });
        Ok(())
    };
    let rejects = push_all(&mut batcher, &mut columns, rows, &mut sink)?;
    let summary = batcher.finish(&mut sink)?;
    assert_eq!(summary.batches as usize, batches.len());
    Ok(Run {
        batches,
        rejects,
        warnings: summary.warnings,
    })
}

/// Pushes `rows` (as input lines 2, 3, ...); the rejects with their lines.
fn push_all(
    batcher: &mut Batcher,
    columns: &mut Columns,
    rows: &[Pairs],
    sink: &mut dyn Sink,
) -> Result<Vec<(u64, String)>, Error> {
    let mut rejects = Vec::new();
    let mut row = Row::new();
    for (i, pairs) in rows.iter().enumerate() {
        row.clear();
        row.set_line(i as u64 + 2);
        for (name, value) in pairs {
            let c = columns.intern(name);
            row.push_column(c, value);
        }
        if let Some(reason) = batcher.push(&row, columns, sink)? {
            rejects.push((i as u64 + 2, reason));
        }
    }
    Ok(rejects)
}

/// The rows of a body (or its data file), and the body's JSON.
fn decode(out: &Out, format: SourceFormat) -> (Value, Vec<Pairs>) {
    let body: Value = serde_json::from_slice(&out.body).expect("body is JSON");
    let source: String;
    let text = match (&out.data, &body["source"]) {
        (Some((_, data)), _) => {
            source = String::from_utf8(data.clone()).unwrap();
            source.as_str()
        }
        (None, Value::String(s)) => s.as_str(),
        (None, Value::Array(a)) => {
            assert_eq!(format, SourceFormat::Array);
            return (body.clone(), objects(a));
        }
        (None, other) => panic!("source is {other}"),
    };
    let rows = match format {
        SourceFormat::Csv => {
            let delimiter = body["delimiter"].as_str().unwrap().as_bytes()[0];
            let mut rdr = ReaderBuilder::new()
                .delimiter(Some(delimiter))
                .encoding(Some("utf-8"))
                .skip_blank_lines(false)
                .from_bytes(text.as_bytes().to_vec())
                .unwrap();
            let names: Vec<String> = rdr.columns().names().map(String::from).collect();
            let mut row = Row::new();
            let mut rows = Vec::new();
            while rdr.read_row(&mut row).unwrap() {
                rows.push(
                    names
                        .iter()
                        .cloned()
                        .zip(row.iter().map(String::from))
                        .collect(),
                );
            }
            rows
        }
        _ => objects(
            serde_json::from_str::<Value>(text)
                .unwrap()
                .as_array()
                .unwrap(),
        ),
    };
    (body, rows)
}

fn objects(a: &[Value]) -> Vec<Pairs> {
    a.iter()
        .map(|o| {
            o.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().expect("values are strings").to_string(),
                    )
                })
                .collect()
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Pairs {
    v.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn bounds(max_bytes: usize, max_rows: Option<usize>) -> Limits {
    Limits {
        max_bytes,
        max_rows,
    }
}

fn params(format: SourceFormat) -> ImportParams {
    let mut p = ImportParams::new(7, "shop");
    p.source_format = format;
    p
}

const FORMATS: [SourceFormat; 3] = [SourceFormat::Json, SourceFormat::Array, SourceFormat::Csv];

/// Everything the batches hold, in order, with absent columns taken out.
fn all_rows(r: &Run, format: SourceFormat, input: &[Pairs]) -> Vec<Pairs> {
    let mut got = Vec::new();
    for b in &r.batches {
        let (_, rows) = decode(b, format);
        assert_eq!(rows.len(), b.rows);
        let first_keys: Vec<&String> = rows[0].iter().map(|(k, _)| k).collect();
        for row in &rows {
            let keys: Vec<&String> = row.iter().map(|(k, _)| k).collect();
            assert_eq!(
                keys, first_keys,
                "every object lists the same fields in one order"
            );
        }
        got.extend(rows);
    }
    // Drop the "" a body adds for columns a row did not have.
    let kept: Vec<&Pairs> = input
        .iter()
        .enumerate()
        .filter(|(i, _)| !r.rejects.iter().any(|(l, _)| *l == *i as u64 + 2))
        .map(|(_, p)| p)
        .collect();
    assert_eq!(got.len(), kept.len());
    got.iter()
        .zip(kept)
        .map(|(g, k)| {
            // Columns the row did not have are "" in the body.
            for (name, value) in g {
                if !k.iter().any(|(n, _)| n == name) {
                    assert_eq!(value, "", "absent column {name} must be empty");
                }
            }
            // The row's own columns, in the row's order, from the body.
            k.iter()
                .map(|(name, _)| {
                    let v = g.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
                    (
                        name.clone(),
                        v.unwrap_or_else(|| panic!("column {name} missing from body")),
                    )
                })
                .collect()
        })
        .collect()
}

// ---- tables ---------------------------------------------------------------

#[test]
fn tricky_values_survive_every_source_format() {
    let rows = vec![
        pairs(&[
            ("Email", "a@example.com"),
            ("Note", "quote \" backslash \\ apostrophe ' end"),
        ]),
        pairs(&[
            ("Email", "b@example.com"),
            ("Note", "new\nline, tab\t, cr\r, ctrl \u{1} é€𝄞"),
        ]),
        pairs(&[("Email", "c@example.com"), ("Note", " padded ")]),
        pairs(&[("Email", "d@example.com"), ("Note", "")]),
    ];
    for format in FORMATS {
        let r = run(params(format), Limits::default(), None, &rows).unwrap();
        assert_eq!(r.batches.len(), 1);
        assert_eq!(all_rows(&r, format, &rows), rows, "{format:?}");
        let (body, _) = decode(&r.batches[0], format);
        assert_eq!(body["name"], "shop (part 1)");
        assert_eq!(body["database"], 7);
        match format {
            SourceFormat::Json => assert_eq!(body["format"], "json"),
            SourceFormat::Array => assert!(body.get("format").is_none()),
            SourceFormat::Csv => {
                assert_eq!(body["format"], "csv");
                assert_eq!(body["delimiter"], ",");
                assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
                assert!(r.warnings[0].contains("--source-format json"));
            }
        }
    }
}

#[test]
fn body_text_is_exact() {
    let rows = vec![pairs(&[("Email", "a@example.com"), ("Order.OrderID", "1")])];
    let mut p = params(SourceFormat::Json);
    p.action = Some(Action::UpdateOrAdd);
    p.key_fields = vec!["Email".into()];
    let r = run(p, Limits::default(), None, &rows).unwrap();
    assert_eq!(
        String::from_utf8(r.batches[0].body.clone()).unwrap(),
        r#"{"database":7,"name":"shop (part 1)","followups":false,"autostart":true,"action":"update or add","keyFields":["Email"],"ignoreEmptyFields":false,"removeMissing":false,"format":"json","source":"[{\"Email\":\"a@example.com\",\"Order.OrderID\":\"1\"}]","rebuild":false}"#
    );
    let r = run(params(SourceFormat::Csv), Limits::default(), None, &rows).unwrap();
    assert_eq!(
        String::from_utf8(r.batches[0].body.clone()).unwrap(),
        r#"{"database":7,"name":"shop (part 1)","followups":false,"autostart":true,"ignoreEmptyFields":false,"removeMissing":false,"format":"csv","delimiter":",","source":"Email,Order.OrderID\na@example.com,1\n","rebuild":false}"#
    );
}

#[test]
fn csv_lines_are_exact_for_each_delimiter_in_a_body_and_in_a_data_file() {
    // Plain lines, a value with a blank at its start, a value with `;` in
    // it, a missing value (the second row has no Name): quoted only where
    // needed, and a tab written as `\t` inside the body's JSON string.
    let rows = vec![
        pairs(&[("Email", "a@example.com"), ("Name", "Anne")]),
        pairs(&[("Email", "b@example.com")]),
        pairs(&[("Email", "c@example.com"), ("Name", " Bob")]),
        pairs(&[("Email", "d@example.com"), ("Name", "x;y")]),
    ];
    for d in [',', ';', '\t'] {
        let third = if d == ';' { "\"x;y\"" } else { "x;y" };
        let want = format!(
            "Email{d}Name\na@example.com{d}Anne\nb@example.com{d}\nc@example.com{d}\" Bob\"\nd@example.com{d}{third}\n"
        );
        for location in [None, Some("https://example.com/x")] {
            let mut p = params(SourceFormat::Csv);
            p.csv_delimiter = d as u8;
            let r = run(p, Limits::default(), location, &rows).unwrap();
            let b = &r.batches[0];
            let body: Value = serde_json::from_slice(&b.body).unwrap();
            let source = match &b.data {
                Some((_, data)) => String::from_utf8(data.clone()).unwrap(),
                None => body["source"].as_str().unwrap().to_string(),
            };
            assert_eq!(source, want, "delimiter {d:?}, location {location:?}");
            if location.is_none() && d == '\t' {
                let text = String::from_utf8(b.body.clone()).unwrap();
                assert!(text.contains(r#""source":"Email\tName\na@example.com\tAnne\n"#));
            }
        }
    }
}

fn many(n: usize) -> Vec<Pairs> {
    (0..n)
        .map(|i| {
            pairs(&[
                ("Email", &format!("u{i}@example.com")),
                ("Note", &"x\"".repeat(i % 7)),
            ])
        })
        .collect()
}

#[test]
fn bodies_stay_within_max_bytes_and_max_rows() {
    let rows = many(300);
    for format in FORMATS {
        for (max_bytes, max_rows) in [(1000, None), (700, Some(3)), (5 << 20, Some(50))] {
            let limits = bounds(max_bytes, max_rows);
            let r = run(params(format), limits, None, &rows).unwrap();
            assert!(r.rejects.is_empty());
            for b in &r.batches {
                assert!(
                    b.body.len() <= max_bytes,
                    "{format:?} {} > {max_bytes}",
                    b.body.len()
                );
                assert!(max_rows.is_none_or(|m| b.rows <= m));
            }
            assert!(r.batches.len() > 1);
            // Full batches: the next row would not have fitted (bytes or rows).
            assert_eq!(all_rows(&r, format, &rows), rows);
            let parts: Vec<u32> = r.batches.iter().map(|b| b.part).collect();
            assert_eq!(parts, (1..=r.batches.len() as u32).collect::<Vec<_>>());
            assert_eq!(r.batches[0].lines.0, 2);
            assert_eq!(r.batches.last().unwrap().lines.1, 301);
        }
    }
}

#[test]
fn rebuild_only_on_the_last_body() {
    let mut p = params(SourceFormat::Json);
    p.rebuild = true;
    let r = run(p, bounds(600, None), None, &many(40)).unwrap();
    assert!(r.batches.len() > 2);
    for (i, b) in r.batches.iter().enumerate() {
        let (body, _) = decode(b, SourceFormat::Json);
        let last = i == r.batches.len() - 1;
        assert_eq!(body["rebuild"], last, "part {}", b.part);
        assert_eq!(b.last, last);
    }
}

#[test]
fn remove_missing_over_two_bodies_is_refused() {
    let mut p = params(SourceFormat::Json);
    p.remove_missing = true;
    let err = run(p.clone(), bounds(600, None), None, &many(40))
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            Error::Params(ParamError::RemoveMissingSplit { parts: 2 })
        ),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("each part would delete the profiles of the others"));
    // In one body it is fine.
    let r = run(p, Limits::default(), None, &many(40)).unwrap();
    assert_eq!(r.batches.len(), 1);
}

fn orders(emails: &[(&str, usize)]) -> Vec<Pairs> {
    let mut rows = Vec::new();
    for (email, n) in emails {
        for i in 0..*n {
            rows.push(pairs(&[
                ("Email", email),
                ("Order.OrderID", &format!("{email}-{i}")),
                ("Order.Total", "12.50"),
            ]));
        }
    }
    rows
}

fn keyed(format: SourceFormat) -> ImportParams {
    let mut p = params(format);
    p.action = Some(Action::UpdateOrAdd);
    p.key_fields = vec!["Email".into(), "Order.OrderID".into()];
    p
}

fn emails_per_batch(r: &Run, format: SourceFormat) -> Vec<Vec<String>> {
    r.batches
        .iter()
        .map(|b| {
            let mut e: Vec<String> = decode(b, format)
                .1
                .iter()
                .map(|row| row[0].1.clone())
                .collect();
            e.dedup();
            e
        })
        .collect()
}

#[test]
fn a_profile_stays_in_one_body() {
    let rows = orders(&[("a@x.nl", 2), ("b@x.nl", 3), ("c@x.nl", 1), ("d@x.nl", 3)]);
    for format in FORMATS {
        // Room for about four order rows per body.
        let one = run(keyed(format), Limits::default(), None, &rows[..1])
            .unwrap()
            .batches[0]
            .body
            .len();
        let two = run(keyed(format), Limits::default(), None, &rows[..2])
            .unwrap()
            .batches[0]
            .body
            .len();
        let row = two - one;
        let limits = bounds(one + 3 * row + row / 2, None);
        let r = run(keyed(format), limits, None, &rows).unwrap();
        assert_eq!(all_rows(&r, format, &rows), rows);
        let per = emails_per_batch(&r, format);
        let mut seen = std::collections::HashSet::new();
        for batch in &per {
            for e in batch {
                assert!(
                    seen.insert(e.clone()),
                    "{format:?}: {e} straddles bodies: {per:?}"
                );
            }
        }
        assert!(
            r.warnings.iter().all(|w| !w.contains("split")),
            "{:?}",
            r.warnings
        );
        // The same with a row bound.
        let r = run(keyed(format), bounds(5 << 20, Some(4)), None, &rows).unwrap();
        assert_eq!(
            emails_per_batch(&r, format),
            vec![vec!["a@x.nl"], vec!["b@x.nl", "c@x.nl"], vec!["d@x.nl"]]
        );
    }
}

/// When a profile's rows move on to the next body, the body they leave is
/// byte for byte the body its other rows make alone: with the columns it
/// had, and without a column only the moved rows have.
#[test]
fn the_body_a_profile_leaves_is_the_body_of_the_rows_that_stay() {
    let city = "Utrecht, and a longer value than the moved rows have";
    for phone in [None, Some("0612345678")] {
        let mut second = pairs(&[("Email", "b@x.nl"), ("City", "Gouda")]);
        if let Some(p) = phone {
            second.push(("Phone".into(), p.into()));
        }
        let rows = vec![
            pairs(&[("Email", "a@x.nl"), ("City", city)]),
            second,
            pairs(&[("Email", "b@x.nl"), ("City", "Ede")]),
        ];
        for format in FORMATS {
            // The least room for the first two rows in one body: not the third.
            let two = run(keyed(format), Limits::default(), None, &rows[..2]).unwrap();
            let len = two.batches[0].body.len();
            let limits = (len..len + 64)
                .map(|n| bounds(n, None))
                .find(|&l| {
                    run(keyed(format), l, None, &rows[..2])
                        .unwrap()
                        .batches
                        .len()
                        == 1
                })
                .unwrap();
            let r = run(keyed(format), limits, None, &rows).unwrap();
            assert_eq!(r.batches.len(), 2, "{format:?} {phone:?}");
            assert_eq!(
                r.batches[0].rows, 1,
                "{format:?} {phone:?}: b's rows moved on together"
            );
            let alone = run(keyed(format), limits, None, &rows[..1]).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&r.batches[0].body),
                String::from_utf8_lossy(&alone.batches[0].body),
                "{format:?} {phone:?}"
            );
            assert_eq!(all_rows(&r, format, &rows), rows, "{format:?} {phone:?}");
        }
    }
}

#[test]
fn a_profile_too_large_for_one_body_is_split_with_a_warning() {
    let rows = orders(&[("a@x.nl", 1), ("big@x.nl", 9), ("c@x.nl", 1)]);
    let r = run(
        keyed(SourceFormat::Json),
        bounds(5 << 20, Some(4)),
        None,
        &rows,
    )
    .unwrap();
    assert_eq!(all_rows(&r, SourceFormat::Json, &rows), rows);
    let sizes: Vec<usize> = r.batches.iter().map(|b| b.rows).collect();
    assert_eq!(sizes, vec![1, 4, 4, 2]);
    assert_eq!(
        r.warnings,
        vec!["profile big@x.nl has more rows than fit in one body: they are split between parts 2 and 3"]
    );
}

#[test]
fn a_row_too_large_even_alone_is_rejected() {
    let mut rows = many(5);
    rows.insert(
        2,
        pairs(&[("Email", "huge@example.com"), ("Note", &"x".repeat(5000))]),
    );
    for format in FORMATS {
        let r = run(params(format), bounds(2000, None), None, &rows).unwrap();
        assert_eq!(
            r.rejects,
            vec![(
                4,
                "row does not fit in a body of --max-bytes 2000 even alone".to_string()
            )]
        );
        assert_eq!(all_rows(&r, format, &rows).len(), 5);
        // And as the very first row.
        let r = run(params(format), bounds(2000, None), None, &rows[2..]).unwrap();
        assert_eq!(r.rejects.len(), 1);
        assert_eq!(r.batches[0].part, 1);
    }
}

#[test]
fn key_checks_reject_with_reasons_and_keep_profile_only_rows() {
    let rows = vec![
        pairs(&[
            ("Email", "a@x.nl"),
            ("Order.OrderID", "1"),
            ("Order.Total", "5"),
        ]),
        pairs(&[("Email", ""), ("Order.OrderID", "2"), ("Order.Total", "5")]),
        pairs(&[
            ("Email", "b@x.nl"),
            ("Order.OrderID", ""),
            ("Order.Total", "5"),
        ]),
        pairs(&[
            ("Email", "c@x.nl"),
            ("Order.OrderID", ""),
            ("Order.Total", ""),
        ]),
        vec![("Email".to_string(), "d@x.nl".to_string())],
    ];
    let r = run(keyed(SourceFormat::Json), Limits::default(), None, &rows).unwrap();
    assert_eq!(
        r.rejects,
        vec![
            (3, "empty key field Email".to_string()),
            (
                4,
                "has fields of collection Order but an empty key field Order.OrderID".to_string()
            ),
        ]
    );
    let got = all_rows(&r, SourceFormat::Json, &rows);
    assert_eq!(got, vec![rows[0].clone(), rows[3].clone(), rows[4].clone()]);
}

#[test]
fn columns_that_appear_late_are_in_every_object_of_the_body() {
    let rows = vec![
        pairs(&[("Email", "a@x.nl")]),
        pairs(&[("Email", "b@x.nl"), ("Order.OrderID", "9")]),
        pairs(&[("Name", "C"), ("Email", "c@x.nl")]),
    ];
    for format in FORMATS {
        let r = run(params(format), Limits::default(), None, &rows).unwrap();
        let (_, decoded) = decode(&r.batches[0], format);
        assert_eq!(
            decoded[0], // the body's column order: first seen
            pairs(&[("Email", "a@x.nl"), ("Order.OrderID", ""), ("Name", "")]),
            "{format:?}"
        );
        assert_eq!(all_rows(&r, format, &rows), rows);
    }
}

#[test]
fn location_writes_data_files_and_small_bodies() {
    let rows = many(100);
    for format in FORMATS {
        let r = run(
            params(format),
            bounds(1500, None),
            Some("https://files.example.com/imp/"),
            &rows,
        )
        .unwrap();
        assert!(r.batches.len() > 1);
        for b in &r.batches {
            let (name, data) = b.data.as_ref().unwrap();
            let ext = if format == SourceFormat::Csv {
                "csv"
            } else {
                "json"
            };
            assert_eq!(name, &format!("batch-{:05}.{ext}", b.part));
            assert!(data.len() <= 1500);
            let body: Value = serde_json::from_slice(&b.body).unwrap();
            assert_eq!(
                body["location"],
                format!("https://files.example.com/imp/{name}")
            );
            assert!(body.get("source").is_none());
        }
        assert_eq!(all_rows(&r, format, &rows), rows);
    }
}

/// A sink that keeps each batch's buffers, handing the batcher used ones
/// with stale bytes in exchange, as `batch` does with its writer thread.
struct Keeping {
    kept: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    lent: usize,
}

impl Sink for Keeping {
    fn batch(&mut self, _: &Batch<'_>) -> std::io::Result<()> {
        self.lent += 1;
        Ok(())
    }

    fn keep(&mut self, body: &mut Vec<u8>, data: Option<&mut Vec<u8>>) -> std::io::Result<()> {
        let stale = |n: usize| b"stale bytes, never sent ".repeat(n);
        let body = std::mem::replace(body, stale(self.lent));
        let data = data.map(|d| std::mem::replace(d, stale(self.lent + 1)));
        self.kept.push((body, data));
        Ok(())
    }
}

#[test]
fn a_sink_that_keeps_the_buffers_gets_the_same_batches() {
    // Profiles of several rows, so that groups move to the next body and are
    // rendered again there, into the swapped-in buffers.
    let rows = orders(&[("a@x.nl", 3), ("b@x.nl", 1), ("c@x.nl", 4), ("d@x.nl", 2)]);
    for format in FORMATS {
        for location in [None, Some("https://files.example.com/imp/")] {
            let lent = run(keyed(format), bounds(5 << 20, Some(4)), location, &rows).unwrap();
            let mut batcher = Batcher::new(
                keyed(format),
                bounds(5 << 20, Some(4)),
                location.map(String::from),
            )
            .unwrap();
            let mut sink = Keeping {
                kept: Vec::new(),
                lent: 0,
            };
            let mut columns = Columns::new();
            let rejects = push_all(&mut batcher, &mut columns, &rows, &mut sink).unwrap();
            assert_eq!(rejects, []);
            batcher.finish(&mut sink).unwrap();
            assert!(
                lent.batches.len() > 2,
                "{format:?}: the test needs several bodies"
            );
            assert_eq!(sink.lent, lent.batches.len());
            let expected: Vec<_> = lent
                .batches
                .iter()
                .map(|b| (b.body.clone(), b.data.as_ref().map(|(_, d)| d.clone())))
                .collect();
            assert!(sink.kept == expected, "{format:?}, location {location:?}");
        }
    }
}

#[test]
fn parameter_rules() {
    let check = |f: &dyn Fn(&mut ImportParams), expected: &str| {
        let mut p = ImportParams::new(1, "x");
        f(&mut p);
        assert_eq!(p.validate(None).unwrap_err().to_string(), expected);
    };
    check(
        &|p| p.delete_target = Some(DeleteTarget::Subprofile),
        "deleteTarget goes only with action \"delete\"",
    );
    for action in [
        Action::Update,
        Action::UpdateOrAdd,
        Action::IgnoreOrAdd,
        Action::Delete,
    ] {
        let msg = format!("action \"{action}\" matches on keys: give keyFields (--key-fields)");
        check(&|p| p.action = Some(action), &msg);
    }
    check(
        &|p| {
            p.source_format = SourceFormat::Csv;
            p.csv_delimiter = b'|';
        },
        "a CSV source takes delimiter \",\", \";\" or tab, not '|'",
    );
    check(&|p| p.name = " ".into(), "the import needs a name");
    assert_eq!(
        "upsert".parse::<Action>().unwrap_err().to_string(),
        "unknown action \"upsert\": use add, update, \"update or add\", \"ignore or add\" or delete"
    );
    assert_eq!("update-or-add".parse::<Action>(), Ok(Action::UpdateOrAdd));
    let mut p = ImportParams::new(1, "x");
    p.action = Some(Action::Delete);
    p.key_fields = vec!["Email".into()];
    p.delete_target = Some(DeleteTarget::Subprofile);
    assert_eq!(p.validate(None), Ok(()));
    let cols = ReaderBuilder::new()
        .from_bytes(b"email,Name\n".to_vec())
        .unwrap();
    assert_eq!(
        p.validate(Some(cols.columns())).unwrap_err().to_string(),
        "key field \"Email\" is not a column of the input"
    );
    let err = Batcher::new(ImportParams::new(1, "x"), bounds(50, None), None).unwrap_err();
    assert!(
        err.to_string().contains("cannot hold even an empty body"),
        "{err}"
    );
}

// ---- properties -----------------------------------------------------------

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9@.]{0,12}",
        1 => Just(String::new()),
        2 => any::<String>().prop_map(|s| s.chars().take(20).collect()),
        2 => prop::collection::vec(prop::sample::select(vec!["\"", "\\", "'", "\n", "\r", "\t", "\u{1}", ",", ";", "é", "𝄞", " ", "x"]), 0..10)
            .prop_map(|v| v.concat()),
    ]
}

const COLUMNS: [&str; 6] = [
    "Email",
    "Name",
    "Order.OrderID",
    "Order.Note",
    "we\"ird",
    "Ünï",
];

fn rows() -> impl Strategy<Value = Vec<Pairs>> {
    let row = (
        prop::sample::select(vec!["a@x.nl", "b@x.nl", "c@x.nl", ""]),
        prop::collection::vec((1..COLUMNS.len(), value()), 0..5),
    )
        .prop_map(|(email, fields)| {
            let mut row = vec![("Email".to_string(), email.to_string())];
            for (c, v) in fields {
                if !row.iter().any(|(n, _)| n == COLUMNS[c]) {
                    row.push((COLUMNS[c].to_string(), v));
                }
            }
            row
        });
    prop::collection::vec(row, 0..60)
}

fn expected_reject(row: &Pairs, keyed: bool) -> bool {
    if !keyed {
        return false;
    }
    let get = |n: &str| {
        row.iter()
            .find(|(k, _)| k == n)
            .map_or("", |(_, v)| v.as_str())
    };
    get("Email").is_empty() || ((!get("Order.Note").is_empty()) && get("Order.OrderID").is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn bodies_decode_to_the_rows_within_bounds(
        rows in rows(),
        format in prop::sample::select(FORMATS.to_vec()),
        max_bytes in 400usize..3000,
        max_rows in prop::option::of(1usize..8),
        keys in any::<bool>(),
        rebuild in any::<bool>(),
        location in any::<bool>(),
    ) {
        let mut p = if keys { keyed(format) } else { params(format) };
        p.rebuild = rebuild;
        if keys {
            p.key_fields = vec!["Email".into(), "Order.OrderID".into()];
        }
        let limits = bounds(max_bytes, max_rows);
        let loc = location.then_some("https://example.com/x");
        let r = run(p.clone(), limits, loc, &rows).unwrap();
        // Every body within its bounds; rebuild on the last only.
        for (i, b) in r.batches.iter().enumerate() {
            let size = b.data.as_ref().map_or(b.body.len(), |(_, d)| d.len());
            prop_assert!(size <= max_bytes);
            prop_assert!(b.body.len() <= max_bytes);
            prop_assert!(max_rows.is_none_or(|m| b.rows <= m));
            let body: Value = serde_json::from_slice(&b.body).unwrap();
            prop_assert_eq!(&body["rebuild"], &Value::Bool(rebuild && i == r.batches.len() - 1));
        }
        // Rejects are exactly the key failures and the rows too large alone.
        for (i, row) in rows.iter().enumerate() {
            let line = i as u64 + 2;
            let rejected = r.rejects.iter().find(|(l, _)| *l == line);
            if expected_reject(row, keys) {
                prop_assert!(rejected.is_some(), "row {} should be rejected", line);
            } else if let Some((_, reason)) = rejected {
                prop_assert!(reason.contains("even alone"), "{}", reason);
                let alone = run(p.clone(), limits, loc, std::slice::from_ref(row)).unwrap();
                prop_assert_eq!(alone.rejects.len(), 1);
            }
        }
        // Decoded, in order, exactly the rows that were not rejected.
        let kept: Vec<Pairs> = rows.iter().enumerate()
            .filter(|(i, _)| !r.rejects.iter().any(|(l, _)| *l == *i as u64 + 2))
            .map(|(_, p)| p.clone()).collect();
        prop_assert_eq!(all_rows(&r, format, &rows), kept.clone());
        // A profile's adjacent rows share a body unless a warning says they could not.
        if keys {
            let mut at = 0;
            let mut owner = Vec::new();
            for b in &r.batches { owner.extend(std::iter::repeat_n(b.part, b.rows)); at += b.rows; }
            prop_assert_eq!(at, kept.len());
            for w in 1..kept.len() {
                if kept[w][0].1 == kept[w - 1][0].1 && owner[w] != owner[w - 1] {
                    let split = format!("profile {} has more rows", kept[w][0].1);
                    prop_assert!(r.warnings.iter().any(|x| x.starts_with(&split)), "{} straddles without warning: {:?}", kept[w][0].1, r.warnings);
                }
            }
        }
    }
}
