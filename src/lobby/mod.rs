//! A lobby: one task (actor) per match, with a bounded mailbox.
//!
//! Lifecycle: `waiting` (filling; starts when full, or after the fill timeout with
//! `min_players`) -> `starting` (countdown) -> `running` (match length) -> `finished`
//! (`results`, then `lobby_closed` to everyone) -> closed. A lobby with no connected player
//! and no held seat closes at once, and all its memory goes with the task.
//!
//! The simulation ticks in every phase, so players see each other move while the lobby
//! fills; `start_match` resets scores when the countdown ends.
//!
//! Game code runs under `catch_unwind`: a panic ends this lobby only (its players get
//! `lobby_failed` and go back to idle), never the process or another lobby. A view that
//! breaks the game's own schema ends the lobby the same way, before it is sent.

mod chat;
pub(crate) mod clock;
mod fanout;
mod history;
mod members;
pub(crate) mod status;
mod tick;

use crate::config::{ChatLimits, ModeConfig};
use crate::counters::{Counters, LiveLobby};
use crate::game::Game;
use crate::link::{
    InputInbox, LobbyHandle, LobbyMsg, LobbySeats, MatchmakerHandle, SessionEvent, Ticket, inbox,
    send_error, send_to,
};
use bytes::Bytes;
use clock::TickClock;
use fanout::{Fanout, Member};
use status::{Directory, LobbyEntry, LobbyStatus, SpectatorFrame};
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tickwave_protocol::{EntityKindSchema, ErrorCode, ServerMessage};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

static NEXT_LOBBY: AtomicU64 = AtomicU64::new(1);

/// Views of recent ticks kept for catching up a resumed player with one delta (about two
/// seconds at 30 Hz); an older tick gets a snapshot instead.
const RECENT_TICKS: usize = 64;

pub(crate) struct LobbyInit {
    pub(crate) mode: Arc<ModeConfig>,
    pub(crate) game: Box<dyn Game>,
    pub(crate) code: Option<String>,
    pub(crate) members: Vec<Ticket>,
    pub(crate) matchmaker: MatchmakerHandle,
    pub(crate) mailbox: usize,
    pub(crate) shutdown: CancellationToken,
    pub(crate) counters: Arc<Counters>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) chat: ChatLimits,
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
    /// The game's schema, asked once (clients learn it once, from `match_found`), and the
    /// number of fields of each kind, which every tick's view is checked against.
    schema: Vec<EntityKindSchema>,
    fields_per_kind: Vec<u8>,
    phase: Phase,
    tick: u64,
    members: Vec<Member>,
    fan: Fanout,
    /// Views of the last [`RECENT_TICKS`] ticks, packed.
    recent: history::History,
    /// The inputs taken from the inbox at a tick (kept to reuse its allocation).
    arrived: Vec<inbox::Arrived>,
    seats: Arc<LobbySeats>,
    matchmaker: MatchmakerHandle,
    counters: Arc<Counters>,
    done: bool,
    overruns: u64,
    skipped_ticks: u64,
    created: Instant,
    /// Tick durations in microseconds, for the admin view (p50/p99). 1 µs to 10 s (longer
    /// ticks are counted as 10 s) with u32 counts: 8 KiB per lobby instead of 20 KiB, which
    /// is half a KiB per player in lobbies of 16.
    tick_us: hdrhistogram::Histogram<u32>,
    status_tx: watch::Sender<Arc<LobbyStatus>>,
    spectate: Arc<watch::Sender<SpectatorFrame>>,
    metrics: LobbyMetrics,
    chat: ChatLimits,
    /// The last `chat.history` lines, encoded.
    chat_history: VecDeque<Bytes>,
    /// The same lines as text, for the admin view.
    chat_log: VecDeque<status::ChatLine>,
}

/// Metric handles resolved once per lobby, so the tick does no registry lookups.
struct LobbyMetrics {
    tick: metrics::Histogram,
    overruns: metrics::Counter,
    skipped: metrics::Counter,
    state_bytes: metrics::Counter,
    state_messages: metrics::Counter,
    resyncs: metrics::Counter,
    inputs: metrics::Counter,
}

impl LobbyMetrics {
    fn new() -> Self {
        use crate::metrics as m;
        LobbyMetrics {
            tick: metrics::histogram!(m::TICK_DURATION),
            overruns: metrics::counter!(m::TICK_OVERRUNS),
            skipped: metrics::counter!(m::TICKS_SKIPPED),
            state_bytes: metrics::counter!(m::STATE_BYTES),
            state_messages: metrics::counter!(m::STATE_MESSAGES),
            resyncs: metrics::counter!(m::RESYNCS),
            inputs: metrics::counter!(m::INPUT_MESSAGES),
        }
    }
}

/// Status is published every this many ticks (and on lifecycle changes).
const STATUS_EVERY: u64 = 8;
/// Spectator frames are published every this many ticks while someone watches.
const SPECTATE_EVERY: u64 = 3;

