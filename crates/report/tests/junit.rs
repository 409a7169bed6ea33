//! JUnit XML from real reference journals: every file validates against
//! Jenkins xunit's `junit-10.xsd` (`xmllint`, Debian `libxml2-utils`) and
//! reads back with Python's `junitparser` (installed from PyPI in a
//! virtualenv under the target folder) as CI tools read it.

use std::path::{Path, PathBuf};
use std::process::Command;

use chaos_report::junit::{self, Unrun};
use chaos_report::model::{self, Run};
use serde_json::{json, Value};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn journal_value(name: &str) -> Value {
    let path = data().join("reference-journals").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn journal(name: &str) -> Run {
    let path = data().join("reference-journals").join(name);
    model::read(
        &format!("reference-journals/{name}"),
        &std::fs::read_to_string(&path).unwrap(),
    )
    .unwrap()
}

fn from_value(source: &str, v: &Value) -> Run {
    model::from_value(source, v).unwrap()
}

fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("junit-tests");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `xml` as `name` and checks it against junit-10.xsd.
fn write_valid(name: &str, xml: &str) -> PathBuf {
    let path = out_dir().join(name);
    std::fs::write(&path, xml).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(data().join("junit-10.xsd"))
        .arg(&path)
        .output()
        .expect("xmllint runs (on Debian: apt-get install libxml2-utils)");
    assert!(
        out.status.success(),
        "{name} does not validate against junit-10.xsd:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// A virtualenv with junitparser, made once under the target folder (built
/// aside and renamed into place).
fn junitparser_python() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-venvs");
    let venv = root.join("junitparser");
    let wanted = "junitparser==5.0.3";
    let marker = venv.join("chaos-test-requirements.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted) {
        return venv.join("bin/python");
    }
    std::fs::create_dir_all(&root).unwrap();
    let _ = std::fs::remove_dir_all(&venv);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let building = root.join(format!(
        "junitparser-building-{}-{nanos}",
        std::process::id()
    ));
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&building)
        .output()
        .expect("python3 makes the test virtualenv");
    assert!(
        made.status.success(),
        "python3 -m venv failed (on Debian: apt-get install python3-venv): {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let installed = Command::new(building.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            wanted,
        ])
        .output()
        .unwrap();
    assert!(
        installed.status.success(),
        "pip install {wanted} failed: {}",
        String::from_utf8_lossy(&installed.stderr)
    );
    std::fs::write(building.join("chaos-test-requirements.txt"), wanted).unwrap();
    if std::fs::rename(&building, &venv).is_err() {
        let _ = std::fs::remove_dir_all(&building);
    }
    assert!(
        marker.exists(),
        "the junitparser virtualenv is not in place"
    );
    venv.join("bin/python")
}

const READ: &str = r#"
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
suites = []
for suite in xml:
    cases = []
    for case in suite:
        results = []
        for r in case.result:
            kind = "failure" if isinstance(r, Failure) else "error" if isinstance(r, Error) else "skipped" if isinstance(r, Skipped) else type(r).__name__
            results.append({"kind": kind, "type": r.type, "message": r.message, "text": r.text})
        cases.append({"name": case.name, "classname": case.classname, "time": case.time,
                      "passed": case.is_passed, "results": results, "system_out": case.system_out})
    suites.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                   "errors": suite.errors, "skipped": suite.skipped, "time": suite.time,
                   "timestamp": suite.timestamp,
                   "properties": {p.name: p.value for p in suite.properties()},
                   "cases": cases})
print(json.dumps({"name": xml.name, "tests": xml.tests, "failures": xml.failures,
                  "errors": xml.errors, "time": xml.time, "suites": suites}))
"#;

/// The file as junitparser reads it.
fn parse(path: &Path) -> Value {
    let script = out_dir().join("read_junit.py");
    std::fs::write(&script, READ).unwrap();
    let out = Command::new(junitparser_python())
        .arg(&script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "junitparser cannot read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn case<'a>(suite: &'a Value, name: &str) -> &'a Value {
    suite["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name:?} in {suite:#}"))
}

