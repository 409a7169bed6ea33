//! The native `chaostracing.oltp` control, end to end: `chaos run` exports
//! the run as one trace to an OTLP receiver on loopback (HTTP/protobuf and
//! gRPC), the HTTP providers' requests carry a `traceparent` from a CLIENT
//! span under their activity's span, and a collector that is down changes
//! neither the outcome nor the time by more than a few seconds.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as SpanStatus;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::{json, Value};

/// The runtime the test servers run on, on a thread of its own.
fn runtime() -> &'static tokio::runtime::Handle {
    static HANDLE: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            tx.send(rt.handle().clone()).unwrap();
            rt.block_on(std::future::pending::<()>());
        });
        rx.recv().unwrap()
    })
}

/// A listener on loopback, for a server on the test runtime.
fn listener() -> (tokio::net::TcpListener, SocketAddr) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let addr = l.local_addr().unwrap();
    let _in = runtime().enter();
    (tokio::net::TcpListener::from_std(l).unwrap(), addr)
}

/// One export, with its `x-token` header.
type Export = (ExportTraceServiceRequest, Option<String>);

/// What a collector received.
#[derive(Clone, Default)]
struct Exports(Arc<Mutex<Vec<Export>>>);

impl Exports {
    fn spans(&self) -> Vec<(Span, String)> {
        let got = self.0.lock().unwrap();
        let mut spans = Vec::new();
        for (request, _) in got.iter() {
            for rs in &request.resource_spans {
                for ss in &rs.scope_spans {
                    let scope = ss
                        .scope
                        .as_ref()
                        .map(|s| s.name.clone())
                        .unwrap_or_default();
                    spans.extend(ss.spans.iter().map(|s| (s.clone(), scope.clone())));
                }
            }
        }
        spans
    }

    fn service_names(&self) -> Vec<String> {
        let got = self.0.lock().unwrap();
        got.iter()
            .flat_map(|(r, _)| &r.resource_spans)
            .filter_map(|rs| rs.resource.as_ref())
            .filter_map(|r| text(&r.attributes, "service.name"))
            .collect()
    }

