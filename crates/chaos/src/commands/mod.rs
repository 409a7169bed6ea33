//! One module per sub-command; `dispatch` wires global options first.

mod backlog;
mod discover;
mod gameday;
mod info;
mod init;
mod kubernetes;
mod load;
pub(crate) mod plugins;
mod proxy;
mod report;
mod run;
mod schema;
mod settings_cmd;
mod validate;

use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::logfile::LogFile;

/// What a command failed with, already phrased for the user.
pub type CmdResult = Result<u8, anyhow::Error>;

/// Runs the sub-command named on the command line.
pub fn dispatch(cli: Cli) -> CmdResult {
    if cli.version {
        println!("chaos, version {}", env!("CARGO_PKG_VERSION"));
        return Ok(0);
    }
    let Some(command) = cli.command.as_ref() else {
        let _ = crate::cli::Cli::command().print_help();
        return Ok(2);
    };
    let settings_path = crate::settings::path(cli.settings.as_deref());
    let name = match command {
        Command::Run(_) => "run",
        Command::Validate(_) => "validate",
        Command::Discover(_) => "discover",
        Command::Info { .. } => "info",
        Command::Settings { .. } => "settings",
        Command::Kubernetes { .. } => "kubernetes",
        Command::Proxy { .. } => "proxy",
        Command::Report(_) => "report",
        Command::Init(_) => "init",
        Command::Schema(_) => "schema",
        Command::External(_) => "plug-in",
        Command::Backlog(_) => "backlog",
        Command::Gameday(_) => "gameday",
    };
    let log = if cli.no_log_file {
        LogFile::disabled()
    } else {
        LogFile::open(&cli.log_file, &cli.log_file_level)
    };
    log.debug(&"#".repeat(79));
    log.debug(&format!("Running command '{name}'"));
    log.debug(&format!(
        "Using settings file '{}'",
        settings_path.display()
    ));
    if let Some(dir) = &cli.change_dir {
        crate::console::warn_line(&format!("Moving to {}", dir.display()));
        std::env::set_current_dir(dir)
            .map_err(|e| anyhow::anyhow!("cannot move to '{}': {e}", dir.display()))?;
    }
    match command {
        Command::Run(args) => run::run(&cli, args, &settings_path, log),
        Command::Validate(args) => validate::validate(&cli, args, log),
        Command::Discover(args) => discover::discover(&cli, args, log),
        Command::Info { target } => info::info(*target, &settings_path),
        Command::Settings { action } => settings_cmd::settings(action, &settings_path),
        Command::Kubernetes { action } => kubernetes::kubernetes(&cli, action, log),
        Command::Proxy { action } => proxy::proxy(&cli, action, log),
        Command::Report(args) => report::report(args),
        Command::Init(args) => init::init(args, &settings_path),
        Command::Schema(args) => schema::schema(args),
        Command::External(args) => plugins::run(args),
        Command::Backlog(args) => backlog::backlog(args, &settings_path),
        Command::Gameday(args) => gameday::gameday(&cli, args, &settings_path),
    }
}

/// The drivers for an experiment loaded from `source`: the built-in ones
/// and those living in their own crates (one line each), with the modules
/// that must go through Python whatever has a native implementation
/// (`CHAOS_FORCE_PYTHON=chaosk8s,...`, or the settings' `chaos.force_python`).
pub fn registry(
    source: &str,
    python: Option<&std::path::Path>,
    settings: &serde_json::Value,
) -> chaos_drivers::Registry {
    let path = std::path::Path::new(source);
    let experiment_dir = path
        .exists()
        .then(|| {
            path.parent()
                .map(|d| {
                    if d.as_os_str().is_empty() {
                        std::path::Path::new(".")
                    } else {
                        d
                    }
                })
                .map(|d| d.to_path_buf())
        })
        .flatten();
    let registry = chaos_drivers::Registry::new(chaos_drivers::python::PythonOptions {
        interpreter: python.map(|p| p.to_path_buf()),
        experiment_dir,
    })
    .with_driver(std::sync::Arc::new(
        chaos_kubernetes::KubernetesDriver::new(),
    ))
    .with_driver(std::sync::Arc::new(chaos_proxy::driver::ProxyDriver::new()))
    .with_driver(std::sync::Arc::new(chaos_toxiproxy::ToxiproxyDriver::new()));
    let forced = forced_python(settings);
    let registry = chaos_controls::register_checks(registry, |m| !is_forced(m, &forced));
    registry.force_python(forced)
}

/// The controls served natively, minus the modules kept on the Python
/// route.
pub fn native_controls(
    settings: &serde_json::Value,
) -> chaos_engine::controls::native::NativeControls {
    let forced = forced_python(settings);
    let mut natives = chaos_controls::all();
    let modules: Vec<String> = natives.modules().into_iter().map(str::to_string).collect();
    for m in modules {
        if is_forced(&m, &forced) {
            natives.unregister(&m);
        }
    }
    natives
}

/// Whether `module` is one of `forced` or below one of them.
fn is_forced(module: &str, forced: &[String]) -> bool {
    forced
        .iter()
        .any(|f| module == f || module.starts_with(&format!("{f}.")))
}

/// Modules kept on the Python route: `CHAOS_FORCE_PYTHON=chaosk8s,...` and
/// the settings' `chaos.force_python`.
pub fn forced_python(settings: &serde_json::Value) -> Vec<String> {
    let mut forced: Vec<String> = std::env::var("CHAOS_FORCE_PYTHON")
        .unwrap_or_default()
        .split(',')
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(list) = settings
        .pointer("/chaos/force_python")
        .and_then(serde_json::Value::as_array)
    {
        forced.extend(list.iter().map(chaos_pyvalue::py_str));
    }
    forced
}

/// Exit status for a process, as `ExitCode` cannot be compared.
#[allow(dead_code)]
pub fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}
