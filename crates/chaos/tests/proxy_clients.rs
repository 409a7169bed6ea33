//! Real Toxiproxy clients nobody here wrote, against `chaos proxy serve`
//! (the binary, on a free loopback port, stopped with SIGTERM):
//!
//! - toxiproxy-python 0.1.1 (PyPI) and toxiproxy-node-client 4.1.0 (npm)
//!   drive it through their own APIs, with real upstreams on loopback, and
//!   check the effects (a latency toxic measurably delays, a disabled proxy
//!   refuses connections, ...);
//! - an experiment calling chaostoolkit-toxiproxy's functions by module and
//!   function runs through the native driver (no Python at all), then through
//!   the Python bridge with the real chaostoolkit-toxiproxy 0.3.1
//!   (`CHAOS_FORCE_PYTHON=chaostoxi`): the journals hold the same outputs.
//!
//! The virtualenvs and the npm install are made on first need (network to
//! PyPI and npm) and kept under the target folder.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

/// `chaos proxy serve` on a free loopback port, stopped (SIGTERM) on drop.
struct ProxyServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A bounded HTTP/1.0 GET on loopback; the status and body.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let addr = ([127, 0, 0, 1], port).into();
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    let status = answer.split_whitespace().nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

impl ProxyServer {
    fn start() -> ProxyServer {
        for _ in 0..5 {
            let dir = common::scratch();
            let port = free_port();
            let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
            let mut child = common::chaos(dir.path())
                .args(["proxy", "serve", "--host", "127.0.0.1", "--port"])
                .arg(port.to_string())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("chaos proxy serve starts");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if let Some((200, body)) = http_get(port, "/version") {
                    assert!(body.contains("version"), "{body}");
                    return ProxyServer { child, port, dir };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // The port was taken meanwhile, or it did not come up: again.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("chaos proxy serve did not come up");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                if !std::thread::panicking() {
                    assert!(status.success(), "SIGTERM: {status}\n{}", self.log());
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            panic!("chaos proxy serve ignored SIGTERM\n{}", self.log());
        }
    }
}

/// A TCP echo server on loopback: every connection gets its bytes back.
fn echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 16 * 1024];
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    port
}

/// Runs a client script; panics with its output unless it prints `OK`.
fn run_script(mut command: Command, what: &str, server: &ProxyServer) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().any(|l| l == "OK"),
        "{what} failed ({})\nstdout:\n{stdout}\nstderr:\n{}\nserver log:\n{}",
        out.status,
        common::stderr(&out),
        server.log()
    );
}

const PYTHON_CLIENT: &str = r#"
import socket, sys, time, urllib.request
from toxiproxy import Toxiproxy
from toxiproxy.exceptions import ProxyExists, NotFound

api_port, echo_port, http_port = map(int, sys.argv[1:4])
server = Toxiproxy()
server.update_api_consumer("127.0.0.1", api_port)
assert server.running()
assert b'"version"' in server.version(), server.version()
server.destroy_all()

def roundtrip(port, payload=b"ping"):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        data = b""
        while len(data) < len(payload):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data, time.monotonic() - started

def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True

def port_of(proxy):
    return int(proxy.listen.rsplit(":", 1)[1])

echo = server.create(upstream="127.0.0.1:%d" % echo_port, name="py_echo")
assert echo.listen.startswith("127.0.0.1:") and port_of(echo) > 0, echo.listen
assert echo.enabled is True
port = port_of(echo)
data, fast = roundtrip(port)
assert data == b"ping", data
try:
    server.create(upstream="127.0.0.1:%d" % echo_port, name="py_echo")
    raise SystemExit("a second py_echo was accepted")
except ProxyExists:
    pass
assert set(server.proxies()) == {"py_echo"}, server.proxies()
assert server.get_proxy("py_echo").upstream == "127.0.0.1:%d" % echo_port

# A latency toxic measurably delays the answers, and only while it is there.
echo.add_toxic(type="latency", attributes={"latency": 300})
toxic = echo.get_toxic("latency_downstream")
assert toxic.type == "latency" and toxic.stream == "downstream", vars(toxic)
assert toxic.attributes["latency"] == 300 and toxic.toxicity == 1, vars(toxic)
data, slow = roundtrip(port)
assert data == b"ping" and slow >= 0.29, (data, slow)
assert echo.destroy_toxic("latency_downstream")
data, fast = roundtrip(port)
assert data == b"ping" and fast < 0.25, (data, fast)
try:
    echo.destroy_toxic("latency_downstream")
    raise SystemExit("a missing toxic was destroyed")
