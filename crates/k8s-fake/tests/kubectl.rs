//! The real `kubectl` (from PATH) against the fake, through a kubeconfig
//! written by `write_kubeconfig`: what a user or a driver shelling out to
//! kubectl would do in a chaos experiment. These tests fail, rather than
//! skip, when kubectl is missing: CI must install it.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chaos_k8s_fake::FakeCluster;
use common::{deployment, name, pods_with, running, wait_for};
use serde_json::{json, Value};

fn kubectl_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "kubectl not found on PATH: these tests drive the real kubectl against the fake API server; \
                 install it (e.g. Debian's kubernetes-client package) and re-run"
            )
        })
}

struct Kube {
    cluster: FakeCluster,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Kube {
    fn new(nodes: &[&str]) -> Kube {
        let cluster = FakeCluster::with_nodes(nodes);
        cluster.set_controller_delay(Duration::from_millis(50));
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        cluster.write_kubeconfig(&kubeconfig, "fake", None);
        Kube {
            cluster,
            dir,
            kubeconfig,
        }
    }

    /// Runs kubectl with an isolated HOME (no user config or cache leaks
    /// in) and a 60 s limit.
    fn run(&self, args: &[&str]) -> Out {
        let home = self.dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let out_path = self.dir.path().join("stdout");
        let err_path = self.dir.path().join("stderr");
        let mut child = Command::new(kubectl_path())
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .env("HOME", &home)
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .expect("spawn kubectl");
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("kubectl {args:?} did not finish within 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Out {
            ok: status.success(),
            stdout: std::fs::read_to_string(&out_path).unwrap(),
            stderr: std::fs::read_to_string(&err_path).unwrap(),
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.ok,
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
            out.stdout, out.stderr
        );
        out.stdout
    }
}

fn ready(c: &FakeCluster, app: &str) -> Vec<Value> {
    pods_with(c, "app", app)
        .into_iter()
        .filter(running)
        .collect()
}

#[test]
fn get_nodes_and_pods_with_selectors() {
    let k = Kube::new(&["node-1", "node-2", "node-3"]);
    k.cluster.apply(deployment("x", 3));
    k.cluster.apply(deployment("y", 1));
    wait_for("pods", || {
        ready(&k.cluster, "x").len() == 3 && ready(&k.cluster, "y").len() == 1
    });

    let out = k.ok(&["get", "nodes"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("NAME") && lines[0].contains("STATUS"),
        "{out}"
    );
    for n in ["node-1", "node-2", "node-3"] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(n) && l.contains(" Ready ")),
            "{n} in {out}"
        );
    }

    let out = k.ok(&["get", "pods", "-l", "app=x", "-o", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let mut got: Vec<String> = v["items"].as_array().unwrap().iter().map(name).collect();
    let mut want: Vec<String> = pods_with(&k.cluster, "app", "x").iter().map(name).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);

    let out = k.ok(&[
        "get",
        "pods",
        "--field-selector",
        "spec.nodeName=node-1",
        "-o",
        "name",
    ]);
    let mut got: Vec<&str> = out.lines().collect();
    let on_node: Vec<String> = k
        .cluster
        .list("v1", "Pod", Some("default"))
        .iter()
        .filter(|p| p["spec"]["nodeName"] == "node-1")
        .map(|p| format!("pod/{}", name(p)))
        .collect();
    let mut want: Vec<&str> = on_node.iter().map(String::as_str).collect();
    got.sort();
    want.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);

    let out = k.ok(&["get", "deploy", "x"]);
    assert!(
        out.lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()[..4]
            == ["x", "3/3", "3", "3"],
        "{out}"
    );
    k.cluster.apply(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
        "spec": {"selector": {"app": "x"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
    );
    k.cluster.apply(
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "x"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "x"}}}}),
    );
    wait_for("pdb status", || {
        k.cluster
            .get("policy/v1", "PodDisruptionBudget", None, "x")
            .is_some_and(|p| p["status"]["disruptionsAllowed"] == 1)
    });
    let out = k.ok(&["get", "svc/x", "pdb/x"]);
    assert!(
        out.contains("service/x") && out.contains("ClusterIP") && out.contains("80/TCP"),
        "{out}"
    );
    assert!(out.contains("ALLOWED DISRUPTIONS"), "{out}");
    let out = k.ok(&[
        "get",
        "pdb",
        "x",
        "-o",
        "jsonpath={.status.disruptionsAllowed}",
    ]);
    assert_eq!(out, "1");
    let out = k.run(&["get", "pod", "nope"]);
    assert!(!out.ok);
    assert!(
        out.stderr
            .contains("Error from server (NotFound): pods \"nope\" not found"),
        "{}",
        out.stderr
    );
}

