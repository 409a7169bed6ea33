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
//!
//! Python types map onto JSON values as `None` = null, `bool` = a boolean,
//! `int` = an integer number (`i64`/`u64`), `float` = a number stored as
//! `f64` ([`Number::is_f64`]), `str` = a string, `list` = an array and
//! `dict` = an object. The emulated Python is CPython 3.11 (Unicode 14.0).
//!
//! Every error type here stands for a Python exception that the reference
//! lets escape: a [`TypeError`] is what Python raises on an ordering (or, for
//! [`decimal_in_range`], on a `Decimal` conversion or comparison), a
//! [`ConvertError`] what `convert_to_type` raises.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod compare;
mod convert;
mod decimal;
mod format;
mod template;
mod text;
mod unicode_tables;

pub use serde_json::{Map, Number, Value};

pub use compare::{
    py_cmp, py_contains, py_eq, py_ge, py_gt, py_le, py_lt, py_ne, py_partial_cmp, py_truthy,
    py_type_name,
};
pub use convert::convert;
pub use decimal::{decimal_in_range, to_decimal};
pub use format::{float_repr, json_dumps, py_repr, py_repr_str, py_str};
pub use template::{substitute, substitute_str, Chain, Lookup};

/// Error raised where Python would raise a `TypeError` on an ordering.
///
/// The message is Python's, e.g.
/// `'<=' not supported between instances of 'str' and 'int'`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct TypeError(pub String);

/// Error of a type conversion (`env_var_type`, `--var name:type=value`).
///
/// The message is Python's where Python has one, e.g.
/// `invalid literal for int() with base 10: '1.5'`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ConvertError(pub String);
