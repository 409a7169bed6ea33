//! The native Kubernetes driver's workload functions end to end: the
//! `chaos` binary running experiments written for chaostoolkit-kubernetes
//! (deployments, statefulsets, daemon sets, replica sets, pods, nodes, the
//! legacy `chaosk8s.actions`/`chaosk8s.probes` modules) against the
//! in-process fake API server.

mod common;

use common::k8s::{book_cluster, chaos_k8s, k8s, run, running_pods, wait_for};

use std::time::{Duration, Instant};

use chaos_k8s_fake::FakeCluster;
use serde_json::{json, Value};

fn exception(activity: &Value) -> String {
    activity["exception"].to_string()
}

fn experiment(method: Vec<Value>) -> Value {
    json!({"title": "workloads", "description": "d", "method": method})
}

fn web_deployment(replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}}
        }
    })
}

#[test]
fn watch_probes_answer_on_the_current_state_and_wait_for_a_recovery() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    // A replacement pod takes a while to run, so the deployment is seen
    // not fully available before it recovers.
    cluster.set_pod_startup(Duration::from_millis(1500));
    let exp = experiment(vec![
        k8s(
            "ready-now",
            "probe",
            "chaosk8s.deployment.probes",
            "deployment_fully_available",
            json!({"name": "my-service", "timeout": 5}),
        ),
        k8s(
            "partially",
            "probe",
            "chaosk8s.deployment.probes",
            "deployment_partially_available",
            json!({"name": "my-service"}),
        ),
        k8s(
            "kill-one",
            "action",
            "chaosk8s.pod.actions",
            "terminate_pods",
            json!({"label_selector": "service=my-service", "grace_period": 0}),
        ),
        k8s(
            "degraded",
            "probe",
            "chaosk8s.deployment.probes",
            "deployment_not_fully_available",
            json!({"name": "my-service", "timeout": 5}),
        ),
        k8s(
            "recovered",
            "probe",
            "chaosk8s.deployment.probes",
            "deployment_fully_available",
            json!({"name": "my-service", "timeout": 10}),
        ),
        k8s(
            "still-ready",
            "probe",
            "chaosk8s.deployment.probes",
            "deployment_not_fully_available",
            json!({"name": "my-service", "timeout": 1, "raise_on_fully_available": false}),
        ),
        k8s(
            "selector-formatted",
            "probe",
            "chaosk8s.deployment.probes",
            "deployment_fully_available",
            json!({"name": "my-service", "label_selector": "app={name}", "timeout": 1}),
        ),
    ]);
    let started = Instant::now();
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let r = &j["run"];
    for (i, want) in [
        (0, json!(true)),
        (1, json!(true)),
        (3, json!(true)),
        (4, json!(true)),
    ] {
        assert_eq!(r[i]["status"], "succeeded", "{}", r[i]);
        assert_eq!(r[i]["output"], want, "{}", r[i]);
    }
    assert_eq!(r[5]["status"], "succeeded", "{}", r[5]);
    assert_eq!(r[5]["output"], json!(false));
    // The deployment has no `app` label: nothing matches, the probe waits
    // its timeout and fails with the reference's words.
    assert_eq!(r[6]["status"], "failed");
    assert!(
        exception(&r[6]).contains("deployment 'my-service' failed to recover within 1s"),
        "{}",
        exception(&r[6])
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    let watches: Vec<_> = cluster
        .requests()
        .into_iter()
        .filter(|r| r.resource == "deployments" && r.verb == "watch")
        .collect();
    assert_eq!(watches.len(), 5, "one watch per probe: {watches:?}");
    assert!(watches
        .iter()
        .all(|w| w.query.contains("fieldSelector=metadata.name%3Dmy-service")));
    assert!(
        watches[4].query.contains("labelSelector=app%3Dmy-service"),
        "{}",
        watches[4].query
    );
    wait_for(|| running_pods(&cluster) == 3, "the deployment to recover");
}

