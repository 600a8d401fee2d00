//! What a bot does with each server message: state messages applied and measured, the
//! lifecycle (welcome, match, lobby closed, errors) and the input-to-ack bookkeeping.

use super::state::StateFault;
use super::v2::StateMsg;
use super::{Bot, End, InMatch, Sess};
use crate::swarm::behaviour::PickupSchema;
use crate::swarm::chat::{ChatClock, chat_seq};
use crate::swarm::config::Protocol;
use crate::swarm::net::conn::Conn;
use crate::swarm::net::frame::Frame;
use crate::swarm::net::wire::{self, Incoming};
use crate::swarm::stats::{ErrorKind, record};
use tickwave_protocol::{ClientMessage, ErrorCode, ServerMessage};

/// A bot told `overloaded` asks again after this long.
const RETRY_US: u64 = 500_000;
/// After a fresh `welcome` to a dead node's token, how long to wait for the server's own
/// `queued` before sending `find_match`.
const REQUEUE_WAIT_US: u64 = 1_000_000;

impl Bot {
    pub(super) fn on_pong(&mut self, p: &[u8], now: u64) {
        let Ok(sent) = <[u8; 8]>::try_from(p) else {
            return;
        };
        let rtt = now.saturating_sub(u64::from_be_bytes(sent));
        let mut st = self.ctx.stats.borrow_mut();
        if st.in_window(now) {
            record(&mut st.totals.rtt_bot, rtt);
        }
    }

    pub(super) fn on_binary(
        &mut self,
        conn: &mut Conn,
        s: &mut Sess,
        f: Frame,
        now: u64,
    ) -> Option<End> {
        let v2 = self.ctx.cfg.protocol == Protocol::V2;
        let b = conn.payload(&f);
        let msg = match if v2 { wire::decode_v2(b) } else { wire::decode(b) } {
            Ok(m) => m,
            Err(e) => {
                tracing::debug!(bot = self.id, error = %e, "undecodable message");
                self.error(ErrorKind::Decode);
                return None;
            }
        };
        match msg {
            Incoming::State { snapshot } if v2 => {
                let b = conn.payload(&f);
                let decoded = StateMsg::decode(b, snapshot);
                self.on_state_v2(conn, s, decoded, b.len(), now);
            }
            Incoming::State { snapshot } => {
                let b = conn.payload(&f);
                let me = s.in_match.as_ref().map_or(u32::MAX, |m| m.player);
                let r = {
                    let sc = &mut self.ctx.scratch.borrow_mut();
                    if snapshot {
                        self.state.apply_snapshot(b, me, sc)
                    } else {
                        self.state.apply_delta(b, me, sc)
                    }
                };
                self.on_state(s, r.map_err(StateFault::from), b.len(), now);
            }
            Incoming::Rtt(r) => {
                let mut st = self.ctx.stats.borrow_mut();
                st.count(now, |c| c.other_msgs += 1);
                if st.in_window(now) {
                    record(&mut st.totals.rtt_server, (r.last_ms * 1000.0) as u64);
                }
                self.rec.borrow_mut().rtt_ms = Some(r.rtt_ms);
            }
            Incoming::Chat { from, text } => {
                self.on_chat(s, from, text, now);
            }
            Incoming::Other(m) => {
                self.ctx.stats.borrow_mut().count(now, |c| c.other_msgs += 1);
                return self.on_other(conn, s, m, now);
            }
            Incoming::MatchFound(m) => {
                self.ctx.stats.borrow_mut().count(now, |c| c.other_msgs += 1);
                self.on_match_found_v2(s, &m, now);
            }
            Incoming::Event(e) => self.on_event(&e, now),
            Incoming::CommandResult(r) => self.on_command_result(&r, now),
            Incoming::Results(r) => {
                self.ctx.stats.borrow_mut().count(now, |c| c.other_msgs += 1);
                let players = r.scores.iter().map(|l| l.player);
                self.on_results(s, players, r.winner(), r.reason());
            }
        }
        None
    }

