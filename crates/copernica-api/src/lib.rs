//! The one HTTP client for Copernica's REST API v3: the access token,
//! retries, and keeping the token out of everything it says.
//!
//! ```no_run
//! use copernica_api::ClientBuilder;
//!
//! let client = ClientBuilder::new(std::env::var("COPERNICA_ACCESS_TOKEN")?)
//!     .tries(6)
//!     .build();
//! let log = |m: &str| eprintln!("{m}");
//! let posted = client.post_import("batch-00001.json", br#"{"database":1,"name":"x","source":[]}"#, &log)?;
//! println!("import {:?}", posted.import_id);
//! let schema = client.database_schema(1, &log)?;
//! println!("{} fields", schema.fields.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it does for every request
//!
//! * The token goes as the `access_token` query parameter and is never
//!   shown: URLs in messages read `access_token=***`, and the HTTP
//!   library's own error texts are scrubbed of it, plain or encoded.
//! * 429, 5xx and broken connections are tried again with exponential
//!   backoff and jitter (doubling from [`ClientBuilder::backoff`], at most
//!   a minute), honouring `Retry-After` in seconds. Copernica's load
//!   balancer answers 503 and 504 with an HTML page when busy: a body that
//!   is not JSON is summarized by its status, never shown.
//! * Any other 4xx stops at once with the API's own message from
//!   `{"error":{"message":...}}`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use field_map::{Schema, SchemaCollection, SchemaField};
use serde_json::Value;

/// The API's base URL.
pub const DEFAULT_BASE: &str = "https://api.copernica.com/v3";

/// Longest wait between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Items per page when paging through fields and collections.
pub const PAGE: usize = 1000;

/// Why a request gave no answer to use. Messages never hold the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API refused (a 4xx other than 429): its own message.
    #[error("{what}: HTTP {status} from {url}: {message}")]
    Refused {
        /// What was asked (a batch file, `import 17`, ...).
        what: String,
        /// The HTTP status.
        status: u16,
        /// The URL, with the token as `***`.
        url: String,
        /// The API's message, or a summary of the body.
        message: String,
    },
    /// Every try failed with something worth trying again.
    #[error("{what}: gave up after {tries} tries; last: {last}")]
    GaveUp {
        /// What was asked.
        what: String,
        /// Tries made.
        tries: u32,
        /// The last failure.
        last: String,
    },
    /// An answer that is not what the API documents.
    #[error("{what}: unexpected answer from {url}: {message}")]
    Unexpected {
        /// What was asked.
        what: String,
        /// The URL, with the token as `***`.
        url: String,
        /// What was wrong with it.
        message: String,
    },
}

/// Builds a [`Client`].
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    token: String,
    base: String,
    tries: u32,
    backoff: Duration,
    timeout: Duration,
}

impl ClientBuilder {
    /// A client for this access token, with the defaults: base
    /// [`DEFAULT_BASE`], 6 tries, 1 s first backoff, 300 s per request.
    pub fn new(token: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            token: token.into().trim().to_string(),
            base: DEFAULT_BASE.to_string(),
            tries: 6,
            backoff: Duration::from_secs(1),
            timeout: Duration::from_secs(300),
        }
    }

    /// The API's base URL (a test server, say).
    pub fn base_url(&mut self, base: &str) -> &mut ClientBuilder {
        self.base = base.trim_end_matches('/').to_string();
        self
    }

    /// Tries per request (at least 1).
    pub fn tries(&mut self, n: u32) -> &mut ClientBuilder {
        self.tries = n.max(1);
        self
    }

    /// The first wait between tries; it doubles each try.
    pub fn backoff(&mut self, d: Duration) -> &mut ClientBuilder {
        self.backoff = d;
        self
    }

    /// How long one request may take.
    pub fn timeout(&mut self, d: Duration) -> &mut ClientBuilder {
        self.timeout = d;
        self
    }

    /// The client.
    pub fn build(&self) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(self.timeout))
            .user_agent(concat!("copernica-import/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client {
            agent,
            base: self.base.clone(),
            token: self.token.clone(),
            tries: self.tries,
            backoff: self.backoff,
        }
    }
}

/// Sends requests with the token, retrying what may succeed later.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: String,
    tries: u32,
    backoff: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &"***")
            .field("tries", &self.tries)
            .finish_non_exhaustive()
    }
}

/// A successful answer (2xx).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Its headers, names as sent.
    pub headers: Vec<(String, String)>,
    /// Its body.
    pub body: String,
}

