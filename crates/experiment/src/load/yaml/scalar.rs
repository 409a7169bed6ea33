//! PyYAML's YAML 1.1 scalar rules: the implicit resolver (which plain
//! scalars are booleans, numbers, nulls, timestamps) and the `SafeLoader`
//! constructors for the standard scalar tags.
//!
//! Each matcher follows the regular expression of PyYAML's
//! `resolver.py`, quoted above it, anchored at both ends.

use crate::Value;

/// `tag:yaml.org,2002:`, the prefix of the standard tags.
pub(super) const YAML_TAG: &str = "tag:yaml.org,2002:";

/// What a plain scalar resolves to, as PyYAML's `Resolver` decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    /// `<<`.
    Merge,
    /// `=`.
    Value,
    /// `!`, `&` or `*` (reachable only through the `!` tag).
    Yaml,
    Str,
}

/// PyYAML's implicit resolution of a plain scalar. Resolvers are tried in
/// the order PyYAML registers them (bool, float, int, merge, null,
/// timestamp, value, yaml), only those registered for the first character.
pub(super) fn resolve(v: &str) -> Kind {
    let Some(first) = v.bytes().next() else {
        return Kind::Null;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' => {
            if is_bool(v) {
                Kind::Bool
            } else if is_null(v) {
                Kind::Null
            } else {
                Kind::Str
            }
        }
        b'-' | b'+' | b'0'..=b'9' | b'.' => {
            if is_float(v) {
                Kind::Float
            } else if first != b'.' && is_int(v) {
                Kind::Int
            } else if first.is_ascii_digit() && is_timestamp(v) {
                Kind::Timestamp
            } else {
                Kind::Str
            }
        }
        b'<' if v == "<<" => Kind::Merge,
        b'~' if v == "~" => Kind::Null,
        b'=' if v == "=" => Kind::Value,
        b'!' | b'&' | b'*' if v.len() == 1 => Kind::Yaml,
        _ => Kind::Str,
    }
}