/// Start a lobby task with its first members.
pub(crate) fn spawn(init: LobbyInit) -> (LobbyHandle, Arc<LobbySeats>) {
    let id = NEXT_LOBBY.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::channel(init.mailbox);
    let grace = Duration::from_millis(init.mode.seat_grace_ms);
    let cap = init.mode.max_players as usize * fanout::MAX_PENDING_INPUTS;
    let handle = LobbyHandle::new(id, tx, Arc::new(InputInbox::new(cap)), grace);
    let seats = Arc::new(LobbySeats {
        max: init.mode.max_players,
        taken: AtomicU32::new(init.members.len() as u32),
        accepting: AtomicBool::new(true),
        closed: AtomicBool::new(false),
    });
    let live = LiveLobby::new(init.counters.clone());
    let created = Instant::now();
    let (status_tx, status_rx) = watch::channel(Arc::new(LobbyStatus {
        id,
        mode: init.mode.name.clone(),
        game: init.game.name().into(),
        state: "waiting",
        players: 0,
        connected: 0,
        max_players: init.mode.max_players,
        private: init.code.is_some(),
        tick: 0,
        tick_hz: init.mode.tick_hz,
        tick_p50_us: 0,
        tick_p99_us: 0,
        tick_max_us: 0,
        overruns: 0,
        skipped_ticks: 0,
        last_delta_bytes: 0,
        last_snapshot_bytes: 0,
        members: Vec::new(),
        recent_chat: Vec::new(),
        summary: serde_json::Value::Null,
        created,
        code: init.code.clone(),
    }));
    let spectate = Arc::new(watch::channel(SpectatorFrame::from("{}")).0);
    init.directory.insert(
        id,
        LobbyEntry { status: status_rx, handle: handle.clone(), spectate: spectate.clone() },
    );
    let directory = init.directory.clone();
    let mut lobby = Lobby {
        handle: handle.clone(),
        mode: init.mode,
        code: init.code,
        game: init.game,
        schema: Vec::new(),
        fields_per_kind: Vec::new(),
        phase: Phase::Waiting { since: 0 },
        tick: 0,
        members: Vec::new(),
        fan: Fanout::default(),
        recent: history::History::new(RECENT_TICKS),
        arrived: Vec::new(),
        seats: seats.clone(),
        matchmaker: init.matchmaker,
        counters: init.counters,
        done: false,
        overruns: 0,
        skipped_ticks: 0,
        created,
        tick_us: hdrhistogram::Histogram::new_with_bounds(1, 10_000_000, 2)
            .expect("static histogram bounds"),
        status_tx,
        spectate,
        metrics: LobbyMetrics::new(),
        chat: init.chat,
        chat_history: VecDeque::new(),
        chat_log: VecDeque::new(),
    };
    let span = tracing::info_span!("lobby", id);
    let shutdown = init.shutdown;
    let members = init.members;
    tokio::spawn(
        async move {
            let _live = live;
            lobby.guarded(|l| {
                l.set_schema();
                for t in members {
                    l.seat(t.link);
                }
                let all: Vec<u32> = l.members.iter().map(|m| m.link.player).collect();
                l.broadcast_roster(&all, &[]);
            });
            lobby.run(rx, shutdown).await;
            directory.remove(id);
        }
        .instrument(span),
    );
    (handle, seats)
}

