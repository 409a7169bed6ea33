//! The collection of proxies: create, update, populate, reset, toxics, with
//! Toxiproxy's rules for each (`docs/design/fault-proxy.md` §1.4–§1.7).

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde_json::{Map, Value};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::link::{self, Chain, Counters, Entry, LinkSetup};
use crate::model::{ApiError, Kind, Protocol, ProxyInput, Stream, Toxic};

struct Proxy {
    input: ProxyInput,
    toxics: Vec<Entry>,
    upstream_chain: watch::Sender<Chain>,
    downstream_chain: watch::Sender<Chain>,
    running: Option<CancellationToken>,
    /// A duplicate of the listening socket, to close it synchronously.
    listening: Option<std::net::TcpListener>,
    counters: Arc<[Counters; 2]>,
}

impl Proxy {
    fn new(input: ProxyInput) -> Proxy {
        Proxy {
            input,
            toxics: Vec::new(),
            upstream_chain: watch::channel(Arc::new(Vec::new())).0,
            downstream_chain: watch::channel(Arc::new(Vec::new())).0,
            running: None,
            listening: None,
            counters: Arc::new([Counters::default(), Counters::default()]),
        }
    }

    /// Upstream toxics first, then downstream, each in insertion order.
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), Value::from(self.input.name.clone()));
        m.insert("listen".into(), Value::from(self.input.listen.clone()));
        m.insert("upstream".into(), Value::from(self.input.upstream.clone()));
        m.insert("enabled".into(), Value::from(self.input.enabled));
        // Only when not Toxiproxy's: tcp proxies answer as Toxiproxy does.
        if self.input.protocol == Protocol::Http {
            m.insert("protocol".into(), Value::from("http"));
        }
        m.insert("toxics".into(), Value::Array(self.toxics_json()));
        Value::Object(m)
    }

    fn toxics_json(&self) -> Vec<Value> {
        let up = self
            .toxics
            .iter()
            .filter(|e| e.toxic.stream == Stream::Upstream);
        let down = self
            .toxics
            .iter()
            .filter(|e| e.toxic.stream == Stream::Downstream);
        up.chain(down).map(|e| e.toxic.to_json()).collect()
    }

    fn publish(&self) {
        let of = |s: Stream| -> Chain {
            Arc::new(
                self.toxics
                    .iter()
                    .filter(|e| e.toxic.stream == s)
                    .cloned()
                    .collect(),
            )
        };
        self.upstream_chain.send_replace(of(Stream::Upstream));
        self.downstream_chain.send_replace(of(Stream::Downstream));
    }

    fn stop(&mut self) {
        if let Some(token) = self.running.take() {
            token.cancel();
        }
        // The accept task drops the listener when it next runs; until then
        // the port would still be taken, and a re-enable right after a
        // disable would fail to bind. Shutting the socket down takes it
        // out of LISTEN now (new connections are refused at once).
        if let Some(l) = self.listening.take() {
            use std::os::fd::AsRawFd;
            let _ = nix::sys::socket::shutdown(l.as_raw_fd(), nix::sys::socket::Shutdown::Read);
        }
        self.input.enabled = false;
    }
}

/// The address to bind for a `listen` string: the first IPv4 address it
/// resolves to, as Go prefers; an empty string binds every interface.
fn resolve(listen: &str) -> Result<SocketAddr, ApiError> {
    let listen = if listen.is_empty() {
        "0.0.0.0:0"
    } else {
        listen
    };
    let addrs: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|e| ApiError::new(500, format!("address {listen}: {e}")))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| ApiError::new(500, format!("address {listen}: no address")))
}

/// The proxies of one server (or one `chaos run`).
#[derive(Clone)]
pub struct Proxies {
    inner: Arc<Inner>,
}

struct Inner {
    proxies: Mutex<BTreeMap<String, Proxy>>,
    rng: Mutex<StdRng>,
    next_id: AtomicU64,
    runtime: tokio::runtime::Handle,
}

