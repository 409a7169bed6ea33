//! One self-contained HTML file: inline CSS and SVG, no script, no font or
//! image to fetch (a Content-Security-Policy forbids any), light and dark
//! (`prefers-color-scheme`), printable. Everything read from a journal is
//! escaped (minijinja's HTML autoescape; the SVG is built here with
//! [`esc`]).

use minijinja::value::Serde;
use minijinja::{context, Environment, Value as J};

use crate::model::{detailed, seconds, Run, Summary};

const TEMPLATE: &str = include_str!("../templates/report.html");

/// The report of `runs` (oldest first, as [`crate::summarise`] leaves
/// them).
pub fn render(runs: &[Run], summary: &Summary, title: &str) -> Result<String, String> {
    render_with_backlog(runs, summary, title, None)
}

/// The same, with the team's likelihood-impact map (an SVG drawn by
/// `chaos-backlog`, which knows the hypotheses) shown above the runs.
pub fn render_with_backlog(
    runs: &[Run],
    summary: &Summary,
    title: &str,
    backlog_map: Option<String>,
) -> Result<String, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| e.to_string())?;
    env.add_filter("seconds", seconds);
    env.add_filter("short_time", short_time);
    let detailed = detailed(runs);
    let sections: Vec<J> = detailed
        .iter()
        .map(|&i| {
            let run = &runs[i];
            context! {
                run => J::from(Serde(run)),
                anchor => format!("run-{}", i + 1),
                timeline => J::from_safe_string(timeline_svg(run)),
            }
        })
        .collect();
    let table: Vec<J> = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            context! {
                run => J::from(Serde(r)),
                anchor => detailed.contains(&i).then(|| format!("run-{}", i + 1)),
            }
        })
        .collect();
    let template = env.get_template("report.html").map_err(|e| e.to_string())?;
    template
        .render(context! {
            title => title,
            generated => chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            summary => J::from(Serde(summary)),
            many => runs.len() > 1,
            table => table,
            sections => sections,
            hidden => runs.len().saturating_sub(detailed.len()),
            trend => J::from_safe_string(trend_svg(runs)),
            durations => J::from_safe_string(durations_svg(runs, summary)),
            backlog_map => J::from_safe_string(backlog_map.unwrap_or_default()),
        })
        .map_err(|e| format!("{e:#}"))
}

