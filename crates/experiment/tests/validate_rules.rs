//! Every validation rule, one or more tests each.

mod validate_support;

use chaos_experiment::validate::{compile_python_regex, validate, Validation};
use chaos_experiment::{Document, Format, Value};
use serde_json::json;
use validate_support::{MapEnv, TestProviders};

fn run_env(v: &Value, env: &MapEnv) -> Validation {
    let bytes = serde_json::to_vec_pretty(v).unwrap();
    let doc = Document::parse(&bytes, Format::Json, "experiment.json").unwrap();
    validate(&doc, &TestProviders::default(), env)
}

fn run(v: &Value) -> Validation {
    run_env(v, &MapEnv::default())
}

/// `(path, message)` of every error.
fn errors(v: &Value) -> Vec<(String, String)> {
    run(v)
        .errors
        .into_iter()
        .map(|d| (d.path.to_string(), d.message))
        .collect()
}

fn warnings(v: &Value) -> Vec<(String, String)> {
    run(v)
        .warnings
        .into_iter()
        .map(|d| (d.path.to_string(), d.message))
        .collect()
}

fn one_error(v: &Value) -> (String, String) {
    let e = errors(v);
    assert_eq!(e.len(), 1, "expected one error, got {e:#?}");
    e.into_iter().next().unwrap()
}

fn hint_of(v: &Value) -> String {
    let r = run(v);
    assert_eq!(r.errors.len(), 1, "{:#?}", r.errors);
    r.errors[0].hint.clone().unwrap_or_default()
}

fn base() -> Value {
    json!({"title": "t", "description": "d", "method": []})
}

fn with(key: &str, value: Value) -> Value {
    let mut b = base();
    b[key] = value;
    b
}

fn probe(name: &str) -> Value {
    json!({"type": "probe", "name": name, "provider": {"type": "http", "url": "http://localhost/"}})
}

fn method(acts: Vec<Value>) -> Value {
    with("method", Value::Array(acts))
}

fn hypothesis(probes: Vec<Value>) -> Value {
    with(
        "steady-state-hypothesis",
        json!({"title": "h", "probes": probes}),
    )
}

fn tolerance(t: Value) -> Value {
    let mut p = probe("p");
    p["tolerance"] = t;
    hypothesis(vec![p])
}

const TP: &str = "steady-state-hypothesis.probes[0].tolerance";

// ------------------------------------------------------------- experiment

#[test]
fn minimal_experiment_is_valid() {
    let r = run(&base());
    assert!(r.is_valid(), "{:#?}", r.errors);
    assert!(r.warnings.is_empty());
}

#[test]
fn full_experiment_is_valid() {
    let exp = json!({
        "version": "1.0.0",
        "title": "full",
        "description": "everything",
        "tags": ["a", "b"],
        "contributions": {"reliability": "high"},
        "extensions": [{"name": "ext", "data": 1}],
        "configuration": {"plain": 1, "env": {"type": "env", "key": "UNSET", "default": "x"}},
        "secrets": {"scope": {"inline": "v"}},
        "controls": [{"name": "c", "provider": {"type": "python", "module": "m"}, "scope": "before"}],
        "steady-state-hypothesis": {
            "title": "h",
            "probes": [
                {"type": "probe", "name": "h1", "tolerance": 200, "provider": {"type": "http", "url": "http://x"}},
                {"type": "probe", "name": "h2", "tolerance": [200, 503], "provider": {"type": "http", "url": "http://x"}},
                {"type": "probe", "name": "h3", "tolerance": true, "provider": {"type": "process", "path": "true"}},
                {"type": "probe", "name": "h4", "tolerance": "ok", "provider": {"type": "process", "path": "true"}},
                {"type": "probe", "name": "h5", "tolerance": {"type": "regex", "pattern": "^[0-9] ${x}$", "target": "stdout"}, "provider": {"type": "process", "path": "true"}},
                {"type": "probe", "name": "h6", "tolerance": {"type": "jsonpath", "path": "$.items[?(@.ok = true)]"}, "provider": {"type": "http", "url": "http://x"}},
                {"type": "probe", "name": "h7", "tolerance": {"type": "range", "range": [1, 2.5], "target": "status"}, "provider": {"type": "http", "url": "http://x"}},
                {"type": "probe", "name": "h8", "tolerance": {"type": "probe", "name": "tp", "provider": {"type": "python", "module": "m", "func": "f"}}, "provider": {"type": "python", "module": "m", "func": "f"}},
                {"ref": "m1", "tolerance": 0},
                {"ref": "not-looked-up", "tolerance": 0},
            ],
            "controls": [{"name": "hc", "provider": {"type": "python", "module": "m"}}],
        },
        "method": [
            {"type": "action", "name": "m1", "provider": {"type": "process", "path": "true", "arguments": ["-x"]},
             "pauses": {"before": 1, "after": "${wait}"}, "background": true, "timeout": 3.5,
             "controls": [{"name": "ac", "provider": {"type": "python", "module": "m"}}]},
            {"ref": "m1"},
            {"ref": "h1"},
        ],
        "rollbacks": [{"ref": "dangling-is-not-checked"}, probe("rb")],
        "runtime": {"rollbacks": {"strategy": "always"}, "hypothesis": {"strategy": "continuously"}},
    });
    let r = run(&exp);
    assert!(r.is_valid(), "{:#?}", r.errors);
    assert!(r.warnings.is_empty(), "{:#?}", r.warnings);
}

