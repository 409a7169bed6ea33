//! `chaos backlog`: the hypothesis backlog file (add, list, show, edit,
//! score, link, remove), its likelihood-impact map and the evidence runs
//! gave. The rules live in `chaos_backlog`; this module reads flags, asks
//! on a terminal and prints.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use chaos_backlog::evidence::{self, Evidence};
use chaos_backlog::model::{self, Backlog, Hypothesis, Scale, Source, Status};
use serde_json::{json, Value};

use super::CmdResult;
use crate::cli::{BacklogAction, BacklogArgs, EvidenceArgs, HypothesisFields};

/// Runs `chaos backlog ...`.
/// The settings' `chaos.history` folder (where `chaos run` keeps its
/// journals), the evidence's default source; read once per command.
static SETTINGS_HISTORY: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

pub fn backlog(args: &BacklogArgs, settings_path: &Path) -> CmdResult {
    let _ = SETTINGS_HISTORY.set(
        crate::settings::load(settings_path)
            .pointer("/chaos/history")
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
    );
    let file = &args.file;
    match &args.action {
        BacklogAction::Schema => {
            print!("{}", chaos_backlog::SCHEMA);
            Ok(0)
        }
        BacklogAction::Add(fields) => add(file, fields),
        BacklogAction::List { evidence, format } => list(file, evidence, format),
        BacklogAction::Show {
            id,
            evidence,
            format,
        } => show(file, id, evidence, format),
        BacklogAction::Edit {
            hypothesis: id,
            fields,
        } => {
            let mut b = load(file)?;
            let h = find(&mut b, file, id)?;
            let renamed = fields.id.clone();
            let mut h2 = h.clone();
            let notes = apply(&mut h2, fields)?;
            *h = h2;
            declare_cares(&mut b, id_after(id, &renamed), notes);
            if let Some(new) = &renamed {
                if b.hypotheses.iter().filter(|h| &h.id == new).count() > 1 {
                    bail!("{}: the id '{new}' is already used", file.display());
                }
            }
            save(file, &b)?;
            println!("Changed '{}'", id_after(id, &renamed));
            Ok(0)
        }
        BacklogAction::Score {
            id,
            likelihood,
            impact,
        } => {
            if likelihood.is_none() && impact.is_none() {
                bail!("give --likelihood N, --impact N or both");
            }
            let mut b = load(file)?;
            let h = find(&mut b, file, id)?;
            if let Some(l) = likelihood {
                h.likelihood = Scale::Likelihood.parse(l).map_err(|e| anyhow!(e))?;
            }
            if let Some(i) = impact {
                h.impact = Scale::Impact.parse(i).map_err(|e| anyhow!(e))?;
            }
            let h = h.clone();
            save(file, &b)?;
            println!(
                "Scored '{}': likelihood {} ({}), impact {} ({}), priority {}",
                h.id,
                h.likelihood,
                Scale::Likelihood.word(h.likelihood),
                h.impact,
                Scale::Impact.word(h.impact),
                number(chaos_backlog::priority(&b, &h))
            );
            Ok(0)
        }
        BacklogAction::Link { id, experiments } => link(file, id, experiments),
        BacklogAction::Remove { id } => {
            let mut b = load(file)?;
            find(&mut b, file, id)?;
            b.hypotheses.retain(|h| &h.id != id);
            save(file, &b)?;
            println!("Removed '{id}'");
            Ok(0)
        }
        BacklogAction::Map {
            evidence,
            svg,
            html,
        } => map(file, evidence, svg.as_deref(), html.as_deref()),
    }
}

fn id_after<'a>(id: &'a str, renamed: &'a Option<String>) -> &'a str {
    renamed.as_deref().unwrap_or(id)
}

fn load(file: &Path) -> anyhow::Result<Backlog> {
    chaos_backlog::load(file).map_err(|e| anyhow!("{e}"))
}

fn save(file: &Path, b: &Backlog) -> anyhow::Result<()> {
    chaos_backlog::save(file, b).map_err(|e| anyhow!("{e}"))
}

