//! Sizes as people write them: `5MiB`, `500KB`, `1000000`.

use crate::error::ParamError;

/// Parses `1000000`, `500KB` / `500kB` (10^3), `5MB`, `1GB`, `64KiB` (2^10),
/// `5MiB`, `1GiB`, `10B`; blanks between number and unit are allowed.
///
/// ```
/// assert_eq!(import_batches::parse_size("5MiB"), Ok(5 * 1024 * 1024));
/// assert_eq!(import_batches::parse_size("500KB"), Ok(500_000));
/// assert_eq!(import_batches::parse_size("1000000"), Ok(1_000_000));
/// assert!(import_batches::parse_size("5 parsecs").is_err());
/// ```
pub fn parse_size(s: &str) -> Result<usize, ParamError> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = || {
        ParamError::Limit(format!(
            "{s:?} is not a size: write e.g. 5MiB, 500KB or 1000000"
        ))
    };
    let n: usize = num.parse().map_err(|_| bad())?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1_000,
        "mb" | "m" => 1_000_000,
        "gb" | "g" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(mult).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        for (s, n) in [
            ("0", 0),
            ("10B", 10),
            ("500KB", 500_000),
            ("500kb", 500_000),
            ("64KiB", 65_536),
            ("5MiB", 5_242_880),
            ("5 MB", 5_000_000),
            ("1GiB", 1 << 30),
        ] {
            assert_eq!(parse_size(s), Ok(n), "{s}");
        }
        for s in ["", "MiB", "5 MiBs", "-1", "1.5MB", "99999999999999999999"] {
            assert!(parse_size(s).is_err(), "{s}");
        }
    }
}
