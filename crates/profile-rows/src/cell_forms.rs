//! What a date cell's number format shows (a date, a date and time, a time,
//! an elapsed time), for the workbook kinds where calamine gives only the
//! value: `.xls` and `.ods` (read from the file's own styles into a map from
//! sheet position to form, for date cells only, as calamine loads them
//! whole anyway) and `.xlsb` (read beside calamine's cells reader, one
//! record at a time). `.xlsx` needs none of this: calamine's cells reader
//! gives each cell's style.
//!
//! Where the styles cannot be read (a BIFF5 `.xls`, a damaged part), no
//! form is known and it comes from the value.

use std::collections::HashMap;
use std::io::BufReader;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use crate::excel::{date_kind, DateKind};

/// Date cells recorded at most: a sheet cannot hold more cells than
/// calamine reads (16,384 columns by 1,048,576 rows), but repeated ODS
/// cells can claim that many; past this, forms come from the values.
const MAX_RECORDED: usize = 10_000_000;

/// The form of each date cell of one sheet, by (row, column) from 0.
#[derive(Debug, Default)]
pub(crate) struct Forms(HashMap<(u32, u32), DateKind>);

impl Forms {
    pub(crate) fn get(&self, row: u32, col: u32) -> Option<DateKind> {
        self.0.get(&(row, col)).copied()
    }

    /// False when no more can be recorded.
    fn add(&mut self, row: u32, col: u32, kind: DateKind) -> bool {
        if self.0.len() >= MAX_RECORDED {
            return false;
        }
        self.0.insert((row, col), kind);
        true
    }
}

/// What Excel's built-in number format `id` shows, when a date or time.
fn builtin(id: u16) -> Option<DateKind> {
    match id {
        14..=17 | 27..=36 | 50..=58 => Some(DateKind::Date),
        18..=21 | 45 | 47 => Some(DateKind::Time),
        22 => Some(DateKind::DateTime),
        46 => Some(DateKind::Elapsed),
        _ => None,
    }
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// BIFF records: (type, data).
fn records(stream: &[u8], from: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = from;
    std::iter::from_fn(move || {
        let ty = u16_at(stream, at)?;
        let len = usize::from(u16_at(stream, at + 2)?);
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((ty, data))
    })
}

/// A BIFF8 string of `cch` characters at `b[i..]`: a flags byte (bit 0: two
/// bytes per character), then the characters.
fn biff_string(b: &[u8], i: usize, cch: usize) -> Option<String> {
    let wide = b.get(i)? & 1 == 1;
    let chars = b.get(i + 1..)?;
    if wide {
        let units: Vec<u16> = (0..cch)
            .map(|k| u16_at(chars, k * 2))
            .collect::<Option<_>>()?;
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(chars.get(..cch)?.iter().map(|&c| char::from(c)).collect())
    }
}

/// The forms of the date cells of every sheet of a BIFF8 `.xls` file.
fn xls(bytes: &[u8]) -> HashMap<String, Forms> {
    let mut all = HashMap::new();
    let Ok(ole) = crate::ole::Ole::parse(bytes) else {
        return all;
    };
    let Some(stream) = ole.stream("Workbook") else {
        return all; // BIFF5 keeps a `Book` stream, with other records
    };
    let mut formats: HashMap<u16, Option<DateKind>> = HashMap::new();
    let mut xf_formats: Vec<u16> = Vec::new();
    let mut sheets = Vec::new();
    for (ty, data) in records(&stream, 0) {
        match ty {
            // FORMAT: ifmt, then the format code.
            0x041E => {
                let (Some(id), Some(cch)) = (u16_at(data, 0), u16_at(data, 2)) else {
                    continue;
                };
                if let Some(code) = biff_string(data, 4, usize::from(cch)) {
                    formats.insert(id, date_kind(&code));
                }
            }
            // XF: font, then the number format.
            0x00E0 => xf_formats.push(u16_at(data, 2).unwrap_or(0)),
            // BOUNDSHEET8: where the sheet's records start, and its name.
            0x0085 if data.len() > 8 => {
                if let (Some(name), Some(at)) =
                    (biff_string(data, 7, usize::from(data[6])), u32_at(data, 0))
                {
                    sheets.push((name, at as usize));
                }
            }
            0x000A => break, // EOF of the globals
            _ => {}
        }
    }
    let kind_of = |xf: u16| -> Option<DateKind> {
        let id = *xf_formats.get(usize::from(xf))?;
        match formats.get(&id) {
            Some(kind) => *kind,
            None => builtin(id),
        }
    };
    for (name, at) in sheets {
        let mut forms = Forms::default();
        for (ty, data) in records(&stream, at).skip(1) {
            let cell = || Some((u16_at(data, 0)?, u16_at(data, 2)?, u16_at(data, 4)?));
            match ty {
                // NUMBER, RK, and a FORMULA whose cached result is a number
                // (bytes 6 and 7 of the result 0xFFFF mark any other kind).
                0x0203 | 0x027E | 0x0006 => {
                    if ty == 0x0006 && u16_at(data, 12) == Some(0xFFFF) {
                        continue;
                    }
                    if let Some((row, col, xf)) = cell() {
                        if let Some(kind) = kind_of(xf) {
                            forms.add(row.into(), col.into(), kind);
                        }
                    }
                }
                // MULRK: row, first column, then (xf, rk) pairs of 6 bytes.
                0x00BD => {
                    let (Some(row), Some(first)) = (u16_at(data, 0), u16_at(data, 2)) else {
                        continue;
                    };
                    let pairs = data.len().saturating_sub(6) / 6;
                    for k in 0..pairs {
                        if let Some(kind) = u16_at(data, 4 + k * 6).and_then(kind_of) {
                            forms.add(row.into(), u32::from(first) + k as u32, kind);
                        }
                    }
                }
                0x000A => break, // EOF of the sheet
                _ => {}
            }
        }
        all.insert(name, forms);
    }
    all
}

/// The forms of the date cells of every sheet, by sheet name, when `path`
/// is an `.xls` or `.ods` file; nothing for any other file.
pub(crate) fn read(path: &Path) -> HashMap<String, Forms> {
    let mut head = [0u8; 8];
    let Ok(mut f) = std::fs::File::open(path) else {
        return HashMap::new();
    };
    let n = crate::input::read_full(&mut f, &mut head).unwrap_or(0);
    if head[..n] == crate::ole::MAGIC {
        return std::fs::read(path).map(|b| xls(&b)).unwrap_or_default();
    }
    ods(path)
}

pub(crate) type Zip = zip::ZipArchive<BufReader<std::fs::File>>;

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    let a = e.attributes().flatten().find(|a| a.key.as_ref() == name)?;
    quick_xml::escape::unescape(&a.value)
        .ok()
        .map(|v| v.into_owned())
}

