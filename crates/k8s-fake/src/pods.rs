//! Pod subresources: `log` (served from annotations a test sets),
//! `eviction` (the PodDisruptionBudget check of the real eviction REST
//! handler), `binding`, and honest refusals for the streams not served
//! (attach, port-forward, exec over SPDY; WebSocket exec is `exec.rs`).

use chrono::{DateTime, SecondsFormat, Utc};
use hyper::header::HeaderMap;
use serde_json::{json, Value};

use crate::controllers;
use crate::http::{get_one, Info, ResourceRequest};
use crate::state::{State, WriteOpts};
use crate::status::{self, ApiError};
use crate::util::{self, at, name_of, obj_at, str_at};

/// Annotation holding a pod's fake log text; `<annotation>.<container>`
/// overrides it for one container.
pub(crate) const LOG_ANNOTATION: &str = "fake.chaos/log";

fn container_names(pod: &Value, list: &str) -> Vec<String> {
    at(pod, &["spec", list])
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn container_status<'a>(pod: &'a Value, name: &str) -> Option<&'a Value> {
    ["containerStatuses", "initContainerStatuses"]
        .iter()
        .find_map(|list| {
            at(pod, &["status", list])?
                .as_array()?
                .iter()
                .find(|s| s.get("name").and_then(Value::as_str) == Some(name))
        })
}

pub(crate) fn log(st: &State, info: &Info, req: &ResourceRequest) -> Result<String, ApiError> {
    let pod = get_one(st, &req.def, req.ns(), &req.name)?;
    let name = name_of(&pod).to_string();
    let containers = container_names(&pod, "containers");
    let inits = container_names(&pod, "initContainers");
    let container = match info.q("container").filter(|c| !c.is_empty()) {
        Some(c) => {
            if !containers.iter().chain(inits.iter()).any(|x| x == c) {
                return Err(ApiError::bad_request(format!(
                    "container {c} is not valid for pod {name}"
                )));
            }
            c.to_string()
        }
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            let mut msg = format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !inits.is_empty() {
                msg.push_str(&format!(
                    " or one of the init containers: [{}]",
                    inits.join(" ")
                ));
            }
            return Err(ApiError::bad_request(msg));
        }
    };
    let cs = container_status(&pod, &container);
    let started_at = cs.and_then(|s| {
        str_at(s, &["state", "running", "startedAt"])
            .or_else(|| str_at(s, &["state", "terminated", "startedAt"]))
    });
    let Some(started_at) = started_at else {
        let reason = cs
            .and_then(|s| str_at(s, &["state", "waiting", "reason"]))
            .unwrap_or("ContainerCreating");
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: {reason}"
        )));
    };
    if matches!(info.q("previous"), Some("true" | "1")) {
        return Err(ApiError::bad_request(format!(
            "previous terminated container \"{container}\" in pod \"{name}\" not found"
        )));
    }
    let default_ts = util::parse_ts(started_at).unwrap_or_else(util::now);
    let text = str_at(
        &pod,
        &[
            "metadata",
            "annotations",
            &format!("{LOG_ANNOTATION}.{container}"),
        ],
    )
    .or_else(|| str_at(&pod, &["metadata", "annotations", LOG_ANNOTATION]))
    .unwrap_or("");
    let mut lines: Vec<(DateTime<Utc>, &str)> = text
        .lines()
        .map(|l| {
            match l
                .split_once(' ')
                .and_then(|(ts, rest)| util::parse_ts(ts).map(|t| (t, rest)))
            {
                Some((t, rest)) => (t, rest),
                None => (default_ts, l),
            }
        })
        .collect();
    let num = |key: &str| -> Result<Option<i64>, ApiError> {
        info.q(key)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| ApiError::bad_request(format!("invalid {key} {v:?}")))
            })
            .transpose()
    };
    if let Some(s) = num("sinceSeconds")? {
        if s < 1 {
            return Err(ApiError::invalid(
                "PodLogOptions",
                "",
                "",
                "sinceSeconds",
                "Invalid value: must be greater than 0",
            ));
        }
        // Absurdly large values mean "since forever", not an overflow.
        if let Some(cutoff) =
            chrono::TimeDelta::try_seconds(s).and_then(|d| util::now().checked_sub_signed(d))
        {
            lines.retain(|(t, _)| *t >= cutoff);
        }
    }
    if let Some(since) = info.q("sinceTime") {
        let cutoff = util::parse_ts(since)
            .ok_or_else(|| ApiError::bad_request(format!("invalid sinceTime {since:?}")))?;
        lines.retain(|(t, _)| *t >= cutoff);
    }
    if let Some(n) = num("tailLines")? {
        let n = n.max(0) as usize;
        if lines.len() > n {
            lines.drain(..lines.len() - n);
        }
    }
    let timestamps = matches!(info.q("timestamps"), Some("true" | "1"));
    let mut out = String::new();
    for (t, l) in lines {
        if timestamps {
            out.push_str(&t.to_rfc3339_opts(SecondsFormat::Nanos, true));
            out.push(' ');
        }
        out.push_str(l);
        out.push('\n');
    }
    if let Some(limit) = num("limitBytes")? {
        let limit = limit.max(0) as usize;
        if out.len() > limit {
            let mut cut = limit;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
        }
    }
    Ok(out)
}

