//! The CSV record parser: a push parser over chunks of UTF-8 text.
//!
//! How it works. [`Parser::parse`] takes whatever slice of input the decoder
//! has and appends field bytes to the caller's `out` buffer, pushing the end
//! offset of each field to `ends`. It returns how much input it consumed and
//! whether a record is complete; all state needed to resume mid-field, even
//! mid-quote, lives in the parser, so chunks may split anywhere (the tests
//! use 1-byte chunks). The common paths are bulk copies: an unquoted field is
//! found with `memchr3(delimiter, \n, \r)`, a quoted one with `memchr(quote)`.
//!
//! What is subtle:
//! * A quote opens a quoted field only as the first byte of a field; anywhere
//!   else it is text (`5" disk` stays as it is), as Excel and RFC 4180 readers do.
//! * After a closing quote, blanks up to the delimiter are dropped
//!   (`"a" ,b` gives `a`), as Commons CSV does; any other text there is kept
//!   literally (`"a"b` gives `ab`), as the `csv` crate does, so no byte is lost.
//! * `\r\n`, `\n` and a lone `\r` all end a record; inside quotes they are data.
//! * Lines are physical lines: `\r\n`, `\n` and a lone `\r` (old Mac files)
//!   each end one, inside quoted fields too, so positions match what an
//!   editor shows. A `\r` counts when it is met; a `\n` right after it, even
//!   in the next chunk, does not count again.
//! * A quoted field still open at the end of input is reported, not closed
//!   silently: the caller rejects that record.

use memchr::{memchr, memchr_iter};

use crate::find::find3;

/// Line breaks in `text`: each `\r`, and each `\n` not right after a `\r`
/// (`cr` says whether the text before `text` ended with one, and is updated).
fn lines_in(text: &[u8], cr: &mut bool) -> u64 {
    let Some(&last) = text.last() else {
        return 0;
    };
    let mut n = memchr_iter(b'\r', text).count() as u64;
    for p in memchr_iter(b'\n', text) {
        let after_cr = if p == 0 { *cr } else { text[p - 1] == b'\r' };
        n += u64::from(!after_cr);
    }
    *cr = last == b'\r';
    n
}

/// The shape of a CSV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// Field separator.
    pub delimiter: u8,
    /// Quote character.
    pub quote: u8,
    /// Lines starting with this byte are skipped (none by default).
    pub comment: Option<u8>,
    /// Drop blanks around fields; a quote after leading blanks opens a quoted field.
    pub trim: bool,
    /// Skip empty lines (the default) instead of reading them as one empty field.
    pub skip_blank_lines: bool,
}

impl Default for Dialect {
    fn default() -> Dialect {
        Dialect {
            delimiter: b',',
            quote: b'"',
            comment: None,
            trim: false,
            skip_blank_lines: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    StartRecord,
    StartField,
    Unquoted,
    Quoted,
    /// Just after a quote inside a quoted field: a doubled quote or the end.
    QuoteInQuoted,
    /// After the closing quote; `blank_mark` is where trailing blanks began.
    AfterQuoted,
    Comment,
}

/// What a call to [`Parser::parse`] ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// All input was consumed; the record goes on.
    NeedInput,
    /// A record is complete.
    Record,
}

/// What the end of input left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// No record was open.
    Nothing,
    /// The last record is complete.
    Record,
    /// The last record has a quoted field that was never closed.
    UnclosedQuote,
}

#[derive(Clone, Debug)]
pub(crate) struct Parser {
    d: Dialect,
    state: State,
    /// A `\r` ended the last record; a `\n` right after belongs to it.
    after_cr: bool,
    /// Quoted text so far ended with a `\r` (counted already).
    quoted_cr: bool,
    blank_mark: Option<usize>,
    /// Line of the next byte, from 1.
    line: u64,
    /// Offset of the next byte.
    byte: u64,
    /// Where the current (or last) record began.
    record_line: u64,
    record_byte: u64,
}

impl Parser {
    pub(crate) fn new(d: Dialect) -> Parser {
        Parser {
            d,
            state: State::StartRecord,
            after_cr: false,
            quoted_cr: false,
            blank_mark: None,
            line: 1,
            byte: 0,
            record_line: 1,
            record_byte: 0,
        }
    }

    /// Starts counting at line `line` (lines before it were skipped).
    pub(crate) fn start_at_line(&mut self, line: u64) {
        self.line = line;
        self.record_line = line;
    }

