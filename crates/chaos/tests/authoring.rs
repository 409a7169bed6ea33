//! Authoring: `chaos init` (the reference's wizard, and templates) and
//! `chaos schema`, checked with Python's `jsonschema` against the
//! conformance cases the reference accepts and those it rejects for their
//! structure.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

const TEMPLATES: &[&str] = &[
    "http",
    "process-kill",
    "kubernetes-pod-kill",
    "network-latency",
];

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `chaos ARGS` in `dir` with `input` on stdin.
fn chaos_with_input(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = common::chaos(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn validate(dir: &Path, file: &Path) -> Output {
    common::chaos(dir)
        .arg("validate")
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn every_template_validates_as_written_in_json_and_yaml() {
    let dir = common::scratch();
    for name in TEMPLATES {
        for ext in ["json", "yaml"] {
            let file = dir.path().join(format!("{name}.{ext}"));
            let out = common::chaos(dir.path())
                .args(["init", "--template", name, "--experiment-path"])
                .arg(&file)
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name}: {}",
                common::stderr(&out)
            );
            assert!(stdout(&out).contains("saved in"), "{}", stdout(&out));
            let text = std::fs::read_to_string(&file).unwrap();
            if ext == "json" {
                let v: Value = serde_json::from_str(&text).unwrap();
                assert!(v["method"].as_array().is_some_and(|m| !m.is_empty()));
            } else {
                let v: Value = serde_norway::from_str(&text).unwrap();
                let j: Value = serde_json::from_str(
                    &std::fs::read_to_string(dir.path().join(format!("{name}.json"))).unwrap(),
                )
                .unwrap();
                assert_eq!(v, j, "{name}: the YAML says the same as the JSON");
            }
            let out = validate(dir.path(), &file);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name}.{ext} does not validate: {}{}",
                stdout(&out),
                common::stderr(&out)
            );
        }
    }
}

