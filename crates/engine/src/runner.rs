//! The run itself (spec §2.4, §2.5, §6): hypothesis, method, continuous
//! hypothesis, background activities, rollbacks, and the journal they fill.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use chaos_drivers::{ActivityError, Call, Registry, RequestTracing};
use chaos_pyvalue::{py_str, py_truthy, substitute, Chain, Map, Value};
use tokio_util::sync::CancellationToken;

use crate::controls::native::{
    Hook, NativeControl, NativeControls, ProbeRun, RunAccess, RunHandle, Setup, SetupError, Verdict,
};
use crate::controls::{controls_for, declared, experiment_controls, Control, Level};
use crate::events::{Event, Observer, Phase};
use crate::interrupt::Interrupts;
use crate::journal::{self, Status};
use crate::strategy::{Dry, RollbackStrategy, RunSettings};
use crate::tolerance::{within_tolerance, Check};

/// What the runner needs: the experiment and its resolved data.
pub struct Plan {
    /// The experiment, as loaded (keys in order).
    pub experiment: Map<String, Value>,
    /// Loaded configuration.
    pub configuration: Map<String, Value>,
    /// Loaded secrets.
    pub secrets: Map<String, Value>,
    /// How to run.
    pub settings: RunSettings,
    /// Controls from the settings file and `--control-file`.
    pub global_controls: Vec<Control>,
    /// The settings document, as controls receive it.
    pub settings_document: Value,
    /// The controls served natively, by Python module path.
    pub native_controls: NativeControls,
}

/// A finished run.
pub struct Outcome {
    /// The journal, ready to be written.
    pub journal: Value,
    /// Final status.
    pub status: Status,
    /// Whether the steady state deviated.
    pub deviated: bool,
}

/// Why execution stopped early.
#[derive(Debug, Clone)]
enum Halt {
    /// An unexpected error: the method is aborted (the reference crashes
    /// in the hypothesis and rollbacks; we abort cleanly there too).
    Abort(String),
    /// A signal.
    Interrupted,
}

/// Which list an activity's record goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Runs {
    None,
    Method,
    Rollbacks,
}

#[derive(Default)]
struct JournalState {
    status: Option<Status>,
    deviated: bool,
    before: Option<Value>,
    after: Option<Value>,
    during: Vec<Value>,
    run: Vec<Map<String, Value>>,
    rollbacks: Vec<Map<String, Value>>,
    errors: Vec<String>,
    unplayed_rollbacks: Vec<String>,
    /// Entries native controls add to the journal (`safeguard`, ...).
    extra: Map<String, Value>,
}

struct Ctx {
    experiment: Map<String, Value>,
    cache: HashMap<String, Place>,
    data: Mutex<Data>,
    settings: RunSettings,
    settings_document: Value,
    globals: Vec<Control>,
    top: Vec<Control>,
    registry: Registry,
    observer: Arc<dyn Observer>,
    interrupts: Arc<Interrupts>,
    state: Mutex<JournalState>,
    /// The method as controls leave it.
    live_method: Mutex<Vec<Value>>,
    /// Whether the continuous hypothesis may start activities at any moment.
    continuous_running: AtomicBool,
    /// Native controls by declared name.
    natives: Vec<(String, Arc<dyn NativeControl>)>,
    /// The id of the next activity execution.
    next_activity: AtomicU64,
    /// The method is over (rollbacks, if any, are next).
    method_over: AtomicBool,
}

impl Ctx {
    /// The values experiment-, method- and rollback-level hooks receive: the
    /// experiment as `context`. Empty when no control is declared, sparing
    /// a copy of the whole experiment at each level of every run.
    fn experiment_context(&self) -> Map<String, Value> {
        let mut values = Map::new();
        if self.any_top_or_global() {
            values.insert("context".into(), Value::Object(self.experiment.clone()));
        }
        values
    }

    fn any_top_or_global(&self) -> bool {
        !(self.globals.is_empty() && self.top.is_empty())
    }

