//! Shared helpers for the validation tests: a small [`ProviderCheck`] with
//! the reference's http/process/python rules (the real one lives in the
//! drivers crate) and a fixed environment.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chaos_experiment::resolve::Env;
use chaos_experiment::{DocPath, Map, ProviderCheck, ProviderIssue, Value};

/// The reference's provider rules (§3.1.1 without imports, §3.2.1, §3.3.1).
pub struct TestProviders {
    /// Relative process paths (with a `/`) are looked up from here.
    pub cwd: PathBuf,
}

impl Default for TestProviders {
    fn default() -> Self {
        TestProviders {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }
}

fn issue(at: &str, message: String) -> ProviderIssue {
    ProviderIssue {
        at: DocPath::root().key(at),
        message,
        hint: None,
    }
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(m)) => !m.is_empty(),
        Some(_) => true,
    }
}

fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// `shutil.which`: a name with a `/` is checked as is (from `cwd`), a bare
/// name is searched in `PATH`.
pub fn which(cmd: &str, cwd: &Path) -> bool {
    if cmd.contains('/') {
        return executable(&cwd.join(cmd));
    }
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|d| executable(&d.join(cmd))))
        .unwrap_or(false)
}

impl ProviderCheck for TestProviders {
    fn known_types(&self) -> Vec<String> {
        vec!["python".into(), "process".into(), "http".into()]
    }

    fn check(
        &self,
        provider_type: &str,
        provider: &Map<String, Value>,
        activity_name: &str,
        _kind: &str,
    ) -> Vec<ProviderIssue> {
        let mut out = Vec::new();
        match provider_type {
            "http" => {
                if !truthy(provider.get("url")) {
                    out.push(issue("url", "a HTTP activity must have a URL".into()));
                }
                if truthy(provider.get("headers"))
                    && !provider.get("headers").is_some_and(Value::is_object)
                {
                    out.push(issue(
                        "headers",
                        "a HTTP activities expect headers as a mapping".into(),
                    ));
                }
            }
            "process" => match provider.get("path") {
                p if !truthy(p) => {
                    out.push(issue("path", "a process activity must have a path".into()))
                }
                Some(Value::String(raw)) if !which(raw, &self.cwd) => out.push(issue(
                    "path",
                    format!("path '{raw}' cannot be found, in activity '{activity_name}'"),
                )),
                Some(Value::String(_)) => {}
                Some(other) => out.push(issue(
                    "path",
                    format!("path '{other}' cannot be found, in activity '{activity_name}'"),
                )),
                None => {}
            },
            "python" => {
                if !provider.contains_key("module") {
                    out.push(issue(
                        "module",
                        "a Python activity must have a module path".into(),
                    ));
                } else if !provider.contains_key("func") {
                    out.push(issue(
                        "func",
                        "a Python activity must have a function name".into(),
                    ));
                }
            }
            _ => {}
        }
        out
    }
}

/// A fixed environment.
#[derive(Default, Clone)]
pub struct MapEnv(pub HashMap<String, String>);

impl MapEnv {
    pub fn with(pairs: &[(&str, &str)]) -> Self {
        MapEnv(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

impl Env for MapEnv {
    fn var(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
}