fn find<'a>(b: &'a mut Backlog, file: &Path, id: &str) -> anyhow::Result<&'a mut Hypothesis> {
    let known = b
        .hypotheses
        .iter()
        .map(|h| h.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    b.get_mut(id)
        .ok_or_else(|| anyhow!("{}: no hypothesis '{id}' (known: {known})", file.display()))
}

fn folder(file: &Path) -> PathBuf {
    match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Sets the fields given on `h`; returns the cares it names.
fn apply(h: &mut Hypothesis, f: &HypothesisFields) -> anyhow::Result<Vec<String>> {
    let opt = |s: &Option<String>| s.as_ref().map(|v| v.trim().to_string());
    let blank_none = |s: String| (!s.is_empty()).then_some(s);
    if let Some(id) = opt(&f.id) {
        model::check_slug(&id).map_err(|e| anyhow!(e))?;
        h.id = id;
    }
    if let Some(t) = opt(&f.title) {
        if t.is_empty() {
            bail!("the title must not be empty");
        }
        h.title = t;
    }
    if let Some(s) = &f.source {
        h.source = Source::parse(s).map_err(|e| anyhow!(e))?;
    }
    if let Some(s) = &f.status {
        h.status = Status::parse(s).map_err(|e| anyhow!(e))?;
    }
    if let Some(l) = &f.likelihood {
        h.likelihood = Scale::Likelihood.parse(l).map_err(|e| anyhow!(e))?;
    }
    if let Some(i) = &f.impact {
        h.impact = Scale::Impact.parse(i).map_err(|e| anyhow!(e))?;
    }
    if let Some(s) = opt(&f.source_ref) {
        h.source_ref = blank_none(s);
    }
    if let Some(s) = opt(&f.component) {
        h.component = blank_none(s);
    }
    if let Some(s) = opt(&f.owner) {
        h.owner = blank_none(s);
    }
    if let Some(s) = opt(&f.notes) {
        h.notes = blank_none(s);
    }
    if let Some(c) = &f.cares {
        h.cares = split_cares(c)?;
    }
    Ok(h.cares.clone())
}

fn split_cares(s: &str) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in s.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        model::check_slug(c).map_err(|e| anyhow!("care {e}"))?;
        if !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    Ok(out)
}

/// Declares, with weight 1.0, the cares a hypothesis names that the
/// backlog does not know yet.
fn declare_cares(b: &mut Backlog, id: &str, cares: Vec<String>) {
    for c in cares {
        if b.weight(&c).is_none() {
            crate::console::warn_line(&format!(
                "'{c}' (touched by '{id}') is new to the backlog's cares: declared with weight 1.0, change it in the file"
            ));
            b.cares.push((c, 1.0));
        }
    }
}

fn add(file: &Path, f: &HypothesisFields) -> CmdResult {
    let mut b = chaos_backlog::file::load_or_default(file).map_err(|e| anyhow!("{e}"))?;
    let missing: Vec<&str> = [
        ("--title", f.title.is_none()),
        ("--likelihood", f.likelihood.is_none()),
        ("--impact", f.impact.is_none()),
    ]
    .into_iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| n)
    .collect();
    let f = if missing.is_empty() {
        HypothesisFields { ..clone_fields(f) }
    } else if std::io::stdin().is_terminal() {
        ask(&b, f)?
    } else {
        bail!(
            "missing {}: give them as flags (standard input is not a terminal, so chaos cannot ask)",
            missing.join(", ")
        );
    };
    let title = f.title.clone().unwrap_or_default();
    let id = match &f.id {
        Some(id) => {
            if b.get(id.trim()).is_some() {
                bail!("{}: the id '{}' is already used", file.display(), id.trim());
            }
            id.trim().to_string()
        }
        None => model::unique_slug(&b, &model::slug(&title)),
    };
    let mut h = Hypothesis::new(&id, &title, 1, 1);
    let cares = apply(&mut h, &f)?;
    declare_cares(&mut b, &id, cares);
    b.hypotheses.push(h);
    save(file, &b)?;
    let ranked = chaos_backlog::ranked(&b);
    let (rank, p) = ranked
        .iter()
        .enumerate()
        .find(|(_, (h, _))| h.id == id)
        .map(|(r, (_, p))| (r + 1, *p))
        .unwrap_or((0, 0.0));
    println!(
        "Added '{id}' to {}: priority {}, rank {rank} of {}",
        file.display(),
        number(p),
        ranked.len()
    );
    Ok(0)
}

