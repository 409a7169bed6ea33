//! `chaos kubernetes manifests`: the experiment as a Job or CronJob, with
//! the least privilege its Kubernetes activities need.

use chaos_experiment::resolve::Env;
use chaos_kubernetes::manifests::{self, Options};
use chaos_pyvalue::py_str;

use super::CmdResult;
use crate::cli::{Cli, KubernetesAction, ManifestsArgs};
use crate::console::Console;
use crate::logfile::LogFile;

pub fn kubernetes(cli: &Cli, action: &KubernetesAction, log: LogFile) -> CmdResult {
    match action {
        KubernetesAction::Manifests(args) => manifests(cli, args, log),
    }
}

fn manifests(cli: &Cli, args: &ManifestsArgs, log: LogFile) -> CmdResult {
    let settings = crate::settings::load(&crate::settings::path(cli.settings.as_deref()));
    let console = Console::new(cli.verbose, cli.log_format == "json", log);
    let doc = match super::load::load(&args.source, !args.no_verify_tls, &settings) {
        Ok(d) => d,
        Err(e) => {
            console.error(&format!("{e:#}"));
            return Ok(1);
        }
    };
    let registry = super::registry(&args.source, args.python.as_deref(), &settings);
    if !args.no_validation {
        let validation = chaos_experiment::validate::validate(&doc, &registry, &PodEnv);
        if !validation.is_valid() {
            console.diagnostics(&doc, &validation);
            console.error(
                "no manifests for an invalid experiment (--no-validation to skip this check)",
            );
            return Ok(1);
        }
    }
    let Some(experiment) = doc.value.as_object() else {
        console.error("the experiment is not a mapping");
        return Ok(1);
    };
    let local = std::path::Path::new(&args.source);
    // The file keeps its own text (comments included) when it is local.
    let (file_name, text) = match std::fs::read_to_string(local) {
        Ok(text) => {
            let yaml = matches!(doc.format, chaos_experiment::Format::Yaml);
            let name = if yaml {
                "experiment.yaml"
            } else {
                "experiment.json"
            };
            (name.to_string(), text)
        }
        Err(_) => (
            "experiment.json".to_string(),
            serde_json::to_string_pretty(&doc.value)?,
        ),
    };
    let title = experiment.get("title").map(py_str).unwrap_or_default();
    let name = match &args.name {
        Some(n) => n.clone(),
        None => manifests::name_from_title(&title),
    };
    if let Some(problem) = dns_label_problem(&name) {
        console.error(&format!("--name '{name}': {problem}"));
        return Ok(1);
    }
    let options = Options {
        name,
        namespace: args.namespace.clone(),
        image: args.image.clone(),
        schedule: args.schedule.clone(),
        file_name,
        text,
        journal_storage: args.journal_storage.clone(),
        env_from_secrets: args.env_from_secrets.clone(),
    };
    // A python activity served by a native driver needs no Python in the image.
    let native = |provider: &serde_json::Map<String, serde_json::Value>| {
        registry
            .driver_for(provider)
            .is_some_and(|d| d.provider_type() != "python")
    };
    let made = match manifests::manifests(experiment, &options, &native) {
        Ok(m) => m,
        Err(e) => {
            console.error(&e);
            return Ok(1);
        }
    };
    for warning in &made.warnings {
        console.warn(warning);
    }
    let yaml = made.to_yaml().map_err(anyhow::Error::msg)?;
    match &args.output {
        Some(path) => std::fs::write(path, yaml)
            .map_err(|e| anyhow::anyhow!("cannot write '{}': {e}", path.display()))?,
        None => print!("{yaml}"),
    }
    Ok(0)
}

/// The environment the experiment will meet is the pod's, not this
/// shell's: every variable counts as set, to a value each `env_var_type`
/// accepts, so validation checks the rest.
struct PodEnv;

impl Env for PodEnv {
    fn var(&self, _key: &str) -> Option<String> {
        Some("0".into())
    }
}

/// Why `name` cannot name the objects (a DNS-1123 label short enough for a
/// CronJob and the `-journals` claim), if it cannot.
fn dns_label_problem(name: &str) -> Option<&'static str> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if name.is_empty() || !valid_chars || name.starts_with('-') || name.ends_with('-') {
        Some("use lower-case letters, digits and '-', starting and ending with a letter or digit")
    } else if name.len() > 43 {
        Some("use at most 43 characters (a CronJob adds 11 to its Jobs' names)")
    } else {
        None
    }
}
