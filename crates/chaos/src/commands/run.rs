//! `chaos run`: load → validate → resolve → run → journal (spec §9.3), for
//! one experiment or for several, one after the other.
//!
//! The test mode for CI sits on top: `--exit-codes detailed` (one code per
//! outcome, [`chaos_report::exit`]), `--junit FILE` (one test suite per
//! experiment, [`chaos_report::junit`]) and `--history DIR` (every journal
//! kept as `<UTC start>-<title>.json`, for `chaos report DIR`). With one
//! experiment and none of them, a run is exactly what it always was.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chaos_engine::{
    Cause, Dry, HypothesisStrategy, Interrupts, Plan, RollbackStrategy, RunSettings,
};
use chaos_experiment::resolve::{self, ProcessEnv};
use chaos_experiment::validate::validate;
use chaos_report::exit::{self, ExitCodes};
use chaos_report::junit::Unrun;
use chaos_report::Outcome;
use serde_json::Value;

use super::CmdResult;
use crate::cli::{Cli, RunArgs};
use crate::console::Console;
use crate::logfile::LogFile;
use crate::notify::Notifier;

/// The journal, where `--journal-path` does not say otherwise.
const DEFAULT_JOURNAL: &str = "./journal.json";

pub fn run(cli: &Cli, args: &RunArgs, settings_path: &Path, log: LogFile) -> CmdResult {
    let mut console = Arc::new(Console::new(cli.verbose, cli.log_format == "json", log));
    // Signals are ours from here on: one that lands before the run starts
    // still ends in a journal with status `interrupted`.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut interrupts = Interrupts::new();
    let current = Arc::new(Mutex::new(Current {
        interrupts: interrupts.clone(),
        console: console.clone(),
    }));
    let listener = {
        let _guard = runtime.enter();
        listen(current.clone())
    };

    let settings = crate::settings::load(settings_path);
    let codes = ExitCodes::parse(&args.exit_codes).unwrap_or_default();
    let history = args.history.clone().or_else(|| {
        settings
            .pointer("/chaos/history")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    });
    let several = args.sources.len() > 1;
    let destination =
        match Destination::plan(args.journal_path.as_deref(), several, history.is_some()) {
            Ok(d) => d,
            Err(e) => {
                console.error(&e);
                return Ok(exit::USAGE);
            }
        };

    let vars = resolve::merge_vars(&args.vars, &args.var_files);
    for w in &vars.warnings {
        console.error(w);
    }
    for (k, v) in &vars.env {
        // The runtime is single-threaded: nothing reads the environment concurrently.
        std::env::set_var(k, v);
    }
    let notifier = Notifier::from_settings(&settings);

    let mut entries: Vec<Entry> = Vec::new();
    let mut runs: Vec<chaos_report::Run> = Vec::new();
    let mut unrun: Vec<Unrun> = Vec::new();
    let mut journal_names: HashSet<PathBuf> = HashSet::new();
    let mut stopped = false;
    for (i, source) in args.sources.iter().enumerate() {
        if i > 0 {
            // Each experiment gets a fresh interruption state (a brake is
            // for one run) and a fresh console (its verdict is about one
            // run). Swap first, then look at the last state, so that no
            // signal falls in between.
            let previous = std::mem::replace(&mut interrupts, Interrupts::new());
            lock(&current).interrupts = interrupts.clone();
            // A signal (not a brake) stops the whole series.
            stopped = stopped || matches!(previous.cause(), Some(c) if c != Cause::Requested);
            if !stopped {
                if let Some(fresh) = fresh_console(cli) {
                    console = fresh;
                    lock(&current).console = console.clone();
                }
            }
        }
        if stopped {
            entries.push(Entry {
                source: source.clone(),
                title: None,
                state: State::NotRun,
                code: 0,
            });
            continue;
        }
        let context = Context {
            args,
            settings: &settings,
            notifier: &notifier,
            runtime: &runtime,
            vars: &vars,
        };
        let done = match run_one(&context, source, interrupts.clone(), console.clone()) {
            Ran::Invalid(reason) => {
                entries.push(Entry {
                    source: source.clone(),
                    title: None,
                    state: State::Invalid,
                    code: codes.invalid(),
                });
                if args.junit.is_some() {
                    unrun.push(Unrun {
                        source: source.clone(),
                        reason,
                    });
                }
                continue;
            }
            Ran::Done(done) => done,
        };
        let title = done
            .journal
            .pointer("/experiment/title")
            .map(chaos_pyvalue::py_str)
            .unwrap_or_default();
        let mut code = codes.of(done.outcome);
        let mut kept: Option<PathBuf> = None;
        let mut written = true;
        if let Some(path) = destination.path_for(&title, &mut journal_names) {
            match write_journal(&path, &done.journal) {
                Ok(()) => {
                    console.journal_written(&path);
                    kept = Some(path);
                }
                Err(e) => {
                    console.error(&format!(
                        "cannot write the journal to '{}': {e}",
                        path.display()
                    ));
                    code = code.max(codes.unrecorded(done.outcome));
                    written = false;
                }
            }
        }
        if let Some(dir) = &history {
            match keep_in_history(dir, &done.journal) {
                Ok(path) => {
                    console.info(&format!("Journal kept in the history: {}", path.display()));
                    kept.get_or_insert(path);
                }
                Err(e) => {
                    console.error(&format!(
                        "cannot keep the journal in the history folder '{}': {e}",
                        dir.display()
                    ));
                    code = code.max(codes.unrecorded(done.outcome));
                }
            }
        }
        // As before: no notification of the end when the journal could not
        // be written.
        if written {
            let completed = done.status == chaos_engine::Status::Completed;
            let event = if completed {
                "run-completed"
            } else {
                "run-failed"
            };
            notifier.send(event, "run", &done.journal, None);
            if done.deviated {
                notifier.send("run-deviated", "run", &done.journal, None);
            }
        }
        if args.junit.is_some() {
            let label = kept
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| source.clone());
            if let Ok(run) = chaos_report::model::from_value(&label, &done.journal) {
                runs.push(run);
            }
        }
        entries.push(Entry {
            source: source.clone(),
            title: Some(title),
            state: State::Ran(done.outcome),
            code,
        });
        if several {
            drop(done);
        } else {
            // The process ends now: freeing the journal value by value is
            // wasted work (a few ms for a thousand activities).
            std::mem::forget(done);
        }
    }
    if let Ok(l) = listener {
        l.abort();
    }
    // Let activities' runtimes wind down without blocking the exit.
    runtime.shutdown_background();

    let mut code = exit::worst(entries.iter().map(|e| e.code));
    if several {
        summary(&console, &entries);
    }
    if let Some(path) = &args.junit {
        let xml = chaos_report::junit::render_with(&runs, &unrun);
        match chaos_experiment::atomic::write(path, xml.as_bytes()) {
            Ok(()) => console.info(&format!("JUnit report written to {}", path.display())),
            Err(e) => {
                console.error(&format!(
                    "cannot write the JUnit report to '{}': {e}",
                    path.display()
                ));
                code = code.max(codes.unrecorded(Outcome::Completed));
            }
        }
    }
    Ok(code)
}

