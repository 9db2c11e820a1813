//! A Copernica database's fields and collections, as `copernica-import
//! schema` saves them and `--schema` loads them.

use serde::{Deserialize, Serialize};

use crate::types::FieldType;

/// A database's schema: its profile fields and its collections' fields.
///
/// ```
/// let json = r#"{"databaseId":1,"databaseName":"Shop","readAt":"2026-12-02T10:00:00Z",
///   "fields":[{"name":"Email","type":"email","length":100}],
///   "collections":[{"id":5,"name":"Orders","fields":[{"name":"Total","type":"float"}]}]}"#;
/// let schema = field_map::Schema::from_json(json)?;
/// assert_eq!(schema.field("Orders.Total").unwrap().ty, "float");
/// assert!(schema.field("Orders.Totl").is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// The database's id.
    pub database_id: u64,
    /// The database's name.
    pub database_name: String,
    /// When it was read from the API (RFC 3339).
    pub read_at: String,
    /// Profile fields.
    pub fields: Vec<SchemaField>,
    /// Collections (subprofile tables).
    pub collections: Vec<SchemaCollection>,
}

/// One field of a database or collection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaField {
    /// The field's name.
    pub name: String,
    /// Its type, by Copernica's name (an unknown one is kept as it is).
    #[serde(rename = "type")]
    pub ty: String,
    /// A select field's options, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// The option marked as the default (`*` in Copernica's list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_option: Option<String>,
    /// The longest text the field holds, where Copernica gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// A collection and its fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaCollection {
    /// The collection's id.
    pub id: u64,
    /// Its name: the part before the dot of `Orders.Total`.
    pub name: String,
    /// Its fields.
    pub fields: Vec<SchemaField>,
}

impl SchemaField {
    /// The field's type, when it is one this crate knows.
    pub fn field_type(&self) -> Option<FieldType> {
        self.ty.parse().ok()
    }

    /// A select field's options from Copernica's `value`: one per line, a
    /// trailing `*` marking the default. Returns (options, default).
    pub fn parse_options(value: &str) -> (Vec<String>, Option<String>) {
        let mut default = None;
        let options = value
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| match l.strip_suffix('*') {
                Some(o) => {
                    let o = o.trim_end().to_string();
                    default = Some(o.clone());
                    o
                }
                None => l.to_string(),
            })
            .collect();
        (options, default)
    }
}

impl Schema {
    /// Reads a schema file's JSON.
    pub fn from_json(text: &str) -> Result<Schema, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The field named `Field` (a profile field) or `Collection.Field`.
    pub fn field(&self, name: &str) -> Option<&SchemaField> {
        match profile_rows::split_dotted(name) {
            (None, f) => self.fields.iter().find(|x| x.name == f),
            (Some(c), f) => self
                .collections
                .iter()
                .find(|x| x.name == c)?
                .fields
                .iter()
                .find(|x| x.name == f),
        }
    }

    /// Every name a column can have: `Field` and `Collection.Field`.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.fields
            .iter()
            .map(|f| f.name.clone())
            .chain(self.collections.iter().flat_map(|c| {
                c.fields
                    .iter()
                    .map(move |f| format!("{}.{}", c.name, f.name))
            }))
    }

    /// The field closest to `name`: a case-only difference first, then the
    /// smallest edit distance, if it is close enough to be a typo.
    ///
    /// ```
    /// let schema = field_map::Schema::from_json(r#"{"databaseId":1,"databaseName":"S","readAt":"",
    ///   "fields":[{"name":"Email","type":"email"}],
    ///   "collections":[{"id":5,"name":"Orders","fields":[{"name":"OrderID","type":"text"}]}]}"#)?;
    /// assert_eq!(schema.closest("Orders.OrderId").as_deref(), Some("Orders.OrderID"));
    /// assert_eq!(schema.closest("Emial").as_deref(), Some("Email"));
    /// assert_eq!(schema.closest("Shoe size"), None);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn closest(&self, name: &str) -> Option<String> {
        closest(name, self.names())
    }

    /// The `n` names nearest to `name` by edit distance, nearest first.
    pub fn nearest(&self, name: &str, n: usize) -> Vec<String> {
        let lower = name.to_lowercase();
        let mut all: Vec<(usize, String)> = self
            .names()
            .map(|k| (distance(&lower, &k.to_lowercase()), k))
            .collect();
        all.sort();
        all.into_iter().take(n).map(|(_, k)| k).collect()
    }

    /// Types the schema names that this crate does not know (kept by name).
    pub fn unknown_types(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let all = self
            .fields
            .iter()
            .chain(self.collections.iter().flat_map(|c| c.fields.iter()));
        for f in all {
            if f.field_type().is_none() && !out.contains(&f.ty) {
                out.push(f.ty.clone());
            }
        }
        out
    }
}

/// The known name closest to `name`: one differing only in case, else the
/// one at the smallest edit distance, if it is close enough to be a typo.
pub(crate) fn closest(name: &str, known: impl Iterator<Item = String>) -> Option<String> {
    let lower = name.to_lowercase();
    let mut best: Option<(usize, String)> = None;
    for k in known {
        if k.to_lowercase() == lower {
            return Some(k);
        }
        let d = distance(&lower, &k.to_lowercase());
        if best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, k));
        }
    }
    let limit = (name.chars().count() / 3).max(2);
    best.filter(|(d, _)| *d <= limit).map(|(_, k)| k)
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
