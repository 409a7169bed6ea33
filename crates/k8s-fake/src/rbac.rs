//! The RBAC authorizer, for [`crate::FakeCluster::enforce_rbac`]: a request
//! is allowed when a Role or ClusterRole bound to the user (a ServiceAccount)
//! has a rule for its verb, API group, resource and name — as the API
//! server's RBAC authorizer decides it (k8s.io/kubernetes
//! plugin/pkg/auth/authorizer/rbac), over the RBAC objects stored in the fake.

use serde_json::Value;

use crate::store::Store;

/// What a request asks for.
pub(crate) struct Request<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: &'a str,
    pub sub: &'a str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn has(list: &[String], wanted: &str) -> bool {
    list.iter().any(|s| s == "*" || s == wanted)
}

fn rule_allows(rule: &Value, r: &Request<'_>) -> bool {
    let resources = strings(rule, "resources");
    let full = if r.sub.is_empty() {
        r.resource.to_string()
    } else {
        format!("{}/{}", r.resource, r.sub)
    };
    let resource_ok = resources.iter().any(|s| {
        s == "*"
            || *s == full
            || (!r.sub.is_empty() && *s == format!("{}/*", r.resource))
            || (r.sub.is_empty() && s == "*/*")
    });
    let names = strings(rule, "resourceNames");
    has(&strings(rule, "verbs"), r.verb)
        && has(&strings(rule, "apiGroups"), r.group)
        && resource_ok
        && (names.is_empty() || names.iter().any(|n| n == r.name))
}

fn binds(binding: &Value, user: &str) -> bool {
    binding
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|s| {
            let kind = s.get("kind").and_then(Value::as_str).unwrap_or("");
            let name = s.get("name").and_then(Value::as_str).unwrap_or("");
            match kind {
                "ServiceAccount" => {
                    let ns = s.get("namespace").and_then(Value::as_str).unwrap_or("");
                    user == format!("system:serviceaccount:{ns}:{name}")
                }
                "User" => user == name,
                _ => false,
            }
        })
}

/// The rules of the role a binding names (`namespace` for a Role).
fn role_rules(store: &Store, binding: &Value, namespace: Option<&str>) -> Vec<Value> {
    let kind = binding
        .pointer("/roleRef/kind")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = binding
        .pointer("/roleRef/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (plural, ns) = match kind {
        "ClusterRole" => ("clusterroles", ""),
        "Role" => ("roles", namespace.unwrap_or("")),
        _ => return vec![],
    };
    store
        .get("rbac.authorization.k8s.io", plural, ns, name)
        .and_then(|role| role.get("rules").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

/// Whether `user` may make the request.
pub(crate) fn allows(store: &Store, user: &str, r: &Request<'_>) -> bool {
    const GROUP: &str = "rbac.authorization.k8s.io";
    let cluster_wide = store
        .list(GROUP, "clusterrolebindings", None)
        .into_iter()
        .filter(|b| binds(b, user))
        .flat_map(|b| role_rules(store, b, None));
    let in_namespace = r
        .namespace
        .filter(|n| !n.is_empty())
        .map(|ns| {
            store
                .list(GROUP, "rolebindings", Some(ns))
                .into_iter()
                .filter(|b| binds(b, user))
                .flat_map(|b| role_rules(store, b, Some(ns)))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    cluster_wide
        .chain(in_namespace)
        .any(|rule| rule_allows(&rule, r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request<'a>(verb: &'a str, resource: &'a str, sub: &'a str) -> Request<'a> {
        Request {
            verb,
            group: "",
            resource,
            sub,
            namespace: Some("default"),
            name: "p",
        }
    }

    #[test]
    fn rules_match_verbs_groups_resources_subresources_and_names() {
        let rule = json!({"apiGroups": [""], "resources": ["pods", "pods/eviction"], "verbs": ["list", "create"]});
        assert!(rule_allows(&rule, &request("list", "pods", "")));
        assert!(rule_allows(&rule, &request("create", "pods", "eviction")));
        assert!(!rule_allows(&rule, &request("delete", "pods", "")));
        assert!(!rule_allows(&rule, &request("get", "pods", "log")));
        let wild = json!({"apiGroups": ["*"], "resources": ["pods/*"], "verbs": ["*"]});
        assert!(rule_allows(&wild, &request("get", "pods", "log")));
        assert!(!rule_allows(&wild, &request("get", "pods", "")));
        let named = json!({"apiGroups": [""], "resources": ["pods"], "resourceNames": ["q"], "verbs": ["get"]});
        assert!(!rule_allows(&named, &request("get", "pods", "")));
    }

    #[test]
    fn service_account_subjects_name_their_namespace() {
        let b =
            json!({"subjects": [{"kind": "ServiceAccount", "name": "chaos", "namespace": "ops"}]});
        assert!(binds(&b, "system:serviceaccount:ops:chaos"));
        assert!(!binds(&b, "system:serviceaccount:default:chaos"));
    }
}
