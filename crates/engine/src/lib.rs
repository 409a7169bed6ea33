//! Runs a validated experiment: the **run** step of the flow.
//!
//! It owns the strategies (hypothesis, rollbacks, dry modes), the execution
//! of activities through the drivers, tolerances, background activities, the
//! continuous hypothesis, interruptions by signal, and the journal. It emits
//! [`events::Event`]s for whoever reports; it does not print anything itself.

pub mod controls;
pub mod dynamic;
pub mod events;
pub mod interrupt;
pub mod journal;
mod pyre;
mod runner;
pub mod strategy;
pub mod tolerance;

pub use events::{Event, Observer, Phase};
pub use interrupt::{Cause, Effect, Interrupts};
pub use journal::Status;
pub use runner::{run, Outcome, Plan};
pub use strategy::{Dry, HypothesisStrategy, RollbackStrategy, RunSettings};
