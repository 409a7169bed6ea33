//! Activity providers behind one [`Driver`] trait, and the [`Registry`] that
//! picks one by provider type.
//!
//! A driver validates its provider block, and executes it with the run's
//! configuration and secrets and a cancellation token, returning a JSON value
//! or an [`ActivityError`]. Drivers know nothing of journals, strategies or
//! controls: the engine owns those.
//!
//! Adding a driver means one module here and one line in
//! [`Registry::builtin`].

#![forbid(unsafe_code)]

pub mod environment;
pub mod http;
pub mod process;
pub mod python;

use std::sync::Arc;

use chaos_experiment::{ProviderCheck, ProviderIssue, ProviderItem};
use chaos_pyvalue::{py_str, Map, Value};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

/// How an activity went wrong, in the three ways the reference tells apart.
#[derive(Debug, Clone, PartialEq)]
pub enum ActivityError {
    /// The reference's `ActivityFailed`: the activity is recorded `failed`
    /// with this message and the run goes on.
    Failed {
        /// The message (`activity took too long to complete`, ...).
        message: String,
        /// What caused it, outermost last, as exception lines (may be empty).
        causes: Vec<String>,
    },
    /// Any other error: the record keeps no status, and the method is
    /// aborted (the reference lets the exception escape).
    Aborted {
        /// What went wrong, already phrased for the user.
        message: String,
    },
    /// The system under test refused the request for lack of permission
    /// (an HTTP 403). Recorded `failed` like [`ActivityError::Failed`]; when
    /// an action of the method is refused the run is aborted, because the
    /// fault was never injected and the verdict would be meaningless (the
    /// reference goes on and reports `completed`; its users asked for this,
    /// chaostoolkit-kubernetes issue 102).
    Refused {
        /// Which permission was missing, on which cluster.
        message: String,
    },
    /// Stopped by the cancellation token (an interrupt).
    Cancelled,
}

impl ActivityError {
    /// A failed activity with no cause chain.
    pub fn failed(message: impl Into<String>) -> Self {
        ActivityError::Failed {
            message: message.into(),
            causes: Vec::new(),
        }
    }

    /// A request refused for lack of permission.
    pub fn refused(message: impl Into<String>) -> Self {
        ActivityError::Refused {
            message: message.into(),
        }
    }

    /// An error that aborts the method.
    pub fn aborted(message: impl Into<String>) -> Self {
        ActivityError::Aborted {
            message: message.into(),
        }
    }
}

/// chaoslib's binding of an activity's arguments to its function's
/// signature, for drivers that serve Python functions natively: a missing
/// required parameter (no default), then an argument the signature does not
/// have, each with chaoslib's words and the parameters as the fix.
/// `accepted` names arguments taken beyond the signature (chaoslib injects
/// `configuration` and `secrets`).
pub fn signature_issues(
    function: &str,
    activity: &str,
    params: &[(&str, Option<&str>)],
    arguments: &Map<String, Value>,
    accepted: &dyn Fn(&str) -> bool,
) -> Vec<ProviderIssue> {
    let takes = || {
        let names: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
        Some(format!("'{function}' takes: {}", names.join(", ")))
    };
    let at = || chaos_experiment::DocPath::root().key("arguments");
    let missing = params
        .iter()
        .filter(|(name, default)| default.is_none() && !arguments.contains_key(*name))
        .map(|(name, _)| ProviderIssue {
            at: at(),
            message: format!("required argument '{name}' is missing from activity '{activity}'"),
            hint: takes(),
        });
    let unknown = arguments
        .keys()
        .filter(|name| !params.iter().any(|(p, _)| p == name) && !accepted(name))
        .map(|name| ProviderIssue {
            at: at(),
            message: format!(
                "argument '{name}' is not part of the function signature in activity '{activity}'"
            ),
            hint: takes(),
        });
    missing.chain(unknown).collect()
}