    fn on_other(
        &mut self,
        conn: &mut Conn,
        s: &mut Sess,
        m: ServerMessage,
        now: u64,
    ) -> Option<End> {
        match m {
            ServerMessage::Welcome(w) if !s.welcomed => {
                s.welcomed = true;
                s.deadline = None;
                self.dropped_at = None;
                s.seat_held = w.seat_held;
                self.resume_token = w.resume;
                {
                    let mut st = self.ctx.stats.borrow_mut();
                    if st.totals.server.is_none() {
                        st.totals.server = Some(w.server);
                    }
                    if w.resumed {
                        st.totals.resumes += 1;
                        self.rec.borrow_mut().resumes += 1;
                    }
                }
                let cfg = &self.ctx.cfg;
                s.churn_at = self
                    .policy
                    .connection_lifetime(cfg.churn_every)
                    .map(|d| now + d.as_micros() as u64);
                s.next_ping = cfg.ping_interval.map(|p| now + self.rng.below(p.as_micros() as u64));
                if s.reserved {
                    s.deadline =
                        Some((now + cfg.match_timeout.as_micros() as u64, ErrorKind::MatchTimeout));
                    return None;
                }
                if w.seat_held {
                    // The seat comes back with match_found; no find_match. Only the server
                    // knows: a match_found may have been in flight when the bot dropped.
                    s.deadline =
                        Some((now + cfg.match_timeout.as_micros() as u64, ErrorKind::MatchTimeout));
                    return None;
                }
                self.resume_into_match = false;
                if s.resuming && !w.resumed && self.ctx.cfg.urls().len() > 1 {
                    // A token of a dead node: the server queues the bot itself (lobby_lost,
                    // queued); a find_match now would be `already_queued`.
                    s.awaiting_requeue = true;
                    s.find_sent_us = Some(now);
                    s.refind_at = Some(now + REQUEUE_WAIT_US);
                    return None;
                }
                self.queue_find(conn, s, now);
            }
            ServerMessage::Queued { .. } if s.awaiting_requeue => {
                s.awaiting_requeue = false;
                s.refind_at = None;
                s.deadline = Some((
                    now + self.ctx.cfg.match_timeout.as_micros() as u64,
                    ErrorKind::MatchTimeout,
                ));
            }
            ServerMessage::MatchFound(f) => {
                let pickups = PickupSchema::from_schema(&f.schema);
                self.on_match_found(s, f.player, f.tick_hz, pickups, now);
            }
            ServerMessage::Results { scores, .. } => {
                self.on_results(s, scores.iter().map(|l| l.player), None, None);
            }
            ServerMessage::Redirect { url, reservation } if s.in_match.is_none() => {
                // Cluster mode: the seat is on another node. Close here (1000) and redeem the
                // reservation there; resumes go to that node from now on.
                self.ctx.stats.borrow_mut().totals.redirects += 1;
                self.rec.borrow_mut().redirects += 1;
                let found = s.find_sent_us.take().unwrap_or(now);
                self.node = Some(url);
                self.redirect = Some((reservation, found));
                s.deadline = None;
                return Some(End::Redirect);
            }
            ServerMessage::LobbyClosed { .. } => {
                self.leave_match(s, now, false);
                self.play = None;
                // Queue again, as a player would.
                self.queue_find(conn, s, now);
            }
            ServerMessage::MatchCancelled { .. } if s.in_match.is_none() => {
                s.refind_at = Some(now + RETRY_US);
            }
            ServerMessage::Error { code: ErrorCode::LobbyLost, .. } if s.in_match.is_none() => {
                // Expected after a node loss, not an error of the swarm: counted as a code.
                self.count_server_code(ErrorCode::LobbyLost.as_str().to_owned());
                if s.reserved {
                    // The reserved lobby went with its node: queue again (PROTOCOL.md §4).
                    self.queue_find(conn, s, now);
                }
            }
            ServerMessage::Error { code, .. }
                if matches!(
                    code,
                    ErrorCode::ChatRateLimited | ErrorCode::ChatTooLong | ErrorCode::ChatInvalid
                ) =>
            {
                self.count_server_code(code.as_str().to_owned());
                // The refused line never echoes: forget it (the oldest pending one).
                self.chat_pending.pop_front();
                self.error(ErrorKind::ChatRefused);
            }
            ServerMessage::Error { code, fatal, .. } => {
                self.count_server_code(code.as_str().to_owned());
                if !s.welcomed {
                    // A refused resume or reservation: the next attempt is a fresh session,
                    // on the swarm's own target.
                    self.resume_token = None;
                    self.resume_into_match = false;
                    self.node = None;
                    self.error(ErrorKind::Handshake);
                    return Some(End::Failed);
                }
                self.error(ErrorKind::ServerError);
                if fatal {
                    return Some(End::Failed);
                }
                if code == ErrorCode::Overloaded && s.in_match.is_none() {
                    s.refind_at = Some(now + RETRY_US);
                }
            }
            _ => {}
        }
        None
    }

