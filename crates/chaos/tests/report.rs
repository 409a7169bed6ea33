//! `chaos report`: HTML, Markdown and JSON reports of the reference's
//! journals and ours. The HTML is opened in real headless Chromium (Debian's
//! `chromium-headless-shell`): no console message, no network request, and
//! the time line and the hypothesis tables are drawn (checked on
//! screenshots, pixel by pixel).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

fn journals() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../report/tests/data/reference-journals")
}

fn report(dir: &Path, args: &[&str]) -> std::process::Output {
    common::chaos(dir)
        .arg("report")
        .args(args)
        .output()
        .unwrap()
}

fn chromium() -> &'static str {
    for c in [
        "/usr/bin/chromium-headless-shell",
        "/usr/lib/chromium/chromium-headless-shell",
        "/usr/bin/chromium",
    ] {
        if Path::new(c).exists() {
            return c;
        }
    }
    panic!("no headless Chromium: .ci/run installs Debian's chromium-headless-shell");
}

/// What Chromium saw of a page.
struct Browser {
    console: Vec<Value>,
    requests: Vec<String>,
    dom: Value,
    shots: Value,
}

fn open_in_chromium(page: &Path, dark: bool, shots: &[(&str, &str)]) -> Browser {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../report/tests/data/browser_check.py");
    let mut c = Command::new("python3");
    c.arg(script)
        .arg(chromium())
        .arg(format!("file://{}", page.canonicalize().unwrap().display()));
    if dark {
        c.arg("--dark");
    }
    for (name, selector) in shots {
        c.arg(format!("{name}={selector}"));
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    Browser {
        console: v["console"].as_array().cloned().unwrap_or_default(),
        requests: v["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect(),
        dom: v["dom"].clone(),
        shots: v["shots"].clone(),
    }
}

/// Pixels of a screenshot close to an RGB colour.
fn pixels_like(png_b64: &Value, rgb: [u8; 3]) -> usize {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(png_b64.as_str().expect("a screenshot"))
        .unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(step)
        .filter(|p| {
            p.len() >= 3 && (0..3).all(|i| (i32::from(p[i]) - i32::from(rgb[i])).abs() <= 12)
        })
        .count()
}

const OK_LIGHT: [u8; 3] = [0x1a, 0x7f, 0x37];
const FAIL_LIGHT: [u8; 3] = [0xcf, 0x22, 0x2e];
const OK_DARK: [u8; 3] = [0x3f, 0xb9, 0x50];

#[test]
fn a_report_of_one_deviated_run_draws_its_time_line_and_hypothesis_in_chromium() {
    let dir = common::scratch();
    let out = report(
        dir.path(),
        &[
            "--export-format",
            "html",
            journals().join("hyp-deviated.json").to_str().unwrap(),
            "one.html",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let page = dir.path().join("one.html");
    for dark in [false, true] {
        let b = open_in_chromium(
            &page,
            dark,
            &[
                ("timeline", "svg.timeline"),
                ("after", "table.hypothesis[data-phase=after]"),
            ],
        );
        assert!(b.console.is_empty(), "console: {:?}", b.console);
        assert_eq!(
            b.requests.len(),
            1,
            "only the page itself: {:?}",
            b.requests
        );
        assert!(b.requests[0].starts_with("file://"));
        assert_eq!(b.dom["timeline_bars"], 4, "before, method, after, rollback");
        let size = b.dom["timeline_box"].as_array().unwrap();
        assert!(size[0].as_f64().unwrap() > 600.0 && size[1].as_f64().unwrap() > 80.0);
        assert_eq!(b.dom["hypothesis_rows"], 2);
        let text = b.dom["text"].as_str().unwrap();
        for words in [
            "deviated: a weakness may have been found",
            "Before the method: the steady state was verified",
            "After the method: the steady state was not verified",
            "marker-exists",
            "restore-marker",
        ] {
            assert!(text.contains(words), "{words} in {text}");
        }
        let timeline = &b.shots["timeline"];
        if dark {
            assert_eq!(b.dom["background"], "rgb(13, 17, 23)", "dark theme");
            assert!(pixels_like(timeline, OK_DARK) > 100, "green bars, dark");
        } else {
            assert_eq!(b.dom["background"], "rgb(255, 255, 255)");
            assert!(pixels_like(timeline, OK_LIGHT) > 100, "green bars drawn");
            assert!(
                pixels_like(timeline, FAIL_LIGHT) > 30,
                "the after probe out of tolerance is drawn red"
            );
            assert!(
                pixels_like(&b.shots["after"], FAIL_LIGHT) > 10,
                "the hypothesis table says 'no' in red"
            );
        }
    }
}

#[test]
fn a_report_of_many_runs_sums_them_up_and_stays_self_contained() {
    let dir = common::scratch();
    let out = report(
        dir.path(),
        &[
            "--export-format",
            "html",
            journals().to_str().unwrap(),
            "all.html",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let html = std::fs::read_to_string(dir.path().join("all.html")).unwrap();
    assert!(!html.contains("<script"), "no script at all");
    assert!(
        !html.contains("<script>alert(1)</script>")
            && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "journal text is escaped"
    );
    let b = open_in_chromium(
        &dir.path().join("all.html"),
        false,
        &[("trend", "svg.trend")],
    );
    assert!(b.console.is_empty(), "console: {:?}", b.console);
    assert_eq!(b.requests.len(), 1, "{:?}", b.requests);
    let text = b.dom["text"].as_str().unwrap();
    for words in [
        "Summary",
        "Duration over time",
        "Activity durations across runs",
        "Contributions",
        "availability",
        "background activities",
        "process failures",
    ] {
        assert!(text.contains(words), "{words}");
    }
    assert!(
        pixels_like(&b.shots["trend"], OK_LIGHT) > 20,
        "trend points drawn"
    );
}

#[test]
fn secrets_never_reach_a_report() {
    let dir = common::scratch();
    let journal = journals().join("secrets-inline-env.json");
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    // The reference writes inline secret values into its journals.
    let secret = j["experiment"]["secrets"]["other"]["pin"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(std::fs::read_to_string(&journal).unwrap().contains(&secret));
    for format in ["html", "markdown", "json", "pdf", "junit"] {
        let name = format!("r.{format}");
        // The env secret's value, when the environment holds it, is masked
        // too (the reference's journal has it in outputs and tolerances).
        let out = common::chaos(dir.path())
            .env("ACC_TOKEN", "s3cr3t")
            .args([
                "report",
                "--export-format",
                format,
                journal.to_str().unwrap(),
                &name,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        let text = if format == "pdf" {
            let out = Command::new("pdftotext")
                .arg(dir.path().join(&name))
                .arg("-")
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        } else {
            std::fs::read_to_string(dir.path().join(&name)).unwrap()
        };
        assert!(!text.contains(&secret), "{format} shows the secret");
        assert!(!text.contains("s3cr3t"), "{format} shows the env secret");
        if format != "junit" {
            assert!(text.contains("other.pin"), "{format}: the key is listed");
        }
    }
}

#[test]
fn markdown_and_json_carry_the_same_content() {
    let dir = common::scratch();
    let md = report(
        dir.path(),
        &[
            journals().join("process-failures.json").to_str().unwrap(),
            "r.md",
        ],
    );
    assert_eq!(md.status.code(), Some(0), "markdown is the default format");
    let md = std::fs::read_to_string(dir.path().join("r.md")).unwrap();
    for heading in [
        "# process failures",
        "### Steady-state hypothesis",
        "### Time line",
        "### Method",
        "### Rollbacks",
        "**Verdict: completed: the steady state held**",
    ] {
        assert!(md.contains(heading), "{heading} in\n{md}");
    }
    assert!(md.contains("| failed"), "a failed activity row:\n{md}");

    let out = report(
        dir.path(),
        &[
            "--export-format",
            "json",
            journals().to_str().unwrap(),
            "r.json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(doc["format"], "chaos-report");
    assert_eq!(doc["version"], 1);
    let runs = doc["runs"].as_array().unwrap();
    assert!(runs.len() >= 15);
    let deviated = doc["summary"]["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o[1] == "deviated")
        .unwrap();
    assert_eq!(
        deviated[2].as_u64().unwrap() as usize,
        runs.iter().filter(|r| r["deviated"] == true).count()
    );
}

#[test]
fn inputs_are_files_folders_or_patterns_and_a_journal_is_never_overwritten() {
    let dir = common::scratch();
    let one = journals().join("hyp-deviated.json");
    // A single argument is refused by clap, as OUTPUT is required.
    let out = report(dir.path(), &[one.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // The output is a journal: refused, left as it was.
    let copy = dir.path().join("j.json");
    std::fs::copy(&one, &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let out = report(dir.path(), &[one.to_str().unwrap(), "j.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(common::stderr(&out).contains("is a journal"));
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    // A pattern.
    let pattern = format!("{}/hyp-*.json", journals().display());
    let out = report(dir.path(), &["--export-format", "json", &pattern, "p.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("p.json")).unwrap()).unwrap();
    assert_eq!(doc["runs"].as_array().unwrap().len(), 3);
    // A named file that is not a journal.
    std::fs::write(dir.path().join("x.json"), r#"{"hello": 1}"#).unwrap();
    let out = report(dir.path(), &["x.json", "r.md"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("is not a journal"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn our_own_journals_report_background_lanes_pauses_and_rollbacks() {
    let dir = common::scratch();
    let exp = json!({"title": "ours", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"type": "probe", "name": "up", "tolerance": 0, "provider": {"type": "process", "path": "true"}}]},
        "method": [
            {"type": "action", "name": "slow-bg", "background": true, "provider": {"type": "process", "path": "sleep", "arguments": ["0.3"]}},
            {"type": "action", "name": "paused", "pauses": {"before": 0.1, "after": 0.1}, "provider": {"type": "process", "path": "true"}}],
        "rollbacks": [{"type": "action", "name": "undo", "provider": {"type": "process", "path": "true"}}]});
    let (out, _) = common::run(dir.path(), &exp, &["--rollback-strategy", "always"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let out = report(
        dir.path(),
        &["--export-format", "html", "journal.json", "r.html"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(
        html.contains(">in the background</text>"),
        "a background lane"
    );
    assert!(
        html.contains("pause before paused: 0.100 s"),
        "the pause is drawn"
    );
    assert!(html.contains(">rollbacks</text>"));
}

#[test]
fn a_thousand_journals_render_in_seconds() {
    let dir = common::scratch();
    let history = dir.path().join("history");
    std::fs::create_dir(&history).unwrap();
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(journals()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            if v.get("experiment").is_some() && v.get("start").is_some() {
                sources.push(v);
            }
        }
    }
    for i in 0..1000 {
        let mut j = sources[i % sources.len()].clone();
        j["start"] = json!(format!(
            "2026-{:02}-{:02}T{:02}:{:02}:00.000000+00:00",
            1 + i / 200,
            1 + (i / 8) % 25,
            i % 24,
            i % 60
        ));
        std::fs::write(history.join(format!("{i:04}.json")), j.to_string()).unwrap();
    }
    let started = Instant::now();
    let out = report(
        dir.path(),
        &["--export-format", "html", "history", "r.html"],
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    eprintln!("1000 journals: {took:?} (debug build)");
    assert!(
        took < Duration::from_secs(30),
        "a debug build renders 1000 journals well within 30 s; took {took:?}"
    );
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(html.contains("975 older runs are in this table only"));
}

#[test]
fn the_pdf_carries_what_the_html_shows() {
    let dir = common::scratch();
    let src = journals().join("process-failures.json");
    for (format, name) in [("html", "r.html"), ("pdf", "r.pdf")] {
        let out = report(
            dir.path(),
            &["--export-format", format, src.to_str().unwrap(), name],
        );
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    }
    let html = open_in_chromium(&dir.path().join("r.html"), false, &[]);
    let html_text = html.dom["text"].as_str().unwrap().to_string();
    let pdf = Command::new("pdftotext")
        .args(["-layout"])
        .arg(dir.path().join("r.pdf"))
        .arg("-")
        .output()
        .unwrap();
    assert!(pdf.status.success(), "pdftotext reads it");
    let pdf_text = String::from_utf8_lossy(&pdf.stdout).into_owned();
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&src).unwrap()).unwrap();
    let mut expected: Vec<String> = vec![
        "Steady-state hypothesis".into(),
        "Time line".into(),
        "Method".into(),
        "Rollbacks".into(),
        "completed: the steady state held".into(),
        j["experiment"]["title"].as_str().unwrap().into(),
    ];
    for r in j["run"].as_array().unwrap() {
        expected.push(r["activity"]["name"].as_str().unwrap().into());
    }
    for words in &expected {
        assert!(html_text.contains(words.as_str()), "HTML lacks {words}");
        assert!(
            pdf_text.contains(words.as_str()),
            "PDF lacks {words}:\n{pdf_text}"
        );
    }
}

#[test]
fn a_junit_export_validates_against_the_jenkins_schema() {
    let dir = common::scratch();
    let out = report(
        dir.path(),
        &[
            "--export-format",
            "junit",
            journals().to_str().unwrap(),
            "r.xml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../report/tests/data/junit-10.xsd");
    let check = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(xsd)
        .arg(dir.path().join("r.xml"))
        .output()
        .expect("xmllint (libxml2-utils)");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert!(
        xml.matches("<testsuite ").count() >= 15,
        "one suite per journal"
    );
}

#[test]
fn with_a_backlog_the_html_report_opens_with_the_map_and_each_hypothesis_evidence() {
    let dir = common::scratch();
    let exp = json!({"title": "cache survives", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"type": "probe", "name": "flag", "tolerance": 0,
             "provider": {"type": "process", "path": "test", "arguments": ["!", "-e", "broken"]}}]},
        "method": [{"type": "action", "name": "break", "provider": {"type": "process", "path": "touch", "arguments": ["broken"]}}]});
    common::write_experiment(dir.path(), "cache.json", &exp);
    let out = common::chaos(dir.path())
        .args(["run", "cache.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "deviated");
    std::fs::write(
        dir.path().join("hypotheses.yaml"),
        "hypotheses:\n  - id: cache\n    title: the cache survives a restart\n    likelihood: 4\n    impact: 5\n    experiments: [cache.json]\n  - id: disk\n    title: a full disk is survived\n    likelihood: 2\n    impact: 3\n",
    )
    .unwrap();
    let out = report(
        dir.path(),
        &[
            "--export-format",
            "html",
            "--backlog",
            "hypotheses.yaml",
            "journal.json",
            "r.html",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(html.contains("<h2>Hypothesis backlog</h2>"));
    assert!(
        html.contains(
            r#"data-id="cache" data-likelihood="4" data-impact="5" data-evidence="deviated""#
        ),
        "the linked hypothesis shows this run's deviation"
    );
    assert!(html.contains(
        r#"data-id="disk" data-likelihood="2" data-impact="3" data-evidence="untested""#
    ));
    let b = open_in_chromium(&dir.path().join("r.html"), false, &[]);
    assert!(b.console.is_empty(), "{:?}", b.console);
    assert_eq!(b.requests.len(), 1);
}
