//! Properties of the value rules, over generated values.

use field_map::{MappedRows, MapperBuilder, Mapping};
use profile_rows::{Columns, Row, RowView};
use proptest::prelude::*;

fn mapper(spec: &str) -> (field_map::Mapper, Columns) {
    let text = format!("[columns]\n\"v\" = {{ field = \"v\", {spec} }}\n");
    let mapping = Mapping::parse(&text, "map.toml").unwrap();
    let mut columns = Columns::new();
    columns.intern("v");
    (
        MapperBuilder::new(&mapping).build(&columns).unwrap(),
        columns,
    )
}

fn row(value: &str) -> Row {
    let mut r = Row::new();
    r.push_field(value);
    r
}

fn date() -> impl Strategy<Value = (i16, i8, i8)> {
    (1i16..=9999, 1i8..=12, 1i8..=31).prop_filter("a real calendar day", |&(y, m, d)| {
        jiff::civil::Date::new(y, m, d).is_ok()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A value already in its sent form is lent on: the row itself, unchanged.
    #[test]
    fn sent_forms_pass_borrowed(
        int in "-?[0-9]{1,18}",
        float in "-?[0-9]{1,9}(\\.[0-9]{1,9})?([eE][+-]?[0-9]{1,3})?",
        (y, m, d) in date(),
        (h, mi, s) in (0u8..24, 0u8..60, 0u8..60),
        text in "\\PC*",
    ) {
        let date = format!("{y:04}-{m:02}-{d:02}");
        let datetime = format!("{date} {h:02}:{mi:02}:{s:02}");
        for (spec, value) in [
            (r#"type = "integer""#, int.as_str()),
            (r#"type = "float""#, float.as_str()),
            (r#"type = "float", decimal = ",""#, int.as_str()),
            (r#"type = "date""#, date.as_str()),
            (r#"type = "date", format = "%Y-%m-%d""#, date.as_str()),
            (r#"type = "datetime""#, datetime.as_str()),
            (r#"type = "text""#, text.as_str()),
        ] {
            let (mut mapper, cols) = mapper(spec);
            let r = row(value);
            let mapped = mapper.map(&r, &cols).unwrap();
            prop_assert!(mapped.as_row().is_some_and(|m| std::ptr::eq(m, &r)), "{} {:?}", spec, value);
            prop_assert_eq!(mapped.field(0).1, value);
        }
    }

    /// Every date normalized from another format is the same calendar day.
    #[test]
    fn normalized_dates_are_the_same_day((y, m, d) in date(), padded in any::<bool>()) {
        let y = y.max(1000);
        let Ok(day) = jiff::civil::Date::new(y, m, d) else { return Ok(()) };
        for format in ["%d/%m/%Y", "%m-%d-%Y", "%d.%m.%Y", "%Y%m%d"] {
            let value = if padded || format == "%Y%m%d" {
                day.strftime(format).to_string()
            } else {
                format.replace("%d", &d.to_string()).replace("%m", &m.to_string()).replace("%Y", &y.to_string())
            };
            let (mut mapper, cols) = mapper(&format!(r#"type = "date", format = "{format}""#));
            let r = row(&value);
            let mapped = mapper.map(&r, &cols).unwrap();
            let sent = mapped.field(0).1;
            let back: jiff::civil::Date = sent.parse().unwrap();
            prop_assert_eq!(back, day, "{} {}", format, value);
            prop_assert_eq!(sent.len(), 10);
        }
    }

    /// Decimal-comma rewriting keeps every digit, in order, and the sign.
    #[test]
    fn decimal_comma_keeps_every_digit(
        neg in any::<bool>(),
        first in "[1-9][0-9]{0,2}",
        groups in proptest::collection::vec("[0-9]{3}", 0..5),
        frac in proptest::option::of("[0-9]{1,12}"),
    ) {
        let mut value = String::new();
        if neg { value.push('-'); }
        value.push_str(&first);
        for g in &groups { value.push('.'); value.push_str(g); }
        if let Some(f) = &frac { value.push(','); value.push_str(f); }
        let (mut mapper, cols) = mapper(r#"type = "float", decimal = ",", thousands = ".""#);
        let r = row(&value);
        let mapped = mapper.map(&r, &cols).unwrap();
        let sent = mapped.field(0).1;
        let mut want = String::new();
        if neg { want.push('-'); }
        want.push_str(&first);
        for g in &groups { want.push_str(g); }
        if let Some(f) = &frac { want.push('.'); want.push_str(f); }
        prop_assert_eq!(sent, want.as_str());
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        prop_assert_eq!(digits(sent), digits(&value));
    }
}

/// Every column kept in place, renamed, some typed or trimmed: what rows
/// are mapped by putting the changed values into the row as read.
const IN_PLACE: &str = r#"
[columns]
"k" = { field = "key", trim = true }
"a" = "alpha"
"d" = { field = "day", type = "date", format = "%d-%m-%Y" }
"f" = { field = "amount", type = "float", decimal = "," }
"n" = { field = "count", type = "integer" }
"t" = { field = "note", trim = true }
"#;

/// A value of each kind the columns of [`IN_PLACE`] meet: fine as sent,
/// rewritten to the same length or another, trimmed, refused, empty.
fn in_place_row() -> impl Strategy<Value = Vec<String>> {
    let pick =
        |options: &'static [&'static str]| proptest::sample::select(options).prop_map(String::from);
    (
        pick(&["a@b.nl", " a@b.nl ", "", "x"]),
        "\\PC{0,6}",
        pick(&[
            "05-06-2026",
            "5-6-2026",
            "31-02-2026",
            "2026-06-05",
            "",
            " 05-06-2026",
        ]),
        pick(&["12,50", "12", "-3,0", "1.234,5", "x", ""]),
        pick(&["12", "-4", "1,5", ""]),
        pick(&[" hi ", "hi", "", "  "]),
    )
        .prop_map(|(k, a, d, f, n, t)| vec![k, a, d, f, n, t])
}

/// A mapped row's fields (column, value), and the text, ends and columns
/// it appends for a consumer that keeps it.
type Kept = (Vec<(usize, String)>, Vec<u8>, Vec<usize>, Vec<usize>);

fn kept(m: &field_map::MappedRow<'_>) -> Kept {
    let fields = (0..m.len())
        .map(|i| (m.field(i).0, m.field(i).1.to_string()))
        .collect();
    // After a row already kept, as a consumer's buffers are.
    let (mut text, mut ends, mut cols) = (b"before".to_vec(), vec![6], vec![9]);
    m.append_to(&mut text, &mut ends, &mut cols);
    (fields, text, ends, cols)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Without counts, such rows take the short way (the row itself with
    /// the changed values put in place); with counts, the long one. Both
    /// give the same fields, the same rejects, and append the same text,
    /// ends and columns as field by field would; and so do both ways with
    /// the rows mapped as one block ([`MappedRows`]), some places skipped.
    #[test]
    fn rows_mapped_in_place_are_the_rows_mapped_field_by_field(
        rows in proptest::collection::vec((in_place_row(), any::<bool>()), 1..12),
    ) {
        let mapping = Mapping::parse(IN_PLACE, "map.toml").unwrap();
        let mut columns = Columns::new();
        for name in ["k", "a", "d", "f", "n", "t"] {
            columns.intern(name);
        }
        let mut short = MapperBuilder::new(&mapping).stats(false).build(&columns).unwrap();
        let mut long = MapperBuilder::new(&mapping).stats(true).build(&columns).unwrap();
        let read: Vec<Row> = rows
            .iter()
            .map(|(values, _)| {
                let mut r = Row::new();
                for v in values {
                    r.push_field(v);
                }
                r
            })
            .collect();
        let mut blocks = [MappedRows::new(), MappedRows::new()];
        let mut block_mappers = [
            MapperBuilder::new(&mapping).stats(false).build(&columns).unwrap(),
            MapperBuilder::new(&mapping).stats(true).build(&columns).unwrap(),
        ];
        let mut in_block = [Vec::new(), Vec::new()];
        for (r, (_, skip)) in read.iter().zip(&rows) {
            for k in 0..2 {
                if *skip {
                    blocks[k].skip();
                    in_block[k].push(None);
                } else {
                    let ok = block_mappers[k].map_push(r, &columns, &mut blocks[k]).is_ok();
                    in_block[k].push(Some(ok));
                }
            }
        }
        for (i, ((values, skip), r)) in rows.iter().zip(&read).enumerate() {
            let a = short.map(r, &columns).map(|m| (kept(&m), m.as_row().is_some()));
            let b = long.map(r, &columns).map(|m| (kept(&m), m.as_row().is_some()));
            prop_assert_eq!(&a, &b, "{:?}", values);
            for k in 0..2 {
                if *skip {
                    continue;
                }
                prop_assert_eq!(in_block[k][i], Some(a.is_ok()), "{:?}", values);
                if let Ok((want, lent)) = &a {
                    let m = blocks[k].view(i, r, block_mappers[k].columns());
                    prop_assert_eq!(&kept(&m), want, "{:?}", values);
                    prop_assert_eq!(m.as_row().is_some(), *lent);
                }
            }
            if let Ok(((fields, text, ends, cols), _)) = a {
                let mut want = b"before".to_vec();
                let mut want_ends = vec![6];
                for (_, v) in &fields {
                    want.extend_from_slice(v.as_bytes());
                    want_ends.push(want.len());
                }
                let want_cols: Vec<usize> = std::iter::once(9).chain(fields.iter().map(|f| f.0)).collect();
                prop_assert_eq!(text, want);
                prop_assert_eq!(ends, want_ends);
                prop_assert_eq!(cols, want_cols);
            }
        }
    }
}
