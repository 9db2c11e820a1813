//! Batcher throughput by source format and input tier: rows already read
//! (so only batching and rendering is measured), bodies counted and the row
//! total asserted inside the loop.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use import_batches::{Batch, Batcher, ImportParams, Limits, SourceFormat};
use profile_rows::{Columns, ReaderBuilder, Row};

/// Rows of a generated export, read once up front.
fn rows(n: usize) -> (Columns, Vec<Row>, u64) {
    let mut s =
        String::from("Email,FirstName,LastName,City,Order.OrderID,Order.Total,Order.Note\n");
    for i in 0..n {
        let note = if i % 10 == 0 {
            "\"Bezorgen bij de buren, \"\"niet\"\" aanbellen\nDank je, Zoë\""
        } else {
            "geen"
        };
        s.push_str(&format!(
            "user{}@example.com,Anne,de Vries,Utrecht,A-{i},{}.{:02},{note}\n",
            i / 2,
            i % 500,
            i % 100
        ));
    }
    let bytes = s.len() as u64;
    let mut rdr = ReaderBuilder::new().from_bytes(s.into_bytes()).unwrap();
    let mut out = Vec::new();
    let mut row = Row::new();
    while rdr.read_row(&mut row).unwrap() {
        out.push(row.clone());
    }
    (rdr.columns().clone(), out, bytes)
}

fn batch(columns: &Columns, rows: &[Row], format: SourceFormat) -> (u64, usize) {
    let mut params = ImportParams::new(1, "bench");
    params.source_format = format;
    params.key_fields = vec!["Email".into()];
    let mut batcher = Batcher::new(
        params,
        Limits {
            max_bytes: 1 << 20,
            max_rows: None,
        },
        None,
    )
    .unwrap();
    let mut bodies = 0;
    let mut sink = |b: &Batch<'_>| {
        bodies += 1;
        std::hint::black_box(b.body);
        Ok(())
    };
    for row in rows {
        batcher.push(row, columns, &mut sink).unwrap();
    }
    let summary = batcher.finish(&mut sink).unwrap();
    (summary.rows, bodies)
}

fn batches(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch");
    for n in [1_000usize, 100_000] {
        let (columns, rows, bytes) = rows(n);
        group.throughput(Throughput::Bytes(bytes));
        for (name, format) in [
            ("json", SourceFormat::Json),
            ("array", SourceFormat::Array),
            ("csv", SourceFormat::Csv),
        ] {
            group.bench_with_input(BenchmarkId::new(name, n), &rows, |b, rows| {
                b.iter(|| assert_eq!(batch(&columns, rows, format).0, n as u64))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, batches);
criterion_main!(benches);
