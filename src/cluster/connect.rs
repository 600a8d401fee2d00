//! How a node reaches Redis as production runs it: plain or TLS (`rediss://`, with the CA of
//! `--cluster-redis-ca`), an ACL user and password, one server or the primary named by
//! Sentinel. And why a connection failed, told apart: "unreachable" is an outage that heals by
//! itself, "refused" (WRONGPASS, NOAUTH, NOPERM) is a mistake an operator must fix, so it is
//! logged as an error at once instead of being retried in silence.
//!
//! Sentinel: the primary's address is asked of the sentinels for every new connection, and a
//! connection is dropped (so the next one asks again) when it fails in a way a failover
//! causes: the old primary is gone (I/O error, timeout) or was demoted (`READONLY`).

use crate::config::{ClusterConfig, RedisTarget};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo, TlsCertificates, TlsMode};

/// Where connections come from.
pub(super) enum Source {
    /// One server: the client is built once.
    Direct(redis::Client),
    /// The primary of a Sentinel-monitored group, asked again for every connection.
    Sentinel(tokio::sync::Mutex<SentinelClient>),
}

/// Settings that cannot make a Redis client (the URL parsed, but the crate refused it).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The `--cluster` URL does not parse.
    #[error(transparent)]
    Url(#[from] crate::config::RedisUrlError),
    /// The Redis crate refused the settings (a CA that does not load, for instance).
    #[error("redis {url}: {source}")]
    Client {
        /// The URL, password redacted.
        url: String,
        /// The underlying error.
        source: redis::RedisError,
    },
    /// The server runs Redis Cluster, which Tickwave does not support: keys of one script
    /// would live on different shards.
    #[error(
        "redis {0}: the server runs in Redis Cluster mode (cluster_enabled:1), which Tickwave does not support; use one primary (with Sentinel for failover)"
    )]
    RedisCluster(String),
}

/// Why the last attempt failed, as the log and readiness tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Health {
    /// No answer yet.
    Unknown = 0,
    /// The last command succeeded.
    Ok = 1,
    /// Connection refused, timed out or dropped: an outage, retried with backoff.
    Unreachable = 2,
    /// Redis answered and refused this node (wrong user or password, no permission).
    Refused = 3,
    /// Redis Cluster: not supported.
    Unsupported = 4,
}

impl Health {
    pub(crate) fn from_u8(v: u8) -> Health {
        match v {
            1 => Health::Ok,
            2 => Health::Unreachable,
            3 => Health::Refused,
            4 => Health::Unsupported,
            _ => Health::Unknown,
        }
    }
}

/// Sort an error: a refusal by Redis is not an outage. Pure, so it is unit-tested.
pub(crate) fn classify(e: &redis::RedisError) -> Health {
    if e.kind() == redis::ErrorKind::AuthenticationFailed {
        return Health::Refused;
    }
    match e.code() {
        Some("NOAUTH" | "WRONGPASS" | "NOPERM") => Health::Refused,
        _ => Health::Unreachable,
    }
}

/// The cause of a refusal in words for the log line: the crate reports a failed `AUTH` as
/// "authentication failed", without the server's WRONGPASS.
pub(crate) fn refusal_cause(e: &redis::RedisError) -> &'static str {
    match e.code() {
        Some("NOAUTH") => "NOAUTH: Redis requires a password and none was given",
        Some("NOPERM") => "NOPERM: the ACL user lacks a permission the node needs",
        _ => "WRONGPASS: wrong user or password",
    }
}

/// Does this error mean the Sentinel-given primary may have changed?
pub(super) fn failover_suspect(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.code() == Some("READONLY")
}

fn redis_info(t: &RedisTarget, password: Option<&str>) -> RedisConnectionInfo {
    let mut r = RedisConnectionInfo::default().set_db(t.db);
    if let Some(u) = &t.username {
        r = r.set_username(u);
    }
    if let Some(p) = password {
        r = r.set_password(p);
    }
    r
}

