//! The likelihood-impact map: a 5×5 grid, likelihood across (1 rare on
//! the left to 5 almost-certain on the right), impact up (1 negligible at
//! the bottom to 5 severe at the top), each hypothesis placed in its cell
//! and marked with its evidence, the top-priority quadrant (likelihood ≥ 4
//! and impact ≥ 4) outlined. Drawn for the terminal ([`map_text`]), as a
//! self-contained SVG picture ([`map_svg`]: inline CSS, no script, light and
//! dark) and as an HTML page around it with the ranked backlog
//! ([`map_html`]).

use std::fmt::Write as _;

use crate::evidence::{for_id, Evidence, EvidenceKind};
use crate::model::{Backlog, Hypothesis, Scale};
use crate::score::{ranked, top_quadrant};
use chaos_report::html::esc;

/// The evidence list [`crate::evidence::evidence`] gives.
pub type EvidenceList = [(String, Evidence)];

fn kind(evidence: &EvidenceList, id: &str) -> EvidenceKind {
    for_id(evidence, id)
        .map(|e| e.kind)
        .unwrap_or(EvidenceKind::Untested)
}

/// The hypotheses of each cell, highest priority first: `cells[l-1][i-1]`.
fn cells(backlog: &Backlog) -> Vec<Vec<Vec<(&Hypothesis, f64)>>> {
    let mut cells = vec![vec![Vec::new(); 5]; 5];
    for (h, p) in ranked(backlog) {
        let (l, i) = (usize::from(h.likelihood), usize::from(h.impact));
        if (1..=5).contains(&l) && (1..=5).contains(&i) {
            cells[l - 1][i - 1].push((h, p));
        }
    }
    cells
}

/// The mark of each kind of evidence in the terminal.
pub fn mark(kind: EvidenceKind) -> char {
    match kind {
        EvidenceKind::Untested => '·',
        EvidenceKind::Held => '✓',
        EvidenceKind::Deviated => '✗',
        EvidenceKind::FailedToRun => '!',
    }
}

fn top(l: usize, i: usize) -> bool {
    (1..=5).contains(&l) && (1..=5).contains(&i) && top_quadrant(l as u8, i as u8)
}

/// The map for a terminal (plain text, `#` borders around the top-priority
/// quadrant).
pub fn map_text(backlog: &Backlog, evidence: &EvidenceList) -> String {
    const W: usize = 18;
    const LABEL: usize = 14;
    let cells = cells(backlog);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Likelihood × impact — the top-priority quadrant (likelihood ≥ 4 and impact ≥ 4) has # borders\n"
    );
    let _ = writeln!(out, "{:<LABEL$}", "impact");
    let border = |out: &mut String, above: usize, below: usize| {
        out.push_str(&" ".repeat(LABEL));
        for l in 1..=6 {
            let corner = top(l - 1, above) || top(l, above) || top(l - 1, below) || top(l, below);
            out.push(if corner { '#' } else { '+' });
            if l <= 5 {
                let seg = if top(l, above) || top(l, below) {
                    "#"
                } else {
                    "-"
                };
                out.push_str(&seg.repeat(W));
            }
        }
        out.push('\n');
    };
    for i in (1..=5).rev() {
        border(&mut out, i + 1, i);
        let lines = (1..=5)
            .map(|l| cells[l - 1][i - 1].len())
            .max()
            .unwrap_or(0)
            .max(1);
        for line in 0..lines {
            let label = if line == 0 {
                format!("{} {}", i, Scale::Impact.word(i as u8))
            } else {
                String::new()
            };
            let _ = write!(out, "{label:<LABEL$}");
            for l in 1..=5 {
                out.push(if top(l - 1, i) || top(l, i) { '#' } else { '|' });
                let text = cells[l - 1][i - 1]
                    .get(line)
                    .map(|(h, _)| format!(" {} {}", mark(kind(evidence, &h.id)), h.id))
                    .unwrap_or_default();
                out.push_str(&fit(&text, W));
            }
            out.push(if top(5, i) { '#' } else { '|' });
            let end = out.trim_end_matches(' ').len();
            out.truncate(end);
            out.push('\n');
        }
    }
    border(&mut out, 0, 1);
    out.push_str(&" ".repeat(LABEL));
    for l in 1..=5u8 {
        let _ = write!(
            out,
            "{:<w$}",
            format!(" {} {}", l, Scale::Likelihood.word(l)),
            w = W + 1
        );
    }
    out.push('\n');
    let _ = writeln!(out, "{}likelihood →", " ".repeat(LABEL + 2 * (W + 1) + 4));
    let _ = writeln!(
        out,
        "\n{} held   {} deviated   {} failed to run   {} untested",
        mark(EvidenceKind::Held),
        mark(EvidenceKind::Deviated),
        mark(EvidenceKind::FailedToRun),
        mark(EvidenceKind::Untested)
    );
    out
}

