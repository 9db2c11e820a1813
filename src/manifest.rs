//! `manifest.json`: what a `batch` run wrote, written last; `upload` trusts a
//! folder only when it is there.

use serde::{Deserialize, Serialize};

/// The file name of the manifest in an output folder.
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Tool and version that wrote it.
    pub tool: String,
    pub input: String,
    /// The import parameters (there are no secrets among them).
    pub parameters: Parameters,
    /// The mapping file the rows went through, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<crate::fields::MappingRecord>,
    /// The schema the columns were checked against, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<crate::fields::SchemaRecord>,
    pub limits: Limits,
    pub batches: Vec<BatchEntry>,
    pub totals: Totals,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameters {
    pub database: u64,
    pub name: String,
    pub followups: bool,
    pub autostart: bool,
    pub rebuild: bool,
    pub action: Option<String>,
    pub key_fields: Vec<String>,
    pub ignore_empty_fields: bool,
    pub remove_missing: bool,
    pub delete_target: Option<String>,
    pub source_format: String,
    pub source_delimiter: Option<String>,
    pub location_base: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    pub max_bytes: usize,
    pub max_rows: Option<usize>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchEntry {
    /// The body, e.g. `batch-00001.json`.
    pub file: String,
    pub rows: usize,
    /// Bytes of the body.
    pub bytes: usize,
    /// BLAKE3 of the body, hex (`b3sum` checks it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    /// sha256 of the body, hex: manifests written before BLAKE3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub first_line: u64,
    pub last_line: u64,
    /// With --location-base: the data file the body points at.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub data_file: Option<DataFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataFile {
    pub file: String,
    pub bytes: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub batches: usize,
    pub rows: u64,
    pub rejected: u64,
    pub bytes: u64,
}

/// Lower-case hex BLAKE3 of `bytes`, as `b3sum` prints it.
pub fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Whether `bytes` are what a manifest entry recorded: its BLAKE3, or
/// for manifests written before BLAKE3, its sha256. The name of the hash
/// that differs, when they are not.
pub fn verify(
    bytes: &[u8],
    blake3: Option<&str>,
    sha256: Option<&str>,
) -> Result<(), &'static str> {
    match (blake3, sha256) {
        (Some(h), _) if blake3_hex(bytes) == h => Ok(()),
        (Some(_), _) => Err("BLAKE3"),
        (None, Some(h)) if sha256_hex(bytes) == h => Ok(()),
        (None, Some(_)) => Err("sha256"),
        (None, None) => Err("hash (there is none)"),
    }
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
