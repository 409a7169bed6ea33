//! The backlog's data and its rules: hypotheses, where they came from, the
//! likelihood and impact scales (1 to 5, with their words), the dimensions
//! the team cares about and the statuses a hypothesis goes through.

use serde::Serialize;

/// The words of the likelihood scale, 1 to 5.
pub const LIKELIHOOD_WORDS: [&str; 5] =
    ["rare", "unlikely", "possible", "likely", "almost-certain"];

/// The words of the impact scale, 1 to 5.
pub const IMPACT_WORDS: [&str; 5] = ["negligible", "minor", "moderate", "major", "severe"];

/// Where a hypothesis came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A past incident (its id in `source_ref`).
    Incident,
    /// A sketch of the system.
    Sketch,
    /// A "what could go wrong?" session.
    WhatCouldGoWrong,
    /// Anything else.
    Other,
}

impl Source {
    /// Every source, in the documented order.
    pub const ALL: [Source; 4] = [
        Source::Incident,
        Source::Sketch,
        Source::WhatCouldGoWrong,
        Source::Other,
    ];

    /// Its name in the file.
    pub fn name(self) -> &'static str {
        match self {
            Source::Incident => "incident",
            Source::Sketch => "sketch",
            Source::WhatCouldGoWrong => "what-could-go-wrong",
            Source::Other => "other",
        }
    }

    /// From its name.
    pub fn parse(s: &str) -> Result<Source, String> {
        Source::ALL
            .into_iter()
            .find(|x| x.name() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown source '{s}': expected one of {}",
                    names(Source::ALL.map(Source::name))
                )
            })
    }
}

/// Where a hypothesis stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Written down, not yet refined.
    Proposed,
    /// Ready for an experiment.
    Ready,
    /// Being experimented on.
    Experimenting,
    /// Tested; nothing more to do for now.
    Done,
    /// Not worth testing.
    Dropped,
}

impl Status {
    /// Every status, in the order a hypothesis goes through them.
    pub const ALL: [Status; 5] = [
        Status::Proposed,
        Status::Ready,
        Status::Experimenting,
        Status::Done,
        Status::Dropped,
    ];

    /// Its name in the file.
    pub fn name(self) -> &'static str {
        match self {
            Status::Proposed => "proposed",
            Status::Ready => "ready",
            Status::Experimenting => "experimenting",
            Status::Done => "done",
            Status::Dropped => "dropped",
        }
    }

    /// From its name.
    pub fn parse(s: &str) -> Result<Status, String> {
        Status::ALL
            .into_iter()
            .find(|x| x.name() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown status '{s}': expected one of {}",
                    names(Status::ALL.map(Status::name))
                )
            })
    }
}

fn names<const N: usize>(n: [&str; N]) -> String {
    n.join(", ")
}

/// Which of the two scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// 1 rare ... 5 almost-certain.
    Likelihood,
    /// 1 negligible ... 5 severe.
    Impact,
}

impl Scale {
    /// The words, 1 to 5.
    pub fn words(self) -> [&'static str; 5] {
        match self {
            Scale::Likelihood => LIKELIHOOD_WORDS,
            Scale::Impact => IMPACT_WORDS,
        }
    }

    /// `likelihood` or `impact`.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Likelihood => "likelihood",
            Scale::Impact => "impact",
        }
    }

    /// The word for a value from 1 to 5.
    pub fn word(self, n: u8) -> &'static str {
        self.words()
            .get(usize::from(n).wrapping_sub(1))
            .copied()
            .unwrap_or("?")
    }

    /// `1 rare, 2 unlikely, ...`, for messages and prompts.
    pub fn legend(self) -> String {
        self.words()
            .iter()
            .enumerate()
            .map(|(i, w)| format!("{} {w}", i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A value given as a number from 1 to 5 or as its word.
    pub fn parse(self, s: &str) -> Result<u8, String> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return self.check(n);
        }
        self.words()
            .iter()
            .position(|w| w.eq_ignore_ascii_case(s))
            .map(|i| i as u8 + 1)
            .ok_or_else(|| self.out_of_scale(s))
    }

    /// A number that must be from 1 to 5.
    pub fn check(self, n: i64) -> Result<u8, String> {
        if (1..=5).contains(&n) {
            Ok(n as u8)
        } else {
            Err(self.out_of_scale(&n.to_string()))
        }
    }

    fn out_of_scale(self, s: &str) -> String {
        format!(
            "{} '{s}' is not on the scale: expected 1 to 5 ({})",
            self.name(),
            self.legend()
        )
    }
}

/// One hypothesis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hypothesis {
    /// Short slug, unique in the backlog.
    pub id: String,
    /// What the team believes, e.g. "the system will keep serving quotes
    /// if the exchange file disappears".
    pub title: String,
    /// Where it came from.
    pub source: Source,
    /// A reference for the source, e.g. an incident id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    /// The part of the system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// 1 rare ... 5 almost-certain.
    pub likelihood: u8,
    /// 1 negligible ... 5 severe.
    pub impact: u8,
    /// The dimensions the team cares about that it touches (declared in
    /// the backlog's `cares`).
    pub cares: Vec<String>,
    /// Who looks after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// Free notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Experiment files that test it (relative to the backlog's folder).
    pub experiments: Vec<String>,
}

