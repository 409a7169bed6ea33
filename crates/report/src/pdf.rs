//! The PDF report: A4 pages drawn in pure Rust (no TeX, pandoc or browser),
//! with the same content as the HTML report: for several runs a summary
//! (outcome counts, a duration trend, the table of runs, contribution
//! totals, activity durations), then for each of the newest
//! [`DETAILED`] runs its verdict, facts, steady-state hypothesis, time
//! line, method, rollbacks, errors, configuration and secrets.
//!
//! [krilla] writes the file: it embeds and subsets the fonts and keeps each
//! glyph's text, so `pdftotext` and screen readers get the words back. It
//! has no layout engine, so this module owns one, small and hand-written:
//! it measures text with skrifa (the font reader krilla itself uses), wraps
//! it, lays out tables row by row, breaks pages (repeating a table's
//! header), draws the charts as vector paths, and numbers the pages once
//! their count is known. Laying out into a list of drawing operations first,
//! then writing them, is what makes "page N of M" possible.
//!
//! The fonts are Debian's DejaVu Sans, Sans Bold and Sans Mono, copied into
//! `assets/fonts/` with their licence and built into the binary, since the
//! runtime image has no fonts. Characters they lack are drawn as U+FFFD.
//! No creation date is written, so the same runs give the same bytes.

use std::borrow::Cow;

use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::model::{detailed, seconds, Activity, Check, Outcome, Run, Summary, DETAILED};

static SANS: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");
static MONO: &[u8] = include_bytes!("../assets/fonts/DejaVuSansMono.ttf");

// A4 in points; y grows downwards from the top, as in krilla.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 48.0;
const RIGHT: f32 = PAGE_W - 48.0;
const WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 48.0;
const BOTTOM: f32 = PAGE_H - 58.0;

const BODY: f32 = 9.5;
const SMALL: f32 = 8.0;
const CELL_PAD: f32 = 3.0;
/// The most lines one table cell shows (so that a row fits on a page).
const CELL_LINES: usize = 24;

type Rgb = (u8, u8, u8);
const FG: Rgb = (27, 31, 35);
const MUTED: Rgb = (101, 109, 118);
const OK: Rgb = (26, 127, 55);
const FAIL: Rgb = (207, 34, 46);
const WARN: Rgb = (154, 103, 0);
const SKIP: Rgb = (140, 149, 159);
const STOP: Rgb = (130, 80, 223);
const ACCENT: Rgb = (9, 105, 218);
const RULE: Rgb = (208, 215, 222);
const SHADE: Rgb = (246, 248, 250);
const WHITE: Rgb = (255, 255, 255);

/// The report of `runs` (oldest first, as [`crate::summarise`] leaves
/// them), as the bytes of a PDF file.
pub fn render(runs: &[Run], summary: &Summary, title: &str) -> Result<Vec<u8>, String> {
    let faces = Faces::new()?;
    let mut l = Layout::new(&faces);
    let title = if title.trim().is_empty() {
        "Chaos report"
    } else {
        title
    };
    l.text_block(title, Face::Bold, 20.0, FG, 26.0);
    if runs.len() > 1 {
        summary_section(&mut l, runs, summary);
    } else if runs.is_empty() {
        l.paragraph("No run to report.", Face::Sans, BODY, MUTED);
    }
    let detailed = detailed(runs);
    for (k, &i) in detailed.iter().enumerate() {
        if runs.len() > 1 || k > 0 {
            l.new_page();
        } else {
            l.gap(6.0);
        }
        run_section(&mut l, &runs[i], i, runs.len());
    }
    l.finish(title)
}

/// A journal's time in UTC to the second, for tables; as written when it
/// does not parse.
fn short_time(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| s.replace('T', " "))
}

fn outcome_colour(o: Outcome) -> Rgb {
    match o {
        Outcome::Completed => OK,
        Outcome::NotSteadyBefore | Outcome::Interrupted => WARN,
        Outcome::Deviated | Outcome::Failed | Outcome::Aborted => FAIL,
    }
}

fn status_colour(status: &str) -> Rgb {
    match status {
        "succeeded" | "completed" => OK,
        "failed" | "aborted" => FAIL,
        "skipped" => SKIP,
        "stopped" | "interrupted" => STOP,
        _ => FG,
    }
}

fn class_colour(class: &str) -> Rgb {
    match class {
        "ok" => OK,
        "fail" => FAIL,
        "skip" => SKIP,
        "stop" => STOP,
        _ => ACCENT,
    }
}

/// `c` mixed with white: `amount` 0 is `c`, 1 is white.
fn lighter(c: Rgb, amount: f32) -> Rgb {
    let mix = |v: u8| (v as f32 + (255.0 - v as f32) * amount).round() as u8;
    (mix(c.0), mix(c.1), mix(c.2))
}

fn met_cell(met: Option<bool>) -> Cell {
    match met {
        Some(true) => Cell::new("yes").colour(OK),
        Some(false) => Cell::new("no").colour(FAIL).face(Face::Bold),
        None => Cell::new("—").colour(MUTED),
    }
}

// ---------------------------------------------------------------- sections

