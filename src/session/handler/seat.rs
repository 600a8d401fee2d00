//! Where the session is (idle, queued, in a lobby, rejoining a held seat), and what it keeps
//! or gives up when it is resumed elsewhere or ends: the seat-hold side of the session.

use super::*;
use crate::link::Rejoin;

impl Session {
    /// Cluster mode: this player's lobby died with its node. Say so and queue the player
    /// again, first in line, in the same mode (when this node runs it).
    pub(in crate::session) fn requeue_lost(&mut self, seat: crate::link::LostSeat) {
        let runs_mode = self.shared.matchmaker.has_mode(&seat.mode);
        self.error(
            ErrorCode::LobbyLost,
            format!(
                "lobby {} on node {} was lost with its node; {}",
                seat.lobby,
                seat.node,
                if runs_mode { "you are queued again with priority" } else { "find a match again" }
            ),
        );
        if runs_mode && !self.shared.draining.get() {
            let (skill, region) = match &self.claims {
                Some(c) => (c.skill, c.region.clone()),
                None => (None, None),
            };
            let t = Ticket::new(self.link.clone(), seat.mode, skill, region);
            if self.shared.matchmaking.find_match(t, true) {
                self.set_place(Place::Queued);
            }
        }
    }

    pub(in crate::session) fn set_place(&mut self, place: Place) {
        let seat = place.seat().cloned();
        let lobby = seat.as_ref().map(|l| l.id);
        let state = match &place {
            Place::Idle => "idle",
            Place::Queued => "queued",
            Place::InLobby(_) | Place::Rejoining { .. } => "in_lobby",
        };
        self.shared.registry.update(self.key, |s| {
            s.state = state;
            s.lobby = lobby;
        });
        // Keep the hold current, so a resume racing this connection knows about the seat.
        self.shared.holds.placed(self.link.player, self.nonce, seat);
        self.place = place;
    }

    /// A promised seat that did not come back within this long is reported lost: the
    /// `Rejoin` can only vanish with a lobby task that died without draining its mailbox,
    /// but the client must never wait for a `match_found` forever.
    const REJOIN_TIMEOUT: Duration = Duration::from_secs(5);

    pub(super) fn check_rejoin(&mut self) {
        if let Place::Rejoining { lobby, since } = &self.place {
            if since.elapsed() > Self::REJOIN_TIMEOUT {
                let id = lobby.id;
                self.seat_lost(id, "the seat was not restored in time");
            }
        }
    }

    /// The promised seat is not coming back: the client is idle again and told so.
    pub(super) fn seat_lost(&mut self, lobby: u64, reason: &str) {
        if matches!(&self.place, Place::Rejoining { lobby: l, .. } if l.id == lobby) {
            tracing::info!(lobby, reason, "held seat lost");
            self.set_place(Place::Idle);
            let msg = ServerMessage::LobbyClosed { lobby, reason: reason.into() };
            self.link.try_send(encode(&msg));
        }
    }

    /// The player resumed on a new connection: hand over (or give up) the seat as the new
    /// session was promised, and close this one.
    pub(in crate::session) fn replaced(&mut self, rejoin: Option<Rejoin>) -> End {
        tracing::info!("replaced by a resumed connection");
        let (player, session) = (self.link.player, self.link.session);
        match (std::mem::replace(&mut self.place, Place::Idle), rejoin) {
            (Place::InLobby(l) | Place::Rejoining { lobby: l, .. }, Some(rejoin)) => {
                // Mailbox order puts the Rejoin after anything this session sent.
                if let Err(e) = l.rejoin(rejoin) {
                    let reason = "the lobby could not take the seat back";
                    tell_seat_lost(e.into_inner(), l.id, reason);
                }
            }
            // Seated, but the new connection was told no seat is held: give it up.
            (Place::InLobby(l) | Place::Rejoining { lobby: l, .. }, None) => {
                l.leave(player, session);
            }
            (place, rejoin) => {
                if matches!(place, Place::Queued) {
                    self.shared.matchmaking.leave_queue(session);
                }
                // Promised a seat this session has left meanwhile.
                if let Some(rejoin) = rejoin {
                    let lobby = rejoin.lobby;
                    tell_seat_lost(rejoin, lobby, "the seat was given up before the resume");
                }
            }
        }
        // The hold now belongs to the new session: forget nothing on the way out.
        self.nonce = 0;
        let msg = "this player resumed on another connection";
        fatal(&self.link.out, ErrorCode::SessionReplaced, msg.into())
    }

    /// The connection is ending. A deliberate end (client close 1000, a protocol violation)
    /// gives up seat and hold; an unplanned drop keeps the seat for the grace period so the
    /// player can resume.
    pub(in crate::session) fn leave_everything(&mut self, end: &End) {
        let holds = &self.shared.holds;
        let player = self.link.player;
        if self.nonce == 0 {
            return; // replaced: the new session owns the seat and the hold
        }
        let dropped = matches!(end, End::Gone { intentional: false })
            || matches!(
                end,
                End::Close { code: close::POLICY_VIOLATION, reason: "heartbeat timeout", .. }
            );
        match std::mem::replace(&mut self.place, Place::Idle) {
            Place::InLobby(l) | Place::Rejoining { lobby: l, .. } => {
                let session = self.link.session;
                // If the mailbox is full the lobby still notices: the member's queue closes.
                if dropped {
                    holds.dropped(player, self.nonce, Some(l.clone()), Instant::now(), l.grace);
                    l.disconnected(player, session);
                } else {
                    holds.forget(player, self.nonce);
                    l.leave(player, session);
                }
                return;
            }
            Place::Queued => self.shared.matchmaking.leave_queue(self.link.session),
            Place::Idle => {}
        }
        if dropped {
            let grace = self.shared.config.resume_grace;
            holds.dropped(player, self.nonce, None, Instant::now(), grace);
        } else {
            holds.forget(player, self.nonce);
        }
    }
}

/// Tell the resumed session behind a `Rejoin` that its promised seat is not coming back.
fn tell_seat_lost(rejoin: Rejoin, lobby: u64, reason: &'static str) {
    rejoin.link.seat_lost(lobby, reason);
}
