//! Controls written in Rust, called where the reference calls a Python
//! control's hooks.
//!
//! A native control answers for a Python module path
//! (`chaosaddons.controls.safeguards`, `chaostracing.oltp`, ...): an
//! experiment that declares that module gets the native control, with the
//! same arguments and the same hooks, and no Python. Each declared control
//! (by name) gets its own instance for the run. Besides the reference's
//! hooks, a native control may follow the run's [`Event`]s (tracing does,
//! so that activity spans exclude pauses and hooks, as the reference's run
//! events do) and put the requests of an activity in a trace.

use std::collections::HashMap;
use std::sync::Arc;

use chaos_drivers::RequestTracing;
use chaos_pyvalue::{Map, Value};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::Level;
use crate::events::Event;

/// What a hook tells the run to do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Go on.
    Continue,
    /// Do not run this activity (before-activity hooks only): it is
    /// recorded as the reference records a dry activity.
    Skip(String),
    /// Interrupt the run, as the reference's `InterruptExecution` does.
    Interrupt(String),
}

/// What `configure_control` receives.
pub struct Setup<'a> {
    /// The control's name.
    pub name: &'a str,
    /// `provider.arguments`, not substituted (as in the reference).
    pub arguments: &'a Map<String, Value>,
    /// The experiment.
    pub experiment: &'a Map<String, Value>,
    /// The loaded configuration.
    pub configuration: &'a Map<String, Value>,
    /// The loaded secrets.
    pub secrets: &'a Map<String, Value>,
    /// The settings document (global controls), else `null`.
    pub settings: &'a Value,
    /// What the control may do to the run.
    pub run: RunHandle,
}

/// One `before_`/`after_<level>_control` call.
pub struct Hook<'a> {
    /// The level.
    pub level: Level,
    /// Before or after.
    pub before: bool,
    /// `provider.arguments`, substituted.
    pub arguments: &'a Map<String, Value>,
    /// The activity, hypothesis or experiment; a hook may change it.
    pub context: &'a mut Value,
    /// The after hooks' state (a run record, a hypothesis state, the run
    /// records, the journal); `null` when the step raised.
    pub state: Option<&'a mut Value>,
    /// The loaded configuration.
    pub configuration: &'a Map<String, Value>,
    /// The loaded secrets.
    pub secrets: &'a Map<String, Value>,
}

/// A control implemented natively. Every method has a default that does
/// nothing, so a control implements only the hooks it defines, as a Python
/// module does.
pub trait NativeControl: Send + Sync {
    /// `configure_control`. An error is logged and the control stays, as in
    /// the reference, unless it is [`SetupError::Fatal`].
    fn configure<'a>(&'a self, _setup: Setup<'a>) -> BoxFuture<'a, Result<(), SetupError>> {
        Box::pin(async { Ok(()) })
    }

    /// A before or after hook.
    fn hook<'a>(&'a self, _hook: Hook<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async { Verdict::Continue })
    }

    /// `cleanup_control`.
    fn cleanup(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    /// Each run event, in order, from the first one after `configure`.
    fn observe(&self, _event: &Event<'_>) {}

    /// The tracer for the requests of the activity with this id, if the
    /// control traces them.
    fn request_tracing(&self, _activity: u64) -> Option<Arc<dyn RequestTracing>> {
        None
    }
}

/// Why `configure_control` failed.
#[derive(Debug, Clone, PartialEq)]
pub enum SetupError {
    /// Logged; the run goes on (the reference's behaviour).
    Logged(String),
    /// The run must not start (a human-intervention control with no
    /// terminal to ask on).
    Fatal(String),
}

/// Makes the control for one declaration: its `provider` mapping.
pub type Factory = fn(&Map<String, Value>) -> Arc<dyn NativeControl>;

/// The native controls a run may use, by Python module path.
#[derive(Clone, Default)]
pub struct NativeControls {
    by_module: HashMap<String, Factory>,
}

impl NativeControls {
    /// No native control.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `module` natively.
    pub fn register(&mut self, module: &str, factory: Factory) {
        self.by_module.insert(module.to_string(), factory);
    }

    /// Leaves `module` to Python (`CHAOS_FORCE_PYTHON`).
    pub fn unregister(&mut self, module: &str) {
        self.by_module.remove(module);
    }

    /// Whether `module` is served natively.
    pub fn serves(&self, module: &str) -> bool {
        self.by_module.contains_key(module)
    }

    /// The control for a declaration, if its module is served natively.
    pub fn make(&self, provider: &Map<String, Value>) -> Option<Arc<dyn NativeControl>> {
        if provider.get("type").and_then(Value::as_str) != Some("python") {
            return None;
        }
        let module = provider.get("module").and_then(Value::as_str)?;
        self.by_module.get(module).map(|f| f(provider))
    }

    /// The modules served natively, sorted.
    pub fn modules(&self) -> Vec<&str> {
        let mut m: Vec<&str> = self.by_module.keys().map(String::as_str).collect();
        m.sort_unstable();
        m
    }
}

/// A probe run by a control outside the journal's lists (a safeguard).
#[derive(Debug, Clone)]
pub struct ProbeRun {
    /// The run record, shaped as the journal's.
    pub record: Map<String, Value>,
    /// Whether the output was within the probe's tolerance; `None` when
    /// the probe failed or the tolerance could not be checked.
    pub met: Option<bool>,
}

/// What a native control may do to the run it belongs to. Cheap to clone;
/// it outlives the run harmlessly (its calls then do nothing).
#[derive(Clone)]
pub struct RunHandle(pub(crate) Arc<dyn RunAccess>);

/// The runner's side of a [`RunHandle`].
pub(crate) trait RunAccess: Send + Sync {
    fn run_probe<'a>(&'a self, probe: &'a Map<String, Value>) -> BoxFuture<'a, ProbeRun>;
    fn brake(&self, why: String, journal_key: &str, detail: Value);
    fn warn(&self, message: String);
    fn debug(&self, message: String);
    fn finished(&self) -> bool;
    fn interrupted(&self) -> bool;
    fn interruption(&self) -> CancellationToken;
}

impl RunHandle {
    /// Runs a probe (its `ref` resolved, its provider through the run's
    /// drivers, its output checked against its `tolerance`) without
    /// recording it in the journal's lists.
    pub fn run_probe<'a>(&'a self, probe: &'a Map<String, Value>) -> BoxFuture<'a, ProbeRun> {
        self.0.run_probe(probe)
    }

    /// Stops the run at once as a brake: running activities are cancelled,
    /// the rollbacks are played, `interruption` in the journal says `why`
    /// and `journal_key` holds `detail`.
    pub fn brake(&self, why: String, journal_key: &str, detail: Value) {
        self.0.brake(why, journal_key, detail)
    }

    /// A warning for the console and the log.
    pub fn warn(&self, message: String) {
        self.0.warn(message)
    }

    /// A line for the log file and `--verbose`.
    pub fn debug(&self, message: String) {
        self.0.debug(message)
    }

    /// Whether the method is over: the rollbacks have started or the run
    /// has ended, so there is nothing left for a brake to stop.
    pub fn finished(&self) -> bool {
        self.0.finished()
    }

    /// Whether the run has been interrupted.
    pub fn interrupted(&self) -> bool {
        self.0.interrupted()
    }

    /// Cancelled when the run is interrupted (a control waiting on
    /// something, a person, stops waiting).
    pub fn interruption(&self) -> CancellationToken {
        self.0.interruption()
    }
}
