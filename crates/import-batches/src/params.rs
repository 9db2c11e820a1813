//! The parameters of `POST /v3/imports` and the rules between them.

use std::fmt;
use std::str::FromStr;

use profile_rows::{split_dotted, Columns};
use serde::Serialize;

use crate::error::ParamError;

/// What Copernica does with each (sub)profile of the import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Action {
    /// `add`: always create.
    #[serde(rename = "add")]
    Add,
    /// `update`: update matches, never create.
    #[serde(rename = "update")]
    Update,
    /// `update or add`: update matches, create the rest.
    #[serde(rename = "update or add")]
    UpdateOrAdd,
    /// `ignore or add`: leave matches alone, create the rest.
    #[serde(rename = "ignore or add")]
    IgnoreOrAdd,
    /// `delete`: delete matches.
    #[serde(rename = "delete")]
    Delete,
}

impl Action {
    /// The API's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Update => "update",
            Action::UpdateOrAdd => "update or add",
            Action::IgnoreOrAdd => "ignore or add",
            Action::Delete => "delete",
        }
    }

    /// Whether the action matches existing (sub)profiles, and so needs `keyFields`.
    pub fn needs_keys(self) -> bool {
        self != Action::Add
    }
}

impl FromStr for Action {
    type Err = ParamError;

    /// The API's words; `update-or-add` and `update_or_add` are accepted too.
    fn from_str(s: &str) -> Result<Action, ParamError> {
        match s.trim().replace(['-', '_'], " ").as_str() {
            "add" => Ok(Action::Add),
            "update" => Ok(Action::Update),
            "update or add" => Ok(Action::UpdateOrAdd),
            "ignore or add" => Ok(Action::IgnoreOrAdd),
            "delete" => Ok(Action::Delete),
            _ => Err(ParamError::UnknownAction(s.to_string())),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `delete` removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeleteTarget {
    /// The profile (the API's default).
    Profile,
    /// The subprofile.
    Subprofile,
}

impl FromStr for DeleteTarget {
    type Err = ParamError;

    fn from_str(s: &str) -> Result<DeleteTarget, ParamError> {
        match s {
            "profile" => Ok(DeleteTarget::Profile),
            "subprofile" => Ok(DeleteTarget::Subprofile),
            _ => Err(ParamError::UnknownDeleteTarget(s.to_string())),
        }
    }
}

/// How the rows travel in a body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    /// `source` is a JSON string holding an array of objects; `format: "json"`.
    #[default]
    Json,
    /// `source` is the array of objects itself; no `format`.
    Array,
    /// `source` is CSV text with a header row; `format: "csv"`, `delimiter` set.
    Csv,
}

impl FromStr for SourceFormat {
    type Err = ParamError;

    fn from_str(s: &str) -> Result<SourceFormat, ParamError> {
        match s {
            "json" => Ok(SourceFormat::Json),
            "array" => Ok(SourceFormat::Array),
            "csv" => Ok(SourceFormat::Csv),
            _ => Err(ParamError::UnknownSourceFormat(s.to_string())),
        }
    }
}

/// The parameters of an import, with the API's defaults.
///
/// ```
/// use import_batches::{Action, ImportParams};
///
/// let mut p = ImportParams::new(42, "webshop");
/// p.action = Some(Action::UpdateOrAdd);
/// p.key_fields = vec!["Email".into(), "Order.OrderID".into()];
/// p.validate(None)?;
///
/// p.key_fields.clear();
/// assert_eq!(
///     p.validate(None).unwrap_err().to_string(),
///     "action \"update or add\" matches on keys: give keyFields (--key-fields)"
/// );
/// # Ok::<(), import_batches::ParamError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportParams {
    /// `database`: the database id.
    pub database: u64,
    /// `name`: the import's name; each body gets ` (part N)` after it.
    pub name: String,
    /// `followups` (default false).
    pub followups: bool,
    /// `autostart` (default true).
    pub autostart: bool,
    /// `rebuild` (default false); sent as true on the last body only.
    pub rebuild: bool,
    /// `action`; `None` leaves it to the API.
    pub action: Option<Action>,
    /// `keyFields`; a subprofile key is dotted (`Order.OrderID`).
    pub key_fields: Vec<String>,
    /// `ignoreEmptyFields` (default false).
    pub ignore_empty_fields: bool,
    /// `removeMissing` (default false); refused when it would need two bodies.
    pub remove_missing: bool,
    /// `deleteTarget`, only with `delete`.
    pub delete_target: Option<DeleteTarget>,
    /// How rows travel in `source` (or in the data files of `location`).
    pub source_format: SourceFormat,
    /// `delimiter` of a CSV source: `,` (default), `;` or tab.
    pub csv_delimiter: u8,
}

impl ImportParams {
    /// The API's defaults for database `database` and import `name`.
    pub fn new(database: u64, name: impl Into<String>) -> ImportParams {
        ImportParams {
            database,
            name: name.into(),
            followups: false,
            autostart: true,
            rebuild: false,
            action: None,
            key_fields: Vec::new(),
            ignore_empty_fields: false,
            remove_missing: false,
            delete_target: None,
            source_format: SourceFormat::Json,
            csv_delimiter: b',',
        }
    }

    /// Checks the rules between parameters, and the key fields against the
    /// input's columns when they are known (CSV: from the header).
    pub fn validate(&self, columns: Option<&Columns>) -> Result<(), ParamError> {
        if self.name.trim().is_empty() {
            return Err(ParamError::EmptyName);
        }
        if self.delete_target.is_some() && self.action != Some(Action::Delete) {
            return Err(ParamError::DeleteTargetWithoutDelete);
        }
        if let Some(action) = self.action {
            if action.needs_keys() && self.key_fields.is_empty() {
                return Err(ParamError::ActionNeedsKeys(action));
            }
        }
        for key in &self.key_fields {
            let (coll, field) = split_dotted(key);
            if key.trim() != key || field.is_empty() || coll == Some("") {
                return Err(ParamError::BadKeyField(key.clone()));
            }
            if let Some(cols) = columns {
                if cols.find(key).is_none() {
                    return Err(ParamError::KeyFieldNotAColumn(key.clone()));
                }
            }
        }
        if self.source_format == SourceFormat::Csv
            && !matches!(self.csv_delimiter, b',' | b';' | b'\t')
        {
            return Err(ParamError::CsvDelimiter(self.csv_delimiter as char));
        }
        Ok(())
    }

    /// The key fields without a dot: they identify a profile.
    pub fn profile_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.key_fields
            .iter()
            .map(String::as_str)
            .filter(|k| split_dotted(k).0.is_none())
    }
}
