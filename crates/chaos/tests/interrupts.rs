//! Nothing lost under interrupts: SIGINT or SIGTERM at random moments of
//! runs under each rollback strategy. Every run must leave a journal that
//! parses, with the rollbacks its strategy asks for, and no process behind.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use rand::Rng;
use serde_json::{json, Value};

const RUNS_PER_STRATEGY: usize = 100;
const ROLLBACKS: usize = 3;

fn experiment() -> Value {
    let sleeper = |name: String, secs: &str| json!({"type": "action", "name": name, "provider": {"type": "process", "path": "sh", "arguments": ["-c", format!("sleep {secs}")]}});
    let rollback = |i: usize| {
        json!({"type": "action", "name": format!("rollback-{i}"), "provider": {
            "type": "process", "path": "sh", "arguments": ["-c", format!("sleep 0.03; echo rollback-{i} >> rollbacks.log")]}})
    };
    json!({
        "title": "interrupt me",
        "description": "signals at random moments",
        "steady-state-hypothesis": {"title": "fine", "probes": [
            {"type": "probe", "name": "fine", "tolerance": 0, "provider": {"type": "process", "path": "true"}}
        ]},
        "method": (0..3).map(|i| sleeper(format!("work-{i}"), "0.05")).collect::<Vec<_>>(),
        "rollbacks": (0..ROLLBACKS).map(rollback).collect::<Vec<_>>(),
    })
}

/// Processes whose environment carries `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(env) = std::fs::read(entry.path().join("environ")) {
            if env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()) {
                let cmd = std::fs::read_to_string(entry.path().join("cmdline"))
                    .unwrap_or_default()
                    .replace('\0', " ");
                found.push(format!("{name}: {cmd}"));
            }
        }
    }
    found
}

