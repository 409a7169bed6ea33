//! The `python` provider: Python functions run in a real interpreter through
//! a persistent bridge ([`bridge`]), called the way chaostoolkit-lib calls
//! them (arguments by name, `configuration` and scoped `secrets` injected when
//! the function declares them, exceptions turned into failed activities).

pub mod bridge;
pub mod discovery;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chaos_experiment::ProviderIssue;
use chaos_pyvalue::{py_str, py_truthy, Map, Value};
use futures::future::BoxFuture;

use self::bridge::{find_interpreter, Worker};
use crate::{issue, ActivityError, Call, Driver};

/// Where the interpreter comes from.
#[derive(Debug, Clone, Default)]
pub struct PythonOptions {
    /// `--python` (else `CHAOS_PYTHON`, `VIRTUAL_ENV`, `.venv`, `python3`).
    pub interpreter: Option<PathBuf>,
    /// The experiment's folder, where a `.venv` may sit.
    pub experiment_dir: Option<PathBuf>,
}

/// The `python` driver. No worker is started until a Python activity needs one.
#[derive(Default)]
pub struct PythonDriver {
    options: PythonOptions,
    worker: Mutex<Option<Arc<Worker>>>,
}

impl PythonDriver {
    /// A driver with these options.
    pub fn new(options: PythonOptions) -> Self {
        PythonDriver {
            options,
            worker: Mutex::new(None),
        }
    }

    /// The running worker, started (or restarted after a crash) on demand.
    fn worker(&self) -> Result<Arc<Worker>, String> {
        let mut slot = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = slot.as_ref().filter(|w| w.alive()) {
            return Ok(w.clone());
        }
        let interpreter = find_interpreter(
            self.options.interpreter.as_deref(),
            self.options.experiment_dir.as_deref(),
        )?;
        let worker = Arc::new(Worker::start(interpreter)?);
        *slot = Some(worker.clone());
        Ok(worker)
    }

    /// Forgets a worker that was killed or died, so the next call starts anew.
    fn discard(&self, worker: &Arc<Worker>) {
        let mut slot = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|w| Arc::ptr_eq(w, worker)) {
            *slot = None;
        }
    }
}

/// The issues in the worker's answer about one python activity.
fn validation_issues(answer: &Value, module: &str) -> Vec<ProviderIssue> {
    if let Some(message) = answer.get("invalid") {
        let hint = answer.get("hint").map(py_str);
        let at: &[&str] = if py_str(message).contains("argument") {
            &["arguments"]
        } else {
            &["module"]
        };
        return vec![issue(at, py_str(message), hint.as_deref())];
    }
    match answer.get("error") {
        Some(e) => vec![issue(
            &[],
            format!("cannot check Python module '{module}': {}", py_str(e)),
            None,
        )],
        None => Vec::new(),
    }
}

fn text(provider: &Map<String, Value>, key: &str) -> Option<String> {
    provider.get(key).filter(|v| py_truthy(v)).map(py_str)
}

