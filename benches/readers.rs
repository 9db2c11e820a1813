//! Reader throughput by input tier. Each iteration reads a whole generated
#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! export and asserts the row count, so a broken reader cannot look fast.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use profile_rows::{ReaderBuilder, Row};

/// A deterministic export of `rows` contacts with orders: 1 in 10 notes is
/// quoted and holds commas, doubled quotes, a newline and non-ASCII text.
fn export(rows: usize, delimiter: char) -> String {
    let mut s = format!(
        "Email{d}FirstName{d}LastName{d}City{d}Order.OrderID{d}Order.Total{d}Order.Note\n",
        d = delimiter
    );
    for i in 0..rows {
        let note = if i % 10 == 0 {
            format!(
                "\"Bezorgen bij de buren{d} \"\"niet\"\" aanbellen\nDank je, Zoë\"",
                d = delimiter
            )
        } else {
            "geen".to_string()
        };
        s.push_str(&format!(
            "user{i}@example.com{d}Anne{d}de Vries{d}Utrecht{d}A-{i}{d}{}.{:02}{d}{note}\n",
            i % 500,
            i % 100,
            d = delimiter
        ));
    }
    s
}

/// The same contacts as NDJSON, each with its one order nested.
fn ndjson(rows: usize) -> String {
    let mut s = String::new();
    for i in 0..rows {
        let note = if i % 10 == 0 {
            r#"Bezorgen bij de buren, \"niet\" aanbellen\nDank je, Zo\u00eb"#
        } else {
            "geen"
        };
        s.push_str(&format!(
            "{{\"Email\":\"user{i}@example.com\",\"FirstName\":\"Anne\",\"LastName\":\"de Vries\",\"City\":\"Utrecht\",\"Order\":[{{\"OrderID\":\"A-{i}\",\"Total\":{}.{:02},\"Note\":\"{note}\"}}]}}\n",
            i % 500,
            i % 100
        ));
    }
    s
}

fn read_rows(bytes: &[u8]) -> usize {
    read_rows_on(bytes, 0)
}

/// Rows read, with JSON values parsed on `parse_threads` threads.
fn read_rows_on(bytes: &[u8], parse_threads: usize) -> usize {
    let mut rdr = ReaderBuilder::new()
        .parse_threads(parse_threads)
        .from_bytes(bytes.to_vec())
        .unwrap();
    let mut row = Row::new();
    let mut n = 0;
    while rdr.read_row(&mut row).unwrap() {
        black_box(row.get(0));
        n += 1;
    }
    n
}

fn csv_readers(c: &mut Criterion) {
    let mut group = c.benchmark_group("csv_read");
    for rows in [1_000usize, 100_000] {
        let utf8 = export(rows, ',');
        let (cp1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&utf8);
        assert!(!unmappable);
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(utf8.encode_utf16().flat_map(u16::to_le_bytes));
        for (name, bytes) in [
            ("utf8", utf8.as_bytes().to_vec()),
            ("windows1252", cp1252.into_owned()),
            ("utf16le", utf16),
        ] {
            group.throughput(Throughput::Bytes(bytes.len() as u64));
            group.bench_with_input(BenchmarkId::new(name, rows), &bytes, |b, bytes| {
                b.iter(|| assert_eq!(read_rows(bytes), rows))
            });
        }
    }
    group.finish();
}

fn json_readers(c: &mut Criterion) {
    let mut group = c.benchmark_group("json_read");
    for rows in [1_000usize, 100_000] {
        let nd = ndjson(rows);
        let array = format!("[{}]", nd.trim_end().replace('\n', ","));
        for (name, text) in [("ndjson", nd), ("array", array)] {
            let bytes = text.into_bytes();
            group.throughput(Throughput::Bytes(bytes.len() as u64));
            for threads in [0, 2] {
                let id = match threads {
                    0 => name.to_string(),
                    t => format!("{name}, {t} parser threads"),
                };
                group.bench_with_input(BenchmarkId::new(id, rows), &bytes, |b, bytes| {
                    b.iter(|| assert_eq!(read_rows_on(bytes, threads), rows))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, csv_readers, json_readers);
criterion_main!(benches);
