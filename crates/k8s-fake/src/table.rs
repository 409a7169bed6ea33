//! Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io`),
//! which is what `kubectl get` asks for. Pods, nodes, deployments and
//! namespaces get the columns kubectl users know; everything else gets the
//! default Name/Age table.

use serde_json::{json, Value};

use crate::resources::ResourceDef;
use crate::util::{self, at, int_at, str_at};

/// `duration.HumanDuration`, as the API server renders Age.
pub(crate) fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    let secs = secs.max(0);
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    let years = hours / 24 / 365;
    if years < 8 {
        return format!("{years}y{}d", (hours / 24) % 365);
    }
    format!("{years}y")
}

fn age(obj: &Value) -> String {
    match str_at(obj, &["metadata", "creationTimestamp"]).and_then(util::parse_ts) {
        Some(t) => human_duration((util::now() - t).num_seconds()),
        None => "<unknown>".into(),
    }
}

fn col(name: &str, ty: &str, format: &str, priority: i64) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": name, "priority": priority})
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() {
        "<none>".into()
    } else {
        s
    }
}

fn pod_row(p: &Value) -> Vec<Value> {
    let statuses = at(p, &["status", "containerStatuses"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let total = at(p, &["spec", "containers"])
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let ready = statuses
        .iter()
        .filter(|s| s.get("ready").and_then(Value::as_bool) == Some(true))
        .count();
    let restarts: i64 = statuses
        .iter()
        .filter_map(|s| int_at(s, &["restartCount"]))
        .sum();
    let mut reason = str_at(p, &["status", "reason"])
        .or_else(|| str_at(p, &["status", "phase"]))
        .unwrap_or("Unknown")
        .to_string();
    for s in &statuses {
        if let Some(w) = str_at(s, &["state", "waiting", "reason"]) {
            reason = w.to_string();
        } else if let Some(t) = str_at(s, &["state", "terminated", "reason"]) {
            reason = t.to_string();
        }
    }
    if at(p, &["metadata", "deletionTimestamp"]).is_some() {
        reason = "Terminating".into();
    }
    vec![
        json!(util::name_of(p)),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts.to_string()),
        json!(age(p)),
        json!(str_at(p, &["status", "podIP"]).unwrap_or("<none>")),
        json!(str_at(p, &["spec", "nodeName"]).unwrap_or("<none>")),
        json!("<none>"),
        json!("<none>"),
    ]
}

fn node_row(n: &Value) -> Vec<Value> {
    let ready = at(n, &["status", "conditions"])
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .and_then(|c| c.get("status").and_then(Value::as_str));
    let mut status = match ready {
        Some("True") => "Ready".to_string(),
        Some("False") => "NotReady".to_string(),
        _ => "Unknown".to_string(),
    };
    if at(n, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
        status.push_str(",SchedulingDisabled");
    }
    let mut roles: Vec<String> = util::labels_of(n)
        .keys()
        .filter_map(|k| {
            k.strip_prefix("node-role.kubernetes.io/")
                .map(str::to_string)
        })
        .filter(|r| !r.is_empty())
        .collect();
    roles.sort();
    let addr = |ty: &str| {
        at(n, &["status", "addresses"])
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .find(|x| x.get("type").and_then(Value::as_str) == Some(ty))
            })
            .and_then(|x| x.get("address").and_then(Value::as_str))
            .unwrap_or("<none>")
            .to_string()
    };
    let info = |k: &str| {
        str_at(n, &["status", "nodeInfo", k])
            .unwrap_or("<unknown>")
            .to_string()
    };
    vec![
        json!(util::name_of(n)),
        json!(status),
        json!(none_if_empty(roles.join(","))),
        json!(age(n)),
        json!(str_at(n, &["status", "nodeInfo", "kubeletVersion"]).unwrap_or("")),
        json!(addr("InternalIP")),
        json!(addr("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ]
}

fn deployment_row(d: &Value) -> Vec<Value> {
    let want = int_at(d, &["spec", "replicas"]).unwrap_or(0);
    let ready = int_at(d, &["status", "readyReplicas"]).unwrap_or(0);
    let containers: Vec<&Value> = at(d, &["spec", "template", "spec", "containers"])
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let names: Vec<&str> = containers
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    let images: Vec<&str> = containers
        .iter()
        .filter_map(|c| c.get("image").and_then(Value::as_str))
        .collect();
    let selector = at(d, &["spec", "selector"])
        .and_then(crate::selectors::LabelSelector::from_object)
        .map(|s| s.to_query())
        .unwrap_or_default();
    vec![
        json!(util::name_of(d)),
        json!(format!("{ready}/{want}")),
        json!(int_at(d, &["status", "updatedReplicas"]).unwrap_or(0)),
        json!(int_at(d, &["status", "availableReplicas"]).unwrap_or(0)),
        json!(age(d)),
        json!(names.join(",")),
        json!(images.join(",")),
        json!(none_if_empty(selector)),
    ]
}

fn service_row(s: &Value) -> Vec<Value> {
    let ports: Vec<String> = at(s, &["spec", "ports"])
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let port = int_at(p, &["port"]).unwrap_or(0);
                    let proto = str_at(p, &["protocol"]).unwrap_or("TCP");
                    match int_at(p, &["nodePort"]) {
                        Some(np) => format!("{port}:{np}/{proto}"),
                        None => format!("{port}/{proto}"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let selector: Vec<String> = at(s, &["spec", "selector"])
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    let external = at(s, &["status", "loadBalancer", "ingress"])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|i| str_at(i, &["ip"]).or_else(|| str_at(i, &["hostname"])))
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            if str_at(s, &["spec", "type"]) == Some("LoadBalancer") {
                "<pending>".into()
            } else {
                "<none>".into()
            }
        });
    vec![
        json!(util::name_of(s)),
        json!(str_at(s, &["spec", "type"]).unwrap_or("ClusterIP")),
        json!(str_at(s, &["spec", "clusterIP"]).unwrap_or("<none>")),
        json!(external),
        json!(none_if_empty(ports.join(","))),
        json!(age(s)),
        json!(none_if_empty(selector.join(","))),
    ]
}

type RowFn = fn(&Value) -> Vec<Value>;

/// Renders a list response (`items`, `metadata`) as a `meta.k8s.io/v1` Table.
pub(crate) fn table(def: &ResourceDef, list: &Value, include_object: Option<&str>) -> Value {
    let (columns, row): (Vec<Value>, RowFn) = match (def.group.as_str(), def.kind.as_str()) {
        ("", "Pod") => (
            vec![
                col("Name", "string", "name", 0),
                col("Ready", "string", "", 0),
                col("Status", "string", "", 0),
                col("Restarts", "string", "", 0),
                col("Age", "string", "", 0),
                col("IP", "string", "", 1),
                col("Node", "string", "", 1),
                col("Nominated Node", "string", "", 1),
                col("Readiness Gates", "string", "", 1),
            ],
            pod_row,
        ),
        ("", "Node") => (
            vec![
                col("Name", "string", "name", 0),
                col("Status", "string", "", 0),
                col("Roles", "string", "", 0),
                col("Age", "string", "", 0),
                col("Version", "string", "", 0),
                col("Internal-IP", "string", "", 1),
                col("External-IP", "string", "", 1),
                col("OS-Image", "string", "", 1),
                col("Kernel-Version", "string", "", 1),
                col("Container-Runtime", "string", "", 1),
            ],
            node_row,
        ),
        ("apps", "Deployment") => (
            vec![
                col("Name", "string", "name", 0),
                col("Ready", "string", "", 0),
                col("Up-to-date", "integer", "", 0),
                col("Available", "integer", "", 0),
                col("Age", "string", "", 0),
                col("Containers", "string", "", 1),
                col("Images", "string", "", 1),
                col("Selector", "string", "", 1),
            ],
            deployment_row,
        ),
        ("", "Service") => (
            vec![
                col("Name", "string", "name", 0),
                col("Type", "string", "", 0),
                col("Cluster-IP", "string", "", 0),
                col("External-IP", "string", "", 0),
                col("Port(s)", "string", "", 0),
                col("Age", "string", "", 0),
                col("Selector", "string", "", 1),
            ],
            service_row,
        ),
        ("apps", "ReplicaSet") => (
            vec![
                col("Name", "string", "name", 0),
                col("Desired", "integer", "", 0),
                col("Current", "integer", "", 0),
                col("Ready", "integer", "", 0),
                col("Age", "string", "", 0),
            ],
            |r| {
                vec![
                    json!(util::name_of(r)),
                    json!(int_at(r, &["spec", "replicas"]).unwrap_or(0)),
                    json!(int_at(r, &["status", "replicas"]).unwrap_or(0)),
                    json!(int_at(r, &["status", "readyReplicas"]).unwrap_or(0)),
                    json!(age(r)),
                ]
            },
        ),
        ("apps", "StatefulSet") => (
            vec![
                col("Name", "string", "name", 0),
                col("Ready", "string", "", 0),
                col("Age", "string", "", 0),
            ],
            |s| {
                let ready = int_at(s, &["status", "readyReplicas"]).unwrap_or(0);
                let want = int_at(s, &["spec", "replicas"]).unwrap_or(0);
                vec![
                    json!(util::name_of(s)),
                    json!(format!("{ready}/{want}")),
                    json!(age(s)),
                ]
            },
        ),
        ("apps", "DaemonSet") => (
            vec![
                col("Name", "string", "name", 0),
                col("Desired", "integer", "", 0),
                col("Current", "integer", "", 0),
                col("Ready", "integer", "", 0),
                col("Up-to-date", "integer", "", 0),
                col("Available", "integer", "", 0),
                col("Node Selector", "string", "", 0),
                col("Age", "string", "", 0),
            ],
            |d| {
                let n = |k: &str| json!(int_at(d, &["status", k]).unwrap_or(0));
                let selector: Vec<String> = at(d, &["spec", "template", "spec", "nodeSelector"])
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                            .collect()
                    })
                    .unwrap_or_default();
                vec![
                    json!(util::name_of(d)),
                    n("desiredNumberScheduled"),
                    n("currentNumberScheduled"),
                    n("numberReady"),
                    n("updatedNumberScheduled"),
                    n("numberAvailable"),
                    json!(none_if_empty(selector.join(","))),
                    json!(age(d)),
                ]
            },
        ),
        ("policy", "PodDisruptionBudget") => (
            vec![
                col("Name", "string", "name", 0),
                col("Min Available", "string", "", 0),
                col("Max Unavailable", "string", "", 0),
                col("Allowed Disruptions", "integer", "", 0),
                col("Age", "string", "", 0),
            ],
            |p| {
                let show = |k: &str| match at(p, &["spec", k]) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => "N/A".to_string(),
                };
                vec![
                    json!(util::name_of(p)),
                    json!(show("minAvailable")),
                    json!(show("maxUnavailable")),
                    json!(int_at(p, &["status", "disruptionsAllowed"]).unwrap_or(0)),
                    json!(age(p)),
                ]
            },
        ),
        ("", "Namespace") => (
            vec![
                col("Name", "string", "name", 0),
                col("Status", "string", "", 0),
                col("Age", "string", "", 0),
            ],
            |n| {
                vec![
                    json!(util::name_of(n)),
                    json!(str_at(n, &["status", "phase"]).unwrap_or("")),
                    json!(age(n)),
                ]
            },
        ),
        _ => (
            vec![
                col("Name", "string", "name", 0),
                col("Age", "string", "", 0),
            ],
            |o| vec![json!(util::name_of(o)), json!(age(o))],
        ),
    };
    let rows: Vec<Value> = list
        .get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    let mut r = json!({"cells": row(item)});
                    match include_object {
                        Some("None") => {}
                        Some("Object") => {
                            let mut o = item.clone();
                            o["kind"] = json!(def.kind);
                            o["apiVersion"] = json!(def.api_version());
                            r["object"] = o;
                        }
                        _ => {
                            r["object"] = json!({
                                "kind": "PartialObjectMetadata",
                                "apiVersion": "meta.k8s.io/v1",
                                "metadata": item.get("metadata").cloned().unwrap_or(json!({})),
                            })
                        }
                    }
                    r
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list.get("metadata").cloned().unwrap_or(json!({})),
        "columnDefinitions": columns,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(125), "2m5s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86400), "3d");
        assert_eq!(human_duration(400 * 86400), "400d");
    }
}
