//! Baseline for benches/compare.sh: the `batch` job written the
//! straightforward way, on one thread. The csv crate reads each row into a
//! StringRecord, serde_json builds a map per row (nested for dotted
//! `Order.X` columns, as `batch` sends a subprofile), and rows go into
//! request bodies of at most 5 MiB. Each body is written to a file of its
//! own and hashed with BLAKE3 for a manifest. Prints rows and bodies.
//!
//! `naive_batch INPUT.csv OUT_DIR`

use std::fs;
use std::io::Write as _;

use serde_json::{Map, Value};

const MAX_BYTES: usize = 5 << 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args.next().expect("a CSV file");
    let dir = std::path::PathBuf::from(args.next().expect("an output folder"));
    fs::create_dir_all(&dir)?;
    let mut rdr = csv::ReaderBuilder::new().from_path(input)?;
    let header: Vec<String> = rdr.headers()?.iter().map(str::to_string).collect();
    let head = br#"{"database":1,"name":"bench","source":["#;
    let mut body: Vec<u8> = head.to_vec();
    let (mut rows, mut in_body, mut bodies) = (0u64, 0usize, 0usize);
    let mut hashes = Vec::new();
    let mut flush = |body: &mut Vec<u8>, bodies: &mut usize| -> std::io::Result<()> {
        body.extend_from_slice(b"]}");
        *bodies += 1;
        let path = dir.join(format!("batch-{:05}.json", *bodies));
        fs::File::create(path)?.write_all(body)?;
        hashes.push(blake3::hash(body).to_hex().to_string());
        body.clear();
        body.extend_from_slice(head);
        Ok(())
    };
    let mut record = csv::StringRecord::new();
    while rdr.read_record(&mut record)? {
        let mut row = Map::new();
        for (name, value) in header.iter().zip(record.iter()) {
            match name.split_once('.') {
                Some((coll, field)) => {
                    let sub = row
                        .entry(coll.to_string())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(sub) = sub {
                        sub.insert(field.to_string(), Value::String(value.to_string()));
                    }
                }
                None => {
                    row.insert(name.clone(), Value::String(value.to_string()));
                }
            }
        }
        let text = serde_json::to_vec(&Value::Object(row))?;
        if in_body > 0 && body.len() + text.len() + 3 > MAX_BYTES {
            flush(&mut body, &mut bodies)?;
            in_body = 0;
        }
        if in_body > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&text);
        in_body += 1;
        rows += 1;
    }
    if in_body > 0 {
        flush(&mut body, &mut bodies)?;
    }
    println!("{rows} rows, {bodies} bodies");
    Ok(())
}
