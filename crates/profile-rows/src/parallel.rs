//! JSON values parsed on worker threads, rows handed out in input order.
//!
//! How it works. The reading thread cuts values as always (the scanner in
//! [`crate::json`]) but, instead of parsing each, copies it into a block of
//! about 64 KiB. Blocks go to the workers round-robin and come back from
//! them in the same turn, so results arrive in input order. A block holds
//! about one input buffer of text (so tiny buffers in tests make blocks of a
//! value or two, and every order of arrival is tried). A worker parses
//! and flattens with a column table of its own; the reading thread maps a
//! worker's columns to the reader's as values come back, interning names in
//! the order a single thread would have met them, so column ids are the same
//! with any number of workers. Blocks, their rows and their buffers go round
//! and round: once they have grown, nothing is allocated per row.
//!
//! A value's reject or error is reported when its turn comes: the rows of
//! every value before it have been handed out, none after it.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

use crate::error::{Error, ErrorKind, Result};
use crate::json::{At, ValueParser};
use crate::row::{Columns, Row};

/// Values in a block at most.
const BLOCK_VALUES: usize = 512;
/// Blocks in flight per worker.
const DEPTH: usize = 2;

/// Values on their way to a worker, and their rows on the way back.
#[derive(Default)]
pub(crate) struct Block {
    text: Vec<u8>,
    /// Each value's text in `text`, and where it starts in the input.
    values: Vec<(usize, usize, At)>,
    rows: Vec<Row>,
    /// Per value parsed: the end of its rows and of its new names, and how it went.
    done: Vec<Done>,
    /// Names the worker met for the first time, in order.
    names: Vec<String>,
}

impl Block {
    /// Adds a value to a block being cut.
    pub(crate) fn push(&mut self, text: &[u8], at: At) {
        let start = self.text.len();
        self.text.extend_from_slice(text);
        self.values.push((start, self.text.len(), at));
    }

    fn full(&self, bytes: usize) -> bool {
        self.text.len() >= bytes || self.values.len() >= BLOCK_VALUES
    }
}

struct Done {
    rows: usize,
    names: usize,
    outcome: Outcome,
}

enum Outcome {
    Rows,
    /// The value's text is its last row.
    Reject(ErrorKind),
    Fail(Error),
}

/// The block being handed out.
struct Current {
    block: Block,
    worker: usize,
    value: usize,
    row: usize,
    rows_end: usize,
    names: usize,
}

/// The workers, and the state of handing out their rows.
pub(crate) struct Parallel {
    to: Vec<SyncSender<Block>>,
    from: Vec<Receiver<Block>>,
    handles: Vec<JoinHandle<()>>,
    in_flight: usize,
    send_to: usize,
    recv_from: usize,
    /// Text in a block before it is sent.
    block_bytes: usize,
    /// The block being cut.
    pub(crate) building: Block,
    spare: Vec<Block>,
    /// Per worker: the reader's column id of each of the worker's columns.
    remap: Vec<Vec<usize>>,
    current: Option<Current>,
    /// Why cutting stopped (the end, or an error), for when all before it
    /// has been handed out.
    stopped: Option<Result<bool>>,
    /// Everything has been handed out, or an error ended reading.
    finished: bool,
}

impl Parallel {
    /// `workers` threads, each given blocks of about `block_bytes` of text.
    pub(crate) fn new(workers: usize, join: &str, block_bytes: usize) -> Parallel {
        let mut p = Parallel {
            to: Vec::new(),
            from: Vec::new(),
            handles: Vec::new(),
            in_flight: 0,
            send_to: 0,
            recv_from: 0,
            block_bytes,
            building: Block::default(),
            spare: Vec::new(),
            remap: Vec::new(),
            current: None,
            stopped: None,
            finished: false,
        };
        for _ in 0..workers {
            let (to, inbox) = mpsc::sync_channel(DEPTH);
            let (outbox, from) = mpsc::sync_channel(DEPTH);
            let join = join.to_string();
            p.handles
                .push(thread::spawn(move || work(&join, inbox, outbox)));
            p.to.push(to);
            p.from.push(from);
            p.remap.push(Vec::new());
        }
        p
    }

    /// True when more values should be cut: the pipeline has room and
    /// the input has not ended.
    pub(crate) fn wants_values(&self) -> bool {
        self.stopped.is_none() && self.in_flight < self.to.len() * DEPTH
    }

