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
pub(crate) mod clock;
pub(crate) mod core;
mod spectator;
pub(crate) mod status;

use crate::config::{ChatLimits, ModeConfig};
use crate::counters::{Counters, LiveLobby};
use crate::game::Built;
use crate::link::{InputInbox, LobbyHandle, LobbySeats, MatchmakerHandle, Ticket};
use status::{Directory, LobbyEntry, LobbyStatus, SpectatorFrame};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

static NEXT_LOBBY: AtomicU64 = AtomicU64::new(1);

pub(crate) struct LobbyInit {
    pub(crate) mode: Arc<ModeConfig>,
    pub(crate) game: Built,
    pub(crate) code: Option<String>,
    pub(crate) members: Vec<Ticket>,
    pub(crate) matchmaker: MatchmakerHandle,
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
    let layout = init.game.0.layout().clone();
    let v1 = crate::game::compat::v1_schema(&layout).is_some();
    let inbox = Arc::new(InputInbox::new(cap));
    let handle = LobbyHandle::new(id, tx, inbox, grace, layout, v1);
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
        game: init.game.0.name().into(),
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
        encodes_last_tick: 0,
        views_last_tick: 0,
        encodes_per_tick: 0.0,
        members: Vec::new(),
        recent_chat: Vec::new(),
        summary: serde_json::Value::Null,
        created,
        code: init.code.clone(),
    }));
    let spectate = Arc::new(watch::channel(SpectatorFrame::from("{}")).0);
    init.directory.insert(
        id,
        LobbyEntry {
            status: status_rx,
            handle: handle.clone(),
            spectate: spectate.clone(),
            seats: seats.clone(),
        },
    );
    let directory = init.directory.clone();
    let settings = core::Settings {
        lobby: id,
        mode: init.mode.name.clone(),
        code: init.code,
        tick_hz: init.mode.tick_hz,
        send_hz: init.mode.send_rate(),
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
        views: (0, 0),
        encodes_avg: 0.0,
        created,
        tick_us: hdrhistogram::Histogram::new_with_bounds(1, 10_000_000, 2)
            .expect("static histogram bounds"),
        status_tx,
        spectate,
        player_views: spectator::PlayerViews::default(),
        directory: directory.clone(),
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
