//! `chaos info core|settings|extensions` (spec §9.7).

use std::path::Path;

use super::CmdResult;
use crate::cli::InfoTarget;

pub fn info(target: InfoTarget, settings_path: &Path) -> CmdResult {
    match target {
        InfoTarget::Core => {
            println!("{:<20}{:<10}", "NAME", "VERSION");
            println!("{:<20}{:<10}", "CLI", env!("CARGO_PKG_VERSION"));
            println!(
                "{:<20}{:<10}",
                "Core library",
                chaos_engine::journal::CHAOSLIB_VERSION
            );
        }
        InfoTarget::Settings => match std::fs::read_to_string(settings_path) {
            Ok(text) => print!("{text}"),
            Err(_) => println!("No settings file found at {}", settings_path.display()),
        },
        InfoTarget::Extensions => {
            println!(
                "{:<40}{:<10}{:<30}{:<50}",
                "NAME", "VERSION", "LICENSE", "DESCRIPTION"
            );
            let mut rows: Vec<(String, String)> = [
                ("process (built in)", "Run programs"),
                ("http (built in)", "Call HTTP endpoints"),
                ("python (built in)", "Python extensions through the bridge"),
                ("chaosk8s (built in)", "chaostoolkit-kubernetes, natively"),
                ("chaostoxi (built in)", "chaostoolkit-toxiproxy, natively"),
                ("proxy (built in)", "The fault-injection proxy"),
            ]
            .into_iter()
            .map(|(n, d)| (n.to_string(), d.to_string()))
            .collect();
            for module in chaos_controls::all().modules() {
                rows.push((module.to_string(), "Control, built in".into()));
            }
            for (name, description) in rows {
                println!(
                    "{:<40}{:<10}{:<30}{:<50}",
                    name,
                    env!("CARGO_PKG_VERSION"),
                    "Apache-2.0",
                    description
                );
            }
            for (name, path) in super::plugins::find() {
                let name = format!("chaos-{name} (plug-in)");
                let description = format!("Plug-in: {}", path.display());
                println!("{name:<40}{:<10}{:<30}{description:<50}", "", "Unknown");
            }
        }
    }
    Ok(0)
}
