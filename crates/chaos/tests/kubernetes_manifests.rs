//! `chaos kubernetes manifests`: the objects parse as their Kubernetes types,
//! the Roles grant exactly what the experiment's activities need, and the
//! Job's command line, played the way a kubelet would, runs the experiment.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, PodSpec, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

/// `chaos kubernetes manifests` on `experiment`, its YAML documents and stderr.
fn manifests(dir: &Path, experiment: &Value, extra: &[&str]) -> (Option<i32>, Vec<Value>, String) {
    let path = common::write_experiment(dir, "experiment.json", experiment);
    let out = common::chaos(dir)
        .args(["kubernetes", "manifests"])
        .args(extra)
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let docs = serde_norway::Deserializer::from_str(&stdout)
        .map(|d| Value::deserialize(d).expect("each document is YAML"))
        .filter(|d| !d.is_null())
        .collect();
    (out.status.code(), docs, common::stderr(&out))
}

/// Parses `doc` as `T` and checks nothing was lost on the way: a misspelt
/// field would be dropped by the typed parse and the comparison would fail.
fn parses_as<T: DeserializeOwned + serde::Serialize>(doc: &Value) -> T {
    let typed: T = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("{} does not parse: {e}\n{doc:#}", doc["kind"]));
    let mut back = serde_json::to_value(&typed).unwrap();
    back["apiVersion"] = doc["apiVersion"].clone();
    back["kind"] = doc["kind"].clone();
    assert_eq!(&back, doc, "{} lost fields in its typed parse", doc["kind"]);
    typed
}

/// Every document parsed as its type; kinds in order.
fn check_types(docs: &[Value]) -> Vec<String> {
    docs.iter()
        .map(|d| {
            let kind = d["kind"].as_str().unwrap().to_string();
            match (d["apiVersion"].as_str().unwrap(), kind.as_str()) {
                ("v1", "ServiceAccount") => drop(parses_as::<ServiceAccount>(d)),
                ("v1", "ConfigMap") => drop(parses_as::<ConfigMap>(d)),
                ("v1", "PersistentVolumeClaim") => drop(parses_as::<PersistentVolumeClaim>(d)),
                ("batch/v1", "Job") => drop(parses_as::<Job>(d)),
                ("batch/v1", "CronJob") => drop(parses_as::<CronJob>(d)),
                ("rbac.authorization.k8s.io/v1", "Role") => drop(parses_as::<Role>(d)),
                ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
                    drop(parses_as::<RoleBinding>(d))
                }
                ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
                    drop(parses_as::<ClusterRole>(d))
                }
                ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
                    drop(parses_as::<ClusterRoleBinding>(d))
                }
                (v, k) => panic!("unexpected {v} {k}"),
            }
            kind
        })
        .collect()
}

/// `resource (group) -> verbs` of a Role or ClusterRole document.
fn grants(doc: &Value) -> BTreeMap<String, Vec<String>> {
    doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["resources"].as_array().unwrap().len(), 1);
            let key = format!(
                "{} ({})",
                r["resources"][0].as_str().unwrap(),
                r["apiGroups"][0].as_str().unwrap()
            );
            let verbs = r["verbs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            (key, verbs)
        })
        .collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, namespace: Option<&str>) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["namespace"].as_str() == namespace)
        .unwrap_or_else(|| panic!("no {kind} in {namespace:?}"))
}