    /// True when the block being cut should be sent.
    pub(crate) fn block_full(&self) -> bool {
        self.building.full(self.block_bytes)
    }

    /// Cutting ended with `why`: the end of input, or an error.
    pub(crate) fn stop(&mut self, why: Result<bool>) {
        self.stopped = Some(why);
    }

    /// Sends the block being cut, if it holds values.
    pub(crate) fn send(&mut self) {
        if self.building.values.is_empty() {
            return;
        }
        let mut next = self.spare.pop().unwrap_or_default();
        next.text.clear();
        next.values.clear();
        let block = std::mem::replace(&mut self.building, next);
        let w = self.send_to;
        self.send_to = (w + 1) % self.to.len();
        self.in_flight += 1;
        if self.to[w].send(block).is_err() {
            self.stop(Err(worker_gone()));
        }
    }

    /// The next row in input order: `Ok(None)` when a block must be cut
    /// first (the pipeline is not full and the input goes on).
    pub(crate) fn next_row(
        &mut self,
        columns: &mut Columns,
        row: &mut Row,
    ) -> Result<Option<bool>> {
        if self.finished {
            return Ok(Some(false));
        }
        loop {
            if let Some(cur) = &mut self.current {
                if cur.row < cur.rows_end {
                    std::mem::swap(row, &mut cur.block.rows[cur.row]);
                    cur.row += 1;
                    return Ok(Some(true));
                }
                if cur.value < cur.block.done.len() {
                    let done = &mut cur.block.done[cur.value];
                    cur.value += 1;
                    let remap = &mut self.remap[cur.worker];
                    for name in &cur.block.names[cur.names..done.names] {
                        remap.push(columns.intern(name));
                    }
                    cur.names = done.names;
                    for r in &mut cur.block.rows[cur.row..done.rows] {
                        for c in &mut r.cols {
                            *c = remap[*c];
                        }
                    }
                    cur.rows_end = done.rows;
                    match std::mem::replace(&mut done.outcome, Outcome::Rows) {
                        Outcome::Rows => continue,
                        Outcome::Reject(kind) => {
                            cur.row = done.rows;
                            std::mem::swap(row, &mut cur.block.rows[done.rows - 1]);
                            return Err(kind.into());
                        }
                        Outcome::Fail(e) => {
                            // Nothing after an error is handed out.
                            self.current = None;
                            self.finished = true;
                            return Err(e);
                        }
                    }
                }
                let done = self.current.take().expect("a current block");
                self.spare.push(done.block);
            }
            if self.wants_values() {
                return Ok(None);
            }
            if self.in_flight == 0 {
                self.finished = true;
                return match self.stopped.take() {
                    Some(Err(e)) => Err(e),
                    _ => Ok(Some(false)),
                };
            }
            let w = self.recv_from;
            self.recv_from = (w + 1) % self.from.len();
            self.in_flight -= 1;
            let Ok(block) = self.from[w].recv() else {
                self.finished = true;
                return Err(worker_gone());
            };
            self.current = Some(Current {
                block,
                worker: w,
                value: 0,
                row: 0,
                rows_end: 0,
                names: 0,
            });
        }
    }
}

impl Drop for Parallel {
    fn drop(&mut self) {
        // Closing the inboxes ends the workers; the outboxes go with us.
        self.to.clear();
        self.from.clear();
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

fn worker_gone() -> Error {
    ErrorKind::Io(std::io::Error::other("a JSON parser thread stopped")).into()
}

/// A worker: parses the values of each block into its rows.
fn work(join: &str, inbox: Receiver<Block>, outbox: SyncSender<Block>) {
    let mut parser = ValueParser::new(join);
    let mut columns = Columns::new();
    for mut b in inbox {
        b.done.clear();
        b.names.clear();
        let mut n = 0;
        for &(start, end, at) in &b.values {
            let known = columns.len();
            let result = parser.value(&b.text[start..end], at, &mut columns, &mut b.rows, &mut n);
            b.names
                .extend((known..columns.len()).map(|c| columns.name(c).to_string()));
            let outcome = match result {
                Ok(None) => Outcome::Rows,
                Ok(Some(kind)) => Outcome::Reject(kind),
                Err(e) => Outcome::Fail(e),
            };
            let fail = matches!(outcome, Outcome::Fail(_));
            b.done.push(Done {
                rows: n,
                names: b.names.len(),
                outcome,
            });
            if fail {
                break;
            }
        }
        if outbox.send(b).is_err() {
            return;
        }
    }
}
