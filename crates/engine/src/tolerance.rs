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
                    chaos_pyvalue::py_type_name(value)
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

/// The truthiness of a tolerance probe's result.
pub fn probe_result_met(result: &Value) -> bool {
    py_truthy(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn met(tolerance: Value, output: Value) -> Result<bool, ToleranceError> {
        let config = json!({"expected": 3, "pattern_word": "healthy", "codes": [200, 204]});
        match within_tolerance(&tolerance, &output, config.as_object().unwrap())? {
            Check::Done(b) => Ok(b),
            Check::Probe(_) => panic!("not a probe tolerance"),
        }
    }

    fn http(status: u16, body: Value) -> Value {
        json!({"status": status, "headers": {}, "body": body})
    }

    fn process(status: i64, stdout: &str) -> Value {
        json!({"status": status, "stdout": stdout, "stderr": ""})
    }

    #[test]
    fn bool_tolerances_use_python_equality_and_never_unwrap() {
        assert!(met(json!(true), json!(true)).unwrap());
        assert!(met(json!(true), json!(1)).unwrap());
        assert!(met(json!(false), json!(0)).unwrap());
        assert!(!met(json!(true), json!("true")).unwrap());
        assert!(!met(json!(true), http(200, json!(true))).unwrap());
    }

    #[test]
    fn int_tolerances_compare_with_status_or_the_value() {
        assert!(met(json!(200), http(200, json!("ok"))).unwrap());
        assert!(!met(json!(200), http(500, json!("ok"))).unwrap());
        assert!(met(json!(0), process(0, "")).unwrap());
        assert!(met(json!(1), json!(1.0)).unwrap());
        assert!(met(json!(1), json!(true)).unwrap());
        assert!(!met(json!(3), json!("3")).unwrap());
    }

    #[test]
    fn string_tolerances_are_exact_and_substituted() {
        assert!(met(json!("ok"), json!("ok")).unwrap());
        assert!(!met(json!("ok"), http(200, json!("ok"))).unwrap());
        assert!(
            met(json!("${expected}"), json!(3)).unwrap(),
            "a whole placeholder keeps its type"
        );
        assert!(!met(json!("3"), json!(3)).unwrap());
    }

    #[test]
    fn lists_are_membership_on_status_and_ranges_of_two_on_values() {
        assert!(met(json!([200, 503]), http(503, json!(""))).unwrap());
        assert!(
            !met(json!([200, 204]), http(201, json!(""))).unwrap(),
            "membership, not a range, for a status"
        );
        assert!(met(json!([1, 2]), json!(1.5)).unwrap());
        assert!(met(json!(["a", "c"]), json!("b")).unwrap());
        assert!(met(json!([0, 1]), json!(true)).unwrap());
        assert!(met(json!([1]), json!(1)).unwrap());
        assert!(met(json!([1, 2, 3]), json!(3)).unwrap());
        assert!(!met(json!([]), json!(1)).unwrap());
        assert!(!met(json!([1, 2, 3]), json!({"status": 5})).unwrap());
        assert!(
            met(json!([1, 2]), Value::Null).is_err(),
            "Python raises on None <= int"
        );
        assert!(
            !met(json!([5, "z"]), json!(3)).unwrap(),
            "the chained comparison stops at the first false"
        );
        assert!(met(json!("${codes}"), http(204, json!(""))).unwrap());
    }

    #[test]
    fn regex_tolerances_search_the_target() {
        let t = json!({"type": "regex", "pattern": "${pattern_word}", "target": "stdout"});
        assert!(met(t.clone(), process(0, "service web is healthy\n")).unwrap());
        assert!(!met(t, process(0, "down\n")).unwrap());
        let anchored = json!({"type": "regex", "pattern": "^ok$", "target": "body"});
        assert!(
            met(anchored, http(200, json!("ok\n"))).unwrap(),
            "Python's $ matches before a final newline"
        );
        let no_target = json!({"type": "regex", "pattern": "ok"});
        assert!(
            met(no_target, http(200, json!("ok"))).is_err(),
            "a dict is not a string: the reference raises"
        );
        let bad_target = json!({"type": "regex", "pattern": "x", "target": "stdout"});
        assert!(met(bad_target, json!("xab")).is_err());
    }

    #[test]
    fn jsonpath_tolerances_compare_the_whole_match_list() {
        let body = json!({"a": [1, 1], "items": [{"healthy": true}, {"healthy": false}]});
        assert!(!met(
            json!({"type": "jsonpath", "path": "$.a[*]", "expect": 1}),
            body.clone()
        )
        .unwrap());
        assert!(met(
            json!({"type": "jsonpath", "path": "$.a[*]", "expect": [1, 1]}),
            body.clone()
        )
        .unwrap());
        assert!(!met(
            json!({"type": "jsonpath", "path": "$.a", "expect": [1, 1]}),
            body.clone()
        )
        .unwrap());
        assert!(met(
            json!({"type": "jsonpath", "path": "$.items[*][?(@.healthy = true)]"}),
            body.clone()
        )
        .unwrap());
        assert!(met(
            json!({"type": "jsonpath", "path": "$.items[*]", "count": 2}),
            body.clone()
        )
        .unwrap());
        assert!(met(
            json!({"type": "jsonpath", "path": "$.nope", "expect": []}),
            body
        )
        .unwrap());
        let text_body = http(200, json!("{\"a\": 3}"));
        assert!(met(
            json!({"type": "jsonpath", "path": "$.a", "expect": 3, "target": "body"}),
            text_body.clone()
        )
        .unwrap());
        assert!(!met(
            json!({"type": "jsonpath", "path": "$.a", "expect": 3}),
            text_body
        )
        .unwrap());
        assert!(met(
            json!({"type": "jsonpath", "path": "$.a", "expect": "${expected}"}),
            json!({"a": 3})
        )
        .unwrap());
    }

    #[test]
    fn range_tolerances_use_decimal_rules() {
        let r = json!({"type": "range", "range": [1, 5]});
        assert!(met(r.clone(), json!("3")).unwrap());
        assert!(met(r.clone(), json!(true)).unwrap());
        assert!(!met(r.clone(), json!("abc")).unwrap());
        assert!(met(r.clone(), Value::Null).is_err());
        assert!(met(r, json!({"status": 3})).is_err());
        let on_status = json!({"type": "range", "range": [200, 299], "target": "status"});
        assert!(met(on_status, http(204, json!(""))).unwrap());
        let on_body = json!({"type": "range", "range": [40, 50.5], "target": "body"});
        assert!(met(on_body, http(200, json!("42.5"))).unwrap());
    }

    #[test]
    fn probe_tolerances_get_the_value_in_their_arguments() {
        let t = json!({"type": "probe", "name": "check", "provider": {"type": "process", "path": "true", "arguments": {}}});
        let output = json!({"status": 0});
        match within_tolerance(&t, &output, &Map::new()).unwrap() {
            Check::Probe(p) => assert_eq!(p["provider"]["arguments"]["value"], output),
            Check::Done(_) => panic!("a probe tolerance runs a probe"),
        }
        let no_arguments = json!({"type": "probe", "name": "check", "provider": {"type": "process", "path": "true"}});
        assert!(
            within_tolerance(&no_arguments, &output, &Map::new()).is_err(),
            "the reference raises KeyError"
        );
    }

    #[test]
    fn unknown_mapping_types_are_not_met() {
        assert!(!met(json!({"type": "xpath"}), json!(1)).unwrap());
    }
}
