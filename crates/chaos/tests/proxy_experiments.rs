//! Proxies an experiment declares: they live in `chaos run` for the run,
//! faults come and go as actions (within time windows too), and whatever is
//! still in place at the end is removed and written in the journal.

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// An experiment whose service sits behind a declared proxy `svc`; its
/// hypothesis calls the service through the proxy with a short timeout.
fn experiment(server: &common::TestServer, method: Value) -> Value {
    json!({
        "title": "The service answers through its proxy", "description": "d",
        "proxies": [{"name": "svc", "listen": "127.0.0.1:0", "upstream": format!("127.0.0.1:{}", server.port)}],
        "steady-state-hypothesis": {"title": "answers in time", "probes": [
            {"type": "probe", "name": "through-the-proxy", "tolerance": 200, "provider": {"type": "http",
                "url": "http://127.0.0.1:${proxy_svc_port}/", "timeout": 0.5}}
        ]},
        "method": method
    })
}

fn proxy_action(name: &str, func: &str, arguments: Value) -> Value {
    json!({"type": "action", "name": name, "provider": {"type": "proxy", "func": func, "arguments": arguments}})
}

#[test]
fn a_latency_fault_makes_the_hypothesis_deviate_and_is_removed_at_the_end() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    let exp = experiment(
        &server,
        json!([proxy_action(
            "slow",
            "add_toxic",
            json!({"proxy": "svc", "type": "latency", "attributes": {"latency": 800}})
        )]),
    );
    let (out, journal) = common::run(dir.path(), &exp, &[]);
    let j = journal.expect("a journal");
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert_eq!(j["steady_states"]["before"]["steady_state_met"], true);
    assert_eq!(
        j["deviated"], true,
        "the slow answer misses the 0.5 s timeout"
    );
    assert_eq!(
        j["run"][0]["output"],
        json!({"attributes": {"latency": 800, "jitter": 0}, "name": "latency_downstream",
               "type": "latency", "stream": "downstream", "toxicity": 1})
    );
    let faults = &j["proxy_faults"];
    assert_eq!(
        faults["removed_at_end"],
        json!([{"proxy": "svc", "toxic": "latency_downstream", "type": "latency", "stream": "downstream"}])
    );
    assert!(faults["seed"].is_u64());
    let port = j["run"][0]["activity"]["provider"]["arguments"]["proxy"].clone();
    assert_eq!(port, "svc");
}

#[test]
fn a_fault_with_a_time_window_ends_by_itself_and_the_steady_state_holds() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    let exp = experiment(
        &server,
        json!([
            proxy_action("cut", "add_toxic", json!({"proxy": "svc", "type": "timeout", "name": "cut",
                "attributes": {"timeout": 0}, "duration": 0.3})),
            {"type": "probe", "name": "during-the-window", "provider": {"type": "http",
                "url": "http://127.0.0.1:${proxy_svc_port}/", "timeout": 0.2}},
            {"type": "action", "name": "wait", "provider": {"type": "process", "path": "sleep", "arguments": "0.4"}}
        ]),
    );
    let (out, journal) = common::run(dir.path(), &exp, &[]);
    let j = journal.expect("a journal");
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(
        j["run"][1]["status"], "failed",
        "inside the window the proxy swallows the request"
    );
    assert_eq!(
        j["steady_states"]["after"]["steady_state_met"], true,
        "the window closed"
    );
    assert_eq!(
        j["proxy_faults"]["removed_at_end"],
        json!([]),
        "nothing left to remove"
    );
}

#[test]
fn an_interrupted_run_still_removes_its_faults_and_stops_its_proxies() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    let exp = experiment(
        &server,
        json!([
            proxy_action("down", "disable_proxy", json!({"proxy": "svc"})),
            proxy_action("slow", "add_toxic", json!({"proxy": "svc", "type": "latency", "attributes": {"latency": 100}})),
            {"type": "action", "name": "wait", "provider": {"type": "process", "path": "sleep", "arguments": "30"}}
        ]),
    );
    let path = common::write_experiment(dir.path(), "experiment.json", &exp);
    let journal_path = dir.path().join("journal.json");
    let mut child = common::chaos(dir.path())
        .arg("run")
        .arg("--journal-path")
        .arg(&journal_path)
        .arg(&path)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The console shows a step once it is over: after `slow`, the run is in
    // its long pause.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("action slow") {
                let _ = tx.send(());
            }
        }
    });
    let started = Instant::now();
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the run reaches its pause");
    assert!(started.elapsed() < Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(200));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&journal_path).unwrap()).unwrap();
    assert_eq!(j["status"], "interrupted");
    assert_eq!(
        j["proxy_faults"]["removed_at_end"][0]["toxic"],
        "latency_downstream"
    );
    assert_eq!(j["proxy_faults"]["disabled_at_end"], json!(["svc"]));
    let listen = j["run"][0]["output"]["listen"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        TcpStream::connect(&listen).is_err(),
        "the proxy is gone with the run"
    );
}

