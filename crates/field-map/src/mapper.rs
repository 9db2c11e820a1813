//! The mapper: a reader's row in, the same row named and checked as the
//! database wants it out, lent.
//!
//! How it works. Every input column id gets a target once, when the mapper
//! first meets it: dropped, or an output column id in the mapper's own
//! column table (a rename is only that). A row is then one pass over its
//! fields that records, per kept field, where its value lies: a slice of
//! the input row (unchanged, or trimmed, which is still a slice) or a range
//! of one scratch buffer that holds only the values that changed. When no
//! column is dropped or moved, no constant is added and no value changed,
//! the input row itself is lent on ([`RowView::as_row`]), so a consumer can
//! copy it in one piece. The scratch buffer and the field list are reused
//! from row to row: mapping allocates only while they grow.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use profile_rows::{split_dotted, Columns, Row, RowView};

use crate::error::{MappingError, RowError, ValueError};
use crate::mapping::{Mapping, Source, Trim, Unmapped};
use crate::schema::Schema;
use crate::simple_format::{DateLayout, SimpleFormat};
use crate::types::{Checked, FieldType, TypeRule};

/// Examples kept per kind of outcome in [`FieldStats`].
const EXAMPLES: usize = 3;

/// Rows built without first trying to lend them, after one that could not be.
const LEND_RETRY: u32 = 32;

/// What became of one output field's values so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldStats {
    /// The input column it comes from; empty for a constant.
    pub source: String,
    /// Its type (text unless the mapping says otherwise).
    pub ty: Option<FieldType>,
    /// Values sent as they came.
    pub fine: u64,
    /// Values rewritten (trimmed, replaced, filled down, normalized by type).
    pub normalized: u64,
    /// Values that did not fit (their rows were rejected).
    pub rejected: u64,
    /// Empty values (after filling down).
    pub empty: u64,
    /// Up to three fine values.
    pub fine_examples: Vec<String>,
    /// Up to three rewritten values: (as read, as sent).
    pub normalized_examples: Vec<(String, String)>,
    /// Up to three values that did not fit: (value, what was expected).
    pub rejected_examples: Vec<(String, String)>,
    /// Values longer than the field's length in the schema (sent all the
    /// same: Copernica may cut them).
    pub too_long: u64,
    /// Up to three of them.
    pub too_long_examples: Vec<String>,
    /// Values of an email field without `@` (sent all the same).
    pub without_at: u64,
    /// Up to three of them.
    pub without_at_examples: Vec<String>,
    /// The field's length and email-ness, from the schema.
    limit: Option<u64>,
    email: bool,
}

/// Builds a [`Mapper`] from a parsed [`Mapping`] and the input's columns.
///
/// ```
/// use field_map::{Mapping, MapperBuilder};
/// use profile_rows::{ReaderBuilder, Row, RowView};
///
/// let mapping = Mapping::parse(r#"
/// [columns]
/// "Email Address" = "Email"
/// "Joined" = { field = "Since", type = "date", format = "%d/%m/%Y" }
/// "#, "map.toml")?;
/// let csv = "Email Address,Joined\nann@example.com,5/6/2012\nbo@example.com,31/02/2012\n";
/// let mut rdr = ReaderBuilder::new().from_bytes(csv.as_bytes().to_vec())?;
/// let mut mapper = MapperBuilder::new(&mapping).build(rdr.columns())?;
/// mapper.check_complete()?;
///
/// let mut row = Row::new();
/// rdr.read_row(&mut row)?;
/// let mapped = mapper.map(&row, rdr.columns())?;
/// assert_eq!(mapped.columns().name(mapped.field(1).0), "Since");
/// assert_eq!(mapped.field(1).1, "2012-06-05");
///
/// rdr.read_row(&mut row)?;
/// let err = mapper.map(&row, rdr.columns()).unwrap_err();
/// assert_eq!(err.to_string(), r#"Since "31/02/2012" is not a date in format %d/%m/%Y"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MapperBuilder<'m> {
    mapping: &'m Mapping,
    key_fields: Vec<String>,
    stats: bool,
    schema: Option<(&'m Schema, String)>,
    drop_unknown: bool,
}

impl<'m> MapperBuilder<'m> {
    /// A builder for `mapping`.
    pub fn new(mapping: &'m Mapping) -> MapperBuilder<'m> {
        MapperBuilder {
            mapping,
            key_fields: Vec::new(),
            stats: true,
            schema: None,
            drop_unknown: false,
        }
    }

    /// Checks every column against a database's schema (`file` names it in
    /// errors): a column that is not a field of the database or of one of
    /// its collections is an error naming the closest known name, and
    /// field types (and a select field's options) come from the schema. A
    /// mapping type that disagrees with the schema's is an error.
    pub fn schema(&mut self, schema: &'m Schema, file: &str) -> &mut MapperBuilder<'m> {
        self.schema = Some((schema, file.to_string()));
        self
    }

    /// With a schema: leave out columns that are not fields instead of
    /// stopping (see [`Mapper::dropped_unknown`]).
    pub fn drop_unknown(&mut self, yes: bool) -> &mut MapperBuilder<'m> {
        self.drop_unknown = yes;
        self
    }

    /// Whether to count what becomes of each field's values for
    /// [`Mapper::stats`] (default: yes). Counting every value costs a
    /// little per field; a run that never reads the counts can turn it
    /// off. Rejected values are counted either way.
    pub fn stats(&mut self, yes: bool) -> &mut MapperBuilder<'m> {
        self.stats = yes;
        self
    }