#[test]
fn create_deployment_posts_the_spec_file_and_fails_the_reference_way() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx}]\n";
    std::fs::write(dir.path().join("web.yaml"), yaml).unwrap();
    std::fs::write(dir.path().join("web.txt"), yaml).unwrap();
    let exp = experiment(vec![
        k8s(
            "create",
            "action",
            "chaosk8s.deployment.actions",
            "create_deployment",
            json!({"spec_path": "web.yaml"}),
        ),
        k8s(
            "up",
            "probe",
            "chaosk8s.deployment.probes",
            "deployment_fully_available",
            json!({"name": "web", "timeout": 10}),
        ),
        k8s(
            "again",
            "action",
            "chaosk8s.deployment.actions",
            "create_deployment",
            json!({"spec_path": "web.yaml"}),
        ),
        k8s(
            "txt",
            "action",
            "chaosk8s.deployment.actions",
            "create_deployment",
            json!({"spec_path": "web.txt"}),
        ),
        k8s(
            "missing",
            "action",
            "chaosk8s.deployment.actions",
            "create_deployment",
            json!({"spec_path": "nope.json"}),
        ),
    ]);
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let r = &j["run"];
    assert_eq!(r[0]["status"], "succeeded", "{}", r[0]);
    assert_eq!(r[0]["output"], Value::Null);
    assert_eq!(r[1]["output"], json!(true), "{}", r[1]);
    assert_eq!(r[2]["status"], "failed");
    assert!(exception(&r[2]).contains("409"), "{}", exception(&r[2]));
    assert!(
        exception(&r[3]).contains("cannot process web.txt"),
        "{}",
        exception(&r[3])
    );
    assert!(
        exception(&r[4]).contains("nope.json"),
        "{}",
        exception(&r[4])
    );
    let web = cluster
        .get("apps/v1", "Deployment", Some("default"), "web")
        .unwrap();
    assert_eq!(web["metadata"]["labels"]["app"], "web");
    assert_eq!(web["status"]["readyReplicas"], 2);
}

#[test]
fn statefulsets_are_created_watched_and_scaled_to_zero_is_never_fully_available() {
    let dir = common::scratch();
    let _cluster = book_cluster(dir.path());
    let spec = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {"replicas": 2, "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "db", "image": "postgres"}]}}}
    });
    std::fs::write(dir.path().join("db.json"), spec.to_string()).unwrap();
    let exp = experiment(vec![
        k8s(
            "create",
            "action",
            "chaosk8s.statefulset.actions",
            "create_statefulset",
            json!({"spec_path": "db.json"}),
        ),
        k8s(
            "up",
            "probe",
            "chaosk8s.statefulset.probes",
            "statefulset_fully_available",
            json!({"name": "db", "timeout": 10}),
        ),
        k8s(
            "zero",
            "action",
            "chaosk8s.statefulset.actions",
            "scale_statefulset",
            json!({"name": "db", "replicas": 0}),
        ),
        k8s(
            "down",
            "probe",
            "chaosk8s.statefulset.probes",
            "statefulset_not_fully_available",
            json!({"name": "db", "timeout": 5}),
        ),
        k8s(
            "never-up",
            "probe",
            "chaosk8s.statefulset.probes",
            "statefulset_fully_available",
            json!({"name": "db", "timeout": 1}),
        ),
        k8s(
            "never-up-quiet",
            "probe",
            "chaosk8s.statefulset.probes",
            "statefulset_fully_available",
            json!({"name": "db", "timeout": 1, "raise_on_not_fully_available": false}),
        ),
    ]);
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let r = &j["run"];
    assert_eq!(r[0]["status"], "succeeded", "{}", r[0]);
    assert_eq!(r[1]["output"], json!(true), "{}", r[1]);
    assert_eq!(r[3]["output"], json!(true), "{}", r[3]);
    // No ready replica is a missing count, never equal to 0 replicas.
    assert_eq!(r[4]["status"], "failed");
    assert!(
        exception(&r[4]).contains("microservice 'db' failed to recover within 1s"),
        "{}",
        exception(&r[4])
    );
    assert_eq!(r[5]["status"], "succeeded");
    assert_eq!(r[5]["output"], json!(false));
}

