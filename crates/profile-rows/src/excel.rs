//! Excel and OpenDocument workbooks, read with calamine.
//!
//! calamine needs random access, and its `.xlsx`/`.xlsb` cell readers borrow
//! the workbook they read, so the workbook lives on a thread of its own: it
//! opens the file, lists the sheets, and sends the chosen sheet's rows in
//! chunks over a bounded channel. Memory is the shared strings, the styles
//! and a few chunks of rows, never the sheet's used range: a stray cell at
//! `XFD1048576` costs nothing. `.xls` and `.ods` are loaded whole by calamine
//! (it has no cell reader for them), then sent the same way.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

use calamine::{
    Data, DataRef, Dimensions, Ods, Range, Reader, SheetType, SheetVisible, Xls, Xlsb, Xlsx,
};

use crate::error::{ErrorKind, Result};
use crate::ole::MAGIC as OLE2_MAGIC;
use crate::row::{Columns, Row};

/// Rows a chunk carries from the workbook thread.
const CHUNK_ROWS: usize = 256;
/// Chunks in flight: the bound on rows held between the two threads.
const CHUNKS_IN_FLIGHT: usize = 2;

/// `PK\3\4`: a zip archive (`.xlsx`, `.xlsm`, `.xlsb`, `.ods`).
const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// One sheet of a workbook, as `inspect` lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    /// The sheet's name (`Sheet1`).
    pub name: String,
    /// Whether Excel shows its tab.
    pub visibility: Visibility,
    /// A worksheet (not a chart, dialog or macro sheet).
    pub worksheet: bool,
    /// The used range the file declares (`A1:D17`), if any. Some writers
    /// declare a range far larger than the cells with text.
    pub used_range: Option<String>,
}

/// Whether a sheet's tab is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Shown.
    Visible,
    /// Hidden; the user can unhide it.
    Hidden,
    /// Hidden so that only a macro can unhide it.
    VeryHidden,
}

impl Visibility {
    /// `visible`, `hidden` or `very hidden`.
    pub fn name(self) -> &'static str {
        match self {
            Visibility::Visible => "visible",
            Visibility::Hidden => "hidden",
            Visibility::VeryHidden => "very hidden",
        }
    }
}

/// The workbook kinds calamine reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookKind {
    /// Office Open XML (`.xlsx`, `.xlsm`).
    Xlsx,
    /// Excel binary workbook (`.xlsb`).
    Xlsb,
    /// Excel 97-2003 (`.xls`).
    Xls,
    /// OpenDocument spreadsheet (`.ods`).
    Ods,
}

impl BookKind {
    /// `xlsx`, `xlsb`, `xls` or `ods`.
    pub fn name(self) -> &'static str {
        match self {
            BookKind::Xlsx => "xlsx",
            BookKind::Xlsb => "xlsb",
            BookKind::Xls => "xls",
            BookKind::Ods => "ods",
        }
    }

    /// The kind a file name implies.
    pub(crate) fn from_path(path: &Path) -> Option<BookKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "xlsx" | "xlsm" => Some(BookKind::Xlsx),
            "xlsb" => Some(BookKind::Xlsb),
            "xls" => Some(BookKind::Xls),
            "ods" => Some(BookKind::Ods),
            _ => None,
        }
    }
}

/// Whether the first bytes are those of a workbook container: a zip
/// archive or an OLE2 compound file.
pub(crate) fn has_workbook_magic(head: &[u8]) -> bool {
    head.get(..4)
        .is_some_and(|h| h == ZIP_MAGIC || h == &OLE2_MAGIC[..4])
}

/// Which sheet to read: `--sheet NAME|N`.
#[derive(Clone, Debug)]
pub(crate) enum SheetChoice {
    /// The first visible worksheet.
    FirstVisible,
    /// By name, exactly.
    Name(String),
    /// By number, from 1, over all sheets as listed (hidden ones included).
    Number(usize),
}

impl SheetChoice {
    pub(crate) fn parse(arg: Option<&str>) -> SheetChoice {
        match arg {
            None => SheetChoice::FirstVisible,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if !s.starts_with('+') => SheetChoice::Number(n),
                _ => SheetChoice::Name(s.to_string()),
            },
        }
    }
}

/// Where the workbook's bytes are.
pub(crate) enum BookFile {
    /// A file given by the user.
    Path(PathBuf),
    /// Stdin or a stream, copied into a temporary file that is removed as
    /// soon as the workbook is open.
    Spooled(PathBuf),
}

impl BookFile {
    fn path(&self) -> &Path {
        match self {
            BookFile::Path(p) | BookFile::Spooled(p) => p,
        }
    }

    /// Copies a stream into a temporary file: calamine needs to seek.
    pub(crate) fn spool(mut r: impl Read) -> io::Result<BookFile> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "copernica-import-workbook-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let mut f = File::create_new(&path)?;
        let spooled = BookFile::Spooled(path);
        io::copy(&mut r, &mut f)?;
        Ok(spooled)
    }
}

