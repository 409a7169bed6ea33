//! The native Kubernetes driver's resource functions end to end: network
//! policies and ingresses, events, custom objects, services and secrets,
//! run by the `chaos` binary against the in-process fake API server.

mod common;

use common::k8s::{book_cluster, chaos_k8s, k8s, run, wait_for};

use chaos_k8s_fake::FakeCluster;
use serde_json::{json, Value};

fn policy_names(cluster: &FakeCluster) -> Vec<String> {
    let mut names: Vec<String> = cluster
        .list("networking.k8s.io/v1", "NetworkPolicy", Some("default"))
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn network_policies_are_created_refused_twice_and_rolled_back() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    std::fs::write(
        dir.path().join("np.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: from-file\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n",
    )
    .unwrap();
    let m = "chaosk8s.networking.actions";
    let exp = json!({
        "title": "cut the network", "description": "d",
        "method": [
            k8s("deny-in", "action", m, "deny_all_ingress",
                json!({"label_selectors": {"service": "my-service"}})),
            k8s("deny-out", "action", m, "deny_all_egress", json!({})),
            k8s("dns", "action", m, "allow_dns_access", json!({"ns": "default"})),
            k8s("from-file", "action", m, "create_network_policy", json!({"spec_path": "np.yaml"})),
            // A missing file is ignored: `spec` is used, as in the extension.
            k8s("fallback", "action", m, "create_network_policy", json!({
                "spec_path": "missing.json",
                "spec": {"metadata": {"name": "inline"}, "spec": {"podSelector": {}}}})),
            k8s("deny-in-again", "action", m, "deny_all_ingress", json!({}))
        ],
        "rollbacks": [
            k8s("undo-in", "action", m, "remove_deny_all_ingress", json!({})),
            k8s("undo-dns", "action", m, "remove_allow_dns_access", json!({})),
            k8s("undo-file", "action", m, "remove_network_policy", json!({"name": "from-file"}))
        ]
    });
    // The second deny_all_ingress meets the first policy: 409.
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let statuses: Vec<&str> = j["run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "succeeded",
            "succeeded",
            "succeeded",
            "succeeded",
            "succeeded",
            "failed"
        ]
    );
    let exception = j["run"][5]["exception"].to_string();
    assert!(exception.contains("409"), "{exception}");
    assert!(exception.contains("already exists"), "{exception}");
    for r in j["rollbacks"].as_array().unwrap() {
        assert_eq!(r["status"], "succeeded", "{r}");
    }
    assert_eq!(
        policy_names(&cluster),
        ["chaostoolkit-deny-all-egress", "inline"]
    );

    let posted: Vec<Value> = cluster
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.resource == "networkpolicies" && r.status == 201)
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_eq!(posted.len(), 5);
    assert_eq!(
        posted[0]["spec"],
        json!({"podSelector": {"matchLabels": {"service": "my-service"}}, "policyTypes": ["Ingress"], "ingress": []})
    );
    assert_eq!(
        posted[1]["spec"],
        json!({"podSelector": {}, "policyTypes": ["Egress"]}),
        "no egress key: all egress denied"
    );
    assert_eq!(
        posted[2]["spec"]["egress"][0]["ports"],
        json!([{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}])
    );
    assert_eq!(posted[3]["metadata"]["name"], "from-file");
}

