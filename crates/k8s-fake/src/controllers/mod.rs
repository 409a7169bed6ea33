//! The cluster's moving parts, much simplified: Deployment → ReplicaSet →
//! Pod, StatefulSet and DaemonSet controllers, a scheduler and "kubelet"
//! that starts pods at once, garbage collection by owner uid, the
//! Endpoints controller, node cordon taints and PodDisruptionBudget status.
//!
//! Two passes, both driven by client writes: `sync_status` runs right away
//! (statuses derived from what exists, never creating pods), `reconcile`
//! after the configurable controller delay (creates, deletes, schedules),
//! so a deleted pod's replacement appears "a moment later" as in a cluster.

mod disruption;
mod nodes;
mod workloads;

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::resources::ResourceDef;
use crate::selectors::{object_selector_matches, LabelSelector};
use crate::state::{Shared, State, WriteOpts};

use disruption::pdb_status;
pub(crate) use disruption::{matching_pdbs, pdb_numbers};
pub(crate) use nodes::node_object;
use nodes::{node_taints, pods_follow_nodes, schedule};
use workloads::{
    daemonset_status, daemonsets, deployment_status, deployments, replicaset_status, replicasets,
    statefulset_status, statefulsets,
};

use crate::util::{
    self, at, controller_ref, int_at, labels_of, name_of, namespace_of, obj_at, str_at, uid_of,
};

const MAX_PASSES: usize = 8;

/// A fake cluster is for tests: a typo'd replica count must not make the
/// controllers allocate millions of pods.
const MAX_REPLICAS: i64 = 5_000;

pub(crate) async fn run(shared: Arc<Shared>) {
    loop {
        // Woken by a write, or when a starting pod is due to run.
        let due = shared.lock().starting.values().min().copied();
        match due {
            Some(due) => {
                let until = tokio::time::Instant::from_std(due);
                tokio::select! {
                    _ = shared.wake.notified() => {}
                    _ = tokio::time::sleep_until(until) => {}
                }
            }
            None => shared.wake.notified().await,
        }
        sync_status(&mut shared.lock());
        let delay = shared.lock().controller_delay;
        tokio::time::sleep(delay).await;
        reconcile(&mut shared.lock());
    }
}

/// Creates, deletes and schedules until nothing changes (bounded).
pub(crate) fn reconcile(st: &mut State) {
    for _ in 0..MAX_PASSES {
        let mut changed = gc(st);
        changed |= deployments(st);
        changed |= replicasets(st);
        changed |= statefulsets(st);
        changed |= daemonsets(st);
        changed |= schedule(st);
        if !changed {
            break;
        }
    }
    sync_status(st);
}

/// Statuses derived from the current objects; idempotent and immediate.
pub(crate) fn sync_status(st: &mut State) {
    for _ in 0..MAX_PASSES {
        if !gc(st) {
            break;
        }
    }
    default_service_accounts(st);
    node_taints(st);
    pods_follow_nodes(st);
    replicaset_status(st);
    deployment_status(st);
    statefulset_status(st);
    daemonset_status(st);
    pdb_status(st);
    endpoints(st);
}

fn def(st: &State, api_version: &str, kind: &str) -> ResourceDef {
    st.def_for(api_version, kind).expect("built-in kind")
}

fn terminating(o: &Value) -> bool {
    at(o, &["metadata", "deletionTimestamp"]).is_some()
}

fn controlled_by(o: &Value, uid: &str) -> bool {
    controller_ref(o)
        .and_then(|r| r.get("uid"))
        .and_then(Value::as_str)
        == Some(uid)
}

fn condition_status<'a>(o: &'a Value, ty: &str) -> Option<&'a str> {
    at(o, &["status", "conditions"])?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))?
        .get("status")?
        .as_str()
}

pub(crate) fn pod_ready(p: &Value) -> bool {
    str_at(p, &["status", "phase"]) == Some("Running")
        && condition_status(p, "Ready") == Some("True")
        && !terminating(p)
}

fn node_ready(n: &Value) -> bool {
    condition_status(n, "Ready") == Some("True")
}

fn unschedulable(n: &Value) -> bool {
    at(n, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true)
}

/// `intstr.GetScaledValueFromIntOrPercent`.
fn scaled(v: Option<&Value>, total: i64, round_up: bool) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => match s.strip_suffix('%') {
            Some(p) => {
                let p: i64 = p.trim().parse().ok()?;
                let x = p * total;
                Some(if round_up {
                    (x + 99).div_euclid(100)
                } else {
                    x.div_euclid(100)
                })
            }
            None => s.trim().parse().ok(),
        },
        _ => None,
    }
}

