//! Streaming JSON input: a top-level array of objects, or NDJSON.
//!
//! How it works. A byte scanner cuts the decoded text into top-level values
//! without parsing them: it tracks only string state and bracket depth, so it
//! runs at memchr-like speed. A value that lies within one buffer is parsed
//! in place; one that spans buffers is gathered into a reused buffer first.
//! Memory is bounded by the largest value, never by the input. Each value is
//! then parsed strictly and flattened ([`crate::flatten`]) into a pool of
//! reused rows, which `read_row` hands out by swapping, so no row is copied.
//!
//! With parser threads ([`crate::ReaderBuilder::parse_threads`]) the values
//! cut here are parsed and flattened on workers instead
//! ([`crate::parallel`]); rows come back in input order.
//!
//! NDJSON is read as a stream of values, each followed by a newline: one
//! object a line, blank lines and CRLF included, and also pretty-printed
//! objects one after another. Two values on one line are an error. A file
//! whose first non-blank byte is `[` is one array.

use crate::decode::Decoder;
use crate::error::{ErrorKind, Position, Result};
use crate::find::find2;
use crate::flatten::{self, Flattener, Parsed, Unfit};
use crate::parallel::Parallel;
use crate::pointer::{Found, Navigator, Suffix};
use crate::row::{Columns, Row};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Before the first non-blank byte.
    Start,
    /// Array: after `[`, before the first element or `]`.
    FirstOrEnd,
    /// Array: after `,`; stream: between values.
    BeforeElement,
    Element,
    /// Array: after an element, before `,` or `]`.
    AfterElement,
    /// Array: after `]`.
    End,
    /// Stream: after a value, before the newline that must follow it.
    AfterValue,
}