fn summary_section(l: &mut Layout, runs: &[Run], summary: &Summary) {
    let mut titles: Vec<&str> = runs.iter().map(|r| r.title.as_str()).collect();
    titles.sort_unstable();
    titles.dedup();
    let starts: Vec<String> = runs
        .iter()
        .filter(|r| !r.start.is_empty())
        .map(|r| short_time(&r.start))
        .collect();
    let mut intro = format!(
        "{} runs of {} experiment{}",
        runs.len(),
        titles.len(),
        if titles.len() == 1 { "" } else { "s" }
    );
    if let (Some(first), Some(last)) = (starts.first(), starts.last()) {
        intro.push_str(&format!(", started from {first} to {last} UTC"));
    }
    intro.push('.');
    l.paragraph(&intro, Face::Sans, BODY, MUTED);
    l.gap(4.0);
    l.bookmark("Summary", 0);
    l.heading(1, "Summary");

    // Outcome counts, one column each.
    let cols: Vec<Col> = summary
        .outcomes
        .iter()
        .map(|(_, name, _)| Col::new(&name.replace('-', " "), 1.0))
        .collect();
    let counts: Vec<Cell> = summary
        .outcomes
        .iter()
        .map(|(o, _, n)| {
            let c = Cell::new(&n.to_string());
            if *n > 0 {
                c.colour(outcome_colour(*o)).face(Face::Bold)
            } else {
                c.colour(MUTED)
            }
        })
        .collect();
    l.table(&cols, vec![counts]);
    if !summary.tags.is_empty() {
        l.paragraph(
            &format!("Tags: {}", summary.tags.join(", ")),
            Face::Sans,
            BODY,
            FG,
        );
    }

    let points: Vec<(f64, f64, Outcome)> = runs
        .iter()
        .filter_map(|r| Some((r.start_epoch?, r.duration, r.outcome)))
        .collect();
    if points.len() >= 2 {
        l.heading(2, "Duration trend");
        trend_chart(l, &points);
    }

    l.heading(2, "Runs");
    let cols = [
        Col::new("#", 0.45).right(),
        Col::new("Start (UTC)", 1.9),
        Col::new("Title", 3.4),
        Col::new("Outcome", 1.6),
        Col::new("Duration", 1.05).right(),
        Col::new("Failed activities", 1.0).right(),
    ];
    let rows = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                Cell::new(&(i + 1).to_string()).colour(MUTED),
                Cell::new(&short_time(&r.start)),
                Cell::new(&r.title),
                Cell::new(r.outcome_name)
                    .colour(outcome_colour(r.outcome))
                    .face(Face::Bold),
                Cell::new(&seconds(r.duration)),
                if r.failed_activities > 0 {
                    Cell::new(&r.failed_activities.to_string()).colour(FAIL)
                } else {
                    Cell::new("0").colour(MUTED)
                },
            ]
        })
        .collect();
    l.table(&cols, rows);
    let shown = runs.len().min(DETAILED);
    let mut note = format!("The newest {shown} runs are detailed below, newest first.");
    if runs.len() > shown {
        note.push_str(&format!(
            " {} older run{} only in this table.",
            runs.len() - shown,
            if runs.len() - shown == 1 {
                " is"
            } else {
                "s are"
            }
        ));
    }
    l.paragraph(&note, Face::Sans, BODY, MUTED);

    if !summary.contribution_counts.is_empty() {
        l.heading(2, "Contributions");
        let rows = summary
            .contribution_counts
            .iter()
            .map(|(name, n)| vec![Cell::new(name), Cell::new(&n.to_string())])
            .collect();
        l.table(
            &[
                Col::new("Contribution", 3.0),
                Col::new("Experiments", 1.0).right(),
            ],
            rows,
        );
        let rows = summary
            .contribution_levels
            .iter()
            .flat_map(|(name, levels)| {
                levels.iter().map(move |(title, level)| {
                    vec![Cell::new(name), Cell::new(title), Cell::new(level)]
                })
            })
            .collect();
        l.table(
            &[
                Col::new("Contribution", 2.0),
                Col::new("Experiment", 4.0),
                Col::new("Level", 1.0),
            ],
            rows,
        );
    }

    let rows: Vec<Vec<Cell>> = summary
        .activity_durations
        .iter()
        .filter_map(|(name, ds)| {
            let mut d: Vec<f64> = ds.iter().flatten().copied().collect();
            if d.is_empty() {
                return None;
            }
            d.sort_by(f64::total_cmp);
            let median = if d.len() % 2 == 1 {
                d[d.len() / 2]
            } else {
                (d[d.len() / 2 - 1] + d[d.len() / 2]) / 2.0
            };
            Some(vec![
                Cell::new(name),
                Cell::new(&d.len().to_string()),
                Cell::new(&seconds(d[0])),
                Cell::new(&seconds(median)),
                Cell::new(&seconds(d[d.len() - 1])),
            ])
        })
        .take(60)
        .collect();
    if !rows.is_empty() {
        l.heading(2, "Activity durations across runs");
        l.table(
            &[
                Col::new("Activity", 4.0),
                Col::new("Runs", 0.7).right(),
                Col::new("Min", 1.0).right(),
                Col::new("Median", 1.0).right(),
                Col::new("Max", 1.0).right(),
            ],
            rows,
        );
    }
}

