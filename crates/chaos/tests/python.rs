//! Python activities through the bridge, with a real interpreter.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const HELPERS: &str = r#"
import os, time

def greet(greeting, name="world", configuration=None, secrets=None):
    return {"message": f"{greeting}, {name}!", "configured": sorted(configuration or {}), "secrets": secrets}

def boom(message="oops"):
    raise RuntimeError(message)

def crash():
    os._exit(3)

def hang(marker):
    with open(marker, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(60)

def pid():
    return os.getpid()

def slow_echo(value, seconds):
    time.sleep(seconds)
    return value

def touch(path):
    open(path, "a").close()
    return path
"#;

fn python_activity(name: &str, func: &str, arguments: Value) -> Value {
    json!({"type": "action", "name": name, "provider": {"type": "python", "module": "e2ehelpers", "func": func, "arguments": arguments}})
}

fn setup() -> tempfile::TempDir {
    let dir = common::scratch();
    std::fs::write(dir.path().join("e2ehelpers.py"), HELPERS).unwrap();
    dir
}

fn chaos_py(dir: &std::path::Path) -> std::process::Command {
    let mut c = common::chaos(dir);
    c.env("PYTHONPATH", dir)
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_PYTHON");
    c
}

/// Writes module `module` with `source`, and `e.json` whose method calls its
/// `func` once.
fn one_function_experiment(dir: &std::path::Path, module: &str, source: &str, func: &str) {
    std::fs::write(dir.join(format!("{module}.py")), source).unwrap();
    let exp = json!({"title": "t", "description": "d", "method": [
        {"type": "action", "name": func, "provider": {"type": "python", "module": module, "func": func}}]});
    common::write_experiment(dir, "e.json", &exp);
}

fn journal(dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("journal.json")).unwrap()).unwrap()
}