impl Response {
    /// The first header of this name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An import that was accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    /// The HTTP status (200, 201 or 204).
    pub status: u16,
    /// The import's id, from `X-Created`, else the last path segment of
    /// `Location`.
    pub import_id: Option<String>,
}

/// Percent-encodes everything but unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The API's own words from `{"error":{"message":...}}`; a body that is not
/// JSON (a load balancer's HTML page) is summarized, never shown.
fn api_message(status: u16, body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    match parsed.as_ref().map(|v| &v["error"]["message"]) {
        Some(Value::String(m)) => m.clone(),
        Some(_) => body.trim().chars().take(300).collect(),
        None if body.trim().is_empty() => "(no message)".to_string(),
        None => format!(
            "HTTP {status} with a body that is not JSON ({} bytes)",
            body.len()
        ),
    }
}

/// The last path segment of a header's value (`.../import/17` -> `17`).
fn last_segment(v: &str) -> Option<String> {
    let s = v.trim().trim_end_matches('/').rsplit('/').next()?;
    (!s.is_empty()).then(|| s.to_string())
}

impl Client {
    /// `BASE/PATH?access_token=TOKEN&...`: only ever sent, never shown.
    fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut u = format!(
            "{}/{path}?access_token={}",
            self.base,
            percent_encode(&self.token)
        );
        for (k, v) in query {
            u.push_str(&format!("&{k}={}", percent_encode(v)));
        }
        u
    }

    /// `BASE/PATH?access_token=***`: for people.
    pub fn shown(&self, path: &str) -> String {
        format!("{}/{path}?access_token=***", self.base)
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Removes the token from a text, however it was encoded.
    fn redact(&self, text: &str) -> String {
        if self.token.is_empty() {
            return text.to_string();
        }
        text.replace(&self.token, "***")
            .replace(&percent_encode(&self.token), "***")
    }

    /// Sends a request (a POST of `body`, else a GET) to `BASE/PATH` with
    /// `query`, trying again what may succeed later; `log` hears of each
    /// retry. `what` names the request in messages.
    pub fn request(
        &self,
        what: &str,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        log: &dyn Fn(&str),
    ) -> Result<Response, Error> {
        let mut last = String::new();
        for attempt in 1..=self.tries {
            let url = self.url(path, query);
            let sent = match body {
                Some(b) => self
                    .agent
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .send(b),
                None => self
                    .agent
                    .get(&url)
                    .header("Accept", "application/json")
                    .call(),
            };
            let wait = match sent {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp
                        .headers()
                        .iter()
                        .map(|(k, v)| {
                            (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())
                        })
                        .collect::<Vec<_>>();
                    let text = resp.body_mut().read_to_string().unwrap_or_default();
                    if (200..300).contains(&status) {
                        return Ok(Response {
                            status,
                            headers,
                            body: text,
                        });
                    }
                    if status != 429 && !(500..600).contains(&status) {
                        return Err(Error::Refused {
                            what: what.to_string(),
                            status,
                            url: self.shown(path),
                            message: self.redact(&api_message(status, &text)),
                        });
                    }
                    last = format!("HTTP {status}");
                    let retry_after = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    retry_after.unwrap_or_else(|| self.backoff(attempt))
                }
                Err(e) => {
                    last = self.redact(&e.to_string());
                    self.backoff(attempt)
                }
            };
            if attempt < self.tries {
                log(&format!(
                    "{what}: {last}; trying again in {:.1} s ({attempt} of {} tries used)",
                    wait.as_secs_f64(),
                    self.tries
                ));
                std::thread::sleep(wait);
            }
        }
        Err(Error::GaveUp {
            what: what.to_string(),
            tries: self.tries,
            last,
        })
    }

    /// Exponential backoff with jitter: base * 2^(n-1), capped, times 0.5..1.
    fn backoff(&self, attempt: u32) -> Duration {
        let full = self
            .backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(MAX_BACKOFF);
        let jitter = (RandomState::new().build_hasher().finish() % 1000) as f64 / 2000.0 + 0.5;
        full.mul_f64(jitter)
    }

    /// Posts an import body to `BASE/imports`.
    pub fn post_import(
        &self,
        what: &str,
        body: &[u8],
        log: &dyn Fn(&str),
    ) -> Result<Posted, Error> {
        let r = self.request(what, "imports", &[], Some(body), log)?;
        let import_id = r
            .header("x-created")
            .and_then(last_segment)
            .or_else(|| r.header("location").and_then(last_segment));
        Ok(Posted {
            status: r.status,
            import_id,
        })
    }

    /// An import's status: `GET BASE/import/ID`, as the API gives it.
    pub fn import(&self, id: &str, log: &dyn Fn(&str)) -> Result<Value, Error> {
        let path = format!("import/{}", percent_encode(id));
        self.json(&format!("import {id}"), &path, &[], log)
    }

    fn json(
        &self,
        what: &str,
        path: &str,
        query: &[(&str, String)],
        log: &dyn Fn(&str),
    ) -> Result<Value, Error> {
        let r = self.request(what, path, query, None, log)?;
        serde_json::from_str(&r.body).map_err(|e| Error::Unexpected {
            what: what.to_string(),
            url: self.shown(path),
            message: format!("not JSON ({e})"),
        })
    }

    /// Every item of a paged list at `path`: `start` and `limit` of
    /// [`PAGE`] with `total=true`, until `total` is reached or, where an
    /// envelope has no `total`, until a page comes back short.
    fn all_pages(&self, what: &str, path: &str, log: &dyn Fn(&str)) -> Result<Vec<Value>, Error> {
        let mut items = Vec::new();
        loop {
            let query = [
                ("start", items.len().to_string()),
                ("limit", PAGE.to_string()),
                ("total", "true".to_string()),
            ];
            let page = self.json(what, path, &query, log)?;
            let data = match &page["data"] {
                Value::Array(d) => d.clone(),
                _ => {
                    return Err(Error::Unexpected {
                        what: what.to_string(),
                        url: self.shown(path),
                        message: "no \"data\" list in the envelope".into(),
                    })
                }
            };
            let got = data.len();
            items.extend(data);
            let total = number(&page["total"]);
            let done = match total {
                Some(t) => items.len() as u64 >= t || got == 0,
                None => got < PAGE,
            };
            if done {
                return Ok(items);
            }
        }
    }

    /// Reads a database's fields and collections (each collection's
    /// fields too), paging as needed. The schema's `readAt` is now.
    pub fn database_schema(&self, id: u64, log: &dyn Fn(&str)) -> Result<Schema, Error> {
        let what = format!("database {id}");
        let db = self.json(&what, &format!("database/{id}"), &[], log)?;
        let name = text(&db["name"]).unwrap_or_default();
        let fields = self.all_pages(&what, &format!("database/{id}/fields"), log)?;
        let collections = self.all_pages(&what, &format!("database/{id}/collections"), log)?;
        let mut schema = Schema {
            database_id: number(&db["ID"]).unwrap_or(id),
            database_name: name,
            read_at: jiff::Timestamp::now().to_string(),
            fields: fields.iter().map(field).collect(),
            collections: Vec::new(),
        };
        for c in &collections {
            let cid = number(&c["ID"]).ok_or_else(|| Error::Unexpected {
                what: what.clone(),
                url: self.shown(&format!("database/{id}/collections")),
                message: "a collection without an ID".into(),
            })?;
            let cwhat = format!("collection {cid}");
            let cfields = self.all_pages(&cwhat, &format!("collection/{cid}/fields"), log)?;
            schema.collections.push(SchemaCollection {
                id: cid,
                name: text(&c["name"]).unwrap_or_default(),
                fields: cfields.iter().map(field).collect(),
            });
        }
        Ok(schema)
    }
}

