//! PodDisruptionBudget arithmetic, shared by the status controller and the
//! eviction subresource, following the disruption controller.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::workloads::daemon_nodes;
use super::*;

pub(crate) fn matching_pdbs(st: &State, pod: &Value) -> Vec<Value> {
    let labels = labels_of(pod);
    st.store
        .list("policy", "poddisruptionbudgets", Some(namespace_of(pod)))
        .into_iter()
        .filter(|pdb| object_selector_matches(at(pdb, &["spec", "selector"]), &labels))
        .cloned()
        .collect()
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PdbNumbers {
    pub expected_pods: i64,
    pub desired_healthy: i64,
    pub current_healthy: i64,
    pub disruptions_allowed: i64,
}

/// The scale of a pod's controller, as the disruption controller's
/// finders resolve it (ReplicaSet via its Deployment, StatefulSet, ...).
fn controller_scale(st: &State, pod: &Value) -> Option<(String, i64)> {
    let r = controller_ref(pod)?;
    let kind = r.get("kind").and_then(Value::as_str)?;
    let name = r.get("name").and_then(Value::as_str)?;
    let ns = namespace_of(pod);
    let (plural, obj) = match kind {
        "ReplicaSet" => (
            "replicasets",
            st.store.get("apps", "replicasets", ns, name)?,
        ),
        "StatefulSet" => (
            "statefulsets",
            st.store.get("apps", "statefulsets", ns, name)?,
        ),
        "DaemonSet" => {
            let ds = st.store.get("apps", "daemonsets", ns, name)?;
            return Some((uid_of(ds).to_string(), daemon_nodes(st, ds).len() as i64));
        }
        _ => return None,
    };
    if plural == "replicasets" {
        if let Some(dr) = controller_ref(obj)
            .filter(|r| r.get("kind").and_then(Value::as_str) == Some("Deployment"))
        {
            let dname = dr.get("name").and_then(Value::as_str).unwrap_or("");
            if let Some(d) = st.store.get("apps", "deployments", ns, dname) {
                return Some((
                    uid_of(d).to_string(),
                    int_at(d, &["spec", "replicas"]).unwrap_or(1),
                ));
            }
        }
    }
    Some((
        uid_of(obj).to_string(),
        int_at(obj, &["spec", "replicas"]).unwrap_or(1),
    ))
}

/// `DisruptionController.getExpectedPodCount` + `countHealthyPods`.
pub(crate) fn pdb_numbers(st: &State, pdb: &Value) -> PdbNumbers {
    let pods: Vec<&Value> = st
        .store
        .list("", "pods", Some(namespace_of(pdb)))
        .into_iter()
        .filter(|p| object_selector_matches(at(pdb, &["spec", "selector"]), &labels_of(p)))
        .collect();
    let expected_scale = || {
        let mut seen: HashMap<String, i64> = HashMap::new();
        for p in &pods {
            if let Some((uid, scale)) = controller_scale(st, p) {
                seen.insert(uid, scale);
            }
        }
        seen.values().sum::<i64>()
    };
    let (expected, desired) = if let Some(mu) = at(pdb, &["spec", "maxUnavailable"]) {
        let expected = expected_scale();
        let max_unavailable = scaled(Some(mu), expected, true).unwrap_or(0);
        (expected, (expected - max_unavailable).max(0))
    } else if let Some(ma) = at(pdb, &["spec", "minAvailable"]) {
        if ma.is_number() {
            (pods.len() as i64, ma.as_i64().unwrap_or(0))
        } else {
            let expected = expected_scale();
            (expected, scaled(Some(ma), expected, true).unwrap_or(0))
        }
    } else {
        (0, 0)
    };
    let current = pods.iter().filter(|p| pod_ready(p)).count() as i64;
    let mut allowed = current - desired;
    if expected <= 0 || allowed <= 0 {
        allowed = 0;
    }
    PdbNumbers {
        expected_pods: expected,
        desired_healthy: desired,
        current_healthy: current,
        disruptions_allowed: allowed,
    }
}

pub(super) fn pdb_status(st: &mut State) {
    for pdb in st.store.list_cloned("policy", "poddisruptionbudgets", None) {
        let n = pdb_numbers(st, &pdb);
        let generation = int_at(&pdb, &["metadata", "generation"]).unwrap_or(1);
        let mut cond = if n.disruptions_allowed > 0 {
            condition(
                Some(&pdb),
                "DisruptionAllowed",
                "True",
                "SufficientPods",
                "",
                false,
            )
        } else {
            condition(
                Some(&pdb),
                "DisruptionAllowed",
                "False",
                "InsufficientPods",
                "",
                false,
            )
        };
        cond["observedGeneration"] = json!(generation);
        let status = json!({
            "observedGeneration": generation,
            "disruptionsAllowed": n.disruptions_allowed,
            "currentHealthy": n.current_healthy,
            "desiredHealthy": n.desired_healthy,
            "expectedPods": n.expected_pods,
            "conditions": [cond],
        });
        put_status(st, "policy", "poddisruptionbudgets", &pdb, status);
    }
}
