//! Resolve: configuration, secrets, `--var` and `--var-file`, as the
//! reference loads them (spec §5.1, §5.3, §5.5, §5.6).
//!
//! Dynamic configuration (a `type: probe` value) needs drivers, so it is
//! left in place here and run by the engine.
//!
//! Besides the loaders, [`configuration_problems`] and [`secrets_problems`]
//! list *every* problem of a block (the loaders stop at the first), each
//! with its place, for validation.

use std::path::{Path, PathBuf};

use crate::load::{Document, Format, LoadError};
use crate::{DocPath, Map, Value};

/// Where environment variables are read from (the process environment, or a
/// fixed map in tests).
pub trait Env {
    /// The variable's value, if set.
    fn var(&self, key: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        // names the OS cannot hold are never set (and must not reach libc)
        if key.is_empty() || key.contains('=') || key.contains('\0') {
            return None;
        }
        // a value that is not UTF-8 is still set: read it lossily, as Python
        // does with surrogate escapes
        std::env::var_os(key).map(|v| v.to_string_lossy().into_owned())
    }
}

/// A fixed set of variables (tests, or a caller that snapshots the
/// environment).
impl Env for std::collections::HashMap<String, String> {
    fn var(&self, key: &str) -> Option<String> {
        self.get(key).cloned()
    }
}

/// The message the reference raises for an unknown type name (§5.6).
pub const UNKNOWN_TYPE_MESSAGE: &str =
    "variable type can only be: bool, str, int, float, bytes or json";

/// The type names `env_var_type` and `--var name:type` accept (§5.6).
pub const TYPE_NAMES: &[&str] = &[
    "str", "string", "int", "integer", "float", "number", "bytes", "bool", "json",
];

/// Deepest nesting of secret mappings that is followed.
const MAX_SECRET_DEPTH: usize = 64;

/// Why configuration or secrets could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResolveError {
    /// An `env` configuration entry without default whose variable is unset.
    #[error("Configuration makes reference to an environment key that does not exist: {0}")]
    MissingConfigEnv(String),
    /// An `env` secret whose variable is unset.
    #[error("Secrets make reference to an environment key that does not exist: {0}")]
    MissingSecretEnv(String),
    /// A type conversion failed or the type is unknown.
    #[error("{0}")]
    Conversion(String),
    /// The block or a declaration in it does not have the shape the
    /// reference reads (the reference crashes on these).
    #[error("{0}")]
    Invalid(String),
    /// A `type: vault` secret: this build cannot read Vault.
    #[error("secret '{0}' is read from Vault, which this build of chaos does not support")]
    VaultUnsupported(String),
}

/// One problem of a configuration or secrets block.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolveProblem {
    /// Where, relative to the block (`my_key`, `scope.secret`).
    pub path: DocPath,
    /// What.
    pub error: ResolveError,
}

/// What a value is, for messages about shapes.
pub(crate) fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The `env_var_type` of a declaration, checked (`None`: no conversion).
fn type_name(v: Option<&Value>) -> Result<Option<&str>, ResolveError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if TYPE_NAMES.contains(&s.as_str()) => Ok(Some(s.as_str())),
        Some(_) => Err(ResolveError::Conversion(UNKNOWN_TYPE_MESSAGE.to_string())),
    }
}

/// Converts `value` by a type name (§5.6); `None` leaves it unchanged.
fn convert(value: &Value, ty: Option<&str>) -> Result<Value, ResolveError> {
    match ty {
        None => Ok(value.clone()),
        Some(t) if TYPE_NAMES.contains(&t) => {
            chaos_pyvalue::convert(value, Some(t)).map_err(|e| ResolveError::Conversion(e.0))
        }
        Some(_) => Err(ResolveError::Conversion(UNKNOWN_TYPE_MESSAGE.to_string())),
    }
}

/// The `key` of an `env` declaration.
fn env_key<'a>(
    decl: &'a Map<String, Value>,
    what: &str,
) -> Result<&'a str, (DocPath, ResolveError)> {
    match decl.get("key") {
        Some(Value::String(k)) => Ok(k),
        None => Err((
            DocPath::root(),
            ResolveError::Invalid(format!(
                "{what} read from the environment needs a `key` (the variable's name)"
            )),
        )),
        Some(other) => Err((
            DocPath::root().key("key"),
            ResolveError::Invalid(format!(
                "the `key` of {what} read from the environment must be a string, not {}",
                describe(other)
            )),
        )),
    }
}

