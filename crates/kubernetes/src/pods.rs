//! `chaosk8s.pod.probes` and `chaosk8s.pod.actions`: pods in a phase or in
//! conditions, counted, available, their logs; pods terminated.

use std::time::Duration;

use chaos_pyvalue::{py_str, Value};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use crate::{api_failure, verdict, Ctx, Function, Outcome, Rule};

async fn list_pods(ctx: &Ctx<'_>, ns: &str, label_selector: &str) -> Result<Vec<Pod>, Outcome> {
    let api: Api<Pod> = Api::namespaced(ctx.client(), ns);
    let params = ListParams::default().labels(label_selector);
    api.list(&params)
        .await
        .map(|l| l.items)
        .map_err(|e| api_failure(ctx, &e, "list", "pods", Some(ns)))
}

fn phase(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

/// `pods_in_phase(label_selector, phase="Running", ns="default",
/// raise_on_invalid_phase=True)`.
pub async fn pods_in_phase(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let selector = ctx.args.required_str("label_selector", "pods_in_phase")?;
    let wanted = ctx.args.str_or("phase", "Running");
    let ns = ctx.args.str_or("ns", "default");
    let raise = ctx.args.bool_or("raise_on_invalid_phase", true);
    let pods = list_pods(&ctx, &ns, &selector).await?;
    let problem = if pods.is_empty() {
        Some(format!("no pods '{selector}' were found"))
    } else {
        pods.iter()
            .map(phase)
            .find(|p| *p != wanted)
            .map(|p| format!("pod '{selector}' is in phase '{p}' but should be '{wanted}'"))
    };
    verdict(problem, raise)
}

/// `pods_not_in_phase(label_selector, phase="Running", ns="default",
/// raise_on_in_phase=True)`.
pub async fn pods_not_in_phase(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let selector = ctx
        .args
        .required_str("label_selector", "pods_not_in_phase")?;
    let unwanted = ctx.args.str_or("phase", "Running");
    let ns = ctx.args.str_or("ns", "default");
    let raise = ctx.args.bool_or("raise_on_in_phase", true);
    let pods = list_pods(&ctx, &ns, &selector).await?;
    let problem = if pods.is_empty() {
        Some(format!("no pods '{selector}' were found"))
    } else {
        pods.iter()
            .map(phase)
            .find(|p| *p == unwanted)
            .map(|_| format!("pod '{selector}' should not be in phase '{unwanted}'"))
    };
    verdict(problem, raise)
}

/// `count_pods(label_selector, phase=None, ns="default")`: how many pods
/// match (in `phase` when given).
pub async fn count_pods(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let selector = ctx.args.required_str("label_selector", "count_pods")?;
    let wanted = ctx.args.opt_str("phase");
    let ns = ctx.args.str_or("ns", "default");
    let pods = list_pods(&ctx, &ns, &selector).await?;
    let wanted = wanted.filter(|w| !w.is_empty());
    let count = pods
        .iter()
        .filter(|p| wanted.as_ref().is_none_or(|w| phase(p) == *w))
        .count();
    Ok(Value::from(count))
}

/// `count_min_pods(label_selector, phase="Running", min_count=2,
/// ns="default")`: at least `min_count` pods in `phase`.
pub async fn count_min_pods(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let selector = ctx.args.required_str("label_selector", "count_min_pods")?;
    let wanted = ctx.args.str_or("phase", "Running");
    let min = ctx.args.int_or("min_count", 2);
    let ns = ctx.args.str_or("ns", "default");
    let pods = list_pods(&ctx, &ns, &selector).await?;
    let count = pods
        .iter()
        .filter(|p| wanted.is_empty() || phase(p) == wanted)
        .count();
    Ok(Value::Bool(count as i64 >= min))
}

/// `pod_is_not_available(name, ns="default", label_selector="name in
/// ({name})", raise_on_is_available=True)`: no matching pod is Running.
pub async fn pod_is_not_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "pod_is_not_available")?;
    let ns = ctx.args.str_or("ns", "default");
    let selector = ctx
        .args
        .str_or("label_selector", "name in ({name})")
        .replace("{name}", &name);
    let raise = ctx.args.bool_or("raise_on_is_available", true);
    let pods = list_pods(&ctx, &ns, &selector).await?;
    let running = pods.iter().any(|p| phase(p) == "Running");
    verdict(
        running.then(|| format!("pod '{name}' is actually running")),
        raise,
    )
}