#[test]
fn an_ingress_is_created_probed_patched_and_deleted() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    std::fs::write(
        dir.path().join("ing.json"),
        json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "my-ingress"},
            "spec": {"rules": [{"host": "shop.example.com", "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "my-service", "port": {"number": 8080}}}}]}}]}
        })
        .to_string(),
    )
    .unwrap();
    let a = "chaosk8s.networking.actions";
    let p = "chaosk8s.networking.probes";
    let exp = json!({
        "title": "ingress", "description": "d",
        "steady-state-hypothesis": {"title": "no ingress yet", "probes": [
            {"type": "probe", "name": "absent", "tolerance": false, "provider": {
                "type": "python", "module": p, "func": "ingress_exists",
                "arguments": {"name": "my-ingress"}}}
        ]},
        "method": [
            k8s("create", "action", a, "create_ingress", json!({"spec_path": "ing.json"})),
            k8s("exists", "probe", p, "ingress_exists", json!({"name": "my-ingress"})),
            k8s("drop-rules", "action", a, "update_ingress",
                json!({"name": "my-ingress", "spec": {"spec": {"rules": [{"host": "other.example.com"}]}}})),
            k8s("update-missing", "action", a, "update_ingress",
                json!({"name": "nope", "spec": {"spec": {}}})),
            k8s("create-bad-ext", "action", a, "create_ingress", json!({"spec_path": "experiment.json.txt"}))
        ]
    });
    std::fs::write(dir.path().join("experiment.json.txt"), "{}").unwrap();
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(j["run"][0]["status"], "succeeded", "{}", j["run"][0]);
    assert_eq!(j["run"][1]["output"], json!(true));
    assert_eq!(j["run"][2]["status"], "succeeded", "{}", j["run"][2]);
    assert_eq!(j["run"][3]["status"], "failed");
    let exception = j["run"][3]["exception"].to_string();
    assert!(
        exception.contains("failed to update daemon set 'nope'"),
        "the extension's wording: {exception}"
    );
    assert!(exception.contains("NotFound"), "{exception}");
    assert!(j["run"][4]["exception"]
        .to_string()
        .contains("cannot process experiment.json.txt"));
    let ingress = cluster
        .get(
            "networking.k8s.io/v1",
            "Ingress",
            Some("default"),
            "my-ingress",
        )
        .unwrap();
    assert_eq!(
        ingress["spec"]["rules"],
        json!([{"host": "other.example.com"}])
    );
    let patch = cluster
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH" && r.resource == "ingresses")
        .unwrap();
    assert_eq!(patch.content_type, "application/strategic-merge-patch+json");

    let exp = json!({
        "title": "no more ingress", "description": "d",
        "method": [
            k8s("delete", "action", a, "delete_ingress", json!({"name": "my-ingress"})),
            k8s("gone", "probe", p, "ingress_exists", json!({"name": "my-ingress"})),
            k8s("empty-name", "action", a, "delete_ingress", json!({"name": ""}))
        ]
    });
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(j["run"][0]["status"], "succeeded", "{}", j["run"][0]);
    assert_eq!(j["run"][1]["output"], json!(false));
    assert_eq!(j["run"][2]["status"], "failed");
    assert!(cluster
        .get(
            "networking.k8s.io/v1",
            "Ingress",
            Some("default"),
            "my-ingress"
        )
        .is_none());
    assert!(
        !cluster
            .requests()
            .iter()
            .any(|r| r.method == "DELETE" && r.resource == "ingresses" && r.name.is_empty()),
        "an empty name never reaches the collection URL"
    );
}

fn event(name: &str, ns: &str, ty: &str, reason: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"kind": "Pod", "name": "my-app", "namespace": ns},
        "reason": reason, "message": format!("{reason} for my-app"), "type": ty,
        "source": {"component": "kubelet"}, "reportingComponent": "kubelet"
    })
}

