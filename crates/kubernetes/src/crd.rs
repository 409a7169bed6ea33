//! `chaosk8s.crd.actions` and `chaosk8s.crd.probes`: custom objects by
//! group, version and plural, namespaced or cluster-wide, returned as the
//! API server wrote them.
//!
//! Their RBAC rules depend on the arguments, so the catalog writes them
//! with placeholders: `{group}` and `{plural}` stand for the arguments of
//! those names, `{resource.group}` and `{resource.plural}` for what
//! `apply_from_json`/`apply_from_yaml` derive from the resource's
//! `apiVersion` and `kind`.

use chaos_pyvalue::{py_str, Value};
use http::Method;

use crate::raw::{self, Failure, JSON, JSON_PATCH, MERGE};
use crate::{api_failure, Ctx, Function, Outcome, Rule};

/// Where a custom object lives.
pub(crate) struct Target {
    pub group: String,
    pub version: String,
    pub plural: String,
    /// None: cluster-scoped.
    pub ns: Option<String>,
}

impl Target {
    /// From the `group`, `version`, `plural` (and, when `namespaced`, `ns`)
    /// arguments.
    fn from_args(ctx: &Ctx<'_>, func: &str, namespaced: bool) -> Result<Target, Outcome> {
        Ok(Target {
            group: ctx.args.required_str("group", func)?,
            version: ctx.args.required_str("version", func)?,
            plural: ctx.args.required_str("plural", func)?,
            ns: namespaced.then(|| ctx.args.str_or("ns", "default")),
        })
    }

    fn collection(&self) -> String {
        let mut path = format!(
            "/apis/{}/{}",
            raw::segment(&self.group),
            raw::segment(&self.version)
        );
        if let Some(ns) = &self.ns {
            path.push_str(&format!("/namespaces/{}", raw::segment(ns)));
        }
        path.push('/');
        path.push_str(&raw::segment(&self.plural));
        path
    }

    fn object(&self, name: &str) -> Result<String, Outcome> {
        Ok(format!(
            "{}/{}",
            self.collection(),
            raw::object_name(name, "custom object")?
        ))
    }
}

/// The reference's `ActivityFailed(f"Failed to {verb} custom resource
/// object: '{x.reason}' {x.body}")`, except that a 403 says which
/// permission is missing and an unreachable server says so.
fn failure(ctx: &Ctx<'_>, f: &Failure, verb: &str, what: &str, t: &Target) -> Outcome {
    match f.code {
        Some(403) | None => api_failure(ctx, &f.error, verb, &t.plural, t.ns.as_deref()),
        Some(_) => Outcome::Failed(format!(
            "Failed to {what} custom resource object: '{}' {}",
            f.reason(),
            f.body.trim_end()
        )),
    }
}

/// The reference's `load_body(resource, resource_as_yaml_file)`.
fn load_body(ctx: &Ctx<'_>) -> Result<Value, Outcome> {
    if let Some(body) = ctx.args.value("resource") {
        return Ok(body.clone());
    }
    let Some(path) = ctx
        .args
        .opt_str("resource_as_yaml_file")
        .filter(|p| !p.is_empty())
    else {
        return Err(Outcome::Failed(
            "Either `body_as_object` or `body_as_yaml_file` must be set".into(),
        ));
    };
    if !std::path::Path::new(&path).is_file() {
        return Err(Outcome::Failed(format!(
            "Path '{path}' is not a valid resource file"
        )));
    }
    let bytes =
        std::fs::read(&path).map_err(|e| Outcome::Failed(format!("cannot read '{path}': {e}")))?;
    // Any extension: JSON is YAML too.
    parse_yaml(&bytes, &path)
}

fn parse_yaml(bytes: &[u8], origin: &str) -> Result<Value, Outcome> {
    chaos_experiment::Document::parse(bytes, chaos_experiment::Format::Yaml, origin)
        .map(|d| d.value)
        .map_err(|e| Outcome::Failed(format!("cannot parse {origin} as YAML: {e}")))
}

/// POSTs a custom object. An object that already exists is not an error:
/// the answer is then the 409 `Status`, as in the reference.
pub(crate) async fn create(ctx: &Ctx<'_>, t: &Target, body: &Value) -> Result<Value, Outcome> {
    match raw::send(ctx, Method::POST, &t.collection(), Some(JSON), Some(body)).await {
        Ok(v) => Ok(v),
        Err(f) if f.code == Some(409) => Ok(f.body_json()),
        Err(f) => Err(failure(ctx, &f, "create", "create", t)),
    }
}

