//! The builder and the row reader.

use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use crate::csv::{Dialect, End, Parser, Step};
use crate::decode::{self, Decoder, Detection, EncodingInfo};
use crate::error::{ErrorKind, Position, Result};
use crate::excel::{self, BookKind, Sheet};
use crate::input::{self, read_full, Input, Source};
use crate::json::JsonReader;
use crate::row::{Columns, Row};
use crate::sniff::sniff_delimiter;

/// Bytes of text the delimiter sniffer looks at.
const SNIFF_BYTES: usize = 64 * 1024;
const DEFAULT_CAPACITY: usize = 64 * 1024;
const DEFAULT_MAX_RECORD: usize = 64 << 20;

/// The kind of export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Delimited text with a header row.
    Csv,
    /// A JSON array of objects (a stream of objects is read too).
    Json,
    /// One JSON object a line (any whitespace between objects is read too).
    Ndjson,
    /// A workbook (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`): one sheet's
    /// rows, the first with text being the header.
    Excel,
}

impl Format {
    /// `csv`, `json` or `ndjson`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Excel => "excel",
        }
    }

    /// Whether the header names every column up front, and field `i` of a
    /// row is column `i` (CSV and workbooks, not JSON).
    pub fn is_tabular(self) -> bool {
        matches!(self, Format::Csv | Format::Excel)
    }

    /// The format a file name implies (`.csv`, `.tsv`, `.json`, `.ndjson`,
    /// `.jsonl`, each also with `.gz`; `.xlsx`, `.xlsm`, `.xlsb`, `.xls`,
    /// `.ods`), if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit_once('.')?.1;
        match ext {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => Some(Format::Excel),
            _ => None,
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Format, String> {
        match s {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            "excel" => Ok(Format::Excel),
            _ => Err(format!(
                "unknown input format {s:?}: use csv, json, ndjson or excel"
            )),
        }
    }
}

/// What the reader found out about its input.
#[derive(Clone, Copy, Debug)]
pub struct InputInfo {
    /// CSV, JSON or NDJSON.
    pub format: Format,
    /// The encoding and how it was chosen.
    pub encoding: EncodingInfo,
    /// The input was gzip-compressed.
    pub gzip: bool,
    /// The CSV field delimiter (`,` for JSON).
    pub delimiter: u8,
    /// The delimiter was sniffed rather than given.
    pub delimiter_sniffed: bool,
}

/// Configures and opens a [`RowReader`].
///
/// Defaults: encoding detected (BOM, else UTF-8 if valid, else windows-1252),
/// strict decoding, delimiter sniffed among `,` `;` tab `|`, 64 KiB buffer,
/// records up to 64 MiB.
///
/// ```
/// use profile_rows::{ReaderBuilder, Row};
///
/// let data = "Email;Name;Price\nann@example.com;Ann;12,50\n".as_bytes().to_vec();
/// let mut rdr = ReaderBuilder::new().from_bytes(data)?;
/// assert_eq!(rdr.info().delimiter, b';');
/// let mut row = Row::new();
/// while rdr.read_row(&mut row)? {
///     assert_eq!(row.get(2), Some("12,50"));
/// }
/// # Ok::<(), profile_rows::Error>(())
/// ```
#[derive(Clone)]
pub struct ReaderBuilder {
    encoding: Option<String>,
    lossy: bool,
    delimiter: Option<u8>,
    capacity: usize,
    max_record: usize,
    dialect: Dialect,
    has_header: bool,
    format: Option<Format>,
    array_join: String,
    parse_threads: usize,
    counter: Option<Arc<AtomicU64>>,
    skip_lines: u64,
    records: Option<String>,
    sheet: Option<String>,
}

