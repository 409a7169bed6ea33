//! Reports of a Game Day record (the JSON value [`crate::record::Record`]
//! writes): Markdown, and a self-contained HTML page (inline CSS, light and
//! dark, no script) meant for a wall: the outcome, the facts of the plan, a
//! timeline of steps, safety breaches, observations and rollbacks, and the
//! breaches' probe output.

pub use chaos_report::html::esc;
use serde_json::Value;

/// One line of the timeline.
struct Event {
    elapsed: f64,
    kind: &'static str,
    label: String,
    text: String,
    detail: Option<String>,
}

fn s(v: &Value, p: &str) -> String {
    match v.pointer(p) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn arr<'a>(v: &'a Value, p: &str) -> &'a [Value] {
    v.pointer(p)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `+mm:ss` (or `+h:mm:ss`).
pub fn clock(seconds: f64) -> String {
    let t = seconds.max(0.0).round() as u64;
    let (h, m, s) = (t / 3600, (t / 60) % 60, t % 60);
    if h > 0 {
        format!("+{h}:{m:02}:{s:02}")
    } else {
        format!("+{m:02}:{s:02}")
    }
}

fn short(v: &Value) -> String {
    let t = serde_json::to_string_pretty(v).unwrap_or_default();
    if t.chars().count() > 4000 {
        format!("{}…", t.chars().take(4000).collect::<String>())
    } else {
        t
    }
}

fn timeline(r: &Value) -> Vec<Event> {
    let at = |v: &Value| v.get("elapsed").and_then(Value::as_f64).unwrap_or(0.0);
    let mut events = vec![Event {
        elapsed: 0.0,
        kind: "start",
        label: "Start".into(),
        text: format!("Game Day started at {}", s(r, "/started_at")),
        detail: None,
    }];
    for st in arr(r, "/steps") {
        if st.get("started_at").is_some_and(|v| !v.is_null()) {
            events.push(Event {
                elapsed: at(st),
                kind: "step",
                label: format!("Step {}", s(st, "/index")),
                text: s(st, "/text"),
                detail: None,
            });
        }
    }
    for o in arr(r, "/observations") {
        events.push(Event {
            elapsed: at(o),
            kind: "observation",
            label: "Observation".into(),
            text: s(o, "/text"),
            detail: None,
        });
    }
    for b in arr(r, "/breaches") {
        let why = match b.get("error") {
            Some(Value::String(e)) => format!("could not be checked: {e}"),
            _ => format!(
                "out of tolerance (expected {})",
                serde_json::to_string(&b["tolerance"]).unwrap_or_default()
            ),
        };
        events.push(Event {
            elapsed: at(b),
            kind: "breach",
            label: "Safety breach".into(),
            text: format!("Probe '{}' {why}", s(b, "/probe")),
            detail: Some(short(&b["output"])),
        });
    }
    for b in arr(r, "/recoveries") {
        events.push(Event {
            elapsed: at(b),
            kind: "recovered",
            label: "Recovered".into(),
            text: format!("Probe '{}' back within tolerance", s(b, "/probe")),
            detail: None,
        });
    }
    for b in arr(r, "/rollbacks") {
        let text = match b.get("error") {
            Some(Value::String(e)) => format!("'{}' failed: {e}", s(b, "/name")),
            _ => format!("'{}' {}", s(b, "/name"), s(b, "/status")),
        };
        events.push(Event {
            elapsed: at(b),
            kind: "rollback",
            label: "Rollback".into(),
            text,
            detail: None,
        });
    }
    if let Some(d) = r.get("duration").and_then(Value::as_f64) {
        let reason = s(r, "/reason");
        events.push(Event {
            elapsed: d,
            kind: "end",
            label: "End".into(),
            text: format!(
                "Game Day {}{}",
                s(r, "/outcome"),
                if reason.is_empty() {
                    String::new()
                } else {
                    format!(": {reason}")
                }
            ),
            detail: None,
        });
    }
    events.sort_by(|a, b| a.elapsed.total_cmp(&b.elapsed));
    events
}

fn people(r: &Value, key: &str) -> Vec<(String, String)> {
    arr(r, &format!("/plan/{key}"))
        .iter()
        .map(|p| (s(p, "/name"), s(p, "/role")))
        .collect()
}

