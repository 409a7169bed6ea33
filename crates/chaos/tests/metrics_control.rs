//! The native `chaosprometheus.metrics` control against a real Prometheus
//! Pushgateway (Debian's `/usr/bin/prometheus-pushgateway`, started by each
//! test on a free loopback port, without persistence, and killed when the
//! test ends): what a run pushes before it starts and when it ends, as the
//! gateway serves it back, and a gateway that refuses connections changing
//! nothing in the run. All traffic stays on 127.0.0.1 and every wait is
//! bounded.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const PUSHGATEWAY: &str = "/usr/bin/prometheus-pushgateway";
const MODULE: &str = "chaosprometheus.metrics";
const JOB: &str = "chaos-e2e";

// ---------------------------------------------------------------------------
// The Pushgateway

/// Kills the Pushgateway when the test ends, passing or panicking.
struct Gateway {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gateway {
    /// Its address, without a scheme (the control adds `http://`).
    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `/metrics`, parsed: the series our job pushed (not the gateway's
    /// own `push_time_seconds` and `push_failure_time_seconds`).
    fn series(&self) -> Vec<Series> {
        let text = http_get(self.port, "/metrics")
            .unwrap_or_else(|| panic!("no /metrics from the gateway:\n{}", self.log_text()));
        pushed(&text)
    }

    /// `/api/v1/metrics`: the groups the gateway holds.
    fn groups(&self) -> Vec<Value> {
        let body = http_get(self.port, "/api/v1/metrics").expect("an answer from /api/v1/metrics");
        let v: Value = serde_json::from_str(&body).expect("JSON from /api/v1/metrics");
        assert_eq!(v["status"], "success", "{v}");
        v["data"].as_array().cloned().unwrap_or_default()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A bounded HTTP/1.0 GET on loopback (so the answer is never chunked);
/// returns the body of a 200 answer.
fn http_get(port: u16, path: &str) -> Option<String> {
    let addr = ([127, 0, 0, 1], port).into();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_string())
}

/// A Pushgateway of our own, ready, on a free loopback port.
fn start_gateway(dir: &Path) -> Gateway {
    assert!(
        Path::new(PUSHGATEWAY).exists(),
        "{PUSHGATEWAY} is missing: apt-get install prometheus-pushgateway (.ci/run does)"
    );
    let log = dir.join("pushgateway.log");
    // The free port may be taken between the probe and the gateway's bind:
    // a gateway that exits before it is ready gets another port.
    for _attempt in 0..3 {
        let port = free_port();
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(PUSHGATEWAY)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--persistence.file=")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {PUSHGATEWAY}: {e}"));
        let mut gw = Gateway {
            child,
            port,
            log: log.clone(),
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if gw.child.try_wait().ok().flatten().is_some() {
                break;
            }
            if http_get(port, "/-/ready").is_some() {
                return gw;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "pushgateway on port {port} did not get ready:\n{}",
            gw.log_text()
        );
    }
    panic!(
        "the pushgateway did not start in 3 attempts; its last log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------
// The text exposition format, as the gateway serves it

#[derive(Debug, Clone)]
struct Series {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse_exposition(text: &str) -> Vec<Series> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| parse_line(line).unwrap_or_else(|| panic!("cannot parse {line:?}")))
        .collect()
}

fn parse_line(line: &str) -> Option<Series> {
    let end = line.find(['{', ' '])?;
    let name = line[..end].to_string();
    let mut labels = BTreeMap::new();
    let mut rest = &line[end..];
    if let Some(mut inner) = rest.strip_prefix('{') {
        loop {
            if let Some(after) = inner.strip_prefix('}') {
                rest = after;
                break;
            }
            let (key, after) = inner.split_once("=\"")?;
            let mut value = String::new();
            let mut chars = after.char_indices();
            let close = loop {
                match chars.next()? {
                    (_, '\\') => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        c => value.push(c),
                    },
                    (i, '"') => break i,
                    (_, c) => value.push(c),
                }
            };
            labels.insert(key.trim_start_matches(',').to_string(), value);
            inner = after[close + 1..].trim_start_matches(',');
        }
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Series {
        name,
        labels,
        value,
    })
}

/// The `chaostoolkit_` series of our job in a gateway's `/metrics` page.
fn pushed(text: &str) -> Vec<Series> {
    parse_exposition(text)
        .into_iter()
        .filter(|s| s.name.starts_with("chaostoolkit_"))
        .filter(|s| s.labels.get("job").map(String::as_str) == Some(JOB))
        .collect()
}

/// The one series named `name` whose labels include `with`.
fn one<'a>(series: &'a [Series], name: &str, with: &[(&str, &str)]) -> &'a Series {
    let found: Vec<&Series> = series
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            with.iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert_eq!(found.len(), 1, "one {name} {with:?} in {series:#?}");
    found[0]
}

