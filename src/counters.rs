//! Process-wide counters the actors bump without locks; shutdown and drain read them.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Lobby tasks alive now.
    pub lobbies_live: AtomicUsize,
    /// Lobbies ended because their game code panicked.
    pub lobby_panics: AtomicU64,
    /// Lobbies ended because their game's view broke its schema.
    pub lobby_bad_views: AtomicU64,
}

impl Counters {
    pub(crate) fn lobbies_live(&self) -> usize {
        self.lobbies_live.load(Ordering::Acquire)
    }
}

/// Decrements `lobbies_live` when a lobby task ends, however it ends.
pub(crate) struct LiveLobby(pub(crate) std::sync::Arc<Counters>);

impl LiveLobby {
    pub(crate) fn new(c: std::sync::Arc<Counters>) -> Self {
        c.lobbies_live.fetch_add(1, Ordering::AcqRel);
        LiveLobby(c)
    }
}

impl Drop for LiveLobby {
    fn drop(&mut self) {
        self.0.lobbies_live.fetch_sub(1, Ordering::AcqRel);
    }
}
