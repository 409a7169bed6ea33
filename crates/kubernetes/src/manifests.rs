//! Manifests that run an experiment inside a cluster: a Job (or a CronJob)
//! running `chaos run` on the experiment held in a ConfigMap, its journals
//! kept on a PersistentVolumeClaim, under a ServiceAccount whose Roles are
//! computed from the Kubernetes functions the experiment calls.
//!
//! Least privilege is derived, never hand-written: each catalog entry
//! declares the RBAC rules it needs ([`crate::Rule`]); [`permissions`] finds
//! the activities of an experiment, resolves the namespace each one works in
//! (its `ns` argument, a configuration value it names, or the default) and
//! merges the rules into one Role per namespace, plus one ClusterRole for
//! cluster-scoped resources and for functions that work across namespaces.

use std::collections::{BTreeMap, BTreeSet};

use chaos_pyvalue::{py_str, Map, Value};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapVolumeSource, Container, EnvFromSource, EnvVar, EnvVarSource,
    ObjectFieldSelector, PersistentVolumeClaim, PersistentVolumeClaimSpec,
    PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec, PodTemplateSpec,
    ResourceRequirements, SeccompProfile, SecretEnvSource, SecurityContext, ServiceAccount, Volume,
    VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::{find, Function};

/// Resources that live outside namespaces: a Role cannot grant them.
const CLUSTER_SCOPED: &[&str] = &[
    "nodes",
    "namespaces",
    "persistentvolumes",
    "customresourcedefinitions",
    "clusterroles",
    "clusterrolebindings",
    "storageclasses",
];

/// Where the journals and logs of the runs go, inside the container.
const JOURNALS: &str = "/var/lib/chaos/journals";
/// Where the experiment's ConfigMap is mounted.
const EXPERIMENT_DIR: &str = "/etc/chaos/experiment";
/// The user of the distroless image (`nonroot`).
const NONROOT: i64 = 65532;

/// Verbs per `(api group, resource)`, sorted so manifests are stable.
pub type Grants = BTreeMap<(String, String), BTreeSet<String>>;

/// What an experiment needs from the API server.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Permissions {
    /// Namespace → grants, for a Role in that namespace.
    pub namespaced: BTreeMap<String, Grants>,
    /// Grants for a ClusterRole.
    pub cluster: Grants,
    /// Activities the manifests cannot serve as they stand.
    pub warnings: Vec<String>,
}

/// Every activity of an experiment, with where it sits.
fn activities(experiment: &Map<String, Value>) -> Vec<(String, &Map<String, Value>)> {
    let hypothesis = experiment
        .get("steady-state-hypothesis")
        .and_then(|h| h.get("probes"));
    [
        ("steady-state-hypothesis.probes", hypothesis),
        ("method", experiment.get("method")),
        ("rollbacks", experiment.get("rollbacks")),
    ]
    .into_iter()
    .flat_map(|(at, list)| {
        list.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(move |(i, a)| Some((format!("{at}[{i}]"), a.as_object()?)))
    })
    .collect()
}

/// An argument's value when it can be known before the run: a literal, or
/// a `${name}` configuration value written literally.
fn literal(value: &Value, configuration: &Map<String, Value>) -> Option<String> {
    let written = py_str(value);
    match written
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
    {
        None if !written.contains("${") => Some(written),
        None => None,
        Some(key) => match configuration.get(key) {
            Some(Value::String(s)) if !s.contains("${") => Some(s.clone()),
            _ => None,
        },
    }
}

/// The namespace an activity works in, when it can be known before the run.
fn namespace_of(
    function: &Function,
    arguments: &Map<String, Value>,
    configuration: &Map<String, Value>,
) -> Option<String> {
    match arguments.get("ns") {
        Some(v) => literal(v, configuration),
        None => {
            let default = function.params.iter().find(|(n, _)| *n == "ns")?.1?;
            Some(default.trim_matches('\'').to_string())
        }
    }
}