except NotFound:
    pass

# limit_data closes after exactly that many bytes.
echo.add_toxic(type="limit_data", name="four", attributes={"bytes": 4})
data, _ = roundtrip(port, b"pingpong")
assert data == b"ping", data
echo.destroy_toxic("four")

# An HTTP upstream, its requests delayed (upstream stream).
web = server.create(upstream="127.0.0.1:%d" % http_port, name="py_web", listen="127.0.0.1:0")
url = "http://127.0.0.1:%d/json" % port_of(web)
web.add_toxic(type="latency", stream="upstream", name="slow_requests", attributes={"latency": 250})
started = time.monotonic()
with urllib.request.urlopen(url, timeout=5) as answer:
    body = answer.read()
assert answer.status == 200 and b'"status":"ok"' in body, body
assert time.monotonic() - started >= 0.24
assert set(web.toxics()) == {"slow_requests"}, web.toxics()

# Down and up again: refused while disabled, same port after.
echo.disable()
assert echo.enabled is False and refused(port)
echo.enable()
assert roundtrip(port)[0] == b"ping"
with echo.down():
    assert refused(port)
assert roundtrip(port)[0] == b"ping"

# reset: every proxy enabled, every toxic gone.
echo.add_toxic(type="latency", attributes={"latency": 1000})
echo.disable()
assert server.reset()
assert server.get_proxy("py_echo").enabled is True
assert echo.toxics() == {} and web.toxics() == {}
data, fast = roundtrip(port)
assert data == b"ping" and fast < 0.25, (data, fast)

# populate (the client's own: GET, DELETE, POST).
made = server.populate([{"name": "py_more", "upstream": "127.0.0.1:%d" % echo_port, "listen": "127.0.0.1:0"}])
assert [p.name for p in made] == ["py_more"]
assert roundtrip(port_of(made[0]))[0] == b"ping"

assert server.destroy(echo)
assert server.get_proxy("py_echo") is None and refused(port)
try:
    echo.destroy()
    raise SystemExit("a missing proxy was destroyed")
except NotFound:
    pass
server.destroy_all()
assert server.proxies() == {}
print("OK")
"#;

#[test]
fn toxiproxy_python_drives_chaos_proxy() {
    let python = common::venv(
        "toxiproxy-python-0.1.1",
        &["toxiproxy-python==0.1.1", "future==1.0.0"],
    );
    let server = ProxyServer::start();
    let echo = echo_server();
    let web = common::TestServer::start();
    let dir = common::scratch();
    let script = dir.path().join("client.py");
    std::fs::write(&script, PYTHON_CLIENT).unwrap();
    let mut command = Command::new(python);
    command
        .arg(&script)
        .arg(server.port.to_string())
        .arg(echo.to_string())
        .arg(web.port.to_string());
    run_script(command, "toxiproxy-python", &server);
}

