//! The reference's command line, flag for flag (spec §9).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run Chaos Toolkit experiments unchanged, as one fast binary.
#[derive(Parser, Debug)]
#[command(
    name = "chaos",
    disable_version_flag = true,
    after_help = crate::commands::plugins::help_section()
)]
pub struct Cli {
    /// Print the version and exit.
    #[arg(long)]
    pub version: bool,
    /// Display debug level traces.
    #[arg(long, global = false)]
    pub verbose: bool,
    /// Do not search for an updated version of the chaostoolkit (accepted; chaos never phones home).
    #[arg(long)]
    pub no_version_check: bool,
    /// Change directory before running the command.
    #[arg(long, value_name = "DIR")]
    pub change_dir: Option<PathBuf>,
    /// Disable logging to file entirely.
    #[arg(long)]
    pub no_log_file: bool,
    /// File path where to write the command's log.
    #[arg(long, default_value = "chaostoolkit.log", value_name = "PATH")]
    pub log_file: PathBuf,
    /// Minimal level of the log file.
    #[arg(long, default_value = "debug", value_parser = ["debug", "info", "warning", "error"])]
    pub log_file_level: String,
    /// Console logging format: string (for people) or json (one object a line).
    #[arg(long, default_value = "string", value_parser = ["string", "json"])]
    pub log_format: String,
    /// Path to the settings file.
    #[arg(long, value_name = "PATH")]
    pub settings: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Sub-commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the experiment loaded from SOURCE, either a local file or a HTTP resource.
    Run(RunArgs),
    /// Validate the experiment at SOURCE.
    Validate(ValidateArgs),
    /// Discover capabilities and experiments.
    Discover(DiscoverArgs),
    /// Display information about the Chaos Toolkit environment.
    Info {
        /// What to show.
        #[arg(value_enum)]
        target: InfoTarget,
    },
    /// Read, write or remove from your settings file.
    Settings {
        #[command(subcommand)]
        action: SettingsAction,
    },
    /// The fault-injection proxy (Toxiproxy-compatible API).
    Proxy {
        #[command(subcommand)]
        action: ProxyAction,
    },
    /// Run experiments inside a Kubernetes cluster.
    Kubernetes {
        #[command(subcommand)]
        action: KubernetesAction,
    },
    /// Generate a report from one journal or many (files, directories,
    /// globs) into OUTPUT.
    Report(ReportArgs),
    /// Initialize a new experiment from discovered capabilities, or write a
    /// ready one from a template (--template NAME, --template list).
    Init(InitArgs),
    /// Print the JSON Schema of the experiment format (for editors).
    Schema(SchemaArgs),
    /// A plug-in: `chaos NAME ARGS...` runs `chaos-NAME ARGS...` from PATH.
    #[command(external_subcommand)]
    External(Vec<String>),
    /// The hypothesis backlog: hypotheses scored by likelihood and impact, the map, evidence from runs.
    Backlog(BacklogArgs),
    /// Game Days: plan one for a hypothesis, check the plan, run it.
    Gameday(GamedayArgs),
}

/// `chaos gameday` sub-commands.
#[derive(Args, Debug)]
pub struct GamedayArgs {
    #[command(subcommand)]
    pub action: GamedayAction,
}

/// What `chaos gameday` does.
#[derive(Subcommand, Debug)]
pub enum GamedayAction {
    /// Write a plan file for HYPOTHESIS, with placeholders to fill in.
    Plan {
        /// The hypothesis id (as in the backlog).
        hypothesis: String,
        /// The hypothesis, as a sentence (default: its title in a
        /// `hypotheses.yaml` next to the plan).
        #[arg(long)]
        title: Option<String>,
        /// Where to write the plan (default: gameday-HYPOTHESIS.yaml).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Replace an existing plan file.
        #[arg(long)]
        force: bool,
    },
    /// Say what the plan still lacks (exit 1), or that it is ready (exit 0).
    Check {
        /// The plan file.
        plan: PathBuf,
    },
    /// Run an approved plan: timer, steps, safety monitor, observations.
    Run {
        /// The plan file.
        plan: PathBuf,
        /// Where to write the record and its reports (default: the plan's folder).
        #[arg(long, value_name = "DIR")]
        record_dir: Option<PathBuf>,
        /// Also copy the record into this history folder.
        #[arg(long, value_name = "DIR")]
        history: Option<PathBuf>,
    },
}

