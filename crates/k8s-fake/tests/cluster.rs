//! Cluster behaviour: workload controllers, the scheduler, endpoints,
//! garbage collection, node readiness, the scale subresource, and the
//! eviction API with PodDisruptionBudgets.

mod common;

use std::time::{Duration, Instant};

use chaos_k8s_fake::FakeCluster;
use common::{deployment, fast_cluster, name, pod, pods_with, running, wait_for, Api};
use serde_json::{json, Value};

fn ready_count(c: &FakeCluster, app: &str) -> usize {
    pods_with(c, "app", app)
        .iter()
        .filter(|p| running(p))
        .count()
}

#[tokio::test]
async fn deployment_pods_replicasets_and_status() {
    let c = FakeCluster::with_nodes(&["node-1", "node-2", "node-3"]);
    let api = Api::new(&c);
    let (s, d) = api
        .post(
            "/apis/apps/v1/namespaces/default/deployments",
            &deployment("web", 3),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
    assert!(
        d.get("status").is_none(),
        "status is not taken from clients on create"
    );
    wait_for("3 running web pods", || ready_count(&c, "web") == 3);

    let rs = c.list("apps/v1", "ReplicaSet", Some("default"));
    assert_eq!(rs.len(), 1);
    let rs_name = name(&rs[0]);
    let hash = rs[0]["metadata"]["labels"]["pod-template-hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(rs_name, format!("web-{hash}"));
    assert_eq!(
        rs[0]["metadata"]["ownerReferences"][0]["kind"],
        "Deployment"
    );
    assert_eq!(
        rs[0]["metadata"]["ownerReferences"][0]["uid"],
        d["metadata"]["uid"]
    );

    let pods = pods_with(&c, "app", "web");
    let mut nodes: Vec<&str> = pods
        .iter()
        .map(|p| p["spec"]["nodeName"].as_str().unwrap())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["node-1", "node-2", "node-3"], "spread over nodes");
    for p in &pods {
        let n = name(p);
        let suffix = n
            .strip_prefix(&format!("{rs_name}-"))
            .expect("named after the ReplicaSet");
        assert_eq!(suffix.len(), 5);
        assert_eq!(p["metadata"]["labels"]["tier"], "web");
        assert_eq!(p["metadata"]["labels"]["pod-template-hash"], hash.as_str());
        let owner = &p["metadata"]["ownerReferences"][0];
        assert_eq!(
            (owner["kind"].as_str(), owner["controller"].as_bool()),
            (Some("ReplicaSet"), Some(true))
        );
        assert_eq!(p["status"]["containerStatuses"][0]["ready"], true);
        assert_eq!(
            p["status"]["containerStatuses"][0]["image"],
            "docker.io/library/nginx:1.27"
        );
        assert!(p["status"]["podIP"]
            .as_str()
            .unwrap()
            .starts_with("10.244."));
    }

    wait_for("deployment status", || {
        let d = c.get("apps/v1", "Deployment", None, "web").unwrap();
        d["status"]["readyReplicas"] == 3 && d["status"]["availableReplicas"] == 3
    });
    let (_, d) = api
        .get("/apis/apps/v1/namespaces/default/deployments/web")
        .await;
    let st = &d["status"];
    assert_eq!(
        (st["replicas"].as_i64(), st["updatedReplicas"].as_i64()),
        (Some(3), Some(3))
    );
    assert!(st.get("unavailableReplicas").is_none());
    assert_eq!(st["observedGeneration"], d["metadata"]["generation"]);
    let conds = st["conditions"].as_array().unwrap();
    assert_eq!(conds[0]["type"], "Available");
    assert_eq!(conds[0]["status"], "True");
    assert_eq!(conds[0]["reason"], "MinimumReplicasAvailable");
    assert_eq!(conds[1]["type"], "Progressing");
    assert_eq!(conds[1]["reason"], "NewReplicaSetAvailable");
    assert_eq!(
        conds[1]["message"],
        format!("ReplicaSet \"{rs_name}\" has successfully progressed.")
    );
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "1"
    );

    // A deleted pod comes back under a new name, after the (default 300 ms)
    // controller delay.
    let victim = name(&pods[0]);
    let started = Instant::now();
    assert_eq!(
        api.delete(&format!("/api/v1/namespaces/default/pods/{victim}"), None)
            .await
            .0,
        200
    );
    let remaining = pods_with(&c, "app", "web").len();
    // Only meaningful if this thread was not descheduled for the whole delay.
    if started.elapsed() < Duration::from_millis(200) {
        assert_eq!(remaining, 2, "not replaced before the controller delay");
    }
    wait_for("replacement", || ready_count(&c, "web") == 3);
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(pods_with(&c, "app", "web")
        .iter()
        .all(|p| name(p) != victim));

    // Scaling down removes pods; status follows.
    api.patch(
        "/apis/apps/v1/namespaces/default/deployments/web",
        "application/merge-patch+json",
        &json!({"spec": {"replicas": 1}}),
    )
    .await;
    wait_for("scaled to 1", || {
        pods_with(&c, "app", "web").len() == 1
            && c.get("apps/v1", "Deployment", None, "web").unwrap()["status"]["replicas"] == 1
    });
}

