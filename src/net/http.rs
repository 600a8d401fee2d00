//! HTTP/1.1 on hyper: `/healthz` (liveness), `/readyz` (readiness), the `/ws` upgrade, and
//! clear answers for everything else.

use super::static_files::{self, Set};
use super::{ConnGuard, ConnInfo, NetCtx, Upgrade};
use crate::SERVER_NAME;
use crate::config::WebFiles;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tracing::Instrument;

type Body = Full<Bytes>;

/// Serve one connection until it is upgraded or closed. The whole HTTP phase of a connection
/// is bounded by the handshake deadline: game clients upgrade at once, and probes (`/healthz`)
/// get a few seconds of keep-alive at most. (hyper's `keep_alive(false)` is not used: it
/// rewrites the 101 response's `Connection: Upgrade` to `close`.)
pub(super) async fn serve<S, U: Upgrade>(
    io: S,
    info: ConnInfo,
    deadline: tokio::time::Instant,
    shared: Arc<NetCtx<U>>,
    guard: Arc<ConnGuard>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
    let svc_shared = shared.clone();
    let svc = hyper::service::service_fn(move |req| {
        let (s, g) = (svc_shared.clone(), guard.clone());
        async move { Ok::<_, Infallible>(route(req, info, s, g).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(remaining)
        .max_buf_size(shared.config.max_header_bytes.max(8192))
        .serve_connection(TokioIo::new(io), svc)
        .with_upgrades();
    // The connection future ends when the response is written and the socket is handed to
    // the upgrade; bound it so a client that never finishes its request cannot hold a slot.
    match tokio::time::timeout_at(deadline, conn).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "HTTP connection error"),
        Err(_) => tracing::debug!("HTTP request not finished before the handshake timeout"),
    }
}

fn text(status: StatusCode, msg: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(msg.as_bytes())));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    h.insert(header::SERVER, HeaderValue::from_static(SERVER_NAME));
    r
}

/// `200 {"ready":true}`, or `503 {"ready":false,"reason":"draining"}` (or `not_registered`,
/// `redis_unreachable`): a probe or an operator's script reads the reason without parsing
/// prose.
fn readyz(r: Result<(), &'static str>) -> Response<Body> {
    let (status, body) = match r {
        Ok(()) => (StatusCode::OK, r#"{"ready":true}"#.to_owned()),
        Err(reason) => {
            (StatusCode::SERVICE_UNAVAILABLE, format!(r#"{{"ready":false,"reason":"{reason}"}}"#))
        }
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::SERVER, HeaderValue::from_static(SERVER_NAME));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Shown when a `--static-dir` override lacks the file (the built-in demo is never missing).
/// The built-in demo runs only its own files and talks only to this origin (its WebSocket
/// included: `'self'` covers `wss:` to the same host and port); `tests/browser` proves the page
/// lives within it. Not for a `--static-dir` directory: a studio's own pages bring their own
/// policy.
const DEMO_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const DEMO_MISSING: &str = "<!doctype html><title>Tickwave</title><h1>Tickwave</h1>\
<p>The game endpoint is <code>wss://&lt;this host&gt;/ws</code>.</p>\
<p>The demo directory given with <code>--static-dir</code> has no such file. Without that \
flag the server serves its built-in demo.</p>";

async fn route<U: Upgrade>(
    req: Request<Incoming>,
    info: ConnInfo,
    shared: Arc<NetCtx<U>>,
    guard: Arc<ConnGuard>,
) -> Response<Body> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") => readyz((shared.ready)()),
        (_, "/ws") => upgrade(req, info, shared, guard, Route::Game),
        (_, "/echo") if shared.config.diagnostics_echo => {
            upgrade(req, info, shared, guard, Route::Echo)
        }
        (&Method::GET, path) => match &shared.config.demo_files {
            WebFiles::Off => {
                text(StatusCode::NOT_FOUND, "not found: the game endpoint is GET /ws\n")
            }
            files => {
                let mut r =
                    static_files::serve(files, Set::Demo, path, req.headers(), DEMO_MISSING).await;
                if matches!(files, WebFiles::Embedded) {
                    let h = r.headers_mut();
                    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEMO_CSP));
                    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
                }
                r
            }
        },
        _ => text(StatusCode::NOT_FOUND, "not found: the game endpoint is GET /ws\n"),
    }
}

fn refused(reason: &'static str) {
    metrics::counter!(crate::metrics::CONNECTIONS_REFUSED, "reason" => reason).increment(1);
}

