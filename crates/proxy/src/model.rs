//! Proxies and toxics as the Toxiproxy API shows them: field names, default
//! values, JSON shapes and error texts (`docs/design/fault-proxy.md` §1).

use serde_json::{Map, Value};

/// An API error: HTTP status and Toxiproxy's message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status (repeated in the body).
    pub status: u16,
    /// The message, word for word where Toxiproxy has one.
    pub message: String,
}

impl ApiError {
    /// An error with a status.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// A body that does not decode (400, `bad request body: ...`).
    pub fn bad_body(why: impl std::fmt::Display) -> Self {
        ApiError::new(400, format!("bad request body: {why}"))
    }

    /// `{"error": ..., "status": ...}`.
    pub fn body(&self) -> Value {
        let mut m = Map::new();
        m.insert("error".into(), Value::from(self.message.clone()));
        m.insert("status".into(), Value::from(self.status));
        Value::Object(m)
    }
}

/// Which way the bytes go: `upstream` is client → server (requests),
/// `downstream` server → client (responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Client to server.
    Upstream,
    /// Server to client.
    Downstream,
}

impl Stream {
    /// Parses Toxiproxy's stream names, in any case.
    pub fn parse(s: &str) -> Option<Stream> {
        match s.to_ascii_lowercase().as_str() {
            "upstream" => Some(Stream::Upstream),
            "downstream" => Some(Stream::Downstream),
            _ => None,
        }
    }
}

/// What a toxic does, with its attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Passes data through.
    Noop,
    /// Delays each chunk by `latency` ± `jitter` ms after it was read.
    Latency {
        /// Milliseconds.
        latency: i64,
        /// Milliseconds.
        jitter: i64,
        /// How the jitter is drawn (ours; Toxiproxy's is uniform).
        distribution: Distribution,
    },
    /// Limits the rate to `rate` KB/s (1 KB = 1000 bytes).
    Bandwidth {
        /// KB per second; 0 or less means no limit.
        rate: i64,
    },
    /// Holds the close back by `delay` ms.
    SlowClose {
        /// Milliseconds.
        delay: i64,
    },
    /// Swallows data; closes `timeout` ms after the last chunk (0: never).
    Timeout {
        /// Milliseconds.
        timeout: i64,
    },
    /// Drops the first chunk, waits `timeout` ms, then resets both peers.
    ResetPeer {
        /// Milliseconds.
        timeout: i64,
    },
    /// Cuts chunks into slices of about `average_size` bytes, `delay` µs apart.
    Slicer {
        /// Bytes.
        average_size: i64,
        /// Bytes.
        size_variation: i64,
        /// Microseconds between slices.
        delay: i64,
    },
    /// Closes the connection after exactly `bytes` bytes in its direction.
    LimitData {
        /// Bytes.
        bytes: i64,
    },
    /// Accepts and swallows every byte, never closes (ours).
    Blackhole,
    /// `http_abort`, `http_delay`, `http_reset`: per request, on HTTP
    /// proxies only (ours, `crate::http_faults`).
    Http(Box<crate::http_faults::HttpFault>),
}

/// How latency jitter is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Uniform in `[-jitter, jitter)` ms, as Toxiproxy.
    Uniform,
    /// Normal with standard deviation `jitter`.
    Normal,
    /// Pareto (heavy tail) with scale `jitter`, shape 1.5, added to `latency`.
    Pareto,
}

impl Distribution {
    fn name(self) -> &'static str {
        match self {
            Distribution::Uniform => "uniform",
            Distribution::Normal => "normal",
            Distribution::Pareto => "pareto",
        }
    }
}

/// The toxic types this proxy knows (Toxiproxy's, then ours).
pub const TYPES: &[&str] = &[
    "noop",
    "latency",
    "bandwidth",
    "slow_close",
    "timeout",
    "reset_peer",
    "slicer",
    "limit_data",
    "blackhole",
    "http_abort",
    "http_delay",
    "http_reset",
];