/// `s` cut or padded to `w` characters.
fn fit(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        format!("{s}{}", " ".repeat(w - n))
    } else {
        let mut t: String = s.chars().take(w - 1).collect();
        t.push('…');
        t
    }
}

const SVG_STYLE: &str = "
.backlog-map { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
.backlog-map .bg { fill: #ffffff; }
.backlog-map text { fill: #1d2433; }
.backlog-map .heading { font-size: 22px; font-weight: 700; }
.backlog-map .axis { font-size: 15px; font-weight: 600; fill: #4a5468; letter-spacing: 0.06em; text-transform: uppercase; }
.backlog-map .tick { font-size: 13px; fill: #4a5468; }
.backlog-map .tick-n { font-size: 16px; font-weight: 700; }
.backlog-map .cell { stroke: #c9cfdb; stroke-width: 1; }
.backlog-map .risk-low { fill: #eaf6ec; }
.backlog-map .risk-medium { fill: #fbf4dc; }
.backlog-map .risk-high { fill: #fde6d2; }
.backlog-map .risk-critical { fill: #fbd5d5; }
.backlog-map .top { fill: none; stroke: #b3261e; stroke-width: 3; stroke-dasharray: 10 5; }
.backlog-map .top-label { font-size: 13px; font-weight: 700; fill: #b3261e; }
.backlog-map .hypothesis text { font-size: 13px; }
.backlog-map .dot { stroke: #ffffff; stroke-width: 1.5; }
.backlog-map .held .dot { fill: #2f9e5b; }
.backlog-map .deviated .dot { fill: #d64545; }
.backlog-map .failed-to-run .dot { fill: #e0942f; }
.backlog-map .untested .dot { fill: #ffffff; stroke: #7a8291; stroke-width: 2; }
.backlog-map .legend { font-size: 13px; }
@media (prefers-color-scheme: dark) {
  .backlog-map .bg { fill: #161b22; }
  .backlog-map text { fill: #e6edf3; }
  .backlog-map .axis, .backlog-map .tick { fill: #9aa6b8; }
  .backlog-map .cell { stroke: #30363d; }
  .backlog-map .risk-low { fill: #17281d; }
  .backlog-map .risk-medium { fill: #2b2818; }
  .backlog-map .risk-high { fill: #33251a; }
  .backlog-map .risk-critical { fill: #3a1e21; }
  .backlog-map .top { stroke: #ff7b72; }
  .backlog-map .top-label { fill: #ff7b72; }
  .backlog-map .dot { stroke: #161b22; }
  .backlog-map .untested .dot { fill: #161b22; stroke: #9aa6b8; }
}
";

fn risk(l: usize, i: usize) -> &'static str {
    match l * i {
        0..=4 => "risk-low",
        5..=9 => "risk-medium",
        10..=15 => "risk-high",
        _ => "risk-critical",
    }
}

/// The map as a self-contained SVG picture. Each cell is a
/// `<rect class="cell" data-likelihood="L" data-impact="I">`, each
/// hypothesis a `<g class="hypothesis EVIDENCE" data-id="ID"
/// data-likelihood="L" data-impact="I" data-evidence="EVIDENCE">` holding
/// its dot (a circle inside its cell) and its label.
pub fn map_svg(backlog: &Backlog, evidence: &EvidenceList) -> String {
    const CW: usize = 180;
    const LM: usize = 150;
    const TM: usize = 64;
    const ROW: usize = 21;
    let cells = cells(backlog);
    let most = cells
        .iter()
        .flat_map(|c| c.iter().map(Vec::len))
        .max()
        .unwrap_or(0);
    let ch = (20 + ROW * most + 6).max(100);
    let gw = 5 * CW;
    let gh = 5 * ch;
    let width = LM + gw + 30;
    let height = TM + gh + 120;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"backlog-map\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Likelihood-impact map of the hypothesis backlog\">\n<style>{SVG_STYLE}</style>\n<rect class=\"bg\" x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\"/>\n"
    );
    let _ = writeln!(
        s,
        "<text class=\"heading\" x=\"{LM}\" y=\"36\">Likelihood × impact</text>"
    );
    let x0 = |l: usize| LM + (l - 1) * CW;
    let y0 = |i: usize| TM + (5 - i) * ch;
    for i in 1..=5 {
        for l in 1..=5 {
            let _ = writeln!(
                s,
                "<rect class=\"cell {}\" data-likelihood=\"{l}\" data-impact=\"{i}\" x=\"{}\" y=\"{}\" width=\"{CW}\" height=\"{ch}\"/>",
                risk(l, i),
                x0(l),
                y0(i)
            );
        }
    }
    // The top-priority quadrant.
    let _ = writeln!(
        s,
        "<rect class=\"top\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n<text class=\"top-label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">TOP PRIORITY</text>",
        x0(4) + 2,
        y0(5) + 2,
        2 * CW - 4,
        2 * ch - 4,
        x0(5) + CW - 8,
        y0(5) - 8
    );
    // Axes.
    for i in 1..=5u8 {
        let y = y0(usize::from(i)) + ch / 2;
        let _ = writeln!(
            s,
            "<text class=\"tick tick-n\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{i}</text><text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LM - 12,
            y - 2,
            LM - 12,
            y + 16,
            Scale::Impact.word(i)
        );
    }
    for l in 1..=5u8 {
        let x = x0(usize::from(l)) + CW / 2;
        let _ = writeln!(
            s,
            "<text class=\"tick tick-n\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{l}</text><text class=\"tick\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            TM + gh + 22,
            TM + gh + 40,
            Scale::Likelihood.word(l)
        );
    }
    let _ = writeln!(
        s,
        "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">Likelihood →</text>",
        LM + gw / 2,
        TM + gh + 68
    );
    let _ = writeln!(
        s,
        "<text class=\"axis\" transform=\"translate(36 {}) rotate(-90)\" text-anchor=\"middle\">Impact →</text>",
        TM + gh / 2
    );
    // Hypotheses.
    for (l, col) in cells.iter().enumerate() {
        for (i, cell) in col.iter().enumerate() {
            let (x, y) = (x0(l + 1), y0(i + 1));
            for (k, (h, p)) in cell.iter().enumerate() {
                let e = kind(evidence, &h.id);
                let cy = y + 20 + k * ROW;
                let _ = writeln!(
                    s,
                    "<g class=\"hypothesis {e}\" data-id=\"{id}\" data-likelihood=\"{L}\" data-impact=\"{I}\" data-evidence=\"{e}\"><title>{id}: {title} (likelihood {L}, impact {I}, priority {p}, {label})</title><circle class=\"dot\" cx=\"{cx}\" cy=\"{cy}\" r=\"7\"/><text x=\"{tx}\" y=\"{ty}\">{short}</text></g>",
                    e = e.name(),
                    id = esc(&h.id),
                    L = h.likelihood,
                    I = h.impact,
                    title = esc(&h.title),
                    p = crate_number(*p),
                    label = e.label(),
                    cx = x + 18,
                    tx = x + 32,
                    ty = cy + 5,
                    short = esc(fit(&h.id, 20).trim_end()),
                );
            }
        }
    }
    // Legend.
    let ly = TM + gh + 100;
    let mut lx = LM;
    for k in [
        EvidenceKind::Held,
        EvidenceKind::Deviated,
        EvidenceKind::FailedToRun,
        EvidenceKind::Untested,
    ] {
        let _ = writeln!(
            s,
            "<g class=\"legend {}\"><circle class=\"dot\" cx=\"{}\" cy=\"{}\" r=\"7\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
            k.name(),
            lx + 8,
            ly - 5,
            lx + 22,
            ly,
            k.label()
        );
        lx += 150;
    }
    s.push_str("</svg>\n");
    s
}

fn crate_number(p: f64) -> String {
    let r = (p * 100.0).round() / 100.0;
    format!("{r}")
}

const HTML_STYLE: &str = "
:root { color-scheme: light dark; }
body { margin: 0; padding: 32px 40px; background: #f5f6f8; color: #1d2433; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
h1 { margin: 0 0 4px; font-size: 30px; }
.sub { margin: 0 0 24px; color: #4a5468; }
.map { display: inline-block; background: #fff; border-radius: 12px; box-shadow: 0 1px 4px rgba(0,0,0,.12); padding: 8px; }
.map svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; margin-top: 28px; min-width: 60%; background: #fff; border-radius: 8px; overflow: hidden; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
th, td { text-align: left; padding: 7px 12px; border-bottom: 1px solid #e3e6ec; font-size: 14px; }
th { background: #eceff4; font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: #4a5468; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ev { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.ev.held { background: #2f9e5b; } .ev.deviated { background: #d64545; } .ev.failed-to-run { background: #e0942f; }
.ev.untested { background: transparent; color: #4a5468; border: 1px solid #7a8291; }
tr.top td:first-child { box-shadow: inset 4px 0 0 #b3261e; }
@media (prefers-color-scheme: dark) {
  body { background: #0d1117; color: #e6edf3; }
  .sub { color: #9aa6b8; }
  .map, table { background: #161b22; }
  th { background: #1f2630; color: #9aa6b8; }
  th, td { border-bottom-color: #30363d; }
  .ev.untested { color: #9aa6b8; }
}
";

/// The map as a self-contained HTML page (inline CSS, no script, light and
/// dark), with the backlog ranked below it.
pub fn map_html(backlog: &Backlog, evidence: &EvidenceList, title: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{t}</title>\n<style>{HTML_STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n<p class=\"sub\">{n} hypotheses — priority = likelihood × impact × (1 + care factor {cf} × Σ weights of what it touches) — top priority: likelihood ≥ 4 and impact ≥ 4</p>\n<div class=\"map\">\n",
        t = esc(title),
        n = backlog.hypotheses.len(),
        cf = crate_number(backlog.care_factor),
    );
    s.push_str(&map_svg(backlog, evidence));
    s.push_str("</div>\n<table>\n<thead><tr><th>#</th><th>id</th><th>hypothesis</th><th>L</th><th>I</th><th>priority</th><th>status</th><th>evidence</th><th>last run</th></tr></thead>\n<tbody>\n");
    for (rank, (h, p)) in ranked(backlog).into_iter().enumerate() {
        let e = for_id(evidence, &h.id)
            .cloned()
            .unwrap_or_else(Evidence::untested);
        let _ = writeln!(
            s,
            "<tr{}><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td><span class=\"ev {}\">{}</span></td><td>{}</td></tr>",
            if top_quadrant(h.likelihood, h.impact) { " class=\"top\"" } else { "" },
            rank + 1,
            esc(&h.id),
            esc(&h.title),
            h.likelihood,
            h.impact,
            crate_number(p),
            h.status.name(),
            e.kind.name(),
            e.kind.label(),
            esc(e.last_run.as_deref().unwrap_or("—")),
        );
    }
    s.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    s
}
