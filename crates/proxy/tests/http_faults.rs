//! HTTP proxies and their `http_*` toxics, seen from real clients (reqwest,
//! and a raw HTTP/1.1 client on a `TcpStream` for keep-alive, chunking and
//! resets) through a real proxy to a real HTTP/1.1 upstream, all on
//! 127.0.0.1. The proxy runs on its own tokio runtime; the upstream and the
//! raw client are blocking sockets on threads.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chaos_proxy::Proxies;
use serde_json::{json, Value};

// ---------------------------------------------------------------- harness

/// A proxy collection, and its API, on their own runtime.
struct Harness {
    proxies: Proxies,
    api: SocketAddr,
    rt: tokio::runtime::Runtime,
}

impl Harness {
    fn new(seed: Option<u64>) -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (proxies, api) = {
            let _g = rt.enter();
            let proxies = Proxies::new(seed);
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            std_listener.set_nonblocking(true).unwrap();
            let api = std_listener.local_addr().unwrap();
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            rt.spawn(chaos_proxy::api::serve(
                listener,
                proxies.clone(),
                tokio_util::sync::CancellationToken::new(),
            ));
            (proxies, api)
        };
        Harness { proxies, api, rt }
    }

    /// An HTTP proxy named `name` in front of `upstream`; returns its address.
    fn http_proxy(&self, name: &str, upstream: SocketAddr) -> SocketAddr {
        let _g = self.rt.enter();
        let p = self
            .proxies
            .create(&json!({"name": name, "listen": "127.0.0.1:0",
                            "upstream": upstream.to_string(), "protocol": "http"}))
            .unwrap();
        assert_eq!(p["protocol"], json!("http"));
        p["listen"].as_str().unwrap().parse().unwrap()
    }

    fn toxic(&self, proxy: &str, body: Value) -> Value {
        let _g = self.rt.enter();
        self.proxies.add_toxic(proxy, &body).unwrap()
    }

    fn remove(&self, proxy: &str, toxic: &str) {
        let _g = self.rt.enter();
        self.proxies.remove_toxic(proxy, toxic).unwrap();
    }

    fn show(&self, proxy: &str, toxic: &str) -> Value {
        self.proxies.toxic(proxy, toxic).unwrap()
    }

    /// An API call: status and body text.
    fn api(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let url = format!("http://{}{path}", self.api);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let body = body.map(str::to_owned);
        client_rt().block_on(async move {
            let mut req = reqwest::Client::new().request(method, url);
            if let Some(b) = body {
                req = req.body(b);
            }
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    }
}

fn client_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

// --------------------------------------------------------------- upstream

/// A small HTTP/1.1 server: keep-alive, Content-Length and chunked
/// request bodies, and these routes:
/// - `/chunked`: a chunked body, `alpha` `beta` `gamma`, 5 ms apart;
/// - `/big`: 4000 bytes (`abc...zabc...`) with a Content-Length;
/// - `/echo`: the request body back;
/// - anything else: `ok <method> <target> #<n>`;
/// - with `Upgrade`: 101, then an echo of the bytes;
/// - `/gated`: a chunked `first`, then `second` once the test opens the gate;
/// - `/stream-in`: tells the test the first chunk of the chunked request
///   body as soon as it arrives, then answers with the whole body.
struct Upstream {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<String>>>,
    open: mpsc::Sender<()>,
    first_chunk: mpsc::Receiver<Vec<u8>>,
}

/// The upstream's side of the test's gates.
struct Gates {
    gate: Mutex<mpsc::Receiver<()>>,
    first: Mutex<mpsc::Sender<Vec<u8>>>,
}

impl Upstream {
    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn upstream() -> Upstream {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let (open, gate) = mpsc::channel();
    let (first, first_chunk) = mpsc::channel();
    let gates = Arc::new(Gates {
        gate: Mutex::new(gate),
        first: Mutex::new(first),
    });
    let up = Upstream {
        addr: l.local_addr().unwrap(),
        requests: Arc::default(),
        connections: Arc::default(),
        seen: Arc::default(),
        open,
        first_chunk,
    };
    let (requests, connections, seen) =
        (up.requests.clone(), up.connections.clone(), up.seen.clone());
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            connections.fetch_add(1, Ordering::SeqCst);
            let (requests, seen, gates) = (requests.clone(), seen.clone(), gates.clone());
            thread::spawn(move || {
                let _ = serve_upstream(s, &requests, &seen, &gates);
            });
        }
    });
    up
}