/// A toxic as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Toxic {
    /// Unique per proxy across both streams.
    pub name: String,
    /// The type as given (`latency`, ...).
    pub type_name: String,
    /// The stream as given (its casing is kept, as Toxiproxy does).
    pub stream_text: String,
    /// The stream.
    pub stream: Stream,
    /// The probability that a connection gets it.
    pub toxicity: f32,
    /// What it does.
    pub kind: Kind,
}

fn int_attr(
    attrs: &Map<String, Value>,
    type_name: &str,
    key: &str,
    current: i64,
) -> Result<i64, ApiError> {
    match attrs.get(key) {
        None => Ok(current),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64().unwrap_or(current)),
        Some(other) => Err(ApiError::bad_body(format!(
            "json: cannot unmarshal {} into Go struct field {}.attributes.{key} of type int64",
            describe(other),
            go_struct(type_name)
        ))),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("number {n}"),
        Value::String(_) => "string".into(),
        Value::Bool(_) => "bool".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
        Value::Null => "null".into(),
    }
}

fn go_struct(type_name: &str) -> String {
    let mut s = String::new();
    for part in type_name.split('_') {
        let mut c = part.chars();
        if let Some(f) = c.next() {
            s.extend(f.to_uppercase());
            s.push_str(c.as_str());
        }
    }
    s + "Toxic"
}

impl Kind {
    /// A toxic of `type_name` with every attribute 0 (Toxiproxy's zero value).
    pub fn zero(type_name: &str) -> Option<Kind> {
        Some(match type_name {
            "noop" => Kind::Noop,
            "latency" => Kind::Latency {
                latency: 0,
                jitter: 0,
                distribution: Distribution::Uniform,
            },
            "bandwidth" => Kind::Bandwidth { rate: 0 },
            "slow_close" => Kind::SlowClose { delay: 0 },
            "timeout" => Kind::Timeout { timeout: 0 },
            "reset_peer" => Kind::ResetPeer { timeout: 0 },
            "slicer" => Kind::Slicer {
                average_size: 0,
                size_variation: 0,
                delay: 0,
            },
            "limit_data" => Kind::LimitData { bytes: 0 },
            "blackhole" => Kind::Blackhole,
            t if crate::http_faults::is_http_type(t) => {
                Kind::Http(Box::new(crate::http_faults::HttpFault::zero(t)?))
            }
            _ => return None,
        })
    }

    /// These attributes decoded over the current ones (a merge, as
    /// Toxiproxy decodes JSON into the live struct).
    pub fn merged(&self, type_name: &str, attrs: &Map<String, Value>) -> Result<Kind, ApiError> {
        let i = |key: &str, cur: i64| int_attr(attrs, type_name, key, cur);
        Ok(match self {
            Kind::Noop => Kind::Noop,
            Kind::Blackhole => Kind::Blackhole,
            Kind::Latency {
                latency,
                jitter,
                distribution,
            } => Kind::Latency {
                latency: i("latency", *latency)?,
                jitter: i("jitter", *jitter)?,
                distribution: match attrs.get("distribution") {
                    None => *distribution,
                    Some(Value::String(s)) => match s.as_str() {
                        "uniform" => Distribution::Uniform,
                        "normal" => Distribution::Normal,
                        "pareto" => Distribution::Pareto,
                        other => {
                            return Err(ApiError::new(
                                400,
                                format!(
                                    "bad request body: unknown distribution '{other}' (uniform, normal or pareto)"
                                ),
                            ))
                        }
                    },
                    Some(other) => {
                        return Err(ApiError::bad_body(format!(
                            "distribution must be a string, not {}",
                            describe(other)
                        )))
                    }
                },
            },
            Kind::Bandwidth { rate } => Kind::Bandwidth {
                rate: i("rate", *rate)?,
            },
            Kind::SlowClose { delay } => Kind::SlowClose {
                delay: i("delay", *delay)?,
            },
            Kind::Timeout { timeout } => Kind::Timeout {
                timeout: i("timeout", *timeout)?,
            },
            Kind::ResetPeer { timeout } => Kind::ResetPeer {
                timeout: i("timeout", *timeout)?,
            },
            Kind::Slicer {
                average_size,
                size_variation,
                delay,
            } => Kind::Slicer {
                average_size: i("average_size", *average_size)?,
                size_variation: i("size_variation", *size_variation)?,
                delay: i("delay", *delay)?,
            },
            Kind::LimitData { bytes } => Kind::LimitData {
                bytes: i("bytes", *bytes)?,
            },
            Kind::Http(f) => Kind::Http(Box::new(f.merged(type_name, attrs)?)),
        })
    }

