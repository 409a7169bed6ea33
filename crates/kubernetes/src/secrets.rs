//! `chaosk8s.secret.actions` and `chaosk8s.secret.probes`.

use chaos_pyvalue::Value;
use http::Method;

use crate::namespaces::load_spec;
use crate::raw::{self, JSON};
use crate::{api_failure, Ctx, Function, Outcome, Rule};

fn collection(ns: &str) -> String {
    format!("/api/v1/namespaces/{}/secrets", raw::segment(ns))
}

/// `create_secret(spec_path, ns="default")`: POSTs the JSON or YAML file
/// as is. Returns nothing.
pub async fn create_secret(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let spec_path = ctx.args.required_str("spec_path", "create_secret")?;
    let ns = ctx.args.str_or("ns", "default");
    let body = load_spec(&spec_path)?;
    raw::send(
        &ctx,
        Method::POST,
        &collection(&ns),
        Some(JSON),
        Some(&body),
    )
    .await
    .map_err(|f| api_failure(&ctx, &f.error, "create", "secrets", Some(&ns)))?;
    Ok(Value::Null)
}

/// `delete_secret(name, ns="default")`. Returns nothing.
pub async fn delete_secret(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "delete_secret")?;
    let ns = ctx.args.str_or("ns", "default");
    let path = format!("{}/{}", collection(&ns), raw::object_name(&name, "secret")?);
    raw::send(&ctx, Method::DELETE, &path, None, None)
        .await
        .map_err(|f| api_failure(&ctx, &f.error, "delete", "secrets", Some(&ns)))?;
    Ok(Value::Null)
}

/// `secret_exists(name=None, ns="default", label_selector=None)`: some
/// secret matches the name and/or the selector (neither: any secret of
/// `ns`). `False` rather than a failure when none does.
pub async fn secret_exists(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ns = ctx.args.str_or("ns", "default");
    let path = format!(
        "{}{}",
        collection(&ns),
        raw::query(&[
            (
                "fieldSelector",
                ctx.args
                    .opt_str("name")
                    .filter(|s| !s.is_empty())
                    .map(|n| format!("metadata.name={n}"))
            ),
            (
                "labelSelector",
                ctx.args.opt_str("label_selector").filter(|s| !s.is_empty())
            ),
        ])
    );
    let list = ctx.raw_get(&path, "list", "secrets", Some(&ns)).await?;
    let found = list["items"].as_array().is_some_and(|i| !i.is_empty());
    Ok(Value::Bool(found))
}

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![
        Function {
            modules: &["chaosk8s.secret.actions"],
            name: "create_secret",
            kind: "action",
            params: &[("spec_path", None), ("ns", Some("'default'"))],
            rules: &[Rule {
                group: "",
                resource: "secrets",
                verbs: &["create"],
            }],
            handler: handler!(create_secret),
        },
        Function {
            modules: &["chaosk8s.secret.actions"],
            name: "delete_secret",
            kind: "action",
            params: &[("name", None), ("ns", Some("'default'"))],
            rules: &[Rule {
                group: "",
                resource: "secrets",
                verbs: &["delete"],
            }],
            handler: handler!(delete_secret),
        },
        Function {
            modules: &["chaosk8s.secret.probes", "chaosk8s.probes"],
            name: "secret_exists",
            kind: "probe",
            params: &[
                ("name", Some("None")),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
            ],
            rules: &[Rule {
                group: "",
                resource: "secrets",
                verbs: &["list"],
            }],
            handler: handler!(secret_exists),
        },
    ]
}