fn big_body() -> Vec<u8> {
    (0..4000).map(|i| b'a' + (i % 26) as u8).collect()
}

fn serve_upstream(
    s: TcpStream,
    requests: &AtomicUsize,
    seen: &Mutex<Vec<String>>,
    gates: &Gates,
) -> std::io::Result<()> {
    let _ = s.set_nodelay(true);
    let mut r = BufReader::new(s.try_clone()?);
    let mut w = s;
    loop {
        let Some((method, target, headers)) = read_head(&mut r)? else {
            return Ok(());
        };
        let mut body = Vec::new();
        if target == "/stream-in" {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let mut chunk = vec![0; usize::from_str_radix(size.trim(), 16).unwrap() + 2];
            r.read_exact(&mut chunk)?;
            chunk.truncate(chunk.len() - 2);
            let _ = gates.first.lock().unwrap().send(chunk.clone());
            body = chunk;
        }
        body.extend(read_body(&mut r, &headers)?);
        let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
        seen.lock().unwrap().push(format!("{method} {target}"));
        if headers.contains_key("upgrade") {
            // A tunnel that echoes.
            w.write_all(
                b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n",
            )?;
            let mut buf = [0u8; 1024];
            loop {
                let n = r.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                w.write_all(&buf[..n])?;
            }
        }
        if target == "/gated" {
            w.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")?;
            w.flush()?;
            let _ = gates
                .gate
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(5));
            w.write_all(b"6\r\nsecond\r\n0\r\n\r\n")?;
        } else if target == "/chunked" {
            w.write_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Upstream: yes\r\n\r\n",
            )?;
            for part in ["alpha", "beta", "gamma"] {
                write!(w, "{:x}\r\n{part}\r\n", part.len())?;
                w.flush()?;
                thread::sleep(Duration::from_millis(5));
            }
            w.write_all(b"0\r\n\r\n")?;
        } else {
            let out = match target.as_str() {
                "/big" => big_body(),
                "/echo" | "/stream-in" => body,
                _ => format!("ok {method} {target} #{n}").into_bytes(),
            };
            write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Upstream: yes\r\n\r\n",
                out.len()
            )?;
            w.write_all(&out)?;
        }
        w.flush()?;
        if headers.get("connection").is_some_and(|c| c == "close") {
            return Ok(());
        }
    }
}

type Head = (String, String, HashMap<String, String>);

/// A request or status line and headers (names lowercased); None at EOF.
fn read_head(r: &mut impl BufRead) -> std::io::Result<Option<Head>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let a = parts.next().unwrap_or_default().to_string();
    let b = parts.next().unwrap_or_default().to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    Ok(Some((a, b, headers)))
}

/// A body by Content-Length or chunked (empty otherwise).
fn read_body(r: &mut impl BufRead, headers: &HashMap<String, String>) -> std::io::Result<Vec<u8>> {
    if let Some(n) = headers.get("content-length") {
        let mut body = vec![0; n.parse().unwrap()];
        r.read_exact(&mut body)?;
        return Ok(body);
    }
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                return Ok(body);
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    Ok(Vec::new())
}

// ------------------------------------------------------------- raw client

/// A response as the raw client read it.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// One keep-alive connection, requests one at a time.
struct Raw {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Raw {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Raw {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }

    fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        self.w.write_all(head.as_bytes()).unwrap();
    }

    fn response(&mut self) -> std::io::Result<Resp> {
        let (_, status, headers) = read_head(&mut self.r)?.ok_or(ErrorKind::UnexpectedEof)?;
        let body = if headers.contains_key("content-length")
            || headers.contains_key("transfer-encoding")
        {
            read_body(&mut self.r, &headers)?
        } else {
            let mut b = Vec::new();
            self.r.read_to_end(&mut b)?;
            b
        };
        Ok(Resp {
            status: status.parse().unwrap(),
            headers,
            body,
        })
    }

    fn request(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(method, path, headers);
        self.response().unwrap()
    }

    fn get(&mut self, path: &str) -> Resp {
        self.request("GET", path, &[])
    }

    /// Reads until EOF or an error: the bytes and how it ended.
    fn drain(&mut self) -> (Vec<u8>, std::io::Result<()>) {
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            match self.r.read(&mut buf) {
                Ok(0) => return (got, Ok(())),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => return (got, Err(e)),
            }
        }
    }
}

