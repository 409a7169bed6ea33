//! `chaosk8s.event.probes`: events across all namespaces, from the
//! `events.k8s.io/v1` API (the extension's `EventsV1Api`).

use chaos_pyvalue::Value;

use crate::raw;
use crate::{Ctx, Function, Outcome, Rule};

/// `get_events(label_selector=None, field_selector=None, limit=100)`: one
/// page of the `EventList`, as the API server wrote it (events/v1 field
/// names: `regarding`, `note`, ...). A `metadata.continue` is not followed.
pub async fn get_events(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    // An explicit `limit: null` drops the parameter (no limit); only an
    // absent one defaults to 100.
    let limit = if ctx.args.given("limit") {
        ctx.args.opt_int("limit").map(|l| l.to_string())
    } else {
        Some("100".to_string())
    };
    let path = format!(
        "/apis/events.k8s.io/v1/events{}",
        raw::query(&[
            (
                "fieldSelector",
                ctx.args.opt_str("field_selector").filter(|s| !s.is_empty())
            ),
            (
                "labelSelector",
                ctx.args.opt_str("label_selector").filter(|s| !s.is_empty())
            ),
            ("limit", limit),
        ])
    );
    ctx.raw_get(&path, "list", "events.events.k8s.io", None)
        .await
}

/// The functions of this module, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![Function {
        modules: &["chaosk8s.event.probes"],
        name: "get_events",
        kind: "probe",
        params: &[
            ("label_selector", Some("None")),
            ("field_selector", Some("None")),
            ("limit", Some("100")),
        ],
        rules: &[Rule {
            group: "events.k8s.io",
            resource: "events",
            verbs: &["list"],
        }],
        handler: handler!(get_events),
    }]
}
