//! Deployment → ReplicaSet → Pod, StatefulSet and DaemonSet controllers,
//! and the statuses they report.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::nodes::{fits, UNSCHEDULABLE_TAINT};
use super::*;

pub(super) fn owned(st: &State, plural_group: (&str, &str), ns: &str, uid: &str) -> Vec<Value> {
    st.store
        .list(plural_group.0, plural_group.1, Some(ns))
        .into_iter()
        .filter(|o| controlled_by(o, uid) && !terminating(o))
        .cloned()
        .collect()
}

fn template_labels(template: &Value) -> Map<String, Value> {
    at(template, &["metadata", "labels"])
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Creates a pod from a template, owned by `owner`.
fn create_pod(
    st: &mut State,
    template: &Value,
    owner: &Value,
    name: Option<String>,
    extra_labels: &[(&str, String)],
    spec_extra: &[(&str, Value)],
) -> bool {
    let pd = def(st, "v1", "Pod");
    let ns = namespace_of(owner).to_string();
    let mut labels = template_labels(template);
    for (k, v) in extra_labels {
        labels.insert(k.to_string(), json!(v));
    }
    let base = format!("{}-", name_of(owner));
    let name = match name {
        Some(n) => n,
        None => loop {
            let n = format!("{base}{}", st.rng.suffix(5));
            if st.store.get("", "pods", &ns, &n).is_none() {
                break n;
            }
        },
    };
    let mut meta = json!({"name": name, "namespace": ns, "labels": labels, "ownerReferences": [util::owner_ref(owner)]});
    if owner.get("kind").and_then(Value::as_str) != Some("StatefulSet") {
        meta["generateName"] = json!(base);
    }
    if let Some(a) = at(template, &["metadata", "annotations"])
        .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()))
    {
        meta["annotations"] = a.clone();
    }
    let mut spec = at(template, &["spec"]).cloned().unwrap_or(json!({}));
    for (k, v) in spec_extra {
        obj_at(&mut spec, &[]).insert(k.to_string(), v.clone());
    }
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec});
    st.create(&pd, &ns, pod, WriteOpts::default()).is_ok()
}

/// Which pods a scale-down removes first: unscheduled, then not ready, then
/// the newest (the ReplicaSet controller's ranking, simplified).
fn deletion_order(pods: &mut [Value]) {
    pods.sort_by_key(|p| {
        let scheduled = str_at(p, &["spec", "nodeName"]).is_some_and(|n| !n.is_empty());
        let created = str_at(p, &["metadata", "creationTimestamp"])
            .unwrap_or("")
            .to_string();
        (
            scheduled,
            pod_ready(p),
            std::cmp::Reverse(created),
            std::cmp::Reverse(name_of(p).to_string()),
        )
    });
}

fn revision_of(o: &Value) -> i64 {
    str_at(
        o,
        &[
            "metadata",
            "annotations",
            "deployment.kubernetes.io/revision",
        ],
    )
    .and_then(|r| r.parse().ok())
    .unwrap_or(0)
}

