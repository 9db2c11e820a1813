//! Writes deterministic, realistic exports for benchmarks: contacts with
//! 1 to 4 orders each; 1 note in 10 quoted, with commas, doubled quotes, a
//! newline and non-ASCII text. The same profiles as UTF-8 CSV (a row per
//! order), windows-1252 CSV with semicolons, decimal commas and day-first
//! dates (as a Dutch Excel saves it), NDJSON and a JSON array.
//!
//! cargo run --release --example gen_exports -- OUT_PREFIX SIZE_MB [csv]
//!
//! With `csv` as third argument only the UTF-8 CSV is written.

use std::fs::File;
use std::io::{BufWriter, Write};

mod common;
use common::Rng;

const FIRST: &[&str] = &[
    "Anne", "Bram", "Chloé", "Daan", "Emma", "Fenna", "Gijs", "Hélène", "Ilse", "Joël", "Zoë",
    "Jürgen",
];
const LAST: &[&str] = &[
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Müller",
    "Dubois",
    "García",
    "Østergaard",
];
const CITY: &[&str] = &[
    "Utrecht",
    "Rotterdam",
    "Den Haag",
    "Groningen",
    "Zwolle",
    "München",
    "Liège",
    "Köln",
];
const STATUS: &[&str] = &["paid", "shipped", "returned", "cancelled"];
const NOTES: &[&str] = &[
    "Bezorgen bij de buren, \"niet\" aanbellen\nDank je!",
    "Cadeau: \"Voor jou\", inpakken s.v.p.",
    "Levering na 17:00, code 1234; bel \"even\" aan",
    "Crème brûlée-set, 2× — let op: breekbaar, \"FRAGILE\"",
];

struct Order {
    id: String,
    date: String,
    total: String,
    quantity: u64,
    status: &'static str,
    note: Option<&'static str>,
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let prefix = args.next().expect("OUT_PREFIX");
    let mb: u64 = args
        .next()
        .expect("SIZE_MB")
        .parse()
        .expect("a number of MB");
    let limit = mb * 1_000_000;
    let only_csv = args.next().as_deref() == Some("csv");
    let file = |ext: &str| -> std::io::Result<BufWriter<Box<dyn Write>>> {
        let w: Box<dyn Write> = if only_csv && ext != "csv" {
            Box::new(std::io::sink())
        } else {
            Box::new(File::create(format!("{prefix}.{ext}"))?)
        };
        Ok(BufWriter::with_capacity(1 << 16, w))
    };
    let mut csv = file("csv")?;
    let mut cp = file("cp1252.csv")?;
    let mut nd = file("ndjson")?;
    let mut arr = file("json")?;
    let header = "Email,FirstName,LastName,City,Newsletter,Order.OrderID,Order.Date,Order.Total,Order.Quantity,Order.Status,Order.Note\n";
    csv.write_all(header.as_bytes())?;
    cp.write_all(header.replace(',', ";").as_bytes())?;
    arr.write_all(b"[\n")?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut written, mut profile, mut order_no) = (header.len() as u64, 0u64, 0u64);
    let mut line = String::new();
    while written < limit {
        profile += 1;
        let (first, last, city) = (rng.pick(FIRST), rng.pick(LAST), rng.pick(CITY));
        let email = format!(
            "{}.{}{profile}@example.com",
            first.to_lowercase(),
            last.replace(' ', "").to_lowercase()
        );
        let newsletter = if rng.next().is_multiple_of(2) {
            "yes"
        } else {
            "no"
        };
        let orders: Vec<Order> = (0..1 + rng.next() % 4)
            .map(|_| {
                order_no += 1;
                Order {
                    id: format!("A-{order_no}"),
                    date: format!("2026-{:02}-{:02}", 1 + rng.next() % 12, 1 + rng.next() % 28),
                    total: format!("{}.{:02}", rng.next() % 500, rng.next() % 100),
                    quantity: 1 + rng.next() % 5,
                    status: rng.pick(STATUS),
                    note: rng.next().is_multiple_of(10).then(|| rng.pick(NOTES)),
                }
            })
            .collect();
        for (delim, out) in [(',', &mut csv), (';', &mut cp)] {
            line.clear();
            for o in &orders {
                let note = o
                    .note
                    .map(|n| format!("\"{}\"", n.replace('"', "\"\"")))
                    .unwrap_or_default();
                let (total, date) = if delim == ';' {
                    let (y, md) = o.date.split_at(4);
                    let (m, d) = (&md[1..3], &md[4..6]);
                    (o.total.replace('.', ","), format!("{d}-{m}-{y}"))
                } else {
                    (o.total.clone(), o.date.clone())
                };
                let quantity = o.quantity.to_string();
                let f = [
                    email.as_str(),
                    first,
                    last,
                    city,
                    newsletter,
                    &o.id,
                    &date,
                    &total,
                    &quantity,
                    o.status,
                    &note,
                ];
                line.push_str(&f.join(&delim.to_string()));
                line.push('\n');
            }
            if delim == ',' {
                written += line.len() as u64;
                out.write_all(line.as_bytes())?;
            } else {
                let (bytes, _, bad) = encoding_rs::WINDOWS_1252.encode(&line);
                assert!(!bad, "every character has a windows-1252 byte");
                out.write_all(&bytes)?;
            }
        }
        let orders_json: Vec<String> = orders
            .iter()
            .map(|o| {
                let note = o
                    .note
                    .map(|n| format!(",\"Note\":{}", serde_json::to_string(n).unwrap()))
                    .unwrap_or_default();
                format!(
                    "{{\"OrderID\":\"{}\",\"Date\":\"{}\",\"Total\":{},\"Quantity\":{},\"Status\":\"{}\"{note}}}",
                    o.id, o.date, o.total, o.quantity, o.status
                )
            })
            .collect();
        let object = format!(
            "{{\"Email\":\"{email}\",\"FirstName\":\"{first}\",\"LastName\":\"{last}\",\"City\":\"{city}\",\"Newsletter\":\"{newsletter}\",\"Order\":[{}]}}",
            orders_json.join(",")
        );
        nd.write_all(object.as_bytes())?;
        nd.write_all(b"\n")?;
        if profile > 1 {
            arr.write_all(b",\n")?;
        }
        arr.write_all(object.as_bytes())?;
    }
    arr.write_all(b"\n]\n")?;
    for mut w in [csv, cp, nd, arr] {
        w.flush()?;
    }
    eprintln!("{profile} profiles, {order_no} orders");
    Ok(())
}
