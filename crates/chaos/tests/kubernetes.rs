//! The native Kubernetes driver end to end: the `chaos` binary, experiments
//! written for chaostoolkit-kubernetes, and an in-process fake API server
//! (no cluster can run here) speaking real Kubernetes JSON.

mod common;

use common::k8s::{book_cluster, chaos_k8s, k8s, run, running_pods, wait_for, APP_NODE};

use std::path::Path;
use std::time::Duration;

use chaos_k8s_fake::FakeCluster;
use serde_json::{json, Value};

#[test]
fn chaosk8s_probes_run_natively_without_python() {
    let dir = common::scratch();
    let _cluster = book_cluster(dir.path());
    let exp = json!({
        "title": "pods", "description": "d",
        "steady-state-hypothesis": {"title": "all running", "probes": [
            {"type": "probe", "name": "pods_in_phase", "tolerance": true, "provider": {
                "type": "python", "module": "chaosk8s.pod.probes", "func": "pods_in_phase",
                "arguments": {"label_selector": "biz-app-id=retail", "phase": "Running", "ns": "default"}}}
        ]},
        "method": [
            {"type": "probe", "name": "count", "provider": {"type": "kubernetes", "func": "count_pods",
                "arguments": {"label_selector": "service=my-service"}}},
            k8s("at-least-four", "probe", "chaosk8s.pod.probes", "count_min_pods",
                json!({"label_selector": "service=my-service", "min_count": 4})),
            k8s("missing", "probe", "chaosk8s.pod.probes", "pods_in_phase",
                json!({"label_selector": "app=nothing-here"}))
        ]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(j["status"], "completed");
    assert_eq!(
        j["steady_states"]["before"]["probes"][0]["output"],
        json!(true)
    );
    assert_eq!(j["run"][0]["output"], json!(3));
    assert_eq!(j["run"][1]["output"], json!(false));
    assert_eq!(j["run"][2]["status"], "failed");
    let exception = j["run"][2]["exception"].to_string();
    assert!(
        exception.contains("no pods 'app=nothing-here' were found"),
        "{exception}"
    );
}

#[test]
fn a_disruption_budget_refuses_the_drain_the_action_fails_and_the_rollback_uncordons() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.apply(json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "my-app-pdb", "namespace": "default"},
        "spec": {"minAvailable": 3, "selector": {"matchLabels": {"name": "my-app"}}}
    }));
    let exp = json!({
        "title": "drain", "description": "d",
        "method": [k8s("drain_node", "action", "chaosk8s.node.actions", "drain_nodes",
            json!({"name": APP_NODE, "delete_pods_with_local_storage": true}))],
        "rollbacks": [k8s("uncordon_node", "action", "chaosk8s.node.actions", "uncordon_node",
            json!({"name": APP_NODE}))]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(j["run"][0]["status"], "failed");
    let exception = j["run"][0]["exception"].to_string();
    assert!(
        exception.contains("Failed to evict pod my-service-"),
        "{exception}"
    );
    assert!(exception.contains("disruption budget"), "{exception}");
    assert_eq!(j["rollbacks"][0]["status"], "succeeded");
    assert_eq!(j["rollbacks"][0]["output"], json!([APP_NODE]));
    let node = cluster.get("v1", "Node", None, APP_NODE).unwrap();
    assert_ne!(
        node["spec"]["unschedulable"],
        json!(true),
        "uncordoned: {node}"
    );
    assert_eq!(running_pods(&cluster), 3, "no pod was lost");
}

#[test]
fn a_drain_asked_to_retry_waits_for_the_budget_to_allow_the_eviction() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.apply(json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "my-app-pdb", "namespace": "default"},
        "spec": {"minAvailable": 3, "selector": {"matchLabels": {"name": "my-app"}}}
    }));
    let exp = json!({
        "title": "drain", "description": "d",
        "method": [{"type": "action", "name": "drain", "provider": {"type": "kubernetes",
            "func": "drain_nodes", "arguments": {"name": APP_NODE, "timeout": 30,
            "retry_refused_evictions": true}}}]
    });
    // An operator scales up while the drain waits: the budget then allows
    // one disruption and the retried eviction goes through.
    let (out, j) = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(1500));
            let mut deployment = cluster
                .get("apps/v1", "Deployment", Some("default"), "my-service")
                .unwrap();
            deployment["spec"]["replicas"] = json!(4);
            cluster.apply(deployment);
        });
        run(dir.path(), &mut chaos_k8s(dir.path()), &exp)
    });
    assert_eq!(
        j["run"][0]["status"],
        "succeeded",
        "{}",
        common::stderr(&out)
    );
    let refused = cluster
        .requests()
        .iter()
        .filter(|r| r.subresource == "eviction" && r.status == 429)
        .count();
    assert!(refused >= 1, "the budget refused it first");
    let evicted = cluster
        .requests()
        .iter()
        .filter(|r| r.subresource == "eviction" && r.status == 201)
        .count();
    assert_eq!(evicted, 1, "then let it through");
}

