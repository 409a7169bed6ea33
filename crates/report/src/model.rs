//! What a report shows, read from journals: ours and the reference's, old
//! or hand-made ones too (every key may be missing). Everything a renderer
//! needs is computed here once (outcome, offsets on the run's time line,
//! pauses, values next to tolerances, masked secrets), so the HTML,
//! Markdown, PDF and JSON renderers only lay it out.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::{Map, Value};

/// The longest text shown for one output or argument list.
const SHOWN: usize = 240;

/// Runs a report shows in full; older ones are in its summary table only
/// (every format shows the same ones).
pub const DETAILED: usize = 25;

/// The runs shown in full: the newest [`DETAILED`], newest first.
pub fn detailed(runs: &[Run]) -> Vec<usize> {
    (0..runs.len()).rev().take(DETAILED).collect()
}

/// Seconds for people: `850 ms`, `2.35 s`, `3 min 5 s`.
pub fn seconds(s: f64) -> String {
    if s >= 120.0 {
        format!("{:.0} min {:.0} s", (s / 60.0).floor(), s % 60.0)
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.0} ms", s * 1000.0)
    }
}

/// How a run ended, as a CI job tells runs apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Completed, the steady state held (or there was none).
    Completed,
    /// Completed, but the system was not in its steady state before the
    /// method (the reference reports it as completed).
    NotSteadyBefore,
    /// The steady state deviated after the method: a weakness found.
    Deviated,
    /// Status `failed`.
    Failed,
    /// Status `aborted`.
    Aborted,
    /// Status `interrupted`.
    Interrupted,
}

impl Outcome {
    /// From a journal's `status`, `deviated` and before-hypothesis.
    pub fn of(status: &str, deviated: bool, steady_before: Option<bool>) -> Outcome {
        match status {
            "failed" => Outcome::Failed,
            "aborted" => Outcome::Aborted,
            "interrupted" => Outcome::Interrupted,
            _ if deviated => Outcome::Deviated,
            _ if steady_before == Some(false) => Outcome::NotSteadyBefore,
            _ => Outcome::Completed,
        }
    }

    /// A few words for people.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Completed => "completed: the steady state held",
            Outcome::NotSteadyBefore => "not in its steady state before the method",
            Outcome::Deviated => "deviated: a weakness may have been found",
            Outcome::Failed => "failed",
            Outcome::Aborted => "aborted",
            Outcome::Interrupted => "interrupted",
        }
    }

    /// Its name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::NotSteadyBefore => "not-steady-before",
            Outcome::Deviated => "deviated",
            Outcome::Failed => "failed",
            Outcome::Aborted => "aborted",
            Outcome::Interrupted => "interrupted",
        }
    }

    /// Every outcome, best first.
    pub const ALL: [Outcome; 6] = [
        Outcome::Completed,
        Outcome::NotSteadyBefore,
        Outcome::Deviated,
        Outcome::Failed,
        Outcome::Aborted,
        Outcome::Interrupted,
    ];
}

/// One activity as it ran.
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    /// Its name.
    pub name: String,
    /// `probe` or `action`.
    pub kind: String,
    /// `before`, `during`, `method`, `after` or `rollbacks`.
    pub phase: &'static str,
    /// What it calls, in one line.
    pub provider: String,
    /// Ran in the background.
    pub background: bool,
    /// `succeeded`, `failed`, `skipped` (dry) or `stopped` (no status: cut
    /// short).
    pub status: String,
    /// Seconds from the run's start to the activity's, when both are known.
    pub offset: Option<f64>,
    /// Seconds.
    pub duration: f64,
    /// The pause before, in seconds, when it was waited.
    pub pause_before: Option<f64>,
    /// The pause after, in seconds, when it was waited.
    pub pause_after: Option<f64>,
    /// The output, shortened (secrets masked).
    pub output: String,
    /// The exception's text, if it raised.
    pub exception: Option<String>,
    /// Its last line.
    pub error: Option<String>,
    /// The tolerance (hypothesis probes), as JSON.
    pub tolerance: Option<String>,
    /// What was checked against it.
    pub value: Option<String>,
    /// Whether it was within tolerance.
    pub tolerance_met: Option<bool>,
}

