//! Turning errors into one readable line, a hint and an exit code.

use std::fmt::Display;
use std::io::{self, Write};
use std::process::ExitCode;

/// Exit code for unusable input or arguments.
pub const EXIT_UNUSABLE: u8 = 2;

/// A failure that ends the command.
#[derive(Debug)]
pub struct Fail {
    message: String,
    hint: Option<String>,
    code: u8,
}

impl Fail {
    /// Unusable input: `what` (usually the file) and the error.
    pub fn input(what: &str, err: &profile_rows::Error) -> Fail {
        Fail {
            message: format!("{what}: {err}"),
            hint: err.hint().map(str::to_string),
            code: EXIT_UNUSABLE,
        }
    }

    /// Bad arguments or parameters, with an optional hint.
    pub fn usage(message: impl Display, hint: Option<&str>) -> Fail {
        Fail {
            message: message.to_string(),
            hint: hint.map(str::to_string),
            code: EXIT_UNUSABLE,
        }
    }

    /// An I/O failure on a named file.
    pub fn io(what: impl Display, err: io::Error) -> Fail {
        Fail {
            message: format!("{what}: {err}"),
            hint: None,
            code: EXIT_UNUSABLE,
        }
    }

    /// Prints `copernica-import: message` and the hint, gives the exit code.
    pub fn report(self) -> ExitCode {
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "copernica-import: {}", self.message);
        if let Some(hint) = self.hint {
            let _ = writeln!(err, "  hint: {hint}");
        }
        ExitCode::from(self.code)
    }
}

/// Whether a write failed because the reader went away (`| head`): not an error.
pub fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}
