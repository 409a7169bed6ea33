//! Safeguards, the run's brake: `chaosaddons.controls.safeguards` natively.
//!
//! The control's `probes` are checked against their tolerances: those
//! with neither `frequency` nor `background` before anything runs, those
//! with `background: true` once as soon as the run starts, those with a
//! `frequency` again and again, every `frequency` seconds, until the method
//! is over. The first probe out of tolerance stops the run at once: the
//! running activities are cancelled, the rollbacks are played (whatever the
//! strategy: restoring the system is what a brake is for), and the journal
//! names the guard (`safeguard`, with its output and tolerance).
//!
//! Where this differs from chaostoolkit-addons 0.11 (listed in the README):
//! the reference lets a failed pre-check race the first activities (its
//! barrier opens before the verdict), checks a repeating probe only after
//! sleeping `frequency` seconds, interrupts as SIGUSR1 does (rollbacks per
//! strategy, so none under the default one) and names the guard only in
//! its log.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chaos_drivers::issue;
use chaos_engine::controls::native::{Hook, NativeControl, RunHandle, Setup, SetupError, Verdict};
use chaos_engine::controls::Level;
use chaos_experiment::ProviderIssue;
use chaos_pyvalue::{py_str, py_truthy, Map, Value};
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

/// The module path experiments declare.
pub const MODULE: &str = "chaosaddons.controls.safeguards";

/// The addons' companion control, whose only job was to silence
/// safeguards once the experiment is over; native safeguards stop by
/// themselves then, so it has nothing to do.
pub const SYNCHRONIZATION: &str = "chaosaddons.controls.synchronization";

/// A safeguards control for one declaration.
pub fn make(_provider: &Map<String, Value>) -> Arc<dyn NativeControl> {
    Arc::new(Safeguards::default())
}

/// The synchronization control: nothing to do natively.
pub fn make_synchronization(_provider: &Map<String, Value>) -> Arc<dyn NativeControl> {
    struct Nothing;
    impl NativeControl for Nothing {}
    Arc::new(Nothing)
}

#[derive(Default)]
struct Safeguards {
    run: Mutex<Option<RunHandle>>,
    stop: CancellationToken,
    fired: Arc<AtomicBool>,
}

/// When a guard is checked.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Before the run starts.
    PreCheck,
    /// Once, in the background.
    Once,
    /// Every so many seconds.
    Every(f64),
}

fn kind(probe: &Map<String, Value>) -> Kind {
    let frequency = probe.get("frequency").filter(|f| py_truthy(f));
    match frequency.and_then(Value::as_f64) {
        Some(f) if f > 0.0 => Kind::Every(f),
        _ if probe.get("background").is_some_and(py_truthy) => Kind::Once,
        _ => Kind::PreCheck,
    }
}

impl NativeControl for Safeguards {
    fn configure<'a>(&'a self, setup: Setup<'a>) -> BoxFuture<'a, Result<(), SetupError>> {
        *self.run.lock().unwrap_or_else(|e| e.into_inner()) = Some(setup.run);
        Box::pin(async { Ok(()) })
    }

    fn hook<'a>(&'a self, hook: Hook<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            if hook.level != Level::Experiment {
                return Verdict::Continue;
            }
            if !hook.before {
                self.stop.cancel();
                return Verdict::Continue;
            }
            let Some(run) = self.run.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
                return Verdict::Continue;
            };
            let probes: Vec<Map<String, Value>> = hook
                .arguments
                .get("probes")
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(|p| p.as_object().cloned()).collect())
                .unwrap_or_default();
            let mut pre_checks = Vec::new();
            for probe in probes {
                match kind(&probe) {
                    Kind::PreCheck => pre_checks.push(probe),
                    other => {
                        let guard = Guard {
                            run: run.clone(),
                            fired: self.fired.clone(),
                            probe,
                        };
                        let stop = self.stop.clone();
                        tokio::spawn(async move { guard.watch(other, stop).await });
                    }
                }
            }
            // Pre-checks decide before the first activity starts.
            let checks = pre_checks.into_iter().map(|probe| {
                let guard = Guard {
                    run: run.clone(),
                    fired: self.fired.clone(),
                    probe,
                };
                async move { guard.check().await }
            });
            futures::future::join_all(checks).await;
            Verdict::Continue
        })
    }

    fn cleanup(&self) -> BoxFuture<'_, ()> {
        self.stop.cancel();
        Box::pin(async {})
    }
}

