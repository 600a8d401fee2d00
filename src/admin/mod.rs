//! The admin listener: a separate HTTPS port (never the public game port), bearer-token
//! auth with two roles, a JSON API, Prometheus `/metrics`, a spectator WebSocket, and the
//! dashboard's static files.
//!
//! Reads come from what the actors publish (`watch` channels, the session registry), so an
//! operator looking never slows a tick; actions go through the actors' mailboxes, and every
//! action is written to the `audit` tracing target.

mod api;
pub(crate) use api::broadcast_notice;
pub(crate) mod auth;
mod conns;
mod spectate;

use crate::cluster::Cluster;
use crate::config::{Config, WebFiles};
use crate::link::MatchmakerHandle;
use crate::lobby::status::Directory;
use crate::matchmaker::status::MatchmakingStatus;
use crate::net::static_files::{self, Set};
use crate::session::registry::Registry;
use crate::tls::Tls;
use auth::{AdminTokens, Role};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub(crate) type Body = Full<Bytes>;

/// The dashboard runs only its own files and talks only to this origin; nothing may frame it.
const DASHBOARD_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Admin connections open at once; when full, a new one evicts the oldest connection that
/// has not presented a valid token (see `conns`), so idle connections cannot lock out an
/// operator.
const MAX_ADMIN_CONNECTIONS: usize = 256;
/// Largest request body (actions take small JSON bodies); a larger declared length is
/// refused (413) before any of it is read.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// A request body must have arrived this long after its head, or the request gets 408 and
/// the connection is closed: a body trickled a byte a second must not hold a connection.
/// (The TLS handshake and each request head, including the idle wait for it, are bounded by
/// `--handshake-timeout-ms`.)
const BODY_TIMEOUT: Duration = Duration::from_secs(5);

type Table = Arc<Mutex<conns::ConnTable<CancellationToken>>>;

/// One admitted connection: marks it authenticated, frees its entry when it ends.
struct Slot {
    table: Table,
    id: u64,
}

impl Slot {
    fn authenticated(&self) {
        self.table.lock().unwrap_or_else(|p| p.into_inner()).authenticate(self.id);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.table.lock().unwrap_or_else(|p| p.into_inner()).remove(self.id);
    }
}

/// What the admin listener uses, and nothing else.
pub(crate) struct AdminCtx {
    pub(crate) config: Config,
    pub(crate) tls: Option<Tls>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) matchmaker: MatchmakerHandle,
    pub(crate) mm_status: watch::Receiver<Arc<MatchmakingStatus>>,
    pub(crate) cluster: Option<Arc<Cluster>>,
    pub(crate) open_connections: Arc<AtomicUsize>,
    pub(crate) shutdown: CancellationToken,
    /// Starts the server's drain (the server assembly owns it).
    pub(crate) drain: Arc<dyn Fn() + Send + Sync>,
}

pub(crate) struct Admin {
    pub(crate) tokens: AdminTokens,
    pub(crate) addr: SocketAddr,
}

/// Start the admin listener; returns its address. Tokens are printed once when generated.
pub(crate) async fn start(
    shared: Arc<AdminCtx>,
    listen: SocketAddr,
    tokens: AdminTokens,
) -> std::io::Result<Arc<Admin>> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let scheme = if shared.tls.is_some() { "https" } else { "http" };
    tracing::info!(%addr, "admin listener on {scheme}://{addr}/ (dashboard) and /admin/*, /metrics");
    if tokens.generated {
        // Printed once, on stdout, not into the structured log. A closed stdout (the reader
        // of a pipe is gone) loses them instead of panicking: `println!` would panic.
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "admin operator token: {}", tokens.operator)
            .and_then(|()| writeln!(out, "admin viewer token:   {}", tokens.viewer))
            .and_then(|()| out.flush());
    }
    let admin = Arc::new(Admin { tokens, addr });
    tokio::spawn(accept_loop(listener, shared, admin.clone()));
    Ok(admin)
}

async fn accept_loop(listener: TcpListener, shared: Arc<AdminCtx>, admin: Arc<Admin>) {
    let table: Table = Arc::new(Mutex::new(conns::ConnTable::new(MAX_ADMIN_CONNECTIONS)));
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let evict = CancellationToken::new();
        let admitted = table.lock().unwrap_or_else(|p| p.into_inner()).admit(evict.clone());
        let id = match admitted {
            conns::Admission::Admitted(id) => id,
            conns::Admission::Evicting { id, evicted } => {
                tracing::debug!(%peer, "admin listener full: closing the oldest unauthenticated connection");
                evicted.cancel();
                id
            }
            conns::Admission::Refused => {
                tracing::debug!(%peer, "admin listener full of authenticated connections: refused");
                continue;
            }
        };
        let slot = Arc::new(Slot { table: table.clone(), id });
        let (s, a) = (shared.clone(), admin.clone());
        tokio::spawn(
            async move {
                tokio::select! {
                    _ = serve(tcp, peer, s, a, slot) => {}
                    _ = evict.cancelled() => tracing::debug!("evicted for a newer connection"),
                }
            }
            .instrument(tracing::debug_span!("admin", %peer)),
        );
    }
}