/// Everything a driver needs to execute one provider block.
pub struct Call<'a> {
    /// The provider mapping as written (drivers substitute what the
    /// reference substitutes).
    pub provider: &'a Map<String, Value>,
    /// The activity's name, for messages.
    pub activity_name: &'a str,
    /// Whether the activity has a `tolerance` key (silences warnings).
    pub has_tolerance: bool,
    /// The loaded configuration.
    pub configuration: &'a Map<String, Value>,
    /// The loaded secrets, scope by scope.
    pub secrets: &'a Map<String, Value>,
    /// Fires when the run is interrupted; the driver stops at once.
    pub cancel: CancellationToken,
    /// Where warnings go (the reference logs them).
    pub warn: &'a (dyn Fn(String) + Send + Sync),
    /// No other activity can start while this one runs (it is not in the
    /// background and no continuous hypothesis is checking), so a driver may
    /// serve it on a fast path that holds other calls back.
    pub exclusive: bool,
    /// Puts the activity's outgoing requests in the run's trace, when a
    /// tracing control is on (the HTTP driver sends `traceparent`).
    pub tracing: Option<Arc<dyn RequestTracing>>,
}

/// A run's tracer as a driver sees it: one client span per outgoing
/// request, under the span of the activity that makes it. It keeps the
/// drivers free of any tracing library.
pub trait RequestTracing: Send + Sync {
    /// Opens the span of one request.
    fn start(&self, method: &str, url: &str) -> Box<dyn RequestSpan>;
}

/// The span of one outgoing request.
pub trait RequestSpan: Send {
    /// Headers that carry the span to the server (`traceparent`, ...).
    fn headers(&self) -> Vec<(String, String)>;
    /// Closes the span with the response's status, or the error.
    fn end(self: Box<Self>, status: Option<u16>, error: Option<&str>);
}

impl Call<'_> {
    /// True when the reference would substitute arguments: configuration or
    /// secrets is non-empty.
    pub fn substitutes_arguments(&self) -> bool {
        !self.configuration.is_empty() || !self.secrets.is_empty()
    }

    /// The provider's `arguments` mapping, substituted as the reference
    /// substitutes them (empty when absent or not a mapping).
    pub fn arguments(&self) -> Map<String, Value> {
        let Some(Value::Object(arguments)) = self.provider.get("arguments") else {
            return Map::new();
        };
        if !self.substitutes_arguments() {
            return arguments.clone();
        }
        match self.substitute(&Value::Object(arguments.clone())) {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// Substitutes `${...}` in `value` against configuration, then each
    /// secret scope.
    pub fn substitute(&self, value: &Value) -> Value {
        chaos_pyvalue::substitute(value, &self.lookup())
    }

    fn lookup(&self) -> chaos_pyvalue::Chain<'_> {
        let mut maps = vec![self.configuration];
        for scope in self.secrets.values() {
            if let Value::Object(m) = scope {
                maps.push(m);
            }
        }
        chaos_pyvalue::Chain(maps)
    }
}

/// One provider type.
pub trait Driver: Send + Sync {
    /// The `provider.type` this driver serves.
    fn provider_type(&self) -> &'static str;

    /// Provider-specific validation rules.
    fn check(
        &self,
        provider: &Map<String, Value>,
        activity_name: &str,
        kind: &str,
    ) -> Vec<ProviderIssue>;

    /// Checks many provider blocks of this driver's type, in order
    /// (`(provider, activity name, kind)`). Drivers that consult another
    /// process override it to do so once.
    fn check_many(&self, items: &[(&Map<String, Value>, &str, &str)]) -> Vec<Vec<ProviderIssue>> {
        items
            .iter()
            .map(|(provider, name, kind)| self.check(provider, name, kind))
            .collect()
    }

    /// Executes the provider.
    fn execute<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<Value, ActivityError>>;

