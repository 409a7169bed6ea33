//! The `scale` subresource (autoscaling/v1 `Scale`) of Deployments,
//! ReplicaSets, StatefulSets and custom resources that declare one; it is
//! what `kubectl scale` patches.

use hyper::Method;
use serde_json::{json, Value};

use crate::http::{get_one, Info, ResourceRequest};
use crate::selectors::LabelSelector;
use crate::state::{apply_patch, State, WriteOpts};
use crate::status::ApiError;
use crate::util::{at, int_at, obj_at, str_at};

/// JSON paths of replicas and selector; custom resources declare theirs
/// in the CRD (`.spec.replicas` style).
struct Paths {
    spec: Vec<String>,
    status: Vec<String>,
    selector: Option<Vec<String>>,
    /// Built-ins keep a LabelSelector object; CRDs point at a string.
    selector_is_object: bool,
}

fn split(path: &str) -> Vec<String> {
    let parts: Vec<String> = path
        .trim_start_matches('.')
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if parts.is_empty() {
        // A CRD pointing at the root makes no sense; fall back rather than
        // index an empty path.
        return vec!["spec".into(), "replicas".into()];
    }
    parts
}

fn paths(st: &State, req: &ResourceRequest) -> Paths {
    if !req.def.custom {
        return Paths {
            spec: split("spec.replicas"),
            status: split("status.replicas"),
            selector: Some(split("spec.selector")),
            selector_is_object: true,
        };
    }
    let crd_name = format!("{}.{}", req.def.plural, req.def.group);
    let scale = st
        .store
        .get(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            "",
            &crd_name,
        )
        .and_then(|crd| at(crd, &["spec", "versions"]))
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(req.def.version.as_str()))
        })
        .and_then(|v| at(v, &["subresources", "scale"]))
        .cloned()
        .unwrap_or(json!({}));
    Paths {
        spec: split(str_at(&scale, &["specReplicasPath"]).unwrap_or(".spec.replicas")),
        status: split(str_at(&scale, &["statusReplicasPath"]).unwrap_or(".status.replicas")),
        selector: str_at(&scale, &["labelSelectorPath"]).map(split),
        selector_is_object: false,
    }
}

fn refs(p: &[String]) -> Vec<&str> {
    p.iter().map(String::as_str).collect()
}

fn to_scale(obj: &Value, p: &Paths) -> Value {
    let selector = p
        .selector
        .as_ref()
        .and_then(|sp| at(obj, &refs(sp)))
        .map(|s| {
            if p.selector_is_object {
                LabelSelector::from_object(s)
                    .map(|l| l.to_query())
                    .unwrap_or_default()
            } else {
                s.as_str().unwrap_or("").to_string()
            }
        });
    let mut status = json!({"replicas": int_at(obj, &refs(&p.status)).unwrap_or(0)});
    if let Some(s) = selector.filter(|s| !s.is_empty()) {
        status["selector"] = json!(s);
    }
    let md = obj.get("metadata").cloned().unwrap_or(json!({}));
    let mut meta = serde_json::Map::new();
    for k in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = md.get(k) {
            meta.insert(k.into(), v.clone());
        }
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": meta,
        "spec": {"replicas": int_at(obj, &refs(&p.spec)).unwrap_or(0)},
        "status": status,
    })
}

pub(crate) fn handle(
    st: &mut State,
    info: &Info,
    req: &ResourceRequest,
    content_type: &str,
    body: &[u8],
    opts: WriteOpts,
) -> Result<Value, ApiError> {
    let p = paths(st, req);
    let obj = get_one(st, &req.def, req.ns(), &req.name)?;
    let current = to_scale(&obj, &p);
    let wanted = match info.method {
        Method::GET => return Ok(current),
        Method::PUT => serde_json::from_slice::<Value>(body).map_err(|e| {
            ApiError::bad_request(format!(
                "the body of the request could not be decoded as Scale: {e}"
            ))
        })?,
        Method::PATCH => apply_patch(&current, content_type, body)?,
        _ => {
            return Err(ApiError::method_not_allowed(
                &req.def.group,
                &format!("{}/scale", req.def.plural),
            ))
        }
    };
    if let Some(kind) = wanted.get("kind").and_then(Value::as_str) {
        if kind != "Scale" {
            return Err(ApiError::bad_request(format!(
                "expected a Scale object, got kind {kind:?}"
            )));
        }
    }
    let rv = str_at(&wanted, &["metadata", "resourceVersion"]).unwrap_or("");
    if !rv.is_empty() && Some(rv) != str_at(&obj, &["metadata", "resourceVersion"]) {
        return Err(ApiError::stale(&req.def.group, &req.def.plural, &req.name));
    }
    let replicas = match at(&wanted, &["spec", "replicas"]) {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_i64().ok_or_else(|| {
            ApiError::bad_request(format!("spec.replicas must be an integer, got {v}"))
        })?,
    };
    if replicas < 0 {
        return Err(ApiError::invalid(
            "Scale",
            "autoscaling",
            &req.name,
            "spec.replicas",
            &format!("Invalid value: {replicas}: must be greater than or equal to 0"),
        ));
    }
    let mut updated = obj.clone();
    if let Some((last, parents)) = p.spec.split_last() {
        obj_at(&mut updated, &refs(parents)).insert(last.clone(), json!(replicas));
    }
    if let Some(md) = updated.get_mut("metadata").and_then(Value::as_object_mut) {
        md.remove("resourceVersion");
    }
    let stored = st.replace(&req.def, req.ns(), &req.name, updated, None, opts)?;
    Ok(to_scale(&stored, &p))
}
