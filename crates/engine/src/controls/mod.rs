//! Controls: code the user plugs around each step of a run (spec §7).
//!
//! This module owns *which* controls run at each point and in what order
//! (the reference's merge of global, top-level and local controls, with its
//! `scope` and `automatic` rules), and the interface of [`native`] controls.
//! The runner calls the hooks (natively when the module is served natively,
//! else through the Python bridge; only `python` controls are ever applied,
//! as in the reference), and what a hook changes (an activity, a record,
//! the journal, configuration and secrets) flows back into the run.

pub mod native;

use chaos_pyvalue::{py_str, py_truthy, Map, Value};

/// The level a hook runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Around the whole run.
    Experiment,
    /// Around each hypothesis check.
    Hypothesis,
    /// Around the method.
    Method,
    /// Around the rollbacks.
    Rollback,
    /// Around each activity.
    Activity,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Experiment => "experiment",
            Level::Hypothesis => "hypothesis",
            Level::Method => "method",
            Level::Rollback => "rollback",
            Level::Activity => "activity",
        }
    }

    /// The hook's function name: `before_activity_control`, ...
    pub fn hook(self, before: bool) -> String {
        format!(
            "{}_{}_control",
            if before { "before" } else { "after" },
            self.word()
        )
    }
}

/// One declared control.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    /// Its name.
    pub name: String,
    /// The whole declaration (`provider`, `scope`, `automatic`, `ref`).
    pub declaration: Map<String, Value>,
    /// Declared in the settings or a control file.
    pub global: bool,
}

impl Control {
    /// A control from its declaration.
    pub fn new(declaration: &Map<String, Value>, global: bool) -> Option<Control> {
        let name = declaration
            .get("name")
            .filter(|n| py_truthy(n))
            .map(py_str)?;
        Some(Control {
            name,
            declaration: declaration.clone(),
            global,
        })
    }

    fn automatic(&self) -> bool {
        self.declaration
            .get("automatic")
            .map(py_truthy)
            .unwrap_or(true)
    }

    fn reference(&self) -> Option<String> {
        self.declaration
            .get("ref")
            .filter(|r| py_truthy(r))
            .map(py_str)
    }

    /// Whether the control's `scope` lets it run in this phase.
    pub fn in_scope(&self, before: bool) -> bool {
        match self.declaration.get("scope").and_then(Value::as_str) {
            Some("before") => before,
            Some("after") => !before,
            _ => true,
        }
    }

    /// The provider mapping.
    pub fn provider(&self) -> Map<String, Value> {
        self.declaration
            .get("provider")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }
}

/// The controls of a `controls` list.
pub fn declared(controls: Option<&Value>) -> Vec<Control> {
    controls
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_object().and_then(|m| Control::new(m, false)))
        .collect()
}

/// The reference's merge (spec §7.4): which controls run at `level`, given
/// the active globals, the experiment's top-level controls and the
/// context's own (`context_controls` is the top-level list again at the
/// experiment, method and rollback levels). The order is the reference's,
/// duplicates included.
pub fn controls_for(
    level: Level,
    globals: &[Control],
    top: &[Control],
    context_controls: &[Control],
) -> Vec<Control> {
    let mut merged: Vec<Control> = globals
        .iter()
        .chain(context_controls.iter())
        .cloned()
        .collect();
    if top.is_empty() {
        return merged;
    }
    if merged.is_empty() {
        return top.iter().filter(|t| t.automatic()).cloned().collect();
    }
    if matches!(level, Level::Method | Level::Rollback) {
        return top.iter().filter(|t| t.automatic()).cloned().collect();
    }
    let snapshot = merged.clone();
    for c in &snapshot {
        if let Some(r) = c.reference() {
            if let Some(t) = top.iter().find(|t| t.name == r) {
                merged.push(t.clone());
            }
            continue;
        }
        for t in top.iter().rev() {
            if t.name == c.name {
                continue;
            }
            if level != Level::Experiment && t.automatic() {
                merged.insert(0, t.clone());
            }
        }
    }
    merged
}

