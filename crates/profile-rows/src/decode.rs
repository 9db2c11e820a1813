//! From bytes in some encoding to valid UTF-8, streaming.
//!
//! The [`Decoder`] is a `BufRead`-like buffer that only ever hands out valid
//! UTF-8. UTF-8 input is read straight into that buffer and validated in place
//! (no transcoding pass); a character cut by a read stays behind as an
//! unvalidated tail of at most three bytes and is completed by the next read.
//! Any other encoding goes through `encoding_rs` from a raw buffer into the
//! same buffer.
//!
//! Without a BOM or a label the input is read as UTF-8 until it proves
//! otherwise, in one pass: at the first invalid sequence, if everything
//! before it was ASCII (which reads the same in every encoding chardetng
//! answers), the rest is read in the legacy encoding chardetng guesses from
//! the next 64 KiB (windows-1252, windows-1250, Shift_JIS, ...); after valid non-ASCII UTF-8 it is an error, since neither
//! encoding reads the whole input right. That is the answer a scan of the
//! whole input would give, without reading it twice.
//!
//! An invalid sequence is not reported at once: the valid text before it is
//! handed out first, and the error comes from the next fill, so the caller has
//! consumed (and counted the lines of) everything before it. The error names
//! the offset of the bad sequence in the raw input.

use std::io::{self, Read};

use encoding_rs::{CoderResult, DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::error::{ErrorKind, Result};
use crate::input::Source;

/// How the encoding was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// A byte order mark at the start of the input.
    Bom,
    /// Given by the caller (`--encoding`).
    Label,
    /// No BOM and no label: UTF-8, valid as far as read (to the end, once
    /// read to the end).
    ValidUtf8,
    /// No BOM and no label, and an invalid sequence came after nothing but
    /// ASCII: a legacy encoding guessed by chardetng from the first 64 KiB
    /// after the first non-ASCII byte (from the start: ASCII reads the same).
    NotUtf8,
    /// A workbook: its cells are text already, there are no bytes to decode.
    Workbook,
}

/// The encoding of an input, as detected or given.
#[derive(Clone, Copy, Debug)]
pub struct EncodingInfo {
    /// The encoding.
    pub encoding: &'static Encoding,
    /// How it was chosen.
    pub detection: Detection,
    /// Length of the byte order mark that was stripped (0 when none).
    pub bom_len: usize,
}

impl EncodingInfo {
    /// The WHATWG name, e.g. `UTF-8`, `windows-1252`, `UTF-16LE`.
    pub fn name(&self) -> &'static str {
        self.encoding.name()
    }
}

/// Looks up a WHATWG label (`latin1`, `utf-16le`, `cp1252`, ...).
pub(crate) fn lookup_label(label: &str) -> Result<&'static Encoding> {
    Encoding::for_label(label.trim().as_bytes())
        .ok_or_else(|| ErrorKind::UnknownEncoding(label.to_string()).into())
}

fn bom_of(head: &[u8]) -> Option<(&'static Encoding, usize)> {
    if head.starts_with(b"\xEF\xBB\xBF") {
        Some((UTF_8, 3))
    } else if head.starts_with(b"\xFF\xFE") {
        Some((UTF_16LE, 2))
    } else if head.starts_with(b"\xFE\xFF") {
        Some((UTF_16BE, 2))
    } else {
        None
    }
}

/// Chooses the encoding: a BOM decides (as in the WHATWG decode algorithm),
/// then the caller's label, else UTF-8 until the bytes prove otherwise
/// (see the [module docs](self)).
pub(crate) fn choose(head: &[u8], label: Option<&'static Encoding>) -> EncodingInfo {
    if let Some((encoding, bom_len)) = bom_of(head) {
        return EncodingInfo {
            encoding,
            detection: Detection::Bom,
            bom_len,
        };
    }
    let (encoding, detection) = match label {
        Some(encoding) => (encoding, Detection::Label),
        None => (UTF_8, Detection::ValidUtf8),
    };
    EncodingInfo {
        encoding,
        detection,
        bom_len: 0,
    }
}

