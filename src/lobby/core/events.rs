//! Game events: routed to their audience after the game call that emitted them, before
//! the state of the same tick (so a client sees `moved` and then the board with the disc).
//!
//! Only protocol-2 members receive events (version 1 has no such message). A member whose
//! seat is held keeps up to [`MAX_HELD_EVENTS`] for its resume, oldest dropped first and
//! counted; a connected member whose queue is full loses the event and is resynced like
//! for a lost delta (the state is authoritative; events are news about it).

use super::fanout::{MAX_HELD_EVENTS, Member};
use super::{Core, Link};
use crate::game::v2::To;

impl<L: Link> Core<L> {
    /// Deliver the events the game emitted since the last call; returns the frames queued.
    pub(super) fn flush_events(&mut self) -> u64 {
        let mut sent = 0;
        let events: Vec<_> = self.ctx.drain_events().collect();
        for ev in events {
            for m in self.members.iter_mut().filter(|m| m.protocol != 1) {
                let team = self.ctx.player(m.player).and_then(|p| p.team);
                if !addressed(&ev.to, m, team) {
                    continue;
                }
                if m.connected {
                    if m.send(&ev.bytes) {
                        sent += 1;
                    } else {
                        m.events_dropped += 1;
                        m.needs_resync = true;
                    }
                } else {
                    if m.held_events.len() == MAX_HELD_EVENTS {
                        m.held_events.pop_front();
                        m.events_dropped += 1;
                    }
                    m.held_events.push_back(ev.bytes.clone());
                }
            }
        }
        sent
    }

    /// A resumed member gets the events it missed while away (after its catch-up state).
    pub(super) fn send_held_events(&mut self, i: usize) {
        let m = &mut self.members[i];
        while let Some(b) = m.held_events.pop_front() {
            if !m.send(&b) {
                m.events_dropped += 1 + m.held_events.len() as u64;
                m.held_events.clear();
            }
        }
    }
}

fn addressed<L>(to: &To, m: &Member<L>, team: Option<u32>) -> bool {
    match to {
        To::All => true,
        To::Player(p) => *p == m.player,
        To::Players(ps) => ps.contains(&m.player),
        To::Team(t) => team == Some(*t),
    }
}
