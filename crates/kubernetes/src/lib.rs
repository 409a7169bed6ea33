//! The native Kubernetes driver: the functions of chaostoolkit-kubernetes
//! (0.39, Python package `chaosk8s`), with the same module paths, names,
//! arguments, defaults, outputs and failures, in Rust on the `kube` client.
//!
//! It serves two provider shapes:
//! - `{"type": "python", "module": "chaosk8s.pod.probes", "func": "pods_in_phase", ...}`:
//!   experiments written for the Python extension, routed here by the
//!   registry (see [`Driver::python_functions`]) unless the module is forced
//!   through Python;
//! - `{"type": "kubernetes", "func": "pods_in_phase", ...}`: our own type,
//!   same arguments, no module needed.
//!
//! Behaviour follows `docs/design/kubernetes-functions.md`, which records
//! what the extension does call by call.

/// A [`Handler`] for an async function taking a [`Ctx`].
macro_rules! handler {
    ($path:path) => {{
        fn run(
            ctx: $crate::Ctx<'_>,
        ) -> futures::future::BoxFuture<'_, Result<chaos_pyvalue::Value, $crate::Outcome>> {
            Box::pin($path(ctx))
        }
        run as $crate::Handler
    }};
}

mod args;
mod chaosmesh;
mod client;
mod crd;
mod daemonsets;
mod deployments;
pub mod discovery;
mod events;
mod legacy;
pub mod manifests;
mod namespaces;
mod networking;
mod nodes;
mod pods;
mod raw;
mod replicasets;
mod secrets;
mod services;
mod statefulsets;
mod workloads;

use std::sync::Arc;

use chaos_drivers::{ActivityError, Call, Driver};
use chaos_experiment::{DocPath, ProviderIssue};
use chaos_pyvalue::{py_str, Map, Value};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use args::Args;
use client::{Connection, Connections};

/// How a function ended, before it becomes an [`ActivityError`].
pub(crate) enum Outcome {
    /// The reference's `ActivityFailed` (or any exception it raises).
    Failed(String),
    /// The API server answered 403: which permission was missing.
    Refused(String),
    /// The run was interrupted.
    Cancelled,
}

impl From<String> for Outcome {
    fn from(message: String) -> Self {
        Outcome::Failed(message)
    }
}

/// What a function runs with.
pub(crate) struct Ctx<'a> {
    pub args: Args<'a>,
    connection: Connection,
    pub cancel: CancellationToken,
}

impl Ctx<'_> {
    pub fn client(&self) -> kube::Client {
        self.connection.client.clone()
    }

    /// A GET whose JSON answer is returned as the API wrote it (the
    /// reference returns raw JSON for these functions, camelCase keys).
    pub async fn raw_get(
        &self,
        path: &str,
        verb: &str,
        resource: &str,
        ns: Option<&str>,
    ) -> Result<Value, Outcome> {
        let request = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| Outcome::Failed(e.to_string()))?;
        self.client()
            .request::<Value>(request)
            .await
            .map_err(|e| api_failure(self, &e, verb, resource, ns))
    }
}

/// The body of a failed API call as the reference quotes it (`x.body`: the
/// Status object).
pub(crate) fn status_body(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(r) => serde_json::json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": r.status,
            "message": r.message,
            "reason": r.reason,
            "code": r.code,
        })
        .to_string(),
        other => other.to_string(),
    }
}

/// A failed API call as a failed activity that says which cluster, and for
/// a 403 which permission was missing.
pub(crate) fn api_failure(
    ctx: &Ctx<'_>,
    e: &kube::Error,
    verb: &str,
    resource: &str,
    ns: Option<&str>,
) -> Outcome {
    let target = &ctx.connection.target;
    match e {
        kube::Error::Api(r) if r.code == 403 => {
            let scope = ns
                .map(|n| format!("in namespace '{n}'"))
                .unwrap_or_else(|| "cluster-wide".into());
            Outcome::Refused(format!(
                "{target} refused: permission to '{verb}' {resource} {scope} is missing ({})",
                r.message
            ))
        }
        kube::Error::Api(r) => Outcome::Failed(format!(
            "{target} answered {} {}: {}",
            r.code, r.reason, r.message
        )),
        other => Outcome::Failed(format!("cannot reach {target}: {other}")),
    }
}

