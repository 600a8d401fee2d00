//! One tick of a lobby, and the phase changes that happen at tick boundaries.

use super::fanout::{self, Sent};
use super::{Core, Link, Output, Phase, TickStats};
use bytes::Bytes;
use std::time::Duration;
use tickwave_protocol::{self as proto, ScoreLine, ServerMessage};

impl<L: Link> Core<L> {
    fn set_phase(&mut self, phase: Phase) {
        tracing::debug!(from = self.phase.name(), to = phase.name(), tick = self.tick, "phase");
        self.phase = phase;
        let accepting = match phase {
            Phase::Waiting { .. } | Phase::Starting { .. } => true,
            Phase::Running { .. } => self.s.backfill,
            Phase::Finished => false,
        };
        self.set_accepting(accepting);
        let b = self.lobby_state_bytes();
        self.broadcast(&b);
        self.outputs.push_back(Output::Status);
    }

    fn advance_phase(&mut self) {
        let n = self.members.len() as u32;
        let (min, max) = (self.s.min_players, self.s.max_players);
        match self.phase {
            Phase::Waiting { since } => {
                let filled = self.tick - since >= self.s.fill_timeout_ticks;
                if n >= max || (n >= min && filled) {
                    let until = self.tick + self.s.countdown_ticks;
                    self.set_phase(Phase::Starting { until });
                }
            }
            Phase::Starting { until } => {
                if n < min {
                    self.set_phase(Phase::Waiting { since: self.tick });
                } else if self.tick >= until {
                    self.game.start_match();
                    let until = self.tick + self.s.match_ticks;
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
                let m = self.members.iter().find(|m| m.player == player)?;
                Some(ScoreLine { player, name: m.name.to_string(), score })
            })
            .collect();
        scores.sort_by(|a, b| b.score.cmp(&a.score).then(a.player.cmp(&b.player)));
        let lobby = self.s.lobby;
        let results = proto::encode_server(&ServerMessage::Results { lobby, scores });
        let closed = proto::encode_server(&ServerMessage::LobbyClosed {
            lobby,
            reason: "match over".into(),
        });
        for m in self.members.iter().filter(|m| m.connected) {
            m.link.send(results.clone());
            m.link.send(closed.clone());
            m.link.lobby_ended(lobby);
        }
        self.done = true;
    }

    /// Keep this tick's view for catch-up deltas.
    fn remember(&mut self) {
        self.recent.remember(self.tick, &self.fan.cur);
    }

    /// One simulation tick: held seats, inputs, phase, step, view, diff, encode once, fan
    /// out. `now` is the time since the lobby began (only for the input-lag figure).
    pub fn tick(&mut self, now: Duration) -> TickStats {
        self.guarded(|c| c.run_tick(now))
    }

    fn run_tick(&mut self, now: Duration) -> TickStats {
        let mut stats = TickStats::default();
        self.tick += 1;
        self.expire_holds();
        if self.done {
            return stats;
        }
        let mut inputs = 0;
        for m in &mut self.members {
            for (input, arrived) in m.pending.drain(..) {
                if input.seq > m.last_applied {
                    self.game.apply_input(m.player, &input);
                    m.last_applied = input.seq;
                    let lag = now.saturating_sub(arrived).as_secs_f64() * 1000.0;
                    m.input_lag_ms += (lag - m.input_lag_ms) / 8.0;
                    inputs += 1;
                }
            }
        }
        stats.inputs = inputs;
        self.advance_phase();
        if self.done {
            return stats;
        }
        self.game.step();
        if !self.sends_state_at(self.tick) {
            // Inputs and chat of this tick ride on the next state message.
            for m in &mut self.members {
                m.flush_chat();
            }
            return stats;
        }
        self.game.view(&mut self.fan.cur);
        if let Err(e) = self.fan.cur.finish_checked(&self.fields_per_kind) {
            self.bad_view(e);
            return stats;
        }
        self.fan.acks.clear();
        self.fan.acks.extend(self.members.iter().map(|m| (m.player, m.last_applied)));
        self.fan.acks.sort_unstable();
        let tick = self.tick;
        let delta = self.fan.encode_delta(tick);

        let mut prelude: Option<[Bytes; 2]> = None;
        let mut snapshot: Option<Bytes> = None;
        let mut gone = Vec::new();
        let (mut deltas_sent, mut snapshots_sent, mut lagging) = (0u64, 0u64, 0u64);
        for i in 0..self.members.len() {
            if !self.members[i].connected {
                continue;
            }
            let resync = self.members[i].needs_resync;
            let sent = if self.members[i].needs_resync {
                let pre = prelude
                    .get_or_insert_with(|| [self.roster_bytes(&[], &[]), self.lobby_state_bytes()]);
                let fan = &mut self.fan;
                let mut snap = || snapshot.get_or_insert_with(|| fan.encode_snapshot(tick)).clone();
                fanout::send_resync(&mut self.members[i], pre.as_slice(), &mut snap)
            } else {
                fanout::send_delta(&mut self.members[i], &delta)
            };
            match sent {
                Sent::Closed => gone.push(self.members[i].player),
                Sent::Ok if resync => snapshots_sent += 1,
                Sent::Ok => deltas_sent += 1,
                Sent::Lagging => lagging += 1,
                Sent::Skipped => {}
            }
        }
        for m in &mut self.members {
            m.flush_chat();
        }
        let snapshot_len = snapshot.as_ref().map_or(0, |b| b.len() as u64);
        stats.state_messages = deltas_sent + snapshots_sent;
        stats.state_bytes = deltas_sent * delta.len() as u64 + snapshots_sent * snapshot_len;
        stats.lagging = lagging;
        stats.viewed = true;
        self.remember();
        self.fan.rotate(tick);
        // A closed queue without a Leave is a dropped connection: hold the seat.
        for player in gone {
            self.hold_seat(player);
        }
        stats
    }
}