/// One check of the steady-state hypothesis.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// `before`, `during` or `after`.
    pub phase: &'static str,
    /// Whether every probe was within tolerance (`None`: cut short).
    pub met: Option<bool>,
    /// Its probes.
    pub probes: Vec<Activity>,
}

/// A bar of the time line.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    /// Seconds from the start.
    pub start: f64,
    /// Seconds.
    pub duration: f64,
    /// Pause before and after, seconds (0 when none).
    pub pause_before: f64,
    /// Seconds.
    pub pause_after: f64,
    /// `ok`, `fail`, `skip` or `stop`.
    pub class: &'static str,
    /// The tooltip.
    pub title: String,
    /// The activity's name.
    pub name: String,
}

/// A lane of the time line.
#[derive(Debug, Clone, Serialize)]
pub struct Lane {
    /// What runs in it.
    pub label: String,
    /// Its bars.
    pub bars: Vec<Bar>,
}

/// One run, as a report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The journal it was read from.
    pub source: String,
    /// The experiment's title.
    pub title: String,
    /// Its description.
    pub description: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its contributions, name and level.
    pub contributions: Vec<(String, String)>,
    /// The journal's status.
    pub status: String,
    /// Whether the steady state deviated.
    pub deviated: bool,
    /// How it ended.
    pub outcome: Outcome,
    /// [`Outcome::name`].
    pub outcome_name: &'static str,
    /// [`Outcome::label`].
    pub outcome_label: &'static str,
    /// Start, as written in the journal.
    pub start: String,
    /// Start, seconds since the epoch (for ordering and trends).
    pub start_epoch: Option<f64>,
    /// End, as written.
    pub end: String,
    /// Seconds.
    pub duration: f64,
    /// Where it ran.
    pub node: String,
    /// The platform.
    pub platform: String,
    /// The journal format (`chaoslib-version`).
    pub chaoslib_version: String,
    /// `chaos` version, for our journals.
    pub chaos_version: Option<String>,
    /// The dry mode, if any.
    pub dry: Option<String>,
    /// The hypothesis's title, if there is one.
    pub hypothesis: Option<String>,
    /// The check before the method.
    pub before: Option<Check>,
    /// The check after the method.
    pub after: Option<Check>,
    /// The checks during the method.
    pub during: Vec<Check>,
    /// The method's activities.
    pub method: Vec<Activity>,
    /// The rollbacks.
    pub rollbacks: Vec<Activity>,
    /// Rollbacks declared but not played (interrupted).
    pub unplayed_rollbacks: Vec<String>,
    /// Errors the run met.
    pub errors: Vec<String>,
    /// Why a brake stopped it.
    pub interruption: Option<String>,
    /// The configuration, key and shown value.
    pub configuration: Vec<(String, String)>,
    /// The secrets, key and what they are (never their value).
    pub secrets: Vec<(String, String)>,
    /// Activities that failed (method and rollbacks).
    pub failed_activities: usize,
    /// The time line's lanes.
    pub lanes: Vec<Lane>,
    /// The time line's length, seconds.
    pub span: f64,
}

/// Why a file is not a journal.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not JSON.
    #[error("{0} is not JSON: {1}")]
    Json(String, String),
    /// JSON, but not a journal.
    #[error("{0} is not a journal (a journal is a JSON object with `experiment` and `status`)")]
    NotAJournal(String),
}

/// Reads a journal's text.
pub fn read(source: &str, text: &str) -> Result<Run, ReadError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ReadError::Json(source.to_string(), e.to_string()))?;
    from_value(source, &value)
}

/// Whether a JSON value looks like a journal.
pub fn is_journal(v: &Value) -> bool {
    v.get("experiment").is_some_and(Value::is_object) && v.get("status").is_some()
}

