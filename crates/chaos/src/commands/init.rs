//! `chaos init` (spec §9.6, §10.2): the reference's interactive wizard over
//! a `discovery.json`, and ours, `--template NAME`, which writes a ready
//! experiment to start from.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use serde_json::{Map, Value};

use super::CmdResult;
use crate::cli::InitArgs;
use crate::notify::Notifier;

/// The templates: name, one-line description, experiment (JSON).
pub const TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "http",
        "an HTTP service probed as steady state while the proxy fails half the requests to its backend with 503",
        include_str!("../../templates/http.json"),
    ),
    (
        "process-kill",
        "kill a process by name with pkill; steady state: it runs and answers HTTP; rollback restarts it",
        include_str!("../../templates/process-kill.json"),
    ),
    (
        "kubernetes-pod-kill",
        "terminate a pod of a deployment (chaosk8s); steady state: pods running, deployment healthy",
        include_str!("../../templates/kubernetes-pod-kill.json"),
    ),
    (
        "network-latency",
        "800 ms of latency on a dependency, through the built-in fault proxy; steady state: the service answers",
        include_str!("../../templates/network-latency.json"),
    ),
];

pub fn init(args: &InitArgs, settings_path: &Path) -> CmdResult {
    if args.list_templates || args.template.as_deref() == Some("list") {
        list_templates();
        return Ok(0);
    }
    let settings = crate::settings::load(settings_path);
    let notifier = Notifier::from_settings(&settings);
    match &args.template {
        Some(name) => from_template(name, args, &notifier),
        None => interactive(args, &notifier),
    }
}

fn list_templates() {
    let width = TEMPLATES.iter().map(|t| t.0.len()).max().unwrap_or(0);
    for (name, description, _) in TEMPLATES {
        println!("{name:<width$}  {description}");
    }
}

/// The experiment of the template `name`.
pub fn template(name: &str) -> Option<Value> {
    TEMPLATES
        .iter()
        .find(|t| t.0 == name)
        .map(|t| serde_json::from_str(t.2).expect("templates are valid JSON"))
}

fn from_template(name: &str, args: &InitArgs, notifier: &Notifier) -> CmdResult {
    let Some(experiment) = template(name) else {
        let names: Vec<&str> = TEMPLATES.iter().map(|t| t.0).collect();
        crate::console::error_line(&format!(
            "unknown template '{name}'; use one of: {} (or `--template list`)",
            names.join(", ")
        ));
        return Ok(2);
    };
    let path = &args.experiment_path;
    if path.exists() && !args.force {
        crate::console::error_line(&format!(
            "'{}' already exists; choose another --experiment-path, or overwrite it with --force",
            path.display()
        ));
        return Ok(1);
    }
    notifier.send("init-started", "init", &Value::Null, None);
    std::fs::write(path, render(&experiment, path, 2))
        .map_err(|e| anyhow::anyhow!("cannot write '{}': {e}", path.display()))?;
    println!(
        "Experiment created from the template '{name}' and saved in '{}'",
        path.display()
    );
    println!(
        "Adapt its configuration to your system, then: chaos validate {0} && chaos run {0}",
        path.display()
    );
    notifier.send("init-completed", "init", &experiment, None);
    Ok(0)
}

/// JSON (indented by `json_indent`), or YAML for `.yaml`/`.yml` paths
/// (the reference's `is_yaml`, case-insensitive).
fn render(experiment: &Value, path: &Path, json_indent: usize) -> String {
    if is_yaml(path) {
        to_yaml(experiment)
    } else {
        let mut text = String::new();
        json_pretty(experiment, &" ".repeat(json_indent), 0, &mut text);
        if json_indent == 2 {
            text.push('\n');
        }
        text
    }
}