/// Resolves one configuration value (already replaced by its var, if any).
/// `Err` carries the place of the problem relative to the entry.
fn config_entry(
    name: &str,
    value: &Value,
    env: &dyn Env,
) -> Result<Value, (DocPath, ResolveError)> {
    let Value::Object(decl) = value else {
        return Ok(value.clone());
    };
    if decl.get("type").and_then(Value::as_str) != Some("env") {
        // no `type`, or another type (`probe` is dynamic configuration):
        // kept as is
        return Ok(value.clone());
    }
    let key = env_key(decl, &format!("configuration '{name}'"))?;
    let raw = match env.var(key) {
        Some(v) => Value::String(v),
        None => match decl.get("default") {
            Some(d) => d.clone(),
            None => {
                return Err((
                    DocPath::root().key("key"),
                    ResolveError::MissingConfigEnv(key.to_string()),
                ))
            }
        },
    };
    let ty = type_name(decl.get("env_var_type"))
        .map_err(|e| (DocPath::root().key("env_var_type"), e))?;
    convert(&raw, ty).map_err(|e| (DocPath::root().key("env_var_type"), e))
}

fn block<'a>(
    declared: Option<&'a Value>,
    what: &str,
) -> Result<Option<&'a Map<String, Value>>, ResolveError> {
    match declared {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(ResolveError::Invalid(format!(
            "{what} must be a mapping, not {}",
            describe(other)
        ))),
    }
}

/// Loads the `configuration` block (§5.1). `vars` replace declarations of the
/// same key; undeclared vars are dropped.
///
/// `declared` is the block as written (`None` when absent); a block that is
/// not a mapping is an [`ResolveError::Invalid`] (the reference crashes).
pub fn load_configuration(
    declared: Option<&Value>,
    vars: &Map<String, Value>,
    env: &dyn Env,
) -> Result<Map<String, Value>, ResolveError> {
    let Some(declared) = block(declared, "the configuration")? else {
        return Ok(Map::new());
    };
    let mut conf = Map::new();
    for (key, value) in declared {
        let value = vars.get(key).unwrap_or(value);
        let v = config_entry(key, value, env).map_err(|(_, e)| e)?;
        conf.insert(key.clone(), v);
    }
    Ok(conf)
}

/// The block to check, or the problems to report instead (none when the
/// block is absent, one when it is not a mapping).
fn block_for_problems<'a>(
    declared: Option<&'a Value>,
    what: &str,
) -> Result<&'a Map<String, Value>, Vec<ResolveProblem>> {
    match block(declared, what) {
        Ok(Some(m)) => Ok(m),
        Ok(None) => Err(Vec::new()),
        Err(error) => Err(vec![ResolveProblem {
            path: DocPath::root(),
            error,
        }]),
    }
}

/// Every problem [`load_configuration`] (without vars) would meet, each at
/// its place relative to the block.
pub fn configuration_problems(declared: Option<&Value>, env: &dyn Env) -> Vec<ResolveProblem> {
    let declared = match block_for_problems(declared, "the configuration") {
        Ok(m) => m,
        Err(problems) => return problems,
    };
    let mut out = Vec::new();
    for (key, value) in declared {
        if let Err((at, error)) = config_entry(key, value, env) {
            out.push(ResolveProblem {
                path: DocPath::root().key(key).join(&at),
                error,
            });
        }
    }
    out
}