    /// The attributes as the API shows them, every field present.
    pub fn attributes(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        match self {
            Kind::Noop | Kind::Blackhole => {}
            Kind::Http(f) => return f.attributes(),
            Kind::Latency {
                latency,
                jitter,
                distribution,
            } => {
                put("latency", Value::from(*latency));
                put("jitter", Value::from(*jitter));
                // Toxiproxy shows only the two; the distribution appears
                // once someone asked for another one.
                if *distribution != Distribution::Uniform {
                    put("distribution", Value::from(distribution.name()));
                }
            }
            Kind::Bandwidth { rate } => put("rate", Value::from(*rate)),
            Kind::SlowClose { delay } => put("delay", Value::from(*delay)),
            Kind::Timeout { timeout } | Kind::ResetPeer { timeout } => {
                put("timeout", Value::from(*timeout))
            }
            Kind::Slicer {
                average_size,
                size_variation,
                delay,
            } => {
                put("average_size", Value::from(*average_size));
                put("size_variation", Value::from(*size_variation));
                put("delay", Value::from(*delay));
            }
            Kind::LimitData { bytes } => put("bytes", Value::from(*bytes)),
        }
        Value::Object(m)
    }
}

/// Toxicity as Go prints a float32: `1`, `0.5`, `0.1`.
pub fn toxicity_json(t: f32) -> Value {
    let shortest: f64 = format!("{t}").parse().unwrap_or(f64::from(t));
    if shortest.fract() == 0.0 && shortest.abs() < 1e15 {
        Value::from(shortest as i64)
    } else {
        serde_json::Number::from_f64(shortest)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

impl Toxic {
    /// A new toxic from a create body (`POST /proxies/{p}/toxics`), with
    /// Toxiproxy's defaults: stream `downstream`, toxicity 1, name
    /// `<type>_<stream>`.
    pub fn from_create(body: &Value) -> Result<Toxic, ApiError> {
        let Value::Object(m) = body else {
            return Err(ApiError::bad_body(format!(
                "json: cannot unmarshal {} into Go value of type toxiproxy.ToxicWrapper",
                describe(body)
            )));
        };
        let text = |k: &str| -> Result<Option<String>, ApiError> {
            match m.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(ApiError::bad_body(format!(
                    "json: cannot unmarshal {} into Go struct field ToxicWrapper.{k} of type string",
                    describe(other)
                ))),
            }
        };
        let type_name = text("type")?.unwrap_or_default();
        let stream_text = text("stream")?.unwrap_or_else(|| "downstream".into());
        let toxicity = match m.get("toxicity") {
            None | Some(Value::Null) => 1.0,
            Some(Value::Number(n)) => n.as_f64().unwrap_or(1.0) as f32,
            Some(other) => {
                return Err(ApiError::bad_body(format!(
                    "json: cannot unmarshal {} into Go struct field ToxicWrapper.toxicity of type float32",
                    describe(other)
                )))
            }
        };
        let Some(stream) = Stream::parse(&stream_text) else {
            return Err(ApiError::new(
                400,
                "stream was invalid, can be either upstream or downstream",
            ));
        };
        let name = text("name")?
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{type_name}_{stream_text}"));
        let Some(zero) = Kind::zero(&type_name) else {
            return Err(ApiError::new(400, "invalid toxic type"));
        };
        let kind = match m.get("attributes") {
            None | Some(Value::Null) => zero,
            Some(Value::Object(a)) => zero.merged(&type_name, a)?,
            Some(other) => {
                return Err(ApiError::bad_body(format!(
                "json: cannot unmarshal {} into Go struct field ToxicWrapper.attributes of type {}",
                describe(other),
                go_struct(&type_name)
            )))
            }
        };
        Ok(Toxic {
            name,
            type_name,
            stream_text,
            stream,
            toxicity,
            kind,
        })
    }

    /// This toxic with an update body applied (`attributes` and `toxicity`
    /// merged over the live values; name, type and stream cannot change).
    pub fn updated(&self, body: &Value) -> Result<Toxic, ApiError> {
        let Value::Object(m) = body else {
            return Err(ApiError::bad_body(format!(
                "json: cannot unmarshal {} into Go value of type toxiproxy.ToxicWrapper",
                describe(body)
            )));
        };
        let mut next = self.clone();
        match m.get("toxicity") {
            None | Some(Value::Null) => {}
            Some(Value::Number(n)) => next.toxicity = n.as_f64().unwrap_or(1.0) as f32,
            Some(other) => {
                return Err(ApiError::bad_body(format!(
                    "json: cannot unmarshal {} into Go struct field ToxicWrapper.toxicity of type float32",
                    describe(other)
                )))
            }
        }
        if let Some(Value::Object(a)) = m.get("attributes") {
            next.kind = self.kind.merged(&self.type_name, a)?;
        }
        // An update starts the counters of an http_* toxic again.
        if let Kind::Http(f) = &next.kind {
            next.kind = Kind::Http(Box::new(f.with_fresh_counters()));
        }
        Ok(next)
    }

    /// The toxic as the API shows it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("attributes".into(), self.kind.attributes());
        m.insert("name".into(), Value::from(self.name.clone()));
        m.insert("type".into(), Value::from(self.type_name.clone()));
        m.insert("stream".into(), Value::from(self.stream_text.clone()));
        m.insert("toxicity".into(), toxicity_json(self.toxicity));
        if let Kind::Http(f) = &self.kind {
            m.insert("stats".into(), f.stats());
        }
        Value::Object(m)
    }
}