fn names(suite: &Value) -> Vec<String> {
    suite["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

fn result(case: &Value) -> &Value {
    let r = case["results"].as_array().unwrap();
    assert_eq!(r.len(), 1, "one result expected: {case:#}");
    &r[0]
}

fn counts(suite: &Value) -> (u64, u64, u64, u64) {
    (
        suite["tests"].as_u64().unwrap(),
        suite["failures"].as_u64().unwrap(),
        suite["errors"].as_u64().unwrap(),
        suite["skipped"].as_u64().unwrap(),
    )
}

#[test]
fn every_reference_journal_gives_a_valid_file() {
    let mut all = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(data().join("reference-journals"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let run = journal(&name);
        let xml = junit::render(std::slice::from_ref(&run));
        assert!(!xml.contains("<testsuites name=\"chaos\" tests=\"0\""));
        let file = write_valid(&format!("{name}.xml"), &xml);
        let parsed = parse(&file);
        let suite = &parsed["suites"][0];
        assert_eq!(parsed["suites"].as_array().unwrap().len(), 1);
        assert_eq!(suite["name"], run.title.as_str(), "{name}");
        // Names are unique, classnames never empty.
        let n = names(suite);
        let mut dedup = n.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), n.len(), "{name}: {n:?}");
        for c in suite["cases"].as_array().unwrap() {
            assert!(!c["classname"].as_str().unwrap().is_empty(), "{name}");
        }
        assert_eq!(
            suite["properties"]["journal"],
            format!("reference-journals/{name}").as_str()
        );
        all.push(run);
    }
    // All of them in one file, one suite each.
    let xml = junit::render(&all);
    let parsed = parse(&write_valid("all.xml", &xml));
    assert_eq!(parsed["suites"].as_array().unwrap().len(), all.len());
    assert_eq!(parsed["name"], "chaos");
    let total: u64 = parsed["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["tests"].as_u64().unwrap())
        .sum();
    assert_eq!(parsed["tests"].as_u64().unwrap(), total);
    let time: f64 = all.iter().map(|r| r.duration).sum();
    assert!((parsed["time"].as_f64().unwrap() - time).abs() < 0.01);
}

#[test]
fn a_deviated_run_is_a_failure_with_the_tolerance_and_the_value() {
    let run = journal("hyp-deviated.json");
    let file = write_valid("deviated.xml", &junit::render(&[run]));
    let text = std::fs::read_to_string(&file).unwrap();
    // junit-10.xsd: no `skipped` on the root, no timestamp on cases.
    let root = text.lines().find(|l| l.contains("<testsuites")).unwrap();
    assert!(!root.contains("skipped"), "{root}");
    let parsed = parse(&file);
    let suite = &parsed["suites"][0];
    assert_eq!(suite["name"], "deviated after the method");
    assert_eq!(counts(suite), (4, 1, 0, 0));
    assert_eq!(
        names(suite),
        [
            "steady-state before: marker-exists",
            "method: remove-marker",
            "steady-state after: marker-exists",
            "rollback: restore-marker",
        ]
    );
    assert!(case(suite, "steady-state before: marker-exists")["passed"]
        .as_bool()
        .unwrap());
    let after = case(suite, "steady-state after: marker-exists");
    assert_eq!(after["classname"], "deviated after the method");
    let failure = result(after);
    assert_eq!(failure["kind"], "failure");
    assert_eq!(failure["type"], "ToleranceNotMet");
    assert_eq!(failure["message"], "tolerance true not met by value false");
    assert!(failure["text"]
        .as_str()
        .unwrap()
        .contains("tolerance: true\nvalue: false"));
    let props = &suite["properties"];
    assert_eq!(props["status"], "completed");
    assert_eq!(props["deviated"], "true");
    assert_eq!(props["outcome"], "deviated");
    assert_eq!(props["exit-code"], "1");
    assert_eq!(props["exit-code-detailed"], "4");
    assert_eq!(suite["timestamp"], "2026-11-25T19:02:51.044+00:00");
}

#[test]
fn failed_activities_are_errors_with_their_exception() {
    let file = write_valid(
        "process-failures.xml",
        &junit::render(&[journal("process-failures.json")]),
    );
    let parsed = parse(&file);
    let suite = &parsed["suites"][0];
    assert_eq!(counts(suite), (7, 0, 1, 0));
    let error = result(case(suite, "method: times-out"));
    assert_eq!(error["kind"], "error");
    assert_eq!(error["type"], "ActivityFailed");
    assert_eq!(
        error["message"],
        "chaoslib.exceptions.ActivityFailed: process activity took too long to complete"
    );
    assert!(error["text"]
        .as_str()
        .unwrap()
        .contains("Traceback (most recent call last)"));
    // A process that exits 1 succeeded, as in the reference.
    assert!(case(suite, "method: false")["passed"].as_bool().unwrap());
    assert_eq!(suite["properties"]["outcome"], "completed");
    assert_eq!(suite["properties"]["exit-code-detailed"], "0");
}

#[test]
fn a_probe_that_cannot_run_before_fails_the_run_and_skips_the_rest() {
    let parsed = parse(&write_valid(
        "probe-fails-before.xml",
        &junit::render(&[journal("hyp-probe-fails-before.json")]),
    ));
    let suite = &parsed["suites"][0];
    assert_eq!(
        names(suite),
        [
            "steady-state before: refused",
            "method",
            "steady-state after",
            "run: failed"
        ]
    );
    assert_eq!(counts(suite), (4, 0, 2, 2));
    let probe = result(case(suite, "steady-state before: refused"));
    assert_eq!(probe["type"], "ActivityFailed");
    assert!(probe["message"]
        .as_str()
        .unwrap()
        .contains("Connection refused"));
    assert_eq!(result(case(suite, "method"))["kind"], "skipped");
    assert_eq!(
        result(case(suite, "method"))["message"],
        "not run: the steady state was not met before the method"
    );
    assert_eq!(result(case(suite, "run: failed"))["type"], "RunFailed");
    assert_eq!(suite["properties"]["exit-code"], "1");
    assert_eq!(suite["properties"]["exit-code-detailed"], "5");

    // Rollbacks still played under the `always` strategy.
    let parsed = parse(&write_valid(
        "rb-always.xml",
        &junit::render(&[journal("rb-always-after-failed.json")]),
    ));
    let suite = &parsed["suites"][0];
    assert!(case(suite, "rollback: rollback-touch")["passed"]
        .as_bool()
        .unwrap());
}

#[test]
fn not_in_steady_state_before_skips_the_method() {
    // The reference's `hyp-not-met-before`: completed, not deviated, exit 0.
    let mut j = journal_value("hyp-deviated.json");
    let before = &mut j["steady_states"]["before"];
    before["steady_state_met"] = json!(false);
    before["probes"][0]["tolerance_met"] = json!(false);
    before["probes"][0]["output"] = json!(false);
    j["steady_states"]["after"] = Value::Null;
    j["run"] = json!([]);
    j["deviated"] = json!(false);
    let run = from_value("not-steady.json", &j);
    let parsed = parse(&write_valid("not-steady.xml", &junit::render(&[run])));
    let suite = &parsed["suites"][0];
    assert_eq!(
        names(suite),
        [
            "steady-state before: marker-exists",
            "method",
            "steady-state after",
            "rollback: restore-marker"
        ]
    );
    assert_eq!(counts(suite), (4, 1, 0, 2));
    assert_eq!(
        result(case(suite, "steady-state before: marker-exists"))["message"],
        "tolerance true not met by value false"
    );
    assert_eq!(suite["properties"]["outcome"], "not-steady-before");
    assert_eq!(suite["properties"]["exit-code"], "0");
    assert_eq!(suite["properties"]["exit-code-detailed"], "3");
}

#[test]
fn repeats_dry_runs_interruptions_and_unrun_experiments() {
    // The same activity twice, and a probe checked twice during the method.
    let mut j = journal_value("hyp-deviated.json");
    let once = j["run"][0].clone();
    j["run"] = json!([once.clone(), once]);
    let probe = j["steady_states"]["before"].clone();
    j["steady_states"]["during"] = json!([probe.clone(), probe]);
    let repeated = from_value("repeated.json", &j);

    // Dry: nothing executed.
    let mut j = journal_value("tol-probe-process-http.json");
    j["experiment"]["dry"] = json!("activities");
    let dry = from_value("dry.json", &j);

    // Interrupted by --max-duration while rolling back, with an empty title.
    let mut j = journal_value("hyp-deviated.json");
    j["status"] = json!("interrupted");
    j["deviated"] = json!(false);
    j["experiment"]["title"] = json!("");
    j["interruption"] = json!("the run reached its --max-duration of 1 s");
    j["steady_states"]["after"] = Value::Null;
    j["rollbacks"][0].as_object_mut().unwrap().remove("status");
    j["unplayed_rollbacks"] = json!(["second-rollback"]);
    let interrupted = from_value("interrupted.json", &j);

    let unrun = Unrun {
        source: "missing.yaml".into(),
        reason: "Path 'missing.yaml' does not exist.\nmore".into(),
    };
    let xml = junit::render_with(&[repeated, dry, interrupted], &[unrun]);
    let parsed = parse(&write_valid("mixed.xml", &xml));
    let suites = parsed["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 4);

    let s = &suites[0];
    assert_eq!(
        names(s),
        [
            "steady-state before: marker-exists",
            "method: remove-marker",
            "method: remove-marker #2",
            "steady-state during #1: marker-exists",
            "steady-state during #2: marker-exists",
            "steady-state after: marker-exists",
            "rollback: restore-marker",
        ]
    );

    let s = &suites[1];
    assert_eq!(s["properties"]["dry"], "activities");
    let (tests, failures, errors, skipped) = counts(s);
    assert_eq!((failures, errors), (0, 0));
    assert_eq!(skipped, tests, "every activity is dry: {s:#}");
    assert_eq!(
        result(case(s, "method: noop-action"))["message"],
        "dry run (activities): not executed"
    );

    let s = &suites[2];
    assert_eq!(s["name"], "(untitled experiment)");
    assert_eq!(s["properties"]["outcome"], "interrupted");
    assert_eq!(s["properties"]["exit-code-detailed"], "7");
    let stopped = result(case(s, "rollback: restore-marker"));
    assert_eq!(stopped["type"], "ActivityStopped");
    assert_eq!(
        stopped["message"],
        "stopped before it finished: the run reached its --max-duration of 1 s"
    );
    assert_eq!(
        result(case(s, "rollback: second-rollback"))["kind"],
        "skipped"
    );
    assert_eq!(
        result(case(s, "steady-state after"))["message"],
        "not checked: the run ended early"
    );
    let run = result(case(s, "run: interrupted"));
    assert_eq!(run["type"], "RunInterrupted");
    assert_eq!(
        run["message"],
        "run interrupted: the run reached its --max-duration of 1 s"
    );

    let s = &suites[3];
    assert_eq!(s["name"], "missing.yaml");
    assert_eq!(counts(s), (1, 0, 1, 0));
    let e = result(case(s, "load: missing.yaml"));
    assert_eq!(e["type"], "InvalidExperiment");
    assert_eq!(e["message"], "Path 'missing.yaml' does not exist.");
    assert_eq!(s["properties"]["exit-code-detailed"], "8");
}

#[test]
fn markup_in_titles_and_names_is_escaped() {
    let run = journal("x-meta.json");
    let title = run.title.clone();
    let xml = junit::render(&[run]);
    assert!(!xml.contains("<script>"));
    let parsed = parse(&write_valid("meta.xml", &xml));
    assert_eq!(parsed["suites"][0]["name"], title.as_str());
    assert!(names(&parsed["suites"][0]).contains(&"method: a|b".to_string()));
}
