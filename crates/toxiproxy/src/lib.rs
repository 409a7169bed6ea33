//! The native chaostoolkit-toxiproxy driver: the functions of
//! chaostoolkit-toxiproxy 0.3.1 (Python package `chaostoxi`), with the same
//! module paths, names, arguments, defaults, return values and failures, and
//! the same HTTP calls to the Toxiproxy API, so it works against a real
//! Toxiproxy or `chaos proxy serve` alike.
//!
//! It serves two provider shapes:
//! - `{"type": "python", "module": "chaostoxi.proxy.actions", "func": "create_proxy", ...}`:
//!   experiments written for the Python extension, routed here by the
//!   registry unless `chaostoxi` is forced through Python;
//! - `{"type": "toxiproxy", "func": "create_proxy", ...}`: our own type, same
//!   arguments, no module needed (`"func": "toxiproxyapi.create_proxy"` for a
//!   helper whose name an action also has).
//!
//! What the extension does call by call is in `docs/design/fault-proxy.md`
//! §6. In short:
//! - the API is `configuration["toxiproxy_url"]` verbatim when it is set,
//!   else `http://{toxiproxy_host}:{toxiproxy_port or 8474}` (`http://None:8474`
//!   without a host, as the extension does);
//! - failures read as the Python exceptions would (`AssertionError`,
//!   `TypeError: 'NoneType' object is not subscriptable`, `KeyError: 'x'`,
//!   `requests.exceptions.ConnectionError: ...`); `delete_proxy` never fails;
//! - `create_proxy` and `modify_proxy` export `<proxy_name>_PORT` to the
//!   activities after them through [`chaos_drivers::environment`] (the
//!   reference writes `os.environ`), never through `${...}` substitution.

pub mod discovery;

use chaos_drivers::{ActivityError, Call, Driver};
use chaos_experiment::{DocPath, ProviderIssue};
use chaos_pyvalue::{py_eq, py_repr, py_str, py_truthy, py_type_name, Map, Value};
use futures::future::BoxFuture;

/// What a function does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    CreateProxy,
    ModifyProxy,
    DisableProxy,
    EnableProxy,
    DeleteProxy,
    Reset,
    ValueFromEnvironment,
    ProxyExist,
    GetProxyAttribute,
    DeleteToxic,
    CreateToxic,
    /// A `create_*_toxic` wrapper: the toxic type and which argument holds
    /// which attribute (`(attribute, argument)`).
    Wrapper(&'static str, &'static [(&'static str, &'static str)]),
    ApiCreateProxy,
    ApiModifyProxy,
    ApiDeleteProxy,
    ApiReadProxy,
    ApiCreateToxic,
    ApiDeleteToxic,
    ApiReset,
    ApiBaseUrl,
    ApiProxiesBaseUrl,
}

/// A function of the extension.
pub struct Function {
    /// The module that defines it.
    pub module: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its parameters besides `configuration`, in order, with their defaults
    /// as Python writes them (`None` for a required parameter).
    pub params: &'static [(&'static str, Option<&'static str>)],
    op: Op,
}

const fn f(
    module: &'static str,
    name: &'static str,
    params: &'static [(&'static str, Option<&'static str>)],
    op: Op,
) -> Function {
    Function {
        module,
        name,
        params,
        op,
    }
}

const PA: &str = "chaostoxi.proxy.actions";
const PP: &str = "chaostoxi.proxy.probes";
const TA: &str = "chaostoxi.toxic.actions";
const API: &str = "chaostoxi.toxiproxyapi";