/// reqwest on a runtime of its own (its pooled connections live there).
struct Client {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Client {
    fn new() -> Client {
        Client {
            rt: client_rt(),
            client: reqwest::Client::new(),
        }
    }
}

/// A GET with reqwest: status, the `x-chaos-fault` header, body.
fn reqwest_get(c: &Client, url: String) -> (u16, Option<String>, String) {
    let client = &c.client;
    c.rt.block_on(async {
        let r = client.get(url).send().await.unwrap();
        let fault = r
            .headers()
            .get("x-chaos-fault")
            .map(|v| v.to_str().unwrap().to_string());
        (r.status().as_u16(), fault, r.text().await.unwrap())
    })
}

// ------------------------------------------------------------------ tests

#[test]
fn abort_on_upstream_answers_without_calling_the_upstream() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    let shown = h.toxic(
        "api",
        json!({"name": "boom", "type": "http_abort", "stream": "upstream",
               "attributes": {"status": 418, "body": "nope", "response_headers": {"x-a": "b"}}}),
    );
    assert_eq!(shown["stats"], json!({"matched": 0, "injected": 0}));
    let client = Client::new();
    let rt = &client.rt;
    let r = rt
        .block_on(client.client.get(format!("http://{addr}/orders")).send())
        .unwrap();
    assert_eq!(r.status().as_u16(), 418);
    assert_eq!(r.headers()["x-chaos-fault"], "boom");
    assert_eq!(r.headers()["x-a"], "b");
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(r.headers()["content-length"], "4");
    assert_eq!(rt.block_on(r.text()).unwrap(), "nope");
    assert_eq!(up.requests(), 0, "the upstream was not called");
    assert_eq!(up.connections.load(Ordering::SeqCst), 0);
    assert_eq!(
        h.show("api", "boom")["stats"],
        json!({"matched": 1, "injected": 1})
    );
    // Removed, requests pass again.
    h.remove("api", "boom");
    let (status, fault, body) = reqwest_get(&client, format!("http://{addr}/orders"));
    assert_eq!((status, fault), (200, None));
    assert_eq!(body, "ok GET /orders #1");
}

#[test]
fn abort_on_downstream_calls_the_upstream_and_drops_its_answer() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    h.toxic(
        "api",
        json!({"name": "late", "type": "http_abort", "attributes": {"status": 502, "body": "gone"}}),
    );
    let client = Client::new();
    let (status, fault, body) = reqwest_get(&client, format!("http://{addr}/pay"));
    assert_eq!(status, 502);
    assert_eq!(fault.as_deref(), Some("late"));
    assert_eq!(body, "gone");
    assert_eq!(up.requests(), 1, "the upstream was called once");
    assert_eq!(*up.seen.lock().unwrap(), vec!["GET /pay".to_string()]);
}

/// Round trips on one connection, the fastest of `n`.
fn fastest(raw: &mut Raw, path: &str, n: usize) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            let r = raw.get(path);
            assert_eq!(r.status, 200);
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn delays_hold_requests_and_responses_to_within_two_ms() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    let mut raw = Raw::connect(addr);
    let base = fastest(&mut raw, "/x", 5);
    assert!(base < Duration::from_millis(5), "base round trip {base:?}");
    for stream in ["upstream", "downstream"] {
        h.toxic(
            "api",
            json!({"name": "slow", "type": "http_delay", "stream": stream,
                   "attributes": {"delay": 40}}),
        );
        // The fastest of a few, so that a busy machine's stalls do not count.
        let took = fastest(&mut raw, "/x", 5);
        assert!(
            took >= Duration::from_millis(40) && took < Duration::from_millis(42),
            "{stream}: {took:?} (base {base:?})"
        );
        h.remove("api", "slow");
    }
    // Jitter: uniform in [delay - jitter, delay + jitter); 10 ms of slack
    // above, as Toxiproxy's own latency tests allow.
    h.toxic(
        "api",
        json!({"name": "slow", "type": "http_delay", "attributes": {"delay": 20, "jitter": 5}}),
    );
    for _ in 0..5 {
        let t = Instant::now();
        raw.get("/x");
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(15) && took < Duration::from_millis(35),
            "{took:?}"
        );
    }
    // Only matching requests wait.
    h.remove("api", "slow");
    h.toxic(
        "api",
        json!({"name": "slow", "type": "http_delay", "attributes": {"delay": 100, "path": "/slow"}}),
    );
    assert!(fastest(&mut raw, "/fast", 2) < Duration::from_millis(20));
}