/// What `apply_from_json`/`apply_from_yaml` create: API group, resource
/// (the extension's plural guess) and namespace, read from the resource text.
fn applied(arguments: &Map<String, Value>) -> Option<(String, String, String)> {
    let Some(Value::String(text)) = arguments.get("resource") else {
        return None;
    };
    let object = chaos_experiment::Document::parse(
        text.as_bytes(),
        chaos_experiment::Format::Yaml,
        "resource",
    )
    .ok()?
    .value;
    let api_version = object.get("apiVersion").map(py_str)?;
    let kind = object.get("kind").map(py_str)?;
    let group = api_version
        .rsplit_once('/')
        .map(|(g, _)| g.to_string())
        .unwrap_or_default();
    let namespace = object
        .pointer("/metadata/namespace")
        .map(py_str)
        .unwrap_or_else(|| "default".into());
    Some((group, crate::crd::plural_of(&kind), namespace))
}

/// A rule's group and resource, its placeholders (`{group}`, `{plural}`,
/// `{resource.group}`, `{resource.plural}`) filled from the arguments.
fn concrete(
    rule: &crate::Rule,
    arguments: &Map<String, Value>,
    configuration: &Map<String, Value>,
    applied: Option<&(String, String, String)>,
) -> Option<(String, String)> {
    let fill = |template: &str| -> Option<String> {
        match template {
            "{resource.group}" => applied.map(|a| a.0.clone()),
            "{resource.plural}" => applied.map(|a| a.1.clone()),
            t if t.starts_with('{') && t.ends_with('}') => {
                literal(arguments.get(&t[1..t.len() - 1])?, configuration)
            }
            t => Some(t.to_string()),
        }
    };
    Some((fill(rule.group)?, fill(rule.resource)?))
}

/// What the experiment's Kubernetes activities need, merged.
/// `native` says whether a `python` provider runs natively in `chaos` (the
/// registry's routing), so needs no Python in the image.
pub fn permissions(
    experiment: &Map<String, Value>,
    native: &dyn Fn(&Map<String, Value>) -> bool,
) -> Permissions {
    let empty = Map::new();
    let configuration = experiment
        .get("configuration")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut needed = Permissions::default();
    for (at, activity) in activities(experiment) {
        let name = activity.get("name").map(py_str).unwrap_or_default();
        let Some(provider) = activity.get("provider").and_then(Value::as_object) else {
            continue;
        };
        let ptype = provider.get("type").map(py_str).unwrap_or_default();
        let module = provider.get("module").map(py_str).unwrap_or_default();
        let function = match ptype.as_str() {
            "kubernetes" => find(provider),
            "python" if module.starts_with("chaosk8s") => {
                let found = find(provider);
                if found.is_none() {
                    needed.warnings.push(format!(
                        "{at} ('{name}'): {module}.{} is not native, so it needs Python and \
                         chaostoolkit-kubernetes in the image, and no permission was derived for it",
                        provider.get("func").map(py_str).unwrap_or_default()
                    ));
                }
                found
            }
            "python" if native(provider) => None,
            "python" => {
                needed.warnings.push(format!(
                    "{at} ('{name}'): the Python module '{module}' needs an image with Python \
                     and that module installed"
                ));
                None
            }
            "process" => {
                let path = provider.get("path").map(py_str).unwrap_or_default();
                needed.warnings.push(format!(
                    "{at} ('{name}'): the program '{path}' must exist in the image"
                ));
                None
            }
            _ => None,
        };
        let Some(function) = function else {
            continue;
        };
        let arguments = provider
            .get("arguments")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let applied = function
            .name
            .starts_with("apply_from_")
            .then(|| applied(arguments))
            .flatten();
        let (ns, has_ns) = match &applied {
            Some((_, _, ns)) => (Some(ns.clone()), true),
            None => (
                namespace_of(function, arguments, configuration),
                function.params.iter().any(|(n, _)| *n == "ns"),
            ),
        };
        if has_ns && ns.is_none() {
            needed.warnings.push(format!(
                "{at} ('{name}'): its namespace is only known at run time, so its permissions \
                 are granted in every namespace"
            ));
        }
        for rule in function.rules {
            let Some((group, resource)) =
                concrete(rule, arguments, configuration, applied.as_ref())
            else {
                needed.warnings.push(format!(
                    "{at} ('{name}'): the resource it works on is only known at run time, \
                     so no permission was derived for it: grant '{}' on it by hand",
                    rule.verbs.join("', '")
                ));
                continue;
            };
            let base = resource.split('/').next().unwrap_or(&resource);
            let grants = match (&ns, CLUSTER_SCOPED.contains(&base)) {
                (Some(ns), false) if has_ns => needed.namespaced.entry(ns.clone()).or_default(),
                _ => &mut needed.cluster,
            };
            grants
                .entry((group, resource))
                .or_default()
                .extend(rule.verbs.iter().map(|v| v.to_string()));
        }
    }
    // What the ClusterRole grants anyway needs no Role.
    for grants in needed.namespaced.values_mut() {
        for (key, verbs) in grants.iter_mut() {
            if let Some(everywhere) = needed.cluster.get(key) {
                verbs.retain(|v| !everywhere.contains(v));
            }
        }
        grants.retain(|_, verbs| !verbs.is_empty());
    }
    needed.namespaced.retain(|_, grants| !grants.is_empty());
    needed
}