    /// The import's key fields (names after mapping): with the default
    /// `trim = "keys"`, their values are trimmed.
    pub fn key_fields(&mut self, keys: &[String]) -> &mut MapperBuilder<'m> {
        self.key_fields = keys.to_vec();
        self
    }

    /// A mapper for an input whose columns so far are `columns` (a CSV
    /// header names them all; JSON columns may keep appearing, and
    /// [`Mapper::map`] learns them as they do).
    pub fn build(&self, columns: &Columns) -> Result<Mapper, MappingError> {
        let m = self.mapping;
        let err = |line: usize, key: &str, msg: String| MappingError::new(&m.file, line, key, msg);
        let tz = TimeZone::get(&m.options.timezone)
            .map_err(|_| err(0, "timezone", "unknown time zone".into()))?;
        let mut entries = Vec::new();
        let mut by_name = HashMap::new();
        let mut by_position = HashMap::new();
        for c in &m.columns {
            let rules = &c.rules;
            let i = entries.len();
            entries.push(Entry {
                field: c.field.clone(),
                line: c.line,
                source: c.source.clone(),
                seen: false,
                spec: Spec {
                    ty: rules.ty,
                    rule: None,
                    trim: rules.trim,
                    lowercase: rules.lowercase,
                    values: rules.values.clone(),
                    rules: rules.clone(),
                    line: c.line,
                    key: key_of(&c.source),
                    ..Spec::default()
                },
            });
            match &c.source {
                Source::Name(n) => by_name.insert(n.clone(), i),
                Source::Position(p) => by_position.insert(p - 1, i),
            };
        }
        let mut mapper = Mapper {
            file: m.file.clone(),
            entries,
            by_name,
            by_position,
            collections: m
                .collections
                .iter()
                .map(|(a, b, _)| (a.clone(), b.clone()))
                .collect(),
            unmapped_rule: m.options.unmapped,
            trim: m.options.trim,
            key_fields: self.key_fields.clone(),
            fill_names: m.options.fill_down.clone(),
            fill_by_name: m.options.fill_down_by.clone(),
            fill_lines: (m.options_lines.fill_down, m.options_lines.fill_down_by),
            targets: Vec::new(),
            ruled: Vec::new(),
            plan: Vec::new(),
            schema: self.schema.as_ref().map(|(s, f)| ((*s).clone(), f.clone())),
            drop_unknown: self.drop_unknown,
            dropped_unknown: Vec::new(),
            tz: tz.clone(),
            count: self.stats,
            lend_skip: 0,
            identity: true,
            patches: None,
            out: Columns::new(),
            fields: Vec::new(),
            constants: Vec::new(),
            fill: Vec::new(),
            fill_by: None,
            by_last: String::new(),
            by_now: String::new(),
            unmapped: Vec::new(),
            buf: MapBuf::new(),
            tmp: String::new(),
            errors: Vec::new(),
        };
        mapper.learn(columns)?;
        for (name, value, line) in &m.constants {
            if mapper.out.find(name).is_some() {
                return Err(err(
                    *line,
                    name,
                    "is a constant and also a column of the input".into(),
                ));
            }
            if let Some(unknown) = mapper.unknown(name) {
                return Err(mapper.unknown_error(vec![unknown]));
            }
            let out = mapper.add_field(name, Spec::default(), String::new())?;
            mapper.constants.push((out, value.clone()));
        }
        Ok(mapper)
    }
}

/// One `[columns]` entry, resolved.
#[derive(Debug)]
struct Entry {
    field: Option<String>,
    line: usize,
    source: Source,
    seen: bool,
    spec: Spec,
}

/// How one output field's values are prepared and checked.
#[derive(Clone, Debug, Default)]
struct Spec {
    ty: Option<FieldType>,
    rule: Option<TypeRule>,
    trim: bool,
    lowercase: bool,
    values: Vec<(String, String)>,
    /// The mapping's rules for the column, and where they are.
    rules: crate::mapping::Rules,
    line: usize,
    key: String,
    /// From the schema: the longest text, and whether it is an email field.
    length: Option<u64>,
    email: bool,
}

#[derive(Debug)]
struct Field {
    spec: Spec,
    /// Index into `fill` when the field is filled down.
    fill: Option<usize>,
    /// Only its type to check (and perhaps its value to trim): nothing to
    /// lower-case or replace, and not filled down.
    bare: bool,
    stats: FieldStats,
}

#[derive(Debug)]
struct Fill {
    out: usize,
    last: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Drop,
    /// Sent as it comes: no trimming, replacing or type to check.
    Plain(usize),
    /// Prepared or checked by its field's rules.
    Ruled(usize),
}

impl Target {
    fn out(self) -> Option<usize> {
        match self {
            Target::Drop => None,
            Target::Plain(out) | Target::Ruled(out) => Some(out),
        }
    }
}

/// Where a mapped field's value lies. Offsets and ids are `u32` (rows
/// longer than [`MAX_ROW_BYTES`] are refused): a chunk's references cross
/// from the mapping thread to the batching thread, and 24 bytes a field
/// cross faster than 56.
#[derive(Clone, Copy, Debug)]
struct FieldRef {
    out: u32,
    start: u32,
    end: u32,
    /// The input field it came from (`u32::MAX`: added).
    src: u32,
    /// 0: one value. N: the N input fields from `src` on, unchanged, as
    /// output columns `out..out + N`; `start..end` spans their text.
    run: u32,
    in_scratch: bool,
    /// Not the input's value as it came (trimmed, replaced, filled).
    changed: bool,
}

impl FieldRef {
    /// Input text `start..end`, unchanged: field `src` (or the `run`
    /// fields from it) as column `out`.
    fn input(out: usize, start: usize, end: usize, src: usize, run: usize) -> FieldRef {
        FieldRef {
            out: out as u32,
            start: start as u32,
            end: end as u32,
            src: src as u32,
            run: run as u32,
            in_scratch: false,
            changed: false,
        }
    }

    /// A changed value, `scratch[start..end]`, from field `src` as column
    /// `out`.
    fn changed(out: usize, start: usize, end: usize, src: usize) -> FieldRef {
        let mut r = FieldRef::input(out, 0, 0, src, 0);
        r.set_changed(start, end);
        r
    }

    /// Now the changed value `scratch[start..end]`.
    fn set_changed(&mut self, start: usize, end: usize) {
        self.start = start as u32;
        self.end = end as u32;
        self.in_scratch = true;
        self.changed = true;
    }

    /// This value (from [`prepare`]) as input field `src`, column `out`.
    fn placed(self, out: usize, src: usize) -> FieldRef {
        FieldRef {
            out: out as u32,
            src: src as u32,
            ..self
        }
    }

    fn out(&self) -> usize {
        self.out as usize
    }