/// DELETEs a custom object (no body); returns the answer.
pub(crate) async fn delete(ctx: &Ctx<'_>, t: &Target, name: &str) -> Result<Value, Outcome> {
    raw::send(ctx, Method::DELETE, &t.object(name)?, None, None)
        .await
        .map_err(|f| failure(ctx, &f, "delete", "delete", t))
}

/// GETs one custom object, or (no name) the list object.
pub(crate) async fn get(ctx: &Ctx<'_>, t: &Target, name: Option<&str>) -> Result<Value, Outcome> {
    let (path, verb) = match name {
        Some(n) => (t.object(n)?, "get"),
        None => (t.collection(), "list"),
    };
    // "create": the reference's wording for every probe of this module.
    raw::send(ctx, Method::GET, &path, None, None)
        .await
        .map_err(|f| failure(ctx, &f, verb, "create", t))
}

/// `create_custom_object(group, version, plural, ns="default",
/// resource=None, resource_as_yaml_file=None)`: the created object.
pub async fn create_custom_object(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let t = Target::from_args(&ctx, "create_custom_object", true)?;
    let body = load_body(&ctx)?;
    create(&ctx, &t, &body).await
}

/// `create_cluster_custom_object(group, version, plural, resource=None,
/// resource_as_yaml_file=None)`.
pub async fn create_cluster_custom_object(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let t = Target::from_args(&ctx, "create_cluster_custom_object", false)?;
    let body = load_body(&ctx)?;
    create(&ctx, &t, &body).await
}

/// `delete_custom_object(group, version, plural, name, ns="default")`.
pub async fn delete_custom_object(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let t = Target::from_args(&ctx, "delete_custom_object", true)?;
    let name = ctx.args.required_str("name", "delete_custom_object")?;
    delete(&ctx, &t, &name).await
}

/// `delete_cluster_custom_object(group, version, plural, name)`.
pub async fn delete_cluster_custom_object(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let t = Target::from_args(&ctx, "delete_cluster_custom_object", false)?;
    let name = ctx
        .args
        .required_str("name", "delete_cluster_custom_object")?;
    delete(&ctx, &t, &name).await
}

async fn patch(ctx: &Ctx<'_>, func: &str, namespaced: bool) -> Result<Value, Outcome> {
    let t = Target::from_args(ctx, func, namespaced)?;
    let name = ctx.args.required_str("name", func)?;
    let body = load_body(ctx)?;
    // A list is a JSON Patch, as documented. The reference sends a mapping
    // as a strategic merge patch, which custom resources refuse (415); a
    // merge patch is what such a body can only mean.
    let content_type = if body.is_array() { JSON_PATCH } else { MERGE };
    raw::send(
        ctx,
        Method::PATCH,
        &t.object(&name)?,
        Some(content_type),
        Some(&body),
    )
    .await
    .map_err(|f| failure(ctx, &f, "patch", "patch", &t))
}

/// `patch_custom_object(group, version, plural, name, ns="default",
/// force=False, resource=None, resource_as_yaml_file=None)`: `resource` is
/// a JSON Patch (a list of operations); `force` is ignored, as in the
/// reference. Returns the patched object.
pub async fn patch_custom_object(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    patch(&ctx, "patch_custom_object", true).await
}

/// `patch_cluster_custom_object(group, version, plural, name, force=False,
/// resource=None, resource_as_yaml_file=None)`.
pub async fn patch_cluster_custom_object(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    patch(&ctx, "patch_cluster_custom_object", false).await
}

/// The reference always fails here before any request (it passes `force`
/// to a client method that does not take it); this does what it means:
/// a PUT of the whole object, returning the answer.
async fn replace(ctx: &Ctx<'_>, func: &str, namespaced: bool) -> Result<Value, Outcome> {
    let t = Target::from_args(ctx, func, namespaced)?;
    let name = ctx.args.required_str("name", func)?;
    let body = load_body(ctx)?;
    raw::send(ctx, Method::PUT, &t.object(&name)?, Some(JSON), Some(&body))
        .await
        .map_err(|f| failure(ctx, &f, "update", "replace", &t))
}

/// `replace_custom_object(group, version, plural, name, ns="default",
/// force=False, resource=None, resource_as_yaml_file=None)`.
pub async fn replace_custom_object(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    replace(&ctx, "replace_custom_object", true).await
}

