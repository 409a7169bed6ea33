//! `chaosk8s.node.actions` and `chaosk8s.node.probes`: cordon, uncordon,
//! drain (through the Eviction API, so PodDisruptionBudgets are honoured),
//! delete, create, list.

use std::time::{Duration, Instant};

use chaos_pyvalue::Value;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, EvictParams, ListParams, Patch, PatchParams};
use kube::Resource;

use crate::{api_failure, quoting_failure, Ctx, Function, Outcome, Rule};

/// `_select_nodes`: by name, by label selector, both, or every node; then
/// optionally only the nodes running pods that match `pod_label_selector`
/// in `pod_namespace`; `first` or `count` (sampled with replacement, as the
/// reference's `random.choices`).
async fn select_nodes(ctx: &Ctx<'_>, first: bool) -> Result<Vec<Node>, Outcome> {
    let name = ctx.args.opt_str("name").filter(|s| !s.is_empty());
    let labels = ctx.args.opt_str("label_selector").filter(|s| !s.is_empty());
    let api: Api<Node> = Api::all(ctx.client());
    let mut params = ListParams::default();
    if let Some(n) = &name {
        params = params.fields(&format!("metadata.name={n}"));
    }
    if let Some(l) = &labels {
        params = params.labels(l);
    }
    let mut nodes = api
        .list(&params)
        .await
        .map_err(|e| api_failure(ctx, &e, "list", "nodes", None))?
        .items;
    let pod_labels = ctx
        .args
        .opt_str("pod_label_selector")
        .filter(|s| !s.is_empty());
    let pod_ns = ctx.args.opt_str("pod_namespace").filter(|s| !s.is_empty());
    if let (Some(pl), Some(pns)) = (pod_labels, pod_ns) {
        let pods: Api<Pod> = Api::namespaced(ctx.client(), &pns);
        let found = pods
            .list(&ListParams::default().labels(&pl))
            .await
            .map_err(|e| api_failure(ctx, &e, "list", "pods", Some(&pns)))?
            .items;
        // Once per matching pod, duplicates included, as the reference does.
        nodes = nodes
            .iter()
            .flat_map(|node| {
                let node_name = node.metadata.name.clone();
                found
                    .iter()
                    .filter(move |p| p.spec.as_ref().and_then(|s| s.node_name.clone()) == node_name)
                    .map(move |_| node.clone())
            })
            .collect();
    }
    if nodes.is_empty() {
        return Err(Outcome::Failed(
            "failed to find a node that matches selector".into(),
        ));
    }
    if first {
        nodes.truncate(1);
    } else if let Some(count) = ctx.args.opt_int("count") {
        let count = count.max(0) as usize;
        nodes = (0..count)
            .map(|_| nodes[crate::random_index(nodes.len())].clone())
            .collect();
    }
    Ok(nodes)
}

fn node_name(n: &Node) -> String {
    n.metadata.name.clone().unwrap_or_default()
}

async fn set_unschedulable(ctx: &Ctx<'_>, node: &str, value: bool) -> Result<(), Outcome> {
    let api: Api<Node> = Api::all(ctx.client());
    let body = serde_json::json!({"spec": {"unschedulable": value}});
    api.patch(node, &PatchParams::default(), &Patch::Strategic(&body))
        .await
        .map(|_| ())
        .map_err(|e| {
            let what = if value { "unschedule" } else { "schedule" };
            let what = format!("Failed to {what} node '{node}'");
            quoting_failure(ctx, &e, "patch", "nodes", None, &what)
        })
}

async fn mark(ctx: Ctx<'_>, unschedulable: bool) -> Result<Value, Outcome> {
    let nodes = select_nodes(&ctx, false).await?;
    let mut names = Vec::new();
    for node in &nodes {
        let name = node_name(node);
        set_unschedulable(&ctx, &name, unschedulable).await?;
        names.push(Value::String(name));
    }
    Ok(Value::Array(names))
}

/// `cordon_node(name=None, label_selector=None)`: the names cordoned.
pub async fn cordon_node(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    mark(ctx, true).await
}

/// `uncordon_node(name=None, label_selector=None)`: the names uncordoned.
pub async fn uncordon_node(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    mark(ctx, false).await
}

/// What a drain does with a pod of the node.
enum Verdict {
    Evict,
    Skip,
}

