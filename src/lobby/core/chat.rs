//! Lobby chat: one encoding per line, per-member backlogs that only use queue space the
//! state does not need, and a short history for players who join or resume.
//!
//! Policy for slow readers: chat waits in a per-member backlog and is written only while the
//! member's outbound queue has more than [`STATE_RESERVE`] free slots, so chat never takes
//! the room a state message needs. A backlog over its limit drops its *oldest* lines (counted
//! in `tickwave_chat_dropped_total` and the member's `chat_dropped`). State is never dropped
//! for chat.

use super::fanout::Member;
use super::{Core, Link};
use bytes::Bytes;
use serde::Serialize;
use tickwave_protocol::{self as proto, ServerMessage};

/// One chat line, for the admin view.
#[derive(Debug, Clone, Serialize)]
pub struct ChatLine {
    /// The sender's player id.
    pub from: u32,
    /// The sender's name.
    pub name: String,
    /// The line after the game's filter.
    pub text: String,
    /// The lobby's tick when the line arrived.
    pub tick: u64,
}

/// Free outbound slots kept for state messages when writing chat.
pub(super) const STATE_RESERVE: usize = 8;

impl<L: Link> Member<L> {
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
            if self.link.room().unwrap_or(0) <= STATE_RESERVE || !self.send(&line.clone()) {
                return;
            }
            self.chat_backlog.pop_front();
        }
    }
}

impl<L: Link> Core<L> {
    /// A checked chat line from a member (length, characters and rate are the session's
    /// business): the game's filter, then one encoding for everyone. `Some(dropped)` when the
    /// line went out, with the number of old lines slow readers' backlogs dropped for it.
    pub fn chat(&mut self, player: u32, text: &str) -> Option<u64> {
        self.guarded(|c| c.on_chat(player, text))
    }

    fn on_chat(&mut self, player: u32, text: &str) -> Option<u64> {
        let m = self.members.iter().find(|m| m.player == player && m.connected)?;
        let name = m.name.to_string();
        let text = self.game.filter_chat(player, text).map(|t| t.into_owned())?;
        let tick = self.tick;
        let log = ChatLine { from: player, name: name.clone(), text: text.clone(), tick };
        let line = proto::encode_server(&ServerMessage::Chat { from: player, name, text, tick });
        if self.chat_history.len() == self.s.chat_history.max(1) {
            self.chat_history.pop_front();
            self.chat_log.pop_front();
        }
        self.chat_history.push_back(line.clone());
        self.chat_log.push_back(log);
        let mut dropped = 0;
        for m in self.members.iter_mut().filter(|m| m.connected) {
            dropped += m.queue_chat(&line, self.s.chat_backlog);
            m.flush_chat();
        }
        Some(dropped)
    }

    /// Give a member who just joined or resumed the recent history (sent after its snapshot).
    pub(super) fn send_history(&mut self, player: u32) {
        let history: Vec<Bytes> = self.chat_history.iter().cloned().collect();
        if let Some(m) = self.members.iter_mut().find(|m| m.player == player) {
            m.chat_backlog.clear();
            for line in &history {
                m.queue_chat(line, self.s.chat_backlog);
            }
        }
    }
}
