//! The safety monitor: the plan's probes polled at a fixed interval on a
//! thread of their own, through the same drivers an experiment uses, each
//! output checked against its tolerance with the engine's rules. A probe
//! going out of tolerance (or failing to run) is a [`Breach`], reported
//! once when it happens (and again only after it has recovered). This
//! module also plays the plan's rollbacks.

use std::sync::Arc;
use std::time::Duration;

use chaos_drivers::{ActivityError, Call, Registry};
use chaos_engine::tolerance::{within_tolerance, Check};
use chaos_pyvalue::{py_truthy, Map, Value};
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::plan::Activity;

/// A safety probe found out of tolerance.
#[derive(Debug, Clone)]
pub struct Breach {
    /// The probe's name.
    pub probe: String,
    /// When the probe's answer came back.
    pub at: DateTime<Utc>,
    /// Its tolerance.
    pub tolerance: Value,
    /// Its output (`null` when it could not run).
    pub output: Value,
    /// Why it could not run or be checked, if so.
    pub error: Option<String>,
}

/// What the monitor tells the session.
#[derive(Debug, Clone)]
pub enum Event {
    /// A probe went out of tolerance.
    Breach(Breach),
    /// A probe that was out of tolerance is back within it.
    Recovered {
        /// The probe's name.
        probe: String,
        /// When.
        at: DateTime<Utc>,
    },
}

/// The running monitor; dropping it (or [`Monitor::stop`]) stops polling.
pub struct Monitor {
    cancel: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Monitor {
    /// Stops polling and waits for the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.cancel.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Starts polling `probes` every `interval` (the first poll at once);
/// `on_event` is called from the monitor's thread.
pub fn start(
    registry: Arc<Registry>,
    probes: Vec<Activity>,
    interval: Duration,
    on_event: impl Fn(Event) + Send + 'static,
) -> Monitor {
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let thread = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            let mut out = vec![false; probes.len()];
            let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(10)));
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = ticks.tick() => {}
                }
                let checks = probes
                    .iter()
                    .map(|p| check_probe(&registry, p, token.clone()));
                let results = tokio::select! {
                    _ = token.cancelled() => return,
                    r = futures::future::join_all(checks) => r,
                };
                for (i, (probe, result)) in probes.iter().zip(results).enumerate() {
                    match result {
                        Ok(_) if out[i] => {
                            out[i] = false;
                            on_event(Event::Recovered {
                                probe: probe.name.clone(),
                                at: Utc::now(),
                            });
                        }
                        Ok(_) => {}
                        Err(breach) if !out[i] => {
                            out[i] = true;
                            on_event(Event::Breach(breach));
                        }
                        Err(_) => {}
                    }
                }
            }
        });
    });
    Monitor {
        cancel,
        thread: Some(thread),
    }
}

/// Runs one provider block through the drivers.
pub async fn run_provider(
    registry: &Registry,
    name: &str,
    provider: &Map<String, Value>,
    has_tolerance: bool,
    cancel: CancellationToken,
) -> Result<Value, String> {
    let Some(driver) = registry.driver_for(provider) else {
        return Err(format!(
            "no driver for provider type '{}'",
            provider
                .get("type")
                .map(chaos_pyvalue::py_str)
                .unwrap_or_default()
        ));
    };
    let empty = Map::new();
    let warn = |_: String| {};
    let call = Call {
        provider,
        activity_name: name,
        has_tolerance,
        configuration: &empty,
        secrets: &empty,
        cancel,
        warn: &warn,
        exclusive: false,
        tracing: None,
    };
    driver.execute(call).await.map_err(|e| match e {
        ActivityError::Failed { message, .. }
        | ActivityError::Aborted { message }
        | ActivityError::Refused { message } => message,
        ActivityError::Cancelled => "cancelled".into(),
    })
}

/// Runs a probe and checks its tolerance: `Ok(output)` within it, a
/// [`Breach`] otherwise.
pub async fn check_probe(
    registry: &Registry,
    probe: &Activity,
    cancel: CancellationToken,
) -> Result<Value, Breach> {
    let breach = |output: Value, error: Option<String>| Breach {
        probe: probe.name.clone(),
        at: Utc::now(),
        tolerance: probe.tolerance.clone(),
        output,
        error,
    };
    let output = run_provider(registry, &probe.name, &probe.provider, true, cancel.clone())
        .await
        .map_err(|e| breach(Value::Null, Some(e)))?;
    let lookup = Map::new();
    let within = match within_tolerance(&probe.tolerance, &output, &lookup) {
        Ok(Check::Done(b)) => b,
        Ok(Check::Probe(tp)) => {
            let provider = tp
                .get("provider")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            match run_provider(registry, &probe.name, &provider, false, cancel).await {
                Ok(v) => py_truthy(&v),
                Err(e) => return Err(breach(output, Some(format!("tolerance probe: {e}")))),
            }
        }
        Err(e) => return Err(breach(output, Some(e.0))),
    };
    if within {
        Ok(output)
    } else {
        Err(breach(output, None))
    }
}

/// What one rollback did.
#[derive(Debug, Clone)]
pub struct RollbackRun {
    /// The action's name.
    pub name: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: DateTime<Utc>,
    /// Its output, or why it failed.
    pub result: Result<Value, String>,
}

/// Plays `rollbacks` one after the other (a failing one does not stop the
/// others), calling `progress` before each.
pub fn run_rollbacks(
    registry: &Registry,
    rollbacks: &[Activity],
    progress: &dyn Fn(&Activity),
) -> Vec<RollbackRun> {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    rollbacks
        .iter()
        .map(|a| {
            progress(a);
            let started_at = Utc::now();
            let result = rt.block_on(run_provider(
                registry,
                &a.name,
                &a.provider,
                false,
                CancellationToken::new(),
            ));
            RollbackRun {
                name: a.name.clone(),
                started_at,
                ended_at: Utc::now(),
                result,
            }
        })
        .collect()
}
