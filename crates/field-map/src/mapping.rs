//! The mapping file: TOML, read with serde, every mistake named by line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use jiff::tz::TimeZone;
use serde::Deserialize;
use toml::Spanned;

use crate::error::MappingError;
use crate::types::{check_format, FieldType};

/// What to do with input columns that `[columns]` does not name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unmapped {
    /// Send them under their own names (the default).
    #[default]
    Keep,
    /// Leave them out.
    Drop,
    /// Stop: every column must be named.
    Error,
}

/// Which values lose their surrounding whitespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Trim {
    /// None.
    None,
    /// The key fields' values (the default): a key with a stray space
    /// would be another profile.
    #[default]
    Keys,
    /// Every value.
    All,
}

/// The `[options]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Columns the file does not name: `keep` (default), `drop` or `error`.
    pub unmapped: Unmapped,
    /// Whose values are trimmed: `none`, `keys` (default) or `all`.
    pub trim: Trim,
    /// Fields (names after mapping) whose empty value takes the last one above.
    pub fill_down: Vec<String>,
    /// Fill down only from adjacent rows with the same value of this field.
    pub fill_down_by: Option<String>,
    /// Zone that datetimes with an offset are converted into (default
    /// `Europe/Amsterdam`, Copernica's own).
    pub timezone: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            unmapped: Unmapped::Keep,
            trim: Trim::Keys,
            fill_down: Vec::new(),
            fill_down_by: None,
            timezone: "Europe/Amsterdam".to_string(),
        }
    }
}

/// Which input column a `[columns]` entry names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// By its name in the input.
    Name(String),
    /// By its 1-based position (`"@16"`): for empty or repeated header names.
    Position(usize),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Name(n) => write!(f, "{n:?}"),
            Source::Position(p) => write!(f, "\"@{p}\""),
        }
    }
}

/// The value rules of one column (an inline table's keys besides `field`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    /// The field's type, when the mapping gives it.
    pub ty: Option<FieldType>,
    /// strftime format of a date or datetime, as jiff parses it.
    pub format: Option<String>,
    /// Decimal mark of a float: `.` (default) or `,`.
    pub decimal: Option<char>,
    /// A thousands separator to remove from a number.
    pub thousands: Option<char>,
    /// Exact replacements, applied before the type check.
    pub values: Vec<(String, String)>,
    /// A select field's options.
    pub options: Vec<String>,
    /// Strip surrounding whitespace.
    pub trim: bool,
    /// Lower-case the value.
    pub lowercase: bool,
}

/// One `[columns]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMap {
    /// The input column.
    pub source: Source,
    /// The database field it becomes; `None` when dropped (`= false`).
    pub field: Option<String>,
    /// How its values are checked.
    pub rules: Rules,
    /// Line of the entry in the file.
    pub line: usize,
}

/// A parsed and checked mapping file.
///
/// ```
/// use field_map::{Mapping, Source};
///
/// let m = Mapping::parse(r#"
/// [columns]
/// "Email Address" = "Email"
/// "Password" = false
/// "Amount" = { field = "Orders.Total", type = "float", decimal = "," }
/// "#, "map.toml")?;
/// assert_eq!(m.columns().len(), 3);
/// assert_eq!(m.columns()[0].source, Source::Name("Email Address".into()));
///
/// let err = Mapping::parse("[columns]\n\"Order date\" = { type = \"dat\" }\n", "map.toml")
///     .unwrap_err();
/// assert!(err.to_string().starts_with(r#"map.toml:2: "Order date": unknown type "dat"; known: text, email"#));
/// # Ok::<(), field_map::MappingError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    pub(crate) file: String,
    pub(crate) columns: Vec<ColumnMap>,
    pub(crate) collections: Vec<(String, String, usize)>,
    pub(crate) constants: Vec<(String, String, usize)>,
    pub(crate) options: Options,
    pub(crate) options_lines: OptionLines,
}

/// Lines of the option entries, for errors found once the input is known.
#[derive(Clone, Debug, Default)]
pub(crate) struct OptionLines {
    pub fill_down: usize,
    pub fill_down_by: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    collections: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    constants: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    options: Option<RawOptions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    unmapped: Option<Spanned<String>>,
    trim: Option<Spanned<String>>,
    #[serde(rename = "fill-down")]
    fill_down: Option<Spanned<Vec<String>>>,
    #[serde(rename = "fill-down-by")]
    fill_down_by: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    field: Option<String>,
    #[serde(rename = "type")]
    ty: Option<String>,
    format: Option<String>,
    decimal: Option<String>,
    thousands: Option<String>,
    #[serde(default)]
    values: BTreeMap<String, String>,
    options: Option<Vec<String>>,
    #[serde(default)]
    trim: bool,
    #[serde(default)]
    lowercase: bool,
}