#[test]
fn empty_or_non_mapping_experiment() {
    for v in [
        json!(null),
        json!({}),
        json!([]),
        json!(""),
        json!(0),
        json!(false),
    ] {
        assert_eq!(
            one_error(&v),
            (
                "(document root)".into(),
                "an empty experiment is not an experiment".into()
            ),
            "{v}"
        );
    }
    for v in [json!([1]), json!("x"), json!(3), json!(true)] {
        let (p, m) = one_error(&v);
        assert_eq!(p, "(document root)");
        assert!(m.starts_with("an experiment must be a mapping"), "{m}");
    }
}

#[test]
fn title_and_description() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("title");
    v["description"] = json!("");
    assert_eq!(
        errors(&v),
        vec![
            ("title".into(), "experiment requires a title".into()),
            (
                "description".into(),
                "experiment requires a description".into()
            ),
        ]
    );
    // any truthy title passes
    assert!(run(&with("title", json!(5))).is_valid());
    assert!(run(&with("description", json!(["x"]))).is_valid());
    assert_eq!(
        one_error(&with("title", json!(0))).1,
        "experiment requires a title"
    );
}

#[test]
fn tags() {
    assert!(run(&with("tags", json!([]))).is_valid());
    assert!(run(&with("tags", json!(null))).is_valid());
    assert_eq!(
        errors(&with("tags", json!(["ok", "", 5]))),
        vec![
            (
                "tags[1]".into(),
                "experiment tags must be a non-empty string".into()
            ),
            (
                "tags[2]".into(),
                "experiment tags must be a non-empty string".into()
            ),
        ]
    );
    // the reference quirk: a string is iterated character by character
    let v = with("tags", json!("abc"));
    assert!(run(&v).is_valid());
    assert_eq!(warnings(&v).len(), 1);
    assert!(!run(&with("tags", json!(5))).is_valid());
}

#[test]
fn extensions() {
    assert!(run(&with("extensions", json!([{"name": "x"}]))).is_valid());
    assert!(run(&with("extensions", json!([]))).is_valid());
    let e = errors(&with(
        "extensions",
        json!([{"name": "  "}, {}, {"name": 5}, "str"]),
    ));
    assert_eq!(e.len(), 4, "{e:#?}");
    assert_eq!(
        e[0],
        (
            "extensions[0].name".into(),
            "All extensions require a non-empty name".into()
        )
    );
    assert_eq!(e[1].1, "All extensions require a non-empty name");
    assert_eq!(e[2].1, "All extensions require a non-empty name");
    assert!(e[3].1.starts_with("an extension must be a mapping"));
    assert!(!run(&with("extensions", json!({"name": "x"}))).is_valid());
}

// ---------------------------------------------------- configuration/secrets

#[test]
fn configuration_env_must_exist() {
    let v = with(
        "configuration",
        json!({"x": {"type": "env", "key": "ACC_NOT_SET_ANYWHERE"}}),
    );
    assert_eq!(
        one_error(&v),
        (
            "configuration.x.key".into(),
            "Configuration makes reference to an environment key that does not exist: ACC_NOT_SET_ANYWHERE".into()
        )
    );
    assert!(run_env(&v, &MapEnv::with(&[("ACC_NOT_SET_ANYWHERE", "")])).is_valid());
    let d = with(
        "configuration",
        json!({"x": {"type": "env", "key": "NOPE", "default": null}}),
    );
    assert!(run(&d).is_valid());
}