/// `yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF`
fn is_bool(v: &str) -> bool {
    matches!(
        v,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// `~|null|Null|NULL|` (the empty string)
fn is_null(v: &str) -> bool {
    matches!(v, "~" | "null" | "Null" | "NULL" | "")
}

/// A tiny anchored matcher over ASCII bytes.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn new(s: &'a str) -> Self {
        Cur {
            b: s.as_bytes(),
            i: 0,
        }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn eat_if(&mut self, f: impl Fn(u8) -> bool) -> bool {
        match self.peek() {
            Some(c) if f(c) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }
    /// Eats as many as match; returns how many.
    fn eat_while(&mut self, f: impl Fn(u8) -> bool) -> usize {
        let start = self.i;
        while self.eat_if(&f) {}
        self.i - start
    }
    fn sign(&mut self) {
        let _ = self.eat(b'-') || self.eat(b'+');
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
    fn rest(&self) -> &'a [u8] {
        &self.b[self.i.min(self.b.len())..]
    }
    /// `(?::[0-5]?[0-9])+`: at least one group; false if none.
    fn sexagesimal_groups(&mut self) -> bool {
        let mut groups = 0;
        while self.peek() == Some(b':') {
            let save = self.i;
            self.i += 1;
            let digits = self
                .rest()
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let ok = match digits {
                1 => true,
                2 => self.rest()[0] <= b'5',
                _ => false,
            };
            if !ok {
                self.i = save;
                break;
            }
            self.i += digits;
            groups += 1;
        }
        groups > 0
    }
}

fn digit_(c: u8) -> bool {
    c.is_ascii_digit() || c == b'_'
}

/// `(?:[eE][-+][0-9]+)?` then the end.
fn exponent_then_end(c: &mut Cur) -> bool {
    if c.eat(b'e') || c.eat(b'E') {
        if !(c.eat(b'-') || c.eat(b'+')) {
            return false;
        }
        if c.eat_while(|c| c.is_ascii_digit()) == 0 {
            return false;
        }
    }
    c.done()
}

/// ```text
/// [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
/// |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
/// |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
/// |[-+]?\.(?:inf|Inf|INF)
/// |\.(?:nan|NaN|NAN)
/// ```
fn is_float(v: &str) -> bool {
    // first alternative
    let mut c = Cur::new(v);
    c.sign();
    if c.eat_if(|b| b.is_ascii_digit()) {
        c.eat_while(digit_);
        if c.eat(b'.') {
            c.eat_while(digit_);
            if exponent_then_end(&mut c) {
                return true;
            }
        }
    }
    // second
    let mut c = Cur::new(v);
    if c.eat(b'.') && c.eat_if(|b| b.is_ascii_digit()) {
        c.eat_while(digit_);
        if exponent_then_end(&mut c) {
            return true;
        }
    }
    // third
    let mut c = Cur::new(v);
    c.sign();
    if c.eat_if(|b| b.is_ascii_digit()) {
        c.eat_while(digit_);
        if c.sexagesimal_groups() && c.eat(b'.') {
            c.eat_while(digit_);
            if c.done() {
                return true;
            }
        }
    }
    // fourth and fifth
    let unsigned = v.strip_prefix(['-', '+']).unwrap_or(v);
    matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(v, ".nan" | ".NaN" | ".NAN")
}

/// ```text
/// [-+]?0b[0-1_]+
/// |[-+]?0[0-7_]+
/// |[-+]?(?:0|[1-9][0-9_]*)
/// |[-+]?0x[0-9a-fA-F_]+
/// |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
/// ```
fn is_int(v: &str) -> bool {
    let r = v.strip_prefix(['-', '+']).unwrap_or(v);
    let all = |s: &str, f: fn(u8) -> bool| !s.is_empty() && s.bytes().all(f);
    if let Some(d) = r.strip_prefix("0b") {
        if all(d, |c| matches!(c, b'0' | b'1' | b'_')) {
            return true;
        }
    }
    if let Some(d) = r.strip_prefix("0x") {
        if all(d, |c| c.is_ascii_hexdigit() || c == b'_') {
            return true;
        }
    }
    if let Some(d) = r.strip_prefix('0') {
        if d.is_empty() || all(d, |c| matches!(c, b'0'..=b'7' | b'_')) {
            return true;
        }
    }
    let mut c = Cur::new(r);
    if c.eat_if(|b| matches!(b, b'1'..=b'9')) {
        c.eat_while(digit_);
        if c.done() {
            return true;
        }
        if c.sexagesimal_groups() && c.done() {
            return true;
        }
    }
    false
}

/// The resolver's timestamp expression:
/// ```text
/// [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
/// |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
///  (?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
///  (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
/// ```
fn is_timestamp(v: &str) -> bool {
    match parse_timestamp_fields(v) {
        Some(f) => f.time.is_some() || (v.len() == 10 && f.month.len() == 2 && f.day.len() == 2),
        None => false,
    }
}

/// The fields of the timestamp constructor's expression (looser than the
/// resolver's: one-digit months and days without a time).
struct TsFields<'a> {
    year: &'a str,
    month: &'a str,
    day: &'a str,
    time: Option<TimeFields<'a>>,
}

struct TimeFields<'a> {
    hour: &'a str,
    minute: &'a str,
    second: &'a str,
    fraction: Option<&'a str>,
    /// `Z`, or the sign, hours and optional minutes.
    tz: Option<(Option<u8>, &'a str, Option<&'a str>)>,
}

