//! The shared matchmaker. Every node runs this loop; only the lease holder matches.
//!
//! Each cycle (100 ms) the holder reads the queue (`tw:tickets`), the live nodes and the
//! directory, runs the same pure [`policy::plan`] as single-node mode per (mode, region), and
//! for each placement claims the tickets and pushes one `assign` command to the node that
//! will own the lobby (the owner of an open lobby for a backfill, or for a new lobby the live,
//! non-draining node [`placement::choose_node`] picks), both in one Lua script, so a holder
//! that dies mid-cycle leaves every ticket either still queued or assigned, never neither.
//! Its own placements count at once through [`placement::Ledger`], before the nodes report.
//!
//! Dead nodes (in `tw:nodes`, registration expired) are handled here too: their lobbies are
//! marked `lost`, their tickets dropped (the players were connected to the dead node), their
//! inbox deleted and their id removed from `tw:nodes`.

use super::ClusterCtx;
use super::directory::{self, DirEntry};
use super::lease::{self, Attempt, LeaseState};
use super::placement::{self, Ledger, NodeRoom};
use super::registry::{self, NODES_KEY, NodeInfo};
use super::tickets::{self, Command, TICKETS_KEY, TicketRec};
use super::{Cluster, unix_ms};
use crate::config::PlacementPolicy;
use crate::matchmaker::policy::{self, OpenSeats, Params, Placement, Waiting};
use redis::aio::ConnectionManager;
use redis::aio::MultiplexedConnection;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Longest wait between two matching cycles of the holder (it starts one sooner when its
/// doorbell rings, see [`tickets::WAKE_KEY`]).
const CYCLE: Duration = Duration::from_millis(100);
/// Shortest time between the starts of two cycles: bounds the holder's Redis work (a cycle
/// reads the queue, the nodes and the directory) to 50 cycles a second under a flood.
const MIN_GAP: Duration = Duration::from_millis(20);
/// Priority tickets (re-queued after a lost lobby) count as having waited this much longer.
const PRIORITY_BOOST: Duration = Duration::from_secs(3600);

pub(crate) async fn run(shared: Arc<ClusterCtx>, cluster: Arc<Cluster>) {
    let epoch = Instant::now();
    let now = || epoch.elapsed().as_millis() as u64;
    let mut state = LeaseState::new(cluster.cfg.lease);
    // The holder's own count of the seats it placed; a new holder starts from the reports.
    let mut ledger = Ledger::default();
    // The holder's own connection for the doorbell's blocking pop.
    let mut bell = None;
    let mut last_cycle: Option<Instant> = None;
    loop {
        let holder_waits = state.is_holder(now()) && !shared.draining.get();
        let waited = async {
            if holder_waits {
                wait_for_bell(&cluster, &mut bell).await;
            } else {
                tokio::time::sleep(CYCLE).await;
            }
        };
        tokio::select! {
            _ = waited => {}
            _ = shared.shutdown.cancelled() => break,
        }
        // A flood of tickets rings all the time: cycles stay at least MIN_GAP apart.
        if let Some(gap) = last_cycle.and_then(|t| MIN_GAP.checked_sub(t.elapsed())) {
            tokio::time::sleep(gap).await;
        }
        if shared.draining.get() {
            // A draining node gives the lease up so a node that stays runs matchmaking.
            if state.is_holder(now()) {
                if let Some(mut c) = cluster.conn().await {
                    lease::release(&mut c, &cluster.cfg.node_id).await;
                }
                state.release();
                cluster.leader.store(false, Ordering::Release);
            }
            continue;
        }
        let Some(mut conn) = cluster.conn().await else {
            cluster.leader.store(state.is_holder(now()), Ordering::Release);
            continue;
        };
        if state.due(now()) {
            let sent = now();
            let r = lease::attempt(&mut conn, &cluster.cfg.node_id, cluster.cfg.lease.ttl_ms).await;
            let was = state.is_holder(sent);
            state.record(sent, r);
            if state.is_holder(now()) != was {
                tracing::info!(
                    leader = !was,
                    "matchmaker lease {}",
                    if was { "lost" } else { "taken" }
                );
            }
            if r == Attempt::Failed {
                cluster.note(Err(&redis::RedisError::from((redis::ErrorKind::Io, "lease"))));
            }
        }
        let holder = state.is_holder(now());
        cluster.leader.store(holder, Ordering::Release);
        if holder {
            last_cycle = Some(Instant::now());
            if let Err(e) =
                cycle(&mut conn, &shared.modes, cluster.cfg.placement, &mut ledger).await
            {
                cluster.note(Err(&e));
            }
        }
    }
}

/// Wait until the doorbell rings (a ticket was written or an assigned lobby published) or
/// [`CYCLE`] passes, whichever is first; then empty it, since one cycle serves every ring so
/// far. Without a connection for it (or after an error) it just waits [`CYCLE`], as the
/// cycle did before there was a doorbell.
async fn wait_for_bell(cluster: &Cluster, bell: &mut Option<MultiplexedConnection>) {
    if bell.is_none() {
        *bell = cluster.blocking_conn(CYCLE).await;
    }
    let Some(c) = bell.as_mut() else {
        tokio::time::sleep(CYCLE).await;
        return;
    };
    let rang: redis::RedisResult<Option<(String, String)>> =
        redis::cmd("BLPOP").arg(tickets::WAKE_KEY).arg(CYCLE.as_secs_f64()).query_async(c).await;
    match rang {
        Ok(Some(_)) => {
            let _: redis::RedisResult<()> =
                redis::cmd("DEL").arg(tickets::WAKE_KEY).query_async(c).await;
        }
        Ok(None) => {}
        Err(e) => {
            cluster.note(Err(&e));
            *bell = None;
            tokio::time::sleep(CYCLE).await;
        }
    }
}

/// One matching cycle of the lease holder; `pub(crate)` for the throughput benchmark.
pub(crate) async fn cycle(
    conn: &mut ConnectionManager,
    modes: &[crate::config::ModeConfig],
    choice: PlacementPolicy,
    ledger: &mut Ledger,
) -> redis::RedisResult<()> {
    let now = unix_ms();
    let (live, dead) = registry::nodes(conn).await?;
    let entries = directory::all(conn).await?;
    let raw: HashMap<String, String> =
        redis::cmd("HGETALL").arg(TICKETS_KEY).query_async(conn).await?;
    let mut recs: Vec<TicketRec> = Vec::new();
    let mut orphans: Vec<String> = Vec::new();
    for (id, v) in raw {
        match serde_json::from_str::<TicketRec>(&v) {
            Ok(t) if live.contains_key(&t.node) => recs.push(t),
            // The player's node is dead: its player is gone with it.
            Ok(t) if dead.contains(&t.node) => orphans.push(id),
            Ok(_) => {}
            Err(_) => orphans.push(id),
        }
    }
    directory::mark_lost(conn, &entries, &dead, &live, now).await?;
    if !dead.is_empty() {
        for d in &dead {
            tracing::warn!(node = %d, "node registration expired: handling it as dead");
            let _: () = redis::cmd("DEL").arg(tickets::inbox_key(d)).query_async(conn).await?;
            let _: () = redis::cmd("SREM").arg(NODES_KEY).arg(d).query_async(conn).await?;
        }
    }
    if !orphans.is_empty() {
        let _: () = redis::cmd("HDEL").arg(TICKETS_KEY).arg(&orphans).query_async(conn).await?;
    }
    // Settle what the nodes report: each directory entry is written before its node's
    // registration in a heartbeat, so placements up to a registration's `applied` are in the
    // directory read after it too.
    let names: Vec<&str> = live.keys().map(String::as_str).collect();
    ledger.next_cycle(&names);
    for n in live.values() {
        ledger.settle(&n.node, n.applied);
    }
    if recs.is_empty() {
        return Ok(());
    }
    // How far each node's directory entries are: the newest `seq` it published.
    let mut reported: BTreeMap<&str, u64> =
        live.values().map(|n| (n.node.as_str(), n.applied)).collect();
    for e in &entries {
        if let Some(r) = reported.get_mut(e.node.as_str()) {
            *r = (*r).max(e.seq);
        }
    }
    let mut rooms: Vec<NodeRoom> = live
        .values()
        .filter(|n| !n.draining)
        .map(|n| NodeRoom {
            id: n.node.clone(),
            capacity: n.capacity,
            used: n.seats.saturating_add(ledger.extra_seats(&n.node, n.applied)),
        })
        .collect();
    let open: Vec<&DirEntry> = entries
        .iter()
        .filter(|e| {
            e.open_for_backfill()
                && live.get(&e.node).is_some_and(|n| !n.draining)
                && !directory::is_lost(e, &dead, &live)
        })
        .collect();
    let mut pools: BTreeMap<(String, Option<String>), Vec<TicketRec>> = BTreeMap::new();
    for r in recs {
        pools.entry((r.mode.clone(), r.region.clone())).or_default().push(r);
    }
    for ((mode, _region), pool) in pools {
        let Some(cfg) = modes.iter().find(|m| m.name == mode) else { continue };
        let waiting: Vec<Waiting> = pool
            .iter()
            .map(|t| Waiting {
                skill: t.skill.unwrap_or(cfg.default_skill),
                waited: Duration::from_millis(now.saturating_sub(t.since_ms))
                    + if t.priority { PRIORITY_BOOST } else { Duration::ZERO },
            })
            .collect();
        // Every lobby of the cluster that can take players of this mode, with the seats this
        // holder placed since its entry was written taken off; then the new lobbies placed
        // but not in the directory yet. Running lobbies take players only in modes with
        // backfill (as in single-node mode).
        let mut lobbies: Vec<(String, Option<u64>, u32)> = open
            .iter()
            .filter(|e| e.mode == mode && (cfg.backfill || e.state != "running"))
            .map(|e| {
                let extra = ledger.extra_in_lobby(&e.node, e.lobby, e.seq);
                (e.node.clone(), Some(e.lobby), e.max_players.saturating_sub(e.taken() + extra))
            })
            .collect();
        for r in &rooms {
            let seen = reported.get(r.id.as_str()).copied().unwrap_or(0);
            for p in ledger.new_lobbies(&r.id, &mode, seen) {
                lobbies.push((r.id.clone(), None, p.max_players.saturating_sub(p.seats)));
            }
        }
        lobbies.retain(|l| l.2 > 0);
        let seats: Vec<OpenSeats> = lobbies
            .iter()
            .enumerate()
            .map(|(i, l)| OpenSeats { lobby: i as u64, free: l.2, skill: cfg.default_skill })
            .collect();
        let params = Params {
            max_players: cfg.max_players,
            min_players: cfg.min_players,
            window: policy::SkillWindow::of(cfg),
        };
        for p in policy::plan(&waiting, &seats, &params) {
            let (target, lobby, idx) = match p {
                Placement::Join { lobby, tickets } => match &lobbies[lobby as usize] {
                    (node, Some(id), _) => (node.clone(), Some(*id), tickets),
                    // A lobby placed moments ago whose id its node has not published yet:
                    // these players wait a cycle for it rather than open another lobby.
                    (_, None, _) => continue,
                },
                Placement::NewLobby { tickets } => {
                    let Some(i) = placement::choose_node(choice, &rooms, tickets.len() as u32)
                    else {
                        continue; // no node takes new lobbies now: the tickets wait
                    };
                    (rooms[i].id.clone(), None, tickets)
                }
            };
            // Claim and assign in one atomic step: a holder that dies in between can never
            // leave tickets taken off the queue but sent nowhere.
            let ids: Vec<&str> = idx.iter().map(|&i| pool[i].id.as_str()).collect();
            let Some((seq, claimed)) = claim_and_assign(conn, &target, lobby, &mode, &ids).await?
            else {
                continue;
            };
            let n = claimed.len() as u32;
            ledger.record(&target, seq, n, lobby, &mode, cfg.max_players);
            if let Some(r) = rooms.iter_mut().find(|r| r.id == target) {
                r.used = r.used.saturating_add(n);
            }
            tracing::debug!(node = %target, ?lobby, players = n, seq, "placed");
        }
    }
    Ok(())
}

/// Takes the tickets still queued (`HGET` + `HDEL`: one that is gone was cancelled or claimed
/// before) and pushes one `assign` with exactly those onto the target's inbox, inside Redis
/// in one script, so the claim and the hand-over cannot be separated by a crash. The assign
/// gets the target's next sequence number (`HINCRBY tw:placed <node>`), numbering a node's
/// assigns in inbox order whichever node holds the lease; the script returns it first.
const CLAIM_AND_ASSIGN: &str = r#"
local claimed = {}
local ids = {}
for i = 4, #ARGV do
  local t = redis.call('HGET', KEYS[1], ARGV[i])
  if t then
    redis.call('HDEL', KEYS[1], ARGV[i])
    claimed[#claimed + 1] = t
    ids[#ids + 1] = ARGV[i]
  end
end
if #claimed == 0 then
  return {}
end
local seq = redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
redis.call('RPUSH', KEYS[2], ARGV[1] .. table.concat(claimed, ',') .. ARGV[2] .. seq .. '}')
table.insert(ids, 1, tostring(seq))
return ids
"#;

/// Per node: the sequence number of its last `assign`.
pub(crate) const PLACED_KEY: &str = "tw:placed";

/// The `assign` command's JSON around its ticket list: the stored ticket JSON goes between,
/// then the script's sequence number and `}`.
fn assign_frame(lobby: Option<u64>, mode: &str) -> (String, &'static str) {
    let empty = Command::Assign { lobby, mode: mode.into(), tickets: Vec::new(), seq: 0 };
    let json = serde_json::to_string(&empty).expect("command serializes");
    let tail = r#"],"seq":0}"#;
    assert!(json.ends_with(tail), "tickets then seq end the assign");
    (json[..json.len() - tail.len()].to_owned(), r#"],"seq":"#)
}

async fn claim_and_assign(
    conn: &mut redis::aio::ConnectionManager,
    target: &str,
    lobby: Option<u64>,
    mode: &str,
    ids: &[&str],
) -> redis::RedisResult<Option<(u64, Vec<String>)>> {
    static SCRIPT: std::sync::LazyLock<redis::Script> =
        std::sync::LazyLock::new(|| redis::Script::new(CLAIM_AND_ASSIGN));
    let (prefix, suffix) = assign_frame(lobby, mode);
    let mut inv = SCRIPT.key(TICKETS_KEY);
    inv.key(tickets::inbox_key(target)).key(PLACED_KEY).arg(prefix).arg(suffix).arg(target);
    for id in ids {
        inv.arg(*id);
    }
    let mut out: Vec<String> = inv.invoke_async(conn).await?;
    if out.is_empty() {
        return Ok(None);
    }
    let seq = out.remove(0).parse().map_err(|_| {
        redis::RedisError::from((redis::ErrorKind::UnexpectedReturnType, "assign sequence number"))
    })?;
    Ok(Some((seq, out)))
}

/// `GET /admin/cluster`: nodes with load and health, the lease holder, lobbies per node.
pub(crate) async fn view(cluster: &Cluster) -> Result<serde_json::Value, String> {
    let mut conn = cluster.conn().await.ok_or("redis unreachable")?;
    let (live, dead): (BTreeMap<String, NodeInfo>, Vec<String>) =
        registry::nodes(&mut conn).await.map_err(|e| e.to_string())?;
    let entries = directory::all(&mut conn).await.map_err(|e| e.to_string())?;
    let holder = lease::holder(&mut conn).await;
    let now = unix_ms();
    let mut by_node: BTreeMap<String, Vec<&DirEntry>> = BTreeMap::new();
    for e in &entries {
        by_node.entry(e.node.clone()).or_default().push(e);
    }
    let nodes: Vec<serde_json::Value> = live
        .values()
        .map(|n| {
            serde_json::json!({
                "node": n.node, "url": n.url, "capacity": n.capacity, "players": n.players,
                "lobbies": n.lobbies, "draining": n.draining,
                "health": if n.draining { "draining" } else { "up" },
                "heartbeat_age_ms": now.saturating_sub(n.heartbeat_ms),
                "matchmaker": holder.as_deref() == Some(n.node.as_str()),
            })
        })
        .chain(dead.iter().map(|d| serde_json::json!({ "node": d, "health": "dead" })))
        .collect();
    Ok(serde_json::json!({
        "this_node": cluster.cfg.node_id,
        "matchmaker": holder,
        "nodes": nodes,
        "lobbies": by_node,
    }))
}

/// `GET /admin/lobbies?scope=cluster`: every lobby of the directory, whichever node owns it
/// (lost ones included), oldest node first.
pub(crate) async fn lobbies(cluster: &Cluster) -> Result<serde_json::Value, String> {
    let mut conn = cluster.conn().await.ok_or("redis unreachable")?;
    let mut entries = directory::all(&mut conn).await.map_err(|e| e.to_string())?;
    entries.sort_by(|a, b| (&a.node, a.lobby).cmp(&(&b.node, b.lobby)));
    let lobbies: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "node": e.node, "id": e.lobby, "mode": e.mode, "state": e.state,
                "players": e.players, "max_players": e.max_players, "private": e.code.is_some(),
                "updated_ms": e.updated_ms,
            })
        })
        .collect();
    Ok(serde_json::json!({ "this_node": cluster.cfg.node_id, "lobbies": lobbies }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The script glues the stored ticket JSON between the frame's halves: that must be the
    /// `assign` command the inbox decodes.
    #[test]
    fn the_assign_frame_wraps_stored_tickets_into_a_command() {
        let rec = |session| TicketRec {
            id: format!("n1:{session}"),
            node: "n1".into(),
            session,
            name: "ada".into(),
            mode: "arena".into(),
            skill: Some(1.5),
            region: None,
            since_ms: 7,
            priority: session == 2,
        };
        for lobby in [None, Some(9)] {
            let (prefix, suffix) = assign_frame(lobby, "arena");
            let stored: Vec<String> =
                [rec(1), rec(2)].iter().map(|t| serde_json::to_string(t).unwrap()).collect();
            let json = format!("{prefix}{}{suffix}{}}}", stored.join(","), 42);
            let cmd: Command = serde_json::from_str(&json).expect(&json);
            let want = Command::Assign {
                lobby,
                mode: "arena".into(),
                tickets: vec![rec(1), rec(2)],
                seq: 42,
            };
            assert_eq!(cmd, want);
        }
    }
}