fn classify(pod: &Pod, node: &str, local_storage: bool) -> Result<Verdict, Outcome> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    if pod
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"))
    {
        return Ok(Verdict::Skip);
    }
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
    if volumes.is_some_and(|v| v.iter().any(|v| v.empty_dir.is_some())) {
        return Ok(if local_storage {
            Verdict::Evict
        } else {
            Verdict::Skip
        });
    }
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if matches!(phase, Some("Succeeded" | "Failed")) {
        return Ok(Verdict::Evict);
    }
    for owner in pod.metadata.owner_references.iter().flatten() {
        if owner.kind == "DaemonSet" {
            return Ok(Verdict::Skip);
        }
        if owner.controller == Some(true) {
            return Ok(Verdict::Evict);
        }
    }
    // The reference means to say this for every unmanaged pod; for a pod
    // with no owner at all it crashes with a TypeError instead.
    Err(Outcome::Failed(format!(
        "Pod '{name}' on node '{node}' is unmanaged, cannot drain this node. Delete it manually first?"
    )))
}

/// `drain_nodes(name=None, label_selector=None,
/// delete_pods_with_local_storage=False, timeout=120, count=None,
/// pod_label_selector=None, pod_namespace=None)`: cordons the selected
/// nodes, then node by node evicts its pods (DaemonSet and mirror pods
/// skipped) and waits up to `timeout` seconds for them to be gone. An
/// eviction refused (a PodDisruptionBudget answers 429) fails the action at
/// once, as in the reference, unless `retry_refused_evictions` (our own
/// `kubernetes` provider type only) asks to retry it the way `kubectl drain`
/// does, until `timeout` runs out. Returns the nodes' names.
pub async fn drain_nodes(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let local_storage = ctx.args.bool_or("delete_pods_with_local_storage", false);
    let timeout = Duration::from_secs_f64(ctx.args.seconds_or("timeout", 120.0).max(0.0));
    let nodes = select_nodes(&ctx, false).await?;
    for node in &nodes {
        set_unschedulable(&ctx, &node_name(node), true).await?;
    }
    let retry = ctx.args.bool_or("retry_refused_evictions", false);
    let all_pods: Api<Pod> = Api::all(ctx.client());
    for node in &nodes {
        let node_started = Instant::now();
        let node = node_name(node);
        let on_node = all_pods
            .list(&ListParams::default().fields(&format!("spec.nodeName={node}")))
            .await
            .map_err(|e| api_failure(&ctx, &e, "list", "pods", None))?
            .items;
        let mut evicted = Vec::new();
        for pod in &on_node {
            if let Verdict::Evict = classify(pod, &node, local_storage)? {
                evicted.push(pod);
            }
        }
        for pod in &evicted {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let ns = pod
                .metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "default".into());
            let api: Api<Pod> = Api::namespaced(ctx.client(), &ns);
            loop {
                match api.evict(&name, &EvictParams::default()).await {
                    Ok(_) => break,
                    Err(kube::Error::Api(r))
                        if r.code == 429 && retry && node_started.elapsed() < timeout =>
                    {
                        tokio::select! {
                            _ = tokio::time::sleep(EVICTION_RETRY_PERIOD) => {}
                            _ = ctx.cancel.cancelled() => return Err(Outcome::Cancelled),
                        }
                    }
                    Err(e) => {
                        let what = format!("Failed to evict pod {name}");
                        return Err(quoting_failure(
                            &ctx,
                            &e,
                            "create",
                            "pods/eviction",
                            Some(&ns),
                            &what,
                        ));
                    }
                }
            }
        }
        wait_until_gone(&ctx, &evicted, timeout).await?;
    }
    Ok(Value::Array(
        nodes.iter().map(|n| Value::String(node_name(n))).collect(),
    ))
}

/// How long `retry_refused_evictions` waits before asking again (kubectl
/// drain waits 5 s; a budget usually frees up within a pod start).
const EVICTION_RETRY_PERIOD: Duration = Duration::from_secs(2);

/// Polls every 10 s (the reference's period) until each evicted pod is gone
/// or was replaced by one with the same name and a new uid.
async fn wait_until_gone(
    ctx: &Ctx<'_>,
    evicted: &[&Pod],
    timeout: Duration,
) -> Result<(), Outcome> {
    let started = Instant::now();
    let mut remaining: Vec<&Pod> = evicted.to_vec();
    loop {
        if started.elapsed() > timeout {
            let names: Vec<String> = remaining
                .iter()
                .map(|p| p.metadata.name.clone().unwrap_or_default())
                .collect();
            return Err(Outcome::Failed(format!(
                "Draining nodes did not completed within {}s. Remaining pods are:\n{}",
                timeout.as_secs(),
                names.join("\n")
            )));
        }
        let mut still = Vec::new();
        for pod in remaining {
            let ns = pod
                .metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "default".into());
            let name = pod.metadata.name.clone().unwrap_or_default();
            let api: Api<Pod> = Api::namespaced(ctx.client(), &ns);
            match api.get_opt(&name).await {
                Ok(None) => {}
                Ok(Some(now)) if now.metadata.uid != pod.metadata.uid => {}
                _ => still.push(pod),
            }
        }
        if still.is_empty() {
            return Ok(());
        }
        remaining = still;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(10)) => {}
            _ = ctx.cancel.cancelled() => return Err(Outcome::Cancelled),
        }
    }
}

