//! `metav1.Status` bodies, built with the same messages and details as
//! `k8s.io/apimachinery/pkg/api/errors`, because clients (kubectl, kube-rs)
//! branch on `reason` and `code` and users read `message`.

use serde_json::{json, Map, Value};

/// A failed request, ready to be written as a Status body.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

/// `group`/`resource` as the API server names them in messages:
/// `pods`, `deployments.apps`.
pub(crate) fn qualified(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

fn details(group: &str, resource: &str, name: &str) -> Value {
    let mut d = Map::new();
    if !name.is_empty() {
        d.insert("name".into(), json!(name));
    }
    if !group.is_empty() {
        d.insert("group".into(), json!(group));
    }
    if !resource.is_empty() {
        d.insert("kind".into(), json!(resource));
    }
    Value::Object(d)
}

impl ApiError {
    pub(crate) fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    pub(crate) fn with_details(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    pub(crate) fn not_found(group: &str, resource: &str, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", qualified(group, resource)),
        )
        .with_details(details(group, resource, name))
    }

    /// A path that names no API resource at all.
    pub(crate) fn no_route() -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    pub(crate) fn already_exists(group: &str, resource: &str, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", qualified(group, resource)),
        )
        .with_details(details(group, resource, name))
    }

    pub(crate) fn conflict(group: &str, resource: &str, name: &str, why: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": {why}",
                qualified(group, resource)
            ),
        )
        .with_details(details(group, resource, name))
    }

    pub(crate) fn stale(group: &str, resource: &str, name: &str) -> ApiError {
        ApiError::conflict(
            group,
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    pub(crate) fn forbidden(group: &str, resource: &str, name: &str, why: &str) -> ApiError {
        let q = qualified(group, resource);
        let message = if name.is_empty() {
            format!("{q} is forbidden: {why}")
        } else {
            format!("{q} \"{name}\" is forbidden: {why}")
        };
        ApiError::new(403, "Forbidden", message).with_details(details(group, resource, name))
    }

    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    /// 422 with one field cause, as validation failures are reported
    /// (`Kind.group "name" is invalid: field: detail`).
    pub(crate) fn invalid(
        kind: &str,
        group: &str,
        name: &str,
        field: &str,
        detail: &str,
    ) -> ApiError {
        let qk = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        let mut d = Map::new();
        d.insert("name".into(), json!(name));
        if !group.is_empty() {
            d.insert("group".into(), json!(group));
        }
        d.insert("kind".into(), json!(kind));
        d.insert(
            "causes".into(),
            json!([{"reason": "FieldValueInvalid", "message": format!("{field}: {detail}"), "field": field}]),
        );
        ApiError::new(
            422,
            "Invalid",
            format!("{qk} \"{name}\" is invalid: {field}: {detail}"),
        )
        .with_details(Value::Object(d))
    }

    pub(crate) fn method_not_allowed(group: &str, resource: &str) -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_details(details(group, resource, ""))
    }

    pub(crate) fn unsupported_media_type(content_type: &str, accepted: &[&str]) -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
        .with_details(json!({"causes": [{"reason": "UnexpectedHeader", "message": format!("unsupported content type {content_type:?}"), "field": "Content-Type"}]}))
    }

    pub(crate) fn too_many_requests(message: &str, causes: Value) -> ApiError {
        ApiError::new(429, "TooManyRequests", message).with_details(json!({ "causes": causes }))
    }

    pub(crate) fn gone(message: impl Into<String>) -> ApiError {
        ApiError::new(410, "Expired", message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "InternalError", message)
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("kind".into(), json!("Status"));
        m.insert("apiVersion".into(), json!("v1"));
        m.insert("metadata".into(), json!({}));
        m.insert("status".into(), json!("Failure"));
        m.insert("message".into(), json!(self.message));
        m.insert("reason".into(), json!(self.reason));
        if let Some(d) = &self.details {
            m.insert("details".into(), d.clone());
        }
        m.insert("code".into(), json!(self.code));
        Value::Object(m)
    }
}

/// The body of a successful eviction or a delete that returns no object.
pub(crate) fn success(code: u16, details: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), json!("Status"));
    m.insert("apiVersion".into(), json!("v1"));
    m.insert("metadata".into(), json!({}));
    m.insert("status".into(), json!("Success"));
    if let Some(d) = details {
        m.insert("details".into(), d);
    }
    m.insert("code".into(), json!(code));
    Value::Object(m)
}

/// What `finalizeDelete` returns for a completed delete: no `code`.
pub(crate) fn success_without_code(details: Value) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_shape() {
        let e = ApiError::not_found("", "pods", "nope").to_json();
        assert_eq!(
            e.to_string(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"pods"},"code":404}"#
        );
        let e = ApiError::not_found("apps", "deployments", "web").to_json();
        assert_eq!(e["message"], "deployments.apps \"web\" not found");
        assert_eq!(e["details"]["group"], "apps");
    }

    #[test]
    fn invalid_shape() {
        let e = ApiError::invalid("Pod", "", "Bad", "metadata.name", "x").to_json();
        assert_eq!(e["message"], "Pod \"Bad\" is invalid: metadata.name: x");
        assert!(e["details"].get("group").is_none());
        let e = ApiError::invalid("Deployment", "apps", "b", "spec", "y").to_json();
        assert_eq!(e["message"], "Deployment.apps \"b\" is invalid: spec: y");
    }
}
