//! Nodes, the scheduler and the kubelet's side of pods: what makes a pod
//! land somewhere and report Running (or stay Pending, and why).

use std::collections::HashMap;

use serde_json::{json, Value};

use super::*;

/// A node as a kind/kubeadm kubelet registers it.
pub(crate) fn node_object(name: &str, index: usize) -> Value {
    let now = util::now_ts();
    let cond = |ty: &str, status: &str, reason: &str, message: &str| json!({"type": ty, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": now, "reason": reason, "message": message});
    let resources = json!({
        "cpu": "4", "ephemeral-storage": "102626232Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
        "memory": "16331276Ki", "pods": "110"
    });
    // Stable per node name, so repeated runs print the same ids.
    let id = format!(
        "{}{}",
        util::template_hash_hex(name, index as u64),
        util::template_hash_hex(name, index as u64 + 1)
    );
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux"
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true"
            }
        },
        "spec": {
            "podCIDR": format!("10.244.{index}.0/24"),
            "podCIDRs": [format!("10.244.{index}.0/24")],
            "providerID": format!("fake://{name}")
        },
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")
            ],
            "addresses": [
                {"type": "InternalIP", "address": format!("172.18.0.{}", index + 2)},
                {"type": "Hostname", "address": name}
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": id,
                "systemUUID": format!("{}-{}-{}-{}-{}", &id[0..8], &id[8..12], &id[12..16], &id[16..20], &id[20..32]),
                "bootID": format!("{}-{}-{}-{}-{}", &id[0..8], &id[12..16], &id[8..12], &id[16..20], &id[20..32]),
                "kernelVersion": "6.1.0-28-amd64",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.7.24",
                "kubeletVersion": crate::discovery::GIT_VERSION,
                "kubeProxyVersion": crate::discovery::GIT_VERSION,
                "operatingSystem": "linux",
                "architecture": "amd64"
            },
            "images": []
        }
    })
}

pub(super) const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";

/// The node lifecycle controller mirrors `spec.unschedulable` as a taint.
pub(super) fn node_taints(st: &mut State) {
    let nd = def(st, "v1", "Node");
    for n in st.store.list_cloned("", "nodes", None) {
        let taints = at(&n, &["spec", "taints"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let has = taints
            .iter()
            .any(|t| t.get("key").and_then(Value::as_str) == Some(UNSCHEDULABLE_TAINT));
        if has == unschedulable(&n) {
            continue;
        }
        let mut new: Vec<Value> = taints
            .into_iter()
            .filter(|t| t.get("key").and_then(Value::as_str) != Some(UNSCHEDULABLE_TAINT))
            .collect();
        if !has {
            new.push(json!({"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule", "timeAdded": util::now_ts()}));
        }
        let mut n2 = n.clone();
        let spec = obj_at(&mut n2, &["spec"]);
        if new.is_empty() {
            spec.remove("taints");
        } else {
            spec.insert("taints".into(), json!(new));
        }
        let _ = st.replace(&nd, "", name_of(&n), n2, None, WriteOpts::default());
    }
}

pub(super) fn tolerates(tolerations: &[Value], taint: &Value) -> bool {
    let effect = taint.get("effect").and_then(Value::as_str).unwrap_or("");
    if effect == "PreferNoSchedule" {
        return true;
    }
    let key = taint.get("key").and_then(Value::as_str).unwrap_or("");
    let value = taint.get("value").and_then(Value::as_str).unwrap_or("");
    tolerations.iter().any(|t| {
        let te = t.get("effect").and_then(Value::as_str).unwrap_or("");
        let tk = t.get("key").and_then(Value::as_str).unwrap_or("");
        let op = t.get("operator").and_then(Value::as_str).unwrap_or("Equal");
        let tv = t.get("value").and_then(Value::as_str).unwrap_or("");
        (te.is_empty() || te == effect)
            && ((tk.is_empty() && op == "Exists") || (tk == key && (op == "Exists" || tv == value)))
    })
}

pub(super) fn fits(pod_spec: &Value, node: &Value) -> bool {
    let labels = labels_of(node);
    let selector_ok = pod_spec
        .get("nodeSelector")
        .and_then(Value::as_object)
        .is_none_or(|sel| sel.iter().all(|(k, v)| labels.get(k) == Some(v)));
    let tolerations = pod_spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let taints_ok = at(node, &["spec", "taints"])
        .and_then(Value::as_array)
        .is_none_or(|ts| ts.iter().all(|t| tolerates(&tolerations, t)));
    selector_ok && taints_ok
}

fn normalize_image(image: &str) -> String {
    let mut s = image.to_string();
    let last = s.rsplit('/').next().unwrap_or("").to_string();
    if !last.contains(':') && !s.contains('@') {
        s.push_str(":latest");
    }
    let first = s.split('/').next().unwrap_or("");
    if !s.contains('/') {
        s = format!("docker.io/library/{s}");
    } else if !(first.contains('.') || first.contains(':') || first == "localhost") {
        s = format!("docker.io/{s}");
    }
    s
}

/// A node's InternalIP, which its pods report as their host.
fn internal_ip(node: &Value) -> String {
    at(node, &["status", "addresses"])
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|x| x.get("type").and_then(Value::as_str) == Some("InternalIP"))
        })
        .and_then(|x| x.get("address").and_then(Value::as_str))
        .unwrap_or("172.18.0.2")
        .to_string()
}