/// `_select_pods`: by label selector and name pattern (a Python `re`
/// search), optionally oldest first, then all, or `qty` (a count or a
/// percentage, rounded up), the first ones or a random sample.
async fn select_pods(ctx: &Ctx<'_>) -> Result<Vec<Pod>, Outcome> {
    let qty = ctx.args.int_or("qty", 1);
    let mode = ctx.args.str_or("mode", "fixed");
    let order = ctx.args.str_or("order", "alphabetic");
    if qty < 0 {
        return Err(Outcome::Failed(format!(
            "Cannot select pods. Quantity '{qty}' is negative."
        )));
    }
    if mode != "fixed" && mode != "percentage" {
        return Err(Outcome::Failed(format!(
            "Cannot select pods. Mode '{mode}' is invalid."
        )));
    }
    if order != "alphabetic" && order != "oldest" {
        return Err(Outcome::Failed(format!(
            "Cannot select pods. Order '{order}' is invalid."
        )));
    }
    let ns = ctx.args.str_or("ns", "default");
    let selector = ctx.args.opt_str("label_selector").unwrap_or_default();
    let mut pods = list_pods(ctx, &ns, &selector).await?;
    if let Some(pattern) = ctx.args.opt_str("name_pattern").filter(|p| !p.is_empty()) {
        let re = chaos_experiment::validate::compile_python_regex(&pattern)
            .map_err(|e| Outcome::Failed(format!("invalid name_pattern '{pattern}': {e}")))?;
        pods.retain(|p| {
            re.is_match(p.metadata.name.as_deref().unwrap_or_default())
                .unwrap_or(false)
        });
    }
    if order == "oldest" {
        pods.sort_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0));
    }
    if ctx.args.bool_or("all", false) {
        return Ok(pods);
    }
    let mut qty = qty as usize;
    if mode == "percentage" {
        qty = (qty * pods.len()).div_ceil(100);
    }
    qty = qty.min(pods.len());
    if ctx.args.bool_or("rand", false) {
        // A random sample without replacement, in random order.
        for i in 0..qty {
            let j = i + crate::random_index(pods.len() - i);
            pods.swap(i, j);
        }
    }
    pods.truncate(qty);
    Ok(pods)
}

/// `terminate_pods(label_selector=None, name_pattern=None, all=False,
/// rand=False, mode="fixed", qty=1, grace_period=-1, ns="default",
/// order="alphabetic")`: deletes the selected pods; their names.
pub async fn terminate_pods(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let pods = select_pods(&ctx).await?;
    let ns = ctx.args.str_or("ns", "default");
    let grace = ctx.args.int_or("grace_period", -1);
    let mut params = kube::api::DeleteParams::default();
    if grace >= 0 {
        params = params.grace_period(grace as u32);
    }
    let api: Api<Pod> = Api::namespaced(ctx.client(), &ns);
    let mut names = Vec::new();
    for pod in pods {
        let name = pod.metadata.name.unwrap_or_default();
        api.delete(&name, &params)
            .await
            .map_err(|e| api_failure(&ctx, &e, "delete", "pods", Some(&ns)))?;
        names.push(Value::String(name));
    }
    Ok(Value::Array(names))
}