pub(crate) struct JsonReader {
    encoding: &'static str,
    /// A JSON document (not a stream) must hold a value.
    require_value: bool,
    array: bool,
    phase: Phase,
    in_string: bool,
    escape: bool,
    depth: usize,
    /// A value that spans buffers, gathered.
    gathered: Vec<u8>,
    /// Line, column and offset where the current value starts.
    start: (u64, u64, u64),
    /// Line of the next byte, and the offset where its line starts.
    line: u64,
    line_start: u64,
    /// Offset of the next byte.
    offset: u64,
    parser: ValueParser,
    /// With worker threads: values are parsed there.
    par: Option<Parallel>,
    pool: Vec<Row>,
    pending: usize,
    next: usize,
    reject: Option<ErrorKind>,
    values: u64,
    max_value: usize,
    /// With `--records`: walking to the records, then what closes them.
    nav: Option<Navigator>,
    suffix: Option<Suffix>,
    /// The records are one object (the pointer names an object).
    single: bool,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl JsonReader {
    pub(crate) fn new(
        encoding: &'static str,
        require_value: bool,
        join: &str,
        max_value: usize,
        workers: usize,
        block_bytes: usize,
        records: Option<Navigator>,
    ) -> JsonReader {
        JsonReader {
            nav: records,
            suffix: None,
            single: false,
            encoding,
            require_value,
            array: false,
            phase: Phase::Start,
            in_string: false,
            escape: false,
            depth: 0,
            gathered: Vec::new(),
            start: (1, 1, 0),
            line: 1,
            line_start: 0,
            offset: 0,
            parser: ValueParser::new(join),
            par: (workers > 1).then(|| Parallel::new(workers, join, block_bytes)),
            pool: Vec::new(),
            pending: 0,
            next: 0,
            reject: None,
            values: 0,
            max_value,
        }
    }

    /// Accounts for consumed text: offset and lines.
    fn advance(&mut self, text: &[u8]) {
        let mut last = None;
        for nl in memchr::memchr_iter(b'\n', text) {
            self.line += 1;
            last = Some(nl);
        }
        if let Some(nl) = last {
            self.line_start = self.offset + nl as u64 + 1;
        }
        self.offset += text.len() as u64;
    }

    fn syntax(&self, message: &'static str) -> crate::Error {
        ErrorKind::Json {
            line: self.line,
            column: self.offset - self.line_start + 1,
            message,
        }
        .into()
    }

    pub(crate) fn read_row(
        &mut self,
        dec: &mut Decoder,
        columns: &mut Columns,
        row: &mut Row,
    ) -> Result<bool> {
        if self.par.is_some() {
            return self.read_row_parallel(dec, columns, row);
        }
        loop {
            if let Some(kind) = self.reject.take() {
                std::mem::swap(row, &mut self.pool[0]);
                return Err(kind.into());
            }
            if self.next < self.pending {
                std::mem::swap(row, &mut self.pool[self.next]);
                self.next += 1;
                return Ok(true);
            }
            self.next = 0;
            self.pending = 0;
            if !self.next_value(dec, columns)? {
                return Ok(false);
            }
        }
    }

    /// `read_row` with worker threads: hands out their rows in order, and
    /// cuts the next block of values whenever the pipeline has room.
    fn read_row_parallel(
        &mut self,
        dec: &mut Decoder,
        columns: &mut Columns,
        row: &mut Row,
    ) -> Result<bool> {
        loop {
            let par = self.par.as_mut().expect("workers");
            if let Some(got) = par.next_row(columns, row)? {
                return Ok(got);
            }
            loop {
                let cut = self.next_value(dec, columns);
                let par = self.par.as_mut().expect("workers");
                match cut {
                    Ok(true) if !par.block_full() => continue,
                    Ok(true) => {}
                    Ok(false) => par.stop(Ok(false)),
                    Err(e) => par.stop(Err(e)),
                }
                par.send();
                break;
            }
        }
    }

    /// Reads one top-level value and flattens it into the pool (or notes a
    /// reject; with workers, adds it to the block being cut). False at the
    /// end of input.
    fn next_value(&mut self, dec: &mut Decoder, columns: &mut Columns) -> Result<bool> {
        loop {
            let buf = match dec.fill_buf()? {
                Ok(buf) => buf,
                Err(bad) => return Err(bad.error(self.encoding, self.line)),
            };
            if buf.is_empty() {
                return self.at_end(columns);
            }
            if let Some(nav) = &mut self.nav {
                let (used, found) = nav.feed(buf)?;
                let depth = nav.depth();
                self.advance(&buf[..used]);
                dec.consume(used);
                match found {
                    None => {}
                    Some(Found::Array) => {
                        self.array = true;
                        self.phase = Phase::FirstOrEnd;
                    }
                    Some(Found::Object) => self.single = true,
                }
                if found.is_some() {
                    self.nav = None;
                    self.suffix = Some(Suffix::new(depth));
                }
                continue;
            }
            let mut i = 0;
            let mut value_start = 0;
            while i < buf.len() {
                let records_done =
                    self.phase == Phase::End || (self.single && self.phase == Phase::AfterValue);
                if let (true, Some(suffix)) = (records_done, &mut self.suffix) {
                    // The rest of the document around the records.
                    if let Err(k) = suffix.feed(&buf[i..]) {
                        self.advance(&buf[..i + k]);
                        return Err(self.syntax("trailing characters after the document"));
                    }
                    i = buf.len();
                    continue;
                }
                match self.phase {
                    Phase::Element => {
                        match self.scan(buf, i) {
                            Some(end) => {
                                // The value is complete at `end`: parse it in
                                // place, or after what was gathered before.
                                let result = if self.gathered.is_empty() {
                                    self.value(&buf[value_start..end], columns)
                                } else {
                                    self.gathered.extend_from_slice(&buf[value_start..end]);
                                    let gathered = std::mem::take(&mut self.gathered);
                                    let result = self.value(&gathered, columns);
                                    self.gathered = gathered;
                                    self.gathered.clear();
                                    result
                                };
                                self.advance(&buf[..end]);
                                dec.consume(end);
                                self.phase = if self.array {
                                    Phase::AfterElement
                                } else {
                                    Phase::AfterValue
                                };
                                result?;
                                return Ok(true);
                            }
                            None => {
                                self.gathered.extend_from_slice(&buf[value_start..]);
                                if self.gathered.len() > self.max_value {
                                    return Err(ErrorKind::RecordTooLarge {
                                        pos: Position {
                                            byte: self.start.2,
                                            line: self.start.0,
                                            record: self.values,
                                        },
                                        limit: self.max_value,
                                    }
                                    .into());
                                }
                                i = buf.len();
                            }
                        }
                    }
                    phase => {
                        let b = buf[i];
                        if phase == Phase::AfterValue && b == b'\n' {
                            self.phase = Phase::BeforeElement;
                            i += 1;
                            continue;
                        }
                        if is_blank(b) {
                            i += 1;
                            continue;
                        }
                        let bad = |r: &mut JsonReader, i: usize, m| {
                            r.advance(&buf[..i]);
                            Err(r.syntax(m))
                        };
                        match phase {
                            Phase::Start if b == b'[' => {
                                self.array = true;
                                self.phase = Phase::FirstOrEnd;
                                i += 1;
                                continue;
                            }
                            Phase::FirstOrEnd if b == b']' => {
                                self.phase = Phase::End;
                                i += 1;
                                continue;
                            }
                            Phase::BeforeElement if self.array && b == b']' => {
                                return bad(self, i, "trailing comma before ']'");
                            }
                            Phase::AfterElement if b == b',' => {
                                self.phase = Phase::BeforeElement;
                                i += 1;
                                continue;
                            }
                            Phase::AfterElement if b == b']' => {
                                self.phase = Phase::End;
                                i += 1;
                                continue;
                            }
                            Phase::AfterElement => {
                                return bad(self, i, "expected ',' or ']' after an array element")
                            }
                            Phase::End => {
                                return bad(self, i, "trailing characters after the array")
                            }
                            Phase::AfterValue => {
                                return bad(
                                    self,
                                    i,
                                    "another value on the same line: one JSON value a line, please",
                                )
                            }
                            _ => {}
                        }
                        // A value starts here.
                        let at = self.offset + i as u64;
                        let line = self.line + memchr::memchr_iter(b'\n', &buf[..i]).count() as u64;
                        let line_start = match memchr::memrchr(b'\n', &buf[..i]) {
                            Some(nl) => self.offset + nl as u64 + 1,
                            None => self.line_start,
                        };
                        self.start = (line, at - line_start + 1, at);
                        self.phase = Phase::Element;
                        self.depth = 0;
                        self.in_string = false;
                        self.escape = false;
                        value_start = i;
                    }
                }
            }
            let n = buf.len();
            self.advance(&buf[..n]);
            dec.consume(n);
        }
    }

    /// Scans value bytes from `i`; returns where the value ends, if in `buf`.
    fn scan(&mut self, buf: &[u8], mut i: usize) -> Option<usize> {
        while i < buf.len() {
            if self.escape {
                self.escape = false;
                i += 1;
                continue;
            }
            if self.in_string {
                match find2(b'"', b'\\', &buf[i..]) {
                    None => return None,
                    Some(k) => {
                        i += k;
                        if buf[i] == b'"' {
                            self.in_string = false;
                        } else {
                            self.escape = true;
                        }
                        i += 1;
                    }
                }
                continue;
            }
            match buf[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 && !self.array {
                        // A stream value ends with its closing bracket.
                        return Some(i + 1);
                    }
                }
                b'}' | b']' | b',' if self.depth == 0 => return Some(i),
                b if self.depth == 0 && is_blank(b) => return Some(i),
                _ => {}
            }
            i += 1;
        }
        None
    }

