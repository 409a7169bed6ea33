//! Validation: every rule of the reference, all problems reported at once.
//!
//! The rules are those of chaostoolkit-lib 1.44's `ensure_experiment_is_valid`
//! (spec §1.3, §1.4, §2.3, §4.1, §5.1, §5.3, §7.2), with three differences of
//! reporting, not of substance:
//!
//! * every problem is reported, not only the first; within one activity the
//!   checks that gate the others (`type`, `name`, `provider`) stop the
//!   provider-specific checks, and nothing inside a value of the wrong shape
//!   is checked;
//! * shapes on which the reference crashes (a `method` that is not a list,
//!   `configuration: []`, a control that is not a mapping, ...) are reported
//!   as errors with a clear message;
//! * the experiment's `runtime` strategies are checked here (the reference
//!   fails, or silently ignores them, only when it runs).
//!
//! Provider-specific rules come from the [`ProviderCheck`] passed in. Python
//! imports (modules of activities and controls) are not checked here.

mod pyre;

use std::collections::HashSet;

use chaos_pyvalue::{py_eq, py_str, py_truthy};

pub use pyre::{PyReError, PyReErrorKind};

use crate::resolve::{self, Env, ResolveError};
use crate::{Diagnostic, DocPath, Document, Map, ProviderCheck, ProviderItem, Value};

/// The outcome of validating a document.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// Problems that make the experiment invalid (exit 1, no run).
    pub errors: Vec<Diagnostic>,
    /// Deprecations and doubts that do not stop a run.
    pub warnings: Vec<Diagnostic>,
}

impl Validation {
    /// True when there is no error.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Compiles a Python `re` pattern (as a `regex` tolerance uses it) into a
/// `fancy_regex` with Python's meaning; `Err` carries Python's own message
/// when Python would refuse the pattern. Use `is_match` for `re.search`.
pub fn compile_python_regex(pattern: &str) -> Result<fancy_regex::Regex, PyReError> {
    pyre::compile(pattern)
}

/// Hypothesis strategies an experiment's `runtime.hypothesis.strategy` may name.
pub const HYPOTHESIS_STRATEGIES: &[&str] = &[
    "default",
    "before-method-only",
    "after-method-only",
    "during-method-only",
    "continuously",
    "continously",
    "skip",
];

/// Rollback strategies an experiment's `runtime.rollbacks.strategy` may name.
pub const ROLLBACK_STRATEGIES: &[&str] = &["default", "always", "never", "deviated"];

const METHOD_REQUIRED: &str =
    "an experiment requires a method, which can be empty for only checking steady state hypothesis ";

const TOLERANCE_TYPE_MESSAGE: &str = "hypothesis probe tolerance must either be an integer, a string, a boolean or a \
     pair of values for boundaries. It can also be a dictionary which is a probe activity definition that takes an \
     argument called `value` with the value of the probe itself to be validated";

/// The reference's deprecation message for dict `arguments` of a process provider.
pub const DEPRECATED_DICT_ARGS: &str =
    "Process arguments should now be a list to keep the ordering of the arguments. \
     Dictionary arguments are deprecated for process activities.";

/// The reference's deprecation message for a vault secret with `key` but no `path`.
pub const DEPRECATED_VAULT_KEY: &str = "Vault secrets must now specify the `path` property. The `key` property is now \
     a key of a Vault secret rather than the actual path. For instance: {'my-key': {'type': 'vault', 'key': 'foo'}} \
     now becomes: {'my-key': {'type': 'vault', 'path': 'foo'}}";

/// Validates an experiment document; every diagnostic carries its location.
pub fn validate(doc: &Document, providers: &dyn ProviderCheck, env: &dyn Env) -> Validation {
    let mut known = providers.known_types();
    known.sort();
    known.dedup();
    let mut cx = Cx {
        providers,
        env,
        known,
        v: Validation::default(),
        deferred: Vec::new(),
    };
    cx.experiment(&doc.value);
    cx.check_providers();
    let mut v = cx.v;
    doc.locate_all(&mut v.errors);
    doc.locate_all(&mut v.warnings);
    v
}

use crate::resolve::describe;

fn depth_over(v: &Value, limit: usize) -> bool {
    if limit == 0 {
        return true;
    }
    match v {
        Value::Array(a) => a.iter().any(|x| depth_over(x, limit - 1)),
        Value::Object(m) => m.values().any(|x| depth_over(x, limit - 1)),
        _ => false,
    }
}

/// Python `str(v)` for a value quoted in a message (strings verbatim; very
/// deep or long containers shortened).
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) if depth_over(v, 16) => {
            format!("<{} nested too deeply to show>", describe(v))
        }
        _ => {
            let s = py_str(v);
            if s.chars().count() > 200 {
                let mut t: String = s.chars().take(200).collect();
                t.push('…');
                t
            } else {
                s
            }
        }
    }
}

/// `show` of an optional value; absent is Python's `None`.
fn show_opt(v: Option<&Value>) -> String {
    v.map_or_else(|| "None".to_string(), show)
}