    /// Line of the next byte to be read, from 1.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Line and byte where the current or last record began.
    pub(crate) fn record_start(&self) -> (u64, u64) {
        (self.record_line, self.record_byte)
    }

    fn is_blank(&self, b: u8) -> bool {
        b == b' ' || (b == b'\t' && self.d.delimiter != b'\t')
    }

    fn end_field(&mut self, out: &mut Vec<u8>, ends: &mut Vec<usize>) {
        if let Some(mark) = self.blank_mark.take() {
            out.truncate(mark);
        } else if self.d.trim && self.state == State::Unquoted {
            let start = ends.last().copied().unwrap_or(0);
            while out.len() > start && self.is_blank(out[out.len() - 1]) {
                out.pop();
            }
        }
        ends.push(out.len());
    }

    /// Handles a byte that ends a field (delimiter) or a record (newline).
    /// Returns true when a record ended.
    #[inline]
    fn terminator(&mut self, b: u8, out: &mut Vec<u8>, ends: &mut Vec<usize>) -> bool {
        self.end_field(out, ends);
        if b == self.d.delimiter {
            self.state = State::StartField;
            false
        } else {
            self.end_record(b);
            true
        }
    }

    /// A line break `b` ended the record.
    #[inline]
    fn end_record(&mut self, b: u8) {
        self.line += 1;
        self.after_cr = b == b'\r';
        self.state = State::StartRecord;
    }