#[test]
fn reset_mid_body_after_exactly_after_bytes() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    h.toxic(
        "api",
        json!({"name": "cut", "type": "http_reset", "attributes": {"after_bytes": 300, "path": "/big"}}),
    );
    let mut raw = Raw::connect(addr);
    // A request the toxic leaves alone, on the same connection first.
    assert_eq!(raw.get("/small").text(), "ok GET /small #1");
    raw.send("GET", "/big", &[]);
    let (got, end) = raw.drain();
    let err = end.expect_err("the connection is reset");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    assert_eq!(got.len(), 300, "{}", String::from_utf8_lossy(&got));
    let text = String::from_utf8_lossy(&got);
    let (head, body) = text.split_once("\r\n\r\n").expect("the head passed");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(!body.is_empty(), "the reset is in the body");
    assert_eq!(body.as_bytes(), &big_body()[..body.len()]);
    assert_eq!(up.requests(), 2);

    // mode close: a FIN after the bytes.
    h.remove("api", "cut");
    h.toxic(
        "api",
        json!({"name": "cut", "type": "http_reset", "attributes": {"after_bytes": 250, "mode": "close"}}),
    );
    let mut raw = Raw::connect(addr);
    raw.send("GET", "/big", &[]);
    let (got, end) = raw.drain();
    assert!(end.is_ok(), "{end:?}");
    assert_eq!(got.len(), 250);

    // On the upstream stream: reset after the request head, nothing forwarded.
    h.remove("api", "cut");
    h.toxic(
        "api",
        json!({"name": "cut", "type": "http_reset", "stream": "upstream"}),
    );
    let before = up.requests();
    let mut raw = Raw::connect(addr);
    raw.send("GET", "/big", &[]);
    let (got, end) = raw.drain();
    assert_eq!(got.len(), 0);
    assert_eq!(end.unwrap_err().kind(), ErrorKind::ConnectionReset);
    assert_eq!(up.requests(), before);

    // reqwest sees an error.
    let client = Client::new();
    let r = client
        .rt
        .block_on(client.client.get(format!("http://{addr}/x")).send());
    assert!(r.is_err());
}

#[test]
fn requests_are_matched_by_method_path_prefix_regex_and_headers() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], bool);
    let table: Vec<(Value, Vec<Case>)> = vec![
        (
            json!({"method": "POST"}),
            vec![("GET", "/a", &[], false), ("POST", "/a", &[], true)],
        ),
        (
            json!({"path": "/a"}),
            vec![
                ("GET", "/a", &[], true),
                ("GET", "/a?x=1", &[], true),
                ("GET", "/ab", &[], false),
                ("GET", "/a/b", &[], false),
            ],
        ),
        (
            json!({"path_prefix": "/orders/"}),
            vec![
                ("GET", "/orders/1", &[], true),
                ("GET", "/orders", &[], false),
                ("GET", "/x/orders/1", &[], false),
            ],
        ),
        (
            json!({"path_glob": "/orders/*/items"}),
            vec![
                ("GET", "/orders/7/items", &[], true),
                ("GET", "/orders/7/items?page=2", &[], true),
                ("GET", "/orders/7/8/items", &[], false),
                ("GET", "/orders/7/items/1", &[], false),
            ],
        ),
        (
            json!({"path_regex": "^/items/[0-9]+$"}),
            vec![
                ("GET", "/items/42", &[], true),
                ("GET", "/items/abc", &[], false),
                ("GET", "/items/42/x", &[], false),
            ],
        ),
        (
            json!({"headers": {"X-Fault": "yes", "x-present": ""}}),
            vec![
                (
                    "GET",
                    "/",
                    &[("x-fault", "yes"), ("X-Present", "anything")],
                    true,
                ),
                ("GET", "/", &[("x-fault", "yes")], false),
                ("GET", "/", &[("x-fault", "no"), ("x-present", "")], false),
                ("GET", "/", &[("x-present", "1")], false),
            ],
        ),
        (
            json!({"method": "GET", "path_prefix": "/v1", "headers": {"authorization": ""}}),
            vec![
                ("GET", "/v1/x", &[("Authorization", "Bearer t")], true),
                ("GET", "/v1/x", &[], false),
                ("PUT", "/v1/x", &[("Authorization", "Bearer t")], false),
            ],
        ),
    ];
    let mut raw = Raw::connect(addr);
    for (attrs, cases) in table {
        let mut attributes = attrs.clone();
        attributes["status"] = json!(503);
        h.toxic(
            "api",
            json!({"name": "m", "type": "http_abort", "stream": "upstream", "attributes": attributes}),
        );
        for (method, path, headers, faulted) in cases {
            let r = raw.request(method, path, headers);
            assert_eq!(
                r.status == 503,
                faulted,
                "{attrs} {method} {path} {headers:?}: {}",
                r.status
            );
            assert_eq!(r.header("x-chaos-fault").is_some(), faulted);
        }
        h.remove("api", "m");
    }
}

