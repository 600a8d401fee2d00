//! The shared queue and the node mailboxes.
//!
//! - `tw:tickets` (hash, no TTL): ticket id (`node:session`) -> [`TicketRec`] JSON. Written by
//!   the player's node, claimed by the leader with `HDEL` (a ticket whose `HDEL` returns 0 was
//!   cancelled or claimed already, so it is never placed twice).
//! - `tw:inbox:<node>` (list): [`Command`] JSON for that node, `RPUSH`ed by the leader or by
//!   the node that owns a lobby, popped by the node (`BLPOP`, so it is handled at once).
//! - `tw:wake` (list, at most [`WAKE_MAX`] entries): pushed with every ticket write and after
//!   a node publishes a lobby it was just assigned; the lease holder waits on it (`BLPOP`) so
//!   a matching cycle starts as soon as there is something to place, not at the next
//!   100 ms tick.
//!
//! Writes from sessions go through one writer task ([`writer`]) that retries with backoff, so
//! a session never waits on Redis and a brief outage loses no queue update.

use super::{Cluster, backoff};
use crate::link::Ticket;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub(crate) const TICKETS_KEY: &str = "tw:tickets";
/// The holder's doorbell (see the module doc).
pub(crate) const WAKE_KEY: &str = "tw:wake";
/// Entries `tw:wake` keeps: one is enough to wake the holder; the cap keeps a list that
/// nobody pops (no holder) from growing.
pub(crate) const WAKE_MAX: isize = 4;

/// Add "wake the holder" to a pipeline.
pub(crate) fn ring(pipe: &mut redis::Pipeline) {
    pipe.cmd("RPUSH").arg(WAKE_KEY).arg(1).ignore();
    pipe.cmd("LTRIM").arg(WAKE_KEY).arg(-WAKE_MAX).arg(-1).ignore();
}

pub(crate) fn inbox_key(node: &str) -> String {
    format!("tw:inbox:{node}")
}

pub(crate) fn ticket_id(node: &str, session: u64) -> String {
    format!("{node}:{session}")
}

/// A queued player as Redis holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TicketRec {
    pub id: String,
    pub node: String,
    pub session: u64,
    pub name: String,
    pub mode: String,
    pub skill: Option<f64>,
    pub region: Option<String>,
    /// When the player started waiting, Unix ms.
    pub since_ms: u64,
    /// Re-queued after a lost lobby: placed before everyone else.
    #[serde(default)]
    pub priority: bool,
}

impl TicketRec {
    pub(crate) fn from_ticket(node: &str, t: &Ticket, now_ms: u64, priority: bool) -> Self {
        let waited = t.since.elapsed().as_millis() as u64;
        TicketRec {
            id: ticket_id(node, t.link.session),
            node: node.into(),
            session: t.link.session,
            name: t.link.name.to_string(),
            mode: t.mode.clone(),
            skill: t.skill,
            region: t.region.clone(),
            since_ms: now_ms.saturating_sub(waited),
            priority,
        }
    }
}

/// What one node asks another to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub(crate) enum Command {
    /// Seat these tickets in a new lobby (`lobby: None`) or in this existing lobby of yours.
    /// Tickets of your node join directly; the others get reservations and redirects.
    /// `seq` numbers the assigns of each node in inbox order (`tw:placed`, see
    /// [`super::placement`]).
    Assign {
        lobby: Option<u64>,
        mode: String,
        tickets: Vec<TicketRec>,
        #[serde(default)]
        seq: u64,
    },
    /// Tell your queued session to connect to `url` with this reservation (issued by
    /// `owner`, which is told to `release` it when the session is no longer waiting).
    Redirect {
        session: u64,
        url: String,
        reservation: String,
        #[serde(default)]
        owner: String,
    },
    /// A player of the sending node asks for a seat in your private lobby `lobby`: hold one
    /// and answer with `redirect`, or `refuse`.
    JoinCode { lobby: u64, mode: String, ticket: TicketRec },
    /// Your waiting session cannot have the seat it asked for (`lobby_full`, ...).
    Refuse { session: u64, code: tickwave_protocol::ErrorCode, message: String },
    /// A reservation you issued will not be redeemed (its player left the queue first): free
    /// its seat now rather than at its expiry.
    Release { reservation: String },
}

/// A queued write to Redis.
#[derive(Debug)]
pub(crate) enum Op {
    Put(TicketRec),
    Del(String),
    Send { node: String, cmd: Command },
}

async fn apply(conn: &mut redis::aio::ConnectionManager, op: &Op) -> redis::RedisResult<()> {
    match op {
        Op::Put(t) => {
            let json = serde_json::to_string(t).expect("ticket serializes");
            let mut pipe = redis::pipe();
            pipe.cmd("HSET").arg(TICKETS_KEY).arg(&t.id).arg(json).ignore();
            ring(&mut pipe);
            pipe.query_async(conn).await
        }
        Op::Del(id) => redis::cmd("HDEL").arg(TICKETS_KEY).arg(id).query_async(conn).await,
        Op::Send { node, cmd } => send(conn, node, cmd).await,
    }
}

pub(crate) async fn send(
    conn: &mut redis::aio::ConnectionManager,
    node: &str,
    cmd: &Command,
) -> redis::RedisResult<()> {
    let json = serde_json::to_string(cmd).expect("command serializes");
    redis::cmd("RPUSH").arg(inbox_key(node)).arg(json).query_async(conn).await
}

/// Apply queued writes in order, retrying each until Redis takes it (or shutdown).
pub(crate) async fn writer(
    cluster: Arc<Cluster>,
    mut rx: mpsc::Receiver<Op>,
    shutdown: CancellationToken,
) {
    while let Some(op) = tokio::select! { o = rx.recv() => o, _ = shutdown.cancelled() => None } {
        let mut failures = 0;
        loop {
            let r = match cluster.conn().await {
                Some(mut c) => apply(&mut c, &op).await,
                None => Err(redis::RedisError::from((redis::ErrorKind::Io, "not connected"))),
            };
            cluster.note(r.as_ref().map(|_| ()));
            if r.is_ok() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff(failures)) => {}
                _ = shutdown.cancelled() => return,
            }
            failures += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_round_trip_as_tagged_json() {
        let c = Command::Redirect {
            session: 3,
            url: "wss://n2/ws".into(),
            reservation: "r".into(),
            owner: "n2".into(),
        };
        let j = serde_json::to_string(&c).unwrap();
        assert!(j.contains("\"cmd\":\"redirect\""));
        assert_eq!(serde_json::from_str::<Command>(&j).unwrap(), c);
    }
}
