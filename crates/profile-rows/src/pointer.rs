//! `--records POINTER`: finding the records of a wrapped API dump
//! (`{"customers":[...]}`) in a stream, without holding the document.
//!
//! How it works. A [`Navigator`] walks the document's bytes up to the value
//! the RFC 6901 pointer names, tracking only where it is: the containers it
//! has entered on the way, the key being read, and, for members and
//! elements that are not on the path, string state and bracket depth while
//! it skips them (as the value scanner does, at memchr-like speed, holding
//! nothing). At the target, an array is read element by element by the
//! JSON reader as if it were the whole document; an object is the one
//! record. After it, a [`Suffix`] skips the rest of the enclosing
//! containers and checks they close. Memory is the pointer and one key.

use crate::error::{ErrorKind, Result};

/// A pointer's reference tokens: `/data/0/items` -> `data`, `0`, `items`.
pub(crate) fn parse(pointer: &str) -> Result<Vec<String>> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(ErrorKind::Pointer {
            pointer: pointer.to_string(),
            message: "a JSON Pointer is empty or starts with '/'".into(),
        }
        .into());
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// The pointer's first `n` tokens, as a pointer (for messages).
fn prefix(tokens: &[String], n: usize) -> String {
    let mut s = String::new();
    for t in &tokens[..n] {
        s.push('/');
        s.push_str(&t.replace('~', "~0").replace('/', "~1"));
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    /// A value starts at the next non-blank byte.
    Value,
    /// In an object: a key or `}` (after `{`), or a key (after `,`).
    Key { first: bool },
    /// In a key string.
    InKey { escape: bool },
    /// After a key: `:`.
    Colon,
    /// In an object after a member: `,` or `}`.
    AfterMember,
    /// In an array: an element or `]` (after `[`), or an element (after `,`).
    Element { first: bool },
    /// In an array after an element: `,` or `]`.
    AfterElement,
    /// Skipping a value that is not on the path.
    Skip {
        depth: usize,
        in_string: bool,
        escape: bool,
        started: bool,
    },
}

#[derive(Clone, Copy, Debug)]
enum Ctx {
    Object,
    Array { index: usize },
}

/// What the navigator found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// An array: its `[` has been consumed; its elements are the records.
    Array,
    /// An object, starting at the next byte: the one record.
    Object,
}

/// Walks a document to the value a pointer names; see the module docs.
#[derive(Debug)]
pub(crate) struct Navigator {
    pointer: String,
    tokens: Vec<String>,
    stack: Vec<Ctx>,
    state: St,
    key: Vec<u8>,
    /// The state to return to after a skipped value.
    after_skip: St,
}

impl Navigator {
    pub(crate) fn new(pointer: &str) -> Result<Navigator> {
        Ok(Navigator {
            pointer: pointer.to_string(),
            tokens: parse(pointer)?,
            stack: Vec::new(),
            state: St::Value,
            key: Vec::new(),
            after_skip: St::Value,
        })
    }

    /// Containers around the target (what the suffix must close).
    pub(crate) fn depth(&self) -> usize {
        self.stack.len()
    }

    fn fail(&self, message: String) -> crate::Error {
        ErrorKind::Pointer {
            pointer: self.pointer.clone(),
            message,
        }
        .into()
    }

    fn not_found(&self) -> crate::Error {
        let n = self.stack.len();
        let token = &self.tokens[n - 1];
        let msg = match self.stack[n - 1] {
            Ctx::Object => format!("{} has no member {token:?}", prefix(&self.tokens, n - 1)),
            Ctx::Array { index } => format!(
                "{} has {index} elements, not one numbered {token:?}",
                prefix(&self.tokens, n - 1)
            ),
        };
        self.fail(msg)
    }