fn run_section(l: &mut Layout, run: &Run, index: usize, total: usize) {
    let title = if run.title.is_empty() {
        "(untitled experiment)"
    } else {
        run.title.as_str()
    };
    l.bookmark(title, if total > 1 { 1 } else { 0 });
    l.heading(1, title);
    let mut from = String::new();
    if total > 1 {
        from.push_str(&format!("Run {} of {total}", index + 1));
    }
    if !run.source.is_empty() {
        if !from.is_empty() {
            from.push_str(" · ");
        }
        from.push_str(&run.source);
    }
    if !from.is_empty() {
        l.paragraph(&from, Face::Sans, SMALL, MUTED);
    }
    if !run.description.is_empty() {
        l.paragraph(&run.description, Face::Sans, BODY, FG);
    }
    if !run.tags.is_empty() {
        l.paragraph(
            &format!("Tags: {}", run.tags.join(", ")),
            Face::Sans,
            BODY,
            MUTED,
        );
    }
    l.gap(4.0);
    l.verdict(run.outcome_label, outcome_colour(run.outcome));

    let mut facts = vec![
        (
            "Status",
            Cell::new(&run.status)
                .colour(status_colour(&run.status))
                .face(Face::Bold),
        ),
        (
            "Deviated",
            if run.deviated {
                Cell::new("yes").colour(FAIL).face(Face::Bold)
            } else {
                Cell::new("no")
            },
        ),
        ("Started", Cell::new(&run.start)),
        ("Ended", Cell::new(&run.end)),
        ("Duration", Cell::new(&seconds(run.duration))),
        ("Node", Cell::new(&run.node)),
        ("Platform", Cell::new(&run.platform)),
    ];
    if let Some(dry) = &run.dry {
        facts.push(("Dry run", Cell::new(dry).colour(WARN)));
    }
    let version = match (&run.chaos_version, run.chaoslib_version.is_empty()) {
        (Some(v), _) => format!("chaos {v}"),
        (None, false) => format!("chaoslib {}", run.chaoslib_version),
        (None, true) => String::new(),
    };
    if !version.is_empty() {
        facts.push(("Written by", Cell::new(&version)));
    }
    l.facts(facts);

    l.heading(2, "Steady-state hypothesis");
    match (&run.hypothesis, &run.before) {
        (None, None) => l.paragraph(
            "No steady-state hypothesis was defined: this run was exploratory.",
            Face::Sans,
            BODY,
            MUTED,
        ),
        _ => {
            if let Some(h) = &run.hypothesis {
                l.paragraph(&format!("Hypothesis: {h}"), Face::Sans, BODY, FG);
            }
            check(l, "Before the method", run.before.as_ref());
            for (k, c) in run.during.iter().enumerate() {
                let head = if run.during.len() > 1 {
                    format!("During the method ({} of {})", k + 1, run.during.len())
                } else {
                    "During the method".to_string()
                };
                check(l, &head, Some(c));
            }
            check(l, "After the method", run.after.as_ref());
        }
    }

    l.heading(2, "Time line");
    timeline_chart(l, run);

    l.heading(2, "Method");
    if run.method.is_empty() {
        l.paragraph("No activity ran.", Face::Sans, BODY, MUTED);
    } else {
        activities(l, &run.method);
    }

    l.heading(2, "Rollbacks");
    if run.rollbacks.is_empty() {
        l.paragraph("No rollback ran.", Face::Sans, BODY, MUTED);
    } else {
        activities(l, &run.rollbacks);
    }
    if !run.unplayed_rollbacks.is_empty() {
        l.paragraph(
            &format!(
                "Not played (the run was cut short): {}",
                run.unplayed_rollbacks.join(", ")
            ),
            Face::Sans,
            BODY,
            WARN,
        );
    }

    l.heading(2, "Errors");
    let raised: Vec<&Activity> = run
        .before
        .iter()
        .chain(run.during.iter())
        .chain(run.after.iter())
        .flat_map(|c| c.probes.iter())
        .chain(run.method.iter())
        .chain(run.rollbacks.iter())
        .filter(|a| a.exception.is_some())
        .collect();
    if run.errors.is_empty() && run.interruption.is_none() && raised.is_empty() {
        l.paragraph("None.", Face::Sans, BODY, MUTED);
    }
    for e in &run.errors {
        l.paragraph(&format!("• {e}"), Face::Sans, BODY, FAIL);
    }
    if let Some(why) = &run.interruption {
        l.paragraph(&format!("Interrupted: {why}"), Face::Bold, BODY, WARN);
    }
    for a in raised {
        l.paragraph(
            &format!("{} {} ({}) raised:", a.kind, a.name, a.phase),
            Face::Bold,
            SMALL + 0.5,
            FG,
        );
        let text = a.exception.as_deref().unwrap_or_default();
        l.code(text.trim_end(), 40);
    }

    l.heading(2, "Configuration");
    if run.configuration.is_empty() {
        l.paragraph("None declared.", Face::Sans, BODY, MUTED);
    } else {
        let rows = run
            .configuration
            .iter()
            .map(|(k, v)| vec![Cell::new(k), Cell::new(v).face(Face::Mono)])
            .collect();
        l.table(&[Col::new("Key", 1.0), Col::new("Value", 2.6)], rows);
    }
    l.heading(3, "Secrets");
    if run.secrets.is_empty() {
        l.paragraph("None declared.", Face::Sans, BODY, MUTED);
    } else {
        let rows = run
            .secrets
            .iter()
            .map(|(k, v)| vec![Cell::new(k), Cell::new(v).face(Face::Mono)])
            .collect();
        l.table(&[Col::new("Key", 1.0), Col::new("Value", 2.6)], rows);
    }
}

fn check(l: &mut Layout, head: &str, c: Option<&Check>) {
    l.heading(3, head);
    let Some(c) = c else {
        l.paragraph(
            "Not checked: the run did not get this far.",
            Face::Sans,
            BODY,
            MUTED,
        );
        return;
    };
    let (text, colour) = match c.met {
        Some(true) => ("The steady state was met.", OK),
        Some(false) => ("The steady state was not met.", FAIL),
        None => ("The check was cut short.", WARN),
    };
    l.paragraph(text, Face::Bold, BODY, colour);
    if c.probes.is_empty() {
        return;
    }
    let rows = c
        .probes
        .iter()
        .map(|p| {
            vec![
                Cell::new(&p.name),
                Cell::new(p.tolerance.as_deref().unwrap_or("")).face(Face::Mono),
                Cell::new(p.value.as_deref().unwrap_or(&p.output)).face(Face::Mono),
                met_cell(p.tolerance_met),
            ]
        })
        .collect();
    l.table(
        &[
            Col::new("Probe", 2.2),
            Col::new("Tolerance", 2.0),
            Col::new("Value", 2.4),
            Col::new("Met", 0.6),
        ],
        rows,
    );
}

fn activities(l: &mut Layout, list: &[Activity]) {
    let rows = list
        .iter()
        .map(|a| {
            let mut name = a.name.clone();
            if a.background {
                name.push_str("\n(in the background)");
            }
            let mut duration = seconds(a.duration);
            if let Some(p) = a.pause_before {
                duration.push_str(&format!("\npause before {}", seconds(p)));
            }
            if let Some(p) = a.pause_after {
                duration.push_str(&format!("\npause after {}", seconds(p)));
            }
            vec![
                Cell::new(&name),
                Cell::new(&a.kind),
                Cell::new(&a.provider).face(Face::Mono),
                Cell::new(&a.status).colour(status_colour(&a.status)),
                Cell::new(&duration),
                Cell::new(a.error.as_deref().unwrap_or("")).colour(FAIL),
            ]
        })
        .collect();
    l.table(
        &[
            Col::new("Name", 2.0),
            Col::new("Kind", 0.75),
            Col::new("Provider", 2.2),
            Col::new("Status", 1.0),
            Col::new("Duration", 1.8),
            Col::new("Error", 2.0),
        ],
        rows,
    );
}

