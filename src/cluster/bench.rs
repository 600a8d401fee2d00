//! Matchmaking throughput through Redis: how many queued tickets per second the lease holder
//! turns into placements. Used by `examples/cluster_bench.rs` (figures in docs/CLUSTER.md).
//!
//! It runs the real matching cycle ([`super::leader`]) against a Redis the caller owns: it
//! registers `nodes` fake nodes (their registrations, as live nodes would write them), writes
//! `tickets` tickets of those nodes into the shared queue, then runs cycles back to back until
//! the queue is empty. Each cycle costs one `HGETALL` of the queue, the registrations and the
//! directory, one `HDEL` per claimed ticket and one `RPUSH` per placement. The fake nodes'
//! inboxes are not drained (their work happens on every node in parallel, not on the holder).
//! It deletes every `tw:*` key it wrote, before and after.

use super::registry::{NODES_KEY, NodeInfo, node_key};
use super::tickets::{TICKETS_KEY, TicketRec, inbox_key};
use crate::config::ModeConfig;
use std::time::{Duration, Instant};

/// What one run measured.
#[derive(Debug, Clone)]
pub struct BenchResult {
    pub tickets: usize,
    /// Tickets claimed and sent to a node in an `assign`.
    pub placed: usize,
    pub cycles: u32,
    /// From the first cycle to the empty queue (writing the tickets is not counted).
    pub elapsed: Duration,
}

impl BenchResult {
    pub fn tickets_per_sec(&self) -> f64 {
        self.placed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

async fn clean(conn: &mut redis::aio::ConnectionManager, nodes: usize) -> redis::RedisResult<()> {
    let mut pipe = redis::pipe();
    pipe.cmd("DEL").arg(TICKETS_KEY).arg(NODES_KEY).arg(super::leader::PLACED_KEY).ignore();
    for i in 0..nodes {
        let id = format!("bench-{i}");
        pipe.cmd("DEL").arg(node_key(&id)).arg(inbox_key(&id)).ignore();
    }
    pipe.query_async(conn).await
}

/// Queue `tickets` tickets of `mode` spread over `nodes` nodes and time the holder's cycles
/// until every one is placed (or no cycle makes progress: leftovers that cannot form a group).
pub async fn queue_drain(
    redis_url: &str,
    modes: &[ModeConfig],
    mode: &str,
    nodes: usize,
    tickets: usize,
) -> redis::RedisResult<BenchResult> {
    let client = redis::Client::open(redis_url)?;
    let mut conn = redis::aio::ConnectionManager::new(client).await?;
    clean(&mut conn, nodes).await?;
    let now = super::unix_ms();
    let mut pipe = redis::pipe();
    for i in 0..nodes {
        let info = NodeInfo {
            node: format!("bench-{i}"),
            url: format!("wss://bench-{i}.invalid/ws"),
            capacity: u32::MAX / 2,
            players: 0,
            lobbies: 0,
            draining: false,
            heartbeat_ms: now,
            resume_server: i as u64 + 1,
            seats: 0,
            applied: 0,
        };
        let json = serde_json::to_string(&info).expect("node info serializes");
        pipe.cmd("SET").arg(node_key(&info.node)).arg(json).arg("PX").arg(600_000).ignore();
        pipe.cmd("SADD").arg(NODES_KEY).arg(&info.node).ignore();
    }
    pipe.query_async::<()>(&mut conn).await?;
    for chunk in (0..tickets).collect::<Vec<_>>().chunks(1000) {
        let mut pipe = redis::pipe();
        for &t in chunk {
            let node = format!("bench-{}", t % nodes.max(1));
            let rec = TicketRec {
                id: super::tickets::ticket_id(&node, t as u64),
                node,
                session: t as u64,
                name: format!("p{t}"),
                mode: mode.into(),
                skill: None,
                region: None,
                since_ms: now,
                priority: false,
            };
            let json = serde_json::to_string(&rec).expect("ticket serializes");
            pipe.cmd("HSET").arg(TICKETS_KEY).arg(&rec.id).arg(json).ignore();
        }
        pipe.query_async::<()>(&mut conn).await?;
    }
    let t0 = Instant::now();
    let mut cycles = 0;
    let mut left = tickets;
    let mut stalled = 0;
    let mut ledger = super::placement::Ledger::default();
    let spread = crate::config::PlacementPolicy::Spread;
    while left > 0 && stalled < 3 {
        super::leader::cycle(&mut conn, modes, spread, &mut ledger).await?;
        cycles += 1;
        let n: usize = redis::cmd("HLEN").arg(TICKETS_KEY).query_async(&mut conn).await?;
        stalled = if n == left { stalled + 1 } else { 0 };
        left = n;
    }
    let elapsed = t0.elapsed();
    clean(&mut conn, nodes).await?;
    Ok(BenchResult { tickets, placed: tickets - left, cycles, elapsed })
}
