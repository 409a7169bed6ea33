//! The registry decides, in one place, which driver runs a provider: a
//! `python` function with a native implementation goes to the native
//! driver unless its module is forced through Python.

use std::sync::Arc;

use chaos_drivers::{ActivityError, Call, Driver, Registry};
use chaos_experiment::{ProviderCheck, ProviderIssue, ProviderItem};
use chaos_pyvalue::{Map, Value};
use futures::future::BoxFuture;

/// A native driver claiming one Python function.
struct Native;

impl Driver for Native {
    fn provider_type(&self) -> &'static str {
        "native"
    }
    fn check(&self, _: &Map<String, Value>, name: &str, _: &str) -> Vec<ProviderIssue> {
        vec![ProviderIssue {
            at: chaos_experiment::DocPath::root(),
            message: format!("checked natively: {name}"),
            hint: None,
        }]
    }
    fn execute<'a>(&'a self, _: Call<'a>) -> BoxFuture<'a, Result<Value, ActivityError>> {
        Box::pin(async { Ok(Value::from("native")) })
    }
    fn python_functions(&self) -> Vec<(String, String)> {
        vec![("ext.pod.probes".into(), "count".into())]
    }
}

fn python(module: &str, func: &str) -> Map<String, Value> {
    serde_json::json!({"type": "python", "module": module, "func": func})
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn a_python_function_with_a_native_implementation_goes_to_the_native_driver() {
    let registry = Registry::builtin().with_driver(Arc::new(Native));
    let routed = |m, f| registry.driver_for(&python(m, f)).unwrap().provider_type();
    assert_eq!(routed("ext.pod.probes", "count"), "native");
    assert_eq!(routed("ext.pod.probes", "other"), "python");
    assert_eq!(routed("ext.pod", "count"), "python");
    let own = serde_json::json!({"type": "native", "func": "count"});
    assert_eq!(
        registry
            .driver_for(own.as_object().unwrap())
            .unwrap()
            .provider_type(),
        "native"
    );
}

#[test]
fn forcing_a_module_sends_it_and_its_submodules_through_python() {
    for forced in ["ext", "ext.pod", "ext.pod.probes"] {
        let registry = Registry::builtin()
            .with_driver(Arc::new(Native))
            .force_python([forced.to_string()]);
        assert_eq!(
            registry
                .driver_for(&python("ext.pod.probes", "count"))
                .unwrap()
                .provider_type(),
            "python",
            "forced by {forced}"
        );
    }
    let registry = Registry::builtin()
        .with_driver(Arc::new(Native))
        .force_python(["ex".to_string()]);
    assert_eq!(
        registry
            .driver_for(&python("ext.pod.probes", "count"))
            .unwrap()
            .provider_type(),
        "native",
        "a prefix that is not a module does not force"
    );
}

#[test]
fn validation_asks_the_driver_that_will_run_the_activity() {
    let registry = Registry::builtin().with_driver(Arc::new(Native));
    let routed = python("ext.pod.probes", "count");
    let items = [ProviderItem {
        provider_type: "python",
        provider: &routed,
        activity_name: "probe-1",
        kind: "probe",
    }];
    let answers = registry.check_all(&items);
    assert_eq!(answers[0][0].message, "checked natively: probe-1");
}
