//! `chaosk8s.statefulset.actions` and `chaosk8s.statefulset.probes`.

use chaos_pyvalue::Value;
use k8s_openapi::api::apps::v1::StatefulSet;

use crate::{workloads, Ctx, Function, Outcome, Rule};

/// `scale_statefulset(name, replicas, ns="default")`. Returns nothing.
pub async fn scale_statefulset(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::scale::<StatefulSet>(&ctx, "scale_statefulset", "statefulsets").await
}

/// `remove_statefulset(name=None, ns="default", label_selector=None)`.
pub async fn remove_statefulset(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::delete_matching::<StatefulSet>(&ctx, "statefulsets").await
}

/// `create_statefulset(spec_path, ns="default")`. Returns nothing.
pub async fn create_statefulset(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::create_from_spec::<StatefulSet>(&ctx, "create_statefulset", "statefulsets").await
}

/// `readyReplicas == replicas`, a missing count never equal to a number.
fn statefulset_ready(s: &StatefulSet) -> bool {
    let ready = s.status.as_ref().and_then(|s| s.ready_replicas);
    let wanted = s.spec.as_ref().and_then(|s| s.replicas);
    ready.is_some() && ready == wanted
}

async fn statefulset_has_state(
    ctx: Ctx<'_>,
    func: &str,
    wanted: bool,
    raise_flag: &str,
    failed_to: &str,
) -> Result<Value, Outcome> {
    // "microservice" is the reference's word here.
    let failure = workloads::TimeoutFailure {
        raise_flag,
        noun: "microservice",
        failed_to,
    };
    workloads::availability_probe(
        &ctx,
        func,
        "statefulsets",
        wanted,
        statefulset_ready,
        Some(failure),
    )
    .await
}

/// `statefulset_not_fully_available(name, ns="default", label_selector=None,
/// timeout=30, raise_on_fully_available=True)`.
pub async fn statefulset_not_fully_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    statefulset_has_state(
        ctx,
        "statefulset_not_fully_available",
        false,
        "raise_on_fully_available",
        "stop running",
    )
    .await
}

/// `statefulset_fully_available(name, ns="default", label_selector=None,
/// timeout=30, raise_on_not_fully_available=True)`.
pub async fn statefulset_fully_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    statefulset_has_state(
        ctx,
        "statefulset_fully_available",
        true,
        "raise_on_not_fully_available",
        "recover",
    )
    .await
}

const STATEFULSET_LIST_WATCH: Rule = Rule {
    group: "apps",
    resource: "statefulsets",
    verbs: &["list", "watch"],
};

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![
        Function {
            modules: &["chaosk8s.statefulset.actions"],
            name: "scale_statefulset",
            kind: "action",
            params: &[
                ("name", None),
                ("replicas", None),
                ("ns", Some("'default'")),
            ],
            rules: &[Rule {
                group: "apps",
                resource: "statefulsets",
                verbs: &["patch"],
            }],
            handler: handler!(scale_statefulset),
        },
        Function {
            modules: &["chaosk8s.statefulset.actions"],
            name: "remove_statefulset",
            kind: "action",
            params: &[
                ("name", Some("None")),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
            ],
            rules: &[Rule {
                group: "apps",
                resource: "statefulsets",
                verbs: &["list", "delete"],
            }],
            handler: handler!(remove_statefulset),
        },
        Function {
            modules: &["chaosk8s.statefulset.actions"],
            name: "create_statefulset",
            kind: "action",
            params: &[("spec_path", None), ("ns", Some("'default'"))],
            rules: &[Rule {
                group: "apps",
                resource: "statefulsets",
                verbs: &["create"],
            }],
            handler: handler!(create_statefulset),
        },
        Function {
            modules: &["chaosk8s.statefulset.probes"],
            name: "statefulset_not_fully_available",
            kind: "probe",
            params: &[
                ("name", None),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
                ("timeout", Some("30")),
                ("raise_on_fully_available", Some("True")),
            ],
            rules: &[STATEFULSET_LIST_WATCH],
            handler: handler!(statefulset_not_fully_available),
        },
        Function {
            modules: &["chaosk8s.statefulset.probes"],
            name: "statefulset_fully_available",
            kind: "probe",
            params: &[
                ("name", None),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
                ("timeout", Some("30")),
                ("raise_on_not_fully_available", Some("True")),
            ],
            rules: &[STATEFULSET_LIST_WATCH],
            handler: handler!(statefulset_fully_available),
        },
    ]
}
