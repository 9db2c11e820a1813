//! Rows in input order, read on a second thread when asked: the reader
//! parses the next chunk while the caller batches this one.
//!
//! Chunks of rows travel over a channel of one and come back to be refilled,
//! so rows keep their grown buffers and reading allocates no more than it
//! does on one thread. A chunk carries the names of columns that appeared in
//! it (JSON input), and the caller's column table interns them in the same
//! order, so column ids agree on both sides.

use std::sync::mpsc;
use std::thread;

use profile_rows::{Columns, Row, RowReader};

/// Rows a chunk holds at most.
const CHUNK_ROWS: usize = 1024;

#[derive(Default)]
struct Chunk {
    rows: Vec<Row>,
    /// Per row: `None`, or why the reader rejected it.
    rejects: Vec<Option<String>>,
    len: usize,
    new_columns: Vec<String>,
}

/// Why reading stopped early.
pub enum Stop<E> {
    /// The input is unusable.
    Input(profile_rows::Error),
    /// The caller said stop.
    Caller(E),
}

/// Calls `f(row, reject, columns)` for every row in input order, where
/// `reject` is the reader's reason for a row it rejected. With `ahead`, the
/// reading happens on a second thread.
pub fn each_row<E>(
    mut rdr: RowReader,
    ahead: bool,
    mut f: impl FnMut(&Row, Option<&str>, &Columns) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    if !ahead {
        let mut row = Row::new();
        loop {
            match rdr.read_row(&mut row) {
                Ok(true) => f(&row, None, rdr.columns()).map_err(Stop::Caller)?,
                Ok(false) => return Ok(()),
                Err(e) if e.is_reject() => {
                    f(&row, Some(&e.kind().to_string()), rdr.columns()).map_err(Stop::Caller)?
                }
                Err(e) => return Err(Stop::Input(e)),
            }
        }
    }
    let mut columns = rdr.columns().clone();
    let (chunks, inbox) = mpsc::sync_channel::<Result<Chunk, profile_rows::Error>>(1);
    let (give_back, returned) = mpsc::channel::<Chunk>();
    let reader = thread::spawn(move || read_chunks(rdr, chunks, returned));
    let mut result = Ok(());
    for chunk in inbox.iter() {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                result = Err(Stop::Input(e));
                break;
            }
        };
        for name in &chunk.new_columns {
            columns.intern(name);
        }
        for i in 0..chunk.len {
            if let Err(e) = f(&chunk.rows[i], chunk.rejects[i].as_deref(), &columns) {
                result = Err(Stop::Caller(e));
                break;
            }
        }
        if result.is_err() {
            break;
        }
        let _ = give_back.send(chunk);
    }
    // Stops the reader if we stopped first: its sends fail once `inbox` is gone.
    drop(inbox);
    drop(give_back);
    let _ = reader.join();
    result
}

fn read_chunks(
    mut rdr: RowReader,
    chunks: mpsc::SyncSender<Result<Chunk, profile_rows::Error>>,
    returned: mpsc::Receiver<Chunk>,
) {
    let mut known = rdr.columns().len();
    loop {
        let mut chunk = returned.try_recv().unwrap_or_default();
        chunk.len = 0;
        chunk.rejects.clear();
        chunk.new_columns.clear();
        let mut done = false;
        while chunk.len < CHUNK_ROWS {
            if chunk.rows.len() == chunk.len {
                chunk.rows.push(Row::new());
            }
            match rdr.read_row(&mut chunk.rows[chunk.len]) {
                Ok(true) => chunk.rejects.push(None),
                Ok(false) => {
                    done = true;
                    break;
                }
                Err(e) if e.is_reject() => chunk.rejects.push(Some(e.kind().to_string())),
                Err(e) => {
                    let _ = chunks.send(Err(e));
                    return;
                }
            }
            chunk.len += 1;
        }
        let columns = rdr.columns();
        chunk
            .new_columns
            .extend((known..columns.len()).map(|c| columns.name(c).to_string()));
        known = columns.len();
        if chunks.send(Ok(chunk)).is_err() || done {
            return;
        }
    }
}
