//! `chaosk8s.pod.probes`: pods in a phase, counted, available.

use chaos_pyvalue::Value;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};

use crate::{api_failure, Ctx, Outcome};

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
    match problem {
        Some(message) if raise => Err(Outcome::Failed(message)),
        Some(_) => Ok(Value::Bool(false)),
        None => Ok(Value::Bool(true)),
    }
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
    match problem {
        Some(message) if raise => Err(Outcome::Failed(message)),
        Some(_) => Ok(Value::Bool(false)),
        None => Ok(Value::Bool(true)),
    }
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
    if pods.iter().any(|p| phase(p) == "Running") {
        let message = format!("pod '{name}' is actually running");
        return if raise {
            Err(Outcome::Failed(message))
        } else {
            Ok(Value::Bool(false))
        };
    }
    Ok(Value::Bool(true))
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
