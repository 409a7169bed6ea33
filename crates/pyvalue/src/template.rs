//! `${name}` substitution: chaostoolkit-lib's `substitute` over Python's
//! `string.Template`.

use serde_json::{Map, Value};

use crate::format::py_str;

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

/// A value looks up in its top-level keys when it is a mapping; any other
/// value binds nothing.
impl Lookup for Value {
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(name))
    }
}

impl<T: Lookup + ?Sized> Lookup for &T {
    fn lookup(&self, name: &str) -> Option<&Value> {
        (**self).lookup(name)
    }
}

/// Python's `collections.ChainMap` over mappings: the first mapping that has
/// the name wins.
///
/// chaostoolkit-lib looks names up in the configuration first, then in each
/// secret scope's mapping in declaration order:
/// `Chain(vec![&configuration, &scope_a, &scope_b])`.
#[derive(Debug, Clone, Default)]
pub struct Chain<'a>(pub Vec<&'a Map<String, Value>>);

impl Lookup for Chain<'_> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.0.iter().find_map(|m| m.get(name))
    }
}

/// Substitutes every string inside `value` (mapping values, list elements),
/// returning a new value. Falsy inputs are returned unchanged.
///
/// Mapping keys are not substituted; nested lists stay nested; numbers,
/// booleans and null are returned as they are. Each string goes through
/// [`substitute_str`], so a string that is exactly `"${name}"` is replaced by
/// the bound value with its own type.
pub fn substitute(value: &Value, lookup: &dyn Lookup) -> Value {
    match value {
        Value::String(s) => substitute_str(s, lookup),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, lookup)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, lookup)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

/// Substitutes one string: `"${name}"` alone keeps the bound value's type,
/// anything else is a `string.Template.safe_substitute`.
///
/// The template rules are Python's, to the character:
/// - `$$` becomes `$`;
/// - `$identifier` and `${identifier}` (identifier: ASCII
///   `[_A-Za-z][_A-Za-z0-9]*`, the longest run, so `$namex` names `namex`)
///   are replaced by the [`py_str`] of the bound value, and left verbatim
///   when the name is unbound;
/// - any other `$` (a lone `$`, `${my-key}`, `${ s }`) is left alone.
///
/// Only the exact whole string `${identifier}` with a bound name is typed;
/// `"$name"` or `" ${name}"` always give a string.
pub fn substitute_str(s: &str, lookup: &dyn Lookup) -> Value {
    if let Some(name) = whole_braced_placeholder(s) {
        if let Some(value) = lookup.lookup(name) {
            return value.clone();
        }
    }
    Value::String(safe_substitute(s, lookup))
}

/// The name in `s` when `s` is exactly `${identifier}`.
fn whole_braced_placeholder(s: &str) -> Option<&str> {
    let name = s.strip_prefix("${")?.strip_suffix('}')?;
    (identifier_len(name.as_bytes()) == name.len() && !name.is_empty()).then_some(name)
}

/// Length of the identifier (`[_a-z][_a-z0-9]*`, ASCII, any case) at the start
/// of `bytes`; 0 when there is none.
fn identifier_len(bytes: &[u8]) -> usize {
    match bytes.first() {
        Some(&b) if b == b'_' || b.is_ascii_alphabetic() => {
            1 + bytes[1..]
                .iter()
                .take_while(|&&b| b == b'_' || b.is_ascii_alphanumeric())
                .count()
        }
        _ => 0,
    }
}

