//! Python `str()` and `repr()`.

use std::fmt::Write as _;

use serde_json::{Number, Value};

use crate::text::is_printable;

/// Python `str(v)`.
///
/// A string is itself; every other value is its [`py_repr`], so a container
/// shows its strings quoted: `str(["a", 1])` is `['a', 1]`.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python `repr(v)`.
///
/// `None`, `True`, `False`, ints as digits, floats as [`float_repr`],
/// strings as [`py_repr_str`], lists as `[1, 'a', None]` and dicts as
/// `{'k': [1, True]}` (insertion order, `', '` and `': '` separators).
pub fn py_repr(v: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, v);
    out
}

fn write_repr(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => out.push_str(&number_repr(n)),
        Value::String(s) => write_str_repr(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(out, k);
                out.push_str(": ");
                write_repr(out, item);
            }
            out.push('}');
        }
    }
}

fn number_repr(n: &Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() => float_repr(f),
        // An integer (i64 or u64): its decimal digits.
        _ => n.to_string(),
    }
}

/// Python `repr(s)` of a string.
///
/// Single quotes, unless the string contains `'` and no `"`. Backslashes and
/// the chosen quote are escaped; `\t`, `\n`, `\r` use their short escapes;
/// other control characters and every non-printable character (per
/// `str.isprintable()`, Unicode 14.0) become `\xNN`, `\uNNNN` or
/// `\UNNNNNNNN` (lower-case hex); printable non-ASCII text is kept as is.
pub fn py_repr_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_str_repr(&mut out, s);
    out
}

fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_ascii() || is_printable(c) => out.push(c),
            c => {
                let n = c as u32;
                let _ = if n <= 0xff {
                    write!(out, "\\x{n:02x}")
                } else if n <= 0xffff {
                    write!(out, "\\u{n:04x}")
                } else {
                    write!(out, "\\U{n:08x}")
                };
            }
        }
    }
    out.push(quote);
}

/// Python `repr(f)` (and `str(f)`) of a float.
///
/// The shortest digit string that reads back as `f`. Positional notation
/// when the decimal exponent is in `-4..16`, with at least one digit after
/// the point (`1.0`, `0.0001`, `123456789012345.6`); scientific otherwise,
/// with no `.0` on a one-digit mantissa and a signed exponent of at least two
/// digits (`1e+16`, `1.5e-05`, `-2.5e+20`). Also `inf`, `-inf`, `nan` and
/// `-0.0`.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let sci = shortest_sci(f);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    // Position of the decimal point relative to the digits: f = 0.DIGITS * 10^decpt.
    let decpt = exp + 1;

    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    if !(-4 < decpt && decpt <= 16) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exp.unsigned_abs());
    } else if decpt <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat(decpt.unsigned_abs() as usize));
        out.push_str(&digits);
    } else {
        let point = decpt as usize;
        if point < digits.len() {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        } else {
            out.push_str(&digits);
            out.push_str(&"0".repeat(point - digits.len()));
            out.push_str(".0");
        }
    }
    out
}

