//! `chaosk8s.chaosmesh.network.*` and `chaosk8s.chaosmesh.stress.*`: Chaos
//! Mesh `NetworkChaos` and `StressChaos` objects, built as the extension
//! builds them (its quirks included: `metadata.ns`, the `bandwdith` action,
//! `value` only for `fixed-percent`) and created through the custom-object
//! functions, so they answer and fail as those do.

use chaos_pyvalue::{py_truthy, Map, Value};
use serde_json::json;

use crate::crd::{self, Target};
use crate::{Ctx, Function, Outcome, Rule};

const GROUP: &str = "chaos-mesh.org";
const NETWORK: &str = "networkchaos";
const STRESS: &str = "stresschaos";

fn target(ctx: &Ctx<'_>, plural: &str) -> Target {
    Target {
        group: GROUP.into(),
        version: "v1alpha1".into(),
        plural: plural.into(),
        ns: Some(ctx.args.str_or("ns", "default")),
    }
}

/// An argument as Python sees it: the default when absent, `None` when
/// passed as null.
fn arg(ctx: &Ctx<'_>, name: &str, default: Value) -> Value {
    if ctx.args.given(name) {
        ctx.args.value(name).cloned().unwrap_or(Value::Null)
    } else {
        default
    }
}

/// A truthy argument, else None.
fn truthy(ctx: &Ctx<'_>, name: &str) -> Option<Value> {
    ctx.args.value(name).filter(|v| py_truthy(v)).cloned()
}

/// `"a,b"` becomes `["a", "b"]`; anything else is used as is.
fn split_list(v: Value) -> Value {
    match v {
        Value::String(s) => Value::Array(s.split(',').map(|p| json!(p)).collect()),
        other => other,
    }
}

/// `"k=v,k2=v2"` becomes `{"k": "v", "k2": "v2"}` (split on the first
/// `=`); anything else is used as is.
fn split_pairs(v: Value) -> Result<Value, Outcome> {
    let Value::String(s) = v else {
        return Ok(v);
    };
    let mut out = Map::new();
    for part in s.split(',') {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            Outcome::Failed("ValueError: not enough values to unpack (expected 2, got 1)".into())
        })?;
        out.insert(k.into(), json!(v));
    }
    Ok(Value::Object(out))
}

/// `metadata` of both kinds: the namespace under `ns` (sic), as in the
/// extension; the URL decides where the object goes.
fn skeleton(ctx: &Ctx<'_>, func: &str, kind: &str) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", func)?;
    Ok(json!({
        "apiVersion": "chaos-mesh.org/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "ns": ctx.args.str_or("ns", "default")},
        "spec": {"selector": {}},
    }))
}

/// The reference's `add_common_spec`: direction, mode (and `value` for
/// `fixed-percent` only), and the pod selector.
fn common_spec(ctx: &Ctx<'_>, spec: &mut Map<String, Value>) -> Result<(), Outcome> {
    spec.insert("direction".into(), arg(ctx, "direction", json!("to")));
    let mode = arg(ctx, "mode", json!("one"));
    let fixed_percent = mode == json!("fixed-percent");
    spec.insert("mode".into(), mode);
    if fixed_percent {
        spec.insert("value".into(), arg(ctx, "mode_value", Value::Null));
    }
    let mut selector = Map::new();
    selectors(ctx, "", &mut selector)?;
    spec.insert("selector".into(), Value::Object(selector));
    Ok(())
}

/// `namespaces_selectors`, `label_selectors`, `annotations_selectors`
/// (with `prefix`: the `target_*` ones) into a Chaos Mesh selector.
fn selectors(
    ctx: &Ctx<'_>,
    prefix: &str,
    selector: &mut Map<String, Value>,
) -> Result<(), Outcome> {
    if let Some(v) = truthy(ctx, &format!("{prefix}namespaces_selectors")) {
        selector.insert("namespaces".into(), split_list(v));
    }
    if let Some(v) = truthy(ctx, &format!("{prefix}label_selectors")) {
        selector.insert("labelSelectors".into(), split_pairs(v)?);
    }
    if let Some(v) = truthy(ctx, &format!("{prefix}annotations_selectors")) {
        selector.insert("annotationSelectors".into(), split_pairs(v)?);
    }
    Ok(())
}

/// The network part of `add_common_spec`: external targets and the
/// `target` (always there unless `target_mode` is falsy).
fn network_targets(ctx: &Ctx<'_>, spec: &mut Map<String, Value>) -> Result<(), Outcome> {
    if let Some(v) = truthy(ctx, "external_targets") {
        spec.insert("externalTargets".into(), split_list(v));
    }
    let target_mode = arg(ctx, "target_mode", json!("one"));
    if py_truthy(&target_mode) {
        let with_value = matches!(
            target_mode.as_str(),
            Some("fixed" | "fixed-percent" | "random-max-percent")
        );
        let mut target = Map::new();
        target.insert("mode".into(), target_mode);
        let mut selector = Map::new();
        selectors(ctx, "target_", &mut selector)?;
        target.insert("selector".into(), Value::Object(selector));
        if with_value {
            target.insert("value".into(), arg(ctx, "target_mode_value", Value::Null));
        }
        spec.insert("target".into(), Value::Object(target));
    }
    Ok(())
}