#[tokio::test]
async fn scale_subresource_and_rollout_restart() {
    let c = fast_cluster(&["node-1", "node-2"]);
    let api = Api::new(&c);
    c.apply(deployment("api", 2));
    wait_for("2 pods", || ready_count(&c, "api") == 2);
    let path = "/apis/apps/v1/namespaces/default/deployments/api/scale";
    let (s, scale) = api.get(path).await;
    assert_eq!(s, 200);
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["apiVersion"], "autoscaling/v1");
    assert_eq!(scale["spec"]["replicas"], 2);
    assert_eq!(scale["status"]["selector"], "app=api");
    wait_for("status replicas", || {
        c.get("apps/v1", "Deployment", None, "api").unwrap()["status"]["replicas"] == 2
    });

    let (s, v) = api
        .patch(
            path,
            "application/merge-patch+json",
            &json!({"spec": {"replicas": 4}}),
        )
        .await;
    assert_eq!((s, v["spec"]["replicas"].as_i64()), (200, Some(4)));
    wait_for("4 pods", || ready_count(&c, "api") == 4);

    let (_, mut cur) = api.get(path).await;
    cur["spec"]["replicas"] = json!(3);
    let (s, _) = api.put(path, &cur).await;
    assert_eq!(s, 200);
    wait_for("3 pods", || pods_with(&c, "app", "api").len() == 3);
    let (s, v) = api.put(path, &cur).await;
    assert_eq!(
        (s, v["reason"].as_str()),
        (409, Some("Conflict")),
        "stale resourceVersion"
    );
    let (s, v) = api
        .patch(
            path,
            "application/merge-patch+json",
            &json!({"spec": {"replicas": -1}}),
        )
        .await;
    assert_eq!((s, v["reason"].as_str()), (422, Some("Invalid")));
    let (s, _) = api
        .get("/apis/apps/v1/namespaces/default/deployments/nope/scale")
        .await;
    assert_eq!(s, 404);

    // `kubectl rollout restart` patches a template annotation: all pods
    // are replaced by a new ReplicaSet; the old one is scaled to zero.
    let before: Vec<String> = pods_with(&c, "app", "api").iter().map(name).collect();
    let generation = c.get("apps/v1", "Deployment", None, "api").unwrap()["metadata"]["generation"]
        .as_i64()
        .unwrap();
    let (s, _) = api
        .patch(
            "/apis/apps/v1/namespaces/default/deployments/api",
            "application/strategic-merge-patch+json",
            &json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z"}}}}}),
        )
        .await;
    assert_eq!(s, 200);
    wait_for("pods replaced", || {
        let now = pods_with(&c, "app", "api");
        now.len() == 3 && now.iter().all(|p| running(p) && !before.contains(&name(p)))
    });
    let rs = c.list("apps/v1", "ReplicaSet", Some("default"));
    assert_eq!(rs.len(), 2);
    assert!(rs.iter().any(|r| r["spec"]["replicas"] == 0));
    let d = c.get("apps/v1", "Deployment", None, "api").unwrap();
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "2"
    );
    assert_eq!(d["metadata"]["generation"], generation + 1);
}

