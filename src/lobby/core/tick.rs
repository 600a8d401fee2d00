//! One tick of a lobby, and the phase changes that happen at tick boundaries.

use super::fanout::{self, Sent};
use super::{Core, Link, Output, Phase, TickStats};
use crate::game::v2::{MatchEnd, Phase as GamePhase};
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
        match phase {
            Phase::Waiting { .. } => self.ctx.set_phase(GamePhase::Waiting, 0),
            Phase::Starting { .. } => self.ctx.set_phase(GamePhase::Starting, 0),
            Phase::Running { until } => {
                self.ctx.set_phase(GamePhase::Running, until.saturating_sub(self.tick))
            }
            Phase::Finished => {}
        }
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
                    let until = self.tick + self.s.match_ticks;
                    self.set_phase(Phase::Running { until });
                    self.game.start(&mut self.ctx);
                }
            }
            Phase::Running { until } => {
                if self.tick >= until {
                    self.set_phase(Phase::Finished);
                    self.finish(None);
                }
            }
            Phase::Finished => {}
        }
    }

    /// Match over (time up, or `end` when the game ended it): results to everyone, then
    /// each player is released back to idle. Protocol-2 members also get the game's payload.
    pub(super) fn finish(&mut self, end: Option<MatchEnd>) {
        let (scores, payload) = match end {
            Some(e) => (e.scores, e.payload),
            None => (self.game.scores(), None),
        };
        let mut scores: Vec<ScoreLine> = scores
            .into_iter()
            .filter_map(|(player, score)| {
                let m = self.members.iter().find(|m| m.player == player)?;
                Some(ScoreLine { player, name: m.name.to_string(), score })
            })
            .collect();
        scores.sort_by(|a, b| b.score.cmp(&a.score).then(a.player.cmp(&b.player)));
        let lobby = self.s.lobby;
        let v2 = self.fan.n.enc.results(lobby, &scores, payload.as_deref());
        let v1 = proto::encode_server(&ServerMessage::Results { lobby, scores });
        let closed = proto::encode_server(&ServerMessage::LobbyClosed {
            lobby,
            reason: "match over".into(),
        });
        for m in self.members.iter().filter(|m| m.connected) {
            m.link.send(if m.protocol == 1 { v1.clone() } else { v2.clone() });
            m.link.send(closed.clone());
            m.link.lobby_ended(lobby);
        }
        self.done = true;
    }

    /// Keep this tick's view for catch-up deltas.
    fn remember(&mut self) {
        self.recent.remember(self.tick, &self.fan.world.cur, &self.fan.scopes);
    }

    /// One simulation tick: held seats, inputs, commands, phase, step, events, view, diff,
    /// encode once per protocol in use, fan out. `now` is the time since the lobby began
    /// (only for the input-lag figure).
    pub fn tick(&mut self, now: Duration) -> TickStats {
        self.guarded(|c| c.run_tick(now))
    }

    fn run_tick(&mut self, now: Duration) -> TickStats {
        let mut stats = TickStats::default();
        self.tick += 1;
        self.ctx.set_tick(self.tick);
        self.expire_holds();
        if self.done {
            return stats;
        }
        let mut inputs = 0;
        for m in &mut self.members {
            for (input, arrived) in m.pending.drain(..) {
                if input.seq > m.last_applied {
                    self.game.input(&mut self.ctx, m.player, &input);
                    m.last_applied = input.seq;
                    let lag = now.saturating_sub(arrived).as_secs_f64() * 1000.0;
                    m.input_lag_ms += (lag - m.input_lag_ms) / 8.0;
                    inputs += 1;
                }
            }
        }
        stats.inputs = inputs;
        stats.commands = self.run_commands();
        self.advance_phase();
        if self.done {
            return stats;
        }
        self.game.step(&mut self.ctx);
        stats.events = self.flush_events();
        let end = self.ctx.take_end();
        if end.is_none() && !self.sends_state_at(self.tick) {
            // Inputs and chat of this tick ride on the next state message.
            for m in &mut self.members {
                m.flush_chat();
            }
            return stats;
        }
        let world = &mut self.fan.world.cur;
        world.clear();
        if let Err(e) = self.game.view(world).and_then(|()| world.finish()) {
            self.bad_view(e);
            return stats;
        }
        self.fan.acks.clear();
        self.fan.acks.extend(self.members.iter().map(|m| (m.player, m.last_applied)));
        self.fan.acks.sort_unstable();
        self.fan_out(&mut stats);
        if let Some(end) = end {
            // The tick that decided the match was sent (its events, then its state), so
            // every client sees the final position before `results`.
            self.set_phase(Phase::Finished);
            self.finish(Some(end));
        }
        stats
    }

    /// Send this tick's state: the game says who sees what, each member is given the view
    /// of its key, and each distinct view is diffed and encoded at most once per protocol in
    /// use (`core/streams.rs`): a delta to members that hold its last state, a snapshot to
    /// those that need one.
    fn fan_out(&mut self, stats: &mut TickStats) {
        let tick = self.tick;
        let fan = &mut self.fan;
        fan.scopes.clear();
        self.game.scope(&self.ctx, &mut fan.scopes);
        fan.prepare(self.ctx.players().iter().filter_map(|p| Some((p.id, p.team?))));
        for m in self.members.iter_mut().filter(|m| m.connected) {
            let key = fan.key_of(m.player);
            let (key, continues) = fan.follow(m.player, key, m.follows, m.protocol);
            m.key = key;
            if !m.needs_resync && !continues {
                // Its view changed (or its stream was not sent last time): a delta of this
                // stream would not apply to what it holds. A snapshot alone replaces it.
                m.needs_resync = true;
                m.fresh = true;
            }
        }
        let mut prelude: Option<[Bytes; 2]> = None;
        let mut gone = Vec::new();
        let (mut deltas_sent, mut snapshots_sent, mut lagging) = (0u64, 0u64, 0u64);
        let mut bytes = 0u64;
        for i in 0..self.members.len() {
            if !self.members[i].connected {
                continue;
            }
            let (key, protocol) = (self.members[i].key, self.members[i].protocol);
            let resync = self.members[i].needs_resync;
            let mut len = 0;
            let sent = if resync {
                let pre = prelude
                    .get_or_insert_with(|| [self.roster_bytes(&[], &[]), self.lobby_state_bytes()]);
                let fan = &mut self.fan;
                let mut snap = |protocol: u32| {
                    let b = fan.snapshot(key, tick, protocol);
                    len = b.len();
                    b
                };
                fanout::send_resync(&mut self.members[i], pre.as_slice(), &mut snap)
            } else {
                let delta = self.fan.delta(key, tick, protocol);
                len = delta.len();
                fanout::send_delta(&mut self.members[i], &delta)
            };
            let m = &mut self.members[i];
            match sent {
                Sent::Closed => gone.push(m.player),
                Sent::Ok => {
                    m.follows = Some(key);
                    bytes += len as u64;
                    if resync {
                        snapshots_sent += 1;
                    } else {
                        deltas_sent += 1;
                    }
                }
                Sent::Lagging => lagging += 1,
                Sent::Skipped => {}
            }
        }
        for m in &mut self.members {
            m.flush_chat();
        }
        stats.state_messages = deltas_sent + snapshots_sent;
        stats.state_bytes = bytes;
        stats.lagging = lagging;
        stats.encodes = u64::from(self.fan.n.encodes);
        stats.views = self.fan.views() as u64;
        stats.viewed = true;
        self.remember();
        self.fan.rotate(tick);
        // A closed queue without a Leave is a dropped connection: hold the seat.
        for player in gone {
            self.hold_seat(player);
        }
    }
}
