//! `copernica-import`: prepare customer-data exports for Copernica's
//! `POST /v3/imports`, and upload them.
//!
//! Exit codes: 0 success; 1 rows were rejected under `--strict`; 2 unusable
//! input or arguments.

mod batch;
mod check;
mod cli;
mod convert;
mod fail;
mod fields;
mod input;
mod inspect;
mod manifest;
mod map_init;
mod read_ahead;
mod rejects;
mod schema;
mod upload;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    quiet_calamine_panics();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Convert(args) => convert::run(&args),
        Command::Batch(args) => batch::run(&args),
        Command::Upload(args) => upload::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Map(args) => map_init::run(&args),
        Command::Schema(args) => schema::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(fail) => fail.report(),
    }
}

/// A panic inside calamine on a damaged workbook is caught by the reader and
/// reported as one error line; the default hook would print it first, with a
/// backtrace. Every other panic is printed as usual.
fn quiet_calamine_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_calamine = info
            .location()
            .is_some_and(|l| l.file().contains("calamine"));
        if !in_calamine {
            default(info);
        }
    }));
}
