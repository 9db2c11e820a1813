//! Rows in, complete request bodies out, each within its bounds.
//!
//! How it works. The open batch keeps a copy of its rows (an arena: one
//! string of values, field ends, column ids) and its payload rendered so far:
//! the body's head and source up to the last row. A new row is rendered onto
//! the end of the payload and the bound is checked on the bytes written plus
//! the longest possible tail (`]"` and `,"rebuild":false}`). When it does not
//! fit, the row is taken back off and the batch closes; the row, and the rows
//! before it of the same profile, open the next batch. The stored rows make
//! two rare cases exact: a column that first appears mid-batch (JSON input)
//! re-renders the batch, since every object of a source must list the same
//! fields in the same order; and a profile group moved to the next batch is
//! rendered again there.
//!
//! `rebuild` is written in the body's tail, after `source`, so the last
//! body can say `true` without knowing in advance that it is the last.

use std::io;
use std::ops::Range;

use profile_rows::{split_dotted, Columns, RowView};
use serde::Serialize;

use crate::error::{Error, ParamError};
use crate::escape::{self, Level};
use crate::params::{Action, DeleteTarget, ImportParams, SourceFormat};
use crate::short_copy;

/// The bounds of each body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes in a body (or, with `location`, in a data file): 5 MiB by default.
    pub max_bytes: usize,
    /// Most rows in a body: unbounded by default.
    pub max_rows: Option<usize>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 5 << 20,
            max_rows: None,
        }
    }
}

/// One finished batch, lent to a [`Sink`].
#[derive(Debug)]
pub struct Batch<'a> {
    /// Part number, from 1.
    pub part: u32,
    /// The request body, exactly as it must be sent.
    pub body: &'a [u8],
    /// With `location`: the data file the body points at, and its name.
    pub data: Option<(&'a str, &'a [u8])>,
    /// Rows in the batch.
    pub rows: usize,
    /// Input line of the first row.
    pub first_line: u64,
    /// Input line of the last row.
    pub last_line: u64,
    /// This is the last batch.
    pub last: bool,
}

/// Receives batches as they are finished.
pub trait Sink {
    /// Takes one batch (write it, hash it, send it).
    fn batch(&mut self, batch: &Batch<'_>) -> io::Result<()>;

    /// Called right after [`batch`](Sink::batch) with that batch's buffers:
    /// the body and, with `location`, the data file. A sink that needs the
    /// bytes after it returns (to write them on another thread, say) swaps
    /// in buffers of its own instead of copying the batch, and the batcher
    /// renders the next batch into those; it clears them first. The default
    /// keeps nothing.
    ///
    /// ```
    /// use import_batches::{Batch, Sink};
    ///
    /// /// Keeps every body, without copying one.
    /// struct Keep(Vec<Vec<u8>>);
    ///
    /// impl Sink for Keep {
    ///     fn batch(&mut self, _: &Batch<'_>) -> std::io::Result<()> {
    ///         Ok(())
    ///     }
    ///     fn keep(&mut self, body: &mut Vec<u8>, _: Option<&mut Vec<u8>>) -> std::io::Result<()> {
    ///         self.0.push(std::mem::take(body));
    ///         Ok(())
    ///     }
    /// }
    /// ```
    fn keep(&mut self, body: &mut Vec<u8>, data: Option<&mut Vec<u8>>) -> io::Result<()> {
        let _ = (body, data);
        Ok(())
    }
}

impl<F: FnMut(&Batch<'_>) -> io::Result<()>> Sink for F {
    fn batch(&mut self, batch: &Batch<'_>) -> io::Result<()> {
        self(batch)
    }
}

/// The file name of a part: `batch-00001.json`.
pub fn file_name(part: u32, ext: &str) -> String {
    format!("batch-{part:05}.{ext}")
}

/// What became of the whole run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Batches written.
    pub batches: u32,
    /// Rows written.
    pub rows: u64,
    /// Rows rejected by the batcher (empty keys, too large).
    pub rejected: u64,
    /// Things a person should know, each once.
    pub warnings: Vec<String>,
}

/// The rows of the open batch, copied: one string of values, field ends and
/// column ids, and per row its first field and input line.
#[derive(Default)]
struct Arena {
    /// The values, one after another, then `short_copy::BLOCK` bytes of
    /// padding once a row is in: so a value near the end is copied in a
    /// block as any other.
    text: Vec<u8>,
    ends: Vec<usize>,
    cols: Vec<usize>,
    rows: Vec<(usize, u64)>,
}

