//! Membership: seating, leaving, holding a dropped player's seat, resuming, and the roster.

use super::fanout::Member;
use super::{Core, Delivery, Link, Name, Output, Phase, RECENT_TICKS};
use crate::game::compat::to_v1_view;
use crate::game::v2::PlayerRecord;
use bytes::Bytes;
use serde::Serialize;
use std::time::Duration;
use tickwave_protocol::{
    self as proto, ErrorCode, LobbyState, MatchFound, PlayerInfo, Roster, ServerMessage, WorldView,
    encode_delta, v2,
};

/// `error` with the game's own refusal code beside the server's `seat_refused`.
#[derive(Serialize)]
struct SeatRefused<'a> {
    r#type: &'static str,
    code: ErrorCode,
    message: &'a str,
    fatal: bool,
    refusal: &'a str,
}

impl<L: Link> Core<L> {
    pub(super) fn roster(&self) -> Vec<PlayerInfo> {
        self.members
            .iter()
            .map(|m| PlayerInfo {
                player: m.player,
                name: m.name.to_string(),
                connected: m.connected,
            })
            .collect()
    }

    /// `match_found` in the member's protocol: the two versions share every member but the
    /// schema (v1's list of integer kinds, v2's typed schema) and v2's `team`.
    fn match_found(&self, player: u32, protocol: u32) -> Bytes {
        let m = MatchFound {
            lobby: self.s.lobby,
            player,
            mode: self.s.mode.clone(),
            game: self.game.name().into(),
            state: self.phase.name().into(),
            tick_hz: self.s.tick_hz,
            max_players: self.s.max_players,
            roster: self.roster(),
            schema: Vec::new(),
            code: self.s.code.clone(),
            send_hz: (self.s.send_hz < self.s.tick_hz).then_some(self.s.send_hz),
        };
        if protocol == 1 {
            let schema = self.v1_schema.clone().unwrap_or_default();
            return proto::encode_server(&ServerMessage::MatchFound(MatchFound { schema, ..m }));
        }
        v2::MatchFound {
            lobby: m.lobby,
            player,
            mode: m.mode,
            game: m.game,
            state: m.state,
            tick_hz: m.tick_hz,
            max_players: m.max_players,
            roster: m.roster,
            schema: self.layout.schema().clone(),
            code: m.code,
            send_hz: m.send_hz,
            team: self.ctx.player(player).and_then(|p| p.team),
        }
        .encode()
    }

    /// Give a player a seat: the game and `match_found` (the actor has already routed the
    /// session here). The others learn of it from [`Core::announce`]. `now` is the time
    /// since the lobby began. False when the seat was refused (the game's join hook said
    /// no, or a protocol-1 client came to a game without a v1 form): the client was told,
    /// its link released and the seat freed.
    pub fn seat(&mut self, record: PlayerRecord, name: Name, link: L, now: Duration) -> bool {
        self.guarded(|c| c.seat_inner(record, name, link, now))
    }

    fn seat_inner(&mut self, record: PlayerRecord, name: Name, link: L, now: Duration) -> bool {
        let player = record.id;
        let protocol = link.protocol();
        let refusal = if protocol == 1 && self.v1_schema.is_none() {
            let msg = format!("mode {} needs protocol 2", self.s.mode);
            Some(proto::encode_server(&ServerMessage::error(ErrorCode::ModeNeedsProtocol, msg)))
        } else {
            self.game.join(&mut self.ctx, &record).err().map(|r| {
                let message = format!("{}: {}", r.code, r.message);
                let e = SeatRefused {
                    r#type: "error",
                    code: ErrorCode::SeatRefused,
                    message: &message,
                    fatal: false,
                    refusal: &r.code,
                };
                let mut v = Vec::with_capacity(96);
                rmp_serde::encode::write_named(&mut v, &e).expect("encoding to memory");
                Bytes::from(v)
            })
        };
        if let Some(b) = refusal {
            tracing::debug!(player, "seat refused");
            link.send(b);
            link.lobby_ended(self.s.lobby);
            self.outputs.push_back(Output::SeatFreed);
            if self.members.is_empty() {
                self.done = true;
            }
            return false;
        }
        {
            self.members.push(Member::new(record, name, link, now));
            let c = &*self;
            let link = &c.members.last().expect("just pushed").link;
            link.send(c.match_found(player, protocol));
            // The phase's time left (countdown, match), which match_found does not carry.
            link.send(c.lobby_state_bytes());
        }
        tracing::debug!(player, "player seated");
        self.send_history(player);
        self.outputs.push_back(Output::Status);
        self.flush_events();
        true
    }

    /// Tell every member the roster, naming who just joined.
    pub fn announce(&mut self, joined: &[u32]) {
        self.guarded(|c| c.broadcast_roster(joined, &[]))
    }

    /// Take a player out of the lobby; tells the others. Returns the member for a last word.
    pub(super) fn remove(&mut self, player: u32) -> Option<Member<L>> {
        let i = self.members.iter().position(|m| m.player == player)?;
        let m = self.members.swap_remove(i);
        self.game.leave(&mut self.ctx, player);
        self.outputs.push_back(Output::SeatFreed);
        m.link.lobby_ended(self.s.lobby);
        tracing::debug!(player, "player left");
        self.outputs.push_back(Output::Status);
        if self.members.is_empty() {
            self.done = true;
        } else {
            self.broadcast_roster(&[], &[player]);
            self.flush_events();
        }
        Some(m)
    }

