//! The run's exported environment: variables an activity sets for the
//! activities that come after it, as chaostoolkit-toxiproxy's
//! `create_proxy` does with `os.environ["<name>_PORT"] = port` in the
//! reference (one Python process, so later programs and Python functions
//! inherit it).
//!
//! `chaos` never changes its own process environment (that is racy with
//! threads); a native driver records the variable here instead, and the
//! drivers that start something apply it: the `process` driver to each
//! program it starts, the Python bridge to `os.environ` in its worker before
//! each call. Like the reference's, the value is not seen by `${...}`
//! substitution, which reads the configuration loaded at the start.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

fn vars() -> &'static Mutex<BTreeMap<String, String>> {
    static VARS: OnceLock<Mutex<BTreeMap<String, String>>> = OnceLock::new();
    VARS.get_or_init(Default::default)
}

/// Exports `name=value` to the activities that come after this one.
pub fn set(name: &str, value: &str) {
    if let Ok(mut v) = vars().lock() {
        v.insert(name.to_string(), value.to_string());
    }
}

/// A variable as a later activity would see it: exported by an earlier
/// activity, else from the process's own environment.
pub fn get(name: &str) -> Option<String> {
    let exported = vars().lock().ok().and_then(|v| v.get(name).cloned());
    exported.or_else(|| std::env::var(name).ok())
}

/// Everything exported so far (empty in most runs).
pub fn exported() -> Vec<(String, String)> {
    vars()
        .lock()
        .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}