// ------------------------------------------------------------------ charts

fn timeline_chart(l: &mut Layout, run: &Run) {
    if run.lanes.is_empty() {
        l.paragraph(
            "Nothing to draw: no activity has a start time.",
            Face::Sans,
            BODY,
            MUTED,
        );
        return;
    }
    const LABEL_W: f32 = 112.0;
    const LANE_H: f32 = 17.0;
    const AXIS_H: f32 = 24.0;
    const LABEL_SIZE: f32 = 6.5;
    let chart_x = LEFT + LABEL_W;
    let chart_w = WIDTH - LABEL_W - 4.0;
    let span = run.span.max(1e-3);
    let x = |t: f64| chart_x + ((t / span).clamp(0.0, 1.0) as f32) * chart_w;
    // As many lanes per page as fit; the axis is repeated under each part.
    let per_page = (((BOTTOM - TOP - AXIS_H - 20.0) / LANE_H) as usize).max(1);
    for part in run.lanes.chunks(per_page) {
        l.ensure(part.len() as f32 * LANE_H + AXIS_H + 4.0);
        let top = l.y;
        for (i, lane) in part.iter().enumerate() {
            let y = top + i as f32 * LANE_H;
            let shade = if i % 2 == 0 { SHADE } else { WHITE };
            l.rect(chart_x, y, chart_w, LANE_H, shade);
            let label = l
                .faces
                .get(Face::Sans)
                .fit(&lane.label, SMALL, LABEL_W - 8.0);
            let w = l.faces.get(Face::Sans).width(&label, SMALL);
            l.text(
                LEFT + LABEL_W - 6.0 - w,
                y + LANE_H * 0.68,
                Face::Sans,
                SMALL,
                MUTED,
                &label,
            );
            let (bar_top, bar_h) = (y + 3.5, LANE_H - 7.0);
            for (k, b) in lane.bars.iter().enumerate() {
                let colour = class_colour(b.class);
                if b.pause_before > 0.0 {
                    let x0 = x(b.start - b.pause_before);
                    let w = (x(b.start) - x0).max(0.6);
                    l.rect(x0, bar_top, w, bar_h, lighter(colour, 0.72));
                }
                if b.pause_after > 0.0 {
                    let x0 = x(b.start + b.duration);
                    let w = (x(b.start + b.duration + b.pause_after) - x0).max(0.6);
                    l.rect(x0, bar_top, w, bar_h, lighter(colour, 0.72));
                }
                let x0 = x(b.start);
                let w = (x(b.start + b.duration) - x0).max(1.5);
                l.rect(x0, bar_top, w, bar_h, colour);
                // The name: in the bar when it fits there, else after the
                // bar (and its pause) when there is room before the next
                // one, else in the pause before.
                let sans = l.faces.get(Face::Sans);
                let name_w = sans.width(&sans.clean(&b.name), LABEL_SIZE);
                let baseline = y + LANE_H * 0.66;
                let after = x(b.start + b.duration + b.pause_after) + 2.0;
                let next = lane
                    .bars
                    .get(k + 1)
                    .map(|n| x(n.start - n.pause_before))
                    .unwrap_or(chart_x + chart_w);
                let room = next - after - 2.0;
                let before = x0 - x(b.start - b.pause_before) - 4.0;
                if name_w + 6.0 <= w {
                    l.text(x0 + 3.0, baseline, Face::Sans, LABEL_SIZE, WHITE, &b.name);
                } else if room >= name_w.min(28.0) {
                    let name = sans.fit(&b.name, LABEL_SIZE, room);
                    l.text(after, baseline, Face::Sans, LABEL_SIZE, FG, &name);
                } else if b.pause_before > 0.0 && before >= name_w.min(28.0) {
                    let x_pause = x(b.start - b.pause_before);
                    let name = sans.fit(&b.name, LABEL_SIZE, x0 - x_pause - 4.0);
                    l.text(x_pause + 2.0, baseline, Face::Sans, LABEL_SIZE, FG, &name);
                }
            }
        }
        let axis_y = top + part.len() as f32 * LANE_H + 2.0;
        l.line(chart_x, axis_y, chart_x + chart_w, axis_y, 0.6, MUTED);
        for k in 0..=4 {
            let t = span * k as f64 / 4.0;
            let tx = x(t);
            l.line(tx, axis_y, tx, axis_y + 3.0, 0.6, MUTED);
            let label = seconds(t);
            let w = l.faces.get(Face::Sans).width(&label, 7.0);
            let lx = match k {
                0 => tx,
                4 => tx - w,
                _ => tx - w / 2.0,
            };
            l.text(lx, axis_y + 11.0, Face::Sans, 7.0, MUTED, &label);
        }
        l.text(
            LEFT,
            axis_y + 11.0,
            Face::Sans,
            7.0,
            MUTED,
            "seconds from the start",
        );
        l.y = axis_y + AXIS_H - 2.0;
    }
    // The legend.
    l.ensure(14.0);
    let y = l.y;
    let mut lx = chart_x;
    for (label, colour) in [
        ("succeeded", OK),
        ("failed or not within tolerance", FAIL),
        ("skipped (dry)", SKIP),
        ("stopped", STOP),
        ("pause", lighter(OK, 0.72)),
    ] {
        l.rect(lx, y, 9.0, 7.0, colour);
        l.text(lx + 12.0, y + 6.5, Face::Sans, 7.0, MUTED, label);
        lx += 12.0 + l.faces.get(Face::Sans).width(label, 7.0) + 12.0;
    }
    l.y = y + 16.0;
}

