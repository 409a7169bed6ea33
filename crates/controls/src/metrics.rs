//! Run metrics for a Prometheus Pushgateway: `chaosprometheus.metrics`
//! (chaostoolkit-prometheus 0.6.0) natively.
//!
//! The control owns a private set of metrics for its run, renders them in
//! the text exposition format 0.0.4 and PUTs them (replacing the group) to
//! `<pushgateway_url>/metrics/job/<job>/<key>/<value>...` twice: in
//! `before_experiment` (`chaostoolkit_inprogress_experiment` = 1) and in
//! `after_experiment`, from the journal, with
//!
//! - `chaostoolkit_experiment_status{chaostoolkit_experiment_status=...}`:
//!   1 for the journal's `status`, 0 for the other three of `completed`,
//!   `failed`, `aborted`, `interrupted`;
//! - `chaostoolkit_experiment_duration` and the histogram
//!   `chaostoolkit_experiment_duration_dist` (client_python's default
//!   buckets): the journal's `duration`;
//! - `chaostoolkit_deviated_experiment_total` = 1, only when the run
//!   deviated (no sample otherwise, as in the reference);
//! - `chaostoolkit_inprogress_experiment` back to 0.
//!
//! Every series carries `source="chaostoolkit"`, `chaostoolkit_lib_version`
//! (the chaostoolkit-lib version our journals declare),
//! `chaostoolkit_run_trace_id` and `chaostoolkit_experiment_ref`.
//! Arguments, all optional: `pushgateway_url` (default
//! `http://localhost:9091`; `http://` is prepended when the scheme is
//! neither `http` nor `https`), `job` (default `chaostoolkit`),
//! `grouping_key` (default `{"chaostoolkit_experiment_ref": <ref>}`),
//! `trace_id` (default 32 random hex digits) and `experiment_ref` (default
//! the experiment's hash). Grouping values are escaped as client_python
//! does: `<key>@base64/=` when empty, `<key>@base64/<url-safe base64>`
//! when they hold a `/` (or a space, as newer client_python versions do,
//! since the Pushgateway keeps `quote_plus`'s `+` as it is), else
//! `quote_plus`.
//!
//! Where this differs from the reference:
//!
//! - **our addition**: the gauge `chaostoolkit_experiment_activities`,
//!   with the extra label `chaostoolkit_activity_status`, counts the
//!   journal's activity records (steady-state probes before, during and
//!   after, the method's `run` and the `rollbacks`) by status:
//!   `succeeded`, `failed`, and `interrupted` for a record with no status
//!   (the activity the run stopped in), always present, and any other
//!   status seen;
//! - the `_created` series of the counter and the histogram are not sent
//!   (client_python sends them unless `PROMETHEUS_DISABLE_CREATED_SERIES`);
//! - the experiment's hash is, as the reference's, BLAKE2b with a 12-byte
//!   digest over `json.dumps(experiment, sort_keys=True)`; it matches the
//!   reference's only as far as the experiment we hold matches the one
//!   chaoslib holds (pass `experiment_ref` to be sure of the same group);
//! - under `--dry` the reference cannot hash the experiment (its `dry` is
//!   an enum `json` refuses) and pushes nothing; we push;
//! - a failing gateway never changes the run: the failure is a warning
//!   (the reference logs it at DEBUG), after at most 5 s to connect and
//!   10 s in all (the reference waits 30 s);
//! - when the after hook gets no journal, the in-progress gauge is still
//!   set back to 0 and pushed (the reference fails on `None`).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use blake2::digest::consts::U12;
use blake2::{Blake2b, Digest};
use chaos_engine::controls::native::{Hook, NativeControl, RunHandle, Setup, SetupError, Verdict};
use chaos_engine::controls::Level;
use chaos_engine::journal::CHAOSLIB_VERSION;
use chaos_pyvalue::{float_repr, json_dumps, py_str, py_truthy, Map, Value};
use futures::future::BoxFuture;

/// The module path experiments declare.
pub const MODULE: &str = "chaosprometheus.metrics";

/// Where metrics go when `pushgateway_url` is not given.
const DEFAULT_GATEWAY: &str = "http://localhost:9091";

/// The `job` when none is given.
const DEFAULT_JOB: &str = "chaostoolkit";

/// The body's content type: the text format 0.0.4.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The states of `chaostoolkit_experiment_status`, in the reference's order.
const STATES: [&str; 4] = ["completed", "failed", "aborted", "interrupted"];