#[test]
fn configuration_shape_and_types() {
    for bad in [json!([]), json!(null), json!("x")] {
        let (p, m) = one_error(&with("configuration", bad));
        assert_eq!(p, "configuration");
        assert!(m.starts_with("the configuration must be a mapping"), "{m}");
    }
    let v = with(
        "configuration",
        json!({"x": {"type": "env", "key": "A", "env_var_type": "object"}}),
    );
    assert_eq!(
        run_env(&v, &MapEnv::with(&[("A", "1")])).errors[0].message,
        "variable type can only be: bool, str, int, float, bytes or json"
    );
    let all = with(
        "configuration",
        json!({"a": {"type": "env", "key": "N1"}, "b": {"type": "env", "key": "N2"}, "dyn": {"type": "probe"}}),
    );
    assert_eq!(errors(&all).len(), 2);
}

#[test]
fn secrets() {
    let v = with(
        "secrets",
        json!({"app": {"token": {"type": "env", "key": "TOKEN"}}}),
    );
    assert_eq!(
        one_error(&v),
        (
            "secrets.app.token.key".into(),
            "Secrets make reference to an environment key that does not exist: TOKEN".into()
        )
    );
    assert!(run_env(&v, &MapEnv::with(&[("TOKEN", "x")])).is_valid());
    assert!(!run(&with("secrets", json!([]))).is_valid());
    // vault is an error with a hint
    let vault = with(
        "secrets",
        json!({"db": {"pw": {"type": "vault", "path": "secret/db"}}}),
    );
    let r = run(&vault);
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].path.to_string(), "secrets.db.pw");
    assert!(r.errors[0].message.contains("Vault"));
    assert!(r.errors[0].hint.is_some());
}

#[test]
fn secret_warnings() {
    let v = with(
        "secrets",
        json!({"db": {"pw": {"type": "vault", "key": "foo"}}}),
    );
    let w = warnings(&v);
    assert_eq!(w.len(), 1);
    assert!(w[0]
        .1
        .starts_with("Vault secrets must now specify the `path` property."));
    assert_eq!(w[0].0, "secrets.db.pw");
    let w = warnings(&with(
        "secrets",
        json!({"flat": "x", "tok": {"type": "env", "key": "HOME"}}),
    ));
    assert_eq!(w.len(), 2, "{w:#?}");
}

// ------------------------------------------------------------- hypothesis

#[test]
fn hypothesis_shape() {
    assert!(run(&with("steady-state-hypothesis", json!({"title": "h"}))).is_valid());
    assert!(run(&with(
        "steady-state-hypothesis",
        json!({"title": "h", "probes": []})
    ))
    .is_valid());
    assert!(run(&with(
        "steady-state-hypothesis",
        json!({"title": "h", "probes": null})
    ))
    .is_valid());
    assert_eq!(
        one_error(&with("steady-state-hypothesis", json!({}))),
        (
            "steady-state-hypothesis.title".into(),
            "hypothesis requires a title".into()
        )
    );
    for bad in [json!(null), json!([]), json!("x")] {
        let (p, m) = one_error(&with("steady-state-hypothesis", bad));
        assert_eq!(p, "steady-state-hypothesis");
        assert!(m.starts_with("the steady-state hypothesis must be a mapping"));
    }
    let (p, _) = one_error(&with(
        "steady-state-hypothesis",
        json!({"title": "h", "probes": {"a": 1}}),
    ));
    assert_eq!(p, "steady-state-hypothesis.probes");
}

#[test]
fn hypothesis_probe_needs_tolerance() {
    let v = hypothesis(vec![probe("p")]);
    assert_eq!(
        one_error(&v),
        (
            "steady-state-hypothesis.probes[0]".into(),
            "hypothesis probe must have a tolerance entry".into()
        )
    );
    assert_eq!(
        hint_of(&v),
        "add a `tolerance` (for example `tolerance: 200` for an HTTP status, or `true`)"
    );
    // a ref needs one too, and is not looked up
    assert_eq!(
        one_error(&hypothesis(vec![json!({"ref": "nowhere"})])).1,
        "hypothesis probe must have a tolerance entry"
    );
    assert!(run(&hypothesis(vec![
        json!({"ref": "nowhere", "tolerance": true})
    ]))
    .is_valid());
    // an action is accepted
    let mut a = probe("a");
    a["type"] = json!("action");
    a["tolerance"] = json!(true);
    assert!(run(&hypothesis(vec![a])).is_valid());
    // an invalid probe gets both messages
    let e = errors(&hypothesis(vec![
        json!({"type": "probe", "provider": {"type": "http", "url": "u"}}),
    ]));
    assert_eq!(e.len(), 2, "{e:#?}");
}

// ------------------------------------------------------------- tolerances