/// Resolves one level of secrets. `vars` are those that apply at this level
/// (only the top level ever has any: the reference passes `None` down).
fn secrets_level(
    info: &Map<String, Value>,
    vars: Option<&Map<String, Value>>,
    env: &dyn Env,
    at: &DocPath,
    depth: usize,
    problems: &mut Option<&mut Vec<ResolveProblem>>,
) -> Result<Map<String, Value>, ResolveProblem> {
    let mut out = Map::new();
    for (key, value) in info {
        let here = at.key(key);
        let Value::Object(decl) = value else {
            out.insert(key.clone(), value.clone());
            continue;
        };
        if let Some(var) = vars.and_then(|v| v.get(key)).filter(|v| !v.is_null()) {
            out.insert(key.clone(), var.clone());
            continue;
        }
        let result = match decl.get("type").and_then(Value::as_str) {
            Some("env") => env_key(decl, &format!("secret '{}'", dotted(&here)))
                .map_err(|(p, error)| ResolveProblem {
                    path: here.join(&p),
                    error,
                })
                .and_then(|k| match env.var(k) {
                    Some(v) => Ok(Value::String(v)),
                    None => Err(ResolveProblem {
                        path: here.key("key"),
                        error: ResolveError::MissingSecretEnv(k.to_string()),
                    }),
                }),
            Some("vault") => Err(ResolveProblem {
                path: here.clone(),
                error: ResolveError::VaultUnsupported(dotted(&here)),
            }),
            _ if depth >= MAX_SECRET_DEPTH => Err(ResolveProblem {
                path: here.clone(),
                error: ResolveError::Invalid(format!(
                    "secrets are nested more than {MAX_SECRET_DEPTH} levels deep"
                )),
            }),
            _ => secrets_level(decl, None, env, &here, depth + 1, problems).map(Value::Object),
        };
        match result {
            Ok(v) => {
                out.insert(key.clone(), v);
            }
            Err(p) => match problems {
                Some(list) => list.push(p),
                None => return Err(p),
            },
        }
    }
    Ok(out)
}