    fn at_end(&mut self, columns: &mut Columns) -> Result<bool> {
        if let Some(nav) = &self.nav {
            let _ = nav;
            return Err(self.syntax("unexpected end of input before the records --records names"));
        }
        if self.suffix.is_some_and(|s| !s.closed())
            && (self.phase == Phase::End || (self.single && self.phase == Phase::AfterValue))
        {
            return Err(self.syntax("unexpected end of input: the document is not closed"));
        }
        match self.phase {
            Phase::Start if self.require_value => {
                Err(self.syntax("empty input: there is no JSON value"))
            }
            Phase::Start | Phase::End => Ok(false),
            Phase::BeforeElement | Phase::AfterValue if !self.array => Ok(false),
            Phase::Element => {
                // Parse what there is: complete, or the parser says what is missing.
                let own = std::mem::take(&mut self.gathered);
                let result = self.value(&own, columns);
                self.gathered = own;
                self.gathered.clear();
                self.phase = if self.array {
                    Phase::AfterElement
                } else {
                    Phase::AfterValue
                };
                result?;
                Ok(true)
            }
            _ => Err(self.syntax("unexpected end of input: the array is not closed")),
        }
    }

    /// Parses and flattens one value into the pool (or notes a reject).
    fn value(&mut self, text: &[u8], columns: &mut Columns) -> Result<()> {
        self.values += 1;
        let (line, column, byte) = self.start;
        let at = At {
            line,
            column,
            byte,
            record: self.values,
        };
        if let Some(par) = &mut self.par {
            par.building.push(text, at);
            return Ok(());
        }
        let mut n = 0;
        match self
            .parser
            .value(text, at, columns, &mut self.pool, &mut n)?
        {
            None => self.pending = n,
            // The reject's row (its text) is the pool's first.
            Some(kind) => self.reject = Some(kind),
        }
        Ok(())
    }
}

