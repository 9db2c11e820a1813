//! The one error type of this crate, with the position of every parse error.

use std::fmt;
use std::io;

/// Where in the input something happened.
///
/// * `byte` counts from 0 in the input as read after gzip (for an encoding
///   error) or in the decoded UTF-8 text (for a parse error; for UTF-8 input
///   the two are the same).
/// * `line` counts from 1 and advances on every `\n`, also inside quoted fields.
/// * `record` counts from 0; for CSV the header is record 0, so the first data
///   row is record 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Byte offset, starting at 0.
    pub byte: u64,
    /// Line number, starting at 1.
    pub line: u64,
    /// Record number, starting at 0 (the CSV header).
    pub record: u64,
}

/// An error of this crate: cheap to move (one box), with a position where one applies.
///
/// Errors for which [`Error::is_reject`] is true concern one row only: the
/// reader has filled the [`Row`](crate::Row) with the record as read and can go
/// on with the next one. Every other error ends the reading.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input could not be read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// `--encoding` named no WHATWG encoding.
    #[error("unknown encoding label {0:?}")]
    UnknownEncoding(String),
    /// A byte sequence that is not valid in the chosen encoding.
    #[error("invalid {encoding} byte sequence")]
    Encoding {
        /// The encoding that was chosen or detected.
        encoding: &'static str,
        /// Line of the bad sequence, from 1.
        line: u64,
        /// Offset of the bad sequence in the (decompressed) input, from 0.
        byte: u64,
    },
    /// Valid UTF-8 with non-ASCII text before a byte that is not UTF-8:
    /// neither UTF-8 nor windows-1252 would decode it all correctly.
    #[error("invalid UTF-8 in a file that holds valid non-ASCII UTF-8 before it")]
    MixedEncoding {
        /// Line of the bad sequence, from 1.
        line: u64,
        /// Offset of the bad sequence in the (decompressed) input, from 0.
        byte: u64,
    },
    /// The input holds no header row.
    #[error("empty input: there is no header row")]
    EmptyInput,
    /// A header name that is empty after trimming.
    #[error("column {column} of the header has an empty name")]
    EmptyHeader {
        /// Column number, from 1.
        column: usize,
        /// The line after has far more fields: the first may be a title
        /// or metadata line.
        short_first_line: bool,
    },
    /// A value under the header's empty last name (a trailing delimiter is
    /// dropped only when every value under it is empty).
    #[error("line {line}: column {column} of the header has an empty name, and this row has a value under it")]
    ValueUnderEmptyHeader {
        /// Column number, from 1.
        column: usize,
        /// Line of the row, from 1.
        line: u64,
    },
    /// The same header name twice.
    #[error("header name {name:?} appears twice, in columns {first} and {second}")]
    DuplicateHeader {
        /// The repeated name.
        name: String,
        /// Column number of the first occurrence, from 1.
        first: usize,
        /// Column number of the second occurrence, from 1.
        second: usize,
        /// The line after has far more fields: the first may be a title
        /// or metadata line.
        short_first_line: bool,
    },
    /// A row with more or fewer fields than the header (a reject).
    #[error("row has {found} fields, the header has {expected}")]
    FieldCount {
        /// Where the row starts.
        pos: Position,
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// A quoted field still open at the end of the input (a reject).
    #[error("quoted field is not closed before the end of the input")]
    UnclosedQuote {
        /// Where the row starts.
        pos: Position,
    },
    /// Malformed JSON.
    #[error("{message}")]
    Json {
        /// Line, from 1.
        line: u64,
        /// Column in bytes, from 1.
        column: u64,
        /// What is wrong.
        message: &'static str,
    },
    /// `--records POINTER` does not name an array or object of the input.
    #[error("--records {pointer}: {message}")]
    Pointer {
        /// The pointer as given.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// A JSON value that is not an object (a reject).
    #[error("the value is {found}, not an object")]
    NotAnObject {
        /// Where the value starts.
        pos: Position,
        /// What it is instead.
        found: &'static str,
    },
    /// An array that holds objects and other values (a reject).
    #[error("array {name} holds objects and other values")]
    MixedArray {
        /// Where the value starts.
        pos: Position,
        /// The array's dotted name.
        name: String,
    },
    /// The same field twice in one row (a reject).
    #[error("field {name} appears twice in one row")]
    DuplicateKey {
        /// Where the value starts.
        pos: Position,
        /// The dotted name.
        name: String,
    },
    /// A workbook that cannot be opened or read.
    #[error("{0}")]
    Workbook(String),
    /// `--sheet` names no sheet of the workbook.
    #[error("the workbook has no {asked}; its sheets: {sheets}")]
    NoSheet {
        /// What was asked for (`sheet named "Orders"`).
        asked: String,
        /// The sheets, numbered as `--sheet N` counts them.
        sheets: String,
    },
    /// A workbook cell that cannot be read (`Sheet1!D17: #N/A`): a reject
    /// for a data row, an error in the header.
    #[error("{sheet}!{cell}: {message}")]
    Cell {
        /// The sheet's name.
        sheet: String,
        /// The cell (`D17`).
        cell: String,
        /// The sheet row, from 1.
        row: u64,
        /// What is wrong (`#N/A`).
        message: String,
        /// Only this row is lost.
        reject: bool,
    },
    /// A record larger than the reader's limit: the input is not CSV as
    /// configured (often an unbalanced quote), and memory must stay bounded.
    #[error("record is larger than {limit} bytes (an unbalanced quote?)")]
    RecordTooLarge {
        /// Where the record starts.
        pos: Position,
        /// The limit in bytes.
        limit: usize,
    },
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Consumes the error, giving its kind.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// True when only one row is lost and reading can go on.
    pub fn is_reject(&self) -> bool {
        matches!(
            *self.0,
            ErrorKind::FieldCount { .. }
                | ErrorKind::UnclosedQuote { .. }
                | ErrorKind::NotAnObject { .. }
                | ErrorKind::MixedArray { .. }
                | ErrorKind::DuplicateKey { .. }
                | ErrorKind::Cell { reject: true, .. }
        )
    }

    /// The position the error names, if any.
    pub fn position(&self) -> Option<Position> {
        match *self.0 {
            ErrorKind::Encoding { line, byte, .. } | ErrorKind::MixedEncoding { line, byte } => {
                Some(Position {
                    byte,
                    line,
                    record: 0,
                })
            }
            ErrorKind::FieldCount { pos, .. }
            | ErrorKind::UnclosedQuote { pos }
            | ErrorKind::NotAnObject { pos, .. }
            | ErrorKind::MixedArray { pos, .. }
            | ErrorKind::DuplicateKey { pos, .. }
            | ErrorKind::RecordTooLarge { pos, .. } => Some(pos),
            ErrorKind::Cell { row, .. } => Some(Position {
                byte: 0,
                line: row,
                record: 0,
            }),
            ErrorKind::Json { line, .. } => Some(Position {
                byte: 0,
                line,
                record: 0,
            }),
            _ => None,
        }
    }

    /// A short advice for a person, where there is one.
    pub fn hint(&self) -> Option<&'static str> {
        match *self.0 {
            ErrorKind::Encoding { .. } => {
                Some("name the file's encoding with --encoding LABEL, or pass --lossy to replace bad bytes with U+FFFD")
            }
            ErrorKind::MixedEncoding { .. } => Some(
                "the file mixes encodings; repair it, or pass --encoding LABEL or --lossy",
            ),
            ErrorKind::UnknownEncoding(_) => {
                Some("use a WHATWG label such as utf-8, windows-1252, latin1, utf-16le")
            }
            ErrorKind::EmptyHeader {
                short_first_line: true,
                ..
            }
            | ErrorKind::DuplicateHeader {
                short_first_line: true,
                ..
            } => Some("the first line has far fewer fields than the next: if it is a title or metadata line (DATEV exports have one), skip it with --skip-lines 1"),
            ErrorKind::EmptyHeader { .. } | ErrorKind::DuplicateHeader { .. } => {
                Some("every column needs its own name in the first row")
            }
            ErrorKind::ValueUnderEmptyHeader { .. } => {
                Some("name that column in the header, or remove the values under it")
            }
            ErrorKind::Cell { reject: false, .. } => Some(
                "every column needs its own name in the header row; --skip-lines N skips the sheet's first N rows",
            ),
            ErrorKind::NoSheet { .. } => Some("pick one with --sheet NAME or --sheet N (inspect lists them)"),
            ErrorKind::RecordTooLarge { .. } => {
                Some("check the quoting, or give the delimiter with --delimiter")
            }
            ErrorKind::Json { .. } => Some("the input is not valid JSON there; --input-format names the format if it was guessed wrong"),
            _ => None,
        }
    }
}

/// `line L, byte B: what` for encoding errors, `line L: what` for row
/// errors, `what` for the rest; [`ErrorKind`]'s own `Display` is the bare
/// `what`, e.g. the reason column of a rejects file.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self.0 {
            ErrorKind::Encoding { line, byte, .. } | ErrorKind::MixedEncoding { line, byte } => {
                write!(f, "line {line}, byte {byte}: {}", self.0)
            }
            ErrorKind::Json { line, column, .. } => {
                write!(f, "line {line}, column {column}: {}", self.0)
            }
            ErrorKind::FieldCount { pos, .. }
            | ErrorKind::UnclosedQuote { pos }
            | ErrorKind::NotAnObject { pos, .. }
            | ErrorKind::MixedArray { pos, .. }
            | ErrorKind::DuplicateKey { pos, .. }
            | ErrorKind::RecordTooLarge { pos, .. } => write!(f, "line {}: {}", pos.line, self.0),
            _ => self.0.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.0 {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        ErrorKind::Io(e).into()
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
