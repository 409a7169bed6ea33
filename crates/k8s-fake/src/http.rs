//! The HTTP front: connection handling, request-info resolution (verb,
//! group, resource, subresource, namespace, name — as the API server's
//! `RequestInfoFactory` computes them), authentication, the `forbid`
//! authorizer, and dispatch of resource requests to the state.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::discovery;
use crate::resources::ResourceDef;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::state::{Shared, State, WriteOpts};
use crate::status::ApiError;
use crate::util::{self, parse_query};
use crate::{pods, scale, table, watch, RequestRecord};

pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

const MAX_BODY: usize = 16 << 20;
const RECORDED_BODY: usize = 64 << 10;

pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off briefly
                    // instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(handle(shared, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc)
                        .with_upgrades()
                        .await;
                });
            }
        }
    }
}

/// What the request addresses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    Version,
    Health,
    Api,
    Apis,
    Group(String),
    GroupVersion(String, String),
    OpenApiV3Root,
    OpenApiV3(String),
    OpenApi,
    Resource {
        group: String,
        version: String,
        namespace: Option<String>,
        resource: String,
        name: String,
        sub: String,
    },
    Unknown,
}

pub(crate) struct Info {
    pub method: Method,
    pub path: String,
    pub raw_query: String,
    pub query: Vec<(String, String)>,
    pub target: Target,
    pub verb: String,
}

impl Info {
    pub(crate) fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.q(key), Some("true" | "1" | "True"))
    }
}

fn parse_target(path: &str) -> Target {
    let segs: Vec<&str> = path
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .collect();
    let (group, version, rest) = match segs.as_slice() {
        ["version"] => return Target::Version,
        ["healthz" | "livez" | "readyz", ..] => return Target::Health,
        ["openapi", "v3"] => return Target::OpenApiV3Root,
        ["openapi", "v3", rest @ ..] => return Target::OpenApiV3(rest.join("/")),
        ["openapi", ..] => return Target::OpenApi,
        ["api"] => return Target::Api,
        ["api", v] => return Target::GroupVersion(String::new(), v.to_string()),
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis"] => return Target::Apis,
        ["apis", g] => return Target::Group(g.to_string()),
        ["apis", g, v] => return Target::GroupVersion(g.to_string(), v.to_string()),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Target::Unknown,
    };
    if rest.iter().any(|s| s.is_empty()) {
        return Target::Unknown;
    }
    let mut namespace = None;
    let mut parts: &[&str] = rest;
    if parts[0] == "namespaces" && parts.len() > 1 {
        namespace = Some(parts[1].to_string());
        if parts.len() > 2 && !matches!(parts[2], "status" | "finalize") {
            parts = &parts[2..];
        }
    }
    let resource = parts[0].to_string();
    let name = parts.get(1).map(|s| s.to_string()).unwrap_or_default();
    let sub = parts.get(2).map(|s| s.to_string()).unwrap_or_default();
    if parts.len() > 3 && sub != "proxy" {
        return Target::Unknown;
    }
    // `/api/v1/namespaces/x` addresses the namespace object itself.
    if resource == "namespaces" {
        return Target::Resource {
            group: group.into(),
            version: version.into(),
            namespace: None,
            resource,
            name,
            sub,
        };
    }
    Target::Resource {
        group: group.into(),
        version: version.into(),
        namespace,
        resource,
        name,
        sub,
    }
}

fn verb_for(method: &Method, target: &Target, watch: bool) -> String {
    let Target::Resource { name, .. } = target else {
        return method.as_str().to_ascii_lowercase();
    };
    match *method {
        Method::GET | Method::HEAD if watch => "watch",
        Method::GET | Method::HEAD if name.is_empty() => "list",
        Method::GET | Method::HEAD => "get",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if name.is_empty() => "deletecollection",
        Method::DELETE => "delete",
        _ => return method.as_str().to_ascii_lowercase(),
    }
    .to_string()
}

