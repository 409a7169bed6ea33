//! `chaos-k8s-fake`: an in-process fake Kubernetes API server for tests.
//!
//! No real cluster can run where this project is built and tested, yet the
//! Kubernetes driver (built on `kube`/`k8s-openapi`) and the `kubectl`
//! binary both have to be exercised end to end. This crate owns the one
//! stand-in for a cluster: a loopback HTTP server that speaks the real
//! Kubernetes JSON API — object shapes, `Status` error bodies and codes,
//! discovery, list/watch semantics, resourceVersions — backed by an
//! in-memory store and a few simplified controllers (Deployments with
//! ReplicaSets, StatefulSets, DaemonSets, a scheduler, Endpoints,
//! PodDisruptionBudgets and the eviction API, garbage collection).
//!
//! Fidelity matters more than completeness here: whatever the fake answers
//! is what the driver learns to expect, so messages and codes follow
//! `k8s.io/apiserver` and `k8s.io/apimachinery` wherever a client might
//! branch on them. What is not modelled answers with an honest `Status`
//! instead of a plausible lie.
//!
//! Deliberate limits, each answered honestly: no TLS (kubectl, like all
//! client-go programs, only sends kubeconfig credentials to `https://`
//! servers, so `require_token` makes kubectl see 401 while kube-rs, which
//! sends the token anyway, authenticates); exec only over WebSocket
//! (`v4`/`v5.channel.k8s.io`, commands decided by `set_exec`), no SPDY and
//! no attach/port-forward streams (400); no server-side apply and no protobuf request bodies (415:
//! kubectl's typed-client subcommands such as `create namespace`, `expose`
//! and `auth can-i` send protobuf; `get`, `apply`, `scale`, `cordon`,
//! `drain`, `delete`, `logs` send JSON); no aggregated discovery (plain
//! JSON, clients fall back); OpenAPI v3 only as far as kubectl needs to
//! trust server-side field validation; rollouts replace pods at once rather
//! than honouring maxSurge/maxUnavailable; deletion is immediate after the
//! grace-period MODIFIED event.
//!
//! ```no_run
//! let cluster = chaos_k8s_fake::FakeCluster::with_nodes(&["node-1", "node-2"]);
//! let url = cluster.url();
//! # drop(url);
//! ```

mod controllers;
mod defaults;
mod discovery;
mod events;
mod exec;
mod http;
mod patch;
mod pods;
mod rbac;
mod resources;
mod scale;
mod selectors;
mod state;
mod status;
mod store;
mod table;
mod util;
mod watch;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

pub use crate::exec::{ExecOutput, ExecRequest};
use crate::state::Shared;

/// One request as the fake served it, with the attributes Kubernetes'
/// request-info resolver would assign (what RBAC and audit logs see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// get, list, watch, create, update, patch, delete, deletecollection;
    /// the lower-cased HTTP method for non-resource paths (`/version`).
    pub verb: String,
    /// "" for the core group.
    pub api_group: String,
    pub api_version: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    pub content_type: String,
    /// The request body as text (lossy UTF-8, at most 64 KiB), so tests
    /// can check what a client sent (patches, DeleteOptions, Evictions).
    pub body: String,
    pub status: u16,
}

