//! Cluster mode: several Tickwave nodes share matchmaking, a lobby directory and seat
//! reservations through Redis. Off by default; single-node mode needs no Redis.
//!
//! Why Redis and not something home-made: the only coordination the cluster needs is one
//! lease (who runs the matchmaker), a few hashes and per-node mailboxes. Redis gives atomic
//! `SET NX PX`, scripts and TTLs, and every operator knows how to run it. Gameplay never
//! touches Redis: lobbies tick on their node, so a Redis outage only pauses new matchmaking.
//!
//! Parts:
//! - [`registry`]: each node's registration (URL, capacity, load) under a TTL key, refreshed
//!   by heartbeat; a node that stops heartbeating disappears on its own.
//! - [`lease`]: the matchmaker lease, a pure state machine plus its Redis commands.
//! - [`tickets`]: the shared queue and the per-node mailboxes (inboxes).
//! - [`leader`]: the matching cycle the lease holder runs: the same [`crate::matchmaker::policy`]
//!   as single-node mode, placing new lobbies where [`placement`] says (`spread` or `packed`,
//!   counting the holder's own placements at once).
//! - [`inbox`]: what a node does with the commands the leader (or another node) sends it.
//! - [`reservation`]: HMAC-signed, expiring, single-use seat reservations (pure).
//! - [`directory`]: lobby id -> node, mode, state, players, private code.
//!
//! The Redis keys and their TTLs are listed in docs/CLUSTER.md.

#[doc(hidden)]
pub(crate) mod bench;
mod connect;
pub(crate) mod directory;
mod inbox;
mod leader;
pub(crate) mod lease;
mod lost;
mod matchmaking;
pub(crate) mod placement;
pub(crate) mod private;
pub(crate) mod registry;
pub(crate) mod reservation;
pub(crate) mod tickets;

use crate::config::ClusterConfig;
use crate::link::{Ticket, send_to};
use redis::AsyncConnectionConfig;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use reservation::{Reservation, ReservationError, ReservationKeys, UsedNonces};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tickets::{Op, TicketRec};
use tickwave_protocol::ServerMessage;
use tokio::sync::mpsc;

pub use connect::ConnectError as ClusterError;
use connect::Health;

/// Unix time in ms: expiries in Redis and in reservations are shared between machines, so
/// they use the wall clock (nodes are expected to run NTP; skew eats into the 15 s).
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// This node's view of the cluster: its Redis connection, its queued players and its keys.
pub(crate) struct Cluster {
    pub(crate) cfg: ClusterConfig,
    /// Where connections come from (one server, or Sentinel's primary).
    source: connect::Source,
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    /// Set when a failure may mean a failover (Sentinel only): the next [`Cluster::conn`]
    /// asks the sentinels for the primary again instead of reusing the connection.
    stale: AtomicBool,
    /// Why the last attempt failed ([`Health`] as u8), so only changes are logged.
    health: AtomicU8,
    /// Set while a connection is held: without one, the callers' "not connected" errors
    /// must not overwrite the specific reason [`Cluster::conn`] recorded.
    connected: AtomicBool,
    keys: ReservationKeys,
    used: Mutex<UsedNonces>,
    /// Reservations this node issued and that were not redeemed yet: nonce -> (lobby,
    /// expiry). Each holds a seat; an expired or released one frees it.
    pending: Mutex<HashMap<u64, (u64, u64)>>,
    /// Players of this node waiting in the shared queue, by session id.
    queued: Mutex<HashMap<u64, Ticket>>,
    ops: mpsc::Sender<Op>,
    ops_rx: Mutex<Option<mpsc::Receiver<Op>>>,
    /// Wakes the heartbeat early ([`Cluster::publish_soon`]).
    pub(crate) publish: tokio::sync::Notify,
    /// Set while this node holds the matchmaker lease (for tests and the admin view).
    pub(crate) leader: AtomicBool,
    /// Set while the last Redis command succeeded.
    pub(crate) redis_ok: AtomicBool,
    /// Set once this node's registration was written (readiness).
    pub(crate) registered: AtomicBool,
    /// Sequence number of the last `assign` this node applied, published with its load so
    /// the leader knows which of its own placements the load already counts.
    pub(crate) applied: AtomicU64,
}