enum Reply {
    Json(u16, Value),
    Text(u16, String),
    Stream(watch::ChannelBody),
}

fn json_response(code: u16, v: &Value) -> Response<Body> {
    let mut body = serde_json::to_vec(v).unwrap_or_default();
    body.push(b'\n');
    let mut r = Response::new(Full::new(Bytes::from(body)).boxed_unsync());
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn text_response(code: u16, text: String) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(text)).boxed_unsync());
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let query = parse_query(Some(&raw_query));
    let target = parse_target(&path);
    let mut info = Info {
        method: parts.method.clone(),
        path,
        raw_query,
        query,
        target,
        verb: String::new(),
    };
    info.verb = verb_for(&info.method, &info.target, info.flag("watch"));
    let content_type = header(&parts.headers, "content-type").to_string();

    let early = {
        let st = shared.lock();
        authenticate(&st, &parts.headers).and_then(|()| authorize(&st, &info))
    };
    if early.is_ok() {
        if let Some(answer) = crate::exec::upgrade(&shared, &info, &mut parts) {
            let (code, response) = match answer {
                Ok(r) => (101, r),
                Err(e) => (e.code, json_response(e.code, &e.to_json())),
            };
            record(&shared, &info, &content_type, String::new(), code);
            return response;
        }
    }
    let mut body_text = String::new();
    let reply = match early {
        Err(e) => Err(e),
        Ok(()) => match Limited::new(body, MAX_BODY).collect().await {
            Err(_) => Err(ApiError::new(
                413,
                "RequestEntityTooLarge",
                "the request body is too large or could not be read",
            )),
            Ok(collected) => {
                let bytes = collected.to_bytes();
                body_text =
                    String::from_utf8_lossy(&bytes[..bytes.len().min(RECORDED_BODY)]).into_owned();
                let mut st = shared.lock();
                let r = dispatch(&mut st, &info, &parts.headers, &bytes);
                let write = !matches!(info.method, Method::GET | Method::HEAD);
                // With no controller delay, controllers react before the
                // answer leaves, as the loop would have had it run at once:
                // a client's next read never depends on how soon a loaded
                // machine schedules the controllers' task.
                if write && st.controller_delay.is_zero() {
                    crate::controllers::reconcile(&mut st);
                }
                drop(st);
                if write {
                    shared.wake.notify_one();
                }
                r
            }
        },
    };
    let (code, response) = match reply {
        Ok(Reply::Json(code, v)) => (code, json_response(code, &v)),
        Ok(Reply::Text(code, t)) => (code, text_response(code, t)),
        Ok(Reply::Stream(body)) => {
            let mut r = Response::new(body.boxed_unsync());
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r.headers_mut()
                .insert("transfer-encoding", HeaderValue::from_static("chunked"));
            (200, r)
        }
        Err(e) => (e.code, json_response(e.code, &e.to_json())),
    };
    record(&shared, &info, &content_type, body_text, code);
    response
}

fn record(shared: &Shared, info: &Info, content_type: &str, body: String, status: u16) {
    let (group, version, ns, resource, name, sub) = match &info.target {
        Target::Resource {
            group,
            version,
            namespace,
            resource,
            name,
            sub,
        } => {
            let ns = if resource == "namespaces" {
                name.clone()
            } else {
                namespace.clone().unwrap_or_default()
            };
            (
                group.clone(),
                version.clone(),
                ns,
                resource.clone(),
                name.clone(),
                sub.clone(),
            )
        }
        _ => Default::default(),
    };
    shared.lock().requests.push(RequestRecord {
        method: info.method.as_str().to_string(),
        path: info.path.clone(),
        query: info.raw_query.clone(),
        verb: info.verb.clone(),
        api_group: group,
        api_version: version,
        resource,
        subresource: sub,
        namespace: ns,
        name,
        content_type: content_type.to_string(),
        body,
        status,
    });
}