/// Python `string.Template(s).safe_substitute(mapping)`, where the pattern is
/// `\$(?:(\$)|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*)\}|())` (ASCII,
/// case-insensitive), matched left to right.
fn safe_substitute(s: &str, lookup: &dyn Lookup) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    // Start of the text not copied yet, and where to look for the next `$`.
    let mut copied = 0;
    let mut pos = 0;
    while let Some(offset) = s[pos..].find('$') {
        let dollar = pos + offset;
        out.push_str(&s[copied..dollar]);
        let rest = &bytes[dollar + 1..];
        let named = identifier_len(rest);
        let end = if rest.first() == Some(&b'$') {
            // Escaped delimiter.
            out.push('$');
            dollar + 2
        } else if named > 0 {
            let name = &s[dollar + 1..dollar + 1 + named];
            let end = dollar + 1 + named;
            push_lookup(&mut out, lookup, name, &s[dollar..end]);
            end
        } else if rest.first() == Some(&b'{')
            && identifier_len(&rest[1..]) > 0
            && rest.get(1 + identifier_len(&rest[1..])) == Some(&b'}')
        {
            let len = identifier_len(&rest[1..]);
            let name = &s[dollar + 2..dollar + 2 + len];
            let end = dollar + 2 + len + 1;
            push_lookup(&mut out, lookup, name, &s[dollar..end]);
            end
        } else {
            // Ill-formed: the `$` alone matches and is kept.
            out.push('$');
            dollar + 1
        };
        copied = end;
        pos = end;
    }
    out.push_str(&s[copied..]);
    out
}