/// ```text
/// ^(?P<year>[0-9][0-9][0-9][0-9])
///  -(?P<month>[0-9][0-9]?)
///  -(?P<day>[0-9][0-9]?)
///  (?:(?:[Tt]|[ \t]+)
///  (?P<hour>[0-9][0-9]?)
///  :(?P<minute>[0-9][0-9])
///  :(?P<second>[0-9][0-9])
///  (?:\.(?P<fraction>[0-9]*))?
///  (?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)
///  (?::(?P<tz_minute>[0-9][0-9]))?))?)?$
/// ```
fn parse_timestamp_fields(v: &str) -> Option<TsFields<'_>> {
    let mut c = Cur::new(v);
    let digits = |c: &mut Cur<'_>, min: usize, max: usize| -> Option<(usize, usize)> {
        let start = c.i;
        let n = c
            .rest()
            .iter()
            .take(max)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if n < min {
            return None;
        }
        c.i += n;
        Some((start, c.i))
    };
    let s = |r: (usize, usize)| &v[r.0..r.1];
    let year = s(digits(&mut c, 4, 4)?);
    if !c.eat(b'-') {
        return None;
    }
    let month = s(digits(&mut c, 1, 2)?);
    if !c.eat(b'-') {
        return None;
    }
    let day = s(digits(&mut c, 1, 2)?);
    if c.done() {
        return Some(TsFields {
            year,
            month,
            day,
            time: None,
        });
    }
    if !(c.eat(b'T') || c.eat(b't')) && c.eat_while(|b| b == b' ' || b == b'\t') == 0 {
        return None;
    }
    let hour = s(digits(&mut c, 1, 2)?);
    if !c.eat(b':') {
        return None;
    }
    let minute = s(digits(&mut c, 2, 2)?);
    if !c.eat(b':') {
        return None;
    }
    let second = s(digits(&mut c, 2, 2)?);
    let mut fraction = None;
    if c.eat(b'.') {
        let start = c.i;
        c.eat_while(|b| b.is_ascii_digit());
        fraction = Some(&v[start..c.i]);
    }
    c.eat_while(|b| b == b' ' || b == b'\t');
    let mut tz = None;
    if c.eat(b'Z') {
        tz = Some((None, "", None));
    } else if let Some(sign) = c.peek().filter(|b| *b == b'-' || *b == b'+') {
        c.i += 1;
        let h = s(digits(&mut c, 1, 2)?);
        let mut m = None;
        if c.eat(b':') {
            m = Some(s(digits(&mut c, 2, 2)?));
        }
        tz = Some((Some(sign), h, m));
    }
    if !c.done() {
        return None;
    }
    Some(TsFields {
        year,
        month,
        day,
        time: Some(TimeFields {
            hour,
            minute,
            second,
            fraction,
            tz,
        }),
    })
}

/// A timestamp as Python would print it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Timestamp {
    /// `date.isoformat()` / `datetime.isoformat()`: `2024-01-02`,
    /// `2024-01-02T03:04:05.100000+00:00`.
    pub iso: String,
    /// `str()`: the same, with a space between date and time.
    pub str_form: String,
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) {
                29
            } else {
                28
            }
        }
    }
}

/// PyYAML's `construct_yaml_timestamp`, producing what `isoformat()`
/// gives; `Err` where Python's `datetime` raises.
pub(super) fn timestamp(v: &str) -> Result<Timestamp, String> {
    let f = parse_timestamp_fields(v).ok_or_else(|| format!("'{v}' is not a timestamp"))?;
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    let (year, month, day) = (num(f.year), num(f.month), num(f.day));
    if year == 0 {
        return Err(format!("year 0 is out of range in timestamp '{v}'"));
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month must be in 1..12 in timestamp '{v}'"));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(format!("day is out of range for month in timestamp '{v}'"));
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    let Some(t) = f.time else {
        return Ok(Timestamp {
            iso: date.clone(),
            str_form: date,
        });
    };
    let (hour, minute, second) = (num(t.hour), num(t.minute), num(t.second));
    if hour > 23 {
        return Err(format!("hour must be in 0..23 in timestamp '{v}'"));
    }
    if minute > 59 {
        return Err(format!("minute must be in 0..59 in timestamp '{v}'"));
    }
    if second > 59 {
        return Err(format!("second must be in 0..59 in timestamp '{v}'"));
    }
    let mut time = format!("{hour:02}:{minute:02}:{second:02}");
    if let Some(frac) = t.fraction.filter(|s| !s.is_empty()) {
        let mut digits: String = frac.chars().take(6).collect();
        while digits.len() < 6 {
            digits.push('0');
        }
        if num(&digits) != 0 {
            time.push('.');
            time.push_str(&digits);
        }
    }
    match t.tz {
        None => {}
        Some((None, _, _)) => time.push_str("+00:00"),
        Some((Some(sign), h, m)) => {
            let total = num(h) * 60 + m.map(num).unwrap_or(0);
            if total >= 24 * 60 {
                return Err(format!(
                    "the time zone offset must be less than 24 hours in timestamp '{v}'"
                ));
            }
            let sign = if sign == b'-' && total != 0 { '-' } else { '+' };
            time.push_str(&format!("{sign}{:02}:{:02}", total / 60, total % 60));
        }
    }
    Ok(Timestamp {
        iso: format!("{date}T{time}"),
        str_form: format!("{date} {time}"),
    })
}

/// A Python integer: exact within 128 bits, else approximated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum PyInt {
    Exact(i128),
    Approx(f64),
}