/// Reads a parsed journal.
pub fn from_value(source: &str, j: &Value) -> Result<Run, ReadError> {
    if !is_journal(j) {
        return Err(ReadError::NotAJournal(source.to_string()));
    }
    let empty = Map::new();
    let exp = j["experiment"].as_object().unwrap_or(&empty);
    let mask = Masker::new(exp.get("secrets"));
    let text = |v: Option<&Value>| v.map(display).unwrap_or_default();
    let status = text(j.get("status"));
    let deviated = j.get("deviated").and_then(Value::as_bool).unwrap_or(false);
    let start = text(j.get("start"));
    let start_time = parse_time(&start);
    let steady = j.get("steady_states");
    let dry = exp
        .get("dry")
        .filter(|d| !d.is_null())
        .map(display)
        .filter(|d| !d.is_empty());
    let reader = Reader {
        start: start_time,
        mask: &mask,
        configuration: exp.get("configuration").and_then(Value::as_object),
        dry: dry.clone(),
    };
    let check = |phase: &'static str, v: Option<&Value>| -> Option<Check> {
        let v = v.filter(|v| v.is_object())?;
        Some(Check {
            phase,
            met: v.get("steady_state_met").and_then(Value::as_bool),
            probes: list(v.get("probes"))
                .iter()
                .map(|r| reader.activity(r, phase))
                .collect(),
        })
    };
    let before = check("before", steady.and_then(|s| s.get("before")));
    let after = check("after", steady.and_then(|s| s.get("after")));
    let during: Vec<Check> = list(steady.and_then(|s| s.get("during")))
        .iter()
        .filter_map(|c| check("during", Some(c)))
        .collect();
    let method: Vec<Activity> = list(j.get("run"))
        .iter()
        .map(|r| reader.activity(r, "method"))
        .collect();
    let rollbacks: Vec<Activity> = list(j.get("rollbacks"))
        .iter()
        .map(|r| reader.activity(r, "rollbacks"))
        .collect();
    let outcome = Outcome::of(&status, deviated, before.as_ref().and_then(|b| b.met));
    let duration = j
        .get("duration")
        .and_then(Value::as_f64)
        .or_else(|| {
            let end = parse_time(&text(j.get("end")))?;
            Some((end - start_time?).num_microseconds()? as f64 / 1e6)
        })
        .unwrap_or(0.0);
    let failed_activities = method
        .iter()
        .chain(rollbacks.iter())
        .filter(|a| a.status == "failed")
        .count();
    let mut run = Run {
        source: source.to_string(),
        title: mask.apply(&text(exp.get("title"))),
        description: mask.apply(&text(exp.get("description"))),
        tags: list(exp.get("tags")).iter().map(display).collect(),
        contributions: exp
            .get("contributions")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), display(v))).collect())
            .unwrap_or_default(),
        status,
        deviated,
        outcome,
        outcome_name: outcome.name(),
        outcome_label: outcome.label(),
        start_epoch: start_time.map(|t| t.timestamp_micros() as f64 / 1e6),
        start,
        end: text(j.get("end")),
        duration,
        node: text(j.get("node")),
        platform: text(j.get("platform")),
        chaoslib_version: text(j.get("chaoslib-version")),
        chaos_version: j.get("chaos-version").map(display),
        dry,
        hypothesis: exp
            .get("steady-state-hypothesis")
            .and_then(|h| h.get("title"))
            .map(display),
        before,
        after,
        during,
        method,
        rollbacks,
        unplayed_rollbacks: list(j.get("unplayed_rollbacks"))
            .iter()
            .map(display)
            .collect(),
        errors: list(j.get("errors"))
            .iter()
            .map(|e| mask.apply(&display(e)))
            .collect(),
        interruption: j.get("interruption").map(|v| mask.apply(&display(v))),
        configuration: exp
            .get("configuration")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), mask.apply(&configuration_entry(v))))
                    .collect()
            })
            .unwrap_or_default(),
        secrets: secret_entries(exp.get("secrets")),
        failed_activities,
        lanes: Vec::new(),
        span: 0.0,
    };
    let (lanes, span) = timeline(&run);
    run.lanes = lanes;
    run.span = span;
    Ok(run)
}

