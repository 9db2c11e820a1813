//! Reading allocates only while buffers grow: 100k rows cost no more
#![allow(unsafe_code)] // a global allocator cannot be written without it
//! allocations than 1k rows plus a small constant. Its own test binary,
//! because it installs a counting global allocator.

use std::io::Read;

use profile_rows::{ReaderBuilder, Row};

#[path = "../../../tests/support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{allocations, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Generates a CSV export row by row.
struct Export {
    rows: usize,
    next: usize,
    pending: Vec<u8>,
    pos: usize,
}

impl Export {
    fn new(rows: usize) -> Export {
        let header = b"Email,Name,Note,Order.OrderID,Order.Total\n".to_vec();
        Export {
            rows,
            next: 0,
            pending: header,
            pos: 0,
        }
    }
}

impl Read for Export {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            let i = self.next;
            self.next += 1;
            self.pending.clear();
            self.pos = 0;
            // Lengths vary with i (quoted notes with commas, quotes, newlines,
            // non-ASCII) but are bounded, so buffers stop growing early.
            let note = "é, \"q\"\n".repeat(i % 13);
            let line = format!(
                "user{i}@example.com,Name {i},\"{}\",{},{}.{:02}\n",
                note.replace('"', "\"\""),
                i * 7,
                i % 1000,
                i % 100
            );
            self.pending.extend_from_slice(line.as_bytes());
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Allocations made by reading all rows of `input`, after the reader is
/// built; and the number of rows.
fn allocations_reading(input: Vec<u8>, parse_threads: usize) -> (usize, usize) {
    let mut rdr = ReaderBuilder::new()
        .parse_threads(parse_threads)
        .from_bytes(input)
        .unwrap();
    let mut row = Row::new();
    let before = allocations();
    let mut n = 0;
    while rdr.read_row(&mut row).unwrap() {
        n += 1;
    }
    (allocations() - before, n)
}

fn allocations_reading_csv(rows: usize) -> usize {
    let mut input = Vec::new();
    Export::new(rows).read_to_end(&mut input).unwrap();
    let (allocations, n) = allocations_reading(input, 0);
    assert_eq!(n, rows);
    allocations
}

/// The same for NDJSON with nested orders that explode into several rows.
fn allocations_reading_ndjson(rows: usize, parse_threads: usize) -> usize {
    let mut input = String::new();
    for i in 0..rows {
        let orders: Vec<String> = (0..i % 4)
            .map(|k| {
                format!(r#"{{"OrderID":"{i}-{k}","Total":{k}.50,"Note":"caf\u00e9 \"{k}\""}}"#)
            })
            .collect();
        input.push_str(&format!(
            "{{\"Email\":\"u{i}@example.com\",\"Tags\":[\"a\",{i}],\"Address\":{{\"City\":\"Utrecht\"}},\"Order\":[{}]}}\n",
            orders.join(",")
        ));
    }
    let (allocations, n) = allocations_reading(input.into_bytes(), parse_threads);
    assert!(n >= rows);
    allocations
}

#[test]
fn json_allocations_do_not_grow_with_rows() {
    // On the reading thread, and on three parser threads, whose blocks,
    // rows and buffers go round and round: all of them are in use (and
    // grown) after some 20 blocks of 512 values.
    for threads in [0, 3] {
        let small = allocations_reading_ndjson(20_000, threads);
        let large = allocations_reading_ndjson(100_000, threads);
        assert!(
            large <= small + 8,
            "{threads} parse threads: 20k values: {small} allocations, 100k values: {large}"
        );
    }
}

#[test]
fn allocations_do_not_grow_with_rows() {
    let small = allocations_reading_csv(1_000);
    let large = allocations_reading_csv(100_000);
    assert!(
        large <= small + 8,
        "1k rows: {small} allocations, 100k rows: {large}"
    );
}
