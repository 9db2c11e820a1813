//! A fast path for the formats most exports use (`%d-%m-%Y`,
//! `%Y-%m-%d %H:%M:%S`, ...): numbers and literal separators only. It
//! matches exactly as jiff's strptime does, which a property test below
//! checks against jiff itself on generated formats and inputs; any format
//! with another directive goes to jiff.
//!
//! jiff's rules for these directives, reproduced: a number may follow ASCII
//! whitespace, has 1 to 2 digits (4 for `%Y`, after an optional sign), and
//! is checked against its range; a space in the format matches any run of
//! whitespace, including none; any other byte must match itself; the input
//! must end with the format.

/// One piece of a compiled format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Space,
    Lit(u8),
}

/// A format compiled for the fast path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SimpleFormat {
    toks: Vec<Tok>,
    /// The length of a value whose every number has its full width
    /// (`10-11-2026` for `%d-%m-%Y`); `None` when the format has a space,
    /// which matches a run of any length.
    full_len: Option<usize>,
}

/// A date format of one `%Y`, one `%m` and one `%d` (or `%e`) between ASCII
/// literals (`%d-%m-%Y`, `%m/%d/%Y`, `%Y%m%d`), read without the rules for
/// whitespace and signs: for a value whose numbers all have their full
/// width every byte's place is known in advance, and one pass over it reads
/// the date; a shorter one (`5-6-2012`) is read piece by piece.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DateLayout {
    toks: Vec<Tok>,
    /// Per byte of such a value: 0 for a digit, else the literal byte.
    pattern: Vec<u8>,
    year: usize,
    month: usize,
    day: usize,
}

impl DateLayout {
    /// The layout of `format`, when it is such a format.
    pub fn compile(format: &str) -> Option<DateLayout> {
        let toks = SimpleFormat::compile(format)?.toks;
        let mut layout = DateLayout {
            toks: toks.clone(),
            pattern: Vec::new(),
            year: usize::MAX,
            month: usize::MAX,
            day: usize::MAX,
        };
        for tok in toks {
            let at = layout.pattern.len();
            let (place, width) = match tok {
                Tok::Lit(c) => {
                    layout.pattern.push(c);
                    continue;
                }
                Tok::Year => (&mut layout.year, 4),
                Tok::Month => (&mut layout.month, 2),
                Tok::Day => (&mut layout.day, 2),
                _ => return None,
            };
            if *place != usize::MAX {
                return None;
            }
            *place = at;
            layout.pattern.extend(std::iter::repeat_n(0, width));
        }
        let all = [layout.year, layout.month, layout.day];
        all.iter().all(|&p| p != usize::MAX).then_some(layout)
    }

    /// Year, month and day of `value` when it is digits and the format's
    /// literals only, and its month is 1 to 12 and its day 1 to 31: what
    /// [`SimpleFormat::parse`] gives then. `None` leaves it to `parse`.
    #[inline]
    pub fn parse(&self, value: &str) -> Option<(i16, i8, i8)> {
        let b = value.as_bytes();
        if b.len() != self.pattern.len() {
            return self.parse_short(b);
        }
        for (&c, &p) in b.iter().zip(&self.pattern) {
            if (p == 0 && !c.is_ascii_digit()) || (p != 0 && c != p) {
                return None;
            }
        }
        let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
        let y = self.year;
        let year = i16::from(two(y)) * 100 + i16::from(two(y + 2));
        let (month, day) = (two(self.month), two(self.day));
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((
            year,
            month as i8,
            day as i8,
        ))
    }