fn authenticate(st: &State, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &st.token else {
        return Ok(());
    };
    let auth = header(headers, "authorization");
    match auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))
    {
        Some(t) if t.trim() == token => Ok(()),
        _ => Err(ApiError::unauthorized()),
    }
}

/// The RBAC authorizer's denial message (`forbiddenMessage` in
/// k8s.io/apiserver/pkg/endpoints/handlers/responsewriters).
fn authorize(st: &State, info: &Info) -> Result<(), ApiError> {
    let Target::Resource {
        group,
        namespace,
        resource,
        name,
        sub,
        ..
    } = &info.target
    else {
        return Ok(());
    };
    let by_rbac = !st.rbac
        || crate::rbac::allows(
            &st.store,
            &st.user,
            &crate::rbac::Request {
                verb: &info.verb,
                group,
                resource,
                sub,
                namespace: namespace.as_deref(),
                name,
            },
        );
    if by_rbac && !st.is_forbidden(&info.verb, group, resource, sub) {
        return Ok(());
    }
    let ns = if resource == "namespaces" {
        Some(name.clone())
    } else {
        namespace.clone()
    };
    let full = if sub.is_empty() {
        resource.clone()
    } else {
        format!("{resource}/{sub}")
    };
    let scope = match ns.filter(|n| !n.is_empty()) {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let why = format!(
        "User \"{}\" cannot {} resource \"{full}\" in API group \"{group}\" {scope}",
        st.user, info.verb
    );
    Err(ApiError::forbidden(group, resource, name, &why))
}

fn dispatch(
    st: &mut State,
    info: &Info,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let get_only = |v: Value| -> Result<Reply, ApiError> {
        if info.method == Method::GET {
            Ok(Reply::Json(200, v))
        } else {
            Err(ApiError::method_not_allowed("", ""))
        }
    };
    match &info.target {
        Target::Version => get_only(discovery::version()),
        Target::Health => Ok(Reply::Text(200, "ok".into())),
        Target::Api => {
            let host = header(headers, "host").to_string();
            get_only(discovery::api_versions(&host))
        }
        Target::Apis => get_only(discovery::api_group_list(&st.registry)),
        Target::Group(g) => discovery::api_group(&st.registry, g)
            .map_or_else(|| Err(ApiError::no_route()), get_only),
        Target::GroupVersion(g, v) => discovery::resource_list(&st.registry, g, v)
            .map_or_else(|| Err(ApiError::no_route()), get_only),
        Target::OpenApiV3Root => get_only(discovery::openapi_v3_root(&st.registry)),
        Target::OpenApiV3(path) => discovery::openapi_v3_group_version(&st.registry, path)
            .map_or_else(|| Err(ApiError::no_route()), get_only),
        // No OpenAPI v2 (swagger) document: kubectl only falls back to it
        // when v3 is missing.
        Target::OpenApi | Target::Unknown => Err(ApiError::no_route()),
        Target::Resource {
            group,
            version,
            namespace,
            resource,
            name,
            sub,
        } => {
            let Some(def) = st.registry.find(group, version, resource).cloned() else {
                return Err(ApiError::no_route());
            };
            let ns = match (&def.namespaced, namespace) {
                (true, Some(ns)) => Some(ns.clone()),
                (true, None) if name.is_empty() && info.method == Method::GET => None,
                (false, None) => None,
                _ => return Err(ApiError::no_route()),
            };
            let req = ResourceRequest {
                def,
                ns,
                name: name.clone(),
                sub: sub.clone(),
            };
            resource_request(st, info, headers, body, &req)
        }
    }
}

pub(crate) struct ResourceRequest {
    pub def: ResourceDef,
    /// None: cluster-scoped, or a namespaced list across all namespaces.
    pub ns: Option<String>,
    pub name: String,
    pub sub: String,
}

impl ResourceRequest {
    pub(crate) fn ns(&self) -> &str {
        self.ns.as_deref().unwrap_or("")
    }
}

pub(crate) fn parse_body(body: &[u8], headers: &HeaderMap) -> Result<Value, ApiError> {
    let ct = header(headers, "content-type");
    let media = ct.split(';').next().unwrap_or("").trim();
    if !media.is_empty() && media != "application/json" && media != "*/*" {
        return Err(ApiError::unsupported_media_type(
            media,
            &["application/json"],
        ));
    }
    serde_json::from_slice::<Value>(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body of the request could not be decoded as JSON: {e}"
        ))
    })
}