    fn span(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    fn src(&self) -> usize {
        self.src as usize
    }

    fn run(&self) -> usize {
        self.run as usize
    }
}

/// The longest row the mapping takes, in bytes of its values; the reader
/// stops far sooner (64 MiB by default).
pub const MAX_ROW_BYTES: usize = 1 << 30;

/// The reject for a row too long to map.
fn too_long(row: &Row) -> MapError {
    MapError::Row(RowError {
        line: row.line(),
        errors: vec![ValueError {
            field: "row".into(),
            value: format!("{} bytes", row.text().len()),
            expected: format!("is longer than a mapped row can be ({MAX_ROW_BYTES} bytes)"),
        }],
    })
}

/// A piece of the plan for positional rows (CSV): which input fields go
/// through as they are, side by side, and which one by one.
#[derive(Clone, Copy, Debug)]
enum Seg {
    /// `count` plain input fields from `first`, as columns `out..out + count`.
    Run {
        first: usize,
        count: usize,
        out: usize,
    },
    /// One ruled input field.
    One { field: usize, out: usize },
}

/// Why [`Mapper::map`] gave no row.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// A value does not fit: reject the row, go on.
    #[error(transparent)]
    Row(#[from] RowError),
    /// A column that appeared in the input breaks the mapping: stop.
    #[error(transparent)]
    Mapping(#[from] MappingError),
}

/// Maps rows: renames, drops, adds constants, fills down, and checks and
/// normalizes every value by its field's type. See [`MapperBuilder`].
#[derive(Debug)]
pub struct Mapper {
    file: String,
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    by_position: HashMap<usize, usize>,
    collections: Vec<(String, String)>,
    unmapped_rule: Unmapped,
    trim: Trim,
    key_fields: Vec<String>,
    fill_names: Vec<String>,
    fill_by_name: Option<String>,
    fill_lines: (usize, usize),

    /// Per input column id.
    targets: Vec<Target>,
    /// The input column ids whose target is `Ruled`.
    ruled: Vec<usize>,
    /// The plan for positional rows of `targets.len()` fields.
    plan: Vec<Seg>,
    schema: Option<(Schema, String)>,
    drop_unknown: bool,
    dropped_unknown: Vec<String>,
    tz: TimeZone,
    /// Whether values are counted for [`Mapper::stats`].
    count: bool,
    /// Rows left before lending is tried again.
    lend_skip: u32,
    /// Every input column so far is kept as the output column of its own id.
    identity: bool,
    /// With `identity` and every ruled field bare, rows are mapped as the
    /// row itself with a few values put in place ([`MapBuf::patched`]):
    /// per ruled field, what to do with its value. `None` otherwise.
    patches: Option<Vec<Patch>>,
    out: Columns,
    /// Per output column id.
    fields: Vec<Field>,
    constants: Vec<(usize, String)>,
    fill: Vec<Fill>,
    fill_by: Option<usize>,
    by_last: String,
    by_now: String,
    unmapped: Vec<String>,

    /// The buffers of the row [`Mapper::map`] lends.
    buf: MapBuf,
    tmp: String,
    errors: Vec<ValueError>,
}

/// A mapped row's own buffers: the values that changed, and where each
/// field's value lies. Reused from row to row; see [`Mapper::map_into`].
#[derive(Clone, Debug, Default)]
pub struct MapBuf {
    scratch: String,
    refs: Vec<FieldRef>,
    /// Where the row being mapped starts in `refs` and in `scratch`: 0 for
    /// a row's own buffers; the rows before it in [`MappedRows`].
    base: usize,
    scratch_base: usize,
    /// What the refs from `base` make of the row.
    shape: Shape,
}

/// How a mapped row's refs make up the row.
#[derive(Clone, Copy, Debug, Default)]
struct Shape {
    /// Fields in the refs, runs counted by their fields.
    len: usize,
    /// The row is the input row itself.
    whole: bool,
    /// The row is the input row with the values of the refs (one value
    /// each, `out` its field, in field order) in place of its own.
    patched: bool,
    /// Patched, and every value in the refs as long as the one it replaces.
    in_place: bool,
}

impl MapBuf {
    /// Empty buffers.
    pub fn new() -> MapBuf {
        MapBuf::default()
    }

    /// Forgets what the row being mapped put in so far.
    fn reset(&mut self) {
        self.refs.truncate(self.base);
        self.scratch.truncate(self.scratch_base);
    }

    /// The mapped row: `row` is the row given to [`Mapper::map_into`],
    /// `columns` the mapper's [`columns`](Mapper::columns).
    pub fn view<'a>(&'a self, row: &'a Row, columns: &'a Columns) -> MappedRow<'a> {
        MappedRow {
            row,
            scratch: &self.scratch,
            refs: &self.refs[self.base..],
            shape: self.shape,
            columns,
        }
    }
}

/// The mapped rows of a block of rows, in one pair of buffers: the values
/// that changed and where each field's value lies, for every row of the
/// block. Filled by [`Mapper::map_push`], emptied by
/// [`clear`](MappedRows::clear) to map the next block. Places in the
/// buffers are 32-bit, as in a row's own: a block holds at most 4 GiB of
/// changed values, and a row past that is refused as too long (a block of
/// a few thousand rows of an ordinary export holds some KiB).
#[derive(Clone, Debug, Default)]
pub struct MappedRows {
    buf: MapBuf,
    slots: Vec<Slot>,
}

/// Where one row of [`MappedRows`] lies.
#[derive(Clone, Debug, Default)]
struct Slot {
    refs: std::ops::Range<usize>,
    shape: Shape,
}

impl MappedRows {
    /// No rows.
    pub fn new() -> MappedRows {
        MappedRows::default()
    }

    /// Forgets every row, keeping the buffers' room.
    pub fn clear(&mut self) {
        self.buf.refs.clear();
        self.buf.scratch.clear();
        self.slots.clear();
    }

    /// Rows mapped or skipped.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when no row is in.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Leaves row place `len()` empty: a row not mapped (rejected before
    /// it came to the mapping), so the places after it stay their rows'.
    pub fn skip(&mut self) {
        self.slots.push(Slot::default());
    }

    /// Mapped row `i`: `row` is the row given to [`Mapper::map_push`] for
    /// it, `columns` the mapper's [`columns`](Mapper::columns).
    pub fn view<'a>(&'a self, i: usize, row: &'a Row, columns: &'a Columns) -> MappedRow<'a> {
        let slot = &self.slots[i];
        MappedRow {
            row,
            scratch: &self.buf.scratch,
            refs: &self.buf.refs[slot.refs.clone()],
            shape: slot.shape,
            columns,
        }
    }
}

/// A mapped row, lent by [`Mapper::map`]: its fields name columns of
/// [`MappedRow::columns`].
#[derive(Clone, Copy, Debug)]
pub struct MappedRow<'a> {
    row: &'a Row,
    scratch: &'a str,
    refs: &'a [FieldRef],
    shape: Shape,
    columns: &'a Columns,
}

impl<'a> MappedRow<'a> {
    /// The output column table (database names) the fields refer to.
    pub fn columns(&self) -> &'a Columns {
        self.columns
    }

    /// The row as read.
    pub fn source(&self) -> &'a Row {
        self.row
    }

    /// The value a one-value reference points at.
    fn value(&self, r: &FieldRef) -> &'a str {
        let text = if r.in_scratch {
            self.scratch
        } else {
            self.row.text()
        };
        &text[r.span()]
    }

    /// [`RowView::append_to`] for a patched row: the input row's text and
    /// ends, with the patched values put in. Values as long as the ones
    /// they replace are written over the copied row.
    fn append_patched(&self, text: &mut Vec<u8>, ends: &mut Vec<usize>, cols: &mut Vec<usize>) {
        let src = self.row.text().as_bytes();
        let row_ends = self.row.ends();
        let field_start = |i: usize| if i == 0 { 0 } else { row_ends[i - 1] };
        let base = text.len();
        if self.shape.in_place {
            text.extend_from_slice(src);
            for r in self.refs {
                let at = base + field_start(r.out());
                let value = self.value(r).as_bytes();
                text[at..at + value.len()].copy_from_slice(value);
            }
            ends.extend(row_ends.iter().map(|e| e + base));
        } else {
            // Input text from field `next` (byte `from`) on is still to copy.
            let (mut next, mut from) = (0, 0);
            for r in self.refs {
                let i = r.out();
                let piece = text.len();
                text.extend_from_slice(&src[from..field_start(i)]);
                ends.extend(row_ends[next..i].iter().map(|e| piece + (e - from)));
                text.extend_from_slice(self.value(r).as_bytes());
                ends.push(text.len());
                (next, from) = (i + 1, row_ends[i]);
            }
            let piece = text.len();
            text.extend_from_slice(&src[from..]);
            ends.extend(row_ends[next..].iter().map(|e| piece + (e - from)));
        }
        cols.extend(0..row_ends.len());
    }
}

