//! chaostoolkit-addons (from PyPI) through the Python bridge, unchanged:
//! its `repeat` control adds method entries while the method runs, and its
//! `safeguards` control stops the run when a guard breaks. (Safeguards are
//! also served natively, tested in `safeguards.rs`; here the package is
//! kept on the Python route with `CHAOS_FORCE_PYTHON`.)

mod common;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The same environment as the discovery tests (it holds the addons).
const REQUIREMENTS: &[&str] = &[
    "chaostoolkit-lib==1.44.0",
    "chaostoolkit-addons==0.11.0",
    "chaostoolkit-k6==0.3.4",
];

fn run(dir: &std::path::Path, experiment: &Value, extra: &[&str]) -> (std::process::Output, Value) {
    let python = common::venv("discover-ctk-lib-1.44.0", REQUIREMENTS);
    common::write_experiment(dir, "e.json", experiment);
    let out = common::chaos(dir)
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_PYTHON")
        .env("CHAOS_FORCE_PYTHON", "chaosaddons")
        .args(["run", "--python"])
        .arg(python)
        .args(extra)
        .arg("e.json")
        .output()
        .unwrap();
    let journal =
        serde_json::from_str(&std::fs::read_to_string(dir.join("journal.json")).unwrap()).unwrap();
    (out, journal)
}

#[test]
fn the_repeat_control_repeats_an_activity_inside_the_method() {
    let dir = common::scratch();
    let exp = json!({"title": "repeat", "description": "d", "method": [
        {"type": "action", "name": "say-hello", "provider": {"type": "process", "path": "echo", "arguments": "hello"},
         "controls": [{"name": "repeat-me", "provider": {"type": "python", "module": "chaosaddons.controls.repeat", "arguments": {"repeat_count": 3}}}]},
        {"type": "action", "name": "last", "provider": {"type": "process", "path": "true"}}]});
    let (out, journal) = run(dir.path(), &exp, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let names: Vec<&str> = journal["run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["activity"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["say-hello", "say-hello", "say-hello", "last"]);
    assert_eq!(journal["run"][2]["activity"]["iteration_index"], 2);
    assert_eq!(
        journal["experiment"]["method"].as_array().unwrap().len(),
        4,
        "the journal shows the copies, as the reference's does"
    );
}

#[test]
fn a_safeguard_that_breaks_stops_the_run_and_the_rollbacks_follow_the_strategy() {
    let dir = common::scratch();
    std::fs::write(dir.path().join("marker"), "").unwrap();
    let exp = json!({"title": "guarded", "description": "d",
        "controls": [{"name": "safeguard", "provider": {"type": "python", "module": "chaosaddons.controls.safeguards",
            "arguments": {"probes": [{"name": "marker-present", "type": "probe", "frequency": 0.3, "tolerance": true,
                "provider": {"type": "python", "module": "os.path", "func": "exists", "arguments": {"path": "marker"}}}]}}}],
        "method": [
            {"type": "action", "name": "remove-marker", "provider": {"type": "process", "path": "rm", "arguments": ["-f", "marker"]}},
            {"type": "action", "name": "long", "provider": {"type": "process", "path": "sleep", "arguments": ["20"]}}],
        "rollbacks": [{"type": "action", "name": "restore", "provider": {"type": "process", "path": "touch", "arguments": ["marker"]}}]});
    let started = Instant::now();
    let (out, journal) = run(dir.path(), &exp, &["--rollback-strategy", "always"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the guard stopped the 20 s activity"
    );
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert_eq!(journal["status"], "interrupted");
    assert!(
        journal["run"][1].get("status").is_none(),
        "the long activity was cut short"
    );
    assert_eq!(journal["rollbacks"][0]["status"], "succeeded");
    assert!(
        dir.path().join("marker").exists(),
        "the rollback put the marker back"
    );
    assert!(
        common::stderr(&out)
            .contains("Safeguard 'marker-present' triggered the end of the experiment"),
        "{}",
        common::stderr(&out)
    );
}