/// A decoding error found by the [`Decoder`]: the offset of the bad sequence
/// in the raw input.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BadSequence {
    pub byte: u64,
    /// Invalid UTF-8 after valid non-ASCII UTF-8, with the encoding guessed.
    pub mixed: bool,
}

impl BadSequence {
    /// The error to report, at `line` of the input read as `encoding`.
    pub(crate) fn error(self, encoding: &'static str, line: u64) -> crate::Error {
        let byte = self.byte;
        if self.mixed {
            ErrorKind::MixedEncoding { line, byte }.into()
        } else {
            ErrorKind::Encoding {
                encoding,
                line,
                byte,
            }
            .into()
        }
    }
}

enum Kind {
    /// Validate in place. With `guess`, the encoding was not given: at the
    /// first invalid sequence the decoder becomes windows-1252 (when only
    /// ASCII came before) or, with `lossy`, lossy UTF-8.
    Utf8 {
        guess: bool,
        lossy: bool,
        /// Valid non-ASCII UTF-8 has been seen.
        multibyte: bool,
    },
    /// Through encoding_rs from `raw`.
    Transcode {
        dec: encoding_rs::Decoder,
        raw: Vec<u8>,
        raw_pos: usize,
        raw_end: usize,
        /// Raw bytes that came before `raw[0]`.
        raw_base: u64,
        lossy: bool,
    },
}

/// Hands out valid UTF-8 text in chunks, like `BufRead`.
pub(crate) struct Decoder {
    src: Source,
    kind: Kind,
    buf: Vec<u8>,
    /// Next byte to hand out.
    pos: usize,
    /// End of validated text.
    end: usize,
    /// End of bytes read (UTF-8 only: `end..filled` is an incomplete character).
    filled: usize,
    /// Raw offset of `buf[0]` (UTF-8 only).
    base: u64,
    /// Bytes of BOM skipped before the stream handed to us.
    bom_len: u64,
    eof: bool,
    bad: Option<BadSequence>,
    /// Largest slice `fill_buf` hands out: a knob to test chunk boundaries.
    chunk: usize,
    /// A guessed UTF-8 input turned out to be in this legacy encoding.
    guessed: Option<&'static Encoding>,
}

/// The least buffer that always has room for one character of output.
const MIN_BUF: usize = 16;

impl Decoder {
    /// `src` starts after the BOM of `info` (if any).
    pub(crate) fn new(src: Source, info: EncodingInfo, lossy: bool, capacity: usize) -> Decoder {
        let capacity = capacity.max(MIN_BUF);
        let guess = info.detection == Detection::ValidUtf8;
        let kind = if info.encoding == UTF_8 && (guess || !lossy) {
            Kind::Utf8 {
                guess,
                lossy,
                multibyte: false,
            }
        } else {
            transcoder(info.encoding, vec![0; capacity], 0, 0, lossy)
        };
        Decoder {
            src,
            kind,
            buf: vec![0; capacity],
            pos: 0,
            end: 0,
            filled: 0,
            base: 0,
            bom_len: info.bom_len as u64,
            eof: false,
            bad: None,
            chunk: usize::MAX,
            guessed: None,
        }
    }