#[test]
fn a_daemon_set_is_created_on_every_node_updated_and_deleted() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.set_pod_startup(Duration::from_millis(800));
    let yaml = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers: [{name: agent, image: fluentd}]\n";
    std::fs::write(dir.path().join("agent.yml"), yaml).unwrap();
    let probe = |name: &str, func: &str, args: Value| {
        k8s(name, "probe", "chaosk8s.daemonset.probes", func, args)
    };
    let exp = experiment(vec![
        k8s(
            "create",
            "action",
            "chaosk8s.daemonset.actions",
            "create_daemon_set",
            json!({"spec_path": "agent.yml"}),
        ),
        probe(
            "starting",
            "daemon_set_not_fully_available",
            json!({"name": "agent", "timeout": 5}),
        ),
        probe(
            "up",
            "daemon_set_fully_available",
            json!({"name": "agent", "timeout": 10}),
        ),
        probe(
            "healthy",
            "daemon_set_available_and_healthy",
            json!({"name": "agent"}),
        ),
        probe(
            "partially",
            "daemon_set_partially_available",
            json!({"name": "agent"}),
        ),
        k8s(
            "update",
            "action",
            "chaosk8s.daemonset.actions",
            "update_daemon_set",
            json!({"name": "agent", "spec": {"spec": {"template": {"metadata": {"labels": {"tier": "logs"}}}}}}),
        ),
        k8s(
            "delete",
            "action",
            "chaosk8s.daemonset.actions",
            "delete_daemon_set",
            json!({"label_selector": "nothing=here"}),
        ),
        probe(
            "still-there",
            "daemon_set_available_and_healthy",
            json!({"name": "agent", "label_selector": "nothing=here"}),
        ),
        k8s(
            "delete",
            "action",
            "chaosk8s.daemonset.actions",
            "delete_daemon_set",
            json!({"name": "agent"}),
        ),
        probe(
            "gone",
            "daemon_set_available_and_healthy",
            json!({"name": "agent"}),
        ),
        probe(
            "gone-watch",
            "daemon_set_fully_available",
            json!({"name": "agent", "timeout": 1}),
        ),
    ]);
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let outputs: Vec<Value> = j["run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["status"], "succeeded", "{a}");
            a["output"].clone()
        })
        .collect();
    assert_eq!(
        outputs,
        vec![
            Value::Null,
            json!(true),
            json!(true),
            json!(true),
            json!(true),
            Value::Null,
            Value::Null,
            json!(false),
            Value::Null,
            json!(false),
            json!(false)
        ]
    );
    let patch = cluster
        .requests()
        .into_iter()
        .find(|r| r.resource == "daemonsets" && r.verb == "patch")
        .unwrap();
    assert_eq!(patch.content_type, "application/strategic-merge-patch+json");
    assert!(patch.body.contains("\"tier\":\"logs\""), "{}", patch.body);
    assert!(cluster
        .get("apps/v1", "DaemonSet", Some("default"), "agent")
        .is_none());
}

#[test]
fn a_replica_set_is_deleted_by_name_and_its_pods_go_with_it() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.apply(json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "orphan", "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "orphan"}},
            "template": {"metadata": {"labels": {"app": "orphan"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
    }));
    wait_for(|| running_pods(&cluster) == 4, "the orphan's pod");
    let exp = experiment(vec![k8s(
        "delete",
        "action",
        "chaosk8s.replicaset.actions",
        "delete_replica_set",
        json!({"name": "orphan", "label_selector": "ignored=when-named"}),
    )]);
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(j["run"][0]["status"], "succeeded", "{}", j["run"][0]);
    assert!(cluster
        .get("apps/v1", "ReplicaSet", Some("default"), "orphan")
        .is_none());
    wait_for(|| running_pods(&cluster) == 3, "the orphan's pod to go");
    let listed = cluster
        .requests()
        .into_iter()
        .find(|r| r.resource == "replicasets" && r.verb == "list")
        .unwrap();
    assert!(
        listed
            .query
            .contains("fieldSelector=metadata.name%3Dorphan")
            && !listed.query.contains("labelSelector"),
        "{}",
        listed.query
    );
}

