//! OpenTelemetry tracing: `chaostracing.oltp` (chaostoolkit-opentracing
//! 0.18.1) natively.
//!
//! This module owns the run's trace: it builds the OTLP exporter when the
//! control is configured, turns the run's events into spans, gives the
//! HTTP driver a client span (and its `traceparent`) for each request of a
//! traced activity, and flushes the spans when the control is cleaned up.
//!
//! One trace per run. The root span `experiment` is opened when the
//! control is configured and closed at cleanup, once the run's status is
//! known; under it `hypothesis` (before, after; the continuous hypothesis
//! as one `hypothesis` span with one child per check), `method` and
//! `rollbacks`, and under the phase span each `activity: <name>`, keyed by
//! the activity's run id so that background activities and continuous
//! checks find their own span. Attribute names are the reference's
//! (`chaostoolkit.experiment.title`, `chaostoolkit.activity.output`, ...),
//! the scope is `chaostracing.oltp` and `service.name` comes from
//! `OTEL_SERVICE_NAME` (default `chaostoolkit`).
//!
//! Export is OTLP over HTTP/protobuf by default, as in the reference,
//! configured by the standard `OTEL_EXPORTER_OTLP_*` variables; failures
//! to export never touch the run (they are logged at debug level), and a
//! collector that is down delays the end of the run by at most
//! [`SHUTDOWN`].
//!
//! Where this differs from the reference:
//!
//! - gRPC: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`
//!   set to `grpc` export over gRPC (the reference ignores them and
//!   speaks HTTP only);
//! - arguments `endpoint` (the collector's base URL, as
//!   `OTEL_EXPORTER_OTLP_ENDPOINT`), `protocol` (`grpc` or
//!   `http/protobuf`) and `headers` (a mapping, or `k=v,k2=v2`) are ours;
//!   they win over the environment;
//! - `traceparent` is sent on every request of an HTTP provider, from a
//!   CLIENT span under the activity's span; the reference does so only
//!   with `trace_request: true`. `trace_request`, `trace_httpx`,
//!   `trace_botocore` and `trace_urllib3` are accepted and ignored;
//! - a failed activity's span has status Error and an `exception` event
//!   (the reference leaves every status unset and records the error only
//!   as the `chaostoolkit.activity.error` attribute, which is kept);
//! - the continuous hypothesis gets one child span per check (the
//!   reference's never appear with chaostoolkit-lib 1.44), and spans left
//!   open by an aborted step are closed when the run ends rather than
//!   lost;
//! - Rust's exporter reads `OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT` in
//!   milliseconds (Python: seconds); the `otel_vendor` configuration is
//!   not supported (its non-default branches are broken in the reference).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chaos_drivers::{issue, RequestSpan, RequestTracing};
use chaos_engine::controls::native::{NativeControl, RunHandle, Setup, SetupError};
use chaos_engine::events::{Event, Phase};
use chaos_experiment::ProviderIssue;
use chaos_pyvalue::{py_str, Map, Value};
use futures::future::BoxFuture;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer as _, TracerProvider as _};
use opentelemetry::{Array, Context, KeyValue, StringValue};
use opentelemetry_otlp::{SpanExporter, WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;

/// The module path experiments declare.
pub const MODULE: &str = "chaostracing.oltp";

/// The instrumentation scope of every span, as in the reference.
const SCOPE: &str = "chaostracing.oltp";

/// The longest the end of a run waits for the last spans to be exported.
pub const SHUTDOWN: Duration = Duration::from_secs(5);

/// The reference's arguments, accepted and ignored.
const IGNORED: [&str; 4] = [
    "trace_request",
    "trace_httpx",
    "trace_botocore",
    "trace_urllib3",
];

/// A tracing control for one declaration.
pub fn make(_provider: &Map<String, Value>) -> Arc<dyn NativeControl> {
    Arc::new(Tracing::default())
}

/// Checks our extension arguments (the reference takes any argument).
pub fn check(control: &Map<String, Value>) -> Vec<ProviderIssue> {
    let Some(Value::Object(arguments)) = control.get("provider").and_then(|p| p.get("arguments"))
    else {
        return Vec::new();
    };
    let mut issues = Vec::new();
    let mut push = |key: &str, message: String, hint: &str| {
        issues.push(issue(&["provider", "arguments", key], message, Some(hint)));
    };
    match arguments.get("endpoint") {
        None | Some(Value::Null) => {}
        Some(Value::String(url)) if !url.trim().is_empty() => {}
        Some(other) => push(
            "endpoint",
            format!("endpoint must be a URL, not {}", py_str(other)),
            "the collector's base URL, e.g. `http://localhost:4318` (HTTP) or `http://localhost:4317` (gRPC)",
        ),
    }
    match arguments.get("protocol") {
        None | Some(Value::Null) => {}
        // Substituted from the configuration when the run starts.
        Some(Value::String(p)) if parse_protocol(p).is_some() || p.contains("${") => {}
        Some(other) => push(
            "protocol",
            format!("unsupported OTLP protocol {}", py_str(other)),
            "`http/protobuf` (the default) or `grpc`",
        ),
    }
    match arguments.get("headers") {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(Value::Object(m)) if m.values().all(|v| !v.is_object() && !v.is_array()) => {}
        Some(_) => push(
            "headers",
            "headers must map header names to values".into(),
            "a mapping such as `{\"authorization\": \"Bearer ...\"}`, or `k=v,k2=v2`",
        ),
    }
    issues
}

/// The control: the run's trace, once configured.
#[derive(Default)]
struct Tracing {
    trace: Mutex<Option<Trace>>,
}

/// The phase spans that can be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    Before,
    After,
    /// The continuous hypothesis as a whole.
    Continuous,
    /// Its current check.
    Check,
    Method,
    Rollbacks,
}