#[test]
fn tolerance_scalar_types() {
    for ok in [
        json!(true),
        json!(0),
        json!(200),
        json!(-1),
        json!("x"),
        json!([]),
        json!([1, "a", null]),
    ] {
        assert!(run(&tolerance(ok.clone())).is_valid(), "{ok}");
    }
    for bad in [json!(3.5), json!(null), json!(200.0)] {
        let (p, m) = one_error(&tolerance(bad.clone()));
        assert_eq!(p, TP);
        assert!(
            m.starts_with(
                "hypothesis probe tolerance must either be an integer, a string, a boolean"
            ),
            "{m}"
        );
        assert!(m.ends_with("with the value of the probe itself to be validated"));
    }
}

#[test]
fn tolerance_mapping_types() {
    assert_eq!(
        one_error(&tolerance(json!({"type": "xpath"}))),
        (
            format!("{TP}.type"),
            "hypothesis probe tolerance type 'xpath' is unsupported".into()
        )
    );
    assert_eq!(
        one_error(&tolerance(json!({}))).1,
        "hypothesis probe tolerance type 'None' is unsupported"
    );
    assert_eq!(
        one_error(&tolerance(json!({"type": "boom"}))).1,
        "hypothesis probe tolerance type 'boom' is unsupported"
    );
    assert_eq!(
        hint_of(&tolerance(json!({"type": "boom"}))),
        "use one of: probe, regex, jsonpath, range"
    );
}

#[test]
fn regex_tolerance() {
    assert_eq!(
        one_error(&tolerance(json!({"type": "regex"}))),
        (
            TP.into(),
            "hypothesis regex probe tolerance must have a `pattern` key".into()
        )
    );
    let (p, m) = one_error(&tolerance(json!({"type": "regex", "pattern": null})));
    assert_eq!(p, format!("{TP}.pattern"));
    assert!(
        m.starts_with("hypothesis probe tolerance pattern ") && m.ends_with(" has an invalid type"),
        "{m}"
    );
    assert_eq!(
        one_error(&tolerance(json!({"type": "regex", "pattern": "(unclosed"}))).1,
        "hypothesis probe tolerance pattern (unclosed seems invalid: missing ), unterminated subpattern"
    );
    assert_eq!(
        one_error(&tolerance(json!({"type": "regex", "pattern": "[0-9"}))).1,
        "hypothesis probe tolerance pattern [0-9 seems invalid: unterminated character set"
    );
    for ok in [
        "${x}",
        "[0-9]{2}",
        "^[0-9] \\$\\{level\\} ${msg} - done$",
        "(?P<n>a)(?P=n)",
        "(?<=a)b",
        "{x}",
        "}",
    ] {
        assert!(
            run(&tolerance(json!({"type": "regex", "pattern": ok}))).is_valid(),
            "{ok}"
        );
    }
}

#[test]
fn python_regex_semantics_are_exposed() {
    let re = compile_python_regex("^hello$").unwrap();
    assert!(re.is_match("hello\n").unwrap());
    let e = compile_python_regex("a**").unwrap_err();
    assert_eq!(e.msg, "multiple repeat");
}

#[test]
fn jsonpath_tolerance() {
    assert_eq!(
        one_error(&tolerance(json!({"type": "jsonpath"}))),
        (
            TP.into(),
            "hypothesis jsonpath probe tolerance must have a `path` key".into()
        )
    );
    assert_eq!(
        one_error(&tolerance(json!({"type": "jsonpath", "path": "   "}))),
        (
            format!("{TP}.path"),
            "hypothesis probe tolerance JSON path cannot be empty".into()
        )
    );
    assert_eq!(
        one_error(&tolerance(json!({"type": "jsonpath", "path": 5}))).1,
        "hypothesis probe tolerance JSON path 5 has an invalid type"
    );
    assert_eq!(
        one_error(&tolerance(
            json!({"type": "jsonpath", "path": " $.items[? "})
        ))
        .1,
        "hypothesis probe tolerance JSON path $.items[? is invalid"
    );
    let no_dollar = tolerance(json!({"type": "jsonpath", "path": "foo[*].baz"}));
    assert_eq!(
        one_error(&no_dollar).1,
        "hypothesis probe tolerance JSON path foo[*].baz is invalid"
    );
    assert!(hint_of(&no_dollar).contains("starts with `$`"));
    let eqeq = tolerance(json!({"type": "jsonpath", "path": "$.items[?(@.ok == true)]"}));
    let r = run(&eqeq);
    if !r.is_valid() {
        assert_eq!(
            r.errors[0].hint.as_deref(),
            Some("jsonpath2 compares with a single `=`")
        );
    }
    assert!(run(&tolerance(
        json!({"type": "jsonpath", "path": "$.foo.*[?(@.baz)]", "expect": 1})
    ))
    .is_valid());
}

