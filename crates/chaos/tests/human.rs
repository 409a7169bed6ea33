//! Human intervention (`chaos run --interactive`, the `chaos.controls.human`
//! control), driven for real in a pseudo-terminal: a person executes,
//! skips or aborts each activity, and with no terminal the run refuses to
//! start.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// An experiment whose every activity leaves a file behind, so what ran
/// (and what did not) can be seen on disk.
fn experiment() -> Value {
    let touch = |name: &str, file: &str| {
        json!({"type": "action", "name": name,
               "provider": {"type": "process", "path": "touch", "arguments": [file]}})
    };
    json!({"title": "asks first", "description": "d",
        "steady-state-hypothesis": {"title": "up", "probes": [
            {"type": "probe", "name": "service-up", "tolerance": 0,
             "provider": {"type": "process", "path": "test", "arguments": ["-e", "e.json"]}}]},
        "method": [touch("kill-the-cache", "cache-killed"), touch("fill-the-disk", "disk-filled")],
        "rollbacks": [touch("restore", "restored")]})
}

/// `chaos run --interactive` in a pseudo-terminal of its own.
fn spawn(dir: &Path, extra: &[&str]) -> rexpect::session::PtySession {
    let mut c = Command::new(common::chaos_bin());
    c.current_dir(dir)
        .args(["--no-log-file", "--settings"])
        .arg(dir.join("no-settings.yaml"))
        .env("NO_COLOR", "1")
        .args(["run", "--interactive"])
        .args(extra)
        .arg("e.json");
    rexpect::session::spawn_command(c, Some(20_000)).expect("the run starts in a terminal")
}

/// Waits for the question about `activity` and answers it.
fn answer(p: &mut rexpect::session::PtySession, activity: &str, with: &str) {
    p.exp_string(&format!("'{activity}'"))
        .unwrap_or_else(|e| panic!("no question about {activity}: {e}"));
    p.exp_string("[a]bort the experiment? ").unwrap();
    p.send_line(with).unwrap();
}

fn journal(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("journal.json")).unwrap()).unwrap()
}

#[test]
fn a_person_executes_and_skips_activities_and_the_journal_shows_the_skip() {
    let dir = common::scratch();
    common::write_experiment(dir.path(), "e.json", &experiment());
    let mut p = spawn(dir.path(), &["--rollback-strategy", "always"]);
    answer(&mut p, "service-up", "");
    answer(&mut p, "kill-the-cache", "s");
    answer(&mut p, "fill-the-disk", "e");
    answer(&mut p, "service-up", "e");
    answer(&mut p, "restore", "execute");
    p.exp_eof().unwrap();

    assert!(
        !dir.path().join("cache-killed").exists(),
        "the skipped action did not run"
    );
    assert!(dir.path().join("disk-filled").exists());
    assert!(dir.path().join("restored").exists());
    let j = journal(dir.path());
    assert_eq!(j["status"], "completed");
    let skipped = &j["run"][0];
    assert_eq!(skipped["activity"]["name"], "kill-the-cache");
    assert_eq!(skipped["activity"]["dry"], true);
    assert_eq!(skipped["status"], "succeeded");
    assert_eq!(skipped["output"], Value::Null);
    assert_eq!(j["run"][1]["output"]["status"], 0);
}

#[test]
fn a_person_aborts_and_the_run_is_interrupted_before_the_action() {
    let dir = common::scratch();
    common::write_experiment(dir.path(), "e.json", &experiment());
    let mut p = spawn(dir.path(), &["--rollback-strategy", "always"]);
    answer(&mut p, "service-up", "e");
    p.exp_string("'kill-the-cache'").unwrap();
    p.exp_string("? ").unwrap();
    // Something that is not an answer is asked again.
    p.send_line("perhaps").unwrap();
    p.exp_string("Please answer e (execute), s (skip) or a (abort).")
        .unwrap();
    p.send_line("a").unwrap();
    answer(&mut p, "restore", "e");
    p.exp_eof().unwrap();

    assert!(!dir.path().join("cache-killed").exists());
    assert!(!dir.path().join("disk-filled").exists());
    assert!(
        dir.path().join("restored").exists(),
        "rollbacks follow the strategy"
    );
    let j = journal(dir.path());
    assert_eq!(j["status"], "interrupted");
    assert_eq!(j["run"].as_array().unwrap().len(), 0);
}

#[test]
fn only_the_activities_the_control_names_are_asked_about() {
    let dir = common::scratch();
    let mut e = experiment();
    e["controls"] = json!([{"name": "ask-about-actions", "provider": {"type": "python",
        "module": "chaos.controls.human", "arguments": {"types": ["action"], "activities": ["fill-the-disk"]}}}]);
    common::write_experiment(dir.path(), "e.json", &e);
    let mut c = Command::new(common::chaos_bin());
    c.current_dir(dir.path())
        .args(["--no-log-file", "--settings"])
        .arg(dir.path().join("no-settings.yaml"))
        .env("NO_COLOR", "1")
        .args(["run", "e.json"]);
    let mut p = rexpect::session::spawn_command(c, Some(20_000)).unwrap();
    answer(&mut p, "fill-the-disk", "s");
    p.exp_eof().unwrap();
    assert!(dir.path().join("cache-killed").exists(), "not asked: ran");
    assert!(!dir.path().join("disk-filled").exists(), "asked: skipped");
    assert_eq!(journal(dir.path())["status"], "completed");
}

#[test]
fn with_no_terminal_the_run_refuses_to_start() {
    let dir = common::scratch();
    common::write_experiment(dir.path(), "e.json", &experiment());
    let started = Instant::now();
    // `setsid` puts the run in a session with no controlling terminal.
    let out = Command::new("setsid")
        .arg(common::chaos_bin())
        .current_dir(dir.path())
        .args(["--no-log-file", "--settings"])
        .arg(dir.path().join("no-settings.yaml"))
        .args(["run", "--interactive", "e.json"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(err.contains("human intervention needs a terminal"), "{err}");
    assert!(!dir.path().join("journal.json").exists(), "nothing ran");
    assert!(!dir.path().join("cache-killed").exists());
}