/// Which of `n` requests (1-based) were aborted.
fn faulted(raw: &mut Raw, n: usize) -> Vec<usize> {
    (1..=n)
        .filter(|_| raw.get("/r").status == 503)
        .collect::<Vec<_>>()
}

#[test]
fn skip_count_and_every_pick_the_requests() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    let mut raw = Raw::connect(addr);
    let abort = |attrs: Value| json!({"name": "r", "type": "http_abort", "stream": "upstream", "attributes": attrs});
    h.toxic("api", abort(json!({"every": 3})));
    assert_eq!(faulted(&mut raw, 10), vec![3, 6, 9]);
    h.remove("api", "r");

    h.toxic("api", abort(json!({"skip": 2, "count": 2})));
    assert_eq!(faulted(&mut raw, 8), vec![3, 4]);
    assert_eq!(
        h.show("api", "r")["stats"],
        json!({"matched": 8, "injected": 2})
    );
    // An update starts the counters again.
    let _g = h.rt.enter();
    let updated = h
        .proxies
        .update_toxic("api", "r", &json!({"attributes": {"count": 1}}))
        .unwrap();
    assert_eq!(updated["stats"], json!({"matched": 0, "injected": 0}));
    assert_eq!(faulted(&mut raw, 5), vec![3]);
    h.proxies
        .update_toxic("api", "r", &json!({"toxicity": 1}))
        .unwrap();
    assert_eq!(faulted(&mut raw, 5), vec![3]);
    h.remove("api", "r");

    h.toxic("api", abort(json!({"skip": 1, "every": 2, "count": 3})));
    assert_eq!(faulted(&mut raw, 12), vec![3, 5, 7]);
    // Requests that do not match are not counted.
    h.remove("api", "r");
    h.toxic("api", abort(json!({"every": 2, "path": "/r"})));
    let mut seen = Vec::new();
    for i in 1..=6 {
        assert_eq!(raw.get("/other").status, 200);
        if raw.get("/r").status == 503 {
            seen.push(i);
        }
    }
    assert_eq!(seen, vec![2, 4, 6]);
}

fn toxicity_run(seed: u64) -> Vec<usize> {
    let h = Harness::new(Some(seed));
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    h.toxic(
        "api",
        json!({"name": "half", "type": "http_abort", "stream": "upstream", "toxicity": 0.5}),
    );
    let mut raw = Raw::connect(addr);
    let hits = faulted(&mut raw, 40);
    let stats = h.show("api", "half")["stats"].clone();
    assert_eq!(stats, json!({"matched": 40, "injected": hits.len()}));
    assert_eq!(up.requests(), 40 - hits.len());
    hits
}

#[test]
fn toxicity_is_drawn_per_request_and_replayed_by_the_seed() {
    let a = toxicity_run(42);
    let b = toxicity_run(42);
    assert_eq!(a, b, "the same seed gives the same requests");
    assert!(a.len() > 5 && a.len() < 35, "about half: {a:?}");
    let c = toxicity_run(7);
    assert_ne!(a, c);
}