impl RowView for MappedRow<'_> {
    fn line(&self) -> u64 {
        self.row.line()
    }

    fn len(&self) -> usize {
        if self.shape.whole {
            self.row.len()
        } else {
            self.shape.len
        }
    }

    fn field(&self, i: usize) -> (usize, &str) {
        if self.shape.whole {
            return self.row.field(i);
        }
        if self.shape.patched {
            return match self.refs.iter().find(|r| r.out() == i) {
                Some(r) => (i, self.value(r)),
                None => self.row.field(i),
            };
        }
        let mut i = i;
        for r in self.refs {
            if r.run() > i {
                let value = self.row.get(r.src() + i).expect("a run lies in the row");
                return (r.out() + i, value);
            }
            if r.run == 0 && i == 0 {
                return (r.out(), self.value(r));
            }
            i -= r.run().max(1);
        }
        panic!("field index out of range")
    }

    fn as_row(&self) -> Option<&Row> {
        self.shape.whole.then_some(self.row)
    }

    fn append_to(&self, text: &mut Vec<u8>, ends: &mut Vec<usize>, cols: &mut Vec<usize>) {
        if self.shape.whole {
            return self.row.append_to(text, ends, cols);
        }
        if self.shape.patched {
            return self.append_patched(text, ends, cols);
        }
        let src = self.row.text().as_bytes();
        let scratch = self.scratch.as_bytes();
        let row_ends = self.row.ends();
        ends.reserve(self.shape.len);
        cols.reserve(self.shape.len);
        for r in self.refs {
            let base = text.len();
            if r.run > 0 {
                text.extend_from_slice(&src[r.span()]);
                let ends_of = &row_ends[r.src()..r.src() + r.run()];
                let start = r.start as usize;
                ends.extend(ends_of.iter().map(|e| base + (e - start)));
                cols.extend(r.out()..r.out() + r.run());
            } else {
                let from = if r.in_scratch { scratch } else { src };
                text.extend_from_slice(&from[r.span()]);
                ends.push(text.len());
                cols.push(r.out());
            }
        }
    }
}

fn key_of(s: &Source) -> String {
    match s {
        Source::Name(n) => n.clone(),
        Source::Position(p) => format!("@{p}"),
    }
}

impl Mapper {
    /// The output columns: database names, in the order first met.
    pub fn columns(&self) -> &Columns {
        &self.out
    }