impl Cluster {
    pub(crate) fn new(cfg: ClusterConfig) -> Result<Arc<Cluster>, ClusterError> {
        let source = connect::Source::new(&cfg)?;
        let (ops, rx) = mpsc::channel(16 * 1024);
        Ok(Arc::new(Cluster {
            keys: ReservationKeys::new(&cfg.secret),
            cfg,
            source,
            conn: tokio::sync::Mutex::new(None),
            stale: AtomicBool::new(false),
            health: AtomicU8::new(Health::Unknown as u8),
            connected: AtomicBool::new(false),
            used: Mutex::new(UsedNonces::default()),
            pending: Mutex::new(HashMap::new()),
            queued: Mutex::new(HashMap::new()),
            ops,
            ops_rx: Mutex::new(Some(rx)),
            publish: tokio::sync::Notify::new(),
            leader: AtomicBool::new(false),
            redis_ok: AtomicBool::new(false),
            registered: AtomicBool::new(false),
            applied: AtomicU64::new(0),
        }))
    }

    pub(crate) fn node_id(&self) -> &str {
        &self.cfg.node_id
    }

    /// A connection of its own for a blocking pop (`BLPOP`, up to `block`), which on the
    /// shared multiplexed connection would hold up every other command behind it. Made
    /// only once [`Cluster::conn`] works, so the server was checked and any refusal logged
    /// there; `None` when either fails (callers retry with backoff and make a new one after
    /// an error, which with Sentinel asks for the primary again).
    pub(crate) async fn blocking_conn(&self, block: Duration) -> Option<MultiplexedConnection> {
        self.conn().await?;
        let cfg = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(block + Duration::from_secs(2)));
        let made = match self.source.client().await {
            Ok(client) => client.get_multiplexed_async_connection_with_config(&cfg).await,
            Err(e) => Err(e),
        };
        made.map_err(|e| self.note(Err(&e))).ok()
    }

    /// A connection, established on first use. The manager reconnects by itself afterwards;
    /// `None` when Redis cannot be reached now (callers retry with backoff). With Sentinel, a
    /// connection suspected of pointing at a dead or demoted primary is replaced by one to
    /// the primary the sentinels name now.
    pub(crate) async fn conn(&self) -> Option<ConnectionManager> {
        let mut slot = self.conn.lock().await;
        if self.source.is_sentinel() && self.stale.swap(false, Ordering::AcqRel) {
            *slot = None;
        }
        if let Some(c) = slot.as_ref() {
            return Some(c.clone());
        }
        self.connected.store(false, Ordering::Release);
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let made = match self.source.client().await {
            Ok(client) => ConnectionManager::new_with_config(client, cfg).await,
            Err(e) => Err(e),
        };
        let mut c = match made {
            Ok(c) => c,
            Err(e) => {
                self.note(Err(&e));
                return None;
            }
        };
        // Redis Cluster would answer MOVED to half of the keys: refuse it outright.
        let info: redis::RedisResult<String> =
            redis::cmd("INFO").arg("cluster").query_async(&mut c).await;
        match info {
            Ok(i) if connect::is_cluster_mode(&i) => {
                if self.health.swap(Health::Unsupported as u8, Ordering::AcqRel)
                    != Health::Unsupported as u8
                {
                    let e = ClusterError::RedisCluster(self.redis_name());
                    tracing::error!(error = %e, "redis refused: unsupported server; this node stays unready");
                }
                self.redis_ok.store(false, Ordering::Release);
                return None;
            }
            Ok(_) => {}
            // An ACL without INFO (it is in @dangerous): cluster mode cannot be checked, and
            // every command the node needs may still be allowed.
            Err(e) if e.code() == Some("NOPERM") => {}
            Err(e) => {
                self.note(Err(&e));
                if connect::classify(&e) != Health::Unreachable {
                    return None;
                }
            }
        }
        *slot = Some(c.clone());
        self.connected.store(true, Ordering::Release);
        Some(c)
    }

    /// The Redis URL without its password, for log lines.
    fn redis_name(&self) -> String {
        let Ok(mut t) = crate::config::RedisTarget::parse(&self.cfg.redis_url) else {
            return String::new();
        };
        // A password from the file shows as `***` too: the line says one was given.
        if self.cfg.redis_password.is_some() {
            t.password = Some(String::new());
        }
        t.redacted()
    }

    /// Is the Redis server one Tickwave cannot use (Redis Cluster)? Checked once at start,
    /// within `wait`: an unreachable Redis is not a reason to refuse (it may come up later).
    pub(crate) async fn check_supported(&self, wait: Duration) -> Result<(), ClusterError> {
        let _ = tokio::time::timeout(wait, self.conn()).await;
        if Health::from_u8(self.health.load(Ordering::Acquire)) == Health::Unsupported {
            return Err(ClusterError::RedisCluster(self.redis_name()));
        }
        Ok(())
    }

    /// Record whether Redis answered, logging only the changes: the first failure is logged
    /// at once (a node that cannot log in says so in its first second, not never), and a
    /// refusal (wrong password, no ACL permission) is an error naming the cause, because
    /// retrying will not fix it.
    pub(crate) fn note(&self, r: Result<(), &redis::RedisError>) {
        let now = match r {
            Ok(()) => Health::Ok,
            Err(e) => connect::classify(e),
        };
        self.redis_ok.store(now == Health::Ok, Ordering::Release);
        if let Err(e) = r {
            if self.source.is_sentinel() && connect::failover_suspect(e) {
                self.stale.store(true, Ordering::Release);
            }
        }
        let specific = |h: Health| matches!(h, Health::Refused | Health::Unsupported);
        let held = Health::from_u8(self.health.load(Ordering::Acquire));
        if now == Health::Unreachable && specific(held) && !self.connected.load(Ordering::Acquire) {
            return;
        }
        let before = Health::from_u8(self.health.swap(now as u8, Ordering::AcqRel));
        if before == now {
            return;
        }
        let redis = self.redis_name();
        match (now, r) {
            (Health::Ok, _) => tracing::info!(%redis, "redis reachable"),
            (Health::Refused, Err(e)) => tracing::error!(
                %redis,
                cause = connect::refusal_cause(e),
                error = %e,
                "redis refused this node (check the user and password: --cluster URL, --cluster-redis-password-file, the ACL); matchmaking is off and the node stays unready"
            ),
            (_, Err(e)) => {
                tracing::warn!(%redis, error = %e, "redis unreachable; lobbies keep running, matchmaking pauses")
            }
            _ => {}
        }
    }

    /// `find_match` in cluster mode: the ticket goes to the shared queue in Redis.
    pub(crate) fn enqueue(&self, t: Ticket, priority: bool) {
        let rec = TicketRec::from_ticket(&self.cfg.node_id, &t, unix_ms(), priority);
        let waiting = {
            let mut q = self.queued.lock().expect("queue lock");
            q.insert(t.link.session, t);
            q.values().filter(|x| x.mode == rec.mode).count() as u32
        };
        if let Some(t) = self.queued.lock().expect("queue lock").get(&rec.session) {
            send_to(&t.link, &ServerMessage::Queued { mode: rec.mode.clone(), waiting });
        }
        self.push(Op::Put(rec));
    }

    /// `cancel_match` (or the session ended): remove the ticket. False when it was not queued
    /// here any more (already matched: a redirect or a seat is on its way, and is dropped).
    pub(crate) fn cancel(&self, session: u64, tell: bool) -> bool {
        let Some(t) = self.queued.lock().expect("queue lock").remove(&session) else {
            return false;
        };
        self.push(Op::Del(tickets::ticket_id(&self.cfg.node_id, session)));
        if tell {
            send_to(&t.link, &ServerMessage::MatchCancelled { reason: "cancelled".into() });
            t.link.queue_left();
        }
        true
    }

    /// The node drains: its queued players leave the shared queue (`match_cancelled`), and
    /// its registration says `draining`, so the leader places no new lobby here.
    pub(crate) fn drain_queue(&self) {
        let all: Vec<Ticket> =
            self.queued.lock().expect("queue lock").drain().map(|(_, t)| t).collect();
        for t in all {
            self.push(Op::Del(tickets::ticket_id(&self.cfg.node_id, t.link.session)));
            let msg = ServerMessage::MatchCancelled { reason: "server draining".into() };
            send_to(&t.link, &msg);
            t.link.queue_left();
        }
    }

    /// Take a queued ticket of this node (the leader matched it).
    pub(crate) fn take_ticket(&self, session: u64) -> Option<Ticket> {
        self.queued.lock().expect("queue lock").remove(&session)
    }

    /// Take it only if it is still the one that started waiting at `since` (the session may
    /// have cancelled and queued again since).
    pub(crate) fn take_ticket_if(&self, session: u64, since: std::time::Instant) -> Option<Ticket> {
        let mut q = self.queued.lock().expect("queue lock");
        if q.get(&session).is_some_and(|t| t.since == since) { q.remove(&session) } else { None }
    }

    /// Keep a session waiting for an answer from another node (not in the shared queue):
    /// a private-lobby seat asked of its owner.
    pub(crate) fn hold(&self, t: Ticket) {
        self.queued.lock().expect("queue lock").insert(t.link.session, t);
    }

    /// Publish the directory now rather than at the next heartbeat (a private lobby was just
    /// created: its code should be findable from other nodes at once).
    pub(crate) fn publish_soon(&self) {
        self.publish.notify_one();
    }

    /// Every ticket queued here, for re-publishing after Redis lost its data.
    pub(crate) fn queued_records(&self) -> Vec<TicketRec> {
        let now = unix_ms();
        self.queued
            .lock()
            .expect("queue lock")
            .values()
            .map(|t| TicketRec::from_ticket(&self.cfg.node_id, t, now, false))
            .collect()
    }

    pub(crate) fn push(&self, op: Op) {
        if self.ops.try_send(op).is_err() {
            tracing::warn!("cluster write queue full; a queue update was dropped");
        }
    }

    /// Check a `hello.reservation` and mark it used.
    pub(crate) fn redeem(&self, token: &str) -> Result<Reservation, ReservationError> {
        let now = unix_ms();
        let r = self.keys.verify(token, &self.cfg.node_id, now)?;
        self.used.lock().expect("nonce lock").redeem(&r, now)?;
        if self.pending.lock().expect("pending lock").remove(&r.nonce).is_none() {
            // Released (its seat was given back) or issued by an earlier process: no seat.
            return Err(ReservationError::Used);
        }
        Ok(r)
    }

    /// A reservation of ours will not be redeemed: burn it and return the lobby whose seat
    /// to free (`None` if it was redeemed, released or expired already).
    pub(crate) fn release(&self, token: &str) -> Option<u64> {
        let now = unix_ms();
        let r = self.keys.verify(token, &self.cfg.node_id, now).ok()?;
        let _ = self.used.lock().expect("nonce lock").redeem(&r, now);
        self.pending.lock().expect("pending lock").remove(&r.nonce).map(|(lobby, _)| lobby)
    }

    /// Forget reservations past their expiry; the lobbies whose seats to free, one entry per
    /// seat.
    pub(crate) fn expired_reservations(&self, now_ms: u64) -> Vec<u64> {
        let mut out = Vec::new();
        self.pending.lock().expect("pending lock").retain(|_, (lobby, exp)| {
            let keep = *exp > now_ms;
            if !keep {
                out.push(*lobby);
            }
            keep
        });
        out
    }

    pub(crate) fn issue(&self, lobby: u64, rec: &TicketRec) -> String {
        use ring::rand::{SecureRandom, SystemRandom};
        let mut n = [0u8; 8];
        SystemRandom::new().fill(&mut n).expect("system randomness");
        let r = Reservation {
            node: self.cfg.node_id.clone(),
            lobby,
            ticket: rec.id.clone(),
            player: rec.name.clone(),
            expires_ms: unix_ms() + self.cfg.reservation_ttl.as_millis() as u64,
            nonce: u64::from_be_bytes(n),
        };
        self.pending.lock().expect("pending lock").insert(r.nonce, (lobby, r.expires_ms));
        self.keys.issue(&r)
    }

    /// Does this node hold the matchmaker lease now?
    pub(crate) fn is_leader(&self) -> bool {
        self.leader.load(Ordering::Acquire)
    }
}

