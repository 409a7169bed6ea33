//! The cluster state behind one mutex, and the write paths every client
//! goes through (HTTP handlers, `FakeCluster::apply`, controllers):
//! metadata filling, defaulting, optimistic concurrency, status
//! subresource semantics, finalizers and cascading deletes.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::{broadcast, Notify};

use crate::defaults;
use crate::patch::{self, JsonPatchError};
use crate::resources::{Registry, ResourceDef};
use crate::status::ApiError;
use crate::store::{Store, StoreEvent};
use crate::util::{self, at, name_of, namespace_of, obj_at, str_at, uid_of, Rng};
use crate::RequestRecord;

pub(crate) struct State {
    pub store: Store,
    pub registry: Registry,
    pub rng: Rng,
    pub token: Option<String>,
    pub user: String,
    /// Authorize requests by the stored RBAC objects (`enforce_rbac`).
    pub rbac: bool,
    pub forbidden: Vec<(String, String, String)>,
    pub requests: Vec<RequestRecord>,
    pub controller_delay: Duration,
    /// How long a scheduled pod stays Pending (ContainerCreating) before
    /// it runs; zero: at once.
    pub pod_startup: Duration,
    /// Pods being started, by uid, with the moment they run.
    pub starting: std::collections::HashMap<String, std::time::Instant>,
    /// What `pods/exec` commands do (`FakeCluster::set_exec`).
    pub exec: Option<crate::exec::ExecHandler>,
    next_cluster_ip: u32,
    pub next_pod_ip: u32,
}

/// Shared between the server thread, its tasks and the `FakeCluster`
/// handle. `wake` tells the controllers that a client wrote something.
pub(crate) struct Shared {
    state: Mutex<State>,
    pub wake: Notify,
}

impl Shared {
    pub(crate) fn new() -> Arc<Shared> {
        let (tx, _) = broadcast::channel::<Arc<StoreEvent>>(8192);
        let mut st = State {
            store: Store::new(tx),
            registry: Registry::new(),
            rng: Rng::from_entropy(),
            token: None,
            user: "system:serviceaccount:default:default".into(),
            rbac: false,
            forbidden: vec![],
            requests: vec![],
            controller_delay: Duration::from_millis(300),
            pod_startup: Duration::ZERO,
            starting: std::collections::HashMap::new(),
            exec: None,
            next_cluster_ip: 1,
            next_pod_ip: 10,
        };
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            st.ensure_namespace(ns);
        }
        Arc::new(Shared {
            state: Mutex::new(st),
            wake: Notify::new(),
        })
    }

    /// A panic elsewhere must not take the whole fake down with poison.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Options common to writes coming over HTTP.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WriteOpts {
    /// Client writes (HTTP) get API-server semantics: status is ignored on
    /// create/update of types with a status subresource. `apply()` from a
    /// test and controllers write everything as given.
    pub api: bool,
    pub dry_run: bool,
}

fn spec_part(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    v
}

impl State {
    pub(crate) fn def_for(&self, api_version: &str, kind: &str) -> Option<ResourceDef> {
        self.registry
            .by_api_version_kind(api_version, kind)
            .cloned()
    }

    pub(crate) fn ensure_namespace(&mut self, ns: &str) {
        if ns.is_empty() || self.store.get("", "namespaces", "", ns).is_some() {
            return;
        }
        let def = self.def_for("v1", "Namespace").expect("builtin");
        let _ = self.create(
            &def,
            "",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            WriteOpts::default(),
        );
    }

    fn cluster_ip(&mut self) -> String {
        let n = self.next_cluster_ip;
        self.next_cluster_ip += 1;
        format!("10.96.{}.{}", n / 250, n % 250 + 1)
    }

