//! `chaosk8s.statefulset.actions`.

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
    ]
}