fn trend_chart(l: &mut Layout, points: &[(f64, f64, Outcome)]) {
    const H: f32 = 150.0;
    const AXIS_W: f32 = 56.0;
    l.ensure(H + 26.0);
    let top = l.y + 4.0;
    let (x0, x1) = (LEFT + AXIS_W, RIGHT - 6.0);
    let (y0, y1) = (top, top + H);
    let t0 = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let t1 = points
        .iter()
        .map(|p| p.0)
        .fold(f64::NEG_INFINITY, f64::max)
        .max(t0 + 1e-6);
    let dmax = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-3);
    let px = |t: f64| x0 + ((t - t0) / (t1 - t0)) as f32 * (x1 - x0);
    let py = |d: f64| y1 - (d / dmax) as f32 * (y1 - y0 - 6.0);
    l.rect(x0, y0, x1 - x0, y1 - y0, SHADE);
    for k in 1..=3 {
        let gy = py(dmax * k as f64 / 4.0);
        l.line(x0, gy, x1, gy, 0.3, RULE);
    }
    l.line(x0, y1, x1, y1, 0.6, MUTED);
    l.line(x0, y0, x0, y1, 0.6, MUTED);
    for (d, label) in [
        (dmax, seconds(dmax)),
        (dmax / 2.0, seconds(dmax / 2.0)),
        (0.0, "0".into()),
    ] {
        let w = l.faces.get(Face::Sans).width(&label, 7.0);
        l.text(x0 - 4.0 - w, py(d) + 2.5, Face::Sans, 7.0, MUTED, &label);
    }
    let line: Vec<(f32, f32)> = points.iter().map(|(t, d, _)| (px(*t), py(*d))).collect();
    // Hundreds of runs make a thicket of lines: thin and light then.
    if points.len() > 150 {
        l.polyline(line, 0.35, lighter(ACCENT, 0.45));
    } else {
        l.polyline(line, 0.9, ACCENT);
    }
    let r = if points.len() > 200 { 1.3 } else { 2.4 };
    for (t, d, o) in points {
        l.dot(px(*t), py(*d), r, outcome_colour(*o));
    }
    let when = |t: f64| {
        chrono::DateTime::from_timestamp(t as i64, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default()
    };
    let (first, last) = (when(t0), when(t1));
    l.text(x0, y1 + 11.0, Face::Sans, 7.0, MUTED, &first);
    let w = l.faces.get(Face::Sans).width(&last, 7.0);
    l.text(x1 - w, y1 + 11.0, Face::Sans, 7.0, MUTED, &last);
    let caption = "duration of each run against its start; dots coloured by outcome";
    let w = l.faces.get(Face::Sans).width(caption, 7.0);
    l.text(
        (x0 + x1 - w) / 2.0,
        y1 + 11.0,
        Face::Sans,
        7.0,
        MUTED,
        caption,
    );
    l.y = y1 + 22.0;
}

// ------------------------------------------------------------------ layout

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Sans,
    Bold,
    Mono,
}

/// One table cell.
struct Cell {
    text: String,
    colour: Rgb,
    face: Face,
}

impl Cell {
    fn new(text: &str) -> Cell {
        Cell {
            text: text.to_string(),
            colour: FG,
            face: Face::Sans,
        }
    }

    fn colour(mut self, c: Rgb) -> Cell {
        self.colour = c;
        self
    }

    fn face(mut self, f: Face) -> Cell {
        self.face = f;
        self
    }
}

/// One table column: its title and share of the width.
struct Col {
    title: String,
    share: f32,
    right: bool,
}

impl Col {
    fn new(title: &str, share: f32) -> Col {
        Col {
            title: title.to_string(),
            share,
            right: false,
        }
    }

    fn right(mut self) -> Col {
        self.right = true;
        self
    }
}

/// A drawing operation, in page coordinates (points, y down).
enum Op {
    /// `y` is the baseline; the text holds only characters the face has.
    Text {
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        colour: Rgb,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        colour: Rgb,
    },
    Line {
        points: Vec<(f32, f32)>,
        width: f32,
        colour: Rgb,
    },
    Dot {
        x: f32,
        y: f32,
        r: f32,
        colour: Rgb,
    },
}

/// Lays a report out into pages of drawing operations.
struct Layout<'f> {
    faces: &'f Faces,
    pages: Vec<Vec<Op>>,
    /// The top of the free space on the current page.
    y: f32,
    /// Bookmarks: text, level, page, y.
    bookmarks: Vec<(String, usize, usize, f32)>,
}

