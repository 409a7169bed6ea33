//! Notifications from the settings file: a webhook receiver on loopback gets
//! every event with the reference's payload; endpoints that refuse or hang
//! change neither the outcome nor the time by more than the timeout.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// What a receiver got: each request's method and JSON body.
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A webhook receiver on loopback, and what it receives.
fn receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let method = line.split_whitespace().next().unwrap_or("").to_string();
            let mut length = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap_or(0);
                let h = h.trim_end().to_ascii_lowercase();
                if h.is_empty() {
                    break;
                }
                if let Some(v) = h.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            store.lock().unwrap().push((method, value));
            let mut w = stream;
            let _ =
                w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, got)
}

/// An endpoint that accepts connections and never answers.
fn hanging() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    url
}

fn refusing() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    drop(l);
    url
}

fn chaos_with(dir: &Path, settings: &Value) -> Command {
    let path = dir.join("settings.yaml");
    std::fs::write(&path, settings.to_string()).unwrap();
    let mut c = Command::new(common::chaos_bin());
    c.current_dir(dir)
        .arg("--no-log-file")
        .arg("--settings")
        .arg(&path);
    c
}

#[test]
fn a_run_notifies_its_start_its_end_and_its_deviation_and_bad_endpoints_cost_only_their_timeout() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    let (url, got) = receiver();
    let settings = json!({"notifications": [
        {"type": "http", "url": refusing()},
        {"type": "http", "url": hanging(), "events": ["run-completed"]},
        {"type": "http", "url": url, "headers": {"Authorization": "Bearer t"}},
        {"type": "plugin", "module": "nope"}
    ]});
    let exp = json!({
        "title": "answers", "description": "d",
        "steady-state-hypothesis": {"title": "t", "probes": [
            {"type": "probe", "name": "status", "tolerance": 200,
             "provider": {"type": "http", "url": server.url("/status/200")}}]},
        "method": [{"type": "action", "name": "noop", "provider": {"type": "process", "path": "true"}}]
    });
    let path = common::write_experiment(dir.path(), "experiment.json", &exp);
    let started = Instant::now();
    let out = chaos_with(dir.path(), &settings)
        .args(["run", "--journal-path"])
        .arg(dir.path().join("journal.json"))
        .arg(&path)
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(
        elapsed < Duration::from_secs(9),
        "the hanging endpoint costs at most its timeout: {elapsed:?}"
    );
    let got = got.lock().unwrap().clone();
    let names: Vec<&str> = got
        .iter()
        .map(|(_, b)| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["run-started", "run-completed"]);
    let (method, completed) = &got[1];
    assert_eq!(method, "POST");
    let keys: Vec<&String> = completed.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["name", "payload", "phase", "ts"],
        "the reference's keys, in order"
    );
    assert_eq!(completed["phase"], "run");
    assert!(completed["ts"].as_f64().unwrap() > 1.7e9);
    assert_eq!(completed["payload"]["status"], "completed");
    assert_eq!(
        got[0].1["payload"]["title"], "answers",
        "run-started carries the experiment"
    );
}

#[test]
fn a_deviated_run_also_sends_run_deviated_and_events_filter_channels() {
    let dir = common::scratch();
    let (all_url, all) = receiver();
    let (only_url, only) = receiver();
    let settings = json!({"notifications": [
        {"type": "http", "url": all_url},
        {"type": "http", "url": only_url, "events": ["run-deviated"]}
    ]});
    let exp = json!({
        "title": "deviates", "description": "d",
        "steady-state-hypothesis": {"title": "t", "probes": [
            {"type": "probe", "name": "intact", "tolerance": 0,
             "provider": {"type": "process", "path": "sh", "arguments": ["-c", "test ! -f broken"]}}]},
        "method": [{"type": "action", "name": "break", "provider": {"type": "process", "path": "touch", "arguments": "broken"}}]
    });
    let path = common::write_experiment(dir.path(), "experiment.json", &exp);
    let out = chaos_with(dir.path(), &settings)
        .args(["run", "--journal-path"])
        .arg(dir.path().join("journal.json"))
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    let names = |v: &Received| -> Vec<String> {
        v.lock()
            .unwrap()
            .iter()
            .map(|(_, b)| b["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&all),
        ["run-started", "run-completed", "run-deviated"]
    );
    assert_eq!(names(&only), ["run-deviated"]);
}

#[test]
fn validate_and_discover_send_their_events() {
    let dir = common::scratch();
    let (url, got) = receiver();
    let settings = json!({"notifications": [{"type": "http", "url": url}]});
    let good = common::write_experiment(
        dir.path(),
        "good.json",
        &json!({"title": "t", "description": "d",
        "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]}),
    );
    let bad = common::write_experiment(
        dir.path(),
        "bad.json",
        &json!({"title": "t", "description": "d"}),
    );
    assert_eq!(
        chaos_with(dir.path(), &settings)
            .arg("validate")
            .arg(&good)
            .status()
            .unwrap()
            .code(),
        Some(0)
    );
    assert_eq!(
        chaos_with(dir.path(), &settings)
            .arg("validate")
            .arg(&bad)
            .status()
            .unwrap()
            .code(),
        Some(1)
    );
    let out = chaos_with(dir.path(), &settings)
        .args(["discover", "chaos-proxy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let got = got.lock().unwrap().clone();
    let names: Vec<&str> = got
        .iter()
        .map(|(_, b)| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "validate-started",
            "validate-completed",
            "validate-started",
            "validate-failed",
            "discovery-started",
            "discovery-completed"
        ]
    );
    assert!(got[3].1["error"]
        .as_str()
        .unwrap()
        .starts_with("An exception was raised: InvalidExperiment("));
    assert_eq!(got[4].1["payload"], "chaos-proxy");
    assert_eq!(got[5].1["phase"], "discovery");
    assert!(got[5].1["payload"]["activities"].is_array());
}

#[test]
fn slack_style_webhooks_get_one_readable_line_per_event() {
    let dir = common::scratch();
    let (url, got) = receiver();
    let settings = json!({"notifications": [
        {"type": "slack", "url": url, "channel": "#chaos", "events": ["run-started", "run-completed", "run-deviated"]}
    ]});
    let exp = json!({"title": "cache loss", "description": "d",
        "steady-state-hypothesis": {"title": "t", "probes": [
            {"type": "probe", "name": "flag", "tolerance": 0,
             "provider": {"type": "process", "path": "test", "arguments": ["!", "-e", "broken"]}}]},
        "method": [{"type": "action", "name": "break", "provider": {"type": "process", "path": "touch", "arguments": ["broken"]}}]});
    let path = common::write_experiment(dir.path(), "experiment.json", &exp);
    let out = chaos_with(dir.path(), &settings)
        .args(["run"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "deviated");
    let got = got.lock().unwrap().clone();
    let texts: Vec<&str> = got
        .iter()
        .map(|(_, b)| b["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert_eq!(
        texts[0],
        ":arrow_forward: Chaos experiment *cache loss* started"
    );
    assert!(
        texts[1].starts_with(":white_check_mark: Chaos experiment *cache loss* completed in "),
        "{texts:?}"
    );
    assert!(texts[2].contains("*cache loss* deviated"), "{texts:?}");
    assert!(got
        .iter()
        .all(|(m, b)| m == "POST" && b["channel"] == "#chaos"));
}