struct Reader<'a> {
    start: Option<DateTime<FixedOffset>>,
    mask: &'a Masker,
    configuration: Option<&'a Map<String, Value>>,
    dry: Option<String>,
}

impl Reader<'_> {
    fn activity(&self, record: &Value, phase: &'static str) -> Activity {
        let empty = Value::Object(Map::new());
        let a = record.get("activity").unwrap_or(&empty);
        let kind = a.get("type").map(display).unwrap_or_default();
        let dry_here = a.get("dry").is_some_and(|d| d == &Value::Bool(true))
            || match self.dry.as_deref() {
                Some("activities") => true,
                Some("actions") => kind == "action",
                Some("probes") => kind == "probe",
                _ => false,
            };
        let status = match record.get("status").and_then(Value::as_str) {
            Some(_) if dry_here => "skipped".to_string(),
            Some(s) => s.to_string(),
            None => "stopped".to_string(),
        };
        let start = record
            .get("start")
            .and_then(Value::as_str)
            .and_then(parse_time);
        let offset = match (self.start, start) {
            (Some(run), Some(at)) => (at - run).num_microseconds().map(|us| us as f64 / 1e6),
            _ => None,
        };
        let duration = record
            .get("duration")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let pauses_waited = !dry_here && self.dry.as_deref() != Some("pause");
        let pause = |which: &str| -> Option<f64> {
            let v = a.get("pauses")?.get(which)?;
            let seconds = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => {
                    let key = s.trim().strip_prefix("${")?.strip_suffix('}')?;
                    self.configuration?.get(key)?.as_f64()
                }
                _ => None,
            }?;
            (pauses_waited && seconds > 0.0).then_some(seconds)
        };
        let exception = record.get("exception").map(|e| match e {
            Value::Array(lines) => lines.iter().map(display).collect::<String>(),
            other => display(other),
        });
        let error = exception.as_ref().map(|e| {
            e.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string()
        });
        let output = record.get("output").unwrap_or(&Value::Null);
        let tolerance = a.get("tolerance").map(|t| self.mask.apply(&compact(t)));
        let value = tolerance
            .as_ref()
            .map(|_| self.mask.apply(&checked_value(output)));
        Activity {
            name: self
                .mask
                .apply(&a.get("name").map(display).unwrap_or_default()),
            kind,
            phase,
            provider: self.mask.apply(&provider_line(a.get("provider"))),
            background: a.get("background").is_some_and(|b| b == &Value::Bool(true)),
            status,
            offset,
            duration,
            pause_before: pause("before"),
            pause_after: pause("after"),
            output: self.mask.apply(&shorten(&compact(output))),
            exception: exception.map(|e| self.mask.apply(&e)),
            error: error.map(|e| self.mask.apply(&e)),
            tolerance,
            value,
            tolerance_met: record.get("tolerance_met").and_then(Value::as_bool),
        }
    }
}

/// What a tolerance was compared with: an HTTP or process output's
/// `status`, else the output itself.
fn checked_value(output: &Value) -> String {
    match output {
        Value::Object(m)
            if m.contains_key("status") && (m.contains_key("body") || m.contains_key("stdout")) =>
        {
            let what = if m.contains_key("body") {
                "HTTP status"
            } else {
                "exit status"
            };
            format!("{what} {}", compact(&m["status"]))
        }
        other => shorten(&compact(other)),
    }
}

fn provider_line(p: Option<&Value>) -> String {
    let Some(p) = p else {
        return String::new();
    };
    let field = |k: &str| p.get(k).map(display).unwrap_or_default();
    match field("type").as_str() {
        "process" => {
            let args = match p.get("arguments") {
                Some(Value::Array(a)) => a.iter().map(display).collect::<Vec<_>>().join(" "),
                Some(Value::Null) | None => String::new(),
                Some(other) => display(other),
            };
            shorten(format!("process: {} {args}", field("path")).trim_end())
        }
        "http" => {
            let method = p.get("method").map(display).unwrap_or_else(|| "GET".into());
            shorten(&format!("http: {} {}", method.to_uppercase(), field("url")))
        }
        "python" => format!("python: {}.{}", field("module"), field("func")),
        other => shorten(&format!("{other}: {}", field("func"))),
    }
}