/// Builds and creates a `NetworkChaos` of `action`, whose `fields` (the
/// truthy ones) go under `spec.<key>`.
async fn network_fault(
    ctx: Ctx<'_>,
    func: &str,
    action: &str,
    key: &str,
    fields: &[(&str, &str)],
) -> Result<Value, Outcome> {
    let mut r = skeleton(&ctx, func, "NetworkChaos")?;
    let mut detail = Map::new();
    for (field, argument) in fields {
        if let Some(v) = truthy(&ctx, argument) {
            detail.insert(field.to_string(), v);
        }
    }
    let spec = r["spec"].as_object_mut().expect("skeleton");
    spec.insert("action".into(), json!(action));
    spec.insert(key.into(), Value::Object(detail));
    common_spec(&ctx, spec)?;
    network_targets(&ctx, spec)?;
    crd::create(&ctx, &target(&ctx, NETWORK), &r).await
}

/// `add_latency(name, ns="default", ..., latency=None, correlation=None,
/// jitter=None, ...)`: a `delay` NetworkChaos.
pub async fn add_latency(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let fields = [
        ("latency", "latency"),
        ("correlation", "correlation"),
        ("jitter", "jitter"),
    ];
    network_fault(ctx, "add_latency", "delay", "delay", &fields).await
}

/// `set_loss(name, ..., loss=None, correlation=None, ...)`.
pub async fn set_loss(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let fields = [("loss", "loss"), ("correlation", "correlation")];
    network_fault(ctx, "set_loss", "loss", "loss", &fields).await
}

/// `duplicate_packets(name, ..., duplicate=None, correlation=None, ...)`.
pub async fn duplicate_packets(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let fields = [("duplicate", "duplicate"), ("correlation", "correlation")];
    network_fault(ctx, "duplicate_packets", "duplicate", "duplicate", &fields).await
}

/// `reorder_packets(name, ..., reorder=None, correlation=None, gap=None,
/// ...)`: no delay is added, as in the reference.
pub async fn reorder_packets(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let fields = [
        ("reorder", "reorder"),
        ("gap", "gap"),
        ("correlation", "correlation"),
    ];
    network_fault(ctx, "reorder_packets", "reorder", "reorder", &fields).await
}

/// `corrupt_packets(name, ..., corrupt=None, correlation=None, ...)`.
pub async fn corrupt_packets(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let fields = [("corrupt", "corrupt"), ("correlation", "correlation")];
    network_fault(ctx, "corrupt_packets", "corrupt", "corrupt", &fields).await
}

/// `set_bandwidth(name, rate, limit, buffer, ..., peakrate=None,
/// minburst=None, ...)`. The action is sent as `bandwdith`, the
/// extension's typo, which Chaos Mesh's enum most likely refuses.
pub async fn set_bandwidth(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let mut r = skeleton(&ctx, "set_bandwidth", "NetworkChaos")?;
    let mut bandwidth = Map::new();
    for required in ["rate", "limit", "buffer"] {
        if !ctx.args.given(required) {
            return Err(Outcome::Failed(format!(
                "set_bandwidth() missing 1 required positional argument: '{required}'"
            )));
        }
        bandwidth.insert(required.into(), arg(&ctx, required, Value::Null));
    }
    for optional in ["peakrate", "minburst"] {
        if let Some(v) = truthy(&ctx, optional) {
            bandwidth.insert(optional.into(), v);
        }
    }
    let spec = r["spec"].as_object_mut().expect("skeleton");
    spec.insert("action".into(), json!("bandwdith"));
    spec.insert("bandwidth".into(), Value::Object(bandwidth));
    common_spec(&ctx, spec)?;
    network_targets(&ctx, spec)?;
    crd::create(&ctx, &target(&ctx, NETWORK), &r).await
}

/// `delete_network_fault(name, ns="default")`: the answer of the delete.
pub async fn delete_network_fault(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "delete_network_fault")?;
    crd::delete(&ctx, &target(&ctx, NETWORK), &name).await
}

/// `get_network_faults(ns="default")`: the list object.
pub async fn get_network_faults(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    crd::get(&ctx, &target(&ctx, NETWORK), None).await
}

/// `get_network_fault(name, ns="default")`.
pub async fn get_network_fault(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "get_network_fault")?;
    crd::get(&ctx, &target(&ctx, NETWORK), Some(&name)).await
}

