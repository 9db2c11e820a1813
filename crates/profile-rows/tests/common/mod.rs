//! Shared by the reader tests: fixtures, and reading one input at every
//! buffer capacity so chunk boundaries fall everywhere.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use profile_rows::{Error, ReaderBuilder, RowReader};

/// A 1-byte and a 7-byte buffer, and the default.
pub const CAPACITIES: [usize; 3] = [1, 7, 64 * 1024];

/// JSON values parsed on the reading thread, and on three workers.
pub const PARSE_THREADS: [usize; 2] = [0, 3];

/// A file under the workspace's `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// Reads `path` with each capacity, and JSON with and without parser
/// threads, through `drain`; every way must give the same result (rows and
/// rejects, or the same error). Returns the last.
pub fn read_at_every_capacity<T: Clone + Debug + PartialEq>(
    path: &Path,
    configure: impl Fn(&mut ReaderBuilder),
    drain: impl Fn(RowReader) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut first: Option<Result<T, String>> = None;
    let mut last = None;
    for cap in CAPACITIES {
        for threads in PARSE_THREADS {
            let mut b = ReaderBuilder::new();
            b.buffer_capacity(cap).parse_threads(threads);
            configure(&mut b);
            let got = b.from_path(path).and_then(&drain);
            let cmp = got.as_ref().map(T::clone).map_err(|e| e.to_string());
            match &first {
                None => first = Some(cmp),
                Some(f) => assert_eq!(
                    f,
                    &cmp,
                    "{}: capacity {cap}, {threads} parse threads differ",
                    path.display()
                ),
            }
            last = Some(got);
        }
    }
    last.expect("CAPACITIES is not empty")
}