    fn tokens(&self) -> Vec<Option<String>> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, t)| t.clone())
            .collect()
    }

    /// The spans, once the root has arrived (the run exports before it
    /// exits, so this is at most a formality).
    fn wait(&self) -> Vec<(Span, String)> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let spans = self.spans();
            if spans.iter().any(|(s, _)| s.name == "experiment") || Instant::now() > deadline {
                return spans;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// An OTLP/HTTP receiver: `POST /v1/traces` with a protobuf body.
fn http_collector() -> (String, Exports) {
    async fn traces(State(got): State<Exports>, headers: HeaderMap, body: Bytes) -> StatusCode {
        let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf body");
        let token = headers
            .get("x-token")
            .map(|v| v.to_str().unwrap().to_string());
        got.0.lock().unwrap().push((request, token));
        StatusCode::OK
    }
    let got = Exports::default();
    let app = axum::Router::new()
        .route("/v1/traces", axum::routing::post(traces))
        .with_state(got.clone());
    let (l, addr) = listener();
    runtime().spawn(async move { axum::serve(l, app).await });
    (format!("http://{addr}"), got)
}

struct Sink(Exports);

#[tonic::async_trait]
impl TraceService for Sink {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let token = request
            .metadata()
            .get("x-token")
            .map(|v| v.to_str().unwrap().to_string());
        self.0
             .0
            .lock()
            .unwrap()
            .push((request.into_inner(), token));
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

/// An OTLP/gRPC receiver.
fn grpc_collector() -> (String, Exports) {
    let got = Exports::default();
    let (l, addr) = listener();
    let service = TraceServiceServer::new(Sink(got.clone()));
    runtime().spawn(async move {
        let incoming = {
            let _in = runtime().enter();
            tonic::transport::server::TcpIncoming::from(l)
        };
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(incoming)
            .await
    });
    (format!("http://{addr}"), got)
}

/// What the system under test received: method, path and `traceparent`.
type Hits = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

/// A plain HTTP server recording each request's `traceparent`;
/// `/status/N` answers N, anything else 200.
fn target() -> (String, Hits) {
    async fn hit(
        State(hits): State<Hits>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
    ) -> (StatusCode, &'static str) {
        let traceparent = headers
            .get("traceparent")
            .map(|v| v.to_str().unwrap().to_string());
        let path = uri.path().to_string();
        hits.lock()
            .unwrap()
            .push((method.to_string(), path.clone(), traceparent));
        let status = path
            .strip_prefix("/status/")
            .and_then(|c| c.parse().ok())
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(StatusCode::OK);
        (status, "ok")
    }
    let hits = Hits::default();
    let app = axum::Router::new().fallback(hit).with_state(hits.clone());
    let (l, addr) = listener();
    runtime().spawn(async move { axum::serve(l, app).await });
    (format!("http://{addr}"), hits)
}

/// A port nothing listens on.
fn refusing() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

/// A collector that accepts connections and never answers.
fn hanging() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    url
}

fn control(arguments: Value) -> Value {
    json!([{"name": "opentelemetry", "provider": {
        "type": "python", "module": "chaostracing.oltp", "arguments": arguments}}])
}

/// The experiment: a hypothesis probe, a method with a POST, a background
/// probe, a 404 and a call that fails, and a rollback; all HTTP.
fn experiment(target: &str, arguments: Value) -> Value {
    json!({
        "title": "traced ${what}",
        "description": "d",
        "configuration": {"what": "service"},
        "controls": control(arguments),
        "steady-state-hypothesis": {"title": "service answers", "probes": [
            {"type": "probe", "name": "service-answers", "tolerance": 200,
             "provider": {"type": "http", "url": format!("{target}/health")}}]},
        "method": [
            {"type": "action", "name": "stress-service",
             "provider": {"type": "http", "method": "POST", "url": format!("{target}/stress")}},
            {"type": "probe", "name": "watch-service", "background": true,
             "provider": {"type": "http", "url": format!("{target}/watch")}},
            {"type": "probe", "name": "missing-page",
             "provider": {"type": "http", "url": format!("{target}/status/404")}},
            {"type": "action", "name": "broken-call",
             "provider": {"type": "http", "url": format!("{}/nothing", refusing()), "timeout": 2}}
        ],
        "rollbacks": [
            {"type": "action", "name": "restore-service",
             "provider": {"type": "http", "url": format!("{target}/restore")}}
        ]
    })
}

/// `chaos run` with no `OTEL_*` variable but those given.
fn run(dir: &Path, experiment: &Value, env: &[(&str, &str)], extra: &[&str]) -> Output {
    let path = common::write_experiment(dir, "experiment.json", experiment);
    let mut c: Command = common::chaos(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("OTEL_") {
            c.env_remove(name);
        }
    }
    c.envs(env.iter().copied());
    c.arg("run")
        .args(extra)
        .arg("--journal-path")
        .arg(dir.join("journal.json"))
        .arg(&path)
        .output()
        .unwrap()
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    match attribute(attributes, key)? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

fn flag(attributes: &[KeyValue], key: &str) -> Option<bool> {
    match attribute(attributes, key)? {
        any_value::Value::BoolValue(b) => Some(*b),
        _ => None,
    }
}

fn int(attributes: &[KeyValue], key: &str) -> Option<i64> {
    match attribute(attributes, key)? {
        any_value::Value::IntValue(i) => Some(*i),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn status(span: &Span) -> i32 {
    span.status.as_ref().map(|s| s.code).unwrap_or_default()
}

/// The spans of a run, by name and parent.
struct Tree(Vec<Span>);

impl Tree {
    fn named(&self, name: &str) -> Vec<&Span> {
        self.0.iter().filter(|s| s.name == name).collect()
    }

    fn one(&self, name: &str) -> &Span {
        let found = self.named(name);
        assert_eq!(
            found.len(),
            1,
            "one span named {name:?}: {:#?}",
            self.names()
        );
        found[0]
    }

    fn children(&self, parent: &Span) -> Vec<&Span> {
        self.0
            .iter()
            .filter(|s| s.parent_span_id == parent.span_id)
            .collect()
    }

    fn by_id(&self, id: &[u8]) -> Option<&Span> {
        self.0.iter().find(|s| s.span_id == id)
    }

    fn names(&self) -> Vec<&str> {
        self.0.iter().map(|s| s.name.as_str()).collect()
    }
}

/// Everything a traced run of [`experiment`] must show.
fn assert_traced_run(out: &Output, exports: &Exports, hits: &Hits, service: &str) {
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(out));
    let spans = exports.wait();
    assert!(
        spans.iter().all(|(_, scope)| scope == "chaostracing.oltp"),
        "every span has the reference's scope"
    );
    let services = exports.service_names();
    assert!(!services.is_empty() && services.iter().all(|s| s == service));
    let tree = Tree(spans.into_iter().map(|(s, _)| s).collect());

    // One trace, one root.
    let root = tree.one("experiment");
    assert!(root.parent_span_id.is_empty(), "the root has no parent");
    assert!(
        tree.0.iter().all(|s| s.trace_id == root.trace_id),
        "one trace id for the whole run"
    );
    assert_eq!(
        text(&root.attributes, "chaostoolkit.experiment.title").as_deref(),
        Some("traced service"),
        "the substituted title"
    );
    assert_eq!(
        text(&root.attributes, "chaostoolkit.experiment.status").as_deref(),
        Some("completed")
    );
    assert_eq!(
        flag(&root.attributes, "chaostoolkit.experiment.deviated"),
        Some(false)
    );
    assert!(text(&root.attributes, "chaostoolkit.platform.full").is_some());

    // The phases, under the root.
    let hypotheses = tree.named("hypothesis");
    assert_eq!(hypotheses.len(), 2, "{:#?}", tree.names());
    let mut phases: Vec<String> = hypotheses
        .iter()
        .map(|h| text(&h.attributes, "chaostoolkit.hypothesis.phase").unwrap())
        .collect();
    phases.sort();
    assert_eq!(phases, ["after", "before"]);
    for h in &hypotheses {
        assert_eq!(h.parent_span_id, root.span_id);
        assert_eq!(
            flag(&h.attributes, "chaostoolkit.hypothesis.met"),
            Some(true)
        );
        let probes = tree.children(h);
        assert_eq!(probes.len(), 1);
        assert_eq!(probes[0].name, "activity: service-answers");
    }
    let method = tree.one("method");
    let rollbacks = tree.one("rollbacks");
    assert_eq!(method.parent_span_id, root.span_id);
    assert_eq!(rollbacks.parent_span_id, root.span_id);
    for span in [root, method, rollbacks] {
        assert_eq!(span.kind, SpanKind::Internal as i32);
    }

    // The activities, under their phase.
    let mut in_method: Vec<&str> = tree
        .children(method)
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    in_method.sort();
    assert_eq!(
        in_method,
        [
            "activity: broken-call",
            "activity: missing-page",
            "activity: stress-service",
            "activity: watch-service"
        ]
    );
    assert_eq!(
        tree.children(rollbacks)
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["activity: restore-service"]
    );
    let stress = tree.one("activity: stress-service");
    assert_eq!(
        text(&stress.attributes, "chaostoolkit.activity.name").as_deref(),
        Some("stress-service")
    );
    assert_eq!(
        text(&stress.attributes, "chaostoolkit.activity.status").as_deref(),
        Some("succeeded")
    );
    assert_eq!(
        flag(&stress.attributes, "chaostoolkit.activity.background"),
        Some(false)
    );
    let output: Value =
        serde_json::from_str(&text(&stress.attributes, "chaostoolkit.activity.output").unwrap())
            .expect("the output as JSON");
    assert_eq!(output["status"], 200);
    assert_eq!(status(stress), SpanStatus::Unset as i32);
    assert_eq!(
        flag(
            &tree.one("activity: watch-service").attributes,
            "chaostoolkit.activity.background"
        ),
        Some(true)
    );

    // A failed activity: Error status, its exception as an event.
    let broken = tree.one("activity: broken-call");
    assert_eq!(
        text(&broken.attributes, "chaostoolkit.activity.status").as_deref(),
        Some("failed")
    );
    assert_eq!(status(broken), SpanStatus::Error as i32);
    let event = broken
        .events
        .iter()
        .find(|e| e.name == "exception")
        .expect("an exception event");
    let message = text(&event.attributes, "exception.message").unwrap();
    assert!(!message.is_empty());
    assert_eq!(
        text(&event.attributes, "exception.type").as_deref(),
        Some("chaoslib.exceptions.ActivityFailed")
    );
    assert!(matches!(
        attribute(&broken.attributes, "chaostoolkit.activity.error"),
        Some(any_value::Value::ArrayValue(_))
    ));

    // Each request: a CLIENT span under its activity's span.
    let clients: Vec<&Span> = tree
        .0
        .iter()
        .filter(|s| s.kind == SpanKind::Client as i32)
        .collect();
    for client in &clients {
        let activity = tree.by_id(&client.parent_span_id).expect("a parent");
        assert!(activity.name.starts_with("activity: "), "{}", activity.name);
        let method = text(&client.attributes, "http.request.method").unwrap();
        assert_eq!(client.name, method);
        assert!(text(&client.attributes, "url.full")
            .unwrap()
            .starts_with("http://127.0.0.1:"));
    }
    let client_of = |activity: &str| -> Vec<&Span> {
        let a = tree.one(activity);
        clients
            .iter()
            .copied()
            .filter(|c| c.parent_span_id == a.span_id)
            .collect()
    };
    let post = client_of("activity: stress-service");
    assert_eq!(post.len(), 1);
    assert_eq!(post[0].name, "POST");
    assert_eq!(
        int(&post[0].attributes, "http.response.status_code"),
        Some(200)
    );
    assert_eq!(status(post[0]), SpanStatus::Unset as i32);
    let missing = client_of("activity: missing-page");
    assert_eq!(
        int(&missing[0].attributes, "http.response.status_code"),
        Some(404)
    );
    assert_eq!(status(missing[0]), SpanStatus::Error as i32);
    let refused = client_of("activity: broken-call");
    assert!(!refused.is_empty());
    assert!(refused.iter().all(|c| status(c) == SpanStatus::Error as i32
        && int(&c.attributes, "http.response.status_code").is_none()));

    // The server saw each request's client span as its parent.
    let trace_id = hex(&root.trace_id);
    let hits = hits.lock().unwrap().clone();
    let paths: Vec<&str> = hits.iter().map(|(_, p, _)| p.as_str()).collect();
    for path in ["/health", "/stress", "/watch", "/status/404", "/restore"] {
        assert!(paths.contains(&path), "{path} in {paths:?}");
    }
    for (method, path, traceparent) in &hits {
        let traceparent = traceparent
            .as_deref()
            .unwrap_or_else(|| panic!("{method} {path} has a traceparent"));
        let parts: Vec<&str> = traceparent.split('-').collect();
        assert_eq!(parts.len(), 4, "{traceparent}");
        assert_eq!(parts[0], "00");
        assert_eq!(parts[1], trace_id, "the run's trace");
        assert_eq!(parts[3], "01", "sampled");
        let client = tree
            .0
            .iter()
            .find(|s| hex(&s.span_id) == parts[2])
            .unwrap_or_else(|| panic!("{traceparent} names an exported span"));
        assert_eq!(client.kind, SpanKind::Client as i32);
        assert_eq!(&client.name, method);
        assert!(text(&client.attributes, "url.full")
            .unwrap()
            .ends_with(path));
        let activity = tree.by_id(&client.parent_span_id).unwrap();
        let expected = match path.as_str() {
            "/health" => "activity: service-answers",
            "/stress" => "activity: stress-service",
            "/watch" => "activity: watch-service",
            "/status/404" => "activity: missing-page",
            "/restore" => "activity: restore-service",
            other => panic!("unexpected request {other}"),
        };
        assert_eq!(activity.name, expected);
    }
}

#[test]
fn a_run_is_one_trace_over_otlp_http_and_its_requests_carry_traceparent() {
    let dir = common::scratch();
    let (collector, exports) = http_collector();
    let (target, hits) = target();
    let exp = experiment(
        &target,
        json!({"trace_request": true, "trace_httpx": false}),
    );
    let out = run(
        dir.path(),
        &exp,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.as_str()),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-token=from-env"),
        ],
        &["--rollback-strategy", "always"],
    );
    assert_traced_run(&out, &exports, &hits, "chaostoolkit");
    assert!(exports
        .tokens()
        .iter()
        .all(|t| t.as_deref() == Some("from-env")));
}

#[test]
fn a_run_is_one_trace_over_otlp_grpc_when_the_protocol_says_so() {
    let dir = common::scratch();
    let (collector, exports) = grpc_collector();
    let (target, hits) = target();
    let exp = experiment(&target, json!({}));
    let out = run(
        dir.path(),
        &exp,
        &[
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.as_str()),
            ("OTEL_SERVICE_NAME", "checkout-chaos"),
        ],
        &["--rollback-strategy", "always"],
    );
    assert_traced_run(&out, &exports, &hits, "checkout-chaos");
}