impl<'f> Layout<'f> {
    fn new(faces: &'f Faces) -> Layout<'f> {
        Layout {
            faces,
            pages: vec![Vec::new()],
            y: TOP,
            bookmarks: Vec::new(),
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `h` points fit on this one.
    fn ensure(&mut self, h: f32) {
        if self.y + h > BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }

    fn bookmark(&mut self, text: &str, level: usize) {
        let page = self.pages.len() - 1;
        let y = self.y;
        self.bookmarks.push((text.to_string(), level, page, y));
    }

    fn text(&mut self, x: f32, y: f32, face: Face, size: f32, colour: Rgb, text: &str) {
        let text = self.faces.get(face).clean(text).into_owned();
        if text.trim().is_empty() {
            return;
        }
        self.ops().push(Op::Text {
            x,
            y,
            face,
            size,
            colour,
            text,
        });
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Rgb) {
        self.ops().push(Op::Rect { x, y, w, h, colour });
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, colour: Rgb) {
        self.polyline(vec![(x1, y1), (x2, y2)], width, colour);
    }

    fn polyline(&mut self, points: Vec<(f32, f32)>, width: f32, colour: Rgb) {
        self.ops().push(Op::Line {
            points,
            width,
            colour,
        });
    }

    fn dot(&mut self, x: f32, y: f32, r: f32, colour: Rgb) {
        self.ops().push(Op::Dot { x, y, r, colour });
    }

    /// Wrapped lines of text, `leading` apart, breaking pages between lines.
    fn text_block(&mut self, text: &str, face: Face, size: f32, colour: Rgb, leading: f32) {
        self.block(text, face, size, colour, leading, LEFT, WIDTH, usize::MAX);
    }

    #[allow(clippy::too_many_arguments)]
    fn block(
        &mut self,
        text: &str,
        face: Face,
        size: f32,
        colour: Rgb,
        leading: f32,
        x: f32,
        width: f32,
        max_lines: usize,
    ) {
        for line in self.faces.get(face).wrap(text, size, width, max_lines) {
            self.ensure(leading);
            let baseline = self.y + leading * 0.78;
            self.text(x, baseline, face, size, colour, &line);
            self.y += leading;
        }
    }

    fn paragraph(&mut self, text: &str, face: Face, size: f32, colour: Rgb) {
        self.text_block(text, face, size, colour, size * 1.4);
        self.gap(3.0);
    }

    /// Monospaced text on a shaded background, at most `max_lines` lines.
    fn code(&mut self, text: &str, max_lines: usize) {
        let size = 7.5;
        let leading = 9.6;
        let lines = self
            .faces
            .get(Face::Mono)
            .wrap(text, size, WIDTH - 12.0, max_lines);
        for chunk in lines.chunks(8) {
            self.ensure(chunk.len() as f32 * leading + 4.0);
            let top = self.y;
            self.rect(LEFT, top, WIDTH, chunk.len() as f32 * leading + 4.0, SHADE);
            self.y += 2.0;
            for line in chunk {
                let baseline = self.y + leading * 0.78;
                self.text(LEFT + 6.0, baseline, Face::Mono, size, FG, line);
                self.y += leading;
            }
            self.y += 2.0;
        }
        self.gap(5.0);
    }

    fn heading(&mut self, level: u8, text: &str) {
        let (size, before, keep) = match level {
            1 => (16.0, 8.0, 90.0),
            2 => (12.5, 10.0, 70.0),
            _ => (10.0, 5.0, 50.0),
        };
        if self.y > TOP {
            self.gap(before);
        }
        // Keep the heading with what follows it.
        self.ensure(size * 1.4 + keep);
        let colour = if level == 1 { FG } else { (36, 41, 47) };
        self.text_block(text, Face::Bold, size, colour, size * 1.3);
        if level == 1 {
            let y = self.y + 2.0;
            self.line(LEFT, y, RIGHT, y, 0.8, RULE);
            self.gap(7.0);
        } else {
            self.gap(3.0);
        }
    }

    /// The outcome in its colour, on a tinted band.
    fn verdict(&mut self, label: &str, colour: Rgb) {
        let size = 11.5;
        let lines =
            self.faces
                .get(Face::Bold)
                .wrap(&format!("Verdict: {label}"), size, WIDTH - 20.0, 4);
        let h = lines.len() as f32 * size * 1.35 + 10.0;
        self.ensure(h);
        let top = self.y;
        self.rect(LEFT, top, WIDTH, h, lighter(colour, 0.88));
        self.rect(LEFT, top, 3.5, h, colour);
        self.y += 5.0;
        for line in lines {
            let baseline = self.y + size * 1.35 * 0.78;
            self.text(LEFT + 12.0, baseline, Face::Bold, size, colour, &line);
            self.y += size * 1.35;
        }
        self.y = top + h + 8.0;
    }

    /// A two-column table of names and values, without a header.
    fn facts(&mut self, rows: Vec<(&str, Cell)>) {
        let key_w = 90.0;
        for (key, cell) in rows {
            let lines =
                self.faces
                    .get(cell.face)
                    .wrap(&cell.text, BODY, WIDTH - key_w - 8.0, CELL_LINES);
            let leading = BODY * 1.35;
            let h = lines.len().max(1) as f32 * leading + 2.0;
            self.ensure(h);
            let baseline = self.y + leading * 0.8;
            self.text(LEFT, baseline, Face::Sans, BODY, MUTED, key);
            for (i, line) in lines.iter().enumerate() {
                let b = baseline + i as f32 * leading;
                self.text(LEFT + key_w, b, cell.face, BODY, cell.colour, line);
            }
            self.y += h;
        }
        self.gap(4.0);
    }

    /// A table: a shaded header (repeated on each page), rows wrapped to
    /// their columns, a hairline under each row.
    fn table(&mut self, cols: &[Col], rows: Vec<Vec<Cell>>) {
        let size = 8.0;
        let leading = 10.0;
        let total: f32 = cols.iter().map(|c| c.share).sum::<f32>().max(1e-3);
        let widths: Vec<f32> = cols.iter().map(|c| c.share / total * WIDTH).collect();
        let header_lines: Vec<Vec<String>> = cols
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                self.faces
                    .get(Face::Bold)
                    .wrap(&c.title, size, w - 2.0 * CELL_PAD, 3)
            })
            .collect();
        let header_h =
            header_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * leading + 2.0 * CELL_PAD;
        let draw_header = |l: &mut Layout| {
            let top = l.y;
            l.rect(LEFT, top, WIDTH, header_h, SHADE);
            let mut x = LEFT;
            for ((c, w), lines) in cols.iter().zip(&widths).zip(&header_lines) {
                for (i, line) in lines.iter().enumerate() {
                    let b = top + CELL_PAD + leading * (i as f32 + 0.78);
                    let lw = l.faces.get(Face::Bold).width(line, size);
                    let lx = if c.right {
                        x + w - CELL_PAD - lw
                    } else {
                        x + CELL_PAD
                    };
                    l.text(lx, b, Face::Bold, size, FG, line);
                }
                x += w;
            }
            l.y = top + header_h;
            l.line(LEFT, l.y, RIGHT, l.y, 0.6, RULE);
        };
        self.ensure(header_h + leading + 2.0 * CELL_PAD);
        draw_header(self);
        for row in rows {
            let wrapped: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| {
                    self.faces
                        .get(cell.face)
                        .wrap(&cell.text, size, w - 2.0 * CELL_PAD, CELL_LINES)
                })
                .collect();
            let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = n as f32 * leading + 2.0 * CELL_PAD;
            if self.y + h > BOTTOM {
                self.new_page();
                draw_header(self);
            }
            let top = self.y;
            let mut x = LEFT;
            for (((cell, w), lines), col) in row.iter().zip(&widths).zip(&wrapped).zip(cols) {
                for (i, line) in lines.iter().enumerate() {
                    let b = top + CELL_PAD + leading * (i as f32 + 0.78);
                    let lx = if col.right {
                        x + w - CELL_PAD - self.faces.get(cell.face).width(line, size)
                    } else {
                        x + CELL_PAD
                    };
                    self.text(lx, b, cell.face, size, cell.colour, line);
                }
                x += w;
            }
            self.y = top + h;
            self.line(LEFT, self.y, RIGHT, self.y, 0.3, RULE);
        }
        self.gap(8.0);
    }

