//! The neutral layer: the handles and message types through which the actors talk.
//!
//! Why a module of its own: when each actor kept its mailbox types, every actor imported
//! every other (the session's events carried a lobby message, the lobby's messages carried a
//! session link and a matchmaker ticket), so the eight top-level modules formed one circle.
//! Here they sit apart from every actor, as quinn-proto keeps `ConnectionEvent` and
//! `EndpointEvent` in `shared.rs` apart from both state machines: this module imports no
//! actor (tests/layering.rs checks it), and each actor imports only this module to reach
//! the others.
//!
//! Handles follow the actor-handle pattern: methods hide the message enums, so no caller
//! builds another actor's message. The enums are `pub(crate)` only so that the owning actor
//! can match on them.

pub(crate) mod inbox;
mod lobby;
mod matchmaker;
mod matchmaking;
mod session;

pub(crate) use inbox::InputInbox;
pub(crate) use lobby::{LobbyHandle, LobbyMsg, LobbySeats, ViewReply};
pub(crate) use matchmaker::{MatchmakerHandle, MmRequest, Ticket};
pub(crate) use matchmaking::{BoxFuture, Claims, LostSeat, Matchmaking, Refusal};
pub(crate) use session::{
    Outbound, Rejoin, SessionEvent, SessionLink, encode, error_bytes, send_error, send_to,
};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a drain starts: no new matches, running ones finish, then shutdown. Shared by
/// the server (which sets it), the sessions (which refuse new matches) and the cluster tasks
/// (which report the node as draining).
#[derive(Debug, Clone, Default)]
pub(crate) struct Draining(Arc<AtomicBool>);

impl Draining {
    /// Has a drain started?
    pub(crate) fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Start the drain; false when it had started already.
    pub(crate) fn start(&self) -> bool {
        !self.0.swap(true, Ordering::AcqRel)
    }
}