#[test]
fn events_come_from_events_k8s_io_across_namespaces() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    cluster.apply(event("ev-1", "default", "Warning", "BackOff"));
    cluster.apply(event("ev-2", "shop", "Warning", "Unhealthy"));
    cluster.apply(event("ev-3", "default", "Normal", "Pulled"));
    let m = "chaosk8s.event.probes";
    let exp = json!({
        "title": "events", "description": "d",
        "method": [
            k8s("warnings", "probe", m, "get_events", json!({"field_selector": "type=Warning"})),
            k8s("one", "probe", m, "get_events", json!({"limit": 1})),
            k8s("bad-field", "probe", m, "get_events", json!({"field_selector": "involvedObject.kind=Pod"}))
        ]
    });
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    let warnings = &j["run"][0]["output"];
    assert_eq!(warnings["apiVersion"], "events.k8s.io/v1", "{warnings}");
    let mut reasons: Vec<&str> = warnings["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    reasons.sort();
    assert_eq!(reasons, ["BackOff", "Unhealthy"], "both namespaces");
    assert_eq!(warnings["items"][0]["note"], "BackOff for my-app");
    assert_eq!(warnings["items"][0]["regarding"]["kind"], "Pod");

    let one = &j["run"][1]["output"];
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    assert!(one["metadata"]["continue"].is_string(), "not followed");

    assert_eq!(j["run"][2]["status"], "failed");
    assert!(j["run"][2]["exception"]
        .to_string()
        .contains("field label not supported"));

    let queries: Vec<String> = cluster
        .requests()
        .iter()
        .filter(|r| r.api_group == "events.k8s.io")
        .map(|r| format!("{}?{}", r.path, r.query))
        .collect();
    assert_eq!(
        queries[..2],
        [
            "/apis/events.k8s.io/v1/events?fieldSelector=type%3DWarning&limit=100",
            "/apis/events.k8s.io/v1/events?limit=1"
        ]
    );
}

fn install_crds(cluster: &FakeCluster) {
    for (plural, kind, scope) in [
        ("things", "Thing", "Namespaced"),
        ("policies", "Policy", "Namespaced"),
        ("clusterthings", "ClusterThing", "Cluster"),
    ] {
        cluster.apply(json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": format!("{plural}.g.io")},
            "spec": {"group": "g.io", "scope": scope,
                     "names": {"plural": plural, "singular": kind.to_lowercase(), "kind": kind},
                     "versions": [{"name": "v1", "served": true, "storage": true}]}
        }));
    }
}

