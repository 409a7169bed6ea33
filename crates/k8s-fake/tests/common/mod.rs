//! Shared helpers for the fake's integration tests: a small JSON client
//! over real HTTP, bounded polling, and sample objects.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use chaos_k8s_fake::FakeCluster;
use serde_json::{json, Value};

/// Polls `f` every 20 ms until it holds, failing the test after 10 s.
pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for: {what}");
}

pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
}

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl Api {
    pub fn new(cluster: &FakeCluster) -> Api {
        Api {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            base: cluster.url(),
            token: None,
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<String>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if let Some(t) = &self.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = resp.text().await.expect("body");
        Reply {
            status,
            content_type,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.send("GET", path, None, None).await;
        (r.status, r.json())
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .send(
                "POST",
                path,
                Some("application/json"),
                Some(body.to_string()),
            )
            .await;
        (r.status, r.json())
    }

    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .send(
                "PUT",
                path,
                Some("application/json"),
                Some(body.to_string()),
            )
            .await;
        (r.status, r.json())
    }

    pub async fn patch(&self, path: &str, content_type: &str, body: &Value) -> (u16, Value) {
        let r = self
            .send("PATCH", path, Some(content_type), Some(body.to_string()))
            .await;
        (r.status, r.json())
    }

    pub async fn delete(&self, path: &str, body: Option<&Value>) -> (u16, Value) {
        let r = self
            .send(
                "DELETE",
                path,
                body.map(|_| "application/json"),
                body.map(Value::to_string),
            )
            .await;
        (r.status, r.json())
    }
}

pub fn deployment(name: &str, replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name, "tier": "web"}},
                "spec": {"containers": [{"name": "main", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": 8080}]}]}
            }
        }
    })
}

pub fn pod(name: &str, labels: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]}
    })
}

pub fn pods_with(cluster: &FakeCluster, label: &str, value: &str) -> Vec<Value> {
    cluster
        .list("v1", "Pod", Some("default"))
        .into_iter()
        .filter(|p| p["metadata"]["labels"][label] == value)
        .collect()
}

pub fn running(p: &Value) -> bool {
    p["status"]["phase"] == "Running"
        && p["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

pub fn name(v: &Value) -> String {
    v["metadata"]["name"].as_str().unwrap_or("").to_string()
}

/// A cluster with fast controllers, for tests that do not measure timing.
pub fn fast_cluster(nodes: &[&str]) -> FakeCluster {
    let c = FakeCluster::with_nodes(nodes);
    c.set_controller_delay(Duration::from_millis(30));
    c
}
