//! Copernica's field types and the strict check of one value against a type.
//!
//! Each check either lends the value on unchanged, writes its sent form into
//! a scratch buffer, or says what was expected. Nothing is guessed: numbers
//! are rewritten character by character (never through a binary float), a
//! date matches its one format or is refused, and a calendar date that does
//! not exist is refused.

use std::fmt::Write as _;
use std::str::FromStr;

use jiff::civil::{Date, DateTime, Time};
use jiff::fmt::strtime;
use jiff::tz::{Offset, TimeZone};

use crate::simple_format::{DateLayout, Parts, SimpleFormat};

/// A field type of a Copernica database.
///
/// ```
/// use field_map::FieldType;
///
/// assert_eq!("datetime".parse::<FieldType>(), Ok(FieldType::Datetime));
/// assert_eq!(FieldType::EmptyDate.name(), "empty_date");
/// assert!("dat".parse::<FieldType>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// Any text (the default).
    Text,
    /// An e-mail address (sent as is; `check` reports values without `@`).
    Email,
    /// A phone number (sent as is).
    Phone,
    /// A fax number (sent as is).
    PhoneFax,
    /// A mobile number (sent as is).
    PhoneGsm,
    /// A whole number: optional sign and digits.
    Integer,
    /// A decimal number, sent with `.` as its decimal mark.
    Float,
    /// A date, sent as `YYYY-MM-DD`.
    Date,
    /// A date that may be empty, sent as `YYYY-MM-DD`.
    EmptyDate,
    /// A date and time, sent as `YYYY-MM-DD HH:MM:SS` in the mapping's zone.
    Datetime,
    /// A date and time that may be empty.
    EmptyDatetime,
    /// One of a list of options.
    Select,
    /// Long text (sent as is).
    Big,
    /// A reference to another record (sent as is).
    ForeignKey,
}

/// Every type with its name, in the order error messages list them.
pub(crate) const TYPES: [(FieldType, &str); 14] = [
    (FieldType::Text, "text"),
    (FieldType::Email, "email"),
    (FieldType::Phone, "phone"),
    (FieldType::PhoneFax, "phone_fax"),
    (FieldType::PhoneGsm, "phone_gsm"),
    (FieldType::Integer, "integer"),
    (FieldType::Float, "float"),
    (FieldType::Date, "date"),
    (FieldType::EmptyDate, "empty_date"),
    (FieldType::Datetime, "datetime"),
    (FieldType::EmptyDatetime, "empty_datetime"),
    (FieldType::Select, "select"),
    (FieldType::Big, "big"),
    (FieldType::ForeignKey, "foreign_key"),
];

impl FieldType {
    /// Copernica's name of the type.
    pub fn name(self) -> &'static str {
        TYPES
            .iter()
            .find(|(t, _)| *t == self)
            .map(|(_, n)| *n)
            .expect("every type has a name")
    }

    /// Every type name, comma-separated (for error messages).
    pub fn known() -> String {
        TYPES.map(|(_, n)| n).join(", ")
    }

    /// A date or date-and-time type: one that takes a `format`.
    pub fn is_temporal(self) -> bool {
        self.is_date() || self.is_datetime()
    }

    pub(crate) fn is_date(self) -> bool {
        matches!(self, FieldType::Date | FieldType::EmptyDate)
    }

    pub(crate) fn is_datetime(self) -> bool {
        matches!(self, FieldType::Datetime | FieldType::EmptyDatetime)
    }

    /// A number type: one that takes `thousands` (and, for floats, `decimal`).
    pub fn is_number(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::Float)
    }
}

impl FromStr for FieldType {
    type Err = String;

    fn from_str(s: &str) -> Result<FieldType, String> {
        TYPES
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(t, _)| *t)
            .ok_or_else(|| format!("unknown type {s:?}; known: {}", FieldType::known()))
    }
}

/// How one value turned out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Checked {
    /// Already in its sent form: lent on as is.
    Fine,
    /// Rewritten: the sent form is what was appended to the scratch buffer.
    Normalized,
}

/// The value rules of one typed field.
#[derive(Clone, Debug)]
pub(crate) struct TypeRule {
    pub ty: FieldType,
    pub format: Option<String>,
    /// `format` compiled for the fast path, when it is a simple one.
    pub simple: Option<SimpleFormat>,
    /// `format` as a fixed layout, when it is a plain date format.
    pub layout: Option<DateLayout>,
    /// `format` is `%Y-%m-%d` (or `%F`): a value in that form is its sent form.
    pub iso_format: bool,
    pub decimal: u8,
    pub thousands: Option<u8>,
    pub options: Vec<String>,
    pub tz: TimeZone,
}

