//! The `http_*` toxics of HTTP proxies (`docs/design/fault-proxy.md` §7.2):
//! their attributes, strictly validated, and the per-request decision
//! (match, then `skip`, `every`, `count`, then the toxicity draw).
//!
//! Counters are per toxic, shared by every connection of the proxy, and
//! start again from zero whenever the toxic is updated.

use std::sync::{Arc, Mutex};

use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use rand::Rng;
use regex::Regex;
use serde_json::{Map, Value};

use crate::model::ApiError;

/// The HTTP toxic types.
pub const HTTP_TYPES: &[&str] = &["http_abort", "http_delay", "http_reset"];

/// Whether a toxic type is one of the `http_*` ones.
pub fn is_http_type(type_name: &str) -> bool {
    HTTP_TYPES.contains(&type_name)
}

/// How `http_reset` ends the client connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetMode {
    /// A TCP reset (SO_LINGER 0): the client sees ECONNRESET.
    Reset,
    /// An orderly close (FIN).
    Close,
}

impl ResetMode {
    fn name(self) -> &'static str {
        match self {
            ResetMode::Reset => "reset",
            ResetMode::Close => "close",
        }
    }
}

/// What a firing `http_*` toxic does.
#[derive(Debug, Clone, PartialEq)]
pub enum HttpAction {
    /// Answers with `status` instead of (upstream) or in place of
    /// (downstream) the upstream's response.
    Abort {
        /// 200..=599.
        status: i64,
        /// The body of the answer.
        body: String,
        /// Headers added to the answer, in order.
        response_headers: Vec<(String, String)>,
    },
    /// Holds the request (upstream) or the response (downstream).
    Delay {
        /// Milliseconds.
        delay: i64,
        /// Milliseconds, uniform ± as the latency toxic.
        jitter: i64,
    },
    /// Ends the client connection: after the request head (upstream), or
    /// after `after_bytes` bytes of the response reached the client
    /// (downstream).
    Reset {
        /// Bytes of the response (head included) let through first.
        after_bytes: i64,
        /// RST or FIN.
        mode: ResetMode,
    },
}

/// How many requests a toxic matched and how many it faulted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Requests that matched method, path and headers.
    pub matched: u64,
    /// Requests the toxic acted on.
    pub injected: u64,
}

/// An `http_*` toxic: its action, which requests it matches, and its rules.
#[derive(Debug, Clone)]
pub struct HttpFault {
    /// What it does.
    pub action: HttpAction,
    /// Exact, case-sensitive method; empty matches any.
    pub method: String,
    /// Exact path (without the query); empty matches any.
    pub path: String,
    /// A glob the whole path must match (`*` within a segment, `**`
    /// across segments, `?` one character); empty matches any.
    pub path_glob: String,
    glob: Option<Regex>,
    /// Path prefix; empty matches any.
    pub path_prefix: String,
    /// A regular expression searched in the path; empty matches any.
    pub path_regex: String,
    regex: Option<Regex>,
    /// Request headers that must all match (`""`: present).
    pub headers: Vec<(String, String)>,
    /// Matching requests left alone first.
    pub skip: i64,
    /// At most this many faults (0: no limit).
    pub count: i64,
    /// Every k-th matching request (after `skip`).
    pub every: i64,
    tally: Arc<Mutex<Tally>>,
}

impl PartialEq for HttpFault {
    fn eq(&self, other: &Self) -> bool {
        self.action == other.action
            && self.method == other.method
            && self.path == other.path
            && self.path_glob == other.path_glob
            && self.path_prefix == other.path_prefix
            && self.path_regex == other.path_regex
            && self.headers == other.headers
            && self.skip == other.skip
            && self.count == other.count
            && self.every == other.every
    }
}

/// The parts of a request the matchers look at.
pub struct RequestView<'a> {
    /// `GET`, ...
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

fn wrong(type_name: &str, key: &str, want: &str, v: &Value) -> ApiError {
    ApiError::bad_body(format!(
        "{type_name} attribute {key} must be {want}, not {}",
        match v {
            Value::Number(n) => format!("number {n}"),
            other => describe(other).to_string(),
        }
    ))
}

fn string(type_name: &str, key: &str, v: &Value) -> Result<String, ApiError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(wrong(type_name, key, "a string", other)),
    }
}

fn int(type_name: &str, key: &str, v: &Value) -> Result<i64, ApiError> {
    match v {
        Value::Number(n) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        other => Err(wrong(type_name, key, "an integer", other)),
    }
}