    /// [`parse`](DateLayout::parse) of a value whose numbers may be
    /// shorter than their width: each takes the digits there are, up to
    /// its width, as jiff does.
    fn parse_short(&self, b: &[u8]) -> Option<(i16, i8, i8)> {
        let (mut at, mut year, mut month, mut day) = (0, 0u16, 0u16, 0u16);
        for &tok in &self.toks {
            let (place, width) = match tok {
                Tok::Lit(c) => {
                    if b.get(at) != Some(&c) {
                        return None;
                    }
                    at += 1;
                    continue;
                }
                Tok::Year => (&mut year, 4),
                Tok::Month => (&mut month, 2),
                _ => (&mut day, 2),
            };
            let start = at;
            while at < b.len() && at - start < width && b[at].is_ascii_digit() {
                *place = *place * 10 + u16::from(b[at] - b'0');
                at += 1;
            }
            if at == start {
                return None;
            }
        }
        (at == b.len() && (1..=12).contains(&month) && (1..=31).contains(&day)).then_some((
            year as i16,
            month as i8,
            day as i8,
        ))
    }
}

/// What a value holds by a simple format (the fields the format has).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Parts {
    pub year: Option<i16>,
    pub month: Option<i8>,
    pub day: Option<i8>,
    pub hour: Option<i8>,
    pub minute: Option<i8>,
    pub second: Option<i8>,
}

impl SimpleFormat {
    /// The compiled format, or `None` when it uses anything but `%Y %m %d
    /// %e %H %M %S %%`, spaces and ASCII literals.
    pub fn compile(format: &str) -> Option<SimpleFormat> {
        let b = format.as_bytes();
        let mut toks = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'%' {
                let tok = match b.get(i + 1)? {
                    b'Y' => Tok::Year,
                    b'm' => Tok::Month,
                    b'd' | b'e' => Tok::Day,
                    b'H' => Tok::Hour,
                    b'M' => Tok::Minute,
                    b'S' => Tok::Second,
                    b'%' => Tok::Lit(b'%'),
                    _ => return None,
                };
                toks.push(tok);
                i += 2;
            } else if c.is_ascii_whitespace() {
                toks.push(Tok::Space);
                i += 1;
            } else if c.is_ascii() {
                toks.push(Tok::Lit(c));
                i += 1;
            } else {
                return None;
            }
        }
        let full_len = toks.iter().try_fold(0, |n, t| match t {
            Tok::Space => None,
            Tok::Year => Some(n + 4),
            Tok::Lit(_) => Some(n + 1),
            _ => Some(n + 2),
        });
        Some(SimpleFormat { toks, full_len })
    }

    /// [`parse`](SimpleFormat::parse) of a value whose numbers all have
    /// their full width: every piece at a place known in advance. Where it
    /// gives parts they are `parse`'s (a run of digits as wide as the
    /// number is what `parse` takes too); `None` leaves it to `parse`.
    #[inline]
    fn parse_full(&self, b: &[u8]) -> Option<Parts> {
        let two = |at: usize, lo: u8, hi: u8| {
            let (t, u) = (b[at].wrapping_sub(b'0'), b[at + 1].wrapping_sub(b'0'));
            if t > 9 || u > 9 {
                return None;
            }
            let n = t * 10 + u;
            (lo..=hi).contains(&n).then_some(n as i8)
        };
        let mut p = Parts::default();
        let mut at = 0;
        for &tok in &self.toks {
            match tok {
                Tok::Lit(c) => {
                    if b[at] != c {
                        return None;
                    }
                    at += 1;
                    continue;
                }
                Tok::Year => {
                    let mut n = 0i16;
                    for &c in &b[at..at + 4] {
                        let d = c.wrapping_sub(b'0');
                        if d > 9 {
                            return None;
                        }
                        n = n * 10 + i16::from(d);
                    }
                    p.year = Some(n);
                    at += 4;
                    continue;
                }
                Tok::Month => p.month = Some(two(at, 1, 12)?),
                Tok::Day => p.day = Some(two(at, 1, 31)?),
                Tok::Hour => p.hour = Some(two(at, 0, 23)?),
                Tok::Minute => p.minute = Some(two(at, 0, 59)?),
                Tok::Second => p.second = Some(two(at, 0, 59)?),
                Tok::Space => return None,
            }
            at += 2;
        }
        Some(p)
    }

    /// The parts of `value`, or `None` when it does not match. A second of
    /// 60, which jiff clamps to 59, also gives `None`, so that the caller
    /// asks jiff.
    #[inline]
    pub fn parse(&self, value: &str) -> Option<Parts> {
        if self.full_len == Some(value.len()) {
            if let Some(p) = self.parse_full(value.as_bytes()) {
                return Some(p);
            }
        }
        self.parse_any(value)
    }

    /// [`parse`](SimpleFormat::parse), piece by piece.
    fn parse_any(&self, value: &str) -> Option<Parts> {
        let mut inp = value.as_bytes();
        let mut p = Parts::default();
        for &tok in &self.toks {
            match tok {
                Tok::Space => {
                    while inp.first().is_some_and(u8::is_ascii_whitespace) {
                        inp = &inp[1..];
                    }
                }
                Tok::Lit(c) => {
                    if inp.first() != Some(&c) {
                        return None;
                    }
                    inp = &inp[1..];
                }
                Tok::Year => {
                    let neg = match inp.first() {
                        Some(b'-') => true,
                        Some(b'+') => false,
                        _ => false,
                    };
                    if matches!(inp.first(), Some(b'-' | b'+')) {
                        inp = &inp[1..];
                    }
                    let n = number(&mut inp, 4)?;
                    p.year = Some(if neg { -(n as i16) } else { n as i16 });
                }
                Tok::Month => p.month = Some(ranged(&mut inp, 1, 12)?),
                Tok::Day => p.day = Some(ranged(&mut inp, 1, 31)?),
                Tok::Hour => p.hour = Some(ranged(&mut inp, 0, 23)?),
                Tok::Minute => p.minute = Some(ranged(&mut inp, 0, 59)?),
                Tok::Second => p.second = Some(ranged(&mut inp, 0, 59)?),
            }
        }
        inp.is_empty().then_some(p)
    }
}

