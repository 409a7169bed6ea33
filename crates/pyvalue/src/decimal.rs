//! Python `decimal.Decimal(value)` construction and comparison, as the
//! `range` tolerance uses them: exact, never through a float.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use crate::compare::py_type_name;
use crate::text::{decimal_digit, is_py_space};
use crate::TypeError;

/// libmpdec's largest adjusted exponent (`MPD_MAX_EMAX`, 64-bit build).
const MAX_EMAX: i128 = 999_999_999_999_999_999;
/// libmpdec's smallest exponent (`MPD_MIN_ETINY`, 64-bit build).
const MIN_ETINY: i128 = -1_999_999_999_999_999_997;

/// Message of the `decimal.InvalidOperation` signalled by an ordering with NaN.
const INVALID_OPERATION: &str = "[<class 'decimal.InvalidOperation'>]";
/// Message of the `decimal.InvalidOperation` raised for a non-numeric string.
const CONVERSION_SYNTAX: &str = "[<class 'decimal.ConversionSyntax'>]";

/// An exact decimal number.
#[derive(Debug, Clone, PartialEq)]
enum Dec {
    /// `(-1)^neg * coefficient * 10^exp`; the coefficient's digits are most
    /// significant first, without leading zeros (empty for zero).
    Finite {
        neg: bool,
        coef: Vec<u8>,
        exp: i128,
    },
    Inf {
        neg: bool,
    },
    /// Quiet or signalling NaN: any ordering with it raises.
    NaN,
}

/// Why `Decimal(value)` failed.
#[derive(Debug, Clone, PartialEq)]
enum DecError {
    /// `decimal.InvalidOperation` (e.g. a non-numeric string): the range
    /// tolerance catches it for the checked value.
    Invalid,
    /// `TypeError`, `ValueError` or `OverflowError`: never caught.
    Crash(TypeError),
}

fn crash(message: impl Into<String>) -> DecError {
    DecError::Crash(TypeError(message.into()))
}

impl Dec {
    /// A finite value from digits (leading zeros allowed) and an exponent,
    /// with libmpdec's exponent limits (`InvalidOperation` beyond them).
    fn finite(neg: bool, digits: &[u8], exp: i128) -> Result<Dec, DecError> {
        let start = digits.iter().position(|&d| d != 0).unwrap_or(digits.len());
        let coef = digits[start..].to_vec();
        let adjusted = exp + coef.len().max(1) as i128 - 1;
        if exp < MIN_ETINY || adjusted > MAX_EMAX {
            return Err(DecError::Invalid);
        }
        Ok(Dec::Finite { neg, coef, exp })
    }

    fn from_u128(neg: bool, magnitude: u128) -> Dec {
        let coef = if magnitude == 0 {
            Vec::new()
        } else {
            magnitude.to_string().bytes().map(|b| b - b'0').collect()
        };
        Dec::Finite { neg, coef, exp: 0 }
    }

    /// The exact value of a float (`Decimal(0.1)` is
    /// `0.1000000000000000055511151231257827021181583404541015625`).
    fn from_f64(f: f64) -> Dec {
        if f.is_nan() {
            return Dec::NaN;
        }
        if f.is_infinite() {
            return Dec::Inf { neg: f < 0.0 };
        }
        let bits = f.to_bits();
        let neg = bits >> 63 == 1;
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1 << 52) - 1);
        let (mantissa, exp2) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1 << 52), biased - 1075)
        };
        if mantissa == 0 {
            return Dec::Finite {
                neg,
                coef: Vec::new(),
                exp: 0,
            };
        }
        // Reduce the binary fraction, as `float.as_integer_ratio` does.
        let (mantissa, exp2) = (
            mantissa >> mantissa.trailing_zeros(),
            exp2 + mantissa.trailing_zeros() as i32,
        );
        // f = mantissa * 2^exp2 = mantissa * 5^-exp2 * 10^exp2 when exp2 < 0.
        let mut digits = LittleDigits::from_u64(mantissa);
        let exp = if exp2 >= 0 {
            digits.mul_pow(2, exp2.unsigned_abs());
            0
        } else {
            digits.mul_pow(5, exp2.unsigned_abs());
            exp2.into()
        };
        Dec::Finite {
            neg,
            coef: digits.into_most_significant_first(),
            exp,
        }
    }

    /// The nearest `f64` (for [`crate::to_decimal`]).
    fn to_f64(&self) -> f64 {
        match self {
            Dec::NaN => f64::NAN,
            Dec::Inf { neg } => {
                if *neg {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }
            Dec::Finite { coef, .. } if coef.is_empty() => 0.0,
            Dec::Finite { neg, coef, exp } => {
                let digits: String = coef.iter().map(|d| char::from(b'0' + d)).collect();
                // Beyond these the value is 0 or infinite anyway.
                let exp = (*exp).clamp(-10_000_000, 10_000_000);
                let magnitude: f64 = format!("{digits}e{exp}").parse().unwrap_or(f64::NAN);
                if *neg {
                    -magnitude
                } else {
                    magnitude
                }
            }
        }
    }
}