/// Where a value starts in the input, and its number, for its errors.
#[derive(Clone, Copy, Debug)]
pub(crate) struct At {
    pub line: u64,
    pub column: u64,
    pub byte: u64,
    pub record: u64,
}

/// Parsing and flattening of whole values: the part of reading JSON that
/// needs nothing from the values around it.
pub(crate) struct ValueParser {
    parsed: Parsed,
    flat: Flattener,
}

impl ValueParser {
    pub(crate) fn new(join: &str) -> ValueParser {
        ValueParser {
            parsed: Parsed::default(),
            flat: Flattener::new(join),
        }
    }

    /// Parses the value `text` (which starts at `at`) and puts its rows in
    /// `rows[*n..]`, growing the pool as needed. A value that is valid JSON
    /// but gives no rows is a reject: its text becomes one row, and the
    /// reason is returned. Bad UTF-8 or JSON is an error.
    pub(crate) fn value(
        &mut self,
        text: &[u8],
        at: At,
        columns: &mut Columns,
        rows: &mut Vec<Row>,
        n: &mut usize,
    ) -> Result<Option<ErrorKind>> {
        // simdutf8 for the common answer; std's to locate an error.
        let text = match simdutf8::basic::from_utf8(text).or_else(|_| std::str::from_utf8(text)) {
            Ok(t) => t,
            Err(e) => {
                return Err(ErrorKind::Encoding {
                    encoding: "UTF-8",
                    line: at.line,
                    byte: at.byte + e.valid_up_to() as u64,
                }
                .into())
            }
        };
        if let Err(e) = flatten::parse(text, &mut self.parsed) {
            let before = &text.as_bytes()[..e.offset.min(text.len())];
            let (l, c) = match memchr::memrchr(b'\n', before) {
                Some(nl) => (
                    at.line + memchr::memchr_iter(b'\n', before).count() as u64,
                    (before.len() - nl) as u64,
                ),
                None => (at.line, at.column + before.len() as u64),
            };
            return Err(ErrorKind::Json {
                line: l,
                column: c,
                message: e.message,
            }
            .into());
        }
        let pos = Position {
            byte: at.byte,
            line: at.line,
            record: at.record,
        };
        match self
            .flat
            .rows(text, &self.parsed, columns, rows, n, at.line)
        {
            Ok(()) => Ok(None),
            Err(unfit) => {
                if rows.len() == *n {
                    rows.push(Row::new());
                }
                let row = &mut rows[*n];
                *n += 1;
                row.clear();
                row.set_line(at.line);
                row.push_field(text.trim());
                Ok(Some(match unfit {
                    Unfit::NotAnObject(found) => ErrorKind::NotAnObject { pos, found },
                    Unfit::MixedArray(name) => ErrorKind::MixedArray { pos, name },
                    Unfit::DuplicateKey(name) => ErrorKind::DuplicateKey { pos, name },
                }))
            }
        }
    }
}
