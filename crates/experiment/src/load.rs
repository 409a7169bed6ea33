//! Loading: bytes to [`Document`], with positions kept for error messages.
//!
//! # JSON
//!
//! Read the way Python's `json` module reads it: keys keep the order they
//! were written in, the last of duplicate keys wins (at the place of the
//! first), integers stay integers and floats stay floats. Where we differ:
//!
//! * `NaN`, `Infinity` and `-Infinity`, which Python accepts, are rejected
//!   with a clear message: a JSON value cannot hold them.
//! * Integers outside the 64-bit range become floats (Python keeps them
//!   exact), as `serde_json` does; `-0` reads as the float `-0.0`.
//! * A syntax error is a clean [`LoadError::Syntax`] with line and column
//!   (the reference crashes with a traceback), and so is a byte-order mark.
//!
//! Positions are not recorded while parsing (that keeps loading fast):
//! [`Document::locate`] finds them by scanning the source when asked.
//!
//! # YAML
//!
//! Read the way PyYAML's `safe_load` reads it (YAML 1.1): see the `yaml`
//! submodule for the scalar rules (`yes`/`off` booleans, `010` octal,
//! `1:30` sexagesimal, dates and timestamps as the ISO strings Python's
//! `isoformat()` gives, ...), merge keys (`<<`), tags and what is rejected.
//! Unlike the reference, alias bombs and deep nesting fail fast with a
//! clear error (see [`MAX_NESTING`] and [`MAX_ALIAS_EXPANSION`]).
//!
//! The syntax is read by `saphyr-parser` (YAML 1.2 syntax; the 1.1 scalar
//! rules are applied here). Checked against PyYAML on tens of thousands of
//! generated and mutated documents, values agree; the differences left are
//! a few inputs PyYAML refuses and we accept (a tab inside a plain scalar,
//! an empty key `: x`, a comment glued to a quoted scalar `'x'#c`), and
//! the position reported for some syntax errors. Quoted scalars whose
//! continuation lines are not indented, which PyYAML accepts and the
//! parser does not, are handled by re-indenting them (positions are
//! corrected back to the original text).
//!
//! # Locations
//!
//! [`Document::locate`] gives, for a path whose last step is a mapping key,
//! the place of that **key** (the line a reader looks for: `url:`); for a
//! list index or the root, the place where the value starts. For a path
//! that does not exist in the source (a missing key, an index past the end)
//! it gives the place of the deepest part of the path that does exist.
//! Values reached through a YAML alias or merge key point into the anchored
//! text they were copied from.

#![forbid(unsafe_code)]

mod json;
mod text;
mod yaml;

use std::path::Path;

use crate::{Diagnostic, DocPath, Location, Value};

/// How deeply collections may nest in a document: deeper documents are
/// rejected (JSON: by `serde_json`'s own limit, which is this number).
pub const MAX_NESTING: usize = 128;

/// How many nodes YAML aliases and merge keys may add to a document beyond
/// the nodes written in its source, before it is rejected as an alias bomb.
pub const MAX_ALIAS_EXPANSION: usize = 100_000;

/// The syntax a document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (Python's `json` rules, except that NaN and Infinity are
    /// rejected; last duplicate key wins).
    Json,
    /// YAML 1.1 as PyYAML's `safe_load` reads it.
    Yaml,
}

/// Why a document could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    /// The reference's `Path "<p>" does not exist.`
    #[error("Path \"{0}\" does not exist.")]
    NotFound(String),
    /// The path names a directory.
    #[error("'{0}' is a directory, not an experiment file")]
    IsADirectory(String),
    /// Neither .json, .yaml nor .yml.
    #[error("only files with json, yaml or yml extensions are supported")]
    UnsupportedExtension(String),
    /// The file could not be read.
    #[error("cannot read '{path}': {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
    /// A syntax error (or a document that cannot be represented: invalid
    /// UTF-8, NaN, an alias bomb, too deep a nesting), with its place.
    #[error("{origin}{}: {message}", location.map(|l| format!(":{}:{}", l.line, l.column)).unwrap_or_default())]
    Syntax {
        /// File or URL.
        origin: String,
        /// What is wrong. YAML messages start with the reference's
        /// `Failed parsing YAML experiment: `, JSON ones with
        /// `Failed parsing JSON experiment: `.
        message: String,
        /// Where.
        location: Option<Location>,
    },
}

/// A loaded experiment (or any JSON/YAML document) and what is needed to
/// point into its source.
#[derive(Debug, Clone)]
pub struct Document {
    /// The parsed value, keys in the order written.
    pub value: Value,
    /// The syntax it was written in.
    pub format: Format,
    /// Where it came from (path or URL), for messages.
    pub origin: String,
    text: String,
    spans: Option<yaml::Spans>,
    lines: std::sync::OnceLock<text::Lines>,
    json_index: std::sync::Arc<std::sync::Mutex<json::Index>>,
}