    /// Feeds decoded text; returns the bytes consumed and, once reached,
    /// what the target is.
    pub(crate) fn feed(&mut self, buf: &[u8]) -> Result<(usize, Option<Found>)> {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            match self.state {
                St::Skip {
                    mut depth,
                    mut in_string,
                    mut escape,
                    mut started,
                } => {
                    let mut done = false;
                    while i < buf.len() {
                        let c = buf[i];
                        if escape {
                            escape = false;
                        } else if in_string {
                            match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                                None => {
                                    i = buf.len();
                                    break;
                                }
                                Some(k) => {
                                    i += k;
                                    if buf[i] == b'"' {
                                        in_string = false;
                                        if depth == 0 {
                                            i += 1;
                                            done = true;
                                            break;
                                        }
                                    } else {
                                        escape = true;
                                    }
                                }
                            }
                        } else {
                            match c {
                                b'"' => in_string = true,
                                b'{' | b'[' => depth += 1,
                                b'}' | b']' if depth > 0 => {
                                    depth -= 1;
                                    if depth == 0 {
                                        i += 1;
                                        done = true;
                                        break;
                                    }
                                }
                                b',' | b'}' | b']' if started && depth == 0 => {
                                    done = true;
                                    break;
                                }
                                b' ' | b'\t' | b'\n' | b'\r' if started && depth == 0 => {
                                    done = true;
                                    break;
                                }
                                b' ' | b'\t' | b'\n' | b'\r' => {
                                    i += 1;
                                    continue;
                                }
                                _ => {}
                            }
                        }
                        started = true;
                        i += 1;
                    }
                    self.state = if done {
                        self.after_skip
                    } else {
                        St::Skip {
                            depth,
                            in_string,
                            escape,
                            started,
                        }
                    };
                    continue;
                }
                St::InKey { escape } => {
                    if escape {
                        self.key.push(match b {
                            b'n' => b'\n',
                            b't' => b'\t',
                            b'r' => b'\r',
                            b'b' => 8,
                            b'f' => 12,
                            other => other,
                        });
                        self.state = St::InKey { escape: false };
                    } else if b == b'\\' {
                        self.state = St::InKey { escape: true };
                    } else if b == b'"' {
                        self.state = St::Colon;
                    } else {
                        self.key.push(b);
                    }
                    i += 1;
                    continue;
                }
                _ => {}
            }
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
                continue;
            }
            match self.state {
                St::Value => {
                    let level = self.stack.len();
                    if level == self.tokens.len() {
                        return match b {
                            b'[' => Ok((i + 1, Some(Found::Array))),
                            b'{' => Ok((i, Some(Found::Object))),
                            _ => Err(self.fail(format!(
                                "the value at {} is not an array or an object",
                                prefix(&self.tokens, level)
                            ))),
                        };
                    }
                    match b {
                        b'{' => {
                            self.stack.push(Ctx::Object);
                            self.state = St::Key { first: true };
                        }
                        b'[' => {
                            self.stack.push(Ctx::Array { index: 0 });
                            self.state = St::Element { first: true };
                        }
                        _ => {
                            return Err(self.fail(format!(
                                "the value at {} is not an object or an array, so it has no {:?}",
                                prefix(&self.tokens, level),
                                self.tokens[level]
                            )))
                        }
                    }
                    i += 1;
                }
                St::Key { first } => match b {
                    b'"' => {
                        self.key.clear();
                        self.state = St::InKey { escape: false };
                        i += 1;
                    }
                    b'}' if first => return Err(self.not_found()),
                    _ => return Err(self.fail("malformed JSON: expected a member's key".into())),
                },
                St::Colon => {
                    if b != b':' {
                        return Err(self.fail("malformed JSON: expected ':' after a key".into()));
                    }
                    i += 1;
                    let token = &self.tokens[self.stack.len() - 1];
                    if self.key == token.as_bytes() {
                        self.state = St::Value;
                    } else {
                        self.skip(St::AfterMember);
                    }
                }
                St::AfterMember => match b {
                    b',' => {
                        self.state = St::Key { first: false };
                        i += 1;
                    }
                    b'}' => return Err(self.not_found()),
                    _ => return Err(self.fail("malformed JSON: expected ',' or '}'".into())),
                },
                St::Element { first } => {
                    if b == b']' && first {
                        return Err(self.not_found());
                    }
                    let Some(Ctx::Array { index }) = self.stack.last().copied() else {
                        unreachable!("elements are in arrays")
                    };
                    let token = &self.tokens[self.stack.len() - 1];
                    if token.parse::<usize>().ok() == Some(index) && !token.starts_with('+') {
                        self.state = St::Value;
                    } else {
                        self.skip(St::AfterElement);
                    }
                }
                St::AfterElement => match b {
                    b',' => {
                        if let Some(Ctx::Array { index }) = self.stack.last_mut() {
                            *index += 1;
                        }
                        self.state = St::Element { first: false };
                        i += 1;
                    }
                    b']' => {
                        if let Some(Ctx::Array { index }) = self.stack.last_mut() {
                            *index += 1;
                        }
                        return Err(self.not_found());
                    }
                    _ => return Err(self.fail("malformed JSON: expected ',' or ']'".into())),
                },
                St::Skip { .. } | St::InKey { .. } => unreachable!("handled above"),
            }
        }
        Ok((i, None))
    }

    fn skip(&mut self, then: St) {
        self.after_skip = then;
        self.state = St::Skip {
            depth: 0,
            in_string: false,
            escape: false,
            started: false,
        };
    }
}

