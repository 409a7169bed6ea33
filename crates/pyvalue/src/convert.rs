//! chaostoolkit-lib's `convert_to_type` (`env_var_type`, `--var name:type`).

use serde_json::Value;

use crate::compare::py_type_name;
use crate::format::{float_repr, py_repr_str};
use crate::text::{is_ascii_c_space, transform_decimal_and_space};
use crate::ConvertError;

/// Converts a value by a type name, as `env_var_type` and `--var name:type`
/// do: `str`/`string`, `int`/`integer`, `float`/`number`, `bytes`, `bool`,
/// `json`; `None` leaves the value unchanged.
///
/// Python's `convert_to_type`, for a value that is normally a string:
/// - `None`, `str`, `string`: the value unchanged (no `str()` applied);
/// - `int`, `integer`: Python `int(value)`: a string follows `int()`'s
///   grammar (surrounding whitespace, one sign, `_` between digits, Unicode
///   decimal digits: `" -1_000 "` is -1000) and fails with
///   `invalid literal for int() with base 10: '1.5'`; an int passes, a
///   bool becomes 0 or 1, a float is truncated toward zero;
/// - `float`, `number`: Python `float(value)` (`"1e3"`, `" .5 "`,
///   `"1_0.5"`), failing with `could not convert string to float: 'abc'`;
/// - `bytes`: the string itself (JSON has no bytes; Python would hold the
///   UTF-8 encoding);
/// - `bool`: a bool passes through; a string is false iff its lower-case
///   form is `false`, `0` or `no` (so `""` and `"off"` are true);
/// - `json`: `""` and null are returned as they are, another string is
///   parsed as JSON (the error is `serde_json`'s message), any other value
///   passes through;
/// - any other name: `variable type can only be: bool, str, int, float,
///   bytes or json`.
///
/// Where Python's result has no JSON form the conversion fails instead: an
/// int outside `-2**63 ..= 2**64 - 1`, and an infinite or NaN float
/// (`float("inf")`, `float("1e400")`).
pub fn convert(value: &Value, ty: Option<&str>) -> Result<Value, ConvertError> {
    match ty {
        None | Some("str" | "string") => Ok(value.clone()),
        Some("int" | "integer") => py_int(value),
        Some("float" | "number") => py_float(value),
        Some("bytes") => match value {
            Value::String(_) => Ok(value.clone()),
            other => Err(no_attribute(other, "encode")),
        },
        Some("bool") => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(s) => Ok(Value::Bool(!matches!(
                s.to_lowercase().as_str(),
                "false" | "0" | "no"
            ))),
            other => Err(no_attribute(other, "lower")),
        },
        Some("json") => match value {
            Value::String(s) if s.is_empty() => Ok(value.clone()),
            Value::String(s) => serde_json::from_str(s).map_err(|e| ConvertError(e.to_string())),
            other => Ok(other.clone()),
        },
        Some(_) => Err(ConvertError(
            "variable type can only be: bool, str, int, float, bytes or json".to_string(),
        )),
    }
}

fn no_attribute(value: &Value, attribute: &str) -> ConvertError {
    ConvertError(format!(
        "'{}' object has no attribute '{attribute}'",
        py_type_name(value)
    ))
}

/// Python `int(value)`.
fn py_int(value: &Value) -> Result<Value, ConvertError> {
    match value {
        Value::Bool(b) => Ok(Value::from(u8::from(*b))),
        Value::Number(n) if !n.is_f64() => Ok(value.clone()),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.is_nan() {
                return Err(ConvertError("cannot convert float NaN to integer".into()));
            }
            if f.is_infinite() {
                return Err(ConvertError(
                    "cannot convert float infinity to integer".into(),
                ));
            }
            let t = f.trunc();
            // Both bounds are exact powers of two.
            if (-9_223_372_036_854_775_808.0..18_446_744_073_709_551_616.0).contains(&t) {
                Ok(int_value(t < 0.0, t.abs() as u128).unwrap_or(Value::Null))
            } else {
                Err(ConvertError(format!(
                    "int value {} is out of the supported range",
                    float_repr(t)
                )))
            }
        }
        Value::String(s) => parse_int(s),
        other => Err(ConvertError(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            py_type_name(other)
        ))),
    }
}

