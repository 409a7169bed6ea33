//! Defaulting and the small part of validation that clients notice: the
//! fields a real API server fills in on create (so drivers that read
//! `spec.replicas` or `spec.clusterIP` back find them) and name rules.

use serde_json::{json, Map, Value};

use crate::util::{at, obj_at, str_at};

fn set_default(m: &mut Map<String, Value>, key: &str, v: Value) {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.into(), v);
    }
}

fn image_pull_policy(image: &str) -> &'static str {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        return "IfNotPresent";
    }
    match last.split_once(':') {
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

/// Defaults shared by pods and pod templates (`SetDefaults_PodSpec`,
/// `SetDefaults_Container`).
pub(crate) fn pod_spec(spec: &mut Map<String, Value>) {
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "securityContext", json!({}));
    for list in ["containers", "initContainers"] {
        if let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                let image = c
                    .get("image")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                set_default(c, "imagePullPolicy", json!(image_pull_policy(&image)));
                set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
                set_default(c, "terminationMessagePolicy", json!("File"));
                set_default(c, "resources", json!({}));
                canonical_quantities(c);
                if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                        set_default(p, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
}

/// Resource quantities written as JSON numbers (`"cpu": 0.1`, as the
/// book's manifests do) are stored, like the API server stores them, as
/// canonical quantity strings (`"100m"`): clients decode quantities as
/// strings.
fn canonical_quantities(container: &mut Map<String, Value>) {
    let Some(resources) = container
        .get_mut("resources")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for key in ["limits", "requests"] {
        let Some(values) = resources.get_mut(key).and_then(Value::as_object_mut) else {
            continue;
        };
        for v in values.values_mut() {
            let Some(n) = v.as_f64() else { continue };
            *v = if n.fract() == 0.0 {
                json!(format!("{}", n as i64))
            } else {
                json!(format!("{}m", (n * 1000.0).round() as i64))
            };
        }
    }
}

fn template(obj: &mut Value) {
    if at(obj, &["spec", "template"]).is_some_and(Value::is_object) {
        pod_spec(obj_at(obj, &["spec", "template", "spec"]));
    }
}

/// QoS class as the API server computes it on pod creation.
pub(crate) fn qos_class(pod: &Value) -> &'static str {
    let cs: Vec<&Value> = at(pod, &["spec", "containers"])
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let has = |c: &Value, which: &str| {
        at(c, &["resources", which])
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty())
    };
    if cs.iter().all(|c| !has(c, "requests") && !has(c, "limits")) {
        return "BestEffort";
    }
    let guaranteed = cs.iter().all(|c| {
        let l = at(c, &["resources", "limits"]).and_then(Value::as_object);
        let r = at(c, &["resources", "requests"]).and_then(Value::as_object);
        match l {
            Some(l) => ["cpu", "memory"].iter().all(|k| {
                l.get(*k).is_some()
                    && r.is_none_or(|r| r.get(*k).is_none_or(|rv| Some(rv) == l.get(*k)))
            }),
            None => false,
        }
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Applies the defaults for `kind` in place. `cluster_ip` allocates a
/// Service IP when one is needed.
pub(crate) fn apply(kind: &str, obj: &mut Value, cluster_ip: &mut dyn FnMut() -> String) {
    match kind {
        "Pod" => {
            let spec = obj_at(obj, &["spec"]);
            pod_spec(spec);
            // ServiceAccount and DefaultTolerationSeconds admission.
            set_default(spec, "serviceAccountName", json!("default"));
            let sa = spec
                .get("serviceAccountName")
                .cloned()
                .unwrap_or(json!("default"));
            set_default(spec, "serviceAccount", sa);
            set_default(spec, "enableServiceLinks", json!(true));
            set_default(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
            set_default(spec, "priority", json!(0));
            let tolerations = spec.entry("tolerations").or_insert_with(|| json!([]));
            if let Some(ts) = tolerations.as_array_mut() {
                for key in [
                    "node.kubernetes.io/not-ready",
                    "node.kubernetes.io/unreachable",
                ] {
                    if !ts
                        .iter()
                        .any(|t| t.get("key").and_then(Value::as_str) == Some(key))
                    {
                        ts.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
                    }
                }
            }
        }
        "Deployment" => {
            let spec = obj_at(obj, &["spec"]);
            set_default(spec, "replicas", json!(1));
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(spec, "progressDeadlineSeconds", json!(600));
            set_default(
                spec,
                "strategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}),
            );
            template(obj);
        }
        "ReplicaSet" => {
            set_default(obj_at(obj, &["spec"]), "replicas", json!(1));
            template(obj);
        }
        "StatefulSet" => {
            let spec = obj_at(obj, &["spec"]);
            set_default(spec, "replicas", json!(1));
            set_default(spec, "podManagementPolicy", json!("OrderedReady"));
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            );
            set_default(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            template(obj);
        }
        "DaemonSet" => {
            let spec = obj_at(obj, &["spec"]);
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
            );
            template(obj);
        }
        "Job" => {
            let spec = obj_at(obj, &["spec"]);
            set_default(spec, "backoffLimit", json!(6));
            set_default(spec, "completions", json!(1));
            set_default(spec, "parallelism", json!(1));
            set_default(spec, "completionMode", json!("NonIndexed"));
            set_default(spec, "suspend", json!(false));
            template(obj);
        }
        "CronJob" => {
            let spec = obj_at(obj, &["spec"]);
            set_default(spec, "concurrencyPolicy", json!("Allow"));
            set_default(spec, "suspend", json!(false));
            set_default(spec, "successfulJobsHistoryLimit", json!(3));
            set_default(spec, "failedJobsHistoryLimit", json!(1));
        }
        "Service" => {
            let spec = obj_at(obj, &["spec"]);
            set_default(spec, "type", json!("ClusterIP"));
            set_default(spec, "sessionAffinity", json!("None"));
            if spec.get("type").and_then(Value::as_str) != Some("ExternalName") {
                if spec
                    .get("clusterIP")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    spec.insert("clusterIP".into(), json!(cluster_ip()));
                }
                let ip = spec.get("clusterIP").cloned().unwrap_or(Value::Null);
                set_default(spec, "clusterIPs", json!([ip]));
                set_default(spec, "ipFamilies", json!(["IPv4"]));
                set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
                set_default(spec, "internalTrafficPolicy", json!("Cluster"));
            }
            if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                    set_default(p, "protocol", json!("TCP"));
                    if let Some(port) = p.get("port").cloned() {
                        set_default(p, "targetPort", port);
                    }
                }
            }
            set_default(obj_at(obj, &["status"]), "loadBalancer", json!({}));
        }
        "Namespace" => {
            set_default(obj_at(obj, &["spec"]), "finalizers", json!(["kubernetes"]));
            set_default(obj_at(obj, &["status"]), "phase", json!("Active"));
            let name = str_at(obj, &["metadata", "name"]).unwrap_or("").to_string();
            obj_at(obj, &["metadata", "labels"])
                .insert("kubernetes.io/metadata.name".into(), json!(name));
        }
        "Secret" => {
            if let Some(m) = obj.as_object_mut() {
                set_default(m, "type", json!("Opaque"));
            }
        }
        _ => {}
    }
}

