//! `chaos discover` (spec §9.5, §10.1): the extension's own `discover()`,
//! run by chaostoolkit-lib's rules in the chosen Python environment, written
//! to `--discovery-path`.

use std::io::Write;
use std::path::Path;

use chaos_drivers::python::bridge::find_interpreter;
use chaos_drivers::python::discovery::{discover_logged, DiscoveryError, LogLevel};

use super::CmdResult;
use crate::cli::{Cli, DiscoverArgs};
use crate::console::Console;
use crate::logfile::{Level, LogFile};

pub fn discover(cli: &Cli, args: &DiscoverArgs, log: LogFile) -> CmdResult {
    let json = cli.log_format == "json";
    // The records go to the log file from here, with their own levels (the
    // console has no debug lines); the console only shows them.
    let console = Console::new(cli.verbose, json, LogFile::disabled());
    let say = |level: LogLevel, message: &str| {
        let file_level = match level {
            LogLevel::Debug => Level::Debug,
            LogLevel::Info => Level::Info,
            LogLevel::Warning => Level::Warning,
            // The log file has no CRITICAL level.
            LogLevel::Error | LogLevel::Critical => Level::Error,
        };
        log.log(file_level, message);
        match level {
            LogLevel::Debug => {
                if cli.verbose {
                    debug_line(json, message)
                }
            }
            LogLevel::Info => console.info(message),
            LogLevel::Warning => console.warn(message),
            LogLevel::Error | LogLevel::Critical => console.error(message),
        }
    };

    let settings = crate::settings::load(&crate::settings::path(cli.settings.as_deref()));
    let notifier = crate::notify::Notifier::from_settings(&settings);
    let package = serde_json::Value::from(args.package.clone());
    notifier.send("discovery-started", "discovery", &package, None);
    let normalized = args.package.to_lowercase().replace('_', "-");
    let forced = super::forced_python(&settings);
    if normalized == chaos_kubernetes::discovery::EXTENSION.0
        && !forced.iter().any(|m| m == "chaosk8s")
    {
        say(
            LogLevel::Info,
            "Discovering capabilities from chaostoolkit-kubernetes (native)",
        );
        return save(&native_kubernetes(), args, &say, &log, &notifier);
    }
    if normalized == chaos_toxiproxy::discovery::EXTENSION.0
        && !forced.iter().any(|m| m == "chaostoxi")
    {
        say(
            LogLevel::Info,
            "Discovering capabilities from chaostoolkit-toxiproxy (native)",
        );
        return save(&native_toxiproxy(), args, &say, &log, &notifier);
    }
    if normalized == "chaos-proxy" {
        say(
            LogLevel::Info,
            "Discovering capabilities of the built-in proxy",
        );
        let discovery = envelope(
            ("chaos-proxy", env!("CARGO_PKG_VERSION")),
            "proxy",
            chaos_proxy::driver::discovery_activities(),
        );
        return save(&discovery, args, &say, &log, &notifier);
    }
    let interpreter = match find_interpreter(args.python.as_deref(), Some(Path::new("."))) {
        Ok(i) => i,
        Err(e) => {
            say(LogLevel::Error, &e);
            return Ok(1);
        }
    };
    say(
        LogLevel::Debug,
        &format!(
            "Discovering '{}' with {} (from {})",
            args.package,
            interpreter.path.display(),
            interpreter.origin
        ),
    );
    let outcome = discover_logged(
        &interpreter,
        &args.package,
        !args.no_system_info,
        !args.no_install,
        &mut |level, message| say(level, message),
    );
    let discovery = match outcome {
        Ok(d) => d,
        Err(DiscoveryError::Failed(message)) => {
            // The reference logs it as CRITICAL and exits 0.
            say(LogLevel::Critical, &message);
            let error = format!("An exception was raised: DiscoveryFailed('{message}')");
            notifier.send("discovery-failed", "discovery", &package, Some(&error));
            return Ok(0);
        }
        Err(DiscoveryError::Error { message, traceback }) => {
            if let Some(tb) = traceback {
                say(LogLevel::Error, &format!("{message}\n{tb}"));
            } else {
                say(LogLevel::Error, &message);
            }
            return Ok(1);
        }
    };
    save(&discovery, args, &say, &log, &notifier)
}

/// The listing of the natively run chaostoolkit-kubernetes functions.
fn native_kubernetes() -> serde_json::Value {
    envelope(
        chaos_kubernetes::discovery::EXTENSION,
        "kubernetes",
        chaos_kubernetes::discovery::activities(),
    )
}

/// The listing of the natively run chaostoolkit-toxiproxy functions (the
/// extension has no `discover()`: chaoslib's reading of its signatures).
fn native_toxiproxy() -> serde_json::Value {
    envelope(
        chaos_toxiproxy::discovery::EXTENSION,
        "toxiproxy",
        chaos_toxiproxy::discovery::activities(),
    )
}

/// chaoslib's discovery envelope (`initialize_discovery_result`) around a
/// native listing; no Python and no pip involved.
fn envelope(
    (name, version): (&str, &str),
    target: &str,
    activities: Vec<serde_json::Value>,
) -> serde_json::Value {
    serde_json::json!({
        "chaoslib_version": chaos_engine::journal::CHAOSLIB_VERSION,
        "id": uuid::Uuid::new_v4().to_string(),
        "target": target,
        "date": chaos_engine::journal::now_iso(),
        "platform": chaos_engine::journal::platform_details(),
        "extension": {"name": name, "version": version},
        "activities": activities,
        "system": null,
    })
}

fn save(
    discovery: &serde_json::Value,
    args: &DiscoverArgs,
    say: &dyn Fn(LogLevel, &str),
    log: &LogFile,
    notifier: &crate::notify::Notifier,
) -> CmdResult {
    let path = &args.discovery_path;
    if let Err(e) = chaos_engine::journal::write_atomically(path, discovery) {
        say(
            LogLevel::Error,
            &format!("cannot write the discovery to '{}': {e}", path.display()),
        );
        return Ok(1);
    }
    notifier.send("discovery-completed", "discovery", discovery, None);
    say(
        LogLevel::Info,
        &format!("Discovery outcome saved in {}", path.display()),
    );
    log.flush();
    Ok(0)
}

/// A debug record on the console (`--verbose` only), in the console's shapes.
fn debug_line(json: bool, message: &str) {
    let line = if json {
        let now = chrono::Utc::now();
        serde_json::json!({
            "process": std::process::id(),
            "asctime": now.format("%Y-%m-%d %H:%M:%S").to_string(),
            "levelname": "DEBUG",
            "message": message,
            "timestamp": chaos_engine::journal::iso(now),
        })
        .to_string()
    } else {
        format!("debug: {message}")
    };
    let _ = std::io::stderr()
        .lock()
        .write_all(format!("{line}\n").as_bytes());
}