    /// The legacy encoding an input read as UTF-8 by guess turned out to
    /// be in (see [`Detection::NotUtf8`]).
    pub(crate) fn guessed(&self) -> Option<&'static Encoding> {
        self.guessed
    }

    /// Hand out at most `n` bytes per `fill_buf` (tests of chunk boundaries).
    pub(crate) fn set_chunk(&mut self, n: usize) {
        self.chunk = n.max(1);
    }

    /// The next valid text; empty at the end of the input.
    pub(crate) fn fill_buf(&mut self) -> io::Result<std::result::Result<&[u8], BadSequence>> {
        if self.pos == self.end {
            if let Some(bad) = self.bad {
                return Ok(Err(bad));
            }
            self.fill_more()?;
            if self.pos == self.end {
                if let Some(bad) = self.bad {
                    return Ok(Err(bad));
                }
            }
        }
        let stop = self.end.min(self.pos.saturating_add(self.chunk));
        Ok(Ok(&self.buf[self.pos..stop]))
    }

    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(self.pos + n <= self.end);
        self.pos += n;
    }

    /// At least `n` bytes of text (fewer only at the end or before a bad
    /// sequence), without consuming them. The buffer grows to hold them.
    pub(crate) fn peek(&mut self, n: usize) -> io::Result<&[u8]> {
        while self.end - self.pos < n && !self.eof && self.bad.is_none() {
            if self.buf.len() < n + MIN_BUF {
                self.compact();
                self.buf.resize(n + MIN_BUF, 0);
            }
            let before = self.end - self.pos;
            self.fill_more()?;
            if self.end - self.pos == before && (self.eof || self.bad.is_some()) {
                break;
            }
        }
        Ok(&self.buf[self.pos..self.end])
    }

    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.filled -= self.pos;
            self.pos = 0;
        }
    }

    /// Adds decoded text after `end`, keeping `pos..end`; returns having added
    /// some, or at the end of input, or with `bad` set.
    fn fill_more(&mut self) -> io::Result<()> {
        self.compact();
        loop {
            if self.eof || self.bad.is_some() {
                return Ok(());
            }
            let start = self.end;
            match &mut self.kind {
                Kind::Utf8 {
                    guess,
                    lossy,
                    multibyte,
                } => {
                    let (guess, lossy) = (*guess, *lossy);
                    if self.filled == self.buf.len() {
                        // Only when a caller keeps more than the buffer holds.
                        let len = self.buf.len();
                        self.buf.resize(len * 2, 0);
                    }
                    let n = read_some(&mut self.src, &mut self.buf[self.filled..])?;
                    self.filled += n;
                    let new = &self.buf[self.end..self.filled];
                    // simdutf8 for the common answer; std's for where it fails.
                    let (valid, invalid) = if simdutf8::basic::from_utf8(new).is_ok() {
                        (new.len(), false)
                    } else {
                        match std::str::from_utf8(new) {
                            Ok(_) => (new.len(), false),
                            Err(e) => (e.valid_up_to(), e.error_len().is_some()),
                        }
                    };
                    if guess && !*multibyte {
                        *multibyte = !new[..valid].is_ascii();
                    }
                    let multibyte = *multibyte;
                    self.end += valid;
                    // A cut character at the end of the input is invalid too.
                    let invalid = invalid || (n == 0 && self.filled > self.end);
                    if n == 0 {
                        self.eof = !invalid;
                    }
                    if invalid && guess && (!multibyte || lossy) {
                        // Read the rest in the legacy encoding chardetng
                        // guesses (ASCII so far reads the same in all it
                        // can answer), or as lossy UTF-8: from the bad
                        // sequence on.
                        let mut rest = self.buf[self.end..self.filled].to_vec();
                        let encoding = if multibyte {
                            UTF_8
                        } else {
                            let guessed = guess_legacy(&mut self.src, &mut rest)?;
                            self.guessed = Some(guessed);
                            guessed
                        };
                        let mut raw = vec![0; self.buf.len().max(rest.len())];
                        raw[..rest.len()].copy_from_slice(&rest);
                        let at = self.base + self.end as u64;
                        self.kind = transcoder(encoding, raw, rest.len(), at, lossy);
                        self.filled = self.end;
                        self.eof = false;
                    } else if invalid {
                        self.bad = Some(BadSequence {
                            byte: self.bom_len + self.base + self.end as u64,
                            mixed: guess,
                        });
                    }
                    if n == 0 && !matches!(self.kind, Kind::Transcode { .. }) {
                        return Ok(());
                    }
                }
                Kind::Transcode {
                    dec,
                    raw,
                    raw_pos,
                    raw_end,
                    raw_base,
                    lossy,
                } => {
                    let mut raw_eof = false;
                    if *raw_pos == *raw_end {
                        *raw_base += *raw_end as u64;
                        *raw_pos = 0;
                        *raw_end = read_some(&mut self.src, raw)?;
                        raw_eof = *raw_end == 0;
                    }
                    let src = &raw[*raw_pos..*raw_end];
                    let dst = &mut self.buf[self.end..];
                    if *lossy {
                        let (res, read, written, _) = dec.decode_to_utf8(src, dst, raw_eof);
                        *raw_pos += read;
                        self.end += written;
                        if raw_eof && res == CoderResult::InputEmpty {
                            self.eof = true;
                        }
                    } else {
                        let (res, read, written) =
                            dec.decode_to_utf8_without_replacement(src, dst, raw_eof);
                        *raw_pos += read;
                        self.end += written;
                        match res {
                            DecoderResult::InputEmpty if raw_eof => self.eof = true,
                            DecoderResult::Malformed(bad, after) => {
                                let at =
                                    *raw_base + *raw_pos as u64 - u64::from(bad) - u64::from(after);
                                self.bad = Some(BadSequence {
                                    byte: self.bom_len + at,
                                    mixed: false,
                                });
                            }
                            _ => {}
                        }
                    }
                    self.filled = self.end;
                }
            }
            if self.end > start {
                return Ok(());
            }
        }
    }
}

