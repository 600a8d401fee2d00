//! One bot: connect, `hello`, `find_match`, play (inputs at `--input-hz`, pings for its own
//! RTT view), apply and check every state message, and measure as it goes.
//!
//! A bot is one task with one timer: the next deadline among input, ping, churn, handshake or
//! match timeout and the end of the run. Reading and writing happen in the same task, so
//! there is no lock between the halves of the socket, and everything a wake-up produces
//! (an input and a ping, a pong and a find_match) leaves with one flush: one TLS record, one
//! syscall.
//!
//! Reconnects resume when they can: every `welcome` carries a resume token; after a dropped
//! connection (or a churning bot's deliberate drop) the bot sends it in `hello.resume` with
//! the tick it holds, and the server gives back the seat and catches the state up.

mod failover;
mod handle;
mod state;
mod timer;
mod v2;

use super::behaviour::{PickupSchema, Policy};
use super::chat::ChatClock;
use super::config::{ChurnMode, Protocol};
use super::ctx::{Gauge, ShardCtx};
use super::game::GamePlay;
use super::net::conn::{self, Conn};
use super::net::frame::{OP_BINARY, OP_CLOSE, OP_PING, OP_PONG};
use super::net::view::View;
use super::record::BotRecord;
use super::rng::Rng;
use super::stats::{ErrorKind, record};
use super::track::AckRing;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;
use tickwave_protocol::{ClientMessage, Hello};

/// How long the `welcome` may take after the upgrade.
const HELLO_TIMEOUT_US: u64 = 10_000_000;
/// How long a bot gives the close handshake when it leaves.
const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);
/// Mixed into the seed of the generators of a bot's protocol-2 matches.
const PLAY_SEED: u64 = 0x9a3e_c4d1_0b5e_77a1;

/// How a session (one connection) ended.
enum End {
    /// The run is over.
    Stop,
    /// A churning bot's connection reached its lifetime: reconnect at once.
    Churn,
    /// Connect failed or the connection broke: reconnect after a backoff.
    Failed,
    /// Cluster mode: the match is on another node ([`Bot::redirect`]): go there at once.
    Redirect,
    /// Cluster mode, several `--url`s: the node refused the connection; the next node is
    /// tried at once (once per node, then with backoff).
    NodeLost,
}

/// Facts of the match a bot is in.
struct InMatch {
    player: u32,
    hz: u32,
    pickups: Option<PickupSchema>,
    found_us: u64,
    states: u64,
    snapshots: u64,
    /// The seat came back by a resume: the state held continues.
    rejoined: bool,
}

/// Per-connection state of the event loop; times are microseconds since the swarm's start.
#[derive(Default)]
struct Sess {
    /// When the connection attempt started.
    start_us: u64,
    welcomed: bool,
    /// The server is handing a held seat back (`welcome.seat_held`): `match_found` follows.
    seat_held: bool,
    /// This connection redeems a reservation: its seat comes without a `find_match`.
    reserved: bool,
    /// The `hello` carried a resume token.
    resuming: bool,
    /// A resume on another node than the token's (its node died) was answered by a fresh
    /// `welcome`: the server queues the bot itself (`lobby_lost`, `queued`); `find_match`
    /// only if no `queued` comes.
    awaiting_requeue: bool,
    in_match: Option<InMatch>,
    find_sent_us: Option<u64>,
    /// A deadline that counts an error when passed: no welcome, or no match.
    deadline: Option<(u64, ErrorKind)>,
    refind_at: Option<u64>,
    next_input: Option<u64>,
    next_ping: Option<u64>,
    churn_at: Option<u64>,
    /// When a chatting bot in a match sends its next line.
    chat: Option<ChatClock>,
    /// Socket byte counters already added to the stats.
    wire: (u64, u64),
}

impl Sess {
    fn next_wake(&self, stop_us: u64) -> u64 {
        [
            self.deadline.map(|d| d.0),
            self.refind_at,
            self.next_input,
            self.next_ping,
            self.churn_at,
            self.chat.map(|c| c.next_us()),
        ]
        .into_iter()
        .flatten()
        .fold(stop_us, u64::min)
    }
}

