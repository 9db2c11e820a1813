//! Finding the first of a few bytes in short text, 8 bytes at a time.
//!
//! A CSV field or a JSON string is mostly a few bytes long, and `memchr`
//! builds its vectors on every call; these look at a word at a time with
//! the "has a byte equal to" and "has a byte below" tricks. Both flag the
//! lowest such byte exactly (a borrow can only flag bytes above it), so the
//! lowest bit set says where it is.

use memchr::{memchr2, memchr3};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes of text searched a word at a time before `memchr` takes over.
const SHORT: usize = 32;

/// The high bit of each byte of `x` that equals `v` (and maybe of bytes
/// above the first such).
#[inline(always)]
fn equal_bytes(x: u64, v: u8) -> u64 {
    let y = x ^ (ONES * u64::from(v));
    y.wrapping_sub(ONES) & !y & HIGHS
}

/// The high bit of each byte of `x` below 0x20 (and maybe of bytes above
/// the first such).
#[inline(always)]
fn control_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES * 0x20) & !x & HIGHS
}

/// The first byte of `s[..limit]` (and on, to the end, in the last word)
/// that `flags` marks in a word and `is` says of a byte: `Ok` with it, or
/// `None` at the end of `s`; `Err(i)` when the first `i >= limit` bytes
/// hold none, for a `memchr` to go on from there.
#[inline(always)]
fn first(
    s: &[u8],
    limit: usize,
    flags: impl Fn(u64) -> u64,
    is: impl Fn(u8) -> bool,
) -> Result<Option<usize>, usize> {
    let mut i = 0;
    while i < limit {
        let Some(w) = s.get(i..i + 8) else {
            return Ok(s[i..].iter().position(|&y| is(y)).map(|k| i + k));
        };
        let m = flags(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        if m != 0 {
            return Ok(Some(i + (m.trailing_zeros() / 8) as usize));
        }
        i += 8;
    }
    Err(i)
}

/// The first `a`, `b` or `c` in `s`, as `memchr3` finds it.
#[inline(always)]
pub(crate) fn find3(a: u8, b: u8, c: u8, s: &[u8]) -> Option<usize> {
    let flags = |x| equal_bytes(x, a) | equal_bytes(x, b) | equal_bytes(x, c);
    first(s, SHORT, flags, |y| y == a || y == b || y == c)
        .unwrap_or_else(|i| memchr3(a, b, c, &s[i..]).map(|k| i + k))
}

/// The first `a` or `b` in `s`, as `memchr2` finds it.
#[inline(always)]
pub(crate) fn find2(a: u8, b: u8, s: &[u8]) -> Option<usize> {
    let flags = |x| equal_bytes(x, a) | equal_bytes(x, b);
    first(s, SHORT, flags, |y| y == a || y == b)
        .unwrap_or_else(|i| memchr2(a, b, &s[i..]).map(|k| i + k))
}

/// The first byte that ends or interrupts a JSON string's plain text: `"`,
/// `\` or a control character (below 0x20). No `memchr` has that search,
/// so it goes a word at a time to the end.
#[inline(always)]
pub(crate) fn string_stop(s: &[u8]) -> Option<usize> {
    let flags = |x| equal_bytes(x, b'"') | equal_bytes(x, b'\\') | control_bytes(x);
    first(s, usize::MAX, flags, |y| {
        y == b'"' || y == b'\\' || y < 0x20
    })
    .unwrap_or_else(|_| unreachable!("no limit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length across the word-at-a-time part and past it, each place,
    /// beside bytes next to the ones looked for (a borrow in the word
    /// tricks would show there), ASCII and not.
    fn agrees(find: impl Fn(&[u8]) -> Option<usize>, wanted: &[u8], fill: &[u8]) {
        let first = |s: &[u8]| s.iter().position(|b| wanted.contains(b));
        for len in 0..80 {
            for &f in fill {
                let mut s = vec![f; len];
                assert_eq!(find(&s), first(&s), "{s:?}");
                for at in 0..len {
                    for &b in wanted {
                        s[at] = b;
                        let later = (at + 3).min(len - 1);
                        s[later] = wanted[0];
                        assert_eq!(find(&s), first(&s), "{s:?}");
                        s[at] = f;
                        s[later] = f;
                    }
                }
            }
        }
    }

    #[test]
    fn find3_finds_what_memchr3_finds() {
        let fill = [b'a', b',' - 1, b',' + 1, b'\n' + 1, 0x00, 0x80, 0xff, 0xac];
        agrees(|s| find3(b',', b'\n', b'\r', s), b",\n\r", &fill);
    }

    #[test]
    fn find2_finds_what_memchr2_finds() {
        let fill = [
            b'a',
            b'"' - 1,
            b'"' + 1,
            b'\\' + 1,
            b'\\' - 1,
            0x80,
            0xff,
            0xdc,
        ];
        agrees(|s| find2(b'"', b'\\', s), b"\"\\", &fill);
    }

    #[test]
    fn string_stop_finds_quotes_backslashes_and_control_characters() {
        let fill = [
            b'a',
            b' ',
            0x21,
            b'"' + 1,
            b'\\' + 1,
            0x7f,
            0x80,
            0xa0,
            0xff,
        ];
        let stops: Vec<u8> = [b'"', b'\\'].into_iter().chain(0..0x20).collect();
        agrees(string_stop, &stops, &fill);
    }
}