fn truthy(v: Option<&Value>) -> bool {
    v.is_some_and(py_truthy)
}

fn is_python_int(v: &Value) -> bool {
    match v {
        Value::Bool(_) => true,
        Value::Number(n) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

fn is_python_number(v: &Value) -> bool {
    matches!(v, Value::Bool(_) | Value::Number(_))
}

struct Cx<'a> {
    providers: &'a dyn ProviderCheck,
    env: &'a dyn Env,
    known: Vec<String>,
    v: Validation,
    /// Provider blocks to hand to the drivers all at once, at the end.
    deferred: Vec<DeferredCheck>,
}

/// A provider block waiting for its driver's checks; its issues go where
/// they would have been reported had it been checked on the spot.
struct DeferredCheck {
    errors_at: usize,
    path: DocPath,
    provider_type: String,
    provider: Map<String, Value>,
    activity_name: String,
    kind: &'static str,
}

impl Cx<'_> {
    fn check_providers(&mut self) {
        let deferred = std::mem::take(&mut self.deferred);
        if deferred.is_empty() {
            return;
        }
        let items: Vec<ProviderItem<'_>> = deferred
            .iter()
            .map(|d| ProviderItem {
                provider_type: &d.provider_type,
                provider: &d.provider,
                activity_name: &d.activity_name,
                kind: d.kind,
            })
            .collect();
        let answers = self.providers.check_all(&items);
        // From the last to the first, so each recorded position still holds.
        for (d, issues) in deferred.iter().zip(answers).rev() {
            let base = d.path.key("provider");
            let found = issues.into_iter().map(|issue| {
                let mut e = Diagnostic::new(base.join(&issue.at), issue.message);
                e.hint = issue.hint;
                e
            });
            self.v.errors.splice(d.errors_at..d.errors_at, found);
        }
    }

    fn error(&mut self, path: DocPath, message: impl Into<String>, hint: Option<String>) {
        let mut d = Diagnostic::new(path, message);
        d.hint = hint;
        self.v.errors.push(d);
    }

    fn warn(&mut self, path: DocPath, message: impl Into<String>, hint: Option<String>) {
        let mut d = Diagnostic::new(path, message);
        d.hint = hint;
        self.v.warnings.push(d);
    }

    fn provider_types_hint(&self) -> String {
        format!("use one of: {}", self.known.join(", "))
    }

    fn experiment(&mut self, root: &Value) {
        let top = DocPath::root();
        let exp = match root {
            Value::Object(m) if !m.is_empty() => m,
            v if !py_truthy(v) => {
                self.error(
                    top,
                    "an empty experiment is not an experiment",
                    Some("an experiment is a mapping with at least `title`, `description` and `method`".into()),
                );
                return;
            }
            other => {
                self.error(
                    top,
                    format!("an experiment must be a mapping, not {}", describe(other)),
                    Some("an experiment is a mapping with at least `title`, `description` and `method`".into()),
                );
                return;
            }
        };

        if !truthy(exp.get("title")) {
            self.error(
                top.key("title"),
                "experiment requires a title",
                Some("add a non-empty `title`".into()),
            );
        }
        if !truthy(exp.get("description")) {
            self.error(
                top.key("description"),
                "experiment requires a description",
                Some("add a non-empty `description`".into()),
            );
        }
        self.tags(exp.get("tags"));
        self.extensions(exp.get("extensions"));
        self.configuration(exp.get("configuration"));
        self.secrets(exp.get("secrets"));

        let hypothesis = self.hypothesis(exp.get("steady-state-hypothesis"));
        self.method(exp);
        let rollbacks = self.rollbacks(exp.get("rollbacks"));

        // every activity, in the reference's order: hypothesis probes,
        // method, rollbacks
        let mut activities: Vec<(DocPath, &Map<String, Value>)> = Vec::new();
        if let Some(Value::Object(h)) = hypothesis {
            if let Some(Value::Array(probes)) = h.get("probes") {
                let p = top.key("steady-state-hypothesis").key("probes");
                activities.extend(objects(&p, probes));
            }
        }
        if let Some(Value::Array(method)) = exp.get("method") {
            activities.extend(objects(&top.key("method"), method));
        }
        if let Some(list) = rollbacks {
            activities.extend(objects(&top.key("rollbacks"), list));
        }

        self.deprecations(&activities, exp.get("secrets"));
        self.controls(exp, hypothesis, &activities);
        self.runtime(exp.get("runtime"));
        self.proxies(exp.get("proxies"));
    }

    fn tags(&mut self, tags: Option<&Value>) {
        let Some(tags) = tags.filter(|t| py_truthy(t)) else {
            return;
        };
        let path = DocPath::root().key("tags");
        let message = "experiment tags must be a non-empty string";
        match tags {
            Value::Array(list) => {
                for (i, t) in list.iter().enumerate() {
                    if !matches!(t, Value::String(s) if !s.is_empty()) {
                        self.error(
                            path.index(i),
                            message,
                            Some("each tag must be a non-empty string".into()),
                        );
                    }
                }
            }
            // the reference iterates a string character by character: it passes
            Value::String(_) => self.warn(
                path,
                "experiment tags is a single string, read as a list of its characters",
                Some("write the tags as a list, e.g. `tags: [\"kubernetes\"]`".into()),
            ),
            // the reference iterates a mapping's keys
            Value::Object(m) => {
                if m.keys().any(String::is_empty) {
                    self.error(
                        path.clone(),
                        message,
                        Some("write the tags as a list of non-empty strings".into()),
                    );
                } else {
                    self.warn(
                        path,
                        "experiment tags is a mapping, read as the list of its keys",
                        Some("write the tags as a list of strings".into()),
                    );
                }
            }
            other => self.error(
                path,
                format!(
                    "experiment tags must be a list of strings, not {}",
                    describe(other)
                ),
                Some("write the tags as a list of non-empty strings".into()),
            ),
        }
    }

    fn extensions(&mut self, exts: Option<&Value>) {
        let Some(exts) = exts.filter(|e| py_truthy(e)) else {
            return;
        };
        let path = DocPath::root().key("extensions");
        let Value::Array(list) = exts else {
            self.error(
                path,
                format!(
                    "extensions must be a list of mappings, not {}",
                    describe(exts)
                ),
                Some("write `extensions` as a list, each entry with a `name`".into()),
            );
            return;
        };
        for (i, ext) in list.iter().enumerate() {
            let p = path.index(i);
            let Value::Object(m) = ext else {
                self.error(
                    p,
                    format!("an extension must be a mapping, not {}", describe(ext)),
                    Some("each extension is a mapping with a `name`".into()),
                );
                continue;
            };
            match m.get("name") {
                Some(Value::String(s)) if !s.trim().is_empty() => {}
                Some(Value::String(_)) | None | Some(Value::Null) => self.error(
                    p.key("name"),
                    "All extensions require a non-empty name",
                    Some("give the extension a `name`".into()),
                ),
                Some(other) => self.error(
                    p.key("name"),
                    "All extensions require a non-empty name",
                    Some(format!(
                        "the name must be a string, not {}",
                        describe(other)
                    )),
                ),
            }
        }
    }

    fn configuration(&mut self, declared: Option<&Value>) {
        let base = DocPath::root().key("configuration");
        for p in resolve::configuration_problems(declared, self.env) {
            let hint = match &p.error {
                ResolveError::MissingConfigEnv(k) => Some(format!(
                    "set the environment variable `{k}`, or give this entry a `default`"
                )),
                ResolveError::Conversion(m) if m == resolve::UNKNOWN_TYPE_MESSAGE => {
                    Some("use one of: str, int, float, bytes, bool, json".into())
                }
                ResolveError::Conversion(_) => {
                    Some("the variable's value cannot be converted to this `env_var_type`".into())
                }
                ResolveError::Invalid(_) if p.path.0.is_empty() => {
                    Some("write `configuration` as a mapping of names to values".into())
                }
                _ => None,
            };
            self.error(base.join(&p.path), p.error.to_string(), hint);
        }
    }

    fn secrets(&mut self, declared: Option<&Value>) {
        let base = DocPath::root().key("secrets");
        for p in resolve::secrets_problems(declared, self.env) {
            let hint = match &p.error {
                ResolveError::MissingSecretEnv(k) => {
                    Some(format!("set the environment variable `{k}` (secrets have no `default`)"))
                }
                ResolveError::VaultUnsupported(_) => Some(
                    "read this secret with `type: env` instead, or give its whole scope with `--var-file`".into(),
                ),
                ResolveError::Invalid(_) if p.path.0.is_empty() => {
                    Some("write `secrets` as a mapping of scopes, each a mapping of names to values".into())
                }
                _ => None,
            };
            self.error(base.join(&p.path), p.error.to_string(), hint);
        }
        // doubts about scopes that are not mappings of secrets
        if let Some(Value::Object(scopes)) = declared {
            for (name, scope) in scopes {
                let p = base.key(name);
                match scope {
                    Value::Object(m) => {
                        if let Some(t @ ("env" | "vault")) = m.get("type").and_then(Value::as_str) {
                            self.warn(
                                p,
                                format!("secret scope '{name}' is itself a `type: {t}` declaration, so the scope is a single value"),
                                Some(format!(
                                    "declare secrets inside a scope: `secrets: {{{name}: {{<secret>: {{type: {t}, ...}}}}}}`"
                                )),
                            );
                        }
                    }
                    _ => self.warn(
                        p,
                        format!("secret scope '{name}' is not a mapping, which breaks `${{...}}` lookups"),
                        Some("a scope is a mapping of secret names to values".into()),
                    ),
                }
            }
        }
    }

    /// Returns the hypothesis when it is a mapping.
    fn hypothesis<'v>(&mut self, hypo: Option<&'v Value>) -> Option<&'v Value> {
        let path = DocPath::root().key("steady-state-hypothesis");
        let hypo = hypo?;
        let Value::Object(h) = hypo else {
            self.error(
                path,
                format!(
                    "the steady-state hypothesis must be a mapping, not {}",
                    describe(hypo)
                ),
                Some("give it a `title` and a list of `probes`, or remove it".into()),
            );
            return None;
        };
        if !truthy(h.get("title")) {
            self.error(
                path.key("title"),
                "hypothesis requires a title",
                Some("add a non-empty `title`".into()),
            );
        }
        match h.get("probes") {
            Some(Value::Array(probes)) => {
                for (i, probe) in probes.iter().enumerate() {
                    let p = path.key("probes").index(i);
                    self.activity(&p, probe);
                    if let Value::Object(m) = probe {
                        if m.is_empty() {
                            continue;
                        }
                        match m.get("tolerance") {
                            None => self.error(
                                p,
                                "hypothesis probe must have a tolerance entry",
                                Some(
                                    "add a `tolerance` (for example `tolerance: 200` for an HTTP status, or `true`)"
                                        .into(),
                                ),
                            ),
                            Some(t) => self.tolerance(&p.key("tolerance"), t),
                        }
                    }
                }
            }
            Some(v) if py_truthy(v) => self.error(
                path.key("probes"),
                format!(
                    "hypothesis probes must be a list of probes, not {}",
                    describe(v)
                ),
                Some("write `probes` as a list".into()),
            ),
            _ => {}
        }
        Some(hypo)
    }

    fn tolerance(&mut self, path: &DocPath, t: &Value) {
        let m = match t {
            Value::Bool(_) | Value::String(_) | Value::Array(_) => return,
            Value::Number(_) if is_python_int(t) => return,
            Value::Object(m) => m,
            _ => {
                self.error(
                    path.clone(),
                    TOLERANCE_TYPE_MESSAGE,
                    Some(format!(
                        "{} cannot be a tolerance: use an integer, a string, a boolean, a list, or a mapping with a \
                         `type` (probe, regex, jsonpath or range)",
                        if t.is_null() { "null".to_string() } else { format!("the float {}", show(t)) }
                    )),
                );
                return;
            }
        };
        match m.get("type").and_then(Value::as_str) {
            Some("probe") => {
                self.activity(path, t);
            }
            Some("regex") => self.regex_tolerance(path, m),
            Some("jsonpath") => self.jsonpath_tolerance(path, m),
            Some("range") => self.range_tolerance(path, m),
            _ => {
                let at = if m.contains_key("type") {
                    path.key("type")
                } else {
                    path.clone()
                };
                self.error(
                    at,
                    format!(
                        "hypothesis probe tolerance type '{}' is unsupported",
                        show_opt(m.get("type"))
                    ),
                    Some("use one of: probe, regex, jsonpath, range".into()),
                );
            }
        }
    }

    fn regex_tolerance(&mut self, path: &DocPath, m: &Map<String, Value>) {
        let Some(pattern) = m.get("pattern") else {
            self.error(
                path.clone(),
                "hypothesis regex probe tolerance must have a `pattern` key",
                Some("add `pattern: <a Python regular expression>`".into()),
            );
            return;
        };
        let at = path.key("pattern");
        let Value::String(p) = pattern else {
            self.error(
                at,
                format!(
                    "hypothesis probe tolerance pattern {} has an invalid type",
                    show(pattern)
                ),
                Some("the pattern must be a string".into()),
            );
            return;
        };
        if let Err(e) = pyre::compile(p) {
            match e.kind {
                PyReErrorKind::Syntax => self.error(
                    at,
                    format!("hypothesis probe tolerance pattern {p} seems invalid: {}", e.msg),
                    Some(format!(
                        "the pattern must compile with Python's `re` module (the problem is at position {}); \
                         escape a literal `(`, `)`, `[`, `*`, `+`, `?` or `\\` with a backslash",
                        e.pos
                    )),
                ),
                PyReErrorKind::Unsupported => self.error(
                    at,
                    format!("hypothesis probe tolerance pattern {p} cannot be used: {}", e.msg),
                    Some("Python accepts this pattern but this build of chaos cannot match it; rewrite it".into()),
                ),
            }
        }
    }

    fn jsonpath_tolerance(&mut self, path: &DocPath, m: &Map<String, Value>) {
        let Some(jp) = m.get("path") else {
            self.error(
                path.clone(),
                "hypothesis jsonpath probe tolerance must have a `path` key",
                Some("add `path: $.<...>` (a jsonpath2 expression)".into()),
            );
            return;
        };
        let at = path.key("path");
        let Value::String(raw) = jp else {
            self.error(
                at,
                format!(
                    "hypothesis probe tolerance JSON path {} has an invalid type",
                    show(jp)
                ),
                Some("the path must be a string".into()),
            );
            return;
        };
        let p = raw.trim();
        if p.is_empty() {
            self.error(
                at,
                "hypothesis probe tolerance JSON path cannot be empty",
                Some("give a jsonpath2 expression, e.g. `$.items[*].status`".into()),
            );
            return;
        }
        if let Err(e) = chaos_jsonpath2::JsonPath::parse(p) {
            let hint = if p.contains("==") {
                "jsonpath2 compares with a single `=`".to_string()
            } else if !p.starts_with('$') {
                "a jsonpath2 path starts with `$` (for example `$.items[*].name`)".to_string()
            } else {
                e.to_string()
            };
            self.error(
                at,
                format!("hypothesis probe tolerance JSON path {p} is invalid"),
                Some(hint),
            );
        }
    }

    fn range_tolerance(&mut self, path: &DocPath, m: &Map<String, Value>) {
        let Some(r) = m.get("range") else {
            self.error(
                path.clone(),
                "hypothesis range probe tolerance must have a `range` key",
                Some("add `range: [<lower>, <upper>]`".into()),
            );
            return;
        };
        let at = path.key("range");
        let Value::Array(bounds) = r else {
            self.error(
                at,
                "hypothesis range must be a sequence",
                Some("write the range as a list of two numbers, e.g. `[200, 299]`".into()),
            );
            return;
        };
        if bounds.len() != 2 {
            self.error(
                at,
                "hypothesis range sequence must be made of two values",
                Some("write the range as a list of two numbers, e.g. `[200, 299]`".into()),
            );
            return;
        }
        for (i, which) in [(0, "lower"), (1, "upper")] {
            if !is_python_number(&bounds[i]) {
                self.error(
                    at.index(i),
                    format!("hypothesis range {which} boundary must be a number"),
                    Some(format!("{} is not a number", show(&bounds[i]))),
                );
            }
        }
    }

    /// Validates one activity; true when it passed.
    fn activity(&mut self, path: &DocPath, act: &Value) -> bool {
        if !py_truthy(act) {
            self.error(
                path.clone(),
                "empty activity is no activity",
                Some("an activity needs a `type`, a `name` and a `provider`".into()),
            );
            return false;
        }
        let Value::Object(a) = act else {
            self.error(
                path.clone(),
                format!("an activity must be a mapping, not {}", describe(act)),
                Some("write the activity as a mapping with `type`, `name` and `provider`".into()),
            );
            return false;
        };
        if let Some(r) = a.get("ref").filter(|r| !r.is_null()) {
            if matches!(r, Value::String(s) if !s.is_empty()) {
                return true;
            }
            self.error(
                path.key("ref"),
                "reference to activity must be non-empty strings",
                Some(
                    "set `ref` to the `name` of a method activity or of a hypothesis probe".into(),
                ),
            );
            return false;
        }

        let errors_before = self.v.errors.len();
        let mut kind = None;
        match a.get("type") {
            t if !truthy(t) => self.error(
                path.key("type"),
                "an activity must have a type",
                Some("add `type: probe` or `type: action`".into()),
            ),
            Some(Value::String(t)) if t == "probe" || t == "action" => kind = Some(t.as_str()),
            t => self.error(
                path.key("type"),
                format!("'{}' is not a supported activity type", show_opt(t)),
                Some("use `probe` or `action`".into()),
            ),
        }
        let name = a.get("name").filter(|n| py_truthy(n));
        if name.is_none() {
            self.error(
                path.key("name"),
                "an activity must have a name",
                Some("add a `name`; it is also what a `ref` points to".into()),
            );
        }
        let provider = self.provider_generic(path, a.get("provider"));

        match a.get("timeout") {
            None | Some(Value::Null) => {}
            Some(t) if is_python_number(t) => {}
            Some(_) => self.error(
                path.key("timeout"),
                "activity timeout must be a number",
                Some("give the number of seconds, e.g. `timeout: 30`".into()),
            ),
        }
        self.pauses(path, a.get("pauses"));
        if let Some(b) = a.get("background") {
            if !b.is_boolean() {
                self.error(
                    path.key("background"),
                    "activity background must be a boolean",
                    Some("use `background: true` or `background: false`".into()),
                );
            }
        }

        if let (Some(kind), Some(name), Some((ptype, pmap))) = (kind, name, provider) {
            self.deferred.push(DeferredCheck {
                errors_at: self.v.errors.len(),
                path: path.clone(),
                provider_type: ptype.to_string(),
                provider: pmap.clone(),
                activity_name: show(name),
                kind: if kind == "probe" { "probe" } else { "action" },
            });
        }
        self.v.errors.len() == errors_before
    }

    /// The checks of `provider` every type shares; the type and the mapping
    /// when they pass.
    fn provider_generic<'v>(
        &mut self,
        path: &DocPath,
        provider: Option<&'v Value>,
    ) -> Option<(&'v str, &'v Map<String, Value>)> {
        let at = path.key("provider");
        let provider = match provider {
            p if !truthy(p) => {
                let hint = format!(
                    "add a `provider` mapping with a `type` ({})",
                    self.provider_types_hint()
                );
                self.error(at, "an activity requires a provider", Some(hint));
                return None;
            }
            Some(Value::Object(m)) => m,
            Some(other) => {
                self.error(
                    at,
                    format!(
                        "an activity's provider must be a mapping, not {}",
                        describe(other)
                    ),
                    Some("write the provider as a mapping with a `type`".into()),
                );
                return None;
            }
            None => return None,
        };
        match provider.get("type") {
            t if !truthy(t) => {
                let hint = self.provider_types_hint();
                self.error(at.key("type"), "a provider must have a type", Some(hint));
                None
            }
            Some(Value::String(t)) if self.known.iter().any(|k| k == t) => {
                Some((t.as_str(), provider))
            }
            t => {
                let hint = self.provider_types_hint();
                self.error(
                    at.key("type"),
                    format!("unknown provider type '{}'", show_opt(t)),
                    Some(hint),
                );
                None
            }
        }
    }

    fn pauses(&mut self, path: &DocPath, pauses: Option<&Value>) {
        let at = path.key("pauses");
        let m = match pauses {
            None | Some(Value::Null) => return,
            Some(Value::Object(m)) => m,
            Some(other) => {
                self.error(
                    at,
                    format!("activity pauses must be a mapping, not {}", describe(other)),
                    Some("write e.g. `pauses: {before: 5, after: 10}`".into()),
                );
                return;
            }
        };
        for which in ["before", "after"] {
            let ok = match m.get(which) {
                None | Some(Value::Null) | Some(Value::Number(_)) | Some(Value::Bool(_)) => true,
                Some(Value::String(s)) => s.starts_with("${") && s.ends_with('}'),
                // the reference lets these through and crashes when pausing
                Some(Value::Array(_)) | Some(Value::Object(_)) => false,
            };
            if !ok {
                self.error(
                    at.key(which),
                    format!(
                        "activity {which} pause must be a number or a pattern to a variable from the configuration or secrets"
                    ),
                    Some(format!("give seconds (e.g. `{which}: 5`) or a placeholder such as `\"${{pause}}\"`")),
                );
            }
        }
    }

    fn method(&mut self, exp: &Map<String, Value>) {
        let path = DocPath::root().key("method");
        let list = match exp.get("method") {
            None | Some(Value::Null) => {
                self.error(
                    path,
                    METHOD_REQUIRED,
                    Some("add `method: []` to only check the steady-state hypothesis".into()),
                );
                return;
            }
            Some(Value::Array(list)) => list,
            Some(other) => {
                self.error(
                    path,
                    format!(
                        "the experiment's method must be a list of activities, not {}",
                        describe(other)
                    ),
                    Some("write `method` as a list (it may be empty)".into()),
                );
                return;
            }
        };
        let cache = activity_cache(exp);
        for (i, act) in list.iter().enumerate() {
            let p = path.index(i);
            if !self.activity(&p, act) {
                continue;
            }
            let Some(Value::String(r)) = act.get("ref") else {
                continue;
            };
            if r.is_empty() || cache.contains(r.as_str()) {
                continue;
            }
            let hint = reference_hint(exp, r, &cache);
            self.error(
                p.key("ref"),
                format!("referenced activity '{r}' could not be found in the experiment"),
                Some(hint),
            );
        }
    }

    /// Validates the rollbacks (their refs are not looked up, as in the
    /// reference); returns the list when it is one.
    fn rollbacks<'v>(&mut self, rollbacks: Option<&'v Value>) -> Option<&'v Vec<Value>> {
        let path = DocPath::root().key("rollbacks");
        match rollbacks? {
            Value::Array(list) => {
                for (i, act) in list.iter().enumerate() {
                    self.activity(&path.index(i), act);
                }
                Some(list)
            }
            other => {
                self.error(
                    path,
                    format!(
                        "rollbacks must be a list of activities, not {}",
                        describe(other)
                    ),
                    Some("write `rollbacks` as a list, or remove it".into()),
                );
                None
            }
        }
    }

    fn deprecations(
        &mut self,
        activities: &[(DocPath, &Map<String, Value>)],
        secrets: Option<&Value>,
    ) {
        for (p, a) in activities {
            let Some(Value::Object(provider)) = a.get("provider") else {
                continue;
            };
            if provider.get("type").and_then(Value::as_str) == Some("process")
                && matches!(provider.get("arguments"), Some(Value::Object(_)))
            {
                self.warn(
                    p.key("provider").key("arguments"),
                    DEPRECATED_DICT_ARGS,
                    Some("write the arguments as a list, e.g. `[\"--name\", \"value\"]`".into()),
                );
            }
        }
        let Some(Value::Object(scopes)) = secrets else {
            return;
        };
        for (scope, keys) in scopes {
            let Value::Object(keys) = keys else { continue };
            for (key, value) in keys {
                let Value::Object(v) = value else { continue };
                if v.get("type").and_then(Value::as_str) == Some("vault")
                    && v.contains_key("key")
                    && !v.contains_key("path")
                {
                    self.warn(
                        DocPath::root().key("secrets").key(scope).key(key),
                        DEPRECATED_VAULT_KEY,
                        Some("add `path` (the secret's path in Vault); `key` picks one key of that secret".into()),
                    );
                }
            }
        }
    }

    fn controls(
        &mut self,
        exp: &Map<String, Value>,
        hypothesis: Option<&Value>,
        activities: &[(DocPath, &Map<String, Value>)],
    ) {
        let top = DocPath::root();
        let mut all: Vec<(DocPath, &Value)> = Vec::new();
        let mut lists: Vec<(DocPath, Option<&Value>)> =
            vec![(top.key("controls"), exp.get("controls"))];
        if let Some(Value::Object(h)) = hypothesis {
            lists.push((
                top.key("steady-state-hypothesis").key("controls"),
                h.get("controls"),
            ));
        }
        for (p, a) in activities {
            lists.push((p.key("controls"), a.get("controls")));
        }
        for (p, list) in lists {
            match list {
                None => {}
                Some(Value::Array(items)) => {
                    all.extend(items.iter().enumerate().map(|(i, c)| (p.index(i), c)));
                }
                Some(other) => self.error(
                    p,
                    format!(
                        "controls must be a list of controls, not {}",
                        describe(other)
                    ),
                    Some(
                        "write `controls` as a list of mappings with `name` and `provider`".into(),
                    ),
                ),
            }
        }

        let references: Vec<&Value> = all
            .iter()
            .filter_map(|(_, c)| c.as_object())
            .filter(|c| !c.contains_key("ref"))
            .filter_map(|c| c.get("name"))
            .collect();

        for (p, c) in &all {
            let Value::Object(c) = c else {
                self.error(
                    p.clone(),
                    format!("a control must be a mapping, not {}", describe(c)),
                    Some("a control is a mapping with `name` and `provider`".into()),
                );
                continue;
            };
            if let Some(r) = c.get("ref") {
                if !references.iter().any(|n| py_eq(n, r)) {
                    self.error(
                        p.key("ref"),
                        "Control reference '{}' declaration cannot be found",
                        Some(format!(
                            "no control named '{}' is declared without `ref` (note that a control with `ref` \
                             still needs its own `name` and `provider`)",
                            show(r)
                        )),
                    );
                }
            }
            let Some(name) = c.get("name") else {
                self.error(
                    p.clone(),
                    "A control must have a `name` property",
                    Some("add a `name`".into()),
                );
                continue;
            };
            let name = show(name);
            let Some(provider) = c.get("provider") else {
                self.error(
                    p.clone(),
                    format!("Control '{name}' must have a `provider` property"),
                    Some("add e.g. `provider: {type: python, module: <dotted.module>}`".into()),
                );
                continue;
            };
            if let Some(scope) = c.get("scope") {
                if py_truthy(scope) && !matches!(scope.as_str(), Some("before" | "after")) {
                    self.error(
                        p.key("scope"),
                        format!("Control '{name}' scope property must be 'before' or 'after' only"),
                        Some("use `before` or `after`, or remove `scope` to run the control in both phases".into()),
                    );
                }
            }
            let Value::Object(provider) = provider else {
                self.error(
                    p.key("provider"),
                    format!(
                        "Control '{name}' provider must be a mapping, not {}",
                        describe(provider)
                    ),
                    Some("write e.g. `provider: {type: python, module: <dotted.module>}`".into()),
                );
                continue;
            };
            match provider.get("type") {
                Some(Value::String(t)) if t == "python" => {
                    if !truthy(provider.get("module")) {
                        self.error(
                            p.key("provider").key("module"),
                            format!("Control '{name}' must have a module path"),
                            Some("add `module: <dotted.python.module>`".into()),
                        );
                    } else {
                        let (errors, warnings) = self.providers.check_control(c, &name);
                        for issue in errors {
                            self.error(p.join(&issue.at), issue.message, issue.hint);
                        }
                        for issue in warnings {
                            self.warn(p.join(&issue.at), issue.message, issue.hint);
                        }
                    }
                }
                t => self.warn(
                    p.key("provider").key("type"),
                    format!(
                        "Control '{name}' has provider type '{}', so it is never applied: only `python` controls run",
                        show_opt(t)
                    ),
                    Some("use `type: python`".into()),
                ),
            }
        }
    }

    /// `proxies` (ours): the proxies `chaos run` starts for the run, each a
    /// Toxiproxy proxy (`name`, `upstream`, optional `listen`, `enabled`).
    fn proxies(&mut self, proxies: Option<&Value>) {
        let Some(proxies) = proxies else {
            return;
        };
        let path = DocPath::root().key("proxies");
        let example = "write e.g. `proxies: [{name: db, listen: \"127.0.0.1:6543\", upstream: \"127.0.0.1:5432\"}]`";
        let Value::Array(list) = proxies else {
            self.error(
                path,
                format!("proxies must be a list, not {}", describe(proxies)),
                Some(example.into()),
            );
            return;
        };
        let mut names = HashSet::new();
        for (i, p) in list.iter().enumerate() {
            let at = path.index(i);
            let Value::Object(p) = p else {
                self.error(
                    at,
                    format!("a proxy must be a mapping, not {}", describe(p)),
                    Some(example.into()),
                );
                continue;
            };
            for key in ["name", "upstream"] {
                match p.get(key) {
                    Some(Value::String(s)) if !s.is_empty() => {}
                    _ => self.error(
                        at.key(key),
                        format!("a proxy needs a `{key}` string"),
                        Some(example.into()),
                    ),
                }
            }
            if let Some(listen) = p.get("listen") {
                if !listen.is_string() {
                    self.error(
                        at.key("listen"),
                        "`listen` must be a `host:port` string",
                        Some(example.into()),
                    );
                }
            }
            if let Some(enabled) = p.get("enabled") {
                if !enabled.is_boolean() {
                    self.error(at.key("enabled"), "`enabled` must be true or false", None);
                }
            }
            if let Some(Value::String(name)) = p.get("name") {
                if !names.insert(name.clone()) {
                    self.error(
                        at.key("name"),
                        format!("the proxy '{name}' is declared twice"),
                        Some("give each proxy its own name".into()),
                    );
                }
            }
        }
    }

    fn runtime(&mut self, runtime: Option<&Value>) {
        let Some(rt) = runtime.filter(|r| py_truthy(r)) else {
            return;
        };
        let path = DocPath::root().key("runtime");
        let Value::Object(rt) = rt else {
            self.error(
                path,
                format!("runtime must be a mapping, not {}", describe(rt)),
                Some("write e.g. `runtime: {rollbacks: {strategy: always}}`".into()),
            );
            return;
        };
        for (section, allowed) in [
            ("rollbacks", ROLLBACK_STRATEGIES),
            ("hypothesis", HYPOTHESIS_STRATEGIES),
        ] {
            let p = path.key(section);
            match rt.get(section) {
                None => {}
                Some(Value::Object(s)) => match s.get("strategy") {
                    None => {}
                    Some(Value::String(x)) if section == "hypothesis" && x == "continously" => self
                        .warn(
                            p.key("strategy"),
                            "the hypothesis strategy 'continously' is deprecated",
                            Some("use `continuously`".into()),
                        ),
                    Some(Value::String(x)) if allowed.contains(&x.as_str()) => {}
                    Some(other) => self.error(
                        p.key("strategy"),
                        "Unknown strategy",
                        Some(format!(
                            "'{}' is not a {} strategy; use one of: {}",
                            show(other),
                            if section == "rollbacks" {
                                "rollback"
                            } else {
                                "hypothesis"
                            },
                            allowed
                                .iter()
                                .filter(|s| **s != "continously")
                                .copied()
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    ),
                },
                Some(other) => self.error(
                    p,
                    format!(
                        "runtime.{section} must be a mapping, not {}",
                        describe(other)
                    ),
                    Some(format!("write e.g. `{section}: {{strategy: default}}`")),
                ),
            }
        }
    }
}

/// The mappings of a list, with their paths.
fn objects<'v>(path: &DocPath, list: &'v [Value]) -> Vec<(DocPath, &'v Map<String, Value>)> {
    list.iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_object().map(|m| (path.index(i), m)))
        .collect()
}