/// What the signal listener reports to: the experiment running now.
struct Current {
    interrupts: Arc<Interrupts>,
    console: Arc<Console>,
}

fn lock(current: &Mutex<Current>) -> std::sync::MutexGuard<'_, Current> {
    current.lock().unwrap_or_else(|e| e.into_inner())
}

/// Listens for SIGINT, SIGTERM, SIGUSR1 and SIGUSR2 for the whole command,
/// feeding each to the experiment running at the time.
fn listen(current: Arc<Mutex<Current>>) -> std::io::Result<tokio::task::JoinHandle<()>> {
    chaos_engine::interrupt::listen_with(move |cause| {
        let (interrupts, console) = {
            let c = lock(&current);
            (c.interrupts.clone(), c.console.clone())
        };
        let effect = interrupts.signal(cause);
        console.signal(cause, effect);
    })
}

/// A console with its own log file handle, for the next experiment; `None`
/// when the log file's path cannot be told again (a relative path after
/// `--change-dir`), in which case the last console goes on.
fn fresh_console(cli: &Cli) -> Option<Arc<Console>> {
    let log = if cli.no_log_file {
        LogFile::disabled()
    } else {
        LogFile::open(&log_path(cli)?, &cli.log_file_level)
    };
    Some(Arc::new(Console::new(
        cli.verbose,
        cli.log_format == "json",
        log,
    )))
}

