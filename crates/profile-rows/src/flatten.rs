//! One JSON value (a whole array element or NDJSON line) to flat rows.
//!
//! How it works. [`parse`] is a strict RFC 8259 parser over a complete
//! value. It fills a reused arena of [`Node`]s in document order, each with
//! the index just past its subtree, so walking is a loop, not a tree of
//! allocations. Strings without escapes are spans of the input; escaped ones
//! are decoded once into a reused scratch string. Numbers are spans of the
//! input, so `12.50` stays `12.50`. Nesting deeper than [`MAX_DEPTH`] is an
//! error, not a stack overflow.
//!
//! [`Flattener::rows`] then walks the arena: nested objects give dotted
//! names; an array of objects explodes into one row per element, each
//! carrying the scalar fields of its ancestors, and elements of two different
//! arrays never share a row; an array of anything else is one field, its
//! items joined; `null` is an empty field.

use crate::find::string_stop;
use crate::row::{Columns, Row};

/// Deepest nesting accepted (as serde_json's default recursion limit).
pub(crate) const MAX_DEPTH: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::Array => "an array",
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::True | Kind::False => "a boolean",
            Kind::Null => "null",
        }
    }
}

/// Text of the input (`Src`) or of the scratch string (`Scratch`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Span {
    Src(usize, usize),
    Scratch(usize, usize),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    /// The member name, for a value inside an object.
    pub key: Option<Span>,
    /// String text, number text; for containers, their whole source text.
    pub text: Span,
    /// Index of the node after this subtree.
    pub end: usize,
}

/// A syntax error at a byte offset of the value.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub message: &'static str,
}

/// The arena and scratch, reused for every value.
#[derive(Default)]
pub(crate) struct Parsed {
    pub nodes: Vec<Node>,
    pub scratch: String,
}

impl Parsed {
    pub(crate) fn text<'a>(&'a self, src: &'a str, span: Span) -> &'a str {
        match span {
            Span::Src(a, b) => &src[a..b],
            Span::Scratch(a, b) => &self.scratch[a..b],
        }
    }
}

/// Parses `src`, which must hold exactly one JSON value (blanks around it allowed).
pub(crate) fn parse(src: &str, out: &mut Parsed) -> Result<(), SyntaxError> {
    out.nodes.clear();
    out.scratch.clear();
    let mut p = P {
        src,
        s: src.as_bytes(),
        i: 0,
        out,
    };
    p.ws();
    p.value(None, 0)?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err("trailing characters after the value"));
    }
    Ok(())
}

struct P<'a, 'o> {
    /// The input, as text for slicing at ASCII boundaries and as bytes for scanning.
    src: &'a str,
    s: &'a [u8],
    i: usize,
    out: &'o mut Parsed,
}