/// `2026-11-25 19:02:51` from an RFC 3339 time (as it is otherwise).
fn short_time(s: String) -> String {
    match chrono::DateTime::parse_from_rfc3339(&s) {
        Ok(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => s,
    }
}

/// Escapes text for SVG/HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const LABEL_W: f64 = 150.0;
const CHART_W: f64 = 820.0;
const LANE_H: f64 = 26.0;

/// The run's time line: one lane per phase (background activities on
/// their own), a bar per activity, its pauses hatched on either side.
pub fn timeline_svg(run: &Run) -> String {
    if run.lanes.is_empty() {
        return String::new();
    }
    let width = LABEL_W + CHART_W + 20.0;
    let height = run.lanes.len() as f64 * LANE_H + 34.0;
    let x = |t: f64| LABEL_W + (t / run.span).clamp(0.0, 1.0) * CHART_W;
    let mut s = format!(
        r#"<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="time line of the run" xmlns="http://www.w3.org/2000/svg">"#
    );
    s.push_str(r#"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="pause-bg"/><line x1="0" y1="0" x2="0" y2="6" class="pause-line"/></pattern></defs>"#);
    for (i, lane) in run.lanes.iter().enumerate() {
        let y = i as f64 * LANE_H;
        s.push_str(&format!(
            r#"<rect x="{LABEL_W}" y="{y}" width="{CHART_W}" height="{LANE_H}" class="lane{}"/>"#,
            i % 2
        ));
        s.push_str(&format!(
            r#"<text x="{}" y="{}" class="lane-label" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + LANE_H * 0.65,
            esc(&lane.label)
        ));
        for b in &lane.bars {
            let (top, h) = (y + 5.0, LANE_H - 10.0);
            if b.pause_before > 0.0 {
                let x0 = x(b.start - b.pause_before);
                s.push_str(&format!(
                    r#"<rect x="{x0:.2}" y="{top}" width="{:.2}" height="{h}" class="pause"><title>pause before {}: {:.3} s</title></rect>"#,
                    (x(b.start) - x0).max(0.5),
                    esc(&b.name),
                    b.pause_before
                ));
            }
            let x0 = x(b.start);
            let w = (x(b.start + b.duration) - x0).max(2.0);
            s.push_str(&format!(
                r#"<rect x="{x0:.2}" y="{top}" width="{w:.2}" height="{h}" rx="2" class="bar {}"><title>{}</title></rect>"#,
                b.class,
                esc(&b.title)
            ));
            if b.pause_after > 0.0 {
                let x1 = x(b.start + b.duration);
                s.push_str(&format!(
                    r#"<rect x="{x1:.2}" y="{top}" width="{:.2}" height="{h}" class="pause"><title>pause after {}: {:.3} s</title></rect>"#,
                    (x(b.start + b.duration + b.pause_after) - x1).max(0.5),
                    esc(&b.name),
                    b.pause_after
                ));
            }
        }
    }
    // The axis: five ticks in seconds.
    let axis_y = run.lanes.len() as f64 * LANE_H + 4.0;
    s.push_str(&format!(
        r#"<line x1="{LABEL_W}" y1="{axis_y}" x2="{}" y2="{axis_y}" class="axis"/>"#,
        LABEL_W + CHART_W
    ));
    for k in 0..=4 {
        let t = run.span * k as f64 / 4.0;
        let tx = x(t);
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        s.push_str(&format!(
            r#"<line x1="{tx:.2}" y1="{axis_y}" x2="{tx:.2}" y2="{}" class="axis"/><text x="{tx:.2}" y="{}" class="tick" text-anchor="{anchor}">{}</text>"#,
            axis_y + 4.0,
            axis_y + 18.0,
            esc(&seconds(t))
        ));
    }
    s.push_str("</svg>");
    s
}

/// Duration against time, each point coloured by its run's outcome.
pub fn trend_svg(runs: &[Run]) -> String {
    let points: Vec<(f64, f64, &Run)> = runs
        .iter()
        .filter_map(|r| Some((r.start_epoch?, r.duration, r)))
        .collect();
    if points.len() < 2 {
        return String::new();
    }
    let (w, h, left, bottom) = (900.0, 220.0, 60.0, 30.0);
    let t0 = points.first().map(|p| p.0).unwrap_or(0.0);
    let t1 = points.last().map(|p| p.0).unwrap_or(1.0).max(t0 + 1e-6);
    let dmax = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-3);
    let px = |t: f64| left + (t - t0) / (t1 - t0) * (w - left - 10.0);
    let py = |d: f64| (h - bottom) - d / dmax * (h - bottom - 10.0);
    let mut s = format!(
        r#"<svg class="trend" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="duration of each run over time" xmlns="http://www.w3.org/2000/svg">"#
    );
    s.push_str(&format!(
        r#"<line x1="{left}" y1="{}" x2="{}" y2="{}" class="axis"/><line x1="{left}" y1="10" x2="{left}" y2="{}" class="axis"/>"#,
        h - bottom,
        w - 10.0,
        h - bottom,
        h - bottom
    ));
    s.push_str(&format!(
        r#"<text x="{}" y="{}" class="tick" text-anchor="end">{}</text><text x="{}" y="{}" class="tick" text-anchor="end">0</text>"#,
        left - 6.0,
        py(dmax) + 4.0,
        esc(&seconds(dmax)),
        left - 6.0,
        h - bottom + 4.0
    ));
    let line: Vec<String> = points
        .iter()
        .map(|(t, d, _)| format!("{:.1},{:.1}", px(*t), py(*d)))
        .collect();
    s.push_str(&format!(
        r#"<polyline points="{}" class="trend-line"/>"#,
        line.join(" ")
    ));
    for (t, d, r) in &points {
        s.push_str(&format!(
            r#"<circle cx="{:.1}" cy="{:.1}" r="4" class="dot {}"><title>{} — {} — {}</title></circle>"#,
            px(*t),
            py(*d),
            r.outcome_name,
            esc(&r.start),
            esc(&r.title),
            esc(&seconds(*d))
        ));
    }
    for (t, anchor) in [(t0, "start"), (t1, "end")] {
        let when = chrono::DateTime::from_timestamp(t as i64, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        s.push_str(&format!(
            r#"<text x="{:.1}" y="{}" class="tick" text-anchor="{anchor}">{}</text>"#,
            px(t),
            h - 8.0,
            esc(&when)
        ));
    }
    s.push_str("</svg>");
    s
}

/// Per activity, its duration in each run: a strip of dots, one row per
/// activity, so slow-downs show across runs.
pub fn durations_svg(runs: &[Run], summary: &Summary) -> String {
    let rows: Vec<&(String, Vec<Option<f64>>)> = summary
        .activity_durations
        .iter()
        .filter(|(_, d)| d.iter().flatten().count() >= 2)
        .take(40)
        .collect();
    if rows.is_empty() || runs.len() < 2 {
        return String::new();
    }
    let (label_w, chart_w, row_h) = (260.0, 620.0, 20.0);
    let h = rows.len() as f64 * row_h + 30.0;
    let max = rows
        .iter()
        .flat_map(|(_, d)| d.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b))
        .max(1e-3);
    let mut s = format!(
        r#"<svg class="durations" viewBox="0 0 {} {h}" width="100%" role="img" aria-label="each activity's duration across runs" xmlns="http://www.w3.org/2000/svg">"#,
        label_w + chart_w + 20.0
    );
    for (i, (name, ds)) in rows.iter().enumerate() {
        let y = i as f64 * row_h;
        s.push_str(&format!(
            r#"<rect x="{label_w}" y="{y}" width="{chart_w}" height="{row_h}" class="lane{}"/><text x="{}" y="{}" class="lane-label" text-anchor="end">{}</text>"#,
            i % 2,
            label_w - 8.0,
            y + row_h * 0.7,
            esc(name)
        ));
        for (run, d) in ds.iter().enumerate() {
            let Some(d) = d else { continue };
            let r = &runs[run];
            s.push_str(&format!(
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" class="dot {}"><title>{} — {}</title></circle>"#,
                label_w + d / max * chart_w,
                y + row_h / 2.0,
                r.outcome_name,
                esc(&r.start),
                esc(&seconds(*d))
            ));
        }
    }
    let axis_y = rows.len() as f64 * row_h + 4.0;
    s.push_str(&format!(
        r#"<line x1="{label_w}" y1="{axis_y}" x2="{}" y2="{axis_y}" class="axis"/><text x="{label_w}" y="{}" class="tick">0</text><text x="{}" y="{}" class="tick" text-anchor="end">{}</text></svg>"#,
        label_w + chart_w,
        axis_y + 16.0,
        label_w + chart_w,
        axis_y + 16.0,
        esc(&seconds(max))
    ));
    s
}