/// The shortest digits that read back as `f`, in Rust's `{:e}` form
/// (`1.5e-5`, `1e16`, `-0e0`), chosen like Python's `repr` (David Gay's
/// mode 0).
///
/// Rust's `{:e}` finds the shortest length but, when two candidates of that
/// length are equally near `f`, may take the upper one where Python takes
/// the even one (`819072628586090.25` is `...090.2` in Python). So the
/// candidate is redone in Rust's exact mode, which rounds `f`'s exact value
/// to that many digits half-to-even, and kept if it still reads back as `f`.
fn shortest_sci(f: f64) -> String {
    let shortest = format!("{f:e}");
    let mantissa = shortest
        .split_once('e')
        .map_or(shortest.as_str(), |(m, _)| m);
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let nearest = format!("{f:.*e}", digits.saturating_sub(1));
    if nearest != shortest && nearest.parse::<f64>().ok() == Some(f) {
        nearest
    } else {
        shortest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars() {
        assert_eq!(py_str(&json!(null)), "None");
        assert_eq!(py_str(&json!(true)), "True");
        assert_eq!(py_str(&json!(false)), "False");
        assert_eq!(py_str(&json!(5)), "5");
        assert_eq!(py_str(&json!(-5)), "-5");
        assert_eq!(py_str(&json!(u64::MAX)), "18446744073709551615");
        assert_eq!(py_str(&json!(i64::MIN)), "-9223372036854775808");
        assert_eq!(py_str(&json!(1.5)), "1.5");
        assert_eq!(py_str(&json!(1.0)), "1.0");
        assert_eq!(py_str(&json!(1e16)), "1e+16");
        assert_eq!(py_str(&json!("it's")), "it's");
        assert_eq!(py_repr(&json!("it's")), "\"it's\"");
        assert_eq!(py_repr(&json!(3)), "3");
        assert_eq!(py_repr(&json!(null)), "None");
    }

    #[test]
    fn containers() {
        assert_eq!(py_str(&json!([1, "a", null])), "[1, 'a', None]");
        assert_eq!(py_str(&json!({"k": [1, true]})), "{'k': [1, True]}");
        assert_eq!(
            py_str(&json!({"k": [1, true, null]})),
            "{'k': [1, True, None]}"
        );
        assert_eq!(py_str(&json!(["a", 1])), "['a', 1]");
        assert_eq!(py_str(&json!([])), "[]");
        assert_eq!(py_str(&json!({})), "{}");
        assert_eq!(
            py_str(&json!([[], {}, [1.0, -0.5]])),
            "[[], {}, [1.0, -0.5]]"
        );
        // Insertion order is kept (serde_json's preserve_order).
        let v: Value = serde_json::from_str(r#"{"z": 1, "a": {"it's": "x\ny"}}"#).unwrap();
        assert_eq!(py_str(&v), r#"{'z': 1, 'a': {"it's": 'x\ny'}}"#);
    }

    #[test]
    fn string_repr() {
        assert_eq!(py_repr_str(""), "''");
        assert_eq!(py_repr_str("abc"), "'abc'");
        assert_eq!(py_repr_str("it's"), "\"it's\"");
        assert_eq!(py_repr_str("say \"hi\""), "'say \"hi\"'");
        assert_eq!(py_repr_str("it's \"x\""), "'it\\'s \"x\"'");
        assert_eq!(py_repr_str("a\\b"), "'a\\\\b'");
        assert_eq!(py_repr_str("\t\n\r"), "'\\t\\n\\r'");
        assert_eq!(py_repr_str("\0\u{1b}\u{7f}"), "'\\x00\\x1b\\x7f'");
        assert_eq!(py_repr_str("é€日😀"), "'é€日😀'");
        assert_eq!(py_repr_str("\u{85}\u{a0}\u{ad}"), "'\\x85\\xa0\\xad'");
        assert_eq!(py_repr_str("\u{200b}\u{2028}"), "'\\u200b\\u2028'");
        assert_eq!(
            py_repr_str("\u{e0001}\u{10ffff}"),
            "'\\U000e0001\\U0010ffff'"
        );
        assert_eq!(py_repr_str(" ~"), "' ~'");
    }

    #[test]
    fn float_repr_positional() {
        assert_eq!(float_repr(0.0), "0.0");
        assert_eq!(float_repr(-0.0), "-0.0");
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(-1.5), "-1.5");
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(0.00012), "0.00012");
        assert_eq!(float_repr(123456789012345.6), "123456789012345.6");
        assert_eq!(float_repr(1e15), "1000000000000000.0");
        assert_eq!(float_repr(9999999999999998.0), "9999999999999998.0");
        assert_eq!(float_repr(100.0), "100.0");
        assert_eq!(float_repr(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float_repr(2.5), "2.5");
    }

    #[test]
    fn float_repr_scientific() {
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1.5e-5), "1.5e-05");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(-2.5e20), "-2.5e+20");
        assert_eq!(float_repr(1e22), "1e+22");
        assert_eq!(float_repr(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(float_repr(5e-324), "5e-324");
        assert_eq!(float_repr(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(float_repr(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        assert_eq!(float_repr(1e100), "1e+100");
    }

    #[test]
    fn float_repr_ties_go_to_even_like_python() {
        // Each float lies exactly halfway between two shortest candidates;
        // Python picks the even last digit (checked against CPython 3.11).
        let cases = [
            (0x426e_055f_2dd9_7f00_u64, "1031513140939.9688"), // ...939.96875
            (0x4279_8230_c362_dd80, "1752934659629.8438"),     // ...629.84375
            (0x4274_12a5_07f3_ae80, "1379394420538.9062"),     // ...538.90625
            (0x42b6_4917_b121_dc50, "24503185908188.312"),     // ...188.3125
            (0x42ea_ce11_9352_6f4c, "235778883621754.38"),     // ...754.375
            (0x4308_d1bd_403a_960a, "873251274707649.2"),      // ...649.25
            (0x42e7_581b_60af_82c4, "205337471056918.12"),     // ...918.125
            (0x42d7_5047_e78c_9378, "102534284718669.88"),     // ...669.875
        ];
        for (bits, want) in cases {
            assert_eq!(float_repr(f64::from_bits(bits)), want);
            assert_eq!(float_repr(-f64::from_bits(bits)), format!("-{want}"));
        }
        assert_eq!(
            float_repr(819_072_628_586_090.0 + 0.25),
            "819072628586090.2"
        );
    }

    #[test]
    fn float_repr_special() {
        assert_eq!(float_repr(f64::INFINITY), "inf");
        assert_eq!(float_repr(f64::NEG_INFINITY), "-inf");
        assert_eq!(float_repr(f64::NAN), "nan");
    }
}

/// JSON as Python's `json.dumps` writes it by default (requests' `json=`
/// bodies, for one):
/// `", "` and `": "` separators, non-ASCII escaped, floats as Python's repr.
pub fn json_dumps(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => out.push_str(&float_repr(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                        let mut buf = [0u16; 2];
                        for unit in c.encode_utf16(&mut buf) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(&Value::String(k.clone()), out);
                out.push_str(": ");
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod json_dumps_tests {
    use super::*;

    #[test]
    fn json_bodies_are_written_as_python_writes_them() {
        let v = serde_json::json!({"a": 1, "b": [true, null, 1.5, 1e16], "é": "ü\"x"});
        assert_eq!(
            json_dumps(&v),
            r#"{"a": 1, "b": [true, null, 1.5, 1e+16], "\u00e9": "\u00fc\"x"}"#
        );
    }
}