/// How the manifests are shaped.
#[derive(Debug, Clone)]
pub struct Options {
    /// Base name of every object (a DNS-1123 label).
    pub name: String,
    /// Namespace of the Job, its ServiceAccount, ConfigMap and claim.
    pub namespace: String,
    /// The `chaos` image.
    pub image: String,
    /// A cron schedule: a CronJob instead of a Job.
    pub schedule: Option<String>,
    /// The file name the experiment keeps in the ConfigMap (its extension
    /// tells `chaos` how to read it).
    pub file_name: String,
    /// The experiment as written.
    pub text: String,
    /// Size of the journals' claim.
    pub journal_storage: String,
    /// Secrets whose keys become environment variables of the run.
    pub env_from_secrets: Vec<String>,
}

/// The manifests, in the order `kubectl apply` needs them.
#[derive(Debug, Clone)]
pub struct Manifests {
    /// Each object as its Kubernetes JSON.
    pub objects: Vec<Value>,
    /// What the user should know before applying them.
    pub warnings: Vec<String>,
}

impl Manifests {
    /// The objects as one YAML stream (`---` between documents).
    pub fn to_yaml(&self) -> Result<String, String> {
        let mut out = String::new();
        for object in &self.objects {
            out.push_str("---\n");
            out.push_str(&serde_norway::to_string(object).map_err(|e| e.to_string())?);
        }
        Ok(out)
    }
}

/// Inline secret values: a ConfigMap would show them to anyone who can read
/// ConfigMaps, so the manifests refuse them.
fn inline_secrets(experiment: &Map<String, Value>) -> Vec<String> {
    fn walk(at: String, value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(m) if m.contains_key("type") => {}
            Value::Object(m) => {
                for (k, v) in m {
                    walk(format!("{at}.{k}"), v, found);
                }
            }
            Value::Null => {}
            _ => found.push(at),
        }
    }
    let mut found = Vec::new();
    if let Some(Value::Object(scopes)) = experiment.get("secrets") {
        for (scope, values) in scopes {
            walk(format!("secrets.{scope}"), values, &mut found);
        }
    }
    found
}

/// A DNS-1123 label made from an experiment's title.
pub fn name_from_title(title: &str) -> String {
    let mut name = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    // A CronJob's name leaves 11 characters for the Jobs' suffix.
    name.truncate(52 - "-journals".len());
    let name = name.trim_end_matches('-').to_string();
    if name.is_empty() {
        "chaos-experiment".into()
    } else {
        name
    }
}