pub(super) fn deployments(st: &mut State) -> bool {
    let rsd = def(st, "apps/v1", "ReplicaSet");
    let dd = def(st, "apps/v1", "Deployment");
    let mut changed = false;
    for d in st.store.list_cloned("apps", "deployments", None) {
        if terminating(&d) {
            continue;
        }
        let ns = namespace_of(&d).to_string();
        let replicas = int_at(&d, &["spec", "replicas"]).unwrap_or(1);
        let template = at(&d, &["spec", "template"]).cloned().unwrap_or(json!({}));
        let hash = util::template_hash(
            &canonical(&template),
            int_at(&d, &["status", "collisionCount"]).unwrap_or(0) as u64,
        );
        let rs_list = owned(st, ("apps", "replicasets"), &ns, uid_of(&d));
        let max_rev = rs_list.iter().map(revision_of).max().unwrap_or(0);
        let paused = at(&d, &["spec", "paused"]).and_then(Value::as_bool) == Some(true);
        let is_new = |rs: &Value| {
            str_at(rs, &["metadata", "labels", "pod-template-hash"]) == Some(hash.as_str())
        };
        let surge = match str_at(&d, &["spec", "strategy", "type"]) {
            Some("Recreate") => 0,
            _ => scaled(
                at(&d, &["spec", "strategy", "rollingUpdate", "maxSurge"]),
                replicas,
                true,
            )
            .unwrap_or(0),
        };
        let mut new_rev = rs_list.iter().find(|rs| is_new(rs)).map(revision_of);
        match rs_list.iter().find(|rs| is_new(rs)) {
            None if !paused => {
                let rs_name = format!("{}-{hash}", name_of(&d));
                let mut labels = template_labels(&template);
                labels.insert("pod-template-hash".into(), json!(hash));
                let mut tpl = template.clone();
                obj_at(&mut tpl, &["metadata"]).insert("labels".into(), json!(labels));
                let mut selector = at(&d, &["spec", "selector"]).cloned().unwrap_or(json!({}));
                obj_at(&mut selector, &["matchLabels"])
                    .insert("pod-template-hash".into(), json!(hash));
                let rev = max_rev + 1;
                let mut spec = json!({"replicas": replicas, "selector": selector, "template": tpl});
                if let Some(m) = at(&d, &["spec", "minReadySeconds"]) {
                    spec["minReadySeconds"] = m.clone();
                }
                let rs = json!({
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "metadata": {
                        "name": rs_name,
                        "namespace": ns,
                        "labels": labels,
                        "annotations": {
                            "deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                            "deployment.kubernetes.io/max-replicas": (replicas + surge).to_string(),
                            "deployment.kubernetes.io/revision": rev.to_string()
                        },
                        "ownerReferences": [util::owner_ref(&d)]
                    },
                    "spec": spec
                });
                if st.create(&rsd, &ns, rs, WriteOpts::default()).is_ok() {
                    changed = true;
                    new_rev = Some(rev);
                }
            }
            Some(rs) if int_at(rs, &["spec", "replicas"]) != Some(replicas) => {
                let mut rs2 = rs.clone();
                obj_at(&mut rs2, &["spec"]).insert("replicas".into(), json!(replicas));
                let ann = obj_at(&mut rs2, &["metadata", "annotations"]);
                ann.insert(
                    "deployment.kubernetes.io/desired-replicas".into(),
                    json!(replicas.to_string()),
                );
                ann.insert(
                    "deployment.kubernetes.io/max-replicas".into(),
                    json!((replicas + surge).to_string()),
                );
                let _ = st.replace(&rsd, &ns, name_of(rs), rs2, None, WriteOpts::default());
                changed = true;
            }
            _ => {}
        }
        if !paused {
            for old in rs_list.iter().filter(|rs| !is_new(rs)) {
                if int_at(old, &["spec", "replicas"]) != Some(0) {
                    let mut o2 = old.clone();
                    obj_at(&mut o2, &["spec"]).insert("replicas".into(), json!(0));
                    let _ = st.replace(&rsd, &ns, name_of(old), o2, None, WriteOpts::default());
                    changed = true;
                }
            }
        }
        if let Some(rev) = new_rev {
            if revision_of(&d) != rev {
                if let Some(cur) = st
                    .store
                    .get("apps", "deployments", &ns, name_of(&d))
                    .cloned()
                {
                    let mut d2 = cur.clone();
                    obj_at(&mut d2, &["metadata", "annotations"]).insert(
                        "deployment.kubernetes.io/revision".into(),
                        json!(rev.to_string()),
                    );
                    let _ = st.replace(&dd, &ns, name_of(&d), d2, None, WriteOpts::default());
                }
            }
        }
    }
    changed
}

pub(super) fn replicasets(st: &mut State) -> bool {
    let pd = def(st, "v1", "Pod");
    let mut changed = false;
    for rs in st.store.list_cloned("apps", "replicasets", None) {
        if terminating(&rs) {
            continue;
        }
        let ns = namespace_of(&rs).to_string();
        let want = int_at(&rs, &["spec", "replicas"])
            .unwrap_or(1)
            .clamp(0, MAX_REPLICAS) as usize;
        let mut pods = owned(st, ("", "pods"), &ns, uid_of(&rs));
        let template = at(&rs, &["spec", "template"]).cloned().unwrap_or(json!({}));
        if pods.len() < want {
            for _ in pods.len()..want {
                changed |= create_pod(st, &template, &rs, None, &[], &[]);
            }
        } else if pods.len() > want {
            deletion_order(&mut pods);
            for p in pods.iter().take(pods.len() - want) {
                delete_now(st, &pd, p);
                changed = true;
            }
        }
    }
    changed
}

