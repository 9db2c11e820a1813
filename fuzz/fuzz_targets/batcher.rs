//! The batcher on arbitrary rows and limits: every body is within its bounds,
//! is valid JSON, and all bodies decode back to exactly the rows that were
//! not rejected, in order; rebuild is true on the last body only.
#![no_main]

use import_batches::{Batch, Batcher, ImportParams, Limits, SourceFormat};
use libfuzzer_sys::fuzz_target;
use profile_rows::{Columns, Row};

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (head, rest) = data.split_at(4);
    let format = [SourceFormat::Json, SourceFormat::Array, SourceFormat::Csv][usize::from(head[0] % 3)];
    let max_bytes = 300 + usize::from(head[1]) * 8;
    let max_rows = (head[2] % 5 != 0).then_some(usize::from(head[2] % 7) + 1);
    let mut params = ImportParams::new(1, "fuzz");
    params.source_format = format;
    params.rebuild = true;
    if head[3] & 1 == 1 {
        params.key_fields = vec!["c0".into()];
    }
    let limits = Limits { max_bytes, max_rows };
    let Ok(mut batcher) = Batcher::new(params, limits, None) else { return };
    // Rows: text split on 0xFF into rows and 0xFE into fields; field i of a
    // row goes to column (i + row) % 4, so rows carry different columns.
    let text = String::from_utf8_lossy(rest).into_owned();
    let mut columns = Columns::new();
    let names: Vec<usize> = (0..4).map(|i| columns.intern(&format!("c{i}"))).collect();
    let mut bodies = Vec::new();
    let mut sink = |b: &Batch<'_>| {
        assert!(b.body.len() <= max_bytes, "body of {} bytes", b.body.len());
        assert!(max_rows.is_none_or(|m| b.rows <= m));
        bodies.push((b.body.to_vec(), b.rows, b.last));
        Ok(())
    };
    let mut kept = Vec::new();
    let mut row = Row::new();
    for (r, line) in text.split('\u{FFFD}').enumerate().take(200) {
        row.clear();
        let mut fields = Vec::new();
        for (i, v) in line.split('\u{7f}').enumerate().take(4) {
            let col = names[(i + r) % 4];
            row.push_column(col, v);
            fields.push((col, v.to_string()));
        }
        if batcher.push(&row, &columns, &mut sink).unwrap().is_none() {
            kept.push(fields);
        }
    }
    batcher.finish(&mut sink).unwrap();
    let total: usize = bodies.iter().map(|b| b.1).sum();
    assert_eq!(total, kept.len());
    for (i, (body, rows, last)) in bodies.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_slice(body).expect("a body is JSON");
        assert_eq!(v["rebuild"], serde_json::Value::Bool(i == bodies.len() - 1));
        assert_eq!(*last, i == bodies.len() - 1);
        if format != SourceFormat::Csv {
            let array = match &v["source"] {
                serde_json::Value::String(s) => serde_json::from_str::<serde_json::Value>(s).unwrap(),
                other => other.clone(),
            };
            assert_eq!(array.as_array().unwrap().len(), *rows);
        }
    }
    // Rows in order: the non-empty values of each kept row appear in its object.
    if format != SourceFormat::Csv {
        let mut objects = Vec::new();
        for (body, _, _) in &bodies {
            let v: serde_json::Value = serde_json::from_slice(body).unwrap();
            let array = match &v["source"] {
                serde_json::Value::String(s) => serde_json::from_str::<serde_json::Value>(s).unwrap(),
                other => other.clone(),
            };
            objects.extend(array.as_array().unwrap().clone());
        }
        for (object, fields) in objects.iter().zip(&kept) {
            for (col, value) in fields {
                assert_eq!(object[columns.name(*col)].as_str().unwrap(), value);
            }
        }
    }
});