/// client_python's default histogram buckets (`+Inf` is added).
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The activity statuses always reported, zero or not.
const ACTIVITY_STATUSES: [&str; 3] = ["succeeded", "failed", "interrupted"];

/// A metrics control for one declaration.
pub fn make(_provider: &Map<String, Value>) -> Arc<dyn NativeControl> {
    Arc::new(Metrics::default())
}

#[derive(Default)]
struct Metrics {
    state: Mutex<Option<Collector>>,
}

/// What `configure` settled, and the metrics' values so far.
struct Collector {
    name: String,
    run: RunHandle,
    client: reqwest::Client,
    url: String,
    labels: Labels,
    values: Values,
}

/// The labels every series carries.
#[derive(Debug, Clone, PartialEq)]
struct Labels {
    trace_id: String,
    experiment_ref: String,
}

impl Labels {
    fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            ("source", "chaostoolkit"),
            ("chaostoolkit_lib_version", CHAOSLIB_VERSION),
            ("chaostoolkit_run_trace_id", &self.trace_id),
            ("chaostoolkit_experiment_ref", &self.experiment_ref),
        ]
    }
}

/// The metrics' values; `None` for a metric with no sample yet.
#[derive(Debug, Clone, Default, PartialEq)]
struct Values {
    in_progress: f64,
    status: Option<String>,
    deviated: Option<f64>,
    duration: Option<f64>,
    /// Each observation of the duration histogram.
    observed: Vec<f64>,
    /// Activity records by status, in the order they are written.
    activities: Option<Vec<(String, f64)>>,
}

impl Values {
    fn finished(&mut self, journal: &Value) {
        if journal.get("deviated").is_some_and(py_truthy) {
            *self.deviated.get_or_insert(0.0) += 1.0;
        }
        self.in_progress -= 1.0;
        self.status = journal.get("status").map(py_str);
        let duration = journal
            .get("duration")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        self.duration = Some(duration);
        self.observed.push(duration);
        self.activities = Some(activity_counts(journal));
    }
}

/// The records of a journal list, if it is one.
fn list(v: Option<&Value>) -> Vec<&Value> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// The journal's activity records counted by status: the three usual ones
/// first, then any other, sorted.
fn activity_counts(journal: &Value) -> Vec<(String, f64)> {
    let mut counts: Vec<(String, f64)> = ACTIVITY_STATUSES
        .iter()
        .map(|s| (s.to_string(), 0.0))
        .collect();
    let mut records: Vec<&Value> = Vec::new();
    let steady = journal.get("steady_states");
    for phase in ["before", "after"] {
        records.extend(list(
            steady
                .and_then(|s| s.get(phase))
                .and_then(|p| p.get("probes")),
        ));
    }
    for state in list(steady.and_then(|s| s.get("during"))) {
        records.extend(list(state.get("probes")));
    }
    records.extend(list(journal.get("run")));
    records.extend(list(journal.get("rollbacks")));
    for record in records {
        let status = match record.get("status") {
            None | Some(Value::Null) => "interrupted".to_string(),
            Some(s) => py_str(s),
        };
        match counts.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1.0,
            None => counts.push((status, 1.0)),
        }
    }
    counts[ACTIVITY_STATUSES.len()..].sort_by(|a, b| a.0.cmp(&b.0));
    counts
}

impl NativeControl for Metrics {
    fn configure<'a>(&'a self, setup: Setup<'a>) -> BoxFuture<'a, Result<(), SetupError>> {
        Box::pin(async move {
            let collector = Collector::new(&setup)?;
            setup.run.debug(format!(
                "control '{}': pushing run metrics to {}",
                setup.name, collector.url
            ));
            *self.state.lock().unwrap_or_else(|e| e.into_inner()) = Some(collector);
            Ok(())
        })
    }

