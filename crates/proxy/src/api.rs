//! Toxiproxy's HTTP API (`docs/design/fault-proxy.md` §1): the same routes,
//! status codes and bodies, so its clients work unchanged.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use serde_json::Value;

use crate::model::ApiError;
use crate::Proxies;

/// The version the API reports (tools compare it); ours goes in a header.
pub const TOXIPROXY_VERSION: &str = "2.12.0";

fn json(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// Errors as Go's `http.Error` writes them: text/plain, JSON, newline.
fn error(e: &ApiError) -> Response {
    (
        StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        format!("{}\n", e.body()),
    )
        .into_response()
}

fn answer(status: StatusCode, r: Result<Value, ApiError>) -> Response {
    match r {
        Ok(v) => json(status, &v),
        Err(e) => error(&e),
    }
}

fn empty(r: Result<(), ApiError>) -> Response {
    match r {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(&e),
    }
}

fn body(bytes: &Bytes) -> Result<Value, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_body("EOF"));
    }
    serde_json::from_slice(bytes).map_err(ApiError::bad_body)
}

async fn list(State(p): State<Proxies>) -> Response {
    json(StatusCode::OK, &p.list())
}

async fn create(State(p): State<Proxies>, b: Bytes) -> Response {
    answer(StatusCode::CREATED, body(&b).and_then(|v| p.create(&v)))
}

async fn show(State(p): State<Proxies>, Path(name): Path<String>) -> Response {
    answer(StatusCode::OK, p.get(&name))
}

async fn update(State(p): State<Proxies>, Path(name): Path<String>, b: Bytes) -> Response {
    // The proxy must exist before the body is looked at.
    if let Err(e) = p.get(&name) {
        return error(&e);
    }
    answer(StatusCode::OK, body(&b).and_then(|v| p.update(&name, &v)))
}

async fn delete(State(p): State<Proxies>, Path(name): Path<String>) -> Response {
    empty(p.delete(&name))
}

async fn populate(State(p): State<Proxies>, b: Bytes) -> Response {
    let (done, err) = match body(&b) {
        Ok(v) => p.populate(&v),
        Err(e) => (Vec::new(), Some(e)),
    };
    // `null`, not `[]`, when nothing was done: Toxiproxy's nil slice.
    let proxies = if done.is_empty() {
        Value::Null
    } else {
        Value::Array(done)
    };
    let mut m = serde_json::Map::new();
    let status = match &err {
        Some(e) => {
            m.insert("error".into(), Value::from(e.message.clone()));
            m.insert("status".into(), Value::from(e.status));
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        None => StatusCode::CREATED,
    };
    m.insert("proxies".into(), proxies);
    json(status, &Value::Object(m))
}

async fn reset(State(p): State<Proxies>) -> Response {
    empty(p.reset())
}

async fn toxics(State(p): State<Proxies>, Path(name): Path<String>) -> Response {
    answer(StatusCode::OK, p.toxics(&name))
}

async fn add_toxic(State(p): State<Proxies>, Path(name): Path<String>, b: Bytes) -> Response {
    if let Err(e) = p.get(&name) {
        return error(&e);
    }
    // 200, not 201: Toxiproxy's answer to a new toxic.
    answer(
        StatusCode::OK,
        body(&b).and_then(|v| p.add_toxic(&name, &v)),
    )
}

async fn show_toxic(
    State(p): State<Proxies>,
    Path((name, toxic)): Path<(String, String)>,
) -> Response {
    answer(StatusCode::OK, p.toxic(&name, &toxic))
}

async fn update_toxic(
    State(p): State<Proxies>,
    Path((name, toxic)): Path<(String, String)>,
    b: Bytes,
) -> Response {
    if let Err(e) = p.toxic(&name, &toxic) {
        return error(&e);
    }
    answer(
        StatusCode::OK,
        body(&b).and_then(|v| p.update_toxic(&name, &toxic, &v)),
    )
}

async fn delete_toxic(
    State(p): State<Proxies>,
    Path((name, toxic)): Path<(String, String)>,
) -> Response {
    empty(p.remove_toxic(&name, &toxic))
}

async fn version() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        format!("{{\"version\": \"{TOXIPROXY_VERSION}\"}}\n"),
    )
        .into_response()
}

async fn metrics(State(p): State<Proxies>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        p.metrics(),
    )
        .into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "404 page not found\n",
    )
        .into_response()
}

/// The request id every routed answer carries, and the refusal of browsers
/// (a guard against cross-site requests to a local API).
async fn guard(headers: HeaderMap, request: axum::extract::Request, next: Next) -> Response {
    let browser = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.starts_with("Mozilla/"));
    let mut response = if browser {
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "User agent not allowed\n",
        )
            .into_response()
    } else {
        next.run(request).await
    };
    let id = format!("{:020x}", rand::random::<u128>() >> 48);
    if let Ok(v) = HeaderValue::from_str(&id[..20]) {
        response.headers_mut().insert("x-toxiproxy-request-id", v);
    }
    response.headers_mut().insert(
        "x-chaos-version",
        HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
    );
    response
}

/// The API's routes over `proxies`.
pub fn router(proxies: Proxies) -> Router {
    Router::new()
        .route("/reset", post(reset))
        .route("/proxies", get(list).post(create))
        .route("/populate", post(populate))
        .route(
            "/proxies/{proxy}",
            get(show).post(update).patch(update).delete(delete),
        )
        .route("/proxies/{proxy}/toxics", get(toxics).post(add_toxic))
        .route(
            "/proxies/{proxy}/toxics/{toxic}",
            get(show_toxic)
                .post(update_toxic)
                .patch(update_toxic)
                .delete(delete_toxic),
        )
        .route("/version", get(version))
        .route("/metrics", any(metrics))
        .route_layer(middleware::from_fn(guard))
        .method_not_allowed_fallback(|| async { StatusCode::METHOD_NOT_ALLOWED.into_response() })
        .fallback(not_found)
        .with_state(proxies)
}

/// Serves the API on `listener` until `shutdown` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    proxies: Proxies,
    shutdown: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    let _ = Method::GET;
    axum::serve(listener, router(proxies))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
