//! JUnit XML for CI: what Jenkins' `junit` step, GitLab's
//! `artifacts:reports:junit` and the GitHub reporters
//! (mikepenz/action-junit-report, dorny/test-reporter) read. The file
//! validates against Jenkins xunit's `junit-10.xsd`.
//!
//! One `<testsuite>` per run, named after the experiment, with its start,
//! duration and outcome. Its test cases, all with the experiment's title as
//! `classname` and unique names (GitLab keeps only the first of two cases
//! with one name, mikepenz merges them as retries):
//!
//! - `steady-state before: <probe>`, `steady-state during #k: <probe>`,
//!   `steady-state after: <probe>`: a probe out of tolerance is a
//!   `<failure type="ToleranceNotMet">` whose message gives the tolerance
//!   and the value; a probe that could not run an `<error>`;
//! - `method: <activity>` and `rollback: <activity>`: a failed activity is
//!   an `<error type="ActivityFailed">` with its exception (the run stays
//!   `completed`, as in the reference, but CI should see it);
//! - what did not run is `<skipped>`: dry activities, the method when the
//!   steady state was not met before it, the check after the method when
//!   it was not made, rollbacks left unplayed;
//! - `run: <status>`: an `<error>` when the run failed, was aborted or
//!   interrupted, so that CI never shows such a run green.
//!
//! Repeats get ` #2`, ` #3`... Experiments that could not run at all
//! (not loaded, not valid) get a suite with one `<error>` case.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::exit::{self, ExitCodes};
use crate::model::{Activity, Check, Run};

/// An experiment that could not be run: no journal, only a reason.
#[derive(Debug, Clone)]
pub struct Unrun {
    /// Where it was to be loaded from.
    pub source: String,
    /// Why it did not run (the error, in one or a few lines).
    pub reason: String,
}

/// JUnit XML for `runs`, one test suite each.
pub fn render(runs: &[Run]) -> String {
    render_with(runs, &[])
}

/// JUnit XML for `runs`, then one suite for each experiment that could not
/// be run.
pub fn render_with(runs: &[Run], unrun: &[Unrun]) -> String {
    let mut report = Report::new("chaos");
    let mut total = 0.0;
    for run in runs {
        total += run.duration.max(0.0);
        report.add_test_suite(suite(run));
    }
    for u in unrun {
        report.add_test_suite(unrun_suite(u));
    }
    report.set_time(seconds(total));
    // Writing to memory cannot fail.
    let xml = report
        .to_string()
        .expect("a JUnit report serialises to memory");
    strip_root_skipped(&xml)
}

/// quick-junit (≥ 0.7) writes `skipped="N"` on `<testsuites>`, which
/// `junit-10.xsd` does not allow: take it out of that one start tag.
fn strip_root_skipped(xml: &str) -> String {
    let Some(open) = xml.find("<testsuites") else {
        return xml.to_string();
    };
    let Some(close) = xml[open..].find('>').map(|i| open + i) else {
        return xml.to_string();
    };
    let tag = &xml[open..close];
    let Some(at) = tag.find(" skipped=\"") else {
        return xml.to_string();
    };
    let value_start = at + " skipped=\"".len();
    let Some(end) = tag[value_start..].find('"').map(|i| value_start + i + 1) else {
        return xml.to_string();
    };
    format!("{}{}{}", &xml[..open + at], &tag[end..], &xml[close..])
}

fn seconds(s: f64) -> Duration {
    if s.is_finite() && s > 0.0 {
        Duration::from_secs_f64(s)
    } else {
        Duration::ZERO
    }
}

fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok().or_else(|| {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|n| n.and_utc().fixed_offset())
    })
}

/// The suite's name (and every case's classname): never empty, which
/// Jenkins and dorny/test-reporter need.
fn title_of(run: &Run) -> String {
    let t = run.title.trim();
    if t.is_empty() {
        "(untitled experiment)".to_string()
    } else {
        t.to_string()
    }
}

/// Case names made unique within a suite.
#[derive(Default)]
struct Names {
    seen: HashMap<String, usize>,
}

impl Names {
    fn unique(&mut self, name: String) -> String {
        let n = self.seen.entry(name.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            name
        } else {
            let candidate = format!("{name} #{n}");
            // A declared name may itself end in " #2".
            if self.seen.contains_key(&candidate) {
                self.unique(candidate)
            } else {
                self.seen.insert(candidate.clone(), 1);
                candidate
            }
        }
    }
}

struct Builder<'a> {
    run: &'a Run,
    classname: String,
    names: Names,
    suite: TestSuite,
}

