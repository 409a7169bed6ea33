//! The parsed form of a path (it mirrors jsonpath2's node classes).

use serde_json::Value;

/// Where a path starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// `$`: the document root.
    Root,
    /// `@`: the node being subscripted or filtered.
    Current,
}

/// `$…` or `@…`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Path {
    pub(crate) start: Start,
    pub(crate) steps: Vec<Step>,
}

/// One `.x`, `[a, b]`, `..x` or `..[a, b]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    /// `..`: apply the selectors to the node and then to every descendant.
    pub(crate) recursive: bool,
    /// A union, applied in order.
    pub(crate) selectors: Vec<Selector>,
}

/// One subscriptable.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Selector {
    /// A mapping key (`.name` or `["name"]`, escapes not decoded).
    Key(String),
    /// A list index; negative counts from the end.
    Index(i64),
    /// `start:end:step`.
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<i64>,
    },
    /// `*`.
    Wildcard,
    /// `?(expr)`: yields the node itself when `expr` holds for it.
    Filter(Box<Expr>),
    /// `[$…]` / `[@…]`: every int value is used as an index, every string
    /// as a key.
    Path(Box<Path>),
    /// `fn(args)`.
    Call(Func, Vec<Operand>),
}

/// The callable subscripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    CharAt,
    Entries,
    Keys,
    Length,
    Substring,
    Values,
}

impl Func {
    pub(crate) const NAMES: &'static str = "length, charAt, substring, keys, values, entries";

    pub(crate) fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "charAt" => Func::CharAt,
            "entries" => Func::Entries,
            "keys" => Func::Keys,
            "length" => Func::Length,
            "substring" => Func::Substring,
            "values" => Func::Values,
            _ => return None,
        })
    }
}

/// A path or a JSON literal (comparison operand or function argument).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Path(Path),
    /// A literal. `big_int` is set, saturated, for an integer literal too
    /// large for a JSON number of this crate (stored as a float in `value`):
    /// function arguments still treat it as a (Python) int.
    Literal {
        value: Value,
        big_int: Option<i64>,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `a and b and …` (all).
    And(Vec<Expr>),
    /// `a or b or …` (any).
    Or(Vec<Expr>),
    /// `not e`.
    Not(Box<Expr>),
    /// `left op right`, existential.
    Cmp(Operand, CmpOp, Operand),
    /// A bare operand: a path that matches something, or a truthy literal.
    Some(Operand),
}
