//! `convert`: the rows as UTF-8 NDJSON or CSV.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

use std::path::PathBuf;

use field_map::{MapError, Mapper, MapperBuilder};
use profile_rows::{Columns, Format, Input, Row, RowReader, RowView};

use crate::cli::{ConvertArgs, ConvertTo};
use crate::fail::{is_broken_pipe, Fail};
use crate::fields;
use crate::input::{display_name, open_from, open_with_progress, Progress};
use crate::rejects::{Reject, RejectsFile};

/// Rejects reported one by one on stderr; the summary counts all.
const SHOWN_REJECTS: u64 = 20;

/// Why converting stopped early.
enum Stop {
    Io(io::Error),
    Input(profile_rows::Error),
    Mapping(field_map::MappingError),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::Io(e)
    }
}

impl From<csv::Error> for Stop {
    fn from(e: csv::Error) -> Stop {
        Stop::Io(e.into())
    }
}

pub fn run(args: &ConvertArgs) -> Result<u8, Fail> {
    let started = Instant::now();
    let name = display_name(&args.input);
    let mapping = fields::load(&args.fields)?;
    // CSV output from JSON needs every column before the first row: read the
    // input twice. Stdin or a pipe cannot be read twice: it is spooled to a file.
    let once_only =
        args.input.input == "-" || !std::fs::metadata(&args.input.input).is_ok_and(|m| m.is_file());
    let spool = match (args.to, once_only, args.input.input_format) {
        (ConvertTo::Csv, true, None | Some(Format::Json | Format::Ndjson)) => {
            Some(Spool::copy(&args.input.input)?)
        }
        _ => None,
    };
    let reopen = || match &spool {
        Some(s) => open_from(&args.input, Input::Path(s.path.clone())).map(|r| (r, None)),
        None => open_with_progress(&args.input, 0).map(|(r, p)| (r, Some(p))),
    };
    let (mut rdr, mut progress) = reopen()?;
    for w in rdr.warnings() {
        eprintln!("copernica-import: warning: {name}: {w}");
    }
    let header = match (args.to, rdr.info().format) {
        (ConvertTo::Csv, Format::Json | Format::Ndjson) => {
            let mut row = Row::new();
            loop {
                match rdr.read_row(&mut row) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) if e.is_reject() => {}
                    Err(e) => return Err(Fail::input(name, &e)),
                }
            }
            let mut names: Columns = rdr.columns().clone();
            if let Some(m) = &mapping {
                let mapper = MapperBuilder::new(&m.mapping)
                    .build(&names)
                    .map_err(fields::mapping_fail)?;
                mapper.check_complete().map_err(fields::mapping_fail)?;
                names = mapper.columns().clone();
            }
            if let Some(p) = &progress {
                p.finish();
            }
            (rdr, progress) = reopen()?;
            Some(names)
        }
        _ => None,
    };
    let out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(File::create(p).map_err(|e| Fail::io(p.display(), e))?),
        None => Box::new(io::stdout().lock()),
    };
    let mut rejects = match &args.rejects {
        Some(p) => Some(RejectsFile::create(p).map_err(|e| Fail::io(p.display(), e))?),
        None => None,
    };
    let mut mapper = match &mapping {
        Some(m) => Some(m.mapper(&rdr, &[], false)?),
        None => None,
    };
    let mut counts = (0, 0);
    let result = convert(
        &mut rdr,
        mapper.as_mut(),
        args.to,
        header,
        out,
        &mut rejects,
        name,
        &mut counts,
        progress.as_mut(),
    );
    if let Some(p) = &progress {
        p.finish();
    }
    match result {
        Ok(()) => {}
        Err(Stop::Io(e)) if is_broken_pipe(&e) => return Ok(0),
        Err(Stop::Io(e)) => return Err(Fail::io("output", e)),
        Err(Stop::Input(e)) => return Err(Fail::input(name, &e)),
        Err(Stop::Mapping(e)) => return Err(fields::mapping_fail(e)),
    }
    if let Some(f) = rejects {
        f.finish().map_err(|e| Fail::io("rejects file", e))?;
    }
    if let Some(w) = fields::dropped_warning(mapping.as_ref(), mapper.as_ref()) {
        eprintln!("copernica-import: warning: {w}");
    }
    eprintln!(
        "converted {} rows, {} rejected, in {:.2} s",
        counts.0,
        counts.1,
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// A copy of stdin in a temporary file, removed when dropped.
struct Spool {
    path: PathBuf,
}

impl Spool {
    /// Copies stdin (`-`) or a stream given by path (a FIFO, `/dev/fd/N`).
    fn copy(input: &str) -> Result<Spool, Fail> {
        let path =
            std::env::temp_dir().join(format!("copernica-import-input-{}", std::process::id()));
        let spool = Spool { path };
        let mut file = File::create(&spool.path).map_err(|e| Fail::io(spool.path.display(), e))?;
        let copied = if input == "-" {
            io::copy(&mut io::stdin().lock(), &mut file)
        } else {
            File::open(input).and_then(|mut f| io::copy(&mut f, &mut file))
        };
        copied.map_err(|e| Fail::io(input, e))?;
        Ok(spool)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[allow(clippy::too_many_arguments)]
fn convert(
    rdr: &mut RowReader,
    mut mapper: Option<&mut Mapper>,
    to: ConvertTo,
    header: Option<Columns>,
    out: Box<dyn Write>,
    rejects: &mut Option<RejectsFile>,
    name: &str,
    (rows, rejected): &mut (u64, u64),
    mut progress: Option<&mut Progress>,
) -> Result<(), Stop> {
    let out = BufWriter::with_capacity(1 << 16, out);
    let delimiter = rdr.info().delimiter;
    let sheet = rdr.sheet().map(|s| s.name.clone());
    let mut sink = match to {
        ConvertTo::Ndjson => Sink::Ndjson {
            keys: Vec::new(),
            line: Vec::new(),
            out,
        },
        ConvertTo::Csv => {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out);
            let header = header.unwrap_or_else(|| {
                mapper
                    .as_deref()
                    .map_or(rdr.columns(), Mapper::columns)
                    .clone()
            });
            w.write_record(header.names())?;
            Sink::Csv {
                w: Box::new(w),
                header,
                position: Vec::new(),
                values: Vec::new(),
            }
        }
    };
    let mut row = Row::new();
    loop {
        match rdr.read_row(&mut row) {
            Ok(true) => {
                if let Some(p) = progress.as_deref_mut() {
                    p.row();
                }
                let mapped = match mapper.as_deref_mut() {
                    None => {
                        sink.row(&row, rdr.columns())?;
                        Ok(())
                    }
                    Some(m) => match m.map(&row, rdr.columns()) {
                        Ok(mapped) => {
                            sink.row(&mapped, mapped.columns())?;
                            Ok(())
                        }
                        Err(MapError::Row(e)) => Err(e.to_string()),
                        Err(MapError::Mapping(e)) => return Err(Stop::Mapping(e)),
                    },
                };
                match mapped {
                    Ok(()) => *rows += 1,
                    Err(reason) => {
                        let place = crate::input::place(sheet.as_deref(), row.line());
                        reject(
                            rejects,
                            rejected,
                            name,
                            &row,
                            format!("{place}: {reason}"),
                            reason,
                            delimiter,
                        )?
                    }
                }
            }
            Ok(false) => break,
            Err(e) if e.is_reject() => reject(
                rejects,
                rejected,
                name,
                &row,
                e.to_string(),
                e.kind().to_string(),
                delimiter,
            )?,
            Err(e) => return Err(Stop::Input(e)),
        }
    }
    if let Some(m) = mapper {
        m.check_complete().map_err(Stop::Mapping)?;
    }
    sink.flush()
}

/// Counts a rejected row, shows the first ones, and writes it to the rejects file.
fn reject(
    rejects: &mut Option<RejectsFile>,
    rejected: &mut u64,
    name: &str,
    row: &Row,
    shown: String,
    reason: String,
    delimiter: u8,
) -> Result<(), Stop> {
    *rejected += 1;
    if *rejected <= SHOWN_REJECTS {
        eprintln!("copernica-import: {name}: {shown} (row rejected)");
    }
    if let Some(f) = rejects {
        f.write(&Reject::new(row, reason, delimiter))?;
    }
    Ok(())
}

/// Writes rows in the chosen format.
enum Sink<W: Write> {
    /// Keys escaped once per column, as columns appear.
    Ndjson {
        keys: Vec<String>,
        line: Vec<u8>,
        out: W,
    },
    /// Every row gets the header's columns; `position` maps a reader column
    /// to its place in the header.
    Csv {
        w: Box<csv::Writer<W>>,
        header: Columns,
        position: Vec<usize>,
        values: Vec<usize>,
    },
}

impl<W: Write> Sink<W> {
    fn row<R: RowView + ?Sized>(&mut self, row: &R, columns: &Columns) -> Result<(), Stop> {
        match self {
            Sink::Ndjson { keys, line, out } => {
                for c in keys.len()..columns.len() {
                    keys.push(serde_json::to_string(columns.name(c)).expect("a string serializes"));
                }
                line.clear();
                line.push(b'{');
                for i in 0..row.len() {
                    let (column, value) = row.field(i);
                    if i > 0 {
                        line.push(b',');
                    }
                    line.extend_from_slice(keys[column].as_bytes());
                    line.push(b':');
                    serde_json::to_writer(&mut *line, value).map_err(io::Error::from)?;
                }
                line.extend_from_slice(b"}\n");
                out.write_all(line)?;
            }
            Sink::Csv { w, .. } if row.as_row().is_some_and(Row::is_positional) => {
                w.write_record((0..row.len()).map(|i| row.field(i).1))?
            }
            Sink::Csv {
                w,
                header,
                position,
                values,
            } => {
                for c in position.len()..columns.len() {
                    let p = header
                        .find(columns.name(c))
                        .expect("the first pass saw every column");
                    position.push(p);
                }
                values.clear();
                values.resize(header.len(), usize::MAX);
                for i in 0..row.len() {
                    values[position[row.field(i).0]] = i;
                }
                w.write_record(values.iter().map(|&i| {
                    if i == usize::MAX {
                        ""
                    } else {
                        row.field(i).1
                    }
                }))?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Stop> {
        match self {
            Sink::Ndjson { out, .. } => out.flush()?,
            Sink::Csv { w, .. } => w.flush()?,
        }
        Ok(())
    }
}
