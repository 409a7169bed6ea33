//! The Game Day plan: the book's planning questions as fields of a YAML
//! file. This module owns the template `chaos gameday plan` writes, loading
//! a plan with the place of every value, the check of what it still lacks
//! (each issue with its line and column) and the typed view a run uses.
//!
//! Fields: `hypothesis` (`id`, `title`), `style` (see [`STYLES`]),
//! `participants` and `observers` (`name`, `role`), `where`, `when`
//! (date-time), `duration` (minutes), `steps` (text), `experiment` (text or
//! the path of an experiment file), `safety` (`interval` seconds and
//! `probes`, each an experiment probe with a `tolerance`), `rollbacks`
//! (experiment actions) and `approval` (`approver`, `approved_at`).
//!
//! A string starting with `TODO` is a placeholder the team has not filled
//! in yet.

use std::path::{Path, PathBuf};

use chaos_experiment::{DocPath, Document, Format, Location, ProviderCheck};
use chaos_pyvalue::{py_str, Map, Value};

/// The Game Day styles, with what each means.
pub const STYLES: &[(&str, &str)] = &[
    (
        "tabletop",
        "walk through the hypothesis and the steps around a table: nothing is injected, the safety probes are optional",
    ),
    (
        "dress-rehearsal",
        "run the Game Day for real against a copy of the system (staging, a sandbox) to rehearse the steps, the stop and the rollbacks before going live",
    ),
    (
        "live",
        "inject the turbulence into production, with the safety monitor on: at least one safety probe and one rollback are required",
    ),
];

/// The default plan file name for hypothesis `id`.
pub fn default_file_name(id: &str) -> String {
    format!("gameday-{}.yaml", file_safe(id))
}

/// `s` with anything but letters, digits, `-`, `_` and `.` turned into `-`.
pub fn file_safe(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if t.is_empty() {
        "unnamed".into()
    } else {
        t
    }
}

/// Whether `v` is a placeholder string (`TODO...`).
pub fn is_placeholder(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.trim_start().to_ascii_uppercase().starts_with("TODO"))
}

fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

/// The title of hypothesis `id` in a `hypotheses.yaml` in `dir`, if there
/// is one that says so: a top-level `hypotheses:` list of mappings with
/// `id` and `title`. Anything else is ignored.
pub fn title_from_backlog(dir: &Path, id: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("hypotheses.yaml")).ok()?;
    let doc: serde_norway::Value = serde_norway::from_str(&text).ok()?;
    let list = doc.get("hypotheses")?.as_sequence()?;
    list.iter().find_map(|h| {
        let hid = match h.get("id")? {
            serde_norway::Value::String(s) => s.clone(),
            serde_norway::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        if hid != id {
            return None;
        }
        h.get("title")?.as_str().map(str::to_string)
    })
}