/// A repeat count (a number needs no unescaping): 1 when absent.
fn repeats(e: &BytesStart<'_>, name: &str) -> u32 {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.value.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// The data styles (date and time) and cell styles of an ODS part.
#[derive(Default)]
struct OdsStyles {
    data: HashMap<String, DateKind>,
    /// Cell style: (data style, parent cell style).
    cells: HashMap<String, (Option<String>, Option<String>)>,
    /// The data style being read: its name and form so far.
    open: Option<(String, DateKind)>,
}

impl OdsStyles {
    /// The form a cell style shows, through its parents.
    fn kind(&self, style: &str) -> Option<DateKind> {
        let mut name = style;
        for _ in 0..16 {
            let (data, parent) = self.cells.get(name)?;
            if let Some(data) = data {
                return self.data.get(data).copied();
            }
            name = parent.as_deref()?;
        }
        None
    }

    /// Reads the styles of a start or end event met outside a table.
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::Start(e) => self.start(e),
            Event::End(e) => {
                let name = e.name();
                if matches!(name.as_ref(), "number:date-style" | "number:time-style") {
                    if let Some((n, kind)) = self.open.take() {
                        self.data.insert(n, kind);
                    }
                }
            }
            _ => {}
        }
    }

    fn start(&mut self, e: &BytesStart<'_>) {
        let open = &mut self.open;
        match e.name().as_ref() {
            "number:date-style" => {
                *open = attr(e, "style:name").map(|n| (n, DateKind::Date));
            }
            "number:time-style" => {
                let elapsed = attr(e, "number:truncate-on-overflow").as_deref() == Some("false");
                let kind = if elapsed {
                    DateKind::Elapsed
                } else {
                    DateKind::Time
                };
                *open = attr(e, "style:name").map(|n| (n, kind));
            }
            "number:hours" | "number:minutes" | "number:seconds" => {
                if let Some((_, kind @ DateKind::Date)) = open {
                    *kind = DateKind::DateTime;
                }
            }
            "style:style" if attr(e, "style:family").as_deref() == Some("table-cell") => {
                if let Some(name) = attr(e, "style:name") {
                    let data = attr(e, "style:data-style-name");
                    let parent = attr(e, "style:parent-style-name");
                    self.cells.insert(name, (data, parent));
                }
            }
            _ => {}
        }
    }
}