    /// Metadata the server owns on create, plus defaults.
    fn prepare_new(
        &mut self,
        def: &ResourceDef,
        ns: &str,
        mut obj: Value,
        opts: WriteOpts,
    ) -> Result<Value, ApiError> {
        if !obj.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request must be a JSON object",
            ));
        }
        self.check_type(def, &obj)?;
        let m = obj.as_object_mut().expect("object");
        m.insert("apiVersion".into(), json!(def.api_version()));
        m.insert("kind".into(), json!(def.kind));
        // Keep `apiVersion, kind, metadata` first, as the server serialises.
        let mut ordered = Map::new();
        for k in ["apiVersion", "kind", "metadata"] {
            if let Some(v) = m.remove(k) {
                ordered.insert(k.into(), v);
            }
        }
        ordered.append(m);
        let mut obj = Value::Object(ordered);
        let md = obj_at(&mut obj, &["metadata"]);
        let body_ns = md
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if def.namespaced {
            if !body_ns.is_empty() && body_ns != ns {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            md.insert("namespace".into(), json!(ns));
        } else {
            md.remove("namespace");
        }
        let mut name = md
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if name.is_empty() {
            let generate = md
                .get("generateName")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if generate.is_empty() {
                return Err(ApiError::invalid(
                    &def.kind,
                    &def.group,
                    "",
                    "metadata.name",
                    "Required value: name or generateName is required",
                ));
            }
            loop {
                let candidate = format!("{generate}{}", self.rng.suffix(5));
                if self
                    .store
                    .get(&def.group, &def.plural, ns, &candidate)
                    .is_none()
                {
                    name = candidate;
                    break;
                }
            }
        }
        if let Some(why) = defaults::validate_name(&def.kind, &name) {
            return Err(ApiError::invalid(
                &def.kind,
                &def.group,
                &name,
                "metadata.name",
                &why,
            ));
        }
        let uid = self.rng.uuid();
        let md = obj_at(&mut obj, &["metadata"]);
        md.insert("name".into(), json!(name));
        md.insert("uid".into(), json!(uid));
        md.insert("creationTimestamp".into(), json!(util::now_ts()));
        md.insert("generation".into(), json!(1));
        md.remove("resourceVersion");
        md.remove("deletionTimestamp");
        md.remove("deletionGracePeriodSeconds");
        if opts.api && def.has_sub("status") && def.kind != "Node" {
            if let Some(m) = obj.as_object_mut() {
                m.remove("status");
            }
        }
        let mut ip = || self.cluster_ip();
        defaults::apply(&def.kind, &mut obj, &mut ip);
        if def.kind == "Pod" && obj.get("status").is_none_or(|s| s.get("phase").is_none()) {
            let qos = defaults::qos_class(&obj);
            let st = obj_at(&mut obj, &["status"]);
            st.insert("phase".into(), json!("Pending"));
            st.insert("qosClass".into(), json!(qos));
        }
        self.validate(def, &obj)?;
        if def.kind == "CustomResourceDefinition" {
            crd_status(&mut obj);
        }
        Ok(obj)
    }

    fn check_type(&self, def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
        check_meta(obj)?;
        if let Some(kind) = obj
            .get("kind")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
        {
            if kind != def.kind {
                return Err(ApiError::bad_request(format!(
                    "the kind of the provided object ({kind}) does not match the kind of the resource ({})",
                    def.kind
                )));
            }
        }
        if let Some(av) = obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
        {
            let (g, _) = crate::resources::split_api_version(av);
            if g != def.group {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({av}) does not match the expected API version ({})",
                    def.api_version()
                )));
            }
        }
        Ok(())
    }

    /// The validation a client is likely to trip over; everything else is
    /// accepted as stored.
    fn validate(&self, def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
        let name = name_of(obj);
        let invalid =
            |field: &str, why: &str| ApiError::invalid(&def.kind, &def.group, name, field, why);
        match def.kind.as_str() {
            "Pod"
                if at(obj, &["spec", "containers"])
                    .and_then(Value::as_array)
                    .is_none_or(Vec::is_empty) =>
            {
                return Err(invalid("spec.containers", "Required value"));
            }
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => {
                let Some(sel) = at(obj, &["spec", "selector"]).filter(|s| s.is_object()) else {
                    return Err(invalid("spec.selector", "Required value"));
                };
                let labels = at(obj, &["spec", "template", "metadata", "labels"])
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let ok = crate::selectors::LabelSelector::from_object(sel)
                    .is_some_and(|s| !s.is_empty() && s.matches(&labels));
                if !ok {
                    return Err(invalid(
                        "spec.template.metadata.labels",
                        "Invalid value: map[string]string{...}: `selector` does not match template `labels`",
                    ));
                }
                match at(obj, &["spec", "replicas"]) {
                    None | Some(Value::Null) => {}
                    Some(r) => match r.as_i64().filter(|r| i32::try_from(*r).is_ok()) {
                        // A replica count the Go types cannot hold fails
                        // decoding, before validation.
                        None => {
                            return Err(ApiError::bad_request(format!(
                                "json: cannot unmarshal {r} into Go struct field {}Spec.spec.replicas of type int32",
                                def.kind
                            )))
                        }
                        Some(r) if r < 0 => {
                            return Err(invalid(
                                "spec.replicas",
                                &format!("Invalid value: {r}: must be greater than or equal to 0"),
                            ))
                        }
                        Some(_) => {}
                    },
                }
            }
            "CustomResourceDefinition" => {
                let group = str_at(obj, &["spec", "group"]).unwrap_or("");
                let plural = str_at(obj, &["spec", "names", "plural"]).unwrap_or("");
                if group.is_empty()
                    || plural.is_empty()
                    || str_at(obj, &["spec", "names", "kind"]).is_none()
                {
                    return Err(invalid(
                        "spec",
                        "Required value: group, names.plural and names.kind are required",
                    ));
                }
                if name != format!("{plural}.{group}") {
                    return Err(invalid(
                        "metadata.name",
                        &format!(
                            "Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"
                        ),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn require_namespace(&self, def: &ResourceDef, ns: &str) -> Result<(), ApiError> {
        if def.namespaced && self.store.get("", "namespaces", "", ns).is_none() {
            return Err(ApiError::not_found("", "namespaces", ns));
        }
        Ok(())
    }

    pub(crate) fn create(
        &mut self,
        def: &ResourceDef,
        ns: &str,
        obj: Value,
        opts: WriteOpts,
    ) -> Result<Value, ApiError> {
        let obj = self.prepare_new(def, ns, obj, opts)?;
        let name = name_of(&obj).to_string();
        if opts.api {
            self.require_namespace(def, ns)?;
        } else {
            self.ensure_namespace(ns);
        }
        if self.store.get(&def.group, &def.plural, ns, &name).is_some() {
            return Err(ApiError::already_exists(&def.group, &def.plural, &name));
        }
        if opts.dry_run {
            return Ok(obj);
        }
        let stored = self.store.put(&def.group, &def.plural, obj);
        self.after_write(def);
        Ok(stored)
    }

    /// PUT semantics (also the tail of every patch).
    pub(crate) fn replace(
        &mut self,
        def: &ResourceDef,
        ns: &str,
        name: &str,
        body: Value,
        sub: Option<&str>,
        opts: WriteOpts,
    ) -> Result<Value, ApiError> {
        let ns = if def.namespaced { ns } else { "" };
        // Body checks come before the lookup, as in the update handler.
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request must be a JSON object",
            ));
        }
        if sub.is_none() {
            self.check_type(def, &body)?;
        }
        let body_name = str_at(&body, &["metadata", "name"]).unwrap_or("");
        if !body_name.is_empty() && body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        let body_ns = str_at(&body, &["metadata", "namespace"]).unwrap_or("");
        if def.namespaced && !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let Some(old) = self.store.get(&def.group, &def.plural, ns, name).cloned() else {
            return Err(ApiError::not_found(&def.group, &def.plural, name));
        };
        let old_rv = str_at(&old, &["metadata", "resourceVersion"]).unwrap_or("");
        let body_rv = str_at(&body, &["metadata", "resourceVersion"]).unwrap_or("");
        if !body_rv.is_empty() && body_rv != old_rv {
            return Err(ApiError::stale(&def.group, &def.plural, name));
        }
        let mut new = match sub {
            Some("status") => {
                let mut n = old.clone();
                let status = body.get("status").cloned().unwrap_or(json!({}));
                obj_at(&mut n, &[]).insert("status".into(), status);
                n
            }
            _ => {
                let mut n = body;
                if opts.api && def.has_sub("status") {
                    let m = obj_at(&mut n, &[]);
                    match old.get("status") {
                        Some(s) => m.insert("status".into(), s.clone()),
                        None => m.remove("status"),
                    };
                }
                n
            }
        };
        let m = obj_at(&mut new, &[]);
        m.insert("apiVersion".into(), json!(def.api_version()));
        m.insert("kind".into(), json!(def.kind));
        let md = obj_at(&mut new, &["metadata"]);
        md.insert("name".into(), json!(name));
        if def.namespaced {
            md.insert("namespace".into(), json!(ns));
        }
        for k in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            match at(&old, &["metadata", k]) {
                Some(v) => md.insert(k.into(), v.clone()),
                None => md.remove(k),
            };
        }
        let old_gen = util::int_at(&old, &["metadata", "generation"]).unwrap_or(1);
        let gen = if spec_part(&old) != spec_part(&new) {
            old_gen + 1
        } else {
            old_gen
        };
        obj_at(&mut new, &["metadata"]).insert("generation".into(), json!(gen));
        let mut ip = || String::new();
        if def.kind == "Service" {
            // Keep the allocated IP: clients that PUT without it must not
            // trigger a new allocation.
            if let Some(ipv) = at(&old, &["spec", "clusterIP"]).cloned() {
                let spec = obj_at(&mut new, &["spec"]);
                if spec
                    .get("clusterIP")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    spec.insert("clusterIP".into(), ipv);
                }
            }
        }
        defaults::apply(&def.kind, &mut new, &mut ip);
        self.validate(def, &new)?;
        if def.kind == "CustomResourceDefinition" && sub.is_none() {
            crd_status(&mut new);
        }
        // Finalizers gone on an object being deleted: now it really goes.
        let terminating = at(&new, &["metadata", "deletionTimestamp"]).is_some();
        let finalizers_left = at(&new, &["metadata", "finalizers"])
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        if opts.dry_run {
            return Ok(new);
        }
        if terminating && !finalizers_left {
            self.store.remove(&def.group, &def.plural, ns, name);
            self.after_delete(def, &new);
            return Ok(new);
        }
        if util::same_ignoring_rv(&old, &new) {
            return Ok(old);
        }
        let stored = self.store.put(&def.group, &def.plural, new);
        self.after_write(def);
        Ok(stored)
    }

    /// PATCH: computes the patched object, then goes through `replace`
    /// (so a resourceVersion in the patch is a precondition).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn patch(
        &mut self,
        def: &ResourceDef,
        ns: &str,
        name: &str,
        content_type: &str,
        body: &[u8],
        sub: Option<&str>,
        opts: WriteOpts,
    ) -> Result<Value, ApiError> {
        let ns = if def.namespaced { ns } else { "" };
        let Some(old) = self.store.get(&def.group, &def.plural, ns, name).cloned() else {
            return Err(ApiError::not_found(&def.group, &def.plural, name));
        };
        let media = content_type.split(';').next().unwrap_or("").trim();
        if def.custom && media.eq_ignore_ascii_case("application/strategic-merge-patch+json") {
            // Custom resources have no patch strategy to merge by.
            return Err(ApiError::unsupported_media_type(
                media,
                &[
                    "application/json-patch+json",
                    "application/merge-patch+json",
                    "application/apply-patch+yaml",
                ],
            ));
        }
        let patched = apply_patch(&old, content_type, body)?;
        self.replace(def, ns, name, patched, sub, opts)
    }

    /// DELETE of one object, with `DeleteOptions` semantics that matter to
    /// clients: preconditions, dryRun, propagationPolicy, finalizers.
    pub(crate) fn delete(
        &mut self,
        def: &ResourceDef,
        ns: &str,
        name: &str,
        options: &Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let ns = if def.namespaced { ns } else { "" };
        let Some(old) = self.store.get(&def.group, &def.plural, ns, name).cloned() else {
            return Err(ApiError::not_found(&def.group, &def.plural, name));
        };
        if let Some(uid) = str_at(options, &["preconditions", "uid"]) {
            if uid != uid_of(&old) {
                return Err(ApiError::conflict(
                    &def.group,
                    &def.plural,
                    name,
                    &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        uid_of(&old)
                    ),
                ));
            }
        }
        if let Some(rv) = str_at(options, &["preconditions", "resourceVersion"]) {
            let cur = str_at(&old, &["metadata", "resourceVersion"]).unwrap_or("");
            if rv != cur {
                return Err(ApiError::conflict(
                    &def.group,
                    &def.plural,
                    name,
                    &format!(
                        "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {cur}"
                    ),
                ));
            }
        }
        if def.kind == "Namespace" && matches!(name, "default" | "kube-system" | "kube-public") {
            return Err(ApiError::forbidden(
                "",
                "namespaces",
                name,
                "this namespace may not be deleted",
            ));
        }
        if dry_run
            || options
                .get("dryRun")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        {
            return Ok(old);
        }
        let now = util::now_ts();
        let finalizers = at(&old, &["metadata", "finalizers"])
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        if finalizers && def.kind != "Namespace" {
            if at(&old, &["metadata", "deletionTimestamp"]).is_some() {
                return Ok(old);
            }
            let mut t = old.clone();
            obj_at(&mut t, &["metadata"]).insert("deletionTimestamp".into(), json!(now));
            obj_at(&mut t, &["metadata"]).insert("deletionGracePeriodSeconds".into(), json!(0));
            return Ok(self.store.put(&def.group, &def.plural, t));
        }
        if str_at(options, &["propagationPolicy"]) == Some("Orphan")
            || options.get("orphanDependents").and_then(Value::as_bool) == Some(true)
        {
            self.orphan_dependents(uid_of(&old));
        }
        let mut last = old.clone();
        if def.kind == "Pod" {
            // A graceful pod delete is first visible as a MODIFIED event
            // with deletionTimestamp, then the kubelet removes it.
            let grace = util::int_at(options, &["gracePeriodSeconds"])
                .or_else(|| util::int_at(&old, &["spec", "terminationGracePeriodSeconds"]))
                .unwrap_or(30);
            if grace > 0 {
                let md = obj_at(&mut last, &["metadata"]);
                md.insert("deletionTimestamp".into(), json!(now));
                md.insert("deletionGracePeriodSeconds".into(), json!(grace));
                last = self.store.put(&def.group, &def.plural, last);
            }
        }
        if def.kind == "Namespace" {
            self.delete_namespace_contents(name);
            let md = obj_at(&mut last, &["metadata"]);
            md.insert("deletionTimestamp".into(), json!(now));
            obj_at(&mut last, &["status"]).insert("phase".into(), json!("Terminating"));
        }
        let gone = self
            .store
            .remove(&def.group, &def.plural, ns, name)
            .unwrap_or(last.clone());
        self.after_delete(def, &gone);
        if def.kind == "Namespace" {
            return Ok(last);
        }
        Ok(gone)
    }

    fn orphan_dependents(&mut self, owner_uid: &str) {
        for (g, p, mut obj) in self.store.all_objects() {
            let Some(refs) = at(&obj, &["metadata", "ownerReferences"]).and_then(Value::as_array)
            else {
                continue;
            };
            if !refs
                .iter()
                .any(|r| r.get("uid").and_then(Value::as_str) == Some(owner_uid))
            {
                continue;
            }
            let kept: Vec<Value> = refs
                .iter()
                .filter(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid))
                .cloned()
                .collect();
            obj_at(&mut obj, &["metadata"]).insert("ownerReferences".into(), json!(kept));
            if kept.is_empty() {
                obj_at(&mut obj, &["metadata"]).remove("ownerReferences");
            }
            self.store.put(&g, &p, obj);
        }
    }

    fn delete_namespace_contents(&mut self, ns: &str) {
        for (g, p) in self.store.kinds_in_namespace(ns) {
            for obj in self.store.list_cloned(&g, &p, Some(ns)) {
                self.store.remove(&g, &p, ns, name_of(&obj));
            }
        }
    }

    fn after_write(&mut self, def: &ResourceDef) {
        if def.kind == "CustomResourceDefinition" && def.group == "apiextensions.k8s.io" {
            self.refresh_crds();
        }
    }

    fn after_delete(&mut self, def: &ResourceDef, obj: &Value) {
        if def.kind == "CustomResourceDefinition" && def.group == "apiextensions.k8s.io" {
            let group = str_at(obj, &["spec", "group"]).unwrap_or("").to_string();
            let plural = str_at(obj, &["spec", "names", "plural"])
                .unwrap_or("")
                .to_string();
            for cr in self.store.list_cloned(&group, &plural, None) {
                self.store
                    .remove(&group, &plural, namespace_of(&cr), name_of(&cr));
            }
            self.refresh_crds();
        }
    }

    fn refresh_crds(&mut self) {
        let crds =
            self.store
                .list_cloned("apiextensions.k8s.io", "customresourcedefinitions", None);
        self.registry.set_crds(crds.iter());
    }

    /// Create-or-replace for `FakeCluster::apply`: everything as given,
    /// including status.
    pub(crate) fn apply(&mut self, obj: Value) -> Result<Value, ApiError> {
        // Stored once, as core Events (see `events`).
        let obj = if obj.get("apiVersion").and_then(Value::as_str) == Some("events.k8s.io/v1") {
            crate::events::to_core(&obj)
        } else {
            obj
        };
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        let Some(def) = self.def_for(api_version, kind) else {
            return Err(ApiError::bad_request(format!(
                "no kind \"{kind}\" is registered for version \"{api_version}\""
            )));
        };
        let ns = if def.namespaced {
            let n = namespace_of(&obj);
            if n.is_empty() {
                "default".to_string()
            } else {
                n.to_string()
            }
        } else {
            String::new()
        };
        let name = name_of(&obj).to_string();
        let mut obj = obj;
        if def.namespaced {
            obj_at(&mut obj, &["metadata"]).insert("namespace".into(), json!(ns));
        }
        if !name.is_empty()
            && self
                .store
                .get(&def.group, &def.plural, &ns, &name)
                .is_some()
        {
            if let Some(md) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                md.remove("resourceVersion");
            }
            self.replace(&def, &ns, &name, obj, None, WriteOpts::default())
        } else {
            self.create(&def, &ns, obj, WriteOpts::default())
        }
    }

    /// Whether `verb` on `group`/`resource` (with optional subresource) is
    /// forbidden by `FakeCluster::forbid`.
    pub(crate) fn is_forbidden(&self, verb: &str, group: &str, resource: &str, sub: &str) -> bool {
        let full = if sub.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}/{sub}")
        };
        self.forbidden.iter().any(|(v, g, r)| {
            (v == "*" || v == verb)
                && (g == "*" || g == group)
                && (r == "*" || *r == full || (sub.is_empty() && *r == resource))
        })
    }
}