impl Arena {
    /// Where the values end: the padding starts there.
    fn end(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    /// Takes the padding off, for text to be added.
    fn unpad(&mut self) {
        self.text.truncate(self.end());
    }

    /// Puts the padding back.
    fn pad(&mut self) {
        self.text.extend_from_slice(&[0; short_copy::BLOCK]);
    }

    fn push<R: RowView + ?Sized>(&mut self, view: &R) {
        self.unpad();
        match view.as_row() {
            None => {
                self.rows.push((self.ends.len(), view.line()));
                view.append_to(&mut self.text, &mut self.ends, &mut self.cols);
            }
            Some(row) => {
                self.rows.push((self.ends.len(), row.line()));
                let base = self.text.len();
                self.text.extend_from_slice(row.text().as_bytes());
                self.ends.extend(row.ends().iter().map(|e| e + base));
                if row.is_positional() {
                    self.cols.extend(0..row.len());
                } else {
                    self.cols.extend((0..row.len()).map(|i| row.column(i)));
                }
            }
        }
        self.pad();
    }

    /// Adds row `r` of `other`.
    fn push_from(&mut self, other: &Arena, r: usize) {
        self.unpad();
        self.rows.push((self.ends.len(), other.line(r)));
        for f in other.fields(r) {
            self.text.extend_from_slice(other.value(f));
            self.ends.push(self.text.len());
            self.cols.push(other.cols[f]);
        }
        self.pad();
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn fields(&self, r: usize) -> Range<usize> {
        let end = self.rows.get(r + 1).map_or(self.ends.len(), |&(f, _)| f);
        self.rows[r].0..end
    }

    fn value(&self, f: usize) -> &[u8] {
        let (start, end) = self.span(f);
        &self.text[start..end]
    }

    /// Where value `f` starts and ends in `text`.
    fn span(&self, f: usize) -> (usize, usize) {
        let start = if f == 0 { 0 } else { self.ends[f - 1] };
        (start, self.ends[f])
    }

    /// The text of row `r`'s values, one after another.
    fn row_text(&self, r: usize) -> &[u8] {
        let fields = self.fields(r);
        let at = |f: usize| if f == 0 { 0 } else { self.ends[f - 1] };
        &self.text[at(fields.start)..at(fields.end)]
    }

    fn line(&self, r: usize) -> u64 {
        self.rows[r].1
    }

    /// The value of column `col` among `fields` (a row's), or "" when
    /// absent.
    fn value_in(&self, fields: Range<usize>, col: Option<usize>) -> &[u8] {
        let Some(col) = col else { return b"" };
        // A row read by position has column `col` at field `col`.
        let at = fields.start + col;
        let found = if at < fields.end && self.cols[at] == col {
            Some(at)
        } else {
            fields.clone().find(|&f| self.cols[f] == col)
        };
        found.map_or(b"", |f| self.value(f))
    }

    /// Moves rows `from..` to the end of `other`.
    fn move_tail(&mut self, from: usize, other: &mut Arena) {
        if from == self.len() {
            return;
        }
        let f0 = self.rows[from].0;
        let t0 = if f0 == 0 { 0 } else { self.ends[f0 - 1] };
        other.unpad();
        let (base_f, base_t) = (other.ends.len(), other.text.len());
        for &(f, line) in &self.rows[from..] {
            other.rows.push((f - f0 + base_f, line));
        }
        other.text.extend_from_slice(&self.text[t0..self.end()]);
        other
            .ends
            .extend(self.ends[f0..].iter().map(|e| e - t0 + base_t));
        other.cols.extend_from_slice(&self.cols[f0..]);
        other.pad();
        self.truncate(from);
    }

    fn truncate(&mut self, r: usize) {
        if r >= self.len() {
            return;
        }
        let f0 = self.rows[r].0;
        let t0 = if f0 == 0 { 0 } else { self.ends[f0 - 1] };
        self.rows.truncate(r);
        self.ends.truncate(f0);
        self.cols.truncate(f0);
        self.text.truncate(t0);
        self.pad();
    }

    fn clear(&mut self) {
        self.truncate(0);
    }
}

/// The arena field of the value in place `p` (column `c`) of a row whose
/// fields start at `start`: by place when the row has the batch's columns
/// in order (`direct`), else by the row's `lookup` table (field + 1, 0 for
/// none).
#[inline]
fn field_at(lookup: &[usize], start: usize, direct: bool, p: usize, c: usize) -> Option<usize> {
    match direct {
        true => Some(start + p),
        false => lookup[c].checked_sub(1),
    }
}

#[derive(Default)]
struct Alone {
    payload: Vec<u8>,
    offsets: Vec<usize>,
    cols: Vec<usize>,
}

/// The head of a body: the parameters, borrowed.
#[derive(Serialize)]
struct Head<'a> {
    database: u64,
    name: &'a str,
    followups: bool,
    autostart: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<Action>,
    #[serde(rename = "keyFields", skip_serializing_if = "<[_]>::is_empty")]
    key_fields: &'a [String],
    #[serde(rename = "ignoreEmptyFields")]
    ignore_empty_fields: bool,
    #[serde(rename = "removeMissing")]
    remove_missing: bool,
    #[serde(rename = "deleteTarget", skip_serializing_if = "Option::is_none")]
    delete_target: Option<DeleteTarget>,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delimiter: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
}

/// Turns rows into bounded bodies. See the [crate docs](crate) for an example.
pub struct Batcher {
    params: ImportParams,
    limits: Limits,
    location_base: Option<String>,
    /// Nesting of the payload's text: in a string for `json`/`csv` sources.
    level: Level,
    // Per column id: its name, and its JSON key (`"name":`) at `level`.
    names: Vec<String>,
    keys: Vec<Vec<u8>>,
    /// Per column id: index into `coll_keys` of its collection's key, if keyed.
    coll_of: Vec<Option<usize>>,
    /// Column ids of the profile keys (None: not a column yet).
    profile_keys: Vec<(String, Option<usize>)>,
    /// Collection key fields: (collection, key name, column id).
    coll_keys: Vec<(String, String, Option<usize>)>,