impl P<'_, '_> {
    fn err(&self, message: &'static str) -> SyntaxError {
        SyntaxError {
            offset: self.i,
            message,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn push(&mut self, kind: Kind, key: Option<Span>, text: Span) -> usize {
        self.out.nodes.push(Node {
            kind,
            key,
            text,
            end: self.out.nodes.len() + 1,
        });
        self.out.nodes.len() - 1
    }

    fn value(&mut self, key: Option<Span>, depth: usize) -> Result<(), SyntaxError> {
        let start = self.i;
        match self.s.get(self.i) {
            None => Err(self.err("unexpected end of input, expected a value")),
            Some(b'{') | Some(b'[') if depth >= MAX_DEPTH => {
                Err(self.err("nesting is deeper than 128 levels"))
            }
            Some(b'{') => {
                let n = self.push(Kind::Object, key, Span::Src(start, start));
                self.i += 1;
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if self.s.get(self.i) != Some(&b'"') {
                            return Err(self.err("expected a member name in double quotes"));
                        }
                        let k = self.string()?;
                        self.ws();
                        if self.s.get(self.i) != Some(&b':') {
                            return Err(self.err("expected ':' after a member name"));
                        }
                        self.i += 1;
                        self.ws();
                        self.value(Some(k), depth + 1)?;
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.err("expected ',' or '}' in an object")),
                        }
                    }
                }
                self.close(n, start);
                Ok(())
            }
            Some(b'[') => {
                let n = self.push(Kind::Array, key, Span::Src(start, start));
                self.i += 1;
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        self.value(None, depth + 1)?;
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(self.err("expected ',' or ']' in an array")),
                        }
                    }
                }
                self.close(n, start);
                Ok(())
            }
            Some(b'"') => {
                let text = self.string()?;
                self.push(Kind::String, key, text);
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                self.push(Kind::Number, key, Span::Src(start, self.i));
                Ok(())
            }
            Some(b't') => self.word(b"true", Kind::True, key),
            Some(b'f') => self.word(b"false", Kind::False, key),
            Some(b'n') => self.word(b"null", Kind::Null, key),
            Some(_) => Err(self.err("expected a value")),
        }
    }

    fn close(&mut self, n: usize, start: usize) {
        let end = self.out.nodes.len();
        let node = &mut self.out.nodes[n];
        node.end = end;
        node.text = Span::Src(start, self.i);
    }

    fn word(&mut self, w: &[u8], kind: Kind, key: Option<Span>) -> Result<(), SyntaxError> {
        if self.s[self.i..].starts_with(w) {
            let start = self.i;
            self.i += w.len();
            self.push(kind, key, Span::Src(start, self.i));
            Ok(())
        } else {
            Err(self.err("expected a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<(), SyntaxError> {
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        match self.s.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("expected a digit")),
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.s.get(self.i) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("expected a digit in the exponent"));
            }
        }
        Ok(())
    }

    /// A string starting at the quote; returns its decoded text.
    fn string(&mut self) -> Result<Span, SyntaxError> {
        self.i += 1;
        let start = self.i;
        let Some(k) = string_stop(&self.s[self.i..]) else {
            self.i = self.s.len();
            return Err(self.err("unexpected end of input in a string"));
        };
        self.i += k;
        match self.s[self.i] {
            b'"' => {
                self.i += 1;
                Ok(Span::Src(start, self.i - 1))
            }
            b'\\' => self.escaped_string(start),
            _ => Err(self.err("control character in a string (escape it)")),
        }
    }

    /// The rest of a string that has escapes, decoded into the scratch.
    fn escaped_string(&mut self, start: usize) -> Result<Span, SyntaxError> {
        let s0 = self.out.scratch.len();
        let src = self.src;
        self.out.scratch.push_str(&src[start..self.i]);
        loop {
            let Some(k) = string_stop(&self.s[self.i..]) else {
                self.i = self.s.len();
                return Err(self.err("unexpected end of input in a string"));
            };
            self.out.scratch.push_str(&src[self.i..self.i + k]);
            self.i += k;
            match self.s[self.i] {
                b'"' => {
                    self.i += 1;
                    return Ok(Span::Scratch(s0, self.out.scratch.len()));
                }
                b'\\' => {
                    let c = match self.s.get(self.i + 1) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let c = self.unicode_escape()?;
                            self.out.scratch.push(c);
                            continue;
                        }
                        _ => return Err(self.err("invalid escape in a string")),
                    };
                    self.out.scratch.push(c);
                    self.i += 2;
                }
                _ => return Err(self.err("control character in a string (escape it)")),
            }
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.s.get(at..at + 4)?;
        let mut v = 0;
        for &b in h {
            v = v * 16 + (b as char).to_digit(16)?;
        }
        Some(v)
    }

    /// `\uXXXX` at `i`, with a surrogate pair as one character.
    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let at = self.i;
        let fail = |message| SyntaxError {
            offset: at,
            message,
        };
        let hi = self.hex4(at + 2).ok_or(fail("invalid \\u escape"))?;
        let c = match hi {
            0xD800..=0xDBFF => {
                let lo = (self.s.get(at + 6..at + 8) == Some(b"\\u"))
                    .then(|| self.hex4(at + 8))
                    .flatten()
                    .filter(|lo| (0xDC00..=0xDFFF).contains(lo))
                    .ok_or(fail("lone surrogate in a \\u escape"))?;
                self.i += 6;
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(fail("lone surrogate in a \\u escape")),
            c => c,
        };
        self.i += 6;
        Ok(char::from_u32(c).expect("not a surrogate"))
    }
}