    fn native(&self, name: &str) -> Option<&Arc<dyn NativeControl>> {
        self.natives.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    fn request_tracing(&self, activity: u64) -> Option<Arc<dyn RequestTracing>> {
        self.natives
            .iter()
            .find_map(|(_, c)| c.request_tracing(activity))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, JournalState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn status(&self) -> Option<Status> {
        self.state().status
    }

    fn set_status(&self, s: Status) {
        self.state().status = Some(s);
    }

    /// The configuration and secrets as they are now (controls may change them).
    fn data(&self) -> Data {
        self.data.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn warn(&self, message: String) {
        self.observer.on(&Event::Warning(message));
    }

    /// The activity a `ref` names.
    fn referenced(&self, name: &str) -> Option<&Map<String, Value>> {
        fn list(v: Option<&Value>) -> Option<&Vec<Value>> {
            v.and_then(Value::as_array)
        }
        let element = match *self.cache.get(name)? {
            Place::Method(i) => list(self.experiment.get("method"))?.get(i)?,
            Place::Probe(i) => list(self.hypothesis()?.get("probes"))?.get(i)?,
        };
        element.as_object()
    }

    fn hypothesis(&self) -> Option<&Map<String, Value>> {
        self.experiment
            .get("steady-state-hypothesis")
            .and_then(Value::as_object)
    }
}

/// Configuration and secrets, shared cheaply by the activities that read them.
#[derive(Clone, Default)]
struct Data {
    configuration: Arc<Map<String, Value>>,
    secrets: Arc<Map<String, Value>>,
}

impl Data {
    /// Where `${name}` is looked up: configuration, then each secret scope.
    fn lookup(&self) -> Chain<'_> {
        let mut maps = vec![&*self.configuration];
        for scope in self.secrets.values() {
            if let Value::Object(m) = scope {
                maps.push(m);
            }
        }
        Chain(maps)
    }

    fn is_empty(&self) -> bool {
        self.configuration.is_empty() && self.secrets.is_empty()
    }
}

/// Runs an experiment to its end and returns the journal. Interruptions
/// arrive through `interrupts`; events go to `observer`.
pub async fn run(
    plan: Plan,
    registry: Registry,
    observer: Arc<dyn Observer>,
    interrupts: Arc<Interrupts>,
) -> Outcome {
    let started = Instant::now();
    let start_iso = journal::now_iso();
    let mut experiment = plan.experiment;
    let mut plan_configuration = plan.configuration;
    // What drivers start for the run (declared proxies) before anything runs.
    let begun = registry.begin_run(&experiment).await;
    let begin_error = match begun {
        Ok(added) => {
            plan_configuration.extend(added);
            None
        }
        Err(e) => Some(e),
    };

    let lookup_maps = {
        let mut maps = vec![plan_configuration.clone()];
        for scope in plan.secrets.values() {
            if let Value::Object(m) = scope {
                maps.push(m.clone());
            }
        }
        maps
    };
    if let Some(title) = experiment.get("title").cloned() {
        let chain = Chain(lookup_maps.iter().collect());
        experiment.insert("title".into(), substitute(&title, &chain));
    }
    experiment.insert(
        "dry".into(),
        plan.settings
            .dry
            .map(|d| Value::String(d.as_str().into()))
            .unwrap_or(Value::Null),
    );
    let mut snapshot = experiment.clone();
    journal::mask_secrets(&mut snapshot);

    let cache = activity_cache(&experiment);
    let top = declared(experiment.get("controls"));
    let mut natives: Vec<(String, Arc<dyn NativeControl>)> = Vec::new();
    {
        let mut seen = HashSet::new();
        for c in plan
            .global_controls
            .iter()
            .chain(experiment_controls(&experiment).iter())
        {
            if seen.insert(c.name.clone()) {
                if let Some(native) = plan.native_controls.make(&c.provider()) {
                    natives.push((c.name.clone(), native));
                }
            }
        }
    }
    let observer: Arc<dyn Observer> = if natives.is_empty() {
        observer
    } else {
        Arc::new(Tee {
            inner: observer,
            natives: natives.iter().map(|(_, n)| n.clone()).collect(),
        })
    };
    let live_method = experiment
        .get("method")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ctx = Arc::new(Ctx {
        experiment,
        cache,
        data: Mutex::new(Data {
            configuration: Arc::new(plan_configuration),
            secrets: Arc::new(plan.secrets),
        }),
        settings_document: plan.settings_document,
        globals: plan.global_controls,
        top,
        settings: plan.settings,
        registry,
        observer,
        interrupts,
        state: Mutex::new(JournalState::default()),
        continuous_running: AtomicBool::new(false),
        live_method: Mutex::new(live_method),
        natives,
        next_activity: AtomicU64::new(1),
        method_over: AtomicBool::new(false),
    });

    let title = ctx.experiment.get("title").map(py_str).unwrap_or_default();
    ctx.observer.on(&Event::RunStarted {
        title: &title,
        hypothesis: ctx.settings.hypothesis,
        rollbacks: ctx.settings.rollbacks,
        dry: ctx.settings.dry,
    });

    let with_ssh = ctx
        .hypothesis()
        .and_then(|h| h.get("probes"))
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    if !with_ssh {
        ctx.observer.on(&Event::NoHypothesis {
            reason: "No steady state hypothesis defined. That's ok, just exploring.",
        });
    } else if ctx.settings.hypothesis == crate::strategy::HypothesisStrategy::Skip {
        ctx.observer.on(&Event::NoHypothesis {
            reason: "Skipping Steady-State Hypothesis as requested",
        });
    }

    let refused = lifecycle(&ctx, "configure_control").await;
    let continuous_stop = CancellationToken::new();
    let mut continuous: Option<tokio::task::JoinHandle<()>> = None;
    let main = match begin_error.or(refused) {
        Some(message) => Err(Halt::Abort(message)),
        None => main_block(&ctx, with_ssh, &continuous_stop, &mut continuous).await,
    };
    continuous_stop.cancel();
    if let Some(handle) = continuous.take() {
        let _ = handle.await;
    }
    ctx.method_over.store(true, Ordering::SeqCst);
    match main {
        Ok(()) => {}
        Err(Halt::Interrupted) => ctx.set_status(Status::Interrupted),
        Err(Halt::Abort(message)) => {
            ctx.warn(format!(
                "Experiment ran into an unexpected fatal error, aborting now: {message}"
            ));
            let mut st = ctx.state();
            st.status = Some(Status::Aborted);
            st.errors.push(message);
        }
    }
    if ctx.interrupts.interrupted() {
        ctx.set_status(Status::Interrupted);
    }

    rollbacks(&ctx).await;
    let undone = ctx.registry.end_run().await;

    let end_iso = journal::now_iso();
    let duration = started.elapsed().as_secs_f64();
    let (status, deviated) = {
        let mut st = ctx.state();
        let status = *st.status.get_or_insert(Status::Completed);
        (status, st.deviated)
    };
    ctx.observer.on(&Event::RunFinished {
        status,
        deviated,
        duration,
    });

    let st = std::mem::take(&mut *ctx.state());
    let mut j = Map::new();
    j.insert(
        "chaoslib-version".into(),
        Value::from(journal::CHAOSLIB_VERSION),
    );
    j.insert("platform".into(), Value::from(journal::platform()));
    j.insert("node".into(), Value::from(journal::node()));
    // The reference's journal holds the experiment by reference: method
    // entries added by controls while it ran show in it.
    let live_method = {
        let mut live = ctx.live_method.lock().unwrap_or_else(|e| e.into_inner());
        if ctx.globals.is_empty() && ctx.top.is_empty() {
            // Nothing plays from it any more, and no after-experiment hook
            // will read it: take it rather than copy it.
            std::mem::take(&mut *live)
        } else {
            live.clone()
        }
    };
    if snapshot
        .get("method")
        .and_then(Value::as_array)
        .is_some_and(|m| *m != live_method)
    {
        snapshot.insert("method".into(), Value::Array(live_method));
    }
    j.insert("experiment".into(), Value::Object(snapshot));
    j.insert("start".into(), Value::from(start_iso));
    j.insert("status".into(), Value::from(status.as_str()));
    j.insert("deviated".into(), Value::Bool(deviated));
    let mut ss = Map::new();
    ss.insert("before".into(), st.before.unwrap_or(Value::Null));
    ss.insert("after".into(), st.after.unwrap_or(Value::Null));
    ss.insert("during".into(), Value::Array(st.during));
    j.insert("steady_states".into(), Value::Object(ss));
    j.insert(
        "run".into(),
        Value::Array(st.run.into_iter().map(Value::Object).collect()),
    );
    j.insert(
        "rollbacks".into(),
        Value::Array(st.rollbacks.into_iter().map(Value::Object).collect()),
    );
    j.insert("end".into(), Value::from(end_iso));
    j.insert("duration".into(), Value::from(duration));
    if !st.errors.is_empty() {
        j.insert(
            "errors".into(),
            Value::Array(st.errors.into_iter().map(Value::String).collect()),
        );
    }
    if !st.unplayed_rollbacks.is_empty() {
        j.insert(
            "unplayed_rollbacks".into(),
            Value::Array(
                st.unplayed_rollbacks
                    .into_iter()
                    .map(Value::String)
                    .collect(),
            ),
        );
    }
    j.extend(undone);
    j.extend(st.extra);
    if let Some(why) = ctx.interrupts.brake_reason() {
        j.insert("interruption".into(), Value::from(why));
    }
    j.insert(
        "chaos-version".into(),
        Value::from(env!("CARGO_PKG_VERSION")),
    );
    // After-experiment controls see the journal and may change it; what
    // they raise is swallowed, as in the reference.
    let mut journal = Value::Object(j);
    if ctx.any_top_or_global() {
        let mut values = Map::new();
        values.insert("context".into(), Value::Object(ctx.experiment.clone()));
        values.insert("state".into(), journal.clone());
        let _ = hooks(&ctx, Level::Experiment, false, &ctx.top, &mut values).await;
        if let Some(Value::Object(changed)) = values.remove("state") {
            journal = Value::Object(changed);
        }
    }
    lifecycle(&ctx, "cleanup_control").await;
    Outcome {
        journal,
        status,
        deviated,
    }
}

async fn main_block(
    ctx: &Arc<Ctx>,
    with_ssh: bool,
    continuous_stop: &CancellationToken,
    continuous: &mut Option<tokio::task::JoinHandle<()>>,
) -> Result<(), Halt> {
    let mut values = ctx.experiment_context();
    hooks(ctx, Level::Experiment, true, &ctx.top, &mut values).await?;
    // A brake applied by a before-experiment control (a safeguard's
    // pre-check) stops the run before its first step.
    if ctx.interrupts.interrupted() {
        return Err(Halt::Interrupted);
    }
    let strategy = ctx.settings.hypothesis;
    if with_ssh && strategy.before() {
        let state = hypothesis(ctx, Phase::Before).await;
        let (met, any_failed, state_value) = match &state {
            Ok(s) | Err((_, Some(s))) => (s.met, s.any_failed, Some(s.to_value())),
            Err((_, None)) => (false, false, None),
        };
        ctx.state().before = state_value;
        if let Err((halt, _)) = state {
            return Err(halt);
        }
        if !met {
            ctx.set_status(if any_failed {
                Status::Failed
            } else {
                Status::Completed
            });
            return Ok(());
        }
    }
    if with_ssh && strategy.during() {
        let c = ctx.clone();
        let stop = continuous_stop.clone();
        ctx.continuous_running
            .store(true, std::sync::atomic::Ordering::SeqCst);
        *continuous = Some(tokio::spawn(async move {
            continuous_hypothesis(c.clone(), stop).await;
            c.continuous_running
                .store(false, std::sync::atomic::Ordering::SeqCst);
        }));
        // Let the first iteration start before the method, as the reference's thread does.
        tokio::task::yield_now().await;
    }
    let method_completed = method(ctx).await?;
    continuous_stop.cancel();
    if let Some(handle) = continuous.take() {
        let _ = handle.await;
    }
    let status = ctx.status();
    if !matches!(status, Some(Status::Interrupted) | Some(Status::Aborted))
        && with_ssh
        && method_completed
        && strategy.after()
    {
        let state = hypothesis(ctx, Phase::After).await;
        let (met, any_failed, state_value) = match &state {
            Ok(s) | Err((_, Some(s))) => (s.met, s.any_failed, Some(s.to_value())),
            Err((_, None)) => (false, false, None),
        };
        ctx.state().after = state_value;
        if let Err((halt, _)) = state {
            return Err(halt);
        }
        if !met {
            let mut st = ctx.state();
            st.deviated = true;
            st.status = Some(if any_failed {
                Status::Failed
            } else {
                Status::Completed
            });
        }
    }
    if ctx.interrupts.interrupted() {
        return Err(Halt::Interrupted);
    }
    Ok(())
}

/// A hypothesis check's state, as the journal's `steady_states` entries.
struct HypothesisState {
    /// The state as after-hypothesis controls left it, when they changed it.
    changed_by_controls: Option<Value>,
    met: bool,
    any_failed: bool,
    probes: Vec<Map<String, Value>>,
}

impl HypothesisState {
    fn to_value(&self) -> Value {
        if let Some(v) = &self.changed_by_controls {
            return v.clone();
        }
        let mut m = Map::new();
        m.insert("steady_state_met".into(), Value::Bool(self.met));
        m.insert(
            "probes".into(),
            Value::Array(self.probes.iter().cloned().map(Value::Object).collect()),
        );
        Value::Object(m)
    }
}

type HypothesisResult = Result<HypothesisState, (Halt, Option<HypothesisState>)>;

/// The state after-hypothesis hooks get when the check did not finish: the
/// reference's state dict as it was when the exception flew.
fn partial_hypothesis_state(probes: &[Map<String, Value>]) -> Value {
    let mut m = Map::new();
    m.insert("steady_state_met".into(), Value::Null);
    m.insert(
        "probes".into(),
        Value::Array(probes.iter().cloned().map(Value::Object).collect()),
    );
    Value::Object(m)
}

async fn hypothesis(ctx: &Arc<Ctx>, phase: Phase) -> HypothesisResult {
    let Some(ssh) = ctx.hypothesis() else {
        return Ok(HypothesisState {
            met: true,
            any_failed: false,
            probes: Vec::new(),
            changed_by_controls: None,
        });
    };
    let title = ssh.get("title").map(py_str).unwrap_or_default();
    let local_controls = declared(ssh.get("controls"));
    let mut values = Map::new();
    values.insert("context".into(), Value::Object(ssh.clone()));
    if let Err(h) = hooks(ctx, Level::Hypothesis, true, &local_controls, &mut values).await {
        // The after hooks run all the same, with the state as it is, as
        // the reference's `finally` runs them.
        values.insert("state".into(), partial_hypothesis_state(&[]));
        let h = hooks(ctx, Level::Hypothesis, false, &local_controls, &mut values)
            .await
            .err()
            .unwrap_or(h);
        return Err((h, None));
    }
    ctx.observer.on(&Event::HypothesisStarted {
        phase,
        title: &title,
    });
    let probes = ssh
        .get("probes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut state = HypothesisState {
        met: true,
        any_failed: false,
        probes: Vec::new(),
        changed_by_controls: None,
    };
    let mut last_probe: Option<String> = None;
    for element in &probes {
        let executed = match execute_activity(ctx, element, Runs::None, phase, false).await {
            Ok(r) => r,
            Err((halt, record)) => {
                if let Some(r) = record {
                    state.probes.push(r);
                }
                state.met = false;
                values.insert("state".into(), partial_hypothesis_state(&state.probes));
                let halt = hooks(ctx, Level::Hypothesis, false, &local_controls, &mut values)
                    .await
                    .err()
                    .unwrap_or(halt);
                return Err((halt, Some(state)));
            }
        };
        let id = executed.id;
        let mut record = executed.record.unwrap_or_default();
        last_probe = record
            .get("activity")
            .and_then(|a| a.get("name"))
            .map(py_str);
        let tolerance = element.get("tolerance").cloned().unwrap_or(Value::Null);
        if record.get("status").and_then(Value::as_str) == Some("failed") {
            record.insert("tolerance_met".into(), Value::Bool(false));
            state.met = false;
            state.any_failed = true;
            ctx.warn(
                "Probe terminated unexpectedly, so its tolerance could not be validated".into(),
            );
            ctx.observer.on(&Event::ActivityFinished {
                id,
                phase,
                record: &record,
                tolerance: Some(&tolerance),
            });
            state.probes.push(record);
            break;
        }
        // A probe a control skipped (a person, at the prompt) is not
        // checked: its tolerance says nothing about a value never read.
        let skip_check = executed.skipped
            || matches!(ctx.settings.dry, Some(Dry::Probes) | Some(Dry::Activities));
        let met = if skip_check {
            true
        } else {
            let output = record.get("output").cloned().unwrap_or(Value::Null);
            match check_tolerance(ctx, &tolerance, &output).await {
                Ok(m) => m,
                Err(halt) => {
                    record.insert("tolerance_met".into(), Value::Bool(false));
                    ctx.observer.on(&Event::ActivityFinished {
                        id,
                        phase,
                        record: &record,
                        tolerance: Some(&tolerance),
                    });
                    state.probes.push(record);
                    state.met = false;
                    return Err((halt, Some(state)));
                }
            }
        };
        record.insert("tolerance_met".into(), Value::Bool(met));
        ctx.observer.on(&Event::ActivityFinished {
            id,
            phase,
            record: &record,
            tolerance: Some(&tolerance),
        });
        state.probes.push(record);
        if !met {
            state.met = false;
            break;
        }
    }
    ctx.observer.on(&Event::HypothesisFinished {
        phase,
        met: state.met,
        last_probe: last_probe.as_deref(),
    });
    values.insert("state".into(), state.to_value());
    let outcome = hooks(ctx, Level::Hypothesis, false, &local_controls, &mut values).await;
    if let Some(v) = values.remove("state") {
        if v != state.to_value() {
            state.changed_by_controls = Some(v);
        }
    }
    match outcome {
        Ok(_) => Ok(state),
        Err(h) => Err((h, Some(state))),
    }
}

async fn check_tolerance(ctx: &Arc<Ctx>, tolerance: &Value, output: &Value) -> Result<bool, Halt> {
    let data = ctx.data();
    let lookup = data.lookup();
    match within_tolerance(tolerance, output, &lookup) {
        Ok(Check::Done(met)) => Ok(met),
        Ok(Check::Probe(probe)) => {
            let name = probe.get("name").map(py_str).unwrap_or_default();
            let provider = probe
                .get("provider")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let exclusive = !ctx
                .continuous_running
                .load(std::sync::atomic::Ordering::SeqCst);
            match run_provider(
                ctx,
                &provider,
                &name,
                true,
                exclusive,
                ctx.interrupts.run_token(),
                None,
            )
            .await
            {
                Ok(v) => Ok(crate::tolerance::probe_result_met(&v)),
                Err(ActivityError::Failed { .. } | ActivityError::Refused { .. }) => Ok(false),
                Err(ActivityError::Aborted { message }) => Err(Halt::Abort(message)),
                Err(ActivityError::Cancelled) => Err(Halt::Interrupted),
            }
        }
        Err(e) => Err(Halt::Abort(format!(
            "the tolerance could not be checked: {e}"
        ))),
    }
}

async fn run_provider(
    ctx: &Arc<Ctx>,
    provider: &Map<String, Value>,
    activity_name: &str,
    has_tolerance: bool,
    exclusive: bool,
    cancel: CancellationToken,
    tracing: Option<Arc<dyn RequestTracing>>,
) -> Result<Value, ActivityError> {
    let ptype = provider.get("type").map(py_str).unwrap_or_default();
    let Some(driver) = ctx.registry.driver_for(provider) else {
        return Err(ActivityError::aborted(format!(
            "unknown provider type '{ptype}'"
        )));
    };
    let observer = ctx.observer.clone();
    let warn = move |m: String| observer.on(&Event::Warning(m));
    let data = ctx.data();
    driver
        .execute(Call {
            provider,
            activity_name,
            has_tolerance,
            configuration: &data.configuration,
            secrets: &data.secrets,
            cancel,
            warn: &warn,
            exclusive,
            tracing,
        })
        .await
}

/// One activity, done.
struct Executed {
    /// Its id in the run's events.
    id: u64,
    /// The record, for hypothesis probes (the others are in the journal).
    record: Option<Map<String, Value>>,
    /// A control skipped it.
    skipped: bool,
}

/// Executes one activity (spec §2.4). Method and rollback records go
/// straight into the journal state (they must be there from the start, as
/// the reference appends them when an activity starts); hypothesis records
/// are returned. On a halt, the hypothesis record made so far (without
/// `status`) comes with the error.
async fn execute_activity(
    ctx: &Arc<Ctx>,
    element: &Value,
    runs: Runs,
    phase: Phase,
    in_background: bool,
) -> Result<Executed, (Halt, Option<Map<String, Value>>)> {
    let cancel = if runs == Runs::Rollbacks {
        ctx.interrupts.rollback_token()
    } else {
        ctx.interrupts.run_token()
    };
    if cancel.is_cancelled() {
        return Err((Halt::Interrupted, None));
    }
    static NO_ACTIVITY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let resolved: &Map<String, Value> = match element.get("ref") {
        Some(r) if py_truthy(r) => {
            let name = py_str(r);
            match ctx.referenced(&name) {
                Some(a) => a,
                None => {
                    return Err((
                        Halt::Abort(format!("could not find referenced activity '{name}'")),
                        None,
                    ))
                }
            }
        }
        _ => element
            .as_object()
            .unwrap_or_else(|| NO_ACTIVITY.get_or_init(Map::new)),
    };
    let mut activity = std::borrow::Cow::Borrowed(resolved);
    let local_controls = declared(activity.get("controls"));
    let with_controls = ctx.any_top_or_global() || !local_controls.is_empty();
    let mut skipped_by = None;
    if with_controls {
        // Before-activity controls may change the activity for this run.
        let mut values = Map::new();
        values.insert("context".into(), Value::Object(resolved.clone()));
        match hooks(ctx, Level::Activity, true, &local_controls, &mut values).await {
            Ok(skip) => skipped_by = skip,
            Err(h) => {
                let h = after_activity_hooks(ctx, &mut values, Value::Null, &local_controls)
                    .await
                    .err()
                    .unwrap_or(h);
                return Err((h, None));
            }
        }
        if let Some(Value::Object(changed)) = values.remove("context") {
            if changed != *resolved {
                activity = std::borrow::Cow::Owned(changed);
            }
        }
    }
    let kind = activity.get("type").map(py_str).unwrap_or_default();
    let name = activity.get("name").map(py_str).unwrap_or_default();
    if let Some(why) = &skipped_by {
        // Recorded as the reference records an activity it does not run (a
        // dry one), with `dry: true` on the activity to show it.
        ctx.warn(format!("{} '{name}' skipped: {why}", title_word(&kind)));
        activity.to_mut().insert("dry".into(), Value::Bool(true));
    }
    // A `dry` key written in the experiment matches no mode in the reference,
    // so it turns dry mode off for that activity.
    let dry = if activity.contains_key("dry") {
        None
    } else {
        ctx.settings.dry
    };
    let is_dry = skipped_by.is_some()
        || match dry {
            Some(Dry::Actions) => kind == "action",
            Some(Dry::Probes) => kind == "probe",
            Some(Dry::Activities) => true,
            Some(Dry::Pause) | None => false,
        };
    let skip_pauses = is_dry || dry == Some(Dry::Pause);
    let pauses = activity
        .get("pauses")
        .map(|p| substitute(p, &ctx.data().lookup()))
        .unwrap_or(Value::Null);

    let activity_value = || Value::Object(activity.clone().into_owned());
    if let Some(before) = pauses.get("before").filter(|v| py_truthy(v)) {
        if let Err(h) = pause(ctx, before, skip_pauses, &cancel).await {
            let h = if with_controls {
                let mut values = Map::new();
                values.insert("context".into(), activity_value());
                after_activity_hooks(ctx, &mut values, Value::Null, &local_controls)
                    .await
                    .err()
                    .unwrap_or(h)
            } else {
                h
            };
            return Err((h, None));
        }
    }

    let id = ctx.next_activity.fetch_add(1, Ordering::Relaxed);
    ctx.observer.on(&Event::ActivityStarted {
        id,
        phase,
        kind: &kind,
        name: &name,
        background: in_background,
    });
    let started = Instant::now();
    let mut record = Map::new();
    record.insert(
        "activity".into(),
        Value::Object(activity.clone().into_owned()),
    );
    record.insert("output".into(), Value::Null);
    record.insert("start".into(), Value::from(journal::now_iso()));
    let mut slot = RecordSlot::open(ctx, runs, record);

    let result = if is_dry {
        Ok(Value::Null)
    } else {
        match activity.get("provider").and_then(Value::as_object) {
            Some(provider) => {
                run_provider(
                    ctx,
                    provider,
                    &name,
                    activity.contains_key("tolerance"),
                    !in_background && !ctx.continuous_running.load(Ordering::SeqCst),
                    cancel.clone(),
                    ctx.request_tracing(id),
                )
                .await
            }
            None => Err(ActivityError::aborted(format!(
                "activity '{name}' has no provider"
            ))),
        }
    };
    let mut failed_message = None;
    // A refused action of the method stops the run once it is recorded.
    let mut refusal = None;
    let result = match result {
        Err(ActivityError::Refused { message }) => {
            if runs == Runs::Method && kind == "action" {
                refusal = Some(format!(
                    "action '{name}' was refused, so its fault was never injected: {message}"
                ));
            }
            Err(ActivityError::failed(message))
        }
        other => other,
    };
    let halt = match result {
        Ok(output) => {
            slot.edit(ctx, |r| {
                r.insert("output".into(), output);
                r.insert("status".into(), Value::from("succeeded"));
            });
            None
        }
        Err(ActivityError::Failed { message, causes }) => {
            let mut lines: Vec<Value> = causes
                .into_iter()
                .map(|c| Value::String(format!("{c}\n")))
                .collect();
            if !lines.is_empty() {
                lines.push(Value::from(
                    "\nDuring handling of the above exception, another exception occurred:\n\n",
                ));
            }
            lines.push(Value::String(format!(
                "chaoslib.exceptions.ActivityFailed: {message}\n"
            )));
            slot.edit(ctx, |r| {
                r.insert("status".into(), Value::from("failed"));
                r.insert("exception".into(), Value::Array(lines));
            });
            failed_message = Some(message);
            None
        }
        Err(ActivityError::Aborted { message }) => Some(Halt::Abort(message)),
        // Already turned into `Failed` above.
        Err(ActivityError::Refused { message }) => Some(Halt::Abort(message)),
        Err(ActivityError::Cancelled) => Some(Halt::Interrupted),
    };
    let halt = halt.or(refusal.map(Halt::Abort));
    let end = journal::now_iso();
    let duration = started.elapsed().as_secs_f64();
    slot.edit(ctx, |r| {
        r.insert("end".into(), Value::from(end));
        r.insert("duration".into(), Value::from(duration));
    });
    if let Some(message) = failed_message {
        ctx.warn(format!("  => failed: {message}"));
    }
    if runs != Runs::None {
        slot.edit(ctx, |r| {
            ctx.observer.on(&Event::ActivityFinished {
                id,
                phase,
                record: r,
                tolerance: None,
            })
        });
    }
    let halt = match halt {
        Some(h) => Some(h),
        None => match pauses.get("after").filter(|v| py_truthy(v)) {
            Some(after) => pause(ctx, after, skip_pauses, &cancel).await.err(),
            None => None,
        },
    };
    if with_controls {
        // After-activity controls see (and may change) the run record; when
        // the activity raised, they still run, with no record, as the
        // reference's `finally` runs them.
        let mut values = Map::new();
        values.insert("context".into(), activity_value());
        let state = if halt.is_some() {
            Value::Null
        } else {
            Value::Object(slot.edit(ctx, |r| r.clone()))
        };
        let outcome = after_activity_hooks(ctx, &mut values, state, &local_controls).await;
        if halt.is_none() {
            if let Some(Value::Object(changed)) = values.remove("state") {
                slot.edit(ctx, |r| *r = changed);
            }
        }
        if let Err(h) = outcome {
            return Err((h, slot.close()));
        }
    }
    if let Some(halt) = halt {
        return Err((halt, slot.close()));
    }
    Ok(Executed {
        id,
        record: slot.close(),
        skipped: skipped_by.is_some(),
    })
}

/// After-activity hooks, with `state` (the record, or `null` when the
/// activity raised).
async fn after_activity_hooks(
    ctx: &Arc<Ctx>,
    values: &mut Map<String, Value>,
    state: Value,
    local_controls: &[Control],
) -> Result<(), Halt> {
    values.insert("state".into(), state);
    hooks(ctx, Level::Activity, false, local_controls, values)
        .await
        .map(|_| ())
}

fn title_word(kind: &str) -> String {
    let mut c = kind.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Where an activity's record lives while it runs.
enum RecordSlot {
    /// A hypothesis probe's record, kept here.
    Local(Map<String, Value>),
    /// A method or rollback record, already in the journal state.
    Stored(Runs, usize),
}

impl RecordSlot {
    fn open(ctx: &Ctx, runs: Runs, record: Map<String, Value>) -> Self {
        let mut st = ctx.state();
        let list = match runs {
            Runs::None => return RecordSlot::Local(record),
            Runs::Method => &mut st.run,
            Runs::Rollbacks => &mut st.rollbacks,
        };
        list.push(record);
        RecordSlot::Stored(runs, list.len() - 1)
    }

    fn edit<R>(&mut self, ctx: &Ctx, f: impl FnOnce(&mut Map<String, Value>) -> R) -> R {
        match self {
            RecordSlot::Local(r) => f(r),
            RecordSlot::Stored(runs, index) => {
                let mut st = ctx.state();
                let list = match runs {
                    Runs::Rollbacks => &mut st.rollbacks,
                    _ => &mut st.run,
                };
                // Records are only ever appended, so the index stays valid.
                f(&mut list[*index])
            }
        }
    }

    fn close(self) -> Option<Map<String, Value>> {
        match self {
            RecordSlot::Local(r) => Some(r),
            RecordSlot::Stored(..) => None,
        }
    }
}

async fn pause(
    ctx: &Arc<Ctx>,
    value: &Value,
    skipped: bool,
    cancel: &CancellationToken,
) -> Result<(), Halt> {
    let seconds = match value {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        other if skipped => {
            let _ = other;
            0.0
        }
        other => {
            return Err(Halt::Abort(format!(
                "a pause must be a number of seconds, not {} ({})",
                chaos_pyvalue::py_type_name(other),
                chaos_pyvalue::py_repr(other)
            )))
        }
    };
    ctx.observer.on(&Event::Pause { seconds, skipped });
    if skipped || !seconds.is_finite() || seconds <= 0.0 {
        return Ok(());
    }
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs_f64(seconds.min(1e9))) => Ok(()),
        _ = cancel.cancelled() => Err(Halt::Interrupted),
    }
}

/// Runs the method (spec §6.5). `Ok(false)` when it was aborted.
async fn method(ctx: &Arc<Ctx>) -> Result<bool, Halt> {
    let count = ctx
        .live_method
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .len();
    ctx.observer.on(&Event::MethodStarted { count });
    let mut values = ctx.experiment_context();
    let mut halt = match hooks(ctx, Level::Method, true, &ctx.top, &mut values).await {
        Ok(_) => {
            play(ctx, Elements::LiveMethod, Runs::Method, Phase::Method)
                .await
                .0
        }
        Err(h) => Some(h),
    };
    // The after hooks run however the method ended, as the reference's
    // `finally` runs them; one that raises replaces what stopped it.
    ctx.observer.on(&Event::MethodFinished);
    if let Err(h) = runs_hooks(ctx, Level::Method, values).await {
        halt = Some(h);
    }
    match halt {
        None => Ok(true),
        Some(Halt::Interrupted) => Err(Halt::Interrupted),
        Some(Halt::Abort(message)) => {
            ctx.warn(format!(
                "Experiment ran into an unexpected fatal error, aborting now: {message}"
            ));
            let mut st = ctx.state();
            st.status = Some(Status::Aborted);
            st.errors.push(message);
            Ok(false)
        }
    }
}

/// What `play` goes through.
#[derive(Clone, Copy)]
enum Elements<'a> {
    /// A list that does not change (rollbacks).
    Fixed(&'a [Value]),
    /// The experiment's method, as controls leave it.
    LiveMethod,
}

/// Plays a list of activities in order, background ones concurrently;
/// returns the halt that stopped it, and how many elements were started.
async fn play(
    ctx: &Arc<Ctx>,
    elements: Elements<'_>,
    runs: Runs,
    phase: Phase,
) -> (Option<Halt>, usize) {
    let mut background = tokio::task::JoinSet::new();
    let mut halt = None;
    let mut started = 0;
    loop {
        // The method is read afresh at each step: controls may add to it
        // while it runs (the addons' `repeat` does).
        let next = match elements {
            Elements::Fixed(list) => list.get(started).cloned(),
            Elements::LiveMethod => ctx
                .live_method
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(started)
                .cloned(),
        };
        let Some(element) = next else { break };
        let element = &element;
        let is_background = element.get("background").is_some_and(py_truthy);
        started += 1;
        if is_background {
            let c = ctx.clone();
            let e = element.clone();
            background.spawn(async move {
                execute_activity(&c, &e, runs, phase, true)
                    .await
                    .err()
                    .map(|(h, _)| h)
            });
        } else if let Err((h, _)) = execute_activity(ctx, element, runs, phase, false).await {
            halt = Some(h);
            break;
        }
        if runs == Runs::Method
            && matches!(
                ctx.status(),
                Some(Status::Aborted) | Some(Status::Failed) | Some(Status::Interrupted)
            )
        {
            break;
        }
        if runs == Runs::Rollbacks && ctx.interrupts.rollback_token().is_cancelled() {
            halt = Some(Halt::Interrupted);
            break;
        }
    }
    while let Some(joined) = background.join_next().await {
        if let Ok(Some(Halt::Interrupted)) = joined {
            halt.get_or_insert(Halt::Interrupted);
        }
    }
    (halt, started)
}

async fn continuous_hypothesis(ctx: Arc<Ctx>, stop: CancellationToken) {
    let frequency = Duration::from_secs_f64(ctx.settings.frequency.clamp(0.0, 1e9));
    loop {
        if stop.is_cancelled()
            || matches!(
                ctx.status(),
                Some(Status::Failed) | Some(Status::Interrupted) | Some(Status::Aborted)
            )
        {
            break;
        }
        match hypothesis(&ctx, Phase::During).await {
            Ok(state) => {
                let met = state.met;
                ctx.state().during.push(state.to_value());
                if !met {
                    let last = state
                        .probes
                        .last()
                        .and_then(|r| r.get("activity"))
                        .and_then(|a| a.get("name"))
                        .map(py_str)
                        .unwrap_or_default();
                    ctx.warn(format!(
                        "Continuous steady state probe '{last}' is not in the given tolerance"
                    ));
                    if ctx.settings.fail_fast {
                        ctx.warn("Terminating immediately the experiment after 100.0% hypothesis deviated".into());
                        ctx.set_status(Status::Failed);
                        break;
                    }
                }
            }
            Err((halt, state)) => {
                if let Some(s) = state {
                    ctx.state().during.push(s.to_value());
                }
                match halt {
                    Halt::Interrupted => ctx.set_status(Status::Interrupted),
                    Halt::Abort(message) => {
                        let mut st = ctx.state();
                        st.status = Some(Status::Aborted);
                        st.errors.push(message);
                    }
                }
                break;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(frequency) => {}
            _ = stop.cancelled() => break,
        }
    }
}

async fn rollbacks(ctx: &Arc<Ctx>) {
    let elements = ctx
        .experiment
        .get("rollbacks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (status, deviated) = {
        let st = ctx.state();
        (st.status, st.deviated)
    };
    if ctx.interrupts.skip_rollbacks() {
        ctx.observer.on(&Event::RollbacksSkipped {
            reason: "Ignoring rollbacks as per signal (SIGUSR2)".into(),
        });
        return;
    }
    let play_them = match ctx.settings.rollbacks {
        RollbackStrategy::Default => {
            ctx.interrupts.brake_reason().is_some()
                || !matches!(status, Some(Status::Failed) | Some(Status::Interrupted))
        }
        RollbackStrategy::Always => true,
        RollbackStrategy::Never => false,
        RollbackStrategy::Deviated => deviated,
    };
    if !play_them {
        let reason = match ctx.settings.rollbacks {
            RollbackStrategy::Never => "Rollbacks were explicitly requested to not be played".to_string(),
            RollbackStrategy::Deviated => "Rollbacks were explicitely requested to be played only if the experiment deviated. Since this is not the case, we will not play them.".to_string(),
            _ => format!(
                "Rollbacks are not played under the default strategy when the run is {} (use --rollback-strategy always to play them)",
                status.map(|s| s.as_str()).unwrap_or("stopped")
            ),
        };
        ctx.observer.on(&Event::RollbacksSkipped { reason });
        return;
    }
    ctx.interrupts.enter_rollbacks();
    ctx.observer.on(&Event::RollbacksStarted {
        count: elements.len(),
    });
    let mut values = ctx.experiment_context();
    let (mut halt, mut started) =
        match hooks(ctx, Level::Rollback, true, &ctx.top, &mut values).await {
            Ok(_) => {
                play(
                    ctx,
                    Elements::Fixed(&elements),
                    Runs::Rollbacks,
                    Phase::Rollbacks,
                )
                .await
            }
            Err(h) => (Some(h), 0),
        };
    ctx.observer.on(&Event::RollbacksFinished);
    if let Err(h) = runs_hooks(ctx, Level::Rollback, values).await {
        if halt.is_none() {
            started = elements.len();
        }
        halt = Some(h);
    }
    match halt {
        None => {}
        Some(Halt::Interrupted) => {
            let mut st = ctx.state();
            st.status = Some(Status::Interrupted);
            // The interrupted rollback (record without status) and those never started.
            let mut unplayed: Vec<String> = st
                .rollbacks
                .iter()
                .filter(|r| !r.contains_key("status"))
                .filter_map(|r| r.get("activity").and_then(|a| a.get("name")).map(py_str))
                .collect();
            unplayed.extend(elements.iter().skip(started).map(element_name));
            st.unplayed_rollbacks = unplayed;
        }
        Some(Halt::Abort(message)) => {
            let mut st = ctx.state();
            if matches!(st.status, None | Some(Status::Completed)) {
                st.status = Some(Status::Aborted);
            }
            st.errors
                .push(format!("a rollback could not run: {message}"));
        }
    }
    if ctx.interrupts.interrupted() {
        ctx.set_status(Status::Interrupted);
    }
}

fn element_name(e: &Value) -> String {
    e.get("name")
        .or_else(|| e.get("ref"))
        .map(py_str)
        .unwrap_or_default()
}

/// Where a named activity sits: in the method or among the hypothesis probes.
#[derive(Clone, Copy)]
enum Place {
    Method(usize),
    Probe(usize),
}

/// Names of method activities then hypothesis probes; later entries win.
fn activity_cache(experiment: &Map<String, Value>) -> HashMap<String, Place> {
    let mut cache = HashMap::new();
    let method = experiment.get("method").and_then(Value::as_array);
    let probes = experiment
        .get("steady-state-hypothesis")
        .and_then(|h| h.get("probes"))
        .and_then(Value::as_array);
    let places = method
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, a)| (a, Place::Method(i)))
        .chain(
            probes
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, a)| (a, Place::Probe(i))),
        );
    for (a, place) in places {
        if let (Some(name), true) = (a.get("name").filter(|n| py_truthy(n)), a.is_object()) {
            cache.insert(py_str(name), place);
        }
    }
    cache
}

