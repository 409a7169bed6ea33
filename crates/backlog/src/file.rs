//! The backlog file: reading it (YAML, with `chaos_experiment`'s loader, so
//! every error names the file, line and column) and writing it back
//! atomically (a temporary file in the same folder, then a rename) in a
//! stable, human-editable layout. Comments written by hand are not kept
//! when the file is rewritten.

use std::fmt;
use std::path::Path;

use chaos_experiment::load::{Document, Format, LoadError};
use chaos_experiment::{DocPath, Location};
use serde_json::Value;

use crate::model::{Backlog, Hypothesis, Scale, Source, Status};

/// One problem with a backlog file, with its place when known.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Line and column.
    pub location: Option<Location>,
    /// What is wrong.
    pub message: String,
}

/// Why a backlog could not be read or written.
#[derive(Debug, Clone, PartialEq)]
pub struct BacklogError {
    /// The file.
    pub path: String,
    /// Every problem found (at least one).
    pub problems: Vec<Problem>,
}

impl BacklogError {
    fn one(path: &str, message: String) -> BacklogError {
        BacklogError {
            path: path.to_string(),
            problems: vec![Problem {
                location: None,
                message,
            }],
        }
    }
}

impl fmt::Display for BacklogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match p.location {
                Some(l) => write!(f, "{}:{}:{}: {}", self.path, l.line, l.column, p.message)?,
                None => write!(f, "{}: {}", self.path, p.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for BacklogError {}

/// Reads the backlog at `path`. A missing file is an error; see
/// [`load_or_default`].
pub fn load(path: &Path) -> Result<Backlog, BacklogError> {
    let shown = path.display().to_string();
    let text = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            BacklogError::one(
                &shown,
                "no backlog here: create it with `chaos backlog add`".to_string(),
            )
        } else {
            BacklogError::one(&shown, format!("cannot read: {e}"))
        }
    })?;
    parse(&text, &shown)
}

/// Reads the backlog at `path`, or an empty one if there is no file.
pub fn load_or_default(path: &Path) -> Result<Backlog, BacklogError> {
    if path.exists() {
        load(path)
    } else {
        Ok(Backlog::default())
    }
}

const TOP_KEYS: [&str; 4] = ["version", "cares", "priority", "hypotheses"];
const HYPOTHESIS_KEYS: [&str; 12] = [
    "id",
    "title",
    "source",
    "source_ref",
    "component",
    "likelihood",
    "impact",
    "cares",
    "owner",
    "status",
    "notes",
    "experiments",
];

/// Parses the text of a backlog; `origin` names it in errors.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Backlog, BacklogError> {
    let doc = match Document::parse(bytes, Format::Yaml, origin) {
        Ok(d) => d,
        Err(LoadError::Syntax {
            message, location, ..
        }) => {
            let message = message
                .strip_prefix("Failed parsing YAML experiment: ")
                .unwrap_or(&message);
            return Err(BacklogError {
                path: origin.to_string(),
                problems: vec![Problem {
                    location,
                    message: format!("not valid YAML: {message}"),
                }],
            });
        }
        Err(e) => return Err(BacklogError::one(origin, e.to_string())),
    };
    let mut r = Reader {
        doc: &doc,
        problems: Vec::new(),
    };
    let backlog = r.backlog();
    if r.problems.is_empty() {
        // Rules across fields (unique ids, declared cares...).
        for (i, field, message) in backlog.problems() {
            let path = match i {
                Some(i) => DocPath::root().key("hypotheses").index(i).key(field),
                None => DocPath::root().key(field),
            };
            r.problem(&path, message);
        }
    }
    r.problems
        .sort_by_key(|p| p.location.map(|l| (l.line, l.column)));
    if r.problems.is_empty() {
        Ok(backlog)
    } else {
        Err(BacklogError {
            path: origin.to_string(),
            problems: r.problems,
        })
    }
}

