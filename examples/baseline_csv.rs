//! Baseline for benches/compare.sh: read a CSV with the csv crate into one
//! reused ByteRecord, and nothing else. Prints the record count.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).expect("a CSV file");
    let mut rdr = csv::ReaderBuilder::new().from_path(path)?;
    let mut record = csv::ByteRecord::new();
    let mut n = 0u64;
    while rdr.read_byte_record(&mut record)? {
        n += 1;
    }
    println!("{n}");
    Ok(())
}
