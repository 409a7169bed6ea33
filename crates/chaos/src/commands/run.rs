//! `chaos run`: load → validate → resolve → run → journal (spec §9.3).

use std::path::Path;
use std::sync::Arc;

use chaos_engine::{Dry, HypothesisStrategy, Interrupts, Plan, RollbackStrategy, RunSettings};
use chaos_experiment::resolve::{self, ProcessEnv};
use chaos_experiment::validate::validate;
use serde_json::Value;

use super::CmdResult;
use crate::cli::{Cli, RunArgs};
use crate::console::Console;
use crate::logfile::LogFile;

pub fn run(cli: &Cli, args: &RunArgs, settings_path: &Path, log: LogFile) -> CmdResult {
    let console = Arc::new(Console::new(cli.verbose, cli.log_format == "json", log));
    // Signals are ours from here on: one that lands before the run starts
    // still ends in a journal with status `interrupted`.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let interrupts = Interrupts::new();
    let listener = {
        let c = console.clone();
        let _guard = runtime.enter();
        chaos_engine::interrupt::listen(interrupts.clone(), move |cause, effect| {
            c.signal(cause, effect)
        })
    };

    let settings = crate::settings::load(settings_path);

    let vars = resolve::merge_vars(&args.vars, &args.var_files);
    for w in &vars.warnings {
        console.error(w);
    }
    for (k, v) in &vars.env {
        // The runtime is single-threaded: nothing reads the environment concurrently.
        std::env::set_var(k, v);
    }

    let doc = match super::load::load(&args.source, !args.no_verify_tls, &settings) {
        Ok(d) => d,
        Err(e) => {
            console.error(&format!("{e:#}"));
            return Ok(1);
        }
    };
    let notifier = crate::notify::Notifier::from_settings(&settings);
    notifier.send("run-started", "run", &doc.value, None);
    let registry = super::registry(&args.source, args.python.as_deref(), &settings);
    if !args.no_validation {
        let validation = validate(&doc, &registry, &ProcessEnv);
        console.diagnostics(&doc, &validation);
        if !validation.is_valid() {
            return Ok(1);
        }
    }
    let Value::Object(experiment) = doc.value else {
        console.error("an experiment must be a mapping of keys to values");
        return Ok(1);
    };

    let mut global_controls = global_controls(&settings, &args.control_files, &console);
    let native_controls = super::native_controls(&settings);
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
            return Ok(1);
        }
    }

    let run_settings = match strategies(args, &settings, &experiment) {
        Ok(s) => s,
        Err(e) => {
            console.error(&e);
            return Ok(1);
        }
    };
    if args.hypothesis_strategy.as_deref() == Some("continously") {
        console.warn("The \"--hypothesis-strategy=continously\" command is depreciating and will be removed in a future version. Instead, please use \"--hypothesis-strategy=continuously\"");
    }

    let configuration = match resolve::load_configuration(
        experiment.get("configuration"),
        &vars.configuration,
        &ProcessEnv,
    ) {
        Ok(c) => c,
        Err(e) => {
            console.error(&e.to_string());
            return Ok(1);
        }
    };
    let secrets = match resolve::load_secrets(experiment.get("secrets"), &vars.secrets, &ProcessEnv)
    {
        Ok(s) => s,
        Err(e) => {
            console.error(&e.to_string());
            return Ok(1);
        }
    };

    let outcome = runtime.block_on(async {
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
        if let Some(seconds) = args.max_duration {
            let interrupts = interrupts.clone();
            let console = console.clone();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_secs_f64(seconds)).await;
                let why = format!("the run reached its --max-duration of {seconds} s");
                console.warn(&format!("{why}: interrupting it, then rolling back"));
                interrupts.brake(why);
            });
        }
        chaos_engine::run(plan, registry, console.clone(), interrupts).await
    });
    if let Ok(l) = listener {
        l.abort();
    }
    // Let activities' runtimes wind down without blocking the exit.
    runtime.shutdown_background();

    match chaos_engine::journal::write_atomically(&args.journal_path, &outcome.journal) {
        Ok(()) => console.journal_written(&args.journal_path),
        Err(e) => {
            console.error(&format!(
                "cannot write the journal to '{}': {e}",
                args.journal_path.display()
            ));
            return Ok(1);
        }
    }
    let completed = outcome.status == chaos_engine::Status::Completed;
    let event = if completed {
        "run-completed"
    } else {
        "run-failed"
    };
    notifier.send(event, "run", &outcome.journal, None);
    if outcome.deviated {
        notifier.send("run-deviated", "run", &outcome.journal, None);
    }
    let ok = completed && !outcome.deviated;
    // The process ends now: freeing the journal value by value is wasted
    // work (a few ms for a thousand activities).
    std::mem::forget(outcome);
    Ok(if ok { 0 } else { 1 })
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