    fn hook<'a>(&'a self, hook: Hook<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            if hook.level != Level::Experiment {
                return Verdict::Continue;
            }
            let push = {
                let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let Some(c) = guard.as_mut() else {
                    return Verdict::Continue;
                };
                if hook.before {
                    c.values.in_progress += 1.0;
                } else {
                    match hook.state.as_deref() {
                        Some(journal) if journal.is_object() => c.values.finished(journal),
                        _ => {
                            c.values.in_progress -= 1.0;
                            c.run.debug(format!(
                                "control '{}': no journal, only the in-progress gauge is pushed",
                                c.name
                            ));
                        }
                    }
                }
                if let Some(status) = c.values.status.as_deref() {
                    if !STATES.contains(&status) {
                        c.run.debug(format!(
                            "control '{}': status '{status}' is none of {STATES:?}",
                            c.name
                        ));
                    }
                }
                (
                    c.name.clone(),
                    c.run.clone(),
                    c.client.clone(),
                    c.url.clone(),
                    render(&c.labels, &c.values),
                )
            };
            let (name, run, client, url, body) = push;
            match put(&client, &url, body).await {
                Ok(()) => run.debug(format!("control '{name}': metrics pushed to {url}")),
                Err(e) => run.warn(format!(
                    "control '{name}': could not push metrics to {url}: {e}"
                )),
            }
            Verdict::Continue
        })
    }
}

impl Collector {
    fn new(setup: &Setup<'_>) -> Result<Collector, SetupError> {
        let args = setup.arguments;
        let given = |key: &str| args.get(key).filter(|v| py_truthy(v)).map(py_str);
        let gateway = given("pushgateway_url").unwrap_or_else(|| DEFAULT_GATEWAY.into());
        let job = given("job").unwrap_or_else(|| DEFAULT_JOB.into());
        let trace_id = given("trace_id").unwrap_or_else(random_hex);
        let experiment_ref =
            given("experiment_ref").unwrap_or_else(|| experiment_hash(setup.experiment));
        let grouping: Vec<(String, String)> = match args.get("grouping_key") {
            Some(Value::Object(m)) if !m.is_empty() => {
                m.iter().map(|(k, v)| (k.clone(), py_str(v))).collect()
            }
            None | Some(Value::Null) => Vec::new(),
            Some(v) if !py_truthy(v) => Vec::new(),
            Some(other) => {
                return Err(SetupError::Logged(format!(
                    "grouping_key must be a mapping, not {}",
                    py_str(other)
                )))
            }
        };
        let grouping = if grouping.is_empty() {
            vec![(
                "chaostoolkit_experiment_ref".to_string(),
                experiment_ref.clone(),
            )]
        } else {
            grouping
        };
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("chaos/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SetupError::Logged(format!("no HTTP client: {e}")))?;
        Ok(Collector {
            name: setup.name.to_string(),
            run: setup.run.clone(),
            client,
            url: push_url(&gateway, &job, &grouping),
            labels: Labels {
                trace_id,
                experiment_ref,
            },
            values: Values::default(),
        })
    }
}

async fn put(client: &reqwest::Client, url: &str, body: String) -> Result<(), String> {
    let response = client
        .put(url)
        .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
        .body(body)
        .send()
        .await
        .map_err(|e| error_chain(&e.without_url()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    let text: String = text.trim().chars().take(300).collect();
    Err(format!("HTTP {status}: {text}"))
}

/// An error and its causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let _ = write!(s, ": {c}");
        cause = c.source();
    }
    s
}

/// 16 random bytes in hex, as `secrets.token_hex(16)`.
fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No system randomness: the clock and the process still tell runs apart.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let seed = format!("{nanos}-{}", std::process::id());
        bytes.copy_from_slice(&Blake2b::<blake2::digest::consts::U16>::digest(seed)[..]);
    }
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// chaoslib's `experiment_hash`: BLAKE2b, 12-byte digest, over
/// `json.dumps(experiment, sort_keys=True)`.
fn experiment_hash(experiment: &Map<String, Value>) -> String {
    let canonical = json_dumps(&sorted(&Value::Object(experiment.clone())));
    hex(&Blake2b::<U12>::digest(canonical.as_bytes()))
}

/// The value with every mapping's keys sorted, as `sort_keys=True` does.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// client_python's `_use_gateway` URL: the scheme, the job and the sorted
/// grouping key, each escaped.
fn push_url(gateway: &str, job: &str, grouping: &[(String, String)]) -> String {
    let lower = gateway.to_ascii_lowercase();
    let mut url = if lower.starts_with("http://") || lower.starts_with("https://") {
        gateway.to_string()
    } else {
        format!("http://{gateway}")
    };
    while url.ends_with('/') {
        url.pop();
    }
    url.push_str("/metrics");
    url.push_str(&escape_grouping("job", job));
    let mut keys: Vec<&(String, String)> = grouping.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in keys {
        url.push_str(&escape_grouping(k, v));
    }
    url
}