fn wants_table(headers: &HeaderMap) -> bool {
    let accept = header(headers, "accept");
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

pub(crate) fn selectors(
    info: &Info,
    def: &ResourceDef,
) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let label = LabelSelector::parse(info.q("labelSelector").unwrap_or(""))
        .map_err(ApiError::bad_request)?;
    let field = FieldSelector::parse(info.q("fieldSelector").unwrap_or(""), &def.field_labels)
        .map_err(ApiError::bad_request)?;
    Ok((label, field))
}

/// Objects as served at `def`'s version (custom resources are stored
/// once and relabelled per served version, as with conversion `None`).
pub(crate) fn served(def: &ResourceDef, mut obj: Value) -> Value {
    if def.custom {
        if let Some(m) = obj.as_object_mut() {
            m.insert("apiVersion".into(), json!(def.api_version()));
        }
    }
    obj
}

fn resource_request(
    st: &mut State,
    info: &Info,
    headers: &HeaderMap,
    body: &[u8],
    req: &ResourceRequest,
) -> Result<Reply, ApiError> {
    let def = &req.def;
    let dry_run = info.q("dryRun").is_some_and(|v| !v.is_empty());
    let opts = WriteOpts { api: true, dry_run };
    let ct = header(headers, "content-type");
    if crate::events::is_v1(def) {
        return crate::events::handle(st, info, headers, body, req, opts)
            .map(|(code, v)| Reply::Json(code, v));
    }
    if !req.sub.is_empty() {
        if req.name.is_empty() || !def.has_sub(&req.sub) {
            return Err(ApiError::no_route());
        }
        return match req.sub.as_str() {
            "status" => match info.method {
                Method::GET => get_one(st, def, req.ns(), &req.name).map(|v| Reply::Json(200, v)),
                Method::PUT => {
                    let b = parse_body(body, headers)?;
                    st.replace(def, req.ns(), &req.name, b, Some("status"), opts)
                        .map(|v| Reply::Json(200, served(def, v)))
                }
                Method::PATCH => st
                    .patch(def, req.ns(), &req.name, ct, body, Some("status"), opts)
                    .map(|v| Reply::Json(200, served(def, v))),
                _ => Err(ApiError::method_not_allowed(&def.group, &def.plural)),
            },
            "scale" => scale::handle(st, info, req, ct, body, opts).map(|v| Reply::Json(200, v)),
            "log" if info.method == Method::GET => {
                pods::log(st, info, req).map(|t| Reply::Text(200, t))
            }
            "eviction" if info.method == Method::POST => {
                let b = parse_body(body, headers)?;
                pods::evict(st, req, &b, dry_run).map(|v| Reply::Json(201, v))
            }
            "binding" if info.method == Method::POST => {
                let b = parse_body(body, headers)?;
                pods::bind(st, req, &b).map(|v| Reply::Json(201, v))
            }
            "exec" | "attach" | "portforward" => {
                Err(pods::streaming_unsupported(&req.sub, headers))
            }
            "proxy" => Err(ApiError::new(
                503,
                "ServiceUnavailable",
                "the fake Kubernetes API server does not proxy to nodes, pods or services",
            )),
            "finalize" if info.method == Method::PUT => {
                let b = parse_body(body, headers)?;
                let mut cur = get_one(st, def, "", &req.name)?;
                if let Some(f) = b.get("spec").and_then(|s| s.get("finalizers")) {
                    util::obj_at(&mut cur, &["spec"]).insert("finalizers".into(), f.clone());
                }
                st.replace(def, "", &req.name, cur, None, WriteOpts::default())
                    .map(|v| Reply::Json(200, v))
            }
            "token" if info.method == Method::POST => {
                get_one(st, def, req.ns(), &req.name)?;
                let b = parse_body(body, headers)?;
                Ok(Reply::Json(201, pods::token_request(st, &b)))
            }
            _ => Err(ApiError::method_not_allowed(
                &def.group,
                &format!("{}/{}", def.plural, req.sub),
            )),
        };
    }
    let verb_ok = |v: &str| def.verbs.iter().any(|x| x == v);
    match (&info.method, req.name.is_empty()) {
        (&Method::GET, true) if info.flag("watch") => {
            watch::start(st, info, def, req.ns.clone(), None, wants_table(headers))
                .map(Reply::Stream)
        }
        (&Method::GET, false) if info.flag("watch") => watch::start(
            st,
            info,
            def,
            req.ns.clone(),
            Some(req.name.clone()),
            wants_table(headers),
        )
        .map(Reply::Stream),
        (&Method::GET, true) => {
            let list = list(st, info, def, req.ns.as_deref())?;
            if wants_table(headers) {
                return Ok(Reply::Json(
                    200,
                    table::table(def, &list, info.q("includeObject")),
                ));
            }
            Ok(Reply::Json(200, list))
        }
        (&Method::GET, false) => {
            let obj = get_one(st, def, req.ns(), &req.name)?;
            if wants_table(headers) {
                let list = json!({"metadata": {"resourceVersion": ""}, "items": [obj]});
                return Ok(Reply::Json(
                    200,
                    table::table(def, &list, info.q("includeObject")),
                ));
            }
            Ok(Reply::Json(200, obj))
        }
        (&Method::POST, true) if def.kind == "SelfSubjectAccessReview" => {
            let b = parse_body(body, headers)?;
            Ok(Reply::Json(201, access_review(st, b)?))
        }
        (&Method::POST, true) => {
            let b = parse_body(body, headers)?;
            st.create(def, req.ns(), b, opts)
                .map(|v| Reply::Json(201, served(def, v)))
        }
        (&Method::PUT, false) => {
            let b = parse_body(body, headers)?;
            st.replace(def, req.ns(), &req.name, b, None, opts)
                .map(|v| Reply::Json(200, served(def, v)))
        }
        (&Method::PATCH, false) => st
            .patch(def, req.ns(), &req.name, ct, body, None, opts)
            .map(|v| Reply::Json(200, served(def, v))),
        (&Method::DELETE, false) => {
            let options = delete_options(info, body)?;
            let gone = st.delete(def, req.ns(), &req.name, &options, dry_run)?;
            let pending = dry_run
                || st
                    .store
                    .get(&def.group, &def.plural, req.ns(), &req.name)
                    .is_some();
            if pending || returns_deleted_object(def) {
                return Ok(Reply::Json(200, served(def, gone)));
            }
            let mut details = serde_json::Map::new();
            details.insert("name".into(), json!(req.name));
            if !def.group.is_empty() {
                details.insert("group".into(), json!(def.group));
            }
            details.insert("kind".into(), json!(def.plural));
            details.insert("uid".into(), json!(util::uid_of(&gone)));
            Ok(Reply::Json(
                200,
                crate::status::success_without_code(Value::Object(details)),
            ))
        }
        (&Method::DELETE, true) if verb_ok("deletecollection") => {
            let options = delete_options(info, body)?;
            let matched = list(st, info, def, req.ns.as_deref())?;
            let mut deleted = vec![];
            for item in matched["items"].as_array().cloned().unwrap_or_default() {
                let (ns, name) = (
                    util::namespace_of(&item).to_string(),
                    util::name_of(&item).to_string(),
                );
                if let Ok(v) = st.delete(def, &ns, &name, &options, dry_run) {
                    deleted.push(strip_type(def, served(def, v)));
                }
            }
            Ok(Reply::Json(
                200,
                json!({
                    "kind": def.list_kind(),
                    "apiVersion": def.api_version(),
                    "metadata": {"resourceVersion": st.store.current_rv().to_string()},
                    "items": deleted,
                }),
            ))
        }
        _ => Err(ApiError::method_not_allowed(&def.group, &def.plural)),
    }
}

