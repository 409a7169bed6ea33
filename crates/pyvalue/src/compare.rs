//! Python equality, ordering and truthiness.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use crate::TypeError;

/// Python's name for the type of `v`: `NoneType`, `bool`, `int`, `float`,
/// `str`, `list` or `dict` (as in `'<=' not supported between instances of
/// 'str' and 'int'`).
pub fn py_type_name(v: &Value) -> &'static str {
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

/// A Python number: `bool` counts as the int 0 or 1.
#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i128),
    Float(f64),
}

fn number(n: &Number) -> Num {
    if n.is_f64() {
        return Num::Float(n.as_f64().unwrap_or(f64::NAN));
    }
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => Num::Int(i.into()),
        (None, Some(u)) => Num::Int(u.into()),
        // Unreachable without serde_json's arbitrary_precision.
        (None, None) => Num::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

fn as_num(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::Int((*b).into())),
        Value::Number(n) => Some(number(n)),
        _ => None,
    }
}

/// Exact comparison of an int with a float, as CPython does (no rounding of
/// the int to a float). `None` when the float is NaN.
fn int_float_cmp(i: i128, f: f64) -> Option<Ordering> {
    // 2^127: every float at or beyond it is outside i128's range.
    const TWO_127: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_127 {
        return Some(Ordering::Less);
    }
    if f < -TWO_127 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // Exact: `whole` is an integer within i128's range.
    let whole_int = whole as i128;
    Some(match i.cmp(&whole_int) {
        Ordering::Equal => {
            let frac = f - whole;
            if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        other => other,
    })
}

fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(&y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(&y),
        (Num::Int(x), Num::Float(y)) => int_float_cmp(x, y),
        (Num::Float(x), Num::Int(y)) => int_float_cmp(y, x).map(Ordering::reverse),
    }
}

/// Python `a == b` for JSON-shaped values.
///
/// Numbers and booleans are all numbers here and compare by exact value
/// (`1 == 1.0 == True`, `0 == False`, `2**53 + 1 != 2.0**53`). Strings equal
/// only strings; lists compare element-wise; dicts need the same keys with
/// equal values (key order is irrelevant). Values of different types are
/// unequal, never an error.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| py_eq(p, q)))
        }
        _ => match (as_num(a), as_num(b)) {
            (Some(x), Some(y)) => num_cmp(x, y) == Some(Ordering::Equal),
            _ => false,
        },
    }
}

/// Python `a != b`.
pub fn py_ne(a: &Value, b: &Value) -> bool {
    !py_eq(a, b)
}

/// Python `needle in haystack` for a list: is any element [`py_eq`] to it.
pub fn py_contains(haystack: &[Value], needle: &Value) -> bool {
    haystack.iter().any(|item| py_eq(needle, item))
}

/// The ordering Python's rich comparison `op` sees between `a` and `b`.
///
/// `Ok(None)` when the values are unordered (a float NaN is involved);
/// `Err` where Python raises, with the message it would give for `op`.
/// Lists compare lexicographically: the first pair of elements that are not
/// [`py_eq`] decides (and may raise), else the shorter list is smaller.
pub fn py_partial_cmp(a: &Value, b: &Value, op: &str) -> Result<Option<Ordering>, TypeError> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            // UTF-8 byte order is code point order.
            Ok(Some(x.as_str().cmp(y.as_str())))
        }
        (Value::Array(x), Value::Array(y)) => match x.iter().zip(y).find(|(p, q)| !py_eq(p, q)) {
            Some((p, q)) => py_partial_cmp(p, q, op),
            None => Ok(Some(x.len().cmp(&y.len()))),
        },
        _ => match (as_num(a), as_num(b)) {
            (Some(x), Some(y)) => Ok(num_cmp(x, y)),
            _ => Err(not_supported(op, a, b)),
        },
    }
}

fn not_supported(op: &str, a: &Value, b: &Value) -> TypeError {
    TypeError(format!(
        "'{op}' not supported between instances of '{}' and '{}'",
        py_type_name(a),
        py_type_name(b)
    ))
}