/// Each node's conditions as `{"name": <node>, <type>: <status>, ...}`, in
/// list order (the extension's `get_all_node_status_conditions`).
async fn node_conditions(ctx: &Ctx<'_>) -> Result<Vec<chaos_pyvalue::Map<String, Value>>, Outcome> {
    let api: Api<Node> = Api::all(ctx.client());
    let mut params = ListParams::default();
    if let Some(l) = ctx.args.opt_str("label_selector").filter(|s| !s.is_empty()) {
        params = params.labels(&l);
    }
    let nodes = api
        .list(&params)
        .await
        .map_err(|e| api_failure(ctx, &e, "list", "nodes", None))?
        .items;
    Ok(nodes
        .iter()
        .map(|n| {
            let mut m = chaos_pyvalue::Map::new();
            m.insert("name".into(), Value::String(node_name(n)));
            for c in n
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .into_iter()
                .flatten()
            {
                m.insert(c.type_.clone(), Value::String(c.status.clone()));
            }
            m
        })
        .collect())
}

/// `get_all_node_status_conditions(label_selector=None)`.
pub async fn get_all_node_status_conditions(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    Ok(Value::Array(
        node_conditions(&ctx)
            .await?
            .into_iter()
            .map(Value::Object)
            .collect(),
    ))
}

/// `all_nodes_must_be_ready_to_schedule(label_selector=None)`: every node's
/// `Ready` condition is `True` (cordoned nodes pass, as in the reference).
pub async fn all_nodes_must_be_ready_to_schedule(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let nodes = node_conditions(&ctx).await?;
    Ok(Value::Bool(nodes.iter().all(|n| {
        n.get("Ready").and_then(Value::as_str) == Some("True")
    })))
}

/// `verify_nodes_condition(condition_type="PIDPressure",
/// condition_value="False", label_selector=None)`: every node reports the
/// condition with that value (a node lacking it fails).
pub async fn verify_nodes_condition(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ty = ctx.args.str_or("condition_type", "PIDPressure");
    let value = ctx.args.str_or("condition_value", "False");
    let nodes = node_conditions(&ctx).await?;
    Ok(Value::Bool(nodes.iter().all(|n| {
        n.get(&ty).and_then(Value::as_str) == Some(value.as_str())
    })))
}

/// `nodes_must_be_healthy(label_selector=None)`: no node reports a problem
/// condition, among those it reports (a node without `Ready` passes).
pub async fn nodes_must_be_healthy(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    const HEALTHY: [(&str, &str); 12] = [
        ("FrequentKubeletRestart", "False"),
        ("FrequentDockerRestart", "False"),
        ("FrequentContainerdRestart", "False"),
        ("ReadonlyFilesystem", "False"),
        ("KernelDeadlock", "False"),
        ("CorruptDockerOverlay2", "False"),
        ("FrequentUnregisterNetDevice", "False"),
        ("NetworkUnavailable", "False"),
        ("MemoryPressure", "False"),
        ("DiskPressure", "False"),
        ("PIDPressure", "False"),
        ("Ready", "True"),
    ];
    let nodes = node_conditions(&ctx).await?;
    Ok(Value::Bool(nodes.iter().all(|n| {
        HEALTHY.iter().all(|(ty, want)| {
            n.get(*ty)
                .and_then(Value::as_str)
                .is_none_or(|got| got == *want)
        })
    })))
}

/// `get_nodes(label_selector=None)`: the NodeList as the API sent it.
pub async fn get_nodes(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let mut path = "/api/v1/nodes".to_string();
    if let Some(l) = ctx.args.opt_str("label_selector").filter(|s| !s.is_empty()) {
        path.push_str("?labelSelector=");
        path.push_str(&crate::query_escape(&l));
    }
    ctx.raw_get(&path, "list", "nodes", None).await
}