/// Every function implemented natively: the whole extension, its
/// low-level helpers in `chaostoxi.toxiproxyapi` included (chaoslib can
/// call any function of a module). A bare name under our own provider type
/// is looked up in this order, so `reset` is `chaostoxi.proxy.actions.reset`.
pub fn catalog() -> &'static [Function] {
    const TOXIC: (&str, Option<&str>) = ("for_proxy", None);
    const NAME: (&str, Option<&str>) = ("toxic_name", None);
    static CATALOG: [Function; 26] = [
        f(
            PA,
            "create_proxy",
            &[
                ("proxy_name", None),
                ("upstream_host", None),
                ("upstream_port", None),
                ("listen_host", Some("'0.0.0.0'")),
                ("listen_port", Some("0")),
                ("enabled", Some("True")),
            ],
            Op::CreateProxy,
        ),
        f(
            PA,
            "disable_proxy",
            &[("proxy_name", None)],
            Op::DisableProxy,
        ),
        f(PA, "enable_proxy", &[("proxy_name", None)], Op::EnableProxy),
        f(
            PA,
            "modify_proxy",
            &[
                ("proxy_name", None),
                ("listen_address", Some("None")),
                ("upstream_address", Some("None")),
                ("enabled", Some("None")),
            ],
            Op::ModifyProxy,
        ),
        f(PA, "delete_proxy", &[("proxy_name", None)], Op::DeleteProxy),
        f(PA, "reset", &[], Op::Reset),
        f(
            PA,
            "value_from_environment_if_exists",
            &[("key", None)],
            Op::ValueFromEnvironment,
        ),
        f(PP, "proxy_exist", &[("proxy_name", None)], Op::ProxyExist),
        f(
            PP,
            "get_proxy_attribute",
            &[("proxy_name", None), ("attribute", None)],
            Op::GetProxyAttribute,
        ),
        f(TA, "delete_toxic", &[TOXIC, NAME], Op::DeleteToxic),
        f(
            TA,
            "create_toxic",
            &[
                TOXIC,
                NAME,
                ("toxic_type", None),
                ("stream", Some("'downstream'")),
                ("toxicity", Some("1.0")),
                ("attributes", Some("None")),
            ],
            Op::CreateToxic,
        ),
        f(
            TA,
            "create_latency_toxic",
            &[TOXIC, NAME, ("latency", None), ("jitter", Some("0"))],
            Op::Wrapper("latency", &[("latency", "latency"), ("jitter", "jitter")]),
        ),
        f(
            TA,
            "create_bandwith_degradation_toxic",
            &[TOXIC, NAME, ("rate", None)],
            Op::Wrapper("bandwidth", &[("rate", "rate")]),
        ),
        f(
            TA,
            "create_slow_connection_close_toxic",
            &[TOXIC, NAME, ("delay", None)],
            Op::Wrapper("slow_close", &[("delay", "delay")]),
        ),
        f(
            TA,
            "create_timeout_toxic",
            &[TOXIC, NAME, ("timeout", None)],
            Op::Wrapper("timeout", &[("timeout", "timeout")]),
        ),
        f(
            TA,
            "create_slicer_toxic",
            &[
                TOXIC,
                NAME,
                ("average_size", None),
                ("size_variation", None),
                ("delay", None),
            ],
            Op::Wrapper(
                "slicer",
                &[
                    ("average_size", "average_size"),
                    ("size_variation", "size_variation"),
                    ("delay", "delay"),
                ],
            ),
        ),
        f(
            TA,
            "create_limiter_toxic",
            &[TOXIC, NAME, ("bytes_limit", None)],
            Op::Wrapper("limit_data", &[("bytes", "bytes_limit")]),
        ),
        f(
            API,
            "create_proxy",
            &[("proxy_json", None)],
            Op::ApiCreateProxy,
        ),
        f(
            API,
            "modify_proxy",
            &[("proxy_name", None), ("proxy_json", None)],
            Op::ApiModifyProxy,
        ),
        f(
            API,
            "delete_proxy",
            &[("proxy_name", None)],
            Op::ApiDeleteProxy,
        ),
        f(API, "read_proxy", &[("proxy_name", None)], Op::ApiReadProxy),
        f(
            API,
            "create_toxic",
            &[("proxy_name", None), ("toxic_json", None)],
            Op::ApiCreateToxic,
        ),
        f(
            API,
            "delete_toxic",
            &[("proxy_name", None), ("toxic_name", None)],
            Op::ApiDeleteToxic,
        ),
        f(API, "reset", &[], Op::ApiReset),
        f(API, "build_baseUrl", &[], Op::ApiBaseUrl),
        f(API, "build_proxies_baseUrl", &[], Op::ApiProxiesBaseUrl),
    ];
    &CATALOG
}