    /// A `match_found` (either version): returns whether it gave back the seat of the match
    /// the bot was in (a resume), whose state then continues.
    pub(super) fn on_match_found(
        &mut self,
        s: &mut Sess,
        player: u32,
        tick_hz: u32,
        pickups: Option<PickupSchema>,
        now: u64,
    ) -> bool {
        self.recovered(now);
        s.awaiting_requeue = false;
        // The same match continues only if the bot had it; a seat found while the bot was
        // away (its match_found lost with the connection) is a new match to the bot.
        let rejoined = s.seat_held && std::mem::take(&mut self.resume_into_match);
        self.leave_match(s, now, rejoined);
        let mut st = self.ctx.stats.borrow_mut();
        let mut rec = self.rec.borrow_mut();
        if let Some(t) = s.find_sent_us.take() {
            record(&mut st.totals.find_to_match, now - t);
            rec.match_ms.get_or_insert((now - t) as f64 / 1000.0);
        }
        st.gauges.in_match += 1;
        if !rejoined {
            // Inputs of the match before (kept for a resume that did not give it back, as
            // after a node loss) are never acked: a new lobby's acks count its own inputs.
            st.totals.inputs_unacked += self.ring.abandon();
            st.totals.matches += 1;
            rec.matches += 1;
            self.state.reset();
            self.desynced = false;
        }
        s.deadline = None;
        s.refind_at = None;
        drop((st, rec));
        s.in_match = Some(InMatch {
            player,
            hz: tick_hz,
            pickups,
            found_us: now,
            states: 0,
            snapshots: 0,
            rejoined,
        });
        if self.policy.behaviour().sends_inputs() {
            let period = 1_000_000 / u64::from(self.ctx.cfg.input_hz);
            s.next_input = Some(now + self.rng.below(period));
        }
        s.chat = self
            .policy
            .chat_period_us(self.ctx.cfg.chat_rate)
            .map(|period| ChatClock::new(period, now, self.rng.below(period)));
        rejoined
    }

    /// A chat line (every member of the lobby gets every line, its sender included): counted,
    /// and when it is the bot's own, its echo latency recorded.
    fn on_chat(&mut self, s: &Sess, from: u32, text: &str, now: u64) {
        let mut st = self.ctx.stats.borrow_mut();
        let in_win = st.in_window(now);
        st.count(now, |c| {
            c.other_msgs += 1;
            c.chat_received += 1;
        });
        let mut rec = self.rec.borrow_mut();
        if in_win {
            rec.chat_received += 1;
        }
        if s.in_match.as_ref().is_none_or(|m| m.player != from) {
            return;
        }
        let Some(seq) = chat_seq(self.id, text) else {
            return;
        };
        // Echoes come back in order: older lines still pending were refused or lost.
        while let Some(&(n, sent)) = self.chat_pending.front() {
            if n > seq {
                break;
            }
            self.chat_pending.pop_front();
            if n == seq {
                if in_win {
                    record(&mut st.totals.chat_echo, now.saturating_sub(sent));
                }
                break;
            }
        }
    }

    /// Out of the lobby (closed, disconnected or stopping): close the delivery count. With
    /// `keep` the seat is expected back by a resume, so inputs in flight may still be acked.
    pub(super) fn leave_match(&mut self, s: &mut Sess, now: u64, keep: bool) {
        if s.in_match.take().is_some() {
            let mut st = self.ctx.stats.borrow_mut();
            st.gauges.in_match -= 1;
            if !keep {
                st.totals.inputs_unacked += self.ring.abandon();
            }
            self.rec.borrow_mut().close_match(now, self.ctx.window());
        }
        s.next_input = None;
        s.chat = None;
        if !keep {
            self.chat_pending.clear();
        }
    }

    /// Count one server error code (or close code) in the swarm's totals.
    pub(super) fn count_server_code(&self, code: String) {
        *self.ctx.stats.borrow_mut().totals.server_codes.entry(code).or_default() += 1;
    }

    /// Queue a `find_match`.
    pub(super) fn queue_find(&mut self, conn: &mut Conn, s: &mut Sess, now: u64) {
        let msg =
            ClientMessage::FindMatch { mode: self.ctx.cfg.mode.clone(), skill: None, region: None };
        s.find_sent_us = Some(now);
        s.deadline =
            Some((now + self.ctx.cfg.match_timeout.as_micros() as u64, ErrorKind::MatchTimeout));
        conn.queue_msg(&msg);
    }
}