/// Decimal digits, least significant first, for exact float expansion.
struct LittleDigits(Vec<u8>);

impl LittleDigits {
    fn from_u64(mut n: u64) -> Self {
        let mut digits = Vec::new();
        while n > 0 {
            digits.push((n % 10) as u8);
            n /= 10;
        }
        LittleDigits(digits)
    }

    fn mul_small(&mut self, factor: u64) {
        let mut carry = 0u64;
        for d in &mut self.0 {
            let x = u64::from(*d) * factor + carry;
            *d = (x % 10) as u8;
            carry = x / 10;
        }
        while carry > 0 {
            self.0.push((carry % 10) as u8);
            carry /= 10;
        }
    }

    /// Multiplies by `base^power` (`base` is 2 or 5), in chunks that keep
    /// the intermediate products within `u64`.
    fn mul_pow(&mut self, base: u64, mut power: u32) {
        let chunk = if base == 2 { 30 } else { 13 };
        while power > 0 {
            let step = power.min(chunk);
            self.mul_small(base.pow(step));
            power -= step;
        }
    }

    fn into_most_significant_first(mut self) -> Vec<u8> {
        self.0.reverse();
        self.0
    }
}

/// Exact comparison; `None` when a NaN is involved.
fn dec_cmp(a: &Dec, b: &Dec) -> Option<Ordering> {
    fn sign(d: &Dec) -> i8 {
        match d {
            Dec::Finite { coef, .. } if coef.is_empty() => 0,
            Dec::Finite { neg: true, .. } | Dec::Inf { neg: true } => -1,
            _ => 1,
        }
    }
    match (a, b) {
        (Dec::NaN, _) | (_, Dec::NaN) => None,
        (Dec::Inf { neg: x }, Dec::Inf { neg: y }) => Some(y.cmp(x)),
        (Dec::Inf { neg }, _) => Some(if *neg {
            Ordering::Less
        } else {
            Ordering::Greater
        }),
        (_, Dec::Inf { neg }) => Some(if *neg {
            Ordering::Greater
        } else {
            Ordering::Less
        }),
        (
            Dec::Finite {
                coef: ca, exp: ea, ..
            },
            Dec::Finite {
                coef: cb, exp: eb, ..
            },
        ) => {
            let (sa, sb) = (sign(a), sign(b));
            if sa != sb || sa == 0 {
                return Some(sa.cmp(&sb));
            }
            let magnitude = magnitude_cmp(ca, *ea, cb, *eb);
            Some(if sa < 0 {
                magnitude.reverse()
            } else {
                magnitude
            })
        }
    }
}