#[test]
fn custom_objects_are_created_read_patched_replaced_and_deleted() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    install_crds(&cluster);
    std::fs::write(
        dir.path().join("t2.yml"),
        "apiVersion: g.io/v1\nkind: Thing\nmetadata:\n  name: t2\nspec:\n  size: 2\n",
    )
    .unwrap();
    let a = "chaosk8s.crd.actions";
    let p = "chaosk8s.crd.probes";
    let gvp = |extra: Value| {
        let mut args = json!({"group": "g.io", "version": "v1", "plural": "things"});
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        args
    };
    let thing = json!({"apiVersion": "g.io/v1", "kind": "Thing", "metadata": {"name": "t1"}, "spec": {"size": 1}});
    let exp = json!({
        "title": "custom objects", "description": "d",
        "method": [
            k8s("create", "action", a, "create_custom_object", gvp(json!({"resource": thing}))),
            k8s("again", "action", a, "create_custom_object", gvp(json!({"resource": thing}))),
            k8s("from-file", "action", a, "create_custom_object", gvp(json!({"resource_as_yaml_file": "t2.yml"}))),
            k8s("json-patch", "action", a, "patch_custom_object", gvp(json!({"name": "t1",
                "resource": [{"op": "replace", "path": "/spec/size", "value": 5}]}))),
            k8s("merge-patch", "action", a, "patch_custom_object", gvp(json!({"name": "t2",
                "resource": {"spec": {"color": "red"}}}))),
            k8s("replace", "action", a, "replace_custom_object", gvp(json!({"name": "t2",
                "resource": {"apiVersion": "g.io/v1", "kind": "Thing", "metadata": {"name": "t2"}, "spec": {"size": 9}}}))),
            k8s("get", "probe", p, "get_custom_object", gvp(json!({"name": "t1"}))),
            k8s("list", "probe", p, "list_custom_objects", gvp(json!({}))),
            k8s("delete", "action", a, "delete_custom_object", gvp(json!({"name": "t1"}))),
            k8s("get-gone", "probe", p, "get_custom_object", gvp(json!({"name": "t1"}))),
            k8s("no-body", "action", a, "create_custom_object", gvp(json!({}))),
            k8s("no-file", "action", a, "create_custom_object", gvp(json!({"resource_as_yaml_file": "nope.yaml"})))
        ]
    });
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    let run = |i: usize| &j["run"][i];
    assert_eq!(run(0)["output"]["metadata"]["name"], "t1", "{}", run(0));
    assert!(run(0)["output"]["metadata"]["uid"].is_string());
    // Already there: the 409 Status is the output, not a failure.
    assert_eq!(run(1)["status"], "succeeded");
    assert_eq!(run(1)["output"]["kind"], "Status");
    assert_eq!(run(1)["output"]["reason"], "AlreadyExists");
    assert_eq!(run(2)["output"]["spec"]["size"], 2, "{}", run(2));
    assert_eq!(run(3)["output"]["spec"]["size"], 5, "{}", run(3));
    assert_eq!(run(4)["output"]["spec"]["color"], "red", "{}", run(4));
    assert_eq!(run(5)["output"]["spec"], json!({"size": 9}), "{}", run(5));
    assert_eq!(run(6)["output"]["spec"]["size"], 5);
    assert_eq!(run(7)["output"]["kind"], "ThingList");
    assert_eq!(run(7)["output"]["items"].as_array().unwrap().len(), 2);
    assert_eq!(run(8)["status"], "succeeded", "{}", run(8));
    assert_eq!(run(9)["status"], "failed");
    assert!(
        run(9)["exception"]
            .to_string()
            .contains("Failed to create custom resource object: 'Not Found'"),
        "the extension's wording: {}",
        run(9)["exception"]
    );
    assert!(run(10)["exception"]
        .to_string()
        .contains("Either `body_as_object` or `body_as_yaml_file` must be set"));
    assert!(run(11)["exception"]
        .to_string()
        .contains("Path 'nope.yaml' is not a valid resource file"));

    assert!(cluster
        .get("g.io/v1", "Thing", Some("default"), "t1")
        .is_none());
    let t2 = cluster
        .get("g.io/v1", "Thing", Some("default"), "t2")
        .unwrap();
    assert_eq!(t2["spec"], json!({"size": 9}));
    let types: Vec<String> = cluster
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.content_type)
        .collect();
    assert_eq!(
        types,
        [
            "application/json-patch+json",
            "application/merge-patch+json"
        ]
    );
}

