//! `chaosk8s.deployment.actions` and `chaosk8s.deployment.probes`.

use chaos_pyvalue::Value;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};

use crate::{quoting_failure, verdict, workloads, Ctx, Function, Outcome, Rule};

/// `scale_deployment(name, replicas, ns="default")`: patches the
/// deployment's `spec.replicas`. Returns nothing.
pub async fn scale_deployment(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::scale::<Deployment>(&ctx, "scale_deployment", "deployments").await
}

/// `deployment_available_and_healthy(name, ns="default",
/// label_selector=None, raise_on_unavailable=True)`: the deployment exists
/// and all its replicas are available.
pub async fn deployment_available_and_healthy(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let raise = ctx.args.bool_or("raise_on_unavailable", true);
    let (name, found) = workloads::list_named::<Deployment>(
        &ctx,
        "deployment_available_and_healthy",
        "deployments",
    )
    .await?;
    let problem = if found.is_empty() {
        Some(format!("Deployment '{name}' was not found"))
    } else {
        // A missing `availableReplicas` is Python's None, never equal to
        // `spec.replicas`: a deployment scaled to 0 is unhealthy.
        found
            .iter()
            .any(|d| {
                let available = d.status.as_ref().and_then(|s| s.available_replicas);
                let wanted = d.spec.as_ref().and_then(|s| s.replicas);
                available.is_none() || available != wanted
            })
            .then(|| format!("Deployment '{name}' is not healthy"))
    };
    verdict(problem, raise)
}

/// `delete_deployment(name=None, ns="default", label_selector=None)`.
pub async fn delete_deployment(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::delete_matching::<Deployment>(&ctx, "deployments").await
}

/// `rollout_deployment(name, ns="default")`: `kubectl rollout restart`, by
/// the `kubectl.kubernetes.io/restartedAt` annotation of the pod template.
pub async fn rollout_deployment(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.str_or("name", "None");
    let ns = ctx.args.str_or("ns", "default");
    // The reference's odd stamp: ISO time with an offset *and* a `Z`.
    let now = format!(
        "{}Z",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
    );
    let body = serde_json::json!({"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": now
    }}}}});
    let api: Api<Deployment> = Api::namespaced(ctx.client(), &ns);
    api.patch(&name, &PatchParams::default(), &Patch::Strategic(&body))
        .await
        .map_err(|e| {
            let what = format!("failed to rollout the deployment '{name}'! Error");
            quoting_failure(&ctx, &e, "patch", "deployments", Some(&ns), &what)
        })?;
    Ok(Value::Null)
}

/// `create_deployment(spec_path, ns="default")`. Returns nothing.
pub async fn create_deployment(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::create_from_spec::<Deployment>(&ctx, "create_deployment", "deployments").await
}

/// `deployment_partially_available(name, ns="default", label_selector=None,
/// raise_on_not_partially_available=True)`: the first matching deployment
/// has at least one available replica.
pub async fn deployment_partially_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let raise = ctx.args.bool_or("raise_on_not_partially_available", true);
    let (name, found) =
        workloads::list_named::<Deployment>(&ctx, "deployment_partially_available", "deployments")
            .await?;
    let Some(first) = found.first() else {
        return verdict(Some(format!("Deployment '{name}' was not found")), raise);
    };
    match first.status.as_ref().and_then(|s| s.available_replicas) {
        Some(n) if n >= 1 => Ok(Value::Bool(true)),
        Some(_) => verdict(Some(format!("Deployment '{name}' is not healthy")), raise),
        // The reference compares `None >= 1` here and dies with a
        // TypeError, whatever `raise_on_not_partially_available` says.
        None => Err(Outcome::Failed(format!(
            "TypeError: '>=' not supported between instances of 'NoneType' and 'int' \
             (deployment '{name}' reports no available replicas)"
        ))),
    }
}

/// A deployment is ready when `readyReplicas == replicas`, a missing
/// count never equal to a number (scaled to 0 is "not ready").
fn deployment_ready(d: &Deployment) -> bool {
    let ready = d.status.as_ref().and_then(|s| s.ready_replicas);
    let wanted = d.spec.as_ref().and_then(|s| s.replicas);
    ready.is_some() && ready == wanted
}