fn addr(tls: bool, host: &str, port: u16) -> ConnectionAddr {
    if tls {
        ConnectionAddr::TcpTls { host: host.into(), port, insecure: false, tls_params: None }
    } else {
        ConnectionAddr::Tcp(host.into(), port)
    }
}

impl Source {
    /// Build from the config: parse the URL, apply the password file and the CA.
    pub(super) fn new(cfg: &ClusterConfig) -> Result<Source, ConnectError> {
        let t = RedisTarget::parse(&cfg.redis_url)?;
        let password = cfg.redis_password.as_deref().or(t.password.as_deref());
        let err = |source| ConnectError::Client { url: t.redacted(), source };
        let certs = cfg
            .redis_ca
            .as_ref()
            .map(|ca| TlsCertificates { client_tls: None, root_cert: Some(ca.clone()) });
        let Some(master) = &t.sentinel_master else {
            let (host, port) = &t.hosts[0];
            let info = addr(t.tls, host, *port)
                .into_connection_info()
                .map_err(err)?
                .set_redis_settings(redis_info(&t, password));
            let client = match certs {
                Some(c) if t.tls => redis::Client::build_with_tls(info, c),
                _ => redis::Client::open(info),
            }
            .map_err(err)?;
            return Ok(Source::Direct(client));
        };
        let sentinels = t.hosts.iter().map(|(h, p)| addr(t.tls, h, *p));
        let mut b = SentinelClientBuilder::new(sentinels, master, SentinelServerType::Master)
            .map_err(err)?
            .set_client_to_redis_db(t.db);
        if let Some(u) = &t.username {
            b = b.set_client_to_redis_username(u);
        }
        if let Some(p) = password {
            b = b.set_client_to_redis_password(p);
        }
        if t.tls {
            b = b
                .set_client_to_redis_tls_mode(TlsMode::Secure)
                .set_client_to_sentinel_tls_mode(TlsMode::Secure);
            if let Some(c) = certs {
                b = b
                    .set_client_to_redis_certificates(c.clone())
                    .set_client_to_sentinel_certificates(c);
            }
        }
        Ok(Source::Sentinel(tokio::sync::Mutex::new(b.build().map_err(err)?)))
    }

    pub(super) fn is_sentinel(&self) -> bool {
        matches!(self, Source::Sentinel(_))
    }

    /// A client for the server to use now (with Sentinel: the current primary).
    pub(super) async fn client(&self) -> redis::RedisResult<redis::Client> {
        match self {
            Source::Direct(c) => Ok(c.clone()),
            Source::Sentinel(s) => s.lock().await.async_get_client().await,
        }
    }
}

/// Is this `INFO cluster` answer from a Redis Cluster node?
pub(super) fn is_cluster_mode(info: &str) -> bool {
    info.lines().any(|l| l.trim() == "cluster_enabled:1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_told_apart_from_outages() {
        let e = redis::RedisError::from((redis::ErrorKind::AuthenticationFailed, "auth"));
        assert_eq!(classify(&e), Health::Refused);
        let e =
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(classify(&e), Health::Unreachable);
        assert!(failover_suspect(&e));
        let e = redis::RedisError::from((redis::ErrorKind::Io, "lease"));
        assert_eq!(classify(&e), Health::Unreachable);
    }

    #[test]
    fn cluster_mode_is_read_from_info() {
        assert!(is_cluster_mode("# Cluster\r\ncluster_enabled:1\r\n"));
        assert!(!is_cluster_mode("# Cluster\r\ncluster_enabled:0\r\n"));
        assert!(!is_cluster_mode(""));
    }

    #[test]
    fn a_sentinel_url_builds_a_sentinel_source() {
        let mut cfg = ClusterConfig::new("redis+sentinel://127.0.0.1:1/m", "n", "wss://x", b"s");
        assert!(Source::new(&cfg).unwrap().is_sentinel());
        cfg.redis_url = "redis://u:p@127.0.0.1:1".into();
        assert!(!Source::new(&cfg).unwrap().is_sentinel());
        cfg.redis_url = "nope://".into();
        assert!(matches!(Source::new(&cfg), Err(ConnectError::Url(_))));
    }
}