/// Compares two non-zero magnitudes `ca * 10^ea` and `cb * 10^eb`.
fn magnitude_cmp(ca: &[u8], ea: i128, cb: &[u8], eb: i128) -> Ordering {
    // Position of the most significant digit decides first.
    let adjusted_a = ca.len() as i128 + ea;
    let adjusted_b = cb.len() as i128 + eb;
    if adjusted_a != adjusted_b {
        return adjusted_a.cmp(&adjusted_b);
    }
    // Same scale: compare digit by digit, the shorter padded with zeros.
    let n = ca.len().max(cb.len());
    let digit = |c: &[u8], i: usize| c.get(i).copied().unwrap_or(0);
    (0..n)
        .map(|i| digit(ca, i).cmp(&digit(cb, i)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Python `Decimal(string)` (the C `_decimal` module): surrounding
/// whitespace is stripped, underscores anywhere are ignored, non-ASCII
/// decimal digits count, and the rest follows the decimal grammar
/// (`[sign] (digits [. digits] | . digits) [e [sign] digits]`, `Inf`,
/// `Infinity`, `NaN[digits]`, `sNaN[digits]`, case-insensitively).
fn parse_decimal_str(s: &str) -> Result<Dec, DecError> {
    let trimmed = s.trim_matches(is_py_space);
    let mut text = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        if c == '_' {
            continue;
        }
        if c.is_ascii() && c != '\0' {
            text.push(c);
        } else if let Some(d) = decimal_digit(c) {
            text.push(char::from(b'0' + d));
        } else {
            // Inner whitespace or any other character: a syntax error.
            return Err(DecError::Invalid);
        }
    }

    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text.as_str()),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(Dec::Inf { neg });
    }
    for prefix in ["nan", "snan"] {
        if let Some(payload) = lower.strip_prefix(prefix) {
            return if payload.bytes().all(|b| b.is_ascii_digit()) {
                Ok(Dec::NaN)
            } else {
                Err(DecError::Invalid)
            };
        }
    }

    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part) {
        return Err(DecError::Invalid);
    }
    let exp_value = match exponent {
        None => 0,
        Some(e) => parse_exponent(e).ok_or(DecError::Invalid)?,
    };
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    Dec::finite(neg, &digits, exp_value - frac_part.len() as i128)
}

/// `[sign] digits`, saturating far beyond libmpdec's limits.
fn parse_exponent(e: &str) -> Option<i128> {
    let (neg, digits) = match e.as_bytes().first() {
        Some(b'-') => (true, &e[1..]),
        Some(b'+') => (false, &e[1..]),
        _ => (false, e),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    const CAP: i128 = 1 << 100;
    let magnitude = digits
        .bytes()
        .fold(0i128, |acc, b| (acc * 10 + i128::from(b - b'0')).min(CAP));
    Some(if neg { -magnitude } else { magnitude })
}

/// A JSON integer (or bool) as Python's `int`, for the tuple form.
fn as_py_int(v: &Value) -> Option<i128> {
    match v {
        Value::Bool(b) => Some((*b).into()),
        Value::Number(n) if !n.is_f64() => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        _ => None,
    }
}

/// `Decimal((sign, digits, exponent))`, given as a JSON list (CPython turns
/// a list into a tuple), with CPython's checks and messages in its order.
fn from_tuple(items: &[Value]) -> Result<Dec, DecError> {
    const C_LONG_OVERFLOW: &str = "Python int too large to convert to C long";
    let [sign, digits, exponent] = items else {
        return Err(crash("argument must be a sequence of length 3"));
    };
    let sign_message = "sign must be an integer with the value 0 or 1";
    let neg = match as_py_int(sign) {
        Some(0) => false,
        Some(1) => true,
        Some(i) if i > i128::from(i64::MAX) => return Err(crash(C_LONG_OVERFLOW)),
        _ => return Err(crash(sign_message)),
    };

    enum Kind {
        Finite(i128),
        Inf,
        NaN,
    }
    let kind = match exponent {
        Value::String(s) => match s.as_str() {
            "F" => Kind::Inf,
            "n" | "N" => Kind::NaN,
            _ => {
                return Err(crash(
                    "string argument in the third position must be 'F', 'n' or 'N'",
                ))
            }
        },
        other => match as_py_int(other) {
            Some(e) if e > i128::from(i64::MAX) => {
                return Err(crash("Python int too large to convert to C ssize_t"))
            }
            Some(e) => Kind::Finite(e),
            None => return Err(crash("exponent must be an integer")),
        },
    };

    let coefficient_message = "coefficient must be a tuple of digits";
    let Value::Array(digit_values) = digits else {
        return Err(crash(coefficient_message));
    };
    let mut coef = Vec::with_capacity(digit_values.len());
    for d in digit_values {
        match as_py_int(d) {
            Some(i @ 0..=9) => coef.push(i as u8),
            Some(i) if i > i128::from(i64::MAX) => return Err(crash(C_LONG_OVERFLOW)),
            _ => return Err(crash(coefficient_message)),
        }
    }
    match kind {
        Kind::Inf => Ok(Dec::Inf { neg }),
        Kind::NaN => Ok(Dec::NaN),
        Kind::Finite(exp) => Dec::finite(neg, &coef, exp),
    }
}

fn number_to_dec(n: &Number) -> Dec {
    if n.is_f64() {
        return Dec::from_f64(n.as_f64().unwrap_or(f64::NAN));
    }
    match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => Dec::from_u128(i < 0, u128::from(i.unsigned_abs())),
        (None, Some(u)) => Dec::from_u128(false, u.into()),
        (None, None) => Dec::from_f64(n.as_f64().unwrap_or(f64::NAN)),
    }
}

