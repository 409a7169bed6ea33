//! `events.k8s.io/v1` served from the same events as core `v1`, and the
//! patch types custom resources accept.

mod common;

use chaos_k8s_fake::FakeCluster;
use common::Api;
use serde_json::{json, Value};

fn core_event(name: &str, kind: &str, ty: &str, reason: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": "demo"}},
        "involvedObject": {"kind": kind, "name": "web-1", "namespace": "default"},
        "reason": reason, "message": format!("{reason} happened"), "type": ty,
        "source": {"component": "kubelet"}, "count": 2,
        "reportingComponent": "kubelet", "reportingInstance": "node-1",
    })
}

#[tokio::test]
async fn events_v1_reads_and_writes_the_core_events() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    c.apply(core_event("e1", "Pod", "Warning", "BackOff"));
    c.apply(core_event("e2", "Pod", "Normal", "Pulled"));
    c.apply(core_event("e3", "Node", "Warning", "NodeNotReady"));

    let (_, rl) = api.get("/apis/events.k8s.io/v1").await;
    assert!(rl["resources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "events" && r["kind"] == "Event" && r["namespaced"] == true));

    let (s, list) = api
        .get("/apis/events.k8s.io/v1/events?fieldSelector=type%3DWarning&limit=1")
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["kind"], "EventList");
    assert_eq!(list["apiVersion"], "events.k8s.io/v1");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["metadata"]["name"], "e1");
    assert_eq!(items[0]["regarding"]["kind"], "Pod");
    assert_eq!(items[0]["note"], "BackOff happened");
    assert_eq!(items[0]["deprecatedCount"], 2);
    assert_eq!(items[0]["reportingController"], "kubelet");
    assert!(items[0].get("involvedObject").is_none());
    assert!(list["metadata"]["continue"].is_string(), "one more Warning");

    let (_, list) = api
        .get("/apis/events.k8s.io/v1/events?fieldSelector=regarding.kind%3DNode,reportingController%3Dkubelet")
        .await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["e3"]);

    // The core field names are not events/v1 field labels.
    let (s, status) = api
        .get("/apis/events.k8s.io/v1/events?fieldSelector=involvedObject.kind%3DPod")
        .await;
    assert_eq!(s, 400);
    assert_eq!(status["kind"], "Status");

    // Written through events/v1, read through core v1.
    let (s, created) = api
        .post(
            "/apis/events.k8s.io/v1/namespaces/default/events",
            &json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
                    "metadata": {"name": "e4"}, "eventTime": "2024-05-01T10:00:00.000000Z",
                    "regarding": {"kind": "Deployment", "name": "web"}, "note": "scaled",
                    "reason": "Scaled", "type": "Normal", "action": "Scale",
                    "reportingController": "chaos", "reportingInstance": "chaos-1"}),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["note"], "scaled");
    let (_, core) = api.get("/api/v1/namespaces/default/events/e4").await;
    assert_eq!(core["apiVersion"], "v1");
    assert_eq!(core["message"], "scaled");
    assert_eq!(core["involvedObject"]["name"], "web");
    assert_eq!(core["reportingComponent"], "chaos");

    let (s, one) = api
        .get("/apis/events.k8s.io/v1/namespaces/default/events/e1")
        .await;
    assert_eq!(s, 200);
    assert_eq!(one["regarding"]["name"], "web-1");
    assert_eq!(one["eventTime"], Value::Null);
    assert_eq!(
        c.get("events.k8s.io/v1", "Event", Some("default"), "e1")
            .unwrap()["note"],
        "BackOff happened"
    );

    let (s, _) = api
        .delete("/apis/events.k8s.io/v1/namespaces/default/events/e1", None)
        .await;
    assert_eq!(s, 200);
    assert!(c.get("v1", "Event", Some("default"), "e1").is_none());
    let (s, _) = api.get("/api/v1/namespaces/default/events/e1").await;
    assert_eq!(s, 404);

    let (s, status) = api.get("/apis/events.k8s.io/v1/events?watch=true").await;
    assert_eq!(s, 405);
    assert_eq!(status["reason"], "MethodNotAllowed");
}

#[tokio::test]
async fn custom_resources_refuse_strategic_merge_patches() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    c.apply(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "things.g.io"},
        "spec": {"group": "g.io", "scope": "Namespaced",
                 "names": {"plural": "things", "singular": "thing", "kind": "Thing"},
                 "versions": [{"name": "v1", "served": true, "storage": true}]}
    }));
    let base = "/apis/g.io/v1/namespaces/default/things";
    let (s, _) = api
        .post(
            base,
            &json!({"apiVersion": "g.io/v1", "kind": "Thing", "metadata": {"name": "t1"}, "spec": {"x": 1}}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, status) = api
        .patch(
            &format!("{base}/t1"),
            "application/strategic-merge-patch+json",
            &json!({"spec": {"x": 2}}),
        )
        .await;
    assert_eq!(s, 415);
    assert_eq!(status["reason"], "UnsupportedMediaType");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("application/json-patch+json, application/merge-patch+json"),
        "{status}"
    );
    let (s, v) = api
        .patch(
            &format!("{base}/t1"),
            "application/merge-patch+json",
            &json!({"spec": {"x": 2}}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["spec"]["x"], 2);

    // Built-in types still merge strategically.
    c.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}}));
    let (s, _) = api
        .patch(
            "/api/v1/namespaces/default/configmaps/cm",
            "application/strategic-merge-patch+json",
            &json!({"data": {"b": "2"}}),
        )
        .await;
    assert_eq!(s, 200);
}
