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

pub mod http;
pub mod process;
pub mod python;

use std::sync::Arc;

use chaos_experiment::{ProviderCheck, ProviderIssue, ProviderItem};
use chaos_pyvalue::{Map, Value};
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

    /// An error that aborts the method.
    pub fn aborted(message: impl Into<String>) -> Self {
        ActivityError::Aborted {
            message: message.into(),
        }
    }
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
}

impl Call<'_> {
    /// True when the reference would substitute arguments: configuration or
    /// secrets is non-empty.
    pub fn substitutes_arguments(&self) -> bool {
        !self.configuration.is_empty() || !self.secrets.is_empty()
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
}

/// The drivers of a run, looked up by provider type.
#[derive(Clone)]
pub struct Registry {
    drivers: Vec<Arc<dyn Driver>>,
    python: Arc<python::PythonDriver>,
}

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
        }
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
        match self.get(provider_type) {
            Some(d) => d.check(provider, activity_name, kind),
            None => Vec::new(),
        }
    }

    fn check_all(&self, items: &[ProviderItem<'_>]) -> Vec<Vec<ProviderIssue>> {
        let mut answers = vec![Vec::new(); items.len()];
        for driver in &self.drivers {
            let (at, mine): (Vec<usize>, Vec<_>) = items
                .iter()
                .enumerate()
                .filter(|(_, i)| i.provider_type == driver.provider_type())
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
        self.python.check_control(control, name)
    }
}

/// A provider issue at `at` below the provider mapping.
pub(crate) fn issue(at: &[&str], message: impl Into<String>, hint: Option<&str>) -> ProviderIssue {
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