#[test]
fn range_tolerance() {
    let r = |range: Value| tolerance(json!({"type": "range", "range": range}));
    assert_eq!(
        one_error(&tolerance(json!({"type": "range"}))),
        (
            TP.into(),
            "hypothesis range probe tolerance must have a `range` key".into()
        )
    );
    assert_eq!(
        one_error(&r(json!("1-2"))),
        (
            format!("{TP}.range"),
            "hypothesis range must be a sequence".into()
        )
    );
    assert_eq!(
        one_error(&r(json!([1]))).1,
        "hypothesis range sequence must be made of two values"
    );
    assert_eq!(
        one_error(&r(json!([1, 2, 3]))).1,
        "hypothesis range sequence must be made of two values"
    );
    assert_eq!(
        one_error(&r(json!(["a", 6]))),
        (
            format!("{TP}.range[0]"),
            "hypothesis range lower boundary must be a number".into()
        )
    );
    assert_eq!(
        one_error(&r(json!([6, "b"]))).1,
        "hypothesis range upper boundary must be a number"
    );
    assert_eq!(errors(&r(json!([null, null]))).len(), 2);
    for ok in [
        json!([10, 800]),
        json!([10.5, 800.89]),
        json!([true, 2]),
        json!([5, 1]),
    ] {
        assert!(run(&r(ok.clone())).is_valid(), "{ok}");
    }
}

#[test]
fn probe_tolerance_is_an_activity() {
    let e = errors(&tolerance(json!({"type": "probe"})));
    let paths: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, [format!("{TP}.name"), format!("{TP}.provider")]);
    let e = errors(&tolerance(
        json!({"type": "probe", "name": "t", "provider": {"type": "http"}}),
    ));
    assert_eq!(
        e,
        vec![(
            format!("{TP}.provider.url"),
            "a HTTP activity must have a URL".into()
        )]
    );
}

// ---------------------------------------------------------------- method

#[test]
fn method_is_required() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("method");
    let msg = "an experiment requires a method, which can be empty for only checking steady state hypothesis ";
    assert_eq!(one_error(&v), ("method".into(), msg.into()));
    assert_eq!(one_error(&with("method", json!(null))).1, msg);
    let (p, m) = one_error(&with("method", json!({"type": "action"})));
    assert_eq!(p, "method");
    assert!(m.starts_with("the experiment's method must be a list"));
}

#[test]
fn activity_checks_in_order() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({}), "method[0]", "empty activity is no activity"),
        (json!({"ref": ""}), "method[0].ref", "reference to activity must be non-empty strings"),
        (json!({"ref": 5}), "method[0].ref", "reference to activity must be non-empty strings"),
        (json!({"name": "n", "provider": {"type": "http", "url": "u"}}), "method[0].type", "an activity must have a type"),
        (json!({"type": "task", "name": "n", "provider": {"type": "http", "url": "u"}}), "method[0].type", "'task' is not a supported activity type"),
        (json!({"type": "action", "provider": {"type": "http", "url": "u"}}), "method[0].name", "an activity must have a name"),
        (json!({"type": "action", "name": "n"}), "method[0].provider", "an activity requires a provider"),
        (json!({"type": "action", "name": "n", "provider": {}}), "method[0].provider", "an activity requires a provider"),
        (json!({"type": "action", "name": "n", "provider": {"url": "u"}}), "method[0].provider.type", "a provider must have a type"),
        (json!({"type": "action", "name": "n", "provider": {"type": "ruby"}}), "method[0].provider.type", "unknown provider type 'ruby'"),
        (json!({"type": "action", "name": "n", "provider": {"type": "http", "url": "u"}, "timeout": "5"}), "method[0].timeout", "activity timeout must be a number"),
        (json!({"type": "action", "name": "n", "provider": {"type": "http", "url": "u"}, "pauses": {"before": "hello"}}), "method[0].pauses.before", "activity before pause must be a number or a pattern to a variable from the configuration or secrets"),
        (json!({"type": "action", "name": "n", "provider": {"type": "http", "url": "u"}, "pauses": {"after": "world"}}), "method[0].pauses.after", "activity after pause must be a number or a pattern to a variable from the configuration or secrets"),
        (json!({"type": "action", "name": "n", "provider": {"type": "http", "url": "u"}, "background": "yes"}), "method[0].background", "activity background must be a boolean"),
        (json!({"type": "action", "name": "n", "provider": {"type": "http", "url": "u"}, "background": null}), "method[0].background", "activity background must be a boolean"),
        (json!({"type": "action", "name": "n", "provider": {"type": "http"}}), "method[0].provider.url", "a HTTP activity must have a URL"),
        (json!({"type": "action", "name": "n", "provider": {"type": "http", "url": "u", "headers": ["a"]}}), "method[0].provider.headers", "a HTTP activities expect headers as a mapping"),
        (json!({"type": "action", "name": "n", "provider": {"type": "process"}}), "method[0].provider.path", "a process activity must have a path"),
        (json!({"type": "action", "name": "bad-path", "provider": {"type": "process", "path": "no-such-binary-xyz"}}), "method[0].provider.path", "path 'no-such-binary-xyz' cannot be found, in activity 'bad-path'"),
        (json!({"type": "action", "name": "n", "provider": {"type": "python", "func": "f"}}), "method[0].provider.module", "a Python activity must have a module path"),
        (json!({"type": "action", "name": "n", "provider": {"type": "python", "module": "os.path"}}), "method[0].provider.func", "a Python activity must have a function name"),
    ];
    for (act, path, msg) in cases {
        assert_eq!(
            one_error(&method(vec![act.clone()])),
            (path.to_string(), msg.to_string()),
            "{act}"
        );
    }
}