impl Document {
    /// Parses `bytes` written in `format`.
    ///
    /// Never panics, whatever the bytes; every failure is a
    /// [`LoadError::Syntax`] with a location when one is known.
    pub fn parse(bytes: &[u8], format: Format, origin: &str) -> Result<Document, LoadError> {
        let syntax = |message: String, location: Option<Location>| LoadError::Syntax {
            origin: origin.to_string(),
            message,
            location,
        };
        let prefix = match format {
            Format::Json => "Failed parsing JSON experiment: ",
            Format::Yaml => "Failed parsing YAML experiment: ",
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let good = e.valid_up_to();
                // The prefix up to `good` is valid UTF-8 by definition.
                let before = std::str::from_utf8(&bytes[..good]).unwrap_or("");
                let location = text::location_at(before, before.len());
                return Err(syntax(
                    format!("{prefix}invalid UTF-8 (byte 0x{:02x} at offset {good}): the document must be UTF-8 text", bytes[good]),
                    Some(location),
                ));
            }
        };
        match format {
            Format::Json => {
                let value =
                    json::parse(text).map_err(|(m, l)| syntax(format!("{prefix}{m}"), l))?;
                Ok(Document {
                    value,
                    format,
                    origin: origin.to_string(),
                    text: text.to_string(),
                    spans: None,
                    lines: std::sync::OnceLock::new(),
                    json_index: Default::default(),
                })
            }
            Format::Yaml => {
                let (value, spans) =
                    yaml::parse(text).map_err(|(m, l)| syntax(format!("{prefix}{m}"), l))?;
                Ok(Document {
                    value,
                    format,
                    origin: origin.to_string(),
                    text: text.to_string(),
                    spans: Some(spans),
                    lines: std::sync::OnceLock::new(),
                    json_index: Default::default(),
                })
            }
        }
    }

    /// Line and column of `path` in the source.
    ///
    /// For a path ending with a mapping key: where that key is written; for
    /// a path ending with a list index (or the root): where the value
    /// starts. A path that does not exist in the source gives the place of
    /// its deepest part that does. `None` only for a document with no
    /// content at all.
    pub fn locate(&self, path: &DocPath) -> Option<Location> {
        let found = match &self.spans {
            Some(spans) => spans.locate(&path.0),
            None => {
                let mut index = self.json_index.lock().unwrap_or_else(|e| e.into_inner());
                json::locate(&self.text, &path.0, &mut index)
                    .map(|offset| self.lines().location_at(&self.text, offset))
            }
        }?;
        Some(self.within_source(found))
    }

    fn lines(&self) -> &text::Lines {
        self.lines.get_or_init(|| text::Lines::new(&self.text))
    }

    /// A parser may place a node at the end of the stream, one line past the
    /// text (an empty key at the end of a file): point at the end of the last
    /// line instead, so every location exists in the source.
    fn within_source(&self, mut l: Location) -> Location {
        let lines = self.lines();
        if lines.line(&self.text, l.line).is_none() {
            let mut last = l.line;
            while last > 1 && lines.line(&self.text, last).is_none() {
                last -= 1;
            }
            let width = lines.width(&self.text, last).unwrap_or(0);
            return Location {
                line: last,
                column: width + 1,
            };
        }
        let width = lines.width(&self.text, l.line).unwrap_or(0);
        l.column = l.column.min(width + 1);
        l
    }

    /// Fills in the location of every diagnostic.
    pub fn locate_all(&self, diags: &mut [Diagnostic]) {
        for d in diags {
            d.location = self.locate(&d.path);
        }
    }

    /// The text of source line `line` (counted from 1), without its line
    /// break, for showing a diagnostic in context.
    pub fn source_line(&self, line: usize) -> Option<&str> {
        self.lines().line(&self.text, line)
    }
}

/// Loads a local experiment file, choosing the parser by extension as the
/// reference does (`.json`, `.yaml`, `.yml`, case-sensitive).
///
/// A directory gives [`LoadError::IsADirectory`] (the reference crashes).
pub fn load_file(path: &Path) -> Result<Document, LoadError> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(LoadError::IsADirectory(shown));
    }
    if !path.exists() {
        return Err(LoadError::NotFound(shown));
    }
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Format::Json,
        Some("yaml") | Some("yml") => Format::Yaml,
        _ => return Err(LoadError::UnsupportedExtension(shown)),
    };
    let bytes = std::fs::read(path).map_err(|e| LoadError::Io {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    Document::parse(&bytes, format, &shown)
}

/// Parses a body fetched from an http(s) URL by its `Content-Type`, as the
/// reference does (substring tests, in this order): `application/json` →
/// JSON; `application/x-yaml` or `text/yaml` → YAML; `text/plain` → JSON,
/// else YAML, else [`LoadError::UnsupportedExtension`]; anything else (or
/// no `Content-Type`, where the reference crashes) →
/// [`LoadError::UnsupportedExtension`].
pub fn parse_remote(
    bytes: &[u8],
    content_type: Option<&str>,
    url: &str,
) -> Result<Document, LoadError> {
    let ct = content_type.unwrap_or("");
    if ct.contains("application/json") {
        Document::parse(bytes, Format::Json, url)
    } else if ct.contains("application/x-yaml") || ct.contains("text/yaml") {
        Document::parse(bytes, Format::Yaml, url)
    } else if ct.contains("text/plain") {
        Document::parse(bytes, Format::Json, url)
            .or_else(|_| Document::parse(bytes, Format::Yaml, url))
            .map_err(|_| LoadError::UnsupportedExtension(url.to_string()))
    } else {
        Err(LoadError::UnsupportedExtension(url.to_string()))
    }
}

#[cfg(test)]
mod tests;
