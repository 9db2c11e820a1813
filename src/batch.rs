//! `batch`: an export in, a folder of request bodies out.
//!
//! Everything is written into a temporary folder beside `--out-dir`, the
//! manifest last, and the folder is renamed into place only when complete:
//! a failed run leaves no manifest and no half set.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use import_batches::{
    parse_size, Action, Batch, Batcher, DeleteTarget, ImportParams, Limits, Sink, SourceFormat,
};

use crate::cli::{BatchArgs, BatchingArgs};
use crate::fail::Fail;
use crate::fields::{self, LoadedMapping};
use crate::input::{delimiter_name, display_name, open_with_progress, Progress};
use crate::manifest::{self, BatchEntry, DataFile, Manifest, Parameters, Totals, MANIFEST};
use crate::rejects::{Reject, RejectsFile};

/// Exit code when rows were rejected under `--strict`.
const EXIT_REJECTED: u8 = 1;

pub fn run(args: &BatchArgs) -> Result<u8, Fail> {
    let started = Instant::now();
    let params = params(&args.batching, args.database, &args.input.input)?;
    let limits = Limits {
        max_bytes: parse_size(&args.batching.max_bytes).map_err(|e| Fail::usage(e, None))?,
        max_rows: args.batching.max_rows,
    };
    let name = display_name(&args.input);
    let mapping = fields::load(&args.fields)?;
    let (rdr, mut progress) = open_with_progress(&args.input, args.batching.threads)?;
    let reader_warnings = rdr.warnings().to_vec();
    let mapper = match &mapping {
        Some(m) => Some(m.mapper(&rdr, &params.key_fields, false)?),
        None => None,
    };
    // A CSV or sheet header names every column up front; JSON columns appear as rows do.
    let columns = mapper.as_ref().map_or(rdr.columns(), |m| m.columns());
    let known = rdr.info().format.is_tabular().then_some(columns);
    params.validate(known).map_err(|e| {
        Fail::usage(
            format!("{name}: {e}"),
            Some("the input's columns are listed by `copernica-import inspect`"),
        )
    })?;
    let batcher = Batcher::new(params.clone(), limits, args.batching.location_base.clone())
        .map_err(|e| Fail::usage(e, None))?;

    let out_dir = &args.out_dir;
    if fs::read_dir(out_dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Fail::usage(
            format!(
                "{}: the output folder exists and is not empty",
                out_dir.display()
            ),
            Some("choose a new --out-dir, or remove the old one"),
        ));
    }
    remove_abandoned_partials(out_dir);
    let tmp = temp_dir_beside(out_dir);
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).map_err(|e| Fail::io(tmp.display(), e))?;
    let result = write_all(
        args,
        rdr,
        mapper,
        mapping.as_ref(),
        reader_warnings,
        batcher,
        &tmp,
        &params,
        limits,
        name,
        &mut progress,
    );
    progress.finish();
    let (manifest, code) = match result {
        Ok(done) => done,
        Err(fail) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(fail);
        }
    };
    if out_dir.exists() {
        fs::remove_dir(out_dir).map_err(|e| Fail::io(out_dir.display(), e))?;
    }
    fs::rename(&tmp, out_dir).map_err(|e| Fail::io(out_dir.display(), e))?;

    for w in &manifest.warnings {
        eprintln!("copernica-import: warning: {w}");
    }
    let t = &manifest.totals;
    eprintln!(
        "wrote {} batches ({} rows, {} bytes) to {}, {} rejected, in {:.2} s",
        t.batches,
        t.rows,
        t.bytes,
        out_dir.display(),
        t.rejected,
        started.elapsed().as_secs_f64()
    );
    if t.rejected > 0 {
        eprintln!(
            "  rejected rows and reasons: {}",
            out_dir.join("rejects.csv").display()
        );
    }
    Ok(code)
}

/// The warning for a run without `--action`, if it is one.
pub fn action_warning(params: &ImportParams) -> Option<String> {
    params.action.is_none().then(|| {
        "no --action: the bodies carry none, and Copernica then applies a default its documentation does not state, so a second run may add every profile again; use --action \"update or add\" --key-fields FIELD,...".to_string()
    })
}