/// Rejects `metadata` fields of the wrong JSON type, as decoding into
/// `ObjectMeta` would, instead of silently treating them as absent.
pub(crate) fn check_meta(obj: &Value) -> Result<(), ApiError> {
    let Some(md) = obj.get("metadata") else {
        return Ok(());
    };
    let bad = |field: &str, ty: &str, got: &Value| {
        let got = match got {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        Err(ApiError::bad_request(format!(
            "json: cannot unmarshal {got} into Go struct field ObjectMeta.metadata{field} of type {ty}"
        )))
    };
    let Some(m) = md.as_object() else {
        return if md.is_null() {
            Ok(())
        } else {
            bad("", "v1.ObjectMeta", md)
        };
    };
    for key in [
        "name",
        "namespace",
        "generateName",
        "resourceVersion",
        "uid",
    ] {
        if let Some(v) = m.get(key).filter(|v| !v.is_null() && !v.is_string()) {
            return bad(&format!(".{key}"), "string", v);
        }
    }
    for key in ["labels", "annotations"] {
        match m.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                if let Some(v) = map.values().find(|v| !v.is_string()) {
                    return bad(&format!(".{key}"), "string", v);
                }
            }
            Some(v) => return bad(&format!(".{key}"), "map[string]string", v),
        }
    }
    Ok(())
}