impl Proxies {
    /// An empty collection; connections are served on the current tokio
    /// runtime. With a seed, every random draw (toxicity, jitter, slicing)
    /// is replayed identically for the same sequence of connections.
    pub fn new(seed: Option<u64>) -> Proxies {
        let rng = match seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_entropy(),
        };
        Proxies {
            inner: Arc::new(Inner {
                proxies: Mutex::new(BTreeMap::new()),
                rng: Mutex::new(rng),
                next_id: AtomicU64::new(1),
                runtime: tokio::runtime::Handle::current(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Proxy>> {
        self.inner.proxies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Binds and starts accepting; `listen` becomes the bound address.
    fn start(&self, proxy: &mut Proxy) -> Result<(), ApiError> {
        if proxy.running.is_some() {
            return Ok(());
        }
        let addr = resolve(&proxy.input.listen)?;
        let std_listener = {
            // A deep accept queue (std's bind leaves 128): bursts of new
            // connections are not dropped into SYN retries. Go listens with
            // SO_REUSEADDR and the system's maximum backlog.
            let _guard = self.inner.runtime.enter();
            let socket = if addr.is_ipv4() {
                tokio::net::TcpSocket::new_v4()
            } else {
                tokio::net::TcpSocket::new_v6()
            };
            socket
                .and_then(|s| s.set_reuseaddr(true).map(|_| s))
                .and_then(|s| s.bind(addr).map(|_| s))
                .and_then(|s| s.listen(4096))
                .and_then(|l| l.into_std())
                .map_err(|e| {
                    ApiError::new(500, format!("listen tcp {addr}: bind: {}", os_text(&e)))
                })?
        };
        let bound = std_listener
            .local_addr()
            .map_err(|e| ApiError::new(500, e.to_string()))?;
        proxy.listening = std_listener.try_clone().ok();
        let _guard = self.inner.runtime.enter();
        let listener = tokio::net::TcpListener::from_std(std_listener)
            .map_err(|e| ApiError::new(500, e.to_string()))?;
        proxy.input.listen = bound.to_string();
        proxy.input.enabled = true;
        let stop = CancellationToken::new();
        proxy.running = Some(stop.clone());
        let setup = LinkSetup {
            upstream: proxy.input.upstream.clone(),
            upstream_chain: proxy.upstream_chain.subscribe(),
            downstream_chain: proxy.downstream_chain.subscribe(),
            stop: stop.clone(),
            counters: proxy.counters.clone(),
        };
        let inner = self.inner.clone();
        let http = proxy.input.protocol == Protocol::Http;
        self.inner.runtime.spawn(async move {
            loop {
                let accepted = tokio::select! {
                    biased;
                    _ = stop.cancelled() => return,
                    a = listener.accept() => a,
                };
                let Ok((client, _)) = accepted else {
                    // Out of file descriptors, say: do not spin on it.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let seed = inner
                    .rng
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .next_u64();
                let rng = StdRng::seed_from_u64(seed);
                if http {
                    tokio::spawn(crate::http::serve(client, setup.clone(), rng));
                } else {
                    tokio::spawn(link::serve(client, setup.clone(), rng));
                }
            }
        });
        Ok(())
    }

    /// `GET /proxies`: every proxy by name.
    pub fn list(&self) -> Value {
        Value::Object(
            self.lock()
                .iter()
                .map(|(k, p)| (k.clone(), p.to_json()))
                .collect(),
        )
    }

    /// `GET /proxies/{name}`.
    pub fn get(&self, name: &str) -> Result<Value, ApiError> {
        self.lock()
            .get(name)
            .map(Proxy::to_json)
            .ok_or_else(not_found)
    }

    /// `POST /proxies`.
    pub fn create(&self, body: &Value) -> Result<Value, ApiError> {
        let input = ProxyInput::decode(body, ProxyInput::fresh())?;
        check_required(&input, None)?;
        let mut proxies = self.lock();
        if proxies.contains_key(&input.name) {
            return Err(ApiError::new(409, "proxy already exists"));
        }
        let mut proxy = Proxy::new(input.clone());
        if input.enabled {
            self.start(&mut proxy)?;
        }
        let json = proxy.to_json();
        proxies.insert(input.name, proxy);
        Ok(json)
    }

    /// `POST|PATCH /proxies/{name}`: the body decoded over the current
    /// values; a new listen address or upstream restarts the proxy.
    pub fn update(&self, name: &str, body: &Value) -> Result<Value, ApiError> {
        let mut proxies = self.lock();
        let proxy = proxies.get_mut(name).ok_or_else(not_found)?;
        let mut base = proxy.input.clone();
        base.name = name.to_string();
        let input = ProxyInput::decode(body, base)?;
        let new_listen = resolve(&input.listen)?.to_string();
        if new_listen != proxy.input.listen
            || input.upstream != proxy.input.upstream
            || input.protocol != proxy.input.protocol
        {
            let was = proxy.input.enabled;
            proxy.stop();
            proxy.input.listen = input.listen.clone();
            proxy.input.upstream = input.upstream.clone();
            proxy.input.protocol = input.protocol;
            proxy.input.enabled = was;
            if was && input.enabled {
                proxy.input.enabled = false;
                self.start(proxy)?;
            }
        }
        if input.enabled != proxy.input.enabled || (input.enabled && proxy.running.is_none()) {
            if input.enabled {
                self.start(proxy)?;
            } else {
                proxy.stop();
            }
        }
        Ok(proxy.to_json())
    }

    /// `DELETE /proxies/{name}`.
    pub fn delete(&self, name: &str) -> Result<(), ApiError> {
        let mut proxy = self.lock().remove(name).ok_or_else(not_found)?;
        proxy.stop();
        Ok(())
    }

    /// `POST /populate`: creates, keeps or replaces each proxy; stops at the
    /// first bind error. Returns the proxies done and that error.
    pub fn populate(&self, body: &Value) -> (Vec<Value>, Option<ApiError>) {
        let Value::Array(items) = body else {
            return (
                Vec::new(),
                Some(ApiError::bad_body(
                    "json: cannot unmarshal object into Go value of type []struct { Name string; Listen string; Upstream string; Enabled *bool }",
                )),
            );
        };
        let mut inputs = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match ProxyInput::decode(item, ProxyInput::fresh())
                .and_then(|p| check_required(&p, Some(i + 1)).map(|_| p))
            {
                Ok(p) => inputs.push(p),
                Err(e) => return (Vec::new(), Some(e)),
            }
        }
        let mut done = Vec::new();
        let mut proxies = self.lock();
        for input in inputs {
            if let Some(existing) = proxies.get(&input.name) {
                let same_listen = resolve(&input.listen)
                    .map(|a| a.to_string() == existing.input.listen)
                    .unwrap_or(false);
                if same_listen
                    && existing.input.upstream == input.upstream
                    && existing.input.protocol == input.protocol
                {
                    done.push(existing.to_json());
                    continue;
                }
            }
            let old = proxies.remove(&input.name).map(|mut old| {
                old.stop();
                old
            });
            let mut proxy = Proxy::new(input.clone());
            let started = if input.enabled {
                self.start(&mut proxy)
            } else {
                Ok(())
            };
            if let Err(e) = started {
                // As Toxiproxy: a new proxy that cannot bind is not added;
                // one it was to replace stays, stopped, under its name.
                if let Some(old) = old {
                    proxies.insert(input.name, old);
                }
                return (done, Some(e));
            }
            done.push(proxy.to_json());
            proxies.insert(input.name, proxy);
        }
        (done, None)
    }

    /// `POST /reset`: every proxy enabled, every toxic removed.
    pub fn reset(&self) -> Result<(), ApiError> {
        let mut proxies = self.lock();
        for proxy in proxies.values_mut() {
            if proxy.running.is_none() {
                self.start(proxy)?;
            }
            proxy.toxics.clear();
            proxy.publish();
        }
        Ok(())
    }

    /// `GET /proxies/{p}/toxics`.
    pub fn toxics(&self, proxy: &str) -> Result<Value, ApiError> {
        let proxies = self.lock();
        let p = proxies.get(proxy).ok_or_else(not_found)?;
        Ok(Value::Array(p.toxics_json()))
    }

    /// `POST /proxies/{p}/toxics`: applies to open connections too.
    pub fn add_toxic(&self, proxy: &str, body: &Value) -> Result<Value, ApiError> {
        let mut proxies = self.lock();
        let p = proxies.get_mut(proxy).ok_or_else(not_found)?;
        let toxic = Toxic::from_create(body)?;
        if matches!(toxic.kind, Kind::Http(_)) && p.input.protocol != Protocol::Http {
            return Err(ApiError::new(400, "toxic type requires an http proxy"));
        }
        if p.toxics.iter().any(|e| e.toxic.name == toxic.name) {
            return Err(ApiError::new(409, "toxic already exists"));
        }
        let json = toxic.to_json();
        p.toxics.push(Entry {
            id: self.inner.next_id.fetch_add(1, Ordering::Relaxed),
            toxic,
        });
        p.publish();
        Ok(json)
    }

    /// `GET /proxies/{p}/toxics/{t}`.
    pub fn toxic(&self, proxy: &str, name: &str) -> Result<Value, ApiError> {
        let proxies = self.lock();
        let p = proxies.get(proxy).ok_or_else(not_found)?;
        p.toxics
            .iter()
            .find(|e| e.toxic.name == name)
            .map(|e| e.toxic.to_json())
            .ok_or_else(toxic_not_found)
    }

    /// `POST|PATCH /proxies/{p}/toxics/{t}`: attributes and toxicity merged.
    pub fn update_toxic(&self, proxy: &str, name: &str, body: &Value) -> Result<Value, ApiError> {
        let mut proxies = self.lock();
        let p = proxies.get_mut(proxy).ok_or_else(not_found)?;
        let entry = p
            .toxics
            .iter_mut()
            .find(|e| e.toxic.name == name)
            .ok_or_else(toxic_not_found)?;
        entry.toxic = entry.toxic.updated(body)?;
        let json = entry.toxic.to_json();
        p.publish();
        Ok(json)
    }

    /// `DELETE /proxies/{p}/toxics/{t}`.
    pub fn remove_toxic(&self, proxy: &str, name: &str) -> Result<(), ApiError> {
        let mut proxies = self.lock();
        let p = proxies.get_mut(proxy).ok_or_else(not_found)?;
        let before = p.toxics.len();
        p.toxics.retain(|e| e.toxic.name != name);
        if p.toxics.len() == before {
            return Err(toxic_not_found());
        }
        p.publish();
        Ok(())
    }

    /// Stops every proxy and forgets them all (end of a run).
    pub fn shutdown(&self) {
        let mut proxies = self.lock();
        for p in proxies.values_mut() {
            p.stop();
        }
        proxies.clear();
    }

    /// Prometheus text: Toxiproxy's two byte counters, live.
    pub fn metrics(&self) -> String {
        let mut out = String::new();
        out.push_str("# TYPE toxiproxy_proxy_received_bytes_total counter\n");
        let proxies = self.lock();
        let line = |out: &mut String, metric: &str, p: &Proxy, dir: usize| {
            let c = &p.counters[dir];
            let v = if metric.contains("received") {
                c.received.load(Ordering::Relaxed)
            } else {
                c.sent.load(Ordering::Relaxed)
            };
            out.push_str(&format!(
                "{metric}{{direction=\"{}\",listener=\"{}\",proxy=\"{}\",upstream=\"{}\"}} {v}\n",
                if dir == 0 { "upstream" } else { "downstream" },
                p.input.listen,
                p.input.name,
                p.input.upstream
            ));
        };
        for p in proxies.values() {
            for dir in 0..2 {
                line(&mut out, "toxiproxy_proxy_received_bytes_total", p, dir);
            }
        }
        out.push_str("# TYPE toxiproxy_proxy_sent_bytes_total counter\n");
        for p in proxies.values() {
            for dir in 0..2 {
                line(&mut out, "toxiproxy_proxy_sent_bytes_total", p, dir);
            }
        }
        out
    }
}

fn check_required(p: &ProxyInput, at: Option<usize>) -> Result<(), ApiError> {
    let suffix = at.map(|i| format!(" at proxy {i}")).unwrap_or_default();
    if p.name.is_empty() {
        return Err(ApiError::new(
            400,
            format!("missing required field: name{suffix}"),
        ));
    }
    if p.upstream.is_empty() {
        return Err(ApiError::new(
            400,
            format!("missing required field: upstream{suffix}"),
        ));
    }
    Ok(())
}

fn not_found() -> ApiError {
    ApiError::new(404, "proxy not found")
}

fn toxic_not_found() -> ApiError {
    ApiError::new(404, "toxic not found")
}

/// An OS error as Go words it (`address already in use`).
fn os_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => "address already in use".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
