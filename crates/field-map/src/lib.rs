//! Export columns onto Copernica database fields: a TOML mapping, field
//! types, and a strict check of every value before it is sent.
//!
//! Copernica refuses almost nothing: an unknown field name is ignored, an
//! invalid date becomes `0000-00-00`, text in an integer field becomes `0`.
//! So this crate sits between the reader ([`profile_rows`]) and the batcher:
//! it renames, drops and adds columns, fills down, and checks and
//! normalizes each value by its field's type. What cannot be made right is
//! a [`RowError`] naming the field, the value and what was expected; the
//! row is rejected, never sent changed by a guess.
//!
//! ```
//! use field_map::{Mapping, MapperBuilder};
//! use profile_rows::{ReaderBuilder, Row, RowView};
//!
//! let mapping = Mapping::parse(r#"
//! [columns]
//! "Email Address" = "Email"
//! "Password"      = false
//! "Amount"        = { field = "Orders.Total", type = "float", decimal = ",", thousands = "." }
//!
//! [constants]
//! "Source" = "webshop-2026"
//! "#, "map.toml")?;
//!
//! let csv = "Email Address;Password;Amount\nann@example.com;hunter2;1.299,00\n";
//! let mut rdr = ReaderBuilder::new().from_bytes(csv.as_bytes().to_vec())?;
//! let mut mapper = MapperBuilder::new(&mapping).build(rdr.columns())?;
//! mapper.check_complete()?;
//!
//! let mut row = Row::new();
//! rdr.read_row(&mut row)?;
//! let mapped = mapper.map(&row, rdr.columns())?;
//! let fields: Vec<(&str, &str)> = (0..mapped.len())
//!     .map(|i| mapped.field(i))
//!     .map(|(col, value)| (mapped.columns().name(col), value))
//!     .collect();
//! assert_eq!(fields, [
//!     ("Email", "ann@example.com"),
//!     ("Orders.Total", "1299.00"),
//!     ("Source", "webshop-2026"),
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Lending, not copying
//!
//! A [`MappedRow`] borrows the reader's row: a rename changes only the
//! column table, a dropped column is skipped, a trimmed value is a shorter
//! slice of the same text. Only a value that changes (a rewritten number
//! or date, a replacement, a filled-down value, a constant) is written, into
//! one scratch buffer reused from row to row. When nothing at all changes
//! the reader's row itself is lent on, for consumers to copy in one piece.
//! When every column stays where it is (renamed, typed or trimmed only),
//! the mapped row is the reader's row with its changed values put in:
//! [`RowView::append_to`](profile_rows::RowView::append_to) copies it in
//! as many pieces as values changed, or in one piece, written over, when
//! each new value is as long as the old (`05-06-2026` to `2026-06-05`).
//!
//! # Values by type
//!
//! | type | accepted | sent as |
//! |---|---|---|
//! | integer | optional sign and digits (after `thousands` is removed) | the digits, `+` dropped |
//! | float | optional sign, digits, at most one decimal mark, optional exponent | the same digits with `.` |
//! | date, empty_date | `YYYY-MM-DD`; with a `format`, that format only | `YYYY-MM-DD` |
//! | datetime, empty_datetime | `YYYY-MM-DD HH:MM:SS` or with `T` (wall time), RFC 3339 with `Z` or an offset; with a `format`, that format only | `YYYY-MM-DD HH:MM:SS` in the mapping's `timezone` |
//! | select | one of the options | as is |
//! | text, email, phone, big, ... | anything | as is |
//!
//! Empty is empty for every type. Thousands separators must stand between
//! groups of three digits (`1.299,00`, not `12.99,00`). A `format` is
//! matched by jiff's strptime; an impossible calendar date (`2024-02-30`)
//! is refused, and nothing is guessed between day-first and month-first.
//! RFC 3339 fractions of a second are cut to the second. Time zones come
//! from jiff's bundled database, so no system tzdata is needed.

mod error;
mod mapper;
mod mapping;
mod schema;
mod simple_format;
mod types;

pub use crate::error::{MappingError, RowError, ValueError};
pub use crate::mapper::{
    FieldStats, MapBuf, MapError, MappedRow, MappedRows, Mapper, MapperBuilder, MAX_ROW_BYTES,
};
pub use crate::mapping::{ColumnMap, Mapping, Options, Rules, Source, Trim, Unmapped};
pub use crate::schema::{Schema, SchemaCollection, SchemaField};
pub use crate::types::FieldType;
