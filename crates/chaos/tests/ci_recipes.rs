//! The CI recipes of `examples/ci/` work as written: `cron.sh` runs against
//! two small experiments (one holding, one deviating; `process` providers
//! on files in a scratch folder, no network) with the built binary first on
//! PATH, and the other recipes only use flags `chaos` has.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn recipe(name: &str) -> PathBuf {
    repo().join("examples/ci").join(name)
}

/// PATH with the built binary first.
fn path_with_chaos() -> String {
    let bin = common::chaos_bin();
    let dir = bin.parent().unwrap();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn cron(dir: &Path, experiments: &[&str]) -> Output {
    Command::new("bash")
        .arg(recipe("cron.sh"))
        .args(experiments)
        .current_dir(dir)
        .env("PATH", path_with_chaos())
        .env("CHAOS_STATE", dir.join("state"))
        // Keep the user's settings file out of it.
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn write_experiments(dir: &Path) {
    let test_e = |name: &str, file: &Path| {
        json!({"type": "probe", "name": name, "tolerance": 0,
               "provider": {"type": "process", "path": "test",
                            "arguments": ["-e", file.display().to_string()]}})
    };
    let up = dir.join("service-up");
    let healthy = dir.join("healthy");
    std::fs::write(&up, "").unwrap();
    std::fs::write(&healthy, "").unwrap();
    common::write_experiment(
        dir,
        "holds.json",
        &json!({
            "title": "Service stays up",
            "description": "holds",
            "steady-state-hypothesis": {"title": "up", "probes": [test_e("service-up", &up)]},
            "method": [{"type": "action", "name": "nothing", "provider": {"type": "process", "path": "true"}}],
        }),
    );
    common::write_experiment(
        dir,
        "deviates.json",
        &json!({
            "title": "Health check survives",
            "description": "deviates",
            "steady-state-hypothesis": {"title": "healthy", "probes": [test_e("healthy", &healthy)]},
            "method": [{"type": "action", "name": "break-it", "provider": {"type": "process", "path": "rm",
                        "arguments": ["-f", healthy.display().to_string()]}}],
            "rollbacks": [{"type": "action", "name": "repair", "provider": {"type": "process", "path": "touch",
                        "arguments": [healthy.display().to_string()]}}],
        }),
    );
}

fn history(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("state/history"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `20261125T185555.123Z-<slug>.json`
fn is_history_name(name: &str, slug: &str) -> bool {
    let Some(stamp) = name.strip_suffix(&format!("-{slug}.json")) else {
        return false;
    };
    let b = stamp.as_bytes();
    stamp.len() == 20
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'.'
        && b[16..19].iter().all(u8::is_ascii_digit)
        && b[19] == b'Z'
}

fn has_report_command() -> bool {
    Command::new(common::chaos_bin())
        .args(["report", "--help"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn cron_script_runs_keeps_history_writes_junit_and_the_report() {
    let scratch = common::scratch();
    let dir = scratch.path();
    write_experiments(dir);

    let out = cron(dir, &["holds.json", "deviates.json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("chaos-cron: chaos run exited 4 (deviated)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("2 experiments: 1 completed, 1 deviated"),
        "{stderr}"
    );
    // The rollback repaired what the method broke.
    assert!(dir.join("healthy").exists());

    let names = history(dir);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.iter().any(|n| is_history_name(n, "service-stays-up")),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| is_history_name(n, "health-check-survives")),
        "{names:?}"
    );
    for n in &names {
        let j: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("state/history").join(n)).unwrap(),
        )
        .unwrap();
        assert_eq!(j["status"], "completed");
    }
    // Several experiments: journals only in the history.
    assert!(!dir.join("state/journal.json").exists());

    let junit = dir.join("state/junit.xml");
    let schema = repo().join("crates/report/tests/data/junit-10.xsd");
    let lint = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&junit)
        .output()
        .expect("xmllint runs (on Debian: apt-get install libxml2-utils)");
    assert!(
        lint.status.success(),
        "{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites name=\"chaos\" tests=\"7\" failures=\"1\" errors=\"0\""),
        "{xml}"
    );
    assert!(xml.contains("<testsuite name=\"Service stays up\" tests=\"3\""));
    assert!(xml.contains("<testsuite name=\"Health check survives\" tests=\"4\""));
    assert!(xml.contains(
        "<testcase name=\"steady-state after: healthy\" classname=\"Health check survives\""
    ));
    assert!(xml.contains("<failure message=\"tolerance 0 not met by exit status 1\""));

    let report = dir.join("state/report.html");
    if has_report_command() {
        assert!(
            stdout.contains("chaos-cron: report of the history:"),
            "{stdout}"
        );
        let html = std::fs::read_to_string(&report).unwrap();
        assert!(html.contains("Service stays up") && html.contains("Health check survives"));
    } else {
        assert!(stdout.contains("no 'report' command"), "{stdout}");
    }
    assert!(dir.join("state/chaostoolkit.log").exists());

    // One experiment: exit 0, its journal in the state folder too, one
    // more run in the history.
    let out = cron(dir, &["holds.json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("chaos-cron: chaos run exited 0 (completed)"),
        "{stdout}"
    );
    assert!(dir.join("state/journal.json").exists());
    assert_eq!(history(dir).len(), 3);
}

#[test]
fn cron_script_steps_aside_while_a_run_holds_the_lock() {
    let scratch = common::scratch();
    let dir = scratch.path();
    write_experiments(dir);
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let lock = dir.join("state/cron.lock");
    let mut holder = Command::new("flock")
        .arg(&lock)
        .args(["sleep", "60"])
        .stdout(Stdio::null())
        .spawn()
        .expect("flock (util-linux) runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let free = Command::new("flock")
            .arg("-n")
            .arg(&lock)
            .arg("true")
            .status()
            .unwrap()
            .success();
        if !free {
            break;
        }
        assert!(Instant::now() < deadline, "the lock was never taken");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = cron(dir, &["holds.json"]);
    let _ = holder.kill();
    let _ = holder.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(75), "{stdout}");
    assert!(
        stdout.contains("skipped: a previous run still holds"),
        "{stdout}"
    );
    assert!(!dir.join("state/history").read_dir().unwrap().any(|_| true));
}

#[test]
fn recipes_use_only_flags_chaos_has() {
    let help = |args: &[&str]| -> String {
        let o = Command::new(common::chaos_bin())
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let mut known = help(&["--help"]);
    known.push_str(&help(&["run", "--help"]));
    known.push_str(&help(&["kubernetes", "manifests", "--help"]));
    if has_report_command() {
        known.push_str(&help(&["report", "--help"]));
    } else {
        known.push_str("--export-format");
    }
    // Flags of other tools in the recipes.
    let others = ["--release", "--locked"];
    for file in [
        "cron.sh",
        "Jenkinsfile",
        "github-actions.yml",
        "kubernetes.md",
        "README.md",
    ] {
        let text = std::fs::read_to_string(recipe(file)).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("--") {
            let flag: String = rest[at..]
                .chars()
                .enumerate()
                .take_while(|(i, c)| *i < 2 || c.is_ascii_lowercase() || *c == '-')
                .map(|(_, c)| c)
                .collect();
            rest = &rest[at + flag.len()..];
            let flag = flag.trim_end_matches('-');
            let is_flag = flag.as_bytes().get(2).is_some_and(u8::is_ascii_lowercase);
            if !is_flag || others.contains(&flag) {
                continue;
            }
            assert!(
                known.contains(&format!("{flag} ")) || known.contains(&format!("{flag}\n")),
                "{file} uses {flag}, which chaos does not have"
            );
        }
    }

    // The workflow: uploads and the JUnit check whatever the outcome.
    let workflow: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(recipe("github-actions.yml")).unwrap())
            .unwrap();
    let steps = workflow["jobs"]["chaos"]["steps"].as_array().unwrap();
    let step = |uses: &str| {
        steps
            .iter()
            .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(uses)))
            .unwrap_or_else(|| panic!("no step uses {uses}"))
    };
    let upload = step("actions/upload-artifact@v4");
    assert_eq!(upload["if"], "always()");
    assert!(upload["with"]["path"]
        .as_str()
        .unwrap()
        .contains("history/"));
    let reporter = step("mikepenz/action-junit-report@");
    assert_eq!(reporter["if"], "always()");
    assert_eq!(reporter["with"]["report_paths"], "reports/junit.xml");
    let run = steps
        .iter()
        .find_map(|s| s["run"].as_str().filter(|r| r.starts_with("chaos run")))
        .unwrap();
    for flag in [
        "--exit-codes detailed",
        "--junit reports/junit.xml",
        "--history history",
    ] {
        assert!(run.contains(flag), "{run}");
    }

    // The Jenkinsfile publishes the JUnit file the stage writes.
    let jenkins = std::fs::read_to_string(recipe("Jenkinsfile")).unwrap();
    assert!(jenkins.contains("--junit reports/junit.xml"));
    assert!(jenkins.contains("junit testResults: 'reports/junit.xml'"));
    assert!(jenkins.contains("returnStatus: true"));
}
