//! Opening an export from the command line's input options.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use profile_rows::{Input, ReaderBuilder, RowReader};

use crate::cli::InputArgs;
use crate::fail::Fail;

/// The reader for `args`, or a failure naming the input.
pub fn open(args: &InputArgs) -> Result<RowReader, Fail> {
    open_from(args, Input::from_arg(&args.input))
}

/// The reader for `args` on another source (a spooled copy of stdin).
pub fn open_from(args: &InputArgs, input: Input) -> Result<RowReader, Fail> {
    open_counted(args, input, None, 0)
}

/// The reader, with a progress bar of the input's bytes on stderr (drawn
/// only when stderr is a terminal); JSON values parsed on `parse_threads`.
pub fn open_with_progress(
    args: &InputArgs,
    parse_threads: usize,
) -> Result<(RowReader, Progress), Fail> {
    let counter = Arc::new(AtomicU64::new(0));
    let input = Input::from_arg(&args.input);
    let len = input
        .path()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len());
    let rdr = open_counted(args, input, Some(counter.clone()), parse_threads)?;
    Ok((rdr, Progress::new(len, counter)))
}

fn open_counted(
    args: &InputArgs,
    input: Input,
    counter: Option<Arc<AtomicU64>>,
    parse_threads: usize,
) -> Result<RowReader, Fail> {
    let mut b = ReaderBuilder::new();
    if let Some(c) = counter {
        b.count_bytes(c);
    }
    b.encoding(args.encoding.as_deref())
        .lossy(args.lossy)
        .delimiter(args.delimiter)
        .format(args.input_format)
        .array_join(&args.array_join)
        .skip_lines(args.skip_lines)
        .records(args.records.as_deref())
        .sheet(args.sheet.as_deref())
        .parse_threads(parse_threads);
    b.from_input(input)
        .map_err(|e| Fail::input(display_name(args), &e))
}

/// How the input is named in messages.
pub fn display_name(args: &InputArgs) -> &str {
    if args.input == "-" {
        "<stdin>"
    } else {
        &args.input
    }
}

/// Where a row is, as a person reads it: `line 17`, or `Sheet1, row 17`
/// in a workbook.
pub fn place(sheet: Option<&str>, line: u64) -> String {
    match sheet {
        Some(sheet) => format!("{sheet}, row {line}"),
        None => format!("line {line}"),
    }
}

/// A delimiter as a person reads it.
pub fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".to_string(),
        _ => (d as char).to_string(),
    }
}

/// Bytes of the input read so far, as a bar (or a counter for stdin).
pub struct Progress {
    bar: ProgressBar,
    counter: Arc<AtomicU64>,
    rows: u64,
}

impl Progress {
    fn new(len: Option<u64>, counter: Arc<AtomicU64>) -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(len, target);
        let template = if len.is_some() {
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg} [{elapsed}]"
        } else {
            "{bytes} {bytes_per_sec} {msg} [{elapsed}]"
        };
        bar.set_style(ProgressStyle::with_template(template).expect("a valid template"));
        Progress {
            bar,
            counter,
            rows: 0,
        }
    }

    /// Call once a row; the bar is updated every few thousand rows.
    pub fn row(&mut self) {
        self.rows += 1;
        if self.rows.is_multiple_of(4096) && !self.bar.is_hidden() {
            self.bar.set_position(self.counter.load(Ordering::Relaxed));
            self.bar.set_message(format!("{} rows", self.rows));
        }
    }

    /// Removes the bar, before the summary line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