#[test]
fn the_controls_arguments_win_over_the_environment() {
    let dir = common::scratch();
    let (collector, exports) = grpc_collector();
    let (target, hits) = target();
    let exp = experiment(
        &target,
        json!({"protocol": "grpc", "endpoint": collector, "headers": {"x-token": "from-arguments"}}),
    );
    let elsewhere = refusing();
    let out = run(
        dir.path(),
        &exp,
        &[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", elsewhere.as_str()),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-token=from-env"),
        ],
        &["--rollback-strategy", "always"],
    );
    assert_traced_run(&out, &exports, &hits, "chaostoolkit");
    let tokens = exports.tokens();
    assert!(!tokens.is_empty());
    assert!(tokens
        .iter()
        .all(|t| t.as_deref() == Some("from-arguments")));
}

#[test]
fn the_continuous_hypothesis_is_one_span_with_one_child_per_check() {
    let dir = common::scratch();
    let (collector, exports) = http_collector();
    let (target, _hits) = target();
    let exp = json!({
        "title": "continuous", "description": "d",
        "controls": control(json!({"endpoint": collector})),
        "steady-state-hypothesis": {"title": "service answers", "probes": [
            {"type": "probe", "name": "service-answers", "tolerance": 200,
             "provider": {"type": "http", "url": format!("{target}/health")}}]},
        "method": [{"type": "action", "name": "wait", "pauses": {"after": 1},
                    "provider": {"type": "http", "url": format!("{target}/wait")}}]
    });
    let out = run(
        dir.path(),
        &exp,
        &[],
        &[
            "--hypothesis-strategy",
            "continuously",
            "--hypothesis-frequency",
            "0.2",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let tree = Tree(exports.wait().into_iter().map(|(s, _)| s).collect());
    let root = tree.one("experiment");
    let continuous: Vec<&Span> = tree
        .named("hypothesis")
        .into_iter()
        .filter(|h| h.parent_span_id == root.span_id)
        .filter(|h| {
            text(&h.attributes, "chaostoolkit.hypothesis.phase").as_deref() == Some("continuous")
        })
        .collect();
    assert_eq!(continuous.len(), 1, "{:#?}", tree.names());
    let checks = tree.children(continuous[0]);
    assert!(!checks.is_empty());
    for (i, check) in checks.iter().enumerate() {
        assert_eq!(check.name, "hypothesis");
        assert!(int(&check.attributes, "chaostoolkit.hypothesis.iteration").is_some());
        assert_eq!(
            flag(&check.attributes, "chaostoolkit.hypothesis.met"),
            Some(true),
            "check {i}"
        );
        let probes = tree.children(check);
        assert_eq!(probes.len(), 1);
        assert_eq!(probes[0].name, "activity: service-answers");
    }
}

#[test]
fn a_control_from_the_settings_or_a_control_file_traces_the_run_too() {
    let dir = common::scratch();
    let (target, hits) = target();
    let mut plain = experiment(&target, json!({}));
    plain.as_object_mut().unwrap().remove("controls");
    let declaration = |collector: &str| {
        json!({"opentelemetry": {"provider": {
            "type": "python", "module": "chaostracing.oltp",
            "arguments": {"endpoint": collector}}}})
    };

    let (collector, exports) = http_collector();
    let settings = json!({"controls": declaration(&collector)});
    std::fs::write(dir.path().join("no-settings.yaml"), settings.to_string()).unwrap();
    let out = run(dir.path(), &plain, &[], &["--rollback-strategy", "always"]);
    assert_traced_run(&out, &exports, &hits, "chaostoolkit");
    std::fs::remove_file(dir.path().join("no-settings.yaml")).unwrap();

    hits.lock().unwrap().clear();
    let (collector, exports) = http_collector();
    let file = dir.path().join("controls.json");
    std::fs::write(&file, declaration(&collector).to_string()).unwrap();
    let out = run(
        dir.path(),
        &plain,
        &[],
        &[
            "--rollback-strategy",
            "always",
            "--control-file",
            file.to_str().unwrap(),
        ],
    );
    assert_traced_run(&out, &exports, &hits, "chaostoolkit");
}

#[test]
fn a_collector_that_is_down_costs_the_run_nothing_but_a_few_seconds() {
    let dir = common::scratch();
    let (target, _hits) = target();
    let mut plain = experiment(&target, json!({}));
    plain.as_object_mut().unwrap().remove("controls");
    let started = Instant::now();
    let out = run(dir.path(), &plain, &[], &[]);
    let baseline = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));

    let traced = experiment(&target, json!({}));
    let refused = refusing();
    let hanging = hanging();
    let cases: [(&str, Vec<(&str, &str)>); 2] = [
        (
            "refusing, over HTTP",
            vec![("OTEL_EXPORTER_OTLP_ENDPOINT", refused.as_str())],
        ),
        (
            "hanging, over gRPC",
            vec![
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", hanging.as_str()),
            ],
        ),
    ];
    for (what, env) in cases {
        let started = Instant::now();
        let out = run(dir.path(), &traced, &env, &[]);
        let elapsed = started.elapsed();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{what}: {}",
            common::stderr(&out)
        );
        let journal: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("journal.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(journal["status"], "completed", "{what}");
        assert!(
            elapsed < baseline + Duration::from_secs(7),
            "{what}: {elapsed:?} against {baseline:?} untraced"
        );
        let stderr = common::stderr(&out);
        assert!(
            !stderr.to_lowercase().contains("opentelemetry"),
            "{what}: export errors are for the debug log only: {stderr}"
        );
    }
}

#[test]
fn a_traced_run_validates_and_bad_extension_arguments_do_not() {
    let dir = common::scratch();
    let (target, _hits) = target();
    let good = experiment(&target, json!({"trace_request": true, "protocol": "grpc"}));
    let path = common::write_experiment(dir.path(), "good.json", &good);
    let out = common::chaos(dir.path())
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let bad = experiment(&target, json!({"protocol": "carrier-pigeon"}));
    let path = common::write_experiment(dir.path(), "bad.json", &bad);
    let out = common::chaos(dir.path())
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let all = format!(
        "{}{}",
        common::stderr(&out),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(all.contains("carrier-pigeon"), "{all}");
}
