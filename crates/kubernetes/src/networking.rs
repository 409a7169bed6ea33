//! `chaosk8s.networking.actions` and `chaosk8s.networking.probes`:
//! Ingresses and NetworkPolicies, all on `networking.k8s.io/v1`.

use chaos_pyvalue::{py_truthy, Value};
use http::Method;
use serde_json::json;

use crate::namespaces::load_spec;
use crate::raw::{self, JSON, STRATEGIC};
use crate::{api_failure, quoting_failure, Ctx, Function, Outcome, Rule};

fn collection(ns: &str, plural: &str) -> String {
    format!(
        "/apis/networking.k8s.io/v1/namespaces/{}/{plural}",
        raw::segment(ns)
    )
}

/// POSTs a NetworkPolicy as given.
async fn post_policy(ctx: &Ctx<'_>, ns: &str, body: &Value) -> Result<Value, Outcome> {
    let path = collection(ns, "networkpolicies");
    raw::send(ctx, Method::POST, &path, Some(JSON), Some(body))
        .await
        .map_err(|f| api_failure(ctx, &f.error, "create", "networkpolicies", Some(ns)))?;
    Ok(Value::Null)
}

/// DELETEs a NetworkPolicy (no body, as the reference).
async fn delete_policy(ctx: &Ctx<'_>, ns: &str, name: &str) -> Result<Value, Outcome> {
    let path = format!(
        "{}/{}",
        collection(ns, "networkpolicies"),
        raw::object_name(name, "network policy")?
    );
    raw::send(ctx, Method::DELETE, &path, None, None)
        .await
        .map_err(|f| api_failure(ctx, &f.error, "delete", "networkpolicies", Some(ns)))?;
    Ok(Value::Null)
}

/// `podSelector` of the helper policies: every pod, unless
/// `label_selectors` is given (truthy), used as `matchLabels` as is.
fn pod_selector(ctx: &Ctx<'_>) -> Value {
    match ctx.args.value("label_selectors").filter(|v| py_truthy(v)) {
        Some(labels) => json!({"matchLabels": labels}),
        None => json!({}),
    }
}

/// `create_ingress(spec_path, ns="default")`: POSTs the JSON or YAML file
/// as is. Returns nothing.
pub async fn create_ingress(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let spec_path = ctx.args.required_str("spec_path", "create_ingress")?;
    let ns = ctx.args.str_or("ns", "default");
    let body = load_spec(&spec_path)?;
    let path = collection(&ns, "ingresses");
    raw::send(&ctx, Method::POST, &path, Some(JSON), Some(&body))
        .await
        .map_err(|f| api_failure(&ctx, &f.error, "create", "ingresses", Some(&ns)))?;
    Ok(Value::Null)
}

/// `delete_ingress(name, ns="default")`. Returns nothing.
pub async fn delete_ingress(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "delete_ingress")?;
    let ns = ctx.args.str_or("ns", "default");
    let path = format!(
        "{}/{}",
        collection(&ns, "ingresses"),
        raw::object_name(&name, "ingress")?
    );
    raw::send(&ctx, Method::DELETE, &path, None, None)
        .await
        .map_err(|f| api_failure(&ctx, &f.error, "delete", "ingresses", Some(&ns)))?;
    Ok(Value::Null)
}

/// `update_ingress(name, spec, ns="default")`: `spec` is the whole patch
/// (`{"spec": {...}}`), sent as a strategic merge patch. Returns nothing.
pub async fn update_ingress(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "update_ingress")?;
    let ns = ctx.args.str_or("ns", "default");
    let spec = ctx.args.value("spec").cloned().ok_or_else(|| {
        Outcome::Failed("update_ingress() missing 1 required positional argument: 'spec'".into())
    })?;
    let path = format!(
        "{}/{}",
        collection(&ns, "ingresses"),
        raw::object_name(&name, "ingress")?
    );
    raw::send(&ctx, Method::PATCH, &path, Some(STRATEGIC), Some(&spec))
        .await
        .map_err(|f| {
            // The reference's wording, copy-paste slip included.
            let what = format!("failed to update daemon set '{name}'");
            quoting_failure(&ctx, &f.error, "patch", "ingresses", Some(&ns), &what)
        })?;
    Ok(Value::Null)
}

