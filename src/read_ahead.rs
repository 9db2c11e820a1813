//! Rows in input order, read, and mapped when there is a mapping, on
//! threads of their own when asked: the reader parses the next chunk while
//! the mapping stage maps the one before and the caller batches the one
//! before that.
//!
//! Chunks of rows travel over channels of one and come back to be refilled,
//! so rows and their mapping buffers keep their grown capacity and reading
//! allocates no more than it does on one thread. A chunk carries the names
//! of columns that appeared in it (JSON input; the mapped names once it is
//! mapped), and each later stage's column table interns them in the same
//! order, so column ids agree everywhere. Mapping is sequential (fill-down
//! depends on the rows above), so one thread maps every chunk, in order.
//! Without a mapping there are two stages; with one, three: on two cores
//! the mapping then takes the time reading and batching leave idle, where
//! on the reading thread it lengthened the longest stage.

use std::sync::mpsc;
use std::thread;

use field_map::{MapBuf, MapError, MappedRows, Mapper, MappingError};
use profile_rows::{Columns, Row, RowReader, RowView};

/// Rows a chunk holds at most, and the bytes of row text after which it is
/// full. Chunks of half a MiB keep the hand-offs between stages rare: with
/// 1,024 rows a chunk (240 KB of the generated 100 MB export), `batch` of
/// it mapped switched context 3,165 times against 880, and kept 1.49 CPUs
/// busy against 1.77 (BENCHMARKS.md, 2026-12-04). The byte bound keeps a
/// chunk of wide rows from growing large.
const CHUNK_ROWS: usize = 4096;
const CHUNK_BYTES: usize = 512 * 1024;

/// One row for the caller.
pub enum Item<'a> {
    /// A row the reader and the mapping took: as mapped, as read, and the
    /// table its columns are in.
    Row(&'a dyn RowView, &'a Row, &'a Columns),
    /// A row that was rejected, as read, and why.
    Reject(&'a Row, &'a str),
}

#[derive(Default)]
struct Chunk {
    rows: Vec<Row>,
    /// The rows as mapped, all in one pair of buffers (no allocation per
    /// row: a fresh chunk costs its allocations and its page faults).
    mapped: MappedRows,
    /// The rows the reader or the mapping rejected, by index, in order, and
    /// why (a list of the few, not a slot per row: every byte of a chunk
    /// crosses between cores).
    rejects: Vec<(usize, String)>,
    len: usize,
    new_columns: Vec<String>,
}

/// Why reading stopped early.
pub enum Stop<E> {
    /// The input is unusable.
    Input(profile_rows::Error),
    /// A column that appeared breaks the mapping.
    Mapping(MappingError),
    /// The caller said stop.
    Caller(E),
}

/// What stopped the reading thread.
enum Fatal {
    Input(profile_rows::Error),
    Mapping(MappingError),
}