impl Mapping {
    /// Reads and checks the mapping file at `path`; errors name the file as given.
    pub fn from_path(path: &Path) -> Result<Mapping, MappingError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| MappingError::new(&file, 0, "", format!("cannot read: {e}")))?;
        Mapping::parse(&text, &file)
    }

    /// Parses and checks a mapping. `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Mapping, MappingError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(s.start));
            let msg = e.message().trim().to_string();
            MappingError::new(file, line, "", msg)
        })?;
        let err = |line: usize, key: &str, msg: String| MappingError::new(file, line, key, msg);
        let mut m = Mapping {
            file: file.to_string(),
            ..Mapping::default()
        };

        if let Some(o) = raw.options {
            if let Some(u) = o.unmapped {
                m.options.unmapped = match u.get_ref().as_str() {
                    "keep" => Unmapped::Keep,
                    "drop" => Unmapped::Drop,
                    "error" => Unmapped::Error,
                    other => {
                        return Err(err(
                            line_of(u.span().start),
                            "unmapped",
                            format!("unknown value {other:?}; known: keep, drop, error"),
                        ))
                    }
                };
            }
            if let Some(t) = o.trim {
                m.options.trim = match t.get_ref().as_str() {
                    "none" => Trim::None,
                    "keys" => Trim::Keys,
                    "all" => Trim::All,
                    other => {
                        return Err(err(
                            line_of(t.span().start),
                            "trim",
                            format!("unknown value {other:?}; known: none, keys, all"),
                        ))
                    }
                };
            }
            if let Some(f) = o.fill_down {
                m.options_lines.fill_down = line_of(f.span().start);
                m.options.fill_down = f.into_inner();
            }
            if let Some(f) = o.fill_down_by {
                m.options_lines.fill_down_by = line_of(f.span().start);
                m.options.fill_down_by = Some(f.into_inner());
            }
            if let Some(tz) = o.timezone {
                TimeZone::get(tz.get_ref()).map_err(|_| {
                    err(
                        line_of(tz.span().start),
                        "timezone",
                        format!("unknown time zone {:?}", tz.get_ref()),
                    )
                })?;
                m.options.timezone = tz.into_inner();
            }
        }

        for (key, value) in raw.columns {
            let line = line_of(key.span().start);
            let name = key.get_ref();
            let source = match name.strip_prefix('@') {
                Some(n) => match n.parse::<usize>() {
                    Ok(p) if p >= 1 => Source::Position(p),
                    _ => {
                        return Err(err(
                            line,
                            name,
                            "a position is @ and a column number from 1".into(),
                        ))
                    }
                },
                None => Source::Name(name.clone()),
            };
            let column = match value.into_inner() {
                toml::Value::String(field) => ColumnMap {
                    source,
                    field: Some(check_field_name(&field).map_err(|e| err(line, name, e))?),
                    rules: Rules::default(),
                    line,
                },
                toml::Value::Boolean(false) => ColumnMap {
                    source,
                    field: None,
                    rules: Rules::default(),
                    line,
                },
                toml::Value::Table(table) => {
                    let raw: RawColumn = toml::Value::Table(table)
                        .try_into()
                        .map_err(|e: toml::de::Error| err(line, name, e.message().to_string()))?;
                    let (field, rules) = column_rules(raw, name).map_err(|e| err(line, name, e))?;
                    ColumnMap {
                        source,
                        field: Some(field),
                        rules,
                        line,
                    }
                }
                other => {
                    return Err(err(
                        line,
                        name,
                        format!(
                            "expected a field name, false (to drop) or an inline table, found {}",
                            other.type_str()
                        ),
                    ))
                }
            };
            m.columns.push(column);
        }
        m.columns.sort_by_key(|c| c.line);
        for (key, value) in raw.collections {
            let line = line_of(key.span().start);
            let name = key.get_ref();
            match value.get_ref() {
                toml::Value::String(to) if !to.is_empty() && !to.contains('.') => {
                    m.collections.push((name.clone(), to.clone(), line))
                }
                _ => {
                    return Err(err(
                        line,
                        name,
                        "a collection is renamed to a name without a dot".into(),
                    ))
                }
            }
        }
        for (key, value) in raw.constants {
            let line = line_of(key.span().start);
            let name = key.get_ref();
            let text = match value.get_ref() {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(err(
                        line,
                        name,
                        format!("a constant is a string, found {}", other.type_str()),
                    ))
                }
            };
            check_field_name(name).map_err(|e| err(line, name, e))?;
            m.constants.push((name.clone(), text, line));
        }

        // Two entries onto one field, and constants that are also fields.
        let mut seen: BTreeMap<&str, &ColumnMap> = BTreeMap::new();
        for c in &m.columns {
            let Some(field) = c.field.as_deref() else {
                continue;
            };
            if let Some(first) = seen.insert(field, c) {
                return Err(err(
                    c.line,
                    &source_key(&c.source),
                    format!(
                        "maps onto field {field:?}, as {} on line {} does",
                        first.source, first.line
                    ),
                ));
            }
        }
        for (name, _, line) in &m.constants {
            if let Some(c) = seen.get(name.as_str()) {
                return Err(err(
                    *line,
                    name,
                    format!(
                        "is a constant and also the field of column {} on line {}",
                        c.source, c.line
                    ),
                ));
            }
        }
        Ok(m)
    }

    /// The file's name, as given.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The `[columns]` entries, in file order.
    pub fn columns(&self) -> &[ColumnMap] {
        &self.columns
    }

    /// The `[collections]` renames: (input collection, database collection).
    pub fn collections(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.collections
            .iter()
            .map(|(a, b, _)| (a.as_str(), b.as_str()))
    }

    /// The `[constants]`: (field, value).
    pub fn constants(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.constants
            .iter()
            .map(|(a, b, _)| (a.as_str(), b.as_str()))
    }

    /// The `[options]`, with defaults for what the file leaves out.
    pub fn options(&self) -> &Options {
        &self.options
    }
}

