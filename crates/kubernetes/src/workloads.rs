//! What deployments and statefulsets share in the extension: scaling by a
//! patch of `spec.replicas` (not the scale subresource) and deleting by
//! name, else by label selector, else the whole namespace.

use std::fmt::Debug;

use chaos_pyvalue::Value;
use k8s_openapi::serde::de::DeserializeOwned;
use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::Resource;

use crate::{api_failure, quoting_failure, Ctx, Outcome};

/// `scale_<kind>(name, replicas, ns="default")`. Returns nothing.
pub async fn scale<K>(ctx: &Ctx<'_>, func: &str, resource: &str) -> Result<Value, Outcome>
where
    K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug,
    K::DynamicType: Default,
{
    let name = ctx.args.required_str("name", func)?;
    let replicas = ctx.args.opt_int("replicas").ok_or_else(|| {
        Outcome::Failed(format!(
            "{func}() missing 1 required positional argument: 'replicas'"
        ))
    })?;
    let ns = ctx.args.str_or("ns", "default");
    let api: Api<K> = Api::namespaced(ctx.client(), &ns);
    let body = serde_json::json!({"spec": {"replicas": replicas}});
    api.patch(&name, &PatchParams::default(), &Patch::Strategic(&body))
        .await
        .map_err(|e| {
            let what = format!("failed to scale '{name}' to {replicas} replicas");
            quoting_failure(ctx, &e, "patch", resource, Some(&ns), &what)
        })?;
    Ok(Value::Null)
}

/// `delete_deployment` / `remove_statefulset`: by `name` (the selector is
/// then ignored, as in the reference), else by `label_selector`, else every
/// one of the namespace. Returns nothing.
pub async fn delete_matching<K>(ctx: &Ctx<'_>, resource: &str) -> Result<Value, Outcome>
where
    K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug,
    K::DynamicType: Default,
{
    let ns = ctx.args.str_or("ns", "default");
    let mut params = ListParams::default();
    if let Some(name) = ctx.args.opt_str("name").filter(|s| !s.is_empty()) {
        params = params.fields(&format!("metadata.name={name}"));
    } else if let Some(l) = ctx.args.opt_str("label_selector").filter(|s| !s.is_empty()) {
        params = params.labels(&l);
    }
    let api: Api<K> = Api::namespaced(ctx.client(), &ns);
    let found = api
        .list(&params)
        .await
        .map_err(|e| api_failure(ctx, &e, "list", resource, Some(&ns)))?
        .items;
    for object in found {
        let name = object.meta().name.clone().unwrap_or_default();
        api.delete(&name, &DeleteParams::default())
            .await
            .map_err(|e| api_failure(ctx, &e, "delete", resource, Some(&ns)))?;
    }
    Ok(Value::Null)
}