/// Builds and creates a `StressChaos` with the given stressor.
async fn stressor(ctx: Ctx<'_>, func: &str, kind: &str, stressor: Value) -> Result<Value, Outcome> {
    let mut r = skeleton(&ctx, func, "StressChaos")?;
    let spec = r["spec"].as_object_mut().expect("skeleton");
    spec.insert("stressors".into(), json!({ kind: stressor }));
    spec.insert("duration".into(), arg(&ctx, "duration", json!("30s")));
    // Always present, null when not given.
    let containers = ctx
        .args
        .value("container_names")
        .cloned()
        .map(split_list)
        .unwrap_or(Value::Null);
    spec.insert("containerNames".into(), containers);
    if let Some(v) = truthy(&ctx, "stressng_stressors") {
        spec.insert("stressngStressors".into(), v);
    }
    common_spec(&ctx, spec)?;
    crd::create(&ctx, &target(&ctx, STRESS), &r).await
}

/// `stress_cpu(name, workers, load, ns="default", ..., duration="30s",
/// container_names=None, stressng_stressors=None)`.
pub async fn stress_cpu(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    for required in ["workers", "load"] {
        if !ctx.args.given(required) {
            return Err(Outcome::Failed(format!(
                "stress_cpu() missing 1 required positional argument: '{required}'"
            )));
        }
    }
    let cpu = json!({
        "workers": arg(&ctx, "workers", Value::Null),
        "load": arg(&ctx, "load", Value::Null),
    });
    stressor(ctx, "stress_cpu", "cpu", cpu).await
}

/// `stress_memory(name, workers=None, size=None, oom_score=None,
/// time_to_get_to_size=None, ...)`: all four memory fields are sent, null
/// when not given.
pub async fn stress_memory(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let memory = json!({
        "workers": arg(&ctx, "workers", Value::Null),
        "size": arg(&ctx, "size", Value::Null),
        "time": arg(&ctx, "time_to_get_to_size", Value::Null),
        "oomScoreAdj": arg(&ctx, "oom_score", Value::Null),
    });
    stressor(ctx, "stress_memory", "memory", memory).await
}

/// `delete_stressor(name, ns="default")`.
pub async fn delete_stressor(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "delete_stressor")?;
    crd::delete(&ctx, &target(&ctx, STRESS), &name).await
}

/// `get_stressors(ns="default")`: the list object.
pub async fn get_stressors(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    crd::get(&ctx, &target(&ctx, STRESS), None).await
}

/// `get_stressor(name, ns="default")`.
pub async fn get_stressor(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let name = ctx.args.required_str("name", "get_stressor")?;
    crd::get(&ctx, &target(&ctx, STRESS), Some(&name)).await
}

type Params = &'static [(&'static str, Option<&'static str>)];

/// `(name, ns, selectors, mode, mode_value, direction, <fields>,
/// external_targets, target_*)` of a network fault.
macro_rules! network_params {
    ($($field:literal),*) => {
        &[
            ("name", None),
            ("ns", Some("'default'")),
            ("namespaces_selectors", Some("None")),
            ("label_selectors", Some("None")),
            ("annotations_selectors", Some("None")),
            ("mode", Some("'one'")),
            ("mode_value", Some("None")),
            ("direction", Some("'to'")),
            $(($field, Some("None")),)*
            ("external_targets", Some("None")),
            ("target_mode", Some("'one'")),
            ("target_mode_value", Some("None")),
            ("target_namespaces_selectors", Some("None")),
            ("target_label_selectors", Some("None")),
            ("target_annotations_selectors", Some("None")),
        ]
    };
}

const BANDWIDTH_PARAMS: Params = &[
    ("name", None),
    ("rate", None),
    ("limit", None),
    ("buffer", None),
    ("ns", Some("'default'")),
    ("namespaces_selectors", Some("None")),
    ("label_selectors", Some("None")),
    ("annotations_selectors", Some("None")),
    ("mode", Some("'one'")),
    ("mode_value", Some("None")),
    ("direction", Some("'to'")),
    ("peakrate", Some("None")),
    ("minburst", Some("None")),
    ("external_targets", Some("None")),
    ("target_mode", Some("'one'")),
    ("target_mode_value", Some("None")),
    ("target_namespaces_selectors", Some("None")),
    ("target_label_selectors", Some("None")),
    ("target_annotations_selectors", Some("None")),
];

/// `(<head>, ns, selectors, mode, mode_value, direction, duration,
/// container_names, stressng_stressors)` of a stressor.
macro_rules! stress_params {
    ($(($head:literal, $default:expr)),*) => {
        &[
            ("name", None),
            $(($head, $default),)*
            ("ns", Some("'default'")),
            ("namespaces_selectors", Some("None")),
            ("label_selectors", Some("None")),
            ("annotations_selectors", Some("None")),
            ("mode", Some("'one'")),
            ("mode_value", Some("None")),
            ("direction", Some("'to'")),
            ("duration", Some("'30s'")),
            ("container_names", Some("None")),
            ("stressng_stressors", Some("None")),
        ]
    };
}