/// The spans of one run.
struct Trace {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    run: RunHandle,
    root: Context,
    phases: HashMap<Slot, Context>,
    activities: HashMap<u64, Context>,
    checks: i64,
}

/// How spans leave the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    HttpProtobuf,
    Grpc,
}

fn parse_protocol(value: &str) -> Option<Protocol> {
    match value.trim().to_ascii_lowercase().as_str() {
        "grpc" => Some(Protocol::Grpc),
        "http/protobuf" | "http" => Some(Protocol::HttpProtobuf),
        _ => None,
    }
}

/// Where and how to export, from the arguments then the environment.
struct Options {
    protocol: Protocol,
    endpoint: Option<String>,
    headers: Vec<(String, String)>,
    warnings: Vec<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Options {
    fn new(arguments: &Map<String, Value>) -> Options {
        let mut warnings = Vec::new();
        let text = |key: &str| match arguments.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(py_str(v)).filter(|s| !s.trim().is_empty()),
        };
        let chosen = text("protocol")
            .map(|p| ("the `protocol` argument", p))
            .or_else(|| {
                env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                    .map(|p| ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", p))
            })
            .or_else(|| {
                env("OTEL_EXPORTER_OTLP_PROTOCOL").map(|p| ("OTEL_EXPORTER_OTLP_PROTOCOL", p))
            });
        let protocol = match chosen {
            None => Protocol::HttpProtobuf,
            Some((from, p)) => parse_protocol(&p).unwrap_or_else(|| {
                warnings.push(format!(
                    "OTLP protocol '{p}' ({from}) is not supported; spans are sent as http/protobuf"
                ));
                Protocol::HttpProtobuf
            }),
        };
        let endpoint = text("endpoint").map(|e| match protocol {
            Protocol::Grpc => e,
            Protocol::HttpProtobuf if e.trim_end_matches('/').ends_with("/v1/traces") => e,
            Protocol::HttpProtobuf => format!("{}/v1/traces", e.trim_end_matches('/')),
        });
        let headers = match arguments.get("headers") {
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), py_str(v))).collect(),
            Some(Value::String(s)) => s
                .split(',')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                .collect(),
            _ => Vec::new(),
        };
        Options {
            protocol,
            endpoint,
            headers,
            warnings,
        }
    }
}