    /// Parses from `input`, appending to `out`/`ends`; returns the bytes consumed.
    pub(crate) fn parse(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> (usize, Step) {
        let (n, step) = self.parse_inner(input, out, ends);
        self.byte += n as u64;
        (n, step)
    }

    fn parse_inner(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> (usize, Step) {
        let delim = self.d.delimiter;
        let quote = self.d.quote;
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            match self.state {
                State::StartRecord => {
                    if std::mem::take(&mut self.after_cr) && b == b'\n' {
                        i += 1;
                        continue;
                    }
                    if b == b'\n' || b == b'\r' {
                        if self.d.skip_blank_lines {
                            self.line += 1;
                            self.after_cr = b == b'\r';
                            i += 1;
                            continue;
                        }
                        self.start_record(i);
                        self.state = State::StartField;
                        continue;
                    }
                    if Some(b) == self.d.comment {
                        self.state = State::Comment;
                        i += 1;
                        continue;
                    }
                    self.start_record(i);
                    self.state = State::StartField;
                }
                State::Comment => match memchr(b'\n', &input[i..]) {
                    Some(k) => {
                        i += k + 1;
                        self.line += 1;
                        self.state = State::StartRecord;
                    }
                    None => i = input.len(),
                },
                State::StartField if b != quote && !self.d.trim => {
                    // Unquoted fields, one after another, in a tight loop
                    // to the record's end or to a field that is quoted.
                    let mut j = i;
                    loop {
                        let Some(k) = find3(delim, b'\n', b'\r', &input[j..]) else {
                            out.extend_from_slice(&input[j..]);
                            self.state = State::Unquoted;
                            i = input.len();
                            break;
                        };
                        out.extend_from_slice(&input[j..j + k]);
                        // The field's end without `end_field`: nothing to
                        // trim, no blanks after a quote.
                        ends.push(out.len());
                        let t = input[j + k];
                        j += k + 1;
                        if t != delim {
                            self.end_record(t);
                            return (j, Step::Record);
                        }
                        if input.get(j).is_none_or(|&c| c == quote) {
                            i = j;
                            break;
                        }
                    }
                }
                State::StartField => {
                    if b == quote {
                        self.state = State::Quoted;
                        i += 1;
                    } else if b == delim || b == b'\n' || b == b'\r' {
                        i += 1;
                        if self.terminator(b, out, ends) {
                            return (i, Step::Record);
                        }
                    } else if self.d.trim && self.is_blank(b) {
                        i += 1;
                    } else {
                        self.state = State::Unquoted;
                    }
                }
                State::Unquoted => match find3(delim, b'\n', b'\r', &input[i..]) {
                    Some(k) => {
                        out.extend_from_slice(&input[i..i + k]);
                        let t = input[i + k];
                        i += k + 1;
                        if self.terminator(t, out, ends) {
                            return (i, Step::Record);
                        }
                    }
                    None => {
                        out.extend_from_slice(&input[i..]);
                        i = input.len();
                    }
                },
                State::Quoted => {
                    let (k, closed) = match memchr(quote, &input[i..]) {
                        Some(k) => (k, true),
                        None => (input.len() - i, false),
                    };
                    let text = &input[i..i + k];
                    self.line += lines_in(text, &mut self.quoted_cr);
                    out.extend_from_slice(text);
                    i += k;
                    if closed {
                        self.quoted_cr = false;
                        i += 1;
                        self.state = State::QuoteInQuoted;
                    }
                }
                State::QuoteInQuoted if b == quote => {
                    out.push(quote);
                    self.state = State::Quoted;
                    i += 1;
                }
                State::QuoteInQuoted | State::AfterQuoted => {
                    i += 1;
                    if b == delim || b == b'\n' || b == b'\r' {
                        if self.terminator(b, out, ends) {
                            return (i, Step::Record);
                        }
                    } else if self.is_blank(b) {
                        self.blank_mark.get_or_insert(out.len());
                        out.push(b);
                        self.state = State::AfterQuoted;
                    } else {
                        // Text after a closing quote: kept, blanks included.
                        self.blank_mark = None;
                        out.push(b);
                        self.state = State::Unquoted;
                    }
                }
            }
        }
        (i, Step::NeedInput)
    }

    fn start_record(&mut self, i: usize) {
        self.after_cr = false;
        self.record_line = self.line;
        self.record_byte = self.byte + i as u64;
    }

    /// The end of input: closes the open record, if any.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>, ends: &mut Vec<usize>) -> End {
        let end = match self.state {
            State::StartRecord | State::Comment => End::Nothing,
            State::Quoted => {
                ends.push(out.len());
                End::UnclosedQuote
            }
            _ => {
                self.end_field(out, ends);
                End::Record
            }
        };
        self.state = State::StartRecord;
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `input` in chunks of `chunk` bytes into records of strings.
    pub(crate) fn records(d: Dialect, input: &str, chunk: usize) -> Vec<Vec<String>> {
        let mut p = Parser::new(d);
        let (mut out, mut ends, mut recs) = (Vec::new(), Vec::new(), Vec::new());
        let take = |out: &mut Vec<u8>, ends: &mut Vec<usize>| {
            let mut start = 0;
            let rec: Vec<String> = ends
                .iter()
                .map(|&e| {
                    let s = String::from_utf8(out[start..e].to_vec()).unwrap();
                    start = e;
                    s
                })
                .collect();
            out.clear();
            ends.clear();
            rec
        };
        for piece in input.as_bytes().chunks(chunk.max(1)) {
            let mut piece = piece;
            while !piece.is_empty() {
                let (n, step) = p.parse(piece, &mut out, &mut ends);
                piece = &piece[n..];
                if step == Step::Record {
                    recs.push(take(&mut out, &mut ends));
                }
            }
        }
        if p.finish(&mut out, &mut ends) != End::Nothing {
            recs.push(take(&mut out, &mut ends));
        }
        recs
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Records written the way a spreadsheet writes them (a field
        /// quoted when it holds a delimiter, quote or line break, and at
        /// random otherwise) come back as they were, however the text is
        /// cut into chunks, with `\n`, `\r\n` or `\r` between records.
        #[test]
        fn written_records_parse_back_in_any_chunks(
            written in proptest::collection::vec(
                proptest::collection::vec(("[a;,\"\n\r é]{0,6}", proptest::bool::ANY), 2..5),
                1..12,
            ),
            semicolon in proptest::bool::ANY,
            eol in proptest::sample::select(vec!["\n", "\r\n", "\r"]),
            chunk in 1usize..40,
        ) {
            let d = if semicolon { semi() } else { Dialect::default() };
            let delim = d.delimiter as char;
            let mut text = String::new();
            for record in &written {
                let fields: Vec<String> = record
                    .iter()
                    .map(|(v, quoted)| {
                        let needs = v.contains([delim, '"', '\n', '\r']);
                        if needs || *quoted {
                            format!("\"{}\"", v.replace('"', "\"\""))
                        } else {
                            v.clone()
                        }
                    })
                    .collect();
                text.push_str(&fields.join(&delim.to_string()));
                text.push_str(eol);
            }
            let want: Vec<Vec<String>> = written
                .iter()
                .map(|r| r.iter().map(|(v, _)| v.clone()).collect())
                .collect();
            proptest::prop_assert_eq!(records(d, &text, chunk), want);
        }
    }

    macro_rules! parses_to {
        ($name:ident, $input:expr, $expected:expr) => {
            parses_to!($name, Dialect::default(), $input, $expected);
        };
        ($name:ident, $dialect:expr, $input:expr, $expected:expr) => {
            #[test]
            fn $name() {
                let expected: Vec<Vec<&str>> = $expected;
                for chunk in [1, 7, usize::MAX] {
                    let got = records($dialect, $input, chunk.min($input.len().max(1)));
                    assert_eq!(got, expected, "chunk size {chunk}");
                }
            }
        };
    }

    fn semi() -> Dialect {
        Dialect {
            delimiter: b';',
            ..Dialect::default()
        }
    }

    parses_to!(
        simple_lf,
        "a,b\n1,2\n",
        vec![vec!["a", "b"], vec!["1", "2"]]
    );
    parses_to!(
        no_final_newline,
        "a,b\n1,2",
        vec![vec!["a", "b"], vec!["1", "2"]]
    );
    parses_to!(crlf, "a,b\r\n1,2\r\n", vec![vec!["a", "b"], vec!["1", "2"]]);
    parses_to!(lone_cr, "a,b\r1,2\r", vec![vec!["a", "b"], vec!["1", "2"]]);
    parses_to!(empty_fields, ",,\n", vec![vec!["", "", ""]]);
    parses_to!(trailing_delimiter, "a,\n", vec![vec!["a", ""]]);
    parses_to!(trailing_delimiter_at_eof, "a,", vec![vec!["a", ""]]);
    parses_to!(quoted_delimiter, "\"a,b\",c\n", vec![vec!["a,b", "c"]]);
    parses_to!(
        doubled_quote,
        "\"say \"\"hi\"\"\"\n",
        vec![vec!["say \"hi\""]]
    );
    parses_to!(
        quoted_newlines_kept,
        "\"x\r\ny\",z\n",
        vec![vec!["x\r\ny", "z"]]
    );
    parses_to!(
        quote_inside_unquoted_is_text,
        "5\" disk,b\n",
        vec![vec!["5\" disk", "b"]]
    );
    parses_to!(
        blanks_after_closing_quote_dropped,
        "\"a\"  ,b\n",
        vec![vec!["a", "b"]]
    );
    parses_to!(
        text_after_closing_quote_kept,
        "\"a\" x,b\n",
        vec![vec!["a x", "b"]]
    );
    parses_to!(quoted_empty, "\"\",\"\"\n", vec![vec!["", ""]]);
    parses_to!(
        blank_lines_skipped,
        "a\n\n\r\n\nb\n",
        vec![vec!["a"], vec!["b"]]
    );
    parses_to!(
        blank_lines_kept,
        Dialect {
            skip_blank_lines: false,
            ..Dialect::default()
        },
        "a\n\nb\n",
        vec![vec!["a"], vec![""], vec!["b"]]
    );
    parses_to!(
        semicolon_decimal_commas,
        semi(),
        "p;12,50\n",
        vec![vec!["p", "12,50"]]
    );
    parses_to!(
        comments,
        Dialect {
            comment: Some(b'#'),
            ..Dialect::default()
        },
        "# c\na,b\n#x,y\nc,d",
        vec![vec!["a", "b"], vec!["c", "d"]]
    );
    parses_to!(
        trim,
        Dialect {
            trim: true,
            ..Dialect::default()
        },
        " a , \" b \" ,c \n",
        vec![vec!["a", " b ", "c"]]
    );
    parses_to!(
        tab_blank_is_delimiter,
        Dialect {
            delimiter: b'\t',
            ..Dialect::default()
        },
        "\"a\"\tb\n",
        vec![vec!["a", "b"]]
    );
    parses_to!(unicode, "é,€\n", vec![vec!["é", "€"]]);

    #[test]
    fn unclosed_quote_is_reported() {
        let mut p = Parser::new(Dialect::default());
        let (mut out, mut ends) = (vec![], vec![]);
        p.parse(b"a,\"open\nmore", &mut out, &mut ends);
        assert_eq!(p.finish(&mut out, &mut ends), End::UnclosedQuote);
        assert_eq!(out, b"aopen\nmore");
    }

    #[test]
    fn positions_count_lines_inside_quotes() {
        let mut p = Parser::new(Dialect::default());
        let (mut out, mut ends) = (vec![], vec![]);
        let input = b"h\n\"a\nb\"\nc\n";
        let (n, _) = p.parse(input, &mut out, &mut ends);
        let (n2, _) = p.parse(&input[n..], &mut out, &mut ends);
        let (_, step) = p.parse(&input[n + n2..], &mut out, &mut ends);
        assert_eq!(step, Step::Record);
        assert_eq!(p.record_start(), (4, 8));
        assert_eq!(p.line(), 5);
    }
}
