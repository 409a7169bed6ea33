//! The process side of the Python bridge: one worker per run, started on
//! first need, talking framed JSON over its stdin and stdout.
//!
//! Calls carry an id, so background activities and the continuous hypothesis
//! can have calls in flight together. There is no reader thread: whoever
//! waits for an answer reads the worker's pipe, through the runtime (the
//! run) or with a blocking `poll` (validation), and hands every answer it
//! finds to its caller. A thread in between cost a hand-off per call, about
//! a fifth of a trivial call's round trip.

use std::collections::HashMap;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use chaos_pyvalue::{Map, Value};
use tokio::sync::oneshot;

/// The worker's source, shipped inside the binary.
const WORKER: &str = include_str!("worker.py");

/// The read end of a pipe, made non-blocking: both the runtime and the
/// blocking `poll` read it only when it is ready.
fn nonblocking(fd: OwnedFd) -> Result<OwnedFd, String> {
    nix::fcntl::fcntl(
        fd.as_raw_fd(),
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    )
    .map_err(|e| format!("cannot set up the Python worker's pipe: {e}"))?;
    Ok(fd)
}

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

type Pending = Mutex<HashMap<u64, oneshot::Sender<Map<String, Value>>>>;

/// A running worker.
pub struct Worker {
    child: Mutex<Child>,
    stdin: Mutex<ChildStdin>,
    /// Callers waiting for an answer, by request id.
    pending: Pending,
    /// The worker's answers; held by the one caller reading them.
    answers: tokio::sync::Mutex<AnswerPipe>,
    next_id: AtomicU64,
    alive: AtomicBool,
    /// The interpreter's own process id, which it reports when it starts
    /// (a wrapper such as a pyenv shim may sit between it and us).
    python_pid: std::sync::atomic::AtomicI32,
    /// The interpreter it runs on.
    pub interpreter: Interpreter,
}

/// The read end of the worker's stdout and what was read of it but not yet
/// handed out.
struct AnswerPipe {
    pipe: PipeEnd,
    buffer: Vec<u8>,
    /// Where each read lands, allocated once.
    chunk: Box<[u8]>,
    /// Calls left before polling the pipe again (see `fill`).
    spin_skip: u32,
    ended: bool,
}

/// The pipe as a plain descriptor until it is first read in async code, then
/// registered with the runtime. Both read it without blocking.
enum PipeEnd {
    Plain(OwnedFd),
    Registered(tokio::net::unix::pipe::Receiver),
}

impl AnswerPipe {
    const CHUNK: usize = 64 * 1024;
    const SPIN: std::time::Duration = std::time::Duration::from_micros(50);
    /// Calls that wait without polling after a poll found nothing.
    const SPIN_BACKOFF: u32 = 32;

    /// Reads what is there, waiting through the runtime; false at the end.
    async fn fill(&mut self) -> bool {
        if let PipeEnd::Plain(fd) = &self.pipe {
            let registered = fd
                .try_clone()
                .and_then(tokio::net::unix::pipe::Receiver::from_owned_fd_unchecked);
            match registered {
                Ok(r) => self.pipe = PipeEnd::Registered(r),
                Err(_) => return false,
            }
        }
        let PipeEnd::Registered(pipe) = &self.pipe else {
            return false;
        };
        // A trivial function answers within tens of microseconds. Going to
        // sleep in epoll for that long costs a wake-up that, on the VMs we
        // measured, is most of a call's round trip; polling the pipe for a
        // short while first made a trivial call ~25 % cheaper end to end.
        // When the machine is busy polling steals CPU from the worker and
        // answers come late: a poll that finds nothing turns polling off
        // for the next calls.
        if self.spin_skip > 0 {
            self.spin_skip -= 1;
        } else {
            let spin_until = std::time::Instant::now() + Self::SPIN;
            while std::time::Instant::now() < spin_until {
                match nix::unistd::read(pipe.as_raw_fd(), &mut self.chunk) {
                    Ok(0) => return false,
                    Ok(n) => {
                        self.buffer.extend_from_slice(&self.chunk[..n]);
                        return true;
                    }
                    Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => {
                        std::hint::spin_loop()
                    }
                    Err(_) => return false,
                }
            }
            self.spin_skip = Self::SPIN_BACKOFF;
        }
        loop {
            if pipe.readable().await.is_err() {
                return false;
            }
            match pipe.try_read(&mut self.chunk) {
                Ok(0) => return false,
                Ok(n) => {
                    self.buffer.extend_from_slice(&self.chunk[..n]);
                    return true;
                }
                Err(e) if retry(&e) => continue,
                Err(_) => return false,
            }
        }
    }

