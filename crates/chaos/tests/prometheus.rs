//! The real `chaostoolkit-prometheus` extension (0.6.0, from PyPI), unchanged,
//! through `chaos`'s Python bridge, against a real Prometheus server (Debian's
//! `/usr/bin/prometheus`) scraping a gauge that the test serves and changes.
//!
//! The venv holds `chaostoolkit-lib` and `chaostoolkit-prometheus` only:
//! `chaosprometheus` imports `logzero` without declaring it, so the run also
//! proves the bridge's logzero stand-in. All traffic stays on 127.0.0.1 and
//! every wait is bounded.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const PROMETHEUS: &str = "/usr/bin/prometheus";
const LIB: &str = "chaostoolkit-lib==1.44.0";
const EXTENSION: &str = "chaostoolkit-prometheus==0.6.0";
const METRIC: &str = "chaos_test_queue_depth";
const JOB: &str = "chaos-e2e";

// ---------------------------------------------------------------------------
// The venv

/// Prints the two versions, and whether `logzero` is importable, without
/// importing `chaosprometheus` (which needs logzero).
const VENV_CHECK: &str = r#"
import importlib.metadata as m, importlib.util as u
print(m.version("chaostoolkit-lib"), m.version("chaostoolkit-prometheus"),
      u.find_spec("chaosprometheus") is not None, u.find_spec("logzero") is not None)
"#;

fn venv_ok(python: &Path) -> bool {
    let Ok(out) = Command::new(python)
        .arg("-c")
        .arg(VENV_CHECK)
        .stderr(Stdio::null())
        .output()
    else {
        return false;
    };
    out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "1.44.0 0.6.0 True False"
}

fn run_ok(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A venv with the two packages (and no logzero), cached under the target
/// folder's test scratch space and reused while it still fits. Built aside
/// and renamed into place, so concurrent test runs never see half of one.
fn venv_python() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let venv = root.join("chaostoolkit-prometheus-0.6.0-venv");
    let python = venv.join("bin").join("python");
    if venv_ok(&python) {
        return python;
    }
    let building = root.join(format!(
        "chaostoolkit-prometheus-venv.{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&building);
    run_ok(
        Command::new("python3").args(["-m", "venv"]).arg(&building),
        "python3 -m venv",
    );
    run_ok(
        Command::new(building.join("bin").join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args([LIB, EXTENSION]),
        "pip install chaostoolkit-lib chaostoolkit-prometheus",
    );
    assert!(
        venv_ok(&building.join("bin").join("python")),
        "the new venv at {} does not hold {LIB} and {EXTENSION} without logzero",
        building.display()
    );
    // Replace a stale venv; if another run put a good one in place first, use it.
    if !venv_ok(&python) {
        let _ = std::fs::remove_dir_all(&venv);
        if std::fs::rename(&building, &venv).is_ok() {
            return python;
        }
    }
    let _ = std::fs::remove_dir_all(&building);
    assert!(venv_ok(&python), "no usable venv at {}", venv.display());
    python
}

// ---------------------------------------------------------------------------
// The exporter: `/metrics` with one gauge, `/set?value=N` to change it.

struct Exporter {
    port: u16,
    value: Arc<AtomicU64>,
    scrapes: Arc<AtomicU64>,
}

fn exporter(initial: u64) -> Exporter {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let value = Arc::new(AtomicU64::new(initial));
    let scrapes = Arc::new(AtomicU64::new(0));
    let (v, s) = (value.clone(), scrapes.clone());
    // The thread ends with the test process; the listener is loopback only.
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (v, s) = (v.clone(), s.clone());
            std::thread::spawn(move || serve(stream, &v, &s));
        }
    });
    Exporter {
        port,
        value,
        scrapes,
    }
}

