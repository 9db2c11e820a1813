//! Opening an input: a path or stdin, with gzip recognised by its magic bytes.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

/// Where the bytes come from.
pub enum Input {
    /// A file; `-` is not special here (see [`Input::from_arg`]).
    Path(PathBuf),
    /// Standard input.
    Stdin,
    /// Any reader, e.g. an in-memory buffer or a network stream.
    Reader(Box<dyn Read + Send>),
}

impl Input {
    /// The command-line convention: `-` is stdin, anything else a path.
    pub fn from_arg(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }

    /// The path, when the input is a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::Path(p) => Some(p),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Path(p) => write!(f, "{}", p.display()),
            Input::Stdin => f.write_str("<stdin>"),
            Input::Reader(_) => f.write_str("<reader>"),
        }
    }
}

pub(crate) type Source = Box<dyn Read + Send>;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The pieces decompressed gzip is read in (see [`ungzip`]).
const GZ_BUFFER: usize = 64 * 1024;

/// Wraps `r` in a gzip decoder when its first two bytes are the gzip magic.
/// Returns the stream of plain bytes and whether it was compressed.
pub(crate) fn ungzip(mut r: Source) -> io::Result<(Source, bool)> {
    let mut head = [0u8; 2];
    let n = read_full(&mut r, &mut head)?;
    let prefix = Cursor::new(head[..n].to_vec());
    let whole: Source = Box::new(prefix.chain(r));
    if n == 2 && head == GZIP_MAGIC {
        // flate2 given a small buffer can report a damaged stream before the
        // bytes that precede the damage; read it in large pieces always, so
        // an error lands at the same place whatever the caller's buffer.
        let gz = MultiGzDecoder::new(whole);
        Ok((Box::new(io::BufReader::with_capacity(GZ_BUFFER, gz)), true))
    } else {
        Ok((whole, false))
    }
}

/// Opens a file (or stdin) as plain bytes, gunzipping when needed; counts
/// the bytes read from the input itself (before gunzip) into `counter`.
pub(crate) fn open(input: Input, counter: Option<Arc<AtomicU64>>) -> io::Result<(Source, bool)> {
    let raw: Source = match input {
        Input::Path(p) => Box::new(File::open(&p)?),
        Input::Stdin => Box::new(io::stdin()),
        Input::Reader(r) => r,
    };
    match counter {
        Some(counter) => ungzip(Box::new(Counting {
            inner: raw,
            counter,
        })),
        None => ungzip(raw),
    }
}

/// Adds the bytes it reads to a shared counter (for progress bars).
struct Counting {
    inner: Source,
    counter: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads until `buf` is full or the end of input; returns the bytes read.
pub(crate) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