/// Every function, in catalog order.
pub fn functions() -> impl Iterator<Item = &'static Function> {
    catalog().iter()
}

/// The function a provider names: by `module` and `func` for a `python`
/// provider, by `func` alone (or `module.func`) for ours.
pub fn find(provider: &Map<String, Value>) -> Option<&'static Function> {
    let func = provider.get("func").map(py_str)?;
    let module = provider.get("module").map(py_str);
    let (module, func) = match (module, func.rsplit_once('.')) {
        (Some(m), _) => (Some(m), func),
        (None, Some((m, f))) if m.starts_with("chaostoxi") => (Some(m.to_string()), f.to_string()),
        (None, Some((m, f))) => (Some(format!("chaostoxi.{m}")), f.to_string()),
        (None, None) => (None, func),
    };
    functions().find(|f| f.name == func && module.as_deref().is_none_or(|m| f.module == m))
}

/// The native chaostoolkit-toxiproxy driver.
pub struct ToxiproxyDriver {
    client: reqwest::Client,
}

impl Default for ToxiproxyDriver {
    fn default() -> Self {
        Self::new()
    }
}

impl ToxiproxyDriver {
    /// A driver with its HTTP client (no timeout, as `requests` has none).
    pub fn new() -> Self {
        ToxiproxyDriver {
            client: reqwest::Client::builder()
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
        }
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

impl Driver for ToxiproxyDriver {
    fn provider_type(&self) -> &'static str {
        "toxiproxy"
    }

    fn check(
        &self,
        provider: &Map<String, Value>,
        activity_name: &str,
        _kind: &str,
    ) -> Vec<ProviderIssue> {
        let Some(function) = find(provider) else {
            let func = provider.get("func").map(py_str).unwrap_or_default();
            let mut known: Vec<&str> = functions().map(|f| f.name).collect();
            known.dedup();
            return vec![issue(
                &["func"],
                format!(
                    "'{func}' is not a chaostoolkit-toxiproxy function chaos knows, in activity '{activity_name}'"
                ),
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
        // chaoslib binds the arguments to the signature (with
        // `configuration` faked in: every function but
        // `value_from_environment_if_exists` declares it).
        chaos_drivers::signature_issues(
            function.name,
            activity_name,
            function.params,
            &arguments,
            &|name| name == "configuration" && function.op != Op::ValueFromEnvironment,
        )
    }

    fn python_functions(&self) -> Vec<(String, String)> {
        functions()
            .map(|f| (f.module.to_string(), f.name.to_string()))
            .collect()
    }

    fn execute<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<Value, ActivityError>> {
        Box::pin(async move {
            let Some(function) = find(call.provider) else {
                return Err(ActivityError::aborted(format!(
                    "activity '{}' names no chaostoolkit-toxiproxy function chaos knows",
                    call.activity_name
                )));
            };
            let arguments = call.arguments();
            let api = Api {
                client: &self.client,
                base: base_url(call.configuration),
                warn: call.warn,
            };
            let args = Args {
                values: &arguments,
                function,
            };
            tokio::select! {
                r = run(&api, function.op, &args) => r.map_err(ActivityError::failed),
                _ = call.cancel.cancelled() => Err(ActivityError::Cancelled),
            }
        })
    }
}

/// `build_baseUrl`: `toxiproxy_url` verbatim when truthy, else
/// `http://{toxiproxy_host}:{toxiproxy_port or 8474}`.
pub fn base_url(configuration: &Map<String, Value>) -> String {
    let get = |k: &str| configuration.get(k).cloned().unwrap_or(Value::Null);
    let url = get("toxiproxy_url");
    if py_truthy(&url) {
        return py_str(&url);
    }
    let port = get("toxiproxy_port");
    let port = if py_truthy(&port) {
        py_str(&port)
    } else {
        "8474".into()
    };
    format!("http://{}:{port}", py_str(&get("toxiproxy_host")))
}

/// The arguments of one call, with the function's defaults.
struct Args<'a> {
    values: &'a Map<String, Value>,
    function: &'static Function,
}

impl Args<'_> {
    /// An argument as Python sees it: given (even `null`, which is
    /// `None`), else its default, else the `TypeError` Python raises.
    fn get(&self, name: &str) -> Result<Value, String> {
        if let Some(v) = self.values.get(name) {
            return Ok(v.clone());
        }
        match self.function.params.iter().find(|(n, _)| *n == name) {
            Some((_, Some(default))) => Ok(python_literal(default)),
            _ => Err(format!(
                "TypeError: {}() missing 1 required positional argument: '{name}'",
                self.function.name
            )),
        }
    }
}

/// A default as the catalog writes it, as a value.
fn python_literal(default: &str) -> Value {
    match default {
        "None" => Value::Null,
        "True" => Value::Bool(true),
        "False" => Value::Bool(false),
        s if s.starts_with('\'') => Value::from(s.trim_matches('\'')),
        s => serde_json::from_str(s).unwrap_or(Value::Null),
    }
}

/// Python's `value[key]` on a decoded JSON answer.
fn subscript(value: &Value, key: &Value) -> Result<Value, String> {
    match value {
        Value::Object(m) => match key {
            Value::Array(_) | Value::Object(_) => Err(format!(
                "TypeError: unhashable type: '{}'",
                py_type_name(key)
            )),
            Value::String(k) => m
                .get(k)
                .cloned()
                .ok_or_else(|| format!("KeyError: {}", py_repr(key))),
            _ => Err(format!("KeyError: {}", py_repr(key))),
        },
        Value::Array(_) => Err(format!(
            "TypeError: list indices must be integers or slices, not {}",
            py_type_name(key)
        )),
        Value::String(_) => Err(format!(
            "TypeError: string indices must be integers, not '{}'",
            py_type_name(key)
        )),
        other => Err(format!(
            "TypeError: '{}' object is not subscriptable",
            py_type_name(other)
        )),
    }
}

/// `proxy["listen"].split(":")[-1]`.
fn listen_port(proxy: &Value) -> Result<String, String> {
    match subscript(proxy, &Value::from("listen"))? {
        Value::String(listen) => Ok(listen.rsplit(':').next().unwrap_or_default().to_string()),
        other => Err(format!(
            "AttributeError: '{}' object has no attribute 'split'",
            py_type_name(&other)
        )),
    }
}

/// The Toxiproxy API as `chaostoxi.toxiproxyapi` calls it.
struct Api<'a> {
    client: &'a reqwest::Client,
    base: String,
    warn: &'a (dyn Fn(String) + Send + Sync),
}

/// An answer: whether it was `ok` (status below 400) and its body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn ok(&self) -> bool {
        self.status < 400
    }

    /// `response.json()`.
    fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| {
            format!(
                "requests.exceptions.JSONDecodeError: {}",
                json_error_text(&e, &self.body)
            )
        })
    }
}