fn header_map(
    type_name: &str,
    key: &str,
    v: &Value,
    check_values: bool,
) -> Result<Vec<(String, String)>, ApiError> {
    let Value::Object(m) = v else {
        return Err(wrong(
            type_name,
            key,
            "an object of header names to strings",
            v,
        ));
    };
    let mut out = Vec::new();
    for (name, value) in m {
        let Value::String(value) = value else {
            return Err(wrong(
                type_name,
                &format!("{key}.{name}"),
                "a string",
                value,
            ));
        };
        if HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(ApiError::bad_body(format!(
                "{type_name} attribute {key}: invalid header name '{name}'"
            )));
        }
        if check_values && HeaderValue::from_str(value).is_err() {
            return Err(ApiError::bad_body(format!(
                "{type_name} attribute {key}: invalid value for header '{name}'"
            )));
        }
        out.push((name.clone(), value.clone()));
    }
    Ok(out)
}

fn headers_json(h: &[(String, String)]) -> Value {
    Value::Object(
        h.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect(),
    )
}

impl HttpFault {
    /// A toxic of `type_name` with its defaults (abort: 503; reset: right
    /// away, with RST; every request matches).
    pub fn zero(type_name: &str) -> Option<HttpFault> {
        let action = match type_name {
            "http_abort" => HttpAction::Abort {
                status: 503,
                body: String::new(),
                response_headers: Vec::new(),
            },
            "http_delay" => HttpAction::Delay {
                delay: 0,
                jitter: 0,
            },
            "http_reset" => HttpAction::Reset {
                after_bytes: 0,
                mode: ResetMode::Reset,
            },
            _ => return None,
        };
        Some(HttpFault {
            action,
            method: String::new(),
            path: String::new(),
            path_glob: String::new(),
            glob: None,
            path_prefix: String::new(),
            path_regex: String::new(),
            regex: None,
            headers: Vec::new(),
            skip: 0,
            count: 0,
            every: 1,
            tally: Arc::default(),
        })
    }

    /// These attributes over the current ones. Unknown keys, wrong types
    /// and values out of range are refused (400 `bad request body: ...`).
    /// The counters start again from zero.
    pub fn merged(
        &self,
        type_name: &str,
        attrs: &Map<String, Value>,
    ) -> Result<HttpFault, ApiError> {
        let mut next = self.clone();
        for (key, v) in attrs {
            let k = key.as_str();
            match (k, &mut next.action) {
                ("method", _) => next.method = string(type_name, k, v)?,
                ("path", _) => next.path = string(type_name, k, v)?,
                ("path_prefix", _) => next.path_prefix = string(type_name, k, v)?,
                ("path_glob", _) => next.path_glob = string(type_name, k, v)?,
                ("path_regex", _) => next.path_regex = string(type_name, k, v)?,
                ("headers", _) => next.headers = header_map(type_name, k, v, false)?,
                ("skip", _) => next.skip = int(type_name, k, v)?,
                ("count", _) => next.count = int(type_name, k, v)?,
                ("every", _) => next.every = int(type_name, k, v)?,
                ("status", HttpAction::Abort { status, .. }) => *status = int(type_name, k, v)?,
                ("body", HttpAction::Abort { body, .. }) => *body = string(type_name, k, v)?,
                ("response_headers", HttpAction::Abort {
                    response_headers, ..
                }) => *response_headers = header_map(type_name, k, v, true)?,
                ("delay", HttpAction::Delay { delay, .. }) => *delay = int(type_name, k, v)?,
                ("jitter", HttpAction::Delay { jitter, .. }) => *jitter = int(type_name, k, v)?,
                ("after_bytes", HttpAction::Reset { after_bytes, .. }) => {
                    *after_bytes = int(type_name, k, v)?
                }
                ("mode", HttpAction::Reset { mode, .. }) => {
                    *mode = match string(type_name, k, v)?.as_str() {
                        "reset" => ResetMode::Reset,
                        "close" => ResetMode::Close,
                        other => {
                            return Err(ApiError::bad_body(format!(
                                "{type_name} attribute mode must be \"reset\" or \"close\", not \"{other}\""
                            )))
                        }
                    }
                }
                _ => {
                    return Err(ApiError::bad_body(format!(
                        "unknown attribute '{k}' for {type_name}"
                    )))
                }
            }
        }
        let range = |key: &str, v: i64, min: i64, max: i64| {
            if v < min || v > max {
                Err(ApiError::bad_body(format!(
                    "{type_name} attribute {key} must be between {min} and {max}, not {v}"
                )))
            } else {
                Ok(())
            }
        };
        range("skip", next.skip, 0, i64::MAX)?;
        range("count", next.count, 0, i64::MAX)?;
        range("every", next.every, 1, i64::MAX)?;
        match &next.action {
            HttpAction::Abort { status, .. } => range("status", *status, 200, 599)?,
            HttpAction::Delay { delay, jitter } => {
                range("delay", *delay, 0, i64::MAX)?;
                range("jitter", *jitter, 0, i64::MAX)?;
            }
            HttpAction::Reset { after_bytes, .. } => {
                range("after_bytes", *after_bytes, 0, i64::MAX)?
            }
        }
        next.regex = if next.path_regex.is_empty() {
            None
        } else {
            Some(Regex::new(&next.path_regex).map_err(|e| {
                ApiError::bad_body(format!(
                    "{type_name} attribute path_regex: {}",
                    e.to_string().replace('\n', " ")
                ))
            })?)
        };
        next.glob =
            if next.path_glob.is_empty() {
                None
            } else {
                Some(Regex::new(&glob_regex(&next.path_glob)).map_err(|e| {
                    ApiError::bad_body(format!("{type_name} attribute path_glob: {e}"))
                })?)
            };
        next.tally = Arc::default();
        Ok(next)
    }