fn clone_fields(f: &HypothesisFields) -> HypothesisFields {
    HypothesisFields {
        id: f.id.clone(),
        title: f.title.clone(),
        source: f.source.clone(),
        source_ref: f.source_ref.clone(),
        component: f.component.clone(),
        likelihood: f.likelihood.clone(),
        impact: f.impact.clone(),
        cares: f.cares.clone(),
        owner: f.owner.clone(),
        status: f.status.clone(),
        notes: f.notes.clone(),
    }
}

/// Asks on the terminal (stderr, stdin) for every field not given.
fn ask(b: &Backlog, given: &HypothesisFields) -> anyhow::Result<HypothesisFields> {
    let mut f = clone_fields(given);
    eprintln!("New hypothesis (Enter keeps the value in brackets)");
    if f.title.is_none() {
        f.title = Some(prompt_until("Hypothesis (what will hold)", None, |s| {
            if s.is_empty() {
                Err("the title must not be empty".into())
            } else {
                Ok(())
            }
        })?);
    }
    if f.id.is_none() {
        let default = model::unique_slug(b, &model::slug(f.title.as_deref().unwrap_or("")));
        f.id = Some(prompt_until("Id", Some(&default), |s| {
            model::check_slug(s)?;
            if b.get(s).is_some() {
                return Err(format!("'{s}' is already used"));
            }
            Ok(())
        })?);
    }
    if f.source.is_none() {
        let names: Vec<&str> = Source::ALL.iter().map(|s| s.name()).collect();
        f.source = Some(prompt_until(
            &format!("Source ({})", names.join(", ")),
            Some("other"),
            |s| Source::parse(s).map(|_| ()),
        )?);
    }
    if f.source_ref.is_none() {
        f.source_ref = Some(prompt_until(
            "Source reference (e.g. an incident id)",
            Some(""),
            |_| Ok(()),
        )?);
    }
    if f.component.is_none() {
        f.component = Some(prompt_until("Component", Some(""), |_| Ok(()))?);
    }
    for (scale, slot) in [
        (Scale::Likelihood, &mut f.likelihood),
        (Scale::Impact, &mut f.impact),
    ] {
        if slot.is_none() {
            let label = format!(
                "{}{} ({})",
                scale.name()[..1].to_uppercase(),
                &scale.name()[1..],
                scale.legend()
            );
            *slot = Some(prompt_until(&label, None, |s| scale.parse(s).map(|_| ()))?);
        }
    }
    if f.cares.is_none() {
        let known: Vec<String> = b.cares.iter().map(|(c, w)| format!("{c} {w}")).collect();
        let label = if known.is_empty() {
            "What it touches that you care about, comma-separated".to_string()
        } else {
            format!(
                "What it touches that you care about, comma-separated (known: {})",
                known.join(", ")
            )
        };
        f.cares = Some(prompt_until(&label, Some(""), |s| {
            split_cares(s).map(|_| ()).map_err(|e| e.to_string())
        })?);
    }
    if f.owner.is_none() {
        f.owner = Some(prompt_until("Owner", Some(""), |_| Ok(()))?);
    }
    Ok(f)
}