/// Calls `f` for every row in input order; with `mapper`, rows are mapped
/// first and a value that does not fit is a reject. With `ahead`, reading
/// and mapping happen on a second thread. Gives the mapper back, for its
/// counts and its last checks.
pub fn each_row<E>(
    mut rdr: RowReader,
    mut mapper: Option<Mapper>,
    ahead: bool,
    mut f: impl FnMut(Item<'_>) -> Result<(), E>,
) -> Result<Option<Mapper>, Stop<E>> {
    if !ahead {
        let mut row = Row::new();
        let mut buf = MapBuf::new();
        loop {
            let reject = match rdr.read_row(&mut row) {
                Ok(true) => None,
                Ok(false) => return Ok(mapper),
                Err(e) if e.is_reject() => Some(e.kind().to_string()),
                Err(e) => return Err(Stop::Input(e)),
            };
            let reject = match (reject, &mut mapper) {
                (Some(r), _) => Some(r),
                (None, None) => {
                    f(Item::Row(&row, &row, rdr.columns())).map_err(Stop::Caller)?;
                    continue;
                }
                (None, Some(m)) => match m.map_into(&row, rdr.columns(), &mut buf) {
                    Ok(()) => {
                        let view = buf.view(&row, m.columns());
                        f(Item::Row(&view, &row, m.columns())).map_err(Stop::Caller)?;
                        continue;
                    }
                    Err(MapError::Row(e)) => Some(e.to_string()),
                    Err(MapError::Mapping(e)) => return Err(Stop::Mapping(e)),
                },
            };
            if let Some(reason) = reject {
                f(Item::Reject(&row, &reason)).map_err(Stop::Caller)?;
            }
        }
    }
    let mapping = mapper.is_some();
    let mut columns = match &mapper {
        Some(m) => m.columns().clone(),
        None => rdr.columns().clone(),
    };
    let (chunks, inbox) = mpsc::sync_channel::<Result<Chunk, Fatal>>(1);
    let (give_back, returned) = mpsc::channel::<Chunk>();
    // Without a mapping: read | batch. With one: read | map | batch, so the
    // mapping takes the core that reading and batching leave idle.
    let (reader, mapping_thread) = match mapper {
        None => (
            spawn("read", move || read_chunks(rdr, chunks, returned, 2)),
            None,
        ),
        Some(m) => {
            let (read, to_map) = mpsc::sync_channel::<Result<Chunk, Fatal>>(1);
            let input = rdr.columns().clone();
            let reader = spawn("read", move || read_chunks(rdr, read, returned, 3));
            let mapping_thread = spawn("map", move || map_chunks(m, input, to_map, chunks));
            (reader, Some(mapping_thread))
        }
    };
    let mut result = Ok(());
    for chunk in inbox.iter() {
        let chunk = match chunk {
            Ok(c) => c,
            Err(Fatal::Input(e)) => {
                result = Err(Stop::Input(e));
                break;
            }
            Err(Fatal::Mapping(e)) => {
                result = Err(Stop::Mapping(e));
                break;
            }
        };
        for name in &chunk.new_columns {
            columns.intern(name);
        }
        let mut rejects = chunk.rejects.iter().peekable();
        for i in 0..chunk.len {
            let row = &chunk.rows[i];
            let called = match rejects.next_if(|(at, _)| *at == i) {
                Some((_, reason)) => f(Item::Reject(row, reason)),
                None if mapping => {
                    let view = chunk.mapped.view(i, row, &columns);
                    f(Item::Row(&view, row, &columns))
                }
                None => f(Item::Row(row, row, &columns)),
            };
            if let Err(e) = called {
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
    // A panic on the reading or mapping thread is not an end of input.
    let mapper = mapping_thread.map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
    reader
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p));
    result.map(|()| mapper)
}

/// A named thread (profilers show the name).
fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> thread::JoinHandle<T> {
    thread::Builder::new()
        .name(name.to_string())
        .spawn(f)
        .expect("a thread can be started")
}

/// The mapping stage: maps the rows of each chunk in order (`input` is the
/// reader's column table, kept in step from the chunks' new columns) and
/// passes the chunk on with the mapped names of the columns that appeared.
fn map_chunks(
    mut mapper: Mapper,
    mut input: Columns,
    read: mpsc::Receiver<Result<Chunk, Fatal>>,
    mapped: mpsc::SyncSender<Result<Chunk, Fatal>>,
) -> Mapper {
    let mut known = mapper.columns().len();
    for chunk in read.iter() {
        let mut chunk = match chunk {
            Ok(c) => c,
            Err(fatal) => {
                let _ = mapped.send(Err(fatal));
                break;
            }
        };
        for name in &chunk.new_columns {
            input.intern(name);
        }
        chunk.mapped.clear();
        // The reader's rejects, and the mapping's among them in row order.
        let mut read = std::mem::take(&mut chunk.rejects).into_iter().peekable();
        for i in 0..chunk.len {
            if let Some(reject) = read.next_if(|(at, _)| *at == i) {
                chunk.rejects.push(reject);
                chunk.mapped.skip();
                continue;
            }
            match mapper.map_push(&chunk.rows[i], &input, &mut chunk.mapped) {
                Ok(()) => {}
                Err(MapError::Row(e)) => chunk.rejects.push((i, e.to_string())),
                Err(MapError::Mapping(e)) => {
                    let _ = mapped.send(Err(Fatal::Mapping(e)));
                    return mapper;
                }
            }
        }
        let out = mapper.columns();
        chunk.new_columns.clear();
        chunk
            .new_columns
            .extend((known..out.len()).map(|i| out.name(i).to_string()));
        known = out.len();
        if mapped.send(Ok(chunk)).is_err() {
            break;
        }
    }
    mapper
}

/// The reading stage: fills chunks and sends them on. `stages` is the
/// number of stages (this one included); at most two chunks a stage exist
/// (one worked on, one waiting in a channel), so memory is a few chunks
/// whatever the timing: a new one is made only below that, otherwise the
/// reader waits for one to come back.
fn read_chunks(
    mut rdr: RowReader,
    chunks: mpsc::SyncSender<Result<Chunk, Fatal>>,
    returned: mpsc::Receiver<Chunk>,
    stages: usize,
) {
    let mut known = rdr.columns().len();
    let mut made = 0;
    loop {
        let mut chunk = match returned.try_recv() {
            Ok(chunk) => chunk,
            Err(_) if made < 2 * stages => {
                made += 1;
                Chunk::default()
            }
            // Every chunk is out: wait for one (none comes back when the
            // consumer has stopped, and then neither is one needed).
            Err(_) => match returned.recv() {
                Ok(chunk) => chunk,
                Err(_) => return,
            },
        };
        chunk.len = 0;
        chunk.rejects.clear();
        chunk.new_columns.clear();
        let mut done = false;
        let mut bytes = 0;
        while chunk.len < CHUNK_ROWS && bytes < CHUNK_BYTES {
            let i = chunk.len;
            if chunk.rows.len() == i {
                // A fresh row, sized like the one before it.
                let like = i.checked_sub(1).map(|p| &chunk.rows[p]);
                let (bytes, fields) = like.map_or((0, 0), |r| (r.text().len(), r.len()));
                chunk.rows.push(Row::with_capacity(bytes, fields));
            }
            match rdr.read_row(&mut chunk.rows[i]) {
                Ok(true) => bytes += chunk.rows[i].text().len(),
                Ok(false) => {
                    done = true;
                    break;
                }
                Err(e) if e.is_reject() => chunk.rejects.push((i, e.kind().to_string())),
                Err(e) => {
                    let _ = chunks.send(Err(Fatal::Input(e)));
                    return;
                }
            }
            chunk.len += 1;
        }
        let c = rdr.columns();
        chunk
            .new_columns
            .extend((known..c.len()).map(|i| c.name(i).to_string()));
        known = c.len();
        if chunks.send(Ok(chunk)).is_err() || done {
            return;
        }
    }
}