#[test]
fn statefulsets_daemonsets_and_bare_pods() {
    let c = fast_cluster(&["node-1", "node-2"]);
    c.apply(json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}}
    }));
    wait_for("db-0..2", || ready_count(&c, "db") == 3);
    let mut names: Vec<String> = pods_with(&c, "app", "db").iter().map(name).collect();
    names.sort();
    assert_eq!(names, ["db-0", "db-1", "db-2"]);
    let p = c.get("v1", "Pod", None, "db-1").unwrap();
    assert_eq!(p["spec"]["hostname"], "db-1");
    assert_eq!(
        p["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"],
        "db-1"
    );
    let uid = p["metadata"]["uid"].clone();
    c.delete("v1", "Pod", None, "db-1");
    wait_for("db-1 recreated", || {
        c.get("v1", "Pod", None, "db-1")
            .is_some_and(|p| p["metadata"]["uid"] != uid && running(&p))
    });
    let mut sts = c.get("apps/v1", "StatefulSet", None, "db").unwrap();
    sts["spec"]["replicas"] = json!(1);
    c.apply(sts);
    wait_for("scaled down from the top", || {
        pods_with(&c, "app", "db").len() == 1
    });
    assert!(c.get("v1", "Pod", None, "db-0").is_some());
    wait_for("sts status", || {
        let s = c.get("apps/v1", "StatefulSet", None, "db").unwrap();
        s["status"]["replicas"] == 1 && s["status"]["readyReplicas"] == 1
    });

    // DaemonSet: one pod per node, also on cordoned nodes, and on new nodes.
    c.apply(json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "kube-system"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "agent:1"}]}}}
    }));
    let agents = |c: &FakeCluster| {
        c.list("v1", "Pod", Some("kube-system"))
            .into_iter()
            .filter(running)
            .count()
    };
    wait_for("2 agents", || agents(&c) == 2);
    let mut n = c.get("v1", "Node", None, "node-1").unwrap();
    n["spec"]["unschedulable"] = json!(true);
    c.apply(n);
    let mut n3 = c.get("v1", "Node", None, "node-2").unwrap();
    n3["metadata"] = json!({"name": "node-3", "labels": {"kubernetes.io/hostname": "node-3"}});
    c.apply(n3);
    wait_for("3 agents", || agents(&c) == 3);
    wait_for("ds status", || {
        let ds = c
            .get("apps/v1", "DaemonSet", Some("kube-system"), "agent")
            .unwrap();
        ds["status"]["desiredNumberScheduled"] == 3 && ds["status"]["numberReady"] == 3
    });
    let node1 = c.get("v1", "Node", None, "node-1").unwrap();
    assert_eq!(
        node1["spec"]["taints"][0]["key"], "node.kubernetes.io/unschedulable",
        "cordon taint"
    );

    // Bare pods are scheduled (not onto the cordoned node) and run.
    for i in 0..4 {
        c.apply(pod(&format!("bare-{i}"), json!({"app": "bare"})));
    }
    wait_for("bare pods running", || ready_count(&c, "bare") == 4);
    assert!(pods_with(&c, "app", "bare")
        .iter()
        .all(|p| p["spec"]["nodeName"] != "node-1"));
    let mut picky = pod("picky", json!({"app": "picky"}));
    picky["spec"]["nodeSelector"] = json!({"disk": "ssd"});
    c.apply(picky);
    wait_for("picky pending", || {
        let p = c.get("v1", "Pod", None, "picky").unwrap();
        p["status"]["conditions"][0]["reason"] == "Unschedulable"
    });
    let p = c.get("v1", "Pod", None, "picky").unwrap();
    assert_eq!(p["status"]["phase"], "Pending");
    assert_eq!(p["status"]["conditions"][0]["type"], "PodScheduled");
    assert!(p["status"]["conditions"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("0/3 nodes are available"));
    let mut n2 = c.get("v1", "Node", None, "node-2").unwrap();
    n2["metadata"]["labels"]["disk"] = json!("ssd");
    c.apply(n2);
    wait_for("picky scheduled", || {
        c.get("v1", "Pod", None, "picky")
            .is_some_and(|p| running(&p) && p["spec"]["nodeName"] == "node-2")
    });
}