#[test]
fn cluster_custom_objects_and_apply_from_json_and_yaml() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    install_crds(&cluster);
    cluster.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
    let a = "chaosk8s.crd.actions";
    let p = "chaosk8s.crd.probes";
    let gvp = |extra: Value| {
        let mut args = json!({"group": "g.io", "version": "v1", "plural": "clusterthings"});
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        args
    };
    let exp = json!({
        "title": "cluster objects", "description": "d",
        "method": [
            k8s("create", "action", a, "create_cluster_custom_object",
                gvp(json!({"resource": {"apiVersion": "g.io/v1", "kind": "ClusterThing", "metadata": {"name": "c1"}}}))),
            k8s("patch", "action", a, "patch_cluster_custom_object",
                gvp(json!({"name": "c1", "resource": [{"op": "add", "path": "/spec", "value": {"on": true}}]}))),
            k8s("get", "probe", p, "get_cluster_custom_object", gvp(json!({"name": "c1"}))),
            k8s("list", "probe", p, "list_cluster_custom_objects", gvp(json!({}))),
            k8s("apply-json", "action", a, "apply_from_json", json!({"resource":
                "{\"apiVersion\": \"g.io/v1\", \"kind\": \"Policy\", \"metadata\": {\"name\": \"p\", \"namespace\": \"shop\"}}"})),
            k8s("apply-yaml", "action", a, "apply_from_yaml", json!({"resource":
                "apiVersion: g.io/v1\nkind: Thing\nmetadata: {name: from-yaml}\nspec: {size: 3}\n"})),
            k8s("apply-core", "action", a, "apply_from_json", json!({"resource": "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"}"})),
            k8s("apply-no-kind", "action", a, "apply_from_yaml", json!({"resource": "apiVersion: g.io/v1\n"})),
            k8s("no-crd", "action", a, "create_custom_object", json!({"group": "nothing.io", "version": "v1",
                "plural": "nothings", "resource": {"metadata": {"name": "x"}}})),
            k8s("delete", "action", a, "delete_cluster_custom_object", gvp(json!({"name": "c1"})))
        ]
    });
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    let run = |i: usize| &j["run"][i];
    assert_eq!(run(0)["output"]["metadata"]["name"], "c1", "{}", run(0));
    assert!(run(0)["output"]["metadata"].get("namespace").is_none());
    assert_eq!(run(1)["output"]["spec"], json!({"on": true}), "{}", run(1));
    assert_eq!(run(2)["output"]["spec"], json!({"on": true}));
    assert_eq!(run(3)["output"]["kind"], "ClusterThingList");
    assert_eq!(
        run(4)["output"]["metadata"]["namespace"],
        "shop",
        "{}",
        run(4)
    );
    assert_eq!(run(5)["output"]["spec"]["size"], 3, "{}", run(5));
    assert!(run(6)["exception"]
        .to_string()
        .contains("ValueError: not enough values to unpack (expected 2, got 1)"));
    assert!(run(7)["exception"]
        .to_string()
        .contains("missing kind in resource"));
    assert_eq!(run(8)["status"], "failed");
    assert!(
        run(8)["exception"]
            .to_string()
            .contains("Failed to create custom resource object: 'Not Found'"),
        "{}",
        run(8)["exception"]
    );
    assert_eq!(run(9)["status"], "succeeded", "{}", run(9));

    assert!(cluster.get("g.io/v1", "ClusterThing", None, "c1").is_none());
    assert!(cluster
        .get("g.io/v1", "Policy", Some("shop"), "p")
        .is_some());
    assert_eq!(
        cluster
            .get("g.io/v1", "Thing", Some("default"), "from-yaml")
            .unwrap()["spec"]["size"],
        3
    );
}

#[test]
fn services_and_secrets_from_spec_files() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    std::fs::write(
        dir.path().join("svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: my-service\nspec:\n  selector: {service: my-service}\n  ports:\n  - port: 80\n    targetPort: 8080\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("secret.json"),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "labels": {"tier": "db"}},
               "stringData": {"password": "hunter2"}})
        .to_string(),
    )
    .unwrap();
    let exp = json!({
        "title": "spec files", "description": "d",
        "method": [
            k8s("svc", "action", "chaosk8s.service.actions", "create_service_endpoint", json!({"spec_path": "svc.yaml"})),
            k8s("svc-up", "probe", "chaosk8s.service.probes", "service_is_initialized", json!({"name": "my-service"})),
            k8s("secret", "action", "chaosk8s.secret.actions", "create_secret", json!({"spec_path": "secret.json"})),
            k8s("by-name", "probe", "chaosk8s.secret.probes", "secret_exists", json!({"name": "db"})),
            k8s("by-label", "probe", "chaosk8s.probes", "secret_exists", json!({"label_selector": "tier=web"})),
            k8s("missing-file", "action", "chaosk8s.secret.actions", "create_secret", json!({"spec_path": "nope.json"}))
        ],
        "rollbacks": [
            k8s("rm-secret", "action", "chaosk8s.secret.actions", "delete_secret", json!({"name": "db"}))
        ]
    });
    let (out, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(j["run"][0]["status"], "succeeded", "{}", j["run"][0]);
    assert_eq!(j["run"][0]["output"], Value::Null);
    assert_eq!(j["run"][1]["output"], json!(true));
    assert_eq!(j["run"][2]["status"], "succeeded", "{}", j["run"][2]);
    assert_eq!(j["run"][3]["output"], json!(true));
    assert_eq!(j["run"][4]["output"], json!(false));
    assert!(j["run"][5]["exception"]
        .to_string()
        .contains("FileNotFoundError"));
    assert_eq!(j["rollbacks"][0]["status"], "succeeded");

    let svc = cluster
        .get("v1", "Service", Some("default"), "my-service")
        .unwrap();
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);
    assert!(svc["spec"]["clusterIP"].is_string(), "served as a real one");
    assert!(cluster.get("v1", "Secret", Some("default"), "db").is_none());
    let posted = cluster
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.resource == "secrets")
        .unwrap();
    assert!(
        posted.body.contains("stringData"),
        "the file as written: {}",
        posted.body
    );
}