#[test]
fn templates_are_listed_and_never_overwrite_unless_forced() {
    let dir = common::scratch();
    for args in [
        &["init", "--template", "list"][..],
        &["init", "--list-templates"][..],
    ] {
        let out = common::chaos(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        for name in TEMPLATES {
            assert!(
                text.lines()
                    .any(|l| l.starts_with(name) && l.len() > name.len() + 10),
                "{name} listed with a description: {text}"
            );
        }
    }
    // Default path: experiment.json.
    let out = common::chaos(dir.path())
        .args(["init", "--template", "http"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let first = std::fs::read_to_string(dir.path().join("experiment.json")).unwrap();
    std::fs::write(dir.path().join("experiment.json"), "mine").unwrap();
    let out = common::chaos(dir.path())
        .args(["init", "--template", "process-kill"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("experiment.json")).unwrap(),
        "mine"
    );
    let out = common::chaos(dir.path())
        .args(["init", "--template", "http", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("experiment.json")).unwrap(),
        first
    );
    let out = common::chaos(dir.path())
        .args(["init", "--template", "nope", "--experiment-path", "x.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("process-kill"));
    assert!(!dir.path().join("x.json").exists());
}

const DISCOVERY: &str = r#"{"activities":[
{"type":"probe","name":"pods_in_phase","mod":"chaosk8s.pod.probes","doc":"Lookup pods.","arguments":[{"name":"label_selector","type":"string"},{"name":"phase","default":"Running","type":"string"},{"name":"ns","default":"default","type":"string"},{"name":"raise_on_invalid_phase","default":true,"type":"boolean"},{"name":"secrets","default":null,"type":"mapping"}]},
{"type":"action","name":"terminate_pods","mod":"chaosk8s.pod.actions","doc":"Kill pods.","arguments":[{"name":"label_selector","default":null,"type":"string"},{"name":"qty","default":1,"type":"integer"}]}
]}"#;

/// Answers to the wizard: title, hypothesis with one probe, a method with
/// one action (one bad answer on the way), a rollback.
const ANSWERS: &str =
    "My exp\ny\nHypo\n1\ny\n200\napp=x\n\n\n\nn\ny\n2\ny\n\nthree\n3\nn\ny\n1\ny\napp=y\n\nn\n";

/// What the reference (chaostoolkit 1.19) writes for these answers.
fn reference_outcome() -> Value {
    json!({
        "title": "My exp",
        "description": "N/A",
        "tags": [],
        "steady-state-hypothesis": {
            "title": "Hypo",
            "probes": [{
                "type": "probe",
                "name": "pods_in_phase",
                "provider": {
                    "type": "python",
                    "module": "chaosk8s.pod.probes",
                    "func": "pods_in_phase",
                    "arguments": {
                        "label_selector": "app=x",
                        "phase": "Running",
                        "ns": "default",
                        "raise_on_invalid_phase": true
                    }
                },
                "tolerance": "200"
            }]
        },
        "method": [{
            "type": "action",
            "name": "terminate_pods",
            "provider": {
                "type": "python",
                "module": "chaosk8s.pod.actions",
                "func": "terminate_pods",
                "arguments": {"label_selector": null, "qty": 3}
            }
        }],
        "rollbacks": [{
            "type": "action",
            "name": "terminate_pods",
            "provider": {
                "type": "python",
                "module": "chaosk8s.pod.actions",
                "func": "terminate_pods",
                "arguments": {"label_selector": "app=y", "qty": 1}
            }
        }]
    })
}

#[test]
fn the_wizard_asks_as_the_reference_and_writes_json_and_yaml() {
    let dir = common::scratch();
    std::fs::write(dir.path().join("discovery.json"), DISCOVERY).unwrap();
    let out = chaos_with_input(dir.path(), &["init"], ANSWERS);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let text = stdout(&out);
    for prompt in [
        "You are about to create an experiment.",
        "Experiment's title: ",
        "Do you want to define a steady state hypothesis now? [y/N]: ",
        "Hypothesis's title: ",
        "Add an activity\n1) pods_in_phase\nActivity (0 to escape): ",
        "\nLookup pods.\nDo you want to use this probe? [y/N]: ",
        "What is the tolerance for this probe?: ",
        "Argument's value for 'label_selector': Argument's value for 'phase' [Running]: ",
        "Argument's value for 'raise_on_invalid_phase' [True]: ",
        "Do you want to define an experimental method? [y/N]: ",
        "1) pods_in_phase\n2) terminate_pods\n",
        "Argument's value for 'label_selector' []: Argument's value for 'qty' [1]: Error: 'three' is not a valid integer.\n",
        "Do you want to add some rollbacks now? [y/N]: Add an activity\n1) terminate_pods\n",
        "\nExperiment created and saved in './experiment.json'\n",
    ] {
        assert!(text.contains(prompt), "missing {prompt:?} in:\n{text}");
    }
    let written = std::fs::read_to_string(dir.path().join("experiment.json")).unwrap();
    assert!(
        written.starts_with("{\n    \"title\": \"My exp\",\n"),
        "indent 4: {written}"
    );
    let v: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(v, reference_outcome());

    let out = chaos_with_input(
        dir.path(),
        &["init", "--experiment-path", "exp.YAML"],
        ANSWERS,
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let yaml = std::fs::read_to_string(dir.path().join("exp.YAML")).unwrap();
    // PyYAML's layout: indent 4, sequences not indented in mappings.
    assert!(
        yaml.contains("    probes:\n    -   type: probe\n        name: pods_in_phase\n"),
        "{yaml}"
    );
    let v: Value = serde_norway::from_str(&yaml).unwrap();
    assert_eq!(v, reference_outcome());
}

#[test]
fn without_discovery_the_wizard_makes_an_experiment_without_method() {
    let dir = common::scratch();
    let out = chaos_with_input(dir.path(), &["init"], "\nT\nmaybe\ny\nH\n");
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("No discovery was found, let's create an empty experiment\n"));
    assert!(text.contains("Error: invalid input\n"));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("experiment.json")).unwrap())
            .unwrap();
    assert_eq!(
        v,
        json!({"title": "T", "description": "N/A", "tags": [],
               "steady-state-hypothesis": {"title": "H", "probes": []}})
    );
    // Input ends before the questions do: click's "Aborted!", exit 1.
    let out = chaos_with_input(
        dir.path(),
        &["init", "--experiment-path", "other.json"],
        "T\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("Aborted!"));
    assert!(!dir.path().join("other.json").exists());
}

/// A webhook receiver on loopback and the JSON bodies it gets.
fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 {
                    break;
                }
                let h = h.trim_end().to_ascii_lowercase();
                if h.is_empty() {
                    break;
                }
                if let Some(v) = h.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            store
                .lock()
                .unwrap()
                .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
            let mut w = stream;
            let _ =
                w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, got)
}

