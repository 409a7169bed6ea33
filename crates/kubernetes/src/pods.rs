//! `chaosk8s.pod.probes`: pods in a phase, counted, available.

use chaos_pyvalue::Value;
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
