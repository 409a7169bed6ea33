//! Run settings: dry modes and the hypothesis and rollback strategies.

use std::fmt;
use std::str::FromStr;

/// `--dry` modes (spec §6.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dry {
    /// Probes are not run.
    Probes,
    /// Actions are not run.
    Actions,
    /// Nothing is run.
    Activities,
    /// Everything runs; pauses are skipped.
    Pause,
}

impl Dry {
    /// The flag's word.
    pub fn as_str(self) -> &'static str {
        match self {
            Dry::Probes => "probes",
            Dry::Actions => "actions",
            Dry::Activities => "activities",
            Dry::Pause => "pause",
        }
    }
}

impl FromStr for Dry {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "probes" => Dry::Probes,
            "actions" => Dry::Actions,
            "activities" => Dry::Activities,
            "pause" => Dry::Pause,
            other => return Err(format!("unknown dry mode '{other}'")),
        })
    }
}

/// When the steady-state hypothesis is checked (spec §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HypothesisStrategy {
    /// Before and after the method.
    Default,
    /// Before only.
    BeforeMethodOnly,
    /// After only.
    AfterMethodOnly,
    /// Continuously during the method only.
    DuringMethodOnly,
    /// Before, continuously during, and after.
    Continuously,
    /// Never.
    Skip,
}

impl HypothesisStrategy {
    /// Checked before the method?
    pub fn before(self) -> bool {
        matches!(
            self,
            Self::Default | Self::BeforeMethodOnly | Self::Continuously
        )
    }
    /// Checked during the method?
    pub fn during(self) -> bool {
        matches!(self, Self::DuringMethodOnly | Self::Continuously)
    }
    /// Checked after the method?
    pub fn after(self) -> bool {
        matches!(
            self,
            Self::Default | Self::AfterMethodOnly | Self::Continuously
        )
    }
}

impl FromStr for HypothesisStrategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "default" => Self::Default,
            "before-method-only" => Self::BeforeMethodOnly,
            "after-method-only" => Self::AfterMethodOnly,
            "during-method-only" => Self::DuringMethodOnly,
            "continuously" | "continously" => Self::Continuously,
            "skip" => Self::Skip,
            other => return Err(format!("Unknown strategy '{other}'")),
        })
    }
}

/// The reference logs its internal value: `continuous` for `continuously`.
impl fmt::Display for HypothesisStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Default => "default",
            Self::BeforeMethodOnly => "before-method-only",
            Self::AfterMethodOnly => "after-method-only",
            Self::DuringMethodOnly => "during-method-only",
            Self::Continuously => "continuous",
            Self::Skip => "skip",
        })
    }
}

/// When rollbacks are played (spec §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackStrategy {
    /// Unless the run failed or was interrupted.
    Default,
    /// Always.
    Always,
    /// Never.
    Never,
    /// Only when the steady state deviated.
    Deviated,
}

impl FromStr for RollbackStrategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "default" => Self::Default,
            "always" => Self::Always,
            "never" => Self::Never,
            "deviated" => Self::Deviated,
            other => return Err(format!("Unknown rollback strategy '{other}'")),
        })
    }
}

impl fmt::Display for RollbackStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Default => "default",
            Self::Always => "always",
            Self::Never => "never",
            Self::Deviated => "deviated",
        })
    }
}

/// Everything about *how* to run, decided before the run.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Dry mode.
    pub dry: Option<Dry>,
    /// Hypothesis strategy.
    pub hypothesis: HypothesisStrategy,
    /// Rollback strategy.
    pub rollbacks: RollbackStrategy,
    /// Seconds between continuous hypothesis checks.
    pub frequency: f64,
    /// Stop the method at the first continuous miss.
    pub fail_fast: bool,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            dry: None,
            hypothesis: HypothesisStrategy::Default,
            rollbacks: RollbackStrategy::Default,
            frequency: 1.0,
            fail_fast: false,
        }
    }
}