impl Default for ReaderBuilder {
    fn default() -> ReaderBuilder {
        ReaderBuilder {
            encoding: None,
            lossy: false,
            delimiter: None,
            capacity: DEFAULT_CAPACITY,
            max_record: DEFAULT_MAX_RECORD,
            dialect: Dialect::default(),
            has_header: true,
            format: None,
            array_join: ",".to_string(),
            parse_threads: 0,
            counter: None,
            skip_lines: 0,
            records: None,
            sheet: None,
        }
    }
}

impl std::fmt::Debug for ReaderBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderBuilder")
            .field("encoding", &self.encoding)
            .field("lossy", &self.lossy)
            .field("delimiter", &self.delimiter)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl ReaderBuilder {
    /// A builder with the defaults.
    pub fn new() -> ReaderBuilder {
        ReaderBuilder::default()
    }

    /// Skip this many physical lines before the CSV header (DATEV EXTF
    /// files carry a metadata line above it). Lines are still counted:
    /// positions stay those an editor shows.
    pub fn skip_lines(&mut self, n: u64) -> &mut ReaderBuilder {
        self.skip_lines = n;
        self
    }

    /// Read the records of a wrapped JSON document (`{"customers":[...]}`)
    /// at this RFC 6901 pointer (`/customers`): the array there is read
    /// element by element, whatever its size; an object there is the one
    /// record. JSON input only.
    pub fn records(&mut self, pointer: Option<&str>) -> &mut ReaderBuilder {
        self.records = pointer.map(str::to_string);
        self
    }

    /// The sheet of a workbook to read: its name, or its number from 1 over
    /// the sheets as [`RowReader::sheets`] lists them, hidden ones included
    /// (a sheet whose name is that number wins). `None` (the default): the
    /// first visible worksheet.
    pub fn sheet(&mut self, sheet: Option<&str>) -> &mut ReaderBuilder {
        self.sheet = sheet.map(str::to_string);
        self
    }

    /// Decode with this WHATWG label (`windows-1252`, `latin1`, `utf-16le`...)
    /// unless the input starts with a BOM. An unknown label is an error when
    /// the reader is built.
    pub fn encoding(&mut self, label: Option<&str>) -> &mut ReaderBuilder {
        self.encoding = label.map(str::to_string);
        self
    }

    /// Replace invalid byte sequences with U+FFFD instead of failing.
    pub fn lossy(&mut self, yes: bool) -> &mut ReaderBuilder {
        self.lossy = yes;
        self
    }

    /// The CSV delimiter; `None` (the default) sniffs it.
    pub fn delimiter(&mut self, delimiter: Option<u8>) -> &mut ReaderBuilder {
        self.delimiter = delimiter;
        self
    }

    /// Size of the read buffer, and the most text handed to the parser at
    /// once. Tiny sizes (1, 7) exercise every chunk boundary in tests.
    pub fn buffer_capacity(&mut self, bytes: usize) -> &mut ReaderBuilder {
        self.capacity = bytes.max(1);
        self
    }

    /// The largest record accepted; a larger one stops reading with an error,
    /// which keeps memory bounded when a quote is never closed.
    pub fn max_record_bytes(&mut self, bytes: usize) -> &mut ReaderBuilder {
        self.max_record = bytes;
        self
    }

    /// Lines starting with this byte are comments (none by default).
    pub fn comment(&mut self, comment: Option<u8>) -> &mut ReaderBuilder {
        self.dialect.comment = comment;
        self
    }

    /// Drop blanks around fields (off by default).
    pub fn trim(&mut self, yes: bool) -> &mut ReaderBuilder {
        self.dialect.trim = yes;
        self
    }

    /// Skip empty lines (the default) or read each as one empty field.
    pub fn skip_blank_lines(&mut self, yes: bool) -> &mut ReaderBuilder {
        self.dialect.skip_blank_lines = yes;
        self
    }

    /// Whether the first record is the header (the default). Without one,
    /// [`RowReader::columns`] is empty and rows may have any field count.
    pub fn has_header(&mut self, yes: bool) -> &mut ReaderBuilder {
        self.has_header = yes;
        self
    }

    /// The input format; `None` (the default) goes by the file's extension,
    /// else by its first non-blank character (`[` or `{` is JSON).
    pub fn format(&mut self, format: Option<Format>) -> &mut ReaderBuilder {
        self.format = format;
        self
    }

    /// What joins the items of a JSON array of scalars into one field (`,`).
    pub fn array_join(&mut self, join: &str) -> &mut ReaderBuilder {
        self.array_join = join.to_string();
        self
    }

    /// JSON and NDJSON input: with 2 or more, values are parsed and
    /// flattened on that many threads while the reading thread cuts the
    /// next ones (0 or 1, the default: all on the reading thread). Rows,
    /// rejects, errors and column ids come out exactly as with one thread.
    ///
    /// ```
    /// let ndjson = b"{\"a\":1}\n{\"b\":2,\"a\":3}\n".to_vec();
    /// let mut rdr = profile_rows::ReaderBuilder::new()
    ///     .parse_threads(2)
    ///     .from_bytes(ndjson)?;
    /// let mut row = profile_rows::Row::new();
    /// assert!(rdr.read_row(&mut row)? && rdr.read_row(&mut row)?);
    /// assert_eq!((row.column(0), row.get(0)), (1, Some("2")));
    /// assert_eq!(rdr.columns().name(1), "b");
    /// # Ok::<(), profile_rows::Error>(())
    /// ```
    pub fn parse_threads(&mut self, threads: usize) -> &mut ReaderBuilder {
        self.parse_threads = threads;
        self
    }

    /// Adds the bytes read from the input (before gunzip) to `counter`, for
    /// progress reports from another thread or between rows.
    pub fn count_bytes(&mut self, counter: Arc<AtomicU64>) -> &mut ReaderBuilder {
        self.counter = Some(counter);
        self
    }

    /// Opens a file; gzip is recognised by its magic bytes.
    pub fn from_path(&self, path: impl AsRef<Path>) -> Result<RowReader> {
        self.from_input(Input::Path(path.as_ref().to_path_buf()))
    }

    /// Reads from any reader (plain or gzip).
    pub fn from_reader(&self, r: impl Read + Send + 'static) -> Result<RowReader> {
        self.from_input(Input::Reader(Box::new(r)))
    }

    /// Reads from bytes in memory.
    pub fn from_bytes(&self, bytes: impl Into<Vec<u8>>) -> Result<RowReader> {
        self.from_reader(Cursor::new(bytes.into()))
    }

    /// Opens an [`Input`]: a path, stdin or a reader.
    pub fn from_input(&self, input: Input) -> Result<RowReader> {
        let label = self
            .encoding
            .as_deref()
            .map(decode::lookup_label)
            .transpose()?;
        let path = input.path().map(Path::to_path_buf);
        let by_name = self
            .format
            .or_else(|| path.as_deref().and_then(Format::from_path));
        if by_name == Some(Format::Excel) {
            return self.open_workbook(input);
        }
        // A regular file is peeked at here, so a workbook is read in place;
        // anything else (stdin, a FIFO) by the head of its stream below.
        let regular = path
            .as_ref()
            .filter(|p| p.metadata().is_ok_and(|m| m.is_file()));
        if let (None, Some(p)) = (by_name, regular) {
            let mut head = [0u8; 4];
            let n = read_full(&mut std::fs::File::open(p)?, &mut head)?;
            if excel::has_workbook_magic(&head[..n]) {
                return self.open_workbook(input);
            }
        }
        let regular = regular.is_some();
        let (src, gzip) = input::open(input, self.counter.clone())?;
        let mut src: Source = if self.capacity < DEFAULT_CAPACITY {
            Box::new(Chunked {
                inner: src,
                max: self.capacity,
            })
        } else {
            src
        };

        // The head holds the BOM, if any.
        let mut head = vec![0u8; 4];
        let n = read_full(&mut src, &mut head)?;
        head.truncate(n);
        if by_name.is_none() && !gzip && !regular && excel::has_workbook_magic(&head) {
            let whole = Cursor::new(head).chain(src);
            return self.open_workbook(Input::Reader(Box::new(whole)));
        }
        let encoding = decode::choose(&head, label);
        head.drain(..encoding.bom_len);
        let src: Source = Box::new(Cursor::new(head).chain(src));
        let mut dec = Decoder::new(src, encoding, self.lossy, self.capacity);

        let format = match self
            .format
            .or_else(|| path.as_deref().and_then(Format::from_path))
        {
            Some(f) => f,
            None => {
                let sample = dec.peek(SNIFF_BYTES)?;
                match sample.iter().find(|b| !b.is_ascii_whitespace()) {
                    Some(b'[') => Format::Json,
                    Some(b'{') if self.records.is_some() => Format::Json,
                    Some(b'{') => Format::Ndjson,
                    _ => Format::Csv,
                }
            }
        };
        // Excel's `sep=;` line names the delimiter and is not the header.
        let mut skipped = 0;
        let mut sep = None;
        if format == Format::Csv {
            let head = dec.peek(8)?;
            if head.len() >= 5
                && head.starts_with(b"sep=")
                && !matches!(head[4], b'\r' | b'\n' | b'"')
                && head.get(5).is_none_or(|b| matches!(b, b'\r' | b'\n'))
            {
                sep = Some(head[4]);
                skip_line(&mut dec, encoding.name())?;
                skipped += 1;
            }
            for _ in 0..self.skip_lines {
                if !skip_line(&mut dec, encoding.name())? {
                    return Err(ErrorKind::EmptyInput.into());
                }
                skipped += 1;
            }
        }
        let (delimiter, delimiter_sniffed) = match (format, self.delimiter.or(sep)) {
            (Format::Csv, None) => {
                let sample = dec.peek(SNIFF_BYTES)?;
                (sniff_delimiter(sample, sample.len() < SNIFF_BYTES), true)
            }
            (_, d) => (d.unwrap_or(b','), false),
        };
        let records = match (&self.records, format) {
            (None, _) => None,
            (Some(_), Format::Csv) => {
                return Err(ErrorKind::Pointer {
                    pointer: self.records.clone().unwrap_or_default(),
                    message: "--records is for JSON input".into(),
                }
                .into())
            }
            (Some(p), _) => Some(crate::pointer::Navigator::new(p)?),
        };
        let mut warnings = Vec::new();
        if records.is_none() && format != Format::Csv {
            if let Some(key) = wrapped_records(dec.peek(SNIFF_BYTES)?) {
                warnings.push(format!(
                    "the input is one object whose member {key:?} is an array of objects: to read its elements as records, use --records /{}",
                    key.replace('~', "~0").replace('/', "~1")
                ));
            }
        }
        dec.set_chunk(self.capacity);
        let engine = match format {
            Format::Csv => {
                let mut p = Parser::new(Dialect {
                    delimiter,
                    ..self.dialect
                });
                p.start_at_line(skipped + 1);
                Engine::Csv(p)
            }
            _ => Engine::Json(Box::new(JsonReader::new(
                encoding.name(),
                format == Format::Json,
                &self.array_join,
                self.max_record,
                self.parse_threads,
                self.capacity,
                records,
            ))),
        };
        let mut rdr = RowReader {
            dec,
            engine,
            columns: Columns::new(),
            info: InputInfo {
                format,
                encoding,
                gzip,
                delimiter,
                delimiter_sniffed,
            },
            records: 0,
            max_record: self.max_record,
            scratch: Vec::new(),
            has_header: self.has_header && format == Format::Csv,
            trailing_empty: false,
            warnings,
        };
        if rdr.has_header {
            rdr.read_header()?;
        }
        Ok(rdr)
    }
}