impl PyInt {
    fn neg(self) -> PyInt {
        match self {
            PyInt::Exact(i) => PyInt::Exact(-i),
            PyInt::Approx(f) => PyInt::Approx(-f),
        }
    }
    fn mul_add(self, mul: u32, add: PyInt) -> PyInt {
        match (self, add) {
            (PyInt::Exact(a), PyInt::Exact(b)) => {
                match a.checked_mul(mul as i128).and_then(|x| x.checked_add(b)) {
                    Some(x) => PyInt::Exact(x),
                    None => PyInt::Approx(a as f64 * mul as f64 + b as f64),
                }
            }
            _ => PyInt::Approx(self.as_f64() * mul as f64 + add.as_f64()),
        }
    }
    fn as_f64(self) -> f64 {
        match self {
            PyInt::Exact(i) => i as f64,
            PyInt::Approx(f) => f,
        }
    }

    /// As a JSON value: an integer when it fits 64 bits, else a float
    /// (as `serde_json` reads large JSON integers).
    pub(super) fn to_value(self) -> Value {
        if let PyInt::Exact(i) = self {
            if let Ok(v) = i64::try_from(i) {
                return Value::from(v);
            }
            if let Ok(v) = u64::try_from(i) {
                return Value::from(v);
            }
        }
        serde_json::Number::from_f64(self.as_f64())
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }

    /// Python `str()`.
    pub(super) fn py_str(self) -> String {
        match self {
            PyInt::Exact(i) => i.to_string(),
            PyInt::Approx(f) => format!("{f:.0}"),
        }
    }
}

/// Python `int(s, base)` on a string without underscores: surrounding
/// whitespace, a sign and the base's prefix are allowed.
fn py_int(s: &str, base: u32) -> Option<PyInt> {
    let s = s.trim();
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let prefix = match base {
        2 => Some(["0b", "0B"]),
        8 => Some(["0o", "0O"]),
        16 => Some(["0x", "0X"]),
        _ => None,
    };
    let s = prefix
        .and_then(|p| s.strip_prefix(p[0]).or_else(|| s.strip_prefix(p[1])))
        .unwrap_or(s);
    if s.is_empty() {
        return None;
    }
    let mut acc = PyInt::Exact(0);
    for ch in s.chars() {
        let d = ch.to_digit(base)?;
        acc = acc.mul_add(base, PyInt::Exact(d as i128));
    }
    Some(if neg { acc.neg() } else { acc })
}