/// Asks until the answer passes `check`; an empty answer takes `default`.
fn prompt_until(
    label: &str,
    default: Option<&str>,
    check: impl Fn(&str) -> Result<(), String>,
) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    loop {
        match default {
            Some(d) => eprint!("{label} [{d}]: "),
            None => eprint!("{label}: "),
        }
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if stdin
            .lock()
            .read_line(&mut line)
            .context("reading an answer")?
            == 0
        {
            bail!("no answer to '{label}': nothing added");
        }
        let mut answer = line.trim().to_string();
        if answer.is_empty() {
            if let Some(d) = default {
                answer = d.to_string();
            }
        }
        match check(&answer) {
            Ok(()) => return Ok(answer),
            Err(e) => eprintln!("  {e}"),
        }
    }
}

fn link(file: &Path, id: &str, experiments: &[PathBuf]) -> CmdResult {
    let mut b = load(file)?;
    let dir = folder(file);
    let mut added = Vec::new();
    for e in experiments {
        if !e.is_file() {
            bail!("no experiment file at '{}': nothing linked", e.display());
        }
        if let Err(why) = evidence::experiment_title(e) {
            crate::console::warn_line(&format!(
                "{why} (linked anyway; its runs cannot be matched until it has a title)"
            ));
        }
        added.push(relative_to(&dir, e));
    }
    let h = find(&mut b, file, id)?;
    for a in added {
        if !h.experiments.contains(&a) {
            println!("Linked '{id}' to {a}");
            h.experiments.push(a);
        }
    }
    save(file, &b)?;
    Ok(0)
}

/// `path` as written relative to `dir` when it is inside it, else absolute.
fn relative_to(dir: &Path, path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let base = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    match abs.strip_prefix(&base) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => abs.display().to_string(),
    }
}

/// The evidence for every hypothesis, from the journals named.
fn gather(file: &Path, b: &Backlog, args: &EvidenceArgs) -> Vec<(String, Evidence)> {
    // Without --history or --journals, the run history the settings name.
    let history: Vec<PathBuf> = if args.history.is_empty() && args.journals.is_empty() {
        SETTINGS_HISTORY
            .get()
            .cloned()
            .flatten()
            .filter(|d| d.is_dir())
            .into_iter()
            .collect()
    } else {
        args.history.clone()
    };
    let journals = evidence::read_journals(&history, &args.journals);
    for w in &journals.warnings {
        crate::console::warn_line(w);
    }
    let (list, warnings) = evidence::evidence(b, &folder(file), &journals);
    for w in &warnings {
        crate::console::warn_line(w);
    }
    list
}

fn number(p: f64) -> String {
    let r = (p * 100.0).round() / 100.0;
    format!("{r}")
}

fn entry(rank: usize, h: &Hypothesis, p: f64, e: &Evidence) -> Value {
    let mut v = serde_json::to_value(h).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        let mut out = serde_json::Map::new();
        out.insert("rank".into(), json!(rank));
        out.insert("priority".into(), json!(p));
        out.append(m);
        out.insert(
            "top_priority".into(),
            json!(chaos_backlog::score::top_quadrant(h.likelihood, h.impact)),
        );
        out.insert("evidence".into(), json!(e));
        return Value::Object(out);
    }
    v
}