impl Lobby {
    async fn run(mut self, mut rx: mpsc::Receiver<LobbyMsg>, shutdown: CancellationToken) {
        let mut clock = TickClock::new(self.mode.tick_hz, self.mode.max_catch_up_ticks);
        // Lobbies are created on the matchmaker's 100 ms cycle (a whole number of ticks), so
        // without an offset they would all tick in the same instant and their fan-outs would
        // pile up. A golden-ratio fraction of the period per lobby id spreads the phases.
        let phase = (self.handle.id as f64 * 0.618_033_988_75).fract();
        let epoch = Instant::now() + clock.period().mul_f64(phase);
        // One timer and one shutdown waiter for the lobby's life, re-armed in place: a fresh
        // `sleep_until` and `cancelled()` per loop would register and deregister both at every
        // message the lobby wakes for.
        let shutdown = shutdown.cancelled_owned();
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(epoch));
        tokio::pin!(shutdown, sleep);
        while !self.done {
            let deadline = tokio::time::Instant::from_std(epoch + clock.next_deadline());
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                // The tick comes before the mailbox, so a flood of messages cannot delay it.
                _ = &mut sleep => {
                    let plan = clock.due(epoch.elapsed());
                    self.skipped_ticks += plan.skipped;
                    self.metrics.skipped.increment(plan.skipped);
                    for _ in 0..plan.run {
                        let t0 = Instant::now();
                        self.guarded(Lobby::tick);
                        let took = t0.elapsed();
                        self.metrics.tick.record(took.as_secs_f64());
                        self.tick_us.saturating_record((took.as_micros() as u64).max(1));
                        if self.done {
                            break;
                        }
                    }
                    if epoch.elapsed() > clock.next_deadline() {
                        self.overruns += 1;
                        self.metrics.overruns.increment(1);
                    }
                    if self.tick % STATUS_EVERY == 0 {
                        self.publish_status();
                    }
                }
                msg = rx.recv() => match msg {
                    Some(m) => self.guarded(|l| l.on_msg(m)),
                    None => break,
                },
            }
        }
        self.seats.closed.store(true, Ordering::Release);
        self.publish_status();
        // Anyone still on the way into this lobby goes back to matchmaking.
        rx.close();
        while let Ok(m) = rx.try_recv() {
            match m {
                LobbyMsg::Join(t) => self.requeue(*t),
                // A resumed player promised its seat here: tell it the seat is gone.
                LobbyMsg::Rejoin { link, .. } => {
                    let reason = "the lobby ended while you were away";
                    let lobby = self.handle.id;
                    let _ = link.events.try_send(SessionEvent::SeatLost { lobby, reason });
                }
                _ => {}
            }
        }
        tracing::info!(
            ticks = self.tick,
            overruns = self.overruns,
            skipped = self.skipped_ticks,
            "lobby closed"
        );
    }

    /// Run lobby code that calls into the game; a panic ends this lobby cleanly.
    fn guarded(&mut self, f: impl FnOnce(&mut Lobby)) {
        if self.done {
            return;
        }
        if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| f(self))) {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic".into());
            tracing::error!(lobby = self.handle.id, panic = %what, "game code panicked; ending this lobby");
            self.counters.lobby_panics.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(crate::metrics::LOBBY_PANICS).increment(1);
            self.close_all(Some(ErrorCode::LobbyFailed), "lobby failed");
        }
    }

    /// Ask the game for its schema, once (inside `guarded`: it is game code).
    fn set_schema(&mut self) {
        self.schema = self.game.schema();
        self.fields_per_kind =
            self.schema.iter().map(|k| u8::try_from(k.fields.len()).unwrap_or(u8::MAX)).collect();
    }

    /// The game's view broke its schema: end the lobby as a panic does, before any of that
    /// view is encoded, so no client ever gets a state it cannot apply or name. Logged once
    /// (the lobby ends here), counted apart from panics.
    fn bad_view(&mut self, error: tickwave_protocol::StateError) {
        tracing::error!(lobby = self.handle.id, tick = self.tick, %error, "game view breaks its schema; ending this lobby");
        self.counters.lobby_bad_views.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(crate::metrics::LOBBY_BAD_VIEWS).increment(1);
        self.close_all(Some(ErrorCode::LobbyFailed), "lobby failed");
    }

    fn on_msg(&mut self, msg: LobbyMsg) {
        match msg {
            LobbyMsg::Join(t) => {
                let full = self.members.len() as u32 >= self.mode.max_players;
                if full || self.phase == Phase::Finished || !self.seats.accepting() {
                    self.seats.unreserve();
                    self.requeue(*t);
                } else {
                    let player = t.link.player;
                    self.seat(t.link);
                    self.broadcast_roster(&[player], &[]);
                }
            }
            LobbyMsg::Leave { player, session } => {
                if self.member(player).is_some_and(|m| m.link.session == session) {
                    if let Some(m) = self.remove(player) {
                        let lobby = self.handle.id;
                        send_to(
                            &m.link,
                            &ServerMessage::LobbyClosed { lobby, reason: "left".into() },
                        );
                    }
                }
            }
            LobbyMsg::Disconnected { player, session } => {
                if self.member(player).is_some_and(|m| m.link.session == session) {
                    self.hold_seat(player);
                }
            }
            LobbyMsg::Rejoin { link, last_tick } => self.rejoin(*link, last_tick),
            LobbyMsg::Chat { player, text } => self.on_chat(player, text),
            LobbyMsg::Close { reason } => {
                tracing::info!(%reason, "closed by an operator");
                self.close_all(None, &reason);
            }
            LobbyMsg::Drain => {
                self.seats.accepting.store(false, Ordering::Release);
                if !matches!(self.phase, Phase::Running { .. }) {
                    self.close_all(None, "server draining");
                }
            }
        }
    }

    fn member(&self, player: u32) -> Option<&Member> {
        self.members.iter().find(|m| m.link.player == player)
    }

    fn requeue(&self, t: Ticket) {
        if let Err(t) = self.matchmaker.requeue(t) {
            send_error(&t.link, ErrorCode::Overloaded, "could not seat you; find a match again");
            let _ = t.link.events.try_send(SessionEvent::QueueLeft);
        }
    }

    /// End the lobby for everyone now: an optional error, then `lobby_closed`.
    fn close_all(&mut self, error: Option<ErrorCode>, reason: &str) {
        let lobby = self.handle.id;
        for m in self.members.iter().filter(|m| m.connected) {
            if let Some(code) = error {
                send_error(&m.link, code, format!("lobby {lobby}: {reason}"));
            }
            send_to(&m.link, &ServerMessage::LobbyClosed { lobby, reason: reason.into() });
            let _ = m.link.events.try_send(SessionEvent::LobbyEnded { lobby });
        }
        self.done = true;
    }
}