/// `json.dumps(v, indent=N)`: one member a line, `": "` and `","`.
fn json_pretty(v: &Value, unit: &str, depth: usize, out: &mut String) {
    let pad = |d: usize| unit.repeat(d);
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('{');
            for (i, (k, c)) in m.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&pad(depth + 1));
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push_str(": ");
                json_pretty(c, unit, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&pad(depth));
            out.push('}');
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('[');
            for (i, c) in a.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&pad(depth + 1));
                json_pretty(c, unit, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&pad(depth));
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

// ---------------------------------------------------------------------------
// The interactive wizard, prompt for prompt as the reference's.
// ---------------------------------------------------------------------------

/// Input ran out (the reference's click prints `Aborted!`, exit 1).
struct Aborted;

struct Prompter<R: BufRead> {
    input: R,
    colour: bool,
}

impl<R: BufRead> Prompter<R> {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// `click.secho(text, fg="blue")`.
    fn blue(&self, text: &str) {
        println!("{}", self.paint("34", text));
    }

    fn read_line(&mut self) -> Result<String, Aborted> {
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match self.input.read_line(&mut line) {
            Ok(0) | Err(_) => Err(Aborted),
            Ok(_) => {
                if line.ends_with('\n') {
                    line.pop();
                    if line.ends_with('\r') {
                        line.pop();
                    }
                }
                Ok(line)
            }
        }
    }

