//! HTTP proxies (`"protocol": "http"`): each client connection is served as
//! HTTP/1.1 by hyper, and its requests go, one at a time and in order, over
//! one upstream connection of its own (opened at the first request that is
//! forwarded, again if the upstream closed it). Bodies stream both ways;
//! keep-alive, chunked bodies and header case pass through.
//!
//! Each request meets the `http_*` toxics of the upstream chain before it
//! is forwarded, and its response those of the downstream chain before it
//! goes back (`docs/design/fault-proxy.md` §7.2). Byte toxics (latency,
//! bandwidth, ...) do not apply to HTTP proxies.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_TYPE, UPGRADE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::Rng;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::http_faults::{HttpAction, RequestView, ResetMode};
use crate::link::{Chain, Counters, LinkSetup};
use crate::model::Kind;
use crate::timer::PreciseTimer;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Body = UnsyncBoxBody<Bytes, BoxError>;

/// How long a connection to the upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves one accepted client until it closes, a toxic ends it, or the
/// proxy stops.
pub async fn serve(client: TcpStream, setup: LinkSetup, rng: StdRng) {
    let _ = client.set_nodelay(true);
    let ctl = Arc::new(Ctl {
        shadow: client.as_fd().try_clone_to_owned().ok(),
        budget: Mutex::new(None),
        kill: CancellationToken::new(),
    });
    let stop = setup.stop.clone();
    let io = ClientIo {
        stream: client,
        ctl: ctl.clone(),
        counters: setup.counters.clone(),
    };
    let conn = Arc::new(Conn {
        setup,
        rng: Mutex::new(rng),
        ctl: ctl.clone(),
        upstream: tokio::sync::Mutex::new(None),
    });
    let service = hyper::service::service_fn(move |req| handle(conn.clone(), req));
    let served = hyper::server::conn::http1::Builder::new()
        .preserve_header_case(true)
        .auto_date_header(false)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(served);
    tokio::select! {
        _ = &mut served => {}
        _ = ctl.kill.cancelled() => {}
        _ = stop.cancelled() => {}
    }
    // Dropping the connection closes the socket (a reset if a toxic set
    // SO_LINGER 0); the shadow descriptor goes with the last `Ctl`.
}

/// A fault's hold on the client socket, shared by the service and the IO.
struct Ctl {
    /// A second descriptor of the client socket, to set SO_LINGER on.
    shadow: Option<OwnedFd>,
    /// Response bytes still allowed before an `http_reset` fires.
    budget: Mutex<Option<(u64, ResetMode)>>,
    /// Fired: the connection task drops the connection.
    kill: CancellationToken,
}

impl Ctl {
    /// Ends the client connection now: RST (linger 0) or FIN.
    fn fire(&self, mode: ResetMode) {
        if mode == ResetMode::Reset {
            if let Some(fd) = &self.shadow {
                let _ = socket2::SockRef::from(fd).set_linger(Some(Duration::ZERO));
            }
        }
        self.kill.cancel();
    }

    fn budget(&self) -> std::sync::MutexGuard<'_, Option<(u64, ResetMode)>> {
        self.budget.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The client socket as hyper sees it: counts bytes, and stops writing
/// once an armed `http_reset` budget is spent.
struct ClientIo {
    stream: TcpStream,
    ctl: Arc<Ctl>,
    counters: Arc<[Counters; 2]>,
}

impl AsyncRead for ClientIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.stream).poll_read(cx, buf))?;
        let n = (buf.filled().len() - before) as u64;
        self.counters[0].received.fetch_add(n, Ordering::Relaxed);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ClientIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.ctl.kill.is_cancelled() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        let armed = *self.ctl.budget();
        let allowed = match armed {
            Some((left, _)) => buf.len().min(usize::try_from(left).unwrap_or(usize::MAX)),
            None => buf.len(),
        };
        let n = ready!(Pin::new(&mut self.stream).poll_write(cx, &buf[..allowed]))?;
        self.counters[1].sent.fetch_add(n as u64, Ordering::Relaxed);
        if let Some((left, mode)) = armed {
            let left = left.saturating_sub(n as u64);
            if left == 0 {
                *self.ctl.budget() = None;
                self.ctl.fire(mode);
            } else {
                *self.ctl.budget() = Some((left, mode));
            }
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The upstream socket, counting bytes for the proxy's metrics.
struct UpstreamIo {
    stream: TcpStream,
    counters: Arc<[Counters; 2]>,
}

impl AsyncRead for UpstreamIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.stream).poll_read(cx, buf))?;
        let n = (buf.filled().len() - before) as u64;
        self.counters[1].received.fetch_add(n, Ordering::Relaxed);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for UpstreamIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let n = ready!(Pin::new(&mut self.stream).poll_write(cx, buf))?;
        self.counters[0].sent.fetch_add(n as u64, Ordering::Relaxed);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// One client connection's state.
