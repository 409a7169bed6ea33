//! `pods/{name}/exec` over WebSocket, in the channel protocol the API
//! server speaks to kube-rs, client-go and the Python client
//! (`v5.channel.k8s.io`, else `v4.channel.k8s.io`): each binary frame is a
//! channel byte (1 stdout, 2 stderr, 3 a `Status` JSON ending the command)
//! and the data.
//!
//! No container runs here, so what a command does is decided by a handler
//! the test registers with `FakeCluster::set_exec`; without one, the
//! built-in `echo`, `true` and `false` behave as in a shell and any other
//! program is "not found" (exit code 127), as a container runtime answers
//! for a missing binary. The request is checked first the way the API
//! server checks it (pod, container, command), answering a `Status` before
//! any upgrade.

use std::sync::Arc;

use futures::SinkExt;
use hyper::header::HeaderMap;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::http::{get_one, Info, ResourceRequest, Target};
use crate::state::{Shared, State};
use crate::status::ApiError;
use crate::util::{name_of, str_at};

/// One command a client asked a container to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub command: Vec<String>,
}

/// What the command wrote and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

/// Decides what a command does; see `FakeCluster::set_exec`.
pub(crate) type ExecHandler = Arc<dyn Fn(&ExecRequest) -> ExecOutput + Send + Sync>;

/// The sub-protocols served, in the server's order of preference.
const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/// What the fake runs when no handler is registered.
pub(crate) fn builtin(req: &ExecRequest) -> ExecOutput {
    let (program, args) = req.command.split_first().expect("checked non-empty");
    match program.as_str() {
        "echo" => ExecOutput {
            stdout: format!("{}\n", args.join(" ")),
            ..Default::default()
        },
        "true" => ExecOutput::default(),
        "false" => ExecOutput {
            exit_code: 1,
            ..Default::default()
        },
        other => ExecOutput {
            stderr: format!("exec: \"{other}\": executable file not found in $PATH\n"),
            exit_code: 127,
            ..Default::default()
        },
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Whether a request asks for a WebSocket upgrade.
pub(crate) fn is_websocket(headers: &HeaderMap) -> bool {
    header(headers, "upgrade").eq_ignore_ascii_case("websocket")
}

/// The checks the API server and the kubelet make before streaming, and
/// the negotiated sub-protocol.
pub(crate) fn prepare(
    st: &State,
    info: &Info,
    req: &ResourceRequest,
    headers: &HeaderMap,
) -> Result<(ExecRequest, &'static str), ApiError> {
    let pod = get_one(st, &req.def, req.ns(), &req.name)?;
    let name = name_of(&pod).to_string();
    let containers: Vec<String> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect();
    let container = match info.q("container").filter(|c| !c.is_empty()) {
        Some(c) if containers.iter().any(|x| x == c) => c.to_string(),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )))
        }
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )))
        }
    };
    let command: Vec<String> = info
        .query
        .iter()
        .filter(|(k, _)| k == "command")
        .map(|(_, v)| v.clone())
        .collect();
    if command.is_empty() {
        return Err(ApiError::bad_request("you must specify at least 1 command"));
    }
    if str_at(&pod, &["status", "phase"]) != Some("Running") {
        return Err(ApiError::bad_request(format!(
            "unable to upgrade connection: container not found (\"{container}\")"
        )));
    }
    let offered = header(headers, "sec-websocket-protocol");
    let protocol = PROTOCOLS
        .into_iter()
        .find(|p| offered.split(',').any(|o| o.trim() == *p))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "the fake Kubernetes API server speaks only {} (the client offered '{offered}')",
                PROTOCOLS.join(" and ")
            ))
        })?;
    let exec = ExecRequest {
        namespace: req.ns().to_string(),
        pod: name,
        container,
        command,
    };
    Ok((exec, protocol))
}