/// A JSON decoding error as Python's `json` words the common case.
fn json_error_text(e: &serde_json::Error, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.trim().is_empty() {
        let line = text.matches('\n').count() + 1;
        let column = text.rsplit('\n').next().map(str::len).unwrap_or(0) + 1;
        return format!(
            "Expecting value: line {line} column {column} (char {})",
            text.len()
        );
    }
    e.to_string()
}

impl Api<'_> {
    fn proxies(&self) -> String {
        format!("{}/proxies", self.base)
    }

    /// One request the way `requests` makes it; a transport failure is
    /// worded as the `requests` exception would be.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        json: Option<&Value>,
    ) -> Result<Answer, String> {
        let method_is_post = method == reqwest::Method::POST;
        let mut request = self.client.request(method, url);
        match json {
            Some(body) => request = request.json(body),
            // `requests` says `Content-Length: 0` for a POST with no body.
            None if method_is_post => {
                request = request.header(reqwest::header::CONTENT_LENGTH, "0")
            }
            None => {}
        }
        let failed = |e: reqwest::Error| transport_error(url, &e);
        let response = request.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(failed)?.to_vec();
        Ok(Answer { status, body })
    }

    async fn create_proxy(&self, proxy_json: &Value) -> Result<Value, String> {
        let answer = self
            .send(
                reqwest::Method::POST,
                &self.proxies(),
                json_body(proxy_json),
            )
            .await?;
        if !answer.ok() {
            return Ok(Value::Null);
        }
        answer.json()
    }

    async fn modify_proxy(&self, name: &Value, proxy_json: &Value) -> Result<Value, String> {
        let url = format!("{}/{}", self.proxies(), py_str(name));
        let answer = self
            .send(reqwest::Method::POST, &url, json_body(proxy_json))
            .await?;
        if !answer.ok() {
            return Ok(Value::Null);
        }
        answer.json()
    }

    async fn delete_proxy(&self, name: &Value) -> Value {
        let url = format!("{}/{}", self.proxies(), py_str(name));
        match self.send(reqwest::Method::DELETE, &url, None).await {
            Ok(answer) if !answer.ok() => (self.warn)(format!(
                "Unable to remove proxy from chaostoolkit with: {url} received: {}",
                answer.status
            )),
            Ok(_) => {}
            Err(_) => (self.warn)(format!(
                "Unable to remove proxy from chaostoolkit with: {url}"
            )),
        }
        Value::Null
    }

    async fn read_proxy(&self, name: &Value) -> Result<Value, String> {
        let url = format!("{}/{}", self.proxies(), py_str(name));
        let answer = self.send(reqwest::Method::GET, &url, None).await?;
        if !answer.ok() {
            return Ok(Value::Null);
        }
        answer.json()
    }

    async fn create_toxic(&self, proxy: &Value, toxic_json: &Value) -> Result<Value, String> {
        let url = format!("{}/{}/toxics", self.proxies(), py_str(proxy));
        let answer = self
            .send(reqwest::Method::POST, &url, json_body(toxic_json))
            .await?;
        if !answer.ok() {
            (self.warn)(format!(
                "Unable to create toxic for proxy: {}",
                py_str(proxy)
            ));
            return Ok(Value::Null);
        }
        answer.json()
    }

    async fn delete_toxic(&self, proxy: &Value, toxic: &Value) -> Result<Value, String> {
        let url = format!(
            "{}/{}/toxics/{}",
            self.proxies(),
            py_str(proxy),
            py_str(toxic)
        );
        let answer = self.send(reqwest::Method::DELETE, &url, None).await?;
        Ok(Value::Bool(answer.ok()))
    }

    async fn reset(&self) -> Result<Value, String> {
        let url = format!("{}/reset", self.base);
        let answer = self.send(reqwest::Method::POST, &url, None).await?;
        Ok(Value::Bool(answer.ok()))
    }

    /// `chaostoxi.proxy.actions.modify_proxy` and its two wrappers: post the
    /// arguments that are not None, export `<name>_PORT`, return True.
    async fn modify(&self, name: &Value, body: Map<String, Value>) -> Result<Value, String> {
        let proxy = self.modify_proxy(name, &Value::Object(body)).await?;
        if !py_truthy(&proxy) {
            (self.warn)(format!("Unable to modify proxy {}", py_str(name)));
            return Err("AssertionError".into());
        }
        let port = listen_port(&proxy)?;
        chaos_drivers::environment::set(&format!("{}_PORT", py_str(name)), &port);
        Ok(Value::Bool(true))
    }

    /// `chaostoxi.toxic.actions.create_toxic`: True when the answer names
    /// the toxic asked for.
    async fn toxic(&self, for_proxy: &Value, body: Map<String, Value>) -> Result<Value, String> {
        let name = body.get("name").cloned().unwrap_or(Value::Null);
        let toxic = self.create_toxic(for_proxy, &Value::Object(body)).await?;
        let answered = subscript(&toxic, &Value::from("name"))?;
        Ok(Value::Bool(py_eq(&answered, &name)))
    }
}

