//! `chaos validate` (spec §9.4): every problem at once, with its place.

use chaos_experiment::resolve::ProcessEnv;

use super::CmdResult;
use crate::cli::{Cli, ValidateArgs};
use crate::console::Console;
use crate::logfile::LogFile;

pub fn validate(cli: &Cli, args: &ValidateArgs, log: LogFile) -> CmdResult {
    let settings = crate::settings::load(&crate::settings::path(cli.settings.as_deref()));
    let console = Console::new(cli.verbose, cli.log_format == "json", log);
    let doc = match super::load::load(&args.source, !args.no_verify_tls, &settings) {
        Ok(d) => d,
        Err(e) => {
            console.error(&format!("{e:#}"));
            return Ok(1);
        }
    };
    let notifier = crate::notify::Notifier::from_settings(&settings);
    notifier.send("validate-started", "validate", &doc.value, None);
    let validation = chaos_experiment::validate::validate(
        &doc,
        &super::registry(&args.source, args.python.as_deref(), &settings),
        &ProcessEnv,
    );
    console.diagnostics(&doc, &validation);
    if validation.is_valid() {
        console.info("experiment syntax and semantic look valid");
        notifier.send("validate-completed", "validate", &doc.value, None);
        Ok(0)
    } else {
        let first = validation
            .errors
            .first()
            .map(|d| d.message.clone())
            .unwrap_or_default();
        let error = format!("An exception was raised: InvalidExperiment('{first}')");
        notifier.send("validate-failed", "validate", &doc.value, Some(&error));
        Ok(1)
    }
}