async fn deployment_has_state(
    ctx: Ctx<'_>,
    func: &str,
    wanted: bool,
    raise_flag: &str,
    failed_to: &str,
) -> Result<Value, Outcome> {
    let failure = workloads::TimeoutFailure {
        raise_flag,
        noun: "deployment",
        failed_to,
    };
    workloads::availability_probe(
        &ctx,
        func,
        "deployments",
        wanted,
        deployment_ready,
        Some(failure),
    )
    .await
}

/// `deployment_not_fully_available(name, ns="default", label_selector=None,
/// timeout=30, raise_on_fully_available=True)`: waits (by watch) until the
/// deployment is not fully ready.
pub async fn deployment_not_fully_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    deployment_has_state(
        ctx,
        "deployment_not_fully_available",
        false,
        "raise_on_fully_available",
        "stop running",
    )
    .await
}

/// `deployment_fully_available(name, ns="default", label_selector=None,
/// timeout=30, raise_on_not_fully_available=True)`: waits (by watch) until
/// every replica of the deployment is ready.
pub async fn deployment_fully_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    deployment_has_state(
        ctx,
        "deployment_fully_available",
        true,
        "raise_on_not_fully_available",
        "recover",
    )
    .await
}

const DEPLOYMENT_LIST_WATCH: Rule = Rule {
    group: "apps",
    resource: "deployments",
    verbs: &["list", "watch"],
};

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![
        Function {
            modules: &["chaosk8s.deployment.actions", "chaosk8s.actions"],
            name: "scale_deployment",
            kind: "action",
            params: &[
                ("name", None),
                ("replicas", None),
                ("ns", Some("'default'")),
            ],
            rules: &[Rule {
                group: "apps",
                resource: "deployments",
                verbs: &["patch"],
            }],
            handler: handler!(scale_deployment),
        },
        Function {
            modules: &["chaosk8s.deployment.probes", "chaosk8s.probes"],
            name: "deployment_available_and_healthy",
            kind: "probe",
            params: &[
                ("name", None),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
                ("raise_on_unavailable", Some("True")),
            ],
            rules: &[Rule {
                group: "apps",
                resource: "deployments",
                verbs: &["list"],
            }],
            handler: handler!(deployment_available_and_healthy),
        },
        Function {
            modules: &["chaosk8s.deployment.actions", "chaosk8s.actions"],
            name: "delete_deployment",
            kind: "action",
            params: &[
                ("name", Some("None")),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
            ],
            rules: &[Rule {
                group: "apps",
                resource: "deployments",
                verbs: &["list", "delete"],
            }],
            handler: handler!(delete_deployment),
        },
        Function {
            modules: &["chaosk8s.deployment.actions"],
            name: "rollout_deployment",
            kind: "action",
            params: &[("name", Some("None")), ("ns", Some("'default'"))],
            rules: &[Rule {
                group: "apps",
                resource: "deployments",
                verbs: &["patch"],
            }],
            handler: handler!(rollout_deployment),
        },
        Function {
            modules: &["chaosk8s.deployment.actions", "chaosk8s.actions"],
            name: "create_deployment",
            kind: "action",
            params: &[("spec_path", None), ("ns", Some("'default'"))],
            rules: &[Rule {
                group: "apps",
                resource: "deployments",
                verbs: &["create"],
            }],
            handler: handler!(create_deployment),
        },
        Function {
            modules: &["chaosk8s.deployment.probes"],
            name: "deployment_partially_available",
            kind: "probe",
            params: &[
                ("name", None),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
                ("raise_on_not_partially_available", Some("True")),
            ],
            rules: &[Rule {
                group: "apps",
                resource: "deployments",
                verbs: &["list"],
            }],
            handler: handler!(deployment_partially_available),
        },
        Function {
            modules: &["chaosk8s.deployment.probes", "chaosk8s.probes"],
            name: "deployment_not_fully_available",
            kind: "probe",
            params: &[
                ("name", None),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
                ("timeout", Some("30")),
                ("raise_on_fully_available", Some("True")),
            ],
            rules: &[DEPLOYMENT_LIST_WATCH],
            handler: handler!(deployment_not_fully_available),
        },
        Function {
            modules: &["chaosk8s.deployment.probes", "chaosk8s.probes"],
            name: "deployment_fully_available",
            kind: "probe",
            params: &[
                ("name", None),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
                ("timeout", Some("30")),
                ("raise_on_not_fully_available", Some("True")),
            ],
            rules: &[DEPLOYMENT_LIST_WATCH],
            handler: handler!(deployment_fully_available),
        },
    ]
}