    /// Per output column: its name and what became of its values so far.
    pub fn stats(&self) -> impl Iterator<Item = (&str, &FieldStats)> + '_ {
        self.fields
            .iter()
            .enumerate()
            .map(|(i, f)| (self.out.name(i), &f.stats))
    }

    /// Input columns the mapping does not name (kept or dropped by the
    /// `unmapped` option).
    pub fn unmapped(&self) -> &[String] {
        &self.unmapped
    }

    /// Whether everything the mapping names is there: every `[columns]`
    /// entry met an input column, and every fill-down field is an output
    /// field. Call it once the input's columns are all known: at once for
    /// a CSV header, after the last row for JSON.
    pub fn check_complete(&self) -> Result<(), MappingError> {
        for e in &self.entries {
            if !e.seen {
                let msg = match e.source {
                    Source::Name(_) => "no such column in the input".to_string(),
                    Source::Position(_) => format!(
                        "no such column in the input, which has {} columns",
                        self.targets.len()
                    ),
                };
                return Err(MappingError::new(
                    &self.file,
                    e.line,
                    &key_of(&e.source),
                    msg,
                ));
            }
        }
        let names = self.fill_names.iter().map(|n| (n, self.fill_lines.0));
        let by = self.fill_by_name.iter().map(|n| (n, self.fill_lines.1));
        for (name, line) in names.chain(by) {
            if self.out.find(name).is_none() {
                return Err(MappingError::new(
                    &self.file,
                    line,
                    name,
                    "fill-down names a field the mapped rows do not have".into(),
                ));
            }
        }
        Ok(())
    }

    /// Learns the input columns that appeared since the last call.
    fn learn(&mut self, columns: &Columns) -> Result<(), MappingError> {
        let mut unknown = Vec::new();
        for id in self.targets.len()..columns.len() {
            let name = columns.name(id);
            let entry = self
                .by_name
                .get(name)
                .or_else(|| self.by_position.get(&id))
                .copied();
            let (field, spec) = match entry {
                Some(e) => {
                    let e = &mut self.entries[e];
                    e.seen = true;
                    (e.field.clone(), e.spec.clone())
                }
                None => {
                    let (coll, rest) = split_dotted(name);
                    let renamed = coll.and_then(|c| {
                        self.collections
                            .iter()
                            .find(|(from, _)| from == c)
                            .map(|(_, to)| format!("{to}.{rest}"))
                    });
                    match (renamed, self.unmapped_rule) {
                        (Some(n), _) => (Some(n), Spec::default()),
                        (None, Unmapped::Keep) => {
                            self.unmapped.push(name.to_string());
                            (Some(name.to_string()), Spec::default())
                        }
                        (None, Unmapped::Drop) => {
                            self.unmapped.push(name.to_string());
                            (None, Spec::default())
                        }
                        (None, Unmapped::Error) => return Err(MappingError::new(
                            &self.file,
                            0,
                            name,
                            "this input column is not in [columns] (options: unmapped = \"error\")"
                                .into(),
                        )),
                    }
                }
            };
            let field = match field {
                Some(f) => match self.unknown(&f) {
                    None => Some(f),
                    Some(u) if self.drop_unknown => {
                        self.dropped_unknown.push(u.0);
                        None
                    }
                    Some(u) => {
                        unknown.push(u);
                        None
                    }
                },
                None => None,
            };
            let target = match field {
                None => Target::Drop,
                Some(field) => {
                    if self.out.find(&field).is_some() {
                        let line = entry.map_or(0, |e| self.entries[e].line);
                        return Err(MappingError::new(
                            &self.file,
                            line,
                            name,
                            format!("maps onto field {field:?}, which another column or constant already fills"),
                        ));
                    }
                    let out = self.add_field(&field, spec, name.to_string())?;
                    let f = &self.fields[out];
                    let s = &f.spec;
                    let filled = f.fill.is_some() || self.fill_by == Some(out);
                    if filled || s.rule.is_some() || s.trim || s.lowercase || !s.values.is_empty() {
                        self.ruled.push(id);
                        Target::Ruled(out)
                    } else {
                        Target::Plain(out)
                    }
                }
            };
            self.identity &= target.out() == Some(id);
            self.targets.push(target);
        }
        self.plan = plan(&self.targets);
        // Under `identity`, a ruled input field is the output field of its id.
        let fields = &self.fields;
        self.patches = (self.identity && self.ruled.iter().all(|&id| fields[id].bare)).then(|| {
            self.ruled
                .iter()
                .map(|&field| Patch {
                    field,
                    trim: fields[field].spec.trim,
                    rule: fields[field].spec.rule.clone(),
                })
                .collect()
        });
        if !unknown.is_empty() {
            return Err(self.unknown_error(unknown));
        }
        Ok(())
    }

    /// With a schema: `name` when it is not a field, with the closest known
    /// name (and whether the collection itself is unknown).
    fn unknown(&self, name: &str) -> Option<(String, Option<String>, bool)> {
        let (schema, _) = self.schema.as_ref()?;
        if schema.field(name).is_some() {
            return None;
        }
        let (coll, _) = profile_rows::split_dotted(name);
        let no_collection = coll.is_some_and(|c| !schema.collections.iter().any(|x| x.name == c));
        let suggestion = if no_collection {
            let c = coll.unwrap_or("");
            crate::schema::closest(c, schema.collections.iter().map(|x| x.name.clone()))
        } else {
            let known = schema.fields.iter().map(|f| f.name.clone()).chain(
                schema.collections.iter().flat_map(|c| {
                    c.fields
                        .iter()
                        .map(move |f| format!("{}.{}", c.name, f.name))
                }),
            );
            crate::schema::closest(name, known)
        };
        Some((name.to_string(), suggestion, no_collection))
    }

    fn unknown_error(&self, unknown: Vec<(String, Option<String>, bool)>) -> MappingError {
        let (schema, file) = self.schema.as_ref().expect("only with a schema");
        let mut msg = format!(
            "{} not {} of database {} ({}): ",
            if unknown.len() == 1 {
                "a column is".to_string()
            } else {
                format!("{} columns are", unknown.len())
            },
            if unknown.len() == 1 {
                "a field"
            } else {
                "fields"
            },
            schema.database_id,
            schema.database_name
        );
        for (i, (name, suggestion, no_collection)) in unknown.iter().enumerate() {
            if i > 0 {
                msg.push_str("; ");
            }
            let what = if *no_collection {
                "no such collection"
            } else {
                "no such field"
            };
            msg.push_str(&format!("`{name}`: {what}"));
            if let Some(s) = suggestion {
                msg.push_str(&format!("; did you mean `{s}`?"));
            }
        }
        MappingError::new(file, 0, "", msg)
    }

    /// With [`MapperBuilder::drop_unknown`]: the columns left out because
    /// the schema has no such field.
    pub fn dropped_unknown(&self) -> &[String] {
        &self.dropped_unknown
    }

    fn add_field(
        &mut self,
        name: &str,
        mut spec: Spec,
        source: String,
    ) -> Result<usize, MappingError> {
        let err = |msg: String| MappingError::new(&self.file, spec.line, &spec.key, msg);
        let known = self.schema.as_ref().and_then(|(s, _)| s.field(name));
        let mut options = spec.rules.options.clone();
        if let Some(f) = known {
            match (spec.ty, f.field_type()) {
                (Some(mine), Some(theirs)) if mine != theirs => {
                    return Err(err(format!(
                        "the mapping says type {}, the schema says {name} is {}",
                        mine.name(),
                        theirs.name()
                    )))
                }
                (None, theirs) => spec.ty = theirs,
                _ => {}
            }
            if options.is_empty() {
                options = f.options.clone();
            }
            spec.length = f.length;
            spec.email = f.field_type() == Some(FieldType::Email);
        }
        {
            let r = &spec.rules;
            let ty = spec.ty.unwrap_or(FieldType::Text);
            crate::mapping::check_type_rules(
                ty,
                r.format.as_deref(),
                r.decimal,
                r.thousands,
                &r.options,
            )
            .map_err(err)?;
        }
        spec.rule = match spec.ty {
            Some(
                ty @ (FieldType::Integer
                | FieldType::Float
                | FieldType::Date
                | FieldType::EmptyDate
                | FieldType::Datetime
                | FieldType::EmptyDatetime
                | FieldType::Select),
            ) => {
                if ty == FieldType::Select && options.is_empty() {
                    return Err(err(
                        "a select field needs its options (options = [...])".into()
                    ));
                }
                let rules = &spec.rules;
                Some(TypeRule {
                    ty,
                    format: rules.format.clone(),
                    simple: rules.format.as_deref().and_then(SimpleFormat::compile),
                    layout: rules
                        .format
                        .as_deref()
                        .filter(|_| ty.is_date())
                        .and_then(DateLayout::compile),
                    iso_format: matches!(rules.format.as_deref(), Some("%Y-%m-%d" | "%F")),
                    decimal: rules.decimal.map_or(b'.', |d| d as u8),
                    thousands: rules.thousands.map(|t| t as u8),
                    options,
                    tz: self.tz.clone(),
                })
            }
            _ => None,
        };
        let out = self.out.intern(name);
        debug_assert_eq!(out, self.fields.len());
        let is_key = self.key_fields.iter().any(|k| k == name);
        spec.trim |= self.trim == Trim::All || (self.trim == Trim::Keys && is_key);
        let fill = self.fill_names.iter().any(|f| f == name).then(|| {
            self.fill.push(Fill {
                out,
                last: String::new(),
            });
            self.fill.len() - 1
        });
        if self.fill_by_name.as_deref() == Some(name) {
            self.fill_by = Some(out);
        }
        let bare = !spec.lowercase
            && spec.values.is_empty()
            && fill.is_none()
            && self.fill_by != Some(out);
        self.fields.push(Field {
            bare,
            stats: FieldStats {
                source,
                ty: spec.ty,
                limit: spec.length,
                email: spec.email,
                ..FieldStats::default()
            },
            spec,
            fill,
        });
        Ok(out)
    }

    /// Maps one row read with `columns` (the reader's table, which may have
    /// grown). A value that does not fit rejects the row
    /// ([`MapError::Row`], naming every such value); a new column that breaks
    /// the mapping stops ([`MapError::Mapping`]).
    pub fn map<'a>(
        &'a mut self,
        row: &'a Row,
        columns: &Columns,
    ) -> Result<MappedRow<'a>, MapError> {
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.map_into(row, columns, &mut buf);
        self.buf = buf;
        result?;
        Ok(self.buf.view(row, &self.out))
    }

    /// Maps `row` as [`map`](Mapper::map) does, into `buf`: a row's own
    /// buffers, for rows mapped ahead of the stage that takes them (on
    /// another thread, say). [`MapBuf::view`] then lends the mapped row.
    pub fn map_into(
        &mut self,
        row: &Row,
        columns: &Columns,
        buf: &mut MapBuf,
    ) -> Result<(), MapError> {
        buf.base = 0;
        buf.scratch_base = 0;
        self.map_at(row, columns, buf)
    }

    /// Maps `row` as [`map_into`](Mapper::map_into) does, after the rows
    /// already in `rows`: a block of rows (a chunk read ahead, say) keeps
    /// every row's mapping in one pair of buffers, so mapping a block
    /// allocates nothing per row. [`MappedRows::view`] lends row `i` of the
    /// block. A row that does not fit leaves an empty place, so the places
    /// stay the rows' own.
    ///
    /// ```
    /// use field_map::{MappedRows, MapperBuilder, Mapping};
    /// use profile_rows::{ReaderBuilder, Row, RowView};
    ///
    /// let mapping = Mapping::parse("[columns]\nE = \"email\"\nN = { field = \"n\", type = \"integer\" }\n", "map.toml")?;
    /// let mut rdr = ReaderBuilder::new().from_bytes(b"E,N\na@example.com,1\nb@example.com,x\n".to_vec())?;
    /// let mut mapper = MapperBuilder::new(&mapping).build(rdr.columns())?;
    /// let (mut rows, mut mapped) = (vec![Row::new(), Row::new()], MappedRows::new());
    /// for row in &mut rows {
    ///     assert!(rdr.read_row(row)?);
    /// }
    /// assert!(mapper.map_push(&rows[0], rdr.columns(), &mut mapped).is_ok());
    /// assert!(mapper.map_push(&rows[1], rdr.columns(), &mut mapped).is_err());
    /// let first = mapped.view(0, &rows[0], mapper.columns());
    /// assert_eq!(first.field(0), (0, "a@example.com"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_push(
        &mut self,
        row: &Row,
        columns: &Columns,
        rows: &mut MappedRows,
    ) -> Result<(), MapError> {
        let buf = &mut rows.buf;
        buf.base = buf.refs.len();
        buf.scratch_base = buf.scratch.len();
        let result = self.map_at(row, columns, buf);
        let slot = match result {
            Ok(()) => Slot {
                refs: buf.base..buf.refs.len(),
                shape: buf.shape,
            },
            Err(_) => {
                buf.reset();
                Slot::default()
            }
        };
        rows.slots.push(slot);
        result
    }

    fn map_at(&mut self, row: &Row, columns: &Columns, buf: &mut MapBuf) -> Result<(), MapError> {
        if columns.len() > self.targets.len() {
            self.learn(columns)?;
        }
        buf.reset();
        self.errors.clear();
        if row.text().len() > MAX_ROW_BYTES {
            return Err(too_long(row));
        }
        let lend = row.is_positional()
            && self.identity
            && self.constants.is_empty()
            && self.fill.is_empty();
        let in_place = lend && !self.count && row.len() == self.targets.len();
        if let Some(patches) = self.patches.as_deref().filter(|_| in_place) {
            if patch(patches, row, buf) {
                return Ok(());
            }
            // A value does not fit: the long way below names it.
            buf.reset();
        }
        buf.shape.patched = false;
        // Rows of one export tend to be alike: after a row that could not
        // be lent, the next ones are built without trying first.
        let try_lend = lend && self.lend_skip == 0;
        self.lend_skip = self.lend_skip.saturating_sub(1);
        if try_lend && self.lends(row) {
            buf.shape.whole = true;
            return Ok(());
        }
        if try_lend {
            self.lend_skip = LEND_RETRY;
        }
        let mut whole = lend;
        // Without fill-down each value is settled as it is met; with it,
        // after the rows above have filled the empty ones.
        let settle_now = self.fill.is_empty();
        if row.is_positional() && row.len() == self.targets.len() {
            whole &= self.map_planned(row, buf, settle_now);
        } else {
            whole &= self.map_each(row, buf, settle_now);
        }
        if !settle_now {
            self.fill_down(buf, row);
            for i in buf.base..buf.refs.len() {
                if buf.refs[i].run == 0 {
                    whole &= self.settle(buf, i, row);
                }
            }
        }
        for (out, value) in &self.constants {
            let start = buf.scratch.len();
            buf.scratch.push_str(value);
            buf.refs.push(FieldRef {
                in_scratch: true,
                ..FieldRef::input(*out, start, buf.scratch.len(), usize::MAX, 0)
            });
            if self.count {
                count_plain(&mut self.fields[*out].stats, value);
            }
        }
        buf.shape.len = buf.refs[buf.base..].iter().map(|r| r.run().max(1)).sum();
        if buf.scratch.len() > u32::MAX as usize {
            // Values filled down or replaced into more than 4 GiB.
            return Err(too_long(row));
        }
        if !self.errors.is_empty() {
            return Err(MapError::Row(RowError {
                line: row.line(),
                errors: std::mem::take(&mut self.errors),
            }));
        }
        buf.shape.whole = whole;
        Ok(())
    }

    /// Maps a positional row by the plan: plain runs in one piece each,
    /// ruled fields one by one. True when nothing changed.
    fn map_planned(&mut self, row: &Row, buf: &mut MapBuf, settle_now: bool) -> bool {
        let ends = row.ends();
        let text = row.text();
        let at = |i: usize| if i == 0 { 0 } else { ends[i - 1] };
        let mut same = true;
        for k in 0..self.plan.len() {
            match self.plan[k] {
                Seg::Run { first, count, out } => {
                    let (s, e) = (at(first), ends[first + count - 1]);
                    push_run(&mut buf.refs, first, count, out, s, e);
                    if self.count {
                        for j in 0..count {
                            let v = &text[at(first + j)..ends[first + j]];
                            count_plain(&mut self.fields[out + j].stats, v);
                        }
                    }
                }
                Seg::One { field, out } => {
                    let (s, e) = (at(field), ends[field]);
                    if settle_now && !self.count && self.fields[out].bare {
                        same &= self.check_bare(buf, row, field, out, s, e);
                        continue;
                    }
                    let r = prepare(&self.fields[out].spec, text, s, e, &mut buf.scratch);
                    buf.refs.push(r.placed(out, field));
                    if settle_now {
                        same &= self.settle(buf, buf.refs.len() - 1, row);
                    }
                }
            }
        }
        same
    }

    /// Maps a row field by field (JSON rows carry any columns in any order).
    fn map_each(&mut self, row: &Row, buf: &mut MapBuf, settle_now: bool) -> bool {
        let text = row.text();
        let mut same = true;
        let mut start = 0;
        for (i, &end) in row.ends().iter().enumerate() {
            let (s, e) = (start, end);
            start = end;
            let (out, ruled) = match self.targets[row.column(i)] {
                Target::Drop => {
                    same = false;
                    continue;
                }
                Target::Plain(out) => (out, false),
                Target::Ruled(out) => (out, true),
            };
            if !ruled {
                push_run(&mut buf.refs, i, 1, out, s, e);
                if self.count {
                    count_plain(&mut self.fields[out].stats, &text[s..e]);
                }
                continue;
            }
            if settle_now && !self.count && self.fields[out].bare {
                same &= self.check_bare(buf, row, i, out, s, e);
                continue;
            }
            let r = prepare(&self.fields[out].spec, text, s, e, &mut buf.scratch);
            buf.refs.push(r.placed(out, i));
            if settle_now {
                same &= self.settle(buf, buf.refs.len() - 1, row);
            }
        }
        same
    }

    /// The short way for a bare field's value (`text[s..e]` of input field
    /// `src`, as column `out`) when nothing is counted: check it by its
    /// type, and lend it on as part of a run when it is fine. A value that
    /// does not fit takes the long way, for its message. True when the
    /// value is the input's own.
    #[inline]
    fn check_bare(
        &mut self,
        buf: &mut MapBuf,
        row: &Row,
        src: usize,
        out: usize,
        s: usize,
        e: usize,
    ) -> bool {
        let text = row.text();
        let spec = &self.fields[out].spec;
        let (s0, e0) = (s, e);
        let (s, e) = if spec.trim {
            trimmed(text, s, e)
        } else {
            (s, e)
        };
        let start = buf.scratch.len();
        let checked = match &spec.rule {
            Some(rule) if s < e => rule.check(&text[s..e], &mut buf.scratch),
            _ => Ok(Checked::Fine),
        };
        match checked {
            Ok(Checked::Fine) if (s, e) == (s0, e0) => {
                buf.scratch.truncate(start);
                push_run(&mut buf.refs, src, 1, out, s, e);
                true
            }
            Ok(Checked::Fine) => {
                buf.scratch.truncate(start);
                buf.refs.push(FieldRef {
                    changed: true,
                    ..FieldRef::input(out, s, e, src, 0)
                });
                false
            }
            Ok(Checked::Normalized) => {
                buf.refs
                    .push(FieldRef::changed(out, start, buf.scratch.len(), src));
                false
            }
            Err(_) => {
                buf.scratch.truncate(start);
                buf.refs.push(FieldRef {
                    changed: (s, e) != (s0, e0),
                    ..FieldRef::input(out, s, e, src, 0)
                });
                self.settle(buf, buf.refs.len() - 1, row)
            }
        }
    }

    /// Whether the positional `row`, every column kept in place, can be
    /// lent as it is: no ruled value changes or is refused. Counts its
    /// values when it can; when it cannot, nothing is counted yet.
    fn lends(&mut self, row: &Row) -> bool {
        for &i in &self.ruled {
            let Some(value) = row.get(i) else { continue };
            let field = &self.fields[i];
            let spec = &field.spec;
            if value.is_empty() {
                continue;
            }
            if spec.trim && value.trim() != value {
                return false;
            }
            if spec.lowercase && value.chars().any(char::is_uppercase) {
                return false;
            }
            if spec.values.iter().any(|(from, _)| from == value) {
                return false;
            }
            if let Some(rule) = &spec.rule {
                self.tmp.clear();
                if rule.check(value, &mut self.tmp) != Ok(Checked::Fine) {
                    return false;
                }
            }
        }
        if self.count {
            for (i, value) in row.iter().enumerate() {
                count_plain(&mut self.fields[i].stats, value);
            }
        }
        true
    }

    /// Checks the value of `refs[i]` by its field's type, rewriting it into
    /// the scratch buffer when it changes, and counts what became of it.
    /// True when the value is the input's own, unchanged.
    #[inline]
    fn settle(&mut self, buf: &mut MapBuf, i: usize, row: &Row) -> bool {
        let mut r = buf.refs[i];
        let same = self.settle_ref(&mut r, &mut buf.scratch, row);
        buf.refs[i] = r;
        same
    }

    fn settle_ref(&mut self, r: &mut FieldRef, scratch: &mut String, row: &Row) -> bool {
        let (vs, ve, from_scratch) = (r.start as usize, r.end as usize, r.in_scratch);
        let field = &mut self.fields[r.out()];
        let stats = &mut field.stats;
        let count = self.count;
        let value_of = |scratch: &String| -> String {
            if from_scratch {
                scratch[vs..ve].to_string()
            } else {
                row.text()[vs..ve].to_string()
            }
        };
        if vs == ve {
            stats.empty += u64::from(count);
            return !r.changed;
        }
        let Some(rule) = &field.spec.rule else {
            let value = if from_scratch {
                &scratch[vs..ve]
            } else {
                &row.text()[vs..ve]
            };
            if !r.changed {
                if count {
                    count_plain(stats, value);
                }
                return true;
            }
            if !count {
                return false;
            }
            stats.normalized += 1;
            if stats.normalized_examples.len() < EXAMPLES {
                let read = row.get(r.src()).unwrap_or("").to_string();
                stats.normalized_examples.push((read, value.to_string()));
            }
            report_text(stats, value);
            return false;
        };
        // The rewritten value goes straight into the scratch buffer; a value
        // already there is copied out to `tmp` first.
        let start = scratch.len();
        let checked = if from_scratch {
            self.tmp.clear();
            self.tmp.push_str(&scratch[vs..ve]);
            rule.check(&self.tmp, scratch)
        } else {
            rule.check(&row.text()[vs..ve], scratch)
        };
        if checked != Ok(Checked::Normalized) {
            scratch.truncate(start);
        }
        match checked {
            Ok(Checked::Fine) if !r.changed => {
                if count {
                    let value = if from_scratch {
                        &scratch[vs..ve]
                    } else {
                        &row.text()[vs..ve]
                    };
                    count_plain(stats, value);
                }
                true
            }
            Ok(Checked::Fine) if !count => false,
            Ok(Checked::Fine) => {
                stats.normalized += 1;
                if stats.normalized_examples.len() < EXAMPLES {
                    let read = row.get(r.src()).unwrap_or("").to_string();
                    stats.normalized_examples.push((read, value_of(scratch)));
                }
                false
            }
            Ok(Checked::Normalized) => {
                stats.normalized += u64::from(count);
                if count && stats.normalized_examples.len() < EXAMPLES {
                    let read = row.get(r.src()).unwrap_or("").to_string();
                    stats
                        .normalized_examples
                        .push((read, scratch[start..].to_string()));
                }
                r.set_changed(start, scratch.len());
                false
            }
            Err(expected) => {
                let value = value_of(scratch);
                stats.rejected += 1;
                if stats.rejected_examples.len() < EXAMPLES {
                    stats
                        .rejected_examples
                        .push((value.clone(), expected.clone()));
                }
                self.errors.push(ValueError {
                    field: self.out.name(r.out()).to_string(),
                    value,
                    expected,
                });
                false
            }
        }
    }

    /// Fills empty fill-down fields from the rows above.
    fn fill_down(&mut self, buf: &mut MapBuf, row: &Row) {
        let text = row.text();
        // The value of the fill-down-by field, itself filled first if listed.
        if let Some(by) = self.fill_by {
            self.by_now.clear();
            let refs = &buf.refs[buf.base..];
            if let Some(r) = refs.iter().find(|r| r.run == 0 && r.out() == by) {
                let t = if r.in_scratch { &buf.scratch } else { text };
                self.by_now.push_str(&t[r.span()]);
            }
            if self.by_now.is_empty() {
                if let Some(f) = self.fields[by].fill {
                    self.by_now.push_str(&self.fill[f].last);
                }
            }
            if self.by_now != self.by_last {
                for f in &mut self.fill {
                    if f.out != by {
                        f.last.clear();
                    }
                }
                std::mem::swap(&mut self.by_now, &mut self.by_last);
            }
        }
        for f in 0..self.fill.len() {
            let out = self.fill[f].out;
            let refs = &buf.refs[buf.base..];
            let at = refs.iter().position(|r| r.run == 0 && r.out() == out);
            let at = at.map(|i| buf.base + i);
            let current = at.map(|i| {
                let r = buf.refs[i];
                let t = if r.in_scratch { &buf.scratch } else { text };
                &t[r.span()]
            });
            match current {
                Some(v) if !v.is_empty() => {
                    let last = &mut self.fill[f].last;
                    last.clear();
                    last.push_str(v);
                }
                _ if self.fill[f].last.is_empty() => {}
                _ => {
                    let start = buf.scratch.len();
                    buf.scratch.push_str(&self.fill[f].last);
                    let src = at.map_or(usize::MAX, |i| buf.refs[i].src());
                    let r = FieldRef::changed(out, start, buf.scratch.len(), src);
                    match at {
                        Some(i) => buf.refs[i] = r,
                        None => buf.refs.push(r),
                    }
                }
            }
        }
    }
}

