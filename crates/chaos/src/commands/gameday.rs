//! `chaos gameday plan|check|run`: Game Days (chapter 4 of "Learning Chaos
//! Engineering"). The plan, the monitor, the record and the reports live in
//! `chaos-gameday`; this module owns the terminal session of a run: the
//! timer, the steps one by one, the safety monitor's shouts, the team's
//! observations and the commands (`n`/Enter next step, `s` stop and roll
//! back, `q` finish, `?` help; any other line is an observation).

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::anyhow;
use chaos_gameday::monitor::{self, Event};
use chaos_gameday::plan::{self as gplan, Plan};
use chaos_gameday::record::{Outcome, Record};
use chaos_gameday::report::clock;

use super::CmdResult;
use crate::cli::{Cli, GamedayAction, GamedayArgs};

/// Runs `chaos gameday ...`.
pub fn gameday(_cli: &Cli, args: &GamedayArgs, settings_path: &Path) -> CmdResult {
    match &args.action {
        GamedayAction::Plan {
            hypothesis,
            title,
            output,
            force,
        } => plan(hypothesis, title.as_deref(), output.as_deref(), *force),
        GamedayAction::Check { plan } => check(plan, settings_path),
        GamedayAction::Run {
            plan,
            record_dir,
            history,
        } => run(
            plan,
            record_dir.as_deref(),
            history.as_deref(),
            settings_path,
        ),
    }
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn plan(id: &str, title: Option<&str>, output: Option<&Path>, force: bool) -> CmdResult {
    let path = output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(gplan::default_file_name(id)));
    if path.exists() && !force {
        return Err(anyhow!(
            "'{}' already exists: not overwriting it (--force replaces it)",
            path.display()
        ));
    }
    let title = title
        .map(str::to_string)
        .or_else(|| gplan::title_from_backlog(&folder_of(&path), id));
    let text = gplan::template(id, title.as_deref());
    chaos_gameday::write_atomic(&path, text.as_bytes())
        .map_err(|e| anyhow!("cannot write '{}': {e}", path.display()))?;
    println!("Wrote the Game Day plan {}.", path.display());
    println!(
        "Fill in every TODO, then run `chaos gameday check {}` until it is ready.",
        path.display()
    );
    Ok(0)
}

/// Loads and checks a plan; the issues are the plan's, an `Err` is a plan
/// that cannot be read.
fn load_and_check(
    path: &Path,
    settings_path: &Path,
) -> Result<(chaos_experiment::Document, Vec<gplan::Issue>), anyhow::Error> {
    let doc = gplan::load(path).map_err(|e| anyhow!(e))?;
    let settings = crate::settings::load(settings_path);
    let registry = super::registry(&path.display().to_string(), None, &settings);
    let issues = gplan::check(&doc, &folder_of(path), Some(&registry));
    Ok((doc, issues))
}

fn check(path: &Path, settings_path: &Path) -> CmdResult {
    let (doc, issues) = load_and_check(path, settings_path)?;
    if issues.is_empty() {
        let p = Plan::from_value(path, &doc.value);
        println!(
            "{}: ready for a Game Day on hypothesis {} ({} steps, {} safety probes, approved by {}).",
            path.display(),
            p.hypothesis_id,
            p.steps.len(),
            p.probes.len(),
            doc.value
                .pointer("/approval/approver")
                .map(chaos_pyvalue::py_str)
                .unwrap_or_default()
        );
        return Ok(0);
    }
    for i in &issues {
        println!("{}", i.render(&doc.origin));
    }
    println!(
        "{}: {} thing{} to settle before the Game Day.",
        path.display(),
        issues.len(),
        if issues.len() == 1 { "" } else { "s" }
    );
    Ok(1)
}

/// The terminal of a Game Day: loud lines in colour when it is a terminal.
#[derive(Clone, Copy)]
struct Term {
    colour: bool,
}

impl Term {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn line(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }
}

struct Session {
    record: Mutex<Record>,
    dir: PathBuf,
    history: Option<PathBuf>,
    term: Term,
}

impl Session {
    fn save(&self, record: &Record) {
        if let Err(e) = record.save(&self.dir) {
            crate::console::warn_line(&format!(
                "cannot save the Game Day record in '{}': {e}",
                self.dir.display()
            ));
        }
    }

    fn elapsed(&self) -> String {
        let r = self.record.lock().unwrap_or_else(|e| e.into_inner());
        let s = (chrono::Utc::now() - r.started_at).num_milliseconds() as f64 / 1000.0;
        clock(s)
    }

