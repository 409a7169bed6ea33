//! Game Days (chapter 4 of "Learning Chaos Engineering"): a hypothesis from
//! the backlog turned into a session that is planned, approved and run by a
//! team with a safety monitor watching.
//!
//! * [`plan`] owns the plan file: the template `chaos gameday plan` writes,
//!   loading it with positions, and the check of what it still lacks.
//! * [`monitor`] owns the safety monitor (the plan's probes polled in the
//!   background through the drivers) and the rollbacks played on a stop.
//! * [`record`] owns what a Game Day leaves behind: the JSON record, its
//!   file names (next to the plan and in a run history).
//! * [`report`] owns the Markdown and self-contained HTML reports of a
//!   record.
//!
//! The terminal session itself (prompt, timer, commands) lives in the
//! `chaos` binary, which wires these together.

#![forbid(unsafe_code)]

pub mod monitor;
pub mod plan;
pub mod record;
pub mod report;

use std::path::Path;

/// Writes `contents` to `path` atomically (temporary file, then rename).
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    chaos_experiment::atomic::write(path, contents)
}

/// Parses the date-times a person writes in a plan: RFC 3339
/// (`2025-06-01T10:00:00Z`), with a space instead of the `T`, or with no
/// offset (taken as UTC), seconds optional.
pub fn parse_datetime(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{DateTime, NaiveDateTime, Utc};
    let s = s.trim();
    let t = s.replacen(' ', "T", 1);
    if let Ok(d) = DateTime::parse_from_rfc3339(&t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&t, f) {
            return Some(n.and_utc());
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z"] {
        if let Ok(d) = DateTime::parse_from_str(&t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    None
}