    /// Reads what is there, blocking the thread until something is; false
    /// at the end. For synchronous callers (validation).
    fn fill_blocking(&mut self) -> bool {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let fd = match &self.pipe {
            PipeEnd::Plain(fd) => fd.as_fd(),
            PipeEnd::Registered(r) => r.as_fd(),
        };
        loop {
            let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return false,
            }
            match nix::unistd::read(fd.as_raw_fd(), &mut self.chunk) {
                Ok(0) => return false,
                Ok(n) => {
                    self.buffer.extend_from_slice(&self.chunk[..n]);
                    return true;
                }
                Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EINTR) => continue,
                Err(_) => return false,
            }
        }
    }

    /// The next whole frame in the buffer, if one is there.
    fn next_frame(&mut self) -> Option<Vec<u8>> {
        let header: [u8; 4] = self.buffer.get(..4)?.try_into().ok()?;
        let size = u32::from_be_bytes(header) as usize;
        if self.buffer.len() < 4 + size {
            return None;
        }
        let frame = self.buffer[4..4 + size].to_vec();
        self.buffer.drain(..4 + size);
        Some(frame)
    }
}

fn retry(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
    )
}

/// An answer on its way: [`Reply::recv`] waits for it.
pub struct Reply<'w> {
    worker: &'w Worker,
    rx: oneshot::Receiver<Map<String, Value>>,
}

impl Reply<'_> {
    /// The answer; `None` if the worker ended first. Cancel-safe: what was
    /// read stays buffered, and it may be awaited again.
    pub async fn recv(&mut self) -> Option<Map<String, Value>> {
        use oneshot::error::TryRecvError;
        tokio::select! {
            biased;
            answer = &mut self.rx => answer.ok(),
            mut answers = self.worker.answers.lock() => {
                // This caller reads for everyone until its own answer is
                // in; then another waiting caller takes over.
                loop {
                    match self.rx.try_recv() {
                        Ok(answer) => return Some(answer),
                        Err(TryRecvError::Closed) => return None,
                        Err(TryRecvError::Empty) => {}
                    }
                    if answers.ended || !answers.fill().await {
                        self.worker.ended(&mut answers);
                    }
                    self.worker.hand_out(&mut answers);
                }
            }
        }
    }

    /// The answer, blocking the thread; `None` if the worker ended first.
    /// Not for async code.
    pub fn recv_blocking(mut self) -> Option<Map<String, Value>> {
        use oneshot::error::TryRecvError;
        let mut answers = self.worker.answers.blocking_lock();
        loop {
            match self.rx.try_recv() {
                Ok(answer) => return Some(answer),
                Err(TryRecvError::Closed) => return None,
                Err(TryRecvError::Empty) => {}
            }
            if answers.ended || !answers.fill_blocking() {
                self.worker.ended(&mut answers);
            }
            self.worker.hand_out(&mut answers);
        }
    }
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
        Ok(Worker {
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            pending: Pending::default(),
            answers: tokio::sync::Mutex::new(AnswerPipe {
                pipe: PipeEnd::Plain(nonblocking(stdout.into())?),
                buffer: Vec::new(),
                chunk: vec![0u8; AnswerPipe::CHUNK].into_boxed_slice(),
                spin_skip: 0,
                ended: false,
            }),
            next_id: AtomicU64::new(1),
            alive: AtomicBool::new(true),
            python_pid: std::sync::atomic::AtomicI32::new(0),
            interpreter,
        })
    }

    /// Hands every whole answer in the buffer to whoever waits for it.
    fn hand_out(&self, answers: &mut AnswerPipe) {
        while let Some(frame) = answers.next_frame() {
            let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(&frame) else {
                continue;
            };
            if let Some(pid) = answer.get("pid").and_then(Value::as_i64) {
                self.python_pid.store(pid as i32, Ordering::SeqCst);
                continue;
            }
            let Some(id) = answer.get("id").and_then(Value::as_u64) else {
                continue;
            };
            let waiting = self
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            if let Some(tx) = waiting {
                let _ = tx.send(answer);
            }
        }
    }

    /// The worker's stdout ended: it is gone, and whoever still waits learns
    /// it (their channels close).
    fn ended(&self, answers: &mut AnswerPipe) {
        answers.ended = true;
        self.alive.store(false, Ordering::SeqCst);
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Whether the worker still runs.
    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Sends a request; the answer is awaited through the returned [`Reply`].
    pub fn send(&self, mut request: Map<String, Value>) -> Result<Reply<'_>, String> {
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
        Ok(Reply { worker: self, rx })
    }

    /// Sends a request and waits for the answer (outside async code).
    pub fn request_blocking(
        &self,
        request: Map<String, Value>,
    ) -> Result<Map<String, Value>, String> {
        let reply = self.send(request)?;
        reply.recv_blocking().ok_or_else(|| self.death_notice())
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