/// `chaos init` options.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Path to the discovery outcome.
    #[arg(long, default_value = "./discovery.json", value_name = "PATH")]
    pub discovery_path: PathBuf,
    /// Path where to save the experiment (.yaml or .json).
    #[arg(long, default_value = "./experiment.json", value_name = "PATH")]
    pub experiment_path: PathBuf,
    /// Write a ready experiment from this template instead of asking
    /// (`list` lists them): http, process-kill, kubernetes-pod-kill,
    /// network-latency.
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// List the templates.
    #[arg(long)]
    pub list_templates: bool,
    /// With --template, overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// `chaos schema` options.
#[derive(Args, Debug)]
pub struct SchemaArgs {
    /// Write the schema to this file instead of the standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `chaos report` options.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Format of the report.
    #[arg(long, default_value = "markdown", value_parser = ["html", "markdown", "pdf", "json", "junit"])]
    pub export_format: String,
    /// Title of the report (default: the experiment's title for one run,
    /// "Chaos Engineering Report" for several).
    #[arg(long)]
    pub title: Option<String>,
    /// A hypothesis backlog (`hypotheses.yaml`): the HTML report then opens
    /// with its likelihood-impact map, each hypothesis's evidence taken
    /// from the journals reported.
    #[arg(long, value_name = "FILE")]
    pub backlog: Option<PathBuf>,
    /// Journals (files, directories of journals, or glob patterns), then
    /// the report's path.
    #[arg(value_name = "JOURNAL... OUTPUT", num_args = 2.., required = true)]
    pub paths: Vec<String>,
}

/// `chaos proxy` sub-commands.
#[derive(Subcommand, Debug)]
pub enum ProxyAction {
    /// Serve Toxiproxy's HTTP API and the proxies it creates, until
    /// interrupted.
    Serve(ProxyServeArgs),
}

/// `chaos proxy serve` options.
#[derive(Args, Debug)]
pub struct ProxyServeArgs {
    /// Address the API listens on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port the API listens on.
    #[arg(long, default_value_t = 8474)]
    pub port: u16,
    /// A JSON file of proxies to create at start (Toxiproxy's `-config`,
    /// the same array `/populate` takes).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Seed every random draw (toxicity, jitter, slicing), so a run can be
    /// replayed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// `chaos kubernetes` sub-commands.
#[derive(Subcommand, Debug)]
pub enum KubernetesAction {
    /// Print the manifests that run the experiment as a Job (or a CronJob):
    /// ServiceAccount, least-privilege Roles computed from its Kubernetes
    /// activities, the experiment in a ConfigMap, a claim keeping the journals.
    Manifests(ManifestsArgs),
}

/// `chaos kubernetes manifests` options.
#[derive(Args, Debug)]
pub struct ManifestsArgs {
    /// Run on this cron schedule (a CronJob) instead of once (a Job).
    #[arg(long, value_name = "CRON")]
    pub schedule: Option<String>,
    /// Namespace of the Job, its ServiceAccount, ConfigMap and claim.
    #[arg(long, default_value = "default", value_name = "NS")]
    pub namespace: String,
    /// Base name of the objects (default: made from the experiment's title).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The chaos image (built from the project's Dockerfile).
    #[arg(long, default_value = concat!("chaos:", env!("CARGO_PKG_VERSION")), value_name = "IMAGE")]
    pub image: String,
    /// Size of the claim that keeps the journals.
    #[arg(long, default_value = "1Gi", value_name = "SIZE")]
    pub journal_storage: String,
    /// A Secret whose keys become environment variables of the run (for
    /// `{"type": "env"}` secrets); repeatable.
    #[arg(long = "env-from-secret", value_name = "SECRET")]
    pub env_from_secrets: Vec<String>,
    /// Write the manifests here instead of to the standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Do not validate the experiment first.
    #[arg(long)]
    pub no_validation: bool,
    /// Do not verify TLS certificates when loading the experiment over HTTPS.
    #[arg(long)]
    pub no_verify_tls: bool,
    /// The Python interpreter used to validate python activities.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// The experiment: a path or an http(s) URL.
    pub source: String,
}

/// `chaos run` options.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Path where to save the journal from the execution [default:
    /// ./journal.json]. With several experiments: a folder (an existing one,
    /// or a path ending in '/'), where each journal is written as
    /// journal-<title>.json; without it, they go to the current folder, or
    /// only to --history when it is set.
    #[arg(long, value_name = "PATH")]
    pub journal_path: Option<PathBuf>,
    /// Also write a JUnit XML file of the run(s) (one test suite per
    /// experiment), for CI (Jenkins, GitLab, GitHub reporters).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Exit codes: the Chaos Toolkit's (0 completed, 1 otherwise, 2 usage
    /// error), or one per outcome for CI (see --help).
    #[arg(
        long,
        default_value = "default",
        value_parser = ["default", "detailed"],
        value_name = "SCHEME",
        long_help = exit_codes_help()
    )]
    pub exit_codes: String,
    /// Keep every run's journal in this folder as
    /// <UTC start>-<title>.json, for `chaos report DIR` (default: the
    /// settings' `chaos.history`).
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// Run the experiment without executing the chosen strategy.
    #[arg(long, value_parser = ["probes", "actions", "activities", "pause"])]
    pub dry: Option<String>,
    /// Do not validate the experiment before running.
    #[arg(long)]
    pub no_validation: bool,
    /// Do not verify TLS certificates when loading the experiment over HTTPS.
    #[arg(long)]
    pub no_verify_tls: bool,
    /// Rollback runtime strategy.
    #[arg(long, value_parser = ["default", "always", "never", "deviated"])]
    pub rollback_strategy: Option<String>,
    /// Stop the run after this many seconds (a brake: the run is
    /// interrupted, its rollbacks are played, the journal says why).
    #[arg(long, value_name = "SECONDS", value_parser = parse_max_duration)]
    pub max_duration: Option<f64>,
    /// Ask before each activity whether to execute it, skip it or abort
    /// the run (human intervention; needs a terminal).
    #[arg(long)]
    pub interactive: bool,
    /// Specify substitution values for configuration only: name[:type]=value.
    #[arg(long = "var", value_name = "NAME[:TYPE]=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, serde_json::Value)>,
    /// Specify files that contain configuration and secret substitution values (JSON, YAML or .env).
    #[arg(long = "var-file", value_name = "PATH", value_parser = existing_file)]
    pub var_files: Vec<PathBuf>,
    /// A file with global controls (accepted; controls arrive with the Python bridge).
    #[arg(long = "control-file", value_name = "PATH", value_parser = existing_file)]
    pub control_files: Vec<PathBuf>,
    /// Strategy to execute the hypothesis during the run.
    #[arg(long, value_parser = ["default", "before-method-only", "after-method-only", "during-method-only", "continuously", "continously"])]
    pub hypothesis_strategy: Option<String>,
    /// Pace at which running the hypothesis, in seconds (continuous strategies).
    #[arg(long, default_value_t = 1.0)]
    pub hypothesis_frequency: f64,
    /// When running in a continuous hypothesis strategy, stop at the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// The Python interpreter for python activities (default: CHAOS_PYTHON, the active virtualenv, a .venv next to the experiment, python3).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// The experiment: a path or an http(s) URL. Several are run one after
    /// the other, each with its own journal; a summary follows, and the
    /// exit code is the worst.
    #[arg(value_name = "SOURCE", required = true, num_args = 1..)]
    pub sources: Vec<String>,
}

