//! The REST surface over real HTTP: discovery, CRUD, Status errors,
//! selectors, pagination, patches, delete options, namespaces, CRDs,
//! authentication, `forbid`, subresources and request recording.

mod common;

use chaos_k8s_fake::FakeCluster;
use common::{fast_cluster, name, pod, wait_for, Api};
use serde_json::{json, Value};

fn cm(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}})
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn discovery_documents() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    let (s, v) = api.get("/version").await;
    assert_eq!(s, 200);
    assert_eq!(v["major"], "1");
    assert!(v["gitVersion"].as_str().unwrap().starts_with("v1."));

    let (_, v) = api.get("/api").await;
    assert_eq!(v["kind"], "APIVersions");
    assert_eq!(v["versions"], json!(["v1"]));

    let (_, v) = api.get("/api/v1").await;
    assert_eq!(v["kind"], "APIResourceList");
    assert_eq!(v["groupVersion"], "v1");
    let res = v["resources"].as_array().unwrap();
    let find = |n: &str| {
        res.iter()
            .find(|r| r["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    let pods = find("pods");
    assert_eq!(pods["kind"], "Pod");
    assert_eq!(pods["namespaced"], true);
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert_eq!(
        pods["verbs"],
        json!([
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch"
        ])
    );
    let eviction = find("pods/eviction");
    assert_eq!(
        (eviction["group"].as_str(), eviction["version"].as_str()),
        (Some("policy"), Some("v1"))
    );
    assert_eq!(eviction["kind"], "Eviction");
    assert_eq!(find("nodes")["namespaced"], false);
    assert_eq!(find("nodes")["shortNames"], json!(["no"]));
    assert_eq!(find("services")["shortNames"], json!(["svc"]));
    assert_eq!(find("namespaces")["shortNames"], json!(["ns"]));
    assert_eq!(find("pods/log")["verbs"], json!(["get"]));

    let (_, v) = api.get("/apis").await;
    assert_eq!(v["kind"], "APIGroupList");
    let groups: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    for g in [
        "apps",
        "policy",
        "batch",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "apiextensions.k8s.io",
    ] {
        assert!(groups.contains(&g), "{g} not in {groups:?}");
    }
    let (_, v) = api.get("/apis/apps").await;
    assert_eq!(v["kind"], "APIGroup");
    assert_eq!(v["preferredVersion"]["groupVersion"], "apps/v1");
    let (_, v) = api.get("/apis/apps/v1").await;
    let res = v["resources"].as_array().unwrap();
    let deploy = res.iter().find(|r| r["name"] == "deployments").unwrap();
    assert_eq!(deploy["shortNames"], json!(["deploy"]));
    let scale = res
        .iter()
        .find(|r| r["name"] == "deployments/scale")
        .unwrap();
    assert_eq!(
        (scale["group"].as_str(), scale["kind"].as_str()),
        (Some("autoscaling"), Some("Scale"))
    );

    // Aggregated discovery is answered with plain JSON (clients fall back).
    let r = api.send("GET", "/api", None, None).await;
    assert_eq!(r.content_type, "application/json");

    let (s, v) = api.get("/apis/nope.example.com/v1").await;
    assert_eq!(s, 404);
    assert_eq!(
        v,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "the server could not find the requested resource", "reason": "NotFound", "details": {}, "code": 404})
    );
    let (s, _) = api.get("/openapi/v2").await;
    assert_eq!(s, 404);
    let (s, v) = api.get("/openapi/v3").await;
    assert_eq!(s, 200);
    let url = v["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = api.get(&url).await;
    assert_eq!(s, 200);
    assert!(
        v["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"].is_object()
    );
}

#[tokio::test]
async fn crud_and_status_errors() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    let (s, created) = api.post(CMS, &cm("one", json!({"app": "a"}))).await;
    assert_eq!(s, 201);
    assert_eq!(created["kind"], "ConfigMap");
    assert_eq!(created["apiVersion"], "v1");
    let md = &created["metadata"];
    assert_eq!(md["namespace"], "default");
    assert_eq!(md["uid"].as_str().unwrap().len(), 36);
    assert!(md["creationTimestamp"].as_str().unwrap().ends_with('Z'));
    let rv1: u64 = md["resourceVersion"].as_str().unwrap().parse().unwrap();

    let (s, v) = api.post(CMS, &cm("one", json!({}))).await;
    assert_eq!(s, 409);
    assert_eq!(
        v,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "configmaps \"one\" already exists", "reason": "AlreadyExists",
               "details": {"name": "one", "kind": "configmaps"}, "code": 409})
    );

    let (s, got) = api.get(&format!("{CMS}/one")).await;
    assert_eq!(s, 200);
    assert_eq!(got, created);

    let (s, v) = api.get(&format!("{CMS}/nope")).await;
    assert_eq!(s, 404);
    assert_eq!(
        v.to_string(),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"configmaps"},"code":404}"#
    );
    let (_, v) = api
        .get("/apis/apps/v1/namespaces/default/deployments/nope")
        .await;
    assert_eq!(v["message"], "deployments.apps \"nope\" not found");
    assert_eq!(
        v["details"],
        json!({"name": "nope", "group": "apps", "kind": "deployments"})
    );

    // Replace: current rv works and bumps; a stale one conflicts.
    let mut upd = got.clone();
    upd["data"]["k"] = json!("v2");
    let (s, replaced) = api.put(&format!("{CMS}/one"), &upd).await;
    assert_eq!(s, 200);
    let rv2: u64 = replaced["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv2 > rv1);
    assert_eq!(replaced["metadata"]["uid"], created["metadata"]["uid"]);
    let (s, v) = api.put(&format!("{CMS}/one"), &upd).await;
    assert_eq!(s, 409);
    assert_eq!(v["reason"], "Conflict");
    assert_eq!(
        v["message"],
        "Operation cannot be fulfilled on configmaps \"one\": the object has been modified; please apply your changes to the latest version and try again"
    );
    let (s, v) = api.put(&format!("{CMS}/other"), &replaced).await;
    assert_eq!(s, 400);
    assert_eq!(v["reason"], "BadRequest");
    assert_eq!(
        v["message"],
        "the name of the object (one) does not match the name on the URL (other)"
    );

    // Most registries answer a finished delete with a Success Status...
    let (s, gone) = api.delete(&format!("{CMS}/one"), None).await;
    assert_eq!(s, 200);
    assert_eq!(
        gone,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
               "details": {"name": "one", "kind": "configmaps", "uid": created["metadata"]["uid"]}})
    );
    let (s, _) = api.delete(&format!("{CMS}/one"), None).await;
    assert_eq!(s, 404);
    // ...pods (ReturnDeletedObject) with the object, marked for deletion.
    api.post("/api/v1/namespaces/default/pods", &pod("gone", json!({})))
        .await;
    let (s, v) = api
        .delete("/api/v1/namespaces/default/pods/gone", None)
        .await;
    assert_eq!((s, v["kind"].as_str()), (200, Some("Pod")));
    assert_eq!(v["metadata"]["deletionGracePeriodSeconds"], 30);
    assert!(v["metadata"]["deletionTimestamp"].is_string());

    // Bad input never panics the server.
    let r = api
        .send(
            "POST",
            CMS,
            Some("application/json"),
            Some("{not json".into()),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["reason"], "BadRequest");
    let (s, v) = api.post(CMS, &json!([1, 2])).await;
    assert_eq!((s, v["code"].as_i64()), (400, Some(400)));
    let (s, v) = api
        .post(CMS, &json!({"kind": "Secret", "metadata": {"name": "x"}}))
        .await;
    assert_eq!((s, v["reason"].as_str()), (400, Some("BadRequest")));
    let r = api
        .send("POST", CMS, Some("application/yaml"), Some("a: b".into()))
        .await;
    assert_eq!(r.status, 415);
    let (s, v) = api
        .post(CMS, &json!({"metadata": {"name": "Bad_Name"}}))
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["reason"], "Invalid");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .starts_with("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value"));
    let (s, v) = api.post(CMS, &json!({"metadata": {}})).await;
    assert_eq!(s, 422);
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("name or generateName is required"));
    let (s, v) = api
        .post(CMS, &json!({"metadata": {"generateName": "gen-"}}))
        .await;
    assert_eq!(s, 201);
    assert!(name(&v).starts_with("gen-") && name(&v).len() == 9);
    let (s, v) = api
        .post("/api/v1/namespaces/missing/configmaps", &cm("x", json!({})))
        .await;
    assert_eq!(s, 404);
    assert_eq!(v["message"], "namespaces \"missing\" not found");
    let (s, v) = api
        .post(
            CMS,
            &json!({"metadata": {"name": "x", "namespace": "other"}}),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        v["message"],
        "the namespace of the provided object does not match the namespace sent on the request"
    );
    let r = api
        .send("PUT", CMS, Some("application/json"), Some("{}".into()))
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["reason"], "MethodNotAllowed");
    let (s, _) = api.post("/api/v1/configmaps", &cm("x", json!({}))).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn lists_selectors_and_pagination() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    api.post(
        "/api/v1/namespaces",
        &json!({"metadata": {"name": "other"}}),
    )
    .await;
    for (n, labels) in [
        ("a", json!({"app": "web", "tier": "front"})),
        ("b", json!({"app": "web", "tier": "back"})),
        ("c", json!({"app": "db"})),
        ("d", json!({})),
    ] {
        assert_eq!(api.post(CMS, &cm(n, labels)).await.0, 201);
    }
    api.post(
        "/api/v1/namespaces/other/configmaps",
        &cm("e", json!({"app": "web"})),
    )
    .await;

    let (s, list) = api.get(CMS).await;
    assert_eq!(s, 200);
    assert_eq!(list["kind"], "ConfigMapList");
    assert_eq!(list["apiVersion"], "v1");
    assert!(list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .is_ok());
    let items = list["items"].as_array().unwrap();
    assert_eq!(
        items.iter().map(name).collect::<Vec<_>>(),
        ["a", "b", "c", "d"]
    );
    // Like the real server, list items of built-in types carry no type meta.
    assert!(items[0].get("kind").is_none());

    let names = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(name)
            .collect::<Vec<_>>()
            .join(",")
    };
    for (sel, want) in [
        ("app=web", "a,b"),
        ("app==web", "a,b"),
        ("app!=web", "c,d"),
        ("app in (web,db)", "a,b,c"),
        ("app notin (web)", "c,d"),
        ("tier", "a,b"),
        ("!tier", "c,d"),
        ("app=web,tier=back", "b"),
        ("app in (web), tier notin (front)", "b"),
    ] {
        let q = sel
            .replace(' ', "%20")
            .replace('=', "%3D")
            .replace(',', "%2C")
            .replace('!', "%21");
        let (s, v) = api.get(&format!("{CMS}?labelSelector={q}")).await;
        assert_eq!(s, 200, "{sel}");
        assert_eq!(names(&v), want, "{sel}");
    }
    let (s, v) = api
        .get(&format!("{CMS}?labelSelector=app%20in%20(web"))
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["reason"], "BadRequest");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .starts_with("unable to parse requirement"));

    let (_, v) = api
        .get(&format!("{CMS}?fieldSelector=metadata.name%3Db"))
        .await;
    assert_eq!(names(&v), "b");
    let (_, v) = api
        .get(&format!(
            "{CMS}?fieldSelector=metadata.name!%3Db,metadata.namespace%3D%3Ddefault"
        ))
        .await;
    assert_eq!(names(&v), "a,c,d");
    let (s, v) = api
        .get(&format!("{CMS}?fieldSelector=spec.nodeName%3Dx"))
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["message"], "field label not supported: spec.nodeName");

    let (_, v) = api.get("/api/v1/configmaps?labelSelector=app%3Dweb").await;
    assert_eq!(names(&v), "a,b,e");

    // limit/continue walk the whole list once.
    let mut seen = vec![];
    let mut token = String::new();
    for _ in 0..10 {
        let (_, v) = api.get(&format!("{CMS}?limit=3&continue={token}")).await;
        seen.extend(v["items"].as_array().unwrap().iter().map(name));
        match v["metadata"]["continue"].as_str() {
            Some(t) => {
                assert_eq!(v["metadata"]["remainingItemCount"], 1);
                token = t.to_string();
            }
            None => break,
        }
    }
    assert_eq!(seen, ["a", "b", "c", "d"]);
    let (s, _) = api.get(&format!("{CMS}?continue=zz")).await;
    assert_eq!(s, 400);

    // deletecollection honours the selector and returns what it deleted.
    let (s, v) = api
        .delete(&format!("{CMS}?labelSelector=app%3Dweb"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["kind"], "ConfigMapList");
    assert_eq!(names(&v), "a,b");
    let (_, v) = api.get(CMS).await;
    assert_eq!(names(&v), "c,d");
}