#[test]
fn the_retry_argument_is_ours_and_refused_under_the_extensions_module() {
    let dir = common::scratch();
    let _cluster = book_cluster(dir.path());
    let exp = json!({
        "title": "drain", "description": "d",
        "method": [k8s("drain", "action", "chaosk8s.node.actions", "drain_nodes",
            json!({"name": APP_NODE, "retry_refused_evictions": true}))]
    });
    let path = common::write_experiment(dir.path(), "experiment.json", &exp);
    let out = chaos_k8s(dir.path())
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out)
            .contains("argument 'retry_refused_evictions' is not part of the function signature"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn a_drain_without_budget_moves_the_pods_and_returns_the_node() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    let exp = json!({
        "title": "drain", "description": "d",
        "method": [{"type": "action", "name": "drain", "provider": {"type": "kubernetes",
            "func": "node.actions.drain_nodes", "arguments": {"name": APP_NODE, "timeout": 20}}}]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(j["run"][0]["status"], "succeeded", "{}", j["run"][0]);
    assert_eq!(j["run"][0]["output"], json!([APP_NODE]));
    let node = cluster.get("v1", "Node", None, APP_NODE).unwrap();
    assert_eq!(node["spec"]["unschedulable"], json!(true));
    wait_for(|| running_pods(&cluster) == 3, "the pods to be replaced");
    let on_drained = cluster
        .list("v1", "Pod", Some("default"))
        .iter()
        .filter(|p| {
            p["spec"]["nodeName"] == APP_NODE && p["metadata"]["deletionTimestamp"].is_null()
        })
        .count();
    assert_eq!(on_drained, 0, "nothing runs on the drained node");
    let evictions = cluster
        .requests()
        .iter()
        .filter(|r| r.subresource == "eviction" && r.status == 201)
        .count();
    assert_eq!(evictions, 1, "pods leave through the Eviction API");
}

#[test]
fn a_forbidden_call_names_the_cluster_the_context_and_the_missing_permission() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.forbid("patch", "", "nodes");
    let exp = json!({
        "title": "cordon", "description": "d",
        "method": [k8s("cordon", "action", "chaosk8s.node.actions", "cordon_node", json!({"name": "node-2"}))]
    });
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(j["run"][0]["status"], "failed");
    let exception = j["run"][0]["exception"].to_string();
    assert!(
        exception.contains(&cluster.url()),
        "the cluster: {exception}"
    );
    assert!(
        exception.contains("context 'fake'"),
        "the context: {exception}"
    );
    assert!(
        exception.contains("permission to 'patch' nodes"),
        "the permission: {exception}"
    );
}

#[test]
fn a_refused_action_aborts_the_run_and_still_plays_the_rollbacks() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.forbid("delete", "", "pods");
    let exp = json!({
        "title": "kill a pod", "description": "d",
        "steady-state-hypothesis": {"title": "three pods", "probes": [
            {"type": "probe", "name": "three", "tolerance": 3, "provider": {"type": "kubernetes",
                "func": "count_pods", "arguments": {"label_selector": "service=my-service"}}}
        ]},
        "method": [
            k8s("cordon", "action", "chaosk8s.node.actions", "cordon_node", json!({"name": "node-2"})),
            k8s("kill", "action", "chaosk8s.pod.actions", "terminate_pods",
                json!({"label_selector": "service=my-service"})),
            k8s("never", "action", "chaosk8s.node.actions", "cordon_node", json!({"name": "node-3"}))
        ],
        "rollbacks": [
            k8s("uncordon", "action", "chaosk8s.node.actions", "uncordon_node", json!({"name": "node-2"}))
        ]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert_eq!(
        j["status"], "aborted",
        "no verdict on a fault never injected"
    );
    assert_eq!(
        j["run"].as_array().unwrap().len(),
        2,
        "the method stops at the refusal"
    );
    assert_eq!(j["run"][1]["status"], "failed");
    assert!(j["run"][1]["exception"]
        .to_string()
        .contains("permission to 'delete' pods"));
    assert!(
        j["steady_states"]["after"].is_null(),
        "no hypothesis after an aborted method"
    );
    assert_eq!(j["rollbacks"][0]["status"], "succeeded");
    let node = cluster.get("v1", "Node", None, "node-2").unwrap();
    assert!(
        node["spec"]["unschedulable"] != json!(true),
        "the rollback undid the cordon"
    );
    let node3 = cluster.get("v1", "Node", None, "node-3").unwrap();
    assert!(node3["spec"]["unschedulable"] != json!(true));
    assert!(
        common::stderr(&out).contains("was refused, so its fault was never injected"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn kubernetes_context_in_the_secrets_picks_the_kubeconfig_context() {
    let dir = common::scratch();
    let _cluster = book_cluster(dir.path());
    let mut exp = json!({
        "title": "ctx", "description": "d",
        "secrets": {"k8s": {"KUBERNETES_CONTEXT": "elsewhere"}},
        "method": [k8s("count", "probe", "chaosk8s.pod.probes", "count_pods", json!({"label_selector": "service=my-service"}))]
    });
    exp["method"][0]["provider"]["secrets"] = json!(["k8s"]);
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(j["run"][0]["status"], "failed");
    let exception = j["run"][0]["exception"].to_string();
    assert!(exception.contains("context 'elsewhere'"), "{exception}");
    assert!(
        !exception.contains("fake-token"),
        "no credential leaks: {exception}"
    );
}

#[test]
fn explicit_kubernetes_variables_reach_the_cluster_with_the_api_key() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.require_token("s3cr3t");
    let exp = json!({
        "title": "explicit", "description": "d",
        "secrets": {"k8s": {"KUBERNETES_HOST": cluster.url(), "KUBERNETES_API_KEY": "s3cr3t"}},
        "method": [{"type": "probe", "name": "count", "provider": {"type": "kubernetes", "func": "count_pods",
            "secrets": ["k8s"], "arguments": {"label_selector": "service=my-service"}}}]
    });
    let mut cmd = chaos_k8s(dir.path());
    cmd.env("KUBECONFIG", dir.path().join("no-such-kubeconfig"));
    let (out, j) = run(dir.path(), &mut cmd, &exp);
    assert_eq!(j["run"][0]["output"], json!(3), "{}", common::stderr(&out));
    let journal = j.to_string();
    assert!(
        !journal.contains("s3cr3t"),
        "the key is masked in the journal"
    );
}

#[test]
fn a_module_forced_through_python_does_not_use_the_native_driver() {
    let dir = common::scratch();
    let _cluster = book_cluster(dir.path());
    let exp = json!({
        "title": "forced", "description": "d",
        "method": [k8s("count", "probe", "chaosk8s.pod.probes", "count_pods", json!({"label_selector": "service=my-service"}))]
    });
    common::write_experiment(dir.path(), "experiment.json", &exp);
    let out = chaos_k8s(dir.path())
        .env_remove("CHAOS_PYTHON")
        .env("CHAOS_FORCE_PYTHON", "chaosk8s")
        .args(["validate", "experiment.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = common::stderr(&out);
    assert!(
        stderr.contains("could not find Python module 'chaosk8s.pod.probes'"),
        "the Python route was taken: {stderr}"
    );
    assert!(
        stderr.contains("pip install chaostoolkit-kubernetes"),
        "{stderr}"
    );
}

#[test]
fn pods_are_terminated_deployments_scaled_and_their_health_probed() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    let exp = json!({
        "title": "pods and deployments", "description": "d",
        "method": [
            k8s("healthy", "probe", "chaosk8s.deployment.probes", "deployment_available_and_healthy",
                json!({"name": "my-service"})),
            k8s("kill-two-thirds", "action", "chaosk8s.pod.actions", "terminate_pods",
                json!({"label_selector": "service=my-service", "mode": "percentage", "qty": 60, "rand": true, "grace_period": 0})),
            k8s("bad-mode", "action", "chaosk8s.pod.actions", "terminate_pods",
                json!({"label_selector": "service=my-service", "mode": "most"})),
            k8s("scale-up", "action", "chaosk8s.deployment.actions", "scale_deployment",
                json!({"name": "my-service", "replicas": 5})),
            k8s("nodes-ready", "probe", "chaosk8s.node.probes", "all_nodes_must_be_ready_to_schedule", json!({})),
            k8s("not-available", "probe", "chaosk8s.pod.probes", "pod_is_not_available",
                json!({"name": "my-app", "raise_on_is_available": false})),
            k8s("missing-deployment", "probe", "chaosk8s.deployment.probes", "deployment_available_and_healthy",
                json!({"name": "nope", "raise_on_unavailable": false}))
        ]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let run = &j["run"];
    assert_eq!(run[0]["output"], json!(true));
    let killed = run[1]["output"].as_array().unwrap();
    assert_eq!(killed.len(), 2, "60 % of 3 pods, rounded up: {killed:?}");
    assert!(killed
        .iter()
        .all(|n| n.as_str().unwrap().starts_with("my-service-")));
    assert_eq!(run[2]["status"], "failed");
    assert!(run[2]["exception"]
        .to_string()
        .contains("Cannot select pods. Mode 'most' is invalid."));
    assert_eq!(run[3]["status"], "succeeded");
    assert_eq!(run[3]["output"], Value::Null);
    assert_eq!(run[4]["output"], json!(true));
    assert_eq!(run[5]["output"], json!(false), "my-app pods run");
    assert_eq!(run[6]["output"], json!(false));
    wait_for(|| running_pods(&cluster) == 5, "five pods after scaling");
    let deployment = cluster
        .get("apps/v1", "Deployment", Some("default"), "my-service")
        .unwrap();
    assert_eq!(deployment["spec"]["replicas"], json!(5));
    let deletes = cluster
        .requests()
        .iter()
        .filter(|r| r.verb == "delete" && r.resource == "pods")
        .count();
    assert_eq!(deletes, 2);
}

/// An HTTP proxy on loopback that answers 200 to every request: the book's
/// probe URL (an address of the author's cluster, with its published typo)
/// stays as written, and no traffic leaves the machine.
fn answering_proxy() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten().take(100) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    port
}

/// The chapter's manifests, with today's API versions.
fn book_manifest(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/ch6")
        .join(name);
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace("apps/v1beta1", "apps/v1")
        .replace("policy/v1beta1", "policy/v1");
    serde_json::from_str(&text).unwrap()
}

fn run_book_experiment(dir: &Path, proxy: u16) -> (std::process::Output, Value) {
    let experiment =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ch6/experiment.json");
    let journal = dir.join("journal.json");
    let _ = std::fs::remove_file(&journal);
    let out = chaos_k8s(dir)
        .env("HTTP_PROXY", format!("http://127.0.0.1:{proxy}"))
        .env("NO_PROXY", "127.0.0.1,localhost")
        .arg("run")
        .arg("--journal-path")
        .arg(&journal)
        .arg(&experiment)
        .output()
        .unwrap();
    let j = serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    (out, j)
}

#[test]
fn the_books_chapter6_experiment_finds_the_weakness_and_the_disruption_budget_fixes_it() {
    let dir = common::scratch();
    let cluster = FakeCluster::with_nodes(&[APP_NODE, "node-2", "node-3"]);
    cluster.write_kubeconfig(&dir.path().join("kubeconfig"), "fake", None);
    cluster.set_controller_delay(Duration::ZERO);
    cluster.apply(book_manifest("deployment.json"));
    cluster.apply(book_manifest("service.json"));
    wait_for(|| running_pods(&cluster) == 3, "three running pods");
    // From now on a replacement pod takes a while to start, as on a real
    // cluster (image pull, container start).
    cluster.set_pod_startup(Duration::from_secs(3));
    let proxy = answering_proxy();

    // Before: the drain evicts a pod; its replacement is not Running yet
    // when the hypothesis is checked again.
    let (out, j) = run_book_experiment(dir.path(), proxy);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert_eq!(j["deviated"], json!(true), "{}", common::stderr(&out));
    assert_eq!(
        j["steady_states"]["before"]["steady_state_met"],
        json!(true)
    );
    assert_eq!(j["run"][0]["status"], "succeeded");
    assert_eq!(j["run"][0]["output"], json!([APP_NODE]));
    let after = j["steady_states"]["after"]["probes"][1].to_string();
    assert!(
        after.contains("is in phase 'Pending' but should be 'Running'"),
        "{after}"
    );
    // As in the reference: the probe raised, so the run is `failed`, and the
    // default strategy plays no rollback: the node stays cordoned.
    assert_eq!(j["status"], "failed");
    assert_eq!(j["rollbacks"], json!([]));
    let mut node = cluster.get("v1", "Node", None, APP_NODE).unwrap();
    assert_eq!(node["spec"]["unschedulable"], json!(true));
    // The operator uncordons it by hand.
    node["spec"]["unschedulable"] = json!(false);
    cluster.apply(node);

    // After: with the book's PodDisruptionBudget the eviction is refused,
    // the pods keep running and the hypothesis holds.
    wait_for(|| running_pods(&cluster) == 3, "the service to recover");
    cluster.set_pod_startup(Duration::ZERO);
    let spread: Vec<String> = cluster
        .list("v1", "Pod", Some("default"))
        .iter()
        .filter_map(|p| p["spec"]["nodeName"].as_str().map(str::to_string))
        .collect();
    if !spread.iter().any(|n| n == APP_NODE) {
        // Bring a pod back onto the drained node, as the next rollout would.
        let victim = cluster
            .list("v1", "Pod", Some("default"))
            .into_iter()
            .next()
            .unwrap();
        let name = victim["metadata"]["name"].as_str().unwrap().to_string();
        cluster.delete("v1", "Pod", Some("default"), &name);
        wait_for(|| running_pods(&cluster) == 3, "the pod to come back");
    }
    cluster.apply(book_manifest("pdb.json"));
    let (out, j) = run_book_experiment(dir.path(), proxy);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(j["deviated"], json!(false));
    assert_eq!(j["status"], "completed");
    assert_eq!(j["steady_states"]["after"]["steady_state_met"], json!(true));
    assert_eq!(j["run"][0]["status"], "failed", "the drain is refused");
    assert!(j["run"][0]["exception"]
        .to_string()
        .contains("disruption budget"));
    assert_eq!(running_pods(&cluster), 3);
    let node = cluster.get("v1", "Node", None, APP_NODE).unwrap();
    assert_ne!(
        node["spec"]["unschedulable"],
        json!(true),
        "uncordoned by the rollback"
    );
}

#[test]
fn services_are_probed_and_deleted_deployments_restarted_and_deleted() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.apply(book_manifest("service.json"));
    let before: Vec<String> = cluster
        .list("v1", "Pod", Some("default"))
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    let exp = json!({
        "title": "services and rollouts", "description": "d",
        "method": [
            k8s("svc", "probe", "chaosk8s.service.probes", "service_is_initialized", json!({"name": "my-service"})),
            k8s("restart", "action", "chaosk8s.deployment.actions", "rollout_deployment", json!({"name": "my-service"})),
            k8s("delete-svc", "action", "chaosk8s.service.actions", "delete_service", json!({"name": "my-service"})),
            k8s("svc-gone", "probe", "chaosk8s.service.probes", "service_is_initialized",
                json!({"name": "my-service", "raise_if_service_not_initialized": false})),
            k8s("restart-missing", "action", "chaosk8s.deployment.actions", "rollout_deployment", json!({"name": "nope"}))
        ]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let steps = &j["run"];
    assert_eq!(steps[0]["output"], json!(true));
    assert_eq!(steps[1]["status"], "succeeded");
    assert_eq!(steps[2]["status"], "succeeded");
    assert_eq!(steps[3]["output"], json!(false));
    assert_eq!(steps[4]["status"], "failed");
    assert!(steps[4]["exception"]
        .to_string()
        .contains("failed to rollout the deployment 'nope'!"));
    let deployment = cluster
        .get("apps/v1", "Deployment", Some("default"), "my-service")
        .unwrap();
    let stamp = deployment["spec"]["template"]["metadata"]["annotations"]
        ["kubectl.kubernetes.io/restartedAt"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(stamp.ends_with("+00:00Z"), "the reference's stamp: {stamp}");
    wait_for(
        || {
            let now: Vec<String> = cluster
                .list("v1", "Pod", Some("default"))
                .iter()
                .filter(|p| p["status"]["phase"] == "Running")
                .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
                .collect();
            now.len() == 3 && now.iter().all(|n| !before.contains(n))
        },
        "the restart to replace every pod",
    );
    assert!(cluster
        .get("v1", "Service", Some("default"), "my-service")
        .is_none());

    let exp = json!({
        "title": "delete", "description": "d",
        "method": [k8s("delete", "action", "chaosk8s.deployment.actions", "delete_deployment", json!({"name": "my-service"}))]
    });
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(j["run"][0]["status"], "succeeded");
    assert!(cluster
        .get("apps/v1", "Deployment", Some("default"), "my-service")
        .is_none());
    wait_for(
        || cluster.list("v1", "Pod", Some("default")).is_empty(),
        "the pods to go with it",
    );
}

#[test]
fn pod_logs_are_read_and_statefulsets_scaled_and_removed() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    let pods = cluster.list("v1", "Pod", Some("default"));
    let first = pods[0]["metadata"]["name"].as_str().unwrap().to_string();
    assert!(cluster.set_pod_log("default", &first, None, "started\nready\n"));
    cluster.apply(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "default", "labels": {"app": "db"}},
        "spec": {"replicas": 1, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}}
    }));
    wait_for(
        || cluster.get("v1", "Pod", Some("default"), "db-0").is_some(),
        "db-0",
    );
    let exp = json!({
        "title": "logs and statefulsets", "description": "d",
        "method": [
            k8s("logs", "probe", "chaosk8s.pod.probes", "read_pod_logs", json!({"name": "my-app", "last": "10 minutes"})),
            k8s("bad-last", "probe", "chaosk8s.pod.probes", "read_pod_logs", json!({"name": "my-app", "last": "soonish"})),
            k8s("scale-db", "action", "chaosk8s.statefulset.actions", "scale_statefulset", json!({"name": "db", "replicas": 3}))
        ]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let logs = j["run"][0]["output"].as_object().unwrap();
    assert_eq!(logs.len(), 3, "one log per my-app pod: {logs:?}");
    assert!(logs[&first].as_str().unwrap().contains("ready"), "{logs:?}");
    assert_eq!(j["run"][1]["status"], "failed");
    assert!(j["run"][1]["exception"]
        .to_string()
        .contains("cannot read 'soonish' as a time"));
    let log_requests: Vec<String> = cluster
        .requests()
        .iter()
        .filter(|r| r.subresource == "log")
        .map(|r| r.query.clone())
        .collect();
    assert!(
        log_requests
            .iter()
            .all(|q| q.contains("timestamps=true") && q.contains("sinceSeconds=600")),
        "{log_requests:?}"
    );
    wait_for(
        || cluster.get("v1", "Pod", Some("default"), "db-2").is_some(),
        "db scaled to 3",
    );

    let exp = json!({
        "title": "remove", "description": "d",
        "method": [k8s("remove-db", "action", "chaosk8s.statefulset.actions", "remove_statefulset", json!({"label_selector": "app=db"}))]
    });
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(j["run"][0]["status"], "succeeded", "{}", j["run"][0]);
    assert!(cluster
        .get("apps/v1", "StatefulSet", Some("default"), "db")
        .is_none());
}

#[test]
fn node_conditions_are_reported_and_checked() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    let mut node = cluster.get("v1", "Node", None, "node-3").unwrap();
    for c in node["status"]["conditions"].as_array_mut().unwrap() {
        if c["type"] == "MemoryPressure" {
            c["status"] = json!("True");
        }
    }
    cluster.apply(node);
    let exp = json!({
        "title": "nodes", "description": "d",
        "method": [
            k8s("conditions", "probe", "chaosk8s.node.probes", "get_all_node_status_conditions", json!({})),
            k8s("pid", "probe", "chaosk8s.node.probes", "verify_nodes_condition", json!({})),
            k8s("memory", "probe", "chaosk8s.node.probes", "verify_nodes_condition",
                json!({"condition_type": "MemoryPressure", "condition_value": "False"})),
            k8s("healthy", "probe", "chaosk8s.node.probes", "nodes_must_be_healthy", json!({})),
            k8s("ready", "probe", "chaosk8s.node.probes", "all_nodes_must_be_ready_to_schedule", json!({})),
            k8s("list", "probe", "chaosk8s.node.probes", "get_nodes", json!({}))
        ]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let conditions = j["run"][0]["output"].as_array().unwrap();
    assert_eq!(conditions.len(), 3);
    let third = conditions.iter().find(|c| c["name"] == "node-3").unwrap();
    assert_eq!(third["MemoryPressure"], json!("True"));
    assert_eq!(third["Ready"], json!("True"));
    assert_eq!(j["run"][1]["output"], json!(true));
    assert_eq!(j["run"][2]["output"], json!(false));
    assert_eq!(j["run"][3]["output"], json!(false));
    assert_eq!(
        j["run"][4]["output"],
        json!(true),
        "memory pressure is not readiness"
    );
    let list = &j["run"][5]["output"];
    assert_eq!(list["kind"], json!("NodeList"), "the API's JSON as sent");
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert!(
        list["items"][0]["metadata"]["creationTimestamp"].is_string(),
        "camelCase keys"
    );
}

#[test]
fn namespaces_are_created_from_a_name_or_a_spec_file_probed_and_deleted() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    std::fs::write(
        dir.path().join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-yaml\n  labels:\n    team: chaos\n",
    )
    .unwrap();
    let exp = json!({
        "title": "namespaces", "description": "d",
        "method": [
            k8s("by-name", "action", "chaosk8s.namespace.actions", "create_namespace", json!({"name": "staging"})),
            k8s("by-spec", "action", "chaosk8s.namespace.actions", "create_namespace", json!({"spec_path": "ns.yaml"})),
            k8s("neither", "action", "chaosk8s.namespace.actions", "create_namespace", json!({})),
            k8s("again", "action", "chaosk8s.namespace.actions", "create_namespace", json!({"name": "staging"})),
            k8s("exists", "probe", "chaosk8s.namespace.probes", "namespace_exists", json!({"name": "staging"})),
            k8s("delete", "action", "chaosk8s.namespace.actions", "delete_namespace", json!({"name": "staging"})),
            k8s("gone", "probe", "chaosk8s.namespace.probes", "namespace_exists", json!({"name": "staging"}))
        ]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let steps = &j["run"];
    assert_eq!(steps[0]["status"], "succeeded");
    assert_eq!(steps[1]["status"], "succeeded");
    let labelled = cluster.get("v1", "Namespace", None, "from-yaml").unwrap();
    assert_eq!(labelled["metadata"]["labels"]["team"], json!("chaos"));
    assert!(steps[2]["exception"]
        .to_string()
        .contains("You need to either specify name or spec_path"));
    assert_eq!(steps[3]["status"], "failed", "409 AlreadyExists");
    assert!(
        steps[3]["exception"].to_string().contains("409"),
        "{}",
        steps[3]
    );
    assert_eq!(steps[4]["output"], json!(true));
    assert_eq!(steps[5]["status"], "succeeded");
    assert_eq!(steps[6]["output"], json!(false));
    assert!(cluster.get("v1", "Namespace", None, "staging").is_none());
}

#[test]
fn discover_lists_the_native_kubernetes_functions_with_their_arguments_without_python() {
    let dir = common::scratch();
    let out = chaos_k8s(dir.path())
        .args(["discover", "chaostoolkit-kubernetes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let discovery: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("discovery.json")).unwrap())
            .unwrap();
    assert_eq!(
        discovery["extension"],
        json!({"name": "chaostoolkit-kubernetes", "version": "0.39.0"})
    );
    assert_eq!(discovery["target"], "kubernetes");
    let activities = discovery["activities"].as_array().unwrap();
    let drain = activities
        .iter()
        .find(|a| a["name"] == "drain_nodes")
        .expect("drain_nodes is listed");
    assert_eq!(drain["mod"], "chaosk8s.node.actions");
    assert_eq!(drain["type"], "action");
    let arguments: Vec<&str> = drain["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        arguments,
        [
            "name",
            "label_selector",
            "delete_pods_with_local_storage",
            "timeout",
            "secrets",
            "count",
            "pod_label_selector",
            "pod_namespace"
        ],
        "the extension's own order"
    );
    assert!(drain["doc"].as_str().unwrap().contains("Drain"), "{drain}");
    // Each listed activity validates as the discovery says it is called.
    for a in activities {
        let mut arguments = serde_json::Map::new();
        for arg in a["arguments"].as_array().unwrap() {
            if arg.get("default").is_none() {
                let value = match arg["type"].as_str() {
                    Some("integer") => json!(1),
                    Some("boolean") => json!(true),
                    Some("mapping") => json!({}),
                    Some("list") => json!([]),
                    _ => json!("x"),
                };
                arguments.insert(arg["name"].as_str().unwrap().to_string(), value);
            }
        }
        let exp = json!({"title": "t", "description": "d", "method": [
            k8s("a", a["type"].as_str().unwrap(), a["mod"].as_str().unwrap(), a["name"].as_str().unwrap(), Value::Object(arguments))
        ]});
        let path = common::write_experiment(dir.path(), "experiment.json", &exp);
        let out = chaos_k8s(dir.path())
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            a["name"],
            common::stderr(&out)
        );
    }
}

#[test]
fn discover_goes_through_python_when_chaosk8s_is_forced_there() {
    let dir = common::scratch();
    let out = chaos_k8s(dir.path())
        .env("CHAOS_FORCE_PYTHON", "chaosk8s")
        .args(["discover", "--no-install", "chaostoolkit-kubernetes"])
        .output()
        .unwrap();
    assert!(
        common::stderr(&out).contains("no-python-here"),
        "the Python route was taken: {}",
        common::stderr(&out)
    );
    assert!(!dir.path().join("discovery.json").exists());
}