/// The named values a hook may receive besides its `context` and `state`.
fn hook_values(ctx: &Ctx, values: &mut Map<String, Value>, settings: Value) {
    let data = ctx.data();
    let mut experiment = ctx.experiment.clone();
    let method = ctx
        .live_method
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    experiment.insert("method".into(), Value::Array(method));
    values.insert("experiment".into(), Value::Object(experiment));
    values.insert(
        "configuration".into(),
        Value::Object((*data.configuration).clone()),
    );
    values.insert("secrets".into(), Value::Object((*data.secrets).clone()));
    values.insert(
        "extensions".into(),
        ctx.experiment
            .get("extensions")
            .cloned()
            .unwrap_or(Value::Null),
    );
    values.insert("settings".into(), settings);
}

/// The settings as before and after hooks get them: the loaded settings
/// file, `null` without one (the reference's `get_loaded_settings() or
/// None`, for every control).
fn hook_settings(ctx: &Ctx) -> Value {
    if chaos_pyvalue::py_truthy(&ctx.settings_document) {
        ctx.settings_document.clone()
    } else {
        Value::Null
    }
}

/// The settings `configure_control` gets: the run's settings for global
/// controls, `null` for the experiment's (as in the reference).
fn configure_settings(ctx: &Ctx, control: &Control) -> Value {
    if control.global {
        ctx.settings_document.clone()
    } else {
        Value::Null
    }
}

