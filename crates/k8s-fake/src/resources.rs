//! The resource types the fake serves: the built-in table (names, kinds,
//! scope, verbs, short names and subresources exactly as a v1.32 API server
//! advertises them, because kubectl resolves `po`, `deploy` and
//! `pods/eviction` through discovery) and the types added by CRDs.

use serde_json::Value;

use crate::util::{at, str_at};

pub(crate) const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const NO_COLLECTION_DELETE: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

#[derive(Debug, Clone)]
pub(crate) struct SubresourceDef {
    pub name: String,
    /// Group/version/kind of the subresource body when it differs from the
    /// parent (Scale, Eviction): discovery reports them.
    pub group: Option<String>,
    pub version: Option<String>,
    pub kind: String,
    pub verbs: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct ResourceDef {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub subresources: Vec<SubresourceDef>,
    /// Extra `fieldSelector` labels beyond metadata.name/namespace.
    pub field_labels: Vec<String>,
    /// Served from a CustomResourceDefinition rather than built in.
    pub custom: bool,
}

impl ResourceDef {
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub(crate) fn has_sub(&self, name: &str) -> bool {
        self.subresources.iter().any(|s| s.name == name)
    }

    pub(crate) fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }
}

fn sub(name: &str, kind: &str, verbs: &[&str]) -> SubresourceDef {
    SubresourceDef {
        name: name.into(),
        group: None,
        version: None,
        kind: kind.into(),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
    }
}

fn sub_gv(name: &str, group: &str, version: &str, kind: &str, verbs: &[&str]) -> SubresourceDef {
    SubresourceDef {
        group: Some(group.into()),
        version: Some(version.into()),
        ..sub(name, kind, verbs)
    }
}

struct B {
    def: ResourceDef,
}

impl B {
    fn new(group: &str, version: &str, plural: &str, kind: &str, namespaced: bool) -> B {
        B {
            def: ResourceDef {
                group: group.into(),
                version: version.into(),
                plural: plural.into(),
                singular: kind.to_lowercase(),
                kind: kind.into(),
                namespaced,
                verbs: ALL_VERBS.iter().map(|v| v.to_string()).collect(),
                short_names: vec![],
                categories: vec![],
                subresources: vec![],
                field_labels: vec![],
                custom: false,
            },
        }
    }
    fn short(mut self, names: &[&str]) -> B {
        self.def.short_names = names.iter().map(|s| s.to_string()).collect();
        self
    }
    fn all(mut self) -> B {
        self.def.categories = vec!["all".into()];
        self
    }
    fn verbs(mut self, verbs: &[&str]) -> B {
        self.def.verbs = verbs.iter().map(|s| s.to_string()).collect();
        self
    }
    fn subs(mut self, subs: Vec<SubresourceDef>) -> B {
        self.def.subresources = subs;
        self
    }
    fn fields(mut self, f: &[&str]) -> B {
        self.def.field_labels = f.iter().map(|s| s.to_string()).collect();
        self
    }
    fn status(mut self) -> B {
        let kind = self.def.kind.clone();
        self.def
            .subresources
            .push(sub("status", &kind, &["get", "patch", "update"]));
        self
    }
    fn scale(mut self) -> B {
        self.def.subresources.push(sub_gv(
            "scale",
            "autoscaling",
            "v1",
            "Scale",
            &["get", "patch", "update"],
        ));
        self
    }
}

