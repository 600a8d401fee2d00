//! A node's mailbox: the commands the leader (or a lobby's owner) sends it.
//!
//! `assign`: seat the tickets in a new or existing lobby here. Tickets of this node join
//! directly through the local matchmaker; for the others this node signs a reservation and
//! sends the player's node a `redirect` command. If the lobby cannot take them (it filled or
//! closed meanwhile), every ticket goes back to the shared queue with priority.
//!
//! `redirect`: tell a queued session of this node where its seat is.

use super::ClusterCtx;
use super::tickets::{Command, Op, TicketRec, inbox_key};
use super::{Cluster, backoff};
use crate::link::send_to;
use redis::aio::MultiplexedConnection;
use std::sync::Arc;
use std::time::Duration;
use tickwave_protocol::ServerMessage;

/// How long one blocking pop waits for a command: also the longest gap between two checks
/// for expired reservations.
const BLOCK: Duration = Duration::from_millis(250);
/// Commands taken at once after the first.
const BATCH: usize = 63;

/// Wait for commands with a blocking pop on a connection of its own, so a command is handled
/// as soon as it is pushed (a redirect or an assign is on every cluster match's path; a
/// 50 ms poll, as before, added 25 ms on average per hop and 50 at worst).
pub(crate) async fn run(shared: Arc<ClusterCtx>, cluster: Arc<Cluster>) {
    let key = inbox_key(&cluster.cfg.node_id);
    let mut failures = 0;
    let mut conn = None;
    loop {
        // Seats of reservations that expired unredeemed go back to their lobbies.
        for lobby in cluster.expired_reservations(super::unix_ms()) {
            shared.matchmaker.unreserve(lobby);
        }
        if conn.is_none() {
            conn = cluster.blocking_conn(BLOCK).await;
        }
        let wait = match conn.as_mut() {
            None => Some(backoff(failures)),
            Some(c) => {
                let r = tokio::select! {
                    r = pop(c, &key) => r,
                    _ = shared.shutdown.cancelled() => return,
                };
                cluster.note(r.as_ref().map(|_| ()));
                match r {
                    Ok(cmds) => {
                        failures = 0;
                        for c in cmds {
                            match serde_json::from_str::<Command>(&c) {
                                Ok(cmd) => handle(&shared, &cluster, cmd).await,
                                Err(e) => tracing::warn!(error = %e, "bad inbox command"),
                            }
                        }
                        None
                    }
                    Err(_) => {
                        failures += 1;
                        conn = None;
                        Some(backoff(failures))
                    }
                }
            }
        };
        if let Some(wait) = wait {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shared.shutdown.cancelled() => return,
            }
        } else if shared.shutdown.is_cancelled() {
            return;
        }
    }
}

/// The next commands: wait up to [`BLOCK`] for one, then take up to [`BATCH`] more that are
/// already there. Empty when none came.
async fn pop(c: &mut MultiplexedConnection, key: &str) -> redis::RedisResult<Vec<String>> {
    let first: Option<(String, String)> =
        redis::cmd("BLPOP").arg(key).arg(BLOCK.as_secs_f64()).query_async(c).await?;
    let Some((_, first)) = first else { return Ok(Vec::new()) };
    let rest: Option<Vec<String>> = redis::cmd("LPOP").arg(key).arg(BATCH).query_async(c).await?;
    Ok(std::iter::once(first).chain(rest.unwrap_or_default()).collect())
}

async fn handle(shared: &Arc<ClusterCtx>, cluster: &Arc<Cluster>, cmd: Command) {
    match cmd {
        Command::Redirect { session, url, reservation, owner } => {
            if let Some(t) = cluster.take_ticket(session) {
                tracing::info!(session, %url, "redirecting a matched player");
                send_to(&t.link, &ServerMessage::Redirect { url, reservation });
                t.link.queue_left();
            } else if !owner.is_empty() {
                // The player cancelled or left meanwhile: the seat goes back at once.
                cluster.push(Op::Send { node: owner, cmd: Command::Release { reservation } });
            }
        }
        Command::JoinCode { lobby, mode, ticket } => {
            join_code(shared, cluster, lobby, mode, ticket).await
        }
        Command::Refuse { session, code, message } => {
            if let Some(t) = cluster.take_ticket(session) {
                crate::link::send_error(&t.link, code, message);
                t.link.queue_left();
            }
        }
        Command::Release { reservation } => {
            if let Some(lobby) = cluster.release(&reservation) {
                shared.matchmaker.unreserve(lobby);
            }
        }
        Command::Assign { lobby, mode, tickets, seq } => {
            assign(shared, cluster, lobby, mode, tickets).await;
            // Applied (seated, reserved or handed back): the next report counts it. Then
            // report at once, so the leader sees the lobby and its seats within ~50 ms
            // rather than at the next heartbeat.
            cluster.applied.store(seq, std::sync::atomic::Ordering::Release);
            cluster.publish_soon();
        }
    }
}

async fn assign(
    shared: &Arc<ClusterCtx>,
    cluster: &Arc<Cluster>,
    lobby: Option<u64>,
    mode: String,
    tickets: Vec<TicketRec>,
) {
    let me = cluster.cfg.node_id.clone();
    let (mine, remote): (Vec<TicketRec>, Vec<TicketRec>) =
        tickets.into_iter().partition(|t| t.node == me);
    // Players of this node that are still queued (one may have cancelled meanwhile).
    let local: Vec<_> = mine.iter().filter_map(|t| cluster.take_ticket(t.session)).collect();
    if local.is_empty() && remote.is_empty() {
        return;
    }
    let placed = shared.matchmaker.place(lobby, mode, local, remote.len() as u32).await;
    match placed {
        Some(Ok(id)) => {
            for rec in &remote {
                let reservation = cluster.issue(id, rec);
                let cmd = Command::Redirect {
                    session: rec.session,
                    url: cluster.cfg.public_url.clone(),
                    reservation,
                    owner: cluster.cfg.node_id.clone(),
                };
                cluster.push(Op::Send { node: rec.node.clone(), cmd });
            }
        }
        Some(Err(back)) => {
            for t in back {
                cluster.enqueue(t, true);
            }
            requeue_remote(cluster, remote);
        }
        None => requeue_remote(cluster, remote),
    }
}

/// Another node's player asks for a seat in one of our private lobbies.
async fn join_code(
    shared: &Arc<ClusterCtx>,
    cluster: &Arc<Cluster>,
    lobby: u64,
    mode: String,
    rec: TicketRec,
) {
    let placed = shared.matchmaker.place(Some(lobby), mode, Vec::new(), 1).await;
    let cmd = match placed {
        Some(Ok(id)) => Command::Redirect {
            session: rec.session,
            url: cluster.cfg.public_url.clone(),
            reservation: cluster.issue(id, &rec),
            owner: cluster.cfg.node_id.clone(),
        },
        Some(Err(_)) => Command::Refuse {
            session: rec.session,
            code: tickwave_protocol::ErrorCode::LobbyFull,
            message: "that lobby has no free seat (or has closed)".into(),
        },
        None => Command::Refuse {
            session: rec.session,
            code: tickwave_protocol::ErrorCode::Overloaded,
            message: "the lobby's node is busy; try again".into(),
        },
    };
    cluster.push(Op::Send { node: rec.node.clone(), cmd });
}

/// Put other nodes' tickets back in the shared queue, first in line.
fn requeue_remote(cluster: &Cluster, remote: Vec<TicketRec>) {
    for mut rec in remote {
        rec.priority = true;
        cluster.push(Op::Put(rec));
    }
}