fn minutes(seconds: f64) -> String {
    let m = seconds / 60.0;
    if (m - m.round()).abs() < 0.05 {
        format!("{} min", m.round())
    } else {
        format!("{m:.1} min")
    }
}

fn duration_line(r: &Value) -> String {
    let planned = r
        .get("planned_duration")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    match r.get("duration").and_then(Value::as_f64) {
        Some(d) => format!(
            "{} of {} planned",
            clock(d).trim_start_matches('+'),
            minutes(planned)
        ),
        None => format!("{} planned", minutes(planned)),
    }
}

fn md_escape(t: &str) -> String {
    t.replace('|', "\\|").replace('\n', " ")
}

/// The record as Markdown.
pub fn markdown(r: &Value) -> String {
    let mut o = String::new();
    o.push_str(&format!(
        "# Game Day: {}\n\n",
        md_escape(&s(r, "/hypothesis/title"))
    ));
    o.push_str(&format!(
        "**Outcome: {}**{}\n\n",
        s(r, "/outcome").to_uppercase(),
        match s(r, "/reason") {
            x if x.is_empty() => String::new(),
            x => format!(" — {x}"),
        }
    ));
    o.push_str("| | |\n|---|---|\n");
    let rows = [
        ("Hypothesis", s(r, "/hypothesis/id")),
        ("Style", s(r, "/plan/style")),
        ("Started", s(r, "/started_at")),
        ("Ended", s(r, "/ended_at")),
        ("Duration", duration_line(r)),
        ("Where", s(r, "/plan/where")),
        ("Experiment", s(r, "/plan/experiment")),
        (
            "Approved by",
            format!(
                "{} ({})",
                s(r, "/plan/approval/approver"),
                s(r, "/plan/approval/approved_at")
            ),
        ),
    ];
    for (k, v) in rows {
        o.push_str(&format!("| {k} | {} |\n", md_escape(&v)));
    }
    for key in ["participants", "observers"] {
        let list: Vec<String> = people(r, key)
            .into_iter()
            .map(|(n, role)| format!("{n} ({role})"))
            .collect();
        if !list.is_empty() {
            let title = if key == "participants" {
                "Participants"
            } else {
                "Observers"
            };
            o.push_str(&format!("| {title} | {} |\n", md_escape(&list.join(", "))));
        }
    }
    o.push_str("\n## Timeline\n\n| time | event | |\n|---|---|---|\n");
    for e in timeline(r) {
        let label = if e.kind == "breach" {
            format!("**{}**", e.label.to_uppercase())
        } else {
            e.label.clone()
        };
        o.push_str(&format!(
            "| {} | {label} | {} |\n",
            clock(e.elapsed),
            md_escape(&e.text)
        ));
    }
    let breaches = arr(r, "/breaches");
    if !breaches.is_empty() {
        o.push_str("\n## Safety breaches\n");
        for b in breaches {
            o.push_str(&format!(
                "\n### {} at {} ({})\n\nTolerance: `{}`\n",
                s(b, "/probe"),
                s(b, "/at"),
                clock(b["elapsed"].as_f64().unwrap_or(0.0)),
                serde_json::to_string(&b["tolerance"]).unwrap_or_default()
            ));
            if let Some(Value::String(e)) = b.get("error") {
                o.push_str(&format!("\nError: {e}\n"));
            }
            o.push_str(&format!("\n```json\n{}\n```\n", short(&b["output"])));
        }
    }
    let obs = arr(r, "/observations");
    o.push_str(&format!("\n## Observations ({})\n\n", obs.len()));
    for ob in obs {
        o.push_str(&format!(
            "- {} {}\n",
            clock(ob["elapsed"].as_f64().unwrap_or(0.0)),
            md_escape(&s(ob, "/text"))
        ));
    }
    o.push_str("\n## Steps\n\n");
    for st in arr(r, "/steps") {
        o.push_str(&format!(
            "{}. {} — {}\n",
            s(st, "/index"),
            md_escape(&s(st, "/text")),
            s(st, "/status")
        ));
    }
    o
}