fn xml_reader<'z>(
    zip: &'z mut Zip,
    part: &str,
) -> Option<quick_xml::Reader<BufReader<zip::read::ZipFile<'z, BufReader<std::fs::File>>>>> {
    let file = zip.by_name(part).ok()?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(file));
    reader.config_mut().expand_empty_elements = true;
    Some(reader)
}

/// The default cell style of column `col`, from a table's column entries
/// (each a repeat count and a style).
fn column_style(columns: &[(u32, Option<String>)], col: u32) -> Option<&str> {
    let mut first = 0u32;
    for (count, style) in columns {
        first = first.saturating_add(*count);
        if col < first {
            return style.as_deref();
        }
    }
    None
}

/// The forms of the date and time cells of every table of an `.ods` file,
/// counted as calamine counts rows and columns (repeats expanded).
fn ods(path: &Path) -> HashMap<String, Forms> {
    let mut all = HashMap::new();
    let Ok(file) = std::fs::File::open(path) else {
        return all;
    };
    let Ok(mut zip) = zip::ZipArchive::new(BufReader::new(file)) else {
        return all;
    };
    let mut styles = OdsStyles::default();
    let mut buf = Vec::new();
    if let Some(mut xml) = xml_reader(&mut zip, "styles.xml") {
        loop {
            match xml.read_event_into(&mut buf) {
                Ok(Event::Eof) | Err(_) => break,
                Ok(event) => styles.event(&event),
            }
            buf.clear();
        }
    }
    let Some(mut xml) = xml_reader(&mut zip, "content.xml") else {
        return all;
    };
    // Inside a table: its name, column default styles, the row, the column.
    let mut table: Option<String> = None;
    let mut forms = Forms::default();
    let mut columns: Vec<(u32, Option<String>)> = Vec::new();
    let (mut row, mut row_repeats, mut col) = (0u32, 1u32, 0u32);
    let mut row_style: Option<String> = None;
    let mut skip = Vec::new();
    loop {
        let event = xml.read_event_into(&mut buf);
        match event {
            Ok(Event::Start(e)) if table.is_none() && e.name().as_ref() == "table:table" => {
                table = Some(attr(&e, "table:name").unwrap_or_default());
                (row, col) = (0, 0);
                columns.clear();
            }
            Ok(ref event @ (Event::Start(_) | Event::End(_))) if table.is_none() => {
                styles.event(event)
            }
            Ok(Event::Start(e)) => match e.name().as_ref() {
                "table:table-column" => columns.push((
                    repeats(&e, "table:number-columns-repeated"),
                    attr(&e, "table:default-cell-style-name"),
                )),
                "table:table-row" => {
                    row_repeats = repeats(&e, "table:number-rows-repeated");
                    row_style = attr(&e, "table:default-cell-style-name");
                    col = 0;
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    // One look at the attributes: this runs for every cell.
                    let (mut n, mut dated, mut style) = (1u32, false, None);
                    for a in e.attributes().flatten() {
                        match a.key.as_ref() {
                            "table:number-columns-repeated" => {
                                n = a.value.parse().unwrap_or(1).max(1);
                            }
                            "office:value-type" => dated = matches!(&*a.value, "date" | "time"),
                            "table:style-name" => style = Some(a.value),
                            _ => {}
                        }
                    }
                    if dated {
                        let style = style
                            .as_deref()
                            .or(row_style.as_deref())
                            .or_else(|| column_style(&columns, col))
                            .unwrap_or("Default");
                        if let Some(kind) = styles.kind(style) {
                            'cells: for r in row..row.saturating_add(row_repeats) {
                                for c in col..col.saturating_add(n) {
                                    if !forms.add(r, c, kind) {
                                        break 'cells;
                                    }
                                }
                            }
                        }
                    }
                    col = col.saturating_add(n);
                    // The cell's text is not needed.
                    if xml.read_to_end_into(e.name(), &mut skip).is_err() {
                        return all;
                    }
                    skip.clear();
                }
                _ => {}
            },
            Ok(Event::End(e)) => match e.name().as_ref() {
                "table:table-row" => row = row.saturating_add(row_repeats),
                "table:table" => {
                    let name = table.take().unwrap_or_default();
                    all.insert(name, std::mem::take(&mut forms));
                }
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => return all,
            _ => {}
        }
        buf.clear();
    }
}

