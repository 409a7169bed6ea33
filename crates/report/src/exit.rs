//! Exit codes: what `chaos run` exits with for each [`Outcome`], in the
//! reference's scheme (`default`) and in the test mode for CI
//! (`--exit-codes detailed`). `chaos run` and the reports (JUnit
//! properties) both use these tables, so they always agree.
//!
//! | outcome | default | detailed |
//! |---|---|---|
//! | completed, the steady state held (or there was none) | 0 | 0 |
//! | usage error (clap) | 2 | 2 |
//! | completed, but not in the steady state before the method | **0** | 3 |
//! | deviated | 1 | 4 |
//! | failed (a hypothesis probe errored) | 1 | 5 |
//! | aborted | 1 | 6 |
//! | interrupted (signal, `--max-duration`, a control) | 1 | 7 |
//! | invalid: not loaded or not valid, no journal | 1 | 8 |
//!
//! The detailed codes grow with severity, so a run over several
//! experiments exits with the largest. They avoid 1 (the reference's "some
//! failure"), 20 and 30 (chaoslib's internal exit codes) and 126 and above
//! (the shell's).

use crate::model::Outcome;

/// Which table of exit codes a command uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExitCodes {
    /// The reference's: 0 when completed (even when the steady state was
    /// not met before the method), 1 otherwise, 2 for usage errors.
    #[default]
    Default,
    /// One code per outcome (see the module's table).
    Detailed,
}

/// Usage errors, in both tables (clap's own).
pub const USAGE: u8 = 2;

/// Help text for `--exit-codes`: the table, one line per code.
pub const DETAILED_HELP: &str = "\
0  completed: the steady state held (or there was none)
2  usage error
3  not in its steady state before the method (the method was not run;
   the reference exits 0)
4  deviated: the steady state did not hold after the method
5  failed: a steady-state probe could not run (or the journal could not
   be written)
6  aborted: an unexpected error stopped the run
7  interrupted: a signal, --max-duration or a control stopped the run
8  invalid: the experiment could not be loaded, validated or resolved
With several experiments, the largest code wins.";

impl ExitCodes {
    /// `default` or `detailed`.
    pub fn parse(name: &str) -> Option<ExitCodes> {
        match name {
            "default" => Some(ExitCodes::Default),
            "detailed" => Some(ExitCodes::Detailed),
            _ => None,
        }
    }

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ExitCodes::Default => "default",
            ExitCodes::Detailed => "detailed",
        }
    }

    /// The code for a run that ended with `outcome`.
    pub fn of(self, outcome: Outcome) -> u8 {
        match self {
            ExitCodes::Default => match outcome {
                Outcome::Completed | Outcome::NotSteadyBefore => 0,
                _ => 1,
            },
            ExitCodes::Detailed => detailed(outcome),
        }
    }

    /// The code for an experiment that could not be run (not loaded, not
    /// valid, configuration or secrets not resolved): no journal.
    pub fn invalid(self) -> u8 {
        match self {
            ExitCodes::Default => 1,
            ExitCodes::Detailed => 8,
        }
    }

    /// The code when the run happened but its journal could not be
    /// written: at least "failed".
    pub fn unrecorded(self, outcome: Outcome) -> u8 {
        match self {
            ExitCodes::Default => 1,
            ExitCodes::Detailed => detailed(outcome).max(detailed(Outcome::Failed)),
        }
    }
}

/// The detailed code of an outcome.
pub fn detailed(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Completed => 0,
        Outcome::NotSteadyBefore => 3,
        Outcome::Deviated => 4,
        Outcome::Failed => 5,
        Outcome::Aborted => 6,
        Outcome::Interrupted => 7,
    }
}

/// The code of a run over several experiments: the worst (largest) one; 0
/// when there is none.
pub fn worst(codes: impl IntoIterator<Item = u8>) -> u8 {
    codes.into_iter().max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_codes_are_the_references() {
        let d = ExitCodes::Default;
        assert_eq!(d.of(Outcome::Completed), 0);
        assert_eq!(d.of(Outcome::NotSteadyBefore), 0);
        for o in [
            Outcome::Deviated,
            Outcome::Failed,
            Outcome::Aborted,
            Outcome::Interrupted,
        ] {
            assert_eq!(d.of(o), 1);
        }
        assert_eq!(d.invalid(), 1);
        assert_eq!(d.unrecorded(Outcome::Completed), 1);
    }

    #[test]
    fn detailed_codes_grow_with_severity() {
        let codes: Vec<u8> = Outcome::ALL.iter().map(|o| detailed(*o)).collect();
        assert_eq!(codes, [0, 3, 4, 5, 6, 7]);
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ExitCodes::Detailed.invalid(), 8);
        assert_eq!(ExitCodes::Detailed.unrecorded(Outcome::Deviated), 5);
        assert_eq!(ExitCodes::Detailed.unrecorded(Outcome::Interrupted), 7);
        assert_eq!(worst([0, 4, 3]), 4);
        assert_eq!(worst([]), 0);
        assert_eq!(ExitCodes::parse("detailed"), Some(ExitCodes::Detailed));
        assert_eq!(ExitCodes::parse("x"), None);
    }
}