/// A JSON integer from a sign and magnitude, if it fits `i64`/`u64`.
fn int_value(neg: bool, magnitude: u128) -> Option<Value> {
    if neg {
        let i = i64::try_from(-i128::try_from(magnitude).ok()?).ok()?;
        Some(Value::from(i))
    } else {
        Some(Value::from(u64::try_from(magnitude).ok()?))
    }
}

/// Python `int(s)` with base 10.
fn parse_int(s: &str) -> Result<Value, ConvertError> {
    let invalid = || {
        ConvertError(format!(
            "invalid literal for int() with base 10: {}",
            py_repr_str(s)
        ))
    };
    let text = transform_decimal_and_space(s);
    let text = text.trim_matches(is_ascii_c_space);
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if !valid_digit_part(digits) {
        return Err(invalid());
    }
    let mut magnitude: u128 = 0;
    for b in digits.bytes().filter(|&b| b != b'_') {
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u128::from(b - b'0')))
            .ok_or_else(|| out_of_range(s))?;
    }
    int_value(neg, magnitude).ok_or_else(|| out_of_range(s))
}

fn out_of_range(s: &str) -> ConvertError {
    ConvertError(format!(
        "int value {} is out of the supported range",
        py_repr_str(s.trim())
    ))
}

/// `digit (["_"] digit)*` over ASCII digits.
fn valid_digit_part(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.iter().enumerate().all(|(i, &b)| {
            b.is_ascii_digit()
                || (b == b'_'
                    && i > 0
                    && bytes[i - 1].is_ascii_digit()
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        })
}

/// Python `float(value)`.
fn py_float(value: &Value) -> Result<Value, ConvertError> {
    let f = match value {
        Value::Bool(b) => f64::from(u8::from(*b)),
        // Rounds to nearest, ties to even, like Python's int -> float.
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => parse_float(s).ok_or_else(|| {
            ConvertError(format!(
                "could not convert string to float: {}",
                py_repr_str(s)
            ))
        })?,
        other => {
            return Err(ConvertError(format!(
                "float() argument must be a string or a real number, not '{}'",
                py_type_name(other)
            )))
        }
    };
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| {
            ConvertError(format!(
                "float value {} cannot be represented in JSON",
                float_repr(f)
            ))
        })
}