/// `create_network_policy(spec=None, spec_path=None, ns="default")`: the
/// file when `spec_path` names an existing file, else `spec` (a missing
/// file is silently ignored, as in the reference). Returns nothing.
pub async fn create_network_policy(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ns = ctx.args.str_or("ns", "default");
    let from_file = ctx
        .args
        .opt_str("spec_path")
        .filter(|p| !p.is_empty() && std::path::Path::new(p).is_file());
    let body = match from_file {
        Some(path) => load_spec(&path)?,
        None => ctx.args.value("spec").cloned().ok_or_else(|| {
            Outcome::Failed(
                "ApiValueError: Missing the required parameter `body` when calling `create_namespaced_network_policy`"
                    .into(),
            )
        })?,
    };
    post_policy(&ctx, &ns, &body).await
}

/// `remove_network_policy(name, ns="default")`. Returns nothing.
pub async fn remove_network_policy(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "remove_network_policy")?;
    let ns = ctx.args.str_or("ns", "default");
    delete_policy(&ctx, &ns, &name).await
}

const DENY_INGRESS: &str = "chaostoolkit-deny-all-ingress";
const DENY_EGRESS: &str = "chaostoolkit-deny-all-egress";
const ALLOW_DNS: &str = "chaostoolkit-allow-dns";

/// `deny_all_ingress(label_selectors=None, ns="default")`: the policy
/// `chaostoolkit-deny-all-ingress` with no ingress rule. A second call
/// fails with 409 while it exists.
pub async fn deny_all_ingress(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ns = ctx.args.str_or("ns", "default");
    let body = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": DENY_INGRESS},
        "spec": {"podSelector": pod_selector(&ctx), "policyTypes": ["Ingress"], "ingress": []},
    });
    post_policy(&ctx, &ns, &body).await
}

/// `remove_deny_all_ingress(ns="default")`.
pub async fn remove_deny_all_ingress(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ns = ctx.args.str_or("ns", "default");
    delete_policy(&ctx, &ns, DENY_INGRESS).await
}

/// `deny_all_egress(label_selectors=None, ns="default")`: the policy
/// `chaostoolkit-deny-all-egress`, of type Egress with no `egress` key.
pub async fn deny_all_egress(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ns = ctx.args.str_or("ns", "default");
    let body = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": DENY_EGRESS},
        "spec": {"podSelector": pod_selector(&ctx), "policyTypes": ["Egress"]},
    });
    post_policy(&ctx, &ns, &body).await
}

/// `remove_deny_all_egress(ns="default")`.
pub async fn remove_deny_all_egress(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ns = ctx.args.str_or("ns", "default");
    delete_policy(&ctx, &ns, DENY_EGRESS).await
}

/// `allow_dns_access(label_selectors=None, ns="default")`: the policy
/// `chaostoolkit-allow-dns`, egress to port 53 (UDP and TCP) anywhere in
/// the cluster.
pub async fn allow_dns_access(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ns = ctx.args.str_or("ns", "default");
    let body = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": ALLOW_DNS},
        "spec": {
            "podSelector": pod_selector(&ctx),
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{"namespaceSelector": {}}],
                "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
            }],
        },
    });
    post_policy(&ctx, &ns, &body).await
}

/// `remove_allow_dns_access(ns="default")`.
pub async fn remove_allow_dns_access(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ns = ctx.args.str_or("ns", "default");
    delete_policy(&ctx, &ns, ALLOW_DNS).await
}