impl Builder<'_> {
    fn add(&mut self, name: String, status: TestCaseStatus, time: f64, out: Option<String>) {
        let mut case = TestCase::new(self.names.unique(name), status);
        case.set_classname(self.classname.as_str());
        case.set_time(seconds(time));
        if let Some(out) = out.filter(|o| !o.is_empty()) {
            case.set_system_out(out);
        }
        self.suite.add_test_case(case);
    }

    fn check(&mut self, phase: &str, check: &Check) {
        for probe in &check.probes {
            let status = self.probe_status(probe);
            self.add(
                format!("{phase}: {}", activity_name(probe)),
                status,
                probe.duration,
                output(probe),
            );
        }
    }

    fn probe_status(&self, probe: &Activity) -> TestCaseStatus {
        match probe.status.as_str() {
            "failed" | "stopped" | "skipped" => self.activity_status(probe),
            _ if probe.tolerance_met == Some(false) => {
                let tolerance = probe.tolerance.as_deref().unwrap_or("");
                let value = probe.value.as_deref().unwrap_or("");
                let by = if value.starts_with("exit status ") || value.starts_with("HTTP status ") {
                    value.to_string()
                } else {
                    format!("value {value}")
                };
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type("ToleranceNotMet");
                s.set_message(format!("tolerance {tolerance} not met by {by}"));
                s.set_description(format!(
                    "tolerance: {tolerance}\nvalue: {value}\noutput: {}",
                    probe.output
                ));
                s
            }
            _ => TestCaseStatus::success(),
        }
    }

    fn activity_status(&self, a: &Activity) -> TestCaseStatus {
        match a.status.as_str() {
            "failed" => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_type("ActivityFailed");
                s.set_message(a.error.clone().unwrap_or_else(|| "failed".into()));
                if let Some(e) = &a.exception {
                    s.set_description(e.as_str());
                }
                s
            }
            "stopped" => {
                // Started, but cut short: by a signal or a brake, or by an
                // unexpected error (the run is then aborted).
                let why = self
                    .run
                    .interruption
                    .clone()
                    .or_else(|| a.error.clone())
                    .or_else(|| self.run.errors.last().cloned())
                    .unwrap_or_else(|| format!("the run ended {}", self.run.status));
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_type("ActivityStopped");
                s.set_message(format!("stopped before it finished: {why}"));
                if let Some(e) = &a.exception {
                    s.set_description(e.as_str());
                }
                s
            }
            "skipped" => skipped(&format!(
                "dry run ({}): not executed",
                self.run.dry.as_deref().unwrap_or("activity")
            )),
            _ => TestCaseStatus::success(),
        }
    }

    fn activities(&mut self, phase: &str, list: &[Activity]) {
        for a in list {
            let status = self.activity_status(a);
            let mut out = output(a);
            if a.background {
                out = Some(format!("[in the background] {}", out.unwrap_or_default()));
            }
            self.add(
                format!("{phase}: {}", activity_name(a)),
                status,
                a.duration,
                out,
            );
        }
    }
}

fn skipped(message: &str) -> TestCaseStatus {
    let mut s = TestCaseStatus::skipped();
    s.set_message(message);
    s
}

fn activity_name(a: &Activity) -> &str {
    if a.name.trim().is_empty() {
        "(unnamed)"
    } else {
        &a.name
    }
}

fn output(a: &Activity) -> Option<String> {
    (!a.output.is_empty() && a.output != "null").then(|| a.output.clone())
}