    /// This toxic with its counters back at zero (a toxic update).
    pub fn with_fresh_counters(&self) -> HttpFault {
        let mut next = self.clone();
        next.tally = Arc::default();
        next
    }

    /// The attributes as the API shows them, every field present.
    pub fn attributes(&self) -> Value {
        let mut m = Map::new();
        match &self.action {
            HttpAction::Abort {
                status,
                body,
                response_headers,
            } => {
                m.insert("status".into(), Value::from(*status));
                m.insert("body".into(), Value::from(body.clone()));
                m.insert("response_headers".into(), headers_json(response_headers));
            }
            HttpAction::Delay { delay, jitter } => {
                m.insert("delay".into(), Value::from(*delay));
                m.insert("jitter".into(), Value::from(*jitter));
            }
            HttpAction::Reset { after_bytes, mode } => {
                m.insert("after_bytes".into(), Value::from(*after_bytes));
                m.insert("mode".into(), Value::from(mode.name()));
            }
        }
        m.insert("method".into(), Value::from(self.method.clone()));
        m.insert("path".into(), Value::from(self.path.clone()));
        m.insert("path_glob".into(), Value::from(self.path_glob.clone()));
        m.insert("path_prefix".into(), Value::from(self.path_prefix.clone()));
        m.insert("path_regex".into(), Value::from(self.path_regex.clone()));
        m.insert("headers".into(), headers_json(&self.headers));
        m.insert("skip".into(), Value::from(self.skip));
        m.insert("count".into(), Value::from(self.count));
        m.insert("every".into(), Value::from(self.every));
        Value::Object(m)
    }

