//! Requests sent the way the extension sends them for the resources it
//! handles as plain JSON (network policies, ingresses, secrets, services,
//! events, custom objects): the body exactly as the user wrote it, with no
//! typed round trip to drop or reshape fields, and the answer as the API
//! server wrote it.

use chaos_pyvalue::Value;
use http::Method;
use kube::client::Body;
use kube::core::ErrorResponse;

use crate::{Ctx, Outcome};

/// `Content-Type` of a create or replace.
pub(crate) const JSON: &str = "application/json";
/// `Content-Type` of a patch whose body is a mapping (the Python client's
/// choice for every dict body).
pub(crate) const STRATEGIC: &str = "application/strategic-merge-patch+json";
/// `Content-Type` of a patch whose body is a list of operations.
pub(crate) const JSON_PATCH: &str = "application/json-patch+json";
/// `Content-Type` of a merge patch (custom resources accept no strategic
/// merge).
pub(crate) const MERGE: &str = "application/merge-patch+json";

/// A request that did not succeed.
pub(crate) struct Failure {
    /// As the typed client would have reported it, for [`crate::api_failure`].
    pub error: kube::Error,
    /// The HTTP status, when the server answered.
    pub code: Option<u16>,
    /// The answer's body as sent (a `Status` object), when it answered.
    pub body: String,
}

impl Failure {
    /// Python's `ApiException.reason`: the HTTP reason phrase.
    pub fn reason(&self) -> &'static str {
        self.code
            .and_then(|c| http::StatusCode::from_u16(c).ok())
            .and_then(|c| c.canonical_reason())
            .unwrap_or("")
    }

    /// The answer's body as JSON (a `Status`), or as a string when it is not JSON.
    pub fn body_json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| Value::String(self.body.clone()))
    }
}

/// Percent-encodes one path segment, as the Python client quotes path
/// parameters: a name with a `/` must not address another URL.
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A name that goes into a per-object URL. An empty one would address the
/// whole collection (a DELETE there deletes everything, see
/// kubernetes-client/python#2209), so it is refused before any request.
pub(crate) fn object_name(name: &str, what: &str) -> Result<String, Outcome> {
    if name.is_empty() {
        return Err(Outcome::Failed(format!(
            "a non-empty name is required to address one {what} (an empty one would address all of them)"
        )));
    }
    Ok(segment(name))
}

/// Sends one request and returns the JSON answer (`null` for an empty one).
pub(crate) async fn send(
    ctx: &Ctx<'_>,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Option<&Value>,
) -> Result<Value, Failure> {
    let bytes = match body {
        Some(b) => serde_json::to_vec(b).unwrap_or_default(),
        None => Vec::new(),
    };
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::ACCEPT, JSON);
    if let Some(ct) = content_type {
        request = request.header(http::header::CONTENT_TYPE, ct);
    }
    let request = request
        .body(Body::from(bytes))
        .map_err(|e| transport(kube::Error::HttpError(e)))?;
    let response = ctx.client().send(request).await.map_err(transport)?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect_bytes()
        .await
        .map_err(transport)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if status.is_client_error() || status.is_server_error() {
        let parsed =
            serde_json::from_str::<ErrorResponse>(&text).unwrap_or_else(|_| ErrorResponse {
                status: "Failure".into(),
                message: text.clone(),
                reason: status.canonical_reason().unwrap_or("").into(),
                code: status.as_u16(),
            });
        return Err(Failure {
            error: kube::Error::Api(parsed),
            code: Some(status.as_u16()),
            body: text,
        });
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|e| transport(kube::Error::SerdeError(e)))
}

fn transport(error: kube::Error) -> Failure {
    Failure {
        error,
        code: None,
        body: String::new(),
    }
}

/// A query string from the parameters that are set, in the given order.
pub(crate) fn query(params: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = params
        .iter()
        .filter_map(|(k, v)| {
            v.as_ref()
                .map(|v| format!("{k}={}", crate::query_escape(v)))
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}
