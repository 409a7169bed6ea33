//! Evidence from runs: what the journals say about each hypothesis.
//!
//! A journal is evidence for a hypothesis when its `experiment.title` is
//! the title of one of the experiment files linked to the hypothesis. For
//! each linked experiment the latest run counts (by the journal's `start`);
//! the hypothesis's evidence is the most telling of those latest runs
//! (deviated, then failed to run, then held) and its last run the most
//! recent of them. Runs are classified as `chaos report` classifies them
//! ([`chaos_report::model::Outcome`]): completed → held; deviated →
//! deviated; failed, aborted, interrupted, and "not in its steady state
//! before the method" → failed to run (the hypothesis was not tested).
//!
//! Game Day records (`"kind": "gameday"`, written by `chaos gameday run`
//! into a history folder) count for the hypothesis whose id they name:
//! completed without a safety breach → held; with a breach (stopped or
//! not) → deviated; stopped or aborted otherwise → failed to run; still in
//! progress → not counted.

use std::path::{Path, PathBuf};

use chaos_report::model::{Outcome, Run};
use serde::Serialize;

use crate::model::Backlog;

/// What the runs say about a hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    /// No journal of a linked experiment.
    Untested,
    /// The latest run completed and the steady state held.
    Held,
    /// The latest run could not test it (failed, aborted, interrupted).
    FailedToRun,
    /// The steady state deviated: a weakness found.
    Deviated,
}

impl EvidenceKind {
    /// Its name, as in JSON and in the SVG's classes.
    pub fn name(self) -> &'static str {
        match self {
            EvidenceKind::Untested => "untested",
            EvidenceKind::Held => "held",
            EvidenceKind::FailedToRun => "failed-to-run",
            EvidenceKind::Deviated => "deviated",
        }
    }

    /// A few words for people.
    pub fn label(self) -> &'static str {
        match self {
            EvidenceKind::Untested => "untested",
            EvidenceKind::Held => "held",
            EvidenceKind::FailedToRun => "failed to run",
            EvidenceKind::Deviated => "deviated",
        }
    }

    /// Of a run's outcome.
    pub fn of(outcome: Outcome) -> EvidenceKind {
        match outcome {
            Outcome::Completed => EvidenceKind::Held,
            Outcome::Deviated => EvidenceKind::Deviated,
            Outcome::NotSteadyBefore
            | Outcome::Failed
            | Outcome::Aborted
            | Outcome::Interrupted => EvidenceKind::FailedToRun,
        }
    }
}

/// The evidence for one hypothesis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// What the runs say.
    pub kind: EvidenceKind,
    /// The `start` of the latest run, as written in its journal.
    pub last_run: Option<String>,
    /// The journal of the run that gave `kind`.
    pub journal: Option<String>,
}

impl Evidence {
    /// No evidence.
    pub fn untested() -> Evidence {
        Evidence {
            kind: EvidenceKind::Untested,
            last_run: None,
            journal: None,
        }
    }
}

/// Journals read from history folders and files, with what could not be
/// read.
#[derive(Debug, Default)]
pub struct Journals {
    /// The runs.
    pub runs: Vec<Run>,
    /// Game Day records.
    pub gamedays: Vec<GameDay>,
    /// Files that are not journals or cannot be read, with why.
    pub warnings: Vec<String>,
}

/// Reads every `*.json` journal below each folder of `history` (files
/// that are JSON but not journals are skipped quietly) and every file of
/// `files` (which must be journals).
pub fn read_journals(history: &[PathBuf], files: &[PathBuf]) -> Journals {
    let mut j = Journals::default();
    for dir in history {
        if !dir.is_dir() {
            j.warnings
                .push(format!("{}: not a folder of journals", dir.display()));
            continue;
        }
        let mut found = Vec::new();
        walk(dir, &mut found, 0);
        found.sort();
        for f in found {
            read_one(&f, &mut j, true);
        }
    }
    for f in files {
        read_one(f, &mut j, false);
    }
    j
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if depth < 4 {
                walk(&p, out, depth + 1);
            }
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

/// What a Game Day record says about its hypothesis.
#[derive(Debug, Clone)]
pub struct GameDay {
    /// The hypothesis id.
    pub hypothesis: String,
    /// What it says.
    pub kind: EvidenceKind,
    /// `started_at`.
    pub start: String,
    /// `started_at` in seconds since the epoch.
    pub start_epoch: Option<f64>,
    /// The record's file.
    pub source: String,
}

/// A Game Day record's evidence, or `None` if `v` is not a finished one.
pub fn gameday(source: &str, v: &serde_json::Value) -> Option<GameDay> {
    if v.get("kind")?.as_str()? != "gameday" {
        return None;
    }
    let breached = v
        .get("breaches")
        .and_then(|b| b.as_array())
        .is_some_and(|b| !b.is_empty());
    let kind = match v.get("outcome")?.as_str()? {
        "in-progress" => return None,
        _ if breached => EvidenceKind::Deviated,
        "completed" => EvidenceKind::Held,
        "stopped" | "aborted" => EvidenceKind::FailedToRun,
        _ => return None,
    };
    let start = v.get("started_at")?.as_str()?.to_string();
    Some(GameDay {
        hypothesis: v.pointer("/hypothesis/id")?.as_str()?.to_string(),
        kind,
        start_epoch: chrono::DateTime::parse_from_rfc3339(&start)
            .ok()
            .map(|t| t.timestamp_millis() as f64 / 1000.0),
        start,
        source: source.to_string(),
    })
}

fn read_one(path: &Path, j: &mut Journals, quiet: bool) {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path);
    if let Some(g) = text
        .as_ref()
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .filter(|v| v.get("kind").and_then(|k| k.as_str()) == Some("gameday"))
    {
        if let Some(g) = gameday(&shown, &g) {
            j.gamedays.push(g);
        }
        return;
    }
    match text {
        Ok(text) => match chaos_report::model::read(&shown, &text) {
            Ok(run) => j.runs.push(run),
            Err(chaos_report::model::ReadError::NotAJournal(_)) if quiet => {}
            Err(e) => j.warnings.push(e.to_string()),
        },
        Err(e) => j.warnings.push(format!("{shown}: cannot read: {e}")),
    }
}

