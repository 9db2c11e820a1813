//! Batcher throughput by source format and input tier: rows already read
//! (so only batching and rendering is measured), bodies counted and the row
//! total asserted inside the loop.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use field_map::{MapBuf, MapperBuilder, Mapping};
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

/// Rows as a Dutch Excel saves them: day-first dates, decimal commas.
fn excel_rows(n: usize) -> (Columns, Vec<Row>, u64) {
    let mut s = String::from(
        "Email;FirstName;LastName;City;Order.OrderID;Order.Date;Order.Total;Order.Quantity;Order.Note\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "user{}@example.com;Anne;de Vries;Utrecht;A-{i};{}-{}-2026;{},{:02};{};geen\n",
            i / 2,
            1 + i % 28,
            1 + i % 12,
            i % 500,
            i % 100,
            1 + i % 5
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

/// Every column renamed; a day-first date, a decimal-comma float and an
/// integer checked, the first two rewritten in every row.
const MAP: &str = r#"
[columns]
"Email"          = "email"
"FirstName"      = "first_name"
"LastName"       = "last_name"
"City"           = "city"
"Order.OrderID"  = "Orders.id"
"Order.Date"     = { field = "Orders.date", type = "date", format = "%d-%m-%Y" }
"Order.Total"    = { field = "Orders.total", type = "float", decimal = "," }
"Order.Quantity" = { field = "Orders.quantity", type = "integer" }
"Order.Note"     = "Orders.note"
"#;

fn batcher(key: &str) -> Batcher {
    let mut params = ImportParams::new(1, "bench");
    params.key_fields = vec![key.into()];
    Batcher::new(
        params,
        Limits {
            max_bytes: 1 << 20,
            max_rows: None,
        },
        None,
    )
    .unwrap()
}

/// Rows through the mapping (when given) into bodies: (rows sent, bodies).
fn mapped_batch(columns: &Columns, rows: &[Row], mapping: Option<&Mapping>) -> (u64, usize) {
    let mut batcher = batcher(if mapping.is_some() { "email" } else { "Email" });
    let mut bodies = 0;
    let mut sink = |b: &Batch<'_>| {
        bodies += 1;
        std::hint::black_box(b.body);
        Ok(())
    };
    match mapping {
        None => {
            for row in rows {
                batcher.push(row, columns, &mut sink).unwrap();
            }
        }
        Some(m) => {
            let mut mapper = MapperBuilder::new(m).stats(false).build(columns).unwrap();
            let mut buf = MapBuf::new();
            for row in rows {
                mapper.map_into(row, columns, &mut buf).unwrap();
                let view = buf.view(row, mapper.columns());
                batcher.push(&view, mapper.columns(), &mut sink).unwrap();
            }
        }
    }
    let summary = batcher.finish(&mut sink).unwrap();
    (summary.rows, bodies)
}

/// The cost of a mapping: the same rows batched without and with one.
fn mapped(c: &mut Criterion) {
    let mapping = Mapping::parse(MAP, "map.toml").unwrap();
    let mut group = c.benchmark_group("mapped");
    let n = 100_000usize;
    let (columns, rows, bytes) = excel_rows(n);
    group.throughput(Throughput::Bytes(bytes));
    for (name, m) in [("no mapping", None), ("mapping", Some(&mapping))] {
        group.bench_with_input(BenchmarkId::new(name, n), &rows, |b, rows| {
            b.iter(|| assert_eq!(mapped_batch(&columns, rows, m).0, n as u64))
        });
    }
    group.finish();
}

criterion_group!(benches, batches, mapped);
criterion_main!(benches);