/// A running fake API server. Dropping it stops the server.
pub struct FakeCluster {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeCluster {
    /// Binds 127.0.0.1 on an ephemeral port and serves from a dedicated
    /// thread with its own runtime, so sync tests and async tests (on any
    /// runtime flavour) can use it alike.
    pub fn start() -> FakeCluster {
        let shared = Shared::new();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("k8s-fake".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    tokio::spawn(controllers::run(server_shared.clone()));
                    http::serve(listener, server_shared, rx).await;
                });
                // Dropping the runtime cancels open watches and controllers.
                rt.shutdown_background();
            })
            .expect("spawn server thread");
        FakeCluster {
            shared,
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `start()` plus Ready, schedulable nodes with realistic status.
    pub fn with_nodes(names: &[&str]) -> FakeCluster {
        let c = FakeCluster::start();
        for (i, name) in names.iter().enumerate() {
            c.apply(controllers::node_object(name, i));
        }
        c
    }

    /// e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes a kubeconfig whose cluster points at `url()`, with a user
    /// authenticating by the token `fake-token` and `context` current.
    pub fn write_kubeconfig(&self, path: &Path, context: &str, namespace: Option<&str>) {
        let ns_line = namespace
            .map(|n| format!("    namespace: {}\n", yaml_str(n)))
            .unwrap_or_default();
        let text = format!(
            "apiVersion: v1\nkind: Config\npreferences: {{}}\nclusters:\n- name: fake-cluster\n  cluster:\n    server: {url}\ncontexts:\n- name: {ctx}\n  context:\n    cluster: fake-cluster\n    user: fake-user\n{ns_line}current-context: {ctx}\nusers:\n- name: fake-user\n  user:\n    token: fake-token\n",
            url = yaml_str(&self.url()),
            ctx = yaml_str(context),
        );
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).expect("create kubeconfig directory");
        }
        std::fs::write(path, text).expect("write kubeconfig");
    }

    /// From now on, requests without `Authorization: Bearer <token>` get a
    /// 401 Unauthorized Status.
    pub fn require_token(&self, token: &str) {
        self.shared.lock().token = Some(token.to_string());
    }

    /// The user named in Forbidden messages (default
    /// `system:serviceaccount:default:default`).
    pub fn set_user(&self, user: &str) {
        self.shared.lock().user = user.to_string();
    }

    /// From now on, requests are authorized as the API server's RBAC
    /// authorizer would: allowed only by a rule of a Role or ClusterRole
    /// (stored in the fake, `apply` them) bound to the user (`set_user`,
    /// e.g. `system:serviceaccount:chaos:runner`). `forbid` still applies.
    pub fn enforce_rbac(&self) {
        self.shared.lock().rbac = true;
    }

    /// Creates or replaces any supported object, server-side metadata
    /// filled in (uid, resourceVersion, creationTimestamp, generation,
    /// namespace "default"); status is stored as given. A missing namespace
    /// is created. Returns the stored object.
    ///
    /// # Panics
    /// On an object the fake cannot store (unknown kind, invalid name):
    /// that is a bug in the calling test.
    pub fn apply(&self, object: Value) -> Value {
        let out = self.shared.lock().apply(object);
        self.shared.wake.notify_one();
        match out {
            Ok(v) => v,
            Err(e) => panic!("FakeCluster::apply: {}", e.message),
        }
    }

    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let st = self.shared.lock();
        let def = st.def_for(api_version, kind)?;
        let ns = if def.namespaced {
            namespace.unwrap_or("default")
        } else {
            ""
        };
        if events::is_v1(&def) {
            return st.store.get("", "events", ns, name).map(events::to_v1);
        }
        st.store.get(&def.group, &def.plural, ns, name).cloned()
    }

    /// Objects of a kind, in one namespace or (None) all of them.
    pub fn list(&self, api_version: &str, kind: &str, namespace: Option<&str>) -> Vec<Value> {
        let st = self.shared.lock();
        let Some(def) = st.def_for(api_version, kind) else {
            return vec![];
        };
        let ns = if def.namespaced { namespace } else { None };
        if events::is_v1(&def) {
            return st
                .store
                .list("", "events", ns)
                .into_iter()
                .map(events::to_v1)
                .collect();
        }
        st.store.list_cloned(&def.group, &def.plural, ns)
    }

    /// Deletes an object immediately (no grace period, no finalizers);
    /// returns it if it existed.
    pub fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let out = {
            let mut st = self.shared.lock();
            let mut def = st.def_for(api_version, kind)?;
            if events::is_v1(&def) {
                def = st.def_for("v1", "Event")?;
            }
            let ns = if def.namespaced {
                namespace.unwrap_or("default")
            } else {
                ""
            };
            st.delete(&def, ns, name, &json!({"gracePeriodSeconds": 0}), false)
                .ok()
        };
        self.shared.wake.notify_one();
        out
    }

    /// Makes `verb` on `group`/`resource` answer 403 Forbidden. `resource`
    /// may name a subresource (`pods/eviction`); `"*"` matches anything.
    pub fn forbid(&self, verb: &str, group: &str, resource: &str) {
        self.shared
            .lock()
            .forbidden
            .push((verb.into(), group.into(), resource.into()));
    }

    /// Lifts every `forbid`.
    pub fn allow_all(&self) {
        self.shared.lock().forbidden.clear();
    }

    /// Every request served so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// How long controllers wait after a change before acting (default
    /// 300 ms): the time a replacement pod takes to appear.
    pub fn set_controller_delay(&self, d: Duration) {
        self.shared.lock().controller_delay = d;
        self.shared.wake.notify_one();
    }

    /// How long a newly scheduled pod stays Pending with its containers
    /// `ContainerCreating` before it runs (default zero: at once). Real
    /// clusters take seconds here: a replacement pod is not Running yet
    /// right after the pod it replaces was evicted.
    pub fn set_pod_startup(&self, d: Duration) {
        self.shared.lock().pod_startup = d;
        self.shared.wake.notify_one();
    }

    /// Decides what `pods/{name}/exec` commands do: `handler` gets the
    /// namespace, pod, container and command, and returns what the command
    /// writes and its exit code (sent as the kubelet sends them: stdout,
    /// stderr, then a `Status`, `NonZeroExitCode` with an `ExitCode` cause
    /// unless 0). Without a handler, `echo`, `true` and `false` behave as in
    /// a shell and other programs are not found (exit code 127). The
    /// handler runs on the server's thread, so it must answer at once.
    pub fn set_exec(&self, handler: impl Fn(&ExecRequest) -> ExecOutput + Send + Sync + 'static) {
        self.shared.lock().exec = Some(Arc::new(handler));
    }

    /// Sets the log text served by `pods/{name}/log` (for one container,
    /// or for all when `container` is None). Lines may start with an
    /// RFC 3339 timestamp and a space; others are dated at the pod's start.
    /// Stored as the annotation `fake.chaos/log[.<container>]`.
    pub fn set_pod_log(
        &self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        text: &str,
    ) -> bool {
        let key = match container {
            Some(c) => format!("{}.{c}", pods::LOG_ANNOTATION),
            None => pods::LOG_ANNOTATION.to_string(),
        };
        let Some(mut obj) = self.get("v1", "Pod", Some(namespace), pod) else {
            return false;
        };
        util::obj_at(&mut obj, &["metadata", "annotations"]).insert(key, json!(text));
        self.apply(obj);
        true
    }
}

fn yaml_str(s: &str) -> String {
    // JSON strings are valid YAML double-quoted scalars.
    Value::String(s.to_string()).to_string()
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
