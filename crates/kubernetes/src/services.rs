//! `chaosk8s.service.actions` and `chaosk8s.service.probes`.

use chaos_pyvalue::Value;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, DeleteParams, ListParams};

use crate::namespaces::load_spec;
use crate::raw::{self, JSON};
use crate::{api_failure, verdict, Ctx, Function, Outcome, Rule};

/// `create_service_endpoint(spec_path, ns="default")`: POSTs the JSON or
/// YAML file as is. Returns nothing.
pub async fn create_service_endpoint(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let spec_path = ctx
        .args
        .required_str("spec_path", "create_service_endpoint")?;
    let ns = ctx.args.str_or("ns", "default");
    let body = load_spec(&spec_path)?;
    let path = format!("/api/v1/namespaces/{}/services", raw::segment(&ns));
    raw::send(&ctx, http::Method::POST, &path, Some(JSON), Some(&body))
        .await
        .map_err(|f| api_failure(&ctx, &f.error, "create", "services", Some(&ns)))?;
    Ok(Value::Null)
}

/// `service_is_initialized(name=None, ns="default", label_selector=None,
/// raise_if_service_not_initialized=True)`: the Service object exists
/// (endpoints are not looked at, as in the reference).
pub async fn service_is_initialized(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.opt_str("name").filter(|s| !s.is_empty());
    let ns = ctx.args.str_or("ns", "default");
    let raise = ctx.args.bool_or("raise_if_service_not_initialized", true);
    let mut params = ListParams::default();
    if let Some(n) = &name {
        params = params.fields(&format!("metadata.name={n}"));
    }
    if let Some(l) = ctx.args.opt_str("label_selector").filter(|s| !s.is_empty()) {
        params = params.labels(&l);
    }
    let api: Api<Service> = Api::namespaced(ctx.client(), &ns);
    let found = api
        .list(&params)
        .await
        .map_err(|e| api_failure(&ctx, &e, "list", "services", Some(&ns)))?
        .items;
    verdict(
        found.is_empty().then(|| {
            format!(
                "service '{}' is not initialized",
                name.as_deref().unwrap_or("None")
            )
        }),
        raise,
    )
}

/// `delete_service(name, ns="default")`. Returns nothing.
pub async fn delete_service(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "delete_service")?;
    let ns = ctx.args.str_or("ns", "default");
    let api: Api<Service> = Api::namespaced(ctx.client(), &ns);
    api.delete(&name, &DeleteParams::default())
        .await
        .map_err(|e| api_failure(&ctx, &e, "delete", "services", Some(&ns)))?;
    Ok(Value::Null)
}

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![
        Function {
            modules: &["chaosk8s.service.actions"],
            name: "create_service_endpoint",
            kind: "action",
            params: &[("spec_path", None), ("ns", Some("'default'"))],
            rules: &[Rule {
                group: "",
                resource: "services",
                verbs: &["create"],
            }],
            handler: handler!(create_service_endpoint),
        },
        Function {
            modules: &["chaosk8s.service.probes", "chaosk8s.probes"],
            name: "service_is_initialized",
            kind: "probe",
            params: &[
                ("name", Some("None")),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
                ("raise_if_service_not_initialized", Some("True")),
            ],
            rules: &[Rule {
                group: "",
                resource: "services",
                verbs: &["list"],
            }],
            handler: handler!(service_is_initialized),
        },
        Function {
            modules: &["chaosk8s.service.actions", "chaosk8s.actions"],
            name: "delete_service",
            kind: "action",
            params: &[("name", None), ("ns", Some("'default'"))],
            rules: &[Rule {
                group: "",
                resource: "services",
                verbs: &["delete"],
            }],
            handler: handler!(delete_service),
        },
    ]
}