#[test]
fn unschedulable_until_uncordon_and_node_failures() {
    let c = fast_cluster(&["node-1", "node-2"]);
    for n in ["node-1", "node-2"] {
        let mut node = c.get("v1", "Node", None, n).unwrap();
        node["spec"]["unschedulable"] = json!(true);
        c.apply(node);
    }
    c.apply(deployment("web", 2));
    wait_for("pending", || {
        let pods = pods_with(&c, "app", "web");
        pods.len() == 2
            && pods
                .iter()
                .all(|p| p["status"]["conditions"][0]["reason"] == "Unschedulable")
    });
    let p = &pods_with(&c, "app", "web")[0];
    assert_eq!(
        p["status"]["conditions"][0]["message"],
        "0/2 nodes are available: 2 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    );
    wait_for("unavailable status", || {
        let d = c.get("apps/v1", "Deployment", None, "web").unwrap();
        d["status"]["unavailableReplicas"] == 2 && d["status"]["conditions"][0]["status"] == "False"
    });
    let mut node = c.get("v1", "Node", None, "node-2").unwrap();
    node["spec"]
        .as_object_mut()
        .unwrap()
        .remove("unschedulable");
    c.apply(node);
    wait_for("running on node-2", || {
        let pods = pods_with(&c, "app", "web");
        pods.iter()
            .filter(|p| running(p) && p["spec"]["nodeName"] == "node-2")
            .count()
            == 2
    });

    // A node going NotReady makes its pods unready; recovery restores them.
    let mut node = c.get("v1", "Node", None, "node-2").unwrap();
    for cond in node["status"]["conditions"].as_array_mut().unwrap() {
        if cond["type"] == "Ready" {
            cond["status"] = json!("Unknown");
        }
    }
    c.apply(node.clone());
    wait_for("pods unready", || ready_count(&c, "web") == 0);
    wait_for("deployment sees it", || {
        c.get("apps/v1", "Deployment", None, "web").unwrap()["status"]
            .get("readyReplicas")
            .is_none()
    });
    for cond in node["status"]["conditions"].as_array_mut().unwrap() {
        if cond["type"] == "Ready" {
            cond["status"] = json!("True");
        }
    }
    c.apply(node);
    wait_for("pods ready again", || ready_count(&c, "web") == 2);

    // Deleting a node removes its pods; the ReplicaSet replaces them
    // elsewhere (node-1 is uncordoned first).
    let mut n1 = c.get("v1", "Node", None, "node-1").unwrap();
    n1["spec"].as_object_mut().unwrap().remove("unschedulable");
    c.apply(n1);
    c.delete("v1", "Node", None, "node-2");
    wait_for("moved to node-1", || {
        let pods = pods_with(&c, "app", "web");
        pods.len() == 2
            && pods
                .iter()
                .all(|p| running(p) && p["spec"]["nodeName"] == "node-1")
    });
}

#[tokio::test]
async fn services_endpoints_and_garbage_collection() {
    let c = fast_cluster(&["node-1"]);
    let api = Api::new(&c);
    c.apply(deployment("web", 2));
    let (s, svc) = api
        .post(
            "/api/v1/namespaces/default/services",
            &json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}),
        )
        .await;
    assert_eq!(s, 201);
    assert!(svc["spec"]["clusterIP"]
        .as_str()
        .unwrap()
        .starts_with("10.96."));
    assert_eq!(svc["spec"]["type"], "ClusterIP");
    wait_for("endpoints", || {
        c.get("v1", "Endpoints", None, "web").is_some_and(|e| {
            e["subsets"][0]["addresses"]
                .as_array()
                .is_some_and(|a| a.len() == 2)
        })
    });
    let ep = c.get("v1", "Endpoints", None, "web").unwrap();
    assert_eq!(
        ep["subsets"][0]["ports"],
        json!([{"port": 8080, "protocol": "TCP", "name": "http"}])
    );
    assert_eq!(ep["subsets"][0]["addresses"][0]["targetRef"]["kind"], "Pod");
    let (s, _) = api.get("/api/v1/namespaces/default/endpoints/web").await;
    assert_eq!(s, 200);

    // Deleting the Deployment (background propagation) removes the
    // ReplicaSet and pods; endpoints empty out.
    let (s, _) = api
        .delete("/apis/apps/v1/namespaces/default/deployments/web", None)
        .await;
    assert_eq!(s, 200);
    wait_for("gc", || {
        pods_with(&c, "app", "web").is_empty() && c.list("apps/v1", "ReplicaSet", None).is_empty()
    });
    wait_for("no addresses", || {
        c.get("v1", "Endpoints", None, "web")
            .is_some_and(|e| e.get("subsets").is_none())
    });
    api.delete("/api/v1/namespaces/default/services/web", None)
        .await;
    wait_for("endpoints removed", || {
        c.get("v1", "Endpoints", None, "web").is_none()
    });

    // Orphan propagation keeps the dependents.
    c.apply(deployment("keep", 1));
    wait_for("rs", || {
        c.list("apps/v1", "ReplicaSet", None).len() == 1 && ready_count(&c, "keep") == 1
    });
    let (s, _) = api
        .delete(
            "/apis/apps/v1/namespaces/default/deployments/keep",
            Some(&json!({"propagationPolicy": "Orphan"})),
        )
        .await;
    assert_eq!(s, 200);
    std::thread::sleep(Duration::from_millis(200));
    let rs = c.list("apps/v1", "ReplicaSet", None);
    assert_eq!(rs.len(), 1);
    assert!(rs[0]["metadata"].get("ownerReferences").is_none());
    assert_eq!(ready_count(&c, "keep"), 1);
}