    /// Numbers the pages and writes the PDF.
    fn finish(mut self, title: &str) -> Result<Vec<u8>, String> {
        let count = self.pages.len();
        let footer_title = self.faces.get(Face::Sans).fit(title, 7.5, WIDTH - 80.0);
        for i in 0..count {
            let number = format!("Page {} of {count}", i + 1);
            let w = self.faces.get(Face::Sans).width(&number, 7.5);
            let y = PAGE_H - 34.0;
            let ops = &mut self.pages[i];
            ops.push(Op::Line {
                points: vec![(LEFT, y - 10.0), (RIGHT, y - 10.0)],
                width: 0.4,
                colour: RULE,
            });
            ops.push(Op::Text {
                x: LEFT,
                y,
                face: Face::Sans,
                size: 7.5,
                colour: MUTED,
                text: footer_title.clone(),
            });
            ops.push(Op::Text {
                x: RIGHT - w,
                y,
                face: Face::Sans,
                size: 7.5,
                colour: MUTED,
                text: number,
            });
        }

        let mut doc = Document::new();
        doc.set_metadata(Metadata::new().title(title.to_string()));
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("bad page size")?;
        for ops in &self.pages {
            let mut page = doc.start_page_with(settings.clone());
            let mut s = page.surface();
            for op in ops {
                draw(&mut s, self.faces, op);
            }
            s.finish();
            page.finish();
        }
        let mut outline = Outline::new();
        let mut parent: Option<OutlineNode> = None;
        for (text, level, page, y) in &self.bookmarks {
            let node = OutlineNode::new(
                text.clone(),
                XyzDestination::new(*page, Point::from_xy(LEFT, (y - 10.0).max(0.0))),
            );
            match (level, parent.as_mut()) {
                (1, Some(p)) => p.push_child(node),
                _ => {
                    if let Some(p) = parent.take() {
                        outline.push_child(p);
                    }
                    parent = Some(node.with_open(true));
                }
            }
        }
        if let Some(p) = parent {
            outline.push_child(p);
        }
        doc.set_outline(outline);
        doc.finish()
            .map_err(|e| format!("cannot write the PDF: {e:?}"))
    }
}

fn colour(c: Rgb) -> krilla::paint::Paint {
    rgb::Color::new(c.0, c.1, c.2).into()
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: colour(c),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

fn draw(s: &mut Surface, faces: &Faces, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            face,
            size,
            colour,
            text,
        } => {
            let f = faces.get(*face);
            let glyphs = f.glyphs(text);
            s.set_stroke(None);
            s.set_fill(Some(fill(*colour)));
            s.draw_glyphs(
                Point::from_xy(*x, *y),
                &glyphs,
                f.font.clone(),
                text,
                *size,
                false,
            );
        }
        Op::Rect { x, y, w, h, colour } => {
            let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                return;
            };
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            if let Some(path) = pb.finish() {
                s.set_stroke(None);
                s.set_fill(Some(fill(*colour)));
                s.draw_path(&path);
            }
        }
        Op::Line {
            points,
            width,
            colour: c,
        } => {
            let mut pb = PathBuilder::new();
            for (i, (x, y)) in points.iter().enumerate() {
                if i == 0 {
                    pb.move_to(*x, *y);
                } else {
                    pb.line_to(*x, *y);
                }
            }
            if let Some(path) = pb.finish() {
                s.set_fill(None);
                s.set_stroke(Some(Stroke {
                    paint: colour(*c),
                    width: *width,
                    ..Stroke::default()
                }));
                s.draw_path(&path);
                s.set_stroke(None);
            }
        }
        Op::Dot { x, y, r, colour } => {
            // A circle from four cubic curves.
            let k = 0.552_284_8 * r;
            let mut pb = PathBuilder::new();
            pb.move_to(x + r, *y);
            pb.cubic_to(x + r, y + k, x + k, y + r, *x, y + r);
            pb.cubic_to(x - k, y + r, x - r, y + k, x - r, *y);
            pb.cubic_to(x - r, y - k, x - k, y - r, *x, y - r);
            pb.cubic_to(x + k, y - r, x + r, y - k, x + r, *y);
            pb.close();
            if let Some(path) = pb.finish() {
                s.set_stroke(None);
                s.set_fill(Some(fill(*colour)));
                s.draw_path(&path);
            }
        }
    }
}

// ------------------------------------------------------------------- fonts

/// The three faces, each with what measuring needs.
struct Faces {
    sans: FaceData,
    bold: FaceData,
    mono: FaceData,
}

impl Faces {
    fn new() -> Result<Faces, String> {
        Ok(Faces {
            sans: FaceData::new(SANS, "DejaVu Sans")?,
            bold: FaceData::new(BOLD, "DejaVu Sans Bold")?,
            mono: FaceData::new(MONO, "DejaVu Sans Mono")?,
        })
    }

    fn get(&self, face: Face) -> &FaceData {
        match face {
            Face::Sans => &self.sans,
            Face::Bold => &self.bold,
            Face::Mono => &self.mono,
        }
    }
}

