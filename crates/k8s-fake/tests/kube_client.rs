//! The driver's client stack (kube + typed k8s-openapi objects) against the
//! fake: every typed read below fails if a field k8s-openapi requires is
//! missing or malformed, and errors must surface as `kube::Error::Api` with
//! the right code and reason.

mod common;

use std::time::Duration;

use chaos_k8s_fake::FakeCluster;
use common::{deployment, pods_with, running, wait_for};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, Namespace, Node, Pod, Service, ServiceAccount,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{
    Api, DeleteParams, EvictParams, ListParams, LogParams, Patch, PatchParams, PostParams,
    WatchEvent, WatchParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;

async fn client(c: &FakeCluster) -> (Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    c.write_kubeconfig(&path, "fake", Some("default"));
    let kc = Kubeconfig::read_from(&path).expect("kubeconfig parses");
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("config");
    assert_eq!(config.default_namespace, "default");
    (Client::try_from(config).expect("client"), dir)
}

fn api_error(e: kube::Error) -> (u16, String, String) {
    match e {
        kube::Error::Api(r) => (r.code, r.reason, r.message),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn typed_reads_of_everything_the_fake_produces() {
    let c = FakeCluster::with_nodes(&["node-1", "node-2"]);
    c.set_controller_delay(Duration::from_millis(30));
    // Bearer tokens from the kubeconfig are sent even over plain HTTP.
    c.require_token("fake-token");
    let (client, _dir) = client(&c).await;
    c.apply(deployment("web", 2));
    c.apply(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"replicas": 1, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                 "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "pg"}]}}}}));
    c.apply(json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "a"}]}}}}));
    c.apply(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
    );
    // The replacement must not be running before the second eviction, or
    // the budget would rightly allow it: from here on the controller takes
    // its time (set before any write it could already be reconciling).
    c.set_controller_delay(Duration::from_secs(2));
    c.apply(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}}}));
    wait_for("workloads up", || {
        pods_with(&c, "app", "web")
            .iter()
            .filter(|p| running(p))
            .count()
            == 2
            && pods_with(&c, "app", "agent")
                .iter()
                .filter(|p| running(p))
                .count()
                == 2
            && c.get("policy/v1", "PodDisruptionBudget", None, "web")
                .is_some_and(|p| p["status"]["disruptionsAllowed"] == 1)
    });

    let nodes = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(nodes.items.len(), 2);
    let info = nodes.items[0]
        .status
        .as_ref()
        .unwrap()
        .node_info
        .as_ref()
        .unwrap();
    assert_eq!(info.kubelet_version, "v1.32.4");
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let web = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap();
    assert_eq!(web.items.len(), 2);
    let st = web.items[0].status.as_ref().unwrap();
    assert_eq!(st.phase.as_deref(), Some("Running"));
    assert!(st.container_statuses.as_ref().unwrap()[0].ready);
    let on_node = pods
        .list(&ListParams::default().fields("spec.nodeName=node-1"))
        .await
        .unwrap();
    assert!(on_node
        .items
        .iter()
        .all(|p| p.spec.as_ref().unwrap().node_name.as_deref() == Some("node-1")));
    let all = Api::<Pod>::all(client.clone())
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 5);

    let d = Api::<Deployment>::default_namespaced(client.clone())
        .get("web")
        .await
        .unwrap();
    assert_eq!(d.status.unwrap().ready_replicas, Some(2));
    let rs = Api::<ReplicaSet>::default_namespaced(client.clone())
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(rs.items[0].status.as_ref().unwrap().replicas, 2);
    let sts = Api::<StatefulSet>::default_namespaced(client.clone())
        .get("db")
        .await
        .unwrap();
    assert_eq!(sts.status.unwrap().replicas, 1);
    let ds = Api::<DaemonSet>::default_namespaced(client.clone())
        .get("agent")
        .await
        .unwrap();
    assert_eq!(ds.status.unwrap().desired_number_scheduled, 2);
    let pdb = Api::<PodDisruptionBudget>::default_namespaced(client.clone())
        .get("web")
        .await
        .unwrap();
    let pst = pdb.status.unwrap();
    assert_eq!(
        (
            pst.expected_pods,
            pst.desired_healthy,
            pst.disruptions_allowed
        ),
        (2, 1, 1)
    );
    assert_eq!(pst.conditions.unwrap()[0].reason, "SufficientPods");
    let svc = Api::<Service>::default_namespaced(client.clone())
        .get("web")
        .await
        .unwrap();
    assert!(svc.spec.unwrap().cluster_ip.is_some());
    wait_for("endpoints", || {
        c.get("v1", "Endpoints", None, "web")
            .is_some_and(|e| e.get("subsets").is_some())
    });
    let ep = Api::<Endpoints>::default_namespaced(client.clone())
        .get("web")
        .await
        .unwrap();
    assert_eq!(ep.subsets.unwrap()[0].addresses.as_ref().unwrap().len(), 2);
    let ns = Api::<Namespace>::all(client.clone())
        .list(&ListParams::default())
        .await
        .unwrap();
    assert!(ns
        .items
        .iter()
        .any(|n| n.metadata.name.as_deref() == Some("kube-system")));
    let sa = Api::<ServiceAccount>::default_namespaced(client.clone())
        .get("default")
        .await
        .unwrap();
    assert_eq!(sa.metadata.name.as_deref(), Some("default"));

    let events: Api<Event> = Api::default_namespaced(client.clone());
    let ev: Event = serde_json::from_value(json!({
        "metadata": {"name": "e1"}, "involvedObject": {"kind": "Pod", "name": "x", "namespace": "default"},
        "reason": "Chaos", "message": "injected", "type": "Warning"
    }))
    .unwrap();
    events.create(&PostParams::default(), &ev).await.unwrap();
    let found = events
        .list(&ListParams::default().fields("involvedObject.name=x,reason=Chaos"))
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
}