/// Removes the `.DIR.partial-PID` folders of runs that were killed: those
/// whose process is gone. A live process's folder is never touched. Process
/// liveness is read from /proc; where there is none, nothing is removed.
fn remove_abandoned_partials(dir: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let (parent, prefix) = partial_prefix(dir);
    let Ok(entries) = fs::read_dir(&parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || proc.join(pid.to_string()).exists() {
            continue;
        }
        let path = entry.path();
        if fs::remove_dir_all(&path).is_ok() {
            eprintln!(
                "copernica-import: removed {}, left by an earlier run (process {pid}) that did not finish",
                path.display()
            );
        }
    }
}

/// `DIR` -> `.DIR.partial-PID` in the same parent, so the rename stays on one file system.
fn temp_dir_beside(dir: &Path) -> PathBuf {
    let (parent, prefix) = partial_prefix(dir);
    parent.join(format!("{prefix}{}", std::process::id()))
}

/// The folder partial folders of `dir` go in, and their names' prefix
/// (`.DIR.partial-`).
fn partial_prefix(dir: &Path) -> (PathBuf, String) {
    let name = dir
        .file_name()
        .map_or("batches".into(), |n| n.to_string_lossy().into_owned());
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    (parent.to_path_buf(), format!(".{name}.partial-"))
}

/// A finished batch, owned, on its way to the disk.
struct Job {
    file: String,
    body: Vec<u8>,
    data: Option<(String, Vec<u8>)>,
    rows: usize,
    first_line: u64,
    last_line: u64,
}

/// Writes a job's body (and data file) and hashes it for the manifest.
fn write_job(dir: &Path, job: &Job) -> io::Result<BatchEntry> {
    let data = job.data.as_ref().map(|(n, d)| (n.as_str(), d.as_slice()));
    write_entry(dir, job, &job.body, data)
}

/// Writes `body` (and the data file) under the job's names; its manifest entry.
fn write_entry(
    dir: &Path,
    job: &Job,
    body: &[u8],
    data: Option<(&str, &[u8])>,
) -> io::Result<BatchEntry> {
    fs::write(dir.join(&job.file), body)?;
    let data_file = match data {
        Some((name, data)) => {
            fs::write(dir.join(name), data)?;
            Some(DataFile {
                file: name.to_string(),
                bytes: data.len(),
                blake3: Some(manifest::blake3_hex(data)),
                sha256: None,
            })
        }
        None => None,
    };
    Ok(BatchEntry {
        file: job.file.clone(),
        rows: job.rows,
        bytes: body.len(),
        blake3: Some(manifest::blake3_hex(body)),
        sha256: None,
        first_line: job.first_line,
        last_line: job.last_line,
        data_file,
    })
}

/// Writing and hashing, inline or on a thread of its own. With a thread,
/// one body waits in the channel while another is written, so memory stays
/// a few bodies, and buffers go back to be reused.
enum Writer<'d> {
    Inline {
        dir: &'d Path,
        entries: Vec<BatchEntry>,
    },
    Thread {
        jobs: Option<mpsc::SyncSender<Job>>,
        spare: mpsc::Receiver<Vec<u8>>,
        /// Buffers made for the batcher in exchange for the ones sent.
        made: usize,
        handle: Option<thread::JoinHandle<io::Result<Vec<BatchEntry>>>>,
        /// The batch lent to `batch`, waiting for its buffers in `keep`.
        pending: Option<Job>,
    },
}

