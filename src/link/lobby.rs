//! How sessions, the matchmaker and the admin reach a lobby: its handle, its messages, and
//! the seat count it shares with the matchmaker.

use super::inbox::Arrival;
use super::inbox::InputInbox;
use super::matchmaker::Ticket;
use super::session::{Rejoin, SessionLink};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;
use tickwave_protocol::v2::{CommandFrame, InputFrame, Layout};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot, watch};

/// How sessions and the matchmaker reach a lobby. Its methods are the lobby's whole
/// interface: each queues one message without waiting (a full mailbox refuses it).
#[derive(Clone)]
pub(crate) struct LobbyHandle {
    pub(crate) id: u64,
    tx: mpsc::Sender<LobbyMsg>,
    /// Where the members' inputs wait for the next tick (they do not wake the lobby); the
    /// lobby's tick takes them, sessions push through [`LobbyHandle::push_input`].
    pub(crate) inputs: Arc<InputInbox>,
    /// How long this lobby holds the seat of a player who dropped.
    pub(crate) grace: Duration,
    /// The game's compiled schema: sessions validate inputs and commands against it
    /// before they reach the lobby.
    pub(crate) layout: Arc<Layout>,
    /// Whether protocol-1 clients can play this lobby's game.
    pub(crate) v1: bool,
}

impl std::fmt::Debug for LobbyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lobby({})", self.id)
    }
}

impl LobbyHandle {
    /// The lobby actor makes its handle when it starts.
    pub(crate) fn new(
        id: u64,
        tx: mpsc::Sender<LobbyMsg>,
        inputs: Arc<InputInbox>,
        grace: Duration,
        layout: Arc<Layout>,
        v1: bool,
    ) -> Self {
        LobbyHandle { id, tx, inputs, grace, layout, v1 }
    }

    /// Seat this ticket (its seat was reserved in [`LobbySeats`]); the ticket comes back when
    /// the mailbox is full or the lobby gone.
    pub(crate) fn join(&self, t: Ticket) -> Result<(), Box<Ticket>> {
        self.tx.try_send(LobbyMsg::Join(Box::new(t))).map_err(|e| match e.into_inner() {
            LobbyMsg::Join(t) => t,
            _ => unreachable!("the message sent"),
        })
    }

    /// The player left on purpose: free the seat now. If the mailbox is full the lobby still
    /// notices: the member's queue closes.
    pub(crate) fn leave(&self, player: u32, session: u64) {
        let _ = self.tx.try_send(LobbyMsg::Leave { player, session });
    }

    /// The player's connection dropped: hold the seat for the grace period.
    pub(crate) fn disconnected(&self, player: u32, session: u64) {
        let _ = self.tx.try_send(LobbyMsg::Disconnected { player, session });
    }

    /// A resumed player takes its held seat back. Mailbox order puts it after anything the
    /// old connection sent. Refused: full (`Full`) or the lobby ended (`Closed`).
    pub(crate) fn rejoin(&self, r: Rejoin) -> Result<(), TrySendError<Rejoin>> {
        let lobby = r.lobby;
        let msg = LobbyMsg::Rejoin { link: Box::new(r.link), last_tick: r.last_tick };
        let back = |m: LobbyMsg| match m {
            LobbyMsg::Rejoin { link, last_tick } => Rejoin { lobby, link: *link, last_tick },
            _ => unreachable!("the message sent"),
        };
        self.tx.try_send(msg).map_err(|e| match e {
            TrySendError::Full(m) => TrySendError::Full(back(m)),
            TrySendError::Closed(m) => TrySendError::Closed(back(m)),
        })
    }

    /// The server is draining: close unless the match is running.
    pub(crate) fn drain(&self) {
        let _ = self.tx.try_send(LobbyMsg::Drain);
    }

    /// An operator closes the lobby; false when the mailbox is full (or the lobby gone).
    pub(crate) fn close(&self, reason: String) -> bool {
        self.tx.try_send(LobbyMsg::Close { reason }).is_ok()
    }

