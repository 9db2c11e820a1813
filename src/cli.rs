//! The command line, as in DESIGN.md.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Prepare CSV, JSON and NDJSON exports for Copernica's REST API v3 imports.
#[derive(Debug, Parser)]
#[command(name = "copernica-import", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show encoding, dialect, columns (profile and per collection), rows and rejects.
    Inspect(InspectArgs),
    /// Write the rows as UTF-8 NDJSON or CSV.
    Convert(ConvertArgs),
    /// Write size-bounded request bodies for POST /v3/imports, a rejects file and a manifest.
    Batch(BatchArgs),
    /// Post a batch folder's bodies to Copernica in order; resumable, never twice.
    Upload(UploadArgs),
    /// Read everything, write nothing: what each field's values would become, and the rejects.
    Check(CheckArgs),
    /// Print a starter mapping file for an export (`map --init INPUT`).
    Map(MapArgs),
    /// Read a database's fields and collections from the API into one JSON file.
    Schema(SchemaArgs),
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// A folder written by `batch` (it must hold manifest.json).
    pub dir: PathBuf,
    /// The API's base URL.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://api.copernica.com/v3"
    )]
    pub base_url: String,
    /// Check the folder and show what would be sent; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// After each post, poll the import until it has run before posting the next.
    #[arg(long)]
    pub wait: bool,
    /// Tries per request (429, 5xx and broken connections are retried).
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub tries: u32,
    /// Seconds a request may take.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub timeout: u64,
    /// First backoff between tries, in milliseconds; it doubles each try (up to a minute), with jitter.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub backoff_ms: u64,
    /// Seconds between polls with --wait.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub poll_interval: f64,
    /// Seconds to wait for one import to run with --wait.
    #[arg(long, value_name = "SECS", default_value_t = 6 * 3600)]
    pub wait_timeout: u64,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Copernica database id.
    #[arg(long, value_name = "ID")]
    pub database: u64,
    /// Write the schema here (default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The API's base URL.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://api.copernica.com/v3"
    )]
    pub base_url: String,
    /// Tries per request (429, 5xx and broken connections are retried).
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub tries: u32,
    /// First backoff between tries, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub backoff_ms: u64,
    /// Seconds a request may take.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub timeout: u64,
}

/// How to read an input: shared by the commands that read exports.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// The export: a path, or `-` for stdin. Gzip is recognised by its magic bytes.
    pub input: String,
    /// Encoding (any WHATWG label: utf-8, windows-1252, latin1, utf-16le...);
    /// a BOM still wins. Default: detected.
    #[arg(long, value_name = "LABEL")]
    pub encoding: Option<String>,
    /// Replace invalid byte sequences with U+FFFD instead of stopping.
    #[arg(long)]
    pub lossy: bool,
    /// Field delimiter of the input: `,` `;` `|` `tab` (or any one byte). Default: sniffed.
    #[arg(long, value_name = "D", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// csv, json, ndjson or excel. Default: by extension, else by the first bytes.
    #[arg(long, value_name = "F")]
    pub input_format: Option<profile_rows::Format>,
    /// Joins the items of a JSON array of scalars into one field.
    #[arg(long, value_name = "S", default_value = ",")]
    pub array_join: String,
    /// JSON: read the records at this JSON Pointer (`/customers` for `{"customers":[...]}`).
    #[arg(long, value_name = "POINTER")]
    pub records: Option<String>,
    /// Skip N physical lines before the CSV header (DATEV exports have a metadata line); for a workbook, N sheet rows.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub skip_lines: u64,
    /// Workbooks: the sheet to read, by name or by number from 1 (as
    /// `inspect` lists them, hidden ones included). Default: the first visible one.
    #[arg(long, value_name = "NAME|N")]
    pub sheet: Option<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Print one JSON object for machines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConvertTo {
    /// One JSON object per row, string values, keys in column order.
    Ndjson,
    /// RFC 4180 CSV, UTF-8, `,`, with a header row.
    Csv,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub fields: FieldArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "ndjson")]
    pub to: ConvertTo,
    /// Output file (default: stdout).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Write rejected rows here as CSV: line, reason, record.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
}