/// A proxy's settings as a create, update or populate body gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyInput {
    /// Its name.
    pub name: String,
    /// `host:port` to listen on.
    pub listen: String,
    /// `host:port` to connect to.
    pub upstream: String,
    /// Whether it listens.
    pub enabled: bool,
    /// `tcp` (Toxiproxy's byte proxy) or `http` (ours).
    pub protocol: Protocol,
}

/// How a proxy serves its connections (ours; Toxiproxy's are all `tcp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// Bytes through the byte toxics.
    #[default]
    Tcp,
    /// HTTP/1.1 requests through the `http_*` toxics.
    Http,
}

impl ProxyInput {
    /// Decodes a body over `base` (JSON keys match case-insensitively, as
    /// Go's decoder does; unknown keys are ignored).
    pub fn decode(body: &Value, base: ProxyInput) -> Result<ProxyInput, ApiError> {
        let Value::Object(m) = body else {
            return Err(ApiError::bad_body(format!(
                "json: cannot unmarshal {} into Go value of type toxiproxy.Proxy",
                describe(body)
            )));
        };
        let mut out = base;
        for (k, v) in m {
            let field = k.to_ascii_lowercase();
            let string = || match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(ApiError::bad_body(format!(
                    "json: cannot unmarshal {} into Go struct field Proxy.{field} of type string",
                    describe(other)
                ))),
            };
            match field.as_str() {
                "name" => out.name = string()?,
                "listen" => out.listen = string()?,
                "upstream" => out.upstream = string()?,
                "protocol" => {
                    out.protocol = match v {
                        Value::String(s) if s.eq_ignore_ascii_case("tcp") => Protocol::Tcp,
                        Value::String(s) if s.eq_ignore_ascii_case("http") => Protocol::Http,
                        other => {
                            return Err(ApiError::bad_body(format!(
                                "protocol must be \"tcp\" or \"http\", not {}",
                                match other {
                                    Value::String(s) => format!("\"{s}\""),
                                    o => describe(o),
                                }
                            )))
                        }
                    }
                }
                "enabled" => match v {
                    Value::Bool(b) => out.enabled = *b,
                    other => {
                        return Err(ApiError::bad_body(format!(
                        "json: cannot unmarshal {} into Go struct field Proxy.enabled of type bool",
                        describe(other)
                    )))
                    }
                },
                _ => {}
            }
        }
        Ok(out)
    }

    /// An empty input that defaults to enabled, as a create starts.
    pub fn fresh() -> ProxyInput {
        ProxyInput {
            name: String::new(),
            listen: String::new(),
            upstream: String::new(),
            enabled: true,
            protocol: Protocol::Tcp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_toxic_gets_toxiproxys_defaults() {
        let t =
            Toxic::from_create(&json!({"type": "latency", "attributes": {"latency": 5}})).unwrap();
        assert_eq!(
            t.to_json(),
            json!({"attributes": {"latency": 5, "jitter": 0}, "name": "latency_downstream",
                   "type": "latency", "stream": "downstream", "toxicity": 1})
        );
        let t = Toxic::from_create(
            &json!({"type": "slicer", "stream": "UPSTREAM", "toxicity": 0.1, "attributes": null}),
        )
        .unwrap();
        assert_eq!(t.name, "slicer_UPSTREAM");
        assert_eq!(t.stream, Stream::Upstream);
        assert_eq!(t.to_json()["toxicity"], json!(0.1));
    }

    #[test]
    fn bad_toxics_get_toxiproxys_errors() {
        let err = |b: Value| Toxic::from_create(&b).unwrap_err();
        assert_eq!(err(json!({"type": "nope"})).message, "invalid toxic type");
        assert_eq!(
            err(json!({"type": "latency", "stream": "sideways"})).message,
            "stream was invalid, can be either upstream or downstream"
        );
        let e = err(json!({"type": "latency", "attributes": {"latency": 1.5}}));
        assert_eq!(e.status, 400);
        assert!(e.message.starts_with("bad request body: "), "{}", e.message);
        assert!(
            e.message.contains("LatencyToxic.attributes.latency"),
            "{}",
            e.message
        );
    }

    #[test]
    fn updates_merge_over_the_live_values() {
        let t = Toxic::from_create(
            &json!({"type": "latency", "name": "l", "attributes": {"latency": 5, "jitter": 2}}),
        )
        .unwrap();
        let u = t
            .updated(&json!({"attributes": {"latency": 9}, "toxicity": 0.5, "type": "bandwidth"}))
            .unwrap();
        assert_eq!(
            u.to_json()["attributes"],
            json!({"latency": 9, "jitter": 2})
        );
        assert_eq!(u.to_json()["toxicity"], json!(0.5));
        assert_eq!(u.type_name, "latency");
    }

    #[test]
    fn proxy_bodies_decode_case_insensitively_over_a_base() {
        let base = ProxyInput {
            name: "p".into(),
            listen: "127.0.0.1:1".into(),
            upstream: "u:2".into(),
            enabled: true,
            protocol: Protocol::Tcp,
        };
        let p = ProxyInput::decode(&json!({"Enabled": false, "other": 1}), base).unwrap();
        assert!(!p.enabled);
        assert_eq!(p.upstream, "u:2");
        assert!(ProxyInput::decode(&json!({"enabled": "no"}), ProxyInput::fresh()).is_err());
    }
}