/// OTLP over HTTP through the project's reqwest 0.12 client. The batch
/// processor exports from its own thread, where there is no Tokio reactor,
/// so each request runs on the run's runtime and is awaited from there.
#[derive(Debug, Clone)]
struct OtlpHttp {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
    /// The `headers` argument: it wins over the environment's.
    headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OtlpHttp {
    async fn send_bytes(
        &self,
        request: opentelemetry_http::Request<opentelemetry_http::Bytes>,
    ) -> Result<
        opentelemetry_http::Response<opentelemetry_http::Bytes>,
        opentelemetry_http::HttpError,
    > {
        let client = self.client.clone();
        let headers = self.headers.clone();
        let sent = self.runtime.spawn(async move {
            let mut request = reqwest::Request::try_from(request.map(reqwest::Body::from))?;
            for (name, value) in headers {
                request.headers_mut().insert(name, value);
            }
            let response = client.execute(request).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let mut out = opentelemetry_http::Response::new(response.bytes().await?);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok::<_, opentelemetry_http::HttpError>(out)
        });
        sent.await?
    }
}

/// An exporter whose failures go to the run's debug log: they never
/// reach the console or change the run.
struct Logged<E> {
    inner: E,
    run: RunHandle,
}

impl<E: std::fmt::Debug> std::fmt::Debug for Logged<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl<E: opentelemetry_sdk::trace::SpanExporter> opentelemetry_sdk::trace::SpanExporter
    for Logged<E>
{
    async fn export(
        &self,
        batch: Vec<opentelemetry_sdk::trace::SpanData>,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        let count = batch.len();
        let result = self.inner.export(batch).await;
        if let Err(e) = &result {
            self.run
                .debug(format!("OpenTelemetry: {count} spans not exported: {e}"));
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> opentelemetry_sdk::error::OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource)
    }
}

/// The exporter's time limit per request, as the exporter reads it.
fn export_timeout() -> Duration {
    [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ]
    .iter()
    .find_map(|name| env(name).and_then(|v| v.trim().parse::<u64>().ok()))
    .map(Duration::from_millis)
    .unwrap_or(Duration::from_secs(10))
}

/// Builds the provider; call inside the run's runtime (the gRPC channel
/// and the HTTP client's requests live on it).
fn provider(options: &Options, run: &RunHandle) -> Result<SdkTracerProvider, String> {
    let exporter = match options.protocol {
        Protocol::Grpc => {
            let mut metadata = Vec::new();
            for (name, value) in &options.headers {
                let key =
                    tonic::metadata::MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes())
                        .map_err(|_| format!("invalid header name '{name}'"))?;
                let value = tonic::metadata::MetadataValue::try_from(value.as_str())
                    .map_err(|_| format!("invalid value for header '{name}'"))?;
                metadata.push((key, value));
            }
            let interceptor = move |mut request: tonic::Request<()>| {
                for (key, value) in &metadata {
                    request.metadata_mut().insert(key.clone(), value.clone());
                }
                Ok::<_, tonic::Status>(request)
            };
            let mut builder = SpanExporter::builder()
                .with_tonic()
                .with_interceptor(interceptor);
            let endpoint = options
                .endpoint
                .clone()
                .or_else(|| env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
                .or_else(|| env("OTEL_EXPORTER_OTLP_ENDPOINT"));
            if endpoint
                .as_deref()
                .is_some_and(|e| !e.starts_with("http://"))
            {
                builder = builder.with_tls_config(
                    opentelemetry_otlp::tonic_types::transport::ClientTlsConfig::new()
                        .with_enabled_roots(),
                );
            }
            if let Some(endpoint) = &options.endpoint {
                builder = builder.with_endpoint(endpoint.clone());
            }
            builder.build().map_err(|e| e.to_string())?
        }
        Protocol::HttpProtobuf => {
            let mut headers = Vec::new();
            for (name, value) in &options.headers {
                let n = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| format!("invalid header name '{name}'"))?;
                let v = reqwest::header::HeaderValue::from_str(value)
                    .map_err(|_| format!("invalid value for header '{name}'"))?;
                headers.push((n, v));
            }
            let client = reqwest::Client::builder()
                .timeout(export_timeout())
                .build()
                .map_err(|e| e.to_string())?;
            let mut builder = SpanExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_http_client(OtlpHttp {
                    client,
                    runtime: tokio::runtime::Handle::current(),
                    headers,
                });
            if let Some(endpoint) = &options.endpoint {
                builder = builder.with_endpoint(endpoint.clone());
            }
            builder.build().map_err(|e| e.to_string())?
        }
    };
    let service = env("OTEL_SERVICE_NAME").unwrap_or_else(|| "chaostoolkit".into());
    Ok(SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name(service).build())
        .with_batch_exporter(Logged {
            inner: exporter,
            run: run.clone(),
        })
        .build())
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Before => "before",
        Phase::After => "after",
        Phase::During => "continuous",
        Phase::Method => "method",
        Phase::Rollbacks => "rollbacks",
    }
}