fn yaml_str(s: &str) -> String {
    // A JSON string is a valid YAML double-quoted scalar.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The plan file `chaos gameday plan` writes: every field with a comment
/// explaining it, and `TODO` placeholders where the team must decide.
pub fn template(id: &str, title: Option<&str>) -> String {
    let title = title
        .map(yaml_str)
        .unwrap_or_else(|| "TODO: the hypothesis, as one sentence".into());
    let styles: String = STYLES
        .iter()
        .map(|(n, d)| format!("#   {n}: {d}\n"))
        .collect();
    format!(
        r#"# Game Day plan. Replace every TODO, then run
#   chaos gameday check {file}
# until it says the plan is ready; get it approved; then
#   chaos gameday run {file}

# The hypothesis this Game Day puts to the test (from the backlog).
hypothesis:
  id: {id}
  title: {title}

# How the Game Day is played, one of:
{styles}style: dress-rehearsal

# Who takes part, each with a role (facilitator: runs the session and keeps
# time; executor: carries out the steps; scribe: types the observations).
participants:
  - name: TODO
    role: facilitator
  - name: TODO
    role: executor
  - name: TODO
    role: scribe

# Who watches without acting (a product owner, the on-call engineer...),
# each with a role. An empty list [] if nobody.
observers:
  - name: TODO
    role: TODO

# Where the team meets (a room, a video call link).
where: TODO

# When it starts: a date-time, e.g. "2030-06-01T10:00:00Z".
when: TODO

# How long it is planned to last, in minutes (the run shows a timer).
duration: 60

# What happens, in order; `chaos gameday run` shows them one by one.
steps:
  - "Brief everyone: the hypothesis, the roles, the stop conditions"
  - "Check the system is in its steady state (dashboards, safety probes green)"
  - "TODO: introduce the turbulence (what exactly is done, by whom)"
  - "Observe and note what the system and the team do"
  - "Roll back and confirm the steady state is back"
  - "Debrief: what did we learn, what goes into the backlog"

# The experiment: what is done to the system, in words, or the path of an
# experiment file (relative to this plan), e.g. experiment.json.
experiment: TODO

# The safety monitor: probes polled every `interval` seconds during the run.
# Any provider an experiment accepts (process, http, python...); when one
# is out of its `tolerance` the terminal shouts and offers to stop.
safety:
  interval: 5
  probes:
    - name: TODO
      type: probe
      tolerance: 0
      provider:
        type: process
        path: TODO
        arguments: []

# What is run when the Game Day is stopped, like an experiment's rollbacks.
rollbacks: []
#  - name: restore-service
#    type: action
#    provider:
#      type: process
#      path: ./restore.sh

# Sign-off: the person who approves the Game Day, and when (a date-time).
# `chaos gameday run` refuses to start an unapproved plan.
approval:
  approver:
  approved_at:
"#,
        file = default_file_name(id),
        id = yaml_str(id),
    )
}

/// Loads a plan file; a syntax error names file, line and column.
pub fn load(path: &Path) -> Result<Document, String> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: cannot read the plan: {e}"))?;
    Document::parse(&bytes, Format::Yaml, &shown).map_err(|e| {
        e.to_string()
            .replacen("Failed parsing YAML experiment: ", "invalid YAML: ", 1)
    })
}

/// One thing a plan lacks.
#[derive(Debug, Clone)]
pub struct Issue {
    /// The field (`safety.probes[0].tolerance`).
    pub path: DocPath,
    /// Where in the file, when known.
    pub location: Option<Location>,
    /// What is wrong and what to do.
    pub message: String,
}

impl Issue {
    /// `file:line:column: field: message`.
    pub fn render(&self, origin: &str) -> String {
        let at = self
            .location
            .map(|l| format!(":{}:{}", l.line, l.column))
            .unwrap_or_default();
        format!("{origin}{at}: {}: {}", self.path, self.message)
    }
}

struct Checker<'a> {
    doc: &'a Document,
    issues: Vec<Issue>,
}