/// `scope.key` for messages.
fn dotted(p: &DocPath) -> String {
    p.0.iter()
        .map(|s| match s {
            crate::PathSeg::Key(k) => k.clone(),
            crate::PathSeg::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Loads the `secrets` block (§5.3). A var named like a scope replaces the
/// whole scope.
///
/// `type: env` secrets read the variable verbatim (no default, no
/// conversion); `type: vault` secrets are a [`ResolveError::VaultUnsupported`].
pub fn load_secrets(
    declared: Option<&Value>,
    vars: &Map<String, Value>,
    env: &dyn Env,
) -> Result<Map<String, Value>, ResolveError> {
    let Some(declared) = block(declared, "the secrets")? else {
        return Ok(Map::new());
    };
    secrets_level(declared, Some(vars), env, &DocPath::root(), 0, &mut None).map_err(|p| p.error)
}

/// Every problem [`load_secrets`] (without vars) would meet, each at its
/// place relative to the block.
pub fn secrets_problems(declared: Option<&Value>, env: &dyn Env) -> Vec<ResolveProblem> {
    let declared = match block_for_problems(declared, "the secrets") {
        Ok(m) => m,
        Err(problems) => return problems,
    };
    let mut out = Vec::new();
    let _ = secrets_level(
        declared,
        None,
        env,
        &DocPath::root(),
        0,
        &mut Some(&mut out),
    );
    out
}

/// What `--var` and `--var-file` amount to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    /// Configuration overrides.
    pub configuration: Map<String, Value>,
    /// Secret overrides (whole scopes).
    pub secrets: Map<String, Value>,
    /// Variables from `.env` files, to set in the process environment
    /// before anything else reads it.
    pub env: Vec<(String, String)>,
    /// Files that were skipped, and why (the reference logs and goes on).
    pub warnings: Vec<String>,
}

/// Parses one `--var name[:type]=value`. `Err` is the usage-error text.
///
/// The value is split from the name on the first `=`, the type from the
/// name on the last `:`; types are those of §5.6.
pub fn parse_var(spec: &str) -> Result<(String, Value), String> {
    let (name, value) = spec
        .split_once('=')
        .ok_or_else(|| "not enough values to unpack (expected 2, got 1)".to_string())?;
    let raw = Value::String(value.to_string());
    match name.rsplit_once(':') {
        None => Ok((name.to_string(), raw)),
        Some((name, ty)) => {
            if !TYPE_NAMES.contains(&ty) {
                return Err(UNKNOWN_TYPE_MESSAGE.to_string());
            }
            let v = convert(&raw, Some(ty)).map_err(|e| e.to_string())?;
            Ok((name.to_string(), v))
        }
    }
}

/// The message of a load error without its origin prefix.
fn load_message(e: &LoadError) -> String {
    match e {
        LoadError::Syntax {
            message,
            location: Some(l),
            ..
        } => format!("{message} (line {}, column {})", l.line, l.column),
        LoadError::Syntax { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn read_var_file(file: &Path, out: &mut Vars) {
    let shown = file.display().to_string();
    let cannot_read = || format!("Cannot read var file '{shown}'");
    if !file.is_file() {
        out.warnings.push(cannot_read());
        return;
    }
    let Ok(bytes) = std::fs::read(file) else {
        out.warnings.push(cannot_read());
        return;
    };
    let Ok(content) = String::from_utf8(bytes) else {
        out.warnings
            .push(format!("{}: it is not UTF-8 text", cannot_read()));
        return;
    };
    if content.is_empty() {
        return;
    }
    let format = match file.extension().and_then(|e| e.to_str()) {
        Some("yaml") | Some("yml") => Some(Format::Yaml),
        Some("json") => Some(Format::Json),
        _ => None,
    };
    let mut data = None;
    if let Some(format) = format {
        match Document::parse(content.as_bytes(), format, &shown) {
            Ok(doc) => data = Some(doc.value),
            Err(e) => {
                out.warnings.push(format!(
                    "Failed to parse variable file '{shown}': {}",
                    load_message(&e)
                ));
                return;
            }
        }
    }
    match data {
        Some(d) if chaos_pyvalue::py_truthy(&d) => merge_var_data(&d, &shown, out),
        _ => read_dotenv(&content, &shown, out),
    }
}

fn merge_var_data(data: &Value, shown: &str, out: &mut Vars) {
    let Value::Object(m) = data else {
        out.warnings.push(format!(
            "Failed to parse variable file '{shown}': it must be a mapping with `configuration` and/or `secrets`, not {}",
            describe(data)
        ));
        return;
    };
    for (section, target) in [
        ("configuration", &mut out.configuration),
        ("secrets", &mut out.secrets),
    ] {
        match m.get(section) {
            None | Some(Value::Null) => {}
            Some(Value::Object(vals)) => {
                for (k, v) in vals {
                    target.insert(k.clone(), v.clone());
                }
            }
            Some(other) => out.warnings.push(format!(
                "Failed to parse variable file '{shown}': its `{section}` must be a mapping, not {}; ignored",
                describe(other)
            )),
        }
    }
}

fn read_dotenv(content: &str, shown: &str, out: &mut Vars) {
    for (n, line) in content.split('\n').enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains('\0') && !v.contains('\0') => {
                out.env.push((k.to_string(), v.to_string()));
            }
            Some(_) => out.warnings.push(format!(
                "Invalid line {} in var file '{shown}': an environment variable needs a non-empty name and no NUL character; line ignored",
                n + 1
            )),
            None => out.warnings.push(format!(
                "Invalid line {} in var file '{shown}': expected KEY=VALUE; line ignored",
                n + 1
            )),
        }
    }
}

/// Merges var files (in order) then `--var`s (§5.5).
///
/// `.yaml`/`.yml` and `.json` files give `configuration` and `secrets`
/// (shallow merge, later files win); any other file, or one whose data is
/// empty, is read as a `.env` file into [`Vars::env`]. Files that cannot be
/// read or parsed are skipped with a warning, as the reference does.
pub fn merge_vars(vars: &[(String, Value)], files: &[PathBuf]) -> Vars {
    let mut out = Vars::default();
    for file in files {
        read_var_file(file, &mut out);
    }
    for (k, v) in vars {
        out.configuration.insert(k.clone(), v.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("a mapping")
    }

    fn none() -> Map<String, Value> {
        Map::new()
    }

    // ------------------------------------------------------ configuration

    #[test]
    fn configuration_absent_is_empty() {
        assert_eq!(load_configuration(None, &none(), &env(&[])), Ok(Map::new()));
    }

    #[test]
    fn configuration_must_be_a_mapping() {
        for bad in [json!([]), json!(null), json!("x"), json!(1)] {
            let e = load_configuration(Some(&bad), &none(), &env(&[])).unwrap_err();
            assert!(
                matches!(e, ResolveError::Invalid(ref m) if m.starts_with("the configuration must be a mapping"))
            );
            let p = configuration_problems(Some(&bad), &env(&[]));
            assert_eq!(p.len(), 1);
            assert_eq!(p[0].path, DocPath::root());
        }
    }

    #[test]
    fn inline_values_are_kept_as_is() {
        let c = json!({"a": 1, "b": "x", "c": [1, 2], "d": {"nested": {"k": true}}, "e": null});
        assert_eq!(
            load_configuration(Some(&c), &none(), &env(&[])).unwrap(),
            map(c.clone())
        );
    }

    #[test]
    fn env_value_and_default() {
        let c = json!({
            "a": {"type": "env", "key": "A"},
            "b": {"type": "env", "key": "B", "default": "fallback"},
            "c": {"type": "env", "key": "A", "default": "unused"},
            "d": {"type": "env", "key": "D", "default": null},
            "e": {"type": "env", "key": "E", "default": ""},
            "f": {"type": "env", "key": "EMPTY", "default": "unused"},
            "g": {"type": "env", "key": "EMPTY"},
        });
        let got =
            load_configuration(Some(&c), &none(), &env(&[("A", "hello"), ("EMPTY", "")])).unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"a": "hello", "b": "fallback", "c": "hello", "d": null, "e": "", "f": "", "g": ""})
        );
    }

    #[test]
    fn missing_env_without_default() {
        let c = json!({"ok": 1, "token": {"type": "env", "key": "KUBE_TOKEN"}});
        let e = load_configuration(Some(&c), &none(), &env(&[])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Configuration makes reference to an environment key that does not exist: KUBE_TOKEN"
        );
        let p = configuration_problems(Some(&c), &env(&[]));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].path.to_string(), "token.key");
    }

    #[test]
    fn every_configuration_problem_is_listed() {
        let c = json!({
            "a": {"type": "env", "key": "NOPE1"},
            "b": {"type": "env"},
            "c": {"type": "env", "key": 5},
            "d": {"type": "env", "key": "SET", "env_var_type": "object"},
            "e": {"type": "env", "key": "NOPE2"},
        });
        let p = configuration_problems(Some(&c), &env(&[("SET", "1")]));
        let paths: Vec<String> = p.iter().map(|p| p.path.to_string()).collect();
        assert_eq!(paths, ["a.key", "b", "c.key", "d.env_var_type", "e.key"]);
        assert_eq!(p[3].error.to_string(), UNKNOWN_TYPE_MESSAGE);
        assert!(matches!(p[1].error, ResolveError::Invalid(_)));
    }

    #[test]
    fn env_var_type_checks_the_name() {
        for bad in [json!("object"), json!(""), json!(5), json!(false)] {
            let c = json!({"a": {"type": "env", "key": "A", "env_var_type": bad}});
            let e = load_configuration(Some(&c), &none(), &env(&[("A", "1")])).unwrap_err();
            assert_eq!(e, ResolveError::Conversion(UNKNOWN_TYPE_MESSAGE.into()));
        }
        // null: no conversion
        let c = json!({"a": {"type": "env", "key": "A", "env_var_type": null}});
        assert_eq!(
            load_configuration(Some(&c), &none(), &env(&[("A", "1")])).unwrap()["a"],
            json!("1")
        );
    }

    #[test]
    fn env_var_type_str_keeps_the_text() {
        for t in ["str", "string"] {
            let c = json!({"a": {"type": "env", "key": "A", "env_var_type": t}});
            assert_eq!(
                load_configuration(Some(&c), &none(), &env(&[("A", "42")])).unwrap()["a"],
                json!("42")
            );
        }
    }

    #[test]
    fn env_var_type_converts_value_and_default() {
        // relies on chaos_pyvalue::convert
        let c = json!({
            "i": {"type": "env", "key": "I", "env_var_type": "int"},
            "f": {"type": "env", "key": "F", "env_var_type": "float"},
            "b": {"type": "env", "key": "B", "env_var_type": "bool"},
            "j": {"type": "env", "key": "J", "env_var_type": "json"},
            "d": {"type": "env", "key": "UNSET", "default": "5", "env_var_type": "int"},
        });
        let got = load_configuration(
            Some(&c),
            &none(),
            &env(&[
                ("I", "42"),
                ("F", "2.5"),
                ("B", "no"),
                ("J", "{\"a\": [1, 2]}"),
            ]),
        )
        .unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"i": 42, "f": 2.5, "b": false, "j": {"a": [1, 2]}, "d": 5})
        );
    }

    #[test]
    fn other_typed_declarations_are_kept() {
        let c = json!({
            "dyn": {"type": "probe", "name": "p", "provider": {"type": "python", "module": "m", "func": "f"}},
            "weird": {"type": 5, "key": "X"},
        });
        assert_eq!(
            load_configuration(Some(&c), &none(), &env(&[])).unwrap(),
            map(c.clone())
        );
    }

    #[test]
    fn vars_replace_declarations_and_undeclared_are_dropped() {
        let c = json!({
            "inline": "file",
            "from_env": {"type": "env", "key": "MISSING"},
            "defaulted": {"type": "env", "key": "MISSING", "default": "d"},
        });
        let vars = map(json!({
            "inline": "cli",
            "from_env": 7,
            "defaulted": {"type": "env", "key": "PWD_LIKE"},
            "undeclared": "zzz",
        }));
        let got = load_configuration(Some(&c), &vars, &env(&[("PWD_LIKE", "/here")])).unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"inline": "cli", "from_env": 7, "defaulted": "/here"})
        );
    }

    // ------------------------------------------------------------ secrets

    #[test]
    fn secrets_inline_env_and_nested() {
        let s = json!({
            "app": {"token": {"type": "env", "key": "TOKEN"}, "user": "alice"},
            "deep": {"inner": {"x": {"type": "env", "key": "TOKEN"}, "y": 1}},
            "scalar": "kept",
        });
        let got = load_secrets(Some(&s), &none(), &env(&[("TOKEN", "s3cr3t")])).unwrap();
        assert_eq!(
            Value::Object(got),
            json!({
                "app": {"token": "s3cr3t", "user": "alice"},
                "deep": {"inner": {"x": "s3cr3t", "y": 1}},
                "scalar": "kept",
            })
        );
    }

    #[test]
    fn secret_env_has_no_default_nor_conversion() {
        let s = json!({"app": {"n": {"type": "env", "key": "N", "default": "1", "env_var_type": "int"}}});
        assert_eq!(
            load_secrets(Some(&s), &none(), &env(&[("N", "5")])).unwrap()["app"]["n"],
            json!("5")
        );
        let e = load_secrets(Some(&s), &none(), &env(&[])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Secrets make reference to an environment key that does not exist: N"
        );
    }

    #[test]
    fn secret_env_declared_as_a_scope_gives_a_string_scope() {
        let s = json!({"tok": {"type": "env", "key": "T"}});
        assert_eq!(
            Value::Object(load_secrets(Some(&s), &none(), &env(&[("T", "v")])).unwrap()),
            json!({"tok": "v"})
        );
    }

    #[test]
    fn vars_replace_whole_scopes_only() {
        let s = json!({
            "aws": {"api_token": {"type": "env", "key": "MISSING"}, "region": "eu"},
            "other": {"k": "v"},
            "flat": "x",
        });
        let vars = map(
            json!({"aws": {"api_token": "x"}, "k": "ignored", "flat": "ignored", "other": null}),
        );
        let got = load_secrets(Some(&s), &vars, &env(&[])).unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"aws": {"api_token": "x"}, "other": {"k": "v"}, "flat": "x"})
        );
    }

    #[test]
    fn vault_is_not_supported() {
        let s = json!({"db": {"password": {"type": "vault", "path": "secret/db"}}});
        let e = load_secrets(Some(&s), &none(), &env(&[])).unwrap_err();
        assert_eq!(e, ResolveError::VaultUnsupported("db.password".into()));
        assert!(e.to_string().contains("Vault"));
        // a var replacing the scope avoids Vault altogether
        let vars = map(json!({"db": {"password": "x"}}));
        assert!(load_secrets(Some(&s), &vars, &env(&[])).is_ok());
    }

    #[test]
    fn every_secret_problem_is_listed() {
        let s = json!({
            "a": {"x": {"type": "env", "key": "NOPE"}, "y": {"type": "env"}},
            "b": {"z": {"type": "vault", "path": "p"}},
        });
        let p = secrets_problems(Some(&s), &env(&[]));
        let paths: Vec<String> = p.iter().map(|p| p.path.to_string()).collect();
        assert_eq!(paths, ["a.x.key", "a.y", "b.z"]);
        assert_eq!(secrets_problems(Some(&json!([])), &env(&[])).len(), 1);
        assert!(load_secrets(Some(&json!(null)), &none(), &env(&[])).is_err());
    }

    #[test]
    fn deep_secrets_do_not_overflow() {
        let mut v = json!({"k": "v"});
        for _ in 0..200 {
            v = json!({ "n": v });
        }
        let s = json!({ "scope": v });
        let e = load_secrets(Some(&s), &none(), &env(&[])).unwrap_err();
        assert!(matches!(e, ResolveError::Invalid(_)));
    }

    // ---------------------------------------------------------- parse_var

    #[test]
    fn parse_var_plain_and_typed() {
        assert_eq!(
            parse_var("name=value").unwrap(),
            ("name".into(), json!("value"))
        );
        assert_eq!(parse_var("a=b=c").unwrap(), ("a".into(), json!("b=c")));
        assert_eq!(
            parse_var("todo:str=stuff").unwrap(),
            ("todo".into(), json!("stuff"))
        );
        assert_eq!(
            parse_var("todo:string=stuff").unwrap(),
            ("todo".into(), json!("stuff"))
        );
        assert_eq!(
            parse_var("url=http://x:80/").unwrap(),
            ("url".into(), json!("http://x:80/"))
        );
        assert_eq!(parse_var("empty=").unwrap(), ("empty".into(), json!("")));
        assert_eq!(parse_var("a:b:str=v").unwrap(), ("a:b".into(), json!("v")));
    }

    #[test]
    fn parse_var_errors() {
        assert_eq!(
            parse_var("todo").unwrap_err(),
            "not enough values to unpack (expected 2, got 1)"
        );
        assert_eq!(
            parse_var("todo/stuff").unwrap_err(),
            "not enough values to unpack (expected 2, got 1)"
        );
        assert_eq!(
            parse_var("todo:object=stuff").unwrap_err(),
            UNKNOWN_TYPE_MESSAGE
        );
        assert_eq!(parse_var("todo:=stuff").unwrap_err(), UNKNOWN_TYPE_MESSAGE);
        assert_eq!(parse_var("a:str:x=1").unwrap_err(), UNKNOWN_TYPE_MESSAGE);
    }

    #[test]
    fn parse_var_converts() {
        // relies on chaos_pyvalue::convert
        assert_eq!(parse_var("age:int=45").unwrap(), ("age".into(), json!(45)));
        assert_eq!(
            parse_var("age:integer=45").unwrap(),
            ("age".into(), json!(45))
        );
        assert_eq!(
            parse_var("age:float=45").unwrap(),
            ("age".into(), json!(45.0))
        );
        assert_eq!(
            parse_var("flag:bool=true").unwrap(),
            ("flag".into(), json!(true))
        );
        assert_eq!(
            parse_var("data:json={\"b\": [1, 2]}").unwrap(),
            ("data".into(), json!({"b": [1, 2]}))
        );
        assert!(parse_var("age:int=abc").is_err());
    }

    // --------------------------------------------------------- merge_vars

    static COUNTER: AtomicUsize = AtomicUsize::new(0);

    fn temp_file(name: &str, content: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "chaos-resolve-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    #[test]
    fn cli_vars_only() {
        let v = merge_vars(&[("stuff".into(), json!("todo"))], &[]);
        assert_eq!(Value::Object(v.configuration), json!({"stuff": "todo"}));
        assert!(v.secrets.is_empty() && v.env.is_empty() && v.warnings.is_empty());
    }

    #[test]
    fn json_var_file_and_cli_precedence() {
        let f = temp_file(
            "vars.json",
            r#"{"configuration": {"a": 1, "count": 2}, "secrets": {"aws": {"t": "x"}}}"#,
        );
        let v = merge_vars(&[("count".into(), json!(9))], &[f]);
        assert_eq!(Value::Object(v.configuration), json!({"a": 1, "count": 9}));
        assert_eq!(Value::Object(v.secrets), json!({"aws": {"t": "x"}}));
        assert!(v.warnings.is_empty());
    }

    #[test]
    fn later_files_win_shallowly() {
        let a = temp_file(
            "a.json",
            r#"{"configuration": {"x": 1, "y": 1}, "secrets": {"s": {"a": 1, "b": 2}}}"#,
        );
        let b = temp_file(
            "b.json",
            r#"{"configuration": {"y": 2}, "secrets": {"s": {"a": 3}}}"#,
        );
        let v = merge_vars(&[], &[a, b]);
        assert_eq!(Value::Object(v.configuration), json!({"x": 1, "y": 2}));
        assert_eq!(Value::Object(v.secrets), json!({"s": {"a": 3}}));
    }

    #[test]
    fn null_sections_are_ignored() {
        let f = temp_file(
            "n.json",
            r#"{"configuration": null, "secrets": {"s": {"k": 1}}}"#,
        );
        let v = merge_vars(&[], &[f]);
        assert!(v.configuration.is_empty());
        assert_eq!(v.secrets.len(), 1);
        assert!(v.warnings.is_empty());
    }

    #[test]
    fn dotenv_files() {
        let f = temp_file(
            ".env",
            "# comment\n\nA=1\n  B = two words  \nC=\"quoted\"\nD=x=y\r\nexport E=5\n",
        );
        let v = merge_vars(&[], &[f]);
        assert_eq!(
            v.env,
            vec![
                ("A".into(), "1".into()),
                ("B ".into(), " two words".into()),
                ("C".into(), "\"quoted\"".into()),
                ("D".into(), "x=y".into()),
                ("export E".into(), "5".into()),
            ]
        );
        assert!(v.warnings.is_empty());
        assert!(v.configuration.is_empty());
    }

    #[test]
    fn dotenv_bad_lines_are_warnings() {
        let f = temp_file("vars.env", "A=1\nno equals sign\n=value\nB=2\n");
        let v = merge_vars(&[], &[f]);
        assert_eq!(
            v.env,
            vec![("A".into(), "1".into()), ("B".into(), "2".into())]
        );
        assert_eq!(v.warnings.len(), 2);
        assert!(v.warnings[0].starts_with("Invalid line 2 in var file"));
    }

    #[test]
    fn empty_json_data_is_read_as_dotenv() {
        let f = temp_file("e.json", "{}");
        let v = merge_vars(&[], &[f]);
        assert!(v.env.is_empty());
        assert_eq!(v.warnings.len(), 1, "{:?}", v.warnings);
    }

    #[test]
    fn empty_file_is_skipped() {
        let f = temp_file("empty.json", "");
        let v = merge_vars(&[], &[f]);
        assert_eq!(v, Vars::default());
    }

    #[test]
    fn unreadable_and_unparsable_files_are_warnings() {
        let missing = std::env::temp_dir().join("chaos-resolve-definitely-missing.json");
        let bad = temp_file("bad.json", "{ nope");
        let list = temp_file("list.json", "[1, 2]");
        let v = merge_vars(
            &[("k".into(), json!("v"))],
            &[missing.clone(), bad.clone(), list],
        );
        assert_eq!(
            v.warnings[0],
            format!("Cannot read var file '{}'", missing.display())
        );
        assert!(
            v.warnings[1].starts_with(&format!(
                "Failed to parse variable file '{}': ",
                bad.display()
            )),
            "{}",
            v.warnings[1]
        );
        assert!(v.warnings[2].contains("must be a mapping"));
        assert_eq!(Value::Object(v.configuration), json!({"k": "v"}));
    }

    #[test]
    fn directory_cannot_be_read() {
        let f = temp_file("x.json", "{}");
        let dir = f.parent().unwrap().to_path_buf();
        let v = merge_vars(&[], std::slice::from_ref(&dir));
        assert_eq!(
            v.warnings,
            vec![format!("Cannot read var file '{}'", dir.display())]
        );
    }

    #[test]
    fn yaml_var_files() {
        // needs the YAML loader (load.rs)
        let f = temp_file(
            "vars.yaml",
            "configuration:\n  a: 1\nsecrets:\n  s:\n    k: v\n",
        );
        let v = merge_vars(&[], &[f]);
        assert!(v.warnings.is_empty(), "{:?}", v.warnings);
        assert_eq!(Value::Object(v.configuration), json!({"a": 1}));
        assert_eq!(Value::Object(v.secrets), json!({"s": {"k": "v"}}));
        let g = temp_file("vars.yml", "configuration: {b: true}\n");
        assert_eq!(merge_vars(&[], &[g]).configuration["b"], json!(true));
    }

    #[test]
    fn process_env_never_panics_on_odd_names() {
        assert_eq!(ProcessEnv.var(""), None);
        assert_eq!(ProcessEnv.var("A=B"), None);
        assert_eq!(ProcessEnv.var("A\0B"), None);
    }
}
