//! `chaosk8s.daemonset.actions` and `chaosk8s.daemonset.probes`. The probes
//! never raise on purpose: a problem is `False`.

use chaos_pyvalue::Value;
use k8s_openapi::api::apps::v1::DaemonSet;

use kube::Resource;

use crate::{quoting_failure, workloads, Ctx, Function, Outcome, Rule};

/// `create_daemon_set(spec_path, ns="default")`. Returns nothing.
pub async fn create_daemon_set(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::create_from_spec::<DaemonSet>(&ctx, "create_daemon_set", "daemonsets").await
}

/// `delete_daemon_set(name=None, ns="default", label_selector=None)`.
pub async fn delete_daemon_set(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::delete_matching::<DaemonSet>(&ctx, "daemonsets").await
}

/// `update_daemon_set(name, spec, ns="default")`: `spec` is the whole
/// patch document (`{"spec": {"template": ...}}`), a strategic merge patch,
/// or a JSON patch when it is a list. Returns nothing.
pub async fn update_daemon_set(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "update_daemon_set")?;
    let spec = ctx.args.value("spec").ok_or_else(|| {
        Outcome::Failed("update_daemon_set() missing 1 required positional argument: 'spec'".into())
    })?;
    let ns = ctx.args.str_or("ns", "default");
    // A list goes out as a JSON patch, anything else as a strategic merge
    // patch, as the Python client's `rest.py` decides.
    let content_type = if spec.is_array() {
        "application/json-patch+json"
    } else {
        "application/strategic-merge-patch+json"
    };
    let url = format!("{}/{name}", DaemonSet::url_path(&(), Some(&ns)));
    let request = http::Request::patch(url)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(serde_json::to_vec(spec).map_err(|e| Outcome::Failed(e.to_string()))?)
        .map_err(|e| Outcome::Failed(e.to_string()))?;
    let result = ctx.client().request::<serde_json::Value>(request).await;
    result.map_err(|e| {
        let what = format!("failed to update daemon set '{name}'");
        quoting_failure(&ctx, &e, "patch", "daemonsets", Some(&ns), &what)
    })?;
    Ok(Value::Null)
}

async fn list_by_name(ctx: &Ctx<'_>, func: &str) -> Result<Vec<DaemonSet>, Outcome> {
    Ok(workloads::list_named::<DaemonSet>(ctx, func, "daemonsets")
        .await?
        .1)
}

/// `numberReady == desiredNumberScheduled`; a daemon set with no status yet
/// is not ready.
fn daemon_set_ready(d: &DaemonSet) -> bool {
    d.status
        .as_ref()
        .is_some_and(|s| s.number_ready == s.desired_number_scheduled)
}

fn number_ready(d: &DaemonSet) -> i32 {
    d.status.as_ref().map_or(0, |s| s.number_ready)
}

/// `daemon_set_available_and_healthy(name, ns="default",
/// label_selector=None)`: found, and every pod it wants is ready.
pub async fn daemon_set_available_and_healthy(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let found = list_by_name(&ctx, "daemon_set_available_and_healthy").await?;
    Ok(Value::Bool(
        !found.is_empty() && found.iter().all(daemon_set_ready),
    ))
}

/// `daemon_set_partially_available(name, ns="default",
/// label_selector=None)`: the first match has at least one ready pod.
pub async fn daemon_set_partially_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let found = list_by_name(&ctx, "daemon_set_partially_available").await?;
    Ok(Value::Bool(
        found.first().is_some_and(|d| number_ready(d) >= 1),
    ))
}

async fn daemon_set_has_state(ctx: Ctx<'_>, func: &str, wanted: bool) -> Result<Value, Outcome> {
    workloads::availability_probe(&ctx, func, "daemonsets", wanted, daemon_set_ready, None).await
}

/// `daemon_set_not_fully_available(name, ns="default", label_selector=None,
/// timeout=30)`: waits (by watch) until a pod it wants is not ready.
pub async fn daemon_set_not_fully_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    daemon_set_has_state(ctx, "daemon_set_not_fully_available", false).await
}

/// `daemon_set_fully_available(name, ns="default", label_selector=None,
/// timeout=30)`: waits (by watch) until every pod it wants is ready.
pub async fn daemon_set_fully_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    daemon_set_has_state(ctx, "daemon_set_fully_available", true).await
}

const DAEMONSET_LIST: Rule = Rule {
    group: "apps",
    resource: "daemonsets",
    verbs: &["list"],
};
const DAEMONSET_LIST_WATCH: Rule = Rule {
    group: "apps",
    resource: "daemonsets",
    verbs: &["list", "watch"],
};
const PROBE_PARAMS: &[(&str, Option<&str>)] = &[
    ("name", None),
    ("ns", Some("'default'")),
    ("label_selector", Some("None")),
];
const WATCH_PARAMS: &[(&str, Option<&str>)] = &[
    ("name", None),
    ("ns", Some("'default'")),
    ("label_selector", Some("None")),
    ("timeout", Some("30")),
];

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![
        Function {
            modules: &["chaosk8s.daemonset.actions"],
            name: "create_daemon_set",
            kind: "action",
            params: &[("spec_path", None), ("ns", Some("'default'"))],
            rules: &[Rule {
                group: "apps",
                resource: "daemonsets",
                verbs: &["create"],
            }],
            handler: handler!(create_daemon_set),
        },
        Function {
            modules: &["chaosk8s.daemonset.actions"],
            name: "delete_daemon_set",
            kind: "action",
            params: &[
                ("name", Some("None")),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
            ],
            rules: &[Rule {
                group: "apps",
                resource: "daemonsets",
                verbs: &["list", "delete"],
            }],
            handler: handler!(delete_daemon_set),
        },
        Function {
            modules: &["chaosk8s.daemonset.actions"],
            name: "update_daemon_set",
            kind: "action",
            params: &[("name", None), ("spec", None), ("ns", Some("'default'"))],
            rules: &[Rule {
                group: "apps",
                resource: "daemonsets",
                verbs: &["patch"],
            }],
            handler: handler!(update_daemon_set),
        },
        Function {
            modules: &["chaosk8s.daemonset.probes"],
            name: "daemon_set_available_and_healthy",
            kind: "probe",
            params: PROBE_PARAMS,
            rules: &[DAEMONSET_LIST],
            handler: handler!(daemon_set_available_and_healthy),
        },
        Function {
            modules: &["chaosk8s.daemonset.probes"],
            name: "daemon_set_partially_available",
            kind: "probe",
            params: PROBE_PARAMS,
            rules: &[DAEMONSET_LIST],
            handler: handler!(daemon_set_partially_available),
        },
        Function {
            modules: &["chaosk8s.daemonset.probes"],
            name: "daemon_set_not_fully_available",
            kind: "probe",
            params: WATCH_PARAMS,
            rules: &[DAEMONSET_LIST_WATCH],
            handler: handler!(daemon_set_not_fully_available),
        },
        Function {
            modules: &["chaosk8s.daemonset.probes"],
            name: "daemon_set_fully_available",
            kind: "probe",
            params: WATCH_PARAMS,
            rules: &[DAEMONSET_LIST_WATCH],
            handler: handler!(daemon_set_fully_available),
        },
    ]
}
