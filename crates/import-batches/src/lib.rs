//! Copernica REST v3 import parameters, size-bounded batching and exact
//! request bodies for `POST /v3/imports`.
//!
//! ```
//! use import_batches::{Action, Batch, Batcher, ImportParams, Limits};
//! use profile_rows::{ReaderBuilder, Row};
//!
//! let csv = "Email,Order.OrderID\nann@example.com,1\nann@example.com,2\nbo@example.com,3\n";
//! let mut rdr = ReaderBuilder::new().from_bytes(csv.as_bytes().to_vec())?;
//!
//! let mut params = ImportParams::new(42, "webshop");
//! params.action = Some(Action::UpdateOrAdd);
//! params.key_fields = vec!["Email".into(), "Order.OrderID".into()];
//! params.validate(Some(rdr.columns()))?;
//! let limits = Limits { max_bytes: 360, max_rows: None };
//! let mut batcher = Batcher::new(params, limits, None)?;
//!
//! let mut bodies = Vec::new();
//! let mut sink = |b: &Batch<'_>| {
//!     bodies.push(String::from_utf8(b.body.to_vec()).unwrap());
//!     Ok(())
//! };
//! let mut row = Row::new();
//! while rdr.read_row(&mut row)? {
//!     assert_eq!(batcher.push(&row, rdr.columns(), &mut sink)?, None);
//! }
//! let summary = batcher.finish(&mut sink)?;
//! assert_eq!(summary.rows, 3);
//! assert!(bodies.iter().all(|b| b.len() <= 360));
//! // Ann's two orders stay together; the first body ends before Bo.
//! assert_eq!(bodies.len(), 2);
//! assert!(bodies[0].starts_with(r#"{"database":42,"name":"webshop (part 1)","#));
//! assert!(bodies[0].contains(r#""source":"[{\"Email\":\"ann@example.com\",\"Order.OrderID\":\"1\"},"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The bodies
//!
//! Each body is a complete JSON request: the parameters, then `source` (or
//! `location`), then `rebuild`. Its length in bytes, JSON escaping included,
//! is at most [`Limits::max_bytes`], measured on the bytes written. Rows keep
//! their order and each lands in exactly one body or is rejected with a
//! reason. Within a body every row lists the body's columns in one order,
//! absent ones as `""`, as Copernica requires.
//!
//! * `json` (default): `"format":"json","source":"[{\"Email\":...}]"`.
//! * `array`: `"source":[{"Email":...}]`.
//! * `csv`: `"format":"csv","delimiter":",","source":"Email,...\n..."`.
//!
//! Rules across bodies: `name` gets ` (part N)`; `rebuild: true` only on the
//! last; `removeMissing` that needs two bodies is refused; adjacent rows with
//! the same profile key values stay in one body (a profile that cannot fit
//! in one is split with a warning); a row that cannot fit even alone, with an
//! empty profile key, or with fields of a collection but an empty key of that
//! collection, is rejected.

mod batcher;
mod error;
mod escape;
mod params;
mod short_copy;
mod size;

pub use crate::batcher::{file_name, Batch, Batcher, Limits, Sink, Summary};
pub use crate::error::{Error, ParamError};
pub use crate::params::{Action, DeleteTarget, ImportParams, SourceFormat};
pub use crate::size::parse_size;