impl<'d> Writer<'d> {
    fn new(dir: &'d Path, threads: usize) -> Writer<'d> {
        if threads < 2 {
            return Writer::Inline {
                dir,
                entries: Vec::new(),
            };
        }
        let (jobs, inbox) = mpsc::sync_channel::<Job>(1);
        let (give_back, spare) = mpsc::sync_channel::<Vec<u8>>(4);
        let dir = dir.to_path_buf();
        let handle = thread::spawn(move || {
            let mut entries = Vec::new();
            for job in inbox {
                entries.push(write_job(&dir, &job)?);
                let _ = give_back.try_send(job.body);
                if let Some((_, data)) = job.data {
                    let _ = give_back.try_send(data);
                }
            }
            Ok(entries)
        });
        Writer::Thread {
            jobs: Some(jobs),
            spare,
            made: 0,
            handle: Some(handle),
            pending: None,
        }
    }

    fn stop_error(&mut self) -> io::Error {
        match self.finish_inner() {
            Err(e) => e,
            Ok(_) => io::Error::other("the writer thread stopped"),
        }
    }

    fn finish_inner(&mut self) -> io::Result<Vec<BatchEntry>> {
        match self {
            Writer::Inline { entries, .. } => Ok(std::mem::take(entries)),
            Writer::Thread { jobs, handle, .. } => {
                drop(jobs.take());
                match handle.take().map(|h| h.join()) {
                    Some(Ok(result)) => result,
                    Some(Err(_)) => Err(io::Error::other("the writer thread panicked")),
                    None => Err(io::Error::other("the writer thread stopped")),
                }
            }
        }
    }

    /// Waits for the last write; the manifest entries in order.
    fn finish(mut self) -> io::Result<Vec<BatchEntry>> {
        self.finish_inner()
    }
}

/// Inline, a batch is written from the batcher's own buffers. On a thread,
/// the batcher's buffers go to the writer in exchange for spare ones (it
/// renders the next batch into those), so no body is copied.
impl Sink for Writer<'_> {
    fn batch(&mut self, b: &Batch<'_>) -> io::Result<()> {
        let job = Job {
            file: import_batches::file_name(b.part, "json"),
            body: Vec::new(),
            data: b.data.map(|(name, _)| (name.to_string(), Vec::new())),
            rows: b.rows,
            first_line: b.first_line,
            last_line: b.last_line,
        };
        match self {
            Writer::Inline { dir, entries } => {
                entries.push(write_entry(dir, &job, b.body, b.data)?);
                Ok(())
            }
            Writer::Thread { pending, .. } => {
                *pending = Some(job);
                Ok(())
            }
        }
    }

    fn keep(&mut self, body: &mut Vec<u8>, data: Option<&mut Vec<u8>>) -> io::Result<()> {
        let Writer::Thread {
            jobs,
            spare,
            made,
            pending,
            ..
        } = self
        else {
            return Ok(());
        };
        let Some(mut job) = pending.take() else {
            return Ok(());
        };
        // Three batches' buffers at most: the one being filled, one waiting
        // for the writer and one being written. Past that the batcher waits
        // for a written one, as it would for the writer's channel.
        let most = if job.data.is_some() { 4 } else { 2 };
        let mut swap = |buf: &mut Vec<u8>| {
            let next = match spare.try_recv() {
                Ok(b) => b,
                Err(_) if *made < most => {
                    *made += 1;
                    Vec::new()
                }
                // A stopped writer sends none: the send below says why.
                Err(_) => spare.recv().unwrap_or_default(),
            };
            std::mem::replace(buf, next)
        };
        job.body = swap(body);
        if let (Some((_, kept)), Some(data)) = (&mut job.data, data) {
            *kept = swap(data);
        }
        match jobs.as_ref().map(|j| j.send(job)) {
            Some(Ok(())) => Ok(()),
            // The writer stopped: its own error comes from finish().
            _ => Err(self.stop_error()),
        }
    }
}

fn io_fail(path: &Path) -> impl Fn(io::Error) -> Fail + '_ {
    move |e| Fail::io(path.display(), e)
}

/// The import's parameters from the command line, checked.
pub fn params(args: &BatchingArgs, database: u64, input: &str) -> Result<ImportParams, Fail> {
    let usage = |e: import_batches::ParamError| Fail::usage(e, None);
    let name = match &args.name {
        Some(n) => n.clone(),
        None => Path::new(input)
            .file_stem()
            .map(|s| s.to_string_lossy().trim_end_matches(".csv").to_string())
            .filter(|s| s != "-")
            .unwrap_or_else(|| "import".to_string()),
    };
    let mut p = ImportParams::new(database, name);
    p.followups = args.followups;
    p.autostart = !args.no_autostart;
    p.rebuild = args.rebuild;
    p.action = args
        .action
        .as_deref()
        .map(str::parse::<Action>)
        .transpose()
        .map_err(usage)?;
    p.key_fields = args
        .key_fields
        .iter()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty())
        .collect();
    p.ignore_empty_fields = args.ignore_empty_fields;
    p.remove_missing = args.remove_missing;
    p.delete_target = args
        .delete_target
        .as_deref()
        .map(str::parse::<DeleteTarget>)
        .transpose()
        .map_err(usage)?;
    p.source_format = args.source_format.parse::<SourceFormat>().map_err(usage)?;
    p.csv_delimiter = args.source_delimiter;
    p.validate(None).map_err(usage)?;
    Ok(p)
}