fn push_lookup(out: &mut String, lookup: &dyn Lookup, name: &str, verbatim: &str) {
    match lookup.lookup(name) {
        Some(Value::String(v)) => out.push_str(v),
        Some(v) => out.push_str(&py_str(v)),
        None => out.push_str(verbatim),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> Map<String, Value> {
        match json!({
            "n": 3,
            "f": 1.5,
            "b": true,
            "l": [1, "two"],
            "d": {"k": "v"},
            "s": "world",
            "nul": null,
            "to": 2,
            "empty": "",
            "big": 1e16,
            "name": "N",
            "namex": "NX",
        }) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn sub(s: &str) -> Value {
        substitute_str(s, &config())
    }

    #[test]
    fn whole_placeholder_keeps_the_type() {
        assert_eq!(sub("${n}"), json!(3));
        assert_eq!(sub("${f}"), json!(1.5));
        assert_eq!(sub("${b}"), json!(true));
        assert_eq!(sub("${l}"), json!([1, "two"]));
        assert_eq!(sub("${d}"), json!({"k": "v"}));
        assert_eq!(sub("${nul}"), json!(null));
        assert_eq!(sub("${s}"), json!("world"));
        assert_eq!(sub("${empty}"), json!(""));
    }

    #[test]
    fn bare_whole_placeholder_is_a_string() {
        assert_eq!(sub("$n"), json!("3"));
        assert_eq!(sub("$b"), json!("True"));
        assert_eq!(sub("$nul"), json!("None"));
        assert_eq!(sub("$l"), json!("[1, 'two']"));
    }

    #[test]
    fn values_inside_strings_use_python_str() {
        assert_eq!(
            sub("n=${n} f=${f} b=${b} l=${l} d=${d} nul=${nul}"),
            json!("n=3 f=1.5 b=True l=[1, 'two'] d={'k': 'v'} nul=None")
        );
        assert_eq!(sub("x${n}"), json!("x3"));
        assert_eq!(sub("${n} "), json!("3 "));
        assert_eq!(sub("${s}${s}"), json!("worldworld"));
        assert_eq!(sub("big=${big}"), json!("big=1e+16"));
        assert_eq!(
            sub("Substitution for ${s}"),
            json!("Substitution for world")
        );
    }

    #[test]
    fn bare_names_and_escapes() {
        assert_eq!(sub("hello $s!"), json!("hello world!"));
        assert_eq!(sub("cost $$5 and $$s"), json!("cost $5 and $s"));
        assert_eq!(sub("$$"), json!("$"));
        assert_eq!(sub("$$$s"), json!("$world"));
        assert_eq!(sub("$$${s}"), json!("$world"));
        assert_eq!(sub("$"), json!("$"));
        assert_eq!(sub("a $ b"), json!("a $ b"));
        assert_eq!(sub("100$"), json!("100$"));
        assert_eq!(sub("$1"), json!("$1"));
        // The identifier is the longest run: `$namex` names `namex`.
        assert_eq!(sub("$namex"), json!("NX"));
        assert_eq!(sub("$name-x"), json!("N-x"));
        assert_eq!(sub("$names"), json!("$names"));
        assert_eq!(sub("${name}s"), json!("Ns"));
        assert_eq!(sub("$s.$n"), json!("world.3"));
    }

    #[test]
    fn unknown_and_ill_formed_placeholders_stay() {
        assert_eq!(sub("${nope}"), json!("${nope}"));
        assert_eq!(
            sub("keep ${nope} and $nope"),
            json!("keep ${nope} and $nope")
        );
        assert_eq!(sub("hello ${firstname}"), json!("hello ${firstname}"));
        assert_eq!(sub("${my-key} ${ s }"), json!("${my-key} ${ s }"));
        assert_eq!(sub("${my-key}"), json!("${my-key}"));
        assert_eq!(sub("${ s }"), json!("${ s }"));
        assert_eq!(sub("${s"), json!("${s"));
        assert_eq!(sub("${}"), json!("${}"));
        assert_eq!(sub("${1}"), json!("${1}"));
        assert_eq!(sub("${s}}"), json!("world}"));
        assert_eq!(sub("{$s}"), json!("{world}"));
        assert_eq!(sub("\\$\\{s\\}"), json!("\\$\\{s\\}"));
        assert_eq!(sub("^${s}$"), json!("^world$"));
        // Identifiers are ASCII only.
        assert_eq!(sub("$é"), json!("$é"));
        assert_eq!(sub("${é}"), json!("${é}"));
        assert_eq!(sub("é$s€"), json!("éworld€"));
    }

    #[test]
    fn identifiers_are_case_sensitive_lookups() {
        // The pattern accepts upper case; the lookup itself is exact.
        assert_eq!(sub("${S}"), json!("${S}"));
        let m = match json!({"S": "up", "_a1": 1}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        assert_eq!(substitute_str("${S} $S ${_a1}", &m), json!("up up 1"));
        assert_eq!(substitute_str("${_a1}", &m), json!(1));
    }

    #[test]
    fn walk_values() {
        let data = json!({
            "mixed": "n=${n}",
            "typed": "${n}",
            "${s}": "key is not substituted",
            "nested": {"inner": ["${n}", "x${n}", ["${b}"], 4, null, false]},
            "num": 1.5,
            "empty_list": [],
            "empty_map": {},
            "empty": "",
        });
        assert_eq!(
            substitute(&data, &config()),
            json!({
                "mixed": "n=3",
                "typed": 3,
                "${s}": "key is not substituted",
                "nested": {"inner": [3, "x3", [true], 4, null, false]},
                "num": 1.5,
                "empty_list": [],
                "empty_map": {},
                "empty": "",
            })
        );
        for falsy in [
            json!(null),
            json!(""),
            json!({}),
            json!([]),
            json!(0),
            json!(false),
        ] {
            assert_eq!(substitute(&falsy, &config()), falsy);
        }
        assert_eq!(substitute(&json!(7), &config()), json!(7));
        assert_eq!(substitute(&json!("${d}"), &config()), json!({"k": "v"}));
        // Key order is kept.
        let out = substitute(&json!({"z": "$s", "a": "$n"}), &config());
        assert_eq!(
            out.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["z", "a"]
        );
    }

    #[test]
    fn chain_first_hit_wins() {
        let configuration = match json!({"a": "config", "n": 1}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let scope1 = match json!({"a": "secret1", "b": "secret1", "t": "tok"}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let scope2 = match json!({"b": "secret2", "c": [1]}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let chain = Chain(vec![&configuration, &scope1, &scope2]);
        assert_eq!(substitute_str("${a}", &chain), json!("config"));
        assert_eq!(substitute_str("${b}", &chain), json!("secret1"));
        assert_eq!(substitute_str("${c}", &chain), json!([1]));
        assert_eq!(substitute_str("${n}", &chain), json!(1));
        assert_eq!(
            substitute_str("Bearer $t/${c}", &chain),
            json!("Bearer tok/[1]")
        );
        assert_eq!(substitute_str("${zz}", &chain), json!("${zz}"));
        assert_eq!(substitute_str("${a}", &Chain::default()), json!("${a}"));
    }

    #[test]
    fn value_as_lookup() {
        let v = json!({"x": 1});
        assert_eq!(substitute_str("${x}", &v), json!(1));
        assert_eq!(substitute_str("${x}", &json!([1])), json!("${x}"));
        assert_eq!(substitute_str("${x}", &&v), json!(1));
    }
}