#[test]
fn activity_shapes_the_reference_crashes_on() {
    for (act, path) in [
        (json!("action"), "method[0]"),
        (json!([1]), "method[0]"),
        (
            json!({"type": "action", "name": "n", "provider": "http"}),
            "method[0].provider",
        ),
        (
            json!({"type": "action", "name": "n", "provider": {"type": "http", "url": "u"}, "pauses": [1]}),
            "method[0].pauses",
        ),
        (
            json!({"type": "action", "name": "n", "provider": {"type": "http", "url": "u"}, "pauses": {"before": [1]}}),
            "method[0].pauses.before",
        ),
    ] {
        assert_eq!(one_error(&method(vec![act.clone()])).0, path, "{act}");
    }
    assert_eq!(
        one_error(&method(vec![json!(null)])).1,
        "empty activity is no activity"
    );
}

#[test]
fn accepted_activity_values() {
    for extra in [
        json!({"timeout": 1}),
        json!({"timeout": 1.5}),
        json!({"timeout": true}),
        json!({"timeout": null}),
        json!({"pauses": {"before": 1, "after": 0.5}}),
        json!({"pauses": {"before": "${p}", "after": "${}"}}),
        json!({"pauses": null}),
        json!({"pauses": {}}),
        json!({"background": false}),
        json!({"name": 5}),
        json!({"ref": null}),
    ] {
        let mut a = probe("n");
        for (k, v) in extra.as_object().unwrap() {
            a[k] = v.clone();
        }
        assert!(run(&method(vec![a.clone()])).is_valid(), "{a}");
    }
}

#[test]
fn unknown_provider_type_hint() {
    let v = method(vec![
        json!({"type": "action", "name": "n", "provider": {"type": "ruby"}}),
    ]);
    assert_eq!(hint_of(&v), "use one of: http, process, python");
    let v = method(vec![
        json!({"type": "action", "name": "n", "provider": {"type": 5}}),
    ]);
    assert_eq!(one_error(&v).1, "unknown provider type '5'");
}

#[test]
fn all_problems_are_reported() {
    let v = json!({
        "description": "d",
        "method": [
            {"type": "task", "provider": {"type": "http", "url": "u"}, "timeout": "x", "background": 1},
            {"type": "action", "name": "ok", "provider": {"type": "http"}},
            {"ref": "nope"},
        ],
        "rollbacks": [{"type": "action"}],
    });
    let e = errors(&v);
    let paths: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "title",
            "method[0].type",
            "method[0].name",
            "method[0].timeout",
            "method[0].background",
            "method[1].provider.url",
            "method[2].ref",
            "rollbacks[0].name",
            "rollbacks[0].provider",
        ],
        "{e:#?}"
    );
}

#[test]
fn provider_checks_need_a_sound_activity() {
    // no name: the process path is not looked up
    let v = method(vec![
        json!({"type": "action", "provider": {"type": "process", "path": "no-such-binary-xyz"}}),
    ]);
    assert_eq!(one_error(&v).1, "an activity must have a name");
}

// ------------------------------------------------------------------- refs

