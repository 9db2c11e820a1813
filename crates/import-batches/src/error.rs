//! Errors of this crate.

use std::io;

use crate::params::Action;

/// A parameter, or a combination of them, that Copernica would refuse or
/// that would do harm. Found before any output is written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamError {
    /// Not one of the five actions.
    #[error(
        "unknown action {0:?}: use add, update, \"update or add\", \"ignore or add\" or delete"
    )]
    UnknownAction(String),
    /// Not `profile` or `subprofile`.
    #[error("unknown deleteTarget {0:?}: use profile or subprofile")]
    UnknownDeleteTarget(String),
    /// Not `json`, `array` or `csv`.
    #[error("unknown source format {0:?}: use json, array or csv")]
    UnknownSourceFormat(String),
    /// The import needs a name.
    #[error("the import needs a name")]
    EmptyName,
    /// `deleteTarget` means something only with `delete`.
    #[error("deleteTarget goes only with action \"delete\"")]
    DeleteTargetWithoutDelete,
    /// An action that matches on keys, without keys.
    #[error("action \"{0}\" matches on keys: give keyFields (--key-fields)")]
    ActionNeedsKeys(Action),
    /// A key field that is empty, padded or has an empty part.
    #[error("key field {0:?} is not a field name")]
    BadKeyField(String),
    /// A key field that the input does not have.
    #[error("key field {0:?} is not a column of the input")]
    KeyFieldNotAColumn(String),
    /// Copernica's CSV delimiters are tab, `,` and `;`.
    #[error("a CSV source takes delimiter \",\", \";\" or tab, not {0:?}")]
    CsvDelimiter(char),
    /// `removeMissing` over several bodies: each would delete the others' profiles.
    #[error("removeMissing needs the whole import in one body, but it needs at least {parts} (each part would delete the profiles of the others); raise --max-bytes/--max-rows or drop --remove-missing")]
    RemoveMissingSplit {
        /// Bodies needed so far.
        parts: u32,
    },
    /// A size or count of zero, or too small to hold an empty body.
    #[error("{0}")]
    Limit(String),
}

/// An error while batching.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad parameters.
    #[error(transparent)]
    Params(#[from] ParamError),
    /// The sink could not write a batch.
    #[error(transparent)]
    Io(#[from] io::Error),
}
