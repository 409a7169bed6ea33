//! Tolerances: whether a probe's output is what the hypothesis expects
//! (spec §4.3–§4.5), with the reference's dispatch on the tolerance's type.

use chaos_jsonpath2::JsonPath;
use chaos_pyvalue::{py_eq, py_le, py_truthy, substitute, substitute_str, Lookup, Map, Value};

/// Where the reference raises instead of answering (an ordering between
/// incompatible types, a `target` on a non-mapping, ...). In a before/after
/// hypothesis the reference crashes on these; we abort the run cleanly.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ToleranceError(pub String);

/// The outcome of checking one tolerance.
pub enum Check {
    /// Decided without running anything.
    Done(bool),
    /// A probe used as a tolerance: run this provider (with `value` set in
    /// its arguments) and take the truthiness of its result.
    Probe(Map<String, Value>),
}

/// Checks `tolerance` against `output`. String tolerances and patterns are
/// substituted through `lookup` first.
pub fn within_tolerance(
    tolerance: &Value,
    output: &Value,
    lookup: &dyn Lookup,
) -> Result<Check, ToleranceError> {
    let tolerance = match tolerance {
        Value::String(s) => substitute_str(s, lookup),
        other => other.clone(),
    };
    Ok(Check::Done(match &tolerance {
        Value::Bool(_) => py_eq(output, &tolerance),
        Value::Number(_) => match status_of(output) {
            Some(status) => py_eq(status, &tolerance),
            None => py_eq(output, &tolerance),
        },
        Value::String(_) => py_eq(output, &tolerance),
        Value::Array(items) => list_tolerance(items, output)?,
        Value::Object(m) => return mapping_tolerance(m, output, lookup),
        Value::Null => false,
    }))
}

fn status_of(output: &Value) -> Option<&Value> {
    output.as_object().and_then(|m| m.get("status"))
}

fn list_tolerance(items: &[Value], output: &Value) -> Result<bool, ToleranceError> {
    if let Some(status) = status_of(output) {
        return Ok(items.iter().any(|i| py_eq(i, status)));
    }
    if items.len() == 2 {
        // Python's chained `lo <= output <= hi` stops at the first false.
        let within = py_le(&items[0], output).map_err(|e| ToleranceError(e.0))?
            && py_le(output, &items[1]).map_err(|e| ToleranceError(e.0))?;
        return Ok(within);
    }
    Ok(items.iter().any(|i| py_eq(i, output)))
}

/// `output.get(target, output)`: a missing key falls back to the whole
/// output; a non-mapping output is where the reference raises.
fn targeted<'a>(m: &Map<String, Value>, output: &'a Value) -> Result<&'a Value, ToleranceError> {
    match m.get("target") {
        None | Some(Value::Null) => Ok(output),
        Some(target) => {
            let Value::Object(out) = output else {
                return Err(ToleranceError(format!(
                    "tolerance target {} cannot apply to a value that is not a mapping ({})",
                    chaos_pyvalue::py_repr(target),
                    chaos_pyvalue::py_repr(output)
                )));
            };
            let key = chaos_pyvalue::py_str(target);
            Ok(out.get(&key).unwrap_or(output))
        }
    }
}

fn mapping_tolerance(
    m: &Map<String, Value>,
    output: &Value,
    lookup: &dyn Lookup,
) -> Result<Check, ToleranceError> {
    let kind = m.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "regex" => {
            let pattern = substitute(m.get("pattern").unwrap_or(&Value::Null), lookup);
            let Value::String(pattern) = pattern else {
                return Err(ToleranceError(
                    "regex tolerance pattern is not a string".into(),
                ));
            };
            let value = targeted(m, output)?;
            let Value::String(text) = value else {
                return Err(ToleranceError(format!(
                    "expected string or bytes-like object, got '{}' (add `target: stdout` or `target: body`)",
                    type_name(value)
                )));
            };
            let re = crate::pyre::compile(&pattern).map_err(ToleranceError)?;
            Ok(Check::Done(re.is_match(text).unwrap_or(false)))
        }
        "jsonpath" => {
            let path = substitute(m.get("path").unwrap_or(&Value::Null), lookup);
            let path = chaos_pyvalue::py_str(&path);
            let jp = JsonPath::parse(&path)
                .map_err(|e| ToleranceError(format!("JSON path {path} is invalid: {e}")))?;
            let mut value = targeted(m, output)?.clone();
            if let Value::String(s) = &value {
                if let Ok(parsed) = serde_json::from_str::<Value>(s) {
                    value = parsed;
                }
            }
            let values = jp.try_find(&value).map_err(|e| {
                ToleranceError(format!("JSON path {path} could not be evaluated: {e}"))
            })?;
            let mut result = !values.is_empty();
            if let Some(count) = m.get("count") {
                result = py_eq(&Value::from(values.len()), count);
            }
            if let Some(expect) = m.get("expect") {
                let expect = substitute(expect, lookup);
                result = match &expect {
                    Value::Array(list) => {
                        values.len() == list.len()
                            && values.iter().zip(list).all(|(a, b)| py_eq(a, b))
                    }
                    single => values.len() == 1 && py_eq(&values[0], single),
                };
            }
            Ok(Check::Done(result))
        }
        "range" => {
            let value = targeted(m, output)?;
            let range = m
                .get("range")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if range.len() != 2 {
                return Err(ToleranceError(
                    "hypothesis range sequence must be made of two values".into(),
                ));
            }
            chaos_pyvalue::decimal_in_range(value, &range[0], &range[1])
                .map(Check::Done)
                .map_err(|e| ToleranceError(e.0))
        }
        "probe" => {
            let mut probe = m.clone();
            let provider = probe.get_mut("provider").and_then(Value::as_object_mut);
            let Some(provider) = provider else {
                return Err(ToleranceError("a probe tolerance needs a provider".into()));
            };
            let Some(Value::Object(arguments)) = provider.get_mut("arguments") else {
                return Err(ToleranceError(
                    "a probe tolerance's provider needs an `arguments` mapping to receive `value` (KeyError: 'arguments')".into(),
                ));
            };
            arguments.insert("value".into(), output.clone());
            Ok(Check::Probe(probe))
        }
        _ => Ok(Check::Done(false)),
    }
}

/// Python's type name, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// The truthiness of a tolerance probe's result.
pub fn probe_result_met(result: &Value) -> bool {
    py_truthy(result)
}