/// `replace_cluster_custom_object(group, version, plural, name,
/// force=False, resource=None, resource_as_yaml_file=None)`.
pub async fn replace_cluster_custom_object(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    replace(&ctx, "replace_cluster_custom_object", false).await
}

/// The reference's `get_plural(kind)`: a simplified copy of
/// apimachinery's guess from kind to resource.
pub(crate) fn plural_of(kind: &str) -> String {
    let singular = kind.to_lowercase();
    if singular == "endpoints" {
        return singular;
    }
    if singular.ends_with('s') {
        format!("{singular}es")
    } else if let Some(stem) = singular.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{singular}s")
    }
}

fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// What `apply_from_json`/`apply_from_yaml` create, from the parsed
/// resource: the object, in its `metadata.namespace` (else `default`),
/// at the plural guessed from its kind.
async fn apply(ctx: &Ctx<'_>, obj: Value) -> Result<Value, Outcome> {
    let Some(map) = obj.as_object() else {
        return Err(Outcome::Failed(format!(
            "AttributeError: '{}' object has no attribute 'get'",
            python_type(&obj)
        )));
    };
    let field = |k: &str| {
        map.get(k)
            .filter(|v| chaos_pyvalue::py_truthy(v))
            .map(py_str)
    };
    let ns = map
        .get("metadata")
        .and_then(|m| m.get("namespace"))
        .filter(|n| !n.is_null())
        .map(py_str)
        .unwrap_or_else(|| "default".into());
    let api_version = field("apiVersion")
        .ok_or_else(|| Outcome::Failed("missing apiVersion in resource".into()))?;
    let kind = field("kind").ok_or_else(|| Outcome::Failed("missing kind in resource".into()))?;
    let Some((group, version)) = api_version.rsplit_once('/') else {
        return Err(Outcome::Failed(
            "ValueError: not enough values to unpack (expected 2, got 1)".into(),
        ));
    };
    let t = Target {
        group: group.into(),
        version: version.into(),
        plural: plural_of(&kind),
        ns: Some(ns),
    };
    // The reference sends the resource *text* as a JSON string, which no
    // API server accepts; the parsed object is what it means to create.
    create(ctx, &t, &obj).await
}

/// `apply_from_json(resource=None)`: `resource` is a JSON string. Creates
/// (never updates) the object; an existing one gives its 409 `Status`.
pub async fn apply_from_json(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let obj = match ctx.args.value("resource") {
        Some(Value::String(text)) => serde_json::from_str(text)
            .map_err(|e| Outcome::Failed(format!("json.decoder.JSONDecodeError: {e}")))?,
        other => {
            return Err(Outcome::Failed(format!(
                "TypeError: the JSON object must be str, bytes or bytearray, not {}",
                python_type(other.unwrap_or(&Value::Null))
            )))
        }
    };
    apply(&ctx, obj).await
}

/// `apply_from_yaml(resource=None)`: `resource` is a YAML string (its
/// first document).
pub async fn apply_from_yaml(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let obj = match ctx.args.value("resource") {
        Some(Value::String(text)) => parse_yaml(text.as_bytes(), "resource")?,
        other => {
            return Err(Outcome::Failed(format!(
                "AttributeError: '{}' object has no attribute 'read'",
                python_type(other.unwrap_or(&Value::Null))
            )))
        }
    };
    apply(&ctx, obj).await
}

/// `get_custom_object(group, version, plural, name, ns="default")`.
pub async fn get_custom_object(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let t = Target::from_args(&ctx, "get_custom_object", true)?;
    let name = ctx.args.required_str("name", "get_custom_object")?;
    get(&ctx, &t, Some(&name)).await
}

/// `list_custom_objects(group, version, plural, ns="default")`: the whole
/// list object (`items` inside), not a list.
pub async fn list_custom_objects(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let t = Target::from_args(&ctx, "list_custom_objects", true)?;
    get(&ctx, &t, None).await
}

/// `get_cluster_custom_object(group, version, plural, name)`.
pub async fn get_cluster_custom_object(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let t = Target::from_args(&ctx, "get_cluster_custom_object", false)?;
    let name = ctx.args.required_str("name", "get_cluster_custom_object")?;
    get(&ctx, &t, Some(&name)).await
}

/// `list_cluster_custom_objects(group, version, plural)`: for a namespaced
/// type, across all namespaces.
pub async fn list_cluster_custom_objects(ctx: Ctx<'_>) -> Result<Value, Outcome> {
    let t = Target::from_args(&ctx, "list_cluster_custom_objects", false)?;
    get(&ctx, &t, None).await
}

