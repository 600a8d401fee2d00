//! How an actor reaches a session: its link (outbound queue and event mailbox), the events
//! it may send, and the helpers that encode a message for one session.

use super::lobby::LobbyHandle;
use bytes::Bytes;
use std::sync::Arc;
use tickwave_protocol::{self as proto, ErrorCode, ServerMessage};
use tokio::sync::mpsc;

/// One item of a session's ordered outbound queue.
#[derive(Debug, Clone)]
pub(crate) enum Outbound {
    /// An encoded message, shared (`Bytes` clones are reference counts).
    Frame(Bytes),
    /// Close after everything queued before it.
    Close(u16, &'static str),
}

/// How a lobby or the matchmaker reaches a session: its outbound queue (for messages) and
/// its event mailbox (for changes of state the session must know about).
#[derive(Clone)]
pub(crate) struct SessionLink {
    pub(crate) session: u64,
    pub(crate) player: u32,
    pub(crate) name: Arc<str>,
    /// The protocol version negotiated in `hello` (1 or 2).
    pub(crate) protocol: u32,
    /// The account (`sub` of the token) when the server checks tokens.
    pub(crate) account: Option<Arc<str>>,
    pub(crate) out: mpsc::Sender<Outbound>,
    /// Private: other actors tell the session of a change only through the methods below,
    /// so none of them builds a [`SessionEvent`] by hand.
    events: mpsc::Sender<SessionEvent>,
}

impl SessionLink {
    /// The session makes its link when it starts.
    pub(crate) fn new(
        session: u64,
        player: u32,
        name: Arc<str>,
        out: mpsc::Sender<Outbound>,
        events: mpsc::Sender<SessionEvent>,
    ) -> Self {
        SessionLink { session, player, name, protocol: 1, account: None, out, events }
    }

    /// Queue a message without waiting; false when the queue is full or the session gone.
    pub(crate) fn try_send(&self, bytes: Bytes) -> bool {
        self.out.try_send(Outbound::Frame(bytes)).is_ok()
    }

    /// Tell the session of a change of its state; false when its mailbox is full or gone.
    pub(crate) fn event(&self, ev: SessionEvent) -> bool {
        self.events.try_send(ev).is_ok()
    }

    /// The player is no longer waiting in a queue.
    pub(crate) fn queue_left(&self) {
        self.event(SessionEvent::QueueLeft);
    }

    /// The player has a seat in this lobby: its inputs go there from now on.
    pub(crate) fn joined(&self, lobby: LobbyHandle) {
        self.event(SessionEvent::Joined(Box::new(lobby)));
    }

    /// The player is no longer in this lobby (match over, lobby closed, removed).
    pub(crate) fn lobby_ended(&self, lobby: u64) {
        self.event(SessionEvent::LobbyEnded { lobby });
    }

    /// Refuse this session (fatal error, then close), e.g. a resume whose seat is gone.
    pub(crate) fn refused(&self, code: ErrorCode) {
        self.event(SessionEvent::Refused(code));
    }

    /// The promised seat in `lobby` is not coming back.
    pub(crate) fn seat_lost(&self, lobby: u64, reason: &'static str) {
        self.event(SessionEvent::SeatLost { lobby, reason });
    }
}

impl std::fmt::Debug for SessionLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionLink(session {}, player {})", self.session, self.player)
    }
}

/// A resumed session takes its held seat back: what the old connection hands over.
#[derive(Debug)]
pub(crate) struct Rejoin {
    /// The lobby holding the seat.
    pub(crate) lobby: u64,
    /// The new session.
    pub(crate) link: SessionLink,
    /// The last tick the client holds (`hello.last_tick`).
    pub(crate) last_tick: Option<u64>,
}

/// Changes of a session's state decided by an actor.
///
/// Kept at 32 bytes (the larger variants are boxed): the event queue allocates its slots in
/// blocks of 32, so every session pays 32 times the largest variant.
#[derive(Debug)]
pub(crate) enum SessionEvent {
    /// The player has a seat in this lobby: inputs go there from now on.
    Joined(Box<LobbyHandle>),
    /// The player is no longer in this lobby (match over, lobby closed, removed).
    LobbyEnded { lobby: u64 },
    /// The player is no longer waiting in a queue.
    QueueLeft,
    /// The player resumed on a new connection: close. `Some`: the new session was promised
    /// the seat (`welcome.seat_held`), hand it over with this `Rejoin`; `None`: it was not,
    /// so give the seat up rather than surprise the client with a `match_found`.
    Replaced(Option<Box<Rejoin>>),
    /// The held seat promised to this (resumed) session cannot be handed back: the lobby is
    /// gone or the old connection had already left it.
    SeatLost { lobby: u64, reason: &'static str },
    /// An actor refuses this session (e.g. a resume whose seat is gone): fatal error, close.
    Refused(ErrorCode),
    /// An operator kicks this session; the reason goes to the client.
    Kick { reason: String },
}

const _: () = assert!(std::mem::size_of::<SessionEvent>() <= 32, "keep SessionEvent small");

/// Encode a message for the wire.
pub(crate) fn encode(msg: &ServerMessage) -> Bytes {
    proto::encode_server(msg)
}

/// Encode an `error` (fatal when its code closes the connection), counting it.
pub(crate) fn error_bytes(code: ErrorCode, message: impl Into<String>) -> Bytes {
    crate::metrics::error(code);
    encode(&ServerMessage::error(code, message))
}

/// Used by the lobby and matchmaker to send a `ServerMessage` to one session.
pub(crate) fn send_to(link: &SessionLink, msg: &ServerMessage) -> bool {
    link.try_send(encode(msg))
}

/// Used by actors for non-fatal errors.
pub(crate) fn send_error(link: &SessionLink, code: ErrorCode, message: impl Into<String>) {
    link.try_send(error_bytes(code, message));
}