fn serve(mut stream: TcpStream, value: &AtomicU64, scrapes: &AtomicU64) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let (status, ctype, body) = match path {
        "/metrics" => {
            scrapes.fetch_add(1, Ordering::SeqCst);
            let v = value.load(Ordering::SeqCst);
            (
                "200 OK",
                "text/plain; version=0.0.4; charset=utf-8",
                format!(
                    "# HELP {METRIC} Items waiting in the test's queue.\n\
                     # TYPE {METRIC} gauge\n{METRIC} {v}\n"
                ),
            )
        }
        "/set" => match query
            .split('&')
            .find_map(|kv| kv.strip_prefix("value="))
            .and_then(|v| v.parse::<u64>().ok())
        {
            Some(v) => {
                value.store(v, Ordering::SeqCst);
                ("200 OK", "application/json", format!("{{\"value\": {v}}}"))
            }
            None => (
                "400 Bad Request",
                "text/plain",
                "want /set?value=N\n".into(),
            ),
        },
        _ => ("404 Not Found", "text/plain", "not found\n".into()),
    };
    let _ = stream.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}

// ---------------------------------------------------------------------------
// Prometheus

/// Kills Prometheus when the test ends, passing or panicking.
struct PrometheusGuard {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for PrometheusGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PrometheusGuard {
    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GET on the API, parsed as JSON; None while it cannot answer.
    fn api(&self, path_and_query: &str) -> Option<Value> {
        let body = http_get(self.port, path_and_query)?;
        serde_json::from_str(&body).ok()
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
fn http_get(port: u16, path_and_query: &str) -> Option<String> {
    let addr = ([127, 0, 0, 1], port).into();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_string())
}

fn start_prometheus(dir: &Path, exporter_port: u16) -> PrometheusGuard {
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: {JOB}\n    static_configs:\n      \
             - targets: ['127.0.0.1:{exporter_port}']\n"
        ),
    )
    .unwrap();
    let log = dir.join("prometheus.log");
    // The free port may be taken between the probe and Prometheus's bind:
    // a Prometheus that exits before it is ready gets another port.
    for _attempt in 0..3 {
        let port = free_port();
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {PROMETHEUS}: {e}"));
        let mut prom = PrometheusGuard {
            child,
            port,
            log: log.clone(),
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if prom.child.try_wait().ok().flatten().is_some() {
                break;
            }
            if http_get(port, "/-/ready").is_some() {
                return prom;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "prometheus on port {port} did not get ready:\n{}",
            prom.log_text()
        );
    }
    panic!(
        "prometheus did not start in 3 attempts; its last log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

/// The value of `METRIC` as Prometheus reports it now, if it has a sample.
fn current_value(prom: &PrometheusGuard) -> Option<String> {
    let answer = prom.api(&format!("/api/v1/query?query={METRIC}"))?;
    answer["data"]["result"][0]["value"][1]
        .as_str()
        .map(str::to_string)
}

/// Waits (at most `limit`) until Prometheus reports the target up and holds
/// a sample of the gauge equal to `want`.
fn wait_for_sample(prom: &mut PrometheusGuard, want: &str, limit: Duration) {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = prom.child.try_wait() {
            panic!("prometheus exited early ({status}):\n{}", prom.log_text());
        }
        let up = prom
            .api("/api/v1/targets")
            .map(|t| {
                t["data"]["activeTargets"].as_array().is_some_and(|a| {
                    a.iter()
                        .any(|x| x["health"] == "up" && x["labels"]["job"] == JOB)
                })
            })
            .unwrap_or(false);
        if up && current_value(prom).as_deref() == Some(want) {
            eprintln!(
                "prometheus on port {} scraped {METRIC}={want} after {:.1}s",
                prom.port,
                start.elapsed().as_secs_f64()
            );
            return;
        }
        if start.elapsed() > limit {
            panic!(
                "prometheus did not report the target up with {METRIC}={want} within {limit:?} \
                 (target up: {up}, value: {:?}):\n{}",
                current_value(prom),
                prom.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

// ---------------------------------------------------------------------------
// The test

fn query_probe(name: &str, expect: &str) -> Value {
    json!({
        "type": "probe",
        "name": name,
        "provider": {
            "type": "python",
            "module": "chaosprometheus.probes",
            "func": "query",
            "arguments": {"query": METRIC}
        },
        "tolerance": {
            "type": "jsonpath",
            "path": "$.data.result[0].value[1]",
            "expect": expect
        }
    })
}

/// The value in a `query` probe's output, after checking that it is
/// Prometheus's answer for the scraped series.
fn queried_value(run: &Value, exporter_port: u16) -> String {
    let output = &run["output"];
    assert_eq!(output["status"], "success", "{run:#}");
    assert_eq!(output["data"]["resultType"], "vector", "{run:#}");
    let series = &output["data"]["result"][0];
    assert_eq!(series["metric"]["__name__"], METRIC, "{run:#}");
    assert_eq!(series["metric"]["job"], JOB, "{run:#}");
    assert_eq!(
        series["metric"]["instance"],
        format!("127.0.0.1:{exporter_port}"),
        "{run:#}"
    );
    assert!(series["value"][0].is_number(), "a timestamp: {run:#}");
    series["value"][1].as_str().unwrap_or_default().to_string()
}

#[test]
fn chaosprometheus_query_sees_a_real_prometheus_deviate() {
    assert!(
        Path::new(PROMETHEUS).exists(),
        "{PROMETHEUS} is missing: `apt-get install prometheus` (.ci/run does it)"
    );
    let python = venv_python();

    let dir = common::scratch();
    let exporter = exporter(3);
    let mut prom = start_prometheus(dir.path(), exporter.port);
    wait_for_sample(&mut prom, "3", Duration::from_secs(30));

    let experiment = json!({
        "title": "The queue stays shallow",
        "description": "chaostoolkit-prometheus's query probe against a real Prometheus",
        "configuration": {"prometheus_base_url": prom.base_url()},
        "steady-state-hypothesis": {
            "title": "three items wait in the queue",
            "probes": [query_probe("queue-depth-is-3", "3")]
        },
        "method": [{
            "type": "action",
            "name": "fill-the-queue",
            "provider": {
                "type": "http",
                "url": format!("http://127.0.0.1:{}/set?value=9", exporter.port),
                "timeout": 5
            },
            // Prometheus scrapes every second: leave it a few scrapes.
            "pauses": {"after": 4}
        }],
        "rollbacks": []
    });
    let path = common::write_experiment(dir.path(), "experiment.json", &experiment);
    let journal_path = dir.path().join("journal.json");
    let started = Instant::now();
    let out = common::chaos(dir.path())
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_PYTHON")
        .env_remove("PYTHONPATH")
        .arg("run")
        .arg("--python")
        .arg(&python)
        .arg("--journal-path")
        .arg(&journal_path)
        .arg(&path)
        .output()
        .unwrap();
    let stderr = common::stderr(&out);
    eprintln!("chaos's stderr:\n{stderr}");
    eprintln!(
        "chaos run took {:.1}s; exporter scraped {} times",
        started.elapsed().as_secs_f64(),
        exporter.scrapes.load(Ordering::SeqCst)
    );
    let journal: Value = serde_json::from_str(
        &std::fs::read_to_string(&journal_path)
            .unwrap_or_else(|e| panic!("no journal ({e}); stderr:\n{stderr}")),
    )
    .expect("the journal parses");
    if std::env::var_os("TMP_DUMP").is_some() {
        eprintln!("{journal:#}");
    }

    assert_eq!(
        out.status.code(),
        Some(1),
        "a deviated run exits 1:\n{stderr}"
    );
    assert_eq!(journal["status"], "completed", "{journal:#}");
    assert_eq!(journal["deviated"], true, "{journal:#}");
    assert_eq!(
        exporter.value.load(Ordering::SeqCst),
        9,
        "the http action set the gauge"
    );

    let ssh = &journal["steady_states"];
    let before = &ssh["before"];
    assert_eq!(before["steady_state_met"], true, "{journal:#}");
    let before_run = &before["probes"][0];
    assert_eq!(before_run["status"], "succeeded", "{journal:#}");
    assert_eq!(before_run["tolerance_met"], true, "{journal:#}");
    assert_eq!(queried_value(before_run, exporter.port), "3");

    let method = &journal["run"][0];
    assert_eq!(method["status"], "succeeded", "{journal:#}");
    assert_eq!(method["output"]["status"], 200, "{journal:#}");

    let after = &ssh["after"];
    assert_eq!(after["steady_state_met"], false, "{journal:#}");
    let after_run = &after["probes"][0];
    assert_eq!(after_run["status"], "succeeded", "{journal:#}");
    assert_eq!(after_run["tolerance_met"], false, "{journal:#}");
    assert_eq!(queried_value(after_run, exporter.port), "9");

    // The time series went 3 then 9 in Prometheus itself.
    assert_eq!(current_value(&prom).as_deref(), Some("9"));
    drop(prom);
}