struct Conn {
    setup: LinkSetup,
    /// Per-request draws (toxicity, jitter), from the connection's seed.
    rng: Mutex<StdRng>,
    ctl: Arc<Ctl>,
    upstream: tokio::sync::Mutex<Option<SendRequest<Incoming>>>,
}

/// What the toxics of one chain decided for a request.
enum Verdict {
    /// Go on, after holding for this long.
    Pass(Duration),
    /// Answer with this abort, after holding.
    Abort(Duration, String, HttpAction),
    /// End the client connection, after holding.
    Reset(Duration, u64, ResetMode),
}

impl Conn {
    fn judge(&self, chain: &Chain, req: &RequestView<'_>) -> Verdict {
        let mut hold = Duration::ZERO;
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        for e in chain.iter() {
            let Kind::Http(f) = &e.toxic.kind else {
                continue;
            };
            if !f.decide(req, e.toxic.toxicity, &mut *rng) {
                continue;
            }
            match &f.action {
                HttpAction::Delay { delay, jitter } => {
                    let mut ms = *delay;
                    if *jitter > 0 {
                        // As the latency toxic: uniform in [-jitter, jitter).
                        ms += rng.gen_range(0..2 * jitter) - jitter;
                    }
                    hold += Duration::from_millis(ms.max(0) as u64);
                }
                HttpAction::Abort { .. } => {
                    return Verdict::Abort(hold, e.toxic.name.clone(), f.action.clone())
                }
                HttpAction::Reset { after_bytes, mode } => {
                    return Verdict::Reset(hold, (*after_bytes).max(0) as u64, *mode)
                }
            }
        }
        Verdict::Pass(hold)
    }

    async fn connect(&self) -> Result<SendRequest<Incoming>, BoxError> {
        let addr = self.setup.upstream.as_str();
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| format!("dial tcp {addr}: i/o timeout"))??;
        let _ = stream.set_nodelay(true);
        let io = UpstreamIo {
            stream,
            counters: self.setup.counters.clone(),
        };
        let (sender, connection) = hyper::client::conn::http1::Builder::new()
            .preserve_header_case(true)
            .handshake(TokioIo::new(io))
            .await?;
        // It ends when this client's connection drops its sender, on an
        // upgrade, or when the proxy stops.
        let stop = self.setup.stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = connection.with_upgrades() => {}
                _ = stop.cancelled() => {}
            }
        });
        Ok(sender)
    }

    /// Sends the request over this client's upstream connection.
    async fn forward(&self, req: Request<Incoming>) -> Result<Response<Incoming>, BoxError> {
        let mut slot = self.upstream.lock().await;
        if let Some(sender) = slot.as_mut() {
            if sender.ready().await.is_err() {
                *slot = None;
            }
        }
        let sender = match slot.as_mut() {
            Some(s) => s,
            None => slot.insert(self.connect().await?),
        };
        sender.ready().await?;
        let pending = sender.send_request(req);
        drop(slot);
        Ok(pending.await?)
    }
}

async fn hold_until(at: Instant) {
    PreciseTimer::new().sleep_until(at).await;
}

/// The error that makes hyper drop the connection (the task resets it).
fn dropped() -> BoxError {
    "connection ended by an http_reset toxic".into()
}

