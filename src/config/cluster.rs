//! Cluster settings: the Redis URL, this node's identity, the shared secret and timings.

use std::time::Duration;

/// Cluster settings (`--cluster`, `--node-id`, `--public-url`, the secret).
#[derive(Clone)]
pub struct ClusterConfig {
    /// `redis[s][+sentinel]://[user[:password]@]host:port[,...][/master][/db]`, parsed by
    /// [`super::RedisTarget::parse`].
    pub redis_url: String,
    /// PEM CA certificates that sign the Redis server's certificate (`--cluster-redis-ca`);
    /// `None` trusts the system roots. Only with `rediss://`.
    pub redis_ca: Option<Vec<u8>>,
    /// The Redis password (`--cluster-redis-password-file`); overrides one in the URL.
    pub redis_password: Option<String>,
    /// This node's id: unique in the cluster, stable across restarts of the same node.
    pub node_id: String,
    /// The wss URL clients use to reach this node (sent in `redirect`).
    pub public_url: String,
    /// Shared by every node: signs seat reservations.
    pub secret: Vec<u8>,
    /// Players this node takes; the leader places new lobbies where most is free.
    pub capacity: u32,
    /// How long a reservation may be redeemed.
    pub reservation_ttl: Duration,
    /// Heartbeat period and TTL of the node registration.
    pub heartbeat: Duration,
    /// A registration not refreshed for this long disappears.
    pub node_ttl: Duration,
    /// Timing of the matchmaker lease.
    pub lease: LeaseTiming,
    /// Which node gets a new lobby (`--placement`).
    pub placement: PlacementPolicy,
}

/// `--placement`: where the matchmaker opens a new lobby once the open lobbies of the whole
/// cluster are full. Agones offers the same two (Distributed and Packed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PlacementPolicy {
    /// The node with the most free seats: load evenly, a lost node costs the fewest matches.
    #[default]
    Spread,
    /// The fullest node that still has room: keeps nodes empty so they can be scaled down.
    Packed,
}

impl ClusterConfig {
    /// Defaults for everything but the identity.
    pub fn new(redis_url: &str, node_id: &str, public_url: &str, secret: &[u8]) -> Self {
        ClusterConfig {
            redis_url: redis_url.into(),
            redis_ca: None,
            redis_password: None,
            node_id: node_id.into(),
            public_url: public_url.into(),
            secret: secret.to_vec(),
            capacity: 1000,
            reservation_ttl: Duration::from_secs(15),
            heartbeat: Duration::from_millis(1000),
            node_ttl: Duration::from_millis(3000),
            lease: LeaseTiming::default(),
            placement: PlacementPolicy::Spread,
        }
    }
}

/// Secrets stay out of `{:?}`: the cluster secret, the Redis password (file or URL).
impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = super::RedisTarget::parse(&self.redis_url)
            .map(|t| t.redacted())
            .unwrap_or_else(|_| "<unparsable>".into());
        f.debug_struct("ClusterConfig")
            .field("redis_url", &url)
            .field("redis_ca", &self.redis_ca.as_ref().map(|c| c.len()))
            .field("redis_password", &self.redis_password.as_ref().map(|_| "<redacted>"))
            .field("node_id", &self.node_id)
            .field("public_url", &self.public_url)
            .field("secret", &"<redacted>")
            .field("capacity", &self.capacity)
            .field("reservation_ttl", &self.reservation_ttl)
            .field("heartbeat", &self.heartbeat)
            .field("node_ttl", &self.node_ttl)
            .field("lease", &self.lease)
            .finish()
    }
}

/// Timing of the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTiming {
    /// TTL of the key.
    pub ttl_ms: u64,
    /// How often the holder renews and others try to take it.
    pub renew_ms: u64,
    /// Safety margin: a holder stops acting this long before its lease could expire.
    pub margin_ms: u64,
}

impl Default for LeaseTiming {
    fn default() -> Self {
        LeaseTiming { ttl_ms: 3000, renew_ms: 1000, margin_ms: 500 }
    }
}
