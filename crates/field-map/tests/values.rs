//! Values by type: each accepted form, each refused form, with the exact
//! reject text; and the mapping file's mistakes, each with its line.

use field_map::{MapError, MapperBuilder, Mapping};
use profile_rows::{Columns, Row, RowView};

/// Maps one value of column `v` with the inline table `spec`; the value as
/// sent, or the reject text.
fn one(spec: &str, value: &str) -> Result<String, String> {
    let text = format!("[columns]\n\"v\" = {{ field = \"F\", {spec} }}\n");
    let mapping = Mapping::parse(&text, "map.toml").map_err(|e| e.to_string())?;
    let mut columns = Columns::new();
    columns.intern("v");
    let mut mapper = MapperBuilder::new(&mapping).build(&columns).unwrap();
    let mut row = Row::new();
    row.push_field(value);
    row.set_line(7);
    match mapper.map(&row, &columns) {
        Ok(m) => Ok(m.field(0).1.to_string()),
        Err(MapError::Row(e)) => {
            assert_eq!(e.line, 7);
            Err(e.to_string())
        }
        Err(e) => panic!("{e}"),
    }
}

fn table(spec: &str, cases: &[(&str, Result<&str, &str>)]) {
    for (input, want) in cases {
        let got = one(spec, input);
        let want = want.map(str::to_string).map_err(str::to_string);
        assert_eq!(got, want, "{spec} with {input:?}");
    }
}

