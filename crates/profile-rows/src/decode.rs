//! From bytes in some encoding to valid UTF-8, streaming.
//!
//! The [`Decoder`] is a `BufRead`-like buffer that only ever hands out valid
//! UTF-8. UTF-8 input is read straight into that buffer and validated in place
//! (no transcoding pass); a character cut by a read stays behind as an
//! unvalidated tail of at most three bytes and is completed by the next read.
//! Any other encoding goes through `encoding_rs` from a raw buffer into the
//! same buffer.
//!
//! An invalid sequence is not reported at once: the valid text before it is
//! handed out first, and the error comes from the next fill, so the caller has
//! consumed (and counted the lines of) everything before it. The error names
//! the offset of the bad sequence in the raw input.

use std::io::{self, Read};

use encoding_rs::{CoderResult, DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

use crate::error::{ErrorKind, Result};
use crate::input::{read_full, Source};

/// How the encoding was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// A byte order mark at the start of the input.
    Bom,
    /// Given by the caller (`--encoding`).
    Label,
    /// No BOM, and the bytes examined are valid UTF-8.
    ValidUtf8,
    /// No BOM, and the bytes are not valid UTF-8: windows-1252.
    NotUtf8,
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
    /// The whole input was checked (a file, not a stream).
    pub whole_file_checked: bool,
}

impl EncodingInfo {
    /// The WHATWG name, e.g. `UTF-8`, `windows-1252`, `UTF-16LE`.
    pub fn name(&self) -> &'static str {
        self.encoding.name()
    }
}

/// What the caller asks for.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EncodingRequest {
    pub label: Option<&'static Encoding>,
    pub lossy: bool,
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

/// The result of checking bytes for UTF-8.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Utf8Scan {
    Valid,
    /// Invalid at `byte` (line `line`); `multibyte_before` when valid
    /// non-ASCII UTF-8 came before it.
    Invalid {
        byte: u64,
        line: u64,
        multibyte_before: bool,
    },
}

/// Checks a whole stream for UTF-8, in bounded memory.
///
/// This pass reads every byte of a file before the real read, so it uses
/// `simdutf8` (several times std's speed on non-ASCII text); std's validator
/// runs only where the answer is no, to find the exact offset.
pub(crate) fn scan_utf8(r: &mut dyn Read) -> io::Result<Utf8Scan> {
    let mut buf = vec![0u8; 1 << 16];
    let (mut carry, mut base, mut lines, mut multibyte) = (0usize, 0u64, 1u64, false);
    loop {
        let n = read_full(r, &mut buf[carry..])?;
        let len = carry + n;
        let eof = n == 0 || len < buf.len();
        let chunk = &buf[..len];
        if simdutf8::basic::from_utf8(chunk).is_ok() {
            multibyte = multibyte || !chunk.is_ascii();
            lines += memchr::memchr_iter(b'\n', chunk).count() as u64;
            carry = 0;
        } else {
            let e = std::str::from_utf8(chunk).expect_err("simdutf8 said invalid");
            let good = &chunk[..e.valid_up_to()];
            multibyte = multibyte || !good.is_ascii();
            lines += memchr::memchr_iter(b'\n', good).count() as u64;
            if e.error_len().is_some() || eof {
                return Ok(Utf8Scan::Invalid {
                    byte: base + e.valid_up_to() as u64,
                    line: lines,
                    multibyte_before: multibyte,
                });
            }
            carry = len - e.valid_up_to();
            buf.copy_within(e.valid_up_to()..len, 0);
            base += e.valid_up_to() as u64;
            continue;
        }
        base += len as u64;
        if eof {
            return Ok(Utf8Scan::Valid);
        }
    }
}

/// Chooses the encoding: a BOM decides (as in the WHATWG decode algorithm),
/// then the caller's label, then UTF-8 validity of `scan` (the whole file, or
/// for a stream the head of it: `scan` says which), else windows-1252.
pub(crate) fn choose(
    head: &[u8],
    req: EncodingRequest,
    scan: impl FnOnce() -> io::Result<(Utf8Scan, bool)>,
) -> Result<EncodingInfo> {
    if let Some((encoding, bom_len)) = bom_of(head) {
        return Ok(EncodingInfo {
            encoding,
            detection: Detection::Bom,
            bom_len,
            whole_file_checked: false,
        });
    }
    if let Some(encoding) = req.label {
        return Ok(EncodingInfo {
            encoding,
            detection: Detection::Label,
            bom_len: 0,
            whole_file_checked: false,
        });
    }
    let (scan, whole_file_checked) = scan()?;
    let info = |encoding, detection| EncodingInfo {
        encoding,
        detection,
        bom_len: 0,
        whole_file_checked,
    };
    match scan {
        Utf8Scan::Valid => Ok(info(UTF_8, Detection::ValidUtf8)),
        Utf8Scan::Invalid {
            byte,
            line,
            multibyte_before: true,
        } if !req.lossy => Err(ErrorKind::MixedEncoding { line, byte }.into()),
        Utf8Scan::Invalid { .. } => Ok(info(WINDOWS_1252, Detection::NotUtf8)),
    }
}