    /// The counters so far.
    pub fn tally(&self) -> Tally {
        *self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `{"matched": n, "injected": m}`.
    pub fn stats(&self) -> Value {
        let t = self.tally();
        let mut m = Map::new();
        m.insert("matched".into(), Value::from(t.matched));
        m.insert("injected".into(), Value::from(t.injected));
        Value::Object(m)
    }

    /// Whether method, path and headers all match.
    pub fn matches(&self, req: &RequestView<'_>) -> bool {
        if !self.method.is_empty() && self.method != req.method {
            return false;
        }
        if !self.path.is_empty() && self.path != req.path {
            return false;
        }
        if !req.path.starts_with(self.path_prefix.as_str()) {
            return false;
        }
        if let Some(glob) = &self.glob {
            if !glob.is_match(req.path) {
                return false;
            }
        }
        if let Some(re) = &self.regex {
            if !re.is_match(req.path) {
                return false;
            }
        }
        self.headers.iter().all(|(name, want)| {
            let mut values = req.headers.get_all(name.as_str()).iter().peekable();
            if want.is_empty() {
                values.peek().is_some()
            } else {
                values.any(|v| v.as_bytes() == want.as_bytes())
            }
        })
    }

    /// Whether this request gets the fault: it matches, it is past
    /// `skip`, it is an `every`-th one, fewer than `count` were faulted,
    /// and the toxicity draw says so. Counts it.
    pub fn decide(&self, req: &RequestView<'_>, toxicity: f32, rng: &mut impl Rng) -> bool {
        if !self.matches(req) {
            return false;
        }
        let mut t = self.tally.lock().unwrap_or_else(|e| e.into_inner());
        t.matched += 1;
        let n = t.matched as i64;
        if n <= self.skip {
            return false;
        }
        if (n - self.skip) % self.every.max(1) != 0 {
            return false;
        }
        if self.count > 0 && t.injected as i64 >= self.count {
            return false;
        }
        let draw: f32 = rng.gen();
        if draw >= toxicity {
            return false;
        }
        t.injected += 1;
        true
    }
}

/// A path glob as an anchored regular expression: `**` any characters,
/// `*` any within one segment, `?` one character but `/`, the rest literal.
fn glob_regex(glob: &str) -> String {
    let mut re = String::from("^");
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                re.push_str(".*");
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    re
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use serde_json::json;

    fn fault(type_name: &str, attrs: Value) -> Result<HttpFault, ApiError> {
        let Value::Object(a) = attrs else { panic!() };
        HttpFault::zero(type_name).unwrap().merged(type_name, &a)
    }

    #[test]
    fn path_globs_match_segments_and_whole_paths() {
        let f = fault("http_abort", json!({"path_glob": "/orders/*/items"})).unwrap();
        let g = Regex::new(&glob_regex(&f.path_glob)).unwrap();
        assert!(g.is_match("/orders/42/items"));
        assert!(
            !g.is_match("/orders/42/x/items"),
            "* stays within a segment"
        );
        assert!(!g.is_match("/orders/42/items/7"), "the whole path");
        let deep = Regex::new(&glob_regex("/api/**.json")).unwrap();
        assert!(deep.is_match("/api/v1/users/7.json"));
        assert!(!deep.is_match("/api/v1/users/7.jsonx"));
        assert!(Regex::new(&glob_regex("/a?c")).unwrap().is_match("/abc"));
        assert!(
            !Regex::new(&glob_regex("/a.c")).unwrap().is_match("/abc"),
            "dots are literal"
        );
    }

    #[test]
    fn defaults_and_json() {
        let f = fault("http_abort", json!({"path_prefix": "/o"})).unwrap();
        assert_eq!(
            f.attributes(),
            json!({"status": 503, "body": "", "response_headers": {}, "method": "", "path": "", "path_glob": "",
                   "path_prefix": "/o", "path_regex": "", "headers": {}, "skip": 0, "count": 0, "every": 1})
        );
        assert_eq!(
            fault("http_reset", json!({})).unwrap().attributes()["mode"],
            json!("reset")
        );
    }

    #[test]
    fn strict_validation() {
        let msg = |t: &str, a: Value| fault(t, a).unwrap_err().message;
        assert_eq!(
            msg("http_abort", json!({"latency": 1})),
            "bad request body: unknown attribute 'latency' for http_abort"
        );
        assert!(msg("http_delay", json!({"status": 500})).contains("unknown attribute"));
        assert_eq!(
            msg("http_abort", json!({"status": "500"})),
            "bad request body: http_abort attribute status must be an integer, not string"
        );
        assert!(msg("http_abort", json!({"status": 99})).contains("between 200 and 599"));
        assert!(msg("http_delay", json!({"delay": 1.5})).contains("must be an integer"));
        assert!(msg("http_reset", json!({"mode": "fin"})).contains("\"reset\" or \"close\""));
        assert!(msg("http_reset", json!({"every": 0})).contains("every"));
        assert!(msg("http_reset", json!({"path_regex": "("})).contains("path_regex"));
        assert!(msg("http_reset", json!({"headers": {"a": 1}})).contains("headers.a"));
        assert!(msg("http_reset", json!({"headers": []})).contains("headers"));
    }

    #[test]
    fn rules_in_order() {
        let map = HeaderMap::new();
        let req = RequestView {
            method: "GET",
            path: "/x",
            headers: &map,
        };
        let mut rng = StdRng::seed_from_u64(1);
        let f = fault("http_abort", json!({"skip": 1, "every": 2, "count": 2})).unwrap();
        let hits: Vec<bool> = (0..10).map(|_| f.decide(&req, 1.0, &mut rng)).collect();
        // 1 skipped; then every 2nd of 2..: 3, 5; count caps at 2.
        let want = [
            false, false, true, false, true, false, false, false, false, false,
        ];
        assert_eq!(hits, want);
        assert_eq!(
            f.tally(),
            Tally {
                matched: 10,
                injected: 2
            }
        );
    }
}
