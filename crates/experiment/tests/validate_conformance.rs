//! The shared conformance cases (`/work/shared/conformance/cases`): every
//! `inv-*` experiment is rejected (by the loader or the validator, with the
//! reference's message when the validator rejects it), every other
//! experiment is accepted. `inv-python-*` cases need Python imports, which
//! validation does not do: they are skipped.
//!
//! The suite's location can be changed with `CHAOS_CONFORMANCE_CASES`; when
//! the folder does not exist the tests pass without checking anything.

mod validate_support;

use std::path::{Path, PathBuf};

use chaos_experiment::load::load_file;
use chaos_experiment::validate::validate;
use serde_json::Value;
use validate_support::{MapEnv, TestProviders};

fn cases_dir() -> PathBuf {
    std::env::var_os("CHAOS_CONFORMANCE_CASES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/conformance/cases"))
}

struct Case {
    name: String,
    dir: PathBuf,
    info: Value,
    expected: Value,
}

fn cases() -> Vec<Case> {
    let Ok(rd) = std::fs::read_dir(cases_dir()) else {
        eprintln!(
            "no conformance cases at {}: nothing checked",
            cases_dir().display()
        );
        return Vec::new();
    };
    let mut out: Vec<Case> = rd
        .filter_map(Result::ok)
        .filter(|e| e.path().join("case.json").is_file())
        .map(|e| {
            let dir = e.path();
            let read = |f: &str| -> Value {
                std::fs::read(dir.join(f))
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or(Value::Null)
            };
            Case {
                name: e.file_name().to_string_lossy().into_owned(),
                info: read("case.json"),
                expected: read("expected.json"),
                dir,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The experiment file of a case (`None`: none at all, as in
/// `inv-file-does-not-exist`).
fn experiment_path(c: &Case) -> PathBuf {
    if let Some(p) = c.info.get("experiment").and_then(Value::as_str) {
        return c.dir.join(p);
    }
    for f in ["experiment.json", "experiment.yaml", "experiment.yml"] {
        if c.dir.join(f).is_file() {
            return c.dir.join(f);
        }
    }
    c.dir.join("experiment.json")
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

fn env_of(c: &Case) -> MapEnv {
    let mut env = MapEnv::default();
    if let Some(Value::Object(m)) = c.info.get("env") {
        for (k, v) in m {
            if let Value::String(s) = v {
                env.0.insert(k.clone(), s.clone());
            }
        }
    }
    env
}

/// Checks the cases whose experiment is YAML (`yaml == true`) or not.
fn check(yaml: bool) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in cases() {
        if c.name.starts_with("inv-python-") {
            continue;
        }
        let path = experiment_path(&c);
        if is_yaml(&path) != yaml {
            continue;
        }
        checked += 1;
        let providers = TestProviders { cwd: c.dir.clone() };
        let invalid = c.name.starts_with("inv-");
        let doc = match load_file(&path) {
            Ok(doc) => doc,
            Err(e) => {
                if !invalid {
                    failures.push(format!("{}: does not load: {e}", c.name));
                }
                continue;
            }
        };
        let v = validate(&doc, &providers, &env_of(&c));
        if invalid {
            let want = c.expected["info"]["reference_error"]
                .as_str()
                .unwrap_or("")
                .trim()
                .to_string();
            if v.errors.is_empty() {
                failures.push(format!("{}: accepted, the reference says: {want}", c.name));
            } else if !v.errors.iter().any(|d| d.message.trim() == want) {
                let got: Vec<&str> = v.errors.iter().map(|d| d.message.as_str()).collect();
                failures.push(format!(
                    "{}: rejected with {got:?}, the reference says: {want}",
                    c.name
                ));
            }
        } else if !v.errors.is_empty() {
            let got: Vec<String> = v
                .errors
                .iter()
                .map(|d| format!("{}: {}", d.path, d.message))
                .collect();
            failures.push(format!("{}: rejected: {got:#?}", c.name));
        }
    }
    eprintln!(
        "{checked} {} case(s) checked",
        if yaml { "YAML" } else { "JSON" }
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn json_cases() {
    check(false);
}

#[test]
fn yaml_cases() {
    check(true);
}
