//! `check`: a dry run over the whole input. Everything `batch` would do,
//! reading, mapping, checking, batching, with nothing written: what each
//! field's values would become, what would be rejected and why, and how
//! many bodies it would take.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, Write};

use field_map::{FieldStats, Mapping};
use import_batches::{parse_size, Batch, Batcher, Limits};
use profile_rows::{split_dotted, RowView};
use serde::Serialize;

use crate::batch;
use crate::cli::CheckArgs;
use crate::fail::{is_broken_pipe, Fail};
use crate::fields::{self, LoadedMapping};
use crate::input::{display_name, open_with_progress};
use crate::rejects::{write_tail, RejectOut};

/// Rejected rows listed in the report; the count covers all of them.
const SHOWN_REJECTS: usize = 20;

/// The `--json` report. Its shape is stable (README, "check").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    input: String,
    format: &'static str,
    encoding: &'static str,
    /// The sheet read, for a workbook.
    #[serde(skip_serializing_if = "Option::is_none")]
    sheet: Option<String>,
    mapping: Option<String>,
    fields: Vec<FieldOut>,
    unmapped: Vec<String>,
    unmapped_action: String,
    rows: u64,
    rejected: u64,
    sent: u64,
    profiles: Option<u64>,
    bodies: u32,
    rejects: Vec<RejectOut>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FieldOut {
    field: String,
    source: Option<String>,
    #[serde(rename = "type")]
    ty: &'static str,
    fine: u64,
    normalized: u64,
    rejected: u64,
    empty: u64,
    /// Sent, but longer than the field's length in the schema.
    too_long: u64,
    /// Sent, but an email field's value without `@`.
    without_at: u64,
    examples: Examples,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Examples {
    too_long: Vec<String>,
    without_at: Vec<String>,
    fine: Vec<String>,
    normalized: Vec<Normalized>,
    rejected: Vec<Rejected>,
}

#[derive(Serialize)]
struct Normalized {
    from: String,
    to: String,
}

#[derive(Serialize)]
struct Rejected {
    value: String,
    expected: String,
}

pub fn run(args: &CheckArgs) -> Result<u8, Fail> {
    let params = batch::params(&args.batching, args.database, &args.input.input)?;
    let limits = Limits {
        max_bytes: parse_size(&args.batching.max_bytes).map_err(|e| Fail::usage(e, None))?,
        max_rows: args.batching.max_rows,
    };
    let name = display_name(&args.input);
    // Without --map, an identity mapping still counts every column's values.
    let loaded = fields::load(&args.fields)?.unwrap_or_else(|| LoadedMapping {
        mapping: Mapping::default(),
        blake3: None,
        schema: None,
        drop_unknown: false,
    });
    let (rdr, mut progress) = open_with_progress(&args.input, args.batching.threads)?;
    let mapper = loaded.mapper(&rdr, &params.key_fields, true)?;
    let known = rdr.info().format.is_tabular().then_some(mapper.columns());
    params.validate(known).map_err(|e| {
        Fail::usage(
            format!("{name}: {e}"),
            Some("the input's columns are listed by `copernica-import inspect`"),
        )
    })?;
    let profile_keys: Vec<String> = params.profile_keys().map(str::to_string).collect();
    let params_copy = params.clone();
    let mut batcher = Batcher::new(params, limits, args.batching.location_base.clone())
        .map_err(|e| Fail::usage(e, None))?;
    let info = rdr.info();
    let sheet = rdr.sheet().map(|s| s.name.clone());
    let reader_warnings = rdr.warnings().to_vec();

    let (mut rows, mut rejected, mut sent) = (0u64, 0u64, 0u64);
    let mut rejects = Vec::new();
    let mut profiles = HashSet::new();
    let mut bodies = 0u32;
    let mut count = |_: &Batch<'_>| {
        bodies += 1;
        Ok(())
    };
    let mut key_cols = Vec::new();
    let mut key = DefaultHasher::new();
    let mapper = fields::each_row(
        rdr,
        args.batching.threads >= 2,
        Some(mapper),
        &mut progress,
        name,
        |row, columns| {
            rows += 1;
            let reason = batcher
                .push(row, columns, &mut count)
                .map_err(|e| Fail::usage(e, None))?;
            if reason.is_none() && !profile_keys.is_empty() {
                sent += 1;
                profiles.insert(profile_hash(
                    row,
                    columns,
                    &profile_keys,
                    &mut key_cols,
                    &mut key,
                ));
            } else if reason.is_none() {
                sent += 1;
            }
            Ok(reason)
        },
        |row, reason| {
            rejected += 1;
            if rejects.len() < SHOWN_REJECTS {
                rejects.push(RejectOut {
                    line: row.line(),
                    reason,
                });
            }
            Ok(())
        },
    )?
    .expect("check always maps, so the mapper comes back");
    let summary = batcher
        .finish(&mut count)
        .map_err(|e| Fail::usage(e, None))?;
    progress.finish();
    // Reader and mapper rejects never reached the batcher's count of rows.
    let rows = rows + (rejected - summary.rejected);

    let report = Report {
        input: name.to_string(),
        format: info.format.name(),
        encoding: info.encoding.name(),
        sheet,
        mapping: args.fields.map.as_ref().map(|p| p.display().to_string()),
        fields: mapper.stats().map(field_out).collect(),
        unmapped: mapper.unmapped().to_vec(),
        unmapped_action: format!("{:?}", loaded.mapping.options().unmapped).to_lowercase(),
        rows,
        rejected,
        sent,
        profiles: (!profile_keys.is_empty()).then_some(profiles.len() as u64),
        bodies,
        rejects,
        warnings: reader_warnings
            .into_iter()
            .chain(fields::dropped_warning(Some(&loaded), Some(&mapper)))
            .chain(batch::action_warning(&params_copy))
            .chain(summary.warnings)
            .collect(),
    };
    let mut out = io::stdout().lock();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_text(&mut out, &report, &args.batching.max_bytes)
    };
    match written {
        Err(e) if !is_broken_pipe(&e) => return Err(Fail::io("stdout", e)),
        _ => {}
    }
    Ok(if report.rejected > 0 { 1 } else { 0 })
}

