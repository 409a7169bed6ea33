//! The test mode for CI: exit codes (`default`, the reference's, against
//! `detailed`), several experiments in one `chaos run` (a summary, the
//! worst code, one journal each), `--junit` and `--history`.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn probe(name: &str, path: &str, args: &str) -> Value {
    json!({"type": "probe", "name": name, "tolerance": 0,
           "provider": {"type": "process", "path": path, "arguments": args}})
}

fn action(name: &str, path: &str, args: Value) -> Value {
    json!({"type": "action", "name": name,
           "provider": {"type": "process", "path": path, "arguments": args}})
}

fn hypothesis(probes: Vec<Value>) -> Value {
    json!({"title": "the marker is there", "probes": probes})
}

/// The steady state holds: `marker` exists before and after.
fn completed() -> Value {
    json!({
        "title": "Marker holds",
        "description": "completes",
        "steady-state-hypothesis": hypothesis(vec![probe("marker-exists", "test", "-e marker")]),
        "method": [action("noop", "true", json!(""))],
    })
}

/// `absent` never exists: not in the steady state before the method.
fn not_steady_before() -> Value {
    json!({
        "title": "Not steady before",
        "description": "the method is not run",
        "steady-state-hypothesis": hypothesis(vec![probe("absent-exists", "test", "-e absent")]),
        "method": [action("never", "touch", json!("method-ran"))],
    })
}

/// The method removes `marker2`; a rollback puts it back.
fn deviated() -> Value {
    json!({
        "title": "Marker gone",
        "description": "deviates",
        "steady-state-hypothesis": hypothesis(vec![probe("marker2-exists", "test", "-e marker2")]),
        "method": [action("remove-marker2", "rm", json!("-f marker2"))],
        "rollbacks": [action("restore-marker2", "touch", json!("marker2"))],
    })
}

/// A hypothesis probe that cannot run (its process times out:
/// ActivityFailed): status `failed`.
fn failed() -> Value {
    json!({
        "title": "Probe times out",
        "description": "fails",
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"type": "probe", "name": "slow", "tolerance": 0,
             "provider": {"type": "process", "path": "sleep", "arguments": "5", "timeout": 0.2}}
        ]},
        "method": [action("noop", "true", json!(""))],
    })
}

/// A method process that vanishes before it is run: status `aborted`.
fn aborted() -> Value {
    json!({
        "title": "Process vanishes",
        "description": "aborts",
        "method": [
            action("remove-it", "rm", json!(["-f", "./vanish"])),
            action("vanished", "./vanish", json!([])),
        ],
    })
}

/// A method that outlives `--max-duration`.
fn slow() -> Value {
    json!({
        "title": "Slow method",
        "description": "interrupted by --max-duration",
        "method": [action("sleep", "sleep", json!("5"))],
    })
}

/// Not valid: no method.
fn invalid() -> Value {
    json!({"title": "No method", "description": "invalid"})
}

