//! Streaming, zero-copy reading of customer-data exports into flat profile rows.
//!
//! Bytes go in, in any encoding, plain or gzip; rows come out as UTF-8 fields
//! named by a column table, where a dotted name (`Order.OrderID`) is a field of
//! a subprofile collection (`Order`).
//!
//! ```
//! use profile_rows::{ReaderBuilder, Row};
//!
//! // windows-1252, semicolons, decimal commas: all detected.
//! let bytes = b"Email;Name;Order.Total\nzoe@example.com;Zo\xEB;12,50\n".to_vec();
//! let mut rdr = ReaderBuilder::new().from_bytes(bytes)?;
//! assert_eq!(rdr.info().encoding.name(), "windows-1252");
//! assert_eq!(rdr.columns().collection(2), Some("Order"));
//!
//! let mut row = Row::new();
//! while rdr.read_row(&mut row)? {
//!     assert_eq!(row.iter().collect::<Vec<_>>(), ["zoe@example.com", "Zoë", "12,50"]);
//! }
//! # Ok::<(), profile_rows::Error>(())
//! ```
//!
//! # How it reads
//!
//! * The input is a path, stdin or any reader; gzip is recognised by its magic
//!   bytes, not its name.
//! * Encoding: a BOM decides (UTF-8, UTF-16LE, UTF-16BE); then a label given to
//!   [`ReaderBuilder::encoding`]; otherwise UTF-8 until the bytes prove
//!   otherwise, in one pass: an invalid sequence after nothing but ASCII
//!   makes the input windows-1252 ([`RowReader::info`] says so from then on);
//!   after valid non-ASCII UTF-8 it is an error rather than a guess. An
//!   invalid byte sequence is an error naming its line and offset unless
//!   [`ReaderBuilder::lossy`] is set. UTF-8 is validated in place, never
//!   transcoded.
//! * The delimiter is sniffed among `,` `;` tab `|` over the first rows,
//!   quote-aware (see [`ReaderBuilder::delimiter`] to give it).
//! * RFC 4180 quoting, quoted newlines, CRLF, LF or CR, a last line without a
//!   newline. Empty lines are skipped.
//! * The header's names are trimmed; an empty or repeated name is an error.
//!   A row with another field count than the header is a reject
//!   ([`Error::is_reject`]): the row holds what was read, reading goes on.
//!
//! # Memory
//!
//! The reader holds one read buffer (64 KiB by default) and the caller's
//! [`Row`], which grows to the longest record. Nothing depends on the input's
//! size: a 5 GB file is read in the same memory as a 5 KB one.

mod cell_forms;
mod csv;
mod decode;
mod error;
mod excel;
mod find;
mod flatten;
mod input;
mod json;
mod ole;
mod parallel;
mod pointer;
mod reader;
mod row;
mod sniff;

#[cfg(test)]
mod testutil;

pub use crate::decode::{Detection, EncodingInfo};
pub use crate::error::{Error, ErrorKind, Position, Result};
pub use crate::excel::{column_letters, BookKind, Sheet, Visibility};
pub use crate::input::Input;
pub use crate::reader::{Format, InputInfo, ReaderBuilder, RowReader};
pub use crate::row::{split_dotted, Columns, Row, RowView};
pub use crate::sniff::CANDIDATES as DELIMITERS;