/// toxiproxy-node-client 4.1.0 installed with npm under the target folder
/// (made aside and renamed into place, as the virtualenvs); its
/// `node_modules`.
fn node_client() -> &'static Path {
    static MODULES: OnceLock<PathBuf> = OnceLock::new();
    MODULES.get_or_init(|| {
        let package = "toxiproxy-node-client@4.1.0";
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-npm");
        let place = root.join("toxiproxy-node-client-4.1.0");
        let marker = place.join("chaos-test-package.txt");
        if std::fs::read_to_string(&marker).ok().as_deref() == Some(package) {
            return place.join("node_modules");
        }
        std::fs::create_dir_all(&root).unwrap();
        let _ = std::fs::remove_dir_all(&place);
        let building = root.join(format!("building-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&building);
        std::fs::create_dir_all(&building).unwrap();
        let out = Command::new("npm")
            .args([
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--no-package-lock",
                "--prefix",
            ])
            .arg(&building)
            .arg(package)
            .output()
            .expect("npm is installed (node 20 and npm: see .ci/run)");
        assert!(
            out.status.success(),
            "npm install {package} failed: {}",
            common::stderr(&out)
        );
        std::fs::write(building.join("chaos-test-package.txt"), package).unwrap();
        if std::fs::rename(&building, &place).is_err() {
            let _ = std::fs::remove_dir_all(&building);
        }
        assert!(marker.exists(), "the npm install is not in place");
        place.join("node_modules")
    })
}

const NODE_CLIENT: &str = r#"
const { Toxiproxy } = require("toxiproxy-node-client");
const net = require("net");
const assert = require("assert");
const [apiPort, echoPort, httpPort] = process.argv.slice(2).map(Number);

function roundtrip(port, payload = "ping") {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = net.connect(port, "127.0.0.1", () => socket.write(payload));
    let data = "";
    socket.on("data", (chunk) => {
      data += chunk;
      if (data.length >= payload.length) socket.end();
    });
    socket.on("close", () =>
      resolve({ data, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    socket.on("error", reject);
    socket.setTimeout(5000, () => reject(new Error("timed out")));
  });
}

function refused(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("connect", () => { socket.destroy(); resolve(false); });
    socket.on("error", (e) => resolve(e.code === "ECONNREFUSED"));
  });
}

async function rejects(promise, what) {
  try { await promise; } catch (e) { return e; }
  throw new Error(`${what} did not fail`);
}

const portOf = (proxy) => Number(proxy.listen.split(":").pop());

(async () => {
  const toxiproxy = new Toxiproxy(`http://127.0.0.1:${apiPort}`);
  assert.match(await toxiproxy.getVersion(), /"version"/);

  const proxy = await toxiproxy.createProxy({
    name: "node_echo", listen: "127.0.0.1:0", upstream: `127.0.0.1:${echoPort}`,
  });
  assert.equal(proxy.enabled, true);
  const port = portOf(proxy);
  assert.ok(port > 0, proxy.listen);
  assert.equal((await roundtrip(port)).data, "ping");
  const dup = await rejects(toxiproxy.createProxy({
    name: "node_echo", listen: "127.0.0.1:0", upstream: `127.0.0.1:${echoPort}`,
  }), "a second node_echo");
  assert.match(dup.message, /409/);
  assert.deepEqual(Object.keys(await toxiproxy.getAll()), ["node_echo"]);
  assert.equal((await toxiproxy.get("node_echo")).listen, proxy.listen);

  // Name and stream left to the server: latency_downstream, toxicity 1.
  const toxic = await proxy.addToxic({ type: "latency", attributes: { latency: 300 } });
  assert.equal(toxic.name, "latency_downstream");
  assert.equal(toxic.stream, "downstream");
  assert.equal(toxic.toxicity, 1);
  assert.equal(toxic.attributes.latency, 300);
  let trip = await roundtrip(port);
  assert.ok(trip.data === "ping" && trip.ms >= 290, JSON.stringify(trip));
  const updated = await toxic.update({ attributes: { latency: 600 }, toxicity: 1 });
  assert.equal(updated.attributes.latency, 600);
  assert.equal(updated.attributes.jitter, 0);
  assert.equal((await proxy.getToxic("latency_downstream")).attributes.latency, 600);
  trip = await roundtrip(port);
  assert.ok(trip.data === "ping" && trip.ms >= 590, JSON.stringify(trip));
  await toxic.remove();
  trip = await roundtrip(port);
  assert.ok(trip.data === "ping" && trip.ms < 250, JSON.stringify(trip));
  await rejects(proxy.getToxic("latency_downstream"), "a removed toxic");
  await rejects(proxy.addToxic({ type: "down", attributes: {} }), "the 'down' toxic type");

  // Disabled with the full body the client sends; same port when enabled.
  const body = { listen: proxy.listen, upstream: proxy.upstream };
  const disabled = await proxy.update({ ...body, enabled: false });
  assert.equal(disabled.enabled, false);
  assert.ok(await refused(port));
  const enabled = await proxy.update({ ...body, enabled: true });
  assert.equal(enabled.listen, proxy.listen);
  assert.equal((await roundtrip(port)).data, "ping");

  // populate, then an HTTP request through what it made.
  const made = await toxiproxy.populate([
    { name: "node_web", listen: "127.0.0.1:0", upstream: `127.0.0.1:${httpPort}` },
  ]);
  const web = made.node_web;
  await web.addToxic({ type: "latency", stream: "upstream", name: "slow_requests",
                       attributes: { latency: 250 } });
  const started = Date.now();
  const answer = await fetch(`http://127.0.0.1:${portOf(web)}/json`);
  assert.equal(answer.status, 200);
  assert.equal((await answer.json()).status, "ok");
  assert.ok(Date.now() - started >= 240);

  // reset: enabled again, toxics gone.
  await proxy.addToxic({ type: "timeout", name: "stall", attributes: { timeout: 0 } });
  await proxy.update({ ...body, enabled: false });
  await toxiproxy.reset();
  assert.equal((await toxiproxy.get("node_echo")).enabled, true);
  await rejects(proxy.getToxic("stall"), "a toxic after reset");
  await rejects(web.getToxic("slow_requests"), "a toxic after reset");
  assert.equal((await roundtrip(port)).data, "ping");

  await proxy.remove();
  await web.remove();
  assert.ok(await refused(port));
  await rejects(toxiproxy.get("node_echo"), "a removed proxy");
  assert.deepEqual(await toxiproxy.getAll(), {});
  console.log("OK");
})().catch((e) => { console.error(e); process.exit(1); });
"#;

