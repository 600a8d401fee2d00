//! Commands: discrete actions with a reply, applied at the next tick boundary in arrival
//! order, after that tick's inputs.
//!
//! Bounded three ways: a session's rate limit (before the lobby), [`MAX_PENDING_COMMANDS`]
//! per member in the queue (more are answered `too_many_commands` at once), and
//! [`MAX_COMMANDS_PER_TICK`] applied per tick (the rest wait for the next tick, still in
//! order), so a burst can neither grow memory nor stretch one tick.

use super::fanout::MAX_PENDING_COMMANDS;
use super::{Core, Link};
use tickwave_protocol::v2::{CommandFrame, codes};

/// Commands a lobby applies in one tick.
pub(crate) const MAX_COMMANDS_PER_TICK: usize = 64;

impl<L: Link> Core<L> {
    /// Queue a member's validated command for the next tick; a member over its share is
    /// answered `too_many_commands` now.
    pub fn push_command(&mut self, player: u32, frame: CommandFrame) {
        if self.done {
            return;
        }
        let Some(m) = self.members.iter_mut().find(|m| m.player == player && m.connected) else {
            return;
        };
        if m.commands_pending >= MAX_PENDING_COMMANDS {
            let msg = format!("at most {MAX_PENDING_COMMANDS} commands may wait for a tick");
            let code = codes::TOO_MANY_COMMANDS;
            if let Ok(b) = self.fan.n.enc.command_err(frame.id, code, &msg) {
                m.link.send(b);
            }
            return;
        }
        m.commands_pending += 1;
        self.commands.push_back((player, frame));
    }

    /// Apply up to [`MAX_COMMANDS_PER_TICK`] queued commands and answer each; returns how
    /// many reached the game.
    pub(super) fn run_commands(&mut self) -> u64 {
        let mut applied = 0;
        for _ in 0..MAX_COMMANDS_PER_TICK {
            let Some((player, frame)) = self.commands.pop_front() else { break };
            let Some(i) = self.members.iter().position(|m| m.player == player) else {
                continue; // left since: nobody to answer
            };
            self.members[i].commands_pending = self.members[i].commands_pending.saturating_sub(1);
            if !self.members[i].connected {
                continue; // dropped since: its command is void, as its inputs would be lost
            }
            let result = self.game.command(&mut self.ctx, player, &frame);
            applied += 1;
            let bytes = match result {
                Ok(reply) => self.fan.n.enc.command_ok_raw(frame.id, reply.bytes()),
                Err(r) => match self.fan.n.enc.command_err(frame.id, &r.code, &r.message) {
                    Ok(b) => b,
                    // A code that is not snake_case is a game fault (recorded by the game
                    // API); the client still gets its one answer.
                    Err(_) => {
                        match self.fan.n.enc.command_err(frame.id, "internal", "game error") {
                            Ok(b) => b,
                            Err(_) => continue,
                        }
                    }
                },
            };
            self.members[i].send(&bytes);
        }
        applied
    }
}