fn suite(run: &Run) -> TestSuite {
    let title = title_of(run);
    let mut suite = TestSuite::new(title.as_str());
    if let Some(t) = parse_time(&run.start) {
        suite.set_timestamp(t);
    }
    suite.set_time(seconds(run.duration));
    if !run.node.is_empty() {
        suite
            .extra
            .insert("hostname".into(), run.node.as_str().into());
    }
    let mut props: Vec<(&str, String)> = vec![
        ("status", run.status.clone()),
        ("deviated", run.deviated.to_string()),
        ("outcome", run.outcome.name().to_string()),
        ("exit-code", ExitCodes::Default.of(run.outcome).to_string()),
        (
            "exit-code-detailed",
            exit::detailed(run.outcome).to_string(),
        ),
        ("journal", run.source.clone()),
    ];
    let optional = [
        ("chaoslib-version", run.chaoslib_version.clone()),
        (
            "chaos-version",
            run.chaos_version.clone().unwrap_or_default(),
        ),
        ("node", run.node.clone()),
        ("platform", run.platform.clone()),
        ("dry", run.dry.clone().unwrap_or_default()),
        ("tags", run.tags.join(",")),
        ("interruption", run.interruption.clone().unwrap_or_default()),
    ];
    props.extend(optional.into_iter().filter(|(_, v)| !v.is_empty()));
    for (k, v) in props {
        suite.add_property((k, v.as_str()));
    }

    let mut b = Builder {
        run,
        classname: title,
        names: Names::default(),
        suite,
    };
    let not_steady_before = run.before.as_ref().is_some_and(|c| c.met == Some(false));
    if let Some(c) = &run.before {
        b.check("steady-state before", c);
    }
    if run.method.is_empty() && not_steady_before {
        b.add(
            "method".into(),
            skipped("not run: the steady state was not met before the method"),
            0.0,
            None,
        );
    }
    b.activities("method", &run.method);
    for (k, c) in run.during.iter().enumerate() {
        b.check(&format!("steady-state during #{}", k + 1), c);
    }
    if let Some(c) = &run.after {
        b.check("steady-state after", c);
    } else if run.hypothesis.is_some() {
        let why = if not_steady_before {
            "not checked: the steady state was not met before the method"
        } else if run.status == "completed" {
            "not checked after the method (hypothesis strategy)"
        } else {
            "not checked: the run ended early"
        };
        b.add("steady-state after".into(), skipped(why), 0.0, None);
    }
    b.activities("rollback", &run.rollbacks);
    for name in &run.unplayed_rollbacks {
        let name = if name.trim().is_empty() {
            "(unnamed)"
        } else {
            name
        };
        b.add(
            format!("rollback: {name}"),
            skipped("not played: the run was interrupted"),
            0.0,
            None,
        );
    }
    if matches!(run.status.as_str(), "failed" | "aborted" | "interrupted") {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        let kind = match run.status.as_str() {
            "failed" => "RunFailed",
            "aborted" => "RunAborted",
            _ => "RunInterrupted",
        };
        s.set_type(kind);
        let why = run
            .interruption
            .clone()
            .or_else(|| run.errors.last().cloned())
            .unwrap_or_else(|| run.outcome.label().to_string());
        s.set_message(format!("run {}: {why}", run.status));
        if !run.errors.is_empty() {
            s.set_description(run.errors.join("\n"));
        }
        b.add(format!("run: {}", run.status), s, 0.0, None);
    }
    b.suite
}

fn unrun_suite(u: &Unrun) -> TestSuite {
    let name = if u.source.trim().is_empty() {
        "(unknown source)"
    } else {
        u.source.as_str()
    };
    let mut suite = TestSuite::new(name);
    suite.add_property(("status", "invalid"));
    suite.add_property(("outcome", "invalid"));
    suite.add_property((
        "exit-code",
        ExitCodes::Default.invalid().to_string().as_str(),
    ));
    suite.add_property((
        "exit-code-detailed",
        ExitCodes::Detailed.invalid().to_string().as_str(),
    ));
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
    s.set_type("InvalidExperiment");
    let first = u.reason.lines().next().unwrap_or("").trim();
    s.set_message(if first.is_empty() { "not run" } else { first });
    s.set_description(u.reason.as_str());
    let mut case = TestCase::new(format!("load: {name}"), s);
    case.set_classname(name);
    case.set_time(Duration::ZERO);
    suite.add_test_case(case);
    suite
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_skipped_attribute_goes_and_nothing_else() {
        let xml = "<?xml version=\"1.0\"?>\n<testsuites name=\"chaos\" tests=\"2\" skipped=\"1\" failures=\"0\" errors=\"0\" time=\"1.000\">\n    <testsuite name=\"a\" tests=\"2\" skipped=\"1\" errors=\"0\" failures=\"0\"/>\n</testsuites>\n";
        let out = strip_root_skipped(xml);
        assert!(out.contains(
            "<testsuites name=\"chaos\" tests=\"2\" failures=\"0\" errors=\"0\" time=\"1.000\">"
        ));
        assert!(out.contains("<testsuite name=\"a\" tests=\"2\" skipped=\"1\""));
    }

    #[test]
    fn repeated_names_are_numbered() {
        let mut n = Names::default();
        assert_eq!(n.unique("method: a".into()), "method: a");
        assert_eq!(n.unique("method: a".into()), "method: a #2");
        assert_eq!(n.unique("method: a #2".into()), "method: a #2 #2");
        assert_eq!(n.unique("method: a".into()), "method: a #3");
    }

    #[test]
    fn an_empty_report_is_valid_shape() {
        let xml = render(&[]);
        assert!(xml.contains("<testsuites name=\"chaos\" tests=\"0\" failures=\"0\" errors=\"0\""));
        assert!(!xml.contains("skipped"));
    }
}