impl TypeRule {
    /// Checks a non-empty `value`; a normalized value is appended to `out`.
    /// The error is what was expected, to follow the value in a message.
    #[inline]
    pub fn check(&self, value: &str, out: &mut String) -> Result<Checked, String> {
        match self.ty {
            FieldType::Integer => self.number(value, false, out),
            FieldType::Float => self.number(value, true, out),
            FieldType::Date | FieldType::EmptyDate => self.date(value, out),
            FieldType::Datetime | FieldType::EmptyDatetime => self.datetime(value, out),
            FieldType::Select => {
                if self.options.iter().any(|o| o == value) {
                    Ok(Checked::Fine)
                } else {
                    Err(format!("is not one of the options {}", list(&self.options)))
                }
            }
            _ => Ok(Checked::Fine),
        }
    }

    #[inline]
    fn number(&self, value: &str, float: bool, out: &mut String) -> Result<Checked, String> {
        if let Some(checked) = self.plain_number(value, float, out) {
            return Ok(checked);
        }
        self.any_number(value, float, out)
    }

    /// The fast path for the usual numbers: an optional `-`, digits, and for
    /// a float a decimal mark and digits, with no thousands separator.
    /// `None` when the value is anything else, and [`TypeRule::any_number`]
    /// decides (it agrees wherever this gives an answer).
    #[inline]
    fn plain_number(&self, value: &str, float: bool, out: &mut String) -> Option<Checked> {
        if self.thousands.is_some() {
            return None;
        }
        let b = value.as_bytes();
        let digits_from = |mut i: usize| {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            i
        };
        let start = usize::from(b.first() == Some(&b'-'));
        let int_end = digits_from(start);
        if int_end == start {
            return None;
        }
        if int_end == b.len() {
            return Some(Checked::Fine);
        }
        if !float || b[int_end] != self.decimal {
            return None;
        }
        let end = digits_from(int_end + 1);
        if end == int_end + 1 || end != b.len() {
            return None;
        }
        if self.decimal == b'.' {
            return Some(Checked::Fine);
        }
        out.push_str(&value[..int_end]);
        out.push('.');
        out.push_str(&value[int_end + 1..]);
        Some(Checked::Normalized)
    }

