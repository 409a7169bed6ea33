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
