//! `schema`: a database's fields and collections, read once from the API
//! and saved, for `--schema` to check exports against offline.

use std::io::Write;
use std::time::Duration;

use copernica_api::ClientBuilder;

use crate::cli::SchemaArgs;
use crate::fail::Fail;
use crate::upload::access_token;

pub fn run(args: &SchemaArgs) -> Result<u8, Fail> {
    let token = access_token()?;
    let client = ClientBuilder::new(token.trim())
        .base_url(&args.base_url)
        .tries(args.tries)
        .backoff(Duration::from_millis(args.backoff_ms))
        .timeout(Duration::from_secs(args.timeout))
        .build();
    let log = |m: &str| eprintln!("copernica-import: {m}");
    let schema = client.database_schema(args.database, &log).map_err(|e| {
        Fail::usage(
            e,
            Some("check the database id and that the token may read it"),
        )
    })?;
    for ty in schema.unknown_types() {
        eprintln!(
            "copernica-import: warning: database {}: field type {ty:?} is not one this tool knows; its values are sent as text",
            schema.database_id
        );
    }
    let mut text = serde_json::to_vec_pretty(&schema).map_err(|e| Fail::io("schema", e.into()))?;
    text.push(b'\n');
    match &args.output {
        Some(p) => std::fs::write(p, &text).map_err(|e| Fail::io(p.display(), e))?,
        None => std::io::stdout()
            .lock()
            .write_all(&text)
            .map_err(|e| Fail::io("stdout", e))?,
    }
    let fields: usize = schema.collections.iter().map(|c| c.fields.len()).sum();
    eprintln!(
        "database {} ({}): {} fields, {} collections with {fields} fields",
        schema.database_id,
        schema.database_name,
        schema.fields.len(),
        schema.collections.len()
    );
    Ok(0)
}