/// A SelfSubjectAccessReview decided by the `forbid` rules: everything not
/// forbidden is allowed, as for a cluster-admin.
fn access_review(st: &State, mut review: Value) -> Result<Value, ApiError> {
    if !review.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a SelfSubjectAccessReview",
        ));
    }
    let attrs = review.pointer("/spec/resourceAttributes").cloned();
    let allowed = match &attrs {
        Some(a) => {
            let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("");
            !st.is_forbidden(s("verb"), s("group"), s("resource"), s("subresource"))
        }
        // Non-resource URLs (`can-i get /healthz`) are never forbidden.
        None if review.pointer("/spec/nonResourceAttributes").is_some() => true,
        None => {
            return Err(ApiError::invalid(
                "SelfSubjectAccessReview",
                "authorization.k8s.io",
                "",
                "spec.resourceAttributes",
                "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
            ))
        }
    };
    let m = util::obj_at(&mut review, &[]);
    m.insert("kind".into(), json!("SelfSubjectAccessReview"));
    m.insert("apiVersion".into(), json!("authorization.k8s.io/v1"));
    m.insert("metadata".into(), json!({"creationTimestamp": null}));
    let status = if allowed {
        json!({"allowed": true, "reason": "allowed by the fake cluster (nothing forbids it)"})
    } else {
        json!({"allowed": false, "denied": true, "reason": "forbidden by FakeCluster::forbid"})
    };
    m.insert("status".into(), status);
    Ok(review)
}