fn exit_codes_help() -> String {
    format!(
        "Exit codes: `default` is the Chaos Toolkit's: 0 when the run completed (even when \
         the steady state was not met before the method), 1 when it deviated, failed, was \
         aborted or interrupted, or the experiment is invalid, 2 for usage errors. \
         `detailed` gives one code per outcome, for CI:\n\n{}",
        chaos_report::exit::DETAILED_HELP
    )
}

/// `chaos validate` options.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Do not verify TLS certificates when loading the experiment over HTTPS.
    #[arg(long)]
    pub no_verify_tls: bool,
    /// The Python interpreter for python activities.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// The experiment: a path or an http(s) URL.
    pub source: String,
}

/// `chaos discover` options.
#[derive(Args, Debug)]
pub struct DiscoverArgs {
    /// Do not discover system information.
    #[arg(long)]
    pub no_system_info: bool,
    /// Assume package already in PYTHONPATH.
    #[arg(long)]
    pub no_install: bool,
    /// Path where to save the the discovery outcome.
    #[arg(long, default_value = "./discovery.json", value_name = "PATH")]
    pub discovery_path: PathBuf,
    /// The Python interpreter whose environment holds (or gets) the package (default: CHAOS_PYTHON, the active virtualenv, a .venv in the current folder, python3).
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// The extension's distribution name, e.g. chaostoolkit-kubernetes.
    pub package: String,
}

/// `chaos info` targets.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum InfoTarget {
    /// Versions of the CLI and the core.
    Core,
    /// The settings file.
    Settings,
    /// Installed extensions.
    Extensions,
}

/// `chaos settings` actions.
#[derive(Subcommand, Debug)]
pub enum SettingsAction {
    /// Show the settings file.
    Show {
        /// Output format.
        #[arg(long, default_value = "yaml", value_parser = ["yaml", "json"])]
        format: String,
    },
    /// Get a value by its dotted key (`a.b\.c`, `list[1]`).
    Get {
        /// Output format.
        #[arg(long, default_value = "yaml", value_parser = ["yaml", "json", "string"])]
        format: String,
        /// The key.
        key: String,
    },
    /// Set an existing key to a JSON value.
    Set {
        /// The key.
        key: String,
        /// The new value, as JSON (`'"text"'`, `3`, `'["a"]'`).
        value: String,
    },
    /// Remove a key.
    Remove {
        /// The key.
        key: String,
    },
}

