//! `convert`: the rows as UTF-8 NDJSON or CSV.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

use profile_rows::{Row, RowReader};

use crate::cli::{ConvertArgs, ConvertTo};
use crate::fail::{is_broken_pipe, Fail};
use crate::input::{display_name, open};
use crate::rejects::{Reject, RejectsFile};

/// Rejects reported one by one on stderr; the summary counts all.
const SHOWN_REJECTS: u64 = 20;

/// Why converting stopped early.
enum Stop {
    Io(io::Error),
    Input(profile_rows::Error),
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
    let mut rdr = open(&args.input)?;
    let out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(File::create(p).map_err(|e| Fail::io(p.display(), e))?),
        None => Box::new(io::stdout().lock()),
    };
    let mut rejects = match &args.rejects {
        Some(p) => Some(RejectsFile::create(p).map_err(|e| Fail::io(p.display(), e))?),
        None => None,
    };
    let mut counts = (0, 0);
    match convert(&mut rdr, args.to, out, &mut rejects, name, &mut counts) {
        Ok(()) => {}
        Err(Stop::Io(e)) if is_broken_pipe(&e) => return Ok(0),
        Err(Stop::Io(e)) => return Err(Fail::io("output", e)),
        Err(Stop::Input(e)) => return Err(Fail::input(name, &e)),
    }
    if let Some(f) = rejects {
        f.finish().map_err(|e| Fail::io("rejects file", e))?;
    }
    eprintln!(
        "converted {} rows, {} rejected, in {:.2} s",
        counts.0,
        counts.1,
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

fn convert(
    rdr: &mut RowReader,
    to: ConvertTo,
    out: Box<dyn Write>,
    rejects: &mut Option<RejectsFile>,
    name: &str,
    (rows, rejected): &mut (u64, u64),
) -> Result<(), Stop> {
    let out = BufWriter::with_capacity(1 << 16, out);
    let delimiter = rdr.info().delimiter;
    let mut sink = match to {
        ConvertTo::Ndjson => Sink::Ndjson {
            keys: rdr
                .columns()
                .names()
                .map(|n| serde_json::to_string(n).expect("a string serializes"))
                .collect(),
            line: Vec::new(),
            out,
        },
        ConvertTo::Csv => {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out);
            w.write_record(rdr.columns().names())?;
            Sink::Csv(Box::new(w))
        }
    };
    let mut row = Row::new();
    loop {
        match rdr.read_row(&mut row) {
            Ok(true) => {
                sink.row(&row)?;
                *rows += 1;
            }
            Ok(false) => break,
            Err(e) if e.is_reject() => {
                *rejected += 1;
                if *rejected <= SHOWN_REJECTS {
                    eprintln!("copernica-import: {name}: {e} (row rejected)");
                }
                if let Some(f) = rejects {
                    f.write(&Reject::new(&row, e.kind().to_string(), delimiter))?;
                }
            }
            Err(e) => return Err(Stop::Input(e)),
        }
    }
    sink.flush()
}

/// Writes rows in the chosen format; NDJSON keys are escaped once, up front.
enum Sink<W: Write> {
    Ndjson {
        keys: Vec<String>,
        line: Vec<u8>,
        out: W,
    },
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Sink<W> {
    fn row(&mut self, row: &Row) -> Result<(), Stop> {
        match self {
            Sink::Ndjson { keys, line, out } => {
                line.clear();
                line.push(b'{');
                for (i, (key, value)) in keys.iter().zip(row.iter()).enumerate() {
                    if i > 0 {
                        line.push(b',');
                    }
                    line.extend_from_slice(key.as_bytes());
                    line.push(b':');
                    serde_json::to_writer(&mut *line, value).map_err(io::Error::from)?;
                }
                line.extend_from_slice(b"}\n");
                out.write_all(line)?;
            }
            Sink::Csv(w) => w.write_record(row.iter())?,
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Stop> {
        match self {
            Sink::Ndjson { out, .. } => out.flush()?,
            Sink::Csv(w) => w.flush()?,
        }
        Ok(())
    }
}
