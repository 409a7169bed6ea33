//! The `http` provider, with the reference's quirks: arguments as a query
//! string for GET, as JSON only for an exact `Content-Type: application/json`
//! request header, as a form otherwise; only an exact `application/json`
//! response is decoded; 4xx/5xx answers succeed.
//!
//! Clients are kept for the whole run, one per (timeouts, TLS verification)
//! pair, so repeated probes reuse their keep-alive connections: that is most
//! of the speed difference with the reference.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chaos_experiment::ProviderIssue;
use chaos_pyvalue::{py_str, Map, Value};
use futures::future::BoxFuture;

use crate::{issue, ActivityError, Call, Driver};

/// The `http` driver.
#[derive(Default)]
pub struct HttpDriver {
    clients: Mutex<HashMap<ClientKey, reqwest::Client>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct ClientKey {
    connect_ms: Option<u64>,
    read_ms: Option<u64>,
    verify_tls: bool,
}

impl HttpDriver {
    fn client(&self, key: ClientKey) -> Result<reqwest::Client, ActivityError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = clients.get(&key) {
            return Ok(c.clone());
        }
        let mut builder = reqwest::Client::builder()
            .danger_accept_invalid_certs(!key.verify_tls)
            .redirect(reqwest::redirect::Policy::limited(30))
            .user_agent(concat!("chaos/", env!("CARGO_PKG_VERSION")));
        if let Some(ms) = key.connect_ms {
            builder = builder.connect_timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = key.read_ms {
            builder = builder.read_timeout(Duration::from_millis(ms));
        }
        let client = builder
            .build()
            .map_err(|e| ActivityError::aborted(format!("cannot build an HTTP client: {e}")))?;
        clients.insert(key, client.clone());
        Ok(client)
    }
}

impl Driver for HttpDriver {
    fn provider_type(&self) -> &'static str {
        "http"
    }

    fn check(
        &self,
        provider: &Map<String, Value>,
        _activity_name: &str,
        _kind: &str,
    ) -> Vec<ProviderIssue> {
        let mut issues = Vec::new();
        if !provider.get("url").is_some_and(chaos_pyvalue::py_truthy) {
            issues.push(issue(
                &["url"],
                "a HTTP activity must have a URL",
                Some("set `url` to the address to call, e.g. \"http://localhost:8080/health\""),
            ));
        }
        if let Some(h) = provider.get("headers") {
            if chaos_pyvalue::py_truthy(h) && !h.is_object() {
                issues.push(issue(
                    &["headers"],
                    "a HTTP activities expect headers as a mapping",
                    Some("write headers as name: value pairs"),
                ));
            }
        }
        issues
    }

    fn execute<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<Value, ActivityError>> {
        Box::pin(async move {
            tokio::select! {
                r = self.request(&call) => r,
                _ = call.cancel.cancelled() => Err(ActivityError::Cancelled),
            }
        })
    }
}

impl HttpDriver {
    async fn request(&self, call: &Call<'_>) -> Result<Value, ActivityError> {
        let p = call.provider;
        let url = match call.substitute(p.get("url").unwrap_or(&Value::Null)) {
            Value::String(s) => s,
            other => py_str(&other),
        };
        let method = p
            .get("method")
            .map(py_str)
            .unwrap_or_else(|| "GET".into())
            .to_uppercase();
        let headers = match p.get("headers") {
            Some(h) if chaos_pyvalue::py_truthy(h) => call.substitute(h),
            _ => Value::Null,
        };
        let mut arguments = p.get("arguments").cloned().unwrap_or(Value::Null);
        if call.substitutes_arguments() {
            arguments = call.substitute(&arguments);
        }
        let (connect, read) = timeouts(&call.substitute(p.get("timeout").unwrap_or(&Value::Null)));
        let verify_tls = p
            .get("verify_tls")
            .map(chaos_pyvalue::py_truthy)
            .unwrap_or(true);
        let max_retries = p.get("max_retries").and_then(Value::as_u64).unwrap_or(0);

        let key = ClientKey {
            connect_ms: connect.map(ms),
            read_ms: read.map(ms),
            verify_tls,
        };
        let client = self.client(key)?;
        let parsed = reqwest::Url::parse(&url)
            .map_err(|e| ActivityError::aborted(format!("invalid URL '{url}': {e}")))?;
        let http_method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| ActivityError::aborted(format!("invalid HTTP method '{method}'")))?;