/// Seconds ago that `last` means, as `dateparser` reads the usual forms:
/// `60s`, `1m`, `10 minutes`, `2h`, `1h30m`, `1 day`, `5 minutes ago`,
/// `yesterday`, or a date (`2024-01-01`, RFC 3339).
fn seconds_ago(last: &str) -> Option<i64> {
    let text = last.trim().to_lowercase();
    let text = text.strip_suffix("ago").unwrap_or(&text).trim();
    if text == "yesterday" {
        return Some(86_400);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some((chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = d
            .and_hms_opt(0, 0, 0)?
            .and_local_timezone(chrono::Local)
            .single()?;
        return Some((chrono::Local::now() - midnight).num_seconds());
    }
    let mut total = 0i64;
    let mut rest = text;
    let mut any = false;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = rest[unit_len..].trim_start();
        let scale = match unit {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
            "d" | "day" | "days" => 86_400,
            "w" | "week" | "weeks" => 604_800,
            _ => return None,
        };
        total += n * scale;
        any = true;
    }
    any.then_some(total)
}

/// `read_pod_logs(name=None, last=None, ns="default", from_previous=False,
/// label_selector="name in ({name})", container_name=None)`: each matching
/// pod's log, with timestamps, by pod name.
pub async fn read_pod_logs(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.str_or("name", "None");
    let ns = ctx.args.str_or("ns", "default");
    let selector = ctx
        .args
        .str_or("label_selector", "name in ({name})")
        .replace("{name}", &name);
    let since = match ctx.args.opt_str("last").filter(|s| !s.is_empty()) {
        Some(last) => Some(seconds_ago(&last).ok_or_else(|| {
            Outcome::Failed(format!(
                "cannot read '{last}' as a time: write a duration such as '10m' or '2 hours', or a date"
            ))
        })?),
        None => None,
    };
    let pods = list_pods(&ctx, &ns, &selector).await?;
    let api: Api<Pod> = Api::namespaced(ctx.client(), &ns);
    let params = kube::api::LogParams {
        container: ctx.args.opt_str("container_name"),
        previous: ctx.args.bool_or("from_previous", false),
        since_seconds: since.filter(|s| *s != 0),
        timestamps: true,
        ..Default::default()
    };
    let mut logs = chaos_pyvalue::Map::new();
    for pod in pods {
        let pod_name = pod.metadata.name.unwrap_or_default();
        let text = api
            .logs(&pod_name, &params)
            .await
            .map_err(|e| api_failure(&ctx, &e, "get", "pods/log", Some(&ns)))?;
        logs.insert(pod_name, Value::String(text));
    }
    Ok(Value::Object(logs))
}

/// `pods_in_conditions(label_selector, conditions, ns="default",
/// raise_on_invalid_conditions=True)`: every matching pod reports each
/// wanted condition, compared as whole `{"type": .., "status": ..}`
/// mappings (so a wanted mapping with other keys never matches).
pub async fn pods_in_conditions(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let selector = ctx
        .args
        .required_str("label_selector", "pods_in_conditions")?;
    let wanted: Vec<Value> = match ctx.args.value("conditions") {
        Some(Value::Array(list)) => list.clone(),
        Some(other) => {
            return Err(Outcome::Failed(format!(
                "TypeError: 'conditions' must be a list of {{\"type\": .., \"status\": ..}} mappings, not {}",
                chaos_pyvalue::py_type_name(other)
            )))
        }
        None => {
            return Err(Outcome::Failed(
                "pods_in_conditions() missing 1 required positional argument: 'conditions'".into(),
            ))
        }
    };
    let ns = ctx.args.str_or("ns", "default");
    let raise = ctx.args.bool_or("raise_on_invalid_conditions", true);
    let pods = list_pods(&ctx, &ns, &selector).await?;
    if pods.is_empty() {
        return verdict(Some(format!("no pods '{selector}' were found")), raise);
    }
    for pod in &pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let Some(conditions) = pod.status.as_ref().and_then(|s| s.conditions.as_ref()) else {
            return Err(Outcome::Failed(format!(
                "TypeError: 'NoneType' object is not iterable (pod {name} reports no conditions)"
            )));
        };
        let have: Vec<Value> = conditions
            .iter()
            .map(|c| serde_json::json!({"type": c.type_, "status": c.status}))
            .collect();
        if let Some(missing) = wanted
            .iter()
            .find(|w| !chaos_pyvalue::py_contains(&have, w))
        {
            let problem = format!(
                "pod {name} does not match the following given condition: {}",
                chaos_pyvalue::py_repr(missing)
            );
            return verdict(Some(problem), raise);
        }
    }
    Ok(Value::Bool(true))
}

/// `all_pods_healthy(ns="default", raise_on_any_unhealthy=True)`: no pod
/// of the namespace is Failed, Pending or Unknown (container readiness is
/// not looked at, as in the reference).
pub async fn all_pods_healthy(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let ns = ctx.args.str_or("ns", "default");
    let raise = ctx.args.bool_or("raise_on_any_unhealthy", true);
    let pods = list_pods(&ctx, &ns, "").await?;
    let unhealthy = pods
        .iter()
        .any(|p| !matches!(phase(p).as_str(), "Running" | "Succeeded"));
    verdict(unhealthy.then(|| "the system is unhealthy".into()), raise)
}