/// Keeps `lastTransitionTime` (and the rest) when a condition's status is
/// unchanged, so statuses do not churn.
fn condition(
    old: Option<&Value>,
    ty: &str,
    status: &str,
    reason: &str,
    message: &str,
    update_time: bool,
) -> Value {
    let prev = old
        .and_then(|c| at(c, &["status", "conditions"]))
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
        });
    let now = util::now_ts();
    let same_status = prev.and_then(|p| p.get("status")).and_then(Value::as_str) == Some(status);
    let same_all = same_status
        && prev.and_then(|p| p.get("reason")).and_then(Value::as_str) == Some(reason)
        && prev.and_then(|p| p.get("message")).and_then(Value::as_str) == Some(message);
    if same_all {
        if let Some(p) = prev {
            return p.clone();
        }
    }
    let transition = if same_status {
        prev.and_then(|p| p.get("lastTransitionTime"))
            .cloned()
            .unwrap_or(json!(now))
    } else {
        json!(now)
    };
    let mut c = Map::new();
    c.insert("type".into(), json!(ty));
    c.insert("status".into(), json!(status));
    if update_time {
        c.insert("lastUpdateTime".into(), json!(now));
    }
    c.insert("lastTransitionTime".into(), transition);
    c.insert("reason".into(), json!(reason));
    c.insert("message".into(), json!(message));
    Value::Object(c)
}

/// Writes `status` if it differs; controllers never bump generation.
fn put_status(st: &mut State, group: &str, plural: &str, obj: &Value, status: Value) {
    if obj.get("status") == Some(&status) {
        return;
    }
    let mut o = obj.clone();
    obj_at(&mut o, &[]).insert("status".into(), status);
    st.store.put(group, plural, o);
}

fn delete_now(st: &mut State, d: &ResourceDef, o: &Value) {
    let _ = st.delete(
        d,
        namespace_of(o),
        name_of(o),
        &json!({"gracePeriodSeconds": 0}),
        false,
    );
}

/// Object keys sorted, so a template's hash does not depend on the order a
/// client happened to send fields in.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

// ------------------------------------------------------------------- gc --

/// Deletes dependents whose owners are all gone, and pods bound to nodes
/// that no longer exist (the pod GC controller).
fn gc(st: &mut State) -> bool {
    let all = st.store.all_objects();
    let uids: HashSet<&str> = all.iter().map(|(_, _, o)| uid_of(o)).collect();
    let nodes: HashSet<&str> = all
        .iter()
        .filter(|(g, p, _)| g.is_empty() && p == "nodes")
        .map(|(_, _, o)| name_of(o))
        .collect();
    let mut doomed: Vec<(String, String, Value)> = vec![];
    for (g, p, o) in &all {
        let refs = at(o, &["metadata", "ownerReferences"]).and_then(Value::as_array);
        let orphaned = refs.is_some_and(|rs| {
            !rs.is_empty()
                && rs
                    .iter()
                    .all(|r| !uids.contains(r.get("uid").and_then(Value::as_str).unwrap_or("")))
        });
        let lost_node = g.is_empty()
            && p == "pods"
            && str_at(o, &["spec", "nodeName"])
                .is_some_and(|n| !n.is_empty() && !nodes.contains(n));
        if orphaned || lost_node {
            doomed.push((g.clone(), p.clone(), o.clone()));
        }
    }
    let changed = !doomed.is_empty();
    for (g, p, o) in doomed {
        let Some(d) = st
            .registry
            .all()
            .find(|d| d.group == g && d.plural == p)
            .cloned()
        else {
            st.store.remove(&g, &p, namespace_of(&o), name_of(&o));
            continue;
        };
        delete_now(st, &d, &o);
    }
    changed
}

fn default_service_accounts(st: &mut State) {
    let sad = def(st, "v1", "ServiceAccount");
    for ns in st.store.list_cloned("", "namespaces", None) {
        let n = name_of(&ns).to_string();
        if terminating(&ns) || st.store.get("", "serviceaccounts", &n, "default").is_some() {
            continue;
        }
        let _ = st.create(
            &sad,
            &n,
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": n}}),
            WriteOpts::default(),
        );
    }
}

// ------------------------------------------------------------- endpoints --

const ENDPOINTS_MARK: &str = "endpoints.kubernetes.io/last-change-trigger-time";

