//! `inspect`: what an export is, before anything is written.

use std::io::{self, Write};

use profile_rows::{Detection, Row};
use serde::Serialize;

use crate::cli::InspectArgs;
use crate::fail::{is_broken_pipe, Fail};
use crate::input::{delimiter_name, display_name, open};
use crate::rejects::{write_tail, Reject, RejectOut};

/// Rejects listed in the report; the count covers all of them.
const SHOWN_REJECTS: usize = 20;

#[derive(Serialize)]
struct Report<'a> {
    input: &'a str,
    format: &'static str,
    encoding: &'static str,
    encoding_detection: &'static str,
    gzip: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    delimiter: Option<String>,
    delimiter_sniffed: bool,
    /// A workbook's sheets, as listed in the file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sheets: Vec<SheetOut<'a>>,
    /// The sheet read, for a workbook.
    #[serde(skip_serializing_if = "Option::is_none")]
    sheet: Option<&'a str>,
    columns: Vec<&'a str>,
    profile_fields: Vec<&'a str>,
    collections: Vec<Collection<'a>>,
    rows: u64,
    rejected: u64,
    rejects: Vec<RejectOut>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SheetOut<'a> {
    number: usize,
    name: &'a str,
    visibility: &'static str,
    worksheet: bool,
    used_range: Option<&'a str>,
}

#[derive(Serialize)]
struct Collection<'a> {
    name: &'a str,
    fields: Vec<&'a str>,
}

pub fn run(args: &InspectArgs) -> Result<u8, Fail> {
    let name = display_name(&args.input);
    let mut rdr = open(&args.input)?;
    let mut row = Row::new();
    let (mut rows, mut rejected, mut rejects) = (0u64, 0u64, Vec::new());
    let delimiter = rdr.info().delimiter;
    loop {
        match rdr.read_row(&mut row) {
            Ok(true) => rows += 1,
            Ok(false) => break,
            Err(e) if e.is_reject() => {
                rejected += 1;
                if rejects.len() < SHOWN_REJECTS {
                    rejects.push(Reject::new(&row, e.kind().to_string(), delimiter));
                }
            }
            Err(e) => return Err(Fail::input(name, &e)),
        }
    }
    let info = rdr.info();
    let is_csv = info.format == profile_rows::Format::Csv;
    let columns = rdr.columns();
    let mut profile_fields = Vec::new();
    let mut collections = Vec::new();
    for (coll, fields) in columns.groups() {
        match coll {
            None => profile_fields = fields,
            Some(name) => collections.push(Collection { name, fields }),
        }
    }
    let warnings = rdr.warnings().to_vec();
    let report = Report {
        warnings,
        input: name,
        format: rdr.book_kind().map_or(info.format.name(), |k| k.name()),
        encoding: info.encoding.name(),
        encoding_detection: match info.encoding.detection {
            Detection::Bom => "byte order mark",
            Detection::Label => "given",
            Detection::ValidUtf8 => "valid UTF-8",
            Detection::NotUtf8 => "guessed: not valid UTF-8",
            Detection::Workbook => "workbook cells",
        },
        sheets: rdr
            .sheets()
            .iter()
            .enumerate()
            .map(|(i, s)| SheetOut {
                number: i + 1,
                name: &s.name,
                visibility: s.visibility.name(),
                worksheet: s.worksheet,
                used_range: s.used_range.as_deref(),
            })
            .collect(),
        sheet: rdr.sheet().map(|s| s.name.as_str()),
        gzip: info.gzip,
        delimiter: if is_csv {
            Some(delimiter_name(info.delimiter))
        } else {
            None
        },
        delimiter_sniffed: info.delimiter_sniffed,
        columns: columns.names().collect(),
        profile_fields,
        collections,
        rows,
        rejected,
        rejects: rejects
            .into_iter()
            .map(|r| RejectOut {
                line: r.line,
                reason: r.reason,
            })
            .collect(),
    };
    let mut out = io::stdout().lock();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_text(&mut out, &report)
    };
    match written {
        Err(e) if !is_broken_pipe(&e) => Err(Fail::io("stdout", e)),
        _ => Ok(0),
    }
}

fn write_text(out: &mut impl Write, r: &Report<'_>) -> io::Result<()> {
    writeln!(out, "input:      {}", r.input)?;
    writeln!(
        out,
        "format:     {}{}",
        r.format,
        if r.gzip { " (gzip)" } else { "" }
    )?;
    writeln!(out, "encoding:   {} ({})", r.encoding, r.encoding_detection)?;
    if let Some(d) = &r.delimiter {
        let how = if r.delimiter_sniffed {
            "sniffed"
        } else {
            "given"
        };
        writeln!(out, "delimiter:  {d} ({how})")?;
    }
    for s in &r.sheets {
        let read = if r.sheet == Some(s.name) {
            "  <- read"
        } else {
            ""
        };
        let kind = match (s.worksheet, s.visibility) {
            (false, _) => " (not a worksheet)".to_string(),
            (true, "visible") => String::new(),
            (true, v) => format!(" ({v})"),
        };
        writeln!(
            out,
            "sheet {}:    {:?}{kind}, used range {}{read}",
            s.number,
            s.name,
            s.used_range.unwrap_or("none"),
        )?;
    }
    writeln!(out, "columns:    {}", r.columns.len())?;
    if !r.profile_fields.is_empty() {
        writeln!(out, "  profile:  {}", r.profile_fields.join(", "))?;
    }
    for c in &r.collections {
        writeln!(out, "  {}:  {}", c.name, c.fields.join(", "))?;
    }
    writeln!(out, "rows:       {}", r.rows)?;
    write_tail(out, r.rejected, &r.rejects, &r.warnings, r.sheet)
}