struct Guard {
    run: RunHandle,
    fired: Arc<AtomicBool>,
    probe: Map<String, Value>,
}

impl Guard {
    fn name(&self) -> String {
        self.probe.get("name").map(py_str).unwrap_or_default()
    }

    async fn watch(&self, kind: Kind, stop: CancellationToken) {
        loop {
            if stop.is_cancelled() || self.run.finished() {
                return;
            }
            tokio::select! {
                go_on = self.check() => if !go_on { return },
                _ = stop.cancelled() => return,
            }
            let Kind::Every(seconds) = kind else { return };
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs_f64(seconds.min(1e9))) => {}
                _ = stop.cancelled() => return,
            }
        }
    }

    /// Runs the probe once and brakes when it is out of tolerance; `false`
    /// when this guard is done (it fired, or cannot be checked).
    async fn check(&self) -> bool {
        let name = self.name();
        let run = self.run.run_probe(&self.probe).await;
        if self.run.finished() || self.run.interrupted() {
            return false;
        }
        match run.met {
            Some(true) => true,
            None => {
                self.run.debug(format!(
                    "Safeguard '{name}' failed: its tolerance could not be checked"
                ));
                false
            }
            Some(false) => {
                if self.fired.swap(true, Ordering::SeqCst) {
                    return false;
                }
                let output = run.record.get("output").cloned().unwrap_or(Value::Null);
                let tolerance = self.probe.get("tolerance").cloned().unwrap_or(Value::Null);
                self.run.warn(format!(
                    "Safeguard '{name}' triggered the end of the experiment"
                ));
                let mut detail = Map::new();
                detail.insert("name".into(), Value::from(name.clone()));
                detail.insert("output".into(), output.clone());
                detail.insert("tolerance".into(), tolerance);
                detail.insert("run".into(), Value::Object(run.record));
                self.run.brake(
                    format!(
                        "safeguard '{name}' was out of tolerance (output: {})",
                        chaos_pyvalue::json_dumps(&output)
                    ),
                    "safeguard",
                    Value::Object(detail),
                );
                false
            }
        }
    }
}

/// The addon's `validate_control`: at least one probe, each a probe with a
/// tolerance.
pub fn check(control: &Map<String, Value>) -> Vec<ProviderIssue> {
    let name = control.get("name").map(py_str).unwrap_or_default();
    let probes = control
        .get("provider")
        .and_then(|p| p.get("arguments"))
        .and_then(|a| a.get("probes"));
    let list = match probes {
        Some(Value::Array(list)) if !list.is_empty() => list,
        _ => {
            return vec![issue(
                &["provider", "arguments", "probes"],
                "safeguard control must have at least one probe",
                Some("add `probes:` under the control's `provider.arguments`, each a probe with a `tolerance`"),
            )]
        }
    };
    let mut issues = Vec::new();
    for (i, probe) in list.iter().enumerate() {
        let at = |rest: &[&str]| {
            let mut path = chaos_experiment::DocPath::root()
                .key("provider")
                .key("arguments")
                .key("probes")
                .index(i);
            for k in rest {
                path = path.key(k);
            }
            path
        };
        let probe_name = probe.get("name").map(py_str).unwrap_or_default();
        let kind = probe.get("type").map(py_str).unwrap_or_default();
        if kind != "probe" {
            issues.push(ProviderIssue {
                at: at(&["type"]),
                message: format!(
                    "safeguard control '{name}' should be of type 'probe' not '{kind}'"
                ),
                hint: Some("safeguards are probes: `type: probe`".into()),
            });
        }
        if probe.get("tolerance").is_none() {
            issues.push(ProviderIssue {
                at: at(&[]),
                message: format!(
                    "safeguard control is invalid as the probe '{probe_name}' is missing a tolerance property"
                ),
                hint: Some("add a `tolerance` the probe's output must meet".into()),
            });
        }
        if probe.get("provider").and_then(Value::as_object).is_none() && probe.get("ref").is_none()
        {
            issues.push(ProviderIssue {
                at: at(&["provider"]),
                message: format!("probe '{probe_name}' has no provider"),
                hint: Some("give the probe a `provider` mapping".into()),
            });
        }
    }
    issues
}