/// A 64-bit hash of the row's profile key values: 8 bytes per distinct
/// profile is all `check` keeps of the input.
fn profile_hash(
    row: &dyn RowView,
    columns: &profile_rows::Columns,
    keys: &[String],
    key_cols: &mut Vec<Option<usize>>,
    hasher: &mut DefaultHasher,
) -> u64 {
    key_cols.clear();
    key_cols.extend(keys.iter().map(|k| columns.find(k)));
    *hasher = DefaultHasher::new();
    for col in key_cols.iter() {
        let value = col
            .and_then(|c| {
                (0..row.len())
                    .map(|i| row.field(i))
                    .find(|&(rc, _)| rc == c)
            })
            .map_or("", |(_, v)| v);
        value.hash(hasher);
    }
    hasher.finish()
}

fn field_out((name, s): (&str, &FieldStats)) -> FieldOut {
    FieldOut {
        field: name.to_string(),
        source: (!s.source.is_empty()).then(|| s.source.clone()),
        ty: s.ty.map_or("text", |t| t.name()),
        fine: s.fine,
        normalized: s.normalized,
        rejected: s.rejected,
        empty: s.empty,
        too_long: s.too_long,
        without_at: s.without_at,
        examples: Examples {
            too_long: s.too_long_examples.clone(),
            without_at: s.without_at_examples.clone(),
            fine: s.fine_examples.clone(),
            normalized: s
                .normalized_examples
                .iter()
                .map(|(from, to)| Normalized {
                    from: from.clone(),
                    to: to.clone(),
                })
                .collect(),
            rejected: s
                .rejected_examples
                .iter()
                .map(|(value, expected)| Rejected {
                    value: value.clone(),
                    expected: expected.clone(),
                })
                .collect(),
        },
    }
}

/// `"a", "b"`: values as a person reads them in a report line.
fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_text(out: &mut impl Write, r: &Report, max_bytes: &str) -> io::Result<()> {
    match &r.sheet {
        Some(sheet) => writeln!(
            out,
            "input:      {} ({}, sheet {sheet:?})",
            r.input, r.format
        )?,
        None => writeln!(
            out,
            "input:      {} ({}, {})",
            r.input, r.format, r.encoding
        )?,
    }
    if let Some(m) = &r.mapping {
        writeln!(out, "mapping:    {m}")?;
    }
    writeln!(out, "fields:     {}", r.fields.len())?;
    for f in &r.fields {
        let from = match &f.source {
            Some(s) if *s == f.field => String::new(),
            Some(s) => format!(" <- {s:?}"),
            None => " (constant)".to_string(),
        };
        let (coll, _) = split_dotted(&f.field);
        let coll = coll.map_or(String::new(), |c| format!(" [collection {c}]"));
        writeln!(out, "  {}{from}{coll}: {}", f.field, f.ty)?;
        writeln!(
            out,
            "    fine {}, normalized {}, rejected {}, empty {}",
            f.fine, f.normalized, f.rejected, f.empty
        )?;
        if !f.examples.normalized.is_empty() {
            let ex: Vec<String> = f
                .examples
                .normalized
                .iter()
                .map(|n| format!("{:?} -> {:?}", n.from, n.to))
                .collect();
            writeln!(out, "    normalized: {}", ex.join(", "))?;
        }
        if f.too_long > 0 {
            writeln!(
                out,
                "    {} longer than the field's length (sent; Copernica may cut them): {}",
                f.too_long,
                quoted(&f.examples.too_long)
            )?;
        }
        if f.without_at > 0 {
            writeln!(
                out,
                "    {} without @ (sent): {}",
                f.without_at,
                quoted(&f.examples.without_at)
            )?;
        }
        if !f.examples.rejected.is_empty() {
            let ex: Vec<String> = f
                .examples
                .rejected
                .iter()
                .map(|n| format!("{:?} {}", n.value, n.expected))
                .collect();
            writeln!(out, "    rejected: {}", ex.join("; "))?;
        }
    }
    if !r.unmapped.is_empty() && r.mapping.is_some() {
        let how = if r.unmapped_action == "drop" {
            "dropped"
        } else {
            "kept as they are"
        };
        writeln!(
            out,
            "unmapped:   {} ({how}): {}",
            r.unmapped.len(),
            r.unmapped.join(", ")
        )?;
    }
    writeln!(out, "rows:       {}", r.rows)?;
    match r.profiles {
        Some(p) => writeln!(out, "profiles:   {p}")?,
        None => writeln!(out, "profiles:   (no profile key fields given)")?,
    }
    writeln!(out, "bodies:     {} (--max-bytes {max_bytes})", r.bodies)?;
    write_tail(out, r.rejected, &r.rejects, &r.warnings, r.sheet.as_deref())
}
