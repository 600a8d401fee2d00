//! Lobby chat: one encoding per line, per-member backlogs that only use queue space the
//! state does not need, and a short history for players who join or resume.
//!
//! Policy for slow readers: chat waits in a per-member backlog and is written only while the
//! member's outbound queue has more than [`STATE_RESERVE`] free slots, so chat never takes
//! the room a state message needs. A backlog over its limit drops its *oldest* lines (counted
//! in `tickwave_chat_dropped_total` and the member's `chat_dropped`). State is never dropped
//! for chat.

use super::Lobby;
use super::fanout::Member;
use super::status::ChatLine;
use bytes::Bytes;
use tickwave_protocol::{self as proto, ServerMessage};

/// Free outbound slots kept for state messages when writing chat.
pub(super) const STATE_RESERVE: usize = 8;

impl Member {
    /// Queue chat lines for this member, dropping the oldest beyond `limit`; returns drops.
    pub(super) fn queue_chat(&mut self, line: &Bytes, limit: usize) -> u64 {
        self.chat_backlog.push_back(line.clone());
        let mut dropped = 0;
        while self.chat_backlog.len() > limit.max(1) {
            self.chat_backlog.pop_front();
            dropped += 1;
        }
        self.chat_dropped += dropped;
        dropped
    }

    /// Write backlog while the queue has room beyond the state reserve. A member waiting for
    /// a snapshot gets no chat until it has one, so history always follows the snapshot.
    pub(super) fn flush_chat(&mut self) {
        if !self.connected || self.needs_resync {
            return;
        }
        while let Some(line) = self.chat_backlog.front() {
            if self.link.out.capacity() <= STATE_RESERVE || !self.send(&line.clone()) {
                return;
            }
            self.chat_backlog.pop_front();
        }
    }
}

impl Lobby {
    /// A checked chat line from a member: the game's filter, then one encoding for everyone.
    pub(super) fn on_chat(&mut self, player: u32, text: String) {
        let Some(m) = self.members.iter().find(|m| m.link.player == player && m.connected) else {
            return;
        };
        let name = m.link.name.to_string();
        let Some(text) = self.game.filter_chat(player, &text).map(|t| t.into_owned()) else {
            return;
        };
        let tick = self.tick;
        let log = ChatLine { from: player, name: name.clone(), text: text.clone(), tick };
        let line = proto::encode_server(&ServerMessage::Chat { from: player, name, text, tick });
        if self.chat_history.len() == self.chat.history.max(1) {
            self.chat_history.pop_front();
            self.chat_log.pop_front();
        }
        self.chat_history.push_back(line.clone());
        self.chat_log.push_back(log);
        let mut dropped = 0;
        for m in self.members.iter_mut().filter(|m| m.connected) {
            dropped += m.queue_chat(&line, self.chat.backlog);
            m.flush_chat();
        }
        metrics::counter!(crate::metrics::CHAT_MESSAGES).increment(1);
        metrics::counter!(crate::metrics::CHAT_DROPPED).increment(dropped);
    }

    /// Give a member who just joined or resumed the recent history (sent after its snapshot).
    pub(super) fn send_history(&mut self, player: u32) {
        let history: Vec<Bytes> = self.chat_history.iter().cloned().collect();
        if let Some(m) = self.members.iter_mut().find(|m| m.link.player == player) {
            m.chat_backlog.clear();
            for line in &history {
                m.queue_chat(line, self.chat.backlog);
            }
        }
    }
}