pub(crate) use leader::{lobbies, view};
pub(crate) use matchmaking::ClusterMatchmaking;

/// What the cluster tasks use, and nothing else.
pub(crate) struct ClusterCtx {
    pub(crate) shutdown: tokio_util::sync::CancellationToken,
    pub(crate) matchmaker: crate::link::MatchmakerHandle,
    /// Players on this node (the registration's load).
    pub(crate) registry: Arc<crate::session::registry::Registry>,
    pub(crate) counters: Arc<crate::counters::Counters>,
    /// This node's lobbies, published to the shared directory.
    pub(crate) directory: Arc<crate::lobby::status::Directory>,
    pub(crate) draining: crate::link::Draining,
    /// Its server id names this process in the directory (lost seats).
    pub(crate) resume_keys: Arc<crate::session::resume::ResumeKeys>,
    pub(crate) modes: Vec<crate::config::ModeConfig>,
}

/// Start the cluster tasks: writes, heartbeat + directory, lease + matching, inbox.
pub(crate) fn spawn(shared: ClusterCtx, cluster: &Arc<Cluster>) {
    let shared = Arc::new(shared);
    let rx = cluster.ops_rx.lock().expect("ops lock").take().expect("spawned once");
    tokio::spawn(tickets::writer(cluster.clone(), rx, shared.shutdown.clone()));
    tokio::spawn(registry::heartbeat(shared.clone(), cluster.clone()));
    tokio::spawn(leader::run(shared.clone(), cluster.clone()));
    tokio::spawn(inbox::run(shared.clone(), cluster.clone()));
}

/// Sleep with exponential backoff: 100 ms doubling to 2 s.
pub(crate) fn backoff(failures: u32) -> Duration {
    Duration::from_millis((100u64 << failures.min(5)).min(2000))
}