/// The key as written in the file (for messages).
fn source_key(s: &Source) -> String {
    match s {
        Source::Name(n) => n.clone(),
        Source::Position(p) => format!("@{p}"),
    }
}

fn check_field_name(name: &str) -> Result<String, String> {
    let (coll, field) = profile_rows::split_dotted(name);
    if field.is_empty() || coll == Some("") || name.trim() != name {
        return Err(format!(
            "{name:?} is not a field name (Field or Collection.Field)"
        ));
    }
    Ok(name.to_string())
}

fn one_char(key: &str, s: &str) -> Result<char, String> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(format!("{key} is one character, not {s:?}")),
    }
}

/// What each rule needs of the column's type.
pub(crate) fn check_type_rules(
    t: FieldType,
    format: Option<&str>,
    decimal: Option<char>,
    thousands: Option<char>,
    options: &[String],
) -> Result<(), String> {
    if let Some(format) = format {
        if !t.is_temporal() {
            return Err(format!(
                "format is for date and datetime types, not {}",
                t.name()
            ));
        }
        check_format(format, t)?;
    }
    if decimal.is_some() && t != FieldType::Float {
        return Err(format!("decimal is for float fields, not {}", t.name()));
    }
    if thousands.is_some() && !t.is_number() {
        return Err(format!(
            "thousands is for integer and float fields, not {}",
            t.name()
        ));
    }
    if !options.is_empty() && t != FieldType::Select {
        return Err(format!("options are for select fields, not {}", t.name()));
    }
    Ok(())
}

fn column_rules(raw: RawColumn, name: &str) -> Result<(String, Rules), String> {
    let field = match raw.field {
        Some(f) => check_field_name(&f)?,
        None => check_field_name(name)?,
    };
    let ty = raw.ty.as_deref().map(str::parse::<FieldType>).transpose()?;
    // Without a type here, the schema may give one: what a rule needs of
    // the type is checked again when the columns are known.
    let decimal = raw
        .decimal
        .as_deref()
        .map(|d| one_char("decimal", d))
        .transpose()?;
    let thousands = raw
        .thousands
        .as_deref()
        .map(|d| one_char("thousands", d))
        .transpose()?;
    let options = raw.options.unwrap_or_default();
    if let Some(d) = decimal {
        if d != '.' && d != ',' {
            return Err(format!("decimal is \".\" or \",\", not {d:?}"));
        }
    }
    if let Some(th) = thousands {
        let mark = decimal.or((ty == Some(FieldType::Float)).then_some('.'));
        if Some(th) == mark || th.is_ascii_digit() || !th.is_ascii() {
            return Err(format!(
                "thousands {th:?} must be one ASCII character, not a digit or the decimal mark"
            ));
        }
    }
    if let Some(t) = ty {
        check_type_rules(t, raw.format.as_deref(), decimal, thousands, &options)?;
    }
    Ok((
        field,
        Rules {
            ty,
            format: raw.format,
            decimal,
            thousands,
            values: raw.values.into_iter().collect(),
            options,
            trim: raw.trim,
            lowercase: raw.lowercase,
        },
    ))
}
