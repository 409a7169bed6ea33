//! Signals and what they mean for a run.
//!
//! The first SIGINT, SIGTERM or SIGUSR1 stops the running activities (their
//! process groups included), and the run goes on to the rollbacks its
//! strategy asks for. A signal that lands while rollbacks run lets them
//! finish (the reference drops them); a second one stops them at once.
//! SIGUSR2 is the reference's "exit ungracefully": no rollbacks at all.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

/// Which signal interrupted the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Ctrl-C.
    Sigint,
    /// `kill`.
    Sigterm,
    /// The reference's `exit_gracefully()`.
    Sigusr1,
    /// The reference's `exit_ungracefully()`: no rollbacks.
    Sigusr2,
    /// `--max-duration` or a control.
    Requested,
}

impl Cause {
    /// The signal's name.
    pub fn name(self) -> &'static str {
        match self {
            Cause::Sigint => "SIGINT",
            Cause::Sigterm => "SIGTERM",
            Cause::Sigusr1 => "SIGUSR1",
            Cause::Sigusr2 => "SIGUSR2",
            Cause::Requested => "an interruption request",
        }
    }
}

/// The interruption state shared by a run's tasks.
#[derive(Default)]
pub struct Interrupts {
    run: CancellationToken,
    rollbacks: CancellationToken,
    count: AtomicUsize,
    in_rollbacks: AtomicBool,
    cause: Mutex<Option<Cause>>,
    /// Why a brake (`--max-duration`, a safeguard) stopped the run.
    brake: Mutex<Option<String>>,
}

/// What a signal did, for the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The run is being interrupted.
    Interrupting,
    /// Rollbacks are running and will finish; another signal stops them.
    RollbacksContinue,
    /// Rollbacks are being stopped.
    RollbacksStopped,
}

impl Interrupts {
    /// A fresh state, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Cancelled when the run is interrupted.
    pub fn run_token(&self) -> CancellationToken {
        self.run.clone()
    }

    /// Cancelled when rollbacks must stop at once.
    pub fn rollback_token(&self) -> CancellationToken {
        self.rollbacks.clone()
    }

    /// Whether the run has been interrupted.
    pub fn interrupted(&self) -> bool {
        self.run.is_cancelled() || self.cause().is_some()
    }

    /// The first cause, if interrupted.
    pub fn cause(&self) -> Option<Cause> {
        *self.cause.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the start of rollbacks.
    pub fn enter_rollbacks(&self) {
        self.in_rollbacks.store(true, Ordering::SeqCst);
    }

    /// Records a signal and applies its effect.
    pub fn signal(&self, cause: Cause) -> Effect {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        {
            let mut c = self.cause.lock().unwrap_or_else(|e| e.into_inner());
            if c.is_none() {
                *c = Some(cause);
            }
        }
        if self.in_rollbacks.load(Ordering::SeqCst) {
            if n >= 2 || cause == Cause::Sigusr2 {
                self.rollbacks.cancel();
                Effect::RollbacksStopped
            } else {
                Effect::RollbacksContinue
            }
        } else {
            self.run.cancel();
            Effect::Interrupting
        }
    }

    /// Stops the run as a brake does: like a signal, but the rollbacks are
    /// played under the default strategy (restoring the system is the
    /// point of a brake), and the journal says why (`interruption`).
    pub fn brake(&self, why: impl Into<String>) -> Effect {
        {
            let mut b = self.brake.lock().unwrap_or_else(|e| e.into_inner());
            if b.is_none() {
                *b = Some(why.into());
            }
        }
        self.signal(Cause::Requested)
    }

    /// Why a brake stopped the run, if one did.
    pub fn brake_reason(&self) -> Option<String> {
        self.brake.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether rollbacks must be skipped whatever the strategy (SIGUSR2).
    pub fn skip_rollbacks(&self) -> bool {
        self.cause() == Some(Cause::Sigusr2)
    }
}

/// Listens for SIGINT, SIGTERM, SIGUSR1 and SIGUSR2 until dropped, feeding
/// them to `interrupts` and reporting each effect through `report`.
pub fn listen(
    interrupts: Arc<Interrupts>,
    report: impl Fn(Cause, Effect) + Send + 'static,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    listen_with(move |cause| {
        let effect = interrupts.signal(cause);
        report(cause, effect);
    })
}

/// Listens for the same signals and hands each to `handle` (a command that
/// runs several experiments sends it to the one running at the time).
pub fn listen_with(
    handle: impl Fn(Cause) + Send + 'static,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut usr2 = signal(SignalKind::user_defined2())?;
    Ok(tokio::spawn(async move {
        loop {
            let cause = tokio::select! {
                Some(()) = int.recv() => Cause::Sigint,
                Some(()) = term.recv() => Cause::Sigterm,
                Some(()) = usr1.recv() => Cause::Sigusr1,
                Some(()) = usr2.recv() => Cause::Sigusr2,
                else => break,
            };
            handle(cause);
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_signal_interrupts_the_run() {
        let i = Interrupts::new();
        assert_eq!(i.signal(Cause::Sigterm), Effect::Interrupting);
        assert!(i.run_token().is_cancelled());
        assert_eq!(i.cause(), Some(Cause::Sigterm));
    }

    #[test]
    fn a_signal_during_rollbacks_lets_them_finish_and_a_second_stops_them() {
        let i = Interrupts::new();
        i.enter_rollbacks();
        assert_eq!(i.signal(Cause::Sigint), Effect::RollbacksContinue);
        assert!(!i.rollback_token().is_cancelled());
        assert_eq!(i.signal(Cause::Sigint), Effect::RollbacksStopped);
        assert!(i.rollback_token().is_cancelled());
    }

    #[test]
    fn after_an_interrupted_method_one_more_signal_stops_rollbacks() {
        let i = Interrupts::new();
        i.signal(Cause::Sigint);
        i.enter_rollbacks();
        assert_eq!(i.signal(Cause::Sigint), Effect::RollbacksStopped);
    }
}
