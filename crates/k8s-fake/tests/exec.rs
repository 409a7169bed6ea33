//! `pods/exec` over WebSocket, as kube-rs (the driver's client) speaks it:
//! the checks before the upgrade answer a `Status`, and after it the
//! command's stdout and stderr arrive on their channels and its end as a
//! `Status` on channel 3.

mod common;

use chaos_k8s_fake::{ExecOutput, FakeCluster};
use common::{fast_cluster, pod, running, wait_for};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::json;
use tokio::io::AsyncReadExt;

async fn pods(c: &FakeCluster) -> (Api<Pod>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    c.write_kubeconfig(&path, "fake", Some("default"));
    let kc = Kubeconfig::read_from(&path).unwrap();
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    let client = Client::try_from(config).unwrap();
    (Api::namespaced(client, "default"), dir)
}

fn running_pod(c: &FakeCluster, name: &str) {
    c.apply(pod(name, json!({"app": "x"})));
    wait_for("the pod to run", || {
        c.get("v1", "Pod", Some("default"), name)
            .is_some_and(|p| running(&p))
    });
}

/// Runs `command` in `main` of `pod`: (stdout, stderr, status).
async fn exec(
    api: &Api<Pod>,
    pod: &str,
    command: Vec<&str>,
) -> (
    String,
    String,
    k8s_openapi::apimachinery::pkg::apis::meta::v1::Status,
) {
    let params = AttachParams::default()
        .container("main")
        .stdin(false)
        .stdout(true)
        .stderr(true);
    let mut attached = api.exec(pod, command, &params).await.expect("upgraded");
    let mut stdout = attached.stdout().unwrap();
    let mut stderr = attached.stderr().unwrap();
    let status = attached.take_status().unwrap();
    let (mut out, mut err) = (String::new(), String::new());
    let (a, b) = tokio::join!(
        stdout.read_to_string(&mut out),
        stderr.read_to_string(&mut err)
    );
    a.unwrap();
    b.unwrap();
    let status = status.await.expect("a status on channel 3");
    attached.join().await.unwrap();
    (out, err, status)
}

#[tokio::test]
async fn a_registered_handler_decides_what_a_command_does() {
    let c = fast_cluster(&["node-1"]);
    running_pod(&c, "web");
    c.set_exec(|req| {
        if req.command == ["sh", "-c", "exit 3"] {
            return ExecOutput {
                stderr: "bye\n".into(),
                exit_code: 3,
                ..Default::default()
            };
        }
        ExecOutput {
            stdout: format!(
                "{}/{}/{}: {}\n",
                req.namespace,
                req.pod,
                req.container,
                req.command.join(" ")
            ),
            ..Default::default()
        }
    });
    let (api, _dir) = pods(&c).await;
    let (out, err, status) = exec(&api, "web", vec!["ls", "-la", "/tmp"]).await;
    assert_eq!(out, "default/web/main: ls -la /tmp\n");
    assert_eq!(err, "");
    assert_eq!(status.status.as_deref(), Some("Success"));

    let (out, err, status) = exec(&api, "web", vec!["sh", "-c", "exit 3"]).await;
    assert_eq!(out, "");
    assert_eq!(err, "bye\n");
    assert_eq!(status.status.as_deref(), Some("Failure"));
    assert_eq!(status.reason.as_deref(), Some("NonZeroExitCode"));
    let cause = &status.details.unwrap().causes.unwrap()[0];
    assert_eq!(cause.reason.as_deref(), Some("ExitCode"));
    assert_eq!(cause.message.as_deref(), Some("3"));

    let exec_requests: Vec<_> = c
        .requests()
        .into_iter()
        .filter(|r| r.subresource == "exec")
        .collect();
    assert_eq!(exec_requests.len(), 2);
    assert_eq!(exec_requests[0].status, 101);
    assert_eq!(exec_requests[0].verb, "get");
    assert!(exec_requests[0]
        .query
        .contains("command=ls&command=-la&command=%2Ftmp"));
}

#[tokio::test]
async fn without_a_handler_only_shell_builtins_run() {
    let c = fast_cluster(&["node-1"]);
    running_pod(&c, "web");
    let (api, _dir) = pods(&c).await;
    let (out, _, status) = exec(&api, "web", vec!["echo", "hello", "there"]).await;
    assert_eq!(out, "hello there\n");
    assert_eq!(status.status.as_deref(), Some("Success"));
    let (_, err, status) = exec(&api, "web", vec!["uptime"]).await;
    assert!(err.contains("executable file not found"), "{err}");
    assert_eq!(
        status.details.unwrap().causes.unwrap()[0]
            .message
            .as_deref(),
        Some("127")
    );
}

#[tokio::test]
async fn bad_requests_are_refused_before_the_upgrade() {
    let c = fast_cluster(&["node-1"]);
    running_pod(&c, "web");
    let (api, _dir) = pods(&c).await;
    let params = AttachParams::default().container("nope").stdin(false);
    assert!(api.exec("web", vec!["true"], &params).await.is_err());
    let params = AttachParams::default().container("main").stdin(false);
    assert!(api.exec("missing", vec!["true"], &params).await.is_err());
    let codes: Vec<u16> = c
        .requests()
        .iter()
        .filter(|r| r.subresource == "exec")
        .map(|r| r.status)
        .collect();
    assert_eq!(codes, vec![400, 404]);

    // Without an upgrade, the API server asks for one.
    let (status, body) = common::Api::new(&c)
        .get("/api/v1/namespaces/default/pods/web/exec?command=true&container=main")
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Upgrade request required");
}