/// The records of an `.xlsb` part: a type of one or two bytes and a size of
/// up to four, seven bits each, as calamine reads them.
struct Records<R> {
    r: R,
    body: Vec<u8>,
}

impl<R: std::io::Read> Records<R> {
    fn byte(&mut self) -> Option<u8> {
        let mut b = [0u8];
        self.r.read_exact(&mut b).ok()?;
        Some(b[0])
    }

    /// The next record's type; its body is in `self.body`.
    fn next(&mut self) -> Option<u16> {
        let b = self.byte()?;
        let ty = if b & 0x80 != 0 {
            u16::from(b & 0x7F) | (u16::from(self.byte()? & 0x7F) << 7)
        } else {
            u16::from(b)
        };
        let mut len = 0usize;
        for i in 0..4 {
            let b = self.byte()?;
            len |= usize::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
        }
        self.body.resize(len, 0);
        self.r.read_exact(&mut self.body).ok()?;
        Some(ty)
    }
}

fn records_of<'z>(
    zip: &'z mut Zip,
    part: &str,
) -> Option<Records<BufReader<zip::read::ZipFile<'z, BufReader<std::fs::File>>>>> {
    let file = zip.by_name(part).ok()?;
    Some(Records {
        r: BufReader::new(file),
        body: Vec::new(),
    })
}

/// An XLWideString at `b[i..]`: a count of UTF-16 units, then the units.
fn wide_string(b: &[u8], i: usize) -> Option<(String, usize)> {
    let n = u32_at(b, i)? as usize;
    let units: Vec<u16> = (0..n)
        .map(|k| u16_at(b, i + 4 + k * 2))
        .collect::<Option<_>>()?;
    Some((String::from_utf16_lossy(&units), i + 4 + n * 2))
}

/// The form each cell format (XF) of an `.xlsb` shows, by XF index.
fn xlsb_styles(zip: &mut Zip) -> Vec<Option<DateKind>> {
    let mut kinds = Vec::new();
    let Some(mut rec) = records_of(zip, "xl/styles.bin") else {
        return kinds;
    };
    let mut formats: HashMap<u16, Option<DateKind>> = HashMap::new();
    let mut in_cell_xfs = false;
    while let Some(ty) = rec.next() {
        let b = &rec.body;
        match ty {
            // BrtFmt: ifmt, then the format code.
            0x002C => {
                if let (Some(id), Some((code, _))) = (u16_at(b, 0), wide_string(b, 2)) {
                    formats.insert(id, date_kind(&code));
                }
            }
            0x0269 => in_cell_xfs = true, // BrtBeginCellXFs
            0x026A => break,              // BrtEndCellXFs
            // BrtXF: parent, then the number format.
            0x002F if in_cell_xfs => {
                let id = u16_at(b, 2).unwrap_or(0);
                kinds.push(formats.get(&id).copied().unwrap_or_else(|| builtin(id)));
            }
            _ => {}
        }
    }
    kinds
}

