//! Controls served natively, under the Python module paths experiments
//! already declare, so that they run unchanged and without Python:
//!
//! - `chaosaddons.controls.safeguards` ([`safeguards`]): probes that stop
//!   the run when they leave their tolerance;
//! - `chaos.controls.human` ([`human`]): a person decides, before each
//!   activity, to execute, skip or abort (also `chaos run --interactive`);
//! - `chaostracing.oltp` ([`tracing`]): the run as an OpenTelemetry trace,
//!   exported over OTLP (HTTP or gRPC), with `traceparent` on HTTP requests;
//! - `chaosprometheus.metrics` ([`metrics`]): the run's status, duration
//!   and activity counts pushed to a Prometheus Pushgateway.
//!
//! Each module owns one control; [`register`] is the one place that lists
//! them.

use chaos_engine::controls::native::NativeControls;

pub mod human;
pub mod metrics;
pub mod safeguards;
pub mod tracing;

/// Registers every native control.
pub fn register(natives: &mut NativeControls) {
    natives.register(safeguards::MODULE, safeguards::make);
    natives.register(
        safeguards::SYNCHRONIZATION,
        safeguards::make_synchronization,
    );
    natives.register(human::MODULE, human::make);
    natives.register(tracing::MODULE, tracing::make);
    natives.register(metrics::MODULE, metrics::make);
}

/// Tells the registry which control modules are served natively (those
/// `keep` keeps), with the check each declaration gets at validation.
pub fn register_checks(
    mut registry: chaos_drivers::Registry,
    keep: impl Fn(&str) -> bool,
) -> chaos_drivers::Registry {
    let checks: [(&str, chaos_drivers::ControlCheck); 5] = [
        (safeguards::MODULE, safeguards::check),
        (safeguards::SYNCHRONIZATION, |_| Vec::new()),
        (human::MODULE, |_| Vec::new()),
        (tracing::MODULE, tracing::check),
        (metrics::MODULE, |_| Vec::new()),
    ];
    for (module, check) in checks {
        if keep(module) {
            registry = registry.with_native_control(module, check);
        }
    }
    registry
}

/// All the native controls.
pub fn all() -> NativeControls {
    let mut n = NativeControls::new();
    register(&mut n);
    n
}
