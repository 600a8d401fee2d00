//! The `tickwave` binary's flags and environment, turned into a [`Config`].

use super::validate::{self, f64_in, ranges};
use super::{
    ChatLimits, ClusterConfig, Config, InputLimits, IpLimits, LoadError, ModeConfig, RedisTarget,
    TlsMode, WebFiles, WsLimits,
};
use crate::auth::{AuthMode, TokenVerifier};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// clap's integer parser restricted to a documented range; its error names the flag and
/// the range (`0 is not in 10..=60000`).
macro_rules! ranged {
    ($t:ty, $range:expr) => {
        clap::builder::RangedU64ValueParser::<$t>::new().range($range)
    };
}

/// Command line and environment (`TICKWAVE_*`) of the `tickwave` binary.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "tickwave", version, about = "Tickwave multiplayer game session server")]
pub struct Cli {
    /// Address of the game listener (wss://ADDR/ws).
    #[arg(long, env = "TICKWAVE_LISTEN", default_value = "127.0.0.1:4433")]
    pub listen: SocketAddr,
    /// PEM certificate chain; with --key. Without both, a self-signed one is used.
    #[arg(long, env = "TICKWAVE_CERT", requires = "key")]
    pub cert: Option<PathBuf>,
    /// PEM private key; with --cert.
    #[arg(long, env = "TICKWAVE_KEY", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Where the self-signed development certificate is kept.
    #[arg(long, env = "TICKWAVE_DATA_DIR", default_value = ".tickwave")]
    pub data_dir: PathBuf,
    /// Serve plain ws:// without TLS (only behind a TLS-terminating proxy).
    #[arg(long, env = "TICKWAVE_PLAIN", conflicts_with_all = ["cert", "key"])]
    pub plain: bool,
    /// Interval of heartbeat pings, milliseconds [10..=60000].
    #[arg(long, env = "TICKWAVE_HEARTBEAT_MS", default_value_t = 1000, value_parser = ranged!(u64, ranges::HEARTBEAT_MS))]
    pub heartbeat_ms: u64,
    /// Close a session that answers no ping for this long, milliseconds [20..=600000, at least 2 × --heartbeat-ms].
    #[arg(long, env = "TICKWAVE_TIMEOUT_MS", default_value_t = 5000, value_parser = ranged!(u64, ranges::TIMEOUT_MS))]
    pub timeout_ms: u64,
    /// TCP accept + TLS + upgrade + hello must finish within this, milliseconds [100..=120000].
    #[arg(long, env = "TICKWAVE_HANDSHAKE_TIMEOUT_MS", default_value_t = 5000, value_parser = ranged!(u64, ranges::HANDSHAKE_TIMEOUT_MS))]
    pub handshake_timeout_ms: u64,
    /// Upper bound of a graceful shutdown, milliseconds [100..=600000].
    #[arg(long, env = "TICKWAVE_SHUTDOWN_TIMEOUT_MS", default_value_t = 10_000, value_parser = ranged!(u64, ranges::SHUTDOWN_TIMEOUT_MS))]
    pub shutdown_timeout_ms: u64,
    /// Largest client WebSocket message (and frame), bytes [1024..=16777216].
    #[arg(long, env = "TICKWAVE_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024, value_parser = ranged!(usize, ranges::MAX_MESSAGE_BYTES))]
    pub max_message_bytes: usize,
    /// Outbound messages queued per client before state is skipped for it [4..=65536].
    #[arg(long, env = "TICKWAVE_OUTBOUND_QUEUE", default_value_t = 64, value_parser = ranged!(usize, ranges::OUTBOUND_QUEUE))]
    pub outbound_queue: usize,
    /// Open connections beyond which new ones are refused [1..=1000000].
    #[arg(long, env = "TICKWAVE_MAX_CONNECTIONS", default_value_t = 20_000, value_parser = ranged!(usize, ranges::MAX_CONNECTIONS))]
    pub max_connections: usize,
    /// Kernel send buffer per connection in bytes (0: leave to kernel autotuning) [0 or 4096..=67108864].
    #[arg(long, env = "TICKWAVE_TCP_SEND_BUFFER", default_value_t = 64 * 1024, value_parser = validate::tcp_send_buffer)]
    pub tcp_send_buffer: u32,
    /// On SIGTERM, how long running matches may finish before everyone gets close 1001, ms [0..=86400000].
    #[arg(long, env = "TICKWAVE_DRAIN_TIMEOUT_MS", default_value_t = 300_000, value_parser = ranged!(u64, ranges::DRAIN_TIMEOUT_MS))]
    pub drain_timeout_ms: u64,
    /// Serve the browser demo at / from this directory instead of the built-in copy (for
    /// working on it without a rebuild); "off" serves nothing.
    #[arg(long, env = "TICKWAVE_STATIC_DIR", value_parser = clap::builder::OsStringValueParser::new())]
    pub static_dir: Option<std::ffi::OsString>,
    /// Serve the admin dashboard from this directory instead of the built-in copy; "off"
    /// serves none (the API stays).
    #[arg(long, env = "TICKWAVE_ADMIN_STATIC_DIR", value_parser = clap::builder::OsStringValueParser::new())]
    pub admin_static_dir: Option<std::ffi::OsString>,
    /// Admin listener address (HTTPS); "off" disables the admin API and dashboard.
    #[arg(long, env = "TICKWAVE_ADMIN_LISTEN", default_value = "127.0.0.1:9433")]
    pub admin_listen: String,
    /// Operator bearer token (read and act). Generated and printed once when unset.
    #[arg(long, env = "TICKWAVE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Viewer bearer token (read only). Generated and printed once when unset.
    #[arg(long, env = "TICKWAVE_VIEWER_TOKEN", hide_env_values = true)]
    pub viewer_token: Option<String>,
    /// Longest chat line, in Unicode scalar values [1..=4096].
    #[arg(long, env = "TICKWAVE_CHAT_MAX_CHARS", default_value_t = 280, value_parser = ranged!(usize, ranges::CHAT_MAX_CHARS))]
    pub chat_max_chars: usize,
    /// Chat lines per second per player (sustained; a burst of 5 is allowed) [0.01..=1000].
    #[arg(long, env = "TICKWAVE_CHAT_PER_SEC", default_value_t = 1.0, value_parser = f64_in(ranges::CHAT_PER_SEC))]
    pub chat_per_sec: f64,
    /// Player authentication: `guest` (anyone, development) or `token` (signed JWT in hello).
    #[arg(long, env = "TICKWAVE_AUTH", default_value = "guest", value_parser = ["guest", "token"])]
    pub auth: String,
    /// HS256 shared secret file for player tokens (token mode; or TICKWAVE_AUTH_SECRET).
    #[arg(long, env = "TICKWAVE_AUTH_SECRET_FILE")]
    pub auth_secret_file: Option<PathBuf>,
    /// HS256 shared secret itself (prefer the file; never on the command line).
    #[arg(
        long = "auth-secret-env-only",
        env = "TICKWAVE_AUTH_SECRET",
        hide = true,
        hide_env_values = true
    )]
    pub auth_secret: Option<String>,
    /// PEM public key (RSA for RS256, EC P-256 for ES256) for player tokens, instead of a secret.
    #[arg(long, env = "TICKWAVE_AUTH_PUBLIC_KEY")]
    pub auth_public_key: Option<PathBuf>,
    /// Audience (`aud`) player tokens must carry.
    #[arg(long, env = "TICKWAVE_AUTH_AUDIENCE", default_value = "tickwave")]
    pub auth_audience: String,
    /// Open connections allowed from one address (loopback exempt unless --limit-loopback) [1..=1000000].
    #[arg(long, env = "TICKWAVE_PER_IP_CONNECTIONS", default_value_t = 64, value_parser = ranged!(u32, ranges::PER_IP_CONNECTIONS))]
    pub per_ip_connections: u32,
    /// New connections per second allowed from one address (burst: twice this) [0.1..=100000].
    #[arg(long, env = "TICKWAVE_PER_IP_RATE", default_value_t = 20.0, value_parser = f64_in(ranges::PER_IP_RATE))]
    pub per_ip_rate: f64,
    /// Apply the per-address limits to loopback peers too.
    #[arg(long, env = "TICKWAVE_LIMIT_LOOPBACK")]
    pub limit_loopback: bool,
    /// Input messages per second per session (burst: twice this); excess is dropped [1..=240].
    #[arg(long, env = "TICKWAVE_INPUT_RATE", default_value_t = 60.0, value_parser = f64_in(ranges::INPUT_RATE))]
    pub input_rate: f64,
    /// Comma-separated browser origins allowed to connect (e.g. `https://play.example.com`).
    #[arg(long, env = "TICKWAVE_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Serve /echo, a WebSocket echo for the Autobahn conformance suite. Never in production.
    #[arg(long, env = "TICKWAVE_DIAGNOSTICS_ECHO")]
    pub diagnostics_echo: bool,
    /// Log format on stdout: `text` (coloured only on a terminal, never with NO_COLOR) or
    /// `json` (one object per line, for log shippers).
    #[arg(long, env = "TICKWAVE_LOG_FORMAT", value_enum, default_value_t = crate::logging::LogFormat::Text)]
    pub log_format: crate::logging::LogFormat,
    /// Deprecated, no effect: the demo is built into the binary and the server never runs npm.
    /// Still accepted so that existing scripts start.
    #[arg(long, env = "TICKWAVE_NO_BUILD_DEMO")]
    pub no_build_demo: bool,
    /// TOML file of game modes (see assets/modes.toml); without it the built-in modes run.
    #[arg(long, env = "TICKWAVE_MODES")]
    pub modes: Option<PathBuf>,
    /// Cluster mode: Redis URL shared by every node: `redis://[user:pass@]host:port[/db]`,
    /// `rediss://` for TLS, `redis+sentinel://host:port,.../MASTER` for Sentinel. See
    /// docs/CLUSTER.md.
    #[arg(long, env = "TICKWAVE_CLUSTER", requires_all = ["node_id", "public_url"])]
    pub cluster: Option<String>,
    /// Cluster mode: this node's unique id.
    #[arg(long, env = "TICKWAVE_NODE_ID")]
    pub node_id: Option<String>,
    /// Cluster mode: the wss URL clients use to reach this node (sent in `redirect`).
    #[arg(long, env = "TICKWAVE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Cluster mode: file holding the secret every node shares (or TICKWAVE_CLUSTER_SECRET).
    #[arg(long, env = "TICKWAVE_CLUSTER_SECRET_FILE")]
    pub cluster_secret_file: Option<PathBuf>,
    /// Cluster secret itself (prefer the file; never on the command line).
    #[arg(
        long = "cluster-secret-env-only",
        env = "TICKWAVE_CLUSTER_SECRET",
        hide = true,
        hide_env_values = true
    )]
    pub cluster_secret: Option<String>,
    /// Cluster mode: PEM file of the CA(s) that sign the Redis server's certificate (rediss://
    /// only); without it the system roots are trusted.
    #[arg(long, env = "TICKWAVE_CLUSTER_REDIS_CA")]
    pub cluster_redis_ca: Option<PathBuf>,
    /// Cluster mode: file holding the Redis password (overrides one in the URL; keeps it off
    /// the command line).
    #[arg(long, env = "TICKWAVE_CLUSTER_REDIS_PASSWORD_FILE")]
    pub cluster_redis_password_file: Option<PathBuf>,
    /// Cluster mode: seats this node's lobbies take, reserved ones included [1..=1000000].
    #[arg(long, env = "TICKWAVE_CAPACITY", default_value_t = 1000, value_parser = ranged!(u32, ranges::CAPACITY))]
    pub capacity: u32,
    /// Cluster mode: which node gets a new lobby once open lobbies are full: `spread` (most
    /// free seats) or `packed` (the fullest node with room). See docs/CLUSTER.md.
    #[arg(long, env = "TICKWAVE_PLACEMENT", value_enum, default_value_t = crate::config::PlacementPolicy::Spread)]
    pub placement: crate::config::PlacementPolicy,
}