/// Python `Decimal(value)`.
fn py_decimal(value: &Value) -> Result<Dec, DecError> {
    match value {
        Value::Bool(b) => Ok(Dec::from_u128(false, (*b).into())),
        Value::Number(n) => Ok(number_to_dec(n)),
        Value::String(s) => parse_decimal_str(s),
        Value::Array(items) => from_tuple(items),
        Value::Null | Value::Object(_) => Err(crash(format!(
            "conversion from {} to Decimal is not supported",
            py_type_name(value)
        ))),
    }
}

/// Python `Decimal(value)` where nothing catches the failure.
fn py_decimal_or_raise(value: &Value) -> Result<Dec, TypeError> {
    py_decimal(value).map_err(|e| match e {
        DecError::Invalid => TypeError(CONVERSION_SYNTAX.to_string()),
        DecError::Crash(e) => e,
    })
}

/// Python `a <= b` between decimals: an ordering with a NaN raises
/// `InvalidOperation`.
fn dec_le(a: &Dec, b: &Dec) -> Result<bool, TypeError> {
    match dec_cmp(a, b) {
        Some(o) => Ok(o.is_le()),
        None => Err(TypeError(INVALID_OPERATION.to_string())),
    }
}

/// `Decimal(value)` as the range tolerance computes it: `None` where Python
/// returns a value that is not a number (a non-numeric string: not met),
/// `Err` where Python raises (None, mapping, list: the run crashes).
///
/// Ints, floats and bools (`True` is 1) always convert; strings follow
/// Python's decimal grammar (`"580.5"`, `" 3 "`, `"1_000"`, `"1e3"`,
/// `"-Infinity"`, `"inf"`, `"NaN"`; Unicode decimal digits too). A list is
/// Python's `(sign, digits, exponent)` tuple form, so `[0, [1, 5], -1]` is
/// 1.5 and any other list is an `Err`. The result is the nearest `f64`
/// (`NaN` and infinities included); use [`decimal_in_range`] for an exact
/// range check.
pub fn to_decimal(value: &Value) -> Result<Option<f64>, TypeError> {
    match py_decimal(value) {
        Ok(d) => Ok(Some(d.to_f64())),
        Err(DecError::Invalid) => Ok(None),
        Err(DecError::Crash(e)) => Err(e),
    }
}