/// A probe's answer the extension's way: `True`, or on a problem either
/// `ActivityFailed(problem)` (when its `raise_*` flag is set) or `False`.
pub(crate) fn verdict(problem: Option<String>, raise: bool) -> Result<Value, Outcome> {
    match problem {
        Some(message) if raise => Err(Outcome::Failed(message)),
        Some(_) => Ok(Value::Bool(false)),
        None => Ok(Value::Bool(true)),
    }
}

/// A failed write as the reference words it (`"<what>: <Status body>"`),
/// except a 403, which says which permission was missing.
pub(crate) fn quoting_failure(
    ctx: &Ctx<'_>,
    e: &kube::Error,
    verb: &str,
    resource: &str,
    ns: Option<&str>,
    what: &str,
) -> Outcome {
    match e {
        kube::Error::Api(r) if r.code == 403 => api_failure(ctx, e, verb, resource, ns),
        _ => Outcome::Failed(format!("{what}: {}", status_body(e))),
    }
}

/// A random index below `len`: std's randomly keyed hasher is randomness
/// enough for picking pods and nodes, without a dependency.
pub(crate) fn random_index(len: usize) -> usize {
    use std::hash::{BuildHasher, Hasher};
    let h = std::collections::hash_map::RandomState::new().build_hasher();
    (h.finish() as usize) % len.max(1)
}

/// Percent-encodes a query value.
pub(crate) fn query_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// How a catalog entry runs its function.
pub(crate) type Handler = for<'a> fn(Ctx<'a>) -> BoxFuture<'a, Result<Value, Outcome>>;

/// One RBAC rule a function needs: API group, resource, verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The API group (`""` for core).
    pub group: &'static str,
    /// The resource, with its subresource (`pods/eviction`).
    pub resource: &'static str,
    /// The verbs.
    pub verbs: &'static [&'static str],
}

/// A function of the extension.
pub struct Function {
    /// The modules that expose it.
    pub modules: &'static [&'static str],
    /// Its name.
    pub name: &'static str,
    /// `probe` or `action`, as the extension's discovery lists it.
    pub kind: &'static str,
    /// Its parameters, in order, with their defaults as Python writes them
    /// (`None` for a required parameter).
    pub params: &'static [(&'static str, Option<&'static str>)],
    /// What it needs from the API server.
    pub rules: &'static [Rule],
    handler: Handler,
}

/// Every function implemented natively.
pub fn catalog() -> &'static [Function] {
    static CATALOG: std::sync::OnceLock<Vec<Function>> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| {
        [
            pods::functions(),
            deployments::functions(),
            services::functions(),
            statefulsets::functions(),
            namespaces::functions(),
            nodes::functions(),
            daemonsets::functions(),
            replicasets::functions(),
            legacy::functions(),
            networking::functions(),
            events::functions(),
            crd::functions(),
            secrets::functions(),
            chaosmesh::functions(),
        ]
        .into_iter()
        .flatten()
        .collect()
    })
}

/// Arguments the extension does not have, accepted only under our own
/// `kubernetes` provider type (an experiment that names the Python module
/// stays runnable by the extension itself).
pub fn native_only_params(function: &str) -> &'static [&'static str] {
    match function {
        "drain_nodes" => &["retry_refused_evictions"],
        _ => &[],
    }
}