#[test]
fn pod_probes_check_conditions_health_and_logs() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    for pod in cluster.list("v1", "Pod", Some("default")) {
        let name = pod["metadata"]["name"].as_str().unwrap().to_string();
        let text = if name.ends_with(|c: char| c < 'm') {
            "ready and startup done\n"
        } else {
            "ready\n"
        };
        cluster.set_pod_log("default", &name, None, text);
    }
    let logs_with = |name: &str, all: bool| {
        json!({"type": "probe", "name": name,
            "tolerance": {"type": "probe", "name": "search", "provider": {"type": "python",
                "module": "chaosk8s.pod.probes", "func": "should_be_found_in_logs",
                "arguments": {"pattern": "ready", "all_containers": all}}},
            "provider": {"type": "python", "module": "chaosk8s.pod.probes", "func": "read_pod_logs",
                "arguments": {"label_selector": "service=my-service"}}})
    };
    let exp = json!({
        "title": "pods", "description": "d",
        "steady-state-hypothesis": {"title": "logs say ready", "probes": [
            logs_with("every-pod-ready", true),
            logs_with("one-pod-ready", false)
        ]},
        "method": [
            k8s("ready", "probe", "chaosk8s.pod.probes", "pods_in_conditions",
                json!({"label_selector": "service=my-service", "conditions": [{"type": "Ready", "status": "True"}]})),
            k8s("not-ready", "probe", "chaosk8s.pod.probes", "pods_in_conditions",
                json!({"label_selector": "service=my-service", "conditions": [{"type": "Ready", "status": "False"}]})),
            k8s("not-ready-quiet", "probe", "chaosk8s.pod.probes", "pods_in_conditions",
                json!({"label_selector": "service=my-service", "raise_on_invalid_conditions": false,
                    "conditions": [{"type": "Ready", "status": "False"}]})),
            k8s("healthy", "probe", "chaosk8s.pod.probes", "all_pods_healthy", json!({})),
            k8s("no-logs", "probe", "chaosk8s.pod.probes", "should_be_found_in_logs",
                json!({"pattern": "x", "value": {}})),
            k8s("found", "probe", "chaosk8s.pod.probes", "should_be_found_in_logs",
                json!({"pattern": "start", "all_containers": false, "value": {"a": "xx startup", "b": "nope"}})),
            k8s("not-everywhere", "probe", "chaosk8s.pod.probes", "should_be_found_in_logs",
                json!({"pattern": "start", "value": {"a": "xx startup", "b": "nope"}}))
        ]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let before = &j["steady_states"]["before"];
    assert_eq!(before["steady_state_met"], json!(true), "{before}");
    let r = &j["run"];
    assert_eq!(r[0]["output"], json!(true), "{}", r[0]);
    assert_eq!(r[1]["status"], "failed");
    assert!(
        exception(&r[1]).contains(
            "does not match the following given condition: {'type': 'Ready', 'status': 'False'}"
        ),
        "{}",
        exception(&r[1])
    );
    assert_eq!(r[2]["output"], json!(false));
    assert_eq!(r[3]["output"], json!(true));
    assert!(
        exception(&r[4]).contains("no logs to search from"),
        "{}",
        r[4]
    );
    assert_eq!(r[5]["output"], json!(true));
    assert_eq!(r[6]["output"], json!(false));

    // A failed pod makes the namespace unhealthy.
    cluster.apply(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "batch", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], "nodeName": "node-2"},
        "status": {"phase": "Failed"}
    }));
    let exp = experiment(vec![
        k8s(
            "unhealthy",
            "probe",
            "chaosk8s.pod.probes",
            "all_pods_healthy",
            json!({}),
        ),
        k8s(
            "unhealthy-quiet",
            "probe",
            "chaosk8s.pod.probes",
            "all_pods_healthy",
            json!({"raise_on_any_unhealthy": false}),
        ),
    ]);
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert!(
        exception(&j["run"][0]).contains("the system is unhealthy"),
        "{}",
        j["run"][0]
    );
    assert_eq!(j["run"][1]["output"], json!(false));
}

#[test]
fn delete_pods_takes_a_name_pattern_and_deletes_only_the_first_match() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    let exp = experiment(vec![k8s(
        "delete",
        "action",
        "chaosk8s.pod.actions",
        "delete_pods",
        json!({"name": "my-serv"}),
    )]);
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let deleted = j["run"][0]["output"].as_array().unwrap().clone();
    assert_eq!(deleted.len(), 1, "{}", j["run"][0]);
    assert!(deleted[0].as_str().unwrap().starts_with("my-service-"));
    let deletes = cluster
        .requests()
        .into_iter()
        .filter(|r| r.resource == "pods" && r.verb == "delete")
        .count();
    assert_eq!(deletes, 1);
}