fn map(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[test]
fn the_books_chapter6_experiment_needs_node_drain_rights_cluster_wide_and_nothing_else() {
    let dir = common::scratch();
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ch6/experiment.json");
    let experiment: Value = serde_json::from_str(&std::fs::read_to_string(book).unwrap()).unwrap();
    let (code, docs, stderr) = manifests(dir.path(), &experiment, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        check_types(&docs),
        [
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "PersistentVolumeClaim",
            "Job"
        ]
    );
    let role = find(&docs, "ClusterRole", None);
    // drain_nodes lists pods on every namespace and evicts them; the
    // probe's `pods list` in `default` is already covered.
    assert_eq!(
        grants(role),
        map(&[
            ("nodes ()", &["list", "patch"]),
            ("pods ()", &["get", "list"]),
            ("pods/eviction ()", &["create"]),
        ])
    );
    let binding = find(&docs, "ClusterRoleBinding", None);
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(
        binding["subjects"][0],
        json!({"kind": "ServiceAccount", "name": "my-application-is-resilient-to-admin-instig", "namespace": "default"})
    );
    let job = find(&docs, "Job", Some("default"));
    assert_eq!(job["spec"]["backoffLimit"], 0, "a finding is not retried");
    assert_eq!(
        job["spec"]["template"]["spec"]["serviceAccountName"],
        binding["subjects"][0]["name"]
    );
    let config = find(&docs, "ConfigMap", Some("default"));
    let written = std::fs::read_to_string(dir.path().join("experiment.json")).unwrap();
    assert_eq!(
        config["data"]["experiment.json"], written,
        "the experiment as written"
    );
}

#[test]
fn roles_are_per_namespace_with_exact_verbs_and_configuration_names_the_namespace() {
    let dir = common::scratch();
    let experiment = json!({
        "title": "Shop survives losing a pod", "description": "d",
        "configuration": {"shop_ns": "shop"},
        "steady-state-hypothesis": {"title": "t", "probes": [
            {"type": "probe", "name": "healthy", "tolerance": true, "provider": {"type": "python",
                "module": "chaosk8s.deployment.probes", "func": "deployment_available_and_healthy",
                "arguments": {"name": "cart", "ns": "${shop_ns}"}}}
        ]},
        "method": [
            {"type": "action", "name": "kill", "provider": {"type": "kubernetes", "func": "terminate_pods",
                "arguments": {"label_selector": "app=cart", "ns": "${shop_ns}"}}},
            {"type": "action", "name": "scale", "provider": {"type": "python",
                "module": "chaosk8s.deployment.actions", "func": "scale_deployment",
                "arguments": {"name": "front", "replicas": 1}}}
        ]
    });
    let (code, docs, stderr) = manifests(
        dir.path(),
        &experiment,
        &["--namespace", "chaos", "--name", "shop"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        check_types(&docs),
        [
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "Role",
            "RoleBinding",
            "ConfigMap",
            "PersistentVolumeClaim",
            "Job"
        ]
    );
    assert!(
        !docs.iter().any(|d| d["kind"] == "ClusterRole"),
        "nothing cluster-wide"
    );
    assert_eq!(
        grants(find(&docs, "Role", Some("default"))),
        map(&[("deployments (apps)", &["patch"])])
    );
    assert_eq!(
        grants(find(&docs, "Role", Some("shop"))),
        map(&[
            ("deployments (apps)", &["list"]),
            ("pods ()", &["delete", "list"])
        ])
    );
    let binding = find(&docs, "RoleBinding", Some("shop"));
    assert_eq!(
        binding["subjects"][0]["namespace"], "chaos",
        "the account lives with the Job"
    );
    assert_eq!(
        find(&docs, "ServiceAccount", Some("chaos"))["metadata"]["name"],
        "shop"
    );
}

#[test]
fn a_namespace_known_only_at_run_time_is_granted_cluster_wide_with_a_warning() {
    let dir = common::scratch();
    let experiment = json!({
        "title": "t", "description": "d",
        "configuration": {"ns": {"type": "env", "key": "TARGET_NS"}},
        "method": [
            {"type": "probe", "name": "count", "provider": {"type": "kubernetes", "func": "count_pods",
                "arguments": {"label_selector": "app=x", "ns": "${ns}"}}},
            {"type": "action", "name": "echo", "provider": {"type": "process", "path": "echo", "arguments": "hi"}}
        ]
    });
    let (code, docs, stderr) = manifests(dir.path(), &experiment, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    check_types(&docs);
    assert_eq!(
        grants(find(&docs, "ClusterRole", None)),
        map(&[("pods ()", &["list"])])
    );
    assert!(!docs.iter().any(|d| d["kind"] == "Role"));
    assert!(
        stderr.contains("method[0] ('count'): its namespace is only known at run time"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the program 'echo' must exist in the image"),
        "{stderr}"
    );
}

#[test]
fn a_schedule_makes_a_cronjob_that_never_overlaps_itself() {
    let dir = common::scratch();
    let experiment = json!({
        "title": "Nightly pod kill", "description": "d",
        "method": [{"type": "action", "name": "kill", "provider": {"type": "kubernetes",
            "func": "terminate_pods", "arguments": {"label_selector": "app=x"}}}]
    });
    let out_file = dir.path().join("manifests.yaml");
    let (code, docs, stderr) = manifests(
        dir.path(),
        &experiment,
        &[
            "--schedule",
            "0 3 * * *",
            "--image",
            "registry.local/chaos:1",
            "-o",
            out_file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(docs.is_empty(), "written to the file instead");
    let text = std::fs::read_to_string(&out_file).unwrap();
    let docs: Vec<Value> = serde_norway::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap())
        .collect();
    assert_eq!(check_types(&docs).last().unwrap(), "CronJob");
    let cron = find(&docs, "CronJob", Some("default"));
    assert_eq!(cron["metadata"]["name"], "nightly-pod-kill");
    assert_eq!(cron["spec"]["schedule"], "0 3 * * *");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let pod: PodSpec =
        serde_json::from_value(cron["spec"]["jobTemplate"]["spec"]["template"]["spec"].clone())
            .unwrap();
    assert_eq!(
        pod.containers[0].image.as_deref(),
        Some("registry.local/chaos:1")
    );
    assert_eq!(
        grants(find(&docs, "Role", Some("default"))),
        map(&[("pods ()", &["delete", "list"])])
    );
}

#[test]
fn inline_secrets_are_refused_and_env_secrets_come_from_a_kubernetes_secret() {
    let dir = common::scratch();
    let mut experiment = json!({
        "title": "t", "description": "d",
        "secrets": {"api": {"token": "hunter2", "other": {"type": "env", "key": "OTHER"}}},
        "method": [{"type": "action", "name": "echo", "provider": {"type": "process", "path": "true"}}]
    });
    let (code, docs, stderr) = manifests(dir.path(), &experiment, &[]);
    assert_eq!(code, Some(1));
    assert!(docs.is_empty());
    assert!(stderr.contains("secrets.api.token"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the value itself is not shown: {stderr}"
    );
    experiment["secrets"]["api"]["token"] = json!({"type": "env", "key": "API_TOKEN"});
    let (code, docs, stderr) =
        manifests(dir.path(), &experiment, &["--env-from-secret", "shop-api"]);
    assert_eq!(code, Some(0), "{stderr}");
    let job = find(&docs, "Job", Some("default"));
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["envFrom"],
        json!([{"secretRef": {"name": "shop-api", "optional": false}}])
    );
}

#[test]
fn an_invalid_experiment_gets_no_manifests() {
    let dir = common::scratch();
    let experiment = json!({"title": "t", "description": "d", "method": [
        {"type": "action", "name": "x", "provider": {"type": "kubernetes", "func": "no_such_function"}}
    ]});
    let (code, docs, stderr) = manifests(dir.path(), &experiment, &[]);
    assert_eq!(code, Some(1));
    assert!(docs.is_empty());
    assert!(
        stderr.contains("'no_such_function' is not a Kubernetes function"),
        "{stderr}"
    );
}

#[test]
fn the_jobs_command_line_played_as_a_kubelet_would_runs_the_experiment_and_keeps_the_journal() {
    let dir = common::scratch();
    let experiment = json!({
        "title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "ok", "probes": [
            {"type": "probe", "name": "true", "tolerance": 0, "provider": {"type": "process", "path": "true"}}
        ]},
        "method": [{"type": "action", "name": "echo", "provider": {"type": "process", "path": "echo", "arguments": "hi"}}]
    });
    let (code, docs, stderr) = manifests(dir.path(), &experiment, &["--name", "kubelet"]);
    assert_eq!(code, Some(0), "{stderr}");
    let job: Job = serde_json::from_value(find(&docs, "Job", Some("default")).clone()).unwrap();
    let config: ConfigMap =
        serde_json::from_value(find(&docs, "ConfigMap", Some("default")).clone()).unwrap();
    let pod = job.spec.unwrap().template.spec.unwrap();
    let container = &pod.containers[0];
    // Mount the volumes where the container expects them, under a scratch root.
    let root = dir.path().join("root");
    let mount = |p: &str| root.join(p.trim_start_matches('/'));
    for m in container.volume_mounts.as_ref().unwrap() {
        std::fs::create_dir_all(mount(&m.mount_path)).unwrap();
        if m.name == "experiment" {
            for (file, text) in config.data.as_ref().unwrap() {
                std::fs::write(mount(&m.mount_path).join(file), text).unwrap();
            }
        }
    }
    let pod_name = "kubelet-x7k2p";
    let args: Vec<String> = container
        .args
        .as_ref()
        .unwrap()
        .iter()
        .map(|a| {
            let a = a.replace("$(POD_NAME)", pod_name);
            if a.starts_with('/') {
                mount(&a).to_string_lossy().into_owned()
            } else {
                a
            }
        })
        .collect();
    let mut cmd = std::process::Command::new(common::chaos_bin());
    cmd.args(&args)
        .current_dir(mount(container.working_dir.as_deref().unwrap()));
    for e in container.env.as_ref().unwrap() {
        if let Some(v) = &e.value {
            cmd.env(&e.name, v);
        }
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let journals = mount("/var/lib/chaos/journals");
    let journal: Value = serde_json::from_str(
        &std::fs::read_to_string(journals.join(format!("{pod_name}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(journal["status"], "completed");
    assert_eq!(journal["run"][0]["output"]["stdout"], "hi\n");
    assert!(
        journals.join(format!("{pod_name}.log")).exists(),
        "the log is kept too"
    );
}

/// The chapter-6 activities (drain, pods in phase, uncordon) without the
/// book's HTTP probe to a public address.
fn drain_experiment() -> Value {
    json!({
        "title": "Drain keeps the service running", "description": "d",
        "steady-state-hypothesis": {"title": "t", "probes": [
            {"type": "probe", "name": "pods_in_phase", "tolerance": true, "provider": {"type": "python",
                "module": "chaosk8s.pod.probes", "func": "pods_in_phase",
                "arguments": {"label_selector": "biz-app-id=retail", "phase": "Running", "ns": "default"}}}
        ]},
        "method": [{"type": "action", "name": "drain_node", "provider": {"type": "python",
            "module": "chaosk8s.node.actions", "func": "drain_nodes",
            "arguments": {"name": common::k8s::APP_NODE, "delete_pods_with_local_storage": true, "timeout": 20}}}],
        "rollbacks": [{"type": "action", "name": "uncordon_node", "provider": {"type": "python",
            "module": "chaosk8s.node.actions", "func": "uncordon_node",
            "arguments": {"name": common::k8s::APP_NODE}}}]
    })
}

#[test]
fn the_derived_permissions_are_enough_to_run_the_experiment_and_each_verb_is_needed() {
    let dir = common::scratch();
    let cluster = common::k8s::book_cluster(dir.path());
    let experiment = drain_experiment();
    let (code, docs, stderr) = manifests(
        dir.path(),
        &experiment,
        &["--namespace", "chaos", "--name", "runner"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    cluster.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "chaos"}}));
    let rbac: Vec<&Value> = docs
        .iter()
        .filter(|d| {
            d["apiVersion"].as_str().unwrap().starts_with("rbac.") || d["kind"] == "ServiceAccount"
        })
        .collect();
    for d in &rbac {
        cluster.apply((*d).clone());
    }
    // From here on the cluster answers as it would to the Job's pod.
    cluster.set_user("system:serviceaccount:chaos:runner");
    cluster.enforce_rbac();
    let (out, journal) = common::k8s::run(
        dir.path(),
        &mut common::k8s::chaos_k8s(dir.path()),
        &experiment,
    );
    assert_eq!(journal["status"], "completed", "{}", common::stderr(&out));
    assert_eq!(
        journal["run"][0]["status"], "succeeded",
        "{}",
        journal["run"][0]
    );
    assert_eq!(journal["rollbacks"][0]["status"], "succeeded");
    assert!(
        cluster.requests().iter().all(|r| r.status != 403),
        "nothing was refused"
    );

    // Without `patch` on nodes the drain cannot cordon: the run stops there.
    let mut role = (*rbac.iter().find(|d| d["kind"] == "ClusterRole").unwrap()).clone();
    for rule in role["rules"].as_array_mut().unwrap() {
        if rule["resources"] == json!(["nodes"]) {
            rule["verbs"] = json!(["list"]);
        }
    }
    cluster.apply(role);
    common::k8s::wait_for(
        || common::k8s::running_pods(&cluster) == 3,
        "the pods to be back",
    );
    let (out, journal) = common::k8s::run(
        dir.path(),
        &mut common::k8s::chaos_k8s(dir.path()),
        &experiment,
    );
    assert_eq!(journal["status"], "aborted", "{}", common::stderr(&out));
    let exception = journal["run"][0]["exception"].to_string();
    assert!(
        exception.contains("permission to 'patch' nodes"),
        "{exception}"
    );
}

#[test]
fn custom_objects_are_granted_on_the_group_and_resource_their_arguments_name() {
    let dir = common::scratch();
    let widget =
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: lab\n";
    let experiment = json!({
        "title": "t", "description": "d",
        "configuration": {"chaos_ns": "shop"},
        "method": [
            {"type": "action", "name": "latency", "provider": {"type": "python",
                "module": "chaosk8s.crd.actions", "func": "create_custom_object",
                "arguments": {"group": "chaos-mesh.org", "version": "v1alpha1", "plural": "networkchaos",
                    "ns": "${chaos_ns}", "resource": {"kind": "NetworkChaos"}}}},
            {"type": "action", "name": "widget", "provider": {"type": "python",
                "module": "chaosk8s.crd.actions", "func": "apply_from_yaml",
                "arguments": {"resource": widget}}},
            {"type": "action", "name": "cluster", "provider": {"type": "python",
                "module": "chaosk8s.crd.actions", "func": "delete_cluster_custom_object",
                "arguments": {"group": "example.com", "version": "v1", "plural": "gadgets", "name": "g"}}}
        ],
        "rollbacks": [
            {"type": "action", "name": "unlatency", "provider": {"type": "python",
                "module": "chaosk8s.crd.actions", "func": "delete_custom_object",
                "arguments": {"group": "chaos-mesh.org", "version": "v1alpha1", "plural": "networkchaos",
                    "name": "x", "ns": "${chaos_ns}"}}}
        ]
    });
    let (code, docs, stderr) = manifests(dir.path(), &experiment, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    check_types(&docs);
    assert_eq!(
        grants(find(&docs, "Role", Some("shop"))),
        map(&[("networkchaos (chaos-mesh.org)", &["create", "delete"])])
    );
    assert_eq!(
        grants(find(&docs, "Role", Some("lab"))),
        map(&[("widgets (example.com)", &["create"])])
    );
    assert_eq!(
        grants(find(&docs, "ClusterRole", None)),
        map(&[("gadgets (example.com)", &["delete"])])
    );
    for d in docs
        .iter()
        .filter(|d| d["kind"].as_str().unwrap().contains("Role"))
    {
        assert!(
            !d.to_string().contains("{group}") && !d.to_string().contains("{plural}"),
            "{d}"
        );
    }
}

#[test]
fn python_activities_served_natively_need_no_python_in_the_image() {
    let dir = common::scratch();
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            {"type": "action", "name": "slow", "provider": {"type": "python",
                "module": "chaostoxi.toxic.actions", "func": "create_latency_toxic",
                "arguments": {"for_proxy": "db", "toxic_name": "slow", "latency": 100}}},
            {"type": "action", "name": "other", "provider": {"type": "python",
                "module": "os.path", "func": "exists", "arguments": {"path": "/"}}}
        ]
    });
    let (code, _docs, stderr) = manifests(dir.path(), &experiment, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("chaostoxi"), "{stderr}");
    assert!(
        stderr.contains("the Python module 'os.path' needs an image with Python"),
        "{stderr}"
    );
}