/// `should_be_found_in_logs(pattern, all_containers=True, value=None)`: a
/// tolerance for `read_pod_logs`, whose output arrives as `value`: the
/// pattern (Python `re`, searched) is in every log, or in one when
/// `all_containers` is false. No API call.
pub async fn should_be_found_in_logs(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let pattern = ctx
        .args
        .required_str("pattern", "should_be_found_in_logs")?;
    let every = ctx.args.bool_or("all_containers", true);
    let logs = match ctx.args.value("value") {
        Some(v) if chaos_pyvalue::py_truthy(v) => v,
        _ => return Err(Outcome::Failed("no logs to search from".into())),
    };
    let Value::Object(logs) = logs else {
        return Err(Outcome::Failed(format!(
            "AttributeError: '{}' object has no attribute 'values'",
            chaos_pyvalue::py_type_name(logs)
        )));
    };
    let re = chaos_experiment::validate::compile_python_regex(&pattern)
        .map_err(|e| Outcome::Failed(format!("re.error: {e}")))?;
    let found = |text: &Value| re.is_match(&py_str(text)).unwrap_or(false);
    Ok(Value::Bool(if every {
        logs.values().all(found)
    } else {
        logs.values().any(found)
    }))
}

/// `delete_pods(name=None, ns="default", label_selector=None)`, deprecated:
/// `terminate_pods(name_pattern=name, label_selector=label_selector,
/// ns=ns)`, so `name` is a pattern and only the first match goes.
pub async fn delete_pods(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let mut values = chaos_pyvalue::Map::new();
    for (from, to) in [
        ("name", "name_pattern"),
        ("label_selector", "label_selector"),
        ("ns", "ns"),
    ] {
        if let Some(v) = ctx.args.value(from) {
            values.insert(to.into(), v.clone());
        }
    }
    terminate_pods(crate::legacy::with_args(&ctx, &values)).await
}

/// A command as the reference runs it: a string split the way
/// `shlex.split` splits it, a list as given.
fn exec_command(cmd: &Value) -> Result<Vec<String>, Outcome> {
    match cmd {
        Value::String(s) => shlex::split(s)
            .ok_or_else(|| Outcome::Failed("ValueError: No closing quotation".into())),
        Value::Array(items) => Ok(items.iter().map(py_str).collect()),
        other => Err(Outcome::Failed(format!(
            "TypeError: the command must be a string or a list, not {}",
            chaos_pyvalue::py_type_name(other)
        ))),
    }
}

/// Runs `command` in one container over the exec WebSocket: its stdout
/// and the Status ending it, or `None` for the Status when none arrived
/// within `timeout` (not an error: what arrived is used, as the
/// reference's `run_forever(timeout=...)` does).
async fn exec_one(
    ctx: &Ctx<'_>,
    api: &Api<Pod>,
    ns: &str,
    pod: &str,
    container: &str,
    command: &[String],
    timeout: Duration,
) -> Result<
    (
        String,
        Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Status>,
    ),
    Outcome,
> {
    use tokio::io::AsyncReadExt;
    let params = kube::api::AttachParams::default()
        .container(container)
        .stdin(false)
        .stdout(true)
        .stderr(true);
    let deadline = tokio::time::Instant::now() + timeout;
    let connecting = tokio::time::timeout_at(deadline, api.exec(pod, command.to_vec(), &params));
    let mut attached = match connecting.await {
        Err(_) => return Ok((String::new(), None)),
        Ok(Ok(a)) => a,
        Ok(Err(kube::Error::UpgradeConnection(
            kube::client::UpgradeConnectionError::ProtocolSwitch(code),
        ))) => {
            let reason = code.canonical_reason().unwrap_or_default();
            let refused = kube::Error::Api(kube::core::ErrorResponse {
                status: "Failure".into(),
                message: format!("Handshake status {} {reason}", code.as_u16()),
                reason: reason.into(),
                code: code.as_u16(),
            });
            return Err(api_failure(ctx, &refused, "create", "pods/exec", Some(ns)));
        }
        Ok(Err(e)) => return Err(api_failure(ctx, &e, "create", "pods/exec", Some(ns))),
    };
    let (mut stdout, mut stderr) = (attached.stdout(), attached.stderr());
    let status = attached.take_status();
    let mut out = Vec::new();
    // stderr is requested, as the reference requests it, and drained so
    // the stream never stalls on it, but never reported (the reference
    // does not read that channel).
    let read = async {
        let mut sink = Vec::new();
        if let (Some(o), Some(e)) = (stdout.as_mut(), stderr.as_mut()) {
            let _ = tokio::join!(o.read_to_end(&mut out), e.read_to_end(&mut sink));
        }
        match status {
            Some(s) => s.await,
            None => None,
        }
    };
    let status = tokio::time::timeout_at(deadline, read).await.ok().flatten();
    Ok((String::from_utf8_lossy(&out).into_owned(), status))
}

