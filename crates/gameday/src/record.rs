//! The Game Day record: what happened, when (steps, observations, safety
//! breaches with the probe output, rollbacks) and how it ended, as JSON.
//! It is saved after every event while the Game Day runs (so nothing typed
//! is lost), with its Markdown and HTML reports, and copied into a run
//! history as `<UTC start>-gameday-<hypothesis id>.json` for the backlog
//! to count as evidence.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use crate::monitor::{Breach, RollbackRun};
use crate::plan::Plan;

/// How a Game Day ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Still running (a record saved along the way).
    InProgress,
    /// Every step done and finished by the team.
    Completed,
    /// Stopped (the rollbacks were played).
    Stopped,
    /// Ended before the steps were done, without a stop (finished early,
    /// interrupted, the terminal closed).
    Aborted,
}

impl Outcome {
    /// The word in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::InProgress => "in-progress",
            Outcome::Completed => "completed",
            Outcome::Stopped => "stopped",
            Outcome::Aborted => "aborted",
        }
    }
}

/// One step of the plan as it was run.
#[derive(Debug, Clone)]
pub struct StepRun {
    /// The step's text.
    pub text: String,
    /// When it started (never, when the Game Day ended before it).
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A line typed by the team.
#[derive(Debug, Clone)]
pub struct Observation {
    /// When it was typed.
    pub at: DateTime<Utc>,
    /// The step under way (from 1), if any.
    pub step: Option<usize>,
    /// What was typed.
    pub text: String,
}

/// Everything a Game Day leaves behind.
#[derive(Debug, Clone)]
pub struct Record {
    /// The plan.
    pub plan: Plan,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// The steps, in order.
    pub steps: Vec<StepRun>,
    /// The team's observations.
    pub observations: Vec<Observation>,
    /// Safety breaches, with the step under way.
    pub breaches: Vec<(Breach, Option<usize>)>,
    /// Probes back within tolerance after a breach: name and time.
    pub recoveries: Vec<(String, DateTime<Utc>)>,
    /// The rollbacks played on a stop.
    pub rollbacks: Vec<RollbackRun>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why it ended that way, in words.
    pub reason: Option<String>,
}

/// A time in the record: RFC 3339, UTC, milliseconds.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Record {
    /// A record for `plan` starting now, the first step under way.
    pub fn start(plan: Plan) -> Record {
        let now = Utc::now();
        let steps = plan
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepRun {
                text: s.clone(),
                started_at: (i == 0).then_some(now),
                ended_at: None,
            })
            .collect();
        Record {
            plan,
            started_at: now,
            ended_at: None,
            steps,
            observations: Vec::new(),
            breaches: Vec::new(),
            recoveries: Vec::new(),
            rollbacks: Vec::new(),
            outcome: Outcome::InProgress,
            reason: None,
        }
    }

    /// The step under way (from 0), if any.
    pub fn current_step(&self) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| s.started_at.is_some() && s.ended_at.is_none())
    }

    /// Ends the current step and starts the next; whether there was one.
    pub fn next_step(&mut self) -> bool {
        let now = Utc::now();
        let Some(i) = self.current_step() else {
            return false;
        };
        self.steps[i].ended_at = Some(now);
        if let Some(s) = self.steps.get_mut(i + 1) {
            s.started_at = Some(now);
        }
        true
    }

    /// Whether every step has been done.
    pub fn all_steps_done(&self) -> bool {
        self.steps.iter().all(|s| s.ended_at.is_some())
    }

    /// Ends the Game Day with `outcome`.
    pub fn finish(&mut self, outcome: Outcome, reason: impl Into<String>) {
        let now = Utc::now();
        if let Some(i) = self.current_step() {
            self.steps[i].ended_at = Some(now);
        }
        self.ended_at = Some(now);
        self.outcome = outcome;
        self.reason = Some(reason.into());
    }

    /// The file name of the record: `<UTC start>-gameday-<hypothesis id>.json`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-gameday-{}.json",
            self.started_at.format("%Y%m%dT%H%M%SZ"),
            crate::plan::file_safe(&self.plan.hypothesis_id)
        )
    }

    /// The record as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let since = |t: DateTime<Utc>| (t - self.started_at).num_milliseconds() as f64 / 1000.0;
        let opt = |t: Option<DateTime<Utc>>| t.map(stamp);
        let steps: Vec<_> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let status = match (s.started_at, s.ended_at) {
                    (None, _) => "not-reached",
                    (Some(_), None) => "in-progress",
                    (Some(_), Some(_)) => "done",
                };
                json!({"index": i + 1, "text": s.text, "status": status,
                       "started_at": opt(s.started_at), "ended_at": opt(s.ended_at),
                       "elapsed": s.started_at.map(since)})
            })
            .collect();
        let observations: Vec<_> = self
            .observations
            .iter()
            .map(|o| json!({"at": stamp(o.at), "elapsed": since(o.at), "step": o.step, "text": o.text}))
            .collect();
        let breaches: Vec<_> = self
            .breaches
            .iter()
            .map(|(b, step)| {
                json!({"probe": b.probe, "at": stamp(b.at), "elapsed": since(b.at), "step": step,
                       "tolerance": b.tolerance, "output": b.output, "error": b.error})
            })
            .collect();
        let recoveries: Vec<_> = self
            .recoveries
            .iter()
            .map(|(p, at)| json!({"probe": p, "at": stamp(*at), "elapsed": since(*at)}))
            .collect();
        let rollbacks: Vec<_> = self
            .rollbacks
            .iter()
            .map(|r| {
                let (status, output, error) = match &r.result {
                    Ok(v) => ("succeeded", v.clone(), None),
                    Err(e) => ("failed", serde_json::Value::Null, Some(e.clone())),
                };
                json!({"name": r.name, "status": status, "started_at": stamp(r.started_at),
                       "ended_at": stamp(r.ended_at), "elapsed": since(r.started_at),
                       "output": output, "error": error})
            })
            .collect();
        json!({
            "kind": "gameday",
            "hypothesis": {"id": self.plan.hypothesis_id, "title": self.plan.hypothesis_title},
            "plan_path": self.plan.path.display().to_string(),
            "plan": self.plan.value,
            "started_at": stamp(self.started_at),
            "ended_at": opt(self.ended_at),
            "duration": self.ended_at.map(since),
            "planned_duration": self.plan.duration_minutes * 60.0,
            "outcome": self.outcome.as_str(),
            "reason": self.reason,
            "steps": steps,
            "observations": observations,
            "breaches": breaches,
            "recoveries": recoveries,
            "rollbacks": rollbacks,
        })
    }

    /// Writes the record and its reports into `dir` (each atomically);
    /// returns the paths of the JSON, Markdown and HTML files.
    pub fn save(&self, dir: &Path) -> std::io::Result<[PathBuf; 3]> {
        std::fs::create_dir_all(dir)?;
        let value = self.to_json();
        let json_path = dir.join(self.file_name());
        let md_path = json_path.with_extension("md");
        let html_path = json_path.with_extension("html");
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        crate::write_atomic(&json_path, text.as_bytes())?;
        crate::write_atomic(&md_path, crate::report::markdown(&value).as_bytes())?;
        crate::write_atomic(&html_path, crate::report::html(&value).as_bytes())?;
        Ok([json_path, md_path, html_path])
    }

    /// Copies the record into the history folder `dir`; returns its path.
    pub fn save_history(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(self.file_name());
        let text = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
        crate::write_atomic(&path, text.as_bytes())?;
        Ok(path)
    }
}