fn ordinal(sts_name: &str, pod_name: &str) -> Option<i64> {
    pod_name
        .strip_prefix(sts_name)?
        .strip_prefix('-')?
        .parse()
        .ok()
}

fn sts_revision(sts: &Value) -> String {
    let template = at(sts, &["spec", "template"]).cloned().unwrap_or(json!({}));
    format!(
        "{}-{}",
        name_of(sts),
        util::template_hash(&canonical(&template), 0)
    )
}

pub(super) fn statefulsets(st: &mut State) -> bool {
    let pd = def(st, "v1", "Pod");
    let mut changed = false;
    for sts in st.store.list_cloned("apps", "statefulsets", None) {
        if terminating(&sts) {
            continue;
        }
        let ns = namespace_of(&sts).to_string();
        let name = name_of(&sts).to_string();
        let want = int_at(&sts, &["spec", "replicas"])
            .unwrap_or(1)
            .clamp(0, MAX_REPLICAS);
        let revision = sts_revision(&sts);
        let on_delete = str_at(&sts, &["spec", "updateStrategy", "type"]) == Some("OnDelete");
        let template = at(&sts, &["spec", "template"])
            .cloned()
            .unwrap_or(json!({}));
        let pods = owned(st, ("", "pods"), &ns, uid_of(&sts));
        for p in &pods {
            let stale = str_at(p, &["metadata", "labels", "controller-revision-hash"])
                != Some(revision.as_str());
            match ordinal(&name, name_of(p)) {
                Some(i) if i < want && (on_delete || !stale) => {}
                _ => {
                    delete_now(st, &pd, p);
                    changed = true;
                }
            }
        }
        for i in 0..want {
            let pod_name = format!("{name}-{i}");
            if st.store.get("", "pods", &ns, &pod_name).is_some() {
                continue;
            }
            let mut spec_extra = vec![("hostname", json!(pod_name))];
            if let Some(svc) = str_at(&sts, &["spec", "serviceName"]).filter(|s| !s.is_empty()) {
                spec_extra.push(("subdomain", json!(svc)));
            }
            changed |= create_pod(
                st,
                &template,
                &sts,
                Some(pod_name.clone()),
                &[
                    ("controller-revision-hash", revision.clone()),
                    ("statefulset.kubernetes.io/pod-name", pod_name.clone()),
                    ("apps.kubernetes.io/pod-index", i.to_string()),
                ],
                &spec_extra,
            );
        }
    }
    changed
}

/// Tolerations the DaemonSet controller adds to its pods.
fn daemon_tolerations(spec: &Value) -> Value {
    let mut ts = spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (key, effect) in [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        (UNSCHEDULABLE_TAINT, "NoSchedule"),
    ] {
        if !ts
            .iter()
            .any(|t| t.get("key").and_then(Value::as_str) == Some(key))
        {
            ts.push(json!({"key": key, "operator": "Exists", "effect": effect}));
        }
    }
    json!(ts)
}

/// Nodes a DaemonSet wants a pod on: all nodes its template fits
/// (cordoned nodes included: daemon pods tolerate the unschedulable taint).
pub(super) fn daemon_nodes(st: &State, ds: &Value) -> Vec<String> {
    let mut spec = at(ds, &["spec", "template", "spec"])
        .cloned()
        .unwrap_or(json!({}));
    let tolerations = daemon_tolerations(&spec);
    obj_at(&mut spec, &[]).insert("tolerations".into(), tolerations);
    st.store
        .list("", "nodes", None)
        .into_iter()
        .filter(|n| fits(&spec, n))
        .map(|n| name_of(n).to_string())
        .collect()
}