/// Takes back what a hook changed: its context and state, configuration and
/// secrets. `Err` when the hook interrupted the run.
fn apply_hook_answer(
    ctx: &Ctx,
    control: &Control,
    hook: &str,
    answer: Map<String, Value>,
    values: &mut Map<String, Value>,
) -> Result<(), Halt> {
    if answer.contains_key("absent") {
        return Ok(());
    }
    if let Some(e) = answer.get("error") {
        ctx.observer.on(&Event::Debug(format!(
            "control '{}' {hook} failed and was skipped: {}",
            control.name,
            py_str(e)
        )));
        return Ok(());
    }
    if let Some(Value::Object(after)) = answer.get("values") {
        for key in ["context", "state"] {
            if let (Some(slot), Some(v)) = (values.get_mut(key), after.get(key)) {
                *slot = v.clone();
            }
        }
        if let Some(Value::Array(method)) = after.get("experiment").and_then(|e| e.get("method")) {
            let mut live = ctx.live_method.lock().unwrap_or_else(|e| e.into_inner());
            if *live != *method {
                *live = method.clone();
            }
        }
        let mut data = ctx.data.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Value::Object(c)) = after.get("configuration") {
            if *data.configuration != *c {
                data.configuration = Arc::new(c.clone());
            }
        }
        if let Some(Value::Object(s)) = after.get("secrets") {
            if *data.secrets != *s {
                data.secrets = Arc::new(s.clone());
            }
        }
    }
    if let Some(message) = answer.get("interrupt") {
        ctx.warn(format!(
            "control '{}' interrupted the experiment: {}",
            control.name,
            py_str(message)
        ));
        ctx.interrupts.signal(crate::interrupt::Cause::Requested);
        return Err(Halt::Interrupted);
    }
    if let Some(code) = answer.get("exit").and_then(Value::as_i64) {
        ctx.warn(format!("Received the exit signal: {code}"));
        let cause = if code == 30 {
            crate::interrupt::Cause::Sigusr2
        } else {
            crate::interrupt::Cause::Requested
        };
        ctx.interrupts.signal(cause);
        return Err(Halt::Interrupted);
    }
    Ok(())
}