fn endpoints(st: &mut State) {
    let ed = def(st, "v1", "Endpoints");
    let services = st.store.list_cloned("", "services", None);
    let mut wanted: HashSet<(String, String)> = HashSet::new();
    for svc in &services {
        let Some(selector) = at(svc, &["spec", "selector"])
            .and_then(Value::as_object)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let ns = namespace_of(svc).to_string();
        let name = name_of(svc).to_string();
        wanted.insert((ns.clone(), name.clone()));
        let sel = LabelSelector::from_object(&json!({"matchLabels": selector})).unwrap_or_default();
        let pods: Vec<Value> = st
            .store
            .list("", "pods", Some(&ns))
            .into_iter()
            .filter(|p| {
                sel.matches(&labels_of(p))
                    && !terminating(p)
                    && str_at(p, &["status", "podIP"]).is_some()
            })
            .cloned()
            .collect();
        let addr = |p: &Value| {
            json!({
                "ip": str_at(p, &["status", "podIP"]).unwrap_or(""),
                "nodeName": str_at(p, &["spec", "nodeName"]).unwrap_or(""),
                "targetRef": {"kind": "Pod", "namespace": ns, "name": name_of(p), "uid": uid_of(p)}
            })
        };
        let mut ready: Vec<Value> = pods.iter().filter(|p| pod_ready(p)).map(addr).collect();
        let mut not_ready: Vec<Value> = pods.iter().filter(|p| !pod_ready(p)).map(addr).collect();
        let by_ip = |a: &Value, b: &Value| a["ip"].as_str().cmp(&b["ip"].as_str());
        ready.sort_by(by_ip);
        not_ready.sort_by(by_ip);
        let ports: Vec<Value> = at(svc, &["spec", "ports"])
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| {
                        let target = p.get("targetPort").or_else(|| p.get("port"))?;
                        let port = match target {
                            Value::Number(n) => n.as_i64()?,
                            Value::String(s) => named_port(&pods, s)?,
                            _ => return None,
                        };
                        let mut e = json!({"port": port, "protocol": p.get("protocol").cloned().unwrap_or(json!("TCP"))});
                        if let Some(n) = p.get("name").filter(|n| n.as_str().is_some_and(|s| !s.is_empty())) {
                            e["name"] = n.clone();
                        }
                        Some(e)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut subset = Map::new();
        if !ready.is_empty() {
            subset.insert("addresses".into(), json!(ready));
        }
        if !not_ready.is_empty() {
            subset.insert("notReadyAddresses".into(), json!(not_ready));
        }
        let subsets = if subset.is_empty() {
            None
        } else {
            if !ports.is_empty() {
                subset.insert("ports".into(), json!(ports));
            }
            Some(json!([subset]))
        };
        let existing = st.store.get("", "endpoints", &ns, &name).cloned();
        match existing {
            Some(e) if e.get("subsets") == subsets.as_ref() => {}
            Some(mut e) => {
                let m = obj_at(&mut e, &[]);
                match subsets {
                    Some(s) => m.insert("subsets".into(), s),
                    None => m.remove("subsets"),
                };
                obj_at(&mut e, &["metadata", "annotations"])
                    .insert(ENDPOINTS_MARK.into(), json!(util::now_ts()));
                st.store.put("", "endpoints", e);
            }
            None => {
                let mut e = json!({
                    "apiVersion": "v1",
                    "kind": "Endpoints",
                    "metadata": {
                        "name": name,
                        "namespace": ns,
                        "labels": labels_of(svc),
                        "annotations": {ENDPOINTS_MARK: util::now_ts()}
                    }
                });
                if let Some(s) = subsets {
                    e["subsets"] = s;
                }
                let _ = st.create(&ed, &ns, e, WriteOpts::default());
            }
        }
    }
    for e in st.store.list_cloned("", "endpoints", None) {
        let key = (namespace_of(&e).to_string(), name_of(&e).to_string());
        if at(&e, &["metadata", "annotations", ENDPOINTS_MARK]).is_some() && !wanted.contains(&key)
        {
            st.store.remove("", "endpoints", &key.0, &key.1);
        }
    }
}

fn named_port(pods: &[Value], name: &str) -> Option<i64> {
    pods.iter().find_map(|p| {
        at(p, &["spec", "containers"])?
            .as_array()?
            .iter()
            .find_map(|c| {
                c.get("ports")?
                    .as_array()?
                    .iter()
                    .find(|port| port.get("name").and_then(Value::as_str) == Some(name))
                    .and_then(|port| int_at(port, &["containerPort"]))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages() {
        assert_eq!(scaled(Some(&json!("50%")), 3, true), Some(2));
        assert_eq!(scaled(Some(&json!("50%")), 3, false), Some(1));
        assert_eq!(scaled(Some(&json!(2)), 3, true), Some(2));
        assert_eq!(scaled(Some(&json!("25%")), 4, false), Some(1));
        assert_eq!(scaled(Some(&json!("x%")), 4, false), None);
    }
}