#[test]
fn toxiproxy_node_client_drives_chaos_proxy() {
    let modules = node_client();
    let server = ProxyServer::start();
    let echo = echo_server();
    let web = common::TestServer::start();
    let dir = common::scratch();
    let script = dir.path().join("client.js");
    std::fs::write(&script, NODE_CLIENT).unwrap();
    let mut command = Command::new("node");
    command
        .env("NODE_PATH", modules)
        .arg(&script)
        .arg(server.port.to_string())
        .arg(echo.to_string())
        .arg(web.port.to_string());
    run_script(command, "toxiproxy-node-client", &server);
}

/// An activity calling chaostoxi's `module.func` with `arguments`.
fn chaostoxi(kind: &str, name: &str, module: &str, func: &str, arguments: Value) -> Value {
    json!({
        "type": kind,
        "name": name,
        "provider": {"type": "python", "module": format!("chaostoxi.{module}"),
                     "func": func, "arguments": arguments},
    })
}

/// Every chaostoxi function, with the answers and failures the extension
/// gives, through a proxy in front of a real HTTP server.
fn toxi_experiment(api: u16, listen: u16, upstream: u16) -> Value {
    let web = json!({"proxy_name": "web"});
    let attr = |a: &str| json!({"proxy_name": "web", "attribute": a});
    let toxic = |name: &str| json!({"for_proxy": "web", "toxic_name": name});
    let with = |mut base: Value, extra: Value| {
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    };
    json!({
        "title": "chaostoxi through chaos proxy serve",
        "description": "every chaostoolkit-toxiproxy function, native or through the extension",
        "configuration": {"toxiproxy_host": "127.0.0.1", "toxiproxy_port": api},
        "steady-state-hypothesis": {
            "title": "no proxy is left behind",
            "probes": [{
                "type": "probe", "name": "no-web-proxy", "tolerance": false,
                "provider": {"type": "python", "module": "chaostoxi.proxy.probes",
                             "func": "proxy_exist", "arguments": web},
            }],
        },
        "method": [
            chaostoxi("action", "create", "proxy.actions", "create_proxy",
                json!({"proxy_name": "web", "upstream_host": "127.0.0.1", "upstream_port": upstream,
                       "listen_host": "127.0.0.1", "listen_port": listen})),
            {"type": "probe", "name": "port-in-environment",
             "provider": {"type": "process", "path": "printenv", "arguments": ["web_PORT"]}},
            chaostoxi("probe", "exists", "proxy.probes", "proxy_exist", web.clone()),
            chaostoxi("probe", "listen", "proxy.probes", "get_proxy_attribute", attr("listen")),
            chaostoxi("probe", "upstream", "proxy.probes", "get_proxy_attribute", attr("upstream")),
            chaostoxi("probe", "no-such-attribute", "proxy.probes", "get_proxy_attribute", attr("nope")),
            chaostoxi("action", "create-again", "proxy.actions", "create_proxy",
                json!({"proxy_name": "web", "upstream_host": "127.0.0.1", "upstream_port": upstream})),
            chaostoxi("action", "slow-answers", "toxic.actions", "create_latency_toxic",
                with(toxic("slow"), json!({"latency": 400}))),
            {"type": "probe", "name": "through-the-proxy",
             "provider": {"type": "http", "url": format!("http://127.0.0.1:{listen}/json"), "timeout": 10}},
            chaostoxi("action", "slow-again", "toxic.actions", "create_latency_toxic",
                with(toxic("slow"), json!({"latency": 400}))),
            chaostoxi("action", "float-latency", "toxic.actions", "create_latency_toxic",
                with(toxic("float"), json!({"latency": 100.0}))),
            chaostoxi("action", "bandwidth", "toxic.actions", "create_bandwith_degradation_toxic",
                with(toxic("bw"), json!({"rate": 1000}))),
            chaostoxi("action", "slow-close", "toxic.actions", "create_slow_connection_close_toxic",
                with(toxic("sc"), json!({"delay": 10}))),
            chaostoxi("action", "timeout", "toxic.actions", "create_timeout_toxic",
                with(toxic("to"), json!({"timeout": 5000}))),
            chaostoxi("action", "slicer", "toxic.actions", "create_slicer_toxic",
                with(toxic("sl"), json!({"average_size": 64, "size_variation": 8, "delay": 10}))),
            chaostoxi("action", "limiter", "toxic.actions", "create_limiter_toxic",
                with(toxic("lim"), json!({"bytes_limit": 100000}))),
            chaostoxi("action", "reset-peer", "toxic.actions", "create_toxic",
                with(toxic("rp"), json!({"toxic_type": "reset_peer", "stream": "upstream", "toxicity": 0.5}))),
            chaostoxi("action", "unknown-type", "toxic.actions", "create_toxic",
                with(toxic("bad"), json!({"toxic_type": "no_such_type"}))),
            chaostoxi("probe", "toxics", "proxy.probes", "get_proxy_attribute", attr("toxics")),
            chaostoxi("action", "remove-slow", "toxic.actions", "delete_toxic", toxic("slow")),
            chaostoxi("action", "remove-slow-again", "toxic.actions", "delete_toxic", toxic("slow")),
            chaostoxi("action", "disable", "proxy.actions", "disable_proxy", web.clone()),
            chaostoxi("probe", "disabled", "proxy.probes", "get_proxy_attribute", attr("enabled")),
            chaostoxi("action", "enable", "proxy.actions", "enable_proxy", web.clone()),
            chaostoxi("action", "modify", "proxy.actions", "modify_proxy",
                json!({"proxy_name": "web", "upstream_address": format!("127.0.0.1:{upstream}")})),
            chaostoxi("action", "modify-missing", "proxy.actions", "modify_proxy",
                json!({"proxy_name": "nowhere", "enabled": true})),
            chaostoxi("probe", "read", "toxiproxyapi", "read_proxy", web.clone()),
            chaostoxi("probe", "base-url", "toxiproxyapi", "build_proxies_baseUrl", json!({})),
            chaostoxi("action", "reset", "proxy.actions", "reset", json!({})),
            chaostoxi("probe", "toxics-after-reset", "proxy.probes", "get_proxy_attribute", attr("toxics")),
            chaostoxi("action", "delete", "proxy.actions", "delete_proxy", web.clone()),
            chaostoxi("action", "delete-again", "proxy.actions", "delete_proxy", web.clone()),
            chaostoxi("probe", "gone", "proxy.probes", "proxy_exist", web.clone()),
            chaostoxi("probe", "gone-attribute", "proxy.probes", "get_proxy_attribute", attr("listen")),
        ],
        "rollbacks": [
            chaostoxi("action", "cleanup", "proxy.actions", "delete_proxy", web),
        ],
    })
}

