//! `chaosk8s.namespace.actions` and `chaosk8s.namespace.probes`.

use chaos_pyvalue::Value;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, ListParams, PostParams};

use crate::{api_failure, Ctx, Function, Outcome, Rule};

/// A spec file as the extension reads it (§1.5 of the design notes): JSON
/// or YAML by extension, case-sensitive, relative to the working folder.
pub(crate) fn load_spec(path: &str) -> Result<Value, Outcome> {
    let bytes = std::fs::read(path).map_err(|e| {
        Outcome::Failed(format!(
            "FileNotFoundError: cannot read the spec file '{path}': {e}"
        ))
    })?;
    let format = if path.ends_with(".json") {
        chaos_experiment::Format::Json
    } else if path.ends_with(".yml") || path.ends_with(".yaml") {
        chaos_experiment::Format::Yaml
    } else {
        return Err(Outcome::Failed(format!("cannot process {path}")));
    };
    chaos_experiment::Document::parse(&bytes, format, path)
        .map(|d| d.value)
        .map_err(|e| Outcome::Failed(format!("cannot process {path}: {e}")))
}

/// `create_namespace(name=None, spec_path=None)`. Returns nothing.
pub async fn create_namespace(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let body = match (
        ctx.args.opt_str("spec_path").filter(|s| !s.is_empty()),
        ctx.args.opt_str("name").filter(|s| !s.is_empty()),
    ) {
        (Some(path), _) => load_spec(&path)?,
        (None, Some(name)) => {
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        }
        (None, None) => {
            return Err(Outcome::Failed(
                "You need to either specify name or spec_path".into(),
            ))
        }
    };
    let namespace: Namespace = serde_json::from_value(body)
        .map_err(|e| Outcome::Failed(format!("not a Namespace: {e}")))?;
    let api: Api<Namespace> = Api::all(ctx.client());
    api.create(&PostParams::default(), &namespace)
        .await
        .map_err(|e| api_failure(&ctx, &e, "create", "namespaces", None))?;
    Ok(Value::Null)
}

/// `delete_namespace(name)`: does not wait for it to finish terminating.
pub async fn delete_namespace(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "delete_namespace")?;
    let api: Api<Namespace> = Api::all(ctx.client());
    api.delete(&name, &DeleteParams::default())
        .await
        .map_err(|e| api_failure(&ctx, &e, "delete", "namespaces", None))?;
    Ok(Value::Null)
}

/// `namespace_exists(name)`: a namespace of that name is listed
/// (Terminating ones included).
pub async fn namespace_exists(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "namespace_exists")?;
    let api: Api<Namespace> = Api::all(ctx.client());
    let found = api
        .list(&ListParams::default().fields(&format!("metadata.name={name}")))
        .await
        .map_err(|e| api_failure(&ctx, &e, "list", "namespaces", None))?
        .items;
    Ok(Value::Bool(!found.is_empty()))
}

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![
        Function {
            modules: &["chaosk8s.namespace.actions"],
            name: "create_namespace",
            kind: "action",
            params: &[("name", Some("None")), ("spec_path", Some("None"))],
            rules: &[Rule {
                group: "",
                resource: "namespaces",
                verbs: &["create"],
            }],
            handler: handler!(create_namespace),
        },
        Function {
            modules: &["chaosk8s.namespace.actions"],
            name: "delete_namespace",
            kind: "action",
            params: &[("name", None)],
            rules: &[Rule {
                group: "",
                resource: "namespaces",
                verbs: &["delete"],
            }],
            handler: handler!(delete_namespace),
        },
        Function {
            modules: &["chaosk8s.namespace.probes"],
            name: "namespace_exists",
            kind: "probe",
            params: &[("name", None)],
            rules: &[Rule {
                group: "",
                resource: "namespaces",
                verbs: &["list"],
            }],
            handler: handler!(namespace_exists),
        },
    ]
}
