//! Writing text into JSON, once or twice escaped, and CSV fields.
//!
//! A body with `format: "json"` holds JSON text inside a JSON string, so a
//! value is escaped twice: `a"b` becomes `a\"b` in the inner array and
//! `a\\\"b` in the body. [`Level`] says how deep the text being written is
//! nested; every writer here appends exactly the bytes that end up in the
//! body, so sizes are measured on what is written.

/// How many JSON strings the text being written sits inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// Written as is (the `array` source, and data files for `location`).
    Raw,
    /// Inside a JSON string (the `json` and `csv` sources).
    InString,
}

/// Bytes that JSON strings must escape.
const fn needs_escape() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
}

static NEEDS_ESCAPE: [bool; 256] = needs_escape();
const HEX: &[u8; 16] = b"0123456789abcdef";

/// The escape of one byte in a JSON string (`"` -> `\"`, U+0001 -> `\u0001`).
fn escape_byte(b: u8) -> ([u8; 6], usize) {
    let second = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x08 => b'b',
        0x0c => b'f',
        _ => {
            return (
                [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ],
                6,
            )
        }
    };
    ([b'\\', second, 0, 0, 0, 0], 2)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any of the 8 bytes in `x` is `"`, `\\` or below 0x20. Exact: the
/// classic "has zero byte" and "has byte less than n" word tricks.
#[inline]
fn word_needs_escape(x: u64) -> bool {
    let control = x.wrapping_sub(ONES * 0x20) & !x;
    let q = x ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let b = x ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (control | quote | backslash) & HIGHS != 0
}

