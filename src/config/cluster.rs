//! Cluster settings: the Redis URL, this node's identity, the shared secret and timings.

use std::time::Duration;

/// Cluster settings (`--cluster`, `--node-id`, `--public-url`, the secret).
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// `redis://host:port[/db]`.
    pub redis_url: String,
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
