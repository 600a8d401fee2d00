//! What operators watch (issue 16): the spectator frame of a view as JSON, and the player
//! views someone asked to watch.
//!
//! The world frame (`"view": "world"`) is what every spectator of the lobby shares. A player's
//! view (`"view": "player:N"`) is projected with the core's [`Core::view_of`] only while
//! someone asks for it: one request (`GET .../view?player=N`) projects it once, a watcher
//! (`.../watch?player=N`) keeps a [`PlayerViews`] entry whose frames are made at the
//! spectator cadence until its last watcher leaves. A lobby nobody watches projects nothing
//! extra on its tick.
//!
//! [`Core::view_of`]: super::core::Core::view_of

use super::status::SpectatorFrame;
use serde_json::Value;
use tickwave_protocol::v2::{ValueRef, View};
use tokio::sync::watch;

/// Distinct players whose views may be watched at once in one lobby: each costs a
/// projection and a JSON frame at the spectator cadence, so the total is bounded.
pub(crate) const MAX_WATCHED_PLAYERS: usize = 8;

/// Where a frame comes from: the lobby, its tick and phase, and its game.
pub(crate) struct FrameMeta<'a> {
    pub(crate) lobby: u64,
    pub(crate) tick: u64,
    pub(crate) state: &'static str,
    pub(crate) game: &'a str,
}

/// The view as JSON with named fields (hidden values `null`), labelled with whose it is
/// (`world` or `player:N`).
pub(crate) fn frame(view: &View, meta: &FrameMeta<'_>, label: &str) -> SpectatorFrame {
    let entities: Vec<Value> = view
        .entities()
        .map(|e| {
            let f = e.fields();
            let fields: serde_json::Map<_, _> =
                e.values().enumerate().map(|(i, v)| (f.name(i).to_owned(), json(v))).collect();
            serde_json::json!({ "id": e.id(), "kind": e.kind_name(), "fields": fields })
        })
        .collect();
    let g = view.layout().globals();
    let globals: serde_json::Map<_, _> =
        view.globals().enumerate().map(|(i, v)| (g.name(i).to_owned(), json(v))).collect();
    let frame = serde_json::json!({
        "lobby": meta.lobby,
        "tick": meta.tick,
        "state": meta.state,
        "game": meta.game,
        "view": label,
        "entities": entities,
        "globals": globals,
    });
    frame.to_string().into()
}

/// A state value as JSON (`null` for a hidden value).
fn json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Nil => Value::Null,
        ValueRef::Bool(b) => b.into(),
        ValueRef::Int(i) => i.into(),
        ValueRef::F32(x) => f64::from(x).into(),
        ValueRef::F64(x) => x.into(),
        ValueRef::Str(s) => s.into(),
    }
}

/// The player views being watched: one channel per player, shared by all its watchers.
#[derive(Default)]
pub(crate) struct PlayerViews {
    watched: Vec<(u32, watch::Sender<SpectatorFrame>)>,
}

/// Already [`MAX_WATCHED_PLAYERS`] distinct players are watched.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TooMany;

impl PlayerViews {
    /// Watch `player`'s view: its channel (made with `first` as the current frame when it is
    /// new). Refused when the bound is reached by other players.
    pub(crate) fn subscribe(
        &mut self,
        player: u32,
        first: impl FnOnce() -> SpectatorFrame,
    ) -> Result<watch::Receiver<SpectatorFrame>, TooMany> {
        // Channels whose watchers all left do not count towards the bound.
        self.watched.retain(|(_, tx)| tx.receiver_count() > 0);
        if let Some((_, tx)) = self.watched.iter().find(|(p, _)| *p == player) {
            return Ok(tx.subscribe());
        }
        if self.watched.len() >= MAX_WATCHED_PLAYERS {
            return Err(TooMany);
        }
        let (tx, rx) = watch::channel(first());
        self.watched.push((player, tx));
        Ok(rx)
    }

    /// Whether any player's view is watched (else the tick does nothing here).
    pub(crate) fn is_empty(&self) -> bool {
        self.watched.is_empty()
    }

    /// Publish a new frame to each watched player's channel; `make` returns `None` for a
    /// player that is no longer a member, whose channel is then dropped (its watchers see
    /// the stream end). Channels nobody watches any more are dropped without a frame.
    pub(crate) fn publish(&mut self, mut make: impl FnMut(u32) -> Option<SpectatorFrame>) {
        self.watched.retain(|(player, tx)| {
            if tx.receiver_count() == 0 {
                return false;
            }
            match make(*player) {
                Some(f) => {
                    tx.send_replace(f);
                    true
                }
                None => false,
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> SpectatorFrame {
        s.into()
    }

    #[test]
    fn watched_players_are_bounded_shared_and_dropped_when_unwatched_or_gone() {
        let mut v = PlayerViews::default();
        let a = v.subscribe(1, || f("a1")).unwrap();
        let a2 = v.subscribe(1, || f("never made")).unwrap();
        assert_eq!(&**a2.borrow(), "a1", "a second watcher shares the channel");
        let mut rest: Vec<_> = (2..MAX_WATCHED_PLAYERS as u32 + 1)
            .map(|p| v.subscribe(p, || f("x")).unwrap())
            .collect();
        assert_eq!(v.subscribe(99, || f("x")).err(), Some(TooMany));
        // The last watcher of a player leaving frees its place.
        drop(rest.pop());
        let _b = v.subscribe(99, || f("b")).unwrap();
        let mut made = Vec::new();
        v.publish(|p| {
            made.push(p);
            (p != 2).then(|| f(&format!("p{p}")))
        });
        made.sort_unstable();
        assert_eq!(made.len(), MAX_WATCHED_PLAYERS, "one frame per watched player: {made:?}");
        assert_eq!(&**a.borrow(), "p1");
        // Player 2 left: its channel is gone and its watcher sees the end.
        assert!(rest[0].has_changed().is_err());
        drop((a, a2));
        let mut made = Vec::new();
        v.publish(|p| {
            made.push(p);
            Some(f("y"))
        });
        assert!(!made.contains(&1), "nobody watches player 1 any more: {made:?}");
    }
}