#[test]
fn scale_rollout_and_delete() {
    let k = Kube::new(&["node-1", "node-2"]);
    k.cluster.apply(deployment("x", 1));
    wait_for("1 pod", || ready(&k.cluster, "x").len() == 1);
    let out = k.ok(&["scale", "deployment", "x", "--replicas=3"]);
    assert_eq!(out.trim(), "deployment.apps/x scaled");
    wait_for("3 pods after scale", || ready(&k.cluster, "x").len() == 3);
    assert_eq!(
        k.cluster.get("apps/v1", "Deployment", None, "x").unwrap()["spec"]["replicas"],
        3
    );
    assert!(k
        .cluster
        .requests()
        .iter()
        .any(|r| r.verb == "patch" && r.subresource == "scale"));

    let before: Vec<String> = ready(&k.cluster, "x").iter().map(name).collect();
    let out = k.ok(&["rollout", "restart", "deployment/x"]);
    assert_eq!(out.trim(), "deployment.apps/x restarted");
    wait_for("restarted", || {
        let now = ready(&k.cluster, "x");
        now.len() == 3 && now.iter().all(|p| !before.contains(&name(p)))
    });
    let out = k.ok(&["rollout", "status", "deployment/x", "--timeout=20s"]);
    assert!(out.contains("successfully rolled out"), "{out}");

    let victim = name(&ready(&k.cluster, "x")[0]);
    let out = k.ok(&["delete", "pod", &victim]);
    assert_eq!(out.trim(), format!("pod \"{victim}\" deleted"));
    assert!(k.cluster.get("v1", "Pod", None, &victim).is_none());
    wait_for("replacement", || {
        let now = ready(&k.cluster, "x");
        now.len() == 3 && now.iter().all(|p| name(p) != victim)
    });
}

#[test]
fn cordon_uncordon_and_drain() {
    let k = Kube::new(&["node-1", "node-2", "node-3"]);
    k.cluster.apply(deployment("x", 3));
    k.cluster.apply(json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "kube-system"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}},
                              "spec": {"containers": [{"name": "a", "image": "agent:1"}], "volumes": [{"name": "tmp", "emptyDir": {}}]}}}
    }));
    wait_for("workloads", || {
        ready(&k.cluster, "x").len() == 3
            && k.cluster
                .list("v1", "Pod", Some("kube-system"))
                .iter()
                .filter(|p| running(p))
                .count()
                == 3
    });

    assert_eq!(k.ok(&["cordon", "node-1"]).trim(), "node/node-1 cordoned");
    assert_eq!(
        k.cluster.get("v1", "Node", None, "node-1").unwrap()["spec"]["unschedulable"],
        true
    );
    let out = k.ok(&["get", "nodes"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("node-1") && l.contains("Ready,SchedulingDisabled")),
        "{out}"
    );
    assert_eq!(
        k.ok(&["uncordon", "node-1"]).trim(),
        "node/node-1 uncordoned"
    );
    assert!(k.cluster.get("v1", "Node", None, "node-1").unwrap()["spec"]
        .get("unschedulable")
        .is_none());
    let patches: Vec<String> = k
        .cluster
        .requests()
        .iter()
        .filter(|r| r.verb == "patch" && r.resource == "nodes")
        .map(|r| r.content_type.clone())
        .collect();
    assert_eq!(patches, ["application/strategic-merge-patch+json"; 2]);

    let out = k.run(&[
        "drain",
        "node-1",
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=20s",
    ]);
    assert!(out.ok, "drain failed: {}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("node/node-1 drained"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("ignoring DaemonSet-managed Pods: kube-system/agent-"),
        "{}",
        out.stderr
    );
    assert!(k
        .cluster
        .requests()
        .iter()
        .any(|r| r.subresource == "eviction" && r.verb == "create" && r.status == 201));
    wait_for("moved off node-1", || {
        let now = ready(&k.cluster, "x");
        now.len() == 3 && now.iter().all(|p| p["spec"]["nodeName"] != "node-1")
    });
    let daemon_on_node1 = k
        .cluster
        .list("v1", "Pod", Some("kube-system"))
        .iter()
        .filter(|p| p["spec"]["nodeName"] == "node-1")
        .count();
    assert_eq!(daemon_on_node1, 1, "DaemonSet pods are left alone");
    let out = k.ok(&["get", "nodes", "node-1"]);
    assert!(out.contains("SchedulingDisabled"), "{out}");
}

