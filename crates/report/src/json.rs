//! `--export-format json`: the report's model as JSON, for tools. Not the
//! reference's output (which is pandoc's document tree); its shape is
//! versioned by `format` and `version`.

use serde_json::json;

use crate::model::{Run, Summary};

/// The report of `runs` as JSON.
pub fn render(runs: &[Run], summary: &Summary, title: &str) -> String {
    let doc = json!({
        "format": "chaos-report",
        "version": 1,
        "title": title,
        "summary": summary,
        "runs": runs,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