fn one_run(dir: &Path, strategy: &str, n: usize, rng: &mut impl Rng) -> Result<(), String> {
    let _ = std::fs::remove_file(dir.join("rollbacks.log"));
    let _ = std::fs::remove_file(dir.join("journal.json"));
    let marker = format!("CHAOS_INTERRUPT_TEST={}-{strategy}-{n}", std::process::id());
    let (key, value) = marker.split_once('=').unwrap();
    let mut child = common::chaos(dir)
        .args([
            "run",
            "--rollback-strategy",
            strategy,
            "--journal-path",
            "journal.json",
            "experiment.json",
        ])
        .env(key, value)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The random moment is counted from the start of the run itself, which
    // the console announces; a loaded machine may take a while to get there.
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("Running experiment") {
                let _ = started_tx.send(());
            }
            lines.push(line);
        }
        lines
    });
    if started_rx.recv_timeout(Duration::from_secs(20)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "{strategy} run {n}: the run did not start: {:?}",
            reader.join()
        ));
    }
    let delay = Duration::from_millis(rng.gen_range(0..200));
    let signal = if rng.gen_bool(0.5) {
        Signal::SIGINT
    } else {
        Signal::SIGTERM
    };
    std::thread::sleep(delay);
    let _ = kill(Pid::from_raw(child.id() as i32), signal);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "run {n} ({signal} after {delay:?}) did not end within 20 s"
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let console = reader.join().unwrap_or_default();
    let context = format!(
        "{strategy} run {n}: {signal} {delay:?} into the run\n  console: {}",
        console.join("\n  console: ")
    );

    let text = std::fs::read_to_string(dir.join("journal.json"))
        .map_err(|e| format!("{context}: no journal ({e}); exit {status:?}"))?;
    let journal: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{context}: journal does not parse: {e}"))?;
    let run_status = journal["status"].as_str().unwrap_or("").to_string();
    let rollbacks = journal["rollbacks"].as_array().cloned().unwrap_or_default();
    let log_lines = std::fs::read_to_string(dir.join("rollbacks.log"))
        .map(|t| t.lines().count())
        .unwrap_or(0);
    let all_played = rollbacks.len() == ROLLBACKS
        && rollbacks.iter().all(|r| r["status"] == "succeeded")
        && log_lines == ROLLBACKS;
    let none_played = rollbacks.is_empty() && log_lines == 0;

    match run_status.as_str() {
        "interrupted" => {
            if status.code() != Some(1) {
                return Err(format!(
                    "{context}: interrupted run exited {status:?}, expected 1"
                ));
            }
            let ok = match strategy {
                "always" => all_played,
                // The signal may land while rollbacks run: they then finish.
                "default" => all_played || none_played,
                _ => none_played,
            };
            if !ok {
                return Err(format!("{context}: interrupted, rollbacks {rollbacks:?}, {log_lines} rollback(s) logged"));
            }
        }
        "completed" => {
            let ok = match strategy {
                "always" | "default" => all_played,
                _ => none_played,
            };
            if !ok || status.code() != Some(0) {
                return Err(format!("{context}: completed (exit {status:?}) with {} rollback record(s), {log_lines} logged", rollbacks.len()));
            }
        }
        other => return Err(format!("{context}: unexpected status {other:?}")),
    }

    // Killed processes may take a moment to disappear from /proc.
    let gone_by = Instant::now() + Duration::from_secs(2);
    loop {
        let left = processes_with(&marker);
        if left.is_empty() {
            break;
        }
        if Instant::now() > gone_by {
            return Err(format!("{context}: processes left behind: {left:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn strategy_survives_random_signals(
    strategy: &'static str,
) -> std::thread::JoinHandle<Result<(usize, usize), String>> {
    std::thread::spawn(move || {
        let dir = common::scratch();
        common::write_experiment(dir.path(), "experiment.json", &experiment());
        let mut rng = rand::thread_rng();
        let mut interrupted = 0;
        for n in 0..RUNS_PER_STRATEGY {
            one_run(dir.path(), strategy, n, &mut rng)?;
            let j: Value = serde_json::from_str(
                &std::fs::read_to_string(dir.path().join("journal.json")).unwrap(),
            )
            .unwrap();
            if j["status"] == "interrupted" {
                interrupted += 1;
            }
        }
        Ok((interrupted, RUNS_PER_STRATEGY))
    })
}

#[test]
fn random_signals_under_every_rollback_strategy_lose_nothing() {
    // Sanity: the experiment completes on its own with every rollback.
    let dir = common::scratch();
    let (out, journal) = common::run(dir.path(), &experiment(), &[]);
    let journal = journal.expect("a journal");
    assert_eq!(journal["status"], "completed", "{}", common::stderr(&out));
    assert_eq!(journal["rollbacks"].as_array().unwrap().len(), ROLLBACKS);

    let handles: Vec<_> = ["default", "always", "never", "deviated"]
        .into_iter()
        .map(|s| (s, strategy_survives_random_signals(s)))
        .collect();
    let mut failures = Vec::new();
    for (strategy, h) in handles {
        match h.join().unwrap() {
            Ok((interrupted, total)) => {
                // Most moments fall inside the run: the test must really interrupt
                // (at least 40 %; the rest land after the run has ended).
                assert!(
                    interrupted * 5 >= total * 2,
                    "{strategy}: only {interrupted} of {total} runs were interrupted"
                );
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_second_signal_stops_rollbacks_and_the_journal_names_what_was_not_rolled_back() {
    let dir = common::scratch();
    let slow_rollbacks = json!({
        "title": "slow rollbacks", "description": "d",
        "method": [],
        "rollbacks": (0..3).map(|i| json!({"type": "action", "name": format!("undo-{i}"),
            "provider": {"type": "process", "path": "sh", "arguments": ["-c", "sleep 0.4"]}})).collect::<Vec<_>>(),
    });
    common::write_experiment(dir.path(), "experiment.json", &slow_rollbacks);
    let child = common::chaos(dir.path())
        .args([
            "run",
            "--rollback-strategy",
            "always",
            "--journal-path",
            "journal.json",
            "experiment.json",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = Pid::from_raw(child.id() as i32);
    std::thread::sleep(Duration::from_millis(200));
    kill(pid, Signal::SIGINT).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    kill(pid, Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let journal: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("journal.json")).unwrap())
            .unwrap();
    assert_eq!(journal["status"], "interrupted");
    let unplayed: Vec<&str> = journal["unplayed_rollbacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(unplayed, vec!["undo-1", "undo-2"], "journal: {journal:#}");
    assert_eq!(journal["rollbacks"][0]["status"], "succeeded");
    let stderr = common::stderr(&out);
    assert!(stderr.contains("letting them finish"), "{stderr}");
}

#[test]
fn sigterm_during_a_process_activity_kills_its_whole_process_group() {
    let dir = common::scratch();
    // The activity starts a grandchild that would outlive a plain kill of the child.
    let exp = json!({
        "title": "grandchildren", "description": "d",
        "method": [{"type": "action", "name": "spawner", "provider": {"type": "process", "path": "sh",
            "arguments": ["-c", "sleep 30 & sleep 30; wait"]}}],
    });
    common::write_experiment(dir.path(), "experiment.json", &exp);
    let marker = format!("CHAOS_GRANDCHILD_TEST={}", std::process::id());
    let (k, v) = marker.split_once('=').unwrap();
    let child = Command::new(common::chaos_bin())
        .current_dir(dir.path())
        .args([
            "--no-log-file",
            "run",
            "--journal-path",
            "journal.json",
            "experiment.json",
        ])
        .env(k, v)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        processes_with(&marker).len() >= 3,
        "chaos, sh and two sleeps run"
    );
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        processes_with(&marker).is_empty(),
        "left behind: {:?}",
        processes_with(&marker)
    );
    let journal: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("journal.json")).unwrap())
            .unwrap();
    assert_eq!(journal["status"], "interrupted");
    assert!(
        journal["run"][0].get("status").is_none(),
        "the interrupted record has no status, as in the reference"
    );
}

fn run_and_signal(strategy: &str, signal: Signal) -> (Value, std::process::Output) {
    let dir = common::scratch();
    let exp = json!({
        "title": "usr signals", "description": "d",
        "method": [{"type": "action", "name": "long", "provider": {"type": "process", "path": "sleep", "arguments": ["5"]}}],
        "rollbacks": [{"type": "action", "name": "undo", "provider": {"type": "process", "path": "true"}}],
    });
    common::write_experiment(dir.path(), "experiment.json", &exp);
    let child = common::chaos(dir.path())
        .args([
            "run",
            "--rollback-strategy",
            strategy,
            "--journal-path",
            "journal.json",
            "experiment.json",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
    let out = child.wait_with_output().unwrap();
    let journal: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("journal.json")).unwrap())
            .unwrap();
    (journal, out)
}

#[test]
fn sigusr1_exits_gracefully_with_the_strategys_rollbacks() {
    let started = Instant::now();
    let (journal, out) = run_and_signal("always", Signal::SIGUSR1);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the long activity was stopped"
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(journal["status"], "interrupted");
    assert_eq!(journal["rollbacks"][0]["status"], "succeeded");
    let (journal, _) = run_and_signal("default", Signal::SIGUSR1);
    assert_eq!(
        journal["rollbacks"].as_array().unwrap().len(),
        0,
        "default strategy: none after an interruption"
    );
}

#[test]
fn sigusr2_exits_without_any_rollback_whatever_the_strategy() {
    let (journal, out) = run_and_signal("always", Signal::SIGUSR2);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(journal["status"], "interrupted");
    assert_eq!(journal["rollbacks"].as_array().unwrap().len(), 0);
    assert!(
        common::stderr(&out).contains("Ignoring rollbacks as per signal"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn max_duration_brakes_the_run_plays_the_rollbacks_and_says_why() {
    let dir = common::scratch();
    let exp = serde_json::json!({
        "title": "long", "description": "d",
        "method": [{"type": "action", "name": "long", "provider": {"type": "process", "path": "sleep", "arguments": "30"}}],
        "rollbacks": [{"type": "action", "name": "restore", "provider": {"type": "process", "path": "echo", "arguments": "restored"}}]
    });
    let started = std::time::Instant::now();
    let (out, journal) = common::run(dir.path(), &exp, &["--max-duration", "0.5"]);
    let elapsed = started.elapsed();
    let j = journal.expect("a journal");
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert!(
        elapsed < std::time::Duration::from_secs(5),
        "stopped at once: {elapsed:?}"
    );
    assert_eq!(j["status"], "interrupted");
    assert_eq!(
        j["rollbacks"][0]["output"]["stdout"], "restored\n",
        "a brake restores the system, even under the default strategy"
    );
    assert!(
        j["interruption"]
            .as_str()
            .unwrap()
            .contains("--max-duration of 0.5 s"),
        "{}",
        j["interruption"]
    );
    assert!(
        common::stderr(&out).contains("--max-duration"),
        "{}",
        common::stderr(&out)
    );

    let bad = common::chaos(dir.path())
        .args(["run", "--max-duration", "0", "x.json"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(common::stderr(&bad).contains("is not a number of seconds above 0"));
}