/// What the comparison looks at: each activity's name, status, output and
/// failure (the last exception line), in run order; the hypothesis too.
fn outcomes(journal: &Value) -> Vec<Value> {
    let mut all = Vec::new();
    for phase in ["before", "after"] {
        for p in journal["steady_states"][phase]["probes"]
            .as_array()
            .unwrap()
        {
            all.push(json!([
                phase,
                p["activity"]["name"],
                p["status"],
                p["output"]
            ]));
        }
    }
    for section in ["run", "rollbacks"] {
        for r in journal[section].as_array().unwrap() {
            let failure = r["exception"].as_array().and_then(|l| l.last()).cloned();
            all.push(json!([
                r["activity"]["name"],
                r["status"],
                r["output"],
                failure
            ]));
        }
    }
    all
}

fn duration_of(journal: &Value, name: &str) -> f64 {
    journal["run"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["activity"]["name"] == name)
        .and_then(|r| r["duration"].as_f64())
        .unwrap_or_else(|| panic!("no '{name}' in the journal"))
}

fn chaostoxi_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        common::venv(
            "chaostoxi-0.3.1",
            &["chaostoolkit-lib==1.44.0", "chaostoolkit-toxiproxy==0.3.1"],
        )
    })
}

#[test]
fn chaostoxi_runs_natively_and_through_the_extension_with_the_same_outputs() {
    let server = ProxyServer::start();
    let web = common::TestServer::start();
    let listen = free_port();
    let experiment = toxi_experiment(server.port, listen, web.port);

    // Native: no Python anywhere.
    let dir = common::scratch();
    let path = common::write_experiment(dir.path(), "experiment.json", &experiment);
    let out = common::chaos(dir.path())
        .env("CHAOS_PYTHON", "/nonexistent/python3")
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_FORCE_PYTHON")
        .args(["run", "--journal-path", "native.json"])
        .arg(&path)
        .output()
        .unwrap();
    let native: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("native.json")).unwrap())
            .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        common::stderr(&out),
        server.log()
    );
    assert_eq!(native["status"], "completed", "{}", common::stderr(&out));

    // The extension itself, through the Python bridge.
    let out = common::chaos(dir.path())
        .env("CHAOS_PYTHON", chaostoxi_python())
        .env_remove("VIRTUAL_ENV")
        .env("CHAOS_FORCE_PYTHON", "chaostoxi")
        .args(["run", "--journal-path", "python.json"])
        .arg(&path)
        .output()
        .unwrap();
    let python: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("python.json")).unwrap())
            .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));

    let (ours, theirs) = (outcomes(&native), outcomes(&python));
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "native (left) and the extension (right) differ");
    }

    // And the outputs are the extension's, spelled out.
    let by_name = |name: &str| {
        ours.iter()
            .find(|o| o[0] == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .clone()
    };
    let failed = |text: &str| json!(format!("chaoslib.exceptions.ActivityFailed: {text}\n"));
    assert_eq!(
        by_name("create"),
        json!(["create", "succeeded", true, null])
    );
    assert_eq!(by_name("exists")[2], true);
    // The reference's `os.environ["web_PORT"]`, seen by a later program.
    assert_eq!(
        by_name("port-in-environment")[2]["stdout"],
        format!("{listen}\n")
    );
    assert_eq!(by_name("listen")[2], format!("127.0.0.1:{listen}"));
    assert_eq!(by_name("upstream")[2], format!("127.0.0.1:{}", web.port));
    assert_eq!(by_name("no-such-attribute")[3], failed("KeyError: 'nope'"));
    assert_eq!(by_name("create-again")[3], failed("AssertionError"));
    assert_eq!(by_name("slow-answers")[2], true);
    for name in ["slow-again", "float-latency", "unknown-type"] {
        assert_eq!(
            by_name(name)[3],
            failed("TypeError: 'NoneType' object is not subscriptable"),
            "{name}"
        );
    }
    for name in [
        "bandwidth",
        "slow-close",
        "timeout",
        "slicer",
        "limiter",
        "reset-peer",
    ] {
        assert_eq!(by_name(name)[2], true, "{name}");
    }
    let toxics = by_name("toxics")[2].clone();
    let names: Vec<&str> = toxics
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["rp", "slow", "bw", "sc", "to", "sl", "lim"]);
    assert_eq!(by_name("remove-slow")[2], true);
    assert_eq!(by_name("remove-slow-again")[2], false);
    assert_eq!(by_name("disabled")[2], false);
    assert_eq!(by_name("enable")[2], true);
    assert_eq!(by_name("modify")[2], true);
    assert_eq!(by_name("modify-missing")[3], failed("AssertionError"));
    assert_eq!(by_name("read")[2]["enabled"], true);
    assert_eq!(
        by_name("base-url")[2],
        format!("http://127.0.0.1:{}/proxies", server.port)
    );
    assert_eq!(by_name("reset")[2], true);
    assert_eq!(by_name("toxics-after-reset")[2], json!([]));
    assert_eq!(
        by_name("delete"),
        json!(["delete", "succeeded", null, null])
    );
    assert_eq!(
        by_name("delete-again"),
        json!(["delete-again", "succeeded", null, null])
    );
    assert_eq!(by_name("gone")[2], false);
    assert_eq!(by_name("gone-attribute")[2], Value::Null);

    // The latency toxic delayed the HTTP probe in both runs.
    for journal in [&native, &python] {
        let took = duration_of(journal, "through-the-proxy");
        assert!(
            took >= 0.39,
            "the probe took {took}s through a 400 ms toxic"
        );
    }
}