/// `delete_nodes(label_selector=None, all=False, rand=False, count=None,
/// grace_period_seconds=None, pod_label_selector=None,
/// pod_namespace=None)`: deletes (without draining) the first selected
/// node, or one at random (`rand`), or `count` random picks (with
/// replacement: a node picked twice fails the second delete with a 404).
/// Returns the names of the nodes the server reported deleted.
pub async fn delete_nodes(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    if ctx.args.bool_or("all", false) {
        // The reference unpacks `None` into four names here and always
        // dies; `all=True` cannot work there either.
        return Err(Outcome::Failed(
            "TypeError: cannot unpack non-iterable NoneType object (delete_nodes cannot delete all nodes)"
                .into(),
        ));
    }
    let rand = ctx.args.bool_or("rand", false);
    let count = if rand {
        Some(1)
    } else {
        ctx.args.opt_int("count")
    };
    let first = !rand && count.is_none_or(|c| c < 1);
    let mut values = chaos_pyvalue::Map::new();
    for key in ["label_selector", "pod_label_selector", "pod_namespace"] {
        if let Some(v) = ctx.args.value(key) {
            values.insert(key.into(), v.clone());
        }
    }
    if let Some(c) = count {
        values.insert("count".into(), Value::from(c));
    }
    let nodes = select_nodes(&crate::legacy::with_args(&ctx, &values), first).await?;
    let mut params = DeleteParams::default();
    if let Some(g) = ctx.args.opt_int("grace_period_seconds") {
        params = params.grace_period(g.max(0) as u32);
    }
    let api: Api<Node> = Api::all(ctx.client());
    let mut deleted = Vec::new();
    for node in &nodes {
        let name = node_name(node);
        let answer = api
            .delete(&name, &params)
            .await
            .map_err(|e| api_failure(&ctx, &e, "delete", "nodes", None))?;
        // Only a Success Status counts, as in the reference (which cannot
        // read a Node answer as one).
        if answer
            .right()
            .is_some_and(|s| s.status == Some(kube::core::response::StatusSummary::Success))
        {
            deleted.push(Value::String(name));
        }
    }
    Ok(Value::Array(deleted))
}

/// The Python client's attribute names for `V1ObjectMeta` and `V1NodeSpec`
/// (what `create_node`'s `meta` and `spec` keys must be), with their JSON
/// names.
const META_KEYS: &[(&str, &str)] = &[
    ("annotations", "annotations"),
    ("creation_timestamp", "creationTimestamp"),
    (
        "deletion_grace_period_seconds",
        "deletionGracePeriodSeconds",
    ),
    ("deletion_timestamp", "deletionTimestamp"),
    ("finalizers", "finalizers"),
    ("generate_name", "generateName"),
    ("generation", "generation"),
    ("labels", "labels"),
    ("managed_fields", "managedFields"),
    ("name", "name"),
    ("namespace", "namespace"),
    ("owner_references", "ownerReferences"),
    ("resource_version", "resourceVersion"),
    ("self_link", "selfLink"),
    ("uid", "uid"),
];
const NODE_SPEC_KEYS: &[(&str, &str)] = &[
    ("config_source", "configSource"),
    ("external_id", "externalID"),
    ("pod_cidr", "podCIDR"),
    ("pod_cidrs", "podCIDRs"),
    ("provider_id", "providerID"),
    ("taints", "taints"),
    ("unschedulable", "unschedulable"),
];

/// A `meta`/`spec` argument as the Python model would serialise it: its
/// snake_case attribute names renamed, an unknown one refused the way
/// `__init__` refuses it, nulls left out.
fn model(
    arg: Option<&Value>,
    keys: &[(&str, &str)],
) -> Result<Option<chaos_pyvalue::Map<String, Value>>, Outcome> {
    let Some(arg) = arg.filter(|v| chaos_pyvalue::py_truthy(v)) else {
        return Ok(None);
    };
    let Value::Object(fields) = arg else {
        return Err(Outcome::Failed(format!(
            "TypeError: argument after ** must be a mapping, not {}",
            chaos_pyvalue::py_type_name(arg)
        )));
    };
    let mut out = chaos_pyvalue::Map::new();
    for (key, value) in fields {
        let Some((_, json)) = keys.iter().find(|(py, _)| py == key) else {
            return Err(Outcome::Failed(format!(
                "TypeError: __init__() got an unexpected keyword argument '{key}'"
            )));
        };
        if !value.is_null() {
            out.insert((*json).into(), value.clone());
        }
    }
    Ok(Some(out))
}

/// `create_node(meta=None, spec=None)`: `meta` and `spec` use the Python
/// client's snake_case attribute names (`pod_cidr`, `provider_id`, ...).
/// Returns the created Node as the API server answered it.
pub async fn create_node(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let mut body = chaos_pyvalue::Map::new();
    if let Some(meta) = model(ctx.args.value("meta"), META_KEYS)? {
        body.insert("metadata".into(), Value::Object(meta));
    }
    if let Some(spec) = model(ctx.args.value("spec"), NODE_SPEC_KEYS)? {
        body.insert("spec".into(), Value::Object(spec));
    }
    let request = http::Request::post(Node::url_path(&(), None))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(&body).map_err(|e| Outcome::Failed(e.to_string()))?)
        .map_err(|e| Outcome::Failed(e.to_string()))?;
    ctx.client().request::<Value>(request).await.map_err(|e| {
        quoting_failure(
            &ctx,
            &e,
            "create",
            "nodes",
            None,
            "Creating new node failed",
        )
    })
}

