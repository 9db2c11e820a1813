//! `map --init`: a starter mapping file naming every column of an export,
//! with a hint where the first rows look like dates or decimal-comma numbers.

use std::fmt::Write as _;
use std::io::{self, Write};

use field_map::{FieldType, MapperBuilder, Mapping, Schema};
use profile_rows::{Columns, Row};

use crate::cli::MapArgs;
use crate::fail::{is_broken_pipe, Fail};
use crate::input::{display_name, open};

/// Rows read for the hints.
const SAMPLE_ROWS: usize = 200;

/// What a column's values may be: the inline table to suggest, and when
/// every sampled value passes that rule with the real checks of `field-map`.
const CANDIDATES: &[(&str, &str)] = &[
    ("type = \"date\"", "a date"),
    ("type = \"datetime\"", "a datetime"),
    (
        "type = \"datetime\", format = \"%Y-%m-%d %H:%M:%S %z\"",
        "a datetime with an offset",
    ),
    (
        "type = \"datetime\", format = \"%d/%m/%Y %H:%M\"",
        "a day-first datetime",
    ),
    (
        "type = \"datetime\", format = \"%m/%d/%Y %H:%M\"",
        "a month-first datetime",
    ),
    ("type = \"date\", format = \"%d/%m/%Y\"", "a day-first date"),
    (
        "type = \"date\", format = \"%m/%d/%Y\"",
        "a month-first date",
    ),
    ("type = \"date\", format = \"%d-%m-%Y\"", "a day-first date"),
    ("type = \"date\", format = \"%d.%m.%Y\"", "a day-first date"),
    (
        "type = \"float\", decimal = \",\", thousands = \".\"",
        "a decimal-comma number",
    ),
];

pub fn run(args: &MapArgs) -> Result<u8, Fail> {
    let name = display_name(&args.input);
    let mut rdr = open(&args.input)?;
    let mut samples: Vec<Vec<String>> = Vec::new();
    let mut row = Row::new();
    let mut seen = 0;
    while seen < SAMPLE_ROWS {
        match rdr.read_row(&mut row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) if e.is_reject() => continue,
            Err(e) => return Err(Fail::input(name, &e)),
        }
        seen += 1;
        for i in 0..row.len() {
            let col = row.column(i);
            if samples.len() <= col {
                samples.resize(col + 1, Vec::new());
            }
            let v = row.get(i).unwrap_or("").trim();
            if !v.is_empty() {
                samples[col].push(v.to_string());
            }
        }
    }
    let columns = rdr.columns().clone();
    let schema = match &args.schema {
        None => None,
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| Fail::io(p.display(), e))?;
            Some(serde_json::from_slice::<Schema>(&bytes).map_err(|e| {
                Fail::usage(format!("{}: not a schema file: {e}", p.display()), None)
            })?)
        }
    };
    let text = starter(name, &columns, &samples, schema.as_ref());
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if !is_broken_pipe(&e) => Err(Fail::io("stdout", e)),
        _ => Ok(0),
    }
}

/// The starter file's text.
fn starter(
    name: &str,
    columns: &Columns,
    samples: &[Vec<String>],
    schema: Option<&Schema>,
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Mapping for {name}, written by `copernica-import map --init`."
    );
    s.push_str(
        "# Each line maps an export column (left) onto a database field (right):\n\
         # rename the right side to the field's name in Copernica, or write false to drop it.\n\
         # A column with a type takes an inline table:\n\
         #   \"Column\" = { field = \"Field\", type = \"date\", format = \"%d/%m/%Y\" }\n",
    );
    let _ = writeln!(s, "# Types: {}.", FieldType::known());
    s.push_str("# Hints come from the first rows: check them before you use them.\n\n[columns]\n");
    let keys: Vec<String> = columns.names().map(toml_key).collect();
    let width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
    for (i, key) in keys.iter().enumerate() {
        if let Some(schema) = schema {
            let column = columns.name(i);
            match schema.closest(column) {
                Some(field) => {
                    let ty = schema.field(&field).map_or("text", |f| f.ty.as_str());
                    let _ = writeln!(s, "{key:width$} = {}  # {ty}", toml_key(&field));
                }
                None => {
                    let guesses = schema.nearest(column, 3).join(", ");
                    let _ = writeln!(
                        s,
                        "# {key:width$} = \"?\"  # no close field in database {}; nearest: {guesses}",
                        schema.database_id
                    );
                }
            }
            continue;
        }
        let _ = write!(s, "{key:width$} = {key}");
        let values = samples.get(i).map_or(&[][..], Vec::as_slice);
        let hints = hints(key, values);
        if !hints.is_empty() {
            let _ = write!(s, "  # looks like {}", hints.join(" or "));
        }
        s.push('\n');
    }
    s.push_str(
        "\n[constants]\n# \"Source\" = \"export-2026\"\n\n[options]\n\
         # unmapped  = \"keep\"             # keep | drop | error\n\
         # trim      = \"keys\"             # none | keys | all\n\
         # fill-down = []\n\
         # timezone  = \"Europe/Amsterdam\"\n",
    );
    s
}

/// A TOML basic string for `name`.
fn toml_key(name: &str) -> String {
    let mut k = String::from("\"");
    for c in name.chars() {
        match c {
            '"' => k.push_str("\\\""),
            '\\' => k.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(k, "\\u{:04X}", c as u32);
            }
            c => k.push(c),
        }
    }
    k.push('"');
    k
}

/// The candidate rules that every sampled value passes: `{ ... }  (what)`.
fn hints(key: &str, values: &[String]) -> Vec<String> {
    if values.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (spec, what) in CANDIDATES {
        let comma = spec.contains("decimal");
        if comma && !values.iter().any(|v| v.contains(',')) {
            continue;
        }
        // Most values, not all: one impossible date should not hide the hint.
        let fit = fitting(spec, values);
        if fit > 0 && fit * 10 >= values.len() * 6 {
            let mut hint = format!("{what}: {{ field = {key}, {spec} }}");
            if fit < values.len() {
                let _ = write!(hint, " ({fit} of {} first values fit)", values.len());
            }
            out.push(hint);
        }
    }
    out
}

/// How many of `values` the candidate rule takes.
fn fitting(spec: &str, values: &[String]) -> usize {
    let text = format!("[columns]\n\"c\" = {{ field = \"c\", {spec} }}\n");
    let Ok(mapping) = Mapping::parse(&text, "candidate") else {
        return 0;
    };
    let mut columns = Columns::new();
    columns.intern("c");
    let Ok(mut mapper) = MapperBuilder::new(&mapping).build(&columns) else {
        return 0;
    };
    let mut row = Row::new();
    values
        .iter()
        .filter(|v| {
            row.clear();
            row.push_field(v);
            mapper.map(&row, &columns).is_ok()
        })
        .count()
}