/// Registries with `ReturnDeletedObject: true` answer a completed delete
/// with the object; all others (ConfigMaps, Deployments, custom resources,
/// ...) with a Success Status naming it.
fn returns_deleted_object(def: &ResourceDef) -> bool {
    def.group.is_empty()
        && matches!(
            def.plural.as_str(),
            "pods"
                | "services"
                | "serviceaccounts"
                | "namespaces"
                | "persistentvolumes"
                | "persistentvolumeclaims"
        )
}

/// DeleteOptions from the body (kubectl, client-go) or the query
/// (`?gracePeriodSeconds=0&propagationPolicy=Foreground`).
fn delete_options(info: &Info, body: &[u8]) -> Result<Value, ApiError> {
    let mut options = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        let v: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!(
                "the body of the request could not be decoded as DeleteOptions: {e}"
            ))
        })?;
        if !v.is_object() {
            return Err(ApiError::bad_request("DeleteOptions must be a JSON object"));
        }
        v
    };
    let m = util::obj_at(&mut options, &[]);
    if let Some(g) = info.q("gracePeriodSeconds") {
        let g: i64 = g
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid gracePeriodSeconds {g:?}")))?;
        m.insert("gracePeriodSeconds".into(), json!(g));
    }
    if let Some(p) = info.q("propagationPolicy") {
        m.insert("propagationPolicy".into(), json!(p));
    }
    if let Some(p) = m.get("propagationPolicy").and_then(Value::as_str) {
        if !matches!(p, "Orphan" | "Background" | "Foreground") {
            return Err(ApiError::bad_request(format!(
                "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{p}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
            )));
        }
    }
    Ok(options)
}

pub(crate) fn get_one(
    st: &State,
    def: &ResourceDef,
    ns: &str,
    name: &str,
) -> Result<Value, ApiError> {
    let ns = if def.namespaced { ns } else { "" };
    st.store
        .get(&def.group, &def.plural, ns, name)
        .cloned()
        .map(|v| served(def, v))
        .ok_or_else(|| ApiError::not_found(&def.group, &def.plural, name))
}