/// Experiment-declared controls for `configure_control` and
/// `cleanup_control`: top level, hypothesis, its probes, method, rollbacks;
/// de-duplicated by name, first wins.
pub fn experiment_controls(experiment: &Map<String, Value>) -> Vec<Control> {
    let mut all = Vec::new();
    all.extend(declared(experiment.get("controls")));
    let ssh = experiment.get("steady-state-hypothesis");
    all.extend(declared(ssh.and_then(|h| h.get("controls"))));
    for list in [
        ssh.and_then(|h| h.get("probes")),
        experiment.get("method"),
        experiment.get("rollbacks"),
    ] {
        for a in list.and_then(Value::as_array).into_iter().flatten() {
            all.extend(declared(a.get("controls")));
        }
    }
    let mut seen = std::collections::HashSet::new();
    all.retain(|c| seen.insert(c.name.clone()));
    all
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)] // the examples read as the spec writes them
mod tests {
    use super::*;
    use serde_json::json;

    fn c(name: &str, extra: Value) -> Control {
        let mut m = json!({"name": name, "provider": {"type": "python", "module": "m"}});
        if let (Value::Object(a), Value::Object(b)) = (&mut m, extra) {
            a.extend(b);
        }
        Control::new(m.as_object().unwrap(), false).unwrap()
    }

    fn names(v: &[Control]) -> Vec<&str> {
        v.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn the_references_examples() {
        let top1 = c("TOP1", json!({}));
        let top2 = c("TOP2", json!({"automatic": false}));
        let glob1 = c("GLOB1", json!({}));
        let act1 = c("ACT1", json!({}));
        let top = vec![top1.clone(), top2.clone()];
        // Experiment level: globals, then every top-level control.
        assert_eq!(
            names(&controls_for(
                Level::Experiment,
                &[glob1.clone()],
                &top,
                &top
            )),
            ["GLOB1", "TOP1", "TOP2"]
        );
        // Activity with a local control and a global one.
        assert_eq!(
            names(&controls_for(
                Level::Activity,
                &[glob1.clone()],
                &[top1.clone()],
                &[act1.clone()]
            )),
            ["TOP1", "TOP1", "GLOB1", "ACT1"]
        );
        // Method level: the automatic top-level controls only, globals dropped.
        assert_eq!(
            names(&controls_for(Level::Method, &[glob1.clone()], &top, &top)),
            ["TOP1"]
        );
        // No top-level controls: globals and local ones.
        assert_eq!(
            names(&controls_for(
                Level::Activity,
                &[glob1.clone()],
                &[],
                &[act1.clone()]
            )),
            ["GLOB1", "ACT1"]
        );
        // Nothing local nor global: the automatic top-level ones.
        assert_eq!(
            names(&controls_for(Level::Hypothesis, &[], &top, &[])),
            ["TOP1"]
        );
        // The lib's own test: T=[tc1, tc2(automatic false), tc3], C=[lc1].
        let t = vec![
            c("tc1", json!({})),
            c("tc2", json!({"automatic": false})),
            c("tc3", json!({})),
        ];
        assert_eq!(
            names(&controls_for(
                Level::Activity,
                &[],
                &t,
                &[c("lc1", json!({}))]
            )),
            ["tc1", "tc3", "lc1"]
        );
        // Two globals, no local control.
        let g = vec![c("GLOB1", json!({})), c("GLOB2", json!({}))];
        assert_eq!(
            names(&controls_for(Level::Activity, &g, &[top1.clone()], &[])),
            ["TOP1", "TOP1", "GLOB1", "GLOB2"]
        );
    }

    #[test]
    fn scope_limits_the_phase() {
        let before = c("b", json!({"scope": "before"}));
        assert!(before.in_scope(true) && !before.in_scope(false));
        assert!(c("x", json!({})).in_scope(false));
    }

    #[test]
    fn configure_order_is_deduplicated_by_name() {
        let e = json!({"controls": [{"name": "A", "provider": {}}],
            "steady-state-hypothesis": {"controls": [{"name": "B", "provider": {}}], "probes": [{"controls": [{"name": "A", "provider": {}}]}]},
            "method": [{"controls": [{"name": "C", "provider": {}}]}]});
        assert_eq!(
            names(&experiment_controls(e.as_object().unwrap())),
            ["A", "B", "C"]
        );
    }
}