#[test]
fn init_notifies_started_then_completed_with_the_experiment() {
    let dir = common::scratch();
    let (url, got) = receiver();
    let settings = dir.path().join("settings.yaml");
    std::fs::write(
        &settings,
        format!("notifications:\n- type: http\n  url: {url}\n"),
    )
    .unwrap();
    let mut child = Command::new(common::chaos_bin())
        .current_dir(dir.path())
        .args(["--no-log-file", "--settings"])
        .arg(&settings)
        .arg("init")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"T\nn\n").unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let events = got.lock().unwrap().clone();
    let names: Vec<&str> = events.iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, ["init-started", "init-completed"]);
    assert_eq!(events[0]["phase"], "init");
    assert_eq!(events[0]["payload"], Value::Null);
    assert_eq!(events[1]["payload"]["title"], "T");
}

// ---------------------------------------------------------------------------
// chaos schema
// ---------------------------------------------------------------------------

fn conformance_cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/cases")
}

/// The experiment file of a case (its `case.json` may name it).
fn case_experiment(case: &Path) -> Option<PathBuf> {
    let meta: Value = std::fs::read_to_string(case.join("case.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    if let Some(name) = meta["experiment"].as_str() {
        let p = case.join(name);
        return p.exists().then_some(p);
    }
    ["experiment.json", "experiment.yaml", "experiment.yml"]
        .iter()
        .map(|n| case.join(n))
        .find(|p| p.exists())
}

/// The reference's messages for experiments wrong in their structure (a
/// missing key, a wrong type, a value outside a fixed set): what a schema
/// can see without the environment, the file system or Python.
const STRUCTURAL: &[&str] = &[
    "experiment requires a title",
    "experiment requires a description",
    "requires a method",
    "an activity must have a type",
    "is not a supported activity type",
    "an activity must have a name",
    "an activity requires a provider",
    "a provider must have a type",
    "unknown provider type",
    "activity timeout must be a number",
    "pause must be a number or a pattern",
    "activity background must be a boolean",
    "must have a URL",
    "a process activity must have a path",
    "a Python activity must have a module path",
    "a Python activity must have a function name",
    "hypothesis requires a title",
    "hypothesis probe must have a tolerance entry",
    "tolerance type '",
    "tags must be a non-empty string",
    "must have a `pattern` key",
    "must have a `path` key",
    "must have a `range` key",
];

const CHECK: &str = r#"
import json, sys, pathlib, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
out = {}
for path in sys.argv[2:]:
    p = pathlib.Path(path)
    text = p.read_text()
    try:
        doc = yaml.safe_load(text) if p.suffix in (".yaml", ".yml") else json.loads(text)
    except Exception as e:
        out[path] = ["unparseable: %s" % e]
        continue
    out[path] = ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message) for e in v.iter_errors(doc)]
print(json.dumps(out))
"#;

