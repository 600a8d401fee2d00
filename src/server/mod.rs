//! The server assembly: builds the actors, their handles and the listeners, hands each task
//! a context of exactly what it uses, and owns the drain and the shutdown order.
//!
//! Why here and not in the listener: the listener is transport (`net/`); starting the
//! matchmaker, the cluster tasks and the admin listener, and deciding who may see what, is
//! the one place that knows every part. Nothing below imports this module.

mod drain;

use crate::cluster::{Cluster, ClusterMatchmaking};
use crate::config::Config;
use crate::counters::Counters;
use crate::link::{Draining, Matchmaking};
use crate::lobby::status::Directory;
use crate::net::frames::FrameMeter;
use crate::net::{self, ConnInfo, NetCtx, Upgrade};
use crate::session::registry::{Registry, SessionInfo};
use crate::session::resume::{ResumeKeys, SeatHolds};
use crate::session::{self, SessionCtx};
use crate::tls;
pub(crate) use drain::DrainCtx;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The game or admin listener could not bind.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The certificate or key could not be loaded or made.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The modes cannot run (unknown game, duplicate name, out of range).
    #[error("mode configuration: {0}")]
    Modes(#[from] crate::config::ModesError),
    /// The cluster settings are unusable (the Redis URL).
    #[error("configuration: {0}")]
    Cluster(#[from] crate::cluster::ClusterError),
    /// A value outside its documented range, or values that contradict each other.
    #[error("configuration: {0}")]
    Invalid(#[from] crate::config::ConfigError),
}

/// Hands upgraded game WebSockets to session tasks.
struct Sessions(Arc<SessionCtx>);

impl Upgrade for Sessions {
    fn session<S>(
        &self,
        ws: WebSocketStream<FrameMeter<S>>,
        info: ConnInfo,
    ) -> impl std::future::Future<Output = ()> + Send
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        session::run(ws, info, self.0.clone())
    }
}

/// `GET /readyz`: may a load balancer send new players here? Not while draining; in
/// cluster mode, not before the first registration (no other node can place or redirect
/// here yet) nor while Redis is unreachable (matchmaking is paused; running matches go on,
/// which is liveness, `/healthz`).
fn readiness(draining: &Draining, cluster: Option<&Cluster>) -> Result<(), &'static str> {
    use std::sync::atomic::Ordering;
    if draining.get() {
        return Err("draining");
    }
    match cluster {
        Some(c) if !c.registered.load(Ordering::Acquire) => Err("not_registered"),
        Some(c) if !c.redis_ok.load(Ordering::Acquire) => Err("redis_unreachable"),
        _ => Ok(()),
    }
}

