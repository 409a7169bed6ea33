//! `chaosk8s.statefulset.actions`.

use chaos_pyvalue::Value;
use k8s_openapi::api::apps::v1::StatefulSet;

use crate::{workloads, Ctx, Outcome};

/// `scale_statefulset(name, replicas, ns="default")`. Returns nothing.
pub async fn scale_statefulset(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::scale::<StatefulSet>(&ctx, "scale_statefulset", "statefulsets").await
}

/// `remove_statefulset(name=None, ns="default", label_selector=None)`.
pub async fn remove_statefulset(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    workloads::delete_matching::<StatefulSet>(&ctx, "statefulsets").await
}