/// `exec_in_pods(cmd, label_selector=None, name_pattern=None, all=False,
/// rand=False, mode="fixed", qty=1, ns="default", order="alphabetic",
/// container_name=None, request_timeout=60)`: runs `cmd` in the container
/// `container_name` of each selected pod (a pod without it is skipped, so
/// without `container_name` nothing runs). Returns, per pod, `pod_name`,
/// `exit_code` (0; the failing code as a string; 1 when no status came),
/// `cmd` as passed, `stdout`, and `stderr` (the failure Status's message).
pub async fn exec_in_pods(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let cmd = match ctx.args.value("cmd") {
        Some(c) if chaos_pyvalue::py_truthy(c) => c.clone(),
        _ => {
            return Err(Outcome::Failed(
                "A command must be set to run a container".into(),
            ))
        }
    };
    let command = exec_command(&cmd)?;
    let pods = select_pods(&ctx).await?;
    let ns = ctx.args.str_or("ns", "default");
    let container = ctx.args.opt_str("container_name");
    let timeout = Duration::from_secs_f64(ctx.args.seconds_or("request_timeout", 60.0).max(0.0));
    let api: Api<Pod> = Api::namespaced(ctx.client(), &ns);
    let mut results = Vec::new();
    for pod in pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let Some(container) = container.as_deref().filter(|c| {
            pod.spec
                .as_ref()
                .is_some_and(|s| s.containers.iter().any(|x| x.name == *c))
        }) else {
            continue;
        };
        let (stdout, status) =
            exec_one(&ctx, &api, &ns, &name, container, &command, timeout).await?;
        let (exit_code, stderr) = match status {
            None => (Value::from(1), String::new()),
            Some(s) if s.status.as_deref() == Some("Success") => (Value::from(0), String::new()),
            Some(s) => {
                let code = s
                    .details
                    .and_then(|d| d.causes)
                    .and_then(|c| c.into_iter().next())
                    .and_then(|c| c.message)
                    .ok_or_else(|| {
                        Outcome::Failed(format!(
                            "KeyError: 'details' (pod {name} answered a failure without an exit code: {})",
                            s.message.clone().unwrap_or_default()
                        ))
                    })?;
                (Value::String(code), s.message.unwrap_or_default())
            }
        };
        let mut result = chaos_pyvalue::Map::new();
        result.insert("pod_name".into(), Value::String(name));
        result.insert("exit_code".into(), exit_code);
        result.insert("cmd".into(), cmd.clone());
        result.insert("stdout".into(), Value::String(stdout));
        result.insert("stderr".into(), Value::String(stderr));
        results.push(Value::Object(result));
    }
    Ok(Value::Array(results))
}