/// Raw bytes looked at for a guess: at least this many from the first
/// non-ASCII byte on, or the whole input when shorter.
pub(crate) const GUESS_WINDOW: usize = 64 * 1024;

/// Guesses the legacy encoding of an input whose first non-ASCII byte
/// begins `rest`, with chardetng: `rest` is topped up from `src` to the
/// guess window first (those bytes are then decoded from `rest`, so nothing
/// is read twice).
fn guess_legacy(src: &mut Source, rest: &mut Vec<u8>) -> io::Result<&'static Encoding> {
    let mut eof = false;
    let mut have = rest.len();
    if have < GUESS_WINDOW {
        rest.resize(GUESS_WINDOW, 0);
    }
    while have < GUESS_WINDOW && !eof {
        let n = read_some(src, &mut rest[have..])?;
        have += n;
        eof = n == 0;
    }
    rest.truncate(have);
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(rest, eof);
    Ok(detector.guess(None, chardetng::Utf8Detection::Deny))
}

/// A decoder of `encoding` whose raw buffer is `raw`, holding `len` bytes
/// that come after `base` bytes of the input.
fn transcoder(
    encoding: &'static Encoding,
    raw: Vec<u8>,
    len: usize,
    base: u64,
    lossy: bool,
) -> Kind {
    Kind::Transcode {
        dec: encoding.new_decoder_without_bom_handling(),
        raw,
        raw_pos: 0,
        raw_end: len,
        raw_base: base,
        lossy,
    }
}