#[tokio::test]
async fn patches() {
    let c = fast_cluster(&["node-1"]);
    let api = Api::new(&c);
    let path = "/api/v1/namespaces/default/pods/p";
    let mut p = pod("p", json!({"app": "x"}));
    p["spec"]["containers"] =
        json!([{"name": "a", "image": "img:1"}, {"name": "b", "image": "img:1"}]);
    assert_eq!(api.post("/api/v1/namespaces/default/pods", &p).await.0, 201);

    let (s, v) = api
        .patch(
            path,
            "application/merge-patch+json",
            &json!({"metadata": {"labels": {"app": null, "new": "1"}}}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["metadata"]["labels"], json!({"new": "1"}));

    let (s, v) = api
        .patch(
            path,
            "application/strategic-merge-patch+json",
            &json!({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}], "containers": [{"name": "b", "image": "img:2"}]}}),
        )
        .await;
    assert_eq!(s, 200);
    let cs = v["spec"]["containers"].as_array().unwrap();
    assert_eq!(cs.len(), 2);
    assert_eq!(
        (cs[0]["image"].as_str(), cs[1]["image"].as_str()),
        (Some("img:1"), Some("img:2"))
    );

    let (s, v) = api
        .patch(
            path,
            "application/json-patch+json",
            &json!([{"op": "add", "path": "/metadata/annotations", "value": {"a": "1"}},
                    {"op": "replace", "path": "/metadata/labels/new", "value": "2"}]),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["metadata"]["annotations"]["a"], "1");
    assert_eq!(v["metadata"]["labels"]["new"], "2");
    let (s, v) = api
        .patch(
            path,
            "application/json-patch+json",
            &json!([{"op": "test", "path": "/metadata/name", "value": "q"}]),
        )
        .await;
    assert_eq!((s, v["code"].as_i64()), (422, Some(422)));
    let (s, _) = api
        .patch(path, "application/json-patch+json", &json!({"op": "add"}))
        .await;
    assert_eq!(s, 400);

    let r = api
        .send(
            "PATCH",
            path,
            Some("application/apply-patch+yaml"),
            Some("metadata: {}".into()),
        )
        .await;
    assert_eq!(r.status, 415);
    let v = r.json();
    assert_eq!(v["reason"], "UnsupportedMediaType");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("application/merge-patch+json"));

    let (s, v) = api
        .patch(
            path,
            "application/merge-patch+json",
            &json!({"metadata": {"resourceVersion": "1", "labels": {"z": "1"}}}),
        )
        .await;
    assert_eq!((s, v["reason"].as_str()), (409, Some("Conflict")));
    let (s, v) = api
        .patch(
            "/api/v1/namespaces/default/pods/nope",
            "application/merge-patch+json",
            &json!({}),
        )
        .await;
    assert_eq!(
        (s, v["message"].as_str()),
        (404, Some("pods \"nope\" not found"))
    );

    // Main resource writes ignore status; /status writes only status.
    let (_, before) = api.get(path).await;
    let (s, v) = api
        .patch(
            path,
            "application/merge-patch+json",
            &json!({"status": {"phase": "Failed"}}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["status"]["phase"], before["status"]["phase"]);
    let (s, v) = api
        .patch(
            &format!("{path}/status"),
            "application/merge-patch+json",
            &json!({"status": {"phase": "Failed"}, "metadata": {"labels": {"ignored": "1"}}}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["status"]["phase"], "Failed");
    assert!(v["metadata"]["labels"].get("ignored").is_none());
}

#[tokio::test]
async fn delete_options_and_namespaces() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    let (_, created) = api.post(CMS, &cm("x", json!({}))).await;
    let (s, v) = api
        .delete(
            &format!("{CMS}/x"),
            Some(&json!({"preconditions": {"uid": "nope"}})),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(
        v["message"],
        format!(
            "Operation cannot be fulfilled on configmaps \"x\": Precondition failed: UID in precondition: nope, UID in object meta: {}",
            created["metadata"]["uid"].as_str().unwrap()
        )
    );
    let (s, _) = api.delete(&format!("{CMS}/x?dryRun=All"), None).await;
    assert_eq!(s, 200);
    assert!(c.get("v1", "ConfigMap", Some("default"), "x").is_some());
    let (s, v) = api
        .delete(
            &format!("{CMS}/x"),
            Some(&json!({"propagationPolicy": "Sideways"})),
        )
        .await;
    assert_eq!((s, v["reason"].as_str()), (400, Some("BadRequest")));
    let r = api
        .send(
            "DELETE",
            &format!("{CMS}/x"),
            Some("application/json"),
            Some("[".into()),
        )
        .await;
    assert_eq!(r.status, 400);
    let (s, _) = api
        .delete(
            &format!("{CMS}/x"),
            Some(&json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0})),
        )
        .await;
    assert_eq!(s, 200);

    // Finalizers hold an object until they are removed.
    let mut f = cm("held", json!({}));
    f["metadata"]["finalizers"] = json!(["example.com/hold"]);
    api.post(CMS, &f).await;
    let (s, v) = api.delete(&format!("{CMS}/held"), None).await;
    assert_eq!(s, 200);
    assert!(v["metadata"]["deletionTimestamp"].is_string());
    assert!(c.get("v1", "ConfigMap", None, "held").is_some());
    let (s, _) = api
        .patch(
            &format!("{CMS}/held"),
            "application/merge-patch+json",
            &json!({"metadata": {"finalizers": null}}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(c.get("v1", "ConfigMap", None, "held").is_none());

    // Namespaces: created Active; deleting one deletes its objects.
    let (s, ns) = api
        .post(
            "/api/v1/namespaces",
            &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(ns["status"]["phase"], "Active");
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "team"
    );
    api.post("/api/v1/namespaces/team/configmaps", &cm("c1", json!({})))
        .await;
    api.post("/api/v1/namespaces/team/pods", &pod("p1", json!({})))
        .await;
    let (s, v) = api.get("/api/v1/namespaces/team").await;
    assert_eq!((s, v["kind"].as_str()), (200, Some("Namespace")));
    let (s, v) = api.delete("/api/v1/namespaces/team", None).await;
    assert_eq!(s, 200);
    assert_eq!(v["status"]["phase"], "Terminating");
    assert!(c.list("v1", "ConfigMap", Some("team")).is_empty());
    assert!(c.list("v1", "Pod", Some("team")).is_empty());
    assert_eq!(api.get("/api/v1/namespaces/team").await.0, 404);
    let (s, v) = api.delete("/api/v1/namespaces/default", None).await;
    assert_eq!(s, 403);
    assert_eq!(
        v["message"],
        "namespaces \"default\" is forbidden: this namespace may not be deleted"
    );
}

#[tokio::test]
async fn authentication_and_forbid() {
    let c = FakeCluster::start();
    let mut api = Api::new(&c);
    c.require_token("s3cret");
    let (s, v) = api.get("/api/v1/namespaces/default/pods").await;
    assert_eq!(s, 401);
    assert_eq!(
        v,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
    );
    api.token = Some("wrong".into());
    assert_eq!(api.get("/version").await.0, 401);
    api.token = Some("s3cret".into());
    assert_eq!(api.get("/api/v1/namespaces/default/pods").await.0, 200);

    api.post("/api/v1/namespaces/default/pods", &pod("x", json!({})))
        .await;
    c.forbid("delete", "", "pods");
    c.forbid("list", "", "nodes");
    c.forbid("create", "", "pods/eviction");
    c.forbid("patch", "apps", "deployments/scale");
    c.set_user("system:serviceaccount:chaos:runner");
    let (s, v) = api.delete("/api/v1/namespaces/default/pods/x", None).await;
    assert_eq!(s, 403);
    assert_eq!(
        v,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "pods \"x\" is forbidden: User \"system:serviceaccount:chaos:runner\" cannot delete resource \"pods\" in API group \"\" in the namespace \"default\"",
               "reason": "Forbidden", "details": {"name": "x", "kind": "pods"}, "code": 403})
    );
    let (s, v) = api.get("/api/v1/nodes").await;
    assert_eq!(s, 403);
    assert_eq!(
        v["message"],
        "nodes is forbidden: User \"system:serviceaccount:chaos:runner\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
    );
    let (s, v) = api
        .post(
            "/api/v1/namespaces/default/pods/x/eviction",
            &json!({"metadata": {"name": "x"}}),
        )
        .await;
    assert_eq!(s, 403);
    assert!(v["message"].as_str().unwrap().ends_with(
        "cannot create resource \"pods/eviction\" in API group \"\" in the namespace \"default\""
    ));
    let (s, v) = api
        .patch(
            "/apis/apps/v1/namespaces/default/deployments/web/scale",
            "application/merge-patch+json",
            &json!({}),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(
        v["message"],
        "deployments.apps \"web\" is forbidden: User \"system:serviceaccount:chaos:runner\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"default\""
    );
    assert_eq!(v["details"]["group"], "apps");
    // SelfSubjectAccessReview (kubectl auth can-i) answers from the rules.
    let review = |verb: &str, resource: &str| {
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
               "spec": {"resourceAttributes": {"namespace": "default", "verb": verb, "group": "", "resource": resource}}})
    };
    let ssar = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    let (s, v) = api.post(ssar, &review("delete", "pods")).await;
    assert_eq!((s, v["status"]["allowed"].as_bool()), (201, Some(false)));
    let (_, v) = api.post(ssar, &review("get", "pods")).await;
    assert_eq!(v["status"]["allowed"], true);
    let (s, _) = api.post(ssar, &json!({"spec": {}})).await;
    assert_eq!(s, 422);
    // Other verbs are unaffected; allow_all lifts the rules.
    assert_eq!(api.get("/api/v1/namespaces/default/pods/x").await.0, 200);
    c.allow_all();
    assert_eq!(
        api.delete("/api/v1/namespaces/default/pods/x", None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn request_records() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    c.clear_requests();
    api.get("/version").await;
    api.post(CMS, &cm("r", json!({}))).await;
    api.get(&format!("{CMS}?labelSelector=a%3Db")).await;
    api.get(&format!("{CMS}/r")).await;
    api.patch(
        &format!("{CMS}/r"),
        "application/merge-patch+json",
        &json!({}),
    )
    .await;
    api.put(&format!("{CMS}/r"), &cm("r", json!({}))).await;
    api.delete(&format!("{CMS}/r"), None).await;
    api.delete(CMS, None).await;
    api.get("/apis/apps/v1/namespaces/default/deployments/nope/scale")
        .await;
    api.send(
        "GET",
        "/api/v1/pods?watch=true&timeoutSeconds=0",
        None,
        None,
    )
    .await;
    let reqs = c.requests();
    let verbs: Vec<(&str, u16)> = reqs.iter().map(|r| (r.verb.as_str(), r.status)).collect();
    assert_eq!(
        verbs,
        [
            ("get", 200),
            ("create", 201),
            ("list", 200),
            ("get", 200),
            ("patch", 200),
            ("update", 200),
            ("delete", 200),
            ("deletecollection", 200),
            ("get", 404),
            ("watch", 200)
        ]
    );
    assert_eq!(reqs[0].resource, "");
    assert_eq!(reqs[2].query, "labelSelector=a%3Db");
    assert_eq!(
        (
            reqs[3].resource.as_str(),
            reqs[3].name.as_str(),
            reqs[3].namespace.as_str()
        ),
        ("configmaps", "r", "default")
    );
    assert_eq!(reqs[4].content_type, "application/merge-patch+json");
    assert_eq!(reqs[4].body, "{}");
    assert!(reqs[1].body.contains("\"name\":\"r\""));
    assert_eq!(
        (reqs[8].api_group.as_str(), reqs[8].subresource.as_str()),
        ("apps", "scale")
    );
    assert_eq!(reqs[9].method, "GET");
    assert_eq!(reqs[9].namespace, "");
}

#[tokio::test]
async fn custom_resources() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "chaosruns.chaos.example.com"},
        "spec": {
            "group": "chaos.example.com",
            "names": {"plural": "chaosruns", "singular": "chaosrun", "kind": "ChaosRun", "shortNames": ["cr"]},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}},
                          "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.size", "statusReplicasPath": ".status.size"}}}]
        }
    });
    let (s, v) = api
        .post(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            &crd,
        )
        .await;
    assert_eq!(s, 201);
    assert!(v["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "Established" && c["status"] == "True"));
    let (_, groups) = api.get("/apis").await;
    assert!(groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["name"] == "chaos.example.com"));
    let (_, rl) = api.get("/apis/chaos.example.com/v1").await;
    assert!(rl["resources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "chaosruns" && r["shortNames"] == json!(["cr"])));

    let base = "/apis/chaos.example.com/v1/namespaces/default/chaosruns";
    let (s, v) = api
        .post(base, &json!({"apiVersion": "chaos.example.com/v1", "kind": "ChaosRun", "metadata": {"name": "r1", "labels": {"k": "v"}}, "spec": {"size": 2}}))
        .await;
    assert_eq!(s, 201);
    assert_eq!(v["kind"], "ChaosRun");
    let (_, list) = api.get(&format!("{base}?labelSelector=k%3Dv")).await;
    assert_eq!(list["kind"], "ChaosRunList");
    assert_eq!(list["items"][0]["kind"], "ChaosRun");
    let (s, v) = api
        .patch(
            &format!("{base}/r1"),
            "application/merge-patch+json",
            &json!({"spec": {"size": 3}}),
        )
        .await;
    assert_eq!(
        (
            s,
            v["spec"]["size"].as_i64(),
            v["metadata"]["generation"].as_i64()
        ),
        (200, Some(3), Some(2))
    );
    let (s, v) = api.get(&format!("{base}/r1/scale")).await;
    assert_eq!((s, v["spec"]["replicas"].as_i64()), (200, Some(3)));
    let (s, _) = api
        .patch(
            &format!("{base}/r1/scale"),
            "application/merge-patch+json",
            &json!({"spec": {"replicas": 5}}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        c.get("chaos.example.com/v1", "ChaosRun", None, "r1")
            .unwrap()["spec"]["size"],
        5
    );
    let (s, v) = api.get(&format!("{base}/r2")).await;
    assert_eq!(
        (s, v["message"].as_str()),
        (404, Some("chaosruns.chaos.example.com \"r2\" not found"))
    );

    // Cluster-scoped CRDs are served without a namespace.
    let mut cluster_crd = crd.clone();
    cluster_crd["metadata"]["name"] = json!("targets.chaos.example.com");
    cluster_crd["spec"]["names"] =
        json!({"plural": "targets", "singular": "target", "kind": "Target"});
    cluster_crd["spec"]["scope"] = json!("Cluster");
    assert_eq!(
        api.post(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            &cluster_crd
        )
        .await
        .0,
        201
    );
    let (s, v) = api
        .post(
            "/apis/chaos.example.com/v1/targets",
            &json!({"metadata": {"name": "t"}}),
        )
        .await;
    assert_eq!(s, 201);
    assert!(v["metadata"].get("namespace").is_none());
    assert_eq!(api.get("/apis/chaos.example.com/v1/targets/t").await.0, 200);
    assert_eq!(
        api.delete("/apis/chaos.example.com/v1/targets/t", None)
            .await
            .0,
        200
    );

    let mut bad = crd.clone();
    bad["metadata"]["name"] = json!("wrong");
    assert_eq!(
        api.post(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            &bad
        )
        .await
        .0,
        422
    );

    // Deleting the CRD removes its objects and its endpoints.
    assert_eq!(
        api.delete(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/chaosruns.chaos.example.com",
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(api.get(base).await.0, 404);
    assert!(c.list("chaos.example.com/v1", "ChaosRun", None).is_empty());
}

#[tokio::test]
async fn pod_logs_exec_and_tokens() {
    let c = fast_cluster(&["node-1"]);
    let api = Api::new(&c);
    let mut p = pod("logger", json!({}));
    p["spec"]["containers"] =
        json!([{"name": "app", "image": "x"}, {"name": "side", "image": "y"}]);
    api.post("/api/v1/namespaces/default/pods", &p).await;
    let r = api
        .send(
            "GET",
            "/api/v1/namespaces/default/pods/logger/log?container=app",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "container \"app\" in pod \"logger\" is waiting to start: ContainerCreating"
    );
    wait_for("pod running", || {
        c.get("v1", "Pod", None, "logger")
            .is_some_and(|p| common::running(&p))
    });

    assert!(c.set_pod_log(
        "default",
        "logger",
        None,
        "2024-01-01T00:00:00Z old line\nline two\nline three"
    ));
    assert!(c.set_pod_log("default", "logger", Some("side"), "sidecar says hi"));
    let log = |q: &str| {
        let api = &api;
        let q = q.to_string();
        async move {
            api.send(
                "GET",
                &format!("/api/v1/namespaces/default/pods/logger/log?{q}"),
                None,
                None,
            )
            .await
        }
    };
    let r = log("container=app").await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/plain"));
    assert_eq!(r.text, "old line\nline two\nline three\n");
    assert_eq!(log("container=app&tailLines=1").await.text, "line three\n");
    assert_eq!(
        log("container=app&sinceSeconds=3600").await.text,
        "line two\nline three\n"
    );
    let ts = log("container=app&timestamps=true&tailLines=2").await.text;
    let first = ts.lines().next().unwrap();
    let (stamp, rest) = first.split_once(' ').unwrap();
    assert!(stamp.ends_with('Z') && stamp.contains('.'), "{stamp}");
    assert_eq!(rest, "line two");
    assert_eq!(log("container=side").await.text, "sidecar says hi\n");
    let r = log("").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "a container name must be specified for pod logger, choose one of: [app side]"
    );
    let r = log("container=nope").await;
    assert_eq!(
        r.json()["message"],
        "container nope is not valid for pod logger"
    );
    assert_eq!(
        api.send(
            "GET",
            "/api/v1/namespaces/default/pods/ghost/log",
            None,
            None
        )
        .await
        .status,
        404
    );

    let r = api
        .send(
            "POST",
            "/api/v1/namespaces/default/pods/logger/exec?command=ls",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["message"], "Upgrade request required");

    let (s, v) = api
        .post(
            "/api/v1/namespaces/default/serviceaccounts/default/token",
            &json!({"spec": {"expirationSeconds": 600}}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(v["kind"], "TokenRequest");
    assert!(v["status"]["token"]
        .as_str()
        .unwrap()
        .starts_with("fake-token-"));
}

#[test]
fn direct_api_and_kubeconfig() {
    let c = FakeCluster::start();
    let stored = c.apply(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "fresh"}, "stringData": {"a": "b"}}));
    assert_eq!(stored["metadata"]["namespace"], "fresh");
    assert_eq!(stored["type"], "Opaque");
    assert_eq!(stored["metadata"]["generation"], 1);
    assert!(
        c.get("v1", "Namespace", None, "fresh").is_some(),
        "apply creates missing namespaces"
    );
    let again = c.apply(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "fresh"}, "stringData": {"a": "c"}}));
    assert_eq!(again["metadata"]["uid"], stored["metadata"]["uid"]);
    assert_eq!(c.list("v1", "Secret", Some("fresh")).len(), 1);
    assert!(c.get("v1", "Secret", Some("default"), "s").is_none());
    assert!(c.delete("v1", "Secret", Some("fresh"), "s").is_some());
    assert!(c.get("v1", "Secret", Some("fresh"), "s").is_none());
    let n = c.apply(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}, "rules": []}));
    assert_eq!(n["metadata"]["namespace"], "default");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/config");
    c.write_kubeconfig(&path, "fake-ctx", Some("team"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&format!("server: \"{}\"", c.url())));
    assert!(text.contains("token: fake-token"));
    assert!(text.contains("current-context: \"fake-ctx\""));
    assert!(text.contains("namespace: \"team\""));
    assert!(c.url().starts_with("http://127.0.0.1:"));
}