// ---------------------------------------------------------------------------
// Runs

fn control(arguments: Value) -> Value {
    json!([{"name": "prometheus", "provider": {"type": "python", "module": MODULE, "arguments": arguments}}])
}

/// A port nothing listens on.
fn refusing_port() -> u16 {
    free_port()
}

/// A steady state that holds; the method reads the gateway (so the journal
/// holds what it served during the run) and fails one action; one rollback.
fn healthy_experiment(dir: &Path, gateway: &str, arguments: Value) -> Value {
    let marker = dir.join("marker");
    std::fs::write(&marker, "").unwrap();
    json!({
        "title": "a run whose metrics are pushed", "description": "d",
        "controls": control(arguments),
        "steady-state-hypothesis": {"title": "the marker is there", "probes": [
            {"type": "probe", "name": "marker", "tolerance": 0,
             "provider": {"type": "process", "path": "test", "arguments": ["-f", marker]}}]},
        "method": [
            {"type": "probe", "name": "read-the-gateway",
             "provider": {"type": "http", "url": format!("http://{gateway}/metrics"), "timeout": 5}},
            {"type": "action", "name": "call-nobody",
             "provider": {"type": "http", "url": format!("http://127.0.0.1:{}/", refusing_port()), "timeout": 2}}
        ],
        "rollbacks": [
            {"type": "action", "name": "tidy", "provider": {"type": "process", "path": "true"}}
        ]
    })
}

/// The journal's activity records by status, as the control counts them.
fn journal_counts(journal: &Value) -> BTreeMap<String, f64> {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let steady = &journal["steady_states"];
    let mut records = list(&steady["before"]["probes"]);
    records.extend(list(&steady["after"]["probes"]));
    for state in list(&steady["during"]) {
        records.extend(list(&state["probes"]));
    }
    records.extend(list(&journal["run"]));
    records.extend(list(&journal["rollbacks"]));
    let mut counts = BTreeMap::new();
    for r in records {
        let s = r["status"].as_str().unwrap_or("interrupted").to_string();
        *counts.entry(s).or_insert(0.0) += 1.0;
    }
    counts
}