    part: u32,
    arena: Arena,
    spare: Arena,
    /// Column ids of the open batch in order, and each id's position (+1, 0 = absent).
    cols: Vec<usize>,
    slot: Vec<usize>,
    /// The text before each value of a row of the open batch's columns
    /// (json and array sources): `{"Email":"` first, then `","City":"`,
    /// at the body's level; `template_ends` says where each ends. Kept in
    /// step with `cols`: columns are only ever added, or all taken back.
    template: Vec<u8>,
    template_ends: Vec<usize>,
    payload: Vec<u8>,
    row_offsets: Vec<usize>,
    group_start: usize,
    group_key: Vec<u8>,
    key_scratch: Vec<u8>,
    group_split_warned: bool,
    lookup: Vec<usize>,
    body: Vec<u8>,
    data_name: String,
    /// Spare buffers for trying a row alone.
    alone: Alone,
    /// The open batch's name, `NAME (part N)`, rebuilt in place.
    part_name: String,
    summary: Summary,
    csv_escape_warned: bool,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("params", &self.params)
            .field("limits", &self.limits)
            .field("part", &self.part)
            .finish_non_exhaustive()
    }
}

/// Longest tail a body can end with: `,"rebuild":false}`.
const REBUILD_TAIL_MAX: usize = 17;

impl Batcher {
    /// A batcher for `params` (checked here) within `limits`. With
    /// `location_base`, each body points at `BASE/batch-0000N.EXT` instead of
    /// holding the rows, and the rows go to that data file.
    pub fn new(
        params: ImportParams,
        limits: Limits,
        location_base: Option<String>,
    ) -> Result<Batcher, ParamError> {
        params.validate(None)?;
        if limits.max_rows == Some(0) {
            return Err(ParamError::Limit("--max-rows must be at least 1".into()));
        }
        let level = match (params.source_format, &location_base) {
            (SourceFormat::Json | SourceFormat::Csv, None) => Level::InString,
            _ => Level::Raw,
        };
        let profile_keys = params
            .profile_keys()
            .map(|k| (k.to_string(), None))
            .collect();
        let coll_keys = params
            .key_fields
            .iter()
            .filter_map(|k| split_dotted(k).0.map(|c| (c.to_string(), k.clone(), None)))
            .collect();
        let location_base = location_base.map(|b| b.trim_end_matches('/').to_string());
        let mut b = Batcher {
            params,
            limits,
            location_base,
            level,
            names: Vec::new(),
            keys: Vec::new(),
            coll_of: Vec::new(),
            profile_keys,
            coll_keys,
            part: 0,
            arena: Arena::default(),
            spare: Arena::default(),
            cols: Vec::new(),
            slot: Vec::new(),
            template: Vec::new(),
            template_ends: Vec::new(),
            payload: Vec::new(),
            row_offsets: Vec::new(),
            group_start: 0,
            group_key: Vec::new(),
            key_scratch: Vec::new(),
            group_split_warned: false,
            lookup: Vec::new(),
            body: Vec::new(),
            data_name: String::new(),
            alone: Alone::default(),
            part_name: String::new(),
            summary: Summary::default(),
            csv_escape_warned: false,
        };
        // The bound must hold at least an empty body.
        b.part = 1;
        b.render_prefix();
        let empty = b.payload.len() + b.tail_reserve();
        b.part = 0;
        if empty > b.limits.max_bytes {
            return Err(ParamError::Limit(format!(
                "--max-bytes {} cannot hold even an empty body ({empty} bytes)",
                b.limits.max_bytes
            )));
        }
        Ok(b)
    }

