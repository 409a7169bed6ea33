//! What a person sees while `chaos` works: each step with its outcome and
//! duration, then a verdict. Colours only on a terminal, and never with
//! `NO_COLOR`. Everything also goes to the log file in the reference's words.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;

use chaos_engine::{Cause, Effect, Event, Observer, Phase, Status};
use chaos_experiment::validate::Validation;
use chaos_experiment::Document;
use chaos_pyvalue::{py_repr, Value};

use crate::logfile::{Level, LogFile};

/// Terminal styles.
#[derive(Clone, Copy)]
enum Style {
    Bold,
    Dim,
    Green,
    Yellow,
    Red,
    Cyan,
}

fn colours_wanted() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map(|t| t != "dumb").unwrap_or(true)
}

fn paint(colour: bool, style: Style, text: &str) -> String {
    if !colour {
        return text.to_string();
    }
    let code = match style {
        Style::Bold => "1",
        Style::Dim => "2",
        Style::Green => "32",
        Style::Yellow => "33",
        Style::Red => "31",
        Style::Cyan => "36",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// An error line on stderr, before a console exists.
pub fn error_line(message: &str) {
    let c = colours_wanted();
    eprintln!("{} {message}", paint(c, Style::Red, "error:"));
}

/// A warning line on stderr, before a console exists.
pub fn warn_line(message: &str) {
    let c = colours_wanted();
    eprintln!("{} {message}", paint(c, Style::Yellow, "warning:"));
}

#[derive(Default)]
struct Progress {
    no_hypothesis: bool,
    before_met: Option<bool>,
    during_misses: usize,
    during_checks: usize,
}

/// The console reporter of a command.
pub struct Console {
    colour: bool,
    verbose: bool,
    json: bool,
    log: LogFile,
    progress: Mutex<Progress>,
    out: Mutex<()>,
    /// The run's id and the experiment's title, on every JSON line once the
    /// run has started (a central log system groups lines by them).
    run: Mutex<Option<(String, String)>>,
}

impl Console {
    /// A console on stderr; `json` prints one JSON object a line instead.
    pub fn new(verbose: bool, json: bool, log: LogFile) -> Self {
        Console {
            colour: colours_wanted() && !json,
            verbose,
            json,
            log,
            progress: Mutex::default(),
            out: Mutex::new(()),
            run: Mutex::new(None),
        }
    }

    fn emit(&self, level: Level, reference_message: &str, human: Option<String>) {
        self.emit_fields(level, reference_message, human, serde_json::Map::new());
    }

    /// Like `emit`; `fields` (step, activity, status, duration) go on the
    /// JSON line.
    fn emit_fields(
        &self,
        level: Level,
        reference_message: &str,
        human: Option<String>,
        fields: serde_json::Map<String, Value>,
    ) {
        self.log.log(level, reference_message);
        let _guard = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = std::io::stderr().lock();
        if self.json {
            if level >= Level::Info || self.verbose {
                let now = chrono::Utc::now();
                let mut line = serde_json::json!({
                    "process": std::process::id(),
                    "asctime": now.format("%Y-%m-%d %H:%M:%S").to_string(),
                    "levelname": level.name(),
                    "message": reference_message,
                    "timestamp": chaos_engine::journal::iso(now),
                });
                if let Value::Object(m) = &mut line {
                    if let Some((id, title)) = &*self.run.lock().unwrap_or_else(|e| e.into_inner())
                    {
                        m.insert("run_id".into(), Value::from(id.clone()));
                        m.insert("experiment".into(), Value::from(title.clone()));
                    }
                    m.extend(fields);
                }
                let _ = err.write_all(format!("{line}\n").as_bytes());
            }
        } else if let Some(h) = human {
            // One write per line: stderr is unbuffered.
            let _ = err.write_all(format!("{h}\n").as_bytes());
        }
    }

    /// An error.
    pub fn error(&self, message: &str) {
        self.emit(
            Level::Error,
            message,
            Some(format!(
                "{} {message}",
                paint(self.colour, Style::Red, "error:")
            )),
        );
    }

    /// Progress worth a line.
    pub fn info(&self, message: &str) {
        self.emit(Level::Info, message, Some(message.to_string()));
    }

    /// A warning.
    pub fn warn(&self, message: &str) {
        self.emit(
            Level::Warning,
            message,
            Some(format!(
                "{} {message}",
                paint(self.colour, Style::Yellow, "warning:")
            )),
        );
    }

    /// Validation results: every error and warning with its place.
    pub fn diagnostics(&self, doc: &Document, validation: &Validation) {
        for (diags, label, style, level) in [
            (&validation.errors, "error", Style::Red, Level::Error),
            (
                &validation.warnings,
                "warning",
                Style::Yellow,
                Level::Warning,
            ),
        ] {
            for d in diags {
                let place = match d.location {
                    Some(l) => format!("{}:{}:{}", doc.origin, l.line, l.column),
                    None => doc.origin.clone(),
                };
                let mut human = format!(
                    "{} {}\n  {} {} ({})",
                    paint(self.colour, style, &format!("{label}:")),
                    d.message,
                    paint(self.colour, Style::Cyan, "-->"),
                    place,
                    d.path
                );
                if let Some(h) = &d.hint {
                    human.push_str(&format!(
                        "\n  {} {h}",
                        paint(self.colour, Style::Cyan, "fix:")
                    ));
                }
                self.emit(
                    level,
                    &format!("{} (at {}, {place})", d.message, d.path),
                    Some(human),
                );
            }
        }
        if !validation.errors.is_empty() {
            let n = validation.errors.len();
            let s = if n == 1 { "" } else { "s" };
            self.emit(
                Level::Error,
                &format!("{n} error{s} in {}", doc.origin),
                Some(format!(
                    "{} {n} error{s} in {}",
                    paint(self.colour, Style::Red, "invalid:"),
                    doc.origin
                )),
            );
        }
    }

    /// A signal arrived.
    pub fn signal(&self, cause: Cause, effect: Effect) {
        let text = match effect {
            Effect::Interrupting => format!("Received {}: interrupting the experiment now", cause.name()),
            Effect::RollbacksContinue => format!("Received {} while rollbacks run: letting them finish (send another signal to stop them now)", cause.name()),
            Effect::RollbacksStopped => format!("Received {}: stopping the rollbacks now", cause.name()),
        };
        self.warn(&text);
    }

    /// Where the journal went.
    pub fn journal_written(&self, path: &Path) {
        let msg = format!("Journal written to {}", path.display());
        self.emit(
            Level::Info,
            &msg,
            Some(format!(
                "{} {}",
                paint(self.colour, Style::Dim, "journal:"),
                path.display()
            )),
        );
        self.log.flush();
    }

    fn activity_line(
        &self,
        phase: Phase,
        record: &serde_json::Map<String, Value>,
        tolerance: Option<&Value>,
    ) -> (Level, String, String) {
        let activity = record.get("activity").and_then(Value::as_object);
        let name = activity
            .and_then(|a| a.get("name"))
            .map(chaos_pyvalue::py_str)
            .unwrap_or_default();
        let kind = activity
            .and_then(|a| a.get("type"))
            .map(chaos_pyvalue::py_str)
            .unwrap_or_default();
        let status = record.get("status").and_then(Value::as_str);
        let duration = record
            .get("duration")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let output = record.get("output").unwrap_or(&Value::Null);
        let tolerance_met = record.get("tolerance_met").and_then(Value::as_bool);
        let (mark, style, summary, level) = match (status, tolerance_met) {
            (Some("failed"), _) => {
                let msg = record
                    .get("exception")
                    .and_then(Value::as_array)
                    .and_then(|l| l.last())
                    .and_then(Value::as_str)
                    .map(|s| {
                        s.trim_end()
                            .trim_start_matches("chaoslib.exceptions.ActivityFailed: ")
                            .to_string()
                    })
                    .unwrap_or_default();
                ("✗", Style::Red, format!("failed: {msg}"), Level::Error)
            }
            (None, _) => (
                "✗",
                Style::Red,
                "stopped before it finished".to_string(),
                Level::Error,
            ),
            (Some(_), Some(false)) => (
                "✗",
                Style::Red,
                format!(
                    "{} — not within tolerance {}",
                    summarise(output),
                    tolerance.map(py_repr).unwrap_or_default()
                ),
                Level::Warning,
            ),
            (Some(_), Some(true)) => {
                let t = tolerance
                    .map(|t| format!(" — within tolerance {}", py_repr(t)))
                    .unwrap_or_default();
                (
                    "✓",
                    Style::Green,
                    format!("{}{t}", summarise(output)),
                    Level::Info,
                )
            }
            (Some(_), None) => ("✓", Style::Green, summarise(output), Level::Info),
        };
        let indent = if phase == Phase::During {
            "    · "
        } else {
            "    "
        };
        let human = format!(
            "{indent}{} {} {}  {}  {}",
            paint(self.colour, style, mark),
            paint(self.colour, Style::Dim, &kind),
            paint(self.colour, Style::Bold, &name),
            summary,
            paint(self.colour, Style::Dim, &human_duration(duration))
        );
        let reference = format!("{}: {name} ({summary}, {duration:.3}s)", title_case(&kind));
        (level, reference, human)
    }
}

impl Observer for Console {
    fn on(&self, event: &Event<'_>) {
        match event {
            Event::RunStarted {
                title,
                hypothesis,
                rollbacks,
                dry,
            } => {
                // A console may see several runs (`chaos run a.json b.json`):
                // each verdict is about its own run.
                *self.progress.lock().unwrap_or_else(|e| e.into_inner()) = Progress::default();
                *self.run.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((uuid::Uuid::new_v4().to_string(), title.to_string()));
                let dry_text = dry
                    .map(|d| format!(" · dry: {}", d.as_str()))
                    .unwrap_or_default();
                self.emit(
                    Level::Info,
                    &format!("Running experiment: {title}"),
                    Some(format!(
                        "{} {}",
                        paint(self.colour, Style::Bold, "▶ Running experiment:"),
                        paint(self.colour, Style::Bold, title)
                    )),
                );
                self.emit(
                    Level::Info,
                    &format!("Steady-state strategy: {hypothesis}"),
                    Some(paint(self.colour, Style::Dim, &format!("  hypothesis strategy: {hypothesis} · rollback strategy: {rollbacks}{dry_text}"))),
                );
                self.log
                    .log(Level::Info, &format!("Rollbacks strategy: {rollbacks}"));
            }
            Event::HypothesisStarted { phase, title } => {
                if *phase == Phase::During {
                    self.progress
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .during_checks += 1;
                    self.log
                        .log(Level::Info, &format!("Steady state hypothesis: {title}"));
                    return;
                }
                let when = if *phase == Phase::Before {
                    "before the method"
                } else {
                    "after the method"
                };
                self.emit(
                    Level::Info,
                    &format!("Steady state hypothesis: {title}"),
                    Some(format!(
                        "  {} ({when}): {title}",
                        paint(self.colour, Style::Bold, "Steady-state hypothesis")
                    )),
                );
            }
            Event::HypothesisFinished {
                phase,
                met,
                last_probe,
            } => {
                if *phase == Phase::Before {
                    self.progress
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .before_met = Some(*met);
                }
                if *met {
                    self.log.log(Level::Info, "Steady state hypothesis is met!");
                } else {
                    let probe = last_probe.unwrap_or("");
                    if *phase == Phase::During {
                        self.progress
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .during_misses += 1;
                        self.log.log(Level::Warning, &format!("Continuous steady state probe '{probe}' is not in the given tolerance"));
                    } else {
                        self.log.log(Level::Error, &format!("Steady state probe '{probe}' is not in the given tolerance so failing this experiment"));
                    }
                }
            }
            Event::NoHypothesis { reason } => {
                self.progress
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .no_hypothesis = true;
                self.emit(
                    Level::Info,
                    reason,
                    Some(paint(self.colour, Style::Dim, &format!("  {reason}"))),
                )
            }
            Event::MethodStarted { count } => {
                let detail = if *count == 0 {
                    " (no declared activities)"
                } else {
                    ""
                };
                self.emit(
                    Level::Info,
                    "Playing your experiment's method now...",
                    Some(format!(
                        "  {}{detail}",
                        paint(self.colour, Style::Bold, "Method")
                    )),
                );
            }
            Event::RollbacksStarted { count } => {
                let detail = if *count == 0 {
                    " (no declared rollbacks)"
                } else {
                    ""
                };
                self.emit(
                    Level::Info,
                    "Let's rollback...",
                    Some(format!(
                        "  {}{detail}",
                        paint(self.colour, Style::Bold, "Rollbacks")
                    )),
                );
            }
            Event::RollbacksSkipped { reason } => self.emit(
                Level::Warning,
                reason,
                Some(format!(
                    "  {} {reason}",
                    paint(self.colour, Style::Bold, "Rollbacks not played:")
                )),
            ),
            Event::ActivityStarted {
                kind,
                name,
                background,
                phase,
                ..
            } => {
                let bg = if *background { " [in background]" } else { "" };
                self.log
                    .log(Level::Info, &format!("{}: {name}{bg}", title_case(kind)));
                if self.verbose && *phase != Phase::During {
                    self.emit(
                        Level::Debug,
                        &format!("starting {kind} {name}"),
                        Some(paint(
                            self.colour,
                            Style::Dim,
                            &format!("    … {kind} {name}{bg}"),
                        )),
                    );
                }
            }
            Event::ActivityFinished {
                phase,
                record,
                tolerance,
                ..
            } => {
                let (level, reference, human) = self.activity_line(*phase, record, *tolerance);
                let quiet = *phase == Phase::During && level == Level::Info && !self.verbose;
                self.emit_fields(
                    level,
                    &reference,
                    (!quiet).then_some(human),
                    step_fields(*phase, record),
                );
            }
            Event::Pause { seconds, skipped } => {
                let msg = format!("Pausing before next activity for {seconds}s...");
                let skip = if *skipped { " (skipped: dry run)" } else { "" };
                self.emit(
                    Level::Info,
                    &msg,
                    self.verbose.then(|| {
                        paint(
                            self.colour,
                            Style::Dim,
                            &format!("    … pause {seconds}s{skip}"),
                        )
                    }),
                );
            }
            Event::Warning(message) => {
                let trimmed = message.trim_start();
                if trimmed.starts_with("=> failed:") {
                    self.log.log(Level::Error, message);
                } else {
                    self.warn(message);
                }
            }
            Event::Debug(message) => self.emit(
                Level::Debug,
                message,
                self.verbose
                    .then(|| paint(self.colour, Style::Dim, &format!("  debug: {message}"))),
            ),
            Event::Interrupted { cause } => self.warn(&format!("Interrupted by {cause}")),
            Event::MethodFinished | Event::RollbacksFinished => {}
            Event::RunFinished {
                status,
                deviated,
                duration,
            } => self.verdict(*status, *deviated, *duration),
        }
    }
}

impl Console {
    fn verdict(&self, status: Status, deviated: bool, duration: f64) {
        let progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        let took = human_duration(duration);
        let (style, headline, detail) = match (status, deviated) {
            (_, true) => ("deviated", Style::Red, "the steady state did not hold after the method: a weakness may have been found"),
            (Status::Completed, false) if progress.before_met == Some(false) => (
                "completed",
                Style::Yellow,
                "the steady state was not met before the method, so the method was not run (exit 0, as the Chaos Toolkit does)",
            ),
            (Status::Completed, false) if progress.during_misses > 0 => ("completed", Style::Yellow, "the steady state held after the method, but continuous checks missed"),
            (Status::Completed, false) if progress.no_hypothesis => ("completed", Style::Green, "every step ran (no steady-state hypothesis was checked)"),
            (Status::Completed, false) => ("completed", Style::Green, "the steady state held"),
            (Status::Failed, _) => ("failed", Style::Red, "a steady-state probe could not run, or a continuous check failed fast"),
            (Status::Aborted, _) => ("aborted", Style::Red, "an unexpected error stopped the run (see above and the journal)"),
            (Status::Interrupted, _) => ("interrupted", Style::Red, "the run was interrupted"),
        }
        .into_verdict();
        let reference = format!(
            "Experiment ended with status: {}",
            if deviated {
                "deviated"
            } else {
                status.as_str()
            }
        );
        self.emit(
            Level::Info,
            &reference,
            Some(format!(
                "{} {detail}  {}",
                paint(self.colour, style, &format!("■ {}:", headline)),
                paint(self.colour, Style::Dim, &took)
            )),
        );
        if deviated {
            self.log.log(
                Level::Info,
                "The steady-state has deviated, a weakness may have been discovered",
            );
        }
    }
}

trait IntoVerdict {
    fn into_verdict(self) -> (Style, String, &'static str);
}

impl IntoVerdict for (&'static str, Style, &'static str) {
    fn into_verdict(self) -> (Style, String, &'static str) {
        let mut word = self.0.to_string();
        if let Some(first) = word.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        (self.1, word, self.2)
    }
}

/// What a JSON log line says of a finished activity.
fn step_fields(
    phase: Phase,
    record: &serde_json::Map<String, Value>,
) -> serde_json::Map<String, Value> {
    let step = match phase {
        Phase::Before => "steady-state-before",
        Phase::During => "steady-state-during",
        Phase::Method => "method",
        Phase::After => "steady-state-after",
        Phase::Rollbacks => "rollbacks",
    };
    let activity = record.get("activity");
    let mut m = serde_json::Map::new();
    m.insert("step".into(), Value::from(step));
    for (key, from) in [("activity", "name"), ("activity_type", "type")] {
        if let Some(v) = activity.and_then(|a| a.get(from)) {
            m.insert(key.into(), v.clone());
        }
    }
    m.insert(
        "status".into(),
        record
            .get("status")
            .cloned()
            .unwrap_or(Value::from("stopped")),
    );
    if let Some(t) = record.get("tolerance_met") {
        m.insert("tolerance_met".into(), t.clone());
    }
    m.insert(
        "duration".into(),
        record.get("duration").cloned().unwrap_or(Value::Null),
    );
    m
}

/// A short view of an activity's output.
fn summarise(output: &Value) -> String {
    let text = match output {
        Value::Object(m) if m.contains_key("status") && m.contains_key("body") => {
            format!(
                "HTTP {}",
                m.get("status")
                    .map(chaos_pyvalue::py_str)
                    .unwrap_or_default()
            )
        }
        Value::Object(m) if m.contains_key("status") && m.contains_key("stdout") => {
            format!(
                "exit {}",
                m.get("status")
                    .map(chaos_pyvalue::py_str)
                    .unwrap_or_default()
            )
        }
        Value::Null => "no output".into(),
        other => py_repr(other),
    };
    truncate(&text, 60)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

fn human_duration(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else {
        format!("{seconds:.2} s")
    }
}

fn title_case(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