    /// Ends the Game Day, saves the record everywhere; returns the code.
    fn end(&self, outcome: Outcome, reason: &str) -> u8 {
        let mut r = self.record.lock().unwrap_or_else(|e| e.into_inner());
        r.finish(outcome, reason);
        let t = self.term;
        match r.save(&self.dir) {
            Ok([json, md, html]) => {
                t.line(&format!(
                    "\nGame Day {}: {reason}.",
                    t.paint("1", outcome.as_str())
                ));
                t.line(&format!("Record: {}", json.display()));
                t.line(&format!("Report: {} and {}", md.display(), html.display()));
            }
            Err(e) => crate::console::error_line(&format!(
                "cannot save the Game Day record in '{}': {e}",
                self.dir.display()
            )),
        }
        if let Some(h) = &self.history {
            match r.save_history(h) {
                Ok(p) => t.line(&format!("History: {}", p.display())),
                Err(e) => crate::console::error_line(&format!(
                    "cannot write the record into the history '{}': {e}",
                    h.display()
                )),
            }
        }
        if outcome == Outcome::Completed {
            0
        } else {
            1
        }
    }
}

const HELP: &str = "Commands: Enter or n = next step, s = stop (runs the rollbacks), q = finish, ? = this help.\nAny other line is an observation, recorded with the time.";

