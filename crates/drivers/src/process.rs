//! The `process` provider: runs a program without a shell (list arguments)
//! or through `/bin/sh -c` (string arguments), as the reference does.
//!
//! Every child runs in its own process group, so an interrupt or a timeout
//! stops the program *and* whatever it started: nothing is left behind.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chaos_experiment::ProviderIssue;
use chaos_pyvalue::{py_str, Map, Value};
use futures::future::BoxFuture;
use tokio::io::AsyncReadExt;

use crate::{issue, ActivityError, Call, Driver};

/// The `process` driver.
#[derive(Default)]
pub struct ProcessDriver {
    /// Validation looks each program up once per distinct path: experiments
    /// repeat the same few programs, and each lookup costs `stat` calls.
    /// Execution always looks up afresh, as the reference does.
    checked: std::sync::Mutex<std::collections::HashMap<String, bool>>,
}

impl Driver for ProcessDriver {
    fn provider_type(&self) -> &'static str {
        "process"
    }

    fn check(
        &self,
        provider: &Map<String, Value>,
        activity_name: &str,
        _kind: &str,
    ) -> Vec<ProviderIssue> {
        let raw = match provider.get("path") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(v) if chaos_pyvalue::py_truthy(v) => py_str(v),
            _ => {
                return vec![issue(
                    &["path"],
                    "a process activity must have a path",
                    Some("set `path` to the program to run, e.g. \"curl\" or \"/usr/bin/env\""),
                )]
            }
        };
        let found = *self
            .checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(raw.clone())
            .or_insert_with(|| which(&raw).is_some());
        if found {
            return Vec::new();
        }
        // The reference says "cannot be found" for a file that exists but is
        // not executable too; keep its words, and say what is really wrong.
        let hint = if Path::new(&raw).is_file() {
            "the file exists but is not executable: chmod +x it"
        } else {
            "install the program, give its absolute path, or add its folder to PATH"
        };
        vec![issue(
            &["path"],
            format!("path '{raw}' cannot be found, in activity '{activity_name}'"),
            Some(hint),
        )]
    }

    fn execute<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<Value, ActivityError>> {
        Box::pin(run(call))
    }
}

async fn run(call: Call<'_>) -> Result<Value, ActivityError> {
    let provider = call.provider;
    let raw_path = provider.get("path").map(py_str).unwrap_or_default();
    let mut arguments = provider
        .get("arguments")
        .cloned()
        .unwrap_or(Value::Array(Vec::new()));
    if call.substitutes_arguments() && chaos_pyvalue::py_truthy(&arguments) {
        arguments = call.substitute(&arguments);
    }
    let resolved = which(&expand_user(&raw_path));
    let timeout = provider.get("timeout").and_then(timeout_seconds);

    let mut command = match &arguments {
        Value::String(args) => {
            // The reference formats the command line with the resolved path,
            // which is Python's None when the program vanished since validation.
            let program = resolved
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "None".into());
            let mut c = tokio::process::Command::new("/bin/sh");
            c.arg("-c").arg(format!("{program} {args}"));
            c
        }
        other => {
            let Some(program) = resolved else {
                return Err(ActivityError::aborted(format!(
                    "process path '{raw_path}' cannot be found at run time (it was there at validation)"
                )));
            };
            let mut c = tokio::process::Command::new(program);
            c.args(list_arguments(other));
            c
        }
    };
    command
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);

    let mut child = command
        .spawn()
        .map_err(|e| ActivityError::aborted(format!("cannot start '{raw_path}': {e}")))?;
    let pgid = child.id().map(|id| id as i32);
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");

    let work = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let (status, _, _) = tokio::join!(
            child.wait(),
            stdout.read_to_end(&mut out),
            stderr.read_to_end(&mut err)
        );
        (status, out, err)
    };
    let deadline = async {
        match timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending::<()>().await,
        }
    };

    tokio::select! {
        (status, out, err) = work => {
            let status = status.map_err(|e| ActivityError::aborted(format!("waiting for '{raw_path}' failed: {e}")))?;
            let code = exit_code(&status);
            if code > 0 && !call.has_tolerance {
                (call.warn)("This process returned a non-zero exit code. This may indicate some error and not what you expected. Please have a look at the logs.".into());
            }
            let mut output = Map::new();
            output.insert("status".into(), Value::from(code));
            output.insert("stdout".into(), Value::String(decode(&out)));
            output.insert("stderr".into(), Value::String(decode(&err)));
            Ok(Value::Object(output))
        }
        _ = deadline => {
            kill_group(pgid);
            Err(ActivityError::failed("process activity took too long to complete"))
        }
        _ = call.cancel.cancelled() => {
            kill_group(pgid);
            Err(ActivityError::Cancelled)
        }
    }
}

/// The exit status as Python's `returncode`: negative for death by signal.
fn exit_code(status: &std::process::ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => c as i64,
        (None, Some(sig)) => -(sig as i64),
        _ => -1,
    }
}

/// Kills the whole process group of a child we started.
fn kill_group(pgid: Option<i32>) {
    if let Some(pgid) = pgid.filter(|p| *p > 0) {
        // SIGKILL, as Python's Popen.kill() does on a timeout: the group may
        // hold grandchildren the reference would leave behind.
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pgid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// List (or deprecated mapping) arguments as the reference passes them:
/// `None` and `""` dropped, everything else through Python `str()`.
fn list_arguments(arguments: &Value) -> Vec<String> {
    let items: Vec<Value> = match arguments {
        Value::Array(a) => a.clone(),
        Value::Object(m) => m
            .iter()
            .flat_map(|(k, v)| [Value::String(k.clone()), v.clone()])
            .collect(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    items
        .iter()
        .filter(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
        .map(py_str)
        .collect()
}

/// Decodes captured output; invalid UTF-8 is replaced rather than failing
/// the activity (the reference guesses a charset instead).
fn decode(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn timeout_seconds(v: &Value) -> Option<Duration> {
    let secs = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

fn expand_user(path: &str) -> String {
    if let Some(rest) = path.strip_prefix("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return Path::new(&home).join(rest).display().to_string();
        }
    }
    path.to_string()
}

/// Python's `shutil.which`: a name with a slash must be an executable file;
/// a bare name is searched on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    if name.is_empty() {
        return None;
    }
    if name.contains('/') {
        let p = PathBuf::from(name);
        return (p.is_file() && is_executable(&p)).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file() && is_executable(candidate))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_arguments_drop_none_and_empty_and_use_python_str() {
        let args = serde_json::json!(["hello", "world", 1, true, null, ""]);
        assert_eq!(list_arguments(&args), vec!["hello", "world", "1", "True"]);
    }

    #[test]
    fn mapping_arguments_are_flattened_in_order() {
        let args = serde_json::json!({"--a": "1", "-b": null, "c": ""});
        assert_eq!(list_arguments(&args), vec!["--a", "1", "-b", "c"]);
    }

    #[test]
    fn which_finds_programs_on_path_and_rejects_missing_ones() {
        assert!(which("sh").is_some());
        assert!(which("no-such-binary-xyz").is_none());
        assert!(which("/bin/sh").is_some());
    }
}