impl Driver for PythonDriver {
    fn provider_type(&self) -> &'static str {
        "python"
    }

    fn check(
        &self,
        provider: &Map<String, Value>,
        activity_name: &str,
        kind: &str,
    ) -> Vec<ProviderIssue> {
        self.check_many(&[(provider, activity_name, kind)])
            .pop()
            .unwrap_or_default()
    }

    /// Every python activity of an experiment is checked in one request:
    /// the worker imports and inspects in one go, with no round trip per
    /// activity.
    fn check_many(&self, items: &[(&Map<String, Value>, &str, &str)]) -> Vec<Vec<ProviderIssue>> {
        let mut answers = vec![Vec::new(); items.len()];
        let mut asked = Vec::new();
        let mut requests = Vec::new();
        for (n, (provider, activity_name, kind)) in items.iter().enumerate() {
            let Some(module) = text(provider, "module") else {
                answers[n] = vec![issue(
                    &["module"],
                    "a Python activity must have a module path",
                    Some("set `module` to a dotted module name, e.g. \"os.path\""),
                )];
                continue;
            };
            let Some(func) = text(provider, "func") else {
                answers[n] = vec![issue(
                    &["func"],
                    "a Python activity must have a function name",
                    Some("set `func` to the function to call"),
                )];
                continue;
            };
            let mut request = Map::new();
            request.insert("module".into(), Value::from(module.clone()));
            request.insert("func".into(), Value::from(func));
            request.insert("name".into(), Value::from(*activity_name));
            request.insert("type".into(), Value::from(*kind));
            request.insert(
                "arguments".into(),
                provider
                    .get("arguments")
                    .cloned()
                    .filter(Value::is_object)
                    .unwrap_or_default(),
            );
            requests.push(Value::Object(request));
            asked.push((n, module, *activity_name));
        }
        if asked.is_empty() {
            return answers;
        }
        let cannot_check = |answers: &mut Vec<Vec<ProviderIssue>>, e: &str| {
            for (n, module, activity_name) in &asked {
                answers[*n] = vec![issue(
                    &[],
                    format!(
                        "cannot check Python module '{module}' in activity '{activity_name}': {e}"
                    ),
                    None,
                )];
            }
        };
        let worker = match self.worker() {
            Ok(w) => w,
            Err(e) => {
                cannot_check(&mut answers, &e);
                return answers;
            }
        };
        let mut request = Map::new();
        request.insert("op".into(), Value::from("validate_many"));
        request.insert("items".into(), Value::Array(requests));
        let replies = match worker.request_blocking(request) {
            Ok(answer) => match answer.get("ok") {
                Some(Value::Array(replies)) if replies.len() == asked.len() => replies.clone(),
                _ => {
                    let e = answer
                        .get("error")
                        .map(py_str)
                        .unwrap_or_else(|| "the Python worker gave no answer".into());
                    cannot_check(&mut answers, &e);
                    return answers;
                }
            },
            Err(e) => {
                self.discard(&worker);
                cannot_check(&mut answers, &e);
                return answers;
            }
        };
        for ((n, module, _), reply) in asked.iter().zip(replies) {
            answers[*n] = validation_issues(&reply, module);
        }
        answers
    }

    fn execute<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<Value, ActivityError>> {
        Box::pin(async move {
            let provider = call.provider;
            let module = provider.get("module").map(py_str).unwrap_or_default();
            let func = provider.get("func").map(py_str).unwrap_or_default();
            let mut arguments = provider
                .get("arguments")
                .cloned()
                .filter(Value::is_object)
                .unwrap_or_default();
            if call.substitutes_arguments() {
                arguments = call.substitute(&arguments);
            }
            let mut request = Map::new();
            request.insert("op".into(), Value::from("call"));
            request.insert("module".into(), Value::from(module));
            request.insert("func".into(), Value::from(func));
            request.insert("arguments".into(), arguments);
            if let Some(scopes) = provider.get("secrets") {
                let mut merged = Map::new();
                for scope in scopes.as_array().into_iter().flatten() {
                    if let Some(Value::Object(values)) = call.secrets.get(&py_str(scope)) {
                        merged.extend(values.clone());
                    }
                }
                request.insert("secrets".into(), Value::Object(merged));
            }
            request.insert(
                "configuration".into(),
                Value::Object(call.configuration.clone()),
            );
            let exported = crate::environment::exported();
            if !exported.is_empty() {
                // Variables earlier native activities exported (see
                // `environment`), set in `os.environ` before the call.
                let vars = exported.into_iter().map(|(k, v)| (k, Value::from(v)));
                request.insert("environment".into(), Value::Object(vars.collect()));
            }
            if call.exclusive {
                // Nothing else can need the worker meanwhile: it may run the
                // call on its reading thread and save a thread hand-off.
                request.insert("inline".into(), Value::Bool(true));
            }

            let worker = self.worker().map_err(ActivityError::aborted)?;
            let mut reply = match worker.send(request) {
                Ok(reply) => reply,
                Err(e) => {
                    self.discard(&worker);
                    return Err(ActivityError::aborted(e));
                }
            };
            let answer = tokio::select! {
                answer = reply.recv() => answer,
                _ = call.cancel.cancelled() => {
                    // Tell the worker first: a call on its main thread stops
                    // with KeyboardInterrupt and the worker lives on. A call
                    // on another thread cannot be stopped from outside: then
                    // the worker is killed, and the rollbacks get a fresh one.
                    if call.exclusive && worker.interrupt() {
                        let stopped = tokio::time::timeout(std::time::Duration::from_secs(2), reply.recv()).await;
                        if matches!(stopped, Ok(Some(_))) && worker.alive() {
                            return Err(ActivityError::Cancelled);
                        }
                    }
                    worker.kill();
                    self.discard(&worker);
                    return Err(ActivityError::Cancelled);
                }
            };
            let answer = match answer {
                Some(a) => a,
                None => {
                    let notice = worker.death_notice();
                    self.discard(&worker);
                    return Err(ActivityError::aborted(notice));
                }
            };
            // `os.environ` writes the call made, for what runs after it.
            if let Some(Value::Object(vars)) = answer.get("environment") {
                for (name, value) in vars {
                    crate::environment::set(name, &py_str(value));
                }
            }
            if let Some(v) = answer.get("ok") {
                return Ok(v.clone());
            }
            if let Some(message) = answer.get("failed") {
                let causes = answer
                    .get("traceback")
                    .and_then(Value::as_array)
                    .map(|l| l.iter().map(py_str).collect())
                    .unwrap_or_default();
                return Err(ActivityError::Failed {
                    message: py_str(message),
                    causes,
                });
            }
            Err(ActivityError::aborted(
                answer
                    .get("error")
                    .map(py_str)
                    .unwrap_or_else(|| "the Python worker gave no answer".into()),
            ))
        })
    }
}

