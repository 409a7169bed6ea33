//! Python `re` patterns for regex tolerances, through the validator's
//! translation to `fancy-regex` (so `^ok$` means what it means in Python),
//! cached because the continuous hypothesis checks the same pattern often.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use fancy_regex::Regex;

/// Compiles (or reuses) a Python-style pattern.
pub fn compile(pattern: &str) -> Result<Arc<Regex>, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(re) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(pattern) {
        return Ok(re.clone());
    }
    let re = chaos_experiment::validate::compile_python_regex(pattern)
        .map_err(|e| format!("pattern {pattern} seems invalid: {}", e.msg))?;
    let re = Arc::new(re);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(pattern.to_string(), re.clone());
    Ok(re)
}
