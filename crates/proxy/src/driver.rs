//! The `proxy` provider type: proxies an experiment declares live inside
//! `chaos run` for the run's duration (no daemon to start), and faults are
//! added and removed as actions, optionally inside a time window.
//!
//! ```json
//! "proxies": [{"name": "db", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:5432"}],
//! "method": [{"type": "action", "name": "slow-db", "provider": {"type": "proxy",
//!     "func": "add_toxic", "arguments": {"proxy": "db", "type": "latency",
//!     "attributes": {"latency": 200}, "start_after": 2, "duration": 10}}}]
//! ```
//!
//! At the start of the run the proxies are created (the `/populate` rules)
//! and an API answering Toxiproxy's protocol is served on loopback, so
//! chaostoolkit-toxiproxy activities reach the same proxies: the
//! configuration gains `proxy_<name>_listen`, `proxy_<name>_port`, and,
//! unless the experiment sets them, `toxiproxy_host` and `toxiproxy_port`.
//! At the end, whatever the outcome, every fault still in place is removed,
//! the proxies stop, and the journal's `proxy_faults` says what was undone
//! and which seed the random draws used (set `CHAOS_PROXY_SEED` to replay).

use std::sync::Mutex;
use std::time::Duration;

use chaos_drivers::{ActivityError, Call, Driver};
use chaos_experiment::{DocPath, ProviderIssue};
use futures::future::BoxFuture;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::model::ApiError;
use crate::Proxies;

/// The functions of the `proxy` provider and their arguments (required
/// ones have no default).
const FUNCTIONS: &[(&str, &[(&str, bool)])] = &[
    (
        "add_toxic",
        &[
            ("proxy", true),
            ("type", true),
            ("name", false),
            ("stream", false),
            ("toxicity", false),
            ("attributes", false),
            ("start_after", false),
            ("duration", false),
        ],
    ),
    (
        "update_toxic",
        &[
            ("proxy", true),
            ("name", true),
            ("attributes", false),
            ("toxicity", false),
        ],
    ),
    ("remove_toxic", &[("proxy", true), ("name", true)]),
    (
        "disable_proxy",
        &[("proxy", true), ("start_after", false), ("duration", false)],
    ),
    ("enable_proxy", &[("proxy", true)]),
    ("reset", &[]),
    ("get_proxy", &[("proxy", true)]),
    ("list_proxies", &[]),
];

/// What each function is, for `chaos discover chaos-proxy`: kind, what it
/// does, and each argument's type.
const DESCRIPTIONS: &[(&str, &str, &str)] = &[
    ("add_toxic", "action", "Adds a toxic (Toxiproxy's, or an http_* fault on an HTTP proxy) to a declared proxy, now or after `start_after` seconds, for `duration` seconds if given."),
    ("update_toxic", "action", "Changes a toxic's attributes or toxicity; open connections see it at once."),
    ("remove_toxic", "action", "Removes a toxic."),
    ("disable_proxy", "action", "Stops a proxy: connections refused, open ones closed; optionally inside a time window."),
    ("enable_proxy", "action", "Starts a disabled proxy again, on the same address."),
    ("reset", "action", "Enables every proxy and removes every toxic."),
    ("get_proxy", "probe", "A proxy as Toxiproxy's API shows it, toxics included."),
    ("list_proxies", "probe", "Every proxy of the run, by name."),
];

fn argument_type(name: &str) -> &'static str {
    match name {
        "attributes" => "mapping",
        "toxicity" | "start_after" | "duration" => "number",
        _ => "string",
    }
}

/// The `proxy` provider's functions in chaoslib's discovery format (with
/// `provider_type` instead of a Python module).
pub fn discovery_activities() -> Vec<Value> {
    FUNCTIONS
        .iter()
        .map(|(name, params)| {
            let (kind, doc) = DESCRIPTIONS
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, k, d)| (*k, *d))
                .unwrap_or(("action", ""));
            let arguments: Vec<Value> = params
                .iter()
                .map(|(p, required)| {
                    let mut a = Map::new();
                    a.insert("name".into(), Value::from(*p));
                    if !required {
                        a.insert("default".into(), Value::Null);
                    }
                    a.insert("type".into(), Value::from(argument_type(p)));
                    Value::Object(a)
                })
                .collect();
            serde_json::json!({
                "type": kind, "name": name, "provider_type": "proxy", "doc": doc, "arguments": arguments
            })
        })
        .collect()
}

#[derive(Default)]
struct RunState {
    proxies: Option<Proxies>,
    seed: u64,
    /// Cancels the API server and pending time windows.
    stop: CancellationToken,
}

/// The `proxy` driver.
#[derive(Default)]
pub struct ProxyDriver {
    run: Mutex<RunState>,
}

impl ProxyDriver {
    /// A driver with no proxies yet (they come with the experiment).
    pub fn new() -> Self {
        Self::default()
    }

    fn proxies(&self) -> Option<Proxies> {
        self.run
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .proxies
            .clone()
    }
}

