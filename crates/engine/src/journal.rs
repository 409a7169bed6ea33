//! The journal: the reference's record of a run, key for key, and its
//! atomic writing.

use std::path::Path;

use chaos_pyvalue::{Map, Value};

/// The journal format version we write: tools that read Chaos Toolkit
/// journals pick their parsing by this key.
pub const CHAOSLIB_VERSION: &str = "1.44.0";

/// How a run ended (spec §6.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Ran to the end (a deviation is told by `deviated`).
    Completed,
    /// A hypothesis probe errored, or the continuous hypothesis failed fast.
    Failed,
    /// An unexpected error stopped the method.
    Aborted,
    /// A signal or a control stopped the run.
    Interrupted,
}

impl Status {
    /// The journal's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Aborted => "aborted",
            Status::Interrupted => "interrupted",
        }
    }
}

/// Now, as Python's `datetime.now(timezone.utc).isoformat()` writes it.
pub fn now_iso() -> String {
    iso(chrono::Utc::now())
}

/// A UTC time in Python's isoformat (microseconds only when non-zero).
pub fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    // Written by hand: chrono's strftime parses its pattern on every call,
    // and every activity takes two timestamps.
    let mut s = String::with_capacity(32);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let micros = (t.nanosecond() / 1000) % 1_000_000;
    if micros != 0 {
        let _ = write!(s, ".{micros:06}");
    }
    s.push_str("+00:00");
    s
}

/// `platform.platform()` as far as it can be told without Python.
pub fn platform() -> String {
    match nix::sys::utsname::uname() {
        Ok(u) => format!(
            "{}-{}-{}",
            u.sysname().to_string_lossy(),
            u.release().to_string_lossy(),
            u.machine().to_string_lossy()
        ),
        Err(_) => std::env::consts::OS.to_string(),
    }
}

/// The parts of `platform.uname()` chaoslib's discovery records (`python`
/// is null: no interpreter was involved).
pub fn platform_details() -> Map<String, Value> {
    let mut m = Map::new();
    let (system, release, version, machine) = match nix::sys::utsname::uname() {
        Ok(u) => (
            u.sysname().to_string_lossy().into_owned(),
            u.release().to_string_lossy().into_owned(),
            u.version().to_string_lossy().into_owned(),
            u.machine().to_string_lossy().into_owned(),
        ),
        Err(_) => (
            std::env::consts::OS.to_string(),
            String::new(),
            String::new(),
            String::new(),
        ),
    };
    m.insert("system".into(), Value::from(system));
    m.insert("node".into(), Value::from(node()));
    m.insert("release".into(), Value::from(release));
    m.insert("version".into(), Value::from(version));
    m.insert("machine".into(), Value::from(machine));
    m.insert("proc".into(), Value::from(""));
    m.insert("python".into(), Value::Null);
    m
}

/// The host name.
pub fn node() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Replaces every inline secret value in an experiment's `secrets` block by
/// a mask, keeping env and vault declarations (they hold no secret). The
/// reference copies inline secrets into the journal; we never do.
pub fn mask_secrets(experiment: &mut Map<String, Value>) {
    if let Some(Value::Object(scopes)) = experiment.get_mut("secrets") {
        for scope in scopes.values_mut() {
            mask_value(scope);
        }
    }
}

/// The text that stands for a secret in journals and logs.
pub const MASK: &str = "********";

fn mask_value(v: &mut Value) {
    match v {
        Value::Object(m) => {
            let declaration = matches!(
                m.get("type").and_then(Value::as_str),
                Some("env") | Some("vault")
            );
            if !declaration {
                for inner in m.values_mut() {
                    mask_value(inner);
                }
            }
        }
        Value::Null => {}
        other => *other = Value::String(MASK.into()),
    }
}

/// Writes `journal` to `path` as the reference does (indent 2, UTF-8),
/// through a temporary file in the same folder and a rename, so a reader
/// never sees half a journal.
pub fn write_atomically(path: &Path, journal: &Value) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"  ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    serde::Serialize::serialize(journal, &mut ser).map_err(std::io::Error::other)?;
    chaos_experiment::atomic::write(path, &buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isoformat_matches_python() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-24T18:17:26.296616Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(iso(t), "2026-11-24T18:17:26.296616+00:00");
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-24T18:17:26Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(iso(t), "2026-11-24T18:17:26+00:00");
    }

    #[test]
    fn inline_secrets_are_masked_but_declarations_kept() {
        let mut e = serde_json::json!({"secrets": {"app": {"token": {"type": "env", "key": "T"}, "user": "alice", "n": {"deep": 3}}}})
            .as_object()
            .unwrap()
            .clone();
        mask_secrets(&mut e);
        assert_eq!(
            Value::Object(e),
            serde_json::json!({"secrets": {"app": {"token": {"type": "env", "key": "T"}, "user": MASK, "n": {"deep": MASK}}}})
        );
    }

    #[test]
    fn written_journal_is_whole_and_no_temporary_file_remains() {
        let dir = std::env::temp_dir().join(format!("chaos-journal-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.json");
        write_atomically(&path, &serde_json::json!({"status": "completed", "é": 1})).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\n  \"status\": \"completed\",\n  \"é\": 1\n}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