fn configuration_entry(v: &Value) -> String {
    match v {
        Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("env") => {
            let key = m.get("key").map(display).unwrap_or_default();
            match m.get("default") {
                Some(d) => format!("from ${key} (default {})", compact(d)),
                None => format!("from ${key}"),
            }
        }
        other => shorten(&compact(other)),
    }
}

fn secret_entries(secrets: Option<&Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (scope, entries) in secrets.and_then(Value::as_object).into_iter().flatten() {
        for (key, v) in entries.as_object().into_iter().flatten() {
            let what = match v {
                Value::Object(m) => match m.get("type").and_then(Value::as_str) {
                    Some("env") => {
                        format!("from ${}", m.get("key").map(display).unwrap_or_default())
                    }
                    Some(other) => format!("from {other}"),
                    None => "***".into(),
                },
                _ => "***".into(),
            };
            out.push((format!("{scope}.{key}"), what));
        }
    }
    out
}

/// Hides the experiment's inline secret values wherever they show up.
pub struct Masker {
    values: Vec<String>,
}

impl Masker {
    /// The inline values of a `secrets` block (ours are already masked in
    /// the journal; the reference's are not), and the values of its `env`
    /// secrets that are set where the report is made (the journal cannot
    /// say what they were when the run read them).
    pub fn new(secrets: Option<&Value>) -> Masker {
        let mut values = Vec::new();
        for entries in secrets.and_then(Value::as_object).into_iter().flatten() {
            for v in entries.1.as_object().into_iter().flatten().map(|(_, v)| v) {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Object(m) if m.get("type").and_then(Value::as_str) == Some("env") => {
                        match m
                            .get("key")
                            .and_then(Value::as_str)
                            .and_then(|k| std::env::var(k).ok())
                        {
                            Some(v) => v,
                            None => continue,
                        }
                    }
                    _ => continue,
                };
                // Too short to hide without mangling everything around it.
                if text.chars().count() >= 3 && !text.chars().all(|c| c == '*') {
                    values.push(text);
                }
            }
        }
        values.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Masker { values }
    }

    /// `text` with every secret value replaced by `***`.
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for v in &self.values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), "***");
            }
        }
        out
    }
}

fn list(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A value as text: strings as they are, the rest as JSON.
pub fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= SHOWN {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(SHOWN - 1).collect::<String>())
    }
}

fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok().or_else(|| {
        // The reference's oldest journals wrote naive UTC times.
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|n| n.and_utc().fixed_offset())
    })
}

/// The time line: one lane per phase, background activities on lanes of
/// their own (packed so that they never overlap).
fn timeline(run: &Run) -> (Vec<Lane>, f64) {
    let bar = |a: &Activity| -> Option<Bar> {
        let start = a.offset?;
        let class = match a.status.as_str() {
            "failed" => "fail",
            "skipped" => "skip",
            "stopped" => "stop",
            _ if a.tolerance_met == Some(false) => "fail",
            _ => "ok",
        };
        let mut title = format!("{} {} — {}, {:.3} s", a.kind, a.name, a.status, a.duration);
        if let Some(e) = &a.error {
            title.push_str(&format!(" — {e}"));
        }
        if a.tolerance_met == Some(false) {
            title.push_str(" — not within tolerance");
        }
        Some(Bar {
            start,
            duration: a.duration.max(0.0),
            pause_before: a.pause_before.unwrap_or(0.0),
            pause_after: a.pause_after.unwrap_or(0.0),
            class,
            title,
            name: a.name.clone(),
        })
    };
    let mut lanes = Vec::new();
    let mut add = |label: &str, items: Vec<Bar>| {
        if !items.is_empty() {
            lanes.push(Lane {
                label: label.to_string(),
                bars: items,
            });
        }
    };
    if let Some(c) = &run.before {
        add(
            "hypothesis before",
            c.probes.iter().filter_map(bar).collect(),
        );
    }
    add(
        "method",
        run.method
            .iter()
            .filter(|a| !a.background)
            .filter_map(bar)
            .collect(),
    );
    // Background activities, packed greedily into lanes of their own.
    let mut background: Vec<Vec<Bar>> = Vec::new();
    for b in run.method.iter().filter(|a| a.background).filter_map(bar) {
        let begins = b.start - b.pause_before;
        match background.iter_mut().find(|lane| {
            lane.last()
                .is_some_and(|l| l.start + l.duration + l.pause_after <= begins)
        }) {
            Some(lane) => lane.push(b),
            None => background.push(vec![b]),
        }
    }
    for lane in background {
        add("in the background", lane);
    }
    add(
        "hypothesis during",
        run.during
            .iter()
            .flat_map(|c| c.probes.iter())
            .filter_map(bar)
            .collect(),
    );
    if let Some(c) = &run.after {
        add(
            "hypothesis after",
            c.probes.iter().filter_map(bar).collect(),
        );
    }
    add("rollbacks", run.rollbacks.iter().filter_map(bar).collect());
    let span = lanes
        .iter()
        .flat_map(|l| l.bars.iter())
        .map(|b| b.start + b.duration + b.pause_after)
        .fold(run.duration, f64::max)
        .max(0.001);
    (lanes, span)
}