#[test]
fn chaostoolkit_toxiproxy_style_calls_reach_the_declared_proxies_through_the_in_run_api() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    let exp = experiment(
        &server,
        json!([
            {"type": "action", "name": "via-the-api", "provider": {"type": "http", "method": "POST",
                "url": "http://${toxiproxy_host}:${toxiproxy_port}/proxies/svc/toxics",
                "headers": {"Content-Type": "application/json"},
                "arguments": {"name": "slow", "type": "latency", "attributes": {"latency": 800}}}},
            proxy_action("look", "get_proxy", json!({"proxy": "svc"}))
        ]),
    );
    let (out, journal) = common::run(dir.path(), &exp, &[]);
    let j = journal.expect("a journal");
    assert_eq!(
        j["run"][0]["output"]["status"],
        200,
        "{}",
        common::stderr(&out)
    );
    assert_eq!(j["run"][1]["output"]["toxics"][0]["name"], "slow");
    assert_eq!(j["deviated"], true);
    assert_eq!(j["proxy_faults"]["removed_at_end"][0]["toxic"], "slow");
}

#[test]
fn a_seed_replays_the_same_random_draws() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    let exp = experiment(
        &server,
        json!([proxy_action("list", "list_proxies", json!({}))]),
    );
    let mut seeds = Vec::new();
    for _ in 0..2 {
        let path = common::write_experiment(dir.path(), "experiment.json", &exp);
        let journal = dir.path().join("journal.json");
        let out = common::chaos(dir.path())
            .env("CHAOS_PROXY_SEED", "4242")
            .arg("run")
            .arg("--journal-path")
            .arg(&journal)
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        let j: Value = serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
        seeds.push(j["proxy_faults"]["seed"].clone());
    }
    assert_eq!(seeds, [json!(4242), json!(4242)]);
}

#[test]
fn bad_proxy_activities_are_refused_at_validation_with_the_fix() {
    let dir = common::scratch();
    let server = common::TestServer::start();
    let exp = experiment(
        &server,
        json!([
            proxy_action("slow", "add_toxc", json!({"proxy": "svc"})),
            proxy_action(
                "slow2",
                "add_toxic",
                json!({"type": "latency", "latncy": 3})
            )
        ]),
    );
    let path = common::write_experiment(dir.path(), "experiment.json", &exp);
    let out = common::chaos(dir.path())
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(err.contains("'add_toxc' is not a proxy function"), "{err}");
    assert!(
        err.contains("argument 'latncy' is not known to 'add_toxic'"),
        "{err}"
    );
    assert!(
        err.contains("required argument 'proxy' is missing"),
        "{err}"
    );
}

#[test]
fn badly_declared_proxies_are_reported_with_their_place() {
    let dir = common::scratch();
    let exp = json!({"title": "t", "description": "d",
        "proxies": [{"name": "a", "upstream": "127.0.0.1:1"}, {"name": "a"}, "x"],
        "method": [{"type": "action", "name": "n", "provider": {"type": "process", "path": "true"}}]});
    let path = common::write_experiment(dir.path(), "experiment.json", &exp);
    let out = common::chaos(dir.path())
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains("(proxies[1].upstream)") && err.contains("a proxy needs a `upstream` string"),
        "{err}"
    );
    assert!(err.contains("the proxy 'a' is declared twice"), "{err}");
    assert!(err.contains("(proxies[2])"), "{err}");
}

#[test]
fn discover_lists_the_proxy_providers_functions_with_their_arguments() {
    let dir = common::scratch();
    let out = common::chaos(dir.path())
        .args(["discover", "chaos-proxy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let d: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("discovery.json")).unwrap())
            .unwrap();
    let add = d["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "add_toxic")
        .unwrap();
    assert_eq!(add["provider_type"], "proxy");
    let names: Vec<&str> = add["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "proxy",
            "type",
            "name",
            "stream",
            "toxicity",
            "attributes",
            "start_after",
            "duration"
        ]
    );
    assert!(
        add["arguments"][0].get("default").is_none(),
        "proxy is required"
    );
    assert_eq!(add["arguments"][6]["type"], "number");
    assert_eq!(d["activities"].as_array().unwrap().len(), 8);
}
