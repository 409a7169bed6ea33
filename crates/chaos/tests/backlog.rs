//! `chaos backlog`, end to end with the real binary: the backlog file and
//! its priority order, adding (with flags and in a terminal), editing,
//! scoring, linking, removing, bad files, the likelihood-impact map parsed
//! as XML, and evidence from journals of real `chaos run --history` runs.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn backlog(dir: &Path, args: &[&str]) -> Output {
    common::chaos(dir)
        .arg("backlog")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        common::stderr(&o),
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn list_json(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["list", "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str::<Value>(&ok(backlog(dir, &args)))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

const CARES: [(&str, f64); 3] = [
    ("customer-facing", 2.0),
    ("data-loss", 3.0),
    ("security", 2.5),
];
const CARE_FACTOR: f64 = 0.5;

/// Thirty hypotheses with a spread of scores and cares, as (id, L, I, cares).
fn thirty() -> Vec<(String, u8, u8, Vec<&'static str>)> {
    (0..30u32)
        .map(|n| {
            let l = (n * 7 % 5 + 1) as u8;
            let i = (n * 3 % 5 + 1) as u8;
            let cares: Vec<&str> = CARES
                .iter()
                .enumerate()
                .filter(|(k, _)| (n >> k) & 1 == 1 && n % 4 != 0)
                .map(|(_, (c, _))| *c)
                .collect();
            (
                format!("h{:02}-{}", n, ["quotes", "db", "cache"][n as usize % 3]),
                l,
                i,
                cares,
            )
        })
        .collect()
}

fn write_thirty(path: &Path) {
    let mut y = String::from("# a hand-written backlog\ncares:\n");
    for (c, w) in CARES {
        y.push_str(&format!("  {c}: {w}\n"));
    }
    y.push_str(&format!(
        "priority:\n  care_factor: {CARE_FACTOR}\nhypotheses:\n"
    ));
    for (id, l, i, cares) in thirty() {
        y.push_str(&format!(
            "  - id: {id}\n    title: the service keeps working when {id} breaks\n    source: sketch\n    likelihood: {l}\n    impact: {i}\n    cares: [{}]\n",
            cares.join(", ")
        ));
    }
    std::fs::write(path, y).unwrap();
}

/// The documented order, computed here on its own: priority = L × I × (1 +
/// care_factor × Σ weights), highest first; then impact, likelihood, id.
fn expected_order() -> Vec<(String, f64)> {
    let weight = |c: &str| CARES.iter().find(|(n, _)| *n == c).unwrap().1;
    let mut v: Vec<(String, u8, u8, f64)> = thirty()
        .into_iter()
        .map(|(id, l, i, cares)| {
            let sum: f64 = cares.iter().map(|c| weight(c)).sum();
            let p = f64::from(l) * f64::from(i) * (1.0 + CARE_FACTOR * sum);
            (id, l, i, p)
        })
        .collect();
    v.sort_by(|a, b| {
        b.3.partial_cmp(&a.3)
            .unwrap()
            .then(b.2.cmp(&a.2))
            .then(b.1.cmp(&a.1))
            .then(a.0.cmp(&b.0))
    });
    v.into_iter().map(|(id, _, _, p)| (id, p)).collect()
}

#[test]
fn thirty_hypotheses_are_listed_by_priority() {
    let dir = common::scratch();
    write_thirty(&dir.path().join("hypotheses.yaml"));
    let expected = expected_order();
    let got = list_json(dir.path(), &[]);
    assert_eq!(got.len(), 30);
    for (k, (item, (id, p))) in got.iter().zip(&expected).enumerate() {
        assert_eq!(item["id"], json!(id), "rank {}", k + 1);
        assert_eq!(item["rank"], json!(k + 1));
        assert!((item["priority"].as_f64().unwrap() - p).abs() < 1e-9);
        assert_eq!(item["evidence"]["kind"], "untested");
    }
    // Ties exist, so the tie-breaks are exercised.
    assert!(expected.windows(2).any(|w| w[0].1 == w[1].1));
    // The table shows the same order.
    let table = ok(backlog(dir.path(), &["list"]));
    let ids: Vec<&str> = table
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    let want: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, want);
    assert!(table.lines().next().unwrap().contains("last run"));
    // The care factor is read from the file: 0 leaves L × I.
    let f = dir.path().join("hypotheses.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, text.replace("care_factor: 0.5", "care_factor: 0")).unwrap();
    let got = list_json(dir.path(), &[]);
    for item in got {
        assert_eq!(
            item["priority"].as_f64().unwrap(),
            (item["likelihood"].as_u64().unwrap() * item["impact"].as_u64().unwrap()) as f64
        );
    }
}

#[test]
fn add_with_flags_and_refuse_to_ask_without_a_terminal() {
    let dir = common::scratch();
    let out = ok(backlog(
        dir.path(),
        &[
            "add",
            "--title",
            "the system will keep serving quotes if the exchange file disappears",
            "--source",
            "incident",
            "--source-ref",
            "INC-42",
            "--component",
            "quotes",
            "--likelihood",
            "likely",
            "--impact",
            "5",
            "--cares",
            "customer-facing,data-loss",
            "--owner",
            "alice",
            "--status",
            "ready",
        ],
    ));
    assert!(
        out.contains("Added 'the-system-will-keep-serving-quotes-if-the'"),
        "{out}"
    );
    ok(backlog(
        dir.path(),
        &[
            "add",
            "--id",
            "db",
            "--title",
            "db fails over",
            "--likelihood",
            "2",
            "--impact",
            "3",
        ],
    ));
    let items = list_json(dir.path(), &[]);
    assert_eq!(items.len(), 2);
    let h = &items[0];
    assert_eq!(h["id"], "the-system-will-keep-serving-quotes-if-the");
    assert_eq!(h["source"], "incident");
    assert_eq!(h["source_ref"], "INC-42");
    assert_eq!(h["component"], "quotes");
    assert_eq!(
        (h["likelihood"].as_u64(), h["impact"].as_u64()),
        (Some(4), Some(5))
    );
    assert_eq!(h["cares"], json!(["customer-facing", "data-loss"]));
    assert_eq!(h["owner"], "alice");
    assert_eq!(h["status"], "ready");
    // New cares are declared with weight 1.0: 4 × 5 × (1 + 2).
    assert_eq!(h["priority"], json!(60.0));
    assert_eq!(items[1]["status"], "proposed");
    assert_eq!(items[1]["source"], "other");

    let file = dir.path().join("hypotheses.yaml");
    let before = std::fs::read(&file).unwrap();
    let o = backlog(dir.path(), &["add", "--title", "half a hypothesis"]);
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(err.contains("missing --likelihood, --impact"), "{err}");
    assert!(err.contains("not a terminal"), "{err}");
    let o = backlog(
        dir.path(),
        &[
            "add",
            "--id",
            "db",
            "--title",
            "again",
            "--likelihood",
            "1",
            "--impact",
            "1",
        ],
    );
    assert!(common::stderr(&o).contains("already used"));
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn add_asks_for_what_is_missing_in_a_terminal() {
    let dir = common::scratch();
    let mut c = Command::new(common::chaos_bin());
    c.current_dir(dir.path())
        .args(["--no-log-file", "--settings"])
        .arg(dir.path().join("no-settings.yaml"))
        .env("NO_COLOR", "1")
        .args(["backlog", "add", "--owner", "bob"]);
    let mut p = rexpect::session::spawn_command(c, Some(20_000)).unwrap();
    p.exp_string("Hypothesis (what will hold): ").unwrap();
    p.send_line("the cache can be lost without losing orders")
        .unwrap();
    p.exp_string("Id [the-cache-can-be-lost-without-losing-orders]: ")
        .unwrap();
    p.send_line("cache-loss").unwrap();
    p.exp_string("Source (incident, sketch, what-could-go-wrong, other) [other]: ")
        .unwrap();
    p.send_line("what-could-go-wrong").unwrap();
    p.exp_string("Source reference").unwrap();
    p.send_line("").unwrap();
    p.exp_string("Component []: ").unwrap();
    p.send_line("cache").unwrap();
    p.exp_string("Likelihood (1 rare, 2 unlikely, 3 possible, 4 likely, 5 almost-certain): ")
        .unwrap();
    p.send_line("9").unwrap();
    p.exp_string("not on the scale").unwrap();
    p.exp_string("Likelihood").unwrap();
    p.send_line("3").unwrap();
    p.exp_string("Impact (1 negligible").unwrap();
    p.send_line("major").unwrap();
    p.exp_string("comma-separated").unwrap();
    p.send_line("data-loss").unwrap();
    p.exp_string("Added 'cache-loss'").unwrap();
    p.exp_eof().unwrap();

    let items = list_json(dir.path(), &[]);
    assert_eq!(items.len(), 1);
    let h = &items[0];
    assert_eq!(h["id"], "cache-loss");
    assert_eq!(h["title"], "the cache can be lost without losing orders");
    assert_eq!(h["source"], "what-could-go-wrong");
    assert!(h.get("source_ref").is_none());
    assert_eq!(h["component"], "cache");
    assert_eq!(
        (h["likelihood"].as_u64(), h["impact"].as_u64()),
        (Some(3), Some(4))
    );
    assert_eq!(h["cares"], json!(["data-loss"]));
    assert_eq!(h["owner"], "bob");
}

#[test]
fn edit_score_link_and_remove() {
    let dir = common::scratch();
    let d = dir.path();
    for (id, l, i) in [("a", "1", "1"), ("b", "2", "2")] {
        ok(backlog(
            d,
            &[
                "add",
                "--id",
                id,
                "--title",
                id,
                "--likelihood",
                l,
                "--impact",
                i,
            ],
        ));
    }
    ok(backlog(
        d,
        &[
            "edit",
            "a",
            "--title",
            "the title: changed",
            "--owner",
            "carol",
            "--status",
            "experimenting",
            "--notes",
            "line one\nline two",
            "--cares",
            "security",
        ],
    ));
    ok(backlog(
        d,
        &["score", "a", "--likelihood", "5", "--impact", "4"],
    ));
    common::write_experiment(
        d,
        "e.json",
        &json!({"title": "t", "description": "d", "method": []}),
    );
    std::fs::create_dir(d.join("exp")).unwrap();
    std::fs::write(d.join("exp/f.yaml"), "title: f\nmethod: []\n").unwrap();
    ok(backlog(d, &["link", "a", "e.json", "exp/f.yaml"]));
    ok(backlog(d, &["link", "a", "e.json"]));
    let o = backlog(d, &["link", "a", "missing.json"]);
    assert!(!o.status.success());
    assert!(common::stderr(&o).contains("missing.json"));

    let shown: Value =
        serde_json::from_str(&ok(backlog(d, &["show", "a", "--format", "json"]))).unwrap();
    assert_eq!(shown["title"], "the title: changed");
    assert_eq!(shown["owner"], "carol");
    assert_eq!(shown["status"], "experimenting");
    assert_eq!(shown["notes"], "line one\nline two");
    assert_eq!(shown["cares"], json!(["security"]));
    assert_eq!(
        (shown["likelihood"].as_u64(), shown["impact"].as_u64()),
        (Some(5), Some(4))
    );
    assert_eq!(shown["experiments"], json!(["e.json", "exp/f.yaml"]));
    assert_eq!(shown["rank"], 1);
    assert_eq!(shown["top_priority"], true);
    let text = ok(backlog(d, &["show", "a"]));
    assert!(text.contains("top-priority quadrant"), "{text}");

    // Renaming keeps it unique.
    let o = backlog(d, &["edit", "a", "--id", "b"]);
    assert!(common::stderr(&o).contains("already used"));
    ok(backlog(d, &["edit", "a", "--id", "renamed"]));
    let o = backlog(d, &["score", "renamed", "--impact", "6"]);
    assert!(common::stderr(&o).contains("1 to 5"));
    ok(backlog(d, &["remove", "b"]));
    let o = backlog(d, &["remove", "b"]);
    assert!(common::stderr(&o).contains("no hypothesis 'b'"));
    let ids: Vec<Value> = list_json(d, &[]).iter().map(|h| h["id"].clone()).collect();
    assert_eq!(ids, vec![json!("renamed")]);
    // The file stays human-editable YAML.
    let y = std::fs::read_to_string(d.join("hypotheses.yaml")).unwrap();
    assert!(
        y.contains("  - id: renamed\n    title: \"the title: changed\"\n"),
        "{y}"
    );
    assert!(y.contains("likelihood: 5  # almost-certain"), "{y}");
}

#[test]
fn a_bad_file_is_reported_with_its_place_and_left_alone() {
    let dir = common::scratch();
    let d = dir.path();
    let file = d.join("team/hypotheses.yaml");
    std::fs::create_dir(d.join("team")).unwrap();
    let cases = [
        (
            "hypotheses:\n  - id: a\n    title: [unclosed\n    likelihood: 2\n",
            "not valid YAML",
        ),
        (
            "cares: {}\nhypotheses:\n  - id: a\n    title: ok\n    likelihood: 7\n    impact: 2\n",
            "team/hypotheses.yaml:5:5: likelihood '7' is not on the scale",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(&file, text).unwrap();
        for args in [
            vec!["list"],
            vec!["edit", "a", "--owner", "x"],
            vec!["add", "--title", "t", "--likelihood", "1", "--impact", "1"],
            vec!["remove", "a"],
        ] {
            let mut full = vec!["--file", "team/hypotheses.yaml"];
            full.extend(args);
            let o = backlog(d, &full);
            assert!(!o.status.success());
            let err = common::stderr(&o);
            assert!(err.contains(want), "{err}");
            let place = err.split("team/hypotheses.yaml:").nth(1).unwrap();
            let mut nums = place.split(':').take(2).map(|n| n.parse::<usize>());
            assert!(nums.all(|n| n.is_ok()), "line and column in {err}");
            assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
        }
    }
    assert_eq!(
        std::fs::read_dir(d.join("team")).unwrap().count(),
        1,
        "no temporary file left"
    );
}

/// (likelihood, impact, x, y, width, height) of each cell, and (id,
/// likelihood, impact, evidence, cx, cy) of each hypothesis, read as XML.
type Cells = Vec<(u8, u8, f64, f64, f64, f64)>;
type Dots = Vec<(String, u8, u8, String, f64, f64)>;

fn parse_svg(svg: &str) -> (Cells, Dots) {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(svg);
    let mut cells = Vec::new();
    let mut dots: Dots = Vec::new();
    let mut in_hypothesis = false;
    let mut depth_root = 0;
    loop {
        let ev = r.read_event().expect("the SVG is well-formed XML");
        let (e, empty) = match &ev {
            Event::Start(e) => (e.clone(), false),
            Event::Empty(e) => (e.clone(), true),
            Event::End(e) => {
                if e.name().as_ref() == b"g" {
                    in_hypothesis = false;
                }
                if e.name().as_ref() == b"svg" {
                    depth_root -= 1;
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let attrs: BTreeMap<String, String> = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect();
        let class = attrs.get("class").cloned().unwrap_or_default();
        let classes: Vec<&str> = class.split_whitespace().collect();
        let num = |k: &str| attrs[k].parse::<f64>().unwrap();
        match e.name().as_ref() {
            b"svg" => depth_root += 1,
            b"rect" if classes.contains(&"cell") => cells.push((
                attrs["data-likelihood"].parse().unwrap(),
                attrs["data-impact"].parse().unwrap(),
                num("x"),
                num("y"),
                num("width"),
                num("height"),
            )),
            b"g" if classes.contains(&"hypothesis") && !empty => {
                in_hypothesis = true;
                dots.push((
                    attrs["data-id"].clone(),
                    attrs["data-likelihood"].parse().unwrap(),
                    attrs["data-impact"].parse().unwrap(),
                    attrs["data-evidence"].clone(),
                    f64::NAN,
                    f64::NAN,
                ));
            }
            b"circle" if in_hypothesis => {
                let d = dots.last_mut().unwrap();
                d.4 = num("cx");
                d.5 = num("cy");
            }
            _ => {}
        }
    }
    assert_eq!(depth_root, 0);
    (cells, dots)
}

#[test]
fn the_map_places_every_hypothesis_in_its_cell() {
    let dir = common::scratch();
    let d = dir.path();
    write_thirty(&d.join("hypotheses.yaml"));
    ok(backlog(
        d,
        &["map", "--svg", "map.svg", "--html", "map.html"],
    ));
    let (cells, dots) = parse_svg(&std::fs::read_to_string(d.join("map.svg")).unwrap());
    assert_eq!(cells.len(), 25);
    assert_eq!(dots.len(), 30);
    let want: BTreeMap<String, (u8, u8)> = thirty()
        .into_iter()
        .map(|(id, l, i, _)| (id, (l, i)))
        .collect();
    for (id, l, i, evidence, cx, cy) in &dots {
        assert_eq!(want[id], (*l, *i), "{id}");
        assert_eq!(evidence, "untested");
        let (_, _, x, y, w, h) = cells.iter().find(|c| (c.0, c.1) == (*l, *i)).unwrap();
        assert!(
            *cx > *x && *cx < x + w && *cy > *y && *cy < y + h,
            "{id} at ({cx}, {cy}) is outside its cell ({l}, {i})"
        );
    }
    // Higher impact is higher up, higher likelihood further right.
    let cell = |l: u8, i: u8| cells.iter().find(|c| (c.0, c.1) == (l, i)).unwrap();
    assert!(cell(1, 5).3 < cell(1, 1).3);
    assert!(cell(5, 1).2 > cell(1, 1).2);
    // The HTML page holds the same picture, self-contained.
    let html = std::fs::read_to_string(d.join("map.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("prefers-color-scheme: dark"));
    assert!(!html.contains("https://") && !html.contains("<link"));
    assert!(!html.contains("<script"));
    // In the terminal: the grid, the quadrant marked.
    let text = ok(backlog(d, &["map"]));
    assert!(
        text.contains("5 severe") && text.contains("5 almost-certain"),
        "{text}"
    );
    assert!(text.contains('#'), "{text}");
}

/// An experiment whose steady state is `probe` and whose method is `method`
/// (process providers only).
fn experiment(title: &str, probe: &[&str], method: &[&str]) -> Value {
    let process =
        |argv: &[&str]| json!({"type": "process", "path": argv[0], "arguments": argv[1..]});
    json!({"title": title, "description": "d",
        "steady-state-hypothesis": {"title": "holds", "probes": [
            {"type": "probe", "name": "check", "tolerance": 0, "provider": process(probe)}]},
        "method": [{"type": "action", "name": "act", "provider": process(method)}]})
}

#[test]
fn evidence_comes_from_the_journals_of_real_runs() {
    let dir = common::scratch();
    let d = dir.path();
    std::fs::create_dir(d.join("experiments")).unwrap();
    let held = experiment("quotes keep flowing", &["true"], &["true"]);
    let deviated = experiment(
        "the exchange file matters",
        &["test", "-e", "exchange"],
        &["rm", "exchange"],
    );
    let failed = experiment("never steady", &["false"], &["true"]);
    let never = experiment("never run", &["true"], &["true"]);
    // One of them in YAML, to read its title from YAML.
    std::fs::write(
        d.join("experiments/held.yaml"),
        format!("# YAML\n{}", serde_json::to_string_pretty(&held).unwrap()),
    )
    .unwrap();
    common::write_experiment(d, "experiments/deviated.json", &deviated);
    common::write_experiment(d, "experiments/failed.json", &failed);
    common::write_experiment(d, "experiments/never.json", &never);
    std::fs::write(d.join("exchange"), "").unwrap();
    for e in ["held.yaml", "deviated.json", "failed.json"] {
        let o = common::chaos(d)
            .args(["run", "--history", "history", "--journal-path"])
            .arg(format!("journal-{e}.json"))
            .arg(format!("experiments/{e}"))
            .output()
            .unwrap();
        assert!(
            d.join(format!("journal-{e}.json")).exists(),
            "{}",
            common::stderr(&o)
        );
    }
    // An older held run of the deviated experiment does not hide the deviation.
    let mut older: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("journal-deviated.json.json")).unwrap(),
    )
    .unwrap();
    older["deviated"] = json!(false);
    older["start"] = json!("2001-01-01T00:00:00");
    std::fs::write(d.join("history/old.json"), older.to_string()).unwrap();

    for (id, l, exps) in [
        ("held", "3", vec!["experiments/held.yaml"]),
        ("deviated", "4", vec!["experiments/deviated.json"]),
        ("failed", "5", vec!["experiments/failed.json"]),
        ("never", "2", vec!["experiments/never.json"]),
        ("unlinked", "1", vec![]),
    ] {
        ok(backlog(
            d,
            &[
                "add",
                "--id",
                id,
                "--title",
                id,
                "--likelihood",
                l,
                "--impact",
                "4",
            ],
        ));
        if !exps.is_empty() {
            let mut args = vec!["link", id];
            args.extend(exps);
            ok(backlog(d, &args));
        }
    }
    let kinds = |items: Vec<Value>| -> BTreeMap<String, (String, bool)> {
        items
            .into_iter()
            .map(|h| {
                (
                    h["id"].as_str().unwrap().to_string(),
                    (
                        h["evidence"]["kind"].as_str().unwrap().to_string(),
                        h["evidence"]["last_run"].is_string(),
                    ),
                )
            })
            .collect()
    };
    let want: BTreeMap<String, (String, bool)> = [
        ("held", "held", true),
        ("deviated", "deviated", true),
        ("failed", "failed-to-run", true),
        ("never", "untested", false),
        ("unlinked", "untested", false),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_string(), (b.to_string(), c)))
    .collect();
    assert_eq!(kinds(list_json(d, &["--history", "history"])), want);
    // The same from journal files.
    let from_files = kinds(list_json(
        d,
        &[
            "--journals",
            "journal-held.yaml.json",
            "journal-deviated.json.json",
            "journal-failed.json.json",
        ],
    ));
    assert_eq!(from_files, want);
    // Without journals, nothing is known.
    assert!(kinds(list_json(d, &[]))
        .values()
        .all(|(k, _)| k == "untested"));
    // The deviated run's start is the last run shown.
    let items = list_json(d, &["--history", "history"]);
    let dev = items.iter().find(|h| h["id"] == "deviated").unwrap();
    let journal: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("journal-deviated.json.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(dev["evidence"]["last_run"], journal["start"]);

    // The table and the map show it.
    let table = ok(backlog(d, &["list", "--history", "history"]));
    assert!(
        table.contains("deviated") && table.contains("failed to run"),
        "{table}"
    );
    ok(backlog(
        d,
        &["map", "--history", "history", "--svg", "m.svg"],
    ));
    let (_, dots) = parse_svg(&std::fs::read_to_string(d.join("m.svg")).unwrap());
    let got: BTreeMap<String, String> = dots
        .into_iter()
        .map(|(id, _, _, e, _, _)| (id, e))
        .collect();
    assert_eq!(got["held"], "held");
    assert_eq!(got["deviated"], "deviated");
    assert_eq!(got["failed"], "failed-to-run");
    assert_eq!(got["never"], "untested");
}

#[test]
fn the_schema_is_json() {
    let dir = common::scratch();
    let s: Value = serde_json::from_str(&ok(backlog(dir.path(), &["schema"]))).unwrap();
    assert_eq!(
        s["$defs"]["hypothesis"]["required"],
        json!(["id", "title", "likelihood", "impact"])
    );
}

#[test]
fn the_settings_history_is_where_runs_leave_evidence_and_the_backlog_finds_it() {
    let dir = common::scratch();
    let d = dir.path();
    // The tests' settings file (every `chaos` here reads it): runs keep
    // their journals in `history`, and the backlog reads them from there.
    std::fs::write(d.join("no-settings.yaml"), "chaos:\n  history: history\n").unwrap();
    common::write_experiment(
        d,
        "deviates.json",
        &experiment(
            "the flag is needed",
            &["test", "-e", "flag"],
            &["rm", "flag"],
        ),
    );
    std::fs::write(d.join("flag"), "").unwrap();
    let o = common::chaos(d)
        .args(["run", "deviates.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    assert_eq!(std::fs::read_dir(d.join("history")).unwrap().count(), 1);
    ok(backlog(
        d,
        &[
            "add",
            "--title",
            "the flag is needed",
            "--id",
            "flag",
            "--likelihood",
            "3",
            "--impact",
            "4",
        ],
    ));
    ok(backlog(d, &["link", "flag", "deviates.json"]));
    let list = list_json(d, &[]);
    assert_eq!(list[0]["id"], "flag");
    assert_eq!(list[0]["evidence"]["kind"], "deviated", "{:?}", list[0]);
}