    /// Warnings so far.
    pub fn warnings(&self) -> &[String] {
        &self.summary.warnings
    }

    /// Adds a row. `columns` names the row's column ids (the reader's table,
    /// which may grow between calls). Returns the reason when the row is
    /// rejected; finished batches go to `sink` as they close.
    pub fn push<R: RowView + ?Sized>(
        &mut self,
        row: &R,
        columns: &Columns,
        sink: &mut dyn Sink,
    ) -> Result<Option<String>, Error> {
        self.learn_columns(columns);
        // Keys are looked up in the arena's copy: one plain table for every
        // kind of row (a mapped row's fields are in pieces).
        self.arena.push(row);
        let idx = self.arena.len() - 1;
        if let Some(reason) = self.keys(idx) {
            self.arena.truncate(idx);
            self.summary.rejected += 1;
            return Ok(Some(reason));
        }
        if self.params.source_format == SourceFormat::Csv && !self.csv_escape_warned {
            let suspect = |v: &str| memchr::memchr2(b'\\', b'\'', v.as_bytes()).is_some();
            // One search of the row's text; the value only to name it.
            let found = match row.as_row() {
                Some(r) => suspect(r.text()).then(|| r.iter().find(|v| suspect(v))),
                None => Some((0..row.len()).map(|i| row.field(i).1).find(|v| suspect(v))),
            };
            if let Some(v) = found.flatten() {
                self.csv_escape_warned = true;
                let line = row.line();
                self.summary.warnings.push(format!(
                    "line {line}: a value holds a backslash or an apostrophe ({v:?}); Copernica's CSV reader treats a backslash as an escape, so such values may change; --source-format json keeps them exact"
                ));
            }
        }
        match self.place_last(sink)? {
            None => {
                self.summary.rows += 1;
                Ok(None)
            }
            Some(reason) => {
                self.summary.rejected += 1;
                Ok(Some(reason))
            }
        }
    }

    /// Closes the last batch (with `rebuild` if asked) and sums up.
    pub fn finish(mut self, sink: &mut dyn Sink) -> Result<Summary, Error> {
        if self.arena.len() > 0 {
            self.close(true, sink)?;
        }
        Ok(self.summary)
    }

    fn learn_columns(&mut self, columns: &Columns) {
        for id in self.names.len()..columns.len() {
            let name = columns.name(id).to_string();
            let mut key = Vec::new();
            self.level.json_str(&mut key, name.as_bytes());
            self.level.raw(&mut key, b":");
            self.keys.push(key);
            let coll = split_dotted(&name).0;
            self.coll_of
                .push(coll.and_then(|c| self.coll_keys.iter().position(|(kc, _, _)| kc == c)));
            for (k, col) in &mut self.profile_keys {
                if *k == name {
                    *col = Some(id);
                }
            }
            for (_, k, col) in &mut self.coll_keys {
                if *k == name {
                    *col = Some(id);
                }
            }
            self.names.push(name);
            self.slot.push(0);
            self.lookup.push(0);
        }
    }

    /// Puts arena row `r`'s profile key values into `key_scratch` (empty:
    /// no keys); why the row cannot be sent, if its keys say so.
    fn keys(&mut self, r: usize) -> Option<String> {
        let fields = self.arena.fields(r);
        self.key_scratch.clear();
        for (i, (name, col)) in self.profile_keys.iter().enumerate() {
            let value = self.arena.value_in(fields.clone(), *col);
            if value.is_empty() {
                return Some(format!("empty key field {name}"));
            }
            if i > 0 {
                self.key_scratch.push(0x1f);
            }
            self.key_scratch.extend_from_slice(value);
        }
        if self.coll_keys.is_empty() {
            return None;
        }
        for f in fields.clone() {
            if self.arena.value(f).is_empty() {
                continue;
            }
            if let Some(k) = self.coll_of[self.arena.cols[f]] {
                let (coll, name, col) = &self.coll_keys[k];
                if self.arena.value_in(fields.clone(), *col).is_empty() {
                    return Some(format!(
                        "has fields of collection {coll} but an empty key field {name}"
                    ));
                }
            }
        }
        None
    }

