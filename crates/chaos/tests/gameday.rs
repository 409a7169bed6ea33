//! Game Days (`chaos gameday plan|check|run`), end to end with the real
//! binary: a plan written and checked (what is missing, with its line), an
//! unapproved plan refused, and approved plans run for real in a
//! pseudo-terminal: steps advanced, observations typed, a safety probe
//! breaking mid-run, the stop and its rollbacks, the record and reports.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

fn gameday(dir: &Path, args: &[&str]) -> std::process::Output {
    common::chaos(dir)
        .arg("gameday")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The line (from 1) of the first line of `text` starting with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}"))
        + 1
}

/// A complete plan, approved or not, whose safety probe watches `flag`.
fn plan_yaml(flag: &Path, approved: bool) -> String {
    let flag = flag.display();
    let approval = if approved {
        "approval:\n  approver: Bea Ops\n  approved_at: \"2030-05-30T09:00:00Z\"\n"
    } else {
        "approval:\n  approver:\n  approved_at:\n"
    };
    format!(
        r#"hypothesis:
  id: H7
  title: "The shop keeps selling when the cache goes away"
style: dress-rehearsal
participants:
  - name: Ana
    role: facilitator
  - name: Raj
    role: executor
observers: []
where: Room 1 and the usual call
when: "2030-06-01T10:00:00Z"
duration: 30
steps:
  - Brief everyone
  - Kill the cache
  - Debrief
experiment: kill the cache pod
safety:
  interval: 0.5
  probes:
    - name: flag-present
      type: probe
      tolerance: 0
      provider:
        type: process
        path: test
        arguments: ["-e", "{flag}"]
rollbacks:
  - name: restore-flag
    type: action
    provider:
      type: process
      path: touch
      arguments: ["{flag}"]
{approval}"#
    )
}

