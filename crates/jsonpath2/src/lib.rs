//! The jsonpath2 dialect (python-jsonpath2 0.4.5) that Chaos Toolkit's
//! `jsonpath` tolerances use.
//!
//! Hand-written on purpose: jsonpath2 filters apply to the current node
//! (`$.items[*][?(@.healthy = true)]`, single `=`), a grammar that RFC 9535
//! crates reject. See the project spec, Appendix A.
//!
//! ```
//! use chaos_jsonpath2::JsonPath;
//! use serde_json::json;
//!
//! let doc = json!({"items": [{"name": "a", "ok": true}, {"name": "b", "ok": false}]});
//! let path = JsonPath::parse("$.items[*][?(@.ok = true)].name").unwrap();
//! assert_eq!(path.find(&doc), vec![json!("a")]);
//!
//! let err = JsonPath::parse("$.items[?(@.ok == true)]").unwrap_err();
//! assert!(err.message.contains("single `=`"));
//! ```
//!
//! # Semantics (those of jsonpath2's match generators)
//!
//! - A key on a non-mapping, or an index or slice on a non-list, yields
//!   nothing; strings are not iterable. `*` yields mapping values in key
//!   order, then list elements in order.
//! - `..x` applies `x` (and the rest of the path) to the node, then recurses
//!   into each child in wildcard order: depth-first, pre-order.
//! - A union `[a, b]` yields all of `a`'s matches (each followed through the
//!   rest of the path) before `b`'s.
//! - `[?(e)]` yields the node itself when `e` holds with `@` bound to it.
//! - Comparisons are existential. Equality is Python `==`
//!   ([`chaos_pyvalue::py_eq`]); `<`, `<=`, `>`, `>=` hold only between
//!   numbers (bools count as ints). When **both** operands are paths only
//!   the first value of the left path is compared (jsonpath2 iterates the
//!   right operand's generator once).
//! - A bare operand is an existence test (path) or Python truthiness
//!   (literal). `or` binds tighter than `and`, as in `JSONPath.g4`.
//! - Strings in the path are taken verbatim between their quotes: jsonpath2
//!   does not decode escapes, so `["a\"b"]` looks up the key `a\"b`.
//! - Slices iterate Python's `range(start, end, step)` (a negative `start`
//!   clamped at 0) and index with each value, so negative values count from
//!   the end again: `[2:0:-1]` yields elements 2 and 1, `[::-1]` nothing. A
//!   zero step is an error ([`EvalError::ZeroSliceStep`]) on a list.
//! - Functions: `length()` (list or string, in code points), `charAt(i)`,
//!   `substring(start[, end])` (Python slicing), `keys()` (mapping keys or
//!   list indices), `values()`, `entries()` (`[key, value]` pairs). Wrong
//!   argument counts or types yield nothing; path arguments are evaluated
//!   with `@` bound to the subscripted node and the function is called once
//!   per combination of their values. A bare `.length` is a key.
//! - `[$…]` / `[@…]` use each int value (bools included) as an index and
//!   each string value as a key.
//!
//! # Deviations, all at the edges
//!
//! - Nesting deeper than [`MAX_DEPTH`] brackets, parentheses or braces is a
//!   parse error (Python would overflow its recursion limit sooner or
//!   later).
//! - Literal numbers are JSON numbers: an integer literal beyond
//!   `i64`/`u64` is compared as a float (it still acts as an int argument of
//!   `charAt`/`substring`), and a float literal that overflows to infinity is
//!   clamped to the largest finite float.
//! - Evaluation is bounded by a work budget ([`DEFAULT_BUDGET`]); past it,
//!   [`JsonPath::try_find`] fails where Python would keep running.

#![forbid(unsafe_code)]

mod ast;
mod eval;
mod lexer;
mod parser;

use std::fmt;

use serde_json::Value;

pub use parser::MAX_DEPTH;

/// The work budget of [`JsonPath::find`] and [`JsonPath::try_find`], in
/// abstract units: about one per node visited, compared or copied, and
/// [`MATCH_COST`] more per match returned. A few seconds of work at most; a
/// path over a large document (`$..*` on 100,000 nodes) needs a tenth of it.
pub const DEFAULT_BUDGET: u64 = 20_000_000;

/// What each returned match costs on top of its size, which bounds the
/// memory a runaway path can take (at most `budget / MATCH_COST` matches).
pub const MATCH_COST: u64 = 16;

/// A path that failed to parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid JSON path at offset {offset}: {message}")]
pub struct ParseError {
    /// Byte offset in the path text.
    pub offset: usize,
    /// What was expected.
    pub message: String,
}

/// A failure while matching a parsed path against a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A slice with step 0 was applied to a list (Python raises
    /// `ValueError: range() arg 3 must not be zero`).
    #[error("slice step cannot be zero (jsonpath2 raises `range() arg 3 must not be zero`)")]
    ZeroSliceStep,
    /// The evaluation needed more work than its budget allows.
    #[error("evaluating the JSON path needed more than {limit} steps")]
    BudgetExceeded {
        /// The budget that was exhausted.
        limit: u64,
    },
}

/// A parsed jsonpath2 expression.
#[derive(Debug, Clone)]
pub struct JsonPath {
    source: String,
    path: ast::Path,
}

impl JsonPath {
    /// Parses a path (it must start with `$`). Whitespace (space, tab, CR,
    /// LF) between tokens is ignored.
    pub fn parse(text: &str) -> Result<JsonPath, ParseError> {
        let path = parser::parse(text)?;
        Ok(JsonPath {
            source: text.to_string(),
            path,
        })
    }

    /// The text this path was parsed from.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Every match, in jsonpath2's order.
    ///
    /// Where evaluation fails (see [`JsonPath::try_find`]) this returns no
    /// match at all.
    pub fn find(&self, root: &Value) -> Vec<Value> {
        self.try_find(root).unwrap_or_default()
    }

    /// Every match, in jsonpath2's order, or the error jsonpath2 would raise
    /// (or the budget [`DEFAULT_BUDGET`] running out).
    pub fn try_find(&self, root: &Value) -> Result<Vec<Value>, EvalError> {
        self.try_find_with_budget(root, DEFAULT_BUDGET)
    }

    /// [`JsonPath::try_find`] with an explicit work budget.
    pub fn try_find_with_budget(&self, root: &Value, budget: u64) -> Result<Vec<Value>, EvalError> {
        let mut ctx = eval::Ctx::new(budget);
        let mut found = Vec::new();
        eval::walk_all(
            &self.path,
            root,
            eval::Node::Borrowed(root),
            &mut ctx,
            |m, ctx| {
                // Charge for the copy handed back to the caller.
                ctx.charge(MATCH_COST + eval::weight(m.value(), budget))?;
                found.push(m);
                Ok(())
            },
        )?;
        Ok(found.into_iter().map(eval::Node::into_value).collect())
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for JsonPath {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<JsonPath, ParseError> {
        JsonPath::parse(s)
    }
}

#[cfg(test)]
mod tests;