pub(super) fn daemonsets(st: &mut State) -> bool {
    let pd = def(st, "v1", "Pod");
    let mut changed = false;
    for ds in st.store.list_cloned("apps", "daemonsets", None) {
        if terminating(&ds) {
            continue;
        }
        let ns = namespace_of(&ds).to_string();
        let template = at(&ds, &["spec", "template"]).cloned().unwrap_or(json!({}));
        let hash = util::template_hash(&canonical(&template), 0);
        let on_delete = str_at(&ds, &["spec", "updateStrategy", "type"]) == Some("OnDelete");
        let wanted = daemon_nodes(st, &ds);
        let pods = owned(st, ("", "pods"), &ns, uid_of(&ds));
        let mut covered: HashSet<String> = HashSet::new();
        for p in &pods {
            let node = str_at(p, &["spec", "nodeName"]).unwrap_or("").to_string();
            let stale = str_at(p, &["metadata", "labels", "controller-revision-hash"])
                != Some(hash.as_str());
            if !wanted.contains(&node) || covered.contains(&node) || (stale && !on_delete) {
                delete_now(st, &pd, p);
                changed = true;
            } else {
                covered.insert(node);
            }
        }
        let generation = int_at(&ds, &["metadata", "generation"])
            .unwrap_or(1)
            .to_string();
        let tolerations = daemon_tolerations(at(&template, &["spec"]).unwrap_or(&json!({})));
        for node in wanted.iter().filter(|n| !covered.contains(*n)) {
            changed |= create_pod(
                st,
                &template,
                &ds,
                None,
                &[
                    ("controller-revision-hash", hash.clone()),
                    ("pod-template-generation", generation.clone()),
                ],
                &[
                    ("nodeName", json!(node)),
                    ("tolerations", tolerations.clone()),
                ],
            );
        }
    }
    changed
}

fn insert_nonzero(m: &mut Map<String, Value>, key: &str, v: i64) {
    if v != 0 {
        m.insert(key.into(), json!(v));
    }
}

pub(super) fn replicaset_status(st: &mut State) {
    for rs in st.store.list_cloned("apps", "replicasets", None) {
        let pods = owned(st, ("", "pods"), namespace_of(&rs), uid_of(&rs));
        let ready = pods.iter().filter(|p| pod_ready(p)).count() as i64;
        let mut s = Map::new();
        s.insert("replicas".into(), json!(pods.len()));
        insert_nonzero(&mut s, "fullyLabeledReplicas", pods.len() as i64);
        insert_nonzero(&mut s, "readyReplicas", ready);
        insert_nonzero(&mut s, "availableReplicas", ready);
        s.insert(
            "observedGeneration".into(),
            json!(int_at(&rs, &["metadata", "generation"]).unwrap_or(1)),
        );
        put_status(st, "apps", "replicasets", &rs, Value::Object(s));
    }
}