/// List items carry no kind/apiVersion for built-in types (the typed
/// encoder drops them); custom resources keep theirs.
fn strip_type(def: &ResourceDef, mut v: Value) -> Value {
    if !def.custom {
        if let Some(m) = v.as_object_mut() {
            m.remove("kind");
            m.remove("apiVersion");
        }
    }
    v
}

fn encode_continue(ns: &str, name: &str) -> String {
    format!("{ns}/{name}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_continue(token: &str) -> Option<(String, String)> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (ns, name) = text.split_once('/')?;
    Some((ns.to_string(), name.to_string()))
}

pub(crate) fn list(
    st: &State,
    info: &Info,
    def: &ResourceDef,
    ns: Option<&str>,
) -> Result<Value, ApiError> {
    let ns = if def.namespaced { ns } else { None };
    list_from(st, info, def, st.store.list(&def.group, &def.plural, ns))
}

/// A list answer made of `stored` (one namespace's objects or all of
/// them), after selectors, `continue` and `limit`.
pub(crate) fn list_from(
    st: &State,
    info: &Info,
    def: &ResourceDef,
    stored: Vec<&Value>,
) -> Result<Value, ApiError> {
    let (label, field) = selectors(info, def)?;
    let mut items: Vec<&Value> = stored
        .into_iter()
        .filter(|o| label.matches(&util::labels_of(o)) && field.matches(o))
        .collect();
    if let Some(token) = info.q("continue").filter(|t| !t.is_empty()) {
        let (cns, cname) = decode_continue(token)
            .ok_or_else(|| ApiError::bad_request(format!("continue key is not valid: {token}")))?;
        items
            .retain(|o| (util::namespace_of(o), util::name_of(o)) > (cns.as_str(), cname.as_str()));
    }
    let mut meta = json!({"resourceVersion": st.store.current_rv().to_string()});
    if let Some(limit) = info
        .q("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
    {
        if items.len() > limit {
            let remaining = items.len() - limit;
            items.truncate(limit);
            let last = items[limit - 1];
            meta["continue"] = json!(encode_continue(
                util::namespace_of(last),
                util::name_of(last)
            ));
            meta["remainingItemCount"] = json!(remaining);
        }
    }
    let items: Vec<Value> = items
        .into_iter()
        .map(|o| strip_type(def, served(def, o.clone())))
        .collect();
    Ok(json!({
        "kind": def.list_kind(),
        "apiVersion": def.api_version(),
        "metadata": meta,
        "items": items,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("/api/v1/namespaces/default/pods/x/log"),
            Target::Resource {
                group: "".into(),
                version: "v1".into(),
                namespace: Some("default".into()),
                resource: "pods".into(),
                name: "x".into(),
                sub: "log".into()
            }
        );
        assert_eq!(
            parse_target("/api/v1/namespaces/x/status"),
            Target::Resource {
                group: "".into(),
                version: "v1".into(),
                namespace: None,
                resource: "namespaces".into(),
                name: "x".into(),
                sub: "status".into()
            }
        );
        assert!(matches!(
            parse_target("/apis/apps/v1/deployments"),
            Target::Resource {
                namespace: None,
                ..
            }
        ));
        assert_eq!(parse_target("/apis/apps"), Target::Group("apps".into()));
        assert_eq!(parse_target("/foo"), Target::Unknown);
        assert_eq!(parse_target("/api/v1/pods/a/b/c/d"), Target::Unknown);
    }

    #[test]
    fn continue_tokens() {
        let t = encode_continue("default", "web-1");
        assert_eq!(
            decode_continue(&t),
            Some(("default".into(), "web-1".into()))
        );
        assert_eq!(decode_continue("zz"), None);
    }
}