const fn by_args(verbs: &'static [&'static str]) -> Rule {
    Rule {
        group: "{group}",
        resource: "{plural}",
        verbs,
    }
}

const ACTIONS: &[&str] = &["chaosk8s.crd.actions"];
const PROBES: &[&str] = &["chaosk8s.crd.probes"];
const CREATE: Rule = by_args(&["create"]);
const DELETE: Rule = by_args(&["delete"]);
const PATCH: Rule = by_args(&["patch"]);
const UPDATE: Rule = by_args(&["update"]);
const GET: Rule = by_args(&["get"]);
const LIST: Rule = by_args(&["list"]);
const APPLY: Rule = Rule {
    group: "{resource.group}",
    resource: "{resource.plural}",
    verbs: &["create"],
};

/// The functions of this module, for the catalog. Every rule names
/// `{group}`/`{plural}` (or `{resource.group}`/`{resource.plural}`): see
/// the module documentation.
pub(crate) fn functions() -> Vec<Function> {
    let f = |modules: &'static [&'static str],
             name: &'static str,
             params: &'static [(&'static str, Option<&'static str>)],
             rules: &'static [Rule],
             handler: crate::Handler| Function {
        modules,
        name,
        kind: if modules == PROBES { "probe" } else { "action" },
        params,
        rules,
        handler,
    };
    vec![
        f(
            ACTIONS,
            "create_custom_object",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("ns", Some("'default'")),
                ("resource", Some("None")),
                ("resource_as_yaml_file", Some("None")),
            ],
            &[CREATE],
            handler!(create_custom_object),
        ),
        f(
            ACTIONS,
            "delete_custom_object",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("name", None),
                ("ns", Some("'default'")),
            ],
            &[DELETE],
            handler!(delete_custom_object),
        ),
        f(
            ACTIONS,
            "create_cluster_custom_object",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("resource", Some("None")),
                ("resource_as_yaml_file", Some("None")),
            ],
            &[CREATE],
            handler!(create_cluster_custom_object),
        ),
        f(
            ACTIONS,
            "delete_cluster_custom_object",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("name", None),
            ],
            &[DELETE],
            handler!(delete_cluster_custom_object),
        ),
        f(
            ACTIONS,
            "patch_custom_object",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("name", None),
                ("ns", Some("'default'")),
                ("force", Some("False")),
                ("resource", Some("None")),
                ("resource_as_yaml_file", Some("None")),
            ],
            &[PATCH],
            handler!(patch_custom_object),
        ),
        f(
            ACTIONS,
            "replace_custom_object",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("name", None),
                ("ns", Some("'default'")),
                ("force", Some("False")),
                ("resource", Some("None")),
                ("resource_as_yaml_file", Some("None")),
            ],
            &[UPDATE],
            handler!(replace_custom_object),
        ),
        f(
            ACTIONS,
            "patch_cluster_custom_object",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("name", None),
                ("force", Some("False")),
                ("resource", Some("None")),
                ("resource_as_yaml_file", Some("None")),
            ],
            &[PATCH],
            handler!(patch_cluster_custom_object),
        ),
        f(
            ACTIONS,
            "replace_cluster_custom_object",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("name", None),
                ("force", Some("False")),
                ("resource", Some("None")),
                ("resource_as_yaml_file", Some("None")),
            ],
            &[UPDATE],
            handler!(replace_cluster_custom_object),
        ),
        f(
            ACTIONS,
            "apply_from_json",
            &[("resource", Some("None"))],
            &[APPLY],
            handler!(apply_from_json),
        ),
        f(
            ACTIONS,
            "apply_from_yaml",
            &[("resource", Some("None"))],
            &[APPLY],
            handler!(apply_from_yaml),
        ),
        f(
            PROBES,
            "get_custom_object",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("name", None),
                ("ns", Some("'default'")),
            ],
            &[GET],
            handler!(get_custom_object),
        ),
        f(
            PROBES,
            "list_custom_objects",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("ns", Some("'default'")),
            ],
            &[LIST],
            handler!(list_custom_objects),
        ),
        f(
            PROBES,
            "get_cluster_custom_object",
            &[
                ("group", None),
                ("version", None),
                ("plural", None),
                ("name", None),
            ],
            &[GET],
            handler!(get_cluster_custom_object),
        ),
        f(
            PROBES,
            "list_cluster_custom_objects",
            &[("group", None), ("version", None), ("plural", None)],
            &[LIST],
            handler!(list_cluster_custom_objects),
        ),
    ]
}