impl PythonDriver {
    /// Calls one control hook in the worker. `values` are the named values
    /// the hook may declare (`context`, `state`, `experiment`, ...); the
    /// answer holds them as the hook left them.
    pub async fn control_hook(
        &self,
        module: &str,
        hook: &str,
        arguments: Map<String, Value>,
        values: Map<String, Value>,
    ) -> Map<String, Value> {
        let mut request = Map::new();
        request.insert("op".into(), Value::from("control"));
        request.insert("module".into(), Value::from(module));
        request.insert("hook".into(), Value::from(hook));
        request.insert("arguments".into(), Value::Object(arguments));
        request.insert("values".into(), Value::Object(values));
        let failure = |e: String| {
            let mut m = Map::new();
            m.insert("error".into(), Value::String(e));
            m
        };
        let worker = match self.worker() {
            Ok(w) => w,
            Err(e) => return failure(e),
        };
        match worker.send(request) {
            Ok(mut reply) => match reply.recv().await {
                Some(answer) => answer,
                None => {
                    let notice = worker.death_notice();
                    self.discard(&worker);
                    failure(notice)
                }
            },
            Err(e) => {
                self.discard(&worker);
                failure(e)
            }
        }
    }
}

impl PythonDriver {
    /// Validates a python control: its module imports (else a warning, as
    /// the reference carries on), and its `validate_control` accepts it.
    pub fn check_control(
        &self,
        control: &Map<String, Value>,
        name: &str,
    ) -> (Vec<ProviderIssue>, Vec<ProviderIssue>) {
        let worker = match self.worker() {
            Ok(w) => w,
            Err(e) => {
                return (
                    Vec::new(),
                    vec![issue(
                        &[],
                        format!("control '{name}' cannot be checked: {e}"),
                        None,
                    )],
                )
            }
        };
        let mut request = Map::new();
        request.insert("op".into(), Value::from("validate_control"));
        request.insert("control".into(), Value::Object(control.clone()));
        request.insert("name".into(), Value::from(name));
        match worker.request_blocking(request) {
            Ok(answer) => {
                if let Some(m) = answer.get("invalid") {
                    return (
                        vec![issue(
                            &[],
                            py_str(m),
                            Some("the control's own validate_control refused this declaration"),
                        )],
                        Vec::new(),
                    );
                }
                if let Some(m) = answer.get("warning") {
                    let hint = answer.get("hint").map(py_str);
                    return (
                        Vec::new(),
                        vec![issue(&["provider", "module"], py_str(m), hint.as_deref())],
                    );
                }
                (Vec::new(), Vec::new())
            }
            Err(e) => {
                self.discard(&worker);
                (
                    Vec::new(),
                    vec![issue(
                        &[],
                        format!("control '{name}' cannot be checked: {e}"),
                        None,
                    )],
                )
            }
        }
    }
}
