//! The protocol's message types and error codes, named without a wildcard: a variant added
//! to the crate stops these `match`es from compiling until it is named here, which is the
//! reminder to give it a golden case in `cases.rs`.

use tickwave_protocol::{ClientMessage, ErrorCode, ServerMessage};

pub(crate) fn server_type(m: &ServerMessage) -> &'static str {
    // No wildcard: a new variant in the crate must be named (and given a case) here.
    match m {
        ServerMessage::Welcome(_) => "welcome",
        ServerMessage::Error { .. } => "error",
        ServerMessage::Rtt(_) => "rtt",
        ServerMessage::Queued { .. } => "queued",
        ServerMessage::MatchCancelled { .. } => "match_cancelled",
        ServerMessage::MatchFound(_) => "match_found",
        ServerMessage::Roster(_) => "roster",
        ServerMessage::LobbyState(_) => "lobby_state",
        ServerMessage::Snapshot(_) => "snapshot",
        ServerMessage::Delta(_) => "delta",
        ServerMessage::Results { .. } => "results",
        ServerMessage::LobbyClosed { .. } => "lobby_closed",
        ServerMessage::Chat { .. } => "chat",
        ServerMessage::Notice { .. } => "notice",
        ServerMessage::Redirect { .. } => "redirect",
    }
}

pub(crate) fn client_type(m: &ClientMessage) -> &'static str {
    match m {
        ClientMessage::Hello(_) => "hello",
        ClientMessage::FindMatch { .. } => "find_match",
        ClientMessage::CancelMatch {} => "cancel_match",
        ClientMessage::CreatePrivate { .. } => "create_private",
        ClientMessage::JoinPrivate { .. } => "join_private",
        ClientMessage::Input(_) => "input",
        ClientMessage::Leave {} => "leave",
        ClientMessage::Chat { .. } => "chat",
    }
}

pub(crate) fn all_error_codes() -> Vec<ErrorCode> {
    use ErrorCode::*;
    let all = vec![
        ProtocolVersion,
        ExpectedHello,
        Malformed,
        UnknownType,
        TextFrame,
        TooLarge,
        HeartbeatTimeout,
        InvalidName,
        ServerShuttingDown,
        UnknownMode,
        AlreadyQueued,
        AlreadyInLobby,
        NotQueued,
        NotInLobby,
        UnknownCode,
        LobbyFull,
        InvalidInput,
        Overloaded,
        LobbyFailed,
        ResumeInvalid,
        ResumeForeign,
        ResumeExpired,
        ResumeUsed,
        SessionReplaced,
        ServerDraining,
        Kicked,
        ChatTooLong,
        ChatRateLimited,
        ChatInvalid,
        RateLimited,
        Abuse,
        AuthRequired,
        AuthInvalid,
        AuthExpired,
        ReservationInvalid,
        ReservationExpired,
        ReservationUsed,
        ReservationForeign,
        LobbyLost,
        SeatRefused,
        ModeNeedsProtocol,
    ];
    for c in &all {
        // No wildcard: a new code stops this from compiling until it is listed above.
        match c {
            ProtocolVersion | ExpectedHello | Malformed | UnknownType | TextFrame | TooLarge
            | HeartbeatTimeout | InvalidName | ServerShuttingDown | UnknownMode | AlreadyQueued
            | AlreadyInLobby | NotQueued | NotInLobby | UnknownCode | LobbyFull | InvalidInput
            | Overloaded | LobbyFailed | ResumeInvalid | ResumeForeign | ResumeExpired
            | ResumeUsed | SessionReplaced | ServerDraining | Kicked | ChatTooLong
            | ChatRateLimited | ChatInvalid | RateLimited | Abuse | AuthRequired | AuthInvalid
            | AuthExpired | ReservationInvalid | ReservationExpired | ReservationUsed
            | ReservationForeign | LobbyLost | SeatRefused | ModeNeedsProtocol => {}
        }
    }
    all
}
