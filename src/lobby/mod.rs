//! A lobby: one task (actor) per match, with a bounded mailbox.
//!
//! Lifecycle: `waiting` (filling; starts when full, or after the fill timeout with
//! `min_players`) -> `starting` (countdown) -> `running` (match length) -> `finished`
//! (`results`, then `lobby_closed` to everyone) -> closed. A lobby that becomes empty closes
//! at once, and all its memory goes with the task.
//!
//! The simulation ticks in every phase, so players see each other move while the lobby
//! fills; `start_match` resets scores when the countdown ends.

pub mod clock;
mod fanout;

use crate::game::Game;
use crate::matchmaker::{MmRequest, ModeConfig, Ticket};
use crate::session::{SessionEvent, SessionLink, send_error, send_to};
use bytes::Bytes;
use clock::TickClock;
use fanout::{Fanout, Member, Sent};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Instant;
use tickwave_protocol::{
    self as proto, ErrorCode, Input, LobbyState, MatchFound, PlayerInfo, Roster, ScoreLine,
    ServerMessage,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

static NEXT_LOBBY: AtomicU64 = AtomicU64::new(1);

/// How sessions and the matchmaker reach a lobby.
#[derive(Clone)]
pub(crate) struct LobbyHandle {
    pub(crate) id: u64,
    pub(crate) tx: mpsc::Sender<LobbyMsg>,
}

impl std::fmt::Debug for LobbyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lobby({})", self.id)
    }
}

pub(crate) enum LobbyMsg {
    Join(Ticket),
    Input { player: u32, input: Input },
    Leave { player: u32 },
}

/// Seat accounting shared with the matchmaker without messages: the matchmaker reserves a
/// seat before sending a `Join`, the lobby frees it when a player leaves. Lock-free, and it
/// cannot be lost in a full mailbox.
#[derive(Debug)]
pub(crate) struct LobbySeats {
    max: u32,
    taken: AtomicU32,
    accepting: AtomicBool,
    closed: AtomicBool,
}

impl LobbySeats {
    pub(crate) fn free(&self) -> u32 {
        self.max.saturating_sub(self.taken.load(Ordering::Acquire))
    }
    pub(crate) fn taken(&self) -> u32 {
        self.taken.load(Ordering::Acquire)
    }
    pub(crate) fn reserve(&self) {
        self.taken.fetch_add(1, Ordering::AcqRel);
    }
    pub(crate) fn unreserve(&self) {
        let _ = self
            .taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(1));
    }
    pub(crate) fn accepting(&self) -> bool {
        self.accepting.load(Ordering::Acquire) && !self.is_closed()
    }
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

pub(crate) struct LobbyInit {
    pub(crate) mode: Arc<ModeConfig>,
    pub(crate) game: Box<dyn Game>,
    pub(crate) code: Option<String>,
    pub(crate) members: Vec<Ticket>,
    pub(crate) matchmaker: mpsc::Sender<MmRequest>,
    pub(crate) mailbox: usize,
    pub(crate) shutdown: CancellationToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting { since: u64 },
    Starting { until: u64 },
    Running { until: u64 },
    Finished,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Waiting { .. } => "waiting",
            Phase::Starting { .. } => "starting",
            Phase::Running { .. } => "running",
            Phase::Finished => "finished",
        }
    }
}

struct Lobby {
    handle: LobbyHandle,
    mode: Arc<ModeConfig>,
    code: Option<String>,
    game: Box<dyn Game>,
    phase: Phase,
    tick: u64,
    members: Vec<Member>,
    fan: Fanout,
    seats: Arc<LobbySeats>,
    matchmaker: mpsc::Sender<MmRequest>,
    done: bool,
    overruns: u64,
    skipped_ticks: u64,
}

/// Start a lobby task with its first members.
pub(crate) fn spawn(init: LobbyInit) -> (LobbyHandle, Arc<LobbySeats>) {
    let id = NEXT_LOBBY.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::channel(init.mailbox);
    let handle = LobbyHandle { id, tx };
    let seats = Arc::new(LobbySeats {
        max: init.mode.max_players,
        taken: AtomicU32::new(init.members.len() as u32),
        accepting: AtomicBool::new(true),
        closed: AtomicBool::new(false),
    });
    let mut lobby = Lobby {
        handle: handle.clone(),
        mode: init.mode,
        code: init.code,
        game: init.game,
        phase: Phase::Waiting { since: 0 },
        tick: 0,
        members: Vec::new(),
        fan: Fanout::default(),
        seats: seats.clone(),
        matchmaker: init.matchmaker,
        done: false,
        overruns: 0,
        skipped_ticks: 0,
    };
    let span = tracing::info_span!("lobby", id);
    let shutdown = init.shutdown;
    let members = init.members;
    tokio::spawn(
        async move {
            for t in members {
                lobby.seat(t.link);
            }
            lobby.broadcast_roster(
                &lobby
                    .members
                    .iter()
                    .map(|m| m.link.player)
                    .collect::<Vec<_>>(),
                &[],
            );
            lobby.run(rx, shutdown).await;
        }
        .instrument(span),
    );
    (handle, seats)
}