/// Python `float(s)`: `[sign] (inf | infinity | nan | number [exponent])`,
/// case-insensitive words, `_` only between digits.
fn parse_float(s: &str) -> Option<f64> {
    let text = transform_decimal_and_space(s);
    let text = text.trim_matches(is_ascii_c_space);
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = body.to_ascii_lowercase();
    if !matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let mantissa_ok = match mantissa.split_once('.') {
            Some(("", frac)) => valid_digit_part(frac),
            Some((int, "")) => valid_digit_part(int),
            Some((int, frac)) => valid_digit_part(int) && valid_digit_part(frac),
            None => valid_digit_part(mantissa),
        };
        let exponent_ok = match exponent {
            None => true,
            Some(e) => valid_digit_part(e.strip_prefix(['+', '-']).unwrap_or(e)),
        };
        if !(mantissa_ok && exponent_ok) {
            return None;
        }
    }
    // Rust's parser accepts every form validated above, correctly rounded.
    text.replace('_', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conv(v: Value, ty: &str) -> Result<Value, String> {
        convert(&v, Some(ty)).map_err(|e| e.0)
    }

    #[test]
    fn unchanged() {
        for v in [
            json!("x"),
            json!(5),
            json!(null),
            json!([1]),
            json!({"a": 1}),
        ] {
            assert_eq!(convert(&v, None), Ok(v.clone()));
            assert_eq!(conv(v.clone(), "str"), Ok(v.clone()));
            assert_eq!(conv(v.clone(), "string"), Ok(v));
        }
    }

    #[test]
    fn unknown_type() {
        let message = "variable type can only be: bool, str, int, float, bytes or json";
        for ty in ["list", "Int", "", "double", "STR"] {
            assert_eq!(conv(json!("1"), ty), Err(message.into()), "{ty}");
        }
    }

    #[test]
    fn int_from_strings() {
        assert_eq!(conv(json!("5"), "int"), Ok(json!(5)));
        assert_eq!(conv(json!("5"), "integer"), Ok(json!(5)));
        assert_eq!(conv(json!(" -42\n"), "int"), Ok(json!(-42)));
        assert_eq!(conv(json!("+7"), "int"), Ok(json!(7)));
        assert_eq!(conv(json!("007"), "int"), Ok(json!(7)));
        assert_eq!(conv(json!("1_000"), "int"), Ok(json!(1000)));
        assert_eq!(conv(json!("-0"), "int"), Ok(json!(0)));
        assert_eq!(conv(json!("\u{663}\u{664}"), "int"), Ok(json!(34)));
        assert_eq!(conv(json!("\u{a0}1\u{3000}"), "int"), Ok(json!(1)));
        assert_eq!(
            conv(json!("18446744073709551615"), "int"),
            Ok(json!(u64::MAX))
        );
        assert_eq!(
            conv(json!("-9223372036854775808"), "int"),
            Ok(json!(i64::MIN))
        );
        let r = conv(json!("5"), "int").unwrap();
        assert!(r.is_i64() || r.is_u64());
    }

    #[test]
    fn int_errors() {
        let cases = [
            ("1.5", "invalid literal for int() with base 10: '1.5'"),
            (" 1.5 ", "invalid literal for int() with base 10: ' 1.5 '"),
            ("", "invalid literal for int() with base 10: ''"),
            ("abc", "invalid literal for int() with base 10: 'abc'"),
            ("1__0", "invalid literal for int() with base 10: '1__0'"),
            ("_1", "invalid literal for int() with base 10: '_1'"),
            ("1_", "invalid literal for int() with base 10: '1_'"),
            ("+ 1", "invalid literal for int() with base 10: '+ 1'"),
            ("--1", "invalid literal for int() with base 10: '--1'"),
            ("0x10", "invalid literal for int() with base 10: '0x10'"),
            ("1e3", "invalid literal for int() with base 10: '1e3'"),
            (
                "\u{1c}1",
                "invalid literal for int() with base 10: '\\x1c1'",
            ),
            ("it's", "invalid literal for int() with base 10: \"it's\""),
        ];
        for (input, message) in cases {
            assert_eq!(conv(json!(input), "int"), Err(message.into()), "{input:?}");
        }
        assert!(conv(json!("18446744073709551616"), "int").is_err());
        assert!(conv(json!("-9223372036854775809"), "int").is_err());
        assert!(conv(json!("9".repeat(50)), "int").is_err());
    }

    #[test]
    fn int_from_other_values() {
        assert_eq!(conv(json!(5), "int"), Ok(json!(5)));
        assert_eq!(conv(json!(true), "int"), Ok(json!(1)));
        assert_eq!(conv(json!(false), "int"), Ok(json!(0)));
        assert_eq!(conv(json!(1.9), "int"), Ok(json!(1)));
        assert_eq!(conv(json!(-1.9), "int"), Ok(json!(-1)));
        assert_eq!(conv(json!(-0.5), "int"), Ok(json!(0)));
        assert_eq!(
            conv(json!(1e19), "int"),
            Ok(json!(10_000_000_000_000_000_000_u64))
        );
        assert!(conv(json!(1e20), "int").is_err());
        assert_eq!(
            conv(json!(null), "int"),
            Err("int() argument must be a string, a bytes-like object or a real number, not 'NoneType'".into())
        );
        assert_eq!(
            conv(json!([1]), "int"),
            Err(
                "int() argument must be a string, a bytes-like object or a real number, not 'list'"
                    .into()
            )
        );
    }

    #[test]
    fn float_from_strings() {
        assert_eq!(conv(json!("2.5"), "float"), Ok(json!(2.5)));
        assert_eq!(conv(json!("2.5"), "number"), Ok(json!(2.5)));
        assert_eq!(conv(json!("1e3"), "float"), Ok(json!(1000.0)));
        assert_eq!(conv(json!(" -1E-2 "), "float"), Ok(json!(-0.01)));
        assert_eq!(conv(json!(".5"), "float"), Ok(json!(0.5)));
        assert_eq!(conv(json!("5."), "float"), Ok(json!(5.0)));
        assert_eq!(conv(json!("+5"), "float"), Ok(json!(5.0)));
        assert_eq!(conv(json!("1_0.5"), "float"), Ok(json!(10.5)));
        assert_eq!(conv(json!("1e1_0"), "float"), Ok(json!(1e10)));
        assert_eq!(conv(json!("\u{663}.\u{665}"), "float"), Ok(json!(3.5)));
        assert_eq!(conv(json!("1e-400"), "float"), Ok(json!(0.0)));
        assert_eq!(conv(json!("0.1"), "float"), Ok(json!(0.1)));
        let r = conv(json!("3"), "float").unwrap();
        assert!(r.is_f64());
    }

    #[test]
    fn float_errors() {
        for input in [
            "abc", "", " ", "1._5", "1_e5", "_1", "1e", ".", "e5", "1.5.2", "0x1p3", "in_f",
            "nan1", "1 0", "\u{1c}1",
        ] {
            assert_eq!(
                conv(json!(input), "float"),
                Err(format!(
                    "could not convert string to float: {}",
                    py_repr_str(input)
                )),
                "{input:?}"
            );
        }
        assert_eq!(
            conv(json!("abc"), "float"),
            Err("could not convert string to float: 'abc'".into())
        );
        // Valid for Python, but not representable as a JSON value.
        for input in ["inf", "-Infinity", "nan", "1e400"] {
            assert!(conv(json!(input), "float").is_err(), "{input}");
        }
        assert_eq!(
            conv(json!(null), "float"),
            Err("float() argument must be a string or a real number, not 'NoneType'".into())
        );
        assert_eq!(
            conv(json!({}), "float"),
            Err("float() argument must be a string or a real number, not 'dict'".into())
        );
    }

    #[test]
    fn float_from_other_values() {
        assert_eq!(conv(json!(3), "float"), Ok(json!(3.0)));
        assert!(conv(json!(3), "float").unwrap().is_f64());
        assert_eq!(conv(json!(true), "float"), Ok(json!(1.0)));
        assert_eq!(conv(json!(2.5), "float"), Ok(json!(2.5)));
        assert_eq!(
            conv(json!(9_007_199_254_740_993_u64), "float"),
            Ok(json!(9_007_199_254_740_992.0))
        );
    }

    #[test]
    fn bytes_keep_the_string() {
        assert_eq!(conv(json!("héllo"), "bytes"), Ok(json!("héllo")));
        assert_eq!(conv(json!(""), "bytes"), Ok(json!("")));
        assert_eq!(
            conv(json!(1), "bytes"),
            Err("'int' object has no attribute 'encode'".into())
        );
    }

    #[test]
    fn bool_rules() {
        for falsy in ["false", "False", "FALSE", "0", "no", "No", "NO"] {
            assert_eq!(conv(json!(falsy), "bool"), Ok(json!(false)), "{falsy}");
        }
        for truthy in [
            "", "off", "n", "true", "1", "yes", " false", "false ", "0.0", "nein",
        ] {
            assert_eq!(conv(json!(truthy), "bool"), Ok(json!(true)), "{truthy:?}");
        }
        assert_eq!(conv(json!(false), "bool"), Ok(json!(false)));
        assert_eq!(conv(json!(true), "bool"), Ok(json!(true)));
        assert_eq!(
            conv(json!(0), "bool"),
            Err("'int' object has no attribute 'lower'".into())
        );
        assert_eq!(
            conv(json!(null), "bool"),
            Err("'NoneType' object has no attribute 'lower'".into())
        );
    }

    #[test]
    fn json_rules() {
        assert_eq!(conv(json!(""), "json"), Ok(json!("")));
        assert_eq!(conv(json!(null), "json"), Ok(json!(null)));
        assert_eq!(
            conv(json!(r#"{"b": [1, 2]}"#), "json"),
            Ok(json!({"b": [1, 2]}))
        );
        assert_eq!(conv(json!("3"), "json"), Ok(json!(3)));
        assert_eq!(conv(json!(" 1.5 "), "json"), Ok(json!(1.5)));
        assert_eq!(conv(json!("\"s\""), "json"), Ok(json!("s")));
        assert_eq!(conv(json!("null"), "json"), Ok(json!(null)));
        assert_eq!(conv(json!([1]), "json"), Ok(json!([1])));
        assert_eq!(conv(json!(5), "json"), Ok(json!(5)));
        assert!(conv(json!("{bad"), "json").is_err());
        assert!(conv(json!("abc"), "json").is_err());
        assert!(conv(json!(" "), "json").is_err());
        // Key order is kept.
        let v = conv(json!(r#"{"z": 1, "a": 2}"#), "json").unwrap();
        assert_eq!(
            v.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["z", "a"]
        );
    }
}