/// A decoding error found by the [`Decoder`]: the offset of the bad sequence
/// in the raw input.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BadSequence {
    pub byte: u64,
}

enum Kind {
    /// Validate in place.
    Utf8,
    /// Already proved valid UTF-8 by a scan of the whole file: pass through.
    /// (Rows are still checked when they become strings, so a file that
    /// changes under us gives an error, not bad text.)
    Trusted,
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
}

/// The least buffer that always has room for one character of output.
const MIN_BUF: usize = 16;

impl Decoder {
    /// `src` starts after the BOM of `info` (if any).
    pub(crate) fn new(src: Source, info: EncodingInfo, lossy: bool, capacity: usize) -> Decoder {
        let capacity = capacity.max(MIN_BUF);
        let kind = if info.encoding == UTF_8
            && info.detection == Detection::ValidUtf8
            && info.whole_file_checked
        {
            Kind::Trusted
        } else if info.encoding == UTF_8 && !lossy {
            Kind::Utf8
        } else {
            Kind::Transcode {
                dec: info.encoding.new_decoder_without_bom_handling(),
                raw: vec![0; capacity],
                raw_pos: 0,
                raw_end: 0,
                raw_base: 0,
                lossy,
            }
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
        }
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
                kind @ (Kind::Utf8 | Kind::Trusted) => {
                    let trusted = matches!(kind, Kind::Trusted);
                    if self.filled == self.buf.len() {
                        // Only when a caller keeps more than the buffer holds.
                        let len = self.buf.len();
                        self.buf.resize(len * 2, 0);
                    }
                    let n = read_some(&mut self.src, &mut self.buf[self.filled..])?;
                    if n == 0 {
                        self.eof = true;
                        if self.filled > self.end {
                            self.bad = Some(BadSequence {
                                byte: self.bom_len + self.base + self.end as u64,
                            });
                        }
                        return Ok(());
                    }
                    self.filled += n;
                    if trusted {
                        self.end = self.filled;
                    } else {
                        match std::str::from_utf8(&self.buf[self.end..self.filled]) {
                            Ok(_) => self.end = self.filled,
                            Err(e) => {
                                self.end += e.valid_up_to();
                                if e.error_len().is_some() {
                                    self.bad = Some(BadSequence {
                                        byte: self.bom_len + self.base + self.end as u64,
                                    });
                                }
                            }
                        }
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

    fn decode_all(
        bytes: &[u8],
        enc: &'static Encoding,
        lossy: bool,
        cap: usize,
    ) -> (Vec<u8>, Option<u64>) {
        let info = EncodingInfo {
            encoding: enc,
            detection: Detection::Label,
            bom_len: 0,
            whole_file_checked: false,
        };
        let src: Source = Box::new(crate::testutil::Chunked::new(bytes.to_vec(), cap));
        let mut d = Decoder::new(src, info, lossy, cap);
        d.set_chunk(cap);
        let mut out = vec![];
        loop {
            match d.fill_buf().unwrap() {
                Ok([]) => return (out, None),
                Ok(b) => {
                    let n = b.len();
                    out.extend_from_slice(b);
                    d.consume(n);
                }
                Err(bad) => return (out, Some(bad.byte)),
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
    fn scan_finds_mixed_files() {
        let mut r: &[u8] = b"caf\xC3\xA9\nna\xEFve";
        let scan = scan_utf8(&mut r).unwrap();
        assert_eq!(
            scan,
            Utf8Scan::Invalid {
                byte: 8,
                line: 2,
                multibyte_before: true
            }
        );
        let mut r: &[u8] = b"plain\nna\xEFve";
        assert!(matches!(
            scan_utf8(&mut r).unwrap(),
            Utf8Scan::Invalid {
                multibyte_before: false,
                ..
            }
        ));
    }
}