/// The title of an experiment file (JSON or YAML).
pub fn experiment_title(path: &Path) -> Result<String, String> {
    let doc = chaos_experiment::load::load_file(path).map_err(|e| e.to_string())?;
    doc.value
        .get("title")
        .and_then(|t| t.as_str())
        .map(str::to_string)
        .ok_or_else(|| format!("{}: the experiment has no title", path.display()))
}

/// Where a linked experiment is: relative paths are relative to the
/// backlog's folder.
pub fn experiment_path(backlog_dir: &Path, linked: &str) -> PathBuf {
    let p = Path::new(linked);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        backlog_dir.join(p)
    }
}

/// The evidence for every hypothesis (in the backlog's order), and
/// warnings about linked experiments that cannot be read.
pub fn evidence(
    backlog: &Backlog,
    backlog_dir: &Path,
    journals: &Journals,
) -> (Vec<(String, Evidence)>, Vec<String>) {
    let runs = &journals.runs;
    let mut warnings = Vec::new();
    let mut out = Vec::new();
    for h in &backlog.hypotheses {
        // (kind, start, epoch, source) of each latest run.
        let mut latest: Vec<(EvidenceKind, &str, Option<f64>, &str)> = Vec::new();
        for linked in &h.experiments {
            let title = match experiment_title(&experiment_path(backlog_dir, linked)) {
                Ok(t) => t,
                Err(e) => {
                    warnings.push(format!("hypothesis '{}': {e}", h.id));
                    continue;
                }
            };
            if let Some(run) = runs
                .iter()
                .filter(|r| r.title == title)
                .max_by(|a, b| run_order(a, b))
            {
                latest.push((
                    EvidenceKind::of(run.outcome),
                    &run.start,
                    run.start_epoch,
                    &run.source,
                ));
            }
        }
        if let Some(g) = journals
            .gamedays
            .iter()
            .filter(|g| g.hypothesis == h.id)
            .max_by(|a, b| by_start(a.start_epoch, &a.start, b.start_epoch, &b.start))
        {
            latest.push((g.kind, &g.start, g.start_epoch, &g.source));
        }
        let e = match latest.iter().max_by_key(|r| r.0) {
            None => Evidence::untested(),
            Some(telling) => Evidence {
                kind: telling.0,
                last_run: latest
                    .iter()
                    .max_by(|a, b| by_start(a.2, a.1, b.2, b.1))
                    .map(|r| r.1.to_string()),
                journal: Some(telling.3.to_string()),
            },
        };
        out.push((h.id.clone(), e));
    }
    (out, warnings)
}

fn run_order(a: &Run, b: &Run) -> std::cmp::Ordering {
    by_start(a.start_epoch, &a.start, b.start_epoch, &b.start)
}

fn by_start(a: Option<f64>, sa: &str, b: Option<f64>, sb: &str) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (None, None) => sa.cmp(sb),
    }
}

/// The evidence for `id` in a list made by [`evidence`] (untested if absent).
pub fn for_id<'a>(list: &'a [(String, Evidence)], id: &str) -> Option<&'a Evidence> {
    list.iter().find(|(i, _)| i == id).map(|(_, e)| e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Hypothesis;

    #[test]
    fn game_day_records_count_for_their_hypothesis() {
        let record = |outcome: &str, at: &str, breaches: usize| {
            serde_json::json!({"kind": "gameday", "hypothesis": {"id": "a", "title": "t"},
                "started_at": at, "outcome": outcome,
                "breaches": vec![serde_json::json!({"probe": "p"}); breaches]})
        };
        let mut j = Journals::default();
        for (o, at, b) in [
            ("completed", "2026-01-01T10:00:00.000Z", 1),
            ("completed", "2026-02-01T10:00:00.000Z", 0),
            ("in-progress", "2026-03-01T10:00:00.000Z", 0),
        ] {
            j.gamedays.extend(gameday("r.json", &record(o, at, b)));
        }
        assert_eq!(j.gamedays.len(), 2);
        let mut b = Backlog::default();
        b.hypotheses.push(Hypothesis::new("a", "t", 1, 1));
        b.hypotheses.push(Hypothesis::new("b", "t", 1, 1));
        let (list, _) = evidence(&b, Path::new("."), &j);
        assert_eq!(list[0].1.kind, EvidenceKind::Held);
        assert_eq!(
            list[0].1.last_run.as_deref(),
            Some("2026-02-01T10:00:00.000Z")
        );
        assert_eq!(list[1].1.kind, EvidenceKind::Untested);
        assert_eq!(
            gameday("r", &record("stopped", "2026-01-01T10:00:00Z", 0))
                .unwrap()
                .kind,
            EvidenceKind::FailedToRun
        );
        assert_eq!(
            gameday("r", &record("stopped", "2026-01-01T10:00:00Z", 2))
                .unwrap()
                .kind,
            EvidenceKind::Deviated
        );
    }
}
