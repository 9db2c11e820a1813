//! Opening an export from the command line's input options.

use profile_rows::{Input, ReaderBuilder, RowReader};

use crate::cli::InputArgs;
use crate::fail::Fail;

/// The reader for `args`, or a failure naming the input.
pub fn open(args: &InputArgs) -> Result<RowReader, Fail> {
    let mut b = ReaderBuilder::new();
    b.encoding(args.encoding.as_deref())
        .lossy(args.lossy)
        .delimiter(args.delimiter);
    b.from_input(Input::from_arg(&args.input))
        .map_err(|e| Fail::input(display_name(args), &e))
}

/// How the input is named in messages.
pub fn display_name(args: &InputArgs) -> &str {
    if args.input == "-" {
        "<stdin>"
    } else {
        &args.input
    }
}

/// A delimiter as a person reads it.
pub fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".to_string(),
        _ => (d as char).to_string(),
    }
}
