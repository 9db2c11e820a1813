//! `--map`: the mapping file loaded once, and every row of an input run
//! through it on its way to a consumer (a batcher, a writer, a count).

use field_map::{Mapper, MapperBuilder, Mapping, MappingError, Schema};
use profile_rows::{Columns, Row, RowReader, RowView};
use serde::{Deserialize, Serialize};

use crate::cli::FieldArgs;
use crate::fail::Fail;
use crate::input::Progress;
use crate::read_ahead::{self, Item, Stop};

/// `--map` and `--schema` as loaded: the mapping (an identity one without
/// `--map`), the schema, and their contents' hashes for the manifest.
pub struct LoadedMapping {
    pub mapping: Mapping,
    /// BLAKE3 of the mapping file; `None` without `--map`.
    pub blake3: Option<String>,
    pub schema: Option<LoadedSchema>,
    pub drop_unknown: bool,
}

/// A schema file as loaded.
pub struct LoadedSchema {
    pub schema: Schema,
    pub file: String,
    pub blake3: String,
}

/// What the manifest says of the schema the columns were checked against.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaRecord {
    pub file: String,
    pub database_id: u64,
    pub database_name: String,
    pub read_at: String,
    /// BLAKE3 of the file, hex.
    pub blake3: String,
}

/// What the manifest says of the mapping a folder was made with.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingRecord {
    /// The file as given on the command line.
    pub file: String,
    /// BLAKE3 of its content, hex.
    pub blake3: String,
    pub unmapped: String,
    pub trim: String,
    pub fill_down: Vec<String>,
    pub fill_down_by: Option<String>,
    pub timezone: String,
}

/// Reads `--map` and `--schema`, if given: every mistake in them is an
/// error here, before any output.
pub fn load(args: &FieldArgs) -> Result<Option<LoadedMapping>, Fail> {
    let schema = match &args.schema {
        None => None,
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| Fail::io(path.display(), e))?;
            let schema: Schema = serde_json::from_slice(&bytes).map_err(|e| {
                Fail::usage(
                    format!("{}: not a schema file: {e}", path.display()),
                    Some("write one with `copernica-import schema --database ID -o FILE`"),
                )
            })?;
            for ty in schema.unknown_types() {
                eprintln!("copernica-import: warning: {}: field type {ty:?} is not one this tool knows; its values are sent as text", path.display());
            }
            Some(LoadedSchema {
                schema,
                file: path.display().to_string(),
                blake3: blake3::hash(&bytes).to_hex().to_string(),
            })
        }
    };
    if args.drop_unknown && schema.is_none() {
        return Err(Fail::usage("--drop-unknown needs --schema", None));
    }
    let (mapping, hash) = match &args.map {
        None if schema.is_none() => return Ok(None),
        None => (Mapping::default(), None),
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| Fail::io(path.display(), e))?;
            let hash = blake3::hash(&bytes).to_hex().to_string();
            let text = String::from_utf8(bytes)
                .map_err(|_| Fail::usage(format!("{}: not UTF-8", path.display()), None))?;
            let mapping =
                Mapping::parse(&text, &path.display().to_string()).map_err(mapping_fail)?;
            (mapping, Some(hash))
        }
    };
    Ok(Some(LoadedMapping {
        mapping,
        blake3: hash,
        schema,
        drop_unknown: args.drop_unknown,
    }))
}

/// The warning for columns `--drop-unknown` left out.
pub fn dropped_warning(loaded: Option<&LoadedMapping>, mapper: Option<&Mapper>) -> Option<String> {
    let (l, m) = (loaded?, mapper?);
    let s = &l.schema.as_ref()?.schema;
    let d = m.dropped_unknown();
    (!d.is_empty()).then(|| {
        format!(
            "--drop-unknown left out {} column{} that database {} ({}) has no field for: {}",
            d.len(),
            if d.len() == 1 { "" } else { "s" },
            s.database_id,
            s.database_name,
            d.join(", ")
        )
    })
}