/// The log file's path from here: it was opened before `--change-dir`.
fn log_path(cli: &Cli) -> Option<PathBuf> {
    let path = &cli.log_file;
    let Some(dir) = &cli.change_dir else {
        return Some(path.clone());
    };
    if path.is_absolute() {
        return Some(path.clone());
    }
    if dir.is_absolute() {
        return None;
    }
    // The folder the command started in, as the shell says, when it is
    // indeed where `--change-dir` led from.
    let started = PathBuf::from(std::env::var_os("PWD")?);
    let here = std::env::current_dir().ok()?.canonicalize().ok()?;
    (started.join(dir).canonicalize().ok()? == here).then(|| started.join(path))
}

/// What one experiment of the series came to.
struct Entry {
    source: String,
    title: Option<String>,
    state: State,
    code: u8,
}

enum State {
    Ran(Outcome),
    /// Not loaded, not valid, or not resolved: no journal.
    Invalid,
    /// A signal stopped the series before it.
    NotRun,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::Ran(o) => o.name(),
            State::Invalid => "invalid",
            State::NotRun => "not-run",
        }
    }

    fn rank(&self) -> usize {
        match self {
            State::Ran(o) => Outcome::ALL.iter().position(|x| x == o).unwrap_or(0),
            State::Invalid => Outcome::ALL.len(),
            State::NotRun => Outcome::ALL.len() + 1,
        }
    }
}

/// One line per experiment, then the totals, e.g. `3 experiments: 1
/// completed, 1 deviated, 1 failed`.
fn summary(console: &Console, entries: &[Entry]) {
    console.info("Summary:");
    for e in entries {
        let title = match e.title.as_deref() {
            Some(t) if !t.is_empty() => format!(" — {t}"),
            _ => String::new(),
        };
        let code = match e.state {
            State::NotRun => String::new(),
            _ => format!(" (exit {})", e.code),
        };
        console.info(&format!("  {}: {}{code}{title}", e.source, e.state.name()));
    }
    let mut counts: Vec<(usize, &'static str, usize)> = Vec::new();
    for e in entries {
        let (rank, name) = (e.state.rank(), e.state.name());
        match counts.iter_mut().find(|c| c.0 == rank) {
            Some(c) => c.2 += 1,
            None => counts.push((rank, name, 1)),
        }
    }
    counts.sort();
    let parts: Vec<String> = counts
        .iter()
        .map(|(_, name, n)| format!("{n} {name}"))
        .collect();
    console.info(&format!(
        "{} experiments: {}",
        entries.len(),
        parts.join(", ")
    ));
}

/// Where journals go.
#[derive(Debug)]
enum Destination {
    /// One experiment: this file.
    File(PathBuf),
    /// Several: `journal-<title>.json` in this folder.
    Folder(PathBuf),
    /// Several, with a history: only there.
    HistoryOnly,
}

impl Destination {
    fn plan(given: Option<&Path>, several: bool, history: bool) -> Result<Destination, String> {
        if !several {
            let path = given.map(Path::to_path_buf);
            return Ok(Destination::File(
                path.unwrap_or_else(|| PathBuf::from(DEFAULT_JOURNAL)),
            ));
        }
        match given {
            Some(p) if p.is_dir() || p.as_os_str().to_string_lossy().ends_with('/') => {
                Ok(Destination::Folder(p.to_path_buf()))
            }
            Some(p) => Err(format!(
                "with several experiments, --journal-path must name a folder (an existing one, \
                 or a path ending in '/'), where each experiment gets its own \
                 journal-<title>.json; '{}' is not one. Or leave --journal-path out: the \
                 journals then go to the current folder, or only to --history when it is set",
                p.display()
            )),
            None if history => Ok(Destination::HistoryOnly),
            None => Ok(Destination::Folder(PathBuf::from("."))),
        }
    }

    /// The journal's path for an experiment titled `title`, unique within
    /// this command.
    fn path_for(&self, title: &str, used: &mut HashSet<PathBuf>) -> Option<PathBuf> {
        match self {
            Destination::File(p) => Some(p.clone()),
            Destination::HistoryOnly => None,
            Destination::Folder(dir) => {
                let stem = format!("journal-{}", slug(title));
                let mut n = 1;
                loop {
                    let name = if n == 1 {
                        format!("{stem}.json")
                    } else {
                        format!("{stem}-{n}.json")
                    };
                    let path = dir.join(name);
                    if used.insert(path.clone()) {
                        return Some(path);
                    }
                    n += 1;
                }
            }
        }
    }
}

/// Writes a journal through the engine's atomic writer, making its folder
/// first when it is missing.
fn write_journal(path: &Path, journal: &Value) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
        }
    }
    chaos_engine::journal::write_atomically(path, journal)
}

