//! `events.k8s.io/v1` Events: on a real API server the same objects as the
//! core `v1` Events, stored once and converted on the way in and out
//! (`pkg/apis/events/v1/conversion.go`). The fake stores them as core
//! Events too, so an event written through either API is read through
//! both; field selectors use the events/v1 names (`regarding.kind`,
//! `reportingController`, ...), matched on the converted object.
//!
//! Not modelled: watches of `events.k8s.io` (an honest 405 says so), and
//! the validation a real server applies to new events/v1 objects
//! (`eventTime`, `reportingController`, ... required).

use hyper::{HeaderMap, Method};
use serde_json::{json, Map, Value};

use crate::http::{self, Info, ResourceRequest};
use crate::resources::ResourceDef;
use crate::state::{State, WriteOpts};
use crate::status::ApiError;

pub(crate) const GROUP: &str = "events.k8s.io";

/// Field names that differ: (events/v1, core/v1). Every other field is
/// the same in both.
const RENAMED: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

/// The field labels events/v1 lists accept, after
/// `AddFieldLabelConversionsForEvent`.
pub(crate) const FIELD_LABELS: &[&str] = &[
    "reason",
    "regarding.kind",
    "regarding.namespace",
    "regarding.name",
    "regarding.uid",
    "regarding.apiVersion",
    "regarding.resourceVersion",
    "regarding.fieldPath",
    "reportingController",
    "type",
];

pub(crate) fn is_v1(def: &ResourceDef) -> bool {
    def.group == GROUP && def.plural == "events"
}

fn rename(obj: &Value, to_v1: bool, api_version: &str) -> Value {
    let Some(m) = obj.as_object() else {
        return obj.clone();
    };
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!(api_version));
    out.insert("kind".into(), json!("Event"));
    for (k, v) in m {
        if k == "apiVersion" || k == "kind" {
            continue;
        }
        let key = RENAMED
            .iter()
            .find(|(v1, core)| if to_v1 { core == k } else { v1 == k })
            .map(|(v1, core)| if to_v1 { *v1 } else { *core })
            .unwrap_or(k);
        out.insert(key.to_string(), v.clone());
    }
    if to_v1 {
        // `eventTime` has no omitempty in events/v1: events recorded by the
        // old API are served with an explicit null.
        out.entry("eventTime").or_insert(Value::Null);
    }
    Value::Object(out)
}

/// A stored core Event as events/v1 serves it.
pub(crate) fn to_v1(core: &Value) -> Value {
    rename(core, true, "events.k8s.io/v1")
}

/// An events/v1 Event as stored (core v1).
pub(crate) fn to_core(v1: &Value) -> Value {
    rename(v1, false, "v1")
}

fn core_def(st: &State) -> ResourceDef {
    st.def_for("v1", "Event").expect("core events are built in")
}

/// A request to `/apis/events.k8s.io/v1/...events...`.
pub(crate) fn handle(
    st: &mut State,
    info: &Info,
    headers: &HeaderMap,
    body: &[u8],
    req: &ResourceRequest,
    opts: WriteOpts,
) -> Result<(u16, Value), ApiError> {
    let core = core_def(st);
    let def = &req.def;
    let ns = req.ns();
    if info
        .q("watch")
        .is_some_and(|w| matches!(w, "true" | "1" | "True"))
    {
        return Err(ApiError::new(
            405,
            "MethodNotAllowed",
            "the fake Kubernetes API server does not serve watches of events.k8s.io/v1 events; watch the core v1 events",
        ));
    }
    if !req.sub.is_empty() {
        return Err(ApiError::no_route());
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match (&info.method, req.name.is_empty()) {
        (&Method::GET, true) => {
            let converted: Vec<Value> = st
                .store
                .list("", "events", req.ns.as_deref())
                .into_iter()
                .map(to_v1)
                .collect();
            http::list_from(st, info, def, converted.iter().collect()).map(|v| (200, v))
        }
        (&Method::GET, false) => http::get_one(st, &core, ns, &req.name).map(|v| (200, to_v1(&v))),
        (&Method::POST, true) => {
            let b = http::parse_body(body, headers)?;
            if !b.is_object() {
                return Err(ApiError::bad_request(
                    "the body of the request must be a JSON object",
                ));
            }
            st.create(&core, ns, to_core(&b), opts)
                .map(|v| (201, to_v1(&v)))
        }
        (&Method::PUT, false) => {
            let b = http::parse_body(body, headers)?;
            st.replace(&core, ns, &req.name, to_core(&b), None, opts)
                .map(|v| (200, to_v1(&v)))
        }
        (&Method::PATCH, false) => {
            // Patches apply to the events/v1 form the client sees.
            let current = to_v1(&http::get_one(st, &core, ns, &req.name)?);
            let patched = crate::state::apply_patch(&current, ct, body)?;
            st.replace(&core, ns, &req.name, to_core(&patched), None, opts)
                .map(|v| (200, to_v1(&v)))
        }
        (&Method::DELETE, false) => {
            let gone = st.delete(&core, ns, &req.name, &json!({}), opts.dry_run)?;
            let mut details = Map::new();
            details.insert("name".into(), json!(req.name));
            details.insert("group".into(), json!(GROUP));
            details.insert("kind".into(), json!("events"));
            details.insert("uid".into(), json!(crate::util::uid_of(&gone)));
            Ok((
                200,
                crate::status::success_without_code(Value::Object(details)),
            ))
        }
        _ => Err(ApiError::method_not_allowed(GROUP, "events")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_round_trips() {
        let core = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "e1", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default"},
            "reason": "BackOff", "message": "Back-off restarting failed container",
            "source": {"component": "kubelet"}, "count": 3,
            "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:01:00Z",
            "type": "Warning", "reportingComponent": "kubelet",
        });
        let v1 = to_v1(&core);
        assert_eq!(v1["apiVersion"], "events.k8s.io/v1");
        assert_eq!(v1["regarding"]["name"], "web-1");
        assert_eq!(v1["note"], "Back-off restarting failed container");
        assert_eq!(v1["deprecatedCount"], 3);
        assert_eq!(v1["deprecatedSource"]["component"], "kubelet");
        assert_eq!(v1["reportingController"], "kubelet");
        assert_eq!(v1["eventTime"], Value::Null);
        assert!(v1.get("involvedObject").is_none() && v1.get("message").is_none());
        let mut back = to_core(&v1);
        back.as_object_mut().unwrap().remove("eventTime");
        assert_eq!(back, core);
    }
}