impl LoadedMapping {
    /// A mapper for the input's columns so far. With a CSV header every
    /// column is known, so what the mapping names must be there now.
    /// `stats`: count every field's values (for `check`).
    pub fn mapper(
        &self,
        rdr: &RowReader,
        key_fields: &[String],
        stats: bool,
    ) -> Result<Mapper, Fail> {
        if let Some(s) = &self.schema {
            for k in key_fields {
                if s.schema.field(k).is_none() {
                    let hint = s
                        .schema
                        .closest(k)
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default();
                    return Err(Fail::usage(
                        format!(
                            "{}: key field `{k}` is not a field of database {} ({}){hint}",
                            s.file, s.schema.database_id, s.schema.database_name
                        ),
                        Some("--key-fields names fields as the mapping names them"),
                    ));
                }
            }
        }
        let mut b = MapperBuilder::new(&self.mapping);
        b.key_fields(key_fields).stats(stats);
        if let Some(s) = &self.schema {
            b.schema(&s.schema, &s.file).drop_unknown(self.drop_unknown);
        }
        let mapper = b.build(rdr.columns()).map_err(mapping_fail)?;
        if rdr.info().format.is_tabular() {
            mapper.check_complete().map_err(mapping_fail)?;
        }
        Ok(mapper)
    }

    /// The schema, for the manifest.
    pub fn schema_record(&self) -> Option<SchemaRecord> {
        self.schema.as_ref().map(|s| SchemaRecord {
            file: s.file.clone(),
            database_id: s.schema.database_id,
            database_name: s.schema.database_name.clone(),
            read_at: s.schema.read_at.clone(),
            blake3: s.blake3.clone(),
        })
    }

    /// The mapping, for the manifest; `None` without `--map`.
    pub fn record(&self) -> Option<MappingRecord> {
        let o = self.mapping.options();
        Some(MappingRecord {
            file: self.mapping.file().to_string(),
            blake3: self.blake3.clone()?,
            unmapped: format!("{:?}", o.unmapped).to_lowercase(),
            trim: format!("{:?}", o.trim).to_lowercase(),
            fill_down: o.fill_down.clone(),
            fill_down_by: o.fill_down_by.clone(),
            timezone: o.timezone.clone(),
        })
    }
}

/// A mistake in the mapping, as one line and a hint.
pub fn mapping_fail(e: MappingError) -> Fail {
    let hint = if e.message.starts_with("no such column") {
        "the input's columns are listed by `copernica-import inspect`"
    } else if e.message.contains("not a field") || e.message.contains("not fields") {
        "fix the mapping or the header, or pass --drop-unknown to leave such columns out"
    } else if e.message.contains("the schema says") {
        "leave the type out of the mapping: the schema gives it"
    } else {
        "the mapping file's format is in the README (\"Mapping columns onto fields\")"
    };
    Fail::usage(e, Some(hint))
}

/// Calls `take(row, columns)` for every row that the reader and the mapper
/// accept, in input order, and `reject(row as read, reason)` for the rest;
/// `take` may reject a row too by returning its reason. With `ahead`, rows
/// are read ahead on a thread of their own and mapped on another; mapping
/// is sequential there too, so the result does not depend on it. Gives the
/// mapper back.
pub fn each_row(
    rdr: RowReader,
    ahead: bool,
    mapper: Option<Mapper>,
    progress: &mut Progress,
    name: &str,
    mut take: impl FnMut(&dyn RowView, &Columns) -> Result<Option<String>, Fail>,
    mut reject: impl FnMut(&Row, String) -> Result<(), Fail>,
) -> Result<Option<Mapper>, Fail> {
    let each = read_ahead::each_row(rdr, mapper, ahead, |item| match item {
        Item::Reject(row, reason) => reject(row, reason.to_string()),
        Item::Row(row, source, columns) => {
            progress.row();
            match take(row, columns)? {
                // The reason goes with the row as read.
                Some(reason) => reject(source, reason),
                None => Ok(()),
            }
        }
    });
    let mapper = match each {
        Ok(m) => m,
        Err(Stop::Caller(fail)) => return Err(fail),
        Err(Stop::Mapping(e)) => return Err(mapping_fail(e)),
        Err(Stop::Input(e)) => return Err(Fail::input(name, &e)),
    };
    // JSON columns are known only now.
    if let Some(m) = &mapper {
        m.check_complete().map_err(mapping_fail)?;
    }
    Ok(mapper)
}