#[test]
fn nodes_are_created_from_python_attribute_names_and_deleted() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    let exp = experiment(vec![
        k8s(
            "create",
            "action",
            "chaosk8s.node.actions",
            "create_node",
            json!({"meta": {"name": "n-new", "labels": {"pool": "spare"}},
                "spec": {"unschedulable": true, "pod_cidr": "10.9.0.0/24"}}),
        ),
        k8s(
            "camel",
            "action",
            "chaosk8s.node.actions",
            "create_node",
            json!({"meta": {"name": "n-bad"}, "spec": {"podCIDR": "10.9.1.0/24"}}),
        ),
        k8s(
            "all",
            "action",
            "chaosk8s.node.actions",
            "delete_nodes",
            json!({"all": true}),
        ),
        k8s(
            "delete",
            "action",
            "chaosk8s.node.actions",
            "delete_nodes",
            json!({"label_selector": "pool=spare", "grace_period_seconds": 5}),
        ),
        k8s(
            "none-left",
            "action",
            "chaosk8s.node.actions",
            "delete_nodes",
            json!({"label_selector": "pool=spare"}),
        ),
    ]);
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let r = &j["run"];
    assert_eq!(r[0]["status"], "succeeded", "{}", r[0]);
    assert_eq!(r[0]["output"]["metadata"]["name"], "n-new");
    assert_eq!(r[0]["output"]["spec"]["podCIDR"], "10.9.0.0/24");
    assert!(
        exception(&r[1]).contains("unexpected keyword argument 'podCIDR'"),
        "{}",
        r[1]
    );
    assert!(exception(&r[2]).contains("TypeError"), "{}", r[2]);
    assert_eq!(r[3]["output"], json!(["n-new"]), "{}", r[3]);
    assert!(
        exception(&r[4]).contains("failed to find a node that matches selector"),
        "{}",
        r[4]
    );
    assert!(cluster.get("v1", "Node", None, "n-new").is_none());
    assert!(cluster.get("v1", "Node", None, "n-bad").is_none());
    assert_eq!(cluster.list("v1", "Node", None).len(), 3);
}

#[test]
fn legacy_modules_keep_their_wrappers_quirks() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.apply(web_deployment(1));
    wait_for(|| running_pods(&cluster) == 4, "web's pod");
    let exp = experiment(vec![
        k8s(
            "healthy-null",
            "probe",
            "chaosk8s.probes",
            "microservice_available_and_healthy",
            json!({"name": "my-service"}),
        ),
        k8s(
            "missing",
            "probe",
            "chaosk8s.probes",
            "microservice_available_and_healthy",
            json!({"name": "nope"}),
        ),
        k8s(
            "all-healthy",
            "probe",
            "chaosk8s.probes",
            "all_microservices_healthy",
            json!({}),
        ),
        k8s(
            "fully",
            "probe",
            "chaosk8s.probes",
            "deployment_is_fully_available",
            json!({"name": "my-service", "timeout": 5}),
        ),
        k8s(
            "scale",
            "action",
            "chaosk8s.actions",
            "scale_microservice",
            json!({"name": "my-service", "replicas": 2}),
        ),
        k8s(
            "imported",
            "probe",
            "chaosk8s.probes",
            "deployment_available_and_healthy",
            json!({"name": "my-service", "raise_on_unavailable": false}),
        ),
        // The literal `{name}` selector the reference sends: refused by
        // the API server after the deployment is already deleted.
        k8s(
            "kill-default",
            "action",
            "chaosk8s.actions",
            "kill_microservice",
            json!({"name": "web"}),
        ),
        k8s(
            "kill",
            "action",
            "chaosk8s.actions",
            "kill_microservice",
            json!({"name": "my-service", "label_selector": "service=my-service"}),
        ),
    ]);
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let r = &j["run"];
    assert_eq!(r[0]["status"], "succeeded", "{}", r[0]);
    assert_eq!(r[0]["output"], Value::Null);
    assert!(
        exception(&r[1]).contains("Deployment 'nope' was not found"),
        "{}",
        r[1]
    );
    assert_eq!(r[2]["output"], json!(true), "{}", r[2]);
    assert_eq!(r[3]["output"], json!(true), "{}", r[3]);
    assert_eq!(r[4]["status"], "succeeded", "{}", r[4]);
    // Scaled down a moment ago: not every wanted replica is available.
    assert_eq!(r[5]["status"], "succeeded", "{}", r[5]);
    assert_eq!(r[6]["status"], "failed", "{}", r[6]);
    assert!(exception(&r[6]).contains("400"), "{}", r[6]);
    assert!(cluster
        .get("apps/v1", "Deployment", Some("default"), "web")
        .is_none());
    assert_eq!(r[7]["status"], "succeeded", "{}", r[7]);
    assert!(cluster
        .get("apps/v1", "Deployment", Some("default"), "my-service")
        .is_none());
    let pod_deletes = cluster
        .requests()
        .into_iter()
        .filter(|r| r.resource == "pods" && r.verb == "delete")
        .count();
    assert_eq!(pod_deletes, 1, "one pod, as delete_pods does");
    let scaled = cluster
        .requests()
        .into_iter()
        .find(|r| r.resource == "deployments" && r.verb == "patch")
        .unwrap();
    assert_eq!(scaled.body, r#"{"spec":{"replicas":2}}"#);
}

