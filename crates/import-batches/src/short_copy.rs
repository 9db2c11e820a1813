//! Copying many short slices, fast and in safe code.
//!
//! A row of a body is a few dozen short pieces: keys of 10 to 20 bytes and
//! values of a few bytes. `Vec::extend_from_slice` calls `memcpy` for each,
//! with a length it learns only then. When both buffers have a whole block
//! from where the piece starts, [`put`] copies a fixed block instead (a
//! couple of vector moves); the bytes after the piece are overwritten by the
//! next piece, or cut off when the row is done.

/// Bytes moved at once; the padding a source needs after its last piece.
pub(crate) const BLOCK: usize = 32;

/// Copies `src[from..from + len]` to `out[at..]`; returns where it ends.
/// `out[at + len..at + BLOCK]` may be overwritten.
#[inline]
pub(crate) fn put(out: &mut [u8], at: usize, src: &[u8], from: usize, len: usize) -> usize {
    if len <= BLOCK {
        if let (Some(to), Some(block)) = (out.get_mut(at..at + BLOCK), src.get(from..from + BLOCK))
        {
            to.copy_from_slice(block);
            return at + len;
        }
    }
    out[at..at + len].copy_from_slice(&src[from..from + len]);
    at + len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_of_every_length_land_exactly_with_or_without_padding() {
        let src: Vec<u8> = (0..100).collect();
        for len in 0..=70 {
            for from in [0, 1, 100 - len, (100 - len) / 2] {
                let mut out = vec![0xff; 200];
                let end = put(&mut out, 5, &src, from, len);
                assert_eq!(end, 5 + len);
                assert_eq!(&out[5..end], &src[from..from + len]);
                assert!(out[..5].iter().all(|&b| b == 0xff), "before the piece");
                // Next piece written at `end` wins over the block's extra bytes.
                let end2 = put(&mut out, end, b"xyz", 0, 3);
                assert_eq!(&out[end..end2], b"xyz");
                assert_eq!(&out[5..end], &src[from..from + len]);
            }
        }
    }
}