/// Holds one of the `max_connections` WebSocket slots until the session ends.
struct WsSlot(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for WsSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn header_has_token(req: &Request<Incoming>, name: header::HeaderName, token: &str) -> bool {
    req.headers().get_all(name).iter().any(|v| {
        v.to_str()
            .map(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
            .unwrap_or(false)
    })
}

/// A Sec-WebSocket-Key must be the base64 of 16 bytes (RFC 6455 4.2.1): 24 characters
/// ending in "==".
fn valid_key(key: &[u8]) -> bool {
    key.len() == 24
        && key.ends_with(b"==")
        && key[..22].iter().all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/')
}

/// What an upgraded connection runs.
#[derive(Clone, Copy)]
enum Route {
    Game,
    Echo,
}

fn upgrade<U: Upgrade>(
    mut req: Request<Incoming>,
    info: ConnInfo,
    shared: Arc<NetCtx<U>>,
    guard: Arc<ConnGuard>,
    route: Route,
) -> Response<Body> {
    if req.method() != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "the WebSocket endpoint takes GET\n");
    }
    if !header_has_token(&req, header::UPGRADE, "websocket")
        || !header_has_token(&req, header::CONNECTION, "upgrade")
    {
        let mut r = text(
            StatusCode::UPGRADE_REQUIRED,
            "426: this endpoint speaks WebSocket; send Upgrade: websocket\n",
        );
        r.headers_mut().insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        return r;
    }
    if req.headers().get(header::SEC_WEBSOCKET_VERSION).map(|v| v.as_bytes()) != Some(b"13") {
        let mut r = text(StatusCode::UPGRADE_REQUIRED, "426: Sec-WebSocket-Version must be 13\n");
        r.headers_mut().insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return r;
    }
    let key = match req.headers().get(header::SEC_WEBSOCKET_KEY) {
        Some(k) if valid_key(k.as_bytes()) => k.clone(),
        _ => {
            return text(StatusCode::BAD_REQUEST, "400: missing or invalid Sec-WebSocket-Key\n");
        }
    };
    if shared.shutdown.is_cancelled() {
        return text(StatusCode::SERVICE_UNAVAILABLE, "503: server shutting down\n");
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let allowed = &shared.config.allowed_origins;
        if !allowed.is_empty() && !allowed.iter().any(|a| a.as_bytes() == origin.as_bytes()) {
            refused("origin");
            return text(StatusCode::FORBIDDEN, "403: this Origin may not connect\n");
        }
    }
    // Count the session before answering, so concurrent upgrades cannot overshoot.
    if shared.ws_open.fetch_add(1, Ordering::AcqRel) >= shared.config.max_connections {
        shared.ws_open.fetch_sub(1, Ordering::AcqRel);
        refused("max_connections");
        let mut r = text(StatusCode::SERVICE_UNAVAILABLE, "503: server full, try again later\n");
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return r;
    }
    let ws_slot = WsSlot(shared.ws_open.clone());
    let accept = derive_accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(&mut req);
    let ws = &shared.config.ws;
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(ws.read_buffer_bytes)
        .write_buffer_size(ws.write_buffer_bytes)
        .max_write_buffer_size(ws.max_write_buffer_bytes)
        .max_message_size(Some(ws.max_message_bytes))
        .max_frame_size(Some(ws.max_frame_bytes));
    let task_shared = shared.clone();
    shared.tasks.spawn(
        async move {
            let _guard = guard;
            let _ws_slot = ws_slot;
            let upgraded = match on_upgrade.await {
                Ok(u) => u,
                Err(e) => {
                    tracing::debug!(error = %e, "upgrade failed");
                    return;
                }
            };
            let io = TokioIo::new(upgraded);
            match route {
                Route::Game => {
                    // The session's frame budget counts frames, not messages (net/frames.rs).
                    let io = super::frames::FrameMeter::new(io);
                    let ws =
                        WebSocketStream::from_raw_socket(io, Role::Server, Some(ws_config)).await;
                    task_shared.upgrade.session(ws, info).await;
                }
                Route::Echo => {
                    let cfg = super::echo::config(ws_config);
                    let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(cfg)).await;
                    super::echo::run(ws).await;
                }
            }
        }
        .in_current_span(),
    );
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).expect("base64 is a valid header value"),
    );
    h.insert(header::SERVER, HeaderValue::from_static(SERVER_NAME));
    r
}

#[cfg(test)]
mod tests {
    use super::valid_key;

    #[test]
    fn key_validation() {
        assert!(valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!valid_key(b"dGhlIHNhbXBsZSBub25jZQ"));
        assert!(!valid_key(b"dGhlIHNhbXBsZSBub25jZQ!="));
        assert!(!valid_key(b""));
    }
}