/// A number of 1 to `width` digits after any whitespace.
#[inline(always)]
fn number(inp: &mut &[u8], width: usize) -> Option<u16> {
    let mut b = *inp;
    while let [c, rest @ ..] = b {
        if !c.is_ascii_whitespace() {
            break;
        }
        b = rest;
    }
    let (mut n, mut k) = (0u16, 0);
    while k < width && k < b.len() {
        let d = b[k].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        n = n * 10 + u16::from(d);
        k += 1;
    }
    if k == 0 {
        return None;
    }
    *inp = &b[k..];
    Some(n)
}

#[inline(always)]
fn ranged(inp: &mut &[u8], lo: u16, hi: u16) -> Option<i8> {
    let n = number(inp, 2)?;
    (lo..=hi).contains(&n).then_some(n as i8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::fmt::strtime;
    use proptest::prelude::*;

    fn via_jiff(format: &str, value: &str) -> Option<Parts> {
        let t = strtime::parse(format, value).ok()?;
        Some(Parts {
            year: t.year(),
            month: t.month(),
            day: t.day(),
            hour: t.hour(),
            minute: t.minute(),
            second: t.second(),
        })
    }

    fn tok() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "%Y", "%m", "%d", "%e", "%H", "%M", "%S", "%%", "-", "/", ".", ":", " ", "T", "x",
        ])
    }

    /// Inputs built from the characters such formats meet.
    fn input() -> impl Strategy<Value = String> {
        "[0-9 /.:T+%x-]{0,16}"
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        #[test]
        fn matches_as_jiff_does(toks in prop::collection::vec(tok(), 1..7), value in input()) {
            let format: String = toks.concat();
            agrees(&format, &value)?;
        }

        #[test]
        fn formatted_values_match_as_jiff_does(
            toks in prop::collection::vec(tok(), 1..7),
            (y, m, d, h, mi, s) in (1i16..9999, 1i8..=12, 1i8..=28, 0i8..24, 0i8..60, 0i8..60),
        ) {
            let format: String = toks.concat();
            let dt = jiff::civil::date(y, m, d).at(h, mi, s, 0);
            let value = dt.strftime(&format).to_string();
            agrees(&format, &value)?;
        }
    }

    /// Where the fast path gives parts, they are jiff's. Where it gives
    /// none, the caller asks jiff, so nothing can be wrong there (a second
    /// of 60, or a field given twice as in `%e%S%S`, is left to jiff on
    /// purpose); that it does give parts for the usual formats is
    /// `usual_formats_take_the_fast_path`.
    fn agrees(format: &str, value: &str) -> Result<(), TestCaseError> {
        let fast = SimpleFormat::compile(format).unwrap();
        if let Some(ymd) = DateLayout::compile(format).and_then(|l| l.parse(value)) {
            let p = fast.parse(value);
            let got = p.map(|p| (p.year, p.month, p.day));
            let want = Some((Some(ymd.0), Some(ymd.1), Some(ymd.2)));
            prop_assert_eq!(got, want, "{} {:?}", format, value);
        }
        if fast.full_len == Some(value.len()) {
            if let Some(full) = fast.parse_full(value.as_bytes()) {
                prop_assert_eq!(Some(full), fast.parse_any(value), "{} {:?}", format, value);
            }
        }
        if let Some(got) = fast.parse(value) {
            prop_assert_eq!(Some(got), via_jiff(format, value), "{} {:?}", format, value);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        #[test]
        fn date_layouts_read_as_parse_does(
            order in Just(["%Y", "%m", "%d"]).prop_shuffle(),
            seps in prop::collection::vec(prop::sample::select(vec!["", "-", "/", ".", "x"]), 2),
            value in "[0-9/.x-]{3,12}",
        ) {
            let format = format!("{}{}{}{}{}", order[0], seps[0], order[1], seps[1], order[2]);
            prop_assert!(DateLayout::compile(&format).is_some(), "{}", format);
            agrees(&format, &value)?;
        }
    }

    #[test]
    fn date_layouts_are_for_plain_date_formats_only() {
        for format in ["%d-%m-%Y", "%m/%d/%Y", "%Y%m%d", "%e.%m.%Y"] {
            assert!(DateLayout::compile(format).is_some(), "{format}");
        }
        for format in [
            "%d %m %Y",
            "%d-%m-%Y %H:%M",
            "%d-%m",
            "%Y-%m-%d-%d",
            "%b %Y",
        ] {
            assert!(DateLayout::compile(format).is_none(), "{format}");
        }
        let layout = DateLayout::compile("%d-%m-%Y").unwrap();
        assert_eq!(layout.parse("10-11-2026"), Some((2026, 11, 10)));
        assert_eq!(layout.parse("1-11-2026"), Some((2026, 11, 1)));
        assert_eq!(layout.parse("1-1-26"), Some((26, 1, 1)));
        assert_eq!(layout.parse(" 1-11-2026"), None);
        assert_eq!(layout.parse("1-11-20260"), None);
        assert_eq!(layout.parse("10-13-2026"), None);
        assert_eq!(layout.parse("10/11/2026"), None);
    }

    #[test]
    fn usual_formats_take_the_fast_path() {
        let cases = [
            ("%d-%m-%Y", "10-11-2026"),
            ("%d/%m/%Y", "5/6/2012"),
            ("%m/%d/%Y %H:%M", "05/06/2012 15:53"),
            ("%Y-%m-%d %H:%M:%S", "2026-12-02 16:59:01"),
            ("%d.%m.%Y", "02.12.2026"),
            ("%Y%m%d", "20261202"),
        ];
        for (format, value) in cases {
            let fast = SimpleFormat::compile(format).unwrap().parse(value);
            assert!(fast.is_some(), "{format} {value}");
            assert_eq!(fast, via_jiff(format, value), "{format} {value}");
        }
    }

    #[test]
    fn other_directives_go_to_jiff() {
        assert!(SimpleFormat::compile("%d %b %Y").is_none());
        assert!(SimpleFormat::compile("%Y-%m-%d %H:%M:%S %z").is_none());
        assert!(SimpleFormat::compile("%F").is_none());
        assert!(SimpleFormat::compile("%d/%m/%Y").is_some());
    }
}