#[test]
fn the_native_driver_exports_the_port_and_serves_its_own_type_without_python() {
    let server = ProxyServer::start();
    let web = common::TestServer::start();
    let experiment = json!({
        "title": "our own toxiproxy type",
        "description": "create_proxy exports own_PORT to the activities after it",
        "configuration": {"toxiproxy_url": format!("http://127.0.0.1:{}", server.port)},
        "method": [
            {"type": "action", "name": "create", "provider": {"type": "toxiproxy", "func": "create_proxy",
                "arguments": {"proxy_name": "own", "upstream_host": "127.0.0.1",
                              "upstream_port": web.port, "listen_host": "127.0.0.1"}}},
            {"type": "probe", "name": "port-seen-by-a-program",
             "provider": {"type": "process", "path": "printenv", "arguments": ["own_PORT"]}},
            {"type": "probe", "name": "listen", "provider": {"type": "toxiproxy",
                "func": "proxy.probes.get_proxy_attribute",
                "arguments": {"proxy_name": "own", "attribute": "listen"}}},
            {"type": "action", "name": "second", "provider": {"type": "toxiproxy", "func": "create_proxy",
                "arguments": {"proxy_name": "second", "upstream_host": "env:CHAOS_TEST_UPSTREAM_HOST",
                              "upstream_port": "env:own_PORT", "listen_host": "127.0.0.1"}}},
            {"type": "probe", "name": "second-upstream", "provider": {"type": "toxiproxy",
                "func": "get_proxy_attribute",
                "arguments": {"proxy_name": "second", "attribute": "upstream"}}},
            {"type": "action", "name": "helper", "provider": {"type": "toxiproxy",
                "func": "toxiproxyapi.delete_toxic",
                "arguments": {"proxy_name": "own", "toxic_name": "none"}}},
        ],
        "rollbacks": [
            {"type": "action", "name": "clean-own", "provider": {"type": "toxiproxy",
                "func": "delete_proxy", "arguments": {"proxy_name": "own"}}},
            {"type": "action", "name": "clean-second", "provider": {"type": "python",
                "module": "chaostoxi.proxy.actions",
                "func": "delete_proxy", "arguments": {"proxy_name": "second"}}},
        ],
    });
    let dir = common::scratch();
    let path = common::write_experiment(dir.path(), "experiment.json", &experiment);
    let out = common::chaos(dir.path())
        .env("CHAOS_PYTHON", "/nonexistent/python3")
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_FORCE_PYTHON")
        .env("CHAOS_TEST_UPSTREAM_HOST", "127.0.0.1")
        .args(["run", "--journal-path", "journal.json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let journal: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("journal.json")).unwrap())
            .unwrap();
    assert_eq!(journal["status"], "completed", "{}", common::stderr(&out));
    let run = journal["run"].as_array().unwrap();
    let output = |name: &str| {
        run.iter()
            .find(|r| r["activity"]["name"] == name)
            .map(|r| r["output"].clone())
            .unwrap()
    };
    assert_eq!(output("create"), true);
    let listen = output("listen");
    let port = listen
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        output("port-seen-by-a-program")["stdout"],
        format!("{port}\n")
    );
    assert_eq!(output("second"), true);
    assert_eq!(output("second-upstream"), format!("127.0.0.1:{port}"));
    assert_eq!(output("helper"), false);
    for r in journal["rollbacks"].as_array().unwrap() {
        assert_eq!(r["status"], "succeeded");
    }
}

#[test]
fn arguments_are_validated_against_the_extensions_signatures() {
    let experiment = json!({
        "title": "bad arguments",
        "description": "d",
        "method": [chaostoxi("action", "slow", "toxic.actions", "create_latency_toxic",
            json!({"for_proxy": "p", "toxic_name": "t", "lag": 3}))],
    });
    let dir = common::scratch();
    let path = common::write_experiment(dir.path(), "experiment.json", &experiment);
    let out = common::chaos(dir.path())
        .env("CHAOS_PYTHON", "/nonexistent/python3")
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("required argument 'latency' is missing from activity 'slow'"),
        "{err}"
    );
    assert!(
        err.contains("argument 'lag' is not part of the function signature in activity 'slow'"),
        "{err}"
    );
}

