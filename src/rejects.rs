//! The rejects file: every row that was not written, with its line and reason.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use serde::Serialize;
use std::path::Path;

use profile_rows::Row;

/// A row that was not taken.
#[derive(Debug)]
pub struct Reject {
    /// Line where the row begins in the input.
    pub line: u64,
    /// Why it was rejected.
    pub reason: String,
    /// The record as read, as one CSV line with the input's delimiter.
    pub record: String,
}

impl Reject {
    /// A reject for `row` (filled by the reader with the record as read).
    pub fn new(row: &Row, reason: String, delimiter: u8) -> Reject {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let _ = w.write_record(row.iter());
        let mut record = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
        if record.ends_with('\n') {
            record.pop();
        }
        Reject {
            line: row.line(),
            reason,
            record,
        }
    }
}

/// Writes `line,reason,record` rows, with a header.
pub struct RejectsFile {
    w: csv::Writer<BufWriter<File>>,
}

impl RejectsFile {
    pub fn create(path: &Path) -> io::Result<RejectsFile> {
        let mut w = csv::Writer::from_writer(BufWriter::new(File::create(path)?));
        w.write_record(["line", "reason", "record"])?;
        Ok(RejectsFile { w })
    }

    pub fn write(&mut self, r: &Reject) -> io::Result<()> {
        self.w
            .write_record([r.line.to_string().as_str(), &r.reason, &r.record])?;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.w.flush()?;
        self.w.into_inner().map_err(|e| e.into_error())?.flush()
    }
}

/// A reject as reports list it: its line (a workbook's sheet row) and reason.
#[derive(Debug, Serialize)]
pub struct RejectOut {
    pub line: u64,
    pub reason: String,
}

/// The end of a text report (`inspect`, `check`): the rejected count, the
/// rejects listed, how many more there were, and the warnings.
pub fn write_tail(
    out: &mut impl Write,
    rejected: u64,
    rejects: &[RejectOut],
    warnings: &[String],
    sheet: Option<&str>,
) -> io::Result<()> {
    writeln!(out, "rejected:   {rejected}")?;
    for rej in rejects {
        writeln!(
            out,
            "  {}: {}",
            crate::input::place(sheet, rej.line),
            rej.reason
        )?;
    }
    if rejected > rejects.len() as u64 {
        writeln!(out, "  ... and {} more", rejected - rejects.len() as u64)?;
    }
    for w in warnings {
        writeln!(out, "warning:    {w}")?;
    }
    Ok(())
}
