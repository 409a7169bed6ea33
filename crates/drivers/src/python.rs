//! The `python` provider. Python functions run through a bridge to a real
//! interpreter, which is not part of this build yet: validation says so
//! clearly instead of failing later.

use chaos_experiment::ProviderIssue;
use chaos_pyvalue::{Map, Value};
use futures::future::BoxFuture;

use crate::{issue, ActivityError, Call, Driver};

/// The `python` driver (placeholder until the Python bridge lands).
pub struct PythonDriver;

/// What a user reads when an experiment needs Python.
pub const NOT_AVAILABLE: &str =
    "python activities are not supported by this build of chaos yet (the Python bridge is coming)";

impl Driver for PythonDriver {
    fn provider_type(&self) -> &'static str {
        "python"
    }

    fn check(
        &self,
        provider: &Map<String, Value>,
        activity_name: &str,
        kind: &str,
    ) -> Vec<ProviderIssue> {
        if !provider.get("module").is_some_and(chaos_pyvalue::py_truthy) {
            return vec![issue(
                &["module"],
                "a Python activity must have a module path",
                Some("set `module` to a dotted module name, e.g. \"os.path\""),
            )];
        }
        if !provider.get("func").is_some_and(chaos_pyvalue::py_truthy) {
            return vec![issue(
                &["func"],
                "a Python activity must have a function name",
                Some("set `func` to the function to call"),
            )];
        }
        let module = provider
            .get("module")
            .map(chaos_pyvalue::py_str)
            .unwrap_or_default();
        vec![issue(
            &[],
            format!("{NOT_AVAILABLE}: cannot call '{module}' in {kind} '{activity_name}'"),
            Some("use the Python Chaos Toolkit for this experiment for now, or replace the activity with a process or http provider"),
        )]
    }

    fn execute<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<Value, ActivityError>> {
        let module = call
            .provider
            .get("module")
            .map(chaos_pyvalue::py_str)
            .unwrap_or_default();
        Box::pin(async move {
            Err(ActivityError::aborted(format!(
                "{NOT_AVAILABLE}: cannot call '{module}'"
            )))
        })
    }
}