#[tokio::test]
async fn errors_scale_evict_logs_and_watch() {
    let c = FakeCluster::with_nodes(&["node-1", "node-2"]);
    c.set_controller_delay(Duration::from_millis(30));
    let (client, _dir) = client(&c).await;
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    let (code, reason, message) = api_error(pods.get("nope").await.unwrap_err());
    assert_eq!(
        (code, reason.as_str(), message.as_str()),
        (404, "NotFound", "pods \"nope\" not found")
    );
    assert!(pods.get_opt("nope").await.unwrap().is_none());

    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "c"}, "data": {"a": "b"}})).unwrap();
    cms.create(&PostParams::default(), &cm).await.unwrap();
    let (code, reason, _) = api_error(cms.create(&PostParams::default(), &cm).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (409, "AlreadyExists"));
    let mut stale = cms.get("c").await.unwrap();
    cms.patch(
        "c",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"a": "c"}})),
    )
    .await
    .unwrap();
    stale.data = None;
    let (code, reason, _) = api_error(
        cms.replace("c", &PostParams::default(), &stale)
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    let (code, _, _) = api_error(
        cms.patch(
            "c",
            &PatchParams::apply("chaos"),
            &Patch::Apply(json!({"data": {}})),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(code, 415);
    // A finished delete answers with a Status, except for pods & co.
    assert!(cms
        .delete("c", &DeleteParams::default())
        .await
        .unwrap()
        .is_right());
    c.forbid("list", "", "configmaps");
    let (code, reason, _) = api_error(cms.list(&ListParams::default()).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (403, "Forbidden"));

    c.apply(deployment("web", 2));
    wait_for("2 pods", || {
        pods_with(&c, "app", "web")
            .iter()
            .filter(|p| running(p))
            .count()
            == 2
    });
    let deployments: Api<Deployment> = Api::default_namespaced(client.clone());
    let scale = deployments.get_scale("web").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(2));
    assert_eq!(scale.status.unwrap().selector.as_deref(), Some("app=web"));
    let scaled = deployments
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    assert_eq!(scaled.spec.unwrap().replicas, Some(3));
    wait_for("3 pods", || {
        pods_with(&c, "app", "web")
            .iter()
            .filter(|p| running(p))
            .count()
            == 3
    });

    // Watch: initial ADDED events, then a DELETED for an evicted pod.
    let mut stream = pods
        .watch(&WatchParams::default().labels("app=web").timeout(10), "0")
        .await
        .unwrap()
        .boxed();
    let mut added = 0;
    while added < 3 {
        match stream.try_next().await.unwrap().expect("event") {
            WatchEvent::Added(_) => added += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    c.apply(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}}));
    let victim = pods_with(&c, "app", "web")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let status = pods.evict(&victim, &EvictParams::default()).await.unwrap();
    assert_eq!(status.code, 201);
    let deleted = loop {
        match stream.try_next().await.unwrap().expect("event") {
            WatchEvent::Deleted(p) => break p,
            WatchEvent::Modified(_) | WatchEvent::Added(_) | WatchEvent::Bookmark(_) => {}
            WatchEvent::Error(e) => panic!("{e:?}"),
        }
    };
    assert_eq!(deleted.metadata.name.as_deref(), Some(victim.as_str()));
    let next = pods_with(&c, "app", "web")[0]["metadata"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, reason, message) = api_error(
        pods.evict(&next, &EvictParams::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (code, reason.as_str(), message.as_str()),
        (
            429,
            "TooManyRequests",
            "Cannot evict pod as it would violate the pod's disruption budget."
        )
    );

    wait_for("replacement", || {
        pods_with(&c, "app", "web")
            .iter()
            .filter(|p| running(p))
            .count()
            == 3
    });
    c.apply(common::pod("doomed", json!({})));
    let doomed = pods
        .delete("doomed", &DeleteParams::default())
        .await
        .unwrap();
    assert!(doomed
        .left()
        .is_some_and(|p| p.metadata.deletion_timestamp.is_some()));
    c.set_pod_log("default", &next, None, "one\ntwo\nthree");
    let logs = pods
        .logs(
            &next,
            &LogParams {
                tail_lines: Some(2),
                ..LogParams::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(logs, "two\nthree\n");
}
