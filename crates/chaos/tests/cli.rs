//! The command line as a user meets it: version, usage errors, loading from
//! URLs, settings, the log file, the console, secrets in journals.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

use serde_json::{json, Value};

fn simple(url: &str) -> Value {
    json!({
        "title": "simple", "description": "d",
        "steady-state-hypothesis": {"title": "up", "probes": [
            {"type": "probe", "name": "up", "tolerance": 200, "provider": {"type": "http", "url": url, "timeout": 3}}]},
        "method": [{"type": "action", "name": "noop", "provider": {"type": "process", "path": "true"}}]
    })
}

#[test]
fn version_is_printed_as_the_reference_prints_it() {
    let out = Command::new(common::chaos_bin())
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("chaos, version {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn no_subcommand_prints_usage_and_exits_2() {
    let out = Command::new(common::chaos_bin()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2_without_a_journal() {
    let dir = common::scratch();
    let exp = common::write_experiment(dir.path(), "e.json", &simple("http://127.0.0.1:9/"));
    for args in [
        vec!["--rollback-strategy", "sometimes"],
        vec!["--var", "novalue"],
        vec!["--var", "n:int=abc"],
        vec!["--var-file", "missing.json"],
    ] {
        let out = common::chaos(dir.path())
            .arg("run")
            .args(&args)
            .arg(&exp)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            common::stderr(&out)
        );
        assert!(!dir.path().join("journal.json").exists());
    }
}

#[test]
fn global_options_are_accepted_before_the_subcommand() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    common::write_experiment(dir.path(), "e.json", &simple(&server.url("/")));
    let out = Command::new(common::chaos_bin())
        .current_dir("/")
        .args([
            "--no-version-check",
            "--verbose",
            "--log-format",
            "string",
            "--log-file",
        ])
        .arg(dir.path().join("run.log"))
        .arg("--change-dir")
        .arg(dir.path())
        .args(["run", "e.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(
        dir.path().join("journal.json").exists(),
        "relative paths resolve after --change-dir"
    );
    let log = std::fs::read_to_string(dir.path().join("run.log")).unwrap();
    assert!(log.contains("Running command 'run'"), "{log}");
    assert!(log.contains("Using settings file"), "{log}");
    assert!(
        log.contains("Experiment ended with status: completed"),
        "{log}"
    );
}

#[test]
fn the_log_file_is_appended_to_and_can_be_turned_off() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    common::write_experiment(dir.path(), "e.json", &simple(&server.url("/")));
    for _ in 0..2 {
        let out = Command::new(common::chaos_bin())
            .current_dir(dir.path())
            .args(["run", "e.json"])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let log = std::fs::read_to_string(dir.path().join("chaostoolkit.log")).unwrap();
    assert_eq!(log.matches("Running command 'run'").count(), 2);
    std::fs::remove_file(dir.path().join("chaostoolkit.log")).unwrap();
    let out = Command::new(common::chaos_bin())
        .current_dir(dir.path())
        .args(["--no-log-file", "run", "e.json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!dir.path().join("chaostoolkit.log").exists());
}

#[test]
fn console_shows_steps_and_a_verdict_without_colour_when_not_a_terminal() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    let mut exp = simple(&server.url("/"));
    exp["method"] = json!([{"type": "action", "name": "break-it", "provider": {"type": "process", "path": "true"}}]);
    exp["steady-state-hypothesis"]["probes"][0]["provider"]["url"] =
        json!(server.url("/status/500"));
    exp["steady-state-hypothesis"]["probes"][0]["tolerance"] = json!(500);
    let (out, journal) = common::run(dir.path(), &exp, &[]);
    let stderr = common::stderr(&out);
    assert!(
        !stderr.contains('\x1b'),
        "no colour codes off a terminal: {stderr:?}"
    );
    assert!(stderr.contains("probe up"), "{stderr}");
    assert!(stderr.contains("HTTP 500"), "{stderr}");
    assert!(stderr.contains("Completed"), "{stderr}");
    assert_eq!(journal.unwrap()["status"], "completed");
}

#[test]
fn experiments_load_from_http_urls_with_the_loader_token() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = common::TestServer::start();
    let body = serde_json::to_string(&simple(&target.url("/"))).unwrap();
    let served = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap();
        let request = String::from_utf8_lossy(&buf[..n]).to_string();
        write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        request
    });
    let dir = common::scratch();
    let out = common::chaos(dir.path())
        .env("CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN", "s3cr3t ")
        .args(["run", &format!("http://127.0.0.1:{port}/experiment.json")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let request = served.join().unwrap().to_ascii_lowercase();
    assert!(
        request.contains("authorization: bearer s3cr3t\r\n"),
        "{request}"
    );
    assert!(
        request.contains("accept: application/json, application/x-yaml"),
        "{request}"
    );
}

#[test]
fn unsupported_sources_get_the_reference_errors() {
    let dir = common::scratch();
    std::fs::write(dir.path().join("e.txt"), "{}").unwrap();
    std::fs::create_dir(dir.path().join("dir.json")).unwrap();
    for (source, expected) in [
        ("nope.json", "does not exist"),
        (
            "e.txt",
            "only files with json, yaml or yml extensions are supported",
        ),
        (
            "ftp://example.invalid/e.json",
            "'ftp' is not a supported source scheme",
        ),
        ("dir.json", "is a directory"),
    ] {
        let out = common::chaos(dir.path())
            .args(["validate", source])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{source}");
        let stderr = common::stderr(&out);
        assert!(stderr.contains(expected), "{source}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn inline_secrets_never_reach_the_journal() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    let mut exp = simple(&server.url("/echo"));
    exp["secrets"] = json!({"api": {"token": "hunter2-very-secret", "from_env": {"type": "env", "key": "E2E_TOKEN"}}});
    exp["steady-state-hypothesis"]["probes"][0]["provider"]["headers"] =
        json!({"Authorization": "Bearer ${token}"});
    let path = common::write_experiment(dir.path(), "e.json", &exp);
    let out = common::chaos(dir.path())
        .env("E2E_TOKEN", "from-the-env")
        .args(["run"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let journal = std::fs::read_to_string(dir.path().join("journal.json")).unwrap();
    let j: Value = serde_json::from_str(&journal).unwrap();
    assert_eq!(j["experiment"]["secrets"]["api"]["token"], "********");
    assert_eq!(
        j["experiment"]["secrets"]["api"]["from_env"],
        json!({"type": "env", "key": "E2E_TOKEN"})
    );
    // The header was really sent with the secret (the echo shows it)...
    let echoed =
        &j["steady_states"]["before"]["probes"][0]["output"]["body"]["headers"]["authorization"];
    assert_eq!(echoed, "Bearer hunter2-very-secret");
    // ...and the secret appears nowhere else than in that server's answer.
    assert_eq!(
        journal.matches("hunter2-very-secret").count(),
        2,
        "only the before/after echo bodies hold it"
    );
}

#[test]
fn settings_can_be_read_written_and_removed() {
    let dir = common::scratch();
    let settings = dir.path().join("settings.yaml");
    std::fs::write(&settings, "auths:\n  chaos.example.com:8443:\n    type: bearer\n    value: abc\nruntime:\n  rollbacks:\n    strategy: default\n").unwrap();
    let chaos = |args: &[&str]| {
        Command::new(common::chaos_bin())
            .arg("--no-log-file")
            .arg("--settings")
            .arg(&settings)
            .args(args)
            .output()
            .unwrap()
    };
    let out = chaos(&[
        "settings",
        "get",
        "--format",
        "string",
        r"auths.chaos\.example\.com:8443.type",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "bearer");
    let out = chaos(&[
        "settings",
        "set",
        "runtime.rollbacks.strategy",
        "\"always\"",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = chaos(&["settings", "get", "--format", "json", "runtime"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, json!({"rollbacks": {"strategy": "always"}}));
    assert_eq!(
        chaos(&["settings", "set", "no.such.key", "1"])
            .status
            .code(),
        Some(1)
    );
    assert!(chaos(&["settings", "remove", "auths"]).status.success());
    assert_eq!(chaos(&["settings", "get", "auths"]).status.code(), Some(1));
    let out = chaos(&["settings", "show", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, json!({"runtime": {"rollbacks": {"strategy": "always"}}}));
}

#[test]
fn settings_runtime_strategy_is_used_and_the_experiment_runtime_block_wins() {
    let dir = common::scratch();
    std::fs::write(
        dir.path().join("settings.yaml"),
        "runtime:\n  rollbacks:\n    strategy: never\n",
    )
    .unwrap();
    let mut exp = json!({"title": "t", "description": "d", "method": [],
        "rollbacks": [{"type": "action", "name": "undo", "provider": {"type": "process", "path": "true"}}]});
    let path = common::write_experiment(dir.path(), "e.json", &exp);
    let run = || {
        Command::new(common::chaos_bin())
            .current_dir(dir.path())
            .args(["--no-log-file", "--settings", "settings.yaml", "run"])
            .arg(&path)
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("journal.json")).unwrap())
            .unwrap();
    assert_eq!(
        j["rollbacks"].as_array().unwrap().len(),
        0,
        "settings say never"
    );
    exp["runtime"] = json!({"hypothesis": {"strategy": "default"}});
    common::write_experiment(dir.path(), "e.json", &exp);
    assert!(run().status.success());
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("journal.json")).unwrap())
            .unwrap();
    assert_eq!(
        j["rollbacks"].as_array().unwrap().len(),
        1,
        "a runtime block resets both strategies to default"
    );
}

#[test]
fn info_core_lists_the_versions() {
    let out = Command::new(common::chaos_bin())
        .args(["--no-log-file", "info", "core"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("NAME"), "{text}");
    assert!(
        text.contains("CLI") && text.contains("Core library"),
        "{text}"
    );
}

#[test]
fn a_dotenv_var_file_feeds_env_configuration() {
    let dir = common::scratch();
    std::fs::write(
        dir.path().join("vars.env"),
        "# comment\nE2E_WHO=from-dotenv\n",
    )
    .unwrap();
    let exp = json!({"title": "t", "description": "d",
        "configuration": {"who": {"type": "env", "key": "E2E_WHO", "default": "nobody"}},
        "method": [{"type": "action", "name": "say", "provider": {"type": "process", "path": "echo", "arguments": ["${who}"]}}]});
    let (out, journal) = common::run(dir.path(), &exp, &["--var-file", "vars.env"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(
        journal.unwrap()["run"][0]["output"]["stdout"],
        "from-dotenv\n"
    );
}

#[test]
fn json_log_format_prints_one_object_a_line() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    let path = common::write_experiment(dir.path(), "e.json", &simple(&server.url("/")));
    let out = Command::new(common::chaos_bin())
        .current_dir(dir.path())
        .args(["--no-log-file", "--log-format", "json", "run"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = common::stderr(&out);
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect();
    assert!(lines.iter().all(|l| l["levelname"].is_string()
        && l["message"].is_string()
        && l["timestamp"].is_string()));
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "Running experiment: simple"),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "Experiment ended with status: completed"),
        "{stderr}"
    );
    // Every line of the run carries its id and title; activity lines say
    // which step, which activity, how it ended and how long it took.
    let run_ids: std::collections::HashSet<&str> =
        lines.iter().filter_map(|l| l["run_id"].as_str()).collect();
    assert_eq!(run_ids.len(), 1, "{stderr}");
    assert!(lines
        .iter()
        .filter(|l| l["run_id"].is_string())
        .all(|l| l["experiment"] == "simple"));
    let probe = lines
        .iter()
        .find(|l| l["step"] == "steady-state-before")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert_eq!(probe["status"], "succeeded");
    assert_eq!(probe["activity_type"], "probe");
    assert!(probe["activity"].is_string());
    assert!(probe["tolerance_met"].is_boolean());
    assert!(probe["duration"].as_f64().is_some_and(|d| d >= 0.0));
}