/// Several runs, oldest first, and what they say together.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Runs, oldest first.
    pub runs: usize,
    /// How many ended each way, best first.
    pub outcomes: Vec<(Outcome, &'static str, usize)>,
    /// Durations of each activity across runs: (phase and name, one
    /// duration per run in order, `None` when it did not run).
    pub activity_durations: Vec<(String, Vec<Option<f64>>)>,
    /// How many experiments declare each contribution.
    pub contribution_counts: Vec<(String, usize)>,
    /// Each contribution's level per experiment title.
    pub contribution_levels: Vec<(String, Vec<(String, String)>)>,
    /// Every tag seen, sorted.
    pub tags: Vec<String>,
}

/// Sorts runs by start (journals without one last, by source) and sums
/// them up.
pub fn summarise(runs: &mut [Run]) -> Summary {
    runs.sort_by(|a, b| match (a.start_epoch, b.start_epoch) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.source.cmp(&b.source)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.source.cmp(&b.source),
    });
    let outcomes = Outcome::ALL
        .iter()
        .map(|o| {
            (
                *o,
                o.name(),
                runs.iter().filter(|r| r.outcome == *o).count(),
            )
        })
        .collect();
    let mut keys: Vec<String> = Vec::new();
    let mut durations: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
    for (i, run) in runs.iter().enumerate() {
        let all = run
            .before
            .iter()
            .chain(run.after.iter())
            .flat_map(|c| c.probes.iter())
            .chain(run.method.iter())
            .chain(run.rollbacks.iter());
        for a in all {
            let key = format!("{}: {}", a.phase, a.name);
            let slot = durations.entry(key.clone()).or_insert_with(|| {
                keys.push(key.clone());
                vec![None; runs.len()]
            });
            // The first occurrence in each run stands for the activity.
            if slot[i].is_none() {
                slot[i] = Some(a.duration);
            }
        }
    }
    let activity_durations = keys
        .into_iter()
        .map(|k| {
            let v = durations.remove(&k).unwrap_or_default();
            (k, v)
        })
        .collect();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut levels: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut tags: Vec<String> = Vec::new();
    let mut seen_titles = std::collections::HashSet::new();
    for run in runs.iter() {
        for t in &run.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        // Per experiment, not per run: the reference counts experiments.
        if !seen_titles.insert(run.title.clone()) {
            continue;
        }
        for (name, level) in &run.contributions {
            *counts.entry(name.clone()).or_default() += 1;
            levels
                .entry(name.clone())
                .or_default()
                .push((run.title.clone(), level.clone()));
        }
    }
    tags.sort();
    Summary {
        runs: runs.len(),
        outcomes,
        activity_durations,
        contribution_counts: counts.into_iter().collect(),
        contribution_levels: levels.into_iter().collect(),
        tags,
    }
}
