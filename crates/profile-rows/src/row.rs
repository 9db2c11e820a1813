//! A row lent by a reader, and the table of column names rows refer to.

use std::collections::HashMap;

/// One row: the text of all its fields in one `String`, and where each ends.
///
/// A reader clears and refills the same `Row` for every record, so reading
/// allocates only while the buffers grow to the longest row.
///
/// ```
/// let mut rdr = profile_rows::ReaderBuilder::new()
///     .from_bytes(b"Email,Order.OrderID\nann@example.com,17\n".to_vec())?;
/// let mut row = profile_rows::Row::new();
/// assert!(rdr.read_row(&mut row)?);
/// assert_eq!(row.get(1), Some("17"));
/// assert_eq!(rdr.columns().name(1), "Order.OrderID");
/// # Ok::<(), profile_rows::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub(crate) text: String,
    pub(crate) ends: Vec<usize>,
    /// Column of each field; empty when field `i` is column `i` (CSV).
    pub(crate) cols: Vec<usize>,
    pub(crate) line: u64,
    pub(crate) byte: u64,
}

impl Row {
    /// An empty row, to be filled by a reader.
    pub fn new() -> Row {
        Row::default()
    }

    /// An empty row with room for `bytes` of text and `fields` fields
    /// (for CSV; JSON rows also note each field's column), so that filling
    /// it with a row like the one before allocates once, not as it grows.
    ///
    /// ```
    /// use profile_rows::Row;
    ///
    /// let mut row = Row::with_capacity(16, 2);
    /// row.push_field("ann@example.com");
    /// row.push_field("Ann");
    /// assert_eq!(row.len(), 2);
    /// ```
    pub fn with_capacity(bytes: usize, fields: usize) -> Row {
        Row {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(fields),
            ..Row::default()
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the row has no fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..end])
    }

    /// The column (an index into the reader's [`Columns`]) of field `i`.
    /// For CSV it is `i`; a JSON row may carry any subset of the columns.
    pub fn column(&self, i: usize) -> usize {
        self.cols.get(i).copied().unwrap_or(i)
    }

    /// True when field `i` is column `i` for every field.
    pub fn is_positional(&self) -> bool {
        self.cols.is_empty()
    }

    /// The fields in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = &self.text[start..end];
            start = end;
            s
        })
    }

    /// The text of all fields, one after another: field `i` is
    /// `text()[ends()[i - 1]..ends()[i]]` (from 0 for the first).
    ///
    /// ```
    /// let mut row = profile_rows::Row::new();
    /// row.push_field("ann");
    /// row.push_field("17");
    /// assert_eq!((row.text(), row.ends()), ("ann17", &[3, 5][..]));
    /// ```
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where each field ends in [`text`](Row::text).
    pub fn ends(&self) -> &[usize] {
        &self.ends
    }

    /// Line in the input where the row begins, from 1.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Offset in the decoded input where the row begins, from 0.
    pub fn byte(&self) -> u64 {
        self.byte
    }

    /// Empties the row, keeping its buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.cols.clear();
    }

    /// Appends a field as the next column (for building rows by hand).
    pub fn push_field(&mut self, value: &str) {
        debug_assert!(self.cols.is_empty(), "mixing positional and keyed fields");
        self.text.push_str(value);
        self.ends.push(self.text.len());
    }

    /// Appends a field of column `column` (for rows that carry a subset of
    /// the columns, in any order).
    pub fn push_column(&mut self, column: usize, value: &str) {
        if self.cols.is_empty() && !self.ends.is_empty() {
            self.cols.extend(0..self.ends.len());
        }
        self.text.push_str(value);
        self.ends.push(self.text.len());
        self.cols.push(column);
    }

    /// Sets where the row began (for rows built by hand).
    pub fn set_line(&mut self, line: u64) {
        self.line = line;
    }
}

/// A row as a consumer reads it: its fields, each a column id and a value,
/// and the input line it began on.
///
/// A reader's [`Row`] is one; so is a row lent by a later stage that
/// renames, drops or rewrites fields without copying the rest (the
/// `field-map` crate's mapped rows). Consumers such as a batcher take any
/// `RowView`, and may copy a [`Row`] in one piece through
/// [`as_row`](RowView::as_row).
///
/// ```
/// use profile_rows::{Row, RowView};
///
/// let mut row = Row::new();
/// row.push_field("ann@example.com");
/// row.push_field("17");
/// let view: &dyn RowView = &row;
/// assert_eq!(view.field(1), (1, "17"));
/// ```
pub trait RowView {
    /// Input line where the row begins, from 1.
    fn line(&self) -> u64;
    /// Number of fields.
    fn len(&self) -> usize;
    /// True when the row has no fields.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Field `i` (below [`len`](RowView::len)): its column id and value.
    fn field(&self, i: usize) -> (usize, &str);
    /// The view as one [`Row`], when it is one.
    fn as_row(&self) -> Option<&Row> {
        None
    }

    /// Appends the values to `text`, and per field its end in `text` to
    /// `ends` and its column to `cols`: what a consumer that keeps rows
    /// does. A view may do it faster than field by field (a run of values
    /// that lie side by side is copied in one piece).
    fn append_to(&self, text: &mut Vec<u8>, ends: &mut Vec<usize>, cols: &mut Vec<usize>) {
        for i in 0..self.len() {
            let (col, value) = self.field(i);
            text.extend_from_slice(value.as_bytes());
            ends.push(text.len());
            cols.push(col);
        }
    }
}

impl RowView for Row {
    fn line(&self) -> u64 {
        self.line
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn field(&self, i: usize) -> (usize, &str) {
        (self.column(i), self.get(i).expect("field index in range"))
    }

    fn as_row(&self) -> Option<&Row> {
        Some(self)
    }
}

/// The columns of an input, each name held once; rows refer to them by index.
///
/// A name with a dot is a subprofile field: `Order.OrderID` is field `OrderID`
/// of collection `Order` (split at the first dot; deeper levels stay in the
/// field name).
#[derive(Clone, Debug, Default)]
pub struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    /// An empty table.
    pub fn new() -> Columns {
        Columns::default()
    }

    /// Adds `name` and returns its index, or the index it already has.
    pub fn intern(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are no columns.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Name of column `i`. Panics when `i` is out of range.
    pub fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    /// All names, in order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.names.iter().map(String::as_str)
    }

    /// Index of `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The collection of column `i` (`Order` for `Order.OrderID`), or `None`
    /// for a profile field.
    pub fn collection(&self, i: usize) -> Option<&str> {
        split_dotted(&self.names[i]).0
    }

    /// Profile fields, then each collection with its fields, in first-seen order.
    pub fn groups(&self) -> Vec<(Option<&str>, Vec<&str>)> {
        let mut groups: Vec<(Option<&str>, Vec<&str>)> = vec![(None, vec![])];
        for name in &self.names {
            let (coll, field) = split_dotted(name);
            match groups.iter_mut().find(|(c, _)| *c == coll) {
                Some((_, fields)) => fields.push(field),
                None => groups.push((coll, vec![field])),
            }
        }
        if groups[0].1.is_empty() {
            groups.remove(0);
        }
        groups
    }
}

/// `Order.OrderID` -> (`Some("Order")`, `OrderID`); `Email` -> (`None`, `Email`).
pub fn split_dotted(name: &str) -> (Option<&str>, &str) {
    match name.split_once('.') {
        Some((coll, field)) => (Some(coll), field),
        None => (None, name),
    }
}