/// Keeps a journal in the history folder as
/// `<UTC start as 20261125T185555.123Z>-<slug of title>.json`, `-2`, `-3`...
/// on a collision: written aside, then linked (or renamed) into place
/// under a name nobody has, so a reader never sees half a journal and no
/// run overwrites another's.
pub fn keep_in_history(dir: &Path, journal: &Value) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let start = journal
        .get("start")
        .and_then(Value::as_str)
        .and_then(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .ok()
                .or_else(|| {
                    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                        .ok()
                        .map(|n| n.and_utc())
                })
        })
        .unwrap_or_else(chrono::Utc::now);
    let title = journal
        .pointer("/experiment/title")
        .map(chaos_pyvalue::py_str)
        .unwrap_or_default();
    let stem = format!("{}-{}", start.format("%Y%m%dT%H%M%S%.3fZ"), slug(&title));
    let bytes = serde_json::to_vec_pretty(journal).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!(".{stem}.{}.tmp", std::process::id()));
    let placed = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        drop(f);
        for n in 1.. {
            let name = if n == 1 {
                format!("{stem}.json")
            } else {
                format!("{stem}-{n}.json")
            };
            let path = dir.join(name);
            match std::fs::hard_link(&tmp, &path) {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                // No hard links on this file system: rename onto a free name.
                Err(_) if path.exists() => continue,
                Err(_) => {
                    std::fs::rename(&tmp, &path)?;
                    return Ok(path);
                }
            }
        }
        unreachable!("an unbounded range ends")
    })();
    let _ = std::fs::remove_file(&tmp);
    placed
}

/// A file-name-safe form of a title: lowercase ASCII letters, digits and
/// `-`, at most 60 characters; `experiment` when nothing is left.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    out.truncate(60);
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "experiment".to_string()
    } else {
        out.to_string()
    }
}

/// What every experiment of a command shares.
struct Context<'a> {
    args: &'a RunArgs,
    settings: &'a Value,
    notifier: &'a Notifier,
    runtime: &'a tokio::runtime::Runtime,
    vars: &'a resolve::Vars,
}

/// How one experiment went.
enum Ran {
    /// It could not run: not loaded, not valid, not resolved.
    Invalid(String),
    /// It ran; the journal is not written yet.
    Done(Done),
}

struct Done {
    journal: Value,
    status: chaos_engine::Status,
    deviated: bool,
    outcome: Outcome,
}