#[test]
fn integer() {
    table(
        r#"type = "integer""#,
        &[
            ("0", Ok("0")),
            ("42", Ok("42")),
            ("-17", Ok("-17")),
            ("+17", Ok("17")),
            ("007", Ok("007")),
            ("", Ok("")),
            ("1.5", Err(r#"F "1.5" is not a whole number"#)),
            ("12a", Err(r#"F "12a" is not a whole number"#)),
            ("1e3", Err(r#"F "1e3" is not a whole number"#)),
            (" 4", Err(r#"F " 4" is not a whole number"#)),
            ("-", Err(r#"F "-" is not a whole number"#)),
            ("1,000", Err(r#"F "1,000" is not a whole number"#)),
        ],
    );
    table(
        r#"type = "integer", thousands = ".""#,
        &[
            ("1.000", Ok("1000")),
            ("12.345.678", Ok("12345678")),
            ("-1.000", Ok("-1000")),
            ("999", Ok("999")),
            (
                "1.00",
                Err(r#"F "1.00" is not a whole number and thousands separator ".""#),
            ),
            (
                "1000.000",
                Err(r#"F "1000.000" is not a whole number and thousands separator ".""#),
            ),
            (
                ".100",
                Err(r#"F ".100" is not a whole number and thousands separator ".""#),
            ),
        ],
    );
}

#[test]
fn float_decimal_point() {
    table(
        r#"type = "float""#,
        &[
            ("12.50", Ok("12.50")),
            ("-0.5", Ok("-0.5")),
            ("+3", Ok("3")),
            ("1e3", Ok("1e3")),
            ("6.02E-23", Ok("6.02E-23")),
            ("12", Ok("12")),
            (
                "12,50",
                Err(r#"F "12,50" is not a number with decimal mark ".""#),
            ),
            (
                "1.2.3",
                Err(r#"F "1.2.3" is not a number with decimal mark ".""#),
            ),
            (".5", Err(r#"F ".5" is not a number with decimal mark ".""#)),
            ("5.", Err(r#"F "5." is not a number with decimal mark ".""#)),
            ("1e", Err(r#"F "1e" is not a number with decimal mark ".""#)),
            (
                "NaN",
                Err(r#"F "NaN" is not a number with decimal mark ".""#),
            ),
        ],
    );
}

#[test]
fn float_decimal_comma() {
    table(
        r#"type = "float", decimal = ",", thousands = ".""#,
        &[
            ("1.299,00", Ok("1299.00")),
            ("24,95", Ok("24.95")),
            ("5950,00", Ok("5950.00")),
            ("-0,10", Ok("-0.10")),
            ("12", Ok("12")),
            ("1.234.567,891", Ok("1234567.891")),
            (
                "12.99,00",
                Err(
                    r#"F "12.99,00" is not a number with decimal mark "," and thousands separator ".""#,
                ),
            ),
            (
                "12.50",
                Err(
                    r#"F "12.50" is not a number with decimal mark "," and thousands separator ".""#,
                ),
            ),
        ],
    );
    table(
        r#"type = "float", decimal = ",""#,
        &[
            ("24,95", Ok("24.95")),
            (
                "1.299,00",
                Err(r#"F "1.299,00" is not a number with decimal mark ",""#),
            ),
        ],
    );
    table(
        r#"type = "float", thousands = ",""#,
        &[
            ("1,299.00", Ok("1299.00")),
            (
                "1,29.00",
                Err(
                    r#"F "1,29.00" is not a number with decimal mark "." and thousands separator ",""#,
                ),
            ),
        ],
    );
}

#[test]
fn date_default_is_iso_only() {
    table(
        r#"type = "date""#,
        &[
            ("2024-02-29", Ok("2024-02-29")),
            ("", Ok("")),
            (
                "2023-02-29",
                Err(r#"F "2023-02-29" is not a date in format YYYY-MM-DD"#),
            ),
            (
                "2024-02-30",
                Err(r#"F "2024-02-30" is not a date in format YYYY-MM-DD"#),
            ),
            (
                "2024-2-3",
                Err(r#"F "2024-2-3" is not a date in format YYYY-MM-DD"#),
            ),
            (
                "05/06/2012",
                Err(r#"F "05/06/2012" is not a date in format YYYY-MM-DD"#),
            ),
            (
                "1700000000",
                Err(r#"F "1700000000" is not a date in format YYYY-MM-DD"#),
            ),
            (
                "2024-01-01 10:00:00",
                Err(r#"F "2024-01-01 10:00:00" is not a date in format YYYY-MM-DD"#),
            ),
            (
                "0000-01-01",
                Err(r#"F "0000-01-01" is not a date in format YYYY-MM-DD"#),
            ),
        ],
    );
}

#[test]
fn date_with_format() {
    table(
        r#"type = "date", format = "%d/%m/%Y""#,
        &[
            ("05/06/2012", Ok("2012-06-05")),
            ("5/6/2012", Ok("2012-06-05")),
            ("29/02/2024", Ok("2024-02-29")),
            ("20/01/1991", Ok("1991-01-20")),
            (
                "31/02/2024",
                Err(r#"F "31/02/2024" is not a date in format %d/%m/%Y"#),
            ),
            (
                "06/13/2012",
                Err(r#"F "06/13/2012" is not a date in format %d/%m/%Y"#),
            ),
            (
                "2012-06-05",
                Err(r#"F "2012-06-05" is not a date in format %d/%m/%Y"#),
            ),
            (
                "05/06/2012 15:53",
                Err(r#"F "05/06/2012 15:53" is not a date in format %d/%m/%Y"#),
            ),
        ],
    );
    table(
        r#"type = "empty_date", format = "%Y-%m-%d""#,
        &[("2012-06-05", Ok("2012-06-05")), ("", Ok(""))],
    );
    table(
        r#"type = "date", format = "%m/%d/%Y""#,
        &[
            ("06/13/2012", Ok("2012-06-13")),
            (
                "13/06/2012",
                Err(r#"F "13/06/2012" is not a date in format %m/%d/%Y"#),
            ),
        ],
    );
}

#[test]
fn datetime_default() {
    table(
        r#"type = "datetime""#,
        &[
            ("2018-02-12 10:54:27", Ok("2018-02-12 10:54:27")),
            ("2018-02-12T10:54:27", Ok("2018-02-12 10:54:27")),
            // Offsets are converted into Europe/Amsterdam (CET in winter, CEST in summer).
            ("2022-10-18T06:34:08.000Z", Ok("2022-10-18 08:34:08")),
            ("2022-01-18T06:34:08Z", Ok("2022-01-18 07:34:08")),
            ("2018-01-04T15:51:23-08:00", Ok("2018-01-05 00:51:23")),
            ("2018-01-04 15:51:23+01:00", Ok("2018-01-04 15:51:23")),
            (
                "2018-02-12",
                Err(
                    r#"F "2018-02-12" is not a datetime (YYYY-MM-DD HH:MM:SS, or RFC 3339 with Z or an offset)"#,
                ),
            ),
            (
                "2018-02-12 10:54",
                Err(
                    r#"F "2018-02-12 10:54" is not a datetime (YYYY-MM-DD HH:MM:SS, or RFC 3339 with Z or an offset)"#,
                ),
            ),
            (
                "2018-02-30 10:54:27",
                Err(
                    r#"F "2018-02-30 10:54:27" is not a datetime (YYYY-MM-DD HH:MM:SS, or RFC 3339 with Z or an offset)"#,
                ),
            ),
            (
                "2018-02-12 24:00:00",
                Err(
                    r#"F "2018-02-12 24:00:00" is not a datetime (YYYY-MM-DD HH:MM:SS, or RFC 3339 with Z or an offset)"#,
                ),
            ),
            (
                "2018-01-04 15:51:23 -0800",
                Err(
                    r#"F "2018-01-04 15:51:23 -0800" is not a datetime (YYYY-MM-DD HH:MM:SS, or RFC 3339 with Z or an offset)"#,
                ),
            ),
            (
                "1518432867",
                Err(
                    r#"F "1518432867" is not a datetime (YYYY-MM-DD HH:MM:SS, or RFC 3339 with Z or an offset)"#,
                ),
            ),
        ],
    );
}

#[test]
fn datetime_with_format_and_zone() {
    table(
        r#"type = "datetime", format = "%Y-%m-%d %H:%M:%S %z""#,
        &[
            ("2018-01-04 15:51:23 -0800", Ok("2018-01-05 00:51:23")),
            (
                "2018-01-04 15:51:23",
                Err(r#"F "2018-01-04 15:51:23" is not a datetime in format %Y-%m-%d %H:%M:%S %z"#),
            ),
        ],
    );
    table(
        r#"type = "datetime", format = "%d/%m/%Y %H:%M""#,
        &[
            ("05/06/2012 15:53", Ok("2012-06-05 15:53:00")),
            (
                "05/06/2012",
                Err(r#"F "05/06/2012" is not a datetime in format %d/%m/%Y %H:%M"#),
            ),
        ],
    );
    // Another zone, from the bundled database.
    let text = "[columns]\n\"v\" = { field = \"F\", type = \"datetime\" }\n[options]\ntimezone = \"America/New_York\"\n";
    let mapping = Mapping::parse(text, "map.toml").unwrap();
    let mut columns = Columns::new();
    columns.intern("v");
    let mut mapper = MapperBuilder::new(&mapping).build(&columns).unwrap();
    let mut row = Row::new();
    row.push_field("2024-07-01T12:00:00Z");
    assert_eq!(
        mapper.map(&row, &columns).unwrap().field(0).1,
        "2024-07-01 08:00:00"
    );
}

#[test]
fn select_and_replacements() {
    table(
        r#"type = "select", options = ["Male", "Female"], values = { "M" = "Male", "F" = "Female" }"#,
        &[
            ("Male", Ok("Male")),
            ("M", Ok("Male")),
            ("F", Ok("Female")),
            ("", Ok("")),
            (
                "m",
                Err(r#"F "m" is not one of the options "Male", "Female""#),
            ),
            (
                "X",
                Err(r#"F "X" is not one of the options "Male", "Female""#),
            ),
        ],
    );
    table(
        r#"trim = true, lowercase = true"#,
        &[
            (" Ann@Example.COM ", Ok("ann@example.com")),
            ("bo@x.nl", Ok("bo@x.nl")),
        ],
    );
    // Replacements apply before the type check.
    table(
        r#"type = "integer", values = { "n/a" = "" }"#,
        &[("n/a", Ok("")), ("3", Ok("3"))],
    );
}

/// Parses `text` as `map.toml`; the error message.
fn mistake(text: &str) -> String {
    Mapping::parse(text, "map.toml").unwrap_err().to_string()
}

#[test]
fn mapping_mistakes_name_file_line_and_key() {
    let cases: &[(&str, &str)] = &[
        (
            "[columns]\n\"Email Address\" = \"Email\"\n\"Order date\" = { field = \"Orders.Date\", type = \"dat\" }\n",
            "map.toml:3: \"Order date\": unknown type \"dat\"; known: text, email, phone, phone_fax, phone_gsm, integer, float, date, empty_date, datetime, empty_datetime, select, big, foreign_key",
        ),
        (
            "[columns]\n\"a\" = { field = \"A\", fromat = \"%d\" }\n",
            "map.toml:2: \"a\": unknown field `fromat`, expected one of `field`, `type`, `format`, `decimal`, `thousands`, `values`, `options`, `trim`, `lowercase`",
        ),
        (
            "[colums]\n\"a\" = \"A\"\n",
            "map.toml:1: unknown field `colums`, expected one of `columns`, `collections`, `constants`, `options`",
        ),
        (
            "[options]\nunmaped = \"drop\"\n",
            "map.toml:2: unknown field `unmaped`, expected one of `unmapped`, `trim`, `fill-down`, `fill-down-by`, `timezone`",
        ),
        (
            "[options]\nunmapped = \"ignore\"\n",
            "map.toml:2: \"unmapped\": unknown value \"ignore\"; known: keep, drop, error",
        ),
        (
            "[options]\ntimezone = \"Europe/Amsterdan\"\n",
            "map.toml:2: \"timezone\": unknown time zone \"Europe/Amsterdan\"",
        ),
        (
            "[columns]\n\"a\" = \"Email\"\n\"b\" = \"Email\"\n",
            "map.toml:3: \"b\": maps onto field \"Email\", as \"a\" on line 2 does",
        ),
        (
            "[columns]\n\"a\" = \"Source\"\n[constants]\n\"Source\" = \"x\"\n",
            "map.toml:4: \"Source\": is a constant and also the field of column \"a\" on line 2",
        ),
        (
            "[columns]\n\"d\" = { type = \"date\", format = \"%d/%m/%K\" }\n",
            "map.toml:2: \"d\": invalid format \"%d/%m/%K\"",
        ),
        (
            "[columns]\n\"d\" = { type = \"date\", format = \"%d/%m\" }\n",
            "map.toml:2: \"d\": format \"%d/%m\" does not give a whole date (year, month, day)",
        ),
        (
            "[columns]\n\"d\" = { type = \"datetime\", format = \"%d/%m/%Y\" }\n",
            "map.toml:2: \"d\": format \"%d/%m/%Y\" does not give a whole date and time (year, month, day, hour)",
        ),
        (
            "[columns]\n\"d\" = { type = \"integer\", format = \"%d\" }\n",
            "map.toml:2: \"d\": format is for date and datetime types, not integer",
        ),
        (
            "[columns]\n\"d\" = { type = \"float\", decimal = \";\" }\n",
            "map.toml:2: \"d\": decimal is \".\" or \",\", not ';'",
        ),
        (
            "[columns]\n\"d\" = { type = \"text\", options = [\"a\"] }\n",
            "map.toml:2: \"d\": options are for select fields, not text",
        ),
        (
            "[columns]\n\"@0\" = \"A\"\n",
            "map.toml:2: \"@0\": a position is @ and a column number from 1",
        ),
        (
            "[columns]\n\"a\" = true\n",
            "map.toml:2: \"a\": expected a field name, false (to drop) or an inline table, found boolean",
        ),
        ("[columns\n", "map.toml:1: "),
    ];
    for (text, want) in cases {
        let got = mistake(text);
        assert!(got.starts_with(want), "{text:?}\n got: {got}\nwant: {want}");
    }
}

/// A mapper built from mapping text `toml` for an input of these columns.
fn mapper_for(toml: &str, names: &[&str]) -> (field_map::Mapper, Columns) {
    let m = Mapping::parse(toml, "map.toml").unwrap();
    let cols = columns(names);
    (MapperBuilder::new(&m).build(&cols).unwrap(), cols)
}

fn columns(names: &[&str]) -> Columns {
    let mut c = Columns::new();
    for n in names {
        c.intern(n);
    }
    c
}

#[test]
fn mistakes_against_the_input() {
    let m = Mapping::parse(
        "[columns]\n\"Email\" = \"E\"\n\"Nmae\" = \"Name\"\n",
        "map.toml",
    )
    .unwrap();
    let mapper = MapperBuilder::new(&m)
        .build(&columns(&["Email", "Name"]))
        .unwrap();
    assert_eq!(
        mapper.check_complete().unwrap_err().to_string(),
        "map.toml:3: \"Nmae\": no such column in the input"
    );

    let m = Mapping::parse("[columns]\n\"@3\" = \"X\"\n", "map.toml").unwrap();
    let mapper = MapperBuilder::new(&m).build(&columns(&["a", "b"])).unwrap();
    assert_eq!(
        mapper.check_complete().unwrap_err().to_string(),
        "map.toml:2: \"@3\": no such column in the input, which has 2 columns"
    );

    let m = Mapping::parse("[constants]\n\"Email\" = \"x\"\n", "map.toml").unwrap();
    let err = MapperBuilder::new(&m)
        .build(&columns(&["Email"]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "map.toml:2: \"Email\": is a constant and also a column of the input"
    );

    // A kept column onto a field a mapped column fills.
    let m = Mapping::parse("[columns]\n\"Mail\" = \"Email\"\n", "map.toml").unwrap();
    let err = MapperBuilder::new(&m)
        .build(&columns(&["Mail", "Email"]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "map.toml: \"Email\": maps onto field \"Email\", which another column or constant already fills"
    );

    let m = Mapping::parse(
        "[columns]\n\"a\" = \"A\"\n[options]\nunmapped = \"error\"\n",
        "map.toml",
    )
    .unwrap();
    let err = MapperBuilder::new(&m)
        .build(&columns(&["a", "b"]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "map.toml: \"b\": this input column is not in [columns] (options: unmapped = \"error\")"
    );

    let m = Mapping::parse("[options]\nfill-down = [\"Nmae\"]\n", "map.toml").unwrap();
    let mapper = MapperBuilder::new(&m).build(&columns(&["Name"])).unwrap();
    assert_eq!(
        mapper.check_complete().unwrap_err().to_string(),
        "map.toml:2: \"Nmae\": fill-down names a field the mapped rows do not have"
    );

    let m = Mapping::parse("[columns]\n\"g\" = { type = \"select\" }\n", "map.toml").unwrap();
    let err = MapperBuilder::new(&m).build(&columns(&["g"])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "map.toml:2: \"g\": a select field needs its options (options = [...])"
    );
}

/// The mapped row as (name, value) pairs.
fn pairs(m: &field_map::MappedRow<'_>) -> Vec<(String, String)> {
    (0..m.len())
        .map(|i| m.field(i))
        .map(|(c, v)| (m.columns().name(c).to_string(), v.to_string()))
        .collect()
}

fn row(values: &[&str]) -> Row {
    let mut r = Row::new();
    for v in values {
        r.push_field(v);
    }
    r
}

#[test]
fn rename_only_lends_the_row_itself() {
    let (mut mapper, cols) = mapper_for("[columns]\n\"a\" = \"A\"\n\"b\" = \"B\"\n", &["a", "b"]);
    let r = row(&["1", "2"]);
    let mapped = mapper.map(&r, &cols).unwrap();
    assert!(std::ptr::eq(mapped.as_row().unwrap(), &r));
    assert_eq!(mapped.columns().names().collect::<Vec<_>>(), ["A", "B"]);
}

#[test]
fn drops_constants_and_collections() {
    let (mut mapper, cols) = mapper_for("[columns]\n\"pw\" = false\n[collections]\n\"line_items\" = \"Orders\"\n[constants]\n\"Source\" = \"shop\"\n", &["Email", "pw", "line_items.sku"]);
    let r = row(&["ann@x.nl", "secret", "A-1"]);
    let mapped = mapper.map(&r, &cols).unwrap();
    assert!(mapped.as_row().is_none());
    assert_eq!(
        pairs(&mapped),
        [
            ("Email".into(), "ann@x.nl".into()),
            ("Orders.sku".into(), "A-1".into()),
            ("Source".into(), "shop".into())
        ]
    );
    assert_eq!(mapper.unmapped(), ["Email"]);
}

#[test]
fn unmapped_drop_keeps_only_named_columns() {
    let (mut mapper, cols) = mapper_for(
        "[columns]\n\"a\" = \"A\"\n[options]\nunmapped = \"drop\"\n",
        &["a", "b"],
    );
    let r = row(&["1", "2"]);
    assert_eq!(
        pairs(&mapper.map(&r, &cols).unwrap()),
        [("A".into(), "1".into())]
    );
}

#[test]
fn keys_are_trimmed_by_default() {
    let m = Mapping::default();
    let cols = columns(&["Email", "Name"]);
    let mut b = MapperBuilder::new(&m);
    b.key_fields(&["Email".to_string()]);
    let mut mapper = b.build(&cols).unwrap();
    let r = row(&[" ann@x.nl ", " Ann "]);
    assert_eq!(
        pairs(&mapper.map(&r, &cols).unwrap()),
        [
            ("Email".into(), "ann@x.nl".into()),
            ("Name".into(), " Ann ".into())
        ]
    );
}

#[test]
fn json_columns_are_learned_as_they_appear() {
    let (mut mapper, mut cols) = mapper_for(
        "[columns]\n\"late\" = { field = \"Late\", type = \"integer\" }\n",
        &["Email"],
    );
    assert!(mapper.check_complete().is_err());
    let late = cols.intern("late");
    let mut r = Row::new();
    r.push_column(late, "+5");
    r.push_column(0, "a@x.nl");
    assert_eq!(
        pairs(&mapper.map(&r, &cols).unwrap()),
        [
            ("Late".into(), "5".into()),
            ("Email".into(), "a@x.nl".into())
        ]
    );
    mapper.check_complete().unwrap();
}

#[test]
fn every_bad_value_of_a_row_is_named() {
    let (mut mapper, cols) = mapper_for(
        "[columns]\n\"n\" = { type = \"integer\" }\n\"d\" = { type = \"date\" }\n",
        &["n", "d"],
    );
    let err = mapper.map(&row(&["x", "y"]), &cols).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"n "x" is not a whole number; d "y" is not a date in format YYYY-MM-DD"#
    );
    let stats: Vec<_> = mapper
        .stats()
        .map(|(n, s)| (n.to_string(), s.rejected))
        .collect();
    assert_eq!(stats, [("n".to_string(), 1), ("d".to_string(), 1)]);
}

#[test]
fn fill_down_by_customer() {
    let spec = "[options]\nfill-down = [\"email\", \"name\"]\nfill-down-by = \"id\"\n";
    let (mut mapper, cols) = mapper_for(spec, &["id", "email", "name"]);
    mapper.check_complete().unwrap();
    let rows = [
        ["1", "ann@x.nl", "Ann"],
        ["1", "", ""],
        ["2", "", "Bo"],
        ["2", "bo@x.nl", ""],
        ["2", "", ""],
    ];
    let got: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let r = row(r);
            let m = mapper.map(&r, &cols).unwrap();
            (0..m.len()).map(|i| m.field(i).1.to_string()).collect()
        })
        .collect();
    assert_eq!(
        got,
        [
            ["1", "ann@x.nl", "Ann"],
            ["1", "ann@x.nl", "Ann"],
            // Customer 2 never takes Ann's email.
            ["2", "", "Bo"],
            ["2", "bo@x.nl", "Bo"],
            ["2", "bo@x.nl", "Bo"],
        ]
    );
    // The same rows mapped as one block (fill-down looks only at the row
    // being mapped, not at the rows before it in the block's buffers).
    let (mut block_mapper, _) = mapper_for(spec, &["id", "email", "name"]);
    let read: Vec<Row> = rows.iter().map(|r| row(r)).collect();
    let mut block = field_map::MappedRows::new();
    for r in &read {
        block_mapper.map_push(r, &cols, &mut block).unwrap();
    }
    let in_block: Vec<Vec<String>> = (0..block.len())
        .map(|i| {
            let m = block.view(i, &read[i], block_mapper.columns());
            (0..m.len()).map(|i| m.field(i).1.to_string()).collect()
        })
        .collect();
    assert_eq!(in_block, got);
}

#[test]
fn fill_down_without_by_fills_from_any_row_above() {
    let (mut mapper, cols) = mapper_for("[options]\nfill-down = [\"email\"]\n", &["email", "sku"]);
    let mut out = Vec::new();
    for r in [["a@x.nl", "1"], ["", "2"], ["b@x.nl", "3"], ["", "4"]] {
        let r = row(&r);
        out.push(mapper.map(&r, &cols).unwrap().field(0).1.to_string());
    }
    assert_eq!(out, ["a@x.nl", "a@x.nl", "b@x.nl", "b@x.nl"]);
}

#[test]
fn check_counts_fine_normalized_rejected_and_empty() {
    let (mut mapper, cols) = mapper_for(
        "[columns]\n\"n\" = { field = \"N\", type = \"integer\" }\n",
        &["n"],
    );
    for v in ["1", "+2", "x", "", "3"] {
        let _ = mapper.map(&row(&[v]), &cols);
    }
    let (name, s) = mapper.stats().next().unwrap();
    assert_eq!(name, "N");
    assert_eq!((s.fine, s.normalized, s.rejected, s.empty), (2, 1, 1, 1));
    assert_eq!(s.source, "n");
    assert_eq!(s.fine_examples, ["1", "3"]);
    assert_eq!(s.normalized_examples, [("+2".to_string(), "2".to_string())]);
    assert_eq!(
        s.rejected_examples,
        [("x".to_string(), "is not a whole number".to_string())]
    );
}

#[test]
fn schema_gives_types_and_counts_what_check_reports() {
    let schema = field_map::Schema::from_json(
        r#"{"databaseId":1,"databaseName":"S","readAt":"",
        "fields":[{"name":"Email","type":"email"},{"name":"Name","type":"text","length":3},
                  {"name":"Born","type":"date"},{"name":"Kind","type":"select","options":["a","b"]}],
        "collections":[]}"#,
    )
    .unwrap();
    let m = Mapping::default();
    let cols = columns(&["Email", "Name", "Born", "Kind"]);
    let mut b = MapperBuilder::new(&m);
    b.schema(&schema, "schema.json");
    let mut mapper = b.build(&cols).unwrap();
    assert!(mapper
        .map(&row(&["ann@x.nl", "Ann", "2024-02-29", "a"]), &cols)
        .is_ok());
    assert!(mapper
        .map(&row(&["bo.x.nl", "Bobby", "", "b"]), &cols)
        .is_ok());
    assert_eq!(
        mapper
            .map(&row(&["c@x.nl", "Cy", "29-02-2024", "c"]), &cols)
            .unwrap_err()
            .to_string(),
        r#"Born "29-02-2024" is not a date in format YYYY-MM-DD; Kind "c" is not one of the options "a", "b""#
    );
    let stats: Vec<_> = mapper
        .stats()
        .map(|(n, s)| (n.to_string(), s.clone()))
        .collect();
    assert_eq!(
        (
            stats[0].1.without_at,
            stats[0].1.without_at_examples.clone()
        ),
        (1, vec!["bo.x.nl".to_string()])
    );
    assert_eq!(
        (stats[1].1.too_long, stats[1].1.too_long_examples.clone()),
        (1, vec!["Bobby".to_string()])
    );
    // A column the database does not have.
    let cols = columns(&["Email", "Nmae"]);
    let err = MapperBuilder::new(&m)
        .schema(&schema, "schema.json")
        .build(&cols)
        .unwrap_err();
    assert_eq!(err.to_string(), "schema.json: a column is not a field of database 1 (S): `Nmae`: no such field; did you mean `Name`?");
}

#[test]
fn json_rows_with_fill_down_count_each_value_once() {
    let m = Mapping::parse("[options]\nfill-down = [\"name\"]\n", "map.toml").unwrap();
    let ndjson = "{\"email\":\"a@x.nl\",\"name\":\"A\"}\n{\"email\":\"b@x.nl\",\"name\":\"\"}\n";
    let mut rdr = profile_rows::ReaderBuilder::new()
        .from_bytes(ndjson.as_bytes().to_vec())
        .unwrap();
    let mut mapper = MapperBuilder::new(&m).build(rdr.columns()).unwrap();
    let mut r = Row::new();
    let mut names = Vec::new();
    while rdr.read_row(&mut r).unwrap() {
        assert!(!r.is_positional());
        let mapped = mapper.map(&r, rdr.columns()).unwrap();
        names.push(pairs(&mapped));
    }
    assert_eq!(names[1][1], ("name".to_string(), "A".to_string()));
    let stats: Vec<_> = mapper
        .stats()
        .map(|(n, s)| (n, s.fine, s.normalized))
        .collect();
    assert_eq!(stats, [("email", 2, 0), ("name", 1, 1)]);
}

#[test]
fn a_row_longer_than_a_mapped_row_can_be_is_a_reject() {
    // Field offsets are 32-bit: a row past the limit is refused, never cut.
    let (mut mapper, cols) = mapper_for(
        "[columns]\n\"a\" = \"A\"\n\"b\" = { field = \"B\", type = \"integer\" }\n",
        &["a", "b"],
    );
    let mut long = row(&[&"x".repeat(field_map::MAX_ROW_BYTES), "1"]);
    long.set_line(9);
    match mapper.map(&long, &cols) {
        Err(MapError::Row(e)) => {
            assert_eq!(e.line, 9);
            assert_eq!(
                e.to_string(),
                format!(
                    "row \"{} bytes\" is longer than a mapped row can be ({} bytes)",
                    field_map::MAX_ROW_BYTES + 1,
                    field_map::MAX_ROW_BYTES
                )
            );
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a row of more than MAX_ROW_BYTES was mapped"),
    }
    // The mapper goes on with the next row.
    let short = row(&["ann", "2"]);
    let mapped = mapper.map(&short, &cols).unwrap();
    assert_eq!(
        pairs(&mapped),
        [("A".into(), "ann".into()), ("B".into(), "2".into())]
    );
}
