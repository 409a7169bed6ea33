//! Human intervention (the book's chapter 11): before each activity, the
//! person running the experiment decides to execute it, skip it, or abort
//! the run (the "big red stop button").
//!
//! Declared as the control `chaos.controls.human`, or for every activity
//! with `chaos run --interactive`. Arguments, all optional:
//!
//! - `activities`: names of the activities to ask about (default: all);
//! - `types`: `probe` and/or `action` (default: both).
//!
//! The question goes to the controlling terminal (`/dev/tty`), not to
//! stdout, so that it works when the output is piped or logged; with no
//! terminal the run refuses to start rather than hang. A skipped activity
//! is recorded as the reference records an activity it does not run (a
//! dry one: `succeeded`, output `null`), with `dry: true` on the activity;
//! a skipped hypothesis probe is not checked against its tolerance.
//! Aborting interrupts the run as the reference's `InterruptExecution`
//! does (rollbacks per strategy).
//!
//! The prompt is a plain line read, as `click.confirm` is: prompt crates
//! (dialoguer, inquire) draw on stderr and need it to be the terminal,
//! which a logged run does not have.

use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};

use chaos_engine::controls::native::{Hook, NativeControl, RunHandle, Setup, SetupError, Verdict};
use chaos_engine::controls::Level;
use chaos_pyvalue::{py_str, Map, Value};
use futures::future::BoxFuture;

/// The module path to declare.
pub const MODULE: &str = "chaos.controls.human";

/// The terminal the questions go to.
const TERMINAL: &str = "/dev/tty";

/// A human-intervention control for one declaration.
pub fn make(_provider: &Map<String, Value>) -> Arc<dyn NativeControl> {
    Arc::new(Human::default())
}

/// Whether there is a terminal to ask on; the error says why not.
pub fn terminal_available() -> Result<(), String> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(TERMINAL)
        .map(|_| ())
        .map_err(|e| {
            format!(
                "human intervention needs a terminal to ask on, and {TERMINAL} cannot be opened ({e}); \
                 run from a terminal, or drop --interactive / the `{MODULE}` control"
            )
        })
}

#[derive(Default)]
struct Human {
    run: Mutex<Option<RunHandle>>,
    /// One question at a time, even with background activities.
    asking: tokio::sync::Mutex<()>,
}

/// What the person chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Execute,
    Skip,
    Abort,
}

fn parse_choice(answer: &str) -> Option<Choice> {
    match answer.trim().to_ascii_lowercase().as_str() {
        "" | "e" | "execute" | "y" | "yes" | "c" | "continue" => Some(Choice::Execute),
        "s" | "skip" => Some(Choice::Skip),
        "a" | "abort" | "q" | "quit" | "stop" => Some(Choice::Abort),
        _ => None,
    }
}

fn wanted(arguments: &Map<String, Value>, activity: &Value) -> bool {
    let listed = |key: &str, value: &str| match arguments.get(key) {
        Some(Value::Array(list)) => list.iter().any(|v| py_str(v) == value),
        Some(Value::String(one)) => one == value,
        _ => true,
    };
    let name = activity.get("name").map(py_str).unwrap_or_default();
    let kind = activity.get("type").map(py_str).unwrap_or_default();
    listed("activities", &name) && listed("types", &kind)
}

/// One line saying what the activity will do.
fn describe(activity: &Value) -> String {
    let kind = activity.get("type").map(py_str).unwrap_or_default();
    let name = activity.get("name").map(py_str).unwrap_or_default();
    let provider = activity.get("provider");
    let what = match provider.and_then(|p| p.get("type")).map(py_str).as_deref() {
        Some("process") => {
            let p = provider.unwrap_or(&Value::Null);
            let args = match p.get("arguments") {
                Some(Value::Array(a)) => a.iter().map(py_str).collect::<Vec<_>>().join(" "),
                Some(Value::Null) | None => String::new(),
                Some(other) => py_str(other),
            };
            let path = p.get("path").map(py_str).unwrap_or_default();
            let command = if args.is_empty() {
                path
            } else {
                format!("{path} {args}")
            };
            format!("runs `{command}`")
        }
        Some("http") => {
            let p = provider.unwrap_or(&Value::Null);
            format!(
                "calls {} {}",
                p.get("method").map(py_str).unwrap_or_else(|| "GET".into()),
                p.get("url").map(py_str).unwrap_or_default()
            )
        }
        Some("python") => {
            let p = provider.unwrap_or(&Value::Null);
            format!(
                "calls {}.{}",
                p.get("module").map(py_str).unwrap_or_default(),
                p.get("func").map(py_str).unwrap_or_default()
            )
        }
        Some(other) => format!("uses the {other} provider"),
        None => "has no provider".into(),
    };
    format!("{kind} '{name}' {what}")
}