/// The `range` tolerance's check, exactly as Python evaluates it:
///
/// ```python
/// try:
///     value = Decimal(value)
/// except InvalidOperation:
///     return False
/// return Decimal(lo) <= value <= Decimal(hi)
/// ```
///
/// Every comparison is exact (a float converts from its binary value, so
/// `Decimal(0.1)` is slightly above `Decimal("0.1")`; ints and numeric
/// strings are exact decimals). `Ok(false)` for a value Python's `Decimal`
/// rejects as a syntax error (a non-numeric string). `Err` where Python
/// raises: a value of `None`, a mapping or a malformed list
/// (`TypeError`/`ValueError`), a NaN value or bound (`InvalidOperation` on
/// ordering), or a non-numeric string bound (only possible without
/// validation). As in Python, `hi` is not converted when `lo <= value` is
/// already false.
pub fn decimal_in_range(value: &Value, lo: &Value, hi: &Value) -> Result<bool, TypeError> {
    let value = match py_decimal(value) {
        Ok(d) => d,
        Err(DecError::Invalid) => return Ok(false),
        Err(DecError::Crash(e)) => return Err(e),
    };
    let lo = py_decimal_or_raise(lo)?;
    if !dec_le(&lo, &value)? {
        return Ok(false);
    }
    let hi = py_decimal_or_raise(hi)?;
    dec_le(&value, &hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(s: &str) -> Dec {
        parse_decimal_str(s).unwrap()
    }

    fn digits_of(d: &Dec) -> (bool, String, i128) {
        match d {
            Dec::Finite { neg, coef, exp } => (
                *neg,
                coef.iter().map(|d| char::from(b'0' + d)).collect(),
                *exp,
            ),
            other => panic!("not finite: {other:?}"),
        }
    }

    #[test]
    fn exact_float_expansion() {
        assert_eq!(
            digits_of(&Dec::from_f64(0.1)),
            (
                false,
                "1000000000000000055511151231257827021181583404541015625".into(),
                -55
            )
        );
        assert_eq!(digits_of(&Dec::from_f64(10.5)), (false, "105".into(), -1));
        assert_eq!(digits_of(&Dec::from_f64(-2.0)), (true, "2".into(), 0));
        assert_eq!(
            digits_of(&Dec::from_f64(1e22)),
            (false, "10000000000000000000000".into(), 0)
        );
        assert_eq!(digits_of(&Dec::from_f64(0.0)), (false, String::new(), 0));
        assert_eq!(digits_of(&Dec::from_f64(-0.0)), (true, String::new(), 0));
        // Smallest subnormal: 5e-324 is exactly 2^-1074.
        let (_, digits, exp) = digits_of(&Dec::from_f64(5e-324));
        assert_eq!(exp, -1074);
        assert_eq!(digits.len(), 751);
        assert!(digits.starts_with("494065645841246544176568792868221372365059802614"));
        // Largest float: 2^1024 - 2^971, 309 digits.
        let (_, digits, exp) = digits_of(&Dec::from_f64(f64::MAX));
        assert_eq!(exp, 0);
        assert_eq!(digits.len(), 309);
        assert!(digits.starts_with("17976931348623157081452742373170435679"));
        assert!(digits.ends_with("858368"));
    }

    #[test]
    fn string_grammar() {
        assert_eq!(digits_of(&dec("580.5")), (false, "5805".into(), -1));
        assert_eq!(digits_of(&dec(" 3 ")), (false, "3".into(), 0));
        assert_eq!(digits_of(&dec("\u{85}1\u{3000}")), (false, "1".into(), 0));
        assert_eq!(digits_of(&dec("\u{1c}1\u{1f}")), (false, "1".into(), 0));
        assert_eq!(digits_of(&dec("1e3")), (false, "1".into(), 3));
        assert_eq!(digits_of(&dec("+.5e-3")), (false, "5".into(), -4));
        assert_eq!(digits_of(&dec("1.")), (false, "1".into(), 0));
        assert_eq!(digits_of(&dec("-007.50")), (true, "750".into(), -2));
        assert_eq!(digits_of(&dec("1_000.5_5")), (false, "100055".into(), -2));
        assert_eq!(digits_of(&dec("_1_")), (false, "1".into(), 0));
        assert_eq!(digits_of(&dec("1._5")), (false, "15".into(), -1));
        assert_eq!(digits_of(&dec("1e1_0")), (false, "1".into(), 10));
        assert_eq!(digits_of(&dec("\u{663}")), (false, "3".into(), 0));
        assert_eq!(dec("inf"), Dec::Inf { neg: false });
        assert_eq!(dec("-Infinity"), Dec::Inf { neg: true });
        assert_eq!(dec("infinity_"), Dec::Inf { neg: false });
        assert_eq!(dec("NaN"), Dec::NaN);
        assert_eq!(dec("nan123"), Dec::NaN);
        assert_eq!(dec("-sNaN5"), Dec::NaN);
        assert_eq!(dec("nan_1"), Dec::NaN);
        for bad in [
            "", " ", "abc", ".", "1 0", "- 1", "--1", "1e", "e5", "1e+", "infinit", "nanx", "0x10",
            "1,5", "1\u{a0}0", "\0", "١.x", "Inf1",
        ] {
            assert_eq!(parse_decimal_str(bad), Err(DecError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn exponent_limits() {
        assert!(parse_decimal_str("1e999999999999999999").is_ok());
        assert!(parse_decimal_str("0e999999999999999999").is_ok());
        assert!(parse_decimal_str("0.1e1000000000000000000").is_ok());
        assert!(parse_decimal_str("1e-1999999999999999997").is_ok());
        assert!(parse_decimal_str("123e-1000000000000000018").is_ok());
        for bad in [
            "1e1000000000000000000",
            "0e1000000000000000000",
            "10e999999999999999999",
            "1e-1999999999999999998",
            "0.001e-1999999999999999997",
            "1000e-1999999999999999998",
            "1e9223372036854775807",
            "1e-9223372036854775809",
            "0e9999999999999999999",
            "1e99999999999999999999999999999999999999999999",
        ] {
            assert_eq!(parse_decimal_str(bad), Err(DecError::Invalid), "{bad}");
        }
    }

    #[test]
    fn comparisons_are_exact() {
        let cmp = |a: &str, b: &str| dec_cmp(&dec(a), &dec(b));
        assert_eq!(cmp("1", "1.000"), Some(Ordering::Equal));
        assert_eq!(cmp("0", "-0.0e5"), Some(Ordering::Equal));
        assert_eq!(cmp("1e3", "999.9999"), Some(Ordering::Greater));
        assert_eq!(cmp("-1e3", "-999.9999"), Some(Ordering::Less));
        assert_eq!(cmp("0.1", "0.10000000000000000001"), Some(Ordering::Less));
        assert_eq!(cmp("-0.5", "0"), Some(Ordering::Less));
        assert_eq!(cmp("12", "9"), Some(Ordering::Greater));
        assert_eq!(cmp("inf", "1e999999999999999999"), Some(Ordering::Greater));
        assert_eq!(cmp("-inf", "-inf"), Some(Ordering::Equal));
        assert_eq!(cmp("-inf", "inf"), Some(Ordering::Less));
        assert_eq!(
            cmp("-1e999999999999999999", "-inf"),
            Some(Ordering::Greater)
        );
        assert_eq!(cmp("nan", "1"), None);
        // Decimal(0.1) is the binary value, above Decimal("0.1").
        assert_eq!(
            dec_cmp(&Dec::from_f64(0.1), &dec("0.1")),
            Some(Ordering::Greater)
        );
        assert_eq!(
            dec_cmp(
                &Dec::from_f64(0.1),
                &dec("0.1000000000000000055511151231257827021181583404541015625")
            ),
            Some(Ordering::Equal)
        );
        assert_eq!(
            dec_cmp(&Dec::from_f64(10.5), &dec("10.5")),
            Some(Ordering::Equal)
        );
    }

    #[test]
    fn spec_4_6_range_examples() {
        let lo = json!(1);
        let hi = json!(5);
        assert_eq!(decimal_in_range(&json!("3"), &lo, &hi), Ok(true));
        assert_eq!(decimal_in_range(&json!(true), &lo, &hi), Ok(true));
        assert_eq!(decimal_in_range(&json!("abc"), &lo, &hi), Ok(false));
        assert_eq!(
            decimal_in_range(&json!(null), &lo, &hi),
            Err(TypeError(
                "conversion from NoneType to Decimal is not supported".into()
            ))
        );
        assert_eq!(
            decimal_in_range(&json!({"status": 3}), &lo, &hi),
            Err(TypeError(
                "conversion from dict to Decimal is not supported".into()
            ))
        );
        assert_eq!(
            decimal_in_range(&json!("580.5"), &json!(500), &json!(600)),
            Ok(true)
        );
    }

    #[test]
    fn range_bounds_are_inclusive_and_exact() {
        assert_eq!(decimal_in_range(&json!(1), &json!(1), &json!(5)), Ok(true));
        assert_eq!(decimal_in_range(&json!(5), &json!(1), &json!(5)), Ok(true));
        assert_eq!(
            decimal_in_range(&json!(5.5), &json!(1), &json!(5)),
            Ok(false)
        );
        assert_eq!(decimal_in_range(&json!(0), &json!(1), &json!(5)), Ok(false));
        assert_eq!(
            decimal_in_range(&json!(false), &json!(0), &json!(0)),
            Ok(true)
        );
        assert_eq!(
            decimal_in_range(&json!(" 3 "), &json!(1), &json!(5)),
            Ok(true)
        );
        assert_eq!(
            decimal_in_range(&json!("1e3"), &json!(999), &json!(1000)),
            Ok(true)
        );
        assert_eq!(
            decimal_in_range(&json!("10.5"), &json!(10.5), &json!(10.5)),
            Ok(true)
        );
        // The float bound 0.1 is 0.1000000000000000055...: "0.1" is below it.
        assert_eq!(
            decimal_in_range(&json!("0.1"), &json!(0.1), &json!(1)),
            Ok(false)
        );
        assert_eq!(
            decimal_in_range(&json!(0.1), &json!(0.1), &json!(1)),
            Ok(true)
        );
        assert_eq!(
            decimal_in_range(&json!("0.1"), &json!(0), &json!(0.1)),
            Ok(true)
        );
        // Exact beyond f64 precision.
        assert_eq!(
            decimal_in_range(
                &json!(9_007_199_254_740_993_u64),
                &json!(0),
                &json!(9_007_199_254_740_992.0)
            ),
            Ok(false)
        );
        assert_eq!(
            decimal_in_range(&json!("1.00000000000000000001"), &json!(0), &json!(1)),
            Ok(false)
        );
        assert_eq!(
            decimal_in_range(&json!(u64::MAX), &json!(0), &json!(u64::MAX)),
            Ok(true)
        );
        assert_eq!(
            decimal_in_range(&json!(i64::MIN), &json!(i64::MIN), &json!(0)),
            Ok(true)
        );
        assert_eq!(
            decimal_in_range(&json!("Infinity"), &json!(0), &json!(1e308)),
            Ok(false)
        );
        assert_eq!(
            decimal_in_range(&json!("-inf"), &json!(0), &json!(1)),
            Ok(false)
        );
        // An out-of-limits exponent is InvalidOperation: not met.
        assert_eq!(
            decimal_in_range(&json!("1e1000000000000000000"), &json!(0), &json!(1)),
            Ok(false)
        );
    }

    #[test]
    fn range_errors_follow_python_evaluation_order() {
        let invalid = Err(TypeError(INVALID_OPERATION.into()));
        assert_eq!(
            decimal_in_range(&json!("nan"), &json!(1), &json!(5)),
            invalid
        );
        assert_eq!(
            decimal_in_range(&json!("sNaN"), &json!(1), &json!(5)),
            invalid
        );
        assert_eq!(
            decimal_in_range(&json!(3), &json!("nan"), &json!(5)),
            invalid
        );
        assert_eq!(
            decimal_in_range(&json!(3), &json!(1), &json!("NaN")),
            invalid
        );
        // `hi` is never converted when `lo <= value` is false.
        assert_eq!(
            decimal_in_range(&json!(0), &json!(1), &json!("NaN")),
            Ok(false)
        );
        assert_eq!(
            decimal_in_range(&json!(0), &json!(1), &json!(null)),
            Ok(false)
        );
        // Bounds are converted without a safety net (only reachable with --no-validation).
        assert_eq!(
            decimal_in_range(&json!(3), &json!("abc"), &json!(5)),
            Err(TypeError(CONVERSION_SYNTAX.into()))
        );
        assert_eq!(
            decimal_in_range(&json!(3), &json!("2"), &json!(true)),
            Ok(false)
        );
        assert_eq!(
            decimal_in_range(&json!(3), &json!(null), &json!(5)),
            Err(TypeError(
                "conversion from NoneType to Decimal is not supported".into()
            ))
        );
        // The value is converted (and may crash) before the bounds.
        assert_eq!(
            decimal_in_range(&json!([1, 2]), &json!(null), &json!(5)),
            Err(TypeError("argument must be a sequence of length 3".into()))
        );
    }

    #[test]
    fn tuple_form() {
        assert_eq!(to_decimal(&json!([0, [1, 2], -1])), Ok(Some(1.2)));
        assert_eq!(to_decimal(&json!([1, [1], 0])), Ok(Some(-1.0)));
        assert_eq!(to_decimal(&json!([true, [true], 0])), Ok(Some(-1.0)));
        assert_eq!(to_decimal(&json!([0, [], 0])), Ok(Some(0.0)));
        assert_eq!(
            to_decimal(&json!([0, [1, 2], "F"])),
            Ok(Some(f64::INFINITY))
        );
        assert!(to_decimal(&json!([0, [1, 2], "n"]))
            .unwrap()
            .unwrap()
            .is_nan());
        assert_eq!(
            decimal_in_range(&json!([0, [3], 0]), &json!(1), &json!(5)),
            Ok(true)
        );
        // Beyond libmpdec's exponent limits: InvalidOperation, not met.
        assert_eq!(
            to_decimal(&json!([0, [1], 1_000_000_000_000_000_000_i64])),
            Ok(None)
        );
        let err = |v: Value| to_decimal(&v).unwrap_err().0;
        assert_eq!(
            err(json!([1, 2])),
            "argument must be a sequence of length 3"
        );
        assert_eq!(err(json!([])), "argument must be a sequence of length 3");
        assert_eq!(
            err(json!([2, [1], 0])),
            "sign must be an integer with the value 0 or 1"
        );
        assert_eq!(
            err(json!([0.0, [1], 0])),
            "sign must be an integer with the value 0 or 1"
        );
        assert_eq!(
            err(json!([0, [10], 0])),
            "coefficient must be a tuple of digits"
        );
        assert_eq!(
            err(json!([0, 5, 0])),
            "coefficient must be a tuple of digits"
        );
        assert_eq!(
            err(json!([0, ["1"], 0])),
            "coefficient must be a tuple of digits"
        );
        assert_eq!(err(json!([0, [1], 1.5])), "exponent must be an integer");
        assert_eq!(
            err(json!([0, [1], "x"])),
            "string argument in the third position must be 'F', 'n' or 'N'"
        );
        // The exponent is checked before the coefficient.
        assert_eq!(err(json!([0, [10], null])), "exponent must be an integer");
    }

    #[test]
    fn to_decimal_values() {
        assert_eq!(to_decimal(&json!(3)), Ok(Some(3.0)));
        assert_eq!(to_decimal(&json!(2.5)), Ok(Some(2.5)));
        assert_eq!(to_decimal(&json!(true)), Ok(Some(1.0)));
        assert_eq!(to_decimal(&json!(false)), Ok(Some(0.0)));
        assert_eq!(to_decimal(&json!("580.5")), Ok(Some(580.5)));
        assert_eq!(to_decimal(&json!(" 3 ")), Ok(Some(3.0)));
        assert_eq!(to_decimal(&json!("1e3")), Ok(Some(1000.0)));
        assert_eq!(to_decimal(&json!("-0.0")), Ok(Some(0.0)));
        assert_eq!(
            to_decimal(&json!("1e999999999999999999")),
            Ok(Some(f64::INFINITY))
        );
        assert_eq!(to_decimal(&json!("-1e-999999999999999999")), Ok(Some(-0.0)));
        assert_eq!(to_decimal(&json!("inf")), Ok(Some(f64::INFINITY)));
        assert_eq!(to_decimal(&json!("-Infinity")), Ok(Some(f64::NEG_INFINITY)));
        assert!(to_decimal(&json!("NaN")).unwrap().unwrap().is_nan());
        assert_eq!(to_decimal(&json!("abc")), Ok(None));
        assert_eq!(to_decimal(&json!("")), Ok(None));
        assert_eq!(
            to_decimal(&json!(null)),
            Err(TypeError(
                "conversion from NoneType to Decimal is not supported".into()
            ))
        );
        assert_eq!(
            to_decimal(&json!({})),
            Err(TypeError(
                "conversion from dict to Decimal is not supported".into()
            ))
        );
        assert!(to_decimal(&json!([1])).is_err());
    }
}
