//! `chaos settings show|get|set|remove` (spec §9.8).

use std::path::Path;

use serde_json::Value;

use super::CmdResult;
use crate::cli::SettingsAction;

pub fn settings(action: &SettingsAction, path: &Path) -> CmdResult {
    let exists = path.exists();
    let mut settings = crate::settings::load(path);
    match action {
        SettingsAction::Show { format } => {
            if !exists {
                crate::console::error_line(&format!(
                    "No settings file found at {}",
                    path.display()
                ));
                return Ok(1);
            }
            print!("{}", render(&settings, format));
            Ok(0)
        }
        SettingsAction::Get { format, key } => {
            let Some(value) = lookup(&settings, &parse_key(key)).cloned() else {
                crate::console::error_line(&format!("No key '{key}' in {}", path.display()));
                return Ok(1);
            };
            match format.as_str() {
                "string" => println!("{}", chaos_pyvalue::py_str(&value)),
                f => print!("{}", render(&value, f)),
            }
            Ok(0)
        }
        SettingsAction::Set { key, value } => {
            let new: Value = match serde_json::from_str(value) {
                Ok(v) => v,
                Err(e) => {
                    crate::console::error_line(&format!(
                        "the value must be JSON (for a string: '\"{value}\"'): {e}"
                    ));
                    return Ok(1);
                }
            };
            let Some(slot) = lookup_mut(&mut settings, &parse_key(key)) else {
                crate::console::error_line(&format!(
                    "No key '{key}' in {}: only existing keys can be set",
                    path.display()
                ));
                return Ok(1);
            };
            *slot = new;
            save(path, &settings)
        }
        SettingsAction::Remove { key } => {
            let mut parts = parse_key(key);
            let Some(last) = parts.pop() else {
                return Ok(1);
            };
            let removed = match (lookup_mut(&mut settings, &parts), last) {
                (Some(Value::Object(m)), Part::Key(k)) => m.shift_remove(&k).is_some(),
                (Some(Value::Array(a)), Part::Index(i)) if i < a.len() => {
                    a.remove(i);
                    true
                }
                _ => false,
            };
            if !removed {
                crate::console::error_line(&format!("No key '{key}' in {}", path.display()));
                return Ok(1);
            }
            save(path, &settings)
        }
    }
}

fn save(path: &Path, settings: &Value) -> CmdResult {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let text = crate::settings::to_yaml(settings, true);
    let tmp = path.with_extension("yaml.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)?;
    Ok(0)
}

fn render(v: &Value, format: &str) -> String {
    match format {
        "json" => format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default()),
        _ => crate::settings::to_yaml(v, true),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Key(String),
    Index(usize),
}

/// `a.b\.c[1].d` → `a`, `b.c`, `[1]`, `d`.
fn parse_key(key: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                current.push('.');
                chars.next();
            }
            '.' => {
                if !current.is_empty() {
                    parts.push(Part::Key(std::mem::take(&mut current)));
                }
            }
            '[' => {
                if !current.is_empty() {
                    parts.push(Part::Key(std::mem::take(&mut current)));
                }
                let digits: String = chars.by_ref().take_while(|c| *c != ']').collect();
                match digits.trim().parse() {
                    Ok(i) => parts.push(Part::Index(i)),
                    Err(_) => parts.push(Part::Key(format!("[{digits}]"))),
                }
            }
            other => current.push(other),
        }
    }
    if !current.is_empty() {
        parts.push(Part::Key(current));
    }
    parts
}

fn lookup<'a>(v: &'a Value, parts: &[Part]) -> Option<&'a Value> {
    parts.iter().try_fold(v, |v, p| match (v, p) {
        (Value::Object(m), Part::Key(k)) => m.get(k),
        (Value::Array(a), Part::Index(i)) => a.get(*i),
        _ => None,
    })
}

fn lookup_mut<'a>(v: &'a mut Value, parts: &[Part]) -> Option<&'a mut Value> {
    parts.iter().try_fold(v, |v, p| match (v, p) {
        (Value::Object(m), Part::Key(k)) => m.get_mut(k),
        (Value::Array(a), Part::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_on_unescaped_dots_and_indices() {
        assert_eq!(
            parse_key(r"auths.chaos\.example\.com:8443.type"),
            vec![
                Part::Key("auths".into()),
                Part::Key("chaos.example.com:8443".into()),
                Part::Key("type".into())
            ]
        );
        assert_eq!(
            parse_key("controls.x.headers[1].name"),
            vec![
                Part::Key("controls".into()),
                Part::Key("x".into()),
                Part::Key("headers".into()),
                Part::Index(1),
                Part::Key("name".into())
            ]
        );
    }
}