fn read_some(r: &mut Source, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::WINDOWS_1252;

    fn decode_all(
        bytes: &[u8],
        enc: &'static Encoding,
        lossy: bool,
        cap: usize,
    ) -> (Vec<u8>, Option<u64>) {
        let (out, bad, _) = decode_as(bytes, enc, Detection::Label, lossy, cap);
        (out, bad.map(|b| b.byte))
    }

    /// Text out, the bad sequence if any, and whether the decoder fell back.
    fn decode_as(
        bytes: &[u8],
        encoding: &'static Encoding,
        detection: Detection,
        lossy: bool,
        cap: usize,
    ) -> (Vec<u8>, Option<BadSequence>, bool) {
        let info = EncodingInfo {
            encoding,
            detection,
            bom_len: 0,
        };
        let src: Source = Box::new(crate::testutil::Chunked::new(bytes.to_vec(), cap));
        let mut d = Decoder::new(src, info, lossy, cap);
        d.set_chunk(cap);
        let mut out = vec![];
        loop {
            match d.fill_buf().unwrap() {
                Ok([]) => return (out, None, d.guessed().is_some()),
                Ok(b) => {
                    let n = b.len();
                    out.extend_from_slice(b);
                    d.consume(n);
                }
                Err(bad) => return (out, Some(bad), d.guessed().is_some()),
            }
        }
    }

    #[test]
    fn utf8_split_characters_survive_every_chunk_size() {
        let text = "é€𝄞 ascii ʤ\n".repeat(50);
        for cap in [1, 2, 3, 7, 16, 64] {
            let (out, bad) = decode_all(text.as_bytes(), UTF_8, false, cap);
            assert_eq!(bad, None, "cap {cap}");
            assert_eq!(out, text.as_bytes(), "cap {cap}");
        }
    }

    #[test]
    fn utf8_invalid_byte_reports_offset_after_valid_text() {
        let mut bytes = b"abc\ndef".to_vec();
        bytes.push(0xE9);
        bytes.extend_from_slice(b"xyz");
        for cap in [1, 7, 64] {
            let (out, bad) = decode_all(&bytes, UTF_8, false, cap);
            assert_eq!(out, b"abc\ndef", "cap {cap}");
            assert_eq!(bad, Some(7), "cap {cap}");
        }
    }

    #[test]
    fn utf8_truncated_at_end_is_an_error() {
        let (out, bad) = decode_all(b"ab\xE2\x82", UTF_8, false, 7);
        assert_eq!(out, b"ab");
        assert_eq!(bad, Some(2));
    }

    #[test]
    fn windows_1252_decodes_every_special() {
        let bytes = b"\xE9\xEB\xFC\x80\x92";
        for cap in [1, 7, 64] {
            let (out, bad) = decode_all(bytes, WINDOWS_1252, false, cap);
            assert_eq!(bad, None);
            assert_eq!(String::from_utf8(out).unwrap(), "éëü€’");
        }
    }

    #[test]
    fn utf16_lone_surrogate_is_an_error_unless_lossy() {
        // "a" then a lone high surrogate then "b", UTF-16LE.
        let bytes = b"a\x00\x00\xD8b\x00";
        let (out, bad) = decode_all(bytes, UTF_16LE, false, 16);
        assert_eq!(out, b"a");
        assert_eq!(bad, Some(2));
        let (out, bad) = decode_all(bytes, UTF_16LE, true, 16);
        assert_eq!(bad, None);
        assert_eq!(String::from_utf8(out).unwrap(), "a\u{FFFD}b");
    }

    #[test]
    fn a_guess_of_utf8_falls_back_to_windows_1252_only_after_ascii() {
        let guess =
            |bytes: &[u8], lossy, cap| decode_as(bytes, UTF_8, Detection::ValidUtf8, lossy, cap);
        for cap in [1, 2, 3, 7, 64] {
            // ASCII, then windows-1252 text: all of it is windows-1252.
            let text = "plain\nCrème brûlée, naïve café, déjà vu, à la carte, Noël";
            let (bytes, _, _) = WINDOWS_1252.encode(text);
            let (out, bad, fell) = guess(&bytes, false, cap);
            assert_eq!(
                (out.as_slice(), bad.is_none(), fell),
                (text.as_bytes(), true, true),
                "cap {cap}"
            );
            // A cut character at the very end counts as well: one byte is
            // too little to tell which legacy encoding, but it is one.
            let (out, _, fell) = guess(b"abc\xC3", false, cap);
            let out = String::from_utf8(out).unwrap();
            assert!(
                fell && out.starts_with("abc") && out.chars().count() == 4,
                "cap {cap}: {out}"
            );
            // Valid non-ASCII UTF-8, then a bad byte: neither reads it all.
            let (out, bad, fell) = guess(b"caf\xC3\xA9\nna\xEFve", false, cap);
            let bad = bad.expect("an error");
            assert_eq!(
                (out.as_slice(), bad.byte, bad.mixed, fell),
                ("café\nna".as_bytes(), 8, true, false),
                "cap {cap}"
            );
            // ... unless lossy: UTF-8 with U+FFFD from there on.
            let (out, bad, fell) = guess(b"caf\xC3\xA9\nna\xEFve", true, cap);
            assert_eq!(
                (out.as_slice(), bad.is_none(), fell),
                ("café\nna\u{FFFD}ve".as_bytes(), true, false),
                "cap {cap}"
            );
            // Valid to the end: UTF-8, untouched.
            let (out, bad, fell) = guess("é€𝄞\n".as_bytes(), false, cap);
            assert_eq!(
                (out.as_slice(), bad.is_none(), fell),
                ("é€𝄞\n".as_bytes(), true, false),
                "cap {cap}"
            );
        }
    }
}
