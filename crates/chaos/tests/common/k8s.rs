//! Fixtures for the Kubernetes end-to-end tests: a fake cluster running the
//! book's chapter-6 deployment, and `chaos` pointed at it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use chaos_k8s_fake::FakeCluster;
use serde_json::{json, Value};

pub const APP_NODE: &str = "gke-disruption-demo-default-pool-9fa7a856-jrvm";

/// A cluster of three nodes running the book's chapter-6 deployment (its
/// manifest with today's `apps/v1`), and a kubeconfig for it.
pub fn book_cluster(dir: &Path) -> FakeCluster {
    let cluster = FakeCluster::with_nodes(&[APP_NODE, "node-2", "node-3"]);
    cluster.apply(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "my-service", "namespace": "default"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"service": "my-service"}},
            "template": {
                "metadata": {"name": "my-app", "labels": {"name": "my-app", "service": "my-service", "biz-app-id": "retail"}},
                "spec": {"containers": [{
                    "name": "my-app", "image": "docker.io/chaosiq/sampleservice:0.1.0",
                    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                    "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}}
                }]}
            }
        }
    }));
    cluster.write_kubeconfig(&dir.join("kubeconfig"), "fake", None);
    wait_for(|| running_pods(&cluster) == 3, "three running pods");
    cluster
}

pub fn running_pods(cluster: &FakeCluster) -> usize {
    cluster
        .list("v1", "Pod", Some("default"))
        .iter()
        .filter(|p| {
            p["status"]["phase"] == "Running" && p["metadata"]["deletionTimestamp"].is_null()
        })
        .count()
}

pub fn wait_for(mut done: impl FnMut() -> bool, what: &str) {
    for _ in 0..200 {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("gave up waiting for {what}");
}

/// `chaos` pointed at the fake's kubeconfig, with Python unusable: a native
/// function must not need it.
pub fn chaos_k8s(dir: &Path) -> Command {
    let mut c = super::chaos(dir);
    c.env("KUBECONFIG", dir.join("kubeconfig"))
        .env("HOME", dir)
        .env("CHAOS_PYTHON", dir.join("no-python-here"))
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_FORCE_PYTHON")
        .env_remove("KUBERNETES_CONTEXT");
    c
}

pub fn run(dir: &Path, cmd: &mut Command, experiment: &Value) -> (std::process::Output, Value) {
    let path = super::write_experiment(dir, "experiment.json", experiment);
    let journal = dir.join("journal.json");
    let _ = std::fs::remove_file(&journal);
    let out = cmd
        .arg("run")
        .arg("--journal-path")
        .arg(&journal)
        .arg(&path)
        .output()
        .unwrap();
    let j = std::fs::read_to_string(&journal)
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null);
    (out, j)
}

pub fn k8s(name: &str, kind: &str, module: &str, func: &str, arguments: Value) -> Value {
    json!({"type": kind, "name": name, "provider": {"type": "python", "module": module, "func": func, "arguments": arguments}})
}
