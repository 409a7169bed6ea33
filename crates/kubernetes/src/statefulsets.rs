//! `chaosk8s.statefulset.actions`.

use chaos_pyvalue::Value;
use k8s_openapi::api::apps::v1::StatefulSet;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};

use crate::{api_failure, status_body, Ctx, Outcome};

/// `scale_statefulset(name, replicas, ns="default")`. Returns nothing.
pub async fn scale_statefulset(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "scale_statefulset")?;
    let replicas = ctx.args.opt_int("replicas").ok_or_else(|| {
        Outcome::Failed(
            "scale_statefulset() missing 1 required positional argument: 'replicas'".into(),
        )
    })?;
    let ns = ctx.args.str_or("ns", "default");
    let api: Api<StatefulSet> = Api::namespaced(ctx.client(), &ns);
    let body = serde_json::json!({"spec": {"replicas": replicas}});
    match api
        .patch(&name, &PatchParams::default(), &Patch::Strategic(&body))
        .await
    {
        Ok(_) => Ok(Value::Null),
        Err(kube::Error::Api(r)) if r.code == 403 => Err(api_failure(
            &ctx,
            &kube::Error::Api(r),
            "patch",
            "statefulsets",
            Some(&ns),
        )),
        Err(e) => Err(Outcome::Failed(format!(
            "failed to scale '{name}' to {replicas} replicas: {}",
            status_body(&e)
        ))),
    }
}

/// `remove_statefulset(name=None, ns="default", label_selector=None)`: by
/// name (selector ignored), else by selector, else all in the namespace.
pub async fn remove_statefulset(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ns = ctx.args.str_or("ns", "default");
    let mut params = ListParams::default();
    if let Some(name) = ctx.args.opt_str("name").filter(|s| !s.is_empty()) {
        params = params.fields(&format!("metadata.name={name}"));
    } else if let Some(l) = ctx.args.opt_str("label_selector").filter(|s| !s.is_empty()) {
        params = params.labels(&l);
    }
    let api: Api<StatefulSet> = Api::namespaced(ctx.client(), &ns);
    let found = api
        .list(&params)
        .await
        .map_err(|e| api_failure(&ctx, &e, "list", "statefulsets", Some(&ns)))?
        .items;
    for s in found {
        let name = s.metadata.name.unwrap_or_default();
        api.delete(&name, &DeleteParams::default())
            .await
            .map_err(|e| api_failure(&ctx, &e, "delete", "statefulsets", Some(&ns)))?;
    }
    Ok(Value::Null)
}