pub(crate) fn builtins() -> Vec<ResourceDef> {
    let pod_fields = [
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ];
    let event_fields = [
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ];
    let v = vec![
        B::new("", "v1", "configmaps", "ConfigMap", true).short(&["cm"]),
        B::new("", "v1", "endpoints", "Endpoints", true).short(&["ep"]),
        B::new("", "v1", "events", "Event", true)
            .short(&["ev"])
            .fields(&event_fields),
        B::new("", "v1", "namespaces", "Namespace", false)
            .short(&["ns"])
            .verbs(NO_COLLECTION_DELETE)
            .subs(vec![sub("finalize", "Namespace", &["update"])])
            .status()
            .fields(&["status.phase"]),
        B::new("", "v1", "nodes", "Node", false)
            .short(&["no"])
            .subs(vec![sub(
                "proxy",
                "NodeProxyOptions",
                &["create", "delete", "get", "patch", "update"],
            )])
            .status()
            .fields(&["spec.unschedulable"]),
        B::new(
            "",
            "v1",
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            true,
        )
        .short(&["pvc"])
        .status(),
        B::new("", "v1", "persistentvolumes", "PersistentVolume", false)
            .short(&["pv"])
            .status(),
        B::new("", "v1", "pods", "Pod", true)
            .short(&["po"])
            .all()
            .subs(vec![
                sub("attach", "PodAttachOptions", &["create", "get"]),
                sub("binding", "Binding", &["create"]),
                sub_gv("eviction", "policy", "v1", "Eviction", &["create"]),
                sub("exec", "PodExecOptions", &["create", "get"]),
                sub("log", "Pod", &["get"]),
                sub("portforward", "PodPortForwardOptions", &["create", "get"]),
                sub(
                    "proxy",
                    "PodProxyOptions",
                    &["create", "delete", "get", "patch", "update"],
                ),
            ])
            .status()
            .fields(&pod_fields),
        B::new("", "v1", "secrets", "Secret", true).fields(&["type"]),
        B::new("", "v1", "serviceaccounts", "ServiceAccount", true)
            .short(&["sa"])
            .subs(vec![sub_gv(
                "token",
                "authentication.k8s.io",
                "v1",
                "TokenRequest",
                &["create"],
            )]),
        B::new("", "v1", "services", "Service", true)
            .short(&["svc"])
            .all()
            .subs(vec![sub(
                "proxy",
                "ServiceProxyOptions",
                &["create", "delete", "get", "patch", "update"],
            )])
            .status()
            .fields(&["spec.clusterIP", "spec.type"]),
        B::new("apps", "v1", "daemonsets", "DaemonSet", true)
            .short(&["ds"])
            .all()
            .status(),
        B::new("apps", "v1", "deployments", "Deployment", true)
            .short(&["deploy"])
            .all()
            .scale()
            .status(),
        B::new("apps", "v1", "replicasets", "ReplicaSet", true)
            .short(&["rs"])
            .all()
            .scale()
            .status(),
        B::new("apps", "v1", "statefulsets", "StatefulSet", true)
            .short(&["sts"])
            .all()
            .scale()
            .status(),
        B::new(crate::events::GROUP, "v1", "events", "Event", true)
            .short(&["ev"])
            .fields(crate::events::FIELD_LABELS),
        B::new(
            "autoscaling",
            "v1",
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            true,
        )
        .short(&["hpa"])
        .all()
        .status(),
        B::new("batch", "v1", "cronjobs", "CronJob", true)
            .short(&["cj"])
            .all()
            .status(),
        B::new("batch", "v1", "jobs", "Job", true).all().status(),
        B::new(
            "policy",
            "v1",
            "poddisruptionbudgets",
            "PodDisruptionBudget",
            true,
        )
        .short(&["pdb"])
        .status(),
        B::new("networking.k8s.io", "v1", "ingresses", "Ingress", true)
            .short(&["ing"])
            .status(),
        B::new(
            "networking.k8s.io",
            "v1",
            "networkpolicies",
            "NetworkPolicy",
            true,
        )
        .short(&["netpol"]),
        B::new(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            "ClusterRoleBinding",
            false,
        ),
        B::new(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterroles",
            "ClusterRole",
            false,
        ),
        B::new(
            "rbac.authorization.k8s.io",
            "v1",
            "rolebindings",
            "RoleBinding",
            true,
        ),
        B::new("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
        // Not stored: answered from the `forbid` rules (`kubectl auth can-i`).
        B::new(
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
            "SelfSubjectAccessReview",
            false,
        )
        .verbs(&["create"]),
        B::new(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            false,
        )
        .short(&["crd", "crds"])
        .status(),
    ];
    v.into_iter().map(|b| b.def).collect()
}

/// Built-ins plus whatever established CRDs currently define.
#[derive(Debug, Clone)]
pub(crate) struct Registry {
    builtin: Vec<ResourceDef>,
    custom: Vec<ResourceDef>,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            builtin: builtins(),
            custom: vec![],
        }
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &ResourceDef> {
        self.builtin.iter().chain(self.custom.iter())
    }

    pub(crate) fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceDef> {
        self.all()
            .find(|d| d.group == group && d.version == version && d.plural == plural)
    }

    /// By group and kind, any served version: the store keys objects by
    /// group and plural, so the version only matters for `apiVersion`.
    pub(crate) fn by_kind(&self, group: &str, kind: &str) -> Option<&ResourceDef> {
        self.all().find(|d| d.group == group && d.kind == kind)
    }

    pub(crate) fn by_api_version_kind(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Option<&ResourceDef> {
        let (group, version) = split_api_version(api_version);
        self.all()
            .find(|d| d.group == group && d.version == version && d.kind == kind)
            .or_else(|| self.by_kind(group, kind))
    }

    pub(crate) fn group_versions(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = vec![];
        for d in self.all().filter(|d| !d.group.is_empty()) {
            match out.iter_mut().find(|(g, _)| *g == d.group) {
                Some((_, vs)) => {
                    if !vs.contains(&d.version) {
                        vs.push(d.version.clone());
                    }
                }
                None => out.push((d.group.clone(), vec![d.version.clone()])),
            }
        }
        out
    }

    /// Rebuilds the custom types from the stored CRDs; called after every
    /// CRD write so new kinds are served immediately (real CRDs take a
    /// moment to become Established; tests should not have to wait).
    pub(crate) fn set_crds<'a>(&mut self, crds: impl Iterator<Item = &'a Value>) {
        self.custom.clear();
        for crd in crds {
            self.custom.extend(defs_from_crd(crd));
        }
    }
}

pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

pub(crate) fn defs_from_crd(crd: &Value) -> Vec<ResourceDef> {
    let Some(group) = str_at(crd, &["spec", "group"]) else {
        return vec![];
    };
    let Some(plural) = str_at(crd, &["spec", "names", "plural"]) else {
        return vec![];
    };
    let Some(kind) = str_at(crd, &["spec", "names", "kind"]) else {
        return vec![];
    };
    let singular = str_at(crd, &["spec", "names", "singular"])
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let namespaced = str_at(crd, &["spec", "scope"]) != Some("Cluster");
    let strings = |path: &[&str]| -> Vec<String> {
        at(crd, path)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let short_names = strings(&["spec", "names", "shortNames"]);
    let categories = strings(&["spec", "names", "categories"]);
    let versions = at(crd, &["spec", "versions"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    versions
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool).unwrap_or(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str).map(|n| (n, v)))
        .map(|(version, v)| {
            let mut subresources = vec![];
            if at(v, &["subresources", "status"]).is_some() {
                subresources.push(sub("status", kind, &["get", "patch", "update"]));
            }
            if at(v, &["subresources", "scale"]).is_some() {
                subresources.push(sub_gv(
                    "scale",
                    "autoscaling",
                    "v1",
                    "Scale",
                    &["get", "patch", "update"],
                ));
            }
            ResourceDef {
                group: group.into(),
                version: version.into(),
                plural: plural.into(),
                singular: singular.clone(),
                kind: kind.into(),
                namespaced,
                verbs: ALL_VERBS.iter().map(|v| v.to_string()).collect(),
                short_names: short_names.clone(),
                categories: categories.clone(),
                subresources,
                field_labels: vec![],
                custom: true,
            }
        })
        .collect()
}
