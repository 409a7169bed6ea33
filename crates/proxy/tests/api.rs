//! The HTTP API over real HTTP on 127.0.0.1: status codes, content types
//! and bodies as `docs/design/fault-proxy.md` §1 gives them.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use chaos_proxy::{api, Proxies};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

struct Api {
    base: String,
    client: reqwest::Client,
    _stop: Stop,
}

struct Stop(CancellationToken);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

struct Answer {
    status: StatusCode,
    content_type: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// Toxiproxy's error answer: text/plain, nosniff, JSON and a newline.
    fn assert_error(&self, status: u16, message: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(
            self.content_type.as_deref(),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(
            self.headers
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff")
        );
        assert_eq!(
            self.body,
            format!("{{\"error\":\"{message}\",\"status\":{status}}}\n")
        );
    }

    fn assert_json(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
        assert!(!self.body.ends_with('\n'));
        self.json()
    }

    fn assert_empty(&self, status: u16) {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body, "");
    }
}

async fn start() -> Api {
    start_seeded(None).await
}

async fn start_seeded(seed: Option<u64>) -> Api {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let proxies = Proxies::new(seed);
    let stop = CancellationToken::new();
    tokio::spawn(api::serve(listener, proxies, stop.clone()));
    Api {
        base: format!("http://{addr}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
        _stop: Stop(stop),
    }
}

impl Api {
    async fn call(&self, method: Method, path: &str, body: Option<&str>) -> Answer {
        self.call_as(method, path, body, None).await
    }

    async fn call_as(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
        agent: Option<&str>,
    ) -> Answer {
        let mut r = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        if let Some(a) = agent {
            r = r.header("user-agent", a);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let body = resp.text().await.unwrap();
        Answer {
            status,
            content_type,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(&body.to_string())).await
    }

    async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates an enabled proxy on 127.0.0.1:0; returns its bound listen.
    async fn proxy(&self, name: &str, upstream: &str) -> String {
        let a = self
            .post(
                "/proxies",
                json!({"name": name, "listen": "127.0.0.1:0", "upstream": upstream}),
            )
            .await;
        a.assert_json(201)["listen"].as_str().unwrap().to_string()
    }
}

/// A blocking echo server on 127.0.0.1.
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

/// A round trip through `listen` on a blocking thread.
async fn roundtrip(s: &mut TcpStream) -> bool {
    let mut c = s.try_clone().unwrap();
    tokio::task::spawn_blocking(move || {
        c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        if c.write_all(b"ping").is_err() {
            return false;
        }
        let mut got = [0u8; 4];
        c.read_exact(&mut got).is_ok() && &got == b"ping"
    })
    .await
    .unwrap()
}

async fn connect(listen: &str) -> TcpStream {
    let addr: SocketAddr = listen.parse().unwrap();
    tokio::task::spawn_blocking(move || TcpStream::connect(addr).unwrap())
        .await
        .unwrap()
}

fn refused(listen: &str) -> bool {
    let addr: SocketAddr = listen.parse().unwrap();
    matches!(TcpStream::connect(addr), Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused)
}

// ---------------------------------------------------------------- proxies

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_answers_201_with_the_bound_listen() {
    let api = start().await;
    let a = api
        .post(
            "/proxies",
            json!({"name": "redis", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:6379"}),
        )
        .await;
    let v = a.assert_json(201);
    let listen = v["listen"].as_str().unwrap();
    let port: u16 = listen.strip_prefix("127.0.0.1:").unwrap().parse().unwrap();
    assert_ne!(port, 0);
    assert_eq!(
        a.body,
        format!(
            r#"{{"name":"redis","listen":"127.0.0.1:{port}","upstream":"127.0.0.1:6379","enabled":true,"toxics":[]}}"#
        )
    );
    let id = a
        .headers
        .get("x-toxiproxy-request-id")
        .expect("request id")
        .to_str()
        .unwrap();
    assert_eq!(id.len(), 20);

    // Listed, keyed by name; shown alone.
    let all = api.get("/proxies").await.assert_json(200);
    assert_eq!(all, json!({"redis": v}));
    assert_eq!(api.get("/proxies/redis").await.assert_json(200), v);

    // Disabled at creation: nothing bound, listen echoed as given.
    let d = api
        .post(
            "/proxies",
            json!({"name": "off", "listen": "127.0.0.1:0", "upstream": "x:1", "enabled": false}),
        )
        .await
        .assert_json(201);
    assert_eq!(d["listen"], json!("127.0.0.1:0"));
    assert_eq!(d["enabled"], json!(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_errors() {
    let api = start().await;
    api.proxy("p", "127.0.0.1:1").await;
    api.post(
        "/proxies",
        json!({"name": "p", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:2"}),
    )
    .await
    .assert_error(409, "proxy already exists");
    api.post("/proxies", json!({"upstream": "127.0.0.1:2"}))
        .await
        .assert_error(400, "missing required field: name");
    // name is checked before upstream
    api.post("/proxies", json!({}))
        .await
        .assert_error(400, "missing required field: name");
    api.post("/proxies", json!({"name": "q"}))
        .await
        .assert_error(400, "missing required field: upstream");
    let a = api.call(Method::POST, "/proxies", Some("{bad")).await;
    assert_eq!(a.status, 400);
    assert!(
        a.body.starts_with("{\"error\":\"bad request body: "),
        "{}",
        a.body
    );
    assert!(a.body.ends_with(",\"status\":400}\n"), "{}", a.body);
    api.call(Method::POST, "/proxies", None)
        .await
        .assert_error(400, "bad request body: EOF");

    // A taken port: 500 with Go's wording, and no proxy.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    api.post(
        "/proxies",
        json!({"name": "busy", "listen": addr.to_string(), "upstream": "127.0.0.1:2"}),
    )
    .await
    .assert_error(
        500,
        &format!("listen tcp {addr}: bind: address already in use"),
    );
    api.get("/proxies/busy")
        .await
        .assert_error(404, "proxy not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_proxies_and_toxics_are_404() {
    let api = start().await;
    api.get("/proxies/nope")
        .await
        .assert_error(404, "proxy not found");
    api.delete("/proxies/nope")
        .await
        .assert_error(404, "proxy not found");
    api.post("/proxies/nope", json!({"enabled": false}))
        .await
        .assert_error(404, "proxy not found");
    api.get("/proxies/nope/toxics")
        .await
        .assert_error(404, "proxy not found");
    api.post("/proxies/nope/toxics", json!({"type": "latency"}))
        .await
        .assert_error(404, "proxy not found");
    api.get("/proxies/nope/toxics/t")
        .await
        .assert_error(404, "proxy not found");
    api.proxy("p", "127.0.0.1:1").await;
    api.get("/proxies/p/toxics/t")
        .await
        .assert_error(404, "toxic not found");
    api.post("/proxies/p/toxics/t", json!({"toxicity": 0.5}))
        .await
        .assert_error(404, "toxic not found");
    api.delete("/proxies/p/toxics/t")
        .await
        .assert_error(404, "toxic not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_merges_and_only_restarts_on_a_real_change() {
    let api = start().await;
    let up = echo().to_string();
    let listen = api.proxy("p", &up).await;
    let mut open = connect(&listen).await;
    assert!(roundtrip(&mut open).await);

    // The node client posts everything back, with the bound listen: no
    // restart, the open connection lives on.
    let v = api
        .post(
            "/proxies/p",
            json!({"enabled": true, "listen": listen, "upstream": up}),
        )
        .await
        .assert_json(200);
    assert_eq!(v["listen"], json!(listen));
    assert!(roundtrip(&mut open).await, "same listen must not restart");

    // PATCH works as POST; the name cannot change.
    let v = api
        .call(
            Method::PATCH,
            "/proxies/p",
            Some(r#"{"name": "other", "upstream": "127.0.0.1:9"}"#),
        )
        .await
        .assert_json(200);
    assert_eq!(v["name"], json!("p"));
    assert_eq!(v["upstream"], json!("127.0.0.1:9"));
    assert_eq!(
        v["listen"],
        json!(listen),
        "a restart rebinds the stored port"
    );
    assert!(!roundtrip(&mut open).await, "a new upstream restarts");
    api.post("/proxies/p", json!({"upstream": up}))
        .await
        .assert_json(200);

    // Disable: refused, listen kept; enable: same port again.
    let v = api
        .post("/proxies/p", json!({"enabled": false}))
        .await
        .assert_json(200);
    assert_eq!(v["enabled"], json!(false));
    assert_eq!(v["listen"], json!(listen));
    assert!(refused(&listen));
    let v = api
        .post("/proxies/p", json!({"enabled": true}))
        .await
        .assert_json(200);
    assert_eq!(v["enabled"], json!(true));
    assert_eq!(v["listen"], json!(listen));
    let mut c = connect(&listen).await;
    assert!(roundtrip(&mut c).await);

    // A new listen address moves it.
    let v = api
        .post("/proxies/p", json!({"listen": "127.0.0.1:0"}))
        .await
        .assert_json(200);
    let moved = v["listen"].as_str().unwrap().to_string();
    assert_ne!(moved, listen);
    assert!(refused(&listen));
    let mut c = connect(&moved).await;
    assert!(roundtrip(&mut c).await);

    // Delete: 204, empty, refused.
    api.delete("/proxies/p").await.assert_empty(204);
    assert!(refused(&moved));
    api.get("/proxies/p")
        .await
        .assert_error(404, "proxy not found");
}

// ---------------------------------------------------------------- toxics

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toxics_get_defaults_merge_updates_and_are_deleted() {
    let api = start().await;
    api.proxy("p", "127.0.0.1:1").await;
    let a = api
        .post(
            "/proxies/p/toxics",
            json!({"type": "latency", "attributes": {"latency": 5}}),
        )
        .await;
    a.assert_json(200);
    assert_eq!(
        a.body,
        r#"{"attributes":{"latency":5,"jitter":0},"name":"latency_downstream","type":"latency","stream":"downstream","toxicity":1}"#
    );
    // chaostoxi sends attributes: null.
    let v = api
        .post(
            "/proxies/p/toxics",
            json!({"name": "cut", "type": "limit_data", "stream": "UPSTREAM", "toxicity": 0.5, "attributes": null}),
        )
        .await
        .assert_json(200);
    assert_eq!(
        v,
        json!({"attributes": {"bytes": 0}, "name": "cut", "type": "limit_data", "stream": "UPSTREAM", "toxicity": 0.5})
    );
    api.post("/proxies/p/toxics", json!({"name": "cut", "type": "noop"}))
        .await
        .assert_error(409, "toxic already exists");
    api.post("/proxies/p/toxics", json!({"type": "nope"}))
        .await
        .assert_error(400, "invalid toxic type");
    api.post(
        "/proxies/p/toxics",
        json!({"type": "latency", "stream": "sideways"}),
    )
    .await
    .assert_error(
        400,
        "stream was invalid, can be either upstream or downstream",
    );
    let a = api
        .post(
            "/proxies/p/toxics",
            json!({"name": "f", "type": "latency", "attributes": {"latency": 1.5}}),
        )
        .await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("bad request body: "), "{}", a.body);

    // Upstream toxics first, then downstream.
    let list = api.get("/proxies/p/toxics").await.assert_json(200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cut", "latency_downstream"]);

    // Updates merge; type and stream do not change.
    let v = api
        .post(
            "/proxies/p/toxics/latency_downstream",
            json!({"attributes": {"jitter": 3}, "type": "bandwidth", "stream": "upstream"}),
        )
        .await
        .assert_json(200);
    assert_eq!(
        v,
        json!({"attributes": {"latency": 5, "jitter": 3}, "name": "latency_downstream", "type": "latency", "stream": "downstream", "toxicity": 1})
    );
    let v = api
        .call(
            Method::PATCH,
            "/proxies/p/toxics/latency_downstream",
            Some(r#"{"toxicity": 0.25}"#),
        )
        .await
        .assert_json(200);
    assert_eq!(v["toxicity"], json!(0.25));
    assert_eq!(v["attributes"], json!({"latency": 5, "jitter": 3}));
    assert_eq!(
        api.get("/proxies/p/toxics/latency_downstream")
            .await
            .assert_json(200),
        v
    );
    assert_eq!(
        api.get("/proxies/p").await.assert_json(200)["toxics"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    api.delete("/proxies/p/toxics/latency_downstream")
        .await
        .assert_empty(204);
    api.delete("/proxies/p/toxics/latency_downstream")
        .await
        .assert_error(404, "toxic not found");
    // Names are free again once deleted.
    api.post("/proxies/p/toxics", json!({"type": "latency"}))
        .await
        .assert_json(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_reenables_and_removes_every_toxic() {
    let api = start().await;
    let up = echo().to_string();
    let listen = api.proxy("p", &up).await;
    api.post(
        "/proxies/p/toxics",
        json!({"type": "timeout", "attributes": {"timeout": 0}}),
    )
    .await
    .assert_json(200);
    api.post("/proxies/p", json!({"enabled": false}))
        .await
        .assert_json(200);
    api.call(Method::POST, "/reset", None)
        .await
        .assert_empty(204);
    let v = api.get("/proxies/p").await.assert_json(200);
    assert_eq!(v["enabled"], json!(true));
    assert_eq!(v["listen"], json!(listen));
    assert_eq!(v["toxics"], json!([]));
    let mut c = connect(&listen).await;
    assert!(roundtrip(&mut c).await);
}

// ---------------------------------------------------------------- populate

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn populate_creates_keeps_and_replaces() {
    let api = start().await;
    let a = api
        .post(
            "/populate",
            json!([
                {"name": "a", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"},
                {"name": "b", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:2", "enabled": false}
            ]),
        )
        .await;
    let v = a.assert_json(201);
    let proxies = v["proxies"].as_array().unwrap();
    assert_eq!(proxies.len(), 2);
    assert_eq!(proxies[0]["name"], json!("a"));
    assert_eq!(proxies[1]["enabled"], json!(false));
    let a_listen = proxies[0]["listen"].as_str().unwrap().to_string();
    assert_ne!(a_listen, "127.0.0.1:0");

    // Same listen and upstream: kept untouched (toxics and enabled too),
    // whatever `enabled` says. A new upstream: replaced, toxics lost.
    api.post("/proxies/a/toxics", json!({"type": "noop"}))
        .await
        .assert_json(200);
    api.post("/proxies/b/toxics", json!({"type": "noop"}))
        .await
        .assert_json(200);
    let v = api
        .post(
            "/populate",
            json!([
                {"name": "a", "listen": a_listen, "upstream": "127.0.0.1:1", "enabled": false},
                {"name": "b", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:3"}
            ]),
        )
        .await
        .assert_json(201);
    let p = v["proxies"].as_array().unwrap();
    assert_eq!(p[0]["enabled"], json!(true));
    assert_eq!(p[0]["toxics"].as_array().unwrap().len(), 1);
    assert_eq!(p[1]["upstream"], json!("127.0.0.1:3"));
    assert_eq!(p[1]["enabled"], json!(true));
    assert_eq!(p[1]["toxics"], json!([]));

    // Empty: proxies is null, as Toxiproxy's nil slice.
    let a = api.post("/populate", json!([])).await;
    a.assert_json(201);
    assert_eq!(a.body, r#"{"proxies":null}"#);

    // Validation first, nothing created, 1-based index.
    let a = api
        .post(
            "/populate",
            json!([
                {"name": "c", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"},
                {"listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}
            ]),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        a.body,
        r#"{"error":"missing required field: name at proxy 2","status":400,"proxies":null}"#
    );
    api.get("/proxies/c")
        .await
        .assert_error(404, "proxy not found");
    let a = api
        .post("/populate", json!([{"name": "d", "listen": "127.0.0.1:0"}]))
        .await;
    assert_eq!(
        a.body,
        r#"{"error":"missing required field: upstream at proxy 1","status":400,"proxies":null}"#
    );
    let a = api.post("/populate", json!({"name": "x"})).await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("bad request body: "), "{}", a.body);

    // A bind error stops the loop; the earlier entries persist.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let a = api
        .post(
            "/populate",
            json!([
                {"name": "e", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"},
                {"name": "f", "listen": addr, "upstream": "127.0.0.1:1"},
                {"name": "g", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:1"}
            ]),
        )
        .await;
    assert_eq!(a.status, 500);
    let v = a.json();
    assert_eq!(
        v["error"],
        json!(format!("listen tcp {addr}: bind: address already in use"))
    );
    assert_eq!(v["proxies"].as_array().unwrap().len(), 1);
    api.get("/proxies/e").await.assert_json(200);
    // The one that failed to bind is not added.
    api.get("/proxies/f")
        .await
        .assert_error(404, "proxy not found");
    // One that failed to replace stays, stopped, with its old settings.
    let a = api
        .post(
            "/populate",
            json!([{"name": "e", "listen": addr, "upstream": "127.0.0.1:1"}]),
        )
        .await;
    assert_eq!(a.status, 500);
    let e = api.get("/proxies/e").await.assert_json(200);
    assert_eq!(e["enabled"], json!(false));
    assert_ne!(e["listen"], json!(addr));
    api.get("/proxies/g")
        .await
        .assert_error(404, "proxy not found");
}

// ---------------------------------------------------------------- misc

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_body_and_content_type() {
    let api = start().await;
    let a = api.get("/version").await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.content_type.as_deref(),
        Some("application/json;charset=utf-8")
    );
    assert_eq!(a.body, "{\"version\": \"2.12.0\"}\n");
    assert!(a.headers.contains_key("x-toxiproxy-request-id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_unknown_paths_and_wrong_methods() {
    let api = start().await;
    let a = api
        .call_as(
            Method::GET,
            "/proxies",
            None,
            Some("Mozilla/5.0 (X11; Linux x86_64)"),
        )
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.content_type.as_deref(), Some("text/plain; charset=utf-8"));
    assert_eq!(a.body, "User agent not allowed\n");
    // Not a browser: allowed.
    let a = api
        .call_as(Method::GET, "/proxies", None, Some("python-requests/2.34"))
        .await;
    assert_eq!(a.status, 200);

    for path in ["/nope", "/proxies/", "/proxies/a/b/c/d", "/events"] {
        let a = api.get(path).await;
        assert_eq!(a.status, 404, "{path}");
        assert_eq!(a.content_type.as_deref(), Some("text/plain; charset=utf-8"));
        assert_eq!(a.body, "404 page not found\n");
        // mux runs its middleware on matched routes only.
        assert!(!a.headers.contains_key("x-toxiproxy-request-id"), "{path}");
    }
    let a = api
        .call_as(Method::GET, "/nope", None, Some("Mozilla/5.0"))
        .await;
    assert_eq!(a.status, 404, "unknown paths skip the browser check");
    for (m, path) in [
        (Method::PUT, "/proxies"),
        (Method::DELETE, "/version"),
        (Method::GET, "/reset"),
        (Method::GET, "/populate"),
        (Method::PUT, "/proxies/p/toxics"),
    ] {
        let a = api.call(m.clone(), path, None).await;
        assert_eq!(a.status, 405, "{m} {path}");
        assert_eq!(a.body, "", "{m} {path}");
        assert!(
            !a.headers.contains_key("x-toxiproxy-request-id"),
            "{m} {path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_bytes_live() {
    let api = start().await;
    let up = echo().to_string();
    let listen = api.proxy("m", &up).await;
    let line = |body: &str, metric: &str, dir: &str| -> u64 {
        let prefix = format!(
            "{metric}{{direction=\"{dir}\",listener=\"{listen}\",proxy=\"m\",upstream=\"{up}\"}} "
        );
        body.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no {prefix} in\n{body}"))
            .parse()
            .unwrap()
    };
    let a = api.get("/metrics").await;
    assert_eq!(a.status, 200);
    assert!(a
        .content_type
        .as_deref()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    assert_eq!(
        line(&a.body, "toxiproxy_proxy_received_bytes_total", "upstream"),
        0
    );
    let mut c = connect(&listen).await;
    for round in 1..=3u64 {
        assert!(roundtrip(&mut c).await);
        // A counter moves right after its write returns, which may be just
        // after the client has read the bytes: wait a little for it.
        let want = 4 * round;
        let mut body = String::new();
        for _ in 0..100 {
            body = api.get("/metrics").await.body;
            if line(&body, "toxiproxy_proxy_sent_bytes_total", "downstream") == want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for metric in [
            "toxiproxy_proxy_received_bytes_total",
            "toxiproxy_proxy_sent_bytes_total",
        ] {
            for dir in ["upstream", "downstream"] {
                assert_eq!(line(&body, metric, dir), want, "{metric} {dir}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn toxics_added_through_the_api_reach_open_connections() {
    let api = start().await;
    let up = echo().to_string();
    let listen = api.proxy("p", &up).await;
    let mut c = connect(&listen).await;
    assert!(roundtrip(&mut c).await);
    api.post(
        "/proxies/p/toxics",
        json!({"name": "t", "type": "timeout", "attributes": {"timeout": 0}}),
    )
    .await
    .assert_json(200);
    assert!(!roundtrip(&mut c).await, "swallowed");
    // Removing a timeout toxic closes the connections it was on.
    api.delete("/proxies/p/toxics/t").await.assert_empty(204);
    let mut r = c.try_clone().unwrap();
    let n = tokio::task::spawn_blocking(move || {
        r.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 16];
        r.read(&mut buf)
    })
    .await
    .unwrap();
    // The echo of the earlier ping may or may not have been swallowed;
    // after it, the connection ends.
    assert!(matches!(n, Ok(0) | Ok(4) | Err(_)), "{n:?}");
    let mut fresh = connect(&listen).await;
    assert!(roundtrip(&mut fresh).await);
}
