//! Matchmaking for a session of a cluster node: public matches through the shared queue in
//! Redis, private lobbies looked up across nodes, reservations and lost seats checked here;
//! what stays local (creating a private lobby, seating) goes to the node's matchmaker.

use super::{Cluster, private};
use crate::link::{
    BoxFuture, Claims, LostSeat, MatchmakerHandle, Matchmaking, Refusal, SessionLink, Ticket,
    encode,
};
use std::sync::Arc;
use tickwave_protocol::ServerMessage;

/// [`Matchmaking`] of a cluster node.
pub(crate) struct ClusterMatchmaking {
    pub(crate) cluster: Arc<Cluster>,
    pub(crate) matchmaker: MatchmakerHandle,
}

impl Matchmaking for ClusterMatchmaking {
    fn find_match(&self, t: Ticket, priority: bool) -> bool {
        self.cluster.enqueue(t, priority);
        true
    }

    fn cancel(&self, link: &SessionLink) -> bool {
        if !self.cluster.cancel(link.session, true) {
            // Already matched: the seat or redirect on its way is dropped.
            let msg = ServerMessage::MatchCancelled { reason: "cancelled".into() };
            link.try_send(encode(&msg));
        }
        true
    }

    fn leave_queue(&self, session: u64) {
        self.cluster.cancel(session, false);
        self.matchmaker.cancel(session);
    }

    fn create_private(&self, link: SessionLink, mode: String) -> bool {
        // Publish the directory now: the code should be findable from other nodes at once.
        self.cluster.publish_soon();
        self.matchmaker.create_private(link, mode)
    }

    fn join_private(&self, link: SessionLink, code: String) -> bool {
        private::join(&self.matchmaker, &self.cluster, link, code);
        true
    }

    fn redeem_reservation(&self, token: &str) -> Result<u64, Refusal> {
        self.cluster.redeem(token).map(|r| r.lobby).map_err(|e| (e.code(), e.to_string()))
    }

    fn lost_seat(&self, claims: Claims) -> BoxFuture<'_, Result<LostSeat, Refusal>> {
        Box::pin(async move { self.cluster.lost_seat(&claims).await })
    }

    fn drain_queue(&self) {
        self.cluster.drain_queue();
    }
}