#[test]
fn keep_alive_connections_pass_through_with_a_fault_only_on_the_matching_request() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    h.toxic(
        "api",
        json!({"name": "three", "type": "http_abort", "stream": "upstream",
               "attributes": {"path": "/3", "status": 500}}),
    );
    let mut raw = Raw::connect(addr);
    for i in 1..=5 {
        let r = raw.get(&format!("/{i}"));
        if i == 3 {
            assert_eq!(r.status, 500);
            assert_eq!(r.header("x-chaos-fault"), Some("three"));
        } else {
            assert_eq!(r.status, 200);
            assert_eq!(r.header("x-upstream"), Some("yes"));
            let n = if i < 3 { i } else { i - 1 };
            assert_eq!(r.text(), format!("ok GET /{i} #{n}"));
        }
    }
    assert_eq!(up.requests(), 4);
    assert_eq!(
        up.connections.load(Ordering::SeqCst),
        1,
        "one upstream connection for the client's one"
    );
    // reqwest, with its pool, sees the same.
    let client = Client::new();
    for i in 1..=5 {
        let (status, fault, _) = reqwest_get(&client, format!("http://{addr}/{i}"));
        assert_eq!(status == 500, i == 3);
        assert_eq!(fault.is_some(), i == 3);
    }
}

#[test]
fn chunked_bodies_pass_through_intact_both_ways() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    // A toxic that matches nothing, so the faults path is taken.
    h.toxic(
        "api",
        json!({"name": "none", "type": "http_delay", "attributes": {"delay": 1000, "path": "/never"}}),
    );
    let mut raw = Raw::connect(addr);
    let r = raw.get("/chunked");
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.text(), "alphabetagamma");
    // A chunked request body reaches the upstream whole.
    raw.send(
        "POST",
        "/echo",
        &[
            ("Transfer-Encoding", "chunked"),
            ("Content-Type", "text/plain"),
        ],
    );
    raw.w
        .write_all(b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n")
        .unwrap();
    let r = raw.response().unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "hello world");
    // A Content-Length body too, then a chunked answer again.
    raw.send("POST", "/echo", &[("Content-Length", "3")]);
    raw.w.write_all(b"abc").unwrap();
    assert_eq!(raw.response().unwrap().text(), "abc");
    assert_eq!(raw.get("/chunked").text(), "alphabetagamma");
    assert_eq!(up.connections.load(Ordering::SeqCst), 1);
    // And through reqwest.
    let client = Client::new();
    let (status, _, body) = reqwest_get(&client, format!("http://{addr}/chunked"));
    assert_eq!((status, body.as_str()), (200, "alphabetagamma"));
    let (_, _, body) = reqwest_get(&client, format!("http://{addr}/big"));
    assert_eq!(body.as_bytes(), big_body());
}

#[test]
fn bodies_stream_through_without_being_buffered_whole() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    h.toxic(
        "api",
        json!({"name": "none", "type": "http_abort", "attributes": {"path": "/never"}}),
    );
    let mut raw = Raw::connect(addr);
    // The response's first chunk arrives while the upstream holds the
    // rest back until the client has seen it.
    raw.send("GET", "/gated", &[]);
    let (_, status, _) = read_head(&mut raw.r).unwrap().unwrap();
    assert_eq!(status, "200");
    let mut first = String::new();
    raw.r.read_line(&mut first).unwrap();
    raw.r.read_line(&mut first).unwrap();
    assert_eq!(first, "5\r\nfirst\r\n");
    up.open.send(()).unwrap();
    let rest = read_body(
        &mut raw.r,
        &HashMap::from([("transfer-encoding".to_string(), "chunked".to_string())]),
    )
    .unwrap();
    assert_eq!(rest, b"second");
    // The request body's first chunk reaches the upstream before the
    // client sent the rest.
    raw.send("POST", "/stream-in", &[("Transfer-Encoding", "chunked")]);
    raw.w.write_all(b"3\r\nabc\r\n").unwrap();
    let got = up
        .first_chunk
        .recv_timeout(Duration::from_secs(5))
        .expect("the first chunk was forwarded on its own");
    assert_eq!(got, b"abc");
    raw.w.write_all(b"3\r\ndef\r\n0\r\n\r\n").unwrap();
    assert_eq!(raw.response().unwrap().text(), "abcdef");
}

