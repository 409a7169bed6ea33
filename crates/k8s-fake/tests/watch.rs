//! `?watch=true` streams: initial events, resuming from a resourceVersion,
//! selector transitions, timeouts, bookmarks and Table rows.

mod common;

use std::time::Duration;

use chaos_k8s_fake::FakeCluster;
use common::{name, Api};
use serde_json::{json, Value};

struct Watch {
    resp: reqwest::Response,
    buf: Vec<u8>,
}

impl Watch {
    async fn open(api: &Api, path: &str, accept: Option<&str>) -> Watch {
        let mut req = api.client.get(format!("{}{path}", api.base));
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let resp = req.send().await.expect("watch request");
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/json");
        Watch { resp, buf: vec![] }
    }

    /// The next event, or None when the server ended the stream. Fails the
    /// test if nothing arrives within 5 s.
    async fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                return Some(serde_json::from_slice(&line).expect("event JSON"));
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.resp.chunk())
                .await
                .expect("no watch event within 5 s")
                .expect("stream error");
            match chunk {
                Some(bytes) => self.buf.extend_from_slice(&bytes),
                None => return None,
            }
        }
    }

    async fn expect(&mut self, kind: &str, obj_name: &str) -> Value {
        let ev = self.next().await.expect("stream ended early");
        assert_eq!(
            (ev["type"].as_str(), name(&ev["object"]).as_str()),
            (Some(kind), obj_name),
            "{ev}"
        );
        ev
    }
}

fn cm(name: &str, app: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"app": app}}})
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn initial_state_then_live_events() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    api.post(CMS, &cm("a", "x")).await;
    api.post(CMS, &cm("b", "x")).await;
    let mut w = Watch::open(&api, &format!("{CMS}?watch=true&timeoutSeconds=30"), None).await;
    let first = w.expect("ADDED", "a").await;
    assert_eq!(
        first["object"]["kind"], "ConfigMap",
        "watch objects carry type meta"
    );
    w.expect("ADDED", "b").await;
    api.patch(
        &format!("{CMS}/a"),
        "application/merge-patch+json",
        &json!({"data": {"k": "v"}}),
    )
    .await;
    let ev = w.expect("MODIFIED", "a").await;
    assert_eq!(ev["object"]["data"]["k"], "v");
    api.delete(&format!("{CMS}/b"), None).await;
    w.expect("DELETED", "b").await;
    // Other namespaces and kinds do not leak into the stream.
    api.post(
        "/api/v1/namespaces/kube-system/configmaps",
        &cm("elsewhere", "x"),
    )
    .await;
    api.post(
        "/api/v1/namespaces/default/secrets",
        &json!({"metadata": {"name": "s"}}),
    )
    .await;
    api.post(CMS, &cm("c", "x")).await;
    w.expect("ADDED", "c").await;
}

#[tokio::test]
async fn resume_from_resource_version_and_timeout() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    api.post(CMS, &cm("old", "x")).await;
    let (_, list) = api.get(CMS).await;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    api.post(CMS, &cm("new", "x")).await;
    api.delete(&format!("{CMS}/old"), None).await;
    let mut w = Watch::open(
        &api,
        &format!("{CMS}?watch=1&resourceVersion={rv}&timeoutSeconds=1"),
        None,
    )
    .await;
    w.expect("ADDED", "new").await;
    let ev = w.expect("DELETED", "old").await;
    let deleted_rv: u64 = ev["object"]["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(deleted_rv > rv.parse::<u64>().unwrap());
    assert!(w.next().await.is_none(), "timeoutSeconds ends the stream");

    let r = api
        .send(
            "GET",
            &format!("{CMS}?watch=true&resourceVersion=abc"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    let r = api
        .send(
            "GET",
            &format!("{CMS}?watch=true&labelSelector=a%20in"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn selector_transitions_and_single_object_watch() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    api.post(CMS, &cm("m", "in")).await;
    let mut w = Watch::open(
        &api,
        &format!("{CMS}?watch=true&labelSelector=app%3Din"),
        None,
    )
    .await;
    w.expect("ADDED", "m").await;
    let mut named = Watch::open(
        &api,
        &format!("{CMS}?watch=true&fieldSelector=metadata.name%3Dm&resourceVersion=0"),
        None,
    )
    .await;
    named.expect("ADDED", "m").await;
    api.patch(
        &format!("{CMS}/m"),
        "application/merge-patch+json",
        &json!({"metadata": {"labels": {"app": "out"}}}),
    )
    .await;
    let ev = w.expect("DELETED", "m").await;
    assert_eq!(ev["object"]["metadata"]["labels"]["app"], "out");
    named.expect("MODIFIED", "m").await;
    api.post(CMS, &cm("n", "out")).await;
    api.patch(
        &format!("{CMS}/m"),
        "application/merge-patch+json",
        &json!({"metadata": {"labels": {"app": "in"}}}),
    )
    .await;
    w.expect("ADDED", "m").await;
    named.expect("MODIFIED", "m").await;
    let mut single = Watch::open(&api, &format!("{CMS}/m?watch=true"), None).await;
    single.expect("ADDED", "m").await;
}

#[tokio::test]
async fn initial_events_bookmark_and_tables() {
    let c = FakeCluster::with_nodes(&["node-1"]);
    let api = Api::new(&c);
    api.post(CMS, &cm("a", "x")).await;
    let mut w = Watch::open(
        &api,
        &format!("{CMS}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"),
        None,
    )
    .await;
    w.expect("ADDED", "a").await;
    let ev = w.next().await.unwrap();
    assert_eq!(ev["type"], "BOOKMARK");
    assert_eq!(
        ev["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    assert!(ev["object"]["metadata"]["resourceVersion"]
        .as_str()
        .is_some());

    // kubectl get -w asks for Table rows.
    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let mut t = Watch::open(&api, "/api/v1/nodes?watch=true", Some(accept)).await;
    let ev = t.next().await.unwrap();
    assert_eq!(ev["type"], "ADDED");
    assert_eq!(ev["object"]["kind"], "Table");
    assert_eq!(ev["object"]["rows"][0]["cells"][0], "node-1");
    assert_eq!(ev["object"]["rows"][0]["cells"][1], "Ready");
    assert_eq!(
        ev["object"]["rows"][0]["object"]["kind"],
        "PartialObjectMetadata"
    );

    let r = api.send("GET", "/api/v1/nodes", None, None).await;
    assert_eq!(r.json()["kind"], "NodeList");
    let r = api
        .client
        .get(format!("{}/api/v1/nodes", api.base))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    let table: Value = r.json().await.unwrap();
    assert_eq!(table["kind"], "Table");
    let cols: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(&cols[..5], ["Name", "Status", "Roles", "Age", "Version"]);
}

#[tokio::test]
async fn many_watchers_end_with_the_cluster() {
    let c = FakeCluster::start();
    let api = Api::new(&c);
    let mut ws = vec![];
    for _ in 0..5 {
        ws.push(Watch::open(&api, "/api/v1/pods?watch=true", None).await);
    }
    drop(c);
    for mut w in ws {
        let end = tokio::time::timeout(Duration::from_secs(5), w.resp.chunk())
            .await
            .expect("stream closed after drop");
        assert!(end.map(|c| c.is_none()).unwrap_or(true));
    }
}
