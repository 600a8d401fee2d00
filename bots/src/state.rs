//! A client's copy of the lobby state, kept by applying snapshots and deltas, with the checks
//! a load test counts as errors.

use tickwave_protocol::{Delta, ServerMessage, StateError, WorldView};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateCheck {
    #[error("delta against base {base} but the client holds {held:?}")]
    BaseMismatch { base: u64, held: Option<u64> },
    #[error("tick went backwards: {from} -> {to}")]
    Backwards { from: u64, to: u64 },
    #[error("delta does not apply: {0}")]
    Apply(#[from] StateError),
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
            ServerMessage::Snapshot(s) => {
                if let Some(t) = self.tick.filter(|t| s.tick < *t) {
                    return Err(StateCheck::Backwards { from: t, to: s.tick });
                }
                self.view = s.entities.clone();
                self.tick = Some(s.tick);
                self.acks = s.acks.clone();
                self.snapshots += 1;
                Ok(true)
            }
            ServerMessage::Delta(d) => {
                match self.tick {
                    Some(t) if d.tick <= t => {
                        return Err(StateCheck::Backwards { from: t, to: d.tick });
                    }
                    Some(t) if t == d.base => {}
                    held => return Err(StateCheck::BaseMismatch { base: d.base, held }),
                }
                self.view.apply(&Delta {
                    added: d.added.clone(),
                    changed: d.changed.clone(),
                    removed: d.removed.clone(),
                })?;
                self.tick = Some(d.tick);
                self.acks = d.acks.clone();
                self.deltas += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The last input sequence number the server applied for `player`.
    pub fn ack(&self, player: u32) -> Option<u64> {
        self.acks.iter().find(|(p, _)| *p == player).map(|(_, s)| *s)
    }
}