/// A ruled field of a row mapped in place ([`patch`]): its value is
/// trimmed, or checked by its type, or both.
#[derive(Debug)]
struct Patch {
    field: usize,
    trim: bool,
    rule: Option<TypeRule>,
}

/// Maps a positional row whose columns all stay in place, and whose ruled
/// fields (`patches`) only have a type to check or a value to trim: the row
/// itself, with the values that change put in place; lent whole when none
/// does. False when a value does not fit, for the long way to name it.
#[inline]
fn patch(patches: &[Patch], row: &Row, buf: &mut MapBuf) -> bool {
    let text = row.text();
    let ends = row.ends();
    buf.shape.patched = true;
    buf.shape.in_place = true;
    for p in patches {
        let i = p.field;
        let (s0, e0) = (if i == 0 { 0 } else { ends[i - 1] }, ends[i]);
        let (s, e) = if p.trim {
            trimmed(text, s0, e0)
        } else {
            (s0, e0)
        };
        let start = buf.scratch.len();
        let checked = match &p.rule {
            Some(rule) if s < e => {
                let value = &text[s..e];
                match rule.check_plain(value, &mut buf.scratch) {
                    Some(checked) => checked,
                    None => match rule.check(value, &mut buf.scratch) {
                        Ok(checked) => checked,
                        Err(_) => return false,
                    },
                }
            }
            _ => Checked::Fine,
        };
        let r = match checked {
            Checked::Fine if (s, e) == (s0, e0) => continue,
            Checked::Fine => {
                buf.scratch.truncate(start);
                FieldRef {
                    changed: true,
                    ..FieldRef::input(i, s, e, i, 0)
                }
            }
            Checked::Normalized => FieldRef::changed(i, start, buf.scratch.len(), i),
        };
        buf.shape.in_place &= r.end - r.start == (e0 - s0) as u32;
        buf.refs.push(r);
    }
    buf.shape.len = row.len();
    buf.shape.whole = buf.refs.len() == buf.base;
    // Values rewritten into more than 4 GiB: the long way refuses the row.
    buf.scratch.len() <= u32::MAX as usize
}

