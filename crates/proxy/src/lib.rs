//! A fault-injection proxy: TCP proxies whose traffic passes through
//! toxics (latency, bandwidth, slicing, timeouts, resets, data limits,
//! black holes), driven through Toxiproxy's HTTP API so that its clients
//! and the chaostoolkit-toxiproxy extension work unchanged.
//!
//! [`Proxies`] owns the proxies and their connections; [`api::router`]
//! serves the API over it. Behaviour follows `docs/design/fault-proxy.md`,
//! which records Toxiproxy 2.12's, and says where this proxy differs.

pub mod api;
pub mod driver;
mod http;
pub mod http_faults;
mod link;
pub mod model;
mod proxies;
mod timer;

pub use model::ApiError;
pub use proxies::Proxies;