impl Drop for BookFile {
    fn drop(&mut self) {
        if let BookFile::Spooled(p) = self {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// What the workbook thread sends.
enum Msg {
    Opened(Vec<Sheet>, usize, BookKind),
    Rows(Vec<SheetRow>),
    Failed(crate::Error),
    End,
}

/// One sheet row with text, as read: every cell up to the last with text,
/// empty ones included.
#[derive(Default)]
struct SheetRow {
    row: Row,
    /// The first error cell and its text (`D17`, `#N/A`).
    error: Option<(String, String)>,
}

/// Reads the rows of one sheet; the first row with text is the header.
pub(crate) struct ExcelReader {
    rx: Receiver<Msg>,
    back: Sender<Vec<SheetRow>>,
    chunk: Vec<SheetRow>,
    next: usize,
    sheets: Vec<Sheet>,
    chosen: usize,
    kind: BookKind,
    width: usize,
    records: u64,
    done: bool,
}

impl ExcelReader {
    /// Opens the workbook on its thread and reads the header into `columns`.
    pub(crate) fn open(
        file: BookFile,
        kind: Option<BookKind>,
        choice: SheetChoice,
        skip_rows: u64,
        columns: &mut Columns,
    ) -> Result<ExcelReader> {
        let (tx, rx) = mpsc::sync_channel(CHUNKS_IN_FLIGHT);
        let (back, back_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("workbook".into())
            .spawn(move || {
                // calamine is not ours: a panic in it ends the reading with
                // an error, never as if the sheet had ended.
                let run = std::panic::AssertUnwindSafe(|| {
                    work(file, kind, choice, skip_rows, &tx, back_rx)
                });
                let end = match std::panic::catch_unwind(run) {
                    Ok(Ok(())) => Msg::End,
                    Ok(Err(e)) => Msg::Failed(e),
                    Err(panic) => {
                        let what = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_default();
                        Msg::Failed(workbook_error(format!(
                            "the workbook reader (calamine) failed on this file: {what}"
                        )))
                    }
                };
                let _ = tx.send(end);
            })?;
        let (sheets, chosen, kind) = match rx.recv() {
            Ok(Msg::Opened(s, c, k)) => (s, c, k),
            Ok(Msg::Failed(e)) => return Err(e),
            _ => return Err(workbook_error("the workbook reader ended early")),
        };
        let mut rdr = ExcelReader {
            rx,
            back,
            chunk: Vec::new(),
            next: 0,
            sheets,
            chosen,
            kind,
            width: 0,
            records: 0,
            done: false,
        };
        rdr.read_header(columns)?;
        Ok(rdr)
    }

    pub(crate) fn sheets(&self) -> &[Sheet] {
        &self.sheets
    }

    pub(crate) fn sheet(&self) -> &Sheet {
        &self.sheets[self.chosen]
    }

    pub(crate) fn kind(&self) -> BookKind {
        self.kind
    }

    /// The next sheet row with text, swapped into `row`.
    fn next_raw(&mut self, row: &mut Row) -> Result<Option<Option<(String, String)>>> {
        loop {
            if self.next < self.chunk.len() {
                let r = &mut self.chunk[self.next];
                self.next += 1;
                std::mem::swap(row, &mut r.row);
                return Ok(Some(r.error.take()));
            }
            if self.done {
                return Ok(None);
            }
            let used = std::mem::take(&mut self.chunk);
            if !used.is_empty() {
                let _ = self.back.send(used);
            }
            self.next = 0;
            match self.rx.recv() {
                Ok(Msg::Rows(rows)) => self.chunk = rows,
                Ok(Msg::Failed(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Ok(Msg::End) => self.done = true,
                Ok(Msg::Opened(..)) | Err(_) => {
                    self.done = true;
                    return Err(workbook_error("the workbook reader ended early"));
                }
            }
        }
    }

    fn read_header(&mut self, columns: &mut Columns) -> Result<()> {
        let mut row = Row::new();
        if self.next_raw(&mut row)?.is_none() {
            return Err(ErrorKind::EmptyInput.into());
        }
        let sheet = self.sheet().name.clone();
        let line = row.line;
        let names: Vec<&str> = row.iter().map(str::trim).collect();
        // Blank names after the last real one are trailing empty columns.
        let width = names
            .iter()
            .rposition(|n| !n.is_empty())
            .map_or(0, |i| i + 1);
        for (i, name) in names[..width].iter().enumerate() {
            let message = if name.is_empty() {
                Some(format!(
                    "column {} of the header has an empty name",
                    column_letters(i as u32)
                ))
            } else {
                columns.find(name).map(|first| {
                    format!(
                        "header name {name:?} appears twice, in columns {} and {}",
                        column_letters(first as u32),
                        column_letters(i as u32)
                    )
                })
            };
            if let Some(message) = message {
                return Err(ErrorKind::Cell {
                    sheet,
                    cell: format!("{}{line}", column_letters(i as u32)),
                    row: line,
                    message,
                    reject: false,
                }
                .into());
            }
            columns.intern(name);
        }
        self.width = width;
        self.records = 1;
        Ok(())
    }

    /// The next data row; false at the end of the sheet.
    pub(crate) fn read_row(&mut self, row: &mut Row) -> Result<bool> {
        let Some(error) = self.next_raw(row)? else {
            return Ok(false);
        };
        self.records += 1;
        row.cols.clear();
        let reject = |cell: String, message: String, row: &Row, sheet: &Sheet| {
            Err(ErrorKind::Cell {
                sheet: sheet.name.clone(),
                cell,
                row: row.line,
                message,
                reject: true,
            }
            .into())
        };
        if row.ends.len() > self.width {
            let start = self.width.checked_sub(1).map_or(0, |i| row.ends[i]);
            if row.text.len() > start {
                let (k, _) = row
                    .iter()
                    .enumerate()
                    .skip(self.width)
                    .find(|(_, v)| !v.is_empty())
                    .unwrap_or((self.width, ""));
                let letters = column_letters(k as u32);
                return reject(
                    format!("{letters}{}", row.line),
                    format!("a value in column {letters}, which has no name in the header"),
                    row,
                    self.sheet(),
                );
            }
            row.ends.truncate(self.width);
        }
        let len = row.text.len();
        row.ends.resize(self.width, len);
        if let Some((cell, message)) = error {
            return reject(cell, message, row, self.sheet());
        }
        Ok(true)
    }
}

fn workbook_error(message: impl Into<String>) -> crate::Error {
    ErrorKind::Workbook(message.into()).into()
}

/// `A` for 0, `Z` for 25, `AA` for 26, ... `XFD` for 16383.
pub fn column_letters(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut out = Vec::new();
    while n > 0 {
        let d = (n - 1) % 26;
        out.push(b'A' + d as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

fn range_name(d: Dimensions) -> String {
    format!(
        "{}{}:{}{}",
        column_letters(d.start.1),
        d.start.0 + 1,
        column_letters(d.end.1),
        d.end.0 + 1
    )
}

type Rs = BufReader<File>;

enum Book {
    Xlsx(Xlsx<Rs>),
    Xlsb(Xlsb<Rs>),
    Xls(Xls<Rs>),
    Ods(Ods<Rs>),
}

fn open_kind(path: &Path, kind: BookKind) -> std::result::Result<Book, String> {
    // Every kind: calamine looks into an OLE2 file for an encrypted package
    // even when it is named `.xlsx`.
    ole_chains_end(path)?;
    let rs = BufReader::new(File::open(path).map_err(|e| e.to_string())?);
    let e = |e: &dyn std::fmt::Display| e.to_string();
    Ok(match kind {
        BookKind::Xlsx => Book::Xlsx(Xlsx::new(rs).map_err(|x| e(&x))?),
        BookKind::Xlsb => Book::Xlsb(Xlsb::new(rs).map_err(|x| e(&x))?),
        BookKind::Xls => Book::Xls(Xls::new(rs).map_err(|x| e(&x))?),
        BookKind::Ods => Book::Ods(Ods::new(rs).map_err(|x| e(&x))?),
    })
}

/// calamine 0.38 follows an OLE2 file's directory chain without a bound,
/// and its streams' chains up to the length they claim, so a damaged file
/// whose allocation table loops makes it allocate until memory runs out (a
/// 12 KB `.xls` took 4 GB, found by the `excel_reader` fuzz target). The
/// table is read first (see `ole`), and a loop in it is refused before
/// calamine sees the file. Anything else that is wrong is left to
/// calamine's own errors.
fn ole_chains_end(path: &Path) -> std::result::Result<(), String> {
    let mut head = [0u8; 8];
    let mut f = File::open(path).map_err(|e| e.to_string())?;
    let n = crate::input::read_full(&mut f, &mut head).map_err(|e| e.to_string())?;
    if head[..n] != OLE2_MAGIC {
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    match crate::ole::Ole::parse(&bytes) {
        Err(crate::ole::OleError::Damaged(why)) => Err(format!("damaged OLE2 file: {why}")),
        _ => Ok(()),
    }
}

/// Opens by the given kind, else by the magic bytes: an OLE2 file is
/// `.xls`; a zip is tried as `.xlsx`, `.xlsb`, then `.ods`.
fn open_book(path: &Path, kind: Option<BookKind>) -> Result<(Book, BookKind)> {
    if let Some(kind) = kind {
        return open_kind(path, kind)
            .map(|b| (b, kind))
            .map_err(|m| workbook_error(format!("not a readable .{} workbook: {m}", kind.name())));
    }
    let mut head = [0u8; 8];
    let n = crate::input::read_full(&mut File::open(path)?, &mut head)?;
    if head[..n].starts_with(&OLE2_MAGIC) {
        return open_kind(path, BookKind::Xls)
            .map(|b| (b, BookKind::Xls))
            .map_err(|m| {
                workbook_error(format!(
                    "an OLE2 file that is not a readable .xls workbook: {m}"
                ))
            });
    }
    if !head[..n].starts_with(&ZIP_MAGIC) {
        return Err(workbook_error(
            "not a workbook: it is neither a zip archive (.xlsx, .xlsb, .ods) nor an OLE2 file (.xls)",
        ));
    }
    for kind in [BookKind::Xlsx, BookKind::Xlsb, BookKind::Ods] {
        if let Ok(book) = open_kind(path, kind) {
            return Ok((book, kind));
        }
    }
    Err(workbook_error(
        "a zip archive that is not an .xlsx, .xlsb or .ods workbook",
    ))
}

fn sheet_list(book: &mut Book) -> Vec<Sheet> {
    let meta = match book {
        Book::Xlsx(b) => b.sheets_metadata().to_vec(),
        Book::Xlsb(b) => b.sheets_metadata().to_vec(),
        Book::Xls(b) => b.sheets_metadata().to_vec(),
        Book::Ods(b) => b.sheets_metadata().to_vec(),
    };
    meta.into_iter()
        .map(|s| {
            let used_range = match book {
                // The declared range, read from the sheet's start only.
                Book::Xlsx(b) => b
                    .worksheet_cells_reader(&s.name)
                    .ok()
                    .map(|c| c.dimensions()),
                Book::Xlsb(b) => b
                    .worksheet_cells_reader(&s.name)
                    .ok()
                    .map(|c| c.dimensions()),
                // Loaded whole by calamine when the workbook is opened.
                Book::Xls(b) => b.worksheet_range(&s.name).ok().map(|r| dims(&r)),
                Book::Ods(b) => b.worksheet_range(&s.name).ok().map(|r| dims(&r)),
            }
            .filter(|d| *d != Dimensions::default() || s.typ == SheetType::WorkSheet)
            .map(range_name);
            Sheet {
                name: s.name,
                visibility: match s.visible {
                    SheetVisible::Visible => Visibility::Visible,
                    SheetVisible::Hidden => Visibility::Hidden,
                    SheetVisible::VeryHidden => Visibility::VeryHidden,
                },
                worksheet: s.typ == SheetType::WorkSheet,
                used_range,
            }
        })
        .collect()
}

fn dims(r: &Range<Data>) -> Dimensions {
    match (r.start(), r.end()) {
        (Some(start), Some(end)) => Dimensions { start, end },
        _ => Dimensions::default(),
    }
}

fn choose(sheets: &[Sheet], choice: &SheetChoice) -> Result<usize> {
    let names = || {
        sheets
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{} {:?}", i + 1, s.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let found = match choice {
        SheetChoice::FirstVisible => sheets
            .iter()
            .position(|s| s.worksheet && s.visibility == Visibility::Visible),
        SheetChoice::Name(n) => sheets.iter().position(|s| &s.name == n),
        // A sheet whose name is the number itself wins.
        SheetChoice::Number(n) => sheets
            .iter()
            .position(|s| s.name == n.to_string())
            .or_else(|| n.checked_sub(1).filter(|&i| i < sheets.len())),
    };
    found.ok_or_else(|| {
        let asked = match choice {
            SheetChoice::FirstVisible => "visible worksheet".to_string(),
            SheetChoice::Name(n) => format!("sheet named {n:?}"),
            SheetChoice::Number(n) => format!("sheet {n}"),
        };
        ErrorKind::NoSheet {
            asked,
            sheets: names(),
        }
        .into()
    })
}

/// The workbook thread: open, list, choose, then send rows.
fn work(
    file: BookFile,
    kind: Option<BookKind>,
    choice: SheetChoice,
    skip_rows: u64,
    tx: &SyncSender<Msg>,
    back: Receiver<Vec<SheetRow>>,
) -> Result<()> {
    // calamine gives no number formats for .xls and .ods: they are read
    // from the file on a thread of their own while calamine opens it.
    let (opened, mut forms) = std::thread::scope(|s| {
        let reading = match kind {
            Some(BookKind::Xlsx | BookKind::Xlsb) => None,
            _ => std::thread::Builder::new()
                .name("workbook-formats".into())
                .spawn_scoped(s, || crate::cell_forms::read(file.path()))
                .ok(),
        };
        let opened = open_book(file.path(), kind);
        // Without the thread (or if it panicked), forms come from values.
        let forms = reading.and_then(|h| h.join().ok()).unwrap_or_default();
        (opened, forms)
    });
    let (mut book, kind) = opened?;
    let mut xlsb_zip = match kind {
        BookKind::Xlsb => crate::cell_forms::xlsb_zip(file.path()),
        _ => None,
    };
    drop(file); // a spooled copy is removed; the open files stay readable
    let sheets = sheet_list(&mut book);
    let chosen = choose(&sheets, &choice)?;
    let name = sheets[chosen].name.clone();
    let forms = forms.remove(&name).unwrap_or_default();
    if tx.send(Msg::Opened(sheets, chosen, kind)).is_err() {
        return Ok(());
    }
    let mut out = RowSink {
        tx,
        back,
        chunk: Vec::new(),
        filled: 0,
        current: None,
        skip_rows,
        has_text: false,
    };
    let failed = |e: &dyn std::fmt::Display| workbook_error(format!("sheet {name:?}: {e}"));
    match &mut book {
        Book::Xlsx(b) => {
            let is_1904 = b.has_1904_epoch();
            let mut cells = b.worksheet_cells_reader(&name).map_err(|e| failed(&e))?;
            let kinds: Vec<Option<DateKind>> = cells
                .styles()
                .iter()
                .map(|s| {
                    s.number_format
                        .as_ref()
                        .and_then(|f| date_kind(&f.format_code))
                })
                .collect();
            while let Some((cell, style)) =
                cells.next_cell_with_style_id().map_err(|e| failed(&e))?
            {
                let (r, c) = cell.get_position();
                let shown = kinds.get(style).copied().flatten();
                if !out.cell(r, c, &value_ref(cell.get_value(), is_1904, shown))? {
                    return Ok(());
                }
            }
        }
        Book::Xlsb(b) => {
            let is_1904 = b.has_1904_epoch();
            let mut cells = b.worksheet_cells_reader(&name).map_err(|e| failed(&e))?;
            let mut forms = xlsb_zip
                .as_mut()
                .and_then(|zip| crate::cell_forms::XlsbForms::open(zip, &name));
            while let Some(cell) = cells.next_cell().map_err(|e| failed(&e))? {
                let (r, c) = cell.get_position();
                let shown = match (cell.get_value(), forms.as_mut()) {
                    (DataRef::DateTime(_), Some(forms)) => forms.get(r, c),
                    _ => None,
                };
                if !out.cell(r, c, &value_ref(cell.get_value(), is_1904, shown))? {
                    return Ok(());
                }
            }
        }
        Book::Xls(b) => {
            let is_1904 = b.has_1904_epoch();
            let range = b.worksheet_range(&name).map_err(|e| failed(&e))?;
            if !send_range(&mut out, &range, is_1904, &forms)? {
                return Ok(());
            }
        }
        Book::Ods(b) => {
            let range = b.worksheet_range(&name).map_err(|e| failed(&e))?;
            if !send_range(&mut out, &range, false, &forms)? {
                return Ok(());
            }
        }
    }
    out.finish();
    Ok(())
}

fn send_range(
    out: &mut RowSink<'_>,
    range: &Range<Data>,
    is_1904: bool,
    forms: &crate::cell_forms::Forms,
) -> Result<bool> {
    let (r0, c0) = range.start().unwrap_or((0, 0));
    for (r, c, v) in range.used_cells() {
        let (r, c) = (r0 + r as u32, c0 + c as u32);
        if !out.cell(r, c, &value(v, is_1904, forms.get(r, c)))? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A cell's value, from either of calamine's value types.
enum Value<'a> {
    Empty,
    Text(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A serial date: value, 1904 epoch, what the number format shows.
    Serial(f64, bool, Option<DateKind>, bool),
    /// ISO 8601 from the file (`.ods`, or `.xlsx` cells of type `d`), and
    /// what the number format shows.
    Iso(&'a str, Option<DateKind>),
    /// ISO 8601 duration (`PT10H30M00S`, `.ods` time cells).
    Duration(&'a str, Option<DateKind>),
    Error(String),
}

fn value_ref<'a>(v: &'a DataRef<'_>, is_1904: bool, shown: Option<DateKind>) -> Value<'a> {
    match v {
        DataRef::Empty => Value::Empty,
        DataRef::String(s) => Value::Text(s),
        DataRef::SharedString(s) => Value::Text(s),
        DataRef::Int(i) => Value::Int(*i),
        DataRef::Float(f) => Value::Float(*f),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::DateTime(d) => Value::Serial(d.as_f64(), is_1904, shown, d.is_duration()),
        DataRef::DateTimeIso(s) => Value::Iso(s, shown),
        DataRef::DurationIso(s) => Value::Duration(s, shown),
        DataRef::Error(e) => Value::Error(e.to_string()),
    }
}

fn value(v: &Data, is_1904: bool, shown: Option<DateKind>) -> Value<'_> {
    match v {
        Data::Empty => Value::Empty,
        Data::String(s) => Value::Text(s),
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => Value::Float(*f),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(d) => Value::Serial(d.as_f64(), is_1904, shown, d.is_duration()),
        Data::DateTimeIso(s) => Value::Iso(s, shown),
        Data::DurationIso(s) => Value::Duration(s, shown),
        Data::Error(e) => Value::Error(e.to_string()),
    }
}

/// Columns a sheet has in Excel and LibreOffice (`A` to `XFD`).
const MAX_COLUMNS: u32 = 16_384;

/// Builds rows from cells in sheet order and sends them in chunks.
struct RowSink<'a> {
    tx: &'a SyncSender<Msg>,
    back: Receiver<Vec<SheetRow>>,
    chunk: Vec<SheetRow>,
    filled: usize,
    /// The sheet row (from 0) being built.
    current: Option<u32>,
    skip_rows: u64,
    has_text: bool,
}

impl RowSink<'_> {
    /// Adds a cell; false when the reader went away.
    fn cell(&mut self, r: u32, c: u32, v: &Value<'_>) -> Result<bool> {
        if (r as u64) < self.skip_rows {
            return Ok(true);
        }
        if self.current != Some(r) {
            if self.current.is_some_and(|cur| r < cur) {
                return Err(workbook_error(format!(
                    "row {} comes after row {}: the sheet's rows are out of order",
                    r + 1,
                    self.current.unwrap_or(0) + 1
                )));
            }
            if !self.end_row() {
                return Ok(false);
            }
            self.current = Some(r);
            self.start_row(r);
        }
        if matches!(v, Value::Empty) || matches!(v, Value::Text(s) if s.is_empty()) {
            return Ok(true);
        }
        if c >= MAX_COLUMNS {
            // A row is built densely: a damaged file's cell at column four
            // billion must not claim memory for every column before it.
            return Err(workbook_error(format!(
                "cell {}{} lies past column XFD, the last a sheet has",
                column_letters(c),
                r + 1
            )));
        }
        let slot = &mut self.chunk[self.filled];
        let row = &mut slot.row;
        let c = c as usize;
        if c < row.ends.len() {
            return Err(workbook_error(format!(
                "cell {}{} comes after a cell to its right",
                column_letters(c as u32),
                r + 1
            )));
        }
        let len = row.text.len();
        row.ends.resize(c, len);
        if let Err(message) = push_text(&mut row.text, v) {
            if slot.error.is_none() {
                slot.error = Some((format!("{}{}", column_letters(c as u32), r + 1), message));
            }
        }
        let row = &mut slot.row;
        row.ends.push(row.text.len());
        self.has_text = true;
        Ok(true)
    }

    fn start_row(&mut self, r: u32) {
        if self.filled == self.chunk.len() {
            self.chunk.push(SheetRow::default());
        }
        let slot = &mut self.chunk[self.filled];
        slot.row.clear();
        slot.row.line = r as u64 + 1;
        slot.row.byte = 0;
        slot.error = None;
        self.has_text = false;
    }

    /// Keeps the row being built if it has text; sends a full chunk.
    fn end_row(&mut self) -> bool {
        if self.current.is_none() {
            return true;
        }
        if self.has_text {
            self.filled += 1;
        }
        self.has_text = false;
        if self.filled < CHUNK_ROWS {
            return true;
        }
        self.send()
    }

    fn send(&mut self) -> bool {
        let mut full = self.back.try_recv().unwrap_or_default();
        std::mem::swap(&mut full, &mut self.chunk);
        full.truncate(self.filled);
        self.filled = 0;
        self.tx.send(Msg::Rows(full)).is_ok()
    }

    fn finish(mut self) {
        if self.end_row() && self.filled > 0 {
            self.send();
        }
    }
}

/// What a date cell's number format shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateKind {
    Date,
    DateTime,
    Time,
    /// Elapsed time (`[h]:mm:ss`): hours past 24 are kept.
    Elapsed,
}

/// What a number format code shows, when it shows a date or time; `None`
/// for other formats (and `General`).
pub(crate) fn date_kind(code: &str) -> Option<DateKind> {
    // The first section is for positive numbers, the one dates use.
    let mut section = String::new();
    let mut chars = code.chars();
    let (mut in_quote, mut elapsed) = (false, false);
    while let Some(ch) = chars.next() {
        match ch {
            '"' => in_quote = !in_quote,
            _ if in_quote => {}
            '\\' | '_' | '*' => {
                chars.next();
            }
            '[' => {
                let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
                let inner = inner.to_ascii_lowercase();
                if !inner.is_empty() && inner.chars().all(|c| matches!(c, 'h' | 'm' | 's')) {
                    elapsed = true;
                }
            }
            ';' => break,
            _ => section.push(ch.to_ascii_lowercase()),
        }
    }
    let section = section.replace("general", "");
    let has_date = section.contains(['y', 'd', 'e', 'g', 'b']);
    let has_time =
        section.contains(['h', 's']) || section.contains("am/pm") || section.contains("a/p");
    let has_month = section.contains('m');
    if elapsed {
        return Some(DateKind::Elapsed);
    }
    match (has_date || (has_month && !has_time), has_time) {
        (true, true) => Some(DateKind::DateTime),
        (true, false) => Some(DateKind::Date),
        (false, true) => Some(DateKind::Time),
        (false, false) => None,
    }
}

/// Appends a cell's text; an error cell gives its message instead.
fn push_text(out: &mut String, v: &Value<'_>) -> std::result::Result<(), String> {
    use std::fmt::Write;
    match *v {
        Value::Empty => {}
        Value::Text(s) => out.push_str(s),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => push_float(out, f),
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Value::Serial(f, is_1904, shown, duration) => {
            let kind = if duration {
                DateKind::Elapsed
            } else {
                shown.unwrap_or(if f.fract() == 0.0 {
                    DateKind::Date
                } else if f < 1.0 {
                    DateKind::Time
                } else {
                    DateKind::DateTime
                })
            };
            push_serial(out, f, is_1904, kind)?;
        }
        Value::Iso(s, shown) => push_iso(out, s, shown)?,
        Value::Duration(s, shown) => push_duration(out, s, shown)?,
        Value::Error(ref e) => {
            out.push_str(e);
            return Err(e.clone());
        }
    }
    Ok(())
}

/// A whole number without `.0`; any other in the shortest form that reads
/// back as the same `f64` (Rust's `Display` for `f64`).
fn push_float(out: &mut String, f: f64) {
    use std::fmt::Write;
    if f == 0.0 {
        out.push('0'); // and not `-0`
    } else {
        let _ = write!(out, "{f}");
    }
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days from 1970-01-01 to 1899-12-30 (serial 0 as Excel counts from
/// March 1900) and to 1904-01-01 (serial 0 of a 1904 workbook).
const EPOCH_1900: i64 = -25_569;
const EPOCH_1904: i64 = -24_107;

fn push_serial(
    out: &mut String,
    serial: f64,
    is_1904: bool,
    kind: DateKind,
) -> std::result::Result<(), String> {
    use std::fmt::Write;
    if !(0.0..2_958_466.0).contains(&serial) {
        return Err(format!("{serial} is not a date Excel can show"));
    }
    let secs = (serial * 86_400.0).round() as i64;
    let (days, secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if kind == DateKind::Elapsed {
        let _ = write!(out, "{:02}:{m:02}:{s:02}", days * 24 + h);
        return Ok(());
    }
    if kind == DateKind::Time {
        let _ = write!(out, "{h:02}:{m:02}:{s:02}");
        return Ok(());
    }
    let epoch_days = if is_1904 {
        EPOCH_1904 + days
    } else if days == 60 {
        return Err("1900-02-29 does not exist (Excel's 1900 leap-year bug)".into());
    } else if days == 0 {
        return Err("day 0 (1900-01-00) is not a date".into());
    } else if days < 60 {
        // Before Excel's phantom 1900-02-29, serials are one day later.
        EPOCH_1900 + days + 1
    } else {
        EPOCH_1900 + days
    };
    let (y, mo, d) = civil_from_days(epoch_days);
    let _ = write!(out, "{y:04}-{mo:02}-{d:02}");
    if kind == DateKind::DateTime {
        let _ = write!(out, " {h:02}:{m:02}:{s:02}");
    }
    Ok(())
}

/// `2024-01-05` stays; `2024-01-05T10:30:00[.5]` becomes
/// `2024-01-05 10:30:00`, rounded to the second. With the form the cell's
/// number format shows, only that: the date, the time, or both.
fn push_iso(out: &mut String, s: &str, shown: Option<DateKind>) -> std::result::Result<(), String> {
    let bad = || format!("{s:?} is not an ISO 8601 date or date-time");
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let Some((date, time)) = s.split_once('T') else {
        let b = s.as_bytes();
        if s.len() == 10 && b[4] == b'-' && b[7] == b'-' {
            match shown {
                Some(DateKind::Time) => out.push_str("00:00:00"),
                Some(DateKind::DateTime | DateKind::Elapsed) => {
                    out.push_str(s);
                    out.push_str(" 00:00:00");
                }
                Some(DateKind::Date) | None => out.push_str(s),
            }
            return Ok(());
        }
        return Err(bad());
    };
    let parts: Vec<&str> = date.split('-').collect();
    let ok = parts.len() == 3 && parts.iter().all(|p| digits(p));
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let t: Vec<&str> = hms.split(':').collect();
    if !ok || t.len() != 3 || !t.iter().all(|p| digits(p) && p.len() == 2) {
        return Err(bad());
    }
    let num = |p: &str| p.parse::<i64>().map_err(|_| bad());
    let (y, mo, d) = (num(parts[0])?, num(parts[1])?, num(parts[2])?);
    let mut secs = num(t[0])? * 3600 + num(t[1])? * 60 + num(t[2])?;
    if frac.as_bytes().first().is_some_and(|&b| b >= b'5') {
        secs += 1;
    }
    let mut days = days_from_civil(y, mo as u32, d as u32);
    days += secs.div_euclid(86_400);
    let secs = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    use std::fmt::Write;
    let (h, m, sec) = (secs / 3600, secs / 60 % 60, secs % 60);
    let _ = match shown {
        Some(DateKind::Date) => write!(out, "{y:04}-{mo:02}-{d:02}"),
        Some(DateKind::Time) => write!(out, "{h:02}:{m:02}:{sec:02}"),
        _ => write!(out, "{y:04}-{mo:02}-{d:02} {h:02}:{m:02}:{sec:02}"),
    };
    Ok(())
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `PT10H30M00S` (or `PT10H30M00.5S`) becomes `10:30:00`; hours past 24
/// are kept unless the number format shows a clock time, which wraps.
fn push_duration(
    out: &mut String,
    s: &str,
    shown: Option<DateKind>,
) -> std::result::Result<(), String> {
    let bad = || format!("{s:?} is not an ISO 8601 time");
    let rest = s.strip_prefix("PT").ok_or_else(bad)?;
    let (mut h, mut m, mut secs) = (0i64, 0i64, 0f64);
    let mut num = String::new();
    for ch in rest.chars() {
        match ch {
            '0'..='9' | '.' => num.push(ch),
            'H' => h = num.parse().map_err(|_| bad())?,
            'M' => m = num.parse().map_err(|_| bad())?,
            'S' => secs = num.parse().map_err(|_| bad())?,
            _ => return Err(bad()),
        }
        if ch.is_ascii_alphabetic() {
            num.clear();
        }
    }
    let mut total = h * 3600 + m * 60 + secs.round() as i64;
    if shown == Some(DateKind::Time) {
        total %= 86_400;
    }
    use std::fmt::Write;
    let _ = write!(
        out,
        "{:02}:{:02}:{:02}",
        total / 3600,
        total / 60 % 60,
        total % 60
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_as_excel_names_them() {
        let got: Vec<String> = [0, 25, 26, 51, 52, 701, 702, 16383]
            .into_iter()
            .map(column_letters)
            .collect();
        assert_eq!(got, ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]);
    }

    #[test]
    fn number_formats_say_what_a_date_cell_shows() {
        let cases = [
            ("yyyy-mm-dd", Some(DateKind::Date)),
            ("m/d/yyyy", Some(DateKind::Date)),
            ("d-mmm", Some(DateKind::Date)),
            ("mmm-yy", Some(DateKind::Date)),
            ("mmmm", Some(DateKind::Date)),
            ("[$-409]dd/mm/yyyy", Some(DateKind::Date)),
            ("dd/mm/yyyy hh:mm", Some(DateKind::DateTime)),
            ("m/d/yyyy h:mm AM/PM", Some(DateKind::DateTime)),
            ("yyyy-mm-dd\"T\"hh:mm:ss", Some(DateKind::DateTime)),
            ("h:mm", Some(DateKind::Time)),
            ("hh:mm:ss", Some(DateKind::Time)),
            ("mm:ss", Some(DateKind::Time)),
            ("h:mm AM/PM", Some(DateKind::Time)),
            ("[h]:mm:ss", Some(DateKind::Elapsed)),
            ("[Red]hh:mm", Some(DateKind::Time)),
            ("General", None),
            ("0.00", None),
            ("\"days\" 0", None),
        ];
        for (code, want) in cases {
            assert_eq!(date_kind(code), want, "{code}");
        }
    }

    fn serial(f: f64, is_1904: bool, kind: DateKind) -> std::result::Result<String, String> {
        let mut s = String::new();
        push_serial(&mut s, f, is_1904, kind).map(|()| s)
    }

    #[test]
    fn serial_dates_in_both_epochs() {
        use DateKind::*;
        assert_eq!(serial(45943.0, false, Date).unwrap(), "2025-10-13");
        assert_eq!(
            serial(45943.5, false, DateTime).unwrap(),
            "2025-10-13 12:00:00"
        );
        // Rounded to the second: 12:59:02.400 and 12:59:02.600.
        assert_eq!(
            serial(45943.541, false, DateTime).unwrap(),
            "2025-10-13 12:59:02"
        );
        let s = serial(45943.541 + 0.2 / 86_400.0, false, DateTime).unwrap();
        assert_eq!(s, "2025-10-13 12:59:03");
        // Rounding up past midnight moves the day.
        let s = serial(45943.0 - 0.4 / 86_400.0, false, DateTime).unwrap();
        assert_eq!(s, "2025-10-13 00:00:00");
        assert_eq!(serial(1.0, false, Date).unwrap(), "1900-01-01");
        assert_eq!(serial(59.0, false, Date).unwrap(), "1900-02-28");
        assert_eq!(serial(61.0, false, Date).unwrap(), "1900-03-01");
        assert!(serial(60.0, false, Date)
            .unwrap_err()
            .contains("1900-02-29"));
        assert_eq!(serial(0.0, true, Date).unwrap(), "1904-01-01");
        assert_eq!(serial(44481.0, true, Date).unwrap(), "2025-10-13");
        assert_eq!(serial(0.75, false, Time).unwrap(), "18:00:00");
        assert_eq!(serial(1.5, false, Elapsed).unwrap(), "36:00:00");
        assert!(serial(-1.0, false, Date).is_err());
    }

    #[test]
    fn iso_values_and_durations() {
        use DateKind::*;
        let iso = |s: &str, shown: Option<DateKind>| {
            let mut o = String::new();
            push_iso(&mut o, s, shown).map(|()| o)
        };
        assert_eq!(iso("2024-01-05", None).unwrap(), "2024-01-05");
        assert_eq!(
            iso("2024-01-05T10:30:00", None).unwrap(),
            "2024-01-05 10:30:00"
        );
        assert_eq!(
            iso("2024-12-31T23:59:59.6", None).unwrap(),
            "2025-01-01 00:00:00"
        );
        assert!(iso("05/01/2024", None).is_err());
        // With the form the number format shows.
        assert_eq!(
            iso("2024-01-05", Some(DateTime)).unwrap(),
            "2024-01-05 00:00:00"
        );
        assert_eq!(iso("2024-01-05", Some(Time)).unwrap(), "00:00:00");
        assert_eq!(
            iso("2024-01-05T18:00:00", Some(Date)).unwrap(),
            "2024-01-05"
        );
        assert_eq!(iso("2024-01-05T18:00:00", Some(Time)).unwrap(), "18:00:00");
        let dur = |s: &str, shown: Option<DateKind>| {
            let mut o = String::new();
            push_duration(&mut o, s, shown).map(|()| o)
        };
        assert_eq!(dur("PT10H30M00S", None).unwrap(), "10:30:00");
        assert_eq!(dur("PT01H02M03.5S", None).unwrap(), "01:02:04");
        assert_eq!(dur("PT30H00M00S", Some(Elapsed)).unwrap(), "30:00:00");
        assert_eq!(dur("PT30H00M00S", Some(Time)).unwrap(), "06:00:00");
        assert!(dur("10:30", None).is_err());
    }

    #[test]
    fn floats_in_their_shortest_form() {
        let f = |x: f64| {
            let mut s = String::new();
            push_float(&mut s, x);
            s
        };
        assert_eq!(f(1.0), "1");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f(12.5), "12.5");
        assert_eq!(f(1e15), "1000000000000000");
    }

    #[test]
    fn sheet_numbers_and_names() {
        assert!(matches!(
            SheetChoice::parse(Some("2")),
            SheetChoice::Number(2)
        ));
        assert!(matches!(
            SheetChoice::parse(Some("Orders")),
            SheetChoice::Name(_)
        ));
        assert!(matches!(
            SheetChoice::parse(None),
            SheetChoice::FirstVisible
        ));
    }
}
