//! What `chaos discover chaostoolkit-toxiproxy` lists. The extension has no
//! `discover()` of its own, so `discovery.json` is what chaoslib 1.44's
//! `discover_activities` makes of its three exported modules
//! (`chaostoxi.proxy.actions` and `chaostoxi.toxic.actions` as actions,
//! `chaostoxi.proxy.probes` as probes) with chaostoolkit-toxiproxy 0.3.1
//! installed: the names in their `__all__`, docstrings, arguments with
//! defaults and portable types, as the reference's discovery writes them.
//! The `chaostoxi.toxiproxyapi` helpers run natively too but, as in the
//! extension, are not exported activities.

use chaos_pyvalue::Value;

/// The extension's name and version the listing describes.
pub const EXTENSION: (&str, &str) = ("chaostoolkit-toxiproxy", "0.3.1");

/// The discovery entries of the exported functions, all run natively.
pub fn activities() -> Vec<Value> {
    serde_json::from_str(include_str!("discovery.json")).unwrap_or_default()
}