impl Lobby {
    async fn run(mut self, mut rx: mpsc::Receiver<LobbyMsg>, shutdown: CancellationToken) {
        let epoch = Instant::now();
        let mut clock = TickClock::new(self.mode.tick_hz, self.mode.max_catch_up_ticks);
        while !self.done {
            let deadline = tokio::time::Instant::from_std(epoch + clock.next_deadline());
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                // The tick comes before the mailbox, so a flood of messages cannot delay it.
                _ = tokio::time::sleep_until(deadline) => {
                    let plan = clock.due(epoch.elapsed());
                    self.skipped_ticks += plan.skipped;
                    for _ in 0..plan.run {
                        self.tick();
                        if self.done {
                            break;
                        }
                    }
                    if epoch.elapsed() > clock.next_deadline() {
                        self.overruns += 1;
                    }
                }
                msg = rx.recv() => match msg {
                    Some(m) => self.on_msg(m),
                    None => break,
                },
            }
        }
        self.seats.closed.store(true, Ordering::Release);
        // Anyone still queued for this lobby goes back to matchmaking.
        rx.close();
        while let Ok(m) = rx.try_recv() {
            if let LobbyMsg::Join(t) = m {
                self.requeue(t);
            }
        }
        tracing::info!(
            ticks = self.tick,
            overruns = self.overruns,
            skipped = self.skipped_ticks,
            "lobby closed"
        );
    }

    fn on_msg(&mut self, msg: LobbyMsg) {
        match msg {
            LobbyMsg::Input { player, input } => {
                if let Some(m) = self.members.iter_mut().find(|m| m.link.player == player) {
                    m.queue_input(input);
                }
            }
            LobbyMsg::Join(t) => {
                let full = self.members.len() as u32 >= self.mode.max_players;
                if full || self.phase == Phase::Finished || !self.seats.accepting() {
                    self.seats.unreserve();
                    self.requeue(t);
                } else {
                    let player = t.link.player;
                    self.seat(t.link);
                    self.broadcast_roster(&[player], &[]);
                }
            }
            LobbyMsg::Leave { player } => {
                if let Some(m) = self.remove(player) {
                    let msg = ServerMessage::LobbyClosed {
                        lobby: self.handle.id,
                        reason: "left".into(),
                    };
                    send_to(&m.link, &msg);
                }
            }
        }
    }

    fn requeue(&self, t: Ticket) {
        if let Err(e) = self.matchmaker.try_send(MmRequest::Requeue(t)) {
            if let MmRequest::Requeue(t) = e.into_inner() {
                send_error(
                    &t.link,
                    ErrorCode::Overloaded,
                    "could not seat you; find a match again",
                );
                let _ = t.link.events.try_send(SessionEvent::QueueLeft);
            }
        }
    }

    fn roster(&self) -> Vec<PlayerInfo> {
        self.members
            .iter()
            .map(|m| PlayerInfo {
                player: m.link.player,
                name: m.link.name.to_string(),
                connected: true,
            })
            .collect()
    }

    /// Give a player a seat: the game, the session's routing, and `match_found`.
    fn seat(&mut self, link: SessionLink) {
        self.game.add_player(link.player);
        let _ = link
            .events
            .try_send(SessionEvent::Joined(self.handle.clone()));
        self.members.push(Member::new(link));
        let link = &self.members.last().expect("just pushed").link;
        let msg = ServerMessage::MatchFound(MatchFound {
            lobby: self.handle.id,
            player: link.player,
            mode: self.mode.name.clone(),
            game: self.game.name().into(),
            state: self.phase.name().into(),
            tick_hz: self.mode.tick_hz,
            max_players: self.mode.max_players,
            roster: self.roster(),
            schema: self.game.schema(),
            code: self.code.clone(),
        });
        send_to(link, &msg);
        tracing::debug!(player = link.player, "player seated");
    }

    /// Take a player out of the lobby; tells the others. Returns the member for a last word.
    fn remove(&mut self, player: u32) -> Option<Member> {
        let i = self.members.iter().position(|m| m.link.player == player)?;
        let m = self.members.swap_remove(i);
        self.game.remove_player(player);
        self.seats.unreserve();
        let _ = m.link.events.try_send(SessionEvent::LobbyEnded {
            lobby: self.handle.id,
        });
        tracing::debug!(player, "player left");
        if self.members.is_empty() {
            self.done = true;
        } else {
            self.broadcast_roster(&[], &[player]);
        }
        Some(m)
    }

    fn roster_bytes(&self, joined: &[u32], left: &[u32]) -> Bytes {
        proto::encode_server(&ServerMessage::Roster(Roster {
            lobby: self.handle.id,
            players: self.roster(),
            joined: joined.to_vec(),
            left: left.to_vec(),
        }))
    }

    fn lobby_state_bytes(&self) -> Bytes {
        let remaining = match self.phase {
            Phase::Starting { until } | Phase::Running { until } => {
                let ticks = until.saturating_sub(self.tick);
                Some(ticks * 1000 / self.mode.tick_hz as u64)
            }
            _ => None,
        };
        proto::encode_server(&ServerMessage::LobbyState(LobbyState {
            lobby: self.handle.id,
            state: self.phase.name().into(),
            remaining_ms: remaining,
            tick: self.tick,
        }))
    }

    /// Send to every member; one that cannot take it gets a full resync later.
    fn broadcast(&mut self, bytes: &Bytes) {
        for m in &mut self.members {
            if !m.link.try_send(bytes.clone()) {
                m.needs_resync = true;
                m.fresh = false;
            }
        }
    }

    fn broadcast_roster(&mut self, joined: &[u32], left: &[u32]) {
        let b = self.roster_bytes(joined, left);
        self.broadcast(&b);
    }

    fn set_phase(&mut self, phase: Phase) {
        tracing::debug!(
            from = self.phase.name(),
            to = phase.name(),
            tick = self.tick,
            "phase"
        );
        self.phase = phase;
        let accepting = match phase {
            Phase::Waiting { .. } | Phase::Starting { .. } => true,
            Phase::Running { .. } => self.mode.backfill,
            Phase::Finished => false,
        };
        self.seats.accepting.store(accepting, Ordering::Release);
        let b = self.lobby_state_bytes();
        self.broadcast(&b);
    }

    fn advance_phase(&mut self) {
        let n = self.members.len() as u32;
        let (min, max) = (self.mode.min_players, self.mode.max_players);
        match self.phase {
            Phase::Waiting { since } => {
                let filled = self.tick - since >= self.mode.ticks(self.mode.fill_timeout_ms);
                if n >= max || (n >= min && filled) {
                    let until = self.tick + self.mode.ticks(self.mode.countdown_ms);
                    self.set_phase(Phase::Starting { until });
                }
            }
            Phase::Starting { until } => {
                if n < min {
                    self.set_phase(Phase::Waiting { since: self.tick });
                } else if self.tick >= until {
                    self.game.start_match();
                    let until = self.tick + self.mode.ticks(self.mode.match_length_ms);
                    self.set_phase(Phase::Running { until });
                }
            }
            Phase::Running { until } => {
                if self.tick >= until {
                    self.set_phase(Phase::Finished);
                    self.finish();
                }
            }
            Phase::Finished => {}
        }
    }

    /// Match over: results to everyone, then each player is released back to idle.
    fn finish(&mut self) {
        let mut scores: Vec<ScoreLine> = self
            .game
            .scores()
            .into_iter()
            .filter_map(|(player, score)| {
                let m = self.members.iter().find(|m| m.link.player == player)?;
                Some(ScoreLine {
                    player,
                    name: m.link.name.to_string(),
                    score,
                })
            })
            .collect();
        scores.sort_by(|a, b| b.score.cmp(&a.score).then(a.player.cmp(&b.player)));
        let results = proto::encode_server(&ServerMessage::Results {
            lobby: self.handle.id,
            scores,
        });
        let closed = proto::encode_server(&ServerMessage::LobbyClosed {
            lobby: self.handle.id,
            reason: "match over".into(),
        });
        for m in &self.members {
            m.link.try_send(results.clone());
            m.link.try_send(closed.clone());
            let _ = m.link.events.try_send(SessionEvent::LobbyEnded {
                lobby: self.handle.id,
            });
        }
        self.done = true;
    }

    /// One simulation tick: inputs, phase, step, view, diff, encode once, fan out.
    fn tick(&mut self) {
        self.tick += 1;
        for m in &mut self.members {
            for input in m.pending.drain(..) {
                if input.seq > m.last_applied {
                    self.game.apply_input(m.link.player, &input);
                    m.last_applied = input.seq;
                }
            }
        }
        self.advance_phase();
        if self.done {
            return;
        }
        self.game.step();
        self.game.view(&mut self.fan.cur);
        if let Err(e) = self.fan.cur.finish() {
            tracing::error!(error = %e, "game view has duplicate entity ids");
        }
        self.fan.acks.clear();
        self.fan
            .acks
            .extend(self.members.iter().map(|m| (m.link.player, m.last_applied)));
        self.fan.acks.sort_unstable();
        let tick = self.tick;
        let delta = self.fan.encode_delta(tick);

        let mut prelude: Option<[Bytes; 2]> = None;
        let mut snapshot: Option<Bytes> = None;
        let mut gone = Vec::new();
        for i in 0..self.members.len() {
            let sent = if self.members[i].needs_resync {
                let pre = prelude
                    .get_or_insert_with(|| [self.roster_bytes(&[], &[]), self.lobby_state_bytes()]);
                let fan = &mut self.fan;
                let mut snap = || {
                    snapshot
                        .get_or_insert_with(|| fan.encode_snapshot(tick))
                        .clone()
                };
                fanout::send_resync(&mut self.members[i], pre.as_slice(), &mut snap)
            } else {
                fanout::send_delta(&mut self.members[i], &delta)
            };
            if let Sent::Closed = sent {
                gone.push(self.members[i].link.player);
            }
        }
        self.fan.rotate();
        for player in gone {
            self.remove(player);
        }
    }
}
