//! Writes a deterministic contact list as an `.xlsx` workbook, the way an
//! office suite saves one (shared strings, a date style), for the memory and
//! speed figures of the README's workbook section.
//!
//! cargo run --release --example gen_workbook -- OUT.xlsx ROWS

use rust_xlsxwriter::{Format, Workbook};

mod common;
use common::Rng;

const FIRST: &[&str] = &[
    "Anne", "Bram", "Chloé", "Daan", "Emma", "Gijs", "Hélène", "Zoë",
];
const LAST: &[&str] = &["de Vries", "Jansen", "Bakker", "Visser", "Müller", "García"];
const CITY: &[&str] = &[
    "Utrecht",
    "Rotterdam",
    "Den Haag",
    "München",
    "Liège",
    "Köln",
];

const STREET: &[&str] = &[
    "Dorpsstraat",
    "Kerkweg",
    "Molenlaan",
    "Hauptstraße",
    "Rue Haute",
];
const NOTES: &[&str] = &[
    "Bel na 17:00",
    "Cadeau inpakken",
    "Nieuwsbrief: ja",
    "Levering bij de buren",
];

fn letter(rng: &mut Rng) -> char {
    char::from(b'A' + (rng.next() % 26) as u8)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(out), Some(rows)) = (args.next(), args.next()) else {
        return Err("usage: gen_workbook OUT.xlsx ROWS".into());
    };
    let rows: u32 = rows.parse()?;
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let sheet = book.add_worksheet().set_name("Contacts")?;
    let header = [
        "Email",
        "First name",
        "Last name",
        "City",
        "Customer no",
        "Born",
        "Spent",
        "VIP",
        "Street",
        "Postcode",
        "Phone",
        "Signed up",
        "Orders",
        "Note",
    ];
    for (c, name) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *name)?;
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for r in 1..=rows {
        sheet.write_string(r, 0, format!("customer{r}@example.com"))?;
        sheet.write_string(r, 1, rng.pick(FIRST))?;
        sheet.write_string(r, 2, rng.pick(LAST))?;
        sheet.write_string(r, 3, rng.pick(CITY))?;
        sheet.write_number(r, 4, f64::from(100_000 + r))?;
        let born = 20_000.0 + (rng.next() % 15_000) as f64;
        sheet.write_number_with_format(r, 5, born, &date)?;
        sheet.write_number(r, 6, (rng.next() % 100_000) as f64 / 100.0)?;
        sheet.write_boolean(r, 7, rng.next().is_multiple_of(7))?;
        let street = format!("{} {}", rng.pick(STREET), 1 + rng.next() % 300);
        sheet.write_string(r, 8, street)?;
        let postcode = format!(
            "{} {}{}",
            1000 + rng.next() % 9000,
            letter(&mut rng),
            letter(&mut rng)
        );
        sheet.write_string(r, 9, postcode)?;
        sheet.write_string(r, 10, format!("+31 6 {:08}", rng.next() % 100_000_000))?;
        let signed_up = 40_000.0 + (rng.next() % 5_000_000) as f64 / 1_000.0;
        sheet.write_number_with_format(r, 11, signed_up, &datetime)?;
        sheet.write_number(r, 12, (rng.next() % 40) as f64)?;
        let note = format!("{} (ref {:x})", rng.pick(NOTES), rng.next() % 0xFFFF_FFFF);
        sheet.write_string(r, 13, note)?;
    }
    book.save(&out)?;
    Ok(())
}