pub(super) fn deployment_status(st: &mut State) {
    for d in st.store.list_cloned("apps", "deployments", None) {
        let ns = namespace_of(&d).to_string();
        let template = at(&d, &["spec", "template"]).cloned().unwrap_or(json!({}));
        let hash = util::template_hash(
            &canonical(&template),
            int_at(&d, &["status", "collisionCount"]).unwrap_or(0) as u64,
        );
        let rs_list = owned(st, ("apps", "replicasets"), &ns, uid_of(&d));
        let new_rs = rs_list.iter().find(|rs| {
            str_at(rs, &["metadata", "labels", "pod-template-hash"]) == Some(hash.as_str())
        });
        let mut total = 0i64;
        let mut updated = 0i64;
        let mut ready = 0i64;
        for rs in &rs_list {
            let pods = owned(st, ("", "pods"), &ns, uid_of(rs));
            total += pods.len() as i64;
            ready += pods.iter().filter(|p| pod_ready(p)).count() as i64;
            if new_rs.is_some_and(|n| uid_of(n) == uid_of(rs)) {
                updated += pods.len() as i64;
            }
        }
        let want = int_at(&d, &["spec", "replicas"]).unwrap_or(1);
        let available = ready;
        let max_unavailable = match str_at(&d, &["spec", "strategy", "type"]) {
            Some("Recreate") => 0,
            _ => scaled(
                at(&d, &["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
                want,
                false,
            )
            .unwrap_or(0),
        };
        let mut s = Map::new();
        s.insert(
            "observedGeneration".into(),
            json!(int_at(&d, &["metadata", "generation"]).unwrap_or(1)),
        );
        insert_nonzero(&mut s, "replicas", total);
        insert_nonzero(&mut s, "updatedReplicas", updated);
        insert_nonzero(&mut s, "readyReplicas", ready);
        insert_nonzero(&mut s, "availableReplicas", available);
        insert_nonzero(&mut s, "unavailableReplicas", (want - available).max(0));
        let available_cond = if available >= want - max_unavailable {
            condition(
                Some(&d),
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                true,
            )
        } else {
            condition(
                Some(&d),
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                true,
            )
        };
        let rs_name = new_rs
            .map(|r| name_of(r).to_string())
            .unwrap_or_else(|| format!("{}-{hash}", name_of(&d)));
        let complete = updated == want && available == want && total == want;
        let progressing = if complete {
            condition(
                Some(&d),
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                &format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
                true,
            )
        } else {
            condition(
                Some(&d),
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                &format!("ReplicaSet \"{rs_name}\" is progressing."),
                true,
            )
        };
        s.insert("conditions".into(), json!([available_cond, progressing]));
        if let Some(c) = at(&d, &["status", "collisionCount"]) {
            s.insert("collisionCount".into(), c.clone());
        }
        put_status(st, "apps", "deployments", &d, Value::Object(s));
    }
}

pub(super) fn statefulset_status(st: &mut State) {
    for sts in st.store.list_cloned("apps", "statefulsets", None) {
        let pods = owned(st, ("", "pods"), namespace_of(&sts), uid_of(&sts));
        let revision = sts_revision(&sts);
        let ready = pods.iter().filter(|p| pod_ready(p)).count() as i64;
        let current = pods
            .iter()
            .filter(|p| {
                str_at(p, &["metadata", "labels", "controller-revision-hash"])
                    == Some(revision.as_str())
            })
            .count() as i64;
        let mut s = Map::new();
        s.insert(
            "observedGeneration".into(),
            json!(int_at(&sts, &["metadata", "generation"]).unwrap_or(1)),
        );
        s.insert("replicas".into(), json!(pods.len()));
        insert_nonzero(&mut s, "readyReplicas", ready);
        insert_nonzero(&mut s, "currentReplicas", current);
        insert_nonzero(&mut s, "updatedReplicas", current);
        s.insert("currentRevision".into(), json!(revision));
        s.insert("updateRevision".into(), json!(revision));
        s.insert("collisionCount".into(), json!(0));
        s.insert("availableReplicas".into(), json!(ready));
        put_status(st, "apps", "statefulsets", &sts, Value::Object(s));
    }
}

pub(super) fn daemonset_status(st: &mut State) {
    for ds in st.store.list_cloned("apps", "daemonsets", None) {
        let wanted = daemon_nodes(st, &ds);
        let pods = owned(st, ("", "pods"), namespace_of(&ds), uid_of(&ds));
        let template = at(&ds, &["spec", "template"]).cloned().unwrap_or(json!({}));
        let hash = util::template_hash(&canonical(&template), 0);
        let on = |p: &Value| {
            wanted
                .iter()
                .any(|n| Some(n.as_str()) == str_at(p, &["spec", "nodeName"]))
        };
        let scheduled = pods.iter().filter(|p| on(p)).count() as i64;
        let mis = pods.len() as i64 - scheduled;
        let ready = pods.iter().filter(|p| on(p) && pod_ready(p)).count() as i64;
        let updated = pods
            .iter()
            .filter(|p| {
                on(p)
                    && str_at(p, &["metadata", "labels", "controller-revision-hash"])
                        == Some(hash.as_str())
            })
            .count() as i64;
        let mut s = Map::new();
        s.insert("currentNumberScheduled".into(), json!(scheduled));
        s.insert("numberMisscheduled".into(), json!(mis));
        s.insert("desiredNumberScheduled".into(), json!(wanted.len()));
        s.insert("numberReady".into(), json!(ready));
        s.insert(
            "observedGeneration".into(),
            json!(int_at(&ds, &["metadata", "generation"]).unwrap_or(1)),
        );
        insert_nonzero(&mut s, "updatedNumberScheduled", updated);
        insert_nonzero(&mut s, "numberAvailable", ready);
        insert_nonzero(
            &mut s,
            "numberUnavailable",
            (wanted.len() as i64 - ready).max(0),
        );
        put_status(st, "apps", "daemonsets", &ds, Value::Object(s));
    }
}