/// PyYAML's `construct_yaml_int`.
pub(super) fn int(v: &str) -> Result<PyInt, String> {
    let bad = || format!("invalid literal for int(): '{v}'");
    let value: String = v.chars().filter(|c| *c != '_').collect();
    let first = value.chars().next().ok_or_else(bad)?;
    let neg = first == '-';
    let value = if first == '-' || first == '+' {
        &value[1..]
    } else {
        &value[..]
    };
    let n = if value == "0" {
        Some(PyInt::Exact(0))
    } else if let Some(d) = value.strip_prefix("0b") {
        py_int(d, 2)
    } else if let Some(d) = value.strip_prefix("0x") {
        py_int(d, 16)
    } else if value.starts_with('0') {
        py_int(value, 8)
    } else if value.contains(':') {
        let mut acc = PyInt::Exact(0);
        for part in value.split(':') {
            acc = acc.mul_add(60, py_int(part, 10).ok_or_else(bad)?);
        }
        Some(acc)
    } else {
        py_int(value, 10)
    };
    let n = n.ok_or_else(bad)?;
    Ok(if neg { n.neg() } else { n })
}

/// Python `float(s)` (after the underscores are gone).
fn py_float(s: &str) -> Option<f64> {
    let t = s.trim();
    // Rust accepts what Python does here (`1.`, `.5`, `1e5`, `inf`,
    // `infinity`, `nan`), except a sign before nan, which Python allows.
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    if unsigned.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    t.parse::<f64>().ok()
}

/// PyYAML's `construct_yaml_float`.
pub(super) fn float(v: &str) -> Result<f64, String> {
    let bad = || format!("could not convert string to float: '{v}'");
    let value: String = v
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_lowercase();
    let first = value.chars().next().ok_or_else(bad)?;
    let sign = if first == '-' { -1.0 } else { 1.0 };
    let value = if first == '-' || first == '+' {
        &value[1..]
    } else {
        &value[..]
    };
    if value == ".inf" {
        Ok(sign * f64::INFINITY)
    } else if value == ".nan" {
        Ok(f64::NAN)
    } else if value.contains(':') {
        // As PyYAML sums: least significant part first.
        let mut acc = 0.0;
        let mut base = 1.0;
        for part in value.rsplit(':') {
            acc += py_float(part).ok_or_else(bad)? * base;
            base *= 60.0;
        }
        Ok(sign * acc)
    } else {
        Ok(sign * py_float(value).ok_or_else(bad)?)
    }
}

/// PyYAML's `construct_yaml_bool`.
pub(super) fn boolean(v: &str) -> Result<bool, String> {
    match v.to_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        _ => Err(format!(
            "'{v}' is not a boolean (yes, no, true, false, on, off)"
        )),
    }
}

/// PyYAML's `construct_yaml_binary` (`base64.decodebytes`, which skips
/// characters outside the alphabet).
pub(super) fn binary(v: &str) -> Result<Vec<u8>, String> {
    if !v.is_ascii() {
        return Err("failed to convert base64 data into ascii".into());
    }
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut n = 0;
    for b in v.bytes() {
        let d = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | d as u32;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        0 => {}
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => return Err("failed to decode base64 data: incorrect padding".into()),
    }
    Ok(out)
}

/// Python `repr(bytes)`, which is also its `str()`.
pub(super) fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut s = String::from("b");
    s.push(quote);
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            c if c as char == quote => {
                s.push('\\');
                s.push(quote);
            }
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push(quote);
    s
}