fn pdb(name: &str, spec: Value) -> Value {
    let mut spec = spec;
    spec["selector"] = json!({"matchLabels": {"app": "web"}});
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name}, "spec": spec})
}

fn eviction(pod: &str, api_version: &str) -> Value {
    json!({"apiVersion": api_version, "kind": "Eviction", "metadata": {"name": pod, "namespace": "default"}})
}

#[tokio::test]
async fn eviction_respects_disruption_budgets() {
    let c = FakeCluster::with_nodes(&["node-1", "node-2", "node-3"]);
    c.set_controller_delay(Duration::from_millis(400));
    let api = Api::new(&c);
    c.apply(deployment("web", 3));
    wait_for("3 pods", || ready_count(&c, "web") == 3);
    let (s, _) = api
        .post(
            "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
            &pdb("web-pdb", json!({"minAvailable": 2})),
        )
        .await;
    assert_eq!(s, 201);
    wait_for("pdb status", || {
        let p = c
            .get("policy/v1", "PodDisruptionBudget", None, "web-pdb")
            .unwrap();
        p["status"]["disruptionsAllowed"] == 1
    });
    let p = c
        .get("policy/v1", "PodDisruptionBudget", None, "web-pdb")
        .unwrap();
    assert_eq!(p["status"]["currentHealthy"], 3);
    assert_eq!(p["status"]["desiredHealthy"], 2);
    assert_eq!(p["status"]["expectedPods"], 3);
    assert_eq!(p["status"]["observedGeneration"], 1);
    assert_eq!(p["status"]["conditions"][0]["type"], "DisruptionAllowed");
    assert_eq!(p["status"]["conditions"][0]["reason"], "SufficientPods");

    let pods: Vec<String> = pods_with(&c, "app", "web").iter().map(name).collect();
    let evict = |pod: &str, av: &str| {
        let api = &api;
        let (pod, av) = (pod.to_string(), av.to_string());
        async move {
            api.post(
                &format!("/api/v1/namespaces/default/pods/{pod}/eviction"),
                &eviction(&pod, &av),
            )
            .await
        }
    };
    let (s, v) = evict(&pods[0], "policy/v1").await;
    assert_eq!(s, 201);
    assert_eq!(
        v,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201})
    );
    assert!(c.get("v1", "Pod", None, &pods[0]).is_none());

    let (s, v) = evict(&pods[1], "policy/v1beta1").await;
    assert_eq!(s, 429);
    assert_eq!(
        v,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "Cannot evict pod as it would violate the pod's disruption budget.",
               "reason": "TooManyRequests",
               "details": {"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget web-pdb needs 2 healthy pods and has 2 currently"}]},
               "code": 429})
    );
    let p = c
        .get("policy/v1", "PodDisruptionBudget", None, "web-pdb")
        .unwrap();
    assert_eq!(p["status"]["disruptionsAllowed"], 0);
    assert_eq!(p["status"]["conditions"][0]["status"], "False");
    assert_eq!(p["status"]["conditions"][0]["reason"], "InsufficientPods");

    // Once the replacement runs, the budget allows one more.
    wait_for("replacement", || ready_count(&c, "web") == 3);
    let (s, _) = evict(&pods[1], "policy/v1beta1").await;
    assert_eq!(s, 201);

    let (s, v) = evict("ghost", "policy/v1").await;
    assert_eq!(
        (s, v["message"].as_str()),
        (404, Some("pods \"ghost\" not found"))
    );
    let (s, v) = api
        .post(
            &format!("/api/v1/namespaces/default/pods/{}/eviction", pods[2]),
            &eviction("other", "policy/v1"),
        )
        .await;
    assert_eq!((s, v["reason"].as_str()), (400, Some("BadRequest")));
    let (s, _) = api
        .post(
            &format!("/api/v1/namespaces/default/pods/{}/eviction", pods[2]),
            &json!({"kind": "Pod"}),
        )
        .await;
    assert_eq!(s, 400);

    // maxUnavailable percentages round up: 34% of 3 → 2 unavailable allowed.
    wait_for("3 ready", || ready_count(&c, "web") == 3);
    api.delete(
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web-pdb",
        None,
    )
    .await;
    api.post(
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
        &pdb("pct", json!({"maxUnavailable": "34%"})),
    )
    .await;
    wait_for("pct status", || {
        c.get("policy/v1", "PodDisruptionBudget", None, "pct")
            .is_some_and(|p| {
                p["status"]["desiredHealthy"] == 1 && p["status"]["disruptionsAllowed"] == 2
            })
    });
    // minAvailable percentages round up too: 50% of 3 → 2 needed.
    let mut p = c
        .get("policy/v1", "PodDisruptionBudget", None, "pct")
        .unwrap();
    p["spec"] = json!({"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}});
    c.apply(p);
    wait_for("50% status", || {
        c.get("policy/v1", "PodDisruptionBudget", None, "pct")
            .is_some_and(|p| {
                p["status"]["desiredHealthy"] == 2 && p["status"]["disruptionsAllowed"] == 1
            })
    });

    // Two budgets for one pod is an error, as in the API server.
    c.apply(pdb("second", json!({"minAvailable": 0})));
    let victim = name(&pods_with(&c, "app", "web")[0]);
    let (s, v) = evict(&victim, "policy/v1").await;
    assert_eq!(s, 500);
    assert_eq!(v["message"], "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
}