pub(crate) struct Bot {
    id: u32,
    name: String,
    ctx: Rc<ShardCtx>,
    policy: Policy,
    /// Timing jitter (input phase, backoff), apart from the policy's own generator so that
    /// the inputs of a seeded run do not depend on timing.
    rng: Rng,
    rec: Rc<RefCell<BotRecord>>,
    /// Protocol 1: the state of the match.
    state: View,
    /// Protocol 2: the match as the bot plays it (typed state and what it sends); kept
    /// across a dropped connection for a resume, like `state`.
    play: Option<Box<GamePlay>>,
    /// Seeds each protocol-2 match's generator (tie-breaks, aim, random inputs).
    play_rng: Rng,
    ring: AckRing,
    seq: u64,
    session_errored: bool,
    /// A state error was counted; further failures are not counted until a snapshot.
    desynced: bool,
    /// The latest `welcome.resume` token: the next connection sends it in `hello.resume`.
    /// Cleared when a session ends deliberately (close 1000 gives up the seat) or a resume
    /// is refused.
    resume_token: Option<String>,
    /// The bot held a seat when its connection went: a resume brings `match_found` back.
    resume_into_match: bool,
    /// Cluster mode: the node holding this bot's session and seat (from a `redirect`), where
    /// resumes must go; `None` is the swarm's `--url`.
    node: Option<String>,
    /// Cluster mode: the reservation to redeem in the next `hello`, and when the bot sent the
    /// `find_match` it answers (so find-to-match covers the redirect).
    redirect: Option<(String, u64)>,
    /// Several `--url`s: the index of the node this bot uses when `node` is `None`.
    home: usize,
    /// When the last welcomed connection broke (a node loss starts here if the reconnect is
    /// refused).
    dropped_at: Option<u64>,
    /// The bot's node was lost at this time and the bot is not in a match again yet.
    lost_since: Option<u64>,
    /// Chat lines sent (the number in each line's text).
    chat_seq: u64,
    /// Lines sent and not yet echoed: (line number, when sent), oldest first.
    chat_pending: VecDeque<(u64, u64)>,
}

impl Bot {
    pub(crate) fn new(id: u32, ctx: Rc<ShardCtx>) -> (Bot, Rc<RefCell<BotRecord>>) {
        let cfg = &ctx.cfg;
        let behaviour = cfg.behaviour.pick(cfg.seed, id);
        let rec = Rc::new(RefCell::new(BotRecord::new(id, behaviour.as_str())));
        let bot = Bot {
            id,
            name: format!("{}{id}", cfg.name_prefix),
            policy: Policy::new(behaviour, Rng::for_bot(cfg.seed, id)),
            rng: Rng::for_bot(cfg.seed ^ 0x5eed_7113, id),
            rec: rec.clone(),
            state: View::default(),
            play: None,
            play_rng: Rng::for_bot(cfg.seed ^ PLAY_SEED, id),
            ring: AckRing::default(),
            seq: 0,
            session_errored: false,
            desynced: false,
            resume_token: None,
            resume_into_match: false,
            node: None,
            redirect: None,
            home: id as usize % cfg.urls().len(),
            dropped_at: None,
            lost_since: None,
            chat_seq: 0,
            chat_pending: VecDeque::new(),
            ctx,
        };
        (bot, rec)
    }

