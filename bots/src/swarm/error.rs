//! Why a swarm could not run.

use crate::client::ClientError;

/// Why a swarm could not run (measurements that fail an SLO are not errors: see [`slo`](super::slo)).
#[derive(Debug, thiserror::Error)]
pub enum SwarmError {
    #[error("invalid settings: {0}")]
    Config(String),
    #[error("target: {0}")]
    Target(#[from] ClientError),
    #[error("starting: {0}")]
    Io(#[from] std::io::Error),
    #[error("a bot thread failed: {0}")]
    Shard(String),
}