const fn rule(resource: &'static str, verbs: &'static [&'static str]) -> Rule {
    Rule {
        group: GROUP,
        resource,
        verbs,
    }
}

const NETWORK_CREATE: Rule = rule(NETWORK, &["create"]);
const NETWORK_DELETE: Rule = rule(NETWORK, &["delete"]);
const NETWORK_GET: Rule = rule(NETWORK, &["get"]);
const NETWORK_LIST: Rule = rule(NETWORK, &["list"]);
const STRESS_CREATE: Rule = rule(STRESS, &["create"]);
const STRESS_DELETE: Rule = rule(STRESS, &["delete"]);
const STRESS_GET: Rule = rule(STRESS, &["get"]);
const STRESS_LIST: Rule = rule(STRESS, &["list"]);

const NAME_NS: Params = &[("name", None), ("ns", Some("'default'"))];
const NS: Params = &[("ns", Some("'default'"))];

/// The functions of these modules, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    let f = |module: &'static str,
             name: &'static str,
             params: Params,
             rules: &'static [Rule],
             handler: crate::Handler| Function {
        modules: match module {
            "network.actions" => &["chaosk8s.chaosmesh.network.actions"],
            "network.probes" => &["chaosk8s.chaosmesh.network.probes"],
            "stress.actions" => &["chaosk8s.chaosmesh.stress.actions"],
            _ => &["chaosk8s.chaosmesh.stress.probes"],
        },
        name,
        kind: if module.ends_with("probes") {
            "probe"
        } else {
            "action"
        },
        params,
        rules,
        handler,
    };
    let na = "network.actions";
    let sa = "stress.actions";
    vec![
        f(
            na,
            "add_latency",
            network_params!("latency", "correlation", "jitter"),
            &[NETWORK_CREATE],
            handler!(add_latency),
        ),
        f(
            na,
            "set_loss",
            network_params!("loss", "correlation"),
            &[NETWORK_CREATE],
            handler!(set_loss),
        ),
        f(
            na,
            "duplicate_packets",
            network_params!("duplicate", "correlation"),
            &[NETWORK_CREATE],
            handler!(duplicate_packets),
        ),
        f(
            na,
            "reorder_packets",
            network_params!("reorder", "correlation", "gap"),
            &[NETWORK_CREATE],
            handler!(reorder_packets),
        ),
        f(
            na,
            "corrupt_packets",
            network_params!("corrupt", "correlation"),
            &[NETWORK_CREATE],
            handler!(corrupt_packets),
        ),
        f(
            na,
            "set_bandwidth",
            BANDWIDTH_PARAMS,
            &[NETWORK_CREATE],
            handler!(set_bandwidth),
        ),
        f(
            na,
            "delete_network_fault",
            NAME_NS,
            &[NETWORK_DELETE],
            handler!(delete_network_fault),
        ),
        f(
            "network.probes",
            "get_network_faults",
            NS,
            &[NETWORK_LIST],
            handler!(get_network_faults),
        ),
        f(
            "network.probes",
            "get_network_fault",
            NAME_NS,
            &[NETWORK_GET],
            handler!(get_network_fault),
        ),
        f(
            sa,
            "stress_cpu",
            stress_params!(("workers", None), ("load", None)),
            &[STRESS_CREATE],
            handler!(stress_cpu),
        ),
        f(
            sa,
            "stress_memory",
            stress_params!(
                ("workers", Some("None")),
                ("size", Some("None")),
                ("oom_score", Some("None")),
                ("time_to_get_to_size", Some("None"))
            ),
            &[STRESS_CREATE],
            handler!(stress_memory),
        ),
        f(
            sa,
            "delete_stressor",
            NAME_NS,
            &[STRESS_DELETE],
            handler!(delete_stressor),
        ),
        f(
            "stress.probes",
            "get_stressors",
            NS,
            &[STRESS_LIST],
            handler!(get_stressors),
        ),
        f(
            "stress.probes",
            "get_stressor",
            NAME_NS,
            &[STRESS_GET],
            handler!(get_stressor),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_split_as_the_extension_splits_them() {
        assert_eq!(split_list(json!("a,b")), json!(["a", "b"]));
        assert_eq!(split_list(json!(["x"])), json!(["x"]));
        assert_eq!(
            split_pairs(json!("app=demo,tier=web=1")).ok(),
            Some(json!({"app": "demo", "tier": "web=1"}))
        );
        assert!(split_pairs(json!("app")).is_err());
    }
}