/// A scratch folder with the files the experiments expect.
fn prepared() -> tempfile::TempDir {
    let dir = common::scratch();
    for f in ["marker", "marker2"] {
        std::fs::write(dir.path().join(f), "").unwrap();
    }
    let vanish = dir.path().join("vanish");
    std::fs::write(&vanish, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&vanish, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

fn journal(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn xmllint(path: &Path) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../report/tests/data/junit-10.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg(path)
        .output()
        .expect("xmllint runs (on Debian: apt-get install libxml2-utils)");
    assert!(
        out.status.success(),
        "{} does not validate: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (what, experiment, extra flags, default code, detailed code, journal
/// status)
type Case = (
    &'static str,
    Value,
    Vec<&'static str>,
    i32,
    i32,
    Option<&'static str>,
);

#[test]
fn exit_codes_default_and_detailed() {
    let cases: Vec<Case> = vec![
        ("completed", completed(), vec![], 0, 0, Some("completed")),
        (
            "not steady before",
            not_steady_before(),
            vec![],
            0,
            3,
            Some("completed"),
        ),
        ("deviated", deviated(), vec![], 1, 4, Some("completed")),
        ("failed", failed(), vec![], 1, 5, Some("failed")),
        ("aborted", aborted(), vec![], 1, 6, Some("aborted")),
        (
            "interrupted",
            slow(),
            vec!["--max-duration", "0.5"],
            1,
            7,
            Some("interrupted"),
        ),
        ("invalid", invalid(), vec![], 1, 8, None),
    ];
    for (what, experiment, extra, default_code, detailed_code, status) in cases {
        for (mode, expected) in [("default", default_code), ("detailed", detailed_code)] {
            let dir = prepared();
            let mut flags = extra.clone();
            if mode == "detailed" {
                flags.extend(["--exit-codes", "detailed"]);
            }
            let (out, j) = common::run(dir.path(), &experiment, &flags);
            assert_eq!(
                code(&out),
                expected,
                "{what} under {mode}: {}",
                common::stderr(&out)
            );
            assert_eq!(
                j.as_ref()
                    .map(|j| j["status"].as_str().unwrap().to_string()),
                status.map(str::to_string),
                "{what}"
            );
            if what == "not steady before" {
                let j = j.unwrap();
                assert_eq!(j["deviated"], false);
                assert!(!dir.path().join("method-ran").exists());
            }
        }
    }
    // An experiment that cannot be loaded.
    let dir = common::scratch();
    for (mode, expected) in [("default", 1), ("detailed", 8)] {
        let out = common::chaos(dir.path())
            .args(["run", "--exit-codes", mode, "missing.json"])
            .output()
            .unwrap();
        assert_eq!(code(&out), expected, "{}", common::stderr(&out));
    }
    // Usage errors stay 2.
    let out = common::chaos(dir.path())
        .args(["run", "--exit-codes", "loud", "missing.json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
}

#[test]
fn several_experiments_summary_worst_code_and_one_journal_each() {
    let dir = prepared();
    let d = dir.path();
    common::write_experiment(d, "a-holds.json", &completed());
    common::write_experiment(d, "b-deviates.json", &deviated());
    common::write_experiment(d, "c-fails.json", &failed());
    let sources = ["a-holds.json", "b-deviates.json", "c-fails.json"];

    let out = common::chaos(d)
        .args(["run", "--exit-codes", "detailed"])
        .args(sources)
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(code(&out), 5, "{err}");
    assert!(
        err.contains("3 experiments: 1 completed, 1 deviated, 1 failed"),
        "{err}"
    );
    assert!(err.contains("a-holds.json: completed (exit 0) — Marker holds"));
    assert!(err.contains("b-deviates.json: deviated (exit 4) — Marker gone"));
    assert!(err.contains("c-fails.json: failed (exit 5) — Probe times out"));
    // One journal each, named after the title, in the current folder.
    for (name, status, deviated) in [
        ("journal-marker-holds.json", "completed", false),
        ("journal-marker-gone.json", "completed", true),
        ("journal-probe-times-out.json", "failed", false),
    ] {
        let j = journal(&d.join(name));
        assert_eq!(j["status"], status, "{name}");
        assert_eq!(j["deviated"], deviated, "{name}");
    }
    assert!(!d.join("journal.json").exists());
    // Each run's verdict is its own (a fresh console per experiment).
    assert!(
        err.contains("Deviated: the steady state did not hold"),
        "{err}"
    );

    // Default codes: the worst is 1.
    let out = common::chaos(d)
        .args(["run"])
        .args(sources)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", common::stderr(&out));
    // All fine: 0.
    let out = common::chaos(d)
        .args([
            "run",
            "--exit-codes",
            "detailed",
            "a-holds.json",
            "a-holds.json",
        ])
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(code(&out), 0, "{err}");
    assert!(err.contains("2 experiments: 2 completed"), "{err}");
    // The same title twice in one call: two journals.
    assert!(d.join("journal-marker-holds-2.json").exists());

    // --journal-path names a folder...
    let out = common::chaos(d)
        .args([
            "run",
            "--journal-path",
            "journals/",
            "a-holds.json",
            "c-fails.json",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", common::stderr(&out));
    assert_eq!(
        files(&d.join("journals")),
        ["journal-marker-holds.json", "journal-probe-times-out.json"]
    );
    // ... or is refused before anything runs.
    std::fs::remove_file(d.join("journal-marker-holds.json")).unwrap();
    let out = common::chaos(d)
        .args([
            "run",
            "--journal-path",
            "j.json",
            "a-holds.json",
            "c-fails.json",
        ])
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(code(&out), 2, "{err}");
    assert!(
        err.contains("with several experiments, --journal-path must name a folder"),
        "{err}"
    );
    assert!(!err.contains("Running experiment"), "{err}");
    assert!(!d.join("j.json").exists() && !d.join("journal-marker-holds.json").exists());

    // Invalid and unloadable experiments are counted, the others still run.
    common::write_experiment(d, "invalid.json", &invalid());
    let out = common::chaos(d)
        .args(["run", "--exit-codes", "detailed", "a-holds.json"])
        .args(["invalid.json", "missing.yaml"])
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(code(&out), 8, "{err}");
    assert!(
        err.contains("3 experiments: 1 completed, 2 invalid"),
        "{err}"
    );
}

#[test]
fn a_brake_is_for_one_experiment_a_signal_stops_the_series() {
    let dir = prepared();
    let d = dir.path();
    common::write_experiment(d, "slow.json", &slow());
    common::write_experiment(d, "quick.json", &completed());
    // --max-duration interrupts the slow one only: the next one completes.
    let out = common::chaos(d)
        .args(["run", "--exit-codes", "detailed", "--max-duration", "0.5"])
        .args(["slow.json", "quick.json"])
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(code(&out), 7, "{err}");
    assert!(
        err.contains("2 experiments: 1 completed, 1 interrupted"),
        "{err}"
    );
    // The second run's verdict is its own: it has a hypothesis, the first
    // had none.
    assert!(err.contains("Completed: the steady state held"), "{err}");

    // SIGINT during the first: the second is not run.
    let mut slow_marked = slow();
    slow_marked["method"] = json!([
        action("started", "touch", json!("started")),
        action("sleep", "sleep", json!("5")),
    ]);
    common::write_experiment(d, "slow.json", &slow_marked);
    let child = common::chaos(d)
        .args(["run", "--exit-codes", "detailed", "slow.json", "quick.json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !d.join("started").exists() {
        assert!(
            Instant::now() < deadline,
            "the first experiment never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = common::stderr(&out);
    assert_eq!(code(&out), 7, "{err}");
    assert!(
        err.contains("2 experiments: 1 interrupted, 1 not-run"),
        "{err}"
    );
    assert!(err.contains("quick.json: not-run"), "{err}");
    assert_eq!(
        journal(&d.join("journal-slow-method.json"))["status"],
        "interrupted"
    );
}

#[test]
fn junit_file_for_one_or_several_experiments() {
    let dir = prepared();
    let d = dir.path();
    common::write_experiment(d, "holds.json", &completed());
    common::write_experiment(d, "deviates.json", &deviated());
    common::write_experiment(d, "before.json", &not_steady_before());
    let out = common::chaos(d)
        .args([
            "run",
            "--junit",
            "reports/junit.xml",
            "--exit-codes",
            "detailed",
        ])
        .args(["holds.json", "deviates.json", "before.json", "missing.json"])
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(code(&out), 8, "{err}");
    assert!(
        err.contains("JUnit report written to reports/junit.xml"),
        "{err}"
    );
    let file = d.join("reports/junit.xml");
    xmllint(&file);
    let xml = std::fs::read_to_string(&file).unwrap();
    assert!(
        xml.contains("<testsuites name=\"chaos\" tests=\"11\" failures=\"2\" errors=\"1\""),
        "{xml}"
    );
    for needle in [
        "<testsuite name=\"Marker holds\" tests=\"3\" skipped=\"0\" errors=\"0\" failures=\"0\"",
        "<testsuite name=\"Marker gone\" tests=\"4\" skipped=\"0\" errors=\"0\" failures=\"1\"",
        "<testsuite name=\"Not steady before\" tests=\"3\" skipped=\"2\" errors=\"0\" failures=\"1\"",
        "<testsuite name=\"missing.json\" tests=\"1\" skipped=\"0\" errors=\"1\" failures=\"0\"",
        "<testcase name=\"steady-state after: marker2-exists\" classname=\"Marker gone\"",
        "<failure message=\"tolerance 0 not met by exit status 1\" type=\"ToleranceNotMet\">",
        "<testcase name=\"method\" classname=\"Not steady before\"",
        "<skipped message=\"not run: the steady state was not met before the method\"/>",
        "<property name=\"journal\" value=\"./journal-marker-gone.json\"/>",
        "<property name=\"exit-code-detailed\" value=\"3\"/>",
        "<error message=\"Path &quot;missing.json&quot; does not exist.\" type=\"InvalidExperiment\">",
    ] {
        assert!(xml.contains(needle), "{needle} not in {xml}");
    }

    // One experiment: its journal as usual, and the file.
    let (out, j) = common::run(d, &completed(), &["--junit", "one.xml"]);
    assert_eq!(code(&out), 0, "{}", common::stderr(&out));
    assert_eq!(j.unwrap()["status"], "completed");
    xmllint(&d.join("one.xml"));
    let xml = std::fs::read_to_string(d.join("one.xml")).unwrap();
    assert!(xml.contains("<testsuites name=\"chaos\" tests=\"3\" failures=\"0\" errors=\"0\""));
}

fn history_names(dir: &Path) -> Vec<String> {
    files(dir)
}

/// `20261125T185555.123Z-<slug>.json`
fn is_history_name(name: &str, slug: &str) -> bool {
    let Some(rest) = name.strip_suffix(&format!("-{slug}.json")) else {
        return false;
    };
    let b = rest.as_bytes();
    rest.len() == 20
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'.'
        && b[16..19].iter().all(u8::is_ascii_digit)
        && b[19] == b'Z'
}

#[test]
fn history_keeps_every_journal_under_its_start_and_title() {
    let dir = prepared();
    let d = dir.path();
    let mut titled = completed();
    titled["title"] = json!("Kill pods: ÜBER/weird  title!");
    common::write_experiment(d, "a.json", &titled);
    common::write_experiment(d, "b.json", &deviated());
    // One experiment: the journal where it always went, and a copy.
    let out = common::chaos(d)
        .args(["run", "--history", "history", "a.json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", common::stderr(&out));
    assert!(d.join("journal.json").exists());
    let names = history_names(&d.join("history"));
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(
        is_history_name(&names[0], "kill-pods-ber-weird-title"),
        "{names:?}"
    );
    let kept = journal(&d.join("history").join(&names[0]));
    assert_eq!(kept, journal(&d.join("journal.json")));
    // The name is the run's start, in UTC.
    let start = chrono::DateTime::parse_from_rfc3339(kept["start"].as_str().unwrap()).unwrap();
    let stamp = start
        .with_timezone(&chrono::Utc)
        .format("%Y%m%dT%H%M%S%.3fZ")
        .to_string();
    assert!(names[0].starts_with(&stamp), "{names:?} {stamp}");

    // Several experiments with a history and no --journal-path: only there.
    std::fs::remove_file(d.join("journal.json")).unwrap();
    let out = common::chaos(d)
        .args(["run", "--history", "history", "a.json", "b.json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", common::stderr(&out));
    let names = history_names(&d.join("history"));
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names.iter().any(|n| is_history_name(n, "marker-gone")),
        "{names:?}"
    );
    assert!(!d.join("journal.json").exists());
    assert!(!files(d).iter().any(|f| f.starts_with("journal-")));
    // Lexical order is time order; no temporary file is left.
    assert!(names
        .iter()
        .all(|n| n.ends_with(".json") && !n.starts_with('.')));

    // The settings' `chaos.history`, when the flag is not given.
    let settings = d.join("settings.yaml");
    std::fs::write(&settings, "chaos:\n  history: from-settings\n").unwrap();
    let out = Command::new(common::chaos_bin())
        .current_dir(d)
        .args(["--no-log-file", "--settings"])
        .arg(&settings)
        .args(["run", "a.json"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", common::stderr(&out));
    let names = history_names(&d.join("from-settings"));
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(common::stderr(&out).contains("Journal kept in the history: from-settings/"));
}
