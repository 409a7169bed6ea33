//! The reference's conformance suite (`../shared/conformance`), run against
//! the real binary by its own harness, `diffrun.py`.
//!
//! Cases that need the Python provider (`"type": "python"`) belong to the
//! Python bridge; every other case must agree with the reference.

use std::path::{Path, PathBuf};
use std::process::Command;

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

fn uses_python(case: &Path) -> bool {
    std::fs::read_dir(case)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("experiment.")
        })
        .any(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            text.contains("\"python\"") || text.contains("type: python")
        })
}

#[test]
fn every_non_python_case_agrees_with_the_reference() {
    let dir = conformance_dir();
    assert!(
        dir.join("diffrun.py").exists(),
        "the conformance suite is expected at {}",
        dir.display()
    );
    let mut python_cases = Vec::new();
    let mut native_cases = Vec::new();
    for entry in std::fs::read_dir(dir.join("cases")).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if uses_python(&entry.path()) {
            python_cases.push(name);
        } else {
            native_cases.push(name);
        }
    }
    native_cases.sort();
    assert!(
        native_cases.len() >= 40,
        "expected the suite's non-python cases, found {}",
        native_cases.len()
    );

    let output = Command::new("python3")
        .arg(dir.join("diffrun.py"))
        .args([
            "-j",
            "2",
            "--timeout",
            "60",
            "--case",
            &native_cases.join(","),
        ])
        .env("CHAOS_BIN", env!("CARGO_BIN_EXE_chaos"))
        .output()
        .expect("python3 runs diffrun.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let differ: Vec<&str> = stdout.lines().filter(|l| l.starts_with("DIFFER")).collect();
    let agree = stdout.lines().filter(|l| l.starts_with("AGREE")).count();
    assert!(
        differ.is_empty() && output.status.success(),
        "{} of {} cases differ from the reference:\n{}\n--- stderr ---\n{}",
        differ.len(),
        native_cases.len(),
        differ.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(agree, native_cases.len(), "every case ran:\n{stdout}");
}