/// How rows become database fields: shared by `convert`, `check` and `batch`.
#[derive(Debug, Args)]
pub struct FieldArgs {
    /// A mapping file (TOML): renames, drops, constants, types and value rules.
    #[arg(long = "map", value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// The database's schema (written by `schema`): every column must be one of its fields.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// With --schema: leave out columns the database has no field for, with one warning.
    #[arg(long)]
    pub drop_unknown: bool,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub fields: FieldArgs,
    /// Copernica database id.
    #[arg(long, value_name = "ID")]
    pub database: u64,
    /// Output folder; written beside it first and renamed into place when complete.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    #[command(flatten)]
    pub batching: BatchingArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub fields: FieldArgs,
    /// Copernica database id (only the body sizes depend on it).
    #[arg(long, value_name = "ID", default_value_t = 0)]
    pub database: u64,
    #[command(flatten)]
    pub batching: BatchingArgs,
    /// Print one JSON object for scripts (its shape is in the README).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// Print a starter mapping naming every column of the export (the only mode so far).
    #[arg(long, required = true)]
    pub init: bool,
    #[command(flatten)]
    pub input: InputArgs,
    /// Propose for every column the closest field of this database schema.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
}

/// The import's parameters and the batches' bounds: `batch` and `check`.
#[derive(Debug, Args)]
pub struct BatchingArgs {
    /// Import name (each body gets " (part N)"); default: the input's file name.
    #[arg(long)]
    pub name: Option<String>,
    /// add, update, "update or add", "ignore or add" or delete.
    #[arg(long)]
    pub action: Option<String>,
    /// Key fields, comma-separated; a subprofile key is dotted (Order.OrderID).
    #[arg(long, value_name = "F1,F2", value_delimiter = ',')]
    pub key_fields: Vec<String>,
    /// Most bytes per body (5MiB, 500KB, 1000000).
    #[arg(long, value_name = "N", default_value = "5MiB")]
    pub max_bytes: String,
    /// Most rows per body (default: no bound).
    #[arg(long, value_name = "N")]
    pub max_rows: Option<usize>,
    /// How rows travel: json (a JSON string), array (JSON objects) or csv.
    #[arg(long, value_name = "F", default_value = "json")]
    pub source_format: String,
    /// Delimiter of a csv source: , ; or tab.
    #[arg(long, value_name = "D", value_parser = parse_delimiter, default_value = ",")]
    pub source_delimiter: u8,
    /// Write each batch's data to a file and point the body at BASE/batch-0000N.EXT.
    #[arg(long, value_name = "URL")]
    pub location_base: Option<String>,
    /// Run follow-up actions on imported (sub)profiles.
    #[arg(long)]
    pub followups: bool,
    /// Do not start the import at once.
    #[arg(long)]
    pub no_autostart: bool,
    /// Rebuild selections after the import (sent on the last body only).
    #[arg(long)]
    pub rebuild: bool,
    /// Empty fields keep the stored value.
    #[arg(long)]
    pub ignore_empty_fields: bool,
    /// Delete (sub)profiles absent from the import (refused when it needs two bodies).
    #[arg(long)]
    pub remove_missing: bool,
    /// With --action delete: profile or subprofile.
    #[arg(long, value_name = "T")]
    pub delete_target: Option<String>,
    /// Exit 1 when any row was rejected.
    #[arg(long)]
    pub strict: bool,
    /// Threads: 1 does everything in one; with 2 or more, one thread reads
    /// and parses ahead (JSON values on N more threads, in input order) and
    /// one writes and hashes bodies while the batcher renders. The output
    /// is the same either way.
    #[arg(long, value_name = "N", default_value_t = default_threads())]
    pub threads: usize,
}

/// The cores this process may use.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `,` `;` `|` `tab` `\t` or any single ASCII byte.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() && s != "\"" && s != "\n" && s != "\r" => {
            Ok(s.as_bytes()[0])
        }
        _ => Err(format!(
            "{s:?} is not a delimiter: use , ; | tab or another single character"
        )),
    }
}
