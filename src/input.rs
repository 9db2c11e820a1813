//! Opening an export from the command line's input options.

use profile_rows::{Input, ReaderBuilder, RowReader};

use crate::cli::InputArgs;
use crate::fail::Fail;

/// The reader for `args`, or a failure naming the input.
pub fn open(args: &InputArgs) -> Result<RowReader, Fail> {
    open_from(args, Input::from_arg(&args.input))
}

/// The reader for `args` on another source (a spooled copy of stdin).
pub fn open_from(args: &InputArgs, input: Input) -> Result<RowReader, Fail> {
    let mut b = ReaderBuilder::new();
    b.encoding(args.encoding.as_deref())
        .lossy(args.lossy)
        .delimiter(args.delimiter)
        .format(args.input_format)
        .array_join(&args.array_join);
    b.from_input(input)
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