/// Loads, validates, resolves and runs one experiment.
fn run_one(
    cx: &Context<'_>,
    source: &str,
    interrupts: Arc<Interrupts>,
    console: Arc<Console>,
) -> Ran {
    let args = cx.args;
    let settings = cx.settings;
    let doc = match super::load::load(source, !args.no_verify_tls, settings) {
        Ok(d) => d,
        Err(e) => {
            let reason = format!("{e:#}");
            console.error(&reason);
            return Ran::Invalid(reason);
        }
    };
    cx.notifier.send("run-started", "run", &doc.value, None);
    let registry = super::registry(source, args.python.as_deref(), settings);
    if !args.no_validation {
        let validation = validate(&doc, &registry, &ProcessEnv);
        console.diagnostics(&doc, &validation);
        if !validation.is_valid() {
            let n = validation.errors.len();
            let mut reason = format!(
                "{n} error{} in {}",
                if n == 1 { "" } else { "s" },
                doc.origin
            );
            for d in &validation.errors {
                reason.push_str(&format!("\n{} (at {})", d.message, d.path));
            }
            return Ran::Invalid(reason);
        }
    }
    let Value::Object(experiment) = doc.value else {
        let reason = "an experiment must be a mapping of keys to values".to_string();
        console.error(&reason);
        return Ran::Invalid(reason);
    };

    let mut global_controls = global_controls(settings, &args.control_files, &console);
    let native_controls = super::native_controls(settings);
    if args.interactive {
        let mut declaration = serde_json::Map::new();
        declaration.insert("name".into(), Value::from("human-intervention"));
        declaration.insert(
            "provider".into(),
            serde_json::json!({"type": "python", "module": chaos_controls::human::MODULE}),
        );
        global_controls.extend(chaos_engine::controls::Control::new(&declaration, true));
    }
    // Asking a person needs a terminal: without one, refuse now rather
    // than hang at the first question.
    let asks_a_person = global_controls
        .iter()
        .chain(chaos_engine::controls::experiment_controls(&experiment).iter())
        .any(|c| {
            c.provider().get("module").and_then(Value::as_str)
                == Some(chaos_controls::human::MODULE)
        });
    if asks_a_person && native_controls.serves(chaos_controls::human::MODULE) {
        if let Err(e) = chaos_controls::human::terminal_available() {
            console.error(&e);
            return Ran::Invalid(e.to_string());
        }
    }

    let run_settings = match strategies(args, settings, &experiment) {
        Ok(s) => s,
        Err(e) => {
            console.error(&e);
            return Ran::Invalid(e);
        }
    };
    if args.hypothesis_strategy.as_deref() == Some("continously") {
        console.warn("The \"--hypothesis-strategy=continously\" command is depreciating and will be removed in a future version. Instead, please use \"--hypothesis-strategy=continuously\"");
    }

    let configuration = match resolve::load_configuration(
        experiment.get("configuration"),
        &cx.vars.configuration,
        &ProcessEnv,
    ) {
        Ok(c) => c,
        Err(e) => {
            let reason = e.to_string();
            console.error(&reason);
            return Ran::Invalid(reason);
        }
    };
    let secrets =
        match resolve::load_secrets(experiment.get("secrets"), &cx.vars.secrets, &ProcessEnv) {
            Ok(s) => s,
            Err(e) => {
                let reason = e.to_string();
                console.error(&reason);
                return Ran::Invalid(reason);
            }
        };

    let outcome = cx.runtime.block_on(async {
        let configuration = chaos_engine::dynamic::load_dynamic_configuration(
            configuration,
            &secrets,
            &registry,
            &*console,
        )
        .await;
        let plan = Plan {
            global_controls,
            settings_document: settings.clone(),
            native_controls,
            experiment,
            configuration,
            secrets,
            settings: run_settings,
        };
        let brake = args.max_duration.map(|seconds| {
            let interrupts = interrupts.clone();
            let console = console.clone();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs_f64(seconds)).await;
                let why = format!("the run reached its --max-duration of {seconds} s");
                console.warn(&format!("{why}: interrupting it, then rolling back"));
                interrupts.brake(why);
            })
        });
        let outcome = chaos_engine::run(plan, registry, console.clone(), interrupts).await;
        if let Some(b) = brake {
            b.abort();
        }
        outcome
    });
    let before_met = outcome
        .journal
        .pointer("/steady_states/before/steady_state_met")
        .and_then(Value::as_bool);
    Ran::Done(Done {
        outcome: Outcome::of(outcome.status.as_str(), outcome.deviated, before_met),
        status: outcome.status,
        deviated: outcome.deviated,
        journal: outcome.journal,
    })
}