/// Each file's schema errors (empty: valid), by Python's `jsonschema`.
fn schema_errors(schema: &Path, files: &[PathBuf]) -> serde_json::Map<String, Value> {
    let python = common::venv(
        "authoring-jsonschema",
        &["jsonschema==4.23.0", "PyYAML==6.0.2"],
    );
    let out = Command::new(python)
        .arg("-c")
        .arg(CHECK)
        .arg(schema)
        .args(files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    match serde_json::from_slice(&out.stdout).unwrap() {
        Value::Object(m) => m,
        other => panic!("{other}"),
    }
}

#[test]
fn schema_is_printed_and_written() {
    let dir = common::scratch();
    let out = common::chaos(dir.path()).arg("schema").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        printed["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        printed["required"],
        json!(["title", "description", "method"])
    );
    for key in [
        "title",
        "description",
        "tags",
        "contributions",
        "configuration",
        "secrets",
        "steady-state-hypothesis",
        "method",
        "rollbacks",
        "controls",
        "runtime",
        "extensions",
        "proxies",
    ] {
        assert!(printed["properties"].get(key).is_some(), "{key}");
    }
    let file = dir.path().join("schema.json");
    let out = common::chaos(dir.path())
        .args(["schema", "--output"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written, printed);
}

#[test]
fn schema_accepts_what_the_reference_accepts_and_rejects_broken_structures() {
    let dir = common::scratch();
    let schema = dir.path().join("experiment.schema.json");
    let out = common::chaos(dir.path())
        .args(["schema", "-o"])
        .arg(&schema)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    let mut accepted = Vec::new();
    let mut structural = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(conformance_cases())
        .expect("../shared/conformance/cases")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    cases.sort();
    for case in &cases {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap())
                .unwrap();
        let Some(experiment) = case_experiment(case) else {
            continue;
        };
        let validate_exit = expected["view"]["validate_exit"].as_i64().unwrap_or(0);
        let error = expected["info"]["reference_error"].as_str().unwrap_or("");
        if validate_exit == 0 {
            accepted.push(experiment);
        } else if STRUCTURAL.iter().any(|m| error.contains(m)) {
            structural.push(experiment);
        }
    }
    assert!(accepted.len() >= 40, "{} accepted cases", accepted.len());
    assert!(
        structural.len() >= 8,
        "{} structural cases",
        structural.len()
    );

    // Our templates and a few structures the reference refuses.
    for name in TEMPLATES {
        for ext in ["json", "yaml"] {
            let file = dir.path().join(format!("template-{name}.{ext}"));
            let out = common::chaos(dir.path())
                .args(["init", "--template", name, "--experiment-path"])
                .arg(&file)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0));
            accepted.push(file);
        }
    }
    let probe = json!({"type": "probe", "name": "p", "tolerance": 200,
                       "provider": {"type": "http", "url": "http://127.0.0.1/"}});
    let base = json!({"title": "t", "description": "d", "method": [probe]});
    let broken: Vec<(&str, Value)> = vec![
        ("empty-title", {
            let mut v = base.clone();
            v["title"] = json!("");
            v
        }),
        ("no-description", {
            let mut v = base.clone();
            v.as_object_mut().unwrap().remove("description");
            v
        }),
        ("method-mapping", {
            let mut v = base.clone();
            v["method"] = json!({"a": 1});
            v
        }),
        ("tags-number", {
            let mut v = base.clone();
            v["tags"] = json!([1]);
            v
        }),
        ("background-string", {
            let mut v = base.clone();
            v["method"][0]["background"] = json!("yes");
            v
        }),
        ("float-tolerance", {
            let mut v = base.clone();
            v["steady-state-hypothesis"] = json!({"title": "h", "probes": [probe]});
            v["steady-state-hypothesis"]["probes"][0]["tolerance"] = json!(1.5);
            v
        }),
        ("python-no-func", {
            let mut v = base.clone();
            v["method"][0]["provider"] = json!({"type": "python", "module": "os.path"});
            v
        }),
        ("bad-rollback-strategy", {
            let mut v = base.clone();
            v["runtime"] = json!({"rollbacks": {"strategy": "sometimes"}});
            v
        }),
        ("control-without-provider", {
            let mut v = base.clone();
            v["controls"] = json!([{"name": "c"}]);
            v
        }),
        ("env-config-without-key", {
            let mut v = base.clone();
            v["configuration"] = json!({"x": {"type": "env"}});
            v
        }),
    ];
    for (name, doc) in &broken {
        let file = dir.path().join(format!("broken-{name}.json"));
        std::fs::write(&file, serde_json::to_string(doc).unwrap()).unwrap();
        // The reference (and chaos) refuse these too.
        let out = validate(dir.path(), &file);
        assert_ne!(out.status.code(), Some(0), "chaos validate accepts {name}");
        structural.push(file);
    }
    // And some the reference accepts: a ref, `${}` pauses, process string
    // arguments, env configuration with a default, vault secrets.
    let permissive = json!({
        "title": "t", "description": "d",
        "configuration": {"n": {"type": "env", "key": "N", "default": "1", "env_var_type": "int"}, "plain": [1, 2]},
        "secrets": {"s": {"token": {"type": "env", "key": "TOKEN"}, "inline": "x"}},
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"ref": "p", "tolerance": {"type": "range", "range": [0, 10], "target": "status"}},
            {"type": "probe", "name": "q", "tolerance": [200, 201],
             "provider": {"type": "process", "path": "true", "arguments": "-a -b", "timeout": "${n}"}}
        ]},
        "method": [
            {"type": "probe", "name": "p", "provider": {"type": "http", "url": "http://x/", "timeout": [1, 2]},
             "pauses": {"before": "${n}", "after": 0.5}, "background": true},
            {"type": "action", "name": "k", "provider": {"type": "kubernetes", "func": "drain_nodes", "arguments": {}}}
        ],
        "rollbacks": [{"ref": "p"}],
        "extensions": [{"name": "x", "anything": 1}],
        "unknown-top-level-key": {"kept": true}
    });
    let file = dir.path().join("permissive.json");
    std::fs::write(&file, serde_json::to_string(&permissive).unwrap()).unwrap();
    accepted.push(file);

    let mut all = accepted.clone();
    all.extend(structural.iter().cloned());
    let errors = schema_errors(&schema, &all);
    for file in &accepted {
        let e = &errors[&file.display().to_string()];
        assert_eq!(e, &json!([]), "{} should be valid: {e}", file.display());
    }
    for file in &structural {
        let e = &errors[&file.display().to_string()];
        assert_ne!(e, &json!([]), "{} should be rejected", file.display());
    }
}