const NODE_LIST: Rule = Rule {
    group: "",
    resource: "nodes",
    verbs: &["list"],
};
const NODE_LIST_PATCH: Rule = Rule {
    group: "",
    resource: "nodes",
    verbs: &["list", "patch"],
};

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![
        Function {
            modules: &["chaosk8s.node.probes"],
            name: "get_all_node_status_conditions",
            kind: "probe",
            params: &[("label_selector", Some("None"))],
            rules: &[NODE_LIST],
            handler: handler!(get_all_node_status_conditions),
        },
        Function {
            modules: &["chaosk8s.node.probes"],
            name: "verify_nodes_condition",
            kind: "probe",
            params: &[
                ("condition_type", Some("'PIDPressure'")),
                ("condition_value", Some("'False'")),
                ("label_selector", Some("None")),
            ],
            rules: &[NODE_LIST],
            handler: handler!(verify_nodes_condition),
        },
        Function {
            modules: &["chaosk8s.node.probes"],
            name: "nodes_must_be_healthy",
            kind: "probe",
            params: &[("label_selector", Some("None"))],
            rules: &[NODE_LIST],
            handler: handler!(nodes_must_be_healthy),
        },
        Function {
            modules: &["chaosk8s.node.probes"],
            name: "all_nodes_must_be_ready_to_schedule",
            kind: "probe",
            params: &[("label_selector", Some("None"))],
            rules: &[NODE_LIST],
            handler: handler!(all_nodes_must_be_ready_to_schedule),
        },
        Function {
            modules: &["chaosk8s.node.actions"],
            name: "cordon_node",
            kind: "action",
            params: &[("name", Some("None")), ("label_selector", Some("None"))],
            rules: &[NODE_LIST_PATCH],
            handler: handler!(cordon_node),
        },
        Function {
            modules: &["chaosk8s.node.actions"],
            name: "uncordon_node",
            kind: "action",
            params: &[("name", Some("None")), ("label_selector", Some("None"))],
            rules: &[NODE_LIST_PATCH],
            handler: handler!(uncordon_node),
        },
        Function {
            modules: &["chaosk8s.node.actions"],
            name: "drain_nodes",
            kind: "action",
            params: &[
                ("name", Some("None")),
                ("label_selector", Some("None")),
                ("delete_pods_with_local_storage", Some("False")),
                ("timeout", Some("120")),
                ("count", Some("None")),
                ("pod_label_selector", Some("None")),
                ("pod_namespace", Some("None")),
            ],
            rules: &[
                NODE_LIST_PATCH,
                Rule {
                    group: "",
                    resource: "pods",
                    verbs: &["get", "list"],
                },
                Rule {
                    group: "",
                    resource: "pods/eviction",
                    verbs: &["create"],
                },
            ],
            handler: handler!(drain_nodes),
        },
        Function {
            modules: &["chaosk8s.node.probes"],
            name: "get_nodes",
            kind: "probe",
            params: &[("label_selector", Some("None"))],
            rules: &[NODE_LIST],
            handler: handler!(get_nodes),
        },
        Function {
            modules: &["chaosk8s.node.actions"],
            name: "delete_nodes",
            kind: "action",
            params: &[
                ("label_selector", Some("None")),
                ("all", Some("False")),
                ("rand", Some("False")),
                ("count", Some("None")),
                ("grace_period_seconds", Some("None")),
                ("pod_label_selector", Some("None")),
                ("pod_namespace", Some("None")),
            ],
            rules: &[
                Rule {
                    group: "",
                    resource: "nodes",
                    verbs: &["list", "delete"],
                },
                // Only with the pod filter (in `pod_namespace`).
                Rule {
                    group: "",
                    resource: "pods",
                    verbs: &["list"],
                },
            ],
            handler: handler!(delete_nodes),
        },
        Function {
            modules: &["chaosk8s.node.actions"],
            name: "create_node",
            kind: "action",
            params: &[("meta", Some("None")), ("spec", Some("None"))],
            rules: &[Rule {
                group: "",
                resource: "nodes",
                verbs: &["create"],
            }],
            handler: handler!(create_node),
        },
    ]
}
