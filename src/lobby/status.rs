//! What a lobby publishes for operators: a status snapshot a few times a second and, while
//! someone watches, a spectator frame. Both go through `watch` channels, so reading them
//! never touches the lobby task or its tick.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;

use crate::link::{LobbyHandle, LobbySeats};

/// One member of a lobby, as the admin API shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct MemberStatus {
    pub player: u32,
    pub name: String,
    pub session: u64,
    pub connected: bool,
    /// Last input sequence number applied.
    pub last_input_seq: u64,
    /// Smoothed time from an input's arrival at the lobby to its application, ms.
    pub input_lag_ms: f64,
    /// Messages waiting in the member's outbound queue.
    pub queue_depth: usize,
    pub bytes_sent: u64,
    pub messages_sent: u64,
    pub resyncs: u64,
    pub inputs_dropped: u64,
    /// Time in this lobby, ms.
    pub in_lobby_ms: u64,
    /// The view this member is sent: `world`, `team:N`, `no_team` or `player:N`.
    pub view: String,
}

pub(crate) use super::core::ChatLine;

/// A lobby's state for the admin API.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LobbyStatus {
    pub id: u64,
    pub mode: String,
    pub game: String,
    /// `waiting`, `starting`, `running` or `finished`.
    pub state: &'static str,
    pub players: u32,
    pub connected: u32,
    pub max_players: u32,
    pub private: bool,
    pub tick: u64,
    pub tick_hz: u32,
    pub tick_p50_us: u64,
    pub tick_p99_us: u64,
    pub tick_max_us: u64,
    pub overruns: u64,
    pub skipped_ticks: u64,
    /// Bytes of the last delta and snapshot encoded.
    pub last_delta_bytes: usize,
    pub last_snapshot_bytes: usize,
    /// State messages encoded by the last tick that sent state (one per distinct view and
    /// protocol; 1 when all members see the same), and the distinct views.
    pub encodes_last_tick: u64,
    pub views_last_tick: u64,
    /// Encodes per state tick, smoothed (EWMA, gain 1/16).
    pub encodes_per_tick: f64,
    pub members: Vec<MemberStatus>,
    /// The most recent chat lines, oldest first.
    pub recent_chat: Vec<ChatLine>,
    /// The game's own summary (scores, entity counts, ...).
    pub summary: serde_json::Value,
    #[serde(skip)]
    pub created: Instant,
    /// The private code (for the cluster directory; never in the admin JSON).
    #[serde(skip)]
    pub code: Option<String>,
}

/// A spectator frame: the visible state as JSON, serialized once for every watcher.
pub(crate) type SpectatorFrame = Arc<str>;

/// What the directory keeps per lobby.
pub(crate) struct LobbyEntry {
    pub(crate) status: watch::Receiver<Arc<LobbyStatus>>,
    pub(crate) handle: LobbyHandle,
    pub(crate) spectate: Arc<watch::Sender<SpectatorFrame>>,
    /// Members plus reserved seats, live (the status is only a few times a second): what the
    /// cluster reports as this lobby's load, so seats promised to redirected players count.
    pub(crate) seats: Arc<LobbySeats>,
}

/// Every live lobby, by id. The lock guards only map operations.
#[derive(Default)]
pub(crate) struct Directory {
    map: Mutex<BTreeMap<u64, LobbyEntry>>,
    /// Rung when a lobby's members or phase change. In cluster mode it wakes the directory
    /// publish: a player seated by redeeming a reservation must be findable in Redis within
    /// milliseconds, or its node's death leaves it `resume_expired` instead of `lobby_lost`.
    changed: tokio::sync::Notify,
}

impl Directory {
    /// A lobby's status changed in a way other nodes need to know (members, phase).
    pub(crate) fn changed(&self) {
        self.changed.notify_one();
    }

    /// Wait for the next [`Directory::changed`] (one stored wake-up if it rang meanwhile).
    pub(crate) async fn next_change(&self) {
        self.changed.notified().await;
    }

    pub(crate) fn insert(&self, id: u64, entry: LobbyEntry) {
        self.map.lock().expect("directory lock").insert(id, entry);
    }

    pub(crate) fn remove(&self, id: u64) {
        self.map.lock().expect("directory lock").remove(&id);
        self.changed();
    }

    /// The latest status of every lobby.
    pub(crate) fn statuses(&self) -> Vec<Arc<LobbyStatus>> {
        self.map
            .lock()
            .expect("directory lock")
            .values()
            .map(|e| e.status.borrow().clone())
            .collect()
    }

    /// Every lobby's latest status with its seats taken now (members plus reservations).
    pub(crate) fn statuses_with_seats(&self) -> Vec<(Arc<LobbyStatus>, u32)> {
        self.map
            .lock()
            .expect("directory lock")
            .values()
            .filter(|e| !e.seats.is_closed())
            .map(|e| (e.status.borrow().clone(), e.seats.taken()))
            .collect()
    }

    pub(crate) fn status(&self, id: u64) -> Option<Arc<LobbyStatus>> {
        self.map.lock().expect("directory lock").get(&id).map(|e| e.status.borrow().clone())
    }

    pub(crate) fn handle(&self, id: u64) -> Option<LobbyHandle> {
        self.map.lock().expect("directory lock").get(&id).map(|e| e.handle.clone())
    }

    /// Watch a lobby's spectator frames.
    pub(crate) fn spectate(&self, id: u64) -> Option<watch::Receiver<SpectatorFrame>> {
        self.map.lock().expect("directory lock").get(&id).map(|e| e.spectate.subscribe())
    }
}
