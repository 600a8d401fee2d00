//! The game listener: TCP accept, TLS, HTTP routing, WebSocket upgrade, and shutdown.

mod echo;
pub(crate) mod frames;
mod http;
pub mod limits;
pub mod static_files;

use crate::config::Config;
use crate::counters::Counters;
use crate::link::{MatchmakerHandle, Matchmaking};
use crate::lobby::status::Directory;
use crate::matchmaker::{self, status::MatchmakingStatus};
use crate::session::registry::Registry;
use crate::session::resume::{ResumeKeys, SeatHolds};
use crate::tls::{self, Tls};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("binding {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("mode configuration: {0}")]
    Modes(#[from] crate::config::ModesError),
    #[error("configuration: {0}")]
    Cluster(#[from] crate::cluster::ClusterError),
    /// A value outside its documented range, or values that contradict each other.
    #[error("configuration: {0}")]
    Invalid(#[from] crate::config::ConfigError),
}

/// What every connection task shares.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) registry: Registry,
    pub(crate) matchmaker: MatchmakerHandle,
    pub(crate) mm_status: tokio::sync::watch::Receiver<Arc<MatchmakingStatus>>,
    /// This node's matchmaker, or the cluster's shared queue: what sessions ask.
    pub(crate) matchmaking: Arc<dyn Matchmaking>,
    /// Cancelled when the server shuts down: sessions send close 1001 and end.
    pub(crate) shutdown: CancellationToken,
    /// Every task that holds a connection, so shutdown can wait for them.
    pub(crate) tasks: TaskTracker,
    pub(crate) open_connections: AtomicUsize,
    /// WebSocket sessions upgraded and not yet ended (the `max_connections` limit).
    pub(crate) ws_open: AtomicUsize,
    pub(crate) ip_limiter: Arc<limits::IpLimiter>,
    pub(crate) tls: Option<Tls>,
    pub(crate) resume_keys: ResumeKeys,
    pub(crate) holds: SeatHolds,
    pub(crate) counters: Arc<Counters>,
    pub(crate) directory: Arc<Directory>,
    /// Cluster mode: the shared queue, directory and reservations in Redis.
    pub(crate) cluster: Option<Arc<crate::cluster::Cluster>>,
    /// Set once a drain starts: no new matches, running ones finish, then shutdown.
    draining: AtomicBool,
}

impl Shared {
    pub(crate) fn draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }
}

/// A running server.
pub struct Server {
    local_addr: SocketAddr,
    fingerprint: Option<String>,
    shared: Arc<Shared>,
    done: JoinHandle<()>,
    admin: Option<Arc<crate::admin::Admin>>,
}

impl Server {
    /// Bind, set up TLS, start the matchmaker and the accept loop. Returns once listening.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        config.validate()?;
        let tls = tls::load(&config.tls)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Bind { addr: config.listen, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr: config.listen, source })?;
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let counters = Arc::new(Counters::default());
        let directory = Arc::new(Directory::default());
        let (matchmaker, mm_status) = matchmaker::spawn(
            config.modes.clone(),
            config.games.clone(),
            config.mailbox,
            shutdown.clone(),
            counters.clone(),
            directory.clone(),
            config.chat,
        )?;
        let fingerprint = tls.as_ref().map(|t| t.fingerprint.clone());
        match &fingerprint {
            Some(fp) => {
                tracing::info!(%local_addr, sha256 = %fp, "listening on wss://{local_addr}/ws")
            }
            None => tracing::warn!(
                %local_addr,
                "listening on plain ws://{local_addr}/ws without TLS (--plain): only behind a TLS-terminating proxy"
            ),
        }
        let ip_limiter = limits::IpLimiter::new(config.ip);
        let cluster = match &config.cluster {
            Some(c) => Some(crate::cluster::Cluster::new(c.clone())?),
            None => None,
        };
        let matchmaking: Arc<dyn Matchmaking> = match &cluster {
            Some(c) => Arc::new(crate::cluster::ClusterMatchmaking {
                cluster: c.clone(),
                matchmaker: matchmaker.clone(),
            }),
            None => Arc::new(matchmaker.clone()),
        };
        let config_cluster_secret = config.cluster.as_ref().map(|c| c.secret.clone());
        let shared = Arc::new(Shared {
            config,
            registry: Registry::default(),
            matchmaker,
            mm_status,
            matchmaking,
            shutdown,
            tasks,
            open_connections: AtomicUsize::new(0),
            ws_open: AtomicUsize::new(0),
            ip_limiter,
            tls,
            // Cluster mode: every node can check every node's tokens (lost lobbies).
            resume_keys: match &config_cluster_secret {
                Some(secret) => ResumeKeys::cluster(secret),
                None => ResumeKeys::random(),
            },
            holds: SeatHolds::default(),
            counters,
            directory,
            cluster,
            draining: AtomicBool::new(false),
        });
        if let Some(c) = &shared.cluster {
            tracing::info!(node = c.node_id(), "cluster mode");
            crate::cluster::spawn(&shared, c);
        }
        crate::metrics::handle();
        let admin = match shared.config.admin_listen {
            Some(addr) => {
                let tokens = crate::admin::auth::AdminTokens::new(
                    shared.config.admin_token.clone(),
                    shared.config.viewer_token.clone(),
                );
                Some(
                    crate::admin::start(shared.clone(), addr, tokens)
                        .await
                        .map_err(|source| StartError::Bind { addr, source })?,
                )
            }
            None => None,
        };
        let done = tokio::spawn(accept_loop(listener, shared.clone()));
        tokio::spawn(sweep_holds(shared.clone()));
        Ok(Server { local_addr, fingerprint, shared, done, admin })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The admin listener's address, when enabled.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().map(|a| a.addr)
    }

    /// The admin tokens in force: (operator, viewer).
    pub fn admin_tokens(&self) -> Option<(String, String)> {
        self.admin.as_ref().map(|a| (a.tokens.operator.clone(), a.tokens.viewer.clone()))
    }

    /// SHA-256 of the certificate (hex), `None` in plain mode.
    pub fn cert_fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    /// Sessions currently registered (handshake done, not yet freed).
    pub fn session_count(&self) -> usize {
        self.shared.registry.len()
    }

    /// Connections open at any stage (TLS, HTTP, WebSocket).
    pub fn connection_count(&self) -> usize {
        self.shared.open_connections.load(Ordering::Relaxed)
    }

    /// What the server knows about a session, by its public id.
    pub fn session(&self, id: u64) -> Option<crate::session::registry::SessionInfo> {
        self.shared.registry.get(id)
    }

    /// Players whose identity or seat is held for a resume (connected or dropped).
    pub fn held_players(&self) -> usize {
        self.shared.holds.len()
    }

    /// Cluster mode: does this node hold the matchmaker lease now?
    pub fn is_cluster_leader(&self) -> bool {
        self.shared.cluster.as_ref().is_some_and(|c| c.is_leader())
    }

    /// Lobbies alive now.
    pub fn lobby_count(&self) -> usize {
        self.shared.counters.lobbies_live()
    }

    /// Lobbies ended by a panic in their game code.
    pub fn lobby_panics(&self) -> u64 {
        self.shared.counters.lobby_panics.load(Ordering::Relaxed)
    }

    /// Lobbies ended because their game's view broke its schema.
    pub fn lobby_bad_views(&self) -> u64 {
        self.shared.counters.lobby_bad_views.load(Ordering::Relaxed)
    }

    /// Start draining: matchmaking stops (queued players are told), lobbies that have not
    /// started close, running matches play to their end. When no lobby is left, or the drain
    /// timeout passes, the server shuts down (close 1001 to everyone still connected).
    pub fn drain(&self) {
        drain(&self.shared);
    }

    /// A handle that can start the drain from another task (signal handlers, admin).
    pub fn drainer(&self) -> Drainer {
        Drainer(self.shared.clone())
    }

    /// A token that starts the graceful shutdown when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shared.shutdown.clone()
    }

    /// Start the graceful shutdown and wait for it (bounded by the shutdown timeout).
    pub async fn shutdown(self) {
        self.shared.shutdown.cancel();
        self.wait().await;
    }

    /// Wait until the server has stopped (after something cancelled its shutdown token).
    pub async fn wait(self) {
        let _ = self.done.await;
    }
}

