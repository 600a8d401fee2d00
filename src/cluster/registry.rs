//! Node registration: each node writes `tw:node:<id>` (JSON [`NodeInfo`]) with a TTL
//! (`node_ttl`, 3 s by default) every heartbeat (1 s) and adds its id to the set `tw:nodes`.
//! A node that dies stops refreshing and its key expires on its own; the leader then sees an
//! id in `tw:nodes` without a key and handles the node as dead (see [`super::leader`]).
//!
//! The same heartbeat publishes the node's lobbies to the directory, so a Redis that
//! restarted empty is repopulated within one heartbeat.

use super::ClusterCtx;
use super::directory;
use super::{Cluster, backoff, unix_ms};
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) const NODES_KEY: &str = "tw:nodes";

/// Delay of an early heartbeat after [`Cluster::publish_soon`]: short, since the players the
/// holder places in a new lobby wait for it, but enough for the other assigns of one cycle
/// to land in the same beat.
const EARLY_PUBLISH_DELAY: std::time::Duration = std::time::Duration::from_millis(10);
/// Delay of an early heartbeat after a lobby's members or phase changed: a burst of joins
/// becomes one beat, and a player seated through a reservation is in the directory well
/// before a node loss could need it (else it gets `resume_expired` instead of `lobby_lost`).
const ROSTER_PUBLISH_DELAY: std::time::Duration = std::time::Duration::from_millis(25);

pub(crate) fn node_key(node: &str) -> String {
    format!("tw:node:{node}")
}

/// A node as the cluster sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NodeInfo {
    pub node: String,
    pub url: String,
    pub capacity: u32,
    pub players: u32,
    pub lobbies: u32,
    pub draining: bool,
    /// Unix ms of this heartbeat.
    pub heartbeat_ms: u64,
    /// The `server` of this node's resume tokens, so another node can recognise them.
    pub resume_server: u64,
    /// Seats held in this node's lobbies (members plus unredeemed reservations): its load for
    /// placement. Not `players`: a queued player connected here may well play elsewhere.
    #[serde(default)]
    pub seats: u32,
    /// The last `assign` applied before `seats` was counted (see [`super::placement`]).
    #[serde(default)]
    pub applied: u64,
}

fn info(shared: &ClusterCtx, cluster: &Cluster, applied: u64, seats: u32) -> NodeInfo {
    NodeInfo {
        node: cluster.cfg.node_id.clone(),
        url: cluster.cfg.public_url.clone(),
        capacity: cluster.cfg.capacity,
        players: shared.registry.len() as u32,
        lobbies: shared.counters.lobbies_live() as u32,
        draining: shared.draining.get(),
        heartbeat_ms: unix_ms(),
        resume_server: shared.resume_keys.server(),
        seats,
        applied,
    }
}

/// One heartbeat: the directory, then the registration. Returns whether the registration key was
/// missing (first beat, or Redis lost its data).
async fn beat(
    conn: &mut ConnectionManager,
    shared: &ClusterCtx,
    cluster: &Cluster,
    published: &mut Vec<String>,
) -> redis::RedisResult<bool> {
    // The sequence number first, then the seats: the seats include at least every `assign`
    // up to it (a later one counted twice for a moment is harmless, a missing one is not).
    let applied = cluster.applied.load(std::sync::atomic::Ordering::Acquire);
    let seats: u32 = shared.directory.statuses_with_seats().iter().map(|(_, n)| n).sum();
    let me = info(shared, cluster, applied, seats);
    let json = serde_json::to_string(&me).expect("node info serializes");
    // The directory before the registration: a leader that reads a registration and then
    // the directory finds the directory at least as new (same or later `applied`).
    *published = directory::publish(conn, shared, &me.node, published, applied).await?;
    let old: Option<String> = redis::cmd("SET")
        .arg(node_key(&me.node))
        .arg(json)
        .arg("PX")
        .arg(cluster.cfg.node_ttl.as_millis() as u64)
        .arg("GET")
        .query_async(conn)
        .await?;
    let _: () = redis::cmd("SADD").arg(NODES_KEY).arg(&me.node).query_async(conn).await?;
    cluster.registered.store(true, std::sync::atomic::Ordering::Release);
    Ok(old.is_none())
}

/// Heartbeat loop: never panics, backs off while Redis is away, re-registers when it is back.
pub(crate) async fn heartbeat(shared: Arc<ClusterCtx>, cluster: Arc<Cluster>) {
    let mut failures = 0;
    let mut registered_before = false;
    let mut published = Vec::new();
    // Set when this beat publishes a lobby just assigned here: the holder waits for it.
    let mut early = false;
    loop {
        let r = match cluster.conn().await {
            Some(mut c) => {
                let r = beat(&mut c, &shared, &cluster, &mut published).await;
                if r.is_ok() && std::mem::take(&mut early) {
                    let mut pipe = redis::pipe();
                    super::tickets::ring(&mut pipe);
                    let _ = pipe.query_async::<()>(&mut c).await;
                }
                r
            }
            None => Err(redis::RedisError::from((redis::ErrorKind::Io, "not connected"))),
        };
        cluster.note(r.as_ref().map(|_| ()));
        let wait = match r {
            Ok(missing) => {
                if missing && registered_before {
                    // Our key vanished before its TTL: Redis restarted without our data.
                    // Put our queued players back; the directory was just republished.
                    tracing::warn!("registration was missing: re-registered, re-queueing");
                    for rec in cluster.queued_records() {
                        cluster.push(super::tickets::Op::Put(rec));
                    }
                }
                registered_before = true;
                failures = 0;
                cluster.cfg.heartbeat
            }
            Err(_) => {
                failures += 1;
                backoff(failures).min(cluster.cfg.heartbeat)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = cluster.publish.notified() => {
                // Let the assigns of the same burst finish too, so one beat covers them.
                tokio::time::sleep(EARLY_PUBLISH_DELAY).await;
                early = true;
            }
            // Not while Redis is away: the backoff stands.
            _ = shared.directory.next_change(), if failures == 0 => {
                // Nobody waits for this beat: no doorbell.
                tokio::time::sleep(ROSTER_PUBLISH_DELAY).await;
            }
            _ = shared.shutdown.cancelled() => return,
        }
    }
}

/// Registered nodes: the live ones (key present) and the ids whose key has expired.
pub(crate) async fn nodes(
    conn: &mut ConnectionManager,
) -> redis::RedisResult<(BTreeMap<String, NodeInfo>, Vec<String>)> {
    let ids: Vec<String> = redis::cmd("SMEMBERS").arg(NODES_KEY).query_async(conn).await?;
    if ids.is_empty() {
        return Ok((BTreeMap::new(), Vec::new()));
    }
    let keys: Vec<String> = ids.iter().map(|i| node_key(i)).collect();
    let vals: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query_async(conn).await?;
    let mut live = BTreeMap::new();
    let mut dead = Vec::new();
    for (id, v) in ids.into_iter().zip(vals) {
        match v.and_then(|v| serde_json::from_str::<NodeInfo>(&v).ok()) {
            Some(n) => {
                live.insert(id, n);
            }
            None => dead.push(id),
        }
    }
    Ok((live, dead))
}