/// Runs the `before_`/`after_<level>_control` hooks that apply, in the
/// reference's order. `values` holds `context` (and `state` after); they
/// come back as the hooks left them. `Ok(Some(why))` when a native control
/// asked to skip the activity.
async fn hooks(
    ctx: &Arc<Ctx>,
    level: Level,
    before: bool,
    local: &[Control],
    values: &mut Map<String, Value>,
) -> Result<Option<String>, Halt> {
    if !ctx.any_top_or_global() && local.is_empty() {
        return Ok(None);
    }
    let hook = level.hook(before);
    let mut skip = None;
    for control in controls_for(level, &ctx.globals, &ctx.top, local)
        .iter()
        .filter(|c| c.in_scope(before))
    {
        let provider = control.provider();
        if provider.get("type").and_then(Value::as_str) != Some("python") {
            continue;
        }
        let data = ctx.data();
        let mut arguments = provider
            .get("arguments")
            .cloned()
            .filter(Value::is_object)
            .unwrap_or_else(|| Value::Object(Map::new()));
        if !data.is_empty() {
            arguments = substitute(&arguments, &data.lookup());
        }
        let arguments = match arguments {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        if let Some(native) = ctx.native(&control.name) {
            let mut context = values.remove("context").unwrap_or(Value::Null);
            let mut state = values.remove("state");
            let verdict = native
                .hook(Hook {
                    level,
                    before,
                    arguments: &arguments,
                    context: &mut context,
                    state: state.as_mut(),
                    configuration: &data.configuration,
                    secrets: &data.secrets,
                })
                .await;
            values.insert("context".into(), context);
            if let Some(state) = state {
                values.insert("state".into(), state);
            }
            match verdict {
                Verdict::Continue => {}
                Verdict::Skip(why) => {
                    if before && level == Level::Activity {
                        skip.get_or_insert(format!("{why} (control '{}')", control.name));
                    }
                }
                Verdict::Interrupt(message) => {
                    ctx.warn(format!(
                        "control '{}' interrupted the experiment: {message}",
                        control.name
                    ));
                    ctx.interrupts.signal(crate::interrupt::Cause::Requested);
                    return Err(Halt::Interrupted);
                }
            }
            continue;
        }
        let module = provider.get("module").map(py_str).unwrap_or_default();
        let mut call_values = values.clone();
        hook_values(ctx, &mut call_values, hook_settings(ctx));
        let answer = ctx
            .registry
            .python()
            .control_hook(&module, &hook, arguments, call_values)
            .await;
        apply_hook_answer(ctx, control, &hook, answer, values)?;
    }
    Ok(skip)
}

/// `configure_control` (first) or `cleanup_control` on the global controls
/// and the experiment's, de-duplicated by name. Their failures never stop
/// the run, except a native control's that says the run must not start:
/// its message is returned.
async fn lifecycle(ctx: &Arc<Ctx>, hook: &str) -> Option<String> {
    let mut all: Vec<Control> = ctx.globals.clone();
    all.extend(experiment_controls(&ctx.experiment));
    let order: Vec<Control> = if hook == "cleanup_control" {
        // Experiment controls are cleaned up before the global ones.
        let (globals, local): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.global);
        local.into_iter().chain(globals).collect()
    } else {
        all
    };
    let mut refused = None;
    for control in order {
        let provider = control.provider();
        if provider.get("type").and_then(Value::as_str) != Some("python") {
            continue;
        }
        let configure = hook == "configure_control";
        let arguments = if configure {
            provider
                .get("arguments")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        } else {
            Map::new()
        };
        if let Some(native) = ctx.native(&control.name) {
            if !configure {
                native.cleanup().await;
                continue;
            }
            let data = ctx.data();
            let settings = configure_settings(ctx, &control);
            let setup = Setup {
                name: &control.name,
                arguments: &arguments,
                experiment: &ctx.experiment,
                configuration: &data.configuration,
                secrets: &data.secrets,
                settings: &settings,
                run: RunHandle(Arc::new(Access(Arc::downgrade(ctx)))),
            };
            match native.configure(setup).await {
                Ok(()) => {}
                Err(SetupError::Logged(e)) => ctx.observer.on(&Event::Warning(format!(
                    "control '{}' could not be configured: {e}",
                    control.name
                ))),
                Err(SetupError::Fatal(e)) => {
                    refused.get_or_insert(format!("control '{}': {e}", control.name));
                }
            }
            continue;
        }
        let module = provider.get("module").map(py_str).unwrap_or_default();
        let mut values = Map::new();
        if configure {
            hook_values(ctx, &mut values, configure_settings(ctx, &control));
        }
        let answer = ctx
            .registry
            .python()
            .control_hook(&module, hook, arguments, values)
            .await;
        if let Some(e) = answer.get("error") {
            ctx.observer.on(&Event::Debug(format!(
                "control '{}' {hook} failed: {}",
                control.name,
                py_str(e)
            )));
        }
    }
    refused
}

