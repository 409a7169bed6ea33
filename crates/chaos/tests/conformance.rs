//! The reference's conformance suite (`../shared/conformance`), run against
//! the real binary by its own harness, `diffrun.py`: every case must agree
//! with the journals the Python Chaos Toolkit wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

#[test]
fn every_case_agrees_with_the_reference() {
    let dir = conformance_dir();
    assert!(
        dir.join("diffrun.py").exists(),
        "the conformance suite is expected at {}",
        dir.display()
    );
    let cases = std::fs::read_dir(dir.join("cases")).unwrap().count();
    assert!(cases >= 70, "expected the suite's cases, found {cases}");

    let output = Command::new("python3")
        .arg(dir.join("diffrun.py"))
        .args(["-j", "2", "--timeout", "60"])
        .env("CHAOS_BIN", env!("CARGO_BIN_EXE_chaos"))
        .env_remove("VIRTUAL_ENV")
        .env_remove("CHAOS_PYTHON")
        .output()
        .expect("python3 runs diffrun.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let differ: Vec<&str> = stdout.lines().filter(|l| l.starts_with("DIFFER")).collect();
    let agree = stdout.lines().filter(|l| l.starts_with("AGREE")).count();
    assert!(
        differ.is_empty() && output.status.success(),
        "{} of {cases} cases differ from the reference:\n{}\n--- stderr ---\n{}",
        differ.len(),
        differ.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(agree, cases, "every case ran:\n{stdout}");
}