/// The exception lines of a record as the type, the message and the
/// whole text.
fn exception(lines: &[String]) -> (Option<String>, String, String) {
    let text = lines.concat();
    let last = lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    match last.split_once(": ") {
        Some((kind, message)) if !kind.is_empty() && !kind.contains(char::is_whitespace) => {
            (Some(kind.to_string()), message.to_string(), text)
        }
        _ => (None, last.to_string(), text),
    }
}

impl Trace {
    fn span(&self, name: String, parent: &Context, attributes: Vec<KeyValue>) -> Context {
        let span = self
            .tracer
            .span_builder(name)
            .with_kind(SpanKind::Internal)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, parent);
        parent.with_span(span)
    }

    fn open(&mut self, slot: Slot, parent: Option<Slot>, attributes: Vec<KeyValue>) {
        self.close(slot);
        let parent = parent
            .and_then(|p| self.phases.get(&p))
            .unwrap_or(&self.root)
            .clone();
        let name = match slot {
            Slot::Method => "method",
            Slot::Rollbacks => "rollbacks",
            _ => "hypothesis",
        };
        let cx = self.span(name.into(), &parent, attributes);
        self.phases.insert(slot, cx);
    }

    fn close(&mut self, slot: Slot) {
        if slot == Slot::Continuous {
            self.close(Slot::Check);
        }
        if let Some(cx) = self.phases.remove(&slot) {
            cx.span().end();
        }
    }

    /// Ends what is still open below the root (steps that were aborted).
    fn close_all(&mut self) {
        for (_, cx) in self.activities.drain() {
            cx.span().end();
        }
        for slot in [
            Slot::Check,
            Slot::Continuous,
            Slot::Before,
            Slot::Method,
            Slot::After,
            Slot::Rollbacks,
        ] {
            self.close(slot);
        }
    }

    fn parent_of(&self, phase: Phase) -> &Context {
        let slots: &[Slot] = match phase {
            Phase::Before => &[Slot::Before],
            Phase::After => &[Slot::After],
            Phase::During => &[Slot::Check, Slot::Continuous],
            Phase::Method => &[Slot::Method],
            Phase::Rollbacks => &[Slot::Rollbacks],
        };
        slots
            .iter()
            .find_map(|s| self.phases.get(s))
            .unwrap_or(&self.root)
    }

    fn observe(&mut self, event: &Event<'_>) {
        match event {
            Event::HypothesisStarted { phase, .. } => match phase {
                Phase::During => {
                    if !self.phases.contains_key(&Slot::Continuous) {
                        self.open(
                            Slot::Continuous,
                            None,
                            vec![KeyValue::new("chaostoolkit.hypothesis.phase", "continuous")],
                        );
                    }
                    self.checks += 1;
                    let attributes = vec![
                        KeyValue::new("chaostoolkit.hypothesis.phase", "continuous"),
                        KeyValue::new("chaostoolkit.hypothesis.iteration", self.checks),
                    ];
                    self.open(Slot::Check, Some(Slot::Continuous), attributes);
                }
                Phase::Before | Phase::After => {
                    let slot = if *phase == Phase::Before {
                        Slot::Before
                    } else {
                        Slot::After
                    };
                    let attributes = vec![KeyValue::new(
                        "chaostoolkit.hypothesis.phase",
                        phase_name(*phase),
                    )];
                    self.open(slot, None, attributes);
                }
                _ => {}
            },
            Event::HypothesisFinished { phase, met, .. } => {
                let slot = match phase {
                    Phase::Before => Slot::Before,
                    Phase::After => Slot::After,
                    Phase::During => Slot::Check,
                    _ => return,
                };
                if let Some(cx) = self.phases.get(&slot) {
                    cx.span()
                        .set_attribute(KeyValue::new("chaostoolkit.hypothesis.met", *met));
                }
                self.close(slot);
            }
            Event::MethodStarted { .. } => self.open(Slot::Method, None, Vec::new()),
            Event::MethodFinished => self.close(Slot::Method),
            Event::RollbacksStarted { .. } => {
                self.close(Slot::Continuous);
                self.open(Slot::Rollbacks, None, Vec::new());
            }
            Event::RollbacksFinished => self.close(Slot::Rollbacks),
            Event::RollbacksSkipped { .. } => self.close(Slot::Continuous),
            Event::ActivityStarted {
                id,
                phase,
                name,
                background,
                ..
            } => {
                let parent = self.parent_of(*phase).clone();
                let attributes = vec![
                    KeyValue::new("chaostoolkit.activity.name", name.to_string()),
                    KeyValue::new("chaostoolkit.activity.background", *background),
                ];
                let cx = self.span(format!("activity: {name}"), &parent, attributes);
                if let Some(stale) = self.activities.insert(*id, cx) {
                    stale.span().end();
                }
            }
            Event::ActivityFinished { id, record, .. } => {
                if let Some(cx) = self.activities.remove(id) {
                    finish_activity(&cx, record);
                }
            }
            Event::Interrupted { .. } => self
                .root
                .span()
                .set_attribute(KeyValue::new("chaostoolkit.experiment.interrupted", true)),
            Event::RunFinished {
                status, deviated, ..
            } => {
                self.close_all();
                let root = self.root.span();
                root.set_attribute(KeyValue::new(
                    "chaostoolkit.experiment.status",
                    status.as_str().to_string(),
                ));
                root.set_attribute(KeyValue::new("chaostoolkit.experiment.deviated", *deviated));
            }
            _ => {}
        }
    }
}