    /// Run sessions until the end of the run, reconnecting after failures and churn.
    pub(crate) async fn run(mut self) {
        let mut failures = 0u32;
        loop {
            if self.ctx.now_us() >= self.ctx.stop_us.get() {
                break;
            }
            match self.session().await {
                End::Stop => break,
                End::Churn | End::Redirect => failures = 0,
                End::NodeLost if (failures as usize) < self.ctx.cfg.urls().len() => failures += 1,
                End::Failed | End::NodeLost => {
                    failures += 1;
                    let base = (250_000u64 << failures.min(5)).min(5_000_000);
                    let wait = base / 2 + self.rng.below(base / 2 + 1);
                    let until = (self.ctx.now_us() + wait).min(self.ctx.stop_us.get());
                    tokio::time::sleep_until(self.ctx.at(until)).await;
                }
            }
        }
        let now = self.ctx.now_us();
        let stranded = self.stranded();
        let mut rec = self.rec.borrow_mut();
        rec.stranded = stranded;
        rec.finish(now, self.ctx.window());
    }

    fn error(&mut self, kind: ErrorKind) {
        let mut st = self.ctx.stats.borrow_mut();
        st.error(kind);
        if !self.session_errored {
            self.session_errored = true;
            st.totals.sessions_with_errors += 1;
        }
        let mut rec = self.rec.borrow_mut();
        rec.errors += 1;
        if kind == ErrorKind::Disconnect {
            rec.disconnects += 1;
        }
    }