/// `requests`' `json=`: `None` sends no body at all.
fn json_body(value: &Value) -> Option<&Value> {
    (!value.is_null()).then_some(value)
}

/// A transport failure as `requests` words it (`ConnectionError` with
/// urllib3's `HTTPConnectionPool(...)` text).
fn transport_error(url: &str, e: &reqwest::Error) -> String {
    let parsed = reqwest::Url::parse(url).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let port = parsed
        .as_ref()
        .and_then(reqwest::Url::port_or_known_default)
        .map(|p| p.to_string())
        .unwrap_or_else(|| "None".into());
    let path = parsed
        .as_ref()
        .map(|u| u.path().to_string())
        .unwrap_or_else(|| url.to_string());
    // The innermost cause, worded as urllib3's error for it.
    let mut cause = e.to_string();
    let mut errno = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        errno = s
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::raw_os_error);
        source = s.source();
    }
    let connection = format!("HTTPConnection(host='{host}', port={port})");
    let cause = if let Some(n) = errno {
        let text = cause
            .rsplit_once(" (os error")
            .map_or(cause.as_str(), |(t, _)| t);
        format!(
            "NewConnectionError(\"{connection}: Failed to establish a new connection: [Errno {n}] {text}\")"
        )
    } else if let Some(text) = cause.strip_prefix("failed to lookup address information: ") {
        format!(
            "NameResolutionError(\"{connection}: Failed to resolve '{host}' ([Errno -2] {text})\")"
        )
    } else {
        cause
    };
    let pool = if parsed.as_ref().is_some_and(|u| u.scheme() == "https") {
        "HTTPSConnectionPool"
    } else {
        "HTTPConnectionPool"
    };
    if e.is_builder() || parsed.is_none() {
        return format!("requests.exceptions.InvalidURL: Invalid URL '{url}': {cause}");
    }
    format!(
        "requests.exceptions.ConnectionError: {pool}(host='{host}', port={port}): Max retries exceeded with url: {path} (Caused by {cause})"
    )
}