const CSS: &str = r#"
:root{--bg:#f6f5f1;--card:#fff;--ink:#1c1d21;--muted:#6b6f7a;--line:#dcdad3;
--step:#2f6fde;--obs:#7a5af0;--breach:#d7263d;--ok:#1f9d55;--roll:#c77700;--end:#444;
--ok-bg:#e3f6ea;--stop-bg:#fde6e8;--abort-bg:#fdf1dc;}
@media (prefers-color-scheme:dark){:root{--bg:#121317;--card:#1b1d23;--ink:#eceae4;
--muted:#9a9ea9;--line:#30333b;--step:#6ea1ff;--obs:#a58bff;--breach:#ff5a6e;--ok:#4cd083;
--roll:#ffae3b;--end:#bbb;--ok-bg:#15301f;--stop-bg:#3a1a1f;--abort-bg:#3a2d14;}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:960px;margin:0 auto;padding:40px 32px 64px}
.eyebrow{letter-spacing:.14em;text-transform:uppercase;font-size:13px;color:var(--muted);font-weight:600}
h1{font-size:38px;line-height:1.15;margin:8px 0 20px;font-weight:750}
h2{font-size:15px;letter-spacing:.12em;text-transform:uppercase;color:var(--muted);margin:40px 0 14px}
.outcome{display:flex;align-items:center;gap:18px;padding:18px 22px;border-radius:14px;margin-bottom:24px}
.outcome .word{font-size:30px;font-weight:800;letter-spacing:.04em;text-transform:uppercase}
.outcome .why{color:var(--ink);opacity:.85}
.o-completed{background:var(--ok-bg)}.o-completed .word{color:var(--ok)}
.o-stopped{background:var(--stop-bg)}.o-stopped .word{color:var(--breach)}
.o-aborted,.o-in-progress{background:var(--abort-bg)}.o-aborted .word,.o-in-progress .word{color:var(--roll)}
.stats{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:0 0 8px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:14px 16px}
.stat b{display:block;font-size:28px;line-height:1.1}
.stat span{color:var(--muted);font-size:13px}
.stat.bad b{color:var(--breach)}
.facts{display:grid;grid-template-columns:160px 1fr;gap:8px 18px;background:var(--card);
border:1px solid var(--line);border-radius:12px;padding:18px 22px;margin:0}
.facts dt{color:var(--muted)}.facts dd{margin:0}
.role{display:inline-block;font-size:12px;border:1px solid var(--line);border-radius:999px;padding:0 8px;margin-left:4px;color:var(--muted)}
ol.tl{list-style:none;margin:0;padding:0 0 0 8px;position:relative}
ol.tl:before{content:"";position:absolute;left:96px;top:6px;bottom:6px;width:2px;background:var(--line)}
ol.tl li{display:grid;grid-template-columns:78px 28px 1fr;align-items:start;padding:6px 0}
.t{font-variant-numeric:tabular-nums;color:var(--muted);font-size:14px;padding-top:2px}
.dot{width:14px;height:14px;border-radius:50%;margin:5px 0 0 4px;background:var(--card);border:3px solid var(--muted);position:relative;z-index:1}
.k-step .dot{border-color:var(--step)}.k-observation .dot{border-color:var(--obs)}
.k-breach .dot{border-color:var(--breach);background:var(--breach)}.k-recovered .dot{border-color:var(--ok)}
.k-rollback .dot{border-color:var(--roll)}.k-start .dot,.k-end .dot{border-color:var(--end);background:var(--end)}
.lbl{font-size:12px;font-weight:700;letter-spacing:.08em;text-transform:uppercase;color:var(--muted)}
.k-step .lbl{color:var(--step)}.k-observation .lbl{color:var(--obs)}.k-breach .lbl{color:var(--breach)}
.k-rollback .lbl{color:var(--roll)}.k-recovered .lbl{color:var(--ok)}
.k-breach .txt{font-weight:700}
.k-observation .txt{font-style:italic}
pre{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:10px 12px;margin:6px 0 0;
font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-word}
footer{margin-top:40px;color:var(--muted);font-size:13px}
@media print{body{background:#fff}main{padding:0}}
"#;

/// The record as one self-contained HTML page.
pub fn html(r: &Value) -> String {
    let outcome = s(r, "/outcome");
    let reason = s(r, "/reason");
    let title = s(r, "/hypothesis/title");
    let steps = arr(r, "/steps");
    let done = steps.iter().filter(|x| s(x, "/status") == "done").count();
    let breaches = arr(r, "/breaches").len();
    let observations = arr(r, "/observations").len();
    let mut o = String::new();
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    o.push_str("<meta name=\"color-scheme\" content=\"light dark\">");
    o.push_str(&format!(
        "<title>Game Day: {}</title><style>{CSS}</style></head><body><main>\n",
        esc(&title)
    ));
    o.push_str(&format!(
        "<div class=\"eyebrow\">Game Day · {} · hypothesis {}</div>\n<h1>{}</h1>\n",
        esc(&s(r, "/plan/style")),
        esc(&s(r, "/hypothesis/id")),
        esc(&title)
    ));
    o.push_str(&format!(
        "<div class=\"outcome o-{}\"><span class=\"word\">{}</span><span class=\"why\">{}</span></div>\n",
        esc(&outcome),
        esc(&outcome),
        esc(&reason)
    ));
    o.push_str("<div class=\"stats\">");
    let stat = |n: String, what: &str, bad: bool| {
        format!(
            "<div class=\"stat{}\"><b>{}</b><span>{}</span></div>",
            if bad { " bad" } else { "" },
            esc(&n),
            esc(what)
        )
    };
    o.push_str(&stat(
        format!("{done}/{}", steps.len()),
        "steps done",
        false,
    ));
    o.push_str(&stat(breaches.to_string(), "safety breaches", breaches > 0));
    o.push_str(&stat(observations.to_string(), "observations", false));
    o.push_str(&stat(
        r.get("duration")
            .and_then(Value::as_f64)
            .map(|d| clock(d).trim_start_matches('+').to_string())
            .unwrap_or_else(|| "—".into()),
        &format!(
            "of {} planned",
            minutes(
                r.get("planned_duration")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0)
            )
        ),
        false,
    ));
    o.push_str("</div>\n<h2>The plan</h2>\n<dl class=\"facts\">");
    let mut fact = |k: &str, v: String| {
        if !v.is_empty() {
            o.push_str(&format!("<dt>{}</dt><dd>{v}</dd>", esc(k)));
        }
    };
    fact("Started", esc(&s(r, "/started_at")));
    fact("Ended", esc(&s(r, "/ended_at")));
    fact("Where", esc(&s(r, "/plan/where")));
    for (key, label) in [("participants", "Participants"), ("observers", "Observers")] {
        let list: Vec<String> = people(r, key)
            .into_iter()
            .map(|(n, role)| format!("{}<span class=\"role\">{}</span>", esc(&n), esc(&role)))
            .collect();
        fact(label, list.join(", &nbsp;"));
    }
    fact("Experiment", esc(&s(r, "/plan/experiment")));
    let approver = s(r, "/plan/approval/approver");
    if !approver.is_empty() {
        fact(
            "Approved by",
            format!(
                "{} · {}",
                esc(&approver),
                esc(&s(r, "/plan/approval/approved_at"))
            ),
        );
    }
    o.push_str("</dl>\n<h2>Timeline</h2>\n<ol class=\"tl\">\n");
    for e in timeline(r) {
        o.push_str(&format!(
            "<li class=\"k-{}\"><span class=\"t\">{}</span><span class=\"dot\"></span><div><div class=\"lbl\">{}</div><div class=\"txt\">{}</div>{}</div></li>\n",
            e.kind,
            esc(&clock(e.elapsed)),
            esc(&e.label),
            esc(&e.text),
            e.detail
                .map(|d| format!("<pre>{}</pre>", esc(&d)))
                .unwrap_or_default()
        ));
    }
    o.push_str("</ol>\n");
    o.push_str(&format!(
        "<footer>Recorded by chaos gameday · plan {} · {} → {}</footer>\n",
        esc(&s(r, "/plan_path")),
        esc(&s(r, "/started_at")),
        esc(&s(r, "/ended_at"))
    ));
    o.push_str("</main></body></html>\n");
    o
}