fn parse_var(s: &str) -> Result<(String, serde_json::Value), String> {
    chaos_experiment::resolve::parse_var(s)
}

fn existing_file(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    if p.exists() {
        Ok(p)
    } else {
        Err(format!("File '{s}' does not exist."))
    }
}

fn parse_max_duration(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds above 0")),
    }
}

/// `chaos backlog` options: the hypothesis backlog file and what to do.
#[derive(Args, Debug)]
pub struct BacklogArgs {
    /// The backlog file (YAML, kept in the team's repository).
    #[arg(
        long,
        global = true,
        default_value = "hypotheses.yaml",
        value_name = "PATH"
    )]
    pub file: PathBuf,
    #[command(subcommand)]
    pub action: BacklogAction,
}

/// `chaos backlog` sub-commands.
#[derive(Subcommand, Debug)]
pub enum BacklogAction {
    /// Add a hypothesis (asks for what is missing on a terminal).
    Add(HypothesisFields),
    /// The backlog, highest priority first, with the evidence of runs.
    List {
        #[command(flatten)]
        evidence: EvidenceArgs,
        /// Output format.
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// One hypothesis, every field.
    Show {
        /// Its id.
        id: String,
        #[command(flatten)]
        evidence: EvidenceArgs,
        /// Output format.
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
    },
    /// Change fields of a hypothesis (`--id` renames it).
    Edit {
        /// Its id.
        #[arg(value_name = "ID")]
        hypothesis: String,
        #[command(flatten)]
        fields: HypothesisFields,
    },
    /// Score a hypothesis again.
    Score {
        /// Its id.
        id: String,
        /// 1 rare, 2 unlikely, 3 possible, 4 likely, 5 almost-certain.
        #[arg(long, value_name = "N")]
        likelihood: Option<String>,
        /// 1 negligible, 2 minor, 3 moderate, 4 major, 5 severe.
        #[arg(long, value_name = "N")]
        impact: Option<String>,
    },
    /// Link experiment files that test a hypothesis.
    Link {
        /// Its id.
        id: String,
        /// Experiment files (JSON or YAML).
        #[arg(value_name = "EXPERIMENT_PATH", required = true)]
        experiments: Vec<PathBuf>,
    },
    /// Remove a hypothesis.
    Remove {
        /// Its id.
        id: String,
    },
    /// The likelihood-impact map, in the terminal, as SVG or as HTML.
    Map {
        #[command(flatten)]
        evidence: EvidenceArgs,
        /// Write the map as a self-contained SVG picture.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Write the map as a self-contained HTML page.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Print the JSON Schema of the backlog file.
    Schema,
}

/// Where the evidence of runs is.
#[derive(Args, Debug)]
pub struct EvidenceArgs {
    /// A folder of journals (e.g. written by `chaos run --history`); repeatable.
    #[arg(long, value_name = "DIR")]
    pub history: Vec<PathBuf>,
    /// Journal files.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub journals: Vec<PathBuf>,
}

/// The fields of a hypothesis, for `add` and `edit`.
#[derive(Args, Debug, Default)]
pub struct HypothesisFields {
    /// Short slug, unique (default for `add`: a slug of the title).
    #[arg(long)]
    pub id: Option<String>,
    /// What the team believes will hold.
    #[arg(long)]
    pub title: Option<String>,
    /// incident, sketch, what-could-go-wrong or other.
    #[arg(long)]
    pub source: Option<String>,
    /// A reference for the source, e.g. an incident id.
    #[arg(long, value_name = "REF")]
    pub source_ref: Option<String>,
    /// The part of the system.
    #[arg(long)]
    pub component: Option<String>,
    /// 1 rare, 2 unlikely, 3 possible, 4 likely, 5 almost-certain.
    #[arg(long, value_name = "N")]
    pub likelihood: Option<String>,
    /// 1 negligible, 2 minor, 3 moderate, 4 major, 5 severe.
    #[arg(long, value_name = "N")]
    pub impact: Option<String>,
    /// What it touches of what the team cares about, comma-separated.
    #[arg(long, value_name = "A,B")]
    pub cares: Option<String>,
    /// Who looks after it.
    #[arg(long)]
    pub owner: Option<String>,
    /// proposed, ready, experimenting, done or dropped.
    #[arg(long)]
    pub status: Option<String>,
    /// Free notes.
    #[arg(long)]
    pub notes: Option<String>,
}
