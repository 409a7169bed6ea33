//! Python `re` patterns on top of `fancy-regex`, which supports the
//! look-arounds and back-references Python users write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use fancy_regex::Regex;

/// Compiles (and caches: the continuous hypothesis checks the same pattern
/// many times) a Python-style pattern.
pub fn compile(pattern: &str) -> Result<Arc<Regex>, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(re) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(pattern) {
        return Ok(re.clone());
    }
    let re =
        Arc::new(Regex::new(pattern).map_err(|e| format!("pattern {pattern} seems invalid: {e}"))?);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(pattern.to_string(), re.clone());
    Ok(re)
}