/// Python ordering (`<`, `<=`, ...) between two values.
///
/// `Err` where Python raises `TypeError` (e.g. `1 < "a"`, `None < 1`,
/// `{} < {}`); the message is the one Python gives for `<=`:
/// `'<=' not supported between instances of 'int' and 'str'`. Use
/// [`py_lt`], [`py_le`], [`py_gt`] or [`py_ge`] for another operator's
/// message. Numbers (bool included) compare exactly across int and float,
/// strings by code point, lists lexicographically.
///
/// A float NaN (which `serde_json` values cannot hold) is unordered: this
/// function reports it as an `Err`, while the `py_lt`-family answers
/// `false` as Python does.
pub fn py_cmp(a: &Value, b: &Value) -> Result<Ordering, TypeError> {
    py_partial_cmp(a, b, "<=")?.ok_or_else(|| TypeError("NaN is unordered".to_string()))
}

/// Python `a < b`.
pub fn py_lt(a: &Value, b: &Value) -> Result<bool, TypeError> {
    Ok(py_partial_cmp(a, b, "<")? == Some(Ordering::Less))
}

/// Python `a <= b`.
pub fn py_le(a: &Value, b: &Value) -> Result<bool, TypeError> {
    Ok(matches!(
        py_partial_cmp(a, b, "<=")?,
        Some(Ordering::Less | Ordering::Equal)
    ))
}

/// Python `a > b`.
pub fn py_gt(a: &Value, b: &Value) -> Result<bool, TypeError> {
    Ok(py_partial_cmp(a, b, ">")? == Some(Ordering::Greater))
}

/// Python `a >= b`.
pub fn py_ge(a: &Value, b: &Value) -> Result<bool, TypeError> {
    Ok(matches!(
        py_partial_cmp(a, b, ">=")?,
        Some(Ordering::Greater | Ordering::Equal)
    ))
}

