//! Helpers for the unit tests.

use std::io::Read;

/// A reader that hands out at most `max` bytes per read.
pub(crate) struct Chunked {
    data: Vec<u8>,
    pos: usize,
    max: usize,
}

impl Chunked {
    pub(crate) fn new(data: Vec<u8>, max: usize) -> Chunked {
        Chunked {
            data,
            pos: 0,
            max: max.max(1),
        }
    }
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.max).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
