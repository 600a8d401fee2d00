//! Membership: seating, leaving, holding a dropped player's seat, resuming, and the roster.

use super::fanout::Member;
use super::{Lobby, RECENT_TICKS};
use crate::link::{SessionEvent, SessionLink, send_to};
use bytes::Bytes;
use tickwave_protocol::{
    self as proto, ErrorCode, LobbyState, MatchFound, PlayerInfo, Roster, ServerMessage,
    encode_delta,
};

impl Lobby {
    pub(super) fn roster(&self) -> Vec<PlayerInfo> {
        self.members
            .iter()
            .map(|m| PlayerInfo {
                player: m.link.player,
                name: m.link.name.to_string(),
                connected: m.connected,
            })
            .collect()
    }

    fn match_found(&self, link: &SessionLink) -> ServerMessage {
        ServerMessage::MatchFound(MatchFound {
            lobby: self.handle.id,
            player: link.player,
            mode: self.mode.name.clone(),
            game: self.game.name().into(),
            state: self.phase.name().into(),
            tick_hz: self.mode.tick_hz,
            max_players: self.mode.max_players,
            roster: self.roster(),
            schema: self.schema.clone(),
            code: self.code.clone(),
        })
    }

    /// Give a player a seat: the game, the session's routing, and `match_found`.
    pub(super) fn seat(&mut self, link: SessionLink) {
        self.game.add_player(link.player);
        let _ = link.events.try_send(SessionEvent::Joined(Box::new(self.handle.clone())));
        self.members.push(Member::new(link));
        let link = &self.members.last().expect("just pushed").link;
        send_to(link, &self.match_found(link));
        // The phase's time left (countdown, match), which match_found does not carry.
        link.try_send(self.lobby_state_bytes());
        let player = link.player;
        tracing::debug!(player, "player seated");
        self.send_history(player);
        self.publish_status();
    }

    /// Take a player out of the lobby; tells the others. Returns the member for a last word.
    pub(super) fn remove(&mut self, player: u32) -> Option<Member> {
        let i = self.members.iter().position(|m| m.link.player == player)?;
        let m = self.members.swap_remove(i);
        self.game.remove_player(player);
        self.seats.unreserve();
        let _ = m.link.events.try_send(SessionEvent::LobbyEnded { lobby: self.handle.id });
        tracing::debug!(player, "player left");
        self.publish_status();
        if self.members.is_empty() {
            self.done = true;
        } else {
            self.broadcast_roster(&[], &[player]);
        }
        Some(m)
    }

    /// The player's connection dropped: keep the seat (and the game's player) for the grace
    /// period; the others see `connected: false`.
    pub(super) fn hold_seat(&mut self, player: u32) {
        let grace = self.mode.ticks(self.mode.seat_grace_ms);
        let tick = self.tick;
        let Some(m) = self.members.iter_mut().find(|m| m.link.player == player) else { return };
        if !m.connected {
            return;
        }
        m.connected = false;
        m.held_until = Some(tick + grace);
        // Inputs already received stay queued and are applied at the next tick: the server
        // accepted them, so a resumed client must not have to (and cannot) apply them twice.
        tracing::info!(player, grace_ticks = grace, "connection dropped; seat held");
        if self.members.iter().all(|m| !m.connected) && grace == 0 {
            self.done = true;
        }
        self.broadcast_roster(&[], &[]);
    }

    /// Give up held seats whose grace period is over.
    pub(super) fn expire_holds(&mut self) {
        let tick = self.tick;
        let expired: Vec<u32> = self
            .members
            .iter()
            .filter(|m| m.held_until.is_some_and(|t| tick >= t))
            .map(|m| m.link.player)
            .collect();
        for player in expired {
            tracing::info!(player, "seat hold expired");
            self.remove(player);
        }
    }

    /// A resumed player takes its seat back on a new connection, and catches up with one
    /// delta from the tick it holds when that tick is still in the recent ring, or a snapshot.
    pub(super) fn rejoin(&mut self, link: SessionLink, last_tick: Option<u64>) {
        let player = link.player;
        let Some(i) = self.members.iter().position(|m| m.link.player == player) else {
            // The grace period ran out just before the resume arrived: refuse it like an
            // expired token, so the client sees one consistent answer.
            let _ = link.events.try_send(SessionEvent::Refused(ErrorCode::ResumeExpired));
            return;
        };
        let _ = link.events.try_send(SessionEvent::Joined(Box::new(self.handle.clone())));
        {
            let m = &mut self.members[i];
            m.link = link;
            m.connected = true;
            m.held_until = None;
            m.fresh = true;
            m.needs_resync = true;
        }
        let link = self.members[i].link.clone();
        let had_state = self.members[i].has_state;
        send_to(&link, &self.match_found(&link));
        link.try_send(self.lobby_state_bytes());
        // Catch-up delta: from the client's tick to the last tick everyone was sent; only if
        // that tick can be one of ours (see `Member::has_state`).
        let base = last_tick.filter(|_| had_state).and_then(|t| Some((t, self.recent.view(t)?)));
        if let (Some((base_tick, base_view)), Some(cur_tick)) = (base, self.recent.latest()) {
            // Holding the latest tick already, the client just continues with the next delta.
            let caught_up = base_tick == cur_tick || {
                let cur_view = self.recent.view(cur_tick).unwrap_or_default();
                let delta = base_view.diff(&cur_view);
                link.try_send(encode_delta(cur_tick, base_tick, &self.fan.acks, &delta))
            };
            if caught_up {
                let m = &mut self.members[i];
                m.needs_resync = false;
                m.fresh = false;
            }
        }
        tracing::info!(player, caught_up = !self.members[i].needs_resync, "player resumed");
        self.send_history(player);
        self.members[i].flush_chat();
        self.broadcast_roster(&[], &[]);
        debug_assert!(self.recent.len() <= RECENT_TICKS);
    }

    pub(super) fn roster_bytes(&self, joined: &[u32], left: &[u32]) -> Bytes {
        proto::encode_server(&ServerMessage::Roster(Roster {
            lobby: self.handle.id,
            players: self.roster(),
            joined: joined.to_vec(),
            left: left.to_vec(),
        }))
    }

    pub(super) fn lobby_state_bytes(&self) -> Bytes {
        use super::Phase;
        let remaining = match self.phase {
            Phase::Starting { until } | Phase::Running { until } => {
                let ticks = until.saturating_sub(self.tick);
                Some(ticks * 1000 / self.mode.tick_hz as u64)
            }
            _ => None,
        };
        proto::encode_server(&ServerMessage::LobbyState(LobbyState {
            lobby: self.handle.id,
            state: self.phase.name().into(),
            remaining_ms: remaining,
            tick: self.tick,
        }))
    }

    /// Send to every connected member; one that cannot take it gets a full resync later.
    pub(super) fn broadcast(&mut self, bytes: &Bytes) {
        for m in self.members.iter_mut().filter(|m| m.connected) {
            if !m.send(bytes) {
                m.needs_resync = true;
                m.fresh = false;
            }
        }
    }

    pub(super) fn broadcast_roster(&mut self, joined: &[u32], left: &[u32]) {
        let b = self.roster_bytes(joined, left);
        self.broadcast(&b);
    }
}