#[test]
fn the_api_answers_as_toxiproxy_for_tcp_proxies_and_extends_for_http_ones() {
    let h = Harness::new(None);
    let up = upstream();
    let u = up.addr.to_string();
    // A tcp proxy: Toxiproxy's answer, byte for byte (no "protocol").
    let (status, body) = h.api(
        "POST",
        "/proxies",
        Some(&format!(
            r#"{{"name":"t","listen":"127.0.0.1:0","upstream":"{u}"}}"#
        )),
    );
    assert_eq!(status, 201);
    let v: Value = serde_json::from_str(&body).unwrap();
    let listen = v["listen"].as_str().unwrap().to_string();
    assert_eq!(
        body,
        format!(
            r#"{{"name":"t","listen":"{listen}","upstream":"{u}","enabled":true,"toxics":[]}}"#
        )
    );
    let (_, shown) = h.api("GET", "/proxies/t", None);
    assert_eq!(shown, body);
    // Explicit "tcp" is the same.
    let (status, body) = h.api(
        "POST",
        "/proxies",
        Some(&format!(
            r#"{{"name":"t2","listen":"127.0.0.1:0","upstream":"{u}","protocol":"tcp"}}"#
        )),
    );
    assert_eq!(status, 201);
    assert!(!body.contains("protocol"), "{body}");
    // http_* toxics need an http proxy.
    let (status, body) = h.api(
        "POST",
        "/proxies/t/toxics",
        Some(r#"{"type":"http_abort"}"#),
    );
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            "{\"error\":\"toxic type requires an http proxy\",\"status\":400}\n"
        )
    );
    // Legacy toxics still answer as before.
    let (status, body) = h.api(
        "POST",
        "/proxies/t/toxics",
        Some(r#"{"type":"latency","attributes":{"latency":5}}"#),
    );
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"attributes":{"latency":5,"jitter":0},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}"#
    );
    let (status, body) = h.api("POST", "/proxies/t/toxics", Some(r#"{"type":"nope"}"#));
    assert_eq!(
        (status, body.as_str()),
        (400, "{\"error\":\"invalid toxic type\",\"status\":400}\n")
    );

    // An http proxy echoes its protocol.
    let (status, body) = h.api(
        "POST",
        "/proxies",
        Some(&format!(
            r#"{{"name":"h","listen":"127.0.0.1:0","upstream":"{u}","protocol":"http"}}"#
        )),
    );
    assert_eq!(status, 201);
    let v: Value = serde_json::from_str(&body).unwrap();
    let hlisten = v["listen"].as_str().unwrap().to_string();
    assert_eq!(
        body,
        format!(
            r#"{{"name":"h","listen":"{hlisten}","upstream":"{u}","enabled":true,"protocol":"http","toxics":[]}}"#
        )
    );
    let (status, body) = h.api(
        "POST",
        "/proxies/h/toxics",
        Some(
            r#"{"name":"boom","type":"http_abort","stream":"upstream","toxicity":0.5,
                "attributes":{"status":503,"body":"injected","method":"POST","path_prefix":"/orders","count":3}}"#,
        ),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        r#"{"attributes":{"status":503,"body":"injected","response_headers":{},"method":"POST","path":"","path_glob":"","path_prefix":"/orders","path_regex":"","headers":{},"skip":0,"count":3,"every":1},"name":"boom","type":"http_abort","stream":"upstream","toxicity":0.5,"stats":{"matched":0,"injected":0}}"#
    );
    // Strict attributes.
    for (attrs, why) in [
        (
            r#"{"latency":5}"#,
            "unknown attribute 'latency' for http_delay",
        ),
        (
            r#"{"delay":"5"}"#,
            "http_delay attribute delay must be an integer, not string",
        ),
        (
            r#"{"every":0}"#,
            "http_delay attribute every must be between 1 and 9223372036854775807, not 0",
        ),
    ] {
        let (status, body) = h.api(
            "POST",
            "/proxies/h/toxics",
            Some(&format!(r#"{{"type":"http_delay","attributes":{attrs}}}"#)),
        );
        assert_eq!(
            (status, body),
            (
                400,
                format!("{{\"error\":\"bad request body: {why}\",\"status\":400}}\n")
            )
        );
    }
    let (status, body) = h.api(
        "POST",
        "/proxies",
        Some(&format!(
            r#"{{"name":"x","listen":"127.0.0.1:0","upstream":"{u}","protocol":"udp"}}"#
        )),
    );
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            "{\"error\":\"bad request body: protocol must be \\\"tcp\\\" or \\\"http\\\", not \\\"udp\\\"\",\"status\":400}\n"
        )
    );

    // Turning the tcp proxy into an http one restarts it on the same port.
    let (status, body) = h.api("POST", "/proxies/t", Some(r#"{"protocol":"http"}"#));
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["protocol"], json!("http"));
    assert_eq!(v["listen"], json!(listen));
    let (status, _) = h.api(
        "POST",
        "/proxies/t/toxics",
        Some(r#"{"name":"a","type":"http_abort","stream":"upstream","attributes":{"status":451}}"#),
    );
    assert_eq!(status, 200);
    let client = Client::new();
    let (status, fault, _) = reqwest_get(&client, format!("http://{listen}/"));
    assert_eq!((status, fault.as_deref()), (451, Some("a")));
    // And back: the http toxic stays but does nothing on a tcp proxy.
    let (_, body) = h.api("PATCH", "/proxies/t", Some(r#"{"protocol":"tcp"}"#));
    assert!(!body.contains("\"protocol\""), "{body}");
    let (status, fault, _) = reqwest_get(&Client::new(), format!("http://{listen}/"));
    assert_eq!((status, fault), (200, None));

    // Populate takes the protocol; a changed protocol replaces the proxy.
    let (status, body) = h.api(
        "POST",
        "/populate",
        Some(&format!(
            r#"[{{"name":"h","listen":"{hlisten}","upstream":"{u}","protocol":"http"}},
                {{"name":"p","listen":"127.0.0.1:0","upstream":"{u}","protocol":"http"}}]"#
        )),
    );
    assert_eq!(status, 201, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["proxies"][0]["toxics"].as_array().unwrap().len(),
        1,
        "kept"
    );
    assert_eq!(v["proxies"][1]["protocol"], json!("http"));
    let (_, body) = h.api(
        "POST",
        "/populate",
        Some(&format!(
            r#"[{{"name":"h","listen":"{hlisten}","upstream":"{u}"}}]"#
        )),
    );
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["proxies"][0]["toxics"], json!([]), "replaced");
    assert!(v["proxies"][0].get("protocol").is_none());
}

#[test]
fn upgrades_become_byte_tunnels() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    h.toxic(
        "api",
        json!({"name": "slow", "type": "http_delay", "attributes": {"delay": 1, "path": "/ws"}}),
    );
    let mut raw = Raw::connect(addr);
    raw.send(
        "GET",
        "/ws",
        &[("Connection", "Upgrade"), ("Upgrade", "echo")],
    );
    let (_, status, headers) = read_head(&mut raw.r).unwrap().unwrap();
    assert_eq!(status, "101");
    assert_eq!(headers.get("upgrade").map(String::as_str), Some("echo"));
    for word in ["ping", "GET / HTTP/1.1\r\n\r\n", "pong"] {
        raw.w.write_all(word.as_bytes()).unwrap();
        let mut got = vec![0u8; word.len()];
        raw.r.read_exact(&mut got).unwrap();
        assert_eq!(got, word.as_bytes());
    }
    assert_eq!(up.requests(), 1);
    assert_eq!(h.show("api", "slow")["stats"]["injected"], json!(1));
}

#[test]
fn an_abort_before_an_unread_body_closes_and_expect_continue_works() {
    let h = Harness::new(None);
    let up = upstream();
    let addr = h.http_proxy("api", up.addr);
    h.toxic(
        "api",
        json!({"name": "no", "type": "http_abort", "stream": "upstream",
               "attributes": {"method": "POST", "path": "/refuse"}}),
    );
    // Expect: 100-continue: the proxy says continue, the body goes through.
    let mut raw = Raw::connect(addr);
    raw.send(
        "POST",
        "/echo",
        &[("Content-Length", "3"), ("Expect", "100-continue")],
    );
    let (_, status, _) = read_head(&mut raw.r).unwrap().unwrap();
    assert_eq!(status, "100");
    raw.w.write_all(b"xyz").unwrap();
    assert_eq!(raw.response().unwrap().text(), "xyz");
    // An abort answered before the request body was read closes.
    raw.send("POST", "/refuse", &[("Content-Length", "5")]);
    raw.w.write_all(b"hello").unwrap();
    let r = raw.response().unwrap();
    assert_eq!(r.status, 503);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.header("x-chaos-fault"), Some("no"));
    let (rest, _) = raw.drain();
    assert!(rest.is_empty());
    assert_eq!(up.requests(), 1);
    // Without a body the connection stays open.
    let mut raw = Raw::connect(addr);
    let r = raw.request("POST", "/refuse", &[("Content-Length", "0")]);
    assert_eq!((r.status, r.header("connection")), (503, None));
    assert_eq!(raw.get("/after").status, 200);
}