    /// The player's connection dropped: keep the seat (and the game's player) for the grace
    /// period; the others see `connected: false`.
    pub(super) fn hold_seat(&mut self, player: u32) {
        let grace = self.s.grace_ticks;
        let tick = self.tick;
        let Some(m) = self.members.iter_mut().find(|m| m.player == player) else { return };
        if !m.connected {
            return;
        }
        m.connected = false;
        m.held_until = Some(tick + grace);
        self.game.disconnected(&mut self.ctx, player);
        // Inputs already received stay queued and are applied at the next tick: the server
        // accepted them, so a resumed client must not have to (and cannot) apply them twice.
        tracing::info!(player, grace_ticks = grace, "connection dropped; seat held");
        if self.members.iter().all(|m| !m.connected) && grace == 0 {
            self.done = true;
        }
        self.broadcast_roster(&[], &[]);
        self.flush_events();
    }

    /// Give up held seats whose grace period is over.
    pub(super) fn expire_holds(&mut self) {
        let tick = self.tick;
        let expired: Vec<u32> = self
            .members
            .iter()
            .filter(|m| m.held_until.is_some_and(|t| tick >= t))
            .map(|m| m.player)
            .collect();
        for player in expired {
            tracing::info!(player, "seat hold expired");
            self.remove(player);
        }
    }

    /// A resumed player takes its held seat back on a new connection, and catches up with one
    /// delta from the tick it holds when that tick is still in the recent ring, or a snapshot.
    /// Gives the link back when the seat is gone (the grace period ran out just before the
    /// resume arrived): the actor refuses it like an expired token, so the client sees one
    /// consistent answer.
    pub fn rejoin(
        &mut self,
        player: u32,
        name: Name,
        link: L,
        last_tick: Option<u64>,
    ) -> Result<(), L> {
        let Some(i) = self.members.iter().position(|m| m.player == player) else {
            return Err(link);
        };
        self.guarded(move |c| c.resume(i, name, link, last_tick));
        Ok(())
    }

    fn resume(&mut self, i: usize, name: Name, link: L, last_tick: Option<u64>) {
        let player = self.members[i].player;
        {
            let m = &mut self.members[i];
            m.link = link;
            m.name = name;
            m.connected = true;
            m.held_until = None;
            m.fresh = true;
            m.needs_resync = true;
        }
        let had_state = self.members[i].has_state;
        let protocol = self.members[i].link.protocol();
        self.members[i].protocol = protocol;
        let link = &self.members[i].link;
        link.send(self.match_found(player, protocol));
        link.send(self.lobby_state_bytes());
        // Catch-up delta: from the client's tick to the last tick everyone was sent; only if
        // that tick can be one of ours (see `Member::has_state`). Both ends are the views
        // this player had: projected again from the kept world and scopes.
        let base = last_tick.filter(|_| had_state).and_then(|t| Some((t, self.recent.get(t)?)));
        let cur = self.recent.latest().and_then(|t| Some((t, self.recent.get(t)?)));
        if let (Some((base_tick, base)), Some((cur_tick, cur))) = (base, cur) {
            let (key, from, to) = self.fan.views_of(player, base, cur);
            // Holding the latest tick already, the client just continues with the next delta.
            let caught_up = base_tick == cur_tick || {
                let b = if protocol == 1 {
                    let (mut a, mut b) = (WorldView::new(), WorldView::new());
                    to_v1_view(&from, &mut a);
                    to_v1_view(&to, &mut b);
                    encode_delta(cur_tick, base_tick, &self.fan.acks, &a.diff(&b))
                } else {
                    let delta = from.diff(&to);
                    v2::encode_delta(cur_tick, base_tick, &self.fan.acks, &delta)
                };
                link.send(b) == Delivery::Sent
            };
            if caught_up {
                self.fan.seed(key, protocol, cur_tick, &to, cur);
                let m = &mut self.members[i];
                m.needs_resync = false;
                m.fresh = false;
                m.follows = Some(key);
            }
        }
        tracing::info!(player, caught_up = !self.members[i].needs_resync, "player resumed");
        self.game.resumed(&mut self.ctx, player);
        self.send_held_events(i);
        self.flush_events();
        self.send_history(player);
        self.members[i].flush_chat();
        self.broadcast_roster(&[], &[]);
        debug_assert!(self.recent.len() <= RECENT_TICKS);
    }

    pub(super) fn roster_bytes(&self, joined: &[u32], left: &[u32]) -> Bytes {
        proto::encode_server(&ServerMessage::Roster(Roster {
            lobby: self.s.lobby,
            players: self.roster(),
            joined: joined.to_vec(),
            left: left.to_vec(),
        }))
    }

    pub(super) fn lobby_state_bytes(&self) -> Bytes {
        let remaining = match self.phase {
            Phase::Starting { until } | Phase::Running { until } => {
                let ticks = until.saturating_sub(self.tick);
                Some(ticks * 1000 / self.s.tick_hz as u64)
            }
            _ => None,
        };
        proto::encode_server(&ServerMessage::LobbyState(LobbyState {
            lobby: self.s.lobby,
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