#[test]
fn discover_lists_the_native_chaostoxi_functions_without_python() {
    let dir = common::scratch();
    let out = common::chaos(dir.path())
        .env("CHAOS_PYTHON", "/nonexistent/python3")
        .env_remove("CHAOS_FORCE_PYTHON")
        .args([
            "discover",
            "--discovery-path",
            "d.json",
            "chaostoolkit-toxiproxy",
        ])
        .output()
        .unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("chaostoolkit-toxiproxy (native)"), "{err}");
    let d: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("d.json")).unwrap()).unwrap();
    assert_eq!(
        d["extension"],
        json!({"name": "chaostoolkit-toxiproxy", "version": "0.3.1"})
    );
    let activities = d["activities"].as_array().unwrap();
    assert_eq!(activities.len(), 16);
    let latency = activities
        .iter()
        .find(|a| a["name"] == "create_latency_toxic")
        .unwrap();
    assert_eq!(latency["type"], "action");
    assert_eq!(latency["mod"], "chaostoxi.toxic.actions");
    assert_eq!(
        latency["arguments"],
        json!([
            {"name": "for_proxy", "type": "string"},
            {"name": "toxic_name", "type": "string"},
            {"name": "latency", "type": "integer"},
            {"name": "jitter", "default": 0, "type": "integer"},
            {"name": "configuration", "default": null, "type": "mapping"},
        ])
    );
    let probes: Vec<&str> = activities
        .iter()
        .filter(|a| a["type"] == "probe")
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(probes, ["get_proxy_attribute", "proxy_exist"]);
}

