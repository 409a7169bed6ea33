//! Chaos Toolkit experiment documents: the first two steps of the flow,
//! **load** and **validate**, plus **resolve** (configuration, secrets and
//! `--var`/`--var-file`).
//!
//! * [`load`] turns bytes (a file, or a body fetched from a URL by the caller)
//!   into a [`Document`]: the experiment as a JSON value with its key order,
//!   and enough of the source text to say at which line and column any JSON
//!   path sits.
//! * [`validate`] applies every rule of the reference (chaostoolkit-lib 1.44)
//!   and reports *all* problems at once as [`Diagnostic`]s, each with its
//!   place and what to change. Provider-specific rules come from a
//!   [`ProviderCheck`] the caller passes in, so this crate knows nothing of
//!   drivers.
//! * [`resolve`] loads configuration and secrets the way the reference does,
//!   and parses `--var` and `--var-file`.
//!
//! This crate does no I/O beyond reading local files and the environment.

#![forbid(unsafe_code)]

pub mod atomic;
pub mod load;
pub mod resolve;
pub mod validate;

use std::fmt;

pub use chaos_pyvalue::{Map, Value};
pub use load::{Document, Format, LoadError};

/// One step of a path into a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSeg {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A place in a document, as a list of steps from the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DocPath(pub Vec<PathSeg>);

impl DocPath {
    /// The root of the document.
    pub fn root() -> Self {
        DocPath(Vec::new())
    }

    /// This path with a key appended.
    pub fn key(&self, k: &str) -> Self {
        let mut v = self.0.clone();
        v.push(PathSeg::Key(k.to_string()));
        DocPath(v)
    }

    /// This path with an index appended.
    pub fn index(&self, i: usize) -> Self {
        let mut v = self.0.clone();
        v.push(PathSeg::Index(i));
        DocPath(v)
    }

    /// This path followed by `other`.
    pub fn join(&self, other: &DocPath) -> Self {
        let mut v = self.0.clone();
        v.extend(other.0.iter().cloned());
        DocPath(v)
    }
}

/// Written the way a user reads it: `method[2].provider.url`;
/// keys that are not plain words are quoted: `secrets["my.scope"]`.
impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document root)");
        }
        let mut first = true;
        for seg in &self.0 {
            match seg {
                PathSeg::Index(i) => write!(f, "[{i}]")?,
                PathSeg::Key(k) => {
                    let plain = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if plain {
                        if !first {
                            f.write_str(".")?;
                        }
                        f.write_str(k)?;
                    } else {
                        write!(f, "[{}]", serde_json::Value::String(k.clone()))?;
                    }
                }
            }
            first = false;
        }
        Ok(())
    }
}

/// A line and column in a source text, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub column: usize,
}

/// One problem found in an experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Where the problem is.
    pub path: DocPath,
    /// The reference's message for this rule (so users searching for it
    /// find the Chaos Toolkit documentation and issues).
    pub message: String,
    /// What to change, when there is something useful to say.
    pub hint: Option<String>,
    /// Line and column of `path` in the source, filled in by
    /// [`Document::locate_all`].
    pub location: Option<Location>,
}

impl Diagnostic {
    /// A diagnostic without a hint.
    pub fn new(path: DocPath, message: impl Into<String>) -> Self {
        Diagnostic {
            path,
            message: message.into(),
            hint: None,
            location: None,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// One provider block to check, for [`ProviderCheck::check_all`].
#[derive(Debug, Clone, Copy)]
pub struct ProviderItem<'a> {
    /// The provider's `type`.
    pub provider_type: &'a str,
    /// The provider mapping.
    pub provider: &'a Map<String, Value>,
    /// The name of the activity it belongs to.
    pub activity_name: &'a str,
    /// `probe` or `action`.
    pub kind: &'a str,
}

/// A problem found by a [`ProviderCheck`], relative to the provider mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderIssue {
    /// Path below the provider mapping (empty: the provider itself).
    pub at: DocPath,
    /// The reference's message.
    pub message: String,
    /// What to change.
    pub hint: Option<String>,
}

/// Provider-specific validation, supplied by the driver registry.
pub trait ProviderCheck {
    /// The provider types that exist (`python`, `process`, `http`, ...).
    fn known_types(&self) -> Vec<String>;

    /// Checks one provider block of an activity named `activity_name`
    /// (`kind` is `probe` or `action`).
    fn check(
        &self,
        provider_type: &str,
        provider: &Map<String, Value>,
        activity_name: &str,
        kind: &str,
    ) -> Vec<ProviderIssue>;

    /// Checks many provider blocks, answering in the same order. Validation
    /// gathers every activity's provider and asks once: a driver that must
    /// consult another process (the Python worker) does it in one round
    /// trip instead of one per activity.
    fn check_all(&self, items: &[ProviderItem<'_>]) -> Vec<Vec<ProviderIssue>> {
        items
            .iter()
            .map(|i| self.check(i.provider_type, i.provider, i.activity_name, i.kind))
            .collect()
    }

    /// Checks a `python` control (its whole declaration): errors (such as
    /// those its module's `validate_control` raises) and warnings (a module
    /// that cannot be imported: the reference carries on without it).
    fn check_control(
        &self,
        control: &Map<String, Value>,
        name: &str,
    ) -> (Vec<ProviderIssue>, Vec<ProviderIssue>) {
        let _ = (control, name);
        (Vec::new(), Vec::new())
    }
}