fn run(
    path: &Path,
    record_dir: Option<&Path>,
    history: Option<&Path>,
    settings_path: &Path,
) -> CmdResult {
    let (doc, issues) = load_and_check(path, settings_path)?;
    if gplan::unapproved(&issues) {
        for i in issues.iter().filter(|i| i.path.to_string() == "approval") {
            crate::console::error_line(&i.render(&doc.origin));
        }
        return Err(anyhow!(
            "refusing to start: the plan '{}' is not approved. The approver fills in `approval.approver` and `approval.approved_at`, then run again.",
            path.display()
        ));
    }
    if !issues.is_empty() {
        for i in &issues {
            crate::console::error_line(&i.render(&doc.origin));
        }
        return Err(anyhow!(
            "refusing to start: the plan '{}' is not ready (`chaos gameday check` lists what it lacks)",
            path.display()
        ));
    }
    let plan = Plan::from_value(path, &doc.value);
    let settings = crate::settings::load(settings_path);
    let registry = Arc::new(super::registry(
        &path.display().to_string(),
        None,
        &settings,
    ));
    let term = Term {
        colour: std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let dir = record_dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| folder_of(path));
    let planned = plan.duration_minutes;
    let steps = plan.steps.clone();
    let probes = plan.probes.clone();
    let interval = Duration::from_secs_f64(plan.interval_seconds.max(0.01));
    let rollbacks = plan.rollbacks.clone();

    term.line(&term.paint(
        "1",
        &format!(
            "Game Day: {} ({})",
            plan.hypothesis_title, plan.hypothesis_id
        ),
    ));
    term.line(&format!(
        "Style {}, planned for {planned} min, {} steps, {} safety probe(s) polled every {}s.",
        plan.style,
        steps.len(),
        probes.len(),
        plan.interval_seconds
    ));
    term.line(HELP);

    let session = Arc::new(Session {
        record: Mutex::new(Record::start(plan)),
        dir,
        history: history.map(Path::to_path_buf),
        term,
    });
    {
        let r = session.record.lock().unwrap_or_else(|e| e.into_inner());
        session.save(&r);
    }

    // Ctrl-C ends the Game Day as aborted, with everything typed saved,
    // after playing the plan's rollbacks: an interrupt must not leave the
    // system with its faults in.
    {
        let session = session.clone();
        let registry = registry.clone();
        let rollbacks = rollbacks.clone();
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
                let t = session.term;
                t.line(&t.paint(
                    "1;31",
                    &format!(
                        "\nInterrupted: playing {} rollback(s) before ending.",
                        rollbacks.len()
                    ),
                ));
                let runs = monitor::run_rollbacks(&registry, &rollbacks, &|a| {
                    t.line(&format!("  rolling back: {}", a.name));
                });
                session
                    .record
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .rollbacks = runs;
                let code = session.end(Outcome::Aborted, "interrupted (Ctrl-C); rollbacks played");
                std::process::exit(if code == 0 { 0 } else { 130 });
            }
        });
    }
    // The timer: a line when the planned duration is reached.
    {
        let session = session.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs_f64(planned.max(0.0) * 60.0));
            let t = session.term;
            t.line(&t.paint(
                "1;33",
                &format!(
                    "\n⏰ The planned {planned} minutes are up: wrap up (q to finish, s to stop)."
                ),
            ));
        });
    }
    let monitor = {
        let session = session.clone();
        monitor::start(registry.clone(), probes, interval, move |event| {
            let t = session.term;
            let mut r = session.record.lock().unwrap_or_else(|e| e.into_inner());
            match event {
                Event::Breach(b) => {
                    let step = r.current_step().map(|i| i + 1);
                    let what = match &b.error {
                        Some(e) => format!("could not be checked: {e}"),
                        None => format!(
                            "is OUT OF TOLERANCE (expected {}, got {})",
                            serde_json::to_string(&b.tolerance).unwrap_or_default(),
                            serde_json::to_string(&b.output).unwrap_or_default()
                        ),
                    };
                    let at = (b.at - r.started_at).num_milliseconds() as f64 / 1000.0;
                    t.line(&format!(
                        "\x07\n{}\n{}",
                        t.paint(
                            "1;41;97",
                            &format!(
                                "!!! SAFETY BREACH at {}: probe '{}' {what} !!!",
                                clock(at),
                                b.probe
                            )
                        ),
                        t.paint(
                            "1;31",
                            "!!! Type s + Enter to STOP the Game Day and run the rollbacks, or carry on."
                        )
                    ));
                    r.breaches.push((b, step));
                }
                Event::Recovered { probe, at } => {
                    t.line(&t.paint(
                        "32",
                        &format!("\nSafety probe '{probe}' is back within tolerance."),
                    ));
                    r.recoveries.push((probe, at));
                }
            }
            session.save(&r);
        })
    };

    let show_step = |i: usize| {
        let t = session.term;
        t.line(&format!(
            "\n{} {}",
            t.paint("1;36", &format!("── Step {}/{} ──", i + 1, steps.len())),
            steps[i]
        ));
    };
    if !steps.is_empty() {
        show_step(0);
    }
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    let (outcome, reason) = loop {
        let current = {
            let r = session.record.lock().unwrap_or_else(|e| e.into_inner());
            r.current_step()
        };
        {
            let mut out = std::io::stdout().lock();
            let where_ = match current {
                Some(i) => format!("step {}/{}", i + 1, steps.len()),
                None => "all steps done".into(),
            };
            let _ = write!(
                out,
                "[{} / {}:00] {where_} > ",
                session.elapsed(),
                planned.round() as u64
            );
            let _ = out.flush();
        }
        let mut line = String::new();
        match lines.read_line(&mut line) {
            Ok(0) | Err(_) => {
                // Nobody is left to stop the Game Day: take the faults out.
                let runs = monitor::run_rollbacks(&registry, &rollbacks, &|_| {});
                session
                    .record
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .rollbacks = runs;
                break (
                    Outcome::Aborted,
                    "the terminal closed; rollbacks played".to_string(),
                );
            }
            Ok(_) => {}
        }
        let text = line.trim();
        match text {
            "" | "n" => {
                let mut r = session.record.lock().unwrap_or_else(|e| e.into_inner());
                if r.next_step() {
                    let next = r.current_step();
                    session.save(&r);
                    drop(r);
                    match next {
                        Some(i) => show_step(i),
                        None => session.term.line(
                            "\nAll steps are done. q to finish (or keep typing observations).",
                        ),
                    }
                } else if text == "n" {
                    session.term.line("All steps are done. q to finish.");
                }
            }
            "s" => {
                let breached = {
                    let r = session.record.lock().unwrap_or_else(|e| e.into_inner());
                    r.breaches.last().map(|(b, _)| b.probe.clone())
                };
                let t = session.term;
                t.line(&t.paint(
                    "1;31",
                    &format!("Stopping the Game Day: {} rollback(s).", rollbacks.len()),
                ));
                let runs = monitor::run_rollbacks(&registry, &rollbacks, &|a| {
                    t.line(&format!("  rolling back: {}", a.name));
                });
                for run in &runs {
                    match &run.result {
                        Ok(_) => t.line(&format!("  {}: done", run.name)),
                        Err(e) => t.line(&t.paint("31", &format!("  {}: FAILED: {e}", run.name))),
                    }
                }
                session
                    .record
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .rollbacks = runs;
                let reason = match breached {
                    Some(p) => {
                        format!("stopped after the safety probe '{p}' went out of tolerance")
                    }
                    None => "stopped by the team".to_string(),
                };
                break (Outcome::Stopped, reason);
            }
            "q" => {
                let r = session.record.lock().unwrap_or_else(|e| e.into_inner());
                if r.all_steps_done() {
                    break (Outcome::Completed, "every step done".to_string());
                }
                let at = r.current_step().map(|i| i + 1).unwrap_or(0);
                break (
                    Outcome::Aborted,
                    format!("finished by the team at step {at} of {}", steps.len()),
                );
            }
            "?" | "h" | "help" => session.term.line(HELP),
            _ => {
                let mut r = session.record.lock().unwrap_or_else(|e| e.into_inner());
                let now = chrono::Utc::now();
                let step = r.current_step().map(|i| i + 1);
                r.observations.push(chaos_gameday::record::Observation {
                    at: now,
                    step,
                    text: text.to_string(),
                });
                let at = clock((now - r.started_at).num_milliseconds() as f64 / 1000.0);
                session.save(&r);
                drop(r);
                session.term.line(&format!("  noted at {at}"));
            }
        }
    };
    monitor.stop();
    Ok(session.end(outcome, &reason))
}