#[test]
fn the_port_exported_natively_reaches_later_python_functions() {
    let server = ProxyServer::start();
    let web = common::TestServer::start();
    let experiment = json!({
        "title": "os.environ after a native create_proxy",
        "description": "the reference's os.environ write, seen by the Python bridge",
        "configuration": {"toxiproxy_host": "127.0.0.1", "toxiproxy_port": server.port},
        "method": [
            chaostoxi("action", "create", "proxy.actions", "create_proxy",
                json!({"proxy_name": "py_seen", "upstream_host": "127.0.0.1",
                       "upstream_port": web.port, "listen_host": "127.0.0.1"})),
            chaostoxi("probe", "listen", "proxy.probes", "get_proxy_attribute",
                json!({"proxy_name": "py_seen", "attribute": "listen"})),
            {"type": "probe", "name": "getenv", "provider": {"type": "python",
                "module": "os", "func": "getenv", "arguments": {"key": "py_seen_PORT"}}},
        ],
        "rollbacks": [chaostoxi("action", "clean", "proxy.actions", "delete_proxy",
            json!({"proxy_name": "py_seen"}))],
    });
    let dir = common::scratch();
    let path = common::write_experiment(dir.path(), "experiment.json", &experiment);
    let out = common::chaos(dir.path())
        .env("CHAOS_PYTHON", chaostoxi_python())
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_FORCE_PYTHON")
        .env_remove("py_seen_PORT")
        .args(["run", "--journal-path", "journal.json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let journal: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("journal.json")).unwrap())
            .unwrap();
    let run = journal["run"].as_array().unwrap();
    let listen = run[1]["output"].as_str().unwrap();
    assert_eq!(run[2]["output"], listen.rsplit(':').next().unwrap());
}