fn list(file: &Path, args: &EvidenceArgs, format: &str) -> CmdResult {
    let b = load(file)?;
    let ev = gather(file, &b, args);
    let ranked = chaos_backlog::ranked(&b);
    let untested = Evidence::untested();
    let of = |id: &str| evidence::for_id(&ev, id).unwrap_or(&untested);
    if format == "json" {
        let items: Vec<Value> = ranked
            .iter()
            .enumerate()
            .map(|(r, (h, p))| entry(r + 1, h, *p, of(&h.id)))
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(0);
    }
    if ranked.is_empty() {
        println!("The backlog is empty: add a hypothesis with `chaos backlog add`.");
        return Ok(0);
    }
    let header = [
        "#", "id", "title", "L", "I", "score", "status", "evidence", "last run",
    ];
    let rows: Vec<[String; 9]> = ranked
        .iter()
        .enumerate()
        .map(|(r, (h, p))| {
            let e = of(&h.id);
            [
                (r + 1).to_string(),
                h.id.clone(),
                cut(&h.title, 56),
                h.likelihood.to_string(),
                h.impact.to_string(),
                number(*p),
                h.status.name().to_string(),
                e.kind.label().to_string(),
                e.last_run.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let numeric = [true, false, false, true, true, true, false, false, false];
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (k, c) in cells.iter().enumerate() {
            let pad = widths[k] - c.chars().count();
            if numeric[k] {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            }
            s.push_str("  ");
        }
        s.trim_end().to_string()
    };
    println!("{}", line(&header.map(String::from)));
    println!("{}", line(&widths.map(|w| "-".repeat(w))));
    for row in &rows {
        println!("{}", line(row));
    }
    Ok(0)
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn show(file: &Path, id: &str, args: &EvidenceArgs, format: &str) -> CmdResult {
    let mut b = load(file)?;
    find(&mut b, file, id)?;
    let ev = gather(file, &b, args);
    let ranked = chaos_backlog::ranked(&b);
    let (rank, (h, p)) = ranked
        .iter()
        .enumerate()
        .find(|(_, (h, _))| h.id == id)
        .ok_or_else(|| anyhow!("no hypothesis '{id}'"))?;
    let e = evidence::for_id(&ev, id)
        .cloned()
        .unwrap_or_else(Evidence::untested);
    if format == "json" {
        println!(
            "{}",
            serde_json::to_string_pretty(&entry(rank + 1, h, *p, &e))?
        );
        return Ok(0);
    }
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    println!("{}: {}", h.id, h.title);
    println!(
        "  priority    {} (rank {} of {}){}",
        number(*p),
        rank + 1,
        ranked.len(),
        if chaos_backlog::score::top_quadrant(h.likelihood, h.impact) {
            ", in the top-priority quadrant"
        } else {
            ""
        }
    );
    println!(
        "  likelihood  {} ({})",
        h.likelihood,
        Scale::Likelihood.word(h.likelihood)
    );
    println!(
        "  impact      {} ({})",
        h.impact,
        Scale::Impact.word(h.impact)
    );
    let cares: Vec<String> = h
        .cares
        .iter()
        .map(|c| format!("{c} ({})", b.weight(c).unwrap_or(0.0)))
        .collect();
    println!(
        "  cares       {}",
        if cares.is_empty() {
            "-".to_string()
        } else {
            cares.join(", ")
        }
    );
    println!(
        "  source      {}{}",
        h.source.name(),
        h.source_ref
            .as_ref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    println!("  component   {}", opt(&h.component));
    println!("  owner       {}", opt(&h.owner));
    println!("  status      {}", h.status.name());
    println!("  notes       {}", opt(&h.notes));
    println!(
        "  experiments {}",
        if h.experiments.is_empty() {
            "-".to_string()
        } else {
            h.experiments.join(", ")
        }
    );
    println!(
        "  evidence    {}{}",
        e.kind.label(),
        e.last_run
            .as_ref()
            .map(|r| format!(", last run {r}"))
            .unwrap_or_default()
    );
    Ok(0)
}

fn map(file: &Path, args: &EvidenceArgs, svg: Option<&Path>, html: Option<&Path>) -> CmdResult {
    let b = load(file)?;
    let ev = gather(file, &b, args);
    if svg.is_none() && html.is_none() {
        print!("{}", chaos_backlog::map_text(&b, &ev));
        return Ok(0);
    }
    if let Some(p) = svg {
        write_atomic(p, &chaos_backlog::map_svg(&b, &ev))?;
        println!("Map written to {}", p.display());
    }
    if let Some(p) = html {
        write_atomic(p, &chaos_backlog::map_html(&b, &ev, "Hypothesis backlog"))?;
        println!("Map written to {}", p.display());
    }
    Ok(0)
}

fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    chaos_experiment::atomic::write(path, text.as_bytes())
        .map_err(|e| anyhow!("cannot write '{}': {e}", path.display()))
}