    /// Places the arena's last row in the open batch, closing batches as
    /// needed. `key_scratch` holds the row's profile key. Returns a reason
    /// when the row cannot go in any body.
    fn place_last(&mut self, sink: &mut dyn Sink) -> Result<Option<String>, Error> {
        let idx = self.arena.len() - 1;
        let same_group =
            idx > 0 && !self.profile_keys.is_empty() && self.key_scratch == self.group_key;
        if !same_group {
            self.group_start = idx;
            self.group_split_warned = false;
            std::mem::swap(&mut self.group_key, &mut self.key_scratch);
        }
        if idx == 0 {
            self.part += 1;
            self.render_prefix();
        }
        if self.try_render(idx) {
            return Ok(None);
        }
        // The row does not fit here. Unless it cannot fit anywhere, it opens
        // the next batch, taking along the rows of its profile before it
        // (when they did not start this batch).
        if idx == 0 || !self.fits_alone(idx) {
            let reason = format!(
                "row does not fit in a body of --max-bytes {} even alone",
                self.limits.max_bytes
            );
            self.arena.truncate(idx);
            if idx == 0 {
                self.part -= 1;
            }
            return Ok(Some(reason));
        }
        let carry_from = if same_group && self.group_start > 0 {
            self.group_start
        } else {
            idx
        };
        if same_group && self.group_start == 0 && !self.group_split_warned {
            self.group_split_warned = true;
            self.summary.warnings.push(format!(
                "profile {} has more rows than fit in one body: they are split between parts {} and {}",
                String::from_utf8_lossy(&self.group_key).replace('\u{1f}', ", "),
                self.part,
                self.part + 1
            ));
        }
        let mut carried = std::mem::take(&mut self.spare);
        self.arena.move_tail(carry_from, &mut carried);
        if carry_from < idx {
            self.drop_rendered(carry_from);
        }
        self.close(false, sink)?;
        // Place the carried rows again, in order, in the new batch; they are
        // all of the group's profile (or the one row), so they share its key.
        let warned = self.group_split_warned;
        let mut reason = None;
        for r in 0..carried.len() {
            self.arena.push_from(&carried, r);
            self.key_scratch.clone_from(&self.group_key);
            reason = self.place_last(sink)?;
            self.group_split_warned |= warned;
        }
        carried.clear();
        self.spare = carried;
        Ok(reason)
    }

    fn cols_reset(&mut self) {
        self.cols_truncate(0);
    }

    /// Takes back the columns from position `n` on.
    fn cols_truncate(&mut self, n: usize) {
        for &c in &self.cols[n.min(self.cols.len())..] {
            self.slot[c] = 0;
        }
        self.cols.truncate(n);
        if n < self.template_ends.len() {
            self.template_ends.truncate(n);
            self.pad_template();
        }
    }

    /// The template's text, and `BLOCK` bytes after it for `short_copy`.
    fn pad_template(&mut self) {
        let len = self.template_ends.last().copied().unwrap_or(0);
        self.template.truncate(len);
        self.template.resize(len + short_copy::BLOCK, 0);
    }

    /// Extends the row template to every column of the open batch.
    fn extend_template(&mut self) {
        if self.template_ends.len() == self.cols.len() {
            return;
        }
        let q = self.level.quote();
        self.template
            .truncate(self.template_ends.last().copied().unwrap_or(0));
        while self.template_ends.len() < self.cols.len() {
            let p = self.template_ends.len();
            if p == 0 {
                self.template.push(b'{');
            } else {
                self.template.extend_from_slice(q);
                self.template.push(b',');
            }
            self.template.extend_from_slice(&self.keys[self.cols[p]]);
            self.template.extend_from_slice(q);
            self.template_ends.push(self.template.len());
        }
        self.pad_template();
    }

    /// Whether row `idx` fits in an empty batch of its own. Renders into
    /// spare buffers, so the open batch is untouched and nothing is allocated
    /// once they have grown.
    fn fits_alone(&mut self, idx: usize) -> bool {
        std::mem::swap(&mut self.payload, &mut self.alone.payload);
        std::mem::swap(&mut self.row_offsets, &mut self.alone.offsets);
        self.alone.cols.clear();
        self.alone.cols.extend_from_slice(&self.cols);
        self.cols_reset();
        self.part += 1;
        for f in self.arena.fields(idx) {
            self.add_col(self.arena.cols[f]);
        }
        self.render_prefix();
        self.render_row(idx, true);
        let fits = self.payload.len() + self.tail_reserve() <= self.limits.max_bytes;
        self.part -= 1;
        self.cols_reset();
        for i in 0..self.alone.cols.len() {
            self.add_col(self.alone.cols[i]);
        }
        std::mem::swap(&mut self.payload, &mut self.alone.payload);
        std::mem::swap(&mut self.row_offsets, &mut self.alone.offsets);
        fits
    }