/// The rest of a document after its records: the enclosing containers'
/// other members, skipped, and their closing brackets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Suffix {
    depth: usize,
    in_string: bool,
    escape: bool,
}

impl Suffix {
    pub(crate) fn new(depth: usize) -> Suffix {
        Suffix {
            depth,
            in_string: false,
            escape: false,
        }
    }

    /// Consumes all of `buf`; an error message for text after the document.
    pub(crate) fn feed(&mut self, buf: &[u8]) -> std::result::Result<(), usize> {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            if self.escape {
                self.escape = false;
            } else if self.in_string {
                match memchr::memchr2(b'"', b'\\', &buf[i..]) {
                    None => return Ok(()),
                    Some(k) => {
                        i += k;
                        if buf[i] == b'"' {
                            self.in_string = false;
                        } else {
                            self.escape = true;
                        }
                    }
                }
            } else if self.depth == 0 {
                if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                    return Err(i);
                }
            } else {
                match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => self.depth -= 1,
                    _ => {}
                }
            }
            i += 1;
        }
        Ok(())
    }

    /// Whether the document was closed.
    pub(crate) fn closed(&self) -> bool {
        self.depth == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Navigates `doc` fed in `chunk`-byte pieces; the offset after the
    /// navigation and what was found, or the error text.
    fn nav(pointer: &str, doc: &str, chunk: usize) -> std::result::Result<(usize, Found), String> {
        let mut n = Navigator::new(pointer).map_err(|e| e.to_string())?;
        let bytes = doc.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let end = (at + chunk).min(bytes.len());
            // The reader hands unconsumed text back with more after it.
            let (used, found) = n.feed(&bytes[at..end]).map_err(|e| e.to_string())?;
            at += used;
            if let Some(f) = found {
                return Ok((at, f));
            }
            if used == 0 {
                break;
            }
        }
        Err("not found".into())
    }

    #[test]
    fn finds_arrays_and_objects_at_any_depth_in_any_chunks() {
        let doc = r#"{"meta":{"x":[1,{"customers":[]}],"s":"a\"]}"}, "n": 12 ,"data" : {"list":[{"a":1}]}, "customers":[{"id":1}]}"#;
        for chunk in [1, 2, 3, 7, 1000] {
            let (at, f) = nav("/customers", doc, chunk).unwrap();
            assert_eq!(
                (&doc[at..at + 8], f),
                (r#"{"id":1}"#, Found::Array),
                "chunk {chunk}"
            );
            let (at, f) = nav("/data/list", doc, chunk).unwrap();
            assert_eq!((&doc[at..at + 7], f), (r#"{"a":1}"#, Found::Array));
            let (at, f) = nav("/data", doc, chunk).unwrap();
            assert_eq!((&doc[at..at + 8], f), (r#"{"list":"#, Found::Object));
            let (at, f) = nav("/meta/x/1/customers", doc, chunk).unwrap();
            assert_eq!((&doc[at..at + 1], f), ("]", Found::Array));
            assert_eq!(
                nav("/meta/x/0", doc, chunk).unwrap_err(),
                "--records /meta/x/0: the value at /meta/x/0 is not an array or an object"
            );
            assert_eq!(
                nav("/nope", doc, chunk).unwrap_err(),
                "--records /nope: / has no member \"nope\""
            );
            assert_eq!(
                nav("/meta/x/5", doc, chunk).unwrap_err(),
                "--records /meta/x/5: /meta/x has 2 elements, not one numbered \"5\""
            );
            assert_eq!(
                nav("/n/a", doc, chunk).unwrap_err(),
                "--records /n/a: the value at /n is not an object or an array, so it has no \"a\""
            );
        }
        assert_eq!(parse("/a~1b/c~0d").unwrap(), ["a/b", "c~d"]);
        assert!(parse("customers").is_err());
    }

    #[test]
    fn the_suffix_closes_the_document() {
        let mut s = Suffix::new(2);
        assert_eq!(s.feed(br#", "count": {"a":"}}"}}, "x":[1] } "#), Ok(()));
        assert!(s.closed());
        assert_eq!(s.feed(b"\n x"), Err(2));
        let mut s = Suffix::new(2);
        s.feed(b"]").unwrap();
        assert!(!s.closed());
    }
}