struct Reader<'a> {
    doc: &'a Document,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn problem(&mut self, path: &DocPath, message: String) {
        self.problems.push(Problem {
            location: self.doc.locate(path),
            message,
        });
    }

    fn backlog(&mut self) -> Backlog {
        let mut b = Backlog::default();
        let root = self.doc.value.clone();
        let top = DocPath::root();
        let map = match &root {
            Value::Null => return b,
            Value::Object(m) => m,
            _ => {
                self.problem(
                    &top,
                    "a backlog is a mapping with `cares`, `priority` and `hypotheses`".into(),
                );
                return b;
            }
        };
        self.unknown_keys(map, &top, &TOP_KEYS);
        if let Some(v) = map.get("version") {
            if v.as_i64() != Some(1) {
                self.problem(&top.key("version"), "only version 1 is known".into());
            }
        }
        match map.get("cares") {
            None | Some(Value::Null) => {}
            Some(Value::Object(cares)) => {
                for (k, v) in cares {
                    match v.as_f64() {
                        Some(w) => b.cares.push((k.clone(), w)),
                        None => self.problem(
                            &top.key("cares").key(k),
                            format!("the weight of '{k}' must be a number"),
                        ),
                    }
                }
            }
            Some(_) => self.problem(
                &top.key("cares"),
                "`cares` maps each dimension to its weight, e.g. `data-loss: 3.0`".into(),
            ),
        }
        match map.get("priority") {
            None | Some(Value::Null) => {}
            Some(Value::Object(p)) => {
                let path = top.key("priority");
                self.unknown_keys(p, &path, &["care_factor"]);
                if let Some(v) = p.get("care_factor") {
                    match v.as_f64() {
                        Some(f) => b.care_factor = f,
                        None => self.problem(
                            &path.key("care_factor"),
                            "care_factor must be a number".into(),
                        ),
                    }
                }
            }
            Some(_) => self.problem(
                &top.key("priority"),
                "`priority` is a mapping, e.g. `{care_factor: 1.0}`".into(),
            ),
        }
        match map.get("hypotheses") {
            None | Some(Value::Null) => {}
            Some(Value::Array(list)) => {
                for (i, v) in list.iter().enumerate() {
                    if let Some(h) = self.hypothesis(v, &top.key("hypotheses").index(i)) {
                        b.hypotheses.push(h);
                    }
                }
            }
            Some(_) => self.problem(
                &top.key("hypotheses"),
                "`hypotheses` is a list of hypotheses".into(),
            ),
        }
        b
    }

    fn unknown_keys(&mut self, map: &serde_json::Map<String, Value>, at: &DocPath, known: &[&str]) {
        for k in map.keys() {
            if !known.contains(&k.as_str()) {
                self.problem(
                    &at.key(k),
                    format!("unknown key '{k}': expected one of {}", known.join(", ")),
                );
            }
        }
    }

    fn hypothesis(&mut self, v: &Value, at: &DocPath) -> Option<Hypothesis> {
        let Value::Object(m) = v else {
            self.problem(
                at,
                "a hypothesis is a mapping with at least id, title, likelihood and impact".into(),
            );
            return None;
        };
        let before = self.problems.len();
        self.unknown_keys(m, at, &HYPOTHESIS_KEYS);
        let id = self.required_text(m, at, "id");
        let title = self.required_text(m, at, "title");
        let likelihood = self.scale(m, at, Scale::Likelihood);
        let impact = self.scale(m, at, Scale::Impact);
        let mut h = Hypothesis::new(&id, &title, likelihood, impact);
        if let Some(s) = self.text(m, at, "source") {
            match Source::parse(&s) {
                Ok(s) => h.source = s,
                Err(e) => self.problem(&at.key("source"), e),
            }
        }
        if let Some(s) = self.text(m, at, "status") {
            match Status::parse(&s) {
                Ok(s) => h.status = s,
                Err(e) => self.problem(&at.key("status"), e),
            }
        }
        h.source_ref = self.text(m, at, "source_ref");
        h.component = self.text(m, at, "component");
        h.owner = self.text(m, at, "owner");
        h.notes = self.text(m, at, "notes");
        h.cares = self.list(m, at, "cares");
        h.experiments = self.list(m, at, "experiments");
        (self.problems.len() == before).then_some(h)
    }

    /// An optional scalar, as text (numbers too: an owner may be `007`).
    fn text(
        &mut self,
        m: &serde_json::Map<String, Value>,
        at: &DocPath,
        key: &str,
    ) -> Option<String> {
        match m.get(key)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.problem(&at.key(key), format!("`{key}` must be text"));
                None
            }
        }
    }

    fn required_text(
        &mut self,
        m: &serde_json::Map<String, Value>,
        at: &DocPath,
        key: &str,
    ) -> String {
        match self.text(m, at, key) {
            Some(s) => s,
            None => {
                if !m.contains_key(key) || m[key].is_null() {
                    self.problem(at, format!("this hypothesis has no `{key}`"));
                }
                String::new()
            }
        }
    }

    fn scale(&mut self, m: &serde_json::Map<String, Value>, at: &DocPath, scale: Scale) -> u8 {
        let key = scale.name();
        let r = match m.get(key) {
            None | Some(Value::Null) => Err(format!(
                "this hypothesis has no `{key}` (1 to 5: {})",
                scale.legend()
            )),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(n) => scale.check(n),
                None => Err(format!(
                    "{key} {n} is not on the scale: expected a whole number from 1 to 5 ({})",
                    scale.legend()
                )),
            },
            Some(Value::String(s)) => scale.parse(s),
            Some(_) => Err(format!("`{key}` must be 1 to 5 ({})", scale.legend())),
        };
        match r {
            Ok(n) => n,
            Err(e) => {
                let path = if m.contains_key(key) {
                    at.key(key)
                } else {
                    at.clone()
                };
                self.problem(&path, e);
                1
            }
        }
    }

    fn list(&mut self, m: &serde_json::Map<String, Value>, at: &DocPath, key: &str) -> Vec<String> {
        match m.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    match v {
                        Value::String(s) => out.push(s.clone()),
                        _ => self.problem(
                            &at.key(key).index(i),
                            format!("each of `{key}` must be text"),
                        ),
                    }
                }
                out
            }
            Some(Value::String(s)) => vec![s.clone()],
            Some(_) => {
                self.problem(&at.key(key), format!("`{key}` must be a list"));
                Vec::new()
            }
        }
    }
}

