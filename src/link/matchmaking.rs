//! The one interface through which a session asks for matches, whether this node matches on
//! its own or shares the queue of a cluster.
//!
//! Why a trait: the session used to branch on "is there a cluster?" in seven places. Now it
//! calls [`Matchmaking`], which the server assembles once: the node's matchmaker alone
//! ([`MatchmakerHandle`]'s implementation, here) or the cluster's (in `cluster/`), so the
//! session's code is the same for both and knows neither.

use super::matchmaker::{MatchmakerHandle, Ticket};
use super::session::SessionLink;
use std::future::Future;
use std::pin::Pin;
use tickwave_protocol::ErrorCode;

/// A boxed future, for the one async method of the trait object.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a request is refused: the error code and message the client gets.
pub(crate) type Refusal = (ErrorCode, String);

/// What a resume token asserts (its MAC checked). Here rather than with the tokens
/// (`session::resume`) because the cluster's answer to another node's token reads it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Claims {
    pub(crate) server: u64,
    pub(crate) player: u32,
    pub(crate) session: u64,
    pub(crate) nonce: u64,
}

/// Cluster mode: a seat lost with its node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LostSeat {
    pub(crate) mode: String,
    pub(crate) lobby: u64,
    pub(crate) node: String,
}

/// Matchmaking as a session sees it. Every method answers at once (nothing waits on a full
/// mailbox) except [`Matchmaking::lost_seat`], which may ask Redis.
pub(crate) trait Matchmaking: Send + Sync {
    /// Queue this ticket; `priority`: first in line (a player whose lobby was lost). False
    /// when matchmaking is busy (the client is told `overloaded`).
    fn find_match(&self, t: Ticket, priority: bool) -> bool;
    /// The player cancels its search. False when matchmaking is busy.
    fn cancel(&self, link: &SessionLink) -> bool;
    /// The session ends or was replaced while queued: drop its ticket without a word.
    fn leave_queue(&self, session: u64);
    /// `create_private`. False when busy.
    fn create_private(&self, link: SessionLink, mode: String) -> bool;
    /// `join_private`. False when busy.
    fn join_private(&self, link: SessionLink, code: String) -> bool;
    /// `hello.reservation`: the lobby whose reserved seat it redeems.
    fn redeem_reservation(&self, token: &str) -> Result<u64, Refusal>;
    /// A genuine resume token of another process: the seat it stood for, or why not.
    fn lost_seat(&self, claims: Claims) -> BoxFuture<'_, Result<LostSeat, Refusal>>;
    /// The node drains: its queued players leave the shared queue.
    fn drain_queue(&self);
}

/// A single node: the matchmaker is all there is.
impl Matchmaking for MatchmakerHandle {
    fn find_match(&self, t: Ticket, _priority: bool) -> bool {
        MatchmakerHandle::find_match(self, t)
    }

    fn cancel(&self, link: &SessionLink) -> bool {
        MatchmakerHandle::cancel(self, link.session)
    }

    fn leave_queue(&self, session: u64) {
        MatchmakerHandle::cancel(self, session);
    }

    fn create_private(&self, link: SessionLink, mode: String) -> bool {
        MatchmakerHandle::create_private(self, link, mode)
    }

    fn join_private(&self, link: SessionLink, code: String) -> bool {
        MatchmakerHandle::join_private(self, link, code)
    }

    fn redeem_reservation(&self, _token: &str) -> Result<u64, Refusal> {
        // Nothing here can have issued it: PROTOCOL.md §4 calls that invalid (foreign
        // would send the client looking for a node that does not exist).
        Err((ErrorCode::ReservationInvalid, "this server does not run in cluster mode".into()))
    }

    fn lost_seat(&self, _claims: Claims) -> BoxFuture<'_, Result<LostSeat, Refusal>> {
        // A single node's key dies with its process: another process's token is foreign.
        let refusal =
            (ErrorCode::ResumeForeign, "the resume token was issued by another server".into());
        Box::pin(std::future::ready(Err(refusal)))
    }

    fn drain_queue(&self) {}
}