/// `ingress_exists(name, ns="default")`: an ingress of that name is
/// listed in `ns`.
pub async fn ingress_exists(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "ingress_exists")?;
    let ns = ctx.args.str_or("ns", "default");
    let path = format!(
        "{}{}",
        collection(&ns, "ingresses"),
        raw::query(&[("fieldSelector", Some(format!("metadata.name={name}")))])
    );
    let list = ctx.raw_get(&path, "list", "ingresses", Some(&ns)).await?;
    let found = list["items"].as_array().is_some_and(|i| !i.is_empty());
    Ok(Value::Bool(found))
}

const GROUP: &str = "networking.k8s.io";

const fn rule(resource: &'static str, verbs: &'static [&'static str]) -> Rule {
    Rule {
        group: GROUP,
        resource,
        verbs,
    }
}

const INGRESS_CREATE: Rule = rule("ingresses", &["create"]);
const INGRESS_DELETE: Rule = rule("ingresses", &["delete"]);
const INGRESS_PATCH: Rule = rule("ingresses", &["patch"]);
const INGRESS_LIST: Rule = rule("ingresses", &["list"]);
const POLICY_CREATE: Rule = rule("networkpolicies", &["create"]);
const POLICY_DELETE: Rule = rule("networkpolicies", &["delete"]);

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    let action = |name: &'static str,
                  params: &'static [(&'static str, Option<&'static str>)],
                  rules: &'static [Rule],
                  handler: crate::Handler| Function {
        modules: &["chaosk8s.networking.actions"],
        name,
        kind: "action",
        params,
        rules,
        handler,
    };
    vec![
        action(
            "create_ingress",
            &[("spec_path", None), ("ns", Some("'default'"))],
            &[INGRESS_CREATE],
            handler!(create_ingress),
        ),
        action(
            "delete_ingress",
            &[("name", None), ("ns", Some("'default'"))],
            &[INGRESS_DELETE],
            handler!(delete_ingress),
        ),
        action(
            "update_ingress",
            &[("name", None), ("spec", None), ("ns", Some("'default'"))],
            &[INGRESS_PATCH],
            handler!(update_ingress),
        ),
        action(
            "create_network_policy",
            &[
                ("spec", Some("None")),
                ("spec_path", Some("None")),
                ("ns", Some("'default'")),
            ],
            &[POLICY_CREATE],
            handler!(create_network_policy),
        ),
        action(
            "remove_network_policy",
            &[("name", None), ("ns", Some("'default'"))],
            &[POLICY_DELETE],
            handler!(remove_network_policy),
        ),
        action(
            "deny_all_ingress",
            &[("label_selectors", Some("None")), ("ns", Some("'default'"))],
            &[POLICY_CREATE],
            handler!(deny_all_ingress),
        ),
        action(
            "remove_deny_all_ingress",
            &[("ns", Some("'default'"))],
            &[POLICY_DELETE],
            handler!(remove_deny_all_ingress),
        ),
        action(
            "deny_all_egress",
            &[("label_selectors", Some("None")), ("ns", Some("'default'"))],
            &[POLICY_CREATE],
            handler!(deny_all_egress),
        ),
        action(
            "remove_deny_all_egress",
            &[("ns", Some("'default'"))],
            &[POLICY_DELETE],
            handler!(remove_deny_all_egress),
        ),
        action(
            "allow_dns_access",
            &[("label_selectors", Some("None")), ("ns", Some("'default'"))],
            &[POLICY_CREATE],
            handler!(allow_dns_access),
        ),
        action(
            "remove_allow_dns_access",
            &[("ns", Some("'default'"))],
            &[POLICY_DELETE],
            handler!(remove_allow_dns_access),
        ),
        Function {
            modules: &["chaosk8s.networking.probes"],
            name: "ingress_exists",
            kind: "probe",
            params: &[("name", None), ("ns", Some("'default'"))],
            rules: &[INGRESS_LIST],
            handler: handler!(ingress_exists),
        },
    ]
}