impl ReaderBuilder {
    /// Opens a workbook: a file as it is, anything else spooled to a
    /// temporary file first (calamine needs to seek). The kind comes from
    /// the extension, else from the magic bytes.
    fn open_workbook(&self, input: Input) -> Result<RowReader> {
        let (file, kind) = match input {
            Input::Path(p) => {
                if let Some(c) = &self.counter {
                    let len = std::fs::metadata(&p).map_or(0, |m| m.len());
                    c.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
                }
                let kind = excel::BookKind::from_path(&p);
                (excel::BookFile::Path(p), kind)
            }
            other => {
                let (src, _) = input::open(other, self.counter.clone())?;
                (excel::BookFile::spool(src)?, None)
            }
        };
        let mut columns = Columns::new();
        let book = excel::ExcelReader::open(
            file,
            kind,
            excel::SheetChoice::parse(self.sheet.as_deref()),
            self.skip_lines,
            &mut columns,
        )?;
        let encoding = EncodingInfo {
            encoding: encoding_rs::UTF_8,
            detection: Detection::Workbook,
            bom_len: 0,
        };
        let dec = Decoder::new(Box::new(std::io::empty()), encoding, false, 1);
        Ok(RowReader {
            dec,
            engine: Engine::Excel(Box::new(book)),
            columns,
            info: InputInfo {
                format: Format::Excel,
                encoding,
                gzip: false,
                delimiter: b',',
                delimiter_sniffed: false,
            },
            records: 1,
            max_record: self.max_record,
            scratch: Vec::new(),
            has_header: true,
            trailing_empty: false,
            warnings: Vec::new(),
        })
    }
}