impl Checker<'_> {
    fn push(&mut self, path: DocPath, message: impl Into<String>) {
        if self.issues.iter().any(|i| i.path == path) {
            return;
        }
        let location = self.doc.locate(&path);
        self.issues.push(Issue {
            path,
            location,
            message: message.into(),
        });
    }

    fn get(&self, path: &DocPath) -> Option<&Value> {
        let mut v = &self.doc.value;
        for seg in &path.0 {
            v = match seg {
                chaos_experiment::PathSeg::Key(k) => v.as_object()?.get(k)?,
                chaos_experiment::PathSeg::Index(i) => v.as_array()?.get(*i)?,
            };
        }
        Some(v)
    }

    /// A text field that must be filled in.
    fn text(&mut self, path: DocPath, what: &str) -> Option<String> {
        let v = self.get(&path).cloned();
        if is_blank(v.as_ref()) {
            self.push(path, format!("missing: {what}"));
            return None;
        }
        let v = v?;
        if is_placeholder(&v) {
            self.push(path, format!("still a placeholder: {what}"));
            return None;
        }
        match v {
            Value::String(s) => Some(s),
            Value::Number(_) | Value::Bool(_) => Some(py_str(&v)),
            _ => {
                self.push(path, format!("must be text: {what}"));
                None
            }
        }
    }

    fn list(&mut self, path: DocPath, what: &str) -> Option<Vec<Value>> {
        match self.get(&path).cloned() {
            None | Some(Value::Null) => {
                self.push(path, format!("missing: {what}"));
                None
            }
            Some(Value::Array(items)) => Some(items),
            Some(_) => {
                self.push(path, format!("must be a list: {what}"));
                None
            }
        }
    }

    fn positive(&mut self, path: DocPath, what: &str) -> Option<f64> {
        let v = self.get(&path).cloned();
        match v {
            None | Some(Value::Null) => {
                self.push(path, format!("missing: {what}"));
                None
            }
            Some(Value::Number(n)) if n.as_f64().is_some_and(|f| f > 0.0) => n.as_f64(),
            Some(_) => {
                self.push(path, format!("must be a number above 0: {what}"));
                None
            }
        }
    }

    fn datetime(&mut self, path: DocPath, what: &str) {
        if let Some(s) = self.text(path.clone(), what) {
            if crate::parse_datetime(&s).is_none() {
                self.push(
                    path,
                    format!(
                        "'{s}' is not a date-time (write it like 2030-06-01T10:00:00Z): {what}"
                    ),
                );
            }
        }
    }

    fn people(&mut self, key: &str, at_least_one: bool) {
        let path = DocPath::root().key(key);
        let Some(items) = self.list(
            path.clone(),
            &format!("who the {key} are, each with a name and a role"),
        ) else {
            return;
        };
        if at_least_one && items.is_empty() {
            self.push(
                path.clone(),
                format!("no {key}: name at least one, with a role"),
            );
        }
        for (i, item) in items.iter().enumerate() {
            let p = path.index(i);
            if !matches!(item, Value::Object(_)) {
                self.push(p, "must be a mapping with `name` and `role`");
                continue;
            }
            self.text(p.key("name"), "the person's name");
            self.text(p.key("role"), "the person's role");
        }
    }

    fn activities(
        &mut self,
        path: DocPath,
        items: &[Value],
        kind: &str,
        providers: Option<&dyn ProviderCheck>,
    ) {
        for (i, item) in items.iter().enumerate() {
            let p = path.index(i);
            let Value::Object(m) = item else {
                self.push(
                    p,
                    format!("must be a mapping: an experiment {kind} with a `provider`"),
                );
                continue;
            };
            if m.contains_key("name") {
                self.text(p.key("name"), &format!("the {kind}'s name"));
            }
            if kind == "probe" && is_blank(m.get("tolerance")) {
                self.push(
                    p.key("tolerance"),
                    "missing: the probe's tolerance (what its output must be while it is safe to go on)",
                );
            }
            let Some(Value::Object(provider)) = m.get("provider") else {
                self.push(
                    p.key("provider"),
                    "missing: the provider that runs it (type process, http, python...)",
                );
                continue;
            };
            let Some(ptype) = self.text(p.key("provider").key("type"), "the provider's type")
            else {
                continue;
            };
            let unfilled = provider.values().any(|v| {
                is_placeholder(v) || v.as_array().is_some_and(|a| a.iter().any(is_placeholder))
            });
            if let Some(check) = providers.filter(|_| !unfilled) {
                if !check.known_types().contains(&ptype) {
                    self.push(
                        p.key("provider").key("type"),
                        format!(
                            "unknown provider type '{ptype}' (one of: {})",
                            check.known_types().join(", ")
                        ),
                    );
                    continue;
                }
                let name = m.get("name").map(py_str).unwrap_or_default();
                for issue in check.check(&ptype, provider, &name, kind) {
                    let mut msg = issue.message;
                    if let Some(h) = issue.hint {
                        msg = format!("{msg} ({h})");
                    }
                    self.push(p.key("provider").join(&issue.at), msg);
                }
            }
        }
    }

    /// Every placeholder left anywhere, for those no rule above reported.
    fn placeholders(&mut self, path: DocPath, v: &Value) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    self.placeholders(path.key(k), v);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.placeholders(path.index(i), v);
                }
            }
            v if is_placeholder(v) => {
                let covered = self
                    .issues
                    .iter()
                    .any(|i| path.0.starts_with(&i.path.0) && !i.path.0.is_empty());
                if !covered {
                    self.push(path, "still a placeholder: fill it in");
                }
            }
            _ => {}
        }
    }
}