#[test]
fn a_forbidden_watch_names_the_missing_permission() {
    let dir = common::scratch();
    let cluster: FakeCluster = book_cluster(dir.path());
    cluster.forbid("watch", "apps", "deployments");
    let exp = experiment(vec![k8s(
        "fully",
        "probe",
        "chaosk8s.deployment.probes",
        "deployment_fully_available",
        json!({"name": "my-service", "timeout": 5}),
    )]);
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    let e = exception(&j["run"][0]);
    assert!(
        e.contains("permission to 'watch' deployments in namespace 'default' is missing"),
        "{e}"
    );
}

#[test]
fn exec_in_pods_runs_the_split_command_in_the_named_container() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.set_exec(|req| {
        if req.command == ["sh", "-c", "exit 3"] {
            return chaos_k8s_fake::ExecOutput {
                stderr: "not shown\n".into(),
                exit_code: 3,
                ..Default::default()
            };
        }
        chaos_k8s_fake::ExecOutput {
            stdout: format!(
                "{} in {}: {}",
                req.container,
                req.pod,
                req.command.join("|")
            ),
            ..Default::default()
        }
    });
    let exec =
        |name: &str, args: Value| k8s(name, "action", "chaosk8s.pod.actions", "exec_in_pods", args);
    let exp = experiment(vec![
        exec(
            "split",
            json!({"cmd": "ls -la '/tmp/a b'", "label_selector": "service=my-service",
            "container_name": "my-app", "all": true}),
        ),
        exec(
            "fails",
            json!({"cmd": ["sh", "-c", "exit 3"], "label_selector": "service=my-service",
            "container_name": "my-app"}),
        ),
        exec(
            "no-container",
            json!({"cmd": "ls", "label_selector": "service=my-service"}),
        ),
        exec("no-command", json!({"cmd": "", "container_name": "my-app"})),
    ]);
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let r = &j["run"];
    let split = r[0]["output"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r[0]));
    assert_eq!(split.len(), 3);
    for result in split {
        let pod = result["pod_name"].as_str().unwrap();
        assert_eq!(
            result["stdout"],
            format!("my-app in {pod}: ls|-la|/tmp/a b")
        );
        assert_eq!(result["exit_code"], json!(0));
        assert_eq!(result["stderr"], "");
        assert_eq!(result["cmd"], "ls -la '/tmp/a b'");
    }
    let failed = &r[1]["output"][0];
    assert_eq!(failed["exit_code"], json!("3"), "{}", r[1]);
    assert!(
        failed["stderr"]
            .as_str()
            .unwrap()
            .contains("non-zero exit code"),
        "{failed}"
    );
    assert_eq!(failed["cmd"], json!(["sh", "-c", "exit 3"]));
    assert_eq!(r[2]["output"], json!([]));
    assert!(
        exception(&r[3]).contains("A command must be set to run a container"),
        "{}",
        r[3]
    );

    cluster.forbid("get", "", "pods/exec");
    let exp = experiment(vec![exec(
        "forbidden",
        json!({"cmd": "ls",
        "label_selector": "service=my-service", "container_name": "my-app"}),
    )]);
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    let e = exception(&j["run"][0]);
    assert!(e.contains("permission to 'create' pods/exec"), "{e}");
    assert!(e.contains("Handshake status 403"), "{e}");
}

/// RBAC rules of catalog functions, as a Role's or ClusterRole's `rules`.
fn rules_of(functions: &[(&str, &str)], drop: Option<(&str, &str)>) -> Vec<Value> {
    let mut rules = vec![];
    for (module, name) in functions {
        let f = chaos_kubernetes::catalog()
            .iter()
            .find(|f| f.name == *name && f.modules.contains(module))
            .unwrap_or_else(|| panic!("{module}.{name}"));
        for r in f.rules {
            let verbs: Vec<&str> = r
                .verbs
                .iter()
                .copied()
                .filter(|v| drop != Some((r.resource, v)))
                .collect();
            rules.push(json!({"apiGroups": [r.group], "resources": [r.resource], "verbs": verbs}));
        }
    }
    rules
}