/// Why a value gives no rows (a reject, not a syntax error).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unfit {
    NotAnObject(&'static str),
    MixedArray(String),
    DuplicateKey(String),
}

/// Turns parsed values into rows, reusing its buffers.
#[derive(Default)]
pub(crate) struct Flattener {
    /// Current dotted name.
    name: String,
    /// Scalars collected so far, as (column, value text); values in `values`.
    fields: Vec<(usize, usize, usize)>,
    values: String,
    /// Arrays of objects waiting to explode: (node, name length in `names`).
    arrays: Vec<(usize, usize, usize)>,
    names: String,
    /// Per column: the row number that last used it, to find repeated keys.
    seen: Vec<u64>,
    stamp: u64,
    /// The names met in the last value, in order, with their columns; and
    /// how many of this value's names have been looked up.
    recent: Vec<(String, usize)>,
    looked_up: usize,
    pub(crate) join: String,
}

impl Flattener {
    pub(crate) fn new(join: &str) -> Flattener {
        Flattener {
            join: join.to_string(),
            ..Flattener::default()
        }
    }

    /// Appends the rows of `parsed` (a value of `src`) to `rows[*n..]`, growing
    /// the pool as needed; `*n` counts rows filled.
    pub(crate) fn rows(
        &mut self,
        src: &str,
        parsed: &Parsed,
        columns: &mut Columns,
        rows: &mut Vec<Row>,
        n: &mut usize,
        line: u64,
    ) -> Result<(), Unfit> {
        let root = parsed.nodes[0];
        if root.kind != Kind::Object {
            return Err(Unfit::NotAnObject(root.kind.name()));
        }
        self.name.clear();
        self.fields.clear();
        self.values.clear();
        self.arrays.clear();
        self.names.clear();
        self.looked_up = 0;
        let first = *n;
        let result = self.explode(src, parsed, 0, columns, rows, n, line);
        if result.is_err() {
            *n = first;
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn explode(
        &mut self,
        src: &str,
        parsed: &Parsed,
        obj: usize,
        columns: &mut Columns,
        rows: &mut Vec<Row>,
        n: &mut usize,
        line: u64,
    ) -> Result<(), Unfit> {
        let (f0, a0) = (self.fields.len(), self.arrays.len());
        let (v0, nm0) = (self.values.len(), self.names.len());
        self.collect(src, parsed, obj, columns)?;
        let arrays = self.arrays.len();
        let nonempty = (a0..arrays).any(|a| {
            let node = self.arrays[a].0;
            parsed.nodes[node].end > node + 1
        });
        if !nonempty {
            self.emit(columns, rows, n, line)?;
        } else {
            // Each element is named after its array; keep this object's name to restore.
            let (o0, o1) = (self.names.len(), self.names.len() + self.name.len());
            self.names.push_str(&self.name);
            for a in a0..arrays {
                let (node, ns, ne) = self.arrays[a];
                let mut child = node + 1;
                while child < parsed.nodes[node].end {
                    self.name.clear();
                    self.name.push_str(&self.names[ns..ne]);
                    self.explode(src, parsed, child, columns, rows, n, line)?;
                    child = parsed.nodes[child].end;
                }
            }
            self.name.clear();
            self.name.push_str(&self.names[o0..o1]);
        }
        self.fields.truncate(f0);
        self.arrays.truncate(a0);
        self.values.truncate(v0);
        self.names.truncate(nm0);
        Ok(())
    }

    /// The column of the current name. The values of an export mostly
    /// list the same keys in the same order, so the name met at this place
    /// in the last value is tried first: one comparison, no hashing.
    fn column(&mut self, columns: &mut Columns) -> usize {
        let k = self.looked_up;
        self.looked_up += 1;
        if let Some((name, col)) = self.recent.get(k) {
            if *name == self.name {
                return *col;
            }
        }
        let col = columns.intern(&self.name);
        match self.recent.get_mut(k) {
            Some((name, c)) => {
                name.clone_from(&self.name);
                *c = col;
            }
            None => self.recent.push((self.name.clone(), col)),
        }
        col
    }

    /// Collects the scalars of object `obj` under the current name, and
    /// notes its arrays of objects.
    fn collect(
        &mut self,
        src: &str,
        parsed: &Parsed,
        obj: usize,
        columns: &mut Columns,
    ) -> Result<(), Unfit> {
        let mut child = obj + 1;
        while child < parsed.nodes[obj].end {
            let node = parsed.nodes[child];
            let saved = self.name.len();
            if saved > 0 {
                self.name.push('.');
            }
            self.name
                .push_str(parsed.text(src, node.key.expect("object members have keys")));
            match node.kind {
                Kind::Object => self.collect(src, parsed, child, columns)?,
                Kind::Array => {
                    let items = child + 1..node.end;
                    let mut any_object = false;
                    let mut all_objects = true;
                    let mut c = items.start;
                    while c < items.end {
                        let is_obj = parsed.nodes[c].kind == Kind::Object;
                        any_object |= is_obj;
                        all_objects &= is_obj;
                        c = parsed.nodes[c].end;
                    }
                    if any_object && !all_objects {
                        return Err(Unfit::MixedArray(self.name.clone()));
                    }
                    if items.is_empty() {
                        // An empty array adds no field: it is as if it were missing.
                    } else if any_object {
                        let ns = self.names.len();
                        self.names.push_str(&self.name);
                        self.arrays.push((child, ns, self.names.len()));
                    } else {
                        let v0 = self.values.len();
                        let mut c = items.start;
                        let mut first = true;
                        while c < items.end {
                            if !first {
                                self.values.push_str(&self.join);
                            }
                            first = false;
                            let item = parsed.nodes[c];
                            if item.kind != Kind::Null {
                                self.values.push_str(parsed.text(src, item.text));
                            }
                            c = item.end;
                        }
                        let col = self.column(columns);
                        self.fields.push((col, v0, self.values.len()));
                    }
                }
                kind => {
                    let v0 = self.values.len();
                    if kind != Kind::Null {
                        self.values.push_str(parsed.text(src, node.text));
                    }
                    let col = self.column(columns);
                    self.fields.push((col, v0, self.values.len()));
                }
            }
            self.name.truncate(saved);
            child = node.end;
        }
        Ok(())
    }

    fn emit(
        &mut self,
        columns: &Columns,
        rows: &mut Vec<Row>,
        n: &mut usize,
        line: u64,
    ) -> Result<(), Unfit> {
        self.stamp += 1;
        if self.seen.len() < columns.len() {
            self.seen.resize(columns.len(), 0);
        }
        if *n == rows.len() {
            rows.push(Row::new());
        }
        for &(col, _, _) in &self.fields {
            if self.seen[col] == self.stamp {
                return Err(Unfit::DuplicateKey(columns.name(col).to_string()));
            }
            self.seen[col] = self.stamp;
        }
        // The fields' values lie one after another in `values`, in order:
        // the row takes them in one piece.
        let row = &mut rows[*n];
        row.clear();
        row.set_line(line);
        if let (Some(first), Some(last)) = (self.fields.first(), self.fields.last()) {
            debug_assert!(self.fields.windows(2).all(|w| w[0].2 == w[1].1));
            let base = first.1;
            row.text.push_str(&self.values[base..last.2]);
            row.ends
                .extend(self.fields.iter().map(|&(_, _, b)| b - base));
            row.cols.extend(self.fields.iter().map(|&(col, _, _)| col));
        }
        *n += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(src: &str) -> Result<Vec<Vec<(String, String)>>, String> {
        let mut parsed = Parsed::default();
        parse(src, &mut parsed).map_err(|e| format!("{} at {}", e.message, e.offset))?;
        let mut cols = Columns::new();
        let mut rows = Vec::new();
        let mut n = 0;
        Flattener::new(",")
            .rows(src, &parsed, &mut cols, &mut rows, &mut n, 1)
            .map_err(|u| format!("{u:?}"))?;
        Ok(rows[..n]
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        (
                            cols.name(r.column(i)).to_string(),
                            r.get(i).unwrap().to_string(),
                        )
                    })
                    .collect()
            })
            .collect())
    }

    fn pairs(v: &[&[(&str, &str)]]) -> Vec<Vec<(String, String)>> {
        v.iter()
            .map(|r| {
                r.iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn nested_objects_are_dotted() {
        assert_eq!(
            flat(r#"{"Email":"a","Order":{"OrderID":"1","Ship":{"City":"X"}}}"#).unwrap(),
            pairs(&[&[
                ("Email", "a"),
                ("Order.OrderID", "1"),
                ("Order.Ship.City", "X")
            ]])
        );
    }

    #[test]
    fn arrays_of_objects_explode_and_never_share_rows() {
        let src = r#"{"Email":"a","Order":[{"Id":"1"},{"Id":"2"}],"Tag":[{"T":"x"}],"Name":"A"}"#;
        assert_eq!(
            flat(src).unwrap(),
            pairs(&[
                &[("Email", "a"), ("Name", "A"), ("Order.Id", "1")],
                &[("Email", "a"), ("Name", "A"), ("Order.Id", "2")],
                &[("Email", "a"), ("Name", "A"), ("Tag.T", "x")],
            ])
        );
    }

    #[test]
    fn empty_or_missing_arrays_keep_the_profile() {
        assert_eq!(
            flat(r#"{"Email":"a","Order":[]}"#).unwrap(),
            pairs(&[&[("Email", "a")]])
        );
        assert_eq!(
            flat(r#"{"Email":"a"}"#).unwrap(),
            pairs(&[&[("Email", "a")]])
        );
    }

    #[test]
    fn nested_explosion_carries_every_ancestor() {
        let src = r#"{"E":"a","Order":[{"Id":"1","Item":[{"Sku":"x"},{"Sku":"y"}]}]}"#;
        assert_eq!(
            flat(src).unwrap(),
            pairs(&[
                &[("E", "a"), ("Order.Id", "1"), ("Order.Item.Sku", "x")],
                &[("E", "a"), ("Order.Id", "1"), ("Order.Item.Sku", "y")],
            ])
        );
    }

    #[test]
    fn scalars_keep_their_text() {
        let src = r#"{"a":12.50,"b":1e3,"c":-0,"d":12345678901234567890,"e":true,"f":false,"g":null,"h":[1,"x",null,true],"i":"\u00e9\ud834\udd1e\n"}"#;
        assert_eq!(
            flat(src).unwrap(),
            pairs(&[&[
                ("a", "12.50"),
                ("b", "1e3"),
                ("c", "-0"),
                ("d", "12345678901234567890"),
                ("e", "true"),
                ("f", "false"),
                ("g", ""),
                ("h", "1,x,,true"),
                ("i", "é𝄞\n"),
            ]])
        );
    }

    #[test]
    fn unfit_values() {
        assert_eq!(flat("[1]").unwrap_err(), "NotAnObject(\"an array\")");
        assert_eq!(
            flat(r#"{"a":[{"b":1},2]}"#).unwrap_err(),
            "MixedArray(\"a\")"
        );
        assert_eq!(flat(r#"{"a":1,"a":2}"#).unwrap_err(), "DuplicateKey(\"a\")");
    }

    #[test]
    fn syntax_errors_have_offsets() {
        for (src, offset) in [
            ("{\"a\":}", 5),
            ("{\"a\":1,}", 7),
            ("[1,]", 3),
            ("01", 1),
            ("1.", 2),
            ("\"a\tb\"", 2),
            ("\"\\x\"", 1),
            ("\"\\ud800\"", 1),
            ("{} x", 3),
            ("nul", 0),
        ] {
            let mut p = Parsed::default();
            assert_eq!(parse(src, &mut p).unwrap_err().offset, offset, "{src}");
        }
        let deep = "[".repeat(100_000);
        let mut p = Parsed::default();
        assert_eq!(
            parse(&deep, &mut p).unwrap_err().message,
            "nesting is deeper than 128 levels"
        );
    }
}