    /// Python functions (`module`, `func`) this driver runs natively: a
    /// `python` activity calling one of them is handed to this driver, with
    /// its provider unchanged, unless the module is forced to Python.
    fn python_functions(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Called once before the run's first activity. A driver that starts
    /// something for the run (the proxies an experiment declares) does it
    /// here and returns configuration entries saying where it is; an error
    /// aborts the run.
    fn begin_run<'a>(
        &'a self,
        _experiment: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Map<String, Value>, String>> {
        Box::pin(async { Ok(Map::new()) })
    }

    /// Called once after the rollbacks, however the run ended (failed,
    /// aborted, interrupted): undoes what the driver still has in place and
    /// returns entries for the journal's top level saying what it undid.
    fn end_run(&self) -> BoxFuture<'_, Map<String, Value>> {
        Box::pin(async { Map::new() })
    }
}

/// Which driver runs a provider: its type's, or, for a `python` provider
/// whose function has a native implementation, the native driver. The
/// [`Registry`] is the one place that decides.
#[derive(Clone, Default)]
struct Routes {
    native: std::collections::HashMap<(String, String), Arc<dyn Driver>>,
    /// Modules (and their submodules) that always go through Python.
    forced: Vec<String>,
}

impl Routes {
    fn native_for(&self, provider: &Map<String, Value>) -> Option<&Arc<dyn Driver>> {
        if self.native.is_empty() {
            return None;
        }
        let module = provider.get("module").and_then(Value::as_str)?;
        let func = provider.get("func").and_then(Value::as_str)?;
        let forced = self
            .forced
            .iter()
            .any(|m| module == m || module.starts_with(&format!("{m}.")));
        if forced {
            return None;
        }
        self.native.get(&(module.to_string(), func.to_string()))
    }
}

/// The drivers of a run, looked up by provider type.
#[derive(Clone)]
pub struct Registry {
    drivers: Vec<Arc<dyn Driver>>,
    python: Arc<python::PythonDriver>,
    routes: Routes,
    native_controls: Vec<(String, ControlCheck)>,
}

/// Checks the declaration of a control served natively (the reference's
/// `validate_control`): its errors, each with the path below the control.
pub type ControlCheck = fn(&Map<String, Value>) -> Vec<ProviderIssue>;

impl Registry {
    /// Every driver built into `chaos`, with default options.
    pub fn builtin() -> Self {
        Self::new(python::PythonOptions::default())
    }

    /// Every driver built into `chaos`; `python` says where its interpreter is.
    pub fn new(python: python::PythonOptions) -> Self {
        let python = Arc::new(python::PythonDriver::new(python));
        Registry {
            drivers: vec![
                Arc::new(process::ProcessDriver::default()),
                Arc::new(http::HttpDriver::default()),
                python.clone(),
            ],
            python,
            routes: Routes::default(),
            native_controls: Vec::new(),
        }
    }

    /// Adds a driver (registration of the drivers that live in their own
    /// crates); the Python functions it implements are routed to it.
    pub fn with_driver(mut self, driver: Arc<dyn Driver>) -> Self {
        for key in driver.python_functions() {
            self.routes.native.insert(key, driver.clone());
        }
        self.drivers.push(driver);
        self
    }

