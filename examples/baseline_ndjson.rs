//! Baseline for benches/compare.sh: parse each NDJSON line into a
//! serde_json::Value, and nothing else. Prints the line count.

use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).expect("an NDJSON file");
    let mut rdr = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let mut line = String::new();
    let mut n = 0u64;
    while rdr.read_line(&mut line)? > 0 {
        if !line.trim().is_empty() {
            let v: serde_json::Value = serde_json::from_str(&line)?;
            std::hint::black_box(&v);
            n += 1;
        }
        line.clear();
    }
    println!("{n}");
    Ok(())
}
