//! `--map`: the mapping file loaded once, and every row of an input run
//! through it on its way to a consumer (a batcher, a writer, a count).

use field_map::{Mapper, MapperBuilder, Mapping, MappingError};
use profile_rows::{Columns, Row, RowReader, RowView};
use serde::{Deserialize, Serialize};

use crate::cli::FieldArgs;
use crate::fail::Fail;
use crate::input::Progress;
use crate::read_ahead::{self, Item, Stop};

/// A mapping file as loaded: parsed, and its content's hash for the manifest.
pub struct LoadedMapping {
    pub mapping: Mapping,
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

/// Reads `--map`, if given: every mistake in the file is an error here,
/// before any output.
pub fn load(args: &FieldArgs) -> Result<Option<LoadedMapping>, Fail> {
    let Some(path) = &args.map else {
        return Ok(None);
    };
    let bytes = std::fs::read(path).map_err(|e| Fail::io(path.display(), e))?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| Fail::usage(format!("{}: not UTF-8", path.display()), None))?;
    let mapping = Mapping::parse(&text, &path.display().to_string()).map_err(mapping_fail)?;
    Ok(Some(LoadedMapping {
        mapping,
        blake3: blake3::hash(&bytes).to_hex().to_string(),
    }))
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
        let mapper = MapperBuilder::new(&self.mapping)
            .key_fields(key_fields)
            .stats(stats)
            .build(rdr.columns())
            .map_err(mapping_fail)?;
        if rdr.info().format == profile_rows::Format::Csv {
            mapper.check_complete().map_err(mapping_fail)?;
        }
        Ok(mapper)
    }

    pub fn record(&self) -> MappingRecord {
        let o = self.mapping.options();
        MappingRecord {
            file: self.mapping.file().to_string(),
            blake3: self.blake3.clone(),
            unmapped: format!("{:?}", o.unmapped).to_lowercase(),
            trim: format!("{:?}", o.trim).to_lowercase(),
            fill_down: o.fill_down.clone(),
            fill_down_by: o.fill_down_by.clone(),
            timezone: o.timezone.clone(),
        }
    }
}

/// A mistake in the mapping, as one line and a hint.
pub fn mapping_fail(e: MappingError) -> Fail {
    let hint = if e.message.starts_with("no such column") {
        "the input's columns are listed by `copernica-import inspect`"
    } else {
        "the mapping file's format is in the README (\"Mapping columns onto fields\")"
    };
    Fail::usage(e, Some(hint))
}

/// Calls `take(row, columns)` for every row that the reader and the mapper
/// accept, in input order, and `reject(row as read, reason)` for the rest;
/// `take` may reject a row too by returning its reason. Rows are read and
/// mapped ahead on a second thread with `ahead`; mapping is sequential
/// there too, so the result does not depend on it. Gives the mapper back.
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
