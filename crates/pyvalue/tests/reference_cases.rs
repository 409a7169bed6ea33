//! Cases taken from the reference's recorded behaviour: the conformance case
//! `subst-typed-and-strings` and the examples of the specification (§4.6,
//! §5.4, §5.6).

use chaos_pyvalue::{
    convert, decimal_in_range, py_contains, py_eq, py_le, substitute, Chain, Map, Value,
};
use serde_json::json;

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn subst_typed_and_strings() {
    let configuration = object(json!({
        "n": 3, "f": 1.5, "b": true, "l": [1, "two"], "d": {"k": "v"},
        "s": "world", "nul": null, "to": 2,
    }));
    let secrets = object(json!({}));
    let chain = Chain(vec![&configuration, &secrets]);

    let whole = substitute(
        &json!({"n": "${n}", "f": "${f}", "b": "${b}", "l": "${l}", "d": "${d}",
                "nul": "${nul}", "s": "${s}"}),
        &chain,
    );
    assert_eq!(
        whole,
        json!({"n": 3, "f": 1.5, "b": true, "l": [1, "two"], "d": {"k": "v"},
               "nul": null, "s": "world"})
    );
    assert!(whole["f"].is_f64() && whole["n"].is_i64());

    let in_strings = substitute(
        &json!({
            "mixed": "n=${n} f=${f} b=${b} l=${l} d=${d} nul=${nul}",
            "bare": "hello $s!",
            "dollar": "cost $$5 and $$s",
            "unknown": "keep ${nope} and $nope",
            "twice": "${s}${s}",
            "nested": {"inner": ["${n}", "x${n}"]},
            "not_ident": "${my-key} ${ s }",
        }),
        &chain,
    );
    assert_eq!(
        in_strings,
        json!({
            "mixed": "n=3 f=1.5 b=True l=[1, 'two'] d={'k': 'v'} nul=None",
            "bare": "hello world!",
            "dollar": "cost $5 and $s",
            "unknown": "keep ${nope} and $nope",
            "twice": "worldworld",
            "nested": {"inner": [3, "x3"]},
            "not_ident": "${my-key} ${ s }",
        })
    );
    assert_eq!(
        substitute(&json!("Substitution for ${s}"), &chain),
        json!("Substitution for world")
    );
    assert_eq!(substitute(&json!("${to}"), &chain), json!(2));
    assert_eq!(
        substitute(&json!(["${s}", "${n}", "${b}"]), &chain),
        json!(["world", 3, true])
    );
}

#[test]
fn configuration_beats_secrets_in_order() {
    let configuration = object(json!({"k": "config"}));
    let first = object(json!({"k": "first", "x": "first"}));
    let second = object(json!({"x": "second", "y": "second"}));
    let chain = Chain(vec![&configuration, &first, &second]);
    assert_eq!(
        substitute(&json!(["${k}", "${x}", "${y}"]), &chain),
        json!(["config", "first", "second"])
    );
}

#[test]
fn tolerance_examples_4_6() {
    // Scalar tolerances: Python equality.
    assert!(py_eq(&json!(1), &json!(true)));
    assert!(py_eq(&json!(true), &json!(1)));
    assert!(!py_eq(&json!("true"), &json!(true)));
    assert!(!py_eq(&json!({"status": true}), &json!(true)));
    assert!(!py_eq(&json!(3), &json!("3")));
    // List tolerance of two: an inclusive range with Python ordering.
    let in_range = |lo: Value, v: Value, hi: Value| Ok(py_le(&lo, &v)? && py_le(&v, &hi)?);
    assert_eq!(
        in_range(json!(1), json!(1.5), json!(2)),
        Ok::<_, chaos_pyvalue::TypeError>(true)
    );
    assert_eq!(in_range(json!("a"), json!("b"), json!("c")), Ok(true));
    assert!(in_range(json!(1), json!(null), json!(2)).is_err());
    assert!(in_range(json!(1), json!("1"), json!(2)).is_err());
    // Membership.
    assert!(py_contains(&[json!(1)], &json!(1)));
    assert!(!py_contains(&[], &json!(1)));
    assert!(!py_contains(&[json!(1), json!(2), json!(3)], &json!(5)));
    // Range tolerance: Decimal.
    assert_eq!(
        decimal_in_range(&json!("3"), &json!(1), &json!(5)),
        Ok(true)
    );
    assert_eq!(
        decimal_in_range(&json!(true), &json!(1), &json!(5)),
        Ok(true)
    );
    assert_eq!(
        decimal_in_range(&json!("abc"), &json!(1), &json!(5)),
        Ok(false)
    );
    assert!(decimal_in_range(&json!(null), &json!(1), &json!(5)).is_err());
    assert!(decimal_in_range(&json!({"status": 3}), &json!(1), &json!(5)).is_err());
}

#[test]
fn var_conversions_5_6() {
    assert_eq!(convert(&json!("5"), Some("int")), Ok(json!(5)));
    assert_eq!(convert(&json!("2.5"), Some("float")), Ok(json!(2.5)));
    assert_eq!(convert(&json!("true"), Some("bool")), Ok(json!(true)));
    assert_eq!(convert(&json!("off"), Some("bool")), Ok(json!(true)));
    assert_eq!(convert(&json!(""), Some("bool")), Ok(json!(true)));
    assert_eq!(convert(&json!("No"), Some("bool")), Ok(json!(false)));
    assert_eq!(
        convert(&json!(r#"{"b": [1, 2]}"#), Some("json")),
        Ok(json!({"b": [1, 2]}))
    );
    assert_eq!(
        convert(&json!("1.5"), Some("int")).unwrap_err().0,
        "invalid literal for int() with base 10: '1.5'"
    );
    assert_eq!(
        convert(&json!("x"), Some("list")).unwrap_err().0,
        "variable type can only be: bool, str, int, float, bytes or json"
    );
}