/// The names a method `ref` may point to: method activities, then
/// hypothesis probes (rollbacks are never cached).
fn activity_cache(exp: &Map<String, Value>) -> HashSet<&str> {
    fn add<'v>(names: &mut HashSet<&'v str>, list: Option<&'v Value>) {
        if let Some(Value::Array(items)) = list {
            for a in items {
                if let Some(Value::String(n)) = a.get("name") {
                    if !n.is_empty() {
                        names.insert(n.as_str());
                    }
                }
            }
        }
    }
    let mut names = HashSet::new();
    add(&mut names, exp.get("method"));
    if let Some(Value::Object(h)) = exp.get("steady-state-hypothesis") {
        add(&mut names, h.get("probes"));
    }
    names
}

fn reference_hint(exp: &Map<String, Value>, r: &str, cache: &HashSet<&str>) -> String {
    let in_rollbacks = matches!(exp.get("rollbacks"), Some(Value::Array(rb))
        if rb.iter().any(|a| a.get("name").and_then(Value::as_str) == Some(r)));
    if in_rollbacks {
        return "rollbacks cannot be referenced: only method activities and hypothesis probes can"
            .into();
    }
    if cache.is_empty() {
        return "no method activity or hypothesis probe has a name to refer to".into();
    }
    let mut names: Vec<&str> = cache.iter().copied().collect();
    names.sort_unstable();
    let more = names.len() > 10;
    names.truncate(10);
    format!(
        "refer to one of: {}{}",
        names.join(", "),
        if more { ", ..." } else { "" }
    )
}