/// `value_from_environment_if_exists`: a string `env:NAME` is the variable
/// `NAME` (exported by an earlier activity, else the process's own), and a
/// missing one is `KeyError: 'NAME'`.
fn from_environment(value: Value) -> Result<Value, String> {
    match &value {
        Value::String(s) if s.starts_with("env:") => {
            let key = &s[4..];
            chaos_drivers::environment::get(key)
                .map(Value::from)
                .ok_or_else(|| format!("KeyError: {}", chaos_pyvalue::py_repr_str(key)))
        }
        _ => Ok(value),
    }
}

async fn run(api: &Api<'_>, op: Op, args: &Args<'_>) -> Result<Value, String> {
    match op {
        Op::CreateProxy => {
            let name = args.get("proxy_name")?;
            let listen = format!(
                "{}:{}",
                py_str(&args.get("listen_host")?),
                py_str(&args.get("listen_port")?)
            );
            let host = from_environment(args.get("upstream_host")?)?;
            let port = from_environment(args.get("upstream_port")?)?;
            let upstream = format!("{}:{}", py_str(&host), py_str(&port));
            let mut body = Map::new();
            body.insert("name".into(), name.clone());
            body.insert("listen".into(), Value::from(listen));
            body.insert("upstream".into(), Value::from(upstream));
            body.insert("enabled".into(), args.get("enabled")?);
            let proxy = api.create_proxy(&Value::Object(body)).await?;
            if !py_truthy(&proxy) {
                return Err("AssertionError".into());
            }
            let port = listen_port(&proxy)?;
            if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
                (api.warn)(format!(
                    "Unable to parse port from proxy reponse {}",
                    py_repr(&proxy)
                ));
                return Err("AssertionError".into());
            }
            chaos_drivers::environment::set(&format!("{}_PORT", py_str(&name)), &port);
            Ok(Value::Bool(true))
        }
        Op::ModifyProxy => {
            let mut body = Map::new();
            for (key, arg) in [
                ("listen", "listen_address"),
                ("upstream", "upstream_address"),
                ("enabled", "enabled"),
            ] {
                let value = args.get(arg)?;
                if !value.is_null() {
                    body.insert(key.into(), value);
                }
            }
            api.modify(&args.get("proxy_name")?, body).await
        }
        Op::DisableProxy | Op::EnableProxy => {
            let mut body = Map::new();
            body.insert("enabled".into(), Value::Bool(op == Op::EnableProxy));
            api.modify(&args.get("proxy_name")?, body).await
        }
        Op::DeleteProxy | Op::ApiDeleteProxy => {
            Ok(api.delete_proxy(&args.get("proxy_name")?).await)
        }
        Op::Reset | Op::ApiReset => api.reset().await,
        Op::ValueFromEnvironment => from_environment(args.get("key")?),
        Op::ProxyExist => {
            let name = args.get("proxy_name")?;
            let proxy = api.read_proxy(&name).await?;
            if !py_truthy(&proxy) {
                return Ok(Value::Bool(false));
            }
            let found = subscript(&proxy, &Value::from("name"))?;
            Ok(Value::Bool(py_eq(&found, &name)))
        }
        Op::GetProxyAttribute => {
            let proxy = api.read_proxy(&args.get("proxy_name")?).await?;
            let attribute = args.get("attribute")?;
            if !py_truthy(&proxy) {
                return Ok(Value::Null);
            }
            subscript(&proxy, &attribute)
        }
        Op::DeleteToxic => {
            api.delete_toxic(&args.get("for_proxy")?, &args.get("toxic_name")?)
                .await
        }
        Op::CreateToxic => {
            let mut body = Map::new();
            body.insert("name".into(), args.get("toxic_name")?);
            body.insert("type".into(), args.get("toxic_type")?);
            body.insert("stream".into(), args.get("stream")?);
            body.insert("toxicity".into(), args.get("toxicity")?);
            body.insert("attributes".into(), args.get("attributes")?);
            api.toxic(&args.get("for_proxy")?, body).await
        }
        Op::Wrapper(kind, fields) => {
            let mut attributes = Map::new();
            for (attribute, arg) in fields {
                attributes.insert(attribute.to_string(), args.get(arg)?);
            }
            let mut body = Map::new();
            body.insert("name".into(), args.get("toxic_name")?);
            body.insert("type".into(), Value::from(kind));
            body.insert("stream".into(), Value::from("downstream"));
            body.insert("toxicity".into(), Value::from(1.0));
            body.insert("attributes".into(), Value::Object(attributes));
            api.toxic(&args.get("for_proxy")?, body).await
        }
        Op::ApiCreateProxy => api.create_proxy(&args.get("proxy_json")?).await,
        Op::ApiModifyProxy => {
            api.modify_proxy(&args.get("proxy_name")?, &args.get("proxy_json")?)
                .await
        }
        Op::ApiReadProxy => api.read_proxy(&args.get("proxy_name")?).await,
        Op::ApiCreateToxic => {
            api.create_toxic(&args.get("proxy_name")?, &args.get("toxic_json")?)
                .await
        }
        Op::ApiDeleteToxic => {
            api.delete_toxic(&args.get("proxy_name")?, &args.get("toxic_name")?)
                .await
        }
        Op::ApiBaseUrl => Ok(Value::from(api.base.clone())),
        Op::ApiProxiesBaseUrl => Ok(Value::from(api.proxies())),
    }
}

#[cfg(test)]
mod tests;
