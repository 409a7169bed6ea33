//! `chaos proxy serve`, the real binary: its API, `--config`, and a clean
//! stop on SIGTERM that closes its proxies. Everything on 127.0.0.1.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

/// A port free right now (bound, read, released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn echo() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 || s.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}

/// One HTTP/1.1 request with `Connection: close`; returns status and body.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split_whitespace().nth(1)?.parse().ok()?;
    let (_, body) = out.split_once("\r\n\r\n")?;
    Some((status, body.to_string()))
}

fn roundtrip(listen: &str) -> bool {
    let Ok(mut c) = TcpStream::connect(listen.parse::<SocketAddr>().unwrap()) else {
        return false;
    };
    c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut got = [0u8; 4];
    c.write_all(b"ping").is_ok() && c.read_exact(&mut got).is_ok() && &got == b"ping"
}

fn refused(listen: &str) -> bool {
    matches!(
        TcpStream::connect(listen.parse::<SocketAddr>().unwrap()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

/// Starts the server; waits until its API answers.
fn serve(dir: &std::path::Path, args: &[&str]) -> (Child, u16) {
    let port = free_port();
    let mut child = common::chaos(dir)
        .args(["proxy", "serve", "--port", &port.to_string()])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Some((200, _)) = http(port, "GET", "/version", None) {
            return (child, port);
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("chaos proxy serve exited {status}: {err}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the API never answered on {port}");
}

/// SIGTERM, then the exit code (within 10 s).
fn terminate(mut child: Child) -> i32 {
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("no exit 10 s after SIGTERM");
}

#[test]
fn serve_answers_the_api_and_stops_its_proxies_on_sigterm() {
    let dir = common::scratch();
    let up = echo().to_string();
    let config = dir.path().join("proxies.json");
    std::fs::write(
        &config,
        json!([
            {"name": "from_config", "listen": "127.0.0.1:0", "upstream": up},
            {"name": "off", "listen": "127.0.0.1:0", "upstream": up, "enabled": false}
        ])
        .to_string(),
    )
    .unwrap();
    let (child, port) = serve(dir.path(), &["--config", config.to_str().unwrap()]);

    let (status, body) = http(port, "GET", "/version", None).unwrap();
    assert_eq!(
        (status, body.as_str()),
        (200, "{\"version\": \"2.12.0\"}\n")
    );

    // --config created the proxies at start.
    let (status, body) = http(port, "GET", "/proxies", None).unwrap();
    assert_eq!(status, 200);
    let all: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(all["from_config"]["enabled"], json!(true));
    assert_eq!(all["off"]["enabled"], json!(false));
    let configured = all["from_config"]["listen"].as_str().unwrap().to_string();
    assert!(roundtrip(&configured));

    // Create one over the API, add a toxic, use it.
    let (status, body) = http(
        port,
        "POST",
        "/proxies",
        Some(&json!({"name": "api", "listen": "127.0.0.1:0", "upstream": up})),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let listen = created["listen"].as_str().unwrap().to_string();
    assert!(roundtrip(&listen));
    let (status, _) = http(
        port,
        "POST",
        "/proxies/api/toxics",
        Some(&json!({"type": "latency", "attributes": {"latency": 50}})),
    )
    .unwrap();
    assert_eq!(status, 200);
    let t = Instant::now();
    assert!(roundtrip(&listen));
    assert!(t.elapsed() >= Duration::from_millis(50));

    // An open connection at the time of the signal.
    let mut open = TcpStream::connect(configured.parse::<SocketAddr>().unwrap()).unwrap();
    open.set_read_timeout(Some(Duration::from_secs(5))).unwrap();

    // And an idle keep-alive connection to the API: it must not hold the
    // exit back.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.write_all(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    assert_eq!(terminate(child), 0);
    assert!(refused(&listen), "api proxy still accepts");
    assert!(refused(&configured), "configured proxy still accepts");
    assert!(http(port, "GET", "/version", None).is_none());
    let mut buf = [0u8; 8];
    assert!(
        matches!(open.read(&mut buf), Ok(0) | Err(_)),
        "open connection closed"
    );
}

#[test]
fn a_bad_config_fails_the_start() {
    let dir = common::scratch();
    let config = dir.path().join("proxies.json");
    std::fs::write(
        &config,
        r#"[{"listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}]"#,
    )
    .unwrap();
    let out = common::chaos(dir.path())
        .args(["proxy", "serve", "--port", &free_port().to_string()])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = common::stderr(&out);
    assert!(
        err.contains("missing required field: name at proxy 1"),
        "{err}"
    );
}

#[test]
fn port_zero_picks_a_port_and_says_which() {
    use std::io::BufRead;
    let dir = common::scratch();
    let mut child = common::chaos(dir.path())
        .args(["proxy", "serve", "--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let port: u16 = first
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {first:?}"));
    assert_ne!(port, 0);
    let (status, body) = http(port, "GET", "/version", None).unwrap();
    assert_eq!(
        (status, body.as_str()),
        (200, "{\"version\": \"2.12.0\"}\n")
    );
    // Keep draining stderr so the child never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    assert_eq!(terminate(child), 0);
}
