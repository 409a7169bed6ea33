//! Legacy (unaggregated) discovery documents. kubectl and kube-rs first ask
//! for aggregated discovery (`apidiscovery.k8s.io/v2`); answering with plain
//! `application/json` makes both fall back to these, which is simpler and
//! exercises the path older servers take.

use serde_json::{json, Map, Value};

use crate::resources::{Registry, ResourceDef};

pub(crate) const GIT_VERSION: &str = "v1.32.4";

pub(crate) fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": GIT_VERSION,
        "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335",
        "gitTreeState": "clean",
        "buildDate": "2025-04-22T16:02:27Z",
        "goVersion": "go1.23.6",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

pub(crate) fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

fn group_json(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    let preferred = vs.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": vs, "preferredVersion": preferred})
}

pub(crate) fn api_group_list(reg: &Registry) -> Value {
    let groups: Vec<Value> = reg
        .group_versions()
        .iter()
        .map(|(g, vs)| group_json(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub(crate) fn api_group(reg: &Registry, group: &str) -> Option<Value> {
    let gv = reg.group_versions();
    let (_, vs) = gv.iter().find(|(g, _)| g == group)?;
    let mut g = group_json(group, vs);
    let m = g.as_object_mut()?;
    let mut out = Map::new();
    out.insert("kind".into(), json!("APIGroup"));
    out.insert("apiVersion".into(), json!("v1"));
    out.append(m);
    Some(Value::Object(out))
}

fn resource_json(d: &ResourceDef) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(d.plural));
    m.insert("singularName".into(), json!(d.singular));
    m.insert("namespaced".into(), json!(d.namespaced));
    m.insert("kind".into(), json!(d.kind));
    m.insert("verbs".into(), json!(d.verbs));
    if !d.short_names.is_empty() {
        m.insert("shortNames".into(), json!(d.short_names));
    }
    if !d.categories.is_empty() {
        m.insert("categories".into(), json!(d.categories));
    }
    Value::Object(m)
}

pub(crate) fn resource_list(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let defs: Vec<&ResourceDef> = reg
        .all()
        .filter(|d| d.group == group && d.version == version)
        .collect();
    if defs.is_empty() {
        return None;
    }
    let mut resources = vec![];
    for d in &defs {
        resources.push(resource_json(d));
        for s in &d.subresources {
            let mut m = Map::new();
            m.insert("name".into(), json!(format!("{}/{}", d.plural, s.name)));
            m.insert("singularName".into(), json!(""));
            m.insert("namespaced".into(), json!(d.namespaced));
            if let (Some(g), Some(v)) = (&s.group, &s.version) {
                m.insert("group".into(), json!(g));
                m.insert("version".into(), json!(v));
            }
            m.insert("kind".into(), json!(s.kind));
            m.insert("verbs".into(), json!(s.verbs));
            resources.push(Value::Object(m));
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let mut out = Map::new();
    out.insert("kind".into(), json!("APIResourceList"));
    if !group.is_empty() {
        out.insert("apiVersion".into(), json!("v1"));
    }
    out.insert("groupVersion".into(), json!(gv));
    out.insert("resources".into(), json!(resources));
    Some(Value::Object(out))
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: one entry per group-version. kubectl reads it to learn
/// that the server does field validation (`fieldValidation=Strict`), which
/// lets `kubectl apply`/`create` skip client-side schema validation — the
/// only reason the fake serves OpenAPI at all.
pub(crate) fn openapi_v3_root(reg: &Registry) -> Value {
    let mut paths = Map::new();
    let mut gvs: Vec<(String, String)> = vec![];
    for d in reg.all() {
        if !gvs.iter().any(|(g, v)| *g == d.group && *v == d.version) {
            gvs.push((d.group.clone(), d.version.clone()));
        }
    }
    for (g, v) in gvs {
        let p = gv_path(&g, &v);
        paths.insert(p.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={}", crate::util::template_hash_hex(&p, 3))}));
    }
    json!({ "paths": paths })
}

/// `/openapi/v3/{api|apis/group}/{version}`: PATCH operations tagged with
/// their GroupVersionKind and the `fieldValidation` parameter, no schemas.
pub(crate) fn openapi_v3_group_version(reg: &Registry, path: &str) -> Option<Value> {
    let defs: Vec<&ResourceDef> = reg
        .all()
        .filter(|d| gv_path(&d.group, &d.version) == path)
        .collect();
    if defs.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    for d in defs {
        let prefix = format!("/{path}");
        let item = if d.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", d.plural)
        } else {
            format!("{prefix}/{}/{{name}}", d.plural)
        };
        paths.insert(
            item,
            json!({
                "patch": {
                    "description": format!("partially update the specified {}", d.kind),
                    "operationId": format!("patch{}", d.kind),
                    "parameters": [
                        {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                        {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                        {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                        {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": true}}
                    ],
                    "responses": {"200": {"description": "OK"}},
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": {"group": d.group, "version": d.version, "kind": d.kind}
                }
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": GIT_VERSION},
        "paths": paths,
        "components": {"schemas": {}}
    }))
}