    /// `click.prompt(text)`: asks again while the answer is empty, unless
    /// there is a default (shown in brackets), then converts the answer.
    fn prompt<T>(
        &mut self,
        text: &str,
        code: &str,
        default: Option<&str>,
        convert: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, Aborted> {
        loop {
            let shown = match default {
                Some(d) => format!("{} [{d}]: ", self.paint(code, text)),
                None => format!("{}: ", self.paint(code, text)),
            };
            print!("{shown}");
            let line = self.read_line()?;
            if line.is_empty() {
                if default.is_some() {
                    return Ok(None);
                }
                continue;
            }
            match convert(&line) {
                Ok(v) => return Ok(Some(v)),
                Err(e) => println!("Error: {e}"),
            }
        }
    }

    fn prompt_text(&mut self, text: &str) -> Result<String, Aborted> {
        Ok(self
            .prompt(text, "32", None, |s| Ok(s.to_string()))?
            .unwrap_or_default())
    }

    /// `click.confirm(text)`, default no.
    fn confirm(&mut self, text: &str) -> Result<bool, Aborted> {
        loop {
            print!("{} [y/N]: ", self.paint("2", text));
            let line = self.read_line()?;
            match line.trim().to_lowercase().as_str() {
                "y" | "yes" => return Ok(true),
                "n" | "no" | "" => return Ok(false),
                _ => println!("Error: invalid input"),
            }
        }
    }
}

fn interactive(args: &InitArgs, notifier: &Notifier) -> CmdResult {
    let stdin = std::io::stdin();
    let mut p = Prompter {
        input: stdin.lock(),
        colour: std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    notifier.send("init-started", "init", &Value::Null, None);
    match wizard(&mut p, args) {
        Ok(experiment) => {
            let path = &args.experiment_path;
            std::fs::write(path, render(&experiment, path, 4))
                .map_err(|e| anyhow::anyhow!("cannot write '{}': {e}", path.display()))?;
            println!("\nExperiment created and saved in '{}'", path.display());
            notifier.send("init-completed", "init", &experiment, None);
            Ok(0)
        }
        Err(Aborted) => {
            eprintln!("Aborted!");
            Ok(1)
        }
    }
}

fn wizard<R: BufRead>(p: &mut Prompter<R>, args: &InitArgs) -> Result<Value, Aborted> {
    p.blue(
        "You are about to create an experiment.\n\
         This wizard will walk you through each step so that you can build\n\
         the best experiment for your needs.\n\
         \n\
         An experiment is made up of three elements:\n\
         - a steady-state hypothesis [OPTIONAL]\n\
         - an experimental method\n\
         - a set of rollback activities [OPTIONAL]\n\
         \n\
         Only the method is required. Also your experiment will\n\
         not run unless you define at least one activity (probe or action)\n\
         within it",
    );
    let discovery: Option<Value> = if args.discovery_path.exists() {
        let text = std::fs::read_to_string(&args.discovery_path).unwrap_or_default();
        match serde_json::from_str(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                crate::console::error_line(&format!(
                    "cannot read the discovery '{}': {e}",
                    args.discovery_path.display()
                ));
                return Err(Aborted);
            }
        }
    } else {
        println!("No discovery was found, let's create an empty experiment");
        None
    };
    let activities: Vec<Value> = discovery
        .as_ref()
        .and_then(|d| d.get("activities"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let of_type = |t: &str| -> Vec<Value> {
        activities
            .iter()
            .filter(|a| a.get("type").and_then(Value::as_str) == Some(t))
            .cloned()
            .collect()
    };

    let mut experiment = Map::new();
    experiment.insert("title".into(), Value::from(""));
    experiment.insert("description".into(), Value::from("N/A"));
    experiment.insert("tags".into(), Value::Array(vec![]));
    let title = p.prompt_text("Experiment's title")?;
    experiment.insert("title".into(), Value::from(title));

    p.blue(
        "\nA steady state hypothesis defines what 'normality' looks like in your system\n\
         The steady state hypothesis is a collection of conditions that are used,\n\
         at the beginning of an experiment, to decide if the system is in a recognised\n\
         'normal' state. The steady state conditions are then used again when your experiment\n \
         is complete to detect where your system may have deviated in an interesting,\n\
         weakness-detecting way\n\
         \n\
         Initially you may not know what your steady state hypothesis is\n\
         and so instead you might create an experiment without one\n\
         This is why the stead state hypothesis is optional.",
    );
    if p.confirm("Do you want to define a steady state hypothesis now?")? {
        let title = p.prompt_text("Hypothesis's title")?;
        let mut probes = Vec::new();
        if discovery.is_some() {
            p.blue(
                "\nYou may now define probes that will determine\n\
                 the steady-state of your system.",
            );
            add_activities(p, &of_type("probe"), &mut probes, true)?;
        }
        let mut hypo = Map::new();
        hypo.insert("title".into(), Value::from(title));
        hypo.insert("probes".into(), Value::Array(probes));
        experiment.insert("steady-state-hypothesis".into(), Value::Object(hypo));
    }

    if discovery.is_some() {
        p.blue(
            "\nAn experiment's method contains actions and probes. Actions\n\
             vary real-world events in your system to determine if your\n\
             steady-state hypothesis is maintained when those events occur.\n\
             \n\
             An experimental method can also contain probes to gather additional\n\
             information about your system as your method is executed.",
        );
        let mut method = Vec::new();
        if p.confirm("Do you want to define an experimental method?")? {
            add_activities(p, &activities, &mut method, false)?;
        }
        experiment.insert("method".into(), Value::Array(method));
        p.blue(
            "\nAn experiment may optionally define a set of remedial actions\n\
             that are used to rollback the system to a given state.",
        );
        if p.confirm("Do you want to add some rollbacks now?")? {
            let mut rollbacks = Vec::new();
            add_activities(p, &of_type("action"), &mut rollbacks, false)?;
            experiment.insert("rollbacks".into(), Value::Array(rollbacks));
        }
    }
    Ok(Value::Object(experiment))
}

/// The reference's `add_activities`, as a loop, without its two bugs (an
/// index one past the list crashed; declining an activity still added it).
fn add_activities<R: BufRead>(
    p: &mut Prompter<R>,
    activities: &[Value],
    pool: &mut Vec<Value>,
    with_tolerance: bool,
) -> Result<(), Aborted> {
    let name_of =
        |a: &Value| -> String { a.get("name").map(chaos_pyvalue::py_str).unwrap_or_default() };
    loop {
        println!("{}", p.paint("32", "Add an activity"));
        let list: Vec<String> = activities
            .iter()
            .enumerate()
            .map(|(i, a)| format!("{}) {}", i + 1, name_of(a)))
            .collect();
        println!("{}", list.join("\n"));
        let index = loop {
            let i = p
                .prompt("Activity (0 to escape)", "32", None, |s| {
                    s.trim()
                        .parse::<i64>()
                        .map_err(|_| format!("'{s}' is not a valid integer."))
                })?
                .unwrap_or(0);
            if i >= 0 && (i as usize) <= activities.len() {
                break i as usize;
            }
            eprintln!("{}", p.paint("31", "Please pick up a valid activity"));
        };
        if index == 0 {
            return Ok(());
        }
        let selected = &activities[index - 1];
        if let Some(doc) = selected.get("doc").and_then(Value::as_str) {
            if !doc.is_empty() {
                p.blue(&format!("\n{doc}"));
            }
        }
        let kind = selected
            .get("type")
            .map(chaos_pyvalue::py_str)
            .unwrap_or_default();
        if !p.confirm(&format!("Do you want to use this {kind}?"))? {
            if p.confirm("Do you want to select another activity?")? {
                continue;
            }
            return Ok(());
        }
        let mut activity = Map::new();
        activity.insert("type".into(), Value::from(kind));
        activity.insert("name".into(), Value::from(name_of(selected)));
        let mut provider = Map::new();
        provider.insert("type".into(), Value::from("python"));
        provider.insert(
            "module".into(),
            selected.get("mod").cloned().unwrap_or(Value::Null),
        );
        provider.insert("func".into(), Value::from(name_of(selected)));
        if with_tolerance {
            p.blue(
                "\nA steady-state probe requires a tolerance value, within which\n\
                 your system is in a recognised `normal` state.\n",
            );
            // Kept as text, as the reference does.
            let tolerance = p.prompt_text("What is the tolerance for this probe?")?;
            activity.insert("tolerance".into(), Value::from(tolerance));
        }
        p.blue(
            "\nYou now need to fill the arguments for this activity. Default\n\
             values will be shown between brackets. You may simply press return\n\
             to use it or not set any value.",
        );
        let mut arguments = Map::new();
        let declared = selected
            .get("arguments")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for arg in &declared {
            let name = arg
                .get("name")
                .map(chaos_pyvalue::py_str)
                .unwrap_or_default();
            if name == "secrets" || name == "configuration" {
                continue;
            }
            let portable = arg.get("type").and_then(Value::as_str).unwrap_or("string");
            let default = arg.get("default");
            let shown = default.map(|d| match d {
                Value::Null => String::new(),
                d => chaos_pyvalue::py_str(d),
            });
            let question = format!("Argument's value for '{name}'");
            let value = p.prompt(&question, "33", shown.as_deref(), |s| {
                convert_argument(s, portable)
            })?;
            let value = match value {
                Some(v) => v,
                None => default.cloned().unwrap_or(Value::Null),
            };
            arguments.insert(name, value);
        }
        provider.insert("arguments".into(), Value::Object(arguments));
        // The reference puts the tolerance after the provider.
        let tolerance = activity.remove("tolerance");
        activity.insert("provider".into(), Value::Object(provider));
        if let Some(t) = tolerance {
            activity.insert("tolerance".into(), t);
        }
        pool.push(Value::Object(activity));
        if !p.confirm("Do you want to select another activity?")? {
            return Ok(());
        }
    }
}

/// An answer converted by the argument's portable type (click's types for
/// the scalars; JSON, else text, for the containers).
fn convert_argument(s: &str, portable: &str) -> Result<Value, String> {
    match portable {
        "boolean" => match s.trim().to_lowercase().as_str() {
            "1" | "true" | "t" | "yes" | "y" | "on" => Ok(Value::Bool(true)),
            "0" | "false" | "f" | "no" | "n" | "off" => Ok(Value::Bool(false)),
            _ => Err(format!("'{s}' is not a valid boolean.")),
        },
        "integer" => s
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("'{s}' is not a valid integer.")),
        "number" => s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            .ok_or_else(|| format!("'{s}' is not a valid float.")),
        "list" | "set" | "tuple" | "mapping" | "object" => {
            Ok(serde_json::from_str(s).unwrap_or_else(|_| Value::from(s)))
        }
        _ => Ok(Value::from(s)),
    }
}

// ---------------------------------------------------------------------------
// YAML as PyYAML writes it with indent=4, block style, insertion order.
// ---------------------------------------------------------------------------

/// A YAML rendering of `v` in PyYAML's block style (`indent=4`,
/// `default_flow_style=False`, `sort_keys=False`).
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => yaml_map(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => yaml_seq(a, 0, &mut out),
        other => {
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
    out
}

fn yaml_map(m: &Map<String, Value>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (k, v) in m {
        out.push_str(&format!("{pad}{}:", yaml_string(k)));
        match v {
            Value::Object(c) if !c.is_empty() => {
                out.push('\n');
                yaml_map(c, indent + 4, out);
            }
            // PyYAML does not indent a sequence inside a mapping.
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                yaml_seq(a, indent, out);
            }
            other => out.push_str(&format!(" {}\n", yaml_scalar(other))),
        }
    }
}

fn yaml_seq(a: &[Value], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for v in a {
        out.push_str(&pad);
        out.push_str("-   ");
        let mut item = String::new();
        match v {
            Value::Object(c) if !c.is_empty() => yaml_map(c, indent + 4, &mut item),
            Value::Array(c) if !c.is_empty() => yaml_seq(c, indent + 4, &mut item),
            other => item.push_str(&format!("{}\n", yaml_scalar(other))),
        }
        // The item's first line goes right after the dash.
        let first = " ".repeat(indent + 4);
        out.push_str(item.strip_prefix(&first).unwrap_or(&item));
    }
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// Plain when YAML reads it back as the same string, else quoted.
fn yaml_string(s: &str) -> String {
    let reserved = [
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes",
        "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
        "=", "<<",
    ];
    let numeric = s.parse::<f64>().is_ok()
        || s.starts_with('.')
        || s.starts_with(|c: char| c.is_ascii_digit() || c == '+');
    let special_start =
        s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace());
    let special_inside = s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.ends_with(char::is_whitespace);
    let control = s.chars().any(|c| c.is_control());
    if control {
        // Double quotes, with JSON's escapes (a subset of YAML's).
        return serde_json::to_string(s).unwrap_or_default();
    }
    if reserved.contains(&s) || numeric || special_start || special_inside {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_reads_back() {
        let v = serde_json::json!({
            "title": "t: x", "tags": [], "n": "1", "b": "true",
            "hypo": {"title": "h", "probes": [{"type": "probe", "provider": {"arguments": {}}, "l": [[1, 2], "a"]}]},
            "s": "multi\nline", "method": []
        });
        let text = to_yaml(&v);
        assert!(
            text.contains("    probes:\n    -   type: probe\n        provider:\n"),
            "{text}"
        );
        assert!(
            text.contains("        l:\n        -   -   1\n            -   2\n        -   a\n"),
            "{text}"
        );
    }

    #[test]
    fn arguments_convert_by_type() {
        assert_eq!(convert_argument("yes", "boolean"), Ok(Value::Bool(true)));
        assert_eq!(convert_argument("3", "integer"), Ok(Value::from(3)));
        assert!(convert_argument("x", "integer").is_err());
        assert_eq!(convert_argument("[1]", "list"), Ok(serde_json::json!([1])));
        assert_eq!(convert_argument("a,b", "list"), Ok(Value::from("a,b")));
    }

    #[test]
    fn templates_parse() {
        for (name, _, _) in TEMPLATES {
            assert!(template(name).is_some_and(|t| t.get("method").is_some()));
        }
    }
}