/// Where `text[s..e]` lies once trimmed of whitespace at both ends.
#[inline]
fn trimmed(text: &str, s: usize, e: usize) -> (usize, usize) {
    let v = &text[s..e];
    // The usual value starts and ends with a visible ASCII character.
    let visible = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    if visible(v.as_bytes().first()) && visible(v.as_bytes().last()) {
        return (s, e);
    }
    let t = v.trim_start();
    let start = s + v.len() - t.len();
    (start, start + t.trim_end().len())
}

/// Adds input fields `src..src + count` (text `s..e`), unchanged, as
/// columns `out..out + count`: to the run before them when they follow it.
#[inline]
fn push_run(refs: &mut Vec<FieldRef>, src: usize, count: usize, out: usize, s: usize, e: usize) {
    if let Some(last) = refs.last_mut() {
        if last.run > 0
            && last.src() + last.run() == src
            && last.out() + last.run() == out
            && last.end as usize == s
        {
            last.run += count as u32;
            last.end = e as u32;
            return;
        }
    }
    refs.push(FieldRef::input(out, s, e, src, count));
}

/// Counts a value sent as it came.
#[inline]
fn count_plain(stats: &mut FieldStats, value: &str) {
    if value.is_empty() {
        stats.empty += 1;
    } else {
        stats.fine += 1;
        if stats.fine_examples.len() < EXAMPLES {
            stats.fine_examples.push(value.to_string());
        }
        report_text(stats, value);
    }
}

