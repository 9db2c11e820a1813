//! Guessing the delimiter from the first rows.
//!
//! Each candidate (`,` `;` tab `|`) parses the sample with the real, quote-aware
//! parser. A candidate must split the header into at least two fields; among
//! those, the winner gives the most records with exactly the header's field
//! count, then the most header fields, then comes first in the list. A
//! semicolon file with decimal commas (`Price;12,50`) is safe: with `,` its
//! header and rows disagree, with `;` they agree.

use crate::csv::{Dialect, End, Parser, Step};

/// The delimiters tried, in order of preference on a tie.
pub const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How many records the sniffer looks at.
const SAMPLE_RECORDS: usize = 50;

/// The delimiter of `sample` (the start of the text; `complete` when it is
/// all of it). `,` when no candidate splits the header.
pub(crate) fn sniff_delimiter(sample: &[u8], complete: bool) -> u8 {
    let mut best: Option<(usize, usize, u8)> = None;
    for &delimiter in CANDIDATES.iter() {
        let counts = field_counts(
            Dialect {
                delimiter,
                ..Dialect::default()
            },
            sample,
            complete,
        );
        let Some((&header, rows)) = counts.split_first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let agree = rows.iter().filter(|&&n| n == header).count();
        if best.is_none_or(|(a, h, _)| (agree, header) > (a, h)) {
            best = Some((agree, header, delimiter));
        }
    }
    best.map_or(b',', |(_, _, d)| d)
}

fn field_counts(d: Dialect, sample: &[u8], complete: bool) -> Vec<usize> {
    let mut p = Parser::new(d);
    let (mut out, mut ends, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    let mut input = sample;
    while counts.len() < SAMPLE_RECORDS {
        let (n, step) = p.parse(input, &mut out, &mut ends);
        input = &input[n..];
        match step {
            Step::Record => counts.push(ends.len()),
            Step::NeedInput => {
                if complete && p.finish(&mut out, &mut ends) == End::Record {
                    counts.push(ends.len());
                }
                break;
            }
        }
        out.clear();
        ends.clear();
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_candidate() {
        assert_eq!(sniff_delimiter(b"a,b\n1,2\n", true), b',');
        assert_eq!(sniff_delimiter(b"a;b\n1;2\n", true), b';');
        assert_eq!(sniff_delimiter(b"a\tb\n1\t2\n", true), b'\t');
        assert_eq!(sniff_delimiter(b"a|b\n1|2\n", true), b'|');
    }

    #[test]
    fn decimal_commas_do_not_fool_it() {
        let s = b"Name;Price;Weight\nTea;12,50;0,25\nCup;3,99;1\n";
        assert_eq!(sniff_delimiter(s, true), b';');
    }

    #[test]
    fn quoted_delimiters_are_not_counted() {
        let s = b"\"a;x\",b\n\"1;2;3\",4\n\"5;6\",7\n";
        assert_eq!(sniff_delimiter(s, true), b',');
    }

    #[test]
    fn an_incomplete_last_record_is_left_out() {
        // Cut in the middle of a quoted field full of semicolons.
        let s = b"a,b\n1,2\n3,\"x;y;z;w";
        assert_eq!(sniff_delimiter(s, false), b',');
    }

    #[test]
    fn one_column_falls_back_to_comma() {
        assert_eq!(sniff_delimiter(b"email\na@example.com\n", true), b',');
    }
}
