//! The cluster side of the matchmaker: placements decided by the cluster's leader
//! (`Place`), players arriving with reservations (`JoinReserved`), and seats whose
//! reservation will never be redeemed (`Unreserve`). See [`crate::cluster`].

use super::{Matchmaker, Ticket};
use crate::link::{SessionLink, send_error};
use tickwave_protocol::ErrorCode;

impl Matchmaker {
    /// Cluster placement; see [`crate::link::MmRequest::Place`].
    pub(super) fn place(
        &mut self,
        lobby: Option<u64>,
        mode: &str,
        local: Vec<Ticket>,
        remote: u32,
    ) -> Result<u64, Vec<Ticket>> {
        self.lobbies.retain(|l| !l.seats.is_closed());
        match lobby {
            None => {
                let Some(seats) = self.start_lobby_in(mode, local, None) else {
                    return Err(Vec::new());
                };
                for _ in 0..remote {
                    seats.1.reserve();
                }
                Ok(seats.0)
            }
            Some(id) => {
                let Some(l) = self.lobbies.iter().find(|l| l.handle.id == id) else {
                    return Err(local);
                };
                if !l.seats.accepting() || l.seats.free() < local.len() as u32 + remote {
                    return Err(local);
                }
                let (handle, seats) = (l.handle.clone(), l.seats.clone());
                for _ in 0..remote {
                    seats.reserve();
                }
                for t in local {
                    self.join(handle.clone(), &seats, t);
                }
                Ok(id)
            }
        }
    }

    /// A player redeemed a reservation for a seat held in `lobby`.
    pub(super) fn join_reserved(&mut self, link: SessionLink, lobby: u64) {
        self.lobbies.retain(|l| !l.seats.is_closed());
        match self.lobbies.iter().find(|l| l.handle.id == lobby) {
            Some(l) => {
                let t = Ticket::new(link, l.mode.clone(), None, None);
                // The seat was reserved when the reservation was issued.
                if let Err(t) = l.handle.join(t) {
                    send_error(&t.link, ErrorCode::Overloaded, "lobby busy, find a match again");
                    t.link.queue_left();
                }
            }
            None => {
                send_error(
                    &link,
                    ErrorCode::LobbyLost,
                    "the reserved lobby has closed; find a match again",
                );
                link.queue_left();
            }
        }
    }

    /// Free one seat held for a reservation that will not be redeemed. A lobby left with no
    /// seat taken at all (no member, no other reservation, no join on its way: each of those
    /// holds a seat) never had anyone come: it closes, as a single-node lobby closes when
    /// its last player leaves, instead of ticking empty until shutdown. It leaves the open
    /// list first, so no placement can pick it between this decision and its closing (the
    /// matchmaker is the only one that reserves seats).
    pub(super) fn unreserve(&mut self, lobby: u64) {
        let Some(i) = self.lobbies.iter().position(|l| l.handle.id == lobby) else { return };
        let seats = &self.lobbies[i].seats;
        seats.unreserve();
        tracing::debug!(lobby, free = seats.free(), "reserved seat released");
        if seats.taken() == 0 && self.lobbies[i].handle.close("no player came".into()) {
            self.lobbies.remove(i);
            tracing::info!(lobby, "no reserved player came: the empty lobby closes");
        }
    }
}