/// What the kubelet reports while it pulls images and creates containers.
fn creating_status(pod: &Value, node: &Value) -> Value {
    let now = util::now_ts();
    let host_ip = internal_ip(node);
    let statuses: Vec<Value> = at(pod, &["spec", "containers"])
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    json!({
                        "name": c.get("name").cloned().unwrap_or(json!("")),
                        "state": {"waiting": {"reason": "ContainerCreating"}},
                        "lastState": {},
                        "ready": false,
                        "restartCount": 0,
                        "image": normalize_image(c.get("image").and_then(Value::as_str).unwrap_or("")),
                        "imageID": "",
                        "started": false
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let cond = |ty: &str, status: &str| {
        let mut c =
            json!({"type": ty, "status": status, "lastProbeTime": null, "lastTransitionTime": now});
        if status == "False" {
            c["reason"] = json!("ContainersNotReady");
        }
        c
    };
    json!({
        "phase": "Pending",
        "conditions": [
            cond("Initialized", "True"),
            cond("Ready", "False"),
            cond("ContainersReady", "False"),
            cond("PodScheduled", "True")
        ],
        "hostIP": host_ip,
        "startTime": now,
        "containerStatuses": statuses,
        "qosClass": crate::defaults::qos_class(pod)
    })
}

/// What the kubelet reports once containers are up.
fn running_status(st: &mut State, pod: &Value, node: &Value) -> Value {
    let now = util::now_ts();
    let host_ip = internal_ip(node);
    let n = st.next_pod_ip;
    st.next_pod_ip += 1;
    let pod_ip = format!("10.244.{}.{}", (n / 250) % 250, n % 250 + 2);
    let ready = node_ready(node);
    let ready_s = if ready { "True" } else { "False" };
    let statuses: Vec<Value> = at(pod, &["spec", "containers"])
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let image =
                        normalize_image(c.get("image").and_then(Value::as_str).unwrap_or(""));
                    let repo = image
                        .rsplit_once(':')
                        .map(|(r, _)| r.to_string())
                        .unwrap_or(image.clone());
                    json!({
                        "name": c.get("name").cloned().unwrap_or(json!("")),
                        "state": {"running": {"startedAt": now}},
                        "lastState": {},
                        "ready": ready,
                        "restartCount": 0,
                        "image": image,
                        "imageID": format!("{repo}@sha256:{}", st.rng.hex(64)),
                        "containerID": format!("containerd://{}", st.rng.hex(64)),
                        "started": true
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let cond = |ty: &str, s: &str| json!({"type": ty, "status": s, "lastProbeTime": null, "lastTransitionTime": now});
    json!({
        "phase": "Running",
        "conditions": [
            cond("PodReadyToStartContainers", "True"),
            cond("Initialized", "True"),
            cond("Ready", ready_s),
            cond("ContainersReady", ready_s),
            cond("PodScheduled", "True")
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": now,
        "containerStatuses": statuses,
        "qosClass": crate::defaults::qos_class(pod)
    })
}

fn unschedulable_message(pod_spec: &Value, nodes: &[Value]) -> String {
    let total = nodes.len();
    if total == 0 {
        return "no nodes available to schedule pods".into();
    }
    let mut counts: Vec<(String, usize)> = vec![];
    let mut bump = |why: String| match counts.iter_mut().find(|(w, _)| *w == why) {
        Some((_, c)) => *c += 1,
        None => counts.push((why, 1)),
    };
    for n in nodes {
        if unschedulable(n) {
            bump("node(s) were unschedulable".into());
        } else if !node_ready(n) {
            bump("node(s) had untolerated taint {node.kubernetes.io/not-ready: }".into());
        } else if !fits(pod_spec, n) {
            bump(
                "node(s) didn't match Pod's node affinity/selector or had untolerated taints"
                    .into(),
            );
        }
    }
    let mut parts: Vec<String> = counts
        .into_iter()
        .map(|(w, c)| format!("{c} {w}"))
        .collect();
    parts.sort();
    format!(
        "0/{total} nodes are available: {}. preemption: 0/{total} nodes are available: {total} Preemption is not helpful for scheduling.",
        parts.join(", ")
    )
}

/// Binds pending pods to the least loaded fitting node and starts pods
/// bound to existing nodes.
pub(super) fn schedule(st: &mut State) -> bool {
    let pd = def(st, "v1", "Pod");
    let nodes = st.store.list_cloned("", "nodes", None);
    let mut load: HashMap<String, usize> = HashMap::new();
    for p in st.store.list("", "pods", None) {
        if let Some(n) = str_at(p, &["spec", "nodeName"]) {
            *load.entry(n.to_string()).or_default() += 1;
        }
    }
    // Forget starting pods that were deleted or started elsewhere.
    let pending: std::collections::HashSet<String> = st
        .store
        .list("", "pods", None)
        .into_iter()
        .filter(|p| str_at(p, &["status", "phase"]).is_none_or(|ph| ph == "Pending"))
        .map(|p| uid_of(p).to_string())
        .collect();
    st.starting.retain(|uid, _| pending.contains(uid));
    let mut changed = false;
    for pod in st.store.list_cloned("", "pods", None) {
        if terminating(&pod) || str_at(&pod, &["status", "phase"]).is_some_and(|p| p != "Pending") {
            continue;
        }
        let spec = pod.get("spec").cloned().unwrap_or(json!({}));
        if str_at(&spec, &["schedulerName"]).is_some_and(|s| s != "default-scheduler") {
            continue;
        }
        let bound = str_at(&spec, &["nodeName"])
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let node = match &bound {
            Some(name) => nodes.iter().find(|n| name_of(n) == name),
            None => nodes
                .iter()
                .filter(|n| node_ready(n) && !unschedulable(n) && fits(&spec, n))
                .min_by_key(|n| {
                    (
                        load.get(name_of(n)).copied().unwrap_or(0),
                        name_of(n).to_string(),
                    )
                }),
        };
        let mut p2 = pod.clone();
        match node {
            Some(node) => {
                let nn = name_of(node).to_string();
                if bound.is_none() {
                    *load.entry(nn.clone()).or_default() += 1;
                    obj_at(&mut p2, &["spec"]).insert("nodeName".into(), json!(nn));
                }
                let uid = uid_of(&pod).to_string();
                let started = match st.starting.get(&uid) {
                    // Still creating its containers: nothing to change.
                    Some(due) if std::time::Instant::now() < *due => continue,
                    Some(_) => true,
                    None if st.pod_startup.is_zero() => true,
                    None => {
                        let due = std::time::Instant::now() + st.pod_startup;
                        st.starting.insert(uid.clone(), due);
                        false
                    }
                };
                let status = if started {
                    st.starting.remove(&uid);
                    running_status(st, &p2, node)
                } else {
                    creating_status(&p2, node)
                };
                obj_at(&mut p2, &[]).insert("status".into(), status);
                changed = true;
            }
            // Bound to a node that does not exist: no kubelet will run it.
            None if bound.is_some() => continue,
            None => {
                let cond = condition(
                    Some(&pod),
                    "PodScheduled",
                    "False",
                    "Unschedulable",
                    &unschedulable_message(&spec, &nodes),
                    false,
                );
                let mut cond = cond;
                if let Some(m) = cond.as_object_mut() {
                    m.insert("lastProbeTime".into(), Value::Null);
                }
                let qos = crate::defaults::qos_class(&pod);
                obj_at(&mut p2, &[]).insert(
                    "status".into(),
                    json!({"phase": "Pending", "conditions": [cond], "qosClass": qos}),
                );
            }
        }
        if !util::same_ignoring_rv(&pod, &p2) {
            let _ = st.replace(
                &pd,
                namespace_of(&pod),
                name_of(&pod),
                p2,
                None,
                WriteOpts::default(),
            );
        }
    }
    changed
}

/// Pod readiness follows its node: a node that stops being Ready makes its
/// pods unready (reason NodeNotReady) until it recovers.
pub(super) fn pods_follow_nodes(st: &mut State) {
    let ready: HashMap<String, bool> = st
        .store
        .list("", "nodes", None)
        .iter()
        .map(|n| (name_of(n).to_string(), node_ready(n)))
        .collect();
    for pod in st.store.list_cloned("", "pods", None) {
        if str_at(&pod, &["status", "phase"]) != Some("Running") || terminating(&pod) {
            continue;
        }
        let Some(node_ok) = str_at(&pod, &["spec", "nodeName"])
            .and_then(|n| ready.get(n))
            .copied()
        else {
            continue;
        };
        let pod_ok = condition_status(&pod, "Ready") == Some("True");
        let marked = at(&pod, &["status", "conditions"])
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c.get("reason").and_then(Value::as_str) == Some("NodeNotReady"))
            });
        let want = if !node_ok && pod_ok {
            false
        } else if node_ok && !pod_ok && marked {
            true
        } else {
            continue;
        };
        let mut p2 = pod.clone();
        let s = if want { "True" } else { "False" };
        if let Some(cs) = p2
            .get_mut("status")
            .and_then(|s| s.get_mut("conditions"))
            .and_then(Value::as_array_mut)
        {
            for c in cs.iter_mut() {
                if matches!(
                    c.get("type").and_then(Value::as_str),
                    Some("Ready" | "ContainersReady")
                ) {
                    c["status"] = json!(s);
                    c["lastTransitionTime"] = json!(util::now_ts());
                    match c.as_object_mut() {
                        Some(m) if want => {
                            m.remove("reason");
                        }
                        Some(m) => {
                            m.insert("reason".into(), json!("NodeNotReady"));
                        }
                        None => {}
                    }
                }
            }
        }
        if let Some(cs) = p2
            .get_mut("status")
            .and_then(|s| s.get_mut("containerStatuses"))
            .and_then(Value::as_array_mut)
        {
            for c in cs.iter_mut() {
                c["ready"] = json!(want);
            }
        }
        st.store.put("", "pods", p2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        assert_eq!(normalize_image("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(
            normalize_image("bitnami/redis:7"),
            "docker.io/bitnami/redis:7"
        );
        assert_eq!(normalize_image("ghcr.io/x/y:1"), "ghcr.io/x/y:1");
    }

    #[test]
    fn toleration_matching() {
        let taint = json!({"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"});
        assert!(!tolerates(&[], &taint));
        assert!(tolerates(&[json!({"operator": "Exists"})], &taint));
        assert!(tolerates(
            &[json!({"key": UNSCHEDULABLE_TAINT, "operator": "Exists", "effect": "NoSchedule"})],
            &taint
        ));
        assert!(!tolerates(
            &[json!({"key": "other", "operator": "Exists"})],
            &taint
        ));
    }
}