/// Appends `s` escaped for a JSON string (without quotes); with `twice`,
/// escaped again, as text inside a string inside a string.
///
/// Clean text is checked 8 bytes at a time and copied in one piece; only
/// the word that holds a byte to escape is looked at byte by byte.
fn escape(out: &mut Vec<u8>, s: &[u8], twice: bool) {
    let (mut start, mut i, n) = (0, 0, s.len());
    loop {
        while let Some(word) = s.get(i..i + 8) {
            if word_needs_escape(u64::from_le_bytes(word.try_into().expect("8 bytes"))) {
                break;
            }
            i += 8;
        }
        let stop = (i + 8).min(n);
        while i < stop && !NEEDS_ESCAPE[s[i] as usize] {
            i += 1;
        }
        if i == n {
            break;
        }
        if i == stop {
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        let (esc, len) = escape_byte(s[i]);
        for &c in &esc[..len] {
            // Of an escape's bytes only `\\` and `"` need escaping again.
            if twice && (c == b'\\' || c == b'"') {
                out.push(b'\\');
            }
            out.push(c);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&s[start..]);
}

/// True when no byte of `s` needs escaping in a JSON string: then the
/// text goes into a body as it is, at any level.
///
/// Checked 32 bytes at a time, in a loop the compiler turns into vector
/// compares (SSE2 on any x86-64); the last 32 bytes overlap the block
/// before. Text shorter than that is checked 8 bytes at a time.
pub(crate) fn is_clean(s: &[u8]) -> bool {
    /// No byte of `block` needs escaping.
    #[inline]
    fn block_clean(block: &[u8]) -> bool {
        let mut bad = false;
        for &b in &block[..32] {
            bad |= (b < 0x20) | (b == b'"') | (b == b'\\');
        }
        !bad
    }
    if s.len() >= 32 {
        return s.chunks_exact(32).all(block_clean) && block_clean(&s[s.len() - 32..]);
    }
    let words = s.chunks_exact(8);
    let tail = words.remainder();
    words
        .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")))
        .all(|x| !word_needs_escape(x))
        && tail.iter().all(|&b| !NEEDS_ESCAPE[b as usize])
}

impl Level {
    /// The quote of a JSON string at this level: `"` or `\"`.
    pub(crate) fn quote(self) -> &'static [u8] {
        match self {
            Level::Raw => b"\"",
            Level::InString => b"\\\"",
        }
    }

    /// Appends the text of a JSON string with value `s` at this level,
    /// without its quotes.
    pub(crate) fn json_text(self, out: &mut Vec<u8>, s: &[u8]) {
        escape(out, s, self == Level::InString);
    }

    /// One byte of literal inner text as this level writes it, and its
    /// length: `[raw](Level::raw)` of `[b]`, ready to copy.
    pub(crate) fn raw_byte(self, b: u8) -> ([u8; 6], usize) {
        match self {
            Level::InString if NEEDS_ESCAPE[b as usize] => escape_byte(b),
            _ => ([b, 0, 0, 0, 0, 0], 1),
        }
    }

    /// Appends literal inner text (`{`, `,`, a CSV line's bytes) at this level.
    pub(crate) fn raw(self, out: &mut Vec<u8>, text: &[u8]) {
        match self {
            Level::Raw => out.extend_from_slice(text),
            Level::InString => escape(out, text, false),
        }
    }

    /// Appends a JSON string with value `s` at this level: `"s"` or `\"s\"`.
    pub(crate) fn json_str(self, out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(self.quote());
        self.json_text(out, s);
        out.extend_from_slice(self.quote());
    }

    /// Appends a CSV field at this level: quoted (with `""`) only when it
    /// holds the delimiter, a quote, CR or LF, or starts or ends with a blank.
    pub(crate) fn csv_field(self, out: &mut Vec<u8>, b: &[u8], delimiter: u8) {
        let quote = b
            .iter()
            .any(|&c| c == delimiter || matches!(c, b'"' | b'\n' | b'\r'))
            || b.first().is_some_and(|c| matches!(c, b' ' | b'\t'))
            || b.last().is_some_and(|c| matches!(c, b' ' | b'\t'));
        if !quote {
            return self.raw(out, b);
        }
        self.raw(out, b"\"");
        let mut start = 0;
        for (i, &c) in b.iter().enumerate() {
            if c == b'"' {
                self.raw(out, &b[start..=i]);
                start = i; // the quote again: doubled
            }
        }
        self.raw(out, &b[start..]);
        self.raw(out, b"\"");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn json_strings_decode_back_at_both_levels() {
        for value in [
            "plain",
            "q\"uote",
            "back\\slash",
            "nl\nr\rt\t",
            "\u{1}\u{1f}\u{8}\u{c}",
            "é€𝄞",
            "",
        ] {
            let once = s(|o| Level::Raw.json_str(o, value.as_bytes()));
            assert_eq!(
                serde_json::from_str::<String>(&once).unwrap(),
                value,
                "{once}"
            );
            // Twice: the inner text is a JSON string inside a JSON string.
            let twice = format!(
                "\"{}\"",
                s(|o| Level::InString.json_str(o, value.as_bytes()))
            );
            let inner: String = serde_json::from_str(&twice).unwrap();
            assert_eq!(
                serde_json::from_str::<String>(&inner).unwrap(),
                value,
                "{twice}"
            );
        }
    }

    #[test]
    fn word_check_agrees_with_the_table_for_every_byte_at_every_place() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut w = *b"abcdefgh";
                w[at] = b;
                let x = u64::from_le_bytes(w);
                assert_eq!(
                    word_needs_escape(x),
                    NEEDS_ESCAPE[b as usize],
                    "byte {b:#x} at {at}"
                );
            }
        }
        // Neighbours that borrow across bytes must not hide or fake a hit.
        for w in [
            [0x21u8; 8],
            [0x20; 8],
            [0x1f, 0xff, 0x23, 0x5b, 0x5d, 0x80, 0x01, 0x21],
        ] {
            let expected = w.iter().any(|&b| NEEDS_ESCAPE[b as usize]);
            assert_eq!(word_needs_escape(u64::from_le_bytes(w)), expected, "{w:?}");
        }
    }

    #[test]
    fn clean_check_agrees_with_the_table_at_every_length_and_place() {
        // Past 64 bytes: whole 32-byte blocks, the overlapping last one,
        // and the word-at-a-time path for short text.
        for len in 0..100 {
            assert!(is_clean(&vec![b'a'; len][..]));
            for at in 0..len {
                for b in [b'"', b'\\', 0, 0x1f, b' ', 0x7f, 0xc3] {
                    let mut s = vec![b'a'; len];
                    s[at] = b;
                    assert_eq!(is_clean(&s), !NEEDS_ESCAPE[b as usize], "{s:?}");
                }
            }
        }
        for len in [1, 8, 31, 32, 33, 64, 65, 97] {
            for at in [0, len / 2, len - 1] {
                for b in 0..=255u8 {
                    let mut s = vec![b'a'; len];
                    s[at] = b;
                    assert_eq!(is_clean(&s), !NEEDS_ESCAPE[b as usize], "{s:?}");
                }
            }
        }
    }

    #[test]
    fn exact_escapes() {
        assert_eq!(s(|o| Level::Raw.json_str(o, b"a\"b")), r#""a\"b""#);
        assert_eq!(s(|o| Level::InString.json_str(o, b"a\"b")), r#"\"a\\\"b\""#);
        assert_eq!(
            s(|o| Level::InString.json_str(o, b"\x01")),
            r#"\"\\u0001\""#
        );
    }

    #[test]
    fn csv_fields_quote_only_when_needed() {
        assert_eq!(s(|o| Level::Raw.csv_field(o, b"plain", b',')), "plain");
        assert_eq!(s(|o| Level::Raw.csv_field(o, b"a,b", b',')), "\"a,b\"");
        assert_eq!(s(|o| Level::Raw.csv_field(o, b"a,b", b';')), "a,b");
        assert_eq!(
            s(|o| Level::Raw.csv_field(o, b"say \"hi\"", b',')),
            "\"say \"\"hi\"\"\""
        );
        assert_eq!(s(|o| Level::Raw.csv_field(o, b" pad", b',')), "\" pad\"");
        assert_eq!(
            s(|o| Level::InString.csv_field(o, b"x\ny", b',')),
            "\\\"x\\ny\\\""
        );
    }
}