/// Sets what the run record says on an activity's span, and ends it.
fn finish_activity(cx: &Context, record: &Map<String, Value>) {
    let span = cx.span();
    let output = record.get("output").unwrap_or(&Value::Null);
    span.set_attribute(KeyValue::new(
        "chaostoolkit.activity.output",
        chaos_pyvalue::json_dumps(output),
    ));
    let status = record.get("status").and_then(Value::as_str);
    if let Some(status) = status {
        span.set_attribute(KeyValue::new(
            "chaostoolkit.activity.status",
            status.to_string(),
        ));
    }
    let lines: Vec<String> = match record.get("exception") {
        Some(Value::Array(lines)) => lines.iter().map(py_str).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![py_str(other)],
    };
    if !lines.is_empty() {
        span.set_attribute(KeyValue::new(
            "chaostoolkit.activity.error",
            opentelemetry::Value::Array(Array::String(
                lines.iter().cloned().map(StringValue::from).collect(),
            )),
        ));
    }
    if status == Some("failed") || !lines.is_empty() {
        let (kind, message, text) = exception(&lines);
        let message = if message.is_empty() {
            "activity failed".to_string()
        } else {
            message
        };
        let mut attributes = vec![KeyValue::new("exception.message", message.clone())];
        if let Some(kind) = kind {
            attributes.push(KeyValue::new("exception.type", kind));
        }
        if !text.is_empty() {
            attributes.push(KeyValue::new("exception.stacktrace", text));
        }
        span.add_event("exception", attributes);
        span.set_status(Status::error(message));
    }
    span.end();
}

/// The requests of one activity, each a CLIENT span under its span.
struct Requests {
    tracer: SdkTracer,
    parent: Context,
}

/// `url.full` without credentials, as the conventions ask.
fn redacted(url: &str) -> (String, Option<String>, Option<u16>) {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            if !u.username().is_empty() || u.password().is_some() {
                let _ = u.set_username("REDACTED");
                let _ = u.set_password(Some("REDACTED"));
            }
            let host = u.host_str().map(str::to_string);
            let port = u.port_or_known_default();
            (u.to_string(), host, port)
        }
        Err(_) => (url.to_string(), None, None),
    }
}

