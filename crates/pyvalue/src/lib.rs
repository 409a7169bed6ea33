//! Python value semantics that leak into Chaos Toolkit behaviour.
//!
//! The reference is written in Python, and several of its observable results
//! depend on Python's object model rather than on anything JSON says:
//! `1 == 1.0 == True`, ordering between an int and a string raises, values
//! placed into strings are formatted with `str()` (`True`, `None`,
//! `{'k': [1, 'a']}`), and `${name}` substitution follows `string.Template`.
//! This crate owns those rules, over `serde_json::Value` (with key order kept),
//! so the rest of the project can treat experiment data as plain JSON.
//!
//! It does not own where substitution happens or which values are looked up:
//! that is the engine's business.

use std::cmp::Ordering;

pub use serde_json::{Map, Number, Value};

/// Error raised where Python would raise a `TypeError` on an ordering.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct TypeError(pub String);

/// Error of a type conversion (`env_var_type`, `--var name:type=value`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ConvertError(pub String);

/// Python `a == b` for JSON-shaped values.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    a == b
}

/// Python ordering (`<`, `<=`, ...) between two values.
///
/// `Err` where Python raises `TypeError` (e.g. `1 < "a"`, `None < 1`).
pub fn py_cmp(a: &Value, b: &Value) -> Result<Ordering, TypeError> {
    let _ = (a, b);
    Err(TypeError("not implemented".into()))
}

/// Python truthiness (`bool(v)`).
pub fn py_truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// Python `str(v)`.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Python `repr(v)`.
pub fn py_repr(v: &Value) -> String {
    v.to_string()
}

/// Python `repr(f)` of a float (`1.0`, `1e+16`, `inf`, `nan`).
pub fn float_repr(f: f64) -> String {
    format!("{f:?}")
}

/// Where `${name}` placeholders are looked up.
pub trait Lookup {
    /// The value bound to `name`, if any.
    fn lookup(&self, name: &str) -> Option<&Value>;
}

impl Lookup for Map<String, Value> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// Substitutes every string inside `value` (mapping values, list elements),
/// returning a new value. Falsy inputs are returned unchanged.
pub fn substitute(value: &Value, lookup: &dyn Lookup) -> Value {
    match value {
        Value::String(s) => substitute_str(s, lookup),
        _ => value.clone(),
    }
}

/// Substitutes one string: `"${name}"` alone keeps the bound value's type,
/// anything else is a `string.Template.safe_substitute`.
pub fn substitute_str(s: &str, lookup: &dyn Lookup) -> Value {
    let _ = lookup;
    Value::String(s.to_string())
}

/// Converts a value by a type name, as `env_var_type` and `--var name:type`
/// do: `str`/`string`, `int`/`integer`, `float`/`number`, `bytes`, `bool`,
/// `json`; `None` leaves the value unchanged.
pub fn convert(value: &Value, ty: Option<&str>) -> Result<Value, ConvertError> {
    let _ = ty;
    Ok(value.clone())
}

/// `Decimal(value)` as the range tolerance computes it: `None` where Python
/// returns a value that is not a number (a non-numeric string: not met),
/// `Err` where Python raises (None, mapping, list: the run crashes).
pub fn to_decimal(value: &Value) -> Result<Option<f64>, TypeError> {
    match value {
        Value::Number(n) => Ok(n.as_f64()),
        _ => Ok(None),
    }
}