#[test]
fn a_plan_is_written_then_checked_until_it_is_ready() {
    let dir = common::scratch();
    let d = dir.path();
    let o = gameday(d, &["plan", "H1", "--title", "Orders survive a lost node"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let path = d.join("gameday-H1.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("title: \"Orders survive a lost node\""),
        "{text}"
    );
    assert!(text.contains("dress-rehearsal") && text.contains("tabletop"));

    // Never overwrites what the team wrote.
    std::fs::write(&path, format!("{text}# ours\n")).unwrap();
    let o = gameday(d, &["plan", "H1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(common::stderr(&o).contains("already exists"));
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .ends_with("# ours\n"));

    let o = gameday(d, &["check", "gameday-H1.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let where_line = line_of(&text, "where:");
    let when_line = line_of(&text, "when:");
    let approval_line = line_of(&text, "approval:");
    assert!(
        out.contains(&format!(
            "gameday-H1.yaml:{where_line}:1: where: still a placeholder"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "gameday-H1.yaml:{when_line}:1: when: still a placeholder"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "gameday-H1.yaml:{approval_line}:1: approval: not approved"
        )),
        "{out}"
    );
    assert!(out.contains("safety.probes[0].provider.path"), "{out}");
    assert!(out.contains("participants[0].name"), "{out}");

    // A wrong value is named with its line too.
    let flag = d.join("flag");
    let bad = plan_yaml(&flag, true)
        .replace("style: dress-rehearsal", "style: rehearsal")
        .replace("duration: 30", "duration: -5");
    std::fs::write(d.join("bad.yaml"), &bad).unwrap();
    let out = stdout(&gameday(d, &["check", "bad.yaml"]));
    let style_line = line_of(&bad, "style:");
    assert!(
        out.contains(&format!(
            "bad.yaml:{style_line}:1: style: unknown style 'rehearsal'"
        )),
        "{out}"
    );
    assert!(out.contains("duration: must be a number above 0"), "{out}");

    // A complete, approved plan is ready.
    std::fs::write(d.join("ready.yaml"), plan_yaml(&flag, true)).unwrap();
    let o = gameday(d, &["check", "ready.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("ready for a Game Day"));

    // A syntax error names file, line and column.
    std::fs::write(
        d.join("broken.yaml"),
        "hypothesis:\n  id: [H1\nstyle: live\n",
    )
    .unwrap();
    let o = gameday(d, &["check", "broken.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    assert!(regex_like(&err, "broken.yaml:", ": invalid YAML"), "{err}");
}

/// Whether `text` has `a`, then a `line:column`, then `b`.
fn regex_like(text: &str, a: &str, b: &str) -> bool {
    text.lines().any(|l| {
        let Some(i) = l.find(a) else { return false };
        let rest = &l[i + a.len()..];
        let Some(j) = rest.find(b) else { return false };
        let pos = &rest[..j];
        let parts: Vec<&str> = pos.split(':').collect();
        parts.len() == 2 && parts.iter().all(|p| p.parse::<usize>().is_ok())
    })
}

#[test]
fn the_title_comes_from_the_hypothesis_backlog_next_to_the_plan() {
    let dir = common::scratch();
    let d = dir.path();
    std::fs::write(
        d.join("hypotheses.yaml"),
        "hypotheses:\n  - id: H2\n    title: Payments retry when the bank is slow\n    extra: [1, 2]\n  - nonsense\n",
    )
    .unwrap();
    let o = gameday(d, &["plan", "H2", "--output", "plans.yaml"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let text = std::fs::read_to_string(d.join("plans.yaml")).unwrap();
    assert!(
        text.contains("title: \"Payments retry when the bank is slow\""),
        "{text}"
    );
}

#[test]
fn an_unapproved_plan_is_refused() {
    let dir = common::scratch();
    let d = dir.path();
    let flag = d.join("flag");
    std::fs::write(&flag, "").unwrap();
    std::fs::write(d.join("plan.yaml"), plan_yaml(&flag, false)).unwrap();
    let o = gameday(d, &["run", "plan.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    assert!(err.contains("refusing to start"), "{err}");
    assert!(err.contains("not approved"), "{err}");
    assert!(
        !std::fs::read_dir(d).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("-gameday-")),
        "no record for a Game Day that never started"
    );
}

fn spawn(dir: &Path, extra: &[&str]) -> rexpect::session::PtySession {
    let mut c = Command::new(common::chaos_bin());
    c.current_dir(dir)
        .args(["--no-log-file", "--settings"])
        .arg(dir.join("no-settings.yaml"))
        .env("NO_COLOR", "1")
        .args(["gameday", "run", "plan.yaml"])
        .args(extra);
    rexpect::session::spawn_command(c, Some(20_000)).expect("the Game Day starts in a terminal")
}

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

fn record_in(dir: &Path) -> (Value, PathBuf) {
    let files = files_in(dir, "json");
    assert_eq!(files.len(), 1, "{files:?}");
    let v = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    (v, files[0].clone())
}

#[test]
fn a_breach_is_shouted_in_time_and_the_stop_rolls_back() {
    let dir = common::scratch();
    let d = dir.path();
    let flag = d.join("flag");
    std::fs::write(&flag, "").unwrap();
    std::fs::write(d.join("plan.yaml"), plan_yaml(&flag, true)).unwrap();
    let mut p = spawn(d, &["--record-dir", "records", "--history", "history"]);
    p.exp_string("Step 1/3").unwrap();
    p.exp_string("> ").unwrap();
    p.send_line("").unwrap();
    p.exp_string("Step 2/3").unwrap();
    p.exp_string("> ").unwrap();
    p.send_line("checkout latency doubled, no errors").unwrap();
    p.exp_string("noted at").unwrap();
    // Let the monitor see the probe within tolerance first.
    std::thread::sleep(Duration::from_millis(1200));
    std::fs::remove_file(&flag).unwrap();
    let deleted = chrono::Utc::now();
    p.exp_string("SAFETY BREACH").unwrap();
    p.exp_string("flag-present").unwrap();
    p.exp_string("STOP").unwrap();
    p.send_line("s").unwrap();
    p.exp_string("restore-flag: done").unwrap();
    p.exp_string("Game Day stopped").unwrap();
    p.exp_eof().unwrap();
    assert!(flag.exists(), "the rollback recreated the file");

    let (r, json_path) = record_in(&d.join("records"));
    assert_eq!(r["outcome"], "stopped");
    assert_eq!(r["hypothesis"]["id"], "H7");
    assert_eq!(r["steps"][0]["status"], "done");
    assert_eq!(r["steps"][1]["status"], "done");
    assert_eq!(r["steps"][2]["status"], "not-reached");
    assert_eq!(
        r["observations"][0]["text"],
        "checkout latency doubled, no errors"
    );
    assert_eq!(r["observations"][0]["step"], 2);
    let breaches = r["breaches"].as_array().unwrap();
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    let b = &breaches[0];
    assert_eq!(b["probe"], "flag-present");
    assert_eq!(b["output"]["status"], 1);
    assert_eq!(b["step"], 2);
    let at = chrono::DateTime::parse_from_rfc3339(b["at"].as_str().unwrap()).unwrap();
    let lag = (at.with_timezone(&chrono::Utc) - deleted).num_milliseconds();
    assert!(
        (0..=600).contains(&lag),
        "breach seen {lag} ms after the deletion (interval 500 ms + 100 ms)"
    );
    assert_eq!(r["rollbacks"][0]["name"], "restore-flag");
    assert_eq!(r["rollbacks"][0]["status"], "succeeded");

    let md = std::fs::read_to_string(json_path.with_extension("md")).unwrap();
    let html = std::fs::read_to_string(json_path.with_extension("html")).unwrap();
    for report in [&md, &html] {
        assert!(report.contains("checkout latency doubled, no errors"));
        assert!(report.contains("flag-present"));
        assert!(report.contains("restore-flag"));
    }
    assert!(md.contains("**Outcome: STOPPED**"), "{md}");
    assert!(md.contains("SAFETY BREACH"), "{md}");
    assert!(html.contains("Safety breach") && html.contains("o-stopped"));
    assert!(!html.contains("<script"));
    assert!(html.contains("prefers-color-scheme:dark"));

    let history = files_in(&d.join("history"), "json");
    assert_eq!(history.len(), 1);
    let name = history[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(name.ends_with("Z-gameday-H7.json"), "{name}");
    assert_eq!(
        name.len(),
        "20300601T100000Z-gameday-H7.json".len(),
        "{name}"
    );
}

#[test]
fn every_step_done_then_finished_is_a_completed_game_day() {
    let dir = common::scratch();
    let d = dir.path();
    let flag = d.join("flag");
    std::fs::write(&flag, "").unwrap();
    std::fs::write(d.join("plan.yaml"), plan_yaml(&flag, true)).unwrap();
    let mut p = spawn(d, &[]);
    p.exp_string("Step 1/3").unwrap();
    p.exp_string("> ").unwrap();
    p.send_line("n").unwrap();
    p.exp_string("Step 2/3").unwrap();
    p.exp_string("> ").unwrap();
    p.send_line("?").unwrap();
    p.exp_string("s = stop").unwrap();
    p.send_line("").unwrap();
    p.exp_string("Step 3/3").unwrap();
    p.exp_string("> ").unwrap();
    p.send_line("").unwrap();
    p.exp_string("All steps are done").unwrap();
    p.send_line("q").unwrap();
    p.exp_string("Game Day completed").unwrap();
    p.exp_eof().unwrap();
    let (r, _) = record_in(d);
    assert_eq!(r["outcome"], "completed");
    assert!(r["breaches"].as_array().unwrap().is_empty());
    assert!(r["rollbacks"].as_array().unwrap().is_empty());
    for s in r["steps"].as_array().unwrap() {
        assert_eq!(s["status"], "done");
    }
}

#[test]
fn a_game_day_left_without_anyone_at_the_terminal_plays_its_rollbacks() {
    let dir = common::scratch();
    let d = dir.path();
    let flag = d.join("flag");
    std::fs::write(d.join("plan.yaml"), plan_yaml(&flag, true)).unwrap();
    // The fault is in (the flag is gone) and the terminal closes at once.
    let o = common::chaos(d)
        .args(["gameday", "run", "plan.yaml"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(flag.exists(), "the rollback put the flag back");
    let record = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a record");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(record).unwrap()).unwrap();
    assert_eq!(r["outcome"], "aborted");
    assert_eq!(r["rollbacks"].as_array().map(Vec::len), Some(1), "{r}");
}