fn common_labels_of(s: &Series) -> (String, String, String) {
    (
        s.labels["source"].clone(),
        s.labels["chaostoolkit_lib_version"].clone(),
        s.labels["chaostoolkit_run_trace_id"].clone(),
    )
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn a_completed_run_pushes_its_status_duration_and_activity_counts_to_a_real_pushgateway() {
    let dir = common::scratch();
    let gw = start_gateway(dir.path());
    let exp = healthy_experiment(
        dir.path(),
        &gw.address(),
        json!({"pushgateway_url": gw.address(), "job": JOB, "trace_id": "trace-one"}),
    );
    let (out, journal) = common::run(dir.path(), &exp, &[]);
    let journal = journal.expect("a journal");
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(journal["status"], "completed");
    assert_eq!(journal["deviated"], false);
    assert!(
        !common::stderr(&out).contains("could not push"),
        "{}",
        common::stderr(&out)
    );

    // The push before the run: the method read the in-progress gauge at 1.
    let during = journal["run"][0]["output"]["body"]
        .as_str()
        .expect("the gateway's page in the journal");
    let during = pushed(during);
    assert_eq!(
        one(&during, "chaostoolkit_inprogress_experiment", &[]).value,
        1.0
    );
    assert!(
        during
            .iter()
            .all(|s| s.name == "chaostoolkit_inprogress_experiment"),
        "before the run only the in-progress gauge has a sample: {during:#?}"
    );

    // The push after the run.
    let series = gw.series();
    let status = |state: &str| {
        one(
            &series,
            "chaostoolkit_experiment_status",
            &[("chaostoolkit_experiment_status", state)],
        )
        .value
    };
    assert_eq!(status("completed"), 1.0);
    assert_eq!(status("failed"), 0.0);
    assert_eq!(status("aborted"), 0.0);
    assert_eq!(status("interrupted"), 0.0);
    assert_eq!(
        one(&series, "chaostoolkit_inprogress_experiment", &[]).value,
        0.0
    );
    let duration = one(&series, "chaostoolkit_experiment_duration", &[]).value;
    assert!(duration > 0.0, "{duration}");
    let journal_duration = journal["duration"].as_f64().unwrap();
    assert!(
        (duration - journal_duration).abs() < 1e-6,
        "{duration} vs {journal_duration}"
    );
    assert_eq!(
        one(&series, "chaostoolkit_experiment_duration_dist_count", &[]).value,
        1.0
    );
    assert!(
        (one(&series, "chaostoolkit_experiment_duration_dist_sum", &[]).value - duration).abs()
            < 1e-6
    );
    assert_eq!(
        one(
            &series,
            "chaostoolkit_experiment_duration_dist_bucket",
            &[("le", "+Inf")]
        )
        .value,
        1.0
    );
    assert!(
        series
            .iter()
            .all(|s| !s.name.starts_with("chaostoolkit_deviated_experiment")),
        "no deviated counter for a run that did not deviate"
    );
    assert!(series.iter().all(|s| !s.name.ends_with("_created")));

    // Activity counts: marker before and after, the gateway read and the
    // rollback succeeded, the call to nobody failed.
    let activities = |status: &str| {
        one(
            &series,
            "chaostoolkit_experiment_activities",
            &[("chaostoolkit_activity_status", status)],
        )
        .value
    };
    assert_eq!(activities("succeeded"), 4.0);
    assert_eq!(activities("failed"), 1.0);
    assert_eq!(activities("interrupted"), 0.0);
    for (status, n) in journal_counts(&journal) {
        assert_eq!(activities(&status), n, "{status}");
    }

    // Labels: the same on every series; the default grouping key is the
    // experiment's reference.
    let experiment_ref = series[0].labels["chaostoolkit_experiment_ref"].clone();
    assert_eq!(
        experiment_ref.len(),
        24,
        "BLAKE2b-12 in hex: {experiment_ref}"
    );
    assert!(experiment_ref.chars().all(|c| c.is_ascii_hexdigit()));
    for s in &series {
        assert_eq!(
            common_labels_of(s),
            ("chaostoolkit".into(), "1.44.0".into(), "trace-one".into()),
            "{s:?}"
        );
        assert_eq!(s.labels["chaostoolkit_experiment_ref"], experiment_ref);
    }
    let groups = gw.groups();
    assert_eq!(groups.len(), 1, "{groups:#?}");
    assert_eq!(
        groups[0]["labels"],
        json!({"job": JOB, "chaostoolkit_experiment_ref": experiment_ref})
    );
    assert_eq!(groups[0]["last_push_successful"], true);

    // The same experiment is the same group: a second run replaces it.
    let (out, _) = common::run(dir.path(), &exp, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let groups = gw.groups();
    assert_eq!(groups.len(), 1, "{groups:#?}");
    assert_eq!(
        groups[0]["labels"]["chaostoolkit_experiment_ref"],
        experiment_ref
    );
}

#[test]
fn a_deviated_run_counts_its_deviation_under_its_own_grouping_key() {
    let dir = common::scratch();
    let gw = start_gateway(dir.path());
    let marker = dir.path().join("marker");
    std::fs::write(&marker, "").unwrap();
    let exp = json!({
        "title": "a run that deviates", "description": "d",
        "controls": control(json!({
            "pushgateway_url": format!("http://{}/", gw.address()),
            "job": JOB,
            "experiment_ref": "deviating",
            "grouping_key": {"team": "sre/ops", "env": "", "zone": "eu west"}
        })),
        "steady-state-hypothesis": {"title": "the marker is there", "probes": [
            {"type": "probe", "name": "marker", "tolerance": 0,
             "provider": {"type": "process", "path": "test", "arguments": ["-f", &marker]}}]},
        "method": [
            {"type": "action", "name": "remove-the-marker",
             "provider": {"type": "process", "path": "rm", "arguments": ["-f", &marker]}}
        ]
    });
    let (out, journal) = common::run(dir.path(), &exp, &[]);
    let journal = journal.expect("a journal");
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert_eq!(journal["status"], "completed");
    assert_eq!(journal["deviated"], true);

    let series = gw.series();
    assert_eq!(
        one(&series, "chaostoolkit_deviated_experiment_total", &[]).value,
        1.0
    );
    assert_eq!(
        one(
            &series,
            "chaostoolkit_experiment_status",
            &[("chaostoolkit_experiment_status", "completed")]
        )
        .value,
        1.0
    );
    assert_eq!(
        one(&series, "chaostoolkit_inprogress_experiment", &[]).value,
        0.0
    );
    assert!(one(&series, "chaostoolkit_experiment_duration", &[]).value > 0.0);
    let activities = |status: &str| {
        one(
            &series,
            "chaostoolkit_experiment_activities",
            &[("chaostoolkit_activity_status", status)],
        )
        .value
    };
    // The probe's second check ran (it is out of tolerance, not failed).
    assert_eq!(activities("succeeded"), 3.0);
    assert_eq!(activities("failed"), 0.0);
    assert_eq!(activities("interrupted"), 0.0);
    for s in &series {
        assert_eq!(s.labels["chaostoolkit_experiment_ref"], "deviating");
        assert_eq!(s.labels["team"], "sre/ops", "{s:?}");
        assert_eq!(s.labels["env"], "");
        assert_eq!(s.labels["zone"], "eu west");
        assert_eq!(s.labels["chaostoolkit_run_trace_id"].len(), 32);
    }
    let groups = gw.groups();
    assert_eq!(groups.len(), 1, "{groups:#?}");
    assert_eq!(
        groups[0]["labels"],
        json!({"job": JOB, "team": "sre/ops", "env": "", "zone": "eu west"})
    );
}

#[test]
fn a_gateway_that_refuses_connections_changes_neither_the_exit_code_nor_the_journal() {
    let dir = common::scratch();
    let address = format!("127.0.0.1:{}", refusing_port());
    let with = healthy_experiment(
        dir.path(),
        &address,
        json!({"pushgateway_url": address, "job": JOB}),
    );
    let mut without = with.clone();
    without.as_object_mut().unwrap().remove("controls");

    let (plain, plain_journal) = common::run(dir.path(), &without, &[]);
    let started = Instant::now();
    let (out, journal) = common::run(dir.path(), &with, &[]);
    let elapsed = started.elapsed();
    let (plain_journal, journal) = (plain_journal.unwrap(), journal.expect("a journal"));
    assert_eq!(
        out.status.code(),
        plain.status.code(),
        "{}",
        common::stderr(&out)
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(journal["status"], "completed");
    assert_eq!(journal["status"], plain_journal["status"]);
    assert_eq!(journal["deviated"], plain_journal["deviated"]);
    assert!(journal.get("interruption").is_none());
    assert!(
        elapsed < Duration::from_secs(10),
        "a refused connection costs nothing like the timeout: {elapsed:?}"
    );
    let stderr = common::stderr(&out);
    assert_eq!(
        stderr.matches("could not push metrics").count(),
        2,
        "both pushes are reported:\n{stderr}"
    );
}