/// Python `repr(float)` (`1.0`, `1e+16`, `1.5e-05`, `inf`, `nan`).
pub(super) fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Shortest round-trip digits, then Python's layout rules.
    let e = format!("{:e}", f.abs());
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let body = if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        };
        format!("{sign}{body}")
    } else {
        let rest = &digits[1..];
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{}{frac}e{esign}{:02}", &digits[..1], exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_matches_pyyaml() {
        use Kind::*;
        let cases: &[(&str, Kind)] = &[
            ("", Null),
            ("~", Null),
            ("null", Null),
            ("Null", Null),
            ("NULL", Null),
            ("nUll", Str),
            ("yes", Bool),
            ("On", Bool),
            ("OFF", Bool),
            ("oN", Str),
            ("y", Str),
            ("n", Str),
            ("0", Int),
            ("012", Int),
            ("09", Str),
            ("0o17", Str),
            ("0x1F", Int),
            ("0x_1F", Int),
            ("0b101", Int),
            ("0b", Str),
            ("-0", Int),
            ("+685_230", Int),
            ("1:30", Int),
            ("-1_:30", Int),
            ("1:60", Str),
            ("1:5:07", Int),
            ("1.5", Float),
            ("1.", Float),
            ("0.", Float),
            (".5", Float),
            ("._", Str),
            (".5_", Float),
            ("+.5", Str),
            ("1e3", Str),
            ("1.0e3", Str),
            ("1.0e+3", Float),
            ("1_0.5_", Float),
            ("190:20:30.15", Float),
            (".inf", Float),
            ("-.Inf", Float),
            ("+.INF", Float),
            (".NaN", Float),
            ("-.nan", Str),
            ("2024-01-02", Timestamp),
            ("2024-1-2", Str),
            ("2001-12-14t21:59:43.10-05:00", Timestamp),
            ("2001-12-14 21:59:43.10", Timestamp),
            ("2024-01-02 1:02:03 Z", Timestamp),
            ("2024-01-02T01:02", Str),
            ("<<", Merge),
            ("=", Value),
            ("hello", Str),
            ("12:", Str),
            ("1__2", Int),
        ];
        for (s, k) in cases {
            assert_eq!(resolve(s), *k, "{s:?}");
        }
    }

    #[test]
    fn constructors() {
        assert_eq!(int("012").unwrap(), PyInt::Exact(10));
        assert_eq!(int("-1_:30").unwrap(), PyInt::Exact(-90));
        assert_eq!(int("190:20:30").unwrap(), PyInt::Exact(685230));
        assert_eq!(int("0x_1F").unwrap(), PyInt::Exact(31));
        assert_eq!(int("0b1010").unwrap(), PyInt::Exact(10));
        assert_eq!(int("0o17").unwrap(), PyInt::Exact(15));
        assert_eq!(int("-0").unwrap(), PyInt::Exact(0));
        assert!(int("0b_").is_err());
        assert!(int("").is_err());
        assert!(int("abc").is_err());
        assert_eq!(float("1_0.5_").unwrap(), 10.5);
        assert_eq!(float("190:20:30.15").unwrap(), 685230.15);
        assert_eq!(float("-.inf").unwrap(), f64::NEG_INFINITY);
        assert!(float(".NaN").unwrap().is_nan());
        assert_eq!(float("1").unwrap(), 1.0);
        assert_eq!(float("1e3").unwrap(), 1000.0);
        assert!(float("x").is_err());
        assert_eq!(timestamp("2024-01-02").unwrap().iso, "2024-01-02");
        assert_eq!(timestamp("2024-1-2").unwrap().iso, "2024-01-02");
        let t = timestamp("2001-12-14t21:59:43.10-05:00").unwrap();
        assert_eq!(t.iso, "2001-12-14T21:59:43.100000-05:00");
        assert_eq!(t.str_form, "2001-12-14 21:59:43.100000-05:00");
        assert_eq!(
            timestamp("2024-01-02 1:02:03 Z").unwrap().iso,
            "2024-01-02T01:02:03+00:00"
        );
        assert_eq!(
            timestamp("2024-01-02 01:02:03.0 -0").unwrap().iso,
            "2024-01-02T01:02:03+00:00"
        );
        assert_eq!(
            timestamp("2024-01-02 01:02:03+5:99").unwrap().iso,
            "2024-01-02T01:02:03+06:39"
        );
        assert!(timestamp("2023-02-29").is_err());
        assert!(timestamp("2024-13-01").is_err());
        assert!(timestamp("2024-01-02 01:02:03+24").is_err());
        assert_eq!(binary("aGVs\nbG8=").unwrap(), b"hello");
        assert_eq!(bytes_repr(b"a'b\x00"), "b\"a'b\\x00\"");
    }

    #[test]
    fn float_reprs() {
        for (f, s) in [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (123456.789, "123456.789"),
            (f64::INFINITY, "inf"),
            (-0.0, "-0.0"),
        ] {
            assert_eq!(float_repr(f), s);
        }
    }
}