async fn serve(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    shared: Arc<AdminCtx>,
    admin: Arc<Admin>,
    slot: Arc<Slot>,
) {
    let _ = tcp.set_nodelay(true);
    let timeout = shared.config.handshake_timeout;
    match shared.tls.clone() {
        Some(tls) => match tokio::time::timeout(timeout, tls.acceptor.accept(tcp)).await {
            Ok(Ok(stream)) => serve_http(TokioIo::new(stream), peer, shared, admin, slot).await,
            _ => tracing::debug!("admin TLS handshake failed or timed out"),
        },
        None => serve_http(TokioIo::new(tcp), peer, shared, admin, slot).await,
    }
}

async fn serve_http<I>(
    io: I,
    peer: SocketAddr,
    shared: Arc<AdminCtx>,
    admin: Arc<Admin>,
    slot: Arc<Slot>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    // Each request head, and the idle wait before it, within the handshake timeout: an
    // unauthenticated connection cannot sit idle for longer.
    let head_timeout = shared.config.handshake_timeout;
    let svc = hyper::service::service_fn(move |req| {
        let (s, a, slot) = (shared.clone(), admin.clone(), slot.clone());
        async move { Ok::<_, Infallible>(route(req, peer, s, a, &slot).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout)
        .max_buf_size(16 * 1024)
        .serve_connection(io, svc)
        .with_upgrades();
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "admin connection error");
    }
}

pub(crate) fn json(status: StatusCode, value: &impl serde::Serialize) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::SERVER, HeaderValue::from_static(crate::SERVER_NAME));
    r
}

/// A response whose body is JSON already serialized (a spectator frame).
pub(crate) fn json_text(status: StatusCode, body: &[u8]) -> Response<Body> {
    let mut r = json(status, &());
    *r.body_mut() = Full::new(Bytes::copy_from_slice(body));
    r
}

/// `{"error": code, "message": ...}` with a status: the shape of every admin error.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json(status, &serde_json::json!({ "error": code, "message": message }))
}

/// The bearer token of a request: the Authorization header, or (for the spectator
/// WebSocket only, since browsers cannot set headers on it) a `token` query parameter.
fn presented_token(req: &Request<Incoming>, allow_query: bool) -> Option<String> {
    if let Some(v) = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(|t| t.trim().to_owned());
    }
    if allow_query {
        return req.uri().query().and_then(|q| {
            q.split('&').find_map(|kv| kv.strip_prefix("token=").map(percent_decode))
        });
    }
    None
}