/// Sends each event to the console's observer and to the native controls.
struct Tee {
    inner: Arc<dyn Observer>,
    natives: Vec<Arc<dyn NativeControl>>,
}

impl Observer for Tee {
    fn on(&self, event: &Event<'_>) {
        self.inner.on(event);
        for n in &self.natives {
            n.observe(event);
        }
    }
}

/// A native control's hold on its run; it lets go when the run ends.
struct Access(Weak<Ctx>);

impl RunAccess for Access {
    fn run_probe<'a>(
        &'a self,
        probe: &'a Map<String, Value>,
    ) -> futures::future::BoxFuture<'a, ProbeRun> {
        Box::pin(async move {
            match self.0.upgrade() {
                Some(ctx) => guard_probe(&ctx, probe).await,
                None => ProbeRun {
                    record: Map::new(),
                    met: None,
                },
            }
        })
    }

    fn brake(&self, why: String, journal_key: &str, detail: Value) {
        if let Some(ctx) = self.0.upgrade() {
            if ctx.method_over.load(Ordering::SeqCst) {
                return;
            }
            ctx.state().extra.insert(journal_key.to_string(), detail);
            ctx.interrupts.brake(why);
        }
    }

    fn warn(&self, message: String) {
        if let Some(ctx) = self.0.upgrade() {
            ctx.warn(message);
        }
    }

    fn debug(&self, message: String) {
        if let Some(ctx) = self.0.upgrade() {
            ctx.observer.on(&Event::Debug(message));
        }
    }

    fn finished(&self) -> bool {
        self.0
            .upgrade()
            .is_none_or(|ctx| ctx.method_over.load(Ordering::SeqCst))
    }

    fn interrupted(&self) -> bool {
        self.0
            .upgrade()
            .is_none_or(|ctx| ctx.interrupts.interrupted())
    }

    fn interruption(&self) -> CancellationToken {
        match self.0.upgrade() {
            Some(ctx) => ctx.interrupts.run_token(),
            None => {
                let gone = CancellationToken::new();
                gone.cancel();
                gone
            }
        }
    }
}

