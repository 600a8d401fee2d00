//! Protocol-2 client messages whose checks need the lobby's game schema: `input` with the
//! game's own fields and `command`. Both are validated here, in the session, against the
//! lobby's compiled [`Layout`], so the lobby's tick only ever sees values that fit.

use super::Session;
use crate::link::LobbyHandle;
use crate::session::{End, Place, fatal};
use std::sync::{Arc, LazyLock};
use tickwave_protocol::v2::{
    CommandRefusal, Encoder, InputError, InputFrame, Layout, Schema, codes, decode_command,
    decode_input,
};
use tickwave_protocol::{ErrorCode, Input};

/// Commands a session may send per second (refill) and at once (burst); beyond them a
/// command is answered `rate_limited`. Commands are discrete actions (a card, a vote), so
/// this is generous for play and small for a flood; each one costs the lobby a game call.
pub(crate) const COMMANDS_PER_SEC: f64 = 20.0;
pub(crate) const COMMANDS_BURST: u32 = 20;

/// A schema with nothing in it: commands outside a lobby are read against it, only to find
/// their `id` for the `not_in_lobby` answer.
static EMPTY: LazyLock<Arc<Layout>> =
    LazyLock::new(|| Arc::new(Layout::new(Schema::default()).expect("the empty schema is valid")));

/// A protocol-1 `input` as the lobby's input fields (the game has a v1 form: `dx`, `dy`,
/// `action`), checked like a v2 input so that clamping rules are the same for both.
pub(super) fn v1_input(lobby: &LobbyHandle, input: &Input) -> Result<InputFrame, String> {
    if !lobby.v1 {
        return Err("this lobby's game needs protocol 2".into());
    }
    crate::game::compat::v1_input_frame(&lobby.layout, input).map_err(|e| e.to_string())
}

impl Session {
    /// A protocol-2 `input`: rate-limited like v1 inputs, then validated against the
    /// lobby's input fields; a field that does not fit is `invalid_input` (the input is
    /// dropped, the session goes on), bad MessagePack is `malformed` (fatal).
    pub(super) fn on_typed_input(&mut self, bytes: &[u8]) -> Result<(), End> {
        if !self.input_bucket.try_take(self.epoch.elapsed()) {
            metrics::counter!(crate::metrics::INPUTS_DROPPED).increment(1);
            return self.flooded(1).map_or(Ok(()), Err);
        }
        let Place::InLobby(l) = &self.place else {
            self.error(ErrorCode::NotInLobby, "input outside a lobby");
            return Ok(());
        };
        match decode_input(l.layout.input(), bytes) {
            // A full inbox drops the input: the client sees its ack lag and may resend.
            Ok(frame) => drop(l.push_input(self.link.player, frame)),
            Err(InputError::Field(e)) => self.error(ErrorCode::InvalidInput, e.to_string()),
            Err(InputError::Malformed(e)) => {
                return Err(fatal(&self.link.out, ErrorCode::Malformed, format!("input: {e}")));
            }
        }
        Ok(())
    }

    /// A `command`: exactly one `command_result` answers every command with a readable id
    /// (here when it is refused before the lobby, by the lobby's tick otherwise).
    pub(super) fn on_command(&mut self, bytes: &[u8]) -> Result<(), End> {
        let lobby = match &self.place {
            Place::InLobby(l) => Some(l.clone()),
            _ => None,
        };
        let layout = lobby.as_ref().map_or_else(|| EMPTY.clone(), |l| l.layout.clone());
        let refuse = |s: &Self, id: u32, code: &str, msg: &str| {
            if let Ok(b) = Encoder::new().command_err(id, code, msg) {
                s.link.try_send(b);
            }
        };
        match decode_command(&layout, bytes) {
            Err(CommandRefusal::Malformed(e)) => {
                let msg = format!("command: {e}");
                return Err(fatal(&self.link.out, ErrorCode::Malformed, msg));
            }
            Err(CommandRefusal::Refused { id, .. }) if lobby.is_none() => {
                refuse(self, id, codes::NOT_IN_LOBBY, "commands are for a lobby's game");
            }
            Err(CommandRefusal::Refused { id, code, message }) => {
                refuse(self, id, code.as_str(), &message);
            }
            Ok(frame) => {
                let Some(l) = lobby else {
                    refuse(self, frame.id, codes::NOT_IN_LOBBY, "commands are for a lobby's game");
                    return Ok(());
                };
                if !self.command_bucket.try_take(self.epoch.elapsed()) {
                    let msg = format!("at most {COMMANDS_PER_SEC} commands per second");
                    refuse(self, frame.id, codes::RATE_LIMITED, &msg);
                } else {
                    let id = frame.id;
                    if !l.push_command(self.link.player, frame) {
                        refuse(self, id, codes::TOO_MANY_COMMANDS, "the lobby is busy; retry");
                    }
                }
            }
        }
        Ok(())
    }
}