async fn handle(conn: Arc<Conn>, mut req: Request<Incoming>) -> Result<Response<Body>, BoxError> {
    let head_at = Instant::now();
    // A budget left from a response shorter than `after_bytes` is spent.
    *conn.ctl.budget() = None;
    // An upgrade (WebSocket, ...) or CONNECT becomes a byte tunnel once
    // the upstream agrees; http_* toxics see only its first request.
    let tunnel = (req.headers().contains_key(UPGRADE) || req.method() == hyper::Method::CONNECT)
        .then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let headers = parts.headers.clone();
    let view = RequestView {
        method: &method,
        path: &path,
        headers: &headers,
    };
    let up_chain = conn.setup.upstream_chain.borrow().clone();
    match conn.judge(&up_chain, &view) {
        Verdict::Pass(hold) => hold_until(head_at + hold).await,
        Verdict::Abort(hold, name, action) => {
            hold_until(head_at + hold).await;
            // An unread request body leaves the connection unusable.
            return Ok(abort(&name, &action, !body.is_end_stream()));
        }
        Verdict::Reset(hold, _, mode) => {
            hold_until(head_at + hold).await;
            conn.ctl.fire(mode);
            return Err(dropped());
        }
    }
    let response = match conn.forward(Request::from_parts(parts, body)).await {
        Ok(r) => r,
        Err(e) => return Ok(bad_gateway(&e)),
    };
    let response_at = Instant::now();
    let down_chain = conn.setup.downstream_chain.borrow().clone();
    match conn.judge(&down_chain, &view) {
        Verdict::Pass(hold) => hold_until(response_at + hold).await,
        Verdict::Abort(hold, name, action) => {
            // The upstream's answer is thrown away.
            drop(response);
            hold_until(response_at + hold).await;
            return Ok(abort(&name, &action, false));
        }
        Verdict::Reset(hold, after_bytes, mode) => {
            hold_until(response_at + hold).await;
            if after_bytes == 0 {
                conn.ctl.fire(mode);
                return Err(dropped());
            }
            *conn.ctl.budget() = Some((after_bytes, mode));
        }
    }
    let mut response = response;
    let agreed = response.status() == StatusCode::SWITCHING_PROTOCOLS
        || (method == "CONNECT" && response.status().is_success());
    if let (Some(client_side), true) = (tunnel, agreed) {
        let upstream_side = hyper::upgrade::on(&mut response);
        let stop = conn.setup.stop.clone();
        tokio::spawn(async move {
            let (Ok(a), Ok(b)) = tokio::join!(client_side, upstream_side) else {
                return;
            };
            let (mut a, mut b) = (TokioIo::new(a), TokioIo::new(b));
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut a, &mut b) => {}
                _ = stop.cancelled() => {}
            }
        });
    }
    Ok(response.map(|b| b.map_err(BoxError::from).boxed_unsync()))
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// An `http_abort` answer: the status, the body, the headers asked for,
/// and `x-chaos-fault: <toxic name>`.
fn abort(name: &str, action: &HttpAction, close: bool) -> Response<Body> {
    let HttpAction::Abort {
        status,
        body,
        response_headers,
    } = action
    else {
        return text(StatusCode::SERVICE_UNAVAILABLE, String::new());
    };
    let status = u16::try_from(*status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut r = text(status, body.clone());
    let mut replaced = Vec::new();
    for (k, v) in response_headers {
        let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) else {
            continue;
        };
        if !replaced.contains(&k) {
            r.headers_mut().remove(&k);
            replaced.push(k.clone());
        }
        r.headers_mut().append(k, v);
    }
    if let Ok(v) = HeaderValue::from_str(name) {
        r.headers_mut()
            .insert(HeaderName::from_static("x-chaos-fault"), v);
    }
    if close {
        r.headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

/// The upstream could not be reached or failed before answering.
fn bad_gateway(e: &BoxError) -> Response<Body> {
    let mut r = text(StatusCode::BAD_GATEWAY, format!("upstream: {e}\n"));
    r.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    r
}