/// A probe run for a control (a safeguard): resolved, run through the
/// drivers and checked against its tolerance, with no hooks, no events and
/// no place in the journal's lists.
async fn guard_probe(ctx: &Arc<Ctx>, probe: &Map<String, Value>) -> ProbeRun {
    let resolved = match probe.get("ref").filter(|r| py_truthy(r)) {
        Some(r) => ctx.referenced(&py_str(r)).cloned().unwrap_or_default(),
        None => probe.clone(),
    };
    let name = resolved.get("name").map(py_str).unwrap_or_default();
    let mut record = Map::new();
    record.insert("activity".into(), Value::Object(resolved.clone()));
    record.insert("output".into(), Value::Null);
    record.insert("start".into(), Value::from(journal::now_iso()));
    let started = Instant::now();
    let result = match resolved.get("provider").and_then(Value::as_object) {
        Some(provider) => {
            run_provider(
                ctx,
                provider,
                &name,
                true,
                false,
                ctx.interrupts.run_token(),
                None,
            )
            .await
        }
        None => Err(ActivityError::aborted(format!(
            "probe '{name}' has no provider"
        ))),
    };
    let met = match result {
        Ok(output) => {
            record.insert("output".into(), output.clone());
            record.insert("status".into(), Value::from("succeeded"));
            let tolerance = resolved.get("tolerance").cloned().unwrap_or(Value::Null);
            check_tolerance(ctx, &tolerance, &output).await.ok()
        }
        Err(e) => {
            let message = match e {
                ActivityError::Failed { message, .. }
                | ActivityError::Aborted { message }
                | ActivityError::Refused { message } => message,
                ActivityError::Cancelled => "interrupted".to_string(),
            };
            record.insert("status".into(), Value::from("failed"));
            record.insert(
                "exception".into(),
                Value::Array(vec![Value::String(format!(
                    "chaoslib.exceptions.ActivityFailed: {message}\n"
                ))]),
            );
            None
        }
    };
    record.insert("end".into(), Value::from(journal::now_iso()));
    record.insert(
        "duration".into(),
        Value::from(started.elapsed().as_secs_f64()),
    );
    ProbeRun { record, met }
}

/// After-method and after-rollback hooks: their state is the list of run
/// records, which they may change.
async fn runs_hooks(
    ctx: &Arc<Ctx>,
    level: Level,
    mut values: Map<String, Value>,
) -> Result<(), Halt> {
    if !ctx.any_top_or_global() {
        return Ok(());
    }
    let records = {
        let st = ctx.state();
        let list = if level == Level::Rollback {
            &st.rollbacks
        } else {
            &st.run
        };
        Value::Array(list.iter().cloned().map(Value::Object).collect())
    };
    values.insert("state".into(), records);
    let outcome = hooks(ctx, level, false, &ctx.top, &mut values)
        .await
        .map(|_| ());
    if let Some(Value::Array(after)) = values.remove("state") {
        let records: Vec<Map<String, Value>> = after
            .into_iter()
            .filter_map(|r| match r {
                Value::Object(m) => Some(m),
                _ => None,
            })
            .collect();
        let mut st = ctx.state();
        let list = if level == Level::Rollback {
            &mut st.rollbacks
        } else {
            &mut st.run
        };
        *list = records;
    }
    outcome
}