    /// An operator asks for `player`'s view (admin `view?player=N`, or `watch?player=N` with
    /// `stream`); the answer comes on the returned channel. `None`: the mailbox is full or
    /// the lobby gone.
    pub(crate) fn view_of(
        &self,
        player: u32,
        stream: bool,
    ) -> Option<oneshot::Receiver<ViewReply>> {
        let (reply, rx) = oneshot::channel();
        self.tx.try_send(LobbyMsg::View { player, stream, reply }).ok()?;
        Some(rx)
    }

    /// A chat line the session has checked; false when the mailbox is full.
    pub(crate) fn chat(&self, player: u32, text: String) -> bool {
        self.tx.try_send(LobbyMsg::Chat { player, text }).is_ok()
    }

    /// Leave an input for the next tick; false when the inbox is full (the input is dropped:
    /// the client sees its ack lag and may resend; the tick is never delayed for it).
    pub(crate) fn push_input(&self, player: u32, input: InputFrame) -> bool {
        self.inputs.push(player, Arrival::Input(input))
    }

    /// Leave a validated command for the next tick; false when the inbox is full.
    pub(crate) fn push_command(&self, player: u32, command: CommandFrame) -> bool {
        self.inputs.push(player, Arrival::Command(Box::new(command)))
    }
}

/// What a lobby's mailbox carries. Built only by [`LobbyHandle`]'s methods, matched only by
/// the lobby actor.
///
/// Kept small (32 bytes): the mailbox and every session's event queue (which can carry a
/// `Rejoin`) allocate their slots in blocks of 32 messages, so the size of the largest variant
/// is paid per slot. The rare, large variants are boxed.
#[derive(Debug)]
pub(crate) enum LobbyMsg {
    Join(Box<Ticket>),
    /// The player left on purpose: free the seat now.
    Leave {
        player: u32,
        session: u64,
    },
    /// The player's connection dropped: hold the seat for the grace period.
    Disconnected {
        player: u32,
        session: u64,
    },
    /// A resumed player takes its held seat back; `last_tick` is the state it holds.
    Rejoin {
        link: Box<SessionLink>,
        last_tick: Option<u64>,
    },
    /// The server is draining: close unless the match is running.
    Drain,
    /// An operator closes the lobby.
    Close {
        reason: String,
    },
    /// A chat line, already checked by the session (length, characters, rate).
    Chat {
        player: u32,
        text: String,
    },
    /// An operator asks what one player sees (see [`LobbyHandle::view_of`]).
    View {
        player: u32,
        stream: bool,
        reply: oneshot::Sender<ViewReply>,
    },
}

/// The lobby's answer to [`LobbyMsg::View`]: frames are the spectator frame's JSON
/// (`"view": "player:N"`).
#[derive(Debug)]
pub(crate) enum ViewReply {
    /// The player's view now (a one-off request).
    Frame(Arc<str>),
    /// The player's view now and at every spectator frame after, while it is a member.
    Stream(watch::Receiver<Arc<str>>),
    /// The player has no seat in this lobby.
    NoSuchPlayer,
    /// Too many players' views are watched in this lobby already.
    TooMany,
}

const _: () =
    assert!(std::mem::size_of::<LobbyMsg>() <= 32, "keep LobbyMsg small; box large variants");

/// Seat accounting shared with the matchmaker without messages: the matchmaker reserves a
/// seat before sending a `Join`, the lobby frees it when a player leaves. Lock-free, and it
/// cannot be lost in a full mailbox. The lobby alone sets `accepting` and `closed`.
#[derive(Debug)]
pub(crate) struct LobbySeats {
    pub(crate) max: u32,
    pub(crate) taken: AtomicU32,
    pub(crate) accepting: AtomicBool,
    pub(crate) closed: AtomicBool,
}

impl LobbySeats {
    pub(crate) fn free(&self) -> u32 {
        self.max.saturating_sub(self.taken.load(Ordering::Acquire))
    }
    pub(crate) fn taken(&self) -> u32 {
        self.taken.load(Ordering::Acquire)
    }
    pub(crate) fn reserve(&self) {
        self.taken.fetch_add(1, Ordering::AcqRel);
    }
    pub(crate) fn unreserve(&self) {
        let _ = self.taken.fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(1));
    }
    pub(crate) fn accepting(&self) -> bool {
        self.accepting.load(Ordering::Acquire) && !self.is_closed()
    }
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}