impl Hypothesis {
    /// A hypothesis with the defaults of the file (`source: other`,
    /// `status: proposed`).
    pub fn new(id: &str, title: &str, likelihood: u8, impact: u8) -> Hypothesis {
        Hypothesis {
            id: id.to_string(),
            title: title.to_string(),
            source: Source::Other,
            source_ref: None,
            component: None,
            likelihood,
            impact,
            cares: Vec::new(),
            owner: None,
            status: Status::Proposed,
            notes: None,
            experiments: Vec::new(),
        }
    }
}

/// The default weight of the cares term in the priority.
pub const DEFAULT_CARE_FACTOR: f64 = 1.0;

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backlog {
    /// The dimensions the team cares about and their weights, in the order
    /// written.
    pub cares: Vec<(String, f64)>,
    /// Scales the cares term of the priority (`priority: {care_factor}`).
    pub care_factor: f64,
    /// The hypotheses, in the order written.
    pub hypotheses: Vec<Hypothesis>,
}

impl Default for Backlog {
    fn default() -> Self {
        Backlog {
            cares: Vec::new(),
            care_factor: DEFAULT_CARE_FACTOR,
            hypotheses: Vec::new(),
        }
    }
}

impl Backlog {
    /// The hypothesis with this id.
    pub fn get(&self, id: &str) -> Option<&Hypothesis> {
        self.hypotheses.iter().find(|h| h.id == id)
    }

    /// The hypothesis with this id, to change it.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Hypothesis> {
        self.hypotheses.iter_mut().find(|h| h.id == id)
    }

    /// The weight of a care dimension.
    pub fn weight(&self, care: &str) -> Option<f64> {
        self.cares.iter().find(|(c, _)| c == care).map(|(_, w)| *w)
    }

    /// Every problem with the backlog, as (index of the hypothesis or
    /// `None` for the top level, field, message).
    pub fn problems(&self) -> Vec<(Option<usize>, &'static str, String)> {
        let mut out = Vec::new();
        for (name, w) in &self.cares {
            if let Err(e) = check_slug(name) {
                out.push((None, "cares", format!("care '{name}': {e}")));
            }
            if !(w.is_finite() && *w >= 0.0) {
                out.push((
                    None,
                    "cares",
                    format!("the weight of '{name}' must be a number ≥ 0, not {w}"),
                ));
            }
        }
        if !(self.care_factor.is_finite() && self.care_factor >= 0.0) {
            out.push((
                None,
                "priority",
                format!("care_factor must be a number ≥ 0, not {}", self.care_factor),
            ));
        }
        for (i, h) in self.hypotheses.iter().enumerate() {
            if let Err(e) = check_slug(&h.id) {
                out.push((Some(i), "id", e));
            }
            if self.hypotheses[..i].iter().any(|o| o.id == h.id) {
                out.push((Some(i), "id", format!("the id '{}' is used twice", h.id)));
            }
            if h.title.trim().is_empty() {
                out.push((Some(i), "title", "the title must not be empty".to_string()));
            }
            if let Err(e) = Scale::Likelihood.check(h.likelihood.into()) {
                out.push((Some(i), "likelihood", e));
            }
            if let Err(e) = Scale::Impact.check(h.impact.into()) {
                out.push((Some(i), "impact", e));
            }
            for c in &h.cares {
                if self.weight(c).is_none() {
                    out.push((
                        Some(i),
                        "cares",
                        format!(
                            "'{c}' is not one of the backlog's cares ({}): declare it under `cares:` with a weight",
                            self.cares.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
        }
        out
    }
}

/// Whether `s` is a valid id: lowercase letters, digits and `-`, starting
/// with a letter or digit, at most 64 characters.
pub fn check_slug(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{s}' is not a valid id: use lowercase letters, digits and '-' (at most 64, not starting with '-')"
        ))
    }
}

/// A slug of a title: lowercase words joined by `-`, at most 48 characters,
/// cut at a word.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        if !out.is_empty() && out.len() + 1 + word.len() > 48 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word[..word.len().min(48)]);
    }
    if out.is_empty() {
        "hypothesis".to_string()
    } else {
        out
    }
}

/// A slug not used in `backlog`: `slug`, `slug-2`, `slug-3`...
pub fn unique_slug(backlog: &Backlog, base: &str) -> String {
    if backlog.get(base).is_none() {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|s| backlog.get(s).is_none())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_take_numbers_and_words() {
        assert_eq!(Scale::Likelihood.parse("4"), Ok(4));
        assert_eq!(Scale::Likelihood.parse("Almost-Certain"), Ok(5));
        assert_eq!(Scale::Impact.parse("minor"), Ok(2));
        assert!(Scale::Impact.parse("7").unwrap_err().contains("1 to 5"));
        assert!(Scale::Impact.parse("huge").is_err());
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("The system will keep serving quotes if the exchange file disappears!"),
            "the-system-will-keep-serving-quotes-if-the"
        );
        assert_eq!(slug("!!"), "hypothesis");
        assert!(check_slug("db-failover-2").is_ok());
        assert!(check_slug("Db").is_err());
        assert!(check_slug("-x").is_err());
    }
}