#[test]
fn method_refs() {
    let v = method(vec![probe("a"), json!({"ref": "does-not-exist"})]);
    assert_eq!(
        one_error(&v),
        (
            "method[1].ref".into(),
            "referenced activity 'does-not-exist' could not be found in the experiment".into()
        )
    );
    assert!(hint_of(&v).contains("a"));
    // refs to method activities (even later ones) and hypothesis probes
    let mut v = method(vec![
        json!({"ref": "later"}),
        probe("later"),
        json!({"ref": "h"}),
    ]);
    let mut h = probe("h");
    h["tolerance"] = json!(true);
    v["steady-state-hypothesis"] = json!({"title": "t", "probes": [h]});
    assert!(run(&v).is_valid(), "{:#?}", run(&v).errors);
    // rollbacks cannot be referenced
    let mut v = method(vec![json!({"ref": "rb"})]);
    v["rollbacks"] = json!([probe("rb")]);
    assert!(hint_of(&v).starts_with("rollbacks cannot be referenced"));
}

#[test]
fn rollback_refs_are_not_checked() {
    let v = with("rollbacks", json!([{"ref": "nowhere"}]));
    assert!(run(&v).is_valid());
    assert_eq!(
        one_error(&with("rollbacks", json!([{"ref": ""}]))).1,
        "reference to activity must be non-empty strings"
    );
    assert!(!run(&with("rollbacks", json!(null))).is_valid());
    assert!(!run(&with("rollbacks", json!({}))).is_valid());
    assert!(run(&with("rollbacks", json!([]))).is_valid());
}

// --------------------------------------------------------------- controls

fn control(c: Value) -> Value {
    with("controls", json!([c]))
}

#[test]
fn controls() {
    assert_eq!(
        one_error(&control(
            json!({"provider": {"type": "python", "module": "m"}})
        )),
        (
            "controls[0]".into(),
            "A control must have a `name` property".into()
        )
    );
    assert_eq!(
        one_error(&control(json!({"name": "c"}))).1,
        "Control 'c' must have a `provider` property"
    );
    assert_eq!(
        one_error(&control(
            json!({"name": "c", "scope": "post", "provider": {"type": "python", "module": "m"}})
        )),
        (
            "controls[0].scope".into(),
            "Control 'c' scope property must be 'before' or 'after' only".into()
        )
    );
    assert_eq!(
        one_error(&control(
            json!({"name": "c", "provider": {"type": "python"}})
        )),
        (
            "controls[0].provider.module".into(),
            "Control 'c' must have a module path".into()
        )
    );
    assert_eq!(
        one_error(&control(
            json!({"ref": "x", "name": "c", "provider": {"type": "python", "module": "m"}})
        )),
        (
            "controls[0].ref".into(),
            "Control reference '{}' declaration cannot be found".into()
        )
    );
    // a name without a value still counts as present
    assert!(run(&control(
        json!({"name": null, "provider": {"type": "python", "module": "m"}})
    ))
    .is_valid());
    // other provider types pass, with a warning
    let v = control(json!({"name": "c", "provider": {"type": "http"}}));
    assert!(run(&v).is_valid());
    assert_eq!(warnings(&v).len(), 1);
    // shapes
    assert!(!run(&with("controls", json!({"name": "c"}))).is_valid());
    assert!(!run(&with("controls", json!(["c"]))).is_valid());
    assert!(!run(&control(json!({"name": "c", "provider": null}))).is_valid());
}

#[test]
fn controls_everywhere_are_collected() {
    let bad = json!({"name": "c"});
    let mut a = probe("a");
    a["controls"] = json!([bad.clone()]);
    let mut h = probe("h");
    h["tolerance"] = json!(true);
    h["controls"] = json!([bad.clone()]);
    let mut v = method(vec![a.clone()]);
    v["rollbacks"] = json!([a]);
    v["steady-state-hypothesis"] = json!({"title": "t", "probes": [h], "controls": [bad.clone()]});
    v["controls"] = json!([bad]);
    let e = errors(&v);
    let paths: Vec<&str> = e.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "controls[0]",
            "steady-state-hypothesis.controls[0]",
            "steady-state-hypothesis.probes[0].controls[0]",
            "method[0].controls[0]",
            "rollbacks[0].controls[0]",
        ]
    );
    // a ref resolves against named controls anywhere
    let mut v = control(json!({"name": "top", "provider": {"type": "python", "module": "m"}}));
    let mut a = probe("a");
    a["controls"] =
        json!([{"ref": "top", "name": "top", "provider": {"type": "python", "module": "m"}}]);
    v["method"] = json!([a]);
    assert!(run(&v).is_valid(), "{:#?}", run(&v).errors);
}

// ------------------------------------------------------------ deprecations

