//! A bot's timer: churn, deadlines, re-finds, inputs, chat lines and pings, whichever are
//! due when it wakes. Inputs are protocol 1's `dx`/`dy`/`action`, or on protocol 2 the
//! fields of the lobby's schema as [`GamePlay`](crate::swarm::game::GamePlay) writes them.

use super::{Bot, End, Sess};
use crate::swarm::chat::chat_text;
use crate::swarm::config::Protocol;
use crate::swarm::net::conn::Conn;
use crate::swarm::net::frame::OP_PING;
use crate::swarm::stats::ErrorKind;
use tickwave_protocol::{ClientMessage, Input};

/// Chat lines awaiting their echo that a bot remembers (older ones were refused or lost).
const CHAT_PENDING: usize = 16;

impl Bot {
    pub(super) fn on_timer(&mut self, conn: &mut Conn, s: &mut Sess) -> Option<End> {
        let ctx = self.ctx.clone();
        let now = ctx.now_us();
        if now >= ctx.stop_us.get() {
            return Some(End::Stop);
        }
        if s.churn_at.is_some_and(|t| now >= t) {
            ctx.stats.borrow_mut().totals.churns += 1;
            self.rec.borrow_mut().churns += 1;
            return Some(End::Churn);
        }
        if let Some((t, kind)) = s.deadline.filter(|(t, _)| now >= *t) {
            tracing::debug!(bot = self.id, deadline_us = t, kind = kind.as_str(), "deadline");
            s.deadline = None;
            self.error(kind);
            if kind == ErrorKind::Handshake {
                return Some(End::Failed);
            }
        }
        if s.refind_at.is_some_and(|t| now >= t) {
            s.refind_at = None;
            self.queue_find(conn, s, now);
        }
        if let Some(t) = s.next_input.filter(|t| now >= *t) {
            let period = 1_000_000 / u64::from(ctx.cfg.input_hz);
            // Late (a busy process): keep the rate, do not burst to catch up.
            s.next_input = Some(if now - t >= period { now + period } else { t + period });
            if self.queue_input(conn, s) {
                self.ring.sent(self.seq, now);
                let mut st = ctx.stats.borrow_mut();
                if st.in_window(now) {
                    self.rec.borrow_mut().inputs_sent += 1;
                }
                st.count(now, |c| c.inputs_sent += 1);
            }
        }
        if s.in_match.is_some() && s.chat.as_mut().is_some_and(|c| c.due(now)) {
            self.chat_seq += 1;
            conn.queue_msg(&ClientMessage::Chat { text: chat_text(self.id, self.chat_seq) });
            if self.chat_pending.len() == CHAT_PENDING {
                self.chat_pending.pop_front();
            }
            self.chat_pending.push_back((self.chat_seq, now));
            let mut st = ctx.stats.borrow_mut();
            if st.in_window(now) {
                self.rec.borrow_mut().chat_sent += 1;
            }
            st.count(now, |c| c.chat_sent += 1);
        }
        if let (Some(t), Some(every)) = (s.next_ping, ctx.cfg.ping_interval) {
            // A ping due before the next input rides along with this one: one write fewer.
            let early = if conn.has_queued() { 1_000_000 / u64::from(ctx.cfg.input_hz) } else { 0 };
            if now + early >= t {
                let every = every.as_micros() as u64;
                s.next_ping =
                    Some(if now.saturating_sub(t) >= every { now + every } else { t + every });
                conn.queue(OP_PING, &now.to_be_bytes());
            }
        }
        None
    }

    /// Queue the next input with the next sequence number; false when there is none to
    /// send (out of a match, or protocol 2 without a playable schema).
    fn queue_input(&mut self, conn: &mut Conn, s: &Sess) -> bool {
        let hz = self.ctx.cfg.input_hz;
        // Inputs are due only in a match (leave_match stops them).
        let Some(m) = &s.in_match else { return false };
        if self.ctx.cfg.protocol == Protocol::V1 {
            let (dx, dy, action) = self.policy.next_input(hz, m.player, &self.state, m.pickups);
            self.seq += 1;
            conn.queue_msg(&ClientMessage::Input(Input { seq: self.seq, dx, dy, action }));
            return true;
        }
        let Some(play) = self.play.as_deref_mut() else { return false };
        let (policy, seq, me) = (&mut self.policy, self.seq + 1, m.player);
        conn.queue_built(|buf| {
            play.input(policy, hz, me, seq, buf);
            true
        });
        self.seq = seq;
        true
    }
}
