//! A client's copy of the lobby state, kept by applying snapshots and deltas, with the checks
//! a load test counts as errors.

use tickwave_protocol::{Delta, ServerMessage, StateDelta, StateError, StateSnapshot, WorldView};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateCheck {
    #[error("delta against base {base} but the client holds {held:?}")]
    BaseMismatch { base: u64, held: Option<u64> },
    #[error("tick went backwards: {from} -> {to}")]
    Backwards { from: u64, to: u64 },
    #[error("delta does not apply: {0}")]
    Apply(#[from] StateError),
}

/// What an accepted state message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Tick of the message.
    pub tick: u64,
    /// Ticks skipped since the previous state message (0 when contiguous or first).
    pub missed: u64,
    /// True for a snapshot.
    pub snapshot: bool,
}

/// The visible state at the last applied tick.
#[derive(Debug, Default, Clone)]
pub struct LocalState {
    pub tick: Option<u64>,
    pub view: WorldView,
    pub acks: Vec<(u32, u64)>,
    pub snapshots: u64,
    pub deltas: u64,
}

impl LocalState {
    /// Apply a snapshot or delta; other messages are ignored (Ok(false)).
    pub fn apply(&mut self, msg: &ServerMessage) -> Result<bool, StateCheck> {
        match msg {
            ServerMessage::Snapshot(s) => self.apply_snapshot(s.clone()).map(|_| true),
            ServerMessage::Delta(d) => self.apply_delta(d.clone()).map(|_| true),
            _ => Ok(false),
        }
    }

    /// Replace the state with a snapshot; its tick must not be older than the one held.
    pub fn apply_snapshot(&mut self, s: StateSnapshot) -> Result<Applied, StateCheck> {
        if let Some(t) = self.tick.filter(|t| s.tick < *t) {
            return Err(StateCheck::Backwards { from: t, to: s.tick });
        }
        let missed = self.tick.map_or(0, |t| s.tick.saturating_sub(t + 1));
        self.view = s.entities;
        self.tick = Some(s.tick);
        self.acks = s.acks;
        self.snapshots += 1;
        Ok(Applied { tick: s.tick, missed, snapshot: true })
    }

    /// Apply a delta: its base must be exactly the tick held, and it must move forward.
    /// On error the state is unchanged.
    pub fn apply_delta(&mut self, d: StateDelta) -> Result<Applied, StateCheck> {
        match self.tick {
            Some(t) if d.tick <= t => {
                return Err(StateCheck::Backwards { from: t, to: d.tick });
            }
            Some(t) if t == d.base => {}
            held => return Err(StateCheck::BaseMismatch { base: d.base, held }),
        }
        let missed = d.tick - d.base - 1;
        self.view.apply(&Delta { added: d.added, changed: d.changed, removed: d.removed })?;
        self.tick = Some(d.tick);
        self.acks = d.acks;
        self.deltas += 1;
        Ok(Applied { tick: d.tick, missed, snapshot: false })
    }

    /// Forget everything (a new lobby).
    pub fn reset(&mut self) {
        *self = LocalState::default();
    }

    /// The last input sequence number the server applied for `player`.
    pub fn ack(&self, player: u32) -> Option<u64> {
        self.acks.binary_search_by_key(&player, |(p, _)| *p).ok().map(|i| self.acks[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickwave_protocol::Entity;

    fn snap(tick: u64, es: &[(u32, i32)]) -> StateSnapshot {
        StateSnapshot {
            tick,
            acks: vec![(1, tick), (7, 2)],
            entities: WorldView::from_entities(
                es.iter().map(|(id, v)| Entity::new(*id, 0, &[*v])).collect(),
            )
            .unwrap(),
        }
    }

    fn delta(base: u64, tick: u64, from: &StateSnapshot, to: &StateSnapshot) -> StateDelta {
        let d = from.entities.diff(&to.entities);
        StateDelta {
            tick,
            base,
            acks: to.acks.clone(),
            added: d.added,
            changed: d.changed,
            removed: d.removed,
        }
    }

    #[test]
    fn snapshot_then_deltas_track_the_state() {
        let (a, b) = (snap(10, &[(1, 5), (2, 6)]), snap(11, &[(1, 6), (3, 1)]));
        let mut st = LocalState::default();
        assert_eq!(st.apply_snapshot(a.clone()).unwrap().missed, 0);
        let ap = st.apply_delta(delta(10, 11, &a, &b)).unwrap();
        assert_eq!((ap.tick, ap.missed, ap.snapshot), (11, 0, false));
        assert_eq!(st.view, b.entities);
        assert_eq!(st.ack(1), Some(11));
        assert_eq!(st.ack(7), Some(2));
        assert_eq!(st.ack(2), None);
        // A resync after a gap reports the missed ticks.
        let c = snap(15, &[(1, 1)]);
        assert_eq!(st.apply_snapshot(c).unwrap().missed, 3);
        assert_eq!((st.snapshots, st.deltas), (2, 1));
    }

    #[test]
    fn bad_deltas_are_refused_and_leave_the_state() {
        let (a, b) = (snap(10, &[(1, 5)]), snap(11, &[(1, 6)]));
        let mut st = LocalState::default();
        assert_eq!(
            st.apply_delta(delta(10, 11, &a, &b)),
            Err(StateCheck::BaseMismatch { base: 10, held: None })
        );
        st.apply_snapshot(a.clone()).unwrap();
        assert_eq!(
            st.apply_delta(delta(9, 11, &a, &b)),
            Err(StateCheck::BaseMismatch { base: 9, held: Some(10) })
        );
        assert_eq!(
            st.apply_delta(delta(10, 10, &a, &b)),
            Err(StateCheck::Backwards { from: 10, to: 10 })
        );
        assert!(matches!(
            st.apply_snapshot(snap(9, &[])),
            Err(StateCheck::Backwards { from: 10, to: 9 })
        ));
        // A delta changing an entity the base lacks.
        let other = snap(10, &[(4, 1)]);
        let bad = delta(10, 11, &other, &snap(11, &[(4, 2)]));
        assert!(matches!(st.apply_delta(bad), Err(StateCheck::Apply(_))));
        assert_eq!(st.view, a.entities);
        assert_eq!(st.tick, Some(10));
    }
}
