//! The game listener, transport only: TCP accept, TLS, HTTP routing, WebSocket upgrade.
//!
//! It knows no actor: an upgraded game WebSocket goes to whatever [`Upgrade`] the server
//! assembly gave it (the session task), so the transport can be read and tested alone.

mod echo;
pub(crate) mod frames;
mod http;
pub(crate) mod limits;
pub(crate) mod static_files;

use crate::config::Config;
use crate::tls::Tls;
use frames::FrameMeter;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// Where an upgraded game WebSocket goes: the server assembly hands it to a session task.
pub(crate) trait Upgrade: Send + Sync + 'static {
    /// Drive one upgraded connection to its end.
    fn session<S>(
        &self,
        ws: WebSocketStream<FrameMeter<S>>,
        info: ConnInfo,
    ) -> impl Future<Output = ()> + Send
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static;
}

/// What the listener and its connection tasks use, and nothing else.
pub(crate) struct NetCtx<U> {
    pub(crate) config: Config,
    pub(crate) tls: Option<Tls>,
    pub(crate) ip_limiter: Arc<limits::IpLimiter>,
    /// Cancelled when the server shuts down: accepting stops, connections end.
    pub(crate) shutdown: CancellationToken,
    /// Every task that holds a connection, so shutdown can wait for them.
    pub(crate) tasks: TaskTracker,
    /// Connections open at any stage (the server reports it).
    pub(crate) open_connections: Arc<AtomicUsize>,
    /// WebSocket sessions upgraded and not yet ended (the `max_connections` limit).
    pub(crate) ws_open: Arc<AtomicUsize>,
    pub(crate) upgrade: U,
    /// `GET /readyz`: `Err(reason)` while this node should get no new players (the assembly
    /// decides: draining, cluster not registered, Redis away); `net` only answers it.
    pub(crate) ready: Box<dyn Fn() -> Result<(), &'static str> + Send + Sync>,
}

/// Accept connections until shutdown, then wait (bounded) for the connection tasks.
pub(crate) async fn accept_loop<U: Upgrade>(listener: TcpListener, shared: Arc<NetCtx<U>>) {
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shared.shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        metrics::counter!(crate::metrics::CONNECTIONS_TOTAL).increment(1);
        let refuse = |reason: &'static str| {
            metrics::counter!(crate::metrics::CONNECTIONS_REFUSED, "reason" => reason).increment(1);
            limits::log_refusal(reason, peer);
        };
        let slot = match shared.ip_limiter.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(r) => {
                refuse(r.as_str());
                continue; // closed before TLS: refusing costs almost nothing
            }
        };
        // Sessions are limited at the upgrade (with a 503); this hard cap on sockets at any
        // stage is above it, so a flood of half-open handshakes cannot exhaust descriptors.
        let open = shared.open_connections.fetch_add(1, Ordering::Relaxed) + 1;
        if open > shared.config.max_connections + HANDSHAKE_OVERFLOW {
            shared.open_connections.fetch_sub(1, Ordering::Relaxed);
            refuse("max_connections");
            continue;
        }
        let _ = tcp.set_nodelay(true);
        if let Some(n) = shared.config.tcp_send_buffer {
            let _ = socket2::SockRef::from(&tcp).set_send_buffer_size(n as usize);
        }
        let span = tracing::info_span!("conn", %peer, session = tracing::field::Empty);
        let s = shared.clone();
        shared.tasks.spawn(
            async move {
                let guard = Arc::new(ConnGuard(s.open_connections.clone(), slot));
                serve_connection(tcp, peer, s, guard).await;
            }
            .instrument(span),
        );
    }
    drop(listener);
    tracing::info!("shutting down: stopped accepting, closing sessions");
    shared.tasks.close();
    if tokio::time::timeout(shared.config.shutdown_timeout, shared.tasks.wait()).await.is_err() {
        tracing::warn!(
            remaining = shared.tasks.len(),
            "shutdown timeout reached; dropping remaining connections"
        );
    }
    tracing::info!("shutdown complete");
}

/// Decrements the open-connection count however the connection ends; shared between the HTTP
/// connection task and the session task that takes over the socket after the upgrade.
pub(crate) struct ConnGuard(Arc<AtomicUsize>, #[allow(dead_code)] limits::IpSlot);

/// Sockets allowed beyond `max_connections` while they are still in TLS/HTTP, so that a full
/// server can still answer 503 instead of silently dropping.
const HANDSHAKE_OVERFLOW: usize = 1024;

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// When and from where a connection came: carried into the session for its deadlines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnInfo {
    pub(crate) peer: SocketAddr,
    pub(crate) accepted_at: Instant,
}

async fn serve_connection<U: Upgrade>(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<NetCtx<U>>,
    guard: Arc<ConnGuard>,
) {
    let info = ConnInfo { peer, accepted_at: Instant::now() };
    let deadline =
        tokio::time::Instant::from_std(info.accepted_at + shared.config.handshake_timeout);
    match shared.tls.clone() {
        Some(tls) => {
            let stream = tokio::select! {
                r = tokio::time::timeout_at(deadline, tls.acceptor.accept(tcp)) => match r {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake timed out");
                        return;
                    }
                },
                _ = shared.shutdown.cancelled() => return,
            };
            http::serve(stream, info, deadline, shared, guard).await;
        }
        None => http::serve(tcp, info, deadline, shared, guard).await,
    }
}