fn meta(name: &str, namespace: Option<&str>, instance: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some(
            [
                ("app.kubernetes.io/name", "chaos"),
                ("app.kubernetes.io/instance", instance),
                ("app.kubernetes.io/managed-by", "chaos"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ),
        ..Default::default()
    }
}

fn rules(grants: &Grants) -> Vec<PolicyRule> {
    grants
        .iter()
        .map(|((group, resource), verbs)| PolicyRule {
            api_groups: Some(vec![group.clone()]),
            resources: Some(vec![resource.clone()]),
            verbs: verbs.iter().cloned().collect(),
            ..Default::default()
        })
        .collect()
}

fn typed<T: serde::Serialize>(object: &T, api_version: &str, kind: &str) -> Value {
    let mut value = serde_json::to_value(object).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut value {
        // apiVersion and kind first, as people write them.
        let mut ordered = Map::new();
        ordered.insert("apiVersion".into(), Value::from(api_version));
        ordered.insert("kind".into(), Value::from(kind));
        ordered.extend(std::mem::take(m));
        *m = ordered;
    }
    value
}

/// The manifests that run `experiment` in a cluster.
pub fn manifests(
    experiment: &Map<String, Value>,
    options: &Options,
    native: &dyn Fn(&Map<String, Value>) -> bool,
) -> Result<Manifests, String> {
    let inline = inline_secrets(experiment);
    if !inline.is_empty() {
        return Err(format!(
            "the experiment holds secret values inline ({}); the ConfigMap would show them to \
             anyone who may read ConfigMaps. Declare them as {{\"type\": \"env\", \"key\": ...}} \
             and pass --env-from-secret with the Kubernetes Secret that holds them",
            inline.join(", ")
        ));
    }
    let needed = permissions(experiment, native);
    let name = options.name.as_str();
    let ns = options.namespace.as_str();
    let mut objects = Vec::new();

    let account = ServiceAccount {
        metadata: meta(name, Some(ns), name),
        automount_service_account_token: Some(true),
        ..Default::default()
    };
    objects.push(typed(&account, "v1", "ServiceAccount"));

    let subject = Subject {
        kind: "ServiceAccount".into(),
        name: name.into(),
        namespace: Some(ns.into()),
        ..Default::default()
    };
    for (target, grants) in &needed.namespaced {
        let role = Role {
            metadata: meta(name, Some(target), name),
            rules: Some(rules(grants)),
        };
        objects.push(typed(&role, "rbac.authorization.k8s.io/v1", "Role"));
        let binding = RoleBinding {
            metadata: meta(name, Some(target), name),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: name.into(),
            },
            subjects: Some(vec![subject.clone()]),
        };
        objects.push(typed(
            &binding,
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
        ));
    }
    if !needed.cluster.is_empty() {
        // Cluster-wide names are shared by every namespace.
        let cluster_name = format!("chaos:{ns}:{name}");
        let role = ClusterRole {
            metadata: meta(&cluster_name, None, name),
            rules: Some(rules(&needed.cluster)),
            ..Default::default()
        };
        objects.push(typed(&role, "rbac.authorization.k8s.io/v1", "ClusterRole"));
        let binding = ClusterRoleBinding {
            metadata: meta(&cluster_name, None, name),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: cluster_name.clone(),
            },
            subjects: Some(vec![subject]),
        };
        objects.push(typed(
            &binding,
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
        ));
    }

    let config_map_name = format!("{name}-experiment");
    let config_map = ConfigMap {
        metadata: meta(&config_map_name, Some(ns), name),
        data: Some([(options.file_name.clone(), options.text.clone())].into()),
        ..Default::default()
    };
    objects.push(typed(&config_map, "v1", "ConfigMap"));

    let claim_name = format!("{name}-journals");
    let claim = PersistentVolumeClaim {
        metadata: meta(&claim_name, Some(ns), name),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(
                    [(
                        "storage".to_string(),
                        Quantity(options.journal_storage.clone()),
                    )]
                    .into(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    objects.push(typed(&claim, "v1", "PersistentVolumeClaim"));

    let template = pod_template(name, options, &config_map_name, &claim_name);
    let job_spec = JobSpec {
        // A failed experiment is a finding, not a glitch to retry: running
        // it again would inject the fault twice.
        backoff_limit: Some(0),
        template,
        ..Default::default()
    };
    match &options.schedule {
        None => {
            let job = Job {
                metadata: meta(name, Some(ns), name),
                spec: Some(job_spec),
                ..Default::default()
            };
            objects.push(typed(&job, "batch/v1", "Job"));
        }
        Some(schedule) => {
            let cron = CronJob {
                metadata: meta(name, Some(ns), name),
                spec: Some(CronJobSpec {
                    schedule: schedule.clone(),
                    // Two runs of one experiment at once would blur both.
                    concurrency_policy: Some("Forbid".into()),
                    successful_jobs_history_limit: Some(3),
                    failed_jobs_history_limit: Some(5),
                    job_template: JobTemplateSpec {
                        metadata: Some(meta(name, None, name)),
                        spec: Some(job_spec),
                    },
                    ..Default::default()
                }),
                ..Default::default()
            };
            objects.push(typed(&cron, "batch/v1", "CronJob"));
        }
    }
    Ok(Manifests {
        objects,
        warnings: needed.warnings,
    })
}

fn pod_template(name: &str, options: &Options, config_map: &str, claim: &str) -> PodTemplateSpec {
    // Each run writes its own journal, named after its pod: Kubernetes
    // expands `$(POD_NAME)` in the arguments, no shell needed.
    let args = [
        "--log-file",
        &format!("{JOURNALS}/$(POD_NAME).log"),
        "run",
        "--journal-path",
        &format!("{JOURNALS}/$(POD_NAME).json"),
        &format!("{EXPERIMENT_DIR}/{}", options.file_name),
    ]
    .map(str::to_string)
    .to_vec();
    let env = vec![
        EnvVar {
            name: "POD_NAME".into(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    field_path: "metadata.name".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
        EnvVar {
            name: "CHAOSTOOLKIT_IN_POD".into(),
            value: Some("true".into()),
            ..Default::default()
        },
    ];
    let env_from: Vec<EnvFromSource> = options
        .env_from_secrets
        .iter()
        .map(|secret| EnvFromSource {
            secret_ref: Some(SecretEnvSource {
                name: secret.clone(),
                optional: Some(false),
            }),
            ..Default::default()
        })
        .collect();
    let container = Container {
        name: "chaos".into(),
        image: Some(options.image.clone()),
        args: Some(args),
        env: Some(env),
        env_from: (!env_from.is_empty()).then_some(env_from),
        working_dir: Some(JOURNALS.into()),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "experiment".into(),
                mount_path: EXPERIMENT_DIR.into(),
                read_only: Some(true),
                ..Default::default()
            },
            VolumeMount {
                name: "journals".into(),
                mount_path: JOURNALS.into(),
                ..Default::default()
            },
        ]),
        resources: Some(ResourceRequirements {
            requests: Some(
                [
                    ("cpu".to_string(), Quantity("50m".into())),
                    ("memory".to_string(), Quantity("32Mi".into())),
                ]
                .into(),
            ),
            limits: Some([("memory".to_string(), Quantity("256Mi".into()))].into()),
            ..Default::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    PodTemplateSpec {
        metadata: Some(meta(name, None, name)),
        spec: Some(PodSpec {
            service_account_name: Some(name.into()),
            restart_policy: Some("Never".into()),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: Some(NONROOT),
                run_as_group: Some(NONROOT),
                fs_group: Some(NONROOT),
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            containers: vec![container],
            volumes: Some(vec![
                Volume {
                    name: "experiment".into(),
                    config_map: Some(ConfigMapVolumeSource {
                        name: config_map.into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Volume {
                    name: "journals".into(),
                    persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                        claim_name: claim.into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        }),
    }
}
