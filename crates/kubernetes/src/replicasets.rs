//! `chaosk8s.replicaset.actions` (there is no probes module).

use chaos_pyvalue::Value;
use k8s_openapi::api::apps::v1::ReplicaSet;

use crate::{workloads, Ctx, Function, Outcome, Rule};

/// `delete_replica_set(name=None, ns="default", label_selector=None)`: by
/// name (the selector then ignored), else by selector, else every one of
/// the namespace. Returns nothing.
pub async fn delete_replica_set(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::delete_matching::<ReplicaSet>(&ctx, "replicasets").await
}

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![Function {
        modules: &["chaosk8s.replicaset.actions", "chaosk8s.actions"],
        name: "delete_replica_set",
        kind: "action",
        params: &[
            ("name", Some("None")),
            ("ns", Some("'default'")),
            ("label_selector", Some("None")),
        ],
        rules: &[Rule {
            group: "apps",
            resource: "replicasets",
            verbs: &["list", "delete"],
        }],
        handler: handler!(delete_replica_set),
    }]
}
