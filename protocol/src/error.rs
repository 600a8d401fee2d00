//! Machine-readable error codes and WebSocket close codes: part of the public wire contract.

use serde::{Deserialize, Serialize};

/// WebSocket close codes the server uses (RFC 6455 section 7.4.1).
pub mod close {
    /// Normal closure: the client asked to leave, or the server finished with it.
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down (or draining).
    pub const GOING_AWAY: u16 = 1001;
    /// Protocol error: wrong protocol version, or a message that breaks the handshake rules.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// Unsupported data: a text frame, or a message `type` the server does not know.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// Invalid payload: bytes that are not MessagePack, or a map with wrong field types.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Policy violation: heartbeat timeout, a kick, abuse of rate limits.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A message or frame larger than the server accepts.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The server hit an unexpected condition (for example a lobby's game code panicked).
    pub const INTERNAL_ERROR: u16 = 1011;
}

/// The `code` of an `error` message. Serialized as the snake_case string shown in each doc.
///
/// Codes marked *fatal* are followed by a close frame; the others leave the session usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// `protocol_version` (fatal, 1002): `hello.protocol` is not the server's version.
    ProtocolVersion,
    /// `expected_hello` (fatal, 1002): the first message was not `hello`, or `hello` came twice.
    ExpectedHello,
    /// `malformed` (fatal, 1007): not MessagePack, not a map, or a field of the wrong type.
    Malformed,
    /// `unknown_type` (fatal, 1003): a `type` this server does not know.
    UnknownType,
    /// `text_frame` (fatal, 1003): a text frame; the protocol is binary MessagePack only.
    TextFrame,
    /// `too_large` (fatal, 1009): a message over the size limit.
    TooLarge,
    /// `heartbeat_timeout` (fatal, 1008): no pong for the heartbeat timeout.
    HeartbeatTimeout,
    /// `invalid_name` (fatal, 1007): an empty or over-long name in `hello`.
    InvalidName,
    /// `server_shutting_down` (fatal, 1001).
    ServerShuttingDown,
    /// `unknown_mode`: `find_match` / `create_private` named a mode the server does not run.
    UnknownMode,
    /// `already_queued`: `find_match` while already waiting in a queue.
    AlreadyQueued,
    /// `already_in_lobby`: `find_match` or a private-lobby request while in a lobby.
    AlreadyInLobby,
    /// `not_queued`: `cancel_match` while not waiting in a queue.
    NotQueued,
    /// `not_in_lobby`: `input` or `leave` while not in a lobby.
    NotInLobby,
    /// `unknown_code`: `join_private` with a code that names no open private lobby.
    UnknownCode,
    /// `lobby_full`: `join_private` to a lobby with no free seat.
    LobbyFull,
    /// `invalid_input`: an `input` whose values are not finite numbers.
    InvalidInput,
    /// `overloaded`: the server could not take the request now (a full mailbox); retry later.
    Overloaded,
    /// `lobby_failed` (fatal for the lobby, not the session): the lobby's game crashed.
    LobbyFailed,
    /// `resume_invalid` (fatal, 1008): the resume token is malformed or its signature is wrong.
    ResumeInvalid,
    /// `resume_foreign` (fatal, 1008): the token was issued by another server.
    ResumeForeign,
    /// `resume_expired` (fatal, 1008): the seat hold is over (grace period passed) or unknown.
    ResumeExpired,
    /// `resume_used` (fatal, 1008): the token was already used; each token works once.
    ResumeUsed,
    /// `session_replaced` (fatal, 1008): the player resumed on a new connection.
    SessionReplaced,
    /// `server_draining`: the server is draining and takes no new matches; try another server.
    ServerDraining,
    /// `kicked` (fatal, 1008): an operator removed this session; the message says why.
    Kicked,
    /// `chat_too_long`: a chat line over the length limit (it is refused, not truncated).
    ChatTooLong,
    /// `chat_rate_limited`: chat lines faster than the allowed rate; this one was dropped.
    ChatRateLimited,
    /// `chat_invalid`: an empty chat line, or one with control characters.
    ChatInvalid,
    /// `rate_limited`: too many messages of one kind; this one was dropped.
    RateLimited,
    /// `abuse` (fatal, 1008): sustained flooding after rate-limit warnings.
    Abuse,
    /// `auth_required` (fatal, 1008): the server runs in token mode and `hello` had no token.
    AuthRequired,
    /// `auth_invalid` (fatal, 1008): bad signature, audience or claims.
    AuthInvalid,
    /// `auth_expired` (fatal, 1008): the token's `exp` has passed.
    AuthExpired,
    /// `reservation_invalid` (fatal, 1008): the cluster seat reservation is malformed or its
    /// signature is wrong.
    ReservationInvalid,
    /// `reservation_expired` (fatal, 1008): the reservation's time ran out (15 s by default).
    ReservationExpired,
    /// `reservation_used` (fatal, 1008): the reservation was already redeemed; each works once.
    ReservationUsed,
    /// `reservation_foreign` (fatal, 1008): the reservation names another node; connect to the
    /// `url` of the `redirect` that carried it.
    ReservationForeign,
    /// `lobby_lost`: the node that ran the player's lobby died (cluster mode); the player is
    /// queued again with priority, a `queued` follows.
    LobbyLost,
    /// `seat_refused`: the lobby's game refused the seat at join; the message has the
    /// game's reason and the `refusal` key its snake_case code. The player is idle again.
    SeatRefused,
    /// `mode_needs_protocol`: the mode's game cannot be played in the connection's protocol
    /// version (a protocol-1 client and a game with typed state, commands or events).
    ModeNeedsProtocol,
}

