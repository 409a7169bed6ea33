//! JSON: parsing through `serde_json` (with clean, located errors) and a
//! small lazy scanner that finds where a path sits in the source.

use super::text;
use std::collections::HashMap;

use crate::{Location, PathSeg, Value};

/// Parses `text`; an error comes with a message and its place.
pub(super) fn parse(text: &str) -> Result<Value, (String, Option<Location>)> {
    if text.starts_with('\u{feff}') {
        return Err((
            "unexpected UTF-8 byte order mark (BOM) at the start of the document: save it as UTF-8 without BOM".into(),
            Some(Location { line: 1, column: 1 }),
        ));
    }
    serde_json::from_str(text).map_err(|e| {
        let offset = error_offset(text, &e);
        let location = text::location_at(text, offset);
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let mut message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
        if let Some(word) = non_finite_at(text, offset) {
            message = format!(
                "{word} is not supported: JSON numbers must be finite (write a number, or a string such as \"{word}\")"
            );
        } else if message == "recursion limit exceeded" {
            message = format!("the document nests more than {} levels deep", super::MAX_NESTING);
        }
        (message, Some(location))
    })
}

/// The byte offset `serde_json` reports an error at.
///
/// `serde_json` counts columns in bytes from 1, pointing at the offending
/// character; at the end of input it points after the last one read.
fn error_offset(text: &str, e: &serde_json::Error) -> usize {
    let start = text::line_start(text, e.line()).unwrap_or(text.len());
    let col = e.column();
    let offset = if e.is_eof() {
        start + col
    } else {
        start + col.saturating_sub(1)
    };
    offset.min(text.len())
}

/// `NaN`, `Infinity` or `-Infinity` written at (or, for the minus sign,
/// just before) `offset`.
fn non_finite_at(text: &str, offset: usize) -> Option<&'static str> {
    let at = text.get(offset..).unwrap_or("");
    let before = offset
        .checked_sub(1)
        .and_then(|o| text.get(o..))
        .unwrap_or("");
    if before.starts_with("-Infinity") || at.starts_with("-Infinity") {
        Some("-Infinity")
    } else if at.starts_with("Infinity") {
        Some("Infinity")
    } else if at.starts_with("NaN") {
        Some("NaN")
    } else {
        None
    }
}

/// What one scan of a container found, kept so that thousands of
/// diagnostics do not each rescan the document from its start.
#[derive(Debug, Default)]
pub(super) struct Index {
    /// Array start offset → offset of each element.
    arrays: HashMap<usize, Vec<usize>>,
    /// Object start offset → key → (key offset, value offset); the last
    /// duplicate wins, as when parsing.
    objects: HashMap<usize, HashMap<String, (usize, usize)>>,
}

/// Where `path` is written in `text` (valid JSON), as a byte offset: see
/// [`Document::locate`](crate::Document::locate) for what is pointed at.
pub(super) fn locate(text: &str, path: &[PathSeg], index: &mut Index) -> Option<usize> {
    let b = text.as_bytes();
    let mut s = Scanner { b, pos: 0 };
    s.skip_ws();
    if s.pos >= b.len() {
        return None;
    }
    let mut found = s.pos;
    for seg in path {
        let at = s.pos;
        match (seg, s.peek()) {
            (PathSeg::Key(k), Some(b'{')) => {
                let members = index
                    .objects
                    .entry(at)
                    .or_insert_with(|| Scanner { b, pos: at }.members());
                match members.get(k) {
                    Some(&(key_at, value_at)) => {
                        found = key_at;
                        s.pos = value_at;
                    }
                    None => break,
                }
            }
            (PathSeg::Index(i), Some(b'[')) => {
                let elements = index
                    .arrays
                    .entry(at)
                    .or_insert_with(|| Scanner { b, pos: at }.elements());
                match elements.get(*i) {
                    Some(&element_at) => {
                        found = element_at;
                        s.pos = element_at;
                    }
                    None => break,
                }
            }
            _ => break,
        }
    }
    Some(found)
}

