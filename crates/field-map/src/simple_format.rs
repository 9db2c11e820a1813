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
        Some(SimpleFormat { toks })
    }

    /// The parts of `value`, or `None` when it does not match. A second of
    /// 60, which jiff clamps to 59, also gives `None`, so that the caller
    /// asks jiff.
    #[inline]
    pub fn parse(&self, value: &str) -> Option<Parts> {
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
        if let Some(got) = fast.parse(value) {
            prop_assert_eq!(Some(got), via_jiff(format, value), "{} {:?}", format, value);
        }
        Ok(())
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