/// Everything the plan in `doc` still lacks, in the order of the fields.
/// `base` is the plan's folder (an experiment path is relative to it);
/// `providers`, when given, checks the probes' and rollbacks' providers.
pub fn check(doc: &Document, base: &Path, providers: Option<&dyn ProviderCheck>) -> Vec<Issue> {
    let mut c = Checker {
        doc,
        issues: Vec::new(),
    };
    let root = DocPath::root();
    if !matches!(doc.value, Value::Object(_)) {
        c.push(root, "a plan is a mapping of fields (hypothesis, style, ...): start from `chaos gameday plan`");
        return c.issues;
    }
    let h = root.key("hypothesis");
    if !matches!(c.get(&h), Some(Value::Object(_))) {
        c.push(
            h.clone(),
            "missing: the hypothesis, a mapping with `id` and `title`",
        );
    } else {
        c.text(h.key("id"), "the hypothesis id (as in the backlog)");
        c.text(h.key("title"), "the hypothesis, as one sentence");
    }
    let names: Vec<&str> = STYLES.iter().map(|(n, _)| *n).collect();
    let style = c.text(
        root.key("style"),
        &format!("the Game Day style ({})", names.join(", ")),
    );
    if let Some(s) = &style {
        if !names.contains(&s.as_str()) {
            c.push(
                root.key("style"),
                format!("unknown style '{s}': one of {}", names.join(", ")),
            );
        }
    }
    c.people("participants", true);
    c.people("observers", false);
    c.text(
        root.key("where"),
        "where the team meets (a room, a call link)",
    );
    c.datetime(root.key("when"), "when the Game Day starts");
    c.positive(
        root.key("duration"),
        "how long it is planned to last, in minutes",
    );
    if let Some(steps) = c.list(root.key("steps"), "the steps, in order") {
        if steps.is_empty() {
            c.push(root.key("steps"), "no steps: write what happens, in order");
        }
        for i in 0..steps.len() {
            c.text(root.key("steps").index(i), "what happens in this step");
        }
    }
    if let Some(e) = c.text(
        root.key("experiment"),
        "what is done to the system, or the path of an experiment file",
    ) {
        let looks_like_path = !e.contains(char::is_whitespace)
            && [".json", ".yaml", ".yml"].iter().any(|x| e.ends_with(x));
        if looks_like_path && !base.join(&e).exists() {
            c.push(
                root.key("experiment"),
                format!("the experiment file '{e}' does not exist (relative to the plan)"),
            );
        }
    }
    let tabletop = style.as_deref() == Some("tabletop");
    let live = style.as_deref() == Some("live");
    let safety = root.key("safety");
    if !matches!(c.get(&safety), Some(Value::Object(_))) {
        c.push(
            safety.clone(),
            "missing: the safety monitor, a mapping with `interval` and `probes`",
        );
    } else {
        c.positive(
            safety.key("interval"),
            "how often the safety probes are polled, in seconds",
        );
        if let Some(probes) = c.list(safety.key("probes"), "the safety probes (stop conditions)") {
            if probes.is_empty() && !tabletop {
                c.push(
                    safety.key("probes"),
                    "no safety probes: a Game Day that touches a system needs at least one stop condition",
                );
            }
            c.activities(safety.key("probes"), &probes, "probe", providers);
        }
    }
    if let Some(rollbacks) = c.list(
        root.key("rollbacks"),
        "what is run when stopping ([] if nothing)",
    ) {
        if rollbacks.is_empty() && live {
            c.push(
                root.key("rollbacks"),
                "no rollbacks: a live Game Day needs a way back",
            );
        }
        c.activities(root.key("rollbacks"), &rollbacks, "action", providers);
    }
    let approval = root.key("approval");
    let approver = c.get(&approval.key("approver")).cloned();
    let at = c.get(&approval.key("approved_at")).cloned();
    let unset = |v: &Option<Value>| is_blank(v.as_ref()) || v.as_ref().is_some_and(is_placeholder);
    if unset(&approver) || unset(&at) {
        let missing = match (unset(&approver), unset(&at)) {
            (true, true) => "`approver` and `approved_at` are empty",
            (true, false) => "`approver` is empty",
            _ => "`approved_at` is empty",
        };
        c.push(
            approval,
            format!("not approved: {missing}; the approver signs the plan off with their name and the date-time"),
        );
    } else {
        c.datetime(approval.key("approved_at"), "when the plan was approved");
    }
    let value = doc.value.clone();
    c.placeholders(DocPath::root(), &value);
    c.issues
}