/// Decode `%XX` escapes (and `+` as space) of a query value; malformed escapes stay as is.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = (b[i] == b'%' && i + 2 < b.len())
            .then(|| std::str::from_utf8(&b[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (escaped, b[i]) {
            (Some(v), _) => {
                out.push(v);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, c) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The response, and then the connection is closed (the rest of a body is never read).
fn closing(mut r: Response<Body>) -> Response<Body> {
    r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Read a small JSON body (actions); an empty body is `{}`. A declared length over the
/// limit is refused before reading; a body not complete within [`BODY_TIMEOUT`] gets 408.
pub(crate) async fn body_json(req: Request<Incoming>) -> Result<serde_json::Value, Response<Body>> {
    use hyper::body::Body as _;
    let too_large =
        || closing(error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "at most 16 KiB"));
    if req.body().size_hint().lower() > MAX_BODY_BYTES as u64 {
        return Err(too_large());
    }
    let read = Limited::new(req.into_body(), MAX_BODY_BYTES).collect();
    let bytes = match tokio::time::timeout(BODY_TIMEOUT, read).await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(_)) => return Err(too_large()),
        Err(_) => {
            let msg = "the request body did not arrive within 5 s";
            return Err(closing(error(StatusCode::REQUEST_TIMEOUT, "body_timeout", msg)));
        }
    };
    if bytes.is_empty() {
        return Ok(serde_json::json!({}));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| error(StatusCode::BAD_REQUEST, "bad_json", &e.to_string()))
}

async fn route(
    req: Request<Incoming>,
    peer: SocketAddr,
    shared: Arc<AdminCtx>,
    admin: Arc<Admin>,
    slot: &Slot,
) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    // The dashboard's files hold no data; everything they show comes from the API below.
    if method == Method::GET && (path == "/" || path.starts_with("/ui/")) {
        let rel = if path == "/" { "/index.html" } else { &path[3..] };
        return match &shared.config.dashboard_files {
            WebFiles::Off => error(StatusCode::NOT_FOUND, "not_found", "no dashboard configured"),
            files => {
                let missing = "no such file in the --admin-static-dir directory\n";
                let mut r =
                    static_files::serve(files, Set::Dashboard, rel, req.headers(), missing).await;
                let h = r.headers_mut();
                h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DASHBOARD_CSP));
                h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
                h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
                r
            }
        };
    }
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let is_watch = matches!(segs.as_slice(), ["admin", "lobbies", _, "watch"]);
    let Some(role) = presented_token(&req, is_watch).and_then(|t| admin.tokens.role(&t)) else {
        return error(StatusCode::UNAUTHORIZED, "unauthorized", "missing or wrong bearer token");
    };
    slot.authenticated();
    let ctx = api::Ctx { shared: &shared, role, peer };
    let need_operator = method == Method::POST;
    if need_operator && role < Role::Operator {
        tracing::info!(target: "audit", role = role.as_str(), %peer, %path, "forbidden action refused");
        return error(StatusCode::FORBIDDEN, "forbidden", "this token may only read");
    }
    let id = |s: &str| s.parse::<u64>().ok();
    match (&method, segs.as_slice()) {
        (&Method::GET, ["metrics"]) => api::metrics(&ctx),
        (&Method::GET, ["admin", "whoami"]) => {
            json(StatusCode::OK, &serde_json::json!({ "role": role.as_str() }))
        }
        (&Method::GET, ["admin", "lobbies"]) if query_has(req.uri().query(), "scope=cluster") => {
            match &shared.cluster {
                None => error(StatusCode::NOT_FOUND, "not_clustered", "this node runs single-node"),
                Some(c) => match crate::cluster::lobbies(c).await {
                    Ok(v) => json(StatusCode::OK, &v),
                    Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, "redis_unreachable", &e),
                },
            }
        }
        (&Method::GET, ["admin", "lobbies"]) => api::lobbies(&ctx, req.uri().query()),
        (&Method::GET, ["admin", "lobbies", i]) => api::lobby(&ctx, id(i)),
        (&Method::GET, ["admin", "lobbies", i, "watch"]) => {
            spectate::watch(req, &shared, id(i)).await
        }
        (&Method::GET, ["admin", "lobbies", i, "view"]) => {
            spectate::view(&shared, id(i), req.uri().query()).await
        }
        (&Method::POST, ["admin", "lobbies", i, "close"]) => {
            let i = id(i);
            match body_json(req).await {
                Ok(b) => api::close_lobby(&ctx, i, &b),
                Err(r) => r,
            }
        }
        (&Method::GET, ["admin", "sessions"]) => api::sessions(&ctx, req.uri().query()),
        (&Method::GET, ["admin", "sessions", i]) => api::session(&ctx, id(i)),
        (&Method::POST, ["admin", "sessions", i, "kick"]) => {
            let i = id(i);
            match body_json(req).await {
                Ok(b) => api::kick(&ctx, i, &b),
                Err(r) => r,
            }
        }
        (&Method::GET, ["admin", "matchmaking"]) => api::matchmaking(&ctx),
        (&Method::GET, ["admin", "cluster"]) => match &shared.cluster {
            None => error(StatusCode::NOT_FOUND, "not_clustered", "this node runs single-node"),
            Some(c) => match crate::cluster::view(c).await {
                Ok(v) => json(StatusCode::OK, &v),
                Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, "redis_unreachable", &e),
            },
        },
        (&Method::POST, ["admin", "drain"]) => api::drain(&ctx),
        (&Method::POST, ["admin", "notice"]) => match body_json(req).await {
            Ok(b) => api::notice(&ctx, &b),
            Err(r) => r,
        },
        _ => error(StatusCode::NOT_FOUND, "not_found", "no such admin route"),
    }
}

/// Whether the query string has this exact `key=value` pair.
fn query_has(query: Option<&str>, pair: &str) -> bool {
    query.is_some_and(|q| q.split('&').any(|p| p == pair))
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_decoding() {
        assert_eq!(super::percent_decode("a%2Bb%3D%3d+c%zz%"), "a+b== c%zz%");
    }
}
