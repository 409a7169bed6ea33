//! `chaos validate` and `chaos run` on invalid experiments: every problem at
//! once, each with its place (JSON path, line and column) and a fix; exit 1;
//! no journal; never a panic.

mod common;

use serde_json::json;

#[test]
fn every_problem_is_reported_at_once_with_path_line_column_and_fix() {
    let dir = common::scratch();
    let text = r#"{
  "title": "broken",
  "description": "three problems",
  "method": [
    {"type": "action", "name": "ok", "provider": {"type": "process", "path": "true"}},
    {"type": "task", "name": "bad-type", "provider": {"type": "process", "path": "true"}},
    {"type": "probe", "name": "no-url", "provider": {"type": "http"}},
    {"type": "probe", "name": "ruby", "provider": {"type": "ruby"}}
  ]
}
"#;
    std::fs::write(dir.path().join("e.json"), text).unwrap();
    let out = common::chaos(dir.path())
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains("'task' is not a supported activity type"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a HTTP activity must have a URL"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown provider type 'ruby'"), "{stderr}");
    assert!(stderr.contains("method[1]"), "paths are shown: {stderr}");
    assert!(stderr.contains("method[2].provider"), "{stderr}");
    assert!(
        stderr.contains("e.json:6:"),
        "line of the bad activity type: {stderr}"
    );
    assert!(
        stderr.contains("e.json:7:"),
        "line of the http provider: {stderr}"
    );
    assert!(
        stderr.contains("fix:"),
        "each error says what to change: {stderr}"
    );
    assert!(stderr.contains("3 errors"), "{stderr}");

    let run = common::chaos(dir.path())
        .args(["run", "e.json"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(
        !dir.path().join("journal.json").exists(),
        "no journal for an invalid experiment"
    );
}

#[test]
fn yaml_errors_point_at_their_line() {
    let dir = common::scratch();
    let text = "title: t\ndescription: d\nsteady-state-hypothesis:\n  title: h\n  probes:\n    - type: probe\n      name: no-tolerance\n      provider:\n        type: process\n        path: 'true'\nmethod: []\n";
    std::fs::write(dir.path().join("e.yaml"), text).unwrap();
    let out = common::chaos(dir.path())
        .args(["validate", "e.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains("hypothesis probe must have a tolerance entry"),
        "{stderr}"
    );
    assert!(stderr.contains("e.yaml:6:"), "{stderr}");
}

#[test]
fn syntax_errors_are_clean_and_located() {
    let dir = common::scratch();
    std::fs::write(
        dir.path().join("e.json"),
        "{\"title\": \"t\",\n \"method\": [}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("e.yaml"), "title: t\nmethod: [a, b\n").unwrap();
    for (file, place) in [("e.json", "e.json:2:"), ("e.yaml", "e.yaml:")] {
        let out = common::chaos(dir.path())
            .args(["validate", file])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = common::stderr(&out);
        assert!(stderr.contains(place), "{stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Traceback"),
            "{stderr}"
        );
    }
}

#[test]
fn hostile_inputs_never_panic() {
    let dir = common::scratch();
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("bomb.yaml", bomb.as_bytes().to_vec()),
        (
            "deep.json",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        ),
        ("junk.json", vec![0xff, 0xfe, 0x00, 0x01, 0x80]),
        ("list.json", b"[1, 2, 3]".to_vec()),
        (
            "null-method.json",
            br#"{"title": "t", "description": "d", "method": null}"#.to_vec(),
        ),
        (
            "config-list.json",
            br#"{"title": "t", "description": "d", "method": [], "configuration": []}"#.to_vec(),
        ),
        ("empty.yaml", Vec::new()),
    ];
    for (name, bytes) in cases {
        std::fs::write(dir.path().join(name), &bytes).unwrap();
        let started = std::time::Instant::now();
        let out = common::chaos(dir.path())
            .args(["validate", name])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}",
            common::stderr(&out)
        );
        let stderr = common::stderr(&out);
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            started.elapsed().as_secs() < 5,
            "{name} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn vars_do_not_reach_validation_as_in_the_reference() {
    let dir = common::scratch();
    let exp = json!({"title": "t", "description": "d",
        "configuration": {"needed": {"type": "env", "key": "E2E_SURELY_UNSET_VARIABLE"}}, "method": []});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = common::chaos(dir.path())
        .args(["run", "--var", "needed=x", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("Configuration makes reference to an environment key that does not exist: E2E_SURELY_UNSET_VARIABLE"));
    let out = common::chaos(dir.path())
        .args(["run", "--no-validation", "--var", "needed=x", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
}
