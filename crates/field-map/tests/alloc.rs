//! Mapping allocates only while its buffers grow: 100k rows through a
//! mapping that renames, drops, types, replaces and fills down cost no more
//! allocations than 1k rows. Its own test binary, because it installs a
//! counting global allocator.
#![allow(unsafe_code)] // a global allocator cannot be written without it

use field_map::{MapperBuilder, Mapping};
use profile_rows::{Columns, Row, RowView};

#[path = "../../../tests/support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{allocations, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

const MAP: &str = r#"
[columns]
"Email Address" = { field = "Email", lowercase = true }
"Naam"          = "Name"
"Wachtwoord"    = false
"Sinds"         = { field = "Since", type = "date", format = "%d-%m-%Y" }
"Bedrag"        = { field = "Orders.Total", type = "float", decimal = ",", thousands = "." }
"Aantal"        = { field = "Orders.Quantity", type = "integer" }
"Geslacht"      = { field = "Gender", type = "select", options = ["Male", "Female"], values = { "M" = "Male", "V" = "Female" } }
"Gezien"        = { field = "Seen", type = "datetime" }

[constants]
"Source" = "bench"

[options]
fill-down = ["Name"]
fill-down-by = "Email"
"#;

/// (allocations while mapping, fields seen) for `n` rows.
fn allocations_mapping(n: usize) -> (usize, usize) {
    let mapping = Mapping::parse(MAP, "map.toml").unwrap();
    let mut columns = Columns::new();
    for c in [
        "Email Address",
        "Naam",
        "Wachtwoord",
        "Sinds",
        "Bedrag",
        "Aantal",
        "Geslacht",
        "Gezien",
    ] {
        columns.intern(c);
    }
    let rows: Vec<Row> = (0..n)
        .map(|i| {
            let mut row = Row::new();
            row.push_field(&format!("User{}@Example.com", i / 3));
            row.push_field(if i % 3 == 0 { "Anne de Vries" } else { "" });
            row.push_field("hunter2");
            row.push_field(&format!("{}-{}-20{:02}", 1 + i % 28, 1 + i % 12, i % 100));
            row.push_field(&format!("{}.{:03},{:02}", 1 + i % 9, i % 1000, i % 100));
            row.push_field(&format!("+{}", i % 7));
            row.push_field(["M", "V", "Male"][i % 3]);
            row.push_field(&format!("2024-03-{:02}T10:00:00+01:00", 1 + i % 28));
            row
        })
        .collect();
    let mut mapper = MapperBuilder::new(&mapping).build(&columns).unwrap();
    let mut fields = 0;
    let before = allocations();
    for row in &rows {
        let mapped = mapper.map(row, &columns).unwrap();
        fields += mapped.len();
        std::hint::black_box(mapped.field(0));
    }
    (allocations() - before, fields)
}

#[test]
fn mapping_allocates_only_while_buffers_grow() {
    let (small, f1) = allocations_mapping(1_000);
    let (large, f2) = allocations_mapping(100_000);
    assert_eq!(f1, 1_000 * 8);
    assert_eq!(f2, 100_000 * 8);
    // The first rows grow the scratch buffer and field list, and keep the
    // examples of what check reports; nothing after that.
    assert!(small < 128, "{small} allocations for 1k rows");
    assert!(
        large <= small,
        "{large} allocations for 100k rows, {small} for 1k"
    );
}
