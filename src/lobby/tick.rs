//! One tick of a lobby, and the phase changes that happen at tick boundaries.

use super::fanout::{self, Sent};
use super::{Lobby, Phase, RECENT_TICKS};
use crate::session::SessionEvent;
use bytes::Bytes;
use std::sync::atomic::Ordering;
use tickwave_protocol::{self as proto, ScoreLine, ServerMessage, WorldView};

impl Lobby {
    fn set_phase(&mut self, phase: Phase) {
        tracing::debug!(from = self.phase.name(), to = phase.name(), tick = self.tick, "phase");
        self.phase = phase;
        let accepting = match phase {
            Phase::Waiting { .. } | Phase::Starting { .. } => true,
            Phase::Running { .. } => self.mode.backfill,
            Phase::Finished => false,
        };
        self.seats.accepting.store(accepting, Ordering::Release);
        let b = self.lobby_state_bytes();
        self.broadcast(&b);
    }

    fn advance_phase(&mut self) {
        let n = self.members.len() as u32;
        let (min, max) = (self.mode.min_players, self.mode.max_players);
        match self.phase {
            Phase::Waiting { since } => {
                let filled = self.tick - since >= self.mode.ticks(self.mode.fill_timeout_ms);
                if n >= max || (n >= min && filled) {
                    let until = self.tick + self.mode.ticks(self.mode.countdown_ms);
                    self.set_phase(Phase::Starting { until });
                }
            }
            Phase::Starting { until } => {
                if n < min {
                    self.set_phase(Phase::Waiting { since: self.tick });
                } else if self.tick >= until {
                    self.game.start_match();
                    let until = self.tick + self.mode.ticks(self.mode.match_length_ms);
                    self.set_phase(Phase::Running { until });
                }
            }
            Phase::Running { until } => {
                if self.tick >= until {
                    self.set_phase(Phase::Finished);
                    self.finish();
                }
            }
            Phase::Finished => {}
        }
    }

    /// Match over: results to everyone, then each player is released back to idle.
    fn finish(&mut self) {
        let mut scores: Vec<ScoreLine> = self
            .game
            .scores()
            .into_iter()
            .filter_map(|(player, score)| {
                let m = self.members.iter().find(|m| m.link.player == player)?;
                Some(ScoreLine { player, name: m.link.name.to_string(), score })
            })
            .collect();
        scores.sort_by(|a, b| b.score.cmp(&a.score).then(a.player.cmp(&b.player)));
        let results =
            proto::encode_server(&ServerMessage::Results { lobby: self.handle.id, scores });
        let closed = proto::encode_server(&ServerMessage::LobbyClosed {
            lobby: self.handle.id,
            reason: "match over".into(),
        });
        for m in self.members.iter().filter(|m| m.connected) {
            m.link.try_send(results.clone());
            m.link.try_send(closed.clone());
            let _ = m.link.events.try_send(SessionEvent::LobbyEnded { lobby: self.handle.id });
        }
        self.done = true;
    }

    /// Keep this tick's view for catch-up deltas, recycling the oldest allocation.
    fn remember(&mut self) {
        let mut v = if self.recent.len() == RECENT_TICKS {
            self.recent.pop_front().map(|(_, v)| v).unwrap_or_default()
        } else {
            WorldView::new()
        };
        v.clone_from(&self.fan.cur);
        self.recent.push_back((self.tick, v));
    }

    /// One simulation tick: inputs, phase, step, view, diff, encode once, fan out.
    pub(super) fn tick(&mut self) {
        self.tick += 1;
        self.expire_holds();
        if self.done {
            return;
        }
        for m in &mut self.members {
            for input in m.pending.drain(..) {
                if input.seq > m.last_applied {
                    self.game.apply_input(m.link.player, &input);
                    m.last_applied = input.seq;
                }
            }
        }
        self.advance_phase();
        if self.done {
            return;
        }
        self.game.step();
        self.game.view(&mut self.fan.cur);
        if let Err(e) = self.fan.cur.finish() {
            tracing::error!(error = %e, "game view has duplicate entity ids");
        }
        self.fan.acks.clear();
        self.fan.acks.extend(self.members.iter().map(|m| (m.link.player, m.last_applied)));
        self.fan.acks.sort_unstable();
        let tick = self.tick;
        let delta = self.fan.encode_delta(tick);

        let mut prelude: Option<[Bytes; 2]> = None;
        let mut snapshot: Option<Bytes> = None;
        let mut gone = Vec::new();
        for i in 0..self.members.len() {
            if !self.members[i].connected {
                continue;
            }
            let sent = if self.members[i].needs_resync {
                let pre = prelude
                    .get_or_insert_with(|| [self.roster_bytes(&[], &[]), self.lobby_state_bytes()]);
                let fan = &mut self.fan;
                let mut snap = || snapshot.get_or_insert_with(|| fan.encode_snapshot(tick)).clone();
                fanout::send_resync(&mut self.members[i], pre.as_slice(), &mut snap)
            } else {
                fanout::send_delta(&mut self.members[i], &delta)
            };
            if let Sent::Closed = sent {
                gone.push(self.members[i].link.player);
            }
        }
        self.remember();
        self.fan.rotate();
        // A closed queue without a Leave is a dropped connection: hold the seat.
        for player in gone {
            self.hold_seat(player);
        }
    }
}
