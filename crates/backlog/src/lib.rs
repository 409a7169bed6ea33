//! The hypothesis backlog (Part I of "Learning Chaos Engineering"): the
//! hypotheses a team gathered from incidents and sketches of its system,
//! each scored by likelihood and impact, weighted by what the team cares
//! about, kept in a human-editable YAML file in the team's repository, and
//! tied to the experiments that test them and the evidence their runs gave.
//!
//! * [`model`] owns the data: [`Backlog`], [`Hypothesis`], the scales and
//!   the rules a backlog must follow.
//! * [`file`] owns reading (errors with file, line and column) and writing
//!   (atomic, in a stable human-editable layout) the YAML file.
//! * [`score`] owns the priority rule and the order of the backlog.
//! * [`evidence`] owns what journals of runs say about each hypothesis.
//! * [`map`] owns the likelihood-impact map: in the terminal, as SVG and as
//!   a self-contained HTML page.

#![forbid(unsafe_code)]

pub mod evidence;
pub mod file;
pub mod map;
pub mod model;
pub mod score;

pub use evidence::{Evidence, EvidenceKind};
pub use file::{load, parse, save, BacklogError};
pub use map::{map_html, map_svg, map_text};
pub use model::{Backlog, Hypothesis, Source, Status};
pub use score::{priority, ranked};

/// The JSON Schema of the backlog file (`chaos backlog schema`).
pub const SCHEMA: &str = include_str!("../hypotheses.schema.json");
