//! Hook order and arguments compared with the reference: a recording
//! control (`data/hooks/recorder.py`) on an experiment with a hypothesis,
//! a succeeding, a failing and an erroring action and two rollbacks, run
//! as is and interrupted by a before-activity hook at each step. The
//! reference's recordings are in `data/hooks/`.

mod common;

use std::path::Path;

fn data() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hooks"))
}

fn hooks_with_interrupt_at(at: &str) -> (String, serde_json::Value) {
    let dir = common::scratch();
    for f in ["recorder.py", "experiment.json", "settings.yaml"] {
        std::fs::copy(data().join(f), dir.path().join(f)).unwrap();
    }
    let out = std::process::Command::new(common::chaos_bin())
        .current_dir(dir.path())
        .env("PYTHONPATH", dir.path())
        .env("INTERRUPT_AT", at)
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_PYTHON")
        .args([
            "--no-log-file",
            "--settings",
            "settings.yaml",
            "run",
            "experiment.json",
        ])
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "{}", common::stderr(&out));
    let journal =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("journal.json")).unwrap())
            .unwrap();
    (
        std::fs::read_to_string(dir.path().join("hooks.jsonl")).unwrap(),
        journal,
    )
}

fn same_as_the_reference(at: &str, status: &str) {
    let (ours, journal) = hooks_with_interrupt_at(at);
    let reference = std::fs::read_to_string(data().join(format!("reference-{at}.jsonl"))).unwrap();
    let ours: Vec<&str> = ours.lines().collect();
    let reference: Vec<&str> = reference.lines().collect();
    assert_eq!(ours, reference, "hooks when interrupted at {at}");
    assert_eq!(journal["status"], status);
}

#[test]
fn every_hook_in_the_references_order_with_its_arguments() {
    same_as_the_reference("none", "completed");
}

#[test]
fn an_interruption_in_the_hypothesis_still_runs_the_after_hooks() {
    same_as_the_reference("p1", "interrupted");
}

#[test]
fn an_interruption_in_the_method_still_runs_the_after_hooks() {
    same_as_the_reference("a1", "interrupted");
    same_as_the_reference("a2", "interrupted");
}

#[test]
fn an_interruption_in_the_rollbacks_still_runs_the_after_hooks() {
    same_as_the_reference("r1", "interrupted");
}
