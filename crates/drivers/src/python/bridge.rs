//! The process side of the Python bridge: one worker per run, started on
//! first need, talking framed JSON over its stdin and stdout.
//!
//! Calls carry an id, so background activities and the continuous hypothesis
//! can have calls in flight together; a reader thread hands each answer to
//! whoever waits for it, synchronously (validation) or not (the run).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chaos_pyvalue::{Map, Value};
use tokio::sync::oneshot;

/// The worker's source, shipped inside the binary.
const WORKER: &str = include_str!("worker.py");

/// How the interpreter was chosen, for messages.
#[derive(Debug, Clone)]
pub struct Interpreter {
    /// The program.
    pub path: PathBuf,
    /// Why this one (`--python`, `VIRTUAL_ENV`, ...).
    pub origin: String,
}

/// Finds the interpreter: `--python`/`CHAOS_PYTHON`, the active virtualenv,
/// `.venv` next to the experiment, then `python3` on PATH.
pub fn find_interpreter(
    explicit: Option<&Path>,
    experiment_dir: Option<&Path>,
) -> Result<Interpreter, String> {
    if let Some(p) = explicit {
        return Ok(Interpreter {
            path: p.to_path_buf(),
            origin: "--python".into(),
        });
    }
    if let Some(p) = std::env::var_os("CHAOS_PYTHON").filter(|p| !p.is_empty()) {
        return Ok(Interpreter {
            path: PathBuf::from(p),
            origin: "CHAOS_PYTHON".into(),
        });
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV").filter(|p| !p.is_empty()) {
        let p = Path::new(&venv).join("bin").join("python");
        if p.exists() {
            return Ok(Interpreter {
                path: p,
                origin: "the active virtualenv (VIRTUAL_ENV)".into(),
            });
        }
    }
    if let Some(dir) = experiment_dir {
        let p = dir.join(".venv").join("bin").join("python");
        if p.exists() {
            return Ok(Interpreter {
                path: p,
                origin: "the .venv next to the experiment".into(),
            });
        }
    }
    match crate::process::which("python3") {
        Some(p) => Ok(Interpreter { path: p, origin: "python3 on PATH".into() }),
        None => Err("no Python interpreter found: looked at --python, CHAOS_PYTHON, VIRTUAL_ENV, a .venv next to the experiment and python3 on PATH; install Python 3 or set CHAOS_PYTHON".into()),
    }
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Map<String, Value>>>>>;

/// A running worker.
pub struct Worker {
    child: Mutex<Child>,
    stdin: Mutex<ChildStdin>,
    pending: Pending,
    next_id: AtomicU64,
    alive: Arc<AtomicBool>,
    /// The interpreter's own process id, which it reports when it starts
    /// (a wrapper such as a pyenv shim may sit between it and us).
    python_pid: Arc<std::sync::atomic::AtomicI32>,
    /// The interpreter it runs on.
    pub interpreter: Interpreter,
}

impl Worker {
    /// Starts a worker on `interpreter`.
    pub fn start(interpreter: Interpreter) -> Result<Worker, String> {
        let mut child = Command::new(&interpreter.path)
            .arg("-c")
            .arg(WORKER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .env("CHAOS_PID", std::process::id().to_string())
            .process_group(0)
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start the Python interpreter {} (from {}): {e}",
                    interpreter.path.display(),
                    interpreter.origin
                )
            })?;
        let stdin = child.stdin.take().ok_or("no stdin for the Python worker")?;
        let stdout = child
            .stdout
            .take()
            .ok_or("no stdout for the Python worker")?;
        let pending: Pending = Arc::default();
        let alive = Arc::new(AtomicBool::new(true));
        let (p, a) = (pending.clone(), alive.clone());
        let pid = Arc::new(std::sync::atomic::AtomicI32::new(0));
        let python_pid = pid.clone();
        std::thread::Builder::new()
            .name("chaos-python-reader".into())
            .spawn(move || {
                let mut header = [0u8; 4];
                let mut stdout = std::io::BufReader::with_capacity(64 * 1024, stdout);
                while stdout.read_exact(&mut header).is_ok() {
                    let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
                    if stdout.read_exact(&mut body).is_err() {
                        break;
                    }
                    let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(&body) else {
                        continue;
                    };
                    if let Some(pid) = answer.get("pid").and_then(Value::as_i64) {
                        python_pid.store(pid as i32, Ordering::SeqCst);
                        continue;
                    }
                    let Some(id) = answer.get("id").and_then(Value::as_u64) else {
                        continue;
                    };
                    if let Some(tx) = p.lock().unwrap_or_else(|e| e.into_inner()).remove(&id) {
                        let _ = tx.send(answer);
                    }
                }
                a.store(false, Ordering::SeqCst);
                // Whoever still waits learns that the worker is gone.
                p.lock().unwrap_or_else(|e| e.into_inner()).clear();
            })
            .map_err(|e| format!("cannot start the bridge's reader thread: {e}"))?;
        Ok(Worker {
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            pending,
            next_id: AtomicU64::new(1),
            alive,
            python_pid: pid,
            interpreter,
        })
    }

    /// Whether the worker still runs.
    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Sends a request; the answer arrives on the returned channel (closed
    /// if the worker dies first).
    pub fn send(
        &self,
        mut request: Map<String, Value>,
    ) -> Result<oneshot::Receiver<Map<String, Value>>, String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        request.insert("id".into(), Value::from(id));
        let body = serde_json::to_vec(&Value::Object(request)).map_err(|e| e.to_string())?;
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, tx);
        let mut frame = Vec::with_capacity(body.len() + 4);
        frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
        frame.extend_from_slice(&body);
        let mut stdin = self.stdin.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = stdin.write_all(&frame) {
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            return Err(format!("the Python worker is gone: {e}"));
        }
        Ok(rx)
    }

    /// Sends a request and waits for the answer (outside async code).
    pub fn request_blocking(
        &self,
        request: Map<String, Value>,
    ) -> Result<Map<String, Value>, String> {
        let rx = self.send(request)?;
        rx.blocking_recv().map_err(|_| self.death_notice())
    }

    /// What to say when the worker died.
    pub fn death_notice(&self) -> String {
        let path = self.interpreter.path.display();
        // Its pipe closed, so it is on its way out: give it a moment to end.
        for _ in 0..100 {
            match self
                .child
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .try_wait()
            {
                Ok(Some(status)) => {
                    return format!("the Python worker ({path}) exited unexpectedly ({status})")
                }
                // Already reaped elsewhere: it is gone all the same.
                Err(_) => return format!("the Python worker ({path}) exited unexpectedly"),
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
            }
        }
        format!("the Python worker ({path}) stopped answering")
    }

    /// Sends SIGINT to the worker itself (not its group): a call running on
    /// its main thread stops with KeyboardInterrupt. False if it is gone.
    pub fn interrupt(&self) -> bool {
        let pid = self.python_pid.load(Ordering::SeqCst);
        pid > 0
            && self.alive()
            && nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGINT,
            )
            .is_ok()
    }

    /// Stops the worker and everything it started, at once.
    pub fn kill(&self) {
        self.alive.store(false, Ordering::SeqCst);
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let pgid = child.id() as i32;
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pgid),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.alive() {
            // Closing stdin ends the serve loop; the group kill is for the
            // functions' own children.
            self.kill();
        }
    }
}