    /// Any number the type takes: sign, thousands separators, exponent.
    #[inline(never)]
    fn any_number(&self, value: &str, float: bool, out: &mut String) -> Result<Checked, String> {
        let expected = || {
            let mut e = if float {
                format!(
                    "is not a number with decimal mark \"{}\"",
                    self.decimal as char
                )
            } else {
                "is not a whole number".to_string()
            };
            if let Some(t) = self.thousands {
                let _ = write!(e, " and thousands separator \"{}\"", t as char);
            }
            e
        };
        let b = value.as_bytes();
        let mut i = 0;
        let sign = match b.first() {
            Some(b'+') | Some(b'-') => {
                i = 1;
                Some(b[0])
            }
            _ => None,
        };
        // Integer part, with thousands separators in groups of three.
        let int_start = i;
        let mut groups = 0usize;
        let mut group_len = 0usize;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_digit() {
                group_len += 1;
            } else if Some(c) == self.thousands {
                if group_len == 0
                    || (groups > 0 && group_len != 3)
                    || (groups == 0 && group_len > 3)
                {
                    return Err(expected());
                }
                groups += 1;
                group_len = 0;
            } else {
                break;
            }
            i += 1;
        }
        if group_len == 0 || (groups > 0 && group_len != 3) {
            return Err(expected());
        }
        let int_end = i;
        let mut frac = None;
        let mut exp = None;
        if float {
            if i < b.len() && b[i] == self.decimal {
                let s = i + 1;
                i = s;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i == s {
                    return Err(expected());
                }
                frac = Some(s..i);
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                let s = i;
                i += 1;
                if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                    i += 1;
                }
                let d = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i == d {
                    return Err(expected());
                }
                exp = Some(s..i);
            }
        }
        if i != b.len() {
            return Err(expected());
        }
        let same = sign != Some(b'+') && groups == 0 && (frac.is_none() || self.decimal == b'.');
        if same {
            return Ok(Checked::Fine);
        }
        if sign == Some(b'-') {
            out.push('-');
        }
        if groups == 0 {
            out.push_str(&value[int_start..int_end]);
        } else {
            for part in value[int_start..int_end].split(self.thousands.map_or('\0', char::from)) {
                out.push_str(part);
            }
        }
        if let Some(f) = frac {
            out.push('.');
            out.push_str(&value[f]);
        }
        if let Some(e) = exp {
            out.push_str(&value[e]);
        }
        Ok(Checked::Normalized)
    }

    #[inline]
    fn date(&self, value: &str, out: &mut String) -> Result<Checked, String> {
        match self.plain_date(value, out) {
            Some(checked) => Ok(checked),
            None => self.any_date(value, out),
        }
    }

    /// The fast path for a date by a plain layout; `None` leaves the value
    /// to [`TypeRule::any_date`].
    #[inline]
    fn plain_date(&self, value: &str, out: &mut String) -> Option<Checked> {
        let (y, m, d) = self.layout.as_ref()?.parse(value)?;
        if y < 1 || d > days_in_month(y, m) {
            return None;
        }
        let start = out.len();
        push_ymd(out, y as u16, m as u8, d as u8);
        if out[start..] == *value {
            out.truncate(start);
            return Some(Checked::Fine);
        }
        Some(Checked::Normalized)
    }

    /// [`TypeRule::check`]'s fast paths alone, without a message: `None`
    /// when the value is not one they decide (it may still fit; `check`
    /// says).
    #[inline]
    pub fn check_plain(&self, value: &str, out: &mut String) -> Option<Checked> {
        match self.ty {
            FieldType::Integer => self.plain_number(value, false, out),
            FieldType::Float => self.plain_number(value, true, out),
            FieldType::Date | FieldType::EmptyDate => self.plain_date(value, out),
            _ => None,
        }
    }

    /// Any date: by a simple format, by jiff's strptime, or `YYYY-MM-DD`.
    #[inline(never)]
    fn any_date(&self, value: &str, out: &mut String) -> Result<Checked, String> {
        let Some(format) = &self.format else {
            return match iso_date(value.as_bytes()) {
                Some(_) => Ok(Checked::Fine),
                None => Err("is not a date in format YYYY-MM-DD".to_string()),
            };
        };
        let expected = || format!("is not a date in format {format}");
        // Already `YYYY-MM-DD` where the format is that: nothing to rewrite.
        if self.iso_format && iso_date(value.as_bytes()).is_some() {
            return Ok(Checked::Fine);
        }
        let fast = self.simple.as_ref().and_then(|f| f.parse(value));
        let date = match fast {
            Some(Parts {
                year: Some(y),
                month: Some(m),
                day: Some(d),
                ..
            }) => Date::new(y, m, d).map_err(|_| expected())?,
            _ => strtime::parse(format, value)
                .and_then(|t| t.to_date())
                .map_err(|_| expected())?,
        };
        if iso_date(value.as_bytes()) == Some(date) {
            return Ok(Checked::Fine);
        }
        push_date(out, date).map_err(|()| expected())?;
        Ok(Checked::Normalized)
    }

    fn datetime(&self, value: &str, out: &mut String) -> Result<Checked, String> {
        let civil = match &self.format {
            None => {
                let expected = || {
                    "is not a datetime (YYYY-MM-DD HH:MM:SS, or RFC 3339 with Z or an offset)"
                        .to_string()
                };
                let (dt, offset, plain) = iso_datetime(value.as_bytes()).ok_or_else(expected)?;
                match offset {
                    None if plain => return Ok(Checked::Fine),
                    None => dt,
                    Some(offset) => self.in_zone(offset, dt).ok_or_else(expected)?,
                }
            }
            Some(format) => {
                let expected = || format!("is not a datetime in format {format}");
                if let Some(dt) = self.simple_datetime(value) {
                    dt.map_err(|()| expected())?
                } else {
                    let t = strtime::parse(format, value).map_err(|_| expected())?;
                    let dt = t.to_datetime().map_err(|_| expected())?;
                    match t.offset() {
                        None => dt,
                        Some(offset) => self.in_zone(offset, dt).ok_or_else(expected)?,
                    }
                }
            }
        };
        let start = out.len();
        let expected = || "is not a datetime with a year from 1 to 9999".to_string();
        push_date(out, civil.date()).map_err(|()| expected())?;
        out.push(' ');
        push2(out, civil.hour());
        out.push(':');
        push2(out, civil.minute());
        out.push(':');
        push2(out, civil.second());
        if out[start..] == *value {
            out.truncate(start);
            return Ok(Checked::Fine);
        }
        Ok(Checked::Normalized)
    }

    /// The fast path for a simple datetime format: `None` when it does not
    /// apply (jiff decides), else the datetime or a mismatch.
    fn simple_datetime(&self, value: &str) -> Option<Result<DateTime, ()>> {
        let p = self.simple.as_ref()?.parse(value)?;
        let (Some(y), Some(m), Some(d), Some(h)) = (p.year, p.month, p.day, p.hour) else {
            return None;
        };
        if p.minute.is_none() && p.second.is_some() {
            return None;
        }
        let time = Time::new(h, p.minute.unwrap_or(0), p.second.unwrap_or(0), 0);
        Some(match (Date::new(y, m, d), time) {
            (Ok(date), Ok(time)) => Ok(DateTime::from_parts(date, time)),
            _ => Err(()),
        })
    }

    /// The wall time in the rule's zone of `dt` at `offset`.
    fn in_zone(&self, offset: Offset, dt: DateTime) -> Option<DateTime> {
        let ts = offset.to_timestamp(dt).ok()?;
        Some(ts.to_zoned_datetime(self.tz.clone()).datetime())
    }
}