/// Applies a PATCH body of the given content type to `old`.
pub(crate) fn apply_patch(old: &Value, content_type: &str, body: &[u8]) -> Result<Value, ApiError> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    const ACCEPTED: &[&str] = &[
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    ];
    let parse = || -> Result<Value, ApiError> {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
    };
    match media.as_str() {
        "application/merge-patch+json" => {
            let p = parse()?;
            if !p.is_object() {
                return Err(ApiError::bad_request(
                    "error decoding patch: merge patch must be a JSON object",
                ));
            }
            let mut t = old.clone();
            patch::merge_patch(&mut t, &p);
            Ok(t)
        }
        "application/strategic-merge-patch+json" => {
            let p = parse()?;
            if !p.is_object() {
                return Err(ApiError::bad_request(
                    "error decoding patch: strategic merge patch must be a JSON object",
                ));
            }
            let mut t = old.clone();
            patch::strategic_merge_patch(&mut t, &p).map_err(ApiError::bad_request)?;
            Ok(t)
        }
        "application/json-patch+json" => {
            let p = parse()?;
            patch::json_patch(old, &p).map_err(|e| match e {
                JsonPatchError::Malformed(m) => ApiError::bad_request(m),
                JsonPatchError::NotApplicable(m) => ApiError::new(422, "Invalid", m),
            })
        }
        other => Err(ApiError::unsupported_media_type(other, ACCEPTED)),
    }
}

/// A CRD is Established and its names accepted as soon as it is stored.
fn crd_status(crd: &mut Value) {
    let names = at(crd, &["spec", "names"]).cloned().unwrap_or(json!({}));
    let storage: Vec<Value> = at(crd, &["spec", "versions"])
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage").and_then(Value::as_bool).unwrap_or(false))
                .filter_map(|v| v.get("name").cloned())
                .collect()
        })
        .unwrap_or_default();
    let now = util::now_ts();
    let st = obj_at(crd, &["status"]);
    st.insert("acceptedNames".into(), names);
    st.insert("storedVersions".into(), json!(storage));
    st.insert(
        "conditions".into(),
        json!([
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": now, "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"}
        ]),
    );
}