impl RequestTracing for Requests {
    fn start(&self, method: &str, url: &str) -> Box<dyn RequestSpan> {
        let method = method.to_ascii_uppercase();
        let (url, host, port) = redacted(url);
        let mut attributes = vec![
            KeyValue::new("http.request.method", method.clone()),
            KeyValue::new("url.full", url),
        ];
        if let Some(host) = host {
            attributes.push(KeyValue::new("server.address", host));
        }
        if let Some(port) = port {
            attributes.push(KeyValue::new("server.port", i64::from(port)));
        }
        let span = self
            .tracer
            .span_builder(method)
            .with_kind(SpanKind::Client)
            .with_attributes(attributes)
            .start_with_context(&self.tracer, &self.parent);
        Box::new(Request {
            cx: self.parent.with_span(span),
        })
    }
}

/// One request's span.
struct Request {
    cx: Context,
}

impl RequestSpan for Request {
    fn headers(&self) -> Vec<(String, String)> {
        let mut headers = HashMap::new();
        TraceContextPropagator::new().inject_context(&self.cx, &mut headers);
        let mut headers: Vec<(String, String)> = headers.into_iter().collect();
        headers.sort();
        headers
    }

    fn end(self: Box<Self>, status: Option<u16>, error: Option<&str>) {
        let span = self.cx.span();
        if let Some(code) = status {
            span.set_attribute(KeyValue::new("http.response.status_code", i64::from(code)));
            if code >= 400 {
                span.set_attribute(KeyValue::new("error.type", code.to_string()));
                span.set_status(Status::error(format!("HTTP {code}")));
            }
        }
        if let Some(error) = error {
            span.set_attribute(KeyValue::new("error.type", "transport"));
            span.add_event(
                "exception",
                vec![KeyValue::new("exception.message", error.to_string())],
            );
            span.set_status(Status::error(error.to_string()));
        }
        span.end();
    }
}

impl Tracing {
    fn trace(&self) -> MutexGuard<'_, Option<Trace>> {
        self.trace.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl NativeControl for Tracing {
    fn configure<'a>(&'a self, setup: Setup<'a>) -> BoxFuture<'a, Result<(), SetupError>> {
        Box::pin(async move {
            let mut maps = vec![setup.configuration];
            maps.extend(setup.secrets.values().filter_map(Value::as_object));
            let lookup = chaos_pyvalue::Chain(maps);
            let arguments = setup
                .arguments
                .iter()
                .filter(|(k, _)| !IGNORED.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), chaos_pyvalue::substitute(v, &lookup)))
                .collect();
            let options = Options::new(&arguments);
            for warning in &options.warnings {
                setup.run.warn(warning.clone());
            }
            let provider = provider(&options, &setup.run).map_err(|e| {
                SetupError::Logged(format!("the OpenTelemetry exporter cannot be built: {e}"))
            })?;
            let tracer = provider.tracer(SCOPE);
            let title = setup
                .experiment
                .get("title")
                .map(|t| py_str(&chaos_pyvalue::substitute(t, &lookup)))
                .unwrap_or_default();
            let root = tracer
                .span_builder("experiment")
                .with_kind(SpanKind::Internal)
                .with_attributes(vec![
                    KeyValue::new("chaostoolkit.experiment.title", title),
                    KeyValue::new(
                        "chaostoolkit.platform.full",
                        chaos_engine::journal::platform(),
                    ),
                ])
                .start_with_context(&tracer, &Context::new());
            let root = Context::new().with_span(root);
            setup
                .run
                .debug("Chaos Toolkit Open Telemetry tracer created".into());
            let previous = self.trace().replace(Trace {
                provider,
                tracer,
                run: setup.run,
                root,
                phases: HashMap::new(),
                activities: HashMap::new(),
                checks: 0,
            });
            if let Some(previous) = previous {
                shutdown(previous).await;
            }
            Ok(())
        })
    }

    fn observe(&self, event: &Event<'_>) {
        if let Some(trace) = self.trace().as_mut() {
            trace.observe(event);
        }
    }

    fn request_tracing(&self, activity: u64) -> Option<Arc<dyn RequestTracing>> {
        let guard = self.trace();
        let trace = guard.as_ref()?;
        let parent = trace.activities.get(&activity)?.clone();
        Some(Arc::new(Requests {
            tracer: trace.tracer.clone(),
            parent,
        }))
    }

    fn cleanup(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let trace = self.trace().take();
            if let Some(trace) = trace {
                shutdown(trace).await;
            }
        })
    }
}