        let mut header_map = reqwest::header::HeaderMap::new();
        let mut json_body = false;
        if let Value::Object(h) = &headers {
            for (name, value) in h {
                let Value::String(text) = value else {
                    return Err(ActivityError::aborted(format!(
                        "Header value must be str or bytes, not {}: header '{name}' is {}",
                        chaos_pyvalue::py_type_name(value),
                        py_str(value)
                    )));
                };
                if name == "Content-Type" && text == "application/json" {
                    json_body = true;
                }
                let hn = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| ActivityError::aborted(format!("invalid header name '{name}'")))?;
                let hv = reqwest::header::HeaderValue::from_str(text).map_err(|_| {
                    ActivityError::aborted(format!("invalid value for header '{name}'"))
                })?;
                header_map.append(hn, hv);
            }
        }

        let is_get = http_method == reqwest::Method::GET;
        let mut attempt = 0;
        loop {
            let mut request = client
                .request(http_method.clone(), parsed.clone())
                .headers(header_map.clone());
            if is_get {
                let pairs = query_pairs(&arguments);
                if !pairs.is_empty() {
                    request = request.query(&pairs);
                }
            } else if chaos_pyvalue::py_truthy(&arguments) || arguments.is_string() {
                if json_body {
                    request = request.body(chaos_pyvalue::json_dumps(&arguments));
                } else {
                    match &arguments {
                        Value::String(s) => request = request.body(s.clone()),
                        Value::Object(_) => {
                            let pairs = query_pairs(&arguments);
                            let body = serde_urlencoded_pairs(&pairs);
                            request = request
                                .header(
                                    reqwest::header::CONTENT_TYPE,
                                    "application/x-www-form-urlencoded",
                                )
                                .body(body);
                        }
                        other => request = request.body(py_str(other)),
                    }
                }
            }
            // Each attempt is its own client span, as an instrumented
            // HTTP library records it.
            let span = call
                .tracing
                .as_ref()
                .map(|t| t.start(http_method.as_str(), parsed.as_str()));
            if let Some(span) = &span {
                for (name, value) in span.headers() {
                    request = request.header(name, value);
                }
            }
            let sent = request.send().await;
            if let Some(span) = span {
                match &sent {
                    Ok(r) => span.end(Some(r.status().as_u16()), None),
                    Err(e) => span.end(None, Some(&e.to_string())),
                }
            }
            match sent {
                Ok(response) => return read_response(response, call).await,
                Err(e) => {
                    let retriable = e.is_connect()
                        || (e.is_timeout()
                            && matches!(
                                method.as_str(),
                                "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
                            ));
                    if retriable && attempt < max_retries {
                        attempt += 1;
                        continue;
                    }
                    return Err(classify(e, &url));
                }
            }
        }
    }
}

async fn read_response(
    response: reqwest::Response,
    call: &Call<'_>,
) -> Result<Value, ActivityError> {
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        headers.insert(
            title_case(name.as_str()),
            Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        );
    }
    let exact_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/json");
    let bytes = response.bytes().await.map_err(|e| {
        if e.is_timeout() {
            ActivityError::failed("activity took too long to complete")
        } else {
            ActivityError::aborted(format!("reading the response failed: {e}"))
        }
    })?;
    let body = if exact_json {
        serde_json::from_slice(&bytes).map_err(|e| {
            ActivityError::aborted(format!(
                "the response says application/json but its body is not JSON: {e}"
            ))
        })?
    } else {
        Value::String(String::from_utf8_lossy(&bytes).into_owned())
    };
    if status > 399 && !call.has_tolerance {
        (call.warn)("This HTTP call returned a response with a HTTP status code above 400. This may indicate some error and not what you expected. Please have a look at the logs.".into());
    }
    let mut out = Map::new();
    out.insert("status".into(), Value::from(status));
    out.insert("headers".into(), Value::Object(headers));
    out.insert("body".into(), body);
    Ok(Value::Object(out))
}

fn classify(e: reqwest::Error, url: &str) -> ActivityError {
    if e.is_connect() {
        let mut cause = String::new();
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        if cause.is_empty() {
            cause = e.to_string();
        }
        ActivityError::failed(format!("failed to connect to {url}: {cause}"))
    } else if e.is_timeout() {
        ActivityError::failed("activity took too long to complete")
    } else if e.is_builder() || e.is_request() && e.url().is_none() {
        ActivityError::aborted(format!("cannot send the request to {url}: {e}"))
    } else {
        ActivityError::failed(format!("failed to connect to {url}: {e}"))
    }
}

/// Header names as most servers send them (`Content-Type`): the HTTP client
/// lower-cases names, the reference keeps the server's case.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn ms(d: Duration) -> u64 {
    d.as_millis().max(1) as u64
}

/// `timeout` as requests reads it: one number for connect and read, or a
/// `[connect, read]` pair.
fn timeouts(v: &Value) -> (Option<Duration>, Option<Duration>) {
    let secs = |v: &Value| match v {
        Value::Number(n) => n
            .as_f64()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64),
        _ => None,
    };
    match v {
        Value::Array(pair) if pair.len() == 2 => (secs(&pair[0]), secs(&pair[1])),
        other => {
            let t = secs(other);
            (t, t)
        }
    }
}

/// Arguments as `(key, value)` pairs; list values repeat the key.
fn query_pairs(arguments: &Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    if let Value::Object(m) = arguments {
        for (k, v) in m {
            match v {
                Value::Array(items) => pairs.extend(items.iter().map(|i| (k.clone(), py_str(i)))),
                Value::Null => {}
                other => pairs.push((k.clone(), py_str(other))),
            }
        }
    }
    pairs
}

fn serde_urlencoded_pairs(pairs: &[(String, String)]) -> String {
    let mut s = url_form::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

mod url_form {
    pub use url::form_urlencoded::Serializer;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_accept_one_number_or_a_pair() {
        assert_eq!(
            timeouts(&serde_json::json!(3)),
            (Some(Duration::from_secs(3)), Some(Duration::from_secs(3)))
        );
        assert_eq!(
            timeouts(&serde_json::json!([1, 0.5])),
            (
                Some(Duration::from_secs(1)),
                Some(Duration::from_millis(500))
            )
        );
        assert_eq!(timeouts(&Value::Null), (None, None));
    }

    #[test]
    fn list_values_repeat_the_query_key() {
        let pairs = query_pairs(&serde_json::json!({"l": [1, 2], "x": "y"}));
        assert_eq!(
            pairs,
            vec![
                ("l".into(), "1".into()),
                ("l".into(), "2".into()),
                ("x".into(), "y".into())
            ]
        );
    }

    #[test]
    fn header_names_are_title_cased() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-request-id"), "X-Request-Id");
    }
}
