//! What the runner tells the outside world while it runs. The console, the
//! log file and native controls (tracing) are consumers of this one
//! stream; the runner does not know who listens.

use chaos_pyvalue::{Map, Value};

use crate::journal::Status;
use crate::strategy::{Dry, HypothesisStrategy, RollbackStrategy};

/// Which part of the run an activity belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The steady-state hypothesis before the method.
    Before,
    /// The continuous hypothesis, during the method.
    During,
    /// The method.
    Method,
    /// The steady-state hypothesis after the method.
    After,
    /// The rollbacks.
    Rollbacks,
}

/// Something that happened during a run.
#[derive(Debug)]
pub enum Event<'a> {
    /// The run begins (after configuration and secrets are loaded).
    RunStarted {
        /// The substituted title.
        title: &'a str,
        /// The hypothesis strategy in force.
        hypothesis: HypothesisStrategy,
        /// The rollback strategy in force.
        rollbacks: RollbackStrategy,
        /// The dry mode, if any.
        dry: Option<Dry>,
    },
    /// A steady-state hypothesis check begins.
    HypothesisStarted {
        /// Before, during or after.
        phase: Phase,
        /// The hypothesis title.
        title: &'a str,
    },
    /// A steady-state hypothesis check ended.
    HypothesisFinished {
        /// Before, during or after.
        phase: Phase,
        /// Whether every probe was within tolerance.
        met: bool,
        /// The name of the last probe run when not met.
        last_probe: Option<&'a str>,
    },
    /// The experiment has no hypothesis (or it was skipped).
    NoHypothesis {
        /// Why.
        reason: &'a str,
    },
    /// The method begins.
    MethodStarted {
        /// Number of method entries.
        count: usize,
    },
    /// The method ended (however it ended).
    MethodFinished,
    /// Rollbacks begin.
    RollbacksStarted {
        /// Number of rollback entries.
        count: usize,
    },
    /// Rollbacks ended (however they ended).
    RollbacksFinished,
    /// Rollbacks are not played.
    RollbacksSkipped {
        /// Why (the strategy and the run's state).
        reason: String,
    },
    /// An activity begins (after its before-pause).
    ActivityStarted {
        /// Tells this execution of the activity from any other in the run.
        id: u64,
        /// Where it runs.
        phase: Phase,
        /// `probe` or `action`.
        kind: &'a str,
        /// Its name.
        name: &'a str,
        /// Whether it runs in the background.
        background: bool,
    },
    /// An activity ended; `record` is its journal record.
    ActivityFinished {
        /// The id its `ActivityStarted` had.
        id: u64,
        /// Where it ran.
        phase: Phase,
        /// The run record (status, output, exception, duration, tolerance_met).
        record: &'a Map<String, Value>,
        /// The tolerance it was checked against, for hypothesis probes.
        tolerance: Option<&'a Value>,
    },
    /// A pause before or after an activity.
    Pause {
        /// Seconds.
        seconds: f64,
        /// Whether the pause is skipped (dry modes).
        skipped: bool,
    },
    /// Something the user should know that does not stop the run.
    Warning(String),
    /// A detail for the log file and `--verbose`.
    Debug(String),
    /// The run is being interrupted.
    Interrupted {
        /// What interrupted it (`SIGINT`, `SIGTERM`, ...).
        cause: String,
    },
    /// The run ended.
    RunFinished {
        /// Final status.
        status: Status,
        /// Whether the steady state deviated after the method.
        deviated: bool,
        /// Wall-clock seconds.
        duration: f64,
    },
}

/// A consumer of run events.
pub trait Observer: Send + Sync {
    /// Called for each event, in order, from the runner's tasks.
    fn on(&self, event: &Event<'_>);
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {
    fn on(&self, _event: &Event<'_>) {}
}