/// One `/<key>/<value>` path segment pair, escaped as client_python's
/// `_escape_grouping_key`.
fn escape_grouping(key: &str, value: &str) -> String {
    if value.is_empty() {
        format!("/{key}@base64/=")
    } else if value.contains('/') || value.contains(' ') {
        let b64 = base64::engine::general_purpose::URL_SAFE.encode(value.as_bytes());
        format!("/{key}@base64/{b64}")
    } else {
        format!("/{key}/{}", quote_plus(value))
    }
}

/// Python's `urllib.parse.quote_plus` (no space reaches it here).
fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// client_python's `floatToGoString`.
fn go_float(d: f64) -> String {
    if d == f64::INFINITY {
        return "+Inf".into();
    }
    if d == f64::NEG_INFINITY {
        return "-Inf".into();
    }
    if d.is_nan() {
        return "NaN".into();
    }
    let s = float_repr(d);
    match s.find('.') {
        Some(dot) if d > 0.0 && dot > 6 => {
            let mantissa = format!("{}.{}{}", &s[..1], &s[1..dot], &s[dot + 1..]);
            let mantissa = mantissa.trim_end_matches(['0', '.']);
            format!("{mantissa}e+0{}", dot - 1)
        }
        _ => s,
    }
}

/// A label value in the text format.
fn escape_label(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('\n', r"\n")
        .replace('"', "\\\"")
}

/// A HELP text in the text format.
fn escape_help(v: &str) -> String {
    v.replace('\\', r"\\").replace('\n', r"\n")
}

/// One sample line.
fn sample(out: &mut String, name: &str, labels: &Labels, extra: &[(&str, &str)], value: f64) {
    out.push_str(name);
    out.push('{');
    let all = labels.pairs();
    let pairs = all.iter().copied().chain(extra.iter().copied());
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{k}=\"{}\"", escape_label(v));
    }
    let _ = writeln!(out, "}} {}", go_float(value));
}