/// Asks on the terminal until the answer is one of the choices. Blocking:
/// runs on its own thread.
fn ask(question: &str) -> std::io::Result<Choice> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(TERMINAL)?;
    let mut out = tty.try_clone()?;
    let mut lines = BufReader::new(tty);
    loop {
        write!(
            out,
            "\n? {question}\n  [E]xecute, [s]kip, or [a]bort the experiment? "
        )?;
        out.flush()?;
        let mut line = String::new();
        if lines.read_line(&mut line)? == 0 {
            // The terminal closed: nobody is there to say yes.
            return Ok(Choice::Abort);
        }
        if let Some(choice) = parse_choice(&line) {
            return Ok(choice);
        }
        writeln!(out, "  Please answer e (execute), s (skip) or a (abort).")?;
    }
}

impl NativeControl for Human {
    fn configure<'a>(&'a self, setup: Setup<'a>) -> BoxFuture<'a, Result<(), SetupError>> {
        *self.run.lock().unwrap_or_else(|e| e.into_inner()) = Some(setup.run);
        Box::pin(async { terminal_available().map_err(SetupError::Fatal) })
    }

    fn hook<'a>(&'a self, hook: Hook<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            if hook.level != Level::Activity
                || !hook.before
                || !wanted(hook.arguments, hook.context)
            {
                return Verdict::Continue;
            }
            let run = self.run.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let interruption = run.as_ref().map(RunHandle::interruption);
            let _one_at_a_time = self.asking.lock().await;
            let question = format!("About to run the {}.", describe(hook.context));
            let (tx, rx) = tokio::sync::oneshot::channel();
            // A thread of its own, not `spawn_blocking`: an unanswered
            // question must not keep the runtime from shutting down.
            std::thread::spawn(move || {
                let _ = tx.send(ask(&question));
            });
            let answer = match interruption {
                Some(token) => tokio::select! {
                    a = rx => a,
                    _ = token.cancelled() => return Verdict::Continue,
                },
                None => rx.await,
            };
            let name = hook.context.get("name").map(py_str).unwrap_or_default();
            match answer {
                Ok(Ok(Choice::Execute)) => {
                    if let Some(run) = &run {
                        run.debug(format!("Continuing: {name}"));
                    }
                    Verdict::Continue
                }
                Ok(Ok(Choice::Skip)) => Verdict::Skip("the operator chose to skip it".into()),
                Ok(Ok(Choice::Abort)) => {
                    Verdict::Interrupt("Experiment manually interrupted".into())
                }
                Ok(Err(e)) => Verdict::Interrupt(format!(
                    "the question about '{name}' could not be asked on {TERMINAL}: {e}"
                )),
                Err(_) => Verdict::Interrupt("the question went unanswered".into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_read_as_people_type_them() {
        assert_eq!(parse_choice("\n"), Some(Choice::Execute));
        assert_eq!(parse_choice("S\n"), Some(Choice::Skip));
        assert_eq!(parse_choice(" abort "), Some(Choice::Abort));
        assert_eq!(parse_choice("maybe"), None);
    }

    #[test]
    fn filters_pick_activities_by_name_and_type() {
        let a = json!({"type": "action", "name": "kill"});
        let args = |v: Value| v.as_object().unwrap().clone();
        assert!(wanted(&Map::new(), &a));
        assert!(wanted(&args(json!({"types": ["action"]})), &a));
        assert!(!wanted(&args(json!({"types": "probe"})), &a));
        assert!(!wanted(&args(json!({"activities": ["other"]})), &a));
    }

    #[test]
    fn the_question_says_what_the_activity_will_do() {
        let a = json!({"type": "action", "name": "kill", "provider": {"type": "process", "path": "pkill", "arguments": ["-f", "svc"]}});
        assert_eq!(describe(&a), "action 'kill' runs `pkill -f svc`");
        let h = json!({"type": "probe", "name": "up", "provider": {"type": "http", "url": "http://x/"}});
        assert_eq!(describe(&h), "probe 'up' calls GET http://x/");
    }
}
