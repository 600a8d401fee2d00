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
//! Two halves: `core` is the tick as a pure state machine (members, phases, inputs, the
//! game, diff, encode once, what each member gets; time in ticks, no tokio), and `actor`
//! is the task that drives it (mailbox, tick clock, cancellation, input inbox, seat
//! counters, metrics, admin status). This file keeps the lobby's handle, messages and
//! seat counters, which sessions and the matchmaker use.
//!
//! Game code runs under `catch_unwind` (in the core): a panic ends this lobby only (its
//! players get `lobby_failed` and go back to idle), never the process or another lobby. A
//! view that breaks the game's own schema ends the lobby the same way, before it is sent.

mod actor;
pub mod clock;
pub(crate) mod core;
mod inbox;
pub mod status;

use crate::config::ChatLimits;
use crate::counters::{Counters, LiveLobby};
use crate::game::Game;
use crate::matchmaker::{MmRequest, ModeConfig, Ticket};
use crate::session::SessionLink;
pub(crate) use inbox::InputInbox;
use status::{Directory, LobbyEntry, LobbyStatus, SpectatorFrame};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

static NEXT_LOBBY: AtomicU64 = AtomicU64::new(1);

/// How sessions and the matchmaker reach a lobby.
#[derive(Clone)]
pub(crate) struct LobbyHandle {
    pub(crate) id: u64,
    pub(crate) tx: mpsc::Sender<LobbyMsg>,
    /// Where the members' inputs wait for the next tick (they do not wake the lobby).
    pub(crate) inputs: Arc<InputInbox>,
    /// How long this lobby holds the seat of a player who dropped.
    pub(crate) grace: Duration,
}

impl std::fmt::Debug for LobbyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lobby({})", self.id)
    }
}

#[derive(Debug)]
///
/// Kept small (32 bytes): the mailbox and every session's event queue (which can carry a
/// `Rejoin`) allocate their slots in blocks of 32 messages, so the size of the largest variant
/// is paid per slot. The rare, large variants are boxed.
pub(crate) enum LobbyMsg {
    Join(Box<Ticket>),
    /// The player left on purpose: free the seat now.
    Leave {
        player: u32,
        session: u64,
    },
    /// The player's connection dropped: hold the seat for the grace period.
    Disconnected {
        player: u32,
        session: u64,
    },
    /// A resumed player takes its held seat back; `last_tick` is the state it holds.
    Rejoin {
        link: Box<SessionLink>,
        last_tick: Option<u64>,
    },
    /// The server is draining: close unless the match is running.
    Drain,
    /// An operator closes the lobby.
    Close {
        reason: String,
    },
    /// A chat line, already checked by the session (length, characters, rate).
    Chat {
        player: u32,
        text: String,
    },
}

const _: () =
    assert!(std::mem::size_of::<LobbyMsg>() <= 32, "keep LobbyMsg small; box large variants");

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
        let _ = self.taken.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(1));
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
    pub(crate) counters: Arc<Counters>,
    pub(crate) directory: Arc<Directory>,
    pub(crate) chat: ChatLimits,
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
    let cap = init.mode.max_players as usize * core::MAX_PENDING_INPUTS;
    let handle = LobbyHandle { id, tx, inputs: Arc::new(InputInbox::new(cap)), grace };
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
        LobbyEntry { status: status_rx, tx: handle.tx.clone(), spectate: spectate.clone() },
    );
    let directory = init.directory.clone();
    let settings = core::Settings {
        lobby: id,
        mode: init.mode.name.clone(),
        code: init.code,
        tick_hz: init.mode.tick_hz,
        min_players: init.mode.min_players,
        max_players: init.mode.max_players,
        fill_timeout_ticks: init.mode.ticks(init.mode.fill_timeout_ms),
        countdown_ticks: init.mode.ticks(init.mode.countdown_ms),
        match_ticks: init.mode.ticks(init.mode.match_length_ms),
        grace_ticks: init.mode.ticks(init.mode.seat_grace_ms),
        backfill: init.mode.backfill,
        chat_history: init.chat.history,
        chat_backlog: init.chat.backlog,
    };
    let mut lobby = actor::Actor {
        handle: handle.clone(),
        core: core::Core::new(settings, init.game),
        mode: init.mode,
        arrived: Vec::new(),
        seats: seats.clone(),
        matchmaker: init.matchmaker,
        counters: init.counters,
        overruns: 0,
        skipped_ticks: 0,
        created,
        tick_us: hdrhistogram::Histogram::new_with_bounds(1, 10_000_000, 2)
            .expect("static histogram bounds"),
        status_tx,
        spectate,
        metrics: actor::LobbyMetrics::new(),
    };
    let span = tracing::info_span!("lobby", id);
    let shutdown = init.shutdown;
    let members = init.members;
    tokio::spawn(
        async move {
            let _live = live;
            lobby.open(members);
            lobby.run(rx, shutdown).await;
            directory.remove(id);
        }
        .instrument(span),
    );
    (handle, seats)
}