/// Where the last record began; `records` counts the header as the first.
fn position(parser: &Parser, records: u64) -> Position {
    let (line, byte) = parser.record_start();
    Position {
        byte,
        line,
        record: records - 1,
    }
}

/// Reads at most `max` bytes per call: how tiny buffers are tested end to end.
struct Chunked {
    inner: Source,
    max: usize,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.max);
        self.inner.read(&mut buf[..n])
    }
}

/// Reads rows from a CSV export, one reused [`Row`] at a time.
///
/// The header has been read and checked when the reader is built: its names
/// are in [`RowReader::columns`]. [`RowReader::read_row`] then fills a row per
/// record. A record whose field count differs from the header's is an error
/// for which [`Error::is_reject`](crate::Error::is_reject) is true: the row
/// holds the record as read, and reading can go on.
pub struct RowReader {
    dec: Decoder,
    engine: Engine,
    columns: Columns,
    info: InputInfo,
    /// Records read, the header included.
    records: u64,
    max_record: usize,
    /// The record being parsed, before it is checked and copied into a row.
    scratch: Vec<u8>,
    has_header: bool,
    /// The header ended with a delimiter: its last, empty name is dropped,
    /// and so is the empty value under it.
    trailing_empty: bool,
    warnings: Vec<String>,
}