const POD_LIST: Rule = Rule {
    group: "",
    resource: "pods",
    verbs: &["list"],
};

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![
        Function {
            modules: &["chaosk8s.pod.probes"],
            name: "pods_in_phase",
            kind: "probe",
            params: &[
                ("label_selector", None),
                ("phase", Some("'Running'")),
                ("ns", Some("'default'")),
                ("raise_on_invalid_phase", Some("True")),
            ],
            rules: &[POD_LIST],
            handler: handler!(pods_in_phase),
        },
        Function {
            modules: &["chaosk8s.pod.probes"],
            name: "pods_not_in_phase",
            kind: "probe",
            params: &[
                ("label_selector", None),
                ("phase", Some("'Running'")),
                ("ns", Some("'default'")),
                ("raise_on_in_phase", Some("True")),
            ],
            rules: &[POD_LIST],
            handler: handler!(pods_not_in_phase),
        },
        Function {
            modules: &["chaosk8s.pod.probes"],
            name: "count_pods",
            kind: "probe",
            params: &[
                ("label_selector", None),
                ("phase", Some("None")),
                ("ns", Some("'default'")),
            ],
            rules: &[POD_LIST],
            handler: handler!(count_pods),
        },
        Function {
            modules: &["chaosk8s.pod.probes"],
            name: "count_min_pods",
            kind: "probe",
            params: &[
                ("label_selector", None),
                ("phase", Some("'Running'")),
                ("min_count", Some("2")),
                ("ns", Some("'default'")),
            ],
            rules: &[POD_LIST],
            handler: handler!(count_min_pods),
        },
        Function {
            modules: &["chaosk8s.pod.probes", "chaosk8s.probes"],
            name: "pod_is_not_available",
            kind: "probe",
            params: &[
                ("name", None),
                ("ns", Some("'default'")),
                ("label_selector", Some("'name in ({name})'")),
                ("raise_on_is_available", Some("True")),
            ],
            rules: &[POD_LIST],
            handler: handler!(pod_is_not_available),
        },
        Function {
            modules: &["chaosk8s.pod.actions"],
            name: "terminate_pods",
            kind: "action",
            params: &[
                ("label_selector", Some("None")),
                ("name_pattern", Some("None")),
                ("all", Some("False")),
                ("rand", Some("False")),
                ("mode", Some("'fixed'")),
                ("qty", Some("1")),
                ("grace_period", Some("-1")),
                ("ns", Some("'default'")),
                ("order", Some("'alphabetic'")),
            ],
            rules: &[Rule {
                group: "",
                resource: "pods",
                verbs: &["list", "delete"],
            }],
            handler: handler!(terminate_pods),
        },
        Function {
            modules: &["chaosk8s.pod.actions"],
            name: "exec_in_pods",
            kind: "action",
            params: &[
                ("cmd", None),
                ("label_selector", Some("None")),
                ("name_pattern", Some("None")),
                ("all", Some("False")),
                ("rand", Some("False")),
                ("mode", Some("'fixed'")),
                ("qty", Some("1")),
                ("ns", Some("'default'")),
                ("order", Some("'alphabetic'")),
                ("container_name", Some("None")),
                ("request_timeout", Some("60")),
            ],
            rules: &[
                POD_LIST,
                // The upgrade is a GET: older clusters authorize it as
                // `get`, newer ones also as `create`.
                Rule {
                    group: "",
                    resource: "pods/exec",
                    verbs: &["create", "get"],
                },
            ],
            handler: handler!(exec_in_pods),
        },
        Function {
            modules: &["chaosk8s.pod.probes", "chaosk8s.probes"],
            name: "read_pod_logs",
            kind: "probe",
            params: &[
                ("name", Some("None")),
                ("last", Some("None")),
                ("ns", Some("'default'")),
                ("from_previous", Some("False")),
                ("label_selector", Some("'name in ({name})'")),
                ("container_name", Some("None")),
            ],
            rules: &[
                POD_LIST,
                Rule {
                    group: "",
                    resource: "pods/log",
                    verbs: &["get"],
                },
            ],
            handler: handler!(read_pod_logs),
        },
        Function {
            modules: &["chaosk8s.pod.probes"],
            name: "pods_in_conditions",
            kind: "probe",
            params: &[
                ("label_selector", None),
                ("conditions", None),
                ("ns", Some("'default'")),
                ("raise_on_invalid_conditions", Some("True")),
            ],
            rules: &[POD_LIST],
            handler: handler!(pods_in_conditions),
        },
        Function {
            modules: &["chaosk8s.pod.probes", "chaosk8s.probes"],
            name: "all_pods_healthy",
            kind: "probe",
            params: &[
                ("ns", Some("'default'")),
                ("raise_on_any_unhealthy", Some("True")),
            ],
            rules: &[POD_LIST],
            handler: handler!(all_pods_healthy),
        },
        Function {
            modules: &["chaosk8s.pod.probes"],
            name: "should_be_found_in_logs",
            kind: "probe",
            params: &[
                ("pattern", None),
                ("all_containers", Some("True")),
                ("value", Some("None")),
            ],
            rules: &[],
            handler: handler!(should_be_found_in_logs),
        },
        Function {
            modules: &["chaosk8s.pod.actions", "chaosk8s.actions"],
            name: "delete_pods",
            kind: "action",
            params: &[
                ("name", Some("None")),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
            ],
            rules: &[Rule {
                group: "",
                resource: "pods",
                verbs: &["list", "delete"],
            }],
            handler: handler!(delete_pods),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::seconds_ago;

    #[test]
    fn last_reads_the_forms_dateparser_reads() {
        for (text, seconds) in [
            ("60s", 60),
            ("1m", 60),
            ("1 min", 60),
            ("10 minutes", 600),
            ("2h", 7_200),
            ("2 hours", 7_200),
            ("1h30m", 5_400),
            ("1 day", 86_400),
            ("yesterday", 86_400),
            ("5 minutes ago", 300),
        ] {
            assert_eq!(seconds_ago(text), Some(seconds), "{text}");
        }
        assert_eq!(seconds_ago("soonish"), None);
        assert!(seconds_ago("2024-01-01").is_some_and(|s| s > 86_400));
    }
}
