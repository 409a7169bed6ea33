//! The settings file (`~/.chaostoolkit/settings.yaml`, spec §9.9).

use std::path::{Path, PathBuf};

use chaos_experiment::load::{Document, Format};
use serde_json::Value;

/// The settings path: `--settings`, else `~/.chaostoolkit/settings.yaml`.
pub fn path(given: Option<&Path>) -> PathBuf {
    match given {
        Some(p) => p.to_path_buf(),
        None => {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."));
            home.join(".chaostoolkit").join("settings.yaml")
        }
    }
}

/// Loads the settings: a missing file is `{}`; a broken one is reported and
/// ignored, as the reference does.
pub fn load(path: &Path) -> Value {
    let Ok(bytes) = std::fs::read(path) else {
        return Value::Object(Default::default());
    };
    match Document::parse(&bytes, Format::Yaml, &path.display().to_string()) {
        Ok(doc) if doc.value.is_object() => doc.value,
        Ok(_) => Value::Object(Default::default()),
        Err(e) => {
            crate::console::error_line(&format!("Failed parsing YAML settings: {e}"));
            Value::Object(Default::default())
        }
    }
}

/// `settings.runtime.<which>.strategy`, if set.
pub fn runtime_strategy<'a>(settings: &'a Value, which: &str) -> Option<&'a str> {
    settings
        .get("runtime")?
        .get(which)?
        .get("strategy")?
        .as_str()
}

/// A block-style YAML rendering of a JSON value (what `yaml.safe_dump`
/// writes for the settings file), keys sorted when asked.
pub fn to_yaml(v: &Value, sort_keys: bool) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if m.is_empty() => out.push_str("{}\n"),
        Value::Array(a) if a.is_empty() => out.push_str("[]\n"),
        Value::Object(_) | Value::Array(_) => emit(v, 0, sort_keys, &mut out),
        scalar => {
            out.push_str(&yaml_scalar(scalar));
            out.push_str("\n...\n");
        }
    }
    out
}

fn emit(v: &Value, indent: usize, sort_keys: bool, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            if sort_keys {
                keys.sort();
            }
            for k in keys {
                let child = &m[k];
                out.push_str(&format!("{pad}{}:", yaml_string(k)));
                write_child(child, indent, sort_keys, out);
            }
        }
        Value::Array(a) => {
            for child in a {
                out.push_str(&format!("{pad}-"));
                write_child(child, indent, sort_keys, out);
            }
        }
        scalar => out.push_str(&format!("{pad}{}\n", yaml_scalar(scalar))),
    }
}

fn write_child(child: &Value, indent: usize, sort_keys: bool, out: &mut String) {
    match child {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            emit(child, indent + 2, sort_keys, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            emit(child, indent + 2, sort_keys, out);
        }
        Value::Object(_) => out.push_str(" {}\n"),
        Value::Array(_) => out.push_str(" []\n"),
        scalar => out.push_str(&format!(" {}\n", yaml_scalar(scalar))),
    }
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        other => other.to_string(),
    }
}

/// A string plain when YAML 1.1 would read it back as the same string,
/// double-quoted otherwise.
fn yaml_string(s: &str) -> String {
    let reserved = [
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes",
        "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
    ];
    let looks_numeric = s.parse::<f64>().is_ok()
        || s.starts_with('.')
        || s.chars().next().is_some_and(|c| c.is_ascii_digit());
    let special_start =
        s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c.is_whitespace());
    let special_inside = s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.ends_with(' ')
        || s.contains('\n')
        || s.chars().any(|c| c.is_control());
    if reserved.contains(&s) || looks_numeric || special_start || special_inside {
        serde_json::to_string(s).unwrap_or_default()
    } else {
        s.to_string()
    }
}