/// The key of the first member of a top-level object that is an array of
/// objects (`{"customers":[{...` gives `customers`), looking at the start
/// of the input only.
fn wrapped_records(head: &[u8]) -> Option<String> {
    let blank = |b: &u8| b.is_ascii_whitespace();
    let mut i = head.iter().position(|b| !blank(b))?;
    if head[i] != b'{' {
        return None;
    }
    i += 1;
    let (mut depth, mut in_string, mut escape) = (1usize, false, false);
    let mut key_start = None;
    let mut last_key: Option<&[u8]> = None;
    while i < head.len() {
        let b = head[i];
        if escape {
            escape = false;
        } else if in_string {
            if b == b'\\' {
                escape = true;
            } else if b == b'"' {
                in_string = false;
                if depth == 1 {
                    if let Some(s) = key_start.take() {
                        last_key = Some(&head[s..i]);
                    }
                }
            }
        } else {
            match b {
                b'"' => {
                    in_string = true;
                    if depth == 1 && last_key.is_none() {
                        key_start = Some(i + 1);
                    }
                }
                b',' if depth == 1 => last_key = None,
                b'[' if depth == 1 => {
                    let next = head[i + 1..].iter().find(|b| !blank(b));
                    if next == Some(&b'{') {
                        return last_key.map(|k| String::from_utf8_lossy(k).into_owned());
                    }
                    depth += 1;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return None;
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Consumes one physical line (`\n`, `\r\n` or `\r`) of decoded input;
/// false when the input ended first.
fn skip_line(dec: &mut Decoder, encoding: &'static str) -> Result<bool> {
    loop {
        let buf = match dec.fill_buf()? {
            Ok(buf) => buf,
            Err(bad) => return Err(bad.error(encoding, 1)),
        };
        if buf.is_empty() {
            return Ok(false);
        }
        match memchr::memchr2(b'\n', b'\r', buf) {
            Some(k) => {
                let cr = buf[k] == b'\r';
                dec.consume(k + 1);
                if cr && dec.peek(1)?.first() == Some(&b'\n') {
                    dec.consume(1);
                }
                return Ok(true);
            }
            None => {
                let n = buf.len();
                dec.consume(n);
            }
        }
    }
}

enum Engine {
    Csv(Parser),
    Json(Box<JsonReader>),
    Excel(Box<excel::ExcelReader>),
}

impl std::fmt::Debug for RowReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowReader")
            .field("info", &self.info)
            .field("columns", &self.columns)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl RowReader {
    /// The header's columns.
    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// Encoding, compression and dialect of the input.
    ///
    /// Without a BOM or a label the input is read as UTF-8 until an invalid
    /// sequence after nothing but ASCII shows it is windows-1252: from then
    /// on (and for good) the encoding says so, with [`Detection::NotUtf8`].
    pub fn info(&self) -> InputInfo {
        let mut info = self.info;
        if let Some(encoding) = self.dec.guessed() {
            info.encoding.encoding = encoding;
            info.encoding.detection = Detection::NotUtf8;
        }
        info
    }

    /// Reads the next row into `row`; false at the end of the input.
    ///
    /// A reject ([`Error::is_reject`](crate::Error::is_reject)) leaves the
    /// rejected record in `row`, and reading can go on; any other error means
    /// the input cannot be read on. Allocates nothing once `row`'s buffers
    /// have grown to the longest row.
    pub fn read_row(&mut self, row: &mut Row) -> Result<bool> {
        match &mut self.engine {
            Engine::Json(json) => return json.read_row(&mut self.dec, &mut self.columns, row),
            Engine::Excel(book) => return book.read_row(row),
            Engine::Csv(_) => {}
        }
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        row.ends.clear();
        row.cols.clear();
        let got = self.read_record(&mut text, &mut row.ends);
        let (line, byte) = self.parser().record_start();
        row.line = line;
        row.byte = byte;
        row.text.clear();
        // simdutf8, and a copy into the row's `String`: several times
        // faster than `String::from_utf8` on short non-ASCII rows.
        let valid = simdutf8::basic::from_utf8(&text).map(|t| row.text.push_str(t));
        if valid.is_err() {
            // Only when a file proved valid changed while being read.
            row.text = String::from_utf8_lossy(&text).into_owned();
            self.scratch = text;
            got?;
            return Err(ErrorKind::Encoding {
                encoding: self.info.encoding.name(),
                line,
                byte,
            }
            .into());
        }
        self.scratch = text;
        if !got? {
            return Ok(false);
        }
        if self.trailing_empty && row.ends.len() == self.columns.len() + 1 {
            let n = row.ends.len();
            if row.ends[n - 1] != row.ends[n - 2] {
                return Err(ErrorKind::ValueUnderEmptyHeader {
                    column: n,
                    line: row.line,
                }
                .into());
            }
            row.ends.pop();
        }
        if self.has_header && row.ends.len() != self.columns.len() {
            return Err(ErrorKind::FieldCount {
                pos: position(self.parser(), self.records),
                expected: self.columns.len(),
                found: row.ends.len(),
            }
            .into());
        }
        Ok(true)
    }

    fn parser(&self) -> &Parser {
        match &self.engine {
            Engine::Csv(p) => p,
            _ => unreachable!("only CSV has a record parser"),
        }
    }

    fn read_record(&mut self, out: &mut Vec<u8>, ends: &mut Vec<usize>) -> Result<bool> {
        let Engine::Csv(parser) = &mut self.engine else {
            unreachable!("only CSV reads records")
        };
        loop {
            let buf = match self.dec.fill_buf()? {
                Ok(buf) => buf,
                Err(bad) => return Err(bad.error(self.info.encoding.name(), parser.line())),
            };
            if buf.is_empty() {
                return match parser.finish(out, ends) {
                    End::Nothing => Ok(false),
                    End::Record => {
                        self.records += 1;
                        Ok(true)
                    }
                    End::UnclosedQuote => {
                        self.records += 1;
                        Err(ErrorKind::UnclosedQuote {
                            pos: position(parser, self.records),
                        }
                        .into())
                    }
                };
            }
            let (n, step) = parser.parse(buf, out, ends);
            self.dec.consume(n);
            if step == Step::Record {
                self.records += 1;
                return Ok(true);
            }
            if out.len() > self.max_record {
                return Err(ErrorKind::RecordTooLarge {
                    pos: position(parser, self.records),
                    limit: self.max_record,
                }
                .into());
            }
        }
    }

    fn read_header(&mut self) -> Result<()> {
        let mut row = Row::new();
        let mut text = Vec::new();
        let got = self.read_record(&mut text, &mut row.ends);
        if !got? {
            return Err(ErrorKind::EmptyInput.into());
        }
        row.text = String::from_utf8_lossy(&text).into_owned();
        let n = row.len();
        for (i, name) in row.iter().enumerate() {
            let name = name.trim();
            if name.is_empty() && i + 1 == n && n > 1 {
                // A trailing delimiter: dropped while nothing is under it.
                self.trailing_empty = true;
                self.warnings.push(format!(
                    "the header ends with a delimiter (column {n} has no name): that empty last column is dropped from every row"
                ));
                break;
            }
            let error = if name.is_empty() {
                Some(ErrorKind::EmptyHeader {
                    column: i + 1,
                    short_first_line: false,
                })
            } else {
                self.columns
                    .find(name)
                    .map(|first| ErrorKind::DuplicateHeader {
                        name: name.to_string(),
                        first: first + 1,
                        second: i + 1,
                        short_first_line: false,
                    })
            };
            if let Some(mut error) = error {
                // A title or metadata line above the header?
                let (mut t, mut e) = (Vec::new(), Vec::new());
                let short =
                    matches!(self.read_record(&mut t, &mut e), Ok(true)) && e.len() >= 2 * n;
                match &mut error {
                    ErrorKind::EmptyHeader {
                        short_first_line, ..
                    }
                    | ErrorKind::DuplicateHeader {
                        short_first_line, ..
                    } => *short_first_line = short,
                    _ => {}
                }
                return Err(error.into());
            }
            self.columns.intern(name);
        }
        Ok(())
    }

    /// A workbook's sheets, as the file lists them (empty for other input).
    pub fn sheets(&self) -> &[Sheet] {
        match &self.engine {
            Engine::Excel(book) => book.sheets(),
            _ => &[],
        }
    }

    /// The sheet being read, for a workbook.
    pub fn sheet(&self) -> Option<&Sheet> {
        match &self.engine {
            Engine::Excel(book) => Some(book.sheet()),
            _ => None,
        }
    }

    /// The kind of workbook, for a workbook.
    pub fn book_kind(&self) -> Option<BookKind> {
        match &self.engine {
            Engine::Excel(book) => Some(book.kind()),
            _ => None,
        }
    }

    /// Things a person should know about how the input was read (a
    /// trailing delimiter dropped), each once.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}
