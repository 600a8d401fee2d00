//! Every knob of the server with its default. The README's defaults table mirrors this file.
//!
//! [`Config`] is what the server runs on; [`Cli`] is how `main` fills it from flags and
//! `TICKWAVE_*` environment variables. Tests build a `Config` directly (port 0, short timers).

//!
//! Why it imports no actor: every actor reads its settings from here, so a setting that lived
//! in an actor (the modes, the cluster, the address limits) made the configuration, and
//! through it every other actor, depend on that actor.

use crate::auth::AuthMode;
use crate::game::GameRegistry;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

mod cli;
mod cluster;
mod error;
mod limits;
mod mode;
mod redis_url;
pub(crate) mod validate;
mod web;

pub use cli::Cli;
pub use cluster::{ClusterConfig, LeaseTiming, PlacementPolicy};
pub use error::{LoadError, ModesError, WebFilesError};
pub use limits::{ChatLimits, InputLimits, IpLimits, WsLimits};
pub use mode::ModeConfig;
pub use redis_url::{RedisTarget, RedisUrlError};
pub use validate::ConfigError;
pub use web::WebFiles;

/// Where the TLS certificate comes from.
#[derive(Debug, Clone)]
pub enum TlsMode {
    /// Serve plain ws:// (only behind a TLS-terminating proxy; logged as a warning).
    Plain,
    /// PEM files given by the operator.
    Files {
        /// The PEM certificate chain.
        cert: PathBuf,
        /// The PEM private key.
        key: PathBuf,
    },
    /// A self-signed certificate for localhost/127.0.0.1, created once and kept in this
    /// directory so that a restart keeps the same fingerprint.
    SelfSigned {
        /// Where the certificate is kept.
        data_dir: PathBuf,
    },
}

/// The whole server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Game listener address.
    pub listen: SocketAddr,
    /// Where the certificate comes from.
    pub tls: TlsMode,
    /// WebSocket limits and buffer sizes.
    pub ws: WsLimits,
    /// Interval of WebSocket pings to each session.
    pub heartbeat_interval: Duration,
    /// A session that answers no ping for this long is closed.
    pub heartbeat_timeout: Duration,
    /// TCP accept to `hello` must finish within this, or the connection is dropped.
    pub handshake_timeout: Duration,
    /// Upper bound for a graceful shutdown.
    pub shutdown_timeout: Duration,
    /// Messages waiting to be written to one client; when full, state is skipped and the
    /// client is resynced later, so a slow reader never grows memory or blocks a tick.
    pub outbound_queue: usize,
    /// Kernel send buffer per connection (SO_SNDBUF; the kernel doubles it). Capping it bounds
    /// kernel memory per player and makes a client that stops reading show up as a full
    /// outbound queue within seconds instead of after megabytes. `None` keeps autotuning.
    pub tcp_send_buffer: Option<u32>,
    /// Largest HTTP request head accepted before the upgrade.
    pub max_header_bytes: usize,
    /// Open connections (TCP accepted, any stage) beyond which new ones are refused.
    pub max_connections: usize,
    /// Game modes, each with its matchmaking and lobby settings.
    pub modes: Vec<ModeConfig>,
    /// Capacity of each lobby's and the matchmaker's mailbox.
    pub mailbox: usize,
    /// How long a dropped player who was not in a lobby keeps their identity for a resume
    /// (in a lobby, the mode's `seat_grace_ms` applies).
    pub resume_grace: Duration,
    /// On SIGTERM (or an admin drain), how long running matches may go on before everyone
    /// still connected gets close 1001.
    pub drain_timeout: Duration,
    /// The browser demo served at `/` on the game listener: the copy built into the binary,
    /// an override directory, or nothing.
    pub demo_files: WebFiles,
    /// Chat limits per player.
    pub chat: ChatLimits,
    /// Input and frame rates per session.
    pub inputs: InputLimits,
    /// Per-address connection limits, checked at accept.
    pub ip: IpLimits,
    /// Browser origins allowed to open the game WebSocket; empty allows any (development).
    /// Requests without an Origin header (native clients) are always allowed.
    pub allowed_origins: Vec<String>,
    /// Serve the `/echo` WebSocket route for conformance testing (Autobahn). Never in production.
    pub diagnostics_echo: bool,
    /// Admin listener (HTTPS with the game listener's certificate); `None` disables it.
    pub admin_listen: Option<SocketAddr>,
    /// Operator (read and act) and viewer (read) bearer tokens; generated when unset.
    pub admin_token: Option<String>,
    /// The viewer (read-only) token.
    pub viewer_token: Option<String>,
    /// The dashboard's files, served by the admin listener at `/` (built in by default).
    pub dashboard_files: WebFiles,
    /// Player authentication: guest (development) or signed player tokens.
    pub auth: AuthMode,
    /// Games the modes can name; `arena` is built in. Studios register theirs here.
    pub games: GameRegistry,
    /// Cluster mode (Redis); `None`, the default, is a single node that needs no Redis.
    pub cluster: Option<ClusterConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:4433".parse().expect("valid literal"),
            tls: TlsMode::SelfSigned { data_dir: PathBuf::from(".tickwave") },
            ws: WsLimits::default(),
            heartbeat_interval: Duration::from_secs(1),
            heartbeat_timeout: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(10),
            outbound_queue: 64,
            tcp_send_buffer: Some(64 * 1024),
            max_header_bytes: 8 * 1024,
            max_connections: 20_000,
            modes: ModeConfig::defaults(),
            mailbox: 4096,
            resume_grace: Duration::from_secs(15),
            drain_timeout: Duration::from_secs(300),
            games: GameRegistry::default(),
            auth: AuthMode::Guest,
            demo_files: WebFiles::Embedded,
            chat: ChatLimits::default(),
            inputs: InputLimits::default(),
            ip: IpLimits::default(),
            allowed_origins: Vec::new(),
            diagnostics_echo: false,
            admin_listen: Some("127.0.0.1:9433".parse().expect("valid literal")),
            admin_token: None,
            viewer_token: None,
            dashboard_files: WebFiles::Embedded,
            cluster: None,
        }
    }
}