/// Python truthiness (`bool(v)`): `None`, `False`, `0`, `0.0`, `""`, `[]`
/// and `{}` are false, everything else is true.
pub fn py_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => match number(n) {
            Num::Int(i) => i != 0,
            Num::Float(f) => f != 0.0,
        },
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eq(a: Value, b: Value) -> bool {
        let forward = py_eq(&a, &b);
        assert_eq!(forward, py_eq(&b, &a), "py_eq must be symmetric");
        forward
    }

    #[test]
    fn numbers_and_bools_are_equal_by_value() {
        assert!(eq(json!(1), json!(1.0)));
        assert!(eq(json!(1), json!(true)));
        assert!(eq(json!(1.0), json!(true)));
        assert!(eq(json!(0), json!(false)));
        assert!(eq(json!(0.0), json!(false)));
        assert!(eq(json!(-0.0), json!(0)));
        assert!(eq(json!(true), json!(true)));
        assert!(!eq(json!(true), json!(false)));
        assert!(!eq(json!(2), json!(true)));
        assert!(!eq(json!(1), json!(1.5)));
        assert!(eq(json!(u64::MAX), json!(u64::MAX)));
        assert!(!eq(json!(-1), json!(u64::MAX)));
    }

    #[test]
    fn large_ints_compare_exactly_with_floats() {
        let two53 = 9_007_199_254_740_992_i64;
        assert!(eq(json!(two53), json!(9_007_199_254_740_992.0)));
        // 2**53 + 1 rounds to 2.0**53 as a float but is not equal to it.
        assert!(!eq(json!(two53 + 1), json!(9_007_199_254_740_992.0)));
        assert!(eq(
            json!(u64::MAX - 2047),
            json!(18_446_744_073_709_549_568.0)
        ));
        assert!(!eq(json!(u64::MAX), json!(18_446_744_073_709_551_616.0)));
        assert!(eq(json!(i64::MIN), json!(-9_223_372_036_854_775_808.0)));
        assert_eq!(
            py_cmp(&json!(two53 + 1), &json!(9_007_199_254_740_992.0)),
            Ok(Ordering::Greater)
        );
        assert_eq!(
            py_cmp(&json!(u64::MAX), &json!(18_446_744_073_709_551_616.0)),
            Ok(Ordering::Less)
        );
        assert_eq!(
            py_cmp(&json!(1e300), &json!(u64::MAX)),
            Ok(Ordering::Greater)
        );
        assert_eq!(py_cmp(&json!(-1e300), &json!(i64::MIN)), Ok(Ordering::Less));
        assert_eq!(py_cmp(&json!(-2), &json!(-1.5)), Ok(Ordering::Less));
        assert_eq!(py_cmp(&json!(-1), &json!(-1.5)), Ok(Ordering::Greater));
        assert_eq!(py_cmp(&json!(1.5), &json!(1)), Ok(Ordering::Greater));
    }

    #[test]
    fn strings_only_equal_strings() {
        assert!(eq(json!("a"), json!("a")));
        assert!(!eq(json!("a"), json!("b")));
        assert!(!eq(json!("3"), json!(3)));
        assert!(!eq(json!("true"), json!(true)));
        assert!(!eq(json!(""), json!(null)));
        assert!(!eq(json!(""), json!(false)));
        assert!(!eq(json!(0), json!(null)));
        assert!(eq(json!(null), json!(null)));
        assert!(!eq(json!([]), json!({})));
        assert!(!eq(json!([]), json!(null)));
    }

    #[test]
    fn containers_compare_structurally() {
        assert!(eq(json!([1, 2]), json!([true, 2.0])));
        assert!(eq(json!([1, [true, "x"]]), json!([1.0, [1, "x"]])));
        assert!(!eq(json!([1, 2]), json!([2, 1])));
        assert!(!eq(json!([1]), json!([1, 1])));
        assert!(!eq(json!([1]), json!(1)));
        assert!(eq(
            json!({"a": 1, "b": [true]}),
            json!({"b": [1.0], "a": true})
        ));
        assert!(!eq(json!({"a": 1}), json!({"a": 1, "b": 2})));
        assert!(!eq(json!({"a": 1}), json!({"b": 1})));
        assert!(!eq(json!({"a": 1}), json!({"a": "1"})));
        assert!(eq(json!({}), json!({})));
        assert!(eq(json!([]), json!([])));
    }

    #[test]
    fn spec_4_6_equality_examples() {
        // True vs 1, 1 vs True, True vs "true"
        assert!(py_eq(&json!(1), &json!(true)));
        assert!(py_eq(&json!(true), &json!(1)));
        assert!(!py_eq(&json!("true"), &json!(true)));
        // True vs {"status": True}: a bool tolerance is never unwrapped.
        assert!(!py_eq(&json!({"status": true}), &json!(true)));
        // 1 vs {"status": 1, ...}: the int tolerance compares `status`.
        assert!(py_eq(
            &json!({"status": 1, "stdout": ""})["status"],
            &json!(1)
        ));
        // "3" vs 3
        assert!(!py_eq(&json!(3), &json!("3")));
        // [1] vs 1, [] vs 1: membership
        assert!(py_contains(&[json!(1)], &json!(1)));
        assert!(!py_contains(&[], &json!(1)));
        // [1,2,3] vs {"status": 5}: membership of the status
        assert!(!py_contains(&[json!(1), json!(2), json!(3)], &json!(5)));
        assert!(py_contains(&[json!(1), json!(2), json!(3)], &json!(3.0)));
        assert!(py_contains(&[json!(0), json!("x")], &json!(false)));
        // jsonpath: values == [expect]
        assert!(!py_eq(&json!([1, 1]), &json!([1])));
        assert!(py_eq(&json!([1, 1]), &json!([1, 1])));
        assert!(!py_eq(&json!([[1, 1]]), &json!([1, 1])));
    }

    #[test]
    fn spec_4_6_range_examples() {
        // [1,2] vs 1.5 → true
        assert!(py_le(&json!(1), &json!(1.5)).unwrap() && py_le(&json!(1.5), &json!(2)).unwrap());
        // ["a","c"] vs "b" → true
        assert!(
            py_le(&json!("a"), &json!("b")).unwrap() && py_le(&json!("b"), &json!("c")).unwrap()
        );
        // [1,2] vs None → crash
        assert_eq!(
            py_le(&json!(1), &json!(null)),
            Err(TypeError(
                "'<=' not supported between instances of 'int' and 'NoneType'".into()
            ))
        );
        // Inclusive bounds, bools are ints.
        assert!(py_le(&json!(1), &json!(true)).unwrap());
        assert!(py_le(&json!(true), &json!(1.0)).unwrap());
        assert!(!py_le(&json!(2.5), &json!(2)).unwrap());
    }

    #[test]
    fn ordering_errors_use_python_type_names() {
        let cases = [
            (
                json!("a"),
                json!(1),
                "'<=' not supported between instances of 'str' and 'int'",
            ),
            (
                json!(1),
                json!("a"),
                "'<=' not supported between instances of 'int' and 'str'",
            ),
            (
                json!(null),
                json!(null),
                "'<=' not supported between instances of 'NoneType' and 'NoneType'",
            ),
            (
                json!({}),
                json!({}),
                "'<=' not supported between instances of 'dict' and 'dict'",
            ),
            (
                json!(true),
                json!("a"),
                "'<=' not supported between instances of 'bool' and 'str'",
            ),
            (
                json!(1.5),
                json!([1]),
                "'<=' not supported between instances of 'float' and 'list'",
            ),
            (
                json!([1]),
                json!(1),
                "'<=' not supported between instances of 'list' and 'int'",
            ),
            // Lists: the first unequal pair decides, and may raise.
            (
                json!([1]),
                json!(["a"]),
                "'<=' not supported between instances of 'int' and 'str'",
            ),
            (json!([1, {}]), json!([1, {}]), "__no_error__"),
            (
                json!([{"a": 1}]),
                json!([{"a": 2}]),
                "'<=' not supported between instances of 'dict' and 'dict'",
            ),
        ];
        for (a, b, message) in cases {
            match py_cmp(&a, &b) {
                Ok(ord) => assert_eq!(message, "__no_error__", "{a} vs {b}: got {ord:?}"),
                Err(e) => assert_eq!(e.0, message, "{a} vs {b}"),
            }
        }
        assert_eq!(
            py_lt(&json!(1.5), &json!(null)).unwrap_err().0,
            "'<' not supported between instances of 'float' and 'NoneType'"
        );
        assert_eq!(
            py_ge(&json!("x"), &json!(1)).unwrap_err().0,
            "'>=' not supported between instances of 'str' and 'int'"
        );
        assert_eq!(
            py_gt(&json!("x"), &json!(false)).unwrap_err().0,
            "'>' not supported between instances of 'str' and 'bool'"
        );
    }

    #[test]
    fn strings_order_by_code_point() {
        assert_eq!(py_cmp(&json!("a"), &json!("b")), Ok(Ordering::Less));
        assert_eq!(py_cmp(&json!("B"), &json!("a")), Ok(Ordering::Less));
        assert_eq!(py_cmp(&json!("ab"), &json!("a")), Ok(Ordering::Greater));
        assert_eq!(py_cmp(&json!(""), &json!("")), Ok(Ordering::Equal));
        assert_eq!(py_cmp(&json!("10"), &json!("9")), Ok(Ordering::Less));
        // U+FF5E (3 bytes) sorts before U+1F600 (4 bytes), as by code point.
        assert_eq!(
            py_cmp(&json!("\u{ff5e}"), &json!("\u{1f600}")),
            Ok(Ordering::Less)
        );
        assert_eq!(py_cmp(&json!("\u{e9}"), &json!("z")), Ok(Ordering::Greater));
    }

    #[test]
    fn lists_order_lexicographically() {
        assert_eq!(py_cmp(&json!([1, 2]), &json!([1, 3])), Ok(Ordering::Less));
        assert_eq!(py_cmp(&json!([1, 2]), &json!([1])), Ok(Ordering::Greater));
        assert_eq!(py_cmp(&json!([]), &json!([0])), Ok(Ordering::Less));
        assert_eq!(
            py_cmp(&json!([1, "a"]), &json!([1.0, "a"])),
            Ok(Ordering::Equal)
        );
        assert_eq!(py_cmp(&json!([2]), &json!([1, "z"])), Ok(Ordering::Greater));
        // Equal prefixes never compare their mismatching types...
        assert_eq!(
            py_cmp(&json!([null]), &json!([null, 1])),
            Ok(Ordering::Less)
        );
        // ...and a decided pair stops the scan before later ones.
        assert_eq!(
            py_cmp(&json!([1, null]), &json!([2, "a"])),
            Ok(Ordering::Less)
        );
        assert_eq!(
            py_cmp(&json!([[1, 2], 0]), &json!([[1, 3], 0])),
            Ok(Ordering::Less)
        );
        assert!(py_le(&json!([1, 2]), &json!([1, 2])).unwrap());
        assert!(!py_lt(&json!([1, 2]), &json!([1, 2])).unwrap());
        assert!(py_ge(&json!([1, 2]), &json!([1, 2])).unwrap());
        assert!(py_gt(&json!(["b"]), &json!(["a", "z"])).unwrap());
    }

    #[test]
    fn operator_helpers() {
        assert!(py_lt(&json!(1), &json!(2)).unwrap());
        assert!(!py_lt(&json!(2), &json!(2.0)).unwrap());
        assert!(py_le(&json!(2), &json!(2.0)).unwrap());
        assert!(py_gt(&json!(3), &json!(true)).unwrap());
        assert!(py_ge(&json!(false), &json!(0)).unwrap());
        assert!(!py_ge(&json!(false), &json!(0.5)).unwrap());
        assert!(py_ne(&json!(1), &json!("1")));
    }

    #[test]
    fn nan_is_unordered() {
        assert_eq!(num_cmp(Num::Float(f64::NAN), Num::Int(1)), None);
        assert_eq!(num_cmp(Num::Int(1), Num::Float(f64::NAN)), None);
        assert_eq!(num_cmp(Num::Float(f64::NAN), Num::Float(f64::NAN)), None);
        assert_eq!(int_float_cmp(5, f64::INFINITY), Some(Ordering::Less));
        assert_eq!(int_float_cmp(5, f64::NEG_INFINITY), Some(Ordering::Greater));
    }

    #[test]
    fn truthiness() {
        for falsy in [
            json!(null),
            json!(false),
            json!(0),
            json!(0.0),
            json!(-0.0),
            json!(""),
            json!([]),
            json!({}),
        ] {
            assert!(!py_truthy(&falsy), "{falsy}");
        }
        for truthy in [
            json!(true),
            json!(1),
            json!(-1),
            json!(0.1),
            json!("0"),
            json!("False"),
            json!(" "),
            json!([0]),
            json!({"": null}),
            json!(u64::MAX),
        ] {
            assert!(py_truthy(&truthy), "{truthy}");
        }
    }

    #[test]
    fn type_names() {
        assert_eq!(py_type_name(&json!(null)), "NoneType");
        assert_eq!(py_type_name(&json!(true)), "bool");
        assert_eq!(py_type_name(&json!(1)), "int");
        assert_eq!(py_type_name(&json!(u64::MAX)), "int");
        assert_eq!(py_type_name(&json!(1.0)), "float");
        assert_eq!(py_type_name(&json!("")), "str");
        assert_eq!(py_type_name(&json!([])), "list");
        assert_eq!(py_type_name(&json!({})), "dict");
    }
}