/// Serves a WebSocket `GET pods/{name}/exec`: `None` for any other
/// request; else the 101 answer (the command then runs in a task of its
/// own once the connection is upgraded), or the `Status` refusing it.
pub(crate) fn upgrade(
    shared: &Shared,
    info: &Info,
    parts: &mut hyper::http::request::Parts,
) -> Option<Result<hyper::Response<crate::http::Body>, ApiError>> {
    let Target::Resource {
        group,
        version,
        namespace: Some(ns),
        resource,
        name,
        sub,
    } = &info.target
    else {
        return None;
    };
    if resource != "pods" || sub != "exec" || info.method != hyper::Method::GET {
        return None;
    }
    if !is_websocket(&parts.headers) {
        return None;
    }
    let st = shared.lock();
    let def = st.registry.find(group, version, resource)?.clone();
    let req = ResourceRequest {
        def,
        ns: Some(ns.clone()),
        name: name.clone(),
        sub: sub.clone(),
    };
    let prepared = prepare(&st, info, &req, &parts.headers);
    let handler = st.exec.clone();
    drop(st);
    Some(prepared.and_then(|(exec, protocol)| {
        let on_upgrade = parts
            .extensions
            .remove::<hyper::upgrade::OnUpgrade>()
            .ok_or_else(|| ApiError::internal("the connection cannot be upgraded"))?;
        tokio::spawn(stream(on_upgrade, exec, handler));
        Ok(switching(&parts.headers, protocol))
    }))
}

/// The `Status` sent on channel 3, worded as the kubelet words it.
fn status(req: &ExecRequest, exit_code: i32) -> Value {
    if exit_code == 0 {
        return json!({"metadata": {}, "status": "Success"});
    }
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!(
            "command terminated with non-zero exit code: error executing command [{}], exit code {exit_code}",
            req.command.join(" ")
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": exit_code.to_string()}]}
    })
}

/// The 101 answer that switches the connection to WebSocket.
pub(crate) fn switching(headers: &HeaderMap, protocol: &str) -> hyper::Response<crate::http::Body> {
    use http_body_util::BodyExt;
    let key = header(headers, "sec-websocket-key");
    let mut r = hyper::Response::new(
        http_body_util::Empty::<bytes::Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *r.status_mut() = hyper::StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert("connection", "Upgrade".parse().expect("header"));
    h.insert("upgrade", "websocket".parse().expect("header"));
    if let Ok(v) = derive_accept_key(key.as_bytes()).parse() {
        h.insert("sec-websocket-accept", v);
    }
    h.insert("sec-websocket-protocol", protocol.parse().expect("header"));
    r
}

/// Runs the command and streams its result once the upgrade completes:
/// stdout, stderr, the Status, then a close frame.
pub(crate) async fn stream(
    upgrade: hyper::upgrade::OnUpgrade,
    req: ExecRequest,
    handler: Option<ExecHandler>,
) {
    let Ok(upgraded) = upgrade.await else {
        return;
    };
    let io = hyper_util::rt::TokioIo::new(upgraded);
    let mut ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
    let output = match handler {
        Some(h) => h(&req),
        None => builtin(&req),
    };
    let frame = |channel: u8, data: &[u8]| {
        let mut v = Vec::with_capacity(data.len() + 1);
        v.push(channel);
        v.extend_from_slice(data);
        Message::binary(v)
    };
    let mut frames = vec![];
    if !output.stdout.is_empty() {
        frames.push(frame(1, output.stdout.as_bytes()));
    }
    if !output.stderr.is_empty() {
        frames.push(frame(2, output.stderr.as_bytes()));
    }
    let status = serde_json::to_vec(&status(&req, output.exit_code)).unwrap_or_default();
    frames.push(frame(3, &status));
    for f in frames {
        if ws.send(f).await.is_err() {
            return;
        }
    }
    let _ = ws.close(None).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(command: &[&str]) -> ExecRequest {
        ExecRequest {
            namespace: "default".into(),
            pod: "p".into(),
            container: "c".into(),
            command: command.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn builtins_behave_as_in_a_shell() {
        assert_eq!(builtin(&req(&["echo", "a", "b"])).stdout, "a b\n");
        assert_eq!(builtin(&req(&["true"])).exit_code, 0);
        assert_eq!(builtin(&req(&["false"])).exit_code, 1);
        let missing = builtin(&req(&["nope"]));
        assert_eq!(missing.exit_code, 127);
        assert!(missing.stderr.contains("executable file not found"));
    }

    #[test]
    fn a_failure_status_carries_the_exit_code_as_the_kubelet_does() {
        let s = status(&req(&["sh", "-c", "exit 3"]), 3);
        assert_eq!(s["status"], "Failure");
        assert_eq!(s["reason"], "NonZeroExitCode");
        assert_eq!(s["details"]["causes"][0]["message"], "3");
        assert_eq!(status(&req(&["true"]), 0)["status"], "Success");
    }
}