/// Starts the drain of a running server; see [`Server::drain`].
#[derive(Clone)]
pub struct Drainer(Arc<Shared>);

impl Drainer {
    pub fn drain(&self) {
        drain(&self.0);
    }
}

pub(crate) fn drain(shared: &Arc<Shared>) {
    if shared.draining.swap(true, Ordering::AcqRel) {
        return;
    }
    tracing::info!(timeout = ?shared.config.drain_timeout, "draining: no new matches; running matches finish");
    let secs = shared.config.drain_timeout.as_secs();
    crate::admin::broadcast_notice(
        shared,
        "warning",
        &format!(
            "This server is shutting down: running matches finish (at most {secs} s), no new matches start."
        ),
    );
    tracing::info!(target: "audit", action = "drain", "drain started; notice sent to every session");
    shared.matchmaking.drain_queue();
    // Retry until the matchmaker takes the request: a drain must not be lost in a full mailbox.
    let s = shared.clone();
    tokio::spawn(async move {
        while !s.matchmaker.drain() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let deadline = tokio::time::Instant::now() + s.config.drain_timeout;
        loop {
            if s.counters.lobbies_live() == 0 {
                tracing::info!("drain complete: no lobby left");
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(
                    lobbies = s.counters.lobbies_live(),
                    "drain timeout: closing everyone"
                );
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
                _ = s.shutdown.cancelled() => return,
            }
        }
        s.shutdown.cancel();
    });
}

/// Expired seat holds are dropped once a second.
async fn sweep_holds(shared: Arc<Shared>) {
    let mut t = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = t.tick() => {
                shared.holds.sweep(std::time::Instant::now());
                shared.ip_limiter.sweep();
            }
            _ = shared.shutdown.cancelled() => return,
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
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
                let guard = Arc::new(ConnGuard(s.clone(), slot));
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
pub(crate) struct ConnGuard(Arc<Shared>, #[allow(dead_code)] limits::IpSlot);

/// Sockets allowed beyond `max_connections` while they are still in TLS/HTTP, so that a full
/// server can still answer 503 instead of silently dropping.
const HANDSHAKE_OVERFLOW: usize = 1024;

impl Drop for ConnGuard {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// When and from where a connection came: carried into the session for its deadlines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnInfo {
    pub(crate) peer: SocketAddr,
    pub(crate) accepted_at: Instant,
}

async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
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