#[test]
fn drain_blocked_by_disruption_budget_times_out() {
    let k = Kube::new(&["node-1", "node-2"]);
    k.cluster.apply(deployment("x", 2));
    wait_for("2 pods", || ready(&k.cluster, "x").len() == 2);
    k.cluster.apply(json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "x-pdb"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "x"}}}
    }));
    let node = ready(&k.cluster, "x")[0]["spec"]["nodeName"]
        .as_str()
        .unwrap()
        .to_string();
    let started = Instant::now();
    let out = k.run(&[
        "drain",
        &node,
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=2s",
    ]);
    assert!(!out.ok, "drain should fail: {}", out.stdout);
    assert!(
        out.stderr
            .contains("Cannot evict pod as it would violate the pod's disruption budget."),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("global timeout reached: 2s"),
        "{}",
        out.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(ready(&k.cluster, "x").len(), 2, "nothing was evicted");
    assert!(k
        .cluster
        .requests()
        .iter()
        .any(|r| r.subresource == "eviction" && r.status == 429));
}

#[test]
fn forbidden_and_unauthorized_messages() {
    let k = Kube::new(&["node-1"]);
    k.cluster.apply(common::pod("victim", json!({"app": "v"})));
    k.cluster.forbid("delete", "", "pods");
    let out = k.run(&["delete", "pod", "victim"]);
    assert!(!out.ok);
    assert!(
        out.stderr.contains(
            "Error from server (Forbidden): pods \"victim\" is forbidden: User \"system:serviceaccount:default:default\" cannot delete resource \"pods\" in API group \"\" in the namespace \"default\""
        ),
        "{}",
        out.stderr
    );
    assert!(k.cluster.get("v1", "Pod", None, "victim").is_some());
    // Typed-clientset subcommands send protobuf bodies, which the fake
    // refuses honestly (JSON clients get answers, see tests/api.rs).
    let out = k.run(&["auth", "can-i", "delete", "pods"]);
    assert!(!out.ok);
    assert!(
        out.stderr
            .contains("Error from server (UnsupportedMediaType)"),
        "{}",
        out.stderr
    );

    // client-go only loads a kubeconfig user's credentials for TLS
    // servers, so over the fake's plain HTTP kubectl sends no token at all
    // and a token-requiring fake answers 401, which kubectl reports so:
    k.ok(&["get", "pods"]);
    k.cluster.require_token("fake-token");
    let out = k.run(&["get", "pods"]);
    assert!(!out.ok);
    assert!(
        out.stderr
            .contains("error: You must be logged in to the server (Unauthorized)"),
        "{}",
        out.stderr
    );
    let last = k.cluster.requests().pop().unwrap();
    assert_eq!((last.verb.as_str(), last.status), ("list", 401));
}

#[test]
fn apply_logs_and_namespaces() {
    let k = Kube::new(&["node-1"]);
    let manifest = k.dir.path().join("pod.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n  namespace: team\n  labels:\n    app: app\nspec:\n  containers:\n  - name: main\n    image: busybox:1.36\n",
    )
    .unwrap();
    let out = k.ok(&["apply", "-f", manifest.to_str().unwrap()]);
    assert!(
        out.contains("namespace/team created") && out.contains("pod/app created"),
        "{out}"
    );
    wait_for("running", || {
        k.cluster
            .get("v1", "Pod", Some("team"), "app")
            .is_some_and(|p| running(&p))
    });
    k.cluster.set_pod_log("team", "app", None, "hello\nworld");
    assert_eq!(k.ok(&["logs", "-n", "team", "app"]), "hello\nworld\n");
    assert_eq!(k.ok(&["logs", "-n", "team", "app", "--tail=1"]), "world\n");
    let out = k.ok(&["get", "pods", "-A"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("team") && l.contains("app") && l.contains("Running")),
        "{out}"
    );
    let out = k.ok(&["delete", "namespace", "team"]);
    assert!(out.contains("namespace \"team\" deleted"), "{out}");
    assert!(k.cluster.get("v1", "Pod", Some("team"), "app").is_none());
}