    fn add_col(&mut self, c: usize) {
        if self.slot[c] == 0 {
            self.cols.push(c);
            self.slot[c] = self.cols.len();
        }
    }

    /// Renders arena row `idx` (the last) into the payload if it fits;
    /// otherwise leaves payload and columns as they were.
    fn try_render(&mut self, idx: usize) -> bool {
        let before_cols = self.cols.len();
        // A row with the batch's columns in its order (every CSV row after
        // the first) adds none.
        let fields = self.arena.fields(idx);
        let same = self.arena.cols[fields.clone()] == self.cols[..];
        if !same {
            for f in fields {
                self.add_col(self.arena.cols[f]);
            }
        }
        // New columns change every earlier object (and a CSV header): render again.
        let grew = self.cols.len() > before_cols;
        let mark = self.payload.len();
        if grew {
            self.rerender_rows(idx + 1);
        } else {
            self.row_offsets.push(mark);
            // No column added: the row has the batch's columns as before.
            self.render_row_as(idx, idx == 0, same);
        }
        let rows_ok = self.limits.max_rows.is_none_or(|m| idx < m);
        if rows_ok && self.payload.len() + self.tail_reserve() <= self.limits.max_bytes {
            return true;
        }
        // Undo.
        self.cols_truncate(before_cols);
        if grew {
            self.rerender_rows(idx);
        } else {
            self.payload.truncate(mark);
            self.row_offsets.pop();
        }
        false
    }

    /// Takes the rendered rows from `from` on off the payload, once the
    /// arena has given them up. Rows are rendered with every column of the
    /// batch, so when the rows left have them all (columns are kept in the
    /// order first met, so the same number is the same list), the rows
    /// before are already as they would be rendered again; otherwise all
    /// are rendered again.
    fn drop_rendered(&mut self, from: usize) {
        let mut left = 0;
        for f in 0..self.arena.ends.len() {
            let c = self.arena.cols[f];
            if self.lookup[c] == 0 {
                self.lookup[c] = 1;
                left += 1;
            }
        }
        for f in 0..self.arena.ends.len() {
            self.lookup[self.arena.cols[f]] = 0;
        }
        if left == self.cols.len() && from > 0 {
            self.payload.truncate(self.row_offsets[from]);
            self.row_offsets.truncate(from);
        } else {
            self.rerender();
        }
    }

    /// Recomputes the columns from the arena's rows and renders them all.
    fn rerender(&mut self) {
        self.cols_reset();
        for f in 0..self.arena.ends.len() {
            self.add_col(self.arena.cols[f]);
        }
        self.rerender_rows(self.arena.len());
    }

    fn rerender_rows(&mut self, n: usize) {
        self.render_prefix();
        self.row_offsets.clear();
        for r in 0..n {
            self.row_offsets.push(self.payload.len());
            self.render_row(r, r == 0);
        }
    }

