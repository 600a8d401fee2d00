//! Private lobbies across nodes: `join_private` on any node finds the lobby through
//! `tw:codes` and, when it is on another node, gets a seat there through a reservation and a
//! `redirect`, as matchmade players do.
//!
//! 1. The player's node looks the code up (`tw:codes` -> `<node>/<lobby>`, then the lobby's
//!    directory entry for its mode). A code created in the last heartbeat may not be
//!    published yet, so a miss is retried for two heartbeats before `unknown_code`.
//! 2. Its own lobby: the local matchmaker seats the player as in single-node mode.
//! 3. Another node's: the player waits like a queued player, and the owner is sent
//!    `join_code`; it holds a seat (`place` with one remote seat, which checks that the lobby
//!    still accepts and has room) and answers with a `redirect`, or with `refuse`
//!    (`lobby_full`, `unknown_code`). An owner that never answers (it died) is covered by a
//!    timeout: the player gets `unknown_code` after the reservation TTL.

use super::directory::{CODES_KEY, DirEntry, LOBBIES_KEY};
use super::tickets::{Command, Op, TicketRec};
use super::{Cluster, unix_ms};
use crate::link::{MatchmakerHandle, SessionLink, Ticket, send_error};
use std::sync::Arc;
use std::time::Duration;
use tickwave_protocol::ErrorCode;

/// Where a code points.
enum Found {
    Entry(DirEntry),
    Missing,
}

async fn find(cluster: &Cluster, code: &str) -> redis::RedisResult<Found> {
    let Some(mut conn) = cluster.conn().await else {
        return Err(redis::RedisError::from((redis::ErrorKind::Io, "not connected")));
    };
    let field: Option<String> =
        redis::cmd("HGET").arg(CODES_KEY).arg(code).query_async(&mut conn).await?;
    let Some(field) = field else { return Ok(Found::Missing) };
    let entry: Option<String> =
        redis::cmd("HGET").arg(LOBBIES_KEY).arg(&field).query_async(&mut conn).await?;
    Ok(match entry.and_then(|e| serde_json::from_str::<DirEntry>(&e).ok()) {
        Some(e) if e.state != "lost" && e.state != "finished" => Found::Entry(e),
        _ => Found::Missing,
    })
}

fn refuse(link: &SessionLink, code: ErrorCode, msg: &str) {
    send_error(link, code, msg);
    link.queue_left();
}

/// `join_private` in cluster mode (the session is already marked queued).
pub(crate) fn join(
    matchmaker: &MatchmakerHandle,
    cluster: &Arc<Cluster>,
    link: SessionLink,
    code: String,
) {
    let (matchmaker, cluster) = (matchmaker.clone(), cluster.clone());
    tokio::spawn(async move {
        let code = code.to_ascii_uppercase();
        let deadline = tokio::time::Instant::now() + 2 * cluster.cfg.heartbeat;
        let entry = loop {
            match find(&cluster, &code).await {
                Ok(Found::Entry(e)) => break Some(e),
                Ok(Found::Missing) if tokio::time::Instant::now() < deadline => {}
                Ok(Found::Missing) => break None,
                Err(e) => {
                    let msg = format!("the cluster cannot be reached ({e}); try again");
                    return refuse(&link, ErrorCode::Overloaded, &msg);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        match entry {
            // Unknown to the cluster, or this node's own lobby: the local matchmaker answers
            // (seat, `unknown_code` or `lobby_full`) exactly as in single-node mode.
            None => local(&matchmaker, link, code),
            Some(e) if e.node == cluster.cfg.node_id => local(&matchmaker, link, code),
            Some(e) => remote(&cluster, link, e).await,
        }
    });
}

fn local(matchmaker: &MatchmakerHandle, link: SessionLink, code: String) {
    if !matchmaker.join_private(link.clone(), code) {
        refuse(&link, ErrorCode::Overloaded, "matchmaker busy, try again");
    }
}

async fn remote(cluster: &Arc<Cluster>, link: SessionLink, e: DirEntry) {
    let session = link.session;
    let t = Ticket::new(link, e.mode.clone(), None, None);
    let since = t.since;
    let rec = TicketRec::from_ticket(&cluster.cfg.node_id, &t, unix_ms(), false);
    cluster.hold(t);
    let cmd = Command::JoinCode { lobby: e.lobby, mode: e.mode, ticket: rec };
    cluster.push(Op::Send { node: e.node, cmd });
    // Bounded: an owner that died never answers.
    tokio::time::sleep(cluster.cfg.reservation_ttl).await;
    if let Some(t) = cluster.take_ticket_if(session, since) {
        refuse(&t.link, ErrorCode::UnknownCode, "the lobby's node did not answer; try again");
    }
}
