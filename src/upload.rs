//! `upload`: post a batch folder's bodies to `BASE/imports`, in order.
//!
//! Never twice: each accepted batch is recorded in `upload-state.json`
//! (written to a temporary file and renamed, so it is whole or absent) before
//! the next is sent, and a rerun skips what is recorded. The one batch in
//! flight when a run dies has no record and is sent again by the rerun.
//!
//! The token: read from `COPERNICA_ACCESS_TOKEN`, put only in the URL that
//! goes on the wire; every URL shown has `access_token=***`, and every error
//! text from the HTTP client is scrubbed of the token before it is shown.

use std::fs;
use std::io::{self, IsTerminal};
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::cli::UploadArgs;
use crate::fail::Fail;
use copernica_api::{Client, ClientBuilder, Posted};

use crate::manifest::{blake3_hex, sha256_hex, verify, Manifest, MANIFEST};

/// The environment variable that holds the access token.
const TOKEN_VAR: &str = "COPERNICA_ACCESS_TOKEN";
const STATE: &str = "upload-state.json";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct State {
    /// The manifest this state belongs to: its BLAKE3 (states written
    /// before BLAKE3 hold its sha256 instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    manifest_blake3: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    manifest_sha256: Option<String>,
    /// Accepted batches, in the order they were accepted.
    accepted: Vec<Accepted>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Accepted {
    file: String,
    status: u16,
    import_id: Option<String>,
}

impl State {
    fn has(&self, file: &str) -> Option<&Accepted> {
        self.accepted.iter().find(|a| a.file == file)
    }

    /// Writes the state whole: a temporary file, then a rename.
    fn save(&self, dir: &Path) -> io::Result<()> {
        let tmp = dir.join(format!("{STATE}.tmp"));
        let text = serde_json::to_vec_pretty(self).map_err(io::Error::from)?;
        {
            let mut f = fs::File::create(&tmp)?;
            io::Write::write_all(&mut f, &text)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, dir.join(STATE))
    }
}

/// The lock file in a batch folder that `upload` holds while it runs.
const LOCK: &str = "upload.lock";

/// Takes the folder's upload lock, or fails at once when another process
/// holds it. The OS releases it when the process ends, however it ends.
fn lock_folder(dir: &Path) -> Result<fs::File, Fail> {
    let path = dir.join(LOCK);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Fail::io(path.display(), e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(Fail::usage(
            format!(
                "{}: another upload of this folder is running; nothing was sent",
                dir.display()
            ),
            Some("wait for it to finish; a rerun afterwards sends only what it did not"),
        )),
        Err(fs::TryLockError::Error(e)) => Err(Fail::io(path.display(), e)),
    }
}

/// The access token from the environment, or a failure saying how to set it.
pub fn access_token() -> Result<String, Fail> {
    let token = std::env::var(TOKEN_VAR).unwrap_or_default();
    if token.trim().is_empty() {
        return Err(Fail::usage(
            format!("the environment variable {TOKEN_VAR} is not set"),
            Some("export COPERNICA_ACCESS_TOKEN=... (the token never appears in output)"),
        ));
    }
    Ok(token.trim().to_string())
}

pub fn run(args: &UploadArgs) -> Result<u8, Fail> {
    let started = Instant::now();
    let dir = &args.dir;
    let manifest_path = dir.join(MANIFEST);
    let manifest_bytes = fs::read(&manifest_path).map_err(|e| {
        Fail::usage(
            format!("{}: no {MANIFEST} ({e}): the batch set is incomplete or this is not a batch folder", dir.display()),
            Some("run `copernica-import batch` again; it writes the manifest last"),
        )
    })?;
    // One upload of a folder at a time: an OS lock, gone with the process.
    let _lock = lock_folder(dir)?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| Fail::usage(format!("{}: {e}", manifest_path.display()), None))?;
    let manifest_hash = blake3_hex(&manifest_bytes);

    // Every body as the manifest recorded it, before anything is sent.
    let mut bodies = Vec::with_capacity(manifest.batches.len());
    for b in &manifest.batches {
        let path = dir.join(&b.file);
        let bytes = fs::read(&path).map_err(|e| Fail::io(path.display(), e))?;
        if let Err(hash) = verify(&bytes, b.blake3.as_deref(), b.sha256.as_deref()) {
            return Err(Fail::usage(
                format!(
                    "{}: its {hash} differs from the manifest: the file changed after `batch`",
                    path.display()
                ),
                Some("run `copernica-import batch` again into a new folder"),
            ));
        }
        bodies.push(bytes);
    }

    let mut state = match fs::read(dir.join(STATE)) {
        Ok(bytes) => serde_json::from_slice::<State>(&bytes)
            .map_err(|e| Fail::usage(format!("{}: {e}", dir.join(STATE).display()), None))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => State {
            manifest_blake3: Some(manifest_hash.clone()),
            manifest_sha256: None,
            accepted: Vec::new(),
        },
        Err(e) => return Err(Fail::io(dir.join(STATE).display(), e)),
    };
    let same = match (&state.manifest_blake3, &state.manifest_sha256) {
        (Some(h), _) => *h == manifest_hash,
        (None, Some(h)) => *h == sha256_hex(&manifest_bytes),
        (None, None) => false,
    };
    if !same {
        return Err(Fail::usage(
            format!("{}: {STATE} belongs to another manifest", dir.display()),
            Some("this folder's batches were written again after an upload began; check what was imported before removing upload-state.json"),
        ));
    }
    let base = args.base_url.trim_end_matches('/').to_string();
    let already = manifest
        .batches
        .iter()
        .filter(|b| state.has(&b.file).is_some())
        .count();

    if args.dry_run {
        for b in &manifest.batches {
            match state.has(&b.file) {
                Some(a) => println!(
                    "{}: already accepted (HTTP {}, import {})",
                    b.file,
                    a.status,
                    a.import_id.as_deref().unwrap_or("?")
                ),
                None => println!(
                    "{}: would post {} rows, {} bytes to {base}/imports",
                    b.file, b.rows, b.bytes
                ),
            }
        }
        eprintln!(
            "dry run: {} of {} batches to send, {already} already accepted; nothing was sent",
            manifest.batches.len() - already,
            manifest.batches.len()
        );
        return Ok(0);
    }

    let token = access_token()?;
    let client = ClientBuilder::new(token.trim())
        .base_url(&base)
        .tries(args.tries)
        .backoff(Duration::from_millis(args.backoff_ms))
        .timeout(Duration::from_secs(args.timeout))
        .build();

    let bar = progress(manifest.batches.len() as u64);
    bar.set_position(already as u64);
    let log = |m: &str| bar.suspend(|| eprintln!("copernica-import: {m}"));
    let mut sent = 0;
    for (b, body) in manifest.batches.iter().zip(&bodies) {
        if state.has(&b.file).is_some() {
            continue;
        }
        bar.set_message(b.file.clone());
        let Posted { status, import_id } = match client.post_import(&b.file, body, &log) {
            Ok(p) => p,
            Err(e) => {
                bar.finish_and_clear();
                return Err(Fail::usage(
                    e,
                    Some(
                        "accepted batches are recorded; run upload again to go on where it stopped",
                    ),
                ));
            }
        };
        state.accepted.push(Accepted {
            file: b.file.clone(),
            status,
            import_id: import_id.clone(),
        });
        state
            .save(dir)
            .map_err(|e| Fail::io(dir.join(STATE).display(), e))?;
        sent += 1;
        log(&format!(
            "{}: accepted (HTTP {status}{}), {} rows",
            b.file,
            import_id
                .as_deref()
                .map(|i| format!(", import {i}"))
                .unwrap_or_default(),
            b.rows
        ));
        bar.inc(1);
        if args.wait {
            match (&import_id, manifest.parameters.autostart) {
                (Some(id), true) => wait_for(&client, id, args, &log).map_err(|m| {
                    bar.finish_and_clear();
                    Fail::usage(m, None)
                })?,
                (None, _) => log(&format!(
                    "{}: no X-Created header, so nothing to wait for",
                    b.file
                )),
                (_, false) => log(&format!(
                    "{}: autostart is off, so the import does not run by itself",
                    b.file
                )),
            }
        }
    }
    bar.finish_and_clear();
    eprintln!(
        "uploaded {sent} batches to {base}/imports ({already} accepted before), in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// Polls `BASE/import/ID` until the import has run; an error stops.
fn wait_for(
    client: &Client,
    id: &str,
    args: &UploadArgs,
    log: &dyn Fn(&str),
) -> Result<(), String> {
    let started = Instant::now();
    let what = format!("import {id}");
    let mut shown = String::new();
    loop {
        let v = client.import(id, log).map_err(|e| e.to_string())?;
        let text = |key: &str| match &v[key] {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let status = text("status").unwrap_or_default();
        let processed = text("processedlines")
            .or_else(|| text("processedLines"))
            .unwrap_or_default();
        let total = text("totallines")
            .or_else(|| text("totalLines"))
            .unwrap_or_default();
        if let Some(err) = text("lasterror").filter(|e| !e.trim().is_empty()) {
            return Err(format!("{what} reports an error: {err}"));
        }
        let lower = status.to_ascii_lowercase();
        if lower.contains("error") || lower.contains("fail") {
            return Err(format!("{what} has status {status:?}"));
        }
        let line = format!("{what}: {status}, {processed} of {total} lines processed");
        if line != shown {
            log(&line);
            shown = line;
        }
        let (p, t) = (processed.parse::<u64>().ok(), total.parse::<u64>().ok());
        let finished = ["finish", "complete", "done"]
            .iter()
            .any(|w| lower.contains(w))
            || matches!((p, t), (Some(p), Some(t)) if t > 0 && p >= t);
        if finished {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(args.wait_timeout) {
            return Err(format!(
                "{what}: still not run after {} s",
                args.wait_timeout
            ));
        }
        std::thread::sleep(Duration::from_secs_f64(args.poll_interval.max(0.01)));
    }
}

/// Batches sent, on stderr when it is a terminal.
fn progress(len: u64) -> ProgressBar {
    let target = if io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} batches {msg} [{elapsed}]")
            .expect("a valid template"),
    );
    bar
}