/// Whether `issues` includes the plan not being approved.
pub fn unapproved(issues: &[Issue]) -> bool {
    issues
        .iter()
        .any(|i| i.path == DocPath::root().key("approval"))
}

/// A probe or an action of the plan, ready for the drivers.
#[derive(Debug, Clone)]
pub struct Activity {
    /// Its name (`safety-probe-1` when the plan gives none).
    pub name: String,
    /// The provider block.
    pub provider: Map<String, Value>,
    /// The tolerance (probes), `null` for actions.
    pub tolerance: Value,
}

/// The typed view of a plan that passed [`check`].
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where it was loaded from.
    pub path: PathBuf,
    /// The whole plan as written.
    pub value: Value,
    /// `hypothesis.id`.
    pub hypothesis_id: String,
    /// `hypothesis.title`.
    pub hypothesis_title: String,
    /// `style`.
    pub style: String,
    /// `steps`.
    pub steps: Vec<String>,
    /// `duration`, in minutes.
    pub duration_minutes: f64,
    /// `safety.interval`, in seconds.
    pub interval_seconds: f64,
    /// `safety.probes`.
    pub probes: Vec<Activity>,
    /// `rollbacks`.
    pub rollbacks: Vec<Activity>,
}

fn activities(v: Option<&Value>, prefix: &str) -> Vec<Activity> {
    v.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    let m = a.as_object()?;
                    Some(Activity {
                        name: m
                            .get("name")
                            .map(py_str)
                            .unwrap_or_else(|| format!("{prefix}-{}", i + 1)),
                        provider: m.get("provider")?.as_object()?.clone(),
                        tolerance: m.get("tolerance").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Plan {
    /// The typed view of `value` (missing fields get neutral defaults).
    pub fn from_value(path: &Path, value: &Value) -> Plan {
        let s = |p: &str| value.pointer(p).map(py_str).unwrap_or_default();
        let n = |p: &str, d: f64| value.pointer(p).and_then(Value::as_f64).unwrap_or(d);
        Plan {
            path: path.to_path_buf(),
            value: value.clone(),
            hypothesis_id: s("/hypothesis/id"),
            hypothesis_title: s("/hypothesis/title"),
            style: s("/style"),
            steps: value
                .get("steps")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(py_str).collect())
                .unwrap_or_default(),
            duration_minutes: n("/duration", 60.0),
            interval_seconds: n("/safety/interval", 5.0),
            probes: activities(value.pointer("/safety/probes"), "safety-probe"),
            rollbacks: activities(value.get("rollbacks"), "rollback"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses_and_lists_its_placeholders_and_the_approval() {
        let text = template("H1", Some("a \"quoted\" title"));
        let doc = Document::parse(text.as_bytes(), Format::Yaml, "p.yaml").unwrap();
        assert_eq!(doc.value["hypothesis"]["title"], "a \"quoted\" title");
        let issues = check(&doc, Path::new("."), None);
        let paths: Vec<String> = issues.iter().map(|i| i.path.to_string()).collect();
        for p in ["where", "when", "experiment", "steps[2]", "approval"] {
            assert!(paths.contains(&p.to_string()), "{p} in {paths:?}");
        }
        assert!(unapproved(&issues));
        assert!(issues.iter().all(|i| i.location.is_some()));
    }

    #[test]
    fn date_times_are_read_the_ways_people_write_them() {
        for s in [
            "2030-06-01T10:00:00Z",
            "2030-06-01 10:00:00+02:00",
            "2030-06-01T10:00",
        ] {
            assert!(crate::parse_datetime(s).is_some(), "{s}");
        }
        assert!(crate::parse_datetime("next tuesday").is_none());
    }
}