/// A forgiving scanner over JSON text: it never fails, it stops.
struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// At `{`: every member's key offset and value offset, by name.
    fn members(&mut self) -> HashMap<String, (usize, usize)> {
        let mut found = HashMap::new();
        self.pos += 1; // '{'
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return found;
            }
            let key_at = self.pos;
            let Some(name) = self.string() else {
                return found;
            };
            self.skip_ws();
            if self.peek() != Some(b':') {
                return found;
            }
            self.pos += 1;
            self.skip_ws();
            found.insert(name, (key_at, self.pos));
            self.skip_value();
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.pos += 1;
            } else {
                return found;
            }
        }
    }

    /// At `[`: every element's offset.
    fn elements(&mut self) -> Vec<usize> {
        let mut found = Vec::new();
        self.pos += 1; // '['
        self.skip_ws();
        if self.peek() == Some(b']') {
            return found;
        }
        loop {
            self.skip_ws();
            if self.pos >= self.b.len() {
                return found;
            }
            found.push(self.pos);
            self.skip_value();
            self.skip_ws();
            if self.peek() == Some(b',') {
                self.pos += 1;
            } else {
                return found;
            }
        }
    }

    /// Skips one value (iteratively: no recursion on deep input).
    fn skip_value(&mut self) {
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            match c {
                b'"' => {
                    self.skip_string();
                    if depth == 0 {
                        return;
                    }
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        return;
                    }
                }
                b',' if depth == 0 => return,
                b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// At `"`: moves past the string.
    fn skip_string(&mut self) {
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'\\' => self.pos += 1,
                b'"' => return,
                _ => {}
            }
        }
    }

    /// At `"`: reads the string, unescaped.
    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            self.pos += 1;
            match c {
                b'"' => return Some(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let e = self.peek()?;
                    self.pos += 1;
                    let ch = match e {
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi)
                                && self.b.get(self.pos) == Some(&b'\\')
                                && self.b.get(self.pos + 1) == Some(&b'u')
                            {
                                let save = self.pos;
                                self.pos += 2;
                                match self.hex4() {
                                    Some(lo) if (0xDC00..0xE000).contains(&lo) => char::from_u32(
                                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00),
                                    )
                                    .unwrap_or('\u{fffd}'),
                                    _ => {
                                        self.pos = save;
                                        '\u{fffd}'
                                    }
                                }
                            } else {
                                char::from_u32(hi).unwrap_or('\u{fffd}')
                            }
                        }
                        other => other as char,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                other => out.push(other),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.b.get(self.pos..self.pos + 4)?;
        let s = std::str::from_utf8(digits).ok()?;
        let v = u32::from_str_radix(s, 16).ok()?;
        self.pos += 4;
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DocPath;

    fn loc(text: &str, path: &DocPath) -> (usize, usize) {
        let l = text::location_at(text, locate(text, &path.0, &mut Index::default()).unwrap());
        (l.line, l.column)
    }

    #[test]
    fn locates_nested_paths() {
        let t = "{\n  \"a\": {\"x\": 1},\n  \"m\": [\n    {\"p\": {\"u\": \"v\"}},\n    {\"p\": {\"u\": [1, {\"k\": 2}]}}\n  ]\n}\n";
        let root = DocPath::root();
        assert_eq!(loc(t, &root), (1, 1));
        assert_eq!(loc(t, &root.key("a")), (2, 3));
        assert_eq!(loc(t, &root.key("a").key("x")), (2, 9));
        assert_eq!(loc(t, &root.key("m").index(1)), (5, 5));
        assert_eq!(loc(t, &root.key("m").index(1).key("p").key("u")), (5, 12));
        assert_eq!(
            loc(
                t,
                &root.key("m").index(1).key("p").key("u").index(1).key("k")
            ),
            (5, 22)
        );
        // missing parts: deepest existing ancestor
        assert_eq!(loc(t, &root.key("m").index(7).key("p")), (3, 3));
        assert_eq!(loc(t, &root.key("a").key("nope")), (2, 3));
        assert_eq!(loc(t, &root.key("a").index(0)), (2, 3));
        assert_eq!(loc(t, &root.key("zzz")), (1, 1));
    }

    #[test]
    fn last_duplicate_and_escapes() {
        let t = r#"{"a": 1, "b\u00e9\"": [], "a": {"c\ud83d\ude00": 3}}"#;
        assert_eq!(loc(t, &DocPath::root().key("a")), (1, 27));
        assert_eq!(loc(t, &DocPath::root().key("bé\"")), (1, 10));
        assert_eq!(loc(t, &DocPath::root().key("a").key("c😀")), (1, 33));
    }

    #[test]
    fn garbage_does_not_panic() {
        for t in [
            "", "{", "[", "{\"a", "{\"a\":", "[1,", "\"\\u12", "{\"a\\", "[[[[", "}}}",
        ] {
            let _ = locate(
                t,
                &DocPath::root().key("a").index(3).key("a").0,
                &mut Index::default(),
            );
            let _ = locate(
                t,
                &DocPath::root().index(0).index(3).0,
                &mut Index::default(),
            );
        }
    }
}
