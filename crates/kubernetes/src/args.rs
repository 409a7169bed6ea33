//! An activity's `arguments`, read with the types and defaults of the
//! chaostoolkit-kubernetes function they are passed to.

use chaos_pyvalue::{py_str, py_truthy, Map, Value};

/// The arguments of one call.
pub struct Args<'a> {
    values: &'a Map<String, Value>,
}

impl<'a> Args<'a> {
    /// Wraps an `arguments` mapping.
    pub fn new(values: &'a Map<String, Value>) -> Self {
        Args { values }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    /// An argument as given (mappings, lists), `None` when absent or null.
    pub fn value(&self, name: &str) -> Option<&'a Value> {
        self.get(name)
    }

    /// Whether the argument was passed at all, even as null (Python's
    /// explicit `None` differs from a default for a few parameters).
    pub fn given(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// A string argument, `None` when absent or null.
    pub fn opt_str(&self, name: &str) -> Option<String> {
        self.get(name).map(py_str)
    }

    /// A string argument with a default.
    pub fn str_or(&self, name: &str, default: &str) -> String {
        self.opt_str(name).unwrap_or_else(|| default.to_string())
    }

    /// A required string argument.
    pub fn required_str(&self, name: &str, func: &str) -> Result<String, String> {
        self.opt_str(name)
            .ok_or_else(|| format!("{func}() missing 1 required positional argument: '{name}'"))
    }

    /// A boolean argument as Python would read it (truthiness).
    pub fn bool_or(&self, name: &str, default: bool) -> bool {
        self.get(name).map(py_truthy).unwrap_or(default)
    }

    /// An integer argument (numbers and numeric strings).
    pub fn opt_int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// An integer argument with a default.
    pub fn int_or(&self, name: &str, default: i64) -> i64 {
        self.opt_int(name).unwrap_or(default)
    }

    /// A number of seconds.
    pub fn seconds_or(&self, name: &str, default: f64) -> f64 {
        match self.get(name) {
            Some(Value::Number(n)) => n.as_f64().unwrap_or(default),
            Some(Value::String(s)) => s.trim().parse().unwrap_or(default),
            _ => default,
        }
    }
}
