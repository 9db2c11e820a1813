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
