//! Safeguards served natively (`chaosaddons.controls.safeguards`, with no
//! Python): a guard that breaks mid-method stops the run within one
//! interval plus 100 ms, the rollbacks run, and the journal names the guard.

mod common;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn guard(frequency: Option<f64>) -> Value {
    let mut probe = json!({"name": "marker-present", "type": "probe", "tolerance": 0,
        "provider": {"type": "process", "path": "test", "arguments": ["-e", "marker"]}});
    if let Some(f) = frequency {
        probe["frequency"] = json!(f);
    }
    json!({"name": "safeguard", "provider": {"type": "python",
        "module": "chaosaddons.controls.safeguards", "arguments": {"probes": [probe]}}})
}

fn guarded(frequency: Option<f64>) -> Value {
    json!({"title": "guarded", "description": "d",
        "controls": [guard(frequency)],
        "method": [
            // Long enough for the guard to hold a few times first.
            {"type": "action", "name": "settle", "provider": {"type": "process", "path": "sleep", "arguments": ["1.2"]}},
            {"type": "action", "name": "remove-marker", "provider": {"type": "process", "path": "rm", "arguments": ["-f", "marker"]}},
            {"type": "action", "name": "long", "provider": {"type": "process", "path": "sleep", "arguments": ["20"]}}],
        "rollbacks": [{"type": "action", "name": "restore", "provider": {"type": "process", "path": "touch", "arguments": ["marker"]}}]})
}

fn seconds_between(earlier: &Value, later: &Value) -> f64 {
    let t = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
            .unwrap()
            .timestamp_micros() as f64
            / 1e6
    };
    t(later) - t(earlier)
}

#[test]
fn a_guard_that_breaks_mid_method_stops_the_run_within_its_interval_and_rolls_back() {
    let dir = common::scratch();
    std::fs::write(dir.path().join("marker"), "").unwrap();
    let interval = 0.5;
    let started = Instant::now();
    // No Python anywhere: the interpreter cannot even be found.
    let (out, journal) = {
        let path = common::write_experiment(dir.path(), "e.json", &guarded(Some(interval)));
        let out = common::chaos(dir.path())
            .env("CHAOS_PYTHON", "/nonexistent/python3")
            .args(["run"])
            .arg(&path)
            .output()
            .unwrap();
        let j: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("journal.json")).unwrap(),
        )
        .unwrap();
        (out, j)
    };
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the 20 s action was cut"
    );
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert_eq!(journal["status"], "interrupted");

    assert_eq!(journal["run"][0]["status"], "succeeded", "the guard held");
    let removed = &journal["run"][1]["end"];
    let rolled_back = &journal["rollbacks"][0]["start"];
    let reaction = seconds_between(removed, rolled_back);
    assert!(
        reaction < interval + 0.1,
        "the guard stopped the run {reaction:.3} s after it broke (interval {interval} s)"
    );
    assert!(
        journal["run"][2].get("status").is_none(),
        "the long action was cut short"
    );
    assert_eq!(
        journal["rollbacks"][0]["status"], "succeeded",
        "rollbacks run under the default strategy: a brake restores the system"
    );
    assert!(dir.path().join("marker").exists());

    assert_eq!(journal["safeguard"]["name"], "marker-present");
    assert_eq!(journal["safeguard"]["tolerance"], 0);
    assert_eq!(journal["safeguard"]["output"]["status"], 1);
    assert_eq!(journal["safeguard"]["run"]["status"], "succeeded");
    let why = journal["interruption"].as_str().unwrap();
    assert!(why.contains("safeguard 'marker-present'"), "{why}");
    let err = common::stderr(&out);
    assert!(
        err.contains("Safeguard 'marker-present' triggered the end of the experiment"),
        "{err}"
    );
}

#[test]
fn a_pre_check_that_fails_stops_the_run_before_any_activity() {
    let dir = common::scratch();
    // No marker: the guard fails from the start.
    let mut e = guarded(None);
    e["steady-state-hypothesis"] = json!({"title": "h", "probes": [
        {"type": "probe", "name": "p", "tolerance": 0, "provider": {"type": "process", "path": "true"}}]});
    let (out, journal) = common::run(dir.path(), &e, &[]);
    let journal = journal.unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert_eq!(journal["status"], "interrupted");
    assert_eq!(
        journal["steady_states"]["before"],
        Value::Null,
        "nothing ran"
    );
    assert_eq!(journal["run"].as_array().unwrap().len(), 0);
    assert_eq!(journal["safeguard"]["name"], "marker-present");
}

#[test]
fn guards_that_hold_let_the_run_complete_and_stop_with_it() {
    let dir = common::scratch();
    std::fs::write(dir.path().join("marker"), "").unwrap();
    let mut e = guarded(Some(0.1));
    e["method"] = json!([{"type": "action", "name": "short", "provider": {"type": "process", "path": "sleep", "arguments": ["0.5"]}}]);
    let mut pre = guard(None);
    pre["name"] = json!("pre-check");
    pre["provider"]["arguments"]["probes"][0]["name"] = json!("marker-there-first");
    e["controls"].as_array_mut().unwrap().push(pre);
    let started = Instant::now();
    let (out, journal) = common::run(dir.path(), &e, &[]);
    let journal = journal.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(journal["status"], "completed");
    assert!(journal.get("safeguard").is_none());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the repeating guard stopped with the run"
    );
}

#[test]
fn a_safeguard_without_probes_or_tolerance_is_invalid_with_its_place() {
    let dir = common::scratch();
    let mut e = guarded(Some(1.0));
    e["controls"][0]["provider"]["arguments"]["probes"][0]
        .as_object_mut()
        .unwrap()
        .remove("tolerance");
    common::write_experiment(dir.path(), "e.json", &e);
    let out = common::chaos(dir.path())
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains("the probe 'marker-present' is missing a tolerance property"),
        "{err}"
    );
    assert!(
        err.contains("controls[0].provider.arguments.probes[0]"),
        "{err}"
    );

    e["controls"][0]["provider"]["arguments"] = json!({});
    common::write_experiment(dir.path(), "e.json", &e);
    let out = common::chaos(dir.path())
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("safeguard control must have at least one probe"));

    // A valid one validates with no Python and no warning about the module.
    common::write_experiment(dir.path(), "e.json", &guarded(Some(1.0)));
    let out = common::chaos(dir.path())
        .env("CHAOS_PYTHON", "/nonexistent/python3")
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(
        !common::stderr(&out).contains("Could not find Python module"),
        "{}",
        common::stderr(&out)
    );
}