#[test]
fn process_dict_arguments_warn() {
    let v = method(vec![json!({"type": "action", "name": "n",
        "provider": {"type": "process", "path": "true", "arguments": {"--a": "1"}}})]);
    let r = run(&v);
    assert!(r.is_valid());
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(
        r.warnings[0].path.to_string(),
        "method[0].provider.arguments"
    );
    assert!(r.warnings[0]
        .message
        .starts_with("Process arguments should now be a list"));
}

// ---------------------------------------------------------------- runtime

#[test]
fn runtime_strategies() {
    for (r, h) in [
        ("default", "default"),
        ("never", "skip"),
        ("deviated", "continously"),
        ("always", "during-method-only"),
    ] {
        let v = with(
            "runtime",
            json!({"rollbacks": {"strategy": r}, "hypothesis": {"strategy": h}}),
        );
        assert!(run(&v).is_valid(), "{r} {h}");
    }
    assert_eq!(
        warnings(&with(
            "runtime",
            json!({"hypothesis": {"strategy": "continously"}})
        ))
        .len(),
        1
    );
    let v = with(
        "runtime",
        json!({"rollbacks": {"strategy": "sometimes"}, "hypothesis": {"strategy": "continuous"}}),
    );
    let e = errors(&v);
    assert_eq!(
        e,
        vec![
            (
                "runtime.rollbacks.strategy".into(),
                "Unknown strategy".into()
            ),
            (
                "runtime.hypothesis.strategy".into(),
                "Unknown strategy".into()
            ),
        ]
    );
    let r = run(&v);
    assert!(r.errors[0]
        .hint
        .as_deref()
        .unwrap()
        .contains("default, always, never, deviated"));
    assert!(run(&with("runtime", json!({}))).is_valid());
    assert!(run(&with("runtime", json!(null))).is_valid());
    assert!(run(&with("runtime", json!({"rollbacks": {}}))).is_valid());
    assert!(!run(&with("runtime", json!(["x"]))).is_valid());
    assert!(!run(&with("runtime", json!({"rollbacks": null}))).is_valid());
    assert!(!run(&with("runtime", json!({"hypothesis": {"strategy": null}}))).is_valid());
}

// -------------------------------------------------------------- locations

#[test]
fn diagnostics_are_located() {
    let text = "{\n  \"title\": \"t\",\n  \"description\": \"d\",\n  \"method\": [\n    {\"type\": \"task\", \"name\": \"n\", \"provider\": {\"type\": \"http\", \"url\": \"u\"}}\n  ]\n}\n";
    let doc = Document::parse(text.as_bytes(), Format::Json, "e.json").unwrap();
    let r = validate(&doc, &TestProviders::default(), &MapEnv::default());
    assert_eq!(r.errors.len(), 1);
    let loc = r.errors[0].location.expect("located");
    assert_eq!(loc.line, 5);
}

// ------------------------------------------------------------- robustness

#[test]
fn never_panics_on_odd_values() {
    let odd = [
        json!(null),
        json!(true),
        json!(-1),
        json!(1e300),
        json!(""),
        json!("${"),
        json!([]),
        json!([null, {}, [], "x"]),
        json!({}),
        json!({"type": {"x": [1]}, "ref": [], "name": {}, "provider": [], "pauses": "x", "tolerance": {"type": []}}),
    ];
    let keys = [
        "title",
        "description",
        "tags",
        "extensions",
        "configuration",
        "secrets",
        "controls",
        "steady-state-hypothesis",
        "method",
        "rollbacks",
        "runtime",
    ];
    for k in keys {
        for v in &odd {
            let _ = run(&with(k, v.clone()));
            let _ = run(&with(
                k,
                json!([v.clone(), {"type": "probe", "name": "x", "provider": v.clone(), "controls": v.clone(), "pauses": v.clone(), "tolerance": v.clone()}]),
            ));
            let _ = run(&with(
                k,
                json!({"title": "t", "probes": [{"tolerance": v.clone()}], "rollbacks": v.clone(), "hypothesis": v.clone(), "x": {"type": "env", "key": v.clone(), "env_var_type": v.clone()}}),
            ));
        }
    }
    // deep values
    let mut deep = json!("x");
    for _ in 0..100 {
        deep = json!([deep]);
    }
    let mut a = probe("n");
    a["type"] = deep.clone();
    a["provider"]["type"] = deep.clone();
    let r = run(&method(vec![a]));
    assert_eq!(r.errors.len(), 2);
    let _ = run(&with("secrets", json!({"s": deep.clone()})));
    let _ = run(&tolerance(
        json!({"type": "regex", "pattern": "(".repeat(5000)}),
    ));
    let _ = run(&tolerance(
        json!({"type": "regex", "pattern": "(?:".repeat(300) + &")".repeat(300)}),
    ));
}