/// A string, or a number as its text.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number, given as a string (as the API gives IDs and lengths) or not.
fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A field as the API describes it.
fn field(v: &Value) -> SchemaField {
    let ty = text(&v["type"]).unwrap_or_default();
    let (options, default_option) = if ty == "select" {
        SchemaField::parse_options(&text(&v["value"]).unwrap_or_default())
    } else {
        (Vec::new(), None)
    };
    SchemaField {
        name: text(&v["name"]).unwrap_or_default(),
        ty,
        options,
        default_option,
        length: number(&v["length"]).filter(|&l| l > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_ids() {
        assert_eq!(
            api_message(400, r#"{"error":{"message":"No entity with supplied ID"}}"#),
            "No entity with supplied ID"
        );
        assert_eq!(
            api_message(503, "<html><body>Service Unavailable</body></html>"),
            "HTTP 503 with a body that is not JSON (45 bytes)"
        );
        assert_eq!(
            last_segment("https://api.copernica.com/v3/import/17/"),
            Some("17".into())
        );
        assert_eq!(percent_encode("a/b+c"), "a%2Fb%2Bc");
        let (o, d) = SchemaField::parse_options("Male\nFemale*\n\nOther\n");
        assert_eq!(
            (o, d),
            (
                vec!["Male".into(), "Female".into(), "Other".into()],
                Some("Female".into())
            )
        );
    }
}