/// The text of a backlog file, in the layout `chaos backlog` writes.
pub fn to_yaml(b: &Backlog) -> String {
    let mut out = String::new();
    out.push_str(
        "# Hypothesis backlog: see \"Hypothesis backlog\" in chaos's README.\n\
         # likelihood: 1 rare, 2 unlikely, 3 possible, 4 likely, 5 almost-certain\n\
         # impact: 1 negligible, 2 minor, 3 moderate, 4 major, 5 severe\n\
         # priority = likelihood x impact x (1 + care_factor x sum of the weights of its cares)\n\
         # `chaos backlog` rewrites this file: comments other than these are not kept.\n\
         version: 1\n",
    );
    if b.cares.is_empty() {
        out.push_str("cares: {}\n");
    } else {
        out.push_str("cares:\n");
        for (k, w) in &b.cares {
            out.push_str(&format!("  {}: {}\n", scalar(k), number(*w)));
        }
    }
    out.push_str(&format!(
        "priority:\n  care_factor: {}\n",
        number(b.care_factor)
    ));
    if b.hypotheses.is_empty() {
        out.push_str("hypotheses: []\n");
        return out;
    }
    out.push_str("hypotheses:\n");
    for h in &b.hypotheses {
        out.push('\n');
        out.push_str(&format!("  - id: {}\n", scalar(&h.id)));
        let mut field = |k: &str, v: String| out.push_str(&format!("    {k}: {v}\n"));
        field("title", scalar(&h.title));
        field("source", h.source.name().to_string());
        if let Some(s) = &h.source_ref {
            field("source_ref", scalar(s));
        }
        if let Some(s) = &h.component {
            field("component", scalar(s));
        }
        field(
            "likelihood",
            format!(
                "{}  # {}",
                h.likelihood,
                Scale::Likelihood.word(h.likelihood)
            ),
        );
        field(
            "impact",
            format!("{}  # {}", h.impact, Scale::Impact.word(h.impact)),
        );
        field(
            "cares",
            format!(
                "[{}]",
                h.cares
                    .iter()
                    .map(|c| scalar(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        if let Some(s) = &h.owner {
            field("owner", scalar(s));
        }
        field("status", h.status.name().to_string());
        if let Some(s) = &h.notes {
            field("notes", scalar(s));
        }
        if h.experiments.is_empty() {
            field("experiments", "[]".to_string());
        } else {
            out.push_str("    experiments:\n");
            for e in &h.experiments {
                out.push_str(&format!("      - {}\n", scalar(e)));
            }
        }
    }
    out
}

fn number(f: f64) -> String {
    let s = format!("{f}");
    if s.contains('.') || s.contains('e') || !f.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}

/// A string as YAML: plain when it reads back as the same string (in a
/// block or in a flow list), else double-quoted with JSON's escapes, which
/// are YAML's too.
fn scalar(s: &str) -> String {
    let plain_chars = !s.is_empty()
        && s.chars().all(|c| {
            c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '/' | '\'' | '(' | ')')
        })
        && s.starts_with(|c: char| c.is_alphanumeric() || c == '/' || c == '_' || c == '.')
        && !s.ends_with(' ');
    if plain_chars && reads_back(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

fn reads_back(s: &str) -> bool {
    let text = format!("k: {s}\nl: [{s}]\n");
    Document::parse(text.as_bytes(), Format::Yaml, "")
        .map(|d| d.value["k"].as_str() == Some(s) && d.value["l"][0].as_str() == Some(s))
        .unwrap_or(false)
}

/// Writes `backlog` to `path` atomically: the text is checked to read back
/// as the same backlog, written to a temporary file in the same folder,
/// flushed, then renamed over `path`. On any failure `path` is untouched.
pub fn save(path: &Path, backlog: &Backlog) -> Result<(), BacklogError> {
    let shown = path.display().to_string();
    let problems = backlog.problems();
    if let Some((_, _, m)) = problems.into_iter().next() {
        return Err(BacklogError::one(&shown, m));
    }
    let text = to_yaml(backlog);
    match parse(text.as_bytes(), &shown) {
        Ok(back) if &back == backlog => {}
        _ => {
            return Err(BacklogError::one(
                &shown,
                "internal error: the backlog would not read back the same; nothing written".into(),
            ))
        }
    }
    chaos_experiment::atomic::write(path, text.as_bytes())
        .map_err(|e| BacklogError::one(&shown, format!("cannot write: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Backlog {
        let mut b = Backlog {
            cares: vec![("customer-facing".into(), 2.0), ("data-loss".into(), 3.5)],
            care_factor: 0.5,
            hypotheses: vec![],
        };
        let mut h = Hypothesis::new(
            "quotes",
            "the system will keep serving quotes: if \"x\"",
            4,
            5,
        );
        h.cares = vec!["data-loss".into()];
        h.notes = Some("two\nlines # not a comment".into());
        h.owner = Some("007".into());
        h.source_ref = Some("yes".into());
        h.component = Some("1.5".into());
        h.experiments = vec!["exp/a b.yaml".into()];
        b.hypotheses.push(h);
        b.hypotheses.push(Hypothesis::new("other", "null", 1, 1));
        b
    }

    #[test]
    fn what_is_written_reads_back() {
        let b = sample();
        let text = to_yaml(&b);
        assert_eq!(parse(text.as_bytes(), "x").unwrap(), b, "{text}");
        assert!(text.contains("owner: \"007\""), "{text}");
        assert!(text.contains("source_ref: \"yes\""), "{text}");
    }

    #[test]
    fn errors_have_line_and_column() {
        let text = "cares: {a: 1}\nhypotheses:\n  - id: x\n    title: t\n    likelihood: 7\n    impact: 2\n";
        let e = parse(text.as_bytes(), "h.yaml").unwrap_err();
        assert_eq!(e.problems[0].location.unwrap().line, 5, "{e}");
        assert!(
            e.to_string().starts_with("h.yaml:5:5: likelihood '7'"),
            "{e}"
        );
        let e = parse(b"hypotheses: [\n  - x", "h.yaml").unwrap_err();
        assert!(e.problems[0].location.is_some(), "{e}");
        let e = parse(b"hypotheses:\n  - id: x\n    title: t\n    likelihood: 2\n    impact: 2\n    cares: [nope]\n", "h.yaml").unwrap_err();
        assert!(e.to_string().starts_with("h.yaml:6:5:"), "{e}");
    }
}