impl ErrorCode {
    /// The close code that follows a fatal error, or `None` when the session goes on.
    pub fn close_code(self) -> Option<u16> {
        use ErrorCode::*;
        match self {
            ProtocolVersion | ExpectedHello => Some(close::PROTOCOL_ERROR),
            Malformed | InvalidName => Some(close::INVALID_PAYLOAD),
            UnknownType | TextFrame => Some(close::UNSUPPORTED_DATA),
            TooLarge => Some(close::MESSAGE_TOO_BIG),
            HeartbeatTimeout | ResumeInvalid | ResumeForeign | ResumeExpired | ResumeUsed
            | SessionReplaced | Kicked | Abuse | AuthRequired | AuthInvalid | AuthExpired
            | ReservationInvalid | ReservationExpired | ReservationUsed | ReservationForeign => {
                Some(close::POLICY_VIOLATION)
            }
            ServerShuttingDown => Some(close::GOING_AWAY),
            UnknownMode | AlreadyQueued | AlreadyInLobby | NotQueued | NotInLobby | UnknownCode
            | LobbyFull | InvalidInput | Overloaded | LobbyFailed | ServerDraining
            | ChatTooLong | ChatRateLimited | ChatInvalid | RateLimited | LobbyLost
            | SeatRefused | ModeNeedsProtocol => None,
        }
    }

    /// The snake_case string of this code, as sent on the wire.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            ProtocolVersion => "protocol_version",
            ExpectedHello => "expected_hello",
            Malformed => "malformed",
            UnknownType => "unknown_type",
            TextFrame => "text_frame",
            TooLarge => "too_large",
            HeartbeatTimeout => "heartbeat_timeout",
            InvalidName => "invalid_name",
            ServerShuttingDown => "server_shutting_down",
            UnknownMode => "unknown_mode",
            AlreadyQueued => "already_queued",
            AlreadyInLobby => "already_in_lobby",
            NotQueued => "not_queued",
            NotInLobby => "not_in_lobby",
            UnknownCode => "unknown_code",
            LobbyFull => "lobby_full",
            InvalidInput => "invalid_input",
            Overloaded => "overloaded",
            LobbyFailed => "lobby_failed",
            ResumeInvalid => "resume_invalid",
            ResumeForeign => "resume_foreign",
            ResumeExpired => "resume_expired",
            ResumeUsed => "resume_used",
            SessionReplaced => "session_replaced",
            ServerDraining => "server_draining",
            Kicked => "kicked",
            ChatTooLong => "chat_too_long",
            ChatRateLimited => "chat_rate_limited",
            ChatInvalid => "chat_invalid",
            RateLimited => "rate_limited",
            Abuse => "abuse",
            AuthRequired => "auth_required",
            AuthInvalid => "auth_invalid",
            AuthExpired => "auth_expired",
            ReservationInvalid => "reservation_invalid",
            ReservationExpired => "reservation_expired",
            ReservationUsed => "reservation_used",
            ReservationForeign => "reservation_foreign",
            LobbyLost => "lobby_lost",
            SeatRefused => "seat_refused",
            ModeNeedsProtocol => "mode_needs_protocol",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_matches_serde_name() {
        for code in [
            ErrorCode::ProtocolVersion,
            ErrorCode::Malformed,
            ErrorCode::UnknownType,
            ErrorCode::TooLarge,
            ErrorCode::LobbyFull,
            ErrorCode::LobbyFailed,
            ErrorCode::ResumeInvalid,
            ErrorCode::ResumeForeign,
            ErrorCode::ResumeExpired,
            ErrorCode::ResumeUsed,
            ErrorCode::SessionReplaced,
            ErrorCode::ServerDraining,
            ErrorCode::Kicked,
            ErrorCode::ChatTooLong,
            ErrorCode::ChatRateLimited,
            ErrorCode::ChatInvalid,
            ErrorCode::RateLimited,
            ErrorCode::Abuse,
            ErrorCode::AuthRequired,
            ErrorCode::AuthInvalid,
            ErrorCode::AuthExpired,
            ErrorCode::ReservationInvalid,
            ErrorCode::ReservationExpired,
            ErrorCode::ReservationUsed,
            ErrorCode::ReservationForeign,
            ErrorCode::LobbyLost,
            ErrorCode::SeatRefused,
            ErrorCode::ModeNeedsProtocol,
        ] {
            let bytes = rmp_serde::to_vec(&code).unwrap();
            let s: String = rmp_serde::from_slice(&bytes).unwrap();
            assert_eq!(s, code.as_str());
        }
    }
}