/// POST pods/{name}/eviction, as `k8s.io/kubernetes/pkg/registry/core/pod/storage/eviction.go`.
pub(crate) fn evict(
    st: &mut State,
    req: &ResourceRequest,
    body: &Value,
    dry_run: bool,
) -> Result<Value, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be an Eviction object",
        ));
    }
    crate::state::check_meta(body)?;
    if let Some(kind) = body.get("kind").and_then(Value::as_str) {
        if kind != "Eviction" {
            return Err(ApiError::bad_request(format!(
                "expected an Eviction object, got kind {kind:?}"
            )));
        }
    }
    if let Some(av) = body.get("apiVersion").and_then(Value::as_str) {
        if !matches!(av, "policy/v1" | "policy/v1beta1") {
            return Err(ApiError::bad_request(format!(
                "unsupported Eviction apiVersion {av:?}: expected policy/v1 or policy/v1beta1"
            )));
        }
    }
    let body_name = str_at(body, &["metadata", "name"]).unwrap_or("");
    if !body_name.is_empty() && body_name != req.name {
        return Err(ApiError::bad_request(
            "name in URL does not match name in Eviction object",
        ));
    }
    let pod = get_one(st, &req.def, req.ns(), &req.name)?;
    let options = body
        .get("deleteOptions")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or(json!({}));
    let dry_run = dry_run
        || options
            .get("dryRun")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
    let phase = str_at(&pod, &["status", "phase"]).unwrap_or("");
    let terminating = at(&pod, &["metadata", "deletionTimestamp"]).is_some();
    let check_budget = !(matches!(phase, "Succeeded" | "Failed" | "Pending") || terminating);
    if check_budget {
        let pdbs = controllers::matching_pdbs(st, &pod);
        if pdbs.len() > 1 {
            return Err(ApiError::internal(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            ));
        }
        if let Some(pdb) = pdbs.first() {
            let n = controllers::pdb_numbers(st, pdb);
            let policy =
                str_at(pdb, &["spec", "unhealthyPodEvictionPolicy"]).unwrap_or("IfHealthyBudget");
            let unhealthy_ok = !controllers::pod_ready(&pod)
                && (policy == "AlwaysAllow" || n.current_healthy >= n.desired_healthy);
            if !unhealthy_ok && n.disruptions_allowed <= 0 {
                return Err(ApiError::too_many_requests(
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    json!([{
                        "reason": "DisruptionBudget",
                        "message": format!(
                            "The disruption budget {} needs {} healthy pods and has {} currently",
                            name_of(pdb), n.desired_healthy, n.current_healthy
                        ),
                    }]),
                ));
            }
        }
    }
    if !dry_run {
        st.delete(&req.def, req.ns(), &req.name, &options, false)?;
        controllers::sync_status(st);
    }
    Ok(status::success(201, None))
}

/// POST pods/{name}/binding: what a scheduler does.
pub(crate) fn bind(st: &mut State, req: &ResourceRequest, body: &Value) -> Result<Value, ApiError> {
    let mut pod = get_one(st, &req.def, req.ns(), &req.name)?;
    let Some(node) = str_at(body, &["target", "name"]).filter(|n| !n.is_empty()) else {
        return Err(ApiError::invalid(
            "Binding",
            "",
            &req.name,
            "target.name",
            "Required value",
        ));
    };
    if let Some(cur) = str_at(&pod, &["spec", "nodeName"]).filter(|n| !n.is_empty()) {
        return Err(ApiError::conflict(
            "",
            "pods/binding",
            &req.name,
            &format!("pod {} is already assigned to node \"{cur}\"", req.name),
        ));
    }
    obj_at(&mut pod, &["spec"]).insert("nodeName".into(), json!(node));
    st.replace(
        &req.def,
        req.ns(),
        &req.name,
        pod,
        None,
        WriteOpts::default(),
    )?;
    Ok(status::success(201, None))
}

/// exec/attach/portforward need SPDY or WebSocket streams, which this fake
/// does not implement; answer like the API server does to a plain request,
/// and say why for an upgrade request.
pub(crate) fn streaming_unsupported(sub: &str, headers: &HeaderMap) -> ApiError {
    if headers.get("upgrade").is_none() {
        return ApiError::bad_request("Upgrade request required");
    }
    if sub == "exec" {
        return ApiError::bad_request(
            "pods/exec is served over WebSocket only (v4.channel.k8s.io, v5.channel.k8s.io) by the fake Kubernetes API server, not SPDY",
        );
    }
    ApiError::bad_request(format!(
        "pods/{sub} is not supported by the fake Kubernetes API server (no streaming)"
    ))
}

/// POST serviceaccounts/{name}/token.
pub(crate) fn token_request(st: &mut State, body: &Value) -> Value {
    let seconds = util::int_at(body, &["spec", "expirationSeconds"]).unwrap_or(3600);
    let seconds = seconds.clamp(600, 1 << 32);
    let exp = chrono::TimeDelta::try_seconds(seconds)
        .and_then(|d| util::now().checked_add_signed(d))
        .map(util::timestamp)
        .unwrap_or_else(util::now_ts);
    json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": {
            "audiences": at(body, &["spec", "audiences"]).cloned().unwrap_or(json!(["https://kubernetes.default.svc.cluster.local"])),
            "expirationSeconds": seconds,
            "boundObjectRef": null
        },
        "status": {"token": format!("fake-token-{}", st.rng.hex(32)), "expirationTimestamp": exp}
    })
}