#[test]
fn a_forbidden_custom_object_names_the_missing_permission_and_aborts() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    install_crds(&cluster);
    cluster.forbid("create", "g.io", "things");
    let exp = json!({
        "title": "forbidden", "description": "d",
        "method": [k8s("create", "action", "chaosk8s.crd.actions", "create_custom_object",
            json!({"group": "g.io", "version": "v1", "plural": "things",
                   "resource": {"metadata": {"name": "t1"}}}))]
    });
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    assert_eq!(j["status"], "aborted", "a refusal stops the run");
    let exception = j["run"][0]["exception"].to_string();
    assert!(
        exception.contains("permission to 'create' things in namespace 'default'"),
        "{exception}"
    );
    wait_for(
        || {
            cluster
                .get("g.io/v1", "Thing", Some("default"), "t1")
                .is_none()
        },
        "nothing created",
    );
}

fn install_chaos_mesh(cluster: &FakeCluster) {
    for (plural, kind) in [
        ("networkchaos", "NetworkChaos"),
        ("stresschaos", "StressChaos"),
    ] {
        cluster.apply(json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": format!("{plural}.chaos-mesh.org")},
            "spec": {"group": "chaos-mesh.org", "scope": "Namespaced",
                     "names": {"plural": plural, "singular": plural, "kind": kind},
                     "versions": [{"name": "v1alpha1", "served": true, "storage": true}]}
        }));
    }
}