fn grant(cluster: &FakeCluster, namespaced: Vec<Value>, cluster_wide: Vec<Value>) {
    let subject = json!([{"kind": "ServiceAccount", "name": "runner", "namespace": "chaos"}]);
    cluster.apply(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "chaos", "namespace": "default"}, "rules": namespaced}),
    );
    cluster.apply(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "chaos", "namespace": "default"}, "subjects": subject,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "chaos"}}),
    );
    cluster.apply(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "chaos"}, "rules": cluster_wide}),
    );
    cluster.apply(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "chaos"}, "subjects": subject,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "chaos"}}));
}

#[test]
fn the_declared_rules_are_enough_and_each_verb_is_needed() {
    let namespaced = [
        ("chaosk8s.daemonset.actions", "create_daemon_set"),
        ("chaosk8s.daemonset.probes", "daemon_set_fully_available"),
        ("chaosk8s.daemonset.actions", "update_daemon_set"),
        ("chaosk8s.pod.actions", "exec_in_pods"),
        ("chaosk8s.actions", "kill_microservice"),
    ];
    let cluster_wide = [
        ("chaosk8s.node.actions", "create_node"),
        ("chaosk8s.node.actions", "delete_nodes"),
    ];
    let yaml = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers: [{name: agent, image: fluentd}]\n";
    let exp = experiment(vec![
        k8s(
            "create",
            "action",
            "chaosk8s.daemonset.actions",
            "create_daemon_set",
            json!({"spec_path": "agent.yaml"}),
        ),
        k8s(
            "up",
            "probe",
            "chaosk8s.daemonset.probes",
            "daemon_set_fully_available",
            json!({"name": "agent", "timeout": 10}),
        ),
        k8s(
            "update",
            "action",
            "chaosk8s.daemonset.actions",
            "update_daemon_set",
            json!({"name": "agent", "spec": {"metadata": {"labels": {"x": "y"}}}}),
        ),
        k8s(
            "exec",
            "action",
            "chaosk8s.pod.actions",
            "exec_in_pods",
            json!({"cmd": "echo hi", "label_selector": "service=my-service", "container_name": "my-app"}),
        ),
        k8s(
            "kill",
            "action",
            "chaosk8s.actions",
            "kill_microservice",
            json!({"name": "my-service", "label_selector": "service=my-service"}),
        ),
        k8s(
            "node",
            "action",
            "chaosk8s.node.actions",
            "create_node",
            json!({"meta": {"name": "spare", "labels": {"pool": "spare"}}}),
        ),
        k8s(
            "gone",
            "action",
            "chaosk8s.node.actions",
            "delete_nodes",
            json!({"label_selector": "pool=spare"}),
        ),
    ]);
    let run_with = |drop: Option<(&str, &str)>| {
        let dir = common::scratch();
        let cluster = book_cluster(dir.path());
        std::fs::write(dir.path().join("agent.yaml"), yaml).unwrap();
        grant(
            &cluster,
            rules_of(&namespaced, drop),
            rules_of(&cluster_wide, drop),
        );
        cluster.set_user("system:serviceaccount:chaos:runner");
        cluster.enforce_rbac();
        let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
        assert!(j.is_object(), "{}", common::stderr(&out));
        j["run"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["status"].as_str().unwrap().to_string(), exception(a)))
            .collect::<Vec<_>>()
    };
    let all = run_with(None);
    for (i, (status, e)) in all.iter().enumerate() {
        assert_eq!(status, "succeeded", "activity {i}: {e}");
    }
    for (drop, activity) in [
        (("daemonsets", "watch"), 1),
        (("daemonsets", "patch"), 2),
        (("pods/exec", "get"), 3),
        (("replicasets", "list"), 4),
        (("nodes", "create"), 5),
    ] {
        let (status, e) = &run_with(Some(drop))[activity];
        assert_eq!(status, "failed", "{drop:?}");
        assert!(e.contains("is missing"), "{drop:?}: {e}");
    }
}