    /// Sends every function of these modules (and their submodules) through
    /// the Python bridge, native implementation or not (setting
    /// `chaos.python.force_modules`, variable `CHAOS_FORCE_PYTHON`).
    pub fn force_python(mut self, modules: impl IntoIterator<Item = String>) -> Self {
        self.routes.forced.extend(
            modules
                .into_iter()
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty()),
        );
        self
    }

    /// The driver that runs `provider`, natively routed or by its type.
    pub fn driver_for(&self, provider: &Map<String, Value>) -> Option<&Arc<dyn Driver>> {
        let ptype = provider.get("type").map(py_str).unwrap_or_default();
        self.route(&ptype, provider)
    }

    /// The decision itself, for validation and runs alike.
    fn route(
        &self,
        provider_type: &str,
        provider: &Map<String, Value>,
    ) -> Option<&Arc<dyn Driver>> {
        match self.routes.native_for(provider) {
            Some(native) if provider_type == "python" => Some(native),
            _ => self.get(provider_type),
        }
    }

    /// Every driver's [`Driver::begin_run`], in registration order; their
    /// configuration entries merged.
    pub async fn begin_run(
        &self,
        experiment: &Map<String, Value>,
    ) -> Result<Map<String, Value>, String> {
        let mut added = Map::new();
        for d in &self.drivers {
            added.extend(d.begin_run(experiment).await?);
        }
        Ok(added)
    }

    /// Every driver's [`Driver::end_run`]; their journal entries merged.
    pub async fn end_run(&self) -> Map<String, Value> {
        let mut entries = Map::new();
        for d in &self.drivers {
            entries.extend(d.end_run().await);
        }
        entries
    }

    /// Serves the control module `module` natively: its declarations are
    /// checked by `check`, not imported in Python.
    pub fn with_native_control(mut self, module: &str, check: ControlCheck) -> Self {
        self.native_controls.push((module.to_string(), check));
        self
    }

    /// The Python bridge's driver (it also runs Python controls).
    pub fn python(&self) -> &Arc<python::PythonDriver> {
        &self.python
    }

    /// The driver for `provider_type`.
    pub fn get(&self, provider_type: &str) -> Option<&Arc<dyn Driver>> {
        self.drivers
            .iter()
            .find(|d| d.provider_type() == provider_type)
    }
}

impl ProviderCheck for Registry {
    fn known_types(&self) -> Vec<String> {
        self.drivers
            .iter()
            .map(|d| d.provider_type().to_string())
            .collect()
    }

    fn check(
        &self,
        provider_type: &str,
        provider: &Map<String, Value>,
        activity_name: &str,
        kind: &str,
    ) -> Vec<ProviderIssue> {
        match self.route(provider_type, provider) {
            Some(d) => d.check(provider, activity_name, kind),
            None => Vec::new(),
        }
    }

    fn check_all(&self, items: &[ProviderItem<'_>]) -> Vec<Vec<ProviderIssue>> {
        let mut answers = vec![Vec::new(); items.len()];
        let routed: Vec<Option<&Arc<dyn Driver>>> = items
            .iter()
            .map(|i| self.route(i.provider_type, i.provider))
            .collect();
        for driver in &self.drivers {
            let (at, mine): (Vec<usize>, Vec<_>) = items
                .iter()
                .enumerate()
                .filter(|(n, _)| routed[*n].is_some_and(|d| Arc::ptr_eq(d, driver)))
                .map(|(n, i)| (n, (i.provider, i.activity_name, i.kind)))
                .unzip();
            if mine.is_empty() {
                continue;
            }
            for (n, issues) in at.into_iter().zip(driver.check_many(&mine)) {
                answers[n] = issues;
            }
        }
        answers
    }

    fn check_control(
        &self,
        control: &Map<String, Value>,
        name: &str,
    ) -> (Vec<ProviderIssue>, Vec<ProviderIssue>) {
        let provider = control.get("provider").and_then(Value::as_object);
        let module = provider
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("python"))
            .and_then(|p| p.get("module"))
            .and_then(Value::as_str);
        if let Some((_, check)) = self
            .native_controls
            .iter()
            .find(|(m, _)| Some(m.as_str()) == module)
        {
            return (check(control), Vec::new());
        }
        self.python.check_control(control, name)
    }
}

/// A provider issue at `at` below the provider mapping.
pub fn issue(at: &[&str], message: impl Into<String>, hint: Option<&str>) -> ProviderIssue {
    let mut path = chaos_experiment::DocPath::root();
    for k in at {
        path = path.key(k);
    }
    ProviderIssue {
        at: path,
        message: message.into(),
        hint: hint.map(str::to_string),
    }
}