fn issue(key: &str, message: String, hint: Option<String>) -> ProviderIssue {
    ProviderIssue {
        at: DocPath::root().key(key),
        message,
        hint,
    }
}

fn seconds(args: &Map<String, Value>, key: &str) -> Result<Option<Duration>, ActivityError> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(s) if s >= 0.0 && s.is_finite() => Ok(Some(Duration::from_secs_f64(s))),
            _ => Err(ActivityError::failed(format!(
                "'{key}' must be a number of seconds, 0 or more"
            ))),
        },
        Some(_) => Err(ActivityError::failed(format!(
            "'{key}' must be a number of seconds"
        ))),
    }
}

fn text<'a>(args: &'a Map<String, Value>, key: &str) -> Result<&'a str, ActivityError> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| ActivityError::failed(format!("'{key}' must be a string")))
}

fn api(e: ApiError) -> ActivityError {
    ActivityError::failed(format!("{} ({})", e.message, e.status))
}

impl Driver for ProxyDriver {
    fn provider_type(&self) -> &'static str {
        "proxy"
    }

    fn check(
        &self,
        provider: &Map<String, Value>,
        activity_name: &str,
        _kind: &str,
    ) -> Vec<ProviderIssue> {
        let func = provider.get("func").and_then(Value::as_str).unwrap_or("");
        let Some((_, params)) = FUNCTIONS.iter().find(|(f, _)| *f == func) else {
            let known: Vec<&str> = FUNCTIONS.iter().map(|(f, _)| *f).collect();
            return vec![issue(
                "func",
                format!("'{func}' is not a proxy function, in activity '{activity_name}'"),
                Some(format!("use one of: {}", known.join(", "))),
            )];
        };
        let empty = Map::new();
        let args = match provider.get("arguments") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => {
                return vec![issue(
                    "arguments",
                    "arguments must be a mapping".into(),
                    None,
                )]
            }
        };
        let takes = params
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>()
            .join(", ");
        let mut issues = Vec::new();
        for k in args.keys() {
            if !params.iter().any(|(p, _)| p == k) {
                issues.push(issue(
                    "arguments",
                    format!(
                        "argument '{k}' is not known to '{func}' in activity '{activity_name}'"
                    ),
                    Some(format!("'{func}' takes: {takes}")),
                ));
            }
        }
        for (p, required) in params.iter() {
            if *required && !args.contains_key(*p) {
                issues.push(issue(
                    "arguments",
                    format!("required argument '{p}' is missing from activity '{activity_name}'"),
                    Some(format!("'{func}' takes: {takes}")),
                ));
            }
        }
        issues
    }

    fn begin_run<'a>(
        &'a self,
        experiment: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Map<String, Value>, String>> {
        Box::pin(async move {
            let Some(declared) = experiment.get("proxies") else {
                return Ok(Map::new());
            };
            let seed = std::env::var("CHAOS_PROXY_SEED")
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or_else(rand::random);
            let proxies = Proxies::new(Some(seed));
            let (done, err) = proxies.populate(declared);
            if let Some(e) = err {
                proxies.shutdown();
                return Err(format!(
                    "the experiment's proxies could not start: {}",
                    e.message
                ));
            }
            let mut config = Map::new();
            for p in &done {
                let name = p["name"].as_str().unwrap_or_default();
                let listen = p["listen"].as_str().unwrap_or_default();
                config.insert(format!("proxy_{name}_listen"), Value::from(listen));
                if let Some(port) = listen
                    .rsplit(':')
                    .next()
                    .and_then(|s| s.parse::<u64>().ok())
                {
                    config.insert(format!("proxy_{name}_port"), Value::from(port));
                }
            }
            let stop = CancellationToken::new();
            let declared_api = experiment
                .get("configuration")
                .and_then(Value::as_object)
                .is_some_and(|c| {
                    c.contains_key("toxiproxy_url") || c.contains_key("toxiproxy_host")
                });
            if !declared_api {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .map_err(|e| format!("the proxies' API could not listen on loopback: {e}"))?;
                let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
                tokio::spawn(crate::api::serve(listener, proxies.clone(), stop.clone()));
                config.insert("toxiproxy_host".into(), Value::from("127.0.0.1"));
                config.insert("toxiproxy_port".into(), Value::from(port));
            }
            let mut run = self.run.lock().unwrap_or_else(|e| e.into_inner());
            run.proxies = Some(proxies);
            run.seed = seed;
            run.stop = stop;
            Ok(config)
        })
    }

    fn end_run(&self) -> BoxFuture<'_, Map<String, Value>> {
        Box::pin(async move {
            let (proxies, seed, stop) = {
                let mut run = self.run.lock().unwrap_or_else(|e| e.into_inner());
                (run.proxies.take(), run.seed, std::mem::take(&mut run.stop))
            };
            let Some(proxies) = proxies else {
                return Map::new();
            };
            stop.cancel();
            let mut removed = Vec::new();
            let mut reenabled = Vec::new();
            if let Value::Object(all) = proxies.list() {
                for (name, p) in all {
                    for t in p["toxics"].as_array().into_iter().flatten() {
                        removed.push(serde_json::json!({
                            "proxy": name, "toxic": t["name"], "type": t["type"], "stream": t["stream"]
                        }));
                    }
                    if p["enabled"] == Value::Bool(false) {
                        reenabled.push(Value::from(name.clone()));
                    }
                }
            }
            proxies.shutdown();
            let mut entry = Map::new();
            entry.insert("seed".into(), Value::from(seed));
            entry.insert("removed_at_end".into(), Value::Array(removed));
            entry.insert("disabled_at_end".into(), Value::Array(reenabled));
            let mut out = Map::new();
            out.insert("proxy_faults".into(), Value::Object(entry));
            out
        })
    }

    fn execute<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<Value, ActivityError>> {
        Box::pin(async move {
            let Some(proxies) = self.proxies() else {
                return Err(ActivityError::failed(
                    "this experiment declares no proxies: add a top-level \"proxies\" list",
                ));
            };
            let func = call
                .provider
                .get("func")
                .and_then(Value::as_str)
                .unwrap_or("");
            let args = call.arguments();
            let stop = self
                .run
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .stop
                .clone();
            match func {
                "add_toxic" => {
                    let proxy = text(&args, "proxy")?.to_string();
                    let mut body = Map::new();
                    for k in ["name", "type", "stream", "toxicity", "attributes"] {
                        if let Some(v) = args.get(k) {
                            body.insert(k.into(), v.clone());
                        }
                    }
                    let body = Value::Object(body);
                    let start_after = seconds(&args, "start_after")?;
                    let duration = seconds(&args, "duration")?;
                    // Checked now, so a bad toxic fails the action at once.
                    let toxic = crate::model::Toxic::from_create(&body).map_err(api)?;
                    proxies.get(&proxy).map_err(api)?;
                    if start_after.is_none() {
                        proxies.add_toxic(&proxy, &body).map_err(api)?;
                    }
                    if start_after.is_some() || duration.is_some() {
                        let name = toxic.name.clone();
                        let p = proxies.clone();
                        tokio::spawn(async move {
                            if let Some(wait) = start_after {
                                tokio::select! {
                                    _ = tokio::time::sleep(wait) => {}
                                    _ = stop.cancelled() => return,
                                }
                                let _ = p.add_toxic(&proxy, &body);
                            }
                            if let Some(length) = duration {
                                tokio::select! {
                                    _ = tokio::time::sleep(length) => {}
                                    _ = stop.cancelled() => return,
                                }
                                let _ = p.remove_toxic(&proxy, &name);
                            }
                        });
                    }
                    Ok(toxic.to_json())
                }
                "update_toxic" => {
                    let mut body = Map::new();
                    for k in ["toxicity", "attributes"] {
                        if let Some(v) = args.get(k) {
                            body.insert(k.into(), v.clone());
                        }
                    }
                    proxies
                        .update_toxic(
                            text(&args, "proxy")?,
                            text(&args, "name")?,
                            &Value::Object(body),
                        )
                        .map_err(api)
                }
                "remove_toxic" => proxies
                    .remove_toxic(text(&args, "proxy")?, text(&args, "name")?)
                    .map(|_| Value::Bool(true))
                    .map_err(api),
                "disable_proxy" => {
                    let proxy = text(&args, "proxy")?.to_string();
                    let start_after = seconds(&args, "start_after")?;
                    let duration = seconds(&args, "duration")?;
                    let off = serde_json::json!({"enabled": false});
                    let on = serde_json::json!({"enabled": true});
                    let now = match start_after {
                        None => proxies.update(&proxy, &off).map_err(api)?,
                        Some(_) => proxies.get(&proxy).map_err(api)?,
                    };
                    if start_after.is_some() || duration.is_some() {
                        let p = proxies.clone();
                        tokio::spawn(async move {
                            if let Some(wait) = start_after {
                                tokio::select! {
                                    _ = tokio::time::sleep(wait) => {}
                                    _ = stop.cancelled() => return,
                                }
                                let _ = p.update(&proxy, &off);
                            }
                            if let Some(length) = duration {
                                tokio::select! {
                                    _ = tokio::time::sleep(length) => {}
                                    _ = stop.cancelled() => return,
                                }
                                let _ = p.update(&proxy, &on);
                            }
                        });
                    }
                    Ok(now)
                }
                "enable_proxy" => proxies
                    .update(text(&args, "proxy")?, &serde_json::json!({"enabled": true}))
                    .map_err(api),
                "reset" => proxies.reset().map(|_| Value::Bool(true)).map_err(api),
                "get_proxy" => proxies.get(text(&args, "proxy")?).map_err(api),
                "list_proxies" => Ok(proxies.list()),
                other => Err(ActivityError::aborted(format!(
                    "'{other}' is not a proxy function"
                ))),
            }
        })
    }
}
