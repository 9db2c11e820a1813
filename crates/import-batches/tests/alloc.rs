//! The batcher allocates per body (its name, its head), never per row: 100k
//! rows cost no more than 1k rows plus a few allocations per extra body.
//! Its own test binary, because it installs a counting global allocator.
#![allow(unsafe_code)] // a global allocator cannot be written without it

use import_batches::{Batch, Batcher, ImportParams, Limits, SourceFormat};
use profile_rows::{Columns, Row};

#[path = "../../../tests/support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{allocations, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations while batching, bodies) for `n` rows.
fn allocations_batching(n: usize, format: SourceFormat) -> (usize, usize) {
    let mut columns = Columns::new();
    let cols: Vec<usize> = ["Email", "Name", "Order.OrderID", "Order.Note"]
        .iter()
        .map(|c| columns.intern(c))
        .collect();
    // Rows prepared up front; lengths vary but are bounded.
    let rows: Vec<Row> = (0..n)
        .map(|i| {
            let mut row = Row::new();
            row.push_column(cols[0], &format!("u{}@example.com", i / 3));
            row.push_column(cols[1], &"Zoë \"Z\"".repeat(1 + i % 3));
            row.push_column(cols[2], &format!("A-{i}"));
            if i % 2 == 0 {
                row.push_column(cols[3], "note, with\nnewline");
            }
            row
        })
        .collect();
    let mut params = ImportParams::new(1, "alloc");
    params.source_format = format;
    params.key_fields = vec!["Email".into()];
    let mut batcher = Batcher::new(
        params,
        Limits {
            max_bytes: 64 * 1024,
            max_rows: None,
        },
        None,
    )
    .unwrap();
    let mut bodies = 0;
    let mut sink = |_: &Batch<'_>| {
        bodies += 1;
        Ok(())
    };
    let before = allocations();
    for row in &rows {
        assert!(batcher.push(row, &columns, &mut sink).unwrap().is_none());
    }
    batcher.finish(&mut sink).unwrap();
    (allocations() - before, bodies)
}

#[test]
fn allocations_grow_with_bodies_not_rows() {
    for format in [SourceFormat::Json, SourceFormat::Array, SourceFormat::Csv] {
        let (small, small_bodies) = allocations_batching(1_000, format);
        let (large, large_bodies) = allocations_batching(100_000, format);
        assert!(
            large_bodies > small_bodies * 50,
            "{format:?}: {small_bodies} vs {large_bodies} bodies"
        );
        let per_body = 4;
        assert!(
            large <= small + per_body * (large_bodies - small_bodies),
            "{format:?}: 1k rows {small} allocations ({small_bodies} bodies), 100k rows {large} ({large_bodies} bodies)"
        );
    }
}
