//! The PDF report, rendered from the reference journals and read back with
//! poppler's `pdftotext` and `pdftoppm` (Debian's poppler-utils, which
//! `.ci/run` installs).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use chaos_report::model::{read, Run};
use chaos_report::{pdf, summarise};

fn journals() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reference-journals")
}

fn load(name: &str) -> Run {
    let path = journals().join(name);
    let text = std::fs::read_to_string(&path).expect("journal");
    read(name, &text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every reference journal that reads as one, and the names of those the
/// model refuses.
fn load_all() -> (Vec<Run>, Vec<String>) {
    let mut names: Vec<String> = std::fs::read_dir(journals())
        .expect("journals")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let (mut runs, mut refused) = (Vec::new(), Vec::new());
    for name in names {
        let text = std::fs::read_to_string(journals().join(&name)).expect("journal");
        match read(&name, &text) {
            Ok(run) => runs.push(run),
            Err(_) => refused.push(name),
        }
    }
    (runs, refused)
}

/// Renders `runs` to a file named after `name`; returns its path.
fn render(name: &str, mut runs: Vec<Run>, title: &str) -> PathBuf {
    let summary = summarise(&mut runs);
    let bytes = pdf::render(&runs, &summary, title).expect("render");
    assert!(bytes.starts_with(b"%PDF-"), "{name}: not a PDF");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{name}.pdf"));
    std::fs::write(&path, &bytes).expect("write");
    path
}

fn tool(program: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} ({e}): install Debian's poppler-utils, as .ci/run does")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The text of every page, laid out as on the page.
fn text_of(path: &Path) -> String {
    let out = tool("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Whitespace collapsed, so that a phrase is found however it was laid out
/// in columns (wrapped cells are not: search short phrases).
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Renders page `page` at 50 dpi; returns the PNG's size in bytes.
fn page_png(path: &Path, page: usize) -> u64 {
    let prefix = path.with_extension(format!("p{page}"));
    let n = page.to_string();
    tool(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "50",
            "-f",
            &n,
            "-l",
            &n,
            "-singlefile",
            path.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let png = prefix.with_extension(format!("p{page}.png"));
    let bytes = std::fs::read(&png).expect("PNG");
    assert!(
        bytes.starts_with(b"\x89PNG"),
        "{}: not a PNG",
        png.display()
    );
    bytes.len() as u64
}

fn pages(text: &str) -> usize {
    text.matches('\u{c}').count()
}

fn assert_has(text: &str, needles: &[&str]) {
    let flat = squeeze(text);
    for n in needles {
        assert!(
            flat.contains(&squeeze(n)),
            "{n:?} is not in the PDF's text:\n{text}"
        );
    }
}

const RUN_SECTIONS: [&str; 6] = [
    "Steady-state hypothesis",
    "Time line",
    "Method",
    "Rollbacks",
    "Errors",
    "Configuration",
];

#[test]
fn one_deviated_run() {
    let run = load("hyp-deviated.json");
    let names: Vec<String> = run.method.iter().map(|a| a.name.clone()).collect();
    let probes: Vec<String> = run
        .before
        .iter()
        .flat_map(|c| c.probes.iter().map(|p| p.name.clone()))
        .collect();
    let title = run.title.clone();
    let path = render("hyp-deviated", vec![run], "One run");
    let text = text_of(&path);
    assert_has(&text, &RUN_SECTIONS);
    assert_has(
        &text,
        &["One run", &title, "Verdict: deviated", "Before the method"],
    );
    assert_has(&text, &["Probe", "Tolerance", "Value", "Met"]);
    for n in names.iter().chain(&probes) {
        assert_has(&text, &[n]);
    }
    assert!(!text.contains("Summary"), "one run has no summary");
    assert!(text.contains("Page 1 of"), "page numbers");
    assert!(page_png(&path, 1) > 1000);
}

#[test]
fn background_activities_and_pauses() {
    for name in ["background-activities.json", "pauses-before-after.json"] {
        let run = load(name);
        let lanes: Vec<String> = run.lanes.iter().map(|l| l.label.clone()).collect();
        assert!(!lanes.is_empty(), "{name}: a time line");
        let paused = run
            .method
            .iter()
            .any(|a| a.pause_before.is_some() || a.pause_after.is_some());
        let background = run.method.iter().any(|a| a.background);
        let methods: Vec<String> = run.method.iter().map(|a| a.name.clone()).collect();
        let path = render(name.trim_end_matches(".json"), vec![run], name);
        let text = text_of(&path);
        assert_has(&text, &RUN_SECTIONS);
        assert_has(&text, &["seconds from the start"]);
        for lane in &lanes {
            assert_has(&text, &[lane]);
        }
        for m in &methods {
            assert_has(&text, &[m]);
        }
        if background {
            assert_has(&text, &["in the background"]);
        }
        if paused {
            assert_has(&text, &["pause before"]);
        }
        assert!(page_png(&path, 1) > 1000);
    }
}

#[test]
fn failed_run_with_exceptions() {
    let run = load("process-failures.json");
    assert!(run.failed_activities > 0, "the journal has failures");
    let errors: Vec<String> = run
        .method
        .iter()
        .filter_map(|a| a.error.clone())
        .filter(|e| !e.is_empty())
        .collect();
    assert!(!errors.is_empty(), "the journal has exceptions");
    let label = run.outcome_label;
    let path = render("process-failures", vec![run], "Failures");
    let text = text_of(&path);
    assert_has(&text, &RUN_SECTIONS);
    assert_has(&text, &["failed", "raised:"]);
    assert_has(&text, &[&format!("Verdict: {label}")]);
    // The last line of each exception, at least its start (cells wrap).
    for e in &errors {
        let head: String = e.chars().take(18).collect();
        assert_has(&text, &[&head]);
    }
    assert!(page_png(&path, 1) > 1000);
}

#[test]
fn secrets_are_not_shown() {
    let name = "secrets-inline-env.json";
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(journals().join(name)).unwrap()).unwrap();
    // The inline values of the experiment's `secrets` block.
    let mut inline = Vec::new();
    for scope in raw["experiment"]["secrets"].as_object().unwrap().values() {
        for v in scope.as_object().unwrap().values() {
            if let Some(s) = v.as_str() {
                inline.push(s.to_string());
            }
        }
    }
    assert!(!inline.is_empty(), "{name} has inline secrets");
    let run = load(name);
    let keys: Vec<String> = run.secrets.iter().map(|(k, _)| k.clone()).collect();
    let path = render("secrets", vec![run], "Secrets");
    let text = text_of(&path);
    assert_has(&text, &["Configuration", "Secrets", "***"]);
    for k in &keys {
        assert_has(&text, &[k]);
    }
    for secret in &inline {
        assert!(
            !text.contains(secret.as_str()),
            "the secret {secret:?} is in the PDF:\n{text}"
        );
    }
}

#[test]
fn all_reference_journals_together() {
    let (runs, refused) = load_all();
    assert_eq!(refused, Vec::<String>::new(), "journals the model refuses");
    let titles: Vec<String> = runs.iter().map(|r| r.title.clone()).collect();
    let outcomes: Vec<&str> = runs.iter().map(|r| r.outcome_name).collect();
    let count = runs.len();
    let path = render("all", runs, "All the reference journals");
    let text = text_of(&path);
    assert_has(
        &text,
        &[
            "All the reference journals",
            "Summary",
            "Runs",
            "Duration trend",
        ],
    );
    assert_has(&text, &RUN_SECTIONS);
    assert_has(&text, &[&format!("{count} runs of")]);
    for o in outcomes {
        assert_has(&text, &[o]);
    }
    for t in &titles {
        // Titles may wrap in the table's cell; their first word is there
        // and the whole title heads the run's section.
        let head: String = t.chars().take(12).collect();
        assert_has(&text, &[&head]);
    }
    // The odd title (markup, a pipe, accented letters) comes out as text.
    assert!(text.contains("ünïcode"), "accented letters survive");
    assert!(pages(&text) >= count, "a page or more per run");
    assert!(text.contains(&format!("Page {} of {}", pages(&text), pages(&text))));
    assert!(page_png(&path, 1) > 1000);
}

#[test]
fn same_runs_same_bytes_and_missing_glyphs() {
    let mut run = load("hyp-deviated.json");
    // Characters DejaVu does not have: they must not stop the report.
    run.title = "emoji 🎉, CJK 漢字, a control \u{7} character".into();
    run.description = "𝕏 ".repeat(500);
    let mut runs = vec![run];
    let summary = summarise(&mut runs);
    let a = pdf::render(&runs, &summary, "Twice 🎉").expect("render");
    let b = pdf::render(&runs, &summary, "Twice 🎉").expect("render");
    assert!(a == b, "the same runs give the same bytes");
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-glyphs.pdf");
    std::fs::write(&path, &a).unwrap();
    let text = text_of(&path);
    assert_has(&text, &["emoji", "CJK", "character"]);
    assert!(!text.contains("CreationDate"));
    assert!(!String::from_utf8_lossy(&a).contains("/CreationDate"));
}

#[test]
fn no_runs() {
    let mut runs: Vec<Run> = Vec::new();
    let summary = summarise(&mut runs);
    let bytes = pdf::render(&runs, &summary, "Nothing").expect("render");
    assert!(bytes.starts_with(b"%PDF-"));
}

#[test]
fn a_thousand_runs() {
    let (base, _) = load_all();
    let mut runs = Vec::with_capacity(1000);
    for i in 0..1000usize {
        let mut run = base[i % base.len()].clone();
        let epoch = 1_700_000_000.0 + i as f64 * 3600.0;
        run.start_epoch = Some(epoch);
        run.start = chrono::DateTime::from_timestamp(epoch as i64, 0)
            .unwrap()
            .to_rfc3339();
        run.source = format!("run-{i}.json");
        runs.push(run);
    }
    let summary = summarise(&mut runs);
    let started = Instant::now();
    let bytes = pdf::render(&runs, &summary, "A thousand runs").expect("render");
    let took = started.elapsed();
    let limit = if cfg!(debug_assertions) { 20.0 } else { 2.0 };
    println!(
        "1,000 runs: {:.3} s, {} KB ({} build)",
        took.as_secs_f64(),
        bytes.len() / 1024,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert!(
        took.as_secs_f64() < limit,
        "1,000 runs took {took:?} (limit {limit} s)"
    );
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-1000.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let text = text_of(&path);
    assert_has(
        &text,
        &["1000 runs of", "975 older runs are only in this table"],
    );
    assert!(page_png(&path, 1) > 1000);
}