/// Ends the trace and exports what is left, waiting at most [`SHUTDOWN`].
/// The export needs the run's runtime (its thread drives the requests), so
/// the wait happens on a blocking thread.
async fn shutdown(mut trace: Trace) {
    trace.close_all();
    trace.root.span().end();
    let run = trace.run.clone();
    let provider = trace.provider.clone();
    drop(trace);
    let result =
        tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(SHUTDOWN)).await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => run.debug(format!("OpenTelemetry spans not all exported: {e}")),
        Err(e) => run.debug(format!("OpenTelemetry shutdown failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: serde_json::Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_last_exception_line_gives_type_and_message() {
        let lines = vec![
            "ConnectionError: refused\n".to_string(),
            "\nDuring handling of the above exception, another exception occurred:\n\n".into(),
            "chaoslib.exceptions.ActivityFailed: it broke: badly\n".into(),
        ];
        let (kind, message, text) = exception(&lines);
        assert_eq!(kind.as_deref(), Some("chaoslib.exceptions.ActivityFailed"));
        assert_eq!(message, "it broke: badly");
        assert!(text.starts_with("ConnectionError"));
        let (kind, message, _) = exception(&["just words here".to_string()]);
        assert_eq!(kind, None);
        assert_eq!(message, "just words here");
    }

    #[test]
    fn arguments_give_protocol_endpoint_and_headers() {
        let o = Options::new(&args(serde_json::json!({
            "protocol": "grpc", "endpoint": "http://collector:4317",
            "headers": {"x-token": "abc"}
        })));
        assert_eq!(o.protocol, Protocol::Grpc);
        assert_eq!(o.endpoint.as_deref(), Some("http://collector:4317"));
        assert_eq!(o.headers, [("x-token".to_string(), "abc".to_string())]);
        let o = Options::new(&args(serde_json::json!({
            "protocol": "http/protobuf", "endpoint": "http://collector:4318/",
            "headers": "a=1, b = 2"
        })));
        assert_eq!(o.protocol, Protocol::HttpProtobuf);
        assert_eq!(
            o.endpoint.as_deref(),
            Some("http://collector:4318/v1/traces")
        );
        assert_eq!(o.headers.len(), 2);
        let o = Options::new(&args(serde_json::json!({
            "protocol": "http/protobuf", "endpoint": "http://c:4318/v1/traces"
        })));
        assert_eq!(o.endpoint.as_deref(), Some("http://c:4318/v1/traces"));
    }

    #[test]
    fn extension_arguments_are_checked_and_the_references_are_not() {
        let control = |a: serde_json::Value| {
            args(serde_json::json!({"name": "otel", "provider": {
                "type": "python", "module": MODULE, "arguments": a}}))
        };
        assert!(check(&control(serde_json::json!({
            "trace_request": true, "trace_requests": true, "anything": 1,
            "protocol": "grpc", "endpoint": "http://x:4317", "headers": {"a": "b"}
        })))
        .is_empty());
        assert_eq!(
            check(&control(serde_json::json!({
                "protocol": "carrier-pigeon", "endpoint": 3, "headers": [1]
            })))
            .len(),
            3
        );
    }

    #[test]
    fn urls_lose_their_credentials() {
        let (url, host, port) = redacted("http://user:secret@example.com/x?q=1");
        assert_eq!(url, "http://REDACTED:REDACTED@example.com/x?q=1");
        assert_eq!(host.as_deref(), Some("example.com"));
        assert_eq!(port, Some(80));
    }
}
