//! The cluster lobby directory.
//!
//! - `tw:lobbies` (hash, no TTL): `<node>/<lobby>` -> [`DirEntry`] JSON, rewritten by the
//!   owning node every heartbeat and deleted when the lobby closes. When a node dies, the
//!   leader marks its entries `lost` (they stay visible to operators for `LOST_KEEP_MS`).
//! - `tw:codes` (hash): private code -> `<node>/<lobby>`, so `join_private` works on any node.

use super::ClusterCtx;
use super::registry::NodeInfo;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub(crate) const LOBBIES_KEY: &str = "tw:lobbies";
pub(crate) const CODES_KEY: &str = "tw:codes";
/// How long a lost lobby stays in the directory before the leader removes it.
pub(crate) const LOST_KEEP_MS: u64 = 60_000;

/// One lobby in the directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DirEntry {
    pub node: String,
    pub lobby: u64,
    pub mode: String,
    /// `waiting`, `starting`, `running`, `finished`, or `lost` (its node died).
    pub state: String,
    pub players: u32,
    pub max_players: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Unix ms of the last update (for lost entries: when the loss was noticed).
    pub updated_ms: u64,
    /// The `server` of the owning node's resume tokens and the player ids seated here: how
    /// another node recognises a player of this lobby after the owner died.
    #[serde(default)]
    pub server: u64,
    #[serde(default)]
    pub members: Vec<u32>,
    /// Seats taken: members plus seats held for reservations not redeemed yet. The leader
    /// places by this, not by `players`, so it never offers a seat already promised.
    #[serde(default)]
    pub seats: u32,
    /// The sequence number of the last `assign` the owner had applied when it wrote this
    /// entry (see [`super::placement`]): the leader adds its own later placements.
    #[serde(default)]
    pub seq: u64,
}

impl DirEntry {
    pub(crate) fn field(&self) -> String {
        field(&self.node, self.lobby)
    }

    /// Seats taken as far as this entry knows (an entry of an older node has no `seats`).
    pub(crate) fn taken(&self) -> u32 {
        self.seats.max(self.players)
    }

    /// Takes matchmade players now (public, not over, seats free).
    pub(crate) fn open_for_backfill(&self) -> bool {
        self.code.is_none()
            && matches!(self.state.as_str(), "waiting" | "starting" | "running")
            && self.taken() < self.max_players
    }
}

pub(crate) fn field(node: &str, lobby: u64) -> String {
    format!("{node}/{lobby}")
}

/// Write this node's lobbies and delete the ones that closed since the last call; returns the
/// fields written now. `applied` is the last `assign` applied before the seats were read.
pub(crate) async fn publish(
    conn: &mut ConnectionManager,
    shared: &ClusterCtx,
    node: &str,
    previous: &[String],
    applied: u64,
) -> redis::RedisResult<Vec<String>> {
    let now = super::unix_ms();
    let entries: Vec<DirEntry> = shared
        .directory
        .statuses_with_seats()
        .iter()
        .filter(|(s, _)| s.state != "finished")
        .map(|(s, seats)| DirEntry {
            node: node.into(),
            lobby: s.id,
            mode: s.mode.clone(),
            state: if shared.draining.get() && s.state == "waiting" { "draining" } else { s.state }
                .into(),
            players: s.players,
            max_players: s.max_players,
            code: s.code.clone(),
            updated_ms: now,
            server: shared.resume_keys.server(),
            members: s.members.iter().map(|m| m.player).collect(),
            seats: *seats,
            seq: applied,
        })
        .collect();
    let fields: Vec<String> = entries.iter().map(DirEntry::field).collect();
    let gone: Vec<&String> = previous.iter().filter(|f| !fields.contains(f)).collect();
    let mut pipe = redis::pipe();
    if !gone.is_empty() {
        pipe.cmd("HDEL").arg(LOBBIES_KEY).arg(&gone).ignore();
    }
    for e in &entries {
        let json = serde_json::to_string(e).expect("entry serializes");
        pipe.cmd("HSET").arg(LOBBIES_KEY).arg(e.field()).arg(json).ignore();
        if let Some(code) = &e.code {
            pipe.cmd("HSET").arg(CODES_KEY).arg(code).arg(e.field()).ignore();
        }
    }
    if !entries.is_empty() || !gone.is_empty() {
        let _: () = pipe.query_async(conn).await?;
    }
    Ok(fields)
}

/// Every directory entry.
pub(crate) async fn all(conn: &mut ConnectionManager) -> redis::RedisResult<Vec<DirEntry>> {
    let map: std::collections::HashMap<String, String> =
        redis::cmd("HGETALL").arg(LOBBIES_KEY).query_async(conn).await?;
    Ok(map.values().filter_map(|v| serde_json::from_str(v).ok()).collect())
}

/// Is this entry's lobby gone with its process? Its node is dead, or the node id is live
/// again under another process (restarted within its TTL: the old lobbies died with it).
pub(crate) fn is_lost(e: &DirEntry, dead: &[String], live: &BTreeMap<String, NodeInfo>) -> bool {
    dead.contains(&e.node)
        || live.get(&e.node).is_some_and(|n| e.server != 0 && n.resume_server != e.server)
}

/// A dead node's lobbies become `lost`; lost entries older than [`LOST_KEEP_MS`] go.
pub(crate) async fn mark_lost(
    conn: &mut ConnectionManager,
    entries: &[DirEntry],
    dead: &[String],
    live: &BTreeMap<String, NodeInfo>,
    now: u64,
) -> redis::RedisResult<()> {
    let mut pipe = redis::pipe();
    let mut any = false;
    for e in entries {
        if e.state == "lost" {
            if now.saturating_sub(e.updated_ms) > LOST_KEEP_MS {
                pipe.cmd("HDEL").arg(LOBBIES_KEY).arg(e.field()).ignore();
                any = true;
            }
        } else if is_lost(e, dead, live) {
            let lost = DirEntry { state: "lost".into(), updated_ms: now, ..e.clone() };
            let json = serde_json::to_string(&lost).expect("entry serializes");
            pipe.cmd("HSET").arg(LOBBIES_KEY).arg(e.field()).arg(json).ignore();
            if let Some(code) = &e.code {
                pipe.cmd("HDEL").arg(CODES_KEY).arg(code).ignore();
            }
            tracing::warn!(node = %e.node, lobby = e.lobby, "lobby lost with its node");
            any = true;
        }
    }
    if any {
        let _: () = pipe.query_async(conn).await?;
    }
    Ok(())
}
