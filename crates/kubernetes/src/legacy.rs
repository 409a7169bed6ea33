//! The deprecated modules `chaosk8s.actions` and `chaosk8s.probes`: the
//! wrappers they define under names of their own. The functions they
//! merely import or re-export under the same name are listed with the
//! functions themselves. The deprecation warnings the wrappers log are
//! left out.

use chaos_pyvalue::{Map, Value};

use crate::{deployments, pods, replicasets, services, Args, Ctx, Function, Outcome, Rule};

/// The same call with other arguments: what a wrapper passes on.
pub(crate) fn with_args<'b>(ctx: &Ctx<'_>, values: &'b Map<String, Value>) -> Ctx<'b> {
    Ctx {
        args: Args::new(values),
        connection: ctx.connection.clone(),
        cancel: ctx.cancel.clone(),
    }
}

/// The call's arguments, with `defaults` for those not given: a wrapper's
/// own defaults, which differ from its target's.
fn arguments_with(ctx: &Ctx<'_>, names: &[&str], defaults: &[(&str, &str)]) -> Map<String, Value> {
    let mut values = Map::new();
    for name in names {
        if let Some(v) = ctx.args.value(name) {
            values.insert((*name).into(), v.clone());
        }
    }
    for (name, default) in defaults {
        if !ctx.args.given(name) {
            values.insert((*name).into(), Value::String((*default).into()));
        }
    }
    values
}

/// `start_microservice(spec_path, ns="default")`: `create_deployment`.
pub async fn start_microservice(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    deployments::create_deployment(ctx).await
}

/// `scale_microservice(name, replicas, ns="default")`: `scale_deployment`.
pub async fn scale_microservice(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    deployments::scale_deployment(ctx).await
}

/// `remove_service_endpoint(name, ns="default")`: `delete_service`.
pub async fn remove_service_endpoint(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    services::delete_service(ctx).await
}

/// `kill_microservice(name, ns="default", label_selector="name in
/// ({name})")`: deletes the deployment `name`, the replica set `name`, then
/// the first pod whose name contains `name` among those the selector
/// matches. The reference never formats the selector, so with the default
/// an API server refuses the pod listing (a literal `{name}` is no label
/// value) and the action fails after the deployment is gone; pass an
/// explicit `label_selector` to reach the pods.
pub async fn kill_microservice(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let values = arguments_with(
        &ctx,
        &["name", "ns", "label_selector"],
        &[("label_selector", "name in ({name})")],
    );
    deployments::delete_deployment(with_args(&ctx, &values)).await?;
    replicasets::delete_replica_set(with_args(&ctx, &values)).await?;
    pods::delete_pods(with_args(&ctx, &values)).await?;
    Ok(Value::Null)
}

/// `all_microservices_healthy(ns="default")`: `all_pods_healthy`, raising.
pub async fn all_microservices_healthy(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    pods::all_pods_healthy(ctx).await
}

/// `microservice_available_and_healthy(name, ns="default",
/// label_selector=None)`: `deployment_available_and_healthy`, whose answer
/// the reference drops: `None` when healthy, a failure otherwise.
pub async fn microservice_available_and_healthy(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    deployments::deployment_available_and_healthy(ctx)
        .await
        .map(|_| Value::Null)
}

/// `microservice_is_not_available(name, ns="default", label_selector="name
/// in ({name})")`: `pod_is_not_available`, raising.
pub async fn microservice_is_not_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    pods::pod_is_not_available(ctx).await
}

/// `service_endpoint_is_initialized(name, ns="default",
/// label_selector="name in ({name})")`: `service_is_initialized` with that
/// selector unformatted, as the reference passes it.
pub async fn service_endpoint_is_initialized(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let values = arguments_with(
        &ctx,
        &["name", "ns", "label_selector"],
        &[("label_selector", "name in ({name})")],
    );
    services::service_is_initialized(with_args(&ctx, &values)).await
}

/// `deployment_is_not_fully_available(name, ns="default",
/// label_selector=None, timeout=30)`: `deployment_not_fully_available`.
pub async fn deployment_is_not_fully_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    deployments::deployment_not_fully_available(ctx).await
}

/// `deployment_is_fully_available(name, ns="default", label_selector=None,
/// timeout=30)`: `deployment_fully_available`.
pub async fn deployment_is_fully_available(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    deployments::deployment_fully_available(ctx).await
}

const ACTIONS: &[&str] = &["chaosk8s.actions"];
const PROBES: &[&str] = &["chaosk8s.probes"];
const NAME_NS: &[(&str, Option<&str>)] = &[("name", None), ("ns", Some("'default'"))];
const NAME_NS_NAME_IN: &[(&str, Option<&str>)] = &[
    ("name", None),
    ("ns", Some("'default'")),
    ("label_selector", Some("'name in ({name})'")),
];
const WATCH_PARAMS: &[(&str, Option<&str>)] = &[
    ("name", None),
    ("ns", Some("'default'")),
    ("label_selector", Some("None")),
    ("timeout", Some("30")),
];
const DEPLOYMENT_LIST_WATCH: Rule = Rule {
    group: "apps",
    resource: "deployments",
    verbs: &["list", "watch"],
};
const POD_LIST: Rule = Rule {
    group: "",
    resource: "pods",
    verbs: &["list"],
};

