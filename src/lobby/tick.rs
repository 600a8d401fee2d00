//! One tick of a lobby, and the phase changes that happen at tick boundaries.

use super::fanout::{self, MAX_SEQ_STEP, Sent};
use super::{Lobby, Phase};
use crate::link::{SessionEvent, send_error};
use bytes::Bytes;
use std::sync::atomic::Ordering;
use tickwave_protocol::{self as proto, ErrorCode, ScoreLine, ServerMessage};

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
        self.publish_status();
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

    /// The current view as JSON with named fields, serialized once for every spectator.
    fn publish_spectator_frame(&mut self) {
        let schema = &self.schema;
        let entities: Vec<serde_json::Value> = self
            .fan
            .cur
            .entities()
            .iter()
            .map(|e| {
                let s = schema.get(e.kind as usize);
                let mut fields = serde_json::Map::new();
                for (i, v) in e.fields().iter().enumerate() {
                    let name =
                        s.and_then(|s| s.fields.get(i)).cloned().unwrap_or_else(|| i.to_string());
                    fields.insert(name, (*v).into());
                }
                serde_json::json!({
                    "id": e.id,
                    "kind": s.map(|s| s.kind.as_str()).unwrap_or("?"),
                    "fields": fields,
                })
            })
            .collect();
        let frame = serde_json::json!({
            "lobby": self.handle.id,
            "tick": self.tick,
            "state": self.phase.name(),
            "game": self.game.name(),
            "entities": entities,
        });
        self.spectate.send_replace(frame.to_string().into());
    }

    /// Keep this tick's view for catch-up deltas.
    fn remember(&mut self) {
        self.recent.remember(self.tick, &self.fan.cur);
    }

    /// Move the inputs sessions left in the inbox since the last tick to their players'
    /// queues, in arrival order.
    fn take_inputs(&mut self) {
        let mut arrived = std::mem::take(&mut self.arrived);
        self.handle.inputs.take(&mut arrived);
        for (player, input, at) in arrived.drain(..) {
            let Some(m) = self.members.iter_mut().find(|m| m.link.player == player && m.connected)
            else {
                continue;
            };
            if let Err(step) = m.queue_input(input, at) {
                let max = MAX_SEQ_STEP;
                let msg = format!("input seq jumped by {step}; at most {max} is accepted");
                send_error(&m.link, ErrorCode::InvalidInput, msg);
            }
        }
        self.arrived = arrived;
    }

    /// One simulation tick: inputs, phase, step, view, diff, encode once, fan out.
    pub(super) fn tick(&mut self) {
        self.tick += 1;
        self.expire_holds();
        if self.done {
            return;
        }
        self.take_inputs();
        let now = std::time::Instant::now();
        let mut inputs = 0;
        for m in &mut self.members {
            for (input, arrived) in m.pending.drain(..) {
                if input.seq > m.last_applied {
                    self.game.apply_input(m.link.player, &input);
                    m.last_applied = input.seq;
                    let lag = now.duration_since(arrived).as_secs_f64() * 1000.0;
                    m.input_lag_ms += (lag - m.input_lag_ms) / 8.0;
                    inputs += 1;
                }
            }
        }
        self.metrics.inputs.increment(inputs);
        self.advance_phase();
        if self.done {
            return;
        }
        self.game.step();
        self.game.view(&mut self.fan.cur);
        if let Err(e) = self.fan.cur.finish_checked(&self.fields_per_kind) {
            self.bad_view(e);
            return;
        }
        self.fan.acks.clear();
        self.fan.acks.extend(self.members.iter().map(|m| (m.link.player, m.last_applied)));
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
                Sent::Closed => gone.push(self.members[i].link.player),
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
        self.metrics.state_messages.increment(deltas_sent + snapshots_sent);
        self.metrics
            .state_bytes
            .increment(deltas_sent * delta.len() as u64 + snapshots_sent * snapshot_len);
        self.metrics.resyncs.increment(lagging);
        if tick % super::SPECTATE_EVERY == 0 && self.spectate.receiver_count() > 0 {
            self.publish_spectator_frame();
        }
        self.remember();
        self.fan.rotate();
        // A closed queue without a Leave is a dropped connection: hold the seat.
        for player in gone {
            self.hold_seat(player);
        }
    }
}