/// The part holding the `.xlsb` sheet named `sheet`, as calamine finds it:
/// the sheet's relationship id in `xl/workbook.bin`, its target in
/// `xl/_rels/workbook.bin.rels`.
fn xlsb_sheet_part(zip: &mut Zip, sheet: &str) -> Option<String> {
    let mut rel = None;
    let mut rec = records_of(zip, "xl/workbook.bin")?;
    while let Some(ty) = rec.next() {
        match ty {
            // BrtBundleSh: state, tab id, relationship id, name.
            0x009C => {
                let (id, end) = wide_string(&rec.body, 8)?;
                if wide_string(&rec.body, end).is_some_and(|(name, _)| name == sheet) {
                    rel = Some(id);
                    break;
                }
            }
            0x0090 => break, // BrtEndBundleShs
            _ => {}
        }
    }
    drop(rec);
    let rel = rel?;
    let mut xml = xml_reader(zip, "xl/_rels/workbook.bin.rels")?;
    let mut buf = Vec::new();
    loop {
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e))
                if e.name().as_ref() == "Relationship"
                    && attr(&e, "Id").as_deref() == Some(rel.as_str()) =>
            {
                let target = attr(&e, "Target")?;
                return Some(format!("xl/{}", target.trim_start_matches("/xl/")));
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
        buf.clear();
    }
}

/// The forms of the number cells of one `.xlsb` sheet, read beside
/// calamine's cells reader: both go through the sheet in order, so this
/// holds one record at a time, never the sheet.
pub(crate) struct XlsbForms<'z> {
    records: Records<BufReader<zip::read::ZipFile<'z, BufReader<std::fs::File>>>>,
    kinds: Vec<Option<DateKind>>,
    row: u32,
    /// The next number cell met: (row, column, form).
    ahead: Option<(u32, u32, Option<DateKind>)>,
}

impl<'z> XlsbForms<'z> {
    /// Opens the sheet's part in `zip`, a second handle on the workbook.
    pub(crate) fn open(zip: &'z mut Zip, sheet: &str) -> Option<XlsbForms<'z>> {
        let kinds = xlsb_styles(zip);
        if kinds.iter().all(Option::is_none) {
            return None; // no date formats: nothing to look up
        }
        let part = xlsb_sheet_part(zip, sheet)?;
        let records = records_of(zip, &part)?;
        Some(XlsbForms {
            records,
            kinds,
            row: 0,
            ahead: None,
        })
    }

    /// The next number cell of the sheet, if any.
    fn next_number(&mut self) -> Option<(u32, u32, Option<DateKind>)> {
        loop {
            let ty = self.records.next()?;
            let b = &self.records.body;
            match ty {
                0x0000 => self.row = u32_at(b, 0)?,
                // BrtCellRk, BrtCellReal, BrtFmlaNum: column, then the
                // style (24 bits).
                0x0002 | 0x0005 | 0x0009 => {
                    let col = u32_at(b, 0)?;
                    let xf = u32_at(b, 4)? & 0x00FF_FFFF;
                    let kind = self.kinds.get(xf as usize).copied().flatten();
                    return Some((self.row, col, kind));
                }
                0x0092 => return None, // BrtEndSheetData
                _ => {}
            }
        }
    }

    /// What the number format of the cell at (`row`, `col`) shows; cells
    /// are asked for in sheet order.
    pub(crate) fn get(&mut self, row: u32, col: u32) -> Option<DateKind> {
        loop {
            match self.ahead {
                Some((r, c, kind)) if (r, c) == (row, col) => return kind,
                Some((r, c, _)) if (r, c) > (row, col) => return None,
                _ => self.ahead = Some(self.next_number()?),
            }
        }
    }
}

/// A second handle on an `.xlsb` workbook, for [`XlsbForms`].
pub(crate) fn xlsb_zip(path: &Path) -> Option<Zip> {
    let file = std::fs::File::open(path).ok()?;
    zip::ZipArchive::new(BufReader::new(file)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_built_in_formats_by_id() {
        assert_eq!(builtin(14), Some(DateKind::Date));
        assert_eq!(builtin(20), Some(DateKind::Time));
        assert_eq!(builtin(22), Some(DateKind::DateTime));
        assert_eq!(builtin(46), Some(DateKind::Elapsed));
        assert_eq!(builtin(2), None);
        assert_eq!(builtin(49), None); // "@", text
    }

    #[test]
    fn biff_strings_narrow_and_wide() {
        assert_eq!(biff_string(b"\x00abc", 0, 3).as_deref(), Some("abc"));
        assert_eq!(
            biff_string(b"\x01a\x00\xe9\x00", 0, 2).as_deref(),
            Some("aé")
        );
        assert_eq!(biff_string(b"\x00ab", 0, 3), None);
    }
}
