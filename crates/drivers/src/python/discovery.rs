//! `chaos discover`'s Python side: chaostoolkit-lib's
//! `discover(package, discover_system, download_and_install)` run once in the
//! chosen interpreter by an embedded script (`discover.py`), apart from the
//! activity worker.
//!
//! The script installs the package with that interpreter's pip (unless told
//! not to), finds its top-level module, imports it and calls its `discover`
//! function. It reports the `chaostoolkit` logger's records as they happen,
//! then the discovery mapping or why there is none, one JSON object a line.

use std::io::BufRead;
use std::process::{Command, Stdio};

use chaos_pyvalue::{py_str, Value};

use super::bridge::Interpreter;

/// The script's source, shipped inside the binary.
const SCRIPT: &str = include_str!("discover.py");

/// The level of a record from the discovery (the `chaostoolkit` logger's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Details (pip's output, tracebacks).
    Debug,
    /// Progress.
    Info,
    /// Something to look at (a module without `__all__`, ...).
    Warning,
    /// Something went wrong.
    Error,
    /// Something went badly wrong.
    Critical,
}

impl LogLevel {
    fn parse(name: &str) -> LogLevel {
        match name {
            "debug" | "notset" => LogLevel::Debug,
            "info" => LogLevel::Info,
            "warning" | "warn" => LogLevel::Warning,
            "error" => LogLevel::Error,
            "critical" | "fatal" => LogLevel::Critical,
            // Custom levels: show them rather than lose them.
            _ => LogLevel::Info,
        }
    }
}

/// Why there is no discovery.
#[derive(Debug, Clone, PartialEq)]
pub enum DiscoveryError {
    /// The reference's `DiscoveryFailed` (`Package x not found`, ``failed to
    /// install `x` ``, ...): it logs the message and exits 0.
    Failed(String),
    /// Anything else: no interpreter, the script died, or the extension's
    /// `discover` raised something else (the reference crashes on those).
    Error {
        /// What went wrong.
        message: String,
        /// The Python traceback, when there is one.
        traceback: Option<String>,
    },
}

impl DiscoveryError {
    fn error(message: impl Into<String>) -> Self {
        DiscoveryError::Error {
            message: message.into(),
            traceback: None,
        }
    }
}

impl std::fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoveryError::Failed(m) => f.write_str(m),
            DiscoveryError::Error { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for DiscoveryError {}

/// Discovers `package` with `interpreter`: installs it first unless
/// `install` is false, and asks the extension for the system it targets
/// when `system` is true. Log records are dropped; see [`discover_logged`].
pub fn discover(
    interpreter: &Interpreter,
    package: &str,
    system: bool,
    install: bool,
) -> Result<Value, DiscoveryError> {
    discover_logged(interpreter, package, system, install, &mut |_, _| {})
}

/// [`discover`], handing each log record to `log` as it arrives.
pub fn discover_logged(
    interpreter: &Interpreter,
    package: &str,
    system: bool,
    install: bool,
    log: &mut dyn FnMut(LogLevel, &str),
) -> Result<Value, DiscoveryError> {
    let mut child = Command::new(&interpreter.path)
        .arg("-c")
        .arg(SCRIPT)
        .arg(package)
        .arg(if system { "1" } else { "0" })
        .arg(if install { "1" } else { "0" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            DiscoveryError::error(format!(
                "cannot start the Python interpreter {} (from {}): {e}",
                interpreter.path.display(),
                interpreter.origin
            ))
        })?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| DiscoveryError::error("no stdout for the Python discovery"))?;
    let mut outcome = None;
    for line in std::io::BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Ok(Value::Object(message)) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if let Some(level) = message.get("log") {
            let text = message.get("message").map(py_str).unwrap_or_default();
            log(LogLevel::parse(&py_str(level)), &text);
        } else if let Some(discovery) = message.get("ok") {
            outcome = Some(Ok(discovery.clone()));
        } else if let Some(reason) = message.get("failed") {
            outcome = Some(Err(DiscoveryError::Failed(py_str(reason))));
        } else if let Some(error) = message.get("error") {
            outcome = Some(Err(DiscoveryError::Error {
                message: py_str(error),
                traceback: message
                    .get("traceback")
                    .map(py_str)
                    .filter(|t| !t.is_empty()),
            }));
        }
    }
    let status = child.wait().map_err(|e| {
        DiscoveryError::error(format!(
            "the Python discovery ({}) could not be waited for: {e}",
            interpreter.path.display()
        ))
    })?;
    outcome.unwrap_or_else(|| {
        Err(DiscoveryError::error(format!(
            "the Python discovery ({} from {}) exited without an answer ({status})",
            interpreter.path.display(),
            interpreter.origin
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn python() -> Option<Interpreter> {
        crate::process::which("python3").map(|path| Interpreter {
            path,
            origin: "python3 on PATH".into(),
        })
    }

    #[test]
    fn an_unknown_package_is_a_discovery_failure() {
        let Some(python) = python() else { return };
        let mut records = Vec::new();
        let outcome = discover_logged(
            &python,
            "chaos-no-such-package-here",
            true,
            false,
            &mut |level, message| records.push((level, message.to_string())),
        );
        assert_eq!(
            outcome,
            Err(DiscoveryError::Failed(
                "Package chaos-no-such-package-here not found".into()
            ))
        );
        assert!(records
            .iter()
            .any(|(l, m)| *l == LogLevel::Debug && m.contains("Failed to discover")));
    }

    #[test]
    fn a_package_without_discover_function_is_a_discovery_failure() {
        let Some(python) = python() else { return };
        // pip is installed wherever `python -m venv` made the interpreter.
        let outcome = discover(&python, "pip", true, false);
        assert_eq!(
            outcome,
            Err(DiscoveryError::Failed(
                "package 'pip' does not export a `discover` function".into()
            ))
        );
    }

    #[test]
    fn a_missing_interpreter_is_an_error() {
        let python = Interpreter {
            path: PathBuf::from("/nonexistent/python"),
            origin: "--python".into(),
        };
        match discover(&python, "x", true, false) {
            Err(DiscoveryError::Error { message, .. }) => {
                assert!(message.contains("cannot start the Python interpreter /nonexistent/python"))
            }
            other => panic!("{other:?}"),
        }
    }
}