/// `metadata.name` validation. Namespaces and Services need DNS labels;
/// RBAC objects a path segment (`system:controller:x` is valid);
/// everything else a DNS subdomain. Returns the validation message.
pub(crate) fn validate_name(kind: &str, name: &str) -> Option<String> {
    if matches!(
        kind,
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
    ) {
        // ValidateRBACName: path.IsValidPathSegmentName.
        return if name == "." || name == ".." {
            Some(format!("Invalid value: \"{name}\": may not be '{name}'"))
        } else if name.contains('/') || name.contains('%') {
            Some(format!("Invalid value: \"{name}\": may not contain '/'"))
        } else {
            None
        };
    }
    let label_rule = matches!(kind, "Namespace" | "Service");
    let is_label = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric())
    };
    if label_rule {
        if is_label(name) {
            return None;
        }
        return Some(format!(
            "Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        ));
    }
    if name.len() <= 253 && name.split('.').all(is_label) {
        return None;
    }
    Some(format!(
        "Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_name("Pod", "web-1.x").is_none());
        assert!(validate_name("ClusterRole", "system:controller:x").is_none());
        assert!(validate_name("Pod", "system:controller:x").is_some());
        assert!(validate_name("Role", "a/b").is_some());
        assert!(validate_name("Pod", "Web").is_some());
        assert!(validate_name("Namespace", "a.b").is_some());
        assert!(validate_name("Pod", "").is_some());
    }

    #[test]
    fn pull_policy() {
        assert_eq!(image_pull_policy("nginx"), "Always");
        assert_eq!(image_pull_policy("nginx:1.25"), "IfNotPresent");
        assert_eq!(image_pull_policy("localhost:5000/nginx"), "Always");
    }

    #[test]
    fn qos() {
        assert_eq!(
            qos_class(&json!({"spec": {"containers": [{"name": "a"}]}})),
            "BestEffort"
        );
        assert_eq!(
            qos_class(
                &json!({"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}})
            ),
            "Guaranteed"
        );
        assert_eq!(
            qos_class(
                &json!({"spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}]}})
            ),
            "Burstable"
        );
    }
}