/// The functions of these modules, for the catalog.
pub(crate) fn functions() -> Vec<Function> {
    vec![
        Function {
            modules: ACTIONS,
            name: "start_microservice",
            kind: "action",
            params: &[("spec_path", None), ("ns", Some("'default'"))],
            rules: &[Rule {
                group: "apps",
                resource: "deployments",
                verbs: &["create"],
            }],
            handler: handler!(start_microservice),
        },
        Function {
            modules: ACTIONS,
            name: "kill_microservice",
            kind: "action",
            params: NAME_NS_NAME_IN,
            rules: &[
                Rule {
                    group: "apps",
                    resource: "deployments",
                    verbs: &["list", "delete"],
                },
                Rule {
                    group: "apps",
                    resource: "replicasets",
                    verbs: &["list", "delete"],
                },
                Rule {
                    group: "",
                    resource: "pods",
                    verbs: &["list", "delete"],
                },
            ],
            handler: handler!(kill_microservice),
        },
        Function {
            modules: ACTIONS,
            name: "scale_microservice",
            kind: "action",
            params: &[
                ("name", None),
                ("replicas", None),
                ("ns", Some("'default'")),
            ],
            rules: &[Rule {
                group: "apps",
                resource: "deployments",
                verbs: &["patch"],
            }],
            handler: handler!(scale_microservice),
        },
        Function {
            modules: ACTIONS,
            name: "remove_service_endpoint",
            kind: "action",
            params: NAME_NS,
            rules: &[Rule {
                group: "",
                resource: "services",
                verbs: &["delete"],
            }],
            handler: handler!(remove_service_endpoint),
        },
        Function {
            modules: PROBES,
            name: "all_microservices_healthy",
            kind: "probe",
            params: &[("ns", Some("'default'"))],
            rules: &[POD_LIST],
            handler: handler!(all_microservices_healthy),
        },
        Function {
            modules: PROBES,
            name: "microservice_available_and_healthy",
            kind: "probe",
            params: &[
                ("name", None),
                ("ns", Some("'default'")),
                ("label_selector", Some("None")),
            ],
            rules: &[Rule {
                group: "apps",
                resource: "deployments",
                verbs: &["list"],
            }],
            handler: handler!(microservice_available_and_healthy),
        },
        Function {
            modules: PROBES,
            name: "microservice_is_not_available",
            kind: "probe",
            params: NAME_NS_NAME_IN,
            rules: &[POD_LIST],
            handler: handler!(microservice_is_not_available),
        },
        Function {
            modules: PROBES,
            name: "service_endpoint_is_initialized",
            kind: "probe",
            params: NAME_NS_NAME_IN,
            rules: &[Rule {
                group: "",
                resource: "services",
                verbs: &["list"],
            }],
            handler: handler!(service_endpoint_is_initialized),
        },
        Function {
            modules: PROBES,
            name: "deployment_is_not_fully_available",
            kind: "probe",
            params: WATCH_PARAMS,
            rules: &[DEPLOYMENT_LIST_WATCH],
            handler: handler!(deployment_is_not_fully_available),
        },
        Function {
            modules: PROBES,
            name: "deployment_is_fully_available",
            kind: "probe",
            params: WATCH_PARAMS,
            rules: &[DEPLOYMENT_LIST_WATCH],
            handler: handler!(deployment_is_fully_available),
        },
        Function {
            modules: PROBES,
            name: "read_microservices_logs",
            kind: "probe",
            params: &[
                ("name", Some("None")),
                ("last", Some("None")),
                ("ns", Some("'default'")),
                ("from_previous", Some("False")),
                ("label_selector", Some("'name in ({name})'")),
                ("container_name", Some("None")),
            ],
            rules: &[
                POD_LIST,
                Rule {
                    group: "",
                    resource: "pods/log",
                    verbs: &["get"],
                },
            ],
            handler: handler!(pods::read_pod_logs),
        },
    ]
}

#[cfg(test)]
mod tests {
    use crate::catalog;

    #[test]
    fn the_legacy_modules_expose_their_wrappers_and_what_they_import() {
        let expected = [
            (
                "chaosk8s.actions",
                &[
                    "start_microservice",
                    "kill_microservice",
                    "scale_microservice",
                    "remove_service_endpoint",
                    "create_deployment",
                    "delete_deployment",
                    "scale_deployment",
                    "delete_pods",
                    "delete_replica_set",
                    "delete_service",
                ][..],
            ),
            (
                "chaosk8s.probes",
                &[
                    "all_microservices_healthy",
                    "microservice_available_and_healthy",
                    "microservice_is_not_available",
                    "service_endpoint_is_initialized",
                    "deployment_is_not_fully_available",
                    "deployment_is_fully_available",
                    "read_microservices_logs",
                    "secret_exists",
                    "deployment_available_and_healthy",
                    "deployment_fully_available",
                    "deployment_not_fully_available",
                    "all_pods_healthy",
                    "pod_is_not_available",
                    "read_pod_logs",
                    "service_is_initialized",
                ][..],
            ),
        ];
        for (module, names) in expected {
            for name in names {
                let found = catalog()
                    .iter()
                    .filter(|f| f.name == *name && f.modules.contains(&module))
                    .count();
                assert_eq!(found, 1, "{module}.{name}");
            }
        }
    }

    #[test]
    fn each_module_exposes_a_name_once() {
        let mut seen = std::collections::HashSet::new();
        for f in catalog() {
            for m in f.modules {
                assert!(seen.insert((*m, f.name)), "{m}.{} listed twice", f.name);
            }
        }
    }
}