/// Strategies: settings, then the experiment's `runtime` block (which resets
/// both when present), then the flags (spec §9.3 step 8).
fn strategies(
    args: &RunArgs,
    settings: &Value,
    experiment: &serde_json::Map<String, Value>,
) -> Result<RunSettings, String> {
    let mut hypothesis = crate::settings::runtime_strategy(settings, "hypothesis")
        .unwrap_or("default")
        .to_string();
    let mut rollbacks = crate::settings::runtime_strategy(settings, "rollbacks")
        .unwrap_or("default")
        .to_string();
    if let Some(rt) = experiment
        .get("runtime")
        .filter(|v| chaos_pyvalue::py_truthy(v))
    {
        let get = |which: &str| {
            rt.get(which)
                .and_then(|w| w.get("strategy"))
                .map(chaos_pyvalue::py_str)
                .unwrap_or_else(|| "default".into())
        };
        hypothesis = get("hypothesis");
        rollbacks = get("rollbacks");
    }
    if let Some(h) = &args.hypothesis_strategy {
        hypothesis = h.clone();
    }
    if let Some(r) = &args.rollback_strategy {
        rollbacks = r.clone();
    }
    let dry = args.dry.as_deref().map(str::parse::<Dry>).transpose()?;
    if !(args.hypothesis_frequency.is_finite() && args.hypothesis_frequency >= 0.0) {
        return Err("--hypothesis-frequency must be a number of seconds, 0 or more".into());
    }
    Ok(RunSettings {
        dry,
        hypothesis: hypothesis.parse::<HypothesisStrategy>()?,
        rollbacks: rollbacks.parse::<RollbackStrategy>()?,
        frequency: args.hypothesis_frequency,
        fail_fast: args.fail_fast,
    })
}

/// Global controls: the settings file's `controls`, then each
/// `--control-file` (a mapping of name to control), in order (spec §7.1).
fn global_controls(
    settings: &Value,
    files: &[std::path::PathBuf],
    console: &Console,
) -> Vec<chaos_engine::controls::Control> {
    let mut found = Vec::new();
    let mut add = |mapping: &serde_json::Map<String, Value>| {
        for (name, declaration) in mapping {
            if let Value::Object(d) = declaration {
                let mut d = d.clone();
                d.insert("name".into(), Value::String(name.clone()));
                if let Some(c) = chaos_engine::controls::Control::new(&d, true) {
                    found.push(c);
                }
            }
        }
    };
    if let Some(Value::Object(m)) = settings.get("controls") {
        add(m);
    }
    for file in files {
        let is_yaml = matches!(
            file.extension().and_then(|e| e.to_str()),
            Some("yaml") | Some("yml")
        );
        let format = if is_yaml {
            chaos_experiment::Format::Yaml
        } else {
            chaos_experiment::Format::Json
        };
        let bytes = match std::fs::read(file) {
            Ok(b) if b.iter().all(u8::is_ascii_whitespace) => continue,
            Ok(b) => b,
            Err(e) => {
                console.error(&format!(
                    "Failed to parse control file '{}': {e}",
                    file.display()
                ));
                continue;
            }
        };
        match chaos_experiment::Document::parse(&bytes, format, &file.display().to_string()) {
            Ok(doc) => match doc.value {
                Value::Object(m) => add(&m),
                _ => console.error(&format!(
                    "Failed to parse control file '{}': it must map control names to controls",
                    file.display()
                )),
            },
            Err(e) => console.error(&format!(
                "Failed to parse control file '{}': {e}",
                file.display()
            )),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_safe_names() {
        assert_eq!(
            slug("Kill pods: ÜBER/weird  title!"),
            "kill-pods-ber-weird-title"
        );
        assert_eq!(slug("--"), "experiment");
        assert_eq!(slug(""), "experiment");
        assert_eq!(slug(&"a b ".repeat(50)).len(), 59);
        assert!(slug(&"x".repeat(100)).len() == 60);
    }

    #[test]
    fn history_names_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let j = serde_json::json!({
            "start": "2026-11-25T18:55:55.123456+00:00",
            "experiment": {"title": "Same: title"},
            "status": "completed"
        });
        let names: Vec<String> = (0..3)
            .map(|_| {
                keep_in_history(dir.path(), &j)
                    .unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "20261125T185555.123Z-same-title.json",
                "20261125T185555.123Z-same-title-2.json",
                "20261125T185555.123Z-same-title-3.json"
            ]
        );
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(left, sorted, "no temporary file is left behind");
        let kept: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(&names[0])).unwrap())
                .unwrap();
        assert_eq!(kept, j);
        // Naive times (the oldest journals) are UTC.
        let naive =
            serde_json::json!({"start": "2020-01-02T03:04:05", "experiment": {"title": "t"}});
        let p = keep_in_history(dir.path(), &naive).unwrap();
        assert!(
            p.ends_with("20200102T030405.000Z-t.json"),
            "{}",
            p.display()
        );
    }
}