/// Writes bodies, data files and rejects into `dir`, then the manifest.
#[allow(clippy::too_many_arguments)]
fn write_all(
    args: &BatchArgs,
    rdr: profile_rows::RowReader,
    mapper: Option<field_map::Mapper>,
    mapping: Option<&LoadedMapping>,
    reader_warnings: Vec<String>,
    mut batcher: Batcher,
    dir: &Path,
    params: &ImportParams,
    limits: Limits,
    name: &str,
    progress: &mut Progress,
) -> Result<(Manifest, u8), Fail> {
    let rejects_path = dir.join("rejects.csv");
    let mut rejects = RejectsFile::create(&rejects_path).map_err(io_fail(&rejects_path))?;
    let mut writer = Writer::new(dir, args.batching.threads);
    let delimiter = rdr.info().delimiter;
    let mut rejected = 0u64;
    let batch_fail = |e: import_batches::Error| match e {
        import_batches::Error::Io(e) => Fail::io(dir.display(), e),
        import_batches::Error::Params(e) => Fail::usage(e, None),
        other => Fail::usage(other, None),
    };
    let mapper = fields::each_row(
        rdr,
        args.batching.threads >= 2,
        mapper,
        progress,
        name,
        |row, columns| batcher.push(row, columns, &mut writer).map_err(batch_fail),
        |row, reason| {
            rejected += 1;
            rejects
                .write(&Reject::new(row, reason, delimiter))
                .map_err(io_fail(&rejects_path))
        },
    )?;
    let summary = batcher.finish(&mut writer).map_err(batch_fail)?;
    let entries = writer.finish().map_err(|e| Fail::io(dir.display(), e))?;
    rejects.finish().map_err(io_fail(&rejects_path))?;
    let totals = Totals {
        batches: entries.len(),
        rows: summary.rows,
        rejected,
        bytes: entries.iter().map(|e| e.bytes as u64).sum(),
    };
    let manifest = Manifest {
        tool: format!("copernica-import {}", env!("CARGO_PKG_VERSION")),
        input: name.to_string(),
        parameters: Parameters {
            database: params.database,
            name: params.name.clone(),
            followups: params.followups,
            autostart: params.autostart,
            rebuild: params.rebuild,
            action: params.action.map(|a| a.as_str().to_string()),
            key_fields: params.key_fields.clone(),
            ignore_empty_fields: params.ignore_empty_fields,
            remove_missing: params.remove_missing,
            delete_target: args.batching.delete_target.clone(),
            source_format: args.batching.source_format.clone(),
            source_delimiter: (params.source_format == SourceFormat::Csv)
                .then(|| delimiter_name(params.csv_delimiter)),
            location_base: args.batching.location_base.clone(),
        },
        mapping: mapping.and_then(LoadedMapping::record),
        schema: mapping.and_then(LoadedMapping::schema_record),
        limits: crate::manifest::Limits {
            max_bytes: limits.max_bytes,
            max_rows: limits.max_rows,
        },
        batches: entries,
        totals,
        warnings: reader_warnings
            .into_iter()
            .chain(fields::dropped_warning(mapping, mapper.as_ref()))
            .chain(action_warning(params))
            .chain(summary.warnings)
            .collect(),
    };
    let path = dir.join(MANIFEST);
    let text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| Fail::io(path.display(), e.into()))?;
    fs::write(&path, text).map_err(io_fail(&path))?;
    let code = if args.batching.strict && rejected > 0 {
        EXIT_REJECTED
    } else {
        0
    };
    Ok((manifest, code))
}