/// A running server.
pub struct Server {
    local_addr: SocketAddr,
    fingerprint: Option<String>,
    registry: Arc<Registry>,
    holds: Arc<SeatHolds>,
    open_connections: Arc<AtomicUsize>,
    counters: Arc<Counters>,
    cluster: Option<Arc<Cluster>>,
    drain: Arc<DrainCtx>,
    shutdown: CancellationToken,
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
        let counters = Arc::new(Counters::default());
        let directory = Arc::new(Directory::default());
        let (matchmaker, mm_status) = crate::matchmaker::spawn(
            config.modes.clone(),
            config.games.clone(),
            config.mailbox,
            shutdown.clone(),
            counters.clone(),
            directory.clone(),
            config.chat,
        )?;
        let fingerprint = tls.as_ref().map(|t| t.fingerprint.clone());
        // Tools parse this line and its target (`tickwave::net`), which predates this module.
        match &fingerprint {
            Some(fp) => {
                tracing::info!(target: "tickwave::net", %local_addr, sha256 = %fp, "listening on wss://{local_addr}/ws")
            }
            None => tracing::warn!(
                target: "tickwave::net",
                %local_addr,
                "listening on plain ws://{local_addr}/ws without TLS (--plain): only behind a TLS-terminating proxy"
            ),
        }
        let ip_limiter = net::limits::IpLimiter::new(config.ip);
        let cluster = match &config.cluster {
            Some(c) => {
                let cluster = Cluster::new(c.clone())?;
                cluster.check_supported(std::time::Duration::from_secs(2)).await?;
                Some(cluster)
            }
            None => None,
        };
        let matchmaking: Arc<dyn Matchmaking> = match &cluster {
            Some(c) => {
                Arc::new(ClusterMatchmaking { cluster: c.clone(), matchmaker: matchmaker.clone() })
            }
            None => Arc::new(matchmaker.clone()),
        };
        // Cluster mode: every node can check every node's tokens (lost lobbies).
        let resume_keys = Arc::new(match &config.cluster {
            Some(c) => ResumeKeys::cluster(&c.secret),
            None => ResumeKeys::random(),
        });
        let registry = Arc::new(Registry::default());
        let holds = Arc::new(SeatHolds::default());
        let draining = Draining::default();
        let drain = Arc::new(DrainCtx {
            draining: draining.clone(),
            timeout: config.drain_timeout,
            registry: registry.clone(),
            matchmaking: matchmaking.clone(),
            matchmaker: matchmaker.clone(),
            counters: counters.clone(),
            shutdown: shutdown.clone(),
        });
        if let Some(c) = &cluster {
            tracing::info!(node = c.node_id(), "cluster mode");
            crate::cluster::spawn(
                crate::cluster::ClusterCtx {
                    shutdown: shutdown.clone(),
                    matchmaker: matchmaker.clone(),
                    registry: registry.clone(),
                    counters: counters.clone(),
                    directory: directory.clone(),
                    draining: draining.clone(),
                    resume_keys: resume_keys.clone(),
                    modes: config.modes.clone(),
                },
                c,
            );
        }
        crate::metrics::handle();
        let open_connections = Arc::new(AtomicUsize::new(0));
        let admin = match config.admin_listen {
            Some(addr) => {
                let tokens = crate::admin::auth::AdminTokens::new(
                    config.admin_token.clone(),
                    config.viewer_token.clone(),
                );
                let d = drain.clone();
                let ctx = crate::admin::AdminCtx {
                    config: config.clone(),
                    tls: tls.clone(),
                    registry: registry.clone(),
                    directory: directory.clone(),
                    matchmaker: matchmaker.clone(),
                    mm_status,
                    cluster: cluster.clone(),
                    open_connections: open_connections.clone(),
                    shutdown: shutdown.clone(),
                    drain: Arc::new(move || drain::drain(&d)),
                };
                Some(
                    crate::admin::start(Arc::new(ctx), addr, tokens)
                        .await
                        .map_err(|source| StartError::Bind { addr, source })?,
                )
            }
            None => None,
        };
        let sessions = SessionCtx {
            config: config.clone(),
            registry: registry.clone(),
            matchmaker,
            matchmaking,
            shutdown: shutdown.clone(),
            resume_keys,
            holds: holds.clone(),
            draining: draining.clone(),
        };
        let ready_cluster = cluster.clone();
        let net = Arc::new(NetCtx {
            config,
            tls,
            ip_limiter: ip_limiter.clone(),
            shutdown: shutdown.clone(),
            tasks: TaskTracker::new(),
            open_connections: open_connections.clone(),
            ws_open: Arc::new(AtomicUsize::new(0)),
            upgrade: Sessions(Arc::new(sessions)),
            ready: Box::new(move || readiness(&draining, ready_cluster.as_deref())),
        });
        let done = tokio::spawn(net::accept_loop(listener, net));
        tokio::spawn(drain::sweep_holds(holds.clone(), ip_limiter, shutdown.clone()));
        Ok(Server {
            local_addr,
            fingerprint,
            registry,
            holds,
            open_connections,
            counters,
            cluster,
            drain,
            shutdown,
            done,
            admin,
        })
    }

    /// The game listener's address (the port when started on port 0).
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
        self.registry.len()
    }

    /// Connections open at any stage (TLS, HTTP, WebSocket).
    pub fn connection_count(&self) -> usize {
        self.open_connections.load(Ordering::Relaxed)
    }

    /// What the server knows about a session, by its public id.
    pub fn session(&self, id: u64) -> Option<SessionInfo> {
        self.registry.get(id)
    }

    /// Players whose identity or seat is held for a resume (connected or dropped).
    pub fn held_players(&self) -> usize {
        self.holds.len()
    }

    /// Cluster mode: does this node hold the matchmaker lease now?
    pub fn is_cluster_leader(&self) -> bool {
        self.cluster.as_ref().is_some_and(|c| c.is_leader())
    }

    /// Lobbies alive now.
    pub fn lobby_count(&self) -> usize {
        self.counters.lobbies_live()
    }

    /// Lobbies ended by a panic in their game code.
    pub fn lobby_panics(&self) -> u64 {
        self.counters.lobby_panics.load(Ordering::Relaxed)
    }

    /// Lobbies ended because their game's view broke its schema.
    pub fn lobby_bad_views(&self) -> u64 {
        self.counters.lobby_bad_views.load(Ordering::Relaxed)
    }

    /// Start draining: matchmaking stops (queued players are told), lobbies that have not
    /// started close, running matches play to their end. When no lobby is left, or the drain
    /// timeout passes, the server shuts down (close 1001 to everyone still connected).
    pub fn drain(&self) {
        drain::drain(&self.drain);
    }

    /// A handle that can start the drain from another task (signal handlers, admin).
    pub fn drainer(&self) -> Drainer {
        Drainer(self.drain.clone())
    }

    /// A token that starts the graceful shutdown when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Start the graceful shutdown and wait for it (bounded by the shutdown timeout).
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        self.wait().await;
    }

    /// Wait until the server has stopped (after something cancelled its shutdown token).
    pub async fn wait(self) {
        let _ = self.done.await;
    }
}

/// Starts the drain of a running server; see [`Server::drain`].
#[derive(Clone)]
pub struct Drainer(Arc<DrainCtx>);

impl Drainer {
    /// Start the drain (once; later calls do nothing).
    pub fn drain(&self) {
        drain::drain(&self.0);
    }
}