#[test]
fn functions_get_arguments_configuration_and_scoped_secrets() {
    let dir = setup();
    let exp = json!({"title": "t", "description": "d",
    "configuration": {"who": "team"},
    "secrets": {"app": {"token": "s3cr3t"}, "other": {"pin": "1234"}},
    "method": [
        {"type": "action", "name": "scoped", "provider": {"type": "python", "module": "e2ehelpers", "func": "greet",
            "arguments": {"greeting": "hello", "name": "${who}"}, "secrets": ["app"]}},
        python_activity("unscoped", "greet", json!({"greeting": "hi"})),
    ]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = chaos_py(dir.path())
        .args(["run", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let j = journal(dir.path());
    assert_eq!(
        j["run"][0]["output"],
        json!({"message": "hello, team!", "configured": ["who"], "secrets": {"token": "s3cr3t"}})
    );
    assert_eq!(
        j["run"][1]["output"]["secrets"],
        Value::Null,
        "no provider.secrets: the default stays"
    );
}

#[test]
fn an_exception_fails_the_activity_with_its_traceback_and_the_run_goes_on() {
    let dir = setup();
    let exp = json!({"title": "t", "description": "d", "method": [
        python_activity("boom", "boom", json!({"message": "failed on purpose"})),
        python_activity("after", "touch", json!({"path": "after.txt"})),
    ]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = chaos_py(dir.path())
        .args(["run", "e.json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "a failed action does not fail the run: {}",
        common::stderr(&out)
    );
    let j = journal(dir.path());
    assert_eq!(j["run"][0]["status"], "failed");
    let lines: Vec<&str> = j["run"][0]["exception"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        *lines.last().unwrap(),
        "chaoslib.exceptions.ActivityFailed: RuntimeError: failed on purpose\n"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("e2ehelpers.py") && l.contains("in boom")),
        "{lines:?}"
    );
    assert_eq!(j["run"][1]["status"], "succeeded");
    assert!(dir.path().join("after.txt").exists());
}

#[test]
fn a_missing_module_names_the_interpreter_and_the_fix() {
    let dir = setup();
    let exp = json!({"title": "t", "description": "d", "method": [
        {"type": "action", "name": "nomod", "provider": {"type": "python", "module": "no_such_module_xyz", "func": "f"}}]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = chaos_py(dir.path())
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains("could not find Python module 'no_such_module_xyz' in activity 'nomod'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("pip install no-such-module-xyz"),
        "{stderr}"
    );
    assert!(
        stderr.contains("python"),
        "the interpreter is named: {stderr}"
    );
}

#[test]
fn every_python_activity_is_checked_and_errors_come_in_document_order() {
    let dir = setup();
    let exp = json!({"title": "t", "description": "d", "method": [
        python_activity("fine", "greet", json!({"greeting": "hi"})),
        {"type": "action", "name": "nomod", "provider": {"type": "python", "module": "no_such_module_xyz", "func": "f"}},
        {"type": "action", "name": "noprog", "provider": {"type": "process", "path": "no-such-program-xyz"}},
        python_activity("extra", "greet", json!({"greeting": "hi", "colour": "red"})),
        python_activity("nofunc", "no_such_function", json!({}))
    ]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = chaos_py(dir.path())
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    let places = [
        "method[1].provider.module",
        "method[2].provider.path",
        "method[3].provider.arguments",
        "method[4].provider.module",
    ];
    let found: Vec<usize> = places
        .iter()
        .map(|p| {
            stderr
                .find(p)
                .unwrap_or_else(|| panic!("{p} is reported: {stderr}"))
        })
        .collect();
    assert!(
        found.windows(2).all(|w| w[0] < w[1]),
        "in document order: {stderr}"
    );
    assert!(
        stderr.contains("argument 'colour' is not part of the function signature"),
        "{stderr}"
    );
    assert!(
        stderr.contains("does not expose a function called 'no_such_function'"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("method[0]"),
        "the valid activity passes: {stderr}"
    );
}

#[test]
fn background_python_activities_are_in_flight_together_and_each_gets_its_own_answer() {
    let dir = setup();
    let mut method: Vec<Value> = (0..4)
        .map(|i| {
            let mut a = python_activity(
                &format!("bg{i}"),
                "slow_echo",
                json!({"value": format!("answer {i}"), "seconds": 0.6 - 0.1 * i as f64}),
            );
            a["background"] = json!(true);
            a
        })
        .collect();
    method.push(python_activity(
        "fg",
        "slow_echo",
        json!({"value": "front", "seconds": 0.05}),
    ));
    let exp = json!({"title": "t", "description": "d", "method": method});
    common::write_experiment(dir.path(), "e.json", &exp);
    let started = Instant::now();
    let out = chaos_py(dir.path())
        .args(["run", "--journal-path", "journal.json", "e.json"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let j = journal(dir.path());
    let mut outputs: Vec<(String, Value)> = j["run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["activity"]["name"].as_str().unwrap().to_string(),
                r["output"].clone(),
            )
        })
        .collect();
    outputs.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        outputs,
        vec![
            ("bg0".into(), json!("answer 0")),
            ("bg1".into(), json!("answer 1")),
            ("bg2".into(), json!("answer 2")),
            ("bg3".into(), json!("answer 3")),
            ("fg".into(), json!("front")),
        ]
    );
    // One after the other they would take 1.85 s; together, the longest.
    assert!(
        took < Duration::from_millis(1500),
        "ran concurrently: {took:?}"
    );
}

#[test]
fn an_import_error_inside_a_module_is_shown_as_it_is() {
    let dir = setup();
    one_function_experiment(
        dir.path(),
        "brokenext",
        "import definitely_missing_dependency\n\ndef f():\n    return 1\n",
        "f",
    );
    let out = chaos_py(dir.path())
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains("No module named 'definitely_missing_dependency'"),
        "the real import error: {stderr}"
    );
}

#[test]
fn a_missing_interpreter_is_a_clear_error() {
    let dir = setup();
    let exp = json!({"title": "t", "description": "d", "method": [python_activity("x", "touch", json!({"path": "x"}))]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = chaos_py(dir.path())
        .env("CHAOS_PYTHON", "/nonexistent/python3")
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains("/nonexistent/python3") && stderr.contains("CHAOS_PYTHON"),
        "{stderr}"
    );
}

#[test]
fn no_python_activity_means_no_interpreter_needed() {
    let dir = setup();
    let exp = json!({"title": "t", "description": "d", "method": [{"type": "action", "name": "p", "provider": {"type": "process", "path": "true"}}]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = chaos_py(dir.path())
        .env("CHAOS_PYTHON", "/nonexistent/python3")
        .args(["run", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
}

#[test]
fn a_worker_that_crashes_mid_run_aborts_the_method_and_a_new_one_serves_the_rollbacks() {
    let dir = setup();
    let exp = json!({"title": "t", "description": "d",
        "method": [python_activity("crash", "crash", json!({}))],
        "rollbacks": [python_activity("undo", "touch", json!({"path": "undone.txt"}))]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = chaos_py(dir.path())
        .args(["run", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let j = journal(dir.path());
    assert_eq!(j["status"], "aborted");
    assert!(
        j["errors"][0]
            .as_str()
            .unwrap()
            .contains("exited unexpectedly"),
        "{j:#}"
    );
    assert_eq!(j["rollbacks"][0]["status"], "succeeded");
    assert!(dir.path().join("undone.txt").exists());
}

#[test]
fn sigint_stops_a_hanging_function_and_the_rollbacks_still_run() {
    let dir = setup();
    let exp = json!({"title": "t", "description": "d",
        "method": [python_activity("hang", "hang", json!({"marker": "hanging"}))],
        "rollbacks": [python_activity("undo", "touch", json!({"path": "undone.txt"})), python_activity("which-worker", "pid", json!({}))]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let child = chaos_py(dir.path())
        .args(["run", "--rollback-strategy", "always", "e.json"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !dir.path().join("hanging").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the function never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let j = journal(dir.path());
    assert_eq!(j["status"], "interrupted");
    assert!(j["run"][0].get("status").is_none());
    assert_eq!(
        j["rollbacks"][0]["status"], "succeeded",
        "the worker (told to stop, or replaced) runs the rollback"
    );
    let hanging_pid: i64 = std::fs::read_to_string(dir.path().join("hanging"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        j["rollbacks"][1]["output"], hanging_pid,
        "the worker was told to stop the call, and lived on"
    );
    assert!(dir.path().join("undone.txt").exists());
}

const CONTROL: &str = r#"
import json

def _log(name, hook, extra=None):
    with open("hooks.log", "a") as f:
        f.write(json.dumps([name, hook, extra]) + "\n")

def configure_control(name="?", experiment=None, configuration=None, secrets=None, settings=None):
    _log(name, "configure", sorted(configuration or {}))

def before_experiment_control(context, name="?", **kwargs):
    _log(name, "before_experiment", context.get("title"))

def after_experiment_control(context, state, name="?", **kwargs):
    _log(name, "after_experiment", state.get("status"))
    state["controlled_by"] = name

def before_hypothesis_control(context, name="?", **kwargs):
    _log(name, "before_hypothesis")

def after_hypothesis_control(context, state, name="?", **kwargs):
    _log(name, "after_hypothesis", state.get("steady_state_met"))

def before_method_control(context, name="?", **kwargs):
    _log(name, "before_method")

def after_method_control(context, state, name="?", **kwargs):
    _log(name, "after_method", len(state))

def before_rollback_control(context, name="?", **kwargs):
    _log(name, "before_rollback")

def after_rollback_control(context, state, name="?", **kwargs):
    _log(name, "after_rollback", len(state))

def before_activity_control(context, name="?", configuration=None, **kwargs):
    _log(name, "before_activity", context.get("name"))
    if context.get("name") == "say" and name == "ACT1":
        context["provider"]["arguments"] = ["changed by a control"]
    if context.get("name") == "stop-here":
        from chaoslib_stub import InterruptExecution
        raise InterruptExecution("a control says stop")

def after_activity_control(context, state, name="?", **kwargs):
    _log(name, "after_activity", context.get("name"))
    state["seen_by_" + name] = True

def cleanup_control(name="?"):
    _log(name, "cleanup")
"#;

const INTERRUPT_STUB: &str = "class ChaosException(Exception):\n    pass\n\nclass InterruptExecution(ChaosException):\n    pass\n";

fn control(name: &str) -> Value {
    json!({"name": name, "provider": {"type": "python", "module": "e2econtrol", "arguments": {"name": name}}})
}

#[test]
fn controls_run_at_every_hook_in_the_references_order_and_their_changes_count() {
    let dir = setup();
    std::fs::write(dir.path().join("e2econtrol.py"), CONTROL).unwrap();
    std::fs::write(dir.path().join("chaoslib_stub.py"), INTERRUPT_STUB).unwrap();
    let exp = json!({"title": "controlled", "description": "d",
        "controls": [control("TOP1")],
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"type": "probe", "name": "p1", "tolerance": 0, "provider": {"type": "process", "path": "true"}}]},
        "method": [
            {"type": "action", "name": "say", "controls": [control("ACT1")], "provider": {"type": "process", "path": "echo", "arguments": ["original"]}}],
        "rollbacks": [{"type": "action", "name": "rb", "provider": {"type": "process", "path": "true"}}]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = chaos_py(dir.path())
        .args(["run", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let log = std::fs::read_to_string(dir.path().join("hooks.log")).unwrap();
    let calls: Vec<String> = log
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!("{} {}", v[0].as_str().unwrap(), v[1].as_str().unwrap())
        })
        .collect();
    let expected = [
        "TOP1 configure",
        "ACT1 configure",
        "TOP1 before_experiment",
        "TOP1 before_hypothesis",
        "TOP1 before_activity",
        "TOP1 after_activity",
        "TOP1 after_hypothesis",
        "TOP1 before_method",
        "TOP1 before_activity",
        "ACT1 before_activity",
        "TOP1 after_activity",
        "ACT1 after_activity",
        "TOP1 after_method",
        "TOP1 before_hypothesis",
        "TOP1 before_activity",
        "TOP1 after_activity",
        "TOP1 after_hypothesis",
        "TOP1 before_rollback",
        "TOP1 before_activity",
        "TOP1 after_activity",
        "TOP1 after_rollback",
        "TOP1 after_experiment",
        // cleanup_control takes no arguments, as in the reference.
        "? cleanup",
        "? cleanup",
    ];
    assert_eq!(calls, expected, "{log}");
    let j = journal(dir.path());
    assert_eq!(
        j["run"][0]["output"]["stdout"], "changed by a control\n",
        "a before-activity control changed the arguments"
    );
    assert_eq!(
        j["run"][0]["seen_by_ACT1"], true,
        "an after-activity control changed the record"
    );
    assert_eq!(
        j["controlled_by"], "TOP1",
        "an after-experiment control changed the journal"
    );
}

#[test]
fn a_control_raising_interrupt_execution_interrupts_the_run() {
    let dir = setup();
    std::fs::write(dir.path().join("e2econtrol.py"), CONTROL).unwrap();
    std::fs::write(dir.path().join("chaoslib_stub.py"), INTERRUPT_STUB).unwrap();
    let exp = json!({"title": "t", "description": "d", "controls": [control("TOP1")],
        "method": [
            {"type": "action", "name": "stop-here", "provider": {"type": "process", "path": "true"}},
            {"type": "action", "name": "never", "provider": {"type": "process", "path": "true"}}]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = chaos_py(dir.path())
        .args(["run", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let j = journal(dir.path());
    assert_eq!(j["status"], "interrupted");
    assert_eq!(
        j["run"].as_array().unwrap().len(),
        0,
        "interrupted before the activity: no record"
    );
    // The after hooks still run, as the reference's `finally` runs them:
    // the activity's with no state, the method's with its (empty) records.
    let log = std::fs::read_to_string(dir.path().join("hooks.log")).unwrap();
    let calls: Vec<String> = log
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            format!(
                "{} {} {}",
                v[0].as_str().unwrap(),
                v[1].as_str().unwrap(),
                v[2]
            )
        })
        .collect();
    assert_eq!(
        calls,
        [
            "TOP1 configure []",
            "TOP1 before_experiment \"t\"",
            "TOP1 before_method null",
            "TOP1 before_activity \"stop-here\"",
            "TOP1 after_activity \"stop-here\"",
            "TOP1 after_method 0",
            "TOP1 after_experiment \"interrupted\"",
            "? cleanup null",
        ],
        "{log}"
    );
}

#[test]
fn every_controls_hooks_get_the_settings_and_configure_only_the_global_ones() {
    let dir = setup();
    std::fs::write(
        dir.path().join("settingscontrol.py"),
        "import json\n\
def _log(*a):\n    open('settings.log', 'a').write(json.dumps(a) + '\\n')\n\
def configure_control(settings=None, name='?'):\n    _log(name, 'configure', settings is not None)\n\
def before_activity_control(context, settings=None, name='?', **kw):\n    _log(name, 'before_activity', (settings or {}).get('marker'))\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("settings.yaml"),
        "marker: from-the-settings\ncontrols:\n  glob:\n    provider:\n      type: python\n      module: settingscontrol\n      arguments: {name: GLOBAL}\n",
    )
    .unwrap();
    let exp = json!({"title": "t", "description": "d",
        "controls": [{"name": "exp", "provider": {"type": "python", "module": "settingscontrol", "arguments": {"name": "EXP"}}}],
        "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]});
    common::write_experiment(dir.path(), "e.json", &exp);
    let out = std::process::Command::new(common::chaos_bin())
        .current_dir(dir.path())
        .env("PYTHONPATH", dir.path())
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_PYTHON")
        .args([
            "--no-log-file",
            "--settings",
            "settings.yaml",
            "run",
            "e.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let log = std::fs::read_to_string(dir.path().join("settings.log")).unwrap();
    let mut lines: Vec<&str> = log.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            r#"["EXP", "before_activity", "from-the-settings"]"#,
            r#"["EXP", "configure", false]"#,
            r#"["GLOBAL", "before_activity", "from-the-settings"]"#,
            r#"["GLOBAL", "configure", true]"#,
        ],
        "as the reference: settings for every hook, for configure only globally"
    );
}

#[test]
fn validate_control_decides_and_a_missing_control_module_only_warns() {
    let dir = setup();
    std::fs::write(
        dir.path().join("strictcontrol.py"),
        "def validate_control(control):\n    if not control.get('provider', {}).get('arguments', {}).get('probes'):\n        raise ValueError('safeguard control must have at least one probe')\n",
    )
    .unwrap();
    let strict = json!({"title": "t", "description": "d", "method": [],
        "controls": [{"name": "guard", "provider": {"type": "python", "module": "strictcontrol", "arguments": {}}}]});
    common::write_experiment(dir.path(), "e.json", &strict);
    let out = chaos_py(dir.path())
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("safeguard control must have at least one probe"),
        "{}",
        common::stderr(&out)
    );

    let missing = json!({"title": "t", "description": "d", "method": [],
        "controls": [{"name": "ghost", "provider": {"type": "python", "module": "no_such_control_mod"}}]});
    common::write_experiment(dir.path(), "e.json", &missing);
    let out = chaos_py(dir.path())
        .args(["validate", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out)
            .contains("Could not find Python module 'no_such_control_mod' in control 'ghost'"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn return_values_json_cannot_hold_are_written_safely() {
    let dir = setup();
    one_function_experiment(
        dir.path(),
        "oddvalues",
        "import datetime, decimal\n\ndef odd():\n    return {'when': datetime.date(2024, 1, 2), 'amount': decimal.Decimal('1.50'), 'tags': {'a'}, 'pair': (1, 2), 'nan': float('nan')}\n",
        "odd",
    );
    let out = chaos_py(dir.path())
        .args(["run", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let j = journal(dir.path());
    assert_eq!(j["run"][0]["status"], "succeeded");
    assert_eq!(
        j["run"][0]["output"],
        json!({"when": "2024-01-02", "amount": "1.50", "tags": ["a"], "pair": [1, 2], "nan": "nan"})
    );
}
