//! The priority rule and the order of the backlog.
//!
//! priority = likelihood × impact × (1 + care_factor × Σ weights of the
//! cares it touches), `care_factor` being the file's `priority.care_factor`
//! (1.0 by default). The backlog is ordered by priority, highest first;
//! ties go to the higher impact, then the higher likelihood, then the id in
//! alphabetical order.

use std::cmp::Ordering;

use crate::model::{Backlog, Hypothesis};

/// The priority of `h` in `backlog`.
pub fn priority(backlog: &Backlog, h: &Hypothesis) -> f64 {
    let cares: f64 = h.cares.iter().filter_map(|c| backlog.weight(c)).sum();
    f64::from(h.likelihood) * f64::from(h.impact) * (1.0 + backlog.care_factor * cares)
}

/// The hypotheses, highest priority first, with their priority.
pub fn ranked(backlog: &Backlog) -> Vec<(&Hypothesis, f64)> {
    let mut out: Vec<(&Hypothesis, f64)> = backlog
        .hypotheses
        .iter()
        .map(|h| (h, priority(backlog, h)))
        .collect();
    out.sort_by(|(a, pa), (b, pb)| {
        pb.partial_cmp(pa)
            .unwrap_or(Ordering::Equal)
            .then(b.impact.cmp(&a.impact))
            .then(b.likelihood.cmp(&a.likelihood))
            .then(a.id.cmp(&b.id))
    });
    out
}

/// Whether a hypothesis is in the top-priority quadrant of the map:
/// likelihood ≥ 4 and impact ≥ 4.
pub fn top_quadrant(likelihood: u8, impact: u8) -> bool {
    likelihood >= 4 && impact >= 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cares_raise_the_priority() {
        let mut b = Backlog {
            cares: vec![("data-loss".into(), 3.0), ("security".into(), 2.5)],
            ..Backlog::default()
        };
        let mut h = Hypothesis::new("a", "a", 2, 3);
        h.cares = vec!["data-loss".into(), "security".into()];
        b.hypotheses.push(h.clone());
        b.hypotheses.push(Hypothesis::new("b", "b", 5, 5));
        assert_eq!(priority(&b, &h), 6.0 * 6.5);
        assert_eq!(ranked(&b)[0].0.id, "a");
        b.care_factor = 0.0;
        assert_eq!(ranked(&b)[0].0.id, "b");
    }
}