    fn ext(&self) -> &'static str {
        match self.params.source_format {
            SourceFormat::Csv => "csv",
            _ => "json",
        }
    }

    fn render_head(&mut self, out_body: bool) {
        use std::fmt::Write;
        self.part_name.clear();
        let _ = write!(self.part_name, "{} (part {})", self.params.name, self.part);
        let name = self.part_name.as_str();
        let delim = [self.params.csv_delimiter];
        let csv = self.params.source_format == SourceFormat::Csv;
        let location = self
            .location_base
            .as_ref()
            .map(|base| format!("{base}/{}", file_name(self.part, self.ext())));
        let head = Head {
            database: self.params.database,
            name,
            followups: self.params.followups,
            autostart: self.params.autostart,
            action: self.params.action,
            key_fields: &self.params.key_fields,
            ignore_empty_fields: self.params.ignore_empty_fields,
            remove_missing: self.params.remove_missing,
            delete_target: self.params.delete_target,
            format: match (self.params.source_format, &location) {
                (SourceFormat::Csv, _) => Some("csv"),
                (SourceFormat::Json, _) | (SourceFormat::Array, Some(_)) => Some("json"),
                (SourceFormat::Array, None) => None,
            },
            delimiter: csv.then(|| std::str::from_utf8(&delim).unwrap_or(",")),
            location: location.as_deref(),
        };
        let out = if out_body {
            &mut self.body
        } else {
            &mut self.payload
        };
        out.clear();
        serde_json::to_writer(&mut *out, &head).expect("a head serializes into memory");
        out.pop(); // the closing brace: source and rebuild follow
    }

    fn render_prefix(&mut self) {
        if self.location_base.is_some() {
            self.payload.clear();
        } else {
            self.render_head(false);
            self.payload.extend_from_slice(b",\"source\":");
            if self.level == Level::InString {
                self.payload.push(b'"');
            }
        }
        match self.params.source_format {
            SourceFormat::Json | SourceFormat::Array => self.level.raw(&mut self.payload, b"["),
            SourceFormat::Csv => {
                for (p, &c) in self.cols.iter().enumerate() {
                    if p > 0 {
                        self.level
                            .raw(&mut self.payload, &[self.params.csv_delimiter]);
                    }
                    self.level.csv_field(
                        &mut self.payload,
                        self.names[c].as_bytes(),
                        self.params.csv_delimiter,
                    );
                }
                self.level.raw(&mut self.payload, b"\n");
            }
        }
    }

    /// The payload's tail, and the body's (`,"rebuild":false}` at most),
    /// plus room for a part number of 10 digits, so that whether a row fits
    /// never depends on which part it lands in.
    fn tail_reserve(&self) -> usize {
        let part_digits = self.part.max(1).ilog10() as usize + 1;
        let part_slack = if self.location_base.is_some() {
            0
        } else {
            10 - part_digits
        };
        let payload_tail = match self.params.source_format {
            SourceFormat::Json | SourceFormat::Array => 1,
            SourceFormat::Csv => 0,
        };
        if self.location_base.is_some() {
            payload_tail
        } else {
            payload_tail
                + usize::from(self.level == Level::InString)
                + REBUILD_TAIL_MAX
                + part_slack
        }
    }

    fn render_row(&mut self, r: usize, first: bool) {
        let fields = self.arena.fields(r);
        let direct = self.arena.cols[fields] == self.cols[..];
        self.render_row_as(r, first, direct);
    }

    /// [`render_row`](Batcher::render_row), told whether the row's columns
    /// are the batch's in order (`direct`): such a row (every CSV row) is
    /// rendered field by field; any other looks its values up.
    fn render_row_as(&mut self, r: usize, first: bool, direct: bool) {
        if self.params.source_format != SourceFormat::Csv {
            self.extend_template();
        }
        let fields = self.arena.fields(r);
        if !direct {
            for f in fields.clone() {
                self.lookup[self.arena.cols[f]] = f + 1;
            }
        }
        let lookup = &self.lookup;
        let field = |p: usize, c: usize| field_at(lookup, fields.start, direct, p, c);
        let out = &mut self.payload;
        let level = self.level;
        match self.params.source_format {
            SourceFormat::Json | SourceFormat::Array => {
                // `,` `{` `}` are the same at every level; most rows need no
                // escaping at all, which one check of the row's text tells.
                if !first {
                    out.push(b',');
                }
                let row_text = self.arena.row_text(r);
                if self.cols.is_empty() {
                    out.extend_from_slice(b"{}");
                } else if escape::is_clean(row_text) {
                    // The row is its template with the values in between:
                    // short copies into room made for the whole row.
                    let quote = level.quote();
                    let mut at = out.len();
                    let most = self.template.len() + row_text.len() + quote.len() + 1;
                    out.resize(at + most + short_copy::BLOCK, 0);
                    let mut start = 0;
                    for (p, (&c, &end)) in self.cols.iter().zip(&self.template_ends).enumerate() {
                        at = short_copy::put(out, at, &self.template, start, end - start);
                        start = end;
                        if let Some(f) = field(p, c) {
                            let (from, to) = self.arena.span(f);
                            at = short_copy::put(out, at, &self.arena.text, from, to - from);
                        }
                    }
                    out[at..at + quote.len()].copy_from_slice(quote);
                    at += quote.len();
                    out[at] = b'}';
                    out.truncate(at + 1);
                } else {
                    let mut start = 0;
                    for (p, (&c, &end)) in self.cols.iter().zip(&self.template_ends).enumerate() {
                        out.extend_from_slice(&self.template[start..end]);
                        start = end;
                        let v = field(p, c).map_or(&[][..], |f| self.arena.value(f));
                        level.json_text(out, v);
                    }
                    out.extend_from_slice(level.quote());
                    out.push(b'}');
                }
            }
            SourceFormat::Csv => {
                let d = self.params.csv_delimiter;
                // Values of a row with nothing to escape and no delimiter
                // need quoting only for a blank at either end.
                let row_text = self.arena.row_text(r);
                let plain = escape::is_clean(row_text) && memchr::memchr(d, row_text).is_none();
                let blank = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
                let value = |p: usize, c: usize| field(p, c).map_or((0, 0), |f| self.arena.span(f));
                let text = &self.arena.text;
                let bare = |(from, to): (usize, usize)| {
                    from == to || !(blank(text.get(from)) || blank(text.get(to - 1)))
                };
                if plain
                    && self
                        .cols
                        .iter()
                        .enumerate()
                        .all(|(p, &c)| bare(value(p, c)))
                {
                    // Nothing to quote: the values with the delimiter and
                    // the line end (as this level writes them) in between,
                    // short copies into room made for the whole line.
                    let (sep, sep_len) = level.raw_byte(d);
                    let (eol, eol_len) = level.raw_byte(b'\n');
                    let mut at = out.len();
                    let most = row_text.len() + self.cols.len() * sep_len + eol_len;
                    out.resize(at + most + short_copy::BLOCK, 0);
                    // The separators are copied whole (6 bytes, a fixed
                    // move), into room the next piece writes over.
                    for (p, &c) in self.cols.iter().enumerate() {
                        if p > 0 {
                            out[at..at + sep.len()].copy_from_slice(&sep);
                            at += sep_len;
                        }
                        let (from, to) = value(p, c);
                        at = short_copy::put(out, at, text, from, to - from);
                    }
                    out[at..at + eol.len()].copy_from_slice(&eol);
                    out.truncate(at + eol_len);
                } else {
                    self.render_csv_fields(r, direct, plain);
                }
            }
        }
        if !direct {
            for f in self.arena.fields(r) {
                self.lookup[self.arena.cols[f]] = 0;
            }
        }
    }

    /// [`render_row`](Batcher::render_row) of a CSV line with a value to
    /// quote or escape: field by field. `plain`: the line's text has nothing
    /// to escape and no delimiter (only a blank at a value's end to quote).
    fn render_csv_fields(&mut self, r: usize, direct: bool, plain: bool) {
        let start = self.arena.fields(r).start;
        let lookup = &self.lookup;
        let field = |p: usize, c: usize| field_at(lookup, start, direct, p, c);
        let out = &mut self.payload;
        let level = self.level;
        let d = self.params.csv_delimiter;
        let blank = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
        let (sep, sep_len) = level.raw_byte(d);
        for (p, &c) in self.cols.iter().enumerate() {
            if p > 0 {
                out.extend_from_slice(&sep[..sep_len]);
            }
            let v = field(p, c).map_or(&[][..], |f| self.arena.value(f));
            // Of a line with something to quote, the other values go as they are.
            let clean = plain || (escape::is_clean(v) && memchr::memchr(d, v).is_none());
            if clean && !blank(v.first()) && !blank(v.last()) {
                out.extend_from_slice(v);
            } else {
                level.csv_field(out, v, d);
            }
        }
        level.raw(out, b"\n");
    }

    /// Finishes the open batch, hands it to the sink and empties it.
    fn close(&mut self, last: bool, sink: &mut dyn Sink) -> Result<(), Error> {
        if !last && self.params.remove_missing {
            return Err(ParamError::RemoveMissingSplit {
                parts: self.part + 1,
            }
            .into());
        }
        let rebuild = self.params.rebuild && last;
        let tail: &[u8] = if rebuild {
            b",\"rebuild\":true}"
        } else {
            b",\"rebuild\":false}"
        };
        let n = self.arena.len();
        if self.location_base.is_some() {
            if matches!(
                self.params.source_format,
                SourceFormat::Json | SourceFormat::Array
            ) {
                self.payload.push(b']');
            }
            self.render_head(true);
            self.body.extend_from_slice(tail);
            self.data_name = file_name(self.part, self.ext());
        } else {
            match self.params.source_format {
                SourceFormat::Json => self.payload.extend_from_slice(b"]\""),
                SourceFormat::Array => self.payload.push(b']'),
                SourceFormat::Csv => self.payload.push(b'"'),
            }
            self.payload.extend_from_slice(tail);
        }
        let (body, data) = if self.location_base.is_some() {
            (
                &self.body[..],
                Some((self.data_name.as_str(), &self.payload[..])),
            )
        } else {
            (&self.payload[..], None)
        };
        if body.len() > self.limits.max_bytes {
            return Err(ParamError::Limit(format!(
                "--max-bytes {} cannot hold a body that points at a data file ({} bytes)",
                self.limits.max_bytes,
                body.len()
            ))
            .into());
        }
        debug_assert!(data.is_none_or(|(_, d)| d.len() <= self.limits.max_bytes));
        sink.batch(&Batch {
            part: self.part,
            body,
            data,
            rows: n,
            first_line: self.arena.line(0),
            last_line: self.arena.line(n - 1),
            last,
        })?;
        if self.location_base.is_some() {
            sink.keep(&mut self.body, Some(&mut self.payload))?;
        } else {
            sink.keep(&mut self.payload, None)?;
        }
        self.summary.batches += 1;
        self.arena.clear();
        self.cols_reset();
        self.row_offsets.clear();
        Ok(())
    }
}
