//! Errors: a mistake in the mapping, and a value that does not fit its field.

use std::fmt;

/// A mistake in a mapping file, or between the mapping and the input: found
/// before any row is written.
///
/// Shown as `map.toml:7: "Order date": unknown type "dat"; known: ...`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct MappingError {
    /// The mapping file, as named by the caller.
    pub file: String,
    /// Line in the file, from 1; 0 when the mistake has no one line.
    pub line: usize,
    /// The key (column, field or option) concerned; empty when none.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl MappingError {
    pub(crate) fn new(file: &str, line: usize, key: &str, message: String) -> MappingError {
        MappingError {
            file: file.to_string(),
            line,
            key: key.to_string(),
            message,
        }
    }
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        write!(f, ": ")?;
        if !self.key.is_empty() {
            write!(f, "{:?}: ", self.key)?;
        }
        write!(f, "{}", self.message)
    }
}

/// A value that does not fit its field: the row is rejected with it.
///
/// Shown as `Orders.Date "31-02-2024" is not a date in format %d-%m-%Y`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} {value:?} {expected}")]
pub struct ValueError {
    /// The database field (the name after mapping).
    pub field: String,
    /// The value as it was when checked (after trimming and replacements).
    pub value: String,
    /// What was expected, as it follows the value in the message.
    pub expected: String,
}

/// A row that cannot be sent: every value of it that does not fit.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct RowError {
    /// Input line where the row begins.
    pub line: u64,
    /// The values that did not fit, in field order (at least one).
    pub errors: Vec<ValueError>,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
