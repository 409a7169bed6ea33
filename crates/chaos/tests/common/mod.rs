//! Helpers shared by the end-to-end tests: the real binary, scratch folders,
//! and a small HTTP server on loopback.
#![allow(dead_code)]

pub mod k8s;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

/// The binary under test.
pub fn chaos_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_chaos"))
}

/// `chaos` with no log file, in `dir`.
pub fn chaos(dir: &Path) -> Command {
    let mut c = Command::new(chaos_bin());
    c.current_dir(dir)
        .arg("--no-log-file")
        .env("NO_COLOR", "1")
        .env_remove("CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN");
    // Keep the user's own settings out of the tests.
    c.arg("--settings").arg(dir.join("no-settings.yaml"));
    c
}

/// Writes `experiment` as JSON in `dir` and returns its path.
pub fn write_experiment(dir: &Path, name: &str, experiment: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(experiment).unwrap()).unwrap();
    p
}

/// Runs `chaos run` on an experiment value; returns the output and the journal.
pub fn run(dir: &Path, experiment: &Value, extra: &[&str]) -> (Output, Option<Value>) {
    let path = write_experiment(dir, "experiment.json", experiment);
    let journal = dir.join("journal.json");
    let _ = std::fs::remove_file(&journal);
    let out = chaos(dir)
        .arg("run")
        .args(extra)
        .arg("--journal-path")
        .arg(&journal)
        .arg(&path)
        .output()
        .unwrap();
    let j = std::fs::read_to_string(&journal)
        .ok()
        .map(|t| serde_json::from_str(&t).expect("journal parses"));
    (out, j)
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch folder.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("chaos-e2e-")
        .tempdir()
        .unwrap()
}

/// A minimal HTTP/1.1 server on 127.0.0.1 for tests. Routes:
/// `/status/N`, `/json` (application/json), `/text`, `/slow?ms=N`,
/// `/echo` (JSON of method, path, query, headers, body), `/` (200 ok).
pub struct TestServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl TestServer {
    pub fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    std::thread::spawn(move || {
                        let _ = serve(stream);
                    });
                }
            }
        });
        TestServer { port, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("/").to_string();
        let mut headers = serde_json::Map::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
                if k == "content-length" {
                    length = v.parse().unwrap_or(0);
                }
                headers.insert(k, Value::String(v));
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let (status, ctype, payload): (u16, &str, String) = if let Some(code) =
            path.strip_prefix("/status/")
        {
            (code.parse().unwrap_or(500), "text/plain", code.to_string())
        } else if path == "/json" {
            (200, "application/json", r#"{"status":"ok","count":2,"items":[{"name":"a","healthy":true},{"name":"b","healthy":false}]}"#.into())
        } else if path == "/text" {
            (
                200,
                "text/plain",
                "service web is healthy\nversion=1.2.3\n".into(),
            )
        } else if path == "/slow" {
            let ms: u64 = query
                .strip_prefix("ms=")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1000);
            std::thread::sleep(Duration::from_millis(ms.min(10_000)));
            (200, "text/plain", "slow ok".into())
        } else if path == "/echo" {
            let v = serde_json::json!({"method": method, "path": path, "query": query, "headers": headers, "body": String::from_utf8_lossy(&body)});
            (200, "application/json", v.to_string())
        } else {
            (200, "text/plain", "ok".into())
        };
        write!(
            writer,
            "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{payload}",
            payload.len()
        )?;
        writer.flush()?;
    }
}

/// A virtualenv with `requirements` installed from PyPI, made on first need
/// under the target folder and kept (a marker file records what it holds);
/// returns its interpreter. Built aside and renamed into place, so a
/// concurrent or interrupted run never leaves a half-made environment.
pub fn venv(name: &str, requirements: &[&str]) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-venvs");
    let venv = root.join(name);
    let marker = venv.join("chaos-test-requirements.txt");
    let wanted = requirements.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return venv.join("bin").join("python");
    }
    std::fs::create_dir_all(&root).unwrap();
    let _ = std::fs::remove_dir_all(&venv);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let building = root.join(format!("{name}-building-{}-{nanos}", std::process::id()));
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
    let installed = Command::new(building.join("bin").join("python"))
        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
        .args(requirements)
        .output()
        .unwrap();
    assert!(
        installed.status.success(),
        "pip install {} failed: {}",
        requirements.join(" "),
        String::from_utf8_lossy(&installed.stderr)
    );
    std::fs::write(building.join("chaos-test-requirements.txt"), &wanted).unwrap();
    if std::fs::rename(&building, &venv).is_err() {
        // Another run got there first.
        let _ = std::fs::remove_dir_all(&building);
    }
    assert!(marker.exists(), "the test virtualenv is not in place");
    venv.join("bin").join("python")
}