/// The function a provider names: by `module` and `func` for a `python`
/// provider, by `func` alone (or `module.func`) for ours.
pub fn find(provider: &Map<String, Value>) -> Option<&'static Function> {
    let func = provider.get("func").map(py_str)?;
    let module = provider.get("module").map(py_str);
    let (module, func) = match (module, func.rsplit_once('.')) {
        (Some(m), _) => (Some(m), func),
        (None, Some((m, f))) if m.starts_with("chaosk8s") => (Some(m.to_string()), f.to_string()),
        (None, Some((m, f))) => (Some(format!("chaosk8s.{m}")), f.to_string()),
        (None, None) => (None, func),
    };
    catalog()
        .iter()
        .find(|f| f.name == func && module.as_deref().is_none_or(|m| f.modules.contains(&m)))
}

/// The native Kubernetes driver.
#[derive(Default)]
pub struct KubernetesDriver {
    connections: Arc<Connections>,
}

impl KubernetesDriver {
    /// A driver with no connection made yet.
    pub fn new() -> Self {
        Self::default()
    }
}

fn issue(at: &[&str], message: String, hint: Option<String>) -> ProviderIssue {
    let mut path = DocPath::root();
    for k in at {
        path = path.key(k);
    }
    ProviderIssue {
        at: path,
        message,
        hint,
    }
}

/// The secrets an activity may see: the scopes its provider names, merged.
fn scoped_secrets(call: &Call<'_>) -> Map<String, Value> {
    let mut merged = Map::new();
    for scope in call
        .provider
        .get("secrets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(Value::Object(values)) = call.secrets.get(&py_str(scope)) {
            merged.extend(values.clone());
        }
    }
    merged
}

impl Driver for KubernetesDriver {
    fn provider_type(&self) -> &'static str {
        "kubernetes"
    }

    fn check(
        &self,
        provider: &Map<String, Value>,
        activity_name: &str,
        _kind: &str,
    ) -> Vec<ProviderIssue> {
        let Some(function) = find(provider) else {
            let func = provider.get("func").map(py_str).unwrap_or_default();
            let known: Vec<&str> = catalog().iter().map(|f| f.name).collect();
            return vec![issue(
                &["func"],
                format!("'{func}' is not a Kubernetes function chaos knows, in activity '{activity_name}'"),
                Some(format!("use one of: {}", known.join(", "))),
            )];
        };
        let arguments = match provider.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                return vec![issue(
                    &["arguments"],
                    "arguments must be a mapping".into(),
                    None,
                )]
            }
        };
        let ours = provider.get("type").map(py_str).as_deref() == Some("kubernetes");
        let extra = if ours {
            native_only_params(function.name)
        } else {
            &[]
        };
        // The reference binds the arguments to the signature; so do we.
        chaos_drivers::signature_issues(
            function.name,
            activity_name,
            function.params,
            &arguments,
            &|name| extra.contains(&name) || name == "secrets" || name == "configuration",
        )
    }

    fn python_functions(&self) -> Vec<(String, String)> {
        catalog()
            .iter()
            .flat_map(|f| {
                f.modules
                    .iter()
                    .map(move |m| (m.to_string(), f.name.to_string()))
            })
            .collect()
    }

    fn execute<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<Value, ActivityError>> {
        Box::pin(async move {
            let Some(function) = find(call.provider) else {
                return Err(ActivityError::aborted(format!(
                    "activity '{}' names no Kubernetes function chaos knows",
                    call.activity_name
                )));
            };
            let arguments = call.arguments();
            let secrets = scoped_secrets(&call);
            let connection = self
                .connections
                .connect(&secrets)
                .await
                .map_err(ActivityError::failed)?;
            let ctx = Ctx {
                args: Args::new(&arguments),
                connection,
                cancel: call.cancel.clone(),
            };
            let outcome = tokio::select! {
                r = (function.handler)(ctx) => r,
                _ = call.cancel.cancelled() => Err(Outcome::Cancelled),
            };
            outcome.map_err(|o| match o {
                Outcome::Failed(message) => ActivityError::failed(message),
                Outcome::Refused(message) => ActivityError::refused(message),
                Outcome::Cancelled => ActivityError::Cancelled,
            })
        })
    }
}