#[test]
fn chaos_mesh_faults_are_the_extensions_objects() {
    let dir = common::scratch();
    let cluster = book_cluster(dir.path());
    install_chaos_mesh(&cluster);
    cluster.apply(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n4"}}));
    let na = "chaosk8s.chaosmesh.network.actions";
    let sa = "chaosk8s.chaosmesh.stress.actions";
    let exp = json!({
        "title": "chaos mesh", "description": "d",
        "method": [
            k8s("latency", "action", na, "add_latency", json!({
                "name": "lat", "ns": "n4", "label_selectors": "app=demo,tier=web",
                "namespaces_selectors": "a,b", "latency": "100ms", "jitter": "10ms",
                "correlation": "25", "mode": "fixed-percent", "mode_value": "50",
                "direction": "both", "external_targets": "1.2.3.4,example.com",
                "target_mode": "fixed", "target_mode_value": "1", "target_label_selectors": "app=db"})),
            k8s("loss", "action", na, "set_loss", json!({"name": "loss", "loss": "25"})),
            k8s("bandwidth", "action", na, "set_bandwidth", json!({
                "name": "bw", "rate": "1mbps", "limit": 100, "buffer": 10000, "target_mode": null})),
            k8s("cpu", "action", sa, "stress_cpu", json!({
                "name": "cpu", "workers": 2, "load": 50, "container_names": "a,b", "label_selectors": "app=demo"})),
            k8s("memory", "action", sa, "stress_memory", json!({
                "name": "mem", "workers": 1, "size": "256MB", "oom_score": -1000, "time_to_get_to_size": "10s"})),
            k8s("faults", "probe", "chaosk8s.chaosmesh.network.probes", "get_network_faults", json!({})),
            k8s("stressor", "probe", "chaosk8s.chaosmesh.stress.probes", "get_stressor", json!({"name": "mem"})),
            k8s("bad-selector", "action", na, "set_loss", json!({"name": "x", "label_selectors": "app"}))
        ],
        "rollbacks": [
            k8s("rm-loss", "action", na, "delete_network_fault", json!({"name": "loss"})),
            k8s("rm-cpu", "action", sa, "delete_stressor", json!({"name": "cpu"}))
        ]
    });
    let (_, j) = run(dir.path(), &mut chaos_k8s(dir.path()), &exp);
    for i in 0..5 {
        assert_eq!(j["run"][i]["status"], "succeeded", "{}", j["run"][i]);
    }
    let posted: Vec<(String, Value)> = cluster
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.api_group == "chaos-mesh.org")
        .map(|r| (r.path, serde_json::from_str(&r.body).unwrap()))
        .collect();
    assert_eq!(
        posted[0],
        (
            "/apis/chaos-mesh.org/v1alpha1/namespaces/n4/networkchaos".to_string(),
            json!({"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "NetworkChaos",
             "metadata": {"name": "lat", "ns": "n4"},
             "spec": {"action": "delay",
                      "selector": {"namespaces": ["a", "b"], "labelSelectors": {"app": "demo", "tier": "web"}},
                      "delay": {"latency": "100ms", "correlation": "25", "jitter": "10ms"},
                      "direction": "both", "mode": "fixed-percent", "value": "50",
                      "externalTargets": ["1.2.3.4", "example.com"],
                      "target": {"mode": "fixed", "selector": {"labelSelectors": {"app": "db"}}, "value": "1"}}})
        )
    );
    assert_eq!(
        posted[1].1,
        json!({"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "NetworkChaos",
               "metadata": {"name": "loss", "ns": "default"},
               "spec": {"action": "loss", "selector": {}, "loss": {"loss": "25"}, "direction": "to",
                        "mode": "one", "target": {"mode": "one", "selector": {}}}})
    );
    assert_eq!(
        posted[2].1["spec"]["action"], "bandwdith",
        "the extension's typo"
    );
    assert_eq!(
        posted[2].1["spec"]["bandwidth"],
        json!({"rate": "1mbps", "limit": 100, "buffer": 10000})
    );
    assert!(posted[2].1["spec"].get("target").is_none());
    assert_eq!(
        posted[3],
        (
            "/apis/chaos-mesh.org/v1alpha1/namespaces/default/stresschaos".to_string(),
            json!({"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "StressChaos",
                   "metadata": {"name": "cpu", "ns": "default"},
                   "spec": {"selector": {"labelSelectors": {"app": "demo"}}, "stressors": {"cpu": {"workers": 2, "load": 50}},
                            "mode": "one", "duration": "30s", "direction": "to", "containerNames": ["a", "b"]}})
        )
    );
    assert_eq!(
        posted[4].1["spec"]["stressors"],
        json!({"memory": {"workers": 1, "size": "256MB", "time": "10s", "oomScoreAdj": -1000}})
    );
    assert_eq!(posted[4].1["spec"]["containerNames"], Value::Null);

    let faults = &j["run"][5]["output"];
    assert_eq!(faults["kind"], "NetworkChaosList");
    let mut names: Vec<&str> = faults["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["metadata"]["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["bw", "loss"], "the default namespace only");
    assert_eq!(
        j["run"][6]["output"]["spec"]["stressors"]["memory"]["size"],
        "256MB"
    );
    assert!(j["run"][7]["exception"]
        .to_string()
        .contains("ValueError: not enough values to unpack"));

    assert!(cluster
        .get(
            "chaos-mesh.org/v1alpha1",
            "NetworkChaos",
            Some("default"),
            "loss"
        )
        .is_none());
    assert!(cluster
        .get(
            "chaos-mesh.org/v1alpha1",
            "StressChaos",
            Some("default"),
            "cpu"
        )
        .is_none());
    assert!(cluster
        .get(
            "chaos-mesh.org/v1alpha1",
            "StressChaos",
            Some("default"),
            "mem"
        )
        .is_some());
}