/// `YYYY-MM-DD`, appended; years outside 1..=9999 are refused.
fn push_date(out: &mut String, d: Date) -> Result<(), ()> {
    if d.year() < 1 {
        return Err(());
    }
    push_ymd(out, d.year() as u16, d.month() as u8, d.day() as u8);
    Ok(())
}

/// The days of month `m` (1 to 12) of year `y`.
fn days_in_month(y: i16, m: i8) -> i8 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` of a year 1 to 9999 and a real month and day, appended.
#[inline]
fn push_ymd(out: &mut String, y: u16, m: u8, dd: u8) {
    out.reserve(10);
    out.push_str(pair(y / 100));
    out.push_str(pair(y % 100));
    out.push('-');
    out.push_str(pair(u16::from(m)));
    out.push('-');
    out.push_str(pair(u16::from(dd)));
}

/// `n` (below 100) in two digits.
#[inline]
fn pair(n: u16) -> &'static str {
    const PAIRS: &str = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";
    let i = usize::from(n) * 2;
    &PAIRS[i..i + 2]
}

/// Two digits, zero-padded.
fn push2(out: &mut String, n: i8) {
    out.push(char::from(b'0' + (n / 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

fn digits(b: &[u8]) -> Option<i32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i32, |n, &c| n * 10 + i32::from(c - b'0')))
}

/// Exactly `YYYY-MM-DD`, a real calendar date.
pub(crate) fn iso_date(b: &[u8]) -> Option<Date> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[0..4])?;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    if y < 1 {
        return None;
    }
    Date::new(y as i16, m as i8, d as i8).ok()
}

/// `YYYY-MM-DD HH:MM:SS` or with `T`, then optionally a fraction and `Z`
/// or `±HH:MM`. Returns the wall time, the offset if any, and whether the
/// value is already exactly the sent form.
fn iso_datetime(b: &[u8]) -> Option<(DateTime, Option<Offset>, bool)> {
    if b.len() < 19 {
        return None;
    }
    let date = iso_date(&b[..10])?;
    let sep = b[10];
    if !(sep == b' ' || sep == b'T' || sep == b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let s = digits(&b[17..19])?;
    let time = Time::new(h as i8, mi as i8, s as i8, 0).ok()?;
    let mut i = 19;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == f {
            return None;
        }
    }
    let fraction = i > 19;
    let offset = match &b[i..] {
        [] => None,
        [b'Z' | b'z'] => Some(Offset::UTC),
        [sign @ (b'+' | b'-'), oh @ .., b':', om1, om2] if oh.len() == 2 => {
            let oh = digits(oh)?;
            let om = digits(&[*om1, *om2])?;
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = (oh * 3600 + om * 60) * if *sign == b'-' { -1 } else { 1 };
            Some(Offset::from_seconds(secs).ok()?)
        }
        _ => return None,
    };
    // Without an offset, a fraction is not RFC 3339 and not the sent form.
    if offset.is_none() && fraction {
        return None;
    }
    let plain = offset.is_none() && sep == b' ';
    Some((DateTime::from_parts(date, time), offset, plain))
}

/// Checks that `format` is one jiff can use for the type: it formats a
/// known instant and parses it back to a whole date (and time).
pub(crate) fn check_format(format: &str, ty: FieldType) -> Result<(), String> {
    let sample = jiff::civil::date(2024, 11, 28)
        .at(13, 45, 30, 0)
        .to_zoned_datetime(TimeZone::UTC)
        .map_err(|e| e.to_string())?;
    let text =
        strtime::format(format, &sample).map_err(|e| format!("invalid format {format:?}: {e}"))?;
    let parsed =
        strtime::parse(format, &text).map_err(|e| format!("invalid format {format:?}: {e}"))?;
    if ty.is_datetime() {
        parsed.to_datetime().ok().filter(|_| parsed.hour().is_some()).ok_or_else(|| {
            format!("format {format:?} does not give a whole date and time (year, month, day, hour)")
        })?;
    } else {
        parsed.to_date().map_err(|_| {
            format!("format {format:?} does not give a whole date (year, month, day)")
        })?;
    }
    Ok(())
}

/// `"a", "b", "c"` (the first ten, then how many more).
pub(crate) fn list(items: &[String]) -> String {
    let mut s = String::new();
    for (i, o) in items.iter().take(10).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{o:?}");
    }
    if items.len() > 10 {
        let _ = write!(s, " and {} more", items.len() - 10);
    }
    s
}
