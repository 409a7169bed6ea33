//! `chaos report [--export-format F] [--title T] JOURNAL... OUTPUT`: the
//! reference's command (chaostoolkit-reporting), with the binary alone.
//! Inputs may be journal files, directories (every journal in them, such
//! as a run history) or glob patterns; files that are not journals are
//! skipped in directories and refused when named.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chaos_report::model::{self, Run};

use super::CmdResult;
use crate::cli::ReportArgs;

pub fn report(args: &ReportArgs) -> CmdResult {
    let started = Instant::now();
    let (inputs, output) = args.paths.split_at(args.paths.len() - 1);
    let output = PathBuf::from(&output[0]);
    let files = match journal_files(inputs) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(1);
        }
    };
    if files.is_empty() {
        eprintln!("error: no journal found in {}", inputs.join(", "));
        return Ok(1);
    }
    // The reference overwrites a journal given as the only argument; a
    // report must never replace the evidence it is made from.
    if files.iter().any(|(f, _)| same_file(f, &output)) || is_a_journal(&output) {
        eprintln!(
            "error: '{}' is a journal; give the report's path as the last argument",
            output.display()
        );
        return Ok(1);
    }
    let mut runs: Vec<Run> = Vec::with_capacity(files.len());
    for (path, named) in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read '{}': {e}", path.display());
                return Ok(1);
            }
        };
        match model::read(&path.display().to_string(), &text) {
            Ok(run) => runs.push(run),
            Err(e) if *named => {
                eprintln!("error: {e}");
                return Ok(1);
            }
            // A folder may hold other JSON files beside the journals.
            Err(_) => {}
        }
    }
    if runs.is_empty() {
        eprintln!("error: no journal found in {}", inputs.join(", "));
        return Ok(1);
    }
    let summary = chaos_report::summarise(&mut runs);
    let title = args.title.clone().unwrap_or_else(|| match runs.as_slice() {
        [one] if !one.title.is_empty() => one.title.clone(),
        _ => "Chaos Engineering Report".to_string(),
    });
    let bytes: Vec<u8> = match args.export_format.as_str() {
        "html" => match backlog_map(args, &runs)
            .and_then(|map| chaos_report::html::render_with_backlog(&runs, &summary, &title, map))
        {
            Ok(h) => h.into_bytes(),
            Err(e) => {
                eprintln!("error: the report could not be rendered: {e}");
                return Ok(1);
            }
        },
        "markdown" => chaos_report::markdown::render(&runs, &summary, &title).into_bytes(),
        "json" => chaos_report::json::render(&runs, &summary, &title).into_bytes(),
        "junit" => chaos_report::junit::render(&runs).into_bytes(),
        "pdf" => match chaos_report::pdf::render(&runs, &summary, &title) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: the PDF could not be rendered: {e}");
                return Ok(1);
            }
        },
        other => {
            eprintln!("error: unknown --export-format {other}");
            return Ok(2);
        }
    };
    if let Err(e) = chaos_experiment::atomic::write(&output, &bytes) {
        eprintln!("error: cannot write '{}': {e}", output.display());
        return Ok(1);
    }
    println!(
        "Report generated as '{}' ({} run{}, {:.2} s)",
        output.display(),
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// The likelihood-impact map of `--backlog`, with each hypothesis's
/// evidence from the runs reported.
fn backlog_map(args: &ReportArgs, runs: &[Run]) -> Result<Option<String>, String> {
    let Some(path) = &args.backlog else {
        return Ok(None);
    };
    let backlog = chaos_backlog::load(path).map_err(|e| e.to_string())?;
    let journals = chaos_backlog::evidence::Journals {
        runs: runs.to_vec(),
        ..Default::default()
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (evidence, warnings) = chaos_backlog::evidence::evidence(&backlog, dir, &journals);
    for w in warnings {
        eprintln!("warning: {w}");
    }
    Ok(Some(chaos_backlog::map_svg(&backlog, &evidence)))
}

/// The files to read, each with whether it was named (an error in it is
/// fatal) or found in a folder or by a pattern.
fn journal_files(inputs: &[String]) -> Result<Vec<(PathBuf, bool)>, String> {
    let mut files = Vec::new();
    for input in inputs {
        let path = Path::new(input);
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read the folder '{input}': {e}"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
                .collect();
            found.sort();
            files.extend(found.into_iter().map(|p| (p, false)));
        } else if path.is_file() {
            files.push((path.to_path_buf(), true));
        } else if input.contains(['*', '?', '[']) {
            let matches = glob::glob(input).map_err(|e| format!("bad pattern '{input}': {e}"))?;
            let mut found: Vec<PathBuf> = matches
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(format!("no file matches '{input}'"));
            }
            files.extend(found.into_iter().map(|p| (p, false)));
        } else {
            return Err(format!("'{input}' does not exist"));
        }
    }
    Ok(files)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn is_a_journal(p: &Path) -> bool {
    std::fs::read_to_string(p)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| model::is_journal(&v))
}