/// Read and check a `--cluster-redis-ca` file: at least one PEM certificate, all of them
/// parsable, so a wrong file refuses to start rather than failing every TLS handshake.
fn load_ca(path: &std::path::Path) -> Result<Vec<u8>, LoadError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let bad = |reason: String| LoadError::RedisCa { path: path.to_owned(), reason };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(bad("no CERTIFICATE block".into()));
    }
    let mut roots = rustls::RootCertStore::empty();
    let (_, rejected) = roots.add_parsable_certificates(certs);
    if rejected > 0 {
        return Err(bad(format!("{rejected} certificate(s) do not parse")));
    }
    Ok(pem)
}

impl Cli {
    /// Turn flags into a [`Config`], reading the modes file when one is named.
    pub fn into_config(self) -> Result<Config, LoadError> {
        self.into_config_with(crate::game::GameRegistry::default())
    }

    /// [`Cli::into_config`] with these games (the built-in ones plus a studio's), so the
    /// modes file may name a studio's game and its `[mode.settings]` are checked against
    /// that game's settings type before anything starts.
    pub fn into_config_with(self, games: crate::game::GameRegistry) -> Result<Config, LoadError> {
        let tls = match (self.plain, self.cert, self.key) {
            (true, _, _) => TlsMode::Plain,
            (false, Some(cert), Some(key)) => TlsMode::Files { cert, key },
            _ => TlsMode::SelfSigned { data_dir: self.data_dir },
        };
        let modes = match &self.modes {
            Some(path) => ModeConfig::load(path)?,
            None => ModeConfig::defaults(),
        };
        let d = Config::default();
        let cluster = match &self.cluster {
            None => None,
            Some(url) => {
                let secret = match (&self.cluster_secret_file, &self.cluster_secret) {
                    (Some(f), _) => std::fs::read(f)
                        .map_err(|source| LoadError::ReadSecret { path: f.clone(), source })?
                        .trim_ascii()
                        .to_vec(),
                    (None, Some(s)) => s.as_bytes().to_vec(),
                    (None, None) => {
                        return Err(LoadError::NoClusterSecret);
                    }
                };
                if secret.len() < 16 {
                    return Err(LoadError::ShortClusterSecret);
                }
                let node = self.node_id.clone().unwrap_or_default();
                let public = self.public_url.clone().unwrap_or_default();
                let mut c = ClusterConfig::new(url, &node, &public, &secret);
                c.capacity = self.capacity;
                let target = RedisTarget::parse(url)?;
                if let Some(path) = &self.cluster_redis_ca {
                    if !target.tls {
                        return Err(LoadError::RedisCaWithoutTls);
                    }
                    c.redis_ca = Some(load_ca(path)?);
                }
                if let Some(f) = &self.cluster_redis_password_file {
                    let p = std::fs::read_to_string(f)
                        .map_err(|source| LoadError::ReadSecret { path: f.clone(), source })?;
                    c.redis_password = Some(p.trim().to_owned()).filter(|p| !p.is_empty());
                }
                c.placement = self.placement;
                Some(c)
            }
        };
        let auth = match self.auth.as_str() {
            "token" => {
                let v = match (&self.auth_public_key, &self.auth_secret_file, &self.auth_secret) {
                    (Some(key), _, _) => TokenVerifier::public_key(key, &self.auth_audience),
                    (None, Some(file), _) => {
                        let secret = std::fs::read(file).map_err(|source| {
                            LoadError::ReadSecret { path: file.clone(), source }
                        })?;
                        TokenVerifier::hs256(secret.trim_ascii(), &self.auth_audience)
                    }
                    (None, None, Some(secret)) => {
                        TokenVerifier::hs256(secret.as_bytes(), &self.auth_audience)
                    }
                    (None, None, None) => {
                        return Err(LoadError::NoAuthKey);
                    }
                };
                AuthMode::Token(Box::new(v?))
            }
            _ => AuthMode::Guest,
        };
        let config = Config {
            listen: self.listen,
            tls,
            ws: WsLimits {
                max_message_bytes: self.max_message_bytes,
                max_frame_bytes: self.max_message_bytes,
                ..d.ws
            },
            heartbeat_interval: Duration::from_millis(self.heartbeat_ms),
            heartbeat_timeout: Duration::from_millis(self.timeout_ms),
            handshake_timeout: Duration::from_millis(self.handshake_timeout_ms),
            shutdown_timeout: Duration::from_millis(self.shutdown_timeout_ms),
            drain_timeout: Duration::from_millis(self.drain_timeout_ms),
            demo_files: WebFiles::from_flag("--static-dir", self.static_dir)
                .map_err(LoadError::WebFiles)?,
            dashboard_files: WebFiles::from_flag("--admin-static-dir", self.admin_static_dir)
                .map_err(LoadError::WebFiles)?,
            chat: ChatLimits {
                max_chars: self.chat_max_chars,
                per_sec: self.chat_per_sec,
                ..d.chat
            },
            admin_listen: match self.admin_listen.as_str() {
                "off" | "" => None,
                a => Some(
                    a.parse()
                        .map_err(|source| LoadError::AdminListen { value: a.to_owned(), source })?,
                ),
            },
            auth,
            inputs: InputLimits {
                inputs_per_sec: self.input_rate,
                inputs_burst: (self.input_rate * 2.0).ceil() as u32,
                ..d.inputs
            },
            ip: IpLimits {
                max_per_ip: self.per_ip_connections,
                rate_per_sec: self.per_ip_rate,
                burst: (self.per_ip_rate * 2.0).ceil() as u32,
                exempt_loopback: !self.limit_loopback,
            },
            allowed_origins: self.allowed_origins.into_iter().filter(|o| !o.is_empty()).collect(),
            diagnostics_echo: self.diagnostics_echo,
            admin_token: self.admin_token.filter(|t| !t.is_empty()),
            viewer_token: self.viewer_token.filter(|t| !t.is_empty()),
            outbound_queue: self.outbound_queue,
            max_connections: self.max_connections,
            tcp_send_buffer: (self.tcp_send_buffer > 0).then_some(self.tcp_send_buffer),
            modes,
            cluster,
            games,
            ..d
        };
        config.validate()?;
        Ok(config)
    }
}