/// Counts what `check` reports of a sent value without rejecting it.
fn report_text(stats: &mut FieldStats, value: &str) {
    if stats
        .limit
        .is_some_and(|l| value.len() as u64 > l && value.chars().count() as u64 > l)
    {
        stats.too_long += 1;
        if stats.too_long_examples.len() < EXAMPLES {
            stats.too_long_examples.push(value.to_string());
        }
    }
    if stats.email && !value.contains('@') {
        stats.without_at += 1;
        if stats.without_at_examples.len() < EXAMPLES {
            stats.without_at_examples.push(value.to_string());
        }
    }
}

/// Trims, lower-cases and replaces one value (`text[s..e]`) as `spec` says.
/// An unchanged or only trimmed value stays a slice of `text`; anything
/// else is appended to `scratch`.
fn prepare(spec: &Spec, text: &str, s0: usize, e0: usize, scratch: &mut String) -> FieldRef {
    let (s, e) = if spec.trim {
        trimmed(text, s0, e0)
    } else {
        (s0, e0)
    };
    let mut r = FieldRef {
        changed: (s, e) != (s0, e0),
        ..FieldRef::input(0, s, e, 0, 0)
    };
    if !spec.lowercase && spec.values.is_empty() {
        return r;
    }
    let value = &text[s..e];
    let start = scratch.len();
    let lowered = spec.lowercase && value.chars().any(char::is_uppercase);
    if lowered {
        scratch.extend(value.chars().flat_map(char::to_lowercase));
    }
    let current = if lowered { &scratch[start..] } else { value };
    if let Some((_, to)) = spec.values.iter().find(|(from, _)| from == current) {
        scratch.truncate(start);
        scratch.push_str(to);
    } else if !lowered {
        return r;
    }
    r.set_changed(start, scratch.len());
    r
}

/// The plan for positional rows: adjacent plain fields whose columns follow
/// one another become one run; dropped fields are left out.
fn plan(targets: &[Target]) -> Vec<Seg> {
    let mut plan: Vec<Seg> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        match *t {
            Target::Drop => {}
            Target::Ruled(out) => plan.push(Seg::One { field: i, out }),
            Target::Plain(out) => match plan.last_mut() {
                Some(Seg::Run {
                    first,
                    count,
                    out: o,
                }) if *first + *count == i && *o + *count == out => *count += 1,
                _ => plan.push(Seg::Run {
                    first: i,
                    count: 1,
                    out,
                }),
            },
        }
    }
    plan
}
