//! Dynamic configuration (spec §5.2): configuration values computed by a
//! probe at the start of a run.

use chaos_drivers::{Call, Registry};
use chaos_pyvalue::{py_str, Map, Value};
use tokio_util::sync::CancellationToken;

use crate::events::{Event, Observer};

/// Resolves every `{"type": "probe", "provider": ...}` value in order; each
/// probe sees only the keys resolved before it. A probe that fails leaves its
/// key out, as the reference does.
///
/// Unlike the reference, the probe's `provider.secrets` is not overwritten
/// with every loaded secret (that copy ended up in the journal).
pub async fn load_dynamic_configuration(
    configuration: Map<String, Value>,
    secrets: &Map<String, Value>,
    registry: &Registry,
    observer: &dyn Observer,
) -> Map<String, Value> {
    let mut resolved = Map::new();
    let mut failed = false;
    for (key, value) in configuration {
        let probe = value
            .as_object()
            .filter(|m| m.get("type").and_then(Value::as_str) == Some("probe"));
        let Some(probe) = probe else {
            resolved.insert(key, value);
            continue;
        };
        let provider = probe
            .get("provider")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let ptype = provider.get("type").map(py_str).unwrap_or_default();
        let name = probe.get("name").map(py_str).unwrap_or_else(|| key.clone());
        let Some(driver) = registry.driver_for(&provider) else {
            failed = true;
            continue;
        };
        let warn = |m: String| observer.on(&Event::Warning(m));
        let result = driver
            .execute(Call {
                provider: &provider,
                activity_name: &name,
                has_tolerance: true,
                configuration: &resolved,
                secrets,
                cancel: CancellationToken::new(),
                warn: &warn,
                exclusive: true,
                tracing: None,
            })
            .await;
        let value = match (ptype.as_str(), result) {
            ("process", Ok(out)) => {
                if out.get("status").and_then(Value::as_i64) == Some(0) {
                    Some(Value::String(
                        out.get("stdout")
                            .map(py_str)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    ))
                } else {
                    None
                }
            }
            ("http", Ok(out)) => Some(out.get("body").cloned().unwrap_or(Value::Null)),
            (_, Ok(out)) => Some(out),
            (_, Err(_)) => None,
        };
        match value {
            Some(v) => {
                resolved.insert(key, v);
            }
            None => failed = true,
        }
    }
    if failed {
        observer.on(&Event::Warning(
            "Some of the dynamic configuration failed to be loaded. Please review the log file for understanding what happened.".into(),
        ));
    }
    resolved
}
