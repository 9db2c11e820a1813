//! Read an export with `profile-rows`, batch it with `import-batches`, and
//! write the request bodies: the library behind `copernica-import batch`.
//!
//! cargo run --example batch_export -- testdata/contacts-orders.csv /tmp/bodies

use import_batches::{Action, Batch, Batcher, ImportParams, Limits};
use profile_rows::{ReaderBuilder, Row};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = args
        .next()
        .unwrap_or_else(|| "testdata/contacts-orders.csv".into());
    let out_dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "bodies".into()));
    std::fs::create_dir_all(&out_dir)?;

    let mut rdr = ReaderBuilder::new().from_path(&input)?;
    let mut params = ImportParams::new(1234, "webshop export");
    params.action = Some(Action::UpdateOrAdd);
    params.key_fields = vec!["Email".into(), "Order.OrderID".into()];
    params.validate(Some(rdr.columns()))?;
    let mut batcher = Batcher::new(params, Limits::default(), None)?;

    let mut write = |b: &Batch<'_>| {
        std::fs::write(
            out_dir.join(import_batches::file_name(b.part, "json")),
            b.body,
        )
    };
    let mut row = Row::new();
    while rdr.read_row(&mut row)? {
        if let Some(reason) = batcher.push(&row, rdr.columns(), &mut write)? {
            eprintln!("line {}: rejected: {reason}", row.line());
        }
    }
    let summary = batcher.finish(&mut write)?;
    println!(
        "{} rows in {} bodies in {}",
        summary.rows,
        summary.batches,
        out_dir.display()
    );
    Ok(())
}
