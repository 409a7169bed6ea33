//! What the workload modules share in the extension: scaling by a patch of
//! `spec.replicas` (not the scale subresource), deleting by name, else by
//! label selector, else the whole namespace, creating from a spec file, and
//! watching for a readiness state.

use std::fmt::Debug;
use std::time::Duration;

use chaos_pyvalue::Value;
use futures::TryStreamExt;
use k8s_openapi::serde::de::DeserializeOwned;
use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, WatchEvent, WatchParams};
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

/// The objects named by `func`'s `name` argument (a field selector), also
/// matching its `label_selector` when given, in its `ns` (default
/// `default`): how the extension's probes find "the" workload. Returns the
/// name with them, for messages.
pub async fn list_named<K>(
    ctx: &Ctx<'_>,
    func: &str,
    resource: &str,
) -> Result<(String, Vec<K>), Outcome>
where
    K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug,
    K::DynamicType: Default,
{
    let name = ctx.args.required_str("name", func)?;
    let ns = ctx.args.str_or("ns", "default");
    let mut params = ListParams::default().fields(&format!("metadata.name={name}"));
    if let Some(l) = ctx.args.opt_str("label_selector").filter(|s| !s.is_empty()) {
        params = params.labels(&l);
    }
    let api: Api<K> = Api::namespaced(ctx.client(), &ns);
    let found = api
        .list(&params)
        .await
        .map_err(|e| api_failure(ctx, &e, "list", resource, Some(&ns)))?
        .items;
    Ok((name, found))
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

/// `create_<kind>(spec_path, ns="default")`: the spec file (§1.5) POSTed
/// unchanged, unknown fields included, as the reference sends it. Returns
/// nothing.
pub async fn create_from_spec<K>(
    ctx: &Ctx<'_>,
    func: &str,
    resource: &str,
) -> Result<Value, Outcome>
where
    K: Resource,
    K::DynamicType: Default,
{
    let path = ctx.args.required_str("spec_path", func)?;
    let ns = ctx.args.str_or("ns", "default");
    let body = crate::namespaces::load_spec(&path)?;
    let url = K::url_path(&K::DynamicType::default(), Some(&ns));
    let request = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(&body).map_err(|e| Outcome::Failed(e.to_string()))?)
        .map_err(|e| Outcome::Failed(e.to_string()))?;
    ctx.client()
        .request::<serde_json::Value>(request)
        .await
        .map_err(|e| api_failure(ctx, &e, "create", resource, Some(&ns)))?;
    Ok(Value::Null)
}

/// The arguments of a watch-based readiness probe, read the reference's
/// way: `label_selector` formatted with `{name}`, `timeout` truncated to
/// whole seconds (its text, as passed, is what failure messages quote).
pub struct WatchArgs {
    pub name: String,
    pub ns: String,
    pub label_selector: Option<String>,
    pub timeout: Duration,
    pub timeout_text: String,
}

impl WatchArgs {
    pub fn read(ctx: &Ctx<'_>, func: &str) -> Result<WatchArgs, Outcome> {
        let name = ctx.args.required_str("name", func)?;
        let label_selector = ctx
            .args
            .opt_str("label_selector")
            .map(|l| l.replace("{name}", &name));
        let seconds = ctx.args.seconds_or("timeout", 30.0).trunc().max(0.0);
        Ok(WatchArgs {
            ns: ctx.args.str_or("ns", "default"),
            label_selector,
            timeout: Duration::from_secs_f64(seconds),
            timeout_text: ctx.args.str_or("timeout", "30"),
            name,
        })
    }
}

/// How an availability probe words a timeout (daemon sets have none: they
/// answer `false`).
pub struct TimeoutFailure<'a> {
    /// The argument that turns the failure into `false` (`raise_on_*`).
    pub raise_flag: &'a str,
    /// What the message calls the object (`deployment`, `microservice`).
    pub noun: &'a str,
    /// What it failed to do (`recover`, `stop running`).
    pub failed_to: &'a str,
}

/// A `*_fully_available` / `*_not_fully_available` probe: the watch of
/// [`readiness_has_state`] for `func`'s arguments, then the verdict.
pub async fn availability_probe<K>(
    ctx: &Ctx<'_>,
    func: &str,
    resource: &str,
    wanted: bool,
    readiness: impl Fn(&K) -> bool,
    failure: Option<TimeoutFailure<'_>>,
) -> Result<Value, Outcome>
where
    K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug,
    K::DynamicType: Default,
{
    let args = WatchArgs::read(ctx, func)?;
    let reached = readiness_has_state::<K>(ctx, resource, &args, wanted, readiness).await?;
    let Some(f) = failure else {
        return Ok(Value::Bool(reached));
    };
    let raise = ctx.args.bool_or(f.raise_flag, true);
    let problem = (!reached).then(|| {
        format!(
            "{} '{}' failed to {} within {}s",
            f.noun, args.name, f.failed_to, args.timeout_text
        )
    });
    crate::verdict(problem, raise)
}

/// `_<kind>_readiness_has_state` (§1.4): watches the named object and
/// answers `true` on the first event whose readiness is `wanted` (the
/// first events describe the current state, so this can be immediate).
/// `false` when nothing arrives for `timeout` (a read timeout, as the
/// reference's, not a deadline: events that keep coming without the wanted
/// state prolong it), or when the stream ends having matched nothing. A
/// stream that ends after matching is resumed from the last version seen.
pub async fn readiness_has_state<K>(
    ctx: &Ctx<'_>,
    resource: &str,
    args: &WatchArgs,
    wanted: bool,
    readiness: impl Fn(&K) -> bool,
) -> Result<bool, Outcome>
where
    K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = Api::namespaced(ctx.client(), &args.ns);
    let mut params = WatchParams::default()
        .fields(&format!("metadata.name={}", args.name))
        .disable_bookmarks();
    if let Some(l) = &args.label_selector {
        params = params.labels(l);
    }
    let failure = |e: kube::Error| api_failure(ctx, &e, "watch", resource, Some(&args.ns));
    let mut version = "0".to_string();
    let mut seen = false;
    loop {
        let Ok(started) = tokio::time::timeout(args.timeout, api.watch(&params, &version)).await
        else {
            return Ok(false);
        };
        let mut events = Box::pin(started.map_err(failure)?);
        loop {
            let Ok(next) = tokio::time::timeout(args.timeout, events.try_next()).await else {
                return Ok(false);
            };
            let object = match next.map_err(failure)? {
                None => break,
                Some(WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o)) => o,
                Some(WatchEvent::Bookmark(b)) => {
                    version = b.metadata.resource_version;
                    continue;
                }
                // The Python watch retries a 410 once from scratch.
                Some(WatchEvent::Error(e)) if e.code == 410 => {
                    version = "0".into();
                    break;
                }
                Some(WatchEvent::Error(e)) => {
                    return Err(Outcome::Failed(format!(
                        "({})\nReason: {}: {}",
                        e.code, e.reason, e.message
                    )))
                }
            };
            seen = true;
            if let Some(v) = object.meta().resource_version.clone() {
                version = v;
            }
            if readiness(&object) == wanted {
                return Ok(true);
            }
        }
        if !seen {
            return Ok(false);
        }
    }
}
