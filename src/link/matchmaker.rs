//! How sessions, lobbies and the cluster tasks reach the matchmaker: its handle, its
//! requests, and the ticket of a waiting player.

use super::session::SessionLink;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// A player waiting for a match.
pub(crate) struct Ticket {
    pub(crate) link: SessionLink,
    pub(crate) mode: String,
    pub(crate) skill: Option<f64>,
    pub(crate) region: Option<String>,
    pub(crate) since: Instant,
}

impl Ticket {
    pub(crate) fn new(
        link: SessionLink,
        mode: String,
        skill: Option<f64>,
        region: Option<String>,
    ) -> Self {
        Ticket { link, mode, skill: skill.filter(|s| s.is_finite()), region, since: Instant::now() }
    }
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ticket(session {}, mode {})", self.link.session, self.mode)
    }
}

/// The answer to a cluster placement: the lobby id, or the local tickets given back.
pub(crate) type Placed = Result<u64, Vec<Ticket>>;

/// Requests to the matchmaker. Built only by [`MatchmakerHandle`]'s methods, matched only
/// by the matchmaker actor.
pub(crate) enum MmRequest {
    FindMatch(Ticket),
    Cancel {
        session: u64,
    },
    CreatePrivate {
        link: SessionLink,
        mode: String,
    },
    JoinPrivate {
        link: SessionLink,
        code: String,
    },
    /// A lobby could not seat a ticket it was sent (it filled up or ended meanwhile).
    Requeue(Ticket),
    /// Stop matching: tell queued players, close lobbies that have not started.
    Drain,
    /// Cluster mode: seat `local` in `lobby` (or a new lobby of `mode`) and hold `remote`
    /// more seats for players arriving with reservations. Replies with the lobby id, or gives
    /// the local tickets back when the lobby cannot take everyone.
    Place {
        lobby: Option<u64>,
        mode: String,
        local: Vec<Ticket>,
        remote: u32,
        reply: oneshot::Sender<Placed>,
    },
    /// Cluster mode: a player redeemed a reservation for a seat held in `lobby`.
    JoinReserved {
        link: SessionLink,
        lobby: u64,
    },
    /// Cluster mode: a reservation for `lobby` will not be redeemed (expired, or its player
    /// was gone before the redirect reached it): free the seat it held.
    Unreserve {
        lobby: u64,
    },
}

/// How everyone else reaches the matchmaker. Every method queues one request without
/// waiting; false (or the ticket given back) when the mailbox is full.
#[derive(Clone)]
pub(crate) struct MatchmakerHandle {
    tx: mpsc::Sender<MmRequest>,
    modes: Arc<[String]>,
    /// Modes whose game protocol-1 clients cannot play (typed state, commands, events).
    v2_only: Arc<[String]>,
}

impl MatchmakerHandle {
    /// The matchmaker makes its handle when it starts.
    pub(crate) fn new(
        tx: mpsc::Sender<MmRequest>,
        modes: Arc<[String]>,
        v2_only: Arc<[String]>,
    ) -> Self {
        MatchmakerHandle { tx, modes, v2_only }
    }

    /// Whether `mode` needs protocol 2.
    pub(crate) fn needs_v2(&self, mode: &str) -> bool {
        self.v2_only.iter().any(|m| m == mode)
    }

    /// The modes a protocol-1 client can enter, sorted: named in `mode_needs_protocol` so
    /// that an old client's user learns where it can still play.
    pub(crate) fn v1_modes(&self) -> Vec<&str> {
        let mut v: Vec<&str> =
            self.modes.iter().filter(|m| !self.needs_v2(m)).map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    fn send(&self, req: MmRequest) -> bool {
        self.tx.try_send(req).is_ok()
    }

    pub(crate) fn has_mode(&self, mode: &str) -> bool {
        self.modes.iter().any(|m| m == mode)
    }

    pub(crate) fn modes(&self) -> Vec<String> {
        self.modes.to_vec()
    }

    pub(crate) fn find_match(&self, t: Ticket) -> bool {
        self.send(MmRequest::FindMatch(t))
    }

    pub(crate) fn cancel(&self, session: u64) -> bool {
        self.send(MmRequest::Cancel { session })
    }

    pub(crate) fn create_private(&self, link: SessionLink, mode: String) -> bool {
        self.send(MmRequest::CreatePrivate { link, mode })
    }

    pub(crate) fn join_private(&self, link: SessionLink, code: String) -> bool {
        self.send(MmRequest::JoinPrivate { link, code })
    }

    /// A lobby could not seat this ticket; it comes back when the mailbox is full.
    pub(crate) fn requeue(&self, t: Ticket) -> Result<(), Box<Ticket>> {
        self.tx.try_send(MmRequest::Requeue(t)).map_err(|e| match e.into_inner() {
            MmRequest::Requeue(t) => Box::new(t),
            _ => unreachable!("the request sent"),
        })
    }

    /// Stop matching; false when the mailbox is full (the drain retries).
    pub(crate) fn drain(&self) -> bool {
        self.send(MmRequest::Drain)
    }

    /// Cluster mode: place tickets (see [`MmRequest::Place`]); `None` when the mailbox is
    /// full or the matchmaker gone.
    pub(crate) async fn place(
        &self,
        lobby: Option<u64>,
        mode: String,
        local: Vec<Ticket>,
        remote: u32,
    ) -> Option<Placed> {
        let (reply, rx) = oneshot::channel();
        if self.send(MmRequest::Place { lobby, mode, local, remote, reply }) {
            rx.await.ok()
        } else {
            None
        }
    }

    pub(crate) fn join_reserved(&self, link: SessionLink, lobby: u64) -> bool {
        self.send(MmRequest::JoinReserved { link, lobby })
    }

    pub(crate) fn unreserve(&self, lobby: u64) -> bool {
        self.send(MmRequest::Unreserve { lobby })
    }
}
