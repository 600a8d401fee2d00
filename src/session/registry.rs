//! Registry of live sessions in a slotmap: O(1) insert/remove with generation-checked keys,
//! so a stale key from a freed session can never reach a new one in the same slot.

use super::heartbeat::RttEstimate;
use super::{Outbound, SessionEvent};
use slotmap::{SlotMap, new_key_type};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc;

new_key_type! {
    /// Internal handle of a session in the registry.
    pub struct SessionKey;
}

/// What the server knows about one session, for inspection (admin) and bookkeeping.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Public session id (the `session` of `welcome`): a counter, so it stays below 2^53 and
    /// is safe in JavaScript.
    pub id: u64,
    /// The player id (kept across resumes).
    pub player: u32,
    /// The display name.
    pub name: Arc<str>,
    /// The peer address.
    pub peer: SocketAddr,
    /// When the session started.
    pub connected_at: Instant,
    /// The latest round-trip estimate.
    pub rtt: Option<RttEstimate>,
    /// `idle`, `queued` or `in_lobby`.
    pub state: &'static str,
    /// The lobby the session is in, if any.
    pub lobby: Option<u64>,
    /// The authenticated account (`sub` of the player token), in token mode.
    pub account: Option<Arc<str>>,
    /// The session's outbound queue (notices) and event mailbox (kick).
    pub(crate) out: mpsc::Sender<Outbound>,
    events: mpsc::Sender<SessionEvent>,
}

impl SessionInfo {
    /// An operator kicks this session: the client gets error `kicked` with the reason, then
    /// close 1008. False when the session's mailbox is full (the operator may retry).
    pub(crate) fn kick(&self, reason: String) -> bool {
        self.events.try_send(SessionEvent::Kick { reason }).is_ok()
    }
}

#[derive(Default)]
struct Inner {
    slots: SlotMap<SessionKey, SessionInfo>,
    by_id: HashMap<u64, SessionKey>,
}

/// The largest player id: ids are `1..=MAX_PLAYER_ID` (below 2^31), PROTOCOL.md §6.
pub(crate) const MAX_PLAYER_ID: u32 = (1 << 31) - 1;

/// Shared by every session task. The lock is held only for map operations, never across
/// an await.
#[derive(Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
    next_session: AtomicU64,
    next_player: AtomicU32,
}

impl Registry {
    /// Register a session; returns its key and assigns a public session id and, unless the
    /// session resumes an existing player, a new player id.
    pub(crate) fn register(
        &self,
        name: Arc<str>,
        peer: SocketAddr,
        player: Option<u32>,
        out: mpsc::Sender<Outbound>,
        events: mpsc::Sender<SessionEvent>,
        account: Option<Arc<str>>,
    ) -> (SessionKey, SessionInfo) {
        let id = self.next_session.fetch_add(1, Ordering::Relaxed) + 1;
        // Player ids stay in 1..2^31: games give their other entities ids from 2^31 up, so a
        // player's entity id (its player id, by convention) never collides with them.
        let player = player.unwrap_or_else(|| {
            self.next_player.fetch_add(1, Ordering::Relaxed) % MAX_PLAYER_ID + 1
        });
        let info = SessionInfo {
            id,
            player,
            name,
            peer,
            connected_at: Instant::now(),
            rtt: None,
            state: "idle",
            lobby: None,
            out,
            events,
            account,
        };
        let mut g = self.inner.lock().expect("registry lock");
        let key = g.slots.insert(info.clone());
        g.by_id.insert(id, key);
        (key, info)
    }

    /// Free a session's entry.
    pub(crate) fn unregister(&self, key: SessionKey) {
        let mut g = self.inner.lock().expect("registry lock");
        if let Some(info) = g.slots.remove(key) {
            g.by_id.remove(&info.id);
        }
    }

    /// Change an entry in place (RTT, state); a freed key is ignored.
    pub(crate) fn update(&self, key: SessionKey, f: impl FnOnce(&mut SessionInfo)) {
        if let Some(info) = self.inner.lock().expect("registry lock").slots.get_mut(key) {
            f(info);
        }
    }

    pub(crate) fn get(&self, id: u64) -> Option<SessionInfo> {
        let g = self.inner.lock().expect("registry lock");
        g.by_id.get(&id).and_then(|k| g.slots.get(*k)).cloned()
    }

    /// Up to `limit` sessions, oldest first.
    pub(crate) fn list(&self, limit: usize) -> Vec<SessionInfo> {
        let g = self.inner.lock().expect("registry lock");
        let mut v: Vec<SessionInfo> = g.slots.values().cloned().collect();
        v.sort_by_key(|s| s.id);
        v.truncate(limit);
        v
    }

    /// Count sessions by state: (idle, queued, in_lobby).
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let g = self.inner.lock().expect("registry lock");
        g.slots.values().fold((0, 0, 0), |(i, q, l), s| match s.state {
            "queued" => (i, q + 1, l),
            "in_lobby" => (i, q, l + 1),
            _ => (i + 1, q, l),
        })
    }

    /// Queue the same bytes to every session (notices); returns how many took it.
    pub(crate) fn broadcast(&self, bytes: &bytes::Bytes) -> usize {
        let g = self.inner.lock().expect("registry lock");
        g.slots.values().filter(|s| s.out.try_send(Outbound::Frame(bytes.clone())).is_ok()).count()
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.lock().expect("registry lock").slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn player_ids_stay_below_2_pow_31_and_wrap_to_1() {
        let r = Registry::default();
        r.next_player.store(MAX_PLAYER_ID - 1, Ordering::Relaxed);
        let mut ids = Vec::new();
        for _ in 0..2 {
            let (out, _) = mpsc::channel(1);
            let (events, _) = mpsc::channel(1);
            let peer = "127.0.0.1:1".parse().unwrap();
            ids.push(r.register("p".into(), peer, None, out, events, None).1.player);
        }
        assert_eq!(ids, [MAX_PLAYER_ID, 1]);
    }
}