fn family(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The metrics in the text exposition format 0.0.4, as client_python's
/// `generate_latest` writes them (less the `_created` series).
fn render(labels: &Labels, v: &Values) -> String {
    let mut out = String::new();
    let name = "chaostoolkit_experiment_status";
    family(
        &mut out,
        name,
        "Chaos Toolkit experiment runs status",
        "gauge",
    );
    if let Some(status) = v.status.as_deref() {
        for state in STATES {
            let value = if state == status { 1.0 } else { 0.0 };
            sample(&mut out, name, labels, &[(name, state)], value);
        }
    }
    let name = "chaostoolkit_deviated_experiment_total";
    family(
        &mut out,
        name,
        "Chaos Toolkit deviated experiments",
        "counter",
    );
    if let Some(n) = v.deviated {
        sample(&mut out, name, labels, &[], n);
    }
    let name = "chaostoolkit_inprogress_experiment";
    family(
        &mut out,
        name,
        "Chaos Toolkit experiments in progress",
        "gauge",
    );
    sample(&mut out, name, labels, &[], v.in_progress);
    let name = "chaostoolkit_experiment_duration";
    family(&mut out, name, "Chaos Toolkit experiment duration", "gauge");
    if let Some(d) = v.duration {
        sample(&mut out, name, labels, &[], d);
    }
    let name = "chaostoolkit_experiment_duration_dist";
    family(
        &mut out,
        name,
        "Chaos Toolkit experiment duration distribution",
        "histogram",
    );
    if !v.observed.is_empty() {
        let bucket = format!("{name}_bucket");
        for bound in BUCKETS.iter().copied().chain([f64::INFINITY]) {
            let n = v.observed.iter().filter(|d| **d <= bound).count();
            sample(
                &mut out,
                &bucket,
                labels,
                &[("le", &go_float(bound))],
                n as f64,
            );
        }
        let count = v.observed.len() as f64;
        sample(&mut out, &format!("{name}_count"), labels, &[], count);
        let sum = v.observed.iter().sum();
        sample(&mut out, &format!("{name}_sum"), labels, &[], sum);
    }
    let name = "chaostoolkit_experiment_activities";
    family(
        &mut out,
        name,
        "Chaos Toolkit experiment activities by status (chaos addition)",
        "gauge",
    );
    for (status, n) in v.activities.iter().flatten() {
        sample(
            &mut out,
            name,
            labels,
            &[("chaostoolkit_activity_status", status)],
            *n,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn group(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_url_has_a_scheme_the_job_and_the_sorted_escaped_grouping_key() {
        assert_eq!(
            push_url(
                "localhost:9091/",
                "chaostoolkit",
                &group(&[("zone", "eu"), ("app", "web")])
            ),
            "http://localhost:9091/metrics/job/chaostoolkit/app/web/zone/eu"
        );
        assert_eq!(
            push_url("HTTPS://gw.example:443", "j", &[]),
            "HTTPS://gw.example:443/metrics/job/j"
        );
        assert_eq!(
            push_url("ftp://gw", "j", &[]),
            "http://ftp://gw/metrics/job/j"
        );
    }

    #[test]
    fn grouping_values_are_escaped_as_client_python_escapes_them() {
        assert_eq!(escape_grouping("k", ""), "/k@base64/=");
        assert_eq!(escape_grouping("k", "a/b?c"), "/k@base64/YS9iP2M=");
        assert_eq!(escape_grouping("k", "ü/ÿ>"), "/k@base64/w7wvw78-");
        assert_eq!(escape_grouping("k", "a b"), "/k@base64/YSBi");
        assert_eq!(
            escape_grouping("k", "a+b=c&d~é_.-"),
            "/k/a%2Bb%3Dc%26d~%C3%A9_.-"
        );
        assert_eq!(escape_grouping("job", "chaos-e2e"), "/job/chaos-e2e");
    }

    #[test]
    fn floats_are_written_as_client_python_writes_them() {
        assert_eq!(go_float(1.0), "1.0");
        assert_eq!(go_float(0.0), "0.0");
        assert_eq!(go_float(-1.0), "-1.0");
        assert_eq!(go_float(0.005), "0.005");
        assert_eq!(go_float(0.123456), "0.123456");
        assert_eq!(go_float(f64::INFINITY), "+Inf");
        assert_eq!(go_float(1234567.5), "1.2345675e+06");
        assert_eq!(go_float(10000000.0), "1e+07");
    }

    #[test]
    fn the_experiment_hash_is_chaoslibs() {
        // hashlib.blake2b(json.dumps(e, sort_keys=True).encode(), digest_size=12)
        let e = json!({"title": "t é", "dry": null,
            "method": [{"type": "action", "name": "a", "n": 1.5, "big": 1000000000000000000u64}],
            "b": true});
        let Value::Object(e) = e else { unreachable!() };
        assert_eq!(experiment_hash(&e), "586d9082d2de071a7fcd6ab1");
    }

    #[test]
    fn trace_ids_are_32_random_hex_digits() {
        let (a, b) = (random_hex(), random_hex());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    fn labels() -> Labels {
        Labels {
            trace_id: "t1".into(),
            experiment_ref: "r\"1".into(),
        }
    }

    const L: &str = r#"source="chaostoolkit",chaostoolkit_lib_version="1.44.0",chaostoolkit_run_trace_id="t1",chaostoolkit_experiment_ref="r\"1""#;

    #[test]
    fn before_the_run_only_the_in_progress_gauge_has_a_sample() {
        let v = Values {
            in_progress: 1.0,
            ..Values::default()
        };
        let text = render(&labels(), &v);
        let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            samples,
            vec![format!("chaostoolkit_inprogress_experiment{{{L}}} 1.0")]
        );
        assert!(text.starts_with(
            "# HELP chaostoolkit_experiment_status Chaos Toolkit experiment runs status\n\
             # TYPE chaostoolkit_experiment_status gauge\n\
             # HELP chaostoolkit_deviated_experiment_total Chaos Toolkit deviated experiments\n\
             # TYPE chaostoolkit_deviated_experiment_total counter\n"
        ));
    }

    #[test]
    fn after_the_run_the_journal_sets_every_metric() {
        let journal = json!({
            "status": "completed", "deviated": true, "duration": 0.3,
            "steady_states": {
                "before": {"probes": [{"status": "succeeded"}]},
                "after": {"probes": [{"status": "failed"}]},
                "during": [{"probes": [{"status": "succeeded"}]}]
            },
            "run": [{"status": "succeeded"}, {"status": "failed"}, {"activity": {}}],
            "rollbacks": [{"status": "skipped"}]
        });
        let mut v = Values {
            in_progress: 1.0,
            ..Values::default()
        };
        v.finished(&journal);
        let text = render(&labels(), &v);
        let want = [
            "# HELP chaostoolkit_experiment_status Chaos Toolkit experiment runs status".to_string(),
            "# TYPE chaostoolkit_experiment_status gauge".into(),
            format!("chaostoolkit_experiment_status{{{L},chaostoolkit_experiment_status=\"completed\"}} 1.0"),
            format!("chaostoolkit_experiment_status{{{L},chaostoolkit_experiment_status=\"failed\"}} 0.0"),
            format!("chaostoolkit_experiment_status{{{L},chaostoolkit_experiment_status=\"aborted\"}} 0.0"),
            format!("chaostoolkit_experiment_status{{{L},chaostoolkit_experiment_status=\"interrupted\"}} 0.0"),
            "# HELP chaostoolkit_deviated_experiment_total Chaos Toolkit deviated experiments".into(),
            "# TYPE chaostoolkit_deviated_experiment_total counter".into(),
            format!("chaostoolkit_deviated_experiment_total{{{L}}} 1.0"),
            "# HELP chaostoolkit_inprogress_experiment Chaos Toolkit experiments in progress".into(),
            "# TYPE chaostoolkit_inprogress_experiment gauge".into(),
            format!("chaostoolkit_inprogress_experiment{{{L}}} 0.0"),
            "# HELP chaostoolkit_experiment_duration Chaos Toolkit experiment duration".into(),
            "# TYPE chaostoolkit_experiment_duration gauge".into(),
            format!("chaostoolkit_experiment_duration{{{L}}} 0.3"),
            "# HELP chaostoolkit_experiment_duration_dist Chaos Toolkit experiment duration distribution".into(),
            "# TYPE chaostoolkit_experiment_duration_dist histogram".into(),
        ];
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..want.len()],
            want.iter().map(String::as_str).collect::<Vec<_>>()[..]
        );
        let rest = &lines[want.len()..];
        let buckets: Vec<String> = ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25"]
            .iter()
            .map(|le| format!("chaostoolkit_experiment_duration_dist_bucket{{{L},le=\"{le}\"}} 0.0"))
            .chain(
                ["0.5", "0.75", "1.0", "2.5", "5.0", "7.5", "10.0", "+Inf"]
                    .iter()
                    .map(|le| {
                        format!("chaostoolkit_experiment_duration_dist_bucket{{{L},le=\"{le}\"}} 1.0")
                    }),
            )
            .chain([
                format!("chaostoolkit_experiment_duration_dist_count{{{L}}} 1.0"),
                format!("chaostoolkit_experiment_duration_dist_sum{{{L}}} 0.3"),
                "# HELP chaostoolkit_experiment_activities Chaos Toolkit experiment activities by status (chaos addition)".into(),
                "# TYPE chaostoolkit_experiment_activities gauge".into(),
                format!("chaostoolkit_experiment_activities{{{L},chaostoolkit_activity_status=\"succeeded\"}} 3.0"),
                format!("chaostoolkit_experiment_activities{{{L},chaostoolkit_activity_status=\"failed\"}} 2.0"),
                format!("chaostoolkit_experiment_activities{{{L},chaostoolkit_activity_status=\"interrupted\"}} 1.0"),
                format!("chaostoolkit_experiment_activities{{{L},chaostoolkit_activity_status=\"skipped\"}} 1.0"),
            ])
            .collect();
        assert_eq!(rest, buckets.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn a_run_that_did_not_deviate_has_no_deviated_sample() {
        let mut v = Values {
            in_progress: 1.0,
            ..Values::default()
        };
        v.finished(&json!({"status": "failed", "deviated": false, "duration": 12.5}));
        let text = render(&labels(), &v);
        assert!(!text.contains("chaostoolkit_deviated_experiment_total{"));
        assert!(text.contains("chaostoolkit_experiment_status=\"failed\"} 1.0"));
        assert!(text.contains("le=\"10.0\"} 0.0"));
        assert!(text.contains("le=\"+Inf\"} 1.0"));
        assert!(text.contains("chaostoolkit_activity_status=\"succeeded\"} 0.0"));
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        assert_eq!(escape_label("a\\b\n\"c\""), r#"a\\b\n\"c\""#);
        assert_eq!(escape_help("a\\b\n\"c\""), r#"a\\b\n"c""#);
    }
}