/// A font: krilla's handle to embed it, and skrifa's tables to map
/// characters to glyphs and measure them.
struct FaceData {
    font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Glyph and advance (in ems) of each ASCII character; glyph 0 when
    /// the font lacks it.
    ascii: [(u32, f32); 128],
    /// What stands for a character the font lacks.
    replacement: char,
}

impl FaceData {
    fn new(data: &'static [u8], name: &str) -> Result<FaceData, String> {
        let font_ref = FontRef::new(data).map_err(|e| format!("font {name}: {e}"))?;
        let units_per_em = font_ref
            .metrics(Size::unscaled(), LocationRef::default())
            .units_per_em as f32;
        let mut face = FaceData {
            font: Font::new(data.into(), 0).ok_or_else(|| format!("font {name}: unreadable"))?,
            charmap: font_ref.charmap(),
            metrics: font_ref.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em: units_per_em.max(1.0),
            ascii: [(0, 0.0); 128],
            replacement: '?',
        };
        for c in 0u8..128 {
            if let Some(g) = face.lookup(c as char) {
                face.ascii[c as usize] = g;
            }
        }
        if face.lookup('\u{FFFD}').is_some() {
            face.replacement = '\u{FFFD}';
        }
        Ok(face)
    }

    fn lookup(&self, c: char) -> Option<(u32, f32)> {
        let gid = self.charmap.map(c)?;
        if gid.to_u32() == 0 {
            return None;
        }
        let advance = self.metrics.advance_width(gid).unwrap_or(0.0) / self.units_per_em;
        Some((gid.to_u32(), advance))
    }

    /// The glyph and advance of a character the font has.
    fn glyph(&self, c: char) -> Option<(u32, f32)> {
        if c.is_ascii() {
            let g = self.ascii[c as usize];
            (g.0 != 0).then_some(g)
        } else {
            self.lookup(c)
        }
    }

    /// `text` on one line with only characters this font has: control
    /// characters become spaces, missing ones the replacement character.
    fn clean<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let fine = |c: char| !c.is_control() && self.glyph(c).is_some();
        if text.chars().all(fine) {
            return Cow::Borrowed(text);
        }
        Cow::Owned(
            text.chars()
                .filter(|c| *c != '\r')
                .map(|c| {
                    if c.is_control() {
                        ' '
                    } else if self.glyph(c).is_some() {
                        c
                    } else {
                        self.replacement
                    }
                })
                .collect(),
        )
    }

    /// The width of clean text, in points.
    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.glyph(c).map_or(0.0, |g| g.1))
            .sum::<f32>()
            * size
    }

    /// Clean text as krilla glyphs, each carrying its character.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (gid, advance) = self.glyph(c).unwrap_or((0, 0.0));
                KrillaGlyph::new(
                    GlyphId::new(gid),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    i..i + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }

    /// `text` cut with an ellipsis to fit `width`.
    fn fit(&self, text: &str, size: f32, width: f32) -> String {
        let text = self.clean(text);
        if self.width(&text, size) <= width {
            return text.into_owned();
        }
        let budget = width - self.width("…", size);
        let mut out = String::new();
        let mut w = 0.0;
        for c in text.chars() {
            let cw = self.width(c.encode_utf8(&mut [0; 4]), size);
            if w + cw > budget {
                break;
            }
            out.push(c);
            w += cw;
        }
        out.push('…');
        out
    }

    /// `text` wrapped to `width` at spaces (and inside words too long for a
    /// line), its own line breaks kept, at most `max_lines` lines.
    fn wrap(&self, text: &str, size: f32, width: f32, max_lines: usize) -> Vec<String> {
        let space = self.width(" ", size);
        let mut out: Vec<String> = Vec::new();
        'paragraphs: for para in text.split('\n') {
            let para = self.clean(para);
            let indent = para.len() - para.trim_start_matches(' ').len();
            let mut line = " ".repeat(indent);
            let mut lw = space * indent as f32;
            let mut fresh = true;
            for word in para[indent..].split(' ') {
                let ww = self.width(word, size);
                if !fresh && lw + space + ww <= width {
                    line.push(' ');
                    line.push_str(word);
                    lw += space + ww;
                    continue;
                }
                if !fresh {
                    out.push(std::mem::take(&mut line));
                    lw = 0.0;
                    if out.len() > max_lines {
                        break 'paragraphs;
                    }
                }
                fresh = false;
                if lw + ww <= width {
                    line.push_str(word);
                    lw += ww;
                    continue;
                }
                // Too long for a line: break after punctuation, else
                // anywhere.
                for piece in word.split_inclusive(|c: char| {
                    matches!(
                        c,
                        '.' | '/' | '-' | '_' | ',' | ':' | ';' | '=' | '&' | '?' | '|'
                    )
                }) {
                    let pw = self.width(piece, size);
                    if lw + pw > width && !line.trim().is_empty() {
                        out.push(std::mem::take(&mut line));
                        lw = 0.0;
                        if out.len() > max_lines {
                            break 'paragraphs;
                        }
                    }
                    if lw + pw <= width {
                        line.push_str(piece);
                        lw += pw;
                        continue;
                    }
                    for c in piece.chars() {
                        let cw = self.glyph(c).map_or(0.0, |g| g.1) * size;
                        if lw + cw > width && !line.trim().is_empty() {
                            out.push(std::mem::take(&mut line));
                            lw = 0.0;
                            if out.len() > max_lines {
                                break 'paragraphs;
                            }
                        }
                        line.push(c);
                        lw += cw;
                    }
                }
            }
            out.push(line);
            if out.len() > max_lines {
                break;
            }
        }
        if out.len() > max_lines {
            out.truncate(max_lines);
            if let Some(last) = out.last_mut() {
                *last = self.fit(&format!("{last} …"), size, width);
            }
        }
        if out.is_empty() {
            out.push(String::new());
        }
        out
    }
}