#[tokio::test]
async fn hostile_input_gets_status_bodies() {
    let c = fast_cluster(&["node-1"]);
    let api = Api::new(&c);
    api.post(
        "/api/v1/namespaces/default/pods",
        &pod("p", json!({"app": "x"})),
    )
    .await;
    let pods = "/api/v1/namespaces/default/pods";
    let cases: Vec<(&str, String, Option<&str>, Option<String>)> = vec![
        ("GET", "/api/v1/namespaces//pods".into(), None, None),
        (
            "GET",
            "/api/v1/namespaces/default/pods/p/log/extra/more".into(),
            None,
            None,
        ),
        (
            "GET",
            "/apis/apps/v1/namespaces/default/deployments/x/nosuchsub".into(),
            None,
            None,
        ),
        (
            "GET",
            format!("{pods}?watch=true&resourceVersion=18446744073709551615&timeoutSeconds=0"),
            None,
            None,
        ),
        ("GET", format!("{pods}?limit=-3&continue=%ZZ"), None, None),
        ("GET", format!("{pods}?labelSelector=%28%28%28"), None, None),
        ("GET", format!("{pods}?fieldSelector=nonsense"), None, None),
        ("GET", format!("{pods}/p/log?tailLines=abc"), None, None),
        (
            "GET",
            format!("{pods}/p/log?sinceSeconds=9223372036854775807"),
            None,
            None,
        ),
        (
            "GET",
            format!("{pods}?watch=true&timeoutSeconds=-1"),
            None,
            None,
        ),
        (
            "POST",
            pods.into(),
            Some("application/json"),
            Some("null".into()),
        ),
        (
            "POST",
            pods.into(),
            Some("application/json"),
            Some("\"str\"".into()),
        ),
        (
            "POST",
            pods.into(),
            Some("application/json"),
            Some("{\"metadata\": 5}".into()),
        ),
        (
            "POST",
            pods.into(),
            Some("application/json"),
            Some("[".repeat(200)),
        ),
        (
            "POST",
            pods.into(),
            Some("application/json"),
            Some(String::from_utf8_lossy(&[0xff, 0xfe, 0x00]).into_owned()),
        ),
        (
            "POST",
            format!("{pods}/p/eviction"),
            Some("application/json"),
            Some("{\"metadata\": []}".into()),
        ),
        (
            "POST",
            format!("{pods}/p/binding"),
            Some("application/json"),
            Some("{}".into()),
        ),
        (
            "PUT",
            format!("{pods}/p"),
            Some("application/json"),
            Some("{\"spec\": null, \"metadata\": {\"resourceVersion\": 7}}".into()),
        ),
        (
            "PATCH",
            format!("{pods}/p"),
            Some("application/merge-patch+json"),
            Some("[1]".into()),
        ),
        (
            "PATCH",
            format!("{pods}/p"),
            Some("application/strategic-merge-patch+json"),
            Some("{\"$patch\": \"explode\"}".into()),
        ),
        (
            "PATCH",
            format!("{pods}/p"),
            Some("application/strategic-merge-patch+json"),
            Some("{\"spec\": {\"containers\": [{\"image\": \"no-name\"}]}}".into()),
        ),
        (
            "PATCH",
            format!("{pods}/p"),
            Some("application/json-patch+json"),
            Some("[{\"op\": \"move\", \"from\": \"/spec\", \"path\": \"/spec/x\"}]".into()),
        ),
        (
            "PATCH",
            format!("{pods}/p"),
            Some("application/json-patch+json"),
            Some("[{\"op\": \"remove\", \"path\": \"\"}]".into()),
        ),
        ("PATCH", format!("{pods}/p"), None, Some("{}".into())),
        (
            "PATCH",
            "/apis/apps/v1/namespaces/default/deployments/x/scale".into(),
            Some("application/merge-patch+json"),
            Some("{}".into()),
        ),
        (
            "DELETE",
            format!("{pods}/p?gracePeriodSeconds=soon"),
            None,
            None,
        ),
        ("DELETE", "/api/v1/namespaces".into(), None, None),
        ("OPTIONS", pods.into(), None, None),
        ("POST", "/version".into(), None, None),
    ];
    for (method, path, ct, body) in cases {
        let r = api.send(method, &path, ct, body).await;
        assert!(
            r.status < 500 || r.status == 503,
            "{method} {path}: {} {}",
            r.status,
            r.text
        );
        if r.status >= 400 {
            let v = r.json();
            assert_eq!(v["kind"], "Status", "{method} {path}");
            assert_eq!(v["code"], r.status, "{method} {path}");
            assert!(
                v["message"].is_string() && v["reason"].is_string(),
                "{method} {path}: {v}"
            );
        }
    }
    // Still serving, and the pod is intact.
    let (s, v) = api.get(&format!("{pods}/p")).await;
    assert_eq!(s, 200);
    assert_eq!(v["spec"]["containers"][0]["name"], "main");
}