    async fn session(&mut self) -> End {
        let ctx = self.ctx.clone();
        self.session_errored = false;
        let t0 = ctx.now_us();
        ctx.stats.borrow_mut().totals.sessions += 1;
        self.rec.borrow_mut().sessions += 1;
        let connecting = Gauge::new(&ctx, |g| &mut g.connecting);
        let stop = ctx.at(ctx.stop_us.get());
        let nonce = self.rng.next_u64();
        let redirect = self.redirect.take();
        let target = self.node_target().await;
        let connecting_to = async {
            match target {
                Ok(t) => conn::connect(&t, nonce).await,
                Err(e) => Err(e),
            }
        };
        let res = tokio::select! {
            r = tokio::time::timeout(ctx.cfg.connect_timeout, connecting_to) => r,
            () = tokio::time::sleep_until(stop) => return End::Stop,
        };
        drop(connecting);
        let mut conn = match res {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                tracing::debug!(bot = self.id, error = %e, "connect failed");
                self.error(ErrorKind::Connect);
                return self.connect_failed();
            }
            Err(_) => {
                tracing::debug!(bot = self.id, "connect timed out");
                self.error(ErrorKind::Connect);
                return self.connect_failed();
            }
        };
        let now = ctx.now_us();
        {
            let mut st = ctx.stats.borrow_mut();
            st.totals.connects_ok += 1;
            record(&mut st.totals.connect, now - t0);
        }
        self.rec.borrow_mut().connect_ms.get_or_insert((now - t0) as f64 / 1000.0);
        let _connected = Gauge::new(&ctx, |g| &mut g.connected);
        let mut s = Sess {
            start_us: t0,
            deadline: Some((now + HELLO_TIMEOUT_US, ErrorKind::Handshake)),
            ..Sess::default()
        };
        if let Some((_, found)) = &redirect {
            // A seat is waiting there: match_found comes without a find_match.
            s.find_sent_us = Some(*found);
            s.reserved = true;
        }
        let end = self.drive(&mut conn, &mut s, redirect.map(|r| r.0)).await;
        let now = ctx.now_us();
        if matches!(end, End::Failed) && s.welcomed {
            self.dropped_at = Some(now);
        }
        // A dropped connection (or a resuming churn) keeps the seat for the next session.
        let keep = match end {
            End::Stop | End::Redirect | End::NodeLost => false,
            End::Churn => ctx.cfg.churn_mode == ChurnMode::Resume,
            End::Failed => true,
        };
        self.resume_into_match = keep && s.in_match.is_some();
        if !keep {
            self.resume_token = None;
            if !matches!(end, End::Redirect) {
                self.node = None;
            }
        }
        self.leave_match(&mut s, now, keep);
        if !keep {
            conn.queue(OP_CLOSE, &1000u16.to_be_bytes());
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, conn.flush()).await;
        }
        self.count_wire(&conn, &mut s, ctx.now_us());
        // Otherwise the socket is dropped without a close frame, as a lost network would.
        end
    }

    /// The event loop of one connection.
    async fn drive(&mut self, conn: &mut Conn, s: &mut Sess, reservation: Option<String>) -> End {
        let ctx = self.ctx.clone();
        let resume = if reservation.is_some() { None } else { self.resume_token.clone() };
        s.resuming = resume.is_some();
        let held = match &self.play {
            Some(p) if ctx.cfg.protocol == Protocol::V2 => p.state.tick,
            _ => self.state.tick(),
        };
        let hello = ClientMessage::Hello(Hello {
            protocol: ctx.cfg.protocol.number(),
            name: self.name.clone(),
            token: None,
            // Only the state of the match the bot was in: a tick of an earlier lobby means
            // nothing to the next one.
            last_tick: resume.as_ref().and(held).filter(|_| self.resume_into_match),
            resume,
            reservation,
        });
        conn.queue_msg(&hello);
        if conn.flush().await.is_err() {
            self.error(ErrorKind::Disconnect);
            return End::Failed;
        }
        let sleep = tokio::time::sleep_until(ctx.at(0));
        tokio::pin!(sleep);
        let mut armed = u64::MAX;
        loop {
            let wake = s.next_wake(ctx.stop_us.get());
            if wake != armed {
                sleep.as_mut().reset(ctx.at(wake));
                armed = wake;
            }
            let end = tokio::select! {
                biased;
                r = std::future::poll_fn(|cx| conn.poll_fill(cx)) => {
                    let now = ctx.now_us();
                    match r {
                        Ok(true) => self.on_data(conn, s, now),
                        Ok(false) | Err(_) => Some(self.closed(None, now)),
                    }
                }
                () = &mut sleep => {
                    armed = u64::MAX;
                    self.on_timer(conn, s)
                }
            };
            if end.is_none() && conn.has_queued() && conn.flush().await.is_err() {
                return self.closed(None, ctx.now_us());
            }
            self.count_wire(conn, s, ctx.now_us());
            if let Some(end) = end {
                return end;
            }
        }
    }

    /// Handle every complete frame received; replies are queued for one flush.
    fn on_data(&mut self, conn: &mut Conn, s: &mut Sess, now: u64) -> Option<End> {
        let end = loop {
            let f = match conn.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break None,
                Err(e) => {
                    tracing::debug!(bot = self.id, error = e.0, "bad frame");
                    self.error(ErrorKind::Decode);
                    break Some(End::Failed);
                }
            };
            let end = match f.op {
                OP_BINARY => self.on_binary(conn, s, f, now),
                OP_PING => {
                    let mut p = [0u8; 125];
                    let n = conn.payload(&f).len();
                    p[..n].copy_from_slice(conn.payload(&f));
                    conn.queue(OP_PONG, &p[..n]);
                    None
                }
                OP_PONG => {
                    self.on_pong(conn.payload(&f), now);
                    None
                }
                OP_CLOSE => {
                    let code = conn.payload(&f).get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                    Some(self.closed(Some(code.unwrap_or(1005)), now))
                }
                _ => {
                    self.error(ErrorKind::Decode);
                    None
                }
            };
            if end.is_some() {
                break end;
            }
        };
        conn.compact();
        end
    }

    /// The server closed (or the connection broke); an error unless the run is ending.
    fn closed(&mut self, code: Option<u16>, now: u64) -> End {
        if now >= self.ctx.stop_us.get() {
            return End::Stop;
        }
        if let Some(code) = code {
            self.count_server_code(format!("close {code}"));
        }
        self.error(ErrorKind::Disconnect);
        End::Failed
    }

    fn count_wire(&self, conn: &Conn, s: &mut Sess, now: u64) {
        let (r, w) = (conn.wire_in, conn.wire_out);
        let (dr, dw) = (r - s.wire.0, w - s.wire.1);
        if dr + dw > 0 {
            s.wire = (r, w);
            self.ctx.stats.borrow_mut().count(now, |c| {
                c.wire_in += dr;
                c.wire_out += dw;
            });
        }
    }
}
